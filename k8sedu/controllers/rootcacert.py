"""The root-ca-cert-publisher controller: the ConfigMap ``kube-root-ca.crt`` in every namespace.

A Pod that talks to the apiserver (``https://kubernetes.default.svc``) must check its certificate,
so it needs the cluster's CA. Upstream's kube-controller-manager (``--root-ca-file``) publishes it
in each namespace, and the ``kube-api-access-*`` volume projects it as
``/var/run/secrets/kubernetes.io/serviceaccount/ca.crt``::

    Namespace "shop" ADDED ──▶ queue "shop" ──▶ no kube-root-ca.crt in shop? ──▶ POST it
    ConfigMap kube-root-ca.crt changed or deleted ──▶ queue its namespace ──▶ PUT / POST it back

Without a CA (the cluster was started where ``openssl`` is missing) the controller publishes nothing.
"""

from __future__ import annotations

from typing import Any

from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import AlreadyExists, Conflict, Forbidden, NotFound
from .base import Controller

__all__ = ["RootCACertPublisher", "ROOT_CA_CONFIGMAP", "DESCRIPTION_ANNOTATION", "DESCRIPTION"]

ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
DESCRIPTION_ANNOTATION = "kubernetes.io/description"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
               "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
               "guaranteed across distributions of Kubernetes clusters.")


class RootCACertPublisher(Controller):
    name = "root-ca-cert-publisher"
    component = "root-ca-cert-publisher"
    workers = 1

    def __init__(self, client: Client, informers: InformerFactory | None = None, clock: Clock | None = None,
                 root_ca: bytes | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.root_ca = root_ca.decode() if root_ca else None
        self.namespaces = self.informers.informer("namespaces")
        self.configmaps = self.informers.informer("configmaps")
        if self.root_ca is None:
            return
        self.namespaces.add_handler(self.enqueue, lambda old, new: self.enqueue(new))
        self.configmaps.add_handler(on_update=lambda old, new: self._configmap_changed(new),
                                    on_delete=self._configmap_changed)

    def _configmap_changed(self, cm: dict[str, Any]) -> None:
        md = cm.get("metadata") or {}
        if md.get("name") == ROOT_CA_CONFIGMAP and md.get("namespace"):
            self.queue.add(md["namespace"])

    def reconcile(self, key: Any) -> None:
        ns = self.namespaces.get(str(key))
        if self.root_ca is None or ns is None or (ns.get("status") or {}).get("phase") == "Terminating" \
                or ns["metadata"].get("deletionTimestamp"):
            return
        data = {"ca.crt": self.root_ca}
        cm = self.configmaps.get(f"{key}/{ROOT_CA_CONFIGMAP}")
        try:
            if cm is None:
                self.client.create("configmaps", {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": ROOT_CA_CONFIGMAP, "namespace": str(key),
                                 "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION}},
                    "data": data,
                }, namespace=str(key))
                return
            annotations = (cm["metadata"].get("annotations") or {})
            if cm.get("data") == data and not cm.get("binaryData") and \
                    annotations.get(DESCRIPTION_ANNOTATION) == DESCRIPTION:
                return
            updated = {**cm, "data": data, "metadata": {**cm["metadata"], "annotations": {
                **annotations, DESCRIPTION_ANNOTATION: DESCRIPTION}}}
            updated.pop("binaryData", None)
            self.client.update("configmaps", updated, namespace=str(key))
        except (AlreadyExists, Conflict):
            self.queue.add_rate_limited(str(key))  # the cache was behind: look again
        except (Forbidden, NotFound):
            return  # the namespace is going away
