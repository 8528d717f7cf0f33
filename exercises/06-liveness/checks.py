"""练习 06：用存活探针（liveness probe）实现自我修复的检查（checks of exercise 06-liveness）。

q1 Pod healer 正在运行（镜像 k8sedu/busybox）（1 分，最多等 60 秒）
q2 healer 有 exec 存活探针：cat /tmp/healthy（2 分）
q3 kubelet 因探针失败重启过 healer 的容器：容器运行时里它的容器已是第 2 次或以后的尝试，并且正在运行（4 分，最多等 90 秒）
q4（隐藏）探针每 5 秒以内探测一次，重启策略是 Always（1 分）
"""

from __future__ import annotations

from typing import Any

from k8sedu.grading import CheckContext, CheckFailed, check


def _probe(pod: dict[str, Any]) -> dict[str, Any]:
    probe: dict[str, Any] = pod["spec"]["containers"][0].get("livenessProbe") or {}
    return probe


@check("q1", "Pod healer 正在运行", points=1, wait=60,
       hint="镜像用 k8sedu/busybox，命令类似 sh -c \"touch /tmp/healthy; sleep 10; rm /tmp/healthy; sleep 3600\"。")
def running(ctx: CheckContext) -> None:
    ctx.require_running_pod("healer")


@check("q2", "healer 有 exec 存活探针 cat /tmp/healthy", points=2,
       hint="在容器里写 livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 2}。"
            "kubectl describe pod healer 的 Liveness 一行会显示它。")
def has_probe(ctx: CheckContext) -> None:
    probe = _probe(ctx.require("pod/healer"))
    command = " ".join((probe.get("exec") or {}).get("command") or [])
    if "cat" not in command or "/tmp/healthy" not in command:
        raise CheckFailed(f"healer 的存活探针是 {probe or '（无）'}，不是 exec: cat /tmp/healthy。")


@check("q3", "kubelet 因探针失败重启了容器，容器又在运行", points=4, wait=90,
       hint="文件 /tmp/healthy 被删除后，探针连续失败 failureThreshold 次，kubelet 就杀掉容器并按 "
            "restartPolicy 重启它。kubectl get pod healer 的 RESTARTS 列会增加，"
            "kubectl describe pod healer 的事件里有 “Liveness probe failed”。")
def restarted(ctx: CheckContext) -> None:
    pod = ctx.require("pod/healer")
    if not _probe(pod):
        raise CheckFailed("healer 没有存活探针，kubelet 不会因为它重启容器。", final=True)
    live = [c for c in ctx.containers("healer") if c.container_name == pod["spec"]["containers"][0]["name"]]
    newest = max(live, key=lambda c: c.attempt, default=None)
    if newest is None or newest.attempt < 1:
        raise CheckFailed("容器运行时里 healer 的容器还没有被重启过（仍是第 1 次尝试）。")
    if newest.state != "running":
        raise CheckFailed(f"healer 的容器被重启过，但现在的状态是 {newest.state}，不在运行。")


@check("q4", "探针周期不超过 5 秒，重启策略 Always", points=1, hidden=True,
       hint="periodSeconds 写 2 到 5 之间的数；restartPolicy 不写时就是 Always。")
def tuned(ctx: CheckContext) -> None:
    pod = ctx.require("pod/healer")
    if pod["spec"].get("restartPolicy", "Always") != "Always":
        raise CheckFailed(f"重启策略是 {pod['spec'].get('restartPolicy')}。")
    if int(_probe(pod).get("periodSeconds", 10)) > 5:
        raise CheckFailed(f"探针周期是 {_probe(pod).get('periodSeconds', 10)} 秒，超过 5 秒。")
