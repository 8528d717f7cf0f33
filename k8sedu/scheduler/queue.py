"""The scheduling queue: which Pod is scheduled next, and when a failed one is tried again.

Three places a pending Pod can wait, as in upstream's ``PriorityQueue``::

                 add ──────────────▶ activeQ ──pop──▶ scheduling cycle ──▶ bound ✓
                                      ▲   ▲                 │ failed
              back-off over (1s,2s,…10s)  │                 ▼
                     backoffQ ◀──────┘    └── cluster event ── unschedulablePods
                          ▲                  (node added, Pod deleted…) │
                          └── event came while the Pod was in its cycle ┘

- **activeQ**: ready to be scheduled; higher ``spec.priority`` first, then the one queued first
  (the PrioritySort plugin).
- **backoffQ**: failed recently; waits ``1 s × 2^(attempts-1)``, at most 10 s
  (``podInitialBackoffSeconds`` / ``podMaxBackoffSeconds``).
- **unschedulablePods**: no node fits; waits for a cluster event that might change that (a node
  added or changed, a Pod deleted…), or at most 5 minutes. Each event only moves the Pods that
  were rejected by a plugin the event concerns (upstream's queueing hints, simplified): deleting a
  Pod frees cpu, so it helps a Pod NodeResourcesFit rejected; it cannot remove a taint.

Pods with ``spec.schedulingGates`` wait in unschedulablePods until their gates are removed
(the SchedulingGates plugin).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock
from .nodeinfo import pod_priority

__all__ = [
    "QueuedPodInfo",
    "SchedulingQueue",
    "POD_INITIAL_BACKOFF",
    "POD_MAX_BACKOFF",
    "POD_MAX_IN_UNSCHEDULABLE",
    "EVENT_PLUGINS",
]

POD_INITIAL_BACKOFF = 1.0
POD_MAX_BACKOFF = 10.0
POD_MAX_IN_UNSCHEDULABLE = 300.0  # podMaxInUnschedulablePodsDuration: 5 minutes

Pod = dict[str, Any]
ALL = None  # an event that may help a Pod rejected by any plugin

#: Which plugins' rejections a cluster event may undo (upstream's EventsToRegister, simplified).
EVENT_PLUGINS: dict[str, frozenset[str] | None] = {
    "NodeAdd": ALL,
    "NodeUpdate": ALL,
    "AssignedPodAdd": frozenset({"PodTopologySpread", "InterPodAffinity"}),
    "AssignedPodUpdate": frozenset({"PodTopologySpread", "InterPodAffinity", "NodeResourcesFit"}),
    "AssignedPodDelete": frozenset({"NodeResourcesFit", "NodePorts", "PodTopologySpread", "InterPodAffinity"}),
    "UnschedulableTimeout": ALL,
    # a claim bound, a volume made, a class added: VolumeBinding may now say yes
    "PersistentVolumeClaimChange": frozenset({"VolumeBinding"}),
    "PersistentVolumeChange": frozenset({"VolumeBinding"}),
    "StorageClassAdd": frozenset({"VolumeBinding"}),
}


def _key(pod: Mapping[str, Any]) -> str:
    md = pod.get("metadata") or {}
    return f"{md.get('namespace') or 'default'}/{md.get('name', '')}"


def _gated(pod: Mapping[str, Any]) -> bool:
    return bool((pod.get("spec") or {}).get("schedulingGates"))


def _spec_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Anything but status and bookkeeping metadata changed (upstream ``isPodUpdated``)."""
    def strip(p: Mapping[str, Any]) -> dict[str, Any]:
        md = {k: v for k, v in (p.get("metadata") or {}).items()
              if k not in ("resourceVersion", "generation", "managedFields")}
        return {"metadata": md, "spec": p.get("spec")}
    return strip(old) != strip(new)


@dataclass
class QueuedPodInfo:
    pod: Pod
    timestamp: float  # when it was last put in a queue: orders activeQ, starts the back-off
    attempts: int = 0  # scheduling cycles it went through
    initial_attempt_timestamp: float | None = None
    #: plugins that rejected it in its last cycle (empty after an error: any event may help)
    unschedulable_plugins: frozenset[str] = field(default_factory=frozenset)
    gated: bool = False

    @property
    def key(self) -> str:
        return _key(self.pod)


class SchedulingQueue:
    def __init__(self, clock: Clock, initial_backoff: float = POD_INITIAL_BACKOFF,
                 max_backoff: float = POD_MAX_BACKOFF, max_in_unschedulable: float = POD_MAX_IN_UNSCHEDULABLE) -> None:
        self.clock = clock
        self.initial_backoff, self.max_backoff = initial_backoff, max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        # _cond guards everything below; never held while calling out of the queue.
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._active: list[tuple[int, float, int, str]] = []  # heap of (-priority, timestamp, seq, key)
        self._backoff: list[tuple[float, int, str]] = []  # heap of (expiry, seq, key)
        self._infos: dict[str, QueuedPodInfo] = {}  # every Pod in a queue, by key
        self._where: dict[str, str] = {}  # key -> "active" | "backoff" | "unschedulable"
        self._in_flight: dict[str, QueuedPodInfo] = {}  # popped, cycle not done
        self._in_flight_updates: dict[str, Pod] = {}  # newer objects that arrived meanwhile
        self._deleted_in_flight: set[str] = set()
        self.scheduling_cycle = 0
        self._move_request_cycle = -1
        self._closed = False

    # -- back-off -------------------------------------------------------------------------------
    def backoff_duration(self, info: QueuedPodInfo) -> float:
        """``1 s × 2^(attempts-1)``, at most 10 s; no back-off before the first attempt."""
        if info.attempts == 0:
            return 0.0
        return min(self.initial_backoff * 2 ** (info.attempts - 1), self.max_backoff)

    def backoff_expiry(self, info: QueuedPodInfo) -> float:
        return info.timestamp + self.backoff_duration(info)

    def _backing_off(self, info: QueuedPodInfo) -> bool:
        return self.backoff_expiry(info) > self.clock.now()

    # -- placing (call with _cond held) ---------------------------------------------------------
    def _to_active(self, info: QueuedPodInfo) -> None:
        self._where[info.key] = "active"
        heapq.heappush(self._active, (-pod_priority(info.pod), info.timestamp, next(self._seq), info.key))
        self._cond.notify_all()

    def _to_backoff(self, info: QueuedPodInfo) -> None:
        self._where[info.key] = "backoff"
        heapq.heappush(self._backoff, (self.backoff_expiry(info), next(self._seq), info.key))
        self._cond.notify_all()

    def _requeue(self, info: QueuedPodInfo) -> None:
        if self._backing_off(info):
            self._to_backoff(info)
        else:
            self._to_active(info)

    def _place_new(self, info: QueuedPodInfo) -> None:
        self._infos[info.key] = info
        if _gated(info.pod):
            info.gated = True
            self._where[info.key] = "unschedulable"
        else:
            info.gated = False
            self._to_active(info)

    # -- informer events --------------------------------------------------------------------------
    def add(self, pod: Pod) -> None:
        """A new unscheduled Pod."""
        with self._cond:
            key = _key(pod)
            if key in self._in_flight:
                self._in_flight_updates[key] = pod
                return
            if key in self._infos:
                self._infos[key].pod = pod
                return
            now = self.clock.now()
            self._place_new(QueuedPodInfo(pod, now, initial_attempt_timestamp=None))

    def update(self, old: Pod, new: Pod) -> None:
        with self._cond:
            key = _key(new)
            if key in self._in_flight:
                self._in_flight_updates[key] = new
                return
            info = self._infos.get(key)
            if info is None:
                self._place_new(QueuedPodInfo(new, self.clock.now()))
                return
            info.pod = new
            if self._where.get(key) != "unschedulable":
                return  # active / backoff: the newer object is used when it is popped
            if info.gated:
                if not _gated(new):
                    info.gated = False
                    info.timestamp = self.clock.now()
                    self._to_active(info)
            elif _spec_changed(old, new):
                self._requeue(info)  # the Pod itself changed: it may fit now

    def delete(self, pod: Mapping[str, Any]) -> None:
        with self._cond:
            key = _key(pod)
            if key in self._in_flight:
                self._deleted_in_flight.add(key)
            self._infos.pop(key, None)
            self._where.pop(key, None)  # heap entries of a removed key are skipped when popped

    def move_all_to_active_or_backoff(self, event: str) -> int:
        """A cluster *event* happened: move the unschedulable Pods it may help. Returns how many."""
        helps = EVENT_PLUGINS.get(event, ALL)
        moved = 0
        with self._cond:
            for key, where in list(self._where.items()):
                info = self._infos[key]
                if where != "unschedulable" or info.gated:
                    continue
                if helps is not ALL and info.unschedulable_plugins and not (info.unschedulable_plugins & helps):
                    continue
                self._requeue(info)
                moved += 1
            self._move_request_cycle = self.scheduling_cycle
        return moved

    # -- the scheduling loop's side -----------------------------------------------------------------
    def pop(self, timeout: float | None = None) -> QueuedPodInfo | None:
        """The next Pod to schedule (blocking at most *timeout* real seconds); None on timeout or
        after :meth:`close`."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._closed:
                self._flush()
                while self._active:
                    _, _, _, key = heapq.heappop(self._active)
                    if self._where.get(key) != "active":
                        continue  # deleted or moved meanwhile
                    info = self._infos.pop(key)
                    del self._where[key]
                    info.attempts += 1
                    if info.initial_attempt_timestamp is None:
                        info.initial_attempt_timestamp = self.clock.now()
                    self.scheduling_cycle += 1
                    self._in_flight[key] = info
                    return info
                wait = 0.05 if self._backoff else 0.5 if self._where else None
                if end is not None:
                    remaining = end - time.monotonic()
                    if remaining <= 0:
                        return None
                    wait = remaining if wait is None else min(wait, remaining)
                self._cond.wait(wait)
            return None

    def _flush(self) -> None:
        """Move Pods whose back-off is over to activeQ, and Pods unschedulable for too long."""
        now = self.clock.now()
        while self._backoff and self._backoff[0][0] <= now:
            _, _, key = heapq.heappop(self._backoff)
            if self._where.get(key) == "backoff":
                info = self._infos[key]
                if self.backoff_expiry(info) <= now:
                    self._to_active(info)
                else:
                    heapq.heappush(self._backoff, (self.backoff_expiry(info), next(self._seq), key))
        for key, where in list(self._where.items()):
            info = self._infos[key]
            if where == "unschedulable" and not info.gated and now - info.timestamp > self.max_in_unschedulable:
                self._requeue(info)

    def add_unschedulable_if_not_present(self, info: QueuedPodInfo, pod_scheduling_cycle: int,
                                         unschedulable_plugins: Iterable[str] = ()) -> None:
        """A cycle failed: the Pod waits in unschedulablePods, or in backoffQ if it failed by error
        or if a cluster event came while it was being scheduled (it might fit now)."""
        with self._cond:
            key = info.key
            if key in self._deleted_in_flight or key in self._infos:
                return
            info.pod = self._in_flight_updates.get(key, info.pod)
            info.timestamp = self.clock.now()
            info.unschedulable_plugins = frozenset(unschedulable_plugins)
            self._infos[key] = info
            if not info.unschedulable_plugins or self._move_request_cycle >= pod_scheduling_cycle:
                self._to_backoff(info)
            else:
                self._where[key] = "unschedulable"

    def done(self, key: str) -> None:
        """The cycle of *key* ended (bound, requeued or dropped)."""
        with self._cond:
            self._in_flight.pop(key, None)
            self._deleted_in_flight.discard(key)
            newer = self._in_flight_updates.pop(key, None)
            if newer is None or (newer.get("spec") or {}).get("nodeName"):
                return
            if key in self._infos:
                self._infos[key].pod = newer
            else:
                self._place_new(QueuedPodInfo(newer, self.clock.now()))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- looking inside -----------------------------------------------------------------------------
    def pending(self) -> dict[str, list[str]]:
        """``{"active": [...], "backoff": [...], "unschedulable": [...], "gated": [...]}`` keys."""
        with self._cond:
            out: dict[str, list[str]] = {"active": [], "backoff": [], "unschedulable": [], "gated": []}
            for key, where in self._where.items():
                out["gated" if self._infos[key].gated else where].append(key)
            return {k: sorted(v) for k, v in out.items()}

    def __len__(self) -> int:
        with self._cond:
            return len(self._where)
