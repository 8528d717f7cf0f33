"""``kubectl get`` for storage: PersistentVolumeClaims, PersistentVolumes and StorageClasses.

Access modes print short (``RWO``, ``ROX``, ``RWX``, ``RWOP``). A claim shows its CAPACITY and
ACCESS MODES only once bound, from its status::

    NAME   STATUS    VOLUME     CAPACITY   ACCESS MODES   STORAGECLASS   ...
    data   Bound     pvc-1a2b   1Gi        RWO            standard
    logs   Pending                                        standard
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .cells import _AGE, _NAME, Column, Printer, _age, _meta, _name, _terminating_or_phase, _wide

__all__ = ["PRINTERS"]

_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"))


def _access_modes(modes: Sequence[str] | None) -> str:
    modes = modes or []
    return ",".join(short for full, short in _ACCESS_MODES if full in modes)


def _storage_class(obj: dict[str, Any]) -> Any:
    """``spec.storageClassName``, else the old beta annotation."""
    return (obj.get("spec") or {}).get("storageClassName") or (_meta(obj).get("annotations") or {}).get(
        "volume.beta.kubernetes.io/storage-class", "")


def _attributes_class_and_mode(spec: dict[str, Any]) -> tuple[str, str]:
    """VOLUMEATTRIBUTESCLASS and VOLUMEMODE, ``<unset>`` when not set."""
    return spec.get("volumeAttributesClassName") or "<unset>", spec.get("volumeMode") or "<unset>"


def _pvc_row(pvc: dict[str, Any], now: float) -> list[Any]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    capacity = access = ""
    if spec.get("volumeName"):
        access = _access_modes(status.get("accessModes"))
        capacity = str((status.get("capacity") or {}).get("storage", ""))
    attributes_class, mode = _attributes_class_and_mode(spec)
    return [_name(pvc), _terminating_or_phase(pvc), spec.get("volumeName", ""), capacity, access,
            _storage_class(pvc), attributes_class, _age(pvc, now), mode]


def _pv_row(pv: dict[str, Any], now: float) -> list[Any]:
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef")
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""
    attributes_class, mode = _attributes_class_and_mode(spec)
    return [_name(pv), str((spec.get("capacity") or {}).get("storage", "")), _access_modes(spec.get("accessModes")),
            spec.get("persistentVolumeReclaimPolicy", ""), _terminating_or_phase(pv), claim, _storage_class(pv),
            attributes_class, status.get("reason", ""), _age(pv, now), mode]


def _storageclass_row(sc: dict[str, Any], now: float) -> list[Any]:
    ann = _meta(sc).get("annotations") or {}
    default = "true" in (ann.get("storageclass.kubernetes.io/is-default-class"),
                         ann.get("storageclass.beta.kubernetes.io/is-default-class"))
    name = _name(sc) + (" (default)" if default else "")
    return [name, sc.get("provisioner", ""), sc.get("reclaimPolicy") or "Delete",
            sc.get("volumeBindingMode") or "Immediate", bool(sc.get("allowVolumeExpansion")), _age(sc, now)]


PRINTERS: dict[str, Printer] = {
    "persistentvolumeclaims": Printer((_NAME, Column("Status"), Column("Volume"), Column("Capacity"),
                                       Column("Access Modes"), Column("StorageClass"),
                                       Column("VolumeAttributesClass"), _AGE, *_wide("VolumeMode")), _pvc_row),
    "persistentvolumes": Printer((_NAME, Column("Capacity"), Column("Access Modes"), Column("Reclaim Policy"),
                                  Column("Status"), Column("Claim"), Column("StorageClass"),
                                  Column("VolumeAttributesClass"), Column("Reason"), _AGE, *_wide("VolumeMode")),
                                 _pv_row),
    "storageclasses": Printer((_NAME, Column("Provisioner"), Column("ReclaimPolicy"), Column("VolumeBindingMode"),
                               Column("AllowVolumeExpansion"), _AGE), _storageclass_row),
}
