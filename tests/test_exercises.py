"""Every exercise in exercises/ is solvable and graded fairly, on sim and on real Docker.

For each ``exercises/NN-slug/``: the blank submission (only what the exercise gives) scores 0 — on
sim as the exercise notebook itself, run through the batch grader's notebook runner, on Docker through
``Grader`` —, the solution (``solution/solve.py: solve``) scores full marks on both, and the partial
solution (``partial``) scores exactly ``PARTIAL_POINTS`` on both, strictly between 0 and full marks.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

from k8sedu import Cluster
from k8sedu.grading import Grader, Report, load_module

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted(p for p in (ROOT / "exercises").iterdir() if (p / "checks.py").is_file())
NEW = [p for p in EXERCISES if p.name != "01-first-pod"]  # 01 has its own tests (test_grading_*.py)


def solution(folder: Path) -> ModuleType:
    path = folder / "solution" / "solve.py"
    spec = importlib.util.spec_from_file_location(f"solve_{folder.name.replace('-', '_')}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def graded(folder: Path, runtime: str, mode: str, max_wait: float | None) -> Report:
    """A fresh cluster as the exercise notebook makes it, then *mode* ("blank", "partial", "solve")."""
    nodes = getattr(load_module(folder), "NODES", 1)
    with Cluster(nodes=nodes, runtime=runtime, progress=False) as c:
        grader = Grader(c, folder.name, exercises_dir=folder.parent, max_wait=max_wait)
        grader.setup()
        if mode != "blank":
            getattr(solution(folder), mode)(c)
        return grader.check_all()


def test_every_exercise_is_laid_out() -> None:
    assert [p.name for p in EXERCISES] == [
        "01-first-pod", "02-labels-selectors", "03-rolling-update", "04-service", "05-scheduling",
        "06-liveness", "07-config-secret", "08-job-cronjob", "09-quota", "10-fix-deployment"]
    for folder in NEW:
        checks = Grader(None, folder.name, exercises_dir=folder.parent).checks
        assert any(c.hidden for c in checks) and any(not c.hidden for c in checks), folder.name
        assert all(c.hint for c in checks), folder.name
        assert set(solution(folder).PARTIAL_POINTS) == {c.id for c in checks}, folder.name
        nb = nbformat.read(folder / "exercise.ipynb", as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        assert f'Grader(c, "{folder.name}")' in code[0] and "grader.setup()" in code[0], folder.name
        assert any("# 在这里写你的答案" in s for s in code) and "c.stop()" in code[-1], folder.name
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), folder.name


@pytest.mark.parametrize("folder", NEW, ids=lambda p: p.name)
def test_solution_scores_full_marks_on_sim(folder: Path) -> None:
    report = graded(folder, "sim", "solve", max_wait=None)
    assert report.total == report.max_total, str(report)


@pytest.mark.parametrize("folder", NEW, ids=lambda p: p.name)
def test_partial_solution_gets_partial_points_on_sim(folder: Path) -> None:
    report = graded(folder, "sim", "partial", max_wait=8)
    assert report.points() == solution(folder).PARTIAL_POINTS, str(report)
    assert 0 < report.total < report.max_total


@pytest.mark.parametrize("folder", NEW, ids=lambda p: p.name)
def test_blank_notebook_runs_and_scores_zero(folder: Path) -> None:
    from k8sedu.grading.notebook import grade_notebook

    report = grade_notebook(folder, folder / "exercise.ipynb", timeout=120, runtime="sim", max_wait=3)
    assert report["errors"] == [] and report["status"] == "ok", report["errors"]
    assert report["total"] == 0 and report["runtime"] == "sim"  # the blank submission, on sim
    assert not any(r["error"] for r in report["results"]), report["results"]  # no check broke


@pytest.mark.docker
@pytest.mark.parametrize("folder", NEW, ids=lambda p: p.name)
def test_blank_and_solution_on_docker(folder: Path) -> None:
    nodes = getattr(load_module(folder), "NODES", 1)
    with Cluster(nodes=nodes, runtime="docker", progress=False) as c:
        grader = Grader(c, folder.name, exercises_dir=folder.parent, max_wait=3)
        grader.setup()
        blank = grader.check_all()
        assert blank.total == 0, str(blank)
        solution(folder).solve(c)
        grader.max_wait = None
        report = grader.check_all()
        assert report.total == report.max_total, str(report)


@pytest.mark.docker
@pytest.mark.parametrize("folder", NEW, ids=lambda p: p.name)
def test_partial_solution_gets_partial_points_on_docker(folder: Path) -> None:
    # real containers under a loaded CI machine: give the checks that should pass time to pass
    report = graded(folder, "docker", "partial", max_wait=30)
    assert report.points() == solution(folder).PARTIAL_POINTS, str(report)
    assert 0 < report.total < report.max_total
