"""ConfigMap and Secret (env, envFrom, volumes), emptyDir and hostPath, as the kubelet makes them:
on the simulated runtime with a FakeClock, and on a real Docker engine through a whole Cluster."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import _waits
import pytest

from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.clock import FakeClock
from k8sedu.kubelet import Kubelet
from k8sedu.kubelet.volumes import write_atomic
from k8sedu.runtime import SimRuntime

NODE = "node-1"


eventually = partial(_waits.eventually, timeout=15.0)


class Env:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.api = APIServer(clock=self.clock)
        self.admin = Client(self.api, ADMIN, "kubectl")
        self.runtime = SimRuntime("voltest", self.clock)
        self.kubelet = Kubelet(self.admin, self.runtime, NODE, self.clock, relist_period=0.05)

    def create(self, name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
               "spec": {"nodeName": NODE, "containers": containers, **spec}}
        return self.admin.create("pods", pod, "default")

    def pod(self, name: str) -> dict[str, Any] | None:
        return self.admin.get_or_none("pods", name, "default")

    def cstatus(self, name: str, container: str | None = None) -> dict[str, Any]:
        pod = self.pod(name) or {}
        statuses = pod.get("status", {}).get("containerStatuses") or [{}]
        return statuses[0] if container is None else next((s for s in statuses if s.get("name") == container), {})

    def running(self, name: str, container: str | None = None) -> str:
        status = eventually(lambda: "running" in (s := self.cstatus(name, container)).get("state", {}) and s,
                            what=f"{name} running", step=self.tick)
        return str(status["containerID"]).split("://", 1)[1]

    def tick(self) -> None:
        self.clock.advance(1.0)
        self.kubelet.pleg.relist()

    def out(self, cid: str, cmd: list[str]) -> str:
        r = self.runtime.exec(cid, cmd)
        return r.stdout if r.exit_code == 0 else f"exit {r.exit_code}: {r.stderr}"

    def events(self, name: str) -> list[tuple[str, str, str]]:
        return [(e["type"], e["reason"], e["message"]) for e in self.admin.items("events", "default")
                if e["involvedObject"].get("name") == name]


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    e.kubelet.start()
    try:
        yield e
    finally:
        e.kubelet.stop()
        e.runtime.cleanup()


def configmap(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"},
            "data": data}


def secret(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
            "type": "Opaque", "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}


SLEEPER = {"name": "app", "image": "k8sedu/busybox", "args": ["sleep", "3600"]}


def test_atomic_writer_swaps_the_data_link(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    assert write_atomic(folder, {"key": (b"one", 0o644), "dir/nested": (b"n", 0o600)})
    first = os.readlink(folder / "..data")
    assert (folder / "key").read_text() == "one" and os.readlink(folder / "key") == "..data/key"
    assert (folder / "dir" / "nested").read_bytes() == b"n"
    assert oct((folder / "dir" / "nested").stat().st_mode & 0o777) == oct(0o600)
    assert not write_atomic(folder, {"key": (b"one", 0o644), "dir/nested": (b"n", 0o600)})  # unchanged

    assert write_atomic(folder, {"key": (b"two", 0o644)})
    assert os.readlink(folder / "..data") != first and not (folder / first).exists()
    assert (folder / "key").read_text() == "two" and not (folder / "dir").exists()


def test_configmap_and_secret_volumes_files_and_updates(env: Env) -> None:
    env.admin.create("configmaps", configmap("app-config", {"key": "value-1", "other": "x"}), "default")
    env.admin.create("secrets", secret("db", {"password": "s3cr3t"}), "default")
    env.create("cfg", [{**SLEEPER, "volumeMounts": [
        {"name": "config", "mountPath": "/etc/config"},
        {"name": "creds", "mountPath": "/etc/creds", "readOnly": True},
        {"name": "config", "mountPath": "/etc/only-key", "subPath": "key"},
    ]}], volumes=[
        {"name": "config", "configMap": {"name": "app-config", "defaultMode": 420}},
        {"name": "creds", "secret": {"secretName": "db", "items": [{"key": "password", "path": "db/pass"}],
                                     "defaultMode": 256}},
    ])
    cid = env.running("cfg")
    assert env.out(cid, ["cat", "/etc/config/key"]) == "value-1"
    assert env.out(cid, ["ls", "/etc/config"]).split() == ["key", "other"]
    assert env.out(cid, ["cat", "/etc/creds/db/pass"]) == "s3cr3t"  # decoded, not base64
    assert env.out(cid, ["cat", "/etc/only-key"]) == "value-1"

    cm = env.admin.get("configmaps", "app-config", "default")
    cm["data"]["key"] = "value-2"
    env.admin.update("configmaps", cm, "default")
    eventually(lambda: env.out(cid, ["cat", "/etc/config/key"]) == "value-2", what="file updated")
    assert env.out(cid, ["cat", "/etc/only-key"]) == "value-1"  # a subPath never sees updates (upstream)
    assert env.cstatus("cfg")["restartCount"] == 0

    uid = env.pod("cfg")["metadata"]["uid"]  # type: ignore[index]
    folder = env.kubelet.volumes.pod_dir(uid)
    assert folder.is_dir()
    env.admin.delete("pods", "cfg", "default")
    eventually(lambda: env.pod("cfg") is None, what="pod deleted", step=env.tick)
    eventually(lambda: not folder.exists(), what="volume files removed")


def test_missing_configmap_volume_waits_with_failed_mount(env: Env) -> None:
    env.create("nocm", [{**SLEEPER, "volumeMounts": [{"name": "config", "mountPath": "/etc/config"}]}],
               volumes=[{"name": "config", "configMap": {"name": "absent"}}])
    eventually(lambda: ("Warning", "FailedMount",
                        'MountVolume.SetUp failed for volume "config" : configmap "absent" not found')
               in env.events("nocm"), what="FailedMount")
    assert env.cstatus("nocm")["state"] == {"waiting": {"reason": "ContainerCreating"}}
    env.admin.create("configmaps", configmap("absent", {"key": "here"}), "default")
    cid = env.running("nocm")  # the kubelet retries and the Pod starts
    assert env.out(cid, ["cat", "/etc/config/key"]) == "here"


def test_env_from_configmap_and_secret_and_missing_reference(env: Env) -> None:
    env.admin.create("configmaps", configmap("settings", {"MODE": "fast", "LEVEL": "3"}), "default")
    env.admin.create("secrets", secret("token", {"value": "t0k3n"}), "default")
    env.create("envs", [{**SLEEPER, "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "APP_"}],
                         "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "token", "key": "value"}}},
                                 {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings",
                                                                                    "key": "MODE"}}}]}])
    cid = env.running("envs")
    env_out = env.out(cid, ["env"]).splitlines()
    assert {"APP_MODE=fast", "APP_LEVEL=3", "TOKEN=t0k3n", "MODE=fast"} <= set(env_out)

    env.create("noref", [{**SLEEPER, "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {
        "name": "x", "key": "k"}}}]}])
    waiting = eventually(lambda: env.cstatus("noref").get("state", {}).get("waiting", {}).get("reason")
                         == "CreateContainerConfigError" and env.cstatus("noref")["state"]["waiting"],
                         what="CreateContainerConfigError")
    assert waiting["message"] == 'configmap "x" not found'


def test_empty_dir_is_shared_by_the_pods_containers(env: Env) -> None:
    env.create("shared", [
        {"name": "writer", "image": "k8sedu/busybox", "args": ["sh", "-c", "echo hello > /data/msg; sleep 3600"],
         "volumeMounts": [{"name": "scratch", "mountPath": "/data"}]},
        {"name": "reader", "image": "k8sedu/busybox", "args": ["sleep", "3600"],
         "volumeMounts": [{"name": "scratch", "mountPath": "/shared"}]},
    ], volumes=[{"name": "scratch", "emptyDir": {}}])
    env.running("shared", "writer")
    reader = env.running("shared", "reader")
    eventually(lambda: env.out(reader, ["cat", "/shared/msg"]) == "hello\n", what="file shared", step=env.tick)


def test_host_path_volume_is_the_machines_folder(env: Env, tmp_path: Path) -> None:
    (tmp_path / "greeting").write_text("from the host\n")
    env.create("hp", [{**SLEEPER, "volumeMounts": [{"name": "host", "mountPath": "/host"}]}],
               volumes=[{"name": "host", "hostPath": {"path": str(tmp_path), "type": "Directory"}}])
    cid = env.running("hp")
    assert env.out(cid, ["cat", "/host/greeting"]) == "from the host\n"


# -- on a real Docker engine ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from k8sedu import Cluster

    c = Cluster(nodes=1, runtime="docker", speed=1.0)
    c.start()
    try:
        yield c
    finally:
        c.stop()


def _pod(name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": containers, "terminationGracePeriodSeconds": 2, **spec}}


@pytest.mark.docker
def test_docker_liveness_exec_probe_restarts_the_container(cluster: Any) -> None:
    cluster.apply(_pod("liveness-exec", [{
        "name": "liveness", "image": "k8sedu/busybox",
        "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 4; rm -f /tmp/healthy; sleep 600"],
        "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 1,
                          "periodSeconds": 1, "failureThreshold": 2},
    }]))
    status = eventually(lambda: (s := (cluster.get("pod/liveness-exec").get("status", {})
                                       .get("containerStatuses") or [{}])[0]).get("restartCount", 0) >= 1
                        and s, timeout=90, what="restarted by its liveness probe")
    assert status["lastState"]["terminated"]["exitCode"] == 137
    messages = [(e["reason"], e["message"]) for e in cluster.events()
                if e["involvedObject"].get("name") == "liveness-exec"]
    assert ("Unhealthy", "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n") \
        in messages
    assert ("Killing", "Container liveness failed liveness probe, will be restarted") in messages
    cluster.delete("pod/liveness-exec")


@pytest.mark.docker
def test_docker_configmap_volume_secret_env_and_empty_dir(cluster: Any) -> None:
    cluster.apply([configmap("web-config", {"key": "value-1"}), secret("web-secret", {"password": "s3cr3t"})])
    cluster.apply(_pod("cfg", [
        {"name": "app", "image": "k8sedu/busybox", "args": ["sh", "-c", "echo hello > /data/msg; sleep 3600"],
         "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "web-secret", "key": "password"}}}],
         "volumeMounts": [{"name": "config", "mountPath": "/etc/config"},
                          {"name": "scratch", "mountPath": "/data"}]},
        {"name": "side", "image": "k8sedu/busybox", "args": ["sleep", "3600"],
         "volumeMounts": [{"name": "scratch", "mountPath": "/shared"}]},
    ], volumes=[{"name": "config", "configMap": {"name": "web-config"}}, {"name": "scratch", "emptyDir": {}}]))
    cluster.wait("pod/cfg", "Ready", timeout=60)
    assert cluster.kubectl("exec cfg -c app -- cat /etc/config/key") == "value-1"
    assert cluster.kubectl(["exec", "cfg", "-c", "app", "--", "sh", "-c", "echo $PASSWORD"]) == "s3cr3t\n"
    eventually(lambda: cluster.kubectl("exec cfg -c side -- cat /shared/msg") == "hello\n", what="emptyDir shared")

    cluster.apply(configmap("web-config", {"key": "value-2"}))
    eventually(lambda: cluster.kubectl("exec cfg -c app -- cat /etc/config/key") == "value-2", timeout=30,
               what="ConfigMap file updated in the container")
    cluster.delete("pod/cfg")


@pytest.mark.docker
def test_docker_readiness_http_probe_through_the_published_port(cluster: Any) -> None:
    cluster.apply(_pod("ready-web", [{
        "name": "web", "image": "k8sedu/web:v1", "ports": [{"name": "http", "containerPort": 80}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 1},
    }]))
    cluster.wait("pod/ready-web", "Ready", timeout=60)
    cluster.kubectl("exec ready-web -- rm /www/healthz")

    def not_ready() -> dict[str, Any] | None:
        conds = {c["type"]: c for c in cluster.get("pod/ready-web")["status"].get("conditions") or []}
        return conds["Ready"] if conds.get("Ready", {}).get("status") == "False" else None

    ready = eventually(not_ready, timeout=30, what="Ready False after /healthz is gone")
    assert ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [web]"
    messages = [e["message"] for e in cluster.events() if e["involvedObject"].get("name") == "ready-web"]
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404" in messages
    cluster.delete("pod/ready-web")
