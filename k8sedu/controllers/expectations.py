"""Expectations: what a controller remembers about its own writes still on their way back.

A ReplicaSet controller that creates 3 Pods sees them in its Pod cache only a moment later. If it
reconciled in between, it would count 0 Pods and create 3 more. So before creating it *expects* 3
creations, and it does not manage replicas again until its informer has seen them (or 5 minutes
have passed, in case a watch event was lost)::

    expect_creations(rs, 3)   add=3         reconcile?  no: waiting for 3 Pods
    Pod ADDED  (x3)           add=2,1,0     reconcile?  yes: the cache now shows all 3

Deletions are tracked by Pod key, so each Pod is counted once whether the controller first sees
its ``deletionTimestamp`` (graceful deletion) or the final DELETED event. Upstream:
``ControllerExpectations`` / ``UIDTrackingControllerExpectations`` in pkg/controller.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..clock import Clock

__all__ = ["ControllerExpectations", "EXPECTATIONS_TIMEOUT"]

#: upstream's ExpectationsTimeout: after this a lost event no longer blocks the controller
EXPECTATIONS_TIMEOUT = 5 * 60.0


@dataclass
class _Record:
    add: int
    delete: int
    timestamp: float
    deleting: set[str] = field(default_factory=set)  # Pod keys we expect to see deleted

    def fulfilled(self) -> bool:
        return self.add <= 0 and self.delete <= 0


class ControllerExpectations:
    """Per-controller-key expectations of creations and (by Pod key) deletions."""

    def __init__(self, clock: Clock, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.clock = clock
        self.timeout = timeout
        # guards _records; never held while calling out
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}

    def satisfied(self, key: str) -> bool:
        """May the controller manage replicas for *key* now? (``SatisfiedExpectations``)"""
        with self._lock:
            rec = self._records.get(key)
            if rec is None:
                return True  # no record: a new controller, or one that never wrote
            if rec.fulfilled():
                return True
            return self.clock.now() - rec.timestamp > self.timeout  # expired: a lost event

    def expect_creations(self, key: str, count: int) -> None:
        with self._lock:
            self._records[key] = _Record(add=count, delete=0, timestamp=self.clock.now())

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        with self._lock:
            self._records[key] = _Record(add=0, delete=len(pod_keys), timestamp=self.clock.now(),
                                         deleting=set(pod_keys))

    def creation_observed(self, key: str) -> None:
        with self._lock:
            rec = self._records.get(key)
            if rec is not None:
                rec.add -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        with self._lock:
            rec = self._records.get(key)
            if rec is not None and pod_key in rec.deleting:
                rec.deleting.discard(pod_key)
                rec.delete -= 1

    def delete(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)

    def get(self, key: str) -> tuple[int, int] | None:
        """``(add, delete)`` still expected for *key*, or None (for tests and lessons)."""
        with self._lock:
            rec = self._records.get(key)
            return None if rec is None else (rec.add, rec.delete)
