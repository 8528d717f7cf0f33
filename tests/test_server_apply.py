"""Server-side apply with the real kubectl 1.32: ``kubectl apply --server-side`` creates, updates
and leaves an unchanged object alone; ``metadata.managedFields`` records who set which field; a
field another manager set is a 409 conflict in upstream's words unless ``--force-conflicts``."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _kubectl import KUBECTL, served_cluster

from k8sedu import Cluster
from k8sedu.errors import Conflict
from k8sedu.server import apply

MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
  annotations: {{team: blue}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: web
        image: k8sedu/web:{version}
        ports: [{{containerPort: 80}}]
"""


def manifest(name: str, replicas: int = 1, version: str = "v1") -> str:
    return MANIFEST.format(name=name, replicas=replicas, version=version)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Path]]:
    kubeconfig = tmp_path_factory.mktemp("kc") / "config"
    with served_cluster(kubeconfig, nodes=1) as c:
        yield c, kubeconfig


def kubectl(cluster: tuple[Cluster, Path], *args: str, stdin: str | None = None,
            ok: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([KUBECTL, "--kubeconfig", str(cluster[1]), *args], input=stdin, capture_output=True,
                         text=True, timeout=60)
    if ok:
        assert out.returncode == 0, out.stderr
    return out


def live(cluster: tuple[Cluster, Path], name: str) -> dict[str, Any]:
    obj: dict[str, Any] = json.loads(kubectl(cluster, "get", "deploy", name, "-o", "json",
                                             "--show-managed-fields").stdout)
    return obj


def managers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f'{e["manager"]}/{e["operation"]}': e for e in obj["metadata"]["managedFields"]}


def test_create_update_unchanged(cluster: tuple[Cluster, Path]) -> None:
    out = kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest("ssa"))
    assert out.stdout == "deployment.apps/ssa serverside-applied\n"
    obj = live(cluster, "ssa")
    entry = managers(obj)["kubectl/Apply"]
    assert entry["apiVersion"] == "apps/v1" and entry["fieldsType"] == "FieldsV1"
    fields = entry["fieldsV1"]
    assert fields["f:spec"]["f:replicas"] == {} and fields["f:spec"]["f:selector"] == {}
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert container == {".": {}, "f:image": {}, "f:name": {},
                         "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}
    assert "f:strategy" not in fields["f:spec"]  # defaulted by the server: nobody's field
    rv = obj["metadata"]["resourceVersion"]

    kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest("ssa"))
    assert live(cluster, "ssa")["metadata"]["resourceVersion"] == rv  # unchanged: nothing written

    kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest("ssa", replicas=2, version="v2"))
    obj = live(cluster, "ssa")
    assert obj["spec"]["replicas"] == 2
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == "k8sedu/web:v2"
    assert list(managers(obj)) == ["kubectl/Apply"]


def test_a_field_left_out_is_removed(cluster: tuple[Cluster, Path]) -> None:
    kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest("prune"))
    assert live(cluster, "prune")["metadata"]["annotations"]["team"] == "blue"
    trimmed = manifest("prune").replace("  annotations: {team: blue}\n", "")
    kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=trimmed)
    obj = live(cluster, "prune")
    assert "team" not in (obj["metadata"].get("annotations") or {})
    assert "f:annotations" not in managers(obj)["kubectl/Apply"]["fieldsV1"]["f:metadata"]


def test_conflict_with_client_side_apply(cluster: tuple[Cluster, Path]) -> None:
    kubectl(cluster, "apply", "-f", "-", stdin=manifest("mixed", replicas=2))
    owners = managers(live(cluster, "mixed"))
    assert owners["kubectl-client-side-apply/Update"]["fieldsV1"]["f:spec"]["f:replicas"] == {}

    one = kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest("mixed", replicas=3), ok=False)
    assert one.returncode == 1
    assert one.stderr.startswith('error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" '
                                 'using apps/v1: .spec.replicas\nPlease review the fields above')
    two = kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest("mixed", replicas=3, version="v2"),
                  ok=False)
    assert two.stderr.startswith(
        'error: Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n'
        '- .spec.replicas\n- .spec.template.spec.containers[name="web"].image\n')
    assert live(cluster, "mixed")["spec"]["replicas"] == 2  # a refused apply changes nothing

    # the same values co-own without conflict
    kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest("mixed", replicas=2))

    kubectl(cluster, "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=manifest("mixed", replicas=3))
    obj = live(cluster, "mixed")
    assert obj["spec"]["replicas"] == 3
    owners = managers(obj)
    assert "f:replicas" in owners["kubectl/Apply"]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in owners["kubectl-client-side-apply/Update"]["fieldsV1"]["f:spec"]


def test_imperative_changes_take_ownership(cluster: tuple[Cluster, Path]) -> None:
    kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest("lab"))
    kubectl(cluster, "label", "deploy", "lab", "app=other", "--overwrite")
    owners = managers(live(cluster, "lab"))
    assert owners["kubectl-label/Update"]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:app": {}}}}
    assert "f:labels" not in owners["kubectl/Apply"]["fieldsV1"]["f:metadata"]
    again = kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=manifest("lab"), ok=False)
    assert 'conflict with "kubectl-label" using apps/v1: .metadata.labels.app' in again.stderr


# -- the bookkeeping alone ---------------------------------------------------------------------------------
def test_field_paths_and_conflict_status() -> None:
    applied = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s", "labels": {"a": "b"}},
               "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    values = apply.field_values(applied)
    assert ("f:metadata", "f:name") not in values and ("f:spec", "f:selector") in values
    port = ("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}')
    assert values[port + ("f:targetPort",)] == 8080 and values[port + (".",)] is True
    assert apply.leaves(apply.fields_v1(values)) == set(values)
    assert apply.describe(port + ("f:targetPort",)) == '.spec.ports[port=80,protocol="TCP"].targetPort'

    live_obj = {**applied, "metadata": {"name": "s", "labels": {"a": "b"}, "managedFields": [
        {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "v1",
         "fieldsV1": apply.fields_v1({port + ("f:targetPort",)})}]}}
    changed = {**applied, "spec": {**applied["spec"], "ports": [{"port": 80, "targetPort": 9090}]}}
    with pytest.raises(Conflict) as err:
        apply.plan_apply(live_obj, changed, "me", force=False, now="2026-01-01T00:00:00Z")
    status = err.value.status()
    assert status["code"] == 409 and status["reason"] == "Conflict"
    assert status["details"]["causes"] == [{"type": "FieldManagerConflict",
                                           "message": 'conflict with "kubectl-edit" using v1',
                                           "field": '.spec.ports[port=80,protocol="TCP"].targetPort'}]
    plan = apply.plan_apply(live_obj, changed, "me", force=True, now="2026-01-01T00:00:00Z")
    assert [e["manager"] for e in plan.managed] == ["me"]  # kubectl-edit owned nothing else
