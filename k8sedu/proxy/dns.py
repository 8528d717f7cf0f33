"""The cluster DNS (集群 DNS): names of Services and Pods answered from the live cluster state.

In a real cluster the kubelet writes into every ``dnsPolicy: ClusterFirst`` Pod (the default)::

    nameserver 10.96.0.10                      ← the kube-dns Service (CoreDNS behind it)
    search default.svc.cluster.local svc.cluster.local cluster.local
    options ndots:5

and CoreDNS's ``kubernetes`` plugin answers from its informers, so a Service created a second ago
already has a name. This module is that plugin, small (UDP and TCP, RFC 1035, stdlib only)::

    web.default.svc.cluster.local            A      the Service's address (see below)
    db.default.svc.cluster.local  (headless) A      every ready Pod IP of its EndpointSlices
    db-0.db.default.svc.cluster.local        A      the Pod whose hostname/subdomain are db-0/db
    _http._tcp.web.default.svc.cluster.local SRV    0 100 80 web.default.svc.cluster.local.
    search.default.svc.cluster.local (ExternalName) CNAME  the spec.externalName
    10-244-1-5.default.pod.cluster.local     A      10.244.1.5
    anything else under cluster.local        NXDOMAIN, with the zone's SOA in the authority section

k8sedu 的简化：the ClusterIP is virtual (no kernel DNAT rule makes ``10.96.x.y`` reachable inside the
containers), so the A record of a Service with a ClusterIP is the address Pods reach kube-proxy at:
on Docker the gateway of the cluster's network, where kube-proxy listens on each Service port and
where this server listens on port 53 (the nameserver in the Pods' ``resolv.conf``). Traffic never
leaves the network the project creates. The simulated runtime asks :meth:`ClusterDNS.resolve` for
``nslookup`` and ``wget`` through the same code, with the ClusterIP as the answer.
Names outside the cluster domain are forwarded to the host's first nameserver, as CoreDNS's
``forward . /etc/resolv.conf`` does; when none answers, SERVFAIL.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..api.servicedns import CLUSTER_DOMAIN, dns_search
from ..apiserver.rbac import UserInfo
from ..client import Client, InformerFactory
from . import dnsmessage as m

__all__ = ["COREDNS", "DNS_PORT", "ClusterDNS", "Answer"]

log = logging.getLogger(__name__)

#: who the cluster DNS is to the apiserver (the coredns addon's ServiceAccount, bound to
#: ClusterRole ``system:coredns``)
COREDNS = UserInfo("system:serviceaccount:kube-system:coredns",
                   ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"))
DNS_PORT = 53
TTL = 5  # CoreDNS kubernetes plugin's default ttl
SERVICE_NAME_LABEL = "kubernetes.io/service-name"

Obj = dict[str, Any]


@dataclass
class Answer:
    """What the zone says about one question: rcode and the three record sections."""

    rcode: int = m.NOERROR
    answers: list[m.Record] = field(default_factory=list)
    authority: list[m.Record] = field(default_factory=list)
    additional: list[m.Record] = field(default_factory=list)


def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")


def _host_nameserver() -> str | None:
    try:
        with open("/etc/resolv.conf", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    return parts[1]
    except OSError:
        pass
    return None


class ClusterDNS:
    """The ``kubernetes`` plugin of CoreDNS over this cluster's informers, with UDP/TCP servers.

    ``service_address(svc)`` is the A record of a Service with a ClusterIP (default: the ClusterIP).
    """

    def __init__(self, client: Client, service_address: Callable[[Obj], str] | None = None,
                 domain: str = CLUSTER_DOMAIN, forward: str | None = "auto") -> None:
        self.client = client
        self.domain = domain.strip(".").lower()
        self.service_address = service_address or (lambda svc: str((svc.get("spec") or {}).get("clusterIP") or ""))
        self.informers = InformerFactory(client)
        self.services = self.informers.informer("services")
        self.slices = self.informers.informer("endpointslices")
        self.forward = _host_nameserver() if forward == "auto" else forward
        self._servers: list[socketserver.BaseServer] = []  # guarded by _lock
        self._lock = threading.Lock()
        self.address: tuple[str, int] | None = None  # where serve() listens
        self._started = False

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> ClusterDNS:
        if not self._started:
            self.informers.start()
            if not self.informers.wait_synced(timeout):
                raise TimeoutError(f"cluster DNS: informer caches did not sync within {timeout} s")
            self._started = True
        return self

    def serve(self, host: str = "127.0.0.1", port: int = DNS_PORT) -> tuple[str, int]:
        """Answer on *host*:*port*, UDP and TCP (port 0: a free one, the same for both).
        Raises OSError when it cannot bind (port 53 needs root)."""
        dns = self

        class UDPHandler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = dns.handle(data, udp=True)
                if reply:
                    sock.sendto(reply, self.client_address)

        class TCPHandler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.connection.settimeout(10)
                try:
                    while True:
                        head = self.rfile.read(2)
                        if len(head) < 2:
                            return
                        (n,) = struct.unpack("!H", head)
                        reply = dns.handle(self.rfile.read(n), udp=False)
                        if not reply:
                            return
                        self.wfile.write(struct.pack("!H", len(reply)) + reply)
                        self.wfile.flush()
                except OSError:
                    return

        class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
            daemon_threads = True
            allow_reuse_address = True

        class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        tcp = TCPServer((host, port), TCPHandler)
        try:
            bound = int(tcp.server_address[1])
            udp = UDPServer((host, bound), UDPHandler)
        except OSError:
            tcp.server_close()
            raise
        with self._lock:
            for server in (udp, tcp):
                self._servers.append(server)
                threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                 name=f"cluster-dns-{type(server).__name__}", daemon=True).start()
        self.address = (host, bound)
        return self.address

    def stop(self) -> None:
        with self._lock:
            servers, self._servers = self._servers, []
        for server in servers:
            server.shutdown()
            server.server_close()
        self.informers.stop()
        self._started = False

    # -- the wire --------------------------------------------------------------------------------
    def handle(self, data: bytes, udp: bool = True) -> bytes:
        """One query in, one reply out (b"" when the bytes are not even a header)."""
        try:
            query = m.decode(data)
        except m.DNSError:
            if len(data) < 12:
                return b""
            ident, flags = struct.unpack_from("!HH", data)
            bad = m.Message(id=ident, response=True, rcode=m.FORMERR, recursion_desired=bool(flags & 0x100))
            return m.encode(bad)
        reply = m.Message(id=query.id, response=True, opcode=query.opcode,
                          recursion_desired=query.recursion_desired, recursion_available=True,
                          questions=query.questions[:1])
        if query.response or query.opcode != 0 or len(query.questions) != 1:
            reply.rcode = m.NOTIMP if query.opcode != 0 else m.FORMERR
            return m.encode(reply)
        q = query.questions[0]
        if not self.in_zone(q.name):
            forwarded = self._forward(data, udp)
            if forwarded is not None:
                return forwarded
            reply.rcode = m.SERVFAIL
            return m.encode(reply)
        ans = self.lookup(q.name, q.qtype)
        if ans.rcode == m.NXDOMAIN and q.name.endswith(".in-addr.arpa"):
            forwarded = self._forward(data, udp)  # CoreDNS: fallthrough in-addr.arpa
            if forwarded is not None:
                return forwarded
        reply.authoritative = True
        reply.rcode, reply.answers, reply.authority, reply.additional = (
            ans.rcode, ans.answers, ans.authority, ans.additional)
        return m.encode(reply, limit=512 if udp else None)

    def _forward(self, data: bytes, udp: bool) -> bytes | None:
        if not self.forward:
            return None
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(2.0)
                s.sendto(data, (self.forward, DNS_PORT))
                reply, _ = s.recvfrom(65535)
            return reply
        except OSError:
            return None

    # -- the zone --------------------------------------------------------------------------------
    def in_zone(self, name: str) -> bool:
        name = name.lower().rstrip(".")
        return name == self.domain or name.endswith("." + self.domain) or name.endswith(".in-addr.arpa")

    def soa(self) -> m.Record:
        serial = int(time.time()) & 0xFFFFFFFF
        return m.Record(self.domain, m.SOA, TTL, (f"ns.dns.{self.domain}", f"hostmaster.{self.domain}",
                                                  serial, 7200, 1800, 86400, TTL))

    def _service(self, namespace: str, name: str) -> Obj | None:
        return self.services.get(f"{namespace}/{name}")

    def _endpoints(self, svc: Obj) -> list[tuple[str, str, dict[str, int]]]:
        """(ip, hostname, {port name: port}) of each endpoint a headless name returns: the ready
        ones (every one with ``publishNotReadyAddresses``), from the Service's EndpointSlices."""
        md = svc["metadata"]
        ns, name = md.get("namespace", "default"), md["name"]
        all_ready = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
        out: list[tuple[str, str, dict[str, int]]] = []
        seen: set[str] = set()
        for es in sorted(self.slices.list(), key=lambda e: e["metadata"]["name"]):
            emd = es["metadata"]
            if emd.get("namespace") != ns or (emd.get("labels") or {}).get(SERVICE_NAME_LABEL) != name:
                continue
            ports = {str(p.get("name") or ""): int(p["port"]) for p in es.get("ports") or [] if p.get("port")}
            for e in es.get("endpoints") or []:
                if not all_ready and (e.get("conditions") or {}).get("ready") is False:
                    continue
                for ip in e.get("addresses") or []:
                    if ip not in seen:
                        seen.add(ip)
                        out.append((ip, str(e.get("hostname") or ""), ports))
        return out

    def _a(self, name: str, ip: str) -> m.Record:
        return m.Record(name, m.AAAA if ":" in ip else m.A, TTL, ip)

    def _nodata(self) -> Answer:
        return Answer(m.NOERROR, authority=[self.soa()])

    def _nx(self) -> Answer:
        return Answer(m.NXDOMAIN, authority=[self.soa()])

    def _addresses(self, name: str, ips: list[str], qtype: int) -> Answer:
        want = {m.A: False, m.AAAA: True}.get(qtype)
        if qtype == m.ANY:
            records = [self._a(name, ip) for ip in ips]
        elif want is None:
            records = []
        else:
            records = [self._a(name, ip) for ip in ips if (":" in ip) == want]
        return Answer(answers=records) if records else self._nodata()

    def lookup(self, name: str, qtype: int) -> Answer:
        """The zone's answer to *name* / *qtype* (no search path: *name* is fully qualified)."""
        name = name.lower().rstrip(".")
        if name.endswith(".in-addr.arpa"):
            return self._ptr(name, qtype)
        if name == self.domain:
            if qtype in (m.SOA, m.ANY):
                return Answer(answers=[self.soa()])
            if qtype == m.NS:
                return Answer(answers=[m.Record(self.domain, m.NS, TTL, f"ns.dns.{self.domain}")])
            return self._nodata()
        rest = name[: -len(self.domain) - 1] if name.endswith("." + self.domain) else ""
        labels = rest.split(".") if rest else []
        if len(labels) >= 2 and labels[-1] == "pod":
            return self._pod(name, labels[:-1], qtype)
        if not labels or labels[-1] != "svc":
            return self._nx()
        labels = labels[:-1]
        if len(labels) == 0:
            return self._nodata()  # svc.cluster.local exists (an empty non-terminal)
        if len(labels) == 1:
            ns = labels[0]
            has = any(s["metadata"].get("namespace") == ns for s in self.services.list())
            return self._nodata() if has else self._nx()
        ns, svc_name = labels[-1], labels[-2]
        svc = self._service(ns, svc_name)
        if svc is None:
            return self._nx()
        if len(labels) == 2:
            return self._service_answer(name, svc, qtype)
        if len(labels) == 3:
            return self._endpoint_answer(name, svc, labels[0], qtype)
        if len(labels) == 4 and labels[0].startswith("_") and labels[1].startswith("_"):
            return self._srv(name, svc, labels[0][1:], labels[1][1:], qtype)
        return self._nx()

    def _service_answer(self, name: str, svc: Obj, qtype: int) -> Answer:
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            target = str(spec.get("externalName") or "").rstrip(".").lower()
            return Answer(answers=[m.Record(name, m.CNAME, TTL, target)]) if target else self._nodata()
        if qtype == m.SRV:
            return self._srv(name, svc, "", "", qtype)
        headless = not spec.get("clusterIP") or spec.get("clusterIP") == "None"
        if headless:
            return self._addresses(name, [ip for ip, _, _ in self._endpoints(svc)], qtype)
        address = self.service_address(svc)
        return self._addresses(name, [address] if address else [], qtype)

    def _endpoint_answer(self, name: str, svc: Obj, label: str, qtype: int) -> Answer:
        for ip, hostname, _ in self._endpoints(svc):
            if label == (hostname or _dashed(ip)):
                return self._addresses(name, [ip], qtype)
        return self._nx()

    def _srv(self, name: str, svc: Obj, port_name: str, proto: str, qtype: int) -> Answer:
        """``_<port>._<proto>.<svc>.<ns>.svc.<domain>`` (or the Service's own name asked for SRV:
        every named port)."""
        md, spec = svc["metadata"], svc.get("spec") or {}
        ns, svc_name = md.get("namespace", "default"), md["name"]
        base = f"{svc_name}.{ns}.svc.{self.domain}"
        ports = [p for p in spec.get("ports") or []
                 if (not port_name or str(p.get("name") or "").lower() == port_name)
                 and (not proto or str(p.get("protocol") or "TCP").lower() == proto)]
        if not ports:
            return self._nx()
        if qtype not in (m.SRV, m.ANY):
            return self._nodata()
        ans = Answer()
        headless = not spec.get("clusterIP") or spec.get("clusterIP") == "None"
        if not headless:
            address = self.service_address(svc)
            for p in ports:
                ans.answers.append(m.Record(name, m.SRV, TTL, (0, 100, int(p["port"]), base)))
            if address:
                ans.additional.append(self._a(base, address))
            return ans
        eps = self._endpoints(svc)
        for p in ports:
            targets = [(ip, host, ep_ports[str(p.get("name") or "")]) for ip, host, ep_ports in eps
                       if str(p.get("name") or "") in ep_ports]
            for ip, host, port in targets:
                target = f"{host or _dashed(ip)}.{base}"
                ans.answers.append(m.Record(name, m.SRV, TTL, (0, 100 // len(targets), port, target)))
                ans.additional.append(self._a(target, ip))
        return ans if ans.answers else self._nodata()

    def _pod(self, name: str, labels: list[str], qtype: int) -> Answer:
        """``a-b-c-d.<ns>.pod.<domain>`` → a.b.c.d (CoreDNS ``pods insecure``: not checked)."""
        if len(labels) != 2:
            return self._nx()
        try:
            ip = str(ipaddress.ip_address(labels[0].replace("-", ".")))
        except ValueError:
            return self._nx()
        return self._addresses(name, [ip], qtype)

    def _ptr(self, name: str, qtype: int) -> Answer:
        parts = name[: -len(".in-addr.arpa")].split(".")
        if len(parts) != 4:
            return self._nx()
        ip = ".".join(reversed(parts))
        names = []
        for svc in self.services.list():
            md = svc["metadata"]
            base = f"{md['name']}.{md.get('namespace', 'default')}.svc.{self.domain}"
            if (svc.get("spec") or {}).get("clusterIP") == ip:
                names.append(base)
            elif (svc.get("spec") or {}).get("clusterIP") == "None":
                names += [f"{host or _dashed(e)}.{base}" for e, host, _ in self._endpoints(svc) if e == ip]
        if not names:
            return self._nx()
        if qtype not in (m.PTR, m.ANY):
            return self._nodata()
        return Answer(answers=[m.Record(name, m.PTR, TTL, n) for n in sorted(names)])

    # -- a stub resolver for the simulated runtime ----------------------------------------------
    def resolve(self, host: str, search: list[str] | None = None, ndots: int = 5,
                namespace: str = "default") -> tuple[str, list[str]] | None:
        """What a Pod's resolver finds for *host*: (the name that answered, its addresses, CNAMEs
        inside the cluster followed); None when every try is NXDOMAIN or empty. *search* is the
        Pod's search path (default: the ClusterFirst one of *namespace*); a name with fewer than
        *ndots* dots tries it first, as glibc and musl do."""
        host = host.lower()
        try:
            ipaddress.ip_address(host)
            return host, [host]
        except ValueError:
            pass
        if host.endswith("."):
            tries = [host.rstrip(".")]
        else:
            paths = [f"{host}.{s.strip('.')}" for s in (search if search is not None else dns_search(namespace))]
            tries = paths + [host] if host.count(".") < ndots else [host] + paths
        for fqdn in tries:
            name = fqdn
            for _ in range(8):  # CNAME chain
                if not self.in_zone(name):
                    break
                ans = self.lookup(name, m.A)
                ips = [r.data for r in ans.answers if r.rtype == m.A]
                if ips:
                    return fqdn, ips
                cname = next((r.data for r in ans.answers if r.rtype == m.CNAME), None)
                if cname is None:
                    break
                name = cname
        return None
