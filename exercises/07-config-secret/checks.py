"""练习 07：ConfigMap 与 Secret 的检查（checks of exercise 07-config-secret）。

q1 ConfigMap app-config：GREETING=hello，MODE=dev（2 分）
q2 Secret app-secret：PASSWORD=s3cr3t（2 分）
q3 Pod app 正在运行，容器的环境变量里真的有 GREETING=hello 和 PASSWORD=s3cr3t（3 分，最多等 60 秒）
q4（隐藏）app-config 挂载在 /etc/config：容器里的文件 /etc/config/MODE 内容是 dev（2 分，最多等 30 秒）
"""

from __future__ import annotations

import base64

from k8sedu.grading import CheckContext, CheckFailed, check


@check("q1", "ConfigMap app-config 含 GREETING=hello、MODE=dev", points=2,
       hint="ConfigMap 的键值写在 data 下：data: {GREETING: hello, MODE: dev}。kubectl describe cm app-config 核对。")
def configmap(ctx: CheckContext) -> None:
    data = ctx.require("configmap/app-config").get("data") or {}
    for key, value in (("GREETING", "hello"), ("MODE", "dev")):
        if data.get(key) != value:
            raise CheckFailed(f"ConfigMap app-config 的 {key} 是 {data.get(key)!r}，应当是 {value!r}。")


@check("q2", "Secret app-secret 含 PASSWORD=s3cr3t", points=2,
       hint="Secret 的 data 里的值是 base64 编码（不是加密！）；也可以写在 stringData 下，由 API Server 替你编码。")
def secret(ctx: CheckContext) -> None:
    sec = ctx.require("secret/app-secret")
    raw = (sec.get("data") or {}).get("PASSWORD")
    value = base64.b64decode(raw).decode("utf-8", "replace") if raw else None
    if value != "s3cr3t":
        raise CheckFailed(f"Secret app-secret 的 PASSWORD 解码后是 {value!r}，应当是 's3cr3t'。")


@check("q3", "容器的环境变量里真的有 GREETING 和 PASSWORD", points=3, wait=60,
       hint="env 里用 valueFrom.configMapKeyRef 和 valueFrom.secretKeyRef 引用键（也可以用 envFrom 整个引入）。"
            "环境变量只在容器启动时注入：改了 Pod 之后要重建它。用 kubectl exec app -- env 看一看。")
def env(ctx: CheckContext) -> None:
    ctx.require_running_pod("app")
    lines = set(ctx.exec("app", "env").splitlines())
    for want in ("GREETING=hello", "PASSWORD=s3cr3t"):
        if want not in lines:
            raise CheckFailed(f"kubectl exec app -- env 的输出里没有 {want}。", final=True)


@check("q4", "/etc/config/MODE 的内容是 dev", points=2, hidden=True, wait=30,
       hint="volumes 里加 configMap: {name: app-config}，容器里用 volumeMounts 挂到 /etc/config。")
def mounted(ctx: CheckContext) -> None:
    ctx.require_running_pod("app")
    text = ctx.exec("app", "cat /etc/config/MODE").strip()
    if text != "dev":
        raise CheckFailed(f"/etc/config/MODE 的内容是 {text!r}。")
