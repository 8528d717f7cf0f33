"""FlowView: the components of the cluster as a diagram; each step of a Pod's creation or deletion
lights its arrow and is explained beside it, with the real request, revision, node and container id.

Why it is built this way (STYLE.md): a plain ``FlowSnapshot`` (the steps ``FlowFilter`` picked
from the cluster's flow events, and how many are shown); a pure ``render(snapshot)`` that only
updates widgets built once, inside ``batch_update()``; the widget tree as ``.widget``. Live events
arrive on control-plane threads; they are only appended to a list and a ``Coalescer`` renders at
most about ten times a second.

Step mode (``FlowView(c, step=True)``) gates the real control plane through
``FlowRecorder.step_mode``: every component waits before its next *shown* step until 下一步 releases
it, so ``docker ps`` shows the container only after the kubelet → docker step. Noise (Events,
leases, GETs, status writes of controllers) never waits. The notebook's thread is exempt, so a
cell never blocks; ``step_to(...)`` drives steps from a cell with a deadline.

::

    v = FlowView(c, step=True)      # follows the first object kubectl writes next
    v.widget                        # display it
    c.apply(pod)                    # returns at once: the rest waits for 下一步
    v.step_to("start container")    # or press 下一步 until the container starts
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import plotly.graph_objects as go

from ..flow import FlowEvent
from .flow_steps import SEED_CREATE_STEPS, SEED_DELETE_STEPS, FlowFilter, FlowStep
from .live import Coalescer
from .style import FLOW_ACTIVE, FLOW_BOX, FLOW_DONE, FLOW_EDGE, FLOW_NODE, MUTED, Theme, theme

if TYPE_CHECKING:
    from ..cluster import Cluster

__all__ = ["FlowSnapshot", "FlowView", "layout_boxes", "BOX_LABELS"]

#: the Chinese name under each component's upstream name
BOX_LABELS: dict[str, str] = {
    "kubectl": "kubectl<br>命令行",
    "apiserver": "kube-apiserver<br>API 服务器",
    "etcd": "etcd<br>键值存储",
    "scheduler": "kube-scheduler<br>调度器",
    "controller-manager": "kube-controller-manager<br>控制器管理器",
    "kube-proxy": "kube-proxy<br>服务代理",
}
_W, _H = 1.3, 0.42  # half width and half height of a box, in axis units


def layout_boxes(nodes: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Box centres on a 12 × 7 canvas: control plane above, one kubelet + docker column per node."""
    pos = {
        "kubectl": (1.4, 6.2), "apiserver": (5.4, 6.2), "etcd": (9.8, 6.2),
        "scheduler": (1.6, 4.3), "controller-manager": (9.6, 4.3), "kube-proxy": (11.0, 2.4),
    }
    n = max(len(nodes), 1)
    for i, node in enumerate(nodes):
        x = 4.5 if n == 1 else 1.45 + i * (6.2 / (n - 1))
        pos[f"kubelet/{node}"] = (x, 2.4)
        pos[f"docker/{node}"] = (x, 0.8)
    return pos


def _label(box: str) -> str:
    if box in BOX_LABELS:
        return BOX_LABELS[box]
    kind, _, node = box.partition("/")
    if kind == "kubelet":
        return f"kubelet（{node}）<br>节点代理"
    if kind == "docker":
        return "docker<br>容器运行时"
    return box


# -- the snapshot ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FlowSnapshot:
    """What the view draws: the steps of the followed object and how many of them are shown."""

    nodes: tuple[str, ...]
    steps: tuple[FlowStep, ...] = ()
    shown: int = 0  # steps[:shown] have been shown; steps[shown-1] is the current one
    target: str = ""  # "pod/web"
    mode: str = ""  # "create" | "delete"
    step_mode: bool = False
    waiting: bool = False  # 下一步 was pressed and the cluster has not made the step yet
    complete: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def current(self) -> FlowStep | None:
        return self.steps[self.shown - 1] if 0 < self.shown <= len(self.steps) else None

    @classmethod
    def from_events(cls, events: Sequence[FlowEvent], nodes: Sequence[str], target: str | None = None,
                    shown: int | None = None) -> FlowSnapshot:
        """A snapshot of recorded events (a test, a replay): the main path of *target*."""
        f = FlowFilter(target)
        steps = tuple(s for e in events if (s := f.classify(e)) is not None)
        return cls(nodes=tuple(nodes), steps=steps, shown=len(steps) if shown is None else shown,
                   target=f"{f.root_kind.lower()}/{f.root_name}" if f.root_kind else "", mode=f.mode,
                   complete=f.complete)


# -- the view --------------------------------------------------------------------------------------
class FlowView:
    """The flow dashboard of one cluster. ``step=True`` gates the cluster (see the module doc)."""

    def __init__(self, cluster: Cluster | None = None, *, step: bool = False, follow: str | None = None,
                 nodes: Sequence[str] | None = None, presenter: bool = False, interval: float = 1.0) -> None:
        self.cluster = cluster
        self.theme: Theme = theme(presenter)
        if nodes is None:
            nodes = ([n["metadata"]["name"] for n in cluster.get("nodes")] if cluster is not None else ["node-1"])
        self.nodes = tuple(nodes)
        self.pos = layout_boxes(self.nodes)
        self.snapshot = FlowSnapshot(nodes=self.nodes)
        self.renders = 0
        # guards _filter, _steps, _shown, _owed; the subscriber appends from component threads
        self._cond = threading.Condition()
        self._filter = FlowFilter(follow)
        self._steps: list[FlowStep] = []
        self._shown = 0
        self._owed = 0  # 下一步 presses that released the cluster and wait for the step to appear
        self._last_hit = 0  # the step step_to() last stopped at: the next call looks further
        self._step_mode = False
        self._unsubscribe: Callable[[], None] | None = None
        self._player: threading.Thread | None = None
        self._playing = threading.Event()
        self._render_lock = threading.Lock()  # one render at a time
        self._build(interval)
        self._live = Coalescer(self._refresh)
        if cluster is not None:
            self._unsubscribe = cluster.flow.subscribe(self._on_event)
            cluster.flow.exempt()  # the notebook's thread (this one) never waits
            if step:
                self.set_step_mode(True)
        self.render(self.snapshot)

    # -- following and step mode ----------------------------------------------------------------
    def follow(self, target: str | None = None) -> None:
        """Start over with a new object (None: the next one kubectl writes)."""
        with self._cond:
            self._filter = FlowFilter(target)
            self._steps, self._shown, self._owed = [], 0, 0
            self._last_hit = 0
            if self._step_mode and self.cluster is not None:
                self.cluster.flow.step_mode = True  # drops a permit the last flow left unused
        self._poke()

    @property
    def step_mode(self) -> bool:
        return self._step_mode

    def set_step_mode(self, on: bool) -> None:
        """Gate the cluster (each shown step waits for 下一步), or let it run freely."""
        self._step_mode = on
        if self.cluster is None:
            return
        flow = self.cluster.flow
        if on:
            flow.step_filter = self._may_gate
            flow.step_mode = True
        else:
            flow.step_mode = False
            flow.step_filter = None
        with self._cond:
            self._owed = 0
        self._poke()

    def close(self) -> None:
        """Stop following and let the cluster run freely. The buttons still replay what was seen."""
        self.pause()
        if self._step_mode:
            self.set_step_mode(False)
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.flush()

    def _may_gate(self, event: FlowEvent) -> bool:
        with self._cond:
            f = self._filter
        return f.may_gate(event)

    def _on_event(self, event: FlowEvent) -> None:
        """On a component's thread: keep the step, never touch a widget."""
        with self._cond:
            f = self._filter
            s = f.classify(event)
            used = event.gated and self._owed > 0  # this event used the permit 下一步 released
            if used:
                self._owed -= 1
            if s is None:
                if used and self.cluster is not None:
                    # the released step turned out to be noise: release the next one
                    self._owed += 1
                    self.cluster.flow.step(1)
                return
            self._steps.append(s)
            if used:  # show the next step in order (an ungated one may have come first)
                self._shown = min(self._shown + 1, len(self._steps))
            self._cond.notify_all()
        self._poke()

    # -- the buttons ----------------------------------------------------------------------------
    def next(self) -> None:
        """下一步: show the next step already made; else (step mode) let the cluster make it."""
        with self._cond:
            if self._shown < len(self._steps):
                self._shown += 1
            elif self._step_mode and self.cluster is not None and not self._owed:
                self._owed = 1
                self.cluster.flow.step(1)
        self._poke()

    def previous(self) -> None:
        """上一步: show the step before (a replay; the cluster does not go back)."""
        with self._cond:
            self._shown = max(0, self._shown - 1)
        self._poke()

    def reset(self) -> None:
        """重置: back to before the first step, to replay what already happened."""
        self.pause()
        with self._cond:
            self._shown = 0
        self._poke()

    def play(self, seconds_per_step: float | None = None) -> None:
        """自动播放: press 下一步 every ``seconds_per_step`` (the speed slider) until stopped."""
        if seconds_per_step is not None:
            self.speed.value = seconds_per_step
        if self._player is not None and self._player.is_alive():
            return
        self._playing.set()
        self.play_button.value = True

        def run() -> None:
            while self._playing.is_set():
                self.next()
                time.sleep(max(0.05, float(self.speed.value)))
                with self._cond:
                    done = self._filter.complete and self._shown >= len(self._steps)
                if done:
                    break
            self._playing.clear()
            self.play_button.value = False

        self._player = threading.Thread(target=run, name="flowview-play", daemon=True)
        self._player.start()

    def pause(self) -> None:
        self._playing.clear()
        if self.play_button.value:
            self.play_button.value = False

    def step_to(self, until: str | Callable[[FlowStep], bool] | None = None, timeout: float = 30.0) -> FlowStep:
        """Press 下一步 from a cell until a step matches *until* (a text found in the step's action or
        phase, or a predicate; None: until the flow is complete) and return that step."""

        def hit(s: FlowStep) -> bool:
            if until is None:
                return False
            if callable(until):
                return until(s)
            return until in s.action or until == s.phase

        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                cur = self._steps[self._shown - 1] if self._shown else None
                if cur is not None and hit(cur) and self._shown > self._last_hit:
                    self._last_hit = self._shown
                    break
                if until is None and self._filter.complete and self._shown >= len(self._steps) and cur is not None:
                    break
                before = self._shown
            if time.monotonic() > deadline:
                self._live.flush()
                raise TimeoutError(f"{timeout} 秒内没有等到步骤 {until!r}（已显示 {before} 步）")
            self.next()
            with self._cond:
                self._cond.wait_for(lambda b=before: self._shown > b, timeout=0.5)  # type: ignore[misc]
        # render the step reached now: its poke may not have come yet (it follows the step's
        # shown count), so a plain flush could find nothing waiting
        self._live.poke()
        self._live.flush()
        assert cur is not None
        return cur

    def finish(self, timeout: float = 30.0) -> FlowSnapshot:
        """Step until the followed flow is complete; returns the final snapshot."""
        self.step_to(None, timeout)
        return self.snapshot

    # -- snapshots and rendering ----------------------------------------------------------------
    def take_snapshot(self) -> FlowSnapshot:
        with self._cond:
            f = self._filter
            return FlowSnapshot(
                nodes=self.nodes, steps=tuple(self._steps), shown=self._shown,
                target=f"{f.root_kind.lower()}/{f.root_name}" if f.root_kind else "", mode=f.mode,
                step_mode=self._step_mode, waiting=bool(self._owed), complete=f.complete,
            )

    def _poke(self) -> None:
        self._live.poke()

    def _refresh(self) -> None:
        self.render(self.take_snapshot())

    def flush(self) -> FlowSnapshot:
        """Render now (tests; the end of a cell)."""
        self._live.poke()
        self._live.flush()
        return self.snapshot

    def _build(self, interval: float) -> None:
        t = self.theme
        big = t.presenter
        btn = widgets.Layout(width="auto")
        self.prev_button = widgets.Button(description="上一步", icon="step-backward", layout=btn)
        self.next_button = widgets.Button(description="下一步", icon="step-forward", button_style="primary", layout=btn)
        self.play_button = widgets.ToggleButton(description="自动播放", icon="play", value=False, layout=btn)
        self.reset_button = widgets.Button(description="重置", icon="undo", layout=btn)
        self.speed = widgets.FloatSlider(value=interval, min=0.2, max=3.0, step=0.1, description="每步秒数",
                                         readout_format=".1f", continuous_update=False,
                                         style={"description_width": "initial"})
        self.status = widgets.HTML()
        self.prev_button.on_click(lambda _b: self.previous())
        self.next_button.on_click(lambda _b: self.next())
        self.reset_button.on_click(lambda _b: self.reset())

        def toggle(change: dict[str, Any]) -> None:
            if change["new"]:
                self.play()
            else:
                self._playing.clear()

        self.play_button.observe(toggle, names="value")
        controls = widgets.HBox([self.prev_button, self.next_button, self.play_button, self.speed,
                                 self.reset_button, self.status], layout=widgets.Layout(flex_flow="row wrap",
                                                                                        align_items="center"))
        boxes = list(self.pos)
        traces = [
            go.Scatter(  # 0: the history of shown steps, faint
                x=[], y=[], mode="lines", name="已走过的步骤", line={"color": FLOW_DONE, "width": 2},
                hoverinfo="skip", showlegend=False),
            go.Scatter(  # 1: the current step's path
                x=[], y=[], mode="lines", name="当前步骤", line={"color": FLOW_ACTIVE, "width": 5},
                hoverinfo="skip", showlegend=False),
            go.Scatter(  # 2: the components' names
                x=[self.pos[b][0] for b in boxes], y=[self.pos[b][1] for b in boxes], mode="text",
                text=[_label(b) for b in boxes], name="组件", customdata=boxes,
                textfont={"family": t.family, "size": t.small if not big else t.font},
                hovertext=boxes, hoverinfo="text", showlegend=False),
        ]
        shapes: list[dict[str, Any]] = []
        for node in self.nodes:  # a dashed frame around each node's kubelet and docker
            x, _ = self.pos[f"kubelet/{node}"]
            shapes.append({"type": "rect", "x0": x - _W - 0.15, "x1": x + _W + 0.15, "y0": 0.8 - _H - 0.35,
                           "y1": 2.4 + _H + 0.15, "line": {"color": FLOW_NODE, "dash": "dot", "width": 1},
                           "fillcolor": "rgba(0,0,0,0)", "layer": "below"})
        self._frame_count = len(shapes)
        for b in boxes:
            x, y = self.pos[b]
            shapes.append({"type": "rect", "x0": x - _W, "x1": x + _W, "y0": y - _H, "y1": y + _H,
                           "line": {"color": FLOW_EDGE, "width": 1.5}, "fillcolor": FLOW_BOX, "layer": "below"})
        self._boxes = boxes
        annotations = [
            {"x": self.pos[f"kubelet/{n}"][0], "y": 0.8 - _H - 0.22, "text": f"节点 {n}", "showarrow": False,
             "font": {"size": t.small, "color": MUTED}} for n in self.nodes
        ]
        self._fixed_annotations = annotations
        width, height = (1100, 660) if big else (760, 470)
        # Data and layout go into the constructor: the widget's first state is then the whole
        # diagram. Later edits travel as one-off messages that plotly's JavaScript model applies;
        # an edit that arrives before that (large, slowly loading) model is ready is lost, and a
        # figure built empty and filled by edits would stay blank. Every render replaces whole
        # properties (x, y, shapes, annotations), so the next one repairs a lost edit.
        self.fig = go.FigureWidget(data=traces, layout={
            "shapes": shapes, "annotations": annotations, "width": width, "height": height,
            "margin": {"l": 5, "r": 5, "t": 40, "b": 5}, "paper_bgcolor": "white", "plot_bgcolor": "white",
            "font": {"family": t.family, "size": t.font},
            "title": {"text": "", "font": {"size": t.title}, "x": 0.01},
            "xaxis": {"range": [0, 12.4], "visible": False, "fixedrange": True},
            "yaxis": {"range": [-0.2, 6.9], "visible": False, "fixedrange": True},
        })
        self.detail = widgets.HTML(layout=widgets.Layout(width="100%"))
        self.step_list = widgets.HTML(layout=widgets.Layout(width="100%"))
        side = widgets.VBox([self.detail, self.step_list],
                            layout=widgets.Layout(width="460px" if big else "380px", padding="0 0 0 8px"))
        self.widget = widgets.VBox([controls, widgets.HBox([self.fig, side])])
        self.widget.add_class("k8sedu-flow-view")

    def render(self, snapshot: FlowSnapshot) -> None:
        """Draw *snapshot*: pure, updates the widgets built in the constructor."""
        with self._render_lock:  # the Coalescer's timer and a cell's flush() may render at once
            self._render(snapshot)

    def _render(self, snapshot: FlowSnapshot) -> None:
        self.snapshot = snapshot
        t = self.theme
        cur = snapshot.current
        active = {cur.src_box, cur.dst_box} if cur is not None else set()
        hx: list[float | None] = []
        hy: list[float | None] = []
        for s in snapshot.steps[: max(snapshot.shown - 1, 0)]:
            seg = self._segment(s)
            if seg is not None:
                (x0, y0), (x1, y1) = seg
                hx += [x0, x1, None]
                hy += [y0, y1, None]
        annotations = list(self._fixed_annotations)
        cx: list[float] = []
        cy: list[float] = []
        if cur is not None:
            seg = self._segment(cur)
            label = f"第 {snapshot.shown} 步"
            if seg is not None:
                (x0, y0), (x1, y1) = seg
                cx, cy = [x0, x1], [y0, y1]
                annotations.append({"x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y", "axref": "x",
                                    "ayref": "y", "showarrow": True, "arrowhead": 3, "arrowsize": 1.6,
                                    "arrowwidth": 2.5, "arrowcolor": FLOW_ACTIVE, "text": ""})
                annotations.append({"x": (x0 + x1) / 2, "y": (y0 + y1) / 2, "text": label, "showarrow": False,
                                    "yshift": 12,
                                    "bgcolor": "rgba(255,255,255,0.9)", "bordercolor": FLOW_ACTIVE,
                                    "font": {"size": t.small, "color": FLOW_ACTIVE}})
            elif cur.src_box in self.pos:  # a step inside one component (预选、优选)
                x, y = self.pos[cur.src_box]
                annotations.append({"x": x, "y": y - _H - 0.3, "text": "⟳ " + label, "showarrow": False,
                                    "bgcolor": "rgba(255,255,255,0.9)", "bordercolor": FLOW_ACTIVE,
                                    "font": {"size": t.small, "color": FLOW_ACTIVE}})
        shapes = list(self.fig.layout.shapes)
        for i, b in enumerate(self._boxes):
            on = b in active
            shapes[self._frame_count + i] = {**shapes[self._frame_count + i].to_plotly_json(),
                                             "fillcolor": FLOW_ACTIVE_FILL if on else FLOW_BOX,
                                             "line": {"color": FLOW_ACTIVE if on else FLOW_EDGE, "width": 3 if on else 1.5}}
        title = _title(snapshot)
        if cur is not None:
            title += f" · 第 {snapshot.shown} 步：{html.escape(_short_action(cur))}"
        with self.fig.batch_update():
            self.fig.data[0].x, self.fig.data[0].y = hx, hy
            self.fig.data[1].x, self.fig.data[1].y = cx, cy
            self.fig.layout.shapes = shapes
            self.fig.layout.annotations = annotations
            self.fig.layout.title.text = title
        self.detail.value = _detail_html(snapshot, t)
        self.step_list.value = _list_html(snapshot, t)
        self.status.value = f'<span style="{t.css(t.small)}; color: {MUTED}">{html.escape(_status(snapshot))}</span>'
        self.next_button.disabled = False
        self.prev_button.disabled = snapshot.shown == 0
        self.renders += 1

    def _segment(self, s: FlowStep) -> tuple[tuple[float, float], tuple[float, float]] | None:
        a, b = self.pos.get(s.src_box), self.pos.get(s.dst_box)
        if a is None or b is None or a == b:
            return None
        return _clip(a, b), _clip(b, a)


FLOW_ACTIVE_FILL = "#fff3cd"
LIST_LENGTH = 12  # the side list shows the last steps: the current one is always in sight


def _clip(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Where the segment from box centre *a* to *b* leaves box *a*."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    ts = [_W / abs(dx) if dx else float("inf"), _H / abs(dy) if dy else float("inf")]
    t = min(ts) * 1.08
    return a[0] + dx * t, a[1] + dy * t


def _short_action(s: FlowStep) -> str:
    a = s.action
    if s.dst == "etcd":
        return f"{a.split(' ', 1)[0]} etcd（rev {s.revision}）"
    if a.startswith("watch "):
        return a
    if s.dst == "docker":
        return " ".join(a.split(" ")[:2]) if not a.startswith("create sandbox") else "create sandbox (pause)"
    if s.dst == "apiserver":
        verb, _, path = a.partition(" ")
        tail = path.rsplit("/", 1)[-1]
        return f"{verb} …/{tail}"
    return a


def _title(s: FlowSnapshot) -> str:
    what = {"create": "创建流程", "delete": "删除流程"}.get(s.mode, "等待 kubectl 的下一个请求")
    return f"{s.target} 的{what}" if s.target else what


def _status(s: FlowSnapshot) -> str:
    parts = [f"第 {s.shown} / {len(s.steps)} 步"]
    if s.step_mode:
        parts.append("单步模式：集群在等你按 下一步" if not s.waiting else "集群正在执行这一步…")
    if s.complete and s.shown >= len(s.steps):
        parts.append("流程结束")
    return " · ".join(parts)


def _detail_html(s: FlowSnapshot, t: Theme) -> str:
    cur = s.current
    if cur is None:
        body = ("用 kubectl（或 c.apply / c.delete）提交一个请求，然后按 <b>下一步</b>。"
                if not s.steps else f"已记录 {len(s.steps)} 步，按 <b>下一步</b> 从头回放。")
        return f'<div style="{t.css()}">{body}</div>'
    seeds = SEED_DELETE_STEPS if s.mode == "delete" else SEED_CREATE_STEPS
    flow = "删除流程" if s.mode == "delete" else "创建流程（相对详细版）"
    seed = (f"参考文章{flow}第 {cur.seed} 步：{html.escape(seeds.get(cur.seed, ''))}" if cur.seed
            else "参考文章没有这一步")
    facts = [f"<code>{html.escape(cur.src)} → {html.escape(cur.dst)}</code>",
             f"<code>{html.escape(cur.action)}</code>"]
    obj = f"{cur.kind} {cur.namespace + '/' if cur.namespace else ''}{cur.name}"
    if cur.revision is not None:
        obj += f"，revision {cur.revision}"
    facts.append("对象：" + html.escape(obj))
    if cur.node:
        facts.append("节点：" + html.escape(cur.node))
    if cur.container_id:
        facts.append("容器 ID：<code>" + html.escape(cur.container_id) + "</code>")
    if cur.phase:
        facts.append("phase：" + html.escape(cur.phase))
    return (f'<div style="{t.css()}; line-height: 1.5">'
            f'<div style="font-size: {t.title}px; color: {FLOW_ACTIVE}">第 {s.shown} 步</div>'
            f'<div class="flow-step-text">{html.escape(cur.text)}</div>'
            f'<div style="font-size: {t.small}px; margin-top: 4px">{"<br>".join(facts)}</div>'
            f'<div style="font-size: {t.small}px; color: {MUTED}; margin-top: 4px">{seed}</div></div>')


def _list_html(s: FlowSnapshot, t: Theme) -> str:
    rows = []
    for i, st in enumerate(s.steps[: s.shown], 1):
        colour = FLOW_ACTIVE if i == s.shown else "inherit"
        seed = f"（文 {st.seed}）" if st.seed else ""
        rows.append(f'<li style="color: {colour}">{html.escape(_short_action(st))} · '
                    f'{html.escape(st.kind)} {html.escape(st.name)}{seed}</li>')
    if not rows:
        return ""
    start = max(0, len(rows) - LIST_LENGTH)
    return (f'<ol start="{start + 1}" style="{t.css(t.small)}; padding-left: 2.2em; margin: 6px 0">'
            + "".join(rows[start:]) + "</ol>")
