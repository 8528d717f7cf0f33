"""Usage from counters: how metrics-server turns two kubelet readings into "12m" of CPU.

The kubelet reports a container's CPU as a *cumulative* counter (CPU-nanoseconds used since it
started), not as a rate. metrics-server keeps the previous reading and divides::

    reading 1: usageCoreNanoSeconds = 4_000_000_000   at t = 100.0 s
    reading 2: usageCoreNanoSeconds = 4_750_000_000   at t = 115.0 s
    rate = (4.75e9 - 4.0e9) ns / 15 s = 50_000_000 ns/s = 0.05 cores = "50m"

So a container has CPU metrics only from its second scrape on (``kubectl top`` says "metrics not
available yet" before that), and a counter that went backwards (the container restarted) starts
over. Memory is the working set as read (no rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ContainerSample", "cpu_rate", "format_window", "pod_metrics", "node_metrics", "API_VERSION"]

API_VERSION = "metrics.k8s.io/v1beta1"


@dataclass(frozen=True)
class ContainerSample:
    """One reading of one container, as the kubelet's summary gives it."""

    cpu_nanos: int  # cumulative CPU time, nanoseconds
    read_nanos: int  # when it was read (same time base as the counter)
    memory_bytes: int  # working set


def cpu_rate(prev: ContainerSample | None, cur: ContainerSample) -> int | None:
    """Nanocores used between two readings; None without a usable previous reading."""
    if prev is None or cur.read_nanos <= prev.read_nanos or cur.cpu_nanos < prev.cpu_nanos:
        return None
    return round((cur.cpu_nanos - prev.cpu_nanos) * 1_000_000_000 / (cur.read_nanos - prev.read_nanos))


def format_window(seconds: float) -> str:
    """A Go ``time.Duration`` string as metrics-server prints ``window``: ``15s``, ``1.5s``, ``1m0s``."""
    ms = max(0, round(seconds * 1000))
    minutes, rest = divmod(ms, 60_000)
    secs = f"{rest // 1000}" if rest % 1000 == 0 else f"{rest / 1000:.3f}".rstrip("0")
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


def _usage(nanocores: int, memory: int) -> dict[str, str]:
    return {"cpu": f"{nanocores}n", "memory": f"{memory // 1024}Ki"}


def pod_metrics(pod: dict[str, Any], containers: list[tuple[str, int, int]], timestamp: str,
                window: str) -> dict[str, Any]:
    """A PodMetrics object: *containers* is ``[(name, nanocores, memory bytes)]``. Labels are the
    Pod's, so ``kubectl top pods -l app=web`` selects as ``get pods`` does."""
    md = pod.get("metadata") or {}
    return {
        "kind": "PodMetrics",
        "apiVersion": API_VERSION,
        "metadata": {"name": md.get("name", ""), "namespace": md.get("namespace", ""),
                     "creationTimestamp": timestamp, "labels": dict(md.get("labels") or {})},
        "timestamp": timestamp,
        "window": window,
        "containers": [{"name": n, "usage": _usage(cpu, mem)} for n, cpu, mem in containers],
    }


def node_metrics(node: dict[str, Any], nanocores: int, memory: int, timestamp: str, window: str) -> dict[str, Any]:
    """A NodeMetrics object (the node's labels copied, as metrics-server does)."""
    md = node.get("metadata") or {}
    return {
        "kind": "NodeMetrics",
        "apiVersion": API_VERSION,
        "metadata": {"name": md.get("name", ""), "creationTimestamp": timestamp,
                     "labels": dict(md.get("labels") or {})},
        "timestamp": timestamp,
        "window": window,
        "usage": _usage(nanocores, memory),
    }
