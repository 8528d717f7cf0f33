"""The HorizontalPodAutoscaler controller (弹性伸缩): upstream's ``pkg/controller/podautoscaler``.

Every sync period (15 s on the cluster clock) each HPA is reconciled:

    scale = GET deployments/web/scale                  (current replicas, the Pods' selector)
    usage = GET metrics.k8s.io pods -l <selector>      (metrics-server: CPU of each Pod, millicores)
    utilization = Σ usage / Σ requests × 100           (only Pods that are Running, Ready and measured)
    desired = ceil(readyPods × utilization / target)   (unchanged if |utilization/target − 1| ≤ 10%)

then the recommendation is *stabilized* (scale down only to the highest recommendation of the last
300 s, so a short dip does not remove Pods), bounded (``minReplicas``..``maxReplicas``, and at most
double per step), written to the ``scale`` subresource, and explained in ``status.conditions``
(AbleToScale, ScalingActive, ScalingLimited) and an Event::

    Normal  SuccessfulRescale  New size: 4; reason: cpu resource utilization (percentage of request) above target

Pods missing metrics count as 0% on a scale up and as 100% of their request on a scale down, and
unready Pods as 0% on a scale up: both make the controller cautious, as upstream. With
``spec.behavior`` the v2 rules apply instead (per-direction stabilization windows and rate policies).

All the arithmetic is in pure functions (:func:`resource_replicas`, :func:`convert_desired`,
:class:`Recommendations`, :func:`scale_up_limit`, :func:`scale_down_limit`) so a lesson or a test
can run it with a FakeClock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from ..api import kinds, meta
from ..api.quantity import cpu_millis, memory_bytes, parse_quantity
from ..api.selectors import parse_selector
from ..clock import parse_rfc3339, rfc3339
from ..errors import APIError, Conflict, K8sEduError, NotFound
from .base import Controller

__all__ = [
    "HorizontalPodAutoscalerController",
    "PodMetric",
    "Recommendations",
    "ScaleEvent",
    "MetricsError",
    "group_pods",
    "utilization_ratio",
    "resource_replicas",
    "convert_desired",
    "scale_up_limit",
    "scale_down_limit",
    "set_condition",
    "SYNC_PERIOD",
    "TOLERANCE",
    "DOWNSCALE_STABILIZATION",
    "CPU_INITIALIZATION_PERIOD",
    "INITIAL_READINESS_DELAY",
]

Obj = dict[str, Any]

SYNC_PERIOD = 15.0  # --horizontal-pod-autoscaler-sync-period
TOLERANCE = 0.1  # --horizontal-pod-autoscaler-tolerance
DOWNSCALE_STABILIZATION = 300.0  # --horizontal-pod-autoscaler-downscale-stabilization
CPU_INITIALIZATION_PERIOD = 300.0  # --horizontal-pod-autoscaler-cpu-initialization-period
INITIAL_READINESS_DELAY = 30.0  # --horizontal-pod-autoscaler-initial-readiness-delay


class MetricsError(Exception):
    """A metric could not be turned into a replica count (upstream's error text)."""


@dataclass(frozen=True)
class PodMetric:
    """One Pod's usage of a resource (millicores or bytes) and when it was measured (cluster s)."""

    value: int
    timestamp: float
    window: float


# -- the replica calculator (pure) --------------------------------------------------------------
def _condition(pod: Obj, ctype: str) -> Obj | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def group_pods(pods: list[Obj], metrics: dict[str, PodMetric], resource: str, now: float,
               cpu_init: float = CPU_INITIALIZATION_PERIOD,
               readiness_delay: float = INITIAL_READINESS_DELAY) -> tuple[int, set[str], set[str], set[str]]:
    """``groupPods``: (ready count, unready, missing, ignored) Pod names.

    Deleted or Failed Pods are ignored; Pending ones are unready; for CPU, a Pod still in its first
    5 minutes counts only with a measurement taken wholly after it became Ready.
    """
    ready, unready, missing, ignored = 0, set(), set(), set()
    for pod in pods:
        name = pod["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase")
        if pod["metadata"].get("deletionTimestamp") or phase == "Failed":
            ignored.add(name)
            continue
        if phase == "Pending":
            unready.add(name)
            continue
        metric = metrics.get(name)
        if metric is None:
            missing.add(name)
            continue
        if resource == "cpu":
            cond = _condition(pod, "Ready")
            start = (pod.get("status") or {}).get("startTime")
            if cond is None or not start:
                is_unready = True
            else:
                started = parse_rfc3339(start)
                changed = parse_rfc3339(cond["lastTransitionTime"]) if cond.get("lastTransitionTime") else started
                if started + cpu_init > now:
                    is_unready = cond.get("status") == "False" or metric.timestamp < changed + metric.window
                else:
                    is_unready = cond.get("status") == "False" and started + readiness_delay > changed
            if is_unready:
                unready.add(name)
                continue
        ready += 1
    return ready, unready, missing, ignored


def pod_request(pod: Obj, resource: str, container: str = "") -> int:
    """The Pod's request for *resource* (millicores or bytes); MetricsError if a container has none."""
    total = 0
    for c in (pod.get("spec") or {}).get("containers") or []:
        if container and c.get("name") != container:
            continue
        value = ((c.get("resources") or {}).get("requests") or {}).get(resource)
        if value is None:
            raise MetricsError(f"missing request for {resource} in container {c.get('name')} of Pod "
                               f"{pod['metadata']['name']}")
        total += cpu_millis(value) if resource == "cpu" else memory_bytes(value)
    return total


def utilization_ratio(metrics: dict[str, PodMetric], requests: dict[str, int],
                      target: int) -> tuple[float, int, int]:
    """``GetResourceUtilizationRatio``: (usage/target ratio, utilization %, average raw usage)."""
    total_usage = total_request = count = 0
    for name, m in metrics.items():
        req = requests.get(name)
        if req is None:
            continue  # a Pod we have no request for: not counted
        total_usage += m.value
        total_request += req
        count += 1
    if total_request == 0:
        raise MetricsError("no metrics returned matched known pods")
    utilization = int(total_usage * 100 / total_request)
    return utilization / target, utilization, total_usage // count


def resource_replicas(current: int, target: int, metrics: dict[str, PodMetric], pods: list[Obj],
                      resource: str, now: float, container: str = "",
                      tolerance: float = TOLERANCE) -> tuple[int, int, int]:
    """``GetResourceReplicas``: (replica proposal, utilization %, average usage) for one
    Utilization metric. Raises MetricsError with upstream's message."""
    if not pods:
        raise MetricsError("no pods returned by selector while calculating replica count")
    ready, unready, missing, ignored = group_pods(pods, metrics, resource, now)
    metrics = {n: m for n, m in metrics.items() if n not in ignored and n not in unready}
    requests = {p["metadata"]["name"]: pod_request(p, resource, container) for p in pods}
    if not metrics:
        raise MetricsError("did not receive metrics for targeted pods (pods might be unready)")
    ratio, utilization, raw = utilization_ratio(metrics, requests, target)
    scale_up_with_unready = bool(unready) and ratio > 1.0
    if not scale_up_with_unready and not missing:
        if abs(1.0 - ratio) <= tolerance:
            return current, utilization, raw  # within the tolerance: no change
        return math.ceil(ratio * ready), utilization, raw
    if missing:
        if ratio < 1.0:  # scaling down: a Pod without metrics counts as using its whole request
            fallback = max(100, target)
            for name in missing:
                metrics[name] = PodMetric(requests[name] * fallback // 100, now, 0.0)
        elif ratio > 1.0:  # scaling up: as using nothing
            for name in missing:
                metrics[name] = PodMetric(0, now, 0.0)
    if scale_up_with_unready:
        for name in unready:
            metrics[name] = PodMetric(0, now, 0.0)
    new_ratio, _, _ = utilization_ratio(metrics, requests, target)
    if abs(1.0 - new_ratio) <= tolerance or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, utilization, raw  # the missing Pods would reverse the direction: do nothing
    replicas = math.ceil(new_ratio * len(metrics))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current, utilization, raw
    return replicas, utilization, raw


# -- normalization: limits, stabilization, behavior (pure) ---------------------------------------
def convert_desired(current: int, desired: int, min_replicas: int, max_replicas: int) -> tuple[int, str, str]:
    """``convertDesiredReplicasWithRules`` (no ``behavior``): min/max, and at most max(2×, 4)."""
    scale_up_limit = max(2 * current, 4)
    if max_replicas > scale_up_limit:
        maximum = scale_up_limit
        reason, message = "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
    else:
        maximum = max_replicas
        reason, message = "TooManyReplicas", "the desired replica count is more than the maximum replica count"
    if desired < min_replicas:
        return min_replicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
    if desired > maximum:
        return maximum, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


@dataclass(frozen=True)
class ScaleEvent:
    """A rescale, remembered for the behavior policies' periods."""

    change: int  # replicas added (scale up) or removed (scale down)
    timestamp: float


def _change_in_period(period: float, events: list[ScaleEvent], now: float) -> int:
    return sum(e.change for e in events if e.timestamp > now - period)


def scale_up_limit(current: int, events: list[ScaleEvent], rules: Obj, now: float) -> int:
    """``calculateScaleUpLimitWithScalingRules``: the most replicas the policies allow now."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    proposals = []
    for policy in rules.get("policies") or []:
        start = current - _change_in_period(float(policy.get("periodSeconds", 15)), events, now)
        value = int(policy.get("value", 0))
        proposals.append(start + value if policy.get("type") == "Pods" else math.ceil(start * (1 + value / 100)))
    if not proposals:
        return current
    return min(proposals) if select == "Min" else max(proposals)


def scale_down_limit(current: int, events: list[ScaleEvent], rules: Obj, now: float) -> int:
    """``calculateScaleDownLimitWithBehaviors``: the fewest replicas the policies allow now."""
    select = rules.get("selectPolicy") or "Max"
    if select == "Disabled":
        return current
    proposals = []
    for policy in rules.get("policies") or []:
        start = current + _change_in_period(float(policy.get("periodSeconds", 15)), events, now)
        value = int(policy.get("value", 0))
        proposals.append(start - value if policy.get("type") == "Pods" else int(start * (1 - value / 100)))
    if not proposals:
        return current
    return max(proposals) if select == "Min" else min(proposals)


@dataclass
class Recommendations:
    """The recent recommendations of one HPA (the stabilization window's memory)."""

    items: list[tuple[float, int]] = field(default_factory=list)  # (timestamp, replicas)

    def stabilize(self, desired: int, now: float, window: float) -> int:
        """``stabilizeRecommendation``: the highest recommendation of the last *window* seconds
        (so a scale down waits until load stayed low for the whole window)."""
        result = desired
        for ts, rec in self.items:
            if ts > now - window:
                result = max(result, rec)
        self.items = [(ts, rec) for ts, rec in self.items if ts > now - window]
        self.items.append((now, desired))
        return result

    def stabilize_with_behavior(self, current: int, desired: int, now: float, up_window: float,
                                down_window: float) -> tuple[int, str, str]:
        """``stabilizeRecommendationWithBehaviors``: clamp between the lowest recommendation of the
        scale-up window and the highest of the scale-down window."""
        up = down = desired
        for ts, rec in self.items:
            if ts > now - up_window:
                up = min(up, rec)
            if ts > now - down_window:
                down = max(down, rec)
        recommendation = min(max(current, up), down)
        keep = max(up_window, down_window)
        self.items = [(ts, rec) for ts, rec in self.items if ts > now - keep]
        self.items.append((now, desired))
        if desired >= current:
            return (recommendation, "ScaleUpStabilized",
                    "recent recommendations were lower than current one, applying the lowest recent recommendation")
        return (recommendation, "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation")


def convert_with_behavior(current: int, desired: int, min_replicas: int, max_replicas: int, behavior: Obj,
                          up_events: list[ScaleEvent], down_events: list[ScaleEvent],
                          now: float) -> tuple[int, str, str]:
    """``convertDesiredReplicasWithBehaviorRate``: min/max and the rate policies."""
    if desired > current:
        limit = max(scale_up_limit(current, up_events, behavior.get("scaleUp") or {}, now), current)
        if max_replicas > limit:
            maximum, reason, message = limit, "ScaleUpLimit", \
                "the desired replica count is increasing faster than the maximum scale rate"
        else:
            maximum, reason, message = max_replicas, "TooManyReplicas", \
                "the desired replica count is more than the maximum replica count"
        if desired > maximum:
            return maximum, reason, message
    elif desired < current:
        limit = min(scale_down_limit(current, down_events, behavior.get("scaleDown") or {}, now), current)
        if min_replicas < limit:
            minimum, reason, message = limit, "ScaleDownLimit", \
                "the desired replica count is decreasing faster than the maximum scale rate"
        else:
            minimum, reason, message = min_replicas, "TooFewReplicas", \
                "the desired replica count is less than the minimum replica count"
        if desired < minimum:
            return minimum, reason, message
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


def set_condition(status: Obj, ctype: str, value: str, reason: str, message: str, now: str) -> None:
    """``setCondition``: the transition time moves only when the status flips."""
    conds = status.setdefault("conditions", [])
    for c in conds:
        if c.get("type") == ctype:
            if c.get("status") != value:
                c["lastTransitionTime"] = now
            c.update(status=value, reason=reason, message=message)
            return
    conds.append({"type": ctype, "status": value, "lastTransitionTime": now, "reason": reason, "message": message})


# -- reading the metrics API ---------------------------------------------------------------------
_WINDOW = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?$")


def _seconds(text: str) -> float:
    m = _WINDOW.match(text or "")
    if not m:
        return 0.0
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


def pod_metrics_of(items: list[Obj], resource: str, container: str = "") -> dict[str, PodMetric]:
    """``getPodMetrics``/``getContainerMetrics``: per Pod, the sum over its containers (millicores or
    bytes); a Pod missing a container's value is left out."""
    out: dict[str, PodMetric] = {}
    for m in items:
        total, complete = 0, True
        for c in m.get("containers") or []:
            if container and c.get("name") != container:
                continue
            value = (c.get("usage") or {}).get(resource)
            if value is None:
                complete = False
                break
            q = parse_quantity(value)
            total += math.ceil(q * 1000) if resource == "cpu" else math.ceil(q)
        if complete:
            ts = parse_rfc3339(m["timestamp"]) if m.get("timestamp") else 0.0
            out[m["metadata"]["name"]] = PodMetric(total, ts, _seconds(m.get("window", "")))
    return out


def _milli_quantity(milli: int) -> str:
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


# -- the controller ------------------------------------------------------------------------------
class HorizontalPodAutoscalerController(Controller):
    name = "horizontal-pod-autoscaler"
    component = "horizontal-pod-autoscaler"

    def __init__(self, client: Any, informers: Any = None, clock: Any = None, workers: int | None = None,
                 sync_period: float = SYNC_PERIOD, downscale_stabilization: float = DOWNSCALE_STABILIZATION,
                 tolerance: float = TOLERANCE) -> None:
        super().__init__(client, informers, clock, workers)
        self.sync_period = sync_period
        self.downscale_stabilization = downscale_stabilization
        self.tolerance = tolerance
        self.hpas = self.informers.informer("horizontalpodautoscalers")
        self.pods = self.informers.informer("pods")
        self.hpas.add_handler(on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new),
                              on_delete=self._forget)
        # per HPA key: recommendations and scale events (only the worker touches them; one worker)
        self.recommendations: dict[str, Recommendations] = {}
        self.scale_up_events: dict[str, list[ScaleEvent]] = {}
        self.scale_down_events: dict[str, list[ScaleEvent]] = {}
        self._next_sync: dict[str, float] = {}  # key -> when its resync timer fires (cluster s)

    def _forget(self, obj: Obj) -> None:
        key = meta.key(obj)
        for d in (self.recommendations, self.scale_up_events, self.scale_down_events, self._next_sync):
            d.pop(key, None)

    def reconcile(self, key: Hashable) -> None:
        key = str(key)
        hpa = self.hpas.get(key)
        if hpa is None:
            return
        try:
            self._reconcile(key, meta.deep_copy(hpa))
        finally:
            now = self.clock.now()
            due = self._next_sync.get(key)
            if self.hpas.get(key) is not None and (due is None or due <= now):
                # the resync period: every 15 s, one timer per HPA (a reconcile woken by an event
                # does not start a second chain of timers)
                self._next_sync[key] = now + self.sync_period
                self.queue.add_after(key, self.sync_period)

    # -- one pass of reconcileAutoscaler ------------------------------------------------------
    def _reconcile(self, key: str, hpa: Obj) -> None:
        now = self.clock.now()
        stamp = rfc3339(now)
        spec, old_status = hpa.get("spec") or {}, meta.deep_copy(hpa.get("status") or {})
        status = hpa.setdefault("status", {})
        ns = hpa["metadata"].get("namespace", "")
        ref = spec.get("scaleTargetRef") or {}
        try:
            group = (ref.get("apiVersion") or "").rpartition("/")[0]
            target_kind = kinds.for_kind(str(ref.get("kind")), group)
            scale = self.client.get(target_kind.plural, str(ref.get("name") or ""), ns, subresource="scale")
        except (KeyError, APIError) as err:
            text = str(err) if isinstance(err, APIError) else f'no matches for kind "{ref.get("kind")}"'
            set_condition(status, "AbleToScale", "False", "FailedGetScale",
                          f"the HPA controller was unable to get the target's current scale: {text}", stamp)
            self.recorder.warning(hpa, "FailedGetScale", text)
            self._write_status(hpa, old_status)
            return
        set_condition(status, "AbleToScale", "True", "SucceededGetScale",
                      "the HPA controller was able to get the target's current scale", stamp)
        current = int((scale.get("spec") or {}).get("replicas") or 0)
        status["currentReplicas"] = current
        min_r, max_r = int(spec.get("minReplicas") or 1), int(spec.get("maxReplicas") or 1)
        desired, reason = 0, ""
        metric_statuses: list[Obj] = []  # as upstream: none unless the metrics were read
        if current == 0 and min_r != 0:
            desired = 0
            set_condition(status, "ScalingActive", "False", "ScalingDisabled",
                          "scaling is disabled since the replica count of the target is zero", stamp)
        elif current > max_r:
            reason, desired = "Current number of replicas above Spec.MaxReplicas", max_r
        elif current < min_r:
            reason, desired = "Current number of replicas below Spec.MinReplicas", min_r
        else:
            proposal, metric_name, metric_statuses, error = self._compute(hpa, scale, current, now)
            if proposal < 0:
                status["currentMetrics"] = metric_statuses or None
                self.recorder.warning(hpa, "FailedComputeMetricsReplicas", error)
                set_condition(status, "ScalingActive", "False", "FailedGetResourceMetric",
                              f"the HPA was unable to compute the replica count: {error.split(', first error is: ')[-1]}",
                              stamp)
                self._write_status(hpa, old_status, current=current)
                return
            set_condition(status, "ScalingActive", "True", "ValidMetricFound",
                          f"the HPA was able to successfully calculate a replica count from {metric_name}", stamp)
            desired = proposal
            if desired > current:
                reason = f"{metric_name} above target"
            elif desired < current:
                reason = "All metrics below target"
            desired = self._normalize(key, hpa, status, current, desired, min_r, max_r, now, stamp)
        rescale = desired != current
        if rescale:
            try:
                scale["spec"]["replicas"] = desired
                self.client.update(target_kind.plural, scale, ns, subresource="scale")
            except APIError as err:
                set_condition(status, "AbleToScale", "False", "FailedUpdateScale",
                              f"the HPA controller was unable to update the target scale: {err}", stamp)
                self.recorder.warning(hpa, "FailedRescale",
                                      f"New size: {desired}; reason: {reason}; error: {err}")
                self._write_status(hpa, old_status, current=current, desired=current)
                return
            set_condition(status, "AbleToScale", "True", "SucceededRescale",
                          f"the HPA controller was able to update the target scale to {desired}", stamp)
            self.recorder.normal(hpa, "SuccessfulRescale", f"New size: {desired}; reason: {reason}")
            events = self.scale_up_events if desired > current else self.scale_down_events
            events.setdefault(key, []).append(ScaleEvent(abs(desired - current), now))
            status["lastScaleTime"] = stamp
        status["currentMetrics"] = metric_statuses or None
        self._write_status(hpa, old_status, current=current, desired=desired)

    def _compute(self, hpa: Obj, scale: Obj, current: int, now: float) -> tuple[int, str, list[Obj], str]:
        """``computeReplicasForMetrics``: the largest proposal over the metrics (-1 if none worked)."""
        ns = hpa["metadata"].get("namespace", "")
        selector_text = (scale.get("status") or {}).get("selector") or ""
        metrics = (hpa.get("spec") or {}).get("metrics") or []
        best, best_name, errors = -1, "", []
        statuses: list[Obj] = []
        if not selector_text:
            return -1, "", [], "selector is required"
        selector = parse_selector(selector_text)
        pods = [p for p in self.pods.list() if p["metadata"].get("namespace") == ns
                and selector.matches(p["metadata"].get("labels") or {})]
        for spec in metrics:
            mtype = spec.get("type")
            source = spec.get("resource") if mtype == "Resource" else spec.get("containerResource")
            if mtype not in ("Resource", "ContainerResource") or not source:
                errors.append(f"unsupported metric source type \"{mtype}\" (k8sedu reads resource metrics only)")
                statuses.append({"type": ""})
                continue
            resource = source.get("name", "cpu")
            container = source.get("container", "") if mtype == "ContainerResource" else ""
            target = source.get("target") or {}
            name = f"{resource} resource utilization (percentage of request)" if mtype == "Resource" else \
                f"{resource} container resource utilization (percentage of request)"
            try:
                try:
                    listed = self.client.list("pods.metrics.k8s.io", ns, label_selector=selector_text)["items"]
                except K8sEduError as err:
                    raise MetricsError(f"unable to get metrics for resource {resource}: "
                                       f"unable to fetch metrics from resource metrics API: {err}") from None
                if not listed:
                    raise MetricsError(f"unable to get metrics for resource {resource}: "
                                       "no metrics returned from resource metrics API")
                usage = pod_metrics_of(listed, resource, container)
                if target.get("averageUtilization") is not None:
                    proposal, utilization, raw = resource_replicas(
                        current, int(target["averageUtilization"]), usage, pods, resource, now, container,
                        self.tolerance)
                    current_value: Obj = {"averageUtilization": utilization,
                                          "averageValue": _milli_quantity(raw) if resource == "cpu" else str(raw)}
                else:  # AverageValue: desired = ceil(total usage / target value)
                    goal = parse_quantity(target.get("averageValue") or "1")
                    goal_units = math.ceil(goal * 1000) if resource == "cpu" else math.ceil(goal)
                    total = sum(m.value for m in usage.values())
                    ratio = total / (goal_units * max(1, current))
                    proposal = current if abs(1.0 - ratio) <= self.tolerance else math.ceil(total / goal_units)
                    avg = total // max(1, len(usage))
                    current_value = {"averageValue": _milli_quantity(avg) if resource == "cpu" else str(avg)}
                    name = f"{resource} resource"
            except MetricsError as err:
                kind = "resource" if mtype == "Resource" else "container resource"
                errors.append(f"failed to get {resource} {'utilization' if kind == 'resource' else kind + ' metric value'}: {err}")
                statuses.append({"type": ""})
                continue
            key = "resource" if mtype == "Resource" else "containerResource"
            entry: Obj = {"name": resource}
            entry["current"] = current_value
            if container:
                entry["container"] = container
            statuses.append({"type": mtype, key: entry})
            if proposal > best:
                best, best_name = proposal, name
        error = ""
        if errors and best < 0:
            error = f"invalid metrics ({len(errors)} invalid out of {len(metrics)}), first error is: {errors[0]}"
        return best, best_name, [s for s in statuses if s.get("type")], error

    def _normalize(self, key: str, hpa: Obj, status: Obj, current: int, desired: int, min_r: int, max_r: int,
                   now: float, stamp: str) -> int:
        behavior = (hpa.get("spec") or {}).get("behavior")
        recs = self.recommendations.setdefault(key, Recommendations())
        if behavior is None:
            stabilized = recs.stabilize(desired, now, self.downscale_stabilization)
            if stabilized != desired:
                set_condition(status, "AbleToScale", "True", "ScaleDownStabilized",
                              "recent recommendations were higher than current one, applying the highest recent "
                              "recommendation", stamp)
            else:
                set_condition(status, "AbleToScale", "True", "ReadyForNewScale",
                              "recommended size matches current size", stamp)
            final, reason, message = convert_desired(current, stabilized, min_r, max_r)
        else:
            up = float((behavior.get("scaleUp") or {}).get("stabilizationWindowSeconds") or 0)
            down_given = (behavior.get("scaleDown") or {}).get("stabilizationWindowSeconds")
            down = float(down_given) if down_given is not None else self.downscale_stabilization
            stabilized, why, text = recs.stabilize_with_behavior(current, desired, now, up, down)
            if stabilized != desired:
                set_condition(status, "AbleToScale", "True", why, text, stamp)
            else:
                set_condition(status, "AbleToScale", "True", "ReadyForNewScale",
                              "recommended size matches current size", stamp)
            final, reason, message = convert_with_behavior(
                current, stabilized, min_r, max_r, behavior, self.scale_up_events.get(key, []),
                self.scale_down_events.get(key, []), now)
        set_condition(status, "ScalingLimited", "False" if final == stabilized else "True", reason, message, stamp)
        return final

    def _write_status(self, hpa: Obj, old_status: Obj, current: int | None = None,
                      desired: int | None = None) -> None:
        status = hpa["status"]
        if current is not None:
            status["currentReplicas"] = current
        if desired is not None:
            status["desiredReplicas"] = desired
        status.setdefault("desiredReplicas", 0)
        if status.get("currentMetrics") is None:
            status.pop("currentMetrics", None)
        if status == old_status:
            return
        try:
            self.client.update_status("horizontalpodautoscalers", hpa)
        except Conflict:
            self.queue.add_rate_limited(meta.key(hpa))
        except NotFound:
            pass
