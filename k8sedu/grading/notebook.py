"""Grading one submitted notebook: a fresh kernel, the student's cells, then the checks, in that kernel.

Why this shape: the cluster lives in the kernel that runs the notebook, so grading happens there,
after the student's cells, by a cell the grader adds (the student cannot edit it)::

    [grader] hooks.install(state)        record every cluster started; c.stop() waits for the grader
    [student] code cell 1 … code cell N  run in order; an error is recorded and the next cell runs
    [grader] hooks.report(exercise, out) every check (hidden too) on the newest running cluster,
                                         the JSON written to a path only this cell knows; then stop

The time limit covers the student's cells: when it runs out the kernel is interrupted (as the ■
button does), the remaining cells are skipped, and the final cell grades what the cluster shows at
that moment. If even that cannot run (the kernel ignores the interrupt, or died), the submission
gets 0 with the error. Whatever happens, the kernel is shut down and every container, network and
volume of the clusters it started is removed (their ids were written down before they started).

Run as ``python -m k8sedu.grading.notebook EXERCISE NOTEBOOK --out report.json``: the batch grader
runs each submission this way, in its own process that it can kill.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .registry import load_checks

__all__ = ["grade_budget", "grade_notebook", "main", "remove_clusters"]

log = logging.getLogger(__name__)

IN_NOTEBOOK_MAX_WAIT = 3.0  # seconds a check cell of the submission itself may wait
STOP_BUDGET = 60.0  # seconds for the final cell beyond the checks' waits (checks, stopping clusters)


def grade_budget(exercise_folder: Path, max_wait: float) -> float:
    """Seconds the final grading cell may take: every check's wait (capped) plus stopping the cluster."""
    return sum(min(c.wait, max_wait) for c in load_checks(exercise_folder)) + STOP_BUDGET


def zero_report(exercise_folder: Path, reason: str) -> dict[str, Any]:
    """Every question at 0 points with *reason*: the checks could not run."""
    results = [{"id": c.id, "title": c.title, "passed": False, "points": 0, "max_points": c.points,
                "hidden": c.hidden, "reason": reason, "hint": "", "error": "", "seconds": 0.0}
               for c in load_checks(exercise_folder)]
    return {"exercise": exercise_folder.name, "total": 0, "max_total": sum(r["max_points"] for r in results),
            "results": results}


def remove_clusters(ids: Sequence[str]) -> None:
    """Remove what clusters *ids* left: engine containers/networks/volumes and their temp folders."""
    for cid in ids:
        shutil.rmtree(Path(tempfile.gettempdir()) / f"k8sedu-{cid}", ignore_errors=True)
    if not ids:
        return
    try:
        from ..runtime.docker import connect
        from ..runtime.janitor import remove_cluster_resources

        client = connect(timeout=30)
    except Exception:  # no engine (sim-only machine): nothing can be left on it
        return
    try:
        for cid in ids:
            remove_cluster_resources(client, cid)
    finally:
        client.close()


def _code(text: str) -> Any:
    import nbformat

    return nbformat.v4.new_code_cell(text)


def _error_of(cell: Any, number: int) -> dict[str, Any] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            return {"cell": number, "ename": out.get("ename", ""), "evalue": out.get("evalue", ""),
                    "source": first[:120]}
    return None


def grade_notebook(exercise_folder: str | os.PathLike[str], notebook: str | os.PathLike[str], *,
                   timeout: float = 300.0, runtime: str = "auto", max_wait: float = 30.0) -> dict[str, Any]:
    """Grade one submission; returns the report (see the module docstring). Never raises for the
    student's notebook; a notebook that cannot be read gets 0 with the error."""
    folder = Path(exercise_folder).resolve()
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="k8sedu-grade-"))
    try:
        report = _run(folder, Path(notebook).resolve(), work, timeout, runtime, max_wait)
    finally:
        state = work / "clusters"
        remove_clusters(state.read_text(encoding="utf-8").split() if state.is_file() else [])
        shutil.rmtree(work, ignore_errors=True)
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


#: how often a kernel that died at birth is started again
KERNEL_START_ATTEMPTS = 3


def _start_kernel(client: Any, env: dict[str, str]) -> None:
    """Start the kernel and connect to it, again if it died before answering.

    jupyter_client picks free TCP ports and the kernel binds them a moment later; with a class's
    notebooks graded at once, another process can take one in between, and the kernel exits with
    "Address already in use" before it runs anything. Nothing has run yet, so starting again is safe.
    """
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        client.km = client.create_kernel_manager()
        try:
            client.start_new_kernel(env=env)
            client.start_new_kernel_client()
            return
        except RuntimeError as err:
            if "Kernel died" not in str(err) or attempt == KERNEL_START_ATTEMPTS:
                raise
            log.warning("the grading kernel died at start (%s); starting it again", err)
            client._cleanup_kernel()
            client.km = client.kc = None


def _run(folder: Path, path: Path, work: Path, timeout: float, runtime: str,
         max_wait: float) -> dict[str, Any]:
    import nbformat
    from jupyter_core.utils import ensure_async, run_sync
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    started = time.monotonic()
    errors: list[dict[str, Any]] = []
    status = "ok"
    state = work / "clusters"
    out = work / f"report-{secrets.token_hex(8)}.json"
    try:
        source = nbformat.read(path, as_version=4)
    except Exception as e:
        report = zero_report(folder, f"无法读取笔记本：{type(e).__name__}: {e}")
        report.update(status="unreadable", errors=[{"cell": 0, "ename": type(e).__name__,
                                                    "evalue": str(e), "source": ""}])
        return report
    numbered = [(n, c) for n, c in enumerate(source.cells, 1) if c.cell_type == "code"]
    nb = nbformat.v4.new_notebook(metadata=source.get("metadata", {}))
    nb.cells = [_code(f"from k8sedu.grading import hooks as _k8sedu_hooks\n"
                      f"_k8sedu_hooks.install({json.dumps(str(state))})")]
    nb.cells += [_code(c.source) for _, c in numbered]
    nb.cells.append(_code(f"from k8sedu.grading import hooks as _k8sedu_hooks\n"
                          f"_k8sedu_hooks.report({json.dumps(str(folder))}, {json.dumps(str(out))}, "
                          f"max_wait={max_wait!r})\nNone"))
    env = dict(os.environ, K8SEDU_EXERCISES=str(folder.parent), PYTHONUNBUFFERED="1",
               K8SEDU_GRADER_MAX_WAIT=str(IN_NOTEBOOK_MAX_WAIT))
    if runtime != "auto":
        env["K8SEDU_RUNTIME"] = runtime
    client = NotebookClient(nb, timeout=int(timeout) + 1, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    deadline = started + timeout
    alive = True
    _start_kernel(client, env)
    with client.setup_kernel(env=env):
        client.timeout = 60
        try:
            client.execute_cell(nb.cells[0], 0)
            for index, (number, _) in enumerate(numbered, 1):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    status = "timeout"
                    break
                client.timeout = max(1, int(remaining))
                try:
                    client.execute_cell(nb.cells[index], index)
                except CellTimeoutError:
                    status = "timeout"
                    errors.append({"cell": number, "ename": "Timeout",
                                   "evalue": f"超过时间限制 {timeout:g} 秒，内核被中断，其余单元格未运行。",
                                   "source": ""})
                    assert client.km is not None
                    run_sync(ensure_async)(client.km.interrupt_kernel())  # as the ■ button
                    break
                err = _error_of(nb.cells[index], number)
                if err is not None:
                    errors.append(err)
                    status = "error"
            if status == "timeout" and not any(e["ename"] == "Timeout" for e in errors):
                errors.append({"cell": 0, "ename": "Timeout",
                               "evalue": f"超过时间限制 {timeout:g} 秒，其余单元格未运行。", "source": ""})
            client.timeout = int(grade_budget(folder, max_wait))
            try:
                client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
            except CellTimeoutError:
                errors.append({"cell": 0, "ename": "Timeout", "source": "",
                               "evalue": "评分单元格超时：内核没有响应中断。"})
            err = _error_of(nb.cells[-1], 0)
            if err is not None:
                errors.append({**err, "ename": f"GradingError: {err['ename']}"})
        except DeadKernelError as e:
            alive = False
            status = "dead"
            errors.append({"cell": 0, "ename": "DeadKernelError", "evalue": f"内核退出了：{e}",
                           "source": ""})
        client.shutdown_kernel = "graceful" if alive and status != "timeout" else "immediate"
    if out.is_file():
        report = json.loads(out.read_text(encoding="utf-8"))
    else:
        why = errors[-1]["evalue"] if errors else "评分单元格没有写出结果。"
        report = zero_report(folder, f"无法运行检查：{why}")
        status = status if status != "ok" else "failed"
    report.update(status=status, errors=errors)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m k8sedu.grading.notebook",
                                     description="Grade one submitted notebook in a fresh kernel.")
    parser.add_argument("exercise", type=Path)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--runtime", choices=("auto", "docker", "sim"), default="auto")
    parser.add_argument("--max-wait", type=float, default=30.0)
    args = parser.parse_args(argv)
    report = grade_notebook(args.exercise, args.notebook, timeout=args.timeout, runtime=args.runtime,
                            max_wait=args.max_wait)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
