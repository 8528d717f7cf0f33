"""Namespace deletion: the namespace controller empties it, then finalizes it."""

from __future__ import annotations

from test_controllers_support import Harness, deployment, wait_for

from k8sedu.api import meta
from k8sedu.clock import FakeClock
from k8sedu.controllers.namespace import namespaced_resources


def _namespace(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def test_deleting_a_namespace_empties_and_removes_it():
    h = Harness().start()
    try:
        h.admin.create("namespaces", _namespace("shop"))
        h.admin.create("deployments", deployment(replicas=2), "shop")
        h.admin.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}, "shop")
        h.admin.create("services", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                                    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}, "shop")
        wait_for(lambda: len(h.pods("shop")) == 2, "2 pods in shop")
        h.admin.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}}, "default")
        h.admin.delete("namespaces", "shop")
        ns = h.get("namespaces", "shop", None)
        assert ns["status"]["phase"] == "Terminating"
        wait_for(lambda: h.get("namespaces", "shop", None) is None, "the namespace to be removed")
        for resource in namespaced_resources():
            assert h.admin.items(resource, "shop") == [], f"{resource} left in a deleted namespace"
        assert h.get("configmaps", "keep") is not None  # other namespaces are untouched
    finally:
        h.stop()


def test_namespace_waits_for_terminating_pods_and_reports_what_remains():
    h = Harness(FakeClock()).start()
    try:
        h.admin.create("namespaces", _namespace("shop"))
        pod = h.admin.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "slow"},
                                      "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox"}]}}, "shop")
        h.bind(pod, "node-1")  # scheduled: deleting it takes its grace period (30 s)
        h.admin.delete("namespaces", "shop")
        wait_for(lambda: (h.get("pods", "slow", "shop") or {}).get("metadata", {}).get("deletionTimestamp"),
                 "the pod to be terminating")
        cond = wait_for(lambda: meta.get_condition(h.get("namespaces", "shop", None), "NamespaceContentRemaining"),
                        "the NamespaceContentRemaining condition")
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "True", "SomeResourcesRemain", "Some resources are remaining: pods. has 1 resource instances")
        h.settle()
        assert h.get("namespaces", "shop", None) is not None
        h.finish(h.get("pods", "slow", "shop"))  # the kubelet is done
        h.advance(31, step=1)
        wait_for(lambda: h.get("namespaces", "shop", None) is None, "the namespace to be removed")
    finally:
        h.stop()


def test_namespaced_resources_lists_events_last():
    resources = namespaced_resources()
    assert resources[-1] == "events"
    assert {"pods", "deployments", "replicasets", "configmaps", "services"} <= set(resources)
    assert "nodes" not in resources and "bindings" not in resources
