"""``kubectl get`` for the workload controllers: Deployments, ReplicaSets, DaemonSets, StatefulSets,
Jobs, CronJobs, and the HorizontalPodAutoscalers that scale them.

Each counts replicas its own way (READY ``2/3``; DESIRED, CURRENT, READY as plain numbers; a Job's
COMPLETIONS ``1/3``); all of them show their pod template's CONTAINERS and IMAGES and their
SELECTOR with ``-o wide``.
"""

from __future__ import annotations

from typing import Any

from .cells import (
    _AGE,
    _NAME,
    Column,
    Printer,
    _age,
    _list_cut,
    _meta,
    _name,
    _selector_string,
    _ts,
    _wide,
    format_label_selector,
    format_labels,
    human_duration,
    since,
)

__all__ = ["format_hpa_metrics", "PRINTERS"]


def _pod_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec of the pod template in a workload's *spec*."""
    return (spec.get("template") or {}).get("spec") or {}


def _containers_cells(spec: dict[str, Any]) -> list[str]:
    """CONTAINERS and IMAGES (``-o wide``): the pod template's container names and images."""
    containers = _pod_spec(spec).get("containers") or []
    return [
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    ]


def _ready_of_replicas(spec: dict[str, Any], status: dict[str, Any]) -> str:
    return f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas') or 0)}"


def _deployment_row(d: dict[str, Any], now: float) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    return [
        _name(d),
        _ready_of_replicas(spec, status),
        int(status.get("updatedReplicas") or 0),
        int(status.get("availableReplicas") or 0),
        _age(d, now),
        *_containers_cells(spec),
        _selector_string(spec.get("selector")),  # upstream: '' rather than <none> when empty
    ]


def _replicaset_row(rs: dict[str, Any], now: float) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    return [
        _name(rs),
        int(spec.get("replicas") or 0),
        int(status.get("replicas") or 0),
        int(status.get("readyReplicas") or 0),
        _age(rs, now),
        *_containers_cells(spec),
        format_label_selector(spec.get("selector")),
    ]


def _daemonset_row(ds: dict[str, Any], now: float) -> list[Any]:
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    return [
        _name(ds),
        int(status.get("desiredNumberScheduled") or 0),
        int(status.get("currentNumberScheduled") or 0),
        int(status.get("numberReady") or 0),
        int(status.get("updatedNumberScheduled") or 0),
        int(status.get("numberAvailable") or 0),
        format_labels(_pod_spec(spec).get("nodeSelector")),
        _age(ds, now),
        *_containers_cells(spec),
        format_label_selector(spec.get("selector")),
    ]


def _statefulset_row(ss: dict[str, Any], now: float) -> list[Any]:
    spec, status = ss.get("spec") or {}, ss.get("status") or {}
    return [_name(ss), _ready_of_replicas(spec, status), _age(ss, now), *_containers_cells(spec)]


def _job_condition(job: dict[str, Any], ctype: str) -> bool:
    """upstream's ``hasJobCondition``: the *first* condition of that type decides."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return bool(cond.get("status") == "True")
    return False


def _job_status(job: dict[str, Any]) -> str:
    """STATUS: the first of these that holds, else ``Running``."""
    if _job_condition(job, "Complete"):
        return "Complete"
    if _job_condition(job, "Failed"):
        return "Failed"
    if _meta(job).get("deletionTimestamp"):
        return "Terminating"
    if _job_condition(job, "Suspended"):
        return "Suspended"
    if _job_condition(job, "FailureTarget"):
        return "FailureTarget"
    return "Running"


def _job_row(job: dict[str, Any], now: float) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = int(status.get("succeeded") or 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{int(spec['completions'])}"
    else:
        parallelism = int(spec.get("parallelism") or 0)
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    start, done = _ts(status.get("startTime")), _ts(status.get("completionTime"))
    if start is None:
        duration = ""
    elif done is None:
        duration = human_duration(now - start)
    else:
        duration = human_duration(done - start)
    return [_name(job), _job_status(job), completions, duration, _age(job, now), *_containers_cells(spec),
            format_label_selector(spec.get("selector"))]


def _bool_ptr(value: Any) -> str:
    if value is None:
        return "<unset>"
    return "True" if value else "False"


def _cronjob_row(cj: dict[str, Any], now: float) -> list[Any]:
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    last = status.get("lastScheduleTime")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return [
        _name(cj),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        _bool_ptr(spec.get("suspend")),
        len(status.get("active") or []),
        since(last, now) if last else "<none>",
        _age(cj, now),
        *_containers_cells(job_spec),
        format_label_selector(job_spec.get("selector")),
    ]


def format_hpa_metrics(specs: list[dict[str, Any]], statuses: list[dict[str, Any]]) -> str:
    """``formatHPAMetrics`` (kubectl 1.32): ``cpu: 12%/50%``; ``<unknown>`` before the first
    measurement; at most two, then `` + N more...``."""
    if not specs:
        return "<none>"
    items: list[str] = []
    for i, spec in enumerate(specs):
        mtype = spec.get("type")
        key = "resource" if mtype == "Resource" else "containerResource" if mtype == "ContainerResource" else ""
        src = spec.get(key) or {} if key else {}
        current_src = ((statuses[i] if i < len(statuses) else {}).get(key) or {}).get("current") or {} if key else {}
        target = src.get("target") or {}
        if not key:
            items.append("<unknown>")
        elif target.get("averageValue") is not None:
            items.append(f"{src.get('name')}: {current_src.get('averageValue', '<unknown>')}/{target['averageValue']}")
        else:
            cur = current_src.get("averageUtilization")
            util = target.get("averageUtilization")
            items.append(f"{src.get('name')}: {'<unknown>' if cur is None else f'{cur}%'}/"
                         f"{'<auto>' if util is None else f'{util}%'}")
    return _list_cut(items, limit=2, sep=", ")


def _hpa_row(hpa: dict[str, Any], now: float) -> list[Any]:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_pods = spec.get("minReplicas")
    return [
        _name(hpa),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        format_hpa_metrics(spec.get("metrics") or [], status.get("currentMetrics") or []),
        "<unset>" if min_pods is None else min_pods,
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        _age(hpa, now),
    ]


_TEMPLATE_WIDE = _wide("Containers", "Images", "Selector")
_DESIRED_CURRENT_READY = (Column("Desired", "integer"), Column("Current", "integer"), Column("Ready", "integer"))

PRINTERS: dict[str, Printer] = {
    "deployments": Printer((_NAME, Column("Ready"), Column("Up-to-date"), Column("Available"), _AGE,
                            *_TEMPLATE_WIDE), _deployment_row),
    "replicasets": Printer((_NAME, *_DESIRED_CURRENT_READY, _AGE, *_TEMPLATE_WIDE), _replicaset_row),
    "daemonsets": Printer((_NAME, *_DESIRED_CURRENT_READY, Column("Up-to-date", "integer"),
                           Column("Available", "integer"), Column("Node Selector"), _AGE, *_TEMPLATE_WIDE),
                          _daemonset_row),
    "statefulsets": Printer((_NAME, Column("Ready"), _AGE, *_wide("Containers", "Images")), _statefulset_row),
    "jobs": Printer((_NAME, Column("Status"), Column("Completions"), Column("Duration"), _AGE, *_TEMPLATE_WIDE),
                    _job_row),
    "cronjobs": Printer((_NAME, Column("Schedule"), Column("Timezone"), Column("Suspend"),
                         Column("Active", "integer"), Column("Last Schedule"), _AGE, *_TEMPLATE_WIDE),
                        _cronjob_row),
    "horizontalpodautoscalers": Printer((_NAME, Column("Reference"), Column("Targets"), Column("MinPods"),
                                         Column("MaxPods", "integer"), Column("Replicas", "integer"), _AGE),
                                        _hpa_row),
}
