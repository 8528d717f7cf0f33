"""NodeResourcesFit: does the node have room for the Pod's *requests*, and how full would it be?

Filter (requests, not limits; the Pod's own plus those of every Pod already on the node)::

    Too many pods              the node runs ``allocatable.pods`` Pods already
    Insufficient cpu           pod request > allocatable - requested
    Insufficient memory        (same for memory; ephemeral-storage and extended resources too)

The reasons are Unschedulable, not Unresolvable: removing Pods (preemption) could make room.

Score (strategy LeastAllocated, cpu and memory with weight 1 each): the average over the resources
of ``(allocatable - requested) * 100 / allocatable`` with the Pod counted in, where a container
without a request counts as 100m cpu / 200Mi memory. Emptier nodes score higher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..framework import CycleState, NodeInfo, Pod, PreFilterResult, Snapshot, Status
from ..nodeinfo import Resource, pod_resource_requests
from . import resource_allocation as ra

__all__ = ["NAME", "NodeResourcesFit", "insufficient_resources"]

NAME = "NodeResourcesFit"
_PRE_FILTER_KEY = "PreFilter" + NAME
_PRE_SCORE_KEY = "PreScore" + NAME
_SCORERS = {
    "LeastAllocated": ra.least_allocated_scorer,
    "MostAllocated": ra.most_allocated_scorer,
}


def insufficient_resources(request: Resource, node: NodeInfo, ignored: frozenset[str] = frozenset(),
                           ignored_groups: frozenset[str] = frozenset()) -> list[str]:
    """The failure reasons, in upstream's order (pods, cpu, memory, ephemeral-storage, others)."""
    reasons = []
    if len(node.pods) + 1 > node.allocatable.allowed_pod_number:
        reasons.append("Too many pods")
    if (request.milli_cpu == 0 and request.memory == 0 and request.ephemeral_storage == 0
            and not request.scalar):
        return reasons
    alloc, used = node.allocatable, node.requested
    if request.milli_cpu > 0 and request.milli_cpu > alloc.milli_cpu - used.milli_cpu:
        reasons.append("Insufficient cpu")
    if request.memory > 0 and request.memory > alloc.memory - used.memory:
        reasons.append("Insufficient memory")
    if request.ephemeral_storage > 0 and request.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage:
        reasons.append("Insufficient ephemeral-storage")
    for name in sorted(request.scalar):
        amount = request.scalar[name]
        if amount == 0 or name in ignored or name.split("/")[0] in ignored_groups:
            continue
        if amount > alloc.scalar.get(name, 0) - used.scalar.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


class NodeResourcesFit:
    """``args``: ``{"scoringStrategy": {"type": "LeastAllocated" | "MostAllocated", "resources":
    [{"name": "cpu", "weight": 1}, ...]}, "ignoredResources": [...], "ignoredResourceGroups": [...]}``."""

    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        args = args or {}
        strategy = args.get("scoringStrategy") or {}
        self.strategy = strategy.get("type") or "LeastAllocated"
        if self.strategy not in _SCORERS:
            raise ValueError(f"scoring strategy {self.strategy} is not supported")
        self.resources = ra.resource_specs(strategy.get("resources"))
        self.ignored = frozenset(args.get("ignoredResources") or ())
        self.ignored_groups = frozenset(args.get("ignoredResourceGroups") or ())

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> tuple[PreFilterResult | None, Status]:
        state.write(_PRE_FILTER_KEY, Resource.from_amounts(pod_resource_requests(pod)))
        return None, Status()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        request = state.read(_PRE_FILTER_KEY) or Resource.from_amounts(pod_resource_requests(pod))
        reasons = insufficient_resources(request, node, self.ignored, self.ignored_groups)
        return Status.unschedulable(*reasons) if reasons else Status()

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo], snapshot: Snapshot) -> Status:
        state.write(_PRE_SCORE_KEY, ra.pod_request_list(pod, self.resources, use_requested=False))
        return Status()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        pod_requests = state.read(_PRE_SCORE_KEY) or ra.pod_request_list(pod, self.resources, use_requested=False)
        allocatable, requested = [], []
        for (name, _), req in zip(self.resources, pod_requests, strict=True):
            a, r = ra.allocatable_and_requested(node, name, req, use_requested=False)
            allocatable.append(a)
            requested.append(r if a else 0)
        return _SCORERS[self.strategy](self.resources, requested, allocatable)
