"""The kubelet on a real Docker engine: dockershim-named containers, restart after ``docker kill``,
graceful deletion that leaves nothing behind."""

from __future__ import annotations

import json
import secrets
import urllib.request
from collections.abc import Iterator
from functools import partial
from typing import Any

import _waits
import pytest

from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.clock import Clock
from k8sedu.kubelet import PUBLISHED_PORTS_ANNOTATION, Kubelet

pytestmark = pytest.mark.docker

NODE = "node-1"


eventually = partial(_waits.eventually, timeout=60.0, interval=0.1)


class Env:
    def __init__(self) -> None:
        import docker

        from k8sedu.runtime import DockerRuntime

        self.cluster_id = "kt" + secrets.token_hex(3)
        self.clock = Clock()
        self.api = APIServer(clock=self.clock)
        self.admin = Client(self.api, ADMIN, "kubectl")
        self.runtime = DockerRuntime(self.cluster_id, clock=self.clock)
        self.runtime.ensure_images()
        self.docker = docker.from_env()
        self.kubelet = Kubelet(self.admin, self.runtime, NODE, self.clock)

    def engine_containers(self) -> list[Any]:
        """What ``docker ps -a`` shows for this cluster."""
        return self.docker.containers.list(all=True, filters={"label": f"k8sedu.cluster={self.cluster_id}"})

    def pod(self, name: str) -> dict[str, Any] | None:
        return self.admin.get_or_none("pods", name, "default")

    def close(self) -> None:
        self.kubelet.stop()
        self.runtime.cleanup()
        self.runtime.close()
        self.docker.close()


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    e.kubelet.start()
    try:
        yield e
    finally:
        e.close()


def running_web(env: Env) -> dict[str, Any]:
    env.admin.create("pods", {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"nodeName": NODE, "terminationGracePeriodSeconds": 10,
                 "containers": [{"name": "web", "image": "k8sedu/web:v1", "ports": [{"containerPort": 80}]}]},
    }, "default")
    return eventually(lambda: (p := env.pod("web")) and p["status"].get("phase") == "Running"
                      and p["status"]["containerStatuses"][0]["ready"] and p, what="web Running")


def test_pod_runs_as_dockershim_named_containers(env: Env) -> None:
    pod = running_web(env)
    uid = pod["metadata"]["uid"]
    names = sorted(c.name for c in env.engine_containers())
    assert names == [f"k8s_POD_web_default_{uid}_0", f"k8s_web_web_default_{uid}_0"]
    app = env.docker.containers.get(f"k8s_web_web_default_{uid}_0")
    pause = env.docker.containers.get(f"k8s_POD_web_default_{uid}_0")
    assert app.attrs["HostConfig"]["NetworkMode"] == f"container:{pause.id}"  # joins the pause netns
    cs = pod["status"]["containerStatuses"][0]
    assert cs["containerID"] == f"docker://{app.id}"
    assert pod["status"]["podIP"]
    assert env.admin.get("nodes", NODE)["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("docker://")

    port = json.loads(pod["metadata"]["annotations"][PUBLISHED_PORTS_ANNOTATION])["80/TCP"]
    page = eventually(lambda: _get(f"http://127.0.0.1:{port}/"), timeout=20, what="HTTP answer")
    assert page.startswith("hostname=web version=v1")


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.read().decode()
    except OSError:
        return ""


def test_docker_kill_restarts_the_container(env: Env) -> None:
    pod = running_web(env)
    uid = pod["metadata"]["uid"]
    first = env.docker.containers.get(f"k8s_web_web_default_{uid}_0")
    first.kill()  # docker kill: SIGKILL, exit 137

    cs = eventually(lambda: (p := env.pod("web")) and (s := p["status"]["containerStatuses"][0])["restartCount"] == 1
                    and "running" in s["state"] and s, what="RESTARTS 1")
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    assert cs["lastState"]["terminated"]["containerID"] == f"docker://{first.id}"
    second = env.docker.containers.get(f"k8s_web_web_default_{uid}_1")
    assert second.status == "running"


def test_graceful_delete_leaves_no_container(env: Env) -> None:
    running_web(env)
    env.admin.delete("pods", "web", "default")
    eventually(lambda: env.pod("web") is None, what="pod object deleted")
    assert env.engine_containers() == []
    events = [(e["reason"], e["message"]) for e in env.admin.items("events", "default")]
    assert ("Killing", "Stopping container web") in events
