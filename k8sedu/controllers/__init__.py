"""The controller-manager's control loops, each a faithful small copy of upstream's.

Each controller watches the apiserver through shared informers and writes only through the
apiserver; none calls another. ``ControllerManager`` runs them all (see manager.py).
"""

from __future__ import annotations

from .base import Controller
from .deployment import DeploymentController
from .expectations import ControllerExpectations
from .garbagecollector import GarbageCollector
from .manager import CONTROLLERS, ControllerManager, ControllerManagerOptions
from .namespace import NamespaceController
from .nodelifecycle import NodeLifecycleController
from .replicaset import ReplicaSetController
from .tainteviction import TaintEvictionController

__all__ = [
    "Controller",
    "ControllerExpectations",
    "ControllerManager",
    "ControllerManagerOptions",
    "CONTROLLERS",
    "DeploymentController",
    "GarbageCollector",
    "NamespaceController",
    "NodeLifecycleController",
    "ReplicaSetController",
    "TaintEvictionController",
]
