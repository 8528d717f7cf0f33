"""The real kubectl (1.32) against `Cluster.serve()`, issue 3's follow-ups: ``kubectl autoscale``
(an autoscaling/v1 HorizontalPodAutoscaler, served by conversion), ``kubectl auth whoami`` and
``auth can-i --list``, ``kubectl create token`` and the signed ServiceAccount tokens the API
server accepts (also the one the kubelet projects into a Pod, beside ``ca.crt``)."""

from __future__ import annotations

import base64
import json
import re
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _kubectl import Run, runner, served_cluster
from _waits import eventually

from k8sedu import Cluster
from k8sedu.errors import KubectlError
from k8sedu.server import protobuf
from k8sedu.server.discovery import aggregated, legacy_group

MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with served_cluster(tmp_path_factory.mktemp("kc") / "config", nodes=1, user="student", namespace="s1") as c:
        yield c


@pytest.fixture()
def kubectl(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return runner(cluster.kubeconfig, tmp_path_factory.getbasetemp() / "kubectl-cache")


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return result


def post(cluster: Cluster, path: str, body: dict[str, Any], token: str | None = None) -> tuple[int, dict[str, Any]]:
    doc = yaml.safe_load(Path(str(cluster.kubeconfig)).read_text())
    admin = next(u for u in doc["users"] if u["name"] == "kubernetes-admin")["user"]["token"]
    ctx = ssl.create_default_context(cafile=str(cluster.http.ca_cert))
    req = urllib.request.Request(cluster.http.url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token or admin}",
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


# -- autoscaling/v1 --------------------------------------------------------------------------
def test_discovery_prefers_autoscaling_v2_and_serves_v1() -> None:
    group = legacy_group("autoscaling")
    assert group is not None
    assert group["preferredVersion"]["version"] == "v2"
    assert [v["version"] for v in group["versions"]] == ["v2", "v1"]
    entry = next(i for i in aggregated(core=False)["items"] if i["metadata"]["name"] == "autoscaling")
    assert [v["version"] for v in entry["versions"]] == ["v2", "v1"]
    v1 = entry["versions"][1]["resources"]
    assert [r["resource"] for r in v1] == ["horizontalpodautoscalers"]
    assert v1[0]["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "HorizontalPodAutoscaler"}


def test_protobuf_reads_a_v1_hpa_only() -> None:
    def field(number: int, payload: bytes) -> bytes:
        return bytes([number << 3 | 2, len(payload)]) + payload

    def varint(number: int, value: int) -> bytes:
        return bytes([number << 3, value])

    ref = field(1, b"Deployment") + field(2, b"web") + field(3, b"apps/v1")
    spec = field(1, ref) + varint(2, 1) + varint(3, 5) + varint(4, 50)
    raw = field(1, field(1, b"web")) + field(2, spec)

    def envelope(api_version: bytes) -> bytes:
        type_meta = field(1, api_version) + field(2, b"HorizontalPodAutoscaler")
        return protobuf.MAGIC + field(1, type_meta) + field(2, raw)

    assert protobuf.decode(envelope(b"autoscaling/v1")) == {
        "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                 "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 50}}
    with pytest.raises(Exception, match="cannot read HorizontalPodAutoscaler"):
        protobuf.decode(envelope(b"autoscaling/v2"))


def test_kubectl_autoscale_get_describe_patch_delete(kubectl: Run, cluster: Cluster) -> None:
    kubectl("create", "deployment", "web", "--image=k8sedu/web:v1")
    out = kubectl("autoscale", "deployment", "web", "--cpu-percent=50", "--min=1", "--max=5").stdout
    assert out == "horizontalpodautoscaler.autoscaling/web autoscaled\n"
    stored = cluster.get("hpa/web")
    assert stored["apiVersion"] == "autoscaling/v2"
    assert stored["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]
    assert stored["metadata"]["managedFields"][0]["apiVersion"] == "autoscaling/v1"
    table = kubectl("get", "hpa").stdout.splitlines()
    assert table[0].split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert table[1].split()[:2] == ["web", "Deployment/web"] and table[1].split()[-4:-2] == ["1", "5"]
    assert "50%" in table[1]
    described = kubectl("describe", "hpa", "web").stdout
    assert "Reference:" in described and "Deployment/web" in described
    assert "Min replicas:" in described and "Max replicas:" in described
    # read back as v1: the CPU target is targetCPUUtilizationPercentage again
    v1 = json.loads(kubectl("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-o", "json").stdout)
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                          "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 50}
    listed = json.loads(kubectl("get", "horizontalpodautoscalers.v1.autoscaling", "-o", "json").stdout)
    assert [i["apiVersion"] for i in listed["items"]] == ["autoscaling/v1"]
    # a patch in v1's fields lands in the stored v2 object
    kubectl("patch", "horizontalpodautoscalers.v1.autoscaling", "web", "--type=merge",
            "-p", '{"spec":{"targetCPUUtilizationPercentage":70,"maxReplicas":7}}')
    patched = cluster.get("hpa/web")["spec"]
    assert patched["maxReplicas"] == 7
    assert patched["metrics"][0]["resource"]["target"]["averageUtilization"] == 70
    bad = kubectl("patch", "horizontalpodautoscalers.v1.autoscaling", "web", "--type=merge",
                  "-p", '{"spec":{"maxReplicas":0}}', ok=False)
    assert "spec.maxReplicas: Invalid value: 0: must be greater than 0" in bad.stderr
    assert cluster.get("hpa/web")["spec"]["maxReplicas"] == 7  # nothing changed
    deleted = kubectl("delete", "hpa", "web").stdout
    assert deleted == 'horizontalpodautoscaler.autoscaling "web" deleted\n'
    assert kubectl("get", "hpa").stderr.strip() == "No resources found in default namespace."
    kubectl("delete", "deployment", "web")


# -- whoami and can-i --list -------------------------------------------------------------------
def test_auth_whoami(kubectl: Run) -> None:
    assert kubectl("auth", "whoami").stdout == (
        "ATTRIBUTE   VALUE\n"
        "Username    kubernetes-admin\n"
        "Groups      [system:masters system:authenticated]\n")
    student = json.loads(kubectl("auth", "whoami", "-o", "json", context="student@k8sedu").stdout)
    assert student["kind"] == "SelfSubjectReview" and student["apiVersion"] == "authentication.k8s.io/v1"
    assert student["status"]["userInfo"] == {"username": "student", "groups": ["system:authenticated"]}


def test_auth_can_i_list(kubectl: Run) -> None:
    admin = kubectl("auth", "can-i", "--list").stdout.splitlines()
    assert admin[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert admin[1].split() == ["*.*", "[]", "[]", "[*]"]
    student = kubectl("auth", "can-i", "--list", context="student@k8sedu").stdout
    rows = {line.split()[0]: re.findall(r"\[[^\]]*\]", line)[-1] for line in student.splitlines()[1:]
            if line.strip() and not line.startswith(" ")}
    assert "create" in rows["deployments.apps"] and "delete" in rows["pods"]
    assert "nodes" not in rows


# -- kubectl create token ------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    "nosuch", "default --duration=1m", "default --duration=-1s", "default --duration=1.5s", "default --audience=",
    "default --bound-object-name=x", "default --bound-object-kind=Job --bound-object-name=x",
    "default --bound-object-kind=Pod", "",
])
def test_create_token_in_the_notebook_fails_as_the_real_kubectl(kubectl: Run, cluster: Cluster, args: str) -> None:
    real = kubectl("create", "token", *args.split(), ok=False)
    assert real.returncode == 1 and real.stderr.startswith("error: ")
    with pytest.raises(KubectlError) as err:
        cluster.kubectl(f"create token {args}")
    assert str(err.value) == real.stderr.strip()


def test_create_token_in_the_notebook(cluster: Cluster) -> None:
    token = cluster.kubectl("create token default --duration=1h --audience=api --audience=vault")
    claims = claims_of(token.strip())
    assert token.endswith("\n") and claims["aud"] == ["api", "vault"] and claims["exp"] - claims["iat"] == 3600
    assert claims["sub"] == "system:serviceaccount:default:default"


def test_create_token_authenticates_as_the_service_account(kubectl: Run, cluster: Cluster) -> None:
    token = kubectl("create", "token", "default", "--duration=2h").stdout.strip()
    claims = claims_of(token)
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["iss"] == claims["aud"][0] == "https://kubernetes.default.svc.cluster.local"
    assert claims["exp"] - claims["iat"] == 7200
    assert claims["kubernetes.io"]["serviceaccount"]["uid"] == cluster.get("sa/default")["metadata"]["uid"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "HS256" and token.split(".")[2]
    who = kubectl("auth", "whoami", token=token).stdout
    assert "system:serviceaccount:default:default" in who
    assert "[system:serviceaccounts system:serviceaccounts:default system:authenticated]" in who
    denied = kubectl("get", "pods", token=token, ok=False)
    assert denied.stderr.strip() == ('Error from server (Forbidden): pods is forbidden: User '
                                     '"system:serviceaccount:default:default" cannot list resource "pods" in API '
                                     'group "" in the namespace "default"')
    # a tampered token (another ServiceAccount's name, the same signature) is refused
    head, body, sig = token.split(".")
    forged = dict(claims, sub="system:serviceaccount:kube-system:default")
    fake = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    refused = kubectl("get", "pods", token=f"{head}.{fake}.{sig}", ok=False)
    assert "error: You must be logged in to the server (Unauthorized)" in refused.stderr


def test_token_dies_with_its_service_account_and_errors(kubectl: Run, cluster: Cluster) -> None:
    kubectl("create", "serviceaccount", "robot")
    kubectl("create", "rolebinding", "robot-view", "--clusterrole=view", "--serviceaccount=default:robot")
    token = kubectl("create", "token", "robot").stdout.strip()
    assert claims_of(token)["exp"] - claims_of(token)["iat"] == 3600  # the server's default
    assert kubectl("get", "pods", token=token).returncode == 0
    assert kubectl("auth", "can-i", "create", "pods", token=token, ok=False).stdout == "no\n"
    kubectl("delete", "serviceaccount", "robot")
    gone = kubectl("get", "pods", token=token, ok=False)
    assert "error: You must be logged in to the server (Unauthorized)" in gone.stderr
    missing = kubectl("create", "token", "nosuch", ok=False)
    assert missing.stderr.strip() == 'error: failed to create token: serviceaccounts "nosuch" not found'
    short = kubectl("create", "token", "default", "--duration=1m", ok=False)
    assert short.stderr.strip() == ('error: failed to create token: TokenRequest.authentication.k8s.io "default" '
                                    'is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a '
                                    'duration less than 10 minutes')
    student = kubectl("create", "token", "default", "-n", "default", context="student@k8sedu", ok=False)
    assert 'cannot create resource "serviceaccounts/token" in API group "" in the namespace "default"' \
        in student.stderr


def test_token_review(cluster: Cluster, kubectl: Run) -> None:
    token = kubectl("create", "token", "default").stdout.strip()
    code, review = post(cluster, "/apis/authentication.k8s.io/v1/tokenreviews",
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}})
    assert code == 201 and review["status"]["authenticated"] is True
    assert review["status"]["user"]["username"] == "system:serviceaccount:default:default"
    code, review = post(cluster, "/apis/authentication.k8s.io/v1/tokenreviews",
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": "x.y.z"}})
    assert code == 201 and not review["status"].get("authenticated")


# -- the Pod's token and ca.crt -----------------------------------------------------------------
def test_pod_token_and_ca_authenticate(kubectl: Run, cluster: Cluster) -> None:
    kubectl("run", "reader", "--image=k8sedu/web:v1")
    kubectl("wait", "--for=condition=Ready", "pod/reader", "--timeout=60s")
    files = kubectl("exec", "reader", "--", "ls", MOUNT).stdout.split()
    assert sorted(files) == ["ca.crt", "namespace", "token"]
    ca = kubectl("exec", "reader", "--", "cat", f"{MOUNT}/ca.crt").stdout
    assert ca == Path(str(cluster.http.ca_cert)).read_text()  # the certificate kubectl checks, too
    token = kubectl("exec", "reader", "--", "cat", f"{MOUNT}/token").stdout.strip()
    claims = claims_of(token)
    pod = cluster.get("pod/reader")
    assert claims["kubernetes.io"]["pod"] == {"name": "reader", "uid": pod["metadata"]["uid"]}
    assert claims["kubernetes.io"]["node"]["name"] == pod["spec"]["nodeName"]
    # asked for 3607 s, a Pod's token lives a year; the kubelet replaces it after warnafter
    assert claims["kubernetes.io"]["warnafter"] - claims["iat"] == 3607
    assert claims["exp"] - claims["iat"] == 365 * 24 * 3600
    assert "system:serviceaccount:default:default" in kubectl("auth", "whoami", token=token).stdout
    kubectl("delete", "pod", "reader", "--grace-period=0", "--force")
    eventually(lambda: not kubectl("get", "pod", "reader", "--ignore-not-found").stdout, what="the Pod gone",
               interval=0.1)
    gone = kubectl("get", "pods", token=token, ok=False)
    assert "error: You must be logged in to the server (Unauthorized)" in gone.stderr


def test_hpa_to_v1_keeps_what_v1_cannot_say_in_annotations() -> None:
    from k8sedu.api.validation_autoscaling import hpa_from_v1, hpa_to_v1

    memory = {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue",
                                                                              "averageValue": "100Mi"}}}
    cpu = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}
    v2 = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
          "spec": {"maxReplicas": 4, "minReplicas": 1, "metrics": [memory, cpu]},
          "status": {"currentReplicas": 2, "desiredReplicas": 3,
                     "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                         "averageUtilization": 75, "averageValue": "150m"}}}],
                     "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale"}]}}
    v1 = hpa_to_v1(v2)
    assert v1["spec"] == {"maxReplicas": 4, "minReplicas": 1, "targetCPUUtilizationPercentage": 60}
    assert v1["status"] == {"currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 75}
    notes = v1["metadata"]["annotations"]
    assert json.loads(notes["autoscaling.alpha.kubernetes.io/metrics"]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "100Mi"}}]  # v1's shape
    assert json.loads(notes["autoscaling.alpha.kubernetes.io/conditions"])[0]["reason"] == "ReadyForNewScale"
    back = hpa_from_v1(v1)
    assert back["apiVersion"] == "autoscaling/v2"
    assert not back["metadata"].get("annotations")  # the conversion's notes do not come back
    assert back["spec"]["metrics"] == [memory, cpu]  # the other metrics come back from the annotation


def test_kubelet_token_manager_reuses_then_refreshes() -> None:
    from k8sedu.apiserver import ADMIN, APIServer
    from k8sedu.client import Client
    from k8sedu.clock import FakeClock
    from k8sedu.kubelet.projected import TokenError, TokenManager

    clock = FakeClock(1_700_000_000)
    api = APIServer(clock=clock)
    admin = Client(api, ADMIN, "kubectl")
    admin.create("serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app"}},
                 "default")
    pod = admin.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                "spec": {"serviceAccountName": "app", "automountServiceAccountToken": False,
                                         "containers": [{"name": "c", "image": "k8sedu/web:v1"}]}}, "default")
    manager = TokenManager(admin, clock)
    source = {"expirationSeconds": 3600, "path": "token"}
    first = manager(pod, source)
    assert manager(pod, source) == first  # cached: one TokenRequest
    assert api.tokens.authenticate(first.decode()) is not None
    clock.advance(0.8 * 3600 + 1)  # 80% of its life: the kubelet asks again
    second = manager(pod, source)
    assert second != first and claims_of(second.decode())["iat"] > claims_of(first.decode())["iat"]
    clock.advance(3600)
    assert api.tokens.authenticate(first.decode()) is None  # expired on the cluster clock
    admin.delete("serviceaccounts", "app", "default")
    clock.advance(3600)
    with pytest.raises(TokenError, match='serviceaccounts "app" not found'):
        manager(pod, source)
