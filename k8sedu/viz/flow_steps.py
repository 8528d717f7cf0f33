"""Which flow events make up the main path of one object, and what each step means.

Why a module of its own: the control plane records every interaction (heartbeats, lease renewals,
Events, GETs, status writes of every controller). A student following one Pod from ``kubectl
apply`` to a running container needs about fifteen of them. ``FlowFilter`` picks those, in the
order the cluster really produced them, and ``FlowFilter.classify`` turns each into a ``FlowStep``:
the facts of the event (revision, node, container id) plus a Chinese explanation and the number of
the step in the seed article's creation flow (its "相对详细版", 10 steps) it corresponds to.

Objects are followed by name, as upstream names them: Deployment ``web`` → ReplicaSet
``web-<hash>`` → Pods ``web-<hash>-<suffix>``.

::

    f = FlowFilter("pod/web")
    steps = [s for e in c.flow.events() if (s := f.classify(e))]
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..flow import FlowEvent

__all__ = ["FlowStep", "FlowFilter", "SEED_CREATE_STEPS", "SEED_DELETE_STEPS", "component_of"]

#: The seed's creation flow (its 10-step "相对详细版"), in our own words. The real order differs:
#: controllers create Pods *before* the scheduler sees them (the seed puts them at step 6), and the
#: scheduler never asks etcd for nodes per Pod (step 4): it keeps nodes in its informer cache.
SEED_CREATE_STEPS: dict[int, str] = {
    1: "kubectl 提交请求，先经认证鉴权",
    2: "API Server 把请求写入 etcd",
    3: "scheduler 和 controller-manager 通过 watch 得知变化",
    4: "scheduler 向 API Server 要节点清单",
    5: "scheduler 预选、优选，把结果交给 API Server",
    6: "controller-manager 按模板创建所需资源",
    7: "API Server 通知节点上的 kubelet",
    8: "kubelet 调用容器运行时创建容器",
    9: "kubelet 把状态报告给 API Server",
    10: "API Server 把状态写入 etcd",
}

#: The seed's deletion flow is one sentence; these are its clauses, numbered in its order.
SEED_DELETE_STEPS: dict[int, str] = {
    1: "命令行发出删除请求",
    2: "API Server 把删除记录写入 etcd",
    3: "controller-manager 回收",
    4: "API Server 通知 kubelet 回收",
    5: "kubelet 删除 Pod（停止容器）",
    6: "kube-proxy 更新转发规则",
    7: "API Server 在 etcd 中记录，删除完成",
}

_CHILD_KINDS = {
    "Pod": ("Pod", "Binding"),
    "ReplicaSet": ("ReplicaSet", "Pod", "Binding"),
    "Deployment": ("Deployment", "ReplicaSet", "Pod", "Binding"),
}
_ENDPOINT_KINDS = ("Endpoints", "EndpointSlice")
_WRITES = ("POST", "PUT", "PATCH", "DELETE")
_DOCKER_ACTIONS = ("create sandbox", "pull image", "create container", "start container", "stop container",
                   "stop sandbox", "remove container", "remove sandbox")
_KIND_ZH = {"Pod": "Pod", "Deployment": "Deployment", "ReplicaSet": "ReplicaSet", "Binding": "Binding",
            "Endpoints": "Endpoints", "EndpointSlice": "EndpointSlice"}


def component_of(name: str, peer: str = "") -> str:
    """The diagram box of a flow endpoint: ``docker`` is drawn once per node, beside its kubelet."""
    if name == "docker" and peer.startswith("kubelet/"):
        return "docker/" + peer.split("/", 1)[1]
    return name


@dataclass(frozen=True)
class FlowStep:
    """One step of the main path: the recorded event's facts and what the lesson says about it."""

    seq: int
    src: str
    dst: str
    action: str
    kind: str
    namespace: str
    name: str
    revision: int | None
    role: str  # request, persist, watch, filter, score, runtime
    text: str  # the Chinese explanation shown beside the diagram
    seed: int | None = None  # the seed flow's step number, if the seed has this step
    seed_text: str = ""
    node: str = ""
    container_id: str = ""
    phase: str = ""
    explain: str = ""  # what the component itself recorded

    @property
    def object_ref(self) -> str:
        return f"{self.kind.lower()}/{self.name}" if self.kind else ""

    @property
    def src_box(self) -> str:
        return component_of(self.src, self.dst)

    @property
    def dst_box(self) -> str:
        return component_of(self.dst, self.src)


@dataclass
class _Pending:
    kind: str
    name: str
    by: str  # who sent the request
    verb: str = ""


class FlowFilter:
    """Picks the main path of one object from the flow events, fed in seq order.

    ``target`` is ``"pod/web"``, ``"deployment/web"`` or ``"replicaset/web-x"``; without one the
    first object kubectl writes is followed. Stateful (it remembers which requests wait for their
    etcd write, which Pods are being deleted, which Pods are Running) and thread safe.
    """

    def __init__(self, target: str | None = None) -> None:
        # guards every attribute below; classify() may be called from any component thread
        self._lock = threading.Lock()
        self.root_kind = ""
        self.root_name = ""
        self.namespace = ""
        self.mode = ""  # "create" or "delete": what kubectl asked for first
        if target:
            kind, _, name = target.partition("/")
            self.root_kind = {"pod": "Pod", "pods": "Pod", "po": "Pod", "deployment": "Deployment",
                              "deployments": "Deployment", "deploy": "Deployment", "replicaset": "ReplicaSet",
                              "replicasets": "ReplicaSet", "rs": "ReplicaSet"}.get(kind.lower(), "")
            if not self.root_kind:
                raise ValueError(f"FlowView 只能跟随 Pod、Deployment 或 ReplicaSet，而不是 {kind!r}")
            self.root_name = name
        self._pending: list[_Pending] = []
        self._deleting: set[str] = set()
        self._deleting_pods: set[str] = set()
        self._notified: set[tuple[str, str]] = set()
        self._scheduled_seen: set[str] = set()
        self.phases: dict[str, str] = {}  # Pod name → phase, from the etcd writes shown
        self.pods: set[str] = set()  # the Pods of the followed object that were created
        self.gone: set[str] = set()  # objects whose final delete reached etcd
        self.nodes: dict[str, str] = {}  # Pod name → node

    # -- what belongs to the followed object -------------------------------------------------------
    def _learn_root(self, e: FlowEvent) -> None:
        if e.src != "kubectl" or e.dst != "apiserver" or e.action.split(" ", 1)[0] not in _WRITES:
            return
        if e.kind not in _CHILD_KINDS:
            return
        if not self.root_kind:
            self.root_kind, self.root_name = e.kind, e.name
        if e.kind == self.root_kind and e.name == self.root_name and not self.mode:
            self.namespace = e.namespace
            self.mode = "delete" if e.action.startswith("DELETE") else "create"

    def tracked(self, e: FlowEvent) -> bool:
        if not self.root_kind or not self.mode:
            return False
        if self.namespace and e.namespace and e.namespace != self.namespace:
            return False
        if e.kind in _ENDPOINT_KINDS:
            return True
        if e.kind not in _CHILD_KINDS[self.root_kind]:
            return False
        if e.kind == self.root_kind or self.root_kind == "Pod":
            return e.name == self.root_name
        return e.name.startswith(self.root_name + "-")

    # -- the decision ------------------------------------------------------------------------------
    def may_gate(self, e: FlowEvent) -> bool:
        """Would this event be shown? (A peek for step mode: nothing is remembered.)"""
        with self._lock:
            if not self.mode:
                return False
            return self._role(e, commit=False) is not None and e.dst != "etcd"

    def classify(self, e: FlowEvent) -> FlowStep | None:
        """The step this event is on the main path, or None for noise (remembering what it saw)."""
        with self._lock:
            self._learn_root(e)
            role = self._role(e, commit=True)
            if role is None:
                return None
            return self._step(e, role)

    @property
    def complete(self) -> bool:
        """The create flow reached Running for every Pod, or the delete flow removed them from etcd."""
        with self._lock:
            if self.mode == "create":
                return bool(self.pods) and all(self.phases.get(p) in ("Running", "Succeeded") for p in self.pods)
            if self.mode == "delete":
                if self.root_kind == "Pod":
                    return self.root_name in self.gone
                # the garbage collector deletes the ReplicaSets, then their Pods, after the root
                pods = self._deleting_pods
                return self.root_name in self.gone and bool(pods) and pods <= self.gone
            return False

    def _match_pending(self, e: FlowEvent, commit: bool) -> _Pending | None:
        kind = e.kind
        for i, p in enumerate(self._pending):
            if p.kind == kind and (p.name == e.name or (p.name.endswith("-") and e.name.startswith(p.name))):
                if commit:
                    del self._pending[i]
                return p
        return None

    def _role(self, e: FlowEvent, commit: bool) -> str | None:  # noqa: C901 - one rule per kind of step
        if not self.tracked(e):
            return None
        verb = e.action.split(" ", 1)[0]
        if e.dst == "apiserver":
            if verb not in _WRITES:
                return None
            kind = "Pod" if e.kind == "Binding" else e.kind
            name = e.name
            show = False
            if e.kind in _ENDPOINT_KINDS:
                show = e.src == "controller-manager" and verb != "DELETE"
            elif verb == "POST":
                show = True
            elif verb == "DELETE":
                show = True
                if commit:
                    self._deleting.add(name)
                    if e.kind == "Pod":
                        self._deleting_pods.add(name)
            elif e.kind == "Pod" and e.src.startswith("kubelet/") and e.action.endswith("/status"):
                show = name in self._deleting or self.phases.get(name) not in ("Running", "Succeeded", "Failed")
            elif e.src == "kubectl":
                show = True
            if show and commit:
                self._pending.append(_Pending(kind, name, e.src, verb))
                if kind == "Pod" and verb == "POST" and e.kind == "Pod":
                    self.pods.add(name)
            return "request" if show else None
        if e.dst == "etcd":
            p = self._match_pending(e, commit)
            if p is None:
                return None
            if commit and e.kind == "Pod":
                if e.name not in self.pods and any(e.name.startswith(x) for x in self.pods if x.endswith("-")):
                    self.pods = {x for x in self.pods if not (x.endswith("-") and e.name.startswith(x))} | {e.name}
                self.pods.add(e.name)
                if e.detail.get("phase"):
                    self.phases[e.name] = str(e.detail["phase"])
                if e.detail.get("node"):
                    self.nodes[e.name] = str(e.detail["node"])
            if commit and e.action.startswith("DELETE"):
                self.gone.add(e.name)
            return f"persist:{p.by}:{p.verb}"
        if e.src == "apiserver" and e.action.startswith("watch "):
            typ = e.action.split(" ", 1)[1]
            if e.dst == "scheduler":
                if e.kind != "Pod" or typ != "ADDED" or e.name in self._scheduled_seen:
                    return None
                if commit:
                    self._scheduled_seen.add(e.name)
                return "watch"
            if e.dst == "kube-proxy":
                return "watch" if e.kind == "EndpointSlice" and typ != "DELETED" else None
            if e.dst.startswith("kubelet/") or e.dst == "controller-manager":
                if e.dst == "controller-manager" and e.kind in ("Deployment", "ReplicaSet"):
                    return "watch" if typ == "ADDED" else None
                if e.kind != "Pod":
                    return None
                if e.dst.startswith("kubelet/") and typ == "ADDED":
                    return "watch"
                if typ == "MODIFIED" and e.name in self._deleting and (e.dst, e.name) not in self._notified:
                    if commit:
                        self._notified.add((e.dst, e.name))
                    return "watch"
            return None
        if e.src.startswith("kubelet/") and e.dst == "docker":
            return "runtime" if e.kind == "Pod" and e.action.startswith(_DOCKER_ACTIONS) else None
        if e.src == "scheduler" and e.dst == "scheduler" and e.action in ("filter", "score"):
            return e.action
        return None

    # -- what the lesson says about a step ---------------------------------------------------------
    def _step(self, e: FlowEvent, role: str) -> FlowStep:
        by = role.split(":")[1] if role.startswith("persist:") else ""
        if role.startswith("persist:") and role.endswith(":DELETE") and e.action.startswith("PUT"):
            by += ":graceful"
        node = str(e.detail.get("chosen") or e.detail.get("node") or "")
        if e.action == "score" and node:
            self.nodes[e.name] = node
        if e.kind == "Binding" and not node:
            node = self.nodes.get(e.name, "")
        if e.src.startswith("kubelet/"):
            node = e.src.split("/", 1)[1]
        elif e.dst.startswith("kubelet/"):
            node = e.dst.split("/", 1)[1]
        cid = str(e.detail.get("container_id") or "")[:12]
        phase = str(e.detail.get("phase") or "") if e.dst == "etcd" else ""
        text, seed = self._text(e, role.split(":", 1)[0], by, node, cid, phase)
        seeds = SEED_DELETE_STEPS if self.mode == "delete" else SEED_CREATE_STEPS
        return FlowStep(seq=e.seq, src=e.src, dst=e.dst, action=e.action, kind=e.kind, namespace=e.namespace,
                        name=e.name, revision=e.revision, role=role.split(":", 1)[0], text=text, seed=seed,
                        seed_text=seeds.get(seed, "") if seed else "", node=node, container_id=cid, phase=phase,
                        explain=e.explain)

    def _text(self, e: FlowEvent, role: str, by: str, node: str, cid: str,  # noqa: C901 - one sentence per step
              phase: str) -> tuple[str, int | None]:
        delete = self.mode == "delete"
        kind, name, rev = e.kind, e.name, e.revision
        verb = e.action.split(" ", 1)[0]
        if role == "request":
            if e.src == "kubectl":
                if verb == "DELETE":
                    return (f"kubectl 请求删除 {kind} {name}。API Server 先做认证（authentication）、"
                            f"授权（RBAC）和准入（admission），然后才处理。", 1)
                return (f"kubectl 把 {kind} {name} 以 JSON 发给 API Server（{verb}）。API Server 依次做"
                        f"认证（authentication）、授权（RBAC）、准入控制（admission）和校验，全部通过才会写入。",
                        1 if not delete else None)
            if e.kind == "Binding":
                return (f"调度器向 API Server 提交绑定（Binding）：把 Pod {name} 放到节点 {node or '?'}。"
                        f"调度器自己不启动任何容器。", 5)
            if e.kind in _ENDPOINT_KINDS:
                return (f"controller-manager 里的端点控制器更新 {kind} {name}：正在终止的 Pod 不再是就绪端点，"
                        f"新的连接不会再发给它。", 3 if delete else None)
            if e.src == "controller-manager":
                what = {"ReplicaSet": "Deployment 控制器按 Deployment 的模板创建 ReplicaSet",
                        "Pod": "ReplicaSet 控制器发现 Pod 数量少于期望副本数，按模板创建 Pod"}.get(kind, f"控制器创建 {kind}")
                if verb == "DELETE":
                    what = f"垃圾回收器（garbage collector）删除属主已不存在的 {kind}"
                return (f"{what} {name}（通过 API Server，而不是直接写 etcd）。", 6 if not delete else 3)
            if e.src.startswith("kubelet/") and verb == "DELETE":
                return (f"kubelet 确认 {name} 的容器都已停止并删除，发出宽限期为 0 的删除请求：这才是真正的删除。", 7)
            if e.src.startswith("kubelet/"):
                if delete:
                    return (f"kubelet 报告 Pod {name} 的最终状态：容器都已退出。", 7)
                return (f"{node} 上的 kubelet 把 Pod {name} 的状态（status）报告给 API Server。"
                        f"这是 kubelet 自己写的，不靠 metrics server。", 9)
            return (f"{e.src} 向 API Server 发送 {verb} 请求（{kind} {name}）。", None)
        if role == "persist":
            if e.action.startswith("DELETE"):
                return (f"{kind} {name} 从 etcd 中删除（revision {rev}）。此后 kubectl get 再也看不到它。",
                        7 if delete else None)
            if by.endswith(":graceful") and by != "kubectl:graceful":
                return (f"API Server 给 {kind} {name} 写入 deletionTimestamp（优雅删除），revision {rev}："
                        f"它进入 Terminating，容器还在运行。", 3)
            by = by.split(":")[0]
            if by == "kubectl":
                if delete:
                    return (f"API Server 没有立即删除 {kind} {name}，而是写入 deletionTimestamp"
                            f"（优雅删除，graceful deletion），revision 变为 {rev}。此时容器还在运行。", 2)
                extra = "此时它只是 etcd 里的一条记录：还没有节点，也没有容器。" if kind == "Pod" else ""
                return f"API Server 把 {kind} {name} 写入 etcd，集群的 revision 变为 {rev}。{extra}", 2
            if e.kind == "Pod" and node and by == "scheduler":
                return f"API Server 把绑定结果写入 etcd：Pod {name} 的 spec.nodeName = {node}，revision {rev}。", 5
            if by == "controller-manager":
                if kind in _ENDPOINT_KINDS:
                    return f"新的 {kind} {name} 写入 etcd（revision {rev}）。", 3 if delete else None
                return f"{kind} {name} 写入 etcd，revision {rev}。", 6 if not delete else 3
            if by.startswith("kubelet/"):
                return (f"Pod {name} 的状态写入 etcd：phase = {phase or '?'}，revision {rev}。",
                        7 if delete else 10)
            return f"{kind} {name} 写入 etcd，revision {rev}。", None
        if role == "watch":
            typ = e.action.split(" ", 1)[1] if " " in e.action else ""
            if e.dst == "scheduler":
                return (f"调度器（scheduler）通过 watch 收到 {typ}：Pod {name}（revision {rev}）还没有 nodeName，"
                        f"进入调度队列。", 3)
            if e.dst == "controller-manager":
                if delete:
                    return (f"controller-manager 通过 watch 得知 Pod {name} 正在终止（revision {rev}），"
                            f"端点控制器把它从 Service 的端点中摘除。", 3)
                owner = "Deployment 控制器" if kind == "Deployment" else "ReplicaSet 控制器"
                return f"controller-manager 通过 watch 收到 {kind} {name} 的 {typ}（revision {rev}），交给{owner}。", 3
            if e.dst == "kube-proxy":
                return f"kube-proxy 通过 watch 收到 {kind} {name} 的变化（revision {rev}），更新转发规则。", 6 if delete else None
            if delete:
                return (f"{node} 上的 kubelet 通过 watch 看到 Pod {name} 有了 deletionTimestamp（revision {rev}），"
                        f"开始优雅终止。", 4)
            return (f"{node} 上的 kubelet 只 watch 绑定到自己节点的 Pod：它收到 Pod {name}（revision {rev}），"
                    f"开始在本节点上创建它。", 7)
        if role == "filter":
            return f"预选（Filter）：{e.explain.split('：', 1)[-1]}。不满足条件的节点被排除。", 5
        if role == "score":
            return f"优选（Score）：给可用节点打分，{node} 得分最高，被选中。", 5
        # runtime
        act = e.action
        if act.startswith("create sandbox"):
            return ("kubelet 通过容器运行时先创建 pause 容器（Pod 沙箱），它持有 Pod 的网络命名空间。", 8)
        if act.startswith("pull image"):
            return f"kubelet 让容器运行时拉取镜像：{act.split(' ', 2)[-1]}。", 8
        if act.startswith("create container"):
            cname = str(e.detail.get("container", ""))
            cname = cname.split("_")[1] if cname.startswith("k8s_") else cname
            return (f"kubelet 创建应用容器 {cname}（镜像 {e.detail.get('image', '')}），"
                    f"它加入 pause 容器的网络命名空间。", 8)
        if act.startswith("start container"):
            return f"kubelet 启动容器，容器 ID {cid}：现在 docker ps 能看到它了。", 8
        if act.startswith("stop container"):
            grace = e.detail.get("grace_seconds", "")
            return (f"kubelet 向容器 {cid} 发送 SIGTERM，宽限期（grace period）{grace} 秒；"
                    f"到期仍未退出才发送 SIGKILL。", 5)
        if act.startswith("stop sandbox"):
            return "kubelet 停止 pause 容器，Pod 的网络命名空间被释放。", 5
        if act.startswith("remove sandbox"):
            return f"kubelet 删除 pause 容器 {cid}，Pod 在这个节点上不再留下任何容器。", 5
        if act.startswith("remove"):
            return f"kubelet 删除已停止的容器 {cid}。", 5
        return e.explain, None
