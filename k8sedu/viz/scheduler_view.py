"""SchedulerView: one Pod's scheduling decision — Filter (预选) per node and plugin, Score (优选) as
stacked bars — with controls that change the Pod or a node and ask the scheduler again.

Why three layers (STYLE.md): a plain ``SchedulerSnapshot`` built from a trace (the live
scheduler's ``Trace.to_dict()`` or a dry run's ``Trace``); ``SchedulerView.render(snapshot)``,
which only updates the traits of widgets built once, inside ``batch_update()``; and the widget tree
as ``.widget``, which the caller displays. The controls re-run ``simulate(...)``: a dry run on
copies of the objects, so nothing is bound and the cluster is never changed.

::

    v = SchedulerView.from_cluster(c, "pod/web-x")
    v.widget                 # the last cell line displays it
    v.set_pod_requests(cpu="100")   # what a student does with the controls: 0/3 nodes are available…
"""

from __future__ import annotations

import copy
import html
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import plotly.graph_objects as go

from ..scheduler import simulate
from ..scheduler.trace import Trace
from .figure import StableFigure, heal_stale_views
from .style import (
    CHOSEN,
    ERROR_TEXT,
    FAIL,
    HEADER,
    MUTED,
    NOT_RUN,
    PALETTE,
    PASS,
    SKIP,
    Theme,
    plugin_label,
    theme,
)

if TYPE_CHECKING:
    from ..cluster import Cluster

__all__ = [
    "FilterCell", "ScoreCell", "NodeRow", "SchedulerSnapshot", "SchedulerView",
    "parse_taints", "parse_tolerations", "parse_selector",
]

TRACE_SOURCE, DRY_RUN_SOURCE = "trace", "dry-run"


# -- the snapshot ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FilterCell:
    """One Filter plugin on one node; ``code`` "" means not run (an earlier plugin rejected the node)."""

    plugin: str
    code: str = ""
    reasons: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.code in ("Success", "Skip")

    @property
    def text(self) -> str:
        if not self.code:
            return "—"
        if self.code == "Skip":
            return "跳过"
        if self.passed:
            return "✓"
        return "✗ " + "; ".join(self.reasons) if self.reasons else f"✗ {self.code}"

    @property
    def colour(self) -> str:
        return NOT_RUN if not self.code else SKIP if self.code == "Skip" else PASS if self.passed else FAIL


@dataclass(frozen=True)
class ScoreCell:
    plugin: str
    raw: int = 0
    normalized: int = 0
    weight: int = 1
    weighted: int = 0
    skipped: bool = False


@dataclass(frozen=True)
class NodeRow:
    node: str
    feasible: bool
    reasons: tuple[str, ...]
    #: one cell per ``SchedulerSnapshot.filter_plugins``, in that order
    filters: tuple[FilterCell, ...]
    #: one cell per ``SchedulerSnapshot.score_plugins`` (empty when the node was not scored)
    scores: tuple[ScoreCell, ...]
    total: int | None


@dataclass(frozen=True)
class SchedulerSnapshot:
    """Everything the view draws, as plain data (no widgets, no cluster)."""

    pod: str
    result: str
    chosen: str | None
    message: str
    scored: bool
    filter_plugins: tuple[str, ...]
    score_plugins: tuple[str, ...]
    weights: Mapping[str, int]
    nodes: tuple[NodeRow, ...]
    #: PreFilter verdicts that rejected the Pod before any node was looked at
    pre_filter: tuple[FilterCell, ...] = ()
    notes: tuple[str, ...] = ()
    #: "trace" (the scheduler's real decision) or "dry-run" (simulate: nothing bound)
    source: str = TRACE_SOURCE
    error: str = ""

    @property
    def scored_nodes(self) -> list[NodeRow]:
        return [n for n in self.nodes if n.total is not None]

    def weighted(self, plugin: str) -> list[int]:
        """The weighted score of *plugin* on each scored node, in ``scored_nodes`` order."""
        i = self.score_plugins.index(plugin)
        return [n.scores[i].weighted for n in self.scored_nodes]

    @property
    def totals(self) -> dict[str, int]:
        return {n.node: n.total for n in self.nodes if n.total is not None}

    @classmethod
    def from_trace(cls, trace: Trace | Mapping[str, Any], source: str = TRACE_SOURCE) -> SchedulerSnapshot:
        """From ``Trace`` or its ``to_dict()`` (what ``Cluster.scheduler_trace("pod/x")`` returns)."""
        t: Mapping[str, Any] = trace.to_dict() if isinstance(trace, Trace) else trace
        nodes = list(t.get("nodes") or [])
        filter_plugins = _ordered(f["plugin"] for n in nodes for f in n.get("filters") or [])
        score_plugins = _ordered(s["plugin"] for n in nodes for s in n.get("scores") or [])
        weights = {s["plugin"]: int(s.get("weight", 1)) for n in nodes for s in n.get("scores") or []}
        rows = []
        for n in nodes:
            fs = {f["plugin"]: f for f in n.get("filters") or []}
            ss = {s["plugin"]: s for s in n.get("scores") or []}
            filters = tuple(FilterCell(p, fs[p].get("code", ""), tuple(fs[p].get("reasons") or ()))
                            if p in fs else FilterCell(p) for p in filter_plugins)
            total = n.get("total")
            scores = () if total is None else tuple(
                ScoreCell(p, int(ss[p].get("raw", 0)), int(ss[p].get("normalized", 0)), int(ss[p].get("weight", 1)),
                          int(ss[p].get("weighted", 0)), bool(ss[p].get("skipped", False)))
                if p in ss else ScoreCell(p, weight=weights.get(p, 1)) for p in score_plugins)
            rows.append(NodeRow(n["node"], bool(n.get("feasible")), tuple(n.get("reasons") or ()), filters,
                                scores, None if total is None else int(total)))
        pre = tuple(FilterCell(v["plugin"], v.get("code", ""), tuple(v.get("reasons") or ()))
                    for v in t.get("pre_filter") or [] if v.get("code") not in ("Success", "Skip"))
        return cls(pod=str(t.get("pod", "")), result=str(t.get("result", "")), chosen=t.get("chosen"),
                   message=str(t.get("message", "")), scored=bool(t.get("scored")),
                   filter_plugins=tuple(filter_plugins), score_plugins=tuple(score_plugins), weights=weights,
                   nodes=tuple(rows), pre_filter=pre, notes=tuple(t.get("notes") or ()), source=source)


def _ordered(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


# -- parsing what a student types ------------------------------------------------------------------
def parse_selector(text: str) -> dict[str, str]:
    """``disktype=ssd, zone=a`` → ``{"disktype": "ssd", "zone": "a"}`` (a nodeSelector)."""
    out: dict[str, str] = {}
    for part in _items(text):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f'nodeSelector 写作 key=value，而不是 "{part}"')
        out[key.strip()] = value.strip()
    return out


def parse_taints(text: str) -> list[dict[str, str]]:
    """kubectl taint's syntax, comma separated: ``dedicated=gpu:NoSchedule, maintenance:NoExecute``."""
    taints = []
    for part in _items(text):
        kv, sep, effect = part.rpartition(":")
        if not sep or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise ValueError(f'污点写作 key=value:Effect（Effect 是 NoSchedule、PreferNoSchedule 或 NoExecute），'
                             f'而不是 "{part}"')
        key, _, value = kv.partition("=")
        taint = {"key": key.strip(), "effect": effect}
        if value.strip():
            taint["value"] = value.strip()
        taints.append(taint)
    return taints


def parse_tolerations(text: str) -> list[dict[str, str]]:
    """``key=value:Effect`` (operator Equal), ``key:Effect`` or ``key`` (operator Exists; no effect =
    every effect), ``*`` (tolerates every taint)."""
    out = []
    for part in _items(text):
        if part == "*":
            out.append({"operator": "Exists"})
            continue
        kv, sep, effect = part.rpartition(":") if ":" in part else (part, "", "")
        if sep and effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise ValueError(f'容忍写作 key=value:Effect、key:Effect 或 key，而不是 "{part}"')
        key, eq, value = kv.partition("=")
        tol: dict[str, str] = {"key": key.strip(), "operator": "Equal" if eq else "Exists"}
        if eq:
            tol["value"] = value.strip()
        if effect:
            tol["effect"] = effect
        out.append(tol)
    return out


def _items(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]


def _format_taints(taints: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(f"{t.get('key', '')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect', '')}"
                     for t in taints)


def _format_tolerations(tols: Iterable[Mapping[str, Any]]) -> str:
    parts = []
    for t in tols:
        if not t.get("key") and t.get("operator") == "Exists":
            parts.append("*")
            continue
        s = str(t.get("key", ""))
        if t.get("operator", "Equal") == "Equal":
            s += f"={t.get('value', '')}"
        if t.get("effect"):
            s += f":{t['effect']}"
        parts.append(s)
    return ", ".join(parts)


# -- the view --------------------------------------------------------------------------------------
class SchedulerView:
    """The scheduler dashboard. Built from objects (``pod``, ``nodes``, the ``pods`` already bound)
    it has controls and dry-runs every change; built with ``from_trace`` it only draws."""

    def __init__(self, pod: Mapping[str, Any] | None = None, nodes: Iterable[Mapping[str, Any]] = (),
                 pods: Iterable[Mapping[str, Any]] = (), *, objects: Iterable[Mapping[str, Any]] = (),
                 trace: Trace | Mapping[str, Any] | None = None, presenter: bool = False, seed: int = 0) -> None:
        self.theme: Theme = theme(presenter)
        self.seed = seed
        self._pod: dict[str, Any] | None = _unbound(pod) if pod is not None else None
        self._nodes: list[dict[str, Any]] = [copy.deepcopy(dict(n)) for n in nodes]
        self._pods = [copy.deepcopy(dict(p)) for p in pods]
        self._objects = [copy.deepcopy(dict(o)) for o in objects]
        self._original = (copy.deepcopy(self._pod), copy.deepcopy(self._nodes))
        self._loading = False
        self.snapshot: SchedulerSnapshot | None = None
        self.renders = 0
        self._render_lock = threading.RLock()  # heal_stale_views swaps a figure under it

        t = self.theme
        self.header = widgets.HTML()
        self.message = widgets.HTML()
        # plain figures first; they become widgets after the first render (see k8sedu.viz.figure)
        self.filter_fig: Any = go.Figure(data=[go.Table(header={"values": []}, cells={"values": []})])
        self.score_fig: Any = go.Figure()
        self._bars: list[go.Bar] = []
        self.score_fig.add_trace(go.Scatter(x=[], y=[], mode="text", textposition="middle right",
                                            name="总分", showlegend=False, hoverinfo="skip"))
        self._totals_trace = self.score_fig.data[0]
        for fig in (self.filter_fig, self.score_fig):
            fig.update_layout(font={"family": t.family, "size": t.font}, margin={"l": 10, "r": 10, "t": 60, "b": 10},
                              paper_bgcolor="white", plot_bgcolor="white", width=1100 if t.presenter else 900)
        self.score_fig.update_layout(barmode="stack", yaxis={"autorange": "reversed", "automargin": True},
                                     xaxis={"rangemode": "tozero"},  # its meaning is in the title: no axis
                                     # title to collide with the legend under a short (one- or two-node) plot
                                     legend={"orientation": "h", "y": -0.25, "yanchor": "top"})
        self.controls = self._build_controls()

        if trace is not None:
            self.render(SchedulerSnapshot.from_trace(trace))
        elif self._pod is not None:
            self.recompute()
        self.controls.layout.display = "" if self._pod is not None else "none"
        self.filter_fig, self.score_fig = StableFigure(self.filter_fig), StableFigure(self.score_fig)
        self._bind()
        self.widget = widgets.VBox([self.header, self.controls, self.filter_fig, self.score_fig, self.message])
        heal_stale_views(self, "filter_fig")
        heal_stale_views(self, "score_fig")

    def _bind(self) -> None:
        """Find the score figure's traces (the totals first, then one bar per plugin)."""
        self._totals_trace, self._bars = self.score_fig.data[0], list(self.score_fig.data[1:])

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    def from_trace(cls, trace: Trace | Mapping[str, Any], presenter: bool = False) -> SchedulerView:
        return cls(trace=trace, presenter=presenter)

    @classmethod
    def from_cluster(cls, cluster: Cluster, ref: str, namespace: str = "default",
                     presenter: bool = False, seed: int = 0) -> SchedulerView:
        """The live nodes and Pods (``cluster.get``); first the scheduler's real decision if it has
        recorded one for this Pod, else a dry run. The controls always dry-run."""
        pod = cluster.get(ref, namespace)
        nodes = cluster.get("nodes")
        uid = pod["metadata"].get("uid")
        pods = [p for p in cluster.get("pods", namespace=None) if p["metadata"].get("uid") != uid]
        objects: list[dict[str, Any]] = []
        for kind in ("namespaces", "services", "replicasets", "statefulsets", "replicationcontrollers"):
            try:
                objects += cluster.get(kind, namespace=None)
            except Exception:  # noqa: BLE001 - a kind this cluster does not serve: spreading ignores it
                continue
        try:
            trace: dict[str, Any] | None = cluster.scheduler_trace(ref, namespace)
        except Exception:  # noqa: BLE001 - not scheduled yet (or by another scheduler): dry-run instead
            trace = None
        return cls(pod, nodes, pods, objects=objects, trace=trace, presenter=presenter, seed=seed)

    # -- the dry run ----------------------------------------------------------------------------
    @property
    def pod(self) -> dict[str, Any] | None:
        return self._pod

    @property
    def nodes(self) -> list[dict[str, Any]]:
        return self._nodes

    def recompute(self) -> SchedulerSnapshot:
        """Ask the scheduler again on the (edited) copies: ``simulate(...)``, nothing is bound."""
        if self._pod is None:
            raise ValueError("this view was built from a trace: it has no Pod to schedule again")
        try:
            trace = simulate(self._pod, self._nodes, self._pods, objects=self._objects, seed=self.seed)
        except Exception as e:  # noqa: BLE001 - a typo in a control must not break the dashboard
            snap = self.snapshot or SchedulerSnapshot.from_trace({"pod": _key(self._pod)}, DRY_RUN_SOURCE)
            snap = SchedulerSnapshot(**{**snap.__dict__, "error": f"无法试运行：{e}"})
        else:
            snap = SchedulerSnapshot.from_trace(trace, DRY_RUN_SOURCE)
        self.render(snap)
        return snap

    def set_pod_requests(self, cpu: str | None = None, memory: str | None = None) -> SchedulerSnapshot:
        """Set (or with "" remove) the first container's requests, then dry-run."""
        pod = self._require_pod()
        c = pod["spec"]["containers"][0]
        req = c.setdefault("resources", {}).setdefault("requests", {})
        for name, value in (("cpu", cpu), ("memory", memory)):
            if value is None:
                continue
            if value.strip():
                req[name] = value.strip()
            else:
                req.pop(name, None)
        self._sync_controls()
        return self.recompute()

    def set_node_selector(self, selector: Mapping[str, str] | str) -> SchedulerSnapshot:
        pod = self._require_pod()
        sel = parse_selector(selector) if isinstance(selector, str) else dict(selector)
        if sel:
            pod["spec"]["nodeSelector"] = sel
        else:
            pod["spec"].pop("nodeSelector", None)
        self._sync_controls()
        return self.recompute()

    def set_tolerations(self, tolerations: list[dict[str, Any]] | str) -> SchedulerSnapshot:
        pod = self._require_pod()
        tols = parse_tolerations(tolerations) if isinstance(tolerations, str) else list(tolerations)
        if tols:
            pod["spec"]["tolerations"] = tols
        else:
            pod["spec"].pop("tolerations", None)
        self._sync_controls()
        return self.recompute()

    def set_node(self, name: str, *, taints: list[dict[str, Any]] | str | None = None, cpu: str | None = None,
                 memory: str | None = None) -> SchedulerSnapshot:
        """Change a node's taints or capacity (capacity and allocatable both), then dry-run."""
        node = next((n for n in self._nodes if n["metadata"]["name"] == name), None)
        if node is None:
            raise KeyError(f'no node named "{name}"')
        if taints is not None:
            ts = parse_taints(taints) if isinstance(taints, str) else list(taints)
            if ts:
                node.setdefault("spec", {})["taints"] = ts
            else:
                node.setdefault("spec", {}).pop("taints", None)
        status = node.setdefault("status", {})
        for key, value in (("cpu", cpu), ("memory", memory)):
            if value:
                status.setdefault("capacity", {})[key] = value.strip()
                status.setdefault("allocatable", {})[key] = value.strip()
        self._sync_controls()
        return self.recompute()

    def reset(self) -> SchedulerSnapshot:
        self._pod, self._nodes = copy.deepcopy(self._original[0]), copy.deepcopy(self._original[1])
        self._sync_controls()
        return self.recompute()

    def _require_pod(self) -> dict[str, Any]:
        if self._pod is None:
            raise ValueError("this view was built from a trace: it has no Pod to change")
        return self._pod

    # -- controls -------------------------------------------------------------------------------
    def _build_controls(self) -> widgets.Widget:
        t = self.theme
        wide = widgets.Layout(width="auto", min_width="16em")
        style = {"description_width": "initial", "font_size": f"{t.font}px"}

        def text(desc: str, placeholder: str) -> widgets.Text:
            return widgets.Text(description=desc, placeholder=placeholder, continuous_update=False,
                                layout=wide, style=style)

        self.cpu = text("CPU 请求（requests.cpu）", "如 500m")
        self.memory = text("内存请求（requests.memory）", "如 256Mi")
        self.selector = text("节点选择器（nodeSelector）", "如 disktype=ssd")
        self.tolerations = text("容忍（tolerations）", "如 dedicated=gpu:NoSchedule")
        names = [n["metadata"]["name"] for n in self._nodes]
        self.node_pick = widgets.Dropdown(options=names, value=names[0] if names else None,
                                          description="节点（Node）", layout=wide,
                                          style={"description_width": "initial"})
        self.taints = text("污点（taints）", "如 dedicated=gpu:NoSchedule")
        self.node_cpu = text("CPU 容量", "如 4")
        self.node_memory = text("内存容量", "如 8Gi")
        self.reset_button = widgets.Button(description="重置", tooltip="恢复 Pod 和节点的原始设置",
                                           style={"font_size": f"{t.font}px", "font_family": t.family})
        self._sync_controls()

        def on(handler: Any) -> Any:
            def wrapped(change: Any) -> None:
                if self._loading:
                    return
                try:
                    handler()
                except ValueError as e:
                    self.message.value = _html_error(self.theme, f"输入有误：{e}")
            return wrapped

        self.cpu.observe(on(lambda: self.set_pod_requests(cpu=self.cpu.value)), "value")
        self.memory.observe(on(lambda: self.set_pod_requests(memory=self.memory.value)), "value")
        self.selector.observe(on(lambda: self.set_node_selector(self.selector.value)), "value")
        self.tolerations.observe(on(lambda: self.set_tolerations(self.tolerations.value)), "value")
        self.node_pick.observe(on(self._sync_controls), "value")
        self.taints.observe(on(lambda: self.set_node(self.node_pick.value, taints=self.taints.value)), "value")
        self.node_cpu.observe(on(lambda: self.set_node(self.node_pick.value, cpu=self.node_cpu.value)), "value")
        self.node_memory.observe(on(lambda: self.set_node(self.node_pick.value, memory=self.node_memory.value)),
                                 "value")
        self.reset_button.on_click(lambda _b: self.reset())
        pod_box = widgets.VBox([widgets.HTML(f"<b style='{t.css()}'>Pod（试运行，不绑定）</b>"),
                                self.cpu, self.memory, self.selector, self.tolerations])
        node_box = widgets.VBox([widgets.HTML(f"<b style='{t.css()}'>节点</b>"),
                                 self.node_pick, self.taints, self.node_cpu, self.node_memory])
        return widgets.VBox([widgets.HBox([pod_box, node_box]), self.reset_button])

    def _sync_controls(self) -> None:
        """Show the current (edited) objects in the controls without triggering a dry run."""
        self._loading = True
        try:
            if self._pod is not None:
                spec = self._pod.get("spec") or {}
                containers = spec.get("containers") or [{}]
                req = (containers[0].get("resources") or {}).get("requests") or {}
                self.cpu.value = str(req.get("cpu", ""))
                self.memory.value = str(req.get("memory", ""))
                self.selector.value = ", ".join(f"{k}={v}" for k, v in (spec.get("nodeSelector") or {}).items())
                self.tolerations.value = _format_tolerations(spec.get("tolerations") or [])
            node = next((n for n in self._nodes if n["metadata"]["name"] == self.node_pick.value), None)
            if node is not None:
                self.taints.value = _format_taints((node.get("spec") or {}).get("taints") or [])
                alloc = (node.get("status") or {}).get("allocatable") or {}
                self.node_cpu.value = str(alloc.get("cpu", ""))
                self.node_memory.value = str(alloc.get("memory", ""))
        finally:
            self._loading = False

    # -- render ---------------------------------------------------------------------------------
    def render(self, snapshot: SchedulerSnapshot) -> None:
        """Draw *snapshot*: only trait updates on the widgets built in the constructor."""
        with self._render_lock:
            self._render(snapshot)

    def _render(self, snapshot: SchedulerSnapshot) -> None:
        t = self.theme
        self.snapshot = snapshot
        self.renders += 1
        self._ensure_bars(len(snapshot.score_plugins))
        header, cells, fills = _filter_table(snapshot)
        height_table = t.row_height * (len(snapshot.filter_plugins) + 3) + 90
        with self.filter_fig.batch_update():
            table = self.filter_fig.data[0]
            table.header.values = header
            table.header.fill.color = HEADER
            table.header.font = {"color": "white", "size": t.font, "family": t.family}
            table.header.height = t.row_height
            table.columnwidth = [2.4] + [1.6] * len(snapshot.nodes)
            table.cells.values = cells
            table.cells.fill.color = fills
            table.cells.font = {"size": t.font, "family": t.family}
            table.cells.height = t.row_height
            table.cells.align = "left"
            self.filter_fig.layout.title = {"text": "预选（Filter）：✓ 通过　✗ 不通过（原因）<br>"
                                                    "<sup>跳过 = 与此 Pod 无关　— = 未运行（前一个插件已淘汰该节点）</sup>",
                                            "font": {"size": t.title}}
            self.filter_fig.layout.font.size = t.font
            self.filter_fig.layout.height = height_table

        scored = snapshot.scored_nodes
        names = [n.node for n in scored]
        chosen = [n.node == snapshot.chosen for n in scored]
        with self.score_fig.batch_update():
            for i, bar in enumerate(self._bars):
                if i < len(snapshot.score_plugins):
                    p = snapshot.score_plugins[i]
                    w = snapshot.weights.get(p, 1)
                    bar.name = f"{plugin_label(p, ' ')} ×{w}"
                    bar.x = snapshot.weighted(p)
                    bar.y = names
                    bar.visible = True
                    bar.marker.color = PALETTE[i % len(PALETTE)]
                    bar.marker.line.width = 0  # the chosen row gets one outline (a shape, below)
                    bar.marker.opacity = [1.0 if c else 0.55 for c in chosen]
                    bar.hovertext = [_hover(n.scores[i], p) for n in scored]
                else:
                    bar.x, bar.y, bar.visible = [], [], False
            totals = [n.total or 0 for n in scored]
            self._totals_trace.x = totals
            self._totals_trace.y = names
            self._totals_trace.text = [f"  总分 {v}{' ★ 选中' if c else ''}" for v, c in zip(totals, chosen, strict=True)]
            self._totals_trace.textfont = {"size": t.font, "family": t.family,
                                           "color": [CHOSEN if c else MUTED for c in chosen]}
            if not names:  # nothing passed Filter: say so inside the figure instead of empty axes
                self._totals_trace.x, self._totals_trace.y = [0], [""]
                self._totals_trace.text = ["  没有节点通过预选（Filter），所以不打分"]
                self._totals_trace.textfont = {"size": t.font, "family": t.family, "color": ERROR_TEXT}
            # one gold frame around the chosen node's whole bar (per-bar outlines would also tint
            # the legend's swatches, which plotly draws in the first point's style)
            self.score_fig.layout.shapes = [
                {"type": "rect", "xref": "x", "yref": "y", "x0": 0, "x1": total, "y0": i - 0.42, "y1": i + 0.42,
                 "line": {"color": CHOSEN, "width": 3}, "fillcolor": "rgba(0,0,0,0)", "layer": "above"}
                for i, (total, c) in enumerate(zip(totals, chosen, strict=True)) if c]
            self.score_fig.layout.yaxis.tickvals = names
            self.score_fig.layout.yaxis.ticktext = [f"<b>★ {n}</b>" if c else n for n, c in zip(names, chosen, strict=True)]
            self.score_fig.layout.xaxis.range = [0, max(totals, default=100) * 1.3 or 100]
            self.score_fig.layout.title = {"text": _score_title(snapshot), "font": {"size": t.title}}
            self.score_fig.layout.font.size = t.font
            self.score_fig.layout.legend.font.size = t.small
            self.score_fig.layout.height = max(260, t.row_height * 2 * max(len(names), 1) + 220)

        self.header.value = _header_html(snapshot, t)
        self.message.value = (_html_error(t, snapshot.error) if snapshot.error
                              else _html_error(t, f"FailedScheduling：{snapshot.message}") if snapshot.message
                              else "")

    def _ensure_bars(self, n: int) -> None:
        """Add bar traces (outside any batch) until there are *n*; extra ones are hidden at render."""
        while len(self._bars) < n:
            self.score_fig.add_trace(go.Bar(x=[], y=[], orientation="h", hoverinfo="text+name"))
            self._bars.append(self.score_fig.data[-1])


def _unbound(pod: Mapping[str, Any]) -> dict[str, Any]:
    """A copy the scheduler can decide for again: without spec.nodeName (else NodeName decides)."""
    out = copy.deepcopy(dict(pod))
    out.setdefault("spec", {}).pop("nodeName", None)
    out.get("status", {}).pop("nominatedNodeName", None)
    out["spec"].setdefault("containers", [{"name": "c", "image": "nginx"}])
    return out


def _key(pod: Mapping[str, Any]) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace', 'default')}/{meta.get('name', '')}"


def _filter_table(s: SchedulerSnapshot) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """One row per Filter plugin (its Chinese and English names fit a wide first column), one
    column per node, and a last row with the verdict."""
    # no <b>: plotly.js draws bold table text half a line too high, out of its cell
    header = ["插件（plugin）", *[f"{n.node}（选中）" if n.node == s.chosen else n.node for n in s.nodes]]
    cells: list[list[str]] = [[plugin_label(p, sep=" ") for p in s.filter_plugins] + ["结论"]]
    fills: list[list[str]] = [["white"] * (len(s.filter_plugins) + 1)]
    for n in s.nodes:
        cells.append([f.text for f in n.filters] + ["可用" if n.feasible else "不可用"])
        fills.append([f.colour for f in n.filters] + [PASS if n.feasible else FAIL])
    # plotly.js tables wrap text at spaces and then misplace the wrapped lines (they vanish from
    # the cell), so every space is a no-break space: one line per cell, as a table should read
    cells = [[_nbsp(text) for text in column] for column in cells]
    return [_nbsp(h) for h in header], cells, fills


def _nbsp(text: str) -> str:
    return text.replace(" ", "\u00a0")


def _hover(c: ScoreCell, plugin: str) -> str:
    if c.skipped:
        return f"{plugin}：跳过（PreScore 判定与此 Pod 无关）"
    return f"{plugin}：原始分 {c.raw} → 归一化 {c.normalized} × 权重 {c.weight} = {c.weighted}"


def _score_title(s: SchedulerSnapshot) -> str:
    if s.scored:
        return ("优选（Score）：每个插件的加权得分叠加为总分，总分最高者胜出<br>"
                "<sup>横轴：加权得分 = 归一化分（0–100）× 权重；一种颜色一个打分插件</sup>")
    if s.chosen:
        return f"优选（Score）：只有 {s.chosen} 可用，跳过打分（upstream 同样如此）"
    return "优选（Score）：没有可用的节点，不打分"


def _header_html(s: SchedulerSnapshot, t: Theme) -> str:
    source = ("来源：调度器的真实决策（scheduler trace）" if s.source == TRACE_SOURCE
              else "来源：试运行（dry run），不绑定、不改变集群")
    if s.chosen:
        total = s.totals.get(s.chosen)
        verdict = f"Pod {s.pod} → 选中节点 <b>{s.chosen}</b>" + (f"（总分 {total}）" if total is not None else "")
    elif s.result:
        verdict = f"Pod {s.pod}：未能调度（{s.result}）"
    else:
        verdict = f"Pod {s.pod}"
    return (f"<div style=\"{t.css(t.title)}\">{verdict}</div>"
            f"<div style=\"{t.css(t.small)}; color: {MUTED}\">{source}</div>")


def _html_error(t: Theme, text: str) -> str:
    return f"<div style=\"{t.css()}; color: {ERROR_TEXT}\">{html.escape(text)}</div>"

