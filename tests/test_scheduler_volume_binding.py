"""VolumeBinding: the scheduler places a Pod only where its claims are (or can be) bound.

Dry runs with ``simulate`` check the plugin's verdicts and upstream's messages; a sim cluster checks
the whole path: an unbound Immediate claim keeps the Pod Pending with FailedScheduling until the
claim binds, and a WaitForFirstConsumer class provisions only once a Pod is scheduled.
"""

from __future__ import annotations

from typing import Any

from _waits import eventually

from k8sedu import Cluster
from k8sedu.scheduler import simulate
from k8sedu.scheduler.framework import DEFAULT_PROFILE, NOT_IMPLEMENTED_DEFAULT_PLUGINS
from k8sedu.scheduler.plugins.volume_binding import (
    ERR_REASON_BIND_CONFLICT,
    ERR_REASON_NODE_CONFLICT,
    ERR_UNBOUND_IMMEDIATE,
    SELECTED_NODE,
    claims_to_provision,
)

PREEMPTION_3 = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."


def node(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **labels}},
            "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


NODES = [node("node-1", zone="a"), node("node-2", zone="b"), node("node-3", zone="b")]


def pod(*claims: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox"}],
                     "volumes": [{"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}}
                                 for i, c in enumerate(claims)]}}


def sc(name: str, mode: str = "Immediate", provisioner: str = "k8sedu.io/docker-volume",
       **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": provisioner, "volumeBindingMode": mode, **extra}


def pvc(name: str, cls: str = "standard", volume: str | None = None, **md: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                            "storageClassName": cls}
    if volume:
        spec["volumeName"] = volume
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "default", **md}, "spec": spec}


def pv(name: str, cls: str = "standard", zone: str | None = None, claim: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"},
                            "storageClassName": cls, "hostPath": {"path": f"/tmp/{name}"}}
    if zone:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": [zone]}]}]}}
    if claim:
        spec["claimRef"] = {"namespace": "default", "name": claim}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": spec,
            "status": {"phase": "Bound" if claim else "Available"}}


def test_volume_binding_is_a_default_plugin() -> None:
    assert "VolumeBinding" in [p.name for p in DEFAULT_PROFILE.plugins]
    assert "VolumeBinding" not in NOT_IMPLEMENTED_DEFAULT_PLUGINS


def test_a_pod_without_claims_skips_the_plugin() -> None:
    trace = simulate(pod(), NODES, seed=1)
    assert trace.result == "Scheduled"


def test_unbound_immediate_claim_rejects_the_pod_with_upstreams_message() -> None:
    trace = simulate(pod("data"), NODES, objects=[sc("standard"), pvc("data")], seed=1)
    assert trace.result == "Unschedulable"
    assert trace.message == f"0/3 nodes are available: {ERR_UNBOUND_IMMEDIATE}. {PREEMPTION_3}"
    assert trace.unschedulable_plugins == ["VolumeBinding"]
    # a class nobody made counts as Immediate (upstream's IsDelayBindingMode)
    trace = simulate(pod("data"), NODES, objects=[pvc("data", cls="fast")], seed=1)
    assert trace.message.startswith(f"0/3 nodes are available: {ERR_UNBOUND_IMMEDIATE}.")


def test_missing_or_deleted_claim() -> None:
    trace = simulate(pod("nope"), NODES, seed=1)
    assert trace.message.startswith('0/3 nodes are available: persistentvolumeclaim "nope" not found.')
    going = pvc("data", volume="pv-1", deletionTimestamp="2026-01-01T00:00:00Z")
    trace = simulate(pod("data"), NODES, objects=[going, pv("pv-1", claim="data")], seed=1)
    assert trace.message.startswith('0/3 nodes are available: persistentvolumeclaim "data" is being deleted.')


def test_bound_volume_node_affinity_narrows_the_nodes() -> None:
    objects = [sc("standard"), pvc("data", volume="local-a"), pv("local-a", zone="a", claim="data")]
    trace = simulate(pod("data"), NODES, objects=objects, seed=1)
    assert trace.result == "Scheduled" and trace.chosen == "node-1"
    objects[2] = pv("local-a", zone="c", claim="data")
    trace = simulate(pod("data"), NODES, objects=objects, seed=1)
    assert trace.message == f"0/3 nodes are available: 3 {ERR_REASON_NODE_CONFLICT}. {PREEMPTION_3}"


def test_wait_for_first_consumer_needs_a_volume_or_a_provisioner_on_the_node() -> None:
    local = sc("local", mode="WaitForFirstConsumer", provisioner="kubernetes.io/no-provisioner")
    objects = [local, pvc("data", cls="local"), pv("disk-b", cls="local", zone="b")]
    trace = simulate(pod("data"), NODES, objects=objects, seed=1)
    assert trace.result == "Scheduled" and trace.chosen in ("node-2", "node-3")
    assert [n.reasons for n in trace.nodes if n.node == "node-1"] == [[ERR_REASON_BIND_CONFLICT]]
    trace = simulate(pod("data"), NODES, objects=[local, pvc("data", cls="local")], seed=1)
    assert trace.message == f"0/3 nodes are available: 3 {ERR_REASON_BIND_CONFLICT}. {PREEMPTION_3}"
    # a provisioner limited to zone b by allowedTopologies
    zoned = sc("zoned", mode="WaitForFirstConsumer",
               allowedTopologies=[{"matchLabelExpressions": [{"key": "zone", "values": ["b"]}]}])
    trace = simulate(pod("data"), NODES, objects=[zoned, pvc("data", cls="zoned")], seed=1)
    assert trace.result == "Scheduled" and trace.chosen in ("node-2", "node-3")
    # a claim whose node was chosen already only fits that node
    chosen = pvc("data", cls="zoned", annotations={SELECTED_NODE: "node-3"})
    trace = simulate(pod("data"), NODES, objects=[zoned, chosen], seed=1)
    assert trace.chosen == "node-3"


def test_claims_to_provision_are_the_unbound_delayed_ones_without_a_node() -> None:
    wffc = sc("wffc", mode="WaitForFirstConsumer")
    claims = [pvc("a", cls="wffc"), pvc("b", cls="standard"), pvc("c", cls="wffc", volume="pv-c"),
              pvc("d", cls="wffc", annotations={SELECTED_NODE: "node-1"})]
    out = claims_to_provision(pod("a", "b", "c", "d"), claims, [wffc, sc("standard")])
    assert [c["metadata"]["name"] for c in out] == ["a"]


WFFC = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: late}
provisioner: k8sedu.io/docker-volume
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: late-claim}
spec:
  storageClassName: late
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
"""

USER = """
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: k8sedu/busybox, command: [sh, -c, "sleep 3600"],
                volumeMounts: [{name: d, mountPath: /data}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: %s}}]
"""


def test_on_a_cluster_wait_for_first_consumer_and_unbound_immediate_claims() -> None:
    with Cluster(nodes=2, runtime="sim", speed=20, progress=False) as c:
        c.apply(WFFC)
        eventually(lambda: [e for e in c.events() if e["reason"] == "WaitForFirstConsumer"
                            and e["message"] == "waiting for first consumer to be created before binding"],
                   what="the WaitForFirstConsumer event")
        assert c.get("pvc/late-claim")["status"]["phase"] == "Pending"
        assert not c.get("pv", namespace=None)
        c.apply(USER % "late-claim")
        running = c.wait("pod/user", "Running", timeout=30)
        assert running is not None
        claim = c.get("pvc/late-claim")
        assert claim["metadata"]["annotations"][SELECTED_NODE] == running["spec"]["nodeName"]
        assert claim["status"]["phase"] == "Bound"
        c.delete("pod/user", wait=True)

        # a claim of a class that does not exist: the Pod waits in the scheduler, not on a node
        c.apply(WFFC.split("---")[1].replace("late-claim", "lost").replace("late", "nowhere"))
        c.apply(USER.replace("user", "waiter") % "lost")
        expected = ("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
                    "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")

        def unschedulable() -> dict[str, Any] | None:  # (the first try may not have seen the claim yet)
            conds = c.get("pod/waiter")["status"].get("conditions") or []
            cond = next((x for x in conds if x["type"] == "PodScheduled"), {})
            return cond if cond.get("message") == expected else None

        cond = eventually(unschedulable, what="PodScheduled False for the unbound claim")
        assert cond["status"] == "False" and cond["reason"] == "Unschedulable"
        assert not c.get("pod/waiter")["spec"].get("nodeName")
        assert "pod has unbound immediate PersistentVolumeClaims" in c.kubectl("describe pod waiter")
        # the class appears: the claim is provisioned and bound, and the Pod follows
        c.apply({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "nowhere"},
                 "provisioner": "k8sedu.io/docker-volume"})
        c.wait("pvc/lost", "Bound", timeout=30)
        c.wait("pod/waiter", "Running", timeout=30)
