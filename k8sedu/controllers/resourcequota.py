"""The resourcequota controller: keep each ResourceQuota's ``status`` true.

Admission (``apiserver/quota.py``) only ever *adds* to ``status.used`` when it lets an object in;
this controller recalculates it from what really is in the namespace, so usage comes back when
Pods finish or objects are deleted::

    ResourceQuota added / spec.hard changed ──┐
    Pod deleted or finished, object deleted ──┼─▶ queue "ns/quota" ──▶ status.hard = spec.hard
    every 5 minutes (resource-quota-sync-period) ┘                      status.used = Σ usage(objects)

A Pod counts while it is not Succeeded/Failed, and a terminating one until its grace period is over
(upstream's ``QuotaV1Pod``). The status write carries the resourceVersion it read: if admission
charged the quota meanwhile, the write is a Conflict and the key is retried.
"""

from __future__ import annotations

from typing import Any

from ..api import kinds, meta
from ..api.quantity import format_quantity
from ..apiserver.quota import add_quantities, matching_resources, pod_usage, usage
from ..client import Client, InformerFactory
from ..clock import Clock, parse_rfc3339
from ..errors import NotFound
from .base import Controller

__all__ = ["ResourceQuotaController", "RESOURCE_QUOTA_SYNC_PERIOD", "pod_counts"]

Obj = dict[str, Any]
#: upstream's --resource-quota-sync-period (cluster seconds)
RESOURCE_QUOTA_SYNC_PERIOD = 300.0

#: the legacy object-count names and the resource each counts
_LEGACY = {"pods": "pods", "services": "services", "services.nodeports": "services",
           "services.loadbalancers": "services", "configmaps": "configmaps", "secrets": "secrets",
           "persistentvolumeclaims": "persistentvolumeclaims", "requests.storage": "persistentvolumeclaims",
           "resourcequotas": "resourcequotas", "replicationcontrollers": "replicationcontrollers",
           "cpu": "pods", "memory": "pods", "requests.cpu": "pods", "requests.memory": "pods",
           "limits.cpu": "pods", "limits.memory": "pods"}


def pod_counts(pod: Obj, now: float) -> bool:
    """upstream's QuotaV1Pod: does *pod* count against quota at *now*?"""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    md = pod.get("metadata") or {}
    if md.get("deletionTimestamp") and md.get("deletionGracePeriodSeconds") is not None:
        if now > parse_rfc3339(md["deletionTimestamp"]) + float(md["deletionGracePeriodSeconds"]):
            return False
    return True


def _resource_of(name: str) -> str | None:
    if name in _LEGACY:
        return _LEGACY[name]
    if name.startswith("count/"):
        return name[len("count/"):]
    return None


class ResourceQuotaController(Controller):
    name = "resourcequota"
    component = "resourcequota-controller"
    workers = 2  # --concurrent-resource-quota-syncs is 5 upstream

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None,
                 sync_period: float = RESOURCE_QUOTA_SYNC_PERIOD) -> None:
        super().__init__(client, informers, clock, workers)
        self.sync_period = sync_period
        self.quotas = self.informers.informer("resourcequotas")
        self.quotas.add_handler(self.enqueue, self._quota_updated)
        self.pods = self.informers.informer("pods")
        self.pods.add_handler(on_update=self._pod_updated, on_delete=self._replenish)
        for resource in ("services", "configmaps", "secrets", "persistentvolumeclaims"):
            self.informers.informer(resource).add_handler(on_delete=self._replenish)

    def _quota_updated(self, old: Obj, new: Obj) -> None:
        if (new.get("spec") or {}).get("hard") != (new.get("status") or {}).get("hard"):
            self.enqueue(new)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        was = (old.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        now = (new.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        if now and not was:
            self._replenish(new)
        elif new["metadata"].get("deletionTimestamp") and not old["metadata"].get("deletionTimestamp"):
            # counted until its grace period is over: look again then
            grace = float(new["metadata"].get("deletionGracePeriodSeconds") or 0)
            for q in self._quotas_of(new):
                self.queue.add_after(meta.key(q), grace + 1)

    def _quotas_of(self, obj: Obj) -> list[Obj]:
        ns = (obj.get("metadata") or {}).get("namespace")
        return [q for q in self.quotas.list() if q["metadata"].get("namespace") == ns]

    def _replenish(self, obj: Obj) -> None:
        for q in self._quotas_of(obj):
            self.enqueue(q)

    def reconcile(self, key: Any) -> None:
        quota = self.quotas.get(str(key))
        if quota is None:
            return
        ns = quota["metadata"]["namespace"]
        hard = {k: format_quantity(v) for k, v in ((quota.get("spec") or {}).get("hard") or {}).items()}
        used = self._calculate(ns, hard)
        status = {"hard": hard, "used": used}
        if quota.get("status") != status:
            new = meta.deep_copy(quota)
            new["status"] = status
            try:
                self.client.update_status("resourcequotas", new)
            except NotFound:
                return
        self.queue.add_after(str(key), self.sync_period)

    def _calculate(self, namespace: str, hard: dict[str, Any]) -> dict[str, str]:
        used = {name: "0" for name in hard}
        cache: dict[str, list[Obj]] = {}
        for name in hard:
            resource = _resource_of(name)
            if resource is None:
                continue
            try:
                kind = kinds.lookup(resource)
            except Exception:
                continue
            if kind.plural not in cache:
                cache[kind.plural] = self.client.items(kind.plural, namespace)
            for obj in cache[kind.plural]:
                if kind.kind == "Pod":
                    if not pod_counts(obj, self.clock.now()):
                        continue
                    amounts = pod_usage(obj)
                else:
                    amounts = usage(kind, obj)
                if name in matching_resources(kind, {name: 1}) and name in amounts:
                    used[name] = add_quantities(used[name], amounts[name])
        return used
