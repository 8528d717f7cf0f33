"""The "pv-protection" controller: a PersistentVolume bound to a claim is not deleted under it.

Upstream's ``pkg/controller/volume/pvprotection``: admission puts the finalizer
``kubernetes.io/pv-protection`` on every new PV; when someone deletes a PV this controller removes
the finalizer only once the volume is no longer Bound (its claim is gone and the PV controller
marked it Released, or it was never used)::

    kubectl delete pv pv-1   (Bound to default/data)  ──▶ Terminating, stays
    kubectl delete pvc data  ──▶ PV Released ──▶ finalizer removed ──▶ PV gone
"""

from __future__ import annotations

from typing import Any

from ..api import meta
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import NotFound
from .base import Controller

__all__ = ["PVProtectionController", "PV_PROTECTION_FINALIZER"]

PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection"

Obj = dict[str, Any]


class PVProtectionController(Controller):
    name = "pv-protection"
    component = "pv-protection-controller"

    def __init__(self, client: Client, informers: InformerFactory | None = None, clock: Clock | None = None) -> None:
        super().__init__(client, informers, clock)
        self.pv_informer = self.informers.informer("persistentvolumes")
        self.pv_informer.add_handler(on_add=self._volume_changed, on_update=lambda o, n: self._volume_changed(n))

    def _volume_changed(self, pv: Obj) -> None:
        md = pv["metadata"]
        finalizers = md.get("finalizers") or []
        if bool(md.get("deletionTimestamp")) == (PV_PROTECTION_FINALIZER in finalizers):
            self.enqueue(pv)  # being deleted with the finalizer, or alive without it

    def reconcile(self, key: Any) -> None:
        pv = self.pv_informer.get(key)
        if pv is None:
            return
        md = pv["metadata"]
        finalizers = list(md.get("finalizers") or [])
        if not md.get("deletionTimestamp"):
            if PV_PROTECTION_FINALIZER not in finalizers:
                self._set_finalizers(pv, finalizers + [PV_PROTECTION_FINALIZER])
            return
        if PV_PROTECTION_FINALIZER in finalizers and (pv.get("status") or {}).get("phase") != "Bound":
            self._set_finalizers(pv, [f for f in finalizers if f != PV_PROTECTION_FINALIZER])

    def _set_finalizers(self, pv: Obj, finalizers: list[str]) -> None:
        new = meta.deep_copy(pv)
        new["metadata"]["finalizers"] = finalizers
        try:
            self.client.update("persistentvolumes", new)
        except NotFound:
            pass
