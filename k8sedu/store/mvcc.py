"""An etcd-like multi-version store, small enough to read in one sitting.

Like etcd, the store has **one global revision** that every write bumps by one, and each key keeps
three numbers: the revision that created it, the revision that last modified it, and its version
(how many times it was written since it was created). A key's history, e.g. for
``/registry/pods/default/web``::

    rev  op       create_rev  mod_rev  version   value
    ---  -------  ----------  -------  -------   -----------------
     5   put           5         5        1      {phase: Pending}
     7   put           5         7        2      {phase: Running}
     9   delete        -         9        -      (gone)
    12   put          12        12        1      {phase: Pending}   a new life: version restarts

Kubernetes shows ``mod_rev`` to users as ``metadata.resourceVersion``. An update must name the
``mod_rev`` it read (compare-and-swap): if anyone wrote the key since, :class:`CASFailed` is raised,
and the apiserver turns it into a 409 Conflict.

``watch(prefix, from_revision)`` first replays every change at or after ``from_revision`` still in
the history, then goes live. ``compact(rev)`` forgets history before ``rev``; a watch from before it
raises :class:`Compacted` (the apiserver's 410 Gone).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import CASFailed, Compacted, FutureRevision

__all__ = ["KeyValue", "StoreEvent", "StoreWatch", "MemoryStore"]


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: dict[str, Any]  # never mutated once stored
    create_revision: int
    mod_revision: int
    version: int


@dataclass(frozen=True)
class StoreEvent:
    type: str  # "PUT" | "DELETE"
    kv: KeyValue  # for DELETE: the deleted value, with mod_revision = the delete's revision
    prev_kv: KeyValue | None
    revision: int


_CLOSED = object()


class StoreWatch:
    """An iterator over :class:`StoreEvent`; ``stop()`` ends it from any thread."""

    def __init__(self, store: MemoryStore, prefix: str) -> None:
        self._store = store
        self.prefix = prefix
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.stopped = False

    def _push(self, event: StoreEvent) -> None:
        self._queue.put(event)

    def next(self, timeout: float | None = None) -> StoreEvent | None:
        """The next event, or None when stopped or after *timeout* real seconds with no event."""
        if self.stopped and self._queue.empty():
            return None
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _CLOSED:
            self.stopped = True
            return None
        return item  # type: ignore[no-any-return,unused-ignore]

    def __iter__(self) -> Iterator[StoreEvent]:
        while True:
            event = self.next()
            if event is None:
                return
            yield event

    def stop(self) -> None:
        if not self.stopped:
            self._store._remove_watch(self)
            self._queue.put(_CLOSED)


class MemoryStore:
    """The store in memory. Thread-safe; every write is one transaction with its own revision."""

    def __init__(self, history_limit: int = 100_000) -> None:
        # _lock guards everything below; it is the only lock and is never held while calling out.
        self._lock = threading.RLock()
        self._data: dict[str, KeyValue] = {}
        self._history: list[StoreEvent] = []  # every change since compacted_revision, oldest first
        self._watches: list[StoreWatch] = []
        self.revision = 1  # etcd starts at 1
        self.compacted_revision = 0
        self.history_limit = history_limit

    # -- reads ----------------------------------------------------------------------------
    def get(self, key: str) -> KeyValue | None:
        with self._lock:
            return self._data.get(key)

    def range(self, prefix: str) -> tuple[list[KeyValue], int]:
        """Every live key under *prefix*, sorted by key, and the revision they were read at."""
        with self._lock:
            kvs = [kv for k, kv in self._data.items() if k.startswith(prefix)]
            kvs.sort(key=lambda kv: kv.key)
            return kvs, self.revision

    def range_at(self, prefix: str, revision: int) -> list[KeyValue]:
        """The live keys under *prefix* as they were at *revision* (etcd's ``get --rev``)."""
        with self._lock:
            if revision <= self.compacted_revision:
                raise Compacted(revision, self.compacted_revision)
            if revision > self.revision:
                raise FutureRevision(revision, self.revision)
            # start from now and undo, newest first, every change made after *revision*
            state = {k: kv for k, kv in self._data.items() if k.startswith(prefix)}
            for event in reversed(self._history):
                if event.revision <= revision:
                    break
                key = event.kv.key
                if not key.startswith(prefix):
                    continue
                if event.prev_kv is None:
                    state.pop(key, None)
                else:
                    state[key] = event.prev_kv
            return sorted(state.values(), key=lambda kv: kv.key)

    def history(self, prefix: str, from_revision: int = 0) -> list[StoreEvent]:
        """The changes under *prefix* still in the history, oldest first (what a watch replays)."""
        with self._lock:
            if from_revision and from_revision <= self.compacted_revision:
                raise Compacted(from_revision, self.compacted_revision)
            return [e for e in self._history if e.revision >= from_revision and e.kv.key.startswith(prefix)]

    def count(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for k in self._data if k.startswith(prefix))

    # -- writes ---------------------------------------------------------------------------
    def create(self, key: str, value: dict[str, Any]) -> KeyValue:
        """Put *key* only if it does not exist (CAS on create_revision == 0)."""
        with self._lock:
            old = self._data.get(key)
            if old is not None:
                raise CASFailed(key, 0, old.mod_revision)
            rev = self.revision + 1
            kv = KeyValue(key, value, rev, rev, 1)
            self._commit(StoreEvent("PUT", kv, None, rev))
            return kv

    def update(self, key: str, value: dict[str, Any], expected_mod_revision: int | None = None) -> KeyValue:
        """Put *key* if its mod_revision is still *expected_mod_revision* (None: unconditionally,
        but the key must exist)."""
        with self._lock:
            old = self._data.get(key)
            if old is None:
                raise CASFailed(key, expected_mod_revision or -1, 0)
            if expected_mod_revision is not None and old.mod_revision != expected_mod_revision:
                raise CASFailed(key, expected_mod_revision, old.mod_revision)
            rev = self.revision + 1
            kv = KeyValue(key, value, old.create_revision, rev, old.version + 1)
            self._commit(StoreEvent("PUT", kv, old, rev))
            return kv

    def delete(self, key: str, expected_mod_revision: int | None = None) -> KeyValue:
        """Delete *key*; returns the deleted value stamped with the delete's revision."""
        with self._lock:
            old = self._data.get(key)
            if old is None:
                raise CASFailed(key, expected_mod_revision or -1, 0)
            if expected_mod_revision is not None and old.mod_revision != expected_mod_revision:
                raise CASFailed(key, expected_mod_revision, old.mod_revision)
            rev = self.revision + 1
            gone = KeyValue(key, old.value, old.create_revision, rev, old.version)
            self._commit(StoreEvent("DELETE", gone, old, rev))
            return gone

    def _commit(self, event: StoreEvent) -> None:
        # caller holds _lock
        self.revision = event.revision
        if event.type == "PUT":
            self._data[event.kv.key] = event.kv
        else:
            self._data.pop(event.kv.key, None)
        self._persist(event)
        self._history.append(event)
        if len(self._history) > self.history_limit:
            self.compact(self._history[len(self._history) // 2].revision)
        for w in self._watches:
            if event.kv.key.startswith(w.prefix):
                w._push(event)

    def _persist(self, event: StoreEvent) -> None:
        """Hook for durable stores; the memory store keeps nothing."""

    # -- watch and compaction -------------------------------------------------------------
    def watch(self, prefix: str, from_revision: int | None = None) -> StoreWatch:
        """Changes under *prefix*: those at or after *from_revision* first, then live ones.

        ``from_revision=None`` (or 0) means "from now on".
        """
        with self._lock:
            w = StoreWatch(self, prefix)
            if from_revision:
                if from_revision <= self.compacted_revision:
                    raise Compacted(from_revision, self.compacted_revision)
                if from_revision > self.revision + 1:
                    raise FutureRevision(from_revision, self.revision)
                for event in self._history:
                    if event.revision >= from_revision and event.kv.key.startswith(prefix):
                        w._push(event)
            self._watches.append(w)
            return w

    def _remove_watch(self, w: StoreWatch) -> None:
        with self._lock:
            if w in self._watches:
                self._watches.remove(w)

    def compact(self, revision: int) -> None:
        """Forget the history before *revision*; watches from before it will fail."""
        with self._lock:
            if revision > self.revision:
                raise FutureRevision(revision, self.revision)
            if revision <= self.compacted_revision:
                return
            self._history = [e for e in self._history if e.revision >= revision]
            self.compacted_revision = revision - 1

    def close(self) -> None:
        with self._lock:
            watches = list(self._watches)
        for w in watches:
            w.stop()
