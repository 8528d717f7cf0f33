"""Shared harness for the controller tests: an apiserver, an admin client, a controller-manager.

There is no scheduler and no kubelet: the tests play them, binding Pods and patching Pod status
(phase Running, Ready=True) through the status subresource, and renewing node Leases.
Waiting is always for a condition, with a deadline; with a :class:`FakeClock` the test moves
time itself and waits until the controllers are idle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from _waits import eventually

from k8sedu.api import meta
from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.client.informer import InformerFactory
from k8sedu.clock import Clock, FakeClock, rfc3339
from k8sedu.controllers import ControllerManager, ControllerManagerOptions
from k8sedu.errors import NotFound

Obj = dict[str, Any]

DEADLINE = 15.0  # real seconds: generous, only hit when something is broken


def wait_for(fn: Callable[[], Any], what: str = "condition", timeout: float = DEADLINE,
             check: Callable[[], None] | None = None) -> Any:
    """Poll *fn* until it returns something truthy; fail with *what* after *timeout* seconds.
    *check* (an invariant) runs on every poll. The controller tests' argument order for
    :func:`_waits.eventually` (*what* before *timeout*), polling every 10 ms."""
    return eventually(fn, timeout, what, interval=0.01, invariant=check)


def deployment(name: str = "web", replicas: int = 3, image: str = "k8sedu/web:v1",
               strategy: Obj | None = None, **spec: Any) -> Obj:
    d: Obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
            **spec,
        },
    }
    if strategy is not None:
        d["spec"]["strategy"] = strategy
    return d


def replicaset(name: str = "web", replicas: int = 3, image: str = "k8sedu/web:v1", **spec: Any) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
            **spec,
        },
    }


class Harness:
    def __init__(self, clock: Clock | None = None, options: ControllerManagerOptions | None = None) -> None:
        self.clock = clock or Clock()
        self.server = APIServer(clock=self.clock)
        self.admin = Client(self.server, ADMIN, "kubectl")
        self.manager = ControllerManager.for_apiserver(self.server, options=options)

    def start(self) -> Harness:
        self.manager.start()
        return self

    def stop(self) -> None:
        self.manager.stop()

    @property
    def fake(self) -> FakeClock:
        assert isinstance(self.clock, FakeClock)
        return self.clock

    # -- reading -------------------------------------------------------------------------------
    def get(self, resource: str, name: str, namespace: str | None = "default") -> Obj | None:
        try:
            return self.admin.get(resource, name, namespace)
        except NotFound:
            return None

    def pods(self, namespace: str = "default", selector: str | None = None, active: bool = True) -> list[Obj]:
        pods = self.admin.items("pods", namespace, label_selector=selector)
        if active:
            pods = [p for p in pods if not p["metadata"].get("deletionTimestamp")
                    and p["status"].get("phase") not in ("Failed", "Succeeded")]
        return pods

    def replicasets(self, namespace: str = "default") -> list[Obj]:
        return self.admin.items("replicasets", namespace)

    def events(self, reason: str | None = None, namespace: str = "default") -> list[Obj]:
        events = self.admin.items("events", namespace)
        return [e for e in events if reason is None or e["reason"] == reason]

    def messages(self, reason: str, namespace: str = "default") -> list[str]:
        return [e["message"] for e in self.events(reason, namespace)]

    # -- playing the kubelet ---------------------------------------------------------------------
    def make_ready(self, pod: Obj, ready: bool = True) -> Obj:
        """Phase Running and a Ready condition, as a kubelet reports them."""
        for _ in range(5):
            current = self.admin.get("pods", pod["metadata"]["name"], pod["metadata"]["namespace"])
            status = current.setdefault("status", {})
            status["phase"] = "Running"
            now = self.clock.timestamp()
            conds = [c for c in status.get("conditions") or [] if c.get("type") not in ("Ready", "ContainersReady")]
            value = "True" if ready else "False"
            conds += [{"type": "ContainersReady", "status": value, "lastTransitionTime": now},
                      {"type": "Ready", "status": value, "lastTransitionTime": now}]
            status["conditions"] = conds
            try:
                return self.admin.update_status("pods", current)
            except Exception:  # a controller wrote meanwhile: read again
                continue
        raise AssertionError(f"could not update pod {pod['metadata']['name']}")

    def make_all_ready(self, namespace: str = "default", selector: str | None = None) -> None:
        for pod in self.pods(namespace, selector):
            if not meta.pod_is_ready(pod):
                self.make_ready(pod)

    def finish(self, pod: Obj) -> None:
        """The kubelet has stopped a terminating Pod's containers: remove it for good."""
        try:
            self.admin.delete("pods", pod["metadata"]["name"], pod["metadata"]["namespace"], grace_period_seconds=0)
        except NotFound:
            pass

    def bind(self, pod: Obj, node: str) -> None:
        self.admin.bind(pod, node)

    # -- nodes -----------------------------------------------------------------------------------
    def add_node(self, name: str, ready: str = "True") -> Obj:
        now = self.clock.timestamp()
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {
                "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                "conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady",
                                "message": "kubelet is posting ready status", "lastHeartbeatTime": now,
                                "lastTransitionTime": now}],
            },
        }
        created = self.admin.create("nodes", node)
        self.admin.create("leases", {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease"},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": self.micro_time()},
        }, "kube-node-lease")
        return created

    def micro_time(self) -> str:
        t = self.clock.now()
        return rfc3339(t).replace("Z", f".{int((t % 1) * 1e6):06d}Z")

    def renew(self, name: str) -> None:
        lease = self.admin.get("leases", name, "kube-node-lease")
        lease["spec"]["renewTime"] = self.micro_time()
        self.admin.update("leases", lease, "kube-node-lease")

    def post_node_status(self, name: str, ready: str) -> None:
        """The kubelet posts its status: Ready with a fresh heartbeat."""
        node = self.admin.get("nodes", name)
        now = self.clock.timestamp()
        conds = []
        for c in node["status"].get("conditions") or []:
            if c.get("type") == "Ready":
                c = dict(c)
                if c.get("status") != ready:
                    c["lastTransitionTime"] = now
                reason = {"True": "KubeletReady", "False": "KubeletNotReady"}.get(ready, "")
                c.update({"status": ready, "reason": reason, "message": f"kubelet status {ready}",
                          "lastHeartbeatTime": now})
            conds.append(c)
        node["status"]["conditions"] = conds
        self.admin.update_status("nodes", node)

    # -- time --------------------------------------------------------------------------------------
    def caught_up(self) -> bool:
        """Every informer of the manager holds exactly what the apiserver has now."""
        informers = self.manager.informers.informers()
        for inf in informers:
            live = self.server.list(ADMIN, inf.resource, inf.namespace, inf.label_selector, inf.field_selector,
                                    record=False)["items"]
            cached = {meta.key(o): o["metadata"].get("resourceVersion") for o in inf.list()}
            if cached != {meta.key(o): o["metadata"].get("resourceVersion") for o in live}:
                return False
        return True

    def idle(self) -> bool:
        return not self.manager.busy() and self.caught_up() and not self.manager.busy()

    def settle(self, timeout: float = DEADLINE) -> None:
        """Wait until the controllers have nothing queued or running, twice in a row."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise AssertionError("controllers did not become idle")
            quiet = quiet + 1 if self.idle() else 0
            time.sleep(0.005)

    def advance(self, seconds: float, step: float = 1.0, renew: tuple[str, ...] = ()) -> None:
        """Move the fake clock forward *step* by *step*, renewing the leases of healthy nodes
        (as their kubelets would) and letting the controllers finish each step."""
        moved = 0.0
        while moved < seconds - 1e-9:
            delta = min(step, seconds - moved)
            for name in renew:
                self.renew(name)
            self.settle()  # the controllers see what the "kubelets" wrote before time moves
            self.fake.advance(delta)
            moved += delta
            self.settle()



def stale_read_round(make: Callable[[Client, InformerFactory], Any], h: Harness, key: str) -> Any:
    """Drive a Pod-owning controller by hand through the interleaving where its own new Pods reach
    the informer between the controller reading its Pod cache and checking its expectations.

    *make* builds the controller on *h*'s apiserver (the harness's manager must not be running).
    Round 1 creates Pods and expects them; the informer is held on the first of them, so the
    cache lacks the rest. Round 2 reads that cache, and only then are the Pods let in and seen
    (expectations met) before round 2 goes on. A controller that checks its expectations after
    reading would act on the stale list and create the missing Pods a second time; upstream checks
    them first. Returns the controller, for the test to count what it made.
    """
    factory = InformerFactory(h.admin)
    hold, held = threading.Event(), threading.Event()

    def first_add(pod: Obj) -> None:  # registered before the controller's handlers: runs first
        if not held.is_set():
            held.set()
            hold.wait(DEADLINE)

    factory.informer("pods").add_handler(on_add=first_add)
    controller = make(h.admin, factory)
    factory.start()
    assert factory.wait_synced()
    controller.reconcile(key)  # round 1: creates and expects
    assert held.wait(DEADLINE) and not controller.expectations.satisfied(key)
    real = controller.pod_informer

    class Late:  # the cache as read at the start of round 2, returned after the Pods arrived
        def list(self) -> list[Obj]:
            items = real.list()
            hold.set()
            eventually(lambda: controller.expectations.satisfied(key), DEADLINE, "the Pods to be observed",
                       interval=0.002)
            return items

    controller.pod_informer = Late()
    try:
        controller.reconcile(key)  # round 2
    finally:
        controller.pod_informer = real
        hold.set()
    eventually(lambda: len(real.list()) == len(h.pods()), DEADLINE, "the informer to catch up")
    factory.stop()
    return controller
