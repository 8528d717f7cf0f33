"""The ReplicaSet controller against a real apiserver, with the test playing the kubelet."""

from __future__ import annotations

import re

import pytest
from test_controllers_support import Harness, replicaset, stale_read_round, wait_for

from k8sedu.api import meta
from k8sedu.clock import FakeClock, rfc3339
from k8sedu.controllers import ControllerExpectations
from k8sedu.controllers.pods import filter_active_pods, is_pod_available, sort_for_deletion
from k8sedu.controllers.replicaset import ReplicaSetController, pod_from_template


@pytest.fixture
def h():
    harness = Harness().start()
    yield harness
    harness.stop()


def _rs_pods(h: Harness, rs: str = "web") -> list[dict]:
    return [p for p in h.pods() if (meta.controller_ref(p) or {}).get("name") == rs]


def test_creates_pods_named_after_the_replicaset_with_a_controller_reference(h):
    rs = h.admin.create("replicasets", replicaset(replicas=3), "default")
    pods = wait_for(lambda: len(_rs_pods(h)) == 3 and _rs_pods(h), "3 pods")
    for pod in pods:
        assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{5}", pod["metadata"]["name"])
        assert pod["metadata"]["generateName"] == "web-"
        assert pod["metadata"]["labels"] == {"app": "web"}
        assert pod["metadata"]["ownerReferences"] == [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": rs["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True,
        }]
    status = wait_for(lambda: (h.get("replicasets", "web") or {}).get("status", {}).get("replicas") == 3
                      and h.get("replicasets", "web")["status"], "status.replicas 3")
    assert status["observedGeneration"] == 1
    assert status["fullyLabeledReplicas"] == 3
    assert "readyReplicas" not in status  # omitempty, as upstream: none is ready yet
    created = wait_for(lambda: len(h.messages("SuccessfulCreate")) == 3 and h.messages("SuccessfulCreate"),
                       "3 SuccessfulCreate events")
    assert sorted(created) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)
    event = h.events("SuccessfulCreate")[0]
    assert event["source"]["component"] == "replicaset-controller"
    assert event["involvedObject"]["kind"] == "ReplicaSet"


def test_replaces_a_deleted_pod_and_a_failed_pod(h):
    h.admin.create("replicasets", replicaset(replicas=2), "default")
    first = wait_for(lambda: len(_rs_pods(h)) == 2 and _rs_pods(h), "2 pods")
    victim = first[0]["metadata"]["name"]
    h.admin.delete("pods", victim, "default")
    after = wait_for(lambda: len(_rs_pods(h)) == 2 and victim not in {p["metadata"]["name"] for p in _rs_pods(h)}
                     and _rs_pods(h), "a replacement pod")
    failed = after[0]
    status = dict(failed["status"], phase="Failed")
    h.admin.update_status("pods", dict(failed, status=status))
    wait_for(lambda: len(_rs_pods(h)) == 2
             and failed["metadata"]["name"] not in {p["metadata"]["name"] for p in _rs_pods(h)},
             "a replacement for the failed pod")
    # the Failed pod stays (pod GC removes terminated pods later) but is not counted
    assert h.get("pods", failed["metadata"]["name"])["status"]["phase"] == "Failed"
    wait_for(lambda: h.get("replicasets", "web")["status"]["replicas"] == 2, "status.replicas 2")


def test_terminating_pods_do_not_count(h):
    h.admin.create("replicasets", replicaset(replicas=2), "default")
    pods = wait_for(lambda: len(_rs_pods(h)) == 2 and _rs_pods(h), "2 pods")
    h.bind(pods[0], "node-1")  # a bound pod terminates gracefully (30 s), so it lingers
    h.admin.delete("pods", pods[0]["metadata"]["name"], "default")
    lingering = h.get("pods", pods[0]["metadata"]["name"])
    assert lingering["metadata"]["deletionTimestamp"]
    wait_for(lambda: len(_rs_pods(h)) == 2 and pods[0]["metadata"]["name"] not in
             {p["metadata"]["name"] for p in _rs_pods(h)}, "a replacement while the old pod terminates")
    assert h.get("pods", pods[0]["metadata"]["name"]) is not None  # still there, terminating


def test_scale_down_deletes_unassigned_and_not_ready_pods_first(h):
    h.admin.create("replicasets", replicaset(replicas=4), "default")
    pods = wait_for(lambda: len(_rs_pods(h)) == 4 and _rs_pods(h), "4 pods")
    names = [p["metadata"]["name"] for p in pods]
    # names[0], names[1]: scheduled and Ready; names[2]: scheduled, not ready; names[3]: unscheduled
    for name in names[:3]:
        h.bind(h.get("pods", name), "node-1")
    for name in names[:2]:
        h.make_ready(h.get("pods", name))
    wait_for(lambda: h.get("replicasets", "web")["status"].get("readyReplicas") == 2, "2 ready")
    h.admin.patch("replicasets", "web", {"spec": {"replicas": 2}}, "default", subresource="scale")
    wait_for(lambda: sorted(p["metadata"]["name"] for p in _rs_pods(h)) == sorted(names[:2]),
             "the two ready pods to remain")
    deleted = wait_for(lambda: len(h.messages("SuccessfulDelete")) == 2 and h.messages("SuccessfulDelete"),
                       "2 SuccessfulDelete events")
    assert sorted(deleted) == sorted(f"Deleted pod: {n}" for n in names[2:])


def test_adopts_orphans_and_releases_pods_that_stop_matching(h):
    orphan = h.admin.create("pods", {"apiVersion": "v1", "kind": "Pod",
                                     "metadata": {"name": "stray", "labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox"}]}}, "default")
    # Running and Ready: if the ReplicaSet makes its 2 Pods before it sees the orphan, it deletes
    # one surplus Pod, and upstream's ranking deletes a Pending new one rather than this one
    h.make_ready(orphan)
    rs = h.admin.create("replicasets", replicaset(replicas=2), "default")
    adopted = wait_for(lambda: (meta.controller_ref(h.get("pods", "stray")) or {}).get("uid") == rs["metadata"]["uid"],
                       "the orphan to be adopted")
    assert adopted
    wait_for(lambda: len(_rs_pods(h)) == 2, "2 pods including the adopted one")
    assert orphan["metadata"]["uid"] == h.get("pods", "stray")["metadata"]["uid"]
    # relabel it: the ReplicaSet releases it and makes a new one
    h.admin.patch("pods", "stray", {"metadata": {"labels": {"app": "other"}}}, "default")
    wait_for(lambda: meta.controller_ref(h.get("pods", "stray")) is None, "the pod to be released")
    wait_for(lambda: len(_rs_pods(h)) == 2 and "stray" not in {p["metadata"]["name"] for p in _rs_pods(h)},
             "a replacement for the released pod")


def test_status_ready_and_available_with_min_ready_seconds():
    clock = FakeClock()
    h = Harness(clock).start()
    try:
        h.admin.create("replicasets", replicaset(replicas=2, minReadySeconds=10), "default")
        pods = wait_for(lambda: len(_rs_pods(h)) == 2 and _rs_pods(h), "2 pods")
        for pod in pods:
            h.make_ready(pod)
        st = wait_for(lambda: h.get("replicasets", "web")["status"].get("readyReplicas") == 2
                      and h.get("replicasets", "web")["status"], "2 ready")
        h.settle()
        assert "availableReplicas" not in h.get("replicasets", "web")["status"]
        assert st["replicas"] == 2
        h.advance(11, step=1)
        wait_for(lambda: h.get("replicasets", "web")["status"].get("availableReplicas") == 2, "2 available")
    finally:
        h.stop()


# -- unit tests of the pieces -----------------------------------------------------------------------
def _pod(name: str, node: str = "", phase: str = "Running", ready: bool | None = None, created: float = 1000.0,
         ready_since: float = 1000.0, restarts: int = 0, uid: str | None = None) -> dict:
    pod = {"metadata": {"name": name, "uid": uid or name, "creationTimestamp": rfc3339(created)},
           "spec": {"nodeName": node} if node else {},
           "status": {"phase": phase, "containerStatuses": [{"name": "c", "restartCount": restarts}]}}
    if ready is not None:
        pod["status"]["conditions"] = [{"type": "Ready", "status": "True" if ready else "False",
                                        "lastTransitionTime": rfc3339(ready_since)}]
    return pod


def test_deletion_order_follows_upstream_ranking():
    now = 100_000.0
    pods = [
        _pod("old-ready", "n1", ready=True, created=now - 10_000, ready_since=now - 10_000),
        _pod("new-ready", "n1", ready=True, created=now - 10, ready_since=now - 10),
        _pod("running-not-ready", "n1", ready=False),
        _pod("unknown", "n1", phase="Unknown"),
        _pod("pending", "n1", phase="Pending"),
        _pod("unassigned", "", phase="Pending"),
    ]
    order = [p["metadata"]["name"] for p in sort_for_deletion(pods, None, now)]
    assert order == ["unassigned", "pending", "unknown", "running-not-ready", "new-ready", "old-ready"]


def test_deletion_order_prefers_doubled_up_pods_restarts_and_cost():
    now = 100_000.0
    a = _pod("a", "n1", ready=True, ready_since=now - 100, created=now - 100)
    b = _pod("b", "n2", ready=True, ready_since=now - 100, created=now - 100)
    assert [p["metadata"]["name"] for p in sort_for_deletion([b, a], [1, 3], now)] == ["a", "b"]
    c = _pod("c", "n1", ready=True, ready_since=now - 100, created=now - 100, restarts=5)
    assert [p["metadata"]["name"] for p in sort_for_deletion([b, c], [1, 1], now)] == ["c", "b"]
    b["metadata"]["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": "-5"}
    assert [p["metadata"]["name"] for p in sort_for_deletion([c, b], [1, 1], now)] == ["b", "c"]


def test_available_needs_ready_for_min_ready_seconds():
    pod = _pod("p", "n1", ready=True, ready_since=1000.0)
    assert is_pod_available(pod, 0, 1000.0)
    assert not is_pod_available(pod, 10, 1010.0)
    assert is_pod_available(pod, 10, 1010.5)
    assert not is_pod_available(_pod("q", ready=False), 0, 2000.0)
    terminating = _pod("t")
    terminating["metadata"]["deletionTimestamp"] = rfc3339(1.0)
    assert filter_active_pods([terminating, _pod("f", phase="Failed"), _pod("ok")]) == [_pod("ok")]


def test_expectations_block_until_observed_and_expire():
    clock = FakeClock()
    exp = ControllerExpectations(clock)
    assert exp.satisfied("default/web")
    exp.expect_creations("default/web", 2)
    assert not exp.satisfied("default/web")
    exp.creation_observed("default/web")
    assert not exp.satisfied("default/web")
    exp.creation_observed("default/web")
    assert exp.satisfied("default/web")
    exp.expect_deletions("default/web", ["default/a", "default/b"])
    exp.deletion_observed("default/web", "default/a")
    exp.deletion_observed("default/web", "default/a")  # counted once, whether update or delete
    assert exp.get("default/web") == (0, 1)
    assert not exp.satisfied("default/web")
    clock.advance(301)
    assert exp.satisfied("default/web")  # expired: a lost event must not block forever


def test_pod_from_template_copies_labels_annotations_and_spec():
    rs = {"metadata": {"name": "web-7d4b9", "namespace": "default", "uid": "u1"}}
    template = {"metadata": {"labels": {"app": "web"}, "annotations": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]}}
    pod = pod_from_template(template, rs, {"uid": "u1", "controller": True})
    assert pod["metadata"] == {"generateName": "web-7d4b9-", "labels": {"app": "web"}, "annotations": {"a": "b"},
                               "ownerReferences": [{"uid": "u1", "controller": True}]}
    assert pod["spec"] == template["spec"] and pod["spec"] is not template["spec"]


def test_a_pod_arriving_between_the_cache_read_and_the_expectations_check_is_not_made_twice():
    # upstream reads the expectations before the Pod cache (see the DaemonSet and Job tests)
    h = Harness()
    h.admin.create("replicasets", replicaset(replicas=3), "default")
    stale_read_round(lambda client, informers: ReplicaSetController(client, informers), h, "default/web")
    assert len(h.messages("SuccessfulCreate")) == 3 and len(h.pods()) == 3
