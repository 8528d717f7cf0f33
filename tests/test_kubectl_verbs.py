"""kubectl verbs against a bare apiserver (no scheduler, no kubelet): what they print, the errors
they raise (kubectl 1.32's exact words), and the objects they leave behind."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from k8sedu.api import meta
from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.clock import FakeClock
from k8sedu.errors import KubectlError
from k8sedu.kubectl import Kubectl
from k8sedu.kubectl.apply import LAST_APPLIED, three_way_patch
from k8sedu.kubectl.args import Flag, parse, parse_duration, split
from k8sedu.kubectl.manifests import load_text

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    tier: front
spec:
  replicas: 3
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
        ports:
        - containerPort: 80
        - containerPort: 8080
        env:
        - name: A
          value: "1"
        - name: B
          value: "2"
"""


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


# ------------------------------------------------------------------ apply
def test_apply_creates_then_unchanged_then_configured(k: Kubectl, client: Client) -> None:
    assert k.run("apply -f -", stdin=DEPLOYMENT) == "deployment.apps/web created\n"
    assert k.run("kubectl apply -f -", stdin=DEPLOYMENT) == "deployment.apps/web unchanged\n"
    assert k.run("apply -f -", stdin=DEPLOYMENT.replace("replicas: 3", "replicas: 5")) == "deployment.apps/web configured\n"
    assert client.get("deployments", "web", "default")["spec"]["replicas"] == 5


def test_apply_removes_what_was_removed_from_the_manifest(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    client.patch("deployments", "web", {"metadata": {"labels": {"owner": "controller"}}}, "default")
    trimmed = (DEPLOYMENT.replace("    tier: front\n", "")
               .replace("        - containerPort: 8080\n", "")
               .replace('        - name: B\n          value: "2"\n', ""))
    assert k.run("apply -f -", stdin=trimmed) == "deployment.apps/web configured\n"
    live = client.get("deployments", "web", "default")
    assert live["metadata"]["labels"] == {"app": "web", "owner": "controller"}  # others' fields stay
    container = live["spec"]["template"]["spec"]["containers"][0]
    assert [p["containerPort"] for p in container["ports"]] == [80]
    assert container["env"] == [{"name": "A", "value": "1"}]
    assert live["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted fields stay


def test_apply_keeps_the_last_applied_annotation_as_kubectl_writes_it(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    text = client.get("deployments", "web", "default")["metadata"]["annotations"][LAST_APPLIED]
    assert text.endswith("}\n")
    assert text.startswith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":')
    assert json.loads(text)["metadata"] == {"annotations": {}, "labels": {"app": "web", "tier": "front"},
                                            "name": "web", "namespace": "default"}


def test_apply_after_a_scale_puts_the_manifest_replicas_back(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    k.run("scale deployment web --replicas=7")
    assert k.run("apply -f -", stdin=DEPLOYMENT) == "deployment.apps/web configured\n"
    assert client.get("deployments", "web", "default")["spec"]["replicas"] == 3


def test_three_way_patch_uses_merge_keys_and_deletes_removed_items() -> None:
    original = {"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}}
    modified = {"spec": {"containers": [{"name": "a", "image": "x2"}]}}
    current = {"spec": {"containers": [{"name": "a", "image": "x", "imagePullPolicy": "Always"},
                                       {"name": "b", "image": "y"}]}}
    patch = three_way_patch(original, modified, current)
    assert patch == {"spec": {
        "$setElementOrder/containers": [{"name": "a"}],
        "containers": [{"$patch": "delete", "name": "b"}, {"image": "x2", "name": "a"}],
    }} or patch == {"spec": {
        "$setElementOrder/containers": [{"name": "a"}],
        "containers": [{"image": "x2", "name": "a"}, {"$patch": "delete", "name": "b"}],
    }}


def test_apply_multi_document_and_list_continue_after_a_bad_document(k: Kubectl, client: Client) -> None:
    text = (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev\n---\n---\n"
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: one}\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: two}\n"
    )
    assert k.run("apply -f -", stdin=text) == (
        "namespace/dev created\nconfigmap/one created\nconfigmap/two created\n"
    )
    broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: three\n---\nkind: x\n  bad: 1\n"
    err = fails(k, "apply -f -", broken)
    assert getattr(err, "output", "") == "configmap/three created\n"
    assert str(err) == ("error: error parsing STDIN: error converting YAML to JSON: yaml: line 2: "
                        "mapping values are not allowed in this context")
    assert client.get("configmaps", "three", "default")


def test_malformed_yaml_error_matches_kubectl(k: Kubectl, client: Client) -> None:
    bad = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n labels: {}\n"
    err = fails(k, "apply -f -", bad)
    assert str(err) == ("error: error parsing STDIN: error converting YAML to JSON: yaml: line 4: "
                        "did not find expected key")
    assert client.items("deployments", "default") == []


def test_manifest_loader_errors_match_kubectl(tmp_path: Any) -> None:
    cases = {
        "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n": "yaml: line 4: found character that cannot start any token",
        "apiVersion: v1\nkind Pod\nmetadata:\n  name: x\n": "yaml: line 3: could not find expected ':'",
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "x\n': "yaml: line 5: found unexpected end of stream",
        "apiVersion: v1\nkind: Pod\nmetadata: [a, b\n": "yaml: line 3: did not find expected ',' or ']'",
    }
    for text, expected in cases.items():
        _, errors = load_text(text, "f.yaml")
        assert errors == [f"error parsing f.yaml: error converting YAML to JSON: {expected}"]
    assert load_text("just a string\n", "s.yaml")[1] == [
        'unable to decode "s.yaml": json: cannot unmarshal string into Go value of type unstructured.detector']
    assert load_text("apiVersion: v1\nmetadata:\n  name: x\n", "STDIN")[1] == [
        "unable to decode \"STDIN\": Object 'Kind' is missing in '{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}'"]
    assert load_text('{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "x",}}\n', "p.json")[1] == [
        "error parsing p.json: json: offset 63: invalid character '}' looking for beginning of object key string"]


def test_apply_from_files_and_directories(k: Kubectl, tmp_path: Any) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "b.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n")
    (folder / "a.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}')
    (folder / "notes.txt").write_text("not a manifest")
    assert k.run(["apply", "-f", str(folder)]) == "configmap/a created\nconfigmap/b created\n"
    missing = tmp_path / "nope.yaml"
    assert str(fails(k, f"apply -f {missing}")) == f'error: the path "{missing}" does not exist'
    assert str(fails(k, "apply")) == "error: must specify one of -f and -k"


def test_unknown_kind_error(k: Kubectl) -> None:
    err = fails(k, "apply -f -", "apiVersion: v1\nkind: Foo\nmetadata:\n  name: x\n")
    assert str(err) == ('error: resource mapping not found for name: "x" namespace: "" from "STDIN": '
                        'no matches for kind "Foo" in version "v1"\nensure CRDs are installed first')


def test_invalid_name_error_and_nothing_created(k: Kubectl, client: Client) -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Web_1\nspec:\n  containers: [{name: c, image: b}]\n"
    err = fails(k, "apply -f -", pod)
    assert str(err).startswith('The Pod "Web_1" is invalid: metadata.name: Invalid value: "Web_1": '
                               "a lowercase RFC 1123 subdomain must consist of")
    assert client.items("pods", "default") == []


def test_negative_replicas_error_and_nothing_created(k: Kubectl, client: Client) -> None:
    err = fails(k, "apply -f -", DEPLOYMENT.replace("replicas: 3", "replicas: -1"))
    assert str(err) == ('The Deployment "web" is invalid: spec.replicas: Invalid value: -1: '
                        "must be greater than or equal to 0")
    assert client.items("deployments", "default") == []


def test_apply_with_a_stale_resource_version_is_a_conflict(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    first = client.get("deployments", "web", "default")["metadata"]["resourceVersion"]
    client.patch("deployments", "web", {"metadata": {"labels": {"touched": "yes"}}}, "default")
    stale = DEPLOYMENT.replace("  name: web\n", f'  name: web\n  resourceVersion: "{first}"\n', 1)
    err = fails(k, "apply -f -", stale)
    text = str(err)
    assert text.startswith("Error from server (Conflict): error when applying patch:\n{")
    assert f'"resourceVersion":"{first}"' in text
    assert ('\nto:\nResource: "apps/v1, Resource=deployments", GroupVersionKind: "apps/v1, Kind=Deployment"\n'
            'Name: "web", Namespace: "default"\nfor: "STDIN": Operation cannot be fulfilled on deployments.apps '
            '"web": the object has been modified; please apply your changes to the latest version and try again'
            ) in text
    assert text.endswith("try again")


def test_create_from_file_and_already_exists(k: Kubectl) -> None:
    assert k.run("create -f -", stdin=DEPLOYMENT) == "deployment.apps/web created\n"
    err = fails(k, "create -f -", DEPLOYMENT)
    assert str(err) == ('Error from server (AlreadyExists): error when creating "STDIN": '
                        'deployments.apps "web" already exists')
    # apply on an object made by create warns, then patches the annotation in
    out = k.run("apply -f -", stdin=DEPLOYMENT)
    assert out.startswith("Warning: resource deployments/web is missing the "
                          "kubectl.kubernetes.io/last-applied-configuration annotation")
    assert out.endswith("deployment.apps/web configured\n")


def test_create_deployment_and_namespace(k: Kubectl, client: Client) -> None:
    assert k.run("create deployment web --image=k8sedu/web:v1 --replicas=2 --port=80") == \
        "deployment.apps/web created\n"
    d = client.get("deployments", "web", "default")
    assert d["spec"]["replicas"] == 2 and d["metadata"]["labels"] == {"app": "web"}
    c = d["spec"]["template"]["spec"]["containers"][0]
    assert (c["name"], c["image"], c["ports"][0]["containerPort"]) == ("web", "k8sedu/web:v1", 80)
    assert k.run("create namespace dev") == "namespace/dev created\n"
    assert k.run("create ns dev2 --dry-run=client") == "namespace/dev2 created (dry run)\n"
    assert client.get_or_none("namespaces", "dev2") is None
    assert k.run("create deployment api --image=k8sedu/web:v2 --dry-run=client -o yaml") == (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: api\n"
        "  name: api\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: api\n  strategy: {}\n"
        "  template:\n    metadata:\n      creationTimestamp: null\n      labels:\n        app: api\n    spec:\n"
        "      containers:\n      - image: k8sedu/web:v2\n        name: web\n        resources: {}\nstatus: {}\n"
    )
    assert str(fails(k, "create deployment x")) == 'error: required flag(s) "image" not set'


# ------------------------------------------------------------------ get
def test_get_tables(k: Kubectl) -> None:
    assert k.run("get pods") == "No resources found in default namespace.\n"
    assert k.run("get pods -n kube-system") == "No resources found in kube-system namespace.\n"
    assert k.run("get pods -A") == "No resources found\n"
    k.run("apply -f -", stdin=DEPLOYMENT)
    assert k.run("get deploy") == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "web    0/3     0            0           0s\n"
    )
    assert k.run("get deployments.apps web -o name") == "deployment.apps/web\n"
    assert k.run("get deploy/web -o jsonpath={.spec.replicas}") == "3"
    assert k.run("get ns") == (
        "NAME              STATUS   AGE\n"
        "default           Active   0s\n"
        "kube-node-lease   Active   0s\n"
        "kube-public       Active   0s\n"
        "kube-system       Active   0s\n"
    )


def test_get_several_types_prefixes_names_and_separates_tables(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    client.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}, "default")
    out = k.run("get deploy,cm")
    assert out == (
        "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "deployment.apps/web   0/3     0            0           0s\n"
        "\n"
        "NAME                  DATA   AGE\n"
        "configmap/cfg         0      0s\n"
    ) or out.startswith("NAME                  READY")
    assert out.split("\n\n")[1].splitlines()[1].startswith("configmap/cfg")
    # kind prefix even when only one of the requested types has objects
    assert k.run("get deploy,rs").splitlines()[1].startswith("deployment.apps/web ")
    everything = k.run("get all")
    assert everything.splitlines()[1].startswith("service/kubernetes ")  # the apiserver's own Service
    deployments = next(t for t in everything.split("\n\n") if "UP-TO-DATE" in t)
    assert deployments.splitlines()[1].startswith("deployment.apps/web ")


def test_get_not_found_and_partial_results(k: Kubectl) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    assert str(fails(k, "get deploy nope")) == 'Error from server (NotFound): deployments.apps "nope" not found'
    err = fails(k, "get deploy web nope")
    assert getattr(err, "output", "").startswith("NAME   READY")
    assert str(err) == 'Error from server (NotFound): deployments.apps "nope" not found'
    assert k.run("get deploy nope --ignore-not-found") == ""
    assert str(fails(k, "get foo")) == 'error: the server doesn\'t have a resource type "foo"'


def test_get_yaml_json_and_lists(k: Kubectl) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    one = json.loads(k.run("get deploy web -o json"))
    assert one["kind"] == "Deployment" and one["metadata"]["name"] == "web"
    many = json.loads(k.run("get deploy -o json"))
    assert many["kind"] == "List" and [i["metadata"]["name"] for i in many["items"]] == ["web"]
    assert k.run("get deploy -o yaml").startswith("apiVersion: v1\nitems:\n- apiVersion: apps/v1\n")
    assert str(fails(k, "get deploy -o foo")).startswith(
        'error: unable to match a printer suitable for the output format "foo", allowed formats are: ')


def test_get_with_label_and_field_selectors(k: Kubectl, client: Client) -> None:
    for name, app in (("a", "web"), ("b", "db")):
        client.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": app}},
                               "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox"}]}}, "default")
    assert k.run("get pods -l app=web -o name") == "pod/a\n"
    assert k.run("get pods --field-selector metadata.name=b -o name") == "pod/b\n"
    assert k.run("get pods -l app=nothing") == "No resources found in default namespace.\n"
    assert k.run("get pods -o custom-columns=NAME:.metadata.name,APP:.metadata.labels.app") == (
        "NAME   APP\na      web\nb      db\n"
    )


# ------------------------------------------------------------------ label / annotate
def test_label_and_overwrite(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    assert k.run("label deployment web env=prod") == "deployment.apps/web labeled\n"
    err = fails(k, "label deployment web app=other")
    assert str(err) == "error: 'app' already has a value (web), and --overwrite is false"
    assert k.run("label deployment/web app=other --overwrite") == "deployment.apps/web labeled\n"
    assert k.run("label deploy web env-") == "deployment.apps/web unlabeled\n"
    labels = client.get("deployments", "web", "default")["metadata"]["labels"]
    assert labels == {"app": "other", "tier": "front"}
    assert k.run("label deploy web missing-") == 'label "missing" not found.\ndeployment.apps/web not labeled\n'
    assert k.run("annotate deploy web note=hello") == "deployment.apps/web annotated\n"
    assert str(fails(k, "annotate deploy web note=again")) == (
        "error: --overwrite is false but found the following declared annotation(s): 'note' already has a value (hello)")
    assert str(fails(k, "label deploy web")) == "error: at least one label update is required"
    assert "runs no shell" in str(fails(k, "describe deploy web | head -20"))
    long = "a" * 64
    assert str(fails(k, f"label deploy web tier={long} --overwrite")) == (
        f'error: invalid label value: "tier={long}": must be no more than 63 characters')


# ------------------------------------------------------------------ scale / set image
def test_scale_goes_through_the_scale_subresource(k: Kubectl, client: Client, api: APIServer) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    since = len(api.flow.events())
    assert k.run("scale deployment/web --replicas=5") == "deployment.apps/web scaled\n"
    assert client.get("deployments", "web", "default")["spec"]["replicas"] == 5
    actions = [e.action for e in api.flow.events()[since:] if e.src == "kubectl"]
    assert "PATCH /apis/apps/v1/namespaces/default/deployments/web/scale" in actions
    assert str(fails(k, "scale deployment/web")) == 'error: required flag(s) "replicas" not set'
    assert str(fails(k, "scale deployment/web --replicas=abc")) == (
        "error: invalid argument \"abc\" for \"--replicas\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax\n"
        "See 'kubectl scale --help' for usage.")
    assert str(fails(k, "scale deploy web --replicas=2 --current-replicas=3")) == "error: Expected replicas to be 3, was 5"


def test_set_image(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    assert k.run("set image deployment/web web=k8sedu/web:v2") == "deployment.apps/web image updated\n"
    image = client.get("deployments", "web", "default")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "k8sedu/web:v2"
    assert k.run("set image deployment/web web=k8sedu/web:v2") == ""  # no change, nothing printed
    assert str(fails(k, "set image deployment/web nope=x")) == 'error: unable to find container named "nope"'


# ------------------------------------------------------------------ rollout
def _hand_made_replicasets(client: Client) -> dict[str, Any]:
    deployment = client.get("deployments", "web", "default")
    for revision, image, replicas, cause in ((1, "k8sedu/web:v1", 0, None), (2, "k8sedu/web:v2", 3, "set v2")):
        template = meta.deep_copy(deployment["spec"]["template"])
        template["spec"]["containers"][0]["image"] = image
        h = meta.pod_template_hash(template)
        template["metadata"]["labels"]["pod-template-hash"] = h
        annotations = {"deployment.kubernetes.io/revision": str(revision)}
        if cause:
            annotations["kubernetes.io/change-cause"] = cause
        client.create("replicasets", {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": f"web-{h}", "labels": dict(template["metadata"]["labels"]),
                         "annotations": annotations, "ownerReferences": [meta.make_controller_ref(deployment)]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web", "pod-template-hash": h}},
                     "template": template},
        }, "default")
    return deployment


def test_rollout_history_and_undo_on_hand_made_replicasets(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    _hand_made_replicasets(client)
    k.run("set image deployment/web web=k8sedu/web:v2")
    assert k.run("rollout history deployment/web") == (
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         set v2\n\n"
    )
    detail = k.run("rollout history deployment web --revision=1")
    assert detail.startswith("deployment.apps/web with revision #1\nPod Template:\n")
    assert "\n    Image:\tk8sedu/web:v1\n" in detail  # upstream prints this section untabulated
    assert k.run("rollout undo deployment/web") == "deployment.apps/web rolled back\n"
    live = client.get("deployments", "web", "default")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "k8sedu/web:v1"
    assert "pod-template-hash" not in live["spec"]["template"]["metadata"]["labels"]
    assert k.run("rollout undo deployment/web --to-revision=1") == (
        "deployment.apps/web skipped rollback (current template already matches revision)\n")
    assert k.run("rollout undo deployment/web --to-revision=2") == "deployment.apps/web rolled back\n"
    assert live["metadata"]["uid"] == client.get("deployments", "web", "default")["metadata"]["uid"]
    assert client.get("deployments", "web", "default")["metadata"]["annotations"]["kubernetes.io/change-cause"] == "set v2"
    assert str(fails(k, "rollout undo deployment/web --to-revision=9")) == \
        "error: unable to find specified revision 9 in history"
    assert str(fails(k, "rollout status")) == "error: required resource not specified"


def test_rollout_status_pause_resume_restart(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    assert k.run("rollout status deployment/web --watch=false") == \
        "Waiting for deployment spec update to be observed...\n"
    d = client.get("deployments", "web", "default")
    d["status"] = {"observedGeneration": d["metadata"]["generation"], "replicas": 4, "updatedReplicas": 1}
    client.update_status("deployments", d)
    assert k.run("rollout status deployment/web --watch=false") == (
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n')
    assert k.run("rollout pause deployment/web") == "deployment.apps/web paused\n"
    assert str(fails(k, "rollout pause deployment/web")) == 'error: deployments.apps "web" is already paused'
    assert str(fails(k, "rollout restart deployment/web")) == (
        "error: deployments.apps \"web\" can't restart paused deployment (run rollout resume first)")
    assert k.run("rollout resume deployment/web") == "deployment.apps/web resumed\n"
    assert k.run("rollout restart deployment/web") == "deployment.apps/web restarted\n"
    annotations = client.get("deployments", "web", "default")["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations


def test_rollout_status_watches_until_rolled_out(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    gen = client.get("deployments", "web", "default")["metadata"]["generation"]
    steps = [
        {"observedGeneration": gen, "replicas": 3, "updatedReplicas": 1, "availableReplicas": 0},
        {"observedGeneration": gen, "replicas": 4, "updatedReplicas": 3, "availableReplicas": 2},
        {"observedGeneration": gen, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 2},
        {"observedGeneration": gen, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3},
    ]
    lines: list[str] = []
    ready = threading.Event()

    def stream(text: str) -> None:
        lines.append(text)
        ready.set()

    def controller() -> None:
        for status in steps:
            assert ready.wait(10)
            ready.clear()
            d = client.get("deployments", "web", "default")
            d["status"] = status
            client.update_status("deployments", d)

    t = threading.Thread(target=controller, daemon=True)
    t.start()
    out = k.run("rollout status deployment/web --timeout=60s", out=stream)
    t.join(10)
    assert out == "".join(lines) == (
        "Waiting for deployment spec update to be observed...\n"
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n'
        'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n'
        'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...\n'
        'deployment "web" successfully rolled out\n'
    )


# ------------------------------------------------------------------ nodes
def _node(client: Client, name: str = "node-1") -> None:
    client.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})


def test_cordon_uncordon(k: Kubectl, client: Client) -> None:
    _node(client)
    assert k.run("cordon node-1") == "node/node-1 cordoned\n"
    assert client.get("nodes", "node-1")["spec"]["unschedulable"] is True
    assert k.run("cordon node-1") == "node/node-1 already cordoned\n"
    assert k.run("uncordon node-1") == "node/node-1 uncordoned\n"
    assert not client.get("nodes", "node-1")["spec"].get("unschedulable")
    assert k.run("uncordon node-1") == "node/node-1 already uncordoned\n"
    assert str(fails(k, "cordon")) == "error: USAGE: cordon NODE [flags]\nSee 'kubectl cordon -h' for help and examples"
    assert str(fails(k, "cordon node-9")) == 'Error from server (NotFound): nodes "node-9" not found'


@pytest.fixture
def kubelet(client: Client) -> Iterator[None]:
    """Stands in for the kubelets: finishes graceful Pod deletions at once."""
    w = client.watch("pods", None)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            event = w.next(0.1)
            if event is None or event.type == "DELETED":
                continue
            md = event.object["metadata"]
            if md.get("deletionTimestamp"):
                client.delete("pods", md["name"], md["namespace"], grace_period_seconds=0)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    yield
    stop.set()
    w.stop()
    t.join(5)


def _pod(client: Client, name: str, node: str | None = None, owner: dict[str, Any] | None = None) -> None:
    pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}},
                           "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]}}
    if node:
        pod["spec"]["nodeName"] = node
    if owner:
        pod["metadata"]["ownerReferences"] = [meta.make_controller_ref(owner)]
    client.create("pods", pod, "default")


def test_drain_evicts_replicated_pods_and_refuses_unmanaged_ones(k: Kubectl, client: Client, kubelet: None) -> None:
    _node(client)
    k.run("apply -f -", stdin=DEPLOYMENT)
    rs = _hand_made_replicasets(client)
    _pod(client, "web-a", "node-1", owner=rs)
    _pod(client, "lonely", "node-1")
    err = fails(k, "drain node-1 --ignore-daemonsets")
    assert getattr(err, "output", "") == (
        "node/node-1 cordoned\n"
        'error: unable to drain node "node-1" due to error: cannot delete cannot delete Pods that declare no '
        "controller (use --force to override): default/lonely, continuing command...\n"
        "There are pending nodes to be drained:\n node-1\n"
    )
    assert str(err) == ("cannot delete cannot delete Pods that declare no controller (use --force to override): "
                        "default/lonely")  # sic: kubectl 1.32 says "cannot delete" twice, and no "error: "
    out = k.run("drain node-1 --ignore-daemonsets --force")
    assert out.startswith("node/node-1 already cordoned\n"
                          "Warning: deleting Pods that declare no controller: default/lonely\n")
    assert "evicting pod default/web-a\n" in out and "evicting pod default/lonely\n" in out
    assert "pod/web-a evicted\n" in out and "pod/lonely evicted\n" in out
    assert out.endswith("node/node-1 drained\n")
    assert client.items("pods", "default") == []


# ------------------------------------------------------------------ delete
def test_delete_messages(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    _pod(client, "web-x")
    assert k.run("delete pod web-x") == 'pod "web-x" deleted\n'
    assert k.run("delete deployment web") == 'deployment.apps "web" deleted\n'
    assert str(fails(k, "delete deployment web")) == 'Error from server (NotFound): deployments.apps "web" not found'
    assert k.run("delete pods -l app=web") == "No resources found\n"
    _pod(client, "web-y")
    assert k.run("delete pod web-y --force --grace-period=0") == (
        "Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. "
        "The resource may continue to run on the cluster indefinitely.\n"
        'pod "web-y" force deleted\n'
    )
    assert str(fails(k, "delete pods")) == "error: resource(s) were provided, but no name was specified"
    assert str(fails(k, "delete pod x --cascade=maybe")) == (
        'error: invalid cascade value (maybe). Must be "background", "foreground", or "orphan"')
    assert str(fails(k, "delete pod x --now --grace-period=3")) == \
        "error: --now and --grace-period cannot be specified together"
    assert str(fails(k, "delete")).startswith("error: You must provide one or more resources by argument or filename.")


def test_delete_of_a_running_pod_waits_until_it_is_gone(k: Kubectl, client: Client, kubelet: None) -> None:
    _node(client)
    _pod(client, "busy", "node-1")
    assert k.run("delete pod busy --timeout=30s") == 'pod "busy" deleted\n'
    assert client.get_or_none("pods", "busy", "default") is None


def test_delete_without_waiting_returns_while_the_pod_terminates(k: Kubectl, client: Client) -> None:
    _node(client)
    _pod(client, "slow", "node-1")
    assert k.run("delete pod slow --wait=false") == 'pod "slow" deleted\n'
    assert client.get("pods", "slow", "default")["metadata"]["deletionTimestamp"]
    err = fails(k, "delete pod slow --timeout=1s")
    assert str(err) == "error: timed out waiting for the condition on pods/slow"


def test_delete_from_file(k: Kubectl) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    assert k.run("delete -f -", stdin=DEPLOYMENT) == 'deployment.apps "web" deleted\n'
    assert str(fails(k, "delete -f -", DEPLOYMENT)) == (
        'Error from server (NotFound): error when deleting "STDIN": deployments.apps "web" not found')


# ------------------------------------------------------------------ auth, misc
def test_auth_can_i_with_a_role(k: Kubectl, client: Client) -> None:
    client.create("roles", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                            "metadata": {"name": "pod-reader"},
                            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}, "default")
    client.create("rolebindings", {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                                   "metadata": {"name": "alice-reads-pods"},
                                   "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}],
                                   "roleRef": {"kind": "Role", "name": "pod-reader",
                                               "apiGroup": "rbac.authorization.k8s.io"}}, "default")
    assert k.run("auth can-i list pods --as alice") == "yes\n"
    assert k.run("auth can-i get po --as=alice") == "yes\n"
    assert k.run("auth can-i delete pods --as alice") == "no\n"
    assert k.run("auth can-i list pods --as alice -n kube-system") == "no\n"
    assert k.run("auth can-i create deployments") == "yes\n"
    assert str(fails(k, "get deployments --as alice")) == (
        'Error from server (Forbidden): deployments.apps is forbidden: User "alice" cannot list resource '
        '"deployments" in API group "apps" in the namespace "default"')


def test_unknown_commands_and_flags(k: Kubectl) -> None:
    assert str(fails(k, "foo")) == 'error: unknown command "foo" for "kubectl"\n\nDid you mean this?\n\ttop'
    assert str(fails(k, "get pods --bogus")) == "error: unknown flag: --bogus\nSee 'kubectl get --help' for usage."
    assert str(fails(k, "get pods -Z")) == "error: unknown shorthand flag: 'Z' in -Z\nSee 'kubectl get --help' for usage."
    assert str(fails(k, "get pods -n")) == "error: flag needs an argument: 'n' in -n\nSee 'kubectl get --help' for usage."
    assert str(fails(k, "top pods")) == "error: Metrics API not available"
    assert str(fails(k, "delete pod x --wait=maybe")) == (
        'error: invalid argument "maybe" for "--wait" flag: strconv.ParseBool: parsing "maybe": invalid syntax\n'
        "See 'kubectl delete --help' for usage.")


def test_version_and_api_resources(k: Kubectl) -> None:
    assert k.run("version").splitlines()[:2] == ["Client Version: v1.32.0-k8sedu", "Kustomize Version: v5.5.0"]
    lines = k.run("api-resources").splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    pods = next(line.split() for line in lines if line.startswith("pods "))
    assert pods == ["pods", "po", "v1", "true", "Pod"]
    names = [line.split()[0] for line in lines[1:]]
    assert names.index("pods") < names.index("deployments")  # core group first


def test_describe_shows_events(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    d = client.get("deployments", "web", "default")
    client.create("events", {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1"},
        "involvedObject": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": "default",
                           "uid": d["metadata"]["uid"]},
        "reason": "ScalingReplicaSet", "message": "Scaled up replica set web-abc to 3", "type": "Normal",
        "source": {"component": "deployment-controller"}, "count": 1,
        "firstTimestamp": d["metadata"]["creationTimestamp"], "lastTimestamp": d["metadata"]["creationTimestamp"],
    }, "default")
    out = k.run("describe deployment web")
    assert out.startswith("Name:                   web\nNamespace:              default\n")
    assert "ScalingReplicaSet" in out and "Scaled up replica set web-abc to 3" in out
    assert k.run("describe deploy we").startswith("Name:")  # prefix match, as kubectl does
    assert str(fails(k, "describe deploy nope")) == 'Error from server (NotFound): deployments.apps "nope" not found'


class FakeKubelet:
    """What the apiserver forwards pods/log and pods/exec to."""

    def logs(self, namespace: str, name: str, container: str, **opts: Any) -> str:
        lines = [f"{container} line {i}" for i in range(1, 6)]
        if opts.get("tail_lines") is not None:
            lines = lines[-opts["tail_lines"]:]
        return "".join(line + "\n" for line in lines)

    def follow_logs(self, namespace: str, name: str, container: str, **opts: Any) -> Iterator[str]:
        yield from ["one", "two"]

    def exec(self, namespace: str, name: str, container: str, command: list[str], stdin: Any = None) -> Any:
        from k8sedu.runtime.base import ExecResult

        if command[0] == "false":
            return ExecResult(2, "", "boom\n")
        return ExecResult(0, f"{container}: {' '.join(command)}\n", "")


def test_logs_and_exec_through_the_kubelet(k: Kubectl, client: Client, api: APIServer) -> None:
    _node(client)
    api.register_kubelet("node-1", FakeKubelet())
    pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "two", "labels": {"app": "web"}},
                           "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "i"},
                                                                         {"name": "side", "image": "i"}]}}
    client.create("pods", pod, "default")
    assert k.run("logs two --tail 2") == 'Defaulted container "app" out of: app, side\napp line 4\napp line 5\n'
    assert k.run("logs two -c side --tail=1") == "side line 5\n"
    assert k.run("logs -f two -c app") == "one\ntwo\n"
    assert k.run("exec two -c side -- echo hi") == "side: echo hi\n"
    err = fails(k, "exec two -c app -- false")
    assert getattr(err, "output", "") == "boom\n" and str(err) == "error: command terminated with exit code 2"
    assert str(fails(k, "exec two")) == "error: you must specify at least one command for the container"


# ------------------------------------------------------------------ the argument parser
def test_args_parser_takes_flags_anywhere() -> None:
    flags = [Flag("output", "o"), Flag("all-namespaces", "A", "bool", False), Flag("filename", "f", "strings", []),
             Flag("container", "c"), Flag("stdin", "i", "bool", False), Flag("tty", "t", "bool", False)]
    p = parse(split("kubectl -n dev pods -oyaml web --all-namespaces=false -f a.yaml,b.yaml -f - -it -- ls -l"),
              flags, "get")
    assert p.args == ["pods", "web"]
    assert p["namespace"] == "dev" and p["output"] == "yaml" and p["all-namespaces"] is False
    assert p["filename"] == ["a.yaml", "b.yaml", "-"]
    assert p["stdin"] is True and p["tty"] is True
    assert p.dash_args == ["ls", "-l"]
    assert parse(["-n=kube-system", "--output", "wide"], flags, "get")["namespace"] == "kube-system"
    assert parse_duration("1m30s") == 90.0 and parse_duration("0") == 0.0
    with pytest.raises(ValueError, match='time: missing unit in duration "30"'):
        parse_duration("30")


# ------------------------------------------------------------------ run / expose / patch / wait
def test_run_makes_a_bare_pod(k: Kubectl, client: Client) -> None:
    assert k.run("run web --image=k8sedu/web:v1 --port=80 --env=A=1") == "pod/web created\n"
    pod = client.get("pods", "web", "default")
    assert pod["metadata"]["labels"] == {"run": "web"}
    c = pod["spec"]["containers"][0]
    assert (c["image"], c["ports"][0]["containerPort"], c["env"]) == ("k8sedu/web:v1", 80, [{"name": "A", "value": "1"}])
    assert k.run("run job --image=busybox --restart=Never --dry-run=client -o yaml -- sleep 3600") == (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: null\n  labels:\n    run: job\n  name: job\n"
        "spec:\n  containers:\n  - args:\n    - sleep\n    - \"3600\"\n    image: busybox\n    name: job\n"
        "    resources: {}\n  dnsPolicy: ClusterFirst\n  restartPolicy: Never\nstatus: {}\n"
    )
    assert str(fails(k, "run x")) == 'error: required flag(s) "image" not set'


def test_expose_copies_selector_labels_and_ports(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    assert k.run("expose deployment web --port=80 --target-port=8080") == "service/web exposed\n"
    svc = client.get("services", "web", "default")
    assert svc["spec"]["selector"] == {"app": "web"}
    assert svc["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert [(p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [(80, 8080)]
    out = k.run("expose deployment web --name=all-ports --dry-run=client -o yaml")
    assert "  - name: port-1\n    port: 80\n    protocol: TCP\n    targetPort: 80\n" in out
    assert "  - name: port-2\n    port: 8080\n    protocol: TCP\n    targetPort: 8080\n" in out


def test_patch(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)
    assert k.run(["patch", "deployment", "web", "-p", '{"spec":{"replicas":2}}']) == "deployment.apps/web patched\n"
    assert k.run(["patch", "deployment", "web", "--type=merge", "-p", "spec: {replicas: 2}"]) == \
        "deployment.apps/web patched (no change)\n"
    assert k.run(["patch", "deploy/web", "--type", "json", "-p", '[{"op":"replace","path":"/spec/replicas","value":4}]']) \
        == "deployment.apps/web patched\n"
    assert client.get("deployments", "web", "default")["spec"]["replicas"] == 4
    assert str(fails(k, "patch deploy web")) == \
        "error: must specify --patch or --patch-file containing the contents of the patch"


def test_wait_for_a_condition(k: Kubectl, client: Client) -> None:
    k.run("apply -f -", stdin=DEPLOYMENT)

    def become_available() -> None:
        d = client.get("deployments", "web", "default")
        d["status"] = {"conditions": [{"type": "Available", "status": "True"}]}
        client.update_status("deployments", d)

    timer = threading.Timer(0.2, become_available)
    timer.start()
    try:
        assert k.run("wait --for=condition=Available deployment/web --timeout=30s") == \
            "deployment.apps/web condition met\n"
    finally:
        timer.cancel()
    assert k.run("wait --for=jsonpath={.spec.replicas}=3 deploy/web") == "deployment.apps/web condition met\n"
    assert str(fails(k, "wait --for=condition=Progressing deploy/web --timeout=0s")) == \
        "error: timed out waiting for the condition on deployments/web"


def test_manifests_load_takes_what_cluster_apply_takes(tmp_path: Any) -> None:
    from k8sedu.kubectl.manifests import load

    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}
    assert load(cm) == [cm]
    assert load([cm, {"apiVersion": "v1", "kind": "List", "items": [cm]}]) == [cm, cm]
    assert [o["metadata"]["name"] for o in load(DEPLOYMENT + "---\n" + json.dumps(cm))] == ["web", "a"]
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-file\n")
    assert load(str(path))[0]["metadata"]["name"] == "from-file"
    assert load(path)[0]["metadata"]["name"] == "from-file"
    with pytest.raises(KubectlError, match='error: the path ".*missing.yaml" does not exist'):
        load(str(tmp_path / "missing.yaml"))
    with pytest.raises(KubectlError, match="error: error parsing STDIN: error converting YAML to JSON"):
        load("apiVersion: v1\nkind: x\n  bad: 1\n")


def test_cluster_style_apply_objects_returns_the_stored_objects(k: Kubectl) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"x": "1"}}
    [created] = k.apply_objects([cm], namespace="kube-public")
    assert created["metadata"]["namespace"] == "kube-public" and created["metadata"]["uid"]
    [again] = k.apply_objects([cm], namespace="kube-public")
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]  # unchanged
    with pytest.raises(KubectlError, match='no matches for kind "Nope" in version "v1"'):
        k.apply_objects([{"apiVersion": "v1", "kind": "Nope", "metadata": {"name": "x"}}])


def test_get_watch_prints_changes_until_the_request_timeout(k: Kubectl) -> None:
    k.run("run a --image=busybox")
    chunks: list[str] = []
    table_shown = threading.Event()

    def stream(text: str) -> None:
        chunks.append(text)
        table_shown.set()

    result: list[str] = []
    t = threading.Thread(target=lambda: result.append(k.run("get pods -w --request-timeout=1s", out=stream)))
    t.start()
    assert table_shown.wait(10)
    k.run("run a-much-longer-name --image=busybox")
    t.join(10)
    assert result == ["".join(chunks)]
    assert result[0] == (
        "NAME   READY   STATUS    RESTARTS   AGE\n"
        "a      0/1     Pending   0          0s\n"
        "a-much-longer-name   0/1     Pending   0          0s\n"
    )
