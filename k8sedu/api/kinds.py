"""The kinds the cluster serves, and how names map to them.

kubectl accepts many spellings for one resource type (``po``, ``pod``, ``pods``, ``Pod``,
``pods.v1.``, ``deploy``, ``deployments.apps``); the apiserver's discovery documents list the same
facts (plural, singular, short names, categories, subresources, verbs). One :class:`Kind` record per
type holds them all, and one :class:`Registry` answers "which type is this name?" and "which type
is this object?".

Adding a kind is one ``register(Kind(...))`` call (plus, optionally, a validator in
``validation.VALIDATORS`` and a defaulter in ``defaults.DEFAULTERS``)::

    register(Kind("CronJob", "cronjobs", "cronjob", "batch", "v1", True,
                  short_names=("cj",), categories=("all",), subresources=("status",)))
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from k8sedu.errors import BadRequest, KubectlError

__all__ = [
    "Kind",
    "Registry",
    "REGISTRY",
    "ALL_VERBS",
    "register",
    "lookup",
    "for_object",
    "for_kind",
    "for_resource",
    "all_kinds",
]

#: the verbs discovery lists for an ordinary resource (as upstream, sorted)
ALL_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclass(frozen=True)
class Kind:
    """One resource type, as the discovery API describes it."""

    kind: str  # "Deployment"
    plural: str  # "deployments": the resource name in URLs and RBAC rules
    singular: str  # "deployment"
    group: str  # "apps"; "" for the core ("legacy") group
    version: str  # "v1"
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # ("all",): what ``kubectl get all`` shows
    subresources: tuple[str, ...] = ()  # ("status", "scale")
    verbs: tuple[str, ...] = ALL_VERBS

    @property
    def api_version(self) -> str:
        """``apps/v1`` or ``v1`` (the core group has no group part)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """``deployments.apps`` or ``pods``: the name upstream uses in messages (NotFound...)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def listable(self) -> bool:
        return "list" in self.verbs

    def names(self) -> tuple[str, ...]:
        """Every spelling kubectl accepts for this kind, lower case."""
        return (self.plural, self.singular, self.kind.lower(), *self.short_names)


class Registry:
    """Name → :class:`Kind`; refuses a second kind with the same group and plural or kind."""

    def __init__(self) -> None:
        self._kinds: list[Kind] = []
        self._by_gk: dict[tuple[str, str], Kind] = {}  # (group, Kind)
        self._by_gr: dict[tuple[str, str], Kind] = {}  # (group, plural)

    def register(self, kind: Kind) -> Kind:
        if (kind.group, kind.kind) in self._by_gk or (kind.group, kind.plural) in self._by_gr:
            raise ValueError(f"kind {kind.kind} ({kind.qualified}) is already registered")
        self._kinds.append(kind)
        self._by_gk[(kind.group, kind.kind)] = kind
        self._by_gr[(kind.group, kind.plural)] = kind
        return kind

    def all_kinds(self) -> list[Kind]:
        return list(self._kinds)

    def __iter__(self) -> Iterator[Kind]:
        return iter(list(self._kinds))

    def _find(self, name: str, group: str | None, version: str | None = None) -> Kind | None:
        for k in self._kinds:  # registration order: core kinds first, as kubectl prefers them
            if group is not None and k.group != group:
                continue
            if version is not None and k.version != version:
                continue
            if name in k.names():
                return k
        return None

    def lookup(self, name: str) -> Kind:
        """The kind for a name as kubectl takes it: ``po``, ``pods``, ``Pod``, ``deployments.apps``,
        ``deployment.v1.apps``. Case-insensitive.
        """
        text = name.strip().lower()
        found = self._find(text, None) if text else None
        if found is None and "." in text:
            resource, _, rest = text.partition(".")
            found = self._find(resource, rest)  # deployments.apps; pods. (core: empty group)
            if found is None and "." in rest:
                version, _, group = rest.partition(".")  # deployments.v1.apps
                found = self._find(resource, group, version)
        if found is None:
            raise KubectlError(f'error: the server doesn\'t have a resource type "{name}"')
        return found

    def for_kind(self, kind_name: str, group: str | None = None) -> Kind:
        """The kind named exactly *kind_name* ("Deployment"); KeyError if unknown."""
        for k in self._kinds:
            if k.kind == kind_name and (group is None or k.group == group):
                return k
        raise KeyError(kind_name)

    def for_resource(self, plural: str, group: str | None = None) -> Kind:
        """The kind served at resource *plural* ("deployments"); KeyError if unknown."""
        for k in self._kinds:
            if k.plural == plural and (group is None or k.group == group):
                return k
        raise KeyError(plural)

    def for_object(self, obj: dict[str, Any]) -> Kind:
        """The kind of a manifest, by its apiVersion and kind, as the apiserver's REST mapping."""
        api_version = str(obj.get("apiVersion") or "")
        kind_name = str(obj.get("kind") or "")
        group, _, version = api_version.rpartition("/")
        k = self._by_gk.get((group, kind_name))
        if k is None or k.version != version:
            raise BadRequest(f'no matches for kind "{kind_name}" in version "{api_version}"')
        return k


REGISTRY = Registry()


def register(kind: Kind) -> Kind:
    return REGISTRY.register(kind)


def lookup(name: str) -> Kind:
    return REGISTRY.lookup(name)


def for_object(obj: dict[str, Any]) -> Kind:
    return REGISTRY.for_object(obj)


def for_kind(kind_name: str, group: str | None = None) -> Kind:
    return REGISTRY.for_kind(kind_name, group)


def for_resource(plural: str, group: str | None = None) -> Kind:
    return REGISTRY.for_resource(plural, group)


def all_kinds() -> list[Kind]:
    return REGISTRY.all_kinds()


# -- the built-in kinds (names, short names and subresources as upstream's discovery) -----------
_POD_SUBRESOURCES = (
    "status",
    "binding",
    "eviction",
    "log",
    "exec",
    "attach",
    "portforward",
    "proxy",
    "ephemeralcontainers",
)

register(Kind("Pod", "pods", "pod", "", "v1", True, ("po",), ("all",), _POD_SUBRESOURCES))
register(Kind("Node", "nodes", "node", "", "v1", False, ("no",), (), ("status", "proxy")))
register(
    Kind(
        "Namespace",
        "namespaces",
        "namespace",
        "",
        "v1",
        False,
        ("ns",),
        (),
        ("status", "finalize"),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    )
)
register(
    Kind(
        "Service",
        "services",
        "service",
        "",
        "v1",
        True,
        ("svc",),
        ("all",),
        ("status", "proxy"),
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
    )
)
register(Kind("Endpoints", "endpoints", "endpoints", "", "v1", True, ("ep",)))
register(Kind("EndpointSlice", "endpointslices", "endpointslice", "discovery.k8s.io", "v1", True))
register(Kind("Event", "events", "event", "", "v1", True, ("ev",)))
register(Kind("Binding", "bindings", "binding", "", "v1", True, verbs=("create",)))
register(
    Kind(
        "ServiceAccount",
        "serviceaccounts",
        "serviceaccount",
        "",
        "v1",
        True,
        ("sa",),
        (),
        ("token",),
    )
)
register(Kind("ConfigMap", "configmaps", "configmap", "", "v1", True, ("cm",)))
register(Kind("Secret", "secrets", "secret", "", "v1", True))
register(
    Kind(
        "Deployment",
        "deployments",
        "deployment",
        "apps",
        "v1",
        True,
        ("deploy",),
        ("all",),
        ("status", "scale"),
    )
)
register(
    Kind(
        "ReplicaSet",
        "replicasets",
        "replicaset",
        "apps",
        "v1",
        True,
        ("rs",),
        ("all",),
        ("status", "scale"),
    )
)
register(Kind("DaemonSet", "daemonsets", "daemonset", "apps", "v1", True, ("ds",), ("all",), ("status",)))
register(Kind("StatefulSet", "statefulsets", "statefulset", "apps", "v1", True, ("sts",), ("all",),
              ("status", "scale")))
register(Kind("ControllerRevision", "controllerrevisions", "controllerrevision", "apps", "v1", True))
register(Kind("Job", "jobs", "job", "batch", "v1", True, (), ("all",), ("status",)))
register(Kind("CronJob", "cronjobs", "cronjob", "batch", "v1", True, ("cj",), ("all",), ("status",)))
register(Kind("PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", "", "v1", True,
              ("pvc",), (), ("status",)))
register(Kind("PersistentVolume", "persistentvolumes", "persistentvolume", "", "v1", False, ("pv",), (),
              ("status",)))
register(Kind("StorageClass", "storageclasses", "storageclass", "storage.k8s.io", "v1", False, ("sc",)))
register(Kind("Lease", "leases", "lease", "coordination.k8s.io", "v1", True))
register(Kind("ResourceQuota", "resourcequotas", "resourcequota", "", "v1", True, ("quota",), (), ("status",)))
register(Kind("LimitRange", "limitranges", "limitrange", "", "v1", True, ("limits",)))
register(Kind("Ingress", "ingresses", "ingress", "networking.k8s.io", "v1", True, ("ing",), (),
              ("status",)))
register(Kind("IngressClass", "ingressclasses", "ingressclass", "networking.k8s.io", "v1", False))
register(Kind("HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", "autoscaling", "v2",
              True, ("hpa",), ("all",), ("status",)))
# metrics.k8s.io: served by metrics-server (get and list only, never stored); registered after the
# core kinds so that "pods" and "nodes" still mean the core resources
register(Kind("NodeMetrics", "nodes", "", "metrics.k8s.io", "v1beta1", False, verbs=("get", "list")))
register(Kind("PodMetrics", "pods", "", "metrics.k8s.io", "v1beta1", True, verbs=("get", "list")))
register(Kind("Role", "roles", "role", "rbac.authorization.k8s.io", "v1", True))
register(
    Kind("ClusterRole", "clusterroles", "clusterrole", "rbac.authorization.k8s.io", "v1", False)
)
register(
    Kind("RoleBinding", "rolebindings", "rolebinding", "rbac.authorization.k8s.io", "v1", True)
)
register(
    Kind(
        "ClusterRoleBinding",
        "clusterrolebindings",
        "clusterrolebinding",
        "rbac.authorization.k8s.io",
        "v1",
        False,
    )
)
