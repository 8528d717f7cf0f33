"""``%kubectl`` and ``%%kubectl``: kubectl commands in notebook cells, against the running cluster.

::

    %load_ext k8sedu.magics          # once per notebook (``import k8sedu`` may do it for you)

    %kubectl get pods -o wide        # a line: the command

    %%kubectl apply -f -             # a cell: the line is the command, the body is its stdin
    apiVersion: apps/v1
    kind: Deployment
    ...

A cell with an empty first line means ``apply -f -``, and a cell whose command reads its objects
(``apply``, ``create``, ``delete``, ``replace``) but names no ``-f`` reads them from the body, so
``%%kubectl apply`` works as DESIGN.md writes it. ``out = %kubectl get pods`` captures the text. The output is printed as plain text, as a
terminal would show it; a kubectl error is printed on stderr (a red block in Jupyter) without a
Python traceback, so a failing command reads exactly like it does in a shell. The magics talk to
the cluster most recently started in this kernel (``k8sedu.cluster.current_cluster()``).
"""

from __future__ import annotations

import sys
from typing import Any

from .errors import KubectlError

__all__ = ["kubectl_magic", "load_ipython_extension", "unload_ipython_extension", "NO_CLUSTER"]

NO_CLUSTER = (
    "error: 没有正在运行的集群（no cluster is running）：先运行 "
    "`c = Cluster(nodes=3); c.start()`，再使用 %kubectl。"
)
USAGE = "error: 用法（usage）：%kubectl <command> [args]，例如 %kubectl get pods"
_READS_OBJECTS = {"apply", "create", "delete", "replace"}


class KubectlOutput(str):
    """What a magic returns: the text kubectl printed. It was already printed as it streamed, so
    IPython shows nothing more for it; ``out = %kubectl get pods`` keeps it as a string."""

    def _ipython_display_(self) -> None:
        pass


def _with_stdin_file(command: str) -> str:
    words = command.split()
    if words and words[0] == "kubectl":
        words = words[1:]
    if not words or words[0] not in _READS_OBJECTS:
        return command
    if any(w in ("-f", "-k") or w.startswith(("--filename", "-f=", "--kustomize", "-k=")) for w in words):
        return command
    if words[0] in ("delete", "create") and len(words) > 1 and not words[1].startswith("-"):
        return command  # "delete pod web", "create deployment web --image=…": names, not a file
    return command + " -f -"


def _write(text: str) -> None:
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()


def _error(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


def kubectl_magic(line: str, cell: str | None = None) -> KubectlOutput | None:
    """The body of both magics: run *line* (``cell`` is stdin) and print what kubectl prints."""
    from .cluster import current_cluster  # lazily: importing the magics must not start anything

    command = line.strip()
    stdin = cell
    if cell is not None:
        command = _with_stdin_file(command) if command else "apply -f -"
    if not command:
        _error(USAGE)
        return None
    cluster = current_cluster()
    if cluster is None:
        _error(NO_CLUSTER)
        return None
    runner: Any = getattr(cluster, "kubectl_runner", None)
    try:
        if runner is not None and hasattr(runner, "run"):
            # stream: rollout status and logs -f show their lines as they happen
            return KubectlOutput(runner.run(command, stdin=stdin, out=_write))
        text = cluster.kubectl(command, stdin=stdin)
        _write(text)
        return KubectlOutput(text)
    except KubectlError as err:
        if runner is None:
            _write(getattr(err, "output", ""))
        if str(err):
            _error(str(err))
        return None


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext k8sedu.magics``: register ``%kubectl`` and ``%%kubectl``."""
    ip.register_magic_function(kubectl_magic, magic_kind="line_cell", magic_name="kubectl")


def unload_ipython_extension(ip: Any) -> None:
    magics = ip.magics_manager.magics
    magics["line"].pop("kubectl", None)
    magics["cell"].pop("kubectl", None)
