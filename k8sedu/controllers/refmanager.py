"""Adoption and release: how a controller decides which objects are its own.

Ownership is recorded in the dependent, as an ``ownerReferences`` entry with ``controller: true``.
A controller *claims* the objects its selector matches (upstream's ``ControllerRefManager``)::

    object's controllerRef      selector matches?   action
    ──────────────────────      ─────────────────   ─────────────────────────────────────────
    someone else                either              leave it alone
    us                          yes                 ours
    us                          no                  release it (remove our reference)
    none (an orphan)            yes                 adopt it (add our reference), unless we
                                                    or it are being deleted
    none                        no                  not ours

Adoption first re-reads the controller from the apiserver (not the cache): a controller deleted a
moment ago must not adopt anything, or the garbage collector would never collect it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..api import meta
from ..api.selectors import Selector
from ..client import Client
from ..errors import APIError, Conflict, NotFound

__all__ = ["claim", "update_with_retries", "add_owner_reference", "remove_owner_reference"]

Obj = dict[str, Any]

_RETRIES = 5


def update_with_retries(client: Client, resource: str, namespace: str | None, name: str,
                        mutate: Callable[[Obj], bool], uid: str | None = None) -> Obj | None:
    """GET the object, let *mutate* change the copy (False: nothing to do), PUT it; on a 409
    Conflict read again and retry. None when the object is gone (or has another uid now)."""
    for _ in range(_RETRIES):
        try:
            current = client.get(resource, name, namespace)
        except NotFound:
            return None
        if uid is not None and current["metadata"].get("uid") != uid:
            return None
        obj = meta.deep_copy(current)
        if not mutate(obj):
            return current
        try:
            return client.update(resource, obj, namespace)
        except Conflict:
            continue
        except NotFound:
            return None
    raise Conflict(f'{resource} "{name}": too many conflicting updates')


def add_owner_reference(obj: Obj, ref: Obj) -> bool:
    md = obj.setdefault("metadata", {})
    refs = list(md.get("ownerReferences") or [])
    if any(r.get("uid") == ref.get("uid") for r in refs):
        return False
    refs.append(dict(ref))
    md["ownerReferences"] = refs
    return True


def remove_owner_reference(obj: Obj, owner_uid: str) -> bool:
    md = obj.setdefault("metadata", {})
    refs = list(md.get("ownerReferences") or [])
    kept = [r for r in refs if r.get("uid") != owner_uid]
    if len(kept) == len(refs):
        return False
    if kept:
        md["ownerReferences"] = kept
    else:
        md.pop("ownerReferences", None)
    return True


def claim(client: Client, owner: Obj, owner_resource: str, owner_ref: Obj, selector: Selector,
          objects: list[Obj], resource: str, extra_match: Callable[[Obj], bool] | None = None,
          ) -> tuple[list[Obj], list[APIError]]:
    """The *objects* (of *resource*) that *owner* controls after adopting and releasing; and the
    errors met on the way (the caller returns them so its key is retried)."""
    owner_md = owner["metadata"]
    owner_uid = owner_md.get("uid")
    owner_deleting = bool(owner_md.get("deletionTimestamp"))
    checked: list[bool] = []  # adoption re-check, done at most once per claim
    claimed: list[Obj] = []
    errors: list[APIError] = []

    def matches(obj: Obj) -> bool:
        if not selector.matches(obj.get("metadata", {}).get("labels") or {}):
            return False
        return extra_match(obj) if extra_match else True

    def can_adopt() -> None:
        if checked:
            if not checked[0]:
                raise Conflict(f"{owner_md.get('namespace')}/{owner_md.get('name')} cannot adopt now")
            return
        try:
            fresh = client.get(owner_resource, owner_md["name"], owner_md.get("namespace"))
        except NotFound:
            checked.append(False)
            raise Conflict(f"original {owner_md.get('namespace')}/{owner_md.get('name')} is gone") from None
        if fresh["metadata"].get("uid") != owner_uid:
            checked.append(False)
            raise Conflict(f"original {owner_md.get('namespace')}/{owner_md.get('name')} is gone: got uid "
                           f"{fresh['metadata'].get('uid')}, wanted {owner_uid}")
        if fresh["metadata"].get("deletionTimestamp"):
            checked.append(False)
            raise Conflict(f"{owner_md.get('namespace')}/{owner_md.get('name')} has just been deleted at "
                           f"{fresh['metadata']['deletionTimestamp']}")
        checked.append(True)

    for obj in objects:
        md = obj.get("metadata", {})
        ref = meta.controller_ref(obj)
        if ref is not None:
            if ref.get("uid") != owner_uid:
                continue  # owned by someone else
            if matches(obj):
                claimed.append(obj)
                continue
            if owner_deleting:
                continue
            try:  # ours, but the selector no longer matches: release it
                update_with_retries(client, resource, md.get("namespace"), md["name"],
                                    lambda o: remove_owner_reference(o, owner_uid), uid=md.get("uid"))
            except APIError as err:
                errors.append(err)
            continue
        # an orphan
        if owner_deleting or not matches(obj) or md.get("deletionTimestamp"):
            continue
        if owner_md.get("namespace") and owner_md.get("namespace") != md.get("namespace"):
            continue
        try:
            can_adopt()

            def adopt(o: Obj, name: str = md["name"]) -> bool:
                if meta.controller_ref(o) is not None:
                    raise Conflict(f"{resource} {name} was claimed by another controller")
                return add_owner_reference(o, owner_ref)

            adopted = update_with_retries(client, resource, md.get("namespace"), md["name"], adopt,
                                          uid=md.get("uid"))
        except APIError as err:
            errors.append(err)
            continue
        if adopted is not None:
            claimed.append(adopted)
    return claimed, errors
