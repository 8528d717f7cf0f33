"""``kubectl cordon``, ``uncordon`` and ``drain``: taking a node out of service, as kubectl does it.

Cordoning is one field, ``spec.unschedulable``, which the scheduler's NodeUnschedulable filter
reads. Draining is kubectl's own loop, not a server feature::

    cordon ─▶ list the node's Pods ─▶ filter them ─▶ POST pods/<name>/eviction each ─▶ wait until gone
                                     (DaemonSet Pods are skipped with --ignore-daemonsets; Pods with
                                      no controller need --force; emptyDir data needs
                                      --delete-emptydir-data)

Evictions go through the ``eviction`` subresource, so the apiserver can refuse one that would break
a PodDisruptionBudget; the Pods then terminate gracefully and their controllers make replacements
on the other nodes.
"""

from __future__ import annotations

import time
from typing import Any

from ..api import meta
from ..clock import parse_rfc3339
from ..errors import APIError, KubectlError, NotFound
from .context import Info, Invocation, dry_run_strategy, dry_run_suffix
from .messages import format_errors

__all__ = ["cmd_cordon", "cmd_uncordon", "cmd_drain", "pods_for_deletion"]

_DAEMONSET_FATAL = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
_DAEMONSET_WARNING = "ignoring DaemonSet-managed Pods"
_LOCAL_STORAGE_FATAL = "Pods with local storage (use --delete-emptydir-data to override)"
_LOCAL_STORAGE_WARNING = "deleting Pods with local storage"
_UNMANAGED_FATAL = "cannot delete Pods that declare no controller (use --force to override)"
_UNMANAGED_WARNING = "deleting Pods that declare no controller"
_MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


def _nodes(inv: Invocation, verb: str) -> list[Info]:
    p = inv.parsed
    if not p.args and not p.given("selector"):
        raise KubectlError(f"error: USAGE: {verb} NODE [flags]\nSee 'kubectl {verb} -h' for help and examples")
    if p.args and p.get("selector"):
        raise KubectlError("error: error: cannot specify both a node name and a --selector option\n"
                           f"See 'kubectl {verb} -h' for help and examples")
    kind = inv.kind("nodes")
    if p.args:
        out = []
        for name in p.args:
            try:
                out.append(Info(kind, name, None, inv.client.get("nodes", name)))
            except APIError as err:
                raise KubectlError(format_errors([err])) from None
        return out
    return [Info(kind, n["metadata"]["name"], None, n) for n in inv.client.items("nodes", None, p.get("selector"))]


def _cordon_all(inv: Invocation, infos: list[Info], desired: bool) -> None:

    strategy = dry_run_strategy(inv)
    verb = "cordon" if desired else "uncordon"
    for info in infos:
        node = info.obj or {}
        if bool((node.get("spec") or {}).get("unschedulable")) == desired:
            inv.write(f"node/{info.name} already {verb}ed\n")
            continue
        if strategy != "client":
            try:
                info.obj = inv.client.patch("nodes", info.name, {"spec": {"unschedulable": True if desired else None}},
                                            None, patch_type="strategic", dry_run=strategy == "server")
            except APIError as err:
                inv.note(f'error: unable to {verb} node "{info.name}": {err.message}')
                continue
        inv.write(f"node/{info.name} {verb}ed{dry_run_suffix(strategy)}\n")


def cmd_cordon(inv: Invocation) -> None:
    _cordon_all(inv, _nodes(inv, "cordon"), True)


def cmd_uncordon(inv: Invocation) -> None:
    _cordon_all(inv, _nodes(inv, "uncordon"), False)


# ------------------------------------------------------------------ drain
def pods_for_deletion(inv: Invocation, node: str) -> tuple[list[dict[str, Any]], str, list[str]]:
    """The node's Pods to evict, the warning line, and the errors (upstream's filters, in order:
    skip-deleted, DaemonSet, mirror, local storage, unreplicated)."""
    p = inv.parsed
    pods = inv.client.items("pods", None, p.get("pod-selector") or None, f"spec.nodeName={node}")
    force = bool(p.get("force"))
    skip_after = int(p.get("skip-wait-for-delete-timeout", 0))
    delete: list[dict[str, Any]] = []
    warnings: dict[str, list[str]] = {}
    errors: dict[str, list[str]] = {}
    for pod in pods:
        md = pod.get("metadata") or {}
        ref = f"{md.get('namespace', '')}/{md.get('name', '')}"
        phase = (pod.get("status") or {}).get("phase")
        finished = phase in ("Succeeded", "Failed")
        verdict: tuple[bool, str, str] = (True, "", "")  # (delete, "warning"|"error"|"", message)
        if skip_after > 0 and md.get("deletionTimestamp") and \
                inv.now() - parse_rfc3339(md["deletionTimestamp"]) > skip_after:
            verdict = (False, "", "")
        else:
            for check in (_daemonset, _mirror, _local_storage, _unreplicated):
                verdict = check(inv, pod, finished, force)
                if not verdict[0]:
                    break
        keep, level, message = verdict
        if level == "warning":
            warnings.setdefault(message, []).append(ref)
        elif level == "error":
            errors.setdefault(message, []).append(ref)
        if keep:
            delete.append(pod)
    warning = "; ".join(f"{m}: {', '.join(refs)}" for m, refs in warnings.items())
    # kubectl 1.32 prefixes every message with "cannot delete", even the one that already starts
    # with it ("cannot delete cannot delete Pods that declare no controller ..."); kept as it prints.
    errs = [f"cannot delete {m}: {', '.join(refs)}" for m, refs in errors.items()]
    return delete, warning, errs


def _daemonset(inv: Invocation, pod: dict[str, Any], finished: bool, force: bool) -> tuple[bool, str, str]:
    ref = meta.controller_ref(pod)
    if ref is None or ref.get("kind") != "DaemonSet" or finished:
        return True, "", ""
    try:
        inv.client.get("daemonsets", ref.get("name", ""), pod["metadata"].get("namespace"))
    except NotFound as err:
        if force:
            return True, "warning", err.message
        return False, "error", err.message
    except (APIError, KubectlError) as err:
        return False, "error", str(err)
    if not inv.parsed.get("ignore-daemonsets"):
        return False, "error", _DAEMONSET_FATAL
    return False, "warning", _DAEMONSET_WARNING


def _mirror(inv: Invocation, pod: dict[str, Any], finished: bool, force: bool) -> tuple[bool, str, str]:
    if _MIRROR_ANNOTATION in ((pod.get("metadata") or {}).get("annotations") or {}):
        return False, "", ""
    return True, "", ""


def _local_storage(inv: Invocation, pod: dict[str, Any], finished: bool, force: bool) -> tuple[bool, str, str]:
    if not any("emptyDir" in v for v in (pod.get("spec") or {}).get("volumes") or []) or finished:
        return True, "", ""
    if not (inv.parsed.get("delete-emptydir-data") or inv.parsed.get("delete-local-data")):
        return False, "error", _LOCAL_STORAGE_FATAL
    return True, "warning", _LOCAL_STORAGE_WARNING


def _unreplicated(inv: Invocation, pod: dict[str, Any], finished: bool, force: bool) -> tuple[bool, str, str]:
    if finished or meta.controller_ref(pod) is not None:
        return True, "", ""
    if force:
        return True, "warning", _UNMANAGED_WARNING
    return False, "error", _UNMANAGED_FATAL


def _evict_all(inv: Invocation, pods: list[dict[str, Any]]) -> list[str]:
    """Evict (or delete, with --disable-eviction) every Pod, then wait for each to be gone,
    printing ``pod/x evicted`` as they go. Returns the errors."""
    p = inv.parsed
    grace = int(p.get("grace-period", -1))
    use_eviction = not p.get("disable-eviction")
    errors: list[str] = []
    started: list[tuple[dict[str, Any], str | None]] = []
    for pod in pods:
        md = pod["metadata"]
        name, ns = md["name"], md.get("namespace", "default")
        try:
            if use_eviction:
                inv.write(f"evicting pod {ns}/{name}\n")
                eviction: dict[str, Any] = {"apiVersion": "policy/v1", "kind": "Eviction",
                                            "metadata": {"name": name, "namespace": ns}, "deleteOptions": {}}
                if grace >= 0:
                    eviction["deleteOptions"]["gracePeriodSeconds"] = grace
                inv.client.create("pods", eviction, ns, subresource="eviction")
            else:
                inv.client.delete("pods", name, ns, grace_period_seconds=grace if grace >= 0 else None)
        except NotFound:
            continue
        except APIError as err:
            errors.append(f'error when evicting pods/"{name}" -n "{ns}": {format_errors([err])}')
            continue
        started.append((pod, md.get("uid")))
    timeout = p.get("timeout") or inv.limits.delete_timeout
    deadline = None if timeout is None else time.monotonic() + inv.clock.real_seconds(timeout)
    verb = "evicted" if use_eviction else "deleted"
    for pod, uid in started:
        md = pod["metadata"]
        info = Info(inv.kind("pods"), md["name"], md.get("namespace"))
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic()) * inv.clock.speed
        if inv.wait_deleted(info, uid, remaining):
            inv.write(f"pod/{md['name']} {verb}\n")
        else:
            errors.append(f'error when waiting for pod "{md["name"]}" in namespace "{md.get("namespace")}" to '
                          f"terminate: global timeout reached: {_go_duration(timeout)}")
    return errors


def _go_duration(seconds: float | None) -> str:
    if seconds is None:
        return "0s"
    s = int(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return (f"{h}h" if h else "") + (f"{m}m" if h or m else "") + f"{sec}s"


def cmd_drain(inv: Invocation) -> None:

    nodes = _nodes(inv, "drain")
    strategy = dry_run_strategy(inv)
    _cordon_all(inv, nodes, True)
    fatal: list[list[str]] = []
    remaining: list[str] = []
    for info in nodes:
        pods, warning, errors = pods_for_deletion(inv, info.name)
        if not errors and warning:
            inv.warn(warning)
        if not errors:
            if strategy == "client":
                for pod in pods:
                    inv.write(f"evicting pod {pod['metadata'].get('namespace')}/{pod['metadata']['name']} (dry run)\n")
            else:
                errors = _evict_all(inv, pods)
                if errors:
                    pending = [p for p in pods if inv.client.get_or_none("pods", p["metadata"]["name"],
                                                                          p["metadata"].get("namespace")) is not None]
                    if pending:
                        inv.note(f'There are pending pods in node "{info.name}" when an error occurred: '
                                 f"{_aggregate(errors)}")
                        for pod in pending:
                            inv.note(f"pod/{pod['metadata']['name']}")
        if errors:
            inv.note(f'error: unable to drain node "{info.name}" due to error: {_aggregate(errors)}, continuing command...')
            fatal.append(errors)
            remaining.append(info.name)
            continue
        inv.write(f"node/{info.name} drained{dry_run_suffix(strategy)}\n")
    if remaining:
        inv.note("There are pending nodes to be drained:")
        for name in remaining:
            inv.note(f" {name}")
    if fatal:
        # kubectl returns an aggregate of per-node aggregates and prints it with no "error: ":
        # one failed node shows its errors one per line, several nodes one line each
        lines = fatal[0] if len(fatal) == 1 else [_aggregate(errs) for errs in fatal]
        raise KubectlError("\n".join(lines))


def _aggregate(errors: list[str]) -> str:
    """Go's utilerrors.Aggregate text: one message alone, several in brackets."""
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"
