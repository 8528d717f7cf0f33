"""The Deployment controller (with the ReplicaSet controller) against a real apiserver."""

from __future__ import annotations

import pytest
from test_controllers_support import Harness, deployment, wait_for

from k8sedu.api import meta
from k8sedu.clock import FakeClock
from k8sedu.controllers import deploymentutil as du

REV = "deployment.kubernetes.io/revision"


@pytest.fixture
def h():
    harness = Harness().start()
    yield harness
    harness.stop()


def _image(obj: dict) -> str:
    spec = obj["spec"]["template"]["spec"] if obj.get("kind") != "Pod" else obj["spec"]
    return spec["containers"][0]["image"]


def _rs_by_image(h: Harness, image: str) -> dict | None:
    return next((rs for rs in h.replicasets() if _image(rs) == image), None)


def _set_image(h: Harness, name: str, image: str, **annotations: str) -> None:
    d = h.get("deployments", name)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = image
    if annotations:
        d["metadata"].setdefault("annotations", {}).update(annotations)
    h.admin.update("deployments", d, "default")


def _complete(h: Harness, name: str = "web") -> bool:
    d = h.get("deployments", name)
    st = d.get("status") or {}
    want = d["spec"]["replicas"]
    prog = du.get_condition(st, "Progressing") or {}
    return (st.get("observedGeneration") == d["metadata"]["generation"] and st.get("updatedReplicas", 0) == want
            and st.get("replicas", 0) == want and st.get("availableReplicas", 0) == want
            and prog.get("reason") == "NewReplicaSetAvailable")


def _roll_to_completion(h: Harness, name: str = "web") -> None:
    """Play the kubelet: make Pods ready as they come, until the rollout is complete."""
    def step() -> bool:
        h.make_all_ready()
        return _complete(h, name)
    wait_for(step, f"deployment {name} to complete its rollout")


def _quiescent(h: Harness, name: str = "web") -> bool:
    """Nothing left to do: every status is fresh and the controllers are idle."""
    if not h.idle():
        return False
    d = h.get("deployments", name)
    if (d.get("status") or {}).get("observedGeneration") != d["metadata"]["generation"]:
        return False
    rss = [rs for rs in h.replicasets() if (meta.controller_ref(rs) or {}).get("uid") == d["metadata"]["uid"]]
    pods = h.pods()
    for rs in rss:
        st = rs.get("status") or {}
        mine = [p for p in pods if (meta.controller_ref(p) or {}).get("uid") == rs["metadata"]["uid"]]
        ready = sum(1 for p in mine if meta.pod_is_ready(p))
        if (st.get("observedGeneration") != rs["metadata"]["generation"] or st.get("replicas", 0) != len(mine)
                or len(mine) != rs["spec"]["replicas"] or st.get("readyReplicas", 0) != ready):
            return False
    st = d.get("status") or {}
    return (st.get("replicas", 0) == du.sum_status(rss, "replicas")
            and st.get("readyReplicas", 0) == du.sum_status(rss, "readyReplicas")
            and st.get("availableReplicas", 0) == du.sum_status(rss, "availableReplicas")) and h.idle()


def _settled(h: Harness, name: str = "web") -> None:
    wait_for(lambda: _quiescent(h, name) and _quiescent(h, name), f"deployment {name} to settle")


def test_deployment_creates_a_replicaset_and_pods_and_becomes_available(h):
    d = h.admin.create("deployments", deployment(replicas=3, **{}), "default")
    rs = wait_for(lambda: h.replicasets() and h.replicasets()[0], "a ReplicaSet")
    pod_hash = meta.pod_template_hash(d["spec"]["template"])
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["metadata"]["labels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["spec"]["selector"] == {"matchLabels": {"app": "web", "pod-template-hash": pod_hash}}
    assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    assert rs["metadata"]["annotations"] == {REV: "1", du.DESIRED_REPLICAS: "3", du.MAX_REPLICAS: "4"}
    pods = wait_for(lambda: len(h.pods()) == 3 and h.pods(), "3 pods")
    assert all(p["metadata"]["name"].startswith(f"web-{pod_hash}-") for p in pods)
    assert all(p["metadata"]["labels"]["pod-template-hash"] == pod_hash for p in pods)
    h.settle()
    st = h.get("deployments", "web")["status"]
    avail = du.get_condition(st, "Available")
    assert avail is not None and avail["status"] == "False"
    assert avail["reason"] == "MinimumReplicasUnavailable"
    assert avail["message"] == "Deployment does not have minimum availability."
    _roll_to_completion(h)
    d = h.get("deployments", "web")
    assert d["metadata"]["annotations"][REV] == "1"
    st = d["status"]
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"], st["availableReplicas"]) == (3, 3, 3, 3)
    assert "unavailableReplicas" not in st
    avail = du.get_condition(st, "Available")
    assert (avail["status"], avail["reason"], avail["message"]) == (
        "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    prog = du.get_condition(st, "Progressing")
    assert (prog["status"], prog["reason"], prog["message"]) == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "web-{pod_hash}" has successfully progressed.')
    assert h.messages("ScalingReplicaSet") == [f"Scaled up replica set web-{pod_hash} from 0 to 3"]
    event = h.events("ScalingReplicaSet")[0]
    assert event["involvedObject"]["kind"] == "Deployment"
    assert event["source"]["component"] == "deployment-controller"


def test_rolling_update_stays_within_max_surge_and_max_unavailable(h):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    h.admin.create("deployments", deployment(replicas=4, strategy=strategy), "default")
    _roll_to_completion(h)
    old = _rs_by_image(h, "k8sedu/web:v1")

    def spec_budget() -> None:  # the controller's own guarantee, at every moment observed
        total = sum(rs["spec"]["replicas"] for rs in h.replicasets())
        assert total <= 5, f"ReplicaSets ask for {total} > replicas + maxSurge"

    _set_image(h, "web", "k8sedu/web:v2", **{du.CHANGE_CAUSE: "kubectl set image deployment/web web=v2"})
    new = wait_for(lambda: _rs_by_image(h, "k8sedu/web:v2"), "the new ReplicaSet", check=spec_budget)
    steps = 0
    while True:
        wait_for(lambda: _quiescent(h) and _quiescent(h), "the rollout to settle", check=spec_budget)
        pods = h.pods()
        ready = [p for p in pods if meta.pod_is_ready(p)]
        assert len(pods) <= 4 + 1, f"{len(pods)} pods > replicas + maxSurge"
        assert len(ready) >= 4 - 1, f"only {len(ready)} available < replicas - maxUnavailable"
        if _complete(h):
            break
        waiting = [p for p in pods if not meta.pod_is_ready(p)]
        assert waiting, "the rollout is stuck with nothing left to become ready"
        h.make_ready(waiting[0])  # one new Pod becomes Ready: the rollout may take one more step
        steps += 1
        assert steps < 20
    assert steps >= 3  # it really went step by step
    old, new = h.get("replicasets", old["metadata"]["name"]), h.get("replicasets", new["metadata"]["name"])
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (0, 4)
    assert all(_image(p) == "k8sedu/web:v2" for p in h.pods())
    assert new["metadata"]["annotations"][REV] == "2"
    assert new["metadata"]["annotations"][du.CHANGE_CAUSE] == "kubectl set image deployment/web web=v2"
    assert h.get("deployments", "web")["metadata"]["annotations"][REV] == "2"
    msgs = h.messages("ScalingReplicaSet")
    assert f"Scaled up replica set {new['metadata']['name']} from 0 to 1" in msgs
    assert f"Scaled down replica set {old['metadata']['name']} from 4 to 3" in msgs
    assert f"Scaled down replica set {old['metadata']['name']} from 1 to 0" in msgs


def test_rollback_reuses_the_old_replicaset_with_a_new_revision(h):
    h.admin.create("deployments", deployment(replicas=2), "default")
    _roll_to_completion(h)
    _set_image(h, "web", "k8sedu/web:v2")
    _roll_to_completion(h)
    v1 = _rs_by_image(h, "k8sedu/web:v1")
    assert v1["metadata"]["annotations"][REV] == "1" and v1["spec"]["replicas"] == 0
    # `kubectl rollout undo` (1.32): copy the old ReplicaSet's template, minus the hash label
    template = meta.deep_copy(v1["spec"]["template"])
    del template["metadata"]["labels"]["pod-template-hash"]
    d = h.get("deployments", "web")
    d["spec"]["template"] = template
    h.admin.update("deployments", d, "default")
    _roll_to_completion(h)
    assert len(h.replicasets()) == 2  # no third ReplicaSet: the old one came back
    v1 = h.get("replicasets", v1["metadata"]["name"])
    v2 = _rs_by_image(h, "k8sedu/web:v2")
    assert v1["spec"]["replicas"] == 2 and v2["spec"]["replicas"] == 0
    assert v1["metadata"]["annotations"][REV] == "3"
    assert v1["metadata"]["annotations"][du.REVISION_HISTORY] == "1"
    assert h.get("deployments", "web")["metadata"]["annotations"][REV] == "3"
    assert all(_image(p) == "k8sedu/web:v1" for p in h.pods())


def test_recreate_waits_for_old_pods_to_be_gone(h):
    h.admin.create("deployments", deployment(replicas=2, strategy={"type": "Recreate"}), "default")
    _roll_to_completion(h)
    old_pods = h.pods()
    for pod in old_pods:  # scheduled Pods terminate gracefully: they linger until the kubelet is done
        h.bind(pod, "node-1")
    _set_image(h, "web", "k8sedu/web:v2")
    old = _rs_by_image(h, "k8sedu/web:v1")
    wait_for(lambda: h.get("replicasets", old["metadata"]["name"])["spec"]["replicas"] == 0, "old RS scaled to 0")
    wait_for(lambda: all(h.get("pods", p["metadata"]["name"])["metadata"].get("deletionTimestamp")
                         for p in old_pods), "old pods terminating")
    h.settle()
    assert _rs_by_image(h, "k8sedu/web:v2") is None, "new ReplicaSet created while old pods still run"
    for pod in old_pods:
        h.finish(pod)
    new = wait_for(lambda: _rs_by_image(h, "k8sedu/web:v2"), "the new ReplicaSet")
    assert new["metadata"]["annotations"][REV] == "2"
    _roll_to_completion(h)
    assert h.get("replicasets", new["metadata"]["name"])["spec"]["replicas"] == 2
    msgs = h.messages("ScalingReplicaSet")
    assert msgs.index(f"Scaled down replica set {old['metadata']['name']} from 2 to 0") < \
        msgs.index(f"Scaled up replica set {new['metadata']['name']} from 0 to 2")


def test_scaling_3_to_5_to_2(h):
    h.admin.create("deployments", deployment(replicas=3), "default")
    _roll_to_completion(h)
    rs = h.replicasets()[0]["metadata"]["name"]
    h.admin.patch("deployments", "web", {"spec": {"replicas": 5}}, "default", subresource="scale")
    wait_for(lambda: len(h.pods()) == 5, "5 pods")
    _roll_to_completion(h)
    assert h.get("replicasets", rs)["metadata"]["annotations"][du.DESIRED_REPLICAS] == "5"
    h.admin.patch("deployments", "web", {"spec": {"replicas": 2}}, "default")
    wait_for(lambda: len(h.pods()) == 2, "2 pods")
    _roll_to_completion(h)
    assert len(h.replicasets()) == 1
    assert h.messages("ScalingReplicaSet") == [
        f"Scaled up replica set {rs} from 0 to 3",
        f"Scaled up replica set {rs} from 3 to 5",
        f"Scaled down replica set {rs} from 5 to 2",
    ]
    assert h.get("deployments", "web")["status"]["replicas"] == 2


def test_scaling_mid_rollout_is_proportional(h):
    """The documentation's example: 10 replicas, maxSurge 3, maxUnavailable 2, a rollout stuck on
    an image that never becomes ready, then scaled to 15: 3 more for the old ReplicaSet, 2 for the new."""
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    h.admin.create("deployments", deployment(replicas=10, strategy=strategy), "default")
    _roll_to_completion(h)
    _set_image(h, "web", "k8sedu/web:bad")
    _settled(h)
    old, new = _rs_by_image(h, "k8sedu/web:v1"), _rs_by_image(h, "k8sedu/web:bad")
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (8, 5)
    h.admin.patch("deployments", "web", {"spec": {"replicas": 15}}, "default")
    _settled(h)
    old, new = h.get("replicasets", old["metadata"]["name"]), h.get("replicasets", new["metadata"]["name"])
    assert (old["spec"]["replicas"], new["spec"]["replicas"]) == (11, 7)
    assert old["metadata"]["annotations"][du.MAX_REPLICAS] == "18"


def test_paused_deployment_is_not_rolled_out(h):
    h.admin.create("deployments", deployment(replicas=2), "default")
    _roll_to_completion(h)
    h.admin.patch("deployments", "web", {"spec": {"paused": True}}, "default")
    wait_for(lambda: (du.get_condition(h.get("deployments", "web")["status"], "Progressing") or {})
             .get("reason") == "DeploymentPaused", "the DeploymentPaused condition")
    _set_image(h, "web", "k8sedu/web:v2")
    h.settle()
    assert _rs_by_image(h, "k8sedu/web:v2") is None
    assert h.get("deployments", "web")["status"]["observedGeneration"] == h.get("deployments", "web")["metadata"]["generation"]
    h.admin.patch("deployments", "web", {"spec": {"paused": False}}, "default")
    wait_for(lambda: _rs_by_image(h, "k8sedu/web:v2"), "the rollout after resuming")
    _roll_to_completion(h)


def test_revision_history_limit_deletes_old_replicasets(h):
    h.admin.create("deployments", deployment(replicas=1, revisionHistoryLimit=1), "default")
    _roll_to_completion(h)
    for version in ("v2", "v3"):
        _set_image(h, "web", f"k8sedu/web:{version}")
        _roll_to_completion(h)
    wait_for(lambda: sorted(_image(rs) for rs in h.replicasets()) == ["k8sedu/web:v2", "k8sedu/web:v3"],
             "only the newest old ReplicaSet kept")


def test_progress_deadline_exceeded_on_the_cluster_clock():
    h = Harness(FakeClock()).start()
    try:
        h.admin.create("deployments", deployment(replicas=1, progressDeadlineSeconds=30), "default")
        wait_for(lambda: len(h.pods()) == 1, "a pod")
        h.settle()
        prog = du.get_condition(h.get("deployments", "web")["status"], "Progressing")
        rs = h.replicasets()[0]["metadata"]["name"]
        assert (prog["status"], prog["reason"], prog["message"]) == (
            "True", "ReplicaSetUpdated", f'ReplicaSet "{rs}" is progressing.')
        h.advance(29, step=1)
        assert du.get_condition(h.get("deployments", "web")["status"], "Progressing")["status"] == "True"
        h.advance(3, step=1)
        prog = wait_for(lambda: (c := du.get_condition(h.get("deployments", "web")["status"], "Progressing"))
                        and c["reason"] == "ProgressDeadlineExceeded" and c, "ProgressDeadlineExceeded")
        assert prog["status"] == "False"
        assert prog["message"] == f'ReplicaSet "{rs}" has timed out progressing.'
    finally:
        h.stop()



def test_a_rollout_changed_meanwhile_still_reaches_its_progress_deadline():
    """``kubectl set image`` then ``kubectl annotate`` at once: the annotation lands between the new
    ReplicaSet's creation and the NewReplicaSetCreated status write, which then conflicts. The
    condition must still be written, or the old NewReplicaSetAvailable would stay and the stuck
    rollout would never time out (lesson 10 hung on this in CI)."""
    h = Harness(FakeClock()).start()
    try:
        h.admin.create("deployments", deployment(replicas=1, progressDeadlineSeconds=30), "default")
        wait_for(lambda: len(h.pods()) == 1, "a pod")
        h.make_all_ready()
        h.settle()
        assert du.get_condition(h.get("deployments", "web")["status"], "Progressing")["reason"] == "NewReplicaSetAvailable"

        ctl = h.manager.controllers["deployment"]
        update_status = ctl._update_status

        def annotated_meanwhile(d: dict) -> None:
            created = du.get_condition(d.get("status") or {}, "Progressing")["reason"] == "NewReplicaSetCreated"
            if created and not getattr(annotated_meanwhile, "done", False):
                annotated_meanwhile.done = True  # type: ignore[attr-defined]
                h.admin.patch("deployments", "web", {"metadata": {"annotations": {du.CHANGE_CAUSE: "v2"}}}, "default")
                # as on a busy machine: by the retry, the new ReplicaSet already counts its Pod, so
                # the status goes from 1 updated replica (the old) to 1 (the new): no visible progress
                new_rs = _rs_by_image(h, "k8sedu/web:missing")
                wait_for(lambda: ((ctl.rs_informer.get(meta.key(new_rs)) or {}).get("status") or {})
                         .get("replicas") == 1, "the new ReplicaSet's Pod counted")
            update_status(d)

        ctl._update_status = annotated_meanwhile
        _set_image(h, "web", "k8sedu/web:missing")  # its Pod never gets ready
        prog = wait_for(lambda: (c := du.get_condition(h.get("deployments", "web")["status"], "Progressing"))
                        and c["reason"] in ("NewReplicaSetCreated", "ReplicaSetUpdated") and c, "a new rollout")
        assert prog["status"] == "True" and getattr(annotated_meanwhile, "done", False)
        h.settle()
        h.advance(32, step=1)
        prog = wait_for(lambda: (c := du.get_condition(h.get("deployments", "web")["status"], "Progressing"))
                        and c["reason"] == "ProgressDeadlineExceeded" and c, "ProgressDeadlineExceeded")
        assert prog["status"] == "False"
    finally:
        h.stop()


def test_a_lost_new_replicaset_condition_is_recorded_when_the_replicaset_is_found():
    """If the NewReplicaSetCreated write is lost altogether, the next sync finds the new ReplicaSet
    under a condition that names an older one as available: it records it as found, so the stuck
    rollout still reaches its progress deadline."""
    from k8sedu.errors import Conflict

    h = Harness(FakeClock()).start()
    try:
        h.admin.create("deployments", deployment(replicas=1, progressDeadlineSeconds=30), "default")
        wait_for(lambda: len(h.pods()) == 1, "a pod")
        h.make_all_ready()
        h.settle()
        ctl = h.manager.controllers["deployment"]

        def lost(d: dict, cond: dict | None) -> None:
            ctl._update_status_retrying = original  # only the first write is lost
            raise Conflict("lost")

        original = ctl._update_status_retrying
        ctl._update_status_retrying = lost
        _set_image(h, "web", "k8sedu/web:missing")
        new_rs = wait_for(lambda: _rs_by_image(h, "k8sedu/web:missing"), "the new ReplicaSet")
        prog = wait_for(lambda: (c := du.get_condition(h.get("deployments", "web")["status"], "Progressing"))
                        and c["reason"] != "NewReplicaSetAvailable" and c, "the new rollout recorded")
        assert prog["reason"] in ("FoundNewReplicaSet", "ReplicaSetUpdated"), prog
        assert new_rs["metadata"]["name"] in prog["message"]
        h.settle()
        h.advance(32, step=1)
        wait_for(lambda: du.get_condition(h.get("deployments", "web")["status"], "Progressing")["reason"]
                 == "ProgressDeadlineExceeded", "ProgressDeadlineExceeded")
    finally:
        h.stop()

# -- the arithmetic -----------------------------------------------------------------------------------
def test_surge_rounds_up_and_unavailable_rounds_down():
    assert du.scaled_value("25%", 10, True) == 3
    assert du.scaled_value("25%", 10, False) == 2
    assert du.scaled_value(2, 10, False) == 2
    assert du.resolve_fenceposts("25%", "25%", 1) == (1, 0)
    assert du.resolve_fenceposts(0, "10%", 5) == (0, 1)  # both 0 would never move: unavailable 1
    d = deployment(replicas=4, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 10}})
    assert (du.max_surge(d), du.max_unavailable(d)) == (2, 4)  # unavailable capped at replicas
    assert du.max_surge(deployment(strategy={"type": "Recreate"})) == 0


def test_revision_history_annotation_keeps_earlier_revisions():
    d = {"metadata": {"annotations": {du.CHANGE_CAUSE: "undo", du.LAST_APPLIED: "{}", REV: "9"}}, "spec": {"replicas": 2}}
    rs = {"metadata": {"annotations": {REV: "4", du.REVISION_HISTORY: "1,2"}}}
    assert du.set_new_replica_set_annotations(d, rs, "7", exists=True)
    assert rs["metadata"]["annotations"] == {REV: "7", du.REVISION_HISTORY: "1,2,4", du.CHANGE_CAUSE: "undo"}
    assert not du.set_new_replica_set_annotations(d, rs, "7", exists=True)


def test_equal_ignore_hash():
    a = {"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}, "spec": {"containers": []}}
    b = {"metadata": {"labels": {"app": "web"}}}
    assert du.equal_ignore_hash(a, b)
    assert not du.equal_ignore_hash(a, {"metadata": {"labels": {"app": "db"}}})
