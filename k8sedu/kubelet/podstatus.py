"""From what the container runtime says to a Pod's ``status``: phase, conditions, container states.

This is upstream's ``generateAPIPodStatus`` (pkg/kubelet/kubelet_pods.go and pkg/kubelet/status),
as pure functions: the kubelet hands in the Pod, what the runtime has for it (a :class:`PodView`) and
why containers could not start (the *reason cache*), and gets the status it should write::

    runtime: k8s_POD_web…_0 running          status.conditions: PodReadyToStartContainers True
             k8s_app_web…_0 exited 1                            Initialized True
             k8s_app_web…_1 exited 1                            Ready False ContainersNotReady
    reasons: app -> CrashLoopBackOff "back-off 10s…"            ContainersReady False …
                                                                PodScheduled True
             containerStatuses[app]: state.waiting CrashLoopBackOff, lastState.terminated
             (exitCode 1, Error), restartCount 1           phase: Running

The phase follows upstream's ``getPhase``: a container waiting to be restarted still counts as
having run, so a crash-looping Pod of a Deployment is ``Running``, not ``Pending``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..clock import rfc3339
from ..runtime.base import ContainerStatus
from . import events

__all__ = [
    "PodView",
    "KUBELET_CONDITIONS",
    "should_restart",
    "recorded_status",
    "lost_container_status",
    "next_attempt",
    "LOST_CONTAINER",
    "generate_pod_status",
    "get_phase",
    "merge_conditions",
    "ProbeState",
]

#: ``probe_state(container_name, container_id) -> (started, ready)`` from the prober's verdicts
ProbeState = Callable[[str, str], "tuple[bool, bool]"]

#: the condition types the kubelet owns (``kubetypes.PodConditionByKubelet``); others are kept
KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")

_EPOCH = "1970-01-01T00:00:00Z"


@dataclass
class PodView:
    """What the runtime has for one Pod: sandboxes and containers, newest first."""

    sandboxes: list[ContainerStatus] = field(default_factory=list)
    containers: dict[str, list[ContainerStatus]] = field(default_factory=dict)

    @classmethod
    def of(cls, statuses: list[ContainerStatus]) -> PodView:
        view = cls()
        order = lambda s: (s.attempt, s.created_at or 0.0, s.started_at or 0.0)  # noqa: E731
        for s in sorted(statuses, key=order, reverse=True):
            if s.is_sandbox:
                view.sandboxes.append(s)
            else:
                view.containers.setdefault(s.container_name, []).append(s)
        return view

    @property
    def sandbox(self) -> ContainerStatus | None:
        """The newest sandbox (the pause container), running or not."""
        return self.sandboxes[0] if self.sandboxes else None

    def sandbox_ready(self) -> bool:
        sb = self.sandbox
        return sb is not None and sb.state == "running"

    def latest(self, name: str) -> ContainerStatus | None:
        attempts = self.containers.get(name)
        return attempts[0] if attempts else None

    def previous(self, name: str) -> ContainerStatus | None:
        attempts = self.containers.get(name) or []
        return attempts[1] if len(attempts) > 1 else None

    def all(self) -> list[ContainerStatus]:
        return self.sandboxes + [c for attempts in self.containers.values() for c in attempts]


def should_restart(container: dict[str, Any], pod: dict[str, Any], view: PodView, init: bool = False) -> bool:
    """Upstream's ``ShouldContainerBeRestarted``: never started, or exited and the restart policy
    says so (Always; OnFailure with a non-zero exit code; never with Never). An init container
    that exited 0 is done for good."""
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return False
    latest = view.latest(container["name"])
    if latest is None:
        return True
    if latest.state in ("running", "created"):
        return False
    policy = pod.get("spec", {}).get("restartPolicy", "Always")
    if policy == "Never":
        return False
    if policy == "OnFailure" or init:
        return (latest.exit_code or 0) != 0
    return True


def recorded_status(pod: dict[str, Any], name: str) -> dict[str, Any]:
    """The container's entry in the Pod's last written status (``{}`` if none)."""
    status = pod.get("status") or {}
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if cs.get("name") == name:
            return dict(cs)
    return {}


#: upstream's lastState for a container that was running and is gone from the runtime
LOST_CONTAINER = {"exitCode": 137, "reason": "ContainerStatusUnknown",
                  "message": "The container could not be located when the pod was deleted.  "
                             "The container used to be Running"}


def lost_container_status(pod: dict[str, Any], name: str, default_waiting: str) -> tuple[dict, dict, int]:
    """``(state, lastState, restartCount)`` for a container the runtime has no record of, from the
    status last written (upstream's ``convertToAPIContainerStatuses``): a terminated one stays
    terminated; otherwise it waits, keeping its count and last state, and one that *was running*
    (its containers vanished: the kernel restarted from ``state_dir``, or ``docker rm``) gets a
    ContainerStatusUnknown last state (exit code 137) and, unless the Pod is being deleted, one
    more restart."""
    recorded = recorded_status(pod, name)
    state, last = recorded.get("state") or {}, recorded.get("lastState") or {}
    count = int(recorded.get("restartCount") or 0)
    if "terminated" in state:
        return dict(state), dict(last), count
    if "running" in state and "terminated" not in last:
        last = {"terminated": dict(LOST_CONTAINER)}
        if not (pod.get("metadata") or {}).get("deletionTimestamp"):
            count += 1
    return {"waiting": {"reason": default_waiting}}, dict(last), count


def next_attempt(pod: dict[str, Any], name: str, latest: ContainerStatus | None) -> int:
    """The attempt number (= restartCount) of the container the kubelet starts next.

    One more than the runtime's latest attempt. When the runtime has no record of the container
    (see :func:`lost_container_status`), the runs the Pod's status records: upstream counts the
    container's log files, which outlive the containers (``calcRestartCountByLogDir``), so a Pod
    on a rebooted node shows one restart more rather than starting again from 0.
    """
    if latest is not None:
        return latest.attempt + 1
    recorded = recorded_status(pod, name)
    state, last = recorded.get("state") or {}, recorded.get("lastState") or {}
    count = int(recorded.get("restartCount") or 0)
    if "running" in state or "terminated" in state:
        return count + 1  # the lost run is not counted yet
    if (last.get("terminated") or {}).get("reason") == LOST_CONTAINER["reason"]:
        return count  # the status already counted the lost run
    return count + 1 if last or count else 0


def _terminated(cs: ContainerStatus, runtime_name: str) -> dict[str, Any]:
    code = cs.exit_code if cs.exit_code is not None else 0
    reason = "OOMKilled" if cs.oom_killed else (cs.reason or ("Completed" if code == 0 else "Error"))
    out: dict[str, Any] = {"exitCode": code, "reason": reason}
    if cs.message:
        out["message"] = cs.message
    out["startedAt"] = rfc3339(cs.started_at) if cs.started_at else _EPOCH
    out["finishedAt"] = rfc3339(cs.finished_at) if cs.finished_at else _EPOCH
    out["containerID"] = f"{runtime_name}://{cs.id}"
    return out


def _state(cs: ContainerStatus, runtime_name: str) -> dict[str, Any]:
    if cs.state == "running":
        return {"running": {"startedAt": rfc3339(cs.started_at) if cs.started_at else _EPOCH}}
    if cs.state == "exited":
        return {"terminated": _terminated(cs, runtime_name)}
    if cs.state == "created":
        return {"waiting": {"reason": events.CONTAINER_CREATING}}
    return {
        "terminated": {
            "exitCode": 137,
            "reason": "ContainerStatusUnknown",
            "message": "The container could not be located when the pod was terminated",
            "startedAt": _EPOCH,
            "finishedAt": _EPOCH,
        }
    }


def _container_status(
    container: dict[str, Any],
    pod: dict[str, Any],
    view: PodView,
    reasons: dict[str, tuple[str, str]],
    runtime_name: str,
    default_waiting: str,
    terminal: bool,
    init: bool = False,
    probe_state: ProbeState | None = None,
) -> dict[str, Any]:
    name = container["name"]
    latest, previous = view.latest(name), view.previous(name)
    status: dict[str, Any] = {"name": name}
    if latest is None:
        state, last, restarts = lost_container_status(pod, name, default_waiting)
    else:
        restarts = latest.attempt
        state = _state(latest, runtime_name)
        last = {"terminated": _terminated(previous, runtime_name)} if previous and previous.state == "exited" else {}
    # A container that will be started again is *waiting*, with the reason its last start failed
    # (ErrImagePull, CrashLoopBackOff…); its last run moves to lastState.
    if not terminal and should_restart(container, pod, view, init) and name in reasons:
        reason, message = reasons[name]
        if "terminated" in state:
            last = state
        state = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
    running = latest is not None and latest.state == "running" and "running" in state
    status["state"] = state
    status["lastState"] = last
    # A running container is started once its startup probe passed, and ready once its readiness
    # probe passed too (probes.py holds the verdicts); without probes, running means both.
    started = ready = running
    if running and probe_state is not None and latest is not None:
        started, ready = probe_state(name, latest.id)
    status["ready"] = ready
    status["restartCount"] = restarts
    status["image"] = (latest.image if latest is not None and latest.image else "") or container.get("image", "")
    status["imageID"] = latest.image_id if latest is not None else ""
    if latest is not None:
        status["containerID"] = f"{runtime_name}://{latest.id}"
    status["started"] = started
    return status


def get_phase(pod: dict[str, Any], init_statuses: list[dict[str, Any]], statuses: list[dict[str, Any]],
              pod_is_terminal: bool) -> str:
    """Upstream's ``getPhase``: Pending, Running, Succeeded or Failed from the container states."""
    spec = pod.get("spec", {})
    policy = spec.get("restartPolicy", "Always")
    by_name = {s["name"]: s for s in init_statuses}
    pending_init = failed_init = 0
    for c in spec.get("initContainers") or []:
        s = by_name.get(c["name"])
        if s is None:
            pending_init += 1
            continue
        state, last = s["state"], s.get("lastState") or {}
        if "running" in state:
            pending_init += 1
        elif "terminated" in state:
            if state["terminated"]["exitCode"] != 0:
                failed_init += 1
        elif "waiting" in state:
            if "terminated" in last:
                if last["terminated"]["exitCode"] != 0:
                    failed_init += 1
            else:
                pending_init += 1
        else:
            pending_init += 1

    by_name = {s["name"]: s for s in statuses}
    unknown = running = waiting = stopped = succeeded = 0
    any_started = False
    for c in spec.get("containers") or []:
        s = by_name.get(c["name"])
        if s is None:
            unknown += 1
            continue
        state, last = s["state"], s.get("lastState") or {}
        if "running" in state:
            running += 1
            any_started = True
        elif "terminated" in state:
            stopped += 1
            any_started = True
            if state["terminated"]["exitCode"] == 0:
                succeeded += 1
        elif "waiting" in state:
            if "terminated" in last:
                stopped += 1
                any_started = True
            else:
                waiting += 1
        else:
            unknown += 1

    if failed_init > 0 and policy == "Never":
        return "Failed"
    if (pending_init > 0 and not any_started) or waiting > 0:
        return "Pending"
    if running > 0 and unknown == 0:
        return "Running"
    if running == 0 and stopped > 0 and unknown == 0:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"  # every container is on its way to be restarted
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"  # OnFailure: the failed ones will be restarted
    return "Pending"


def _names(names: list[str]) -> str:
    """Go's ``%s`` of a []string: ``[web app]``."""
    return "[" + " ".join(names) + "]"


def _conditions(pod: dict[str, Any], view: PodView, init_statuses: list[dict[str, Any]],
                statuses: list[dict[str, Any]], phase: str) -> list[dict[str, Any]]:
    spec = pod.get("spec", {})
    conds: list[dict[str, Any]] = []

    def cond(type_: str, ok: bool, reason: str = "", message: str = "") -> None:
        c: dict[str, Any] = {"type": type_, "status": "True" if ok else "False"}
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        conds.append(c)

    cond("PodReadyToStartContainers", view.sandbox_ready())

    # Initialized
    init_by_name = {s["name"]: s for s in init_statuses}
    any_started = any(("running" in s["state"]) or ("terminated" in s["state"])
                      or ("terminated" in (s.get("lastState") or {})) for s in statuses)
    unknown_init, incomplete = [], []
    for c in spec.get("initContainers") or []:
        s = init_by_name.get(c["name"])
        if s is None:
            unknown_init.append(c["name"])
        elif not s["ready"]:
            incomplete.append(c["name"])
    if phase == "Succeeded" and not unknown_init:
        cond("Initialized", True, "PodCompleted")
    elif any_started or (not unknown_init and not incomplete):
        cond("Initialized", True)
    else:
        msgs = []
        if unknown_init:
            msgs.append(f"containers with unknown status: {_names(unknown_init)}")
        if incomplete:
            msgs.append(f"containers with incomplete status: {_names(incomplete)}")
        cond("Initialized", False, "ContainersNotInitialized", ", ".join(msgs))

    # ContainersReady, and Ready (the same unless readiness gates say otherwise)
    by_name = {s["name"]: s for s in statuses}
    unknown, unready = [], []
    for c in spec.get("containers") or []:
        s = by_name.get(c["name"])
        if s is None:
            unknown.append(c["name"])
        elif not s["ready"]:
            unready.append(c["name"])
    if phase == "Succeeded" and not unknown:
        ready, reason, message = False, "PodCompleted", ""
    elif phase == "Failed":
        ready, reason, message = False, "PodFailed", ""
    elif unknown or unready:
        msgs = []
        if unknown:
            msgs.append(f"containers with unknown status: {_names(unknown)}")
        if unready:
            msgs.append(f"containers with unready status: {_names(unready)}")
        ready, reason, message = False, "ContainersNotReady", ", ".join(msgs)
    else:
        ready, reason, message = True, "", ""
    pod_conditions = {c.get("type"): c for c in pod.get("status", {}).get("conditions") or []}
    gate_msgs = []
    if ready:
        for gate in spec.get("readinessGates") or []:
            t = gate.get("conditionType", "")
            c = pod_conditions.get(t)
            if c is None:
                gate_msgs.append(f'corresponding condition of pod readiness gate "{t}" does not exist.')
            elif c.get("status") != "True":
                gate_msgs.append(f'the status of pod readiness gate "{t}" is not "True", but {c.get("status")}')
    if gate_msgs:
        cond("Ready", False, "ReadinessGatesNotReady", ", ".join(gate_msgs))
    else:
        cond("Ready", ready, reason, message)
    cond("ContainersReady", ready, reason, message)
    cond("PodScheduled", True)
    return conds


def merge_conditions(old: list[dict[str, Any]], new: list[dict[str, Any]], now: str) -> list[dict[str, Any]]:
    """Keep the conditions the kubelet does not own (DisruptionTarget, readiness gates…) and give
    each condition a ``lastTransitionTime`` that only moves when its status changes."""
    old_by_type = {c.get("type"): c for c in old}
    out = [c for c in old if c.get("type") not in KUBELET_CONDITIONS]
    for c in new:
        before = old_by_type.get(c["type"])
        moved = before is None or before.get("status") != c["status"]
        full: dict[str, Any] = {
            "type": c["type"],
            "status": c["status"],
            "lastProbeTime": None,
            "lastTransitionTime": now if moved or not before.get("lastTransitionTime")  # type: ignore[union-attr]
            else before["lastTransitionTime"],  # type: ignore[index]
        }
        for k in ("reason", "message"):
            if c.get(k):
                full[k] = c[k]
        out.append(full)
    return out


def generate_pod_status(
    pod: dict[str, Any],
    view: PodView,
    reasons: dict[str, tuple[str, str]],
    *,
    runtime_name: str,
    pod_ip: str,
    host_ip: str,
    now: str,
    terminal: bool = False,
    probe_state: ProbeState | None = None,
) -> dict[str, Any]:
    """The full ``status`` the kubelet should write for *pod* (upstream's generateAPIPodStatus plus
    the status manager's merge with the stored status).

    *terminal* is True once the Pod will never run again (deleted, or its containers are done and
    will not restart): the phase then becomes Succeeded or Failed.
    """
    spec = pod.get("spec", {})
    old = pod.get("status") or {}
    init_containers = spec.get("initContainers") or []
    init_statuses = [
        _container_status(c, pod, view, reasons, runtime_name, events.CONTAINER_CREATING, terminal, init=True)
        for c in init_containers
    ]
    # Init containers are ready once they exited 0.
    for s in init_statuses:
        t = s["state"].get("terminated")
        s["ready"] = bool(t) and t["exitCode"] == 0
    init_done = all(s["ready"] for s in init_statuses)
    default_waiting = events.CONTAINER_CREATING if init_done else events.POD_INITIALIZING
    statuses = [
        _container_status(c, pod, view, reasons, runtime_name, default_waiting, terminal,
                          probe_state=probe_state)
        for c in spec.get("containers") or []
    ]
    statuses.sort(key=lambda s: s["name"])  # upstream sorts containerStatuses by name

    if terminal:
        # The Pod will never run again: what never got a terminated state gets upstream's
        # "ContainerStatusUnknown", and the phase must be terminal (status manager's TerminatePod).
        for s in init_statuses + statuses:
            if "terminated" not in s["state"]:
                s["state"] = {"terminated": {
                    "exitCode": 137,
                    "reason": "ContainerStatusUnknown",
                    "message": "The container could not be located when the pod was terminated",
                    "startedAt": None,
                    "finishedAt": None,
                }} if "running" not in s["state"] else s["state"]
    phase = get_phase(pod, init_statuses, statuses, terminal)
    if terminal and phase not in ("Succeeded", "Failed"):
        phase = "Failed"
    if old.get("phase") in ("Succeeded", "Failed"):
        phase = old["phase"]  # a terminal phase never changes back (status manager's rule)

    status: dict[str, Any] = {"phase": phase}
    status["conditions"] = merge_conditions(old.get("conditions") or [],
                                            _conditions(pod, view, init_statuses, statuses, phase), now)
    for k in ("message", "reason", "nominatedNodeName"):
        if old.get(k):
            status[k] = old[k]
    if host_ip:
        status["hostIP"] = host_ip
        status["hostIPs"] = [{"ip": host_ip}]
    ip = pod_ip or old.get("podIP", "")
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    status["startTime"] = old.get("startTime") or now
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    status["containerStatuses"] = statuses
    if old.get("qosClass"):
        status["qosClass"] = old["qosClass"]
    return status
