"""The controller loop every component runs: take a key, reconcile it, retry on failure.

::

    informer event ──▶ handler enqueues "ns/name" ──▶ WorkQueue ──▶ worker: reconcile(key)
                                                          ▲                    │ raised?
                                                          └── add_rate_limited ◀┘

``reconcile(key)`` must be level-based: it reads the current state from the informer caches and
makes the world match it, whatever events led there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable

from ..errors import APIError, Conflict
from .workqueue import WorkQueue

__all__ = ["Worker"]

log = logging.getLogger(__name__)


class Worker:
    """Runs ``reconcile(key)`` for keys from *queue* on ``threads`` daemon threads."""

    def __init__(self, name: str, queue: WorkQueue, reconcile: Callable[[Hashable], None],
                 threads: int = 1, max_retries: int | None = None) -> None:
        self.name = name
        self.queue = queue
        self.reconcile = reconcile
        self.threads = threads
        self.max_retries = max_retries
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for i in range(self.threads):
            t = threading.Thread(target=self._loop, name=f"{self.name}-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 5.0) -> None:
        self.queue.shut_down()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout)

    def _loop(self) -> None:
        while True:
            key = self.queue.get()
            if key is None:
                return
            try:
                self.reconcile(key)
            except Conflict:
                self.queue.add_rate_limited(key)  # someone wrote first: read again and retry
            except APIError as err:
                # The apiserver refused (quota, admission, validation): the controller has already
                # said so in an Event, as upstream does; one log line, no traceback, then retry.
                log.info("%s: reconcile %s failed: %s", self.name, key, err)
                if self.max_retries is None or self.queue.num_requeues(key) < self.max_retries:
                    self.queue.add_rate_limited(key)
            except Exception:
                if self.queue.shutting_down:
                    self.queue.done(key)
                    return
                log.exception("%s: reconcile %s failed", self.name, key)
                if self.max_retries is None or self.queue.num_requeues(key) < self.max_retries:
                    self.queue.add_rate_limited(key)
            else:
                self.queue.forget(key)
            finally:
                self.queue.done(key)
