"""ClusterIPs and NodePorts: handed out by the apiserver when a Service is written, as upstream's
Service REST storage does (``pkg/registry/core/service/ipallocator`` and ``portallocator``).

::

    POST /api/v1/namespaces/default/services  {"spec": {"type": "NodePort", "ports": [{"port": 80}]}}
        │ defaults → allocate → validate → etcd
        ▼
    spec.clusterIP  10.96.143.7      (random, from --service-cluster-ip-range=10.96.0.0/12)
    spec.clusterIPs ["10.96.143.7"]   ipFamilies ["IPv4"]  ipFamilyPolicy SingleStack
    spec.ports[0].nodePort 31544      (random, from --service-node-port-range=30000-32767)

A ClusterIP is virtual: no interface carries it. Traffic reaches a Service through kube-proxy.

Simplification: upstream keeps a bitmap of used addresses in etcd (or, since 1.31, IPAddress
objects) and repairs it in the background; we rebuild the used set from the stored Services
under one lock each time, which gives the same answers for a cluster of this size.
"""

from __future__ import annotations

import ipaddress
import random
import threading
from typing import Any

from ..errors import FieldError, Invalid
from .paths import etcd_prefix

__all__ = [
    "SERVICE_CIDR",
    "NODE_PORT_RANGE",
    "KUBERNETES_SERVICE_IP",
    "ServiceAllocator",
    "kubernetes_service",
    "kubernetes_endpoints",
    "kubernetes_endpointslice",
    "APISERVER_ADDRESS",
    "APISERVER_PORT",
]

#: ``--service-cluster-ip-range`` (kubeadm's default)
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
#: ``--service-node-port-range``
NODE_PORT_RANGE = (30000, 32767)
#: the first address of the range belongs to the ``kubernetes`` Service in ``default``
KUBERNETES_SERVICE_IP = str(SERVICE_CIDR.network_address + 1)

#: the apiserver's ``--advertise-address`` and ``--secure-port``: it "runs on" node-1, whose made-up
#: InternalIP is minikube's first node address (see k8sedu.kubelet.node)
APISERVER_ADDRESS = "192.168.49.2"
APISERVER_PORT = 6443

_INVALID = "Invalid value"
_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


class _GoStrings:
    """Prints as Go prints a ``[]string`` in a field error: ``[]string{"10.0.0.5"}``."""

    def __init__(self, items: list[str]) -> None:
        self.items = items

    def __str__(self) -> str:
        return "[]string{" + ", ".join(f'"{s}"' for s in self.items) + "}"


def kubernetes_service() -> dict[str, Any]:
    """The ``kubernetes`` Service the apiserver creates at start-up (upstream's bootstrap controller)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": KUBERNETES_SERVICE_IP,
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "sessionAffinity": "None",
        },
    }


def kubernetes_endpoints() -> dict[str, Any]:
    """The Endpoints of the ``kubernetes`` Service, as upstream's endpoint reconciler writes them: the
    Service has no selector, so no controller manages them; the apiserver puts its own address there.
    ``skip-mirror`` tells the EndpointSlice mirroring controller to leave them alone."""
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": APISERVER_ADDRESS}],
                     "ports": [{"name": "https", "port": APISERVER_PORT, "protocol": "TCP"}]}],
    }


def kubernetes_endpointslice() -> dict[str, Any]:
    """The EndpointSlice the reconciler writes beside them (``endpointSliceFromEndpoints``): same name,
    only the service-name label, every address ready."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [APISERVER_ADDRESS], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": APISERVER_PORT, "protocol": "TCP"}],
    }


class ServiceAllocator:
    """Fills ``clusterIP(s)`` and ``nodePort`` of a Service being created or updated."""

    def __init__(self, store: Any, rng: random.Random | None = None) -> None:
        self.store = store
        self.rng = rng or random.Random()
        # guards the read-choose step, so two creates at once do not pick the same address
        self._lock = threading.Lock()

    def _used(self, skip: tuple[str, str] | None) -> tuple[set[str], set[int]]:
        from ..api import kinds

        kvs, _ = self.store.range(etcd_prefix(kinds.lookup("services")))
        ips: set[str] = set()
        ports: set[int] = set()
        for kv in kvs:
            md, spec = kv.value.get("metadata", {}), kv.value.get("spec") or {}
            if skip == (md.get("namespace"), md.get("name")):
                continue
            for ip in spec.get("clusterIPs") or [spec.get("clusterIP")]:
                if ip and ip != "None":
                    ips.add(ip)
            for p in spec.get("ports") or []:
                if p.get("nodePort"):
                    ports.add(int(p["nodePort"]))
        return ips, ports

    def allocate(self, svc: dict[str, Any], old: dict[str, Any] | None = None) -> None:
        """Allocate in place; raise :class:`Invalid` with upstream's messages when a requested
        address or port is outside its range or already taken."""
        spec = svc.setdefault("spec", {})
        md = svc.get("metadata", {})
        if old is not None:
            _keep_allocated(spec, old.get("spec") or {})
        stype = spec.get("type") or "ClusterIP"
        if stype == "ExternalName":
            return
        errs: list[FieldError] = []
        with self._lock:
            ips, used_ports = self._used((md.get("namespace"), md.get("name")))
            self._allocate_ip(spec, ips, errs)
            if stype in _NODE_PORT_TYPES:
                self._allocate_node_ports(spec, used_ports, errs)
        if errs:
            raise Invalid("Service", md.get("name", ""), errs)

    def _allocate_ip(self, spec: dict[str, Any], used: set[str], errs: list[FieldError]) -> None:
        requested = spec.get("clusterIP") or ((spec.get("clusterIPs") or [None])[0])
        if requested == "None":  # headless: no virtual IP
            spec["clusterIP"], spec["clusterIPs"] = "None", ["None"]
        elif requested:
            reason = ""
            try:
                inside = ipaddress.ip_address(requested) in SERVICE_CIDR
            except ValueError:
                inside = True  # a malformed address is validation's business
            if not inside:
                reason = f"provided IP is not in the valid range. The range of valid IPs is {SERVICE_CIDR}"
            elif requested in used:
                reason = "provided IP is already allocated"
            if reason:
                errs.append(FieldError("spec.clusterIPs", _INVALID, _GoStrings([requested]),
                                       f"failed to allocate IP {requested}: {reason}"))
                return
            spec["clusterIP"], spec["clusterIPs"] = requested, [requested]
        else:
            ip = self._random_ip(used)
            spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")

    def _random_ip(self, used: set[str]) -> str:
        first = int(SERVICE_CIDR.network_address) + 1
        size = SERVICE_CIDR.num_addresses - 2
        # upstream prefers the upper part of the range for dynamic addresses, leaving the
        # lower band (here the first 16) for addresses users pick themselves (KEP-3070)
        low = min(16, size // 16)
        for _ in range(1000):
            ip = str(ipaddress.ip_address(first + low + self.rng.randrange(size - low)))
            if ip not in used:
                return ip
        raise Invalid("Service", "", [FieldError("spec.clusterIPs", _INVALID, "",
                                                 "failed to allocate a serviceIP: range is full")])

    def _allocate_node_ports(self, spec: dict[str, Any], used: set[int], errs: list[FieldError]) -> None:
        lo, hi = NODE_PORT_RANGE
        for i, port in enumerate(spec.get("ports") or []):
            want = port.get("nodePort")
            if want:
                try:
                    n = int(want)
                except (TypeError, ValueError):
                    continue  # validation reports the type
                if not lo <= n <= hi:
                    errs.append(FieldError(f"spec.ports[{i}].nodePort", _INVALID, n,
                                           f"provided port is not in the valid range. "
                                           f"The range of valid ports is {lo}-{hi}"))
                elif n in used:
                    errs.append(FieldError(f"spec.ports[{i}].nodePort", _INVALID, n,
                                           "provided port is already allocated"))
                else:
                    used.add(n)
                continue
            free = [p for p in range(lo, hi + 1) if p not in used]
            if not free:
                errs.append(FieldError(f"spec.ports[{i}].nodePort", _INVALID, 0,
                                       "failed to allocate a nodePort: range is full"))
                continue
            port["nodePort"] = self.rng.choice(free)
            used.add(port["nodePort"])


def _keep_allocated(spec: dict[str, Any], old: dict[str, Any]) -> None:
    """An update that leaves out what was allocated keeps it (upstream's ``patchAllocatedValues``)."""
    if not spec.get("clusterIP") and old.get("clusterIP"):
        for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if field in old:
                spec[field] = old[field]
    if (spec.get("type") or "ClusterIP") in _NODE_PORT_TYPES and (old.get("type") or "") in _NODE_PORT_TYPES:
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in old.get("ports") or []}
        for p in spec.get("ports") or []:
            if not p.get("nodePort"):
                prev = old_ports.get((p.get("port"), p.get("protocol", "TCP")))
                if prev:
                    p["nodePort"] = prev
