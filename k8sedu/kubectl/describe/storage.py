"""PersistentVolumeClaim, PersistentVolume and StorageClass.

A claim names the Pods that use it (``related["pods"]``); a volume shows where its storage is
(``Source:``), with the same fields as a Pod's volume of that type (:mod:`.volumes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from k8sedu.kubectl.printers import _access_modes, format_labels, since

from .quantity import qty
from .sections import (
    heading,
    labels_and_annotations,
    labels_multiline,
    multiline,
    name_and_namespace,
)
from .volumes import source_fields, volume_source
from .writer import Context, Writer, go_value, metadata, title_bool

__all__ = ["describe_pvc", "describe_pv", "describe_storageclass"]


def describe_pvc(w: Writer, pvc: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(pvc), pvc.get("spec") or {}, pvc.get("status") or {}
    name_and_namespace(w, meta)
    w.write(0, f"StorageClass:\t{_storage_class(meta, spec)}\n")
    _status(w, meta, status, ctx)
    w.write(0, f"Volume:\t{spec.get('volumeName', '')}\n")
    labels_and_annotations(w, meta)
    w.write(0, f"Finalizers:\t{go_value(list(meta.get('finalizers') or []))}\n")
    capacity = access = ""
    if spec.get("volumeName"):
        access = _access_modes(status.get("accessModes"))
        capacity = str(qty((status.get("capacity") or {}).get("storage", 0)))
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{access}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    users = sorted(metadata(p).get("name", "") for p in ctx.related.get("pods") or []
                   if any((v.get("persistentVolumeClaim") or {}).get("claimName") == meta.get("name")
                          for v in (p.get("spec") or {}).get("volumes") or []))
    multiline(w, "Used By", users)


def describe_pv(w: Writer, pv: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(pv), pv.get("spec") or {}, pv.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    labels_and_annotations(w, meta)
    w.write(0, f"Finalizers:\t{go_value(list(meta.get('finalizers') or []))}\n")
    w.write(0, f"StorageClass:\t{_storage_class(meta, spec)}\n")
    _status(w, meta, status, ctx)
    ref = spec.get("claimRef")
    w.write(0, f"Claim:\t{ref.get('namespace', '') + '/' + ref.get('name', '') if ref else ''}\n")
    w.write(0, f"Reclaim Policy:\t{spec.get('persistentVolumeReclaimPolicy', '')}\n")
    w.write(0, f"Access Modes:\t{_access_modes(spec.get('accessModes'))}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    w.write(0, f"Capacity:\t{qty((spec.get('capacity') or {}).get('storage', 0))}\n")
    _node_affinity(w, (spec.get("nodeAffinity") or {}).get("required") or None)
    w.write(0, f"Message:\t{status.get('message', '')}\n")
    w.write(0, "Source:\n")
    _source(w, spec)


def _storage_class(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> str:
    """The class a claim or volume names, or the beta annotation older objects carry."""
    return spec.get("storageClassName") or (meta.get("annotations") or {}).get(
        "volume.beta.kubernetes.io/storage-class", "")


def _status(w: Writer, meta: Mapping[str, Any], status: Mapping[str, Any], ctx: Context) -> None:
    if meta.get("deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], ctx.now)})\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")


def _node_affinity(w: Writer, required: dict[str, Any] | None) -> None:
    """The nodes a (local) volume can be reached from: each term's expressions, ANDed."""
    w.write(0, "Node Affinity:\t")
    if required is None:
        w.line("<none>")
        return
    w.line("")
    w.write(1, "Required Terms:\t")
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        w.line("<none>")
        return
    w.line("")
    for i, term in enumerate(terms):
        multiline(w, f"Term {i}", (_requirement(req) for req in term.get("matchExpressions") or []), initial="    ")


def _requirement(req: dict[str, Any]) -> str:
    """``key in [a, b]``."""
    text = f"{req.get('key', '')} {str(req.get('operator', '')).lower()}"
    if req.get("values"):
        text += f" [{', '.join(req['values'])}]"
    return text


def _source(w: Writer, spec: dict[str, Any]) -> None:
    """Where the volume is: ``hostPath`` and ``nfs`` print as a Pod's volume does."""
    if spec.get("hostPath") is not None or spec.get("nfs") is not None:
        volume_source(w, {"hostPath": spec.get("hostPath"), "nfs": spec.get("nfs")})
    elif spec.get("local") is not None:
        source_fields(w, "LocalVolume (a persistent volume backed by local storage on a node)",
                      ("Path", spec["local"].get("path", "")))
    elif spec.get("csi") is not None:
        c = spec["csi"]
        source_fields(w, "CSI (a Container Storage Interface (CSI) volume source)", ("Driver", c.get("driver", "")),
                      ("FSType", c.get("fsType", "")), ("VolumeHandle", c.get("volumeHandle", "")),
                      ("ReadOnly", go_value(bool(c.get("readOnly")))))
        labels_multiline(w, "VolumeAttributes", c.get("volumeAttributes"), initial="    ")
    else:
        w.write(1, "<unknown>\n")


def describe_storageclass(w: Writer, sc: dict[str, Any], ctx: Context) -> None:
    meta = metadata(sc)
    ann = meta.get("annotations") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    default = "true" in (ann.get("storageclass.kubernetes.io/is-default-class"),
                         ann.get("storageclass.beta.kubernetes.io/is-default-class"))
    w.write(0, f"IsDefaultClass:\t{'Yes' if default else 'No'}\n")
    w.write(0, f"Annotations:\t{format_labels(ann)}\n")
    w.write(0, f"Provisioner:\t{sc.get('provisioner', '')}\n")
    w.write(0, f"Parameters:\t{format_labels(sc.get('parameters'))}\n")
    expand = sc.get("allowVolumeExpansion")
    w.write(0, f"AllowVolumeExpansion:\t{'<unset>' if expand is None else title_bool(expand)}\n")
    options = sc.get("mountOptions") or []
    if heading(w, 0, "MountOptions", options):
        for option in options:
            w.write(1, f"{option}\n")
    if sc.get("reclaimPolicy"):
        w.write(0, f"ReclaimPolicy:\t{sc['reclaimPolicy']}\n")
    if sc.get("volumeBindingMode"):
        w.write(0, f"VolumeBindingMode:\t{sc['volumeBindingMode']}\n")
