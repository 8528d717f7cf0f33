"""One Pod's sync: make the runtime match the Pod spec, then write what happened to the Pod status.

This is upstream's ``SyncPod`` / ``SyncTerminatingPod`` (pkg/kubelet/kuberuntime), level-based: each
call reads what the runtime has for the Pod and does the next steps, so it can be called any number
of times, after any event::

    sandbox running?      no  ──▶ create the pause container (holds the Pod's network namespace)
    init containers       one at a time, in order; each must exit 0 before the next starts
    app containers        not there ──▶ pull image (per imagePullPolicy) ─▶ create ─▶ start
                          exited    ──▶ restartPolicy says restart? back-off over? ─▶ start again
                                        still backing off ──▶ waiting: CrashLoopBackOff
    status                phase, conditions, containerStatuses ──▶ PUT pods/<name>/status if changed

A Pod with a ``deletionTimestamp`` is terminated instead: SIGTERM to every container, SIGKILL after
the grace period, remove the containers and the sandbox, then delete the Pod object for good
(``DELETE … gracePeriodSeconds=0``), as upstream's status manager does.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..api.defaults import image_pull_policy
from ..errors import APIError, Conflict, NotFound
from ..runtime.base import ContainerStatus
from ..runtime.errors import (
    ContainerNotFound,
    ContainerRuntimeError,
    ContainerStartError,
    ImagePullError,
)
from ..runtime.naming import container_name, sandbox_name
from . import events as ev
from .backoff import go_duration
from .config import (
    LABEL_CONTAINER_HASH,
    ConfigError,
    container_config,
    container_hash,
    sandbox_config,
    service_address,
    with_service_names,
)
from .podstatus import PodView, generate_pod_status, next_attempt, should_restart
from .volumes import VolumeError

if TYPE_CHECKING:
    from .kubelet import Kubelet

__all__ = [
    "PodRecord",
    "PodSyncer",
    "PUBLISHED_PORTS_ANNOTATION",
    "MIN_GRACE_SECONDS",
    "SYNC_BACKOFF",
]

log = logging.getLogger(__name__)

PUBLISHED_PORTS_ANNOTATION = "k8sedu.io/published-ports"
MIN_GRACE_SECONDS = 2  # kuberuntime's minimumGracePeriodInSeconds
SYNC_BACKOFF = 10.0  # after a failed sync the Pod is tried again this much later (backOffPeriod)


@dataclass
class PodRecord:
    """What the kubelet remembers about one Pod between syncs (the runtime holds the rest)."""

    uid: str
    pod: dict[str, Any]
    deleted: bool = False  # gone from the API
    finished: bool = False  # terminated and its object deleted by us
    terminal: bool = False  # Succeeded or Failed: never runs again
    pod_ip: str = ""
    published: dict[str, int] = field(default_factory=dict)
    # the reason cache: why a container could not start (ErrImagePull, CrashLoopBackOff…)
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)


class PodSyncer:
    """The work of the pod workers. ``sync(uid)`` returns when to sync again (cluster seconds) or
    None; the kubelet runs it for one Pod at a time (the work queue never hands out a uid twice)."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.k = kubelet

    # -- small helpers -----------------------------------------------------------------------
    def _flow(self, action: str, pod: dict[str, Any], explain: str, **detail: Any) -> None:
        self.k.flow.record(self.k.component, "docker", action, pod, explain=explain, **detail)

    def _event(self, pod: dict[str, Any], type_: str, reason: str, message: str) -> None:
        try:
            self.k.recorder.event(pod, type_, reason, message)
        except Exception:  # events are best effort, as upstream's recorder
            log.exception("kubelet %s: recording event failed", self.k.node_name)

    def _list(self, uid: str) -> list[ContainerStatus]:
        return [s for s in self.k.runtime.list_containers(self.k.node_name) if s.pod_uid == uid]

    @staticmethod
    def _cname(pod: dict[str, Any], name: str, attempt: int) -> str:
        md = pod["metadata"]
        return container_name(name, md["name"], md.get("namespace", "default"), md["uid"], attempt)

    @staticmethod
    def _backoff_key(pod: dict[str, Any], c: dict[str, Any]) -> str:
        """Per Pod, container and container spec: a new image starts with a fresh back-off."""
        md = pod["metadata"]
        return f"{md['uid']}_{md['name']}_{md.get('namespace', '')}_{c['name']}_{container_hash(c)}"

    # -- entry point -------------------------------------------------------------------------
    def sync(self, uid: str) -> float | None:
        rec = self.k.record(uid)
        statuses = self._list(uid)
        if rec is None or rec.deleted:
            self._cleanup(uid, rec, statuses)
            return None
        if rec.finished:
            return None
        pod = rec.pod
        if pod["metadata"].get("deletionTimestamp"):
            self._terminate(rec, statuses)
            return None
        if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            rec.terminal = True
        if rec.terminal:
            self._finish(rec, PodView.of(statuses))
            return None
        return self._sync_running(rec, statuses)

    # -- a live Pod --------------------------------------------------------------------------
    def _sync_running(self, rec: PodRecord, statuses: list[ContainerStatus]) -> float | None:
        pod = rec.pod
        spec = pod.get("spec", {})
        policy = spec.get("restartPolicy", "Always")
        view = PodView.of(statuses)
        waits: list[float] = []
        acted = False  # did this sync change anything in the runtime? (if not, *view* is current)
        # As upstream's SyncPod, first report what is there now (a new Pod shows ContainerCreating
        # while its image is pulled), then act, then report again.
        self._post_status(rec, view)

        # Volumes first (upstream's WaitForAttachAndMount): ConfigMap/Secret files, emptyDir, hostPath.
        try:
            for volume in self.k.volumes.setup(pod):
                if view.sandbox is not None:
                    self._flow(f"update volume {volume}", pod,
                               f"卷 {volume} 引用的 ConfigMap/Secret 变了：kubelet 写出新版本的文件，"
                               "再原子地切换 ..data 符号链接，容器里的文件随之更新（环境变量不会变）",
                               volume=volume)
        except (VolumeError, OSError) as err:
            self._event(pod, "Warning", ev.FAILED_MOUNT, str(err))
            return SYNC_BACKOFF

        if not view.sandbox_ready():
            old = view.sandbox
            has_run = any(view.containers.values())
            if old is not None and policy == "Never" and has_run:
                pass  # upstream: a Never Pod whose sandbox died is not started again
            else:
                if old is not None:
                    self._event(pod, "Normal", ev.SANDBOX_CHANGED,
                                "Pod sandbox changed, it will be killed and re-created.")
                    self._stop_containers(pod, [c for c in view.all() if not c.is_sandbox
                                                and c.state in ("running", "created")],
                                          self._grace(pod), record=True)
                if not self._create_sandbox(rec, old.attempt + 1 if old is not None else 0):
                    self._post_status(rec, PodView.of(self._list(rec.uid)))
                    return SYNC_BACKOFF
                acted = True
                view = PodView.of(self._list(rec.uid))

        sandbox = view.sandbox
        if sandbox is not None and sandbox.state == "running":
            if not rec.pod_ip:
                rec.pod_ip = pod.get("status", {}).get("podIP", "")
            started_any = any(view.containers.get(c["name"]) for c in spec.get("containers") or [])
            initialized = started_any
            if not initialized:
                initialized = True
                for ic in spec.get("initContainers") or []:
                    latest = view.latest(ic["name"])
                    if latest is not None and latest.state == "exited" and latest.exit_code == 0:
                        continue
                    initialized = False
                    if latest is None or (latest.state == "exited" and policy != "Never"):
                        acted = True
                        wait = self._start(rec, view, sandbox, ic, latest)
                        if wait is not None:
                            waits.append(wait)
                    break  # one init container at a time
            if initialized:
                for c in spec.get("containers") or []:
                    latest = view.latest(c["name"])
                    if latest is not None and latest.state in ("running", "created"):
                        if latest.sandbox_id and latest.sandbox_id != sandbox.id:
                            acted = True
                            self._stop_containers(pod, [latest], self._grace(pod), record=True)
                            continue  # PLEG sees it exit; the next sync starts it in this sandbox
                        made_from = latest.labels.get(LABEL_CONTAINER_HASH)
                        kill = self.k.probes.kill_reason(rec.uid, c["name"], latest.id) \
                            if latest.state == "running" else None
                        if kill is not None:
                            # a liveness (or startup) probe failed failureThreshold times in a row
                            message, probe_grace = kill
                            if policy == "Never":  # upstream: restarted only if the policy allows
                                message = message.removesuffix(", will be restarted")
                            self._event(pod, "Normal", ev.KILLING, message)
                            grace = max(int(probe_grace), MIN_GRACE_SECONDS) if probe_grace is not None \
                                else self._grace(pod)
                        elif made_from is None or made_from == container_hash(c):
                            continue
                        else:
                            self._event(pod, "Normal", ev.KILLING,
                                        f"Container {c['name']} definition changed, will be restarted")
                            grace = self._grace(pod)
                        acted = True
                        self._stop_containers(pod, [latest], grace, record=False)
                        latest = next((s for s in self._list(rec.uid) if s.id == latest.id), None)
                        if kill is not None and policy == "Never":
                            continue  # killed for its probe, and restartPolicy Never: stays dead
                    elif latest is not None and not should_restart(c, pod, view):
                        continue
                    acted = True
                    wait = self._start(rec, view, sandbox, c, latest)
                    if wait is not None:
                        waits.append(wait)

        if acted:  # report what the runtime has now, right away (not at the next PLEG relist)
            view = PodView.of(self._list(rec.uid))
        self.k.probes.update(pod, {c["name"]: view.latest(c["name"]) for c in spec.get("containers") or []})
        status = self._status(rec, view, terminal=False)
        if status["phase"] in ("Succeeded", "Failed"):
            rec.terminal = True
            self._finish(rec, view)
            return None
        self._post_status(rec, view)
        return min(waits) if waits else None

    def _create_sandbox(self, rec: PodRecord, attempt: int) -> bool:
        pod = rec.pod
        md = pod["metadata"]
        cfg = with_service_names(sandbox_config(pod, self.k.node_name, attempt), pod,
                                 self.k.service_informer.list(), service_address(self.k.runtime))
        name = sandbox_name(md["name"], md.get("namespace", "default"), md["uid"], attempt)
        self._flow(f"create sandbox (pause) {name}", pod,
                   "kubelet 先创建 pause 容器（Pod 沙箱），持有 Pod 的网络命名空间；"
                   "应用容器随后加入它，所以同一 Pod 的容器能用 localhost 互相访问",
                   container=name)
        try:
            info = self.k.runtime.create_sandbox(cfg)
        except ContainerRuntimeError as err:
            self._event(pod, "Warning", ev.FAILED_CREATE_POD_SANDBOX, f"Failed to create pod sandbox: {err}")
            return False
        rec.pod_ip = info.ip
        rec.published = {f"{port}/{proto}": host for (port, proto), host in info.published.items()}
        if rec.published:
            self._publish_ports(rec)
        return True

    def _publish_ports(self, rec: PodRecord) -> None:
        """Record where the Pod's ports are reachable on the host, for kube-proxy and Cluster.url."""
        md = rec.pod["metadata"]
        value = json.dumps(rec.published, sort_keys=True)
        if (md.get("annotations") or {}).get(PUBLISHED_PORTS_ANNOTATION) == value:
            return
        try:
            updated = self.k.client.patch("pods", md["name"],
                                          {"metadata": {"annotations": {PUBLISHED_PORTS_ANNOTATION: value}}},
                                          md.get("namespace"))
            self.k.remember(updated)
        except APIError:
            log.exception("kubelet %s: recording published ports failed", self.k.node_name)

    # -- starting one container ------------------------------------------------------------------
    def _start(self, rec: PodRecord, view: PodView, sandbox: ContainerStatus, c: dict[str, Any],
               latest: ContainerStatus | None) -> float | None:
        """Start (or restart) container *c*; returns when to try again if it could not."""
        pod = rec.pod
        name = c["name"]
        crash = self.k.crash_backoff
        key = self._backoff_key(pod, c)
        if latest is not None and latest.state == "exited":
            finished = latest.finished_at if latest.finished_at is not None else self.k.clock.now()
            remaining = crash.remaining_since(key, finished)
            if remaining > 0:
                rec.reasons[name] = (ev.CRASH_LOOP_BACK_OFF,
                                     ev.crash_loop_message(go_duration(crash.get(key)), name, pod))
                self._event(pod, "Warning", ev.BACK_OFF, ev.back_off_restart(name, pod))
                return remaining
            crash.next(key, finished)

        wait = self._ensure_image(rec, c)
        if wait is not None:
            return wait

        attempt = next_attempt(pod, name, latest)
        try:
            cfg = container_config(
                pod, c, node_name=self.k.node_name, attempt=attempt, pod_ip=rec.pod_ip,
                host_ip=self.k.node_ip, lookup=self.k.lookup, services=self.k.services(pod),
                allocatable=self.k.allocatable,
            )
        except ConfigError as err:
            rec.reasons[name] = (ev.CREATE_CONTAINER_CONFIG_ERROR, str(err))
            self._event(pod, "Warning", ev.FAILED, f"Error: {err}")
            return SYNC_BACKOFF
        cfg.mounts = self.k.volumes.mounts(pod, c)

        # Keep one dead attempt (for ``kubectl logs --previous`` and lastState); drop older ones.
        for old in (view.containers.get(name) or [])[1:]:
            self._remove(pod, old)

        cname = self._cname(pod, name, attempt)
        why = (f"容器 {name} 上次退出（exit code {latest.exit_code}），按 restartPolicy="
               f"{pod.get('spec', {}).get('restartPolicy', 'Always')} 重启，这是第 {attempt} 次重启"
               if latest is not None else
               f"按 Pod spec 创建容器 {name}（镜像 {c.get('image', '')}），它加入 pause 容器的网络命名空间")
        self._flow(f"create container {cname}", pod, why, container=cname, image=c.get("image", ""))
        try:
            cid = self.k.runtime.create_container(sandbox.id, cfg)
        except ContainerRuntimeError as err:
            rec.reasons[name] = (ev.CREATE_CONTAINER_ERROR, str(err))
            self._event(pod, "Warning", ev.FAILED, f"Error: {err}")
            return SYNC_BACKOFF
        self._event(pod, "Normal", ev.CREATED, ev.created(name))
        self._flow(f"start container {cname}", pod, f"启动容器 {name}：容器里的进程开始运行",
                   container=cname, container_id=cid)
        try:
            self.k.runtime.start_container(cid)
        except ContainerStartError as err:
            rec.reasons[name] = (ev.RUN_CONTAINER_ERROR, str(err))
            self._event(pod, "Warning", ev.FAILED, f"Error: {err}")
            return None  # it exited (StartError); PLEG sees it and the restart goes through back-off
        except ContainerRuntimeError as err:
            rec.reasons[name] = (ev.RUN_CONTAINER_ERROR, str(err))
            self._event(pod, "Warning", ev.FAILED, f"Error: {err}")
            return SYNC_BACKOFF
        self._event(pod, "Normal", ev.STARTED, ev.started(name))
        rec.reasons.pop(name, None)
        return None

    def _ensure_image(self, rec: PodRecord, c: dict[str, Any]) -> float | None:
        """Make sure the image is there, per imagePullPolicy; None when it is."""
        pod, name, image = rec.pod, c["name"], c.get("image", "")
        policy = c.get("imagePullPolicy") or image_pull_policy(image)
        runtime = self.k.runtime
        try:
            present = runtime.has_image(image)
        except ContainerRuntimeError as err:
            msg = f'Failed to inspect image "{image}": {err}'
            rec.reasons[name] = ("ImageInspectError", msg)
            self._event(pod, "Warning", "InspectFailed", msg)
            return SYNC_BACKOFF
        if policy == "Never" or (policy == "IfNotPresent" and present):
            if present:
                self._event(pod, "Normal", ev.PULLED, ev.already_present(image))
                return None
            msg = ev.never_pull(image)
            rec.reasons[name] = (ev.ERR_IMAGE_NEVER_PULL, msg)
            self._event(pod, "Warning", ev.ERR_IMAGE_NEVER_PULL, msg)
            return SYNC_BACKOFF
        key = f"{pod['metadata']['uid']}_{image}"
        backoff = self.k.image_backoff
        now = self.k.clock.now()
        if backoff.is_in_backoff_since_update(key, now):
            msg = ev.back_off_pull(image)
            rec.reasons[name] = (ev.IMAGE_PULL_BACK_OFF, msg)
            self._event(pod, "Normal", ev.BACK_OFF, msg)
            self._event(pod, "Warning", ev.FAILED, f"Error: {ev.IMAGE_PULL_BACK_OFF}")
            return SYNC_BACKOFF
        self._event(pod, "Normal", ev.PULLING, ev.pulling(image))
        self._flow(f"pull image {image}", pod,
                   f"imagePullPolicy={policy}" + ("" if present else "，本机没有这个镜像")
                   + f":kubelet 让容器运行时拉取镜像 {image}", image=image)
        try:
            runtime.pull_image(image)
        except (ImagePullError, ContainerRuntimeError) as err:
            self._event(pod, "Warning", ev.FAILED, ev.pull_failed(image, str(err)))
            backoff.next(key, now)
            self._event(pod, "Warning", ev.FAILED, f"Error: {ev.ERR_IMAGE_PULL}")
            rec.reasons[name] = (ev.ERR_IMAGE_PULL, str(err))
            return SYNC_BACKOFF
        took = self.k.clock.now() - now
        self._event(pod, "Normal", ev.PULLED, ev.pulled(image, took, self.k.image_size(image)))
        return None

    # -- stopping and removing ---------------------------------------------------------------
    @staticmethod
    def _grace(pod: dict[str, Any]) -> int:
        md, spec = pod.get("metadata", {}), pod.get("spec", {})
        grace = md.get("deletionGracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds")
        if grace is None:
            grace = 30
        return max(int(grace), MIN_GRACE_SECONDS)

    def _stop_containers(self, pod: dict[str, Any], containers: list[ContainerStatus], grace: int,
                         record: bool) -> None:
        """SIGTERM every container at once, SIGKILL what is left after *grace* seconds."""

        def stop(c: ContainerStatus) -> None:
            if record:
                self._event(pod, "Normal", ev.KILLING, ev.stopping(c.container_name))
            self._flow(f"stop container {c.name}", pod,
                       f"优雅终止：先向容器 {c.container_name} 发送 SIGTERM，宽限期 {grace} 秒后仍未退出就发送 SIGKILL",
                       container=c.name, container_id=c.id, grace_seconds=grace)
            try:
                self.k.runtime.stop_container(c.id, grace)
            except ContainerNotFound:
                pass
            except ContainerRuntimeError:
                log.exception("kubelet %s: stopping %s failed", self.k.node_name, c.name)

        if len(containers) == 1:
            stop(containers[0])
            return
        threads = [threading.Thread(target=stop, args=(c,), daemon=True, name=f"kill-{c.name}")
                   for c in containers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _remove(self, pod: dict[str, Any] | None, c: ContainerStatus) -> None:
        what = "sandbox" if c.is_sandbox else "container"
        explain = ("删除 pause 容器：Pod 的网络命名空间随之消失" if c.is_sandbox
                   else f"删除已经停止的容器 {c.container_name}")
        self._flow(f"remove {what} {c.name}", pod or {"kind": "Pod", "metadata": {"name": c.pod_name,
                                                                                     "namespace": c.namespace}},
                   explain, container=c.name, container_id=c.id)
        try:
            if c.is_sandbox:
                self.k.runtime.remove_sandbox(c.id)
            else:
                self.k.runtime.remove_container(c.id)
        except ContainerNotFound:
            pass
        except ContainerRuntimeError:
            log.exception("kubelet %s: removing %s failed", self.k.node_name, c.name)

    def _stop_sandboxes(self, pod: dict[str, Any], view: PodView) -> None:
        for sb in view.sandboxes:
            if sb.state != "running":
                continue
            self._flow(f"stop sandbox {sb.name}", pod, "停止 pause 容器：Pod 的网络命名空间被释放",
                       container=sb.name, container_id=sb.id)
            try:
                self.k.runtime.stop_sandbox(sb.id)
            except ContainerRuntimeError:
                log.exception("kubelet %s: stopping sandbox %s failed", self.k.node_name, sb.name)

    def _finish(self, rec: PodRecord, view: PodView) -> None:
        """A Pod that will not run again (Succeeded/Failed): stop what still runs, keep the exited
        containers (their logs stay readable) until the Pod is deleted."""
        running = [c for c in view.all() if not c.is_sandbox and c.state in ("running", "created")]
        if running:
            self._stop_containers(rec.pod, running, self._grace(rec.pod), record=True)
        self._stop_sandboxes(rec.pod, view)
        self._post_status(rec, PodView.of(self._list(rec.uid)), terminal=True)

    def _terminate(self, rec: PodRecord, statuses: list[ContainerStatus]) -> None:
        """Graceful deletion: stop, report, remove, then delete the Pod object (grace 0)."""
        pod = rec.pod
        md = pod["metadata"]
        view = PodView.of(statuses)
        running = [c for c in view.all() if not c.is_sandbox and c.state in ("running", "created")]
        if running:
            self._stop_containers(pod, running, self._grace(pod), record=True)
        view = PodView.of(self._list(rec.uid))
        self._stop_sandboxes(pod, view)
        view = PodView.of(self._list(rec.uid))
        self._post_status(rec, view, terminal=True)
        for c in [c for c in view.all() if not c.is_sandbox] + view.sandboxes:
            self._remove(pod, c)
        try:
            self.k.client.delete("pods", md["name"], md.get("namespace"), grace_period_seconds=0,
                                 preconditions={"uid": md["uid"]})
        except (NotFound, Conflict):
            pass  # already gone, or a new Pod of the same name
        rec.finished = True
        self._forget(rec.pod)

    def _cleanup(self, uid: str, rec: PodRecord | None, statuses: list[ContainerStatus]) -> None:
        """The Pod is gone from the API (force-deleted, or never ours): kill and remove what is left."""
        pod = rec.pod if rec is not None else None
        view = PodView.of(statuses)
        running = [c for c in view.all() if not c.is_sandbox and c.state in ("running", "created")]
        if running:
            ref = pod or {"kind": "Pod", "metadata": {"name": running[0].pod_name,
                                                      "namespace": running[0].namespace, "uid": uid}}
            self._stop_containers(ref, running, MIN_GRACE_SECONDS, record=pod is not None)
        for c in [c for c in view.all() if not c.is_sandbox] + view.sandboxes:
            self._remove(pod, c)
        if pod is not None:
            self._forget(pod)
        else:
            self.k.volumes.teardown(None, uid)
        self.k.drop(uid)

    def _forget(self, pod: dict[str, Any]) -> None:
        uid = pod["metadata"]["uid"]
        self.k.probes.remove_pod(uid)
        self.k.volumes.teardown(pod, uid)
        self.k.crash_backoff.forget_prefix(uid)
        self.k.image_backoff.forget_prefix(uid)

    # -- status --------------------------------------------------------------------------------
    def _status(self, rec: PodRecord, view: PodView, terminal: bool) -> dict[str, Any]:
        probes, uid = self.k.probes, rec.uid

        def probe_state(name: str, container_id: str) -> tuple[bool, bool]:
            return probes.started(uid, name, container_id), probes.ready(uid, name, container_id)

        return generate_pod_status(
            rec.pod, view, rec.reasons, runtime_name=self.k.runtime_name, pod_ip=rec.pod_ip,
            host_ip=self.k.node_ip, now=self.k.clock.timestamp(), terminal=terminal,
            probe_state=probe_state,
        )

    def status_of(self, rec: PodRecord, terminal: bool | None = None) -> dict[str, Any]:
        """The status the kubelet would write now (used by logs and exec)."""
        view = PodView.of(self._list(rec.uid))
        return self._status(rec, view, rec.terminal if terminal is None else terminal)

    def _post_status(self, rec: PodRecord, view: PodView, terminal: bool = False) -> None:
        """Write the status through the status subresource, only if it changed."""
        for _ in range(3):
            pod = rec.pod
            status = self._status(rec, view, terminal)
            if status == pod.get("status"):
                return
            md = pod["metadata"]
            obj = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": md["name"], "namespace": md.get("namespace"), "uid": md["uid"],
                             "resourceVersion": md.get("resourceVersion")},
                "status": status,
            }
            try:
                updated = self.k.client.update_status("pods", obj)
            except Conflict:
                fresh = self.k.client.get_or_none("pods", md["name"], md.get("namespace"))
                if fresh is None or fresh["metadata"].get("uid") != rec.uid:
                    return
                self.k.remember(fresh)
                continue
            except NotFound:
                return
            self.k.remember(updated)
            return
