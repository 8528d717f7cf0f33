"""``%kubectl`` and ``%%kubectl``: kubectl commands in notebook cells, against the running cluster.

::

    %load_ext k8sedu.magics          # once per notebook (``import k8sedu`` may do it for you)

    %kubectl get pods -o wide        # a line: the command

    %%kubectl apply -f -             # a cell: the line is the command, the body is its stdin
    apiVersion: apps/v1
    kind: Deployment
    ...

A cell with an empty first line means ``apply -f -``. The output is printed as plain text, as a
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
    "error: 没有正在运行的集群 (no cluster is running): 先运行 "
    "`c = Cluster(nodes=3); c.start()`,再使用 %kubectl。"
)
USAGE = "error: 用法 (usage): %kubectl <command> [args],例如 %kubectl get pods"


def _write(text: str) -> None:
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()


def _error(text: str) -> None:
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


def kubectl_magic(line: str, cell: str | None = None) -> None:
    """The body of both magics: run *line* (``cell`` is stdin) and print what kubectl prints."""
    from .cluster import current_cluster  # lazily: importing the magics must not start anything

    command = line.strip()
    stdin = cell
    if cell is not None and not command:
        command = "apply -f -"
    if not command:
        _error(USAGE)
        return
    cluster = current_cluster()
    if cluster is None:
        _error(NO_CLUSTER)
        return
    runner: Any = getattr(cluster, "kubectl_runner", None)
    try:
        if runner is not None and hasattr(runner, "run"):
            # stream: rollout status and logs -f show their lines as they happen
            runner.run(command, stdin=stdin, out=_write)
        else:
            _write(cluster.kubectl(command, stdin=stdin))
    except KubectlError as err:
        if runner is None:
            _write(getattr(err, "output", ""))
        if str(err):
            _error(str(err))


def load_ipython_extension(ip: Any) -> None:
    """``%load_ext k8sedu.magics``: register ``%kubectl`` and ``%%kubectl``."""
    ip.register_magic_function(kubectl_magic, magic_kind="line_cell", magic_name="kubectl")


def unload_ipython_extension(ip: Any) -> None:
    magics = ip.magics_manager.magics
    magics["line"].pop("kubectl", None)
    magics["cell"].pop("kubectl", None)
