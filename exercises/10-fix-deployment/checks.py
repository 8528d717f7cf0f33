"""练习 10：修复坏掉的 Deployment 的检查（checks of exercise 10-fix-deployment）。

练习开始时有三个坏掉的 Deployment（由 setup 创建）：

    frontend  镜像写错了 k8sedu/web:v9          → ImagePullBackOff
    worker    命令一启动就 exit 1               → CrashLoopBackOff
    cache     请求 cpu 64（没有节点有这么多）    → Pending（Insufficient cpu）

q1 frontend 的 2 个副本真的在运行，镜像 k8sedu/web:v1（3 分，最多等 60 秒）
q2 worker 的容器在运行且最近 5 秒内没有退出（3 分，最多等 60 秒）
q3 cache 的副本真的在运行，请求不超过 500m（3 分，最多等 60 秒）
q4（隐藏）三个 Deployment 是修好的，不是删了重建的：还是原来的对象（uid 与 setup 创建时相同）（1 分）
"""

from __future__ import annotations

from typing import Any

from k8sedu.api.quantity import cpu_millis
from k8sedu.grading import CheckContext, CheckFailed, check

NODES = 2

BROKEN: list[dict[str, Any]] = [
    {"name": "frontend", "replicas": 2, "container": {"name": "web", "image": "k8sedu/web:v9"}},
    {"name": "worker", "replicas": 1, "container": {"name": "worker", "image": "k8sedu/busybox",
                                                    "command": ["sh", "-c", "echo starting; exit 1"]}},
    {"name": "cache", "replicas": 1, "container": {"name": "cache", "image": "k8sedu/busybox",
                                                   "command": ["sh", "-c", "sleep 3600"],
                                                   "resources": {"requests": {"cpu": "64"}}}},
]


def setup(c: Any) -> None:
    """The three broken Deployments, and a note of their uids (to tell fixed from recreated)."""
    uids = {}
    for b in BROKEN:
        labels = {"app": b["name"]}
        created = c.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": b["name"]},
                           "spec": {"replicas": b["replicas"], "selector": {"matchLabels": labels},
                                    "template": {"metadata": {"labels": labels},
                                                 "spec": {"containers": [b["container"]]}}}})
        uids[b["name"]] = created[0]["metadata"]["uid"]
    c.apply({"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "exercise-10", "namespace": "kube-system"}, "data": uids})


def _running(ctx: CheckContext, name: str) -> list[dict[str, Any]]:
    deploy = ctx.require(f"deployment/{name}")
    want = deploy["spec"].get("replicas", 1)
    running = ctx.running_pods(f"app={name}")
    if len(running) < want:
        raise CheckFailed(f"Deployment {name} 真的在运行的 Pod 有 {len(running)} 个，应当是 {want} 个。")
    return running


@check("q1", "frontend 的副本真的在运行（镜像 k8sedu/web:v1）", points=3, wait=60,
       hint="kubectl describe pod 看 frontend 的 Pod 的事件：“Failed to pull image” 说明镜像名写错了。"
            "用 kubectl set image deployment/frontend web=k8sedu/web:v1 修改镜像。")
def frontend(ctx: CheckContext) -> None:
    _running(ctx, "frontend")
    images = {c.image for p in ctx.running_pods("app=frontend") for c in ctx.containers(p["metadata"]["name"])
              if c.state == "running"}
    if not images or any("web:v1" not in i for i in images):
        raise CheckFailed(f"frontend 正在运行的容器镜像是 {sorted(images)}，不是 k8sedu/web:v1。")


@check("q2", "worker 的容器在运行，不再反复崩溃", points=3, wait=60,
       hint="CrashLoopBackOff 是说容器一启动就退出，kubelet 重启它的间隔越来越长。"
            "kubectl logs deploy/worker --previous 看上一次的输出，再改掉命令，例如 sleep 3600。")
def worker(ctx: CheckContext) -> None:
    pods = _running(ctx, "worker")
    now = ctx.cluster.clock.now()  # the runtime's times are cluster seconds
    for pod in pods:
        for c in ctx.containers(pod["metadata"]["name"]):
            if c.state == "running" and c.started_at is not None and c.started_at > now - 5:
                raise CheckFailed("worker 的容器刚刚（5 秒内）才启动，还看不出它会不会再次崩溃。")


@check("q3", "cache 的副本真的在运行，请求不超过 500m", points=3, wait=60,
       hint="Pending 的 Pod 没有被调度：kubectl describe pod 的 FailedScheduling 事件说 Insufficient cpu，"
            "因为请求了 64 个 CPU。把 requests.cpu 改成 100m（用 kubectl patch）。")
def cache(ctx: CheckContext) -> None:
    deploy = ctx.require("deployment/cache")
    for c in deploy["spec"]["template"]["spec"]["containers"]:
        req = ((c.get("resources") or {}).get("requests") or {}).get("cpu")
        if req is not None and cpu_millis(str(req)) > 500:
            raise CheckFailed(f"cache 的容器 {c['name']} 仍请求 cpu {req}。", final=True)
    _running(ctx, "cache")


@check("q4", "是修好的，不是删了重建的", points=1, hidden=True,
       hint="用 kubectl edit / set image / patch 修改原来的 Deployment，不要删除再创建。")
def same_objects(ctx: CheckContext) -> None:
    given = ctx.require("configmap/exercise-10", namespace="kube-system").get("data") or {}
    for b in BROKEN:
        deploy = ctx.require(f"deployment/{b['name']}")
        if deploy["metadata"]["uid"] != given.get(b["name"]):
            raise CheckFailed(f"Deployment {b['name']} 是重建的。")
        if deploy["metadata"].get("generation", 1) < 2:
            raise CheckFailed(f"Deployment {b['name']} 还没有被修改过。")
