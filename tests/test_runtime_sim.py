"""The simulated runtime: the same Protocol as Docker, driven by a FakeClock (fast, no engine)."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from _waits import eventually

from k8sedu.clock import FakeClock
from k8sedu.runtime import (
    ContainerConfig,
    ContainerCreateError,
    ContainerNotFound,
    ContainerRuntime,
    ContainerRuntimeError,
    ContainerStartError,
    ExecTimeout,
    ImagePullError,
    Mount,
    PortMapping,
    SandboxConfig,
    SimRuntime,
)
from k8sedu.runtime.naming import normalize_image, pull_not_found_message

POD, NS, UID, NODE = "web-7d4b9-x2k8p", "default", "5f0c1e2a", "node-2"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def rt(clock: FakeClock) -> Iterator[SimRuntime]:
    runtime = SimRuntime("simtest", clock)
    yield runtime
    runtime.cleanup()


def sandbox(rt: SimRuntime, pod: str = POD, uid: str = UID, node: str = NODE, ports: bool = True):
    return rt.create_sandbox(
        SandboxConfig(uid, pod, NS, node, ports=[PortMapping(80)] if ports else [], labels={"app": "web"})
    )


def run(rt: SimRuntime, sb_id: str, image: str = "k8sedu/busybox", name: str = "main", pod: str = POD,
        uid: str = UID, **kw) -> str:
    cid = rt.create_container(sb_id, ContainerConfig(name, image, pod, NS, uid, **kw))
    rt.start_container(cid)
    return cid


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def in_thread(fn: Callable[[], object]) -> threading.Thread:
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


# -- the protocol and images ---------------------------------------------------------------------


def test_sim_runtime_satisfies_the_protocol(rt: SimRuntime) -> None:
    assert isinstance(rt, ContainerRuntime)
    assert rt.name == "sim" and rt.cluster_id == "simtest"


def test_only_our_images_exist_and_others_fail_like_containerd(rt: SimRuntime) -> None:
    for image in ("k8sedu/web:v1", "k8sedu/web:v2", "k8sedu/pause", "k8sedu/busybox", "docker.io/k8sedu/busybox:latest"):
        assert rt.has_image(image), image
        rt.pull_image(image)
    for image in ("nginx:nope", "k8sedu/web:v3"):
        assert not rt.has_image(image)
        with pytest.raises(ImagePullError) as err:
            rt.pull_image(image)
        assert err.value.not_found
        assert str(err.value) == pull_not_found_message(image)
    with pytest.raises(ImagePullError, match=r'failed to pull and unpack image "docker.io/library/nginx:nope": '
                                           r'failed to resolve reference "docker.io/library/nginx:nope": '
                                           r'docker.io/library/nginx:nope: not found'):
        rt.pull_image("nginx:nope")


def test_extra_images_can_be_declared(clock: FakeClock) -> None:
    rt = SimRuntime("extra", clock, images=["nginx"])
    assert rt.has_image("nginx:latest") and rt.has_image("docker.io/library/nginx")
    rt.pull_image("nginx")


@pytest.mark.parametrize("image, ref", [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1.25", "docker.io/library/nginx:1.25"),
    ("k8sedu/web:v1", "docker.io/k8sedu/web:v1"),
    ("quay.io/team/app:2", "quay.io/team/app:2"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
    ("busybox@sha256:abc", "docker.io/library/busybox@sha256:abc"),
])
def test_image_references_are_normalized_as_containerd_shows_them(image: str, ref: str) -> None:
    assert normalize_image(image) == ref


# -- sandboxes and containers -------------------------------------------------------------------


def test_sandbox_and_container_are_named_and_labelled_as_dockershim(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    assert sb.name == f"k8s_POD_{POD}_{NS}_{UID}_0"
    assert re.fullmatch(r"10\.244\.2\.\d+", sb.ip), sb.ip  # node-2's pod CIDR
    assert set(sb.published) == {(80, "TCP")}
    cid = rt.create_container(sb.id, ContainerConfig("web", "k8sedu/web:v1", POD, NS, UID, attempt=2))
    created = rt.container_status(cid)
    assert created.state == "created" and created.started_at is None
    assert created.name == f"k8s_web_{POD}_{NS}_{UID}_2"
    rt.start_container(cid)
    listed = {s.id: s for s in rt.list_containers(NODE)}
    assert set(listed) == {sb.id, cid}
    pause, web = listed[sb.id], listed[cid]
    assert pause.is_sandbox and pause.container_name == "POD" and pause.labels["app"] == "web"
    assert not web.is_sandbox and web.sandbox_id == sb.id
    assert (web.pod_uid, web.pod_name, web.namespace, web.container_name, web.node_name, web.attempt) == (
        UID, POD, NS, "web", NODE, 2)
    assert web.labels["io.kubernetes.docker.type"] == "container"
    assert web.labels["annotation.io.kubernetes.container.restartCount"] == "2"
    assert web.labels["k8sedu.cluster"] == "simtest"
    assert web.state == "running" and web.started_at is not None and web.exit_code is None
    assert rt.list_containers("node-1") == []


def test_pod_ips_are_distinct_and_per_node(rt: SimRuntime) -> None:
    a = sandbox(rt, pod="a", uid="ua", node="node-1", ports=False)
    b = sandbox(rt, pod="b", uid="ub", node="node-1", ports=False)
    c = sandbox(rt, pod="c", uid="uc", node="node-3", ports=False)
    assert a.ip != b.ip and a.ip.startswith("10.244.1.") and c.ip.startswith("10.244.3.")


def test_names_conflict_and_unknown_ids_fail_typed(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    rt.create_container(sb.id, ContainerConfig("web", "k8sedu/web:v1", POD, NS, UID))
    with pytest.raises(ContainerCreateError, match="is already in use"):
        rt.create_container(sb.id, ContainerConfig("web", "k8sedu/web:v1", POD, NS, UID))
    with pytest.raises(ContainerCreateError, match="No such image"):
        rt.create_container(sb.id, ContainerConfig("x", "nginx", POD, NS, UID))
    with pytest.raises(ContainerNotFound):
        rt.container_status("nope")
    with pytest.raises(ContainerNotFound):
        rt.create_container("nope", ContainerConfig("y", "k8sedu/web:v1", POD, NS, UID))


def test_a_container_cannot_start_in_a_stopped_sandbox(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    cid = rt.create_container(sb.id, ContainerConfig("c", "k8sedu/busybox", POD, NS, UID))
    rt.stop_sandbox(sb.id)
    assert rt.container_status(sb.id).state == "exited"
    with pytest.raises(ContainerStartError, match="non running container"):
        rt.start_container(cid)


# -- exit codes, signals, grace periods, OOM ----------------------------------------------------


@pytest.mark.parametrize("command, code, reason", [
    (["sh", "-c", "exit 3"], 3, "Error"),
    (["false"], 1, "Error"),
    (["true"], 0, "Completed"),
    (["sh", "-c", "echo done"], 0, "Completed"),
    (["sh"], 0, "Completed"),  # busybox's default CMD: a shell with no input exits at once
])
def test_short_commands_exit_shortly_after_start(rt: SimRuntime, clock: FakeClock, command: list[str],
                                                 code: int, reason: str) -> None:
    sb = sandbox(rt)
    cid = run(rt, sb.id, command=command if command != ["sh"] else [])
    assert rt.container_status(cid).state == "running"
    clock.advance(0.1)
    st = rt.container_status(cid)
    assert (st.state, st.exit_code, st.reason, st.oom_killed) == ("exited", code, reason, False)
    assert st.finished_at is not None and st.started_at is not None and st.finished_at >= st.started_at


def test_sleep_exits_zero_after_its_cluster_seconds(rt: SimRuntime, clock: FakeClock) -> None:
    cid = run(rt, sandbox(rt).id, command=["sleep", "10"])
    clock.advance(9.9)
    assert rt.container_status(cid).state == "running"
    clock.advance(0.2)
    st = rt.container_status(cid)
    assert (st.state, st.exit_code) == ("exited", 0)
    assert st.finished_at == pytest.approx(st.started_at + 10)


def test_unknown_commands_run_until_stopped(rt: SimRuntime, clock: FakeClock) -> None:
    cid = run(rt, sandbox(rt).id, command=["my-server", "--port", "8080"])
    clock.advance(3600)
    assert rt.container_status(cid).state == "running"


def test_kill_is_exit_137(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    a = run(rt, sb.id, command=["sleep", "3600"], name="a")
    b = run(rt, sb.id, "k8sedu/web:v1", name="b")
    rt.kill(a)
    rt.kill_container(b, "SIGKILL")
    for cid in (a, b):
        st = rt.container_status(cid)
        assert (st.state, st.exit_code, st.reason, st.oom_killed) == ("exited", 137, "Error", False)


def test_web_and_trapping_scripts_exit_at_once_on_sigterm(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    web = run(rt, sb.id, "k8sedu/web:v1", name="web")
    trap = run(rt, sb.id, command=["sh", "-c", "trap 'echo bye; exit 0' TERM; sleep 3600 & wait"], name="t")
    rt.stop_container(web, 30)  # returns without the clock moving: the process handled SIGTERM
    rt.stop_container(trap, 30)
    assert rt.container_status(web).exit_code == 0
    assert rt.container_status(trap).exit_code == 0
    assert rt.logs(trap).splitlines()[-1] == "bye"


@pytest.mark.parametrize("command", [["sleep", "3600"], ["sh", "-c", "trap '' TERM; sleep 3600"]])
def test_pid1_without_a_handler_is_killed_when_the_grace_period_ends(rt: SimRuntime, clock: FakeClock,
                                                                    command: list[str]) -> None:
    cid = run(rt, sandbox(rt).id, command=command)
    stopper = in_thread(lambda: rt.stop_container(cid, 30))
    clock.advance(29)
    stopper.join(0.3)
    assert stopper.is_alive(), "SIGTERM is ignored: still waiting for the grace period"
    assert rt.container_status(cid).state == "running"
    clock.advance(2)
    stopper.join(5)
    assert not stopper.is_alive()
    st = rt.container_status(cid)
    assert (st.state, st.exit_code) == ("exited", 137)


def test_a_container_ending_during_the_grace_period_keeps_its_exit_code(rt: SimRuntime, clock: FakeClock) -> None:
    cid = run(rt, sandbox(rt).id, command=["sh", "-c", "sleep 5; exit 4"])
    stopper = in_thread(lambda: rt.stop_container(cid, 30))
    clock.advance(6)
    stopper.join(5)
    assert not stopper.is_alive()
    assert rt.container_status(cid).exit_code == 4


def test_memory_hog_over_its_limit_is_oom_killed(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    hog = ["sh", "-c", "x=a; while :; do x=$x$x; done"]
    limited = run(rt, sb.id, command=hog, memory_bytes_limit=8 * 1024 * 1024, name="limited")
    unlimited = run(rt, sb.id, command=hog, name="unlimited")
    declared = run(rt, sb.id, command=["sleep", "3600"], env={"K8SEDU_SIM_MEMORY": "64Mi"},
                   memory_bytes_limit=32 * 1024 * 1024, name="declared")
    fits = run(rt, sb.id, command=["sleep", "3600"], env={"K8SEDU_SIM_MEMORY": "16Mi"},
               memory_bytes_limit=32 * 1024 * 1024, name="fits")
    clock.advance(1)
    for cid in (limited, declared):
        st = rt.container_status(cid)
        assert (st.state, st.exit_code, st.oom_killed, st.reason) == ("exited", 137, True, "OOMKilled")
    assert rt.container_status(unlimited).state == "running"
    assert rt.stats(unlimited)["cpu_millis"] == 1000  # a busy loop burns a CPU
    assert rt.container_status(fits).state == "running"
    assert rt.stats(fits)["memory_bytes"] == 16 * 1024 * 1024


# -- the web image, logs and exec ---------------------------------------------------------------


def test_web_serves_its_page_on_the_published_port(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    cid = run(rt, sb.id, "k8sedu/web:v2", name="web", env={"MESSAGE": "你好"})
    base = f"http://127.0.0.1:{sb.published[(80, 'TCP')]}"
    status, page = get(base + "/")
    assert status == 200 and page.startswith(f"hostname={POD} version=v2\n") and "message=你好" in page
    assert get(base + "/healthz") == (200, "ok\n")
    assert get(base + "/nope")[0] == 404
    expected = ["url:/", "response:200", "url:/healthz", "response:200", "url:/nope", "response:404"]
    # the server thread logs the response line after sending it: wait for it, with a deadline
    deadline = time.monotonic() + 5
    while True:
        log = rt.logs(cid).splitlines()
        if len(log) > len(expected) or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert log[0] == "k8sedu/web v2 listening on :80"
    assert [ln.split(": ", 1)[1] for ln in log[1:]] == expected
    assert rt.exec(cid, ["rm", "/www/healthz"]).exit_code == 0
    assert get(base + "/healthz")[0] == 404  # a readiness probe on it now fails
    rt.stop_container(cid, 30)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base + "/", timeout=5)  # stopped: the port refuses connections


def test_a_restarted_web_container_serves_on_the_same_port(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    first = run(rt, sb.id, "k8sedu/web:v1", name="web")
    rt.kill(first)
    second = run(rt, sb.id, "k8sedu/web:v1", name="web", attempt=1)
    assert rt.container_status(second).state == "running"
    assert get(f"http://127.0.0.1:{sb.published[(80, 'TCP')]}/")[1].startswith(f"hostname={POD} version=v1")


def test_two_web_containers_in_one_pod_cannot_both_bind_port_80(rt: SimRuntime, clock: FakeClock) -> None:
    sb = sandbox(rt)
    run(rt, sb.id, "k8sedu/web:v1", name="a")
    b = run(rt, sb.id, "k8sedu/web:v1", name="b")
    clock.advance(0.1)
    assert rt.container_status(b).exit_code == 1
    assert "Address in use" in rt.logs(b)


def test_logs_follow_the_clock_with_tail_since_and_timestamps(rt: SimRuntime, clock: FakeClock) -> None:
    cid = run(rt, sandbox(rt).id, command=["sh", "-c", "echo start; while true; do echo tick; sleep 2; done"])
    t0 = rt.container_status(cid).started_at
    assert rt.logs(cid) == "start\ntick\n"
    clock.advance(5)
    assert rt.logs(cid) == "start\ntick\ntick\ntick\n"
    assert rt.logs(cid, tail=1) == "tick\n" and rt.logs(cid, tail=0) == ""
    assert rt.logs(cid, since=t0 + 1) == "tick\ntick\n"
    stamped = rt.logs(cid, timestamps=True).splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z start", stamped[0])


def test_follow_logs_yields_new_lines_and_ends_when_the_container_exits(rt: SimRuntime, clock: FakeClock) -> None:
    cid = run(rt, sandbox(rt).id, command=["sh", "-c", "echo one; sleep 1; echo two; sleep 1; exit 0"])
    seen: list[str] = []
    reader = in_thread(lambda: seen.extend(rt.follow_logs(cid)))
    eventually(lambda: seen == ["one"], timeout=5.0, interval=0.01)
    clock.advance(1)
    eventually(lambda: seen == ["one", "two"], timeout=5.0, interval=0.01)
    clock.advance(1)
    reader.join(5)
    assert not reader.is_alive() and seen == ["one", "two"]


def test_exec_sees_the_container(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    cid = run(rt, sb.id, command=["sleep", "3600"], env={"GREETING": "hello"}, working_dir="/tmp")
    assert rt.exec(cid, ["hostname"]).stdout == f"{POD}\n"
    assert rt.exec(cid, ["cat", "/etc/hostname"]).stdout == f"{POD}\n"
    assert f"{sb.ip}\t{POD}" in rt.exec(cid, ["cat", "/etc/hosts"]).stdout
    assert "GREETING=hello" in rt.exec(cid, ["env"]).stdout.splitlines()
    assert rt.exec(cid, ["sh", "-c", "echo $GREETING world; pwd"]).stdout == "hello world\n/tmp\n"
    assert rt.exec(cid, ["sh", "-c", "echo oops >&2; exit 5"]) == rt.exec(cid, ["sh", "-c", "echo oops 1>&2; exit 5"])
    res = rt.exec(cid, ["sh", "-c", "echo oops >&2; exit 5"])
    assert (res.exit_code, res.stdout, res.stderr) == (5, "", "oops\n")
    res = rt.exec(cid, ["cat", "/nope"])
    assert res.exit_code == 1 and "can't open '/nope'" in res.stderr
    assert rt.exec(cid, ["sh", "-c", "echo hi > /tmp/f; cat /tmp/f; ls /tmp"]).stdout == "hi\nf\n"
    assert rt.exec(cid, ["cat"], stdin=b"from stdin").stdout == "from stdin"
    assert rt.exec(cid, ["nslookup-ng"]).exit_code == 127
    with pytest.raises(ExecTimeout):
        rt.exec(cid, ["sleep", "10"], timeout=1)


def test_exec_wget_reaches_pods_by_ip_and_localhost(rt: SimRuntime) -> None:
    web_sb = sandbox(rt, pod="web", uid="u-web")
    run(rt, web_sb.id, "k8sedu/web:v1", name="web", pod="web", uid="u-web")
    client_sb = sandbox(rt, pod="client", uid="u-client", node="node-1", ports=False)
    client = run(rt, client_sb.id, command=["sleep", "3600"], pod="client", uid="u-client")
    assert rt.exec(client, ["wget", "-qO-", f"http://{web_sb.ip}/"]).stdout == "hostname=web version=v1\n"
    refused = rt.exec(client, ["wget", "-qO-", "http://localhost/"])
    assert refused.exit_code == 1 and "Connection refused" in refused.stderr
    assert "bad address 'web-svc'" in rt.exec(client, ["wget", "-qO-", "http://web-svc/"]).stderr
    rt.set_router(lambda host, port: ("127.0.0.1", web_sb.published[(80, "TCP")]) if host == "web-svc" else None)
    assert rt.exec(client, ["wget", "-qO-", "http://web-svc/"]).stdout == "hostname=web version=v1\n"
    sidecar = run(rt, web_sb.id, command=["sleep", "3600"], name="sidecar", pod="web", uid="u-web")
    assert rt.exec(sidecar, ["wget", "-qO-", "http://localhost/healthz"]).stdout == "ok\n"


def test_the_liveness_probe_classic(rt: SimRuntime, clock: FakeClock) -> None:
    """The exec-probe example of the Kubernetes docs: the file exists for 30 s, then not."""
    cid = run(rt, sandbox(rt).id,
              command=["sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"])
    assert rt.exec(cid, ["cat", "/tmp/healthy"]).exit_code == 0
    clock.advance(29)
    assert rt.exec(cid, ["cat", "/tmp/healthy"]).exit_code == 0
    clock.advance(2)
    assert rt.exec(cid, ["cat", "/tmp/healthy"]).exit_code == 1


def test_volumes_are_shared_and_host_paths_are_real(rt: SimRuntime, tmp_path) -> None:
    (tmp_path / "app.conf").write_text("color=blue\n")
    sb = sandbox(rt)
    mounts = [Mount("/data", volume="cache"), Mount("/config", host_path=str(tmp_path), read_only=True)]
    writer = run(rt, sb.id, command=["sleep", "3600"], name="writer", mounts=mounts)
    reader = run(rt, sb.id, command=["sleep", "3600"], name="reader", mounts=mounts)
    assert rt.exec(writer, ["sh", "-c", "echo shared > /data/msg"]).exit_code == 0
    assert rt.exec(reader, ["cat", "/data/msg"]).stdout == "shared\n"
    assert rt.exec(reader, ["cat", "/config/app.conf"]).stdout == "color=blue\n"
    denied = rt.exec(reader, ["sh", "-c", "echo x > /config/app.conf"])
    assert denied.exit_code == 1 and "Read-only" in denied.stderr


def test_exec_in_a_stopped_container_fails(rt: SimRuntime, clock: FakeClock) -> None:
    cid = run(rt, sandbox(rt).id, command=["true"])
    clock.advance(1)
    with pytest.raises(ContainerRuntimeError, match="is not running"):
        rt.exec(cid, ["hostname"])


# -- nodes and cleanup ---------------------------------------------------------------------------


def test_a_paused_node_freezes_its_containers_clocks(rt: SimRuntime, clock: FakeClock) -> None:
    here = run(rt, sandbox(rt).id, command=["sleep", "10"])
    other = run(rt, sandbox(rt, pod="o", uid="uo", node="node-1", ports=False).id, command=["sleep", "10"],
                pod="o", uid="uo")
    clock.advance(5)
    rt.pause_node(NODE)
    assert all(s.paused for s in rt.list_containers(NODE))
    assert not any(s.paused for s in rt.list_containers("node-1"))
    clock.advance(20)
    assert rt.container_status(here).state == "running"  # frozen: its sleep did not advance
    assert rt.container_status(other).state == "exited"
    rt.unpause_node(NODE)
    assert not any(s.paused for s in rt.list_containers(NODE))
    clock.advance(4.9)
    assert rt.container_status(here).state == "running"
    clock.advance(0.2)
    st = rt.container_status(here)
    assert st.state == "exited" and st.exit_code == 0


def test_cleanup_removes_everything_and_frees_the_ports(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    run(rt, sb.id, "k8sedu/web:v1", name="web")
    port = sb.published[(80, "TCP")]
    assert get(f"http://127.0.0.1:{port}/")[0] == 200
    assert rt.cleanup() == 2
    assert rt.list_containers() == []
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)


def test_remove_is_idempotent_and_removes_running_containers(rt: SimRuntime) -> None:
    sb = sandbox(rt)
    cid = run(rt, sb.id, command=["sleep", "3600"])
    rt.remove_container(cid)
    rt.remove_container(cid)
    rt.remove_sandbox(sb.id)
    rt.remove_sandbox(sb.id)
    assert rt.list_containers() == []


def test_the_public_surface_is_pinned() -> None:
    import k8sedu.runtime as runtime

    assert sorted(runtime.__all__) == sorted([
        "ContainerRuntime", "ContainerState", "PortMapping", "Mount", "SandboxConfig", "SandboxInfo",
        "ContainerConfig", "ContainerStatus", "ExecResult", "Progress", "DockerRuntime", "SimRuntime",
        "docker_reachable", "cleanup_all", "CleanupReport", "IMAGES", "build_images", "missing_images",
        "ContainerRuntimeError", "RuntimeUnavailable", "ImagePullError", "ContainerCreateError",
        "ContainerStartError", "ContainerNotFound", "ExecTimeout",
    ])
    assert runtime.IMAGES == ["k8sedu/busybox", "k8sedu/pause", "k8sedu/web:v1", "k8sedu/web:v2"]
    for name in runtime.__all__:
        assert getattr(runtime, name) is not None
