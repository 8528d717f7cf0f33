"""Classroom demos: one call starts a cluster and returns a dashboard with buttons a teacher clicks.

Why a module and not notebook code: a demo in front of a class must start from ONE cell, and its
buttons must be testable without a kernel. Each function here starts its own :class:`Cluster`,
builds a view in presenter mode (large type) and returns a :class:`Demo`, an ``ipywidgets.VBox``
that also carries the cluster, the view and the actions behind the buttons::

    from k8sedu import demos
    d = demos.self_healing()          # the cell's last line displays it
    d.act("删除一个 Pod")              # what the button does (the button runs it in a thread)
    d.stop()                          # closes the views, stops the cluster

The buttons only change the cluster through the apiserver (kubectl) or inject faults
(``c.node("node-2").fail()``, killing a container as ``docker kill`` would); the views follow.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go

from .cluster import Cluster
from .viz import ClusterView, RolloutView, SchedulerView, ServiceView
from .viz.figure import StableFigure
from .viz.style import ERROR_TEXT, MUTED, Theme, theme

__all__ = ["Demo", "ScalingChart", "self_healing", "autoscaling", "rolling_update", "scheduler", "load_balancing"]

Action = Callable[[], str]

_WEB = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  minReadySeconds: {min_ready}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: k8sedu/web:v1
        ports:
        - containerPort: 80
        resources:
          requests: {{cpu: 100m}}
          limits: {{cpu: 200m}}
      tolerations:
      - {{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 30}}
      - {{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {{app: web}}
  ports:
  - port: 80
"""


def _web(cluster: Cluster, replicas: int, min_ready: int = 0) -> None:
    """The Deployment ``web`` (image k8sedu/web:v1) and its Service, and wait until it is Available."""
    cluster.kubectl("apply -f -", stdin=_WEB.format(replicas=replicas, min_ready=min_ready))
    cluster.wait("deployment/web", "Available", timeout=90)


def _live_pods(cluster: Cluster, selector: str = "app=web") -> list[dict[str, Any]]:
    return sorted((p for p in cluster.get("pods", selector=selector) if not p["metadata"].get("deletionTimestamp")),
                  key=lambda p: p["metadata"]["name"])


class Demo(widgets.VBox):
    """A demo's widget: a title line, the buttons, a status line and the view(s).

    ``actions`` maps each button's label to what it does (a function returning the sentence shown in
    the status line); ``act(label)`` runs one synchronously (tests), a click runs it in a thread
    so the notebook stays responsive. ``stop()`` closes the views and stops the cluster (idempotent).
    """

    def __init__(self, cluster: Cluster, title: str, body: list[Any], views: list[Any],
                 actions: dict[str, Action], presenter: bool = True, danger: tuple[str, ...] = (),
                 on_stop: Callable[[], None] | None = None) -> None:
        t: Theme = theme(presenter)
        self.cluster, self.views, self.actions, self.theme = cluster, views, actions, t
        self._on_stop = on_stop
        self._busy = threading.Lock()
        self.stopped = False
        self.header = widgets.HTML(
            f'<div style="{t.css(t.title)}"><b>{html.escape(title)}</b>'
            f'<span style="color:{MUTED}; {t.css(t.small)}">　容器运行时：{html.escape(cluster.runtime_name)}'
            f"　节点：{html.escape('、'.join(cluster.node_names))}</span></div>")
        self.status = widgets.HTML(self._line("点击上面的按钮，看下面的图怎么变化。"))
        self.buttons: dict[str, widgets.Button] = {}
        for label in [*actions, "停止集群"]:
            style = "danger" if label in danger else ("warning" if label == "停止集群" else "primary")
            b = widgets.Button(description=label, button_style=style,
                               layout=widgets.Layout(width="auto", height="56px" if presenter else "32px"))
            b.style.font_size = f"{t.font}px"
            b.on_click(lambda _b, label=label: self._click(label))
            self.buttons[label] = b
        row = widgets.HBox(list(self.buttons.values()), layout=widgets.Layout(flex_flow="row wrap", grid_gap="8px"))
        super().__init__([self.header, row, self.status, *body])

    def _line(self, text: str, colour: str = "#333") -> str:
        return f'<div style="{self.theme.css()}; color:{colour}">{html.escape(text)}</div>'

    def act(self, label: str) -> str:
        """Run the action behind button *label* now; returns (and shows) its sentence."""
        if label == "停止集群":
            self.stop()
            return "集群已停止。"
        message = self.actions[label]()
        self.status.value = self._line(message)
        return message

    def _click(self, label: str) -> None:
        if not self._busy.acquire(blocking=False):
            self.status.value = self._line("上一个操作还没做完，请稍等。", MUTED)
            return
        self.status.value = self._line(f"正在执行：{label} ……", MUTED)

        def run() -> None:
            try:
                message = self.act(label)
                self.status.value = self._line(message)
            except Exception as e:  # shown to the teacher, never a silent dead thread
                self.status.value = self._line(f"{label} 失败：{e}", ERROR_TEXT)
            finally:
                self._busy.release()

        threading.Thread(target=run, name=f"demo-{label}", daemon=True).start()

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self._on_stop is not None:
            self._on_stop()
        for v in self.views:
            close = getattr(v, "close", None)  # SchedulerView follows nothing: no close()
            if close is not None:
                close()
        self.cluster.stop()
        for b in self.buttons.values():
            b.disabled = True
        self.status.value = self._line("集群已停止。", MUTED)


def _start(nodes: int, runtime: str, speed: float = 1.0) -> Cluster:
    return Cluster(nodes=nodes, runtime=runtime, speed=speed).start()


# -- 自我修复 -------------------------------------------------------------------------------------
def self_healing(presenter: bool = True, runtime: str = "auto", replicas: int = 6, speed: float = 20) -> Demo:
    """Deployment web (6 replicas, tolerating NotReady for 30 s) on 3 nodes, and the ClusterView.
    Buttons: delete a Pod, kill a Pod's container, fail node-2, recover node-2."""
    c = _start(3, runtime, speed)
    try:
        _web(c, replicas)
        view = ClusterView.from_cluster(c, presenter=presenter)
    except BaseException:
        c.stop()
        raise

    def delete_pod() -> str:
        pods = _live_pods(c)
        if not pods:
            return "现在没有可以删除的 Pod。"
        name = pods[0]["metadata"]["name"]
        c.delete(f"pod/{name}")
        return f"已删除 Pod {name}：ReplicaSet 控制器发现少了一个，马上创建替补。"

    def kill_container() -> str:
        for p in _live_pods(c):
            name = p["metadata"]["name"]
            for ct in c.containers():
                if ct.pod_name == name and not ct.is_sandbox and ct.state == "running":
                    c.runtime.kill_container(ct.id)
                    return (f"已杀死 Pod {name} 的容器 {ct.container_name}（像 docker kill）：Pod 还在，"
                            "kubelet 会按 restartPolicy 重启容器，RESTARTS 加 1。")
        return "没有找到正在运行的容器。"

    def fail_node() -> str:
        c.node("node-2").fail()
        return ("node-2 停止了心跳：约 50 集群秒后变成 NotReady，加上 NoExecute 污点，"
                "再过 30 秒（tolerationSeconds）它上面的 Pod 被驱逐，在别的节点重建。")

    def recover_node() -> str:
        c.node("node-2").recover()
        return "node-2 恢复了心跳：重新 Ready，污点被去掉，新 Pod 又可以调度上去（已有的 Pod 不会自动搬回来）。"

    return Demo(c, "自我修复（self-healing）：期望状态 6 个 Pod，控制器不停地把现状拉回来", [view.widget], [view],
                {"删除一个 Pod": delete_pod, "杀死一个容器": kill_container, "让 node-2 故障": fail_node,
                 "恢复 node-2": recover_node}, presenter, danger=("删除一个 Pod", "杀死一个容器", "让 node-2 故障"))


# -- 弹性伸缩 -------------------------------------------------------------------------------------
class ScalingChart:
    """Replicas (desired, ready) and the HPA's CPU utilisation over time, sampled by a timer thread.

    ``sample()`` reads the cluster (Deployment and HPA) and ``render()`` draws every sample so far."""

    def __init__(self, cluster: Cluster, name: str = "web", presenter: bool = True, every: float = 0.5) -> None:
        t = theme(presenter)
        self.cluster, self.name, self.every = cluster, name, every
        self.samples: list[tuple[float, int, int, float | None, int | None]] = []
        self._t0 = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=[], y=[], name="期望副本数（spec.replicas）",
                                 line={"shape": "hv", "width": 4, "color": "#4c78a8"}))
        fig.add_trace(go.Scatter(x=[], y=[], name="就绪副本数",
                                 line={"shape": "hv", "dash": "dot", "width": 3, "color": "#54a24b"}))
        fig.add_trace(go.Scatter(x=[], y=[], name="平均 CPU 使用率（%）", yaxis="y2", line={"color": "#e45756"}))
        fig.update_layout(
            title={"text": "HPA：副本数随 CPU 负载变化（目标 50%）", "font": {"size": t.title}},
            font={"family": t.family, "size": t.font}, width=1100 if presenter else 900,
            height=480 if presenter else 380, xaxis={"title": {"text": "实际秒数"}, "rangemode": "tozero"},
            yaxis={"title": {"text": "副本数"}, "rangemode": "tozero", "dtick": 1},
            yaxis2={"title": {"text": "CPU %"}, "overlaying": "y", "side": "right", "rangemode": "tozero"},
            legend={"orientation": "h", "y": -0.2, "font": {"size": t.small}},
            margin={"l": 10, "r": 10, "t": 60, "b": 10}, paper_bgcolor="white", plot_bgcolor="white")
        self.sample()
        self._render_into(fig)
        self.fig = StableFigure(fig)  # made from the rendered picture (see k8sedu.viz.figure)
        self.widget = widgets.VBox([self.fig])
        self._thread = threading.Thread(target=self._run, name="scaling-chart", daemon=True)
        self._thread.start()

    def sample(self) -> tuple[float, int, int, float | None, int | None]:
        dep = self.cluster.get(f"deployment/{self.name}")
        try:
            hpa = self.cluster.get(f"hpa/{self.name}")
        except Exception:  # no HPA yet
            hpa = {}
        metrics = (hpa.get("status") or {}).get("currentMetrics") or []
        util = metrics[0]["resource"]["current"].get("averageUtilization") if metrics else None
        row = (time.monotonic() - self._t0, int(dep["spec"].get("replicas") or 0),
               int(dep.get("status", {}).get("readyReplicas") or 0), util,
               (hpa.get("status") or {}).get("desiredReplicas"))
        with self._lock:
            self.samples.append(row)
        return row

    def _render_into(self, fig: Any) -> None:
        with self._lock:
            rows = list(self.samples)
        ts = [r[0] for r in rows]
        with fig.batch_update():
            fig.data[0].x, fig.data[0].y = ts, [r[1] for r in rows]
            fig.data[1].x, fig.data[1].y = ts, [r[2] for r in rows]
            fig.data[2].x, fig.data[2].y = ts, [r[3] for r in rows]

    def render(self) -> None:
        self._render_into(self.fig)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.sample()
                self.render()
            except Exception:  # the cluster is stopping: the next tick (or close) ends the loop
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def autoscaling(presenter: bool = True, runtime: str = "auto", speed: float = 20) -> Demo:
    """Deployment web (1 replica, requests cpu 100m) with an HPA (50% CPU, 1-5 replicas, scale-down
    window 30 s). Buttons: start a CPU load (``yes > /dev/null`` in one Pod), stop it."""
    c = _start(3, runtime, speed)
    try:
        _web(c, 1)
        c.kubectl("autoscale deployment web --cpu-percent=50 --min=1 --max=5")
        c.kubectl(["patch", "hpa", "web", "-p", '{"spec": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 30}}}}'])
        chart = ScalingChart(c, "web", presenter)
    except BaseException:
        c.stop()
        raise
    loaded: list[str] = []

    def load() -> str:
        pods = [p for p in _live_pods(c) if p["metadata"]["name"] not in loaded and p.get("status", {}).get("phase") == "Running"]
        if not pods:
            return "没有可以加压的 Pod。"
        name = pods[0]["metadata"]["name"]
        c.kubectl(f"exec {name} -- sh -c 'yes > /dev/null &'")
        loaded.append(name)
        return (f"在 Pod {name} 里运行了 yes（占满它的 CPU 上限）：metrics-server 采到使用率升高后，"
                "HPA 按 期望副本数 = ceil(当前副本数 × 当前使用率 / 目标使用率) 扩容。")

    def unload() -> str:
        names = [n for n in loaded if n in {p["metadata"]["name"] for p in _live_pods(c)}]
        for name in names:
            c.kubectl(f"exec {name} -- killall yes")
        loaded.clear()
        return "负载已停止：使用率降下来后，HPA 等稳定窗口（这里 30 集群秒）过去再缩容。"

    return Demo(c, "弹性伸缩（HorizontalPodAutoscaler）：CPU 一高就加 Pod，闲下来再减回去", [chart.widget], [chart],
                {"加 CPU 负载": load, "停止负载": unload}, presenter, danger=("加 CPU 负载",))


# -- 滚动更新与回滚 -------------------------------------------------------------------------------
def rolling_update(presenter: bool = True, runtime: str = "auto") -> Demo:
    """Deployment web (3 replicas, maxSurge 1, maxUnavailable 0) and the RolloutView. Buttons:
    ``set image`` to v2, to a v3 that does not exist, and ``rollout undo``."""
    c = _start(2, runtime)
    try:
        _web(c, 3, min_ready=1)
        view = RolloutView.from_cluster(c, "deployment/web", presenter=presenter)
    except BaseException:
        c.stop()
        raise

    def set_image(tag: str) -> Action:
        def run() -> str:
            out = c.kubectl(f"set image deployment/web web=k8sedu/web:{tag}").strip()
            if tag == "v3":
                return (f"{out}：镜像 k8sedu/web:v3 不存在，新 Pod 卡在 ImagePullBackOff；"
                        "因为 maxUnavailable 是 0，旧 Pod 一个也不会少，服务不中断。")
            return f"{out}：新的 ReplicaSet 一个一个地加 Pod（maxSurge 1），旧的一个一个地减。"
        return run

    def undo() -> str:
        out = c.kubectl("rollout undo deployment/web").strip()
        return f"{out}：回到上一个 revision，就是把上一个 ReplicaSet 重新扩容。"

    return Demo(c, "滚动更新（rolling update）与回滚（rollout undo）", [view.widget], [view],
                {"升级到 v2": set_image("v2"), "发布坏版本 v3": set_image("v3"), "回滚（rollout undo）": undo},
                presenter, danger=("发布坏版本 v3",))


# -- 调度器 ---------------------------------------------------------------------------------------
_BIG_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: web
    image: k8sedu/web:v1
    resources:
      requests: {{cpu: 500m, memory: 64Mi}}
"""


def scheduler(presenter: bool = True, runtime: str = "auto") -> Demo:
    """A Pod ``web`` scheduled on 3 nodes, and the SchedulerView with its controls (every change is a
    dry run). Buttons: taint node-1 for real, and create another Pod to see where it lands."""
    c = _start(3, runtime)
    created: list[str] = ["web"]
    try:
        c.kubectl("apply -f -", stdin=_BIG_POD.format(name="web"))
        c.wait("pod/web", "Ready", timeout=90)
        view = SchedulerView.from_cluster(c, "pod/web", presenter=presenter)
    except BaseException:
        c.stop()
        raise

    def scheduler_sees(tainted: bool) -> None:
        """Wait (briefly) until the scheduler's cache has the change, so the next Pod obeys it."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            node = next((n for n in c.scheduler.cache.nodes() if n["metadata"]["name"] == "node-1"), None)
            has = any(t.get("key") == "demo" for t in ((node or {}).get("spec") or {}).get("taints") or [])
            if node is not None and has == tainted:
                return
            time.sleep(0.02)

    def taint() -> str:
        out = c.kubectl("taint nodes node-1 demo=yes:NoSchedule --overwrite").strip()
        scheduler_sees(True)
        view.set_node("node-1", taints="demo=yes:NoSchedule")  # the view dry-runs on its own copies
        return f"{out}：从现在起，不容忍这个污点的新 Pod 在预选（Filter）阶段就排除 node-1。"

    def another() -> str:
        name = f"web-{len(created) + 1}"
        c.kubectl("apply -f -", stdin=_BIG_POD.format(name=name))
        created.append(name)
        pod = c.wait(f"pod/{name}", "Scheduled", timeout=30) or c.get(f"pod/{name}")
        return f"Pod {name} 被调度到 {pod['spec'].get('nodeName', '（还没有）')}：调度器（scheduler）每次都先预选再优选。"

    def untaint() -> str:
        out = c.kubectl("taint nodes node-1 demo:NoSchedule-").strip()
        scheduler_sees(False)
        view.set_node("node-1", taints="")
        return f"{out}：node-1 又可以接收新 Pod 了。"

    return Demo(c, "调度器（kube-scheduler）：预选（Filter）淘汰节点，优选（Score）给剩下的打分", [view.widget], [view],
                {"给 node-1 加污点": taint, "去掉污点": untaint, "再创建一个 Pod": another}, presenter)


# -- 负载均衡 -------------------------------------------------------------------------------------
def load_balancing(presenter: bool = True, runtime: str = "auto", replicas: int = 3) -> Demo:
    """Deployment and Service web, and the ServiceView (its own controls: kube-proxy mode,
    sessionAffinity, send N requests, delete a Pod). Button: send 30 requests."""
    c = _start(3, runtime)
    try:
        _web(c, replicas)
        view = ServiceView.from_cluster(c, "service/web", presenter=presenter)
        view.send(10)
    except BaseException:
        c.stop()
        raise

    def send() -> str:
        replies = view.send(30)
        return "30 个请求的应答：" + "，".join(f"{k} {v}" for k, v in sorted(replies.items()))

    return Demo(c, "负载均衡：Service 的请求经 kube-proxy 分到各个 Pod", [view.widget], [view],
                {"发送 30 个请求": send}, presenter)
