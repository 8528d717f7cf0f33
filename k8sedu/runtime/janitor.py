"""Who owns what on the engine, and removing what dead clusters left behind.

A cluster labels everything it makes with its id and its owner process::

    k8sedu.cluster=3f9a1c   k8sedu.owner-host=laptop   k8sedu.owner-pid=41233   k8sedu.owner-start=88412

When a Jupyter kernel crashes or is restarted, its cluster cannot clean up. The next
``Cluster.start()`` (or ``k8sedu cleanup``) calls :func:`cleanup_all`: a cluster whose owner process is
gone (same host, pid not alive, or the pid now belongs to a newer process) is dead, and its containers,
networks and volumes are removed. Clusters owned by another host are never touched unless
``only_dead=False``.

The kubelets also keep files on the host, in ``/tmp/k8sedu-<id>/`` (ConfigMap and Secret volumes,
mounted into the containers). :func:`state_dir` makes that folder with an ``owner.json`` holding
the same owner labels, and :func:`sweep_state_dirs` (run by :func:`cleanup_all`) removes the
folders of dead owners, so a killed kernel leaves no files behind either.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from k8sedu.runtime.naming import (
    LABEL_CLUSTER,
    LABEL_OWNER_HOST,
    LABEL_OWNER_PID,
    LABEL_OWNER_START,
)

__all__ = ["CleanupReport", "owner_labels", "owner_alive", "force_remove", "remove_cluster_resources", "cleanup_all",
           "state_dir", "sweep_state_dirs", "OWNER_FILE"]

OWNER_FILE = "owner.json"
_STATE_DIR = re.compile(r"k8sedu-[0-9a-f]{8}")


@dataclass
class CleanupReport:
    """What :func:`cleanup_all` removed."""

    clusters: list[str] = field(default_factory=list)
    containers: int = 0
    networks: int = 0
    volumes: int = 0
    folders: int = 0  # /tmp/k8sedu-<id>/ folders of dead owners

    @property
    def total(self) -> int:
        return self.containers + self.networks + self.volumes + self.folders

    def __str__(self) -> str:
        if not self.clusters:
            return "没有需要清理的残留资源 (nothing left behind)"
        return (
            f"已清理 {len(self.clusters)} 个集群的残留资源：{self.containers} 个容器、{self.networks} 个网络、"
            f"{self.volumes} 个卷 (removed {self.containers} containers, {self.networks} networks, "
            f"{self.volumes} volumes of {len(self.clusters)} clusters: {', '.join(self.clusters)})"
            + (f"；{self.folders} 个临时目录 ({self.folders} folders in {tempfile.gettempdir()})"
               if self.folders else "")
        )


def _process_start(pid: int) -> str | None:
    """The start time of a process in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_labels(cluster_id: str, owner_pid: int | None = None) -> dict[str, str]:
    """The labels every resource of *cluster_id* carries (the owner defaults to this process)."""
    pid = owner_pid or os.getpid()
    labels = {LABEL_CLUSTER: cluster_id, LABEL_OWNER_PID: str(pid), LABEL_OWNER_HOST: socket.gethostname()}
    start = _process_start(pid)
    if start:
        labels[LABEL_OWNER_START] = start
    return labels


def owner_alive(labels: dict[str, str]) -> bool | None:
    """True/False if the owner process is/is not alive; None if it cannot be told (another host)."""
    host = labels.get(LABEL_OWNER_HOST)
    if host and host != socket.gethostname():
        return None
    try:
        pid = int(labels.get(LABEL_OWNER_PID, ""))
    except ValueError:
        return False  # no owner recorded: nobody will ever clean it up
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    recorded, actual = labels.get(LABEL_OWNER_START), _process_start(pid)
    if recorded and actual and recorded != actual:
        return False  # the pid was reused by a newer process
    return True


def force_remove(api: Any, cid: str) -> bool:
    for attempt in range(2):
        try:
            api.remove_container(cid, force=True, v=True)
            return True
        except Exception as e:  # docker.errors.APIError
            text = str(e).lower()
            if "no such container" in text or "404" in text:
                return False
            if "already in progress" in text:
                return True
            if "paused" in text and attempt == 0:
                try:
                    api.unpause(cid)
                except Exception:
                    pass
                continue
            raise
    return False


def remove_cluster_resources(client: Any, cluster_id: str) -> tuple[int, int, int]:
    """Remove the containers, then networks, then volumes labelled with *cluster_id*.

    Returns (containers, networks, volumes) removed. Containers go in parallel: a class-sized
    cluster has dozens.
    """
    api = client.api
    flt = {"label": f"{LABEL_CLUSTER}={cluster_id}"}
    ids = [c["Id"] for c in api.containers(all=True, filters=flt)]
    removed = 0
    if ids:
        with ThreadPoolExecutor(max_workers=min(8, len(ids))) as pool:
            removed = sum(pool.map(lambda cid: force_remove(api, cid), ids))
    networks = 0
    for net in api.networks(filters=flt):
        try:
            api.remove_network(net["Id"])
            networks += 1
        except Exception as e:
            if "not found" not in str(e).lower():
                raise
    volumes = 0
    for vol in (api.volumes(filters=flt) or {}).get("Volumes") or []:
        try:
            api.remove_volume(vol["Name"], force=True)
            volumes += 1
        except Exception as e:
            if "no such volume" not in str(e).lower():
                raise
    return removed, networks, volumes


def state_dir(cluster_id: str, root: Path | None = None) -> Path:
    """``/tmp/k8sedu-<cluster_id>/``, made if missing, with this process as its owner."""
    folder = (root or Path(tempfile.gettempdir())) / f"k8sedu-{cluster_id}"
    folder.mkdir(parents=True, exist_ok=True)
    owner = folder / OWNER_FILE
    if not owner.exists():
        owner.write_text(json.dumps(owner_labels(cluster_id)), encoding="utf-8")
    return folder


def sweep_state_dirs(only_dead: bool = True, root: Path | None = None) -> list[str]:
    """Remove the ``k8sedu-<id>`` folders whose owner process is gone (every one with
    ``only_dead=False``); returns the cluster ids removed. A folder without ``owner.json`` has an
    unknown owner and is kept unless ``only_dead=False``."""
    removed: list[str] = []
    base = root or Path(tempfile.gettempdir())
    for folder in sorted(base.glob("k8sedu-*")):
        if not folder.is_dir() or not _STATE_DIR.fullmatch(folder.name):
            continue
        if only_dead:
            try:
                labels = json.loads((folder / OWNER_FILE).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(labels, dict) or owner_alive(labels) is not False:
                continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name.removeprefix("k8sedu-"))
    return removed


def cleanup_all(only_dead: bool = True, client: Any = None) -> CleanupReport:
    """Remove what clusters of dead processes left on the engine (every cluster's with only_dead=False).

    Raises :class:`~k8sedu.runtime.errors.RuntimeUnavailable` if Docker does not answer.
    """
    from k8sedu.runtime.docker import (
        connect,  # late: the docker SDK is optional (sim-only installs)
    )

    own_client = client is None
    client = client or connect()
    try:
        api = client.api
        flt = {"label": LABEL_CLUSTER}
        owners: dict[str, dict[str, str]] = {}
        for c in api.containers(all=True, filters=flt):
            labels = c.get("Labels") or {}
            owners.setdefault(labels.get(LABEL_CLUSTER, ""), labels)
        for n in api.networks(filters=flt):
            labels = n.get("Labels") or {}
            owners.setdefault(labels.get(LABEL_CLUSTER, ""), labels)
        for v in (api.volumes(filters=flt) or {}).get("Volumes") or []:
            labels = v.get("Labels") or {}
            owners.setdefault(labels.get(LABEL_CLUSTER, ""), labels)
        report = CleanupReport()
        for cluster_id, labels in sorted(owners.items()):
            if not cluster_id:
                continue
            if only_dead and owner_alive(labels) is not False:
                continue
            containers, networks, volumes = remove_cluster_resources(client, cluster_id)
            report.clusters.append(cluster_id)
            report.containers += containers
            report.networks += networks
            report.volumes += volumes
        for cluster_id in sweep_state_dirs(only_dead):
            report.folders += 1
            if cluster_id not in report.clusters:
                report.clusters.append(cluster_id)
        return report
    finally:
        if own_client:
            client.close()
