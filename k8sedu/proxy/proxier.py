"""kube-proxy: turns Services and EndpointSlices into a working data path on 127.0.0.1.

::

    apiserver ──watch services, endpointslices (and pods)──▶ informers
        │  any change: sync()  (upstream: syncProxyRules, rate-limited by --min-sync-period)
        ▼
    table: (namespace, name, port) → ServicePort(clusterIP, nodePort, affinity, endpoints…)
        │
        ▼  one listener per Service port: 127.0.0.1:<ephemeral>  (and 127.0.0.1:<nodePort>)
    new connection → Chooser (iptables: random 1/(n−i) · ipvs: round robin · ClientIP affinity)
                   → relay to the endpoint → one flow event "kube-proxy → pod/<name>"

The listeners, the Chooser and the byte copying live in a relay process (:mod:`.relayproc`), as the
real data path lives in the kernel, not in kube-proxy: the table is pushed to it on every sync and each
connection comes back as a record that becomes the flow event.

Like the real one, it talks only to the apiserver, as the user ``system:kube-proxy``.

Where an endpoint is reached: as upstream, ``containerPort`` is informational, so an endpoint
``10.244.1.5:80`` is used whether or not the Pod declares port 80. The host's network (given as
``reach(ip, port)``, from the container runtime) says where to connect: on Docker on Linux the Pod IP
itself (the host routes to the cluster's bridge network, as a real node routes to its Pods); with the
simulated runtime, the sim's server for whatever port the program listens on. On Docker Desktop the
containers live in a VM whose network the host cannot route to, so there (and when no ``reach`` is
given) an endpoint is reached only through the port the kubelet published for it on 127.0.0.1, which
the kubelet writes in the Pod's annotation ``k8sedu.io/published-ports`` (``{"80/TCP": 49153}``);
to read it this kube-proxy also watches Pods (the real one does not need to), and a port not
declared in ``containerPorts`` is not published, so it is left out there.

Inside Pods (``wget -qO- http://web``): the ClusterIP is virtual here, so ``set_pod_address(host)``
makes this kube-proxy also listen, for each Service port number, on *host* (the cluster's Docker
network gateway, which every container can reach) on that same port; the cluster DNS
(:mod:`k8sedu.proxy.dns`) answers the Service names with it. Two Services with the same port
share one such listener: a connection goes to the Service its HTTP ``Host:`` header names (as the
client Pod's search path completes it), else to the one in the client Pod's namespace (found from
its source IP), the first by name if several. ``route(host, port)`` does the same naming for the
simulated runtime's ``wget``.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import threading
from collections.abc import Callable
from typing import Any

from ..api.servicedns import resolve as resolve_name
from ..client import Client, InformerFactory
from ..clock import Clock
from .relay import Addr, RelayLoop
from .rules import (
    DEFAULT_AFFINITY_TIMEOUT,
    Choice,
    Chooser,
    Endpoint,
    ServicePort,
    usable_endpoints,
)

__all__ = ["KubeProxy", "COMPONENT", "PUBLISHED_PORTS_ANNOTATION", "SERVICE_NAME_LABEL"]

log = logging.getLogger(__name__)

COMPONENT = "kube-proxy"
PUBLISHED_PORTS_ANNOTATION = "k8sedu.io/published-ports"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"

Obj = dict[str, Any]
Key = tuple[str, str, int]
#: the host's route to a Pod: (Pod IP, port) → the address to connect to, or None (unreachable)
Reach = Callable[[str, int], Addr | None]

_MODE_ZH = {"iptables": "iptables 模式：规则 {rule}（共 {n} 条）按概率 1/{left} 命中",
            "ipvs": "ipvs 模式：轮询（rr）轮到第 {pos} 个"}


_HOST_HEADER = re.compile(rb"\r\nhost:[ \t]*([^\r\n:]+)", re.IGNORECASE)


def _has_ip(sp: ServicePort) -> bool:
    return bool(sp.cluster_ip) and sp.cluster_ip != "None"


def published_ports(pod: Obj | None) -> dict[str, int]:
    if pod is None:
        return {}
    raw = (pod["metadata"].get("annotations") or {}).get(PUBLISHED_PORTS_ANNOTATION)
    if not raw:
        return {}
    try:
        return {str(k): int(v) for k, v in json.loads(raw).items()}
    except (ValueError, TypeError, AttributeError):
        return {}


class KubeProxy:
    """The proxy of one host. ``mode`` is ``"iptables"`` (default) or ``"ipvs"``; ``reach`` is the
    host's route to Pod IPs (None: only published ports are reachable)."""

    def __init__(self, client: Client, clock: Clock | None = None, mode: str = "iptables",
                 node_name: str = "", chooser: Chooser | None = None, reach: Reach | None = None,
                 relay: str | None = None) -> None:
        self.client = client
        self.reach = reach
        self._mode = mode
        self.clock = clock or client.clock
        self.node_name = node_name
        self.chooser = chooser or Chooser(mode)
        self.informers = InformerFactory(client)
        self.services = self.informers.informer("services")
        self.slices = self.informers.informer("endpointslices")
        self.pods = self.informers.informer("pods")
        for inf in (self.services, self.slices, self.pods):
            inf.add_handler(self._changed, lambda old, new: self._changed(new), self._changed)
        self.relay = RelayLoop(COMPONENT)  # in this process: the Pod listeners (and all, relay="thread")
        # the Service and NodePort listeners: a relay process (k8sedu.proxy.relayproc) unless asked
        # otherwise or the clock is a test's fake one (the child could not read it)
        relay = relay or os.environ.get("K8SEDU_PROXY_RELAY") or (
            "process" if type(self.clock) is Clock and chooser is None else "thread")
        if relay not in ("process", "thread"):
            raise ValueError(f'relay must be "process" or "thread", not {relay!r}')
        self.relay_mode = relay
        self.data: Any = self.relay
        if relay == "process":
            from .relayproc import RelayProcess

            self.data = RelayProcess(mode, self.clock, self._flow_queue_put)
        # guards _table, _ports, _node_ports and _synced_generation; the data path reads _table
        # entries without it (a dict lookup of an immutable ServicePort)
        self._lock = threading.Lock()
        self._table: dict[Key, ServicePort] = {}
        self._programmed: dict[Key, ServicePort] = {}  # the table once its listeners are in place
        self._ports: dict[Key, int] = {}  # service port → local listener port
        self._node_ports: dict[Key, int] = {}
        self._pod_host = ""  # where Pods reach Services (set_pod_address); "" = not at all
        self._pod_ports: set[int] = set()  # Service port numbers listened on at _pod_host
        self._pod_port_failed: set[int] = set()  # ports that could not be bound (warned once)
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._generation = 0  # bumped by every change seen; synced when the sync after it ran
        self._synced_generation = -1
        self._synced = threading.Condition(self._lock)
        self._sync_thread = threading.Thread(target=self._sync_loop, name="kube-proxy-sync", daemon=True)
        self._flow_queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._flow_thread = threading.Thread(target=self._flow_loop, name="kube-proxy-flow", daemon=True)
        self._started = False

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        """``"iptables"`` or ``"ipvs"``; setting it switches the running proxy (as restarting it with
        ``--proxy-mode`` would), in the relay process too."""
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        self._mode = mode
        self.chooser.mode = mode
        if self.data is not self.relay and self._started:
            self.data.set_mode(mode)

    def _flow_queue_put(self, record: tuple[Any, ...]) -> None:
        self._flow_queue.put(record)

    def start(self, timeout: float = 10.0) -> KubeProxy:
        if self._started:
            return self
        self.relay.start()
        if self.data is not self.relay:
            self.data.start()
        self.informers.start()
        if not self.informers.wait_synced(timeout):
            raise TimeoutError(f"kube-proxy: informer caches did not sync within {timeout} s")
        self._started = True
        self._flow_thread.start()
        self._sync_thread.start()
        self._changed(None)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        self.informers.stop()
        if self._started:
            self._sync_thread.join(timeout=5)
            self._flow_queue.put(None)
            self._flow_thread.join(timeout=5)
        if self.data is not self.relay:
            self.data.stop()
        self.relay.stop()
        self._started = False

    def set_pod_address(self, host: str) -> None:
        """Also listen on *host* at each Service's port, for connections from inside Pods."""
        with self._lock:
            self._pod_host = host
        self._changed(None)

    # -- what the notebook asks ------------------------------------------------------------
    def port_for(self, namespace: str, name: str, port: int | str | None = None) -> int | None:
        """The local port of a Service port (its number, its name, or None: the first one)."""
        with self._lock:
            for key, sp in sorted(self._table.items()):
                if key[:2] != (namespace, name):
                    continue
                if port is None or port == sp.port or port == sp.port_name or str(port) == str(sp.port):
                    return self._ports.get(key)
        return None

    def ports(self) -> dict[Key, int]:
        """(namespace, name, port) → the 127.0.0.1 port kube-proxy listens on for it."""
        with self._lock:
            return dict(self._ports)

    def node_ports(self) -> dict[Key, int]:
        with self._lock:
            return dict(self._node_ports)

    def service_port(self, namespace: str, name: str, port: int) -> ServicePort | None:
        return self._table.get((namespace, name, port))

    def endpoints_for(self, namespace: str, name: str, port: int | None = None) -> list[Endpoint]:
        """The endpoints new connections may go to now, as this proxy sees them (once its
        listeners accept or refuse accordingly)."""
        with self._lock:
            sps = [sp for k, sp in self._programmed.items() if k[:2] == (namespace, name)
                   and (port is None or k[2] == port)]
        return [e for sp in sps for e in usable_endpoints(sp.endpoints)]

    def wait_synced(self, timeout: float = 10.0) -> bool:
        """Wait until every change seen so far has been programmed (the table is current)."""
        with self._synced:
            target = self._generation
            return self._synced.wait_for(lambda: self._synced_generation >= target, timeout)

    def flush_flows(self, timeout: float = 5.0) -> bool:
        """Wait until every connection accepted so far is a flow event (the relay process sends its
        records a few milliseconds late, in batches); False if that took longer than *timeout*."""
        if not self._started:
            return True
        if self.data is not self.relay:
            try:
                self.data.flush()  # the child sends its records before it answers
            except (RuntimeError, OSError, TimeoutError):
                return False
        done = threading.Event()
        self._flow_queue.put(("barrier", done))
        return done.wait(timeout)

    # -- sync: informers → table → listeners ------------------------------------------------
    def _changed(self, _obj: Any) -> None:
        with self._lock:
            self._generation += 1
        self._dirty.set()

    def _sync_loop(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            self._dirty.clear()
            with self._lock:
                generation = self._generation
            try:
                self.sync()
            except Exception:
                log.exception("kube-proxy: sync failed")
            with self._synced:
                self._synced_generation = max(self._synced_generation, generation)
                self._synced.notify_all()

    def _endpoints_by_service(self) -> dict[tuple[str, str], list[Obj]]:
        out: dict[tuple[str, str], list[Obj]] = {}
        for es in self.slices.list():
            md = es["metadata"]
            svc = (md.get("labels") or {}).get(SERVICE_NAME_LABEL)
            if svc:
                out.setdefault((md.get("namespace", ""), svc), []).append(es)
        return out

    def build_table(self) -> dict[Key, ServicePort]:
        """The desired table from the caches (pure: the Services, their slices, the Pods' ports)."""
        slices = self._endpoints_by_service()
        table: dict[Key, ServicePort] = {}
        for svc in self.services.list():
            md, spec = svc["metadata"], svc.get("spec") or {}
            ns, name = md.get("namespace", ""), md["name"]
            if spec.get("type") == "ExternalName":
                continue
            affinity = spec.get("sessionAffinity") == "ClientIP"
            timeout = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {}).get(
                "timeoutSeconds") or DEFAULT_AFFINITY_TIMEOUT
            for sp in spec.get("ports") or []:
                if (sp.get("protocol") or "TCP") != "TCP":
                    continue  # only TCP is proxied here
                port_name = sp.get("name") or ""
                eps: list[Endpoint] = []
                for es in slices.get((ns, name), []):
                    ep_port = next((p.get("port") for p in es.get("ports") or []
                                    if (p.get("name") or "") == port_name), None)
                    if ep_port is None:
                        continue
                    for e in es.get("endpoints") or []:
                        ref = e.get("targetRef") or {}
                        pod = self.pods.get(f"{ref.get('namespace', ns)}/{ref.get('name')}") if ref else None
                        host = published_ports(pod).get(f"{ep_port}/TCP")
                        cond = e.get("conditions") or {}
                        ready = cond.get("ready") is not False
                        for ip in e.get("addresses") or []:
                            target = self._reach(ip, int(ep_port))
                            eps.append(Endpoint(
                                target=target,
                                ip=ip, port=int(ep_port),
                                pod=f"{ref.get('namespace', ns)}/{ref.get('name')}" if ref else "",
                                node=e.get("nodeName", ""), host_port=host, ready=ready,
                                serving=cond.get("serving", ready) is not False,
                                terminating=bool(cond.get("terminating"))))
                eps.sort(key=lambda e: (tuple(int(x) if x.isdigit() else 0 for x in e.ip.split(".")), e.port))
                key = (ns, name, int(sp["port"]))
                table[key] = ServicePort(
                    namespace=ns, name=name, port=int(sp["port"]), port_name=port_name,
                    cluster_ip=spec.get("clusterIP", ""),
                    node_port=int(sp["nodePort"]) if sp.get("nodePort") else None,
                    affinity=affinity, affinity_timeout=float(timeout), endpoints=tuple(eps))
        return table

    def _reach(self, ip: str, port: int) -> Addr | None:
        if self.reach is None:
            return None
        try:
            return self.reach(ip, port)
        except Exception:
            log.exception("kube-proxy: finding the route to %s:%d failed", ip, port)
            return None

    def sync(self) -> None:
        """Make the listeners match the table (upstream's ``syncProxyRules``)."""
        table = self.build_table()
        if self.data is not self.relay:
            self.data.set_table(table)  # before any listener opens for it
        with self._lock:
            old_keys = set(self._table)
            self._table = table
        for key in old_keys - set(table):
            self.data.close(("svc", key))
            self.data.close(("nodeport", key))
            with self._lock:
                self._ports.pop(key, None)
                self._node_ports.pop(key, None)
            self.chooser.forget(key)
        for key, sp in table.items():
            with self._lock:
                has_port = key in self._ports
                node_port = self._node_ports.get(key)
            if not has_port:
                local = self.data.listen(("svc", key), self._picker(key, "clusterIP"))
                with self._lock:
                    self._ports[key] = local
            if node_port != sp.node_port:
                if node_port is not None:
                    self.data.close(("nodeport", key))
                    with self._lock:
                        self._node_ports.pop(key, None)
                if sp.node_port is not None:
                    try:
                        self.data.listen(("nodeport", key), self._picker(key, "nodePort"), sp.node_port)
                    except OSError:
                        log.warning("kube-proxy: 127.0.0.1:%d is in use; NodePort of %s not opened",
                                    sp.node_port, sp.label)
                    else:
                        with self._lock:
                            self._node_ports[key] = sp.node_port
        self._sync_pod_listeners(table)
        self._sync_rejects(table)
        if self.data is not self.relay:
            self.data.flush()  # the relay process has the table and listeners as programmed
        with self._lock:
            self._programmed = table

    def _sync_rejects(self, table: dict[Key, ServicePort]) -> None:
        """Listeners of Service ports with no usable endpoint stop listening (upstream's REJECT rule:
        "connection refused"), and listen again when one comes. A Pod listener several Services
        share refuses only when none of them has an endpoint."""
        def serves(sp: ServicePort) -> bool:
            return bool(usable_endpoints(sp.endpoints))

        wanted: dict[Any, bool] = {}
        for key, sp in table.items():
            wanted[("svc", key)] = not serves(sp)
            wanted[("nodeport", key)] = not serves(sp)
        by_port: dict[int, bool] = {}
        for key, sp in table.items():
            if _has_ip(sp):
                by_port[key[2]] = by_port.get(key[2], False) or serves(sp)
        for port, any_serves in by_port.items():
            wanted[("pod", port)] = not any_serves
        for relay_key, refuse in wanted.items():
            relay = self.relay if relay_key[0] == "pod" else self.data
            if not relay.known(relay_key) or relay.refusing(relay_key) == refuse:
                continue
            try:
                relay.set_refusing(relay_key, refuse)
            except OSError as e:
                log.warning("kube-proxy: could not %s %s (%s)", "stop listening on" if refuse else "listen again on",
                            relay_key, e)
                continue
            if refuse and relay_key[0] == "svc":
                self._flow_queue.put(("reject-rule", table[relay_key[1]]))

    def _sync_pod_listeners(self, table: dict[Key, ServicePort]) -> None:
        with self._lock:
            host, have = self._pod_host, set(self._pod_ports)
        wanted = {k[2] for k, sp in table.items() if _has_ip(sp)} if host else set()
        for port in have - wanted:
            self.relay.close(("pod", port))
            with self._lock:
                self._pod_ports.discard(port)
        for port in sorted(wanted - have):
            try:
                self.relay.listen(("pod", port), self._picker(("", "", port), "clusterIP"), port, host,
                                  peek=self._pod_picker(port))
            except OSError as e:
                if port not in self._pod_port_failed:
                    self._pod_port_failed.add(port)
                    log.warning("kube-proxy: cannot listen on %s:%d for Pods (%s)", host, port, e)
                continue
            with self._lock:
                self._pod_ports.add(port)

    # -- names: which Service a connection from a Pod means ------------------------------------
    def _namespace_of_ip(self, ip: str) -> str | None:
        for pod in self.pods.list():
            if (pod.get("status") or {}).get("podIP") == ip:
                return str(pod["metadata"].get("namespace", "default"))
        return None

    def service_for_client(self, client_ip: str, port: int) -> Key | None:
        """The Service port a Pod at *client_ip* reaches on the shared Pod listener of *port*."""
        candidates = sorted(k for k, sp in self._table.items() if k[2] == port and _has_ip(sp))
        if len(candidates) > 1:
            ns = self._namespace_of_ip(client_ip)
            candidates = [k for k in candidates if k[0] == ns] or candidates
        return candidates[0] if candidates else None

    def resolve(self, host: str, port: int, namespace: str = "default") -> Key | None:
        """The Service port *host*:*port* names: a ClusterIP, or a name as the ClusterFirst search
        path of a Pod in *namespace* completes it. A short name not found in *namespace* is looked up
        in every namespace, and used when exactly one has it."""
        table = self._table
        for key, sp in table.items():
            if key[2] == port and sp.cluster_ip == host and _has_ip(sp):
                return key
        found = resolve_name(host, namespace, lambda ns, n: (ns, n, port) in table)
        if found is not None:
            return (found[0], found[1], port)
        if "." not in host:
            others = [k for k in table if k[1] == host.lower() and k[2] == port]
            if len(others) == 1:
                return others[0]
        return None

    def route(self, host: str, port: int) -> tuple[str, int] | None:
        """Where the simulated runtime sends ``wget http://<host>:<port>`` from a container:
        kube-proxy's listener for the Service it names (its namespace unknown: ``default`` first)."""
        key = self.resolve(host, port)
        with self._lock:
            local = self._ports.get(key) if key is not None else None
        return ("127.0.0.1", local) if local else None

    # -- the data path -----------------------------------------------------------------------
    def _pod_picker(self, port: int) -> Any:
        def pick(client: tuple[str, int], head: bytes) -> tuple[list[Addr], Any]:
            key = None
            m = _HOST_HEADER.search(head)
            if m:
                ns = self._namespace_of_ip(client[0]) or "default"
                key = self.resolve(m.group(1).decode("latin-1"), port, ns)
            if key is None:
                key = self.service_for_client(client[0], port)
            if key is None:
                return [], lambda _p: None
            picked: tuple[list[Addr], Any] = self._picker(key, "clusterIP")(client)
            return picked

        return pick

    def _picker(self, key: Key, via: str) -> Any:
        def pick(client: tuple[str, int]) -> tuple[list[Addr], Any]:
            sp = self._table.get(key)
            if sp is None:
                return [], lambda _p: None
            choice = self.chooser.choose(sp, client[0], self.clock.now())
            if choice is None:
                self._flow_queue.put((sp, client, None, via, None))
                return [], lambda _p: None
            first = choice.endpoint.reach
            others = [a for a in (e.reach for e in usable_endpoints(sp.endpoints)
                                  if e is not choice.endpoint) if a is not None]
            addrs = [first] + others if first is not None else others

            def done(addr: Addr | None) -> None:
                served = next((e for e in usable_endpoints(sp.endpoints) if addr is not None and e.reach == addr),
                              None)
                self._flow_queue.put((sp, client, choice, via, served))

            return addrs, done

        return pick

    def _flow_loop(self) -> None:
        while True:
            item = self._flow_queue.get()
            if item is None:
                return
            try:
                if item[0] == "barrier":
                    item[1].set()
                elif item[0] == "reject-rule":
                    self._record_reject_rule(item[1])
                else:
                    self._record(*item)
            except Exception:
                log.exception("kube-proxy: recording a flow event failed")

    def _record_reject_rule(self, sp: ServicePort) -> None:
        svc_ref = {"kind": "Service", "metadata": {"name": sp.name, "namespace": sp.namespace}}
        self.client.apiserver.flow.record(
            COMPONENT, "kube-proxy", "reject", svc_ref,
            explain=f"Service {sp.label} 没有可用的 endpoint：kube-proxy 写入 REJECT 规则，"
                    f"新连接被拒绝（connection refused），直到有 Pod 就绪。",
            service=sp.label, mode=self.mode, target=f"{sp.cluster_ip}:{sp.port}", endpoint=None, rule=None)

    def _record(self, sp: ServicePort, client: tuple[str, int], choice: Choice | None, via: str,
                served: Endpoint | None) -> None:
        flow = self.client.apiserver.flow
        svc_ref = {"kind": "Service", "metadata": {"name": sp.name, "namespace": sp.namespace}}
        target = f"{sp.cluster_ip}:{sp.port}" if via == "clusterIP" else f"<node>:{sp.node_port}"
        detail: dict[str, Any] = {"client": f"{client[0]}:{client[1]}", "service": sp.label, "via": via,
                                  "mode": self.mode, "target": target}
        if choice is None:
            flow.record(COMPONENT, "kube-proxy", "reject", svc_ref,
                        explain=f"Service {sp.label} 没有就绪的 endpoint，连接被拒绝（iptables 的 REJECT 规则）。",
                        **detail, endpoint=None, rule=None)
            return
        ep = choice.endpoint
        if served is None:
            flow.record(COMPONENT, f"pod/{ep.pod_name}", "connect failed", svc_ref,
                        explain=f"选中的 endpoint {ep.address} 连不上，其他 endpoint 也都不可用，连接被关闭。",
                        **detail, endpoint=ep.address, pod=ep.pod, rule=choice.rule)
            return
        if choice.affinity:
            why = f"会话亲和（ClientIP）：客户端 {client[0]} 在超时（{sp.affinity_timeout:g} 秒）内继续使用同一个 endpoint"
        elif self.mode == "ipvs":
            why = _MODE_ZH["ipvs"].format(pos=choice.rule + 1)
        else:
            why = _MODE_ZH["iptables"].format(rule=choice.rule, n=choice.of, left=choice.of - choice.rule)
        retried = "" if served.address == ep.address else f"（{ep.address} 拒绝连接，改用 {served.address}）"
        flow.record(COMPONENT, f"pod/{served.pod_name}", "connect", svc_ref,
                    explain=f"连接 {target} 被 kube-proxy 转发到 Pod {served.pod_name}（{served.address}），{why}。{retried}",
                    **detail, endpoint=served.address, pod=served.pod, node=served.node, rule=choice.rule,
                    endpoints=choice.of, affinity=choice.affinity)
