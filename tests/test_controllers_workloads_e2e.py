"""DaemonSet, StatefulSet, Job and CronJob end to end through the facade: the real scheduler places
the Pods, the kubelets run them (sim runtime, and real Docker), the controllers do the rest."""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import _waits
import pytest

from k8sedu import Cluster
from k8sedu.api import meta

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]

DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: agent, image: k8sedu/busybox, command: [sh, -c, "sleep 3600"]}]
"""

STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 3
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: web, image: k8sedu/web:v1}]
"""

JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: done}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: k8sedu/busybox, command: [sh, -c, "echo done"]}]
"""

CRONJOB = """
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/1 * * * *"
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: k8sedu/busybox, command: [sh, -c, "echo tick"]}]
"""


eventually = partial(_waits.eventually, timeout=60.0)


@pytest.fixture(scope="module", params=RUNTIMES)
def cluster(request: pytest.FixtureRequest) -> Any:
    if request.param == "docker":
        request.getfixturevalue("docker_required")
    c = Cluster(nodes=3, runtime=request.param, progress=False, speed=60)
    c.start()
    yield c
    c.stop()


def _running(c: Cluster, selector: str) -> list[dict]:
    return [p for p in c.get("pods", selector=selector)
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


def test_daemonset_one_pod_per_schedulable_node(cluster: Cluster) -> None:
    cluster.apply(DAEMONSET)
    nodes = sorted(n["metadata"]["name"] for n in cluster.get("nodes"))
    eventually(lambda: sorted(p["spec"].get("nodeName") for p in _running(cluster, "app=agent")) == nodes,
               what="one running agent pod per node")
    ds = eventually(lambda: (d := cluster.get("daemonset/agent"))["status"].get("numberReady") == len(nodes) and d,
                    what="numberReady")
    assert ds["status"]["desiredNumberScheduled"] == len(nodes)
    out = cluster.kubectl("get ds agent")
    assert out.split("\n")[0].split()[:6] == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE"]
    cluster.kubectl(f"cordon {nodes[0]}")
    time.sleep(0.5)  # let the controllers see the cordon: the Pod must stay (it tolerates unschedulable)
    assert nodes[0] in {p["spec"].get("nodeName") for p in _running(cluster, "app=agent")}
    cluster.kubectl(f"uncordon {nodes[0]}")
    cluster.delete("daemonset/agent")
    # the garbage collector removes what the DaemonSet owned: its Pods and ControllerRevisions
    eventually(lambda: not cluster.get("pods", selector="app=agent")
               and not [r for r in cluster.get("controllerrevisions") if r["metadata"]["name"].startswith("agent-")],
               timeout=60, what="the DaemonSet's pods and revisions collected")


def test_statefulset_starts_in_order(cluster: Cluster) -> None:
    cluster.apply(STATEFULSET)
    eventually(lambda: cluster.get("statefulset/web")["status"].get("readyReplicas") == 3, timeout=120, what="3 ready")
    pods = {p["metadata"]["name"]: p for p in cluster.get("pods", selector="app=web")}
    assert sorted(pods) == ["web-0", "web-1", "web-2"]

    def ready_at(name: str) -> str:
        return meta.get_condition(pods[name]["status"], "Ready")["lastTransitionTime"]

    def created(name: str) -> str:
        return pods[name]["metadata"]["creationTimestamp"]

    # each Pod is created only once the previous one is Running and Ready
    assert ready_at("web-0") <= created("web-1") and ready_at("web-1") <= created("web-2")
    assert pods["web-1"]["spec"]["hostname"] == "web-1" and pods["web-1"]["spec"]["subdomain"] == "web"
    assert cluster.kubectl("rollout status statefulset/web") == "partitioned roll out complete: 3 new pods have been updated...\n"
    cluster.delete("statefulset/web")


def test_job_with_completions_completes(cluster: Cluster) -> None:
    cluster.apply(JOB)
    cluster.wait("job/done", "Complete", timeout=120)
    job = cluster.get("job/done")
    assert job["status"]["succeeded"] == 3
    pods = cluster.get("pods", selector="job-name=done")
    assert len(pods) == 3 and all(p["status"]["phase"] == "Succeeded" for p in pods)
    assert cluster.kubectl(f"logs {pods[0]['metadata']['name']}").strip() == "done"
    eventually(lambda: "Job completed" in [e["message"] for e in cluster.events() if e["reason"] == "Completed"],
               timeout=10, what="the Completed event")


def test_cronjob_creates_jobs_on_the_sped_up_clock(cluster: Cluster) -> None:
    cluster.apply(CRONJOB)
    jobs = eventually(lambda: [j for j in cluster.get("jobs") if (meta.controller_ref(j) or {}).get("name") == "tick"
                               and meta.get_condition(j.get("status") or {}, "Complete")],
                      timeout=90, what="a completed job of the cronjob")
    assert jobs[0]["metadata"]["name"].startswith("tick-")
    eventually(lambda: cluster.get("cronjob/tick")["status"].get("lastSuccessfulTime"), timeout=30, what="lastSuccessfulTime")
    # the controller saw its own Jobs as its own (no "did not create or forgot" warning)
    assert not [e for e in cluster.events() if e["reason"] == "UnexpectedJob"]
    cluster.delete("cronjob/tick")
