"""``kubectl get`` for networking: Services, Endpoints, EndpointSlices and Ingresses.

Long lists are cut after three entries, the rest counted::

    NAME   ENDPOINTS                                         AGE
    web    10.1.0.4:80,10.1.0.5:80,10.1.0.6:80 + 2 more...   5m
"""

from __future__ import annotations

from typing import Any

from .cells import _AGE, _NAME, Column, Printer, _age, _list_cut, _name, _wide, format_labels

__all__ = ["PRINTERS"]


def _load_balancer_addresses(obj: dict[str, Any]) -> list[str]:
    """``status.loadBalancer.ingress``: each entry's IP, else its hostname, without repeats and
    sorted (upstream's ``loadBalancerStatusStringer`` collects them in a string set)."""
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return sorted({value for ing in ingress if (value := ing.get("ip") or ing.get("hostname"))})


def _service_external_ip(svc: dict[str, Any]) -> str:
    spec = svc.get("spec") or {}
    external = spec.get("externalIPs") or []
    stype = spec.get("type") or "ClusterIP"
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if stype == "LoadBalancer":
        seen = _load_balancer_addresses(svc)
        if external:
            return ",".join(seen + list(external))
        return ",".join(seen) if seen else "<pending>"
    if stype == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_ports(svc: dict[str, Any]) -> str:
    pieces = []
    for port in (svc.get("spec") or {}).get("ports") or []:
        proto = port.get("protocol") or "TCP"
        if port.get("nodePort"):
            pieces.append(f"{port.get('port')}:{port['nodePort']}/{proto}")
        else:
            pieces.append(f"{port.get('port')}/{proto}")
    return ",".join(pieces) or "<none>"


def _service_row(svc: dict[str, Any], now: float) -> list[Any]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [
        _name(svc),
        spec.get("type") or "ClusterIP",
        ips[0] if ips else "<none>",
        _service_external_ip(svc),
        _service_ports(svc),
        _age(svc, now),
        format_labels(spec.get("selector")),
    ]


def _format_endpoints(ep: dict[str, Any]) -> str:
    """upstream's ``formatEndpoints``: ``ip:port`` for every address and port of every subset
    (a bare IP when the subset has no ports: a headless Service), the first three shown."""
    subsets = ep.get("subsets") or []
    if not subsets:
        return "<none>"
    shown: list[str] = []
    for ss in subsets:
        ips = [str(addr.get("ip", "")) for addr in ss.get("addresses") or []]
        ports = ss.get("ports") or []
        if not ports:
            shown += ips
        for port in ports:
            shown += [f"[{ip}]:{port.get('port')}" if ":" in ip else f"{ip}:{port.get('port')}" for ip in ips]
    return _list_cut(shown)


def _endpoints_row(ep: dict[str, Any], now: float) -> list[Any]:
    return [_name(ep), _format_endpoints(ep), _age(ep, now)]


def _endpointslice_row(es: dict[str, Any], now: float) -> list[Any]:
    """``printEndpointSlice``: ports (a number, else the name, else ``*``) and addresses, 3 of each,
    ``<unset>`` for none."""
    ports = [str(p["port"]) if p.get("port") is not None else (p.get("name") if p.get("name") is not None else "*")
             for p in es.get("ports") or []]
    addresses = [str(a) for e in es.get("endpoints") or [] for a in e.get("addresses") or []]
    return [_name(es), es.get("addressType", ""), _list_cut(ports) or "<unset>",
            _list_cut(addresses) or "<unset>", _age(es, now)]


def _format_hosts(rules: list[dict[str, Any]]) -> str:
    """upstream's ``formatHosts``: the first three hosts, ``*`` for none; past three, the rules
    left over are counted (rules without a host too)."""
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    host_str = ",".join(hosts) if hosts else "*"
    if hosts and more:
        host_str = f"{host_str} + {len(rules) - 3} more..."
    return host_str


def _ingress_row(ing: dict[str, Any], now: float) -> list[Any]:
    spec = ing.get("spec") or {}
    return [
        _name(ing),
        spec.get("ingressClassName") or "<none>",
        _format_hosts(spec.get("rules") or []),
        ",".join(_load_balancer_addresses(ing)),
        "80, 443" if spec.get("tls") else "80",
        _age(ing, now),
    ]


PRINTERS: dict[str, Printer] = {
    "services": Printer((_NAME, Column("Type"), Column("Cluster-IP"), Column("External-IP"), Column("Port(s)"),
                         _AGE, *_wide("Selector")), _service_row),
    "endpoints": Printer((_NAME, Column("Endpoints"), _AGE), _endpoints_row),
    "endpointslices": Printer((_NAME, Column("AddressType"), Column("Ports"), Column("Endpoints"), _AGE),
                              _endpointslice_row),
    "ingresses": Printer((_NAME, Column("Class"), Column("Hosts"), Column("Address"), Column("Ports"), _AGE),
                         _ingress_row),
}
