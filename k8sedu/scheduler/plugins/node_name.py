"""NodeName: a Pod that names a node in ``spec.nodeName`` fits that node only.

(A Pod created with ``spec.nodeName`` never reaches the scheduler at all: the kubelet of that node
runs it directly. The plugin matters for the scheduling simulations that reuse the filters.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..framework import CycleState, NodeInfo, Pod, Status

__all__ = ["NAME", "ERR_REASON", "NodeName"]

NAME = "NodeName"
ERR_REASON = "node(s) didn't match the requested node name"


class NodeName:
    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        pass

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        wanted = (pod.get("spec") or {}).get("nodeName")
        if not wanted or wanted == node.name:
            return Status()
        return Status.unresolvable(ERR_REASON)
