"""ServiceView renders without a kernel: counts from kube-proxy's flow events, the path of the
latest connection, and the controls acting on a real cluster (sim; one test on Docker)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_viz_cluster import bench, eventually, web

from k8sedu import Cluster
from k8sedu.flow import FlowEvent
from k8sedu.viz import ServiceSnapshot, ServiceView
from k8sedu.viz.service_view import ConnectionLog

SVC = {"metadata": {"name": "web", "namespace": "default"},
       "spec": {"clusterIP": "10.96.0.10", "ports": [{"port": 80}], "sessionAffinity": "None"}}


def event(seq: int, pod: str, action: str = "connect", name: str = "web", rule: int = 0) -> FlowEvent:
    detail: dict[str, Any] = {"client": "127.0.0.1:4000", "mode": "iptables", "service": f"default/{name}"}
    if action != "reject":
        detail.update(pod=f"default/{pod}", endpoint="10.244.1.2:80", rule=rule, endpoints=2)
    return FlowEvent(seq, 0.0, "kube-proxy", f"pod/{pod}" if pod else "kube-proxy", action, "Service", "default",
                     name, explain=f"说明 {seq}", detail=detail)


def slice_of(*pods: tuple[str, bool]) -> dict[str, Any]:
    return {"metadata": {"name": "web-x", "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
            "ports": [{"port": 80}],
            "endpoints": [{"addresses": [f"10.244.1.{i}"], "conditions": {"ready": ready}, "nodeName": "node-1",
                           "targetRef": {"kind": "Pod", "name": name}} for i, (name, ready) in enumerate(pods)]}


def test_connection_log_counts_only_its_service() -> None:
    log = ConnectionLog("default", "web")
    assert log.feed(event(1, "a")) and log.feed(event(2, "b")) and log.feed(event(3, "a"))
    assert not log.feed(event(4, "a", name="other"))
    assert log.feed(event(5, "", action="reject"))
    counts, recent, total, rejected = log.copy()
    assert counts == {"a": 2, "b": 1} and total == 4 and rejected == 1
    assert [c.seq for c in recent] == [1, 2, 3, 5] and recent[-1].action == "reject"


def test_render_counts_states_and_latest_path() -> None:
    log = ConnectionLog("default", "web")
    for i, pod in enumerate(["a", "b", "a", "gone-pod", "a"]):
        log.feed(event(i + 1, pod))
    counts, recent, total, rejected = log.copy()
    snap = ServiceSnapshot.build(SVC, [slice_of(("a", True), ("b", True), ("c", False))], "iptables", counts, recent,
                                 total, rejected)
    assert [(e.pod, e.state, e.count) for e in snap.endpoints] == [
        ("a", "ready", 3), ("b", "ready", 1), ("c", "notready", 0), ("gone-pod", "gone", 1)]
    v = ServiceView(snap)
    bars = v.count_fig.data[0]
    assert list(bars.x) == ["a", "b", "c", "gone-pod"] and list(bars.y) == [3, 1, 0, 1]
    assert "共 5 个连接" in v.count_fig.layout.title.text
    # the newest connection went to "a": the thick path ends at a's marker
    ready = next(t for t in v.path_fig.data if t.name == "就绪的 endpoint")
    a_y = ready.y[list(ready.text).index("a  3 次")]
    latest = v.path_fig.data[2]
    assert list(latest.x) == [0, 1, 2] and latest.y[-1] == a_y
    # the recent connections pulse: a got 3 of the last 5, b 1
    assert ready.marker.size[0] > ready.marker.size[1]
    assert "说明 5" in v.explain.value and "10.96.0.10:80" in v.header.value
    # a refused connection stops at kube-proxy, in red
    log.feed(event(6, "", action="reject"))
    v.render(ServiceSnapshot.build(SVC, [slice_of(("a", True))], "ipvs", *log.copy()[:1], log.copy()[1],
                                   log.copy()[2], log.copy()[3]))
    assert list(v.path_fig.data[2].x) == [0, 1] and "1 个被拒绝" in v.count_fig.layout.title.text
    assert "ipvs" in v.header.value


def test_500_endpoints_render_without_labels() -> None:
    snap = bench.service_snapshot(500, requests=1000)
    v = ServiceView(snap)
    n = len(v.path_fig.data)
    assert len(v.count_fig.data[0].x) == 500 and sum(v.count_fig.data[0].y) == 1000
    assert all(t.mode == "markers" for t in v.path_fig.data[4:])
    v.render(bench.service_snapshot(50))
    assert len(v.path_fig.data) == n


def exercise(c: Cluster) -> None:
    """What a student does with the buttons, checked against kube-proxy's real choices."""
    c.apply(web(3))
    c.wait("deployment/web", "Available", timeout=90)
    eventually(lambda: len(c.proxy.endpoints_for("default", "web")) == 3)
    v = ServiceView.from_cluster(c, "service/web")
    try:
        assert v.log is not None and {e.state for e in v.snapshot.endpoints} == {"ready"} if v.snapshot else False
        replies = v.send(30)
        eventually(lambda: v.log is not None and v.log.total == 30 and v.snapshot is not None
                   and v.snapshot.total == 30)
        # the counts are the replies: each Pod's page says its hostname (the Pod's name)
        assert v.snapshot is not None and {k: n for k, n in v.snapshot.counts.items() if n} == replies
        assert sum(v.count_fig.data[0].y) == 30

        v.set_mode("ipvs")
        v.reset_counts()
        v.send(30)
        eventually(lambda: v.snapshot is not None and v.snapshot.total == 30 and v.snapshot.mode == "ipvs")
        assert sorted(v.snapshot.counts.values()) == [10, 10, 10]  # round robin: exactly even
        assert "ipvs" in v.snapshot.recent[-1].explain

        v.set_affinity("ClientIP")
        v.reset_counts()
        v.send(12)
        eventually(lambda: v.snapshot is not None and v.snapshot.total == 12 and v.snapshot.affinity == "ClientIP")
        assert sorted(v.snapshot.counts.values()) == [0, 0, 12]
        assert v.snapshot.recent[-1].affinity
        v.set_affinity("None")

        victim = v.snapshot.endpoints[0].pod
        assert victim in v.pod_pick.options
        v.delete_pod(victim)
        eventually(lambda: v.snapshot is not None
                   and victim not in [e.pod for e in v.snapshot.endpoints if e.state == "ready"], 60)
        eventually(lambda: victim not in v.pod_pick.options, 60)
        v.reset_counts()
        eventually(lambda: len(c.proxy.endpoints_for("default", "web")) == 3, 90)
        v.send(9)
        eventually(lambda: v.snapshot is not None and v.snapshot.total == 9)
        assert victim not in v.snapshot.counts
    finally:
        v.close()
        c.proxy.mode = c.proxy.chooser.mode = "iptables"


@pytest.fixture
def sim_cluster() -> Iterator[Cluster]:
    with Cluster(nodes=3, runtime="sim", progress=False) as c:
        yield c


def test_counts_follow_real_requests_on_sim(sim_cluster: Cluster) -> None:
    exercise(sim_cluster)


@pytest.mark.docker
def test_counts_follow_real_requests_on_docker() -> None:
    with Cluster(nodes=3, runtime="docker", progress=False) as c:
        exercise(c)
