"""练习 09：带配额（ResourceQuota）的命名空间的检查（checks of exercise 09-quota）。

q1 命名空间 team-a 存在，状态 Active（1 分）
q2 team-a 里有 ResourceQuota team-quota：pods 2，requests.cpu 1，requests.memory 1Gi（2 分）
q3 Deployment api（team-a，3 个副本，每个请求 cpu 200m）：配额只放行 2 个 Pod，它们真的在运行；
   第 3 个被 API Server 以 exceeded quota 拒绝（3 分，最多等 60 秒）
q4（隐藏）配额控制器统计的用量：pods 2，requests.cpu 400m（1 分，最多等 30 秒）
"""

from __future__ import annotations

from k8sedu.api.quantity import cpu_millis, memory_bytes
from k8sedu.grading import CheckContext, CheckFailed, check

NS = "team-a"


@check("q1", "命名空间 team-a 存在", points=1,
       hint="kubectl create namespace team-a；命名空间本身不属于任何命名空间。")
def namespace(ctx: CheckContext) -> None:
    ns = ctx.require(f"namespace/{NS}", namespace="")
    if ns.get("status", {}).get("phase") != "Active":
        raise CheckFailed(f"命名空间 team-a 的状态是 {ns.get('status', {}).get('phase')}。")


@check("q2", "ResourceQuota team-quota：pods 2，requests.cpu 1，requests.memory 1Gi", points=2,
       hint="kind: ResourceQuota，metadata.namespace: team-a，spec.hard: {pods: \"2\", requests.cpu: \"1\", "
            "requests.memory: 1Gi}。kubectl describe quota -n team-a 看已用（Used）和上限（Hard）。")
def quota(ctx: CheckContext) -> None:
    hard = ctx.require("resourcequota/team-quota", namespace=NS)["spec"].get("hard") or {}
    try:
        ok = (str(hard.get("pods")) == "2" and cpu_millis(str(hard.get("requests.cpu", "0"))) == 1000
              and memory_bytes(str(hard.get("requests.memory", "0"))) == 1024 ** 3)
    except ValueError:
        ok = False
    if not ok:
        raise CheckFailed(f"team-quota 的 spec.hard 是 {hard}，应当是 pods 2、requests.cpu 1、requests.memory 1Gi。")


@check("q3", "配额只放行 2 个 Pod：2 个在运行，第 3 个被拒绝", points=3, wait=60,
       hint="配额限制 cpu/memory 时，每个容器都必须写 requests（否则创建被拒：must specify requests.cpu）。"
            "Pod 不是你直接创建的，而是 ReplicaSet 控制器：被拒绝时它会记一条 FailedCreate 事件，"
            "用 kubectl describe rs -n team-a 看。")
def capped(ctx: CheckContext) -> None:
    deploy = ctx.require("deployment/api", namespace=NS)
    if deploy["spec"].get("replicas") != 3:
        raise CheckFailed(f"Deployment api 的副本数是 {deploy['spec'].get('replicas')}，应当是 3。", final=True)
    selector = ",".join(f"{k}={v}" for k, v in deploy["spec"]["selector"].get("matchLabels", {}).items())
    running = ctx.running_pods(selector, namespace=NS)
    if len(running) != 2:
        raise CheckFailed(f"Deployment api 真的在运行的 Pod 有 {len(running)} 个，应当是 2 个（配额 pods: 2）。")
    refused = [e for e in ctx.events(namespace=NS)
               if e.get("reason") == "FailedCreate" and "exceeded quota" in e.get("message", "")
               and e.get("source", {}).get("component", "replicaset-controller") == "replicaset-controller"]
    if not refused:
        raise CheckFailed("没有找到 ReplicaSet 控制器创建 Pod 被配额拒绝（exceeded quota）的事件。")


@check("q4", "配额用量：pods 2，requests.cpu 400m", points=1, hidden=True, wait=30,
       hint="每个副本请求 cpu 200m。")
def used(ctx: CheckContext) -> None:
    q = ctx.require("resourcequota/team-quota", namespace=NS)
    used = q.get("status", {}).get("used") or {}
    try:
        ok = str(used.get("pods")) == "2" and cpu_millis(str(used.get("requests.cpu", "0"))) == 400
    except ValueError:
        ok = False
    if not ok:
        raise CheckFailed(f"team-quota 的用量是 {used or '（无）'}。")
