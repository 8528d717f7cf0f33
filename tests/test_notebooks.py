"""Every lesson runs top to bottom, on the sim runtime and on real Docker."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9]*.ipynb"))
RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_lesson_runs(path: Path, runtime: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("K8SEDU_RUNTIME", runtime)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert errors == []
    text = "\n".join(
        out.get("text", "") if isinstance(out.get("text", ""), str) else ""
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert f"容器运行时: {runtime}" in text
    assert "Running" in text


def test_there_are_lessons() -> None:
    assert NOTEBOOKS, "notebooks/ holds no lesson"


def test_index_links_every_lesson_and_lab_opens_it() -> None:
    """00-目录 links every lesson in notebooks/, and `k8sedu lab` opens it first."""
    import json
    import re

    from k8sedu import cli

    folder = NOTEBOOKS[0].parent
    index = folder / cli.TOC
    assert index.is_file()
    text = "\n".join("".join(cell["source"]) for cell in json.loads(index.read_text(encoding="utf-8"))["cells"])
    linked = set(re.findall(r"\]\(([^)]+\.ipynb)\)", text))
    lessons = {p.name for p in NOTEBOOKS if p.name != cli.TOC}
    assert lessons <= linked, sorted(lessons - linked)
    assert cli.first_notebook(folder) == cli.TOC
