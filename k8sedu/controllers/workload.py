"""What the DaemonSet, StatefulSet and Job controllers share with the ReplicaSet controller: Pod
event handlers that find the Pod's controller and wake it, and expectations of their own writes.

Every Pod event is routed by the Pod's controller reference (``ownerReferences[controller=true]``)::

    Pod ADDED    owner = Job "pi"         → creation observed for "default/pi", enqueue it
    Pod UPDATED  (labels or owner change) → enqueue the old and the new owner
    Pod DELETED  / deletionTimestamp set  → deletion observed, enqueue the owner
    an orphan Pod                         → enqueue every owner whose selector matches (adoption)
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..api import meta
from ..api.selectors import from_label_selector
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import APIError, Forbidden
from .base import Controller
from .expectations import ControllerExpectations

__all__ = ["PodOwnerController", "namespace_terminating", "set_count"]

Obj = dict[str, Any]


def namespace_terminating(err: APIError) -> bool:
    """The NamespaceLifecycle refusal: every create in the namespace will fail the same way."""
    return isinstance(err, Forbidden) and "because it is being terminated" in err.message


def set_count(status: Obj, field: str, value: int) -> None:
    """Status counters are ``omitempty`` upstream: a zero is left out of the JSON."""
    if value:
        status[field] = value
    else:
        status.pop(field, None)


class PodOwnerController(Controller):
    """A controller of Pods: subclasses set ``owner_kind``/``owner_resource``/``owner_api_version``
    and implement :meth:`reconcile`."""

    owner_kind: ClassVar[str] = ""
    owner_resource: ClassVar[str] = ""
    owner_api_version: ClassVar[str] = ""

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.expectations = ControllerExpectations(self.clock)
        self.owner_informer = self.informers.informer(self.owner_resource)
        self.pod_informer = self.informers.informer("pods")
        self.owner_informer.add_handler(self._add_owner, self._update_owner, self._delete_owner)
        self.pod_informer.add_handler(self._add_pod, self._update_pod, self._delete_pod)

    # -- owners ---------------------------------------------------------------------------------
    def _add_owner(self, obj: Obj) -> None:
        self.enqueue(obj)

    def _update_owner(self, old: Obj, cur: Obj) -> None:
        if old["metadata"].get("uid") != cur["metadata"].get("uid"):
            self._delete_owner(old)
        self.enqueue(cur)

    def _delete_owner(self, obj: Obj) -> None:
        key = meta.key(obj)
        self.expectations.delete(key)
        self.queue.add(key)

    def resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        if ref is None or ref.get("kind") != self.owner_kind:
            return None
        owner = self.owner_informer.get(f"{namespace}/{ref.get('name')}")
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        return owner

    def owners_matching(self, pod: Obj) -> list[Obj]:
        ns = pod["metadata"].get("namespace")
        labels = pod["metadata"].get("labels") or {}
        out = []
        for owner in self.owner_informer.list():
            if owner["metadata"].get("namespace") != ns:
                continue
            try:
                selector = from_label_selector((owner.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if not selector.empty and selector.matches(labels):
                out.append(owner)
        return out

    def owned_pods(self, owner: Obj) -> list[Obj]:
        """Pods in the owner's namespace whose controller is *owner* (from the cache; do not mutate)."""
        ns = owner["metadata"].get("namespace")
        uid = owner["metadata"].get("uid")
        return [p for p in self.pod_informer.list() if p["metadata"].get("namespace") == ns
                and (meta.controller_ref(p) or {}).get("uid") == uid]

    def controller_ref(self, owner: Obj) -> Obj:
        return meta.make_controller_ref(owner, self.owner_kind, self.owner_api_version)

    # -- pods -----------------------------------------------------------------------------------
    def _add_pod(self, pod: Obj) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod)
            return
        ref = meta.controller_ref(pod)
        if ref is not None:
            owner = self.resolve(pod["metadata"].get("namespace", ""), ref)
            if owner is None:
                return
            key = meta.key(owner)
            self.expectations.creation_observed(key)
            self.queue.add(key)
            return
        for owner in self.owners_matching(pod):
            self.enqueue(owner)

    def _update_pod(self, old: Obj, cur: Obj) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        if cur["metadata"].get("deletionTimestamp") and not old["metadata"].get("deletionTimestamp"):
            self._delete_pod(cur)
            return
        ns = cur["metadata"].get("namespace", "")
        cur_ref, old_ref = meta.controller_ref(cur), meta.controller_ref(old)
        if cur_ref != old_ref and old_ref is not None:
            owner = self.resolve(ns, old_ref)
            if owner is not None:
                self.enqueue(owner)
        if cur_ref is not None:
            owner = self.resolve(ns, cur_ref)
            if owner is not None:
                self.enqueue(owner)
                self.pod_changed(owner, old, cur)
            return
        if old["metadata"].get("labels") != cur["metadata"].get("labels") or cur_ref != old_ref:
            for owner in self.owners_matching(cur):
                self.enqueue(owner)

    def pod_changed(self, owner: Obj, old: Obj, cur: Obj) -> None:
        """Hook: a Pod of *owner* changed (e.g. to enqueue again after minReadySeconds)."""

    def _delete_pod(self, pod: Obj) -> None:
        owner = self.resolve(pod["metadata"].get("namespace", ""), meta.controller_ref(pod))
        if owner is None:
            return
        key = meta.key(owner)
        self.expectations.deletion_observed(key, meta.key(pod))
        self.queue.add(key)

    # -- writing ----------------------------------------------------------------------------------
    def write_status(self, owner: Obj, status: Obj) -> Obj:
        """Write *status* (with observedGeneration where the kind has one) unless unchanged."""
        if status == (owner.get("status") or {}):
            return owner
        obj = meta.deep_copy(owner)
        obj["status"] = status
        try:
            return self.client.update_status(self.owner_resource, obj)
        except APIError:
            fresh = self.client.get(self.owner_resource, owner["metadata"]["name"],
                                    owner["metadata"].get("namespace"))
            if fresh["metadata"].get("uid") != owner["metadata"].get("uid"):
                return fresh
            fresh["status"] = status
            return self.client.update_status(self.owner_resource, fresh)
