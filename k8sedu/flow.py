"""The flow recorder: one event per interaction between components.

Dashboards animate these events and lessons print them, so every step a student sees is something
the running control plane really did: kubectl → apiserver (a request), apiserver → etcd (a write and
its revision), apiserver → scheduler (a watch event), scheduler → apiserver (a bind),
kubelet → docker (container create/start), and so on.

Step mode (``recorder.step_mode = True``) makes every component thread wait *before* its next flow
event until :meth:`FlowRecorder.step` releases it, so the world changes one step at a time. Threads
listed with :meth:`FlowRecorder.exempt` (the notebook's own thread) never wait, so a cell never blocks.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .clock import Clock

__all__ = ["FlowEvent", "FlowRecorder", "COMPONENTS"]

COMPONENTS = (
    "kubectl",
    "apiserver",
    "etcd",
    "scheduler",
    "controller-manager",
    "kubelet",
    "docker",
    "kube-proxy",
)


@dataclass(frozen=True)
class FlowEvent:
    seq: int
    time: float
    src: str  # "kubectl", "apiserver", "kubelet/node-1", ...
    dst: str
    action: str  # "POST /apis/apps/v1/namespaces/default/deployments", "watch ADDED", "bind", ...
    kind: str = ""
    namespace: str = ""
    name: str = ""
    revision: int | None = None
    explain: str = ""  # a short Chinese explanation
    detail: dict[str, Any] = field(default_factory=dict)
    gated: bool = False  # it waited in step mode for a step() permit (and used one)

    @property
    def object_ref(self) -> str:
        if not self.kind:
            return ""
        return f"{self.kind.lower()}/{self.name}" if self.name else self.kind.lower()


class FlowRecorder:
    """Keeps the last ``capacity`` flow events and tells subscribers about new ones."""

    def __init__(self, clock: Clock, capacity: int = 20000) -> None:
        self.clock = clock
        # guards: _events, _subscribers, _seq; never held while calling a subscriber.
        self._lock = threading.Lock()
        self._events: deque[FlowEvent] = deque(maxlen=capacity)
        self._subscribers: list[Callable[[FlowEvent], None]] = []
        self._seq = itertools.count(1)
        self.enabled = True
        # step mode
        self._step_cond = threading.Condition()
        self._step_mode = False
        self._permits = 0
        self._exempt: set[int] = set()
        #: in step mode, only events this accepts wait for :meth:`step` (None: every event waits).
        #: It sees the event before it has a seq or a time. A dashboard sets it to its own filter,
        #: so heartbeats, Events and GETs flow freely and each 下一步 releases a step it shows.
        self.step_filter: Callable[[FlowEvent], bool] | None = None

    # -- recording ------------------------------------------------------------------------
    def record(
        self,
        src: str,
        dst: str,
        action: str,
        obj: dict[str, Any] | None = None,
        revision: int | None = None,
        explain: str = "",
        **detail: Any,
    ) -> FlowEvent | None:
        if not self.enabled:
            return None
        meta = (obj or {}).get("metadata") or {}
        event = FlowEvent(
            seq=0,
            time=0.0,
            src=src,
            dst=dst,
            action=action,
            kind=(obj or {}).get("kind", "") or "",
            namespace=meta.get("namespace", "") or "",
            name=meta.get("name", "") or meta.get("generateName", "") or "",
            revision=revision,
            explain=explain,
            detail=detail,
        )
        gated = False
        if self._step_mode:
            step_filter = self.step_filter
            if step_filter is None or step_filter(event):
                gated = self._gate()
        with self._lock:
            event = replace(event, seq=next(self._seq), time=self.clock.now(), gated=gated)
            self._events.append(event)
            subscribers = list(self._subscribers)
        for fn in subscribers:
            try:
                fn(event)
            except Exception:  # a broken dashboard must not break the control plane
                import logging

                logging.getLogger(__name__).exception("flow subscriber failed")
        return event

    def events(self, since_seq: int = 0) -> list[FlowEvent]:
        with self._lock:
            return [e for e in self._events if e.seq > since_seq]

    def subscribe(self, fn: Callable[[FlowEvent], None]) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(fn)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._subscribers:
                    self._subscribers.remove(fn)

        return unsubscribe

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    # -- step mode ------------------------------------------------------------------------
    @property
    def step_mode(self) -> bool:
        return self._step_mode

    @step_mode.setter
    def step_mode(self, on: bool) -> None:
        with self._step_cond:
            self._step_mode = on
            self._permits = 0
            self._step_cond.notify_all()

    def exempt(self, thread: threading.Thread | None = None) -> None:
        """Never make *thread* (default: the calling one) wait in step mode."""
        self._exempt.add((thread or threading.current_thread()).ident or 0)

    def step(self, n: int = 1) -> None:
        """Let the next *n* flow events happen."""
        with self._step_cond:
            self._permits += n
            self._step_cond.notify_all()

    def _gate(self) -> bool:
        """Wait for a permit; True if one was used."""
        if not self._step_mode or threading.get_ident() in self._exempt:
            return False
        with self._step_cond:
            while self._step_mode and self._permits <= 0:
                self._step_cond.wait(0.5)
            if self._step_mode:
                self._permits -= 1
                return True
            return False
