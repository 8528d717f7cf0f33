"""The work queue every controller uses, after client-go's ``workqueue``.

It is *stingy*: a key added many times before a worker takes it is processed once, and a key
being processed is never handed to a second worker at the same time; if it is added meanwhile, it
is queued again when the first worker calls ``done``. That is why handlers only enqueue keys and
``reconcile(key)`` re-reads the state: a burst of ten changes to one Deployment costs one reconcile.

Failures are retried with exponential back-off (5 ms, 10 ms, 20 ms … capped at 1000 s, as
client-go's default rate limiter), measured on the cluster clock.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable

from ..clock import Clock

__all__ = ["WorkQueue"]


class WorkQueue:
    def __init__(self, clock: Clock | None = None, name: str = "", base_delay: float = 0.005,
                 max_delay: float = 1000.0) -> None:
        self.clock = clock or Clock()
        self.name = name
        self.base_delay, self.max_delay = base_delay, max_delay
        # _cond guards _queue, _dirty, _processing, _failures and _shutting_down.
        self._cond = threading.Condition()
        self._queue: deque[Hashable] = deque()
        self._dirty: set[Hashable] = set()  # waiting to be processed
        self._processing: set[Hashable] = set()  # taken by a worker, not yet done
        self._failures: dict[Hashable, int] = {}
        self._shutting_down = False

    def add(self, key: Hashable) -> None:
        with self._cond:
            if self._shutting_down or key in self._dirty:
                return
            self._dirty.add(key)
            if key in self._processing:
                return  # done() will queue it again
            self._queue.append(key)
            self._cond.notify()

    def get(self, timeout: float | None = None) -> Hashable | None:
        """The next key, or None on shut-down or after *timeout* real seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._queue or self._shutting_down, timeout):
                return None
            if not self._queue:
                return None
            key = self._queue.popleft()
            self._dirty.discard(key)
            self._processing.add(key)
            return key

    def done(self, key: Hashable) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()

    def add_after(self, key: Hashable, seconds: float) -> None:
        if seconds <= 0:
            self.add(key)
        else:
            self.clock.after(seconds, lambda: self.add(key))

    def add_rate_limited(self, key: Hashable) -> None:
        with self._cond:
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
        self.add_after(key, min(self.base_delay * (2**failures), self.max_delay))

    def forget(self, key: Hashable) -> None:
        with self._cond:
            self._failures.pop(key, None)

    def num_requeues(self, key: Hashable) -> int:
        with self._cond:
            return self._failures.get(key, 0)

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def shut_down(self) -> None:
        with self._cond:
            self._shutting_down = True
            self._cond.notify_all()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down
