"""Which Pods count, which are available, and which go first when a ReplicaSet scales down.

*Active* Pods are those not finished (Succeeded/Failed) and not being deleted: a Pod with a
``deletionTimestamp`` is on its way out and is already replaced. *Available* Pods have been Ready
for at least ``minReadySeconds``.

Scaling down, a ReplicaSet deletes the "cheapest" Pods first, in upstream's order
(``controller.ActivePodsWithRanks``)::

    1. not scheduled yet          <  scheduled
    2. Pending  <  Unknown        <  Running
    3. not Ready                  <  Ready
    4. lower pod-deletion-cost    <  higher   (annotation controller.kubernetes.io/pod-deletion-cost)
    5. more sibling Pods on its node < fewer  ("doubled up" Pods go first, spreading the rest)
    6. Ready for less time        <  longer   (in log2 buckets: 1 s vs 1.5 s is a tie)
    7. more container restarts    <  fewer
    8. newer                      <  older    (again in log2 buckets; ties broken by UID)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

from ..api import meta
from ..clock import parse_rfc3339

__all__ = [
    "is_pod_active",
    "filter_active_pods",
    "is_pod_available",
    "pod_ready_time",
    "deletion_cost",
    "sort_for_deletion",
    "POD_DELETION_COST",
]

Obj = dict[str, Any]

POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def is_pod_active(pod: Obj) -> bool:
    """Not Succeeded, not Failed, not being deleted (``controller.IsPodActive``)."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod.get("metadata", {}).get("deletionTimestamp")


def filter_active_pods(pods: Iterable[Obj]) -> list[Obj]:
    return [p for p in pods if is_pod_active(p)]


def _time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError:
        return None


def pod_ready_time(pod: Obj) -> float | None:
    """When the Pod last became Ready (its Ready condition's lastTransitionTime), if Ready."""
    if not meta.pod_is_ready(pod):
        return None
    cond = meta.get_condition(pod, "Ready") or {}
    return _time(cond.get("lastTransitionTime"))


def is_pod_available(pod: Obj, min_ready_seconds: int | float, now: float) -> bool:
    """Ready, and Ready for longer than *min_ready_seconds* (``podutil.IsPodAvailable``)."""
    if not meta.pod_is_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    since = _time((meta.get_condition(pod, "Ready") or {}).get("lastTransitionTime"))
    return since is not None and since + float(min_ready_seconds) < now


def deletion_cost(pod: Obj) -> int:
    raw = (pod.get("metadata", {}).get("annotations") or {}).get(POD_DELETION_COST)
    if raw is None:
        return 0
    try:
        value = int(str(raw).strip())
    except ValueError:
        return 0
    return value if -(2**31) <= value < 2**31 else 0


def _max_restarts(pod: Obj) -> tuple[int, int]:
    status = pod.get("status") or {}
    regular = max([int(c.get("restartCount", 0)) for c in status.get("containerStatuses") or []], default=0)
    sidecars = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or []
                if c.get("restartPolicy") == "Always"}
    sidecar = max([int(c.get("restartCount", 0)) for c in status.get("initContainerStatuses") or []
                   if c.get("name") in sidecars], default=0)
    return regular, sidecar


def _log_rank_diff(t1: float, t2: float, now: float) -> int:
    """Compare two ages in powers of two (``logarithmicRankDiff``, on nanoseconds as upstream)."""
    d1, d2 = (now - t1) * 1e9, (now - t2) * 1e9
    r1 = int(math.log2(d1)) if d1 > 0 else -1
    r2 = int(math.log2(d2)) if d2 > 0 else -1
    return r1 - r2


def _after_or_zero(t1: float | None, t2: float | None) -> bool:
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _less(a: tuple[Obj, int], b: tuple[Obj, int], now: float) -> bool:
    """True when Pod *a* should be deleted before Pod *b*."""
    pa, rank_a = a
    pb, rank_b = b
    na, nb = (pa.get("spec") or {}).get("nodeName") or "", (pb.get("spec") or {}).get("nodeName") or ""
    # 1. unassigned < assigned
    if na != nb and (not na or not nb):
        return not na
    # 2. Pending < Unknown < Running
    oa = _PHASE_ORDINAL.get((pa.get("status") or {}).get("phase", ""), 0)
    ob = _PHASE_ORDINAL.get((pb.get("status") or {}).get("phase", ""), 0)
    if oa != ob:
        return oa < ob
    # 3. not ready < ready
    ra, rb = meta.pod_is_ready(pa), meta.pod_is_ready(pb)
    if ra != rb:
        return not ra
    # 4. lower pod-deletion-cost < higher
    ca, cb = deletion_cost(pa), deletion_cost(pb)
    if ca != cb:
        return ca < cb
    # 5. doubled up < not doubled up
    if rank_a != rank_b:
        return rank_a > rank_b
    uid_a, uid_b = pa["metadata"].get("uid", ""), pb["metadata"].get("uid", "")
    # 6. been ready for less time < more time
    if ra and rb:
        ta, tb = pod_ready_time(pa), pod_ready_time(pb)
        if ta != tb:
            if ta is None or tb is None:
                return _after_or_zero(ta, tb)
            diff = _log_rank_diff(ta, tb, now)
            if diff == 0:
                return uid_a < uid_b
            return diff < 0
    # 7. higher restart count < lower
    ma, mb = _max_restarts(pa), _max_restarts(pb)
    if ma[0] != mb[0]:
        return ma[0] > mb[0]
    if ma[1] != mb[1]:
        return ma[1] > mb[1]
    # 8. empty creation time < newer < older
    ta2 = _time(pa["metadata"].get("creationTimestamp"))
    tb2 = _time(pb["metadata"].get("creationTimestamp"))
    if ta2 != tb2:
        if ta2 is None or tb2 is None:
            return _after_or_zero(ta2, tb2)
        diff = _log_rank_diff(ta2, tb2, now)
        if diff == 0:
            return uid_a < uid_b
        return diff < 0
    return False


def sort_for_deletion(pods: list[Obj], ranks: list[int] | None, now: float) -> list[Obj]:
    """*pods* ordered cheapest-to-delete first; ``ranks[i]`` is how many active Pods of the same
    owner family share Pod *i*'s node (upstream's ``getPodsRankedByRelatedPodsOnSameNode``)."""
    ranks = ranks if ranks is not None else [0] * len(pods)

    def cmp(a: tuple[Obj, int], b: tuple[Obj, int]) -> int:
        if _less(a, b, now):
            return -1
        if _less(b, a, now):
            return 1
        return 0

    return [p for p, _ in sorted(zip(pods, ranks, strict=True), key=functools.cmp_to_key(cmp))]
