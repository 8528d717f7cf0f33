"""InterPodAffinity: place a Pod near (affinity) or away from (anti-affinity) other Pods.

A term says "Pods matching this selector, in these namespaces, within the same ``topologyKey``
domain"::

    podAntiAffinity: required: {labelSelector: app=web, topologyKey: kubernetes.io/hostname}
    node-1 [web]   node-2 [web]   node-3 [ ]     → only node-3 passes: one web Pod per node

Filter (in this order, the first failure wins):

    node(s) didn't match pod affinity rules              UnschedulableAndUnresolvable
    node(s) didn't match pod anti-affinity rules         Unschedulable
    node(s) didn't satisfy existing pods anti-affinity rules   Unschedulable (their rules, not ours)

The first Pod of a group with affinity to its own labels is let through when no Pod matches yet,
or it would wait forever. Score: preferred terms (both ways, and existing Pods' required affinity
with weight 1) add or subtract their weight in each matching domain; the result is scaled min–max
to 0–100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ...api import selectors
from ..framework import MAX_NODE_SCORE, CycleState, NodeInfo, Pod, PreFilterResult, Snapshot, Status
from .helpers import label_selector

__all__ = [
    "NAME",
    "ERR_REASON_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH",
    "InterPodAffinity",
]

NAME = "InterPodAffinity"
ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules"
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules"
_PRE_FILTER_KEY = "PreFilter" + NAME
_PRE_SCORE_KEY = "PreScore" + NAME

TopologyPair = tuple[str, str]


def _ns(pod: Mapping[str, Any]) -> str:
    return (pod.get("metadata") or {}).get("namespace") or "default"


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


@dataclass(frozen=True)
class AffinityTerm:
    namespaces: frozenset[str]
    selector: selectors.Selector
    topology_key: str
    namespace_selector: selectors.Selector
    weight: int = 0

    @classmethod
    def of(cls, pod: Mapping[str, Any], term: Mapping[str, Any], weight: int = 0) -> AffinityTerm:
        namespaces = list(term.get("namespaces") or [])
        ns_sel = term.get("namespaceSelector")
        if not namespaces and ns_sel is None:
            namespaces = [_ns(pod)]
        return cls(frozenset(namespaces), label_selector(term.get("labelSelector")),
                   str(term.get("topologyKey") or ""), label_selector(ns_sel), weight)

    def matches(self, pod: Mapping[str, Any], ns_labels: Mapping[str, str]) -> bool:
        if _ns(pod) in self.namespaces or self.namespace_selector.matches(ns_labels):
            return self.selector.matches(_labels(pod))
        return False


def _terms(pod: Mapping[str, Any], kind: str, required: bool) -> list[AffinityTerm]:
    section = ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}
    if required:
        return [AffinityTerm.of(pod, t) for t in section.get("requiredDuringSchedulingIgnoredDuringExecution") or []]
    return [AffinityTerm.of(pod, w.get("podAffinityTerm") or {}, int(w.get("weight") or 0))
            for w in section.get("preferredDuringSchedulingIgnoredDuringExecution") or []]


def _ns_labels(snapshot: Snapshot, namespace: str) -> Mapping[str, str]:
    return snapshot.namespace_labels.get(namespace) or {"kubernetes.io/metadata.name": namespace}


def _add(counts: dict[TopologyPair, int], key: str, node: NodeInfo, delta: int) -> None:
    value = node.labels.get(key)
    if value is not None:
        counts[(key, value)] = counts.get((key, value), 0) + delta


@dataclass
class _PreFilterState:
    affinity: list[AffinityTerm]
    anti_affinity: list[AffinityTerm]
    affinity_counts: dict[TopologyPair, int]
    anti_affinity_counts: dict[TopologyPair, int]
    existing_anti_affinity_counts: dict[TopologyPair, int]
    pod_matches_own_affinity: bool


class InterPodAffinity:
    """``args``: ``{"hardPodAffinityWeight": 1, "ignorePreferredTermsOfExistingPods": false}``."""

    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        args = args or {}
        self.hard_pod_affinity_weight = int(args.get("hardPodAffinityWeight", 1))
        self.ignore_preferred_of_existing = bool(args.get("ignorePreferredTermsOfExistingPods", False))

    # -- filter -----------------------------------------------------------------------------------
    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> tuple[PreFilterResult | None, Status]:
        affinity = _terms(pod, "podAffinity", required=True)
        anti = _terms(pod, "podAntiAffinity", required=True)
        own_ns_labels = _ns_labels(snapshot, _ns(pod))
        existing: dict[TopologyPair, int] = {}
        for node in snapshot.have_pods_with_required_anti_affinity():
            for other in node.pods_with_required_anti_affinity:
                for t in _terms(other, "podAntiAffinity", required=True):
                    if t.matches(pod, own_ns_labels):
                        _add(existing, t.topology_key, node, 1)
        affinity_counts: dict[TopologyPair, int] = {}
        anti_counts: dict[TopologyPair, int] = {}
        if affinity or anti:
            for node in snapshot:
                for other in node.pods:
                    other_ns = _ns_labels(snapshot, _ns(other))
                    for t in affinity:
                        if t.matches(other, other_ns):
                            _add(affinity_counts, t.topology_key, node, 1)
                    for t in anti:
                        if t.matches(other, other_ns):
                            _add(anti_counts, t.topology_key, node, 1)
        if not existing and not affinity and not anti:
            return None, Status.skip()
        matches_own = all(t.matches(pod, own_ns_labels) for t in affinity)
        state.write(_PRE_FILTER_KEY, _PreFilterState(affinity, anti, affinity_counts, anti_counts, existing,
                                                     matches_own))
        return None, Status()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        s: _PreFilterState | None = state.read(_PRE_FILTER_KEY)
        if s is None:
            return Status()
        # affinity: every term must find a matching Pod in this node's domain
        pods_exist = True
        for t in s.affinity:
            value = node.labels.get(t.topology_key)
            if value is None:
                return Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH)
            if s.affinity_counts.get((t.topology_key, value), 0) <= 0:
                pods_exist = False
        if not pods_exist and not (not s.affinity_counts and s.pod_matches_own_affinity):
            return Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH)
        for t in s.anti_affinity:
            value = node.labels.get(t.topology_key)
            if value is not None and s.anti_affinity_counts.get((t.topology_key, value), 0) > 0:
                return Status.unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
        for key, value in node.labels.items():
            if s.existing_anti_affinity_counts.get((key, value), 0) > 0:
                return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)
        return Status()

    # -- score ------------------------------------------------------------------------------------
    def pre_score(self, state: CycleState, pod: Pod, nodes: Sequence[NodeInfo], snapshot: Snapshot) -> Status:
        pref_aff = _terms(pod, "podAffinity", required=False)
        pref_anti = _terms(pod, "podAntiAffinity", required=False)
        has_constraints = bool(pref_aff or pref_anti)
        if self.ignore_preferred_of_existing and not has_constraints:
            return Status.skip()
        own_ns_labels = _ns_labels(snapshot, _ns(pod))
        scores: dict[TopologyPair, int] = {}

        def process(terms: list[AffinityTerm], target: Mapping[str, Any], ns_labels: Mapping[str, str],
                    node: NodeInfo, sign: int, weight: int | None = None) -> None:
            for t in terms:
                w = t.weight if weight is None else weight
                if w and t.matches(target, ns_labels):
                    _add(scores, t.topology_key, node, w * sign)

        for node in (snapshot.node_infos if has_constraints else snapshot.have_pods_with_affinity()):
            if not node.labels:
                continue
            for other in (node.pods if has_constraints else node.pods_with_affinity):
                other_ns = _ns_labels(snapshot, _ns(other))
                process(pref_aff, other, other_ns, node, 1)
                process(pref_anti, other, other_ns, node, -1)
                if self.hard_pod_affinity_weight > 0:
                    process(_terms(other, "podAffinity", required=True), pod, own_ns_labels, node, 1,
                            self.hard_pod_affinity_weight)
                process(_terms(other, "podAffinity", required=False), pod, own_ns_labels, node, 1)
                process(_terms(other, "podAntiAffinity", required=False), pod, own_ns_labels, node, -1)
        if not scores:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, scores)
        return Status()

    def score(self, state: CycleState, pod: Pod, node: NodeInfo) -> int:
        scores: dict[TopologyPair, int] = state.read(_PRE_SCORE_KEY) or {}
        return sum(v for (key, value), v in scores.items() if node.labels.get(key) == value)

    def normalize_score(self, state: CycleState, pod: Pod, scores: dict[str, int]) -> dict[str, int]:
        if not state.read(_PRE_SCORE_KEY) or not scores:
            return dict(scores)
        lo, hi = min(scores.values()), max(scores.values())
        diff = hi - lo
        return {n: int(MAX_NODE_SCORE * ((s - lo) / diff)) if diff > 0 else 0 for n, s in scores.items()}
