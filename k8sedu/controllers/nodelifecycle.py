"""The node lifecycle controller: notice silent nodes, mark them, and taint them.

Every kubelet renews its Lease in ``kube-node-lease`` (every 10 s) and posts its node status. Every
``node-monitor-period`` (5 s of cluster time) this controller looks at each node, as upstream's
``monitorNodeHealth``::

    lease renewed / status posted since the last look?   → remember "now" as the node's probe time
    no sign of life for node-monitor-grace-period (50 s)? → Ready, MemoryPressure, DiskPressure,
                                                            PIDPressure := Unknown
                                                            (NodeStatusUnknown, "Kubelet stopped
                                                            posting node status.")
                                                            event NodeNotReady; its Pods Ready=False
    Ready is Unknown  → taints node.kubernetes.io/unreachable:NoExecute (and :NoSchedule)
    Ready is False    → taints node.kubernetes.io/not-ready:NoExecute   (and :NoSchedule)
    Ready is True     → those taints are removed

The NoExecute taint makes the taint eviction controller (tainteviction.py) delete the node's Pods
once their ``tolerationSeconds`` (300 s by default) have passed. NoExecute taints are added at a
limited rate per zone (``--node-eviction-rate`` 0.1 node/s), slower or not at all when a large part
of a zone is down, and **never when every node of the cluster is down**: then the control plane
itself is the likelier culprit, and evicting everything would only make it worse.

Upstream's default grace period became 50 s in Kubernetes 1.32 (it was 40 s before).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..api import meta
from ..client import Client, InformerFactory
from ..clock import Clock, parse_rfc3339
from ..errors import APIError, Conflict, NotFound
from .base import Controller
from .refmanager import update_with_retries

__all__ = [
    "NodeLifecycleController",
    "NODE_MONITOR_PERIOD",
    "NODE_MONITOR_GRACE_PERIOD",
    "NODE_STARTUP_GRACE_PERIOD",
    "UNREACHABLE_TAINT",
    "NOT_READY_TAINT",
    "zone_key",
]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

NODE_MONITOR_PERIOD = 5.0  # --node-monitor-period
NODE_MONITOR_GRACE_PERIOD = 50.0  # --node-monitor-grace-period (40 s before 1.32)
NODE_STARTUP_GRACE_PERIOD = 60.0  # --node-startup-grace-period
EVICTION_LIMITER_QPS = 0.1  # --node-eviction-rate
SECONDARY_EVICTION_LIMITER_QPS = 0.01  # --secondary-node-eviction-rate
LARGE_CLUSTER_SIZE_THRESHOLD = 50  # --large-cluster-size-threshold
UNHEALTHY_ZONE_THRESHOLD = 0.55  # --unhealthy-zone-threshold
NODE_HEALTH_UPDATE_RETRY = 5
NODE_LEASE_NAMESPACE = "kube-node-lease"
EXCLUDE_DISRUPTION_LABEL = "node.kubernetes.io/exclude-disruption"

UNREACHABLE_TAINT = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
NOT_READY_TAINT = {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}

#: node condition → status → the NoSchedule taint it implies (``nodeConditionToTaintKeyStatusMap``)
CONDITION_TAINTS: dict[str, dict[str, str]] = {
    "Ready": {"False": "node.kubernetes.io/not-ready", "Unknown": "node.kubernetes.io/unreachable"},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
_CONDITION_TAINT_KEYS = {key for m in CONDITION_TAINTS.values() for key in m.values()}
UNSCHEDULABLE_TAINT_KEY = "node.kubernetes.io/unschedulable"

# zone states (upstream's ZoneState)
INITIAL, NORMAL, FULL_DISRUPTION, PARTIAL_DISRUPTION = "Initial", "Normal", "FullDisruption", "PartialDisruption"

_MONITOR = ("monitor",)
_TAINT_PASS = ("taint",)


def zone_key(node: Obj) -> str:
    """``region:\\x00:zone`` from the topology labels, "" without them (``GetZoneKey``)."""
    labels = node.get("metadata", {}).get("labels") or {}
    region = labels.get("topology.kubernetes.io/region") or labels.get("failure-domain.beta.kubernetes.io/region", "")
    zone = labels.get("topology.kubernetes.io/zone") or labels.get("failure-domain.beta.kubernetes.io/zone", "")
    if not region and not zone:
        return ""
    return f"{region}:\x00:{zone}"


def _condition(node: Obj, cond_type: str) -> Obj | None:
    for c in (node.get("status") or {}).get("conditions") or []:
        if c.get("type") == cond_type:
            return c
    return None


def _taint_exists(taints: list[Obj], taint: Obj) -> bool:
    return any(t.get("key") == taint["key"] and t.get("effect") == taint["effect"] for t in taints)


def _time(text: str | None) -> float | None:
    try:
        return parse_rfc3339(text) if text else None
    except ValueError:
        return None


class _TokenBucket:
    """``flowcontrol.NewTokenBucketRateLimiter(qps, burst)``; qps 0 never accepts."""

    def __init__(self, qps: float, burst: int, now: float) -> None:
        self.qps, self.burst = qps, burst
        self.tokens = float(burst)
        self.last = now

    def try_accept(self, now: float) -> bool:
        if self.qps <= 0:
            return False
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.qps)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait(self, now: float) -> float | None:
        """Seconds until the next token; None if never."""
        if self.qps <= 0:
            return None
        tokens = min(float(self.burst), self.tokens + (now - self.last) * self.qps)
        return max(0.0, (1 - tokens) / self.qps)


@dataclass
class _TaintQueue:
    """Nodes waiting for their NoExecute taint, rate-limited per zone (``RateLimitedTimedQueue``).

    A processed node stays a *member* until it is removed, so it is not tainted twice."""

    limiter: _TokenBucket
    pending: list[str] = field(default_factory=list)
    members: set[str] = field(default_factory=set)

    def add(self, name: str) -> bool:
        if name in self.members:
            return False
        self.members.add(name)
        self.pending.append(name)
        return True

    def remove(self, name: str) -> None:
        self.members.discard(name)
        if name in self.pending:
            self.pending.remove(name)

    def try_process(self, now: float, fn: Callable[[str], bool]) -> None:
        while self.pending:
            if not self.limiter.try_accept(now):
                return
            name = self.pending.pop(0)
            if not fn(name):
                self.pending.append(name)  # try again on the next pass
                return


@dataclass
class _NodeHealth:
    status: Obj
    probe_timestamp: float
    ready_transition_timestamp: float
    lease_renew: float | None = None


class NodeLifecycleController(Controller):
    name = "nodelifecycle"
    component = "node-controller"
    workers = 1  # one loop owns the health map, as upstream's monitorNodeHealth goroutine

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None, *,
                 monitor_period: float = NODE_MONITOR_PERIOD,
                 grace_period: float = NODE_MONITOR_GRACE_PERIOD,
                 startup_grace_period: float = NODE_STARTUP_GRACE_PERIOD,
                 eviction_qps: float = EVICTION_LIMITER_QPS,
                 secondary_eviction_qps: float = SECONDARY_EVICTION_LIMITER_QPS,
                 large_cluster_threshold: int = LARGE_CLUSTER_SIZE_THRESHOLD,
                 unhealthy_zone_threshold: float = UNHEALTHY_ZONE_THRESHOLD) -> None:
        super().__init__(client, informers, clock, 1)
        self.monitor_period = monitor_period
        self.grace_period = grace_period
        self.startup_grace_period = startup_grace_period
        self.eviction_qps = eviction_qps
        self.secondary_eviction_qps = secondary_eviction_qps
        self.large_cluster_threshold = large_cluster_threshold
        self.unhealthy_zone_threshold = unhealthy_zone_threshold
        self.node_informer = self.informers.informer("nodes")
        self.lease_informer = self.informers.informer("leases", namespace=NODE_LEASE_NAMESPACE)
        self.pod_informer = self.informers.informer("pods")
        self.node_informer.add_handler(self._node_changed, lambda old, new: self._node_changed(new))
        # The state below is touched only by the single worker thread.
        self._health: dict[str, _NodeHealth] = {}
        self._known: dict[str, Obj] = {}
        self._zone_states: dict[str, str] = {}
        self._tainters: dict[str, _TaintQueue] = {}
        self._retry: set[str] = set()

    def _node_changed(self, node: Obj) -> None:
        self.queue.add(("node", node["metadata"]["name"]))  # NoSchedule taints follow conditions

    def on_start(self) -> None:
        self.queue.add(_MONITOR)

    def zone_states(self) -> dict[str, str]:
        return dict(self._zone_states)

    # -- reconcile ----------------------------------------------------------------------------------
    def reconcile(self, key: Any) -> None:
        key = tuple(key)
        if key == _MONITOR:
            try:
                self.monitor_node_health()
                self._no_execute_tainting_pass()
            finally:
                self.queue.add_after(_MONITOR, self.monitor_period)
        elif key == _TAINT_PASS:
            self._no_execute_tainting_pass()
        elif key[0] == "node":
            self._no_schedule_tainting_pass(key[1])

    # -- health -------------------------------------------------------------------------------------
    def monitor_node_health(self) -> None:
        nodes = self.node_informer.list()
        names = {n["metadata"]["name"] for n in nodes}
        for node in nodes:
            name = node["metadata"]["name"]
            if name not in self._known:
                self.recorder.normal(node, "RegisteredNode", f"Node {name} event: Registered Node {name} in Controller")
                self._known[name] = node
                self._tainter(zone_key(node))
                self._mark_reachable(node)
        for name in [n for n in self._known if n not in names]:
            gone = self._known.pop(name)
            self._health.pop(name, None)
            self.recorder.normal(gone, "RemovingNode", f"Node {name} event: Removing Node {name} from Controller")
        zone_conditions: dict[str, list[Obj | None]] = {}
        for cached in nodes:
            node = meta.deep_copy(cached)
            name = node["metadata"]["name"]
            try:
                observed, current = self._try_update_node_health_with_retries(node)
            except APIError as err:
                log.warning("node %s: cannot update health: %s", name, err)
                continue
            if EXCLUDE_DISRUPTION_LABEL not in (node["metadata"].get("labels") or {}):
                zone_conditions.setdefault(zone_key(node), []).append(current)
            if current is not None:
                self._process_taint_based_eviction(node, observed)
                needs_retry = name in self._retry
                went_down = current.get("status") != "True" and observed.get("status") == "True"
                if went_down:
                    self.recorder.normal(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady")
                if went_down or (needs_retry and observed.get("status") != "True"):
                    if not self._mark_pods_not_ready(name):
                        self._retry.add(name)
                        continue
            self._retry.discard(name)
        self._handle_disruption(zone_conditions, nodes)

    def _try_update_node_health_with_retries(self, node: Obj) -> tuple[Obj, Obj | None]:
        for attempt in range(NODE_HEALTH_UPDATE_RETRY):
            try:
                return self._try_update_node_health(node)
            except Conflict:
                if attempt == NODE_HEALTH_UPDATE_RETRY - 1:
                    raise
                node = self.client.get("nodes", node["metadata"]["name"])  # the kubelet wrote meanwhile
        raise AssertionError("unreachable")  # pragma: no cover

    def _try_update_node_health(self, node: Obj) -> tuple[Obj, Obj | None]:
        """``tryUpdateNodeHealth``: returns the Ready condition as observed and as it is now."""
        name = node["metadata"]["name"]
        now = self.clock.now()
        created = _time(node["metadata"].get("creationTimestamp")) or now
        health = self._health.get(name)
        current_ready = _condition(node, "Ready")
        if current_ready is None:
            # never posted: judge from the creation time, with the longer startup grace period
            observed = {"type": "Ready", "status": "Unknown",
                        "lastHeartbeatTime": node["metadata"].get("creationTimestamp"),
                        "lastTransitionTime": node["metadata"].get("creationTimestamp")}
            grace = self.startup_grace_period
            if health is not None:
                health.status = node.get("status") or {}
            else:
                health = _NodeHealth(node.get("status") or {}, created, created)
        else:
            observed = dict(current_ready)
            grace = self.grace_period
        saved = _condition({"status": health.status}, "Ready") if health is not None else None
        saved_lease = health.lease_renew if health is not None else None
        if health is None or (saved is None and current_ready is not None) or (saved is not None and current_ready is None):
            health = _NodeHealth(node.get("status") or {}, now, now)
        elif (saved is not None and current_ready is not None
              and saved.get("lastHeartbeatTime") != current_ready.get("lastHeartbeatTime")):
            # the kubelet posted status: a sign of life
            transition = now if saved.get("lastTransitionTime") != current_ready.get("lastTransitionTime") \
                else health.ready_transition_timestamp
            health = _NodeHealth(node.get("status") or {}, now, transition, health.lease_renew)
        lease = self.lease_informer.get(f"{NODE_LEASE_NAMESPACE}/{name}")
        renew = _time(((lease or {}).get("spec") or {}).get("renewTime"))
        if renew is not None and (saved_lease is None or saved_lease < renew):
            health.lease_renew = renew  # the Lease was renewed: the other sign of life
            health.probe_timestamp = now
        self._health[name] = health
        if now > health.probe_timestamp + grace:
            stamp = self.clock.timestamp()
            conditions = (node.setdefault("status", {})).setdefault("conditions", [])
            for cond_type in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
                cond = _condition(node, cond_type)
                if cond is None:
                    conditions.append({"type": cond_type, "status": "Unknown",
                                       "lastHeartbeatTime": node["metadata"].get("creationTimestamp"),
                                       "lastTransitionTime": stamp, "reason": "NodeStatusNeverUpdated",
                                       "message": "Kubelet never posted node status."})
                elif cond.get("status") != "Unknown":
                    cond.update({"status": "Unknown", "reason": "NodeStatusUnknown",
                                 "message": "Kubelet stopped posting node status.", "lastTransitionTime": stamp})
            current_ready = _condition(node, "Ready")
            if current_ready != observed:
                updated = self.client.update_status("nodes", node)
                node["metadata"]["resourceVersion"] = updated["metadata"]["resourceVersion"]
                self._health[name] = _NodeHealth(node["status"], health.probe_timestamp, now, health.lease_renew)
        return observed, current_ready

    def _mark_pods_not_ready(self, node_name: str) -> bool:
        """Pods on a node that stopped reporting are no longer Ready (``MarkPodsNotReady``): a
        Service stops sending them traffic even before they are evicted."""
        ok = True
        for pod in self.pod_informer.list():
            if (pod.get("spec") or {}).get("nodeName") != node_name:
                continue
            ready = meta.get_condition(pod, "Ready")
            if ready is None or ready.get("status") == "False":
                continue
            copy = meta.deep_copy(pod)
            for cond in copy["status"].get("conditions") or []:
                if cond.get("type") == "Ready":
                    cond["status"] = "False"
                    cond["lastTransitionTime"] = self.clock.timestamp()
            try:
                self.client.update_status("pods", copy)
            except NotFound:
                continue
            except APIError as err:
                log.warning("cannot mark pod %s not ready: %s", meta.key(pod), err)
                ok = False
                continue
            self.recorder.warning(copy, "NodeNotReady", "Node is not ready")
        return ok

    # -- NoExecute taints ---------------------------------------------------------------------------
    def _tainter(self, zone: str) -> _TaintQueue:
        if zone not in self._tainters:
            self._tainters[zone] = _TaintQueue(_TokenBucket(self.eviction_qps, 1, self.clock.now()))
            self._zone_states.setdefault(zone, INITIAL)
        return self._tainters[zone]

    def _process_taint_based_eviction(self, node: Obj, observed: Obj) -> None:
        taints = (node.get("spec") or {}).get("taints") or []
        status = observed.get("status")
        if status == "False":
            if _taint_exists(taints, UNREACHABLE_TAINT):
                self._swap_taints(node["metadata"]["name"], [NOT_READY_TAINT], [UNREACHABLE_TAINT])
            else:
                self._mark_for_tainting(node, "False")
        elif status == "Unknown":
            if _taint_exists(taints, NOT_READY_TAINT):
                self._swap_taints(node["metadata"]["name"], [UNREACHABLE_TAINT], [NOT_READY_TAINT])
            else:
                self._mark_for_tainting(node, "Unknown")
        elif status == "True":
            self._mark_reachable(node)

    def _mark_for_tainting(self, node: Obj, status: str) -> bool:
        queue = self._tainter(zone_key(node))
        taints = (node.get("spec") or {}).get("taints") or []
        name = node["metadata"]["name"]
        if status == "False" and not _taint_exists(taints, NOT_READY_TAINT):
            queue.remove(name)
        if status == "Unknown" and not _taint_exists(taints, UNREACHABLE_TAINT):
            queue.remove(name)
        return queue.add(name)

    def _mark_reachable(self, node: Obj) -> None:
        taints = (node.get("spec") or {}).get("taints") or []
        if _taint_exists(taints, UNREACHABLE_TAINT) or _taint_exists(taints, NOT_READY_TAINT):
            self._swap_taints(node["metadata"]["name"], [], [UNREACHABLE_TAINT, NOT_READY_TAINT])
        self._tainter(zone_key(node)).remove(node["metadata"]["name"])

    def _no_execute_tainting_pass(self) -> None:
        """Taint the queued nodes, as fast as each zone's rate limit allows
        (``doNoExecuteTaintingPass``)."""
        now = self.clock.now()

        def taint(name: str) -> bool:
            node = self.node_informer.get(name)
            if node is None:
                return True
            ready = _condition(node, "Ready")
            if ready is None:
                return True
            if ready.get("status") == "False":
                add, opposite = NOT_READY_TAINT, UNREACHABLE_TAINT
            elif ready.get("status") == "Unknown":
                add, opposite = UNREACHABLE_TAINT, NOT_READY_TAINT
            else:
                return True  # Ready again meanwhile
            return self._swap_taints(name, [add], [opposite])

        waits = []
        for queue in self._tainters.values():
            queue.try_process(now, taint)
            if queue.pending:
                wait = queue.limiter.wait(now)
                if wait is not None:
                    waits.append(wait)
        if waits:
            self.queue.add_after(_TAINT_PASS, max(min(waits), 0.1))

    def _swap_taints(self, name: str, add: list[Obj], remove: list[Obj]) -> bool:
        """Add and remove node taints in one write (``SwapNodeControllerTaint``)."""
        stamp = self.clock.timestamp()

        def mutate(node: Obj) -> bool:
            spec = node.setdefault("spec", {})
            taints = [dict(t) for t in spec.get("taints") or []]
            kept = [t for t in taints if not any(t.get("key") == r["key"] and t.get("effect") == r["effect"]
                                                 for r in remove)]
            for t in add:
                if not _taint_exists(kept, t):
                    kept.append({**t, "timeAdded": stamp})
            if kept == taints:
                return False
            if kept:
                spec["taints"] = kept
            else:
                spec.pop("taints", None)
            return True

        try:
            return update_with_retries(self.client, "nodes", None, name, mutate) is not None
        except APIError as err:
            log.warning("node %s: cannot change taints: %s", name, err)
            return False

    # -- NoSchedule taints --------------------------------------------------------------------------
    def _no_schedule_tainting_pass(self, name: str) -> None:
        """NoSchedule taints mirror the node's conditions and ``spec.unschedulable``
        (``doNoScheduleTaintingPass``)."""
        node = self.node_informer.get(name)
        if node is None:
            return
        wanted: list[Obj] = []
        for cond in (node.get("status") or {}).get("conditions") or []:
            taint_key = CONDITION_TAINTS.get(cond.get("type", ""), {}).get(cond.get("status", ""))
            if taint_key:
                wanted.append({"key": taint_key, "effect": "NoSchedule"})
        if (node.get("spec") or {}).get("unschedulable"):
            wanted.append({"key": UNSCHEDULABLE_TAINT_KEY, "effect": "NoSchedule"})
        have = [t for t in (node.get("spec") or {}).get("taints") or []
                if t.get("effect") == "NoSchedule"
                and (t.get("key") == UNSCHEDULABLE_TAINT_KEY or t.get("key") in _CONDITION_TAINT_KEYS)]
        to_add = [t for t in wanted if not _taint_exists(have, t)]
        to_remove = [{"key": t["key"], "effect": t["effect"]} for t in have if not _taint_exists(wanted, t)]
        if to_add or to_remove:
            self._swap_taints(name, to_add, to_remove)

    # -- disruption -----------------------------------------------------------------------------------
    def _zone_state(self, conditions: list[Obj | None]) -> str:
        ready = sum(1 for c in conditions if c is not None and c.get("status") == "True")
        not_ready = len(conditions) - ready
        if ready == 0 and not_ready > 0:
            return FULL_DISRUPTION
        if not_ready > 2 and not_ready / (not_ready + ready) >= self.unhealthy_zone_threshold:
            return PARTIAL_DISRUPTION
        return NORMAL

    def _set_limiter(self, zone: str, size: int, state: str) -> None:
        if state == PARTIAL_DISRUPTION:
            qps = self.secondary_eviction_qps if size > self.large_cluster_threshold else 0.0
        else:
            qps = self.eviction_qps  # Normal, and FullDisruption of one zone among others
        self._tainter(zone).limiter = _TokenBucket(qps, 1, self.clock.now())

    def _handle_disruption(self, zone_conditions: dict[str, list[Obj | None]], nodes: list[Obj]) -> None:
        """Slow down or stop tainting when much of a zone, or the whole cluster, is down
        (``handleDisruption``)."""
        new_states: dict[str, str] = {}
        all_fully_disrupted = True
        for zone, conds in zone_conditions.items():
            state = self._zone_state(conds)
            if state != FULL_DISRUPTION:
                all_fully_disrupted = False
            new_states[zone] = state
            self._zone_states.setdefault(zone, INITIAL)
        all_were_fully_disrupted = True
        for zone in list(self._zone_states):
            if zone not in zone_conditions:
                del self._zone_states[zone]
                continue
            if self._zone_states[zone] != FULL_DISRUPTION:
                all_were_fully_disrupted = False
        if all_fully_disrupted and all_were_fully_disrupted:
            return
        if all_fully_disrupted:
            log.info("all nodes are not ready: entering master disruption mode, no evictions")
            for node in nodes:
                current = self.node_informer.get(node["metadata"]["name"]) or node
                self._mark_reachable(current)
            for zone in self._zone_states:
                self._tainter(zone).limiter = _TokenBucket(0.0, 1, self.clock.now())
                self._zone_states[zone] = FULL_DISRUPTION
            return
        if all_were_fully_disrupted:
            log.info("some nodes are ready again: leaving master disruption mode")
            now = self.clock.now()
            for node in nodes:
                health = self._health.get(node["metadata"]["name"])
                if health is not None:
                    health.probe_timestamp = now
                    health.ready_transition_timestamp = now
            for zone in self._zone_states:
                self._set_limiter(zone, len(zone_conditions.get(zone, [])), new_states[zone])
                self._zone_states[zone] = new_states[zone]
            return
        for zone, state in list(self._zone_states.items()):
            new = new_states[zone]
            if state != new:
                self._set_limiter(zone, len(zone_conditions.get(zone, [])), new)
                self._zone_states[zone] = new
