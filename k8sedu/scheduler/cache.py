"""The scheduler's own picture of the cluster: nodes, the Pods bound to them, and *assumed* Pods.

Binding is a request to the apiserver and its result comes back later through the watch. So that
the next cycle does not hand the same free cpu to a second Pod meanwhile, the scheduler *assumes*
its decision at once::

    cycle 1: web-1 → node-2   assume (node-2 now counts web-1's requests)   POST binding
    cycle 2: web-2            sees node-2 with web-1 on it                   …
    watch:   web-1 MODIFIED, spec.nodeName=node-2   → the assumed Pod is confirmed
    (binding failed?)          → forget: node-2 gives web-1's requests back

Thread-safe; :meth:`snapshot` copies what a cycle needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from .nodeinfo import Snapshot, is_terminal

__all__ = ["SchedulerCache"]

Pod = dict[str, Any]


def _key(obj: Mapping[str, Any]) -> str:
    md = obj.get("metadata") or {}
    ns = md.get("namespace")
    return f"{ns}/{md.get('name', '')}" if ns else str(md.get("name", ""))


class SchedulerCache:
    def __init__(self) -> None:
        # _lock guards _nodes, _pods and _assumed; taken alone, never while calling out.
        self._lock = threading.Lock()
        self._nodes: dict[str, Mapping[str, Any]] = {}
        self._pods: dict[str, Pod] = {}  # bound Pods as the informer last saw them
        self._assumed: dict[str, Pod] = {}  # our decisions not yet seen through the watch

    # -- nodes ----------------------------------------------------------------------------------
    def add_node(self, node: Mapping[str, Any]) -> None:
        with self._lock:
            self._nodes[_key(node)] = node

    update_node = add_node

    def remove_node(self, node: Mapping[str, Any]) -> None:
        with self._lock:
            self._nodes.pop(_key(node), None)

    # -- bound Pods -------------------------------------------------------------------------------
    def add_pod(self, pod: Pod) -> None:
        """A bound Pod seen through the watch (confirms an assumed one)."""
        with self._lock:
            key = _key(pod)
            self._assumed.pop(key, None)
            if is_terminal(pod):
                self._pods.pop(key, None)
            else:
                self._pods[key] = pod

    update_pod = add_pod

    def remove_pod(self, pod: Mapping[str, Any]) -> None:
        with self._lock:
            self._pods.pop(_key(pod), None)
            self._assumed.pop(_key(pod), None)

    # -- assumed Pods -----------------------------------------------------------------------------
    def assume_pod(self, pod: Pod) -> None:
        """Count *pod* (with ``spec.nodeName`` set) on its node before the binding is confirmed."""
        with self._lock:
            self._assumed[_key(pod)] = pod

    def forget_pod(self, pod: Mapping[str, Any]) -> None:
        with self._lock:
            self._assumed.pop(_key(pod), None)

    def is_assumed(self, key: str) -> bool:
        with self._lock:
            return key in self._assumed

    # -- reading ----------------------------------------------------------------------------------
    def nodes(self) -> list[Mapping[str, Any]]:
        with self._lock:
            return list(self._nodes.values())

    def snapshot(self, objects: Iterable[Mapping[str, Any]] = ()) -> Snapshot:
        with self._lock:
            nodes = list(self._nodes.values())
            pods = list(self._pods.values()) + [p for k, p in self._assumed.items() if k not in self._pods]
        return Snapshot.build(nodes, pods, objects)
