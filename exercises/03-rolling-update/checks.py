"""练习 03：扩缩容、滚动更新与回滚的检查（checks of exercise 03-rolling-update）。

q1 Deployment web 有 4 个真的在运行的副本（2 分，最多等 60 秒）
q2 做过一次滚动更新：web 的历史里有一个镜像为 k8sedu/web:v2 的 ReplicaSet（3 分）
q3 又回滚到了 v1：当前的 ReplicaSet 是 v1 的那个，修订号比 v2 的大；所有副本的容器都运行 v1（3 分，最多等 60 秒）
q4（隐藏）更新策略是 RollingUpdate，maxUnavailable 为 0（1 分）
"""

from __future__ import annotations

from typing import Any

from k8sedu.grading import CheckContext, CheckFailed, check

REVISION = "deployment.kubernetes.io/revision"


def _owned_sets(ctx: CheckContext, deploy: dict[str, Any]) -> list[dict[str, Any]]:
    uid = deploy["metadata"]["uid"]
    return [rs for rs in ctx.items("replicasets")
            if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences", []))]


def _image(obj: dict[str, Any]) -> str:
    containers = obj["spec"]["template"]["spec"]["containers"]
    return str(containers[0].get("image", "")) if containers else ""


def _revision(rs: dict[str, Any]) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


@check("q1", "Deployment web 有 4 个真的在运行的副本", points=2, wait=60,
       hint="先用 kubectl create deployment web --image=k8sedu/web:v1 --replicas=3 创建，"
            "再用 kubectl scale deployment web --replicas=4 扩容；kubectl get deploy web 看 READY 列。")
def four_replicas(ctx: CheckContext) -> None:
    deploy = ctx.require("deployment/web")
    if deploy["spec"].get("replicas") != 4:
        raise CheckFailed(f"Deployment web 的 spec.replicas 是 {deploy['spec'].get('replicas')}，应当是 4。", final=True)
    selector = ",".join(f"{k}={v}" for k, v in deploy["spec"]["selector"].get("matchLabels", {}).items())
    running = ctx.running_pods(selector)
    if len(running) != 4:
        raise CheckFailed(f"Deployment web 的 Pod 中真的在运行的有 {len(running)} 个，应当是 4 个。")


@check("q2", "做过一次滚动更新：历史里有 k8sedu/web:v2 的 ReplicaSet", points=3,
       hint="kubectl set image deployment/web web=k8sedu/web:v2 会修改 Pod 模板，"
            "Deployment 控制器为新模板创建新的 ReplicaSet（ReplicaSet）并逐步替换旧 Pod。"
            "kubectl rollout status deployment/web 等它完成，kubectl get rs 能看到新旧两个 ReplicaSet。")
def updated(ctx: CheckContext) -> None:
    deploy = ctx.require("deployment/web")
    images = sorted({_image(rs) for rs in _owned_sets(ctx, deploy)})
    if "k8sedu/web:v2" not in images:
        raise CheckFailed(f"Deployment web 的 ReplicaSet 的镜像只有 {images or '（无）'}，"
                          f"没有 k8sedu/web:v2：还没有做过滚动更新。")


@check("q3", "回滚到了 v1：所有副本运行 k8sedu/web:v1", points=3, wait=60,
       hint="kubectl rollout undo deployment/web 回到上一个修订版本（revision）；回滚并不新建 ReplicaSet，"
            "而是把旧的 v1 ReplicaSet 扩容回来，并给它一个新的修订号。kubectl rollout history deployment/web 看历史。")
def rolled_back(ctx: CheckContext) -> None:
    deploy = ctx.require("deployment/web")
    sets = _owned_sets(ctx, deploy)
    v1 = [rs for rs in sets if _image(rs) == "k8sedu/web:v1"]
    v2 = [rs for rs in sets if _image(rs) == "k8sedu/web:v2"]
    if not v2:
        raise CheckFailed("还没有更新到 v2，谈不上回滚。", final=True)
    if _image(deploy) != "k8sedu/web:v1" or not v1:
        raise CheckFailed(f"Deployment web 的 Pod 模板镜像是 {_image(deploy)}，还没有回滚到 k8sedu/web:v1。", final=True)
    if max(map(_revision, v1)) <= max(map(_revision, v2)):
        raise CheckFailed("v1 的 ReplicaSet 修订号不比 v2 的大：这不是一次回滚（rollout undo）。", final=True)
    web = [c for c in ctx.containers() if c.container_name == "web" and c.state == "running"
           and c.pod_name.startswith("web-")]
    old = sorted({c.image for c in web if "web:v1" not in c.image})
    if old or len(web) < 4:
        raise CheckFailed(f"容器运行时里正在运行的 web 容器有 {len(web)} 个，其中镜像不是 v1 的：{old or '无'}。")


@check("q4", "滚动更新策略：maxUnavailable 为 0", points=1, hidden=True,
       hint="在 spec.strategy.rollingUpdate 里写 maxUnavailable: 0，更新期间可用副本不会少于 4 个。")
def no_unavailable(ctx: CheckContext) -> None:
    deploy = ctx.require("deployment/web")
    strategy = deploy["spec"].get("strategy") or {}
    if strategy.get("type") != "RollingUpdate":
        raise CheckFailed(f"更新策略是 {strategy.get('type')}，不是 RollingUpdate。")
    if str((strategy.get("rollingUpdate") or {}).get("maxUnavailable")) not in ("0", "0%"):
        raise CheckFailed(f"maxUnavailable 是 {(strategy.get('rollingUpdate') or {}).get('maxUnavailable')}，不是 0。")
