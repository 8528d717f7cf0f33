"""Exponential back-off per key, as client-go's ``flowcontrol.Backoff`` that the kubelet uses twice:
for restarting crashed containers (CrashLoopBackOff) and for pulling images (ImagePullBackOff).

Both start at 10 s and double up to 300 s (5 min). An entry that has not been touched for twice the
maximum (10 min) expires, so a container that ran for 10 minutes before crashing starts again at 10 s::

    crash #1 ──▶ no entry: restart at once, back-off = 10s
    crash #2 ──▶ finished 3s ago < 10s: wait   "back-off 10s restarting failed container=…"
             ──▶ 10s later: restart,            back-off = 20s
    crash #3 ──▶ wait 20s, then 40s, 1m20s, 2m40s, 5m0s, 5m0s …

All times are cluster seconds, read from the cluster's clock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..clock import Clock

__all__ = ["Backoff", "go_duration", "INITIAL_BACKOFF", "MAX_BACKOFF"]

INITIAL_BACKOFF = 10.0  # kubelet's backOffPeriod
MAX_BACKOFF = 300.0  # kubelet's MaxContainerBackOff (and MaxImageBackOff)


@dataclass
class _Entry:
    backoff: float
    last_update: float


class Backoff:
    def __init__(self, clock: Clock, initial: float = INITIAL_BACKOFF, maximum: float = MAX_BACKOFF) -> None:
        self.clock = clock
        self.initial = initial
        self.maximum = maximum
        # guards _entries; taken alone.
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def _expired(self, event_time: float, entry: _Entry) -> bool:
        return event_time - entry.last_update > 2 * self.maximum

    def next(self, key: str, event_time: float) -> None:
        """Record one more failure: the first (or one after a quiet 10 min) waits ``initial``,
        each further one twice as long as the last, up to ``maximum``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._expired(event_time, entry):
                entry = self._entries[key] = _Entry(self.initial, 0.0)
            else:
                entry.backoff = min(entry.backoff * 2, self.maximum)
            entry.last_update = self.clock.now()

    def get(self, key: str) -> float:
        """The current back-off of *key* (0 without an entry)."""
        with self._lock:
            entry = self._entries.get(key)
            return entry.backoff if entry else 0.0

    def is_in_backoff_since(self, key: str, event_time: float) -> bool:
        """True while less than the back-off has passed since *event_time* (a container's finish)."""
        return self.remaining_since(key, event_time) > 0

    def remaining_since(self, key: str, event_time: float) -> float:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._expired(event_time, entry):
                return 0.0
            return max(0.0, entry.backoff - (self.clock.now() - event_time))

    def is_in_backoff_since_update(self, key: str, event_time: float) -> bool:
        """True while less than the back-off has passed since the last :meth:`next` (image pulls)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._expired(event_time, entry):
                return False
            return event_time - entry.last_update < entry.backoff

    def reset(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def forget_prefix(self, prefix: str) -> None:
        """Drop every entry of one Pod (keys start with its name or uid)."""
        with self._lock:
            for key in [k for k in self._entries if k.startswith(prefix)]:
                del self._entries[key]


def go_duration(seconds: float) -> str:
    """A duration as Go's ``time.Duration.String()`` prints whole seconds: ``10s``, ``1m20s``, ``5m0s``.

    >>> [go_duration(s) for s in (10, 20, 40, 80, 160, 300, 3725)]
    ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s', '1h2m5s']
    """
    total = int(round(seconds))
    if total == 0:
        return "0s"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"
