"""The creation-flow lesson in a real JupyterLab, in headless Chromium: FlowView draws and steps.

Run → Run All Cells runs 03-Pod创建流程 (its cells drive the real cluster through the Pod's and a
Deployment's creation in step mode). Then, as a student would, we press 重置 and 下一步 through the
whole Deployment flow: after each press the page must show that step's number and explanation,
and the plotly figure must hold the diagram's traces, the current arrow and its label. Screenshots
of the view go to /tmp/k8sedu-screens/flow-*.png for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _jupyter import (
    JupyterLab,
    error_outputs,
    isolate_browser_network,
    open_notebook,
    route_through_driver,
    run_all_cells,
    wait_until_done,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO / "notebooks"
LESSON = "03-Pod创建流程.ipynb"
SCREENS = Path("/tmp/k8sedu-screens")
RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]
VIEW = ".k8sedu-flow-view"

# What plotly.js holds for the view's figure: trace names and types, and the annotations' texts.
FIGURE_JS = """
() => {
  const plot = document.querySelector('.k8sedu-flow-view .js-plotly-plot');
  if (!plot || !plot.data) return null;
  return {
    traces: plot.data.map(t => ({name: t.name, type: t.type || 'scatter', n: (t.x || []).length,
                                 text: (t.text || []).slice ? [...(t.text || [])] : []})),
    annotations: ((plot.layout || {}).annotations || []).map(a => a.text || ''),
    title: (((plot.layout || {}).title || {}).text) || '',
    width: plot.getBoundingClientRect().width,
    height: plot.getBoundingClientRect().height,
  };
}
"""


# The side list ends on step n: its last item is numbered n (an <ol> that starts further down).
LIST_SHOWS_JS = """
(n) => {
  const view = document.querySelector('.k8sedu-flow-view');
  const ol = view && view.querySelector('ol');
  if (!ol || !view.innerText.includes('第 ' + n + ' 步')) return false;
  return ol.start + ol.querySelectorAll('li').length - 1 === n;
}
"""


@pytest.fixture(scope="module", params=RUNTIMES)
def lab(request: pytest.FixtureRequest, browser_required: dict[str, Any],
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    runtime: str = request.param
    if runtime == "docker":
        request.getfixturevalue("docker_required")
    server = JupyterLab(root_dir=NOTEBOOK_DIR, workdir=tmp_path_factory.mktemp(f"jupyterlab-flow-{runtime}"),
                        env={"K8SEDU_RUNTIME": runtime})
    server.start(timeout=90)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser_required: dict[str, Any], lab: JupyterLab,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    options = dict(browser_required)
    options["args"] = list(options.get("args", []))
    isolated = isolate_browser_network(options, lab.port, tmp_path_factory.mktemp("chromium-flow"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**options)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        if not isolated:
            route_through_driver(context, lab.base_url)
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def detail_text(page: Any) -> str:
    return str(page.locator(f"{VIEW} .widget-html").first.inner_text())


def test_press_next_through_the_creation_flow(lab: JupyterLab, page: Any) -> None:
    runtime = lab.env["K8SEDU_RUNTIME"]
    path = NOTEBOOK_DIR / LESSON
    before = path.read_bytes()
    SCREENS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    open_notebook(page, lab, LESSON)
    run_all_cells(page)
    wait_until_done(page, timeout_ms=150_000)
    assert error_outputs(page) == []

    view = page.locator(VIEW).first
    view.scroll_into_view_if_needed()
    try:  # plotly.js draws once the widget's view is attached: slow on a loaded machine
        page.wait_for_function("() => { const p = document.querySelector('.k8sedu-flow-view .js-plotly-plot');"
                               " return p && p.data && p.data.length === 3; }", timeout=120_000)
    except Exception as e:
        page.screenshot(path=str(SCREENS / f"flow-{runtime}-failed.png"))
        raise AssertionError(f"the flow figure was not drawn: {e}\nbrowser console:\n" + "\n".join(console[-40:])) from None
    fig = page.evaluate(FIGURE_JS)
    assert [t["name"] for t in fig["traces"]] == ["已走过的步骤", "当前步骤", "组件"]
    labels = fig["traces"][2]["text"]
    assert "kube-apiserver<br>API 服务器" in labels and "etcd<br>键值存储" in labels
    assert sum(1 for t in labels if t.startswith("kubelet（node-")) == 2
    assert fig["width"] > 500 and fig["height"] > 300, fig  # drawn, not a collapsed widget
    # the view ended on the Deployment's flow, which the cells drove to the end
    assert "deployment/shop 的创建流程" in fig["title"]
    status = page.locator(f"{VIEW} .widget-html").nth(0)
    assert status.count() == 1

    buttons = {name: view.locator("button", has_text=re.compile(f"^\\s*{name}\\s*$")).first
               for name in ("上一步", "下一步", "重置")}
    buttons["重置"].click()
    page.wait_for_function("() => document.querySelector('.k8sedu-flow-view').innerText.includes('从头回放')")
    total = int(re.search(r"已记录 (\d+) 步", view.inner_text()).group(1))  # type: ignore[union-attr]
    assert total >= 20  # a Deployment of two Pods: well over twenty real steps

    seen: list[str] = []
    for i in range(1, total + 1):
        buttons["下一步"].click()
        page.wait_for_function(LIST_SHOWS_JS, arg=i, timeout=20_000)
        text = view.inner_text()
        step_text = page.locator(f"{VIEW} .flow-step-text").first.inner_text()
        assert step_text.strip(), f"step {i} has no explanation"
        seen.append(step_text)
        assert "参考文章" in text
        fig = page.evaluate(FIGURE_JS)
        assert any(f"第 {i} 步" in a for a in fig["annotations"]), (i, fig["annotations"])
        if i in (1, 4, total // 2, total):
            page.wait_for_timeout(300)  # plotly draws after the data arrive: let the frame settle
            view.screenshot(path=str(SCREENS / f"flow-{runtime}-step{i:02d}.png"))
    joined = "\n".join(seen)
    assert seen[0].startswith("kubectl 把 Deployment shop")
    for expected in ("Deployment 控制器按 Deployment 的模板创建 ReplicaSet", "ReplicaSet 控制器发现",
                     "预选（Filter）", "优选（Score）", "调度器向 API Server 提交绑定", "pause 容器",
                     "kubelet 启动容器，容器 ID", "phase = Running"):
        assert expected in joined, expected
    assert seen[-1].startswith("Pod shop-") and "phase = Running" in seen[-1]
    # 上一步 replays backwards
    buttons["上一步"].click()
    page.wait_for_function(LIST_SHOWS_JS, arg=total - 1)
    fig = page.evaluate(FIGURE_JS)
    assert fig["traces"][1]["n"] in (0, 2)  # the current arrow (or a step inside one component)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first.screenshot(
        path=str(SCREENS / f"flow-{runtime}-lesson.png"))
    assert path.read_bytes() == before
