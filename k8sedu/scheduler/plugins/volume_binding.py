"""VolumeBinding: a Pod goes only where its PersistentVolumeClaims can be (or already are) mounted.

Why a scheduler plugin: storage is not everywhere. A volume may be reachable from some nodes only
(``PersistentVolume.spec.nodeAffinity``: a local disk, a zone), so the scheduler must know about
claims, as upstream's ``pkg/scheduler/framework/plugins/volumebinding``::

    PreFilter  every claim the Pod names must exist and not be being deleted; a claim still unbound
               whose StorageClass binds Immediate (or has no class) stops the Pod for good:
                   pod has unbound immediate PersistentVolumeClaims
               (the PV controller binds those claims on its own; the Pod waits for it)
    Filter     a bound claim's volume must accept the node (its nodeAffinity):
                   node(s) had volume node affinity conflict
               a WaitForFirstConsumer claim needs, on this node, an Available volume that matches
               or a class that can provision one (allowedTopologies):
                   node(s) didn't find available persistent volumes to bind
    PreBind    (``claims_to_provision``, run by the scheduler just before the binding) writes the
               chosen node on each delayed claim: annotation volume.kubernetes.io/selected-node,
               the PV controller's cue to bind or provision the volume there.

Simplified: upstream's PreBind also binds the static volume it chose and waits for the claims to
be bound before binding the Pod; here the PV controller binds, and the kubelet waits for it
(``FailedMount``). No Score (upstream's capacity scoring is behind a feature gate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ...api import storage
from ..framework import Code, CycleState, NodeInfo, Pod, PreFilterResult, Snapshot, Status
from .helpers import terms_match

__all__ = [
    "NAME",
    "ERR_REASON_BIND_CONFLICT",
    "ERR_REASON_NODE_CONFLICT",
    "ERR_REASON_PV_NOT_EXIST",
    "ERR_UNBOUND_IMMEDIATE",
    "NO_PROVISIONER",
    "SELECTED_NODE",
    "VolumeBinding",
    "claims_to_provision",
    "pod_claim_names",
]

NAME = "VolumeBinding"
ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
ERR_REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_REASON_PV_NOT_EXIST = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
NO_PROVISIONER = "kubernetes.io/no-provisioner"  # static local volumes only: nothing can be provisioned
SELECTED_NODE = "volume.kubernetes.io/selected-node"
_STATE_KEY = "PreFilter" + NAME

Obj = Mapping[str, Any]


def pod_claim_names(pod: Pod) -> list[str]:
    """The claims a Pod's volumes name (``persistentVolumeClaim.claimName``), in order."""
    out: list[str] = []
    for v in (pod.get("spec") or {}).get("volumes") or []:
        name = (v.get("persistentVolumeClaim") or {}).get("claimName")
        if name and name not in out:
            out.append(str(name))
    return out


def _key(obj: Obj) -> str:
    md = obj.get("metadata") or {}
    return f"{md.get('namespace') or ''}/{md.get('name', '')}"


def is_delayed(pvc: Obj, classes: Mapping[str, Obj]) -> bool:
    """Does the claim's class bind WaitForFirstConsumer? An unknown class counts as Immediate,
    as upstream's ``IsDelayBindingMode``."""
    sc = classes.get(storage.claim_class(dict(pvc)))
    return sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer"


def _volume_fits_node(pv: Obj, node: Obj) -> bool:
    required = ((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required")
    if not required:
        return True
    return terms_match(required.get("nodeSelectorTerms") or [], dict(node))


def _can_provision_on(sc: Obj, node: Obj) -> bool:
    if sc.get("provisioner", "") == NO_PROVISIONER:
        return False
    topologies = sc.get("allowedTopologies") or []
    if not topologies:
        return True
    labels = (node.get("metadata") or {}).get("labels") or {}
    return any(all(labels.get(e.get("key")) in (e.get("values") or []) for e in t.get("matchLabelExpressions") or [])
               for t in topologies)


class _PodVolumes:
    """What PreFilter found: bound claims with their volumes, delayed claims, and the PVs around."""

    def __init__(self, bound: list[tuple[Obj, Obj | None]], delayed: list[Obj], volumes: list[Obj],
                 classes: Mapping[str, Obj]) -> None:
        self.bound, self.delayed, self.volumes, self.classes = bound, delayed, volumes, classes


class VolumeBinding:
    name: ClassVar[str] = NAME

    def __init__(self, args: Mapping[str, Any] | None = None) -> None:
        self.args = dict(args or {})

    def pre_filter(self, state: CycleState, pod: Pod, snapshot: Snapshot) -> tuple[PreFilterResult | None, Status]:
        names = pod_claim_names(pod)
        if not names:
            return None, Status.skip()
        ns = (pod.get("metadata") or {}).get("namespace") or "default"
        claims = {_key(c): c for c in getattr(snapshot, "claims", [])}
        volumes = {str((v.get("metadata") or {}).get("name")): v for v in getattr(snapshot, "volumes", [])}
        classes = {str((s.get("metadata") or {}).get("name")): s for s in getattr(snapshot, "storage_classes", [])}
        bound: list[tuple[Obj, Obj | None]] = []
        delayed: list[Obj] = []
        immediate = False
        for name in names:
            pvc = claims.get(f"{ns}/{name}")
            if pvc is None:
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
            if (pvc.get("metadata") or {}).get("deletionTimestamp"):
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" is being deleted')
            volume_name = (pvc.get("spec") or {}).get("volumeName")
            if volume_name:
                bound.append((pvc, volumes.get(str(volume_name))))
            elif is_delayed(pvc, classes):
                delayed.append(pvc)
            else:
                immediate = True
        if immediate:
            return None, Status.unresolvable(ERR_UNBOUND_IMMEDIATE)
        state.write(_STATE_KEY, _PodVolumes(bound, delayed, list(volumes.values()), classes))
        return None, Status()

    def filter(self, state: CycleState, pod: Pod, node: NodeInfo) -> Status:
        found: _PodVolumes | None = state.read(_STATE_KEY)
        if found is None:
            return Status()
        reasons: list[str] = []
        for _, pv in found.bound:
            if pv is None:
                return Status.unresolvable(ERR_REASON_PV_NOT_EXIST)
            if not _volume_fits_node(pv, node.node) and ERR_REASON_NODE_CONFLICT not in reasons:
                reasons.append(ERR_REASON_NODE_CONFLICT)
        for pvc in found.delayed:
            selected = ((pvc.get("metadata") or {}).get("annotations") or {}).get(SELECTED_NODE)
            if selected and selected != node.name:
                reasons.append(ERR_REASON_BIND_CONFLICT)
                break
            available = [pv for pv in found.volumes if not (pv.get("spec") or {}).get("claimRef")
                          and storage.volume_matches(dict(pv), dict(pvc)) and _volume_fits_node(pv, node.node)]
            sc = found.classes.get(storage.claim_class(dict(pvc))) or {}
            if not available and not _can_provision_on(sc, node.node):
                reasons.append(ERR_REASON_BIND_CONFLICT)
                break
        if reasons:
            return Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, tuple(reasons))
        return Status()


def claims_to_provision(pod: Pod, claims: list[Obj], classes: list[Obj]) -> list[Obj]:
    """PreBind: the Pod's unbound WaitForFirstConsumer claims that do not name a node yet; the
    scheduler writes ``volume.kubernetes.io/selected-node`` on each before binding the Pod."""
    ns = (pod.get("metadata") or {}).get("namespace") or "default"
    by_key = {_key(c): c for c in claims}
    by_class = {str((s.get("metadata") or {}).get("name")): s for s in classes}
    out: list[Obj] = []
    for name in pod_claim_names(pod):
        pvc = by_key.get(f"{ns}/{name}")
        if pvc is None or (pvc.get("spec") or {}).get("volumeName") or not is_delayed(pvc, by_class):
            continue
        if not ((pvc.get("metadata") or {}).get("annotations") or {}).get(SELECTED_NODE):
            out.append(pvc)
    return out
