"""The real kubectl (1.32, /usr/bin/kubectl) against `Cluster.serve()`: a tutorial's worth of
commands, with the output real kubectl prints against a real cluster."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import _waits
import pytest
from _kubectl import KUBECTL, Run, require_kubectl, runner, served_cluster

from k8sedu import Cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with served_cluster(tmp_path_factory.mktemp("kc") / "config", nodes=2, user="student", namespace="s1") as c:
        yield c


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kubectl-cache")


@pytest.fixture()
def kubectl(cluster: Cluster, cache_dir: Path) -> Run:
    return runner(cluster.kubeconfig, cache_dir)


eventually = partial(_waits.eventually, interval=0.1)


def test_version_and_api_resources(kubectl: Run) -> None:
    out = kubectl("version", "-o", "json").stdout
    assert json.loads(out)["serverVersion"]["minor"] == "32"
    table = kubectl("api-resources").stdout
    lines: dict[str, list[str]] = {}
    for line in table.splitlines()[1:]:  # the first row of a name: core before metrics.k8s.io's "pods"
        lines.setdefault(line.split()[0], line.split())
    assert lines["pods"] == ["pods", "po", "v1", "true", "Pod"]
    assert lines["deployments"] == ["deployments", "deploy", "apps/v1", "true", "Deployment"]
    assert lines["nodes"] == ["nodes", "no", "v1", "false", "Node"]
    wide = kubectl("api-resources", "-o", "wide", "--api-group=apps").stdout
    assert "create,delete,deletecollection,get,list,patch,update,watch" in wide
    assert "deployments" in kubectl("api-resources", "--categories=all", "-o", "name").stdout


def test_deployment_walk(kubectl: Run, cluster: Cluster) -> None:
    assert kubectl("create", "deployment", "web", "--image=k8sedu/web:v1", "--replicas=2").stdout == \
        "deployment.apps/web created\n"
    kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    pods = kubectl("get", "pods", "-l", "app=web", "-o", "wide").stdout.splitlines()
    assert pods[0].split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    assert len(pods) == 3 and all("Running" in p for p in pods[1:])
    out = kubectl("get", "deploy,rs").stdout
    assert "deployment.apps/web   2/2     2            2" in out
    assert "replicaset.apps/web-" in out
    nodes = kubectl("get", "nodes").stdout
    assert "node-1   Ready" in nodes and "node-2   Ready" in nodes
    assert "ScalingReplicaSet" in kubectl("get", "events").stdout
    dep = json.loads(kubectl("get", "deploy", "web", "-o", "json").stdout)
    assert dep["spec"]["replicas"] == 2 and dep["spec"]["template"]["spec"]["containers"][0]["image"] == "k8sedu/web:v1"
    assert "kind: Deployment" in kubectl("get", "deploy", "web", "-o", "yaml").stdout
    assert "Replicas:               2 desired" in kubectl("describe", "deployment", "web").stdout

    assert kubectl("scale", "deploy/web", "--replicas=3").stdout == "deployment.apps/web scaled\n"
    eventually(lambda: len(cluster.get("pods", selector="app=web")) == 3, what="3 pods")
    assert kubectl("set", "image", "deployment/web", "web=k8sedu/web:v2").stdout == \
        "deployment.apps/web image updated\n"
    assert "successfully rolled out" in kubectl("rollout", "status", "deployment/web", "--timeout=60s").stdout
    history = kubectl("rollout", "history", "deployment/web").stdout
    assert "REVISION  CHANGE-CAUSE" in history and "\n2 " in history
    assert kubectl("rollout", "undo", "deployment/web").stdout == "deployment.apps/web rolled back\n"
    kubectl("rollout", "status", "deployment/web", "--timeout=60s")
    image = kubectl("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}").stdout
    assert image == "k8sedu/web:v1"

    pod = kubectl("get", "pods", "-l", "app=web", "-o", "name").stdout.split()[0]
    assert kubectl("label", pod, "tier=frontend").stdout == f"{pod} labeled\n"
    assert kubectl("get", "pods", "-l", "tier=frontend", "-o", "name").stdout.strip() == pod
    assert "k8sedu/web v1" in kubectl("logs", pod).stdout
    name = pod.split("/", 1)[1]
    assert kubectl("exec", pod, "--", "hostname").stdout.strip() == name
    failed = kubectl("exec", pod, "--", "sh", "-c", "exit 3", ok=False)
    assert failed.returncode == 3 and "command terminated with exit code 3" in failed.stderr
    assert kubectl("exec", "-i", pod, "--", "cat", stdin="hello\n").stdout == "hello\n"
    assert kubectl("delete", "deployment", "web").stdout == 'deployment.apps "web" deleted\n'


MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: app}}
  template:
    metadata:
      labels: {{app: app}}
    spec:
      containers:
      - name: app
        image: k8sedu/web:v1
"""


def test_apply_unchanged_configured_delete(kubectl: Run, tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(MANIFEST.format(replicas=1))
    assert kubectl("apply", "-f", str(path)).stdout == "deployment.apps/app created\n"
    assert kubectl("apply", "-f", str(path)).stdout == "deployment.apps/app unchanged\n"
    path.write_text(MANIFEST.format(replicas=2))
    assert kubectl("apply", "-f", str(path)).stdout == "deployment.apps/app configured\n"
    assert kubectl("get", "deploy", "app", "-o", "jsonpath={.spec.replicas}").stdout == "2"
    path.write_text(MANIFEST.format(replicas=2).replace("replicas:", "replicas: 1\n  bogus:", 1))
    strict = kubectl("apply", "-f", str(path), ok=False)
    assert strict.returncode == 1 and 'unknown field "spec.bogus"' in strict.stderr
    path.write_text(MANIFEST.format(replicas=2))
    assert kubectl("delete", "-f", str(path)).stdout == 'deployment.apps "app" deleted\n'
    assert kubectl("apply", "--server-side", "-f", str(path)).stdout == "deployment.apps/app serverside-applied\n"
    kubectl("delete", "-f", str(path))


def test_get_watch_streams_changes(kubectl: Run, cluster: Cluster, cache_dir: Path) -> None:
    cmd = [KUBECTL, "--kubeconfig", str(cluster.kubeconfig), "--cache-dir", str(cache_dir),
           "--context", "kubernetes-admin@k8sedu", "get", "pods", "-w", "-l", "run=watched"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        kubectl("run", "watched", "--image=k8sedu/web:v1")
        eventually(lambda: any(line.startswith("watched ") and "Running" in line for line in lines),
                   what="kubectl get -w to print the Running pod")
        assert proc.poll() is None  # still streaming, until interrupted
    finally:
        proc.kill()
        proc.communicate(timeout=10)  # also closes the pipes
        reader.join(timeout=10)
    kubectl("delete", "pod", "watched", "--grace-period=0", "--force")


def test_logs_follow_streams_until_interrupted(kubectl: Run, cluster: Cluster, cache_dir: Path) -> None:
    kubectl("run", "ticker", "--image=k8sedu/busybox", "--", "sh", "-c",
            "echo first; sleep 2; echo second; sleep 300")
    cluster.wait("pod/ticker", "Ready", timeout=30)
    assert kubectl("logs", "ticker", "--tail=1").stdout in ("first\n", "second\n")
    cmd = [KUBECTL, "--kubeconfig", str(cluster.kubeconfig), "--cache-dir", str(cache_dir),
           "--context", "kubernetes-admin@k8sedu", "logs", "-f", "ticker"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        eventually(lambda: "second\n" in lines, what="kubectl logs -f to print the second line")
        assert lines[:2] == ["first\n", "second\n"]
        assert proc.poll() is None  # still following
    finally:
        proc.kill()
        proc.communicate(timeout=10)
        reader.join(timeout=10)
    kubectl("delete", "pod", "ticker", "--grace-period=0", "--force")


def test_cordon_drain_uncordon(kubectl: Run, cluster: Cluster) -> None:
    kubectl("create", "deployment", "drainme", "--image=k8sedu/web:v1", "--replicas=2")
    kubectl("rollout", "status", "deployment/drainme", "--timeout=60s")
    assert kubectl("cordon", "node-1").stdout == "node/node-1 cordoned\n"
    assert "SchedulingDisabled" in kubectl("get", "node", "node-1").stdout
    out = kubectl("drain", "node-1", "--ignore-daemonsets", "--timeout=60s").stdout
    assert "node/node-1 drained" in out
    eventually(lambda: all(p["spec"].get("nodeName") != "node-1" or p["metadata"].get("deletionTimestamp")
                           for p in cluster.get("pods", selector="app=drainme")), what="pods off node-1")
    assert kubectl("uncordon", "node-1").stdout == "node/node-1 uncordoned\n"
    kubectl("delete", "deployment", "drainme")


def test_auth_can_i_and_student_is_confined(kubectl: Run) -> None:
    assert kubectl("auth", "can-i", "create", "pods").stdout == "yes\n"
    student = "student@k8sedu"
    assert kubectl("auth", "can-i", "create", "deployments", context=student).stdout == "yes\n"
    no = kubectl("auth", "can-i", "create", "pods", "-n", "default", context=student, ok=False)
    assert no.returncode == 1 and no.stdout == "no\n"
    denied = kubectl("get", "pods", "-n", "default", context=student, ok=False)
    assert denied.returncode == 1
    assert denied.stderr.strip() == ('Error from server (Forbidden): pods is forbidden: User "student" cannot '
                                     'list resource "pods" in API group "" in the namespace "default"')
    created = kubectl("create", "deployment", "x", "--image=k8sedu/web:v1", "-n", "default", context=student,
                      ok=False)
    assert 'User "student" cannot create resource "deployments" in API group "apps"' in created.stderr
    assert kubectl("create", "deployment", "mine", "--image=k8sedu/web:v1", context=student).returncode == 0
    assert "mine" in kubectl("get", "deploy", "-n", "s1").stdout
    nodes = kubectl("get", "nodes", context=student, ok=False)
    assert 'cannot list resource "nodes" in API group "" at the cluster scope' in nodes.stderr


def test_bad_requests_get_upstream_errors(kubectl: Run, cluster: Cluster) -> None:
    unknown = kubectl("get", "foo", ok=False)
    assert unknown.stderr.strip() == 'error: the server doesn\'t have a resource type "foo"'
    missing = kubectl("get", "pod", "nope", ok=False)
    assert missing.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'
    kubectl("create", "deployment", "bad", "--image=k8sedu/web:v1")
    invalid = kubectl("patch", "deploy", "bad", "-p", '{"spec":{"replicas":-1}}', ok=False)
    assert invalid.stderr.strip() == ('The Deployment "bad" is invalid: spec.replicas: Invalid value: -1: '
                                      'must be greater than or equal to 0')
    json_patch = kubectl("patch", "deploy", "bad", "--type=json",
                         "-p", '[{"op":"remove","path":"/spec/nothere"}]', ok=False)
    assert json_patch.returncode == 1 and "Error from server" in json_patch.stderr
    again = kubectl("create", "deployment", "bad", "--image=k8sedu/web:v1", ok=False)
    assert 'deployments.apps "bad" already exists' in again.stderr
    assert cluster.get("deployment/bad")["spec"]["replicas"] == 1  # nothing changed
    kubectl("delete", "deployment", "bad")


def test_no_token_is_unauthorized(cluster: Cluster, cache_dir: Path, tmp_path: Path) -> None:
    config = Path(str(cluster.kubeconfig)).read_text()
    import yaml

    doc = yaml.safe_load(config)
    for user in doc["users"]:
        user["user"]["token"] = "wrong"
    bad = tmp_path / "config"
    bad.write_text(yaml.safe_dump(doc))
    result = subprocess.run([KUBECTL, "--kubeconfig", str(bad), "--cache-dir", str(cache_dir), "get", "pods"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "error: You must be logged in to the server (Unauthorized)" in result.stderr


def test_kubectl_requests_appear_in_the_flow(kubectl: Run, cluster: Cluster) -> None:
    since = cluster.flow.events()[-1].seq
    kubectl("create", "configmap", "flowed", "--from-literal=a=b")
    events = [e for e in cluster.flow.events(since) if e.action.startswith("POST ")]
    assert any(e.src == "kubectl" and e.action == "POST /api/v1/namespaces/default/configmaps" for e in events)
    kubectl("delete", "configmap", "flowed")


@pytest.mark.docker
def test_kubectl_exec_and_logs_on_real_containers(tmp_path: Path) -> None:
    require_kubectl()
    with Cluster(nodes=1, runtime="docker", progress=False) as c:
        kc = c.serve(kubeconfig=tmp_path / "config")
        base = [KUBECTL, "--kubeconfig", kc, "--cache-dir", str(tmp_path / "cache"), "--request-timeout=30s"]

        def run(*args: str) -> str:
            result = subprocess.run([*base, *args], capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
            return result.stdout

        run("run", "real", "--image=k8sedu/web:v1")
        c.wait("pod/real", "Ready", timeout=60)
        assert run("exec", "real", "--", "hostname").strip() == "real"
        assert run("exec", "-i", "real", "--", "cat").strip() == ""
        eventually(lambda: run("logs", "real"), what="the web server's first log line")


def test_explain_reads_our_openapi(kubectl: Run) -> None:
    pods = kubectl("explain", "pods").stdout
    assert pods.startswith("KIND:       Pod\nVERSION:    v1\n\nDESCRIPTION:\n    Pod is a collection of containers")
    assert "  spec\t<PodSpec>\n    PodSpec is a description of a pod." in pods
    field = kubectl("explain", "deployment.spec.replicas").stdout
    assert field.startswith("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: replicas <integer>")
    assert "Number of desired pods." in field
    image = kubectl("explain", "pods.spec.containers.image").stdout
    assert "FIELD: image <string>" in image and "Container image name." in image
    tree = kubectl("explain", "svc", "--recursive").stdout
    assert "    ports\t<[]ServicePort>\n      appProtocol\t<string>\n" in tree and "      targetPort\t<" in tree
    missing = kubectl("explain", "pods.spec.nope", ok=False)
    assert missing.returncode == 1 and 'field "nope" does not exist' in missing.stderr


def test_openapi_descriptions_are_current() -> None:
    """k8sedu/server/openapi_docs.json is what openapi_gen makes from the installed client."""
    pytest.importorskip("kubernetes")
    from k8sedu.server import openapi_gen

    assert openapi_gen.main(["--check"]) == 0, "run: python -m k8sedu.server.openapi_gen"
