"""The kubelet's server side: ``kubectl logs``, ``exec``, ``attach`` and ``port-forward`` reach the
container through here.

In Kubernetes the apiserver does not read logs itself: it proxies ``pods/log`` and ``pods/exec`` to
the kubelet of the Pod's node (HTTPS port 10250), which asks the container runtime::

    kubectl logs web ──▶ apiserver ──▶ kubelet/node-1 (KubeletConnection.logs) ──▶ runtime.logs(id)

Which container answers follows upstream's ``validateContainerLogStatus``: the running one; with
``--previous`` the last terminated attempt (kept until the next restart); a container that never
ran gives ``container "web" in pod "x" is waiting to start: ContainerCreating``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest, InternalError, NotFound
from ..runtime.base import AttachStream, ExecResult
from ..runtime.errors import ContainerNotFound, ContainerRuntimeError
from .stats import summary

if TYPE_CHECKING:
    from .kubelet import Kubelet
    from .sync import PodRecord

__all__ = ["KubeletConnection", "KubeletUnreachable"]


class KubeletUnreachable(InternalError):
    """The apiserver cannot reach the kubelet (the node failed): upstream's dial error, reason ``""``."""

    reason = ""


class KubeletConnection:
    """What the apiserver calls for ``pods/log`` and ``pods/exec`` (registered with
    ``APIServer.register_kubelet``)."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.k = kubelet

    def _reachable(self, path: str) -> None:
        if self.k.failed:
            ip = self.k.node_ip
            raise KubeletUnreachable(f'Get "https://{ip}:10250/{path}": dial tcp {ip}:10250: connect: no route to host')

    def _record(self, namespace: str, pod_name: str) -> PodRecord:
        pod = self.k.pods.get(f"{namespace}/{pod_name}")
        rec = self.k.record(pod["metadata"]["uid"]) if pod else None
        if rec is None:
            raise NotFound(f'pod "{pod_name}" not found', details={"name": pod_name, "kind": "pods"})
        return rec

    def _container_id(self, namespace: str, pod_name: str, container: str, previous: bool) -> str:
        rec = self._record(namespace, pod_name)
        status = self.k.syncer.status_of(rec)
        found = None
        for s in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
            if s["name"] == container:
                found = s
                break
        if found is None:
            raise BadRequest(f"container {container} is not valid for pod {pod_name}")
        state, last = found.get("state") or {}, found.get("lastState") or {}
        last_id = (last.get("terminated") or {}).get("containerID", "")
        if previous:
            if not last_id:
                raise BadRequest(f'previous terminated container "{container}" in pod "{pod_name}" not found')
            cid = last_id
        elif "running" in state:
            cid = found.get("containerID", "")
        elif "terminated" in state:
            cid = state["terminated"].get("containerID") or last_id
            if not cid:
                raise BadRequest(f'container "{container}" in pod "{pod_name}" is terminated')
        elif last_id:
            cid = last_id
        elif "waiting" in state:
            reason = state["waiting"].get("reason", "")
            if reason == "ErrImagePull":
                detail = "image can't be pulled"
            elif reason == "ImagePullBackOff":
                detail = "trying and failing to pull image"
            else:
                detail = reason
            raise BadRequest(f'container "{container}" in pod "{pod_name}" is waiting to start: {detail}')
        else:
            raise BadRequest(f'container "{container}" in pod "{pod_name}" is waiting to start - no logs yet')
        return cid.split("://", 1)[-1]

    def logs(self, namespace: str, pod: str, container: str, tail_lines: int | None = None,
             since_seconds: int | None = None, previous: bool = False, timestamps: bool = False) -> str:
        self._reachable(f"containerLogs/{namespace}/{pod}/{container}")
        cid = self._container_id(namespace, pod, container, previous)
        since = self.k.clock.now() - since_seconds if since_seconds else None
        try:
            return self.k.runtime.logs(cid, tail=tail_lines, since=since, timestamps=timestamps)
        except ContainerNotFound:
            raise BadRequest(f'container "{container}" in pod "{pod}" is not available') from None

    def follow_logs(self, namespace: str, pod: str, container: str, tail_lines: int | None = None,
                    since_seconds: int | None = None) -> Iterator[str]:
        self._reachable(f"containerLogs/{namespace}/{pod}/{container}?follow=true")
        cid = self._container_id(namespace, pod, container, False)
        since = self.k.clock.now() - since_seconds if since_seconds else None
        return self.k.runtime.follow_logs(cid, tail=tail_lines, since=since)

    def _running_id(self, namespace: str, pod: str, container: str) -> str:
        rec = self._record(namespace, pod)
        status = self.k.syncer.status_of(rec)
        cid = ""
        for s in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
            if s["name"] == container and "running" in (s.get("state") or {}):
                cid = s.get("containerID", "").split("://", 1)[-1]
        if not cid:
            raise BadRequest(f'unable to upgrade connection: container not found ("{container}")')
        return cid

    def attach(self, namespace: str, pod: str, container: str, stdin: bool = False) -> AttachStream:
        """Attach to the running container's main process (its output from now on; its stdin)."""
        self._reachable(f"attach/{namespace}/{pod}/{container}")
        cid = self._running_id(namespace, pod, container)
        try:
            return self.k.runtime.attach(cid, stdin=stdin)
        except ContainerNotFound:
            raise BadRequest(f'unable to upgrade connection: container not found ("{container}")') from None
        except ContainerRuntimeError as err:
            raise InternalError(str(err)) from None

    def port_address(self, namespace: str, pod: str, port: int) -> tuple[str, int]:
        """Where to connect for *port* in the Pod's network namespace (``pods/portforward``)."""
        self._reachable(f"portForward/{namespace}/{pod}")
        rec = self._record(namespace, pod)
        for s in self.k.runtime.list_containers(self.k.node_name):
            if s.is_sandbox and s.pod_uid == rec.uid and s.state == "running":
                return self.k.runtime.port_address(s.id, port)
        raise BadRequest(f"unable to do port forwarding: pod {pod} has no running sandbox")

    def stats_summary(self) -> dict[str, Any]:
        """``GET /stats/summary``: the CPU and memory the node's containers use (metrics-server's
        scrape; see :mod:`k8sedu.kubelet.stats`)."""
        self._reachable("stats/summary")
        return summary(self.k)

    def exec(self, namespace: str, pod: str, container: str, command: list[str],
             stdin: bytes | None = None) -> ExecResult:
        """Run *command* in the running container: the runtime's ``ExecResult(exit_code, stdout,
        stderr)``."""
        self._reachable(f"exec/{namespace}/{pod}/{container}")
        cid = self._running_id(namespace, pod, container)
        try:
            result: ExecResult = self.k.runtime.exec(cid, list(command), stdin=stdin)
        except ContainerNotFound:
            raise BadRequest(f'unable to upgrade connection: container not found ("{container}")') from None
        except ContainerRuntimeError as err:
            raise InternalError(str(err)) from None
        return result
