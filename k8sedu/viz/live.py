"""Live updates for dashboards: many cluster changes, at most about ten renders a second.

Why: a Deployment of 500 Pods produces thousands of watch events in a few seconds. Rendering on
each one would flood the browser's comm channel and freeze the notebook; rendering on a timer would
show stale pictures. ``Coalescer`` renders on the first change at once, then at most once per
``interval`` while changes keep coming, and always once more after the last change, so the picture
ends on the final state.

::

    live = Coalescer(lambda: view.render(view.snapshot_from(c)), interval=0.1)
    unsubscribe = c.flow.subscribe(lambda event: live.poke())
    ...
    live.close(); unsubscribe()

The render runs on a timer thread, never on the control plane's thread that poked it (the
FlowRecorder calls subscribers inline), so a slow dashboard cannot slow the cluster down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Coalescer", "MAX_RATE"]

#: renders per second a live dashboard allows itself
MAX_RATE = 10.0

_log = logging.getLogger(__name__)


class Coalescer:
    """Call ``fn`` after ``poke()``s, at most once per ``interval`` seconds, and once after the last."""

    def __init__(
        self,
        fn: Callable[[], None],
        interval: float = 1.0 / MAX_RATE,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fn = fn
        self.interval = interval
        self._monotonic = monotonic
        # guards: _pending, _timer, _last, _closed
        self._lock = threading.Lock()
        self._pending = False
        self._timer: threading.Timer | None = None
        self._last = float("-inf")
        self._closed = False
        # one render at a time: a timer's render and a flush() never overlap, so the one that
        # starts last (and reads the newest state) is also the one that finishes last
        self._run_lock = threading.Lock()
        self.renders = 0  # how many times fn ran; tests and benchmarks read it

    def poke(self) -> None:
        """Something changed: render soon (now, if the last render is older than ``interval``)."""
        with self._lock:
            if self._closed:
                return
            self._pending = True
            if self._timer is not None:
                return  # a render is already scheduled; it will pick this change up
            wait = max(0.0, self._last + self.interval - self._monotonic())
            self._timer = threading.Timer(wait, self._fire)
            self._timer.daemon = True
            self._timer.start()

    def flush(self) -> None:
        """Render now if a change is waiting (a test or a final refresh)."""
        with self._lock:
            pending, self._pending = self._pending, False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if pending:
            self._run()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._pending = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            if not self._pending or self._closed:
                return
            self._pending = False
        self._run()

    def _run(self) -> None:
        with self._run_lock:
            with self._lock:
                self._last = self._monotonic()
            try:
                self._fn()
            except Exception:  # a broken render must not kill the timer thread silently
                _log.exception("dashboard render failed")
            self.renders += 1


