"""The scheduler against a real apiserver: watch, decide, bind, report, retry."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import _waits
import pytest

from k8sedu.apiserver import ADMIN, SCHEDULER, APIServer
from k8sedu.client import Client
from k8sedu.scheduler import Scheduler, Trace
from k8sedu.store import MemoryStore

INSUFFICIENT_CPU = ("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
                    "3 No preemption victims found for incoming pod.")


eventually = partial(_waits.eventually, timeout=15.0, interval=0.02)


def node(name: str, cpu: str = "2", labels: dict[str, str] | None = None, unschedulable: bool = False) -> dict[str, Any]:
    resources = {"cpu": cpu, "memory": "4Gi", "pods": "110"}
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {"capacity": dict(resources), "allocatable": dict(resources),
                   "conditions": [{"type": "Ready", "status": "True"}]},
    }


def pod(name: str, cpu: str = "500m", memory: str = "256Mi", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "app", "image": "k8sedu/web:v1",
                                     "resources": {"requests": {"cpu": cpu, "memory": memory}}}], **spec}}


class Env:
    def __init__(self) -> None:
        self.api = APIServer(MemoryStore())
        self.admin = Client(self.api, ADMIN, "kubectl")
        self.scheduler = Scheduler(Client(self.api, SCHEDULER, "scheduler"), self.api.clock, seed=42)

    def node_of(self, name: str) -> str | None:
        return self.admin.get("pods", name, "default")["spec"].get("nodeName")

    def wait_bound(self, name: str) -> str:
        return eventually(lambda: self.node_of(name), what=f"pod {name} to be bound")

    def events(self, name: str, reason: str) -> list[dict[str, Any]]:
        items: Any = self.admin.items("events", "default")
        return [e for e in items
                if e["involvedObject"]["name"] == name and e["reason"] == reason]


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    for i in (1, 2, 3):
        e.admin.create("nodes", node(f"node-{i}", labels={"disktype": "ssd"} if i == 3 else None))
    e.scheduler.start()
    try:
        yield e
    finally:
        e.scheduler.stop()


def test_three_equal_pods_spread_over_three_nodes(env: Env) -> None:
    for i in range(3):
        env.admin.create("pods", pod(f"web-{i}"))
    placed = sorted(env.wait_bound(f"web-{i}") for i in range(3))
    assert placed == ["node-1", "node-2", "node-3"]  # LeastAllocated: the emptiest node wins each time
    for i in range(3):
        name = f"web-{i}"
        where = env.node_of(name)
        [event] = eventually(partial(env.events, name, "Scheduled"), what="the Scheduled event")
        assert event["type"] == "Normal"
        assert event["message"] == f"Successfully assigned default/{name} to {where}"
        assert event["source"]["component"] == "default-scheduler"
        cond = next(c for c in env.admin.get("pods", name, "default")["status"]["conditions"] if c["type"] == "PodScheduled")
        assert cond["status"] == "True"


def test_trace_of_a_scheduled_pod(env: Env) -> None:
    env.admin.create("pods", pod("web-x"))
    where = env.wait_bound("web-x")
    trace: Trace = eventually(lambda: env.scheduler.trace("default", "web-x"), what="the trace")
    assert trace.pod == "default/web-x" and trace.result == "Scheduled" and trace.chosen == where
    assert sorted(trace.feasible) == ["node-1", "node-2", "node-3"] and trace.scored
    assert trace.totals[where] == max(trace.totals.values())
    n = trace.node(where)
    assert n is not None and n.feasible
    assert all(f.code in ("Success", "Skip") for f in n.filters)
    fit = n.score("NodeResourcesFit")
    # empty 2 cpu / 4Gi node, 500m / 256Mi: cpu (2000-500)*100/2000 = 75, memory (4096-256)*100/4096 = 93
    assert fit is not None and (fit.raw, fit.weight, fit.weighted) == (84, 1, 84)
    assert n.score("TaintToleration").weighted == 300  # type: ignore[union-attr]
    assert trace.to_dict()["chosen"] == where
    assert "优选（Score）" in trace.table()
    assert trace in env.scheduler.traces()


def test_flow_events_of_a_cycle(env: Env) -> None:
    env.admin.create("pods", pod("web-f"))
    where = env.wait_bound("web-f")
    events = env.api.flow.events()
    mine = [e for e in events if e.src == "scheduler" and e.name == "web-f"]
    filt = next(e for e in mine if e.dst == "scheduler" and e.action == "filter")
    assert filt.explain == "预选（Filter）：3 个节点中 3 个可用"
    score = next(e for e in mine if e.dst == "scheduler" and e.action == "score")
    total = env.scheduler.trace("default", "web-f").totals[where]  # type: ignore[union-attr]
    assert score.explain == f"优选（Score）：{where} 得分最高（{total}）"
    bind = next(e for e in mine if e.dst == "apiserver" and e.action.endswith("/pods/web-f/binding"))
    assert filt.seq < score.seq < bind.seq


def test_too_big_pod_stays_pending_then_fits_on_a_new_node(env: Env) -> None:
    env.admin.create("pods", pod("big", cpu="100"))
    [event] = eventually(lambda: env.events("big", "FailedScheduling"), what="the FailedScheduling event")
    assert event["type"] == "Warning" and event["message"] == INSUFFICIENT_CPU

    def condition() -> dict[str, Any] | None:
        conds = env.admin.get("pods", "big", "default")["status"].get("conditions") or []
        return next((c for c in conds if c["type"] == "PodScheduled" and c.get("reason") == "Unschedulable"), None)

    cond: dict[str, Any] = eventually(condition, what="PodScheduled=False")
    assert cond["status"] == "False" and cond["message"] == INSUFFICIENT_CPU
    assert env.node_of("big") is None
    trace = env.scheduler.trace("default", "big")
    assert trace is not None and trace.result == "Unschedulable" and trace.message == INSUFFICIENT_CPU
    assert all(n.reasons == ["Insufficient cpu"] for n in trace.nodes)
    assert eventually(lambda: "default/big" in env.scheduler.pending()["unschedulable"], what="big to wait for an event")

    env.admin.create("nodes", node("big-node", cpu="128"))  # a cluster event: the Pod is tried again
    assert env.wait_bound("big") == "big-node"
    attempts = [t for t in env.scheduler.traces() if t.pod == "default/big"]
    assert [t.result for t in attempts][-1] == "Scheduled" and attempts[0].result == "Unschedulable"


def test_node_selector_is_honoured(env: Env) -> None:
    for i in range(3):
        env.admin.create("pods", pod(f"ssd-{i}", nodeSelector={"disktype": "ssd"}))
    assert {env.wait_bound(f"ssd-{i}") for i in range(3)} == {"node-3"}
    trace = env.scheduler.trace("default", "ssd-0")
    assert trace is not None and trace.feasible == ["node-3"] and not trace.scored
    assert trace.node("node-1").reasons == ["node(s) didn't match Pod's node affinity/selector"]  # type: ignore[union-attr]


def test_cordoned_node_is_skipped(env: Env) -> None:
    env.admin.patch("nodes", "node-1", {"spec": {"unschedulable": True}})
    eventually(lambda: any(n["metadata"]["name"] == "node-1" and n.get("spec", {}).get("unschedulable")
                           for n in env.scheduler.cache.nodes()), what="the scheduler to see the cordon")
    for i in range(4):
        env.admin.create("pods", pod(f"c-{i}"))
    assert "node-1" not in {env.wait_bound(f"c-{i}") for i in range(4)}
    trace = env.scheduler.trace("default", "c-0")
    cordoned = trace.node("node-1")  # type: ignore[union-attr]
    assert cordoned is not None and not cordoned.feasible
    assert cordoned.filters[-1].plugin == "NodeUnschedulable"
    assert cordoned.reasons == ["node(s) were unschedulable"]


def test_pods_of_another_scheduler_are_left_alone(env: Env) -> None:
    env.admin.create("pods", pod("mine"))
    env.admin.create("pods", pod("theirs", schedulerName="my-scheduler"))
    env.wait_bound("mine")
    assert env.node_of("theirs") is None
    assert env.scheduler.trace("default", "theirs") is None
    assert "default/theirs" not in sum(env.scheduler.pending().values(), [])


def test_freed_resources_let_a_pending_pod_in(env: Env) -> None:
    for i in range(3):
        env.admin.create("pods", pod(f"fat-{i}", cpu="1500m"))
    for i in range(3):
        env.wait_bound(f"fat-{i}")
    env.admin.create("pods", pod("late", cpu="1"))
    eventually(lambda: env.events("late", "FailedScheduling"), what="late to fail first")
    freed = env.node_of("fat-0")
    env.admin.delete("pods", "fat-0", "default", grace_period_seconds=0)
    assert env.wait_bound("late") == freed


def test_no_nodes_is_a_scheduler_error_retried_after_back_off() -> None:
    e = Env()
    e.scheduler.start()
    try:
        e.admin.create("pods", pod("early"))
        [event] = eventually(lambda: e.events("early", "FailedScheduling"), what="the FailedScheduling event")
        assert event["message"] == "no nodes available to schedule pods"

        def condition() -> dict[str, Any] | None:
            conds = e.admin.get("pods", "early", "default")["status"].get("conditions") or []
            return next((c for c in conds if c["type"] == "PodScheduled" and c["status"] == "False"), None)

        assert eventually(condition, what="PodScheduled=False")["reason"] == "SchedulerError"
        e.admin.create("nodes", node("node-1"))
        assert e.wait_bound("early") == "node-1"
    finally:
        e.scheduler.stop()
