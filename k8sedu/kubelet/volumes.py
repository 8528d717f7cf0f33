"""The kubelet's volume manager: a Pod's ``volumes`` made real on the node, then mounted.

Before the sandbox is created every volume of the Pod is set up (upstream's ``WaitForAttachAndMount``);
each container then gets a :class:`~k8sedu.runtime.base.Mount` per ``volumeMounts`` entry::

    configMap / secret   files under <tmp>/k8sedu-<cluster>/<node>/pods/<uid>/volumes/<plugin>/<volume>/
                         bind-mounted read-only; Secret ``data`` is base64 in the API, the files hold
                         the decoded bytes
    emptyDir             an engine volume per Pod and volume (a Docker volume; a shared dict in the
                         simulated runtime), shared by the Pod's containers, removed with the Pod
    hostPath             the machine's own folder, bind-mounted
    persistentVolumeClaim  claim → its bound PersistentVolume → the engine volume named by the PV's CSI
                         ``volumeHandle`` (our provisioner ``k8sedu.io/docker-volume``) or the PV's
                         hostPath; kept when the Pod goes, so the next Pod of the claim finds the files

ConfigMap and Secret files are written as upstream's ``AtomicWriter`` does, so that a container never
sees half an update::

    config/
      ..2026_11_27_14_30_00.123456789/   the files of one version
          game.properties
      ..data -> ..2026_11_27_14_30_00.123456789     swapped with one rename when the object changes
      game.properties -> ..data/game.properties     what the container opens

When the ConfigMap changes, the kubelet rewrites the files (on the object's watch event; upstream
notices at its next periodic sync, up to a minute plus the cache TTL later). Files mounted with
``subPath`` are a copy of one version (under ``volume-subpaths/``) and are never updated, as upstream.
"""

from __future__ import annotations

import base64
import datetime
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..api import storage
from ..runtime.base import Mount
from .config import Lookup
from .projected import TokenError, TokenSource, projected_payload

__all__ = ["VolumeError", "VolumeManager", "PLUGINS", "empty_dir_volume"]

log = logging.getLogger(__name__)

#: the folder name of each volume plugin, as under /var/lib/kubelet/pods/<uid>/volumes/
PLUGINS = {"configMap": "kubernetes.io~configmap", "secret": "kubernetes.io~secret",
           "emptyDir": "kubernetes.io~empty-dir", "hostPath": "kubernetes.io~host-path",
           "projected": "kubernetes.io~projected"}
DATA_DIR = "..data"


class VolumeError(Exception):
    """A volume cannot be set up; the message is upstream's ``FailedMount`` event text."""


def empty_dir_volume(uid: str, volume: str) -> str:
    """The engine volume that backs one emptyDir of one Pod."""
    return f"{uid}-{volume}"


def _payload(kind: str, obj: dict[str, Any] | None, source: dict[str, Any], volume: str,
             ) -> dict[str, tuple[bytes, int]]:
    """{relative path: (content, mode)} for a configMap or secret volume."""
    name = source.get("name" if kind == "configMap" else "secretName", "")
    optional = bool(source.get("optional"))
    label = "configmap" if kind == "configMap" else "secret"
    if obj is None:
        if optional:
            return {}
        raise VolumeError(f'MountVolume.SetUp failed for volume "{volume}" : {label} "{name}" not found')
    data: dict[str, bytes] = {}
    if kind == "configMap":
        for k, v in (obj.get("data") or {}).items():
            data[k] = str(v).encode()
        for k, v in (obj.get("binaryData") or {}).items():
            data[k] = base64.b64decode(v)
    else:
        for k, v in (obj.get("data") or {}).items():
            data[k] = base64.b64decode(v)
        for k, v in (obj.get("stringData") or {}).items():
            data[k] = str(v).encode()
    mode = int(source.get("defaultMode", 0o644))
    items = source.get("items")
    if not items:
        return {k: (v, mode) for k, v in data.items()}
    out: dict[str, tuple[bytes, int]] = {}
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if optional:
                continue
            raise VolumeError(f'MountVolume.SetUp failed for volume "{volume}" : '
                              f"{label} references non-existent {'config ' if kind == 'configMap' else 'secret '}"
                              f"key: {key}")
        out[item.get("path") or key] = (data[key], int(item.get("mode", mode)))
    return out


def _read_payload(folder: Path) -> dict[str, tuple[bytes, int]] | None:
    data = folder / DATA_DIR
    if not data.is_symlink():
        return None
    root = folder / os.readlink(data)
    out: dict[str, tuple[bytes, int]] = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            full = Path(dirpath) / f
            out[str(full.relative_to(root))] = (full.read_bytes(), full.stat().st_mode & 0o777)
    return out


def write_atomic(folder: Path, payload: dict[str, tuple[bytes, int]]) -> bool:
    """Make *folder* hold *payload* (upstream's AtomicWriter); False if it already did."""
    folder.mkdir(parents=True, exist_ok=True)
    if _read_payload(folder) == payload:
        return False
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("..%Y_%m_%d_%H_%M_%S.")
    version = Path(tempfile.mkdtemp(prefix=stamp, dir=folder))
    version.chmod(0o755)
    for rel, (content, mode) in payload.items():
        target = version / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        target.chmod(mode)
    data = folder / DATA_DIR
    old = os.readlink(data) if data.is_symlink() else None
    tmp = folder / "..data_tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(version.name, tmp)
    os.replace(tmp, data)  # the one atomic step: readers see the old version or the new one
    tops = {rel.split("/", 1)[0] for rel in payload}
    for name in tops:
        link = folder / name
        if not link.is_symlink():
            os.symlink(f"{DATA_DIR}/{name}", link)
    for entry in folder.iterdir():
        if not entry.name.startswith("..") and entry.name not in tops and entry.is_symlink():
            entry.unlink()
    if old and old != version.name:
        shutil.rmtree(folder / old, ignore_errors=True)
    return True


class VolumeManager:
    """The volumes of the Pods on one node. Thread-safe per Pod (the work queue syncs one Pod at a
    time); different Pods use different folders."""

    def __init__(self, root: Path, lookup: Lookup, runtime: Any, tokens: TokenSource | None = None) -> None:
        self.root = root
        self.lookup = lookup
        self.runtime = runtime
        self.tokens = tokens  # the ServiceAccount tokens of projected volumes (projected.TokenManager)

    def pod_dir(self, uid: str) -> Path:
        return self.root / "pods" / uid / "volumes"

    def setup(self, pod: dict[str, Any]) -> list[str]:
        """Create or refresh every volume of *pod*; returns the names whose files changed.
        Raises :class:`VolumeError` with upstream's FailedMount message."""
        md = pod["metadata"]
        namespace = md.get("namespace", "default")
        changed: list[str] = []
        for vol in pod.get("spec", {}).get("volumes") or []:
            name = vol.get("name", "")
            for kind in ("configMap", "secret"):
                source = vol.get(kind)
                if not isinstance(source, dict):
                    continue
                ref = source.get("name" if kind == "configMap" else "secretName", "")
                obj = self.lookup("configmaps" if kind == "configMap" else "secrets", namespace, ref)
                payload = _payload(kind, obj, source, name)
                if write_atomic(self.pod_dir(md["uid"]) / PLUGINS[kind] / name, payload):
                    changed.append(name)
            if isinstance(vol.get("persistentVolumeClaim"), dict):
                self._claim_volume(namespace, vol)
            if isinstance(vol.get("projected"), dict):  # the ServiceAccount token volume (projected.py)
                try:
                    projected = projected_payload(pod, vol["projected"], self.lookup, self.tokens)
                except TokenError as err:
                    raise VolumeError(f'MountVolume.SetUp failed for volume "{name}" : '
                                      f"failed to fetch token: {err}") from None
                if write_atomic(self.pod_dir(md["uid"]) / PLUGINS["projected"] / name, projected):
                    changed.append(name)
            host = vol.get("hostPath")
            if isinstance(host, dict):
                path, type_ = host.get("path", ""), host.get("type", "")
                if type_ == "DirectoryOrCreate":
                    os.makedirs(path, exist_ok=True)
                elif type_ == "FileOrCreate" and not os.path.exists(path):
                    Path(path).touch()
                elif type_ == "Directory" and not os.path.isdir(path):
                    raise VolumeError(f'MountVolume.SetUp failed for volume "{name}" : '
                                      f"hostPath type check failed: {path} is not a directory")
                elif type_ == "File" and not os.path.isfile(path):
                    raise VolumeError(f'MountVolume.SetUp failed for volume "{name}" : '
                                      f"hostPath type check failed: {path} is not a file")
        return changed

    def references(self, pod: dict[str, Any], resource: str, name: str) -> bool:
        """Does *pod* use ConfigMap/Secret *name* in a volume (so its files must follow it)?"""
        for vol in pod.get("spec", {}).get("volumes") or []:
            if resource == "configmaps" and (vol.get("configMap") or {}).get("name") == name:
                return True
            if resource == "secrets" and (vol.get("secret") or {}).get("secretName") == name:
                return True
        return False

    def mounts(self, pod: dict[str, Any], container: dict[str, Any]) -> list[Mount]:
        """The container's ``volumeMounts`` as runtime mounts (the volumes are set up already)."""
        md = pod["metadata"]
        volumes = {v.get("name"): v for v in pod.get("spec", {}).get("volumes") or []}
        out: list[Mount] = []
        for index, vm in enumerate(container.get("volumeMounts") or []):
            vol = volumes.get(vm.get("name"))
            if vol is None:
                continue
            path, sub = vm.get("mountPath", ""), vm.get("subPath") or ""
            read_only = bool(vm.get("readOnly"))
            if "configMap" in vol or "secret" in vol:
                kind = "configMap" if "configMap" in vol else "secret"
                folder = self.pod_dir(md["uid"]) / PLUGINS[kind] / vol["name"]
                source = str(folder)
                if sub:
                    source = self._subpath(md["uid"], vol["name"], container.get("name", ""), index, folder / sub)
                out.append(Mount(path, host_path=source, read_only=True))
            elif "hostPath" in vol:
                base = (vol.get("hostPath") or {}).get("path", "")
                out.append(Mount(path, host_path=os.path.join(base, sub) if sub else base, read_only=read_only))
            elif "emptyDir" in vol:
                out.append(Mount(path, volume=empty_dir_volume(md["uid"], vol["name"]), read_only=read_only))
            elif "projected" in vol:
                folder = self.pod_dir(md["uid"]) / PLUGINS["projected"] / vol["name"]
                source = str(folder)
                if sub:
                    source = self._subpath(md["uid"], vol["name"], container.get("name", ""), index, folder / sub)
                out.append(Mount(path, host_path=source, read_only=True))
            elif "persistentVolumeClaim" in vol:
                pv = self._claim_volume(md.get("namespace", "default"), vol)
                read_only = read_only or bool((vol.get("persistentVolumeClaim") or {}).get("readOnly"))
                engine = storage.engine_volume(pv)
                if engine is not None:
                    out.append(Mount(path, volume=engine, read_only=read_only))
                else:
                    base = ((pv.get("spec") or {}).get("hostPath") or {}).get("path", "")
                    out.append(Mount(path, host_path=os.path.join(base, sub) if sub else base, read_only=read_only))
        return out

    def _claim_volume(self, namespace: str, vol: dict[str, Any]) -> dict[str, Any]:
        """The PersistentVolume bound to the volume's claim; :class:`VolumeError` while there is none."""
        claim = (vol.get("persistentVolumeClaim") or {}).get("claimName", "")
        pvc = self.lookup("persistentvolumeclaims", namespace, claim)
        if pvc is None:
            raise VolumeError(f"error processing PVC {namespace}/{claim}: failed to fetch PVC from API server: "
                              f'persistentvolumeclaims "{claim}" not found')
        volume_name = (pvc.get("spec") or {}).get("volumeName") or ""
        if not volume_name or (pvc.get("status") or {}).get("phase") != "Bound":
            raise VolumeError(f"error processing PVC {namespace}/{claim}: PVC is not bound")
        pv = self.lookup("persistentvolumes", "", volume_name)
        if pv is None:
            raise VolumeError(f"error processing PVC {namespace}/{claim}: failed to fetch PV {volume_name} "
                              f'from API server: persistentvolumes "{volume_name}" not found')
        spec = pv.get("spec") or {}
        if storage.engine_volume(pv) is None and not isinstance(spec.get("hostPath"), dict):
            raise VolumeError(f'MountVolume.SetUp failed for volume "{volume_name}" : '
                              "no volume plugin matched")
        return pv

    def _subpath(self, uid: str, volume: str, container: str, index: int, source: Path) -> str:
        """A subPath of a ConfigMap/Secret volume is a copy of this version's file (upstream binds it
        under ``volume-subpaths/``): it never sees an update, and outlives the version's folder."""
        target = self.root / "pods" / uid / "volume-subpaths" / volume / container / str(index)
        real = Path(os.path.realpath(source))
        if target.exists() or target.is_symlink():
            return str(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if real.is_dir():
            shutil.copytree(real, target, symlinks=True)
        elif real.exists():
            shutil.copy2(real, target)
        else:
            target.mkdir()  # upstream creates a missing subPath as a folder
        return str(target)

    def teardown(self, pod: dict[str, Any] | None, uid: str) -> None:
        """The Pod is gone: remove its files and its emptyDir volumes."""
        shutil.rmtree(self.root / "pods" / uid, ignore_errors=True)
        remove = getattr(self.runtime, "remove_volume", None)
        if pod is None or remove is None:
            return
        for vol in pod.get("spec", {}).get("volumes") or []:
            if "emptyDir" in vol:
                try:
                    remove(empty_dir_volume(uid, vol.get("name", "")))
                except Exception:
                    log.exception("removing emptyDir %s of %s failed", vol.get("name"), uid)

    def cleanup(self) -> None:
        """The kubelet stops with its cluster: remove the node's folder (and the cluster's, if empty)."""
        shutil.rmtree(self.root, ignore_errors=True)
        try:
            self.root.parent.rmdir()
        except OSError:
            pass
