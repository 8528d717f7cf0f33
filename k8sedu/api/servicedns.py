"""Service names inside Pods: upstream's DNS naming rules, and the ``/etc/hosts`` lines of the fallback.

In a real cluster the kubelet points each Pod's ``/etc/resolv.conf`` at the cluster DNS (CoreDNS,
``dnsPolicy: ClusterFirst``)::

    nameserver 10.96.0.10
    search default.svc.cluster.local svc.cluster.local cluster.local
    options ndots:5

and CoreDNS answers ``web.default.svc.cluster.local`` with the Service's ClusterIP. With the search
path, ``web``, ``web.default`` and ``web.default.svc`` all end at that full name.

The cluster DNS is :mod:`k8sedu.proxy.dns` (it answers from the live state, so a Service created
after a Pod started has a name there too). Only when it cannot run (it could not bind port 53, or
Docker Desktop) is the fallback below used. The ClusterIP (10.96.x.y) is virtual — no
kernel rule (iptables DNAT) makes it reachable inside the containers. So the kubelet writes the
names of the Services that exist when the Pod's sandbox is created into the Pod's ``/etc/hosts``
(every name form above; the short ``web`` only for Services of the Pod's own namespace), each
pointing at the address where kube-proxy listens for Pods: the gateway of the cluster's Docker
network, on the Service's own port. The search path is still written, as upstream writes it.
With this fallback a Service created after the Pod started has no name in that Pod (like its
environment variables, and unlike real DNS); recreate the Pod to see it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "CLUSTER_DOMAIN",
    "dns_search",
    "hosts_entries",
    "resolve",
    "service_has_ip",
]

#: the kubelet's ``--cluster-domain`` default
CLUSTER_DOMAIN = "cluster.local"


def dns_search(namespace: str, domain: str = CLUSTER_DOMAIN) -> list[str]:
    """The search path of a ClusterFirst Pod: ``<ns>.svc.<domain> svc.<domain> <domain>``."""
    return [f"{namespace}.svc.{domain}", f"svc.{domain}", domain]


def service_has_ip(svc: dict[str, Any]) -> bool:
    """Upstream's ``IsServiceIPSet``: a ClusterIP that is neither empty nor ``None`` (headless)."""
    ip = (svc.get("spec") or {}).get("clusterIP")
    return bool(ip) and ip != "None"


def _names(name: str, namespace: str, domain: str) -> list[str]:
    return [f"{name}.{namespace}.svc.{domain}", f"{name}.{namespace}.svc", f"{name}.{namespace}"]


def hosts_entries(services: Iterable[dict[str, Any]], namespace: str, address: Callable[[dict[str, Any]], str],
                  domain: str = CLUSTER_DOMAIN) -> dict[str, str]:
    """``/etc/hosts`` lines (name → IP) for a Pod of *namespace*: each Service with a ClusterIP under
    its full name and the shorter forms the search path would complete; ``address(svc)`` is the IP
    to write for it."""
    out: dict[str, str] = {}
    for svc in sorted(services, key=lambda s: (s["metadata"].get("namespace", ""), s["metadata"]["name"])):
        if not service_has_ip(svc):
            continue
        md = svc["metadata"]
        ns, name = md.get("namespace", "default"), md["name"]
        ip = address(svc)
        if not ip:
            continue
        for n in _names(name, ns, domain):
            out[n] = ip
        if ns == namespace:
            out[name] = ip
    return out


def resolve(host: str, namespace: str, exists: Callable[[str, str], bool],
            domain: str = CLUSTER_DOMAIN) -> tuple[str, str] | None:
    """(namespace, name) of the Service *host* names, as a resolver with the ClusterFirst search path
    finds it from a Pod of *namespace*; None if it names no existing Service.

    >>> resolve("web", "default", lambda ns, n: (ns, n) == ("default", "web"))
    ('default', 'web')
    """
    host = host.lower().rstrip(".")
    suffix = f".svc.{domain}"
    tries = [host] if host.endswith(suffix) else [f"{host}.{d}" for d in dns_search(namespace, domain)]
    for fqdn in tries:
        if not fqdn.endswith(suffix):
            continue
        parts = fqdn[: -len(suffix)].split(".")
        if len(parts) == 2 and all(parts) and exists(parts[1], parts[0]):
            return parts[1], parts[0]
    return None
