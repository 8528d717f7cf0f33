"""ResourceQuota: the admission plugin (upstream's messages, the CAS charge of status.used), the
controller that recalculates usage, and the quota seen end to end (a Deployment's FailedCreate)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import _waits
import pytest

from k8sedu import Cluster
from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.apiserver.quota import add_quantities, pod_usage, pretty_print
from k8sedu.errors import Forbidden, Invalid, KubectlError

eventually = partial(_waits.eventually, timeout=20.0)


def pod(name: str, cpu: str | None = "500m", limits: dict[str, str] | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if cpu:
        res["requests"] = {"cpu": cpu}
    if limits:
        res["limits"] = limits
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "k8sedu/web:v1", "resources": res}]}}


def quota(name: str, hard: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name}, "spec": {"hard": hard}}


def set_status(api: APIServer, name: str, hard: dict[str, str], used: dict[str, str]) -> None:
    """What the resourcequota controller would write."""
    q = api.get(ADMIN, "resourcequotas", name, "default")
    q["status"] = {"hard": hard, "used": used}
    api.update(ADMIN, "resourcequotas", q, "default", subresource="status")


def test_quantity_arithmetic_and_pretty_print() -> None:
    assert add_quantities("1600m", "500m") == "2100m"
    assert add_quantities("1", "1") == "2"
    assert add_quantities("0", "512Mi") == "512Mi"
    assert add_quantities("1Gi", "512Mi") == "1536Mi"
    assert pretty_print({"requests.cpu": "2000m", "pods": "1"}) == "pods=1,requests.cpu=2"
    usage = pod_usage(pod("p", "250m", {"cpu": "1", "memory": "64Mi"}))
    assert usage == {"cpu": "250m", "requests.cpu": "250m", "limits.cpu": "1", "limits.memory": "64Mi",
                     "pods": "1", "count/pods": "1"}


def test_exceeded_quota_message_and_cas_charge() -> None:
    api = APIServer()
    api.create(ADMIN, "resourcequotas", quota("compute-quota", {"requests.cpu": "2"}), "default")
    set_status(api, "compute-quota", {"requests.cpu": "2"}, {"requests.cpu": "1600m"})
    with pytest.raises(Forbidden) as err:
        api.create(ADMIN, "pods", pod("web-x", "500m"), "default")
    assert err.value.message == (
        'pods "web-x" is forbidden: exceeded quota: compute-quota, requested: requests.cpu=500m, '
        "used: requests.cpu=1600m, limited: requests.cpu=2"
    )
    api.create(ADMIN, "pods", pod("small", "400m"), "default")
    q = api.get(ADMIN, "resourcequotas", "compute-quota", "default")
    assert q["status"]["used"] == {"requests.cpu": "2"}  # admission charged it
    with pytest.raises(Forbidden, match="used: requests.cpu=2, limited: requests.cpu=2"):
        api.create(ADMIN, "pods", pod("one-more", "1m"), "default")


def test_must_specify_and_status_unknown() -> None:
    api = APIServer()
    hard = {"limits.cpu": "2", "limits.memory": "1Gi", "pods": "5"}
    api.create(ADMIN, "resourcequotas", quota("compute-quota", hard), "default")
    # the controller has not filled status yet: upstream's admission looks at status.hard only
    api.create(ADMIN, "pods", pod("early"), "default")
    set_status(api, "compute-quota", hard, {"pods": "0"})
    with pytest.raises(Forbidden) as err:
        api.create(ADMIN, "pods", pod("x"), "default")
    assert err.value.message == (
        'pods "x" is forbidden: failed quota: compute-quota: must specify limits.cpu for: app; '
        "limits.memory for: app"
    )
    with pytest.raises(Forbidden) as err:
        api.create(ADMIN, "pods", pod("y", limits={"cpu": "1", "memory": "64Mi"}), "default")
    assert err.value.message == (
        'pods "y" is forbidden: status unknown for quota: compute-quota, resources: limits.cpu,limits.memory,pods'
    )


def test_object_counts_and_dry_run() -> None:
    api = APIServer()
    api.create(ADMIN, "resourcequotas", quota("objects", {"configmaps": "1", "count/secrets": "1"}), "default")
    set_status(api, "objects", {"configmaps": "1", "count/secrets": "1"}, {"configmaps": "0", "count/secrets": "0"})
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {}}
    api.create(ADMIN, "configmaps", cm, "default", dry_run=True)  # a dry run charges nothing
    api.create(ADMIN, "configmaps", cm, "default")
    with pytest.raises(Forbidden) as err:
        api.create(ADMIN, "configmaps", {**cm, "metadata": {"name": "b"}}, "default")
    assert err.value.message == ('configmaps "b" is forbidden: exceeded quota: objects, requested: configmaps=1, '
                                 "used: configmaps=1, limited: configmaps=1")
    # a Pod is not counted by an object-count quota of other kinds
    api.create(ADMIN, "pods", pod("p"), "default")


def test_quota_validation() -> None:
    api = APIServer()
    with pytest.raises(Invalid) as err:
        api.create(ADMIN, "resourcequotas", quota("bad", {"pods": "-1"}), "default")
    assert str(err.value.message) == (
        'ResourceQuota "bad" is invalid: spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0'
    )
    with pytest.raises(Invalid, match="must be an integer"):
        api.create(ADMIN, "resourcequotas", quota("half", {"pods": "500m"}), "default")


def _quota_synced(c: Cluster, name: str, namespace: str = "default") -> Callable[[], Any]:
    def check() -> Any:
        q = c.get(f"resourcequota/{name}", namespace=namespace)
        return q if (q.get("status") or {}).get("used") is not None else None
    return check


def test_quota_of_two_pods_refuses_the_third_and_replenishes_on_sim() -> None:
    with Cluster(nodes=1, runtime="sim") as c:
        c.apply(quota("pod-quota", {"pods": 2}))
        q = eventually(_quota_synced(c, "pod-quota"), what="quota status")
        assert q["status"] == {"hard": {"pods": "2"}, "used": {"pods": "0"}}
        c.apply([pod("a"), pod("b")])
        with pytest.raises(KubectlError) as err:
            c.apply(pod("c"))
        assert ('pods "c" is forbidden: exceeded quota: pod-quota, requested: pods=1, used: pods=2, '
                "limited: pods=2") in str(err.value)
        assert re.search(r"^pod-quota   \d+s    pods: 2/2 ", c.kubectl("get quota"), re.M)  # any AGE
        c.kubectl("delete pod a --grace-period=0 --force")
        eventually(lambda: c.get("resourcequota/pod-quota")["status"]["used"] == {"pods": "1"},
                   what="usage given back by the controller")
        c.apply(pod("c"))


def test_deployment_over_quota_gets_failed_create_events_on_sim() -> None:
    with Cluster(nodes=2, runtime="sim") as c:
        c.apply(quota("compute-quota", {"requests.cpu": "1"}))
        eventually(_quota_synced(c, "compute-quota"), what="quota status")
        c.apply({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": "k8sedu/web:v1",
                                                           "resources": {"requests": {"cpu": "400m"}}}]}}},
        })

        def failed_create() -> list[dict[str, Any]]:
            return [e for e in c.events() if e.get("reason") == "FailedCreate"]

        events = eventually(failed_create, what="FailedCreate event")
        assert events[0]["involvedObject"]["kind"] == "ReplicaSet"
        assert "is forbidden: exceeded quota: compute-quota, requested: requests.cpu=400m, " \
               "used: requests.cpu=800m, limited: requests.cpu=1" in events[0]["message"]
        assert events[0]["message"].startswith("Error creating: pods \"web-")
        assert len(c.get("pods", selector="app=web")) == 2
