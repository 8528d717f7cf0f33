"""k8sedu.runtime: the one seam to the container engine (like the CRI of real Kubernetes).

::

    ContainerRuntime (base.py)      the Protocol the kubelet calls
    ├── DockerRuntime (docker.py)   real containers, named and labelled as dockershim did
    └── SimRuntime (sim.py)         no engine: a model driven by the cluster clock

    images.py   the offline images (k8sedu/pause, busybox, web:v1, web:v2) built on this machine
    janitor.py  cleanup_all(): remove what clusters of dead processes left on the engine
    naming.py   container names, labels, image references and pull-error messages
"""

from __future__ import annotations

from k8sedu.runtime.base import (
    ContainerConfig,
    ContainerRuntime,
    ContainerState,
    ContainerStatus,
    ExecResult,
    Mount,
    PortMapping,
    Progress,
    SandboxConfig,
    SandboxInfo,
)
from k8sedu.runtime.docker import DockerRuntime, docker_reachable
from k8sedu.runtime.errors import (
    ContainerCreateError,
    ContainerNotFound,
    ContainerRuntimeError,
    ContainerStartError,
    ExecTimeout,
    ImagePullError,
    RuntimeUnavailable,
)
from k8sedu.runtime.images import IMAGES, build_images, missing_images
from k8sedu.runtime.janitor import CleanupReport, cleanup_all
from k8sedu.runtime.sim import SimRuntime

__all__ = [
    "ContainerRuntime",
    "ContainerState",
    "PortMapping",
    "Mount",
    "SandboxConfig",
    "SandboxInfo",
    "ContainerConfig",
    "ContainerStatus",
    "ExecResult",
    "Progress",
    "DockerRuntime",
    "SimRuntime",
    "docker_reachable",
    "cleanup_all",
    "CleanupReport",
    "IMAGES",
    "build_images",
    "missing_images",
    "ContainerRuntimeError",
    "RuntimeUnavailable",
    "ImagePullError",
    "ContainerCreateError",
    "ContainerStartError",
    "ContainerNotFound",
    "ExecTimeout",
]

