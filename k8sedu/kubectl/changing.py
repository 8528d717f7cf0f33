"""The verbs that change objects: ``create -f``, ``delete``, ``scale``, ``set image``, ``label``,
``annotate``, ``patch``.

Each sends the request upstream's kubectl sends: ``create`` a POST, ``scale`` a merge patch on the
``/scale`` subresource, ``set image`` a strategic merge patch of the Pod template (so the
Deployment controller starts a rollout), ``label``/``annotate`` a JSON merge patch of the metadata,
``delete`` a DELETE with the grace period and propagation policy, then (``--wait``) a watch until
the object is really gone.
"""

from __future__ import annotations

from typing import Any

from ..api.meta import deep_copy
from ..errors import APIError, KubectlError, NotFound
from .context import (
    NO_RESOURCES_ERROR,
    Info,
    Invocation,
    dry_run_strategy,
    dry_run_suffix,
    infos_from_files,
    kind_string,
    parse_output,
    pod_spec_of,
    print_objects,
    resources_and_pairs,
    select,
    usage_error_h,
)
from .messages import add_source, format_errors

__all__ = ["cmd_create", "cmd_delete", "cmd_scale", "cmd_set_image", "cmd_label", "cmd_annotate", "cmd_patch"]


# ------------------------------------------------------------------ create
def cmd_create(inv: Invocation) -> None:
    from .apply import run_create

    p = inv.parsed
    if p.args:
        raise usage_error_h(f"Unexpected args: [{' '.join(p.args)}]", "create")
    if not p.get("filename"):
        raise KubectlError("error: must specify one of -f and -k")
    run_create(inv)


# ------------------------------------------------------------------ delete
_CASCADE = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan",
            "true": "Background", "false": "Orphan"}


def cmd_delete(inv: Invocation) -> None:
    p = inv.parsed
    out_fmt = p.get("output") or ""
    if out_fmt not in ("", "name"):
        raise KubectlError(f"error: unexpected -o output mode: {out_fmt}. We only support '-o name'")
    delete_all = bool(p.get("all"))
    if delete_all and p.get("selector"):
        raise KubectlError("error: cannot set --all and --selector at the same time")
    if delete_all and p.get("field-selector"):
        raise KubectlError("error: cannot set --all and --field-selector at the same time")
    cascade = str(p.get("cascade") or "background")
    if cascade not in _CASCADE:
        raise KubectlError(f'error: invalid cascade value ({cascade}). Must be "background", "foreground", or "orphan"')
    if cascade in ("true", "false"):
        inv.warn(f'--cascade={cascade} is deprecated (boolean value) and can be replaced with --cascade='
                 f'{"background" if cascade == "true" else "orphan"}.')
    grace = int(p.get("grace-period", -1))
    force = bool(p.get("force"))
    if p.get("now"):
        if grace != -1:
            raise KubectlError("error: --now and --grace-period cannot be specified together")
        grace = 1
    if grace == 0 and not force:
        grace = 1  # upstream turns --grace-period=0 into 1 unless --force
    if force and grace < 0:
        grace = 0
    if grace > 0 and force:
        raise KubectlError("error: --force and --grace-period greater than 0 cannot be specified together")
    if grace == 0 and force:
        inv.warn("Immediate deletion does not wait for confirmation that the running resource has been terminated. "
                 "The resource may continue to run on the cluster indefinitely.")
    strategy = dry_run_strategy(inv)
    ignore_not_found = bool(p.get("ignore-not-found")) if p.given("ignore-not-found") else bool(
        delete_all or p.get("selector") or p.get("field-selector"))
    if p.get("filename"):
        infos = infos_from_files(inv)
    else:
        if not p.args:
            raise KubectlError(NO_RESOURCES_ERROR)
        named, types = inv.targets(p.args, allow_lists=bool(delete_all or p.get("selector") or p.get("field-selector")))
        if named and (p.get("selector") or p.get("field-selector")):
            raise KubectlError("error: name cannot be provided when a selector is specified")
        infos = named
        for kind in types:
            try:
                objs = inv.list_objects(kind, p.get("selector"), p.get("field-selector"))
            except APIError as err:
                inv.problem(err)
                continue
            infos += [Info(kind, o["metadata"]["name"], o["metadata"].get("namespace"), o) for o in objs]
    operation = "force deleted" if grace == 0 else "deleted"
    operation += dry_run_suffix(strategy)
    deleted: list[tuple[Info, str | None]] = []
    found = 0
    for info in infos:
        if strategy == "client":
            found += 1
            _print_deleted(inv, info, operation, out_fmt)
            continue
        try:
            result = inv.client.delete(
                info.kind.plural, info.name, info.namespace,
                grace_period_seconds=grace if grace >= 0 else None,
                propagation_policy=_CASCADE[cascade], dry_run=strategy == "server",
            )
        except NotFound as err:
            if not ignore_not_found:
                inv.problem(add_source("deleting", info.source, err))
            continue
        except APIError as err:
            inv.problem(add_source("deleting", info.source, err))
            continue
        found += 1
        _print_deleted(inv, info, operation, out_fmt)
        uid = (result.get("metadata") or {}).get("uid") if isinstance(result, dict) else None
        deleted.append((info, uid))
    if found == 0 and not inv.problems:
        inv.write("No resources found\n")
        return
    if not p.get("wait", True) or strategy != "none":
        return
    timeout = p.get("timeout") or None
    limit = timeout if timeout is not None else inv.limits.delete_timeout
    for info, uid in deleted:
        if not inv.wait_deleted(info, uid, limit):
            inv.problem(f"timed out waiting for the condition on {info.kind.plural}/{info.name}")


def _print_deleted(inv: Invocation, info: Info, operation: str, out_fmt: str) -> None:
    if out_fmt == "name":
        inv.write(f"{kind_string(info.kind)}/{info.name}\n")
    else:
        inv.write(f'{kind_string(info.kind)} "{info.name}" {operation}\n')


# ------------------------------------------------------------------ scale / set image
def cmd_scale(inv: Invocation) -> None:
    p = inv.parsed
    if not p.given("replicas"):
        if not p.args and not p.get("filename"):
            raise KubectlError(NO_RESOURCES_ERROR)
        raise KubectlError('error: required flag(s) "replicas" not set')
    replicas = int(p.get("replicas"))
    if replicas < 0:
        raise KubectlError("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
    current = int(p.get("current-replicas", -1))
    if current < -1:
        raise KubectlError("error: The --current-replicas must specify an integer of -1 or greater")
    infos = select(inv, p.args, allow_lists=bool(p.get("all") or p.get("selector")))
    strategy = dry_run_strategy(inv)
    fmt, arg = parse_output(p.get("output"))
    if not infos and not inv.problems:
        raise KubectlError("error: no objects passed to scale")
    for info in infos:
        if current >= 0:
            try:
                scale = inv.client.get(info.kind.plural, info.name, info.namespace, subresource="scale")
            except APIError as err:
                inv.problem(err)
                continue
            actual = int((scale.get("spec") or {}).get("replicas", 0))
            if actual != current:
                inv.problem(f"Expected replicas to be {current}, was {actual}")
                continue
        patch: dict[str, Any] = {"spec": {"replicas": replicas}}
        if p.get("resource-version"):
            patch["metadata"] = {"resourceVersion": p.get("resource-version")}
        if strategy != "client":
            try:
                inv.client.patch(info.kind.plural, info.name, patch, info.namespace, patch_type="merge",
                                 subresource="scale", dry_run=strategy == "server")
            except APIError as err:
                inv.problem(err)
                continue
        if fmt == "name":
            inv.write(f"{info.ref}\n")
        elif fmt:
            print_objects(inv, fmt, arg, [inv.client.get(info.kind.plural, info.name, info.namespace)], True)
        else:
            inv.write(f"{info.ref} scaled{dry_run_suffix(strategy)}\n")


def cmd_set_image(inv: Invocation) -> None:
    from .apply import two_way_patch

    p = inv.parsed
    resources, pairs = resources_and_pairs(p.args, "image")
    if not resources and not p.get("filename"):
        raise KubectlError(NO_RESOURCES_ERROR)
    images: dict[str, str] = {}
    for pair in pairs:
        name, sep, image = pair.partition("=")
        if not sep or not name:
            raise KubectlError(f"error: invalid image {pair}")
        images[name] = image
    if not images:
        raise KubectlError("error: at least one image update is required")
    if len(images) > 1 and "*" in images:
        raise KubectlError("error: all containers are already specified by *, but saw more than one "
                           "container_name=container_image pairs")
    infos = select(inv, resources, allow_lists=bool(p.get("all") or p.get("selector")))
    strategy = dry_run_strategy(inv)
    for info in infos:
        obj = info.obj or {}
        modified = deep_copy(obj)
        spec = pod_spec_of(modified)
        if spec is None:
            inv.problem(f"error: {info.ref} the object is not a pod or does not have a pod template: "
                        f"{obj.get('kind')}")
            continue
        for name, image in images.items():
            found = False
            for field_name in ("containers", "initContainers", "ephemeralContainers"):
                for c in spec.get(field_name) or []:
                    if name == "*" or c.get("name") == name:
                        c["image"] = image
                        found = True
            if not found:
                inv.problem(f'error: unable to find container named "{name}"')
        patch = two_way_patch(obj, modified)
        if not patch:
            continue
        if strategy != "client":
            try:
                inv.client.patch(info.kind.plural, info.name, patch, info.namespace, patch_type="strategic",
                                 dry_run=strategy == "server")
            except APIError as err:
                inv.problem(f"failed to patch image update to pod template: {format_errors([err])}")
                continue
        inv.write(f"{info.ref} image updated{dry_run_suffix(strategy)}\n")


# ------------------------------------------------------------------ label / annotate
def _parse_label_pairs(pairs: list[str]) -> tuple[dict[str, str], list[str]]:
    from ..api.naming import label_value_errors

    labels: dict[str, str] = {}
    remove: list[str] = []
    for spec in pairs:
        if "=" in spec:
            parts = spec.split("=")
            if len(parts) != 2:
                raise KubectlError(f"error: invalid label spec: {spec}")
            errors = label_value_errors(parts[1])
            if errors:  # kubectl's parseLabels: the validation messages joined by ";"
                raise KubectlError(f'error: invalid label value: "{spec}": {";".join(errors)}')
            labels[parts[0]] = parts[1]
        elif spec.endswith("-"):
            remove.append(spec[:-1])
        else:
            raise KubectlError(f"error: unknown label spec: {spec}")
    if any(r in labels for r in remove):
        raise KubectlError("error: can not both modify and remove a label in the same command")
    return labels, remove


def _parse_annotation_pairs(pairs: list[str]) -> tuple[dict[str, str], list[str]]:
    new: dict[str, str] = {}
    remove: list[str] = []
    invalid: list[str] = []
    for pair in pairs:
        if "=" in pair and not pair.startswith("="):
            k, _, v = pair.partition("=")
            new[k] = v
        elif pair.endswith("-") and pair != "-":
            remove.append(pair[:-1])
        else:
            invalid.append(pair)
    if invalid:
        raise KubectlError(f"error: invalid annotation format: {', '.join(invalid)}")
    both = [r for r in remove if r in new]
    if both:
        raise KubectlError("error: can not both modify and remove the following annotation(s) in the same command: "
                           + ", ".join(both))
    return new, remove


def _metadata_verb(inv: Invocation, field_name: str) -> None:
    """``label`` and ``annotate``: compute the new map, send a JSON merge patch, print the result."""
    p = inv.parsed
    label = field_name == "labels"
    what = "label" if label else "annotation"
    resources, pairs = resources_and_pairs(p.args, what)
    if label:
        new, remove = _parse_label_pairs(pairs)
    else:
        new, remove = _parse_annotation_pairs(pairs)
    if p.get("all") and p.get("selector"):
        raise KubectlError("error: cannot set --all and --selector at the same time")
    if not resources and not p.get("filename"):
        raise KubectlError("error: one or more resources must be specified as <resource> <name> or <resource>/<name>")
    if not new and not remove and not p.get("list"):
        raise KubectlError(f"error: at least one {what} update is required")
    infos = select(inv, resources, allow_lists=bool(p.get("all") or p.get("selector") or p.get("field-selector")))
    strategy = dry_run_strategy(inv)
    overwrite = bool(p.get("overwrite"))
    for info in infos:
        obj = info.obj or {}
        current = dict((obj.get("metadata") or {}).get(field_name) or {})
        if p.get("list"):
            if len(infos) > 1:
                inv.write(f"Listing {'labels' if label else 'annotations'} for {obj.get('kind')}.{info.kind.group}/{info.name}:\n")
            indent = " " if len(infos) > 1 else ""
            for k, v in current.items():
                inv.write(f"{indent}{k}={v}\n")
            continue
        if label:
            for r in remove:
                if r not in current:
                    inv.write(f'label "{r}" not found.\n')
            if not overwrite:
                clashes = [f"'{k}' already has a value ({current[k]}), and --overwrite is false" for k in new if k in current]
                if clashes:
                    inv.problem(clashes[0] if len(clashes) == 1 else "[" + ", ".join(clashes) + "]")
                    continue
        elif not overwrite:
            clashes = [f"'{k}' already has a value ({current[k]})" for k in new
                       if k in current and k != "kubernetes.io/change-cause"]
            if clashes:
                inv.problem("--overwrite is false but found the following declared annotation(s): " + "; ".join(clashes))
                continue
        updated = dict(current)
        updated.update(new)
        for r in remove:
            updated.pop(r, None)
        changed = updated != current or (field_name not in (obj.get("metadata") or {}))
        patch_md: dict[str, Any] = {}
        if updated != current:
            patch_md[field_name] = {**{k: v for k, v in new.items() if current.get(k) != v},
                                    **{r: None for r in remove if r in current}}
        if p.get("resource-version"):
            patch_md["resourceVersion"] = p.get("resource-version")
        if strategy != "client":  # an empty patch too, as kubectl sends it
            try:
                inv.client.patch(info.kind.plural, info.name, {"metadata": patch_md}, info.namespace,
                                 patch_type="merge", dry_run=strategy == "server")
            except APIError as err:
                inv.problem(err)
                continue
        if label:
            if not changed:
                op = "not labeled"
            elif not overwrite and len(updated) < len(current):
                op = "unlabeled"
            else:
                op = "labeled"
        else:
            op = "annotated"
        if p.get("output") == "name":
            inv.write(f"{info.ref}\n")
        else:
            inv.write(f"{info.ref} {op}{dry_run_suffix(strategy)}\n")


def cmd_label(inv: Invocation) -> None:
    _metadata_verb(inv, "labels")


def cmd_annotate(inv: Invocation) -> None:
    _metadata_verb(inv, "annotations")


# ------------------------------------------------------------------ patch
_PATCH_TYPES = {"strategic": "strategic", "merge": "merge", "json": "json"}


def cmd_patch(inv: Invocation) -> None:
    """``kubectl patch TYPE NAME -p PATCH [--type strategic|merge|json]`` (the patch may be YAML)."""
    import yaml

    p = inv.parsed
    text = p.get("patch")
    if p.get("patch-file"):
        try:
            with open(p.get("patch-file"), encoding="utf-8") as fh:
                text = fh.read()
        except OSError as err:
            raise KubectlError(f"error: unable to read patch file: {err}") from None
    if not text:
        raise KubectlError("error: must specify --patch or --patch-file containing the contents of the patch")
    patch_type = p.get("type") or "strategic"
    if patch_type not in _PATCH_TYPES:
        raise KubectlError(f'error: --type must be one of [json merge strategic], not "{patch_type}"')
    try:
        patch = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise KubectlError(f"error: unable to parse \"{text}\": {err}") from None
    strategy = dry_run_strategy(inv)
    infos = select(inv, p.args)
    for info in infos:
        before = info.obj or {}
        try:  # kubectl patch has no --validate and sends no fieldValidation: the server's Warn
            after = inv.client.patch(info.kind.plural, info.name, patch, info.namespace,
                                     patch_type=_PATCH_TYPES[patch_type], dry_run=strategy != "none")
        except APIError as err:
            inv.problem(err)
            continue
        inv.server_warnings()
        fmt, arg = parse_output(p.get("output"))
        if fmt and fmt != "name":
            print_objects(inv, fmt, arg, [after], True)
            continue
        changed = _without_rv(after) != _without_rv(before)
        op = "patched" if changed else "patched (no change)"
        inv.write(f"{info.ref}\n" if fmt == "name" else f"{info.ref} {op}{dry_run_suffix(strategy)}\n")


def _without_rv(obj: dict[str, Any]) -> dict[str, Any]:
    out = deep_copy(obj)
    (out.get("metadata") or {}).pop("resourceVersion", None)
    return out
