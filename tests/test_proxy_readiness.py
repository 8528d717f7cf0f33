"""The data path follows readiness: a Pod whose readiness probe fails gets no request through
``c.url("service/web")`` until the probe passes again (its endpoint is ``ready: false`` meanwhile)."""

from __future__ import annotations

import urllib.request
from collections import Counter
from typing import Any

import pytest
from _waits import eventually

from k8sedu import Cluster

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]

WEB: list[dict[str, Any]] = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
     "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
              "template": {"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{
                               "name": "web", "image": "k8sedu/web:v1", "ports": [{"containerPort": 80}],
                               # not ready while /tmp/down exists
                               "readinessProbe": {"exec": {"command": ["sh", "-c", "test ! -f /tmp/down"]},
                                                  "periodSeconds": 1, "failureThreshold": 1}}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}},
]


def _hostname(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        first = resp.read().decode().split()[0]
    assert first.startswith("hostname=")
    return first.removeprefix("hostname=")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_unready_pod_gets_no_traffic_until_ready_again(runtime: str) -> None:
    with Cluster(nodes=2, runtime=runtime, progress=False) as c:
        c.apply(WEB)
        c.wait("deployment/web", "Available", timeout=90)
        url = c.url("service/web")
        pods = sorted(p["metadata"]["name"] for p in c.get("pods", selector="app=web"))
        eventually(lambda: len(c.proxy.endpoints_for("default", "web")) == 3)
        victim = pods[0]

        c.kubectl(f"exec {victim} -- touch /tmp/down")
        c.wait(f"pod/{victim}", "Ready=False", timeout=30)
        eventually(lambda: all(e.pod_name != victim for e in c.proxy.endpoints_for("default", "web")))
        es = c.get("endpointslices", selector="kubernetes.io/service-name=web")[0]
        conds = {e["targetRef"]["name"]: e["conditions"] for e in es["endpoints"]}
        assert conds[victim] == {"ready": False, "serving": False, "terminating": False}
        seen = Counter(_hostname(url) for _ in range(60))
        assert victim not in seen, seen
        assert set(seen) == set(pods[1:])  # the other two still serve (each share is ~1/2)
        assert c.get(f"pod/{victim}")["status"]["phase"] == "Running"  # not restarted, just unready

        c.kubectl(f"exec {victim} -- rm /tmp/down")
        c.wait(f"pod/{victim}", "Ready", timeout=30)
        eventually(lambda: any(e.pod_name == victim for e in c.proxy.endpoints_for("default", "web")))
        # back in rotation: with 3 endpoints, 60 requests all missing it has chance (2/3)^60 ≈ 3e-11
        seen = Counter(_hostname(url) for _ in range(60))
        assert victim in seen, seen
