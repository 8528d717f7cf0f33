"""The cluster DNS: the message codec, the zone's answers over real UDP/TCP sockets, and names
resolved from inside Pods (busybox ``nslookup`` / ``wget``) on both runtimes."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest

from k8sedu import Cluster
from k8sedu.client import Client
from k8sedu.proxy import dnsmessage as m
from k8sedu.proxy.dns import COREDNS, ClusterDNS

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]


# -- the codec ---------------------------------------------------------------------------------------
def test_message_round_trip_with_compression() -> None:
    msg = m.Message(id=0x1234, response=True, authoritative=True, rcode=m.NOERROR,
                    questions=[m.Question("_http._tcp.web.default.svc.cluster.local", m.SRV)],
                    answers=[m.Record("_http._tcp.web.default.svc.cluster.local", m.SRV, 5,
                                      (0, 100, 80, "web.default.svc.cluster.local"))],
                    authority=[m.Record("cluster.local", m.SOA, 5, ("ns.dns.cluster.local",
                                                                   "hostmaster.cluster.local", 7, 7200, 1800, 86400, 5))],
                    additional=[m.Record("web.default.svc.cluster.local", m.A, 5, "10.96.0.12"),
                                m.Record("web.default.svc.cluster.local", m.AAAA, 5, "fd00::1"),
                                m.Record("ext.default.svc.cluster.local", m.CNAME, 5, "example.com")])
    raw = m.encode(msg)
    # the SRV target and later names reuse earlier suffixes through pointers
    assert raw.count(b"\x07cluster\x05local") == 1
    back = m.decode(raw)
    assert back == msg
    assert str(back.answers[0]) == ("_http._tcp.web.default.svc.cluster.local.\t5\tIN\tSRV\t"
                                    "0 100 80 web.default.svc.cluster.local.")


def test_udp_limit_truncates_and_sets_tc() -> None:
    msg = m.Message(id=1, response=True, questions=[m.Question("peers.default.svc.cluster.local")],
                    answers=[m.Record("peers.default.svc.cluster.local", m.A, 5, f"10.244.{i // 250}.{i % 250}")
                             for i in range(60)])
    raw = m.encode(msg, limit=512)
    assert len(raw) <= 512
    back = m.decode(raw)
    assert back.truncated and 0 < len(back.answers) < 60
    assert not m.decode(m.encode(msg)).truncated


@pytest.mark.parametrize("raw", [b"", b"\x00" * 5, b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05ab",
                                 b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01"])
def test_malformed_messages_raise_dns_error(raw: bytes) -> None:
    with pytest.raises(m.DNSError):
        m.decode(raw)


# -- the zone, over real sockets --------------------------------------------------------------------
SVC_OBJS: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
     "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 80}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
     "spec": {"clusterIP": "None", "selector": {"app": "db"},
              "ports": [{"name": "pg", "port": 5432, "targetPort": 80}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "search"},
     "spec": {"type": "ExternalName", "externalName": "search.example.com"}},
    {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
     "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
              "template": {"metadata": {"labels": {"app": "db"}},
                           "spec": {"containers": [{"name": "db", "image": "k8sedu/web:v1",
                                                    "ports": [{"containerPort": 80}]}]}}}},
]


@pytest.fixture(scope="module")
def zone() -> Iterator[tuple[Cluster, tuple[str, int]]]:
    """A sim cluster with a ClusterIP, a headless Service over a StatefulSet, an ExternalName, and a
    second ClusterDNS answering on 127.0.0.1 (the cluster's own one is asked directly on sim)."""
    with Cluster(nodes=1, runtime="sim", progress=False) as c:
        c.apply(SVC_OBJS)
        c.wait("pod/db-1", "Ready", timeout=60)
        assert c.apiserver is not None
        dns = ClusterDNS(Client(c.apiserver, COREDNS, "coredns-test")).start()
        addr = dns.serve("127.0.0.1", 0)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(_udp(addr, "db.default.svc.cluster.local").answers) < 2:
            time.sleep(0.05)
        try:
            yield c, addr
        finally:
            dns.stop()


def _udp(addr: tuple[str, int], name: str, qtype: int = m.A, ident: int = 7) -> m.Message:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(m.encode(m.Message(id=ident, questions=[m.Question(name, qtype)])), addr)
        reply = m.decode(s.recvfrom(4096)[0])
    assert reply.id == ident and reply.response
    return reply


def _tcp(addr: tuple[str, int], name: str, qtype: int = m.A) -> m.Message:
    with socket.create_connection(addr, timeout=5) as s:
        q = m.encode(m.Message(id=9, questions=[m.Question(name, qtype)]))
        s.sendall(struct.pack("!H", len(q)) + q)
        n = struct.unpack("!H", s.recv(2))[0]
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
    return m.decode(data)


def _db_pods(c: Cluster) -> dict[str, str]:
    return {p["metadata"]["name"]: p["status"]["podIP"] for p in c.get("pods", selector="app=db")}


def test_service_a_record_is_its_address(zone: tuple[Cluster, tuple[str, int]]) -> None:
    c, addr = zone
    ip = c.get("service/web")["spec"]["clusterIP"]
    for ask in (_udp, _tcp):
        reply = ask(addr, "web.default.svc.cluster.local", m.A)
        assert reply.rcode == m.NOERROR and reply.authoritative
        assert [(r.rtype, r.data) for r in reply.answers] == [(m.A, ip)]
    aaaa = _udp(addr, "WEB.default.svc.cluster.local.", m.AAAA)  # names are case-insensitive
    assert aaaa.rcode == m.NOERROR and aaaa.answers == []  # NODATA: the name exists
    assert aaaa.authority[0].rtype == m.SOA


def test_headless_statefulset_and_srv(zone: tuple[Cluster, tuple[str, int]]) -> None:
    c, addr = zone
    pods = _db_pods(c)
    reply = _udp(addr, "db.default.svc.cluster.local")
    assert sorted(r.data for r in reply.answers) == sorted(pods.values())
    for name, ip in pods.items():  # db-0.db.default.svc.cluster.local: hostname.subdomain
        assert [r.data for r in _udp(addr, f"{name}.db.default.svc.cluster.local").answers] == [ip]
    srv = _udp(addr, "_pg._tcp.db.default.svc.cluster.local", m.SRV)
    assert sorted(r.data for r in srv.answers) == sorted(
        (0, 50, 80, f"{name}.db.default.svc.cluster.local") for name in pods)
    assert {r.data for r in srv.additional} == set(pods.values())
    web = _udp(addr, "_http._tcp.web.default.svc.cluster.local", m.SRV)
    assert [r.data for r in web.answers] == [(0, 100, 80, "web.default.svc.cluster.local")]
    assert _udp(addr, "_nope._tcp.web.default.svc.cluster.local", m.SRV).rcode == m.NXDOMAIN


def test_externalname_is_a_cname(zone: tuple[Cluster, tuple[str, int]]) -> None:
    _, addr = zone
    reply = _udp(addr, "search.default.svc.cluster.local")
    assert [(r.rtype, r.data) for r in reply.answers] == [(m.CNAME, "search.example.com")]


def test_unknown_names_are_nxdomain_with_the_soa(zone: tuple[Cluster, tuple[str, int]]) -> None:
    _, addr = zone
    for name in ("nope.default.svc.cluster.local", "web.other.svc.cluster.local", "web.svc.cluster.local",
                 "web.cluster.local", "x.y.web.default.svc.cluster.local"):
        reply = _udp(addr, name)
        assert reply.rcode == m.NXDOMAIN, name
        assert reply.answers == []
        soa = reply.authority[0]
        assert soa.rtype == m.SOA and soa.name == "cluster.local"
        assert soa.data[:2] == ("ns.dns.cluster.local", "hostmaster.cluster.local")


def test_pod_names_and_reverse_lookups(zone: tuple[Cluster, tuple[str, int]]) -> None:
    c, addr = zone
    assert [r.data for r in _udp(addr, "10-244-1-5.default.pod.cluster.local").answers] == ["10.244.1.5"]
    ip = c.get("service/web")["spec"]["clusterIP"]
    ptr = _udp(addr, ".".join(reversed(ip.split("."))) + ".in-addr.arpa", m.PTR)
    assert [r.data for r in ptr.answers] == ["web.default.svc.cluster.local"]


def test_new_service_resolves_at_once(zone: tuple[Cluster, tuple[str, int]]) -> None:
    c, addr = zone
    c.apply([{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "late"},
              "spec": {"selector": {"app": "web"}, "ports": [{"port": 8080}]}}])
    ip = c.get("service/late")["spec"]["clusterIP"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _udp(addr, "late.default.svc.cluster.local").answers:
        time.sleep(0.05)
    assert [r.data for r in _udp(addr, "late.default.svc.cluster.local").answers] == [ip]
    c.delete("service/late")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _udp(addr, "late.default.svc.cluster.local").rcode != m.NXDOMAIN:
        time.sleep(0.05)
    assert _udp(addr, "late.default.svc.cluster.local").rcode == m.NXDOMAIN


def test_garbage_gets_formerr_and_other_opcodes_notimp(zone: tuple[Cluster, tuple[str, int]]) -> None:
    _, addr = zone
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(b"\xab\xcd\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05ab", addr)
        reply = m.decode(s.recvfrom(512)[0])
        assert reply.id == 0xABCD and reply.rcode == m.FORMERR
        s.sendto(m.encode(m.Message(id=5, opcode=2, questions=[m.Question("web.default.svc.cluster.local")])),
                 addr)
        assert m.decode(s.recvfrom(512)[0]).rcode == m.NOTIMP


def test_sim_resolver_uses_the_search_path(zone: tuple[Cluster, tuple[str, int]]) -> None:
    c, _ = zone
    ip = c.get("service/web")["spec"]["clusterIP"]
    assert c.dns.resolve("web", namespace="default") == ("web.default.svc.cluster.local", [ip])
    assert c.dns.resolve("web.default") == ("web.default.svc.cluster.local", [ip])
    assert c.dns.resolve("web", namespace="other") is None
    assert c.dns.resolve("web.default.svc.cluster.local.") == ("web.default.svc.cluster.local", [ip])
    assert c.dns.resolve("10.1.2.3") == ("10.1.2.3", ["10.1.2.3"])
    # an ExternalName inside the cluster is followed; outside it, nothing answers offline
    assert c.dns.resolve("search") is None


# -- from inside Pods, both runtimes ---------------------------------------------------------------
CLIENT = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
          "spec": {"containers": [{"name": "client", "image": "k8sedu/busybox", "command": ["sleep", "3600"]}]}}
WEB = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
       "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                             "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1",
                                                      "ports": [{"containerPort": 80}]}]}}}}


@pytest.fixture(params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _exec(c: Cluster, cmd: str) -> tuple[int, str]:
    pod = c.get("pod/client")
    cid = pod["status"]["containerStatuses"][0]["containerID"].split("//", 1)[1]
    r = c.runtime.exec(cid, ["sh", "-c", cmd])
    return r.exit_code, r.stdout + r.stderr


def test_names_from_inside_a_pod(runtime: str) -> None:
    """The client starts before the Service exists: its name resolves anyway (real DNS, not a
    snapshot in /etc/hosts), as busybox's nslookup and wget show."""
    with Cluster(nodes=1, runtime=runtime, progress=False) as c:
        c.apply([CLIENT, WEB])
        c.wait("pod/client", "Ready", timeout=60)
        c.wait("deployment/web", "Available", timeout=90)
        c.apply(SVC_OBJS[0])
        assert c.proxy.wait_synced(10)
        nameserver = "10.96.0.10" if runtime == "sim" else c.runtime.service_addresses()[0]
        code, resolv = _exec(c, "cat /etc/resolv.conf")
        assert resolv == (f"nameserver {nameserver}\nsearch default.svc.cluster.local svc.cluster.local "
                          "cluster.local\noptions ndots:5\n")
        code, hosts = _exec(c, "cat /etc/hosts")
        assert "web" not in hosts.split()  # the DNS is the source of truth

        deadline = time.monotonic() + 20
        while True:
            code, out = _exec(c, "nslookup web")
            if "Name:\tweb.default.svc.cluster.local" in out or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        address = c.dns.service_address(c.get("service/web"))
        assert out.startswith(f"Server:\t\t{nameserver}\nAddress:\t{nameserver}:53\n\n"
                              f"Name:\tweb.default.svc.cluster.local\nAddress: {address}\n\n"), out
        # busybox asks every search domain and says each NXDOMAIN (exit 1), as with CoreDNS
        assert "** server can't find web.svc.cluster.local: NXDOMAIN" in out and code == 1
        code, out = _exec(c, "nslookup web.default.svc.cluster.local")
        assert code == 0 and f"Address: {address}\n" in out

        web_pods = {p["metadata"]["name"] for p in c.get("pods", selector="app=web")}
        # the name resolves as soon as the Service exists; connections are refused (REJECT) until
        # kube-proxy has its endpoints, which the EndpointSlice controller adds a moment later
        deadline = time.monotonic() + 30
        while not c.proxy.endpoints_for("default", "web") and time.monotonic() < deadline:
            time.sleep(0.05)
        for host in ("web", "web.default", "web.default.svc.cluster.local"):
            code, page = _exec(c, f"wget -qO- http://{host}")
            assert code == 0 and page.split()[0].removeprefix("hostname=") in web_pods, (host, page)
        code, out = _exec(c, "wget -qO- http://nope")
        assert code == 1 and "bad address 'nope'" in out
        code, out = _exec(c, "nslookup nope")
        assert code == 1 and "** server can't find nope.default.svc.cluster.local: NXDOMAIN" in out


def test_headless_and_statefulset_names_from_a_pod(runtime: str) -> None:
    with Cluster(nodes=1, runtime=runtime, progress=False) as c:
        c.apply([CLIENT, *SVC_OBJS[1:]])
        c.wait("pod/db-1", "Ready", timeout=90)
        c.wait("pod/client", "Ready", timeout=60)
        pods = _db_pods(c)
        deadline = time.monotonic() + 20
        while True:
            code, out = _exec(c, "nslookup db.default.svc.cluster.local")
            got = {ln.split()[-1] for ln in out.splitlines() if ln.startswith("Address: ")}
            if got == set(pods.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert got == set(pods.values()), out
        code, page = _exec(c, "wget -qO- http://db-0.db:80/")  # a Pod IP: straight to db-0
        assert code == 0 and page.startswith("hostname=db-0 "), page
        code, out = _exec(c, "nslookup -type=SRV _pg._tcp.db.default.svc.cluster.local")
        assert code == 0
        assert "_pg._tcp.db.default.svc.cluster.local\tservice = 0 50 80 db-0.db.default.svc.cluster.local" in out
        code, out = _exec(c, "nslookup search.default.svc.cluster.local")
        assert "search.default.svc.cluster.local\tcanonical name = search.example.com" in out


@pytest.mark.docker
def test_without_port_53_pods_fall_back_to_etc_hosts(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(self: ClusterDNS, host: str = "", port: int = 53) -> tuple[str, int]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ClusterDNS, "serve", refuse)
    with Cluster(nodes=1, runtime="docker", progress=False) as c:
        assert "集群 DNS（cluster DNS）无法在" in capsys.readouterr().err
        assert c.runtime.cluster_dns is None
        c.apply([SVC_OBJS[0], WEB])
        c.wait("deployment/web", "Available", timeout=90)
        assert c.proxy.wait_synced(10)
        c.apply(CLIENT)
        c.wait("pod/client", "Ready", timeout=60)
        gateway = c.runtime.service_addresses()[0]
        code, hosts = _exec(c, "cat /etc/hosts")
        assert f"{gateway}\tweb.default.svc.cluster.local" in hosts
        code, page = _exec(c, "wget -qO- http://web")
        assert code == 0 and page.startswith("hostname=web-"), page
