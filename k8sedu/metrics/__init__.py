"""metrics-server: the resource metrics pipeline behind ``kubectl top`` and the HorizontalPodAutoscaler.

    runtime.stats ──▶ kubelet /stats/summary ──▶ MetricsServer (every 15 s) ──▶ metrics.k8s.io
                                                                        │            ├─▶ kubectl top
                                                                        └ in memory  └─▶ HPA controller

``usage.py`` holds the pure part (rates from cumulative counters, PodMetrics/NodeMetrics objects),
``server.py`` the scraping loop that the apiserver serves ``metrics.k8s.io`` from.
"""

from __future__ import annotations

from .server import MetricsServer
from .usage import ContainerSample, cpu_rate, format_window, node_metrics, pod_metrics

__all__ = ["MetricsServer", "ContainerSample", "cpu_rate", "format_window", "node_metrics", "pod_metrics"]
