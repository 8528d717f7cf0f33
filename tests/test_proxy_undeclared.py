"""containerPort is informational: a Service reaches a Pod's port whether or not the Pod declares it.

``kubectl create deployment shop --image=k8sedu/web:v1`` (no ``--port``) and
``kubectl expose deployment shop --port=80`` must serve through ``c.url("service/shop")`` and
through an Ingress, on both runtimes, as on a real cluster.
"""

from __future__ import annotations

import http.client
import time
import urllib.request
from collections.abc import Iterator

import pytest
from _waits import eventually

from k8sedu import Cluster

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]


def _page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return str(resp.read().decode())


def _via_ingress(c: Cluster, host: str) -> tuple[int, str]:
    port = int(c.url("ingress").rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/", headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


@pytest.fixture(scope="module", params=RUNTIMES)
def shop(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    if request.param == "docker":
        request.getfixturevalue("docker_required")
    c = Cluster(nodes=1, runtime=str(request.param), progress=False)
    c.start()
    try:
        c.kubectl("create deployment shop --image=k8sedu/web:v1 --replicas=2")
        c.kubectl("expose deployment shop --port=80")
        c.wait("deployment/shop", "Available", timeout=120)
        yield c
    finally:
        c.stop()


def test_pods_declare_no_port_and_publish_none(shop: Cluster) -> None:
    pods = shop.get("pods", selector="app=shop")
    assert len(pods) == 2
    for pod in pods:
        assert "ports" not in pod["spec"]["containers"][0]
        assert "k8sedu.io/published-ports" not in (pod["metadata"].get("annotations") or {})


def test_service_reaches_undeclared_port(shop: Cluster) -> None:
    eventually(lambda: len(shop.proxy.endpoints_for("default", "shop")) == 2, ignore=OSError)
    url = shop.url("service/shop")
    pods = {p["metadata"]["name"] for p in shop.get("pods", selector="app=shop")}
    seen: set[str] = set()
    deadline = time.monotonic() + 30
    while seen != pods and time.monotonic() < deadline:  # random spread: both Pods answer soon
        page = _page(url)
        assert page.startswith("hostname=shop-"), page
        seen.add(page.split()[0].removeprefix("hostname="))
    assert seen == pods
    # the records come from the relay process a few milliseconds after the connections
    eventually(lambda: [e for e in shop.flow.events() if e.src == "kube-proxy" and e.action == "connect"
                        and e.detail.get("service") == "default/shop"],
               what="each proxied connection as a flow event")
    if shop.runtime_name == "docker":
        ips = {p["status"]["podIP"] for p in shop.get("pods", selector="app=shop")}
        assert {e.reach[0] for e in shop.proxy.endpoints_for("default", "shop") if e.reach} <= ips


def test_ingress_to_service_without_declared_port(shop: Cluster) -> None:
    shop.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "shop"},
                "spec": {"rules": [{"host": "shop.k8sedu.test", "http": {"paths": [
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "shop", "port": {"number": 80}}}}]}}]}})
    status, body = eventually(lambda: (r := _via_ingress(shop, "shop.k8sedu.test"))[0] == 200 and r, ignore=OSError)
    assert body.startswith("hostname=shop-"), body
    for _ in range(5):
        status, body = _via_ingress(shop, "shop.k8sedu.test")
        assert status == 200, (status, body)
