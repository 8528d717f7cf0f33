"""RolloutView: a Deployment's old and new ReplicaSets over time, during a rolling update and a
rollback — desired size, ready and available Pods, sampled from the live cluster.

Why sizes over time: a rolling update is the Deployment controller scaling two ReplicaSets in
steps bounded by ``maxSurge`` and ``maxUnavailable``; the crossing lines show it better than any
sentence. A rollback is the same dance back to an older ReplicaSet (upstream gives it a new
revision number; its pod-template-hash, and so its name, stays the same).

::

    v = RolloutView.from_cluster(c, "deployment/web")
    v.widget
    c.kubectl("set image deployment/web web=k8sedu/web:v2")    # the lines cross
    c.kubectl("rollout undo deployment/web")                   # and cross back

``RolloutRecorder`` keeps the samples (one per ReplicaSet whenever one of its numbers changes);
``RolloutSnapshot`` is what ``render`` draws.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import plotly.graph_objects as go

from .cluster_view import ClusterWatch
from .figure import StableFigure, fresh_figures, heal_stale_views
from .style import MUTED, SERIES, Theme, theme

if TYPE_CHECKING:
    from ..cluster import Cluster

__all__ = ["RSSample", "RolloutMark", "RolloutSnapshot", "RolloutRecorder", "RolloutView"]

REVISION = "deployment.kubernetes.io/revision"


@dataclass(frozen=True)
class RSSample:
    """One ReplicaSet's numbers at time *t* (seconds since the recording started)."""

    t: float
    name: str
    revision: str
    image: str
    desired: int  # spec.replicas
    current: int  # status.replicas
    ready: int
    available: int

    @property
    def numbers(self) -> tuple[int, int, int, int]:
        return (self.desired, self.current, self.ready, self.available)


@dataclass(frozen=True)
class RolloutMark:
    t: float
    text: str


@dataclass(frozen=True)
class RolloutSnapshot:
    deployment: str  # "default/web"
    now: float
    samples: tuple[RSSample, ...]  # in time order
    marks: tuple[RolloutMark, ...] = ()
    replicas: int = 0  # the Deployment's spec.replicas
    updated: int = 0
    ready: int = 0
    available: int = 0
    current_rs: str = ""  # the ReplicaSet of the current template (the "new" one)
    strategy: str = ""
    message: str = ""  # the Progressing condition's message

    @property
    def replicasets(self) -> list[str]:
        """ReplicaSet names in order of first appearance."""
        return list(dict.fromkeys(s.name for s in self.samples))

    def series(self, rs: str) -> list[RSSample]:
        return [s for s in self.samples if s.name == rs]

    def latest(self, rs: str) -> RSSample | None:
        series = self.series(rs)
        return series[-1] if series else None


def _owned_by(rs: Mapping[str, Any], uid: str) -> bool:
    return any(r.get("uid") == uid and r.get("controller") for r in rs["metadata"].get("ownerReferences") or [])


def _image(obj: Mapping[str, Any]) -> str:
    containers = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    return ", ".join(str(c.get("image", "")) for c in containers)


class RolloutRecorder:
    """Turns successive (Deployment, ReplicaSets) states into samples and marks. Thread-safe."""

    def __init__(self, namespace: str, name: str, start: float = 0.0) -> None:
        self.namespace, self.name, self.start = namespace, name, start
        # guards everything below: observe() runs on the watch's timer thread, snapshot() anywhere
        self._lock = threading.Lock()
        self._samples: list[RSSample] = []
        self._marks: list[RolloutMark] = []
        self._last: dict[str, tuple[int, int, int, int]] = {}
        self._revision = ""
        self._was_current: set[str] = set()
        self._deployment: Mapping[str, Any] = {}
        self._current_rs = ""
        self._now = 0.0

    def observe(self, deployment: Mapping[str, Any] | None, replicasets: Iterable[Mapping[str, Any]],
                now: float) -> None:
        """Record the state at *now* (cluster seconds): a sample per ReplicaSet whose numbers changed."""
        t = now - self.start
        with self._lock:
            self._now = max(self._now, t)
            if deployment is None:
                return
            self._deployment = deployment
            uid = deployment["metadata"].get("uid", "")
            template_image = _image(deployment)
            owned = [rs for rs in replicasets if _owned_by(rs, uid)]
            revision = (deployment["metadata"].get("annotations") or {}).get(REVISION, "")
            current = ""
            for rs in sorted(owned, key=lambda r: r["metadata"]["name"]):
                m, spec, st = rs["metadata"], rs.get("spec") or {}, rs.get("status") or {}
                rev = (m.get("annotations") or {}).get(REVISION, "")
                if rev and rev == revision:
                    current = m["name"]
                numbers = (int(spec.get("replicas") or 0), int(st.get("replicas") or 0),
                           int(st.get("readyReplicas") or 0), int(st.get("availableReplicas") or 0))
                if self._last.get(m["name"]) != numbers:
                    self._last[m["name"]] = numbers
                    self._samples.append(RSSample(t, m["name"], rev, _image(rs), *numbers))
            if revision and revision != self._revision:
                if self._revision:
                    again = current in self._was_current  # its template was the Deployment's before
                    verb = "回滚（rollback）到" if again else "滚动更新（rolling update）到"
                    self._marks.append(RolloutMark(t, f"{verb} revision {revision}：{template_image}"))
                self._revision = revision
            if current:
                self._current_rs = current
                self._was_current.add(current)

    def snapshot(self) -> RolloutSnapshot:
        with self._lock:
            d = self._deployment
            spec, st = d.get("spec") or {}, d.get("status") or {}
            strategy = spec.get("strategy") or {}
            ru = strategy.get("rollingUpdate") or {}
            strat = str(strategy.get("type", "RollingUpdate"))
            if strat == "RollingUpdate":
                strat += f"（maxSurge {ru.get('maxSurge', '25%')}，maxUnavailable {ru.get('maxUnavailable', '25%')}）"
            progressing: Mapping[str, Any] = next((c for c in st.get("conditions") or [] if c.get("type") == "Progressing"), {})
            return RolloutSnapshot(f"{self.namespace}/{self.name}", self._now, tuple(self._samples),
                                   tuple(self._marks), int(spec.get("replicas") or 0),
                                   int(st.get("updatedReplicas") or 0), int(st.get("readyReplicas") or 0),
                                   int(st.get("availableReplicas") or 0), self._current_rs, strat,
                                   str(progressing.get("message", "")))


class RolloutView:
    """Lines per ReplicaSet: desired size (solid, stepped) and available Pods (dotted)."""

    def __init__(self, snapshot: RolloutSnapshot | None = None, presenter: bool = False) -> None:
        self.theme: Theme = theme(presenter)
        t = self.theme
        self.snapshot: RolloutSnapshot | None = None
        self.renders = 0
        self._render_lock = threading.RLock()
        self.recorder: RolloutRecorder | None = None
        self.watch: ClusterWatch | None = None
        self.header = widgets.HTML()
        self.table = widgets.HTML()
        self.fig = StableFigure()
        self._lines: list[tuple[Any, Any]] = []  # (desired, available) per ReplicaSet, grown as needed
        self.fig.update_layout(
            font={"family": t.family, "size": t.font}, paper_bgcolor="white", plot_bgcolor="white",
            width=1100 if t.presenter else 900, height=460 if t.presenter else 380,
            margin={"l": 10, "r": 10, "t": 60, "b": 10},
            xaxis={"title": {"text": "时间（秒，集群时钟）"}, "gridcolor": "#eee", "rangemode": "tozero"},
            yaxis={"title": {"text": "Pod 数"}, "gridcolor": "#eee", "rangemode": "tozero", "dtick": 1},
            legend={"orientation": "h", "y": -0.18, "yanchor": "top", "font": {"size": t.small}},
            title={"text": "ReplicaSet 的规模随时间变化：实线 = 期望副本数，虚线 = 可用（available）", "font": {"size": t.title}})
        self.widget = widgets.VBox([self.header, self.fig, self.table])
        heal_stale_views(self, "fig")
        if snapshot is not None:
            self.render(snapshot)

    @classmethod
    def from_cluster(cls, cluster: Cluster, ref: str = "deployment/web", namespace: str = "default",
                     presenter: bool = False) -> RolloutView:
        """Sample *ref*'s ReplicaSets whenever they change (coalesced: at most ~10 times a second)."""
        view = cls(presenter=presenter)
        name = ref.partition("/")[2] or ref
        view.recorder = RolloutRecorder(namespace, name, start=cluster.clock.now())
        view.watch = ClusterWatch(cluster, ("deployments", "replicasets"), view._sample, namespace)
        view.watch.start()
        view.sample()
        fresh_figures(view, "fig")
        return view

    def sample(self) -> RolloutSnapshot:
        """Record the cluster's current state and draw it."""
        w, rec = self.watch, self.recorder
        if w is None or rec is None:
            raise ValueError("this view does not follow a cluster")
        dep = next((d for d in w.list("deployments") if d["metadata"]["name"] == rec.name), None)
        rec.observe(dep, w.list("replicasets"), w.cluster.clock.now())
        snap = rec.snapshot()
        self.render(snap)
        return snap

    def _sample(self) -> None:
        self.sample()

    def close(self) -> None:
        if self.watch is not None:
            self.watch.stop()

    def _bind(self) -> None:
        """Find the (desired, available) trace pairs in the figure (added in pairs by _ensure_lines)."""
        data = self.fig.data
        self._lines = list(zip(data[0::2], data[1::2], strict=True))

    def _ensure_lines(self, n: int) -> None:
        while len(self._lines) < n:
            i = len(self._lines)
            colour = SERIES[i % len(SERIES)]
            self.fig.add_trace(go.Scatter(x=[], y=[], mode="lines+markers", line={"shape": "hv", "width": 3,
                                                                                  "color": colour}, marker={"size": 5}))
            self.fig.add_trace(go.Scatter(x=[], y=[], mode="lines", line={"shape": "hv", "width": 2, "dash": "dot",
                                                                          "color": colour}, showlegend=False))
            self._lines.append((self.fig.data[-2], self.fig.data[-1]))

    def render(self, snapshot: RolloutSnapshot) -> None:
        """Draw *snapshot*. Serialized: the live timer thread and the notebook's thread both render,
        and two interleaved ``batch_update()``s would leave the browser's figure out of step."""
        with self._render_lock:
            self._render(snapshot)

    def _render(self, snapshot: RolloutSnapshot) -> None:
        """Draw *snapshot*: trait updates (traces are only added, outside the batch, for new ReplicaSets)."""
        t = self.theme
        self.snapshot = snapshot
        self.renders += 1
        names = snapshot.replicasets
        self._ensure_lines(len(names))
        top = 1
        with self.fig.batch_update():
            for i, (desired, available) in enumerate(self._lines):
                if i >= len(names):
                    desired.visible = available.visible = False
                    continue
                rs = names[i]
                series = snapshot.series(rs)
                xs = [s.t for s in series] + [snapshot.now]
                last = series[-1]
                role = "新" if rs == snapshot.current_rs else "旧"
                label = f"{role} ReplicaSet {rs}（revision {last.revision or '?'}，{last.image}）"
                desired.x, desired.y = xs, [s.desired for s in series] + [last.desired]
                available.x, available.y = xs, [s.available for s in series] + [last.available]
                desired.name, available.name = f"{label} 期望", f"{rs} 可用"
                desired.line.width = 4 if rs == snapshot.current_rs else 2
                desired.visible = available.visible = True
                desired.hovertemplate = f"{rs}<br>%{{x:.1f}} 秒：期望 %{{y}}<extra></extra>"
                available.hovertemplate = f"{rs}<br>%{{x:.1f}} 秒：可用 %{{y}}<extra></extra>"
                top = max([top, *desired.y, *available.y])
            self.fig.layout.shapes = [{"type": "line", "x0": m.t, "x1": m.t, "yref": "paper", "y0": 0, "y1": 1,
                                       "line": {"color": MUTED, "dash": "dash", "width": 1}} for m in snapshot.marks]
            self.fig.layout.annotations = [{"x": m.t, "yref": "paper", "y": 1.0, "text": m.text, "showarrow": False,
                                            "xanchor": "left", "yanchor": "top", "textangle": 0,
                                            "font": {"size": t.small, "family": t.family, "color": MUTED},
                                            "bgcolor": "rgba(255,255,255,0.8)"} for m in snapshot.marks[-3:]]
            self.fig.layout.yaxis.range = [0, top + 1.5]
            self.fig.layout.yaxis.dtick = 1 if top <= 12 else None
            self.fig.layout.xaxis.range = [0, max(snapshot.now, 1.0) * 1.02]
        done = snapshot.updated == snapshot.replicas and snapshot.available == snapshot.replicas
        state = "已完成" if done else "进行中"
        self.header.value = (
            f"<div style=\"{t.css(t.title)}\">Deployment {html.escape(snapshot.deployment)}：期望 {snapshot.replicas}，"
            f"已更新 {snapshot.updated}，就绪 {snapshot.ready}，可用 {snapshot.available}（{state}）</div>"
            f"<div style=\"{t.css(t.small)}; color: {MUTED}\">策略（strategy）：{html.escape(snapshot.strategy)}"
            + (f"；{html.escape(snapshot.message)}" if snapshot.message else "") + "</div>")
        self.table.value = _rs_table(snapshot, t)


def _rs_table(s: RolloutSnapshot, t: Theme) -> str:
    head = "".join(f"<th style='text-align:left;padding:2px 10px'>{h}</th>"
                   for h in ("ReplicaSet", "REVISION", "镜像（image）", "DESIRED", "CURRENT", "READY", "AVAILABLE"))
    rows = []
    for rs in reversed(s.replicasets):
        last = s.latest(rs)
        if last is None:
            continue
        weight = "bold" if rs == s.current_rs else "normal"
        cells = (rs + ("（新）" if rs == s.current_rs else ""), last.revision, last.image, str(last.desired),
                 str(last.current), str(last.ready), str(last.available))
        rows.append(f"<tr style='font-weight:{weight}'>" + "".join(
            f"<td style='padding:2px 10px'>{html.escape(c)}</td>" for c in cells) + "</tr>")
    return (f"<table style=\"{t.css(t.small)}; border-collapse: collapse\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")
