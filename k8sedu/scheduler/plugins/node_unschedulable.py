"""NodeUnschedulable: a cordoned node (``spec.unschedulable: true``, ``kubectl cordon``) takes no
new Pods, unless the Pod tolerates the ``node.kubernetes.io/unschedulable:NoSchedule`` taint
(DaemonSet Pods do). Pods already running there stay: cordoning is not draining."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..framework import CycleState, NodeInfo, Pod, Status
from .helpers import tolerations_of, tolerations_tolerate_taint

__all__ = ["NAME", "ERR_REASON_UNSCHEDULABLE", "TAINT_NODE_UNSCHEDULABLE", "NodeUnschedulable"]

NAME = "NodeUnschedulable"
ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"


class NodeUnschedulable:
    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        pass

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        if not (node.node.get("spec") or {}).get("unschedulable"):
            return Status()
        taint = {"key": TAINT_NODE_UNSCHEDULABLE, "effect": "NoSchedule"}
        if tolerations_tolerate_taint(tolerations_of(pod), taint):
            return Status()
        return Status.unresolvable(ERR_REASON_UNSCHEDULABLE)
