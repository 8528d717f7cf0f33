"""练习 01：第一个 Pod 的检查（checks of exercise 01-first-pod）。

q1 Pod hello 存在并带有标签 app=hello（2 分）
q2 Pod hello 正在运行，并且容器运行时里真有它的容器在运行（3 分，最多等 60 秒）
q3（隐藏）容器声明了端口 80（1 分）
"""

from __future__ import annotations

from k8sedu.grading import CheckContext, CheckFailed, check

POD = "hello"


@check("q1", "Pod hello 存在并带有标签 app=hello", points=2,
       hint="Pod 的名字写在 metadata.name，标签写在 metadata.labels，例如 labels: {app: hello}。"
            "提交后用 kubectl get pod hello --show-labels 看一看。")
def pod_with_label(ctx: CheckContext) -> None:
    pod = ctx.require(f"pod/{POD}")
    labels = pod["metadata"].get("labels") or {}
    if labels.get("app") != "hello":
        raise CheckFailed(f"Pod hello 的标签是 {labels or '（无）'}，缺少 app=hello。")


@check("q2", "Pod hello 正在运行（容器真的在跑）", points=3, wait=60,
       hint="镜像要写 k8sedu/web:v1。用 kubectl get pod hello 看 STATUS 列，"
            "用 kubectl describe pod hello 看最后的事件（Events）。")
def pod_running(ctx: CheckContext) -> None:
    ctx.require_running_pod(POD)


@check("q3", "容器声明了端口 80", points=1, hidden=True,
       hint="在容器里写 ports: [{containerPort: 80}]。")
def port_80(ctx: CheckContext) -> None:
    pod = ctx.require(f"pod/{POD}")
    ports = [p.get("containerPort") for c in pod["spec"].get("containers", []) for p in c.get("ports", [])]
    if 80 not in ports:
        raise CheckFailed(f"Pod hello 的容器声明的端口是 {ports or '（无）'}，没有 80。")
