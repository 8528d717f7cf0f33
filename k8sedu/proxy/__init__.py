"""kube-proxy: Services reachable on 127.0.0.1, load-balanced over their ready endpoints."""

from __future__ import annotations

from .dns import ClusterDNS
from .proxier import COMPONENT, PUBLISHED_PORTS_ANNOTATION, KubeProxy
from .relay import RelayLoop
from .rules import MODES, Choice, Chooser, Endpoint, ServicePort, usable_endpoints

__all__ = [
    "COMPONENT",
    "MODES",
    "PUBLISHED_PORTS_ANNOTATION",
    "Chooser",
    "Choice",
    "ClusterDNS",
    "Endpoint",
    "KubeProxy",
    "RelayLoop",
    "ServicePort",
    "usable_endpoints",
]
