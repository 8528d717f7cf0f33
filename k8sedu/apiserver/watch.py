"""Watches as the apiserver serves them: store changes turned into ADDED / MODIFIED / DELETED.

A watch with a label or field selector sees an object *enter* its view as ADDED and *leave* it as
DELETED, even though in the store it was only modified: that is how an informer for "pods on
node-1" learns that a Pod was bound to node-1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..store import StoreEvent, StoreWatch

__all__ = ["WatchEvent", "Watch"]


@dataclass(frozen=True)
class WatchEvent:
    type: str  # "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR"
    object: dict[str, Any]

    @property
    def revision(self) -> int:
        return int(self.object.get("metadata", {}).get("resourceVersion") or 0)


class Watch:
    """Iterate for :class:`WatchEvent`; ``next(timeout)`` polls; ``stop()`` ends it from any thread."""

    def __init__(
        self,
        store_watch: StoreWatch,
        decode: Callable[[Any, int], dict[str, Any]],
        matches: Callable[[dict[str, Any]], bool],
        initial: list[WatchEvent] | None = None,
        on_event: Callable[[WatchEvent], None] | None = None,
    ) -> None:
        self._w = store_watch
        self._decode = decode
        self._matches = matches
        self._pending = list(initial or [])
        self._on_event = on_event

    def _convert(self, e: StoreEvent) -> WatchEvent | None:
        new_match = e.type == "PUT" and self._matches(e.kv.value)
        old_match = e.prev_kv is not None and self._matches(e.prev_kv.value)
        if e.type == "DELETE":
            if not self._matches(e.kv.value):
                return None
            return WatchEvent("DELETED", self._decode(e.kv.value, e.revision))
        if new_match and old_match:
            return WatchEvent("MODIFIED", self._decode(e.kv.value, e.revision))
        if new_match:
            return WatchEvent("ADDED", self._decode(e.kv.value, e.revision))
        if old_match:
            return WatchEvent("DELETED", self._decode(e.kv.value, e.revision))
        return None

    def next(self, timeout: float | None = None) -> WatchEvent | None:
        """The next event; None when the watch was stopped, or after *timeout* seconds of quiet."""
        if self._pending:
            event = self._pending.pop(0)
        else:
            while True:
                raw = self._w.next(timeout)
                if raw is None:
                    return None
                converted = self._convert(raw)
                if converted is not None:
                    event = converted
                    break
        if self._on_event is not None:
            self._on_event(event)
        return event

    def __iter__(self) -> Iterator[WatchEvent]:
        while True:
            event = self.next()
            if event is None:
                return
            yield event

    @property
    def stopped(self) -> bool:
        return self._w.stopped

    def stop(self) -> None:
        self._w.stop()
