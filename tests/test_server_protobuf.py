"""Protobuf request bodies: the real kubectl 1.32 sends its generated objects
(``kubectl create role|clusterrole|rolebinding|quota|ingress|secret|service|job|cronjob…``) as
``application/vnd.kubernetes.protobuf``; the server reads every field those generators fill in.
The objects are compared with what the same command makes against a real cluster."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _kubectl import KUBECTL, served_cluster

from k8sedu import Cluster
from k8sedu.errors import BadRequest
from k8sedu.server import protobuf


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Path]]:
    kubeconfig = tmp_path_factory.mktemp("kc") / "config"
    with served_cluster(kubeconfig, nodes=1) as c:
        yield c, kubeconfig


def create(cluster: tuple[Cluster, Path], *args: str) -> dict[str, Any]:
    c, kc = cluster
    out = subprocess.run([KUBECTL, "--kubeconfig", str(kc), "-v=7", "create", *args], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Content-Type: application/vnd.kubernetes.protobuf" in out.stderr  # -v=7 shows request headers
    kind, name = args[0], args[1]
    if kind in ("secret", "service"):
        name = args[2]
    ref = {"quota": "resourcequota"}.get(kind, kind)
    obj: dict[str, Any] = c.get(f"{ref}/{name}")
    return obj


def test_role_and_clusterroles(cluster: tuple[Cluster, Path]) -> None:
    role = create(cluster, "role", "pod-reader", "--verb=get,list", "--resource=pods,deployments.apps",
                  "--resource-name=web")
    assert role["rules"] == [
        {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods"], "resourceNames": ["web"]},
        {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"]},
    ]
    urls = create(cluster, "clusterrole", "log-reader", "--verb=get", "--non-resource-url=/logs/*")
    assert urls["rules"] == [{"verbs": ["get"], "nonResourceURLs": ["/logs/*"]}]
    agg = create(cluster, "clusterrole", "monitoring", "--aggregation-rule=rbac.example.com/aggregate=true")
    assert agg["aggregationRule"] == {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate": "true"}}]}


def test_bindings(cluster: tuple[Cluster, Path]) -> None:
    rb = create(cluster, "rolebinding", "read-pods", "--role=pod-reader", "--user=bob", "--group=devs",
                "--serviceaccount=default:robot")
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"}
    assert [(s["kind"], s["name"], s.get("namespace")) for s in rb["subjects"]] == [
        ("User", "bob", None), ("Group", "devs", None), ("ServiceAccount", "robot", "default")]
    crb = create(cluster, "clusterrolebinding", "logs", "--clusterrole=log-reader", "--user=alice")
    assert crb["roleRef"]["kind"] == "ClusterRole" and crb["subjects"][0]["name"] == "alice"


def test_quota(cluster: tuple[Cluster, Path]) -> None:
    q = create(cluster, "quota", "compute", "--hard=cpu=1,memory=1Gi,pods=10", "--scopes=NotTerminating",
               "-n", "default")
    assert q["spec"] == {"hard": {"cpu": "1", "memory": "1Gi", "pods": "10"}, "scopes": ["NotTerminating"]}
    c, _ = cluster
    c.delete("resourcequota/compute")  # a quota on cpu would hold back the Pods of the next tests


def test_ingress(cluster: tuple[Cluster, Path]) -> None:
    ing = create(cluster, "ingress", "shop", "--class=nginx", "--rule=shop.example/cart*=cart:8080,tls=shop-cert",
                 "--rule=/=web:http", "--default-backend=fallback:80", "--annotation=team=blue")
    assert ing["metadata"]["annotations"] == {"team": "blue"}
    spec = ing["spec"]
    assert spec["ingressClassName"] == "nginx"
    assert spec["defaultBackend"] == {"service": {"name": "fallback", "port": {"number": 80}}}
    assert spec["tls"] == [{"hosts": ["shop.example"], "secretName": "shop-cert"}]
    assert spec["rules"] == [
        {"host": "shop.example", "http": {"paths": [
            {"path": "/cart", "pathType": "Prefix",
             "backend": {"service": {"name": "cart", "port": {"number": 8080}}}}]}},
        {"http": {"paths": [
            {"path": "/", "pathType": "Exact", "backend": {"service": {"name": "web", "port": {"name": "http"}}}}]}},
    ]


def test_secrets_configmaps_services(cluster: tuple[Cluster, Path], tmp_path: Path) -> None:
    cm = create(cluster, "configmap", "settings", "--from-literal=mode=fast", "--from-literal=level=3")
    assert cm["data"] == {"mode": "fast", "level": "3"}
    s = create(cluster, "secret", "generic", "pw", "--from-literal=password=s3cret", "--type=Opaque")
    assert s["data"] == {"password": "czNjcmV0"} and s["type"] == "Opaque"
    reg = create(cluster, "secret", "docker-registry", "reg", "--docker-server=r.example", "--docker-username=u",
                 "--docker-password=p")
    assert reg["type"] == "kubernetes.io/dockerconfigjson" and ".dockerconfigjson" in reg["data"]
    np = create(cluster, "service", "nodeport", "shop", "--tcp=80:8080", "--node-port=30080")
    assert np["spec"]["type"] == "NodePort"
    assert np["spec"]["ports"] == [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080,
                                    "nodePort": 30080}]
    headless = create(cluster, "service", "clusterip", "peers", "--clusterip=None")
    assert headless["spec"]["clusterIP"] == "None"
    ext = create(cluster, "service", "externalname", "search", "--external-name=search.example.com")
    assert ext["spec"]["externalName"] == "search.example.com" and ext["spec"]["type"] == "ExternalName"


def test_jobs_and_cronjobs(cluster: tuple[Cluster, Path]) -> None:
    cj = create(cluster, "cronjob", "nightly", "--image=k8sedu/busybox", "--schedule=0 3 * * *", "--", "echo", "hi")
    assert cj["spec"]["schedule"] == "0 3 * * *"
    container = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "k8sedu/busybox" and container["command"] == ["echo", "hi"]
    job = create(cluster, "job", "once", "--from=cronjob/nightly")
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    assert job["metadata"]["ownerReferences"][0]["controller"] is True


# -- the decoder alone ------------------------------------------------------------------------------------
def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _varint(n: int) -> bytes:
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def _bytes(number: int, data: bytes) -> bytes:
    return _key(number, 2) + _varint(len(data)) + data


def _envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    meta = _bytes(1, api_version.encode()) + _bytes(2, kind.encode())
    return protobuf.MAGIC + _bytes(1, meta) + _bytes(2, raw)


def test_decoder_reads_upstream_field_numbers() -> None:
    """HTTPIngressPath is {path = 1, backend = 2, pathType = 3} upstream: the order on the wire is
    not the order of the numbers."""
    backend = _bytes(4, _bytes(1, b"web") + _bytes(2, _key(2, 0) + _varint(80)))
    path = _bytes(3, b"Prefix") + _bytes(1, b"/") + _bytes(2, backend)
    rule = _bytes(1, b"a.example") + _bytes(2, _bytes(1, _bytes(1, path)))
    raw = _bytes(1, _bytes(1, b"ing")) + _bytes(2, _bytes(3, rule))
    obj = protobuf.decode(_envelope("networking.k8s.io/v1", "Ingress", raw))
    assert obj == {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "ing"},
                   "spec": {"rules": [{"host": "a.example", "http": {"paths": [
                       {"pathType": "Prefix", "path": "/",
                        "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}}


def test_decoder_refuses_what_it_cannot_read() -> None:
    with pytest.raises(BadRequest, match="missing the k8s magic prefix"):
        protobuf.decode(b"{}")
    with pytest.raises(BadRequest, match="cannot read PodDisruptionBudget"):
        protobuf.decode(_envelope("policy/v1", "PodDisruptionBudget", b""))
