"""ServiceAccounts: the controller gives every namespace a ``default`` account, the admission plugin
gives every Pod the ``kube-api-access-xxxxx`` projected token volume, and the kubelet writes it."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from _waits import eventually

from k8sedu import Cluster
from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.apiserver.serviceaccount import MOUNT_PATH, token_volume_source
from k8sedu.errors import Forbidden

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]


def pod(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": "k8sedu/busybox", "command": ["sleep", "3600"]}],
                     "terminationGracePeriodSeconds": 0, **spec}}


def sa(name: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}, **extra}


def test_admission_mounts_the_token_volume() -> None:
    api = APIServer()
    # no default account yet (no controller-manager): the Pod is let in without a token volume
    bare = api.create(ADMIN, "pods", pod("bare"), "default")
    assert bare["spec"]["serviceAccountName"] == "default"
    assert not bare["spec"].get("volumes")
    api.create(ADMIN, "serviceaccounts", sa("default"), "default")
    out = api.create(ADMIN, "pods", pod("p"), "default")
    vols = out["spec"]["volumes"]
    assert len(vols) == 1 and re.fullmatch(r"kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}", vols[0]["name"])
    assert vols[0]["projected"] == token_volume_source()
    assert out["spec"]["containers"][0]["volumeMounts"] == [
        {"name": vols[0]["name"], "readOnly": True, "mountPath": MOUNT_PATH}]


def test_automount_opt_out_and_missing_account() -> None:
    api = APIServer()
    api.create(ADMIN, "serviceaccounts", sa("default"), "default")
    api.create(ADMIN, "serviceaccounts", sa("robot", automountServiceAccountToken=False), "default")
    out = api.create(ADMIN, "pods", pod("a", serviceAccountName="robot"), "default")
    assert not out["spec"].get("volumes")
    out = api.create(ADMIN, "pods", pod("b", automountServiceAccountToken=False), "default")
    assert not out["spec"].get("volumes")
    out = api.create(ADMIN, "pods", pod("c", serviceAccountName="robot", automountServiceAccountToken=True), "default")
    assert out["spec"]["volumes"][0]["name"].startswith("kube-api-access-")
    with pytest.raises(Forbidden) as err:
        api.create(ADMIN, "pods", pod("d", serviceAccountName="ghost"), "default")
    assert err.value.message == ('pods "d" is forbidden: error looking up service account default/ghost: '
                                 'serviceaccount "ghost" not found')


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_default_account_per_namespace_and_token_files(runtime: str) -> None:
    with Cluster(nodes=1, runtime=runtime) as c:
        c.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
        eventually(lambda: c.get("serviceaccount/default", namespace="shop"), what="default ServiceAccount in shop",
                   ignore=Exception)
        c.delete("serviceaccount/default", namespace="shop")
        eventually(lambda: c.get("serviceaccount/default", namespace="shop"), what="default recreated",
                   ignore=Exception)
        assert "default" in c.kubectl("get sa -n shop")
        c.apply(pod("app"), namespace="shop")
        c.wait("pod/app", "Ready", timeout=60, namespace="shop")
        p = c.get("pod/app", namespace="shop")
        assert p["spec"]["volumes"][0]["name"].startswith("kube-api-access-")
        ns = c.kubectl(f"exec app -n shop -- cat {MOUNT_PATH}/namespace")
        assert ns.strip() == "shop"
        token = c.kubectl(f"exec app -n shop -- cat {MOUNT_PATH}/token").strip()
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert claims["sub"] == "system:serviceaccount:shop:default"
        assert claims["kubernetes.io"]["pod"]["name"] == "app"
