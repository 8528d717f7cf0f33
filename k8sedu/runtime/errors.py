"""Errors of the container runtime, worded as the real kubelet shows them.

The kubelet turns these into container states and events, so their messages are the ones a student
would see on a real cluster (``kubectl describe pod``)::

    K8sEduError
    └── ContainerRuntimeError          any failure talking to the engine
        ├── RuntimeUnavailable         the engine does not answer (Docker not running)
        ├── ImagePullError             ErrImagePull: the image does not exist or cannot be fetched
        ├── ContainerCreateError       CreateContainerError: the engine refused to create it
        ├── ContainerStartError        RunContainerError: created, but the process could not start
        ├── ContainerNotFound          no container or sandbox with that id (already removed)
        └── ExecTimeout                an exec did not finish in time (exec probes: "command timed out")
"""

from __future__ import annotations

from k8sedu.errors import K8sEduError

__all__ = [
    "ContainerRuntimeError",
    "RuntimeUnavailable",
    "ImagePullError",
    "ContainerCreateError",
    "ContainerStartError",
    "ContainerNotFound",
    "ExecTimeout",
]


class ContainerRuntimeError(K8sEduError):
    """Base of the runtime's errors; ``str(err)`` is the engine's message."""


class RuntimeUnavailable(ContainerRuntimeError):
    """The container engine does not answer (for Docker: the daemon is not running or not reachable)."""


class ImagePullError(ContainerRuntimeError):
    """The image cannot be pulled; the kubelet reports ``ErrImagePull`` then ``ImagePullBackOff``.

    ``str(err)`` reads like containerd's answer, e.g.::

        rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:nope":
        failed to resolve reference "docker.io/library/nginx:nope": docker.io/library/nginx:nope: not found

    (one line). The kubelet's event is ``Failed to pull image "nginx:nope": <str(err)>``.
    ``not_found`` is True when the image does not exist (as opposed to a network failure).
    """

    def __init__(self, message: str, *, image: str = "", reference: str = "", not_found: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.image = image
        self.reference = reference
        self.not_found = not_found


class ContainerCreateError(ContainerRuntimeError):
    """The engine refused to create the container (kubelet reason ``CreateContainerError``)."""


class ContainerStartError(ContainerRuntimeError):
    """The container exists but its process did not start (kubelet reason ``RunContainerError``).

    Example message: ``failed to create shim task: OCI runtime create failed: ... exec: "nosuch":
    executable file not found in $PATH: unknown``. ``container_status`` then reports the container
    ``exited`` with exit code 128 and reason ``StartError``, as containerd-based kubelets do.
    """


class ContainerNotFound(ContainerRuntimeError):
    """No container (or sandbox) with this id: it was removed, or belongs to no cluster we know."""


class ExecTimeout(ContainerRuntimeError):
    """An exec did not finish within its timeout (an exec probe reports ``command timed out``)."""
