"""The kubelet: the agent on each node that runs the Pods bound to it.

It talks to the control plane only through the apiserver, as user ``system:node:<node>``::

    apiserver ──watch pods (spec.nodeName=<node>)──▶ informer ──uid──▶ work queue ──▶ pod workers
        ▲                                                                  ▲              │ sync(uid)
        │ PUT pods/<name>/status, events, DELETE (grace 0)                 │ uid          ▼
        │ PUT leases/<node> every 10 s, nodes/<node>/status           PLEG relist ◀── container runtime
        └──────────────────────────────────────────────────────────── (every 0.5 s)   (docker | sim)

- **Pod workers** (``sync.py``) make the runtime match each Pod and write its status.
- **PLEG** (``pleg.py``) notices containers that changed (a crash, an OOM kill, ``docker kill``).
- **Heartbeats** (``node.py``): the node Lease every 10 s, the node status when it changes.
- **The kubelet server** (``server.py``): the apiserver proxies ``kubectl logs``/``exec`` to it.

``fail()`` freezes the node as if the machine hung: heartbeats stop, containers are paused, nothing
is synced; ``recover()`` thaws it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..api import meta
from ..apiserver import node_user
from ..client import Client, EventRecorder, InformerFactory, Worker, WorkQueue
from ..clock import Clock
from ..runtime.base import ContainerRuntime, ContainerStatus
from ..runtime.errors import ContainerRuntimeError
from ..runtime.janitor import state_dir
from .backoff import Backoff
from .node import RENEW_INTERVAL, STATUS_UPDATE_INTERVAL, NodeAgent, default_node_ip
from .pleg import PLEG, RELIST_PERIOD
from .probes import ProbeManager
from .projected import TokenManager
from .server import KubeletConnection
from .sync import PodRecord, PodSyncer
from .volumes import VolumeManager

__all__ = ["Kubelet", "DEFAULT_CAPACITY"]

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = {"cpu": "2", "memory": "4Gi", "pods": "110"}
POD_WORKERS = 8

# metadata fields whose change alone does not need a sync (upstream: a status-only change is a
# "reconcile", not an update, and does not wake the pod worker)
_IGNORED_METADATA = ("resourceVersion", "managedFields", "annotations")


def _sync_relevant(pod: dict[str, Any]) -> tuple[Any, ...]:
    md = pod.get("metadata", {})
    annotations = {k: v for k, v in (md.get("annotations") or {}).items() if not k.startswith("k8sedu.io/")}
    rest = {k: v for k, v in md.items() if k not in _IGNORED_METADATA}
    return (rest, annotations, pod.get("spec"))


class Kubelet:
    def __init__(
        self,
        client: Client,
        runtime: ContainerRuntime,
        node_name: str,
        clock: Clock | None = None,
        capacity: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        node_ip: str | None = None,
        allocatable: dict[str, str] | None = None,
        workers: int = POD_WORKERS,
        relist_period: float = RELIST_PERIOD,
    ) -> None:
        self.node_name = node_name
        self.component = f"kubelet/{node_name}"
        self.client = client.for_user(node_user(node_name), self.component)
        self.apiserver = client.apiserver
        self.flow = client.apiserver.flow
        self.clock = clock or client.clock
        self.runtime = runtime
        self.runtime_name = getattr(runtime, "name", "docker") or "docker"
        self.capacity = dict(capacity or DEFAULT_CAPACITY)
        self.allocatable = dict(allocatable or self.capacity)
        self.node_ip = node_ip or default_node_ip(node_name)
        self.recorder = EventRecorder(self.client, "kubelet", host=node_name)
        self.crash_backoff = Backoff(self.clock)
        self.image_backoff = Backoff(self.clock)

        self.informers = InformerFactory(self.client)
        self.pods = self.informers.informer("pods", field_selector=f"spec.nodeName={node_name}")
        self.service_informer = self.informers.informer("services")
        # ConfigMaps and Secrets: a change rewrites the files of the volumes that project them
        self.config_informers = {r: self.informers.informer(r) for r in ("configmaps", "secrets")}
        self.queue = WorkQueue(self.clock, f"kubelet-{node_name}")
        self.worker = Worker(f"kubelet-{node_name}", self.queue, self._reconcile, threads=workers)
        self.syncer = PodSyncer(self)
        self.probes = ProbeManager(self)
        cluster_id = getattr(runtime, "cluster_id", "") or "local"
        self.volumes = VolumeManager(state_dir(cluster_id) / node_name, self.lookup, runtime,
                                     tokens=TokenManager(self.client, self.clock))
        self.pleg = PLEG(runtime, node_name, self.queue.add, on_relist=self._find_orphans,
                         period=relist_period)
        self.node = NodeAgent(
            self.client, self.clock, self.recorder, node_name,
            capacity=self.capacity, allocatable=self.allocatable, labels=dict(labels or {}),
            node_ip=self.node_ip, runtime_version=self._runtime_version(), images=self._images,
            runtime_error=self.pleg.health_error,
        )
        self.connection = KubeletConnection(self)

        # _lock guards _records, _deferred and _requeue_at; never held across an API or runtime call.
        self._lock = threading.RLock()
        self._records: dict[str, PodRecord] = {}
        self._deferred: set[str] = set()  # uids that wanted a sync while the node was failed
        self._requeue_at: dict[str, float] = {}
        self._failed = threading.Event()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.started = False

    # -- facts about the runtime ----------------------------------------------------------------
    def _runtime_version(self) -> str:
        """``docker://27.3.1`` or ``sim://k8sedu``, as ``kubectl get nodes -o wide`` shows it."""
        try:
            value = self.runtime.version()
        except Exception:  # the engine may be briefly unreachable at start; the status says so later
            value = "unknown"
        return f"{self.runtime_name}://{value}"

    def _images(self) -> list[dict[str, Any]]:
        """The node's images for ``status.images`` (the scheduler's ImageLocality reads them)."""
        try:
            return [{"names": list(i["names"]), "sizeBytes": int(i.get("sizeBytes", 0))}
                    for i in self.runtime.list_images() if i.get("names")]
        except Exception:
            return []

    def image_size(self, image: str) -> int | None:
        for img in self._images():
            if image in img["names"] or any(n.endswith("/" + image) for n in img["names"]):
                return int(img["sizeBytes"]) or None
        return None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Kubelet:
        if self.started:
            return self
        self.started = True
        self.recorder.normal(self.node.ref(), "Starting", "Starting kubelet.")
        self.node.register()
        self.node.renew_lease()
        self.pods.add_handler(on_add=self._on_add, on_update=self._on_update, on_delete=self._on_delete)
        for resource, informer in self.config_informers.items():
            informer.add_handler(
                on_update=lambda old, new, r=resource: self._on_config_change(r, new),
                on_delete=lambda obj, r=resource: self._on_config_change(r, obj),
                on_add=lambda obj, r=resource: self._on_config_change(r, obj),
            )
        self.informers.start()
        self.informers.wait_synced(10.0)
        self.worker.start()
        self.pleg.start()
        self._heartbeat = threading.Thread(target=self._heartbeats, name=f"heartbeat-{self.node_name}",
                                           daemon=True)
        self._heartbeat.start()
        self.apiserver.register_kubelet(self.node_name, self.connection)
        return self

    def stop(self) -> None:
        """Stop every loop. Containers keep running, as when a real kubelet stops."""
        self._stop.set()
        if getattr(self.apiserver, "kubelets", {}).get(self.node_name) is self.connection:
            self.apiserver.unregister_kubelet(self.node_name)
        self.pleg.stop()
        self.probes.stop()
        self.informers.stop()
        self.worker.stop(timeout=1.0)
        if self._heartbeat is not None:
            self._heartbeat.join(2.0)
        self.volumes.cleanup()

    # -- fault injection -------------------------------------------------------------------------
    @property
    def failed(self) -> bool:
        return self._failed.is_set()

    def fail(self) -> None:
        """The node hangs: no more Lease renewals or status posts, every container frozen
        (``docker pause``), no Pod is synced until :meth:`recover`."""
        if self._failed.is_set():
            return
        self._failed.set()
        self.pleg.paused = True
        self.flow.record(self.component, "docker", f"pause node {self.node_name}", None,
                         explain=f"故障注入：节点 {self.node_name} 失联，kubelet 停止续约 Lease、停止上报状态，容器全部冻结")
        try:
            self.runtime.pause_node(self.node_name)
        except ContainerRuntimeError:
            log.exception("kubelet %s: pausing the node failed", self.node_name)

    def recover(self) -> None:
        """The node is back: thaw the containers, renew the Lease and post the status at once,
        then sync every Pod (some may have been deleted or evicted meanwhile)."""
        if not self._failed.is_set():
            return
        try:
            self.runtime.unpause_node(self.node_name)
        except ContainerRuntimeError:
            log.exception("kubelet %s: unpausing the node failed", self.node_name)
        self.flow.record(self.component, "docker", f"unpause node {self.node_name}", None,
                         explain=f"节点 {self.node_name} 恢复：容器解冻，kubelet 立即续约 Lease 并上报节点状态")
        self._failed.clear()
        self.pleg.paused = False
        self._safe(self.node.renew_lease)
        self._safe(lambda: self.node.sync_status(force=True))
        with self._lock:
            uids = set(self._deferred) | set(self._records)
            self._deferred.clear()
        for uid in uids:
            self.queue.add(uid)

    # -- heartbeats ------------------------------------------------------------------------------
    def _safe(self, fn: Any) -> Any:
        try:
            return fn()
        except Exception:
            if not self._stop.is_set():
                log.exception("kubelet %s: heartbeat failed", self.node_name)
            return None

    def _heartbeats(self) -> None:
        next_lease = self.clock.now() + RENEW_INTERVAL
        next_status = self.clock.now()
        while not self._stop.is_set():
            now = self.clock.now()
            if not self._failed.is_set():
                if now >= next_lease:
                    self._safe(self.node.renew_lease)
                    next_lease = now + RENEW_INTERVAL
                if now >= next_status:
                    self._safe(self.node.sync_status)
                    next_status = now + STATUS_UPDATE_INTERVAL
            else:
                next_lease = max(next_lease, now)
                next_status = max(next_status, now)
            wait = max(0.05, min(next_lease, next_status) - self.clock.now())
            self.clock.wait(self._stop, min(wait, RENEW_INTERVAL))

    # -- pods from the informer ---------------------------------------------------------------------
    def record(self, uid: str) -> PodRecord | None:
        with self._lock:
            return self._records.get(uid)

    def records(self) -> list[PodRecord]:
        with self._lock:
            return list(self._records.values())

    def drop(self, uid: str) -> None:
        with self._lock:
            self._records.pop(uid, None)

    def remember(self, pod: dict[str, Any]) -> PodRecord | None:
        """Keep the newest copy of a Pod (by resourceVersion)."""
        uid = pod.get("metadata", {}).get("uid")
        if not uid:
            return None
        with self._lock:
            rec = self._records.get(uid)
            if rec is None:
                rec = self._records[uid] = PodRecord(uid=uid, pod=pod)
            elif _rv(pod) >= _rv(rec.pod):
                rec.pod = pod
            return rec

    def _on_add(self, pod: dict[str, Any]) -> None:
        if self.remember(pod) is not None:
            self.queue.add(pod["metadata"]["uid"])

    def _on_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        if self.remember(new) is None:
            return
        if _sync_relevant(old) != _sync_relevant(new):
            self.queue.add(new["metadata"]["uid"])

    def _on_delete(self, pod: dict[str, Any]) -> None:
        uid = pod.get("metadata", {}).get("uid")
        if not uid:
            return
        with self._lock:
            rec = self._records.get(uid)
            if rec is not None:
                rec.deleted = True
        self.queue.add(uid)

    def _on_config_change(self, resource: str, obj: dict[str, Any]) -> None:
        """A ConfigMap or Secret changed: sync the Pods whose volumes project it (upstream finds out
        at its periodic sync; the watch makes the lesson quicker)."""
        md = obj.get("metadata", {})
        for rec in self.records():
            pod = rec.pod
            if pod.get("metadata", {}).get("namespace") == md.get("namespace") and \
                    self.volumes.references(pod, resource, md.get("name", "")):
                self.queue.add(rec.uid)

    def _find_orphans(self, statuses: list[ContainerStatus]) -> None:
        """Containers of Pods this kubelet does not know (deleted while it was away): remove them."""
        if not self.pods.has_synced():
            return
        with self._lock:
            known = set(self._records)
        for uid in {s.pod_uid for s in statuses if s.pod_uid} - known:
            self.queue.add(uid)

    # -- the pod workers -------------------------------------------------------------------------
    def _reconcile(self, uid: Any) -> None:
        if self._stop.is_set():
            return
        if self._failed.is_set():
            with self._lock:
                self._deferred.add(uid)
            return
        wait = self.syncer.sync(uid)
        if wait is not None:
            self._requeue(uid, wait)

    def _requeue(self, uid: str, after: float) -> None:
        """Sync *uid* again in *after* cluster seconds (one pending timer per Pod is enough)."""
        now = self.clock.now()
        due = now + max(after, 0.0)
        with self._lock:
            pending = self._requeue_at.get(uid)
            if pending is not None and now < pending <= due + 1e-6:
                return
            self._requeue_at[uid] = due

        def fire() -> None:
            with self._lock:
                if self._requeue_at.get(uid) == due:
                    del self._requeue_at[uid]
            self.queue.add(uid)

        self.clock.after(max(after, 0.0), fire)

    # -- what containers need from the API ---------------------------------------------------------
    def lookup(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        return self.client.get_or_none(resource, name, namespace)

    def services(self, pod: dict[str, Any]) -> list[dict[str, Any]]:
        """Services whose variables go into the Pod's containers: those of its namespace, and the
        ``kubernetes`` Service of ``default`` (upstream's ``getServiceEnvVarMap``)."""
        ns = pod.get("metadata", {}).get("namespace", "default")
        out = []
        for svc in self.service_informer.list():
            md = svc.get("metadata", {})
            if md.get("namespace") == ns or (md.get("namespace") == "default" and md.get("name") == "kubernetes"):
                out.append(svc)
        return sorted(out, key=meta.key)


def _rv(obj: dict[str, Any]) -> int:
    try:
        return int(obj.get("metadata", {}).get("resourceVersion") or 0)
    except ValueError:
        return 0
