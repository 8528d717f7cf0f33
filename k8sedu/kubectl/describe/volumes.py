"""The ``Volumes:`` section of a Pod or pod template, and the volume sources a PersistentVolume
shares with it (a PV's ``hostPath`` or ``nfs`` prints as a pod's)::

    Volumes:
      data:
        Type:       PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)
        ClaimName:  data
        ReadOnly:   false
"""

from __future__ import annotations

from typing import Any

from .quantity import qty
from .sections import heading, labels_multiline
from .writer import Writer, go_value

__all__ = ["volumes", "volume_source", "source_fields"]


def volumes(w: Writer, specs: list[dict[str, Any]] | None, space: str) -> None:
    if not heading(w, 0, f"{space}Volumes", specs):
        return
    for v in specs or []:
        w.write(1, f"{' ' if space else ''}{v.get('name', '')}:\n")
        volume_source(w, v)


def source_fields(w: Writer, type_line: str, *pairs: tuple[str, Any]) -> None:
    """``Type:\\t...`` then one ``Field:\\tvalue`` line a pair, as upstream's printXVolumeSource."""
    w.write(2, f"Type:\t{type_line}\n" + "".join(f"    {k}:\t{val}\n" for k, val in pairs))


def volume_source(w: Writer, v: dict[str, Any]) -> None:
    """What a volume is: the fields of its one source, or ``<unknown>``."""
    if v.get("hostPath") is not None:
        h = v["hostPath"]
        source_fields(w, "HostPath (bare host directory volume)", ("Path", h.get("path", "")),
                      ("HostPathType", h.get("type") if h.get("type") is not None else "<none>"))
    elif v.get("emptyDir") is not None:
        e = v["emptyDir"] or {}
        size = qty(e["sizeLimit"]) if e.get("sizeLimit") else None
        source_fields(w, "EmptyDir (a temporary directory that shares a pod's lifetime)", ("Medium", e.get("medium", "")),
                      ("SizeLimit", str(size) if size is not None and size.value > 0 else "<unset>"))
    elif v.get("secret") is not None:
        s = v["secret"]
        source_fields(w, "Secret (a volume populated by a Secret)", ("SecretName", s.get("secretName", "")),
                      ("Optional", go_value(bool(s.get("optional")))))
    elif v.get("configMap") is not None:
        c = v["configMap"]
        source_fields(w, "ConfigMap (a volume populated by a ConfigMap)", ("Name", c.get("name", "")),
                      ("Optional", go_value(bool(c.get("optional")))))
    elif v.get("nfs") is not None:
        n = v["nfs"]
        source_fields(w, "NFS (an NFS mount that lasts the lifetime of a pod)", ("Server", n.get("server", "")),
                      ("Path", n.get("path", "")), ("ReadOnly", go_value(bool(n.get("readOnly")))))
    elif v.get("persistentVolumeClaim") is not None:
        c = v["persistentVolumeClaim"]
        source_fields(w, "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
                      ("ClaimName", c.get("claimName", "")), ("ReadOnly", go_value(bool(c.get("readOnly")))))
    elif v.get("downwardAPI") is not None:
        w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
        for item in (v["downwardAPI"] or {}).get("items") or []:
            if item.get("fieldRef") is not None:
                w.write(3, f"{item['fieldRef'].get('fieldPath', '')} -> {item.get('path', '')}\n")
            if item.get("resourceFieldRef") is not None:
                w.write(3, f"{item['resourceFieldRef'].get('resource', '')} -> {item.get('path', '')}\n")
    elif v.get("projected") is not None:
        w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
        for source in (v["projected"] or {}).get("sources") or []:
            _projection(w, source)
    elif v.get("csi") is not None:
        c = v["csi"]
        source_fields(w, "CSI (a Container Storage Interface (CSI) volume source)", ("Driver", c.get("driver", "")),
                      ("FSType", c.get("fsType", "")), ("ReadOnly", go_value(bool(c.get("readOnly")))))
        labels_multiline(w, "VolumeAttributes", c.get("volumeAttributes"), initial="    ")
    else:
        w.write(1, "<unknown>\n")


def _projection(w: Writer, source: dict[str, Any]) -> None:
    """One source of a projected volume (the service account token volume has three)."""
    if source.get("secret") is not None:
        s = source["secret"]
        w.write(2, f"SecretName:\t{s.get('name', '')}\n    SecretOptionalName:\t{_optional(s.get('optional'))}\n")
    elif source.get("downwardAPI") is not None:
        w.write(2, "DownwardAPI:\ttrue\n")
    elif source.get("configMap") is not None:
        c = source["configMap"]
        w.write(2, f"ConfigMapName:\t{c.get('name', '')}\n    ConfigMapOptional:\t{_optional(c.get('optional'))}\n")
    elif source.get("serviceAccountToken") is not None:
        w.write(2, f"TokenExpirationSeconds:\t{int(source['serviceAccountToken'].get('expirationSeconds') or 0)}\n")


def _optional(value: Any) -> str:
    """A ``*bool`` printed with %v: ``<nil>`` when unset (Go would print an address when set)."""
    return "<nil>" if value is None else go_value(bool(value))
