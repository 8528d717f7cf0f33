"""ControllerRevisions: how a DaemonSet or StatefulSet remembers its past Pod templates
(upstream ``pkg/controller/history``), so ``kubectl rollout history`` and ``undo`` can find them.

A Deployment keeps one ReplicaSet per template; a DaemonSet or StatefulSet owns its Pods directly,
so each template it ever had is stored as an ``apps/v1 ControllerRevision``::

    web-6b8f9d7c4   revision 1   data: {"spec": {"template": {... image: web:v1 ..., "$patch": "replace"}}}
    web-5d7c9b8f6   revision 2   data: {"spec": {"template": {... image: web:v2 ..., "$patch": "replace"}}}

The name ends in the template's hash, which is also each Pod's ``controller-revision-hash`` label:
comparing a Pod's label with the newest revision's hash says whether the Pod is up to date. Going
back to an old template makes no new object: the old revision gets the next number.
"""

from __future__ import annotations

from typing import Any

from ..api import meta
from ..client import Client
from ..errors import APIError, NotFound

__all__ = ["CONTROLLER_REVISION_HASH", "CONTROLLER_HASH", "revision_data", "revision_hash", "sync_revisions",
           "truncate_history"]

Obj = dict[str, Any]

CONTROLLER_REVISION_HASH = "controller-revision-hash"
#: the label ``history.NewControllerRevision`` (StatefulSet) puts on a revision
CONTROLLER_HASH = "controller.kubernetes.io/hash"


def revision_data(owner: Obj) -> Obj:
    """The patch a revision stores (``getPatch``): the whole template, replacing the old one."""
    template = meta.deep_copy((owner.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def revision_hash(owner: Obj) -> str:
    collision = (owner.get("status") or {}).get("collisionCount")
    return meta.pod_template_hash(revision_data(owner), collision)


def sync_revisions(client: Client, owner: Obj, kind: str, revisions: list[Obj],
                   hash_label: str = CONTROLLER_REVISION_HASH) -> tuple[Obj, list[Obj]]:
    """The revision for *owner*'s current template (made or renumbered as needed), and the list of
    all its revisions after that (``constructHistory``)."""
    ns = owner["metadata"].get("namespace")
    name = owner["metadata"]["name"]
    data = revision_data(owner)
    hash_ = revision_hash(owner)
    highest = max((int(r.get("revision") or 0) for r in revisions), default=0)
    current = next((r for r in revisions if r.get("data") == data), None)
    if current is not None:
        if int(current.get("revision") or 0) < highest:
            obj = meta.deep_copy(current)
            obj["revision"] = highest + 1
            current = client.update("controllerrevisions", obj, ns)
        return current, [r for r in revisions if r["metadata"]["name"] != current["metadata"]["name"]] + [current]
    labels = dict((((owner.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {})
    labels[hash_label] = hash_
    rev: Obj = {
        "apiVersion": "apps/v1", "kind": "ControllerRevision",
        "metadata": {"name": f"{name}-{hash_}", "namespace": ns, "labels": labels,
                     "ownerReferences": [meta.make_controller_ref(owner, kind, "apps/v1")]},
        # the owner's annotations (kubernetes.io/change-cause) go along: rollout history shows them
        "data": data, "revision": highest + 1,
    }
    if owner["metadata"].get("annotations"):
        rev["metadata"]["annotations"] = dict(owner["metadata"]["annotations"])
    try:
        created = client.create("controllerrevisions", rev, ns)
    except APIError:
        existing = client.get("controllerrevisions", rev["metadata"]["name"], ns)
        if existing.get("data") != data:
            raise
        created = existing
    return created, revisions + [created]


def truncate_history(client: Client, owner: Obj, revisions: list[Obj], live: set[str], current: Obj) -> None:
    """Delete the oldest revisions no Pod uses (*live*: revision names), beyond
    ``spec.revisionHistoryLimit`` (``cleanupHistory`` / ``truncateHistory``)."""
    limit = int((owner.get("spec") or {}).get("revisionHistoryLimit", 10))
    old = [r for r in revisions if r["metadata"]["name"] != current["metadata"]["name"]
           and r["metadata"]["name"] not in live]
    old.sort(key=lambda r: int(r.get("revision") or 0))
    for rev in old[:max(0, len(old) - limit)]:
        try:
            client.delete("controllerrevisions", rev["metadata"]["name"], rev["metadata"].get("namespace"))
        except NotFound:
            pass
