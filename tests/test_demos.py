"""The classroom demos: each button's action changes the cluster the way the teacher says, on sim and
on Docker; each demo notebook runs top to bottom; and (browser tier) each opens in JupyterLab with
figures that have data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import _waits
import pytest

from k8sedu import demos

DEMO_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "demos"
DEMO_NOTEBOOKS = sorted(DEMO_DIR.glob("*.ipynb"))
RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]


eventually = partial(_waits.eventually, timeout=60.0, interval=0.1)


def live(d: demos.Demo) -> list[dict[str, Any]]:
    return [p for p in d.cluster.get("pods", selector="app=web") if not p["metadata"].get("deletionTimestamp")]


def ready(p: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions") or [])


@pytest.fixture
def running(request: pytest.FixtureRequest) -> Iterator[list[demos.Demo]]:
    started: list[demos.Demo] = []
    yield started
    for d in started:
        d.stop()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_self_healing_buttons(runtime: str, running: list[demos.Demo]) -> None:
    d = demos.self_healing(runtime=runtime)
    running.append(d)
    assert d.cluster.runtime_name == runtime
    assert set(d.buttons) >= {"删除一个 Pod", "杀死一个容器", "让 node-2 故障", "恢复 node-2", "停止集群"}
    view = d.views[0]
    before = {p["metadata"]["name"] for p in live(d)}
    assert len(before) == 6

    msg = d.act("删除一个 Pod")
    victim = re.search(r"Pod (web-[a-z0-9-]+)", msg).group(1)  # type: ignore[union-attr]
    assert victim in before and "ReplicaSet" in msg
    eventually(lambda: len([p for p in live(d) if ready(p)]) == 6 and victim not in {p["metadata"]["name"] for p in live(d)},
               what="a replacement Pod Ready")

    msg = d.act("杀死一个容器")
    killed = re.search(r"Pod (web-[a-z0-9-]+)", msg).group(1)  # type: ignore[union-attr]
    eventually(lambda: (d.cluster.get(f"pod/{killed}")["status"]["containerStatuses"][0].get("restartCount", 0) >= 1
                        and ready(d.cluster.get(f"pod/{killed}"))), what="the killed container restarted")

    on_node2 = {p["metadata"]["name"] for p in live(d) if p["spec"].get("nodeName") == "node-2"}
    d.act("让 node-2 故障")
    eventually(lambda: len([p for p in live(d) if ready(p) and p["spec"].get("nodeName") != "node-2"]) == 6,
               timeout=90, what="6 Ready Pods off node-2")
    assert not on_node2 & {p["metadata"]["name"] for p in live(d)}
    # the map followed: it shows node-2 not ready and 6 Pods elsewhere
    eventually(lambda: view.snapshot is not None and sum(view.snapshot.by_status().values()) >= 6, what="the map drew Pods")

    d.act("恢复 node-2")
    eventually(lambda: all(c["status"] == "True" for c in d.cluster.get("node/node-2")["status"]["conditions"]
                           if c["type"] == "Ready"), what="node-2 Ready again")
    d.act("停止集群")
    assert d.stopped and all(b.disabled for b in d.buttons.values())


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_autoscaling_buttons(runtime: str, running: list[demos.Demo]) -> None:
    d = demos.autoscaling(runtime=runtime)
    running.append(d)
    chart = d.views[0]
    assert chart.samples and len(chart.fig.data[0].x) >= 1  # drawn before it is shown
    assert "已在 Pod" not in d.act("加 CPU 负载")
    eventually(lambda: d.cluster.get("deployment/web")["spec"]["replicas"] > 1, timeout=90, what="HPA scaled up")
    eventually(lambda: max(s[1] for s in chart.samples) > 1 and max(len(chart.fig.data[0].y), 0) > 2,
               what="the chart recorded the scale-up")
    assert "负载已停止" in d.act("停止负载")
    eventually(lambda: d.cluster.get("deployment/web")["spec"]["replicas"] == 1, timeout=120, what="HPA scaled down")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_rolling_update_buttons(runtime: str, running: list[demos.Demo]) -> None:
    d = demos.rolling_update(runtime=runtime)
    running.append(d)
    view = d.views[0]
    c = d.cluster

    def images() -> set[str]:
        return {p["spec"]["containers"][0]["image"] for p in live(d)}

    d.act("升级到 v2")
    c.wait("deployment/web", "Available", timeout=90)
    eventually(lambda: images() == {"k8sedu/web:v2"}, what="every Pod on v2")
    eventually(lambda: len(view.sample().replicasets) >= 2, what="the view shows two ReplicaSets")
    msg = d.act("发布坏版本 v3")
    assert "ImagePullBackOff" in msg
    eventually(lambda: "k8sedu/web:v3" in images(), what="a v3 Pod created")
    assert c.get("deployment/web")["status"].get("availableReplicas") == 3  # maxUnavailable 0
    d.act("回滚（rollout undo）")
    eventually(lambda: images() == {"k8sedu/web:v2"}, timeout=90, what="rolled back to v2")
    assert c.get("deployment/web")["spec"]["template"]["spec"]["containers"][0]["image"] == "k8sedu/web:v2"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_scheduler_buttons(runtime: str, running: list[demos.Demo]) -> None:
    d = demos.scheduler(runtime=runtime)
    running.append(d)
    view = d.views[0]
    assert view.snapshot is not None and view.snapshot.nodes
    d.act("给 node-1 加污点")
    snap = view.recompute()
    row = next(r for r in snap.nodes if r.node == "node-1")
    assert not row.feasible
    for _ in range(3):
        msg = d.act("再创建一个 Pod")
        assert "node-1" not in msg and "被调度到 node-" in msg
    d.act("去掉污点")
    assert next(r for r in view.recompute().nodes if r.node == "node-1").feasible


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_load_balancing_buttons(runtime: str, running: list[demos.Demo]) -> None:
    d = demos.load_balancing(runtime=runtime)
    running.append(d)
    view = d.views[0]
    msg = d.act("发送 30 个请求")
    assert msg.startswith("30 个请求的应答")
    eventually(lambda: sum(view.snapshot_now().counts.values()) >= 40, what="the view counted the requests")
    view.set_mode("ipvs")
    assert d.cluster.proxy.mode == "ipvs"
    victim = live(d)[0]["metadata"]["name"]
    view.delete_pod(victim)
    eventually(lambda: victim not in {p["metadata"]["name"] for p in d.cluster.get("pods")}, timeout=60,
               what="the deleted Pod gone")
    replies = view.send(20)
    assert sum(replies.values()) == 20


def test_every_demo_has_a_notebook() -> None:
    names = {p.name for p in DEMO_NOTEBOOKS}
    assert names == {"自我修复.ipynb", "弹性伸缩.ipynb", "滚动更新与回滚.ipynb", "调度器.ipynb", "负载均衡.ipynb"}


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("path", DEMO_NOTEBOOKS, ids=[p.stem for p in DEMO_NOTEBOOKS])
def test_demo_notebook_runs(path: Path, runtime: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("K8SEDU_RUNTIME", runtime)
    nb = nbformat.read(path, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert "presenter=True" in code[0].source
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [out for cell in code for out in cell.get("outputs", [])]
    assert [o for o in outputs if o.get("output_type") == "error"] == []
    text = "\n".join(o.get("text", "") for o in outputs if isinstance(o.get("text", ""), str))
    assert f"容器运行时: {runtime}" in text
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), "no widget shown"
    assert "集群已停止" in text


# -- the browser tier: each demo in JupyterLab, its first cell run, a button clicked ---------------
SCREENS = Path("/tmp/k8sedu-screens")
WIDTH = 1280
#: per demo: a button to click in the browser, and a word of the sentence it leaves in the status line
CLICK = {"自我修复": ("删除一个 Pod", "已删除 Pod"), "弹性伸缩": ("加 CPU 负载", "运行了 yes"),
         "滚动更新与回滚": ("升级到 v2", "image updated"), "调度器": ("给 node-1 加污点", "tainted"),
         "负载均衡": ("发送 30 个请求", "30 个请求的应答")}
_FIGURES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => {
    const filled = t => ['x', 'y', 'values', 'labels'].some(k => t[k] && t[k].length > 0)
        || (t.cells && t.cells.values && t.cells.values.length > 0);
    return [((el.layout || {}).title || {}).text || '(untitled)', (el.data || []).some(filled)];
})"""


# The demos run on Docker in test_demo_notebook_runs and the button tests; in the browser they are
# opened on sim only (the Docker browser pass doubled the suite's longest stretch).
@pytest.fixture(scope="module", params=[pytest.param("sim", id="sim")])
def demo_lab(request: pytest.FixtureRequest, browser_required: dict[str, Any],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from _jupyter import JupyterLab

    runtime: str = request.param
    if runtime == "docker":
        request.getfixturevalue("docker_required")
    server = JupyterLab(root_dir=DEMO_DIR, workdir=tmp_path_factory.mktemp(f"demos-lab-{runtime}"),
                        env={"K8SEDU_RUNTIME": runtime})
    server.start(timeout=90)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def demo_page(browser_required: dict[str, Any], demo_lab: Any, tmp_path: Path) -> Iterator[Any]:
    from _jupyter import isolate_browser_network, route_through_driver
    from playwright.sync_api import sync_playwright

    options = dict(browser_required)
    options["args"] = list(options.get("args", []))
    isolated = isolate_browser_network(options, demo_lab.port, tmp_path)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**options)
        context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="zh-CN")
        if not isolated:
            route_through_driver(context, demo_lab.base_url)
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("path", DEMO_NOTEBOOKS, ids=[p.stem for p in DEMO_NOTEBOOKS])
def test_demo_in_jupyterlab(demo_lab: Any, demo_page: Any, path: Path) -> None:
    """Run the demo's one cell, check its figures have data, click a button, then 停止集群."""
    from _jupyter import cell_prompts, error_outputs, expand_viewport_to_notebook, open_notebook

    page, runtime = demo_page, demo_lab.env["K8SEDU_RUNTIME"]
    before = path.read_bytes()
    open_notebook(page, demo_lab, path.name)
    assert page.locator(".jp-Dialog").count() == 0
    cell = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").first
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    shot = SCREENS / f"demo-{path.stem}-{runtime}.png"
    SCREENS.mkdir(parents=True, exist_ok=True)
    try:
        eventually(lambda: re.fullmatch(r"\[1\]:", (cell_prompts(page) or [""])[0]) or error_outputs(page),
                   timeout=150, what="the demo's cell finished")
        assert error_outputs(page) == []
        eventually(lambda: page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .js-plotly-plot").count() >= 1,
                   what="a figure on the page")
        # a figure whose widget model went dead draws empty axes without its title: require both
        figures = eventually(lambda: (f := page.evaluate(_FIGURES_JS)) and all(ok and title != "(untitled)"
                                                                              for title, ok in f) and f,
                             timeout=30, what="every figure has its title and data")
        assert figures
        text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").inner_text()
        assert f"容器运行时: {runtime}" in text and "停止集群" in text
        label, expect = CLICK[path.stem]
        page.locator(".jupyter-widgets button", has_text=label).first.click()
        eventually(lambda: expect in page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").inner_text(), timeout=60,
                   what=f"{label} answered {expect!r}")
        page.wait_for_timeout(1500)  # let the view redraw what the click changed, for the screenshot
        expand_viewport_to_notebook(page, WIDTH)
        page.screenshot(path=str(shot), full_page=True)
        assert "Error displaying widget" not in page.locator("body").inner_text()
    finally:
        page.locator(".jupyter-widgets button", has_text="停止集群").first.click()
        eventually(lambda: "集群已停止" in page.locator("body").inner_text(), timeout=60, what="the cluster stopped")
    assert path.read_bytes() == before
