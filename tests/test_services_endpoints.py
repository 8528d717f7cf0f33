"""The Endpoints and EndpointSlice controllers in a running (simulated) cluster."""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import _waits
import pytest

from k8sedu import Cluster
from k8sedu.errors import NotFound

eventually = partial(_waits.eventually, timeout=60.0, ignore=NotFound)  # NotFound: the controller has not written it yet


def _pod(name: str, labels: dict[str, str], ready_path: str = "/healthz") -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{
            "name": "web", "image": "k8sedu/web:v1",
            "ports": [{"containerPort": 80, "name": "http"}],
            "readinessProbe": {"httpGet": {"path": ready_path, "port": 80}, "periodSeconds": 1},
        }]},
    }


def _service(name: str, selector: dict[str, str], **spec: Any) -> dict[str, Any]:
    body = {"selector": selector, "ports": [{"name": "web", "port": 8080, "targetPort": "http"}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with Cluster(nodes=2, runtime="sim", progress=False) as c:
        yield c


def test_ready_and_not_ready_addresses(cluster: Cluster) -> None:
    c = cluster
    c.apply([_pod("ep-good", {"app": "ep"}), _pod("ep-bad", {"app": "ep"}, ready_path="/missing"),
             _service("ep", {"app": "ep"})])
    c.wait("pod/ep-good", "Ready", timeout=60)

    def both_seen() -> dict[str, Any] | None:
        ep = c.get("endpoints/ep")
        subs = ep.get("subsets") or []
        if subs and subs[0].get("addresses") and subs[0].get("notReadyAddresses"):
            return ep
        return None

    ep = eventually(both_seen)
    subset = ep["subsets"][0]
    good, bad = c.get("pod/ep-good"), c.get("pod/ep-bad")
    assert subset["ports"] == [{"name": "web", "port": 80, "protocol": "TCP"}]  # targetPort "http" resolved
    assert subset["addresses"] == [{
        "ip": good["status"]["podIP"], "nodeName": good["spec"]["nodeName"],
        "targetRef": {"kind": "Pod", "namespace": "default", "name": "ep-good", "uid": good["metadata"]["uid"]},
    }]
    assert [a["targetRef"]["name"] for a in subset["notReadyAddresses"]] == ["ep-bad"]
    assert bad["status"]["podIP"] == subset["notReadyAddresses"][0]["ip"]

    slices = c.get("endpointslices", selector="kubernetes.io/service-name=ep")
    assert len(slices) == 1
    es = slices[0]
    assert es["addressType"] == "IPv4"
    assert es["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert es["metadata"]["ownerReferences"][0]["kind"] == "Service"
    assert es["ports"] == [{"name": "web", "port": 80, "protocol": "TCP"}]
    conds = {e["targetRef"]["name"]: e["conditions"] for e in es["endpoints"]}
    assert conds == {"ep-good": {"ready": True, "serving": True, "terminating": False},
                     "ep-bad": {"ready": False, "serving": False, "terminating": False}}
    out = c.kubectl("get endpoints ep")
    assert f"{good['status']['podIP']}:80" in out and bad["status"]["podIP"] not in out


def test_selecting_nothing_gives_no_subsets(cluster: Cluster) -> None:
    c = cluster
    c.apply(_service("nobody", {"app": "nobody"}))
    ep = eventually(lambda: c.get("endpoints", selector=None) and
                    next((e for e in c.get("endpoints") if e["metadata"]["name"] == "nobody"), None))
    assert "subsets" not in ep
    assert "<none>" in c.kubectl("get endpoints nobody")
    es = eventually(lambda: c.get("endpointslices", selector="kubernetes.io/service-name=nobody"))
    assert es[0].get("endpoints") == []


def test_endpoints_follow_labels_and_deletion(cluster: Cluster) -> None:
    c = cluster
    c.apply([_pod("mv-1", {"app": "mv"}), _service("mv", {"app": "mv"})])
    c.wait("pod/mv-1", "Ready", timeout=20)
    eventually(lambda: (c.get("endpoints/mv").get("subsets") or [{}])[0].get("addresses"))
    # the Pod stops matching: it leaves the Endpoints
    c.kubectl("label pod mv-1 app=other --overwrite")
    eventually(lambda: not c.get("endpoints/mv").get("subsets"))
    c.kubectl("label pod mv-1 app=mv --overwrite")
    eventually(lambda: (c.get("endpoints/mv").get("subsets") or [{}])[0].get("addresses"))
    # deleting: terminating Pods leave Endpoints at once; the slice marks them terminating
    # (watched, because the simulated container stops at once and the Pod is soon gone)
    api = c._api()
    listing = api.list("endpointslices", "default", label_selector="kubernetes.io/service-name=mv")
    watch = api.watch("endpointslices", "default", resource_version=listing["metadata"]["resourceVersion"],
                      label_selector="kubernetes.io/service-name=mv")
    try:
        c.delete("pod/mv-1", grace_period=30)
        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            event = watch.next(timeout=1.0)
            if event is None:
                continue
            seen += [e["conditions"] for e in event.object.get("endpoints") or []]
            if any(cond["terminating"] and not cond["ready"] for cond in seen):
                break
        # ready is false once terminating; serving says whether its readiness still passes
        assert any(cond["terminating"] and not cond["ready"] for cond in seen), seen
    finally:
        watch.stop()
    eventually(lambda: not c.get("endpoints/mv").get("subsets"))
    # deleting the Service deletes its Endpoints (controller) and slices (garbage collector)
    c.delete("service/mv")
    eventually(lambda: all(e["metadata"]["name"] != "mv" for e in c.get("endpoints")))
    eventually(lambda: not c.get("endpointslices", selector="kubernetes.io/service-name=mv"))


def test_kubectl_expose_gets_a_cluster_ip(cluster: Cluster) -> None:
    c = cluster
    c.kubectl("create deployment exp --image=k8sedu/web:v1 --port=80")
    c.kubectl("expose deployment exp --port=80")
    svc = c.get("service/exp")
    assert svc["spec"]["clusterIP"].startswith("10.")
    assert svc["spec"]["clusterIP"] in c.kubectl("get svc exp")


def test_kubernetes_service_has_the_apiservers_endpoints(cluster: Cluster) -> None:
    """Upstream's endpoint reconciler: the selector-less ``kubernetes`` Service gets the apiserver's
    address in an Endpoints and an EndpointSlice of the same name, which no controller rewrites."""
    c = cluster
    ep = c.get("endpoints/kubernetes")
    assert ep["subsets"] == [{"addresses": [{"ip": "192.168.49.2"}],
                              "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}]
    assert ep["metadata"]["labels"] == {"endpointslice.kubernetes.io/skip-mirror": "true"}
    es = c.get("endpointslice/kubernetes")
    assert es["metadata"]["labels"] == {"kubernetes.io/service-name": "kubernetes"}
    assert es["addressType"] == "IPv4"
    assert es["endpoints"] == [{"addresses": ["192.168.49.2"], "conditions": {"ready": True}}]
    assert es["ports"] == [{"name": "https", "port": 6443, "protocol": "TCP"}]
    out = c.kubectl("get endpointslices kubernetes").splitlines()
    assert out[0].split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    assert out[1].split()[:4] == ["kubernetes", "IPv4", "6443", "192.168.49.2"]
    assert c.kubectl("get endpoints kubernetes").splitlines()[1].split()[1] == "192.168.49.2:6443"


def test_endpointslice_columns_as_kubectl_1_32(cluster: Cluster) -> None:
    c = cluster
    c.apply([_pod(f"many-{i}", {"app": "many"}) for i in range(5)]
            + [_service("many", {"app": "many"}), _service("few", {"app": "none-such"})])
    for i in range(5):
        c.wait(f"pod/many-{i}", "Ready", timeout=30)

    def row(svc: str, want: str) -> list[str] | None:
        lines = c.kubectl(f"get endpointslices -l kubernetes.io/service-name={svc}").splitlines()
        cells = lines[1].split() if len(lines) > 1 else []
        return cells if want in " ".join(cells) else None

    cells = eventually(lambda: row("many", "+ 2 more..."))
    ips = sorted((p["status"]["podIP"] for p in c.get("pods", selector="app=many")),
                 key=lambda ip: tuple(int(x) for x in ip.split(".")))
    assert cells[1:3] == ["IPv4", "80"]
    assert cells[3] == ",".join(ips[:3])  # the first three, in the slice's order, then the rest counted
    assert cells[4:7] == ["+", "2", "more..."]
    cells = eventually(lambda: row("few", "<unset>"))
    assert cells[1:4] == ["IPv4", "<unset>", "<unset>"]  # the placeholder slice of a Service selecting nothing
