"""Defaults and validation of PVCs, PVs and StorageClasses, in kubectl's words."""

from __future__ import annotations

import pytest

from k8sedu.apiserver import ADMIN, APIServer
from k8sedu.client import Client
from k8sedu.errors import Invalid


@pytest.fixture
def admin() -> Client:
    return Client(APIServer(), ADMIN, "kubectl")


def test_claim_without_access_modes_or_size(admin):
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": {}}
    with pytest.raises(Invalid) as err:
        admin.create("persistentvolumeclaims", pvc, "default")
    assert str(err.value) == (
        'The PersistentVolumeClaim "data" is invalid: \n'
        "* spec.accessModes: Required value: at least 1 access mode is required\n"
        "* spec.resources[storage]: Required value")


def test_claim_with_an_unsupported_access_mode(admin):
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
           "spec": {"accessModes": ["ReadWriteSometimes"], "resources": {"requests": {"storage": "1Gi"}}}}
    with pytest.raises(Invalid) as err:
        admin.create("persistentvolumeclaims", pvc, "default")
    assert ('spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", '
            '"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"') in str(err.value)


def test_claim_spec_is_immutable_but_binding_may_fill_volume_name(admin):
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    created = admin.create("persistentvolumeclaims", pvc, "default")
    created["spec"]["volumeName"] = "pv-1"
    bound = admin.update("persistentvolumeclaims", created, "default")
    bound["spec"]["accessModes"] = ["ReadWriteMany"]
    with pytest.raises(Invalid) as err:
        admin.update("persistentvolumeclaims", bound, "default")
    assert "spec: Forbidden: spec is immutable after creation" in str(err.value)


def test_volume_defaults_and_required_source(admin):
    pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-1"},
          "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]}}
    with pytest.raises(Invalid) as err:
        admin.create("persistentvolumes", pv)
    assert "spec: Required value: must specify a volume type" in str(err.value)
    pv["spec"]["hostPath"] = {"path": "/tmp/pv-1"}
    created = admin.create("persistentvolumes", pv)
    assert created["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert created["spec"]["volumeMode"] == "Filesystem"


def test_storage_class_defaults_and_bad_policy(admin):
    sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "fast"},
          "provisioner": "k8sedu.io/docker-volume"}
    created = admin.create("storageclasses", sc)
    assert created["reclaimPolicy"] == "Delete" and created["volumeBindingMode"] == "Immediate"
    bad = dict(sc, metadata={"name": "slow"}, reclaimPolicy="Keep")
    with pytest.raises(Invalid) as err:
        admin.create("storageclasses", bad)
    assert ('reclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"'
            in str(err.value))
