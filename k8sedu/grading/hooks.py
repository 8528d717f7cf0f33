"""Inside a submission's kernel: keep the student's cluster alive until the grader has looked at it.

Why hooks in the kernel: the cluster lives in the student's kernel (its control plane is threads of
that process), so the checks must run there too, after the student's cells. Two things would get in
the way, and :func:`install` (run by a cell the batch grader puts first) handles both:

* the student's last cell usually says ``c.stop()`` — here ``Cluster.stop`` only notes the wish; the
  grader's final cell grades, then really stops every cluster the notebook started;
* a kernel that is killed (time limit) cannot clean up — so the id of every cluster is written to a
  state file the moment it starts, and the grader removes what those ids left on the engine.

:func:`report` is what the grader's final cell calls: it grades the newest cluster still running
(every check, hidden ones too) and writes the report as JSON to a path only that cell knows, so
nothing a student prints can pass for it.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from pathlib import Path
from typing import Any

from ..cluster import Cluster
from .grader import Grader
from .result import Report, Result

__all__ = ["install", "report", "stop_all"]

_clusters: list[Cluster] = []  # every cluster the notebook started, oldest first
_lock = threading.Lock()  # guards _clusters and the state file
_state_file: Path | None = None
_real_start = Cluster.start
_real_stop = Cluster.stop


def _start(self: Cluster) -> Cluster:
    with _lock:
        if self not in _clusters:
            _clusters.append(self)
            if _state_file is not None:  # before any container exists: a kill may come at any time
                with _state_file.open("a", encoding="utf-8") as f:
                    f.write(self.id + "\n")
    return _real_start(self)


def _deferred_stop(self: Cluster) -> None:
    """``c.stop()`` in a graded notebook: stopped by the grader once the checks have run."""
    self._k8sedu_stop_requested = True  # type: ignore[attr-defined]


def install(state_file: str | os.PathLike[str]) -> None:
    """Record every cluster the notebook starts (ids into *state_file*) and defer their stop."""
    global _state_file
    _state_file = Path(state_file)
    Cluster.start = _start  # type: ignore[method-assign]
    Cluster.stop = _deferred_stop  # type: ignore[method-assign]
    atexit.register(stop_all)  # a kernel shut down without the final cell still cleans up


def stop_all() -> None:
    """Really stop every cluster the notebook started."""
    with _lock:
        clusters = list(_clusters)
        _clusters.clear()
    for c in clusters:
        try:
            _real_stop(c)
        except Exception:
            pass


def _no_cluster_report(exercise_folder: Path) -> Report:
    from .registry import load_checks

    out = Report(exercise_folder.name)
    for ch in load_checks(exercise_folder):
        out.results.append(Result(ch.id, ch.title, False, 0, ch.points, ch.hidden,
                                  reason="笔记本没有启动集群（Cluster），没有可以评分的状态。", hint=ch.hint))
    return out


def report(exercise_folder: str | os.PathLike[str], out_path: str | os.PathLike[str],
           max_wait: float | None = None) -> Report:
    """Grade the newest running cluster of this notebook, write the JSON to *out_path*, then stop all."""
    folder = Path(exercise_folder)
    try:
        with _lock:
            running = [c for c in _clusters if c.started]
        if running:
            graded = Grader(running[-1], folder.name, exercises_dir=folder.parent,
                            max_wait=max_wait).check_all(include_hidden=True)
        else:
            graded = _no_cluster_report(folder)
        data: dict[str, Any] = graded.to_dict()
        data["runtime"] = running[-1].runtime_name if running else ""
        data["clusters"] = [c.id for c in _clusters]  # the grader checks they left nothing behind
        tmp = Path(str(out_path) + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(out_path)
        return graded
    finally:
        stop_all()
