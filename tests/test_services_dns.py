"""Services from inside Pods: names that resolve, and the Service environment variables."""

from __future__ import annotations

from typing import Any

import pytest
from _waits import eventually

from k8sedu import Cluster
from k8sedu.api.servicedns import dns_search, hosts_entries, resolve
from k8sedu.errors import KubectlError
from k8sedu.kubelet.config import make_env, service_env, with_service_names
from k8sedu.runtime.base import SandboxConfig

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]


def _svc(name: str, ns: str = "default", ip: str = "10.96.0.12", ports: list[dict[str, Any]] | None = None
         ) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"clusterIP": ip, "ports": ports or [{"port": 80, "protocol": "TCP"}]}}


# -- naming rules -------------------------------------------------------------------------------------
def test_search_path_is_upstreams_cluster_first() -> None:
    assert dns_search("team") == ["team.svc.cluster.local", "svc.cluster.local", "cluster.local"]


def test_resolve_follows_the_search_path() -> None:
    known = {("default", "web"), ("team", "db")}

    def exists(ns: str, name: str) -> bool:
        return (ns, name) in known

    for host in ("web", "web.default", "web.default.svc", "web.default.svc.cluster.local", "WEB."):
        assert resolve(host, "default", exists) == ("default", "web"), host
    assert resolve("db", "default", exists) is None  # short names: only the Pod's own namespace
    assert resolve("db", "team", exists) == ("team", "db")
    assert resolve("db.team", "default", exists) == ("team", "db")
    assert resolve("web.team", "default", exists) is None
    assert resolve("example.com", "default", exists) is None


def test_hosts_entries_name_every_form_and_skip_headless() -> None:
    services = [_svc("web"), _svc("db", ns="team", ip="10.96.0.20"), _svc("peers", ip="None")]
    hosts = hosts_entries(services, "default", lambda s: "172.18.0.1")
    assert hosts == {
        "web": "172.18.0.1", "web.default": "172.18.0.1", "web.default.svc": "172.18.0.1",
        "web.default.svc.cluster.local": "172.18.0.1",
        "db.team": "172.18.0.1", "db.team.svc": "172.18.0.1", "db.team.svc.cluster.local": "172.18.0.1",
    }


def test_sandbox_gets_names_only_with_cluster_first() -> None:
    pod: dict[str, Any] = {"metadata": {"name": "client", "namespace": "default", "uid": "u"}, "spec": {}}
    cfg = SandboxConfig(pod_uid="u", pod_name="client", namespace="default", node_name="node-1")
    got = with_service_names(cfg, pod, [_svc("web")], lambda s: s["spec"]["clusterIP"])
    assert got.dns_search == dns_search("default")
    assert got.extra_hosts is not None and got.extra_hosts["web"] == "10.96.0.12"
    pod["spec"]["dnsPolicy"] = "Default"
    assert with_service_names(cfg, pod, [_svc("web")], lambda s: "x") == cfg


# -- environment variables (upstream's envvars.FromServices) -----------------------------------------
def test_service_env_matches_upstream() -> None:
    svc = _svc("my-web", ports=[{"name": "http", "port": 80, "protocol": "TCP"},
                                {"name": "dns-udp", "port": 53, "protocol": "UDP"}])
    assert service_env([svc]) == {
        "MY_WEB_SERVICE_HOST": "10.96.0.12",
        "MY_WEB_SERVICE_PORT": "80",
        "MY_WEB_SERVICE_PORT_HTTP": "80",
        "MY_WEB_SERVICE_PORT_DNS_UDP": "53",
        "MY_WEB_PORT": "tcp://10.96.0.12:80",
        "MY_WEB_PORT_80_TCP": "tcp://10.96.0.12:80",
        "MY_WEB_PORT_80_TCP_PROTO": "tcp",
        "MY_WEB_PORT_80_TCP_PORT": "80",
        "MY_WEB_PORT_80_TCP_ADDR": "10.96.0.12",
        "MY_WEB_PORT_53_UDP": "udp://10.96.0.12:53",
        "MY_WEB_PORT_53_UDP_PROTO": "udp",
        "MY_WEB_PORT_53_UDP_PORT": "53",
        "MY_WEB_PORT_53_UDP_ADDR": "10.96.0.12",
    }
    assert service_env([_svc("peers", ip="None")]) == {}


def test_enable_service_links_false_keeps_the_kubernetes_service() -> None:
    services = [_svc("kubernetes", ip="10.96.0.1", ports=[{"name": "https", "port": 443}]), _svc("web")]
    pod = {"metadata": {"name": "p", "namespace": "default"}, "spec": {"enableServiceLinks": False}}
    env = make_env(pod, {"name": "c"}, pod_ip="", host_ip="", lookup=lambda *a: None, services=services)
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
    assert not any(k.startswith("WEB_") for k in env)
    pod["spec"] = {}
    env = make_env(pod, {"name": "c"}, pod_ip="", host_ip="", lookup=lambda *a: None, services=services)
    assert env["WEB_SERVICE_HOST"] == "10.96.0.12"


# -- end to end: wget from one Pod to a Service --------------------------------------------------------
WEB: list[dict[str, Any]] = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
     "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
              "template": {"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1",
                                                    "ports": [{"containerPort": 80}]}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 80}]}},
]
CLIENT = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
          "spec": {"containers": [{"name": "client", "image": "k8sedu/busybox",
                                   "command": ["sleep", "3600"]}]}}


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    if request.param == "docker":
        request.getfixturevalue("docker_required")
    return str(request.param)


def test_wget_a_service_by_name_from_a_pod(runtime: str) -> None:
    with Cluster(nodes=2, runtime=runtime, progress=False) as c:
        c.apply(WEB)
        c.wait("deployment/web", "Available", timeout=90)
        c.apply(CLIENT)
        c.wait("pod/client", "Ready", timeout=60)
        assert c.proxy.wait_synced(10)
        web_pods = {p["metadata"]["name"] for p in c.get("pods", selector="app=web")}
        # without a readiness probe a Pod is Ready once its container starts, perhaps before its
        # server listens (as upstream): the first request may be refused
        eventually(lambda: c.kubectl("exec client -- wget -qO- http://web"), ignore=KubectlError,
                   what="a first page through the Service")
        for host in ("web", "web.default", "web.default.svc.cluster.local"):
            page = c.kubectl(f"exec client -- wget -qO- http://{host}")
            assert page.startswith("hostname=web-"), (host, page)
            assert page.split()[0].removeprefix("hostname=") in web_pods

        ip = c.get("service/web")["spec"]["clusterIP"]
        env = dict(line.split("=", 1) for line in c.kubectl("exec client -- env").splitlines() if "=" in line)
        assert env["WEB_SERVICE_HOST"] == ip
        assert env["WEB_SERVICE_PORT"] == "80"
        assert env["WEB_PORT"] == f"tcp://{ip}:80"
        assert env["WEB_PORT_80_TCP"] == f"tcp://{ip}:80"
        assert env["WEB_PORT_80_TCP_PROTO"] == "tcp"
        assert env["WEB_PORT_80_TCP_PORT"] == "80"
        assert env["WEB_PORT_80_TCP_ADDR"] == ip

        resolv = c.kubectl("exec client -- cat /etc/resolv.conf")
        assert "search default.svc.cluster.local svc.cluster.local cluster.local" in resolv
        assert "options ndots:5" in resolv
        # the names come from the cluster DNS (tests/test_dns.py), not from /etc/hosts
        assert "web.default.svc.cluster.local" not in c.kubectl("exec client -- cat /etc/hosts")


def _in(ns: str, objs: list[dict[str, Any]], image: str | None = None) -> list[dict[str, Any]]:
    out = []
    for o in objs:
        o = {**o, "metadata": {**o["metadata"], "namespace": ns}}
        if image and o["kind"] == "Deployment":
            tpl = o["spec"]["template"]
            o["spec"] = {**o["spec"], "template": {**tpl, "spec": {**tpl["spec"], "containers": [
                {**tpl["spec"]["containers"][0], "image": image}]}}}
        out.append(o)
    return out


def test_same_name_and_port_in_two_namespaces(runtime: str) -> None:
    """Both Services listen on port 80: the name (HTTP Host header) decides, as DNS would."""
    with Cluster(nodes=2, runtime=runtime, progress=False) as c:
        c.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}])
        c.apply(WEB + _in("team", WEB, image="k8sedu/web:v2"))
        c.wait("deployment/web", "Available", timeout=90)
        c.wait("deployment/web", "Available", namespace="team", timeout=90)
        c.apply(_in("team", [CLIENT]))
        c.wait("pod/client", "Ready", namespace="team", timeout=60)
        assert c.proxy.wait_synced(10)

        def page(host: str) -> str:
            return c.kubectl(f"exec -n team client -- wget -qO- http://{host}")

        if runtime == "docker":
            # the sim runtime's router is not told which Pod asks, so a short name there means the
            # Service of that name in "default" first (see KubeProxy.route)
            assert "version=v2" in page("web")
        assert "version=v2" in page("web.team")
        assert "version=v2" in page("web.team.svc.cluster.local")
        assert "version=v1" in page("web.default")
        assert "version=v1" in page("web.default.svc.cluster.local")
