"""Job and CronJob validation (upstream's ``pkg/apis/batch/validation``).

A Job's Pods must not restart forever (restartPolicy ``OnFailure`` or ``Never``, never ``Always``),
its counts are never negative, and a CronJob's schedule must parse as robfig/cron parses it; the
CronJob's name leaves room for the 11 characters of ``-<minutes since epoch>`` in its Jobs' names.
"""

from __future__ import annotations

from k8sedu.api.cron import CronError, load_location, parse_standard
from k8sedu.api.selectors import from_label_selector
from k8sedu.api.validation_base import (
    INVALID,
    REQUIRED,
    Errs,
    Obj,
    go_map,
    label_selector_text,
    nonneg,
    not_supported,
    validate_annotations,
    validate_label_selector,
    validate_labels,
)
from k8sedu.api.validation_pods import validate_pod_spec
from k8sedu.errors import FieldError

__all__ = ["validate_job", "validate_cronjob", "validate_job_spec", "CRONJOB_NAME_MAX"]

#: 63 (a label value: the job-name label) minus 11 (the "-<minutes>" suffix)
CRONJOB_NAME_MAX = 52


def validate_job_spec(spec: Obj, path: str, generated_selector: bool = True) -> Errs:
    errs: Errs = []
    for field in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds",
                  "ttlSecondsAfterFinished"):
        errs += nonneg(spec.get(field), f"{path}.{field}")
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        errs.append(not_supported(f"{path}.completionMode", mode, ["NonIndexed", "Indexed"]))
    if mode == "Indexed" and spec.get("completions") is None:
        errs.append(FieldError(f"{path}.completions", REQUIRED, detail="when completion mode is Indexed"))
    template = spec.get("template")
    if template is None:
        return errs + [FieldError(f"{path}.template", REQUIRED)]
    tmd = template.get("metadata") or {}
    labels = tmd.get("labels")
    selector = spec.get("selector")
    if generated_selector:
        if selector is None:
            errs.append(FieldError(f"{path}.selector", REQUIRED))
        else:
            errs += validate_label_selector(selector, f"{path}.selector")
            try:
                sel = from_label_selector(selector)
            except ValueError:
                errs.append(FieldError(f"{path}.selector", INVALID, label_selector_text(selector),
                                       "invalid label selector"))
            else:
                if not sel.matches(labels or {}):
                    errs.append(FieldError(f"{path}.template.metadata.labels", INVALID, go_map(labels),
                                           "`selector` does not match template `labels`"))
    errs += validate_labels(labels, f"{path}.template.labels")
    errs += validate_annotations(tmd.get("annotations"), f"{path}.template.annotations")
    tspec = template.get("spec") or {}
    errs += validate_pod_spec(tspec, f"{path}.template.spec")
    restart = tspec.get("restartPolicy")
    if restart not in ("OnFailure", "Never"):
        errs.append(not_supported(f"{path}.template.spec.restartPolicy", restart or "",
                                  ["OnFailure", "Never"]))
    elif spec.get("podFailurePolicy") is not None and restart != "Never":
        errs.append(FieldError(f"{path}.template.spec.restartPolicy", INVALID, restart,
                               'only "Never" is supported when podFailurePolicy is specified'))
    return errs


def validate_job(job: Obj, old: Obj | None) -> Errs:
    return validate_job_spec(job.get("spec") or {}, "spec")


def validate_cronjob(cj: Obj, old: Obj | None) -> Errs:
    errs: Errs = []
    name = (cj.get("metadata") or {}).get("name") or ""
    if len(name) > CRONJOB_NAME_MAX:
        errs.append(FieldError("metadata.name", INVALID, name,
                               f"must be no more than {CRONJOB_NAME_MAX} characters"))
    spec = cj.get("spec") or {}
    schedule = spec.get("schedule")
    if not schedule:
        errs.append(FieldError("spec.schedule", REQUIRED))
    else:
        try:
            parse_standard(str(schedule))
        except CronError as err:
            errs.append(FieldError("spec.schedule", INVALID, schedule, str(err)))
        if "TZ" in str(schedule):
            errs.append(FieldError("spec.schedule", INVALID, schedule,
                                   "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
    tz = spec.get("timeZone")
    if tz is not None:
        try:
            load_location(str(tz))
            if tz == "Local" or not str(tz):
                raise CronError(f"unknown time zone {tz}")
        except CronError as err:
            errs.append(FieldError("spec.timeZone", INVALID, tz, str(err)))
    policy = spec.get("concurrencyPolicy")
    if policy not in ("Allow", "Forbid", "Replace"):
        if policy:
            errs.append(not_supported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]))
        else:
            errs.append(FieldError("spec.concurrencyPolicy", REQUIRED))
    for field in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        errs += nonneg(spec.get(field), f"spec.{field}")
    job_template = spec.get("jobTemplate") or {}
    errs += validate_job_spec(job_template.get("spec") or {}, "spec.jobTemplate.spec",
                              generated_selector=False)
    return errs
