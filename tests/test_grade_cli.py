"""``k8sedu grade``: a class of submissions written outside the project, graded in fresh kernels.

The class (exercise 01-first-pod): a full answer, a blank notebook, a cheat who writes the Pod's
status by hand, one whose notebook hangs, one whose notebook fails part-way. Every one gets a JSON
report and a CSV row with the points its cluster really earned.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = ROOT / "exercises" / "01-first-pod"
ANSWER = "# 在这里写你的答案"

POD = ('{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hello", "labels": {"app": "hello"}}, '
       '"spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1", "ports": [{"containerPort": 80}]}]}}')
POD_NO_PORT = POD.replace(', "ports": [{"containerPort": 80}]', "")
CHEAT = """\
import copy
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hello", "labels": {"app": "hello"}},
       "spec": {"containers": [{"name": "web", "image": "k8sedu/nope", "ports": [{"containerPort": 80}]}]},
       "status": {"phase": "Running"}}
c.apply(pod)
fake = copy.deepcopy(c.get("pod/hello"))
fake["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                  "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0, "image": "k8sedu/nope",
                                         "imageID": "", "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}
try:
    c.client.update_status("pods", fake)
except Exception as e:
    print("status refused:", e)
"""


def submission(folder: Path, name: str, *answers: str) -> Path:
    """The exercise notebook with *answers* typed into its answer cells, saved as ``<name>.ipynb``."""
    nb = nbformat.read(EXERCISE / "exercise.ipynb", as_version=4)
    cells = iter(answers)
    for cell in nb.cells:
        if cell.cell_type == "code" and ANSWER in cell.source:
            cell.source += next(cells, "")
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def grade(tmp_path: Path, notebooks: list[Path], *extra: str) -> tuple[subprocess.CompletedProcess[str],
                                                                       list[dict[str, str]], Path]:
    out = tmp_path / "grades.csv"
    result = subprocess.run([sys.executable, "-m", "k8sedu", "grade", str(EXERCISE), *map(str, notebooks),
                             "--out", str(out), *extra], capture_output=True, text=True, timeout=600,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel shows the Chinese as it is
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    return result, rows, tmp_path / "grades-reports"


def test_a_class_with_a_cheat_a_hang_and_an_error(tmp_path: Path) -> None:
    subs = tmp_path / "submissions"
    subs.mkdir()
    notebooks = [
        submission(subs, "张三", f"c.apply({POD})", 'c.wait("pod/hello", "Running")', 'print(c.kubectl("logs hello"))'),
        submission(subs, "blank"),
        submission(subs, "cheat", CHEAT),
        submission(subs, "hang", f"c.apply({POD_NO_PORT})",
                   "while True:\n    pass"),
        submission(subs, "oops", 'c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "hello"}, '
                   '"spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]}})\n1 / 0'),
    ]
    result, rows, reports = grade(tmp_path, notebooks, "--runtime", "sim", "--jobs", "2", "--timeout", "25")

    assert list(rows[0]) == ["student", "q1", "q2", "q3", "total", "max", "status", "error"]
    by = {r["student"]: r for r in rows}
    assert [r["student"] for r in rows] == ["张三", "blank", "cheat", "hang", "oops"]
    assert (by["张三"]["q1"], by["张三"]["q2"], by["张三"]["q3"], by["张三"]["total"]) == ("2", "3", "1", "6")
    assert by["张三"]["max"] == "6" and by["张三"]["status"] == "ok"
    assert by["blank"]["total"] == "0"
    # the cheat's Pod exists with its label and port, but no container of it runs: no q2
    assert (by["cheat"]["q1"], by["cheat"]["q2"], by["cheat"]["q3"]) == ("2", "0", "1")
    # the hang: stopped at the time limit, graded on what its cluster shows (a Pod without port 80)
    assert (by["hang"]["q1"], by["hang"]["q2"], by["hang"]["q3"]) == ("2", "3", "0")
    assert by["hang"]["status"] == "timeout" and "超过时间限制" in by["hang"]["error"]
    # the error part-way: the Pod (without the label) was created before 1/0
    assert (by["oops"]["q1"], by["oops"]["q2"], by["oops"]["q3"]) == ("0", "3", "0")
    assert by["oops"]["status"] == "error" and "ZeroDivisionError" in by["oops"]["error"]

    for name in by:
        report = json.loads((reports / f"{name}.json").read_text(encoding="utf-8"))
        assert report["student"] == name and report["exercise"] == "01-first-pod"
        assert [r["id"] for r in report["results"]] == ["q1", "q2", "q3"]  # the hidden q3 included
        assert report["total"] == float(by[name]["total"])
    cheat = json.loads((reports / "cheat.json").read_text(encoding="utf-8"))
    assert "ImagePull" in cheat["results"][1]["reason"] or "ErrImage" in cheat["results"][1]["reason"]
    oops = json.loads((reports / "oops.json").read_text(encoding="utf-8"))
    assert oops["errors"][0]["ename"] == "ZeroDivisionError" and oops["errors"][0]["source"].startswith("#")

    assert "5/5" in result.stderr and "评分 01-first-pod：5 份作业" in result.stderr
    assert result.stderr.count(" 分 ") >= 5 and "hang  5/6 分" in result.stderr


def test_missing_notebook_and_bad_exercise(tmp_path: Path) -> None:
    _, rows, reports = grade(tmp_path, [tmp_path / "nobody.ipynb"], "--runtime", "sim")
    assert rows == [{"student": "nobody", "q1": "0", "q2": "0", "q3": "0", "total": "0", "max": "6",
                     "status": "missing", "error": ""}]
    assert "找不到作业文件" in json.loads((reports / "nobody.json").read_text(encoding="utf-8"))["results"][0]["reason"]
    bad = subprocess.run([sys.executable, "-m", "k8sedu", "grade", str(tmp_path), "x.ipynb"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "not an exercise folder" in bad.stderr


def test_student_names_from_file_names() -> None:
    from k8sedu.grading.batch import student_names

    assert student_names([Path("a/李四.ipynb"), Path("b/王五.ipynb")]) == ["李四", "王五"]
    assert student_names([Path("alice/ex.ipynb"), Path("bob/ex.ipynb")]) == ["alice-ex", "bob-ex"]
    assert student_names([Path("x/a.ipynb"), Path("x/a.ipynb")]) == ["x-a", "x-a-2"]


@pytest.mark.docker
def test_docker_class_leaves_no_containers(tmp_path: Path) -> None:
    import docker

    notebooks = [
        submission(tmp_path, "full", f"c.apply({POD})", 'c.wait("pod/hello", "Running")'),
        submission(tmp_path, "sleeper", f"c.apply({POD})", "import time\ntime.sleep(1e9)"),
    ]
    _, rows, reports = grade(tmp_path, notebooks, "--runtime", "docker", "--jobs", "2", "--timeout", "45")
    by = {r["student"]: r for r in rows}
    assert by["full"]["total"] == "6" and by["full"]["status"] == "ok"
    assert by["sleeper"]["total"] == "6" and by["sleeper"]["status"] == "timeout"
    client = docker.from_env()
    try:
        for name in by:
            report = json.loads((reports / f"{name}.json").read_text(encoding="utf-8"))
            assert report["runtime"] == "docker" and len(report["clusters"]) == 1
            left = client.containers.list(all=True, filters={"label": f"k8sedu.cluster={report['clusters'][0]}"})
            assert left == [], [c.name for c in left]
    finally:
        client.close()


def test_a_kernel_that_ignores_the_interrupt_gets_zero_with_the_error(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from k8sedu.grading import notebook

    monkeypatch.setattr(notebook, "STOP_BUDGET", 5.0)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from k8sedu import Cluster\nc = Cluster(nodes=1, runtime='sim', progress=False)\n"
                                  f"c.start()\nc.apply({POD})"),
        nbformat.v4.new_code_cell("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
    ])
    path = tmp_path / "stubborn.ipynb"
    nbformat.write(nb, path)
    # the budget must outlast the first cell (kernel start, cluster start) on a loaded CI machine,
    # so that it is the stubborn cell the time limit interrupts
    report = notebook.grade_notebook(EXERCISE, path, timeout=20, runtime="sim", max_wait=1)
    assert report["status"] == "timeout" and report["total"] == 0
    assert [e["ename"] for e in report["errors"]] == ["Timeout", "Timeout"]
    assert "评分单元格超时" in report["errors"][1]["evalue"]
    assert all("无法运行检查" in r["reason"] for r in report["results"])


def test_a_kernel_that_dies_at_start_is_started_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # jupyter_client's free-port race: the kernel exits "Address already in use" before it answers
    from nbclient import NotebookClient

    from k8sedu.grading import notebook

    real = NotebookClient.start_new_kernel_client
    calls: list[int] = []

    def dies_once(self: NotebookClient) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        real(self)

    monkeypatch.setattr(NotebookClient, "start_new_kernel_client", dies_once)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "blank.ipynb"
    nbformat.write(nb, path)
    report = notebook.grade_notebook(EXERCISE, path, timeout=60, runtime="sim", max_wait=1)
    assert len(calls) == 2 and report["status"] == "ok" and report["errors"] == [], report
