"""SchedulerView renders without a kernel: the snapshot, the figures' traces, the controls' dry runs."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go
import pytest
from test_scheduler_plugins import node, pod

from k8sedu.scheduler import simulate
from k8sedu.viz import SchedulerSnapshot, SchedulerView
from k8sedu.viz.scheduler_view import parse_selector, parse_taints, parse_tolerations
from k8sedu.viz.style import FONT_FAMILY

GPU_TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


def three_nodes() -> list[dict[str, Any]]:
    """node-1 tainted, node-2 too small for 1 cpu, node-3 fits."""
    return [node("node-1", cpu="4", taints=[GPU_TAINT]), node("node-2", cpu="500m"), node("node-3", cpu="4")]


def handmade_trace() -> dict[str, Any]:
    def f(plugin: str, code: str = "Success", *reasons: str) -> dict[str, Any]:
        return {"plugin": plugin, "code": code, "reasons": list(reasons)}

    def s(plugin: str, raw: int, normalized: int, weight: int) -> dict[str, Any]:
        return {"plugin": plugin, "raw": raw, "normalized": normalized, "weight": weight,
                "weighted": normalized * weight, "skipped": False}

    return {
        "pod": "default/web-x", "result": "Scheduled", "chosen": "node-2", "message": "", "scored": True,
        "feasible": ["node-2", "node-3"], "pre_filter": [],
        "nodes": [
            {"node": "node-1", "feasible": False, "reasons": ["Insufficient cpu"], "total": None, "scores": [],
             "filters": [f("TaintToleration"), f("NodeResourcesFit", "Unschedulable", "Insufficient cpu")]},
            {"node": "node-2", "feasible": True, "reasons": [], "total": 362,
             "filters": [f("TaintToleration"), f("NodeResourcesFit")],
             "scores": [s("TaintToleration", 0, 100, 3), s("NodeResourcesFit", 40, 62, 1)]},
            {"node": "node-3", "feasible": True, "reasons": [], "total": 350,
             "filters": [f("TaintToleration"), f("NodeResourcesFit")],
             "scores": [s("TaintToleration", 0, 100, 3), s("NodeResourcesFit", 20, 50, 1)]},
        ],
    }


def outlined(v: SchedulerView) -> list[tuple[str, float]]:
    """(node, framed length) for every frame drawn around a row of the Score chart."""
    totals = next(t for t in v.score_fig.data if t.type == "scatter")
    rows = list(totals.y)
    out = []
    for shape in v.score_fig.layout.shapes:
        index = round((shape.y0 + shape.y1) / 2)
        assert shape.x0 == 0 and abs(shape.y1 - shape.y0) < 1 and 0 <= index < len(rows)
        out.append((rows[index], shape.x1))
    return out


def bars(v: SchedulerView) -> dict[str, go.Bar]:
    """Visible bar traces by their plugin (the English name ends the Chinese label)."""
    out = {}
    for t in v.score_fig.data:
        if t.type == "bar" and t.visible:
            out[t.name.split(" ")[-2]] = t
    return out


def table_cells(v: SchedulerView) -> list[list[str]]:
    table = v.filter_fig.data[0]
    assert table.type == "table"
    return [[cell.replace("\u00a0", " ") for cell in col] for col in table.cells.values]  # no-break spaces


def test_snapshot_and_render_from_a_handmade_trace() -> None:
    snap = SchedulerSnapshot.from_trace(handmade_trace())
    assert snap.filter_plugins == ("TaintToleration", "NodeResourcesFit")
    assert snap.score_plugins == ("TaintToleration", "NodeResourcesFit")
    assert [n.node for n in snap.scored_nodes] == ["node-2", "node-3"]
    assert snap.weighted("NodeResourcesFit") == [62, 50]

    v = SchedulerView.from_trace(handmade_trace())
    assert isinstance(v.widget, widgets.VBox) and v.controls.layout.display == "none"
    b = bars(v)
    assert list(b["TaintToleration"].x) == [300, 300] and list(b["NodeResourcesFit"].x) == [62, 50]
    assert list(b["TaintToleration"].y) == ["node-2", "node-3"]
    assert "×3" in b["TaintToleration"].name and "污点容忍" in b["TaintToleration"].name
    # the chosen node's bar is framed, the others not
    assert outlined(v) == [("node-2", 362)]
    totals = next(t for t in v.score_fig.data if t.type == "scatter")
    assert list(totals.x) == [362, 350] and "总分 362" in totals.text[0] and "选中" in totals.text[0]
    assert "选中" not in totals.text[1]
    assert "<b>★ node-2</b>" in v.score_fig.layout.yaxis.ticktext
    cells = table_cells(v)  # one row per plugin, one column per node
    assert list(v.filter_fig.data[0].header.values[1:]) == ["node-1", "node-2（选中）", "node-3"]
    assert cells[0][1] == "资源适配 NodeResourcesFit"
    assert cells[1][1] == "✗ Insufficient cpu" and cells[2][1] == "✓"
    assert [col[-1] for col in cells[1:]] == ["不可用", "可用", "可用"]
    assert "选中节点 <b>node-2</b>（总分 362）" in v.header.value and "真实决策" in v.header.value
    assert v.message.value == ""
    assert v.score_fig.layout.font.family == FONT_FAMILY and "Noto Sans CJK SC" in FONT_FAMILY


def test_render_is_repeatable_and_updates_the_same_traces() -> None:
    v = SchedulerView.from_trace(handmade_trace())
    fig_ids = (id(v.filter_fig), id(v.score_fig), len(v.score_fig.data))
    trace = handmade_trace()
    trace["chosen"] = "node-3"
    v.render(SchedulerSnapshot.from_trace(trace))
    assert (id(v.filter_fig), id(v.score_fig), len(v.score_fig.data)) == fig_ids
    assert outlined(v) == [("node-3", 350)]
    assert v.renders == 2


def test_simulate_three_nodes_tainted_and_too_small() -> None:
    p = pod("web-x", cpu="1", memory="256Mi")
    snap = SchedulerSnapshot.from_trace(simulate(p, three_nodes(), seed=0), "dry-run")
    assert snap.chosen == "node-3" and not snap.scored  # one feasible node: upstream does not score

    v = SchedulerView(p, three_nodes())
    assert v.snapshot is not None and v.snapshot.chosen == "node-3"
    flat = [c for col in table_cells(v) for c in col]
    assert "✗ node(s) had untolerated taint {dedicated: gpu}" in flat
    assert "✗ Insufficient cpu" in flat
    assert "只有 node-3 可用，跳过打分" in v.score_fig.layout.title.text
    assert not bars(v)
    assert "试运行" in v.header.value

    # tolerate the taint: two feasible nodes, scored; the bars hold the trace's weighted scores
    snap2 = v.set_tolerations("dedicated=gpu:NoSchedule")
    assert v.tolerations.value == "dedicated=gpu:NoSchedule"
    assert snap2.scored and {n.node for n in snap2.scored_nodes} == {"node-1", "node-3"}
    expected = simulate({**p, "spec": {**p["spec"], "tolerations": [{**GPU_TAINT, "operator": "Equal"}]}},
                        three_nodes(), seed=0)
    b = bars(v)
    assert set(b) == {s.plugin for s in expected.node("node-1").scores}  # type: ignore[union-attr]
    for plugin, trace in b.items():
        assert list(trace.y) == ["node-1", "node-3"]
        assert list(trace.x) == [expected.node(n).score(plugin).weighted  # type: ignore[union-attr]
                                 for n in ("node-1", "node-3")]
    assert [node for node, _ in outlined(v)] == [expected.chosen]
    assert snap2.chosen == expected.chosen


def test_changing_a_control_recomputes_no_node_fits() -> None:
    nodes = three_nodes()
    v = SchedulerView(pod("web-x", cpu="1"), nodes)
    before = v.renders
    v.cpu.value = "100"  # what the student types
    assert v.renders == before + 1
    snap = v.snapshot
    assert snap is not None and snap.chosen is None and snap.result == "Unschedulable"
    assert snap.message.startswith("0/3 nodes are available: ")
    assert "FailedScheduling：0/3 nodes are available: " in v.message.value
    assert "未能调度" in v.header.value and "没有可用的节点" in v.score_fig.layout.title.text
    assert all(list(t.x) == [] for t in v.score_fig.data)
    # a dry run binds nothing and leaves the caller's objects alone
    assert "taints" in nodes[0]["spec"] and nodes[1]["status"]["allocatable"]["cpu"] == "500m"
    v.reset()
    assert v.cpu.value == "1" and v.snapshot is not None and v.snapshot.chosen == "node-3"


def test_node_controls_taints_capacity_and_selector() -> None:
    v = SchedulerView(pod("web-x", cpu="1"), three_nodes())
    v.node_pick.value = "node-1"
    assert v.taints.value == "dedicated=gpu:NoSchedule" and v.node_cpu.value == "4"
    v.taints.value = ""  # untaint node-1
    assert v.snapshot is not None and set(v.snapshot.totals) == {"node-1", "node-3"}
    v.node_pick.value = "node-2"
    v.node_cpu.value = "8"  # node-2 grows
    assert v.snapshot is not None and set(v.snapshot.totals) == {"node-1", "node-2", "node-3"}
    v.selector.value = "kubernetes.io/hostname=node-2"
    assert v.snapshot is not None and v.snapshot.chosen == "node-2"
    v.selector.value = "oops"  # a typo: an error, not a crash
    assert "输入有误" in v.message.value and v.snapshot.chosen == "node-2"


def test_parsers() -> None:
    assert parse_selector("a=b, c=d") == {"a": "b", "c": "d"}
    assert parse_taints("k=v:NoSchedule, m:NoExecute") == [
        {"key": "k", "value": "v", "effect": "NoSchedule"}, {"key": "m", "effect": "NoExecute"}]
    assert parse_tolerations("k=v:NoSchedule, m, *") == [
        {"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"},
        {"key": "m", "operator": "Exists"}, {"operator": "Exists"}]
    with pytest.raises(ValueError, match="NoSchedule"):
        parse_taints("k=v:Sometimes")


def test_presenter_mode_has_large_type() -> None:
    normal = SchedulerView.from_trace(handmade_trace())
    big = SchedulerView.from_trace(handmade_trace(), presenter=True)
    assert big.score_fig.layout.font.size > normal.score_fig.layout.font.size >= 12
    assert big.filter_fig.data[0].cells.font.size > normal.filter_fig.data[0].cells.font.size
    assert big.score_fig.layout.title.font.size > normal.score_fig.layout.title.font.size
    assert "font-size: 28px" in big.header.value
    assert big.cpu.style.font_size == "22px" and normal.cpu.style.font_size == "13px"


def test_from_cluster_end_to_end() -> None:
    from k8sedu import Cluster

    c = Cluster(nodes=3, runtime="sim").start()
    try:
        c.apply(pod("web-x", cpu="100m", memory="64Mi"))
        c.wait("pod/web-x", "Scheduled", timeout=30)
        live = c.get("pod/web-x")
        v = SchedulerView.from_cluster(c, "pod/web-x")
        assert v.snapshot is not None and v.snapshot.source == "trace"
        assert v.snapshot.chosen == live["spec"]["nodeName"]
        assert f"选中节点 <b>{live['spec']['nodeName']}</b>" in v.header.value
        assert len(v.snapshot.nodes) == len(c.get("nodes"))
        v.set_pod_requests(cpu="100")
        assert v.snapshot.source == "dry-run" and v.snapshot.chosen is None
        assert v.snapshot.message.startswith(f"0/{len(c.get('nodes'))} nodes are available: ")
        # nothing changed in the cluster
        after = c.get("pod/web-x")
        assert after["spec"]["nodeName"] == live["spec"]["nodeName"]
        assert after["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "100m"
    finally:
        c.stop()
