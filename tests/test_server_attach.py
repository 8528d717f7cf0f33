"""``kubectl attach`` (the real kubectl 1.32) against ``Cluster.serve()``: the running process's
output as it is written, on the sim and on Docker, stdin on Docker (``stdin: true`` containers),
and detaching leaves the container running."""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from _kubectl import KUBECTL, require_kubectl, served_cluster
from _waits import eventually

from k8sedu import Cluster

TICKER = ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done"]


class Attached:
    """``kubectl attach`` in the background; ``until(text)`` waits for *text* in its stdout."""

    def __init__(self, kubeconfig: Path, *args: str, stdin: bool = False) -> None:
        self.proc = subprocess.Popen([KUBECTL, "--kubeconfig", str(kubeconfig), "attach", *args],
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.out: queue.Queue[str] = queue.Queue()
        self.seen = ""
        self.stderr = ""
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.out.put(line)

    def until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} not in kubectl attach's output: {self.seen!r}")
            try:
                self.seen += self.out.get(timeout=left)
            except queue.Empty:
                continue
        return self.seen

    def send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def finish(self, timeout: float = 30, interrupt: bool = True) -> int:
        if interrupt and self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout)
        while not self.out.empty():
            self.seen += self.out.get()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None and not pipe.closed:
                if pipe is self.proc.stderr:
                    self.stderr = pipe.read()
                pipe.close()
        return code


def _run(kc: Path, *args: str) -> str:
    out = subprocess.run([KUBECTL, "--kubeconfig", str(kc), *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _ready(kc: Path, pod: str) -> None:
    _run(kc, "wait", "--for=condition=Ready", f"pod/{pod}", "--timeout=90s")


def _restarts(c: Cluster, pod: str) -> int:
    return int(c.get(f"pod/{pod}")["status"]["containerStatuses"][0]["restartCount"])


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, Path]]:
    kubeconfig = tmp_path_factory.mktemp("kc") / "config"
    with served_cluster(kubeconfig, nodes=1) as c:
        yield c, kubeconfig


def test_attach_streams_output_and_detach_keeps_it_running(sim: tuple[Cluster, Path]) -> None:
    c, kc = sim
    _run(kc, "run", "ticker", "--image=k8sedu/busybox", "--", "sh", "-c", "while true; do echo tick; sleep 1; done")
    _ready(kc, "ticker")
    a = Attached(kc, "ticker")
    a.until("tick\ntick\ntick\n")  # lines keep coming while attached
    assert a.finish() != 0  # interrupted, as Ctrl-C
    assert c.get("pod/ticker")["status"]["phase"] == "Running" and _restarts(c, "ticker") == 0


def test_attach_ends_with_the_process(sim: tuple[Cluster, Path]) -> None:
    c, kc = sim
    _run(kc, "run", "short", "--image=k8sedu/busybox", "--restart=Never", "--",
         "sh", "-c", "sleep 4; echo bye; exit 0")
    _ready(kc, "short")
    a = Attached(kc, "short")
    assert a.finish(timeout=60, interrupt=False) == 0
    assert "bye" in a.seen


def test_attach_errors_in_upstreams_words(sim: tuple[Cluster, Path], tmp_path: Path) -> None:
    c, kc = sim
    missing = subprocess.run([KUBECTL, "--kubeconfig", str(kc), "attach", "nope"], capture_output=True, text=True)
    assert missing.returncode == 1 and 'Error from server (NotFound): pods "nope" not found' in missing.stderr
    _run(kc, "run", "quiet", "--image=k8sedu/busybox", "--", "sleep", "3600")
    _ready(kc, "quiet")
    student = c.serve(user="student", namespace="s1", kubeconfig=tmp_path / "student")
    denied = subprocess.run([KUBECTL, "--kubeconfig", str(student), "-n", "default", "attach", "quiet"],
                            capture_output=True, text=True)
    assert denied.returncode == 1
    assert 'pods "quiet" is forbidden: User "student" cannot get resource "pods" in API group "" in the ' \
           'namespace "default"' in denied.stderr


@pytest.mark.docker
def test_attach_on_docker_with_stdin(tmp_path: Path) -> None:
    require_kubectl()
    with Cluster(nodes=1, runtime="docker", progress=False) as c:
        kc = c.serve(kubeconfig=tmp_path / "config")
        _run(kc, "run", "ticker", "--image=k8sedu/busybox", "--", *TICKER)
        _ready(kc, "ticker")
        eventually(lambda: "tick 3" in c.kubectl("logs ticker"), timeout=60, interval=0.2)
        a = Attached(kc, "ticker")
        line = next(ln for ln in a.until("tick ").splitlines() if ln.startswith("tick "))
        assert int(line.split()[1]) >= 3  # from now on, not the log from the start
        a.until(f"tick {int(line.split()[1]) + 1}")
        a.finish()
        assert _restarts(c, "ticker") == 0

        manifest = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: echo\nspec:\n  containers:\n"
                    "  - name: echo\n    image: k8sedu/busybox\n    stdin: true\n"
                    "    command: [sh, -c, 'while read l; do echo got $l; done']\n")
        subprocess.run([KUBECTL, "--kubeconfig", str(kc), "apply", "-f", "-"], input=manifest, text=True,
                       check=True, capture_output=True)
        _ready(kc, "echo")
        a = Attached(kc, "-i", "echo", stdin=True)
        a.send("hello\n")
        a.until("got hello")
        a.send("again\n")
        a.until("got again")
        a.finish()
        assert "got hello" in c.kubectl("logs echo")
