"""The DaemonSet controller against a real apiserver, the test playing the scheduler and kubelets."""

from __future__ import annotations

import pytest
from test_controllers_support import Harness, stale_read_round, wait_for

from k8sedu.api import meta
from k8sedu.controllers.daemonset import (
    DaemonSetController,
    node_should_run_daemon_pod,
    target_node_name,
)


def daemonset(name: str = "agent", image: str = "k8sedu/busybox", **spec) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "c", "image": image}]}},
                 **spec},
    }


@pytest.fixture
def h():
    harness = Harness().start()
    for n in ("node-1", "node-2", "node-3"):
        harness.add_node(n)
    yield harness
    harness.stop()


def _ds_pods(h: Harness) -> list[dict]:
    return [p for p in h.pods() if (meta.controller_ref(p) or {}).get("kind") == "DaemonSet"]


def _by_node(h: Harness) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in _ds_pods(h):
        out.setdefault(target_node_name(p), []).append(p["metadata"]["name"])
    return out


def _schedule_and_ready(h: Harness) -> None:
    for p in _ds_pods(h):
        if not p["spec"].get("nodeName"):
            h.bind(p, target_node_name(p))
        if not meta.pod_is_ready(p):
            h.make_ready(p)


def test_one_pod_per_node_with_node_affinity_and_tolerations(h):
    created = h.admin.create("daemonsets", daemonset(), "default")
    assert created["spec"]["updateStrategy"] == {"type": "RollingUpdate",
                                                 "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    wait_for(lambda: sorted(_by_node(h)) == ["node-1", "node-2", "node-3"], "a pod per node")
    h.settle()
    assert all(len(v) == 1 for v in _by_node(h).values())
    pod = _ds_pods(h)[0]
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"][0]["matchFields"][0]["key"] == "metadata.name"
    keys = {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]}
    assert ("node.kubernetes.io/unschedulable", "NoSchedule") in keys
    assert ("node.kubernetes.io/not-ready", "NoExecute") in keys
    assert pod["metadata"]["labels"]["controller-revision-hash"]
    revs = h.admin.items("controllerrevisions", "default")
    assert [r["revision"] for r in revs] == [1]
    assert revs[0]["metadata"]["name"] == f"agent-{pod['metadata']['labels']['controller-revision-hash']}"
    _schedule_and_ready(h)
    st = wait_for(lambda: (h.get("daemonsets", "agent")["status"].get("numberAvailable") == 3
                           and h.get("daemonsets", "agent")["status"]), "3 available")
    assert st["desiredNumberScheduled"] == 3 and st["currentNumberScheduled"] == 3
    assert st["numberReady"] == 3 and st["updatedNumberScheduled"] == 3 and st["observedGeneration"] == 1
    assert "numberUnavailable" not in st


def test_follows_nodes_added_removed_cordoned_and_tainted(h):
    h.admin.create("daemonsets", daemonset(), "default")
    wait_for(lambda: len(_by_node(h)) == 3, "3 pods")
    h.add_node("node-4")
    wait_for(lambda: "node-4" in _by_node(h), "a pod on the new node")
    node = h.admin.get("nodes", "node-2")
    node.setdefault("spec", {})["unschedulable"] = True  # cordon: the Pod tolerates it and stays
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
    h.admin.update("nodes", node)
    h.settle()
    assert "node-2" in _by_node(h)
    node = h.admin.get("nodes", "node-3")
    node.setdefault("spec", {})["taints"] = [{"key": "dedicated", "value": "db", "effect": "NoExecute"}]
    h.admin.update("nodes", node)
    wait_for(lambda: "node-3" not in _by_node(h), "the pod evicted from the NoExecute-tainted node")
    h.admin.delete("nodes", "node-4")
    wait_for(lambda: "node-4" not in _by_node(h), "the pod of the deleted node removed")
    assert sorted(_by_node(h)) == ["node-1", "node-2"]


def test_node_selector_limits_the_nodes():
    ds = daemonset()
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "ssd"}
    ssd = {"metadata": {"name": "a", "labels": {"disk": "ssd"}}, "spec": {}}
    hdd = {"metadata": {"name": "b", "labels": {"disk": "hdd"}}, "spec": {}}
    tainted = {"metadata": {"name": "c", "labels": {"disk": "ssd"}},
               "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}}
    assert node_should_run_daemon_pod(ssd, ds) == (True, True)
    assert node_should_run_daemon_pod(hdd, ds) == (False, False)
    assert node_should_run_daemon_pod(tainted, ds) == (False, True)  # NoSchedule: a running Pod stays


def test_rolling_update_replaces_one_pod_at_a_time(h):
    h.admin.create("daemonsets", daemonset(), "default")
    wait_for(lambda: len(_ds_pods(h)) == 3, "3 pods")
    _schedule_and_ready(h)
    wait_for(lambda: h.get("daemonsets", "agent")["status"].get("numberAvailable") == 3, "3 available")
    old = {p["metadata"]["name"] for p in _ds_pods(h)}
    ds = h.admin.get("daemonsets", "agent")
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "k8sedu/busybox:v2"
    h.admin.update("daemonsets", ds, "default")
    seen_unavailable = 0
    for _ in range(3):
        h.settle()
        pods = _ds_pods(h)
        not_ready = [p for p in pods if not meta.pod_is_ready(p)]
        seen_unavailable = max(seen_unavailable, 3 - (len(pods) - len(not_ready)))
        assert 3 - (len(pods) - len(not_ready)) <= 1
        _schedule_and_ready(h)
    wait_for(lambda: h.get("daemonsets", "agent")["status"].get("updatedNumberScheduled") == 3
             and h.get("daemonsets", "agent")["status"].get("numberAvailable") == 3, "all updated")
    assert not old & {p["metadata"]["name"] for p in _ds_pods(h)}
    assert sorted(r["revision"] for r in h.admin.items("controllerrevisions", "default")) == [1, 2]


def test_rollout_history_and_undo_use_controller_revisions(h):
    from k8sedu.kubectl.verbs import Kubectl

    k = Kubectl(h.admin, h.clock)
    h.admin.create("daemonsets", daemonset(), "default")
    wait_for(lambda: len(_ds_pods(h)) == 3, "3 pods")
    _schedule_and_ready(h)
    k.run("set image ds/agent c=k8sedu/busybox:v2")
    wait_for(lambda: len(h.admin.items("controllerrevisions", "default")) == 2, "a second revision")
    assert k.run("rollout history ds/agent") == (
        "daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n")
    assert "k8sedu/busybox:v2" in k.run("rollout history ds/agent --revision=2")
    assert k.run("rollout undo ds/agent") == "daemonset.apps/agent rolled back\n"
    ds = h.admin.get("daemonsets", "agent")
    assert ds["spec"]["template"]["spec"]["containers"][0]["image"] == "k8sedu/busybox"
    # going back makes no new revision: revision 1 becomes revision 3
    wait_for(lambda: sorted(r["revision"] for r in h.admin.items("controllerrevisions", "default")) == [2, 3],
             "revision 1 renumbered 3")
    assert k.run("rollout undo ds/agent --to-revision=3") == (
        "daemonset.apps/agent skipped rollback (current template already matches revision 3)\n")



def test_a_pod_arriving_between_the_cache_read_and_the_expectations_check_is_not_made_twice():
    # the cause of three Pods on one node in a maxSurge rollout (CI): the controller saw its
    # expectations met by a Pod missing from the list it had just read, and made another
    h = Harness()
    for n in ("node-1", "node-2", "node-3"):
        h.add_node(n)
    h.admin.create("daemonsets", daemonset(), "default")
    stale_read_round(lambda client, informers: DaemonSetController(client, informers), h, "default/agent")
    assert len(h.messages("SuccessfulCreate")) == 3
    assert sorted(_by_node(h)) == ["node-1", "node-2", "node-3"] and all(len(v) == 1 for v in _by_node(h).values())
