"""The LimitRanger admission plugin: default and bound the resources of a namespace's Pods.

A LimitRange of ``type: Container`` gives each container that says nothing its ``default`` limits
and ``defaultRequest`` requests (recorded in the Pod's ``kubernetes.io/limit-ranger`` annotation),
then refuses a container outside ``min``/``max`` or above ``maxLimitRequestRatio``; ``type: Pod``
bounds the sum over the Pod's containers. Messages are upstream's, e.g.::

    pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2

The LimitRange object itself is defaulted as upstream's ``SetDefaults_LimitRangeItem``: a missing
``default`` is the ``max``, a missing ``defaultRequest`` the ``default``, else the ``min``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..api.kinds import Kind
from ..api.quantity import format_quantity, parse_quantity
from ..errors import Forbidden

__all__ = ["admit", "default_limit_range", "validate_pod", "LIMIT_RANGER_ANNOTATION"]

Obj = dict[str, Any]
LIMIT_RANGER_ANNOTATION = "kubernetes.io/limit-ranger"


def default_limit_range(lr: Obj) -> None:
    """upstream's SetDefaults_LimitRangeItem, in place."""
    for item in (lr.get("spec") or {}).get("limits") or []:
        if item.get("type") != "Container":
            continue
        default = item.setdefault("default", {})
        default_request = item.setdefault("defaultRequest", {})
        for k, v in (item.get("max") or {}).items():
            default.setdefault(k, v)
        for k, v in default.items():
            default_request.setdefault(k, v)
        for k, v in (item.get("min") or {}).items():
            default_request.setdefault(k, v)
        if not default:
            item.pop("default")
        if not default_request:
            item.pop("defaultRequest")


def _apply_defaults(pod: Obj, limit_ranges: list[Obj]) -> None:
    default_limits: dict[str, Any] = {}
    default_requests: dict[str, Any] = {}
    for lr in limit_ranges:
        for item in (lr.get("spec") or {}).get("limits") or []:
            if item.get("type") == "Container":
                for k, v in (item.get("default") or {}).items():
                    default_limits.setdefault(k, v)
                for k, v in (item.get("defaultRequest") or {}).items():
                    default_requests.setdefault(k, v)
    if not default_limits and not default_requests:
        return
    notes: list[str] = []
    spec = pod.setdefault("spec", {})
    for field, label in (("initContainers", "init container"), ("containers", "container")):
        for c in spec.get(field) or []:
            res = c.setdefault("resources", {})
            limits, requests = res.get("limits") or {}, res.get("requests") or {}
            set_limits = [k for k in default_limits if k not in limits]
            for k in set_limits:
                limits[k] = default_limits[k]
            set_requests = []
            for k, v in default_requests.items():
                if k in requests:
                    continue
                # a limit the user set (not the default) is the request, as upstream's defaulting
                requests[k] = limits[k] if k in limits and k not in set_limits else v
                set_requests.append(k)
            if limits:
                res["limits"] = limits
            if requests:
                res["requests"] = requests
            if set_requests:
                notes.append(f"{', '.join(sorted(set_requests))} request for {label} {c.get('name', '')}")
            if set_limits:
                notes.append(f"{', '.join(sorted(set_limits))} limit for {label} {c.get('name', '')}")
    if notes:
        md = pod.setdefault("metadata", {})
        md.setdefault("annotations", {})[LIMIT_RANGER_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def _q(v: Any) -> Fraction:
    return parse_quantity(v)


def _min(limit_type: str, name: str, enforced: Any, request: Obj, limit: Obj) -> str | None:
    e = format_quantity(enforced)
    if name not in request:
        return f"minimum {name} usage per {limit_type} is {e}.  No request is specified"
    if _q(request[name]) < _q(enforced):
        return f"minimum {name} usage per {limit_type} is {e}, but request is {format_quantity(request[name])}"
    if name in limit and _q(limit[name]) < _q(enforced):
        return f"minimum {name} usage per {limit_type} is {e}, but limit is {format_quantity(limit[name])}"
    return None


def _max(limit_type: str, name: str, enforced: Any, request: Obj, limit: Obj) -> str | None:
    e = format_quantity(enforced)
    if name not in limit:
        return f"maximum {name} usage per {limit_type} is {e}.  No limit is specified"
    if _q(limit[name]) > _q(enforced):
        return f"maximum {name} usage per {limit_type} is {e}, but limit is {format_quantity(limit[name])}"
    if name in request and _q(request[name]) > _q(enforced):
        return f"maximum {name} usage per {limit_type} is {e}, but request is {format_quantity(request[name])}"
    return None


def _ratio(limit_type: str, name: str, enforced: Any, request: Obj, limit: Obj) -> str | None:
    e = format_quantity(enforced)
    if name not in request or _q(request[name]) == 0:
        return f"{name} max limit to request ratio per {limit_type} is {e}, but no request is specified or request is 0"
    if name not in limit or _q(limit[name]) == 0:
        return f"{name} max limit to request ratio per {limit_type} is {e}, but no limit is specified or limit is 0"
    observed = _q(limit[name]) / _q(request[name])
    if observed > _q(enforced):
        return (f"{name} max limit to request ratio per {limit_type} is {e}, "
                f"but provided ratio is {float(observed):f}")
    return None


def _pod_totals(pod: Obj, which: str) -> dict[str, Fraction]:
    spec = pod.get("spec") or {}
    total: dict[str, Fraction] = {}
    for c in spec.get("containers") or []:
        for k, v in ((c.get("resources") or {}).get(which) or {}).items():
            total[k] = total.get(k, Fraction(0)) + _q(v)
    for c in spec.get("initContainers") or []:
        for k, v in ((c.get("resources") or {}).get(which) or {}).items():
            total[k] = max(total.get(k, Fraction(0)), _q(v))
    return total


def _fmt_total(total: dict[str, Fraction]) -> dict[str, str]:
    out = {}
    for k, v in total.items():
        out[k] = format_quantity(f"{int(v * 1000)}m") if v.denominator != 1 else format_quantity(str(int(v)))
    return out


def validate_pod(pod: Obj, limit_ranges: list[Obj]) -> list[str]:
    """upstream's PodValidateLimitFunc: the messages of every bound the Pod breaks."""
    errs: list[str] = []
    checks = (("min", _min), ("max", _max), ("maxLimitRequestRatio", _ratio))
    spec = pod.get("spec") or {}
    for lr in limit_ranges:
        for item in (lr.get("spec") or {}).get("limits") or []:
            t = item.get("type")
            if t == "Container":
                for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
                    res = c.get("resources") or {}
                    for field, fn in checks:
                        for k, v in (item.get(field) or {}).items():
                            msg = fn("Container", k, v, res.get("requests") or {}, res.get("limits") or {})
                            if msg:
                                errs.append(msg)
            elif t == "Pod":
                req, lim = _fmt_total(_pod_totals(pod, "requests")), _fmt_total(_pod_totals(pod, "limits"))
                for field, fn in checks:
                    for k, v in (item.get(field) or {}).items():
                        msg = fn("Pod", k, v, req, lim)
                        if msg:
                            errs.append(msg)
    out: list[str] = []
    for e in errs:
        if e not in out:
            out.append(e)
    return out


def admit(kind: Kind, obj: Obj, operation: str, limit_ranges: list[Obj]) -> None:
    """Default then check a Pod being created (LimitRange objects are defaulted here too)."""
    if kind.kind == "LimitRange":
        default_limit_range(obj)
        return
    if kind.kind != "Pod" or operation != "CREATE" or not limit_ranges:
        return
    _apply_defaults(obj, limit_ranges)
    errs = validate_pod(obj, limit_ranges)
    if errs:
        name = (obj.get("metadata") or {}).get("name", "")
        text = errs[0] if len(errs) == 1 else "[" + ", ".join(errs) + "]"
        raise Forbidden(f'pods "{name}" is forbidden: {text}', details={"name": name, "kind": "pods"})
