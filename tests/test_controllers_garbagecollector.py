"""Cascading deletion by the garbage collector: background, foreground and orphan."""

from __future__ import annotations

import pytest
from test_controllers_support import Harness, deployment, wait_for

from k8sedu.api import meta
from k8sedu.controllers.garbagecollector import monitored_resources


@pytest.fixture
def h():
    harness = Harness().start()
    yield harness
    harness.stop()


def _running_deployment(h: Harness, replicas: int = 2) -> tuple[dict, dict, list[dict]]:
    d = h.admin.create("deployments", deployment(replicas=replicas), "default")
    pods = wait_for(lambda: len(h.pods()) == replicas and h.pods(), f"{replicas} pods")
    rs = h.replicasets()[0]
    return d, rs, pods


def test_background_deletion_removes_replicasets_and_pods(h):
    _, rs, pods = _running_deployment(h)
    h.admin.delete("deployments", "web", "default")  # Background is the default
    assert h.get("deployments", "web") is None  # the owner goes at once
    wait_for(lambda: h.get("replicasets", rs["metadata"]["name"]) is None, "the ReplicaSet to be collected")
    wait_for(lambda: not h.admin.items("pods", "default"), "the pods to be collected")


def test_foreground_deletion_waits_for_dependents(h):
    _, rs, pods = _running_deployment(h)
    for pod in pods:  # scheduled Pods terminate gracefully, so the wait is visible
        h.bind(pod, "node-1")
    h.admin.delete("deployments", "web", "default", propagation_policy="Foreground")
    d = h.get("deployments", "web")
    assert d["metadata"]["deletionTimestamp"] and d["metadata"]["finalizers"] == ["foregroundDeletion"]
    wait_for(lambda: all(h.get("pods", p["metadata"]["name"])["metadata"].get("deletionTimestamp") for p in pods),
             "the pods to be terminating")
    h.settle()
    # the dependents are not gone yet, so neither are their owners
    rs_now = h.get("replicasets", rs["metadata"]["name"])
    assert rs_now is not None and "foregroundDeletion" in rs_now["metadata"]["finalizers"]
    assert h.get("deployments", "web") is not None
    for pod in pods:
        h.finish(pod)  # the kubelet has stopped the containers
    wait_for(lambda: h.get("replicasets", rs["metadata"]["name"]) is None, "the ReplicaSet to go")
    wait_for(lambda: h.get("deployments", "web") is None, "the Deployment to go last")


def test_orphan_deletion_keeps_the_dependents(h):
    _, rs, pods = _running_deployment(h)
    h.admin.delete("deployments", "web", "default", propagation_policy="Orphan")
    wait_for(lambda: h.get("deployments", "web") is None, "the Deployment to go")
    left = h.get("replicasets", rs["metadata"]["name"])
    assert left is not None and not left["metadata"].get("ownerReferences")
    h.settle()
    names = sorted(p["metadata"]["name"] for p in h.pods())
    assert names == sorted(p["metadata"]["name"] for p in pods)
    assert all(meta.controller_ref(p)["name"] == rs["metadata"]["name"] for p in h.pods())


def test_dependent_of_a_missing_owner_is_collected_and_a_dangling_reference_dropped(h):
    cm = h.admin.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}}, "default")
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "00000000-dead-beef-0000-000000000000"}
    alive = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": cm["metadata"]["uid"]}
    pod = {"apiVersion": "v1", "kind": "Pod",
           "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox"}]}}
    h.admin.create("pods", {**pod, "metadata": {"name": "orphaned", "ownerReferences": [ghost]}}, "default")
    h.admin.create("pods", {**pod, "metadata": {"name": "two-owners", "ownerReferences": [ghost, alive]}}, "default")
    wait_for(lambda: h.get("pods", "orphaned") is None, "the pod whose only owner is missing to be deleted")
    wait_for(lambda: [r["name"] for r in h.get("pods", "two-owners")["metadata"]["ownerReferences"]] == ["owner"],
             "the dangling reference to be removed")
    h.admin.delete("configmaps", "owner", "default")
    wait_for(lambda: h.get("pods", "two-owners") is None, "the pod to go with its last owner")


def test_owner_matched_by_uid_not_name(h):
    first = h.admin.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}, "default")
    h.admin.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": "dep", "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "cfg",
                                            "uid": first["metadata"]["uid"]}]},
        "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox"}]}}, "default")
    h.settle()
    assert h.get("pods", "dep") is not None
    h.admin.delete("configmaps", "cfg", "default")
    h.admin.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}, "default")
    wait_for(lambda: h.get("pods", "dep") is None, "a dependent of the old uid to be collected")


def test_watches_every_deletable_kind_but_events():
    resources = monitored_resources()
    assert {"pods", "replicasets", "deployments", "configmaps", "nodes"} <= set(resources)
    assert "events" not in resources and "bindings" not in resources
