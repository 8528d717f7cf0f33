"""Service, Endpoints and Ingress.

A Service's ``Endpoints:`` line and an Ingress's backends come from the EndpointSlices kubectl
fetched (``related["endpointslices"]``): the ready addresses, three at most::

    Endpoints:  10.244.1.4:8080,10.244.2.7:8080,10.244.2.9:8080 + 2 more...
"""

from __future__ import annotations

from typing import Any

from k8sedu.kubectl.printers import format_labels

from .sections import (
    annotations_multiline,
    labels_and_annotations,
    labels_multiline,
    name_and_namespace,
)
from .writer import Context, Writer, metadata

__all__ = ["describe_service", "describe_endpoints", "describe_ingress"]


def describe_service(w: Writer, svc: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(svc), svc.get("spec") or {}, svc.get("status") or {}
    name_and_namespace(w, meta)
    labels_and_annotations(w, meta)
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type') or 'ClusterIP'}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    ips = spec.get("clusterIPs") or []
    w.write(0, f"IPs:\t{','.join(ips) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = ((status.get("loadBalancer") or {}).get("ingress")) or []
    if ingress:
        parts = []
        for ing in ingress:
            if ing.get("ip"):
                parts.append(ing["ip"] + (f" ({ing['ipMode']})" if ing.get("ipMode") else ""))
            else:
                parts.append(ing.get("hostname", ""))
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(parts)}\n")
    slices = ctx.related.get("endpointslices") or []
    for port in spec.get("ports") or []:
        name = port.get("name") or "<unset>"
        proto = port.get("protocol") or "TCP"
        w.write(0, f"Port:\t{name}\t{int(port.get('port') or 0)}/{proto}\n")
        target = port.get("targetPort", port.get("port"))
        w.write(0, f"TargetPort:\t{target}/{proto}\n")
        if port.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{int(port['nodePort'])}/{proto}\n")
        w.write(0, f"Endpoints:\t{_format_slices(slices, port.get('name') or '')}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{int(spec['healthCheckNodePort'])}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    if spec.get("trafficDistribution"):
        w.write(0, f"Traffic Distribution:\t{spec['trafficDistribution']}\n")


def _format_slices(slices: list[dict[str, Any]], port_name: str) -> str:
    """``formatEndpointSlices`` for one service port: ready addresses as ``ip:port``, 3 at most.

    A slice without ports lists bare addresses; a not-ready endpoint met once three are shown
    still sets the ``more`` mark (upstream checks the count before readiness).
    """
    if not slices:
        return "<none>"
    shown: list[str] = []
    more, count, limit = False, 0, 3
    for s in slices:
        ports = s.get("ports") or []
        targets = [p for p in ports if (p.get("name") or "") == port_name] if ports else [None]
        for port in targets:
            for ep in s.get("endpoints") or []:
                if len(shown) == limit:
                    more = True
                if (ep.get("conditions") or {}).get("ready") is False:
                    continue
                if not more:
                    addr = (ep.get("addresses") or [""])[0]
                    if port is not None:
                        addr = f"{f'[{addr}]' if ':' in addr else addr}:{int(port.get('port') or 0)}"
                    shown.append(addr)
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def describe_endpoints(w: Writer, ep: dict[str, Any], ctx: Context) -> None:
    meta = metadata(ep)
    name_and_namespace(w, meta)
    labels_and_annotations(w, meta)
    w.write(0, "Subsets:\n")
    for subset in ep.get("subsets") or []:
        addrs = ",".join(a.get("ip", "") for a in subset.get("addresses") or [])
        w.write(1, f"Addresses:\t{addrs or '<none>'}\n")
        not_ready = ",".join(a.get("ip", "") for a in subset.get("notReadyAddresses") or [])
        w.write(1, f"NotReadyAddresses:\t{not_ready or '<none>'}\n")
        if subset.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                w.write(2, f"{port.get('name') or '<unset>'}\t{int(port.get('port') or 0)}\t{port.get('protocol') or 'TCP'}\n")
        w.write(0, "\n")


def describe_ingress(w: Writer, ing: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(ing), ing.get("spec") or {}, ing.get("status") or {}
    ns = meta.get("namespace", "")
    services = {(metadata(s).get("namespace"), metadata(s).get("name")): s for s in ctx.related.get("services") or []}
    slices = ctx.related.get("endpointslices") or []
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    w.write(0, f"Namespace:\t{ns}\n")
    addrs = sorted({lb.get("ip") or lb.get("hostname") for lb in (status.get("loadBalancer") or {}).get("ingress") or []
                    if lb.get("ip") or lb.get("hostname")})
    w.write(0, f"Address:\t{','.join(addrs)}\n")
    w.write(0, f"Ingress Class:\t{spec.get('ingressClassName') or '<none>'}\n")
    default = _backend(spec["defaultBackend"], ns, services, slices) if spec.get("defaultBackend") else "<default>"
    w.write(0, f"Default backend:\t{default}\n")
    if spec.get("tls"):
        w.write(0, "TLS:\n")
        for t in spec["tls"]:
            hosts = ",".join(t.get("hosts") or [])
            if not t.get("secretName"):
                w.write(1, f"SNI routes {hosts}\n")
            else:
                w.write(1, f"{t['secretName']} terminates {hosts}\n")
    w.write(0, "Rules:\n  Host\tPath\tBackends\n")
    w.write(1, "----\t----\t--------\n")
    count = 0
    for rule in spec.get("rules") or []:
        if rule.get("http") is None:
            continue
        count += 1
        w.write(1, f"{rule.get('host') or '*'}\t\n")
        for path in (rule["http"] or {}).get("paths") or []:
            w.write(2, f"\t{path.get('path', '')} \t{_backend(path.get('backend') or {}, ns, services, slices)}\n")
    if count == 0:
        w.write(1, f"*\t*\t{default}\n")
    annotations_multiline(w, "Annotations", meta.get("annotations"))


def _backend(b: dict[str, Any], ns: str, services: dict[tuple[Any, Any], dict[str, Any]],
             slices: list[dict[str, Any]]) -> str:
    """``svc:port (endpoints)`` for a service backend (its endpoints or why there are none), or
    the APIGroup, Kind and Name of a resource backend."""
    svc_ref = b.get("service")
    if svc_ref is not None:
        port = svc_ref.get("port") or {}
        text = f"{svc_ref.get('name', '')}:{port.get('number') or port.get('name', '')}"
        svc = services.get((ns, svc_ref.get("name")))
        if svc is None:
            return f'{text} (<error: services "{svc_ref.get("name", "")}" not found>)'
        port_name = ""
        for sp in (svc.get("spec") or {}).get("ports") or []:
            if port.get("number") and port.get("number") == sp.get("port"):
                port_name = sp.get("name") or ""
            elif port.get("name") and port.get("name") == sp.get("name"):
                port_name = sp.get("name") or ""
        mine = [s for s in slices
                if (metadata(s).get("labels") or {}).get("kubernetes.io/service-name") == svc_ref.get("name")
                and metadata(s).get("namespace", ns) == ns]
        return f"{text} ({_format_slices(mine, port_name)})"
    res = b.get("resource")
    if res is not None:
        return f"APIGroup: {res.get('apiGroup') or '<none>'}, Kind: {res.get('kind', '')}, Name: {res.get('name', '')}"
    return ""
