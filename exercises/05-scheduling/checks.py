"""练习 05：引导调度器把 Pod 放到指定节点的检查（checks of exercise 05-scheduling）。

练习开始时 node-1 带有污点（taint）dedicated=gpu:NoSchedule。

q1 node-1 带有标签 disk=ssd，其他节点没有（2 分）
q2 Pod trainer 被调度到 node-1，并且它的容器真的在 node-1 上运行（3 分，最多等 60 秒）
q3 trainer 用 nodeSelector disk=ssd 选节点，并容忍 dedicated=gpu:NoSchedule（2 分）
q4（隐藏）trainer 的容器请求（requests）cpu 500m、memory 256Mi（1 分）
"""

from __future__ import annotations

from typing import Any

from k8sedu.api.quantity import cpu_millis, memory_bytes
from k8sedu.grading import CheckContext, CheckFailed, check

NODES = 3
TARGET = "node-1"


def setup(c: Any) -> None:
    """What the exercise gives: node-1 is reserved for GPU work by a taint."""
    c.kubectl(f"taint nodes {TARGET} dedicated=gpu:NoSchedule")


@check("q1", "只有 node-1 带有标签 disk=ssd", points=2,
       hint="节点也是 API 对象，也能打标签：kubectl label nodes node-1 disk=ssd；"
            "kubectl get nodes -L disk 看每个节点的 disk 标签。")
def node_label(ctx: CheckContext) -> None:
    ssd = sorted(n["metadata"]["name"] for n in ctx.items("nodes", "disk=ssd"))
    if ssd != [TARGET]:
        raise CheckFailed(f"带 disk=ssd 标签的节点是 {ssd or '（无）'}，应当只有 node-1。")


@check("q2", "Pod trainer 在 node-1 上真的运行着", points=3, wait=60,
       hint="Pod 一直 Pending？kubectl describe pod trainer 最后的 FailedScheduling 事件会逐个节点说明原因："
            "“didn't match Pod's node affinity/selector” 是标签不对，"
            "“had untolerated taint” 是缺少容忍（toleration），“Insufficient cpu” 是请求太大。")
def on_target(ctx: CheckContext) -> None:
    pod = ctx.require("pod/trainer")
    node = pod["spec"].get("nodeName")
    if node and node != TARGET:
        raise CheckFailed(f"trainer 被调度到了 {node}，不是 node-1。", final=True)
    ctx.require_running_pod("trainer")
    if not any(c.node_name == TARGET and c.state == "running" for c in ctx.containers("trainer")):
        raise CheckFailed("容器运行时里 trainer 的容器不在 node-1 上运行。")


@check("q3", "用 nodeSelector 选节点，并容忍 node-1 的污点", points=2,
       hint="spec.nodeSelector: {disk: ssd}；spec.tolerations 写 key: dedicated、operator: Equal、"
            "value: gpu、effect: NoSchedule。不要直接写 spec.nodeName：那样绕过了调度器。")
def selector_and_toleration(ctx: CheckContext) -> None:
    spec = ctx.require("pod/trainer")["spec"]
    if (spec.get("nodeSelector") or {}).get("disk") != "ssd":
        raise CheckFailed(f"trainer 的 nodeSelector 是 {spec.get('nodeSelector') or '（无）'}，缺少 disk=ssd。")
    tolerated = False
    for t in spec.get("tolerations") or []:
        key_ok = t.get("key") == "dedicated" or (not t.get("key") and t.get("operator") == "Exists")
        value_ok = t.get("operator") == "Exists" or t.get("value") == "gpu"
        effect_ok = t.get("effect") in (None, "", "NoSchedule")
        tolerated = tolerated or (key_ok and value_ok and effect_ok)
    if not tolerated:
        raise CheckFailed("trainer 没有容忍污点 dedicated=gpu:NoSchedule 的 toleration。")


@check("q4", "容器请求 cpu 500m、memory 256Mi", points=1, hidden=True,
       hint="resources.requests: {cpu: 500m, memory: 256Mi}。")
def requests(ctx: CheckContext) -> None:
    containers = ctx.require("pod/trainer")["spec"]["containers"]
    req = (containers[0].get("resources") or {}).get("requests") or {}
    try:
        cpu = cpu_millis(str(req.get("cpu", "0")))
        memory = memory_bytes(str(req.get("memory", "0")))
    except ValueError as e:
        raise CheckFailed(f"requests 写错了：{e}") from None
    if cpu != 500 or memory != 256 * 1024 * 1024:
        raise CheckFailed(f"trainer 的 requests 是 {req or '（无）'}，应当是 cpu 500m、memory 256Mi。")
