"""Validation of PersistentVolumeClaim, PersistentVolume and StorageClass (upstream's words).

A subset of ``pkg/apis/core/validation`` (``ValidatePersistentVolumeClaim``,
``ValidatePersistentVolume``) and ``pkg/apis/storage/validation``::

    The PersistentVolumeClaim "data" is invalid: spec.accessModes: Required value: at least 1 access mode is required

A claim naming an unknown StorageClass is *not* refused here, as upstream: it stays Pending and the
PV controller reports ``ProvisioningFailed``.
"""

from __future__ import annotations

from typing import Any

from k8sedu.api.quantity import parse_quantity
from k8sedu.api.validation_base import INVALID, REQUIRED, Errs, Obj, not_supported
from k8sedu.errors import FieldError

__all__ = ["validate_pvc", "validate_pv", "validate_storage_class", "ACCESS_MODES", "VOLUME_SOURCES"]

ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"]
#: the PersistentVolume sources we can mount (upstream knows many more)
VOLUME_SOURCES = ("hostPath", "csi", "local", "nfs")
FORBIDDEN = "Forbidden"


def _access_modes(modes: Any, path: str) -> Errs:
    errs: Errs = []
    if not modes:
        return [FieldError(path, REQUIRED, None, "at least 1 access mode is required")]
    for mode in modes:
        if mode not in ACCESS_MODES:
            errs.append(not_supported(path, mode, ACCESS_MODES))
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errs.append(FieldError(path, FORBIDDEN, None, "may not use ReadWriteOncePod with other access modes"))
    return errs


def _storage(resources: Any, path: str) -> Errs:
    value = (resources or {}).get("storage")
    if value is None:
        return [FieldError(f"{path}[storage]", REQUIRED, None)]
    try:
        if parse_quantity(str(value)) <= 0:
            return [FieldError(f"{path}[storage]", INVALID, str(value), "must be greater than zero")]
    except ValueError:
        return []  # the decoder refused it already
    return []


def validate_pvc(pvc: Obj, old: Obj | None) -> Errs:
    spec = pvc.get("spec") or {}
    errs = _access_modes(spec.get("accessModes"), "spec.accessModes")
    errs += _storage((spec.get("resources") or {}).get("requests"), "spec.resources")
    if old is not None:
        before, after = dict(old.get("spec") or {}), dict(spec)
        for k in ("resources", "volumeAttributesClassName"):
            before.pop(k, None)
            after.pop(k, None)
        if not before.get("volumeName"):  # binding fills it in once
            before.pop("volumeName", None)
            after.pop("volumeName", None)
        if before != after:
            errs.append(FieldError("spec", FORBIDDEN, None,
                                   "spec is immutable after creation except resources.requests and "
                                   "volumeAttributesClassName for bound claims"))
    return errs


def validate_pv(pv: Obj, old: Obj | None) -> Errs:
    spec = pv.get("spec") or {}
    errs = _access_modes(spec.get("accessModes"), "spec.accessModes")
    capacity = spec.get("capacity")
    if not capacity:
        errs.append(FieldError("spec.capacity", REQUIRED, None))
    else:
        errs += _storage(capacity, "spec.capacity")
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(not_supported("spec.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES))
    sources = [s for s in VOLUME_SOURCES if spec.get(s) is not None]
    if not sources:
        errs.append(FieldError("spec", REQUIRED, None, "must specify a volume type"))
    elif len(sources) > 1:
        errs.append(FieldError(f"spec.{sources[1]}", FORBIDDEN, None, "may not specify more than 1 volume type"))
    host = spec.get("hostPath")
    if isinstance(host, dict) and not host.get("path"):
        errs.append(FieldError("spec.hostPath.path", REQUIRED, None))
    csi = spec.get("csi")
    if isinstance(csi, dict):
        if not csi.get("driver"):
            errs.append(FieldError("spec.csi.driver", REQUIRED, None))
        if not csi.get("volumeHandle"):
            errs.append(FieldError("spec.csi.volumeHandle", REQUIRED, None))
    return errs


def validate_storage_class(sc: Obj, old: Obj | None) -> Errs:
    errs: Errs = []
    if not sc.get("provisioner"):
        errs.append(FieldError("provisioner", REQUIRED, None))
    policy = sc.get("reclaimPolicy")
    if policy is not None and policy not in RECLAIM_POLICIES:
        errs.append(not_supported("reclaimPolicy", policy, RECLAIM_POLICIES))
    mode = sc.get("volumeBindingMode")
    if mode is not None and mode not in ("Immediate", "WaitForFirstConsumer"):
        errs.append(not_supported("volumeBindingMode", mode, ["Immediate", "WaitForFirstConsumer"]))
    if old is not None:
        for field in ("parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"):
            if sc.get(field) != old.get(field):
                errs.append(FieldError(field, FORBIDDEN, None, f"updates to {field} are forbidden."))
    return errs


