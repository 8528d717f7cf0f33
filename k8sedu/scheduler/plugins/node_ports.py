"""NodePorts: two Pods cannot bind the same ``hostPort`` (with the same protocol) on one node.

A port on ``0.0.0.0`` (the default hostIP) conflicts with that port on every address of the node;
a port on a specific address conflicts with the same address and with ``0.0.0.0``. Pods without
host ports skip this plugin (PreFilter returns Skip)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..framework import CycleState, NodeInfo, Pod, PreFilterResult, Snapshot, Status
from ..nodeinfo import host_ports

__all__ = ["NAME", "ERR_REASON", "NodePorts", "port_conflict"]

NAME = "NodePorts"
ERR_REASON = "node(s) didn't have free ports for the requested pod ports"
_PRE_FILTER_KEY = "PreFilter" + NAME
_ALL = "0.0.0.0"


def port_conflict(used: Mapping[str, set[tuple[str, int]]], ip: str, protocol: str, port: int) -> bool:
    """Upstream ``HostPortInfo.CheckConflict``."""
    if port <= 0:
        return False
    pp = (protocol or "TCP", port)
    ip = ip or _ALL
    if ip == _ALL:
        return any(pp in ports for ports in used.values())
    return any(pp in used.get(key, set()) for key in (_ALL, ip))


class NodePorts:
    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        pass

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> tuple[PreFilterResult | None, Status]:
        wanted = host_ports(pod)
        if not wanted:
            return None, Status.skip()
        state.write(_PRE_FILTER_KEY, wanted)
        return None, Status()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        wanted = state.read(_PRE_FILTER_KEY)
        if wanted is None:
            wanted = host_ports(pod)
        for ip, proto, port in wanted:
            if port_conflict(node.used_ports, ip, proto, port):
                return Status.unschedulable(ERR_REASON)
        return Status()
