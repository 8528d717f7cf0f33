"""The kubelet's resource usage report: what metrics-server scrapes from every node.

The real kubelet answers ``GET /stats/summary`` (and ``/metrics/resource``) on port 10250 with the
CPU and memory its containers use, read from the container runtime (cAdvisor / the CRI's
``ContainerStats``). metrics-server scrapes every node about every 15 s, turns two readings of the
*cumulative* CPU counter into a rate, and serves the result as ``metrics.k8s.io``::

    runtime.stats(cid) ──▶ kubelet summary() ──▶ metrics-server (every 15 s) ──▶ kubectl top / HPA

The report follows upstream's ``stats/v1alpha1`` Summary (node, pods, containers; ``cpu`` with
``usageCoreNanoSeconds``, ``memory`` with ``workingSetBytes``). One field is ours: ``readNanos``,
when the counter was read, in the same time base as the counter (real time for Docker, cluster time
for the simulated runtime), so the rate is right whatever the cluster clock's speed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..clock import rfc3339
from ..runtime.errors import ContainerRuntimeError

if TYPE_CHECKING:
    from .kubelet import Kubelet

__all__ = ["summary"]


def _usage(sample: dict[str, int], when: str) -> tuple[dict[str, Any], dict[str, Any]]:
    cpu = {
        "time": when,
        "usageNanoCores": int(sample.get("cpu_millis", 0)) * 1_000_000,
        "usageCoreNanoSeconds": int(sample.get("cpu_usage_nanos", 0)),
        "readNanos": int(sample.get("read_nanos", 0)),
    }
    memory = {"time": when, "workingSetBytes": int(sample.get("memory_bytes", 0))}
    return cpu, memory


def summary(kubelet: Kubelet) -> dict[str, Any]:
    """The node's Summary: one runtime ``stats`` call per running app container of this node."""
    when = rfc3339(kubelet.clock.now())
    pods: dict[str, dict[str, Any]] = {}
    node_cpu_nanos = node_nano_cores = node_memory = read_nanos = 0
    for status in kubelet.runtime.list_containers(kubelet.node_name):
        if status.is_sandbox or status.state != "running":
            continue
        try:
            sample = kubelet.runtime.stats(status.id)
        except ContainerRuntimeError:
            continue  # it went away between the list and the read: the next scrape will tell
        cpu, memory = _usage(sample, when)
        pod = pods.setdefault(status.pod_uid, {
            "podRef": {"name": status.pod_name, "namespace": status.namespace, "uid": status.pod_uid},
            "containers": [],
        })
        pod["containers"].append({"name": status.container_name, "cpu": cpu, "memory": memory})
        node_cpu_nanos += cpu["usageCoreNanoSeconds"]
        node_nano_cores += cpu["usageNanoCores"]
        node_memory += memory["workingSetBytes"]
        read_nanos = max(read_nanos, cpu["readNanos"])
    return {
        "node": {
            "nodeName": kubelet.node_name,
            "cpu": {"time": when, "usageNanoCores": node_nano_cores, "usageCoreNanoSeconds": node_cpu_nanos,
                    "readNanos": read_nanos},
            "memory": {"time": when, "workingSetBytes": node_memory},
        },
        "pods": list(pods.values()),
    }
