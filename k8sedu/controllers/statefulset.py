"""The StatefulSet controller: Pods with a stable identity, started and stopped in order
(upstream ``pkg/controller/statefulset``).

A StatefulSet ``web`` with 3 replicas and a claim template ``www`` owns::

    web-0  hostname web-0, subdomain <serviceName>, volume www → PVC www-web-0
    web-1  … PVC www-web-1
    web-2  … PVC www-web-2

One sync (upstream's ``updateStatefulSet``), with ``podManagementPolicy: OrderedReady``::

    for ordinal 0, 1, 2, …:  missing → create its PVCs, then the Pod; stop here
                             Failed/Succeeded → delete it (recreated next time); stop here
                             not Running and Ready (or terminating) → wait; stop here
    ordinals ≥ replicas:     delete the highest first, one at a time, each once the others are Ready
    RollingUpdate:           from the highest ordinal down to ``partition``: delete one Pod of an old
                             revision, wait until its replacement is Running and Ready, next

``Parallel`` does the same without waiting. A Pod's revision is its ``controller-revision-hash``
label, the name of a ControllerRevision (see history.py). PVCs stay when Pods go
(``persistentVolumeClaimRetentionPolicy`` Retain): a recreated web-1 finds www-web-1 again.

``persistentVolumeClaimRetentionPolicy`` Delete works through owner references, as upstream:
``whenDeleted: Delete`` makes the StatefulSet an owner of every claim (deleting the set lets the
garbage collector take them); ``whenScaled: Delete`` makes a condemned Pod (ordinal ≥ replicas) the
owner of its claims just before it is deleted, so a scale-down removes them too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ..api import meta
from ..api.selectors import from_label_selector
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import AlreadyExists, APIError, NotFound
from . import pods as podutil
from .history import CONTROLLER_HASH, CONTROLLER_REVISION_HASH, sync_revisions, truncate_history
from .refmanager import claim
from .workload import PodOwnerController, namespace_terminating, set_count

__all__ = ["StatefulSetController", "pod_ordinal", "claim_name", "POD_NAME_LABEL", "POD_INDEX_LABEL"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def pod_ordinal(sts_name: str, pod: Obj) -> int:
    """The ordinal in ``web-2``, or -1 when the name is not ``<set>-<n>`` (``getOrdinal``)."""
    m = re.fullmatch(rf"{re.escape(sts_name)}-(\d+)", pod["metadata"].get("name", ""))
    return int(m.group(1)) if m else -1


def claim_name(template_name: str, sts_name: str, ordinal: int) -> str:
    return f"{template_name}-{sts_name}-{ordinal}"


def _running_and_ready(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and meta.pod_is_ready(pod)


def _finished(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded")


def _revision_of(pod: Obj) -> str:
    return (pod["metadata"].get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")


class StatefulSetController(PodOwnerController):
    name = "statefulset"
    component = "statefulset-controller"
    workers = 5  # --concurrent-statefulset-syncs
    owner_kind = "StatefulSet"
    owner_resource = "statefulsets"
    owner_api_version = "apps/v1"

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.revision_informer = self.informers.informer("controllerrevisions")
        self.pvc_informer = self.informers.informer("persistentvolumeclaims")

    # -- reconcile ------------------------------------------------------------------------------
    def reconcile(self, key: Any) -> None:
        key = str(key)
        sts = self.owner_informer.get(key)
        if sts is None:
            return
        spec = sts.get("spec") or {}
        try:
            selector = from_label_selector(spec.get("selector"))
        except ValueError as err:
            log.warning("statefulset %s: invalid selector: %s", key, err)
            return
        ns = sts["metadata"].get("namespace")
        name = sts["metadata"]["name"]
        candidates = [p for p in self.pod_informer.list() if p["metadata"].get("namespace") == ns]
        pods, errors = claim(self.client, sts, "statefulsets", self.controller_ref(sts), selector, candidates,
                             "pods", extra_match=lambda p: pod_ordinal(name, p) >= 0)
        if errors:
            raise errors[0]
        revisions = [r for r in self.revision_informer.list() if r["metadata"].get("namespace") == ns
                     and (meta.controller_ref(r) or {}).get("uid") == sts["metadata"].get("uid")]
        update_rev, revisions = sync_revisions(self.client, sts, "StatefulSet", revisions, CONTROLLER_HASH)
        update_name = update_rev["metadata"]["name"]
        status = sts.get("status") or {}
        current_name = status.get("currentRevision") or update_name
        current_rev = next((r for r in revisions if r["metadata"]["name"] == current_name), update_rev)
        error: APIError | None = None
        if not sts["metadata"].get("deletionTimestamp"):
            try:
                self._update(sts, pods, current_rev, update_rev)
            except APIError as err:
                error = err
        pods = [p for p in self.owned_pods(sts) if pod_ordinal(name, p) >= 0]
        self._update_status(sts, pods, current_name, update_name)
        truncate_history(self.client, sts, revisions, {_revision_of(p) for p in pods} | {current_name},
                         update_rev)
        if error is not None:
            raise error

    def _update(self, sts: Obj, pods: list[Obj], current_rev: Obj, update_rev: Obj) -> None:
        spec = sts.get("spec") or {}
        name = sts["metadata"]["name"]
        replicas = int(spec.get("replicas", 1))
        monotonic = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        by_ordinal = {pod_ordinal(name, p): p for p in pods}
        strategy = spec.get("updateStrategy") or {}
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        update_name = update_rev["metadata"]["name"]

        def revision_for(ordinal: int) -> Obj:
            """Below the partition a recreated Pod keeps the current revision (``newVersionedStatefulSetPod``)."""
            rolling = strategy.get("type", "RollingUpdate") == "RollingUpdate"
            return current_rev if rolling and ordinal < partition else update_rev

        # 1. the Pods that should exist, in ordinal order
        for ordinal in range(replicas):
            pod = by_ordinal.get(ordinal)
            if pod is not None and _finished(pod) and not pod["metadata"].get("deletionTimestamp"):
                self._delete_set_pod(sts, pod)
                if monotonic:
                    return
                continue
            if pod is None:
                self._create_pod(sts, ordinal, revision_for(ordinal))
                if monotonic:
                    return
                continue
            if pod["metadata"].get("deletionTimestamp") and monotonic:
                return  # wait for it to be gone
            if not _running_and_ready(pod) and monotonic:
                log.info("StatefulSet %s is waiting for Pod %s to be Running and Ready", name,
                         pod["metadata"]["name"])
                return
        # 2. the condemned: ordinals ≥ replicas, highest first
        condemned = sorted((o for o in by_ordinal if o >= replicas), reverse=True)
        self._sync_claim_owners(sts, by_ordinal)
        first_unhealthy = next((o for o in sorted(by_ordinal) if not _running_and_ready(by_ordinal[o])), None)
        for ordinal in condemned:
            pod = by_ordinal[ordinal]
            if pod["metadata"].get("deletionTimestamp"):
                if monotonic:
                    return
                continue
            if monotonic and not _running_and_ready(pod) and ordinal != first_unhealthy:
                return
            self._delete_set_pod(sts, pod)
            if monotonic:
                return
        # 3. the rolling update, from the highest ordinal down to the partition
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        for ordinal in range(replicas - 1, partition - 1, -1):
            pod = by_ordinal.get(ordinal)
            if pod is None:
                return
            if _revision_of(pod) != update_name and not pod["metadata"].get("deletionTimestamp"):
                self._delete_set_pod(sts, pod)
                return
            if not _running_and_ready(pod) or pod["metadata"].get("deletionTimestamp"):
                return  # wait for the replacement to be healthy

    def _create_pod(self, sts: Obj, ordinal: int, revision: Obj) -> None:
        spec = sts.get("spec") or {}
        ns = sts["metadata"].get("namespace")
        name = sts["metadata"]["name"]
        pod_name = f"{name}-{ordinal}"
        template = meta.deep_copy(((revision.get("data") or {}).get("spec") or {}).get("template")
                                  or spec.get("template") or {})
        template.pop("$patch", None)
        tmd = template.get("metadata") or {}
        labels = dict(tmd.get("labels") or {})
        labels.update({POD_NAME_LABEL: pod_name, POD_INDEX_LABEL: str(ordinal),
                       CONTROLLER_REVISION_HASH: revision["metadata"]["name"]})
        md: Obj = {"name": pod_name, "labels": labels, "ownerReferences": [self.controller_ref(sts)]}
        if tmd.get("annotations"):
            md["annotations"] = dict(tmd["annotations"])
        pod_spec = template.get("spec") or {}
        pod_spec["hostname"] = pod_name
        if spec.get("serviceName"):
            pod_spec["subdomain"] = spec["serviceName"]
        volumes = list(pod_spec.get("volumes") or [])
        for claim_template in spec.get("volumeClaimTemplates") or []:
            cname = (claim_template.get("metadata") or {}).get("name", "")
            volumes = [v for v in volumes if v.get("name") != cname]
            volumes.append({"name": cname, "persistentVolumeClaim": {"claimName": claim_name(cname, name, ordinal)}})
        if volumes:
            pod_spec["volumes"] = volumes
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": pod_spec}
        self._create_claims(sts, pod_name, ordinal)
        try:
            self.client.create("pods", pod, ns)
        except AlreadyExists:
            return
        except APIError as err:
            if namespace_terminating(err):
                return
            self.recorder.warning(sts, "FailedCreate", f"create Pod {pod_name} in StatefulSet {name} failed "
                                                       f"error: {err.message}")
            raise
        self.recorder.normal(sts, "SuccessfulCreate", f"create Pod {pod_name} in StatefulSet {name} successful")

    def _create_claims(self, sts: Obj, pod_name: str, ordinal: int) -> None:
        """The PVCs of one Pod, made before the Pod (``createPersistentVolumeClaims``)."""
        spec = sts.get("spec") or {}
        ns = sts["metadata"].get("namespace")
        name = sts["metadata"]["name"]
        match_labels = (spec.get("selector") or {}).get("matchLabels") or {}
        for claim_template in spec.get("volumeClaimTemplates") or []:
            cmd = claim_template.get("metadata") or {}
            pvc_name = claim_name(cmd.get("name", ""), name, ordinal)
            if self.pvc_informer.get(f"{ns}/{pvc_name}") is not None:
                continue
            labels = dict(cmd.get("labels") or {})
            labels.update(match_labels)
            pvc: Obj = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                        "metadata": {"name": pvc_name, "namespace": ns, "labels": labels},
                        "spec": meta.deep_copy(claim_template.get("spec") or {})}
            if cmd.get("annotations"):
                pvc["metadata"]["annotations"] = dict(cmd["annotations"])
            refs = self._claim_owner_refs(sts, ordinal, None)
            if refs:
                pvc["metadata"]["ownerReferences"] = refs
            try:
                self.client.create("persistentvolumeclaims", pvc, ns)
            except AlreadyExists:
                continue
            except APIError as err:
                self.recorder.warning(sts, "FailedCreate", f"create Claim {pvc_name} for Pod {pod_name} in "
                                                           f"StatefulSet {name} failed error: {err.message}")
                raise
            self.recorder.normal(sts, "SuccessfulCreate",
                                 f"create Claim {pvc_name} Pod {pod_name} in StatefulSet {name} success")

    def _claim_owner_refs(self, sts: Obj, ordinal: int, pod: Obj | None) -> list[Obj]:
        """The owner references the retention policy wants on the claims of *ordinal*."""
        spec = sts.get("spec") or {}
        policy = spec.get("persistentVolumeClaimRetentionPolicy") or {}
        if policy.get("whenScaled") == "Delete" and pod is not None and ordinal >= int(spec.get("replicas", 1)):
            # the Pod alone: an object goes only once all its owners are gone
            pmd = pod["metadata"]
            return [{"apiVersion": "v1", "kind": "Pod", "name": pmd["name"], "uid": pmd.get("uid", "")}]
        if policy.get("whenDeleted") == "Delete":
            return [{**self.controller_ref(sts), "controller": True, "blockOwnerDeletion": True}]
        return []

    def _sync_claim_owners(self, sts: Obj, by_ordinal: dict[int, Obj]) -> None:
        """Make the claims' owner references match the retention policy (``updateClaimOwnerRefForSetAndPod``)."""
        spec = sts.get("spec") or {}
        if not spec.get("volumeClaimTemplates"):
            return
        ns, name, uid = sts["metadata"].get("namespace"), sts["metadata"]["name"], sts["metadata"].get("uid")
        pod_uids = {p["metadata"].get("uid") for p in by_ordinal.values()}
        for ordinal, pod in by_ordinal.items():
            for claim_template in spec["volumeClaimTemplates"]:
                pvc = self.pvc_informer.get(f"{ns}/{claim_name((claim_template.get('metadata') or {}).get('name', ''), name, ordinal)}")
                if pvc is None:
                    continue
                current = pvc["metadata"].get("ownerReferences") or []
                # keep what others set; replace only our own references (to this set and its Pods)
                kept = [r for r in current if r.get("uid") != uid and r.get("uid") not in pod_uids]
                wanted = kept + self._claim_owner_refs(sts, ordinal, pod)
                if wanted == current:
                    continue
                new = meta.deep_copy(pvc)
                new["metadata"]["ownerReferences"] = wanted
                if not wanted:
                    new["metadata"].pop("ownerReferences")
                self.client.update("persistentvolumeclaims", new, ns)

    def _delete_set_pod(self, sts: Obj, pod: Obj) -> None:
        md = pod["metadata"]
        name = sts["metadata"]["name"]
        try:
            self.client.delete("pods", md["name"], md.get("namespace"))
        except NotFound:
            return
        except APIError as err:
            self.recorder.warning(sts, "FailedDelete", f"delete Pod {md['name']} in StatefulSet {name} failed "
                                                       f"error: {err.message}")
            raise
        self.recorder.normal(sts, "SuccessfulDelete", f"delete Pod {md['name']} in StatefulSet {name} successful")

    def _update_status(self, sts: Obj, pods: list[Obj], current_name: str, update_name: str) -> None:
        spec = sts.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.clock.now()
        live = [p for p in pods if not _finished(p)]
        ready = [p for p in live if _running_and_ready(p)]
        available = [p for p in ready if podutil.is_pod_available(p, min_ready, now)]
        current = sum(1 for p in live if _revision_of(p) == current_name)
        updated = sum(1 for p in live if _revision_of(p) == update_name)
        replicas = int(spec.get("replicas", 1))
        status = meta.deep_copy(sts.get("status") or {})
        status.update({"observedGeneration": sts["metadata"].get("generation"), "replicas": len(live),
                       "currentRevision": current_name, "updateRevision": update_name, "collisionCount": 0})
        # the rolling update is complete: the update revision becomes the current one
        if (((spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate")
                and updated == replicas and len(ready) == replicas and len(live) == replicas):
            status["currentRevision"] = update_name
            current = updated
        set_count(status, "readyReplicas", len(ready))
        set_count(status, "availableReplicas", len(available))
        set_count(status, "currentReplicas", current)
        set_count(status, "updatedReplicas", updated)
        try:
            self.write_status(sts, status)
        except NotFound:
            return
        if min_ready > 0 and len(ready) != len(available):
            self.queue.add_after(meta.key(sts), min_ready)
