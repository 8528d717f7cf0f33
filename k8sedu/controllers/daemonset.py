"""The DaemonSet controller: one Pod on every eligible node (upstream ``pkg/controller/daemon``).

For each node, upstream's ``NodeShouldRunDaemonPod`` decides two things::

    node matches nodeSelector / required node affinity?   no  → should not run, nor continue
    an untolerated NoSchedule/NoExecute taint?            yes → should not run (a new Pod);
                                                               continue only if no NoExecute one
    otherwise                                                   run

and the controller creates the missing Pods and deletes those that should not continue. DaemonSet
Pods are placed by the **default scheduler** (since 1.12): each Pod carries a required node
affinity ``matchFields: metadata.name In [<node>]`` and tolerations the controller adds
(not-ready and unreachable NoExecute; disk-, memory-, pid-pressure and unschedulable NoSchedule),
so a cordoned node keeps its DaemonSet Pod and a new node gets one.

Rolling update with ``maxSurge`` (0 by default): a new Pod starts next to the old one on at most
maxSurge nodes at a time; the old Pod is deleted once the new one is available (no gap in service).
Rolling update (``maxUnavailable`` 1 by default): Pods whose ``controller-revision-hash`` is not the
current revision's are deleted, at most maxUnavailable unavailable at once; the next sync creates
the new Pod on that node. ``OnDelete`` replaces a Pod only when someone deletes it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from ..api import meta
from ..api.selectors import from_label_selector
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import APIError, NotFound
from . import pods as podutil
from .history import CONTROLLER_REVISION_HASH, sync_revisions, truncate_history
from .refmanager import claim
from .replicaset import ReplicaSetController, pod_from_template
from .tainteviction import tolerates
from .workload import PodOwnerController, namespace_terminating, set_count

__all__ = ["DaemonSetController", "daemon_pod_tolerations", "node_should_run_daemon_pod",
           "target_node_name"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

BURST = 250  # upstream's BurstReplicas for DaemonSets

_DAEMON_TOLERATIONS: tuple[tuple[str, str], ...] = (
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
)


def daemon_pod_tolerations(spec: Obj) -> None:
    """``AddOrUpdateDaemonPodTolerations``: add upstream's tolerations to a Pod spec, in place."""
    tolerations = list(spec.get("tolerations") or [])
    wanted = list(_DAEMON_TOLERATIONS)
    if spec.get("hostNetwork"):
        wanted.append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
    for key, effect in wanted:
        tol = {"key": key, "operator": "Exists", "effect": effect}
        tolerations = [t for t in tolerations if not (t.get("key") == key and t.get("effect") == effect)]
        tolerations.append(tol)
    spec["tolerations"] = tolerations


def _node_name_affinity(spec: Obj, node_name: str) -> None:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``: the Pod may go to this node only."""
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
    affinity = spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}


def target_node_name(pod: Obj) -> str:
    """The node a DaemonSet Pod is for: its nodeName, else its node-name affinity (``GetTargetNodeName``)."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or []:
        for req in term.get("matchFields") or []:
            if req.get("key") == "metadata.name" and req.get("operator") == "In" and len(req.get("values") or []) == 1:
                return str(req["values"][0])
    return ""


def _requirement(req: Obj, labels: dict[str, str]) -> bool:
    key, op, values = req.get("key", ""), req.get("operator"), [str(v) for v in req.get("values") or []]
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and len(values) == 1:
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def _fits_node_affinity(spec: Obj, node: Obj) -> bool:
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if not required:
        return True
    name = node["metadata"].get("name")
    for term in required.get("nodeSelectorTerms") or []:
        exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
        if not exprs and not fields:
            continue
        if all(_requirement(r, labels) for r in exprs) and all(
                r.get("key") == "metadata.name" and _requirement(r, {"metadata.name": name}) for r in fields):
            return True
    return False


def node_should_run_daemon_pod(node: Obj, ds: Obj) -> tuple[bool, bool]:
    """(should run, should continue running) — upstream's ``NodeShouldRunDaemonPod``."""
    spec = meta.deep_copy(((ds.get("spec") or {}).get("template") or {}).get("spec") or {})
    daemon_pod_tolerations(spec)
    if not _fits_node_affinity(spec, node):
        return False, False
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = spec.get("tolerations") or []

    def untolerated(effects: tuple[str, ...]) -> bool:
        return any(t.get("effect") in effects and not any(tolerates(tol, t) for tol in tolerations)
                   for t in taints)

    if untolerated(("NoSchedule", "NoExecute")):
        return False, not untolerated(("NoExecute",))
    return True, True


def _max_unavailable(ds: Obj, desired: int, field: str = "maxUnavailable", default: int = 1) -> int:
    value = (((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate") or {}).get(field, default)
    if value is None:
        return default
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(int(value[:-1]) * desired / 100)  # rounded up, as upstream
    return int(value)


class DaemonSetController(PodOwnerController):
    name = "daemonset"
    component = "daemonset-controller"
    workers = 2  # --concurrent-daemonset-syncs
    owner_kind = "DaemonSet"
    owner_resource = "daemonsets"
    owner_api_version = "apps/v1"

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.node_informer = self.informers.informer("nodes")
        self.revision_informer = self.informers.informer("controllerrevisions")
        self.node_informer.add_handler(self._node_event, lambda old, cur: self._node_changed(old, cur),
                                       self._node_event)

    def _node_event(self, node: Obj) -> None:
        for ds in self.owner_informer.list():
            self.enqueue(ds)

    def _node_changed(self, old: Obj, cur: Obj) -> None:
        if (old["metadata"].get("labels") != cur["metadata"].get("labels")
                or old.get("spec") != cur.get("spec")):
            self._node_event(cur)

    def pod_changed(self, owner: Obj, old: Obj, cur: Obj) -> None:
        min_ready = int((owner.get("spec") or {}).get("minReadySeconds") or 0)
        if min_ready > 0 and not meta.pod_is_ready(old) and meta.pod_is_ready(cur):
            self.enqueue_after(owner, min_ready + 1)

    # -- reconcile ------------------------------------------------------------------------------
    def reconcile(self, key: Any) -> None:
        key = str(key)
        ds = self.owner_informer.get(key)
        if ds is None:
            self.expectations.delete(key)
            return
        spec = ds.get("spec") or {}
        try:
            selector = from_label_selector(spec.get("selector"))
        except ValueError as err:
            log.warning("daemonset %s: invalid selector: %s", key, err)
            return
        # before reading the Pod cache (as upstream): a Pod we created that arrives after this read
        # is still expected, so this round cannot mistake its absence for a node without its Pod
        satisfied = self.expectations.satisfied(key)
        ns = ds["metadata"].get("namespace")
        candidates = [p for p in self.pod_informer.list() if p["metadata"].get("namespace") == ns]
        pods, errors = claim(self.client, ds, "daemonsets", self.controller_ref(ds), selector, candidates, "pods")
        if errors:
            raise errors[0]
        revisions = [r for r in self.revision_informer.list() if r["metadata"].get("namespace") == ns
                     and (meta.controller_ref(r) or {}).get("uid") == ds["metadata"].get("uid")]
        current, revisions = sync_revisions(self.client, ds, "DaemonSet", revisions)
        hash_ = (current["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")
        by_node: dict[str, list[Obj]] = {}
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            by_node.setdefault(target_node_name(pod), []).append(pod)
        nodes = {n["metadata"]["name"]: n for n in self.node_informer.list()}
        error: APIError | None = None
        if satisfied and not ds["metadata"].get("deletionTimestamp"):
            try:
                self._manage(ds, nodes, by_node, hash_)
            except APIError as err:
                error = err
        name = ds["metadata"]["name"]
        truncate_history(self.client, ds, revisions,
                         {f"{name}-{(p['metadata'].get('labels') or {}).get(CONTROLLER_REVISION_HASH, '')}"
                          for p in pods}, current)
        self._update_status(ds, nodes, by_node, hash_)
        if error is not None:
            raise error

    def _manage(self, ds: Obj, nodes: dict[str, Obj], by_node: dict[str, list[Obj]], hash_: str) -> None:
        key = meta.key(ds)
        create_on: list[str] = []
        delete: list[Obj] = []
        now = self.clock.now()
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type", "RollingUpdate")
        desired = sum(1 for n in nodes.values() if node_should_run_daemon_pod(n, ds)[0])
        max_surge = _max_unavailable(ds, desired, "maxSurge", 0) if strategy == "RollingUpdate" else 0

        def is_new(pod: Obj) -> bool:
            return (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) == hash_

        for name, node in nodes.items():
            should_run, should_continue = node_should_run_daemon_pod(node, ds)
            here = by_node.get(name, [])
            if should_run and not here:
                create_on.append(name)
            elif should_continue:
                failed = [p for p in here if (p.get("status") or {}).get("phase") == "Failed"]
                for pod in failed:
                    self.recorder.warning(ds, "FailedDaemonPod", f"Found failed daemon pod {pod['metadata'].get('namespace')}/"
                                          f"{pod['metadata']['name']} on node {name}, will try to kill it")
                delete += failed
                running = [p for p in here if p not in failed]
                running.sort(key=lambda p: p["metadata"].get("creationTimestamp", ""))
                new = [p for p in running if is_new(p)]
                old = [p for p in running if not is_new(p)]
                if max_surge and new and old:
                    # surging: two Pods only while the new one is not yet available and the old one is;
                    # once the new one is available the old one goes
                    keep = [new[0]]
                    if not podutil.is_pod_available(new[0], min_ready, now) \
                            and podutil.is_pod_available(old[0], min_ready, now):
                        keep.append(old[0])
                    delete += [p for p in running if p not in keep]
                elif len(running) > 1:  # more than one: keep the oldest
                    delete += running[1:]
            elif not should_continue:
                delete += here
        for name, here in by_node.items():  # Pods for nodes that no longer exist
            if name and name not in nodes:
                delete += here
        # rolling update with maxSurge: a new Pod starts next to the old one (at most maxSurge nodes
        # at a time; at once where the old one is not available); the old one goes once it is available
        if strategy == "RollingUpdate" and not create_on and max_surge:
            alive = {name: [p for p in here if p not in delete] for name, here in by_node.items()}
            surging = sum(1 for here in alive.values() if any(map(is_new, here)) and not all(map(is_new, here)))
            for name, node in sorted(nodes.items()):
                here = alive.get(name, [])
                if not node_should_run_daemon_pod(node, ds)[0] or not here or any(map(is_new, here)):
                    continue
                if not any(podutil.is_pod_available(p, min_ready, now) for p in here):
                    create_on.append(name)
                elif surging < max_surge:
                    create_on.append(name)
                    surging += 1
        # rolling update: replace old-revision Pods, keeping at most maxUnavailable unavailable
        elif strategy == "RollingUpdate" and not create_on:
            max_unavailable = _max_unavailable(ds, desired)
            unavailable = 0
            old_available: list[Obj] = []
            for name, node in nodes.items():
                if not node_should_run_daemon_pod(node, ds)[0]:
                    continue
                here = [p for p in by_node.get(name, []) if p not in delete]
                if not here or not any(podutil.is_pod_available(p, min_ready, now) for p in here):
                    unavailable += 1
                for pod in here:
                    if (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) == hash_:
                        continue
                    if podutil.is_pod_available(pod, min_ready, now):
                        old_available.append(pod)
                    else:
                        delete.append(pod)  # an old Pod that is not available anyway: replace at once
            for pod in sorted(old_available, key=lambda p: p["metadata"]["name"]):
                if unavailable >= max_unavailable:
                    break
                delete.append(pod)
                unavailable += 1
        create_on = create_on[:BURST]
        delete = delete[:BURST]
        if create_on:
            self.expectations.expect_creations(key, len(create_on))
            names = iter(create_on)
            created, error = ReplicaSetController._slow_start_batch(
                len(create_on), lambda: self._create_pod(ds, next(names), hash_))
            for _ in range(len(create_on) - created):
                self.expectations.creation_observed(key)
            if error is not None:
                raise error
        if delete:
            self.expectations.expect_deletions(key, [meta.key(p) for p in delete])
            for pod in delete:
                md = pod["metadata"]
                try:
                    self.client.delete("pods", md["name"], md.get("namespace"))
                except APIError as err:
                    self.expectations.deletion_observed(key, meta.key(pod))
                    if not isinstance(err, NotFound):
                        self.recorder.warning(ds, "FailedDelete", f"Error deleting: {err.message}")
                    continue
                self.recorder.normal(ds, "SuccessfulDelete", f"Deleted pod: {md['name']}")

    def _create_pod(self, ds: Obj, node_name: str, hash_: str) -> None:
        template = meta.deep_copy((ds.get("spec") or {}).get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[CONTROLLER_REVISION_HASH] = hash_
        pod = pod_from_template(template, ds, self.controller_ref(ds))
        daemon_pod_tolerations(pod["spec"])
        _node_name_affinity(pod["spec"], node_name)
        try:
            created = self.client.create("pods", pod, ds["metadata"].get("namespace"))
        except APIError as err:
            if namespace_terminating(err):
                return
            self.recorder.warning(ds, "FailedCreate", f"Error creating: {err.message}")
            raise
        self.recorder.normal(ds, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

    def _update_status(self, ds: Obj, nodes: dict[str, Obj], by_node: dict[str, list[Obj]], hash_: str) -> None:
        now = self.clock.now()
        min_ready = int((ds.get("spec") or {}).get("minReadySeconds") or 0)
        desired = current = misscheduled = ready = available = updated = 0
        for name, node in nodes.items():
            should_run, _ = node_should_run_daemon_pod(node, ds)
            here = by_node.get(name, [])
            if should_run:
                desired += 1
                if here:
                    current += 1
                    pod = sorted(here, key=lambda p: p["metadata"].get("creationTimestamp", ""))[0]
                    if meta.pod_is_ready(pod):
                        ready += 1
                        if podutil.is_pod_available(pod, min_ready, now):
                            available += 1
                    if (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH) == hash_:
                        updated += 1
            elif here:
                misscheduled += 1
        status = meta.deep_copy(ds.get("status") or {})
        status.update({"currentNumberScheduled": current, "numberMisscheduled": misscheduled,
                       "desiredNumberScheduled": desired, "numberReady": ready,
                       "observedGeneration": ds["metadata"].get("generation")})
        set_count(status, "updatedNumberScheduled", updated)
        set_count(status, "numberAvailable", available)
        set_count(status, "numberUnavailable", desired - available)
        try:
            self.write_status(ds, status)
        except NotFound:
            return
        if min_ready > 0 and ready != available:
            self.queue.add_after(meta.key(ds), min_ready)
