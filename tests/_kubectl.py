"""The test suite's scaffolding for the real ``kubectl`` binary against ``Cluster.serve()``.

The files that drive kubectl 1.32 itself share three pieces: where the binary is (``KUBECTL``), what
happens when it is missing (``require_kubectl()``: a failure under CI, which must drive the real
kubectl, a skip elsewhere), and a started sim cluster serving its API with a kubeconfig for it
(``served_cluster``). Files that run many commands bind a ``runner`` once::

    @pytest.fixture(scope="module")
    def cluster(tmp_path_factory):
        with served_cluster(tmp_path_factory.mktemp("kc") / "config", nodes=2,
                            user="student", namespace="s1") as c:
            yield c

    @pytest.fixture()
    def kubectl(cluster, cache_dir):
        return runner(cluster.kubeconfig, cache_dir)

    kubectl("get", "pods", context="student@k8sedu", ok=False)   # a CompletedProcess
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from k8sedu import Cluster

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
ADMIN = "kubernetes-admin@k8sedu"  # the admin's context in every kubeconfig Cluster.serve() writes

Run = Callable[..., subprocess.CompletedProcess[str]]


def require_kubectl() -> None:
    """Fail under CI (``CI`` set), skip elsewhere, when the kubectl binary is missing."""
    if not Path(KUBECTL).exists():
        if os.environ.get("CI"):
            pytest.fail("kubectl is not installed: CI must drive the real kubectl")
        pytest.skip("kubectl is not installed")


@contextmanager
def served_cluster(kubeconfig: str | os.PathLike[str], nodes: int = 1, user: str | None = None,
                   namespace: str | None = None) -> Iterator[Cluster]:
    """A started sim cluster of *nodes* nodes serving its API, its kubeconfig written to *kubeconfig*
    (also ``cluster.kubeconfig``; with *user*, that user in *namespace* is the current context, else
    the admin); stopped on exit. Calls ``require_kubectl()`` first."""
    require_kubectl()
    with Cluster(nodes=nodes, runtime="sim", progress=False) as c:
        c.serve(user=user, namespace=namespace, kubeconfig=kubeconfig)
        yield c


def runner(kubeconfig: str | os.PathLike[str] | None, cache_dir: str | os.PathLike[str], *,
           context: str = ADMIN, token: str | None = None, stdin: str | None = None, ok: bool = True,
           timeout: float = 60) -> Run:
    """``run(*args, context=, token=, stdin=, ok=, timeout=)``: kubectl with ``--kubeconfig``,
    ``--cache-dir``, ``--context`` and ``--request-timeout=30s`` (and ``--token`` when given), *stdin*
    as its input, killed after *timeout* seconds; returns the CompletedProcess, asserting exit code 0
    when *ok*. The keywords given here are the defaults of each call."""
    assert kubeconfig is not None, "the cluster serves no kubeconfig: call Cluster.serve() first"
    base = [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache_dir)]

    def run(*args: str, context: str = context, token: str | None = token, stdin: str | None = stdin,
            ok: bool = ok, timeout: float = timeout) -> subprocess.CompletedProcess[str]:
        cmd = [*base, "--context", context, "--request-timeout=30s", *(["--token", token] if token else []), *args]
        result = subprocess.run(cmd, capture_output=True, text=True, input=stdin, timeout=timeout)
        if ok:
            assert result.returncode == 0, f"{' '.join(args)}: {result.stderr}"
        return result

    return run
