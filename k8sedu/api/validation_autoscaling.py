"""Defaulting and validation of HorizontalPodAutoscaler (autoscaling/v2), in upstream's words.

Upstream's ``SetDefaults_HorizontalPodAutoscaler`` and ``ValidateHorizontalPodAutoscaler``
(``pkg/apis/autoscaling``): ``minReplicas`` defaults to 1 and the metrics to CPU at 80% of the
request; ``spec.behavior``, when given, gets its missing rules filled in (scale up: 4 Pods or 100%
per 15 s, whichever is more; scale down: 100% per 15 s; the scale-down stabilization window stays
unset, so the controller applies its own 300 s)::

    The HorizontalPodAutoscaler "web" is invalid: spec.maxReplicas: Invalid value: 0: must be greater than 0
"""

from __future__ import annotations

import copy
import json
from typing import Any

from k8sedu.api.naming import path_segment_name_errors
from k8sedu.api.quantity import parse_quantity
from k8sedu.api.validation_base import FORBIDDEN, INVALID, REQUIRED, Errs, Obj, not_supported, qty
from k8sedu.errors import FieldError

__all__ = [
    "default_hpa",
    "hpa_from_v1",
    "hpa_to_v1",
    "validate_hpa",
    "scale_up_rules",
    "scale_down_rules",
    "DEFAULT_CPU_UTILIZATION",
    "METRIC_SOURCE_TYPES",
    "MAX_STABILIZATION_WINDOW_SECONDS",
    "MAX_PERIOD_SECONDS",
]

DEFAULT_CPU_UTILIZATION = 80
METRIC_SOURCE_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"]
_SOURCE_FIELDS = {"ContainerResource": "containerResource", "External": "external", "Object": "object",
                  "Pods": "pods", "Resource": "resource"}
_SELECT_POLICIES = ["Disabled", "Max", "Min"]
_POLICY_TYPES = ["Percent", "Pods"]
MAX_STABILIZATION_WINDOW_SECONDS = 3600
MAX_PERIOD_SECONDS = 1800


# -- defaulting ---------------------------------------------------------------------------------
def _rules(given: Obj | None, defaults: Obj) -> Obj:
    """``copyHPAScalingRules``: the given fields win, the rest comes from *defaults*."""
    out = copy.deepcopy(defaults)
    for name in ("selectPolicy", "stabilizationWindowSeconds", "policies"):
        if given is not None and given.get(name) is not None:
            out[name] = copy.deepcopy(given[name])
    return out


def scale_up_rules(given: Obj | None) -> Obj:
    """``GenerateHPAScaleUpRules``: 4 Pods or 100% per 15 s (the larger), no stabilization."""
    return _rules(given, {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]})


def scale_down_rules(given: Obj | None) -> Obj:
    """``GenerateHPAScaleDownRules``: 100% per 15 s; the window is left to the controller (300 s)."""
    return _rules(given, {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]})


def default_hpa(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION}}}]
    behavior = spec.get("behavior")
    if behavior is not None:
        behavior["scaleUp"] = scale_up_rules(behavior.get("scaleUp"))
        behavior["scaleDown"] = scale_down_rules(behavior.get("scaleDown"))


def hpa_from_v1(obj: Obj) -> Obj:
    """An autoscaling/v1 HorizontalPodAutoscaler (what ``kubectl autoscale`` 1.32 sends) as the
    autoscaling/v2 object we store: ``targetCPUUtilizationPercentage`` becomes a CPU Utilization
    metric (none: the v2 default, 80%), as upstream's conversion."""
    out = copy.deepcopy(obj)
    out["apiVersion"] = "autoscaling/v2"
    spec = out.setdefault("spec", {})
    cpu = spec.pop("targetCPUUtilizationPercentage", None)
    annotations = (out.get("metadata") or {}).get("annotations") or {}
    metrics = [_metric_from_v1(m) for m in _json_list(annotations.get("autoscaling.alpha.kubernetes.io/metrics"))]
    if cpu is not None:
        metrics.append({"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}})
    if metrics:
        spec["metrics"] = metrics
    behavior = annotations.get("autoscaling.alpha.kubernetes.io/behavior")
    if behavior:
        try:
            spec["behavior"] = json.loads(behavior)
        except ValueError:
            pass
    out.pop("status", None)
    for key in _V1_ANNOTATIONS:
        annotations.pop(key, None)
    return out


def _json_list(text: str | None) -> list[Obj]:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return [m for m in value if isinstance(m, dict)] if isinstance(value, list) else []


def _drop_none(d: Obj) -> Obj:
    return {k: v for k, v in d.items() if v is not None}


def _metric_to_v1(m: Obj) -> Obj:
    """A v2 MetricSpec in autoscaling/v1's shape (the ``…/metrics`` annotation: v2beta1's fields)."""
    t = m.get("type", "")
    src = m.get(_SOURCE_FIELDS.get(t, ""), {}) or {}
    target, metric = src.get("target") or {}, src.get("metric") or {}
    if t in ("Resource", "ContainerResource"):
        body = {"name": src.get("name"), "container": src.get("container"),
                "targetAverageUtilization": target.get("averageUtilization"),
                "targetAverageValue": target.get("averageValue")}
    elif t == "Pods":
        body = {"metricName": metric.get("name"), "selector": metric.get("selector"),
                "targetAverageValue": target.get("averageValue")}
    elif t == "Object":
        body = {"target": src.get("describedObject"), "metricName": metric.get("name"),
                "selector": metric.get("selector"), "targetValue": target.get("value"),
                "averageValue": target.get("averageValue")}
    else:
        body = {"metricName": metric.get("name"), "metricSelector": metric.get("selector"),
                "targetValue": target.get("value"), "targetAverageValue": target.get("averageValue")}
    return {"type": t, _SOURCE_FIELDS.get(t, "external"): _drop_none(body)}


def _metric_from_v1(m: Obj) -> Obj:
    t = m.get("type", "")
    src = m.get(_SOURCE_FIELDS.get(t, ""), {}) or {}
    if t in ("Resource", "ContainerResource"):
        util = src.get("targetAverageUtilization")
        target = {"type": "Utilization", "averageUtilization": util} if util is not None else \
            {"type": "AverageValue", "averageValue": src.get("targetAverageValue")}
        body = {"name": src.get("name"), "container": src.get("container"), "target": target}
    elif t == "Pods":
        body = {"metric": _drop_none({"name": src.get("metricName"), "selector": src.get("selector")}),
                "target": {"type": "AverageValue", "averageValue": src.get("targetAverageValue")}}
    elif t == "Object":
        avg = src.get("averageValue")
        body = {"describedObject": src.get("target"),
                "metric": _drop_none({"name": src.get("metricName"), "selector": src.get("selector")}),
                "target": {"type": "AverageValue", "averageValue": avg} if avg is not None else
                {"type": "Value", "value": src.get("targetValue")}}
    else:
        avg = src.get("targetAverageValue")
        body = {"metric": _drop_none({"name": src.get("metricName"), "selector": src.get("metricSelector")}),
                "target": {"type": "AverageValue", "averageValue": avg} if avg is not None else
                {"type": "Value", "value": src.get("targetValue")}}
    return {"type": t, _SOURCE_FIELDS.get(t, "external"): _drop_none(body)}


def _current_to_v1(m: Obj) -> Obj:
    t = m.get("type", "")
    src = m.get(_SOURCE_FIELDS.get(t, ""), {}) or {}
    current, metric = src.get("current") or {}, src.get("metric") or {}
    if t in ("Resource", "ContainerResource"):
        body = {"name": src.get("name"), "container": src.get("container"),
                "currentAverageUtilization": current.get("averageUtilization"),
                "currentAverageValue": current.get("averageValue", "0")}
    elif t == "Pods":
        body = {"metricName": metric.get("name"), "selector": metric.get("selector"),
                "currentAverageValue": current.get("averageValue")}
    elif t == "Object":
        body = {"target": src.get("describedObject"), "metricName": metric.get("name"),
                "selector": metric.get("selector"), "currentValue": current.get("value"),
                "averageValue": current.get("averageValue")}
    else:
        body = {"metricName": metric.get("name"), "metricSelector": metric.get("selector"),
                "currentValue": current.get("value"), "currentAverageValue": current.get("averageValue")}
    return {"type": t, _SOURCE_FIELDS.get(t, "external"): _drop_none(body)}


#: where upstream's v2 → v1 conversion keeps what autoscaling/v1 has no field for
_V1_ANNOTATIONS = ("autoscaling.alpha.kubernetes.io/conditions", "autoscaling.alpha.kubernetes.io/metrics",
                   "autoscaling.alpha.kubernetes.io/current-metrics", "autoscaling.alpha.kubernetes.io/behavior")


def _is_cpu_utilization(metric: Obj, field: str) -> bool:
    res = metric.get("resource") or {}
    return (metric.get("type") == "Resource" and res.get("name") == "cpu"
            and (res.get(field) or {}).get("averageUtilization") is not None)


def hpa_to_v1(obj: Obj) -> Obj:
    """The stored autoscaling/v2 object as an autoscaling/v1 client reads it (``kubectl get
    hpa.v1.autoscaling``): the CPU Utilization target and current value become
    ``targetCPUUtilizationPercentage`` / ``status.currentCPUUtilizationPercentage``; the other
    metrics, the conditions and ``spec.behavior`` go to ``autoscaling.alpha.kubernetes.io/*``
    annotations, as upstream's conversion keeps them."""
    out = copy.deepcopy(obj)
    out["apiVersion"] = "autoscaling/v1"
    spec = out.setdefault("spec", {})
    annotations: Obj = {}
    other = []
    for metric in spec.pop("metrics", None) or []:
        if _is_cpu_utilization(metric, "target") and "targetCPUUtilizationPercentage" not in spec:
            spec["targetCPUUtilizationPercentage"] = metric["resource"]["target"]["averageUtilization"]
        else:
            other.append(metric)
    if other:
        annotations["autoscaling.alpha.kubernetes.io/metrics"] = json.dumps([_metric_to_v1(m) for m in other],
                                                                            separators=(",", ":"))
    behavior = spec.pop("behavior", None)
    if behavior:
        annotations["autoscaling.alpha.kubernetes.io/behavior"] = json.dumps(behavior, separators=(",", ":"))
    if "status" in out:
        status = out["status"] or {}
        v1_status: Obj = {k: status[k] for k in ("observedGeneration", "lastScaleTime") if status.get(k) is not None}
        v1_status["currentReplicas"] = status.get("currentReplicas", 0)
        v1_status["desiredReplicas"] = status.get("desiredReplicas", 0)
        current_other = []
        for metric in status.get("currentMetrics") or []:
            if _is_cpu_utilization(metric, "current") and "currentCPUUtilizationPercentage" not in v1_status:
                v1_status["currentCPUUtilizationPercentage"] = metric["resource"]["current"]["averageUtilization"]
            else:
                current_other.append(metric)
        if current_other:
            annotations["autoscaling.alpha.kubernetes.io/current-metrics"] = json.dumps(
                [_current_to_v1(m) for m in current_other], separators=(",", ":"))
        if status.get("conditions"):
            annotations["autoscaling.alpha.kubernetes.io/conditions"] = json.dumps(status["conditions"],
                                                                                   separators=(",", ":"))
        out["status"] = v1_status
    if annotations:
        out.setdefault("metadata", {}).setdefault("annotations", {}).update(annotations)
    return out


# -- validation ---------------------------------------------------------------------------------
def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _reference(ref: Obj, path: str) -> Errs:
    errs: Errs = []
    for name in ("kind", "name"):
        value = ref.get(name) or ""
        if not value:
            errs.append(FieldError(f"{path}.{name}", REQUIRED, "", ""))
        else:
            errs += [FieldError(f"{path}.{name}", INVALID, value, msg) for msg in path_segment_name_errors(value)]
    return errs


def _positive_quantity(value: Any, path: str) -> Errs:
    if value is None:
        return []
    try:
        ok = parse_quantity(value) > 0
    except ValueError:
        return []
    return [] if ok else [FieldError(path, INVALID, qty(value), "must be positive")]


def _target(target: Obj, path: str) -> Errs:
    errs: Errs = []
    ttype = target.get("type") or ""
    if not ttype:
        errs.append(FieldError(f"{path}.type", REQUIRED, "", "must specify a metric target type"))
    if ttype not in ("Utilization", "Value", "AverageValue"):
        errs.append(FieldError(f"{path}.type", INVALID, ttype, "must be either Utilization, Value, or AverageValue"))
    errs += _positive_quantity(target.get("value"), f"{path}.value")
    errs += _positive_quantity(target.get("averageValue"), f"{path}.averageValue")
    util = _int(target.get("averageUtilization"))
    if util is not None and util < 1:
        errs.append(FieldError(f"{path}.averageUtilization", INVALID, util, "must be greater than 0"))
    return errs


def _resource_source(src: Obj, path: str, container: bool) -> Errs:
    errs: Errs = []
    if not src.get("name"):
        errs.append(FieldError(f"{path}.name", REQUIRED, "", "must specify a resource name"))
    if container and not src.get("container"):
        errs.append(FieldError(f"{path}.container", REQUIRED, "", "must specify a container"))
    target = src.get("target") or {}
    errs += _target(target, f"{path}.target")
    if target.get("averageUtilization") is None and target.get("averageValue") is None:
        errs.append(FieldError(f"{path}.target.averageUtilization", REQUIRED, "",
                               "must set either a target raw value or a target utilization"))
    if target.get("averageUtilization") is not None and target.get("averageValue") is not None:
        errs.append(FieldError(f"{path}.target.averageValue", FORBIDDEN, "",
                               "may not set both a target raw value and a target utilization"))
    return errs


def _metric(spec: Obj, path: str) -> Errs:
    errs: Errs = []
    mtype = spec.get("type") or ""
    if not mtype:
        errs.append(FieldError(f"{path}.type", REQUIRED, "", "must specify a metric source type"))
    if mtype not in METRIC_SOURCE_TYPES:
        errs.append(not_supported(f"{path}.type", mtype, METRIC_SOURCE_TYPES))
    present = [f for f in _SOURCE_FIELDS.values() if spec.get(f) is not None]
    if len(present) == 1 and present[0] in ("resource", "containerResource"):
        errs += _resource_source(spec[present[0]], f"{path}.{present[0]}", present[0] == "containerResource")
    expected = _SOURCE_FIELDS.get(mtype, "")
    if expected and spec.get(expected) is None:
        errs.append(FieldError(f"{path}.{expected}", REQUIRED, "", "must populate information for the given metric source"))
    if len(present) != 1:
        for field in present:
            if field != expected:
                errs.append(FieldError(f"{path}.{field}", FORBIDDEN, "", "must populate the given metric source only"))
    return errs


def _scaling_rules(rules: Obj | None, path: str) -> Errs:
    if rules is None:
        return []
    errs: Errs = []
    window = _int(rules.get("stabilizationWindowSeconds"))
    if window is not None and window < 0:
        errs.append(FieldError(f"{path}.stabilizationWindowSeconds", INVALID, window,
                               "must be greater than or equal to zero"))
    if window is not None and window > MAX_STABILIZATION_WINDOW_SECONDS:
        errs.append(FieldError(f"{path}.stabilizationWindowSeconds", INVALID, window,
                               f"must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"))
    policy = rules.get("selectPolicy")
    if policy is not None and policy not in _SELECT_POLICIES:
        errs.append(not_supported(f"{path}.selectPolicy", policy, _SELECT_POLICIES))
    policies = rules.get("policies") or []
    if not policies:
        errs.append(FieldError(f"{path}.policies", REQUIRED, "", "must specify at least one Policy"))
    for i, p in enumerate(policies):
        ipath = f"{path}.policies[{i}]"
        if p.get("type") not in _POLICY_TYPES:
            errs.append(not_supported(f"{ipath}.type", p.get("type") or "", _POLICY_TYPES))
        value, period = _int(p.get("value")) or 0, _int(p.get("periodSeconds")) or 0
        if value <= 0:
            errs.append(FieldError(f"{ipath}.value", INVALID, value, "must be greater than zero"))
        if period <= 0:
            errs.append(FieldError(f"{ipath}.periodSeconds", INVALID, period, "must be greater than zero"))
        if period > MAX_PERIOD_SECONDS:
            errs.append(FieldError(f"{ipath}.periodSeconds", INVALID, period,
                                   f"must be less than or equal to {MAX_PERIOD_SECONDS}"))
    return errs


def validate_hpa(obj: Obj, old: Obj | None) -> Errs:
    """``ValidateHorizontalPodAutoscaler`` (scale to zero, an alpha feature, stays off: minReplicas ≥ 1)."""
    spec = obj.get("spec") or {}
    errs: Errs = []
    min_r, max_r = _int(spec.get("minReplicas")), _int(spec.get("maxReplicas")) or 0
    if min_r is not None and min_r < 1:
        errs.append(FieldError("spec.minReplicas", INVALID, min_r, "must be greater than or equal to 1"))
    if max_r < 1:
        errs.append(FieldError("spec.maxReplicas", INVALID, max_r, "must be greater than 0"))
    if min_r is not None and max_r < min_r:
        errs.append(FieldError("spec.maxReplicas", INVALID, max_r, "must be greater than or equal to `minReplicas`"))
    errs += _reference(spec.get("scaleTargetRef") or {}, "spec.scaleTargetRef")
    for i, m in enumerate(spec.get("metrics") or []):
        errs += _metric(m, f"spec.metrics[{i}]")
    behavior = spec.get("behavior")
    if behavior is not None:
        errs += _scaling_rules(behavior.get("scaleUp"), "spec.behavior.scaleUp")
        errs += _scaling_rules(behavior.get("scaleDown"), "spec.behavior.scaleDown")
    return errs
