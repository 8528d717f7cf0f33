"""``kubectl get pods``: READY, STATUS and RESTARTS, worked out as upstream's ``printPod`` does.

STATUS is not ``status.phase``: it is the most telling reason found walking the containers, so a
Pod in phase Running can show ``CrashLoopBackOff``, and one in phase Pending ``Init:0/1``::

    phase Pending, init container 0 waiting (PodInitializing)        Init:0/1
    phase Running, container waiting, reason CrashLoopBackOff        CrashLoopBackOff
    phase Running, deletionTimestamp set                             Terminating

Restartable init containers (sidecars) count in READY and, once the Pod is initialized, in
RESTARTS; RESTARTS adds the age of the last restart: ``4 (12s ago)``.
"""

from __future__ import annotations

from typing import Any

from .cells import _AGE, _NAME, Column, Printer, _age, _meta, _name, _ts, _wide, human_duration

__all__ = ["pod_status_reason", "pod_ready", "pod_restarts", "PRINTERS"]


def _restartable_init(container: dict[str, Any] | None) -> bool:
    return bool(container) and container.get("restartPolicy") == "Always"  # type: ignore[union-attr]


def _condition_true(status: dict[str, Any], ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True" for c in status.get("conditions") or [])


def _terminated_reason(term: dict[str, Any]) -> str:
    """A terminated container's reason, else ``Signal:9`` or ``ExitCode:1``."""
    if term.get("reason"):
        return term["reason"]
    if term.get("signal"):
        return f"Signal:{term['signal']}"
    return f"ExitCode:{int(term.get('exitCode') or 0)}"


def _pod_summary(pod: dict[str, Any]) -> tuple[int, int, str, int, float | None]:
    """(ready, total, reason, restarts, last restart time): upstream's printPod, step by step."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    restarts = 0
    restartable_restarts = 0
    total = len(spec.get("containers") or [])
    ready = 0
    last_restart: float | None = None
    last_restartable_restart: float | None = None

    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total += sum(1 for c in init_specs.values() if _restartable_init(c))

    def later(current: float | None, cs: dict[str, Any]) -> float | None:
        term = (cs.get("lastState") or {}).get("terminated")
        if term:
            t = _ts(term.get("finishedAt"))
            if t is not None and (current is None or current < t):
                return t
        return current

    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    n_init = len(spec.get("initContainers") or [])
    for i, cs in enumerate(init_statuses):
        restarts += int(cs.get("restartCount") or 0)
        last_restart = later(last_restart, cs)
        is_sidecar = _restartable_init(init_specs.get(cs.get("name")))
        if is_sidecar:
            restartable_restarts += int(cs.get("restartCount") or 0)
            last_restartable_restart = later(last_restartable_restart, cs)
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term and int(term.get("exitCode") or 0) == 0:
            continue
        if is_sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term:
            reason = "Init:" + _terminated_reason(term)
        elif waiting and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{n_init}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts = restartable_restarts
        last_restart = last_restartable_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            last_restart = later(last_restart, cs)
            state = cs.get("state") or {}
            waiting, term, running = state.get("waiting"), state.get("terminated"), state.get("running")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif term:
                reason = _terminated_reason(term)
            elif cs.get("ready") and running is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    deleting = bool(_meta(pod).get("deletionTimestamp"))
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return ready, total, reason, restarts, last_restart


def _restarts_cell(restarts: int, last: float | None, now: float) -> str:
    if restarts != 0 and last is not None:
        return f"{restarts} ({human_duration(now - last)} ago)"
    return str(restarts)


def pod_status_reason(pod: dict[str, Any]) -> str:
    """The STATUS column of ``kubectl get pods`` (Running, CrashLoopBackOff, Init:0/1, …)."""
    return _pod_summary(pod)[2]


def pod_ready(pod: dict[str, Any]) -> str:
    """The READY column, ``ready/total``."""
    ready, total, _, _, _ = _pod_summary(pod)
    return f"{ready}/{total}"


def pod_restarts(pod: dict[str, Any], now: float) -> str:
    """The RESTARTS column: ``0``, or ``3 (12s ago)`` once a container has restarted."""
    _, _, _, restarts, last = _pod_summary(pod)
    return _restarts_cell(restarts, last, now)


def _readiness_gates(spec: dict[str, Any], status: dict[str, Any]) -> str:
    """READINESS GATES: how many of the gates' conditions are True, ``<none>`` without gates."""
    gates = spec.get("readinessGates") or []
    if not gates:
        return "<none>"
    true = 0
    for gate in gates:
        for cond in status.get("conditions") or []:
            if cond.get("type") == gate.get("conditionType"):
                true += cond.get("status") == "True"
                break
    return f"{true}/{len(gates)}"


def _pod_row(pod: dict[str, Any], now: float) -> list[Any]:
    ready, total, reason, restarts, last = _pod_summary(pod)
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ips = status.get("podIPs") or []
    pod_ip = (ips[0].get("ip") if ips else "") or status.get("podIP") or "<none>"
    return [
        _name(pod),
        f"{ready}/{total}",
        reason,
        _restarts_cell(restarts, last, now),
        _age(pod, now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        _readiness_gates(spec, status),
    ]


PRINTERS: dict[str, Printer] = {
    "pods": Printer((_NAME, Column("Ready"), Column("Status"), Column("Restarts"), _AGE,
                     *_wide("IP", "Node", "Nominated Node", "Readiness Gates")), _pod_row),
}
