"""``kubectl rollout``: status, history, undo, restart, pause, resume — as kubectl 1.32 does them.

A Deployment keeps its history in its ReplicaSets: each one carries the revision it was created
for (annotation ``deployment.kubernetes.io/revision``) and the Pod template of that revision::

    Deployment web (template v2)
    ├── ReplicaSet web-7d4b9c8f5   revision 1   template v1   replicas 0
    └── ReplicaSet web-5f6d8b7c9   revision 2   template v2   replicas 3

``rollout undo`` is therefore done by kubectl, not by the server: it finds the ReplicaSet of the
wanted revision (default: the previous one) and writes its template (minus the
``pod-template-hash`` label) back into the Deployment with a JSON patch. The deployment controller
then sees a template it already has a ReplicaSet for and scales that one up again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..api import meta, selectors
from ..api.meta import deep_copy
from ..clock import rfc3339
from ..errors import APIError, KubectlError
from .context import Info, Invocation, dry_run_strategy, dry_run_suffix, select
from .messages import format_errors

__all__ = [
    "cmd_status",
    "cmd_history",
    "cmd_undo",
    "cmd_restart",
    "cmd_pause",
    "cmd_resume",
    "deployment_status",
    "revision_of",
    "REVISION_ANNOTATION",
]

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
# annotations of a Deployment that undo keeps instead of copying them from the ReplicaSet
_ANNOTATIONS_TO_SKIP = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION_ANNOTATION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
}

StatusFn = Callable[[dict[str, Any], int], tuple[str, bool]]


def _targets(inv: Invocation) -> list[Info]:

    p = inv.parsed
    if not p.args and not p.get("filename"):
        raise KubectlError("error: required resource not specified")
    return select(inv, p.args)


# ------------------------------------------------------------------ status
def revision_of(obj: dict[str, Any]) -> int:
    """The revision annotation as a number; ValueError when missing or not a number."""
    return int(((obj.get("metadata") or {}).get("annotations") or {})[REVISION_ANNOTATION])


def deployment_status(d: dict[str, Any], revision: int = 0) -> tuple[str, bool]:
    """upstream's DeploymentStatusViewer: (message with a newline, done)."""
    name = d["metadata"]["name"]
    spec, status = d.get("spec") or {}, d.get("status") or {}
    if revision > 0:
        try:
            current = revision_of(d)
        except (KeyError, ValueError):
            raise KubectlError(f"error: cannot get the revision of deployment {name!r}") from None
        if current != revision:
            raise KubectlError(f"error: desired revision ({revision}) is different from the running revision ({current})")
    if int(d["metadata"].get("generation", 0)) <= int(status.get("observedGeneration", 0)):
        progressing = meta.get_condition(d, "Progressing")
        if progressing and progressing.get("reason") == "ProgressDeadlineExceeded":
            raise KubectlError(f'error: deployment "{name}" exceeded its progress deadline')
        replicas = spec.get("replicas", 1)
        updated = int(status.get("updatedReplicas", 0))
        if replicas is not None and updated < int(replicas):
            return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of {replicas} new replicas '
                    "have been updated...\n"), False
        total = int(status.get("replicas", 0))
        if total > updated:
            return (f'Waiting for deployment "{name}" rollout to finish: {total - updated} old replicas are pending '
                    "termination...\n"), False
        available = int(status.get("availableReplicas", 0))
        if available < updated:
            return (f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} updated replicas '
                    "are available...\n"), False
        return f'deployment "{name}" successfully rolled out\n', True
    return "Waiting for deployment spec update to be observed...\n", False


def daemonset_status(ds: dict[str, Any], revision: int = 0) -> tuple[str, bool]:
    name = ds["metadata"]["name"]
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    if (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") != "RollingUpdate":
        raise KubectlError("error: rollout status is only available for RollingUpdate strategy type")
    if int(ds["metadata"].get("generation", 0)) <= int(status.get("observedGeneration", 0)):
        desired = int(status.get("desiredNumberScheduled", 0))
        updated = int(status.get("updatedNumberScheduled", 0))
        if updated < desired:
            return (f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new pods have '
                    "been updated...\n"), False
        available = int(status.get("numberAvailable", 0))
        if available < desired:
            return (f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated pods are '
                    "available...\n"), False
        return f'daemon set "{name}" successfully rolled out\n', True
    return "Waiting for daemon set spec update to be observed...\n", False


def statefulset_status(sts: dict[str, Any], revision: int = 0) -> tuple[str, bool]:
    spec, status = sts.get("spec") or {}, sts.get("status") or {}
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        raise KubectlError("error: rollout status is only available for RollingUpdate strategy type")
    observed = int(status.get("observedGeneration", 0))
    if observed == 0 or int(sts["metadata"].get("generation", 0)) > observed:
        return "Waiting for statefulset spec update to be observed...\n", False
    replicas = int(spec.get("replicas", 1))
    ready = int(status.get("readyReplicas", 0))
    if ready < replicas:
        return f"Waiting for {replicas - ready} pods to be ready...\n", False
    updated = int(status.get("updatedReplicas", 0))
    rolling = strategy.get("rollingUpdate")
    if rolling is not None:
        partition = rolling.get("partition")
        if partition is not None and updated < replicas - int(partition):
            return (f"Waiting for partitioned roll out to finish: {updated} out of {replicas - int(partition)} new "
                    "pods have been updated...\n"), False
        return f"partitioned roll out complete: {updated} new pods have been updated...\n", True
    if status.get("updateRevision") != status.get("currentRevision"):
        return (f"waiting for statefulset rolling update to complete {updated} pods at revision "
                f"{status.get('updateRevision', '')}...\n"), False
    return (f"statefulset rolling update complete {status.get('currentReplicas', 0)} pods at revision "
            f"{status.get('currentRevision', '')}...\n"), True


_STATUS: dict[str, StatusFn] = {
    "Deployment": deployment_status,
    "DaemonSet": daemonset_status,
    "StatefulSet": statefulset_status,
}


def _group_kind(info: Info) -> str:
    return f"{info.kind.kind}.{info.kind.group}" if info.kind.group else info.kind.kind


def cmd_status(inv: Invocation) -> None:
    """Print the status line on every change (consecutive repeats once) until done, as upstream's
    ``UntilWithSync`` loop; ``--watch=false`` prints it once; ``--timeout`` bounds the wait."""
    p = inv.parsed
    infos = _targets(inv)
    if inv.problems:
        return
    if len(infos) != 1:
        raise KubectlError(f"error: rollout status is only supported on individual resources and resource "
                           f"collections - {len(infos)} resources were found")
    info = infos[0]
    viewer = _STATUS.get(info.kind.kind)
    if viewer is None:
        raise KubectlError(f"error: no status viewer has been implemented for {_group_kind(info)}")
    revision = int(p.get("revision", 0))
    if revision < 0:
        raise KubectlError(f"error: revision must be a positive integer: {revision}")
    timeout = p.get("timeout") or None
    deadline = None if timeout is None else time.monotonic() + inv.clock.real_seconds(timeout)
    listing = inv.client.list(info.kind.plural, info.namespace, None, f"metadata.name={info.name}")
    if not listing["items"]:
        raise KubectlError(format_errors([_not_found(info)]))
    last = ""

    def show(obj: dict[str, Any]) -> bool:
        nonlocal last
        message, done = viewer(obj, revision)
        if message != last:
            inv.write(message)
            last = message
        return done

    if show(listing["items"][0]) or not p.get("watch", True):
        return
    w = inv.client.watch(info.kind.plural, info.namespace, listing["metadata"].get("resourceVersion"), None,
                         f"metadata.name={info.name}")
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise KubectlError("error: timed out waiting for the condition")
            event = w.next(0.5 if remaining is None else min(0.5, remaining))
            if event is None:
                continue
            if event.type in ("ADDED", "MODIFIED"):
                if show(event.object):
                    return
            elif event.type == "DELETED":
                raise KubectlError("error: object has been deleted")
    finally:
        w.stop()


def _not_found(info: Info) -> APIError:
    from ..errors import NotFound

    return NotFound.of(info.kind.qualified, info.name)


# ------------------------------------------------------------------ history
def _replicasets_of(inv: Invocation, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    """The ReplicaSets the Deployment controls: its selector matches and the controller reference
    points to it (upstream's GetAllReplicaSets)."""
    md = deployment["metadata"]
    try:
        sel = str(selectors.from_label_selector((deployment.get("spec") or {}).get("selector")))
    except Exception:
        return []
    rss = inv.client.items("replicasets", md.get("namespace"), sel or None)
    return [rs for rs in rss if (meta.controller_ref(rs) or {}).get("uid") == md.get("uid")]


def _history(inv: Invocation, deployment: dict[str, Any]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for rs in _replicasets_of(inv, deployment):
        try:
            out[revision_of(rs)] = rs
        except (KeyError, ValueError):
            continue
    return out


def pod_template_text(template: dict[str, Any]) -> str:
    """``kubectl describe``'s Pod Template section as ``history --revision`` prints it: upstream
    writes it into a plain buffer, not through describe's tabwriter, so the tabs stay tabs."""
    from .describe import pod_template_section

    return pod_template_section(template)


def cmd_history(inv: Invocation) -> None:
    from .printers import tabwrite

    p = inv.parsed
    revision = int(p.get("revision", 0))
    if revision < 0:
        raise KubectlError(f"error: revision must be a positive integer: {revision}")
    for info in _targets(inv):
        if info.kind.kind in ("DaemonSet", "StatefulSet"):
            _revision_history(inv, info, revision)
            continue
        if info.kind.kind != "Deployment":
            inv.problem(f"no history viewer has been implemented for {_group_kind(info)}")
            continue
        history = _history(inv, info.obj or {})
        if not history:
            text = "No rollout history found."
        elif revision > 0:
            if revision not in history:
                inv.problem("unable to find the specified revision")
                continue
            text = pod_template_text((history[revision].get("spec") or {}).get("template") or {})
        else:
            lines = ["REVISION\tCHANGE-CAUSE"]
            for r in sorted(history):
                cause = ((history[r].get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE_ANNOTATION)
                lines.append(f"{r}\t{cause or '<none>'}")
            text = tabwrite("\n".join(lines) + "\n", minwidth=0, padding=2)
        with_revision = f"with revision #{revision}" if revision > 0 else ""
        inv.write(f"{info.ref} {with_revision}\n{text}\n")


# ------------------------------------------------------------------ DaemonSet / StatefulSet history
def _controller_revisions(inv: Invocation, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The ControllerRevisions *obj* controls, oldest revision first (``controlledHistory``)."""
    md = obj.get("metadata") or {}
    revs = [r for r in inv.client.items("controllerrevisions", md.get("namespace"))
            if (meta.controller_ref(r) or {}).get("uid") == md.get("uid")]
    return sorted(revs, key=lambda r: int(r.get("revision") or 0))


def _revision_template(rev: dict[str, Any]) -> dict[str, Any]:
    template = deep_copy(((rev.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def _revision_history(inv: Invocation, info: Info, revision: int) -> None:
    from .printers import tabwrite

    revs = _controller_revisions(inv, info.obj or {})
    if not revs:
        text = "No rollout history found."
    elif revision > 0:
        found = [r for r in revs if int(r.get("revision") or 0) == revision]
        if not found:
            inv.problem(f"unable to find the specified revision {revision}")
            return
        text = pod_template_text(_revision_template(found[0]))
    else:
        lines = ["REVISION\tCHANGE-CAUSE"]
        for r in revs:
            cause = ((r.get("metadata") or {}).get("annotations") or {}).get(CHANGE_CAUSE_ANNOTATION)
            lines.append(f"{r.get('revision')}\t{cause or '<none>'}")
        text = tabwrite("\n".join(lines) + "\n", minwidth=0, padding=2)
    with_revision = f"with revision #{revision}" if revision > 0 else ""
    inv.write(f"{info.ref} {with_revision}\n{text}\n")


def _revision_undo(inv: Invocation, info: Info, to_revision: int, strategy: str) -> None:
    """kubectl's ``DaemonSetRollbacker`` / ``StatefulSetRollbacker``: strategic-merge the revision's
    stored patch (the whole template, ``$patch: replace``) into the object."""
    try:
        obj = inv.client.get(info.kind.plural, info.name, info.namespace)
    except APIError as err:
        inv.problem(f"failed to retrieve {info.kind.kind} {info.name}: {err.message}")
        return
    revs = _controller_revisions(inv, obj)
    target: dict[str, Any] | None = None
    if to_revision == 0:
        target = revs[-2] if len(revs) > 1 else None
    else:
        target = next((r for r in revs if int(r.get("revision") or 0) == to_revision), None)
    if target is None:
        inv.problem(f"unable to find specified revision {to_revision} in history")
        return
    if strategy == "client":
        inv.write(f"{info.ref} {pod_template_text(_revision_template(target))}{dry_run_suffix(strategy)}\n")
        return
    if _revision_template(target) == ((obj.get("spec") or {}).get("template") or {}):
        inv.write(f"{info.ref} skipped rollback (current template already matches revision {to_revision})\n")
        return
    try:
        inv.client.patch(info.kind.plural, info.name, target.get("data") or {}, info.namespace,
                         patch_type="strategic", dry_run=strategy == "server")
    except APIError as err:
        inv.problem(f"failed restoring revision {to_revision}: {format_errors([err])}")
        return
    inv.write(f"{info.ref} rolled back{dry_run_suffix(strategy)}\n")


# ------------------------------------------------------------------ undo
def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    t = deep_copy(template)
    labels = (t.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return t


def cmd_undo(inv: Invocation) -> None:

    p = inv.parsed
    to_revision = int(p.get("to-revision", 0))
    strategy = dry_run_strategy(inv)
    for info in _targets(inv):
        if info.kind.kind in ("DaemonSet", "StatefulSet"):
            _revision_undo(inv, info, to_revision, strategy)
            continue
        if info.kind.kind != "Deployment":
            inv.problem(f"no rollbacker has been implemented for {_group_kind(info)}")
            continue
        if to_revision < 0:
            inv.problem(f"unable to find specified revision {to_revision} in history")
            continue
        try:
            deployment = inv.client.get("deployments", info.name, info.namespace)
        except APIError as err:
            inv.problem(f"failed to retrieve Deployment {info.name}: {err.message}")
            continue
        target = _revision_replicaset(inv, deployment, to_revision)
        if isinstance(target, str):
            inv.problem(target)
            continue
        template = (target.get("spec") or {}).get("template") or {}
        if strategy == "client":
            inv.write(f"{info.ref} {pod_template_text(template)}{dry_run_suffix(strategy)}\n")
            continue
        if (deployment.get("spec") or {}).get("paused"):
            inv.problem("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' "
                        "and try again")
            continue
        if _without_hash(template) == _without_hash((deployment.get("spec") or {}).get("template") or {}):
            inv.write(f"{info.ref} skipped rollback (current template already matches revision)\n")
            continue
        restored = _without_hash(template)
        current_annotations = (deployment["metadata"].get("annotations") or {})
        annotations = {k: v for k, v in current_annotations.items() if k in _ANNOTATIONS_TO_SKIP}
        for k, v in ((target.get("metadata") or {}).get("annotations") or {}).items():
            if k not in _ANNOTATIONS_TO_SKIP:
                annotations[k] = v
        patch = [
            {"op": "replace", "path": "/spec/template", "value": restored},
            # "replace" needs the key to exist; a Deployment made by hand may have no annotations yet
            {"op": "replace" if "annotations" in deployment["metadata"] else "add",
             "path": "/metadata/annotations", "value": annotations},
        ]
        try:
            inv.client.patch("deployments", info.name, patch, info.namespace, patch_type="json",
                             dry_run=strategy == "server")
        except APIError as err:
            inv.problem(f"failed restoring revision {to_revision}: {format_errors([err])}")
            continue
        inv.write(f"{info.ref} rolled back{dry_run_suffix(strategy)}\n")


def _revision_replicaset(inv: Invocation, deployment: dict[str, Any], to_revision: int) -> dict[str, Any] | str:
    """The ReplicaSet of *to_revision*, or of the previous revision when it is 0; else the error."""
    latest: tuple[int, dict[str, Any] | None] = (-1, None)
    previous: tuple[int, dict[str, Any] | None] = (-1, None)
    for rs in _replicasets_of(inv, deployment):
        try:
            v = revision_of(rs)
        except (KeyError, ValueError):
            continue
        if to_revision == 0:
            if latest[0] < v:
                previous, latest = latest, (v, rs)
            elif previous[0] < v:
                previous = (v, rs)
        elif v == to_revision:
            return rs
    if to_revision > 0:
        return f"unable to find specified revision {to_revision} in history"
    if previous[1] is None:
        return f'no rollout history found for deployment "{deployment["metadata"]["name"]}"'
    return previous[1]


# ------------------------------------------------------------------ restart / pause / resume
def _patch_each(inv: Invocation, make_patch: Callable[[Info, dict[str, Any]], dict[str, Any] | str],
                done: str) -> None:

    strategy = dry_run_strategy(inv)
    for info in _targets(inv):
        obj = info.obj or {}
        patch = make_patch(info, obj)
        if isinstance(patch, str):
            inv.problem(f'error: {info.kind.qualified} "{info.name}" {patch}')
            continue
        if strategy != "client":
            try:
                inv.client.patch(info.kind.plural, info.name, patch, info.namespace, patch_type="strategic",
                                 dry_run=strategy == "server")
            except APIError as err:
                inv.problem(f"failed to patch: {format_errors([err])}")
                continue
        inv.write(f"{info.ref} {done}{dry_run_suffix(strategy)}\n")


def cmd_restart(inv: Invocation) -> None:
    def patch(info: Info, obj: dict[str, Any]) -> dict[str, Any] | str:
        if info.kind.kind not in ("Deployment", "DaemonSet", "StatefulSet"):
            return "restarting is not supported"
        if info.kind.kind == "Deployment" and (obj.get("spec") or {}).get("paused"):
            return "can't restart paused deployment (run rollout resume first)"
        stamp = rfc3339(inv.now())
        return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}

    _patch_each(inv, patch, "restarted")


def cmd_pause(inv: Invocation) -> None:
    def patch(info: Info, obj: dict[str, Any]) -> dict[str, Any] | str:
        if info.kind.kind != "Deployment":
            return "pausing is not supported"
        if (obj.get("spec") or {}).get("paused"):
            return "is already paused"
        return {"spec": {"paused": True}}

    _patch_each(inv, patch, "paused")


def cmd_resume(inv: Invocation) -> None:
    def patch(info: Info, obj: dict[str, Any]) -> dict[str, Any] | str:
        if info.kind.kind != "Deployment":
            return "resuming is not supported"
        if not (obj.get("spec") or {}).get("paused"):
            return "is not paused"
        return {"spec": {"paused": None}}

    _patch_each(inv, patch, "resumed")

