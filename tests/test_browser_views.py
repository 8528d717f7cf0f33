"""ServiceView, ClusterView and RolloutView as a student sees them: a small notebook in JupyterLab,
in headless Chromium; the plotly figures on the page hold the expected traces.

The notebook is generated in a temporary folder; a screenshot is kept in
/tmp/k8sedu-screens/views-<runtime>.png for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from _jupyter import (
    JupyterLab,
    error_outputs,
    expand_viewport_to_notebook,
    isolate_browser_network,
    open_notebook,
    route_through_driver,
    run_all_cells,
    wait_until_done,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENS = Path("/tmp/k8sedu-screens")
WIDTH = 1280

CELLS = [
    "# 三个仪表盘\n\nServiceView、ClusterView、RolloutView。",
    """import time, urllib.request
from k8sedu import Cluster
from k8sedu.viz import ClusterView, RolloutView, ServiceView
c = Cluster(nodes=3, runtime="auto", progress=False).start()
print("容器运行时:", c.runtime_name)
c.apply('''
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: k8sedu/web:v1
        ports: [{containerPort: 80}]
        readinessProbe: {httpGet: {path: /healthz, port: 80}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
''')
c.wait("deployment/web", "Available", timeout=90)
def until(fn, timeout=60):
    deadline = time.monotonic() + timeout
    while not fn():
        assert time.monotonic() < deadline, "timeout"
        time.sleep(0.05)
until(lambda: len(c.proxy.endpoints_for("default", "web")) == 3)""",
    "cv = ClusterView.from_cluster(c)\ncv.widget",
    """sv = ServiceView.from_cluster(c, "service/web")
sv.send(20)
until(lambda: sv.log.total == 20)
sv.refresh()
sv.widget""",
    """rv = RolloutView.from_cluster(c, "deployment/web")
c.kubectl("set image deployment/web web=k8sedu/web:v2")
until(lambda: rv.sample().updated == 3 and rv.snapshot.available == 3 and len(rv.snapshot.replicasets) == 2
      and rv.snapshot.latest(rv.snapshot.replicasets[0]).desired == 0, 90)
rv.widget""",
    "print(c.kubectl('get pods'))\nfor v in (cv, sv, rv):\n    v.close()\nc.stop()",
]

# every plotly figure on the page: its trace types, names and point counts
FIGURES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
  title: (gd.layout && gd.layout.title && (gd.layout.title.text || gd.layout.title)) || '',
  traces: (gd.data || []).map(t => ({type: t.type, name: t.name || '', n: (t.x || []).length,
                                     y: (t.type === 'bar' ? Array.from(t.y || []) : [])})),
  height: gd.getBoundingClientRect().height,
}))"""


@pytest.fixture(scope="module")
def lab(browser_required: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    root = tmp_path_factory.mktemp("views")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(CELLS[0])] + [nbformat.v4.new_code_cell(s) for s in CELLS[1:]]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "views.ipynb")
    server = JupyterLab(root_dir=root, workdir=tmp_path_factory.mktemp("jupyterlab-views"),
                        env={"K8SEDU_RUNTIME": "sim"})
    server.start(timeout=90)
    try:
        yield server
    finally:
        server.stop()


def test_views_in_jupyterlab(lab: JupyterLab, browser_required: dict[str, Any],
                             tmp_path_factory: pytest.TempPathFactory) -> None:
    from playwright.sync_api import sync_playwright

    options = dict(browser_required)
    options["args"] = list(options.get("args", []))
    isolated = isolate_browser_network(options, lab.port, tmp_path_factory.mktemp("chromium-views"))
    SCREENS.mkdir(parents=True, exist_ok=True)
    shot = SCREENS / "views-sim.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**options)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": 900}, locale="zh-CN")
            if not isolated:
                route_through_driver(context, lab.base_url)
            page = context.new_page()
            page.set_default_timeout(30_000)
            open_notebook(page, lab, "views.ipynb")
            run_all_cells(page)
            wait_until_done(page, timeout_ms=180_000)
            expand_viewport_to_notebook(page, WIDTH)
            page.screenshot(path=str(shot), full_page=True)  # kept even if the wait below fails
            # five figures, each drawing points (a figure whose widget model came up before plotly's
            # module had loaded is replaced by heal_stale_views once the kernel is idle)
            page.wait_for_function("() => { const g = Array.from(document.querySelectorAll('.js-plotly-plot'));"
                                   " return g.length >= 5 && g.every(d => (d.data || []).some("
                                   "t => (t.x || []).length > 0)); }", timeout=60_000)
            expand_viewport_to_notebook(page, WIDTH)
            page.screenshot(path=str(shot), full_page=True)
            assert error_outputs(page) == [], f"tracebacks, screenshot {shot}"
            figures = page.evaluate(FIGURES_JS)
        finally:
            browser.close()

    def figure(word: str) -> dict[str, Any]:
        found = [f for f in figures if word in str(f["title"])]
        assert found, (word, [f["title"] for f in figures], shot)
        return found[0]

    cluster_map = figure("集群地图")
    ready = [t for t in cluster_map["traces"] if t["name"].startswith("运行中·就绪")]
    assert ready and 3 <= ready[0]["n"] <= 6, cluster_map  # live: the rollout's surge Pod may still show
    assert cluster_map["traces"][0]["n"] > 0, cluster_map  # the ownerReferences edges
    assert figure("事件")["traces"][0]["n"] > 0
    counts = figure("每个 Pod 收到的请求数")
    bar = next(t for t in counts["traces"] if t["type"] == "bar")
    # 20 requests over the first 3 Pods; the rollout that follows adds new Pods (0 requests each)
    assert 3 <= bar["n"] <= 6 and sum(bar["y"]) == 20, counts
    path = figure("kube-proxy")
    # live as well: an old Pod of the rollout may still be drawn until the next update
    assert any(t["name"] == "就绪的 endpoint" and 3 <= t["n"] <= 6 for t in path["traces"]), path
    assert path["traces"][3]["n"] == 2, path  # the client and kube-proxy boxes
    rollout = figure("ReplicaSet 的规模")
    assert sum(1 for t in rollout["traces"] if t["n"] > 0) == 4, rollout
    assert all(f["height"] > 100 for f in figures), figures
