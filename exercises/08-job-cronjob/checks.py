"""练习 08：Job 与 CronJob 的检查（checks of exercise 08-job-cronjob）。

q1 Job count 完成了 3 次：3 个 Pod 的容器以退出码 0 结束，日志里有 done（3 分，最多等 90 秒）
q2 Job count 一次只运行一个 Pod（parallelism 1），失败最多重试 2 次（backoffLimit 2）（2 分）
q3 CronJob tick：每 5 分钟一次（*/5 * * * *），不允许并发（Forbid），镜像 k8sedu/busybox（3 分）
q4（隐藏）CronJob tick 只保留 1 个成功的 Job（successfulJobsHistoryLimit 1）（1 分）
"""

from __future__ import annotations

from typing import Any

from k8sedu.grading import CheckContext, CheckFailed, check


def _job_pods(ctx: CheckContext, job: dict[str, Any]) -> list[dict[str, Any]]:
    uid = job["metadata"]["uid"]
    return [p for p in ctx.pods() if any(o.get("uid") == uid for o in p["metadata"].get("ownerReferences", []))]


@check("q1", "Job count 真的成功运行了 3 次", points=3, wait=90,
       hint="Job 的 spec.completions: 3 表示要有 3 个 Pod 成功结束；Pod 的 restartPolicy 必须是 Never 或 OnFailure。"
            "命令可以是 sh -c \"echo done\"。kubectl get jobs 看 COMPLETIONS 列，kubectl logs 看每个 Pod 的输出。")
def completed(ctx: CheckContext) -> None:
    job = ctx.require("job/count")
    pods = _job_pods(ctx, job)
    done = []
    for pod in pods:
        if pod.get("status", {}).get("phase") != "Succeeded":
            continue
        ended = [c for c in ctx.containers(pod["metadata"]["name"]) if c.state == "exited" and c.exit_code == 0]
        if ended and "done" in ctx.logs(pod["metadata"]["name"]):
            done.append(pod["metadata"]["name"])
    if len(done) < 3:
        raise CheckFailed(f"Job count 的 Pod 中，容器以退出码 0 结束且日志含 done 的有 {len(done)} 个，应当是 3 个"
                          f"（共 {len(pods)} 个 Pod）。")


@check("q2", "一次一个 Pod，最多重试 2 次", points=2,
       hint="spec.parallelism: 1，spec.backoffLimit: 2。")
def serial(ctx: CheckContext) -> None:
    spec = ctx.require("job/count")["spec"]
    if spec.get("completions") != 3 or spec.get("parallelism") != 1 or spec.get("backoffLimit") != 2:
        raise CheckFailed(f"Job count 的 completions/parallelism/backoffLimit 是 {spec.get('completions')}/"
                          f"{spec.get('parallelism')}/{spec.get('backoffLimit')}，应当是 3/1/2。")


@check("q3", "CronJob tick：*/5 * * * *，Forbid，镜像 k8sedu/busybox", points=3,
       hint="CronJob 的 spec.schedule 是 cron 表达式（分 时 日 月 周）；spec.concurrencyPolicy: Forbid "
            "表示上一次还没结束就跳过这一次；Pod 模板在 spec.jobTemplate.spec.template 下。")
def cronjob(ctx: CheckContext) -> None:
    spec = ctx.require("cronjob/tick")["spec"]
    if spec.get("schedule", "").split() != ["*/5", "*", "*", "*", "*"]:
        raise CheckFailed(f"CronJob tick 的 schedule 是 {spec.get('schedule')!r}，应当是 '*/5 * * * *'。")
    if spec.get("concurrencyPolicy") != "Forbid":
        raise CheckFailed(f"CronJob tick 的 concurrencyPolicy 是 {spec.get('concurrencyPolicy')}，应当是 Forbid。")
    containers = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    if not any(c.get("image", "").startswith("k8sedu/busybox") for c in containers):
        raise CheckFailed("CronJob tick 的容器镜像不是 k8sedu/busybox。")


@check("q4", "只保留 1 个成功的 Job", points=1, hidden=True,
       hint="spec.successfulJobsHistoryLimit: 1（默认是 3）。")
def history(ctx: CheckContext) -> None:
    spec = ctx.require("cronjob/tick")["spec"]
    if spec.get("successfulJobsHistoryLimit") != 1:
        raise CheckFailed(f"successfulJobsHistoryLimit 是 {spec.get('successfulJobsHistoryLimit')}。")
