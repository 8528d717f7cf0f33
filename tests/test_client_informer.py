"""Informers keep a cache by list-then-watch and survive compaction; events are correlated."""

from __future__ import annotations

import threading
from functools import partial

import _waits

from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client, EventRecorder, InformerFactory


def pod(name: str, labels: dict | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox"}]},
    }


eventually = partial(_waits.eventually, timeout=5.0, interval=0.01)


def test_informer_lists_then_follows_changes() -> None:
    api = APIServer()
    client = Client(api, ADMIN, "test")
    client.create("pods", pod("before"))
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(kind: str):  # type: ignore[no-untyped-def]
        def fn(*objs: dict) -> None:
            with lock:
                seen.append((kind, objs[-1]["metadata"]["name"]))

        return fn

    factory = InformerFactory(client)
    inf = factory.informer("pods")
    inf.add_handler(record("add"), record("update"), record("delete"))
    factory.start()
    assert factory.wait_synced(5)
    client.create("pods", pod("after"))
    client.patch("pods", "after", {"metadata": {"labels": {"x": "1"}}}, "default")
    client.delete("pods", "before", "default")
    eventually(lambda: ("delete", "before") in seen)
    assert seen == [("add", "before"), ("add", "after"), ("update", "after"), ("delete", "before")]
    assert inf.keys() == ["default/after"]
    assert inf.get("default/after")["metadata"]["labels"]["x"] == "1"
    factory.stop()


def test_informer_relists_after_compaction_and_converges() -> None:
    api = APIServer()
    client = Client(api, ADMIN, "test")
    inf = InformerFactory(client).informer("pods")
    inf.start()
    assert inf.wait_synced(5)
    w = inf._watch
    eventually(lambda: inf._watch is not None)
    # Break the informer's watch as etcd compaction would, while changes keep coming.
    client.create("pods", pod("a"))
    client.create("pods", pod("b"))
    api.store.compact(api.revision)
    (w or inf._watch).stop()
    client.create("pods", pod("c"))
    eventually(lambda: sorted(inf.keys()) == ["default/a", "default/b", "default/c"])
    inf.stop()


def test_late_handler_hears_existing_objects() -> None:
    api = APIServer()
    client = Client(api, ADMIN, "test")
    client.create("pods", pod("a"))
    inf = InformerFactory(client).informer("pods").start()
    assert inf.wait_synced(5)
    added: list[str] = []
    inf.add_handler(on_add=lambda o: added.append(o["metadata"]["name"]))
    assert added == ["a"]
    inf.stop()


def test_event_recorder_counts_repeats() -> None:
    api = APIServer()
    client = Client(api, ADMIN, "kubelet/node-1")
    p = client.create("pods", pod("a"))
    rec = EventRecorder(client, "kubelet", "node-1")
    for _ in range(3):
        rec.warning(p, "BackOff", "Back-off restarting failed container")
    rec.normal(p, "Pulled", "Container image already present on machine")
    events = client.items("events", "default")
    assert len(events) == 2
    backoff = next(e for e in events if e["reason"] == "BackOff")
    assert backoff["count"] == 3 and backoff["type"] == "Warning"
    assert backoff["involvedObject"]["uid"] == p["metadata"]["uid"]
    assert backoff["source"] == {"component": "kubelet", "host": "node-1"}
