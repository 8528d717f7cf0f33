"""The StatefulSet controller against a real apiserver, the test playing the scheduler and kubelet."""

from __future__ import annotations

import pytest
from test_controllers_support import Harness, wait_for

from k8sedu.api import meta


def statefulset(name: str = "web", replicas: int = 3, image: str = "k8sedu/web:v1", **spec) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
        "spec": {"replicas": replicas, "serviceName": name,
                 "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "web", "image": image,
                                                       "volumeMounts": [{"name": "www", "mountPath": "/data"}]}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "www"},
                                           "spec": {"accessModes": ["ReadWriteOnce"],
                                                    "resources": {"requests": {"storage": "1Gi"}}}}],
                 **spec},
    }


@pytest.fixture
def h():
    harness = Harness().start()
    yield harness
    harness.stop()


def _names(h: Harness) -> list[str]:
    return sorted(p["metadata"]["name"] for p in h.pods())


def _ready(h: Harness, name: str) -> None:
    pod = h.get("pods", name)
    if not pod["spec"].get("nodeName"):
        h.bind(pod, "node-1")
    h.make_ready(pod)


def test_ordered_ready_starts_one_at_a_time_with_identity_and_claims(h):
    created = h.admin.create("statefulsets", statefulset(), "default")
    assert created["spec"]["podManagementPolicy"] == "OrderedReady"
    assert created["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    for i in range(3):
        wait_for(lambda i=i: _names(h) == [f"web-{j}" for j in range(i + 1)], f"web-0..web-{i}")
        h.settle()
        assert _names(h) == [f"web-{j}" for j in range(i + 1)]  # web-(i+1) waits for web-i
        pod = h.get("pods", f"web-{i}")
        assert pod["spec"]["hostname"] == f"web-{i}" and pod["spec"]["subdomain"] == "web"
        assert {"name": "www", "persistentVolumeClaim": {"claimName": f"www-web-{i}"}} in pod["spec"]["volumes"]
        labels = pod["metadata"]["labels"]
        assert labels["statefulset.kubernetes.io/pod-name"] == f"web-{i}"
        assert labels["apps.kubernetes.io/pod-index"] == str(i)
        assert labels["controller-revision-hash"].startswith("web-")
        pvc = h.get("persistentvolumeclaims", f"www-web-{i}")
        assert pvc is not None and pvc["metadata"]["labels"] == {"app": "web"}
        _ready(h, f"web-{i}")
    st = wait_for(lambda: h.get("statefulsets", "web")["status"].get("readyReplicas") == 3
                  and h.get("statefulsets", "web")["status"], "3 ready")
    assert st["replicas"] == 3 and st["currentReplicas"] == 3 and st["updatedReplicas"] == 3
    assert st["currentRevision"] == st["updateRevision"] == h.get("pods", "web-0")["metadata"]["labels"][
        "controller-revision-hash"]
    msgs = h.messages("SuccessfulCreate")
    assert "create Claim www-web-0 Pod web-0 in StatefulSet web success" in msgs
    assert "create Pod web-0 in StatefulSet web successful" in msgs


def test_scale_down_from_the_highest_ordinal_and_recreate_keeps_the_claim(h):
    h.admin.create("statefulsets", statefulset(), "default")
    for i in range(3):
        wait_for(lambda i=i: h.get("pods", f"web-{i}"), f"web-{i}")
        _ready(h, f"web-{i}")
    h.admin.delete("pods", "web-1", "default", grace_period_seconds=0)
    wait_for(lambda: (h.get("pods", "web-1") or {}).get("metadata", {}).get("uid"), "web-1 recreated")
    assert {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}} in h.get("pods", "web-1")["spec"]["volumes"]
    assert len(h.admin.items("persistentvolumeclaims", "default")) == 3
    _ready(h, "web-1")
    sts = h.admin.get("statefulsets", "web")
    sts["spec"]["replicas"] = 1
    h.admin.update("statefulsets", sts, "default")
    wait_for(lambda: _names(h) == ["web-0", "web-1"], "web-2 deleted first")
    h.settle()
    assert _names(h) == ["web-0", "web-1"]  # web-1 waits until web-2 is gone, not just terminating
    h.finish(h.get("pods", "web-2"))  # the kubelet has stopped it
    wait_for(lambda: _names(h) == ["web-0"], "then web-1")
    assert h.messages("SuccessfulDelete")[:2] == ["delete Pod web-2 in StatefulSet web successful",
                                                  "delete Pod web-1 in StatefulSet web successful"]
    assert len(h.admin.items("persistentvolumeclaims", "default")) == 3  # Retain


def test_parallel_creates_all_at_once(h):
    h.admin.create("statefulsets", statefulset(podManagementPolicy="Parallel"), "default")
    wait_for(lambda: _names(h) == ["web-0", "web-1", "web-2"], "all three without waiting")


def test_rolling_update_in_reverse_ordinal_order_respects_partition(h):
    h.admin.create("statefulsets", statefulset(), "default")
    for i in range(3):
        wait_for(lambda i=i: h.get("pods", f"web-{i}"), f"web-{i}")
        _ready(h, f"web-{i}")
    old_rev = h.get("pods", "web-0")["metadata"]["labels"]["controller-revision-hash"]
    sts = h.admin.get("statefulsets", "web")
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = "k8sedu/web:v2"
    sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = 1
    h.admin.update("statefulsets", sts, "default")
    order = []
    for expected in ("web-2", "web-1"):
        wait_for(lambda e=expected: (h.get("pods", e) or {}).get("metadata", {}).get("deletionTimestamp"),
                 f"{expected} terminating")
        h.settle()
        assert [n for n in ("web-0", "web-1", "web-2") if h.get("pods", n)["metadata"].get("deletionTimestamp")] \
            == [expected]  # one at a time
        h.finish(h.get("pods", expected))
        pod = wait_for(lambda e=expected: (p := h.get("pods", e)) and
                       p["metadata"]["labels"]["controller-revision-hash"] != old_rev and p, f"{expected} updated")
        order.append(pod["metadata"]["name"])
        assert pod["spec"]["containers"][0]["image"] == "k8sedu/web:v2"
        _ready(h, expected)
    h.settle()
    assert order == ["web-2", "web-1"]
    assert h.get("pods", "web-0")["metadata"]["labels"]["controller-revision-hash"] == old_rev  # below partition
    st = h.get("statefulsets", "web")["status"]
    assert st["updatedReplicas"] == 2 and st["currentReplicas"] == 1 and st["currentRevision"] == old_rev
    assert meta.controller_ref(h.admin.items("controllerrevisions", "default")[0])["kind"] == "StatefulSet"
