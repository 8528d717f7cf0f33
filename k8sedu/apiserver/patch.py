"""The three PATCH formats the apiserver accepts.

- JSON merge patch (RFC 7386, ``application/merge-patch+json``): maps merge, ``null`` deletes a key,
  lists are replaced whole.
- Strategic merge patch (``application/strategic-merge-patch+json``), what ``kubectl apply``,
  ``scale``, ``set image`` and ``label`` send: like a merge patch, but lists of named things
  (containers, env, ports, volumes…) are merged by their key, and ``$patch: delete`` removes one.
- JSON patch (RFC 6902, ``application/json-patch+json``): a list of add/remove/replace/move/copy/test.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import BadRequest, FieldError, Invalid

__all__ = ["merge_patch", "strategic_merge_patch", "json_patch", "merge_key", "MERGE_KEYS"]

# Upstream's patchMergeKey for the list fields we know (field name -> key of its items).
# "ports" depends on where the list sits: see merge_key().
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "ownerReferences": "uid",
    "conditions": "type",
    "resourceClaims": "name",
    "addresses": "type",
}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
# Lists of scalars that strategic merge treats as sets (patchStrategy=merge on primitives).
_SET_LISTS = {"finalizers"}


def merge_key(path: tuple[str, ...]) -> str | None:
    """The merge key of the list at *path* (field names from the object's root, ``*`` for a list
    item), or None when the list is replaced whole: a container's ``ports`` merge by
    ``containerPort``, a Service's by ``port``."""
    field = path[-1] if path else ""
    if field == "ports":
        if len(path) >= 3 and path[-3] in _CONTAINER_LISTS:
            return "containerPort"
        if path[-2:] == ("spec", "ports") and "template" not in path:
            return "port"
        return None
    return MERGE_KEYS.get(field)


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any, path: tuple[str, ...] = ()) -> Any:
    if isinstance(patch, dict):
        if patch.get("$patch") == "replace":
            return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
        result = dict(target) if isinstance(target, dict) else {}
        retain = patch.get("$retainKeys")
        for key, value in patch.items():
            if key.startswith("$"):
                continue
            if key.startswith("$setElementOrder/"):
                continue
            if value is None:
                result.pop(key, None)
            elif isinstance(value, list) and merge_key(path + (key,)):
                result[key] = _merge_list(result.get(key), value, merge_key(path + (key,)) or "", path + (key,))
            elif isinstance(value, list) and key in _SET_LISTS:
                existing = list(result.get(key) or [])
                result[key] = existing + [v for v in value if v not in existing]
            elif isinstance(value, dict):
                result[key] = strategic_merge_patch(result.get(key), value, path + (key,))
            else:
                result[key] = copy.deepcopy(value)
        if isinstance(retain, list):
            result = {k: v for k, v in result.items() if k in retain}
        return result
    return copy.deepcopy(patch)


def _merge_list(target: Any, patch: list[Any], key_field: str, path: tuple[str, ...]) -> list[Any]:
    if not all(isinstance(p, dict) for p in patch):
        return copy.deepcopy(patch)
    if any(p.get("$patch") == "replace" for p in patch):
        return [copy.deepcopy(p) for p in patch if p.get("$patch") != "replace"]
    result = [copy.deepcopy(t) for t in (target or [])]
    for item in patch:
        key = item.get(key_field)
        index = next((i for i, t in enumerate(result) if isinstance(t, dict) and t.get(key_field) == key), None)
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
            continue
        if index is None:
            result.append({k: v for k, v in copy.deepcopy(item).items() if not k.startswith("$")})
        else:
            result[index] = strategic_merge_patch(result[index], item, path + ("*",))
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise BadRequest(f'invalid JSON pointer "{path}"')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str], path: str) -> Any:
    for part in parts:
        if isinstance(doc, dict):
            if part not in doc:
                raise BadRequest(f"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"")
            doc = doc[part]
        elif isinstance(doc, list):
            try:
                doc = doc[int(part)]
            except (ValueError, IndexError):
                raise BadRequest(f"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"") from None
        else:
            raise BadRequest(f'doc is missing path: "{path}"')
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    if not isinstance(ops, list):
        raise BadRequest("the server rejected our request due to an error in our request: json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise BadRequest("the server rejected our request due to an error in our request: invalid JSON patch operation")
        kind, path = op["op"], op["path"]
        parts = _pointer(path)
        if kind == "test":
            if _resolve(doc, parts, path) != op.get("value"):
                raise Invalid("", "", [FieldError(path, "Invalid value", op.get("value"), "testing value failed")])
            continue
        if kind in ("move", "copy"):
            src = _pointer(op["from"])
            value = copy.deepcopy(_resolve(doc, src, op["from"]))
            if kind == "move":
                doc = _remove(doc, src, op["from"])
            doc = _add(doc, parts, value, path)
        elif kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")), path)
        elif kind == "remove":
            doc = _remove(doc, parts, path)
        elif kind == "replace":
            _resolve(doc, parts, path)
            doc = _remove(doc, parts, path)
            doc = _add(doc, parts, copy.deepcopy(op.get("value")), path)
        else:
            raise BadRequest(f'the server rejected our request due to an error in our request: Unexpected kind: {kind}')
    return doc


def _add(doc: Any, parts: list[str], value: Any, path: str) -> Any:
    if not parts:
        return value
    parent = _resolve(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            try:
                parent.insert(int(last), value)
            except ValueError:
                raise BadRequest(f'doc is missing path: "{path}"') from None
    else:
        raise BadRequest(f'doc is missing path: "{path}"')
    return doc


def _remove(doc: Any, parts: list[str], path: str) -> Any:
    if not parts:
        return None
    parent = _resolve(doc, parts[:-1], path)
    last = parts[-1]
    try:
        if isinstance(parent, dict):
            del parent[last]
        elif isinstance(parent, list):
            del parent[int(last)]
        else:
            raise KeyError(last)
    except (KeyError, ValueError, IndexError):
        raise BadRequest(f"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"") from None
    return doc
