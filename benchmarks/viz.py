"""Render time of the dashboards for snapshots of 50 and 500 Pods (target: under 50 ms at 500).

    .venv/bin/python benchmarks/viz.py

Why synthetic snapshots: the render is what must stay fast as a class scales a Deployment up; the
objects are shaped as the apiserver returns them, without starting 500 containers.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from k8sedu.flow import FlowEvent
from k8sedu.viz.cluster_view import ClusterSnapshot, ClusterView
from k8sedu.viz.rollout_view import RolloutRecorder, RolloutSnapshot, RolloutView
from k8sedu.viz.service_view import ConnectionLog, ServiceSnapshot, ServiceView

__all__ = ["cluster_objects", "service_snapshot", "rollout_snapshot", "main"]

TS = "2026-01-01T00:00:{:02d}Z"


def cluster_objects(n: int, nodes: int = 5) -> dict[str, list[dict[str, Any]]]:
    """*n* Pods of one Deployment spread over *nodes* Nodes, a Service, its slice, 2 events per Pod."""
    node_objs = [{"kind": "Node", "metadata": {"name": f"node-{i + 1}"},
                  "status": {"conditions": [{"type": "Ready", "status": "True"}]}} for i in range(nodes)]
    dep = {"kind": "Deployment", "metadata": {"name": "web", "namespace": "default", "uid": "d1"},
           "spec": {"replicas": n}, "status": {"readyReplicas": n}}
    rs = {"kind": "ReplicaSet", "metadata": {"name": "web-abc", "namespace": "default", "uid": "r1",
                                             "ownerReferences": [{"uid": "d1", "kind": "Deployment", "name": "web",
                                                                  "controller": True}]},
          "spec": {"replicas": n}}
    pods, endpoints, events = [], [], []
    phases = ["Running"] * 8 + ["Pending", "Failed"]
    for i in range(n):
        name = f"web-abc-{i:05d}"
        phase = phases[i % len(phases)]
        ready = "True" if phase == "Running" and i % 7 else "False"
        pods.append({"kind": "Pod", "metadata": {"name": name, "namespace": "default", "uid": f"p{i}",
                                                 "ownerReferences": [{"uid": "r1", "kind": "ReplicaSet",
                                                                      "name": "web-abc", "controller": True}]},
                     "spec": {"nodeName": "" if phase == "Pending" else f"node-{i % nodes + 1}"},
                     "status": {"phase": phase, "podIP": f"10.244.{i // 250}.{i % 250}",
                                "conditions": [{"type": "Ready", "status": ready}]}})
        endpoints.append({"addresses": [f"10.244.{i // 250}.{i % 250}"], "conditions": {"ready": ready == "True"},
                          "nodeName": f"node-{i % nodes + 1}", "targetRef": {"kind": "Pod", "name": name}})
        for j, reason in enumerate(("Scheduled", "Started" if i % 9 else "BackOff")):
            events.append({"kind": "Event", "metadata": {"name": f"{name}.{j}", "namespace": "default",
                                                         "uid": f"e{i}-{j}"},
                           "type": "Warning" if reason == "BackOff" else "Normal", "reason": reason,
                           "involvedObject": {"kind": "Pod", "name": name}, "message": f"{reason} {name}",
                           "lastTimestamp": TS.format((i + j) % 60)})
    svc = {"kind": "Service", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"clusterIP": "10.96.0.10", "ports": [{"port": 80}]}}
    slice_ = {"kind": "EndpointSlice", "metadata": {"name": "web-x", "namespace": "default",
                                                    "labels": {"kubernetes.io/service-name": "web"}},
              "ports": [{"port": 80}], "endpoints": endpoints}
    return {"nodes": node_objs, "pods": pods, "workloads": [dep, rs], "services": [svc], "slices": [slice_],
            "events": events}


def service_snapshot(n: int, requests: int = 2000) -> ServiceSnapshot:
    objs = cluster_objects(n)
    log = ConnectionLog("default", "web")
    for i in range(requests):
        pod = f"web-abc-{(i * 7) % n:05d}"
        log.feed(FlowEvent(i + 1, 0.0, "kube-proxy", f"pod/{pod}", "connect", "Service", "default", "web",
                           explain="…", detail={"client": "127.0.0.1:5000", "pod": f"default/{pod}",
                                                "endpoint": "10.244.0.1:80", "mode": "iptables", "rule": 0,
                                                "endpoints": n}))
    counts, recent, total, rejected = log.copy()
    return ServiceSnapshot.build(objs["services"][0], objs["slices"], "iptables", counts, recent, total, rejected)


def rollout_snapshot(n: int) -> RolloutSnapshot:
    """A rolling update of *n* replicas, one Pod at a time, then a rollback: 4n samples."""
    rec = RolloutRecorder("default", "web")
    dep = {"metadata": {"name": "web", "uid": "d1", "annotations": {"deployment.kubernetes.io/revision": "1"}},
           "spec": {"replicas": n, "template": {"spec": {"containers": [{"image": "k8sedu/web:v1"}]}}},
           "status": {}}

    def rs(name: str, rev: str, size: int, image: str) -> dict[str, Any]:
        return {"metadata": {"name": name, "annotations": {"deployment.kubernetes.io/revision": rev},
                             "ownerReferences": [{"uid": "d1", "controller": True}]},
                "spec": {"replicas": size, "template": {"spec": {"containers": [{"image": image}]}}},
                "status": {"replicas": size, "readyReplicas": size, "availableReplicas": size}}

    t = 0.0
    for step in range(n + 1):
        rec.observe(dep, [rs("web-v1", "1", n - step, "k8sedu/web:v1"), rs("web-v2", "2", step, "k8sedu/web:v2")], t)
        t += 0.1
        dep = {**dep, "metadata": {**dep["metadata"], "annotations": {"deployment.kubernetes.io/revision": "2"}}}
    for step in range(n + 1):
        rec.observe(dep, [rs("web-v1", "3", step, "k8sedu/web:v1"), rs("web-v2", "2", n - step, "k8sedu/web:v2")], t)
        t += 0.1
        dep = {**dep, "metadata": {**dep["metadata"], "annotations": {"deployment.kubernetes.io/revision": "3"}}}
    return rec.snapshot()


def _time(fn: Callable[[], Any], repeat: int = 7) -> float:
    fn()  # warm up (first render builds plotly's validators)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main() -> None:
    print(f"{'view':<14}{'pods':>6}{'snapshot ms':>14}{'render ms':>12}")
    for n in (50, 500):
        objs = cluster_objects(n)
        snap_ms = _time(lambda: ClusterSnapshot.from_objects(**objs))  # noqa: B023
        cluster_snap = ClusterSnapshot.from_objects(**objs)
        cv = ClusterView()
        print(f"{'ClusterView':<14}{n:>6}{snap_ms:>14.1f}{_time(lambda: cv.render(cluster_snap)):>12.1f}")  # noqa: B023
        snap_ms = _time(lambda: service_snapshot(n, requests=200))  # noqa: B023
        service = service_snapshot(n)
        sv = ServiceView()
        print(f"{'ServiceView':<14}{n:>6}{snap_ms:>14.1f}{_time(lambda: sv.render(service)):>12.1f}")  # noqa: B023
        rollout = rollout_snapshot(n)
        rv = RolloutView()
        print(f"{'RolloutView':<14}{n:>6}{'':>14}{_time(lambda: rv.render(rollout)):>12.1f}"  # noqa: B023
              f"   ({len(rollout.samples)} samples)")


if __name__ == "__main__":
    main()
