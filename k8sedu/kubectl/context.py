"""One kubectl command while it runs: its flags, its output, its errors, and the helpers every verb
shares (which objects do ``TYPE NAME``, ``TYPE/NAME`` or ``-l app=web`` mean; the names kubectl
prints for them; waiting with a deadline).

kubectl writes results to stdout and notes (``Warning: ...``, ``No resources found ...``) to
stderr. A notebook shows both, in order, so an :class:`Invocation` keeps them in one transcript;
errors are collected as kubectl collects them (it carries on after most) and raised at the end as
one :class:`~k8sedu.errors.KubectlError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..api import kinds
from ..api.kinds import Kind
from ..apiserver import UserInfo
from ..errors import APIError, Forbidden, KubectlError
from . import output, printers
from .args import Parsed, parse_duration
from .manifests import load_paths
from .messages import Problem, format_errors

if TYPE_CHECKING:
    from ..client import Client
    from ..clock import Clock

__all__ = [
    "Invocation",
    "Info",
    "Limits",
    "kind_string",
    "ALL_CATEGORY_ORDER",
    "NO_RESOURCES_ERROR",
    "dry_run_strategy",
    "dry_run_suffix",
    "validation_directive",
    "request_timeout",
    "usage_error_h",
    "parse_output",
    "print_objects",
    "pod_spec_of",
    "resources_and_pairs",
    "infos_from_files",
    "select",
]

#: group order of ``kubectl get all`` (discovery order: the core group first)
ALL_CATEGORY_ORDER = ("", "apps", "autoscaling", "batch")

_NAME_FORM_ERROR = (
    "there is no need to specify a resource type as a separate argument when passing arguments in "
    "resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of "
    "'kubectl get resource resource/<resource_name>'"
)


@dataclass(frozen=True)
class Limits:
    """How long a notebook cell may wait where a terminal would wait forever (cluster seconds):
    deletion without ``--timeout`` (None: no limit), ``logs -f``, and ``get -w`` without
    ``--request-timeout``."""

    delete_timeout: float | None = 300.0
    follow: float = 10.0
    watch: float = 10.0


def kind_string(kind: Kind) -> str:
    """``deployment.apps`` / ``pod``: how kubectl names a type in ``deployment.apps/web created``."""
    return f"{kind.kind.lower()}.{kind.group}" if kind.group else kind.kind.lower()


@dataclass
class Info:
    """One object a command acts on (upstream's resource.Info)."""

    kind: Kind
    name: str
    namespace: str | None
    obj: dict[str, Any] | None = None
    source: str = ""

    @property
    def ref(self) -> str:
        return f"{kind_string(self.kind)}/{self.name}"


def _sort_all(found: list[Kind]) -> list[Kind]:
    def key(k: Kind) -> tuple[int, str, str]:
        rank = ALL_CATEGORY_ORDER.index(k.group) if k.group in ALL_CATEGORY_ORDER else len(ALL_CATEGORY_ORDER)
        return (rank, k.group, k.plural)

    return sorted(found, key=key)


class Invocation:
    """The state of one ``run()``: parsed flags, the (maybe impersonated) client, the transcript."""

    def __init__(self, client: Client, clock: Clock, default_namespace: str, parsed: Parsed,
                 stdin: str | None = None, stream: Callable[[str], None] | None = None,
                 limits: Limits | None = None) -> None:
        self.parsed = parsed
        self.limits = limits or Limits()
        self.clock = clock
        self.stdin = stdin
        self.stream = stream
        self.namespace: str = parsed.get("namespace") or default_namespace
        self.namespace_given = parsed.given("namespace") and bool(parsed.get("namespace"))
        self.all_namespaces = bool(parsed.flags.get("all-namespaces"))
        self.problems: list[Problem] = []
        self._chunks: list[str] = []
        self._warned: set[str] = set()  # server warnings already printed (kubectl prints each once)
        self.client = self._impersonate(client, parsed)

    # ------------------------------------------------------------------ identity
    @staticmethod
    def _impersonate(client: Client, parsed: Parsed) -> Client:
        name = parsed.get("as")
        groups = tuple(parsed.get("as-group") or ())
        if not name and not groups:
            return client
        if not name:
            raise KubectlError("error: requesting uid, groups or user-extra for test without impersonating a user")
        authz = client.apiserver.authz
        if not authz.allowed(client.user, "impersonate", "", "users", None, name):
            raise KubectlError(format_errors([Forbidden(
                f'users "{name}" is forbidden: User "{client.user.name}" cannot impersonate resource '
                f'"users" in API group "" at the cluster scope')]))
        if name.startswith("system:serviceaccount:") and not groups and name.count(":") == 3:
            # as upstream's impersonation filter: a service account gets its groups
            namespace = name.split(":")[2]
            groups = ("system:serviceaccounts", f"system:serviceaccounts:{namespace}")
        all_groups = tuple(dict.fromkeys(groups + ("system:authenticated",)))
        return client.for_user(UserInfo(name, all_groups))

    # ------------------------------------------------------------------ transcript
    def write(self, text: str) -> None:
        """stdout."""
        if not text:
            return
        self._chunks.append(text)
        if self.stream is not None:
            self.stream(text)

    def note(self, text: str) -> None:
        """stderr that is not an error (warnings, "No resources found"); one line."""
        self.write(text if text.endswith("\n") else text + "\n")

    def warn(self, message: str) -> None:
        self.note(f"Warning: {message}")

    def server_warnings(self) -> None:
        """Print the apiserver's warnings for the request just made (``Warning: unknown field
        "spec.foo"``), each once per command, as kubectl's deduplicating warning writer does
        (on stderr, before the result line)."""
        for warning in getattr(self.client, "last_warnings", None) or ():
            if warning not in self._warned:
                self._warned.add(warning)
                self.warn(warning)

    def transcript(self) -> str:
        return "".join(self._chunks)

    def problem(self, p: Problem) -> None:
        self.problems.append(p)

    def finish(self) -> str:
        if self.problems:
            err = KubectlError(format_errors(self.problems))
            err.output = self.transcript()  # type: ignore[attr-defined]
            raise err
        return self.transcript()

    # ------------------------------------------------------------------ time
    def now(self) -> float:
        return self.clock.now()

    # ------------------------------------------------------------------ flags
    def flag(self, name: str, default: Any = None) -> Any:
        return self.parsed.get(name, default)

    def given(self, name: str) -> bool:
        return self.parsed.given(name)

    # ------------------------------------------------------------------ resources
    @staticmethod
    def kind(name: str) -> Kind:
        """kubectl's REST mapping of a type name; ``error: the server doesn't have a resource type``."""
        return kinds.lookup(name)

    def expand_types(self, text: str) -> list[Kind]:
        out: list[Kind] = []
        for part in text.split(","):
            if not part:
                continue
            if part.lower() == "all":
                out += _sort_all([k for k in kinds.all_kinds() if "all" in k.categories])
            else:
                out.append(self.kind(part))
        return list(dict.fromkeys(out))

    def namespace_for(self, kind: Kind) -> str | None:
        if not kind.namespaced:
            return None
        return None if self.all_namespaces else self.namespace

    def targets(self, args: list[str], *, allow_lists: bool = True) -> tuple[list[Info], list[Kind]]:
        """``TYPE NAME...``, ``TYPE/NAME...``, ``TYPE1,TYPE2``: named objects (``Info``) and the
        types to list (all of them, or those matching ``-l``)."""
        if not args:
            return [], []
        if any("/" in a for a in args):
            if not all("/" in a for a in args):
                raise KubectlError(f"error: {_NAME_FORM_ERROR}")
            infos = []
            for a in args:
                type_name, _, name = a.partition("/")
                if not type_name or not name:
                    raise KubectlError("error: arguments in resource/name form must have a single resource and name")
                kind = self.kind(type_name)
                infos.append(Info(kind, name, self.namespace if kind.namespaced else None))
            return infos, []
        types = self.expand_types(args[0])
        names = args[1:]
        if names:
            return [Info(k, n, self.namespace if k.namespaced else None) for k in types for n in names], []
        if not allow_lists:
            raise KubectlError("error: resource(s) were provided, but no name was specified")
        return [], types

    def fetch(self, info: Info) -> dict[str, Any] | None:
        """GET the object of *info* (kept on it); a NotFound or other API error becomes a problem."""
        try:
            info.obj = self.client.get(info.kind.plural, info.name, info.namespace)
        except APIError as err:
            self.problem(err)
            return None
        return info.obj

    def list_objects(self, kind: Kind, selector: str | None = None,
                     field_selector: str | None = None) -> list[dict[str, Any]]:
        """LIST *kind* in the command's namespace (all of them with ``-A``)."""
        return self.client.items(kind.plural, self.namespace_for(kind), selector or None, field_selector or None)

    def collect(self, args: list[str], *, allow_lists: bool = True) -> list[Info]:
        """Everything *args* (plus ``-l``/``--field-selector``/``--all``) selects, fetched."""
        selector = self.flag("selector")
        field_selector = self.flag("field-selector")
        infos, types = self.targets(args, allow_lists=allow_lists or bool(selector) or bool(self.flag("all")))
        if infos and (selector or field_selector) and not self.flag("all"):
            raise KubectlError("error: name cannot be provided when a selector is specified")
        out: list[Info] = []
        for info in infos:
            if self.fetch(info) is not None:
                out.append(info)
        for kind in types:
            try:
                objs = self.list_objects(kind, selector, field_selector)
            except APIError as err:
                self.problem(err)
                continue
            for obj in objs:
                md = obj.get("metadata") or {}
                out.append(Info(kind, md.get("name", ""), md.get("namespace"), obj))
        return out

    # ------------------------------------------------------------------ waiting
    def wait_until(self, check: Callable[[], bool], timeout: float | None, poll: float = 0.05) -> bool:
        """Call *check* until it is true or *timeout* cluster seconds pass (None: no limit)."""
        deadline = None if timeout is None else time.monotonic() + self.clock.real_seconds(timeout)
        while True:
            if check():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))

    def wait_deleted(self, info: Info, uid: str | None, timeout: float | None) -> bool:
        """Wait until *info*'s object is gone (or replaced by a new one with another uid): one GET,
        then a watch on its name from that revision, so the wait ends the moment the apiserver
        reports DELETED. *timeout* is in cluster seconds (None: no limit)."""
        deadline = None if timeout is None else time.monotonic() + self.clock.real_seconds(timeout)
        try:
            current = self.client.get(info.kind.plural, info.name, info.namespace)
        except APIError:
            return True
        md = current.get("metadata") or {}
        if uid and md.get("uid") != uid:
            return True
        w = self.client.watch(info.kind.plural, info.namespace, md.get("resourceVersion"), None,
                              f"metadata.name={info.name}")
        try:
            while True:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                event = w.next(0.5 if remaining is None else min(0.5, remaining))
                if event is not None and event.type == "DELETED":
                    return True
                if event is None and w.stopped:
                    return self.client.get_or_none(info.kind.plural, info.name, info.namespace) is None
        finally:
            w.stop()


# ------------------------------------------------------------------ shared by the verbs
NO_RESOURCES_ERROR = (
    "error: You must provide one or more resources by argument or filename.\n"
    "Example resource specifications include:\n"
    "   '-f rsrc.yaml'\n"
    "   '--filename=rsrc.json'\n"
    "   '<resource> <name>'\n"
    "   '<resource>'"
)


_OUTPUT_FORMATS = ("custom-columns", "custom-columns-file", "go-template", "go-template-file", "json",
                   "jsonpath", "jsonpath-as-json", "jsonpath-file", "name", "template", "templatefile",
                   "wide", "yaml")


def dry_run_strategy(inv: Invocation) -> str:
    value = str(inv.flag("dry-run", "none"))
    if value == "unchanged":
        raise KubectlError('error: --dry-run flag without a value was specified. A value must be set: '
                           '"none", "server", or "client".')
    if value not in ("none", "client", "server"):
        raise KubectlError(f'error: Invalid dry-run value ({value}). Must be "none", "server", or "client".')
    return value


_VALIDATE = {"strict": "Strict", "warn": "Warn", "ignore": "Ignore"}
_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")  # strconv.ParseBool
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def validation_directive(inv: Invocation) -> str:
    """``--validate`` as the ``fieldValidation`` kubectl sends (cmdutil.GetValidationDirective):
    strict or true → "Strict" (the default), warn → "Warn", ignore or false → "Ignore"."""
    value = str(inv.flag("validate", "strict"))
    if value in _GO_TRUE:
        return "Strict"
    if value in _GO_FALSE:
        return "Ignore"
    if value in _VALIDATE:
        return _VALIDATE[value]
    raise KubectlError(f'error: invalid - validate option "{value}"; must be one of: strict (or true), '
                       "warn, ignore (or false)")


def dry_run_suffix(strategy: str) -> str:
    return {"client": " (dry run)", "server": " (server dry run)"}.get(strategy, "")


def request_timeout(inv: Invocation) -> float | None:
    """``--request-timeout`` in seconds (``30``, ``30s``, ``1m``); None when not given or 0."""
    raw = str(inv.flag("request-timeout") or "0")
    try:
        value = float(raw) if raw.replace(".", "", 1).isdigit() else parse_duration(raw)
    except ValueError:
        raise KubectlError("error: invalid timeout value. Timeout must be a single integer in seconds, or an "
                           "integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)") from None
    return value or None


def usage_error_h(message: str, command: str) -> KubectlError:
    return KubectlError(f"error: {message}\nSee 'kubectl {command} -h' for help and examples")


def parse_output(value: str | None, allowed: Sequence[str] = _OUTPUT_FORMATS) -> tuple[str, str]:
    """``-o`` as (format, argument): ``("jsonpath", "{.x}")``, ``("yaml", "")``, ``("", "")``."""
    text = value or ""
    fmt, _, arg = text.partition("=")
    if not text:
        return "", ""
    if fmt not in allowed:
        allowed_text = ",".join(allowed)
        raise KubectlError(
            f'error: unable to match a printer suitable for the output format "{text}", allowed formats are: '
            f"{allowed_text}"
        )
    if fmt in ("jsonpath", "custom-columns", "go-template", "template") and not arg:
        raise KubectlError(f"error: {fmt} template format specified but no template given")
    return fmt, arg


def print_objects(inv: Invocation, fmt: str, arg: str, objs: list[dict[str, Any]], single: bool) -> None:
    """-o yaml|json|name|jsonpath|custom-columns for objects (a List unless *single*)."""
    target: Any = objs[0] if single and len(objs) == 1 else objs
    show_managed = bool(inv.flag("show-managed-fields", False))
    if fmt == "yaml":
        inv.write(output.to_yaml(target, show_managed_fields=show_managed))
    elif fmt == "json":
        inv.write(output.to_json(target, show_managed_fields=show_managed))
    elif fmt == "name":
        inv.write(output.names(None, objs))
    elif fmt in ("jsonpath", "jsonpath-as-json"):
        try:
            inv.write(output.jsonpath(arg, target))
        except output.JSONPathError as err:
            raise KubectlError(f"error: {err}") from None
    elif fmt == "custom-columns":
        inv.write(_custom_columns(arg, objs, bool(inv.flag("no-headers", False))))
    else:
        raise KubectlError(f'error: output format "{fmt}" is not supported by k8sedu\'s built-in kubectl')


def _custom_columns(spec: str, objs: list[dict[str, Any]], no_headers: bool) -> str:
    columns = []
    for part in spec.split(","):
        header, sep, expr = part.partition(":")
        if not sep:
            raise KubectlError(f'error: unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>')
        expr = expr.strip()
        if not expr.startswith("{"):
            expr = "{" + (expr if expr.startswith(".") else "." + expr) + "}"
        columns.append((header, expr))
    lines = [] if no_headers else ["\t".join(h for h, _ in columns)]
    for obj in objs:
        cells = []
        for _, expr in columns:
            try:
                value = output.jsonpath(expr, obj)
            except output.JSONPathError as err:
                raise KubectlError(f"error: {err}") from None
            cells.append(value.replace(" ", ",") if value else "<none>")
        lines.append("\t".join(cells))
    return printers.tabwrite("\n".join(lines) + "\n")


def pod_spec_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """Where the Pod spec is: a Pod's spec, a workload's template, a CronJob's job template."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template", {}).get("spec")
    template = spec.get("template")
    return template.get("spec") if isinstance(template, dict) else None


def resources_and_pairs(args: list[str], pair_type: str) -> tuple[list[str], list[str]]:
    """upstream's GetResourcesAndPairs: ``pods web app=x tier-`` → (["pods", "web"], ["app=x", "tier-"])."""
    resources: list[str] = []
    pairs: list[str] = []
    for s in args:
        pair = ("=" in s and not s.startswith("=")) or (s.endswith("-") and s != "-")
        if pair:
            pairs.append(s)
        elif pairs:
            raise KubectlError(f"error: all resources must be specified before {pair_type} changes: {s}")
        else:
            resources.append(s)
    return resources, pairs


def infos_from_files(inv: Invocation) -> list[Info]:
    """The objects named by ``-f``: kind, name and namespace from each manifest."""
    manifests, errors = load_paths(list(inv.flag("filename") or []), inv.stdin, bool(inv.flag("recursive")))
    for e in errors:
        inv.problem(e)
    infos = []
    for m in manifests:
        kind = kinds.for_object(m.obj)
        md = m.obj.get("metadata") or {}
        ns = None
        if kind.namespaced:
            ns = md.get("namespace") or inv.namespace
            if inv.namespace_given and md.get("namespace") and md["namespace"] != inv.namespace:
                raise KubectlError(
                    f'error: the namespace from the provided object "{md["namespace"]}" does not match the namespace '
                    f'"{inv.namespace}". You must pass \'--namespace={md["namespace"]}\' to perform this operation.'
                )
        infos.append(Info(kind, str(md.get("name", "")), ns, m.obj, m.source))
    return infos


def select(inv: Invocation, args: list[str], *, allow_lists: bool = True) -> list[Info]:
    """The objects a verb works on: from ``-f`` files (fetched live) or from the arguments."""
    if inv.flag("filename"):
        infos = infos_from_files(inv)
        found = []
        for info in infos:
            try:
                info.obj = inv.client.get(info.kind.plural, info.name, info.namespace)
                found.append(info)
            except APIError as err:
                inv.problem(err)
        return found
    if not args:
        raise KubectlError(NO_RESOURCES_ERROR)
    return inv.collect(args, allow_lists=allow_lists)
