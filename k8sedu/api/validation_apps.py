"""Deployment and ReplicaSet validation (upstream's ``pkg/apis/apps/validation``).

The selector must pick the template's own Pods (else the controller would create Pods it does not
own, forever), a rolling update must be able to move (``maxSurge`` and ``maxUnavailable`` not both
0), and in ``apps/v1`` the selector never changes after creation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from k8sedu.api.naming import percent_errors
from k8sedu.api.selectors import from_label_selector
from k8sedu.api.validation_base import (
    FIELD_IMMUTABLE,
    FORBIDDEN,
    INVALID,
    IS_NOT_POSITIVE,
    REQUIRED,
    Errs,
    GoValue,
    Obj,
    as_int,
    go_map,
    go_quote,
    int_or_string,
    label_selector_text,
    nonneg,
    not_supported,
    validate_annotations,
    validate_label_selector,
    validate_labels,
)
from k8sedu.api.validation_pods import validate_pod_spec
from k8sedu.errors import FieldError

__all__ = ["validate_deployment", "validate_replicaset", "validate_daemonset", "validate_statefulset"]


# -- workloads (Deployment, ReplicaSet) ----------------------------------------------------------
def _validate_template_for_replicaset(
    template: Obj | None, selector: Mapping[str, Any] | None, path: str
) -> Errs:
    if template is None:
        return [FieldError(path, REQUIRED)]
    errs: Errs = []
    tmd = template.get("metadata") or {}
    labels = tmd.get("labels")
    try:
        sel = from_label_selector(selector)
    except ValueError:
        sel = None
    if sel is not None and not sel.empty and not sel.matches(labels or {}):
        errs.append(
            FieldError(
                f"{path}.metadata.labels",
                INVALID,
                go_map(labels),
                "`selector` does not match template `labels`",
            )
        )
    errs += validate_labels(labels, f"{path}.labels")
    errs += validate_annotations(tmd.get("annotations"), f"{path}.annotations")
    tspec = template.get("spec") or {}
    errs += validate_pod_spec(tspec, f"{path}.spec")
    if tspec.get("ephemeralContainers"):
        errs.append(
            FieldError(
                f"{path}.spec.ephemeralContainers",
                FORBIDDEN,
                "",
                "ephemeral containers not allowed in pod template",
            )
        )
    restart = tspec.get("restartPolicy")
    if restart is not None and restart != "Always":
        errs.append(not_supported(f"{path}.spec.restartPolicy", restart, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            FieldError(
                f"{path}.spec.activeDeadlineSeconds",
                INVALID,
                tspec["activeDeadlineSeconds"],
                "activeDeadlineSeconds in ReplicaSet is not Supported",
            )
        )
    return errs


def _validate_selector_and_template(spec: Obj, path: str) -> Errs:
    errs: Errs = []
    selector = spec.get("selector")
    if selector is None:
        errs.append(FieldError(f"{path}.selector", REQUIRED))
    else:
        errs += validate_label_selector(selector, f"{path}.selector")
        if not (selector.get("matchLabels") or selector.get("matchExpressions")):
            errs.append(
                FieldError(
                    f"{path}.selector",
                    INVALID,
                    label_selector_text(selector),
                    "empty selector is invalid for deployment",
                )
            )
    try:
        from_label_selector(selector)
    except ValueError:
        return errs + [
            FieldError(
                f"{path}.selector", INVALID, label_selector_text(selector), "invalid label selector"
            )
        ]
    return errs + _validate_template_for_replicaset(
        spec.get("template"), selector, f"{path}.template"
    )


def _percent_value(v: Any) -> int | None:
    if isinstance(v, str) and v.endswith("%") and v[:-1].isdigit():
        return int(v[:-1])
    return None


def _int_or_percent_value(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    p = _percent_value(v)
    return p if p is not None else -1


def _validate_positive_int_or_percent(v: Any, path: str) -> Errs:
    if isinstance(v, str):
        return [FieldError(path, INVALID, GoValue(v), m) for m in percent_errors(v)]
    if isinstance(v, int) and not isinstance(v, bool):
        return nonneg(v, path)
    return [
        FieldError(path, INVALID, GoValue(str(v)), "must be an integer or percentage (e.g '5%')")
    ]


def _validate_strategy(strategy: Obj | None, path: str) -> Errs:
    strategy = strategy or {}
    stype = strategy.get("type") or ""
    ru = strategy.get("rollingUpdate")
    if stype == "Recreate":
        if ru is not None:
            return [
                FieldError(
                    f"{path}.rollingUpdate",
                    FORBIDDEN,
                    "",
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            ]
        return []
    if stype == "RollingUpdate":
        if ru is None:
            return [
                FieldError(
                    f"{path}.rollingUpdate",
                    REQUIRED,
                    "",
                    "this should be defaulted and never be nil",
                )
            ]
        p = f"{path}.rollingUpdate"
        mu, ms = ru.get("maxUnavailable", "25%"), ru.get("maxSurge", "25%")
        errs = _validate_positive_int_or_percent(mu, f"{p}.maxUnavailable")
        errs += _validate_positive_int_or_percent(ms, f"{p}.maxSurge")
        if _int_or_percent_value(mu) == 0 and _int_or_percent_value(ms) == 0:
            errs.append(
                FieldError(
                    f"{p}.maxUnavailable",
                    INVALID,
                    int_or_string(mu),
                    "may not be 0 when `maxSurge` is 0",
                )
            )
        pct = _percent_value(mu)
        if pct is not None and pct > 100:
            errs.append(
                FieldError(
                    f"{p}.maxUnavailable",
                    INVALID,
                    int_or_string(mu),
                    "must not be greater than 100%",
                )
            )
        return errs
    ptr = (
        "(*apps.RollingUpdateDeployment)(nil)"
        if ru is None
        else "(*apps.RollingUpdateDeployment)(0xc000a3c0c0)"
    )
    shown = GoValue(f"apps.DeploymentStrategy{{Type:{go_quote(stype)}, RollingUpdate:{ptr}}}")
    return [not_supported(path, shown, ["Recreate", "RollingUpdate"])]


def validate_deployment(d: Obj, old: Obj | None) -> Errs:
    spec = d.get("spec") or {}
    errs = nonneg(spec.get("replicas"), "spec.replicas")
    errs += _validate_selector_and_template(spec, "spec")
    errs += _validate_strategy(spec.get("strategy"), "spec.strategy")
    errs += nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += nonneg(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    pds = spec.get("progressDeadlineSeconds")
    if pds is not None:
        if as_int(pds) <= 0:
            errs.append(FieldError("spec.progressDeadlineSeconds", INVALID, pds, IS_NOT_POSITIVE))
        if as_int(pds) <= as_int(spec.get("minReadySeconds")):
            errs.append(
                FieldError(
                    "spec.progressDeadlineSeconds",
                    INVALID,
                    pds,
                    "must be greater than minReadySeconds",
                )
            )
    if old is not None:
        errs += _selector_immutable(spec, old.get("spec") or {})
    return errs


def _selector_immutable(spec: Obj, old_spec: Obj) -> Errs:
    """apps/v1: a workload's selector may not change once created."""
    if _normal_selector(spec.get("selector")) != _normal_selector(old_spec.get("selector")):
        return [
            FieldError(
                "spec.selector", INVALID, label_selector_text(spec.get("selector")), FIELD_IMMUTABLE
            )
        ]
    return []


def _normal_selector(sel: Mapping[str, Any] | None) -> Any:
    if sel is None:
        return None
    return (dict(sel.get("matchLabels") or {}), list(sel.get("matchExpressions") or []))


def validate_replicaset(rs: Obj, old: Obj | None) -> Errs:
    spec = rs.get("spec") or {}
    errs = nonneg(spec.get("replicas"), "spec.replicas")
    errs += nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += _validate_selector_and_template(spec, "spec")
    if old is not None:
        errs += _selector_immutable(spec, old.get("spec") or {})
    return errs


# -- DaemonSet, StatefulSet ------------------------------------------------------------------------
def validate_daemonset(ds: Obj, old: Obj | None) -> Errs:
    spec = ds.get("spec") or {}
    errs = nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += nonneg(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    errs += _validate_selector_and_template(spec, "spec")
    strategy = spec.get("updateStrategy") or {}
    stype = strategy.get("type")
    if stype not in ("RollingUpdate", "OnDelete"):
        errs.append(not_supported("spec.updateStrategy.type", stype or "", ["OnDelete", "RollingUpdate"]))
    ru = strategy.get("rollingUpdate") or {}
    if stype == "RollingUpdate":
        unavailable = ru.get("maxUnavailable")
        surge = ru.get("maxSurge")
        if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
            errs.append(FieldError("spec.updateStrategy.rollingUpdate.maxUnavailable", INVALID,
                                   int_or_string(unavailable), "may not be 0 when `maxSurge` is 0"))
    if old is not None:
        errs += _selector_immutable(spec, old.get("spec") or {})
    return errs


def validate_statefulset(sts: Obj, old: Obj | None) -> Errs:
    spec = sts.get("spec") or {}
    errs = nonneg(spec.get("replicas"), "spec.replicas")
    errs += nonneg(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += nonneg(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    policy = spec.get("podManagementPolicy")
    if policy not in ("OrderedReady", "Parallel"):
        errs.append(not_supported("spec.podManagementPolicy", policy or "", ["OrderedReady", "Parallel"]))
    strategy = spec.get("updateStrategy") or {}
    stype = strategy.get("type")
    if stype not in ("RollingUpdate", "OnDelete"):
        errs.append(not_supported("spec.updateStrategy.type", stype or "", ["OnDelete", "RollingUpdate"]))
    partition = (strategy.get("rollingUpdate") or {}).get("partition")
    errs += nonneg(partition, "spec.updateStrategy.rollingUpdate.partition")
    errs += _validate_statefulset_template(spec)
    if old is not None:
        errs += _selector_immutable(spec, old.get("spec") or {})
    return errs


def _validate_statefulset_template(spec: Obj) -> Errs:
    """Upstream's ``ValidatePodTemplateSpecForStatefulSet`` checks the selector, labels and
    annotations but not the Pod spec (its volumes come partly from volumeClaimTemplates), then
    restartPolicy Always and no activeDeadlineSeconds."""
    errs: Errs = []
    selector = spec.get("selector")
    if selector is None:
        return [FieldError("spec.selector", REQUIRED)]
    errs += validate_label_selector(selector, "spec.selector")
    if not (selector.get("matchLabels") or selector.get("matchExpressions")):
        errs.append(FieldError("spec.selector", INVALID, label_selector_text(selector),
                               "empty selector is invalid for statefulset"))
    template = spec.get("template")
    if template is None:
        return errs + [FieldError("spec.template", REQUIRED)]
    tmd = template.get("metadata") or {}
    labels = tmd.get("labels")
    try:
        sel = from_label_selector(selector)
    except ValueError:
        sel = None
    if sel is not None and not sel.empty and not sel.matches(labels or {}):
        errs.append(FieldError("spec.template.metadata.labels", INVALID, go_map(labels),
                               "`selector` does not match template `labels`"))
    errs += validate_labels(labels, "spec.template.labels")
    errs += validate_annotations(tmd.get("annotations"), "spec.template.annotations")
    tspec = template.get("spec") or {}
    restart = tspec.get("restartPolicy")
    if restart is not None and restart != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", restart, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(FieldError("spec.template.spec.activeDeadlineSeconds", FORBIDDEN, "",
                               "activeDeadlineSeconds in StatefulSet is not Supported"))
    return errs
