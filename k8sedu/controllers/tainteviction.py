"""Taint-based eviction: delete the Pods of a node with a NoExecute taint they do not tolerate.

A ``NoExecute`` taint (``node.kubernetes.io/unreachable`` when a node falls silent) means "nothing
should keep running here". For each Pod on such a node, as upstream's taint eviction controller
(part of the node controller before Kubernetes 1.29)::

    a taint the Pod does not tolerate      → delete the Pod now
    tolerated, with tolerationSeconds: 300 → delete it 300 s after the controller saw the taint
    tolerated without tolerationSeconds    → leave it forever
    the taint goes away before that        → cancel ("Cancelling deletion of Pod default/web-x")

Every Pod gets ``tolerationSeconds: 300`` for ``not-ready`` and ``unreachable`` from the
DefaultTolerationSeconds admission plugin: that is why a failed node's Pods are replaced about
five minutes after it fails. Before deleting, the controller records ``TaintManagerEviction
Marking for deletion Pod default/web-x`` and adds the ``DisruptionTarget`` condition to the Pod.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from ..api import meta
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import APIError, NotFound
from .base import Controller

__all__ = ["TaintEvictionController", "matching_tolerations", "min_toleration_time", "tolerates"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]


def tolerates(toleration: Obj, taint: Obj) -> bool:
    """``Toleration.ToleratesTaint``: effect and key match (empty matches all), then value."""
    if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
        return False
    if toleration.get("key") and toleration.get("key") != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return operator == "Exists"


def matching_tolerations(taints: list[Obj], tolerations: list[Obj]) -> tuple[bool, list[Obj]]:
    """Whether every taint is tolerated, and the toleration used for each (``GetMatchingTolerations``)."""
    if not taints:
        return True, []
    used = []
    for taint in taints:
        match = next((t for t in tolerations if tolerates(t, taint)), None)
        if match is None:
            return False, []
        used.append(match)
    return True, used


def min_toleration_time(tolerations: list[Obj]) -> float:
    """The shortest ``tolerationSeconds``; 0 for none given; -1 (forever) when none has a limit."""
    if not tolerations:
        return 0.0
    best: float | None = None
    for t in tolerations:
        seconds = t.get("tolerationSeconds")
        if seconds is None:
            continue
        if int(seconds) <= 0:
            return 0.0
        best = float(seconds) if best is None else min(best, float(seconds))
    return -1.0 if best is None else best


def _no_execute_taints(node: Obj | None) -> list[Obj]:
    return [t for t in ((node or {}).get("spec") or {}).get("taints") or [] if t.get("effect") == "NoExecute"]


@dataclass
class _Eviction:
    created: float  # when the controller first saw the Pod on the tainted node
    fire_at: float
    fired: bool = False


class TaintEvictionController(Controller):
    name = "taint-eviction-controller"
    component = "taint-eviction-controller"
    workers = 2  # upstream: 8 workers

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.node_informer = self.informers.informer("nodes")
        self.pod_informer = self.informers.informer("pods")
        self.node_informer.add_handler(self._node_added, self._node_updated, self._node_added)
        self.pod_informer.add_handler(self._pod_added, self._pod_updated, self.enqueue)
        # _lock guards _evictions: pod key → its scheduled eviction
        self._lock = threading.Lock()
        self._evictions: dict[str, _Eviction] = {}

    # -- handlers ---------------------------------------------------------------------------------
    def _enqueue_pods_on(self, node_name: str) -> None:
        for pod in self.pod_informer.list():
            if (pod.get("spec") or {}).get("nodeName") == node_name:
                self.enqueue(pod)

    def _node_added(self, node: Obj) -> None:
        self._enqueue_pods_on(node["metadata"]["name"])

    def _node_updated(self, old: Obj, new: Obj) -> None:
        if _no_execute_taints(old) != _no_execute_taints(new):
            self._enqueue_pods_on(new["metadata"]["name"])

    def _pod_added(self, pod: Obj) -> None:
        if (pod.get("spec") or {}).get("nodeName"):
            self.enqueue(pod)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        o, n = old.get("spec") or {}, new.get("spec") or {}
        if (o.get("nodeName") != n.get("nodeName") or o.get("tolerations") != n.get("tolerations")
                or bool(old["metadata"].get("deletionTimestamp")) != bool(new["metadata"].get("deletionTimestamp"))):
            self.enqueue(new)

    # -- reconcile ----------------------------------------------------------------------------------
    def reconcile(self, key: Any) -> None:
        key = str(key)
        pod = self.pod_informer.get(key)
        if pod is None:
            self._cancel(key)
            return
        node_name = (pod.get("spec") or {}).get("nodeName")
        if not node_name:
            return
        if pod["metadata"].get("deletionTimestamp"):
            with self._lock:  # on its way out: nothing left to schedule
                entry = self._evictions.get(key)
                if entry is not None and not entry.fired:
                    del self._evictions[key]
            return
        taints = _no_execute_taints(self.node_informer.get(node_name))
        if not taints:
            self._cancel(key)
            return
        now = self.clock.now()
        all_tolerated, used = matching_tolerations(taints, (pod.get("spec") or {}).get("tolerations") or [])
        with self._lock:
            entry = self._evictions.get(key)
        if entry is not None and entry.fired:
            return  # already deleted once; the Pod is terminating
        if not all_tolerated:
            if entry is not None and entry.fire_at > now:
                self._cancel(key)  # a scheduled eviction is replaced by an immediate one
            entry = _Eviction(now, now)
        else:
            minimum = min_toleration_time(used)
            if minimum < 0:
                self._cancel(key)  # tolerated forever
                return
            if entry is None:
                entry = _Eviction(now, now + minimum)
            elif entry.created + minimum < entry.fire_at:
                entry = _Eviction(entry.created, entry.created + minimum)  # tolerations got shorter
        with self._lock:
            self._evictions[key] = entry
        if entry.fire_at > now:
            self.queue.add_after(key, entry.fire_at - now)
            return
        self._evict(key, pod)
        entry.fired = True

    def _cancel(self, key: str) -> None:
        with self._lock:
            entry = self._evictions.pop(key, None)
        if entry is not None and not entry.fired:
            ns, name = meta.split_key(key)
            self.recorder.normal(self._ref(ns, name), "TaintManagerEviction", f"Cancelling deletion of Pod {key}")

    @staticmethod
    def _ref(namespace: str | None, name: str) -> Obj:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace or "default"}}

    def _evict(self, key: str, pod: Obj) -> None:
        """Event, DisruptionTarget condition, delete (``deletePodHandler``)."""
        ns, name = meta.split_key(key)
        self.recorder.normal(self._ref(ns, name), "TaintManagerEviction", f"Marking for deletion Pod {key}")
        try:
            current = self.client.get("pods", name, ns)
            if meta.get_condition(current, "DisruptionTarget") is None:
                current.setdefault("status", {}).setdefault("conditions", []).append({
                    "type": "DisruptionTarget", "status": "True", "lastTransitionTime": self.clock.timestamp(),
                    "reason": "DeletionByTaintManager", "message": "Taint manager: deleting due to NoExecute taint",
                })
                self.client.update_status("pods", current)
            self.client.delete("pods", name, ns)
        except NotFound:
            return
        except APIError as err:
            log.warning("taint eviction of pod %s failed: %s", key, err)
            raise
