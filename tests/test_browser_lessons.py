"""Every lesson runs in a real JupyterLab, in headless Chromium, and reads right to a student.

The nbclient tier (test_notebooks.py) proves the cells run; this tier proves what a student sees:
the page opens without a kernel dialog, Run → Run All Cells finishes without a traceback, the kubectl
tables are on screen, and the Chinese text is rendered. It leaves a full-page screenshot of each
lesson in /tmp/k8sedu-screens/<notebook>-<runtime>.png for a human to look at.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _jupyter import (
    JupyterLab,
    cell_prompts,
    error_outputs,
    expand_viewport_to_notebook,
    isolate_browser_network,
    open_notebook,
    route_through_driver,
    run_all_cells,
    venv_python,
    wait_until_done,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb"))
SCREENS = Path("/tmp/k8sedu-screens")
# Every lesson opens in JupyterLab on the sim runtime; test_notebooks.py already runs each one on
# Docker, so only the architecture lesson is also opened here on Docker (a whole browser tier per
# runtime would double the suite's longest part for little more assurance).
DOCKER_IN_BROWSER = ("02-集群架构",)
CASES = [pytest.param("sim", p, id=f"sim-{p.stem}") for p in NOTEBOOKS] + [
    pytest.param("docker", p, id=f"docker-{p.stem}", marks=pytest.mark.docker)
    for p in NOTEBOOKS if p.stem in DOCKER_IN_BROWSER
]

WIDTH = 1280
RUN_TIMEOUT_MS = 150_000

# The titles of the plotly figures on the page whose every trace is empty (a figure drawn blank).
_BLANK_FIGURES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).filter(el => {
    const filled = t => ['x', 'y', 'z', 'values', 'labels'].some(k => t[k] && t[k].length > 0)
        || (t.cells && t.cells.values && t.cells.values.length > 0)
        || (t.node && t.node.label && t.node.label.length > 0);
    return !(el.data || []).some(filled);
}).map(el => ((el.layout || {}).title || {}).text || '(untitled)')"""


def lesson_title(path: Path) -> str:
    """``02-集群架构.ipynb`` -> ``集群架构``: the title its rendered headings must show."""
    return re.sub(r"^\d+-", "", path.stem)


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest, browser_required: dict[str, Any],
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """A JupyterLab server on the lessons, its kernels pinned to one runtime by K8SEDU_RUNTIME."""
    runtime: str = request.param
    if runtime == "docker":  # before starting anything, so a missing engine skips/fails fast
        request.getfixturevalue("docker_required")
    server = JupyterLab(root_dir=NOTEBOOK_DIR, workdir=tmp_path_factory.mktemp(f"jupyterlab-{runtime}"),
                        env={"K8SEDU_RUNTIME": runtime})
    server.start(timeout=90)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium(browser_required: dict[str, Any], lab: JupyterLab,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, bool]]:
    """Headless Chromium for this server: ``(browser, isolated)``, see isolate_browser_network."""
    from playwright.sync_api import sync_playwright

    options = dict(browser_required)
    options["args"] = list(options.get("args", []))
    isolated = isolate_browser_network(options, lab.port, tmp_path_factory.mktemp("chromium"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**options)
        try:
            yield browser, isolated
        finally:
            browser.close()


@pytest.fixture
def page(chromium: tuple[Any, bool], lab: JupyterLab) -> Iterator[Any]:
    browser, isolated = chromium
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="zh-CN")
    if not isolated:
        route_through_driver(context, lab.base_url)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    try:
        yield pg
    finally:
        context.close()


@pytest.mark.parametrize("lab", ["sim"], indirect=True)
def test_server_runs_the_lessons_kernel(lab: JupyterLab) -> None:
    """Each lesson's kernelspec is this server's, so JupyterLab asks no kernel question."""
    specs = lab.api("/api/kernelspecs")
    for path in NOTEBOOKS:
        name = json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"]
        assert name in specs["kernelspecs"], (path.name, name, sorted(specs["kernelspecs"]))
    argv = specs["kernelspecs"]["python3"]["spec"]["argv"]
    # jupyter_client starts a spec whose argv[0] is "python" with the server's own interpreter,
    # which is the venv's (JupyterLab.start runs ``<venv python> -m jupyter lab``).
    assert argv[0] in {"python", "python3", venv_python()}, argv


@pytest.mark.parametrize(("lab", "path"), CASES, indirect=["lab"])
def test_lesson_in_jupyterlab(lab: JupyterLab, page: Any, path: Path) -> None:
    runtime = lab.env["K8SEDU_RUNTIME"]
    before = path.read_bytes()
    checkpoints = path.parent / ".ipynb_checkpoints"
    had_checkpoints = checkpoints.exists()

    open_notebook(page, lab, path.name)
    # No dialog (kernel selection, news question, build prompt) stands in front of the notebook.
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()

    SCREENS.mkdir(parents=True, exist_ok=True)
    shot = SCREENS / f"{path.stem}-{runtime}.png"
    started = time.monotonic()
    run_all_cells(page)
    try:
        wait_until_done(page, timeout_ms=RUN_TIMEOUT_MS)
    except AssertionError as e:
        expand_viewport_to_notebook(page, WIDTH)
        page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{e}\nscreenshot {shot}\nserver log:\n{lab.log()[-3000:]}") from None
    elapsed = time.monotonic() - started

    expand_viewport_to_notebook(page, WIDTH)
    page.screenshot(path=str(shot), full_page=True)

    errors = error_outputs(page)
    assert errors == [], f"tracebacks in {path.name} ({runtime}), screenshot {shot}:\n" + "\n---\n".join(errors)

    prompts = cell_prompts(page)
    assert prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), \
        f"not every code cell ran ({elapsed:.0f}s): {prompts}"

    stdout = page.locator('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stdout"]')
    texts = stdout.all_inner_texts()
    # kubectl's tables start with a NAME header; at least one shows running Pods.
    tables = [i for i, t in enumerate(texts) if re.match(r"\s*NAME\s", t)]
    assert tables, f"no kubectl table among the outputs: {texts}"
    running = [i for i in tables if re.search(r"\bRunning\b", texts[i])]
    assert running, f"no kubectl table shows Running: {[texts[i] for i in tables]}"
    table = stdout.nth(running[0])
    table.scroll_into_view_if_needed()
    assert table.is_visible()
    box = table.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0

    if "容器运行时" in before.decode("utf-8"):  # the lesson says which runtime it got: the pinned one
        assert any(re.search(rf"容器运行时[:：]\s*{runtime}\b", t) for t in texts), texts

    # Widgets and figures rendered, not blank: no widget error, and every plotly figure has data to draw.
    body = page.locator("body").inner_text()
    assert "Error displaying widget" not in body and "Model not found" not in body, f"a widget failed, see {shot}"
    blank = page.evaluate(_BLANK_FIGURES_JS)
    assert blank == [], f"plotly figures with nothing to draw in {path.name} ({runtime}): {blank}, see {shot}"

    title = lesson_title(path)
    markdown = page.locator(".jp-MarkdownOutput")
    rendered = "\n".join(markdown.all_inner_texts())
    assert title in rendered, f"the rendered markdown does not show {title!r}"
    h1 = page.locator(".jp-MarkdownOutput h1").first
    assert h1.is_visible() and title in h1.inner_text(), f"the first heading does not name {title!r}"
    # Rendered, not shown as source: no Markdown heading marks left in the rendered cells.
    assert not re.search(r"^#{1,6} ", rendered, re.M)

    # Running the lesson in the browser must not write to the repository (autosave is off).
    assert path.read_bytes() == before, f"{path.name} was modified by the browser run"
    if not had_checkpoints and checkpoints.exists():
        shutil.rmtree(checkpoints)
        pytest.fail(f"JupyterLab wrote {checkpoints}")
