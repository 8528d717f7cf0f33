"""How kube-proxy picks an endpoint for a new connection, in each of its modes.

iptables mode writes, per Service port, one chain with a rule per endpoint; rule *i* of *n* jumps
to its endpoint with probability 1/(n−i), and the last one always matches::

    -A KUBE-SVC-WEB -m statistic --mode random --probability 0.33333 -j KUBE-SEP-A   # rule 0: 1/3
    -A KUBE-SVC-WEB -m statistic --mode random --probability 0.50000 -j KUBE-SEP-B   # rule 1: 1/2 of the rest
    -A KUBE-SVC-WEB                                                  -j KUBE-SEP-C   # rule 2: what is left

so each endpoint gets 1/n of the connections, at random. ipvs mode hands the Service port to the
kernel's IPVS load balancer, whose default scheduler ``rr`` (round robin) takes the endpoints in
turn. ``sessionAffinity: ClientIP`` sends every connection of one client IP to the endpoint it
used last, until ``timeoutSeconds`` (default 10800) pass without a connection.

Which endpoints take part (``CategorizeEndpoints``): the ready ones; when none is ready, those
still serving while terminating; when neither, the Service has no endpoints and connections are
refused. An endpoint is used whether or not its port is declared in the Pod's ``containerPorts``
(upstream: ``containerPort`` is informational); here it must also have an address the host can
connect to (:attr:`Endpoint.reach`), which every endpoint has except on Docker Desktop, where only
published ports are reachable.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

__all__ = ["Endpoint", "ServicePort", "Choice", "Chooser", "usable_endpoints", "MODES",
           "DEFAULT_AFFINITY_TIMEOUT"]

MODES = ("iptables", "ipvs")
#: ``sessionAffinityConfig.clientIP.timeoutSeconds`` default (3 hours)
DEFAULT_AFFINITY_TIMEOUT = 10800


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of a Service port, and where the host reaches it: ``target`` (the Pod IP itself on
    Docker on Linux, the sim's server for that port), else the Pod's published port ``host_port``."""

    ip: str
    port: int
    pod: str = ""  # "namespace/name" of the targetRef
    node: str = ""
    host_port: int | None = None  # 127.0.0.1:<host_port> reaches ip:port
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    target: tuple[str, int] | None = None  # where the host connects to reach ip:port

    @property
    def reach(self) -> tuple[str, int] | None:
        """The (host, port) the proxy connects to for this endpoint; None: unreachable from the host."""
        if self.target is not None:
            return self.target
        return ("127.0.0.1", self.host_port) if self.host_port else None

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def pod_name(self) -> str:
        return self.pod.rpartition("/")[2]


@dataclass(frozen=True)
class ServicePort:
    """One port of one Service, as the proxy programs it."""

    namespace: str
    name: str
    port: int
    port_name: str = ""
    protocol: str = "TCP"
    cluster_ip: str = ""
    node_port: int | None = None
    affinity: bool = False
    affinity_timeout: float = DEFAULT_AFFINITY_TIMEOUT
    endpoints: tuple[Endpoint, ...] = ()

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.namespace, self.name, self.port)

    @property
    def label(self) -> str:
        """``default/web:http`` as kube-proxy names a service port in its logs."""
        return f"{self.namespace}/{self.name}" + (f":{self.port_name}" if self.port_name else "")


def usable_endpoints(endpoints: tuple[Endpoint, ...]) -> tuple[Endpoint, ...]:
    """The ready endpoints, else the serving-terminating ones (upstream's fallback); only those the
    host can reach (:attr:`Endpoint.reach`)."""
    reachable = tuple(e for e in endpoints if e.reach is not None)
    ready = tuple(e for e in reachable if e.ready)
    if ready:
        return ready
    return tuple(e for e in reachable if e.serving and e.terminating)


@dataclass(frozen=True)
class Choice:
    endpoint: Endpoint
    rule: int  # iptables: the index of the rule that matched; ipvs: the round-robin position
    of: int  # how many endpoints took part
    affinity: bool = False  # chosen by ClientIP affinity rather than by the rules


@dataclass
class Chooser:
    """Picks endpoints for one proxy: the round-robin positions and the affinity table live here."""

    mode: str = "iptables"
    rng: random.Random = field(default_factory=random.Random)
    # guards _rr and _affinity (connections of many Services are accepted at once)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rr: dict[tuple[str, str, int], int] = field(default_factory=dict)
    _affinity: dict[tuple[tuple[str, str, int], str], tuple[Endpoint, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f'proxy mode must be "iptables" or "ipvs", not {self.mode!r}')

    def choose(self, sp: ServicePort, client_ip: str, now: float) -> Choice | None:
        """The endpoint for a new connection from *client_ip*, or None (no endpoints: refuse)."""
        eps = usable_endpoints(sp.endpoints)
        if not eps:
            return None
        with self._lock:
            if sp.affinity:
                held = self._affinity.get((sp.key, client_ip))
                if held is not None and now - held[1] < sp.affinity_timeout:
                    same = next((e for e in eps if e.address == held[0].address), None)
                    if same is not None:
                        self._affinity[(sp.key, client_ip)] = (same, now)
                        return Choice(same, eps.index(same), len(eps), affinity=True)
            if self.mode == "ipvs":
                i = self._rr.get(sp.key, -1) + 1
                i %= len(eps)
                self._rr[sp.key] = i
            else:
                i = self._iptables_rule(len(eps))
            choice = Choice(eps[i], i, len(eps))
            if sp.affinity:
                self._affinity[(sp.key, client_ip)] = (choice.endpoint, now)
            return choice

    def _iptables_rule(self, n: int) -> int:
        for i in range(n - 1):
            if self.rng.random() < 1.0 / (n - i):
                return i
        return n - 1

    def forget(self, key: tuple[str, str, int]) -> None:
        """A Service port went away: drop its round-robin position and affinities."""
        with self._lock:
            self._rr.pop(key, None)
            for k in [k for k in self._affinity if k[0] == key]:
                del self._affinity[k]
