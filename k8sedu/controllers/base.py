"""What every controller of the controller-manager shares.

A controller is three things wired together, as in kube-controller-manager::

    informers (list+watch) ──▶ handlers enqueue "ns/name" ──▶ WorkQueue ──▶ workers: reconcile(key)
                                                                  ▲               │ raised?
                                                                  └─ rate-limited ◀┘

Handlers never act: they only put keys in the queue. ``reconcile(key)`` reads the *current*
state from the informer caches (never the event that woke it) and makes the world match it, so a
burst of ten events costs one reconcile and a missed event is repaired by the next one.
Objects from the caches are shared: copy them (``meta.deep_copy``) before changing anything.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable
from typing import Any, ClassVar

from ..api import meta
from ..client import Client, EventRecorder, InformerFactory, Worker, WorkQueue
from ..clock import Clock

__all__ = ["Controller"]

log = logging.getLogger(__name__)


class Controller:
    """Base class: a work queue, worker threads, an event recorder and (shared) informers.

    Subclasses set ``name`` (upstream's name in ``--controllers``, e.g. ``"replicaset"``),
    ``component`` (the source of their Events, e.g. ``"replicaset-controller"``) and ``workers``
    (upstream's ``--concurrent-*-syncs``), register handlers in ``__init__`` and implement
    :meth:`reconcile`.
    """

    name: ClassVar[str] = ""
    component: ClassVar[str] = ""
    workers: ClassVar[int] = 1

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        self.client = client
        self.clock = clock or client.clock
        self._owns_informers = informers is None
        self.informers = informers if informers is not None else InformerFactory(client)
        self.queue = WorkQueue(self.clock, self.name)
        self.recorder = EventRecorder(client, self.component)
        self._worker = Worker(f"{self.name}-controller", self.queue, self._run_reconcile,
                              threads=workers or self.workers)
        # guards _active: how many reconciles are running right now
        self._active_lock = threading.Lock()
        self._active = 0
        self._started = False

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> None:
        """Start the informers (if not yet), wait for their caches, then start the workers.

        Workers must not run on half-filled caches: a ReplicaSet controller that saw no Pods yet
        would create a full set of new ones.
        """
        if self._started:
            return
        self.informers.start()
        if not self.informers.wait_synced(timeout):
            raise TimeoutError(f"{self.name}: informer caches did not sync within {timeout} s")
        self._started = True
        self._worker.start()
        self.on_start()

    def on_start(self) -> None:
        """Hook run once the workers run (periodic loops enqueue their first key here)."""

    def stop(self) -> None:
        self._worker.stop()
        if self._owns_informers:
            self.informers.stop()

    # -- queue helpers ----------------------------------------------------------------------
    def enqueue(self, obj: dict[str, Any]) -> None:
        self.queue.add(meta.key(obj))

    def enqueue_after(self, obj: dict[str, Any], seconds: float) -> None:
        self.queue.add_after(meta.key(obj), seconds)

    def busy(self) -> bool:
        """True while a key waits in the queue or a reconcile runs (timers not counted)."""
        with self._active_lock:
            active = self._active
        return active > 0 or len(self.queue) > 0

    def _run_reconcile(self, key: Hashable) -> None:
        with self._active_lock:
            self._active += 1
        try:
            self.reconcile(key)
        finally:
            with self._active_lock:
                self._active -= 1

    def reconcile(self, key: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
