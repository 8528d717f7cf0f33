"""Liveness, readiness and startup probes: the kubelet asks the container whether it is well.

As upstream's prober manager (pkg/kubelet/prober), one worker per (Pod, container, probe type) runs
the probe every ``periodSeconds`` on the cluster clock and turns single results into a *verdict*
only after ``failureThreshold`` failures or ``successThreshold`` successes in a row::

    container started ──initialDelaySeconds──▶ probe ─ok─▶ probe ─fail─▶ probe ─fail─▶ probe ─fail─▶
                                               Success      1/3           2/3           3/3: Failure
    startup    Failure ──▶ "Container web failed startup probe, will be restarted"; until its first
               Success, liveness and readiness are not run (the container is not *started*)
    liveness   Failure ──▶ event Killing "Container web failed liveness probe, will be restarted",
               the container is killed and restarted per restartPolicy (restartCount + 1)
    readiness  Failure ──▶ containerStatuses[].ready false, Pod Ready/ContainersReady False
               (ContainersNotReady); the Service's endpoints drop the Pod. Never restarts anything.

Every failed probe records a Warning event ``Unhealthy`` ("Liveness probe failed: …") with upstream's
texts: the exec command's output, ``HTTP probe failed with statuscode: 500``, or Go's dial error
(``Get "http://10.244.1.5:80/healthz": dial tcp 10.244.1.5:80: connect: connection refused``).

How the kubelet reaches the container: a real kubelet dials the Pod IP. Ours runs on the host, where
Pod IPs may be unreachable (Docker Desktop), so httpGet and tcpSocket go to the port published on
127.0.0.1 for the container port (the sandbox's published map, also in the Pod annotation
``k8sedu.io/published-ports``); messages still name the Pod IP, as upstream's do. See
:func:`http_get` and :func:`tcp_socket` for the fallback when a port is not published.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..runtime.errors import ContainerRuntimeError, ExecTimeout

if TYPE_CHECKING:
    from .kubelet import Kubelet

__all__ = [
    "SUCCESS",
    "FAILURE",
    "UNKNOWN",
    "PROBE_TYPES",
    "ProbeResult",
    "ProbeManager",
    "run_probe",
    "resolve_port",
    "kill_message",
]

log = logging.getLogger(__name__)

SUCCESS, FAILURE, UNKNOWN = "success", "failure", "unknown"
#: (spec field, the name upstream's events use)
PROBE_TYPES = (("startupProbe", "Startup"), ("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"))
UNHEALTHY = "Unhealthy"
USER_AGENT = "kube-probe/1.32"


@dataclass(frozen=True)
class ProbeResult:
    result: str  # SUCCESS | FAILURE | UNKNOWN
    output: str = ""


def kill_message(container: str, probe_type: str) -> str:
    """The ``Killing`` event after a liveness or startup verdict of Failure (the kubelet drops
    ", will be restarted" when restartPolicy is Never)."""
    return f"Container {container} failed {probe_type.lower()} probe, will be restarted"


# -- the three handlers ------------------------------------------------------------------------------
def resolve_port(port: Any, container: dict[str, Any]) -> int | None:
    """A number, a numeric string, or the name of one of the container's ports (IANA_SVC_NAME)."""
    if isinstance(port, int):
        return port
    text = str(port or "")
    if text.isdigit():
        return int(text)
    for p in container.get("ports") or []:
        if p.get("name") == text:
            return int(p.get("containerPort") or 0) or None
    return None


class _Target:
    """Where a probe goes: the container (for exec) and the Pod's published ports."""

    def __init__(self, runtime: Any, container_id: str, pod_ip: str, published: dict[str, int],
                 real_seconds: Any) -> None:
        self.runtime = runtime
        self.container_id = container_id
        self.pod_ip = pod_ip or "127.0.0.1"
        self.published = published
        self.real_seconds = real_seconds

    def host_port(self, port: int) -> int | None:
        return self.published.get(f"{port}/TCP")

    def exec(self, cmd: list[str], timeout: float) -> tuple[int | None, str]:
        """(exit code, combined output); exit code None when the command timed out."""
        try:
            r = self.runtime.exec(self.container_id, cmd, timeout=timeout)
        except ExecTimeout:
            return None, ""
        return r.exit_code, r.stdout + r.stderr


def exec_probe(target: _Target, action: dict[str, Any], timeout: float) -> ProbeResult:
    """Run the command in the container: exit code 0 is Success; the output is the message."""
    cmd = [str(x) for x in action.get("command") or []]
    try:
        code, output = target.exec(cmd, timeout)
    except ContainerRuntimeError as err:
        return ProbeResult(UNKNOWN, str(err))
    if code is None:
        return ProbeResult(FAILURE, f'command "{" ".join(cmd)}" timed out')
    return ProbeResult(SUCCESS if code == 0 else FAILURE, output)


def http_get(target: _Target, action: dict[str, Any], container: dict[str, Any], timeout: float) -> ProbeResult:
    """GET scheme://host:port/path with the probe's headers; 200–399 is Success.

    The request goes to 127.0.0.1 on the port the sandbox published for *port*. For a port the Pod
    does not declare (so not published), the kubelet falls back to running
    ``wget -q -T <timeout> -O- http://127.0.0.1:<port><path>`` inside the container (busybox wget;
    the probe's ``httpHeaders`` are then not sent) — a real kubelet would dial the Pod IP instead.
    """
    port = resolve_port(action.get("port"), container)
    path = action.get("path") or "/"
    if not path.startswith("/"):
        path = "/" + path
    scheme = (action.get("scheme") or "HTTP").lower()
    if port is None:
        return ProbeResult(UNKNOWN, f"unable to find port {action.get('port')!r} in container")
    url = f"{scheme}://{action.get('host') or target.pod_ip}:{port}{path}"
    dial = f"dial tcp {action.get('host') or target.pod_ip}:{port}"
    host_port = target.host_port(port)
    if host_port is None:
        cmd = ["wget", "-q", "-T", str(max(1, int(timeout))), "-O-", f"http://127.0.0.1:{port}{path}"]
        try:
            code, output = target.exec(cmd, timeout + 1)
        except ContainerRuntimeError as err:
            return ProbeResult(UNKNOWN, str(err))
        if code == 0:
            return ProbeResult(SUCCESS, output)
        if code is None:
            return ProbeResult(FAILURE, f'Get "{url}": context deadline exceeded '
                                        "(Client.Timeout exceeded while awaiting headers)")
        if "server returned error" in output:
            code_text = (output.rsplit(":", 1)[-1].split()[1:2] or ["0"])[0]
            return ProbeResult(FAILURE, f"HTTP probe failed with statuscode: {code_text}")
        return ProbeResult(FAILURE, f'Get "{url}": {dial}: connect: connection refused')
    conn_cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    conn = conn_cls("127.0.0.1", host_port, timeout=max(0.05, target.real_seconds(timeout)))
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for h in action.get("httpHeaders") or []:
        headers[str(h.get("name", ""))] = str(h.get("value", ""))
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read(10 * 1024).decode("utf-8", "replace")
        status = resp.status
    except TimeoutError:
        return ProbeResult(FAILURE, f'Get "{url}": context deadline exceeded '
                                    "(Client.Timeout exceeded while awaiting headers)")
    except (OSError, http.client.HTTPException):
        # docker-proxy accepts the connection and drops it when nothing listens in the container:
        # to the kubelet on a real node that is a refused connection.
        return ProbeResult(FAILURE, f'Get "{url}": {dial}: connect: connection refused')
    finally:
        conn.close()
    if 200 <= status < 400:
        return ProbeResult(SUCCESS, body)
    return ProbeResult(FAILURE, f"HTTP probe failed with statuscode: {status}")


def tcp_socket(target: _Target, action: dict[str, Any], container: dict[str, Any], timeout: float) -> ProbeResult:
    """Open a TCP connection to the port: Success if it connects.

    Through the published port, docker-proxy accepts every connection and closes it at once when
    nothing listens inside, so a connection closed within a moment counts as refused. For a port
    that is not published, ``nc -w <timeout> 127.0.0.1 <port>`` runs inside the container instead.
    """
    port = resolve_port(action.get("port"), container)
    if port is None:
        return ProbeResult(UNKNOWN, f"unable to find port {action.get('port')!r} in container")
    dial = f"dial tcp {action.get('host') or target.pod_ip}:{port}"
    host_port = target.host_port(port)
    if host_port is None:
        cmd = ["sh", "-c", f"nc -w {max(1, int(timeout))} 127.0.0.1 {port} </dev/null"]
        try:
            code, _ = target.exec(cmd, timeout + 1)
        except ContainerRuntimeError as err:
            return ProbeResult(UNKNOWN, str(err))
        if code == 0:
            return ProbeResult(SUCCESS)
        if code is None:
            return ProbeResult(FAILURE, f"{dial}: i/o timeout")
        return ProbeResult(FAILURE, f"{dial}: connect: connection refused")
    real = max(0.05, target.real_seconds(timeout))
    try:
        with socket.create_connection(("127.0.0.1", host_port), timeout=real) as s:
            s.settimeout(min(real, 0.2))
            try:
                if s.recv(1, socket.MSG_PEEK) == b"":
                    return ProbeResult(FAILURE, f"{dial}: connect: connection refused")
            except TimeoutError:
                pass  # connected and quiet: a listening server
            except OSError:
                return ProbeResult(FAILURE, f"{dial}: connect: connection refused")
    except TimeoutError:
        return ProbeResult(FAILURE, f"{dial}: i/o timeout")
    except OSError:
        return ProbeResult(FAILURE, f"{dial}: connect: connection refused")
    return ProbeResult(SUCCESS)


def run_probe(probe: dict[str, Any], container: dict[str, Any], target: _Target) -> ProbeResult:
    timeout = float(probe.get("timeoutSeconds") or 1)
    if "exec" in probe:
        return exec_probe(target, probe["exec"] or {}, timeout)
    if "httpGet" in probe:
        return http_get(target, probe["httpGet"] or {}, container, timeout)
    if "tcpSocket" in probe:
        return tcp_socket(target, probe["tcpSocket"] or {}, container, timeout)
    if "grpc" in probe:
        return ProbeResult(UNKNOWN, "grpc probes are not supported by k8sedu")
    return ProbeResult(UNKNOWN, "missing probe handler")


# -- the workers ---------------------------------------------------------------------------------------
@dataclass
class _Container:
    """What the last sync saw of one container: enough for the workers to decide."""

    id: str = ""
    running: bool = False
    started_at: float | None = None


@dataclass
class _Worker:
    uid: str
    container: str
    probe_field: str  # livenessProbe | readinessProbe | startupProbe
    kind: str  # Liveness | Readiness | Startup
    spec: dict[str, Any]
    stop: threading.Event = field(default_factory=threading.Event)
    container_id: str = ""
    result: str = UNKNOWN  # the verdict, after the thresholds
    last: str = UNKNOWN  # the last single result
    run: int = 0  # how many times in a row *last* came out
    on_hold: bool = False  # a liveness/startup Failure: wait for a new container
    thread: threading.Thread | None = None

    def initial(self) -> str:
        # upstream: readiness starts as Failure, liveness as Success, startup as Unknown
        return {"Readiness": FAILURE, "Liveness": SUCCESS}.get(self.kind, UNKNOWN)


class ProbeManager:
    """The kubelet's probe workers and their verdicts (upstream's prober.Manager + results.Manager)."""

    def __init__(self, kubelet: Kubelet) -> None:
        self.k = kubelet
        # _lock guards _workers and _seen; never held across a probe or an API call.
        self._lock = threading.Lock()
        self._workers: dict[tuple[str, str, str], _Worker] = {}
        self._seen: dict[tuple[str, str], _Container] = {}

    # -- what the pod workers call ----------------------------------------------------------------
    def update(self, pod: dict[str, Any], containers: dict[str, Any]) -> None:
        """After a sync: *containers* maps a container name to its newest ContainerStatus (or None).
        Starts the workers the Pod's probes need and tells them which container to watch."""
        uid = pod["metadata"]["uid"]
        wanted: set[tuple[str, str, str]] = set()
        start: list[_Worker] = []
        with self._lock:
            for c in pod.get("spec", {}).get("containers") or []:
                st = containers.get(c["name"])
                self._seen[(uid, c["name"])] = _Container(
                    id=st.id if st is not None else "",
                    running=st is not None and st.state == "running",
                    started_at=st.started_at if st is not None else None,
                )
                for fld, kind in PROBE_TYPES:
                    spec = c.get(fld)
                    if not isinstance(spec, dict):
                        continue
                    key = (uid, c["name"], fld)
                    wanted.add(key)
                    w = self._workers.get(key)
                    if w is None or w.spec != spec:
                        if w is not None:
                            w.stop.set()
                        w = self._workers[key] = _Worker(uid, c["name"], fld, kind, spec)
                        w.result = w.initial()
                        start.append(w)
            for key in [k for k in self._workers if k[0] == uid and k not in wanted]:
                self._workers.pop(key).stop.set()
        for w in start:
            w.thread = threading.Thread(target=self._loop, args=(w,), daemon=True,
                                        name=f"probe-{w.kind.lower()}-{w.container}-{uid[:8]}")
            w.thread.start()

    def remove_pod(self, uid: str) -> None:
        with self._lock:
            for key in [k for k in self._workers if k[0] == uid]:
                self._workers.pop(key).stop.set()
            for seen in [k for k in self._seen if k[0] == uid]:
                del self._seen[seen]

    def stop(self) -> None:
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for w in workers:
            w.stop.set()

    def _verdict(self, uid: str, name: str, fld: str, container_id: str) -> str | None:
        """The worker's verdict for this very container, or None if there is no such probe."""
        with self._lock:
            w = self._workers.get((uid, name, fld))
            if w is None:
                return None
            if w.container_id != container_id:
                return w.initial()
            return w.result

    def started(self, uid: str, name: str, container_id: str) -> bool:
        """A running container is *started* once its startup probe succeeded (or it has none)."""
        v = self._verdict(uid, name, "startupProbe", container_id)
        return v is None or v == SUCCESS

    def ready(self, uid: str, name: str, container_id: str) -> bool:
        """Started, and its readiness probe's verdict is Success (or it has none)."""
        if not self.started(uid, name, container_id):
            return False
        v = self._verdict(uid, name, "readinessProbe", container_id)
        return v is None or v == SUCCESS

    def kill_reason(self, uid: str, name: str, container_id: str) -> tuple[str, int | None] | None:
        """(Killing message, probe-level terminationGracePeriodSeconds) when a liveness or startup
        verdict says the container must be restarted; else None."""
        for fld, kind in (("livenessProbe", "Liveness"), ("startupProbe", "Startup")):
            with self._lock:
                w = self._workers.get((uid, name, fld))
                hit = w is not None and w.container_id == container_id and w.result == FAILURE
                grace = w.spec.get("terminationGracePeriodSeconds") if w is not None else None
            if hit:
                return kill_message(name, kind), grace
        return None

    # -- one worker ----------------------------------------------------------------------------------
    def _loop(self, w: _Worker) -> None:
        period = max(1.0, float(w.spec.get("periodSeconds") or 10))
        clock = self.k.clock
        while not w.stop.is_set() and not self.k._stop.is_set():
            try:
                self._probe_once(w)
            except Exception:
                log.exception("kubelet %s: %s probe of %s failed", self.k.node_name, w.kind, w.container)
            clock.wait(w.stop, period)

    def _probe_once(self, w: _Worker) -> None:
        if self.k.failed:
            return  # a frozen node probes nothing
        with self._lock:
            seen = self._seen.get((w.uid, w.container))
        rec = self.k.record(w.uid)
        if seen is None or rec is None or rec.deleted or rec.terminal:
            return
        if seen.id != w.container_id:  # a new container: start over (upstream: reset on a new ID)
            with self._lock:
                w.container_id, w.result, w.last, w.run, w.on_hold = seen.id, w.initial(), UNKNOWN, 0, False
            if w.kind == "Readiness" and seen.id:
                self.k.queue.add(w.uid)
        if not seen.running or w.on_hold or not seen.id:
            return
        now = self.k.clock.now()
        if seen.started_at is not None and now - seen.started_at < int(w.spec.get("initialDelaySeconds") or 0):
            return
        if w.kind != "Startup" and not self.started(w.uid, w.container, seen.id):
            return  # the startup probe gates the other two
        if w.kind == "Startup" and w.result == SUCCESS:
            return  # started: the startup probe is done with this container
        pod = rec.pod
        container = next((c for c in pod.get("spec", {}).get("containers") or [] if c["name"] == w.container), None)
        if container is None:
            return
        published = dict(rec.published)
        if not published:
            try:
                raw = (pod["metadata"].get("annotations") or {}).get("k8sedu.io/published-ports") or "{}"
                published = {str(k): int(v) for k, v in json.loads(raw).items()}
            except (ValueError, TypeError):
                published = {}
        pod_ip = rec.pod_ip or pod.get("status", {}).get("podIP", "")
        target = _Target(self.k.runtime, seen.id, pod_ip, published, self.k.clock.real_seconds)
        res = run_probe(w.spec, container, target)
        if w.stop.is_set():
            return
        if res.result != SUCCESS:
            verb = "errored" if res.result == UNKNOWN else "failed"
            self.k.syncer._event(pod, "Warning", UNHEALTHY, f"{w.kind} probe {verb}: {res.output}")
        if res.result == UNKNOWN:
            return  # upstream keeps the previous verdict on an error
        with self._lock:
            if w.container_id != seen.id:
                return
            w.run = w.run + 1 if res.result == w.last else 1
            w.last = res.result
            need = int(w.spec.get("failureThreshold") or 3) if res.result == FAILURE else \
                int(w.spec.get("successThreshold") or 1)
            if w.run < need or w.result == res.result:
                return
            w.result = res.result
            if res.result == FAILURE and w.kind in ("Liveness", "Startup"):
                w.on_hold, w.run = True, 0
        self._flow(pod, w, res)
        self.k.queue.add(w.uid)

    def _flow(self, pod: dict[str, Any], w: _Worker, res: ProbeResult) -> None:
        if w.kind == "Readiness":
            explain = (f"容器 {w.container} 的就绪探针（readiness probe）连续成功，容器变为就绪，Pod 重新加入 Service 的端点"
                       if res.result == SUCCESS else
                       f"容器 {w.container} 的就绪探针连续失败 {w.spec.get('failureThreshold', 3)} 次：容器不再就绪，"
                       "Pod 的 Ready 条件变为 False，Service 不再把流量转给它（不会重启容器）")
        elif res.result == SUCCESS:
            explain = f"容器 {w.container} 的启动探针（startup probe）成功：从现在起才运行存活探针和就绪探针"
        else:
            explain = (f"容器 {w.container} 的{'存活' if w.kind == 'Liveness' else '启动'}探针连续失败 "
                       f"{w.spec.get('failureThreshold', 3)} 次：kubelet 将杀掉容器，再按 restartPolicy 重启它")
        self.k.flow.record(self.k.component, "docker", f"probe {w.kind.lower()} {w.container}: {res.result}",
                           pod, explain=explain, container=w.container, probe=w.kind)
