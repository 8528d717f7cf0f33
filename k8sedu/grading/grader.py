"""``Grader``: runs an exercise's checks against a live cluster and scores them.

In a notebook::

    grader = Grader(c, "01-first-pod")
    grader.check("q1")        # a small card: pass or fail, points, hint
    grader.check_all()        # the summary table (hidden checks too, without their hints)

A check that waits (``wait=60``) is tried again every half second until it passes, it fails with
``final=True``, or the deadline comes; ``max_wait`` caps every wait (graders and tests use it); when it is not given, the environment
variable ``K8SEDU_GRADER_MAX_WAIT`` (seconds) is used if set — the batch grader sets it so that the
check cells of a submission do not wait long; its own final grading passes ``max_wait`` explicitly.
"""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

from .check import Check, CheckFailed
from .context import CheckContext
from .registry import find_exercise, load_checks, load_module
from .result import Report, Result

__all__ = ["Grader", "run_check"]

_RETRY_EVERY = 0.5  # real seconds between two tries of a waiting check


def run_check(check: Check, ctx: CheckContext, max_wait: float | None = None) -> Result:
    """Grade one check: never raises for the student's answer or for a bug in the check."""
    wait = check.wait if max_wait is None else min(check.wait, max_wait)
    start = time.monotonic()
    deadline = start + wait
    reason = error = ""
    while True:
        try:
            check.fn(ctx)
        except CheckFailed as e:
            reason, error = e.reason, ""
            final = e.final
        except AssertionError as e:
            reason, error, final = (str(e) or "断言不成立。"), "", False
        except Exception as e:  # a bug in checks.py, or the cluster went away: report, don't crash
            reason, final = "", True
            error = "".join(traceback.format_exception_only(type(e), e)).strip()
        else:
            return Result(check.id, check.title, True, check.points, check.points, check.hidden,
                          seconds=time.monotonic() - start)
        if final or time.monotonic() + _RETRY_EVERY > deadline:
            break
        time.sleep(_RETRY_EVERY)
    if wait and not error and not final:
        reason = f"{reason}（已等待 {wait:g} 秒）"
    return Result(check.id, check.title, False, 0, check.points, check.hidden, reason=reason,
                  hint=check.hint, error=error, seconds=time.monotonic() - start)


class Grader:
    """Grades exercise *exercise* ("01-first-pod") on *cluster*; see the module docstring."""

    def __init__(self, cluster: Any, exercise: str, exercises_dir: str | os.PathLike[str] | None = None,
                 namespace: str = "default", max_wait: float | None = None) -> None:
        self.cluster = cluster
        self.exercise = exercise
        self.folder = find_exercise(exercise, exercises_dir)
        self.checks = load_checks(self.folder)
        self._module = load_module(self.folder)
        self.context = CheckContext(cluster, namespace)
        if max_wait is None and os.environ.get("K8SEDU_GRADER_MAX_WAIT"):
            max_wait = float(os.environ["K8SEDU_GRADER_MAX_WAIT"])
        self.max_wait = max_wait

    @property
    def max_total(self) -> float:
        return sum(c.points for c in self.checks)

    def _find(self, qid: str) -> Check:
        for c in self.checks:
            if c.id == qid:
                return c
        raise KeyError(f"练习 {self.exercise} 没有题目 {qid}（有：{', '.join(c.id for c in self.checks)}）")

    def setup(self) -> None:
        """Create what the exercise gives before the student starts (``setup(cluster)`` in checks.py)."""
        given = getattr(self._module, "setup", None)
        if given is not None:
            given(self.cluster)

    def check(self, qid: str) -> Result:
        return run_check(self._find(qid), self.context, self.max_wait)

    def check_all(self, include_hidden: bool = True) -> Report:
        report = Report(self.exercise)
        for c in self.checks:
            if c.hidden and not include_hidden:
                continue
            report.results.append(run_check(c, self.context, self.max_wait))
        return report

    def __repr__(self) -> str:
        return f"<Grader {self.exercise}: {len(self.checks)} checks, {self.max_total:g} points>"
