"""SimRuntime: the ContainerRuntime without Docker, for machines that have none (hosted Jupyter, Binder).

No process runs. Each container's command is read by a small model of busybox ``sh``
(:mod:`k8sedu.runtime.simshell`) into a timeline on the cluster clock, and its state is worked out
from the clock whenever someone looks::

    sh -c "exit 3"                  exited, code 3, shortly (0.05 s) after start
    sleep 30                        running; exited 0 at start + 30 cluster seconds
    sh -c "x=a; while :; do x=$x$x; done"   with a memory limit: OOMKilled, exit 137
    K8SEDU_SIM_MEMORY=64Mi (env)    uses that much memory: OOMKilled if the limit is lower
    anything it cannot read         runs until stopped (it is probably a server)

Signals as on a real node: SIGKILL ends a container at once (137). SIGTERM ends ``k8sedu/web`` and
``k8sedu/pause`` at once (they trap it); a script that ``trap '…' TERM`` runs the trap when its
foreground command ends, as busybox ``sh`` does (at once in ``wait``, after the current ``sleep 1`` of a
loop, never during ``sleep 3600``), and exits if the trap says ``exit``; any other process is PID 1
without a handler and ignores it, so ``stop_container`` waits the grace period and then kills (exit
137), exactly what a busybox ``sleep`` Pod does on a real cluster. ``date`` prints the cluster clock,
and each round of a ``while`` loop prints and writes its own lines as the clock reaches it. ``pause_node`` freezes the
containers' own clocks.

``k8sedu/web`` containers serve real HTTP on 127.0.0.1 (:mod:`k8sedu.runtime.simweb`) on the Pod's
published port, so Services and ``c.url()`` work. ``exec`` understands the commands listed in
:mod:`k8sedu.runtime.simshell`; ``wget`` reaches the Pod's own ports through ``localhost``, other
Pods through their (fake) IPs, and Services through the router set by :meth:`set_router`.
Pod IPs are 10.244.<node number>.<n>, like the pod CIDRs of a kubeadm cluster with flannel.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from k8sedu.clock import Clock
from k8sedu.runtime.base import (
    ContainerConfig,
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
)
from k8sedu.runtime.images import IMAGES
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
    normalize_image,
    pull_not_found_message,
    sandbox_name,
)
from k8sedu.runtime.simfs import SimFS
from k8sedu.runtime.simprogram import (
    MAX_ROUNDS,
    SIGNALS,
    Event,
    Forever,
    Program,
    ShellExit,
    parse_bytes,
)
from k8sedu.runtime.simshell import Interpreter, ShellContext, model_program
from k8sedu.runtime.simweb import NOT_FOUND_PAGE, WebServer, bind_reserved

__all__ = ["SimRuntime", "Router"]

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MAX_LOG_LINES = 10_000  # like log rotation: older lines are dropped
WEB_REQUEST_CPU_NANOS = 10_000_000  # CPU a sim web server spends per request (10 ms: 100 req/s = 1 core)
WEB_PORT = 80
# Router(host, port) -> ("127.0.0.1", real port) for Service IPs and names, or None.
Router = Callable[[str, int], "tuple[str, int] | None"]


class Resolver(Protocol):
    """The cluster DNS as containers use it (k8sedu.proxy.dns.ClusterDNS)."""

    def resolve(self, host: str, search: list[str] | None = None, ndots: int = 5,
                namespace: str = "default") -> tuple[str, list[str]] | None: ...

    def lookup(self, name: str, qtype: int) -> Any: ...  # .rcode, .answers: [.name, .rtype, .data]


def _image_key(image: str) -> str:
    ref = normalize_image(image)
    return ref[len("docker.io/") :] if ref.startswith("docker.io/") else ref


def _defaults(key: str) -> tuple[list[str], list[str]]:
    """(ENTRYPOINT, CMD) of an image, as its Dockerfile in images/ sets them."""
    if key.startswith("k8sedu/web:"):
        return ["/web.sh"], []
    if key == "k8sedu/pause:latest":
        return ["/pause"], []
    if key == "k8sedu/busybox:latest":
        return [], ["sh"]
    return [], []


@dataclass
class _Container:
    id: str
    name: str
    image: str
    labels: dict[str, str]
    sandbox_id: str
    hostname: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    fs: SimFS
    memory_limit: int | None
    cpu_limit: int | None
    created_at: float
    kind: str = "shell"  # "web" | "pause" | "shell"
    version: str = ""
    state: str = "created"
    program: Program | None = None
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    oom: bool = False
    reason: str | None = None
    message: str | None = None
    pauses: list[list[float | None]] = field(default_factory=list)  # [begin, end or None]
    running: threading.Event = field(default_factory=threading.Event)  # cleared while paused
    exited: threading.Event = field(default_factory=threading.Event)
    logs: deque = field(default_factory=lambda: deque(maxlen=MAX_LOG_LINES))  # (t, stream, text)
    logs_total: int = 0
    fs_applied: int = 0  # program events already applied to fs
    loops_applied: dict[int, tuple[int, int]] = field(default_factory=dict)  # loop index -> (round, item) next
    term_at: float | None = None  # a SIGTERM trap waiting for the foreground command to end (run-time offset)
    jobs: list[str] = field(default_factory=list)  # busy loops exec'd in the background (`yes > /dev/null &`)
    cpu_nanos: float = 0.0  # cumulative CPU time in cluster nanoseconds (the kubelet's usageCoreNanoSeconds)
    cpu_at: float | None = None  # when cpu_nanos was last brought up to date (cluster seconds)

    def __post_init__(self) -> None:
        self.running.set()

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None


@dataclass
class _Sandbox:
    id: str
    config: SandboxConfig
    ip: str
    published: dict[tuple[int, str], int]
    reserved: dict[int, socket.socket]  # container port -> bound socket (published TCP ports)
    servers: dict[int, tuple[str, WebServer, bool]] = field(default_factory=dict)  # port -> (cid, server, published)
    released: bool = False


class SimRuntime:
    """The :class:`~k8sedu.runtime.base.ContainerRuntime`, simulated on the cluster clock.

    ``images`` adds image references that "exist" besides ours (a lesson may want ``nginx`` to run).
    """

    name = "sim"

    def __init__(self, cluster_id: str, clock: Clock, images: list[str] | None = None) -> None:
        self.cluster_id = cluster_id
        self.clock = clock
        self._images = {_image_key(i) for i in [*IMAGES, *(images or [])]}
        # guards every dict below and every _Container/_Sandbox in them. Web server threads take it
        # to answer; exec releases it around network calls. Never held while waiting on the clock.
        self._lock = threading.RLock()
        self._containers: dict[str, _Container] = {}
        self._names: dict[str, str] = {}
        self._sandboxes: dict[str, _Sandbox] = {}
        self._volumes: dict[str, dict[str, str]] = {}
        self._node_numbers: dict[str, int] = {}
        self._used_ips: set[str] = set()
        self._router: Router | None = None
        self._resolver: Resolver | None = None
        self.cluster_dns: str | None = None  # the nameserver of ClusterFirst Pods (set by the Cluster)

    # -- images ---------------------------------------------------------------------------------------
    def ensure_images(self, progress: Progress | None = None) -> None:
        if progress:
            progress("模拟运行时：镜像是虚拟的，无需构建 (sim runtime: images are virtual, nothing to build)")

    def has_image(self, image: str) -> bool:
        return _image_key(image) in self._images

    def list_images(self) -> list[dict[str, Any]]:
        # sizes of the real images built from the host's static busybox, roughly
        return [{"names": [key if ":" in key.split("/")[-1] else f"{key}:latest"], "sizeBytes": 1_900_000}
                for key in sorted(self._images)]

    def version(self) -> str:
        return "k8sedu"

    def pull_image(self, image: str) -> None:
        if not self.has_image(image):
            raise ImagePullError(
                pull_not_found_message(image), image=image, reference=normalize_image(image), not_found=True
            )

    def set_router(self, router: Router | None) -> None:
        """Let ``exec wget`` reach Services: router(host, port) -> (real host, real port) or None."""
        self._router = router

    def set_resolver(self, resolver: Resolver | None) -> None:
        """Let ``nslookup`` and ``wget`` resolve names through the cluster DNS (when a container's
        ``resolv.conf`` names :attr:`cluster_dns`)."""
        self._resolver = resolver

    # -- time -----------------------------------------------------------------------------------------
    def _effective(self, c: _Container, now: float) -> float:
        """Seconds the process has run by *now*, not counting the time it was frozen."""
        if c.started_at is None:
            return 0.0
        frozen = 0.0
        for begin, end in c.pauses:
            if begin is not None and begin < now:
                frozen += (end if end is not None else now) - begin
        return max(0.0, now - c.started_at - frozen)

    def _wall(self, c: _Container, offset: float) -> float:
        """Cluster time at which the process reaches *offset* seconds of its own run time."""
        t = (c.started_at or 0.0) + offset
        for begin, end in c.pauses:
            if begin is not None and begin <= t:
                if end is None:
                    return float("inf")
                t += end - begin
        return t

    def _settle(self, c: _Container, now: float | None = None) -> None:
        """Bring a container up to *now*: apply its file changes, end it if its program ended."""
        if c.state != "running" or c.program is None:
            return
        now = self.clock.now() if now is None else now
        eff = self._effective(c, now)
        events = c.program.events
        while c.fs_applied < len(events) and events[c.fs_applied].t <= eff:
            self._apply(c, events[c.fs_applied])
            c.fs_applied += 1
        for index, loop in enumerate(c.program.loops):  # each round of `while …; do date >> f; …` writes too
            if loop.more is None and not any(e.kind in ("write", "mkdir", "rm") for e in loop.items):
                continue
            k, j = c.loops_applied.get(index, (0, 0))
            while loop.start + k * loop.period <= eff:
                items = loop.round(k)
                if j == 0 and (k >= MAX_ROUNDS or k >= len(loop.rounds) and loop.more is not None
                               and not any(e.kind in ("write", "mkdir", "rm") for e in items)):
                    k = int((eff - loop.start) / loop.period) + 1  # past the rounds worked out: files stop growing
                    continue
                if j >= len(items):
                    k, j = k + 1, 0
                    continue
                if loop.start + k * loop.period + items[j].t > eff:
                    break
                self._apply(c, items[j])
                j += 1
            c.loops_applied[index] = (k, j)
            if loop.foreground and loop.exit_at is not None and c.program.end is None:
                c.program.end, c.program.exit_code, c.program.oom = loop.exit_at, loop.exit_code, loop.oom
        end = c.program.end
        if c.term_at is not None and eff >= c.term_at and (end is None or c.term_at < end):
            at, c.term_at = c.term_at, None
            if self._run_trap(c, self._wall(c, at)):
                return
        if end is not None and eff >= end:
            self._finish(c, self._wall(c, end), c.program.exit_code, oom=c.program.oom)

    @staticmethod
    def _apply(c: _Container, e: Event) -> None:
        if e.kind == "write":
            c.fs.write(e.path, e.text, e.append)
        elif e.kind == "mkdir":
            c.fs.mkdir(e.path)
        elif e.kind == "rm":
            c.fs.remove(e.path)

    def _finish(self, c: _Container, t: float, code: int, oom: bool = False, message: str | None = None) -> None:
        if c.state == "exited":
            return
        c.state, c.finished_at, c.exit_code, c.oom = "exited", t, code, oom
        c.reason = "OOMKilled" if oom else ("Completed" if code == 0 else "Error")
        c.message = message
        if c.paused:
            c.pauses[-1][1] = t
            c.running.set()
        c.exited.set()
        sb = self._sandboxes.get(c.sandbox_id)
        if sb is not None:
            if c.kind == "pause":
                self._release_ports(sb)
            for port, (cid, server, published) in list(sb.servers.items()):
                if cid == c.id:
                    server.stop()
                    del sb.servers[port]
                    if published and not sb.released:
                        host_port = sb.published.get((port, "TCP"))
                        try:
                            sb.reserved[port] = bind_reserved(host_port or 0)
                        except OSError:
                            pass  # someone took the port meanwhile; the mapping stays, unreachable

    def _release_ports(self, sb: _Sandbox) -> None:
        if sb.released:
            return
        sb.released = True
        for _, server, _ in sb.servers.values():
            server.stop()
        sb.servers.clear()
        for sock in sb.reserved.values():
            sock.close()
        sb.reserved.clear()

    def _get(self, container_id: str) -> _Container:
        c = self._containers.get(container_id)
        if c is None:
            raise ContainerNotFound(f"no such container: {container_id}")
        return c

    # -- sandboxes ------------------------------------------------------------------------------------
    def _node_number(self, node: str) -> int:
        if node not in self._node_numbers:
            m = re.search(r"(\d+)$", node)
            n = int(m.group(1)) if m and 0 < int(m.group(1)) < 100 else 100 + len(self._node_numbers)
            self._node_numbers[node] = min(n, 254)
        return self._node_numbers[node]

    def _allocate_ip(self, node: str) -> str:
        n = self._node_number(node)
        for host in range(2, 255):
            ip = f"10.244.{n}.{host}"
            if ip not in self._used_ips:
                self._used_ips.add(ip)
                return ip
        raise ContainerStartError(f"failed to allocate an IP for the sandbox: node {node} has no free address")

    def _base_files(self, hostname: str, ip: str, sb: SandboxConfig) -> dict[str, str]:
        hosts = (
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
            f"ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n{ip}\t{hostname}\n"
        )
        hosts += "".join(f"{addr}\t{name}\n" for name, addr in (sb.extra_hosts or {}).items())
        dns = sb.dns or ([self.cluster_dns] if self.cluster_dns and sb.dns_search else None)
        resolv = "".join(f"nameserver {ns}\n" for ns in (dns or ["127.0.0.11"]))
        if sb.dns_search:
            resolv += "search " + " ".join(sb.dns_search) + "\n"
        resolv += "options ndots:5\n" if dns else "options ndots:0\n"
        return {
            "/etc/hostname": hostname + "\n",
            "/etc/hosts": hosts,
            "/etc/resolv.conf": resolv,
            "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
            "/etc/group": "root:x:0:\nnogroup:x:65534:\n",
        }

    def create_sandbox(self, config: SandboxConfig) -> SandboxInfo:
        name = sandbox_name(config.pod_name, config.namespace, config.pod_uid, config.attempt)
        hostname = config.hostname or config.pod_name
        labels = {
            **config.labels,
            LABEL_POD_UID: config.pod_uid,
            LABEL_POD_NAME: config.pod_name,
            LABEL_POD_NAMESPACE: config.namespace,
            LABEL_CONTAINER_NAME: POD_CONTAINER_NAME,
            LABEL_TYPE: TYPE_SANDBOX,
            LABEL_NODE: config.node_name,
            LABEL_ATTEMPT: str(config.attempt),
            LABEL_CLUSTER: self.cluster_id,
        }
        with self._lock:
            self._check_name(name)
            reserved: dict[int, socket.socket] = {}
            published: dict[tuple[int, str], int] = {}
            try:
                for pm in config.ports:
                    if pm.protocol.upper() != "TCP":
                        continue  # the sim serves only HTTP
                    try:
                        sock = bind_reserved(pm.host_port or 0)
                    except OSError as e:
                        raise ContainerStartError(
                            f"driver failed programming external connectivity on endpoint {name}: "
                            f"Bind for 127.0.0.1:{pm.host_port} failed: port is already allocated"
                        ) from e
                    reserved[pm.container_port] = sock
                    published[(pm.container_port, "TCP")] = sock.getsockname()[1]
            except ContainerStartError:
                for sock in reserved.values():
                    sock.close()
                raise
            ip = self._allocate_ip(config.node_name)
            sid = secrets.token_hex(32)
            now = self.clock.now()
            pause = _Container(
                id=sid, name=name, image="k8sedu/pause", labels=labels, sandbox_id=sid, hostname=hostname,
                argv=["/pause"], env={"PATH": PATH, "HOSTNAME": hostname}, cwd="/",
                fs=SimFS({**self._base_files(hostname, ip, config), "/pause": "#!/bin/sh\n"}),
                memory_limit=None, cpu_limit=None, created_at=now, kind="pause",
            )  # fmt: skip
            pause.state, pause.started_at = "running", now
            pause.program = Program("pause", handles_term=True, term_code=0)
            self._containers[sid] = pause
            self._names[name] = sid
            self._sandboxes[sid] = _Sandbox(sid, config, ip, published, reserved)
            return SandboxInfo(id=sid, name=name, ip=ip, node_name=config.node_name, published=dict(published))

    def stop_sandbox(self, sandbox_id: str) -> None:
        with self._lock:
            c = self._containers.get(sandbox_id)
            if c is not None and c.state == "running":
                self._finish(c, self.clock.now(), 0)

    def remove_sandbox(self, sandbox_id: str) -> None:
        with self._lock:
            sb = self._sandboxes.pop(sandbox_id, None)
            if sb is not None:
                self._release_ports(sb)
                self._used_ips.discard(sb.ip)
            self._remove(sandbox_id)

    # -- containers -----------------------------------------------------------------------------------
    def _check_name(self, name: str) -> None:
        other = self._names.get(name)
        if other:
            raise ContainerCreateError(
                f'Conflict. The container name "/{name}" is already in use by container "{other}". '
                "You have to remove (or rename) that container to be able to reuse that name."
            )

    def remove_volume(self, name: str) -> None:
        """Forget a named volume (an emptyDir of a deleted Pod). Idempotent."""
        with self._lock:
            self._volumes.pop(name, None)

    def create_container(self, sandbox_id: str, config: ContainerConfig) -> str:
        key = _image_key(config.image)
        name = container_name(config.name, config.pod_name, config.namespace, config.pod_uid, config.attempt)
        with self._lock:
            sb = self._sandboxes.get(sandbox_id)
            if sb is None:
                raise ContainerNotFound(f"no such container: {sandbox_id}")
            if key not in self._images:
                raise ContainerCreateError(f"No such image: {config.image}")
            self._check_name(name)
            entry, cmd = _defaults(key)
            argv = list(config.command) + list(config.args) if config.command else entry + (list(config.args) or cmd)
            if not argv:
                raise ContainerCreateError("No command specified")
            pause = self._containers[sandbox_id]
            hostname = pause.hostname
            files = {p: t for p, t in pause.fs.files.items() if p.startswith("/etc/")}
            kind, version = "shell", ""
            if key.startswith("k8sedu/web:"):
                version = key.split(":", 1)[1]
                files.update({"/web.sh": "#!/bin/sh\n", "/etc/k8sedu-web-version": version + "\n"})
                kind = "web" if argv == ["/web.sh"] else "shell"
            mounts: list[tuple[str, str, object, bool]] = []
            for m in config.mounts:
                if m.volume:
                    mounts.append((m.container_path, "volume", self._volumes.setdefault(m.volume, {}), m.read_only))
                elif m.host_path:
                    mounts.append((m.container_path, "host", m.host_path, m.read_only))
            env = {"PATH": PATH, "HOSTNAME": hostname, "HOME": "/root", **{k: str(v) for k, v in config.env.items()}}
            labels = {
                **config.labels,
                LABEL_POD_UID: config.pod_uid,
                LABEL_POD_NAME: config.pod_name,
                LABEL_POD_NAMESPACE: config.namespace,
                LABEL_CONTAINER_NAME: config.name,
                LABEL_TYPE: TYPE_CONTAINER,
                LABEL_SANDBOX_ID: sandbox_id,
                LABEL_RESTART_COUNT: str(config.attempt),
                LABEL_NODE: config.node_name or sb.config.node_name,
                LABEL_ATTEMPT: str(config.attempt),
                LABEL_CLUSTER: self.cluster_id,
            }
            cid = secrets.token_hex(32)
            self._containers[cid] = _Container(
                id=cid, name=name, image=config.image, labels=labels, sandbox_id=sandbox_id, hostname=hostname,
                argv=argv, env=env, cwd=config.working_dir or "/", fs=SimFS(files, mounts),
                memory_limit=config.memory_bytes_limit, cpu_limit=config.cpu_millis_limit,
                created_at=self.clock.now(), kind=kind, version=version,
            )  # fmt: skip
            self._names[name] = cid
            return cid

    def start_container(self, container_id: str) -> None:
        with self._lock:
            c = self._get(container_id)
            if c.state != "created":
                return  # docker start of a running container is a no-op
            pause = self._containers.get(c.sandbox_id)
            if pause is not None:
                self._settle(pause)
            if pause is None or pause.state != "running":
                raise ContainerStartError(f"cannot join network of a non running container: {c.sandbox_id}")
            now = self.clock.now()
            c.state, c.started_at = "running", now
            if c.kind == "web":
                c.program = self._start_web(c)
            else:
                c.program = model_program(c.argv, c.env, c.fs, c.cwd, c.hostname, c.memory_limit, start=now)
            self._settle(c, now)

    def _start_web(self, c: _Container) -> Program:
        """What web.sh does: write the page, start httpd on :80 (a real server here), trap SIGTERM."""
        prog = Program("web", handles_term=True, term_code=0)
        memory = c.env.get("K8SEDU_SIM_MEMORY")
        if memory and c.memory_limit is not None and parse_bytes(memory) > c.memory_limit:
            prog.end, prog.exit_code, prog.oom = 0.1, 137, True
            return prog
        page = f"hostname={c.hostname} version={c.version}\n"
        if c.env.get("MESSAGE"):
            page += f"message={c.env['MESSAGE']}\n"
        c.fs.mkdir("/www")
        c.fs.write("/www/index.html", page)
        c.fs.write("/www/healthz", "ok\n")
        sb = self._sandboxes[c.sandbox_id]
        if WEB_PORT in sb.servers:  # another container of the Pod already listens on :80
            prog.events.append(Event(0.0, "stderr", "httpd: bind: Address in use"))
            prog.end, prog.exit_code = 0.05, 1
            return prog
        self._log(c, "stdout", f"k8sedu/web {c.version} listening on :80")
        sock = sb.reserved.pop(WEB_PORT, None)
        published = sock is not None
        if sock is None:
            sock = bind_reserved(0)  # not published: reachable only from inside the sim (pod IP)
        cid = c.id
        server = WebServer(sock, lambda path: self._respond(cid, path), lambda line: self._log_id(cid, line), c.running)
        sb.servers[WEB_PORT] = (c.id, server, published)
        return prog

    def _respond(self, container_id: str, path: str) -> tuple[int, str, str]:
        with self._lock:
            c = self._containers.get(container_id)
            if c is None:
                return 404, NOT_FOUND_PAGE, "text/html"
            self._settle(c)
            self._account(c)
            c.cpu_nanos += WEB_REQUEST_CPU_NANOS  # serving a page costs a little CPU: load shows in `top`
            target = "/www/index.html" if path in ("", "/") else "/www" + path
            if c.fs.is_dir(target):
                target = target.rstrip("/") + "/index.html"
            body = c.fs.read(target)
        if body is None:
            return 404, NOT_FOUND_PAGE, "text/html"
        return 200, body, "text/html" if target.endswith((".html", ".htm")) else "application/octet-stream"

    def _log(self, c: _Container, stream: str, text: str) -> None:
        c.logs.append((self.clock.now(), stream, text))
        c.logs_total += 1

    def _log_id(self, container_id: str, text: str) -> None:
        with self._lock:
            c = self._containers.get(container_id)
            if c is not None:
                self._log(c, "stderr", text)  # busybox httpd logs to stderr

    def stop_container(self, container_id: str, grace_seconds: float) -> None:
        with self._lock:
            c = self._get(container_id)
            self._settle(c)
            if c.state != "running":
                if c.state == "created":
                    self._finish(c, self.clock.now(), 0)
                return
            if self._deliver_term(c):
                return
            deadline = self.clock.now() + max(0.0, grace_seconds)
        while True:  # it ignores SIGTERM: wait for it to end by itself, or SIGKILL at the deadline
            with self._lock:
                self._settle(c, min(self.clock.now(), deadline))
                if c.state != "running":
                    return
                remaining = deadline - self.clock.now()
                if remaining <= 0:
                    self._finish(c, self.clock.now(), 137)
                    return
            self.clock.wait(c.exited, min(remaining, 0.25))

    def _deliver_term(self, c: _Container) -> bool:
        """SIGTERM: True if the process handled it and exited."""
        prog = c.program
        if prog is None or c.paused:
            return False  # a frozen process cannot act on it
        if prog.kind != "shell":
            if not prog.handles_term:
                return False  # PID 1 without a handler ignores it
            for line in prog.term_output:
                self._log(c, "stdout", line)
            self._finish(c, self.clock.now(), prog.term_code)
            return True
        if not prog.traps_term:
            return False
        now = self.clock.now()
        at = self._control_point(c, self._effective(c, now))
        if at is None:
            return False  # its foreground command never ends: the trap never runs
        if at > self._effective(c, now):
            c.term_at = at if c.term_at is None else min(c.term_at, at)
            return False
        return self._run_trap(c, now)

    def _control_point(self, c: _Container, eff: float) -> float | None:
        """When a shell busy in a foreground command (``sleep 3600``) gets back to run its trap: busybox
        ``sh`` runs a trap between commands, and at once while in ``wait``. None: never."""
        prog = c.program
        if prog is None:
            return eff
        for begin, end in prog.blocked:
            if begin <= eff and (end is None or eff < end):
                return end
        for loop in prog.loops:
            if eff >= loop.start and loop.period > 0:
                offset = (eff - loop.start) % loop.period
                for begin, end in loop.blocked:
                    if begin <= offset and (end is None or offset < end):
                        return None if end is None else eff + end - offset
        return eff

    def _run_trap(self, c: _Container, t: float) -> bool:
        """The trap's commands at cluster time *t*: its output, and its exit. True if it exited."""
        prog = c.program
        if prog is None:
            return False
        for line in prog.term_output:
            c.logs.append((t, "stdout", line))
            c.logs_total += 1
        if prog.handles_term:
            self._finish(c, t, prog.term_code)
            return True
        return False

    def kill_container(self, container_id: str, signal: str = "SIGKILL") -> None:
        with self._lock:
            c = self._get(container_id)
            self._settle(c)
            if c.state != "running":
                return
            name = str(signal).upper().removeprefix("SIG")
            if name in ("KILL", "9"):
                self._finish(c, self.clock.now(), 128 + SIGNALS["KILL"])
            elif name in ("TERM", "15", "INT", "2", "HUP", "1"):
                self._deliver_term(c)

    def kill(self, container_id: str) -> None:
        """Test helper: ``docker kill`` (SIGKILL) — the container exits with 137."""
        self.kill_container(container_id, "SIGKILL")

    def _remove(self, container_id: str) -> None:
        c = self._containers.get(container_id)
        if c is None:
            return
        if c.state == "running":
            self._finish(c, self.clock.now(), 137)
        del self._containers[container_id]
        if self._names.get(c.name) == container_id:
            del self._names[c.name]

    def remove_container(self, container_id: str) -> None:
        with self._lock:
            if container_id in self._sandboxes:
                self.remove_sandbox(container_id)
                return
            self._remove(container_id)

    def _status(self, c: _Container) -> ContainerStatus:
        self._settle(c)
        return ContainerStatus(
            id=c.id,
            name=c.name,
            state=c.state,  # type: ignore[arg-type]
            exit_code=c.exit_code if c.state == "exited" else None,
            started_at=c.started_at,
            finished_at=c.finished_at,
            oom_killed=c.oom,
            reason=c.reason,
            message=c.message,
            image=c.image,
            image_id="sha256:" + hashlib.sha256(_image_key(c.image).encode()).hexdigest(),
            created_at=c.created_at,
            paused=c.paused and c.state == "running",
            labels=dict(c.labels),
        )

    def container_status(self, container_id: str) -> ContainerStatus:
        with self._lock:
            return self._status(self._get(container_id))

    def list_containers(self, node_name: str | None = None) -> list[ContainerStatus]:
        with self._lock:
            return [
                self._status(c)
                for c in list(self._containers.values())
                if node_name is None or c.labels.get(LABEL_NODE) == node_name
            ]

    # -- logs -----------------------------------------------------------------------------------------
    def _log_lines(self, c: _Container, now: float) -> tuple[list[tuple[float, str, str]], int]:
        """The last MAX_LOG_LINES lines up to *now* and how many lines were ever written."""
        self._settle(c, now)
        lines: list[tuple[float, str, str]] = list(c.logs)
        total = c.logs_total
        prog = c.program
        if prog is not None and c.started_at is not None:
            limit = min(now, c.finished_at) if c.finished_at is not None else now
            eff = self._effective(c, limit)
            for e in prog.events:
                if e.kind in ("stdout", "stderr") and e.t <= eff:
                    lines.append((self._wall(c, e.t), e.kind, e.text))
                    total += 1
            for loop in prog.loops:
                if eff < loop.start:
                    continue
                rounds = int((eff - loop.start) / loop.period) + 1
                if loop.more is not None:  # rounds differ: each is worked out; only the tail is kept
                    total += loop.lines_before(rounds - 1)
                    shown = 0
                    for k in range(rounds - 1, -1, -1):
                        begin = loop.start + k * loop.period
                        out = [e for e in loop.round(k) if e.kind in ("stdout", "stderr") and begin + e.t <= eff]
                        total += len(out) if k == rounds - 1 else 0
                        lines.extend((self._wall(c, begin + e.t), e.kind, e.text) for e in out)
                        shown += len(out)
                        if shown >= MAX_LOG_LINES:
                            break
                    continue
                items = [e for e in loop.items if e.kind in ("stdout", "stderr")]
                first = max(0, rounds - MAX_LOG_LINES // max(1, len(items)) - 1)  # only the tail is kept
                for item in items:
                    last = int((eff - loop.start - item.t) / loop.period) if eff >= loop.start + item.t else -1
                    total += last + 1
                    for k in range(first, last + 1):
                        lines.append((self._wall(c, loop.start + k * loop.period + item.t), item.kind, item.text))
        lines.sort(key=lambda x: x[0])
        return lines[-MAX_LOG_LINES:], total

    @staticmethod
    def _format(line: tuple[float, str, str], timestamps: bool) -> str:
        if not timestamps:
            return line[2]
        t = line[0]
        whole = int(t)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((t - whole) * 1e9):09d}Z"
        return f"{stamp} {line[2]}"

    def _select(self, lines: list[tuple[float, str, str]], tail: int | None, since: float | None) -> list:
        if since is not None:
            lines = [ln for ln in lines if ln[0] >= since]
        if tail is not None and tail >= 0:
            lines = lines[-tail:] if tail else []
        return lines

    def logs(
        self, container_id: str, tail: int | None = None, since: float | None = None, timestamps: bool = False
    ) -> str:
        with self._lock:
            c = self._get(container_id)
            lines, _ = self._log_lines(c, self.clock.now())
        return "".join(self._format(ln, timestamps) + "\n" for ln in self._select(lines, tail, since))

    def follow_logs(
        self, container_id: str, tail: int | None = None, since: float | None = None, timestamps: bool = False
    ) -> Iterator[str]:
        with self._lock:
            self._get(container_id)
        return self._follow(container_id, tail, since, timestamps)

    def _follow(self, container_id: str, tail: int | None, since: float | None, timestamps: bool) -> Iterator[str]:
        sent: int | None = None
        while True:
            with self._lock:
                c = self._containers.get(container_id)
                if c is None:
                    return
                lines, total = self._log_lines(c, self.clock.now())
                done = c.state == "exited"
            if sent is None:
                new = self._select(lines, tail, since)
            else:
                new = lines[max(0, len(lines) - (total - sent)) :] if total > sent else []
            sent = total
            for line in new:
                yield self._format(line, timestamps)
            if done:
                return
            time.sleep(0.05)

    def attach(self, container_id: str, stdin: bool = False) -> _SimAttach:
        with self._lock:
            c = self._get(container_id)
            _, total = self._log_lines(c, self.clock.now())
        return _SimAttach(self, container_id, total)

    def pod_address(self, ip: str, port: int) -> tuple[str, int] | None:
        """Where the host connects to reach *port* of the Pod at *ip* (kube-proxy's route to a Pod):
        the sim's server for whatever port a program of the Pod listens on, declared in
        ``containerPorts`` or not; a port that refuses when nothing listens; None for an unknown IP."""
        with self._lock:
            sb = next((s for s in self._sandboxes.values() if s.ip == ip and not s.released), None)
            sid = sb.id if sb is not None else None
        return self.port_address(sid, port) if sid is not None else None

    def port_address(self, sandbox_id: str, port: int) -> tuple[str, int]:
        with self._lock:
            sb = self._sandboxes.get(sandbox_id)
            if sb is None:
                raise ContainerNotFound(f"no such sandbox: {sandbox_id}")
            served = sb.servers.get(port)
            if served is not None:
                return "127.0.0.1", served[1].port
            published = sb.published.get((port, "TCP"))
        # nothing listens there: a port of ours that refuses, as the Pod's would
        return "127.0.0.1", published or _closed_port()

    # -- exec -----------------------------------------------------------------------------------------
    def exec(
        self, container_id: str, cmd: list[str], stdin: bytes | None = None, timeout: float | None = None
    ) -> ExecResult:
        argv = list(cmd)
        if not argv:
            raise ContainerRuntimeError("exec: no command given")
        with self._lock:
            c = self._get(container_id)
            for other in list(self._containers.values()):  # the Pod's emptyDirs: its siblings' writes so far
                if other.sandbox_id == c.sandbox_id and other is not c:
                    self._settle(other)
            self._settle(c)
            if c.state != "running":
                raise ContainerRuntimeError(f"Container {container_id} is not running")
            if c.paused:
                raise ContainerRuntimeError(f"Container {container_id} is paused, unpause the container first")
            ctx = _ExecContext(self, c, timeout)
            sh = Interpreter(ctx)
            text_in = stdin.decode("utf-8", "replace") if stdin is not None else None
            base = argv[0].rsplit("/", 1)[-1]
            try:
                if base in ("sh", "ash", "bash") and argv[1:2] == ["-c"]:
                    code = sh.run_script(argv[2] if len(argv) > 2 else "")
                elif base in ("sh", "ash", "bash") and len(argv) == 1:
                    code = sh.run_script(text_in or "")
                else:
                    code = sh.simple_words(argv, [], text_in, False)
            except ShellExit as e:
                code = e.code
            except Forever as e:
                if timeout is not None:
                    raise ExecTimeout("command timed out") from e
                raise ContainerRuntimeError(
                    "模拟运行时中这个命令不会结束 (in the simulated runtime this command would never end)"
                ) from e
            self._settle(c)
        return ExecResult(code, "".join(ctx.stdout), "".join(ctx.stderr))

    def _route(self, c: _Container, host: str, port: int) -> tuple[str, int] | None:
        """Where a connection from container *c* to host:port really goes (127.0.0.1:port) or None."""
        if host in ("localhost", "127.0.0.1", "::1", c.hostname):
            sb = self._sandboxes.get(c.sandbox_id)
            target = sb.servers.get(port) if sb else None
            return ("127.0.0.1", target[1].port) if target else None
        for sb in self._sandboxes.values():
            if sb.ip == host:
                target = sb.servers.get(port)
                return ("127.0.0.1", target[1].port) if target else None
        if self._router is not None:
            return self._router(host, port)
        return None

    # -- stats, nodes, cleanup ------------------------------------------------------------------------
    def _cpu_rate(self, c: _Container) -> int:
        """Millicores the container burns now: each busy loop (its own program's, or one exec'd in
        the background) takes a whole core, up to its CPU limit (the CFS quota); idle: 1m."""
        if c.state != "running" or c.paused:
            return 0
        if c.kind == "pause":
            return 0
        loops = len(c.jobs) + (1 if c.program is not None and c.program.busy else 0)
        if not loops:
            return 1
        return min(1000 * loops, c.cpu_limit or 1000 * loops)

    def _account(self, c: _Container, now: float | None = None) -> None:
        """Add the CPU time used since the last call to ``cpu_nanos`` (call before the rate changes)."""
        now = self.clock.now() if now is None else now
        if c.cpu_at is not None and now > c.cpu_at:
            c.cpu_nanos += self._cpu_rate(c) * 1_000_000 * (now - c.cpu_at)
        c.cpu_at = now

    def start_job(self, c: _Container, name: str) -> None:
        """A busy loop exec'd in the background (``yes > /dev/null &``): one more core in use."""
        self._account(c)
        c.jobs.append(name)

    def stop_jobs(self, c: _Container, name: str | None) -> int:
        """``killall yes`` / ``pkill yes`` (*name*), or every job (None): how many stopped."""
        self._account(c)
        before = len(c.jobs)
        c.jobs = [j for j in c.jobs if name is not None and j != name]
        return before - len(c.jobs)

    def stats(self, container_id: str) -> dict[str, int]:
        with self._lock:
            c = self._get(container_id)
            self._settle(c)
            now = self.clock.now()
            self._account(c, now)
            usage = {"cpu_usage_nanos": int(c.cpu_nanos), "read_nanos": int(now * 1e9)}
            if c.state != "running" or c.paused:
                return {"cpu_millis": 0, "memory_bytes": 0, **usage}
            prog = c.program
            base = {"pause": 300 * 1024, "web": 1200 * 1024}.get(c.kind, 500 * 1024)
            memory = prog.memory_bytes if prog is not None and prog.memory_bytes else base
            return {"cpu_millis": self._cpu_rate(c), "memory_bytes": memory, **usage}

    def pause_node(self, node_name: str) -> None:
        with self._lock:
            now = self.clock.now()
            for c in self._containers.values():
                self._settle(c, now)
                if c.labels.get(LABEL_NODE) == node_name and c.state == "running" and not c.paused:
                    c.pauses.append([now, None])
                    c.running.clear()

    def unpause_node(self, node_name: str) -> None:
        with self._lock:
            now = self.clock.now()
            for c in self._containers.values():
                if c.labels.get(LABEL_NODE) == node_name and c.paused:
                    c.pauses[-1][1] = now
                    c.running.set()
                    self._settle(c, now)

    def cleanup(self) -> int:
        with self._lock:
            count = len(self._containers) + len(self._volumes)
            for sb in self._sandboxes.values():
                self._release_ports(sb)
            for c in self._containers.values():
                c.running.set()
                c.exited.set()
            self._containers.clear()
            self._names.clear()
            self._sandboxes.clear()
            self._volumes.clear()
            self._used_ips.clear()
            return count

    def close(self) -> None:
        with self._lock:
            for sb in self._sandboxes.values():
                self._release_ports(sb)
            for c in self._containers.values():
                c.running.set()


class _ExecContext(ShellContext):
    """``exec`` acts on the live container (the runtime's lock is held, except around HTTP)."""

    def __init__(self, rt: SimRuntime, c: _Container, timeout: float | None) -> None:
        super().__init__(dict(c.env), c.fs, c.cwd)
        self.rt, self.c, self.timeout = rt, c, timeout
        self.hostname = c.hostname
        self.argv = c.argv
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.elapsed = 0.0

    def emit_out(self, text: str) -> None:
        self.stdout.append(text)

    def emit_err(self, text: str) -> None:
        self.stderr.append(text)

    def now(self) -> float:
        return self.rt.clock.now() + self.elapsed

    def sleep(self, seconds: float | None) -> None:
        """An exec'd sleep takes no real time in the sim; it only counts against the timeout."""
        if seconds is None:
            raise Forever()
        self.elapsed += seconds
        if self.timeout is not None and self.elapsed > self.timeout:
            raise ExecTimeout("command timed out")

    def busy_job(self, name: str) -> None:
        self.rt.start_job(self.c, name)

    def stop_jobs(self, name: str | None) -> int:
        return self.rt.stop_jobs(self.c, name)

    def kill(self, signal: str, pid: str) -> str | None:
        if pid in ("%1", "%%", "%+") or (pid.startswith("%") and pid[1:].isdigit()):
            return None if self.stop_jobs(None) else f"sh: can't kill pid {pid}: No such process"
        if pid != "1":
            return f"kill: can't kill pid {pid}: No such process"
        # From inside its own PID namespace, PID 1 cannot even be SIGKILLed; TERM works if it traps it.
        if signal.upper() in ("TERM", "15", "INT", "2", "HUP", "1"):
            self.rt._deliver_term(self.c)
        return None

    def unknown(self, name: str) -> int:
        self.err(f"sh: {name}: 模拟运行时不支持这个命令 (not modelled by the simulated runtime)\n")
        return 127

    def lookup(self, host: str) -> tuple[str, str, list[str]] | None:
        """The container's resolver: ``/etc/hosts`` first, then the nameserver of its
        ``/etc/resolv.conf`` with its search path and ndots (the cluster DNS when it is ours)."""
        for line in (self.fs.read("/etc/hosts") or "").splitlines():
            words = line.split("#", 1)[0].split()
            if len(words) >= 2 and host.lower() in (w.lower() for w in words[1:]):
                return "", host, [words[0]]
        nameserver, search, ndots = "", None, 1
        for line in (self.fs.read("/etc/resolv.conf") or "").splitlines():
            words = line.split()
            if words[:1] == ["nameserver"] and len(words) > 1 and not nameserver:
                nameserver = words[1]
            elif words[:1] == ["search"]:
                search = words[1:]
            elif words[:1] == ["options"]:
                for opt in words[1:]:
                    if opt.startswith("ndots:") and opt[6:].isdigit():
                        ndots = int(opt[6:])
        resolver = self.rt._resolver
        if resolver is None or nameserver != self.rt.cluster_dns:
            return None
        found = resolver.resolve(host, search or [], ndots)
        return (nameserver, found[0], found[1]) if found else None

    def dns_query(self, name: str, qtype: int) -> tuple[str, int, list[tuple[str, int, Any]]] | None:
        """One query to the container's nameserver: (nameserver, rcode, [(name, type, data)])."""
        nameserver = next((ln.split()[1] for ln in (self.fs.read("/etc/resolv.conf") or "").splitlines()
                           if ln.split()[:1] == ["nameserver"] and len(ln.split()) > 1), "")
        resolver = self.rt._resolver
        if resolver is None or not nameserver or nameserver != self.rt.cluster_dns:
            return None
        ans = resolver.lookup(name, qtype)
        return nameserver, int(ans.rcode), [(r.name, int(r.rtype), r.data) for r in ans.answers]

    def wget(self, url: str, timeout: float) -> tuple[int, str, str]:
        m = re.match(r"https?://(\[[^\]]+\]|[^/:]+)(?::(\d+))?(/.*)?$", url)
        if not m:
            return 1, "", f"wget: bad address '{url}'"
        host, port, path = m.group(1), int(m.group(2) or 80), m.group(3) or "/"
        address = host
        if self.rt._resolver is not None and not re.fullmatch(r"[\d.]+|\[.*\]", host) \
                and host not in ("localhost", self.c.hostname):
            found = self.lookup(host)
            if found is None:
                return 1, "", f"wget: bad address '{host}:{port}'" if m.group(2) else f"wget: bad address '{host}'"
            address = found[2][0]
        target = self.rt._route(self.c, address, port)
        if target is None:
            if address != host or re.fullmatch(r"[\d.]+", host) or host in ("localhost", self.c.hostname):
                return 1, "", f"wget: can't connect to remote host ({address}): Connection refused"
            return 1, "", f"wget: bad address '{host}:{port}'" if m.group(2) else f"wget: bad address '{host}'"
        if self.timeout is not None:
            timeout = min(timeout, max(0.1, self.timeout - self.elapsed))
        request = urllib.request.Request(
            f"http://{target[0]}:{target[1]}{path}", headers={"Host": host + (f":{port}" if m.group(2) else "")}
        )
        lock = self.rt._lock
        lock.release()  # a web server of this runtime may need the lock to answer
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return 0, resp.read().decode("utf-8", "replace"), ""
        except urllib.error.HTTPError as e:
            return 1, "", f"wget: server returned error: HTTP/1.1 {e.code} {e.reason}"
        except (TimeoutError, OSError) as e:
            if "timed out" in str(e):
                return 1, "", "wget: download timed out"
            return 1, "", f"wget: can't connect to remote host ({address}): Connection refused"
        finally:
            lock.acquire()


class _SimAttach:
    """``kubectl attach`` on a simulated container: the log lines written after attaching, as they
    come (the sim's processes read no stdin)."""

    def __init__(self, rt: SimRuntime, container_id: str, sent: int) -> None:
        self._rt, self._id, self._sent = rt, container_id, sent
        self._pending: deque[tuple[int, bytes]] = deque()
        self._closed = threading.Event()

    def read(self) -> tuple[int, bytes] | None:
        rt = self._rt
        while not self._pending:
            if self._closed.is_set():
                return None
            with rt._lock:
                c = rt._containers.get(self._id)
                if c is None:
                    return None
                lines, total = rt._log_lines(c, rt.clock.now())
                done = c.state == "exited"
            if total > self._sent:
                for _, stream, text in lines[max(0, len(lines) - (total - self._sent)) :]:
                    self._pending.append((2 if stream == "stderr" else 1, (text + "\n").encode()))
                self._sent = total
            elif done:
                return None
            else:
                self._closed.wait(0.05)
        return self._pending.popleft()

    def write(self, data: bytes) -> None:
        pass

    def close_stdin(self) -> None:
        pass

    def close(self) -> None:
        self._closed.set()


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (connecting to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
