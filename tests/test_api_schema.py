"""The decoder's checks (k8sedu.api.schema): unknown fields and wrong JSON types, in upstream's
words, and how the apiserver applies them with ``field_validation`` (Strict, Warn, Ignore)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from k8sedu.api import kinds, schema
from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.clock import FakeClock
from k8sedu.errors import BadRequest, Invalid

QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def deployment(**spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]},
        },
    }
    body.update(spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": body}


def pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": list(containers) or [{"name": "a", "image": "busybox"}], **spec},
    }


def container(**fields: Any) -> dict[str, Any]:
    return {"name": "web", "image": "k8sedu/web:v1", **fields}


# ------------------------------------------------------------------ unknown fields
def test_unknown_fields_at_every_depth_with_upstreams_paths() -> None:
    d = deployment(replica=3)
    d["metadata"]["labelz"] = {"app": "web"}
    d["specs"] = {}
    d["status"] = {"replicas": 1, "readyReplica": 1}
    tmpl = d["spec"]["template"]["spec"]
    tmpl["containers"] = [
        container(ports=[{"containerPort": 80}, {"containerPor": 8080}]),
        container(name="side", imagePullPolcy="Always", resources={"limits": {"cpu": "1"}, "limit": {}}),
    ]
    tmpl["nodeSelecter"] = {"disk": "ssd"}
    # keys are visited sorted, as in the JSON kubectl sends
    assert schema.unknown_fields(d) == [
        "metadata.labelz",
        "spec.replica",
        "spec.template.spec.containers[0].ports[1].containerPor",
        "spec.template.spec.containers[1].imagePullPolcy",
        "spec.template.spec.containers[1].resources.limit",
        "spec.template.spec.nodeSelecter",
        "specs",
        "status.readyReplica",
    ]
    assert schema.type_errors(d) == []


def test_type_meta_status_and_managed_fields_are_known() -> None:
    p = pod()
    p["metadata"]["managedFields"] = [{
        "manager": "kubectl", "operation": "Update", "apiVersion": "v1", "time": "2024-01-01T00:00:00Z",
        "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:anything": {}, "k:{\"name\":\"a\"}": {}}},
    }]
    p["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True",
                                                       "lastProbeTime": None}]}
    assert schema.unknown_fields(p) == []
    assert schema.type_errors(p) == []


def test_case_matters_as_in_the_go_decoder() -> None:
    assert schema.unknown_fields(pod(container(Image="x"))) == ["spec.containers[0].Image"]


# ------------------------------------------------------------------ type errors
@pytest.mark.parametrize(
    ("obj", "error"),
    [
        (deployment(replicas="3"),
         "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
        (deployment(replicas=1.5),
         "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"),
        (deployment(replicas=2**31),
         "json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32"),
        (pod(container(env=[{"name": "PORT", "value": 8080}])),
         "json: cannot unmarshal number into Go struct field EnvVar.spec.containers.env.value of type string"),
        (pod(container(command="sleep 10")),
         "json: cannot unmarshal string into Go struct field Container.spec.containers.command of type []string"),
        (pod(container(ports=[{"containerPort": "80"}])),
         "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort "
         "of type int32"),
        (pod(container(imagePullPolicy=True)),
         "json: cannot unmarshal bool into Go struct field Container.spec.containers.imagePullPolicy "
         "of type v1.PullPolicy"),
        (pod(containers={"name": "a"}),
         "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"),
        (pod(nodeSelector={"disk": True}),
         "json: cannot unmarshal bool into Go struct field PodSpec.spec.nodeSelector of type string"),
        (pod(terminationGracePeriodSeconds="30"),
         "json: cannot unmarshal string into Go struct field PodSpec.spec.terminationGracePeriodSeconds "
         "of type int64"),
        (pod(container(resources=[])),
         "json: cannot unmarshal array into Go struct field Container.spec.containers.resources "
         "of type v1.ResourceRequirements"),
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app": True}}},
         "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string"),
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": ["a"]}},
         "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations "
         "of type map[string]string"),
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "uid": 7}},
         "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.uid of type types.UID"),
        # Time and IntOrString decode themselves (standard library json): their errors name no field
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "creationTimestamp": 0}},
         "json: cannot unmarshal number into Go value of type string"),
        (deployment(strategy={"rollingUpdate": {"maxSurge": True}}),
         "json: cannot unmarshal bool into Go value of type int32"),
        (deployment(strategy={"rollingUpdate": {"maxUnavailable": 0.5}}),
         "json: cannot unmarshal number 0.5 into Go value of type int32"),
        (pod(container(resources={"limits": {"cpu": "lots"}})), QUANTITY_ERROR),
        (pod(container(resources={"requests": {"memory": True}})), QUANTITY_ERROR),
        ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "mypassword"}},
         "illegal base64 data at input byte 8"),
        ({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "a$cd"}},
         "illegal base64 data at input byte 1"),
        ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
          "spec": {"ports": [{"port": 80, "targetPort": [80]}]}},
         "json: cannot unmarshal array into Go value of type int32"),
    ],
)
def test_type_errors_in_the_decoders_words(obj: dict[str, Any], error: str) -> None:
    assert schema.type_errors(obj) == [error]


def test_only_the_first_type_error_is_reported() -> None:
    d = deployment(replicas="3", minReadySeconds="5")
    assert schema.type_errors(d) == [
        "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.minReadySeconds of type int32"
    ]


def test_a_custom_decoders_error_wins_over_an_earlier_type_error() -> None:
    # Go's decoder keeps the first type error and goes on; IntOrString's own error stops it at once
    d = deployment(minReadySeconds="5", strategy={"rollingUpdate": {"maxSurge": True}})
    assert schema.type_errors(d) == ["json: cannot unmarshal bool into Go value of type int32"]


def test_values_that_decode() -> None:
    ok = [
        deployment(replicas=3.0),  # YAML 3.0 reaches the server as 3 through kubectl
        deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}),
        pod(container(resources={"limits": {"cpu": 1, "memory": "1.5Gi"}, "requests": {"cpu": 0.5, "memory": "64Mi"}},
                      ports=[{"containerPort": 80, "protocol": "TCP"}],
                      livenessProbe={"httpGet": {"path": "/healthz", "port": "http"}},
                      readinessProbe={"tcpSocket": {"port": 80}})),
        pod(volumes=[{"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}], activeDeadlineSeconds=None),
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "cGFzc3dvcmQ="},
         "stringData": {"user": "admin"}},
        {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}, "involvedObject": {"kind": "Pod"},
         "count": 3, "series": {"count": 2, "lastObservedTime": "2024-01-01T00:00:00.000000Z"},
         "eventTime": None},
    ]
    for obj in ok:
        assert schema.type_errors(obj) == [], obj
        assert schema.unknown_fields(obj) == [], obj


# ------------------------------------------------------------------ every kind
TYPICAL: dict[str, dict[str, Any]] = {
    "Pod": pod(container(ports=[{"containerPort": 80}], env=[{"name": "A", "value": "1"}]),
               restartPolicy="Always", nodeSelector={"disk": "ssd"},
               tolerations=[{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]),
    "Node": {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {"a": "b"}},
             "spec": {"unschedulable": False, "taints": [{"key": "k", "effect": "NoSchedule"}]},
             "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                        "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                        "lastHeartbeatTime": "2024-01-01T00:00:00Z"}],
                        "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
                        "nodeInfo": {"kubeletVersion": "v1.32.0"}}},
    "Namespace": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"},
                  "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}},
    "Service": {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                "spec": {"type": "NodePort", "selector": {"app": "web"}, "sessionAffinity": "ClientIP",
                         "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}]}},
    "Endpoints": {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
                  "subsets": [{"addresses": [{"ip": "10.1.0.5", "targetRef": {"kind": "Pod", "name": "p"}}],
                               "ports": [{"port": 8080, "protocol": "TCP"}]}]},
    "Event": {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "p.1"}, "reason": "Scheduled",
              "message": "ok", "type": "Normal", "count": 1, "source": {"component": "default-scheduler"},
              "involvedObject": {"kind": "Pod", "name": "p", "uid": "u"},
              "firstTimestamp": "2024-01-01T00:00:00Z", "lastTimestamp": "2024-01-01T00:00:00Z"},
    "Binding": {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
                "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}},
    "ServiceAccount": {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"},
                       "automountServiceAccountToken": False},
    "ConfigMap": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"},
                  "binaryData": {"b": "AAE="}},
    "Secret": {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
               "data": {"a": "YQ=="}},
    "Deployment": deployment(strategy={"type": "RollingUpdate",
                                       "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                             revisionHistoryLimit=10, progressDeadlineSeconds=600),
    "ReplicaSet": {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-1"},
                   "spec": deployment()["spec"] | {"minReadySeconds": 0},
                   "status": {"replicas": 2, "readyReplicas": 2, "observedGeneration": 1}},
    "Lease": {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "node-1"},
              "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40,
                       "renewTime": "2024-01-01T00:00:00.000000Z"}},
    "Role": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
             "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
    "ClusterRole": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "r"}, "rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}],
                    "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]}},
    "RoleBinding": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
                    "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}]},
    "ClusterRoleBinding": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                           "metadata": {"name": "b"},
                           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "r"},
                           "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"}]},
}


def test_schema_json_describes_every_registered_kind() -> None:
    # kinds nobody writes (metrics.k8s.io: get and list only) have no schema
    missing = [f"{k.api_version}/{k.kind}" for k in kinds.all_kinds()
               if "create" in k.verbs and not schema.known_kind({"apiVersion": k.api_version, "kind": k.kind})]
    assert missing == [], "run `python -m k8sedu.api.schema_gen` to add them to schema.json"


@pytest.mark.parametrize("kind", sorted(TYPICAL))
def test_a_typical_manifest_of_every_kind_decodes(kind: str) -> None:
    obj = TYPICAL[kind]
    assert schema.known_kind(obj)
    assert schema.type_errors(obj) == []
    assert schema.unknown_fields(obj) == []
    assert schema.check(obj, "Strict") == []


def test_what_the_apiserver_stores_decodes_strictly() -> None:
    api = APIServer(clock=FakeClock())
    api.create(ADMIN, "deployments", deployment(), "default")
    api.create(ADMIN, "pods", pod(container(resources={"limits": {"cpu": "1"}})), "default")
    stored = [api.get(ADMIN, "deployments", "web", "default"), api.get(ADMIN, "pods", "p", "default"),
              *api.list(ADMIN, "clusterroles")["items"], *api.list(ADMIN, "namespaces")["items"]]
    for obj in stored:
        assert schema.check(obj, "Strict") == [], obj["metadata"]["name"]


def test_a_kind_the_schema_lacks_still_has_its_metadata_checked() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"on": True}},
           "spec": {"anything": 1}}
    assert not schema.known_kind(obj)
    assert schema.unknown_fields(obj) == []
    assert schema.type_errors(obj) == [
        "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string"]


# ------------------------------------------------------------------ check(): the three modes
def test_check_strict_warn_ignore() -> None:
    d = deployment(replica=3)
    d["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    with pytest.raises(BadRequest) as err:
        schema.check(d, "Strict")
    assert err.value.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
        'unknown field "spec.replica", unknown field "spec.template.spec.containers[0].imagePullPolcy"'
    )
    assert err.value.code == 400
    assert schema.check(d, "Warn") == [
        'unknown field "spec.replica"', 'unknown field "spec.template.spec.containers[0].imagePullPolcy"']
    assert schema.check(d, "Ignore") == []
    with pytest.raises(ValueError):
        schema.check(d, "strict")


@pytest.mark.parametrize("mode", ["Strict", "Warn", "Ignore"])
def test_type_errors_fail_in_every_mode(mode: str) -> None:
    with pytest.raises(BadRequest) as err:
        schema.check(pod(container(ports=[{"containerPort": "80"}])), mode)
    assert err.value.message == (
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field '
        "ContainerPort.spec.containers.ports.containerPort of type int32"
    )


def test_prune_drops_unknown_fields_and_whole_floats() -> None:
    d = deployment(replica=3, replicas=3.0)
    d["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    schema.prune(d)
    assert d["spec"]["replicas"] == 3 and isinstance(d["spec"]["replicas"], int)
    assert "replica" not in d["spec"]
    assert d["spec"]["template"]["spec"]["containers"][0] == container()


# ------------------------------------------------------------------ patches
def test_a_strategic_patch_with_an_unknown_field() -> None:
    patched = deployment(replica=3)
    patch = {"metadata": {"annotations": {"note": 'say "hi"\n'}}, "spec": {"replica": 3, "paused": None}}
    with pytest.raises(Invalid) as err:
        schema.check_patch(patched, patch, "strategic", "Strict")
    value = 'map[metadata:map[annotations:map[note:say \\"hi\\"\\n]] spec:map[paused:<nil> replica:3]]'
    assert err.value.code == 422
    assert err.value.message == (
        f' "" is invalid: patch: Invalid value: "{value}": strict decoding error: unknown field "spec.replica"')
    assert str(err.value) == (
        f'The request is invalid: patch: Invalid value: "{value}": strict decoding error: unknown field '
        '"spec.replica"')
    assert schema.check_patch(patched, patch, "strategic", "Warn") == ['unknown field "spec.replica"']
    assert schema.check_patch(patched, patch, "strategic", "Ignore") == []


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ({"replicas": "3"}, "unrecognized type: int32"),
        ({"paused": "yes"}, "unrecognized type: bool"),
        ({"replicas": 1.5}, "cannot convert float64 to int32"),
        ({"template": {"spec": {"containers": [container(image=7)]}}}, "cannot convert int64 to string"),
        ({"template": {"spec": {"containers": [container(imagePullPolicy=1)]}}},
         "cannot convert int64 to v1.PullPolicy"),
        ({"template": {"spec": {"containers": [container(command="sleep 1")]}}}, "cannot restore slice from string"),
        ({"selector": "app=web"}, "cannot restore struct from: string"),
        ({"strategy": {"rollingUpdate": {"maxSurge": True}}}, "json: cannot unmarshal bool into Go value of type int32"),
    ],
)
def test_a_strategic_patch_that_does_not_convert(spec: dict[str, Any], error: str) -> None:
    patched = deployment(**spec)
    with pytest.raises(Invalid) as err:
        schema.check_patch(patched, {"spec": spec}, "strategic", "Ignore")
    assert str(err.value).endswith(f'": {error}')
    assert err.value.details["causes"][0]["field"] == "patch"


def test_a_merge_patch_shows_the_patched_object() -> None:
    patched: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                               "data": {"a": "<1>"}, "datta": {}}
    with pytest.raises(Invalid) as err:
        schema.check_patch(patched, {"datta": {}}, "merge", "Strict")
    assert str(err.value) == (
        'The request is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"v1\\",\\"data\\":{\\"a\\":'
        '\\"\\\\u003c1\\\\u003e\\"},\\"datta\\":{},\\"kind\\":\\"ConfigMap\\",\\"metadata\\":{\\"name\\":\\"c\\"}}": '
        'strict decoding error: unknown field "datta"'
    )
    patched["datta"] = None
    patched["data"] = {"a": 1}
    with pytest.raises(Invalid, match="json: cannot unmarshal number into Go struct field ConfigMap.data of type string"):
        schema.check_patch(patched, {"data": {"a": 1}}, "json", "Ignore")


# ------------------------------------------------------------------ Go's formatting
def test_go_formatting_helpers() -> None:
    assert schema.go_quote('a "b"\n\tc\\ 中') == '"a \\"b\\"\\n\\tc\\\\ 中"'
    assert schema.go_sprint({"b": [1, 2.5, None, True], "a": {"x": "y z"}, "c": 1e6}) == (
        "map[a:map[x:y z] b:[1 2.5 <nil> true] c:1e+06]")
    assert [schema.go_json_number(v) for v in (3, 3.0, 1.5, 1e-7, 0.00001, 1e21)] == [
        "3", "3", "1.5", "1e-7", "0.00001", "1e+21"]


# ------------------------------------------------------------------ the apiserver with field_validation
@pytest.fixture
def api() -> APIServer:
    return APIServer(clock=FakeClock())


def typo_deployment() -> dict[str, Any]:
    d = deployment()
    d["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    return d


def test_apiserver_create_strict_refuses_and_stores_nothing(api: APIServer) -> None:
    with pytest.raises(BadRequest) as err:
        api.create(ADMIN, "deployments", typo_deployment(), "default", field_validation="Strict")
    assert err.value.message == (
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field '
        '"spec.template.spec.containers[0].imagePullPolcy"'
    )
    assert api.list(ADMIN, "deployments", "default")["items"] == []


@pytest.mark.parametrize(("mode", "warnings"), [
    ("Warn", ['unknown field "spec.template.spec.containers[0].imagePullPolcy"']),
    (None, ['unknown field "spec.template.spec.containers[0].imagePullPolcy"']),  # the server's default
    ("Ignore", []),
])
def test_apiserver_warn_and_ignore_drop_the_field(api: APIServer, mode: str | None, warnings: list[str]) -> None:
    if mode is None:
        created = api.create(ADMIN, "deployments", typo_deployment(), "default")
    else:
        created = api.create(ADMIN, "deployments", typo_deployment(), "default", field_validation=mode)
    assert api.last_warnings == warnings
    stored = api.get(ADMIN, "deployments", "web", "default")
    for obj in (created, stored):
        assert "imagePullPolcy" not in obj["spec"]["template"]["spec"]["containers"][0]
    api.get(ADMIN, "deployments", "web", "default")
    assert api.last_warnings == warnings  # reads leave the last write's warnings alone
    api.create(ADMIN, "configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
               "default")
    assert api.last_warnings == []


def test_apiserver_type_errors_fail_even_with_ignore(api: APIServer) -> None:
    with pytest.raises(BadRequest, match="DeploymentSpec.spec.replicas of type int32"):
        api.create(ADMIN, "deployments", deployment(replicas="3"), "default", field_validation="Ignore")


def test_apiserver_metadata_that_is_not_an_object(api: APIServer) -> None:
    bad = {"apiVersion": "v1", "kind": "Pod", "metadata": "web", "spec": {}}
    for call in (lambda: api.create(ADMIN, "pods", bad, "default"), lambda: api.update(ADMIN, "pods", bad, "default")):
        with pytest.raises(BadRequest) as err:
            call()
        assert err.value.message == ('Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string '
                                     "into Go struct field Pod.metadata of type v1.ObjectMeta")


def test_apiserver_refuses_an_unknown_field_validation_value(api: APIServer) -> None:
    with pytest.raises(Invalid) as err:
        api.create(ADMIN, "deployments", deployment(), "default", field_validation="strict")
    assert err.value.message == ('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: '
                                 '"strict": supported values: "", "Ignore", "Strict", "Warn"')
    api.create(ADMIN, "deployments", deployment(), "default")
    with pytest.raises(Invalid) as err:
        api.patch(ADMIN, "deployments", "web", {}, "default", field_validation="warn")
    assert err.value.message.startswith('PatchOptions.meta.k8s.io "" is invalid: fieldValidation: ')


def test_apiserver_update_and_patch_validate_fields(api: APIServer) -> None:
    current = api.create(ADMIN, "deployments", deployment(), "default")
    current["spec"]["replica"] = 5
    with pytest.raises(BadRequest, match='strict decoding error: unknown field "spec.replica"$'):
        api.update(ADMIN, "deployments", current, "default", field_validation="Strict")
    updated = api.update(ADMIN, "deployments", current, "default")
    assert api.last_warnings == ['unknown field "spec.replica"']
    assert "replica" not in updated["spec"]
    with pytest.raises(Invalid) as err:
        api.patch(ADMIN, "deployments", "web", {"spec": {"replica": 5}}, "default", patch_type="strategic",
                  field_validation="Strict")
    assert str(err.value) == ('The request is invalid: patch: Invalid value: "map[spec:map[replica:5]]": '
                              'strict decoding error: unknown field "spec.replica"')
    api.patch(ADMIN, "deployments", "web", {"spec": {"replica": 5, "replicas": 4}}, "default")
    assert api.last_warnings == ['unknown field "spec.replica"']
    stored = api.get(ADMIN, "deployments", "web", "default")
    assert stored["spec"]["replicas"] == 4 and "replica" not in stored["spec"]
    with pytest.raises(Invalid, match='"map\\[spec:map\\[replicas:4\\]\\]": unrecognized type: int32$'):
        api.patch(ADMIN, "deployments", "web", {"spec": {"replicas": "4"}}, "default", patch_type="strategic")


def test_last_warnings_belong_to_the_calling_thread(api: APIServer) -> None:
    api.create(ADMIN, "deployments", typo_deployment(), "default")
    seen: list[list[str]] = []

    def other() -> None:
        api.create(ADMIN, "configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
                   "default")
        seen.append(api.last_warnings)

    t = threading.Thread(target=other)
    t.start()
    t.join(timeout=30)
    assert seen == [[]]
    assert api.last_warnings == ['unknown field "spec.template.spec.containers[0].imagePullPolcy"']


# ------------------------------------------------------------------ the generator
def test_the_generator_reads_the_official_client() -> None:
    pytest.importorskip("kubernetes")
    from k8sedu.api import schema_gen

    doc = schema_gen.generate([("", "v1", "ConfigMap"), ("apps", "v1", "Deployment")])
    assert doc["kinds"] == {"v1/ConfigMap": "ConfigMap", "apps/v1/Deployment": "Deployment"}
    types = doc["types"]
    assert types["ConfigMap"]["binaryData"] == "map[string][]uint8"
    assert types["ObjectMeta"]["uid"] == "types.UID"
    assert types["ObjectMeta"]["generation"] == "int64"
    assert types["DeploymentSpec"]["replicas"] == "int32"
    assert types["RollingUpdateDeployment"]["maxSurge"] == "intstr.IntOrString"
    assert types["ResourceRequirements"]["limits"] == "v1.ResourceList"
    assert doc["named"]["v1.ResourceList"] == "map[string]resource.Quantity"
    assert json.loads(schema_gen.render(doc)) == doc
