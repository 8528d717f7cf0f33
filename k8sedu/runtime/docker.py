"""DockerRuntime: Pods as real Docker containers, named and labelled the way dockershim did it.

One Pod on the engine::

    network k8sedu-<cluster>  (a user bridge network per cluster)
      └── k8s_POD_web-x2k8p_default_<uid>_0      k8sedu/pause, hostname web-x2k8p, IP 172.19.0.5,
            │                                    ports published on 127.0.0.1 (80/tcp -> 127.0.0.1:49153)
            ├── k8s_web_web-x2k8p_default_<uid>_0       network_mode=container:<pause id> (shares
            └── k8s_sidecar_web-x2k8p_default_<uid>_0   its IP, ports, hostname and localhost)

Speed matters (a Deployment of 10 Pods is 20 containers): one SDK client is reused, the low-level
API is called directly (the high-level ``containers.create`` inspects after every create), and
``list_containers`` inspects only containers whose state changed since the last relist, each at most
once however many threads (three PLEGs, the pod workers) list at the same time. A container this
runtime is starting right now is not inspected at all: the engine holds the container's lock for
the whole start, so an inspect would wait (hundreds of ms on a busy engine) to learn "created".

The ``docker`` Python package is imported lazily, so a sim-only installation works without it.
"""

from __future__ import annotations

import calendar
import math
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from k8sedu.clock import Clock
from k8sedu.runtime import images as _images
from k8sedu.runtime.base import (
    ContainerConfig,
    ContainerState,
    ContainerStatus,
    ExecResult,
    Progress,
    SandboxConfig,
    SandboxInfo,
)
from k8sedu.runtime.errors import (
    ContainerCreateError,
    ContainerNotFound,
    ContainerRuntimeError,
    ContainerStartError,
    ExecTimeout,
    ImagePullError,
    RuntimeUnavailable,
)
from k8sedu.runtime.janitor import force_remove, owner_labels, remove_cluster_resources
from k8sedu.runtime.naming import (
    LABEL_ATTEMPT,
    LABEL_CLUSTER,
    LABEL_CONTAINER_NAME,
    LABEL_NODE,
    LABEL_POD_NAME,
    LABEL_POD_NAMESPACE,
    LABEL_POD_UID,
    LABEL_RESTART_COUNT,
    LABEL_SANDBOX_ID,
    LABEL_TYPE,
    POD_CONTAINER_NAME,
    TYPE_CONTAINER,
    TYPE_SANDBOX,
    container_name,
    network_name,
    normalize_image,
    pull_failed_message,
    pull_not_found_message,
    sandbox_name,
    volume_name,
)

__all__ = ["DockerRuntime", "docker_reachable", "connect", "UNAVAILABLE_MESSAGE"]

UNAVAILABLE_MESSAGE = (
    "无法连接 Docker：请先启动 Docker（Docker Desktop 或 `sudo systemctl start docker`），"
    "或使用模拟运行时 Cluster(runtime=\"sim\")。"
    " (Cannot connect to Docker: start Docker Desktop / the docker daemon, or use runtime=\"sim\".)"
)
PAUSE_IMAGE = "k8sedu/pause:latest"
LOG_CONFIG = {"type": "json-file", "config": {"max-size": "10m", "max-file": "2"}}  # kubelet's 10Mi
SANDBOX_STOP_SECONDS = 2
_OOM_EVENT_WAIT = 5.0  # seconds an exit 137 under a memory limit may wait for the engine's OOM flag


def _sdk() -> Any:
    try:
        import docker
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise RuntimeUnavailable("the `docker` Python package is not installed (pip install docker)") from e
    return docker


def _probe(timeout: float) -> None:
    """Fail fast, and without leaking a socket, when DOCKER_HOST (default: the unix socket) is dead.

    (The SDK leaves the socket of a failed first connection open.)
    """
    host = os.environ.get("DOCKER_HOST", "") or "unix:///var/run/docker.sock"
    if host.startswith("unix://"):
        family, address = socket.AF_UNIX, host[len("unix://") :]
    elif host.startswith("tcp://"):
        hostport = host[len("tcp://") :].split("/", 1)[0]
        name, _, port = hostport.rpartition(":")
        family, address = socket.AF_INET, (name or "127.0.0.1", int(port or 2375))  # type: ignore[assignment]
    else:
        return  # npipe://, ssh://: let the SDK try
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError as e:
            raise RuntimeUnavailable(f"{UNAVAILABLE_MESSAGE}: {host}: {e.strerror or e}") from e


def connect(timeout: float = 60.0) -> Any:
    """A docker SDK client from the environment (DOCKER_HOST…), pinged; RuntimeUnavailable if none."""
    docker = _sdk()
    _probe(min(timeout, 5.0))
    try:
        client = docker.from_env(timeout=timeout, max_pool_size=32)
        client.ping()
    except Exception as e:
        raise RuntimeUnavailable(f"{UNAVAILABLE_MESSAGE}: {e}") from e
    return client


def docker_reachable(timeout: float = 2.0) -> bool:
    """True if a Docker engine answers within *timeout* seconds (used by ``runtime="auto"``)."""
    try:
        client = connect(timeout=timeout)
    except RuntimeUnavailable:
        return False
    client.close()
    return True


def _parse_time(text: str | None) -> float | None:
    """Docker's RFC3339Nano (``2026-11-27T13:11:54.575630878Z``) -> epoch seconds; zero time -> None."""
    if not text or text.startswith("0001-"):
        return None
    text = text.rstrip("Z")
    main, _, frac = text.partition(".")
    t = float(calendar.timegm(time.strptime(main[:19], "%Y-%m-%dT%H:%M:%S")))
    digits = re.match(r"\d*", frac)
    if digits and digits.group(0):
        t += float("0." + digits.group(0)[:9])
    return t


class _Inspection:
    """One inspect in flight, that other listing threads wait for."""

    __slots__ = ("done", "status", "state", "failed")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.status: ContainerStatus | None = None
        self.state = ""  # the engine's state string the inspect saw
        self.failed = False


_STATE = {"created": "created", "running": "running", "paused": "running", "restarting": "running",
          "exited": "exited", "dead": "exited", "removing": "exited"}  # fmt: skip


def _rewrite_resolv_conf(info: dict[str, Any], nameservers: list[str], search: list[str]) -> None:
    """Point the sandbox's ``/etc/resolv.conf`` at *nameservers* itself, as dockershim's
    ``rewriteResolvFile`` did: on a user-defined network the engine writes its embedded DNS
    (127.0.0.11) there, which would only forward to ours. The Pod's containers share the file.
    When the file is not on this host (Docker Desktop), the embedded DNS forwarding stays."""
    path = info.get("ResolvConfPath") or ""
    text = "".join(f"nameserver {ns}\n" for ns in nameservers)
    text += ("search " + " ".join(search) + "\n" if search else "") + "options ndots:5\n"
    try:
        if path and os.path.isfile(path):
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    except OSError:
        pass


class DockerRuntime:
    """The :class:`~k8sedu.runtime.base.ContainerRuntime` on a Docker engine.

    ``clock`` converts the cluster's time to the engine's real time (grace periods, timestamps); None
    means real time (speed 1). ``client`` injects an SDK client (default: :func:`connect`).
    """

    name = "docker"

    def __init__(
        self, cluster_id: str, owner_pid: int | None = None, clock: Clock | None = None, client: Any = None
    ) -> None:
        self.cluster_id = cluster_id
        self.owner_pid = owner_pid or os.getpid()
        self._clock = clock
        self._client = client or connect()
        self._api = self._client.api
        self._owner = owner_labels(cluster_id, self.owner_pid)
        # guards _network, _sandboxes and _statuses; taken alone, never held across an engine call
        # except while creating the network (so two kubelets do not both create it).
        self._lock = threading.Lock()
        self._network: str | None = None
        self._service_addresses: tuple[str, str] | None = None  # see service_addresses()
        self.cluster_dns: str | None = None  # the nameserver of ClusterFirst Pods (set by the Cluster)
        self._sandboxes: dict[str, SandboxInfo] = {}
        # PLEG-style relist cache: id -> (engine state string, status built from one inspect)
        self._statuses: dict[str, tuple[str, ContainerStatus]] = {}
        self._inspecting: dict[str, _Inspection] = {}  # id -> the inspect in flight (single flight)
        self._starting: set[str] = set()  # ids whose `start` call is in flight
        self._signalled: set[str] = set()  # ids we stopped or killed: their exit 137 is ours, not an OOM kill

    # -- time: cluster seconds <-> engine (real) seconds ---------------------------------------------
    def _to_cluster(self, real: float | None) -> float | None:
        if real is None or self._clock is None:
            return real
        return self._clock.now() - (time.time() - real) * self._clock.speed

    def _to_real(self, cluster: float) -> float:
        if self._clock is None:
            return cluster
        return time.time() - (self._clock.now() - cluster) / self._clock.speed

    def _real_seconds(self, seconds: float) -> float:
        return self._clock.real_seconds(seconds) if self._clock else max(0.0, seconds)

    # -- errors ---------------------------------------------------------------------------------------
    @contextmanager
    def _errors(self, what: str, ident: str = "") -> Iterator[None]:
        """Translate SDK exceptions into the runtime's typed errors."""
        docker = _sdk()
        import requests

        try:
            yield
        except docker.errors.NotFound as e:
            raise ContainerNotFound(f"{what}: no such container: {ident or e.explanation}") from e
        except docker.errors.APIError as e:
            raise ContainerRuntimeError(f"{what}: {e.explanation or e}") from e
        except requests.exceptions.ConnectionError as e:
            raise RuntimeUnavailable(f"{UNAVAILABLE_MESSAGE}: {e}") from e

    # -- images ---------------------------------------------------------------------------------------
    def ensure_images(self, progress: Progress | None = None) -> None:
        with self._errors("building images"):
            _images.build_images(self._client, progress=progress)

    def has_image(self, image: str) -> bool:
        docker = _sdk()
        with self._errors("inspecting image", image):
            try:
                self._api.inspect_image(image)
                return True
            except docker.errors.ImageNotFound:
                return False

    def list_images(self) -> list[dict[str, Any]]:
        with self._errors("listing images"):
            images = self._api.images()
        out: list[dict[str, Any]] = [
            {"names": list(img.get("RepoDigests") or []) + list(img.get("RepoTags") or []),
             "sizeBytes": int(img.get("Size") or 0)}
            for img in images
            if img.get("RepoTags") and img["RepoTags"] != ["<none>:<none>"]
        ]
        out.sort(key=lambda i: -int(i["sizeBytes"]))
        return out[:50]  # upstream's kubelet reports at most 50 (nodeStatusMaxImages)

    def version(self) -> str:
        with self._errors("asking the engine's version"):
            return str(self._client.version().get("Version", "unknown"))

    def pull_image(self, image: str) -> None:
        if _images.is_ours(image):
            with self._errors("building image", image):
                _images.build_images(self._client, only=[image])
            return
        docker = _sdk()
        repo, tag = docker.utils.parse_repository_tag(image)
        if tag is None:
            tag = "latest"
        try:
            for chunk in self._api.pull(repo, tag=tag, stream=True, decode=True):
                if "error" in chunk:
                    raise _pull_error(image, str(chunk["error"]))
        except docker.errors.APIError as e:
            raise _pull_error(image, str(e.explanation or e)) from e

    # -- sandboxes ------------------------------------------------------------------------------------
    def _ensure_network(self) -> str:
        if self._network:
            return self._network
        docker = _sdk()
        name = network_name(self.cluster_id)
        with self._lock:
            if self._network:
                return self._network
            with self._errors("creating network", name):
                if not any(n["Name"] == name for n in self._api.networks(names=[name])):
                    try:
                        self._api.create_network(name, driver="bridge", labels=self._owner, check_duplicate=True)
                    except docker.errors.APIError as e:
                        text = str(e.explanation or e)
                        if "non-overlapping" in text:  # the engine's address pools are used up
                            self._create_network_in_own_pool(name)
                        elif "already exists" not in text:
                            raise
            self._network = name
            return name

    def _create_network_in_own_pool(self, name: str) -> None:
        """Docker's default pools hold ~30 networks; a lab server may run more clusters than that."""
        docker = _sdk()
        start = int(self.cluster_id.encode().hex()[-4:] or "0", 16) % 256
        for i in range(64):
            subnet = f"10.213.{(start + i) % 256}.0/24"
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
            try:
                self._api.create_network(name, driver="bridge", labels=self._owner, ipam=ipam, check_duplicate=True)
                return
            except docker.errors.APIError as e:
                if "overlap" not in str(e.explanation or e):
                    raise
        raise ContainerRuntimeError(f"creating network {name}: no free address pool")

    def _create(self, what: str, name: str, image: str, **kwargs: Any) -> str:
        """create_container, handling a leftover of the same name and an image of ours not built yet."""
        docker = _sdk()
        for attempt in range(3):
            try:
                return str(self._api.create_container(image, name=name, **kwargs)["Id"])
            except docker.errors.ImageNotFound as e:
                if attempt == 0 and _images.is_ours(image):
                    _images.build_images(self._client, only=[image])
                    continue
                raise ContainerCreateError(f"{what}: {e.explanation or e}") from e
            except docker.errors.APIError as e:
                text = str(e.explanation or e)
                if e.status_code == 409 and "already in use" in text and attempt < 2 and self._remove_leftover(name):
                    continue
                raise ContainerCreateError(f"{what}: {text}") from e
        raise ContainerCreateError(f"{what}: could not create {name}")  # pragma: no cover

    def _remove_leftover(self, name: str) -> bool:
        """A container of ours with this name is in the way (a crashed kubelet): remove it."""
        try:
            info = self._api.inspect_container(name)
        except Exception:
            return True  # gone meanwhile: retry
        if (info["Config"].get("Labels") or {}).get(LABEL_CLUSTER) != self.cluster_id:
            return False
        self._api.remove_container(info["Id"], force=True, v=True)
        return True

    def service_addresses(self) -> tuple[str, str]:
        """(the address containers use to reach the host, the host address to listen on for them).

        On Linux both are the gateway of the cluster's network (the host's side of its bridge). On
        Docker Desktop the engine runs in a VM: containers reach the host's 127.0.0.1 through the
        special ``host-gateway`` address, which the engine writes into ``/etc/hosts`` itself.
        """
        if self._service_addresses is None:
            net = self._ensure_network()
            with self._errors("inspecting network", net):
                desktop = "Docker Desktop" in str(self._api.info().get("OperatingSystem", ""))
                configs = (self._api.inspect_network(net).get("IPAM") or {}).get("Config") or []
            gateway = next((str(c["Gateway"]) for c in configs if "." in str(c.get("Gateway", ""))), "")
            self._service_addresses = ("host-gateway", "127.0.0.1") if desktop else (gateway, gateway)
        return self._service_addresses

    def create_sandbox(self, config: SandboxConfig) -> SandboxInfo:
        net = self._ensure_network()
        name = sandbox_name(config.pod_name, config.namespace, config.pod_uid, config.attempt)
        bindings: dict[str, tuple[Any, ...]] = {}
        exposed: list[tuple[int, str]] = []
        for pm in config.ports:
            proto = pm.protocol.lower()
            exposed.append((pm.container_port, proto))
            bindings[f"{pm.container_port}/{proto}"] = ("127.0.0.1", pm.host_port) if pm.host_port else ("127.0.0.1",)
        labels = {
            **config.labels,
            LABEL_POD_UID: config.pod_uid,
            LABEL_POD_NAME: config.pod_name,
            LABEL_POD_NAMESPACE: config.namespace,
            LABEL_CONTAINER_NAME: POD_CONTAINER_NAME,
            LABEL_TYPE: TYPE_SANDBOX,
            LABEL_NODE: config.node_name,
            LABEL_ATTEMPT: str(config.attempt),
            **self._owner,
        }
        dns = config.dns or ([self.cluster_dns] if self.cluster_dns and config.dns_search else None)
        with self._errors("creating sandbox", name):
            host_config = self._api.create_host_config(
                network_mode=net,
                ipc_mode="shareable",  # the Pod's containers join its IPC namespace, as dockershim did
                port_bindings=bindings or None,
                dns=dns,
                dns_opt=["ndots:5"] if dns else None,
                dns_search=config.dns_search or None,
                extra_hosts=config.extra_hosts or None,
                log_config=LOG_CONFIG,
            )
        cid = self._create(
            "creating sandbox",
            name,
            PAUSE_IMAGE,
            hostname=config.hostname or config.pod_name,
            labels=labels,
            ports=exposed or None,
            host_config=host_config,
        )
        docker = _sdk()
        try:
            with self._start_in_flight(cid):
                self._api.start(cid)
        except docker.errors.APIError as e:  # e.g. "port is already allocated"
            self._api.remove_container(cid, force=True)
            raise ContainerStartError(f"starting sandbox {name}: {e.explanation or e}") from e
        with self._errors("inspecting sandbox", cid):
            info = self._api.inspect_container(cid)
        if dns:
            _rewrite_resolv_conf(info, dns, config.dns_search or [])
        sandbox = self._sandbox_from_inspect(info)
        status = self._status_from_inspect(info)
        with self._lock:
            self._sandboxes[cid] = sandbox
            # the next relist finds it already inspected (the IP needed this inspect anyway)
            self._statuses[cid] = ((info.get("State") or {}).get("Status", ""), status)
        return sandbox

    def _sandbox_from_inspect(self, info: dict[str, Any]) -> SandboxInfo:
        settings = info.get("NetworkSettings") or {}
        networks = settings.get("Networks") or {}
        net: dict[str, Any] = networks.get(network_name(self.cluster_id)) or next(iter(networks.values()), {})
        published: dict[tuple[int, str], int] = {}
        for key, binds in (settings.get("Ports") or {}).items():
            port, _, proto = key.partition("/")
            for b in binds or []:
                if b.get("HostIp") in ("127.0.0.1", "0.0.0.0", "") and b.get("HostPort"):
                    published[(int(port), proto.upper())] = int(b["HostPort"])
                    break
        labels = info["Config"].get("Labels") or {}
        return SandboxInfo(
            id=info["Id"],
            name=info["Name"].lstrip("/"),
            ip=net.get("IPAddress", "") if net else "",
            node_name=labels.get(LABEL_NODE, ""),
            published=published,
        )

    def _sandbox(self, sandbox_id: str) -> SandboxInfo:
        with self._lock:
            known = self._sandboxes.get(sandbox_id)
        if known:
            return known
        with self._errors("inspecting sandbox", sandbox_id):
            info = self._api.inspect_container(sandbox_id)
        sandbox = self._sandbox_from_inspect(info)
        with self._lock:
            self._sandboxes[sandbox.id] = sandbox
        return sandbox

    def stop_sandbox(self, sandbox_id: str) -> None:
        docker = _sdk()
        try:
            self._api.stop(sandbox_id, timeout=SANDBOX_STOP_SECONDS)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            raise ContainerRuntimeError(f"stopping sandbox: {e.explanation or e}") from e
        self._forget(sandbox_id)

    def remove_sandbox(self, sandbox_id: str) -> None:
        self.remove_container(sandbox_id)
        with self._lock:
            self._sandboxes.pop(sandbox_id, None)

    # -- containers -----------------------------------------------------------------------------------
    def _volume(self, name: str) -> str:
        full = volume_name(self.cluster_id, name)
        with self._errors("creating volume", full):
            self._api.create_volume(full, labels=self._owner)  # returns the existing one if any
        return full

    def remove_volume(self, name: str) -> None:
        """Remove a named volume of this cluster (an emptyDir of a deleted Pod). Idempotent."""
        docker = _sdk()
        full = volume_name(self.cluster_id, name)
        try:
            self._api.remove_volume(full, force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            raise ContainerRuntimeError(f"removing volume {full}: {e.explanation or e}") from e

    def create_container(self, sandbox_id: str, config: ContainerConfig) -> str:
        docker = _sdk()
        sandbox = self._sandbox(sandbox_id)
        name = container_name(config.name, config.pod_name, config.namespace, config.pod_uid, config.attempt)
        labels = {
            **config.labels,
            LABEL_POD_UID: config.pod_uid,
            LABEL_POD_NAME: config.pod_name,
            LABEL_POD_NAMESPACE: config.namespace,
            LABEL_CONTAINER_NAME: config.name,
            LABEL_TYPE: TYPE_CONTAINER,
            LABEL_SANDBOX_ID: sandbox.id,
            LABEL_RESTART_COUNT: str(config.attempt),
            LABEL_NODE: config.node_name or sandbox.node_name,
            LABEL_ATTEMPT: str(config.attempt),
            **self._owner,
        }
        mounts = []
        for m in config.mounts:
            if m.volume:
                source, kind = self._volume(m.volume), "volume"
            else:
                source, kind = str(m.host_path), "bind"
            mounts.append(docker.types.Mount(m.container_path, source, type=kind, read_only=m.read_only))
        limits: dict[str, Any] = {}
        if config.cpu_millis_limit:
            limits["nano_cpus"] = int(config.cpu_millis_limit) * 1_000_000
        if config.cpu_millis_request:
            limits["cpu_shares"] = max(2, int(config.cpu_millis_request) * 1024 // 1000)  # as the kubelet
        if config.memory_bytes_limit:
            limits["mem_limit"] = int(config.memory_bytes_limit)
            limits["memswap_limit"] = int(config.memory_bytes_limit)  # no swap, as Kubernetes
        with self._errors("creating container", name):
            host_config = self._api.create_host_config(
                network_mode=f"container:{sandbox.id}",
                ipc_mode=f"container:{sandbox.id}",
                mounts=mounts or None,
                log_config=LOG_CONFIG,
                **limits,
            )
        cid = self._create(
            f"creating container {config.name}",
            name,
            config.image,
            # Kubernetes: command replaces ENTRYPOINT, args replace CMD; with a command, the image's
            # CMD is dropped (the engine does so when Entrypoint is given and Cmd is not).
            entrypoint=list(config.command) or None,
            command=list(config.args) or None,
            environment={k: str(v) for k, v in config.env.items()} or None,
            working_dir=config.working_dir or None,
            labels=labels,
            host_config=host_config,
            stdin_open=config.stdin,
            tty=config.tty,
        )
        return cid

    @contextmanager
    def _start_in_flight(self, container_id: str) -> Iterator[None]:
        with self._lock:
            self._starting.add(container_id)
        try:
            yield
        finally:
            with self._lock:
                self._starting.discard(container_id)
                self._statuses.pop(container_id, None)  # whatever was cached is older than the start

    def start_container(self, container_id: str) -> None:
        docker = _sdk()
        self._forget(container_id)
        try:
            with self._start_in_flight(container_id):
                self._api.start(container_id)
        except docker.errors.NotFound as e:
            raise ContainerNotFound(f"starting container: no such container: {container_id}") from e
        except docker.errors.APIError as e:
            raise ContainerStartError(str(e.explanation or e)) from e

    def stop_container(self, container_id: str, grace_seconds: float) -> None:
        with self._lock:
            self._signalled.add(container_id)
        # `docker stop -t N`: SIGTERM, SIGKILL after N seconds (whole seconds: the engine's API).
        timeout = max(0, math.ceil(self._real_seconds(grace_seconds) - 1e-9))
        with self._errors("stopping container", container_id):
            self._api.stop(container_id, timeout=timeout)
        self._forget(container_id)

    def kill_container(self, container_id: str, signal: str = "SIGKILL") -> None:
        with self._lock:
            self._signalled.add(container_id)
        docker = _sdk()
        try:
            self._api.kill(container_id, signal=signal)
        except docker.errors.NotFound as e:
            raise ContainerNotFound(f"killing container: no such container: {container_id}") from e
        except docker.errors.APIError as e:
            if "is not running" not in str(e.explanation or e):
                raise ContainerRuntimeError(f"killing container: {e.explanation or e}") from e
        self._forget(container_id)

    def remove_container(self, container_id: str) -> None:
        with self._errors("removing container", container_id):
            force_remove(self._api, container_id)
        self._forget(container_id)

    def _forget(self, container_id: str) -> None:
        with self._lock:
            self._statuses.pop(container_id, None)
            self._signalled.discard(container_id)

    def _status_from_inspect(self, info: dict[str, Any]) -> ContainerStatus:
        st = info.get("State") or {}
        engine_state = st.get("Status", "")
        labels = (info.get("Config") or {}).get("Labels") or {}
        common: dict[str, Any] = dict(
            id=info["Id"],
            name=info.get("Name", "").lstrip("/"),
            image=(info.get("Config") or {}).get("Image", ""),
            image_id=info.get("Image", ""),
            created_at=self._to_cluster(_parse_time(info.get("Created"))),
            labels=labels,
        )
        error = st.get("Error") or None
        if engine_state == "created" and error:  # the process never started
            return ContainerStatus(state="exited", exit_code=128, reason="StartError", message=error,
                                   finished_at=common["created_at"], **common)  # fmt: skip
        state: ContainerState = _STATE.get(engine_state, "unknown")  # type: ignore[assignment]
        exit_code = int(st.get("ExitCode", 0)) if state == "exited" else None
        oom = bool(st.get("OOMKilled")) and state == "exited"
        reason = None
        if state == "exited":
            reason = "OOMKilled" if oom else ("Completed" if exit_code == 0 else "Error")
        return ContainerStatus(
            state=state,
            exit_code=exit_code,
            started_at=self._to_cluster(_parse_time(st.get("StartedAt"))),
            finished_at=self._to_cluster(_parse_time(st.get("FinishedAt"))) if state == "exited" else None,
            oom_killed=oom,
            reason=reason,
            message=error,
            paused=bool(st.get("Paused")),
            **common,
        )

    def _inspect(self, container_id: str) -> dict[str, Any]:
        """Inspect; for an exit 137 that does not say OOMKilled yet, look again for a few seconds.

        The engine learns of a kernel OOM kill from a separate event that may land a while after
        the exit itself (seconds on a busy machine), so the first look can show a plain SIGKILL.
        Containers this runtime stopped or killed are not waited for."""
        info = self._api.inspect_container(container_id)
        deadline = time.monotonic() + _OOM_EVENT_WAIT
        with self._lock:
            ours = container_id in self._signalled or info.get("Id") in self._signalled
        while True:
            st = info.get("State") or {}
            maybe_oom = (not ours and st.get("Status") == "exited" and int(st.get("ExitCode", 0)) == 137
                         and not st.get("OOMKilled")
                         and ((info.get("HostConfig") or {}).get("Memory") or 0) > 0)
            if not maybe_oom or time.monotonic() > deadline:
                return info
            time.sleep(0.05)
            info = self._api.inspect_container(container_id)

    def container_status(self, container_id: str) -> ContainerStatus:
        with self._errors("inspecting container", container_id):
            info = self._inspect(container_id)
        return self._status_from_inspect(info)

    def _status_from_summary(self, s: dict[str, Any]) -> ContainerStatus:
        """A container still being started, from the list entry alone (state "created")."""
        created = s.get("Created")
        return ContainerStatus(
            id=s["Id"],
            name=((s.get("Names") or [""])[0]).lstrip("/"),
            state="created",
            image=s.get("Image", ""),
            image_id=s.get("ImageID", ""),
            created_at=self._to_cluster(float(created)) if created else None,
            labels=s.get("Labels") or {},
        )

    def _inspect_status(self, cid: str, engine_state: str) -> ContainerStatus | None:
        """Inspect *cid* and cache the result; if another thread is inspecting it already, wait for
        that answer instead of asking the engine again (if it saw the *engine_state* this caller's
        list showed). None if the container is gone."""
        docker = _sdk()
        with self._lock:
            flight = self._inspecting.get(cid)
            owner = flight is None
            if owner:
                flight = self._inspecting[cid] = _Inspection()
        assert flight is not None
        if not owner:
            flight.done.wait()
            if not flight.failed and (flight.status is None or flight.state == engine_state):
                return flight.status
            # it failed, or it answered before the change this caller saw: ask the engine again
        try:
            info = self._inspect(cid)
            status: ContainerStatus | None = self._status_from_inspect(info)
            state = (info.get("State") or {}).get("Status", "")
        except docker.errors.NotFound:
            status, state = None, ""  # removed between the list and the inspect
        except docker.errors.APIError as e:
            if owner:
                self._land(cid, flight, None, failed=True)
            raise ContainerRuntimeError(f"inspecting container: {e.explanation or e}") from e
        except BaseException:
            if owner:
                self._land(cid, flight, None, failed=True)
            raise
        if owner:
            flight.state = state
            self._land(cid, flight, status, failed=False)
        with self._lock:
            if status is not None and cid not in self._starting:
                self._statuses[cid] = (state, status)
        return status

    def _land(self, cid: str, flight: _Inspection, status: ContainerStatus | None, failed: bool) -> None:
        flight.status, flight.failed = status, failed
        with self._lock:
            if self._inspecting.get(cid) is flight:
                del self._inspecting[cid]
        flight.done.set()

    def list_containers(self, node_name: str | None = None) -> list[ContainerStatus]:
        labels = [f"{LABEL_CLUSTER}={self.cluster_id}"]
        if node_name:
            labels.append(f"{LABEL_NODE}={node_name}")
        with self._errors("listing containers"):
            summaries = self._api.containers(all=True, filters={"label": labels})
        out: list[ContainerStatus] = []
        seen: set[str] = set()
        for s in summaries:
            cid, engine_state = s["Id"], s.get("State", "")
            seen.add(cid)
            with self._lock:
                cached = self._statuses.get(cid)
                starting = cid in self._starting
            if cached and cached[0] == engine_state:
                out.append(cached[1])
                continue
            if starting and engine_state == "created":
                out.append(self._status_from_summary(s))  # not cached: the start is about to change it
                continue
            status = self._inspect_status(cid, engine_state)
            if status is not None:
                out.append(status)
        with self._lock:  # drop what is gone (only within what this call listed)
            for cid in [c for c, (_, st) in self._statuses.items() if c not in seen]:
                if node_name is None or self._statuses[cid][1].node_name == node_name:
                    del self._statuses[cid]
        return out

    # -- looking inside -------------------------------------------------------------------------------
    def _log_args(self, tail: int | None, since: float | None, timestamps: bool) -> dict[str, Any]:
        kw: dict[str, Any] = {"stdout": True, "stderr": True, "timestamps": timestamps}
        kw["tail"] = tail if tail is not None and tail >= 0 else "all"
        if since is not None:
            kw["since"] = max(1e-6, self._to_real(since))
        return kw

    def logs(
        self, container_id: str, tail: int | None = None, since: float | None = None, timestamps: bool = False
    ) -> str:
        if tail == 0:
            return ""
        with self._errors("reading logs", container_id):
            data = self._api.logs(container_id, **self._log_args(tail, since, timestamps))
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)

    def follow_logs(
        self, container_id: str, tail: int | None = None, since: float | None = None, timestamps: bool = False
    ) -> Iterator[str]:
        with self._errors("following logs", container_id):
            stream = self._api.logs(container_id, stream=True, follow=True, **self._log_args(tail, since, timestamps))
        return self._lines(stream)

    @staticmethod
    def _lines(stream: Any) -> Iterator[str]:
        buf = b""
        try:
            for chunk in stream:
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    yield line.decode("utf-8", "replace")
            if buf:
                yield buf.decode("utf-8", "replace")
        finally:
            try:
                stream.close()
            except Exception:
                pass

    def exec(
        self, container_id: str, cmd: list[str], stdin: bytes | None = None, timeout: float | None = None
    ) -> ExecResult:
        with self._errors("exec", container_id):
            exec_id = self._api.exec_create(container_id, list(cmd), stdout=True, stderr=True, stdin=stdin is not None)["Id"]
            sock = self._api.exec_start(exec_id, socket=True)
        raw = getattr(sock, "_sock", sock)
        deadline = None if timeout is None else time.monotonic() + self._real_seconds(timeout)
        try:
            if stdin is not None:
                raw.sendall(stdin)
                raw.shutdown(socket.SHUT_WR)
            out, err = _read_frames(raw, deadline)
        finally:  # the hijacked connection is ours alone: close the wrapper and the socket
            for closable in (sock, raw):
                try:
                    closable.close()
                except Exception:
                    pass
        with self._errors("exec", container_id):
            for _ in range(50):  # the exit code can lag the end of the output a little
                result = self._api.exec_inspect(exec_id)
                if not result.get("Running") and result.get("ExitCode") is not None:
                    break
                time.sleep(0.01)
        return ExecResult(int(result.get("ExitCode") or 0), out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))

    def attach(self, container_id: str, stdin: bool = False) -> _DockerAttach:
        params = {"stdin": 1 if stdin else 0, "stdout": 1, "stderr": 1, "stream": 1}
        with self._errors("attach", container_id):
            config = self._api.inspect_container(container_id).get("Config") or {}
            sock = self._api.attach_socket(container_id, params=params)
        return _DockerAttach(sock, bool(config.get("Tty")), bool(config.get("StdinOnce")))

    def pod_address(self, ip: str, port: int) -> tuple[str, int] | None:
        """Where the host connects to reach *port* of the Pod at *ip* (kube-proxy's route to a Pod).

        On Linux the host routes to the cluster's bridge network: the Pod IP itself, whether or not
        the port is declared (``containerPort`` is informational, as upstream). On Docker Desktop the
        network lives in a VM the host cannot route to: only a published port, else None.
        """
        if self.service_addresses()[1] != "127.0.0.1":
            return (ip, port)
        with self._lock:
            sb = next((s for s in self._sandboxes.values() if s.ip == ip), None)
        published = sb.published.get((port, "TCP")) if sb is not None else None
        return ("127.0.0.1", published) if published else None

    def port_address(self, sandbox_id: str, port: int) -> tuple[str, int]:
        sb = self._sandbox(sandbox_id)
        published = sb.published.get((port, "TCP"))
        return ("127.0.0.1", published) if published else (sb.ip, port)

    def stats(self, container_id: str) -> dict[str, int]:
        # one_shot: no second sample (instant); cpu_millis then needs the caller's previous sample,
        # from the cumulative ``cpu_usage_nanos`` (what metrics-server does with the kubelet's data)
        with self._errors("reading stats", container_id):
            s = self._api.stats(container_id, stream=False, one_shot=True)
        cpu, pre = s.get("cpu_stats") or {}, s.get("precpu_stats") or {}
        total = int(((cpu.get("cpu_usage") or {}).get("total_usage")) or 0)
        millis = 0
        try:
            cpu_delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
            sys_delta = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
            online = cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or [1])
            if sys_delta > 0 and cpu_delta >= 0:
                millis = round(cpu_delta / sys_delta * online * 1000)
        except (KeyError, TypeError):
            pass
        mem = s.get("memory_stats") or {}
        detail = mem.get("stats") or {}
        inactive = detail.get("total_inactive_file", detail.get("inactive_file", 0))
        working_set = max(0, int(mem.get("usage", 0)) - int(inactive or 0))  # what `kubectl top` shows
        return {"cpu_millis": int(millis), "memory_bytes": working_set, "cpu_usage_nanos": total,
                "read_nanos": time.time_ns()}

    # -- nodes and the cluster ------------------------------------------------------------------------
    def _node_containers(self, node_name: str, status: str) -> list[str]:
        flt = {"label": [f"{LABEL_CLUSTER}={self.cluster_id}", f"{LABEL_NODE}={node_name}"], "status": status}
        with self._errors("listing containers"):
            return [c["Id"] for c in self._api.containers(all=True, filters=flt)]

    def pause_node(self, node_name: str) -> None:
        docker = _sdk()
        for cid in self._node_containers(node_name, "running"):
            try:
                self._api.pause(cid)
            except docker.errors.APIError:
                pass  # exited or already paused meanwhile

    def unpause_node(self, node_name: str) -> None:
        docker = _sdk()
        for cid in self._node_containers(node_name, "paused"):
            try:
                self._api.unpause(cid)
            except docker.errors.APIError:
                pass

    def cleanup(self) -> int:
        with self._errors("cleaning up"):
            containers, networks, volumes = remove_cluster_resources(self._client, self.cluster_id)
        with self._lock:
            self._network = None
            self._service_addresses = None
            self._sandboxes.clear()
            self._statuses.clear()
        return containers + networks + volumes

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:
            pass


class _DockerAttach:
    """``docker attach`` on a hijacked connection: multiplexed frames out (raw bytes with a TTY),
    stdin in."""

    def __init__(self, sock: Any, tty: bool, stdin_once: bool) -> None:
        self._wrapper, self._raw = sock, getattr(sock, "_sock", sock)
        self._tty, self._buf, self._closed = tty, b"", False
        self._stdin_once = stdin_once  # else the process's stdin stays open for the next attach

    def read(self) -> tuple[int, bytes] | None:
        while not self._closed:
            if self._tty and self._buf:
                data, self._buf = self._buf, b""
                return 1, data
            if not self._tty and len(self._buf) >= 8:
                size = int.from_bytes(self._buf[4:8], "big")
                if len(self._buf) >= 8 + size:
                    stream, data = self._buf[0], self._buf[8 : 8 + size]
                    self._buf = self._buf[8 + size :]
                    if data:
                        return (2 if stream == 2 else 1), data
                    continue
            try:
                chunk = self._raw.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self._buf += chunk
        return None

    def write(self, data: bytes) -> None:
        try:
            self._raw.sendall(data)
        except OSError:
            pass

    def close_stdin(self) -> None:
        if not self._stdin_once:
            return
        try:
            self._raw.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        self._closed = True
        for closable in (self._raw, self._wrapper):
            try:
                if closable is self._raw:
                    closable.shutdown(socket.SHUT_RDWR)
                closable.close()
            except Exception:
                pass


def _read_frames(raw: Any, deadline: float | None) -> tuple[bytes, bytes]:
    """Read Docker's multiplexed stream (8-byte header: stream, 0, 0, 0, size) until EOF or deadline."""
    out, err, buf = bytearray(), bytearray(), b""
    while True:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ExecTimeout("command timed out")
            raw.settimeout(remaining)
        else:
            raw.settimeout(None)
        try:
            chunk = raw.recv(65536)
        except TimeoutError as e:
            raise ExecTimeout("command timed out") from e
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 8:
            size = int.from_bytes(buf[4:8], "big")
            if len(buf) < 8 + size:
                break
            (err if buf[0] == 2 else out).extend(buf[8 : 8 + size])
            buf = buf[8 + size :]
    return bytes(out), bytes(err)


def _pull_error(image: str, text: str) -> ImagePullError:
    """Docker's pull failure, reworded as containerd (what a student sees on a real cluster) says it."""
    ref = normalize_image(image)
    low = text.lower()
    if "pull access denied" in low or "repository does not exist" in low:
        msg = pull_failed_message(
            image,
            "pull access denied, repository does not exist or may require authorization: "
            "server message: insufficient_scope: authorization failed",
        )
        return ImagePullError(msg, image=image, reference=ref, not_found=True)
    if "not found" in low or "manifest unknown" in low:
        return ImagePullError(pull_not_found_message(image), image=image, reference=ref, not_found=True)
    m = re.match(r'\s*(?:Get|Head) "?(https?://[^/"\s]+)[^"\s]*"?: (.*)', text, re.S)
    if m:
        domain, _, rest = ref.partition("/")
        path, _, tag = rest.rpartition(":") if "@" not in rest else rest.partition("@")
        text = f'failed to do request: Head "{m.group(1)}/v2/{path}/manifests/{tag}": {m.group(2).strip()}'
    return ImagePullError(pull_failed_message(image, text), image=image, reference=ref)
