"""The exercise notebook runs top to bottom with blank answers: every check fails, nothing errors."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "exercises" / "01-first-pod" / "exercise.ipynb"


def test_blank_exercise_notebook_scores_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("K8SEDU_RUNTIME", "sim")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert sum("# 在这里写你的答案" in c.source for c in nb.cells if c.cell_type == "code") == 3
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert [o for o in outputs if o.get("output_type") == "error"] == []
    text = "\n".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "容器运行时: sim" in text
    assert "练习 01-first-pod：共 0/6 分" in text
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("k8sedu-result" in h and "未通过" in h for h in html)  # grader.check("q1") shows a card
    assert any("k8sedu-report" in h for h in html)  # check_all() shows the table


def test_answered_exercise_notebook_scores_full_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("K8SEDU_RUNTIME", "sim")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    answers = iter([
        'c.apply("solution/pod.yaml")',
        'c.wait("pod/hello", "Running")\nprint(c.kubectl("get pod hello"))',
        'print(c.kubectl("logs hello"))',
    ])
    for cell in nb.cells:
        if cell.cell_type == "code" and "# 在这里写你的答案" in cell.source:
            cell.source += next(answers)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert [o for o in outputs if o.get("output_type") == "error"] == []
    text = "\n".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "练习 01-first-pod：共 6/6 分" in text
