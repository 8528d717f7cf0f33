"""The framework, the decision (simulate), the FailedScheduling message, the trace and the queue."""

from __future__ import annotations

import json
import random
import threading
from typing import Any, ClassVar

import pytest
from test_scheduler_plugins import CONTROL_PLANE, node, pod

import k8sedu.scheduler as scheduler
from k8sedu.clock import FakeClock
from k8sedu.scheduler import (
    DEFAULT_PROFILE,
    Code,
    CycleState,
    NodeInfo,
    Profile,
    Registry,
    SchedulingQueue,
    Status,
    default_normalize_score,
    fit_error_message,
    in_tree_registry,
    simulate,
)
from k8sedu.scheduler.framework import PluginRef
from k8sedu.scheduler.queue import QueuedPodInfo


# -- the public surface and the framework ------------------------------------------------------------
def test_public_surface() -> None:
    assert set(scheduler.__all__) >= {
        "Scheduler", "simulate", "Trace", "Code", "Status", "CycleState", "NodeInfo", "Registry", "Profile",
        "DEFAULT_PROFILE", "FilterPlugin", "PreFilterPlugin", "ScorePlugin", "fit_error_message",
    }
    for name in scheduler.__all__:
        assert hasattr(scheduler, name), name


def test_codes_are_upstream_s() -> None:
    assert [c.value for c in (Code.SUCCESS, Code.ERROR, Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE,
                              Code.WAIT, Code.SKIP, Code.PENDING)] == list(range(7))
    assert Code.UNRESOLVABLE is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert Code.UNSCHEDULABLE_AND_UNRESOLVABLE.label == "UnschedulableAndUnresolvable"
    st = Status.unschedulable("Insufficient cpu", "Insufficient memory")
    assert st.is_rejected and not st.is_success and st.message == "Insufficient cpu, Insufficient memory"
    with pytest.raises(AttributeError):
        st.code = Code.SUCCESS  # type: ignore[misc]


def test_default_profile_has_upstream_weights() -> None:
    weights = {r.name: DEFAULT_PROFILE.weight(r.name) for r in DEFAULT_PROFILE.plugins}
    assert {k: v for k, v in weights.items() if k in (
        "TaintToleration", "NodeAffinity", "PodTopologySpread", "InterPodAffinity", "NodeResourcesFit",
        "NodeResourcesBalancedAllocation", "ImageLocality")} == {
        "TaintToleration": 3, "NodeAffinity": 2, "PodTopologySpread": 2, "InterPodAffinity": 2,
        "NodeResourcesFit": 1, "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1}
    assert [r.name for r in DEFAULT_PROFILE.plugins][:6] == [
        "NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity", "NodePorts", "NodeResourcesFit"]
    assert DEFAULT_PROFILE.scheduler_name == "default-scheduler"


def test_registry_refuses_duplicates() -> None:
    reg = in_tree_registry()
    with pytest.raises(ValueError, match="a plugin named NodeName already exists"):
        reg.register("NodeName", lambda args: None)  # type: ignore[arg-type,return-value]
    reg.unregister("NodeName")
    assert "NodeName" not in reg
    with pytest.raises(ValueError, match="no plugin named NodeName exists"):
        reg.unregister("NodeName")
    assert "NodeName" not in Registry().merge(reg)


def test_default_normalize_score() -> None:
    assert default_normalize_score({"a": 0, "b": 1, "c": 3}) == {"a": 0, "b": 33, "c": 100}
    assert default_normalize_score({"a": 0, "b": 1, "c": 3}, reverse=True) == {"a": 100, "b": 67, "c": 0}
    assert default_normalize_score({"a": 0, "b": 0}) == {"a": 0, "b": 0}
    assert default_normalize_score({"a": 0, "b": 0}, reverse=True) == {"a": 100, "b": 100}


def test_a_custom_plugin_joins_a_profile() -> None:
    class PreferNodeTwo:
        name: ClassVar[str] = "PreferNodeTwo"

        def __init__(self, args: Any = None) -> None:
            pass

        def score(self, state: CycleState, p: dict[str, Any], n: NodeInfo) -> int:
            return 100 if n.name == "node-2" else 0

    reg = in_tree_registry()
    reg.register(PreferNodeTwo.name, PreferNodeTwo)
    profile = Profile(plugins=(*DEFAULT_PROFILE.plugins, PluginRef("PreferNodeTwo", 5)))
    t = simulate(pod("x"), [node("node-1"), node("node-2"), node("node-3")], profile=profile, registry=reg, seed=1)
    assert t.chosen == "node-2"
    assert t.node("node-2").score("PreferNodeTwo").weighted == 500  # type: ignore[union-attr]


# -- the FailedScheduling message ----------------------------------------------------------------------
def test_fit_error_message_counts_and_sorts_reasons() -> None:
    statuses = {
        "cp": Status.unresolvable("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"),
        "n1": Status.unschedulable("Insufficient cpu"),
        "n2": Status.unschedulable("Insufficient cpu", "Insufficient memory"),
    }
    assert fit_error_message(3, statuses) == (
        "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.")
    # sorted as strings, as Go's sort.Strings: "10 …" sorts before "2 …"
    many = {f"n{i}": Status.unschedulable("Insufficient cpu") for i in range(10)}
    many["x"] = Status.unschedulable("Too many pods")
    many["y"] = Status.unschedulable("Too many pods")
    assert fit_error_message(12, many) == "0/12 nodes are available: 10 Insufficient cpu, 2 Too many pods."
    assert fit_error_message(2, {}, pre_filter_msg="pod affinity terms conflict",
                             post_filter_msg="preemption: x") == \
        "0/2 nodes are available: pod affinity terms conflict. preemption: x"


def nodes3() -> list[dict[str, Any]]:
    return [node("node-1"), node("node-2"), node("node-3")]


def test_simulate_insufficient_cpu_everywhere() -> None:
    t = simulate(pod("big", cpu="100"), nodes3(), seed=1)
    assert t.result == "Unschedulable" and t.chosen is None and t.feasible == []
    assert t.message == ("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
                         "3 No preemption victims found for incoming pod.")
    assert t.preemption.startswith("preemption: ")


def test_simulate_mixed_reasons_control_plane_taint() -> None:
    nodes = [node("cp", taints=[CONTROL_PLANE]), node("node-1", cpu="1"), node("node-2", cpu="1")]
    t = simulate(pod("p", cpu="1500m"), nodes, seed=1)
    assert t.message == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod.")
    cp = t.node("cp")
    assert cp is not None and not cp.feasible
    assert [f.plugin for f in cp.filters] == ["NodeUnschedulable", "NodeName", "TaintToleration"]  # stops there
    assert cp.filters[-1].code == "UnschedulableAndUnresolvable"


def test_simulate_preemption_never_and_possible_victims() -> None:
    t = simulate(pod("p", cpu="3", preemptionPolicy="Never"), nodes3(), seed=1)
    assert t.message == "0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
    # a high-priority Pod that would fit if a low-priority one left: upstream would preempt, so its
    # message has no preemption part; we note that we do not preempt.
    low = pod("low", cpu="1500m", node_name="node-1")
    t = simulate(pod("vip", cpu="1", priority=1000), [node("node-1")], [low], seed=1)
    assert t.message == "0/1 nodes are available: 1 Insufficient cpu."
    assert any("preemption" in n for n in t.notes)
    # the victims are there but too small to help: the Filter's reason after removing them
    t = simulate(pod("vip", cpu="3", priority=1000), [node("node-1")], [low], seed=1)
    assert t.message.endswith("preemption: 0/1 nodes are available: 1 Insufficient cpu.")


def test_simulate_spreads_three_equal_pods_over_three_nodes() -> None:
    pods: list[dict[str, Any]] = []
    for i in range(3):
        t = simulate(pod(f"web-{i}", cpu="500m", memory="256Mi"), nodes3(), pods, seed=i)
        assert t.result == "Scheduled" and t.scored
        pods.append(pod(f"web-{i}", cpu="500m", memory="256Mi", node_name=t.chosen))
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-1", "node-2", "node-3"]


def test_simulate_totals_by_hand() -> None:
    # node-1 carries 1 cpu / 256Mi; incoming 500m / 256Mi on 2 cpu / 4Gi nodes
    # node-1: Fit cpu (2000-1500)*100/2000=25, mem (4096-512)*100/4096=87 → 56; Balanced 0.75 vs
    #         0.125 → std .3125 → 68; Taint 100×3; Image 0 → 300+56+68 = 424
    # node-2: Fit cpu 75, mem 93 → 84; Balanced .25 vs .0625 → std .09375 → 90 → 300+84+90 = 474
    t = simulate(pod("x", cpu="500m", memory="256Mi"), [node("node-1"), node("node-2")],
                 [pod("a", cpu="1", memory="256Mi", node_name="node-1")], seed=3)
    assert t.totals == {"node-1": 424, "node-2": 474}
    assert t.chosen == "node-2"
    fit = t.node("node-1").score("NodeResourcesFit")  # type: ignore[union-attr]
    assert (fit.raw, fit.normalized, fit.weight, fit.weighted) == (56, 56, 1, 56)  # type: ignore[union-attr]
    taint = t.node("node-2").score("TaintToleration")  # type: ignore[union-attr]
    assert (taint.raw, taint.normalized, taint.weight, taint.weighted) == (0, 100, 3, 300)  # type: ignore[union-attr]
    assert t.node("node-2").score("NodeAffinity").skipped  # type: ignore[union-attr]


def test_ties_are_broken_at_random_but_repeatably_with_a_seed() -> None:
    chosen = {simulate(pod("x"), nodes3(), seed=s).chosen for s in range(40)}
    assert chosen == {"node-1", "node-2", "node-3"}
    assert simulate(pod("x"), nodes3(), seed=7).chosen == simulate(pod("x"), nodes3(), seed=7).chosen


def test_one_feasible_node_is_chosen_without_scoring() -> None:
    t = simulate(pod("x", nodeSelector={"disktype": "ssd"}),
                 [node("node-1"), node("node-2", labels={"disktype": "ssd"})], seed=1)
    assert (t.result, t.chosen, t.scored) == ("Scheduled", "node-2", False)
    assert t.node("node-1").reasons == ["node(s) didn't match Pod's node affinity/selector"]  # type: ignore[union-attr]


def test_daemonset_style_pinning_reports_the_other_nodes() -> None:
    pinned = pod("ds", cpu="3", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-2"]}]}]}}})
    t = simulate(pinned, nodes3(), seed=1)
    assert t.message == ("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) "
                         "[NodeAffinity]. preemption: 0/3 nodes are available: 1 No preemption victims found "
                         "for incoming pod, 2 Preemption is not helpful for scheduling.")


def test_no_nodes() -> None:
    t = simulate(pod("x"), [], seed=1)
    assert (t.result, t.message) == ("Error", "no nodes available to schedule pods")


def test_trace_is_json_and_prints_a_table() -> None:
    t = simulate(pod("web-x", cpu="500m"), [node("node-1"), node("node-2", unschedulable=True)] + [node("node-3")],
                 seed=2)
    d = json.loads(json.dumps(t.to_dict()))
    assert d["pod"] == "default/web-x" and d["chosen"] == t.chosen
    assert {n["node"] for n in d["nodes"]} == {"node-1", "node-2", "node-3"}
    table = t.table()
    assert "预选（Filter）" in table and "优选（Score）" in table and "NodeResourcesFit×1" in table
    assert "node-2: node(s) were unschedulable" in table
    assert f"{t.totals[t.chosen]} ◀" in table  # type: ignore[index]


# -- the queue -------------------------------------------------------------------------------------------
def qpod(name: str, priority: int | None = None, **spec: Any) -> dict[str, Any]:
    p = pod(name, **spec)
    if priority is not None:
        p["spec"]["priority"] = priority
    return p


def test_queue_orders_by_priority_then_arrival() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock)
    q.add(qpod("a"))
    clock.advance(1)
    q.add(qpod("b", priority=10))
    clock.advance(1)
    q.add(qpod("c"))
    order = [q.pop(timeout=0.1).key for _ in range(3)]  # type: ignore[union-attr]
    assert order == ["default/b", "default/a", "default/c"]
    assert q.pop(timeout=0.05) is None


def test_queue_backoff_doubles_up_to_ten_seconds() -> None:
    q = SchedulingQueue(FakeClock())
    info = QueuedPodInfo(qpod("a"), 0.0)
    durations = []
    for attempts in range(1, 7):
        info.attempts = attempts
        durations.append(q.backoff_duration(info))
    assert durations == [1, 2, 4, 8, 10, 10]


def test_unschedulable_pod_waits_for_an_event_that_may_help() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock)
    q.add(qpod("tainted"))
    q.add(qpod("big"))
    a, b = q.pop(timeout=0.1), q.pop(timeout=0.1)
    assert a is not None and b is not None
    q.add_unschedulable_if_not_present(a, q.scheduling_cycle, {"TaintToleration"})
    q.add_unschedulable_if_not_present(b, q.scheduling_cycle, {"NodeResourcesFit"})
    q.done(a.key)
    q.done(b.key)
    assert q.pending()["unschedulable"] == ["default/big", "default/tainted"]
    assert q.pop(timeout=0.05) is None
    # deleting a Pod frees resources but removes no taint
    assert q.move_all_to_active_or_backoff("AssignedPodDelete") == 1
    assert q.pending()["backoff"] == ["default/big"]  # failed just now: back-off first (1 s)
    assert q.pop(timeout=0.05) is None
    clock.advance(1.0)
    popped = q.pop(timeout=0.5)
    assert popped is not None and popped.key == "default/big" and popped.attempts == 2
    # a new node may help anyone
    assert q.move_all_to_active_or_backoff("NodeAdd") == 1
    clock.advance(1.0)
    assert q.pop(timeout=0.5).key == "default/tainted"  # type: ignore[union-attr]


def test_event_during_the_cycle_sends_the_pod_to_backoff_not_unschedulable() -> None:
    clock = FakeClock()
    q = SchedulingQueue(clock)
    q.add(qpod("a"))
    info = q.pop(timeout=0.1)
    assert info is not None
    cycle = q.scheduling_cycle
    q.move_all_to_active_or_backoff("NodeAdd")  # a node came while "a" was being scheduled
    q.add_unschedulable_if_not_present(info, cycle, {"NodeResourcesFit"})
    q.done(info.key)
    assert q.pending()["backoff"] == ["default/a"]


def test_scheduling_gates_hold_a_pod_until_removed() -> None:
    q = SchedulingQueue(FakeClock())
    gated = qpod("g", schedulingGates=[{"name": "example.com/wait"}])
    q.add(gated)
    assert q.pending()["gated"] == ["default/g"]
    assert q.move_all_to_active_or_backoff("NodeAdd") == 0
    assert q.pop(timeout=0.05) is None
    q.update(gated, qpod("g"))
    assert q.pop(timeout=0.1).key == "default/g"  # type: ignore[union-attr]


def test_deleted_pod_leaves_the_queue_and_pop_unblocks_on_close() -> None:
    q = SchedulingQueue(FakeClock())
    q.add(qpod("a"))
    q.delete(qpod("a"))
    assert q.pop(timeout=0.05) is None
    got: list[Any] = []
    t = threading.Thread(target=lambda: got.append(q.pop()))
    t.start()
    q.close()
    t.join(2)
    assert not t.is_alive() and got == [None]


def test_random_module_is_not_used_for_decisions() -> None:
    # the tie-break uses the generator it is given: the global one stays untouched
    state = random.getstate()
    simulate(pod("x"), nodes3(), seed=1)
    assert random.getstate() == state


def test_unschedulable_plugins_are_recorded_for_the_queue() -> None:
    nodes = [node("cp", taints=[CONTROL_PLANE]), node("node-1", cpu="1")]
    assert simulate(pod("p", cpu="1500m"), nodes, seed=1).unschedulable_plugins == ["NodeResourcesFit", "TaintToleration"]
    pinned = pod("ds", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["gone"]}]}]}}})
    t = simulate(pinned, nodes, seed=1)
    assert t.unschedulable_plugins == ["NodeAffinity"]
    assert t.message.startswith("0/2 nodes are available: 2 node(s) didn't satisfy plugin(s) [NodeAffinity].")
