"""The "pvc-protection" controller: a claim in use by a Pod is not deleted under it.

Why: deleting a PersistentVolumeClaim while a Pod still mounts it would pull the storage from a
running application (and, with reclaim policy Delete, destroy the data). Upstream guards it with a
finalizer, as ``pkg/controller/volume/pvcprotection``::

    create PVC ──▶ admission (StorageObjectInUseProtection) adds finalizer kubernetes.io/pvc-protection
    kubectl delete pvc data ──▶ deletionTimestamp set; STATUS Terminating; the object stays
    this controller: is a Pod that is not finished still using "data"?
        yes ──▶ wait (a Pod event brings the claim back)
        no  ──▶ remove the finalizer ──▶ the apiserver deletes the claim ──▶ the PV is released

The cache may lag (a Pod created a moment ago), so before letting go it asks the apiserver itself,
as upstream does (``askAPIServer``).
"""

from __future__ import annotations

from typing import Any

from ..api import meta
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import NotFound
from .base import Controller

__all__ = ["PVCProtectionController", "PVC_PROTECTION_FINALIZER", "pod_uses_claim"]

PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection"

Obj = dict[str, Any]


def _claims(pod: Obj) -> list[str]:
    return [str(v["persistentVolumeClaim"]["claimName"]) for v in (pod.get("spec") or {}).get("volumes") or []
            if (v.get("persistentVolumeClaim") or {}).get("claimName")]


def pod_uses_claim(pod: Obj, claim: str) -> bool:
    """Does *pod* (not finished: phase neither Succeeded nor Failed) mount claim *claim*?"""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    return claim in _claims(pod)


class PVCProtectionController(Controller):
    name = "pvc-protection"
    component = "pvc-protection-controller"

    def __init__(self, client: Client, informers: InformerFactory | None = None, clock: Clock | None = None) -> None:
        super().__init__(client, informers, clock)
        self.pvc_informer = self.informers.informer("persistentvolumeclaims")
        self.pod_informer = self.informers.informer("pods")
        self.pvc_informer.add_handler(on_add=self._claim_changed, on_update=lambda o, n: self._claim_changed(n))
        self.pod_informer.add_handler(on_add=self._pod_changed, on_update=lambda o, n: self._pod_changed(n),
                                      on_delete=self._pod_changed)

    def _claim_changed(self, pvc: Obj) -> None:
        md = pvc["metadata"]
        finalizers = md.get("finalizers") or []
        if md.get("deletionTimestamp") and PVC_PROTECTION_FINALIZER in finalizers:
            self.enqueue(pvc)
        elif not md.get("deletionTimestamp") and PVC_PROTECTION_FINALIZER not in finalizers:
            self.enqueue(pvc)  # made before the admission plugin ran (or by a restored state)

    def _pod_changed(self, pod: Obj) -> None:
        ns = pod["metadata"].get("namespace", "")
        for claim in _claims(pod):
            self.queue.add(f"{ns}/{claim}")

    def reconcile(self, key: Any) -> None:
        pvc = self.pvc_informer.get(key)
        if pvc is None:
            return
        md = pvc["metadata"]
        finalizers = list(md.get("finalizers") or [])
        if not md.get("deletionTimestamp"):
            if PVC_PROTECTION_FINALIZER not in finalizers:
                self._set_finalizers(pvc, finalizers + [PVC_PROTECTION_FINALIZER])
            return
        if PVC_PROTECTION_FINALIZER not in finalizers or self._in_use(pvc):
            return
        self._set_finalizers(pvc, [f for f in finalizers if f != PVC_PROTECTION_FINALIZER])

    def _in_use(self, pvc: Obj) -> bool:
        ns, name = pvc["metadata"]["namespace"], pvc["metadata"]["name"]
        if any(pod_uses_claim(p, name) for p in self.pod_informer.list() if p["metadata"].get("namespace") == ns):
            return True
        live = self.client.list("pods", ns)["items"]  # the cache may not have a brand-new Pod yet
        return any(pod_uses_claim(p, name) for p in live)

    def _set_finalizers(self, pvc: Obj, finalizers: list[str]) -> None:
        new = meta.deep_copy(pvc)
        new["metadata"]["finalizers"] = finalizers
        try:
            self.client.update("persistentvolumeclaims", new, new["metadata"]["namespace"])
        except NotFound:
            pass
