"""The HorizontalPodAutoscaler: upstream's replica calculation, limits and stabilization, as pure
functions and as the controller on a FakeClock (a fake metrics-server feeds it the usage)."""

from __future__ import annotations

import pytest
from test_controllers_support import Harness, wait_for

from k8sedu.api import meta
from k8sedu.clock import FakeClock, rfc3339
from k8sedu.controllers.podautoscaler import (
    PodMetric,
    Recommendations,
    ScaleEvent,
    convert_desired,
    group_pods,
    resource_replicas,
    scale_down_limit,
    scale_up_limit,
)
from k8sedu.errors import Invalid

START = 1_800_000_000.0


def pod(name: str, cpu: str = "100m", phase: str = "Running", ready: bool = True, started: float = START - 600,
        ready_since: float = START - 590) -> dict:
    status: dict = {"phase": phase}
    if phase == "Running":
        status["startTime"] = rfc3339(started)
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False",
                                 "lastTransitionTime": rfc3339(ready_since)}]
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": cpu}}}]},
            "status": status}


def usage(**millis: int) -> dict[str, PodMetric]:
    return {name.replace("_", "-"): PodMetric(v, START, 15.0) for name, v in millis.items()}


# -- the replica calculator ------------------------------------------------------------------------
def test_desired_is_ceil_of_current_times_utilization_over_target():
    pods = [pod("a"), pod("b")]
    # 2 Pods at 90m and 110m of 100m requested: 100% against a 50% target -> 2 * 100/50 = 4
    assert resource_replicas(2, 50, usage(a=90, b=110), pods, "cpu", START) == (4, 100, 100)
    # 75% against 50% -> ceil(2 * 1.5) = 3
    assert resource_replicas(2, 50, usage(a=70, b=80), pods, "cpu", START)[0] == 3
    # 20% against 50%: scale down to ceil(2 * 0.4) = 1
    assert resource_replicas(2, 50, usage(a=20, b=20), pods, "cpu", START)[0] == 1


def test_a_ratio_within_ten_percent_of_the_target_changes_nothing():
    pods = [pod("a"), pod("b")]
    assert resource_replicas(2, 50, usage(a=54, b=54), pods, "cpu", START)[0] == 2  # ratio 1.08
    assert resource_replicas(2, 50, usage(a=46, b=46), pods, "cpu", START)[0] == 2  # ratio 0.92
    assert resource_replicas(2, 50, usage(a=56, b=56), pods, "cpu", START)[0] == 3  # ratio 1.12


def test_missing_metrics_make_the_calculation_cautious():
    pods = [pod("a"), pod("b"), pod("c")]
    # scale up: the Pod without metrics counts as 0%: (200+200+0)/300 = 133% / 50% -> ceil(2.67*3) = 8
    assert resource_replicas(3, 50, usage(a=200, b=200), pods, "cpu", START)[0] == 8
    # scale down: it counts as 100% of its request: (10+10+100)/300 = 40% vs 50% -> ceil(0.8*3) = 3:
    # no change, where ignoring it would have said ceil(0.2*2) = 1
    assert resource_replicas(3, 50, usage(a=10, b=10), pods, "cpu", START)[0] == 3


def test_unready_and_pending_pods_count_as_idle_on_a_scale_up():
    pods = [pod("a"), pod("b", phase="Pending")]
    # a alone: 200m/100m = 400% of a 50% target; with b at 0%: 200%/2 = 100% -> ceil(2 * 2) = 4
    assert resource_replicas(1, 50, usage(a=200), pods, "cpu", START)[0] == 4
    # a at 100%: with b at 0% the average is 50%, the target: no scale up (not ceil(1 * 2) = 2)
    assert resource_replicas(1, 50, usage(a=100), pods, "cpu", START)[0] == 1
    ready, unready, missing, ignored = group_pods(
        [pod("a"), pod("b", phase="Pending"), pod("c"), {**pod("d"), "metadata": {
            "name": "d", "deletionTimestamp": rfc3339(START)}}], usage(a=1), "cpu", START)
    assert (ready, unready, missing, ignored) == (1, {"b"}, {"c"}, {"d"})


def test_a_young_pod_counts_only_with_a_measurement_taken_after_it_became_ready():
    young = pod("a", started=START - 20, ready_since=START - 10)  # ready 10 s ago; the window is 15 s
    assert group_pods([young], usage(a=50), "cpu", START)[1] == {"a"}
    settled = pod("a", started=START - 60, ready_since=START - 40)
    assert group_pods([settled], usage(a=50), "cpu", START)[0] == 1


def test_upstream_errors():
    from k8sedu.controllers.podautoscaler import MetricsError

    with pytest.raises(MetricsError, match="no pods returned by selector while calculating replica count"):
        resource_replicas(1, 50, usage(a=1), [], "cpu", START)
    no_request = pod("a")
    no_request["spec"]["containers"][0]["resources"] = {}
    with pytest.raises(MetricsError, match="missing request for cpu in container web of Pod a"):
        resource_replicas(1, 50, usage(a=1), [no_request], "cpu", START)
    with pytest.raises(MetricsError, match=r"did not receive metrics for targeted pods \(pods might be unready\)"):
        resource_replicas(1, 50, usage(a=1), [pod("a", phase="Pending")], "cpu", START)


# -- limits and stabilization --------------------------------------------------------------------
def test_limits_without_behavior():
    assert convert_desired(1, 10, 1, 10) == (4, "ScaleUpLimit",
                                             "the desired replica count is increasing faster than the maximum scale rate")
    assert convert_desired(4, 10, 1, 5) == (5, "TooManyReplicas",
                                            "the desired replica count is more than the maximum replica count")
    assert convert_desired(3, 0, 2, 5) == (2, "TooFewReplicas",
                                           "the desired replica count is less than the minimum replica count")
    assert convert_desired(3, 4, 1, 5) == (4, "DesiredWithinRange", "the desired count is within the acceptable range")


def test_scale_down_waits_for_the_stabilization_window():
    recs = Recommendations()
    assert recs.stabilize(4, START, 300) == 4
    assert recs.stabilize(1, START + 15, 300) == 4  # load gone, but 4 was recommended 15 s ago
    assert recs.stabilize(1, START + 299, 300) == 4
    assert recs.stabilize(1, START + 301, 300) == 1  # the recommendation of 4 left the window
    assert recs.stabilize(6, START + 302, 300) == 6  # scaling up is never held back


def test_behavior_policies_limit_the_rate():
    up = {"selectPolicy": "Max", "policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
                                              {"type": "Percent", "value": 100, "periodSeconds": 15}]}
    assert scale_up_limit(2, [], up, START) == 6  # max(2 + 4, 2 * 2)
    assert scale_up_limit(10, [], up, START) == 20
    # 3 Pods were added 10 s ago: the period started at 7, so at most max(7 + 4, 14) = 14
    assert scale_up_limit(10, [ScaleEvent(3, START - 10)], up, START) == 14
    down = {"selectPolicy": "Max", "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}
    assert scale_down_limit(5, [], down, START) == 4
    assert scale_down_limit(4, [ScaleEvent(1, START - 30)], down, START) == 4  # one per minute
    assert scale_down_limit(4, [ScaleEvent(1, START - 61)], down, START) == 3
    assert scale_up_limit(3, [], {"selectPolicy": "Disabled", "policies": up["policies"]}, START) == 3


def test_behavior_stabilization_clamps_between_the_two_windows():
    recs = Recommendations()
    assert recs.stabilize_with_behavior(2, 5, START, 0, 60)[0] == 5
    rec, reason, _ = recs.stabilize_with_behavior(5, 1, START + 30, 0, 60)
    assert (rec, reason) == (5, "ScaleDownStabilized")
    assert recs.stabilize_with_behavior(5, 1, START + 91, 0, 60)[0] == 1


# -- the controller, on a FakeClock ------------------------------------------------------------------
class FakeMetrics:
    """Plays metrics-server: PodMetrics from a table of millicores per Pod name."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.cpu: dict[str, int] = {}
        self.pods: list[dict] = []

    def list(self, plural: str, namespace: str | None, label_selector: str | None = None) -> dict:
        items = [{"metadata": {"name": name, "namespace": "default"}, "timestamp": rfc3339(self.clock.now()),
                  "window": "15s", "containers": [{"name": "web", "usage": {"cpu": f"{m}m", "memory": "1Mi"}}]}
                 for name, m in sorted(self.cpu.items())]
        return {"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}

    def get(self, plural: str, namespace: str | None, name: str) -> dict:
        raise NotImplementedError


def deployment(replicas: int = 1) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                         {"name": "web", "image": "k8sedu/web:v1", "resources": {"requests": {"cpu": "100m"}}}]}}}}


def hpa(**spec) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 1, "maxReplicas": 5,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                         "type": "Utilization", "averageUtilization": 50}}}], **spec}}


@pytest.fixture
def h():
    from k8sedu.controllers import ControllerManagerOptions

    harness = Harness(clock=FakeClock(START), options=ControllerManagerOptions(
        controllers=("replicaset", "deployment", "horizontal-pod-autoscaler"))).start()
    harness.metrics = FakeMetrics(harness.fake)  # type: ignore[attr-defined]
    harness.server.register_metrics(harness.metrics)  # type: ignore[attr-defined]
    yield harness
    harness.stop()


def _run_pods(h: Harness, count: int) -> list[dict]:
    """Play the kubelet: every Pod of web Running and Ready, started long enough ago."""
    pods = wait_for(lambda: (lambda ps: ps if len(ps) == count else None)(h.pods(selector="app=web")),
                    f"{count} pods")
    out = []
    for p in pods:
        if (p.get("status") or {}).get("phase") == "Running":
            out.append(p)
            continue
        current = meta.deep_copy(p)
        then = rfc3339(h.clock.now() - 600)
        current["status"] = {"phase": "Running", "startTime": then, "conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": then}]}
        out.append(h.admin.update_status("pods", current))
    return out


def _replicas(h: Harness) -> int:
    return int(h.admin.get("deployments", "web", "default")["spec"]["replicas"])


def _sync(h: Harness) -> None:
    """One sync period of the HPA controller (15 cluster seconds)."""
    h.fake.advance(15)


def _sync_until(h: Harness, done, what: str, periods: int = 3) -> None:
    """Wait for *done*, moving the clock one sync period each time the controllers fall idle
    without it: the first reconcile may run before the informers have seen the Pods' status."""
    for _ in range(periods):
        try:
            wait_for(done, what, timeout=2.0)
            return
        except AssertionError:
            wait_for(lambda: not h.manager.busy(), "the controllers to settle")
            _sync(h)
    wait_for(done, what)


def test_controller_scales_up_under_load_and_down_after_the_window(h):
    h.admin.create("deployments", deployment(), "default")
    pods = _run_pods(h, 1)
    h.metrics.cpu = {pods[0]["metadata"]["name"]: 150}  # 150% of the request against a 50% target
    h.admin.create("horizontalpodautoscalers", hpa(), "default")
    _sync_until(h, lambda: _replicas(h) == 3, "a scale up to 3")
    wait_for(lambda: h.messages("SuccessfulRescale") == [
        "New size: 3; reason: cpu resource utilization (percentage of request) above target"], "the rescale event")
    status = wait_for(lambda: (h.admin.get("horizontalpodautoscalers", "web", "default").get("status") or {})
                      .get("desiredReplicas") == 3 and h.admin.get("horizontalpodautoscalers", "web", "default")
                      ["status"], "the HPA status")
    assert status["currentMetrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "current": {"averageUtilization": 150, "averageValue": "150m"}}}]
    conds = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conds["ScalingActive"] == ("True", "ValidMetricFound")
    assert conds["AbleToScale"][0] == "True"

    # the load stops: recommendations of 1, held back by the 300 s stabilization window
    pods = _run_pods(h, 3)
    h.metrics.cpu = {p["metadata"]["name"]: 1 for p in pods}
    for _ in range(10):  # 150 s: still inside the window
        _sync(h)
        wait_for(lambda: not h.manager.busy(), "the controllers to settle")
    assert _replicas(h) == 3
    hpa_now = h.admin.get("horizontalpodautoscalers", "web", "default")
    assert {c["type"]: c["reason"] for c in hpa_now["status"]["conditions"]}["AbleToScale"] == "ScaleDownStabilized"
    for _ in range(12):  # past 300 s since the last high recommendation
        _sync(h)
        if _replicas(h) == 1:
            break
        wait_for(lambda: not h.manager.busy(), "the controllers to settle")
    wait_for(lambda: _replicas(h) == 1, "the scale down to 1")
    wait_for(lambda: "New size: 1; reason: All metrics below target" in h.messages("SuccessfulRescale"),
             "the scale-down event")


def test_controller_reports_missing_metrics_in_upstreams_words(h):
    h.admin.create("deployments", deployment(), "default")
    _run_pods(h, 1)
    h.admin.create("horizontalpodautoscalers", hpa(), "default")
    message = ("invalid metrics (1 invalid out of 1), first error is: failed to get cpu utilization: unable to get "
               "metrics for resource cpu: no metrics returned from resource metrics API")
    wait_for(lambda: message in h.messages("FailedComputeMetricsReplicas"), "the FailedComputeMetricsReplicas event")
    cond = wait_for(lambda: next((c for c in (h.admin.get("horizontalpodautoscalers", "web", "default").get("status")
                                              or {}).get("conditions") or [] if c["type"] == "ScalingActive"), None),
                    "the ScalingActive condition")
    assert (cond["status"], cond["reason"]) == ("False", "FailedGetResourceMetric")
    assert cond["message"].startswith("the HPA was unable to compute the replica count: failed to get cpu utilization")
    assert _replicas(h) == 1


def test_controller_brings_replicas_into_min_max(h):
    h.admin.create("deployments", deployment(replicas=8), "default")
    h.admin.create("horizontalpodautoscalers", hpa(), "default")
    wait_for(lambda: _replicas(h) == 5, "a scale down to maxReplicas")
    wait_for(lambda: h.messages("SuccessfulRescale") == [
        "New size: 5; reason: Current number of replicas above Spec.MaxReplicas"], "the rescale event")


def test_validation_and_defaults_in_upstreams_words(h):
    created = h.admin.create("horizontalpodautoscalers", {**hpa(), "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 3}},
        "default")
    assert created["spec"]["minReplicas"] == 1
    assert created["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]
    with pytest.raises(Invalid) as err:
        h.admin.create("horizontalpodautoscalers", {**hpa(minReplicas=0, maxReplicas=0),
                                                    "metadata": {"name": "bad"}}, "default")
    assert err.value.message == (
        'HorizontalPodAutoscaler.autoscaling "bad" is invalid: [spec.minReplicas: Invalid value: 0: must be '
        "greater than or equal to 1, spec.maxReplicas: Invalid value: 0: must be greater than 0]")
    with pytest.raises(Invalid) as err:
        h.admin.create("horizontalpodautoscalers", {**hpa(minReplicas=4, maxReplicas=2),
                                                    "metadata": {"name": "bad"}}, "default")
    assert "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`" in err.value.message
    bad_target = hpa(metrics=[{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 0}}}])
    with pytest.raises(Invalid) as err:
        h.admin.create("horizontalpodautoscalers", {**bad_target, "metadata": {"name": "bad"}}, "default")
    assert "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0" \
        in err.value.message
    with_behavior = h.admin.create("horizontalpodautoscalers", {**hpa(behavior={"scaleDown": {
        "stabilizationWindowSeconds": 30}}), "metadata": {"name": "b"}}, "default")
    assert with_behavior["spec"]["behavior"] == {
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]},
        "scaleDown": {"stabilizationWindowSeconds": 30, "selectPolicy": "Max", "policies": [
            {"type": "Percent", "value": 100, "periodSeconds": 15}]}}
    with pytest.raises(Invalid) as err:
        h.admin.create("horizontalpodautoscalers", {**hpa(behavior={"scaleDown": {
            "stabilizationWindowSeconds": 4000}}), "metadata": {"name": "c"}}, "default")
    assert ("spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal "
            "to 3600") in err.value.message


def test_an_autoscaling_v1_object_converts_to_v2():
    from k8sedu.api.validation_autoscaling import hpa_from_v1

    v1 = {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"},
          "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                   "maxReplicas": 5, "targetCPUUtilizationPercentage": 50}}
    assert hpa_from_v1(v1) == {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                               "metadata": {"name": "web"}, "spec": {
                                   "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                                   "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
                                       "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}}
