"""The etcd-like MVCC store: in memory, or written through to a SQLite file."""

from __future__ import annotations

from .etcdctl import Etcdctl, EtcdctlError
from .mvcc import KeyValue, MemoryStore, StoreEvent, StoreWatch
from .sqlite import SQLiteStore

Store = MemoryStore

__all__ = ["Etcdctl", "EtcdctlError", "KeyValue", "MemoryStore", "SQLiteStore", "Store", "StoreEvent", "StoreWatch"]
