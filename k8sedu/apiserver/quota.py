"""The ResourceQuota admission plugin: refuse what would take a namespace over its quota.

Upstream keeps the usage in the quota object itself, so admission never counts the namespace::

    quota controller ──(recalculates)──▶ ResourceQuota.status.used ◀──(adds the request, CAS)── admission
                                         status.hard (copied from spec.hard)

For every quota of the namespace that limits something the new object uses: the Pod must say
``requests``/``limits`` for the cpu and memory the quota limits ("failed quota ... must specify"),
the quota's status must be known ("status unknown for quota"), and used + requested must stay within
hard ("exceeded quota"). Then status.used is written back with a compare-and-swap on its revision,
so two Pods created at once cannot both take the last slot. Only CREATE is charged; the controller
gives usage back when objects go away.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..api import kinds
from ..api.kinds import Kind
from ..api.quantity import _parse, format_quantity
from ..errors import CASFailed, Forbidden
from ..store import MemoryStore
from .paths import etcd_prefix

__all__ = ["admit", "usage", "matching_resources", "pod_usage", "add_quantities", "pretty_print",
           "COMPUTE_RESOURCES", "LEGACY_COUNTS"]

Obj = dict[str, Any]

#: the names a Pod's containers must set explicitly when a quota limits them
COMPUTE_RESOURCES = ("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory")
#: object counts with their pre-``count/`` names (upstream's legacy object count names)
LEGACY_COUNTS = {"pods": "pods", "services": "services", "replicationcontrollers": "replicationcontrollers",
                 "resourcequotas": "resourcequotas", "secrets": "secrets", "configmaps": "configmaps",
                 "persistentvolumeclaims": "persistentvolumeclaims"}
_RETRIES = 5


def _count_name(kind: Kind) -> str:
    return f"count/{kind.qualified}"


def add_quantities(a: str, b: str) -> str:
    """``"1600m" + "500m"`` → ``"2100m"``; the result keeps the format of the first operand, as
    ``Quantity.Add`` (``"1Gi" + "512Mi"`` → ``"1536Mi"``)."""
    va, fa = _parse(a)
    vb, fb = _parse(b)
    fmt = fa if va != 0 else fb
    return _format(va + vb, fmt)


def _format(v: Fraction, fmt: str) -> str:
    if fmt == "BinarySI" and v.denominator == 1 and v % 1024 == 0 and v != 0:
        return format_quantity(f"{int(v) // 1024}Ki")
    if v.denominator == 1:
        return format_quantity(str(int(v)))
    nanos = v * 10**9
    return format_quantity(f"{int(nanos)}n" if nanos.denominator == 1 else f"{int(v * 1000)}m")


def _less_or_equal(a: str, b: str) -> bool:
    return _parse(a)[0] <= _parse(b)[0]


def pretty_print(resources: dict[str, str]) -> str:
    """upstream's prettyPrint: ``requests.cpu=500m,requests.memory=1Gi`` (sorted by name)."""
    return ",".join(f"{k}={format_quantity(v)}" for k, v in sorted(resources.items()))


def _container_usage(container: Obj) -> dict[str, str]:
    res = container.get("resources") or {}
    requests, limits = res.get("requests") or {}, res.get("limits") or {}
    out: dict[str, str] = {}
    for name in ("cpu", "memory"):
        if name in requests:
            out[name] = out[f"requests.{name}"] = str(requests[name])
        if name in limits:
            out[f"limits.{name}"] = str(limits[name])
    return out


def pod_usage(pod: Obj) -> dict[str, str]:
    """What one Pod counts against a quota (upstream's podComputeUsageHelper over the Pod's
    effective requests: the sum of the app containers, or the largest init container if bigger)."""
    spec = pod.get("spec") or {}
    total: dict[str, str] = {}
    for c in spec.get("containers") or []:
        for k, v in _container_usage(c).items():
            total[k] = add_quantities(total.get(k, "0"), v)
    for c in spec.get("initContainers") or []:
        for k, v in _container_usage(c).items():
            if k not in total or not _less_or_equal(v, total[k]):
                total[k] = format_quantity(v)
    total["pods"] = "1"
    total["count/pods"] = "1"
    return total


def _pod_is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def usage(kind: Kind, obj: Obj) -> dict[str, str]:
    """What *obj* of *kind* counts against a quota; {} when it counts nothing."""
    if kind.kind == "Pod":
        return {} if _pod_is_terminal(obj) else pod_usage(obj)
    out = {_count_name(kind): "1"}
    if not kind.group and kind.plural in LEGACY_COUNTS:
        out[LEGACY_COUNTS[kind.plural]] = "1"
    if kind.kind == "Service":
        stype = (obj.get("spec") or {}).get("type")
        if stype in ("NodePort", "LoadBalancer"):
            out["services.nodeports"] = str(len((obj.get("spec") or {}).get("ports") or []))
        if stype == "LoadBalancer":
            out["services.loadbalancers"] = "1"
    if kind.kind == "PersistentVolumeClaim":
        storage = (((obj.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
        if storage is not None:
            out["requests.storage"] = str(storage)
    return out


def matching_resources(kind: Kind, hard: dict[str, Any]) -> list[str]:
    """The names in *hard* that objects of *kind* count against."""
    if kind.kind == "Pod":
        names = {"pods", "count/pods", *COMPUTE_RESOURCES}
    else:
        names = {_count_name(kind)}
        if not kind.group and kind.plural in LEGACY_COUNTS:
            names.add(LEGACY_COUNTS[kind.plural])
        if kind.kind == "Service":
            names |= {"services.nodeports", "services.loadbalancers"}
        if kind.kind == "PersistentVolumeClaim":
            names.add("requests.storage")
    return sorted(n for n in hard if n in names)


def _constraints(pod: Obj, restricted: list[str]) -> str | None:
    """upstream's podEvaluator.Constraints: each container must set what the quota limits."""
    required = set(restricted) & set(COMPUTE_RESOURCES)
    if not required:
        return None
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        have = set(_container_usage(c))
        for name in required - have:
            missing.setdefault(name, set()).add(c.get("name", ""))
    if not missing:
        return None
    parts = [f"{r} for: {','.join(sorted(missing[r]))}" for r in sorted(missing)]
    return "must specify " + "; ".join(parts)


def _forbidden(kind: Kind, obj: Obj, message: str) -> Forbidden:
    name = (obj.get("metadata") or {}).get("name", "")
    return Forbidden(f'{kind.qualified} "{name}" is forbidden: {message}',
                     details={"name": name, "kind": kind.plural})


def admit(store: MemoryStore, kind: Kind, obj: Obj, namespace: str | None, operation: str,
          dry_run: bool = False) -> None:
    """Check *obj* against every ResourceQuota of *namespace* and charge it (CREATE only).

    Raises Forbidden with upstream's words; on success the quotas' ``status.used`` already
    include *obj* (unless *dry_run*)."""
    if operation != "CREATE" or not kind.namespaced or not namespace or kind.kind == "Event":
        return
    requested = usage(kind, obj)
    if not requested and kind.kind != "Pod":
        return
    quota_kind = kinds.lookup("resourcequotas")
    for _ in range(_RETRIES):
        kvs, _rev = store.range(etcd_prefix(quota_kind, namespace))
        updates = []
        for kv in sorted(kvs, key=lambda kv: kv.value["metadata"]["name"]):
            quota = kv.value
            qname = quota["metadata"]["name"]
            status = quota.get("status") or {}
            hard = {k: str(v) for k, v in (status.get("hard") or {}).items()}
            restricted = matching_resources(kind, hard)  # status.hard: what the controller has seen
            if not restricted:
                continue
            if kind.kind == "Pod":
                problem = _constraints(obj, restricted)
                if problem:
                    raise _forbidden(kind, obj, f"failed quota: {qname}: {problem}")
            used = {k: str(v) for k, v in (status.get("used") or {}).items()}
            if any(r not in used for r in restricted):
                raise _forbidden(kind, obj, f"status unknown for quota: {qname}, resources: {','.join(restricted)}")
            new_used = dict(used)
            for r in restricted:
                if r in requested:
                    new_used[r] = add_quantities(used[r], requested[r])
            exceeded = [r for r in restricted if r in requested and not _less_or_equal(new_used[r], hard[r])]
            if exceeded:
                raise _forbidden(
                    kind, obj,
                    f"exceeded quota: {qname}, requested: {pretty_print({r: requested[r] for r in exceeded})}, "
                    f"used: {pretty_print({r: used[r] for r in exceeded})}, "
                    f"limited: {pretty_print({r: hard[r] for r in exceeded})}",
                )
            if new_used != used:
                updates.append((kv, new_used))
        if dry_run:
            return
        try:
            for kv, new_used in updates:
                quota = dict(kv.value)
                quota["status"] = {**(kv.value.get("status") or {}), "used": new_used}
                store.update(kv.key, quota, kv.mod_revision)
            return
        except CASFailed:
            continue  # the controller or another admission wrote meanwhile: evaluate again
    raise _forbidden(kind, obj, "Operation cannot be fulfilled on resourcequotas: the quota changed too often")
