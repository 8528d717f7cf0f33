"""The grading engine on its own: loading checks, waiting, failures, errors, and what is shown."""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path

import pytest

from k8sedu.grading import Check, CheckContext, CheckFailed, Grader, check, load_checks, run_check


class Box:
    """A stand-in cluster: checks here read only ``ctx.cluster.value``."""

    value = 0


def make_exercise(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "99-demo"
    folder.mkdir()
    (folder / "checks.py").write_text(textwrap.dedent(body), encoding="utf-8")
    return folder


def test_decorated_checks_load_in_file_order(tmp_path: Path) -> None:
    folder = make_exercise(tmp_path, """
        from k8sedu.grading import check

        @check("q2", "二", points=1)
        def b(ctx): pass

        @check("q1", "一", points=2, hidden=True)
        def a(ctx): raise AssertionError("不对")
    """)
    checks = load_checks(folder)
    assert [c.id for c in checks] == ["q2", "q1"]
    report = Grader(Box(), "99-demo", exercises_dir=tmp_path).check_all()
    assert report.points() == {"q2": 1, "q1": 0}
    assert report.total == 1 and report.max_total == 3
    assert "不对" in report["q1"].reason
    assert "不对" not in str(report)  # hidden: neither reason nor hint is shown
    assert [r.id for r in Grader(Box(), "99-demo", exercises_dir=tmp_path).check_all(include_hidden=False).results] == ["q2"]


def test_checks_list_and_duplicates_refused(tmp_path: Path) -> None:
    folder = make_exercise(tmp_path, """
        from k8sedu.grading import Check
        CHECKS = [Check("q1", "一", 1, lambda ctx: None), Check("q1", "又一", 1, lambda ctx: None)]
    """)
    with pytest.raises(ValueError, match="two checks named 'q1'"):
        load_checks(folder)


def test_unknown_exercise() -> None:
    with pytest.raises(FileNotFoundError, match="找不到练习"):
        Grader(Box(), "00-nope", exercises_dir="/nonexistent")


def test_waiting_check_passes_when_the_condition_comes() -> None:
    box = Box()

    @check("q1", "最终为 1", points=2, wait=30)
    def becomes_one(ctx: CheckContext) -> None:
        if ctx.cluster.value != 1:
            raise CheckFailed("还不是 1")

    timer = threading.Timer(0.3, lambda: setattr(box, "value", 1))
    timer.start()
    try:
        result = run_check(becomes_one, CheckContext(box))
    finally:
        timer.cancel()
    assert result.passed and result.points == 2


def test_waiting_check_stops_at_the_deadline_or_when_final() -> None:
    never = Check("q1", "永不", 1, lambda ctx: (_ for _ in ()).throw(CheckFailed("没有")), wait=30)
    r = run_check(never, CheckContext(Box()), max_wait=1)
    assert not r.passed and "已等待 1 秒" in r.reason

    def final(ctx: CheckContext) -> None:
        raise CheckFailed("对象不存在", final=True)

    r = run_check(Check("q2", "不等", 1, final, wait=3600), CheckContext(Box()))
    assert not r.passed and r.reason == "对象不存在" and r.seconds < 3600


def test_a_broken_check_is_reported_not_raised() -> None:
    def broken(ctx: CheckContext) -> None:
        raise KeyError("spec")

    r = run_check(Check("q1", "坏了", 2, broken, hint="提示"), CheckContext(Box()))
    assert not r.passed and r.points == 0 and "KeyError" in r.error
    assert "检查本身出错" in str(r) and "检查本身出错" in r._repr_html_()


def test_html_escapes_text() -> None:
    def fails(ctx: CheckContext) -> None:
        raise CheckFailed("<script>x</script>")

    html = run_check(Check("q1", "<b>", 1, fails), CheckContext(Box()))._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html
