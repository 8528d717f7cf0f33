"""PodTopologySpread: spread matching Pods evenly over topology domains (nodes, zones…).

A constraint ``{maxSkew, topologyKey, whenUnsatisfiable, labelSelector}`` counts the Pods its
selector matches in each domain (each value of the node label ``topologyKey``)::

    topologyKey: kubernetes.io/hostname, maxSkew: 1
    node-1 ●●   node-2 ●   node-3 ●      placing one more on node-1 gives skew 3 - 1 = 2 > 1

``whenUnsatisfiable: DoNotSchedule`` is a Filter (``node(s) didn't match pod topology spread
constraints``); ``ScheduleAnyway`` only lowers the Score of crowded domains. A Pod without
constraints of its own gets the cluster default ones (hostname maxSkew 3, zone maxSkew 5, both
ScheduleAnyway) with the selector of the Services / ReplicaSets / StatefulSets it belongs to, so
the replicas of a Deployment spread out even when nobody asked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ...api import selectors
from ..framework import MAX_NODE_SCORE, CycleState, NodeInfo, Pod, PreFilterResult, Snapshot, Status
from .helpers import (
    RequiredNodeAffinity,
    find_matching_untolerated_taint,
    label_selector,
    tolerations_of,
)

__all__ = [
    "NAME",
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "SYSTEM_DEFAULT_CONSTRAINTS",
    "PodTopologySpread",
    "default_selector",
]

NAME = "PodTopologySpread"
ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"
SYSTEM_DEFAULT_CONSTRAINTS: tuple[Mapping[str, Any], ...] = (
    {"topologyKey": LABEL_HOSTNAME, "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 3},
    {"topologyKey": LABEL_ZONE, "whenUnsatisfiable": "ScheduleAnyway", "maxSkew": 5},
)
_PRE_FILTER_KEY = "PreFilter" + NAME
_PRE_SCORE_KEY = "PreScore" + NAME


@dataclass(frozen=True)
class Constraint:
    max_skew: int
    topology_key: str
    selector: selectors.Selector
    min_domains: int = 1
    node_affinity_policy: str = "Honor"
    node_taints_policy: str = "Ignore"

    def includes_node(self, pod: Pod, node: NodeInfo, required: RequiredNodeAffinity) -> bool:
        if self.node_affinity_policy == "Honor" and not required.match(node.node):
            return False
        if self.node_taints_policy == "Honor" and find_matching_untolerated_taint(
                node.taints, tolerations_of(pod), lambda t: t.get("effect") in ("NoSchedule", "NoExecute")):
            return False
        return True


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _namespace(obj: Mapping[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("namespace") or "default"


def _constraints(specs: Sequence[Mapping[str, Any]], pod_labels: Mapping[str, str], action: str) -> list[Constraint]:
    out = []
    for c in specs:
        if c.get("whenUnsatisfiable", "DoNotSchedule") != action:
            continue
        sel = label_selector(c.get("labelSelector"))
        match = {k: pod_labels[k] for k in c.get("matchLabelKeys") or [] if k in pod_labels}
        if match and not sel.nothing:
            sel = selectors.selector_from_set(match).add(*sel.requirements)
        out.append(Constraint(int(c.get("maxSkew") or 1), str(c.get("topologyKey") or ""), sel,
                              int(c.get("minDomains") or 1), c.get("nodeAffinityPolicy") or "Honor",
                              c.get("nodeTaintsPolicy") or "Ignore"))
    return out


def default_selector(pod: Pod, snapshot: Snapshot) -> selectors.Selector:
    """The selectors of the Services that select the Pod, merged with that of its controlling
    ReplicaSet / StatefulSet / ReplicationController (upstream ``helper.DefaultSelector``)."""
    ns, labels = _namespace(pod), _labels(pod)
    merged: dict[str, str] = {}
    for svc in snapshot.services:
        sel = (svc.get("spec") or {}).get("selector") or {}
        if _namespace(svc) == ns and sel and all(labels.get(k) == v for k, v in sel.items()):
            merged.update(sel)
    selector = selectors.selector_from_set(merged) if merged else selectors.Selector()
    owner = next((r for r in (pod.get("metadata") or {}).get("ownerReferences") or [] if r.get("controller")), None)
    if owner is None:
        return selector
    kind = owner.get("kind")
    pools = {"ReplicationController": snapshot.replication_controllers, "ReplicaSet": snapshot.replica_sets,
             "StatefulSet": snapshot.stateful_sets}
    for obj in pools.get(str(kind), []):
        md = obj.get("metadata") or {}
        if md.get("name") != owner.get("name") or _namespace(obj) != ns:
            continue
        sel = (obj.get("spec") or {}).get("selector")
        if kind == "ReplicationController":
            merged.update(sel or {})
            return selectors.selector_from_set(merged)
        other = label_selector(sel)
        if not other.nothing:
            selector = selector.add(*other.requirements)
        return selector
    return selector


def _count_matching(node: NodeInfo, selector: selectors.Selector, namespace: str) -> int:
    count = 0
    for p in node.pods:
        md = p.get("metadata") or {}
        if md.get("deletionTimestamp") or (md.get("namespace") or "default") != namespace:
            continue  # terminating Pods do not count
        if selector.matches(md.get("labels") or {}):
            count += 1
    return count


class PodTopologySpread:
    """``args``: ``{"defaultConstraints": [...], "defaultingType": "System" | "List"}``."""

    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        args = args or {}
        if args.get("defaultingType") == "List":
            self.default_constraints = tuple(args.get("defaultConstraints") or ())
            self.system_defaulted = False
        else:
            self.default_constraints = SYSTEM_DEFAULT_CONSTRAINTS
            self.system_defaulted = True

    def _get_constraints(self, pod: Pod, snapshot: Snapshot, action: str) -> list[Constraint]:
        own = (pod.get("spec") or {}).get("topologySpreadConstraints") or []
        if own:
            return _constraints(own, _labels(pod), action)
        constraints = _constraints(self.default_constraints, _labels(pod), action)
        if not constraints:
            return []
        sel = default_selector(pod, snapshot)
        if not sel.requirements:
            return []
        return [Constraint(c.max_skew, c.topology_key, sel, c.min_domains, c.node_affinity_policy,
                           c.node_taints_policy) for c in constraints]

    # -- filter -----------------------------------------------------------------------------------
    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> tuple[PreFilterResult | None, Status]:
        constraints = self._get_constraints(pod, snapshot, "DoNotSchedule")
        if not constraints:
            return None, Status.skip()
        required = RequiredNodeAffinity(pod)
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for node in snapshot:
            if not all(c.topology_key in node.labels for c in constraints):
                continue
            for i, c in enumerate(constraints):
                if not c.includes_node(pod, node, required):
                    continue
                value = node.labels[c.topology_key]
                counts[i][value] = counts[i].get(value, 0) + _count_matching(node, c.selector, _namespace(pod))
        state.write(_PRE_FILTER_KEY, (constraints, counts))
        return None, Status()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        constraints, counts = state.read(_PRE_FILTER_KEY) or ([], [])
        for i, c in enumerate(constraints):
            value = node.labels.get(c.topology_key)
            if value is None:
                return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH)
            domains = counts[i]
            min_match = min(domains.values()) if domains else 2**31 - 1
            if len(domains) < c.min_domains:
                min_match = 0
            self_match = 1 if c.selector.matches(_labels(pod)) else 0
            skew = domains.get(value, 0) + self_match - min_match
            if skew > c.max_skew:
                return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)
        return Status()

    # -- score ------------------------------------------------------------------------------------
    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo], snapshot: Snapshot) -> Status:
        if len(snapshot) == 0:
            return Status.skip()
        constraints = self._get_constraints(pod, snapshot, "ScheduleAnyway")
        if not constraints:
            return Status.skip()
        require_all = bool((pod.get("spec") or {}).get("topologySpreadConstraints")) or not self.system_defaulted
        ignored: set[str] = set()
        counts: list[dict[str, int]] = [{} for _ in constraints]
        topo_size = [0] * len(constraints)
        for node in nodes:
            if require_all and not all(c.topology_key in node.labels for c in constraints):
                ignored.add(node.name)
                continue
            for i, c in enumerate(constraints):
                if c.topology_key == LABEL_HOSTNAME:
                    continue  # per-node counts are taken in Score
                value = node.labels.get(c.topology_key, "")
                if value not in counts[i]:
                    counts[i][value] = 0
                    topo_size[i] += 1
        weights = []
        for i, c in enumerate(constraints):
            size = len(nodes) - len(ignored) if c.topology_key == LABEL_HOSTNAME else topo_size[i]
            weights.append(math.log(size + 2))
        required = RequiredNodeAffinity(pod)
        for node in snapshot:
            if require_all and not all(c.topology_key in node.labels for c in constraints):
                continue
            for i, c in enumerate(constraints):
                if not c.includes_node(pod, node, required):
                    continue
                value = node.labels.get(c.topology_key, "")
                if value in counts[i]:
                    counts[i][value] += _count_matching(node, c.selector, _namespace(pod))
        state.write(_PRE_SCORE_KEY, (constraints, counts, weights, ignored))
        return Status()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        constraints, counts, weights, ignored = state.read(_PRE_SCORE_KEY)
        if node.name in ignored:
            return 0
        total = 0.0
        for i, c in enumerate(constraints):
            value = node.labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == LABEL_HOSTNAME:
                cnt = _count_matching(node, c.selector, _namespace(pod))
            else:
                cnt = counts[i].get(value, 0)
            total += cnt * weights[i] + (c.max_skew - 1)
        return int(math.floor(total + 0.5))  # Go's math.Round: half away from zero

    def normalize_score(self, state: CycleState, pod: Pod, scores: dict[str, int]) -> dict[str, int]:
        _, _, _, ignored = state.read(_PRE_SCORE_KEY)
        valid = [s for n, s in scores.items() if n not in ignored]
        if not valid:
            return {n: 0 for n in scores}
        lo, hi = min(valid), max(valid)
        out = {}
        for n, s in scores.items():
            if n in ignored:
                out[n] = 0
            elif hi == 0:
                out[n] = MAX_NODE_SCORE
            else:
                out[n] = MAX_NODE_SCORE * (hi + lo - s) // hi
        return out
