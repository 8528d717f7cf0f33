"""The serviceaccount controller: a ``default`` ServiceAccount in every namespace.

Upstream's ``serviceaccount-controller`` watches Namespaces and ServiceAccounts; whenever an active
namespace lacks ``default`` (it was just created, or someone deleted the account) it creates it::

    Namespace "shop" ADDED ──▶ queue "shop" ──▶ no serviceaccounts/default in shop? ──▶ POST it

Since 1.24 no token Secret is made for it (the ``tokens`` controller only fills legacy Secrets of
type ``kubernetes.io/service-account-token``): a Pod gets a short-lived token through the projected
``kube-api-access-xxxxx`` volume the ServiceAccount admission plugin adds (``apiserver/serviceaccount.py``).
"""

from __future__ import annotations

from typing import Any

from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import AlreadyExists, Forbidden, NotFound
from .base import Controller

__all__ = ["ServiceAccountsController", "MANAGED_SERVICE_ACCOUNTS"]

#: upstream's --service-account ... default: the accounts every namespace gets
MANAGED_SERVICE_ACCOUNTS = ("default",)


class ServiceAccountsController(Controller):
    name = "serviceaccount"
    component = "service-account-controller"
    workers = 1

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.namespaces = self.informers.informer("namespaces")
        self.accounts = self.informers.informer("serviceaccounts")
        self.namespaces.add_handler(self.enqueue, lambda old, new: self.enqueue(new))
        self.accounts.add_handler(on_delete=self._account_deleted)

    def _account_deleted(self, sa: dict[str, Any]) -> None:
        md = sa.get("metadata") or {}
        if md.get("name") in MANAGED_SERVICE_ACCOUNTS and md.get("namespace"):
            self.queue.add(md["namespace"])

    def reconcile(self, key: Any) -> None:
        ns = self.namespaces.get(str(key))
        if ns is None or (ns.get("status") or {}).get("phase") != "Active" or ns["metadata"].get("deletionTimestamp"):
            return
        for name in MANAGED_SERVICE_ACCOUNTS:
            if self.accounts.get(f"{key}/{name}") is not None:
                continue
            try:
                self.client.create("serviceaccounts", {
                    "apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": {"name": name, "namespace": str(key)},
                }, namespace=str(key))
            except AlreadyExists:
                pass
            except (Forbidden, NotFound):
                return  # the namespace is going away
