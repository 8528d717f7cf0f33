"""One clock for every timer of the cluster.

Back-offs, grace periods, the node monitor and CronJobs all read the cluster's clock, never
``time.time()`` directly. A lesson can speed it up (``Cluster(speed=10)`` makes a 30 s grace period
last 3 real seconds) and a test can drive it by hand with :class:`FakeClock`.

Cluster time is in seconds since the epoch, like ``time.time()``; ``speed`` only changes how fast it
advances from the moment the clock was made.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

__all__ = ["Clock", "FakeClock", "Timer", "rfc3339", "parse_rfc3339"]


def rfc3339(t: float) -> str:
    """``2026-11-27T13:09:04Z``: the timestamp format of Kubernetes objects (second precision)."""
    return datetime.fromtimestamp(int(t), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> float:
    text = text.replace("Z", "+00:00")
    return datetime.fromisoformat(text).timestamp()


class Timer:
    """A pending call made by :meth:`Clock.after`; ``cancel()`` stops it if it has not fired."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()


class Clock:
    """Real time, optionally sped up by ``speed``.

    ``now()``            cluster time (seconds since the epoch)
    ``sleep(s)``         sleep *s* cluster seconds
    ``wait(event, s)``   wait for a threading.Event at most *s* cluster seconds; True if set
    ``after(s, fn)``     call fn() on a timer thread after *s* cluster seconds
    """

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = float(speed)
        self._real0 = time.time()
        self._mono0 = time.monotonic()
        # guards: _timers (the heap) and _timer_thread; taken alone.
        self._lock = threading.Condition()
        self._timers: list[tuple[float, int, Timer, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._timer_thread: threading.Thread | None = None

    # -- reading --------------------------------------------------------------------------
    def now(self) -> float:
        return self._real0 + (time.monotonic() - self._mono0) * self.speed

    def timestamp(self) -> str:
        return rfc3339(self.now())

    def real_seconds(self, cluster_seconds: float) -> float:
        return max(0.0, cluster_seconds) / self.speed

    # -- waiting --------------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        time.sleep(self.real_seconds(seconds))

    def wait(self, event: threading.Event, seconds: float | None) -> bool:
        return event.wait(None if seconds is None else self.real_seconds(seconds))

    def after(self, seconds: float, fn: Callable[[], None]) -> Timer:
        timer = Timer()
        with self._lock:
            heapq.heappush(self._timers, (self.now() + seconds, next(self._seq), timer, fn))
            if self._timer_thread is None:
                self._timer_thread = threading.Thread(target=self._run_timers, name="clock-timers", daemon=True)
                self._timer_thread.start()
            self._lock.notify_all()
        return timer

    def _run_timers(self) -> None:
        while True:
            with self._lock:
                while not self._timers:
                    self._lock.wait()
                due, _, timer, fn = self._timers[0]
                delay = due - self.now()
                if delay > 0:
                    self._lock.wait(self.real_seconds(delay))
                    continue
                heapq.heappop(self._timers)
            if not timer.cancelled.is_set():
                try:
                    fn()
                except Exception:  # a timer callback must never kill the timer thread
                    import logging

                    logging.getLogger(__name__).exception("timer callback failed")


class FakeClock(Clock):
    """A clock that only moves when a test calls :meth:`advance`.

    ``sleep`` and ``wait`` block until enough fake time has passed (or the event is set), so threads
    that use the clock can be driven step by step from a test.
    """

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        super().__init__(speed=1.0)
        self._now = start
        # guards _now; waiters are woken with notify_all on every advance.
        self._cond = threading.Condition()

    def now(self) -> float:
        with self._cond:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._cond:
            self._now += seconds
            self._cond.notify_all()
        self._fire_due()

    def sleep(self, seconds: float) -> None:
        self.wait(threading.Event(), seconds)

    def wait(self, event: threading.Event, seconds: float | None) -> bool:
        deadline = None if seconds is None else self.now() + seconds
        with self._cond:
            while not event.is_set():
                if deadline is not None and self._now >= deadline:
                    return False
                self._cond.wait(0.01)  # poll the event too: it is set by other threads
            return True

    def after(self, seconds: float, fn: Callable[[], None]) -> Timer:
        timer = Timer()
        with self._lock:
            heapq.heappush(self._timers, (self.now() + seconds, next(self._seq), timer, fn))
        return timer

    def _fire_due(self) -> None:
        while True:
            with self._lock:
                if not self._timers or self._timers[0][0] > self.now():
                    return
                _, _, timer, fn = heapq.heappop(self._timers)
            if not timer.cancelled.is_set():
                fn()
