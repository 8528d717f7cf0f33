"""The ContainerRuntime protocol: the one seam between the kubelet and a container engine.

It plays the role of the CRI (Container Runtime Interface) in real Kubernetes: the kubelet never talks
to Docker itself, only to this interface, which has two implementations:

    DockerRuntime   real containers on a Docker engine (k8sedu.runtime.docker)
    SimRuntime      a model of containers driven by the cluster clock (k8sedu.runtime.sim)

How the kubelet uses it for one Pod (the same order as the real kubelet's SyncPod)::

    rt.has_image("k8sedu/pause")                 # ensure_images() made it at start
    sb = rt.create_sandbox(SandboxConfig(...))   # the pause container: holds the Pod's network namespace
    for c in pod.spec.containers:
        if not rt.has_image(c.image): rt.pull_image(c.image)       # ImagePullError -> ErrImagePull
        cid = rt.create_container(sb.id, ContainerConfig(...))      # joins sb's network namespace
        rt.start_container(cid)                                      # ContainerStartError -> RunContainerError
    ...
    rt.list_containers(node_name)                # relist every ~0.5 s (PLEG) -> what changed
    rt.container_status(cid)                     # exit code, OOMKilled, started/finished times
    rt.stop_container(cid, grace_seconds=30)     # SIGTERM, SIGKILL after the grace period
    rt.remove_container(cid); rt.stop_sandbox(sb.id); rt.remove_sandbox(sb.id)

Times (``started_at``, ``finished_at``, ``since``, grace periods, exec timeouts) are **cluster
seconds** on the cluster's clock (see ``k8sedu.clock``), so a sped-up cluster shortens grace periods too.

Every call may raise :class:`~k8sedu.runtime.errors.RuntimeUnavailable` if the engine went away, and
calls that take an id raise :class:`~k8sedu.runtime.errors.ContainerNotFound` for an unknown id.
Calls are thread-safe: several kubelets (one per node) share one runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from k8sedu.runtime.naming import (
    LABEL_ATTEMPT,
    LABEL_CONTAINER_NAME,
    LABEL_NODE,
    LABEL_POD_NAME,
    LABEL_POD_NAMESPACE,
    LABEL_POD_UID,
    LABEL_SANDBOX_ID,
    LABEL_TYPE,
    TYPE_SANDBOX,
)

__all__ = [
    "ContainerState",
    "PortMapping",
    "Mount",
    "SandboxConfig",
    "SandboxInfo",
    "ContainerConfig",
    "ContainerStatus",
    "ExecResult",
    "AttachStream",
    "ContainerRuntime",
    "Progress",
]

ContainerState = Literal["created", "running", "exited", "unknown"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class PortMapping:
    """One ``containerPort`` of the Pod, published on the host's 127.0.0.1.

    ``host_port`` None means "any free port" (the engine picks one; see ``SandboxInfo.published``).
    ``protocol`` is Kubernetes' spelling: "TCP" | "UDP" | "SCTP".
    """

    container_port: int
    protocol: str = "TCP"
    host_port: int | None = None


@dataclass(frozen=True)
class Mount:
    """A volume mounted into a container (kubelet's volume manager decides what to mount).

    Exactly one source: ``host_path`` (a folder or file on the machine running the cluster: hostPath,
    ConfigMap/Secret files the kubelet wrote) or ``volume`` (a named engine volume owned by the
    cluster, created on first use: emptyDir, PersistentVolume data).
    """

    container_path: str
    host_path: str | None = None
    volume: str | None = None
    read_only: bool = False


@dataclass
class SandboxConfig:
    """What the kubelet asks for when it creates a Pod's sandbox (CRI ``RunPodSandbox``)."""

    pod_uid: str
    pod_name: str
    namespace: str
    node_name: str
    hostname: str = ""  # "" -> the Pod name, as Kubernetes does
    ports: list[PortMapping] = field(default_factory=list)
    dns: list[str] | None = None  # nameservers for /etc/resolv.conf; None: the engine's default
    dns_search: list[str] | None = None  # search domains, e.g. ["default.svc.cluster.local", ...]
    extra_hosts: dict[str, str] | None = None  # hostname -> IP lines added to /etc/hosts
    labels: dict[str, str] = field(default_factory=dict)  # the Pod's labels (dockershim copies them)
    attempt: int = 0  # bumped when the kubelet has to re-create the sandbox


@dataclass(frozen=True)
class SandboxInfo:
    """A running sandbox: its id, the Pod IP, and where each container port is reachable on the host.

    ``published[(80, "TCP")] == 49153`` means http://127.0.0.1:49153 reaches port 80 of the Pod.
    """

    id: str
    name: str
    ip: str
    node_name: str
    published: dict[tuple[int, str], int] = field(default_factory=dict)


@dataclass
class ContainerConfig:
    """One container of a Pod (CRI ``CreateContainer``).

    ``command``/``args`` follow Kubernetes: ``command`` replaces the image's ENTRYPOINT, ``args``
    replace its CMD; with ``command`` set and no ``args`` the image's CMD is dropped. ``$(VAR)``
    references must already be expanded by the kubelet.
    """

    name: str
    image: str
    pod_name: str
    namespace: str
    pod_uid: str
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    cpu_millis_limit: int | None = None  # limits.cpu -> CFS quota (500 = half a CPU)
    cpu_millis_request: int | None = None  # requests.cpu -> CPU shares (relative weight)
    memory_bytes_limit: int | None = None  # limits.memory -> the OOM killer acts above it
    attempt: int = 0  # restartCount of this container
    stdin: bool = False  # keep stdin open for ``kubectl attach -i`` (spec ``stdin``)
    stdin_once: bool = False  # stdin closes after the first attach ends (spec ``stdinOnce``)
    tty: bool = False  # allocate a TTY (spec ``tty``)
    labels: dict[str, str] = field(default_factory=dict)  # extra labels
    mounts: list[Mount] = field(default_factory=list)
    node_name: str | None = None  # None: the sandbox's node


@dataclass(frozen=True)
class ContainerStatus:
    """What the engine knows about one container (sandboxes are containers too: ``is_sandbox``).

    ``reason`` for an exited container, as Kubernetes' ``state.terminated.reason``:
    "Completed" (exit 0), "Error" (other codes), "OOMKilled", "StartError" (never started; exit 128).
    Times are cluster seconds; ``started_at``/``finished_at`` are None until they happened.
    ``paused`` is True while the node is frozen (``pause_node``); ``state`` stays "running".
    """

    id: str
    name: str
    state: ContainerState
    exit_code: int | None = None
    started_at: float | None = None
    finished_at: float | None = None
    oom_killed: bool = False
    reason: str | None = None
    message: str | None = None
    image: str = ""
    image_id: str = ""
    created_at: float | None = None
    paused: bool = False
    labels: dict[str, str] = field(default_factory=dict)

    # -- what the labels say (enough to rebuild the kubelet's view after a restart) ---------------
    @property
    def pod_uid(self) -> str:
        return self.labels.get(LABEL_POD_UID, "")

    @property
    def pod_name(self) -> str:
        return self.labels.get(LABEL_POD_NAME, "")

    @property
    def namespace(self) -> str:
        return self.labels.get(LABEL_POD_NAMESPACE, "")

    @property
    def container_name(self) -> str:
        """The Kubernetes container name ("POD" for a sandbox)."""
        return self.labels.get(LABEL_CONTAINER_NAME, "")

    @property
    def node_name(self) -> str:
        return self.labels.get(LABEL_NODE, "")

    @property
    def attempt(self) -> int:
        try:
            return int(self.labels.get(LABEL_ATTEMPT, "0"))
        except ValueError:
            return 0

    @property
    def is_sandbox(self) -> bool:
        return self.labels.get(LABEL_TYPE) == TYPE_SANDBOX

    @property
    def sandbox_id(self) -> str:
        """For an app container, the id of its Pod's sandbox; for a sandbox, its own id."""
        return self.id if self.is_sandbox else self.labels.get(LABEL_SANDBOX_ID, "")


@dataclass(frozen=True)
class ExecResult:
    """The outcome of ``exec``: exit code and the decoded output streams."""

    exit_code: int
    stdout: str
    stderr: str


class AttachStream(Protocol):
    """A running container's main process as ``kubectl attach`` sees it (CRI ``Attach``): what it
    writes from now on, and its stdin if it was created with one (``stdin: true``)."""

    def read(self) -> tuple[int, bytes] | None:
        """The next output chunk as (1 stdout | 2 stderr, bytes); None once the container exited
        or the stream was closed. Blocks."""

    def write(self, data: bytes) -> None:
        """Send bytes to the process's stdin (dropped if it has none)."""

    def close_stdin(self) -> None:
        """End of input (as ``Ctrl-D``)."""

    def close(self) -> None:
        """Detach: the process keeps running. Unblocks a pending ``read``."""


@runtime_checkable
class ContainerRuntime(Protocol):
    """A container engine as the kubelet sees it. See the module docstring for the call order."""

    name: str  # "docker" | "sim"
    cluster_id: str  # everything made is labelled k8sedu.cluster=<cluster_id>

    # -- images -----------------------------------------------------------------------------------
    def ensure_images(self, progress: Progress | None = None) -> None:
        """Build the offline images (k8sedu/pause, busybox, web:v1, web:v2) that are missing."""

    def has_image(self, image: str) -> bool:
        """True if the image is present locally (``nginx`` means ``nginx:latest``)."""

    def list_images(self) -> list[dict[str, Any]]:
        """The images present, as a Node's ``status.images`` lists them:
        ``[{"names": ["k8sedu/web:v1", ...], "sizeBytes": 1234567}]``, largest first."""

    def version(self) -> str:
        """The engine's version, for ``nodeInfo.containerRuntimeVersion`` (``docker://<this>``)."""

    def pull_image(self, image: str) -> None:
        """Fetch the image; ours (k8sedu/*) are built locally. Raises ImagePullError."""

    # -- sandboxes (the pause container) ------------------------------------------------------------
    def create_sandbox(self, config: SandboxConfig) -> SandboxInfo:
        """Create and start the Pod's pause container, on the cluster network, ports published."""

    def stop_sandbox(self, sandbox_id: str) -> None:
        """Stop the pause container (the Pod's network goes away). Idempotent."""

    def remove_sandbox(self, sandbox_id: str) -> None:
        """Remove the pause container (stopping it first if needed). Idempotent.

        Remove the Pod's app containers first: they share the sandbox's network namespace.
        """

    # -- containers ---------------------------------------------------------------------------------
    def create_container(self, sandbox_id: str, config: ContainerConfig) -> str:
        """Create (not start) an app container inside the sandbox; returns its id."""

    def start_container(self, container_id: str) -> None:
        """Start a created container. Raises ContainerStartError if its process cannot start."""

    def stop_container(self, container_id: str, grace_seconds: float) -> None:
        """SIGTERM, then SIGKILL when ``grace_seconds`` have passed; returns once it has exited."""

    def kill_container(self, container_id: str, signal: str = "SIGKILL") -> None:
        """Send a signal now (SIGKILL: exit code 137), like ``docker kill``."""

    def remove_container(self, container_id: str) -> None:
        """Remove the container (force: a running one is killed). Idempotent."""

    def container_status(self, container_id: str) -> ContainerStatus:
        """Full status of one container or sandbox (one engine call)."""

    def list_containers(self, node_name: str | None = None) -> list[ContainerStatus]:
        """Every container and sandbox of this cluster (of one node if given), with labels.

        Cheap enough to call every 0.5 s: one engine call, plus one inspect per container whose
        state changed since the previous call (exit codes need it), as PLEG's relist.
        """

    def remove_volume(self, name: str) -> None:
        """Remove a named volume of this cluster (an emptyDir of a deleted Pod). Idempotent."""

    # -- looking inside -------------------------------------------------------------------------------
    def logs(
        self, container_id: str, tail: int | None = None, since: float | None = None, timestamps: bool = False
    ) -> str:
        """stdout and stderr so far, one line per line; ``timestamps`` prefixes RFC3339Nano times."""

    def follow_logs(
        self, container_id: str, tail: int | None = None, since: float | None = None, timestamps: bool = False
    ) -> Iterator[str]:
        """Yield log lines (without the newline) as they are written; ends when the container exits.

        Call ``.close()`` on the iterator to stop early.
        """

    def exec(
        self, container_id: str, cmd: list[str], stdin: bytes | None = None, timeout: float | None = None
    ) -> ExecResult:
        """Run a command in a running container (``kubectl exec``, exec probes). ExecTimeout on timeout."""

    def attach(self, container_id: str, stdin: bool = False) -> AttachStream:
        """Attach to the container's main process (``kubectl attach``): its output from now on,
        and its stdin when *stdin* and the container was created with one."""

    def port_address(self, sandbox_id: str, port: int) -> tuple[str, int]:
        """Where the host can open a TCP connection to *port* inside the Pod's network namespace
        (``kubectl port-forward``): the Pod IP on Linux Docker, a 127.0.0.1 port for the sim."""

    def stats(self, container_id: str) -> dict[str, int]:
        """Current usage, best effort: ``{"cpu_millis", "memory_bytes", "cpu_usage_nanos",
        "read_nanos"}``. ``cpu_usage_nanos`` is the container's cumulative CPU time and ``read_nanos``
        when it was read (real time for Docker, cluster time for the sim): two samples give the
        rate in cores, as metrics-server computes it from the kubelet's cumulative counters.
        ``memory_bytes`` is the working set (usage minus inactive file cache), what ``kubectl top``
        shows."""

    # -- nodes and the whole cluster ----------------------------------------------------------------
    def pause_node(self, node_name: str) -> None:
        """Freeze every container of the node (``docker pause``): a failed machine."""

    def unpause_node(self, node_name: str) -> None:
        """Thaw the node's containers."""

    def cleanup(self) -> int:
        """Remove every container, network and volume of this cluster; returns how many."""

    def close(self) -> None:
        """Release connections and threads. Does not remove containers (``cleanup`` does)."""
