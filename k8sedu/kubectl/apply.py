"""Client-side ``kubectl apply``: the last-applied annotation and the three-way merge patch.

``kubectl apply`` remembers what you applied last time in the annotation
``kubectl.kubernetes.io/last-applied-configuration`` and, on the next apply, compares three things::

    original  (last applied)   ─┐
    modified  (your new file)  ─┼─▶  patch = changes current→modified   (fields you set)
    current   (live object)    ─┘          + deletions original→modified (fields you removed)

Fields that controllers or defaulting added to the live object are in neither your old nor your new
file, so they are left alone; a field you delete from the file was in the last-applied copy, so it is
deleted from the object. Lists of named things (containers, env, ports, volumes) are compared item by
item on their merge key, as a strategic merge patch does; other lists are replaced whole.

The patch is sent as a strategic merge patch; an empty patch means ``unchanged``. Both the create
and the patch carry ``fieldValidation`` from ``--validate`` (Strict unless told otherwise), so a
misspelt field fails on the server: ``Error from server (BadRequest): error when creating "STDIN":
... strict decoding error: unknown field "spec.replica"`` for a new object, ``The request is
invalid: patch: Invalid value: "map[...]": strict decoding error: ...`` for one that exists.
"""

from __future__ import annotations

from typing import Any

from ..api import kinds
from ..api.kinds import Kind
from ..api.meta import deep_copy
from ..apiserver.patch import merge_key
from ..errors import APIError, Conflict, KubectlError, NotFound
from .context import (
    Invocation,
    dry_run_strategy,
    kind_string,
    parse_output,
    print_objects,
    validation_directive,
)
from .manifests import Manifest, go_json, load_paths
from .messages import add_source, info_string

__all__ = [
    "LAST_APPLIED",
    "modified_configuration",
    "original_configuration",
    "three_way_patch",
    "two_way_patch",
    "merge_key",
    "apply_manifests",
    "run_apply",
    "run_create",
]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

def modified_configuration(obj: dict[str, Any]) -> dict[str, Any]:
    """*obj* with the last-applied annotation set to itself (upstream's GetModifiedConfiguration).

    The annotation holds the manifest as compact JSON with sorted keys and a final newline, with
    ``metadata.annotations`` present (``{}`` when there are no others), as kubectl writes it.
    """
    clean = deep_copy(obj)
    md = clean.setdefault("metadata", {})
    annotations = dict(md.get("annotations") or {})
    annotations.pop(LAST_APPLIED, None)
    md["annotations"] = annotations
    text = go_json(clean) + "\n"
    modified = deep_copy(clean)
    modified["metadata"]["annotations"] = {**annotations, LAST_APPLIED: text}
    return modified


def original_configuration(current: dict[str, Any]) -> dict[str, Any] | None:
    """The last-applied manifest stored on the live object, or None."""
    import json

    text = ((current.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _diff_maps(original: dict[str, Any], modified: dict[str, Any], path: tuple[str, ...],
               ignore_deletions: bool, ignore_changes: bool) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    for key, mod in modified.items():
        sub = path + (key,)
        if key not in original:
            if not ignore_changes:
                patch[key] = deep_copy(mod)
            continue
        orig = original[key]
        if isinstance(orig, dict) and isinstance(mod, dict):
            inner = _diff_maps(orig, mod, sub, ignore_deletions, ignore_changes)
            if inner:
                patch[key] = inner
        elif isinstance(orig, list) and isinstance(mod, list) and merge_key(sub) and _all_dicts(orig, mod):
            _diff_lists(patch, key, orig, mod, sub, merge_key(sub) or "", ignore_deletions, ignore_changes)
        elif orig != mod or type(orig) is not type(mod) and not _same_number(orig, mod):
            if not ignore_changes:
                patch[key] = deep_copy(mod)
    if not ignore_deletions:
        for key in original:
            if key not in modified:
                patch[key] = None
    return patch


def _same_number(a: Any, b: Any) -> bool:
    return (isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool)
            and not isinstance(b, bool) and a == b)


def _all_dicts(*lists: list[Any]) -> bool:
    return all(isinstance(item, dict) for lst in lists for item in lst)


def _diff_lists(patch: dict[str, Any], key: str, original: list[dict[str, Any]], modified: list[dict[str, Any]],
                path: tuple[str, ...], mkey: str, ignore_deletions: bool, ignore_changes: bool) -> None:
    by_key = {item.get(mkey): item for item in original}
    mod_keys = {item.get(mkey) for item in modified}
    items: list[dict[str, Any]] = []
    for item in modified:
        k = item.get(mkey)
        if k not in by_key:
            if not ignore_changes:
                items.append(deep_copy(item))
            continue
        inner = _diff_maps(by_key[k], item, path + ("*",), ignore_deletions, ignore_changes)
        if inner:
            inner[mkey] = k
            items.append(inner)
    if not ignore_deletions:
        for item in original:
            if item.get(mkey) not in mod_keys:
                items.append({"$patch": "delete", mkey: item.get(mkey)})
    if items:
        patch[key] = items
        patch[f"$setElementOrder/{key}"] = [{mkey: item.get(mkey)} for item in modified]


def _merge_patches(deletions: dict[str, Any], delta: dict[str, Any], path: tuple[str, ...] = ()) -> dict[str, Any]:
    """Combine the deletions patch and the delta patch (delta wins), as upstream's mergeMap."""
    out = deep_copy(deletions)
    for key, value in delta.items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _merge_patches(out[key], value, path + (key,))
        elif key in out and isinstance(out[key], list) and isinstance(value, list) and not key.startswith("$"):
            mkey = merge_key(path + (key,))
            if mkey and _all_dicts(out[key], value):
                merged = [deep_copy(i) for i in out[key]]
                for item in value:
                    idx = next((n for n, m in enumerate(merged) if m.get(mkey) == item.get(mkey)), None)
                    if idx is None:
                        merged.append(deep_copy(item))
                    elif merged[idx].get("$patch") == "delete":
                        merged[idx] = deep_copy(item)
                    else:
                        merged[idx] = _merge_patches(merged[idx], item, path + (key, "*"))
                out[key] = merged
            else:
                out[key] = deep_copy(value)
        else:
            out[key] = deep_copy(value)
    return out


def three_way_patch(original: dict[str, Any] | None, modified: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """upstream's ``CreateThreeWayMergePatch(original, modified, current)`` (overwrite=true)."""
    delta = _diff_maps(current, modified, (), ignore_deletions=True, ignore_changes=False)
    deletions = _diff_maps(original or {}, modified, (), ignore_deletions=False, ignore_changes=True)
    return _merge_patches(deletions, delta)


def two_way_patch(original: dict[str, Any], modified: dict[str, Any]) -> dict[str, Any]:
    """upstream's ``CreateTwoWayMergePatch``: what ``set image`` and friends send."""
    return _diff_maps(original, modified, (), ignore_deletions=False, ignore_changes=False)


# --------------------------------------------------------------------------------------------
# the verbs: ``apply -f`` and ``create -f``
# --------------------------------------------------------------------------------------------

_NO_LAST_APPLIED = (
    "resource {name} is missing the " + LAST_APPLIED + " annotation which is required by kubectl apply. "
    "kubectl apply should only be used on resources created declaratively by either kubectl create "
    "--save-config or kubectl apply. The missing annotation will be patched automatically."
)
_MAX_PATCH_RETRIES = 5


def _prepare(inv: Invocation, manifest: Manifest) -> tuple[Kind, dict[str, Any], str | None] | None:
    """Kind, a copy of the object with its namespace filled in, and the namespace; None (with the
    problem recorded) when the object cannot be mapped."""
    obj = deep_copy(manifest.obj)
    try:
        kind = kinds.for_object(obj)
    except APIError as err:
        md = obj.get("metadata") or {}
        inv.problem(f'resource mapping not found for name: "{md.get("name", "")}" namespace: '
                    f'"{md.get("namespace", "")}" from "{manifest.source}": {err.message}\n'
                    "ensure CRDs are installed first")
        return None
    md = obj.setdefault("metadata", {})
    ns: str | None = None
    if kind.namespaced:
        if inv.namespace_given and md.get("namespace") and md["namespace"] != inv.namespace:
            raise KubectlError(
                f'error: the namespace from the provided object "{md["namespace"]}" does not match the namespace '
                f'"{inv.namespace}". You must pass \'--namespace={md["namespace"]}\' to perform this operation.'
            )
        ns = md.get("namespace") or inv.namespace
        md["namespace"] = ns
    return kind, obj, ns


def _print(inv: Invocation, kind: Kind, name: str, operation: str, fmt: str) -> None:
    if fmt == "name":
        inv.write(f"{kind_string(kind)}/{name}\n")
    elif not fmt:
        inv.write(f"{kind_string(kind)}/{name} {operation}\n")


def apply_manifests(inv: Invocation, manifests: list[Manifest], strategy: str = "none",
                    fmt: str = "") -> list[dict[str, Any]]:
    """Apply each manifest (create, or three-way patch); print one line each; return the objects
    as stored. Problems are recorded on *inv* and the next manifest is tried, as kubectl does."""
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(strategy, "")
    directive = validation_directive(inv)
    results: list[dict[str, Any]] = []
    for manifest in manifests:
        prepared = _prepare(inv, manifest)
        if prepared is None:
            continue
        kind, obj, ns = prepared
        md = obj["metadata"]
        name = str(md.get("name") or "")
        source = manifest.source
        where = info_string(kind.api_version, kind.plural, kind.kind, name, ns)
        if not name:
            if md.get("generateName"):
                inv.problem(f"from {md['generateName']}: cannot use generate name with apply")
            else:
                inv.problem(add_source(f"retrieving current configuration of:\n{where}\nfrom server for:", source,
                                       "resource name may not be empty"))
            continue
        modified = modified_configuration(obj)
        try:
            current = inv.client.get(kind.plural, name, ns)
        except NotFound:
            if strategy == "client":
                results.append(modified)
                _print(inv, kind, name, "created" + suffix, fmt)
                continue
            try:
                created = inv.client.create(kind.plural, modified, ns, dry_run=strategy == "server",
                                            field_validation=directive)
            except APIError as err:
                inv.problem(add_source("creating", source, err))
                continue
            inv.server_warnings()
            results.append(created)
            _print(inv, kind, name, "created" + suffix, fmt)
            continue
        except APIError as err:
            inv.problem(add_source(f"retrieving current configuration of:\n{where}\nfrom server for:", source, err))
            continue
        if strategy == "client":
            results.append(current)
            _print(inv, kind, name, "configured" + suffix, fmt)
            continue
        if LAST_APPLIED not in ((current.get("metadata") or {}).get("annotations") or {}):
            inv.warn(_NO_LAST_APPLIED.format(name=f"{kind.plural}/{name}"))
        patched, unchanged, patch, failure = _patch_with_retries(inv, kind, name, ns, modified, current, strategy,
                                                                 directive)
        if failure is not None:
            inv.problem(add_source(f"applying patch:\n{go_json(patch)}\nto:\n{where}\nfor:", source, failure))
            continue
        results.append(patched)
        if (patched.get("metadata") or {}).get("deletionTimestamp"):
            inv.warn(f"Detected changes to resource {name} which is currently being deleted.")
        _print(inv, kind, name, ("unchanged" if unchanged else "configured") + suffix, fmt)
    if fmt and fmt != "name":

        print_objects(inv, fmt, "", results, single=len(results) == 1)
    return results


def _patch_with_retries(inv: Invocation, kind: Kind, name: str, ns: str | None, modified: dict[str, Any],
                        current: dict[str, Any], strategy: str, directive: str = "Strict"
                        ) -> tuple[dict[str, Any], bool, dict[str, Any], APIError | None]:
    """Patch; on a Conflict re-read the live object and recompute, up to five times (upstream's
    Patcher). Returns (object, unchanged, the last patch, the error or None)."""
    patch: dict[str, Any] = {}
    for attempt in range(_MAX_PATCH_RETRIES + 1):
        patch = three_way_patch(original_configuration(current), modified, current)
        if not patch:
            return current, True, patch, None
        try:
            patched = inv.client.patch(kind.plural, name, patch, ns, patch_type="strategic",
                                       dry_run=strategy == "server", field_validation=directive)
            inv.server_warnings()
            return patched, False, patch, None
        except Conflict as err:
            if attempt == _MAX_PATCH_RETRIES:
                return current, False, patch, err
            try:
                current = inv.client.get(kind.plural, name, ns)
            except APIError as get_err:
                return current, False, patch, get_err
        except APIError as err:
            return current, False, patch, err
    return current, False, patch, Conflict.modified(kind.qualified, name)


def run_apply(inv: Invocation) -> None:

    p = inv.parsed
    if p.args:
        raise KubectlError(f"error: Unexpected args: [{' '.join(p.args)}]\nSee 'kubectl apply -h' for help and examples")
    if not p.get("filename"):
        raise KubectlError("error: must specify one of -f and -k")
    for unsupported in ("prune", "server-side"):
        if p.get(unsupported):
            raise KubectlError(f"error: --{unsupported} is not built into k8sedu's kubectl; run the real kubectl "
                               "against `k8sedu serve` for it")
    strategy = dry_run_strategy(inv)
    fmt, _ = parse_output(p.get("output"), ("json", "yaml", "name"))
    manifests, errors = load_paths(list(p.get("filename")), inv.stdin, bool(p.get("recursive")))
    for e in errors:
        inv.problem(e)
    if not manifests and not errors:
        raise KubectlError("error: no objects passed to apply")
    apply_manifests(inv, manifests, strategy, fmt)


def run_create(inv: Invocation) -> None:

    p = inv.parsed
    strategy = dry_run_strategy(inv)
    directive = validation_directive(inv)
    suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(strategy, "")
    fmt, arg = parse_output(p.get("output"))
    manifests, errors = load_paths(list(p.get("filename")), inv.stdin, bool(p.get("recursive")))
    for e in errors:
        inv.problem(e)
    if not manifests and not errors:
        raise KubectlError("error: no objects passed to create")
    for manifest in manifests:
        prepared = _prepare(inv, manifest)
        if prepared is None:
            continue
        kind, obj, ns = prepared
        if p.get("save-config"):
            obj = modified_configuration(obj)
        if strategy == "client":
            created = obj
        else:
            try:
                created = inv.client.create(kind.plural, obj, ns, dry_run=strategy == "server",
                                            field_validation=directive)
            except APIError as err:
                inv.problem(add_source("creating", manifest.source, err))
                continue
            inv.server_warnings()
        name = (created.get("metadata") or {}).get("name", "")
        if fmt and fmt != "name":
            print_objects(inv, fmt, arg, [created], True)
        else:
            _print(inv, kind, name, "created" + suffix, fmt)
