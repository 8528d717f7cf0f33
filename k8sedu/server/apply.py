"""Server-side apply's bookkeeping: who manages which field (``metadata.managedFields``), and
the conflict when an apply would change a field another manager set.

Each writer names itself (``?fieldManager=kubectl``); the server keeps, per manager, the set of
fields it last set, as a ``fieldsV1`` tree::

    kubectl apply (client-side)   → manager "kubectl-client-side-apply", operation Update
    kubectl apply --server-side   → manager "kubectl", operation Apply
        f:spec:
          f:replicas: {}
          f:template: {f:spec: {f:containers: {'k:{"name":"web"}': {.: {}, f:image: {}, f:name: {}}}}}

An apply that would give a field a new value while another manager owns it is refused with 409
``Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1:
.spec.replicas`` unless ``force=true`` (``kubectl apply --server-side --force-conflicts``), which
takes the field over. Fields an applier set before and leaves out now are removed (if nobody else
owns them).

Simplified from upstream's structured-merge-diff: list items are keyed by the strategic-merge
keys (containers by ``name``, container ports by ``containerPort`` + ``protocol``…), other lists
and ``selector`` are atomic; only map fields are pruned (a list item left out stays).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ..apiserver.patch import merge_key
from ..errors import Conflict

__all__ = ["field_values", "fields_v1", "leaves", "describe", "plan_apply", "record_update", "ApplyPlan"]

Path = tuple[str, ...]  # fieldsV1 keys from the root: ("f:spec", "f:replicas")

_META_FIELDS = ("labels", "annotations", "finalizers", "ownerReferences")  # the rest is the server's
_ATOMIC = {"selector"}


def _item_key(names: tuple[str, ...], item: dict[str, Any]) -> dict[str, Any] | None:
    key = merge_key(names)
    if key is None or key not in item:
        return None
    if key in ("containerPort", "port"):
        return {key: item[key], "protocol": item.get("protocol", "TCP")}
    return {key: item[key]}


def field_values(obj: dict[str, Any]) -> dict[Path, Any]:
    """Every field *obj* sets, as fieldsV1 path → value (atomic parts whole). Identity and
    server-owned parts (apiVersion, kind, name, uid, resourceVersion, status…) are left out."""
    out: dict[Path, Any] = {}
    for key, value in obj.items():
        if key in ("apiVersion", "kind", "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            for mk in _META_FIELDS:
                if mk in value:
                    _walk(value[mk], ("f:metadata", f"f:{mk}"), ("metadata", mk), out)
            continue
        _walk(value, (f"f:{key}",), (key,), out)
    return out


def _walk(value: Any, path: Path, names: tuple[str, ...], out: dict[Path, Any]) -> None:
    if isinstance(value, dict) and value and names[-1] not in _ATOMIC:
        for k, v in value.items():
            _walk(v, path + (f"f:{k}",), names + (k,), out)
        return
    if isinstance(value, list) and value and all(isinstance(i, dict) for i in value):
        keys = [_item_key(names, i) for i in value]
        if all(k is not None for k in keys):
            for item, k in zip(value, keys, strict=True):
                ipath = path + ("k:" + json.dumps(k, sort_keys=True, separators=(",", ":")),)
                out[ipath + (".",)] = True  # the item itself
                for ik, iv in item.items():
                    _walk(iv, ipath + (f"f:{ik}",), names + ("*", ik), out)
            return
    out[path] = value


def fields_v1(paths: set[Path] | dict[Path, Any]) -> dict[str, Any]:
    """The ``fieldsV1`` tree of a set of paths."""
    tree: dict[str, Any] = {}
    for p in sorted(paths):
        node = tree
        for part in p:
            node = node.setdefault(part, {})
    return tree


def leaves(tree: dict[str, Any], prefix: Path = ()) -> set[Path]:
    """The paths a ``fieldsV1`` tree holds (the inverse of :func:`fields_v1`)."""
    out: set[Path] = set()
    for key, child in (tree or {}).items():
        path = prefix + (key,)
        if isinstance(child, dict) and child:
            out |= leaves(child, path)
        else:
            out.add(path)
    return out


def describe(path: Path) -> str:
    """A path as upstream prints it: ``.spec.template.spec.containers[name="web"].image``."""
    text = ""
    for part in path:
        if part == ".":
            continue
        if part.startswith("k:"):
            keys = json.loads(part[2:])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(keys.items())) + "]"
        else:
            text += "." + part[2:]
    return text


def _manager_name(entry: dict[str, Any]) -> str:
    name = json.dumps(entry.get("manager", ""))
    if entry.get("subresource"):
        name += f' with subresource {json.dumps(entry["subresource"])}'
    if entry.get("operation") == "Update":
        name += f' using {entry.get("apiVersion", "")}'
    return name


def _entry(manager: str, operation: str, api_version: str, paths: set[Path], now: str) -> dict[str, Any]:
    return {"manager": manager, "operation": operation, "apiVersion": api_version, "time": now,
            "fieldsType": "FieldsV1", "fieldsV1": fields_v1(paths)}


def _without(entry: dict[str, Any], paths: set[Path]) -> dict[str, Any] | None:
    kept = leaves(entry.get("fieldsV1") or {}) - paths
    if not kept - {p for p in kept if p[-1:] == (".",)}:
        return None  # nothing but item markers left: the manager owns nothing
    return {**entry, "fieldsV1": fields_v1(kept)}


class ApplyPlan:
    """What an apply writes: the strategic-merge patch (the applied fields, ``null`` for pruned
    ones, the new managedFields)."""

    def __init__(self, patch: dict[str, Any], managed: list[dict[str, Any]]) -> None:
        self.patch, self.managed = patch, managed


def plan_apply(live: dict[str, Any] | None, applied: dict[str, Any], manager: str, force: bool,
               now: str) -> ApplyPlan:
    """The patch for applying *applied* as *manager* over *live* (None: the object is new).
    Raises the 409 ``Conflict`` upstream sends when another manager owns a field it would change."""
    api_version = str(applied.get("apiVersion", ""))
    wanted = field_values(applied)
    mine = set(wanted)
    managed = [dict(e) for e in ((live or {}).get("metadata") or {}).get("managedFields") or []]
    if live is not None:
        current = field_values(live)
        changing = {p for p, v in wanted.items() if p in current and current[p] != v and p[-1] != "."}
        conflicts: list[tuple[dict[str, Any], Path]] = []
        for entry in managed:
            if entry.get("manager") == manager and entry.get("operation") == "Apply":
                continue
            owned = leaves(entry.get("fieldsV1") or {})
            conflicts += [(entry, p) for p in sorted(changing & owned)]
        if conflicts and not force:
            raise _conflict(conflicts)
        taken = {p for _, p in conflicts}
        managed = [e2 for e in managed if (e2 := _without(e, taken) if taken else e) is not None]
    previous = next((e for e in managed if e.get("manager") == manager and e.get("operation") == "Apply"), None)
    before = leaves(previous.get("fieldsV1") or {}) if previous else set()
    others = set().union(*(leaves(e.get("fieldsV1") or {}) for e in managed if e is not previous)) if managed else set()
    patch = copy.deepcopy(applied)
    for p in sorted(before - mine - others):
        if any(part.startswith("k:") or part == "." for part in p):
            continue  # list items are not pruned here (see the module docstring)
        _set_null(patch, p)
    if previous is not None and before == mine:
        entry = previous  # nothing changed for this manager: keep its time, so a no-op stays a no-op
    else:
        entry = _entry(manager, "Apply", api_version, mine, now)
    managed = [e for e in managed if e is not previous]
    managed.insert(0 if previous is None else _index_of(live, manager), entry)
    patch.setdefault("metadata", {})["managedFields"] = managed
    return ApplyPlan(patch, managed)


def _index_of(live: dict[str, Any] | None, manager: str) -> int:
    entries = ((live or {}).get("metadata") or {}).get("managedFields") or []
    return next((i for i, e in enumerate(entries) if e.get("manager") == manager and e.get("operation") == "Apply"),
                0)


def _set_null(patch: dict[str, Any], path: Path) -> None:
    node = patch
    for part in path[:-1]:
        node = node.setdefault(part[2:], {})
        if not isinstance(node, dict):
            return
    node.setdefault(path[-1][2:], None)


def _conflict(conflicts: list[tuple[dict[str, Any], Path]]) -> Conflict:
    causes = [{"type": "FieldManagerConflict", "message": f"conflict with {_manager_name(e)}", "field": describe(p)}
              for e, p in conflicts]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {_manager_name(entry)}: {describe(path)}"
    else:
        by_manager: dict[str, list[str]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(_manager_name(entry), []).append(describe(path))
        lines = []
        for name in sorted(by_manager):
            lines.append(f"conflicts with {name}:")
            lines += [f"- {p}" for p in by_manager[name]]
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return Conflict(message, details={"causes": causes})


def record_update(live: dict[str, Any] | None, new_fields: dict[Path, Any], manager: str, api_version: str,
                  now: str, subresource: str | None = None) -> list[dict[str, Any]]:
    """The managedFields after an Update (create, PUT, PATCH) by *manager* that leaves the object
    with *new_fields*: the manager owns the fields it changed (added to what it had), and whoever
    owned a field it changed loses it."""
    managed = [dict(e) for e in ((live or {}).get("metadata") or {}).get("managedFields") or []]
    current = field_values(live) if live is not None else {}
    changed = {p for p, v in new_fields.items() if current.get(p, object()) != v}
    entry = next((e for e in managed if e.get("manager") == manager and e.get("operation") == "Update"
                  and e.get("subresource", "") == (subresource or "")), None)
    kept: list[dict[str, Any]] = []
    for e in managed:
        if e is entry:
            continue
        reduced = _without(e, changed) if changed else e
        if reduced is not None:
            kept.append(reduced)
    if not changed:  # nothing new: the manager's entry (and its time) stays as it was
        return kept + ([entry] if entry is not None else [])
    owned = (leaves(entry.get("fieldsV1") or {}) if entry else set()) | changed
    fresh = _entry(manager, "Update", api_version, owned, now)
    if subresource:
        fresh["subresource"] = subresource
    kept.append(fresh)
    return kept
