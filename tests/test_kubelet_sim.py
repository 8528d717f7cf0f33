"""The kubelet on the simulated runtime: Pods bound to its node run, restart, back off, finish and
go away as on a real node, and the node heartbeats through its Lease.

The cluster clock is a FakeClock: nothing that waits on time (a crash 0.05 s after start, a back-off,
a grace period, a Lease renewal) happens until the test advances it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.clock import FakeClock, parse_rfc3339
from k8sedu.errors import BadRequest, InternalError, NotFound
from k8sedu.kubelet import PUBLISHED_PORTS_ANNOTATION, Kubelet
from k8sedu.runtime import SimRuntime
from k8sedu.runtime.base import ContainerStatus

NODE = "node-1"


class Env:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.api = APIServer(clock=self.clock)
        self.admin = Client(self.api, ADMIN, "kubectl")
        self.runtime = SimRuntime("kubelettest", self.clock)
        self.kubelet = Kubelet(self.admin, self.runtime, NODE, self.clock, relist_period=0.05)

    # -- helpers ---------------------------------------------------------------------------------
    def create(self, name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
            "spec": {"nodeName": NODE, "containers": containers, **spec},
        }
        return self.admin.create("pods", pod, "default")

    def pod(self, name: str) -> dict[str, Any]:
        return self.admin.get("pods", name, "default")

    def containers(self, uid: str) -> list[ContainerStatus]:
        return [c for c in self.runtime.list_containers(NODE) if c.pod_uid == uid]

    def events(self, name: str) -> list[tuple[str, str, str]]:
        return [(e["type"], e["reason"], e["message"]) for e in self.admin.items("events", "default")
                if e["involvedObject"].get("name") == name]

    def eventually(self, check: Callable[[], Any], timeout: float = 10.0, advance: float = 0.0,
                   what: str = "condition") -> Any:
        """Poll *check* until it returns something truthy, advancing the fake clock by *advance*
        cluster seconds per round; fail after *timeout* real seconds."""
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while True:
            result = check()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            if advance:
                self.clock.advance(advance)
                self.kubelet.pleg.relist()  # notice what the new time changed, as the next relist would
            pause.wait(0.02)

    def phase(self, name: str, phase: str, advance: float = 0.0, timeout: float = 10.0) -> dict[str, Any]:
        return self.eventually(lambda: (p := self.pod(name))["status"].get("phase") == phase and p,
                               advance=advance, timeout=timeout, what=f"pod {name} {phase}")

    def cstatus(self, name: str, container: str | None = None) -> dict[str, Any]:
        statuses = self.pod(name)["status"].get("containerStatuses") or [{}]
        if container is None:
            return statuses[0]
        return next(s for s in statuses if s["name"] == container)


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    e.kubelet.start()
    try:
        yield e
    finally:
        e.kubelet.stop()
        e.runtime.cleanup()


WEB = {"name": "web", "image": "k8sedu/web:v1", "ports": [{"containerPort": 80}]}


def test_pod_runs_in_a_pause_sandbox_with_upstream_status(env: Env) -> None:
    created = env.create("web", [WEB])
    uid = created["metadata"]["uid"]
    pod = env.eventually(lambda: (p := env.pod("web"))["status"].get("phase") == "Running"
                         and p["status"]["containerStatuses"][0]["ready"] and p, what="web Running and ready")

    names = sorted(c.name for c in env.containers(uid))
    assert names == [f"k8s_POD_web_default_{uid}_0", f"k8s_web_web_default_{uid}_0"]
    sandbox = next(c for c in env.containers(uid) if c.is_sandbox)
    app = next(c for c in env.containers(uid) if not c.is_sandbox)
    assert app.sandbox_id == sandbox.id and sandbox.state == app.state == "running"

    status = pod["status"]
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    assert all(c["status"] == "True" and "lastTransitionTime" in c for c in status["conditions"])
    cs = status["containerStatuses"][0]
    assert cs["name"] == "web" and cs["image"] == "k8sedu/web:v1" and cs["imageID"]
    assert cs["containerID"] == f"sim://{app.id}"
    assert cs["ready"] is True and cs["started"] is True and cs["restartCount"] == 0
    assert cs["lastState"] == {} and set(cs["state"]) == {"running"}
    assert parse_rfc3339(cs["state"]["running"]["startedAt"]) > 0
    assert status["podIP"].startswith("10.244.1.") and status["podIPs"] == [{"ip": status["podIP"]}]
    assert status["hostIP"] == status["hostIPs"][0]["ip"] and status["startTime"]
    assert status["qosClass"] == "BestEffort"

    ports = json.loads(pod["metadata"]["annotations"][PUBLISHED_PORTS_ANNOTATION])
    assert set(ports) == {"80/TCP"} and isinstance(ports["80/TCP"], int)

    events = env.eventually(lambda: (ev := env.events("web")) and len(ev) >= 3 and ev, what="events")
    assert ("Normal", "Pulled", 'Container image "k8sedu/web:v1" already present on machine') in events
    assert ("Normal", "Created", "Created container: web") in events
    assert ("Normal", "Started", "Started container web") in events

    actions = [f.action for f in env.api.flow.events() if f.src == f"kubelet/{NODE}" and f.dst == "docker"]
    sandbox_step = actions.index(f"create sandbox (pause) k8s_POD_web_default_{uid}_0")
    assert sandbox_step < actions.index(f"create container k8s_web_web_default_{uid}_0") \
        < actions.index(f"start container k8s_web_web_default_{uid}_0")


def test_node_registers_and_renews_its_lease(env: Env) -> None:
    node = env.admin.get("nodes", NODE)
    labels = node["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == NODE and labels["kubernetes.io/os"] == "linux"
    assert labels["kubernetes.io/arch"]
    st = node["status"]
    assert st["capacity"] == {"cpu": "2", "memory": "4Gi", "pods": "110"} and st["allocatable"]
    conds = {c["type"]: c for c in st["conditions"]}
    assert conds["Ready"]["status"] == "True" and conds["Ready"]["reason"] == "KubeletReady"
    assert conds["Ready"]["message"] == "kubelet is posting ready status"
    assert conds["MemoryPressure"]["reason"] == "KubeletHasSufficientMemory"
    assert conds["DiskPressure"]["status"] == "False" and conds["PIDPressure"]["status"] == "False"
    assert [a["type"] for a in st["addresses"]] == ["InternalIP", "Hostname"]
    info = st["nodeInfo"]
    assert info["kubeletVersion"] == "v1.32.0-k8sedu" and info["containerRuntimeVersion"].startswith("sim://")
    assert info["operatingSystem"] == "linux" and info["architecture"]

    lease = env.admin.get("leases", NODE, "kube-node-lease")
    assert lease["spec"]["holderIdentity"] == NODE and lease["spec"]["leaseDurationSeconds"] == 40
    first = lease["spec"]["renewTime"]
    renewed = env.eventually(
        lambda: (r := env.admin.get("leases", NODE, "kube-node-lease")["spec"]["renewTime"]) != first and r,
        advance=1.0, what="lease renewal")
    assert parse_rfc3339(renewed) - parse_rfc3339(first) >= 10


def test_killed_container_is_restarted(env: Env) -> None:
    uid = env.create("web", [WEB])["metadata"]["uid"]
    env.phase("web", "Running")
    first = env.eventually(lambda: [c for c in env.containers(uid) if not c.is_sandbox and c.state == "running"])[0]
    env.runtime.kill_container(first.id)  # docker kill: SIGKILL

    cs = env.eventually(lambda: (s := env.cstatus("web"))["restartCount"] == 1 and "running" in s["state"] and s,
                        what="restart")
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert cs["lastState"]["terminated"]["containerID"] == f"sim://{first.id}"
    names = sorted(c.name for c in env.containers(uid) if not c.is_sandbox)
    assert names == [f"k8s_web_web_default_{uid}_0", f"k8s_web_web_default_{uid}_1"]
    assert env.pod("web")["status"]["phase"] == "Running"


def test_crashing_container_backs_off_longer_each_time(env: Env) -> None:
    created = env.create("crash", [{"name": "app", "image": "k8sedu/busybox", "command": ["sh", "-c", "exit 1"]}])
    uid = created["metadata"]["uid"]
    ref = f"crash_default({uid})"

    def waiting(message_part: str) -> Callable[[], Any]:
        def check() -> Any:
            s = env.cstatus("crash")
            w = s.get("state", {}).get("waiting") or {}
            return w.get("reason") == "CrashLoopBackOff" and message_part in w.get("message", "") and s
        return check

    cs = env.eventually(waiting("back-off 10s"), advance=0.5, what="first back-off")
    assert cs["state"]["waiting"]["message"] == f"back-off 10s restarting failed container=app pod={ref}"
    assert cs["lastState"]["terminated"]["exitCode"] == 1 and cs["lastState"]["terminated"]["reason"] == "Error"
    assert cs["restartCount"] == 1 and cs["ready"] is False
    pod = env.pod("crash")
    assert pod["status"]["phase"] == "Running"
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "ContainersNotReady"
    assert ready["message"] == "containers with unready status: [app]"
    assert ("Warning", "BackOff", f"Back-off restarting failed container app in pod {ref}") in env.events("crash")

    # Nothing restarts before the back-off is over ...
    env.clock.advance(5)
    assert env.cstatus("crash")["restartCount"] == 1
    # ... then it runs again, crashes again and waits twice as long.
    cs = env.eventually(waiting("back-off 20s"), advance=1.0, what="second back-off")
    assert cs["restartCount"] == 2
    cs = env.eventually(waiting("back-off 40s"), advance=2.0, what="third back-off")
    assert cs["restartCount"] == 3
    # only the newest attempt and the previous one are kept
    attempts = sorted(c.attempt for c in env.containers(uid) if not c.is_sandbox)
    assert attempts == [2, 3]


def test_missing_image_is_err_image_pull_then_image_pull_back_off(env: Env) -> None:
    image = "k8sedu/nope:v9"
    reasons: list[str] = []
    watch = env.admin.watch("pods", "default")

    def collect() -> None:
        for event in watch:
            for s in event.object.get("status", {}).get("containerStatuses") or []:
                reason = (s["state"].get("waiting") or {}).get("reason")
                if reason and (not reasons or reasons[-1] != reason):
                    reasons.append(reason)

    threading.Thread(target=collect, daemon=True).start()
    try:
        env.create("bad", [{"name": "app", "image": image}])
        cs = env.eventually(lambda: (s := env.cstatus("bad")).get("state", {}).get("waiting", {}).get("reason")
                            in ("ErrImagePull", "ImagePullBackOff") and s, what="image pull failure")
        env.eventually(lambda: "ImagePullBackOff" in reasons, advance=2.0, what="ImagePullBackOff")
        env.eventually(lambda: "ErrImagePull" in reasons[reasons.index("ImagePullBackOff"):],
                       advance=2.0, what="a second pull attempt")
    finally:
        watch.stop()
    assert reasons[:2] == ["ContainerCreating", "ErrImagePull"]
    assert env.pod("bad")["status"]["phase"] == "Pending"
    cs = env.eventually(lambda: (s := env.cstatus("bad"))["state"]["waiting"]["reason"] == "ImagePullBackOff" and s,
                        advance=1.0, what="ImagePullBackOff again")
    assert cs["state"]["waiting"]["message"] == f'Back-off pulling image "{image}"'
    assert cs["restartCount"] == 0 and "containerID" not in cs
    events = env.events("bad")
    assert any(r == "Failed" and m.startswith(f'Failed to pull image "{image}": ') and "not found" in m
               for _, r, m in events)
    assert ("Warning", "Failed", "Error: ErrImagePull") in events
    assert ("Normal", "BackOff", f'Back-off pulling image "{image}"') in events
    with pytest.raises(BadRequest, match='container "app" in pod "bad" is waiting to start'):
        env.api.pod_logs(ADMIN, "default", "bad")


@pytest.mark.parametrize(("code", "phase", "reason", "ready_reason"), [
    (0, "Succeeded", "Completed", "PodCompleted"),
    (3, "Failed", "Error", "PodFailed"),
])
def test_restart_policy_never_finishes_the_pod(env: Env, code: int, phase: str, reason: str,
                                               ready_reason: str) -> None:
    uid = env.create("job", [{"name": "task", "image": "k8sedu/busybox", "command": ["sh", "-c", f"echo done; exit {code}"]}],
                     restartPolicy="Never")["metadata"]["uid"]
    pod = env.phase("job", phase, advance=0.5)
    cs = pod["status"]["containerStatuses"][0]
    assert cs["state"]["terminated"]["exitCode"] == code and cs["state"]["terminated"]["reason"] == reason
    assert cs["restartCount"] == 0
    conds = {c["type"]: c for c in pod["status"]["conditions"]}
    assert conds["Ready"]["status"] == "False" and conds["Ready"]["reason"] == ready_reason
    # the sandbox is stopped; the exited container stays (its logs can still be read)
    env.eventually(lambda: next(c for c in env.containers(uid) if c.is_sandbox).state == "exited",
                   what="sandbox stopped")
    assert env.eventually(lambda: next(c for c in env.pod("job")["status"]["conditions"]
                                       if c["type"] == "PodReadyToStartContainers")["status"] == "False")
    env.clock.advance(60)
    assert [c.attempt for c in env.containers(uid) if not c.is_sandbox] == [0]
    assert env.api.pod_logs(ADMIN, "default", "job") == "done\n"


def test_on_failure_restarts_until_success(env: Env) -> None:
    env.create("retry", [{"name": "task", "image": "k8sedu/busybox", "command": ["sh", "-c", "exit 0"]}],
               restartPolicy="OnFailure")
    pod = env.phase("retry", "Succeeded", advance=0.5)
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0


def test_graceful_deletion_stops_removes_then_deletes_the_pod(env: Env) -> None:
    uid = env.create("web", [WEB, {"name": "sleeper", "image": "k8sedu/busybox", "command": ["sleep", "3600"]}],
                     terminationGracePeriodSeconds=20)["metadata"]["uid"]
    env.phase("web", "Running")
    env.admin.delete("pods", "web", "default")
    pod = env.pod("web")
    assert pod["metadata"]["deletionTimestamp"] and pod["metadata"]["deletionGracePeriodSeconds"] == 20

    # web traps SIGTERM and exits at once; sleep ignores it and is killed when the grace period ends
    env.eventually(lambda: [c for c in env.containers(uid) if c.container_name == "web" and c.state == "exited"],
                   what="web stopped by SIGTERM")
    assert env.admin.get_or_none("pods", "web", "default") is not None  # sleeper still has time
    env.eventually(lambda: env.admin.get_or_none("pods", "web", "default") is None, advance=1.0,
                   what="pod object deleted")
    assert env.containers(uid) == []
    events = env.events("web")
    assert ("Normal", "Killing", "Stopping container web") in events
    assert ("Normal", "Killing", "Stopping container sleeper") in events
    flows = [f.action for f in env.api.flow.events() if f.src == f"kubelet/{NODE}"]
    assert any(a.startswith("stop container k8s_web_web_default") for a in flows)
    assert "DELETE /api/v1/namespaces/default/pods/web" in flows


def test_force_deleted_pod_loses_its_containers(env: Env) -> None:
    uid = env.create("web", [WEB])["metadata"]["uid"]
    env.phase("web", "Running")
    env.admin.delete("pods", "web", "default", grace_period_seconds=0)
    with pytest.raises(NotFound):
        env.pod("web")
    env.eventually(lambda: env.containers(uid) == [], advance=0.5, what="containers removed")


def test_orphaned_containers_are_removed(env: Env) -> None:
    from k8sedu.runtime.base import SandboxConfig

    sb = env.runtime.create_sandbox(SandboxConfig(pod_uid="gone-uid", pod_name="ghost", namespace="default",
                                                  node_name=NODE))
    assert any(c.id == sb.id for c in env.runtime.list_containers(NODE))
    env.eventually(lambda: not any(c.pod_uid == "gone-uid" for c in env.runtime.list_containers(NODE)),
                   what="orphan removed")


def test_fail_stops_heartbeats_and_freezes_containers_until_recover(env: Env) -> None:
    uid = env.create("web", [WEB])["metadata"]["uid"]
    env.phase("web", "Running")

    def renew_time() -> float:
        return parse_rfc3339(env.admin.get("leases", NODE, "kube-node-lease")["spec"]["renewTime"])

    env.kubelet.fail()
    before = renew_time()
    for _ in range(6):
        env.clock.advance(10)
    threading.Event().wait(0.2)  # give a (wrongly) running heartbeat thread the chance to write
    assert renew_time() == before
    assert all(c.paused for c in env.containers(uid))
    with pytest.raises(InternalError, match="no route to host"):
        env.api.pod_logs(ADMIN, "default", "web")

    env.kubelet.recover()
    assert renew_time() > before
    assert not any(c.paused for c in env.containers(uid))
    env.eventually(lambda: renew_time() > before + 60, advance=1.0, what="renewals after recovery")


def test_logs_and_exec_go_through_the_apiserver(env: Env) -> None:
    env.create("talk", [{"name": "app", "image": "k8sedu/busybox",
                         "command": ["sh", "-c", "echo hello $MY_POD on $MY_NODE; sleep 3600"],
                         "env": [{"name": "MY_POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                                 {"name": "MY_NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                                 {"name": "GREETING", "value": "hi from $(MY_POD)"}]}])
    env.phase("talk", "Running")
    assert env.eventually(lambda: env.api.pod_logs(ADMIN, "default", "talk"), advance=0.1) == \
        "hello talk on node-1\n"
    result = env.api.pod_exec(ADMIN, "default", "talk", ["printenv", "GREETING"])
    assert (result.exit_code, result.stdout) == (0, "hi from talk\n")
    with pytest.raises(BadRequest, match='previous terminated container "app" in pod "talk" not found'):
        env.api.pod_logs(ADMIN, "default", "talk", previous=True)


def test_previous_logs_read_the_last_attempt(env: Env) -> None:
    env.create("flaky", [{"name": "app", "image": "k8sedu/busybox", "command": ["sh", "-c", "echo try; exit 2"]}])
    env.eventually(lambda: env.cstatus("flaky").get("restartCount", 0) >= 1, advance=0.5)
    assert env.api.pod_logs(ADMIN, "default", "flaky", previous=True) == "try\n"


def test_init_containers_run_first_in_order(env: Env) -> None:
    uid = env.create("init", [WEB], initContainers=[
        {"name": "one", "image": "k8sedu/busybox", "command": ["sh", "-c", "echo one"]},
        {"name": "two", "image": "k8sedu/busybox", "command": ["sh", "-c", "echo two"]},
    ])["metadata"]["uid"]
    first = env.eventually(lambda: (p := env.pod("init"))["status"].get("initContainerStatuses") and p)
    assert first["status"]["phase"] == "Pending"
    assert first["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "PodInitializing"
    pod = env.phase("init", "Running", advance=0.1)
    inits = pod["status"]["initContainerStatuses"]
    assert [s["name"] for s in inits] == ["one", "two"]
    assert all(s["state"]["terminated"]["reason"] == "Completed" and s["ready"] for s in inits)
    created = {c.container_name: c.created_at for c in env.containers(uid)}
    assert created["one"] <= created["two"] <= created["web"]
    assert next(c for c in pod["status"]["conditions"] if c["type"] == "Initialized")["status"] == "True"


def test_oom_killed_container_is_reported(env: Env) -> None:
    env.create("hog", [{"name": "app", "image": "k8sedu/web:v1",
                        "env": [{"name": "K8SEDU_SIM_MEMORY", "value": "256Mi"}],
                        "resources": {"limits": {"memory": "64Mi"}}}])
    cs = env.eventually(lambda: (s := env.cstatus("hog")).get("lastState", {}).get("terminated") and s,
                        advance=0.5, what="OOM kill")
    assert cs["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert cs["lastState"]["terminated"]["exitCode"] == 137


def test_pod_bound_later_by_the_scheduler_is_picked_up(env: Env) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late", "namespace": "default"},
           "spec": {"containers": [WEB]}}
    created = env.admin.create("pods", pod, "default")
    env.admin.bind(created, NODE)
    pod = env.phase("late", "Running")
    scheduled = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert scheduled["status"] == "True"


def test_config_map_env_and_create_container_config_error(env: Env) -> None:
    container = {"name": "app", "image": "k8sedu/busybox", "command": ["sh", "-c", "echo mode=$MODE; sleep 3600"],
                 "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}}]}
    env.create("cfg", [container])
    cs = env.eventually(lambda: (s := env.cstatus("cfg")).get("state", {}).get("waiting", {}).get("reason")
                        == "CreateContainerConfigError" and s, what="CreateContainerConfigError")
    assert cs["state"]["waiting"]["message"] == 'configmap "cfg" not found'
    assert ("Warning", "Failed", 'Error: configmap "cfg" not found') in env.events("cfg")
    env.admin.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
                                    "data": {"mode": "fast"}}, "default")
    env.phase("cfg", "Running", advance=1.0)  # the next try, a sync back-off later, finds it
    assert env.eventually(lambda: env.api.pod_logs(ADMIN, "default", "cfg"), advance=0.1) == "mode=fast\n"


def test_changed_image_restarts_the_container(env: Env) -> None:
    env.create("web", [WEB])
    env.phase("web", "Running")
    env.admin.patch("pods", "web", {"spec": {"containers": [{"name": "web", "image": "k8sedu/web:v2"}]}},
                    "default", patch_type="strategic")
    cs = env.eventually(lambda: (s := env.cstatus("web"))["image"] == "k8sedu/web:v2" and "running" in s["state"]
                        and s, what="restart with the new image")
    assert cs["restartCount"] == 1 and cs["lastState"]["terminated"]["reason"] == "Completed"
    assert ("Normal", "Killing", "Container web definition changed, will be restarted") in env.events("web")


def test_node_reports_its_images_and_runtime_version(env: Env) -> None:
    node = env.api.get(ADMIN, "nodes", "node-1")
    names = {n for img in node["status"]["images"] for n in img["names"]}
    assert {"k8sedu/pause:latest", "k8sedu/web:v1", "k8sedu/web:v2"} <= names
    assert all(img["sizeBytes"] > 0 for img in node["status"]["images"])
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"] == "sim://k8sedu"
