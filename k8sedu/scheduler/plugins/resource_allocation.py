"""The arithmetic NodeResourcesFit and NodeResourcesBalancedAllocation share (upstream's
``resourceAllocationScorer``): for each scored resource, what the node can give (allocatable) and
what it would have handed out *with the incoming Pod* (requested)::

    node-1: allocatable cpu 2000m, memory 4Gi; already requested 500m, 1Gi
    pod:    requests 250m, 512Mi
    →       cpu (2000m, 750m)   memory (4Gi, 1.5Gi)

LeastAllocated scores each resource ``(allocatable - requested) * 100 / allocatable`` (integer
division) and averages them by weight: here cpu 62, memory 62 → 62. The emptier node wins, so
Pods spread out. MostAllocated does the reverse (bin packing).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..framework import MAX_NODE_SCORE, NodeInfo, Pod
from ..nodeinfo import pod_resource_requests

__all__ = [
    "DEFAULT_RESOURCES",
    "resource_specs",
    "pod_request_list",
    "allocatable_and_requested",
    "least_requested_score",
    "most_requested_score",
    "least_allocated_scorer",
    "most_allocated_scorer",
    "balanced_resource_scorer",
]

#: ``[{name: cpu, weight: 1}, {name: memory, weight: 1}]``, upstream's default for both plugins
DEFAULT_RESOURCES: tuple[tuple[str, int], ...] = (("cpu", 1), ("memory", 1))


def resource_specs(resources: Sequence[Mapping[str, Any]] | None) -> tuple[tuple[str, int], ...]:
    if not resources:
        return DEFAULT_RESOURCES
    return tuple((str(r["name"]), int(r.get("weight") or 1)) for r in resources)


def pod_request_list(pod: Pod, resources: Sequence[tuple[str, int]], use_requested: bool) -> list[int]:
    """What the Pod asks for, per scored resource; without ``use_requested`` a container with no
    cpu/memory request counts as 100m/200Mi (so scoring still sees it)."""
    reqs = pod_resource_requests(pod, non_zero=not use_requested)
    return [reqs.get(name, 0) for name, _ in resources]


def allocatable_and_requested(node: NodeInfo, name: str, pod_request: int, use_requested: bool) -> tuple[int, int]:
    """``(allocatable, requested including the Pod)`` of one resource; ``(0, 0)`` means "do not
    score this resource on this node"."""
    requested = node.requested if use_requested else node.non_zero_requested
    if name == "cpu":
        return node.allocatable.milli_cpu, requested.milli_cpu + pod_request
    if name == "memory":
        return node.allocatable.memory, requested.memory + pod_request
    if name == "ephemeral-storage":
        return node.allocatable.ephemeral_storage, node.requested.ephemeral_storage + pod_request
    if pod_request == 0:
        return 0, 0  # an extended resource the Pod does not use is not scored
    return node.allocatable.scalar.get(name, 0), node.requested.scalar.get(name, 0) + pod_request


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def most_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0:
        return 0
    requested = min(requested, capacity)
    return requested * MAX_NODE_SCORE // capacity


def _weighted(per_resource: Callable[[int, int], int], resources: Sequence[tuple[str, int]],
              requested: Sequence[int], allocatable: Sequence[int]) -> int:
    score = weight_sum = 0
    for (_, weight), req, alloc in zip(resources, requested, allocatable, strict=True):
        if alloc == 0:
            continue
        score += per_resource(req, alloc) * weight
        weight_sum += weight
    return score // weight_sum if weight_sum else 0


def least_allocated_scorer(resources: Sequence[tuple[str, int]], requested: Sequence[int],
                           allocatable: Sequence[int]) -> int:
    return _weighted(least_requested_score, resources, requested, allocatable)


def most_allocated_scorer(resources: Sequence[tuple[str, int]], requested: Sequence[int],
                          allocatable: Sequence[int]) -> int:
    return _weighted(most_requested_score, resources, requested, allocatable)


def balanced_resource_scorer(resources: Sequence[tuple[str, int]], requested: Sequence[int],
                             allocatable: Sequence[int]) -> int:
    """``(1 - std) * 100`` of the fractions requested/allocatable (each capped at 1)::

        cpu 0.50, memory 0.25   →  std = |0.50 - 0.25| / 2 = 0.125  →  int(87.5) = 87
        cpu 0.50, memory 0.50   →  std = 0                          →  100
    """
    fractions = []
    for req, alloc in zip(requested, allocatable, strict=True):
        if alloc == 0:
            continue
        fractions.append(min(req / alloc, 1.0))
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) * (f - mean) for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)
