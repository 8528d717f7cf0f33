"""The workloads: Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, CronJob and
HorizontalPodAutoscaler.

All but the HPA end in their ``Pod Template:`` (:func:`.pods.pod_template`). A Deployment also
names its ReplicaSets (``related["replicasets"]``); a ReplicaSet, DaemonSet or StatefulSet counts
its Pods by phase (``related["pods"]``).
"""

from __future__ import annotations

from typing import Any

from k8sedu.kubectl.printers import _ts, format_label_selector, format_labels, human_duration

from .pods import pod_template
from .quantity import qty
from .sections import controlled_by, labels_and_annotations, labels_multiline, name_and_namespace
from .writer import Context, Writer, go_value, int_or_string, metadata, rfc1123z, title_bool

__all__ = ["describe_deployment", "describe_replicaset", "describe_daemonset", "describe_statefulset",
           "describe_job", "describe_cronjob", "describe_hpa"]


def describe_deployment(w: Writer, d: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(d), d.get("spec") or {}, d.get("status") or {}
    name_and_namespace(w, meta)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'), ctx.tz)}\n")
    labels_and_annotations(w, meta)
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{int(spec.get('replicas') or 0)} desired | {int(status.get('updatedReplicas') or 0)} updated"
               f" | {int(status.get('replicas') or 0)} total | {int(status.get('availableReplicas') or 0)} available"
               f" | {int(status.get('unavailableReplicas') or 0)} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{int(spec.get('minReadySeconds') or 0)}\n")
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"] or {}
        w.write(0, f"RollingUpdateStrategy:\t{int_or_string(ru.get('maxUnavailable'))} max unavailable, "
                   f"{int_or_string(ru.get('maxSurge'))} max surge\n")
    pod_template(w, spec.get("template"), ctx.tz)
    _conditions(w, status)
    if "replicasets" in ctx.related:
        _replicasets(w, d, ctx.related.get("replicasets") or [])


def describe_replicaset(w: Writer, rs: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(rs), rs.get("spec") or {}, rs.get("status") or {}
    name_and_namespace(w, meta)
    w.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    labels_and_annotations(w, meta)
    controlled_by(w, rs)
    w.write(0, f"Replicas:\t{int(status.get('replicas') or 0)} current / {int(spec.get('replicas') or 0)} desired\n")
    w.write(0, f"Pods Status:\t{_pods_status(rs, ctx)}\n")
    pod_template(w, spec.get("template"), ctx.tz)
    _conditions(w, status)


def describe_daemonset(w: Writer, ds: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(ds), ds.get("spec") or {}, ds.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    w.write(0, f"Node-Selector:\t{format_labels(node_selector)}\n")
    labels_and_annotations(w, meta)
    for label, key in (("Desired Number of Nodes Scheduled", "desiredNumberScheduled"),
                       ("Current Number of Nodes Scheduled", "currentNumberScheduled"),
                       ("Number of Nodes Scheduled with Up-to-date Pods", "updatedNumberScheduled"),
                       ("Number of Nodes Scheduled with Available Pods", "numberAvailable"),
                       ("Number of Nodes Misscheduled", "numberMisscheduled")):
        w.write(0, f"{label}: {int(status.get(key) or 0)}\n")
    w.write(0, f"Pods Status:\t{_pods_status(ds, ctx)}\n")
    pod_template(w, spec.get("template"), ctx.tz)


def describe_statefulset(w: Writer, ss: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(ss), ss.get("spec") or {}, ss.get("status") or {}
    name_and_namespace(w, meta)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'), ctx.tz)}\n")
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    labels_and_annotations(w, meta)
    w.write(0, f"Replicas:\t{int(spec.get('replicas') or 0)} desired | {int(status.get('replicas') or 0)} total\n")
    strategy = spec.get("updateStrategy") or {}
    w.write(0, f"Update Strategy:\t{strategy.get('type', '')}\n")
    ru = strategy.get("rollingUpdate") or {}
    if ru.get("partition") is not None:
        w.write(1, f"Partition:\t{int(ru['partition'])}\n")
        if ru.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{ru['maxUnavailable']}\n")
    w.write(0, f"Pods Status:\t{_pods_status(ss, ctx)}\n")
    pod_template(w, spec.get("template"), ctx.tz)
    claims = spec.get("volumeClaimTemplates") or []
    if not claims:
        w.write(0, "Volume Claims:\t<none>\n")
        return
    w.write(0, "Volume Claims:\n")
    for pvc in claims:
        pmeta, pspec = metadata(pvc), pvc.get("spec") or {}
        w.write(1, f"Name:\t{pmeta.get('name', '')}\n")
        w.write(1, f"StorageClass:\t{pspec.get('storageClassName', '')}\n")
        labels_multiline(w, "Labels", pmeta.get("labels"), initial="  ")
        labels_multiline(w, "Annotations", pmeta.get("annotations"), initial="  ")
        storage = ((pspec.get("resources") or {}).get("requests") or {}).get("storage")
        w.write(1, f"Capacity:\t{qty(storage) if storage is not None else '<default>'}\n")
        w.write(1, f"Access Modes:\t{go_value(list(pspec.get('accessModes') or []))}\n")


def describe_job(w: Writer, job: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(job), job.get("spec") or {}, job.get("status") or {}
    name_and_namespace(w, meta)
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    labels_and_annotations(w, meta)
    controlled_by(w, job)
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{int(spec['parallelism'])}\n")
    completions = spec.get("completions")
    w.write(0, f"Completions:\t{int(completions) if completions is not None else '<unset>'}\n")
    if spec.get("completionMode") is not None:
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{go_value(bool(spec['suspend']))}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{int(spec['backoffLimit'])}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{int(spec['ttlSecondsAfterFinished'])}\n")
    start, done = status.get("startTime"), status.get("completionTime")
    if start:
        w.write(0, f"Start Time:\t{rfc1123z(start, ctx.tz)}\n")
    if done:
        w.write(0, f"Completed At:\t{rfc1123z(done, ctx.tz)}\n")
    if start and done:
        w.write(0, f"Duration:\t{human_duration((_ts(done) or 0.0) - (_ts(start) or 0.0))}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{int(spec['activeDeadlineSeconds'])}s\n")
    active, succeeded, failed = (int(status.get(k) or 0) for k in ("active", "succeeded", "failed"))
    if status.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n")
    else:
        w.write(0, f"Pods Statuses:\t{active} Active ({int(status['ready'])} Ready) / {succeeded} Succeeded / "
                   f"{failed} Failed\n")
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{_cap_indexes(str(status.get('completedIndexes') or ''), 50)}\n")
    pod_template(w, spec.get("template"), ctx.tz)


def describe_cronjob(w: Writer, cj: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(cj), cj.get("spec") or {}, cj.get("status") or {}
    name_and_namespace(w, meta)
    labels_and_annotations(w, meta)
    w.write(0, f"Schedule:\t{spec.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n")
    suspend = spec.get("suspend")
    w.write(0, f"Suspend:\t{'<unset>' if suspend is None else title_bool(suspend)}\n")
    for label, key in (("Successful Job History Limit", "successfulJobsHistoryLimit"),
                       ("Failed Job History Limit", "failedJobsHistoryLimit")):
        value = spec.get(key)
        w.write(0, f"{label}:\t{'<unset>' if value is None else int(value)}\n")
    deadline = spec.get("startingDeadlineSeconds")
    w.write(0, f"Starting Deadline Seconds:\t{'<unset>' if deadline is None else f'{int(deadline)}s'}\n")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    if job_spec.get("selector") is not None:
        w.write(0, f"Selector:\t{_selector(job_spec['selector'])}\n")
    else:
        w.write(0, "Selector:\t<unset>\n")
    for label, key in (("Parallelism", "parallelism"), ("Completions", "completions")):
        value = job_spec.get(key)
        w.write(0, f"{label}:\t{'<unset>' if value is None else int(value)}\n")
    if job_spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{int(job_spec['activeDeadlineSeconds'])}s\n")
    pod_template(w, job_spec.get("template"), ctx.tz)
    last = status.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{rfc1123z(last, ctx.tz) if last else '<unset>'}\n")
    active = status.get("active") or []
    w.write(0, "Active Jobs:\t")
    if not active:
        w.line("<none>")
    else:
        w.write(0, ", ".join(str(j.get("name", "")) for j in active))
        w.line("")


def describe_hpa(w: Writer, hpa: dict[str, Any], ctx: Context) -> None:
    """``describeHorizontalPodAutoscalerV2``."""
    meta, spec, status = metadata(hpa), hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    name_and_namespace(w, meta)
    labels_and_annotations(w, meta)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'), ctx.tz)}\n")
    w.write(0, f"Reference:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
    w.write(0, "Metrics:\t( current / target )\n")
    currents = status.get("currentMetrics") or []
    for i, metric in enumerate(spec.get("metrics") or []):
        _metric(w, metric, currents[i] if i < len(currents) else {})
    min_r = spec.get("minReplicas")
    w.write(0, f"Min replicas:\t{'<unset>' if min_r is None else min_r}\n")
    w.write(0, f"Max replicas:\t{int(spec.get('maxReplicas') or 0)}\n")
    behavior = spec.get("behavior")
    if behavior is not None:
        w.write(0, "Behavior:\n")
        for direction, rules in (("Scale Up", behavior.get("scaleUp")), ("Scale Down", behavior.get("scaleDown"))):
            if rules is None:
                continue
            w.write(1, f"{direction}:\n")
            if rules.get("stabilizationWindowSeconds") is not None:
                w.write(2, f"Stabilization Window: {rules['stabilizationWindowSeconds']} seconds\n")
            if rules.get("policies"):
                w.write(2, f"Select Policy: {rules.get('selectPolicy') or 'Max'}\n")
                w.write(2, "Policies:\n")
                for p in rules["policies"]:
                    w.write(3, f"- Type: {p.get('type')}\tValue: {p.get('value')}\tPeriod: {p.get('periodSeconds')} seconds\n")
    w.write(0, f"{ref.get('kind', '')} pods:\t")
    w.write(0, f"{int(status.get('currentReplicas') or 0)} current / {int(status.get('desiredReplicas') or 0)} desired\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\tMessage\n")
        w.write(1, "----\t------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type')}\t{c.get('status')}\t{c.get('reason', '')}\t{c.get('message', '')}\n")


def _metric(w: Writer, metric: dict[str, Any], current: dict[str, Any]) -> None:
    """One metric's ``current / target`` line (its current value from the status at the same index)."""
    mtype = metric.get("type")
    key = {"Resource": "resource", "ContainerResource": "containerResource"}.get(str(mtype))
    if key is None:
        w.write(1, f'<unknown metric type "{mtype}">\n')
        return
    src, target = metric.get(key) or {}, (metric.get(key) or {}).get("target") or {}
    cur = (current.get(key) or {}).get("current")
    if key == "resource":
        w.write(1, f"resource {src.get('name', '')} on pods")
    else:
        w.write(1, f'resource {src.get("name", "")} of container "{src.get("container", "")}" on pods')
    if target.get("averageValue") is not None:
        value = (cur or {}).get("averageValue", "<unknown>") if cur is not None else "<unknown>"
        w.write(0, f":\t{value} / {target['averageValue']}\n")
    else:
        value = "<unknown>"
        if cur is not None and cur.get("averageUtilization") is not None:
            value = f"{cur['averageUtilization']}% ({cur.get('averageValue', '0')})"
        util = target.get("averageUtilization")
        w.write(1, f"(as a percentage of request):\t{value} / {'<auto>' if util is None else f'{util}%'}\n")


def _selector(selector: dict[str, Any] | None) -> str:
    """The label selector, empty when there is none (upstream prints the conversion's error there)."""
    text = format_label_selector(selector)
    return "" if text == "<none>" else text


def _conditions(w: Writer, status: dict[str, Any]) -> None:
    """A Deployment's or ReplicaSet's Type/Status/Reason table, when it has conditions."""
    if not status.get("conditions"):
        return
    w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
    w.write(1, "----\t------\t------\n")
    for c in status["conditions"]:
        w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")


def _pods_status(obj: dict[str, Any], ctx: Context) -> str:
    """``1 Running / 0 Waiting / 0 Succeeded / 0 Failed``: the related Pods *obj* controls, by phase."""
    uid = metadata(obj).get("uid")
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in ctx.related.get("pods") or []:
        owner = next((r for r in metadata(pod).get("ownerReferences") or [] if r.get("controller")), None)
        if owner is None or owner.get("uid") != uid:
            continue
        phase = (pod.get("status") or {}).get("phase")
        if phase in counts:
            counts[phase] += 1
    return (f"{counts['Running']} Running / {counts['Pending']} Waiting / {counts['Succeeded']} Succeeded / "
            f"{counts['Failed']} Failed")


def _replicasets(w: Writer, d: dict[str, Any], replicasets: list[dict[str, Any]]) -> None:
    """``OldReplicaSets:`` and ``NewReplicaSet:``, from the ReplicaSets the Deployment controls."""
    uid, template = metadata(d).get("uid"), (d.get("spec") or {}).get("template")
    owned = [rs for rs in replicasets
             if any(r.get("controller") and r.get("uid") == uid for r in metadata(rs).get("ownerReferences") or [])]
    owned.sort(key=lambda rs: (_ts(metadata(rs).get("creationTimestamp")) or 0.0, metadata(rs).get("name", "")))
    new = next((rs for rs in owned if _template_equal_ignore_hash(rs.get("spec", {}).get("template"), template)), None)
    # upstream's FindOldReplicaSets: describe lists only the old ones still asked for Pods
    old = [rs for rs in owned if rs is not new and int((rs.get("spec") or {}).get("replicas") or 0) != 0]

    def fmt(rss: list[dict[str, Any]]) -> str:
        return ", ".join(f"{metadata(rs).get('name', '')} ({int((rs.get('status') or {}).get('replicas') or 0)}/"
                         f"{int((rs.get('spec') or {}).get('replicas') or 0)} replicas created)" for rs in rss) or "<none>"

    w.write(0, f"OldReplicaSets:\t{fmt(old)}\n")
    w.write(0, f"NewReplicaSet:\t{fmt([new] if new is not None else [])}\n")


def _template_equal_ignore_hash(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    def strip(t: dict[str, Any] | None) -> dict[str, Any]:
        t = dict(t or {})
        meta = dict(t.get("metadata") or {})
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != "pod-template-hash"}
        meta["labels"] = labels
        meta = {k: v for k, v in meta.items() if v not in (None, {}, [], "")}
        t["metadata"] = meta
        return t
    return strip(a) == strip(b)


def _cap_indexes(indexes: str, soft_limit: int) -> str:
    """``completedIndexes`` cut after the interval that passes *soft_limit* characters, then ``...``."""
    if not indexes:
        return "<none>"
    ix = soft_limit
    while ix < len(indexes) and indexes[ix] != ",":
        ix += 1
    return indexes if ix >= len(indexes) else indexes[: ix + 1] + "..."
