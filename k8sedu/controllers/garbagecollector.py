"""The garbage collector: delete what lost its owners, and carry out cascading deletion.

Ownership lives in the dependents (``metadata.ownerReferences``, matched by **uid**, not name).
The collector watches every kind that can be listed, watched and deleted, keeps an index
"owner uid → dependents", and acts on the three propagation policies of a delete::

    kubectl delete deploy web                        (Background, the default)
        Deployment gone at once ─▶ its ReplicaSet has no owner left ─▶ deleted ─▶ its Pods too

    kubectl delete deploy web --cascade=foreground   (Foreground)
        Deployment: deletionTimestamp + finalizer foregroundDeletion, still visible
        ─▶ dependents deleted (a ReplicaSet with Pods itself in Foreground)
        ─▶ when no dependent with blockOwnerDeletion is left: finalizer removed ─▶ Deployment gone

    kubectl delete deploy web --cascade=orphan       (Orphan)
        Deployment: finalizer orphan ─▶ its ownerReference is removed from each dependent
        ─▶ finalizer removed ─▶ Deployment gone; the ReplicaSet and Pods keep running

A dependent with several owners is deleted only when *all* of them are gone; dangling references
to missing owners are just removed while one owner remains (upstream's ``attemptToDeleteItem``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from ..api import kinds
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import APIError, Conflict, NotFound
from .base import Controller
from .refmanager import remove_owner_reference, update_with_retries

__all__ = ["GarbageCollector", "monitored_resources", "IGNORED_RESOURCES", "ORPHAN", "FOREGROUND"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Ident = tuple[str, str, str]  # (resource, namespace or "", name): the work-queue key

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"

#: (group, resource) the collector never watches (upstream ignores events the same way)
IGNORED_RESOURCES: set[tuple[str, str]] = {("", "events"), ("events.k8s.io", "events")}
_NEEDED_VERBS = ("list", "watch", "delete")


def monitored_resources() -> list[str]:
    """Every registered resource the collector watches: listable, watchable, deletable and not
    ignored. A kind registered later (``api.kinds.register``) is watched by the next collector."""
    return [k.plural for k in kinds.all_kinds()
            if all(v in k.verbs for v in _NEEDED_VERBS) and (k.group, k.plural) not in IGNORED_RESOURCES]


def _refs(obj: Obj | None) -> list[Obj]:
    return list(((obj or {}).get("metadata") or {}).get("ownerReferences") or [])


def _deleting_with(obj: Obj | None, finalizer: str) -> bool:
    md = (obj or {}).get("metadata") or {}
    return bool(md.get("deletionTimestamp")) and finalizer in (md.get("finalizers") or [])


class GarbageCollector(Controller):
    name = "garbagecollector"
    component = "garbage-collector-controller"
    workers = 4  # upstream: --concurrent-gc-syncs=20

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None,
                 resources: Iterable[str] | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.resources = list(resources) if resources is not None else monitored_resources()
        # _index_lock guards _by_uid and _dependents (the "graph"); handlers keep them current,
        # the way client-go indexers are kept by the informer. Never held while calling out.
        self._index_lock = threading.Lock()
        self._by_uid: dict[str, Ident] = {}
        self._dependents: dict[str, set[Ident]] = {}
        self._caches = {}
        for resource in self.resources:
            informer = self.informers.informer(resource)
            self._caches[resource] = informer
            informer.add_handler(
                on_add=lambda obj, r=resource: self._on_change(r, None, obj),
                on_update=lambda old, new, r=resource: self._on_change(r, old, new),
                on_delete=lambda obj, r=resource: self._on_delete(r, obj),
            )

    # -- the index and the handlers -----------------------------------------------------------
    @staticmethod
    def _ident(resource: str, obj: Obj) -> Ident:
        md = obj.get("metadata") or {}
        return (resource, md.get("namespace") or "", md.get("name", ""))

    def _get(self, ident: Ident) -> Obj | None:
        resource, ns, name = ident
        cache = self._caches.get(resource)
        if cache is None:
            return None
        return cache.get(f"{ns}/{name}" if ns else name)

    def _on_change(self, resource: str, old: Obj | None, new: Obj) -> None:
        ident = self._ident(resource, new)
        uid = new["metadata"].get("uid", "")
        owners: list[Ident | None] = []
        with self._index_lock:
            if old is not None:
                for ref in _refs(old):
                    self._dependents.get(ref.get("uid", ""), set()).discard(ident)
            self._by_uid[uid] = ident
            for ref in _refs(new):
                self._dependents.setdefault(ref.get("uid", ""), set()).add(ident)
            for ref in _refs(new) + _refs(old):
                owners.append(self._by_uid.get(ref.get("uid", "")))
        if _deleting_with(new, ORPHAN) or _deleting_with(new, FOREGROUND):
            self.queue.add(ident)  # waiting for us: orphan, or delete, its dependents
        for ref, owner_ident in zip(_refs(new) + _refs(old), owners, strict=True):
            if owner_ident is None:
                if ref in _refs(new):
                    self.queue.add(ident)  # an owner we have never seen: is it there at all?
                continue
            owner = self._get(owner_ident)
            if owner is not None and owner["metadata"].get("deletionTimestamp"):
                self.queue.add(owner_ident)  # its dependents changed while it is being deleted
                self.queue.add(ident)

    def _on_delete(self, resource: str, obj: Obj) -> None:
        ident = self._ident(resource, obj)
        uid = obj["metadata"].get("uid", "")
        with self._index_lock:
            if self._by_uid.get(uid) == ident:
                del self._by_uid[uid]
            for ref in _refs(obj):
                self._dependents.get(ref.get("uid", ""), set()).discard(ident)
            dependents = list(self._dependents.get(uid, ()))
            owners = [self._by_uid.get(ref.get("uid", "")) for ref in _refs(obj)]
        for dep in dependents:
            self.queue.add(dep)  # their owner is gone: collect them (if it was their last)
        for owner_ident in owners:
            if owner_ident is not None:
                self.queue.add(owner_ident)  # a foreground deletion may be waiting for this one

    def dependents_of(self, uid: str) -> list[Obj]:
        """The cached objects whose ownerReferences name *uid*."""
        with self._index_lock:
            idents = list(self._dependents.get(uid, ()))
        out = []
        for ident in idents:
            obj = self._get(ident)
            if obj is not None and any(r.get("uid") == uid for r in _refs(obj)):
                out.append(obj)
        return out

    # -- reconcile --------------------------------------------------------------------------------
    def reconcile(self, key: Any) -> None:
        ident: Ident = (str(key[0]), str(key[1]), str(key[2]))
        obj = self._get(ident)
        if obj is None:
            return  # already gone; its dependents were queued when it went
        md = obj["metadata"]
        if md.get("deletionTimestamp"):
            if _deleting_with(obj, ORPHAN):
                self._orphan_dependents(ident, obj)
            elif _deleting_with(obj, FOREGROUND):
                self._process_deleting_dependents(ident, obj)
            return  # being deleted and not waiting for us: nothing to do
        if not _refs(obj):
            return
        # Judge the object as it is now, not as the cache last saw it (upstream's attemptToDeleteItem
        # reads it live too): an orphaning owner may have just removed its reference, and the
        # cache may not have heard yet while the owner itself is already gone.
        kind = kinds.for_resource(ident[0])
        live = self.client.get_or_none(ident[0], ident[2], ident[1] or None if kind.namespaced else None)
        if live is None or live["metadata"].get("uid") != md.get("uid"):
            return
        obj, md = live, live["metadata"]
        refs = _refs(obj)
        if not refs or md.get("deletionTimestamp"):
            return
        solid, dangling, waiting = self._classify(obj, refs)
        if solid:
            if not dangling and not waiting:
                return
            # keep the object, drop the references to owners that are gone or going
            drop = {str(r.get("uid", "")) for r in dangling + waiting}

            def remove(o: Obj) -> bool:
                changed = False
                for owner_uid in drop:
                    changed = remove_owner_reference(o, owner_uid) or changed
                return changed

            update_with_retries(self.client, ident[0], md.get("namespace"), md["name"], remove, uid=md.get("uid"))
            return
        if waiting and self.dependents_of(md.get("uid", "")):
            # an owner is deleted in the foreground and this object has dependents of its own:
            # delete it in the foreground too, so the owner waits for the whole tree
            self._delete(ident, obj, "Foreground")
            return
        finalizers = md.get("finalizers") or []
        policy = "Orphan" if ORPHAN in finalizers else "Foreground" if FOREGROUND in finalizers else "Background"
        self._delete(ident, obj, policy)

    def _classify(self, obj: Obj, refs: list[Obj]) -> tuple[list[Obj], list[Obj], list[Obj]]:
        """``(solid, dangling, waitingForDependentsDeletion)`` owner references."""
        solid, dangling, waiting = [], [], []
        for ref in refs:
            owner, known = self._lookup_owner(obj, ref)
            if not known:
                solid.append(ref)  # a kind we cannot look up: never delete on a guess
            elif owner is None:
                dangling.append(ref)
            elif _deleting_with(owner, FOREGROUND):
                waiting.append(ref)
            else:
                solid.append(ref)
        return solid, dangling, waiting

    def _lookup_owner(self, obj: Obj, ref: Obj) -> tuple[Obj | None, bool]:
        """The owner named by *ref*, or None if absent; False when its kind is unknown.

        The caches answer first; an owner they do not hold is looked up in the apiserver (an
        owner created a moment ago may not have reached our informer yet), as upstream's
        ``isDangling`` does.
        """
        uid = ref.get("uid", "")
        with self._index_lock:
            ident = self._by_uid.get(uid)
        if ident is not None:
            cached = self._get(ident)
            if cached is not None and cached["metadata"].get("uid") == uid:
                return cached, True
        group = str(ref.get("apiVersion", "")).rpartition("/")[0]
        try:
            kind = kinds.for_kind(str(ref.get("kind", "")), group)
        except KeyError:
            log.warning("garbage collector: unknown owner kind %s/%s", ref.get("apiVersion"), ref.get("kind"))
            return None, False
        ns = obj["metadata"].get("namespace") if kind.namespaced else None
        if kind.namespaced and not ns:
            return None, True  # a cluster-scoped object cannot be owned by a namespaced one
        try:
            live = self.client.get(kind.plural, str(ref.get("name", "")), ns)
        except NotFound:
            return None, True
        if live["metadata"].get("uid") != uid:
            return None, True  # same name, another object: the owner we knew is gone
        return live, True

    def _delete(self, ident: Ident, obj: Obj, policy: str) -> None:
        md = obj["metadata"]
        try:
            # the resourceVersion we judged: if the object changed since, it is judged again
            self.client.delete(ident[0], md["name"], md.get("namespace"), propagation_policy=policy,
                               preconditions={"uid": md.get("uid"), "resourceVersion": md.get("resourceVersion")})
        except NotFound:
            pass
        except Conflict:
            raise  # it changed since we judged it (or was recreated): the worker retries, judging anew

    def _remove_finalizer(self, ident: Ident, obj: Obj, finalizer: str) -> None:
        md = obj["metadata"]

        def remove(o: Obj) -> bool:
            finalizers = list(o["metadata"].get("finalizers") or [])
            if finalizer not in finalizers:
                return False
            finalizers.remove(finalizer)
            if finalizers:
                o["metadata"]["finalizers"] = finalizers
            else:
                o["metadata"].pop("finalizers", None)
            return True

        update_with_retries(self.client, ident[0], md.get("namespace"), md["name"], remove, uid=md.get("uid"))

    def _process_deleting_dependents(self, ident: Ident, owner: Obj) -> None:
        """Foreground deletion: delete the dependents; once none with blockOwnerDeletion is left,
        remove the ``foregroundDeletion`` finalizer (``processDeletingDependentsItem``)."""
        uid = owner["metadata"].get("uid", "")
        dependents = self.dependents_of(uid)
        blocking = [d for d in dependents
                    if any(r.get("uid") == uid and r.get("blockOwnerDeletion") for r in _refs(d))]
        if not blocking:
            self._remove_finalizer(ident, owner, FOREGROUND)
            return
        for dep in dependents:
            if not _deleting_with(dep, FOREGROUND):
                resource = self._resource_of(dep)
                if resource:
                    self.queue.add(self._ident(resource, dep))

    def _orphan_dependents(self, ident: Ident, owner: Obj) -> None:
        """Orphan deletion: remove our reference from every dependent, then the finalizer."""
        uid = owner["metadata"].get("uid", "")
        errors: list[APIError] = []
        for dep in self.dependents_of(uid):
            resource = self._resource_of(dep)
            if not resource:
                continue
            dmd = dep["metadata"]
            try:
                update_with_retries(self.client, resource, dmd.get("namespace"), dmd["name"],
                                    lambda o: remove_owner_reference(o, uid), uid=dmd.get("uid"))
            except APIError as err:
                errors.append(err)
        if errors:
            raise errors[0]
        self._remove_finalizer(ident, owner, ORPHAN)

    def _resource_of(self, obj: Obj) -> str | None:
        with self._index_lock:
            ident = self._by_uid.get(obj["metadata"].get("uid", ""))
        return ident[0] if ident else None
