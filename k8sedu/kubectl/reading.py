"""The verbs that only read: ``get``, ``describe``, ``wait``, ``api-resources``, ``version``,
``explain``.

``get`` prints the server's columns for each type (see :mod:`.printers`), one table per type with
an empty line between them, names prefixed by their type when several types were asked for
(``kubectl get deploy,rs``, ``kubectl get all``); ``describe`` gathers what upstream's describers
fetch (the object, its Events, its ReplicaSets or Pods...) and hands it to :mod:`.describe`.
"""

from __future__ import annotations

import time
from typing import Any

from ..api import kinds
from ..api.kinds import Kind
from ..errors import APIError, KubectlError, NotFound
from . import describe as describing
from . import output, printers
from .context import (
    Info,
    Invocation,
    kind_string,
    parse_output,
    print_objects,
    request_timeout,
    select,
)

__all__ = ["VERSION", "cmd_get", "cmd_describe", "cmd_api_resources", "cmd_version", "cmd_explain",
           "cmd_wait", "events_for", "multiple_types_requested"]

VERSION = "v1.32.0-k8sedu"


KUSTOMIZE_VERSION = "v5.5.0"


# ------------------------------------------------------------------ get
def multiple_types_requested(args: list[str]) -> bool:
    """upstream's MultipleTypesRequested: ``all``, ``deploy,rs``, or TYPE/NAME args of several types;
    kubectl then prefixes names with their type (``deployment.apps/web``)."""
    if len(args) == 1 and args[0] == "all":
        return True
    seen: set[str] = set()
    for arg in args:
        if "/" not in arg:
            if "," in arg and len([a for a in dict.fromkeys(arg.split(",")) if a]) > 1:
                return True
            continue
        seen.add(arg.split("/", 1)[0])
    return len(seen) > 1


def cmd_get(inv: Invocation) -> None:
    p = inv.parsed
    fmt, arg = parse_output(p.get("output"))
    args = p.args
    if not args and not p.get("filename"):
        raise KubectlError(
            'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of '
            "supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" "
            "for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for "
            "help and examples"
        )
    if p.get("watch") or p.get("watch-only"):
        return _get_watch(inv, fmt)
    ignore_not_found = bool(p.get("ignore-not-found"))
    requested: list[Kind] = []
    if p.get("filename"):
        infos = select(inv, args)
        requested = [i.kind for i in infos]
        single = len(infos) == 1
    else:
        named, types = inv.targets(args)
        if named and (p.get("selector") or p.get("field-selector")):
            raise KubectlError("error: name cannot be provided when a selector is specified")
        requested = [i.kind for i in named] + types
        single = len(named) == 1 and not types and ("/" in args[0] or len(args) == 2) and "," not in args[0]
        infos = []
        for info in named:
            try:
                info.obj = inv.client.get(info.kind.plural, info.name, info.namespace)
                infos.append(info)
            except NotFound as err:
                if not ignore_not_found:
                    inv.problem(err)
            except APIError as err:
                inv.problem(err)
        for kind in types:
            try:
                objs = inv.list_objects(kind, p.get("selector"), p.get("field-selector"))
            except APIError as err:
                inv.problem(err)
                continue
            infos += [Info(kind, o["metadata"]["name"], o["metadata"].get("namespace"), o) for o in objs]
    if p.get("sort-by"):
        infos = sort_infos(infos, str(p.get("sort-by")))
    many_types = multiple_types_requested(args)
    objs = [i.obj for i in infos if i.obj is not None]
    if fmt in ("", "wide"):
        _print_tables(inv, infos, fmt == "wide", with_kind=many_types or bool(p.get("show-kind")))
        if not infos and not inv.problems and not ignore_not_found:
            namespaced = all(k.namespaced for k in requested) if requested else True
            inv.note(printers.no_resources_message(inv.namespace, inv.all_namespaces, namespaced))
        return
    print_objects(inv, fmt, arg, objs, single)


def sort_infos(infos: list[Info], field: str) -> list[Info]:
    """``--sort-by=.metadata.name``: by the JSONPath's value, numbers as numbers; objects without
    the field first, as kubectl does."""
    expr = field if field.startswith("{") else "{" + (field if field.startswith(".") else "." + field) + "}"

    def key(info: Info) -> tuple[int, float, str]:
        try:
            text = output.jsonpath(expr, info.obj or {})
        except output.JSONPathError as err:
            raise KubectlError(f"error: couldn't find any field with path \"{expr}\" in the list of objects: {err}") from None
        if text == "":
            return (0, 0.0, "")
        try:
            return (1, float(text), "")
        except ValueError:
            return (2, 0.0, text)

    return sorted(infos, key=key)


def _print_tables(inv: Invocation, infos: list[Info], wide: bool, with_kind: bool) -> None:
    p = inv.parsed
    groups: list[tuple[Kind, list[dict[str, Any]]]] = []
    for info in infos:
        if groups and groups[-1][0] == info.kind:
            groups[-1][1].append(info.obj or {})
        else:
            groups.append((info.kind, [info.obj or {}]))
    written = False
    for kind, objs in groups:
        text = printers.table(
            kind.plural, objs, now=inv.now(), wide=wide, show_labels=bool(p.get("show-labels")),
            all_namespaces=inv.all_namespaces, label_columns=list(p.get("label-columns") or []),
            no_headers=bool(p.get("no-headers")), with_kind=kind_string(kind) if with_kind else None,
        )
        if text and written and not p.get("no-headers"):
            inv.write("\n")
        if text:
            inv.write(text)
            written = True


def _get_watch(inv: Invocation, fmt: str) -> None:
    """``get -w``, bounded for notebooks: the current table, then one row per change until
    ``--request-timeout`` (default: the runner's watch limit) passes. Rows stay aligned with the
    table above them, as kubectl's tabwriter remembers its column widths."""
    p = inv.parsed
    named, types = inv.targets(p.args)
    kinds_ = list(dict.fromkeys([i.kind for i in named] + types))
    if len(kinds_) != 1:
        raise KubectlError("error: watch is only supported on individual resources and resource collections - "
                           "more than 1 resource was found")
    kind = kinds_[0]
    field_sel = p.get("field-selector") or None
    if named:
        field_sel = f"metadata.name={named[0].name}"
    listing = inv.client.list(kind.plural, inv.namespace_for(kind), p.get("selector") or None, field_sel)
    shown: list[dict[str, Any]] = [] if p.get("watch-only") else list(listing["items"])

    def render(objs: list[dict[str, Any]]) -> str:
        return printers.table(kind.plural, objs, now=inv.now(), wide=fmt == "wide", all_namespaces=inv.all_namespaces,
                              show_labels=bool(p.get("show-labels")), sort_events=False)

    if shown:
        inv.write(render(shown))
    elif not p.get("watch-only"):
        inv.note(printers.no_resources_message(inv.namespace, inv.all_namespaces, kind.namespaced))
    limit = request_timeout(inv) or inv.limits.watch
    w = inv.client.watch(kind.plural, inv.namespace_for(kind), listing["metadata"].get("resourceVersion"),
                         p.get("selector") or None, field_sel)
    deadline = time.monotonic() + inv.clock.real_seconds(limit)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            event = w.next(min(0.5, remaining))
            if event is None:
                if w.stopped:
                    break
                continue
            lines = render(shown + [event.object]).splitlines(keepends=True)
            inv.write("".join(lines) if not shown else lines[-1])  # the header only once
            shown.append(event.object)
    finally:
        w.stop()


# ------------------------------------------------------------------ describe
def _related(inv: Invocation, obj: dict[str, Any]) -> dict[str, Any]:
    kind = obj.get("kind")
    md = obj.get("metadata") or {}
    ns = md.get("namespace")
    spec = obj.get("spec") or {}
    related: dict[str, Any] = {}

    def items(resource: str, namespace: str | None, label: str | None = None, fields: str | None = None) -> list[Any]:
        try:
            return inv.client.items(resource, namespace, label, fields)
        except (APIError, KubectlError):
            return []

    def selector_text() -> str | None:
        from ..api import selectors

        try:
            return str(selectors.from_label_selector(spec.get("selector")))
        except Exception:
            return None

    if kind == "Deployment":
        related["replicasets"] = items("replicasets", ns, selector_text())
    elif kind in ("ReplicaSet", "Job", "DaemonSet", "StatefulSet", "ReplicationController"):
        sel = spec.get("selector")
        if kind == "ReplicationController" and isinstance(sel, dict):
            related["pods"] = items("pods", ns, ",".join(f"{k}={v}" for k, v in sel.items()))
        else:
            related["pods"] = items("pods", ns, selector_text())
    elif kind == "Node":
        related["pods"] = items("pods", None, None, f"spec.nodeName={md.get('name', '')}")
        try:
            related["lease"] = inv.client.get("leases", md.get("name", ""), "kube-node-lease")
        except (APIError, KubectlError):
            pass
    elif kind == "Service":
        related["endpointslices"] = items("endpointslices", ns, f"kubernetes.io/service-name={md.get('name', '')}")
    elif kind == "ServiceAccount":
        related["secrets"] = items("secrets", ns)
    elif kind == "Namespace":
        related["resourcequotas"] = items("resourcequotas", md.get("name"))
        related["limitranges"] = items("limitranges", md.get("name"))
    elif kind == "PersistentVolumeClaim":
        related["pods"] = items("pods", ns)
    elif kind == "Ingress":  # each backend is shown with its Service's endpoints
        related["services"] = items("services", ns)
        related["endpointslices"] = items("endpointslices", ns)
    return related


def events_for(inv: Invocation, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The Events whose involvedObject is *obj* (kubectl's searchEvents)."""
    md = obj.get("metadata") or {}
    ns = md.get("namespace")
    fields = [f"involvedObject.name={md.get('name', '')}", f"involvedObject.kind={obj.get('kind', '')}"]
    if ns:
        fields += [f"involvedObject.namespace={ns}", f"involvedObject.uid={md.get('uid', '')}"]
    try:
        return inv.client.items("events", ns, None, ",".join(fields))
    except APIError:
        return []


def cmd_describe(inv: Invocation) -> None:
    p = inv.parsed
    args = p.args
    if not args and not p.get("filename"):
        raise KubectlError('error: You must specify the type of resource to describe. Use "kubectl api-resources" '
                           "for a complete list of supported resources.")
    if p.get("filename"):
        infos = select(inv, args)
        requested = [i.kind for i in infos]
    else:
        named, types = inv.targets(args)
        requested = [i.kind for i in named] + types
        infos = []
        for info in named:
            try:
                info.obj = inv.client.get(info.kind.plural, info.name, info.namespace)
                infos.append(info)
            except NotFound as err:
                if len(args) == 2 and "/" not in args[0]:
                    # upstream: no exact match, so describe every object whose name starts with it
                    matches = [o for o in inv.list_objects(info.kind) if o["metadata"]["name"].startswith(info.name)]
                    if matches:
                        infos += [Info(info.kind, o["metadata"]["name"], o["metadata"].get("namespace"), o)
                                  for o in matches]
                        continue
                inv.problem(err)
            except APIError as err:
                inv.problem(err)
        for kind in types:
            try:
                objs = inv.list_objects(kind, p.get("selector"), p.get("field-selector"))
            except APIError as err:
                inv.problem(err)
                continue
            infos += [Info(kind, o["metadata"]["name"], o["metadata"].get("namespace"), o) for o in objs]
    if not infos and not inv.problems:
        namespaced = all(k.namespaced for k in requested) if requested else True
        inv.note(printers.no_resources_message(inv.namespace, inv.all_namespaces, namespaced))
        return
    first = True
    for info in infos:
        obj = info.obj or {}
        events = events_for(inv, obj) if p.get("show-events", True) else None
        text = describing.describe(obj, events, now=inv.now(), related=_related(inv, obj))
        inv.write(text if first else "\n\n" + text)
        first = False


# ------------------------------------------------------------------ api-resources / version / explain
def cmd_api_resources(inv: Invocation) -> None:
    p = inv.parsed
    fmt = p.get("output") or ""
    if fmt not in ("", "wide", "name"):
        raise KubectlError(f'error: --output {fmt} is not available')
    rows = []
    for k in kinds.all_kinds():
        if not k.verbs:
            continue
        if p.given("api-group") and k.group != p.get("api-group"):
            continue
        if p.given("namespaced") and k.namespaced != bool(p.get("namespaced")):
            continue
        wanted = [v for v in (p.get("verbs") or [])]
        if wanted and not set(wanted) <= set(k.verbs):
            continue
        if p.get("categories") and not set(p.get("categories")) <= set(k.categories):
            continue
        rows.append(k)
    sort_by = p.get("sort-by") or ""
    if sort_by not in ("", "name", "kind"):
        raise KubectlError('error: --sort-by accepts only name or kind')
    rows.sort(key=lambda k: ((k.plural if sort_by == "name" else k.kind if sort_by == "kind" else k.group), k.plural))
    if fmt == "name":
        inv.write("".join(f"{k.plural}.{k.group}\n" if k.group else f"{k.plural}\n" for k in rows))
        return
    lines = []
    if not p.get("no-headers"):
        header = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
        if fmt == "wide":
            header += ["VERBS", "CATEGORIES"]
        lines.append("\t".join(header))
    for k in rows:
        cells = [k.plural, ",".join(k.short_names), k.api_version, "true" if k.namespaced else "false", k.kind]
        if fmt == "wide":
            cells += ["[" + " ".join(sorted(k.verbs)) + "]", ",".join(k.categories)]
        lines.append("\t".join(cells))
    inv.write(printers.tabwrite("\n".join(lines) + "\n"))


def cmd_version(inv: Invocation) -> None:
    p = inv.parsed
    fmt = p.get("output") or ""
    if fmt not in ("", "yaml", "json"):
        raise KubectlError("error: --output must be 'yaml' or 'json'")
    server = getattr(inv.client.apiserver, "version", VERSION)
    info = {"clientVersion": _version_info(VERSION), "kustomizeVersion": KUSTOMIZE_VERSION}
    if not p.get("client"):
        info["serverVersion"] = _version_info(str(server))
    if fmt == "yaml":
        inv.write(output.to_yaml(info))
    elif fmt == "json":
        inv.write(output.to_json(info))
    else:
        inv.write(f"Client Version: {VERSION}\nKustomize Version: {KUSTOMIZE_VERSION}\n")
        if not p.get("client"):
            inv.write(f"Server Version: {server}\n")


def _version_info(version: str) -> dict[str, Any]:
    core = version.lstrip("v").split("-")[0].split(".")
    return {"major": core[0], "minor": core[1] if len(core) > 1 else "0", "gitVersion": version,
            "gitCommit": "", "gitTreeState": "clean", "buildDate": "", "goVersion": "", "compiler": "python",
            "platform": "k8sedu"}


def cmd_explain(inv: Invocation) -> None:
    p = inv.parsed
    if not p.args:
        raise KubectlError('error: You must specify the type of resource to explain. Use "kubectl api-resources" for '
                           "a complete list of supported resources.")
    path = p.args[0].split(".")
    kind = inv.kind(path[0])
    inv.write(f"GROUP:      {kind.group}\n" if kind.group else "")
    inv.write(f"KIND:       {kind.kind}\nVERSION:    {kind.version}\n\n")
    if len(path) > 1:
        inv.write(f"FIELD: {path[-1]}\n\n")
    inv.write("DESCRIPTION:\n    k8sedu's built-in kubectl has no OpenAPI documents; run the real kubectl "
              "against `k8sedu serve` for the full explanation.\n")


# ------------------------------------------------------------------ wait
def _wait_condition(spec: str) -> tuple[str, str, str]:
    """``--for`` as (mode, key, wanted): ("delete", "", ""), ("condition", "Ready", "true"),
    ("jsonpath", "{.status.phase}", "Running")."""
    if spec == "delete":
        return "delete", "", ""
    if spec.startswith("condition="):
        body = spec[len("condition="):]
        name, sep, value = body.partition("=")
        return "condition", name, (value if sep else "true").lower()
    if spec.startswith("jsonpath="):
        body = spec[len("jsonpath="):]
        expr, sep, value = body.rpartition("=") if not body.endswith("}") else (body, "", "")
        if not sep:
            expr = body
        if not expr.startswith("{"):
            expr = "{" + expr + "}"
        return "jsonpath", expr, value
    if spec.startswith("create"):
        return "create", "", ""
    raise KubectlError(f'error: unrecognized condition: "{spec}"')


def _condition_met(obj: dict[str, Any], mode: str, key: str, wanted: str) -> bool:
    if mode == "condition":
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if str(cond.get("type", "")).lower() == key.lower():
                return str(cond.get("status", "")).lower() == wanted
        return False
    if mode == "jsonpath":
        try:
            value = output.jsonpath(key, obj)
        except output.JSONPathError as err:
            raise KubectlError(f"error: {err}") from None
        return value == wanted if wanted else value != ""
    return True  # create: it exists


def cmd_wait(inv: Invocation) -> None:
    """``kubectl wait --for=condition=Available deployment/web``: watch until it holds."""
    p = inv.parsed
    spec = p.get("for") or ""
    mode, key, wanted = _wait_condition(spec)
    timeout = p.get("timeout")
    timeout = 30.0 if timeout is None else timeout
    infos = select(inv, p.args, allow_lists=bool(p.get("all") or p.get("selector")))
    if not infos and not inv.problems:
        raise KubectlError("error: no matching resources found")
    for info in infos:
        if mode == "delete":
            uid = ((info.obj or {}).get("metadata") or {}).get("uid")
            if not inv.wait_deleted(info, uid, timeout or None):
                inv.problem(f"timed out waiting for the condition on {info.kind.plural}/{info.name}")
                continue
        else:
            deadline = time.monotonic() + inv.clock.real_seconds(timeout)
            listing = inv.client.list(info.kind.plural, info.namespace, None, f"metadata.name={info.name}")
            current = listing["items"][0] if listing["items"] else None
            met = current is not None and _condition_met(current, mode, key, wanted)
            if not met and timeout > 0:
                w = inv.client.watch(info.kind.plural, info.namespace, listing["metadata"].get("resourceVersion"),
                                     None, f"metadata.name={info.name}")
                try:
                    while not met and time.monotonic() < deadline:
                        event = w.next(min(0.5, max(0.0, deadline - time.monotonic())))
                        if event is not None and event.type in ("ADDED", "MODIFIED"):
                            met = _condition_met(event.object, mode, key, wanted)
                finally:
                    w.stop()
            if not met:
                inv.problem(f"timed out waiting for the condition on {info.kind.plural}/{info.name}")
                continue
        inv.write(f"{info.ref} condition met\n")
