"""Liveness, readiness and startup probes on the simulated runtime, on a FakeClock: nothing a probe
waits for (its period, the container's ``sleep 30``) happens until the test advances the clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.clock import FakeClock
from k8sedu.kubelet import Kubelet
from k8sedu.kubelet.probes import kill_message, resolve_port
from k8sedu.runtime import SimRuntime

NODE = "node-1"


class Env:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.api = APIServer(clock=self.clock)
        self.admin = Client(self.api, ADMIN, "kubectl")
        self.runtime = SimRuntime("probetest", self.clock)
        self.kubelet = Kubelet(self.admin, self.runtime, NODE, self.clock, relist_period=0.05)

    def create(self, name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
               "spec": {"nodeName": NODE, "containers": containers, **spec}}
        return self.admin.create("pods", pod, "default")

    def pod(self, name: str) -> dict[str, Any]:
        return self.admin.get("pods", name, "default")

    def cstatus(self, name: str) -> dict[str, Any]:
        return (self.pod(name)["status"].get("containerStatuses") or [{}])[0]

    def condition(self, name: str, type_: str) -> dict[str, Any]:
        return next((c for c in self.pod(name)["status"].get("conditions") or [] if c["type"] == type_), {})

    def events(self, name: str) -> list[tuple[str, str, str]]:
        return [(e["type"], e["reason"], e["message"]) for e in self.admin.items("events", "default")
                if e["involvedObject"].get("name") == name]

    def event_count(self, name: str, reason: str, message: str) -> int:
        """How many times the event happened (the recorder folds repeats into ``count``)."""
        return sum(int(e.get("count") or 1) for e in self.admin.items("events", "default")
                   if e["involvedObject"].get("name") == name and e["reason"] == reason
                   and e["message"] == message)

    def exec(self, name: str, cmd: list[str]) -> Any:
        cid = self.cstatus(name)["containerID"].split("://", 1)[1]
        return self.runtime.exec(cid, cmd)

    def eventually(self, check: Callable[[], Any], advance: float = 0.0, timeout: float = 15.0,
                   what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            if advance:
                self.clock.advance(advance)
                self.kubelet.pleg.relist()
            pause.wait(0.03)

    def running(self, name: str) -> dict[str, Any]:
        return self.eventually(lambda: "running" in self.cstatus(name).get("state", {}) and self.cstatus(name),
                               what=f"{name} running")


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    e.kubelet.start()
    try:
        yield e
    finally:
        e.kubelet.stop()
        e.runtime.cleanup()


WEB = {"name": "web", "image": "k8sedu/web:v1", "ports": [{"name": "http", "containerPort": 80}]}


def probe(**fields: Any) -> dict[str, Any]:
    """A probe with upstream's defaults filled in (the apiserver's defaulting does it for Pods)."""
    return {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3, **fields}


def test_failing_liveness_exec_probe_restarts_the_container(env: Env) -> None:
    env.create("liveness-exec", [{
        "name": "liveness", "image": "k8sedu/busybox",
        "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"],
        "livenessProbe": probe(exec={"command": ["cat", "/tmp/healthy"]}, initialDelaySeconds=5,
                               periodSeconds=5, terminationGracePeriodSeconds=2),
    }])
    first = env.running("liveness-exec")["containerID"]
    assert env.cstatus("liveness-exec")["restartCount"] == 0

    status = env.eventually(lambda: (s := env.cstatus("liveness-exec")).get("restartCount") == 1
                            and "running" in s["state"] and s, advance=1.0, what="restart after liveness failure")
    assert status["containerID"] != first
    assert status["lastState"]["terminated"]["exitCode"] == 137  # sh ignores SIGTERM: SIGKILL after 2 s
    events = env.events("liveness-exec")
    failed = "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"
    assert ("Warning", "Unhealthy", failed) in events
    assert env.event_count("liveness-exec", "Unhealthy", failed) >= 3  # failureThreshold in a row
    assert ("Normal", "Killing", "Container liveness failed liveness probe, will be restarted") in events
    flows = [f.action for f in env.api.flow.events() if f.action.startswith("probe liveness")]
    assert flows and flows[0] == "probe liveness liveness: failure"


def test_readiness_http_probe_flips_pod_ready_without_restarting(env: Env) -> None:
    env.create("web", [{**WEB, "readinessProbe": probe(httpGet={"path": "/healthz", "port": "http",
                                                                 "scheme": "HTTP"}, periodSeconds=2)}])
    env.eventually(lambda: env.condition("web", "Ready").get("status") == "True", advance=1.0,
                   what="web Ready")
    assert env.cstatus("web")["ready"] is True

    assert env.exec("web", ["rm", "/www/healthz"]).exit_code == 0
    env.eventually(lambda: env.condition("web", "Ready").get("status") == "False", advance=1.0,
                   what="web not Ready")
    for type_ in ("Ready", "ContainersReady"):
        cond = env.condition("web", type_)
        assert cond["reason"] == "ContainersNotReady"
        assert cond["message"] == "containers with unready status: [web]"
    status = env.cstatus("web")
    assert status["ready"] is False and status["started"] is True and "running" in status["state"]
    failed = "Readiness probe failed: HTTP probe failed with statuscode: 404"
    assert ("Warning", "Unhealthy", failed) in env.events("web")
    assert env.event_count("web", "Unhealthy", failed) >= 3

    assert env.exec("web", ["sh", "-c", "echo ok > /www/healthz"]).exit_code == 0
    env.eventually(lambda: env.condition("web", "Ready").get("status") == "True", advance=1.0,
                   what="web Ready again")
    assert env.cstatus("web")["restartCount"] == 0
    assert not any(e[1] == "Killing" for e in env.events("web"))


def test_startup_probe_gates_readiness_until_it_succeeds(env: Env) -> None:
    env.create("slow", [{
        "name": "app", "image": "k8sedu/busybox",
        "args": ["/bin/sh", "-c", "sleep 20; touch /tmp/started; sleep 600"],
        "startupProbe": probe(exec={"command": ["cat", "/tmp/started"]}, periodSeconds=2, failureThreshold=30),
        "readinessProbe": probe(exec={"command": ["true"]}, periodSeconds=2),
    }])
    env.running("slow")
    env.eventually(lambda: any(e[2].startswith("Startup probe failed") for e in env.events("slow")),
                   advance=1.0, what="a failed startup probe")
    status = env.cstatus("slow")
    assert status["started"] is False and status["ready"] is False
    assert env.condition("slow", "Ready")["status"] == "False"

    env.eventually(lambda: env.condition("slow", "Ready").get("status") == "True", advance=1.0,
                   what="slow Ready after its startup probe")
    status = env.cstatus("slow")
    assert status["started"] is True and status["ready"] is True and status["restartCount"] == 0
    assert not any(e[2].startswith("Readiness probe") for e in env.events("slow"))


def test_failing_startup_probe_restarts_the_container(env: Env) -> None:
    env.create("never-starts", [{
        "name": "app", "image": "k8sedu/busybox", "args": ["sleep", "600"],
        "startupProbe": probe(exec={"command": ["cat", "/tmp/started"]}, periodSeconds=1, failureThreshold=2),
    }], terminationGracePeriodSeconds=2)
    env.eventually(lambda: env.cstatus("never-starts").get("restartCount") == 1, advance=1.0,
                   what="restart after startup failure")
    assert ("Normal", "Killing", "Container app failed startup probe, will be restarted") \
        in env.events("never-starts")


def test_tcp_socket_probe_through_the_published_port(env: Env) -> None:
    env.create("tcp", [{**WEB, "readinessProbe": probe(tcpSocket={"port": 80}, periodSeconds=2),
                        "livenessProbe": probe(tcpSocket={"port": "http"}, periodSeconds=2)}])
    env.eventually(lambda: env.cstatus("tcp").get("ready") is True, advance=1.0, what="tcp ready")
    assert not any(e[1] == "Unhealthy" for e in env.events("tcp"))


def test_liveness_http_probe_with_restart_policy_never_kills_for_good(env: Env) -> None:
    env.create("once", [{**WEB, "livenessProbe": probe(httpGet={"path": "/nope", "port": 80}, periodSeconds=1,
                                                       failureThreshold=1)}], restartPolicy="Never")
    env.eventually(lambda: env.pod("once")["status"].get("phase") == "Failed"
                   or "terminated" in env.cstatus("once").get("state", {}), advance=1.0, what="killed")
    events = env.events("once")
    assert ("Warning", "Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 404") in events
    assert ("Normal", "Killing", "Container web failed liveness probe") in events
    assert env.cstatus("once")["restartCount"] == 0


def test_probe_helpers() -> None:
    container = {"ports": [{"name": "http", "containerPort": 8080}]}
    assert resolve_port(80, container) == 80 and resolve_port("81", container) == 81
    assert resolve_port("http", container) == 8080 and resolve_port("grpc", container) is None
    assert kill_message("web", "Liveness") == "Container web failed liveness probe, will be restarted"
