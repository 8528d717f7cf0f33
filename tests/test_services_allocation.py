"""ClusterIPs and NodePorts handed out by the apiserver, and upstream's errors for bad Services."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.errors import Invalid


def _svc(name: str = "web", **spec: Any) -> dict[str, Any]:
    body = {"selector": {"app": name}, "ports": [{"port": 80}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


@pytest.fixture()
def api() -> APIServer:
    return APIServer()


def test_the_kubernetes_service_has_the_first_address(api: APIServer) -> None:
    svc = api.get(ADMIN, "services", "kubernetes", "default")
    assert svc["spec"]["clusterIP"] == "10.96.0.1"
    assert svc["spec"]["clusterIPs"] == ["10.96.0.1"]
    assert svc["spec"]["ports"][0]["port"] == 443


def test_cluster_ip_allocated_from_the_service_range(api: APIServer) -> None:
    ips = set()
    for i in range(20):
        svc = api.create(ADMIN, "services", _svc(f"s{i}"), "default")
        spec = svc["spec"]
        assert ipaddress.ip_address(spec["clusterIP"]) in ipaddress.ip_network("10.96.0.0/12")
        assert spec["clusterIPs"] == [spec["clusterIP"]]
        assert spec["ipFamilies"] == ["IPv4"] and spec["ipFamilyPolicy"] == "SingleStack"
        ips.add(spec["clusterIP"])
    assert len(ips) == 20 and "10.96.0.1" not in ips


def test_headless_service_keeps_none(api: APIServer) -> None:
    svc = api.create(ADMIN, "services", _svc(clusterIP="None"), "default")
    assert svc["spec"]["clusterIP"] == "None" and svc["spec"]["clusterIPs"] == ["None"]


def test_requested_cluster_ip_outside_or_taken(api: APIServer) -> None:
    with pytest.raises(Invalid) as err:
        api.create(ADMIN, "services", _svc(clusterIP="10.0.0.5"), "default")
    assert str(err.value) == (
        'The Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: '
        "failed to allocate IP 10.0.0.5: provided IP is not in the valid range. "
        "The range of valid IPs is 10.96.0.0/12"
    )
    with pytest.raises(Invalid, match="provided IP is already allocated"):
        api.create(ADMIN, "services", _svc(clusterIP="10.96.0.1"), "default")
    ok = api.create(ADMIN, "services", _svc(clusterIP="10.96.0.50"), "default")
    assert ok["spec"]["clusterIP"] == "10.96.0.50"


def test_node_port_allocated_in_range(api: APIServer) -> None:
    svc = api.create(ADMIN, "services", _svc(type="NodePort"), "default")
    assert 30000 <= svc["spec"]["ports"][0]["nodePort"] <= 32767


def test_node_port_outside_the_range(api: APIServer) -> None:
    with pytest.raises(Invalid) as err:
        api.create(ADMIN, "services", _svc(type="NodePort", ports=[{"port": 80, "nodePort": 80}]), "default")
    assert str(err.value) == (
        'The Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in '
        "the valid range. The range of valid ports is 30000-32767"
    )


def test_node_port_already_allocated(api: APIServer) -> None:
    api.create(ADMIN, "services", _svc("a", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]), "default")
    with pytest.raises(Invalid) as err:
        api.create(ADMIN, "services", _svc("b", type="NodePort", ports=[{"port": 80, "nodePort": 30080}]), "default")
    assert str(err.value).endswith("spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated")


def test_duplicate_port_name(api: APIServer) -> None:
    ports = [{"name": "http", "port": 80}, {"name": "http", "port": 8080}]
    with pytest.raises(Invalid) as err:
        api.create(ADMIN, "services", _svc(ports=ports), "default")
    assert 'spec.ports[1].name: Duplicate value: "http"' in str(err.value)


def test_update_without_cluster_ip_keeps_it(api: APIServer) -> None:
    created = api.create(ADMIN, "services", _svc(type="NodePort"), "default")
    body = _svc(type="NodePort")
    body["metadata"]["labels"] = {"tier": "front"}
    updated = api.update(ADMIN, "services", body, "default")
    assert updated["spec"]["clusterIP"] == created["spec"]["clusterIP"]
    assert updated["spec"]["ports"][0]["nodePort"] == created["spec"]["ports"][0]["nodePort"]
    body = _svc(type="NodePort", clusterIP="10.96.0.77")
    with pytest.raises(Invalid, match="may not change once set"):
        api.update(ADMIN, "services", body, "default")


def test_deleted_service_frees_its_node_port(api: APIServer) -> None:
    api.create(ADMIN, "services", _svc("a", type="NodePort", ports=[{"port": 80, "nodePort": 30081}]), "default")
    api.delete(ADMIN, "services", "a", "default")
    again = api.create(ADMIN, "services", _svc("b", type="NodePort", ports=[{"port": 80, "nodePort": 30081}]), "default")
    assert again["spec"]["ports"][0]["nodePort"] == 30081
