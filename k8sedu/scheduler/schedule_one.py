"""One scheduling decision, as upstream's ``schedulePod``: a pure function of a Pod and a snapshot.

::

    PreFilter (each plugin once)        may Skip a plugin's Filter, narrow the nodes, or reject the Pod
        │
    Filter (each node × each plugin)   a node is dropped at its first failing plugin
        │ no node left?  ──▶ FitError: "0/3 nodes are available: 3 Insufficient cpu."
        │                    + DefaultPreemption's verdict: " preemption: 0/3 nodes are available: …"
        │ one node left? ──▶ chosen at once (upstream skips scoring)
    PreScore ─▶ Score ─▶ NormalizeScore ─▶ × weight ─▶ Σ      for every feasible node
        │
    selectHost: the highest total; ties broken at random (reservoir sampling)

Everything it decides is written into a :class:`~k8sedu.scheduler.trace.Trace`. Nothing here talks
to the apiserver: :func:`simulate` runs the same code on objects you pass in.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from .framework import (
    DEFAULT_PROFILE,
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    Code,
    CycleState,
    Framework,
    NodeInfo,
    Pod,
    PreFilterResult,
    Profile,
    Registry,
    Snapshot,
    Status,
)
from .nodeinfo import pod_priority
from .trace import ERROR, SCHEDULED, UNSCHEDULABLE, FilterVerdict, NodeTrace, ScoreDetail, Trace

__all__ = [
    "NO_NODES_AVAILABLE",
    "new_framework",
    "schedule_pod",
    "simulate",
    "fit_error_message",
    "preemption_message",
]

NO_NODES_AVAILABLE = "no nodes available to schedule pods"


def new_framework(profile: Profile | None = None, registry: Registry | None = None) -> Framework:
    """The plugins of *profile* (default: upstream's default profile) from *registry* (default:
    the in-tree plugins)."""
    if registry is None:
        from .plugins import in_tree_registry

        registry = in_tree_registry()
    return Framework.build(profile or DEFAULT_PROFILE, registry)


def _pod_key(pod: Mapping[str, Any]) -> str:
    md = pod.get("metadata") or {}
    return f"{md.get('namespace') or 'default'}/{md.get('name', '')}"


def _verdict(plugin: str, status: Status) -> FilterVerdict:
    return FilterVerdict(plugin, status.code.label, status.reasons)


def fit_error_message(num_all_nodes: int, statuses: Mapping[str, Status], absent: Status | None = None,
                      pre_filter_msg: str = "", post_filter_msg: str = "") -> str:
    """Upstream's ``FitError.Error()``: each reason counted over the nodes, ``"<count> <reason>"``
    sorted as strings, then the PostFilter (preemption) message::

        0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
        2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for
        scheduling, 2 No preemption victims found for incoming pod.
    """
    msg = f"0/{num_all_nodes} nodes are available:"
    if pre_filter_msg:
        msg += f" {pre_filter_msg}."
    else:
        counts: Counter[str] = Counter()
        for status in statuses.values():
            for reason in status.reasons:
                counts[reason] += 1
        if absent is not None and len(statuses) < num_all_nodes:
            for reason in absent.reasons:
                counts[reason] += num_all_nodes - len(statuses)
        histogram = sorted(f"{n} {reason}" for reason, n in counts.items())
        if histogram:
            msg += f" {', '.join(histogram)}."
    if post_filter_msg:
        msg += f" {post_filter_msg}"
    return msg


# -- the extension points, run -----------------------------------------------------------------------
def _run_pre_filter(fwk: Framework, state: CycleState, pod: Pod, snapshot: Snapshot,
                    verdicts: list[FilterVerdict] | None = None) -> tuple[PreFilterResult, Status, list[str]]:
    """``(result, status, plugins that narrowed or rejected)``, as ``RunPreFilterPlugins``."""
    result = PreFilterResult()
    narrowing: list[str] = []
    for pl in fwk.pre_filter_plugins:
        try:
            r, status = pl.pre_filter(state, pod, snapshot)
        except Exception as err:  # a broken plugin fails the cycle, not the scheduler
            r, status = None, Status.error(f'running PreFilter plugin "{pl.name}": {err}')
        status = status.with_plugin(pl.name)
        if verdicts is not None:
            verdicts.append(_verdict(pl.name, status))
        if status.is_skip:
            state.skip_filter_plugins.add(pl.name)
            continue
        if not status.is_success:
            return result, status, narrowing + [pl.name]
        if r is not None and r.node_names is not None:
            narrowing.append(pl.name)
        result = result.merge(r)
        if result.node_names is not None and not result.node_names:
            if len(narrowing) == 1:
                msg = f"node(s) didn't satisfy plugin {narrowing[0]}"
            else:
                msg = f"node(s) didn't satisfy plugin(s) [{' '.join(narrowing)}] simultaneously"
            return result, Status.unschedulable(msg).with_plugin(pl.name), narrowing
    return result, Status(), narrowing


def _run_filters(fwk: Framework, state: CycleState, pod: Pod, node: NodeInfo) -> tuple[list[FilterVerdict], Status]:
    """Run the Filter plugins on one node, stopping at the first that does not pass."""
    verdicts: list[FilterVerdict] = []
    for pl in fwk.filter_plugins:
        if pl.name in state.skip_filter_plugins:
            verdicts.append(FilterVerdict(pl.name, Code.SKIP.label))
            continue
        try:
            status = pl.filter(state, pod, node)
        except Exception as err:
            status = Status.error(f'running "{pl.name}" filter plugin: {err}')
        status = status.with_plugin(pl.name)
        verdicts.append(_verdict(pl.name, status))
        if not status.is_success:
            return verdicts, status
    return verdicts, Status()


def _nodes_after_pre_filter(snapshot: Snapshot, result: PreFilterResult) -> list[NodeInfo]:
    if result.node_names is None:
        return list(snapshot)
    return [n for n in snapshot if n.name in result.node_names]


def node_passes(fwk: Framework, pod: Pod, snapshot: Snapshot, node_name: str) -> Status:
    """Would *pod* pass PreFilter and Filter on *node_name* of *snapshot*? (The preemption dry run.)"""
    state = CycleState()
    result, status, _ = _run_pre_filter(fwk, state, pod, snapshot)
    if not status.is_success:
        return status
    if result.node_names is not None and node_name not in result.node_names:
        return Status.unresolvable("node(s) didn't satisfy plugin(s) [PreFilter]")
    node = snapshot.get(node_name)
    if node is None:
        return Status.unresolvable("node not found")
    return _run_filters(fwk, state, pod, node)[1]


def preemption_message(fwk: Framework, pod: Pod, snapshot: Snapshot, statuses: Mapping[str, Status],
                       absent: Status | None) -> tuple[str, list[str]]:
    """What DefaultPreemption's PostFilter would say, and the nodes where evicting lower-priority
    Pods would make room (upstream would then evict them and nominate a node; we only report it).

    For each node: ``Preemption is not helpful for scheduling`` when it failed for good
    (UnschedulableAndUnresolvable); ``No preemption victims found for incoming pod`` when no Pod
    there has a lower ``spec.priority``; else the Filter verdict with those Pods gone.
    """
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return "preemption: not eligible due to preemptionPolicy=Never.", []
    priority = pod_priority(pod)
    verdicts: dict[str, Status] = {}
    candidates: list[str] = []
    for node in snapshot:
        status = statuses.get(node.name, absent)
        if status is None or status.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
            verdicts[node.name] = Status.unresolvable("Preemption is not helpful for scheduling")
            continue
        victims = [p for p in node.pods if pod_priority(p) < priority]
        if not victims:
            verdicts[node.name] = Status.unresolvable("No preemption victims found for incoming pod")
            continue
        after = node_passes(fwk, pod, snapshot.without(node.name, victims), node.name)
        if after.is_success:
            candidates.append(node.name)
        else:
            verdicts[node.name] = after
    if candidates:
        return "", candidates
    return "preemption: " + fit_error_message(len(snapshot), verdicts), []


def _select_host(totals: Mapping[str, int], rng: random.Random) -> str:
    """The highest total; among equal totals each has the same chance (reservoir sampling)."""
    best, best_total, count = "", None, 0
    for name, total in totals.items():
        if best_total is None or total > best_total:
            best, best_total, count = name, total, 1
        elif total == best_total:
            count += 1
            if rng.randrange(count) == 0:
                best = name
    return best


def _score(fwk: Framework, state: CycleState, pod: Pod, snapshot: Snapshot, feasible: list[NodeInfo],
           traces: dict[str, NodeTrace]) -> Status:
    for pl in fwk.pre_score_plugins:
        try:
            status = pl.pre_score(state, pod, feasible, snapshot)
        except Exception as err:
            status = Status.error(f'running PreScore plugin "{pl.name}": {err}')
        if status.is_skip:
            state.skip_score_plugins.add(pl.name)
        elif not status.is_success:
            return status.with_plugin(pl.name)
    totals = {n.name: 0 for n in feasible}
    for sp in fwk.score_plugins:
        weight = fwk.weights[sp.name]
        if sp.name in state.skip_score_plugins:
            for n in feasible:
                traces[n.name].scores.append(ScoreDetail(sp.name, 0, 0, weight, 0, skipped=True))
            continue
        try:
            raw = {n.name: int(sp.score(state, pod, n)) for n in feasible}
            normalize = getattr(sp, "normalize_score", None)
            normalized = normalize(state, pod, dict(raw)) if normalize is not None else dict(raw)
        except Exception as err:
            return Status.error(f'running Score plugin "{sp.name}": {err}').with_plugin(sp.name)
        for n in feasible:
            value = normalized[n.name]
            if not MIN_NODE_SCORE <= value <= MAX_NODE_SCORE:
                return Status.error(f'plugin "{sp.name}" returns an invalid score {value}, it should in the '
                                    f"range of [{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing")
            traces[n.name].scores.append(ScoreDetail(sp.name, raw[n.name], value, weight, value * weight))
            totals[n.name] += value * weight
    for name, total in totals.items():
        traces[name].total = total
    return Status()


def schedule_pod(fwk: Framework, pod: Pod, snapshot: Snapshot, rng: random.Random | None = None,
                 now: float = 0.0, attempt: int = 1) -> Trace:
    """Decide where *pod* goes. The answer is the trace: ``result`` ("Scheduled", "Unschedulable"
    or "Error"), ``chosen`` and, on failure, ``message`` (the FailedScheduling text)."""
    rng = rng or random.Random()
    md = pod.get("metadata") or {}
    trace = Trace(pod=_pod_key(pod), time=now, uid=md.get("uid") or "",
                  scheduler_name=fwk.profile.scheduler_name, attempt=attempt)
    if len(snapshot) == 0:
        trace.result, trace.message = ERROR, NO_NODES_AVAILABLE
        return trace

    state = CycleState()
    result, pre_status, narrowing = _run_pre_filter(fwk, state, pod, snapshot, trace.pre_filter)
    if pre_status.code == Code.ERROR:
        trace.result, trace.message = ERROR, pre_status.message
        return trace
    statuses: dict[str, Status] = {}
    absent: Status | None = None
    pre_filter_msg = ""
    feasible: list[NodeInfo] = []
    if not pre_status.is_success:  # the Pod was rejected before any node was looked at
        absent, pre_filter_msg = pre_status, pre_status.message
        for n in snapshot:
            trace.nodes.append(NodeTrace(n.name, reasons=list(pre_status.reasons)))
    else:
        candidates = _nodes_after_pre_filter(snapshot, result)
        if result.node_names is not None:
            absent = Status.unresolvable(f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(narrowing))}]")
        for n in snapshot:
            if n not in candidates:
                trace.nodes.append(NodeTrace(n.name, reasons=list(absent.reasons if absent else ())))
                continue
            verdicts, status = _run_filters(fwk, state, pod, n)
            if status.code == Code.ERROR:
                trace.result, trace.message = ERROR, status.message
                return trace
            nt = NodeTrace(n.name, filters=verdicts, feasible=status.is_success, reasons=list(status.reasons))
            trace.nodes.append(nt)
            if status.is_success:
                feasible.append(n)
            else:
                statuses[n.name] = status
    trace.feasible = [n.name for n in feasible]

    if not feasible:
        rejectors = set(narrowing) if (not pre_status.is_success or absent is not None) else set()
        rejectors |= {st.plugin for st in statuses.values()}
        trace.unschedulable_plugins = sorted(rejectors)
        post, victims_on = preemption_message(fwk, pod, snapshot, statuses, absent)
        trace.result = UNSCHEDULABLE
        trace.preemption = post
        trace.message = fit_error_message(len(snapshot), statuses, absent, pre_filter_msg, post)
        if victims_on:
            trace.notes.append(
                f"在 {', '.join(victims_on)} 上驱逐优先级更低的 Pod 就能放下它：upstream 会抢占（preemption），"
                "k8sedu 不实现抢占，Pod 保持 Pending")
        return trace

    traces = {nt.node: nt for nt in trace.nodes}
    if len(feasible) == 1:
        trace.chosen, trace.result = feasible[0].name, SCHEDULED
        trace.notes.append("只有一个节点通过预选，upstream 不再打分，直接选中它")
        return trace
    status = _score(fwk, state, pod, snapshot, feasible, traces)
    if not status.is_success:
        trace.result, trace.message = ERROR, status.message
        return trace
    trace.scored = True
    trace.chosen = _select_host({n.name: traces[n.name].total or 0 for n in feasible}, rng)
    trace.result = SCHEDULED
    return trace


def simulate(pod: Pod, nodes: Iterable[Mapping[str, Any]], pods: Iterable[Pod] = (), profile: Profile | None = None,
             *, objects: Iterable[Mapping[str, Any]] = (), seed: int | None = None, now: float = 0.0,
             registry: Registry | None = None) -> Trace:
    """A dry run: where would the scheduler put *pod*, given *nodes* and the *pods* already bound
    to them (``spec.nodeName``)? Binds nothing and calls no apiserver, so a dashboard can change a
    request or a taint and ask again. *objects* may add Namespaces, Services, ReplicaSets,
    StatefulSets and ReplicationControllers (for default spreading); *seed* fixes the tie-break."""
    snapshot = Snapshot.build(nodes, pods, objects)
    return schedule_pod(new_framework(profile, registry), pod, snapshot, random.Random(seed), now=now)
