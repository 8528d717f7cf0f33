"""``kubectl taint``: add, change and remove a node's taints, as kubectl 1.32 does it.

A taint is ``key[=value]:effect`` on ``node.spec.taints``; the scheduler's TaintToleration plugin
keeps Pods without a matching toleration off the node (NoSchedule, PreferNoSchedule), and the taint
eviction controller evicts running ones (NoExecute). Like kubectl, this computes the node's new
taint list on the client and sends it as a strategic merge patch::

    kubectl taint nodes node-3 dedicated=gpu:NoSchedule      node/node-3 tainted
    kubectl taint nodes node-3 dedicated=cpu:NoSchedule --overwrite   node/node-3 modified
    kubectl taint nodes node-3 dedicated:NoSchedule-         node/node-3 untainted
    kubectl taint nodes node-3 dedicated-                    (every effect of that key)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..api.naming import label_value_errors, qualified_name_errors
from ..clock import rfc3339
from ..errors import APIError, KubectlError
from .context import Invocation, dry_run_strategy, dry_run_suffix
from .messages import format_errors

__all__ = ["cmd_taint", "parse_taints", "Taint"]

EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_NODE_WORDS = ("node", "nodes", "no")


@dataclass(frozen=True)
class Taint:
    key: str
    value: str = ""
    effect: str = ""

    def __str__(self) -> str:  # upstream's Taint.ToString
        text = self.key + (f"={self.value}" if self.value else "")
        return text + (f":{self.effect}" if self.effect else "")


def _is_taint_arg(word: str) -> bool:
    return "=" in word or ":" in word or word.endswith("-")


def _effect_error(spec: str, effect: str) -> KubectlError:
    return KubectlError(f"error: invalid taint spec: {spec}, invalid taint effect: {effect}, "
                        "unsupported taint effect")


def _parse_one(spec: str) -> Taint:
    key_value, sep, effect = spec.rpartition(":")
    if not sep:
        raise KubectlError(f"error: invalid taint spec: {spec}")
    key, _, value = key_value.partition("=")
    if effect not in EFFECTS:
        raise _effect_error(spec, effect)
    errors = qualified_name_errors(key) + (label_value_errors(value) if value else [])
    if not key or errors:
        raise KubectlError(f"error: invalid taint spec: {spec}, {'; '.join(errors) or 'key is required'}")
    return Taint(key, value, effect)


def parse_taints(specs: list[str]) -> tuple[list[Taint], list[Taint]]:
    """``(to_add, to_remove)`` from kubectl's arguments; a removal has no value."""
    add: list[Taint] = []
    remove: list[Taint] = []
    seen: set[tuple[str, str]] = set()
    for spec in specs:
        if spec.endswith("-"):
            body = spec[:-1]
            key, _, effect = body.partition(":")
            if effect and effect not in EFFECTS:
                raise _effect_error(spec, effect)
            remove.append(Taint(key, "", effect))
            continue
        taint = _parse_one(spec)
        if (taint.key, taint.effect) in seen:
            raise KubectlError(f"error: duplicated taints with the same key and effect: {taint}")
        seen.add((taint.key, taint.effect))
        add.append(taint)
    return add, remove


def _split_args(args: list[str]) -> tuple[list[str], list[str]]:
    resources: list[str] = []
    taints: list[str] = []
    for word in args:
        if _is_taint_arg(word):
            taints.append(word)
        elif taints:
            raise KubectlError(f"error: all resources must be specified before taint changes: {word}")
        else:
            resources.append(word)
    return resources, taints


def _reorganize(node: dict[str, Any], overwrite: bool, add: list[Taint],
                remove: list[Taint], now: str) -> tuple[str, list[dict[str, Any]]]:
    """The node's new taint list and the word kubectl prints: tainted, modified or untainted."""
    old: list[dict[str, Any]] = list((node.get("spec") or {}).get("taints") or [])
    operation = "tainted"
    new: list[dict[str, Any]] = []
    for t in add:
        entry: dict[str, Any] = {"key": t.key, "effect": t.effect}
        if t.value:
            entry["value"] = t.value
        if t.effect == "NoExecute":
            entry["timeAdded"] = now
        new.append(entry)
    kept: list[dict[str, Any]] = []
    for existing in old:
        replaced = any(existing.get("key") == t.key and existing.get("effect") == t.effect for t in add)
        if replaced:
            if overwrite:
                operation = "modified"
            continue
        kept.append(existing)
    result = new + kept
    for t in remove:
        before = len(result)
        result = [e for e in result if not (e.get("key") == t.key and (not t.effect or e.get("effect") == t.effect))]
        if len(result) == before:
            raise KubectlError(f'error: taint "{t}" not found')
        operation = "untainted"
    return operation, result


def cmd_taint(inv: Invocation) -> None:
    p = inv.parsed
    resources, specs = _split_args(list(p.args))
    if not resources:
        raise KubectlError("error: one or more resources must be specified as <resource> <name>")
    if not specs:
        raise KubectlError("error: at least one taint update is required")
    add, remove = parse_taints(specs)
    if resources[0].lower() not in _NODE_WORDS:
        raise KubectlError(f"error: invalid resource type {resources[0]}, only [\"node\" \"nodes\"] are supported")
    for t in add:
        for r in remove:
            if t.key == r.key and (not r.effect or r.effect == t.effect):
                raise KubectlError("error: can not both modify and remove the following taint(s) in the same "
                                   f'command: {{"{r.key}":"{r.effect}"}}')
    select_all = bool(p.get("all"))
    selector = p.get("selector") or None
    if select_all and selector:
        raise KubectlError("error: setting 'all' parameter with a non empty selector is prohibited.")
    if not select_all and not selector and len(resources) < 2:
        raise KubectlError("error: at least one resource name must be specified since 'all' parameter is not set")
    if select_all or selector:
        nodes = inv.client.items("nodes", None, selector)
    else:
        nodes = []
        for name in resources[1:]:
            try:
                nodes.append(inv.client.get("nodes", name))
            except APIError as err:
                raise KubectlError(format_errors([err])) from None
    strategy = dry_run_strategy(inv)
    now = rfc3339(inv.clock.now())
    failures: list[str] = []
    for node in nodes:
        name = node["metadata"]["name"]
        if not p.get("overwrite"):
            clash = sorted({t.key for t in add for e in (node.get("spec") or {}).get("taints") or []
                            if e.get("key") == t.key and e.get("effect") == t.effect})
            if clash:
                failures.append(f"error: node {name} already has {','.join(clash)} taint(s) with same effect(s) "
                                "and --overwrite is false")
                continue
        operation, taints = _reorganize(node, bool(p.get("overwrite")), add, remove, now)
        if strategy != "client":
            try:
                inv.client.patch("nodes", name, {"spec": {"taints": taints or None}}, None,
                                 patch_type="merge", dry_run=strategy == "server")
            except APIError as err:
                failures.append(format_errors([err]))
                continue
        inv.write(f"node/{name} {operation}{dry_run_suffix(strategy)}\n")
    if failures:
        raise KubectlError("\n".join(failures))
