"""``kubectl get`` for the cluster itself: Nodes, Namespaces, Leases and Events.

A Node's STATUS is its Ready condition (``Ready``, ``NotReady``, ``Unknown``), plus
``SchedulingDisabled`` once cordoned; ROLES come from its ``node-role.kubernetes.io/<role>`` labels.
Events print LAST SEEN first and are sorted by it (see :func:`_event_sort_key`).
"""

from __future__ import annotations

from typing import Any

from .cells import _AGE, _NAME, Column, Printer, _age, _meta, _name, _ts, _wide, since

__all__ = ["PRINTERS"]


def _node_roles(node: dict[str, Any]) -> list[str]:
    roles: set[str] = set()
    for k, v in (_meta(node).get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            role = k[len("node-role.kubernetes.io/"):]
            if role:
                roles.add(role)
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return sorted(roles)


def _node_address(node: dict[str, Any], kind: str) -> str:
    for addr in (node.get("status") or {}).get("addresses") or []:
        if addr.get("type") == kind:
            return str(addr.get("address", ""))
    return "<none>"


def _node_row(node: dict[str, Any], now: float) -> list[Any]:
    status = node.get("status") or {}
    states: list[str] = []
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            states = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not states:
        states = ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    info = status.get("nodeInfo") or {}
    return [
        _name(node),
        ",".join(states),
        ",".join(_node_roles(node)) or "<none>",
        _age(node, now),
        info.get("kubeletVersion", ""),
        _node_address(node, "InternalIP"),
        _node_address(node, "ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _namespace_row(ns: dict[str, Any], now: float) -> list[Any]:
    return [_name(ns), (ns.get("status") or {}).get("phase", ""), _age(ns, now)]


def _lease_row(lease: dict[str, Any], now: float) -> list[Any]:
    return [_name(lease), (lease.get("spec") or {}).get("holderIdentity") or "", _age(lease, now)]


def _event_row(ev: dict[str, Any], now: float) -> list[Any]:
    first = since(ev.get("firstTimestamp") or ev.get("eventTime"), now)
    last = since(ev.get("lastTimestamp"), now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 0
    series = ev.get("series")
    if series:
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count") or 0
    elif count == 0:
        count = 1  # singleton events have no count in the events.k8s.io API
    inv = ev.get("involvedObject") or {}
    kind = str(inv.get("kind", "")).lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent") or ev.get("reportingController") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    return [
        last,
        ev.get("type", ""),
        ev.get("reason", ""),
        target,
        inv.get("fieldPath", ""),
        f"{component}, {host}" if host else component,
        str(ev.get("message", "")).strip(),
        first,
        int(count),
        _name(ev),
    ]


def _event_sort_key(ev: dict[str, Any]) -> float:
    """When the event was last seen, for ``kubectl get events`` (oldest first)."""
    t = _ts(ev.get("lastTimestamp")) or _ts((ev.get("series") or {}).get("lastObservedTime"))
    t = t or _ts(ev.get("eventTime")) or _ts(ev.get("firstTimestamp"))
    return t if t is not None else float("-inf")


PRINTERS: dict[str, Printer] = {
    "nodes": Printer((_NAME, Column("Status"), Column("Roles"), _AGE, Column("Version"),
                      *_wide("Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime")),
                     _node_row),
    "namespaces": Printer((_NAME, Column("Status"), _AGE), _namespace_row),
    "leases": Printer((_NAME, Column("Holder"), _AGE), _lease_row),
    "events": Printer((Column("Last Seen"), Column("Type"), Column("Reason"), Column("Object"),
                       Column("Subobject", priority=1), Column("Source", priority=1), Column("Message"),
                       Column("First Seen", priority=1), Column("Count", priority=1),
                       Column("Name", priority=1, format="name")), _event_row),
}
