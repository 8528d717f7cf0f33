"""Authentication and RBAC authorization, as the real apiserver does them.

Every request carries a user (:class:`UserInfo`). Anonymous requests are refused (401). Then RBAC
decides: members of ``system:masters`` may do everything (the superuser group of the default
admin); everyone else may do what a Role or ClusterRole bound to them (or to one of their groups)
allows. A rule matches when its ``verbs``, ``apiGroups``, ``resources`` (``pods`` or ``pods/log``
for a subresource) and, if given, ``resourceNames`` all match; ``*`` matches anything.

The control-plane components are ordinary users with bootstrap ClusterRoles, as upstream:
``system:kube-scheduler``, ``system:kube-controller-manager`` and ``system:node:<name>``
(group ``system:nodes``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import Forbidden, Unauthorized

__all__ = [
    "UserInfo",
    "ADMIN",
    "ANONYMOUS",
    "SCHEDULER",
    "CONTROLLER_MANAGER",
    "KUBE_PROXY",
    "INGRESS_CONTROLLER",
    "METRICS_SERVER",
    "node_user",
    "RBACAuthorizer",
    "bootstrap_policy",
    "forbidden_message",
]


@dataclass(frozen=True)
class UserInfo:
    name: str
    groups: tuple[str, ...] = field(default=("system:authenticated",))

    def with_groups(self, *groups: str) -> UserInfo:
        return UserInfo(self.name, tuple(dict.fromkeys(self.groups + groups)))


ADMIN = UserInfo("kubernetes-admin", ("system:masters", "system:authenticated"))
ANONYMOUS = UserInfo("system:anonymous", ("system:unauthenticated",))
SCHEDULER = UserInfo("system:kube-scheduler", ("system:authenticated",))
CONTROLLER_MANAGER = UserInfo("system:kube-controller-manager", ("system:authenticated",))
KUBE_PROXY = UserInfo("system:kube-proxy", ("system:authenticated",))
METRICS_SERVER = UserInfo("system:serviceaccount:kube-system:metrics-server",
                          ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"))
INGRESS_CONTROLLER = UserInfo("system:serviceaccount:ingress-nginx:ingress-nginx",
                              ("system:serviceaccounts", "system:serviceaccounts:ingress-nginx",
                               "system:authenticated"))


def node_user(node: str) -> UserInfo:
    return UserInfo(f"system:node:{node}", ("system:nodes", "system:authenticated"))


def forbidden_message(user: UserInfo, verb: str, resource: str, group: str, namespace: str | None,
                      name: str | None, subresource: str | None = None) -> str:
    """``pods "web" is forbidden: User "alice" cannot get resource "pods" in API group "" in the
    namespace "default"`` — upstream's wording, with or without a name, namespace and subresource."""
    full = f"{resource}/{subresource}" if subresource else resource
    qualified = resource if not group else f"{resource}.{group}"
    subject = f'{qualified} "{name}"' if name else qualified
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    return (
        f'{subject} is forbidden: User "{user.name}" cannot {verb} resource "{full}" '
        f'in API group "{group}" {where}'
    )


def _rule(verbs: list[str], groups: list[str], resources: list[str]) -> dict[str, Any]:
    return {"verbs": verbs, "apiGroups": groups, "resources": resources}


_READ = ["get", "list", "watch"]
_WRITE = ["create", "update", "patch", "delete", "deletecollection"]


def bootstrap_policy() -> list[dict[str, Any]]:
    """The ClusterRoles and ClusterRoleBindings a new cluster starts with (a small, faithful subset
    of upstream's bootstrap policy)."""
    crole = lambda name, rules: {  # noqa: E731
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
        "rules": rules,
    }
    binding = lambda name, role, kind, subject: {  # noqa: E731
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name, "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": subject}],
    }
    workloads = ["pods", "pods/log", "pods/exec", "pods/attach", "pods/portforward", "pods/eviction",
                 "services", "endpoints", "configmaps", "secrets", "persistentvolumeclaims",
                 "serviceaccounts", "events"]
    apps = ["deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale",
            "statefulsets", "statefulsets/scale", "daemonsets", "controllerrevisions"]
    return [
        crole("cluster-admin", [_rule(["*"], ["*"], ["*"]), {"verbs": ["*"], "nonResourceURLs": ["*"]}]),
        crole("admin", [
            _rule(_READ, ["metrics.k8s.io"], ["pods", "nodes"]),
            _rule(_READ + _WRITE, [""], workloads + ["resourcequotas", "limitranges"]),
            _rule(_READ + _WRITE, ["apps"], apps),
            _rule(_READ + _WRITE, ["batch"], ["jobs", "cronjobs"]),
            _rule(_READ + _WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
            _rule(_READ + _WRITE, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
            _rule(_READ + _WRITE, ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
        ]),
        crole("edit", [
            _rule(_READ, ["metrics.k8s.io"], ["pods", "nodes"]),
            _rule(_READ + _WRITE, [""], workloads),
            _rule(_READ + _WRITE, ["apps"], apps),
            _rule(_READ + _WRITE, ["batch"], ["jobs", "cronjobs"]),
            _rule(_READ + _WRITE, ["autoscaling"], ["horizontalpodautoscalers"]),
            _rule(_READ + _WRITE, ["networking.k8s.io"], ["ingresses"]),
        ]),
        crole("view", [
            _rule(_READ, ["metrics.k8s.io"], ["pods", "nodes"]),
            _rule(_READ, [""], ["pods", "pods/log", "services", "endpoints", "configmaps",
                                "persistentvolumeclaims", "events", "serviceaccounts", "replicationcontrollers"]),
            _rule(_READ, ["apps"], apps),
            _rule(_READ, ["batch"], ["jobs", "cronjobs"]),
            _rule(_READ, ["autoscaling"], ["horizontalpodautoscalers"]),
            _rule(_READ, ["networking.k8s.io"], ["ingresses"]),
        ]),
        # upstream's system:kube-scheduler: it reads what its plugins need (never Secrets), binds,
        # writes Pod status, and may delete Pods (preemption evicts lower-priority victims)
        crole("system:kube-scheduler", [
            _rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            _rule(["create", "get", "update"], ["coordination.k8s.io"], ["leases"]),
            _rule(["get", "list", "watch"], [""], ["nodes", "namespaces", "services", "replicationcontrollers"]),
            _rule(["delete", "get", "list", "watch"], [""], ["pods"]),
            _rule(["create"], [""], ["bindings", "pods/binding"]),
            _rule(["patch", "update"], [""], ["pods/status"]),
            _rule(["get", "list", "watch"], ["apps"], ["replicasets", "statefulsets"]),
            _rule(["get", "list", "watch"], ["policy"], ["poddisruptionbudgets"]),
            _rule(["get", "list", "watch"], ["storage.k8s.io"],
                  ["csinodes", "csidrivers", "csistoragecapacities", "storageclasses"]),
            # system:volume-scheduler: VolumeBinding's PreBind writes the selected node on claims
            _rule(["get", "list", "watch", "patch", "update"], [""], ["persistentvolumeclaims", "persistentvolumes"]),
        ]),
        crole("system:kube-controller-manager", [_rule(["*"], ["*"], ["*"])]),
        crole("system:node", [
            _rule(_READ, ["*"], ["*"]),
            _rule(["create", "update", "patch", "delete"], [""], ["nodes", "nodes/status", "pods", "pods/status",
                                                                  "events", "pods/eviction"]),
            _rule(["create", "update", "patch", "delete", "get"], ["coordination.k8s.io"], ["leases"]),
            _rule(["create", "update", "patch"], ["events.k8s.io"], ["events"]),
            _rule(["create"], [""], ["serviceaccounts/token"]),  # the Pods' kube-api-access-* tokens
        ]),
        # upstream's system:node-proxier, plus reading Pods: our kube-proxy reaches a Pod through
        # the host port the kubelet records on it (see k8sedu.proxy)
        crole("system:node-proxier", [
            _rule(["list", "watch"], [""], ["services", "endpoints"]),
            _rule(["get", "list", "watch"], [""], ["nodes", "pods"]),
            _rule(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            _rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        # the ingress-nginx chart's ClusterRole, trimmed to what our Ingress controller reads and writes
        crole("ingress-nginx", [
            _rule(["get", "list", "watch"], [""], ["services", "endpoints", "pods"]),
            _rule(["create", "patch"], [""], ["events"]),
            _rule(["get", "list", "watch"], ["networking.k8s.io"], ["ingresses", "ingressclasses"]),
            _rule(["update"], ["networking.k8s.io"], ["ingresses/status"]),
            _rule(["list", "watch", "get"], ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        # the coredns addon's ClusterRole: the cluster DNS reads Services and their endpoints
        crole("system:coredns", [
            _rule(["list", "watch"], [""], ["endpoints", "services", "pods", "namespaces"]),
            _rule(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        # metrics-server's ClusterRole: it scrapes every kubelet and reads Pods and Nodes
        crole("system:metrics-server", [
            _rule(["get"], [""], ["nodes/metrics"]),
            _rule(["get", "list", "watch"], [""], ["pods", "nodes"]),
        ]),
        # upstream's system:aggregated-metrics-reader, aggregated into view, edit and admin
        crole("system:aggregated-metrics-reader", [_rule(_READ, ["metrics.k8s.io"], ["pods", "nodes"])]),
        crole("system:basic-user", [
            _rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
        ]),
        binding("cluster-admin", "cluster-admin", "Group", "system:masters"),
        binding("system:kube-scheduler", "system:kube-scheduler", "User", "system:kube-scheduler"),
        binding("system:kube-controller-manager", "system:kube-controller-manager", "User",
                "system:kube-controller-manager"),
        binding("system:node", "system:node", "Group", "system:nodes"),
        binding("system:node-proxier", "system:node-proxier", "User", "system:kube-proxy"),
        binding("system:basic-user", "system:basic-user", "Group", "system:authenticated"),
        {**binding("system:metrics-server", "system:metrics-server", "ServiceAccount", "metrics-server"),
         "subjects": [{"kind": "ServiceAccount", "name": "metrics-server", "namespace": "kube-system"}]},
        {**binding("system:coredns", "system:coredns", "ServiceAccount", "coredns"),
         "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}]},
        {**binding("ingress-nginx", "ingress-nginx", "ServiceAccount", "ingress-nginx"),
         "subjects": [{"kind": "ServiceAccount", "name": "ingress-nginx", "namespace": "ingress-nginx"}]},
    ]


def _matches(values: list[str] | None, wanted: str) -> bool:
    return bool(values) and ("*" in values or wanted in values)  # type: ignore[operator]


def _resource_matches(resources: list[str] | None, resource: str, subresource: str | None) -> bool:
    if not resources:
        return False
    full = f"{resource}/{subresource}" if subresource else resource
    for r in resources:
        if r == "*" or r == full:
            return True
        if subresource and r == f"*/{subresource}":
            return True
    return False


def rule_allows(rule: dict[str, Any], verb: str, group: str, resource: str, subresource: str | None,
                name: str | None) -> bool:
    if not _matches(rule.get("verbs"), verb):
        return False
    if not _matches(rule.get("apiGroups"), group):
        return False
    if not _resource_matches(rule.get("resources"), resource, subresource):
        return False
    names = rule.get("resourceNames")
    if names and (name is None or name not in names):
        return False
    return True


def _subject_matches(subject: dict[str, Any], user: UserInfo, binding_namespace: str | None) -> bool:
    kind = subject.get("kind")
    if kind == "User":
        return subject.get("name") == user.name
    if kind == "Group":
        return subject.get("name") in user.groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or binding_namespace
        return user.name == f"system:serviceaccount:{ns}:{subject.get('name')}"
    return False


class RBACAuthorizer:
    """Decides allow/deny from the RBAC objects, reloaded whenever one of them changes.

    ``load`` is a function returning (roles, clusterroles, rolebindings, clusterrolebindings); the
    apiserver calls :meth:`invalidate` after writing any RBAC object.
    """

    def __init__(self, load: Callable[[], tuple[list[dict[str, Any]], ...]]) -> None:
        self._load = load
        # guards _cache; taken alone.
        self._lock = threading.Lock()
        self._cache: tuple[list[dict[str, Any]], ...] | None = None

    def invalidate(self) -> None:
        with self._lock:
            self._cache = None

    def _objects(self) -> tuple[list[dict[str, Any]], ...]:
        with self._lock:
            if self._cache is None:
                self._cache = self._load()
            return self._cache

    def authenticate(self, user: UserInfo | None) -> UserInfo:
        if user is None or user.name in ("", ANONYMOUS.name):
            raise Unauthorized("Unauthorized")
        return user

    def allowed(self, user: UserInfo, verb: str, group: str, resource: str, namespace: str | None,
                name: str | None = None, subresource: str | None = None) -> bool:
        if "system:masters" in user.groups:
            return True
        roles, clusterroles, rolebindings, clusterrolebindings = self._objects()
        by_name = {r["metadata"]["name"]: r for r in clusterroles}
        ns_roles = {(r["metadata"].get("namespace"), r["metadata"]["name"]): r for r in roles}

        def rules_of(ref: dict[str, Any], ns: str | None) -> list[dict[str, Any]]:
            if ref.get("kind") == "ClusterRole":
                role = by_name.get(ref.get("name", ""))
            else:
                role = ns_roles.get((ns, ref.get("name", "")))
            return (role or {}).get("rules") or []

        for b in clusterrolebindings:
            if any(_subject_matches(s, user, None) for s in b.get("subjects") or []):
                for rule in rules_of(b.get("roleRef") or {}, None):
                    if rule_allows(rule, verb, group, resource, subresource, name):
                        return True
        if namespace:
            for b in rolebindings:
                bns = b["metadata"].get("namespace")
                if bns != namespace:
                    continue
                if any(_subject_matches(s, user, bns) for s in b.get("subjects") or []):
                    for rule in rules_of(b.get("roleRef") or {}, bns):
                        if rule_allows(rule, verb, group, resource, subresource, name):
                            return True
        return False

    def rules_for(self, user: UserInfo, namespace: str | None) -> list[dict[str, Any]]:
        """Every rule granted to *user* in *namespace* (cluster-wide ones too): what a
        SelfSubjectRulesReview (``kubectl auth can-i --list``) reports, bindings in order."""
        roles, clusterroles, rolebindings, clusterrolebindings = self._objects()
        by_name = {r["metadata"]["name"]: r for r in clusterroles}
        ns_roles = {(r["metadata"].get("namespace"), r["metadata"]["name"]): r for r in roles}
        out: list[dict[str, Any]] = []
        for b in clusterrolebindings:
            if any(_subject_matches(s, user, None) for s in b.get("subjects") or []):
                out += (by_name.get((b.get("roleRef") or {}).get("name", "")) or {}).get("rules") or []
        for b in rolebindings:
            bns = b["metadata"].get("namespace")
            if namespace and bns == namespace and any(_subject_matches(s, user, bns) for s in b.get("subjects") or []):
                ref = b.get("roleRef") or {}
                role = by_name.get(ref.get("name", "")) if ref.get("kind") == "ClusterRole" else \
                    ns_roles.get((bns, ref.get("name", "")))
                out += (role or {}).get("rules") or []
        if "system:masters" in user.groups and not out:
            out = [_rule(["*"], ["*"], ["*"]), {"verbs": ["*"], "nonResourceURLs": ["*"]}]
        return out

    def allowed_non_resource(self, user: UserInfo, verb: str, path: str) -> bool:
        """May *user* use *verb* on a non-resource URL such as ``/healthz`` or ``/version``?
        Only ClusterRoles grant these (``nonResourceURLs``; a trailing ``*`` is a prefix match)."""
        if "system:masters" in user.groups:
            return True
        _, clusterroles, _, clusterrolebindings = self._objects()
        by_name = {r["metadata"]["name"]: r for r in clusterroles}
        for b in clusterrolebindings:
            if not any(_subject_matches(s, user, None) for s in b.get("subjects") or []):
                continue
            role = by_name.get((b.get("roleRef") or {}).get("name", ""), {})
            for rule in role.get("rules") or []:
                if not _matches(rule.get("verbs"), verb):
                    continue
                for url in rule.get("nonResourceURLs") or []:
                    if url in ("*", path) or (url.endswith("*") and path.startswith(url[:-1])):
                        return True
        return False

    def authorize(self, user: UserInfo, verb: str, group: str, resource: str, namespace: str | None,
                  name: str | None = None, subresource: str | None = None) -> None:
        if not self.allowed(user, verb, group, resource, namespace, name, subresource):
            raise Forbidden(
                forbidden_message(user, verb, resource, group, namespace, name, subresource),
                details={"name": name or "", "group": group, "kind": resource},
            )
