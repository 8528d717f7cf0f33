"""Node lifecycle and taint-based eviction, driven on a fake cluster clock."""

from __future__ import annotations

import pytest
from test_controllers_support import Harness, wait_for

from k8sedu.api import meta
from k8sedu.clock import FakeClock
from k8sedu.controllers.nodelifecycle import NODE_MONITOR_GRACE_PERIOD
from k8sedu.controllers.tainteviction import matching_tolerations, min_toleration_time

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"


@pytest.fixture
def h():
    harness = Harness(FakeClock())
    harness.add_node("node-1")
    harness.add_node("node-2")
    harness.start()
    harness.settle()
    yield harness
    harness.stop()


def _taints(h: Harness, node: str) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in (h.get("nodes", node, None).get("spec") or {}).get("taints") or []}


def _ready(h: Harness, node: str) -> dict:
    return meta.get_condition(h.get("nodes", node, None), "Ready")


def _pod_on(h: Harness, name: str, node: str, **spec) -> dict:
    pod = h.admin.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                  "spec": {"containers": [{"name": "c", "image": "k8sedu/web:v1"}], **spec}},
                         "default")
    h.bind(pod, node)
    return h.make_ready(h.get("pods", name))


def test_silent_node_becomes_unknown_is_tainted_its_pods_evicted_and_recovers(h):
    _pod_on(h, "web-x", "node-2")
    _pod_on(h, "web-y", "node-1")
    # node-2's kubelet stops: no lease renewals. node-1 keeps renewing.
    h.advance(NODE_MONITOR_GRACE_PERIOD, step=5, renew=("node-1",))
    assert _ready(h, "node-2")["status"] == "True"  # not yet: the grace period has not passed
    h.advance(5, step=5, renew=("node-1",))  # t = 55 s > 50 s
    ready = _ready(h, "node-2")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    for cond_type in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        cond = meta.get_condition(h.get("nodes", "node-2", None), cond_type)
        assert (cond["status"], cond["reason"]) == ("Unknown", "NodeStatusNeverUpdated")
    assert _ready(h, "node-1")["status"] == "True"
    assert "Node node-2 status is now: NodeNotReady" in h.messages("NodeNotReady")
    assert meta.get_condition(h.get("pods", "web-x"), "Ready")["status"] == "False"  # MarkPodsNotReady
    assert meta.pod_is_ready(h.get("pods", "web-y"))
    h.advance(5, step=5, renew=("node-1",))  # t = 60 s: the next look sees Unknown and taints
    assert _taints(h, "node-2") == {(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")}
    assert _taints(h, "node-1") == set()
    # the Pod tolerates unreachable for 300 s (DefaultTolerationSeconds admission)
    h.advance(295, step=5, renew=("node-1",))
    assert not h.get("pods", "web-x")["metadata"].get("deletionTimestamp")
    h.advance(5, step=5, renew=("node-1",))  # t = 360 s = taint + 300 s
    evicted = h.get("pods", "web-x")
    assert evicted["metadata"].get("deletionTimestamp")
    target = meta.get_condition(evicted, "DisruptionTarget")
    assert (target["reason"], target["message"]) == ("DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint")
    assert "Marking for deletion Pod default/web-x" in h.messages("TaintManagerEviction")
    assert not h.get("pods", "web-y")["metadata"].get("deletionTimestamp")
    # the kubelet comes back: it renews its lease and posts Ready again
    h.renew("node-2")
    h.post_node_status("node-2", "True")
    h.advance(5, step=5, renew=("node-1", "node-2"))
    wait_for(lambda: _taints(h, "node-2") == set(), "the taints to be removed")
    assert _ready(h, "node-2")["status"] == "True"


def test_taint_is_cancelled_when_the_node_recovers_in_time(h):
    _pod_on(h, "web-z", "node-2")
    h.advance(65, step=5, renew=("node-1",))
    assert (UNREACHABLE, "NoExecute") in _taints(h, "node-2")
    h.renew("node-2")
    h.post_node_status("node-2", "True")
    h.advance(5, step=5, renew=("node-1", "node-2"))
    assert _taints(h, "node-2") == set()
    assert "Cancelling deletion of Pod default/web-z" in h.messages("TaintManagerEviction")
    h.advance(300, step=10, renew=("node-1", "node-2"))
    assert not h.get("pods", "web-z")["metadata"].get("deletionTimestamp")


def test_kubelet_reporting_not_ready_gives_not_ready_taints(h):
    h.post_node_status("node-2", "False")
    h.advance(5, step=5, renew=("node-1", "node-2"))
    wait_for(lambda: _taints(h, "node-2") == {(NOT_READY, "NoExecute"), (NOT_READY, "NoSchedule")},
             "the not-ready taints")
    h.post_node_status("node-2", "True")
    h.advance(5, step=5, renew=("node-1", "node-2"))
    wait_for(lambda: _taints(h, "node-2") == set(), "the taints to be removed")


def test_pod_without_toleration_is_evicted_at_once_and_one_tolerating_forever_stays(h):
    pod = _pod_on(h, "plain", "node-2")
    assert any(t["key"] == UNREACHABLE for t in pod["spec"]["tolerations"])
    forever = [{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"},
               {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute"}]
    _pod_on(h, "forever", "node-2", tolerations=forever)
    h.admin.patch("nodes", "node-2", {"spec": {"taints": [{"key": "dedicated", "value": "x", "effect": "NoExecute"}]}})
    wait_for(lambda: h.get("pods", "plain")["metadata"].get("deletionTimestamp"), "an immediate eviction")
    h.settle()
    assert h.get("pods", "forever")["metadata"].get("deletionTimestamp")  # it does not tolerate "dedicated"
    h2_taints = [{"key": UNREACHABLE, "effect": "NoExecute"}]
    assert matching_tolerations(h2_taints, forever) == (True, [forever[0]])
    assert min_toleration_time([forever[0]]) == -1
    assert min_toleration_time([{"tolerationSeconds": 30}, {"tolerationSeconds": 300}]) == 30


def test_no_eviction_when_every_node_is_down():
    """All nodes silent: upstream suspects the control plane and neither taints nor evicts."""
    h = Harness(FakeClock())
    h.add_node("solo")
    h.start()
    try:
        _pod_on(h, "web-x", "solo")
        h.advance(NODE_MONITOR_GRACE_PERIOD + 20, step=5)
        assert _ready(h, "solo")["status"] == "Unknown"
        assert (UNREACHABLE, "NoExecute") not in _taints(h, "solo")
        h.advance(400, step=20)
        assert not h.get("pods", "web-x")["metadata"].get("deletionTimestamp")
    finally:
        h.stop()
