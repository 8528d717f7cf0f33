"""What the scheduler knows about one node, and a snapshot of all of them for one cycle.

A :class:`NodeInfo` is the Node object plus the sums the plugins need, kept up to date as Pods are
added (upstream's ``framework.NodeInfo``)::

    node-2   allocatable  cpu 2000m   memory 4Gi   pods 110
             pods         web-1 (500m, 256Mi)   web-2 (no requests)
             requested    cpu 500m    memory 256Mi           ← what NodeResourcesFit checks
             non-zero     cpu 600m    memory 456Mi           ← web-2 counted as 100m / 200Mi
                                                               (what LeastAllocated scores)
             used ports   {0.0.0.0: {(TCP, 8080)}}
             images       k8sedu/web:v1 (12 MB, on 3 of 3 nodes)

A :class:`Snapshot` freezes all NodeInfos at the start of a cycle, so every plugin of the cycle sees
the same cluster. Snapshots and the NodeInfos in them must not be mutated by plugins.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api.quantity import cpu_millis, memory_bytes

__all__ = [
    "DEFAULT_MILLI_CPU_REQUEST",
    "DEFAULT_MEMORY_REQUEST",
    "Resource",
    "ImageStateSummary",
    "NodeInfo",
    "Snapshot",
    "pod_resource_requests",
    "pod_priority",
    "is_terminal",
    "host_ports",
]

#: upstream's ``schedutil.DefaultMilliCPURequest`` / ``DefaultMemoryRequest``: what a container
#: without a request counts as when *scoring* (never when filtering).
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

_NON_ZERO = {"cpu": DEFAULT_MILLI_CPU_REQUEST, "memory": DEFAULT_MEMORY_REQUEST}
Pod = dict[str, Any]


def _amount(name: str, value: Any) -> int:
    try:
        return cpu_millis(value) if name == "cpu" else memory_bytes(value)
    except (ValueError, TypeError, ZeroDivisionError):
        return 0  # validation rejects bad quantities; never crash a scheduling cycle on one


def _is_scalar(name: str) -> bool:
    """Extended resources (``nvidia.com/gpu``), hugepages and prefixed native resources."""
    return "/" in name or name.startswith("hugepages-")


def _container_requests(container: Mapping[str, Any], non_missing: Mapping[str, int] | None) -> dict[str, int]:
    res = container.get("resources") or {}
    raw = dict(res.get("requests") or {})
    for name, value in (res.get("limits") or {}).items():
        raw.setdefault(name, value)  # defaulting copies limits into missing requests
    out = {name: _amount(name, value) for name, value in raw.items()}
    for name, value in (non_missing or {}).items():
        out.setdefault(name, value)
    return out


def _add(into: dict[str, int], other: Mapping[str, int]) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


def _max(into: dict[str, int], other: Mapping[str, int]) -> None:
    for k, v in other.items():
        if v > into.get(k, 0):
            into[k] = v


def pod_resource_requests(pod: Mapping[str, Any], non_zero: bool = False) -> dict[str, int]:
    """Resource name → amount (cpu in millicores, the rest in bytes/units) the Pod asks for, as
    upstream's ``resourcehelper.PodRequests``: the containers' sum, or an init container if it
    asks for more (they run one at a time first), sidecars (init containers with
    ``restartPolicy: Always``) added to both, plus ``spec.overhead``.

    With ``non_zero`` a container that asks for no cpu / memory counts as 100m / 200Mi (upstream's
    ``NonMissingContainerRequests``, used for scoring, so empty Pods do not pile up on one node).
    """
    spec = pod.get("spec") or {}
    non_missing = _NON_ZERO if non_zero else None
    reqs: dict[str, int] = {}
    for c in spec.get("containers") or []:
        _add(reqs, _container_requests(c, non_missing))
    restartable: dict[str, int] = {}
    init: dict[str, int] = {}
    for c in spec.get("initContainers") or []:
        r = _container_requests(c, non_missing)
        if c.get("restartPolicy") == "Always":
            _add(reqs, r)
            _add(restartable, r)
            r = dict(restartable)
        else:
            r = dict(r)
            _add(r, restartable)
        _max(init, r)
    _max(reqs, init)
    for name, value in (spec.get("overhead") or {}).items():
        _add(reqs, {name: _amount(name, value)})
    return reqs


def pod_priority(pod: Mapping[str, Any]) -> int:
    """``spec.priority`` (set from the PriorityClass at admission), 0 when absent."""
    value = (pod.get("spec") or {}).get("priority")
    return int(value) if value is not None else 0


def is_terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def host_ports(pod: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """``(hostIP, protocol, hostPort)`` for every container port with a hostPort (defaults
    ``0.0.0.0`` and ``TCP``)."""
    out = []
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            port = int(p.get("hostPort") or 0)
            if port > 0:
                out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", port))
    return out


@dataclass
class Resource:
    """Amounts of the resources the scheduler counts (upstream's ``framework.Resource``)."""

    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    allowed_pod_number: int = 0
    scalar: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_amounts(cls, amounts: Mapping[str, int]) -> Resource:
        r = cls()
        r.add(amounts)
        return r

    @classmethod
    def from_quantities(cls, quantities: Mapping[str, Any]) -> Resource:
        r = cls.from_amounts({k: _amount(k, v) for k, v in quantities.items() if k != "pods"})
        if "pods" in quantities:
            r.allowed_pod_number = _amount("pods", quantities["pods"])
        return r

    def add(self, amounts: Mapping[str, int], sign: int = 1) -> None:
        for name, v in amounts.items():
            v *= sign
            if name == "cpu":
                self.milli_cpu += v
            elif name == "memory":
                self.memory += v
            elif name == "ephemeral-storage":
                self.ephemeral_storage += v
            elif _is_scalar(name):
                self.scalar[name] = self.scalar.get(name, 0) + v

    def get(self, name: str) -> int:
        if name == "cpu":
            return self.milli_cpu
        if name == "memory":
            return self.memory
        if name == "ephemeral-storage":
            return self.ephemeral_storage
        if name == "pods":
            return self.allowed_pod_number
        return self.scalar.get(name, 0)

    def copy(self) -> Resource:
        return Resource(self.milli_cpu, self.memory, self.ephemeral_storage, self.allowed_pod_number, dict(self.scalar))


@dataclass(frozen=True)
class ImageStateSummary:
    """An image on a node: its size and on how many nodes of the cluster it is present."""

    size: int
    num_nodes: int


def _pod_id(pod: Mapping[str, Any]) -> str:
    md = pod.get("metadata") or {}
    return md.get("uid") or f"{md.get('namespace', '')}/{md.get('name', '')}"


def _has_affinity(pod: Mapping[str, Any]) -> bool:
    aff = (pod.get("spec") or {}).get("affinity") or {}
    return bool(aff.get("podAffinity") or aff.get("podAntiAffinity"))


def _has_required_anti_affinity(pod: Mapping[str, Any]) -> bool:
    aff = (pod.get("spec") or {}).get("affinity") or {}
    return bool((aff.get("podAntiAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution"))


class NodeInfo:
    """One node and the Pods on it (assigned or assumed), with their sums. Read-only for plugins."""

    def __init__(self, node: Mapping[str, Any], pods: Iterable[Pod] = ()) -> None:
        self.node: Mapping[str, Any] = node
        status = node.get("status") or {}
        self.allocatable = Resource.from_quantities(status.get("allocatable") or status.get("capacity") or {})
        self.pods: list[Pod] = []
        self.requested = Resource()
        self.non_zero_requested = Resource()
        self.used_ports: dict[str, set[tuple[str, int]]] = {}
        self.image_states: dict[str, ImageStateSummary] = {}
        self.pods_with_affinity: list[Pod] = []
        self.pods_with_required_anti_affinity: list[Pod] = []
        for pod in pods:
            self.add_pod(pod)

    @property
    def name(self) -> str:
        return str((self.node.get("metadata") or {}).get("name", ""))

    @property
    def labels(self) -> Mapping[str, str]:
        return (self.node.get("metadata") or {}).get("labels") or {}

    @property
    def taints(self) -> list[Mapping[str, Any]]:
        return (self.node.get("spec") or {}).get("taints") or []

    def add_pod(self, pod: Pod) -> None:
        self.pods.append(pod)
        self.requested.add(pod_resource_requests(pod))
        self.non_zero_requested.add({k: v for k, v in pod_resource_requests(pod, non_zero=True).items()
                                     if k in ("cpu", "memory")})
        for ip, proto, port in host_ports(pod):
            self.used_ports.setdefault(ip, set()).add((proto, port))
        if _has_affinity(pod):
            self.pods_with_affinity.append(pod)
        if _has_required_anti_affinity(pod):
            self.pods_with_required_anti_affinity.append(pod)

    def remove_pod(self, pod: Mapping[str, Any]) -> bool:
        """Take a Pod (matched by uid, else namespace/name) off the node; False if not there."""
        pid = _pod_id(pod)
        index = next((i for i, p in enumerate(self.pods) if _pod_id(p) == pid), None)
        if index is None:
            return False
        p = self.pods.pop(index)
        self.requested.add(pod_resource_requests(p), sign=-1)
        self.non_zero_requested.add({k: v for k, v in pod_resource_requests(p, non_zero=True).items()
                                     if k in ("cpu", "memory")}, sign=-1)
        for ip, proto, port in host_ports(p):
            self.used_ports.get(ip, set()).discard((proto, port))
        self.pods_with_affinity = [q for q in self.pods_with_affinity if _pod_id(q) != pid]
        self.pods_with_required_anti_affinity = [q for q in self.pods_with_required_anti_affinity
                                                 if _pod_id(q) != pid]
        return True

    def clone(self) -> NodeInfo:
        c = NodeInfo(self.node, self.pods)
        c.image_states = dict(self.image_states)
        return c

    def __repr__(self) -> str:
        return (f"NodeInfo({self.name!r}, pods={len(self.pods)}, "
                f"requested=({self.requested.milli_cpu}m, {self.requested.memory}), "
                f"allocatable=({self.allocatable.milli_cpu}m, {self.allocatable.memory}, "
                f"pods {self.allocatable.allowed_pod_number}))")


_LISTED_KINDS = {"Service": "services", "ReplicaSet": "replica_sets", "StatefulSet": "stateful_sets",
                 "ReplicationController": "replication_controllers", "PersistentVolumeClaim": "claims",
                 "PersistentVolume": "volumes", "StorageClass": "storage_classes"}


class Snapshot:
    """All NodeInfos (sorted by node name) plus the few other objects plugins consult: namespace
    labels (InterPodAffinity's namespaceSelector) and the Services / ReplicaSets / StatefulSets /
    ReplicationControllers that give PodTopologySpread its default spreading selector."""

    def __init__(self, node_infos: Sequence[NodeInfo], objects: Iterable[Mapping[str, Any]] = ()) -> None:
        self.node_infos: list[NodeInfo] = sorted(node_infos, key=lambda n: n.name)
        self._by_name = {n.name: n for n in self.node_infos}
        self.namespace_labels: dict[str, Mapping[str, str]] = {}
        self.services: list[Mapping[str, Any]] = []
        self.replica_sets: list[Mapping[str, Any]] = []
        self.stateful_sets: list[Mapping[str, Any]] = []
        self.replication_controllers: list[Mapping[str, Any]] = []
        # VolumeBinding's: claims, volumes and classes
        self.claims: list[Mapping[str, Any]] = []
        self.volumes: list[Mapping[str, Any]] = []
        self.storage_classes: list[Mapping[str, Any]] = []
        for obj in objects:
            kind = obj.get("kind")
            if kind == "Namespace":
                md = obj.get("metadata") or {}
                self.namespace_labels[md.get("name", "")] = md.get("labels") or {}
            elif kind in _LISTED_KINDS:
                getattr(self, _LISTED_KINDS[kind]).append(obj)
        self._count_images()

    @classmethod
    def build(cls, nodes: Iterable[Mapping[str, Any]], pods: Iterable[Pod],
              objects: Iterable[Mapping[str, Any]] = ()) -> Snapshot:
        """A snapshot of *nodes* with the non-terminal *pods* bound to them (``spec.nodeName``)."""
        infos = {str(n["metadata"]["name"]): NodeInfo(n) for n in nodes}
        for pod in pods:
            node_name = (pod.get("spec") or {}).get("nodeName")
            if node_name in infos and not is_terminal(pod):
                infos[node_name].add_pod(pod)
        return cls(list(infos.values()), objects)

    def _count_images(self) -> None:
        sizes: list[dict[str, int]] = []
        counts: dict[str, int] = {}
        for ni in self.node_infos:
            names: dict[str, int] = {}
            for image in (ni.node.get("status") or {}).get("images") or []:
                for name in image.get("names") or []:
                    names[name] = int(image.get("sizeBytes") or 0)
            sizes.append(names)
            for name in names:
                counts[name] = counts.get(name, 0) + 1
        for ni, names in zip(self.node_infos, sizes, strict=True):
            ni.image_states = {name: ImageStateSummary(size, counts[name]) for name, size in names.items()}

    def __len__(self) -> int:
        return len(self.node_infos)

    def __iter__(self) -> Iterator[NodeInfo]:
        return iter(self.node_infos)

    def get(self, name: str) -> NodeInfo | None:
        return self._by_name.get(name)

    def have_pods_with_affinity(self) -> list[NodeInfo]:
        return [n for n in self.node_infos if n.pods_with_affinity]

    def have_pods_with_required_anti_affinity(self) -> list[NodeInfo]:
        return [n for n in self.node_infos if n.pods_with_required_anti_affinity]

    def without(self, node_name: str, pods: Iterable[Mapping[str, Any]]) -> Snapshot:
        """A copy in which *pods* are gone from *node_name* (the preemption dry run)."""
        infos = []
        for ni in self.node_infos:
            if ni.name == node_name:
                ni = ni.clone()
                for p in pods:
                    ni.remove_pod(p)
            infos.append(ni)
        snap = Snapshot.__new__(Snapshot)
        snap.__dict__.update(self.__dict__)
        snap.node_infos = infos
        snap._by_name = {n.name: n for n in infos}
        return snap
