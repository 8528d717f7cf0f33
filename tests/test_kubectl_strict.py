"""kubectl's ``--validate`` (server-side field validation): a misspelt field is refused with
kubectl 1.32's words and nothing is created; ``--validate=false`` creates the object without the
field; ``--validate=warn`` prints the server's ``Warning:`` line before the result."""

from __future__ import annotations

import pytest

from k8sedu.api import schema
from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.clock import FakeClock
from k8sedu.errors import KubectlError
from k8sedu.kubectl import Kubectl
from k8sedu.kubectl.apply import LAST_APPLIED

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: k8sedu/web:v1
"""

TYPO = DEPLOYMENT + "        imagePullPolcy: Always\n"
TYPO_FIELD = "spec.template.spec.containers[0].imagePullPolcy"
STRICT_ERROR = (
    'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be '
    f'handled as a Deployment: strict decoding error: unknown field "{TYPO_FIELD}"'
)


@pytest.fixture
def api() -> APIServer:
    return APIServer(clock=FakeClock())


@pytest.fixture
def client(api: APIServer) -> Client:
    return Client(api, ADMIN, "kubectl")


@pytest.fixture
def k(client: Client, api: APIServer) -> Kubectl:
    return Kubectl(client, api.clock, delete_timeout=10)


def fails(k: Kubectl, command: str, stdin: str | None = None) -> KubectlError:
    with pytest.raises(KubectlError) as info:
        k.run(command, stdin=stdin)
    return info.value


@pytest.mark.parametrize("command", ["apply -f -", "create -f -", "apply -f - --validate", "apply --validate=true -f -",
                                     "create -f - --validate=strict"])
def test_a_typo_is_refused_and_nothing_is_created(k: Kubectl, client: Client, command: str) -> None:
    assert str(fails(k, command, TYPO)) == STRICT_ERROR
    assert client.items("deployments", "default") == []


@pytest.mark.parametrize("flag", ["--validate=false", "--validate=ignore", "--validate=0"])
def test_validate_false_creates_the_object_without_the_field(k: Kubectl, client: Client, flag: str) -> None:
    assert k.run(f"apply -f - {flag}", stdin=TYPO) == "deployment.apps/web created\n"
    live = client.get("deployments", "web", "default")
    assert "imagePullPolcy" not in live["spec"]["template"]["spec"]["containers"][0]
    assert k.run(f"create -f - {flag}", stdin=TYPO.replace("name: web\nspec", "name: web2\nspec", 1)) == (
        "deployment.apps/web2 created\n")


def test_validate_warn_prints_the_servers_warning_first(k: Kubectl, client: Client) -> None:
    assert k.run("apply -f - --validate=warn", stdin=TYPO) == (
        f'Warning: unknown field "{TYPO_FIELD}"\ndeployment.apps/web created\n')
    assert client.get("deployments", "web", "default")["spec"]["replicas"] == 2


def test_each_warning_is_printed_once_per_command(k: Kubectl) -> None:
    two = TYPO + "---\n" + TYPO.replace("name: web\nspec", "name: api\nspec", 1)
    assert k.run("create --validate=warn -f -", stdin=two) == (
        f'Warning: unknown field "{TYPO_FIELD}"\ndeployment.apps/web created\ndeployment.apps/api created\n')


def test_an_invalid_validate_value(k: Kubectl, client: Client) -> None:
    assert str(fails(k, "apply -f - --validate=foo", TYPO)) == (
        'error: invalid - validate option "foo"; must be one of: strict (or true), warn, ignore (or false)')
    assert client.items("deployments", "default") == []


def test_a_wrong_type_fails_whatever_validate_says(k: Kubectl, client: Client) -> None:
    bad = DEPLOYMENT.replace("replicas: 2", 'replicas: "2"')
    for command in ("apply -f -", "apply -f - --validate=false"):
        assert str(fails(k, command, bad)) == (
            'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be '
            "handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas "
            "of type int32")
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: on\nspec:\n  containers:\n  - name: a\n    image: busybox\n"
    assert str(fails(k, "create -f -", pod)) == (
        'Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" cannot be handled as a '
        "Pod: json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.labels of type string")
    assert client.items("deployments", "default") == [] and client.items("pods", "default") == []


def test_apply_to_an_existing_object_validates_the_patch(k: Kubectl, client: Client) -> None:
    assert k.run("apply -f -", stdin=DEPLOYMENT) == "deployment.apps/web created\n"
    changed = DEPLOYMENT.replace("replicas: 2", "replicas: 4\n  replica: 4")
    err = fails(k, "apply -f -", changed)
    annotation = client.get("deployments", "web", "default")["metadata"]["annotations"][LAST_APPLIED]
    new_annotation = annotation.replace('"replicas":2', '"replica":4,"replicas":4')
    patch_map = f"map[metadata:map[annotations:map[{LAST_APPLIED}:{new_annotation}]] spec:map[replica:4 replicas:4]]"
    assert str(err) == (f"The request is invalid: patch: Invalid value: {schema.go_quote(patch_map)}: "
                        'strict decoding error: unknown field "spec.replica"')
    live = client.get("deployments", "web", "default")
    assert live["spec"]["replicas"] == 2  # the whole patch was refused
    assert live["metadata"]["annotations"][LAST_APPLIED] == annotation
    assert k.run("apply -f - --validate=warn", stdin=changed) == (
        'Warning: unknown field "spec.replica"\ndeployment.apps/web configured\n')
    live = client.get("deployments", "web", "default")
    assert live["spec"]["replicas"] == 4 and "replica" not in live["spec"]


def test_one_bad_document_does_not_stop_the_others(k: Kubectl, client: Client) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n"
    err = fails(k, "apply -f -", TYPO + "---\n" + cm)
    assert str(err) == STRICT_ERROR
    assert getattr(err, "output", "") == "configmap/settings created\n"
    assert [c["metadata"]["name"] for c in client.items("configmaps", "default")] == ["settings"]


def test_kubectl_patch_has_no_validate_and_gets_the_servers_warning(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    assert k.run("""patch deployment web -p '{"spec":{"replica":5}}'""") == (
        'Warning: unknown field "spec.replica"\ndeployment.apps/web patched (no change)\n')
    assert "replica" not in client.get("deployments", "web", "default")["spec"]


def test_apply_objects_is_strict_too(client: Client, api: APIServer) -> None:
    import yaml

    k = Kubectl(client, api.clock)
    with pytest.raises(KubectlError) as err:
        k.apply_objects([yaml.safe_load(TYPO)], "default")
    assert str(err.value) == (
        'Error from server (BadRequest): Deployment in version "v1" cannot be handled as a Deployment: '
        f'strict decoding error: unknown field "{TYPO_FIELD}"')
    assert client.items("deployments", "default") == []


def test_generators_still_create(k: Kubectl) -> None:
    assert k.run("create deployment web --image=k8sedu/web:v1") == "deployment.apps/web created\n"
    assert k.run("create namespace dev --validate=strict") == "namespace/dev created\n"
    assert k.run("run p --image=busybox") == "pod/p created\n"
