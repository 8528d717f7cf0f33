"""Grading a whole class: ``k8sedu grade exercises/NN-slug submissions/*.ipynb --out grades.csv``.

Why one process per submission: each notebook runs in a fresh kernel with its own cluster
(:mod:`k8sedu.grading.notebook`), and the grader must be able to stop one that hangs for good —
a process can be killed, a thread cannot. Several run at once (``--jobs``, by default one per two
CPUs); each gets ``--timeout`` seconds for the student's cells, then the checks run on what its
cluster shows. The output::

    grades.csv                 student, q1, q2, …, total, max, status, error  (UTF-8 with BOM: Excel
                               opens the Chinese as it is)
    grades-reports/alice.json  every check (hidden ones too) with reason and hint, the cell errors

and one line per finished submission on stderr (``[3/10] alice  6/6 分  12.3 s``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from .notebook import grade_budget, zero_report
from .registry import load_checks
from .result import _fmt

__all__ = ["default_jobs", "grade_class", "main", "student_names", "write_csv"]

KERNEL_START = 60.0  # seconds allowed for a kernel to start, on top of the notebook's time limit


def default_jobs() -> int:
    """Submissions graded at once: one per two CPUs (a cluster and a kernel each), at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


def student_names(notebooks: Sequence[Path]) -> list[str]:
    """The student of each notebook: its file name without ``.ipynb``; the folder too if names repeat
    (``alice/exercise.ipynb`` and ``bob/exercise.ipynb`` → ``alice-exercise``, ``bob-exercise``)."""
    stems = [p.stem for p in notebooks]
    names = [f"{p.parent.name}-{p.stem}" if stems.count(p.stem) > 1 else p.stem for p in notebooks]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return unique


def _grade_in_process(exercise: Path, notebook: Path, timeout: float, runtime: str,
                      max_wait: float, log: Path) -> dict[str, Any]:
    """Run :mod:`k8sedu.grading.notebook` in a child process; kill it if it overruns everything."""
    out = log.with_suffix(".json")
    hard = timeout + grade_budget(exercise, max_wait) + KERNEL_START
    cmd = [sys.executable, "-m", "k8sedu.grading.notebook", str(exercise), str(notebook), "--out", str(out),
           "--timeout", str(timeout), "--runtime", runtime, "--max-wait", str(max_wait)]
    started = time.monotonic()
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=err, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=hard)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # the worker, its kernel and anything the kernel started
            proc.wait()
    if out.is_file():
        report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return report
    tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
    why = "评分进程超时被终止" if proc.returncode == -9 else f"评分进程退出（{proc.returncode}）"
    report = zero_report(exercise, f"无法运行检查：{why}。")
    report.update(status="failed", errors=[{"cell": 0, "ename": "GraderError", "evalue": why,
                                            "source": "\n".join(tail)}],
                  seconds=round(time.monotonic() - started, 1))
    if runtime != "sim":  # the worker could not clean up after its kernel: remove what dead owners left
        try:
            from ..runtime import cleanup_all

            cleanup_all(only_dead=True)
        except Exception:
            pass
    return report


def write_csv(path: Path, question_ids: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """One row per student: points per question, total, max, status and the first error."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *question_ids, "total", "max", "status", "error"])
        for row in rows:
            points = {r["id"]: r["points"] for r in row["results"]}
            first = row.get("errors") or [{}]
            error = f"{first[0].get('ename', '')}: {first[0].get('evalue', '')}".strip(": ")
            writer.writerow([row["student"], *(_fmt(points.get(q, 0)) for q in question_ids),
                             _fmt(row["total"]), _fmt(row["max_total"]), row.get("status", ""), error])


def grade_class(exercise: str | os.PathLike[str], notebooks: Sequence[str | os.PathLike[str]], *,
                out: str | os.PathLike[str] = "grades.csv", reports_dir: str | os.PathLike[str] | None = None,
                jobs: int | None = None, timeout: float = 300.0, runtime: str = "auto",
                max_wait: float = 30.0, stream: TextIO | None = None) -> list[dict[str, Any]]:
    """Grade every notebook; write the CSV and one JSON report per student; return the reports."""
    folder = Path(exercise).resolve()
    question_ids = [c.id for c in load_checks(folder)]  # fails early on a bad exercise folder
    paths = [Path(p) for p in notebooks]
    names = student_names(paths)
    out_path = Path(out)
    reports = Path(reports_dir) if reports_dir is not None else out_path.with_name(out_path.stem + "-reports")
    reports.mkdir(parents=True, exist_ok=True)
    stream = stream if stream is not None else sys.stderr
    jobs = jobs or default_jobs()
    results: list[dict[str, Any] | None] = [None] * len(paths)
    done = 0
    lock = threading.Lock()  # guards done and the progress lines
    started = time.monotonic()
    print(f"评分 {folder.name}：{len(paths)} 份作业，同时 {jobs} 份，每份限时 {timeout:g} 秒", file=stream, flush=True)

    with tempfile.TemporaryDirectory(prefix="k8sedu-class-") as tmp:
        def one(i: int) -> None:
            nonlocal done
            if not paths[i].is_file():
                report = zero_report(folder, f"找不到作业文件 {paths[i]}。")
                report.update(status="missing", errors=[], seconds=0.0)
            else:
                report = _grade_in_process(folder, paths[i].resolve(), timeout, runtime, max_wait,
                                           Path(tmp) / f"{i}.log")
            report = {"student": names[i], "notebook": str(paths[i]), **report}
            (reports / f"{names[i]}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1),
                                                      encoding="utf-8")
            results[i] = report
            with lock:
                done += 1
                bar = "█" * (20 * done // len(paths))
                note = "" if report.get("status") == "ok" else f"  [{report.get('status')}]"
                print(f"[{bar:<20}] {done}/{len(paths)} {names[i]}  {_fmt(report['total'])}/"
                      f"{_fmt(report['max_total'])} 分  {report.get('seconds', 0):.1f} 秒{note}",
                      file=stream, flush=True)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, range(len(paths))))

    rows = [r for r in results if r is not None]
    write_csv(out_path, question_ids, rows)
    print(f"完成：{len(rows)} 份，用时 {time.monotonic() - started:.1f} 秒；成绩表 {out_path}，"
          f"每人报告在 {reports}/", file=stream, flush=True)
    return rows


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8sedu grade",
        description="批量评分：每份作业在新的内核和新的集群里运行，然后运行全部检查（包括隐藏检查）。\n"
                    "Grade a class: each submission runs in a fresh kernel with a fresh cluster, "
                    "then every check runs (hidden ones too).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercise", type=Path, help="练习文件夹 / the exercise folder (exercises/NN-slug)")
    parser.add_argument("notebooks", type=Path, nargs="+", help="学生提交的笔记本 / the submitted notebooks")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"),
                        help="成绩表 / the CSV to write (default grades.csv)")
    parser.add_argument("--reports-dir", type=Path,
                        help="每人一份 JSON 报告 / one JSON report per student (default <out>-reports/)")
    parser.add_argument("--jobs", "-j", type=int, default=default_jobs(),
                        help=f"同时评分几份 / submissions graded at once (default {default_jobs()})")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="每份作业的时间限制（秒）/ time limit per notebook, seconds (default 300)")
    parser.add_argument("--runtime", choices=("auto", "docker", "sim"), default="auto",
                        help="容器运行时 / container runtime (default auto)")
    parser.add_argument("--max-wait", type=float, default=30.0,
                        help="每道检查最多等待（秒）/ the longest a check waits, seconds (default 30)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        load_checks(args.exercise)
    except (OSError, ValueError, ImportError, SyntaxError) as e:
        print(f"✗ 练习文件夹不可用 / not an exercise folder: {args.exercise}: {e}", file=sys.stderr)
        return 2
    if args.jobs < 1 or args.timeout <= 0:
        print("✗ --jobs 和 --timeout 必须为正数 / must be positive", file=sys.stderr)
        return 2
    grade_class(args.exercise, args.notebooks, out=args.out, reports_dir=args.reports_dir, jobs=args.jobs,
                timeout=args.timeout, runtime=args.runtime, max_wait=args.max_wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())
