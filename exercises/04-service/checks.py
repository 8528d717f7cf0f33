"""练习 04：Service 与它的 Endpoints 的检查（checks of exercise 04-service）。

练习开始时已经有一个 Deployment web（2 个副本，标签 app=web，镜像 k8sedu/web:v1）。

q1 Service web：类型 ClusterIP，端口 80（2 分）
q2 Service web 的 Endpoints 恰好是 web 的 2 个正在运行的 Pod 的 IP，端口 80（3 分，最多等 60 秒）
q3 通过 Service 真的能访问到 web 页面（kube-proxy 转发到了 Pod 里的容器）（3 分，最多等 30 秒）
q4（隐藏）NodePort Service web-np，nodePort 30080（1 分）
"""

from __future__ import annotations

import urllib.request
from typing import Any

from k8sedu.grading import CheckContext, CheckFailed, check

NODES = 2


def setup(c: Any) -> None:
    """What the exercise gives: the Deployment web with two replicas."""
    c.kubectl("create deployment web --image=k8sedu/web:v1 --replicas=2 --port=80")


@check("q1", "Service web：ClusterIP，端口 80", points=2,
       hint="kubectl expose deployment web --port=80 会按 Deployment 的选择器 app=web 创建同名 Service；"
            "也可以自己写 kind: Service 的 YAML，spec.selector 写 app: web。")
def service(ctx: CheckContext) -> None:
    svc = ctx.require("service/web")
    if svc["spec"].get("type", "ClusterIP") != "ClusterIP":
        raise CheckFailed(f"Service web 的类型是 {svc['spec'].get('type')}，应当是 ClusterIP。")
    ports = [p.get("port") for p in svc["spec"].get("ports", [])]
    if 80 not in ports:
        raise CheckFailed(f"Service web 的端口是 {ports}，没有 80。")


def _addresses(ep: dict[str, Any]) -> tuple[set[str], set[int]]:
    ips: set[str] = set()
    ports: set[int] = set()
    for subset in ep.get("subsets") or []:
        ips.update(a["ip"] for a in subset.get("addresses") or [])
        ports.update(p["port"] for p in subset.get("ports") or [])
    return ips, ports


@check("q2", "Endpoints web 恰好是 2 个正在运行的 web Pod", points=3, wait=60,
       hint="Endpoints 由 Endpoints 控制器按 Service 的 selector 维护，只收录就绪（Ready）的 Pod。"
            "kubectl get endpoints web 是空的？多半是 selector 与 Pod 的标签对不上，"
            "用 kubectl get pods --show-labels 和 kubectl describe svc web 对照。")
def endpoints(ctx: CheckContext) -> None:
    svc = ctx.require("service/web")
    ep = ctx.get("endpoints/web")
    ips, ports = _addresses(ep or {})
    running = {p["status"].get("podIP") for p in ctx.running_pods("app=web")}
    if not running:
        raise CheckFailed("没有正在运行的 app=web 的 Pod。")
    if ips != running:
        raise CheckFailed(f"Endpoints web 的地址是 {sorted(ips) or '（无）'}，而正在运行的 web Pod 的 IP 是 "
                          f"{sorted(running)}（Service 的 selector 是 {svc['spec'].get('selector')}）。")
    if ports != {80}:
        raise CheckFailed(f"Endpoints web 的端口是 {sorted(ports)}，应当是 80（targetPort）。")


@check("q3", "通过 Service 真的访问到了 web 页面", points=3, wait=30,
       hint="Service 的 ClusterIP 是虚拟的，由 kube-proxy 把连接转发到某个 Endpoint。"
            "targetPort 要写容器真正监听的端口 80；用 c.url(\"service/web\") 取得地址后访问试试。")
def reachable(ctx: CheckContext) -> None:
    ctx.require("service/web")
    try:
        url = ctx.cluster.url("service/web:80")
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode("utf-8", "replace")
    except Exception as e:
        raise CheckFailed(f"访问 Service web 失败：{type(e).__name__}: {e}") from None
    pods = {p["metadata"]["name"] for p in ctx.running_pods("app=web")}
    first = body.split()[0] if body.split() else ""
    if first.removeprefix("hostname=") not in pods:  # the web image answers with its Pod's hostname
        raise CheckFailed(f"Service web 的回答不是来自正在运行的 web Pod：{body[:80]!r}")


@check("q4", "NodePort Service web-np，nodePort 30080", points=1, hidden=True,
       hint="type: NodePort，ports 里写 port: 80、nodePort: 30080，selector 写 app: web。")
def nodeport(ctx: CheckContext) -> None:
    svc = ctx.require("service/web-np")
    if svc["spec"].get("type") != "NodePort":
        raise CheckFailed(f"Service web-np 的类型是 {svc['spec'].get('type')}，不是 NodePort。")
    if 30080 not in [p.get("nodePort") for p in svc["spec"].get("ports", [])]:
        raise CheckFailed("Service web-np 没有 nodePort 30080。")
    if (svc["spec"].get("selector") or {}).get("app") != "web":
        raise CheckFailed("Service web-np 的 selector 不是 app=web。")
