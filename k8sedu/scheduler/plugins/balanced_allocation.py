"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used evenly.

With the Pod counted in (its real requests, no 100m/200Mi defaults here), each resource's fraction
``requested / allocatable`` is computed; the score is ``(1 - standard deviation) * 100``. A node
using 50% cpu and 50% memory scores 100; 80% cpu and 20% memory scores 70. This keeps a node from
running out of one resource while the other sits idle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..framework import CycleState, NodeInfo, Pod, Snapshot, Status
from . import resource_allocation as ra

__all__ = ["NAME", "NodeResourcesBalancedAllocation"]

NAME = "NodeResourcesBalancedAllocation"
_PRE_SCORE_KEY = "PreScore" + NAME


class NodeResourcesBalancedAllocation:
    """``args``: ``{"resources": [{"name": "cpu", "weight": 1}, ...]}`` (weights are ignored)."""

    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        self.resources = ra.resource_specs((args or {}).get("resources"))

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo], snapshot: Snapshot) -> Status:
        state.write(_PRE_SCORE_KEY, ra.pod_request_list(pod, self.resources, use_requested=True))
        return Status()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        pod_requests = state.read(_PRE_SCORE_KEY) or ra.pod_request_list(pod, self.resources, use_requested=True)
        allocatable, requested = [], []
        for (name, _), req in zip(self.resources, pod_requests, strict=True):
            a, r = ra.allocatable_and_requested(node, name, req, use_requested=True)
            allocatable.append(a)
            requested.append(r if a else 0)
        return ra.balanced_resource_scorer(self.resources, requested, allocatable)
