"""Matching rules several plugins share: tolerations against taints, node selectors, pod terms.

Taints and tolerations (upstream ``Toleration.ToleratesTaint``)::

    taint        key=dedicated  value=gpu  effect=NoSchedule
    toleration   key=dedicated  operator=Equal   value=gpu  effect=NoSchedule   ✓ tolerates
                 key=dedicated  operator=Exists             (any effect)        ✓ tolerates
                 operator=Exists  (no key)                                       ✓ tolerates every taint
                 key=dedicated  operator=Equal   value=cpu                      ✗ value differs

Node selector requirements (``nodeAffinity`` terms) have six operators::

    In / NotIn         label value in / not in the list (NotIn also matches a missing label)
    Exists / DoesNotExist
    Gt / Lt            label value, read as an integer, greater / less than values[0]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ...api import selectors

__all__ = [
    "tolerations_of",
    "tolerates",
    "tolerations_tolerate_taint",
    "find_matching_untolerated_taint",
    "requirement_matches",
    "term_matches",
    "terms_match",
    "RequiredNodeAffinity",
    "preferred_terms_score",
    "label_selector",
]

Obj = Mapping[str, Any]


def tolerations_of(pod: Obj) -> list[Obj]:
    return list((pod.get("spec") or {}).get("tolerations") or [])


def tolerates(toleration: Obj, taint: Obj) -> bool:
    """Does one toleration tolerate one taint (upstream ``ToleratesTaint``)?"""
    effect = toleration.get("effect") or ""
    if effect and effect != (taint.get("effect") or ""):
        return False
    key = toleration.get("key") or ""
    if key and key != (taint.get("key") or ""):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return op == "Exists"


def tolerations_tolerate_taint(tolerations: Iterable[Obj], taint: Obj) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def find_matching_untolerated_taint(taints: Iterable[Obj], tolerations: Sequence[Obj],
                                    want: Callable[[Obj], bool] | None = None) -> Obj | None:
    """The first taint (in the node's order) that *want* selects and no toleration tolerates."""
    for taint in taints:
        if want is not None and not want(taint):
            continue
        if not tolerations_tolerate_taint(tolerations, taint):
            return taint
    return None


# -- node selectors -------------------------------------------------------------------------------
def _int(text: Any) -> int | None:
    try:
        return int(str(text), 10)
    except ValueError:
        return None


def requirement_matches(req: Obj, labels: Mapping[str, str]) -> bool:
    """One ``NodeSelectorRequirement`` against node labels (an invalid one matches nothing)."""
    key, op, values = req.get("key") or "", req.get("operator"), [str(v) for v in req.get("values") or []]
    present = key in labels
    value = labels.get(key, "")
    if op == "In":
        return bool(values) and present and value in values
    if op == "NotIn":
        return bool(values) and (not present or value not in values)
    if op == "Exists":
        return not values and present
    if op == "DoesNotExist":
        return not values and not present
    if op in ("Gt", "Lt"):
        if len(values) != 1 or not present:
            return False
        want, have = _int(values[0]), _int(value)
        if want is None or have is None:
            return False
        return have > want if op == "Gt" else have < want
    return False


def _field_matches(req: Obj, node: Obj) -> bool:
    """``matchFields`` knows one field, ``metadata.name``, with In / NotIn."""
    if req.get("key") != "metadata.name":
        return False
    return requirement_matches(req, {"metadata.name": str((node.get("metadata") or {}).get("name", ""))})


def term_matches(term: Obj | None, node: Obj) -> bool:
    """A ``NodeSelectorTerm``: all its requirements hold. An empty term matches nothing."""
    term = term or {}
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    labels = (node.get("metadata") or {}).get("labels") or {}
    return all(requirement_matches(r, labels) for r in exprs) and all(_field_matches(r, node) for r in fields)


def terms_match(terms: Iterable[Obj], node: Obj) -> bool:
    """``nodeSelectorTerms`` are ORed: one matching term is enough."""
    return any(term_matches(t, node) for t in terms)


class RequiredNodeAffinity:
    """``spec.nodeSelector`` AND ``requiredDuringSchedulingIgnoredDuringExecution`` of a Pod
    (upstream ``nodeaffinity.GetRequiredNodeAffinity``)."""

    def __init__(self, pod: Obj) -> None:
        spec = pod.get("spec") or {}
        self.node_selector: Mapping[str, str] = spec.get("nodeSelector") or {}
        required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                    .get("requiredDuringSchedulingIgnoredDuringExecution"))
        self.terms: list[Obj] | None = None if required is None else list(required.get("nodeSelectorTerms") or [])

    @property
    def empty(self) -> bool:
        return not self.node_selector and self.terms is None

    def match(self, node: Obj) -> bool:
        labels = (node.get("metadata") or {}).get("labels") or {}
        for k, v in self.node_selector.items():
            if labels.get(k) != v:
                return False
        if self.terms is not None:
            return terms_match(self.terms, node)
        return True


def preferred_terms_score(preferred: Iterable[Obj], node: Obj) -> int:
    """Sum of the weights of the ``PreferredSchedulingTerm``s the node matches (weight 0 and
    empty terms are ignored, as upstream)."""
    total = 0
    for p in preferred:
        weight = int(p.get("weight") or 0)
        if weight and term_matches(p.get("preference"), node):
            total += weight
    return total


def label_selector(sel: Obj | None) -> selectors.Selector:
    """A ``metav1.LabelSelector``: nil selects nothing, ``{}`` selects everything."""
    if sel is None:
        return selectors.nothing()
    try:
        return selectors.from_label_selector(sel)
    except ValueError:
        return selectors.nothing()
