"""ServiceView: requests from a client through kube-proxy to a Service's Pods, as kube-proxy really
routed them, with a live count per Pod.

Why from flow events: kube-proxy records one flow event per connection it relays (``kube-proxy →
pod/<name>``, with the client, the Service, the chosen endpoint, the mode and the rule that matched;
see :mod:`k8sedu.proxy.proxier`). Counting those events, not the replies, shows what the data path
did, including the refused connections when no endpoint is ready.

::

    client ──▶ kube-proxy（iptables · ipvs · ClientIP）──▶ Pod web-a  ███ 12
                                                     └──▶ Pod web-b  ██  8
                                                     └──▶ Pod web-c  ███ 10

The controls change the real cluster: the kube-proxy's mode, the Service's ``sessionAffinity``,
N requests sent through ``c.url("service/web")``, and deleting a Pod so its endpoint disappears.

::

    v = ServiceView.from_cluster(c, "service/web")
    v.widget
    v.send(30)              # what the 发送 button does
"""

from __future__ import annotations

import html
import json
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import plotly.graph_objects as go

from ..flow import FlowEvent
from .cluster_view import ClusterWatch
from .figure import StableFigure, fresh_figures, heal_stale_views
from .style import CHOSEN, ERROR_TEXT, MUTED, POD_STATUS_COLOURS, Theme, theme

if TYPE_CHECKING:
    from ..cluster import Cluster

__all__ = ["Connection", "ConnectionLog", "EndpointBox", "ServiceSnapshot", "ServiceView", "set_proxy_mode"]

#: connections drawn as recent paths (the newest thick, the others thin)
RECENT = 8
#: above this many endpoints the diagram labels them on hover only
LABEL_LIMIT = 24
ENDPOINT_STATES = ("ready", "notready", "terminating", "gone")
_STATE_COLOUR = {"ready": POD_STATUS_COLOURS["Ready"], "notready": POD_STATUS_COLOURS["NotReady"],
                 "terminating": POD_STATUS_COLOURS["Terminating"], "gone": "#bdc3c7"}
_STATE_ZH = {"ready": "就绪的 endpoint", "notready": "未就绪（不转发）", "terminating": "终止中（不转发）",
             "gone": "已不是 endpoint"}
_MODE_ZH = {"iptables": "iptables：随机（第 i 条规则以 1/(n−i) 的概率命中）", "ipvs": "ipvs：轮询（rr）"}


# -- the connections ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Connection:
    """One connection kube-proxy handled (one flow event)."""

    seq: int
    action: str  # "connect" | "connect failed" | "reject"
    client: str
    pod: str  # the Pod's name ("" when rejected)
    endpoint: str  # "10.244.1.5:80"
    mode: str
    rule: int | None = None
    of: int | None = None
    affinity: bool = False
    explain: str = ""

    @classmethod
    def from_event(cls, e: FlowEvent) -> Connection:
        d = e.detail
        pod = str(d.get("pod") or "").rpartition("/")[2] or (e.dst.removeprefix("pod/") if e.dst.startswith("pod/")
                                                              else "")
        return cls(e.seq, e.action, str(d.get("client", "")), pod if e.action != "reject" else "",
                   str(d.get("endpoint") or ""), str(d.get("mode", "")), d.get("rule"), d.get("endpoints"),
                   bool(d.get("affinity")), e.explain)


@dataclass
class ConnectionLog:
    """Counts one Service's connections from kube-proxy's flow events (fed one by one)."""

    namespace: str
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    recent: deque[Connection] = field(default_factory=lambda: deque(maxlen=RECENT))
    total: int = 0
    rejected: int = 0
    # guards counts, recent, total, rejected: fed from kube-proxy's flow thread, read by renders
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def matches(self, e: FlowEvent) -> bool:
        return (e.src == "kube-proxy" and e.kind == "Service" and e.name == self.name
                and e.namespace == self.namespace and e.action in ("connect", "connect failed", "reject"))

    def feed(self, e: FlowEvent) -> bool:
        """Count *e* if it is a connection of this Service; True if it was."""
        if not self.matches(e):
            return False
        conn = Connection.from_event(e)
        with self._lock:
            self.total += 1
            if conn.action == "connect":
                self.counts[conn.pod] = self.counts.get(conn.pod, 0) + 1
            else:
                self.rejected += 1
            self.recent.append(conn)
        return True

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()
            self.recent.clear()
            self.total = self.rejected = 0

    def copy(self) -> tuple[dict[str, int], tuple[Connection, ...], int, int]:
        with self._lock:
            return dict(self.counts), tuple(self.recent), self.total, self.rejected


# -- the snapshot ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EndpointBox:
    pod: str
    address: str  # "10.244.1.5:80" ("" once it is no endpoint)
    node: str
    state: str  # one of ENDPOINT_STATES
    count: int = 0
    recent: int = 0  # how many of the recent connections went here (the "pulse")


@dataclass(frozen=True)
class ServiceSnapshot:
    """One Service, its endpoints as kube-proxy sees them, and the connections counted so far."""

    service: str  # "default/web"
    cluster_ip: str
    port: int | None
    mode: str  # the kube-proxy's mode
    affinity: str  # "None" | "ClientIP"
    endpoints: tuple[EndpointBox, ...]
    recent: tuple[Connection, ...] = ()  # oldest first
    total: int = 0
    rejected: int = 0
    notes: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return {e.pod: e.count for e in self.endpoints}

    @property
    def latest(self) -> Connection | None:
        return self.recent[-1] if self.recent else None

    @classmethod
    def build(cls, service: Mapping[str, Any], slices: Iterable[Mapping[str, Any]], mode: str,
              counts: Mapping[str, int] | None = None, recent: Iterable[Connection] = (), total: int | None = None,
              rejected: int = 0) -> ServiceSnapshot:
        """From the Service, its EndpointSlices and the connection counts (pure)."""
        meta, spec = service.get("metadata") or {}, service.get("spec") or {}
        counts = dict(counts or {})
        recent = tuple(recent)
        ports = spec.get("ports") or []
        boxes: dict[str, EndpointBox] = {}
        name = meta.get("name", "")
        for s in slices:
            labels = (s.get("metadata") or {}).get("labels") or {}
            if labels.get("kubernetes.io/service-name") != name:
                continue
            slice_ports: list[Mapping[str, Any]] = list(s.get("ports") or [])
            port = slice_ports[0].get("port") if slice_ports else None
            for ep in s.get("endpoints") or []:
                ref = ep.get("targetRef") or {}
                pod = str(ref.get("name") or (ep.get("addresses") or ["?"])[0])
                cond = ep.get("conditions") or {}
                state = ("terminating" if cond.get("terminating") else
                         "ready" if cond.get("ready", True) else "notready")
                address = f"{(ep.get('addresses') or [''])[0]}:{port}" if port else (ep.get("addresses") or [""])[0]
                boxes[pod] = EndpointBox(pod, address, str(ep.get("nodeName") or ""), state)
        for pod in counts:
            if pod and pod not in boxes:
                boxes[pod] = EndpointBox(pod, "", "", "gone")
        hits: dict[str, int] = {}
        for c in recent:
            hits[c.pod] = hits.get(c.pod, 0) + 1
        eps = tuple(EndpointBox(b.pod, b.address, b.node, b.state, counts.get(b.pod, 0), hits.get(b.pod, 0))
                    for b in sorted(boxes.values(), key=lambda b: (b.state == "gone", b.pod)))
        return cls(f"{meta.get('namespace', 'default')}/{name}", str(spec.get("clusterIP", "")),
                   ports[0].get("port") if ports else None, mode, str(spec.get("sessionAffinity") or "None"), eps,
                   recent, sum(counts.values()) + rejected if total is None else total, rejected)


# -- changing the cluster ----------------------------------------------------------------------------
def set_proxy_mode(cluster: Cluster, mode: str) -> None:
    """Switch the running kube-proxy between iptables and ipvs (as restarting it with ``--proxy-mode``
    would; the round-robin positions and the affinity table carry over)."""
    if mode not in ("iptables", "ipvs"):
        raise ValueError('proxy mode must be "iptables" or "ipvs"')
    proxy = cluster.proxy
    proxy.mode = mode
    proxy.chooser.mode = mode
    cluster.proxy_mode = mode


# -- the view --------------------------------------------------------------------------------------
class ServiceView:
    """The load-balancing dashboard of one Service."""

    def __init__(self, snapshot: ServiceSnapshot | None = None, presenter: bool = False) -> None:
        self.theme: Theme = theme(presenter)
        t = self.theme
        self.snapshot: ServiceSnapshot | None = None
        self.renders = 0
        self._render_lock = threading.RLock()
        self.cluster: Cluster | None = None
        self.ref = ""
        self.namespace = "default"
        self.log: ConnectionLog | None = None
        self.watch: ClusterWatch | None = None
        self._unsubscribe: Any = None
        self._busy = threading.Lock()  # one batch of requests at a time

        self.header = widgets.HTML()
        self.explain = widgets.HTML()
        self.status = widgets.HTML()
        self.path_fig = StableFigure()
        self.count_fig = StableFigure()
        f = self.path_fig
        f.add_trace(go.Scatter(x=[], y=[], mode="lines", line={"color": "#d5dbdb", "width": 2}, hoverinfo="skip",
                               name="规则（rules）", showlegend=False))
        f.add_trace(go.Scatter(x=[], y=[], mode="lines", line={"color": CHOSEN, "width": 2}, opacity=0.35,
                               hoverinfo="skip", name="最近的连接", showlegend=False))
        f.add_trace(go.Scatter(x=[], y=[], mode="lines", line={"color": CHOSEN, "width": 6}, hoverinfo="skip",
                               name="最新的连接", showlegend=False))
        f.add_trace(go.Scatter(x=[], y=[], mode="markers+text", textposition="bottom center",
                               marker={"size": 34, "color": "#34495e", "symbol": "square"}, hoverinfo="text",
                               showlegend=False, name="组件", cliponaxis=False))
        for state in ENDPOINT_STATES:
            f.add_trace(go.Scatter(x=[], y=[], mode="markers+text", textposition="middle right", name=_STATE_ZH[state],
                                   marker={"size": 26, "color": _STATE_COLOUR[state], "line": {"width": 0}},
                                   hoverinfo="text", cliponaxis=False))
        self.count_fig.add_trace(go.Bar(x=[], y=[], textposition="outside", cliponaxis=False, name="请求数",
                                        hoverinfo="text"))
        self._bind()
        width = 1100 if t.presenter else 900
        f.update_layout(font={"family": t.family, "size": t.font}, paper_bgcolor="white", plot_bgcolor="white",
                        width=width, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                        xaxis={"visible": False, "range": [-0.35, 3.2]}, yaxis={"visible": False},
                        legend={"orientation": "h", "y": 0, "yanchor": "top", "font": {"size": t.small}})
        self.count_fig.update_layout(font={"family": t.family, "size": t.font}, paper_bgcolor="white",
                                     plot_bgcolor="white", width=width, height=340 if t.presenter else 280,
                                     margin={"l": 10, "r": 10, "t": 50, "b": 10},
                                     yaxis={"title": {"text": "请求数"}, "rangemode": "tozero", "gridcolor": "#eee"},
                                     xaxis={"automargin": True})
        self.controls = self._build_controls()
        self.widget = widgets.VBox([self.header, self.controls, self.status, self.path_fig, self.explain,
                                    self.count_fig])
        heal_stale_views(self, "path_fig")
        heal_stale_views(self, "count_fig")
        self.controls.layout.display = "none"
        if snapshot is not None:
            self.render(snapshot)

    def _bind(self) -> None:
        """Find the traces in the figures (built once, in this order, by the constructor)."""
        data = self.path_fig.data
        self._rules, self._recent, self._latest, self._components = data[:4]
        self._endpoint_traces: dict[str, Any] = dict(zip(ENDPOINT_STATES, data[4:], strict=True))
        self._bars = self.count_fig.data[0]

    # -- constructors ---------------------------------------------------------------------------
    @classmethod
    def from_cluster(cls, cluster: Cluster, ref: str = "service/web", namespace: str = "default",
                     presenter: bool = False) -> ServiceView:
        """Follow *ref* live: kube-proxy's connection events and the Service's EndpointSlices."""
        view = cls(presenter=presenter)
        view.cluster, view.ref, view.namespace = cluster, ref, namespace
        svc = cluster.get(ref, namespace)
        view.log = ConnectionLog(namespace, svc["metadata"]["name"])
        view.watch = ClusterWatch(cluster, ("services", "endpointslices"), view.refresh, namespace)
        view.watch.start()
        log = view.log

        def on_flow(e: FlowEvent) -> None:
            if log.feed(e) and view.watch is not None:
                view.watch.poke()

        view._unsubscribe = cluster.flow.subscribe(on_flow)
        view.controls.layout.display = ""
        view._sync_controls(view.snapshot_now())
        view.refresh()
        fresh_figures(view, "path_fig", "count_fig")
        return view

    def snapshot_now(self) -> ServiceSnapshot:
        if self.watch is None or self.log is None or self.cluster is None:
            raise ValueError("this view does not follow a cluster")
        name = self.log.name
        svc = next((s for s in self.watch.list("services") if s["metadata"]["name"] == name), None)
        if svc is None:
            svc = {"metadata": {"name": name, "namespace": self.namespace}, "spec": {}}
        counts, recent, total, rejected = self.log.copy()
        return ServiceSnapshot.build(svc, self.watch.list("endpointslices"), self.cluster.proxy.mode, counts, recent,
                                     total, rejected)

    def refresh(self) -> None:
        """Render the cluster's current state (what the live updates call)."""
        with self._render_lock:  # the pod list too: two threads setting its options at once break it
            snap = self.snapshot_now()
            self.render(snap)
            self._sync_pods(snap)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.watch is not None:
            self.watch.stop()

    # -- actions (the buttons) ------------------------------------------------------------------
    def send(self, n: int = 20, timeout: float = 5.0) -> dict[str, int]:
        """Send *n* HTTP requests through kube-proxy (``c.url``); returns replies per hostname."""
        cluster = self._require_cluster()
        url = cluster.url(self.ref, self.namespace)
        out: dict[str, int] = {}
        for _ in range(n):
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    words = resp.read(200).decode(errors="replace").split()
                host = words[0].removeprefix("hostname=") if words else "?"
            except OSError as e:
                host = f"错误：{type(e).__name__}"
            out[host] = out.get(host, 0) + 1
        cluster.proxy.flush_flows()  # so the counts include these requests when this returns
        return out

    def set_mode(self, mode: str) -> None:
        set_proxy_mode(self._require_cluster(), mode)
        if self.watch is not None:
            self.watch.poke()

    def set_affinity(self, affinity: str) -> str:
        """``"ClientIP"`` or ``"None"``: patches the Service's ``spec.sessionAffinity`` (kubectl patch)."""
        cluster = self._require_cluster()
        if affinity not in ("None", "ClientIP"):
            raise ValueError('sessionAffinity must be "None" or "ClientIP"')
        name = self.ref.partition("/")[2]
        out = cluster.kubectl(["patch", "service", name, "-n", self.namespace, "-p",
                               json.dumps({"spec": {"sessionAffinity": affinity}})])
        # wait until kube-proxy has programmed it, so the next connection already follows the new rule
        svc = cluster.get(f"service/{name}", self.namespace)
        port = ((svc.get("spec") or {}).get("ports") or [{}])[0].get("port")
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            sp = cluster.proxy.service_port(self.namespace, name, port) if port else None
            if sp is None or sp.affinity == (affinity == "ClientIP"):
                break
            cluster.proxy.wait_synced(timeout=0.2)
            time.sleep(0.02)
        return out

    def delete_pod(self, name: str) -> None:
        self._require_cluster().delete(f"pod/{name}", namespace=self.namespace)

    def reset_counts(self) -> None:
        if self.log is not None:
            self.log.reset()
        if self.watch is not None:
            self.watch.poke()

    def _require_cluster(self) -> Cluster:
        if self.cluster is None:
            raise ValueError("this view was built from a snapshot: it has no cluster to change")
        return self.cluster

    # -- controls -------------------------------------------------------------------------------
    def _build_controls(self) -> widgets.Widget:
        t = self.theme
        style = {"description_width": "initial"}
        bstyle = {"font_size": f"{t.font}px", "font_family": t.family}
        self.mode = widgets.ToggleButtons(options=[("iptables（随机）", "iptables"), ("ipvs（轮询）", "ipvs")],
                                          description="kube-proxy 模式", style=style)
        self.affinity = widgets.ToggleButtons(options=[("无（None）", "None"), ("ClientIP", "ClientIP")],
                                              description="会话亲和（sessionAffinity）", style=style)
        self.count = widgets.BoundedIntText(value=30, min=1, max=500, description="请求数 N",
                                            layout=widgets.Layout(width="12em"), style=style)
        self.send_button = widgets.Button(description="发送 N 个请求", button_style="primary", style=bstyle,
                                          layout=widgets.Layout(width="auto"))
        self.pod_pick = widgets.Dropdown(options=[], description="Pod", style=style,
                                         layout=widgets.Layout(width="auto", min_width="18em"))
        self.delete_button = widgets.Button(description="删除这个 Pod", button_style="danger", style=bstyle,
                                            layout=widgets.Layout(width="auto"))
        self.reset_button = widgets.Button(description="计数清零", style=bstyle, layout=widgets.Layout(width="auto"))
        self._loading = False

        def background(fn: Any, done: str) -> None:
            def run() -> None:
                try:
                    result = fn()
                except Exception as e:  # noqa: BLE001 - show it in the dashboard, never kill the thread silently
                    self.status.value = _note(self.theme, f"出错：{e}", ERROR_TEXT)
                else:
                    self.status.value = _note(self.theme, done.format(result=result))
                finally:
                    if self._busy.locked():
                        self._busy.release()
            if not self._busy.acquire(blocking=False):
                self.status.value = _note(self.theme, "上一个操作还没完成，请稍等。")
                return
            threading.Thread(target=run, daemon=True, name="service-view").start()

        def on_mode(change: Any) -> None:
            if not self._loading:
                background(lambda: self.set_mode(change["new"]), f"kube-proxy 已切换到 {change['new']} 模式。")

        def on_affinity(change: Any) -> None:
            if not self._loading:
                background(lambda: self.set_affinity(change["new"]).strip(), "{result}（sessionAffinity="
                           + change["new"] + "）")

        self.mode.observe(on_mode, "value")
        self.affinity.observe(on_affinity, "value")
        self.send_button.on_click(lambda _b: background(lambda: _replies(self.send(self.count.value)),
                                                        "已发送：{result}"))
        def on_delete(_b: Any) -> None:
            pod = self.pod_pick.value
            if pod:
                background(lambda: self.delete_pod(pod), f"已删除 Pod {pod}：看它的 endpoint 消失，"
                                                         "ReplicaSet 再补上一个新的。")

        self.delete_button.on_click(on_delete)
        self.reset_button.on_click(lambda _b: self.reset_counts())
        return widgets.VBox([widgets.HBox([self.mode]), widgets.HBox([self.affinity]),
                             widgets.HBox([self.count, self.send_button, self.reset_button]),
                             widgets.HBox([self.pod_pick, self.delete_button])])

    def _sync_controls(self, s: ServiceSnapshot) -> None:
        with self._render_lock:  # the live timer's refresh() may be syncing the pod list right now
            self._loading = True
            try:
                self.mode.value = s.mode if s.mode in ("iptables", "ipvs") else "iptables"
                self.affinity.value = s.affinity if s.affinity in ("None", "ClientIP") else "None"
            finally:
                self._loading = False
            self._sync_pods(s)

    def _sync_pods(self, s: ServiceSnapshot) -> None:
        pods = [e.pod for e in s.endpoints if e.state != "gone"]
        if list(self.pod_pick.options) != pods:
            keep = self.pod_pick.value if self.pod_pick.value in pods else (pods[0] if pods else None)
            self.pod_pick.options = pods
            self.pod_pick.value = keep

    # -- render ---------------------------------------------------------------------------------
    def render(self, snapshot: ServiceSnapshot) -> None:
        """Draw *snapshot*. Serialized: the live timer thread and the notebook's thread both render,
        and two interleaved ``batch_update()``s would leave the browser's figure out of step."""
        with self._render_lock:
            self._render(snapshot)

    def _render(self, snapshot: ServiceSnapshot) -> None:
        """Draw *snapshot*: trait updates on the traces built once."""
        t = self.theme
        self.snapshot = snapshot
        self.renders += 1
        eps = snapshot.endpoints
        n = len(eps)
        ys = {e.pod: (1.0 - 2.0 * i / (n - 1) if n > 1 else 0.0) for i, e in enumerate(eps)}
        px, cx, ex = 1.0, 0.0, 2.0  # kube-proxy, client, endpoints
        labelled = n <= LABEL_LIMIT
        live = [e for e in eps if e.state != "gone"]
        rule_x: list[float | None] = [cx, px, None]
        rule_y: list[float | None] = [0.0, 0.0, None]
        for e in live:
            rule_x += [px, ex, None]
            rule_y += [0.0, ys[e.pod], None]
        recent_x: list[float | None] = []
        recent_y: list[float | None] = []
        for c in snapshot.recent[:-1]:
            if c.pod in ys:
                recent_x += [px, ex, None]
                recent_y += [0.0, ys[c.pod], None]
        latest = snapshot.latest
        mode_zh = _MODE_ZH.get(snapshot.mode, snapshot.mode)
        with self.path_fig.batch_update():
            self._rules.x, self._rules.y = rule_x, rule_y
            self._recent.x, self._recent.y = recent_x, recent_y
            if latest is not None and latest.pod in ys:
                self._latest.x, self._latest.y = [cx, px, ex], [0.0, 0.0, ys[latest.pod]]
                self._latest.line.color = CHOSEN
            elif latest is not None:  # refused: the path stops at kube-proxy
                self._latest.x, self._latest.y = [cx, px], [0.0, 0.0]
                self._latest.line.color = ERROR_TEXT
            else:
                self._latest.x, self._latest.y = [], []
            # set here, not in the constructor: a figure's first state can be lost in the browser
            self._components.x, self._components.y = [cx, px], [0.0, 0.0]
            self._components.text = [f"客户端<br>{latest.client if latest else '127.0.0.1'}",
                                     f"kube-proxy<br>{snapshot.mode}"
                                     + ("<br>ClientIP 亲和" if snapshot.affinity == "ClientIP" else "")]
            self._components.hovertext = ["发请求的一方（本机 127.0.0.1）",
                                          f"kube-proxy（{mode_zh}）<br>Service {snapshot.service} "
                                          f"{snapshot.cluster_ip}:{snapshot.port}"]
            self._components.textfont = {"size": t.font, "family": t.family}
            self._components.marker.size = 44 if t.presenter else 34
            for state, trace in self._endpoint_traces.items():
                group = [e for e in eps if e.state == state]
                trace.x = [ex] * len(group)
                trace.y = [ys[e.pod] for e in group]
                trace.text = [f"{e.pod}  {e.count} 次" for e in group] if labelled else []
                trace.mode = "markers+text" if labelled else "markers"
                trace.hovertext = [f"Pod {e.pod}<br>endpoint {e.address or '—'}（{e.node or '—'}）<br>"
                                   f"{_STATE_ZH[state]}，收到 {e.count} 个请求" for e in group]
                base = (34 if t.presenter else 26) if labelled else 8
                trace.marker.size = [base + (10 if t.presenter else 8) * min(e.recent, 3) for e in group]
                trace.textfont = {"size": t.small, "family": t.family}
                trace.showlegend = bool(group)
            self.path_fig.layout.title = {"text": f"客户端 → kube-proxy → Service {snapshot.service} 的 endpoint"
                                                  f"（{len([e for e in live if e.state == 'ready'])} 个就绪）",
                                          "font": {"size": t.title}}
            self.path_fig.layout.height = int(max(300, min(900, (70 if t.presenter else 52) * max(n, 3) + 120)))
            self.path_fig.layout.yaxis.range = [-1.35, 1.35]
        names = [e.pod for e in eps]
        with self.count_fig.batch_update():
            self._bars.x = names
            self._bars.y = [e.count for e in eps]
            self._bars.text = [str(e.count) for e in eps] if labelled else []
            self._bars.hovertext = [f"{e.pod}：{e.count} 次（{_STATE_ZH[e.state]}）" for e in eps]
            self._bars.marker.color = [_STATE_COLOUR[e.state] for e in eps]
            self._bars.textfont = {"size": t.font, "family": t.family}
            self.count_fig.layout.title = {"text": f"每个 Pod 收到的请求数（共 {snapshot.total} 个连接"
                                                   + (f"，{snapshot.rejected} 个被拒绝" if snapshot.rejected else "")
                                                   + "）", "font": {"size": t.title}}
            self.count_fig.layout.xaxis.showticklabels = labelled
            self.count_fig.layout.yaxis.range = [0, max([e.count for e in eps], default=0) * 1.25 + 1]
        self.header.value = (f"<div style=\"{t.css(t.title)}\">Service {html.escape(snapshot.service)}"
                             f"（ClusterIP {html.escape(snapshot.cluster_ip or '—')}"
                             f"{':' + str(snapshot.port) if snapshot.port else ''}）</div>"
                             f"<div style=\"{t.css(t.small)}; color: {MUTED}\">kube-proxy 模式：{html.escape(mode_zh)}"
                             f"；会话亲和（sessionAffinity）：{html.escape(snapshot.affinity)}</div>")
        if latest is None:
            self.explain.value = _note(t, "还没有请求：按“发送 N 个请求”，看 kube-proxy 把每个连接转发给哪个 Pod。")
        else:
            colour = ERROR_TEXT if latest.action != "connect" else "inherit"
            self.explain.value = _note(t, f"第 {snapshot.total} 个连接（flow #{latest.seq}）：{latest.explain}", colour)


def _replies(by_host: Mapping[str, int]) -> str:
    return "，".join(f"{h} {n} 次" for h, n in sorted(by_host.items()))


def _note(t: Theme, text: str, colour: str = "inherit") -> str:
    return f"<div style=\"{t.css()}; color: {colour}\">{html.escape(text)}</div>"
