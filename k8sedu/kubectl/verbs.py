"""kubectl inside the notebook: the command table and the :class:`Kubectl` runner.

``Kubectl(client, clock).run("get pods -o wide")`` returns what kubectl prints; a failure raises
:class:`~k8sedu.errors.KubectlError` whose text is kubectl's own (``Error from server (NotFound):
deployments.apps "web" not found``). Each verb does what upstream's does, in the same order and
through the same API calls (a GET, a list, a strategic merge patch on ``/scale``...), so the flow
dashboards show the requests a real ``kubectl`` would send.

Where the verbs live::

    reading.py     get, describe, wait, api-resources, version, explain
    changing.py    create -f, delete, scale, set image, label, annotate, patch
    generators.py  create deployment|namespace, run, expose
    apply.py       apply (the three-way merge) and create -f's loader
    rollout.py     rollout status|history|undo|restart|pause|resume
    nodes.py       cordon, uncordon, drain
    taint.py       taint
    pods.py        logs, exec
    verbs.py       auth can-i, top, the command table, Kubectl
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api import kinds
from ..clock import Clock
from ..errors import APIError, KubectlError
from . import creators, nodes, rollout, taint, top
from .apply import run_apply
from .args import Flag, Parsed, parse, positionals, split
from .changing import (
    cmd_annotate,
    cmd_create,
    cmd_delete,
    cmd_label,
    cmd_patch,
    cmd_scale,
    cmd_set_image,
)
from .context import Invocation, Limits
from .generators import (
    cmd_autoscale,
    cmd_create_deployment,
    cmd_create_namespace,
    cmd_expose,
    cmd_run,
)
from .pods import cmd_exec, cmd_logs
from .reading import (
    VERSION,
    cmd_api_resources,
    cmd_describe,
    cmd_explain,
    cmd_get,
    cmd_version,
    cmd_wait,
)

__all__ = ["Kubectl", "COMMANDS", "VERSION"]


Handler = Callable[[Invocation], None]


@dataclass(frozen=True)


class Command:
    name: str
    flags: tuple[Flag, ...] = ()
    handler: Handler | None = None
    subcommands: dict[str, Command] = field(default_factory=dict)
    usage: str = ""


# ------------------------------------------------------------------ common flags
FILENAME = (Flag("filename", "f", "strings", []), Flag("recursive", "R", "bool", False), Flag("kustomize", "k"))


OUTPUT = Flag("output", "o", default="")


DRY_RUN = Flag("dry-run", default="none", optional="unchanged")


SELECTOR = Flag("selector", "l", default="")


FIELD_SELECTOR = Flag("field-selector", default="")


ALL_NAMESPACES = Flag("all-namespaces", "A", "bool", False)


TEMPLATE = (Flag("template"), Flag("show-managed-fields", type="bool", default=False),
            Flag("allow-missing-template-keys", type="bool", default=True))


RECORD = Flag("record", type="bool", default=False)


FIELD_MANAGER = Flag("field-manager", default="kubectl")


VALIDATE = Flag("validate", default="strict", optional="strict")


_REAL_COMMANDS = ("create", "expose", "run", "set", "explain", "get", "edit", "delete", "rollout", "scale",
                  "autoscale", "certificate", "cluster-info", "top", "cordon", "uncordon", "drain", "taint",
                  "describe", "logs", "attach", "exec", "port-forward", "proxy", "cp", "auth", "debug",
                  "events", "diff", "apply", "patch", "replace", "wait", "kustomize", "label", "annotate",
                  "completion", "alpha", "api-resources", "api-versions", "config", "plugin", "version",
                  "options", "help")


# ------------------------------------------------------------------ auth can-i, whoami, top
def cmd_auth_whoami(inv: Invocation) -> None:
    """Who the apiserver thinks you are (a SelfSubjectReview), after authentication and ``--as``."""
    user = inv.client.user
    fmt = inv.flag("output") or ""
    review = {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
              "metadata": {"creationTimestamp": None},
              "status": {"userInfo": {"username": user.name, "groups": list(user.groups)}}}
    if fmt in ("json", "yaml"):
        from .output import to_json, to_yaml

        inv.write(to_yaml(review) if fmt == "yaml" else to_json(review))
        return
    rows = [("ATTRIBUTE", "VALUE"), ("Username", user.name), ("Groups", f"[{' '.join(user.groups)}]")]
    width = max(len(r[0]) for r in rows) + 3
    inv.write("".join(f"{a.ljust(width)}{v}\n" for a, v in rows))


def cmd_auth_can_i(inv: Invocation) -> None:
    p = inv.parsed
    args = p.args
    if p.get("list"):
        raise KubectlError("error: --list is not supported by k8sedu's built-in kubectl")
    if len(args) != 2 and not (len(args) == 1 and args[0] == "*"):
        raise KubectlError("error: you must specify two arguments: verb resource or verb resource/resourceName.\n"
                           "See 'kubectl auth can-i -h' for help and examples.")
    verb, target = args[0], args[1] if len(args) > 1 else "*"
    authz = inv.client.apiserver.authz
    namespace = None if p.get("all-namespaces") else inv.namespace
    subresource = p.get("subresource") or None
    if target.startswith("/"):
        allowed = inv.client.apiserver.authz.allowed_non_resource(inv.client.user, verb, target)
    else:
        resource, _, name = target.partition("/")
        group = ""
        plural = resource
        if resource != "*":
            res, _, grp = resource.partition(".")
            try:
                kind = kinds.lookup(resource)
                group, plural = kind.group, kind.plural
                if not kind.namespaced:
                    namespace = None
            except KubectlError:
                inv.warn(f"the server doesn't have a resource type '{res}'")
                plural, group = res, grp
        allowed = authz.allowed(inv.client.user, verb, group, plural, namespace, name or None, subresource)
    if p.get("quiet"):
        if not allowed:
            raise KubectlError("")
        return
    inv.write("yes\n" if allowed else "no\n")


def _top_commands() -> dict[str, Command]:
    common = (SELECTOR, Flag("no-headers", type="bool", default=False), Flag("sort-by", default=""),
              Flag("use-protocol-buffers", type="bool", default=True))
    pod = Command("top pod", (*common, ALL_NAMESPACES, FIELD_SELECTOR, Flag("containers", type="bool", default=False),
                              Flag("sum", type="bool", default=False)), top.cmd_top_pod)
    node = Command("top node", (*common, Flag("show-capacity", type="bool", default=False)), top.cmd_top_node)
    return {"pod": pod, "pods": pod, "po": pod, "node": node, "nodes": node, "no": node}


# ------------------------------------------------------------------ the command table
def _rollout_commands() -> dict[str, Command]:
    common = (*FILENAME, OUTPUT, SELECTOR, *TEMPLATE)
    return {
        "status": Command("rollout status", (*FILENAME, SELECTOR, Flag("watch", "w", "bool", True),
                                             Flag("timeout", type="duration", default=0.0),
                                             Flag("revision", type="int", default=0)), rollout.cmd_status),
        "history": Command("rollout history", (*common, Flag("revision", type="int", default=0)), rollout.cmd_history),
        "undo": Command("rollout undo", (*common, DRY_RUN, Flag("to-revision", type="int", default=0)), rollout.cmd_undo),
        "restart": Command("rollout restart", (*common, DRY_RUN, FIELD_MANAGER), rollout.cmd_restart),
        "pause": Command("rollout pause", (*common, DRY_RUN, FIELD_MANAGER), rollout.cmd_pause),
        "resume": Command("rollout resume", (*common, DRY_RUN, FIELD_MANAGER), rollout.cmd_resume),
    }


_GET_FLAGS = (
    *FILENAME, OUTPUT, SELECTOR, FIELD_SELECTOR, ALL_NAMESPACES, *TEMPLATE,
    Flag("show-labels", type="bool", default=False), Flag("watch", "w", "bool", False),
    Flag("watch-only", type="bool", default=False), Flag("output-watch-events", type="bool", default=False),
    Flag("no-headers", type="bool", default=False), Flag("sort-by"), Flag("label-columns", "L", "strings", []),
    Flag("ignore-not-found", type="bool", default=False), Flag("chunk-size", type="int", default=500),
    Flag("show-kind", type="bool", default=False), Flag("raw"), Flag("subresource"),
    Flag("server-print", type="bool", default=True),
)


_APPLY_FLAGS = (
    *FILENAME, OUTPUT, DRY_RUN, SELECTOR, *TEMPLATE, VALIDATE, RECORD, FIELD_MANAGER,
    Flag("prune", type="bool", default=False), Flag("all", type="bool", default=False),
    Flag("server-side", type="bool", default=False), Flag("force", type="bool", default=False),
    Flag("force-conflicts", type="bool", default=False), Flag("overwrite", type="bool", default=True),
    Flag("grace-period", type="int", default=-1), Flag("timeout", type="duration", default=0.0),
    Flag("wait", type="bool", default=False), Flag("cascade", default="background", optional="background"),
    Flag("openapi-patch", type="bool", default=True), Flag("prune-allowlist", type="strings", default=[]),
)


_CREATE_FLAGS = (*FILENAME, OUTPUT, DRY_RUN, *TEMPLATE, VALIDATE, RECORD, FIELD_MANAGER,
                 Flag("save-config", type="bool", default=False), Flag("edit", type="bool", default=False),
                 Flag("selector", "l", default=""), Flag("raw"), Flag("windows-line-endings", type="bool", default=False))


_CREATE_SUB_FLAGS = (OUTPUT, DRY_RUN, *TEMPLATE, VALIDATE, FIELD_MANAGER, Flag("save-config", type="bool", default=False))


_DELETE_FLAGS = (
    *FILENAME, OUTPUT, SELECTOR, FIELD_SELECTOR, ALL_NAMESPACES, DRY_RUN,
    Flag("all", type="bool", default=False), Flag("grace-period", type="int", default=-1),
    Flag("force", type="bool", default=False), Flag("now", type="bool", default=False),
    Flag("cascade", default="background", optional="background"), Flag("wait", type="bool", default=True),
    Flag("timeout", type="duration", default=0.0), Flag("ignore-not-found", type="bool", default=False),
    Flag("interactive", "i", "bool", False), Flag("raw"),
)


_METADATA_FLAGS = (
    *FILENAME, OUTPUT, SELECTOR, FIELD_SELECTOR, ALL_NAMESPACES, DRY_RUN, *TEMPLATE, FIELD_MANAGER,
    Flag("overwrite", type="bool", default=False), Flag("all", type="bool", default=False),
    Flag("list", type="bool", default=False), Flag("local", type="bool", default=False),
    Flag("resource-version", default=""),
)


def _strings(name: str) -> Flag:
    return Flag(name, type="strings", default=[])


def _create_commands() -> dict[str, Command]:
    """``create configmap|secret generic|serviceaccount|role|…``: see creators.py."""
    sources = (_strings("from-literal"), _strings("from-file"), _strings("from-env-file"),
               Flag("append-hash", type="bool", default=False))
    rules = (_strings("verb"), _strings("resource"), _strings("resource-name"))
    subjects = (_strings("user"), _strings("group"), _strings("serviceaccount"))
    configmap = Command("create configmap", (*_CREATE_SUB_FLAGS, *sources), creators.cmd_create_configmap)
    secret = Command("create secret", (), None, {
        "generic": Command("create secret generic", (*_CREATE_SUB_FLAGS, *sources, Flag("type", default="")),
                           creators.cmd_create_secret_generic)})
    sa = Command("create serviceaccount", _CREATE_SUB_FLAGS, creators.cmd_create_serviceaccount)
    token = Command("create token", (OUTPUT, _strings("audience"), Flag("duration", type="duration", default=0.0),
                                     Flag("bound-object-kind", default=""), Flag("bound-object-name", default=""),
                                     Flag("bound-object-uid", default="")), creators.cmd_create_token)
    quota = Command("create quota", (*_CREATE_SUB_FLAGS, Flag("hard", default=""), Flag("scopes", default="")),
                    creators.cmd_create_quota)
    job_flags = (*_CREATE_SUB_FLAGS, Flag("image", default=""))
    cronjob = Command("create cronjob", (*job_flags, Flag("schedule", default=""), Flag("restart", default="")),
                      creators.cmd_create_cronjob)
    service_flags = (*_CREATE_SUB_FLAGS, _strings("tcp"), Flag("clusterip", default=""),
                     Flag("node-port", type="int", default=0))
    return {
        "configmap": configmap, "cm": configmap, "secret": secret,
        "serviceaccount": sa, "sa": sa, "token": token, "quota": quota, "resourcequota": quota,
        "role": Command("create role", (*_CREATE_SUB_FLAGS, *rules), creators.cmd_create_role),
        "clusterrole": Command("create clusterrole", (*_CREATE_SUB_FLAGS, *rules,
                                                      _strings("non-resource-url"),
                                                      Flag("aggregation-rule", default="")),
                               creators.cmd_create_clusterrole),
        "rolebinding": Command("create rolebinding", (*_CREATE_SUB_FLAGS, *subjects, Flag("role", default=""),
                                                      Flag("clusterrole", default="")),
                               creators.cmd_create_rolebinding),
        "clusterrolebinding": Command("create clusterrolebinding", (*_CREATE_SUB_FLAGS, *subjects,
                                                                    Flag("clusterrole", default="")),
                                      creators.cmd_create_clusterrolebinding),
        "service": Command("create service", service_flags, creators.cmd_create_service),
        "svc": Command("create service", service_flags, creators.cmd_create_service),
        "job": Command("create job", (*job_flags, Flag("from", default="")), creators.cmd_create_job),
        "cronjob": cronjob, "cj": cronjob,
    }


def _commands() -> dict[str, Command]:
    create_deployment = Command("create deployment", (*_CREATE_SUB_FLAGS, Flag("image", type="strings", default=[]),
                                                      Flag("replicas", "r", "int", 1), Flag("port", type="int", default=-1)),
                                cmd_create_deployment)
    create_namespace = Command("create namespace", _CREATE_SUB_FLAGS, cmd_create_namespace)
    node_flags = (DRY_RUN, SELECTOR)
    return {
        "get": Command("get", _GET_FLAGS, cmd_get),
        "apply": Command("apply", _APPLY_FLAGS, run_apply),
        "create": Command("create", _CREATE_FLAGS, cmd_create, {
            "deployment": create_deployment, "deploy": create_deployment,
            "namespace": create_namespace, "ns": create_namespace,
            **_create_commands(),
        }),
        "delete": Command("delete", _DELETE_FLAGS, cmd_delete),
        "describe": Command("describe", (*FILENAME, SELECTOR, ALL_NAMESPACES, FIELD_SELECTOR,
                                         Flag("show-events", type="bool", default=True),
                                         Flag("chunk-size", type="int", default=500)), cmd_describe),
        "scale": Command("scale", (*FILENAME, OUTPUT, SELECTOR, DRY_RUN, *TEMPLATE,
                                   Flag("replicas", type="int", default=-1),
                                   Flag("current-replicas", type="int", default=-1),
                                   Flag("resource-version", default=""), Flag("all", type="bool", default=False),
                                   Flag("timeout", type="duration", default=0.0)), cmd_scale),
        "set": Command("set", (), None, {
            "image": Command("set image", (*FILENAME, OUTPUT, SELECTOR, DRY_RUN, *TEMPLATE, RECORD, FIELD_MANAGER,
                                           Flag("all", type="bool", default=False),
                                           Flag("local", type="bool", default=False)), cmd_set_image),
        }),
        "rollout": Command("rollout", (), None, _rollout_commands()),
        "logs": Command("logs", (Flag("container", "c"), Flag("tail", type="int", default=-1),
                                 Flag("previous", "p", "bool", False), Flag("follow", "f", "bool", False),
                                 Flag("timestamps", type="bool", default=False), Flag("since"), Flag("since-time"),
                                 Flag("all-containers", type="bool", default=False), SELECTOR,
                                 Flag("prefix", type="bool", default=False),
                                 Flag("max-log-requests", type="int", default=5),
                                 Flag("pod-running-timeout", type="duration", default=20.0),
                                 Flag("limit-bytes", type="int", default=0),
                                 Flag("ignore-errors", type="bool", default=False)), cmd_logs),
        "exec": Command("exec", (Flag("container", "c"), Flag("stdin", "i", "bool", False),
                                 Flag("tty", "t", "bool", False), Flag("quiet", "q", "bool", False),
                                 *FILENAME, Flag("pod-running-timeout", type="duration", default=60.0)), cmd_exec),
        "run": Command("run", (OUTPUT, DRY_RUN, *TEMPLATE, FIELD_MANAGER, Flag("image", default=""),
                               Flag("port", type="int", default=-1), Flag("labels", "l", default=""),
                               Flag("env", type="array", default=[]), Flag("restart", default="Always"),
                               Flag("command", type="bool", default=False), Flag("image-pull-policy", default=""),
                               Flag("annotations", type="array", default=[]), Flag("expose", type="bool", default=False),
                               Flag("stdin", "i", "bool", False), Flag("tty", "t", "bool", False),
                               Flag("attach", type="bool", default=False), Flag("rm", type="bool", default=False),
                               Flag("quiet", "q", "bool", False), Flag("privileged", type="bool", default=False),
                               Flag("overrides", default=""), Flag("pod-running-timeout", type="duration", default=60.0)),
                       cmd_run),
        "expose": Command("expose", (*FILENAME, OUTPUT, DRY_RUN, *TEMPLATE, FIELD_MANAGER, Flag("port", default=""),
                                     Flag("target-port", default=""), Flag("container-port", default=""),
                                     Flag("protocol", default=""), Flag("name", default=""), Flag("type", default=""),
                                     Flag("labels", "l", default=""), Flag("selector", default=""),
                                     Flag("external-ip", default=""), Flag("port-name", default=""),
                                     Flag("session-affinity", default=""), Flag("cluster-ip", default=""),
                                     Flag("load-balancer-ip", default=""), RECORD), cmd_expose),
        "patch": Command("patch", (*FILENAME, OUTPUT, DRY_RUN, *TEMPLATE, FIELD_MANAGER, Flag("patch", "p", default=""),
                                   Flag("patch-file", default=""), Flag("type", default="strategic"),
                                   Flag("local", type="bool", default=False), Flag("subresource", default=""), RECORD),
                         cmd_patch),
        "wait": Command("wait", (*FILENAME, OUTPUT, SELECTOR, FIELD_SELECTOR, ALL_NAMESPACES, *TEMPLATE,
                                 Flag("for", default=""), Flag("timeout", type="duration", default=30.0),
                                 Flag("all", type="bool", default=False), Flag("local", type="bool", default=False)),
                        cmd_wait),
        "label": Command("label", _METADATA_FLAGS, cmd_label),
        "annotate": Command("annotate", _METADATA_FLAGS, cmd_annotate),
        "cordon": Command("cordon", node_flags, nodes.cmd_cordon),
        "uncordon": Command("uncordon", node_flags, nodes.cmd_uncordon),
        "taint": Command("taint", (*node_flags, OUTPUT, Flag("overwrite", type="bool", default=False),
                                   Flag("all", type="bool", default=False)), taint.cmd_taint),
        "drain": Command("drain", (*node_flags, Flag("ignore-daemonsets", type="bool", default=False),
                                   Flag("delete-emptydir-data", type="bool", default=False),
                                   Flag("delete-local-data", type="bool", default=False),
                                   Flag("force", type="bool", default=False),
                                   Flag("grace-period", type="int", default=-1),
                                   Flag("timeout", type="duration", default=0.0),
                                   Flag("disable-eviction", type="bool", default=False),
                                   Flag("pod-selector", default=""),
                                   Flag("skip-wait-for-delete-timeout", type="int", default=0),
                                   Flag("chunk-size", type="int", default=500)), nodes.cmd_drain),
        "api-resources": Command("api-resources", (OUTPUT, Flag("api-group", default=""),
                                                   Flag("namespaced", type="bool", default=True),
                                                   Flag("verbs", type="strings", default=[]),
                                                   Flag("sort-by", default=""), Flag("no-headers", type="bool", default=False),
                                                   Flag("cached", type="bool", default=False),
                                                   Flag("categories", type="strings", default=[])), cmd_api_resources),
        "version": Command("version", (OUTPUT, Flag("client", type="bool", default=False)), cmd_version),
        "explain": Command("explain", (OUTPUT, Flag("recursive", type="bool", default=False),
                                       Flag("api-version", default="")), cmd_explain),
        "auth": Command("auth", (), None, {
            "can-i": Command("auth can-i", (ALL_NAMESPACES, Flag("list", type="bool", default=False),
                                            Flag("quiet", "q", "bool", False), Flag("no-headers", type="bool", default=False),
                                            Flag("subresource", default="")), cmd_auth_can_i),
            "whoami": Command("auth whoami", (OUTPUT,), cmd_auth_whoami),
        }),
        "top": Command("top", (), None, _top_commands()),
        "autoscale": Command("autoscale", (*FILENAME, OUTPUT, DRY_RUN, *TEMPLATE, FIELD_MANAGER, RECORD,
                                           Flag("max", type="int", default=-1), Flag("min", type="int", default=-1),
                                           Flag("cpu-percent", type="int", default=-1), Flag("name", default=""),
                                           Flag("save-config", type="bool", default=False)), cmd_autoscale),
    }


COMMANDS: dict[str, Command] = {}


def _table() -> dict[str, Command]:
    if not COMMANDS:
        COMMANDS.update(_commands())
    return COMMANDS


def _all_flags(table: dict[str, Command]) -> list[Flag]:
    out: list[Flag] = []
    for cmd in table.values():
        out += list(cmd.flags)
        for sub in cmd.subcommands.values():
            out += list(sub.flags)
    return out


def _unknown_command(name: str, parent: str = "kubectl") -> KubectlError:
    candidates = list(_REAL_COMMANDS) if parent == "kubectl" else []
    close = [c for c in candidates if c.startswith(name) or _levenshtein(c, name) <= 2]
    text = f'error: unknown command "{name}" for "{parent}"'
    if close:
        text += "\n\nDid you mean this?\n" + "\n".join(f"\t{c}" for c in close)
    return KubectlError(text)


def _levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def resolve(words: list[str]) -> tuple[Command, list[str]]:
    """Find the (sub)command among *words* as cobra does, and return the remaining words."""
    table = _table()
    found = positionals(words, _all_flags(table))
    if not found:
        raise KubectlError("error: k8sedu's kubectl needs a command, e.g. `get pods`")
    index, name = found[0]
    if name not in table:
        if name in _REAL_COMMANDS:
            raise KubectlError(f'error: "kubectl {name}" is not built into k8sedu; run the real kubectl against '
                               "`k8sedu serve` for it")
        raise _unknown_command(name)
    command = table[name]
    rest = words[:index] + words[index + 1:]
    while command.subcommands:  # "create secret generic": as deep as the table goes
        sub = positionals(rest, _all_flags(table))
        if sub and sub[0][1] in command.subcommands:
            i, subname = sub[0]
            command, rest = command.subcommands[subname], rest[:i] + rest[i + 1:]
            continue
        if command.handler is not None:
            return command, rest  # e.g. "create -f x.yaml"; "create foo" is its own usage error
        if not sub:
            raise KubectlError(_group_help(command))
        raise KubectlError(f'error: unknown command "{sub[0][1]}"\nSee \'kubectl {command.name} -h\' for help '
                           "and examples")
    return command, rest


def help_text(words: list[str]) -> str:
    """A short ``--help``: what k8sedu's kubectl supports (the real help is upstream's)."""
    table = _table()
    names = [w for w in words if not w.startswith("-") and w != "help"]
    if not names or names[0] not in table:
        listed = "\n".join(f"  {name}" for name in sorted(table))
        return ("k8sedu's built-in kubectl (kubectl 1.32 verbs, run inside the notebook). Commands:\n"
                f"{listed}\n\nUse \"kubectl <command> --help\" for the flags of a command.\n")
    command = table[names[0]]
    if command.subcommands and len(names) > 1 and names[1] in command.subcommands:
        command = command.subcommands[names[1]]
    if command.subcommands and command.handler is None:
        subs = ", ".join(sorted({c.name.split()[-1] for c in command.subcommands.values()}))
        return f"kubectl {command.name} <subcommand>: {subs}\n"
    flags = sorted(command.flags, key=lambda f: f.name)
    lines = [f"kubectl {command.name}: flags supported here:"]
    for f in flags:
        short = f"-{f.short}, " if f.short else "    "
        value = "" if f.type == "bool" else f"={f.type}"
        lines.append(f"  {short}--{f.name}{value}")
    return "\n".join(lines) + "\n"


def _group_help(command: Command) -> str:
    subs = ", ".join(sorted({c.name.split()[-1] for c in command.subcommands.values()}))
    return f"error: kubectl {command.name} needs a subcommand: {subs}\nSee 'kubectl {command.name} -h' for help and examples"


# ------------------------------------------------------------------ the public class
class Kubectl:
    """kubectl, in process. ``run("get pods")`` → what kubectl prints; errors raise KubectlError.

    ``run(..., stdin=text)`` feeds ``-f -``; ``run(..., out=fn)`` also streams the output as it is
    produced (``rollout status``, ``logs -f``, ``get -w``). Three limits keep notebook cells from
    hanging where a terminal would wait forever: ``delete_timeout`` (waiting for deletion when no
    ``--timeout`` is given), ``follow_limit`` (``logs -f``) and ``watch_limit`` (``get -w``, when no
    ``--request-timeout`` is given), all in cluster seconds.

    When a command fails after printing something (``get a b`` with ``b`` missing, ``apply`` of
    several documents with one bad), the error's ``output`` attribute holds what was printed.
    """

    def __init__(self, client: Any, clock: Clock | None = None, namespace: str = "default", *,
                 delete_timeout: float | None = 300.0, follow_limit: float = 10.0, watch_limit: float = 10.0) -> None:
        self.client = client
        self.clock = clock or client.clock
        self.namespace = namespace
        self.delete_timeout = delete_timeout
        self.follow_limit = follow_limit
        self.watch_limit = watch_limit

    def run(self, command: str | Sequence[str], stdin: str | None = None, *,
            out: Callable[[str], None] | None = None) -> str:
        words = split(command)
        before_dash = words[: words.index("--")] if "--" in words else words
        shell = next((w for w in before_dash if w in ("|", "||", ">", ">>", "<", "&&", ";")), None)
        if shell is not None and isinstance(command, str):
            raise KubectlError(
                f'error: "{shell}" is shell syntax, and c.kubectl() runs no shell. 这里的 kubectl 不经过 '
                "shell，不支持管道和重定向：把输出当作 Python 字符串处理，例如 "
                'c.kubectl("describe node node-1").splitlines()[:20]'
            )
        if not words or words[0] == "help" or any(w in ("-h", "--help") for w in before_dash):
            return help_text(words)
        cmd, rest = resolve(words)
        if cmd.handler is None:
            raise KubectlError(_group_help(cmd))
        parsed = parse(rest, cmd.flags, cmd.name)
        inv = self.invocation(parsed, stdin, out)
        try:
            cmd.handler(inv)
        except KubectlError as err:
            if inv.transcript() and not hasattr(err, "output"):
                err.output = inv.transcript()  # type: ignore[attr-defined]
            raise
        except APIError as err:  # a request no verb expected to fail: report it as kubectl would
            inv.problem(err)
        return inv.finish()

    def invocation(self, parsed: Parsed, stdin: str | None = None,
                   out: Callable[[str], None] | None = None) -> Invocation:
        limits = Limits(self.delete_timeout, self.follow_limit, self.watch_limit)
        return Invocation(self.client, self.clock, self.namespace, parsed, stdin, out, limits)

    def apply_objects(self, objs: list[dict[str, Any]], namespace: str | None = None) -> list[dict[str, Any]]:
        """``kubectl apply`` of already-loaded objects (for ``Cluster.apply``): the stored objects.

        Raises KubectlError (kubectl's message) if any object fails; the others are applied.
        """
        from .apply import apply_manifests
        from .manifests import Manifest

        parsed = parse(["-n", namespace] if namespace else [], (), "apply")
        inv = self.invocation(parsed)
        results = apply_manifests(inv, [Manifest(o, "") for o in objs])
        inv.finish()
        return results
