"""The PersistentVolume controller and the DefaultStorageClass admission, against a real apiserver."""

from __future__ import annotations

from typing import Any

import pytest
from test_controllers_support import Harness, wait_for

from k8sedu.api import storage
from k8sedu.controllers import ControllerManagerOptions


def claim(name: str = "data", size: str = "1Gi", modes: tuple[str, ...] = ("ReadWriteOnce",), **spec: Any) -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": list(modes), "resources": {"requests": {"storage": size}}, **spec}}


def volume(name: str, size: str = "1Gi", modes: tuple[str, ...] = ("ReadWriteOnce",), class_name: str = "manual",
           policy: str = "Retain") -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": size}, "accessModes": list(modes), "storageClassName": class_name,
                     "persistentVolumeReclaimPolicy": policy, "hostPath": {"path": f"/tmp/{name}"}}}


@pytest.fixture
def deleted() -> list[str]:
    return []


@pytest.fixture
def h(deleted: list[str]):
    harness = Harness(options=ControllerManagerOptions(volume_deleter=deleted.append)).start()
    yield harness
    harness.stop()


def phase(h: Harness, resource: str, name: str) -> str:
    obj = h.get(resource, name, None if resource == "persistentvolumes" else "default")
    return ((obj or {}).get("status") or {}).get("phase", "") if obj else "<gone>"


def test_the_default_storage_class_is_there_at_start(h):
    sc = h.get("storageclasses", "standard", None)
    assert sc is not None and storage.is_default_class(sc)
    assert sc["provisioner"] == "k8sedu.io/docker-volume"
    assert sc["reclaimPolicy"] == "Delete" and sc["volumeBindingMode"] == "Immediate"


def test_default_storage_class_admission(h):
    assert h.admin.create("persistentvolumeclaims", claim("a"), "default")["spec"]["storageClassName"] == "standard"
    empty = h.admin.create("persistentvolumeclaims", claim("b", storageClassName=""), "default")
    assert empty["spec"]["storageClassName"] == ""  # "" means: no class, static volumes only


def test_static_volume_binding_picks_the_smallest_match(h):
    h.admin.create("persistentvolumes", volume("big", "10Gi"))
    h.admin.create("persistentvolumes", volume("small", "2Gi"))
    h.admin.create("persistentvolumes", volume("tiny", "500Mi"))
    h.admin.create("persistentvolumes", volume("rox", "2Gi", modes=("ReadOnlyMany",)))
    h.admin.create("persistentvolumeclaims", claim(size="1Gi", storageClassName="manual"), "default")
    wait_for(lambda: phase(h, "persistentvolumeclaims", "data") == "Bound", "claim Bound")
    pvc = h.get("persistentvolumeclaims", "data")
    assert pvc["spec"]["volumeName"] == "small"
    assert pvc["status"]["capacity"] == {"storage": "2Gi"}
    assert pvc["status"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"] == "yes"
    pv = wait_for(lambda: phase(h, "persistentvolumes", "small") == "Bound" and h.get("persistentvolumes", "small", None),
                  "volume Bound")
    assert pv["spec"]["claimRef"]["name"] == "data" and pv["spec"]["claimRef"]["uid"] == pvc["metadata"]["uid"]
    for other in ("big", "tiny", "rox"):
        wait_for(lambda other=other: phase(h, "persistentvolumes", other) == "Available", f"{other} Available")
    printed = h.admin.get("persistentvolumeclaims", "data", "default")
    assert printed["status"]["phase"] == "Bound"


def test_released_on_claim_delete_and_retained(h, deleted):
    h.admin.create("persistentvolumes", volume("keep", "1Gi"))
    h.admin.create("persistentvolumeclaims", claim(storageClassName="manual"), "default")
    wait_for(lambda: phase(h, "persistentvolumes", "keep") == "Bound", "volume Bound")
    h.admin.delete("persistentvolumeclaims", "data", "default")
    wait_for(lambda: phase(h, "persistentvolumes", "keep") == "Released", "volume Released")
    # a Released volume is not given to a new claim (its data belongs to the old one)
    h.admin.create("persistentvolumeclaims", claim("again", storageClassName="manual"), "default")
    wait_for(lambda: phase(h, "persistentvolumeclaims", "again") == "Pending", "new claim Pending")
    assert "persistentvolume-binder" in h.manager.controllers
    wait_for(lambda: not h.manager.busy(), "controllers idle")
    assert phase(h, "persistentvolumes", "keep") == "Released"
    assert phase(h, "persistentvolumeclaims", "again") == "Pending"
    assert deleted == []


def test_dynamic_provisioning_and_reclaim_delete(h, deleted):
    pvc = h.admin.create("persistentvolumeclaims", claim(size="1Gi"), "default")
    name = f"pvc-{pvc['metadata']['uid']}"
    wait_for(lambda: phase(h, "persistentvolumeclaims", "data") == "Bound", "claim Bound")
    pv = h.get("persistentvolumes", name, None)
    assert pv is not None
    assert pv["spec"]["csi"] == {"driver": "k8sedu.io/docker-volume", "volumeHandle": name, "fsType": "ext4",
                                 "volumeAttributes": {
                                     "storage.kubernetes.io/csiProvisionerIdentity": "k8sedu.io/docker-volume"}}
    assert pv["spec"]["storageClassName"] == "standard"
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert pv["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "k8sedu.io/docker-volume"
    assert storage.engine_volume(pv) == name
    assert h.get("persistentvolumeclaims", "data")["spec"]["volumeName"] == name
    assert f"Successfully provisioned volume {name}" in h.messages("ProvisioningSucceeded")
    anns = h.get("persistentvolumeclaims", "data")["metadata"]["annotations"]
    assert anns["volume.kubernetes.io/storage-provisioner"] == "k8sedu.io/docker-volume"
    h.admin.delete("persistentvolumeclaims", "data", "default")
    wait_for(lambda: h.get("persistentvolumes", name, None) is None, "volume deleted")
    assert deleted == [name]


def test_unknown_storage_class_stays_pending_with_upstreams_event(h):
    h.admin.create("persistentvolumeclaims", claim(storageClassName="fast"), "default")
    wait_for(lambda: 'storageclass.storage.k8s.io "fast" not found' in h.messages("ProvisioningFailed"),
             "ProvisioningFailed")
    assert phase(h, "persistentvolumeclaims", "data") == "Pending"
    assert h.admin.items("persistentvolumes") == []


def test_a_class_added_later_provisions_the_pending_claim(h):
    h.admin.create("persistentvolumeclaims", claim(storageClassName="fast"), "default")
    wait_for(lambda: h.messages("ProvisioningFailed"), "ProvisioningFailed")
    fast = storage.default_storage_class()
    fast["metadata"] = {"name": "fast"}
    h.admin.create("storageclasses", fast)
    wait_for(lambda: phase(h, "persistentvolumeclaims", "data") == "Bound", "claim Bound")


def test_static_volume_with_delete_policy_and_no_plugin_fails(h, deleted):
    h.admin.create("persistentvolumes", volume("hp", policy="Delete"))
    h.admin.create("persistentvolumeclaims", claim(storageClassName="manual"), "default")
    wait_for(lambda: phase(h, "persistentvolumes", "hp") == "Bound", "volume Bound")
    h.admin.delete("persistentvolumeclaims", "data", "default")
    wait_for(lambda: phase(h, "persistentvolumes", "hp") == "Failed", "volume Failed")
    assert deleted == []


def test_matching_rules():
    pvc = claim(size="1Gi", storageClassName="manual")
    pvc["metadata"].update(namespace="default", uid="u1")
    assert storage.volume_matches(volume("a", "1Gi"), pvc)
    assert not storage.volume_matches(volume("a", "999Mi"), pvc)
    assert not storage.volume_matches(volume("a", class_name="other"), pvc)
    assert not storage.volume_matches(volume("a", modes=("ReadOnlyMany",)), pvc)
    taken = volume("a")
    taken["spec"]["claimRef"] = {"namespace": "default", "name": "other", "uid": "u2"}
    assert not storage.volume_matches(taken, pvc)
    mine = volume("b", "5Gi")
    mine["spec"]["claimRef"] = {"namespace": "default", "name": "data", "uid": "u1"}
    assert storage.find_best_match([volume("a", "1Gi"), mine], pvc) is mine
