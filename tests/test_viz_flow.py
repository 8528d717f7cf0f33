"""FlowView without a kernel: steps picked from a real cluster's flow events, the seed's step
numbers, the rendered figure, the replay buttons, and step mode gating the real control plane."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import plotly.graph_objects as go
import pytest
from _waits import eventually

from k8sedu import Cluster
from k8sedu.errors import NotFound
from k8sedu.viz import FlowFilter, FlowSnapshot, FlowView
from k8sedu.viz.flow_view import BOX_LABELS, LIST_LENGTH

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}


def deployment(replicas: int = 2) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "shop"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "shop"}},
                     "template": {"metadata": {"labels": {"app": "shop"}},
                                  "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]}}}}


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    c = Cluster(nodes=2, runtime="sim")
    c.start()
    try:
        yield c
    finally:
        c.stop()


def containers_of(c: Cluster, pod: str) -> dict[str, str]:
    """The runtime's containers of *pod*: container name ("POD" for pause) → id."""
    return {s.container_name: s.id for s in c.runtime.list_containers() if s.pod_name == pod}


def test_steps_are_the_pods_real_main_path(cluster: Cluster) -> None:
    start = cluster.flow.events()[-1].seq
    cluster.apply(POD)
    cluster.wait("pod/web", "Ready", timeout=30)
    snap = FlowSnapshot.from_events(cluster.flow.events(start), ["node-1", "node-2"])
    steps = snap.steps
    assert snap.target == "pod/web" and snap.mode == "create" and snap.complete
    # noise is gone: no Events, no GETs, nothing about another object
    assert all(s.kind in ("Pod", "Binding") and s.name == "web" for s in steps)
    assert not any(s.action.startswith("GET") for s in steps)
    roles = [(s.src.split("/")[0], s.dst.split("/")[0], s.action.split(" ")[0]) for s in steps]
    assert roles[:8] == [
        ("kubectl", "apiserver", "POST"), ("apiserver", "etcd", "PUT"), ("apiserver", "scheduler", "watch"),
        ("scheduler", "scheduler", "filter"), ("scheduler", "scheduler", "score"),
        ("scheduler", "apiserver", "POST"), ("apiserver", "etcd", "PUT"), ("apiserver", "kubelet", "watch"),
    ]
    # the seed's step numbers, in the real order (never decreasing from 1 to 7)
    assert [s.seed for s in steps[:8]] == [1, 2, 3, 5, 5, 5, 5, 7]
    assert {s.seed for s in steps if s.dst == "docker"} == {8}
    assert steps[-1].dst == "etcd" and steps[-1].phase == "Running" and steps[-1].seed == 10
    # the facts are the cluster's own: node, revisions, container id
    pod = cluster.get("pod/web")
    node = pod["spec"]["nodeName"]
    assert steps[4].node == node and steps[6].node == node and steps[7].dst == f"kubelet/{node}"
    assert steps[1].revision is not None and steps[6].revision is not None
    assert steps[1].revision < steps[6].revision <= int(pod["metadata"]["resourceVersion"])
    assert steps[7].revision == steps[6].revision  # the kubelet sees the binding's write
    start_step = next(s for s in steps if s.action.startswith("start container"))
    assert start_step.container_id == containers_of(cluster, "web")["web"][:12]
    docker = [s.action.split(" ")[0] + " " + s.action.split(" ")[1] for s in steps if s.dst == "docker"]
    assert docker == ["create sandbox", "create container", "start container"]


def test_render_draws_components_arrow_and_explanation(cluster: Cluster) -> None:
    start = cluster.flow.events()[-1].seq
    cluster.apply(POD)
    cluster.wait("pod/web", "Ready", timeout=30)
    events = cluster.flow.events(start)
    view = FlowView(nodes=["node-1", "node-2"])  # no cluster: a pure renderer
    full = FlowSnapshot.from_events(events, ["node-1", "node-2"])
    assert isinstance(view.fig, go.FigureWidget)
    names = [t.name for t in view.fig.data]
    assert names == ["已走过的步骤", "当前步骤", "组件"]
    labels = list(view.fig.data[2].text)
    assert BOX_LABELS["apiserver"] in labels and "kubelet（node-2）<br>节点代理" in labels
    assert labels.count("docker<br>容器运行时") == 2
    for shown in range(1, len(full.steps) + 1):
        snap = FlowSnapshot.from_events(events, ["node-1", "node-2"], shown=shown)
        view.render(snap)
        cur = snap.steps[shown - 1]
        assert cur.text in view.detail.value.replace("&quot;", '"')
        assert f"第 {shown} 步" in view.detail.value
        assert f"参考文章创建流程（相对详细版）第 {cur.seed} 步" in view.detail.value
        texts = [a.text for a in view.fig.layout.annotations]
        assert any(f"第 {shown} 步" in (t or "") for t in texts)
        if cur.src != cur.dst:  # an arrow from src to dst, the boxes lit
            assert len(view.fig.data[1].x) == 2
            lit = [s for s in view.fig.layout.shapes if s.line.width == 3]
            assert len(lit) == 2
        assert view.step_list.value.count("<li") == min(shown, LIST_LENGTH)
        assert f'<ol start="{max(1, shown - LIST_LENGTH + 1)}"' in view.step_list.value
    assert "phase：Running" in view.detail.value
    # the widget's first state holds the whole diagram, so a view drawn late is never blank
    state = view.fig.get_state()
    assert [t["name"] for t in state["_widget_data"]] == names and list(state["_widget_data"][2]["text"]) == labels
    assert state["_widget_layout"]["height"] == 470 and len(state["_widget_layout"]["shapes"]) == len(view.pos) + 2
    assert len([x for x in view.fig.data[0].x if x is None]) >= 8  # the earlier arrows stay, faint
    presenter = FlowView(nodes=["node-1"], presenter=True)
    assert presenter.fig.layout.width > view.fig.layout.width


def test_replay_buttons_do_not_touch_the_cluster(cluster: Cluster) -> None:
    view = FlowView(cluster)
    try:
        cluster.apply(POD)
        cluster.wait("pod/web", "Ready", timeout=30)
        snap = view.flush()
        assert snap.shown == 0 and len(snap.steps) >= 13 and snap.complete
        for _ in range(3):
            view.next_button.click()
        assert view.flush().shown == 3
        view.prev_button.click()
        assert view.flush().shown == 2 and view.snapshot.current is not None
        assert view.snapshot.current.seed == 2
        view.reset_button.click()
        assert view.flush().shown == 0 and "按 <b>下一步</b> 从头回放" in view.detail.value
        last = view.step_to("Running", timeout=5)
        assert last.dst == "etcd" and view.flush().shown == len(view.snapshot.steps)
    finally:
        view.close()


def test_step_mode_gates_the_kubelet(cluster: Cluster) -> None:
    view = FlowView(cluster, step=True)
    try:
        assert cluster.flow.step_mode
        cluster.apply(POD)  # the notebook's thread is exempt: this returns
        seen = view.step_to(lambda s: s.dst.startswith("kubelet/"), timeout=20)
        node = seen.node
        assert cluster.get("pod/web")["spec"]["nodeName"] == node
        assert containers_of(cluster, "web") == {}  # the kubelet waits for 下一步
        view.step_to("create sandbox", timeout=20)
        assert "web" not in containers_of(cluster, "web")  # only the pause container so far
        started = view.step_to("start container", timeout=20)
        assert containers_of(cluster, "web")["web"][:12] == started.container_id
        assert started.node == node
        final = view.finish(timeout=20)
        assert final.complete and final.steps[-1].phase == "Running"
        assert "流程结束" in view.status.value
    finally:
        view.close()
    assert not cluster.flow.step_mode and cluster.flow.step_filter is None
    cluster.wait("pod/web", "Ready", timeout=30)


def test_step_mode_waits_while_nobody_presses(cluster: Cluster) -> None:
    view = FlowView(cluster, step=True)
    try:
        cluster.apply(POD)
        view.step_to(lambda s: s.dst == "etcd", timeout=10)
        # nothing pressed: the scheduler is held before its watch event; wait on that condition
        snap = view.flush()
        assert snap.shown == 2 and len(snap.steps) == 2 and not snap.waiting
        assert cluster.get("pod/web")["spec"].get("nodeName") is None
        view.next_button.click()  # one press, one step
        view.step_to(lambda s: s.dst == "scheduler", timeout=10)
        assert view.flush().shown == 3
    finally:
        view.close()


def test_delete_flow_graceful_termination_and_endpoints(cluster: Cluster) -> None:
    cluster.apply([POD, SERVICE])
    cluster.wait("pod/web", "Ready", timeout=30)
    # the endpoints controllers must have added the Pod, or its deletion has nothing to remove
    eventually(lambda: any(a.get("targetRef", {}).get("name") == "web"
                           for ss in cluster.get("endpoints/web").get("subsets") or []
                           for a in ss.get("addresses") or []), what="the Pod in the Service's endpoints",
               ignore=NotFound)
    ids = containers_of(cluster, "web")
    view = FlowView(cluster, step=True)
    try:
        cluster.delete("pod/web")
        final = view.finish(timeout=60)
    finally:
        view.close()
    steps = final.steps
    assert final.mode == "delete" and final.complete
    assert steps[0].action.startswith("DELETE") and steps[0].seed == 1
    assert steps[1].dst == "etcd" and "deletionTimestamp" in steps[1].text and steps[1].seed == 2
    stop = next(s for s in steps if s.action.startswith("stop container"))
    assert stop.container_id == ids["web"][:12] and "SIGTERM" in stop.text and "宽限期" in stop.text
    endpoint_writes = [s for s in steps if s.kind in ("Endpoints", "EndpointSlice") and s.dst == "apiserver"]
    assert endpoint_writes and all(s.src == "controller-manager" for s in endpoint_writes)
    assert steps[-1].dst == "etcd" and steps[-1].action.startswith("DELETE") and steps[-1].seed == 7
    assert steps.index(stop) < len(steps) - 1
    with pytest.raises(Exception, match="not found"):
        cluster.get("pod/web")
    assert containers_of(cluster, "web") == {}


def test_deployment_flow_controllers_come_before_the_scheduler(cluster: Cluster) -> None:
    view = FlowView(cluster, step=True, follow="deployment/shop")
    try:
        cluster.apply(deployment(2))
        final = view.finish(timeout=60)
    finally:
        view.close()
    steps = final.steps
    assert final.target == "deployment/shop" and final.complete
    kinds = [(s.src, s.kind) for s in steps if s.dst == "apiserver" and s.action.startswith("POST")]
    assert kinds[0] == ("kubectl", "Deployment") and kinds[1] == ("controller-manager", "ReplicaSet")
    pod_posts = [i for i, s in enumerate(steps) if s.src == "controller-manager" and s.kind == "Pod"]
    first_filter = next(i for i, s in enumerate(steps) if s.role == "filter")
    assert len(pod_posts) == 2 and pod_posts[0] < first_filter  # the seed's step 6 happens before 4–5
    running = {s.name for s in steps if s.phase == "Running"}
    pods = {p["metadata"]["name"] for p in cluster.get("pods", selector="app=shop")}
    assert running == pods and len(pods) == 2
    for p in cluster.get("pods", selector="app=shop"):
        start = next(s for s in steps if s.name == p["metadata"]["name"] and s.action.startswith("start container"))
        assert start.node == p["spec"]["nodeName"]
        assert start.container_id == containers_of(cluster, p["metadata"]["name"])["web"][:12]


def test_filter_follows_the_first_kubectl_write_and_rejects_other_kinds() -> None:
    with pytest.raises(ValueError, match="Pod、Deployment 或 ReplicaSet"):
        FlowFilter("service/web")
    f = FlowFilter()
    assert f.root_kind == "" and not f.complete


def test_deployment_delete_cascades_through_the_garbage_collector(cluster: Cluster) -> None:
    cluster.apply(deployment(2))
    cluster.wait("deployment/shop", "Available", timeout=30)
    pods = {p["metadata"]["name"] for p in cluster.get("pods", selector="app=shop")}
    view = FlowView(cluster, step=True)
    try:
        cluster.delete("deployment/shop")
        final = view.finish(timeout=60)
    finally:
        view.close()
    steps = final.steps
    assert final.mode == "delete" and final.complete
    gc = [s for s in steps if s.src == "controller-manager" and s.action.startswith("DELETE")]
    assert {s.kind for s in gc} == {"ReplicaSet", "Pod"} and {s.name for s in gc if s.kind == "Pod"} == pods
    graceful = [s for s in steps if s.dst == "etcd" and "deletionTimestamp" in s.text]
    assert {s.name for s in graceful} == pods
    removed = {s.name for s in steps if s.dst == "etcd" and s.action.startswith("DELETE") and s.kind == "Pod"}
    assert removed == pods
    assert cluster.get("pods", selector="app=shop") == []
