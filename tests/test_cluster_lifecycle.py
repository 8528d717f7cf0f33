"""Starting, stopping and dying: nothing is left behind and nothing stored is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from _waits import eventually

from k8sedu import Cluster
from k8sedu.cluster import resolve_runtime

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "hello"},
    "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]},
}


def labelled(kind: str, cluster_id: str) -> list[object]:
    import docker

    client = docker.from_env()
    flt = {"label": f"k8sedu.cluster={cluster_id}"}
    if kind == "containers":
        return client.containers.list(all=True, filters=flt)
    if kind == "networks":
        return client.networks.list(filters=flt)
    return client.volumes.list(filters=flt)


def test_runtime_choice_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K8SEDU_RUNTIME", "sim")
    assert resolve_runtime("auto") == ("sim", None)
    assert resolve_runtime("docker") == ("docker", None)  # an explicit choice wins
    with pytest.raises(ValueError):
        resolve_runtime("podman")


def test_sim_cluster_starts_stops_and_says_so(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K8SEDU_RUNTIME", "sim")
    with Cluster(nodes=2) as c:
        assert c.runtime_name == "sim"
        assert [n["metadata"]["name"] for n in c.get("nodes")] == ["node-1", "node-2"]
        c.apply(POD)
        c.wait("pod/hello", "Running", timeout=30)
        assert any(ct.name.startswith("k8s_POD_hello_default_") for ct in c.containers())
    assert not c.started
    with pytest.raises(RuntimeError):
        c.get("pods")


def test_state_dir_keeps_objects_across_restarts(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("K8SEDU_RUNTIME", "sim")
    with Cluster(nodes=1, state_dir=tmp_path) as c:
        c.kubectl("create deployment keep --image=k8sedu/web:v1 --replicas=2")
        c.wait("deployment/keep", "Available", timeout=60)
        uid = c.get("deployment/keep")["metadata"]["uid"]
        token = c.kubectl("create token default").strip()
        before = {p["metadata"]["name"]: p["status"]["containerStatuses"][0]["restartCount"]
                  for p in c.get("pods", selector="app=keep")}
    assert set(before.values()) == {0}
    with Cluster(nodes=1, state_dir=tmp_path) as c2:
        d = c2.get("deployment/keep")
        assert d["metadata"]["uid"] == uid
        c2.wait("deployment/keep", "Available", timeout=60)
        # the same Pods run again in new containers: one restart each, as on a rebooted node
        pods = {p["metadata"]["name"]: p for p in c2.get("pods", selector="app=keep")}
        assert set(pods) == set(before)
        for name in pods:  # (their status says Ready from before the restart until the kubelet writes)
            eventually(lambda name=name: (s := c2.get(f"pod/{name}")["status"]["containerStatuses"][0])
                       ["restartCount"] == 1 and "running" in s["state"], what=f"{name} running again", timeout=60)
        rows = c2.kubectl("get pods -l app=keep").splitlines()
        # a token issued before the restart still authenticates (the signing key is in state_dir)
        assert c2.apiserver is not None and c2.apiserver.tokens.authenticate(token) is not None
        assert (tmp_path / "sa.key").stat().st_mode & 0o777 == 0o600
        assert rows[0].split()[3] == "RESTARTS" and {row.split()[3] for row in rows[1:]} == {"1"}


@pytest.mark.docker
def test_stop_leaves_no_container_network_or_volume() -> None:
    c = Cluster(nodes=2, runtime="docker", progress=False)
    c.start()
    try:
        c.apply(POD)
        c.wait("pod/hello", "Running", timeout=60)
        assert len(labelled("containers", c.id)) == 2  # pause + app
    finally:
        c.stop()
    for kind in ("containers", "networks", "volumes"):
        assert labelled(kind, c.id) == [], kind


@pytest.mark.docker
def test_what_a_killed_kernel_left_is_cleaned_up() -> None:
    script = textwrap.dedent(
        """
        import sys, time
        from k8sedu import Cluster
        c = Cluster(nodes=1, runtime="docker", progress=False).start()
        c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "orphan"},
                 "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]}})
        c.wait("pod/orphan", "Running", timeout=60)
        print(c.id, flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        cluster_id = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert cluster_id, "the child cluster did not start"
        assert len(labelled("containers", cluster_id)) == 2
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # no atexit, no stop(): what a killed kernel does
        proc.wait(30)
        proc.stdout.close()  # type: ignore[union-attr]
    assert len(labelled("containers", cluster_id)) == 2  # left behind
    out = subprocess.run([sys.executable, "-m", "k8sedu", "cleanup"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    deadline = time.monotonic() + 30
    while labelled("containers", cluster_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    for kind in ("containers", "networks", "volumes"):
        assert labelled(kind, cluster_id) == [], kind
