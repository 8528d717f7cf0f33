"""The judged line: "An HPA with target 50% scales a Deployment up under a CPU load and back down
after it", on the simulated runtime and on Docker.

The load is a busy loop exec'd into the Pod (``yes > /dev/null &``), stopped with ``killall yes``;
the cluster clock runs 20 times faster, so metrics-server scrapes every 0.75 s and the 300 s
scale-down stabilization window lasts 15 real seconds.
"""

from __future__ import annotations

import pytest
from _waits import eventually

from k8sedu import Cluster

SPEED = 20.0
DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                 "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "web", "image": "k8sedu/busybox", "command": ["sleep", "3600"],
                                 "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "200m"}}}]}}},
}


def _replicas(c: Cluster) -> int:
    return int(c.get("deployment/web")["spec"]["replicas"])


def _utilization(c: Cluster) -> int:
    [metric] = c.get("hpa/web")["status"]["currentMetrics"]
    return int(metric["resource"]["current"]["averageUtilization"])


def scale_up_and_down(c: Cluster) -> None:
    c.apply(DEPLOYMENT)
    c.wait("deployment/web", "Available", timeout=60)
    assert c.kubectl("autoscale deployment web --cpu-percent=50 --min=1 --max=4") == \
        "horizontalpodautoscaler.autoscaling/web autoscaled\n"
    pod = c.get("pods", selector="app=web")[0]["metadata"]["name"]
    c.kubectl(f"exec {pod} -- sh -c 'yes > /dev/null &'")

    # one busy loop, capped at 200m by the CPU limit: ~200% of the 100m request, 4x the target
    eventually(lambda: _replicas(c) > 1, what="the HPA to scale up", timeout=45, interval=0.2)
    # as upstream, the HPA writes the scale first, then records its event, then writes its status
    events = eventually(lambda: [e["message"] for e in c.events() if e["reason"] == "SuccessfulRescale"],
                        what="the scale-up event", timeout=10)
    assert events[0].endswith("; reason: cpu resource utilization (percentage of request) above target")
    eventually(lambda: c.get("hpa/web")["status"].get("currentMetrics"), what="the HPA's metrics in its status",
               timeout=10)
    # the new Pods' idle usage lowers the average from one status to the next: the table shows one of them
    before = _utilization(c)
    table = c.kubectl("get hpa web")
    after = _utilization(c)
    header, row = table.splitlines()
    assert header.split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert row.split()[:3] == ["web", "Deployment/web", "cpu:"]
    utilization = int(row.split()[3].split("%/")[0])
    assert min(before, after) <= utilization <= max(before, after) and row.split()[3].endswith("%/50%")
    top = c.kubectl(f"top pod {pod}")
    assert top.splitlines()[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert int(top.splitlines()[1].split()[1].rstrip("m")) > 50  # the busy Pod uses more than the target

    c.kubectl(f"exec {pod} -- killall yes")
    eventually(lambda: _replicas(c) == 1, what="the HPA to scale back down", timeout=60, interval=0.2)
    eventually(lambda: [e["message"] for e in c.events() if e["reason"] == "SuccessfulRescale"][-1]
               == "New size: 1; reason: All metrics below target", what="the scale-down event", timeout=10)
    status = eventually(lambda: (s := c.get("hpa/web")["status"])["desiredReplicas"] == 1 and s,
                        what="the HPA status to say 1 replica", timeout=10)
    assert {cond["type"] for cond in status["conditions"]} == {"AbleToScale", "ScalingActive", "ScalingLimited"}


def test_hpa_scales_up_and_down_on_sim():
    with Cluster(nodes=2, runtime="sim", speed=SPEED) as c:
        scale_up_and_down(c)


@pytest.mark.docker
def test_hpa_scales_up_and_down_on_docker():
    with Cluster(nodes=2, runtime="docker", speed=SPEED) as c:
        scale_up_and_down(c)
