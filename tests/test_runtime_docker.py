"""DockerRuntime on a real engine: Pods as pause + app containers, named and labelled as dockershim did.

Marked ``docker``: skipped without an engine, failing under ``K8SEDU_REQUIRE_DOCKER=1`` (conftest.py).
No registry is reachable in CI: every image used here is one of ours, built offline.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import _waits
import pytest

from k8sedu.runtime import (
    IMAGES,
    ContainerConfig,
    ContainerNotFound,
    ContainerRuntime,
    ContainerStartError,
    DockerRuntime,
    ExecTimeout,
    ImagePullError,
    Mount,
    PortMapping,
    RuntimeUnavailable,
    SandboxConfig,
    cleanup_all,
    docker_reachable,
    missing_images,
)
from k8sedu.runtime import images as images_mod
from k8sedu.runtime.docker import connect

NS = "default"


eventually = partial(_waits.eventually, timeout=20.0)


def http_get(url: str) -> tuple[int, str] | None:
    """(status, body), or None while nothing answers yet."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def exited(rt: DockerRuntime, cid: str) -> Any:
    st = rt.container_status(cid)
    return st if st.state == "exited" else None


@pytest.fixture(scope="module")
def client(docker_required: None) -> Iterator[Any]:
    c = connect()
    yield c
    c.close()


@pytest.fixture(scope="module")
def rt(docker_required: None) -> Iterator[DockerRuntime]:
    runtime = DockerRuntime("test-" + uuid.uuid4().hex[:8])
    runtime.ensure_images()
    yield runtime
    runtime.cleanup()
    runtime.close()


class Pod:
    """A sandbox plus helpers to add containers to it."""

    def __init__(self, rt: DockerRuntime, name: str, ports: list[PortMapping] | None = None,
                 node: str = "node-1") -> None:
        self.rt, self.name, self.uid = rt, name, uuid.uuid4().hex[:12]
        self.sb = rt.create_sandbox(SandboxConfig(self.uid, name, NS, node, ports=ports or [],
                                                  labels={"app": name}))

    def run(self, name: str, image: str = "k8sedu/busybox", **kw: Any) -> str:
        cid = self.rt.create_container(self.sb.id, ContainerConfig(name, image, self.name, NS, self.uid, **kw))
        self.rt.start_container(cid)
        return cid

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.sb.published[(80, 'TCP')]}{path}"


# -- images ------------------------------------------------------------------------------------


@pytest.mark.docker
def test_ensure_images_builds_all_four(rt: DockerRuntime, client: Any) -> None:
    assert missing_images(client) == []
    for ref in IMAGES:
        assert rt.has_image(ref), ref
        labels = client.api.inspect_image(ref)["Config"]["Labels"]
        assert labels["k8sedu.image"] == "1"


@pytest.mark.docker
def test_images_build_from_nothing_offline(client: Any) -> None:
    """A fresh, uncached build under test tags: scratch + host busybox, then web:v2 on top of it."""
    if images_mod.host_busybox() is None and not any(
            "busybox:latest" in (i.get("RepoTags") or []) for i in client.api.images()):
        pytest.skip("no static busybox on this machine and no local busybox image")
    tag = uuid.uuid4().hex[:8]
    base, web = f"k8sedu-test/busybox:{tag}", f"k8sedu-test/web:v2-{tag}"
    messages: list[str] = []
    try:
        images_mod.build_image(client, "k8sedu/busybox", tag=base, nocache=True, progress=messages.append,
                               allow_pull=False)
        images_mod.build_image(client, "k8sedu/web:v2", tag=web, base=base, nocache=True)
        assert any(base in m for m in messages)
        out = client.containers.run(base, ["sh", "-c", "echo ok; ls /bin | wc -l"], remove=True).decode()
        assert out.splitlines()[0] == "ok" and int(out.splitlines()[1]) > 100
        c = client.containers.run(web, detach=True, hostname="fresh", ports={"80/tcp": ("127.0.0.1", None)})
        try:
            c.reload()
            port = c.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]
            status, page = eventually(lambda: http_get(f"http://127.0.0.1:{port}/"), what="web answers")
            assert status == 200 and page.startswith("hostname=fresh version=v2")
        finally:
            c.remove(force=True)
    finally:
        for t in (web, base):
            try:
                client.api.remove_image(t, force=True)
            except Exception:
                pass


@pytest.mark.docker
def test_pulling_a_missing_image_fails_like_containerd(rt: DockerRuntime) -> None:
    assert not rt.has_image("nginx:nope-k8sedu")
    with pytest.raises(ImagePullError) as err:
        rt.pull_image("nginx:nope-k8sedu")
    assert 'failed to pull and unpack image "docker.io/library/nginx:nope-k8sedu"' in str(err.value)
    rt.pull_image("k8sedu/web:v1")  # ours: built (here: already present), never pulled


# -- sandboxes and containers ------------------------------------------------------------------


@pytest.mark.docker
def test_runtime_satisfies_the_protocol(rt: DockerRuntime) -> None:
    assert isinstance(rt, ContainerRuntime) and rt.name == "docker"


@pytest.mark.docker
def test_pod_lifecycle_names_labels_and_http(rt: DockerRuntime, client: Any) -> None:
    pod = Pod(rt, "web-7d4b9-x2k8p", ports=[PortMapping(80)], node="node-2")
    assert pod.sb.name == f"k8s_POD_web-7d4b9-x2k8p_{NS}_{pod.uid}_0"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", pod.sb.ip)
    cid = rt.create_container(pod.sb.id, ContainerConfig("web", "k8sedu/web:v1", pod.name, NS, pod.uid, attempt=1))
    assert rt.container_status(cid).state == "created"
    rt.start_container(cid)

    names = {c.name for c in client.containers.list(filters={"label": f"k8sedu.cluster={rt.cluster_id}"})}
    assert {pod.sb.name, f"k8s_web_web-7d4b9-x2k8p_{NS}_{pod.uid}_1"} <= names
    network = client.api.inspect_network(f"k8sedu-{rt.cluster_id}")
    assert network["Labels"]["k8sedu.cluster"] == rt.cluster_id

    listed = {s.id: s for s in rt.list_containers("node-2") if s.pod_uid == pod.uid}
    assert set(listed) == {pod.sb.id, cid}
    sb, web = listed[pod.sb.id], listed[cid]
    assert sb.is_sandbox and sb.container_name == "POD" and sb.labels["app"] == pod.name
    assert (web.pod_name, web.namespace, web.container_name, web.node_name, web.attempt) == (
        pod.name, NS, "web", "node-2", 1)
    assert web.sandbox_id == pod.sb.id and web.state == "running" and web.started_at is not None
    assert web.labels["k8sedu.owner-pid"] == str(os.getpid())
    assert all(s.node_name == "node-1" for s in rt.list_containers("node-1"))

    status, page = eventually(lambda: http_get(pod.url("/")), what="the web page")
    assert status == 200 and page.startswith("hostname=web-7d4b9-x2k8p version=v1")
    assert http_get(pod.url("/healthz")) == (200, "ok\n")

    rt.stop_container(cid, 10)
    st = rt.container_status(cid)
    assert (st.state, st.exit_code, st.reason) == ("exited", 0, "Completed")  # web.sh traps SIGTERM
    assert st.finished_at is not None and st.finished_at >= st.started_at
    relisted = {s.id: s for s in rt.list_containers("node-2")}[cid]
    assert (relisted.state, relisted.exit_code) == ("exited", 0)  # the relist saw the change
    rt.remove_container(cid)
    rt.remove_container(cid)  # idempotent
    rt.remove_sandbox(pod.sb.id)
    assert not [s for s in rt.list_containers() if s.pod_uid == pod.uid]
    with pytest.raises(ContainerNotFound):
        rt.container_status(cid)


@pytest.mark.docker
def test_containers_of_a_pod_share_its_network_and_hostname(rt: DockerRuntime) -> None:
    pod = Pod(rt, "shared", ports=[PortMapping(80)])
    pod.run("web", "k8sedu/web:v2")
    side = pod.run("side", command=["sleep", "3600"])
    out = eventually(lambda: rt.exec(side, ["wget", "-qO-", "http://localhost/"]).stdout, what="localhost")
    assert out.startswith("hostname=shared version=v2")
    assert rt.exec(side, ["hostname"]).stdout == "shared\n"
    assert pod.sb.ip in rt.exec(side, ["cat", "/etc/hosts"]).stdout


@pytest.mark.docker
def test_command_and_args_follow_kubernetes(rt: DockerRuntime) -> None:
    pod = Pod(rt, "cmd")
    a = pod.run("a", command=["sh", "-c", "echo from-command"])
    b = pod.run("b", "k8sedu/web:v1", command=["echo"], args=["x", "y"])  # replaces /web.sh
    c = pod.run("c", args=["echo", "from-args"])  # busybox: replaces CMD ["sh"]
    for cid, line in ((a, "from-command"), (b, "x y"), (c, "from-args")):
        eventually(lambda cid=cid: exited(rt, cid), what="exit")
        assert rt.logs(cid) == line + "\n"


@pytest.mark.docker
def test_exit_codes_kill_and_start_errors(rt: DockerRuntime) -> None:
    pod = Pod(rt, "codes")
    three = pod.run("three", command=["sh", "-c", "exit 3"])
    st = eventually(lambda: exited(rt, three), what="exit 3")
    assert (st.exit_code, st.reason, st.oom_killed) == (3, "Error", False)
    sleeper = pod.run("sleeper", command=["sleep", "3600"])
    rt.kill_container(sleeper)
    st = eventually(lambda: exited(rt, sleeper), what="killed")
    assert (st.exit_code, st.reason) == (137, "Error")
    rt.kill_container(sleeper)  # killing an exited container is harmless
    bad = rt.create_container(pod.sb.id, ContainerConfig("bad", "k8sedu/busybox", pod.name, NS, pod.uid,
                                                         command=["no-such-binary"]))
    with pytest.raises(ContainerStartError, match="executable file not found"):
        rt.start_container(bad)
    st = rt.container_status(bad)
    assert (st.state, st.exit_code, st.reason) == ("exited", 128, "StartError")


@pytest.mark.docker
def test_stop_sends_sigterm_then_sigkill_after_the_grace_period(rt: DockerRuntime) -> None:
    pod = Pod(rt, "grace")
    ignores = pod.run("ignores", command=["sleep", "3600"])  # PID 1 without a handler ignores SIGTERM
    traps = pod.run("traps", command=["sh", "-c", "trap 'echo bye; exit 0' TERM; sleep 3600 & wait"])
    eventually(lambda: rt.exec(traps, ["true"]).exit_code == 0, what="started")
    rt.stop_container(ignores, 1)
    rt.stop_container(traps, 30)
    assert rt.container_status(ignores).exit_code == 137
    assert rt.container_status(traps).exit_code == 0
    assert rt.logs(traps) == "bye\n"


@pytest.mark.docker
def test_memory_limit_oom_kills(rt: DockerRuntime) -> None:
    pod = Pod(rt, "oom")
    hog = pod.run("hog", command=["sh", "-c", "x=a; while :; do x=$x$x; done"], memory_bytes_limit=8 * 1024 * 1024)
    st = eventually(lambda: exited(rt, hog), what="OOM kill")
    assert (st.exit_code, st.oom_killed, st.reason) == (137, True, "OOMKilled")


@pytest.mark.docker
def test_exec_output_exit_code_stdin_and_timeout(rt: DockerRuntime) -> None:
    pod = Pod(rt, "exec")
    cid = pod.run("c", command=["sleep", "3600"], env={"GREETING": "hello"}, cpu_millis_limit=500)
    res = rt.exec(cid, ["sh", "-c", "echo $GREETING; echo oops >&2; exit 4"])
    assert (res.exit_code, res.stdout, res.stderr) == (4, "hello\n", "oops\n")
    assert rt.exec(cid, ["cat"], stdin=b"piped in").stdout == "piped in"
    with pytest.raises(ExecTimeout):
        rt.exec(cid, ["sleep", "30"], timeout=0.5)


@pytest.mark.docker
def test_logs_tail_timestamps_and_follow(rt: DockerRuntime) -> None:
    pod = Pod(rt, "logs")
    cid = pod.run("c", command=["sh", "-c", "for i in 1 2 3; do echo line$i; done; sleep 1; echo last"])
    lines = list(rt.follow_logs(cid))  # ends when the container exits
    assert lines == ["line1", "line2", "line3", "last"]
    assert rt.logs(cid, tail=2) == "line3\nlast\n"
    assert rt.logs(cid, tail=0) == ""
    stamped = rt.logs(cid, timestamps=True).splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line1", stamped[0])


@pytest.mark.docker
def test_volumes_and_host_paths(rt: DockerRuntime, tmp_path: Any) -> None:
    (tmp_path / "app.conf").write_text("color=blue\n")
    pod = Pod(rt, "vols")
    mounts = [Mount("/data", volume="vols-cache"), Mount("/config", host_path=str(tmp_path), read_only=True)]
    writer = pod.run("writer", command=["sleep", "3600"], mounts=mounts)
    reader = pod.run("reader", command=["sleep", "3600"], mounts=mounts)
    assert rt.exec(writer, ["sh", "-c", "echo shared > /data/msg"]).exit_code == 0
    assert rt.exec(reader, ["cat", "/data/msg"]).stdout == "shared\n"
    assert rt.exec(reader, ["cat", "/config/app.conf"]).stdout == "color=blue\n"
    assert rt.exec(reader, ["sh", "-c", "echo x > /config/app.conf"]).exit_code != 0


@pytest.mark.docker
def test_pause_and_unpause_a_node(rt: DockerRuntime) -> None:
    pod = Pod(rt, "frozen", node="node-3")
    cid = pod.run("c", command=["sleep", "3600"])
    rt.pause_node("node-3")
    assert all(s.paused for s in rt.list_containers("node-3"))
    assert rt.container_status(cid).state == "running"
    rt.unpause_node("node-3")
    assert not any(s.paused for s in rt.list_containers("node-3"))
    assert rt.exec(cid, ["true"]).exit_code == 0


@pytest.mark.docker
def test_stats_are_reported(rt: DockerRuntime) -> None:
    cid = Pod(rt, "stats").run("c", command=["sleep", "3600"])
    stats = rt.stats(cid)
    assert set(stats) == {"cpu_millis", "memory_bytes", "cpu_usage_nanos", "read_nanos"}
    assert stats["memory_bytes"] > 0 and stats["cpu_usage_nanos"] > 0
    assert rt.stats(cid)["read_nanos"] > stats["read_nanos"]  # the cumulative counter's reading time moves on


# -- cleanup -----------------------------------------------------------------------------------


def _leftovers(client: Any, cluster_id: str) -> tuple[int, int, int]:
    flt = {"label": f"k8sedu.cluster={cluster_id}"}
    return (len(client.api.containers(all=True, filters=flt)), len(client.api.networks(filters=flt)),
            len((client.api.volumes(filters=flt) or {}).get("Volumes") or []))


@pytest.mark.docker
def test_cleanup_leaves_nothing_labelled(client: Any) -> None:
    rt = DockerRuntime("clean-" + uuid.uuid4().hex[:8])
    try:
        pod = Pod(rt, "p", ports=[PortMapping(80)])
        pod.run("web", "k8sedu/web:v1", mounts=[Mount("/data", volume="d")])
        pod.run("sleeper", command=["sleep", "3600"])
        assert _leftovers(client, rt.cluster_id) == (3, 1, 1)
        assert rt.cleanup() == 5
        assert _leftovers(client, rt.cluster_id) == (0, 0, 0)
    finally:
        rt.cleanup()
        rt.close()


@pytest.mark.docker
def test_cleanup_all_removes_what_a_dead_process_left(client: Any, rt: DockerRuntime) -> None:
    # The owner lives until the leftovers have been counted: every cluster start (on any pytest
    # worker) sweeps dead owners' resources, so an owner dead from the start could lose them early.
    owner = subprocess.Popen(["sleep", "3600"])
    dead = DockerRuntime("dead-" + uuid.uuid4().hex[:8], owner_pid=owner.pid)
    Pod(dead, "orphan").run("c", command=["sleep", "3600"])
    alive = Pod(rt, "keeper").run("c", command=["sleep", "3600"])
    try:
        assert _leftovers(client, dead.cluster_id)[:2] == (2, 1)
        owner.kill()
        owner.wait()  # now its clusters are dead
        report = cleanup_all(only_dead=True)
        assert dead.cluster_id in report.clusters and rt.cluster_id not in report.clusters
        assert report.containers >= 2 and report.networks >= 1
        assert _leftovers(client, dead.cluster_id) == (0, 0, 0)
        assert rt.container_status(alive).state == "running"  # a live cluster is never touched
    finally:
        owner.kill()
        owner.wait()
        dead.cleanup()
        dead.close()


def test_unreachable_docker_is_a_typed_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    assert docker_reachable(timeout=1) is False
    with pytest.raises(RuntimeUnavailable, match="Docker"):
        DockerRuntime("nope")


def test_grace_periods_and_times_follow_the_cluster_clock() -> None:
    """With speed=10 a 30 s grace period lasts 3 real seconds; engine times become cluster times."""
    import types

    from k8sedu.clock import Clock

    clock = Clock(speed=10)
    rt = DockerRuntime("clock", clock=clock, client=types.SimpleNamespace(api=None))
    assert rt._real_seconds(30) == pytest.approx(3)
    real = time.time() - 2  # two real seconds ago is twenty cluster seconds ago
    assert rt._to_cluster(real) == pytest.approx(clock.now() - 20, abs=0.5)
    assert rt._to_real(rt._to_cluster(real)) == pytest.approx(real, abs=0.01)


@pytest.mark.docker
def test_lists_images_and_version_for_the_node_status() -> None:
    from k8sedu.runtime import DockerRuntime

    rt = DockerRuntime("imagelist")
    try:
        rt.ensure_images()
        images = rt.list_images()
        names = {n for img in images for n in img["names"]}
        assert "k8sedu/web:v1" in names and "k8sedu/pause:latest" in names
        assert all(img["sizeBytes"] > 0 for img in images)
        assert images == sorted(images, key=lambda i: -i["sizeBytes"])
        assert rt.version()[0].isdigit()
    finally:
        rt.close()
