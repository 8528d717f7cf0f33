"""The facade a notebook uses: one object that starts a whole cluster and answers questions about it.

::

    from k8sedu import Cluster
    with Cluster(nodes=3) as c:                 # apiserver, etcd-like store, scheduler,
        c.apply("web.yaml")                     # controller-manager and one kubelet per node
        c.wait("deployment/web", "Available")
        print(c.kubectl("get pods -o wide"))

Everything here goes through the apiserver as the admin user ``kubernetes-admin``, exactly like the
real ``kubectl`` would: the facade never touches the store or a component directly, except to
inject faults (``c.node("node-2").fail()``), to read the scheduler's decision traces, and to read
the store as ``etcdctl`` does (``c.etcdctl("get /registry/pods --prefix --keys-only")``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
import weakref
from pathlib import Path
from typing import Any

from .api import kinds
from .apiserver import ADMIN, CONTROLLER_MANAGER, KUBE_PROXY, SCHEDULER, APIServer, node_user
from .apiserver.tokens import key_file
from .client import Client
from .clock import Clock, parse_rfc3339
from .errors import AlreadyExists, NotFound, Timeout
from .flow import FlowRecorder
from .store import MemoryStore, SQLiteStore

__all__ = ["Cluster", "NodeHandle", "current_cluster", "resolve_runtime"]

_current: weakref.ReferenceType[Cluster] | None = None

SIM_NOTICE = (
    "注意：没有检测到可用的 Docker 引擎，本集群使用模拟运行时（simulated runtime）：Pod 的容器不是真实进程，"
    "但控制平面、调度、控制器和所有状态变化都与使用 Docker 时相同。"
    "(No Docker engine reachable: this cluster runs on the simulated runtime.)"
)


def current_cluster() -> Cluster | None:
    """The cluster most recently started in this process (what ``%kubectl`` talks to)."""
    return _current() if _current is not None else None


def resolve_runtime(requested: str) -> tuple[str, str | None]:
    """("docker" | "sim", notice or None) for ``runtime="auto" | "docker" | "sim"``.

    "auto" honours ``K8SEDU_RUNTIME`` when set, then uses Docker if it answers, else the simulator
    with a visible notice.
    """
    if requested not in ("auto", "docker", "sim"):
        raise ValueError(f'runtime must be "auto", "docker" or "sim", not {requested!r}')
    if requested == "auto":
        pinned = os.environ.get("K8SEDU_RUNTIME", "").strip().lower()
        if pinned in ("docker", "sim"):
            requested = pinned
    if requested != "auto":
        return requested, None
    from .runtime import docker_reachable

    if docker_reachable():
        return "docker", None
    return "sim", SIM_NOTICE


def _show_notice(text: str) -> None:
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from IPython.display import HTML, display

            display(HTML(
                '<div style="border-left:4px solid #e6a23c;background:#fdf6ec;padding:6px 10px;'
                f'margin:4px 0;font-size:0.95em">⚠️ {text}</div>'
            ))
            return
    except ImportError:
        pass
    print(text, file=sys.stderr)


class NodeHandle:
    """Fault injection for one node: ``fail()`` stops its heartbeats and freezes its containers
    (as if the machine hung or dropped off the network); ``recover()`` brings it back."""

    def __init__(self, cluster: Cluster, name: str) -> None:
        self.cluster, self.name = cluster, name

    @property
    def kubelet(self) -> Any:
        try:
            return self.cluster._kubelets[self.name]
        except KeyError:
            raise NotFound(f'nodes "{self.name}" not found') from None

    def fail(self) -> None:
        self.kubelet.fail()

    def recover(self) -> None:
        self.kubelet.recover()

    def get(self) -> dict[str, Any]:
        return self.cluster.get(f"node/{self.name}")

    def __repr__(self) -> str:
        return f"<NodeHandle {self.name}>"


class Cluster:
    """A compact Kubernetes cluster inside this process. See the module docstring."""

    def __init__(self, nodes: int = 3, runtime: str = "auto", speed: float = 1.0,
                 proxy_mode: str = "iptables", state_dir: str | os.PathLike[str] | None = None,
                 node_capacity: dict[str, str] | None = None, progress: bool = True) -> None:
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        if proxy_mode not in ("iptables", "ipvs"):
            raise ValueError('proxy_mode must be "iptables" or "ipvs"')
        self.nodes = nodes
        self.requested_runtime = runtime
        self.speed = speed
        self.proxy_mode = proxy_mode
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.node_capacity = dict(node_capacity or {"cpu": "2", "memory": "4Gi", "pods": "110"})
        self.progress = progress
        self.id = uuid.uuid4().hex[:8]
        self.runtime_name = ""
        self.notice: str | None = None
        self.clock = Clock(speed)
        self.flow = FlowRecorder(self.clock)
        self.started = False
        self._lock = threading.RLock()  # guards start/stop
        self._kubelets: dict[str, Any] = {}
        self._components: list[Any] = []
        self.runtime: Any = None
        self.apiserver: APIServer | None = None
        self.client: Client | None = None
        self.scheduler: Any = None
        self.controller_manager: Any = None
        self.proxy: Any = None  # kube-proxy (k8sedu.proxy.KubeProxy)
        self.ingress: Any = None  # the Ingress controller (k8sedu.proxy.ingress.IngressController)
        self.dns: Any = None  # the cluster DNS (k8sedu.proxy.dns.ClusterDNS)
        self.metrics_server: Any = None  # metrics-server (k8sedu.metrics.MetricsServer): kubectl top, HPA
        self._kubectl: Any = None
        self.http: Any = None  # the KubeAPIServer of serve(), if any
        self.kubeconfig: str | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Cluster:
        global _current
        with self._lock:
            if self.started:
                return self
            self.runtime_name, self.notice = resolve_runtime(self.requested_runtime)
            if self.notice:
                _show_notice(self.notice)
            self.runtime = self._make_runtime()
            store = (
                SQLiteStore(self.state_dir / "etcd.sqlite3") if self.state_dir is not None else MemoryStore()
            )
            key = key_file(self.state_dir / "sa.key") if self.state_dir is not None else None
            self.apiserver = APIServer(store, self.clock, self.flow, service_account_key=key)
            node_names = [f"node-{i}" for i in range(1, self.nodes + 1)]
            self.apiserver.watch_agents.update(
                {"scheduler", "controller-manager", "kube-proxy"} | {f"kubelet/{n}" for n in node_names}
            )
            self.client = Client(self.apiserver, ADMIN, "kubectl")
            try:
                self._start_components(node_names)
            except BaseException:
                self._teardown()
                raise
            self.started = True
            _current = weakref.ref(self)
            atexit.register(self._atexit)
        return self

    def _make_runtime(self) -> Any:
        if self.runtime_name == "docker":
            from .runtime import DockerRuntime, cleanup_all

            cleanup_all(only_dead=True)  # what a killed kernel left behind
            runtime = DockerRuntime(self.id, clock=self.clock)
            runtime.ensure_images(progress=self._progress if self.progress else None)
            return runtime
        from .runtime import SimRuntime

        return SimRuntime(self.id, self.clock)

    def _progress(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def _start_components(self, node_names: list[str]) -> None:
        from .controllers import ControllerManager
        from .scheduler import Scheduler

        assert self.apiserver is not None
        for name in node_names:
            self._components.append(self._new_kubelet(name))
        from .controllers import ControllerManagerOptions

        self.controller_manager = ControllerManager(
            Client(self.apiserver, CONTROLLER_MANAGER, "controller-manager"), self.clock,
            ControllerManagerOptions(volume_deleter=getattr(self.runtime, "remove_volume", None),
                                     root_ca=self._make_certificate()),
        )
        self.scheduler = Scheduler(Client(self.apiserver, SCHEDULER, "scheduler"), self.clock)
        from .proxy import KubeProxy

        # the host's route to Pod IPs (the Pod IP on Docker on Linux, published ports on Docker Desktop)
        self.proxy = KubeProxy(Client(self.apiserver, KUBE_PROXY, "kube-proxy"), self.clock, mode=self.proxy_mode,
                               reach=getattr(self.runtime, "pod_address", None))
        # Services by name from inside Pods (k8sedu.api.servicedns): Docker containers reach kube-proxy
        # on the host side of the cluster network; the sim runtime's wget asks kube-proxy directly
        if hasattr(self.runtime, "service_addresses"):
            self.proxy.set_pod_address(self.runtime.service_addresses()[1])
        if hasattr(self.runtime, "set_router"):
            self.runtime.set_router(self.proxy.route)
        self._start_dns()
        from .proxy.ingress import INGRESS_CONTROLLER, IngressController

        self.ingress = IngressController(Client(self.apiserver, INGRESS_CONTROLLER, "ingress-controller"), self.proxy)
        from .apiserver.rbac import METRICS_SERVER
        from .metrics import MetricsServer

        self.metrics_server = MetricsServer(Client(self.apiserver, METRICS_SERVER, "metrics-server"), self.clock)
        self._components += [self.controller_manager, self.scheduler, self.proxy, self.ingress, self.metrics_server]
        for component in self._components:
            component.start()
        for name in node_names:
            self.wait(f"node/{name}", "Ready", timeout=30)

    def _new_kubelet(self, name: str) -> Any:
        from .kubelet import Kubelet

        assert self.apiserver is not None
        kubelet = Kubelet(
            Client(self.apiserver, node_user(name), f"kubelet/{name}"),
            self.runtime,
            name,
            self.clock,
            capacity=dict(self.node_capacity),
        )
        self._kubelets[name] = kubelet
        return kubelet

    def add_node(self, name: str | None = None, timeout: float = 30) -> NodeHandle:
        """Join one more node to the running cluster: a new kubelet registers its Node, as when a
        machine runs ``kubeadm join``; returns its handle once the node is Ready. The default name
        is the next free ``node-N``. DaemonSets follow it at once (their controller watches Nodes).
        """
        with self._lock:
            if not self.started or self.apiserver is None:
                raise RuntimeError("the cluster is not running: call c.start() first")
            if name is None:
                n = len(self._kubelets) + 1
                while f"node-{n}" in self._kubelets:
                    n += 1
                name = f"node-{n}"
            if name in self._kubelets:
                raise AlreadyExists.of("nodes", name)
            self.apiserver.watch_agents.add(f"kubelet/{name}")
            kubelet = self._new_kubelet(name)
            self._components.insert(len(self._kubelets) - 1, kubelet)  # kubelets stop last
            self.nodes = len(self._kubelets)
            kubelet.start()
        self.wait(f"node/{name}", "Ready", timeout=timeout)
        return NodeHandle(self, name)

    def _start_dns(self) -> None:
        """The cluster DNS (k8sedu.proxy.dns): on Docker it answers on the cluster network's gateway,
        port 53, the nameserver the kubelet writes into ClusterFirst Pods; the sim runtime asks it
        directly. When it cannot listen, Pods get Service names in /etc/hosts instead (a notice)."""
        from .proxy.dns import COREDNS, ClusterDNS

        assert self.apiserver is not None
        addresses = getattr(self.runtime, "service_addresses", None)
        pod_side = str(addresses()[0]) if callable(addresses) else ""
        self.dns = ClusterDNS(Client(self.apiserver, COREDNS, "coredns"),
                              service_address=(lambda _svc: pod_side) if pod_side else None)
        self._components.append(self.dns)
        if not callable(addresses):  # the simulated runtime resolves through the same code
            self.runtime.cluster_dns = "10.96.0.10"
            self.runtime.set_resolver(self.dns)
            return
        try:
            if not pod_side[:1].isdigit():
                raise OSError(f"containers reach the host as {pod_side!r}, not an IP address")
            self.dns.serve(addresses()[1], 53)
        except OSError as e:
            _show_notice(f"集群 DNS（cluster DNS）无法在 {addresses()[1]}:53 监听（{e}）；Pod 里的 Service 名字改由 "
                         "/etc/hosts 提供，只含 Pod 创建时已有的 Service。"
                         f"(cluster DNS could not listen on port 53; Pods get Service names in /etc/hosts instead)")
            return
        self.runtime.cluster_dns = pod_side

    def stop(self) -> None:
        """Stop every component and remove every container, network and volume the cluster made."""
        global _current
        with self._lock:
            if not self.started and self.apiserver is None:
                return
            self._teardown()
            self.started = False
            if _current is not None and _current() is self:
                _current = None
        try:
            atexit.unregister(self._atexit)
        except Exception:
            pass

    def serve(self, user: str | None = None, namespace: str | None = None, port: int = 0,
              kubeconfig: str | os.PathLike[str] | None = None) -> str:
        """Serve this cluster's Kubernetes API on 127.0.0.1 for the real ``kubectl`` and the
        official Python client; returns the path of a kubeconfig for it
        (``export KUBECONFIG=<path>``).

        With *user*, the kubeconfig also holds that user, bound by a RoleBinding to the ClusterRole
        ``edit`` in *namespace* (created if missing; default: the user's name), and selects it.
        """
        from .kubectl.printers import as_table
        from .server import KubeAPIServer

        with self._lock:
            if not self.started:
                self.start()
            if self.http is None:
                pki = self._pki_dir() if (self._pki_dir() / "apiserver.crt").exists() else None
                self.http = KubeAPIServer(self.apiserver, port=port, table=as_table,  # type: ignore[arg-type]
                                          cert_dir=pki).start()
            current = None
            if user:
                from .apiserver import UserInfo

                ns = namespace or user
                self._grant_edit(user, ns)
                current = self.http.add_user(UserInfo(user, ("system:authenticated",)), ns)
            path = Path(kubeconfig) if kubeconfig else self._default_kubeconfig()
            self.kubeconfig = str(self.http.write_kubeconfig(path, current))
            return self.kubeconfig

    def _pki_dir(self) -> Path:
        return Path(tempfile.gettempdir()) / f"k8sedu-{self.id}" / "pki"

    def _make_certificate(self) -> bytes | None:
        """The API server's self-signed certificate (it is its own CA), made at start so that the
        root-ca-cert-publisher can publish it as ConfigMap ``kube-root-ca.crt`` (Pods find it as
        ``ca.crt`` beside their token) and ``serve()`` presents the same one. None without openssl."""
        from .server.tls import TLSUnavailable, make_self_signed

        try:
            cert, _ = make_self_signed(self._pki_dir())
            return cert.read_bytes()
        except (TLSUnavailable, OSError, subprocess.SubprocessError):
            return None

    def _default_kubeconfig(self) -> Path:
        return Path(tempfile.gettempdir()) / f"k8sedu-{self.id}" / "kubeconfig"

    def _grant_edit(self, user: str, namespace: str) -> None:
        """The namespace and a RoleBinding ``<user>-edit`` to ClusterRole ``edit`` (kept if present)."""
        api = self._api()
        objs: list[dict[str, Any]] = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": f"{user}-edit", "namespace": namespace},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
             "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]},
        ]
        for obj in objs:
            try:
                api.create(kinds.for_object(obj).plural, obj, namespace=obj["metadata"].get("namespace"))
            except AlreadyExists:
                pass

    def _teardown(self) -> None:
        self.flow.step_mode = False  # a component waiting for 下一步 must not block stop()
        if self.http is not None:
            self.http.stop()
            self.http = None
            default = self._default_kubeconfig()
            try:  # the kubeconfig serve() made in its own folder goes with the cluster
                default.unlink(missing_ok=True)
                default.parent.rmdir()
            except OSError:
                pass
        for component in reversed(self._components):
            try:
                component.stop()
            except Exception:  # keep tearing down: leaving containers behind is worse
                pass
        self._components.clear()
        self._kubelets.clear()
        # the kubelets' files on the host (ConfigMap/Secret volumes): /tmp/k8sedu-<id>/
        shutil.rmtree(Path(tempfile.gettempdir()) / f"k8sedu-{self.id}", ignore_errors=True)
        if self.runtime is not None:
            try:
                self.runtime.cleanup()
            finally:
                close = getattr(self.runtime, "close", None)
                if close:
                    close()
        if self.apiserver is not None:
            self.apiserver.close()
        self.apiserver = None
        self.client = None

    def _atexit(self) -> None:
        try:
            self.stop()
        except Exception:
            pass

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.started else "stopped"
        return f"<Cluster {self.id} {state} nodes={self.nodes} runtime={self.runtime_name or self.requested_runtime}>"

    # ------------------------------------------------------------------ the contract
    def _api(self) -> Client:
        if self.client is None:
            raise RuntimeError("the cluster is not running: call c.start() first")
        return self.client

    @property
    def kubectl_runner(self) -> Any:
        if self._kubectl is None:
            from .kubectl import Kubectl

            self._kubectl = Kubectl(self._api(), self.clock)
        return self._kubectl

    def kubectl(self, command: str | list[str], stdin: str | None = None) -> str:
        """Run a kubectl command against this cluster and return what kubectl prints.

        Errors raise :class:`~k8sedu.errors.KubectlError` with kubectl's own message.
        """
        return self.kubectl_runner.run(command, stdin=stdin)

    def apply(self, obj: Any, namespace: str | None = None) -> list[dict[str, Any]]:
        """Create or update objects, as ``kubectl apply`` does; returns them as stored.

        *obj*: a path (file or folder), YAML/JSON text (several documents allowed), a dict or a list.
        """
        from .kubectl import manifests

        objs = manifests.load(obj)
        return self.kubectl_runner.apply_objects(objs, namespace=namespace)

    def _ref(self, ref: str) -> tuple[kinds.Kind, str | None]:
        if "/" in ref:
            resource, name = ref.split("/", 1)
            return kinds.lookup(resource), name
        return kinds.lookup(ref), None

    def get(self, ref: str, namespace: str | None = "default", selector: str | None = None,
            field_selector: str | None = None) -> Any:
        """``c.get("pods", selector="app=web")`` → a list; ``c.get("deployment/web")`` → one dict.

        ``namespace=None`` lists across all namespaces.
        """
        kind, name = self._ref(ref)
        api = self._api()
        if name:
            return api.get(kind.plural, name, namespace or "default" if kind.namespaced else None)
        return api.items(kind.plural, namespace if kind.namespaced else None, selector, field_selector)

    def delete(self, ref: str, namespace: str = "default", wait: bool = False, timeout: float = 60,
               grace_period: int | None = None, propagation_policy: str | None = None) -> dict[str, Any]:
        kind, name = self._ref(ref)
        if not name:
            raise ValueError('delete needs "kind/name", e.g. "deployment/web"')
        result = self._api().delete(kind.plural, name, namespace if kind.namespaced else None,
                                    grace_period_seconds=grace_period, propagation_policy=propagation_policy)
        if wait:
            self.wait(ref, "Deleted", timeout=timeout, namespace=namespace)
        return result

    def wait(self, ref: str, condition: str, timeout: float = 60, namespace: str = "default") -> dict[str, Any] | None:
        """Wait until *ref* meets *condition*; returns the object (None for "Deleted").

        Conditions: "Deleted", "Exists", a phase ("Running", "Succeeded", "Failed", "Pending"),
        "Scheduled", or any condition type in status.conditions ("Ready", "Available",
        "Complete"…), optionally with the status it must have ("PodScheduled=False"). For a Deployment, "Available" also waits for the rollout to finish: every
        replica updated and available, as ``kubectl rollout status`` does. *timeout* is in real seconds.
        """
        kind, name = self._ref(ref)
        if not name:
            raise ValueError('wait needs "kind/name", e.g. "deployment/web"')
        ns = namespace if kind.namespaced else None
        api = self._api()
        check = _condition_check(kind.kind, condition)
        deadline = _deadline(timeout)
        field = f"metadata.name={name}"
        while True:
            listing = api.list(kind.plural, ns, field_selector=field)
            current = listing["items"][0] if listing["items"] else None
            if check(current):
                return current
            watch = api.watch(kind.plural, ns, resource_version=listing["metadata"]["resourceVersion"],
                              field_selector=field)
            try:
                while True:
                    remaining = deadline - _monotonic()
                    if remaining <= 0:
                        raise Timeout(
                            f"timed out waiting for the condition on {kind.plural}/{name}",
                        )
                    event = watch.next(timeout=min(remaining, 1.0))
                    if event is None:
                        if watch.stopped:
                            break
                        continue
                    current = None if event.type == "DELETED" else event.object
                    if check(current):
                        return current
            finally:
                watch.stop()

    def events(self, namespace: str | None = None, object: str | None = None,
               warnings_only: bool = False) -> list[dict[str, Any]]:
        """Event objects, oldest first (newest last); *object* ("pod/web-x") keeps that object's."""
        items = self._api().items("events", namespace)
        if object is not None:
            kind, name = self._ref(object)
            items = [e for e in items
                     if e.get("involvedObject", {}).get("kind") == kind.kind
                     and e.get("involvedObject", {}).get("name") == name]
        if warnings_only:
            items = [e for e in items if e.get("type") == "Warning"]

        def when(e: dict[str, Any]) -> float:
            t = e.get("lastTimestamp") or e.get("eventTime") or e["metadata"].get("creationTimestamp")
            return parse_rfc3339(t) if t else 0.0

        return sorted(items, key=lambda e: (when(e), int(e["metadata"].get("resourceVersion", 0))))

    def scheduler_trace(self, ref: str, namespace: str = "default") -> dict[str, Any]:
        """The scheduler's latest decision for a Pod: every node, every plugin, every score."""
        kind, name = self._ref(ref)
        if kind.kind != "Pod" or not name:
            raise ValueError('scheduler_trace needs "pod/<name>"')
        trace = self.scheduler.trace(namespace, name)
        if trace is None:
            raise NotFound(f'no scheduling decision recorded for pod "{name}"')
        return trace.to_dict()

    def node(self, name: str) -> NodeHandle:
        return NodeHandle(self, name)

    @property
    def node_names(self) -> list[str]:
        return list(self._kubelets)

    def containers(self) -> list[Any]:
        """The cluster's containers as the runtime sees them (``docker ps`` for this cluster)."""
        return list(self.runtime.list_containers())

    def docker_ps(self) -> str:
        """A ``docker ps``-style table of this cluster's containers (names as dockershim made them)."""
        rows = [("CONTAINER ID", "IMAGE", "STATUS", "NAMES")]
        for c in sorted(self.containers(), key=lambda c: c.name):
            image = c.image if ":" in c.image.rsplit("/", 1)[-1] else f"{c.image}:latest"
            rows.append((c.id[:12], image, c.state, c.name))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows)

    def etcdctl(self, command: str) -> str:
        """Read the store as ``etcdctl`` reads a real etcd: ``get`` (``--prefix``, ``--keys-only``,
        ``--rev``, ``-w fields|json``), ``watch --rev`` (replays the history up to now),
        ``endpoint status``, ``compaction``. See :mod:`k8sedu.store.etcdctl`."""
        from .store import Etcdctl

        if self.apiserver is None:
            raise RuntimeError("the cluster is not running: call c.start() first")
        return Etcdctl(self.apiserver.store).run(command)

    def url(self, ref: str, namespace: str = "default", timeout: float = 10.0) -> str:
        """``c.url("service/web")`` → ``"http://127.0.0.1:PORT"``: the Service through kube-proxy.
        ``c.url("ingress")`` is the Ingress controller's ``"http://127.0.0.1:PORT"`` (send a Host header).

        ``"service/web:8080"`` or ``"service/web:http"`` picks a port of a multi-port Service (the
        first one otherwise). Waits up to *timeout* seconds for kube-proxy to program a new Service.
        """
        if ref in ("ingress", "ingresses", "ing"):
            return str(self.ingress.url)  # one port for every Ingress: routed by Host and path
        kind, name = self._ref(ref)
        if kind.kind != "Service" or not name:
            raise ValueError('url needs "service/<name>" or "ingress"')
        name, _, port_ref = name.partition(":")
        self.get(f"service/{name}", namespace=namespace)  # NotFound as kubectl says it
        port: int | str | None = int(port_ref) if port_ref.isdigit() else (port_ref or None)
        deadline = _deadline(timeout)
        while True:
            local = self.proxy.port_for(namespace, name, port)
            if local is not None:
                # and the rest of what kube-proxy has seen (a NodePort's listener comes with it)
                self.proxy.wait_synced(timeout=max(0.0, deadline - _monotonic()))
                return f"http://127.0.0.1:{local}"
            if _monotonic() > deadline:
                raise Timeout(f'kube-proxy has no listener for service "{namespace}/{name}" port {port_ref or "(first)"}')
            self.proxy.wait_synced(timeout=0.2)
            import time

            time.sleep(0.02)


# ---------------------------------------------------------------------- wait conditions
def _monotonic() -> float:
    import time

    return time.monotonic()


def _deadline(timeout: float) -> float:
    return _monotonic() + timeout


_PHASES = {"Pending", "Running", "Succeeded", "Failed", "Active", "Terminating", "Bound"}
_PHASED_KINDS = {"Pod", "Namespace", "PersistentVolume", "PersistentVolumeClaim"}


def _condition_check(kind: str, condition: str) -> Any:
    from .api.meta import get_condition

    def has_condition(obj: dict[str, Any], ctype: str) -> bool:
        cond = get_condition(obj, ctype)
        return cond is not None and cond.get("status") == "True"

    if condition == "Deleted":
        return lambda obj: obj is None
    if condition == "Exists":
        return lambda obj: obj is not None
    if condition in _PHASES and kind in _PHASED_KINDS:  # a Job's "Failed" is a condition, not a phase
        return lambda obj: obj is not None and obj.get("status", {}).get("phase") == condition
    if condition == "Scheduled":
        return lambda obj: obj is not None and bool(obj.get("spec", {}).get("nodeName"))
    if kind == "Deployment" and condition == "Available":
        def rolled_out(obj: dict[str, Any] | None) -> bool:
            if obj is None or not has_condition(obj, "Available"):
                return False
            spec, st = obj.get("spec", {}), obj.get("status", {})
            want = spec.get("replicas", 1)
            return (
                st.get("observedGeneration", 0) >= obj["metadata"].get("generation", 0)
                and st.get("updatedReplicas", 0) == want
                and st.get("availableReplicas", 0) == want
                and st.get("replicas", 0) == want
            )

        return rolled_out
    if "=" in condition:  # "PodScheduled=False", as kubectl wait --for=condition=PodScheduled=false
        ctype, _, want = condition.partition("=")

        def condition_is(obj: dict[str, Any] | None) -> bool:
            cond = get_condition(obj, ctype) if obj is not None else None
            return cond is not None and str(cond.get("status", "")).lower() == want.lower()

        return condition_is
    return lambda obj: obj is not None and has_condition(obj, condition)

