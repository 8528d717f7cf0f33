"""The ReplicaSet controller: keep ``spec.replicas`` Pods running, as kube-controller-manager does.

One reconcile of ``default/web-7d4b9`` (upstream's ``syncReplicaSet``)::

    read the RS and the namespace's Pods from the caches
    claim Pods: adopt matching orphans, release Pods that no longer match
    active = claimed Pods that are not finished and not being deleted
    if the controller's own earlier creates/deletes have all been observed (expectations):
        too few  → create Pods from the template, in slow-start batches 1, 2, 4, …
                   (name = generateName "web-7d4b9-" + 5 random characters; controller ownerReference)
        too many → delete the cheapest Pods first (see pods.py for the order)
    write status: replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration

Each create or delete is an Event on the ReplicaSet: ``SuccessfulCreate  Created pod: web-7d4b9-x2k8p``.
"""

from __future__ import annotations

import logging
from typing import Any

from ..api import meta
from ..api.selectors import from_label_selector
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import APIError, Forbidden, NotFound
from . import pods as podutil
from .base import Controller
from .expectations import ControllerExpectations
from .refmanager import claim

__all__ = ["ReplicaSetController", "pod_from_template", "calculate_status", "BURST_REPLICAS",
           "SLOW_START_INITIAL_BATCH_SIZE"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

#: upstream's burstReplicas: at most this many creates or deletes in one sync
BURST_REPLICAS = 500
#: upstream's SlowStartInitialBatchSize: the first batch of creates has one Pod
SLOW_START_INITIAL_BATCH_SIZE = 1
#: how often a failed status update is retried with a fresh read (statusUpdateRetries)
STATUS_UPDATE_RETRIES = 1


def _namespace_terminating(err: APIError) -> bool:
    """The NamespaceLifecycle refusal (upstream checks the NamespaceTerminating status cause)."""
    return isinstance(err, Forbidden) and "because it is being terminated" in err.message


def pod_from_template(template: Obj, parent: Obj, controller_ref: Obj | None) -> Obj:
    """The Pod a controller creates from its template (``controller.GetPodFromTemplate``)."""
    tmd = template.get("metadata") or {}
    md: Obj = {"generateName": f"{parent['metadata']['name']}-"}
    if tmd.get("labels"):
        md["labels"] = dict(tmd["labels"])
    if tmd.get("annotations"):
        md["annotations"] = dict(tmd["annotations"])
    if tmd.get("finalizers"):
        md["finalizers"] = list(tmd["finalizers"])
    if controller_ref is not None:
        md["ownerReferences"] = [dict(controller_ref)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md,
            "spec": meta.deep_copy(template.get("spec") or {})}


def _set_count(status: Obj, field: str, value: int) -> None:
    """Status counters are ``omitempty`` upstream: a zero is left out of the JSON."""
    if value:
        status[field] = value
    else:
        status.pop(field, None)


def calculate_status(rs: Obj, pods: list[Obj], manage_error: APIError | None, now: float,
                     timestamp: str) -> Obj:
    """The status a ReplicaSet should have for its active *pods* (``calculateStatus``)."""
    status = meta.deep_copy(rs.get("status") or {})
    spec = rs.get("spec") or {}
    template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    min_ready = int(spec.get("minReadySeconds") or 0)
    fully_labeled = ready = available = 0
    for pod in pods:
        labels = pod.get("metadata", {}).get("labels") or {}
        if all(labels.get(k) == v for k, v in template_labels.items()):
            fully_labeled += 1
        if meta.pod_is_ready(pod):
            ready += 1
            if podutil.is_pod_available(pod, min_ready, now):
                available += 1
    failure = meta.get_condition(status, "ReplicaFailure") if status.get("conditions") else None
    if manage_error is not None and failure is None:
        diff = len(pods) - int(spec.get("replicas", 1))
        reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
        conditions = list(status.get("conditions") or [])
        conditions.append({"type": "ReplicaFailure", "status": "True", "lastTransitionTime": timestamp,
                           "reason": reason, "message": manage_error.message})
        status["conditions"] = conditions
    elif manage_error is None and failure is not None:
        kept = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        if kept:
            status["conditions"] = kept
        else:
            status.pop("conditions", None)
    status["replicas"] = len(pods)
    _set_count(status, "fullyLabeledReplicas", fully_labeled)
    _set_count(status, "readyReplicas", ready)
    _set_count(status, "availableReplicas", available)
    return status


class ReplicaSetController(Controller):
    name = "replicaset"
    component = "replicaset-controller"
    workers = 5  # --concurrent-replicaset-syncs

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None,
                 burst_replicas: int = BURST_REPLICAS) -> None:
        super().__init__(client, informers, clock, workers)
        self.burst_replicas = burst_replicas
        self.expectations = ControllerExpectations(self.clock)
        self.rs_informer = self.informers.informer("replicasets")
        self.pod_informer = self.informers.informer("pods")
        self.rs_informer.add_handler(self._add_rs, self._update_rs, self._delete_rs)
        self.pod_informer.add_handler(self._add_pod, self._update_pod, self._delete_pod)

    # -- event handlers: they only enqueue keys (and count observed creates/deletes) --------------
    def _add_rs(self, rs: Obj) -> None:
        self.enqueue(rs)

    def _update_rs(self, old: Obj, cur: Obj) -> None:
        if old["metadata"].get("uid") != cur["metadata"].get("uid"):
            self._delete_rs(old)  # deleted and re-created with the same name meanwhile
        self.enqueue(cur)

    def _delete_rs(self, rs: Obj) -> None:
        key = meta.key(rs)
        self.expectations.delete(key)
        self.queue.add(key)

    def _resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        if ref is None or ref.get("kind") != "ReplicaSet":
            return None
        rs = self.rs_informer.get(f"{namespace}/{ref.get('name')}")
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return None
        return rs

    def _replicasets_matching(self, pod: Obj) -> list[Obj]:
        """ReplicaSets whose selector matches an orphan Pod's labels (``getPodReplicaSets``)."""
        ns = pod["metadata"].get("namespace")
        labels = pod["metadata"].get("labels") or {}
        out = []
        for rs in self.rs_informer.list():
            if rs["metadata"].get("namespace") != ns:
                continue
            try:
                selector = from_label_selector((rs.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if selector.empty or not selector.matches(labels):
                continue
            out.append(rs)
        return out

    def _add_pod(self, pod: Obj) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod)  # seen for the first time already terminating (a relist)
            return
        ref = meta.controller_ref(pod)
        if ref is not None:
            rs = self._resolve(pod["metadata"].get("namespace", ""), ref)
            if rs is None:
                return
            key = meta.key(rs)
            self.expectations.creation_observed(key)
            self.queue.add(key)
            return
        for rs in self._replicasets_matching(pod):  # an orphan: whoever matches may adopt it
            self.enqueue(rs)

    def _update_pod(self, old: Obj, cur: Obj) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        labels_changed = old["metadata"].get("labels") != cur["metadata"].get("labels")
        if cur["metadata"].get("deletionTimestamp"):
            # Graceful deletion: the Pod is on its way out; count the deletion now, not when the
            # kubelet has finished (the RS replaces it at once).
            self._delete_pod(cur)
            if labels_changed:
                self._delete_pod(old)
            return
        cur_ref, old_ref = meta.controller_ref(cur), meta.controller_ref(old)
        ref_changed = cur_ref != old_ref
        ns = cur["metadata"].get("namespace", "")
        if ref_changed and old_ref is not None:
            rs = self._resolve(ns, old_ref)
            if rs is not None:
                self.enqueue(rs)
        if cur_ref is not None:
            rs = self._resolve(ns, cur_ref)
            if rs is None:
                return
            self.enqueue(rs)
            min_ready = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
            if min_ready > 0 and not meta.pod_is_ready(old) and meta.pod_is_ready(cur):
                # check again when the Pod has been Ready long enough to count as available
                self.enqueue_after(rs, min_ready + 1)
            return
        if labels_changed or ref_changed:
            for rs in self._replicasets_matching(cur):
                self.enqueue(rs)

    def _delete_pod(self, pod: Obj) -> None:
        rs = self._resolve(pod["metadata"].get("namespace", ""), meta.controller_ref(pod))
        if rs is None:
            return
        key = meta.key(rs)
        self.expectations.deletion_observed(key, meta.key(pod))
        self.queue.add(key)

    # -- reconcile ----------------------------------------------------------------------------------
    def reconcile(self, key: Any) -> None:
        key = str(key)
        rs = self.rs_informer.get(key)
        if rs is None:
            self.expectations.delete(key)
            return
        needs_sync = self.expectations.satisfied(key)
        try:
            selector = from_label_selector((rs.get("spec") or {}).get("selector"))
        except ValueError as err:
            log.warning("replicaset %s: invalid selector: %s", key, err)
            return
        ns = rs["metadata"].get("namespace")
        active = podutil.filter_active_pods(p for p in self.pod_informer.list()
                                            if p["metadata"].get("namespace") == ns)
        owner_ref = meta.make_controller_ref(rs, "ReplicaSet", "apps/v1")
        pods, errors = claim(self.client, rs, "replicasets", owner_ref, selector, active, "pods")
        if errors:
            raise errors[0]
        manage_error: APIError | None = None
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            try:
                self.manage_replicas(pods, rs)
            except APIError as err:
                manage_error = err
        status = calculate_status(rs, pods, manage_error, self.clock.now(), self.clock.timestamp())
        try:
            updated = self._update_status(rs, status)
        except NotFound:
            return  # deleted meanwhile: its DELETED event brings us back if needed
        spec = updated.get("spec") or {}
        st = updated.get("status") or {}
        replicas = int(spec.get("replicas", 1))
        min_ready = int(spec.get("minReadySeconds") or 0)
        if (manage_error is None and min_ready > 0 and st.get("readyReplicas", 0) == replicas
                and st.get("availableReplicas", 0) != replicas):
            # a last line of defence: look again once the Ready Pods have become available
            self.queue.add_after(key, min_ready)
        if manage_error is not None:
            raise manage_error

    def manage_replicas(self, pods: list[Obj], rs: Obj) -> None:
        """Create or delete Pods so that ``len(pods) == spec.replicas`` (``manageReplicas``)."""
        key = meta.key(rs)
        replicas = int((rs.get("spec") or {}).get("replicas", 1))
        diff = len(pods) - replicas
        if diff < 0:
            count = min(-diff, self.burst_replicas)
            self.expectations.expect_creations(key, count)
            created, error = self._slow_start_batch(count, lambda: self._create_pod(rs))
            for _ in range(count - created):
                # the informer will never see these: do not wait for them
                self.expectations.creation_observed(key)
            if error is not None:
                raise error
        elif diff > 0:
            count = min(diff, self.burst_replicas)
            victims = self._pods_to_delete(pods, rs, count)
            self.expectations.expect_deletions(key, [meta.key(p) for p in victims])
            first_error: APIError | None = None
            for pod in victims:
                try:
                    self._delete_pod_of(rs, pod)
                except APIError as err:
                    # the informer will not see this deletion: stop expecting it
                    self.expectations.deletion_observed(key, meta.key(pod))
                    if not isinstance(err, NotFound) and first_error is None:
                        first_error = err
            if first_error is not None:
                raise first_error

    @staticmethod
    def _slow_start_batch(count: int, fn: Any) -> tuple[int, APIError | None]:
        """Call *fn* in batches of 1, 2, 4, … and stop after a batch with a failure, so a
        template the apiserver refuses costs one request, not 500 (``slowStartBatch``)."""
        remaining, successes = count, 0
        batch = min(remaining, SLOW_START_INITIAL_BATCH_SIZE)
        while batch > 0:
            error: APIError | None = None
            for _ in range(batch):
                try:
                    fn()
                    successes += 1
                except APIError as err:
                    error = error or err
            if error is not None:
                return successes, error
            remaining -= batch
            batch = min(2 * batch, remaining)
        return successes, None

    def _create_pod(self, rs: Obj) -> None:
        ns = rs["metadata"].get("namespace")
        template = (rs.get("spec") or {}).get("template") or {}
        pod = pod_from_template(template, rs, meta.make_controller_ref(rs, "ReplicaSet", "apps/v1"))
        try:
            created = self.client.create("pods", pod, ns)
        except APIError as err:
            if _namespace_terminating(err):
                return  # every create will fail; the namespace is going away anyway
            self.recorder.warning(rs, "FailedCreate", f"Error creating: {err.message}")
            raise
        self.recorder.normal(rs, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

    def _delete_pod_of(self, rs: Obj, pod: Obj) -> None:
        md = pod["metadata"]
        try:
            self.client.delete("pods", md["name"], md.get("namespace"))
        except NotFound:
            raise
        except APIError as err:
            self.recorder.warning(rs, "FailedDelete", f"Error deleting: {err.message}")
            raise
        self.recorder.normal(rs, "SuccessfulDelete", f"Deleted pod: {md['name']}")

    def _pods_to_delete(self, pods: list[Obj], rs: Obj, count: int) -> list[Obj]:
        """The *count* cheapest Pods (``getPodsToDelete``)."""
        if count >= len(pods):
            return list(pods)[:count]
        on_node: dict[str, int] = {}
        for pod in self._related_pods(rs):
            if podutil.is_pod_active(pod):
                node = (pod.get("spec") or {}).get("nodeName") or ""
                on_node[node] = on_node.get(node, 0) + 1
        ranks = [on_node.get((p.get("spec") or {}).get("nodeName") or "", 0) for p in pods]
        return podutil.sort_for_deletion(list(pods), ranks, self.clock.now())[:count]

    def _related_pods(self, rs: Obj) -> list[Obj]:
        """Pods of every ReplicaSet with the same controller as *rs* (its Deployment's other
        ReplicaSets): spreading is judged over the whole Deployment (``getIndirectlyRelatedPods``)."""
        ref = meta.controller_ref(rs)
        if ref is None:
            return []
        ns = rs["metadata"].get("namespace")
        siblings = [r for r in self.rs_informer.list()
                    if r["metadata"].get("namespace") == ns
                    and (meta.controller_ref(r) or {}).get("uid") == ref.get("uid")]
        seen: set[str] = set()
        out: list[Obj] = []
        pods = [p for p in self.pod_informer.list() if p["metadata"].get("namespace") == ns]
        for sibling in siblings:
            try:
                selector = from_label_selector((sibling.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            for pod in pods:
                uid = pod["metadata"].get("uid", "")
                if uid in seen or not selector.matches(pod["metadata"].get("labels") or {}):
                    continue
                seen.add(uid)
                out.append(pod)
        return out

    def _update_status(self, rs: Obj, status: Obj) -> Obj:
        """Write *status* unless nothing changed (``updateReplicaSetStatus``)."""
        generation = rs["metadata"].get("generation")
        old = rs.get("status") or {}
        if status == old and old.get("observedGeneration") == generation:
            return rs
        if generation is not None:
            status["observedGeneration"] = generation
        obj = meta.deep_copy(rs)
        for attempt in range(STATUS_UPDATE_RETRIES + 1):
            obj["status"] = status
            try:
                return self.client.update_status("replicasets", obj)
            except APIError:
                if attempt >= STATUS_UPDATE_RETRIES:
                    raise
                # read the latest resourceVersion and try once more
                obj = self.client.get("replicasets", rs["metadata"]["name"], rs["metadata"].get("namespace"))
        return rs  # pragma: no cover - the loop returns or raises
