"""``kubectl port-forward`` (the real kubectl 1.32) against ``Cluster.serve()``: pod/, svc/ and
deploy/ forms, SPDY inside a WebSocket (kubectl's default) and plain SPDY, the kubelet's error when
nothing listens, and the SPDY framing itself."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from _kubectl import KUBECTL, require_kubectl, served_cluster

from k8sedu import Cluster
from k8sedu.server import spdy


class Forward:
    """``kubectl port-forward <target> :<port>`` running in the background; ``local`` is the
    port kubectl picked, ``stderr`` what it printed once stopped."""

    def __init__(self, kubeconfig: Path, target: str, port: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [KUBECTL, "--kubeconfig", str(kubeconfig), "port-forward", target, f":{port}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        first = self.lines.get(timeout=60)
        found = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)", first)
        assert found, first
        self.local, self.stderr = int(found.group(1)), ""

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def get(self, path: str = "/") -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.local}{path}", timeout=20) as r:
            data: bytes = r.read()
            return data

    def wait_exit(self, timeout: float = 30) -> int:
        code = self.proc.wait(timeout=timeout)
        assert self.proc.stderr is not None and self.proc.stdout is not None
        if not self.proc.stderr.closed:
            self.stderr = self.proc.stderr.read()
            self.proc.stderr.close()
        self._reader.join(timeout)
        self.proc.stdout.close()
        return code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.wait_exit()


def _web(c: Cluster, kubeconfig: Path) -> str:
    run = [KUBECTL, "--kubeconfig", str(kubeconfig)]
    subprocess.run(run + ["create", "deployment", "web", "--image=k8sedu/web:v1", "--port=80"], check=True,
                   capture_output=True)
    subprocess.run(run + ["expose", "deployment", "web", "--port=8000", "--target-port=80"], check=True,
                   capture_output=True)
    subprocess.run(run + ["rollout", "status", "deployment/web", "--timeout=90s"], check=True, capture_output=True)
    pods = c.get("pods", selector="app=web")
    return str(pods[0]["metadata"]["name"])


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Path, str]]:
    kc = tmp_path_factory.mktemp("kc") / "config"
    with served_cluster(kc, nodes=1) as c:
        yield c, kc, _web(c, kc)


@pytest.mark.parametrize("target", ["pod", "svc/web", "deploy/web"])
def test_forward_returns_the_pods_page(sim: tuple[Cluster, Path, str], target: str) -> None:
    c, kc, pod = sim
    fwd = Forward(kc, f"pod/{pod}" if target == "pod" else target, "8000" if target.startswith("svc") else "80")
    try:
        for _ in range(3):  # one SPDY stream pair per connection, on the same tunnel
            assert fwd.get() == f"hostname={pod} version=v1\n".encode()
        assert fwd.get("/healthz") == b"ok\n"
    finally:
        fwd.stop()
    assert "error" not in fwd.stderr.lower()


def test_forward_over_plain_spdy(sim: tuple[Cluster, Path, str]) -> None:
    """With the WebSocket tunnel off, kubectl upgrades the connection to SPDY/3.1 itself."""
    c, kc, pod = sim
    fwd = Forward(kc, f"pod/{pod}", "80", env={"KUBECTL_PORT_FORWARD_WEBSOCKETS": "false"})
    try:
        assert fwd.get() == f"hostname={pod} version=v1\n".encode()
    finally:
        fwd.stop()


def test_nothing_listening_is_the_kubelets_error(sim: tuple[Cluster, Path, str]) -> None:
    c, kc, pod = sim
    fwd = Forward(kc, f"pod/{pod}", "81")
    try:
        with pytest.raises(OSError):
            fwd.get()
        code = fwd.wait_exit()
    finally:
        fwd.stop()
    assert code == 1
    assert f"an error occurred forwarding {fwd.local} -> 81: error forwarding port 81 to pod" in fwd.stderr
    assert "connect: connection refused" in fwd.stderr
    assert "error: lost connection to pod" in fwd.stderr


def test_student_cannot_forward_outside_its_namespace(sim: tuple[Cluster, Path, str], tmp_path: Path) -> None:
    c, kc, pod = sim
    student = c.serve(user="student", namespace="s1", kubeconfig=tmp_path / "student")
    out = subprocess.run([KUBECTL, "--kubeconfig", str(student), "-n", "default", "port-forward", f"pod/{pod}", ":80"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert f'pods "{pod}" is forbidden: User "student" cannot get resource "pods" in API group "" in the ' \
           f'namespace "default"' in out.stderr


def test_flow_records_the_forwarded_connection(sim: tuple[Cluster, Path, str]) -> None:
    c, kc, pod = sim
    before = max([e.seq for e in c.flow.events()] or [0])
    fwd = Forward(kc, f"pod/{pod}", "80")
    try:
        fwd.get()
    finally:
        fwd.stop()
    asked = [e for e in c.flow.events(before) if e.src == "kubectl" and e.action.endswith("/portforward")]
    assert asked and asked[0].dst == "apiserver" and asked[0].name == pod, c.flow.events(before)[-5:]


@pytest.mark.docker
def test_forward_on_docker(tmp_path: Path) -> None:
    require_kubectl()
    with Cluster(nodes=1, runtime="docker", progress=False) as c:
        kc = c.serve(kubeconfig=tmp_path / "config")
        pod = _web(c, kc)
        # a port declared in the Pod (published on 127.0.0.1) and one reached by the Pod IP
        subprocess.run([KUBECTL, "--kubeconfig", str(kc), "run", "bare", "--image=k8sedu/web:v1"], check=True,
                       capture_output=True)
        subprocess.run([KUBECTL, "--kubeconfig", str(kc), "wait", "--for=condition=Ready", "pod/bare",
                        "--timeout=90s"], check=True, capture_output=True)
        for target, page in ((f"pod/{pod}", pod), ("svc/web", pod), ("pod/bare", "bare")):
            fwd = Forward(kc, target, "8000" if target.startswith("svc") else "80")
            try:
                assert fwd.get().startswith(f"hostname={page} version=v1".encode())
                assert fwd.get().startswith(f"hostname={page} version=v1".encode())
            finally:
                fwd.stop()


# -- the SPDY framing alone ------------------------------------------------------------------------------
def test_spdy_dictionary_is_the_drafts() -> None:
    assert len(spdy.DICTIONARY) == 1423 and zlib.adler32(spdy.DICTIONARY) == 0xE3C6A7C2
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert spdy.DICTIONARY.endswith(b"charset=iso-8859-1,utf-,*,enq=0.")


def test_spdy_frames_round_trip_split_anywhere() -> None:
    client, server = spdy.Framer(), spdy.Framer()
    wire = (client.syn_stream(1, {"streamtype": "error", "port": "80", "requestid": "0"}, fin=True)
            + client.syn_stream(3, {"streamtype": "data", "port": "80", "requestid": "0"})
            + client.data(3, b"GET / HTTP/1.1\r\n\r\n") + client.ping(1) + client.data(3, b"", fin=True))
    frames: list[spdy.Frame] = []
    for i in range(0, len(wire), 5):  # a WebSocket tunnel may cut frames anywhere
        frames += server.feed(wire[i:i + 5])
    assert [f.type for f in frames] == [spdy.SYN_STREAM, spdy.SYN_STREAM, 0, spdy.PING, 0]
    assert frames[0].headers == {"streamtype": "error", "port": "80", "requestid": "0"} and frames[0].fin
    assert frames[1].stream_id == 3 and frames[1].headers["streamtype"] == "data"
    assert frames[2].data == b"GET / HTTP/1.1\r\n\r\n" and not frames[2].fin
    assert frames[3].value == 1 and frames[4].fin
    reply = client.feed(server.syn_reply(3) + server.goaway(3))
    assert reply[0].type == spdy.SYN_REPLY and reply[0].stream_id == 3 and reply[0].headers == {}
    assert reply[1].type == spdy.GOAWAY and reply[1].stream_id == 3

