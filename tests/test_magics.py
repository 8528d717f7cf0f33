"""``%kubectl`` / ``%%kubectl`` in an IPython shell: output as plain text, errors on stderr without a
traceback, the cell body as stdin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.clock import FakeClock
from k8sedu.kubectl import Kubectl

IPython = pytest.importorskip("IPython")

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n"


class FakeCluster:
    """What the magics need from k8sedu.cluster.Cluster: a kubectl runner bound to an apiserver."""

    def __init__(self) -> None:
        self.api = APIServer(clock=FakeClock())
        self.client = Client(self.api, ADMIN, "kubectl")
        self.kubectl_runner = Kubectl(self.client, self.api.clock)

    def kubectl(self, command: str, stdin: str | None = None) -> str:
        return self.kubectl_runner.run(command, stdin=stdin)


class PlainCluster:
    """A cluster exposing only ``kubectl()`` (no streaming runner)."""

    def __init__(self) -> None:
        inner = FakeCluster()
        self.client = inner.client
        self._run = inner.kubectl_runner.run

    def kubectl(self, command: str, stdin: str | None = None) -> str:
        return self._run(command, stdin=stdin)


@pytest.fixture
def shell() -> Iterator[Any]:
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.extension_manager.load_extension("k8sedu.magics")
    yield ip
    ip.extension_manager.unload_extension("k8sedu.magics")


@pytest.fixture(params=[FakeCluster, PlainCluster])
def cluster(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeCluster:
    import k8sedu.cluster

    c = request.param()
    monkeypatch.setattr(k8sedu.cluster, "current_cluster", lambda: c)
    return c


def test_line_magic_prints_kubectl_output(shell: Any, cluster: FakeCluster, capsys: pytest.CaptureFixture[str]) -> None:
    result = shell.run_line_magic("kubectl", "get ns")
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "AGE"]
    assert "kube-system" in out and err == ""
    # `out = %kubectl get ns` keeps the text; displayed bare, it adds nothing to what was printed
    assert result == out
    assert shell.display_formatter.format(result) == ({}, {})  # Jupyter sends no Out[] for it


def test_cell_magic_uses_the_body_as_stdin(shell: Any, cluster: FakeCluster, capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_cell_magic("kubectl", "apply -f -", CONFIGMAP)
    assert capsys.readouterr().out == "configmap/settings created\n"
    shell.run_cell_magic("kubectl", "", CONFIGMAP)  # an empty line means apply -f -
    assert capsys.readouterr().out == "configmap/settings unchanged\n"
    shell.run_cell_magic("kubectl", "apply", CONFIGMAP.replace("blue", "red"))  # -f - is implied
    assert capsys.readouterr().out == "configmap/settings configured\n"
    shell.run_cell_magic("kubectl", "delete", CONFIGMAP)
    assert capsys.readouterr().out == 'configmap "settings" deleted\n'
    assert cluster.client.get_or_none("configmaps", "settings", "default") is None


def test_errors_go_to_stderr_without_a_traceback(shell: Any, cluster: FakeCluster,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    shell.run_line_magic("kubectl", "get deployment nope")
    out, err = capsys.readouterr()
    assert out == ""
    assert err == 'Error from server (NotFound): deployments.apps "nope" not found\n'
    shell.run_cell_magic("kubectl", "apply -f -", CONFIGMAP + "---\nkind: x\n  bad: 1\n")
    out, err = capsys.readouterr()
    assert out == "configmap/settings created\n"  # what worked is still shown
    assert err.startswith("error: error parsing STDIN: error converting YAML to JSON: yaml: line 2:")


def test_without_a_cluster(shell: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import k8sedu.cluster
    from k8sedu.magics import NO_CLUSTER

    monkeypatch.setattr(k8sedu.cluster, "current_cluster", lambda: None)
    shell.run_line_magic("kubectl", "get pods")
    out, err = capsys.readouterr()
    assert out == "" and err == NO_CLUSTER + "\n"
