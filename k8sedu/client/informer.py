"""Informers: a local cache of one resource, kept current by list-then-watch.

An informer lists the objects once, then watches from the list's resourceVersion, so it never misses
a change. Each change updates the cache and then calls the handlers (``on_add(obj)``,
``on_update(old, new)``, ``on_delete(obj)``), one at a time on the informer's own thread. If the
watch breaks or its revision was compacted (410 Gone), the informer lists again and tells the
handlers what changed meanwhile, so handlers see every object converge.

Objects in the cache and those handed to handlers are shared: **they must not be mutated**.
Copy first (``api.meta.deep_copy``) if you need to change one.
"""

from __future__ import annotations

import builtins
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..api import meta
from ..errors import APIError, Gone
from .client import Client

__all__ = ["Informer", "InformerFactory"]

log = logging.getLogger(__name__)

Handler = Callable[..., None]


class Informer:
    def __init__(self, client: Client, resource: str, namespace: str | None = None,
                 label_selector: str | None = None, field_selector: str | None = None) -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        # _lock guards _cache and _handlers; handlers are called without it.
        self._lock = threading.RLock()
        self._cache: dict[str, dict[str, Any]] = {}
        self._handlers: list[tuple[Handler | None, Handler | None, Handler | None]] = []
        self._synced = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watch: Any = None
        self.resource_version = ""

    # -- reading the cache ----------------------------------------------------------------
    def list(self) -> builtins.list[dict[str, Any]]:
        with self._lock:
            return list(self._cache.values())

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._cache.get(key)

    def keys(self) -> builtins.list[str]:
        with self._lock:
            return list(self._cache)

    def has_synced(self) -> bool:
        return self._synced.is_set()

    def wait_synced(self, timeout: float | None = 10.0) -> bool:
        return self._synced.wait(timeout)

    # -- handlers -------------------------------------------------------------------------
    def add_handler(self, on_add: Handler | None = None, on_update: Handler | None = None,
                    on_delete: Handler | None = None) -> None:
        with self._lock:
            self._handlers.append((on_add, on_update, on_delete))
            existing = list(self._cache.values()) if self._synced.is_set() else []
        for obj in existing:  # a late handler first hears about what is already there
            if on_add:
                self._call(on_add, obj)

    def _call(self, fn: Handler, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("informer handler for %s failed", self.resource)

    def _dispatch(self, kind: str, *args: Any) -> None:
        with self._lock:
            handlers = list(self._handlers)
        index = {"add": 0, "update": 1, "delete": 2}[kind]
        for h in handlers:
            fn = h[index]
            if fn:
                self._call(fn, *args)

    # -- running --------------------------------------------------------------------------
    def start(self) -> Informer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"informer-{self.resource}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        w = self._watch
        if w is not None:
            w.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._list_and_watch()
            except Gone:
                continue  # relist at once
            except APIError:
                log.exception("informer %s: list/watch failed", self.resource)
                self._stop.wait(1.0)
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("informer %s crashed; relisting", self.resource)
                self._stop.wait(1.0)

    def _relist(self) -> None:
        result = self.client.list(self.resource, namespace=self.namespace, label_selector=self.label_selector,
                                  field_selector=self.field_selector)
        fresh = {meta.key(o): o for o in result["items"]}
        with self._lock:
            old = self._cache
            self._cache = dict(fresh)
        for k, obj in fresh.items():
            if k not in old:
                self._dispatch("add", obj)
            elif old[k].get("metadata", {}).get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._dispatch("update", old[k], obj)
        for k, obj in old.items():
            if k not in fresh:
                self._dispatch("delete", obj)
        self.resource_version = result["metadata"]["resourceVersion"]
        self._synced.set()

    def _list_and_watch(self) -> None:
        self._relist()
        w = self.client.watch(self.resource, namespace=self.namespace, resource_version=self.resource_version,
                              label_selector=self.label_selector, field_selector=self.field_selector)
        self._watch = w
        try:
            if self._stop.is_set():
                return
            for event in w:
                obj = event.object
                k = meta.key(obj)
                self.resource_version = obj.get("metadata", {}).get("resourceVersion", self.resource_version)
                if event.type in ("ADDED", "MODIFIED"):
                    with self._lock:
                        old = self._cache.get(k)
                        self._cache[k] = obj
                    if old is None:
                        self._dispatch("add", obj)
                    else:
                        self._dispatch("update", old, obj)
                elif event.type == "DELETED":
                    with self._lock:
                        old = self._cache.pop(k, None)
                    self._dispatch("delete", old or obj)
        finally:
            w.stop()
            self._watch = None


class InformerFactory:
    """Shares one informer per (resource, namespace, selectors) among a component's controllers."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._lock = threading.Lock()  # guards _informers
        self._informers: dict[tuple[str, str | None, str | None, str | None], Informer] = {}

    def informer(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
                 field_selector: str | None = None) -> Informer:
        key = (resource, namespace, label_selector, field_selector)
        with self._lock:
            if key not in self._informers:
                self._informers[key] = Informer(self.client, resource, namespace, label_selector, field_selector)
            return self._informers[key]

    def informers(self) -> builtins.list[Informer]:
        """Every informer made so far (e.g. to check all caches caught up)."""
        with self._lock:
            return list(self._informers.values())

    def start(self) -> None:
        for inf in self.informers():
            inf.start()

    def wait_synced(self, timeout: float = 10.0) -> bool:
        with self._lock:
            informers = list(self._informers.values())
        return all(inf.wait_synced(timeout) for inf in informers)

    def stop(self) -> None:
        with self._lock:
            informers = list(self._informers.values())
        for inf in informers:
            inf.stop()
