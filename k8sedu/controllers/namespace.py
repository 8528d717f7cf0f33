"""The namespace controller: empty a namespace that is being deleted, then let it go.

``kubectl delete namespace shop`` only marks the Namespace (``deletionTimestamp``, phase
``Terminating``); the apiserver keeps it while ``spec.finalizers`` holds ``kubernetes``. This
controller then, like upstream's ``NamespacedResourcesDeleter``::

    for every namespaced kind the cluster serves:   list what is left in "shop" and delete it
    anything left (Pods still terminating, finalizers)?  → status conditions say what; look again later
    nothing left                                        → remove "kubernetes" from spec.finalizers
                                                          (PUT .../namespaces/shop/finalize)
                                                          → the apiserver deletes the Namespace
"""

from __future__ import annotations

import logging
from typing import Any

from ..api import kinds, meta
from ..client import Client, InformerFactory
from ..clock import Clock, parse_rfc3339
from ..errors import APIError, NotFound
from .base import Controller

__all__ = ["NamespaceController", "FINALIZER_KUBERNETES", "namespaced_resources"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

FINALIZER_KUBERNETES = "kubernetes"
#: how long to wait before looking again when content remains without a better estimate
DEFAULT_RECHECK_SECONDS = 1.0


def namespaced_resources() -> list[str]:
    """Every namespaced resource that can be listed and deleted; Events last, so the Events the
    deletions themselves cause are cleaned up too."""
    out = [k.plural for k in kinds.all_kinds()
           if k.namespaced and "list" in k.verbs and "delete" in k.verbs]
    out.sort(key=lambda r: r == "events")
    return out


def _condition(cond_type: str, status: str, reason: str, message: str, now: str) -> Obj:
    return {"type": cond_type, "status": status, "lastTransitionTime": now, "reason": reason, "message": message}


class NamespaceController(Controller):
    name = "namespace"
    component = "namespace-controller"
    workers = 2  # --concurrent-namespace-syncs is 10 upstream

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.ns_informer = self.informers.informer("namespaces")
        self.ns_informer.add_handler(self.enqueue, lambda old, new: self.enqueue(new))

    def reconcile(self, key: Any) -> None:
        ns = self.ns_informer.get(str(key))
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        if FINALIZER_KUBERNETES not in ((ns.get("spec") or {}).get("finalizers") or []):
            return  # finalized already: the apiserver deletes it when the others are done
        name = ns["metadata"]["name"]
        remaining, finalizers_left, estimate, errors = self._delete_all_content(name)
        self._update_conditions(ns, remaining, finalizers_left, errors)
        if errors:
            raise errors[0]
        if remaining:
            self.queue.add_after(str(key), max(estimate, DEFAULT_RECHECK_SECONDS))
            return
        self._finalize(ns)

    def _delete_all_content(self, namespace: str) -> tuple[dict[str, int], dict[str, int], float, list[APIError]]:
        """Delete everything in *namespace*; what is still there afterwards, by resource and by
        finalizer, and how long the slowest graceful deletion may still take."""
        remaining: dict[str, int] = {}
        finalizers_left: dict[str, int] = {}
        errors: list[APIError] = []
        estimate = 0.0
        now = self.clock.now()
        for resource in namespaced_resources():
            try:
                items = self.client.items(resource, namespace)
            except APIError as err:
                errors.append(err)
                continue
            for obj in items:
                md = obj["metadata"]
                if not md.get("deletionTimestamp"):
                    try:
                        self.client.delete(resource, md["name"], namespace, propagation_policy="Background")
                    except NotFound:
                        continue
                    except APIError as err:
                        errors.append(err)
                        continue
            try:
                left = self.client.items(resource, namespace)
            except APIError as err:
                errors.append(err)
                continue
            if left:
                remaining[resource] = len(left)
            for obj in left:
                md = obj["metadata"]
                for f in md.get("finalizers") or []:
                    finalizers_left[f] = finalizers_left.get(f, 0) + 1
                if resource == "pods" and md.get("deletionTimestamp"):
                    try:
                        estimate = max(estimate, parse_rfc3339(md["deletionTimestamp"]) - now)
                    except ValueError:
                        pass
        return remaining, finalizers_left, estimate, errors

    def _update_conditions(self, ns: Obj, remaining: dict[str, int], finalizers_left: dict[str, int],
                           errors: list[APIError]) -> None:
        """The five conditions ``kubectl describe ns`` shows while a namespace terminates."""
        now = self.clock.timestamp()
        conds = [
            _condition("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered",
                       "All resources successfully discovered", now),
            _condition("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
                       "All legacy kube types successfully parsed", now),
        ]
        if errors:
            conds.append(_condition("NamespaceDeletionContentFailure", "True", "ContentDeletionFailed",
                                    "Failed to delete all resource types, " + f"{len(errors)} remaining: "
                                    + ", ".join(e.message for e in errors), now))
        else:
            conds.append(_condition("NamespaceDeletionContentFailure", "False", "ContentDeleted",
                                    "All content successfully deleted, may be waiting on finalization", now))
        if remaining:
            text = ", ".join(f"{r}.{kinds.for_resource(r).group} has {n} resource instances"
                             for r, n in sorted(remaining.items()))
            conds.append(_condition("NamespaceContentRemaining", "True", "SomeResourcesRemain",
                                    f"Some resources are remaining: {text}", now))
        else:
            conds.append(_condition("NamespaceContentRemaining", "False", "ContentRemoved",
                                    "All content successfully removed", now))
        if finalizers_left:
            text = ", ".join(f"{f} in {n} resource instances" for f, n in sorted(finalizers_left.items()))
            conds.append(_condition("NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
                                    f"Some content in the namespace has finalizers remaining: {text}", now))
        else:
            conds.append(_condition("NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers",
                                    "All content-preserving finalizers finished", now))
        status = meta.deep_copy(ns.get("status") or {})
        old = {c.get("type"): c for c in status.get("conditions") or []}
        changed = False
        for c in conds:
            prev = old.get(c["type"])
            if prev is not None and all(prev.get(k) == c[k] for k in ("status", "reason", "message")):
                continue
            old[c["type"]] = c
            changed = True
        if not changed:
            return
        status["conditions"] = list(old.values())
        obj = meta.deep_copy(ns)
        obj["status"] = status
        try:
            self.client.update_status("namespaces", obj)
        except APIError:
            pass  # conditions are informative; the deletion goes on

    def _finalize(self, ns: Obj) -> None:
        """Remove our finalizer through the ``finalize`` subresource (upstream's ``finalizeNamespace``)."""
        name = ns["metadata"]["name"]
        for _ in range(5):
            try:
                current = self.client.get("namespaces", name)
            except NotFound:
                return
            finalizers = [f for f in (current.get("spec") or {}).get("finalizers") or []
                          if f != FINALIZER_KUBERNETES]
            obj = meta.deep_copy(current)
            obj.setdefault("spec", {})["finalizers"] = finalizers
            try:
                self.client.update("namespaces", obj, subresource="finalize")
                return
            except NotFound:
                return
            except APIError as err:
                if err.code == 409:
                    continue
                raise
