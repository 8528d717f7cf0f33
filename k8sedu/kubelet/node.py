"""The kubelet's Node: registration, node status and the heartbeat Lease.

A kubelet tells the control plane that its node is alive in two ways (KEP-589), and the node
lifecycle controller in kube-controller-manager watches both::

    every 10 s   renew the Lease kube-node-lease/<node>    spec.renewTime = now     (cheap heartbeat)
    every 10 s   work out the node status; write it only   conditions Ready/MemoryPressure/…,
                 when it changed or 5 min have passed       capacity, addresses, nodeInfo, images

If the Lease is not renewed for 40 s (``leaseDurationSeconds``), the controller marks the node
``Ready=Unknown`` ("Kubelet stopped posting node status.") and later evicts its Pods.
"""

from __future__ import annotations

import logging
import platform
import threading
import uuid
from collections.abc import Callable
from typing import Any

from ..api import meta
from ..client import Client, EventRecorder
from ..clock import Clock, rfc3339
from ..errors import AlreadyExists, APIError, Conflict, NotFound

__all__ = [
    "KUBELET_VERSION",
    "LEASE_NAMESPACE",
    "LEASE_DURATION_SECONDS",
    "RENEW_INTERVAL",
    "STATUS_UPDATE_INTERVAL",
    "STATUS_REPORT_INTERVAL",
    "NodeAgent",
    "micro_time",
    "architecture",
    "default_node_ip",
]

log = logging.getLogger(__name__)

KUBELET_VERSION = "v1.32.0-k8sedu"
LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40  # nodeLeaseDurationSeconds
RENEW_INTERVAL = 10.0  # a quarter of the lease duration, as upstream
STATUS_UPDATE_INTERVAL = 10.0  # nodeStatusUpdateFrequency: how often the status is worked out
STATUS_REPORT_INTERVAL = 300.0  # nodeStatusReportFrequency: written at least this often
MAX_IMAGES_IN_STATUS = 50  # nodeStatusMaxImages

# (condition type, status, reason, message, event) of a healthy node, as upstream's setters
_HEALTHY = [
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available",
     "NodeHasSufficientMemory"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", "NodeHasNoDiskPressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available",
     "NodeHasSufficientPID"),
]


def micro_time(t: float) -> str:
    """A ``metav1.MicroTime``: ``2026-11-27T13:09:04.123456Z`` (a Lease's renewTime)."""
    whole = int(t)
    micros = int(round((t - whole) * 1_000_000))
    if micros >= 1_000_000:
        whole, micros = whole + 1, 0
    return rfc3339(whole)[:-1] + f".{micros:06d}Z"


def architecture() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine or "amd64")


def default_node_ip(node_name: str) -> str:
    """A stable, made-up InternalIP: ``node-1`` -> 192.168.49.2 (minikube's first node address)."""
    digits = "".join(ch for ch in node_name if ch.isdigit())
    if digits and 0 < int(digits) < 250:
        return f"192.168.49.{int(digits) + 1}"
    return f"192.168.49.{10 + uuid.uuid5(uuid.NAMESPACE_DNS, node_name).int % 240}"


def _os_image() -> str:
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME", "Linux")
    except (OSError, AttributeError):
        return f"{platform.system() or 'Linux'}"


class NodeAgent:
    """Registers the Node, renews its Lease and posts its status. Thread-safe; the kubelet's
    heartbeat thread calls :meth:`renew_lease` and :meth:`sync_status`."""

    def __init__(
        self,
        client: Client,
        clock: Clock,
        recorder: EventRecorder,
        node_name: str,
        *,
        capacity: dict[str, str],
        allocatable: dict[str, str],
        labels: dict[str, str],
        node_ip: str,
        runtime_version: str,
        images: Callable[[], list[dict[str, Any]]],
        runtime_error: Callable[[], str | None],
    ) -> None:
        self.client = client
        self.clock = clock
        self.recorder = recorder
        self.node_name = node_name
        self.capacity = dict(capacity)
        self.allocatable = dict(allocatable)
        self.labels = dict(labels)
        self.node_ip = node_ip
        self.runtime_version = runtime_version
        self._images = images
        self._runtime_error = runtime_error
        # guards _lease, _last_desired, _last_post; calls to the apiserver are made under it so
        # that two posts never race (taken alone).
        self._lock = threading.RLock()
        self._lease: dict[str, Any] | None = None
        self._last_desired: dict[str, Any] | None = None
        self._last_post = 0.0
        self.node_uid = ""

    # -- what the node looks like ------------------------------------------------------------
    def ref(self) -> dict[str, Any]:
        """What node events point at (upstream uses the node name as the uid of the reference)."""
        return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": self.node_name, "uid": self.node_name}}

    def _node_info(self) -> dict[str, str]:
        ident = uuid.uuid5(uuid.NAMESPACE_DNS, f"k8sedu.{self.node_name}")
        return {
            "machineID": ident.hex,
            "systemUUID": str(ident),
            "bootID": str(uuid.uuid5(ident, "boot")),
            "kernelVersion": platform.release(),
            "osImage": _os_image(),
            "containerRuntimeVersion": self.runtime_version,
            "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": "",  # deprecated since 1.31: the kubelet no longer fills it in
            "operatingSystem": "linux",
            "architecture": architecture(),
        }

    def _labels(self) -> dict[str, str]:
        arch = architecture()
        return {
            "beta.kubernetes.io/arch": arch,
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": arch,
            "kubernetes.io/hostname": self.node_name,
            "kubernetes.io/os": "linux",
            **self.labels,
        }

    def _desired(self) -> dict[str, Any]:
        """The node status without timestamps (so it can be compared with the last one posted)."""
        error = self._runtime_error()
        conditions = [{"type": t, "status": s, "reason": r, "message": m} for t, s, r, m, _ in _HEALTHY]
        if error:
            conditions.append({"type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": error})
        else:
            conditions.append({"type": "Ready", "status": "True", "reason": "KubeletReady",
                               "message": "kubelet is posting ready status"})
        images = sorted(self._images(), key=lambda i: -int(i.get("sizeBytes", 0)))[:MAX_IMAGES_IN_STATUS]
        return {
            "capacity": dict(self.capacity),
            "allocatable": dict(self.allocatable),
            "conditions": conditions,
            "addresses": [{"type": "InternalIP", "address": self.node_ip},
                          {"type": "Hostname", "address": self.node_name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": self._node_info(),
            "images": images,
        }

    def _apply(self, current: dict[str, Any], desired: dict[str, Any], now: str,
               emit: bool) -> dict[str, Any]:
        """The new status: *desired* with heartbeat times, transitions kept from *current*."""
        before = {c.get("type"): c for c in current.get("conditions") or []}
        status = {k: meta.deep_copy(v) for k, v in desired.items() if k != "conditions"}
        conditions = []
        events_ = {t: e for t, _, _, _, e in _HEALTHY}
        for c in desired["conditions"]:
            old = before.get(c["type"])
            moved = old is None or old.get("status") != c["status"]
            conditions.append({
                "type": c["type"],
                "status": c["status"],
                "lastHeartbeatTime": now,
                "lastTransitionTime": now if moved else old.get("lastTransitionTime", now),  # type: ignore[union-attr]
                "reason": c["reason"],
                "message": c["message"],
            })
            if moved and emit:
                if c["type"] == "Ready":
                    event = "NodeReady" if c["status"] == "True" else "NodeNotReady"
                else:
                    event = events_[c["type"]]
                self.recorder.normal(self.ref(), event, f"Node {self.node_name} status is now: {event}")
        status["conditions"] = conditions
        # keep what others own (e.g. volumesInUse, config) as they are
        for k, v in current.items():
            if k not in status:
                status[k] = v
        return status

    # -- registration ------------------------------------------------------------------------
    def register(self) -> dict[str, Any]:
        """Create the Node (or, if it exists from an earlier run, bring its labels up to date)."""
        with self._lock:
            now = self.clock.timestamp()
            desired = self._desired()
            node = {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": self.node_name,
                    "labels": self._labels(),
                    "annotations": {
                        "node.alpha.kubernetes.io/ttl": "0",
                        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                    },
                },
                "spec": {},
                "status": self._apply({}, desired, now, emit=False),
            }
            try:
                created = self.client.create("nodes", node)
                self._emit_initial(desired)
            except AlreadyExists:
                created = self._reconcile_existing()
            self.node_uid = created["metadata"].get("uid", "")
            self._last_desired, self._last_post = None, 0.0
            return created

    def _emit_initial(self, desired: dict[str, Any]) -> None:
        for _t, _, _, _, event in _HEALTHY:
            self.recorder.normal(self.ref(), event, f"Node {self.node_name} status is now: {event}")
        self.recorder.normal(self.ref(), "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods")
        if any(c["type"] == "Ready" and c["status"] == "True" for c in desired["conditions"]):
            self.recorder.normal(self.ref(), "NodeReady", f"Node {self.node_name} status is now: NodeReady")

    def _reconcile_existing(self) -> dict[str, Any]:
        for _ in range(5):
            current = self.client.get("nodes", self.node_name)
            md = current.setdefault("metadata", {})
            labels = md.setdefault("labels", {})
            wanted = self._labels()
            if any(labels.get(k) != v for k, v in wanted.items()):
                labels.update(wanted)
                try:
                    return self.client.update("nodes", current)
                except Conflict:
                    continue
            return current
        raise Conflict.modified("nodes", self.node_name)

    # -- heartbeats --------------------------------------------------------------------------
    def renew_lease(self) -> dict[str, Any] | None:
        """Renew (or create) the node's Lease: ``spec.renewTime = now``."""
        with self._lock:
            for _ in range(3):
                lease = self._lease or self.client.get_or_none("leases", self.node_name, LEASE_NAMESPACE)
                now = micro_time(self.clock.now())
                try:
                    if lease is None:
                        lease = {
                            "apiVersion": "coordination.k8s.io/v1",
                            "kind": "Lease",
                            "metadata": {"name": self.node_name, "namespace": LEASE_NAMESPACE},
                            "spec": {
                                "holderIdentity": self.node_name,
                                "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                                "renewTime": now,
                            },
                        }
                        if self.node_uid:
                            lease["metadata"]["ownerReferences"] = [{
                                "apiVersion": "v1", "kind": "Node", "name": self.node_name, "uid": self.node_uid,
                            }]
                        self._lease = self.client.create("leases", lease, LEASE_NAMESPACE)
                    else:
                        lease = meta.deep_copy(lease)
                        spec = lease.setdefault("spec", {})
                        spec["holderIdentity"] = self.node_name
                        spec["leaseDurationSeconds"] = LEASE_DURATION_SECONDS
                        spec["renewTime"] = now
                        self._lease = self.client.update("leases", lease, LEASE_NAMESPACE)
                    return self._lease
                except (Conflict, NotFound, AlreadyExists):
                    self._lease = None  # someone else wrote it: read it again
            return None

    def _server_agrees(self, desired: dict[str, Any]) -> bool:
        """Does the stored Node show the condition statuses we would post? Upstream's kubelet
        compares with the fetched Node, so after the node lifecycle controller wrote
        ``Ready=Unknown`` (while this node was unreachable) the next sync writes Ready again."""
        current = self.client.get_or_none("nodes", self.node_name)
        if current is None:
            return False
        stored = {c.get("type"): c.get("status") for c in (current.get("status") or {}).get("conditions") or []}
        return all(stored.get(c["type"]) == c["status"] for c in desired.get("conditions", []))

    def sync_status(self, force: bool = False) -> bool:
        """Post the node status if it changed, if 5 min passed since the last post, or if *force*.
        Returns True when it wrote."""
        with self._lock:
            desired = self._desired()
            now = self.clock.now()
            due = now - self._last_post >= STATUS_REPORT_INTERVAL
            if not force and not due and desired == self._last_desired and self._server_agrees(desired):
                return False
            for _ in range(5):
                current = self.client.get_or_none("nodes", self.node_name)
                if current is None:
                    self.register()
                    current = self.client.get("nodes", self.node_name)
                new = {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {"name": self.node_name,
                                 "resourceVersion": current["metadata"].get("resourceVersion")},
                    "status": self._apply(current.get("status") or {}, desired, rfc3339(now), emit=True),
                }
                try:
                    self.client.update_status("nodes", new)
                except Conflict:
                    continue
                except APIError:
                    log.exception("kubelet %s: posting node status failed", self.node_name)
                    return False
                self._last_desired, self._last_post = desired, now
                return True
            return False
