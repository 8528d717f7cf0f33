"""The arithmetic of Deployments: surge and unavailability, revisions, annotations, conditions.

Pure functions over Deployment and ReplicaSet dicts, after upstream's
``pkg/controller/deployment/util``. The numbers of a rolling update, for ``replicas: 4``::

    maxSurge 25%        → ceil(4 × 0.25)  = 1   at most 4 + 1 = 5 Pods (counting spec.replicas)
    maxUnavailable 25%  → floor(4 × 0.25) = 1   at least 4 − 1 = 3 Pods available
    (if both come out 0, maxUnavailable becomes 1, or the rollout could never move)

A Deployment's ReplicaSets carry annotations the controller reads back later::

    deployment.kubernetes.io/revision          "3"   which rollout this ReplicaSet belongs to
    deployment.kubernetes.io/revision-history  "1"   earlier revisions of a re-used ReplicaSet (rollback)
    deployment.kubernetes.io/desired-replicas  "4"   the Deployment's replicas when last scaled
    deployment.kubernetes.io/max-replicas      "5"   replicas + maxSurge then (proportional scaling)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

from ..api import meta
from ..clock import parse_rfc3339

__all__ = [
    "REVISION", "REVISION_HISTORY", "DESIRED_REPLICAS", "MAX_REPLICAS", "ROLLBACK_TO",
    "LAST_APPLIED", "CHANGE_CAUSE", "POD_TEMPLATE_HASH", "MAX_REV_HISTORY_LENGTH_IN_CHARS",
    "REPLICA_SET_UPDATED", "FAILED_RS_CREATE", "NEW_RS_CREATED", "FOUND_NEW_RS", "NEW_RS_AVAILABLE",
    "TIMED_OUT", "PAUSED", "RESUMED", "MINIMUM_REPLICAS_AVAILABLE", "MINIMUM_REPLICAS_UNAVAILABLE",
    "scaled_value", "resolve_fenceposts", "max_surge", "max_unavailable", "replicas",
    "revision", "max_revision", "equal_ignore_hash", "find_new_replica_set", "find_old_replica_sets",
    "set_new_replica_set_annotations", "set_replicas_annotations", "replicas_annotations_need_update",
    "set_deployment_revision", "desired_replicas_annotation", "get_proportion", "new_rs_new_replicas",
    "is_saturated", "find_active_or_latest", "filter_active", "sum_spec_replicas",
    "sum_status", "deployment_complete", "deployment_progressing", "deployment_timed_out",
    "has_progress_deadline", "new_condition", "set_condition", "remove_condition",
    "by_creation", "by_size_older", "by_size_newer", "by_revision", "round_half_away",
]

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
CHANGE_CAUSE = "kubernetes.io/change-cause"
POD_TEMPLATE_HASH = "pod-template-hash"
#: the revision-history annotation is cut to about this many characters (the oldest go first)
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000

# condition reasons, as upstream's deployment util
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"

#: annotations the Deployment does not copy to its ReplicaSets (``annotationsToSkip``)
_SKIP_ANNOTATIONS = {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO}

_MAX_INT32 = 2**31 - 1


# -- numbers ------------------------------------------------------------------------------------
def round_half_away(x: float) -> int:
    """Go's ``math.Round``: halves go away from zero (Python's ``round`` goes to even)."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """An IntOrString: ``2`` → 2; ``"25%"`` of *total*, rounded up or down
    (``intstr.GetScaledValueFromIntOrPercent``)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.endswith("%"):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f'invalid value for IntOrString: invalid type: string is not a percentage: "{text}"') from None
    percent = int(text[:-1])
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def replicas(obj: Obj) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def _is_rolling(d: Obj) -> bool:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


def resolve_fenceposts(max_surge_v: Any, max_unavailable_v: Any, desired: int) -> tuple[int, int]:
    surge = scaled_value(0 if max_surge_v is None else max_surge_v, desired, True)
    unavailable = scaled_value(0 if max_unavailable_v is None else max_unavailable_v, desired, False)
    if surge == 0 and unavailable == 0:
        # both rounded to 0: the rollout could never move, so allow one unavailable Pod
        unavailable = 1
    return surge, unavailable


def _rolling_params(d: Obj) -> tuple[Any, Any]:
    ru = ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    return ru.get("maxSurge", "25%"), ru.get("maxUnavailable", "25%")


def max_surge(d: Obj) -> int:
    if not _is_rolling(d):
        return 0
    surge, _ = resolve_fenceposts(*_rolling_params(d), replicas(d))
    return surge


def max_unavailable(d: Obj) -> int:
    if not _is_rolling(d) or replicas(d) == 0:
        return 0
    _, unavailable = resolve_fenceposts(*_rolling_params(d), replicas(d))
    return min(unavailable, replicas(d))


# -- revisions and annotations ------------------------------------------------------------------
def _annotations(obj: Obj) -> dict[str, str]:
    return obj.get("metadata", {}).get("annotations") or {}


def revision(obj: Obj) -> int:
    try:
        return int(_annotations(obj).get(REVISION, "0") or 0)
    except ValueError:
        return 0


def max_revision(rss: Iterable[Obj | None]) -> int:
    return max((revision(rs) for rs in rss if rs is not None), default=0)


def _strip_empty(value: Any) -> Any:
    """Go's semantic equality treats nil and empty maps/slices alike; so do we."""
    if isinstance(value, dict):
        out = {k: _strip_empty(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_strip_empty(v) for v in value]
    return value


def equal_ignore_hash(t1: Obj | None, t2: Obj | None) -> bool:
    """Two Pod templates are equal apart from the ``pod-template-hash`` label (``EqualIgnoreHash``)."""
    a, b = meta.deep_copy(t1 or {}), meta.deep_copy(t2 or {})
    for t in (a, b):
        labels = (t.get("metadata") or {}).get("labels")
        if labels:
            labels.pop(POD_TEMPLATE_HASH, None)
    return _strip_empty(a) == _strip_empty(b)


def _created(obj: Obj) -> float:
    text = obj.get("metadata", {}).get("creationTimestamp")
    try:
        return parse_rfc3339(text) if text else 0.0
    except ValueError:
        return 0.0


def by_creation(rss: Iterable[Obj]) -> list[Obj]:
    """Oldest first; ties by name (``ReplicaSetsByCreationTimestamp``)."""
    return sorted(rss, key=lambda r: (_created(r), r["metadata"].get("name", "")))


def by_size_older(rss: Iterable[Obj]) -> list[Obj]:
    """Largest first; equal sizes oldest first (``ReplicaSetsBySizeOlder``)."""
    return sorted(rss, key=lambda r: (-replicas(r), _created(r), r["metadata"].get("name", "")))


def by_size_newer(rss: Iterable[Obj]) -> list[Obj]:
    """Largest first; equal sizes newest first (``ReplicaSetsBySizeNewer``)."""
    def cmp(a: Obj, b: Obj) -> int:
        if replicas(a) != replicas(b):
            return -1 if replicas(a) > replicas(b) else 1
        ka = (_created(a), a["metadata"].get("name", ""))
        kb = (_created(b), b["metadata"].get("name", ""))
        return (ka < kb) - (ka > kb)
    return sorted(rss, key=functools.cmp_to_key(cmp))


def by_revision(rss: Iterable[Obj]) -> list[Obj]:
    """Lowest revision first; ties by creation (``ReplicaSetsByRevision``)."""
    return sorted(rss, key=lambda r: (revision(r), _created(r), r["metadata"].get("name", "")))


def find_new_replica_set(d: Obj, rss: list[Obj]) -> Obj | None:
    """The oldest ReplicaSet whose template equals the Deployment's (``FindNewReplicaSet``)."""
    template = (d.get("spec") or {}).get("template")
    for rs in by_creation(rss):
        if equal_ignore_hash((rs.get("spec") or {}).get("template"), template):
            return rs
    return None


def find_old_replica_sets(d: Obj, rss: list[Obj]) -> tuple[list[Obj], list[Obj]]:
    """``(old ones with replicas, all old ones)`` (``FindOldReplicaSets``)."""
    new = find_new_replica_set(d, rss)
    required, all_old = [], []
    for rs in rss:
        if new is not None and rs["metadata"].get("uid") == new["metadata"].get("uid"):
            continue
        all_old.append(rs)
        if replicas(rs) != 0:
            required.append(rs)
    return required, all_old


def set_replicas_annotations(rs: Obj, desired: int, max_replicas: int) -> bool:
    ann = rs.setdefault("metadata", {}).setdefault("annotations", {})
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(max_replicas))):
        if ann.get(key) != value:
            ann[key] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: Obj, desired: int, max_replicas: int) -> bool:
    ann = _annotations(rs)
    return ann.get(DESIRED_REPLICAS) != str(desired) or ann.get(MAX_REPLICAS) != str(max_replicas)


def desired_replicas_annotation(rs: Obj) -> int | None:
    try:
        return int(_annotations(rs)[DESIRED_REPLICAS])
    except (KeyError, ValueError):
        return None


def _max_replicas_annotation(rs: Obj) -> int | None:
    try:
        return int(_annotations(rs)[MAX_REPLICAS])
    except (KeyError, ValueError):
        return None


def set_new_replica_set_annotations(d: Obj, rs: Obj, new_revision: str, exists: bool,
                                    history_limit: int = MAX_REV_HISTORY_LENGTH_IN_CHARS) -> bool:
    """Copy the Deployment's annotations (``kubernetes.io/change-cause``…) to *rs*, raise its
    revision to *new_revision* if lower, and keep the revisions it had before (a rollback re-uses
    an old ReplicaSet) in ``revision-history`` (``SetNewReplicaSetAnnotations``)."""
    ann = rs.setdefault("metadata", {}).setdefault("annotations", {})
    changed = False
    for key, value in _annotations(d).items():
        if key in _SKIP_ANNOTATIONS or ann.get(key) == value:
            continue
        ann[key] = value
        changed = True
    old_revision = ann.get(REVISION)
    had_revision = old_revision is not None
    try:
        old_int = int(old_revision) if old_revision else 0
    except ValueError:
        return changed  # garbage in the annotation: leave it alone, as upstream
    new_int = int(new_revision)
    if old_int < new_int:
        ann[REVISION] = new_revision
        changed = True
        if had_revision:
            history = ann.get(REVISION_HISTORY, "")
            if not history:
                ann[REVISION_HISTORY] = str(old_revision)
            else:
                parts = history.split(",")
                total = len(history) + len(old_revision or "") + 1
                start = 0
                while total > history_limit and start < len(parts):
                    total -= len(parts[start]) + 1
                    start += 1
                if total <= history_limit:
                    ann[REVISION_HISTORY] = ",".join(parts[start:] + [old_revision or ""])
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def set_deployment_revision(d: Obj, rev: str) -> bool:
    ann = d.setdefault("metadata", {}).setdefault("annotations", {})
    if ann.get(REVISION) == rev:
        return False
    ann[REVISION] = rev
    return True


# -- scaling ------------------------------------------------------------------------------------
def filter_active(rss: Iterable[Obj | None]) -> list[Obj]:
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


def sum_spec_replicas(rss: Iterable[Obj | None]) -> int:
    return sum(replicas(rs) for rs in rss if rs is not None)


def sum_status(rss: Iterable[Obj | None], field: str) -> int:
    return sum(int((rs.get("status") or {}).get(field, 0)) for rs in rss if rs is not None)


def new_rs_new_replicas(d: Obj, all_rss: list[Obj], new_rs: Obj) -> int:
    """How far the new ReplicaSet may scale up now (``NewRSNewReplicas``)."""
    strategy = ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate")
    if strategy == "Recreate":
        return replicas(d)
    if strategy != "RollingUpdate":
        raise ValueError(f"deployment type {strategy} isn't supported")
    surge = scaled_value(_rolling_params(d)[0], replicas(d), True)
    # Upstream sums spec.replicas only, so while an old ReplicaSet's Pod is still being deleted
    # the new one can already create its next Pod: for a moment there are more Pods than
    # replicas + maxSurge. We also count the Pods an old ReplicaSet still has (status.replicas),
    # so the bound a lesson states holds for the Pods you can see, not just for the specs.
    new_uid = (new_rs.get("metadata") or {}).get("uid")
    current = sum(
        replicas(rs) if (rs.get("metadata") or {}).get("uid") == new_uid
        else max(replicas(rs), int((rs.get("status") or {}).get("replicas", 0)))
        for rs in all_rss if rs is not None
    )
    max_total = replicas(d) + surge
    if current >= max_total:
        return replicas(new_rs)
    scale_up = min(max_total - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + scale_up


def is_saturated(d: Obj, rs: Obj | None) -> bool:
    """The new ReplicaSet runs all the replicas, all available (``IsSaturated``)."""
    if rs is None:
        return False
    desired = desired_replicas_annotation(rs)
    if desired is None:
        return False
    want = replicas(d)
    return (replicas(rs) == want and desired == want
            and int((rs.get("status") or {}).get("availableReplicas", 0)) == want)


def find_active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    """The only ReplicaSet with replicas, or the newest if none has any (``FindActiveOrLatest``)."""
    if new_rs is None and not old_rss:
        return None
    olds = list(reversed(by_creation(old_rss)))
    active = filter_active(olds + [new_rs])
    if not active:
        return new_rs if new_rs is not None else olds[0]
    return active[0] if len(active) == 1 else None


def get_proportion(rs: Obj | None, d: Obj, to_add: int, added: int, status_replicas: int) -> int:
    """This ReplicaSet's share of a scaling of the Deployment by *to_add* (``GetProportion``)."""
    if rs is None or replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, d, status_replicas)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _replica_set_fraction(rs: Obj, d: Obj, status_replicas: int) -> int:
    if replicas(d) == 0:
        return -replicas(rs)
    max_now = replicas(d) + max_surge(d)
    before = _max_replicas_annotation(rs)
    if not before:
        before = status_replicas  # the annotation is missing: use the Deployment's size
    if not before:
        return 0
    return round_half_away(replicas(rs) * max_now / before) - replicas(rs)


# -- conditions and progress --------------------------------------------------------------------
def has_progress_deadline(d: Obj) -> bool:
    pds = (d.get("spec") or {}).get("progressDeadlineSeconds")
    return pds is not None and int(pds) != _MAX_INT32


def new_condition(cond_type: str, status: str, reason: str, message: str, timestamp: str) -> Obj:
    return {"type": cond_type, "status": status, "lastUpdateTime": timestamp,
            "lastTransitionTime": timestamp, "reason": reason, "message": message}


def get_condition(status: Obj, cond_type: str) -> Obj | None:
    for c in status.get("conditions") or []:
        if c.get("type") == cond_type:
            return c
    return None


def set_condition(status: Obj, cond: Obj) -> None:
    """Upstream's ``SetDeploymentCondition``: same status and reason → nothing changes at all;
    same status → keep ``lastTransitionTime``; the condition moves to the end of the list."""
    current = get_condition(status, cond["type"])
    if current is not None and current.get("status") == cond["status"] and current.get("reason") == cond["reason"]:
        return
    cond = dict(cond)
    if current is not None and current.get("status") == cond["status"]:
        cond["lastTransitionTime"] = current.get("lastTransitionTime")
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != cond["type"]] + [cond]


def remove_condition(status: Obj, cond_type: str) -> None:
    kept = [c for c in status.get("conditions") or [] if c.get("type") != cond_type]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


def deployment_complete(d: Obj, status: Obj) -> bool:
    want = replicas(d)
    return (int(status.get("updatedReplicas", 0)) == want and int(status.get("replicas", 0)) == want
            and int(status.get("availableReplicas", 0)) == want
            and int(status.get("observedGeneration", 0)) >= int(d["metadata"].get("generation", 0)))


def deployment_progressing(d: Obj, new_status: Obj) -> bool:
    old = d.get("status") or {}

    def g(s: Obj, f: str) -> int:
        return int(s.get(f, 0))

    old_old = g(old, "replicas") - g(old, "updatedReplicas")
    new_old = g(new_status, "replicas") - g(new_status, "updatedReplicas")
    return (g(new_status, "updatedReplicas") > g(old, "updatedReplicas") or new_old < old_old
            or g(new_status, "readyReplicas") > g(old, "readyReplicas")
            or g(new_status, "availableReplicas") > g(old, "availableReplicas"))


def deployment_timed_out(d: Obj, new_status: Obj, now: float) -> bool:
    if not has_progress_deadline(d):
        return False
    cond = get_condition(new_status, "Progressing")
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    try:
        since = parse_rfc3339(cond.get("lastUpdateTime", ""))
    except ValueError:
        return False
    return since + int(d["spec"]["progressDeadlineSeconds"]) < now
