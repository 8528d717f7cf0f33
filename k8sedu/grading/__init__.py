"""Graded exercises: checks with points and Chinese hints, answered by the state of the live cluster.

    from k8sedu.grading import Grader
    grader = Grader(c, "01-first-pod")
    grader.check("q1")          # ✔/✘, points, hint
    grader.check_all()          # every question, total

Writing an exercise (``exercises/NN-slug/checks.py``)::

    from k8sedu.grading import CheckFailed, check

    @check("q1", "Pod hello 存在", points=2, hint="……")
    def q1(ctx):
        ctx.require("pod/hello")
"""

from __future__ import annotations

from .check import Check, CheckFailed, CheckFn, check
from .context import CheckContext
from .grader import Grader, run_check
from .registry import find_exercise, load_checks, load_module
from .result import Report, Result

__all__ = ["Check", "CheckContext", "CheckFailed", "CheckFn", "Grader", "Report", "Result", "check",
           "find_exercise", "load_checks", "load_module", "run_check"]
