"""The PersistentVolume controller ("persistentvolume-binder"): claims meet volumes.

A PersistentVolumeClaim asks for storage ("1Gi, ReadWriteOnce, class standard"); a
PersistentVolume is storage that exists. This controller pairs them, as upstream's
``pkg/controller/volume/persistentvolume``::

    PVC www-web-1  Pending ──▶ a matching Available PV?  ── yes ──▶ bind ─▶ PV Bound, PVC Bound
                                       │ no
                                       ▼
                 StorageClass "standard" (provisioner k8sedu.io/docker-volume)
                 provision: engine volume pvc-<uid> + PV pvc-<uid> (claimRef = the claim) ─▶ bind

    binding, in upstream's order:  PV.spec.claimRef → PV.status Bound → PVC.spec.volumeName
                                   (+ bind-completed annotations) → PVC.status Bound

    PVC deleted ─▶ PV Released ─▶ reclaimPolicy Retain: stays (the data waits for an admin)
                                  reclaimPolicy Delete: the engine volume, then the PV, are deleted

The data lives in the engine volume, not in the Pod: a StatefulSet's web-1, deleted and made
again, gets the same claim ``www-web-1``, so the same PV, so the same volume and its files.

Deleting the engine volume is the one step outside the API. Upstream, the volume plugin's
``Deleter`` (in-tree) or the external provisioner (CSI) calls the storage system. Here the
provisioner runs inside this controller and is handed one callback, ``deleter(volume_name)``:
the Cluster passes its runtime's ``remove_volume`` (the same seam the kubelet uses for emptyDir).
Without a deleter (unit tests) only the PV object is removed; the engine volume, labelled with the
cluster's id, goes when the cluster stops. Creating the volume needs no call: the engine makes a
named volume on first mount, when the kubelet starts the Pod.

A class with ``volumeBindingMode: WaitForFirstConsumer`` leaves its claims Pending (event
``WaitForFirstConsumer``) until the scheduler has placed a Pod that uses them and written the node on
the claim (annotation ``volume.kubernetes.io/selected-node``); then they are bound or provisioned.

Simplified: no Recycle, no node affinity on provisioned volumes, no expansion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..api import meta, storage
from ..client import Client, EventRecorder, InformerFactory
from ..clock import Clock
from ..errors import AlreadyExists, NotFound
from .base import Controller

__all__ = ["PersistentVolumeController", "VolumeDeleter", "provisioned_volume_name",
           "BIND_COMPLETED", "BOUND_BY_CONTROLLER", "PROVISIONED_BY", "STORAGE_PROVISIONER"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]
#: removes one named engine volume of the cluster (``runtime.remove_volume``); idempotent
VolumeDeleter = Callable[[str], None]

BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"  # written by the scheduler for WaitForFirstConsumer


def provisioned_volume_name(pvc: Obj) -> str:
    """Upstream's name for a dynamically provisioned PV: ``pvc-<claim uid>``."""
    return f"pvc-{pvc['metadata']['uid']}"


class PersistentVolumeController(Controller):
    """Binds claims to volumes, provisions for ``k8sedu.io/docker-volume`` classes, reclaims.

    Keys are ``("pvc", "ns/name")`` and ``("pv", "name")``; one worker, so two claims never race
    for the same volume in this process (a stale cache still loses on resourceVersion: 409, retry).
    """

    name = "persistentvolume-binder"
    component = "persistentvolume-controller"

    def __init__(self, client: Client, informers: InformerFactory | None = None, clock: Clock | None = None,
                 deleter: VolumeDeleter | None = None) -> None:
        super().__init__(client, informers, clock)
        self.deleter = deleter
        self._reclaimed: set[str] = set()  # uids of PVs whose engine volume was deleted (worker-only)
        # the provisioner's own events, as an external provisioner signs them
        self.provisioner_recorder = EventRecorder(client, storage.PROVISIONER)
        self.pvc_informer = self.informers.informer("persistentvolumeclaims")
        self.pv_informer = self.informers.informer("persistentvolumes")
        self.class_informer = self.informers.informer("storageclasses")
        self.pvc_informer.add_handler(on_add=self._claim_changed, on_update=lambda o, n: self._claim_changed(n),
                                      on_delete=self._claim_deleted)
        self.pv_informer.add_handler(on_add=self._volume_changed, on_update=lambda o, n: self._volume_changed(n),
                                     on_delete=self._volume_changed)
        self.class_informer.add_handler(on_add=self._class_changed)

    # -- handlers: only enqueue ---------------------------------------------------------------
    def _claim_changed(self, pvc: Obj) -> None:
        self.queue.add(("pvc", meta.key(pvc)))

    def _claim_deleted(self, pvc: Obj) -> None:
        name = (pvc.get("spec") or {}).get("volumeName")
        if name:
            self.queue.add(("pv", name))
        for pv in self.pv_informer.list():  # a provisioned, pre-bound volume not yet named in the claim
            ref = (pv.get("spec") or {}).get("claimRef") or {}
            if ref.get("uid") == pvc["metadata"].get("uid"):
                self.queue.add(("pv", pv["metadata"]["name"]))

    def _volume_changed(self, pv: Obj) -> None:
        self.queue.add(("pv", pv["metadata"]["name"]))
        ref = (pv.get("spec") or {}).get("claimRef")
        if ref:
            self.queue.add(("pvc", f"{ref.get('namespace', '')}/{ref.get('name', '')}"))

    def _class_changed(self, sc: Obj) -> None:
        for pvc in self.pvc_informer.list():  # pending claims may now be provisioned
            if not (pvc.get("spec") or {}).get("volumeName"):
                self.queue.add(("pvc", meta.key(pvc)))

    def reconcile(self, key: Any) -> None:
        what, name = key
        if what == "pvc":
            pvc = self.pvc_informer.get(name)
            if pvc is not None:
                self.sync_claim(pvc)
        else:
            pv = self.pv_informer.get(name)
            if pv is not None:
                self.sync_volume(pv)

    # -- claims -------------------------------------------------------------------------------
    def sync_claim(self, pvc: Obj) -> None:
        md, spec = pvc["metadata"], pvc.get("spec") or {}
        if md.get("deletionTimestamp"):
            return
        volume_name = spec.get("volumeName")
        if not volume_name:
            self._sync_unbound_claim(pvc)
            return
        pv = self.pv_informer.get(volume_name)
        if pv is None:
            if (pvc.get("status") or {}).get("phase") == "Bound":
                self._claim_phase(pvc, "Lost")
                self.recorder.warning(pvc, "ClaimLost",
                                      "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
            else:
                self._claim_phase(pvc, "Pending")
            return
        ref = (pv.get("spec") or {}).get("claimRef")
        if not ref:  # the user named the volume in the claim: bind the volume to it
            pv = self._bind_volume_to_claim(pv, pvc)
        elif ref.get("uid") != md.get("uid") or ref.get("name") != md.get("name"):
            self._claim_phase(pvc, "Pending")
            self.recorder.warning(pvc, "FailedBinding",
                                  f"volume \"{volume_name}\" already bound to a different claim.")
            return
        self._volume_phase(pv, "Bound")
        self._claim_bound(pvc, pv)

    def _sync_unbound_claim(self, pvc: Obj) -> None:
        sc = self.class_informer.get(storage.claim_class(pvc) or "\0")
        if sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer" \
                and not (pvc["metadata"].get("annotations") or {}).get(SELECTED_NODE):
            # delayed binding: the scheduler picks the node first (VolumeBinding's PreBind)
            self._claim_phase(pvc, "Pending")
            self.recorder.normal(pvc, "WaitForFirstConsumer",
                                 "waiting for first consumer to be created before binding")
            return
        pv = storage.find_best_match(self.pv_informer.list(), pvc)
        if pv is not None:
            pv = self._bind_volume_to_claim(pv, pvc)
            self._volume_phase(pv, "Bound")
            self._bind_claim_to_volume(pvc, pv)
            return
        self._claim_phase(pvc, "Pending")
        class_name = storage.claim_class(pvc)
        if not class_name:
            self.recorder.normal(pvc, "FailedBinding",
                                 "no persistent volumes available for this claim and no storage class is set")
            return
        sc = self.class_informer.get(class_name)
        if sc is None:
            self.recorder.warning(pvc, "ProvisioningFailed",
                                  f'storageclass.storage.k8s.io "{class_name}" not found')
            return
        provisioner = sc.get("provisioner", "")
        if provisioner != storage.PROVISIONER:
            self._annotate_provisioner(pvc, provisioner)
            self.recorder.normal(pvc, "ExternalProvisioning",
                                 f"Waiting for a volume to be created either by the external provisioner "
                                 f"'{provisioner}' or manually by the system administrator. If volume creation "
                                 "is delayed, please verify that the provisioner is running and correctly "
                                 "registered.")
            return
        self._provision(pvc, sc)

    def _annotate_provisioner(self, pvc: Obj, provisioner: str) -> Obj:
        ann = pvc["metadata"].get("annotations") or {}
        if ann.get(STORAGE_PROVISIONER) == provisioner:
            return pvc
        new = meta.deep_copy(pvc)
        anns = new["metadata"].setdefault("annotations", {})
        anns[STORAGE_PROVISIONER] = provisioner
        anns[BETA_STORAGE_PROVISIONER] = provisioner
        return self.client.update("persistentvolumeclaims", new, new["metadata"]["namespace"])

    def _provision(self, pvc: Obj, sc: Obj) -> None:
        """Our provisioner: a PV backed by the engine volume ``pvc-<uid>``, pre-bound to the claim.
        The engine volume itself is made on first mount."""
        pvc = self._annotate_provisioner(pvc, storage.PROVISIONER)
        md, spec = pvc["metadata"], pvc.get("spec") or {}
        name = provisioned_volume_name(pvc)
        if self.pv_informer.get(name) is not None:
            return  # made already; the volume's event brings the claim back to bind it
        claim = f"{md['namespace']}/{md['name']}"
        self.provisioner_recorder.normal(pvc, "Provisioning",
                                         f'External provisioner is provisioning volume for claim "{claim}"')
        size = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "0")
        pv: Obj = {
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "annotations": {PROVISIONED_BY: storage.PROVISIONER}},
            "spec": {
                "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                "capacity": {"storage": size},
                "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": md["namespace"],
                             "name": md["name"], "uid": md["uid"],
                             "resourceVersion": md.get("resourceVersion", "")},
                "csi": {"driver": storage.PROVISIONER, "volumeHandle": name, "fsType": "ext4",
                        "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": storage.PROVISIONER}},
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
                "storageClassName": sc["metadata"]["name"],
                "volumeMode": spec.get("volumeMode") or "Filesystem",
            },
        }
        if sc.get("mountOptions"):
            pv["spec"]["mountOptions"] = list(sc["mountOptions"])
        try:
            self.client.create("persistentvolumes", pv)
        except AlreadyExists:
            return
        self.provisioner_recorder.normal(pvc, "ProvisioningSucceeded", f"Successfully provisioned volume {name}")

    def _bind_volume_to_claim(self, pv: Obj, pvc: Obj) -> Obj:
        md = pvc["metadata"]
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        if ref.get("uid") == md.get("uid") and ref.get("name") == md.get("name"):
            return pv
        new = meta.deep_copy(pv)
        new["spec"]["claimRef"] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                   "namespace": md["namespace"], "name": md["name"], "uid": md["uid"],
                                   "resourceVersion": md.get("resourceVersion", "")}
        new["metadata"].setdefault("annotations", {})[BOUND_BY_CONTROLLER] = "yes"
        return self.client.update("persistentvolumes", new)

    def _bind_claim_to_volume(self, pvc: Obj, pv: Obj) -> None:
        new = meta.deep_copy(pvc)
        new["spec"]["volumeName"] = pv["metadata"]["name"]
        anns = new["metadata"].setdefault("annotations", {})
        anns[BIND_COMPLETED] = "yes"
        anns[BOUND_BY_CONTROLLER] = "yes"
        updated = self.client.update("persistentvolumeclaims", new, new["metadata"]["namespace"])
        self._claim_bound(updated, pv)

    def _claim_bound(self, pvc: Obj, pv: Obj) -> None:
        anns = pvc["metadata"].get("annotations") or {}
        if anns.get(BIND_COMPLETED) != "yes":
            new = meta.deep_copy(pvc)
            new["metadata"].setdefault("annotations", {})[BIND_COMPLETED] = "yes"
            pvc = self.client.update("persistentvolumeclaims", new, new["metadata"]["namespace"])
        pspec = pv.get("spec") or {}
        want = {"phase": "Bound", "accessModes": list(pspec.get("accessModes") or []),
                "capacity": dict(pspec.get("capacity") or {})}
        status = pvc.get("status") or {}
        if all(status.get(k) == v for k, v in want.items()):
            return
        new = meta.deep_copy(pvc)
        new.setdefault("status", {}).update(want)
        self.client.update_status("persistentvolumeclaims", new)

    def _claim_phase(self, pvc: Obj, phase: str) -> None:
        if (pvc.get("status") or {}).get("phase") == phase:
            return
        new = meta.deep_copy(pvc)
        new.setdefault("status", {})["phase"] = phase
        self.client.update_status("persistentvolumeclaims", new)

    # -- volumes ------------------------------------------------------------------------------
    def sync_volume(self, pv: Obj) -> None:
        ref = (pv.get("spec") or {}).get("claimRef")
        if pv["metadata"].get("deletionTimestamp") and not ref:
            return  # a deleted volume still held by pv-protection is still synced until released
        if not ref:
            self._volume_phase(pv, "Available")
            return
        pvc = self.pvc_informer.get(f"{ref.get('namespace', '')}/{ref.get('name', '')}")
        if pvc is None or (ref.get("uid") and pvc["metadata"].get("uid") != ref.get("uid")):
            if pvc is None and self.client.get_or_none("persistentvolumeclaims", ref.get("name", ""),
                                                       ref.get("namespace")) is not None:
                return  # the cache is behind: the claim exists; its event will bring us back
            self._release(pv)
            return
        if (pvc.get("spec") or {}).get("volumeName") == pv["metadata"]["name"]:
            self._volume_phase(pv, "Bound")
        else:
            self.queue.add(("pvc", meta.key(pvc)))  # pre-bound or provisioned: the claim binds next

    def _release(self, pv: Obj) -> None:
        pv = self._volume_phase(pv, "Released")
        policy = (pv.get("spec") or {}).get("persistentVolumeReclaimPolicy") or "Retain"
        if policy == "Retain":
            return
        name = pv["metadata"]["name"]
        if policy != "Delete":
            self._volume_phase(pv, "Failed", f"Volume has unsupported reclaim policy {policy}")
            self.recorder.warning(pv, "VolumeUnknownReclaimPolicy", "Volume has unrecognized PersistentVolumeReclaimPolicy")
            return
        engine = storage.engine_volume(pv)
        if engine is None:
            message = (f'error getting deleter volume plugin for volume "{name}": '
                       "no deletable volume plugin matched")
            self._volume_phase(pv, "Failed", message)
            self.recorder.warning(pv, "VolumeFailedDelete", message)
            return
        uid = pv["metadata"].get("uid", name)
        if self.deleter is not None and uid not in self._reclaimed:
            try:
                self.deleter(engine)
            except Exception as err:  # the engine refused (a container still uses it?): retry later
                self.recorder.warning(pv, "VolumeFailedDelete", str(err))
                raise
            # a reconcile from a stale cache may come back here before the PV is gone: once is enough
            self._reclaimed.add(uid)
        try:
            self.client.delete("persistentvolumes", name)
        except NotFound:
            pass
        log.debug("deleted volume %s (engine volume %s)", name, engine)

    def _volume_phase(self, pv: Obj, phase: str, message: str = "") -> Obj:
        status = pv.get("status") or {}
        if status.get("phase") == phase and status.get("message", "") == message:
            return pv
        new = meta.deep_copy(pv)
        new["status"] = {"phase": phase, "lastPhaseTransitionTime": self.clock.timestamp()}
        if message:
            new["status"]["message"] = message
        return self.client.update_status("persistentvolumes", new)
