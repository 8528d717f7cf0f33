"""The HTTP API itself, through the official ``kubernetes`` Python client and raw requests:
CRUD, watch (and 410 Gone), list paging, the Table form, patches, subresources, errors."""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _waits import eventually

from k8sedu import Cluster
from k8sedu.server import protobuf
from k8sedu.server.discovery import aggregated, resource_list, wants_aggregated
from k8sedu.server.routes import Route, parse_path
from k8sedu.server.websocket import accept_key

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config, watch  # noqa: E402


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(nodes=2, runtime="sim", progress=False).start()
    try:
        c.serve(kubeconfig=tmp_path_factory.mktemp("kc") / "config")
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def api_client(cluster: Cluster) -> Iterator[Any]:
    api = config.new_client_from_config(config_file=str(cluster.kubeconfig))
    yield api
    api.close()


def raw(cluster: Cluster, method: str, path: str, body: Any = None, content_type: str = "application/json",
        headers: dict[str, str] | None = None, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    doc = yaml.safe_load(Path(str(cluster.kubeconfig)).read_text())
    token = token if token is not None else doc["users"][0]["user"]["token"]
    ctx = ssl.create_default_context(cafile=str(cluster.http.ca_cert))
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(cluster.http.url + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": content_type,
                                          **(headers or {})})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def _pod(name: str, **labels: str) -> Any:
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels=labels or {"app": name}),
                        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="k8sedu/web:v1")]))


def test_python_client_pods_crud_and_watch(api_client: Any) -> None:
    v1 = client.CoreV1Api(api_client)
    created = v1.create_namespaced_pod("default", _pod("py-pod", app="py"))
    assert created.metadata.uid and created.status.phase == "Pending"
    assert [p.metadata.name for p in v1.list_namespaced_pod("default", label_selector="app=py").items] == ["py-pod"]
    patched = v1.patch_namespaced_pod("py-pod", "default", {"metadata": {"labels": {"tier": "fe"}}})
    assert patched.metadata.labels == {"app": "py", "tier": "fe"}
    seen = []
    for event in watch.Watch().stream(v1.list_namespaced_pod, "default", label_selector="app=py",
                                      timeout_seconds=20):
        seen.append((event["type"], event["object"].status.phase))
        if event["object"].status.phase == "Running":
            break
    assert seen[0][0] == "ADDED" and seen[-1][1] == "Running"
    deleted = v1.delete_namespaced_pod("py-pod", "default")
    assert deleted.metadata.deletion_timestamp is not None  # a graceful deletion returns the Pod
    with pytest.raises(client.ApiException) as err:
        v1.read_namespaced_pod("nope", "default")
    assert err.value.status == 404
    assert json.loads(err.value.body)["message"] == 'pods "nope" not found'


def test_python_client_deployments(api_client: Any, cluster: Cluster) -> None:
    apps = client.AppsV1Api(api_client)
    template = client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(labels={"app": "pyd"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="k8sedu/web:v1")]))
    dep = client.V1Deployment(metadata=client.V1ObjectMeta(name="pyd"), spec=client.V1DeploymentSpec(
        replicas=1, selector=client.V1LabelSelector(match_labels={"app": "pyd"}), template=template))
    assert apps.create_namespaced_deployment("default", dep).metadata.generation == 1
    scale = apps.patch_namespaced_deployment_scale("pyd", "default", {"spec": {"replicas": 2}})
    assert scale.spec.replicas == 2
    assert apps.read_namespaced_deployment_scale("pyd", "default").spec.replicas == 2
    eventually(lambda: apps.read_namespaced_deployment_status("pyd", "default").status.ready_replicas == 2,
               interval=0.1)
    apps.patch_namespaced_deployment("pyd", "default", [{"op": "replace", "path": "/spec/replicas", "value": 1}])
    assert apps.read_namespaced_deployment("pyd", "default").spec.replicas == 1
    with pytest.raises(client.ApiException) as err:
        apps.create_namespaced_deployment("default", dep)
    assert err.value.status == 409
    apps.delete_namespaced_deployment("pyd", "default", propagation_policy="Foreground")
    eventually(lambda: not cluster.get("deployments", selector=None) or
               all(d["metadata"]["name"] != "pyd" for d in cluster.get("deployments")), interval=0.1)


def test_list_paging_and_table(cluster: Cluster) -> None:
    for i in range(5):
        cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"page-{i}",
                                                                              "labels": {"paged": "yes"}}})
    names: list[str] = []
    token = ""
    while True:
        path = "/api/v1/namespaces/default/configmaps?labelSelector=paged%3Dyes&limit=2"
        code, _, body = raw(cluster, "GET", path + (f"&continue={token}" if token else ""))
        assert code == 200
        page = json.loads(body)
        assert len(page["items"]) <= 2
        names += [o["metadata"]["name"] for o in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert names == [f"page-{i}" for i in range(5)]
    code, _, body = raw(cluster, "GET", "/api/v1/namespaces/default/configmaps?labelSelector=paged%3Dyes",
                        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
    table = json.loads(body)
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    code, _, body = raw(cluster, "DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=paged%3Dyes")
    assert code == 200 and len(json.loads(body)["items"]) == 5
    assert cluster.get("configmaps", selector="paged=yes") == []


def test_watch_from_a_compacted_revision_is_410(cluster: Cluster) -> None:
    cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old"}})
    assert cluster.apiserver is not None
    cluster.apiserver.store.compact(cluster.apiserver.revision)
    code, _, body = raw(cluster, "GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1")
    assert code == 200
    event = json.loads(body.splitlines()[0])
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"


def test_errors_are_status_objects_and_change_nothing(cluster: Cluster) -> None:
    code, _, body = raw(cluster, "GET", "/api/v1/pods", token="wrong")
    assert code == 401 and json.loads(body)["reason"] == "Unauthorized"
    code, _, body = raw(cluster, "GET", "/api/v1/foos")
    assert code == 404 and json.loads(body)["message"] == "the server could not find the requested resource"
    before = cluster.apiserver.revision if cluster.apiserver else 0
    code, _, body = raw(cluster, "POST", "/api/v1/namespaces/default/configmaps", b'{"bad')
    status = json.loads(body)
    assert code == 400 and status["kind"] == "Status" and status["reason"] == "BadRequest"
    code, _, body = raw(cluster, "PATCH", "/api/v1/namespaces/default/configmaps/old", b"{}",
                        content_type="text/plain")
    assert code == 415
    code, _, body = raw(cluster, "POST", "/api/v1/namespaces/default/configmaps",
                        {"metadata": {"name": "x"}, "data": {"a": 1}})
    assert code == 400
    assert cluster.apiserver is not None and cluster.apiserver.revision == before
    code, headers, body = raw(cluster, "POST", "/api/v1/namespaces/default/configmaps?dryRun=All",
                              {"metadata": {"name": "dry"}, "bogus": 1})
    assert code == 201 and headers.get("Warning") == '299 - "unknown field \\"bogus\\""'
    assert cluster.apiserver.revision == before


def test_server_side_apply_creates_then_merges(cluster: Cluster) -> None:
    doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: '1'\n"
    path = "/api/v1/namespaces/default/configmaps/ssa?fieldManager=me"
    code, _, body = raw(cluster, "PATCH", path, doc.encode(), content_type="application/apply-patch+yaml")
    assert code == 201 and json.loads(body)["data"] == {"a": "1"}
    code, _, body = raw(cluster, "PATCH", path, doc.replace("'1'", "'2'").encode(),
                        content_type="application/apply-patch+yaml")
    assert code == 200 and json.loads(body)["data"] == {"a": "2"}


def test_protobuf_bodies_decode_as_kubectl_means_them(tmp_path: Path) -> None:
    """kubectl's typed clients send protobuf: our decoding of a hand-built body equals the JSON."""

    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2, len(payload)]) + payload

    def s(number: int, text: str) -> bytes:
        return field(number, text.encode())

    entry = s(1, "app") + s(2, "web")
    meta = s(1, "web") + s(2, "") + field(11, entry)
    container = s(1, "web") + s(2, "k8sedu/web:v1") + field(8, b"")
    template = field(1, field(11, entry)) + field(2, field(2, container))
    spec = bytes([1 << 3, 2]) + field(2, field(1, entry)) + field(3, template) + bytes([5 << 3, 0])
    raw_obj = field(1, meta) + field(2, spec)
    unknown = field(1, s(1, "apps/v1") + s(2, "Deployment")) + field(2, raw_obj)
    obj = protobuf.decode(protobuf.MAGIC + unknown)
    assert obj == {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1", "resources": {}}]}}},
    }


def test_routes_discovery_and_websocket_key() -> None:
    assert parse_path("/api/v1/namespaces/default/pods/web/log") == Route("", "v1", "pods", "default", "web", "log")
    assert parse_path("/api/v1/namespaces/demo") == Route("", "v1", "namespaces", None, "demo")
    assert parse_path("/api/v1/namespaces/demo/finalize") == Route("", "v1", "namespaces", None, "demo", "finalize")
    assert parse_path("/apis/apps/v1/deployments") == Route("apps", "v1", "deployments")
    core = resource_list("", "v1")
    assert core is not None
    by_name = {r["name"]: r for r in core["resources"]}
    assert by_name["pods/log"]["verbs"] == ["get"]
    assert by_name["pods/eviction"]["group"] == "policy" and by_name["pods/eviction"]["kind"] == "Eviction"
    assert by_name["pods"]["shortNames"] == ["po"] and by_name["pods"]["categories"] == ["all"]
    assert wants_aggregated("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")
    assert not wants_aggregated("application/json")
    groups = [item["metadata"].get("name") for item in aggregated(core=False)["items"]]
    assert "apps" in groups and "policy" in groups
    # RFC 6455's own example
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_serve_command_prints_the_export_line(tmp_path: Path) -> None:
    import os
    import signal
    import sys

    kc = tmp_path / "kubeconfig"
    proc = subprocess.Popen([sys.executable, "-m", "k8sedu", "serve", "--nodes", "1", "--runtime", "sim",
                             "--kubeconfig", str(kc), "--user", "student"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == f"export KUBECONFIG={kc}\n"
        doc = yaml.safe_load(kc.read_text())
        assert doc["current-context"] == "student@k8sedu"
        assert {u["name"] for u in doc["users"]} == {"kubernetes-admin", "student"}
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def test_an_error_before_the_body_is_read_keeps_the_connection_usable(cluster: Cluster) -> None:
    import http.client

    doc = yaml.safe_load(Path(str(cluster.kubeconfig)).read_text())
    token = doc["users"][0]["user"]["token"]
    ctx = ssl.create_default_context(cafile=str(cluster.http.ca_cert))
    conn = http.client.HTTPSConnection("127.0.0.1", cluster.http.port, context=ctx, timeout=30)
    try:
        body = json.dumps({"metadata": {"name": "x"}})
        conn.request("POST", "/api/v1/namespaces/default/nothings", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        first = conn.getresponse()
        assert first.status == 404
        first.read()
        conn.request("GET", "/version", headers={"Authorization": f"Bearer {token}"})
        second = conn.getresponse()
        assert second.status == 200 and json.loads(second.read())["minor"] == "32"
    finally:
        conn.close()
