"""LimitRange: defaulting of the object, container defaults applied by the LimitRanger admission
plugin (with its annotation), and upstream's min/max/ratio messages."""

from __future__ import annotations

from typing import Any

import pytest

from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.apiserver.limitrange import default_limit_range, validate_pod
from k8sedu.errors import Forbidden, Invalid


def limit_range(name: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": name}, "spec": {"limits": list(items)}}


def pod(name: str, resources: dict[str, Any] | None = None, containers: int = 1) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": f"c{i}" if i else "app", "image": "k8sedu/web:v1",
                                     "resources": dict(resources or {})} for i in range(containers)]}}


def test_limit_range_object_defaults() -> None:
    lr = limit_range("x", {"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "32Mi"}})
    default_limit_range(lr)
    item = lr["spec"]["limits"][0]
    assert item["default"] == {"cpu": "1"}
    assert item["defaultRequest"] == {"cpu": "1", "memory": "32Mi"}


def test_defaults_applied_with_annotation() -> None:
    api = APIServer()
    api.create(ADMIN, "limitranges", limit_range("defaults", {
        "type": "Container", "default": {"cpu": "500m", "memory": "128Mi"},
        "defaultRequest": {"cpu": "100m", "memory": "64Mi"}}), "default")
    out = api.create(ADMIN, "pods", pod("p"), "default")
    res = out["spec"]["containers"][0]["resources"]
    assert res == {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}}
    assert out["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app"
    )
    assert out["status"]["qosClass"] == "Burstable"
    # a container that sets its own limit keeps it, and its request follows that limit
    out = api.create(ADMIN, "pods", pod("q", {"limits": {"cpu": "200m"}}), "default")
    res = out["spec"]["containers"][0]["resources"]
    assert res["limits"] == {"cpu": "200m", "memory": "128Mi"}
    assert res["requests"] == {"cpu": "200m", "memory": "64Mi"}


def test_max_and_min_messages() -> None:
    api = APIServer()
    api.create(ADMIN, "limitranges", limit_range("bounds", {
        "type": "Container", "max": {"cpu": "1"}, "min": {"cpu": "100m"}}), "default")
    with pytest.raises(Forbidden) as err:
        api.create(ADMIN, "pods", pod("big", {"limits": {"cpu": "2"}}), "default")
    assert err.value.message == 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
    with pytest.raises(Forbidden) as err:
        api.create(ADMIN, "pods", pod("tiny", {"requests": {"cpu": "50m"}, "limits": {"cpu": "500m"}}), "default")
    assert err.value.message == 'pods "tiny" is forbidden: minimum cpu usage per Container is 100m, but request is 50m'
    # the default limit is the max, and the default request the default limit (not the min), as upstream
    out = api.create(ADMIN, "pods", pod("plain"), "default")
    assert out["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}


def test_pod_type_and_ratio_and_aggregate() -> None:
    lrs = [limit_range("pod", {"type": "Pod", "max": {"cpu": "1"}},
                       {"type": "Container", "maxLimitRequestRatio": {"cpu": "2"}})]
    p = pod("two", {"requests": {"cpu": "200m"}, "limits": {"cpu": "600m"}}, containers=2)
    assert validate_pod(p, lrs) == [  # in the order of the LimitRange's items
        "maximum cpu usage per Pod is 1, but limit is 1200m",
        "cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000",
    ]
    api = APIServer()
    api.create(ADMIN, "limitranges", lrs[0], "default")
    with pytest.raises(Forbidden) as err:
        api.create(ADMIN, "pods", p, "default")
    assert err.value.message == (
        'pods "two" is forbidden: [maximum cpu usage per Pod is 1, but limit is 1200m, '
        "cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000]"
    )


def test_limit_range_validation() -> None:
    api = APIServer()
    with pytest.raises(Invalid) as err:
        api.create(ADMIN, "limitranges", limit_range("bad", {
            "type": "Container", "min": {"cpu": "400m"}, "defaultRequest": {"cpu": "200m"},
            "default": {"cpu": "500m"}}), "default")
    assert err.value.message == (
        'LimitRange "bad" is invalid: spec.limits[0].defaultRequest[cpu]: Invalid value: "200m": '
        "min value 400m is greater than default request value 200m"
    )
    with pytest.raises(Invalid, match=r"spec.limits\[0\].default: Forbidden: may not be specified when `type` is 'Pod'"):
        api.create(ADMIN, "limitranges", limit_range("pod", {"type": "Pod", "default": {"cpu": "1"}}), "default")
