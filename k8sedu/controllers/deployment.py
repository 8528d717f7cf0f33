"""The Deployment controller: roll out a Pod template through ReplicaSets, as upstream does.

A Deployment never touches Pods. It owns ReplicaSets, one per distinct template, named
``<deployment>-<pod-template-hash>``, and only changes their ``spec.replicas``; the ReplicaSet
controller does the rest. One reconcile (upstream's ``syncDeployment``)::

    claim ReplicaSets (adopt / release by selector)
    being deleted?              → only update status
    paused?                     → only scale (proportionally) and clean up, never roll
    replicas changed (scaling)? → scale the ReplicaSets proportionally
    RollingUpdate               → new RS up within maxSurge, old ones down within maxUnavailable
    Recreate                    → old ones to 0, wait until their Pods are gone, then new one up
    status and the Progressing / Available conditions

A rollout, ``replicas: 4, maxSurge: 1, maxUnavailable: 1`` (new Pods becoming Ready one by one)::

    old RS  4 → 3 →   2   →   1   → 0
    new RS  1 → 2 →   3   →   4          (at most 5 Pods, at least 3 available, at every step)

A rollback (``kubectl rollout undo``) puts an old template back into the Deployment; the controller
finds the ReplicaSet with that template, gives it the next revision number and scales it up again.
"""

from __future__ import annotations

import logging
from typing import Any

from ..api import meta
from ..api.selectors import from_label_selector
from ..client import Client, InformerFactory
from ..clock import Clock, parse_rfc3339
from ..errors import AlreadyExists, APIError, Conflict, Forbidden, NotFound
from . import deploymentutil as du
from .base import Controller
from .refmanager import claim

__all__ = ["DeploymentController", "calculate_status"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

_STATUS_COUNTERS = ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                    "availableReplicas", "unavailableReplicas")


def calculate_status(all_rss: list[Obj], new_rs: Obj | None, d: Obj, timestamp: str) -> Obj:
    """The Deployment's status from its ReplicaSets' (``calculateStatus``); zero counters are
    left out, as upstream's ``omitempty``."""
    available = du.sum_status(all_rss, "availableReplicas")
    total = du.sum_spec_replicas(all_rss)
    status: Obj = {
        "observedGeneration": int(d["metadata"].get("generation", 0)),
        "replicas": du.sum_status(all_rss, "replicas"),
        "updatedReplicas": du.sum_status([new_rs], "replicas"),
        "readyReplicas": du.sum_status(all_rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total - available),
    }
    status = {k: v for k, v in status.items() if v}
    old = d.get("status") or {}
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        status["conditions"] = [dict(c) for c in old["conditions"]]
    if available >= du.replicas(d) - du.max_unavailable(d):
        cond = du.new_condition("Available", "True", du.MINIMUM_REPLICAS_AVAILABLE,
                                "Deployment has minimum availability.", timestamp)
    else:
        cond = du.new_condition("Available", "False", du.MINIMUM_REPLICAS_UNAVAILABLE,
                                "Deployment does not have minimum availability.", timestamp)
    du.set_condition(status, cond)
    return status


class DeploymentController(Controller):
    name = "deployment"
    component = "deployment-controller"
    workers = 5  # --concurrent-deployment-syncs

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.d_informer = self.informers.informer("deployments")
        self.rs_informer = self.informers.informer("replicasets")
        self.pod_informer = self.informers.informer("pods")
        self.d_informer.add_handler(self.enqueue, self._update_deployment, self.enqueue)
        self.rs_informer.add_handler(self._add_rs, self._update_rs, self._delete_rs)
        self.pod_informer.add_handler(on_delete=self._delete_pod)

    # -- event handlers ---------------------------------------------------------------------------
    def _update_deployment(self, old: Obj, cur: Obj) -> None:
        self.enqueue(cur)

    def _resolve(self, namespace: str, ref: Obj | None) -> Obj | None:
        if ref is None or ref.get("kind") != "Deployment":
            return None
        d = self.d_informer.get(f"{namespace}/{ref.get('name')}")
        if d is None or d["metadata"].get("uid") != ref.get("uid"):
            return None
        return d

    def _deployments_for_rs(self, rs: Obj) -> list[Obj]:
        ns = rs["metadata"].get("namespace")
        labels = rs["metadata"].get("labels") or {}
        out = []
        for d in self.d_informer.list():
            if d["metadata"].get("namespace") != ns:
                continue
            try:
                selector = from_label_selector((d.get("spec") or {}).get("selector"))
            except ValueError:
                continue
            if selector.empty or not selector.matches(labels):
                continue
            out.append(d)
        return out

    def _add_rs(self, rs: Obj) -> None:
        if rs["metadata"].get("deletionTimestamp"):
            self._delete_rs(rs)
            return
        ref = meta.controller_ref(rs)
        if ref is not None:
            d = self._resolve(rs["metadata"].get("namespace", ""), ref)
            if d is not None:
                self.enqueue(d)
            return
        for d in self._deployments_for_rs(rs):
            self.enqueue(d)

    def _update_rs(self, old: Obj, cur: Obj) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        ns = cur["metadata"].get("namespace", "")
        cur_ref, old_ref = meta.controller_ref(cur), meta.controller_ref(old)
        ref_changed = cur_ref != old_ref
        if ref_changed and old_ref is not None:
            d = self._resolve(ns, old_ref)
            if d is not None:
                self.enqueue(d)
        if cur_ref is not None:
            d = self._resolve(ns, cur_ref)
            if d is not None:
                self.enqueue(d)
            return
        labels_changed = old["metadata"].get("labels") != cur["metadata"].get("labels")
        if labels_changed or ref_changed:
            for d in self._deployments_for_rs(cur):
                self.enqueue(d)

    def _delete_rs(self, rs: Obj) -> None:
        d = self._resolve(rs["metadata"].get("namespace", ""), meta.controller_ref(rs))
        if d is not None:
            self.enqueue(d)

    def _delete_pod(self, pod: Obj) -> None:
        """A Recreate rollout waits for the old Pods to be gone: wake it when one goes."""
        ns = pod["metadata"].get("namespace", "")
        ref = meta.controller_ref(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.rs_informer.get(f"{ns}/{ref.get('name')}")
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return
        d = self._resolve(ns, meta.controller_ref(rs))
        if d is not None and ((d.get("spec") or {}).get("strategy") or {}).get("type") == "Recreate":
            self.enqueue(d)

    # -- reconcile ----------------------------------------------------------------------------------
    def reconcile(self, key: Any) -> None:
        cached = self.d_informer.get(str(key))
        if cached is None:
            return
        try:
            self._sync_deployment(meta.deep_copy(cached))
        except NotFound:
            return  # the Deployment (or a ReplicaSet) went away meanwhile; its event requeues us
        except Forbidden as err:
            if "because it is being terminated" not in err.message:
                raise
            # the namespace is being deleted: every create fails, nothing left to do

    def _sync_deployment(self, d: Obj) -> None:
        """Upstream's ``syncDeployment``."""
        selector = (d.get("spec") or {}).get("selector")
        if selector is not None and not selector.get("matchLabels") and not selector.get("matchExpressions"):
            self.recorder.warning(d, "SelectingAll",
                                  "This deployment is selecting all pods. A non-empty selector is required.")
            if int((d.get("status") or {}).get("observedGeneration", 0)) < int(d["metadata"].get("generation", 0)):
                d.setdefault("status", {})["observedGeneration"] = d["metadata"].get("generation")
                self._update_status(d)
            return
        rs_list = self._get_replica_sets(d)
        if d["metadata"].get("deletionTimestamp"):
            self._sync_status_only(d, rs_list)
            return
        self._check_paused_conditions(d)
        if d["spec"].get("paused"):
            self._sync(d, rs_list)
            return
        if self._is_scaling_event(d, rs_list):
            self._sync(d, rs_list)
            return
        strategy = (d["spec"].get("strategy") or {}).get("type", "RollingUpdate")
        if strategy == "Recreate":
            self._rollout_recreate(d, rs_list)
        elif strategy == "RollingUpdate":
            self._rollout_rolling(d, rs_list)
        else:
            raise ValueError(f"unexpected deployment strategy type: {strategy}")

    def _get_replica_sets(self, d: Obj) -> list[Obj]:
        """The ReplicaSets this Deployment controls, after adoption and release."""
        ns = d["metadata"].get("namespace")
        selector = from_label_selector(d["spec"].get("selector"))
        candidates = [rs for rs in self.rs_informer.list() if rs["metadata"].get("namespace") == ns]
        ref = meta.make_controller_ref(d, "Deployment", "apps/v1")
        claimed, errors = claim(self.client, d, "deployments", ref, selector, candidates, "replicasets")
        if errors:
            raise errors[0]
        return claimed

    def _pod_map(self, d: Obj, rs_list: list[Obj]) -> dict[str, list[Obj]]:
        """Pods of each ReplicaSet, by ReplicaSet uid (``getPodMapForDeployment``)."""
        ns = d["metadata"].get("namespace")
        selector = from_label_selector(d["spec"].get("selector"))
        out: dict[str, list[Obj]] = {rs["metadata"]["uid"]: [] for rs in rs_list}
        for pod in self.pod_informer.list():
            if pod["metadata"].get("namespace") != ns:
                continue
            if not selector.matches(pod["metadata"].get("labels") or {}):
                continue
            ref = meta.controller_ref(pod)
            if ref is not None and ref.get("uid") in out:
                out[ref["uid"]].append(pod)
        return out

    # -- writes -------------------------------------------------------------------------------------
    def _update_status(self, d: Obj) -> None:
        updated = self.client.update_status("deployments", d)
        d["metadata"]["resourceVersion"] = updated["metadata"]["resourceVersion"]

    def _write_revision(self, d: Obj) -> None:
        """The revision annotation lives in the Deployment's metadata (upstream may write it with
        the status; our status subresource takes only status, so it is a metadata patch)."""
        rev = d["metadata"]["annotations"][du.REVISION]
        updated = self.client.patch("deployments", d["metadata"]["name"],
                                    {"metadata": {"annotations": {du.REVISION: rev}}},
                                    d["metadata"].get("namespace"))
        d["metadata"]["resourceVersion"] = updated["metadata"]["resourceVersion"]

    def _check_paused_conditions(self, d: Obj) -> None:
        if not du.has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = du.get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == du.TIMED_OUT:
            return  # a timed-out rollout stays reported as such
        paused_cond = cond is not None and cond.get("reason") == du.PAUSED
        now = self.clock.timestamp()
        if d["spec"].get("paused") and not paused_cond:
            du.set_condition(status, du.new_condition("Progressing", "Unknown", du.PAUSED, "Deployment is paused", now))
        elif not d["spec"].get("paused") and paused_cond:
            du.set_condition(status, du.new_condition("Progressing", "Unknown", du.RESUMED, "Deployment is resumed", now))
        else:
            return
        self._update_status(d)

    def _is_scaling_event(self, d: Obj, rs_list: list[Obj]) -> bool:
        """Did only ``spec.replicas`` change? Then scale, do not roll (``isScalingEvent``)."""
        new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=False)
        for rs in du.filter_active(old_rss + [new_rs]):
            desired = du.desired_replicas_annotation(rs)
            if desired is not None and desired != du.replicas(d):
                return True
        return False

    def _get_all_replica_sets(self, d: Obj, rs_list: list[Obj], create: bool) -> tuple[Obj | None, list[Obj]]:
        _, all_old = du.find_old_replica_sets(d, rs_list)
        new_rs = self._get_new_replica_set(d, rs_list, all_old, create)
        return new_rs, all_old

    def _get_new_replica_set(self, d: Obj, rs_list: list[Obj], old_rss: list[Obj], create: bool) -> Obj | None:
        """Find (or create) the ReplicaSet of the current template and sync revisions
        (``getNewReplicaSet``)."""
        existing = du.find_new_replica_set(d, rs_list)
        new_revision = str(du.max_revision(old_rss) + 1)
        ns = d["metadata"].get("namespace")
        status = d.setdefault("status", {})
        if existing is not None:
            rs = meta.deep_copy(existing)
            annotations_updated = du.set_new_replica_set_annotations(d, rs, new_revision, exists=True)
            want_min_ready = int(d["spec"].get("minReadySeconds") or 0)
            if annotations_updated or int(rs["spec"].get("minReadySeconds") or 0) != want_min_ready:
                if want_min_ready:
                    rs["spec"]["minReadySeconds"] = want_min_ready
                else:
                    rs["spec"].pop("minReadySeconds", None)
                updated = self.client.update("replicasets", rs, ns)
                self._replace(rs_list, updated)
                return updated
            revision_changed = du.set_deployment_revision(d, rs["metadata"]["annotations"].get(du.REVISION, ""))
            status_changed = False
            progressing = du.get_condition(status, "Progressing")
            # Upstream records progress for a found new ReplicaSet only when there is no condition
            # yet. If the NewReplicaSetCreated write was lost (a conflict and a failed retry), the
            # condition still says an *older* ReplicaSet is available: the new rollout would then
            # never show progress and never time out, so record that this one was found.
            stale = (progressing is not None and progressing.get("reason") == du.NEW_RS_AVAILABLE
                     and f'"{rs["metadata"]["name"]}"' not in progressing.get("message", ""))
            if du.has_progress_deadline(d) and (progressing is None or stale):
                du.set_condition(status, du.new_condition(
                    "Progressing", "True", du.FOUND_NEW_RS, f'Found new replica set "{rs["metadata"]["name"]}"',
                    self.clock.timestamp()))
                status_changed = True
            if revision_changed:
                self._write_revision(d)
            if status_changed:
                self._update_status(d)
            return rs
        if not create:
            return None

        # No ReplicaSet has this template yet: make one, named after the template's hash.
        template = meta.deep_copy(d["spec"].get("template") or {})
        pod_hash = meta.pod_template_hash(d["spec"].get("template") or {}, status.get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[du.POD_TEMPLATE_HASH] = pod_hash
        selector = meta.deep_copy(d["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[du.POD_TEMPLATE_HASH] = pod_hash
        name = f"{d['metadata']['name']}-{pod_hash}"
        new_rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": ns,
                "ownerReferences": [meta.make_controller_ref(d, "Deployment", "apps/v1")],
                "labels": dict(template["metadata"]["labels"]),
            },
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }
        if d["spec"].get("minReadySeconds"):
            new_rs["spec"]["minReadySeconds"] = int(d["spec"]["minReadySeconds"])
        count = du.new_rs_new_replicas(d, old_rss + [new_rs], new_rs)
        new_rs["spec"]["replicas"] = count
        du.set_new_replica_set_annotations(d, new_rs, new_revision, exists=False)
        already_exists = False
        try:
            created = self.client.create("replicasets", new_rs, ns)
        except AlreadyExists:
            # a slow cache, or a hash collision with somebody else's ReplicaSet
            already_exists = True
            found = self.rs_informer.get(f"{ns}/{name}") or self.client.get("replicasets", name, ns)
            ref = meta.controller_ref(found)
            if (ref is not None and ref.get("uid") == d["metadata"].get("uid")
                    and du.equal_ignore_hash(d["spec"].get("template"), found["spec"].get("template"))):
                created = found
            else:
                status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
                self._update_status(d)
                raise
        except APIError as err:
            if "because it is being terminated" in err.message:
                raise
            msg = f'Failed to create new replica set "{name}": {err.message}'
            if du.has_progress_deadline(d):
                du.set_condition(status, du.new_condition("Progressing", "False", du.FAILED_RS_CREATE, msg,
                                                          self.clock.timestamp()))
                try:
                    self._update_status(d)
                except APIError:
                    pass  # the bigger problem is reported below
            self.recorder.warning(d, du.FAILED_RS_CREATE, msg)
            raise
        if not already_exists and count > 0:
            self.recorder.normal(d, "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {count}")
        revision_changed = du.set_deployment_revision(d, new_revision)
        status_changed = False
        created_cond = None
        if not already_exists and du.has_progress_deadline(d):
            created_cond = du.new_condition("Progressing", "True", du.NEW_RS_CREATED,
                                            f'Created new replica set "{name}"', self.clock.timestamp())
            du.set_condition(status, created_cond)
            status_changed = True
        if revision_changed:
            self._write_revision(d)
        if status_changed:
            self._update_status_retrying(d, created_cond)
        rs_list.append(created)
        return created

    def _update_status_retrying(self, d: Obj, cond: Obj | None) -> None:
        """Write the NewReplicaSetCreated condition even when someone changed the Deployment meanwhile
        (``kubectl annotate`` right after ``set image``): the next sync finds the ReplicaSet already
        there and would never record it, so the old NewReplicaSetAvailable would stay, the rollout
        would show no progress against it and never reach its progress deadline."""
        for _ in range(5):
            try:
                self._update_status(d)
                return
            except Conflict:
                if cond is None:
                    raise
                fresh = self.client.get("deployments", d["metadata"]["name"], d["metadata"].get("namespace"))
                du.set_condition(fresh.setdefault("status", {}), cond)
                d["metadata"], d["status"] = fresh["metadata"], fresh["status"]
        self._update_status(d)

    @staticmethod
    def _replace(rs_list: list[Obj], updated: Obj) -> None:
        for i, rs in enumerate(rs_list):
            if rs["metadata"].get("uid") == updated["metadata"].get("uid"):
                rs_list[i] = updated

    # -- scaling ------------------------------------------------------------------------------------
    def _scale_rs(self, rs: Obj, new_scale: int, d: Obj, operation: str) -> tuple[bool, Obj]:
        """Set a ReplicaSet's replicas (and desired/max annotations); an Event when it scaled."""
        size_changes = du.replicas(rs) != new_scale
        desired, max_total = du.replicas(d), du.replicas(d) + du.max_surge(d)
        if not size_changes and not du.replicas_annotations_need_update(rs, desired, max_total):
            return False, rs
        old_scale = du.replicas(rs)
        copy = meta.deep_copy(rs)
        copy["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(copy, desired, max_total)
        updated = self.client.update("replicasets", copy, rs["metadata"].get("namespace"))
        if size_changes:
            self.recorder.normal(d, "ScalingReplicaSet",
                                 f"Scaled {operation} replica set {updated['metadata']['name']} "
                                 f"from {old_scale} to {new_scale}")
        return size_changes, updated

    def _scale_and_record(self, rs: Obj, new_scale: int, d: Obj) -> tuple[bool, Obj]:
        if du.replicas(rs) == new_scale:
            return False, rs
        return self._scale_rs(rs, new_scale, d, "up" if du.replicas(rs) < new_scale else "down")

    def _scale(self, d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> None:
        """Follow a change of ``spec.replicas`` (``scale``): one active ReplicaSet takes it all;
        mid-rollout, the extra (or missing) replicas are shared in proportion to size."""
        target = du.find_active_or_latest(new_rs, old_rss)
        if target is not None:
            if du.replicas(target) != du.replicas(d):
                self._scale_and_record(target, du.replicas(d), d)
            return
        if du.is_saturated(d, new_rs):
            for old in du.filter_active(old_rss):
                self._scale_and_record(old, 0, d)
            return
        if ((d["spec"].get("strategy") or {}).get("type", "RollingUpdate")) != "RollingUpdate":
            return
        all_rss = du.filter_active(old_rss + [new_rs])
        allowed = du.replicas(d) + du.max_surge(d) if du.replicas(d) > 0 else 0
        to_add = allowed - du.sum_spec_replicas(all_rss)
        operation = ""
        if to_add > 0:
            all_rss = du.by_size_newer(all_rss)
            operation = "up"
        elif to_add < 0:
            all_rss = du.by_size_older(all_rss)
            operation = "down"
        status_replicas = int((d.get("status") or {}).get("replicas", 0))
        added = 0
        sizes: dict[str, int] = {}
        for rs in all_rss:
            if to_add != 0:
                proportion = du.get_proportion(rs, d, to_add, added, status_replicas)
                sizes[rs["metadata"]["name"]] = du.replicas(rs) + proportion
                added += proportion
            else:
                sizes[rs["metadata"]["name"]] = du.replicas(rs)
        for i, rs in enumerate(all_rss):
            name = rs["metadata"]["name"]
            if i == 0 and to_add != 0:  # leftovers go to the largest ReplicaSet
                sizes[name] = max(0, sizes[name] + to_add - added)
            self._scale_rs(rs, sizes[name], d, operation)

    def _sync(self, d: Obj, rs_list: list[Obj]) -> None:
        """Scaling and paused Deployments: scale, clean up, status; no rollout (``sync``)."""
        new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=False)
        self._scale(d, new_rs, old_rss)
        if d["spec"].get("paused"):
            self._cleanup(old_rss, d)
        self._sync_deployment_status(old_rss + ([new_rs] if new_rs else []), new_rs, d)

    def _sync_status_only(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=False)
        self._sync_deployment_status(old_rss + ([new_rs] if new_rs else []), new_rs, d)

    def _cleanup(self, old_rss: list[Obj], d: Obj) -> None:
        """Delete the oldest ReplicaSets beyond ``revisionHistoryLimit`` that have scaled to 0
        (``cleanupDeployment``)."""
        limit = d["spec"].get("revisionHistoryLimit")
        if limit is None:
            return
        alive = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        diff = len(alive) - int(limit)
        if diff <= 0:
            return
        for rs in du.by_revision(alive)[:diff]:
            st = rs.get("status") or {}
            if (int(st.get("replicas", 0)) != 0 or du.replicas(rs) != 0
                    or int(rs["metadata"].get("generation", 0)) > int(st.get("observedGeneration", 0))
                    or rs["metadata"].get("deletionTimestamp")):
                continue
            try:
                self.client.delete("replicasets", rs["metadata"]["name"], rs["metadata"].get("namespace"))
            except NotFound:
                pass

    # -- RollingUpdate ------------------------------------------------------------------------------
    def _rollout_rolling(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=True)
        assert new_rs is not None
        all_rss = old_rss + [new_rs]
        scaled_up, new_rs = self._reconcile_new_rs(all_rss, new_rs, d)
        if scaled_up:
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if self._reconcile_old_rss(old_rss + [new_rs], du.filter_active(old_rss), new_rs, d):
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if du.deployment_complete(d, d.get("status") or {}):
            self._cleanup(old_rss, d)
        self._sync_rollout_status(all_rss, new_rs, d)

    def _reconcile_new_rs(self, all_rss: list[Obj], new_rs: Obj, d: Obj) -> tuple[bool, Obj]:
        want = du.replicas(d)
        if du.replicas(new_rs) == want:
            return False, new_rs
        if du.replicas(new_rs) > want:
            return self._scale_and_record(new_rs, want, d)
        count = du.new_rs_new_replicas(d, all_rss, new_rs)
        return self._scale_and_record(new_rs, count, d)

    @staticmethod
    def _available(rs: Obj) -> int:
        """Available Pods of a ReplicaSet, never more than its (possibly just lowered) replicas:
        its status may still count Pods it is about to delete. A safety bound of ours; upstream
        reads ``status.availableReplicas`` as it is."""
        return min(int((rs.get("status") or {}).get("availableReplicas", 0)), du.replicas(rs))

    def _reconcile_old_rss(self, all_rss: list[Obj], old_rss: list[Obj], new_rs: Obj, d: Obj) -> bool:
        """Scale old ReplicaSets down as far as maxUnavailable allows (``reconcileOldReplicaSets``)."""
        if du.sum_spec_replicas(old_rss) == 0:
            return False
        all_pods = du.sum_spec_replicas(all_rss)
        min_available = du.replicas(d) - du.max_unavailable(d)
        new_unavailable = du.replicas(new_rs) - int((new_rs.get("status") or {}).get("availableReplicas", 0))
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        # First the old Pods that are not available anyway: removing them costs no availability.
        old_rss, cleaned = self._cleanup_unhealthy(old_rss, d, max_scaled_down)
        scaled = self._scale_down_old_for_rolling(old_rss + [new_rs], old_rss, d)
        return cleaned + scaled > 0

    def _cleanup_unhealthy(self, old_rss: list[Obj], d: Obj, max_cleanup: int) -> tuple[list[Obj], int]:
        old_rss = du.by_creation(old_rss)
        total = 0
        for i, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            available = self._available(rs)
            if du.replicas(rs) == 0 or du.replicas(rs) == available:
                continue
            count = min(max_cleanup - total, du.replicas(rs) - available)
            _, old_rss[i] = self._scale_and_record(rs, du.replicas(rs) - count, d)
            total += count
        return old_rss, total

    def _scale_down_old_for_rolling(self, all_rss: list[Obj], old_rss: list[Obj], d: Obj) -> int:
        min_available = du.replicas(d) - du.max_unavailable(d)
        available = sum(self._available(rs) for rs in all_rss)
        if available <= min_available:
            return 0
        total, budget = 0, available - min_available
        for rs in du.by_creation(old_rss):
            if total >= budget:
                break
            if du.replicas(rs) == 0:
                continue
            count = min(du.replicas(rs), budget - total)
            self._scale_and_record(rs, du.replicas(rs) - count, d)
            total += count
        return total

    # -- Recreate -----------------------------------------------------------------------------------
    def _rollout_recreate(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=False)
        all_rss = old_rss + ([new_rs] if new_rs else [])
        scaled_down = False
        for rs in du.filter_active(old_rss):
            scaled, _ = self._scale_and_record(rs, 0, d)
            scaled_down = scaled_down or scaled
        if scaled_down:
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if self._old_pods_running(new_rs, old_rss, self._pod_map(d, rs_list)):
            self._sync_rollout_status(all_rss, new_rs, d)
            return
        if new_rs is None:
            new_rs, old_rss = self._get_all_replica_sets(d, rs_list, create=True)
            assert new_rs is not None
            all_rss = old_rss + [new_rs]
        _, new_rs = self._scale_and_record(new_rs, du.replicas(d), d)
        all_rss = old_rss + [new_rs]
        if du.deployment_complete(d, d.get("status") or {}):
            self._cleanup(old_rss, d)
        self._sync_rollout_status(all_rss, new_rs, d)

    @staticmethod
    def _old_pods_running(new_rs: Obj | None, old_rss: list[Obj], pod_map: dict[str, list[Obj]]) -> bool:
        if du.sum_status(old_rss, "replicas") > 0:
            return True
        new_uid = new_rs["metadata"]["uid"] if new_rs else None
        for uid, pods in pod_map.items():
            if uid == new_uid:
                continue
            for pod in pods:
                if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                    return True  # Pending, Running, Unknown, or still terminating
        return False

    # -- status and progress ------------------------------------------------------------------------
    def _sync_deployment_status(self, all_rss: list[Obj], new_rs: Obj | None, d: Obj) -> None:
        status = calculate_status(all_rss, new_rs, d, self.clock.timestamp())
        if status == (d.get("status") or {}):
            return
        d["status"] = status
        self._update_status(d)

    def _sync_rollout_status(self, all_rss: list[Obj], new_rs: Obj | None, d: Obj) -> None:
        """Status plus the Progressing condition (``syncRolloutStatus``)."""
        now = self.clock.timestamp()
        status = calculate_status(all_rss, new_rs, d, now)
        if not du.has_progress_deadline(d):
            du.remove_condition(status, "Progressing")
        current = du.get_condition(d.get("status") or {}, "Progressing")
        complete_before = (int(status.get("replicas", 0)) == int(status.get("updatedReplicas", 0))
                           and current is not None and current.get("reason") == du.NEW_RS_AVAILABLE)
        name = d["metadata"]["name"]
        what = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs is not None else f'Deployment "{name}"'
        if du.has_progress_deadline(d) and not complete_before:
            if du.deployment_complete(d, status):
                du.set_condition(status, du.new_condition("Progressing", "True", du.NEW_RS_AVAILABLE,
                                                          f"{what} has successfully progressed.", now))
            elif du.deployment_progressing(d, status):
                cond = du.new_condition("Progressing", "True", du.REPLICA_SET_UPDATED, f"{what} is progressing.", now)
                # Unlike other conditions, Progressing is refreshed (lastUpdateTime) on every sign
                # of progress, even with the same reason: the deadline counts from the last one.
                if current is not None:
                    if current.get("status") == "True":
                        cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    du.remove_condition(status, "Progressing")
                du.set_condition(status, cond)
            elif du.deployment_timed_out(d, status, self.clock.now()):
                du.set_condition(status, du.new_condition("Progressing", "False", du.TIMED_OUT,
                                                          f"{what} has timed out progressing.", now))
        failure = self._replica_failure(all_rss, new_rs)
        if failure is not None:
            du.set_condition(status, failure)
        else:
            du.remove_condition(status, "ReplicaFailure")
        if status == (d.get("status") or {}):
            self._requeue_stuck(d, status)
            return
        d["status"] = status
        self._update_status(d)

    @staticmethod
    def _replica_failure(all_rss: list[Obj], new_rs: Obj | None) -> Obj | None:
        """A ReplicaSet's ReplicaFailure condition, copied up (``getReplicaFailures``)."""
        ordered = ([new_rs] if new_rs else []) + [rs for rs in all_rss if rs is not new_rs]
        for rs in ordered:
            for c in (rs.get("status") or {}).get("conditions") or []:
                if c.get("type") == "ReplicaFailure":
                    t = c.get("lastTransitionTime", "")
                    return {"type": "ReplicaFailure", "status": c.get("status", "True"), "lastUpdateTime": t,
                            "lastTransitionTime": t, "reason": c.get("reason", ""), "message": c.get("message", "")}
        return None

    def _requeue_stuck(self, d: Obj, status: Obj) -> None:
        """No visible progress: look again when the progress deadline would pass
        (``requeueStuckDeployment``)."""
        current = du.get_condition(d.get("status") or {}, "Progressing")
        if not du.has_progress_deadline(d) or current is None:
            return
        if du.deployment_complete(d, status) or current.get("reason") == du.TIMED_OUT:
            return
        try:
            last = parse_rfc3339(current.get("lastUpdateTime", ""))
        except ValueError:
            return
        after = last + int(d["spec"]["progressDeadlineSeconds"]) - self.clock.now()
        key = meta.key(d)
        if after < 1:
            self.queue.add_rate_limited(key)
        else:
            self.queue.add_after(key, after)
