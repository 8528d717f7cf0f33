"""练习 02：标签与选择器的检查（checks of exercise 02-labels-selectors）。

q1 三个 Pod（web-1、web-2、db-1）带有要求的标签（2 分）
q2 选择器 tier=frontend 恰好选中两个 web Pod，且它们都真的在运行（3 分，最多等 60 秒）
q3 web-1 带 track=stable，web-2 带 track=canary：集合选择器 track in (stable,canary) 恰好选中两个 web Pod（2 分）
q4（隐藏）db-1 没有 track 标签：选择器 !track 只选中 db-1（1 分）
"""

from __future__ import annotations

from k8sedu.grading import CheckContext, CheckFailed, check

WANTED = {
    "web-1": {"app": "web", "tier": "frontend"},
    "web-2": {"app": "web", "tier": "frontend"},
    "db-1": {"app": "db", "tier": "backend"},
}
WEBS = {"web-1", "web-2"}


def _names(pods: list[dict]) -> set[str]:
    return {p["metadata"]["name"] for p in pods}


@check("q1", "web-1、web-2、db-1 三个 Pod 带有要求的标签", points=2,
       hint="标签（label）写在 metadata.labels 下，是键值对，例如 {app: web, tier: frontend}。"
            "用 kubectl get pods --show-labels 核对每个 Pod 的标签。")
def labelled(ctx: CheckContext) -> None:
    for name, labels in WANTED.items():
        pod = ctx.require(f"pod/{name}")
        have = pod["metadata"].get("labels") or {}
        missing = {k: v for k, v in labels.items() if have.get(k) != v}
        if missing:
            shown = ", ".join(f"{k}={v}" for k, v in missing.items())
            raise CheckFailed(f"Pod {name} 缺少标签 {shown}（现有：{have or '无'}）。")


@check("q2", "选择器 tier=frontend 恰好选中两个正在运行的 web Pod", points=3, wait=60,
       hint="等值选择器（equality-based selector）tier=frontend 只选中 tier 标签恰好等于 frontend 的 Pod。"
            "试试 kubectl get pods -l tier=frontend；Pod 要真的在运行（镜像 k8sedu/web:v1）。")
def frontend_selected(ctx: CheckContext) -> None:
    chosen = _names(ctx.pods("tier=frontend"))
    if chosen != WEBS:
        raise CheckFailed(f"kubectl get pods -l tier=frontend 选中的是 {sorted(chosen) or '（无）'}，"
                          f"应当恰好是 web-1 和 web-2。", final=not chosen)
    for name in sorted(WEBS):
        ctx.require_running_pod(name)


@check("q3", "集合选择器 track in (stable,canary) 选中两个 web Pod，web-2 是 canary", points=2,
       hint="给已有的 Pod 加标签不必重建它：kubectl label pod web-1 track=stable。"
            "再用 kubectl get pods -l 'track in (stable,canary)' 和 -l track=canary 检验。")
def tracks(ctx: CheckContext) -> None:
    chosen = _names(ctx.pods("track in (stable,canary)"))
    if chosen != WEBS:
        raise CheckFailed(f"选择器 track in (stable,canary) 选中的是 {sorted(chosen) or '（无）'}，"
                          f"应当是 web-1 和 web-2。")
    canary = _names(ctx.pods("track=canary"))
    if canary != {"web-2"}:
        raise CheckFailed(f"选择器 track=canary 选中的是 {sorted(canary) or '（无）'}，应当只有 web-2。")


@check("q4", "选择器 !track 只选中 db-1", points=1, hidden=True,
       hint="db-1 不应当有 track 标签：kubectl label pod db-1 track- 可以删除一个标签。")
def db_untracked(ctx: CheckContext) -> None:
    ctx.require("pod/db-1")
    chosen = _names(ctx.pods("!track"))
    if chosen != {"db-1"}:
        raise CheckFailed(f"选择器 !track 选中的是 {sorted(chosen) or '（无）'}，应当只有 db-1。")
