"""The kubelet: runs the Pods bound to its node on the container runtime and reports their status.

``Kubelet(client, runtime, node_name, clock)`` with ``start()``/``stop()`` and the fault injection
``fail()``/``recover()``; see ``kubelet.py`` for how the pieces fit.
"""

from __future__ import annotations

from .backoff import Backoff, go_duration
from .kubelet import DEFAULT_CAPACITY, Kubelet
from .node import KUBELET_VERSION, LEASE_DURATION_SECONDS, LEASE_NAMESPACE, NodeAgent
from .podstatus import PodView, generate_pod_status, get_phase
from .server import KubeletConnection, KubeletUnreachable
from .sync import PUBLISHED_PORTS_ANNOTATION, PodRecord, PodSyncer

__all__ = [
    "Backoff",
    "DEFAULT_CAPACITY",
    "KUBELET_VERSION",
    "Kubelet",
    "KubeletConnection",
    "KubeletUnreachable",
    "LEASE_DURATION_SECONDS",
    "LEASE_NAMESPACE",
    "NodeAgent",
    "PUBLISHED_PORTS_ANNOTATION",
    "PodRecord",
    "PodSyncer",
    "PodView",
    "generate_pod_status",
    "get_phase",
    "go_duration",
]
