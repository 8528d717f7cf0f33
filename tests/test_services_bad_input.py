"""Bad Services and Ingresses get upstream's answers: kubectl's error texts for what validation
refuses, acceptance (and ingress-nginx's 503) for an Ingress to a missing Service, and "connection
refused" for a Service that selects nothing, from the host and from inside a Pod."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from _waits import eventually

from k8sedu import Cluster
from k8sedu.errors import NotFound
from k8sedu.kubectl import KubectlError

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]


@pytest.fixture(scope="module")
def sim() -> Iterator[Cluster]:
    with Cluster(nodes=1, runtime="sim", progress=False) as c:
        yield c


def _refused(c: Cluster, yaml: str) -> str:
    with pytest.raises(KubectlError) as err:
        c.kubectl("apply -f -", stdin=yaml)
    return str(err.value)


def _svc_yaml(name: str, ports: str, stype: str = "ClusterIP") -> str:
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  type: {stype}\n"
            f"  selector:\n    app: web\n  ports:\n{ports}")


def test_node_port_outside_the_range(sim: Cluster) -> None:
    out = _refused(sim, _svc_yaml("np", "  - port: 80\n    nodePort: 40000\n", "NodePort"))
    assert out == ('The Service "np" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port '
                   "is not in the valid range. The range of valid ports is 30000-32767")


def test_duplicate_port_name(sim: Cluster) -> None:
    out = _refused(sim, _svc_yaml("dup", "  - name: http\n    port: 80\n  - name: http\n    port: 8080\n"))
    assert out == 'The Service "dup" is invalid: spec.ports[1].name: Duplicate value: "http"'


def test_duplicate_port_and_protocol(sim: Cluster) -> None:
    out = _refused(sim, _svc_yaml("dupport", "  - name: a\n    port: 80\n  - name: b\n    port: 80\n"))
    assert out == (
        'The Service "dupport" is invalid: spec.ports[1]: Duplicate value: core.ServicePort{Name:"", '
        'Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, '
        'IntVal:0, StrVal:""}, NodePort:0}')
    # the same number over another protocol is a different port
    sim.kubectl("apply -f -", stdin=_svc_yaml("dns", "  - name: a\n    port: 53\n  - name: b\n    port: 53\n"
                                                     "    protocol: UDP\n"))


def test_duplicate_node_port(sim: Cluster) -> None:
    out = _refused(sim, _svc_yaml("dupnp", "  - name: a\n    port: 80\n    nodePort: 30080\n"
                                           "  - name: b\n    port: 81\n    nodePort: 30080\n", "NodePort"))
    # upstream's allocator (initNodePorts) meets the second one before validation does
    assert out == ('The Service "dupnp" is invalid: spec.ports[1].nodePort: Invalid value: 30080: '
                   "provided port is already allocated")


def test_ingress_to_a_missing_service_is_accepted(sim: Cluster) -> None:
    """Upstream validates an Ingress alone: a backend naming no Service is fine to the apiserver
    (no warning either); ingress-nginx answers its requests with 503 (tests/test_ingress.py)."""
    out = sim.kubectl("apply -f -", stdin=(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ghost\nspec:\n  rules:\n"
        "  - host: ghost.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
        "        backend:\n          service:\n            name: nosuch\n            port:\n"
        "              number: 80\n"))
    assert out.strip() == "ingress.networking.k8s.io/ghost created"
    deadline = time.monotonic() + 20
    status = 0
    while time.monotonic() < deadline and status != 503:
        req = urllib.request.Request(sim.url("ingress"), headers={"Host": "ghost.example.com"})
        try:
            urllib.request.urlopen(req, timeout=5)
        except urllib.error.HTTPError as e:
            status = e.code
        time.sleep(0.05)
    assert status == 503


CLIENT: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
    "spec": {"containers": [{"name": "client", "image": "k8sedu/busybox", "command": ["sleep", "3600"]}]}}


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_service_selecting_nothing_refuses_from_inside_a_pod(runtime: str) -> None:
    with Cluster(nodes=1, runtime=runtime, progress=False) as c:
        c.apply([CLIENT, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nobody"},
                          "spec": {"selector": {"app": "nobody"}, "ports": [{"port": 80}]}}])
        c.wait("pod/client", "Ready", timeout=60)
        assert c.proxy.wait_synced(10)
        # the endpoints controller writes the (empty) Endpoints object soon after the Service
        endpoints = eventually(lambda: c.get("endpoints/nobody"), what="the Endpoints object", ignore=NotFound)
        assert endpoints.get("subsets") in (None, [])
        pod = c.get("pod/client")
        cid = pod["status"]["containerStatuses"][0]["containerID"].split("//", 1)[1]
        address = c.dns.service_address(c.get("service/nobody"))
        # the sim models wget; on Docker, nc (this static busybox's wget crashes on a refused
        # connection, even to 127.0.0.1:1, so it cannot show the message)
        cmd = ["wget", "-qO-", "-T", "5", "http://nobody"] if runtime == "sim" else ["nc", "-w", "3", "nobody", "80"]
        r = c.runtime.exec(cid, cmd)
        assert r.exit_code == 1
        assert r.stderr == f"{cmd[0]}: can't connect to remote host ({address}): Connection refused\n"
