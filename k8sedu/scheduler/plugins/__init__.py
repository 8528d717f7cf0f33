"""The in-tree plugins, one module each, and the registry that knows them by name.

===============================  ========  ===================================================
plugin                           weight    what it checks / prefers
===============================  ========  ===================================================
NodeUnschedulable                          cordoned nodes take no new Pods
NodeName                                   ``spec.nodeName``, if set, must be this node
TaintToleration                  3         NoSchedule/NoExecute taints; fewer PreferNoSchedule
NodeAffinity                     2         nodeSelector, required / preferred node affinity
NodePorts                                  hostPort conflicts
NodeResourcesFit                 1         requests fit; LeastAllocated scoring
VolumeBinding                              claims bound or bindable where the Pod goes
PodTopologySpread                2         spread over nodes and zones
InterPodAffinity                 2         pod (anti-)affinity
NodeResourcesBalancedAllocation  1         cpu and memory used evenly
ImageLocality                    1         images already on the node
===============================  ========  ===================================================
"""

from __future__ import annotations

from ..framework import Registry
from . import (
    balanced_allocation,
    image_locality,
    inter_pod_affinity,
    node_affinity,
    node_name,
    node_ports,
    node_unschedulable,
    noderesources_fit,
    pod_topology_spread,
    taint_toleration,
    volume_binding,
)
from .balanced_allocation import NodeResourcesBalancedAllocation
from .image_locality import ImageLocality
from .inter_pod_affinity import InterPodAffinity
from .node_affinity import NodeAffinity
from .node_name import NodeName
from .node_ports import NodePorts
from .node_unschedulable import NodeUnschedulable
from .noderesources_fit import NodeResourcesFit
from .pod_topology_spread import PodTopologySpread
from .taint_toleration import TaintToleration
from .volume_binding import VolumeBinding

__all__ = [
    "in_tree_registry",
    "NodeUnschedulable",
    "NodeName",
    "TaintToleration",
    "NodeAffinity",
    "NodePorts",
    "NodeResourcesFit",
    "PodTopologySpread",
    "InterPodAffinity",
    "NodeResourcesBalancedAllocation",
    "ImageLocality",
    "balanced_allocation",
    "image_locality",
    "inter_pod_affinity",
    "node_affinity",
    "node_name",
    "node_ports",
    "node_unschedulable",
    "noderesources_fit",
    "pod_topology_spread",
    "taint_toleration",
    "VolumeBinding",
    "volume_binding",
]

_IN_TREE = (
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    VolumeBinding,
    PodTopologySpread,
    InterPodAffinity,
    NodeResourcesBalancedAllocation,
    ImageLocality,
)


def in_tree_registry() -> Registry:
    """A fresh registry of the in-tree plugins (add your own with ``.register(name, factory)``)."""
    registry = Registry()
    for cls in _IN_TREE:
        registry.register(cls.name, cls)
    return registry
