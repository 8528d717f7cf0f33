"""k8sedu.api.defaults and k8sedu.api.meta: upstream defaulting and the object helpers."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from k8sedu.api import (
    apply_defaults,
    controller_ref,
    deep_copy,
    default_tolerations,
    get_condition,
    image_pull_policy,
    is_controlled_by,
    key,
    make_controller_ref,
    new_uid,
    owner_of,
    pod_is_ready,
    pod_qos_class,
    pod_requests,
    pod_template_hash,
    set_condition,
    split_key,
)
from k8sedu.api.meta import SAFE_ENCODE_ALPHABET


def test_pod_defaults() -> None:
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "image": "nginx:1.25",
                    "ports": [{"containerPort": 80}],
                    "resources": {
                        "limits": {"cpu": "500m", "memory": "64Mi"},
                        "requests": {"cpu": "250m"},
                    },
                }
            ]
        },
    }
    apply_defaults(pod)
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["dnsPolicy"] == "ClusterFirst"
    assert spec["schedulerName"] == "default-scheduler"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["enableServiceLinks"] is True
    assert spec["securityContext"] == {}
    c = spec["containers"][0]
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert c["terminationMessagePolicy"] == "File"
    assert c["ports"][0]["protocol"] == "TCP"
    # requests default to limits where missing, an explicit request is kept
    assert c["resources"]["requests"] == {"cpu": "250m", "memory": "64Mi"}
    assert "tolerations" not in spec  # those come from admission, not defaulting


def test_defaults_keep_explicit_values_and_are_idempotent() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "enableServiceLinks": False,
            "containers": [{"name": "a", "image": "x", "imagePullPolicy": "Never"}],
        },
    }
    apply_defaults(pod)
    assert pod["spec"]["restartPolicy"] == "Never"
    assert pod["spec"]["terminationGracePeriodSeconds"] == 0
    assert pod["spec"]["enableServiceLinks"] is False
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Never"
    once = copy.deepcopy(pod)
    apply_defaults(pod)
    assert pod == once


@pytest.mark.parametrize(
    "image, policy",
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("k8sedu/web:v1", "IfNotPresent"),
        ("localhost:5000/web", "Always"),
        ("localhost:5000/web:v2", "IfNotPresent"),
        ("nginx@sha256:abcd", "IfNotPresent"),
        ("registry.k8s.io/pause:3.9", "IfNotPresent"),
    ],
)
def test_image_pull_policy(image: str, policy: str) -> None:
    assert image_pull_policy(image) == policy


def test_probe_defaults() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "a", "image": "x", "livenessProbe": {"httpGet": {"port": 80}}}]
        },
    }
    apply_defaults(pod)
    probe = pod["spec"]["containers"][0]["livenessProbe"]
    assert probe == {
        "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def test_default_tolerations() -> None:
    pod: dict[str, Any] = {"spec": {}}
    default_tolerations(pod)
    assert pod["spec"]["tolerations"] == [
        {
            "key": "node.kubernetes.io/not-ready",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
    ]
    default_tolerations(pod)  # idempotent
    assert len(pod["spec"]["tolerations"]) == 2
    own = {
        "spec": {
            "tolerations": [
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 5,
                }
            ]
        }
    }
    default_tolerations(own)
    assert [t["key"] for t in own["spec"]["tolerations"]] == [
        "node.kubernetes.io/unreachable",
        "node.kubernetes.io/not-ready",
    ]
    assert own["spec"]["tolerations"][0]["tolerationSeconds"] == 5
    everything = {"spec": {"tolerations": [{"operator": "Exists"}]}}
    default_tolerations(everything)
    assert everything["spec"]["tolerations"] == [{"operator": "Exists"}]


def test_deployment_defaults() -> None:
    d: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "w",
                            "image": "k8sedu/web:v1",
                            "resources": {"limits": {"cpu": "1"}},
                        }
                    ]
                },
            },
        },
    }
    apply_defaults(d)
    spec = d["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert "minReadySeconds" not in spec
    tspec = spec["template"]["spec"]
    assert tspec["restartPolicy"] == "Always" and tspec["dnsPolicy"] == "ClusterFirst"
    assert tspec["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    # templates do not get requests-from-limits nor enableServiceLinks (only Pods do)
    assert "requests" not in tspec["containers"][0]["resources"]
    assert "enableServiceLinks" not in tspec


def test_deployment_recreate_and_partial_rolling_update() -> None:
    d = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {"replicas": 0, "strategy": {"type": "Recreate"}},
    }
    apply_defaults(d)
    assert d["spec"]["strategy"] == {"type": "Recreate"} and d["spec"]["replicas"] == 0
    d = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {"strategy": {"rollingUpdate": {"maxSurge": 1}}},
    }
    apply_defaults(d)
    assert d["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"},
    }


def test_replicaset_namespace_node_service_defaults() -> None:
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "spec": {"template": {"spec": {"containers": []}}},
    }
    apply_defaults(rs)
    assert (
        rs["spec"]["replicas"] == 1 and rs["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    )
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    apply_defaults(ns)
    assert ns["status"] == {"phase": "Active"} and ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
    }
    apply_defaults(node)
    assert node["status"]["allocatable"] == {"cpu": "4", "memory": "8Gi", "pods": "110"}
    svc = {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80}]}}
    apply_defaults(svc)
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["sessionAffinity"] == "None"
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    secret = {"apiVersion": "v1", "kind": "Secret"}
    apply_defaults(secret)
    assert secret["type"] == "Opaque"
    unknown = {"apiVersion": "v1", "kind": "Foo", "spec": {}}
    apply_defaults(unknown)
    assert unknown == {"apiVersion": "v1", "kind": "Foo", "spec": {}}


# -- meta -----------------------------------------------------------------------------------------
def test_key_and_split() -> None:
    assert key({"metadata": {"name": "web", "namespace": "default"}}) == "default/web"
    assert key({"metadata": {"name": "node-1"}}) == "node-1"
    assert split_key("default/web") == ("default", "web")
    assert split_key("node-1") == (None, "node-1")


def test_uid_and_deep_copy() -> None:
    assert new_uid() != new_uid() and len(new_uid()) == 36
    obj = {"a": [1, {"b": "c"}], "d": {"e": None, "f": 1.5, "g": True}}
    copied = deep_copy(obj)
    assert copied == obj and copied is not obj
    copied["a"][1]["b"] = "x"
    assert obj["a"][1]["b"] == "c"
    assert json.dumps(deep_copy({"t": (1, 2)})) == '{"t": [1, 2]}'


def test_owner_references() -> None:
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-abc", "uid": "u-rs"},
    }
    ref = make_controller_ref(rs)
    assert ref == {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "web-abc",
        "uid": "u-rs",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert make_controller_ref(rs, "Deployment", "apps/v1")["kind"] == "Deployment"
    pod = {"metadata": {"ownerReferences": [{"kind": "Other", "uid": "x"}, ref]}}
    assert controller_ref(pod) == ref
    assert owner_of(pod, "ReplicaSet") == ref and owner_of(pod, "Deployment") is None
    assert is_controlled_by(pod, rs)
    assert not is_controlled_by(pod, {"metadata": {"uid": "other"}})
    assert controller_ref({"metadata": {}}) is None


def test_conditions() -> None:
    status: dict[str, Any] = {}
    assert set_condition(status, {"type": "Ready", "status": "False", "lastTransitionTime": "t1"})
    assert not set_condition(
        status, {"type": "Ready", "status": "False", "lastTransitionTime": "t2"}
    )
    assert status["conditions"][0]["lastTransitionTime"] == "t1"  # same status: time kept
    assert set_condition(
        status, {"type": "Ready", "status": "False", "lastTransitionTime": "t3", "reason": "X"}
    )
    assert status["conditions"][0] == {
        "type": "Ready",
        "status": "False",
        "lastTransitionTime": "t1",
        "reason": "X",
    }
    assert set_condition(status, {"type": "Ready", "status": "True", "lastTransitionTime": "t4"})
    assert status["conditions"][0]["lastTransitionTime"] == "t4"
    pod = {"status": status}
    assert get_condition(pod, "Ready")["status"] == "True"  # type: ignore[index]
    assert get_condition(status, "Ready") is not None and get_condition(pod, "PodScheduled") is None
    assert pod_is_ready(pod)
    set_condition(status, {"type": "Ready", "status": "False", "lastTransitionTime": "t5"})
    assert not pod_is_ready(pod) and not pod_is_ready({"metadata": {}})


def test_pod_requests_and_qos() -> None:
    pod = {
        "spec": {
            "containers": [
                {"resources": {"requests": {"cpu": "250m", "memory": "64Mi"}}},
                {"resources": {"limits": {"cpu": "0.5", "memory": "128Mi"}}},
                {},
            ],
            "initContainers": [{"resources": {"requests": {"cpu": "1", "memory": "32Mi"}}}],
        }
    }
    assert pod_requests(pod) == {"cpu": 1000, "memory": 192 * 2**20}
    assert pod_requests({"spec": {"containers": [{}]}}) == {"cpu": 0, "memory": 0}
    assert pod_qos_class({"spec": {"containers": [{}]}}) == "BestEffort"
    guaranteed = {
        "spec": {
            "containers": [
                {
                    "resources": {
                        "limits": {"cpu": "1", "memory": "1Gi"},
                        "requests": {"cpu": "1000m", "memory": "1Gi"},
                    }
                }
            ]
        }
    }
    assert pod_qos_class(guaranteed) == "Guaranteed"
    assert pod_qos_class(pod) == "Burstable"


def test_pod_template_hash() -> None:
    t1 = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "w", "image": "v1"}]},
    }
    t2 = copy.deepcopy(t1)
    t2["spec"]["containers"][0]["image"] = "v2"
    h1 = pod_template_hash(t1)
    assert h1 == pod_template_hash(copy.deepcopy(t1))
    assert h1 != pod_template_hash(t2)
    assert h1 != pod_template_hash(t1, collision_count=1)
    assert 1 <= len(h1) <= 10 and set(h1) <= set(SAFE_ENCODE_ALPHABET)
    # key order does not matter: the same template from YAML or from code hashes the same
    assert pod_template_hash({"spec": t1["spec"], "metadata": t1["metadata"]}) == h1
