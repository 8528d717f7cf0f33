"""Validation of the namespace policy kinds: ResourceQuota and LimitRange.

Upstream's ``ValidateResourceQuota`` and ``ValidateLimitRange`` (``pkg/apis/core/validation``): quota
amounts are non-negative (and whole numbers for object counts), a LimitRange item has a known
``type`` and its bounds are ordered ``min ≤ defaultRequest ≤ default ≤ max``::

    The LimitRange "cpu" is invalid: spec.limits[0].defaultRequest[cpu]: Invalid value: "200m":
    min value 400m is greater than default request value 200m

Simplification: upstream prints the bad Quantity as its Go struct (``resource.Quantity{i:...}``);
we print its canonical text.
"""

from __future__ import annotations

from typing import Any

from k8sedu.api.quantity import parse_quantity
from k8sedu.api.validation_base import (
    FORBIDDEN,
    INVALID,
    IS_NEGATIVE,
    REQUIRED,
    Errs,
    Obj,
    not_supported,
    qty,
)
from k8sedu.errors import FieldError

__all__ = ["validate_resource_quota", "validate_limit_range", "LIMIT_TYPES", "QUOTA_SCOPES"]

LIMIT_TYPES = ["Pod", "Container", "PersistentVolumeClaim"]
QUOTA_SCOPES = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
                "CrossNamespacePodAffinity", "VolumeAttributesClass"]
_INTEGER = {"pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
            "persistentvolumeclaims", "services.nodeports", "services.loadbalancers"}


def _is_integer_resource(name: str) -> bool:
    return name in _INTEGER or name.startswith("count/")


def _resource_list(values: Any, path: str) -> Errs:
    errs: Errs = []
    for name, value in sorted((values or {}).items()):
        try:
            v = parse_quantity(value)
        except ValueError:
            continue  # the decoder refused it already
        if v < 0:
            errs.append(FieldError(f"{path}[{name}]", INVALID, qty(value), IS_NEGATIVE))
        if _is_integer_resource(name) and v.denominator != 1:
            errs.append(FieldError(f"{path}[{name}]", INVALID, qty(value), "must be an integer"))
    return errs


def validate_resource_quota(obj: Obj, old: Obj | None) -> Errs:
    spec = obj.get("spec") or {}
    errs = _resource_list(spec.get("hard"), "spec.hard")
    status = obj.get("status") or {}
    errs += _resource_list(status.get("hard"), "status.hard")
    errs += _resource_list(status.get("used"), "status.used")
    for i, scope in enumerate(spec.get("scopes") or []):
        if scope not in QUOTA_SCOPES:
            errs.append(not_supported(f"spec.scopes[{i}]", scope, QUOTA_SCOPES))
    return errs


def validate_limit_range(obj: Obj, old: Obj | None) -> Errs:
    errs: Errs = []
    for i, item in enumerate((obj.get("spec") or {}).get("limits") or []):
        path = f"spec.limits[{i}]"
        t = item.get("type")
        if not t:
            errs.append(FieldError(f"{path}.type", REQUIRED))
        elif "/" not in t and t not in LIMIT_TYPES:
            errs.append(FieldError(f"{path}.type", INVALID, t, "must be a standard limit type or fully qualified"))
        fields = {f: {k: v for k, v in (item.get(f) or {}).items()}
                  for f in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")}
        if t == "Pod":
            for f in ("default", "defaultRequest"):
                if fields[f]:
                    errs.append(FieldError(f"{path}.{f}", FORBIDDEN, None, "may not be specified when `type` is 'Pod'"))
        if t == "PersistentVolumeClaim" and "storage" not in fields["min"] and "storage" not in fields["max"]:
            errs.append(FieldError(f"{path}.limits", REQUIRED, None,
                                   "either minimum or maximum storage value is required, but neither was provided"))
        q = {f: {k: parse_quantity(v) for k, v in vals.items()} for f, vals in fields.items()}
        keys = sorted(set().union(*fields.values()))
        for k in keys:
            mn, mx, df, dr, ratio = (fields[f].get(k) for f in ("min", "max", "default", "defaultRequest",
                                                                 "maxLimitRequestRatio"))
            qmn, qmx, qdf, qdr, qratio = (q[f].get(k) for f in ("min", "max", "default", "defaultRequest",
                                                                 "maxLimitRequestRatio"))
            if qmn is not None and qmx is not None and qmn > qmx:
                errs.append(FieldError(f"{path}.min[{k}]", INVALID, qty(mn),
                                       f"min value {qty(mn)} is greater than max value {qty(mx)}"))
            if qdr is not None and qmn is not None and qmn > qdr:
                errs.append(FieldError(f"{path}.defaultRequest[{k}]", INVALID, qty(dr),
                                       f"min value {qty(mn)} is greater than default request value {qty(dr)}"))
            if qdr is not None and qmx is not None and qdr > qmx:
                errs.append(FieldError(f"{path}.defaultRequest[{k}]", INVALID, qty(dr),
                                       f"default request value {qty(dr)} is greater than max value {qty(mx)}"))
            if qdr is not None and qdf is not None and qdr > qdf:
                errs.append(FieldError(f"{path}.defaultRequest[{k}]", INVALID, qty(dr),
                                       f"default request value {qty(dr)} is greater than default limit value {qty(df)}"))
            if qdf is not None and qmn is not None and qmn > qdf:
                errs.append(FieldError(f"{path}.default[{k}]", INVALID, qty(mn),
                                       f"min value {qty(mn)} is greater than default value {qty(df)}"))
            if qdf is not None and qmx is not None and qdf > qmx:
                errs.append(FieldError(f"{path}.default[{k}]", INVALID, qty(mx),
                                       f"default value {qty(df)} is greater than max value {qty(mx)}"))
            if qratio is not None and qratio < 1:
                errs.append(FieldError(f"{path}.maxLimitRequestRatio[{k}]", INVALID, qty(ratio),
                                       f"ratio {qty(ratio)} is less than 1"))
            if qratio is not None and qmn is not None and qmx is not None and qmn > 0:
                limit = qmx / qmn
                if qratio > limit:
                    errs.append(FieldError(f"{path}.maxLimitRequestRatio[{k}]", INVALID, qty(ratio),
                                           f"ratio {qty(ratio)} is greater than max/min = {float(limit):f}"))
    return errs
