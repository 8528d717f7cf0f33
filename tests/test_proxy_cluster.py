"""Requests through kube-proxy to real (or simulated) k8sedu/web Pods: how they are spread."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

import pytest
from _waits import eventually

from k8sedu import Cluster

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]

# 300 requests over 3 endpoints at random: each count is Binomial(300, 1/3), mean 100, standard
# deviation 8.2; [60, 140] is ±4.9 deviations, so a fair proxy fails it about once in a million runs.
LOW, HIGH = 60, 140


def _web(replicas: int = 3, **svc_spec: Any) -> list[dict[str, Any]]:
    spec = {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}
    spec.update(svc_spec)
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"terminationGracePeriodSeconds": 5,
                                        "containers": [{"name": "web", "image": "k8sedu/web:v1",
                                                        "ports": [{"containerPort": 80}],
                                                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 80},
                                                                           "periodSeconds": 1}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec},
    ]


def _hostname(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        first = resp.read().decode().split()[0]
    assert first.startswith("hostname=")
    return first.removeprefix("hostname=")


def _ready_web(c: Cluster, replicas: int = 3, **svc_spec: Any) -> str:
    c.apply(_web(replicas, **svc_spec))
    c.wait("deployment/web", "Available", timeout=90)
    eventually(lambda: len(c.proxy.endpoints_for("default", "web")) == replicas)
    return c.url("service/web")


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    if request.param == "docker":
        request.getfixturevalue("docker_required")
    return str(request.param)


def _cluster(runtime: str, mode: str) -> Cluster:
    return Cluster(nodes=3, runtime=runtime, proxy_mode=mode, progress=False)


def test_iptables_spreads_at_random(runtime: str) -> None:
    with _cluster(runtime, "iptables") as c:
        url = _ready_web(c)
        counts = Counter(_hostname(url) for _ in range(300))
        pods = {p["metadata"]["name"] for p in c.get("pods", selector="app=web")}
        assert set(counts) == pods
        assert all(LOW <= n <= HIGH for n in counts.values()), counts
        eventually(lambda: len([e for e in c.flow.events() if e.src == "kube-proxy"]) >= 300)
        events = [e for e in c.flow.events() if e.src == "kube-proxy" and e.action == "connect"]
        assert {e.detail["mode"] for e in events} == {"iptables"}
        assert {e.detail["rule"] for e in events} == {0, 1, 2}
        assert all(e.dst.startswith("pod/web-") and "iptables" in e.explain for e in events)


def test_ipvs_round_robin_is_exactly_even(runtime: str) -> None:
    with _cluster(runtime, "ipvs") as c:
        url = _ready_web(c)
        counts = Counter(_hostname(url) for _ in range(300))
        assert sorted(counts.values()) == [100, 100, 100], counts


def test_client_ip_affinity_sends_everything_to_one_pod(runtime: str) -> None:
    with _cluster(runtime, "iptables") as c:
        url = _ready_web(c, sessionAffinity="ClientIP")
        counts = Counter(_hostname(url) for _ in range(300))
        assert len(counts) == 1 and sum(counts.values()) == 300, counts
        svc = c.get("service/web")
        assert svc["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] == 10800


def test_deleted_pod_gets_no_requests_once_its_endpoint_is_gone(runtime: str) -> None:
    with _cluster(runtime, "ipvs") as c:
        url = _ready_web(c)
        results: list[tuple[float, str]] = []  # (start time, hostname or "error: …")
        stop = threading.Event()

        def stream() -> None:
            while not stop.is_set():
                start = time.monotonic()
                try:
                    results.append((start, _hostname(url)))
                except (OSError, urllib.error.URLError) as e:
                    results.append((start, f"error: {e}"))

        t = threading.Thread(target=stream, daemon=True)
        t.start()
        try:
            eventually(lambda: len(results) >= 20)
            victim = sorted(p["metadata"]["name"] for p in c.get("pods", selector="app=web"))[0]
            c.delete(f"pod/{victim}")
            eventually(lambda: all(e.pod_name != victim for e in c.proxy.endpoints_for("default", "web")))
            gone = time.monotonic()
            eventually(lambda: len([r for r in results if r[0] > gone]) >= 60)
        finally:
            stop.set()
            t.join(timeout=10)
        after = [h for start, h in results if start > gone]
        assert victim not in after
        assert not [h for h in after if h.startswith("error")], after
        errors = [h for _, h in results if h.startswith("error")]
        assert len(errors) <= 1, errors  # at most the request that was on the victim's connection
        assert len(set(after)) >= 2


def test_service_selecting_nothing_refuses_connections() -> None:
    with _cluster("sim", "iptables") as c:
        c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nobody"},
                 "spec": {"selector": {"app": "nobody"}, "ports": [{"port": 80}]}})
        url = c.url("service/nobody")
        port = int(url.rsplit(":", 1)[1])
        assert c.proxy.wait_synced(10)
        # upstream's REJECT rule: the handshake itself is refused
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        with pytest.raises(urllib.error.URLError) as err:
            urllib.request.urlopen(url, timeout=5).read()
        assert isinstance(err.value.reason, ConnectionRefusedError)
        eventually(lambda: any(e.action == "reject" and e.detail.get("service") == "default/nobody"
                               for e in c.flow.events() if e.src == "kube-proxy"))
        # a Pod appears: the same port listens again and serves
        c.apply(_web(1)[0] | {"metadata": {"name": "somebody"}})
        c.kubectl(["patch", "service", "nobody", "-p", '{"spec": {"selector": {"app": "web"}}}'])
        eventually(lambda: len(c.proxy.endpoints_for("default", "nobody")) == 1)
        assert c.url("service/nobody") == url
        assert _hostname(url).startswith("somebody-")


def test_node_port_listens_on_localhost() -> None:
    with _cluster("sim", "ipvs") as c:
        _ready_web(c, 1, type="NodePort")
        node_port = c.get("service/web")["spec"]["ports"][0]["nodePort"]
        eventually(lambda: c.proxy.node_ports().get(("default", "web", 80)) == node_port)
        pod = c.get("pods", selector="app=web")[0]["metadata"]["name"]
        assert _hostname(f"http://127.0.0.1:{node_port}") == pod
        assert "NodePort" in c.kubectl("get svc web")

