"""Storage objects: the default StorageClass, and which PersistentVolume may serve which claim.

Pure functions over PV / PVC / StorageClass dicts, shared by the apiserver (the DefaultStorageClass
admission plugin) and the PV controller (binding and provisioning)::

    PVC www-web-1 (1Gi, RWO, class "standard")
        │ a matching Available PV?   same class, access modes ⊇ the claim's, capacity ≥ the request,
        │                            same volumeMode, selector matches; the smallest such PV wins
        ├─ yes → bind it (PV.spec.claimRef ⇄ PVC.spec.volumeName)
        └─ no  → the class's provisioner makes one: PV pvc-<claim uid>, then bind

Our one provisioner, ``k8sedu.io/docker-volume``, backs a PV with a named engine volume (a Docker
volume; a dict in the simulated runtime), written as a CSI source::

    csi: {driver: k8sedu.io/docker-volume, volumeHandle: pvc-3f2a…}   ← the engine volume's name
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .quantity import parse_quantity
from .selectors import from_label_selector

__all__ = [
    "DEFAULT_CLASS_ANNOTATION",
    "BETA_DEFAULT_CLASS_ANNOTATION",
    "BETA_CLASS_ANNOTATION",
    "PROVISIONER",
    "DEFAULT_STORAGE_CLASS",
    "default_storage_class",
    "is_default_class",
    "pick_default_class",
    "admit_default_storage_class",
    "claim_class",
    "volume_class",
    "volume_matches",
    "find_best_match",
    "engine_volume",
    "default_pv",
    "default_sc",
]

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS_ANNOTATION = "storageclass.beta.kubernetes.io/is-default-class"
#: the old way to name a claim's class, still honoured by upstream
BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
#: our provisioner: PVs backed by a named engine volume of the cluster
PROVISIONER = "k8sedu.io/docker-volume"
DEFAULT_STORAGE_CLASS = "standard"


def default_storage_class() -> dict[str, Any]:
    """The class the apiserver creates at start (kind's and minikube's default is also "standard")."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": DEFAULT_STORAGE_CLASS, "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }


def is_default_class(sc: dict[str, Any]) -> bool:
    ann = (sc.get("metadata") or {}).get("annotations") or {}
    return "true" in (ann.get(DEFAULT_CLASS_ANNOTATION), ann.get(BETA_DEFAULT_CLASS_ANNOTATION))


def pick_default_class(classes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The default class; with several, the newest wins (upstream since v1.26), then the name."""
    defaults = [sc for sc in classes if is_default_class(sc)]
    if not defaults:
        return None
    defaults.sort(key=lambda sc: (str((sc.get("metadata") or {}).get("creationTimestamp", "")),
                                  (sc.get("metadata") or {}).get("name", "")))
    return defaults[-1]


def admit_default_storage_class(pvc: dict[str, Any], classes: list[dict[str, Any]]) -> None:
    """Upstream's DefaultStorageClass admission plugin: a claim that names no class (the field is
    absent, not "") gets the default one. In place."""
    spec = pvc.setdefault("spec", {})
    ann = (pvc.get("metadata") or {}).get("annotations") or {}
    if spec.get("storageClassName") is not None or BETA_CLASS_ANNOTATION in ann:
        return
    sc = pick_default_class(classes)
    if sc is not None:
        spec["storageClassName"] = sc["metadata"]["name"]


def claim_class(pvc: dict[str, Any]) -> str:
    ann = (pvc.get("metadata") or {}).get("annotations") or {}
    return str((pvc.get("spec") or {}).get("storageClassName") or ann.get(BETA_CLASS_ANNOTATION) or "")


def volume_class(pv: dict[str, Any]) -> str:
    ann = (pv.get("metadata") or {}).get("annotations") or {}
    return str((pv.get("spec") or {}).get("storageClassName") or ann.get(BETA_CLASS_ANNOTATION) or "")


def _request(pvc: dict[str, Any]) -> Fraction:
    requests = ((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}
    return parse_quantity(str(requests.get("storage", "0")))


def _capacity(pv: dict[str, Any]) -> Fraction:
    return parse_quantity(str(((pv.get("spec") or {}).get("capacity") or {}).get("storage", "0")))


def volume_matches(pv: dict[str, Any], pvc: dict[str, Any]) -> bool:
    """May *pv* serve *pvc* (upstream's ``findMatchingVolume`` checks, without node affinity)?"""
    spec, cspec = pv.get("spec") or {}, pvc.get("spec") or {}
    ref = spec.get("claimRef")
    if ref:  # pre-bound: only to this claim
        cmd = pvc.get("metadata") or {}
        if ref.get("name") != cmd.get("name") or ref.get("namespace") != cmd.get("namespace"):
            return False
        if ref.get("uid") and ref.get("uid") != cmd.get("uid"):
            return False
    elif (pv.get("status") or {}).get("phase", "Available") != "Available":
        return False
    if (pv.get("metadata") or {}).get("deletionTimestamp"):
        return False
    if volume_class(pv) != claim_class(pvc):
        return False
    if (spec.get("volumeMode") or "Filesystem") != (cspec.get("volumeMode") or "Filesystem"):
        return False
    if not set(cspec.get("accessModes") or []) <= set(spec.get("accessModes") or []):
        return False
    if _capacity(pv) < _request(pvc):
        return False
    selector = cspec.get("selector")
    if selector and not from_label_selector(selector).matches((pv.get("metadata") or {}).get("labels") or {}):
        return False
    return True


def find_best_match(pvs: list[dict[str, Any]], pvc: dict[str, Any]) -> dict[str, Any] | None:
    """A volume pre-bound to the claim first, else the smallest matching one (then by name)."""
    matching = [pv for pv in pvs if volume_matches(pv, pvc)]
    if not matching:
        return None
    matching.sort(key=lambda pv: (not (pv.get("spec") or {}).get("claimRef"), _capacity(pv),
                                  (pv.get("metadata") or {}).get("name", "")))
    return matching[0]


def engine_volume(pv: dict[str, Any]) -> str | None:
    """The engine volume behind a PV made by our provisioner (its CSI ``volumeHandle``), else None."""
    csi = (pv.get("spec") or {}).get("csi") or {}
    if csi.get("driver") == PROVISIONER and csi.get("volumeHandle"):
        return str(csi["volumeHandle"])
    return None


def default_pv(pv: dict[str, Any]) -> None:
    """``SetDefaults_PersistentVolume``: reclaim policy Retain, volumeMode Filesystem."""
    spec = pv.setdefault("spec", {})
    spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
    spec.setdefault("volumeMode", "Filesystem")


def default_sc(sc: dict[str, Any]) -> None:
    """storage/v1 ``SetDefaults_StorageClass``: reclaimPolicy Delete, volumeBindingMode Immediate."""
    sc.setdefault("reclaimPolicy", "Delete")
    sc.setdefault("volumeBindingMode", "Immediate")
