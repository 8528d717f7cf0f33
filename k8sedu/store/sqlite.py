"""The store in a file: the memory store, written through to SQLite.

``Cluster(state_dir=...)`` uses this so objects survive a kernel restart. Every transaction is
committed to the file before the write returns; on open, the live keys and the revision are read
back. History (for watch replay) starts afresh after a restart, as if compacted at the revision the
file was opened at: a watch from an older revision gets :class:`~k8sedu.errors.Compacted`, exactly
what an informer must handle after etcd compacts.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from .mvcc import KeyValue, MemoryStore, StoreEvent

__all__ = ["SQLiteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    create_revision INTEGER NOT NULL,
    mod_revision INTEGER NOT NULL,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SQLiteStore(MemoryStore):
    def __init__(self, path: str | Path, history_limit: int = 100_000) -> None:
        super().__init__(history_limit=history_limit)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # _db is used only under MemoryStore._lock (writes) or during __init__.
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db_lock = threading.Lock()
        for key, value, crev, mrev, ver in self._db.execute(
            "SELECT key, value, create_revision, mod_revision, version FROM kv"
        ):
            self._data[key] = KeyValue(key, json.loads(value), crev, mrev, ver)
        row = self._db.execute("SELECT value FROM meta WHERE name='revision'").fetchone()
        self.revision = max([row[0] if row else 1] + [kv.mod_revision for kv in self._data.values()])
        self.compacted_revision = self.revision

    def _persist(self, event: StoreEvent) -> None:
        kv = event.kv
        with self._db_lock:
            cur = self._db.cursor()
            cur.execute("BEGIN")
            if event.type == "PUT":
                cur.execute(
                    "INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?, ?)",
                    (kv.key, json.dumps(kv.value, separators=(",", ":")), kv.create_revision, kv.mod_revision, kv.version),
                )
            else:
                cur.execute("DELETE FROM kv WHERE key = ?", (kv.key,))
            cur.execute("INSERT OR REPLACE INTO meta VALUES ('revision', ?)", (event.revision,))
            cur.execute("COMMIT")

    def close(self) -> None:
        super().close()
        with self._db_lock:
            self._db.close()
