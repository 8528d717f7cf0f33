"""The controller-manager: which controllers it runs, as whom, and its public surface."""

from __future__ import annotations

from test_controllers_support import Harness, deployment, wait_for

import k8sedu.controllers as controllers
from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.controllers import ControllerManager, ControllerManagerOptions


def test_manager_runs_the_upstream_controllers_as_the_controller_manager_user():
    h = Harness().start()
    try:
        assert {"replicaset", "deployment", "garbagecollector", "namespace", "nodelifecycle"} <= set(h.manager.controllers)
        assert h.manager.client.user.name == "system:kube-controller-manager"
        assert h.manager.client.component == "controller-manager"
        # one informer per resource, shared by all controllers
        assert h.manager.controllers["replicaset"].pod_informer is h.manager.controllers["deployment"].pod_informer
        h.admin.create("deployments", deployment(replicas=1), "default")
        wait_for(lambda: len(h.pods()) == 1, "a pod")
        sources = {e.src for e in h.server.flow.events() if e.action.startswith("POST") and "/pods" in e.action}
        assert sources == {"controller-manager"}
    finally:
        h.stop()


def test_controllers_can_be_selected_like_the_controllers_flag():
    server = APIServer()
    manager = ControllerManager.for_apiserver(server, options=ControllerManagerOptions(
        controllers=("*", "-nodelifecycle", "-taint-eviction-controller")))
    assert "nodelifecycle" not in manager.controllers and "replicaset" in manager.controllers
    only = ControllerManager.for_apiserver(server, options=ControllerManagerOptions(controllers=("deployment",)))
    assert list(only.controllers) == ["deployment"]
    admin = Client(server, ADMIN, "kubectl")
    with only:
        admin.create("deployments", deployment(replicas=2), "default")
        wait_for(lambda: admin.items("replicasets", "default"), "a ReplicaSet from the deployment controller")
        wait_for(lambda: not only.busy(), "the manager to be idle")
        assert admin.items("pods", "default") == []  # no ReplicaSet controller: no Pods


def test_public_surface():
    assert set(controllers.__all__) == {
        "Controller", "ControllerExpectations", "ControllerManager", "ControllerManagerOptions", "CONTROLLERS",
        "DeploymentController", "GarbageCollector", "NamespaceController", "NodeLifecycleController",
        "ReplicaSetController", "TaintEvictionController",
    }
    for name in controllers.__all__:
        assert getattr(controllers, name) is not None
