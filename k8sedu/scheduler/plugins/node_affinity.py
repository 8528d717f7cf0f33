"""NodeAffinity: ``spec.nodeSelector`` and ``affinity.nodeAffinity``.

Filter: the node must carry every ``nodeSelector`` label and match one of the
``requiredDuringSchedulingIgnoredDuringExecution`` terms; otherwise, for good::

    node(s) didn't match Pod's node affinity/selector

A Pod pinned to named nodes (``matchFields: metadata.name In [...]``, as the DaemonSet controller
pins its Pods) is filtered on those nodes only; the others count as
``node(s) didn't satisfy plugin(s) [NodeAffinity]``.

Score: the sum of the weights of the ``preferredDuringSchedulingIgnoredDuringExecution`` terms the
node matches, scaled so the best node scores 100. Pods without preferred terms skip scoring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..framework import (
    CycleState,
    NodeInfo,
    Pod,
    PreFilterResult,
    Snapshot,
    Status,
    default_normalize_score,
)
from .helpers import RequiredNodeAffinity, preferred_terms_score, terms_match

__all__ = ["NAME", "ERR_REASON_POD", "ERR_REASON_ENFORCED", "ERR_REASON_CONFLICT", "NodeAffinity"]

NAME = "NodeAffinity"
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity"
ERR_REASON_CONFLICT = "pod affinity terms conflict"
_PRE_FILTER_KEY = "PreFilter" + NAME
_PRE_SCORE_KEY = "PreScore" + NAME


def _preferred(pod: Pod) -> list[Mapping[str, Any]] | None:
    na = ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
    preferred = na.get("preferredDuringSchedulingIgnoredDuringExecution")
    return None if preferred is None else list(preferred)


class NodeAffinity:
    """``args``: ``{"addedAffinity": NodeAffinity}`` is applied to every Pod of the profile."""

    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        added = (args or {}).get("addedAffinity") or {}
        required = added.get("requiredDuringSchedulingIgnoredDuringExecution")
        self.added_terms: list[Mapping[str, Any]] | None = (
            None if required is None else list(required.get("nodeSelectorTerms") or []))
        self.added_preferred: list[Mapping[str, Any]] | None = added.get("preferredDuringSchedulingIgnoredDuringExecution")

    # -- filter -----------------------------------------------------------------------------------
    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> tuple[PreFilterResult | None, Status]:
        required = RequiredNodeAffinity(pod)
        if required.empty and self.added_terms is None:
            return None, Status.skip()
        state.write(_PRE_FILTER_KEY, required)
        terms = required.terms
        if not terms:
            return None, Status()
        node_names: set[str] | None = None
        for term in terms:
            term_names: set[str] | None = None
            for r in term.get("matchFields") or []:
                if r.get("key") == "metadata.name" and r.get("operator") == "In":
                    values = {str(v) for v in r.get("values") or []}
                    term_names = values if term_names is None else term_names & values
            if term_names is None:
                return None, Status()  # this term may match any node (terms are ORed)
            node_names = term_names if node_names is None else node_names | term_names
        if node_names is not None and not node_names:
            return None, Status.unresolvable(ERR_REASON_CONFLICT)
        return PreFilterResult(frozenset(node_names or ())), Status()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        if self.added_terms is not None and not terms_match(self.added_terms, node.node):
            return Status.unresolvable(ERR_REASON_ENFORCED)
        required = state.read(_PRE_FILTER_KEY) or RequiredNodeAffinity(pod)
        if not required.match(node.node):
            return Status.unresolvable(ERR_REASON_POD)
        return Status()

    # -- score ------------------------------------------------------------------------------------
    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo], snapshot: Snapshot) -> Status:
        preferred = _preferred(pod)
        if preferred is None and self.added_preferred is None:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, preferred or [])
        return Status()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        preferred = state.read(_PRE_SCORE_KEY)
        if preferred is None:
            preferred = _preferred(pod) or []
        total = preferred_terms_score(preferred, node.node)
        if self.added_preferred:
            total += preferred_terms_score(self.added_preferred, node.node)
        return total

    def normalize_score(self, state: CycleState, pod: Pod, scores: dict[str, int]) -> dict[str, int]:
        return default_normalize_score(scores)
