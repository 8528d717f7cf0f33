"""TaintToleration: a node's taints repel Pods that do not tolerate them.

Filter: the first ``NoSchedule`` or ``NoExecute`` taint the Pod does not tolerate rejects the node,
for good (UnschedulableAndUnresolvable: evicting other Pods would not remove a taint)::

    node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }

Score: ``PreferNoSchedule`` taints are soft. A node scores the number of them the Pod does not
tolerate, and normalization reverses it: the fewest intolerable taints scores 100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..framework import CycleState, NodeInfo, Pod, Snapshot, Status, default_normalize_score
from .helpers import find_matching_untolerated_taint, tolerations_of, tolerations_tolerate_taint

__all__ = ["NAME", "TaintToleration", "untolerated_taint_reason"]

NAME = "TaintToleration"
_PRE_SCORE_KEY = "PreScore" + NAME


def untolerated_taint_reason(taint: Mapping[str, Any]) -> str:
    return f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value') or ''}}}"


class TaintToleration:
    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        pass

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        taint = find_matching_untolerated_taint(
            node.taints, tolerations_of(pod), lambda t: t.get("effect") in ("NoSchedule", "NoExecute"))
        if taint is None:
            return Status()
        return Status.unresolvable(untolerated_taint_reason(taint))

    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo], snapshot: Snapshot) -> Status:
        prefer = [t for t in tolerations_of(pod) if (t.get("effect") or "") in ("", "PreferNoSchedule")]
        state.write(_PRE_SCORE_KEY, prefer)
        return Status()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        tolerations = state.read(_PRE_SCORE_KEY)
        if tolerations is None:
            tolerations = [t for t in tolerations_of(pod) if (t.get("effect") or "") in ("", "PreferNoSchedule")]
        return sum(1 for taint in node.taints
                   if taint.get("effect") == "PreferNoSchedule"
                   and not tolerations_tolerate_taint(tolerations, taint))

    def normalize_score(self, state: CycleState, pod: Pod, scores: dict[str, int]) -> dict[str, int]:
        return default_normalize_score(scores, reverse=True)
