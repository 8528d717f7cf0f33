"""The kubelet's event reasons and messages, in upstream's words (``pkg/kubelet/events``).

``kubectl describe pod`` shows these; lessons and graders quote them, so they are spelled exactly as
Kubernetes 1.32 spells them::

    Normal   Pulled    Container image "k8sedu/web:v1" already present on machine
    Normal   Created   Created container: web
    Normal   Started   Started container web
    Normal   Killing   Stopping container web
    Warning  BackOff   Back-off restarting failed container app in pod crash_default(5f0c…)
    Warning  Failed    Failed to pull image "nope:v9": rpc error: code = NotFound desc = …
    Warning  Failed    Error: ErrImagePull
    Normal   BackOff   Back-off pulling image "nope:v9"
    Warning  Failed    Error: ImagePullBackOff
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CREATED",
    "STARTED",
    "FAILED",
    "KILLING",
    "BACK_OFF",
    "PULLING",
    "PULLED",
    "ERR_IMAGE_NEVER_PULL",
    "SANDBOX_CHANGED",
    "FAILED_MOUNT",
    "FAILED_CREATE_POD_SANDBOX",
    "ERR_IMAGE_PULL",
    "IMAGE_PULL_BACK_OFF",
    "CRASH_LOOP_BACK_OFF",
    "CREATE_CONTAINER_CONFIG_ERROR",
    "CREATE_CONTAINER_ERROR",
    "RUN_CONTAINER_ERROR",
    "CONTAINER_CREATING",
    "POD_INITIALIZING",
    "pod_ref",
    "already_present",
    "pulling",
    "pulled",
    "pull_failed",
    "back_off_pull",
    "never_pull",
    "created",
    "started",
    "stopping",
    "back_off_restart",
    "crash_loop_message",
]

# event reasons
CREATED = "Created"
STARTED = "Started"
FAILED = "Failed"
KILLING = "Killing"
BACK_OFF = "BackOff"
PULLING = "Pulling"
PULLED = "Pulled"
ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"
SANDBOX_CHANGED = "SandboxChanged"
FAILED_MOUNT = "FailedMount"
FAILED_CREATE_POD_SANDBOX = "FailedCreatePodSandBox"

# container waiting reasons (status.containerStatuses[].state.waiting.reason)
ERR_IMAGE_PULL = "ErrImagePull"
IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError"
CREATE_CONTAINER_ERROR = "CreateContainerError"
RUN_CONTAINER_ERROR = "RunContainerError"
CONTAINER_CREATING = "ContainerCreating"
POD_INITIALIZING = "PodInitializing"


def pod_ref(pod: dict[str, Any]) -> str:
    """``web-x_default(5f0c…)``: how the kubelet names a Pod in messages (``format.Pod``)."""
    md = pod.get("metadata", {})
    return f"{md.get('name', '')}_{md.get('namespace', '')}({md.get('uid', '')})"


def already_present(image: str) -> str:
    return f'Container image "{image}" already present on machine'


def pulling(image: str) -> str:
    return f'Pulling image "{image}"'


def pulled(image: str, seconds: float, size: int | None) -> str:
    took = f"{seconds:.3f}s"
    text = f'Successfully pulled image "{image}" in {took} ({took} including waiting).'
    return text + (f" Image size: {size} bytes." if size else "")


def pull_failed(image: str, err: str) -> str:
    return f'Failed to pull image "{image}": {err}'


def back_off_pull(image: str) -> str:
    return f'Back-off pulling image "{image}"'


def never_pull(image: str) -> str:
    return f'Container image "{image}" is not present with pull policy of Never'


def created(container: str) -> str:
    return f"Created container: {container}"


def started(container: str) -> str:
    return f"Started container {container}"


def stopping(container: str) -> str:
    return f"Stopping container {container}"


def back_off_restart(container: str, pod: dict[str, Any]) -> str:
    return f"Back-off restarting failed container {container} in pod {pod_ref(pod)}"


def crash_loop_message(backoff: str, container: str, pod: dict[str, Any]) -> str:
    """``back-off 10s restarting failed container=app pod=crash_default(5f0c…)``."""
    return f"back-off {backoff} restarting failed container={container} pod={pod_ref(pod)}"
