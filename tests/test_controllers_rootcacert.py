"""The root-ca-cert-publisher: ConfigMap ``kube-root-ca.crt`` in every namespace, put back when
someone deletes or edits it; nothing without a CA."""

from __future__ import annotations

from test_controllers_support import Harness, wait_for

from k8sedu.controllers import ControllerManagerOptions
from k8sedu.controllers.rootcacert import DESCRIPTION, DESCRIPTION_ANNOTATION, ROOT_CA_CONFIGMAP

CA = b"-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def _ca(h: Harness, namespace: str) -> str | None:
    cm = h.get("configmaps", ROOT_CA_CONFIGMAP, namespace)
    return None if cm is None else (cm.get("data") or {}).get("ca.crt")


def test_published_in_every_namespace_and_kept() -> None:
    h = Harness(options=ControllerManagerOptions(root_ca=CA)).start()
    try:
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            wait_for(lambda ns=ns: _ca(h, ns) == CA.decode(), f"kube-root-ca.crt in {ns}")
        cm = h.get("configmaps", ROOT_CA_CONFIGMAP, "default")
        assert cm is not None and cm["metadata"]["annotations"][DESCRIPTION_ANNOTATION] == DESCRIPTION
        h.admin.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
        wait_for(lambda: _ca(h, "shop") == CA.decode(), "kube-root-ca.crt in a new namespace")
        h.admin.delete("configmaps", ROOT_CA_CONFIGMAP, "shop")
        wait_for(lambda: _ca(h, "shop") == CA.decode(), "kube-root-ca.crt recreated")
        edited = h.get("configmaps", ROOT_CA_CONFIGMAP, "shop")
        assert edited is not None
        edited["data"] = {"ca.crt": "tampered", "extra": "x"}
        h.admin.update("configmaps", edited, "shop")
        wait_for(lambda: (h.get("configmaps", ROOT_CA_CONFIGMAP, "shop") or {}).get("data") == {"ca.crt": CA.decode()},
                 "kube-root-ca.crt restored")
    finally:
        h.stop()


def test_nothing_published_without_a_ca() -> None:
    h = Harness(options=ControllerManagerOptions(root_ca=None)).start()
    try:
        h.admin.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
        publisher = h.manager.controllers["root-ca-cert-publisher"]
        wait_for(lambda: not h.manager.busy(), "the manager to be idle")
        assert not publisher.busy()
        assert h.get("configmaps", ROOT_CA_CONFIGMAP, "shop") is None
        assert h.get("configmaps", ROOT_CA_CONFIGMAP, "default") is None
    finally:
        h.stop()
