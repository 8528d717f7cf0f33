"""Exercise 01-first-pod graded on a live cluster: blank, solution, partial, a cheat; sim and Docker."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _waits import eventually

from k8sedu import Cluster
from k8sedu.errors import Conflict
from k8sedu.grading import Grader, Report

EXERCISE = Path(__file__).resolve().parent.parent / "exercises" / "01-first-pod"
SOLUTION = EXERCISE / "solution" / "pod.yaml"


@pytest.fixture
def sim() -> Iterator[Cluster]:
    c = Cluster(nodes=1, runtime="sim", progress=False)
    c.start()
    try:
        yield c
    finally:
        c.stop()


def grade(c: Cluster, max_wait: float | None = None) -> Report:
    return Grader(c, "01-first-pod", exercises_dir=EXERCISE.parent, max_wait=max_wait).check_all()


def solution() -> dict:
    obj: dict = yaml.safe_load(SOLUTION.read_text())
    return obj


def test_exercise_layout() -> None:
    assert (EXERCISE / "exercise.ipynb").is_file()
    assert (EXERCISE / "checks.py").is_file()
    grader_checks = Grader(None, "01-first-pod", exercises_dir=EXERCISE.parent).checks
    assert [(ch.id, ch.points, ch.hidden) for ch in grader_checks] == [
        ("q1", 2, False), ("q2", 3, False), ("q3", 1, True)]


def test_blank_cluster_scores_zero_with_hints(sim: Cluster) -> None:
    report = grade(sim)  # no max_wait: a missing Pod must fail at once, not after 60 s
    assert report.total == 0 and report.max_total == 6
    assert all(not r.passed and not r.error for r in report.results)
    q1 = report["q1"]
    assert "找不到 pod/hello" in q1.reason and q1.hint
    assert "✘ q1" in str(report) and "提示：" in str(report)
    assert "隐藏检查" in str(report) and "容器声明了端口 80" not in str(report)
    assert "未通过" in q1._repr_html_() and "0/6" in report._repr_html_()


def test_solution_scores_full_marks(sim: Cluster) -> None:
    sim.apply(SOLUTION)
    report = grade(sim)
    assert [(r.id, r.passed) for r in report.results] == [("q1", True), ("q2", True), ("q3", True)], str(report)
    assert report.total == 6
    assert "通过" in report._repr_html_() and "6/6" in report._repr_html_()


def test_pod_without_label_gets_partial_points(sim: Cluster) -> None:
    pod = solution()
    del pod["metadata"]["labels"]
    sim.apply(pod)
    report = grade(sim)
    assert report.points() == {"q1": 0, "q2": 3, "q3": 1}, str(report)
    assert "缺少 app=hello" in report["q1"].reason


def test_hand_written_status_does_not_pass(sim: Cluster) -> None:
    pod = solution()
    pod["spec"]["containers"][0]["image"] = "k8sedu/nope"
    pod["status"] = {"phase": "Running"}
    created = sim.apply(pod)[0]
    assert created.get("status", {}).get("phase") != "Running"  # status is ignored on create
    assert sim.client is not None
    client = sim.client

    def write_cheat() -> dict[str, Any]:  # the kubelet writes the same status: retry on its conflicts
        cheat = copy.deepcopy(sim.get("pod/hello"))
        cheat["status"] = {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0, "image": "k8sedu/nope",
                                   "imageID": "", "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}],
        }
        return client.update_status("pods", cheat)  # the admin may write status, as upstream

    written = eventually(write_cheat, what="the hand-written status", ignore=Conflict, timeout=10)
    assert written["status"]["phase"] == "Running"
    report = grade(sim, max_wait=5)
    assert report["q1"].passed and report["q3"].passed
    assert not report["q2"].passed and report["q2"].points == 0, str(report)
    assert not any(c.container_name == "web" and c.state == "running" for c in sim.containers())
    assert report.total == 3


def test_check_one_question_and_unknown_question(sim: Cluster) -> None:
    grader = Grader(sim, "01-first-pod", exercises_dir=EXERCISE.parent)
    assert not grader.check("q1").passed
    sim.apply(SOLUTION)
    r = grader.check("q2")  # waits for the kubelet to start the container
    assert r.passed and r.points == 3
    with pytest.raises(KeyError):
        grader.check("q9")


@pytest.mark.docker
def test_solution_scores_full_marks_on_docker() -> None:
    with Cluster(nodes=1, runtime="docker", progress=False) as c:
        blank = grade(c)
        assert blank.total == 0
        c.apply(SOLUTION)
        report = grade(c)
        assert report.total == 6, str(report)
        assert any(x.pod_name == "hello" and x.container_name == "web" and x.state == "running"
                   for x in c.containers())
