"""What a check may look at: the live cluster, read through the apiserver and the container runtime.

Why a context and not the bare Cluster: checks should read, never change, the cluster, and they need a
few questions answered the same way everywhere ("is there a container of this Pod really running?").
Every helper here reads; none writes.

The anti-cheat rule lives in :meth:`CheckContext.require_running_pod`: a Pod counts as Running only
if its phase says so **and** the runtime (``docker ps`` for this cluster) runs a container for each
of its containers, labelled with the Pod's uid. A status written by hand changes the first, never
the second.
"""

from __future__ import annotations

from typing import Any

from ..errors import KubectlError, NotFound
from .check import CheckFailed

__all__ = ["CheckContext"]

# Waiting reasons after which waiting longer will not help a check (the student must change something).
_STUCK_REASONS = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff",
                  "CreateContainerConfigError", "RunContainerError"}


class CheckContext:
    """Read-only helpers over a running :class:`~k8sedu.cluster.Cluster` (``ctx.cluster``)."""

    def __init__(self, cluster: Any, namespace: str = "default") -> None:
        self.cluster = cluster
        self.namespace = namespace

    # -- objects, through the apiserver ----------------------------------------------------------
    def get(self, ref: str, namespace: str | None = None) -> dict[str, Any] | None:
        """``ctx.get("pod/hello")`` → the object, or None when it does not exist."""
        try:
            obj: dict[str, Any] = self.cluster.get(ref, namespace=namespace or self.namespace)
        except NotFound:
            return None
        return obj

    def items(self, resource: str, selector: str | None = None, namespace: str | None = None) -> list[dict[str, Any]]:
        """``ctx.items("deployments", "app=web")`` → the objects (possibly none)."""
        items: list[dict[str, Any]] = self.cluster.get(resource, namespace=namespace or self.namespace,
                                                       selector=selector)
        return items

    def pods(self, selector: str | None = None, namespace: str | None = None) -> list[dict[str, Any]]:
        return self.items("pods", selector, namespace)

    def require(self, ref: str, namespace: str | None = None) -> dict[str, Any]:
        """The object, or ``CheckFailed("找不到 pod/hello", final=True)``."""
        obj = self.get(ref, namespace)
        if obj is None:
            raise CheckFailed(f"找不到 {ref}（命名空间 {namespace or self.namespace}）。", final=True)
        return obj

    def events(self, object: str | None = None, namespace: str | None = None) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.cluster.events(namespace=namespace or self.namespace, object=object)
        return events

    # -- what really runs ------------------------------------------------------------------------
    def containers(self, pod: str | None = None, namespace: str | None = None,
                   include_sandbox: bool = False) -> list[Any]:
        """The runtime's own containers (``cluster.containers()``), optionally those of one Pod.

        Filtering is by the Pod's **uid** (the label the kubelet put on the container), so a Pod
        deleted and recreated under the same name does not inherit its predecessor's containers.
        """
        found = list(self.cluster.containers())
        if not include_sandbox:
            found = [c for c in found if c.container_name != "POD"]
        if pod is not None:
            obj = self.get(f"pod/{pod}", namespace)
            if obj is None:
                return []
            uid = obj["metadata"]["uid"]
            found = [c for c in found if c.pod_uid == uid]
        return found

    def kubectl(self, command: str) -> str:
        """What ``kubectl <command>`` prints; kubectl's error text becomes the reason of a failure."""
        try:
            out: str = self.cluster.kubectl(command)
        except KubectlError as e:
            raise CheckFailed(f"kubectl {command} 出错：{e}") from None
        return out

    def logs(self, pod: str, container: str | None = None, namespace: str | None = None) -> str:
        cmd = f"logs {pod} -n {namespace or self.namespace}"
        return self.kubectl(cmd + (f" -c {container}" if container else ""))

    def require_running_pod(self, name: str, namespace: str | None = None) -> dict[str, Any]:
        """The Pod, if it is Running as the kubelet reports it **and** each container really runs."""
        ns = namespace or self.namespace
        pod = self.require(f"pod/{name}", ns)
        statuses = {s.get("name"): s for s in pod.get("status", {}).get("containerStatuses", [])}
        for spec in pod.get("spec", {}).get("containers", []):
            waiting = statuses.get(spec["name"], {}).get("state", {}).get("waiting", {})
            if waiting.get("reason") in _STUCK_REASONS:
                raise CheckFailed(f"容器 {spec['name']} 卡在 {waiting['reason']}："
                                  f"{waiting.get('message', '')}".rstrip("："), final=True)
        phase = pod.get("status", {}).get("phase", "")
        if phase != "Running":
            raise CheckFailed(f"Pod {name} 的状态是 {phase or '（空）'}，还不是 Running。")
        running = {c.container_name for c in self.containers(name, ns) if c.state == "running"}
        for spec in pod["spec"]["containers"]:
            if spec["name"] not in running:
                raise CheckFailed(f"Pod {name} 的 status 写着 Running，但容器运行时里没有正在运行的容器 "
                                  f"{spec['name']}：状态必须由 kubelet 根据真实容器上报。")
        return pod

    def running_pods(self, selector: str | None = None, namespace: str | None = None) -> list[dict[str, Any]]:
        """The Pods matching *selector* that really run (see :meth:`require_running_pod`) and are
        not being deleted: what a Deployment "has" from the student's point of view."""
        found = []
        for pod in self.pods(selector, namespace):
            if pod["metadata"].get("deletionTimestamp"):
                continue
            try:
                found.append(self.require_running_pod(pod["metadata"]["name"], namespace))
            except CheckFailed:
                continue
        return found

    def exec(self, pod: str, command: str, container: str | None = None, namespace: str | None = None) -> str:
        """What ``kubectl exec <pod> -- <command>`` prints: read from inside the real container."""
        c = f" -c {container}" if container else ""
        return self.kubectl(f"exec {pod} -n {namespace or self.namespace}{c} -- {command}")
