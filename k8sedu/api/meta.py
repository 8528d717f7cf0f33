"""Small helpers over object metadata, owners, conditions and Pods.

Objects are plain JSON dicts everywhere, so these are plain functions. The owner helpers follow
upstream's ``metav1.GetControllerOf`` / ``IsControlledBy``: an object has at most one owner
reference with ``controller: true``, and that owner is the one that reconciles it::

    Deployment web  ──controller──▶  ReplicaSet web-7d4b9c8f5  ──controller──▶  Pod web-7d4b9c8f5-x2k8p
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from k8sedu.api.quantity import cpu_millis, memory_bytes

__all__ = [
    "key",
    "split_key",
    "new_uid",
    "deep_copy",
    "controller_ref",
    "owner_of",
    "is_controlled_by",
    "make_controller_ref",
    "pod_is_ready",
    "pod_requests",
    "container_requests",
    "pod_qos_class",
    "get_condition",
    "set_condition",
    "pod_template_hash",
    "SAFE_ENCODE_ALPHABET",
]

#: the characters upstream's ``rand.SafeEncodeString`` maps to (no vowels, no look-alikes)
SAFE_ENCODE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def key(obj: Mapping[str, Any]) -> str:
    """``"default/web"`` for a namespaced object, ``"node-1"`` for a cluster-scoped one."""
    md = obj.get("metadata") or {}
    ns = md.get("namespace")
    return f"{ns}/{md.get('name', '')}" if ns else str(md.get("name", ""))


def split_key(k: str) -> tuple[str | None, str]:
    """``"default/web"`` → ``("default", "web")``; ``"node-1"`` → ``(None, "node-1")``."""
    ns, sep, name = k.partition("/")
    return (ns, name) if sep else (None, ns)


def new_uid() -> str:
    return str(uuid.uuid4())


def deep_copy(obj: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, scalars); much faster than ``copy.deepcopy``."""
    if isinstance(obj, dict):
        return {k: deep_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [deep_copy(v) for v in obj]
    if isinstance(obj, tuple):
        return [deep_copy(v) for v in obj]
    return obj


def controller_ref(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """The owner reference with ``controller: true``, or None (``metav1.GetControllerOf``)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def owner_of(obj: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    """The controller reference if it points to a *kind* ("ReplicaSet"), else None."""
    ref = controller_ref(obj)
    return ref if ref is not None and ref.get("kind") == kind else None


def is_controlled_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    """True when *obj*'s controller reference carries *owner*'s uid."""
    ref = controller_ref(obj)
    uid = (owner.get("metadata") or {}).get("uid")
    return ref is not None and uid is not None and ref.get("uid") == uid


def make_controller_ref(
    owner: Mapping[str, Any], kind: str | None = None, api_version: str | None = None
) -> dict[str, Any]:
    """The ``ownerReferences`` entry a controller puts on what it creates (``NewControllerRef``)."""
    md = owner.get("metadata") or {}
    return {
        "apiVersion": api_version or owner.get("apiVersion", ""),
        "kind": kind or owner.get("kind", ""),
        "name": md.get("name", ""),
        "uid": md.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


# -- conditions ---------------------------------------------------------------------------------
def get_condition(obj: Mapping[str, Any], cond_type: str) -> dict[str, Any] | None:
    """The condition of *cond_type* in ``obj["status"]["conditions"]`` (or in a status dict)."""
    status = obj.get("status", obj) if "status" in obj else obj
    for cond in (status or {}).get("conditions") or []:
        if cond.get("type") == cond_type:
            return cond
    return None


def set_condition(status: dict[str, Any], cond: Mapping[str, Any]) -> bool:
    """Put *cond* into ``status["conditions"]``; True if anything changed.

    As upstream's condition helpers, ``lastTransitionTime`` only moves when ``status`` changes:
    a condition that stays True keeps the time it first became True.
    """
    conditions = status.setdefault("conditions", [])
    new = dict(cond)
    for i, old in enumerate(conditions):
        if old.get("type") != new.get("type"):
            continue
        if old.get("status") == new.get("status") and "lastTransitionTime" in old:
            new["lastTransitionTime"] = old["lastTransitionTime"]
        if old == new:
            return False
        conditions[i] = new
        return True
    conditions.append(new)
    return True


# -- pods ---------------------------------------------------------------------------------------
def pod_is_ready(pod: Mapping[str, Any]) -> bool:
    """True when the Pod's ``Ready`` condition is ``"True"`` (``podutil.IsPodReady``)."""
    cond = get_condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def container_requests(container: Mapping[str, Any]) -> dict[str, int]:
    """``{"cpu": millicores, "memory": bytes}`` one container asks for (limits stand in for missing
    requests, as upstream's defaulting copies them)."""
    res = container.get("resources") or {}
    requests = res.get("requests") or {}
    limits = res.get("limits") or {}
    cpu = requests.get("cpu", limits.get("cpu"))
    mem = requests.get("memory", limits.get("memory"))
    return {
        "cpu": cpu_millis(cpu) if cpu is not None else 0,
        "memory": memory_bytes(mem) if mem is not None else 0,
    }


def pod_requests(pod: Mapping[str, Any]) -> dict[str, int]:
    """What the scheduler counts for a Pod: the sum over its containers, or the largest init
    container if that is more (init containers run one at a time, before the others), plus the
    Pod overhead. As ``resourcehelper.PodRequests`` without sidecars."""
    spec = pod.get("spec") or {}
    total = {"cpu": 0, "memory": 0}
    for c in spec.get("containers") or []:
        r = container_requests(c)
        total["cpu"] += r["cpu"]
        total["memory"] += r["memory"]
    for c in spec.get("initContainers") or []:
        r = container_requests(c)
        total["cpu"] = max(total["cpu"], r["cpu"])
        total["memory"] = max(total["memory"], r["memory"])
    overhead = spec.get("overhead") or {}
    if "cpu" in overhead:
        total["cpu"] += cpu_millis(overhead["cpu"])
    if "memory" in overhead:
        total["memory"] += memory_bytes(overhead["memory"])
    return total


def pod_qos_class(pod: Mapping[str, Any]) -> str:
    """``Guaranteed``, ``Burstable`` or ``BestEffort``, as upstream's ``qos.GetPodQOS``."""
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req = {k: v for k, v in (res.get("requests") or {}).items() if k in ("cpu", "memory")}
        lim = {k: v for k, v in (res.get("limits") or {}).items() if k in ("cpu", "memory")}
        for name, q in req.items():
            if cpu_millis(q) != 0:
                requests[name] = q
        for name, q in lim.items():
            if cpu_millis(q) != 0:
                limits[name] = q
        if set(lim) != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed:
        for c in containers:
            res = c.get("resources") or {}
            req = res.get("requests") or {}
            lim = res.get("limits") or {}
            for name in ("cpu", "memory"):
                if name in req and cpu_millis(req[name]) != cpu_millis(lim[name]):
                    guaranteed = False
        if guaranteed:
            return "Guaranteed"
    return "Burstable"


# -- pod-template-hash --------------------------------------------------------------------------
def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def pod_template_hash(template: Mapping[str, Any], collision_count: int | None = None) -> str:
    """The ``pod-template-hash`` label of a Deployment's ReplicaSet (``controller.ComputeHash``).

    Upstream hashes the Go struct with FNV-32a and encodes the decimal number with
    ``rand.SafeEncodeString``; we hash the canonical JSON, so the shape and alphabet are upstream's
    (up to 10 characters from ``bcdfghjklmnpqrstvwxz2456789``), the exact value is ours. Equal
    templates give equal hashes; ``collision_count`` makes a new one after a collision.
    """
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    h = _fnv32a(data)
    if collision_count is not None:
        h = _fnv32a(data + collision_count.to_bytes(4, "little", signed=False))
    return "".join(SAFE_ENCODE_ALPHABET[b % len(SAFE_ENCODE_ALPHABET)] for b in str(h).encode())
