"""kube-controller-manager: many control loops in one process, sharing one set of informers.

Each controller watches what it needs through **one** shared informer factory, so the Pods are
listed and watched once for all of them, as in the real controller-manager::

    ControllerManager
    ├── InformerFactory (pods, replicasets, deployments, nodes, leases, namespaces, …)
    ├── "replicaset"                  ReplicaSetController
    ├── "deployment"                  DeploymentController
    ├── "garbagecollector"            GarbageCollector
    ├── "namespace"                   NamespaceController
    ├── "nodelifecycle"               NodeLifecycleController
    ├── "taint-eviction-controller"   TaintEvictionController
    ├── "endpoints"                   EndpointsController
    ├── "endpointslice"               EndpointSliceController
    ├── "persistentvolume-binder"     PersistentVolumeController (binds, provisions, reclaims)
    ├── "pvc-protection"              PVCProtectionController (a claim in use is not deleted)
    ├── "pv-protection"               PVProtectionController (a bound volume is not deleted)
    ├── "serviceaccount"              ServiceAccountsController (a "default" in every namespace)
    └── "resourcequota"               ResourceQuotaController (ResourceQuota status.used)

``start()`` starts the informers, waits until every cache is filled, then starts the workers.
The controllers speak to the apiserver as the user ``system:kube-controller-manager``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..apiserver import CONTROLLER_MANAGER, APIServer
from ..client import Client, InformerFactory
from ..clock import Clock
from .base import Controller
from .cronjob import CronJobController
from .daemonset import DaemonSetController
from .deployment import DeploymentController
from .endpoints import EndpointsController
from .endpointslice import EndpointSliceController
from .garbagecollector import GarbageCollector
from .job import JobController, TTLAfterFinishedController
from .namespace import NamespaceController
from .nodelifecycle import (
    EVICTION_LIMITER_QPS,
    NODE_MONITOR_GRACE_PERIOD,
    NODE_MONITOR_PERIOD,
    NODE_STARTUP_GRACE_PERIOD,
    NodeLifecycleController,
)
from .persistentvolume import PersistentVolumeController, VolumeDeleter
from .podautoscaler import HorizontalPodAutoscalerController
from .pvcprotection import PVCProtectionController
from .pvprotection import PVProtectionController
from .replicaset import ReplicaSetController
from .resourcequota import ResourceQuotaController
from .rootcacert import RootCACertPublisher
from .serviceaccount import ServiceAccountsController
from .statefulset import StatefulSetController
from .tainteviction import TaintEvictionController

__all__ = ["ControllerManager", "ControllerManagerOptions", "CONTROLLERS", "COMPONENT"]

#: the flow-event source of every request the controllers make
COMPONENT = "controller-manager"


@dataclass(frozen=True)
class ControllerManagerOptions:
    """The flags of kube-controller-manager we support (upstream's names, cluster seconds)."""

    node_monitor_period: float = NODE_MONITOR_PERIOD
    node_monitor_grace_period: float = NODE_MONITOR_GRACE_PERIOD
    node_startup_grace_period: float = NODE_STARTUP_GRACE_PERIOD
    node_eviction_rate: float = EVICTION_LIMITER_QPS
    controllers: tuple[str, ...] = ("*",)  # --controllers: "*" or names; "-name" disables one
    # not a flag: the provisioner's seam to the engine, removes a reclaimed PV's engine volume
    # (the Cluster passes ``runtime.remove_volume``; upstream: the volume plugin's Deleter)
    volume_deleter: VolumeDeleter | None = None
    root_ca: bytes | None = None  # --root-ca-file's content: published as ConfigMap kube-root-ca.crt


def _node_lifecycle(client: Client, informers: InformerFactory, clock: Clock,
                    opts: ControllerManagerOptions) -> Controller:
    return NodeLifecycleController(client, informers, clock,
                                   monitor_period=opts.node_monitor_period,
                                   grace_period=opts.node_monitor_grace_period,
                                   startup_grace_period=opts.node_startup_grace_period,
                                   eviction_qps=opts.node_eviction_rate)


Factory = Callable[[Client, InformerFactory, Clock, ControllerManagerOptions], Controller]

#: upstream controller name → how to build it; add a controller by adding a line here
CONTROLLERS: dict[str, Factory] = {
    "replicaset": lambda c, f, k, o: ReplicaSetController(c, f, k),
    "deployment": lambda c, f, k, o: DeploymentController(c, f, k),
    "garbagecollector": lambda c, f, k, o: GarbageCollector(c, f, k),
    "namespace": lambda c, f, k, o: NamespaceController(c, f, k),
    "nodelifecycle": _node_lifecycle,
    "taint-eviction-controller": lambda c, f, k, o: TaintEvictionController(c, f, k),
    "daemonset": lambda c, f, k, o: DaemonSetController(c, f, k),
    "statefulset": lambda c, f, k, o: StatefulSetController(c, f, k),
    "job": lambda c, f, k, o: JobController(c, f, k),
    "cronjob": lambda c, f, k, o: CronJobController(c, f, k),
    "ttl-after-finished": lambda c, f, k, o: TTLAfterFinishedController(c, f, k),
    "endpoints": lambda c, f, k, o: EndpointsController(c, f, k),
    "endpointslice": lambda c, f, k, o: EndpointSliceController(c, f, k),
    "serviceaccount": lambda c, f, k, o: ServiceAccountsController(c, f, k),
    "resourcequota": lambda c, f, k, o: ResourceQuotaController(c, f, k),
    "persistentvolume-binder": lambda c, f, k, o: PersistentVolumeController(c, f, k, deleter=o.volume_deleter),
    "pvc-protection": lambda c, f, k, o: PVCProtectionController(c, f, k),
    "pv-protection": lambda c, f, k, o: PVProtectionController(c, f, k),
    "horizontal-pod-autoscaler": lambda c, f, k, o: HorizontalPodAutoscalerController(c, f, k),
    "root-ca-cert-publisher": lambda c, f, k, o: RootCACertPublisher(c, f, k, root_ca=o.root_ca),
}


def _enabled(name: str, selection: tuple[str, ...]) -> bool:
    if f"-{name}" in selection:
        return False
    return "*" in selection or name in selection


class ControllerManager:
    def __init__(self, client: Client, clock: Clock | None = None,
                 options: ControllerManagerOptions | None = None) -> None:
        self.client = client
        self.clock = clock or client.clock
        self.options = options or ControllerManagerOptions()
        self.informers = InformerFactory(client)
        self.controllers: dict[str, Controller] = {
            name: factory(client, self.informers, self.clock, self.options)
            for name, factory in CONTROLLERS.items() if _enabled(name, self.options.controllers)
        }
        self._started = False

    @classmethod
    def for_apiserver(cls, apiserver: APIServer, clock: Clock | None = None,
                      options: ControllerManagerOptions | None = None) -> ControllerManager:
        """A manager whose client is ``system:kube-controller-manager`` / "controller-manager"."""
        return cls(Client(apiserver, CONTROLLER_MANAGER, COMPONENT), clock, options)

    def start(self, timeout: float = 10.0) -> None:
        if self._started:
            return
        self.informers.start()
        if not self.informers.wait_synced(timeout):
            raise TimeoutError(f"controller-manager: informer caches did not sync within {timeout} s")
        for controller in self.controllers.values():
            controller.start(timeout)
        self._started = True

    def stop(self) -> None:
        for controller in self.controllers.values():
            controller.stop()
        self.informers.stop()
        self._started = False

    def busy(self) -> bool:
        """True while any controller has queued keys or a reconcile running."""
        return any(c.busy() for c in self.controllers.values())

    def __enter__(self) -> ControllerManager:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
