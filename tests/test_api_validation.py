"""k8sedu.api.validation: the apiserver's checks, in upstream's exact words."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from k8sedu.api import apply_defaults, field_errors, validate
from k8sedu.api.validation import VALIDATORS
from k8sedu.errors import BadRequest, FieldError, Invalid

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


def pod(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"containers": [{"name": "app", "image": "k8sedu/web:v1"}]}
    base.update(spec)
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": base,
    }
    apply_defaults(obj)
    return obj


def deployment(
    replicas: int = 3, labels: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": labels if labels is not None else {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]},
            },
            **spec,
        },
    }
    apply_defaults(obj)
    return obj


def messages(obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    return [str(e) for e in field_errors(obj, old)]


def invalid(obj: dict[str, Any], old: dict[str, Any] | None = None) -> str:
    with pytest.raises(Invalid) as e:
        validate(obj, old)
    assert e.value.code == 422
    return str(e.value)  # kubectl's wording; e.value.message is the apiserver's


def test_apiserver_and_kubectl_wordings() -> None:
    d = deployment()
    d["spec"]["replicas"] = -1
    with pytest.raises(Invalid) as e:
        validate(d)
    assert e.value.message == (
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    )
    assert e.value.status()["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "message": "Invalid value: -1: must be greater than or equal to 0",
         "field": "spec.replicas"}
    ]


def test_valid_objects_pass() -> None:
    validate(pod())
    validate(deployment())
    validate({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    validate({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1.lab"}})


# -- metadata ------------------------------------------------------------------------------------
def test_name_subdomain_message() -> None:
    p = pod()
    p["metadata"]["name"] = "Web_1"
    assert (
        invalid(p)
        == f'The Pod "Web_1" is invalid: metadata.name: Invalid value: "Web_1": {SUBDOMAIN_MSG}'
    )


def test_name_required_unless_generate_name() -> None:
    p = pod()
    del p["metadata"]["name"]
    assert messages(p) == ["metadata.name: Required value: name or generateName is required"]
    p["metadata"]["generateName"] = "Web-"
    assert messages(p)[0] == f'metadata.generateName: Invalid value: "Web-": {SUBDOMAIN_MSG}'
    p["metadata"]["generateName"] = "web-"
    # generateName is fine (trailing dash allowed); name is still required: the apiserver generates it first
    assert messages(p) == ["metadata.name: Required value: name or generateName is required"]


def test_namespace_and_service_name_formats() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a.b"}}
    assert messages(ns) == ['metadata.name: Invalid value: "a.b": must not contain dots']
    ns["metadata"]["name"] = "Team_A"
    assert messages(ns) == [f'metadata.name: Invalid value: "Team_A": {LABEL_MSG}']
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "1web", "namespace": "default"},
        "spec": {"ports": [{"port": 80, "protocol": "TCP"}]},
    }
    assert messages(svc) == [f'metadata.name: Invalid value: "1web": {DNS1035_MSG}']


def test_name_too_long() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a" * 64}}
    assert messages(ns) == [
        f'metadata.name: Invalid value: "{"a" * 64}": must be no more than 63 characters'
    ]


def test_namespace_required_for_namespaced_forbidden_for_cluster() -> None:
    p = pod()
    del p["metadata"]["namespace"]
    assert messages(p) == ["metadata.namespace: Required value"]
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n", "namespace": "default"}}
    assert messages(node) == ["metadata.namespace: Forbidden: not allowed on this type"]


def test_labels() -> None:
    p = pod()
    p["metadata"]["labels"] = {"app": "x" * 64}
    assert messages(p) == [
        f'metadata.labels: Invalid value: "{"x" * 64}": must be no more than 63 characters'
    ]
    p["metadata"]["labels"] = {"-app": "ok"}
    assert messages(p) == [f'metadata.labels: Invalid value: "-app": {NAME_PART_MSG}']
    p["metadata"]["labels"] = {"app": "-bad"}
    assert messages(p) == [f'metadata.labels: Invalid value: "-bad": {LABEL_VALUE_MSG}']
    p["metadata"]["labels"] = {"example.com/app": "", "k8s.io/x_y.z": "A-b_c.1"}
    assert messages(p) == []
    p["metadata"]["labels"] = {"Example.com/app": "x"}
    assert messages(p) == [
        f'metadata.labels: Invalid value: "Example.com/app": prefix part {SUBDOMAIN_MSG}'
    ]
    p["metadata"]["labels"] = {"/app": "x"}
    assert messages(p) == ['metadata.labels: Invalid value: "/app": prefix part must be non-empty']


def test_annotations_keys_case_insensitive() -> None:
    p = pod()
    p["metadata"]["annotations"] = {"Example.COM/Note": "anything at all, even spaces"}
    assert messages(p) == []
    p["metadata"]["annotations"] = {"bad key": "x"}
    assert messages(p)[0].startswith(
        'metadata.annotations: Invalid value: "bad key": name part must consist of'
    )


def test_several_causes_are_bracketed() -> None:
    p = pod()
    p["metadata"]["name"] = "Web_1"
    p["spec"]["containers"][0]["image"] = ""
    msg = invalid(p)
    assert msg.startswith('The Pod "Web_1" is invalid: \n* metadata.name: Invalid value: "Web_1": ')
    assert msg.endswith("\n* spec.containers[0].image: Required value")


# -- pods ----------------------------------------------------------------------------------------
def test_containers_required() -> None:
    assert messages(pod(containers=[])) == ["spec.containers: Required value"]


def test_container_name_and_image() -> None:
    p = pod(containers=[{"name": "App", "image": "x"}, {"name": "b"}])
    apply_defaults(p)
    assert messages(p) == [
        f'spec.containers[0].name: Invalid value: "App": {LABEL_MSG}',
        "spec.containers[1].image: Required value",
    ]
    p = pod(containers=[{"image": "x"}])
    assert messages(p) == ["spec.containers[0].name: Required value"]


def test_duplicate_container_names_across_init_containers() -> None:
    p = pod(
        containers=[{"name": "a", "image": "x"}, {"name": "a", "image": "y"}],
        initContainers=[{"name": "b", "image": "z"}],
    )
    assert messages(p) == ['spec.containers[1].name: Duplicate value: "a"']
    p = pod(containers=[{"name": "a", "image": "x"}], initContainers=[{"name": "a", "image": "z"}])
    assert messages(p) == ['spec.containers[0].name: Duplicate value: "a"']


def test_ports() -> None:
    p = pod(
        containers=[
            {
                "name": "a",
                "image": "x",
                "ports": [
                    {"containerPort": 70000},
                    {"containerPort": 80, "protocol": "HTTP"},
                    {"name": "http", "containerPort": 81},
                    {"name": "http", "containerPort": 82},
                    {"name": "HTTP_", "containerPort": 83},
                    {"protocol": "TCP"},
                ],
            }
        ]
    )
    assert messages(p) == [
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'spec.containers[0].ports[3].name: Duplicate value: "http"',
        'spec.containers[0].ports[4].name: Invalid value: "HTTP_": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[4].name: Invalid value: "HTTP_": must contain at least one letter (a-z)',
        "spec.containers[0].ports[5].containerPort: Required value",
    ]


def test_resources_requests_above_limits() -> None:
    p = pod(
        containers=[
            {
                "name": "a",
                "image": "x",
                "resources": {
                    "requests": {"cpu": "2", "memory": "64Mi"},
                    "limits": {"cpu": "1", "memory": "128Mi"},
                },
            }
        ]
    )
    assert messages(p) == [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'
    ]
    p["spec"]["containers"][0]["resources"] = {
        "requests": {"memory": "1Gi"},
        "limits": {"memory": "512Mi"},
    }
    assert messages(p) == [
        'spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 512Mi'
    ]
    p["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "500m"},
        "limits": {"cpu": "0.5"},
    }
    assert messages(p) == []


def test_resources_negative_and_unknown_names() -> None:
    p = pod(
        containers=[{"name": "a", "image": "x", "resources": {"limits": {"cpu": "-1", "gpu": "1"}}}]
    )
    assert messages(p) == [
        'spec.containers[0].resources.limits[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        "spec.containers[0].resources.limits[gpu]: Invalid value: gpu: must be a standard resource for containers",
        # defaulting copied the limits into requests (a Pod, not a template), so they fail there too
        'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0',
        "spec.containers[0].resources.requests[gpu]: Invalid value: gpu: must be a standard resource for containers",
    ]


def test_unparsable_quantity_is_a_decoding_error() -> None:
    p = pod(containers=[{"name": "a", "image": "x", "resources": {"limits": {"cpu": "lots"}}}])
    with pytest.raises(BadRequest) as e:
        validate(p)
    assert e.value.message == (
        'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '
        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )
    d = deployment()
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"memory": "1Gb"}}
    with pytest.raises(
        BadRequest, match='^Deployment in version "v1" cannot be handled as a Deployment: '
    ):
        validate(d)


def test_restart_and_dns_policy() -> None:
    assert messages(pod(restartPolicy="Sometimes")) == [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
    ]
    assert messages(pod(dnsPolicy="Google")) == [
        'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'
    ]


def test_env_and_volume_mounts() -> None:
    p = pod(
        containers=[
            {
                "name": "a",
                "image": "x",
                "env": [{"name": "A=B"}, {"value": "x"}],
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            }
        ],
        volumes=[{"name": "cache", "emptyDir": {}}],
    )
    assert messages(p) == [
        "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
        "spec.containers[0].env[1].name: Required value",
        'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ]


def test_probes() -> None:
    p = pod(
        containers=[
            {
                "name": "a",
                "image": "x",
                "livenessProbe": {"periodSeconds": 5},
                "readinessProbe": {"httpGet": {"port": 70000}},
            }
        ]
    )
    assert messages(p) == [
        "spec.containers[0].livenessProbe: Required value: must specify a handler type",
        "spec.containers[0].readinessProbe.httpGet.port: Invalid value: 70000: must be between 1 and 65535, inclusive",
    ]


def test_tolerations() -> None:
    p = pod(
        tolerations=[
            {"operator": "Equal", "value": "x"},
            {"key": "k", "operator": "Maybe"},
            {"key": "k", "operator": "Exists", "effect": "NoSchedule", "tolerationSeconds": 5},
        ]
    )
    assert messages(p) == [
        'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
        'spec.tolerations[1].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"',
        "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
    ]


def test_pod_update_only_image_may_change() -> None:
    old = pod()
    old["metadata"]["uid"] = "u1"
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "k8sedu/web:v2"
    assert messages(new, old) == []
    new["spec"]["activeDeadlineSeconds"] = 30
    new["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}]
    assert messages(new, old) == []
    new["spec"]["containers"][0]["ports"] = [{"containerPort": 8080, "protocol": "TCP"}]
    msgs = messages(new, old)
    assert len(msgs) == 1
    assert msgs[0].startswith(
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
        "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
        "previously negative)\n"
    )
    assert "Containers" in msgs[0]


def test_pod_update_containers_and_tolerations() -> None:
    old = pod(
        tolerations=[
            {"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}
        ]
    )
    new = copy.deepcopy(old)
    new["spec"]["containers"].append({"name": "b", "image": "x"})
    assert messages(new, old) == [
        "spec.containers: Forbidden: pod updates may not add or remove containers"
    ]
    new = copy.deepcopy(old)
    new["spec"]["tolerations"][0]["tolerationSeconds"] = 20  # allowed
    assert messages(new, old) == []
    new["spec"]["tolerations"] = []
    assert (
        messages(new, old)[0]
        == "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
    )
    new = copy.deepcopy(old)
    new["spec"]["activeDeadlineSeconds"] = 10
    old2 = copy.deepcopy(old)
    old2["spec"]["activeDeadlineSeconds"] = 5
    assert messages(new, old2) == [
        "spec.activeDeadlineSeconds: Invalid value: 10: must be less than or equal to previous value"
    ]


def test_metadata_immutable_on_update() -> None:
    old = pod()
    old["metadata"]["uid"] = "u1"
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "u2"
    new["metadata"]["namespace"] = "other"
    assert messages(new, old) == [
        'metadata.namespace: Invalid value: "other": field is immutable',
        'metadata.uid: Invalid value: "u2": field is immutable',
    ]
    new = copy.deepcopy(old)
    del new["metadata"]["uid"]  # copied from the stored object by the apiserver, as BeforeUpdate
    assert messages(new, old) == []


def test_status_update_ignores_spec() -> None:
    old = pod()
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["ports"] = [{"containerPort": 1, "protocol": "TCP"}]
    new["status"] = {"phase": "Running"}
    assert field_errors(new, old, subresource="status") == []


# -- deployments and replicasets ------------------------------------------------------------------
def test_deployment_replicas_negative() -> None:
    assert invalid(deployment(replicas=-1)) == (
        'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    )


def test_invalid_error_details() -> None:
    with pytest.raises(Invalid) as e:
        validate(deployment(replicas=-1))
    assert e.value.details["group"] == "apps" and e.value.details["kind"] == "Deployment"
    assert e.value.causes == [
        FieldError("spec.replicas", "Invalid value", -1, "must be greater than or equal to 0")
    ]


def test_deployment_selector_mismatch() -> None:
    assert messages(deployment(labels={"app": "x"})) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`'
    ]


def test_deployment_selector_missing() -> None:
    d = deployment()
    del d["spec"]["selector"]
    assert invalid(d) == (
        'The Deployment "web" is invalid: \n* spec.selector: Required value\n* spec.template.metadata.labels: '
        'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'
    )


def test_deployment_selector_empty() -> None:
    d = deployment()
    d["spec"]["selector"] = {}
    assert messages(d) == [
        "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
        "MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for deployment"
    ]


def test_deployment_selector_expressions() -> None:
    d = deployment()
    d["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "In"}]}
    assert (
        messages(d)[0]
        == "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
    )
    d["spec"]["selector"] = {
        "matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]
    }
    assert messages(d) == []


def test_deployment_strategy() -> None:
    d = deployment()
    d["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0},
    }
    assert invalid(d) == (
        'The Deployment "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: '
        "may not be 0 when `maxSurge` is 0"
    )
    d["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": "0%", "maxUnavailable": "0%"}
    assert messages(d) == [
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0%: may not be 0 when `maxSurge` is 0"
    ]
    d["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": "abc", "maxUnavailable": "150%"}
    assert messages(d) == [
        "spec.strategy.rollingUpdate.maxSurge: Invalid value: abc: a valid percent string must be a numeric string "
        "followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
        "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%",
    ]
    d["spec"]["strategy"] = {"type": "Recreate", "rollingUpdate": {}}
    assert messages(d) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]
    d["spec"]["strategy"] = {"type": "Recreate"}
    assert messages(d) == []
    d["spec"]["strategy"] = {"type": "BlueGreen"}
    assert messages(d) == [
        'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", '
        'RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"'
    ]


def test_deployment_template_restart_policy_must_be_always() -> None:
    d = deployment()
    d["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert messages(d) == [
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
    ]


def test_deployment_template_containers_paths() -> None:
    d = deployment()
    d["spec"]["template"]["spec"]["containers"][0]["image"] = ""
    d["spec"]["template"]["metadata"]["labels"]["bad key"] = "x"
    msgs = messages(d)
    assert "spec.template.spec.containers[0].image: Required value" in msgs
    assert any(m.startswith('spec.template.labels: Invalid value: "bad key"') for m in msgs)


def test_deployment_selector_immutable() -> None:
    old = deployment()
    new = copy.deepcopy(old)
    new["spec"]["selector"] = {"matchLabels": {"app": "web2"}}
    new["spec"]["template"]["metadata"]["labels"] = {"app": "web2"}
    assert messages(new, old) == [
        "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{app: web2,},"
        "MatchExpressions:[]LabelSelectorRequirement{},}: field is immutable"
    ]
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 5
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "k8sedu/web:v2"
    assert messages(new, old) == []


def test_deployment_progress_deadline() -> None:
    d = deployment(minReadySeconds=700)
    assert messages(d) == [
        "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds"
    ]


def test_replicaset() -> None:
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-abc", "namespace": "default"},
        "spec": {
            "replicas": -2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "w", "image": "x"}]},
            },
        },
    }
    apply_defaults(rs)
    assert (
        invalid(rs)
        == 'The ReplicaSet "web-abc" is invalid: spec.replicas: Invalid value: -2: must be greater than or equal to 0'
    )


# -- other kinds ---------------------------------------------------------------------------------
def test_node_taints() -> None:
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1"},
        "spec": {
            "taints": [
                {"key": "k", "effect": "Sometimes"},
                {"key": "a", "effect": "NoSchedule"},
                {"key": "a", "effect": "NoSchedule"},
            ]
        },
    }
    assert messages(node) == [
        'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
        'spec.taints[2]: Duplicate value: core.Taint{Key:"a", Value:"", Effect:"NoSchedule", TimeAdded:<nil>}: taints must be unique by key and effect pair',
    ]


def test_namespace_finalizers() -> None:
    ns = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "a"},
        "spec": {"finalizers": ["custom"]},
    }
    assert messages(ns) == [
        'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified'
    ]
    apply_defaults(ns)
    ns["spec"]["finalizers"] = ["kubernetes", "example.com/x"]
    assert messages(ns) == []


def test_service() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "type": "Magic",
            "ports": [{"port": 80}, {"name": "b", "port": 0, "targetPort": "HTTP_"}],
        },
    }
    apply_defaults(svc)
    assert messages(svc) == [
        "spec.ports[0].name: Required value",
        "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        'spec.ports[1].targetPort: Invalid value: "HTTP_": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.ports[1].targetPort: Invalid value: "HTTP_": must contain at least one letter (a-z)',
        'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {},
    }
    assert messages(svc) == ["spec.ports: Required value"]


def test_rbac() -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "system:reader", "namespace": "default"},
        "rules": [{"apiGroups": [""], "resources": ["pods"]}, {"verbs": ["get"]}],
    }
    assert messages(role) == [
        "rules[0].verbs: Required value: verbs must contain at least one value",
        "rules[1].apiGroups: Required value: resource rules must supply at least one api group",
        "rules[1].resources: Required value: resource rules must supply at least one resource",
    ]
    role["metadata"]["name"] = "a/b"
    assert "metadata.name: Invalid value: \"a/b\": may not contain '/'" in messages(role)
    crb = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "x"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        "subjects": [
            {"kind": "ServiceAccount", "name": "default"},
            {"kind": "Robot", "name": "r2"},
        ],
    }
    assert messages(crb) == [
        'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
        "subjects[0].namespace: Required value",
        'subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
    ]


def test_rolebinding_roleref_immutable() -> None:
    rb = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "x", "namespace": "d"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
        "subjects": [{"kind": "User", "name": "alice"}],
    }
    apply_defaults(rb)
    assert messages(rb) == []
    new = copy.deepcopy(rb)
    new["roleRef"]["name"] = "r2"
    assert messages(new, rb) == [
        'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"r2"}: cannot change roleRef'
    ]


def test_configmap_keys_and_immutable() -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "d"},
        "data": {"a b": "x", "ok.key": "y"},
    }
    assert messages(cm) == [
        "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
        "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    ]
    old = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "d"},
        "data": {"k": "1"},
        "immutable": True,
    }
    new = copy.deepcopy(old)
    new["data"]["k"] = "2"
    assert messages(new, old) == ["data: Forbidden: field is immutable when `immutable` is set"]


def test_event_namespace_must_match() -> None:
    ev = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.1", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "other"},
    }
    assert messages(ev) == [
        'involvedObject.namespace: Invalid value: "other": does not match event.namespace'
    ]
    ev["involvedObject"] = {"kind": "Node", "name": "n1"}
    assert messages(ev) == []


def test_binding() -> None:
    b = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "web", "namespace": "default"},
        "target": {"kind": "Pod"},
    }
    assert messages(b) == [
        'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
        "target.name: Required value",
    ]


def test_unknown_kind_is_bad_request() -> None:
    with pytest.raises(BadRequest) as e:
        validate({"apiVersion": "v1", "kind": "Foo", "metadata": {"name": "x"}})
    assert e.value.message == 'no matches for kind "Foo" in version "v1"'


def test_validators_registry_is_extensible() -> None:
    assert {"Pod", "Deployment", "ReplicaSet", "Node", "Namespace", "Role"} <= set(VALIDATORS)
    saved = VALIDATORS.get("ServiceAccount")
    VALIDATORS["ServiceAccount"] = lambda obj, old: [
        FieldError("secrets", "Forbidden", "", "not here")
    ]
    try:
        sa = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "sa", "namespace": "d"},
        }
        assert messages(sa) == ["secrets: Forbidden: not here"]
    finally:
        if saved is None:
            del VALIDATORS["ServiceAccount"]
        else:
            VALIDATORS["ServiceAccount"] = saved


def test_duplicate_messages_reported_once() -> None:
    p = pod()
    p["metadata"]["labels"] = {"a": "-x", "b": "-x"}
    assert messages(p) == [f'metadata.labels: Invalid value: "-x": {LABEL_VALUE_MSG}']
