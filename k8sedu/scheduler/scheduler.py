"""kube-scheduler: watches for Pods without a node and binds each to the best node.

It talks to the cluster only through the apiserver, as the real one does::

    apiserver ──watch nodes, pods──▶ informers ──▶ cache (nodes + bound/assumed Pods)
                                         │
                                         └─ unscheduled Pods ──▶ scheduling queue
                                                                      │ pop (one at a time)
    scheduling cycle: snapshot ─▶ Filter ─▶ Score ─▶ assume ─▶ POST pods/<name>/binding
                      no node fits ─▶ Event FailedScheduling + PodScheduled=False (Unschedulable)
                                      and back to the queue until the cluster changes

Every attempt leaves a :class:`~k8sedu.scheduler.trace.Trace` (``scheduler.trace(ns, name)``) and
two flow events (``filter``, ``score``) that the dashboards animate; the binding request itself
is a flow event the apiserver records.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from ..api import kinds, meta
from ..client import Client, EventRecorder, InformerFactory
from ..clock import Clock
from ..errors import APIError, K8sEduError
from .cache import SchedulerCache
from .framework import DEFAULT_SCHEDULER_NAME, Profile, Registry
from .nodeinfo import is_terminal
from .plugins.volume_binding import SELECTED_NODE, claims_to_provision, pod_claim_names
from .queue import QueuedPodInfo, SchedulingQueue
from .schedule_one import new_framework, schedule_pod
from .trace import ERROR, SCHEDULED, Trace

__all__ = ["Scheduler", "MAX_MESSAGE_LENGTH"]

log = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 1024  # upstream truncates event messages to this, ending with " ..."
_OBJECT_KINDS = ("namespaces", "services", "replicasets", "statefulsets", "replicationcontrollers",
                 "persistentvolumeclaims", "persistentvolumes", "storageclasses")
_VOLUME_EVENTS = {"persistentvolumeclaims": "PersistentVolumeClaimChange",
                  "persistentvolumes": "PersistentVolumeChange", "storageclasses": "StorageClassAdd"}


def _key(obj: Mapping[str, Any]) -> str:
    md = obj.get("metadata") or {}
    return f"{md.get('namespace') or 'default'}/{md.get('name', '')}"


def _assigned(pod: Mapping[str, Any]) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


def truncate_message(message: str) -> str:
    if len(message) <= MAX_MESSAGE_LENGTH:
        return message
    suffix = " ..."
    return message[: MAX_MESSAGE_LENGTH - len(suffix)] + suffix


def _node_scheduling_properties_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Upstream ignores node updates that cannot change a decision (heartbeats, conditions'
    timestamps): only spec.unschedulable, allocatable, labels and taints count."""
    o_spec, n_spec = old.get("spec") or {}, new.get("spec") or {}
    if bool(o_spec.get("unschedulable")) != bool(n_spec.get("unschedulable")):
        return True
    if (o_spec.get("taints") or []) != (n_spec.get("taints") or []):
        return True
    if ((old.get("metadata") or {}).get("labels") or {}) != ((new.get("metadata") or {}).get("labels") or {}):
        return True
    o_st, n_st = old.get("status") or {}, new.get("status") or {}
    if (o_st.get("allocatable") or o_st.get("capacity")) != (n_st.get("allocatable") or n_st.get("capacity")):
        return True
    return (o_st.get("images") or []) != (n_st.get("images") or [])


class Scheduler:
    """``Scheduler(client, clock)``; ``start()`` / ``stop()``. Schedules the Pods whose
    ``spec.schedulerName`` is the profile's (``default-scheduler``). *seed* makes the random
    tie-break between equally good nodes repeatable (tests, lessons)."""

    def __init__(self, client: Client, clock: Clock | None = None, recorder_component: str = DEFAULT_SCHEDULER_NAME,
                 *, profile: Profile | None = None, registry: Registry | None = None, seed: int | None = None,
                 max_traces: int = 2000) -> None:
        self.client = client
        self.clock = clock or client.clock
        self.framework = new_framework(profile, registry)
        self.scheduler_name = self.framework.profile.scheduler_name
        self.recorder = EventRecorder(client, recorder_component)
        self.cache = SchedulerCache()
        self.queue = SchedulingQueue(self.clock)
        self.informers = InformerFactory(client)
        self._rng = random.Random(seed)
        # _lock guards _latest and _history (the traces); taken alone.
        self._lock = threading.Lock()
        self._latest: dict[str, Trace] = {}
        self._history: deque[Trace] = deque(maxlen=max_traces)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pods: Any = None
        self._object_informers: list[Any] = []

    # -- lifecycle --------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> Scheduler:
        if self._thread is not None:
            return self
        nodes = self.informers.informer("nodes")
        nodes.add_handler(self._on_node_add, self._on_node_update, self._on_node_delete)
        # As upstream: finished Pods hold no resources, so the scheduler does not even watch them.
        self._pods = self.informers.informer("pods", field_selector="status.phase!=Succeeded,status.phase!=Failed")
        self._pods.add_handler(self._on_pod_add, self._on_pod_update, self._on_pod_delete)
        for plural in _OBJECT_KINDS:
            try:
                kinds.lookup(plural)
            except K8sEduError:
                continue  # not served by this apiserver (yet)
            informer = self.informers.informer(plural)
            self._object_informers.append(informer)
            event = _VOLUME_EVENTS.get(plural)
            if event is not None:  # what VolumeBinding rejected may fit once claims or volumes change
                informer.add_handler(on_add=lambda _o, e=event: self._volume_event(e),
                                     on_update=lambda _o, _n, e=event: self._volume_event(e))
        self.informers.start()
        if not self.informers.wait_synced(timeout):
            log.warning("scheduler: informers not synced after %.0fs", timeout)
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.queue.close()
        self.informers.stop()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def __enter__(self) -> Scheduler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- traces -----------------------------------------------------------------------------------
    def trace(self, namespace: str, name: str) -> Trace | None:
        """The latest attempt to schedule Pod *namespace*/*name*."""
        with self._lock:
            return self._latest.get(f"{namespace}/{name}")

    def traces(self) -> list[Trace]:
        """Every attempt kept (the last ``max_traces``), oldest first."""
        with self._lock:
            return list(self._history)

    def _keep(self, trace: Trace) -> None:
        with self._lock:
            self._latest[trace.pod] = trace
            self._history.append(trace)

    # -- informer handlers (enqueue and cache; never schedule here) --------------------------------
    def _responsible(self, pod: Mapping[str, Any]) -> bool:
        return ((pod.get("spec") or {}).get("schedulerName") or DEFAULT_SCHEDULER_NAME) == self.scheduler_name

    def _volume_event(self, event: str) -> None:
        self.queue.move_all_to_active_or_backoff(event)

    def _on_node_add(self, node: dict[str, Any]) -> None:
        self.cache.add_node(node)
        self.queue.move_all_to_active_or_backoff("NodeAdd")

    def _on_node_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.cache.update_node(new)
        if _node_scheduling_properties_changed(old, new):
            self.queue.move_all_to_active_or_backoff("NodeUpdate")

    def _on_node_delete(self, node: dict[str, Any]) -> None:
        self.cache.remove_node(node)

    def _on_pod_add(self, pod: dict[str, Any]) -> None:
        if _assigned(pod):
            self.cache.add_pod(pod)
            self.queue.move_all_to_active_or_backoff("AssignedPodAdd")
        elif self._responsible(pod) and not is_terminal(pod):
            self.queue.add(pod)

    def _on_pod_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if _assigned(new):
            self.cache.update_pod(new)
            if not _assigned(old):
                self.queue.delete(old)  # bound (by us or anyone): no longer ours to schedule
                self.queue.move_all_to_active_or_backoff("AssignedPodAdd")
            elif ((old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels")
                  or (old.get("spec") or {}).get("containers") != (new.get("spec") or {}).get("containers")):
                self.queue.move_all_to_active_or_backoff("AssignedPodUpdate")
        elif self._responsible(new):
            self.queue.update(old, new)

    def _on_pod_delete(self, pod: dict[str, Any]) -> None:
        if _assigned(pod):
            self.cache.remove_pod(pod)
            self.queue.move_all_to_active_or_backoff("AssignedPodDelete")
        else:
            self.queue.delete(pod)

    # -- the scheduling loop ----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            info = self.queue.pop(timeout=0.5)
            if info is None:
                continue
            try:
                self.schedule_one(info)
            except Exception:  # never let one Pod kill the scheduler
                log.exception("scheduler: cycle for %s failed", info.key)
                self.queue.add_unschedulable_if_not_present(info, self.queue.scheduling_cycle)
            finally:
                self.queue.done(info.key)

    def _objects(self) -> list[Mapping[str, Any]]:
        out: list[Mapping[str, Any]] = []
        for inf in self._object_informers:
            out.extend(inf.list())
        return out

    def schedule_one(self, info: QueuedPodInfo) -> Trace | None:
        """One scheduling cycle for a popped Pod (upstream ``ScheduleOne``)."""
        pod = info.pod
        if (pod.get("metadata") or {}).get("deletionTimestamp") or _assigned(pod) or self.cache.is_assumed(info.key):
            return None  # being deleted, or already placed: nothing to do
        cycle = self.queue.scheduling_cycle
        snapshot = self.cache.snapshot(self._objects())
        trace = schedule_pod(self.framework, pod, snapshot, self._rng, now=self.clock.now(), attempt=info.attempts)
        self._keep(trace)  # before binding, so whoever sees the binding also finds the trace
        flow = self.client.apiserver.flow
        if trace.result == ERROR and not trace.nodes:
            flow.record("scheduler", "scheduler", "filter", pod, explain=f"预选（Filter）：{trace.message}")
        else:
            explain = f"预选（Filter）：{len(trace.nodes)} 个节点中 {len(trace.feasible)} 个可用"
            if trace.message:
                explain += f"。{trace.message}"
            flow.record("scheduler", "scheduler", "filter", pod, explain=explain,
                        feasible=list(trace.feasible), nodes=len(trace.nodes))
        if trace.result == SCHEDULED and trace.chosen:
            if trace.scored:
                total = trace.totals[trace.chosen]
                explain = f"优选（Score）：{trace.chosen} 得分最高（{total}）"
            else:
                explain = f"优选（Score）：只有 {trace.chosen} 可用，无需打分"
            flow.record("scheduler", "scheduler", "score", pod, explain=explain, chosen=trace.chosen,
                        totals=trace.totals)
            self._bind(info, trace, cycle)
        else:
            reason = "Unschedulable" if trace.result != ERROR else "SchedulerError"
            # after an error any event may help: no plugins means "retry after the back-off"
            plugins = set(trace.unschedulable_plugins) if trace.result != ERROR else set()
            self._handle_failure(info, trace, reason, cycle, plugins)
        return trace

    def _bind(self, info: QueuedPodInfo, trace: Trace, cycle: int) -> None:
        pod, node = info.pod, trace.chosen or ""
        assumed = meta.deep_copy(pod)
        assumed.setdefault("spec", {})["nodeName"] = node
        self.cache.assume_pod(assumed)  # the next cycle already sees this Pod's requests on node
        try:
            self._pre_bind_volumes(pod, node)
            self.client.bind(pod, node)
        except APIError as err:
            self.cache.forget_pod(assumed)
            trace.result, trace.message = ERROR, err.message
            self._handle_failure(info, trace, "SchedulerError", cycle, set())
            return
        md = pod.get("metadata") or {}
        self.recorder.normal(pod, "Scheduled",
                             f"Successfully assigned {md.get('namespace') or 'default'}/{md.get('name', '')} to {node}")

    def _pre_bind_volumes(self, pod: dict[str, Any], node: str) -> None:
        """VolumeBinding's PreBind: name the node on the Pod's WaitForFirstConsumer claims, so the
        PV controller binds or provisions their volumes there."""
        if not pod_claim_names(pod):
            return
        objects = self._objects()
        claims = [o for o in objects if o.get("kind") == "PersistentVolumeClaim"]
        classes = [o for o in objects if o.get("kind") == "StorageClass"]
        for pvc in claims_to_provision(pod, claims, classes):
            md = pvc.get("metadata") or {}
            self.client.patch("persistentvolumeclaims", md.get("name", ""),
                              {"metadata": {"annotations": {SELECTED_NODE: node}}}, md.get("namespace"))

    def _handle_failure(self, info: QueuedPodInfo, trace: Trace, reason: str, cycle: int,
                        plugins: set[str]) -> None:
        """Requeue, tell the user (Event), and record it on the Pod (PodScheduled=False)."""
        pod = info.pod
        current = self._pods.get(_key(pod)) if self._pods is not None else pod
        if current is not None and not _assigned(current):
            info.pod = current
            self.queue.add_unschedulable_if_not_present(info, cycle, plugins)
        message = trace.message
        self.recorder.warning(pod, "FailedScheduling", truncate_message(message))
        if current is None or _assigned(current):
            return  # deleted or bound meanwhile: nothing to write on it
        self._set_unschedulable_condition(current, reason, message)

    def _set_unschedulable_condition(self, pod: Mapping[str, Any], reason: str, message: str) -> None:
        old = next((c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "PodScheduled"),
                   None)
        if old is not None and old.get("status") == "False" and old.get("reason") == reason \
                and old.get("message") == message:
            return  # unchanged: upstream skips the write
        now = self.clock.timestamp()
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": old["lastTransitionTime"] if old and old.get("status") == "False"
            and old.get("lastTransitionTime") else now,
            "reason": reason,
            "message": message,
        }
        md = pod.get("metadata") or {}
        try:
            self.client.patch("pods", md.get("name", ""), {"status": {"conditions": [condition]}},
                              md.get("namespace") or "default", patch_type="strategic", subresource="status")
        except APIError as err:
            log.info("scheduler: could not update the status of %s: %s", _key(pod), err)

    # -- looking inside -----------------------------------------------------------------------------
    def pending(self) -> dict[str, list[str]]:
        """The scheduling queue: ``{"active": [...], "backoff": [...], "unschedulable": [...], "gated": [...]}``."""
        return self.queue.pending()
