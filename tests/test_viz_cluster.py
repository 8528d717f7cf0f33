"""ClusterView renders without a kernel: the map of a real sim cluster, warnings-only events, 500 Pods."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _waits import eventually

from k8sedu import Cluster
from k8sedu.viz import ClusterSnapshot, ClusterView
from k8sedu.viz.cluster_view import pod_status
from k8sedu.viz.style import POD_STATUS_ZH


def load_bench() -> ModuleType:
    """benchmarks/viz.py: its synthetic objects are the 500-Pod snapshots the tests draw too."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "viz.py"
    spec = importlib.util.spec_from_file_location("bench_viz", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def web(replicas: int = 3, image: str = "k8sedu/web:v1") -> list[dict[str, Any]]:
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"terminationGracePeriodSeconds": 2,
                                        "containers": [{"name": "web", "image": image,
                                                        "ports": [{"containerPort": 80}],
                                                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 80},
                                                                           "periodSeconds": 1}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}},
    ]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with Cluster(nodes=3, runtime="sim", progress=False) as c:
        c.apply(web(3))
        c.wait("deployment/web", "Available", timeout=60)
        eventually(lambda: len(c.proxy.endpoints_for("default", "web")) == 3)
        yield c



def pod_trace(v: ClusterView, status: str) -> Any:
    return next(t for t in v.map_fig.data if t.name.startswith(POD_STATUS_ZH[status]))


def test_the_map_of_a_real_cluster(cluster: Cluster) -> None:
    snap = ClusterSnapshot.from_cluster(cluster)
    pods = cluster.get("pods")
    assert {v.name for v in snap.pods} == {p["metadata"]["name"] for p in pods}
    assert snap.by_status() == {"Ready": 3}
    rels = sorted(rel for _a, _b, rel in snap.edges)
    assert rels == ["endpoint"] * 3 + ["owns"] * 4  # deploy → rs, rs → 3 pods; svc → 3 endpoints
    rs = cluster.get("replicasets")[0]["metadata"]["name"]
    assert ("deployment/default/web", f"replicaset/default/{rs}", "owns") in snap.edges
    # every Pod sits inside the box of the Node it is bound to
    boxes = {b.name: b for b in snap.boxes}
    assert set(boxes) == {"node-1", "node-2", "node-3"}
    for p in pods:
        v = next(x for x in snap.pods if x.name == p["metadata"]["name"])
        b = boxes[p["spec"]["nodeName"]]
        assert b.x0 < v.x < b.x1 and b.y1 < v.y < b.y0
    # the Deployment above its ReplicaSet above the Pods; the Service below them
    tiers = {v.kind: v.y for v in snap.vertices}
    assert tiers["Deployment"] > tiers["ReplicaSet"] > max(v.y for v in snap.pods) > tiers["Service"]

    view = ClusterView(snap)
    ready = pod_trace(view, "Ready")
    assert len(ready.x) == 3 and ready.name == f"{POD_STATUS_ZH['Ready']}（3）"
    assert sorted(ready.text) == sorted(p["metadata"]["name"] for p in pods)
    assert not pod_trace(view, "Failed").x and pod_trace(view, "Failed").showlegend is False
    owns = view.map_fig.data[0]
    assert owns.x.count(None) == 4
    assert len(view.map_fig.layout.shapes) == 3
    assert any("节点 node-1" in a.text for a in view.map_fig.layout.annotations)
    # real Event objects of the cluster: the scheduler's Scheduled events are on the timeline
    normal = view.timeline_fig.data[0]
    assert normal.y.count("Scheduled") >= 3
    assert "集群：3 个节点，3 个 Pod" in view.header.value


def test_warnings_only_hides_normal_events() -> None:
    objs = bench.cluster_objects(20, nodes=2)
    snap = ClusterSnapshot.from_objects(**objs)
    view = ClusterView(snap)
    normal, warning = view.timeline_fig.data[0], view.timeline_fig.data[1]
    n_warn = sum(1 for e in objs["events"] if e["type"] == "Warning")
    assert n_warn and len(warning.x) == n_warn and len(normal.x) == len(objs["events"]) - n_warn
    assert "Normal" in view.events_html.value
    view.warnings_only.value = True
    assert len(normal.x) == 0 and len(warning.x) == n_warn
    assert "警告" in view.timeline_fig.layout.title.text
    assert "Normal" not in view.events_html.value and "BackOff" in view.events_html.value


def test_pod_colours_follow_phase_and_readiness() -> None:
    def pod(phase: str, ready: bool = False, deleting: bool = False) -> dict[str, Any]:
        meta: dict[str, Any] = {"name": "p"}
        if deleting:
            meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        return {"metadata": meta, "status": {"phase": phase,
                                             "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}

    assert pod_status(pod("Running", ready=True)) == "Ready"
    assert pod_status(pod("Running")) == "NotReady"
    assert pod_status(pod("Pending")) == "Pending"
    assert pod_status(pod("Failed")) == "Failed"
    assert pod_status(pod("Running", ready=True, deleting=True)) == "Terminating"


def test_500_pods_use_one_trace_per_colour() -> None:
    objs = bench.cluster_objects(500, nodes=5)
    snap = ClusterSnapshot.from_objects(**objs)
    view = ClusterView(snap)
    n_traces = len(view.map_fig.data)
    counts = snap.by_status()
    assert sum(counts.values()) == 500 and counts["Pending"] == 50 and counts["Failed"] == 50
    assert len(pod_trace(view, "Pending").x) == 50
    # the Pending Pods wait in the 未调度 box, the others are in their Nodes' boxes
    assert [b.name for b in snap.boxes if b.unscheduled] == ["未调度"]
    assert len(view.map_fig.layout.shapes) == 6
    # labels only on hover at this size; the number of traces does not grow with the Pods
    assert pod_trace(view, "Ready").mode == "markers"
    view.render(ClusterSnapshot.from_objects(**bench.cluster_objects(50, nodes=5)))
    assert len(view.map_fig.data) == n_traces and pod_trace(view, "Ready").mode == "markers+text"


def test_live_view_follows_a_scale_up(cluster: Cluster) -> None:
    view = ClusterView.from_cluster(cluster)
    try:
        assert len(view.snapshot.pods) == 3 if view.snapshot else False
        cluster.kubectl("scale deployment/web --replicas=5")
        eventually(lambda: view.snapshot is not None and view.snapshot.by_status().get("Ready") == 5)
        # the live render may still be drawing the snapshot it has just taken
        eventually(lambda: len(pod_trace(view, "Ready").x) == 5, what="five Ready Pods drawn")
    finally:
        view.close()
        cluster.kubectl("scale deployment/web --replicas=3")
    assert view.watch is not None and view.watch.coalescer.renders <= view.renders
