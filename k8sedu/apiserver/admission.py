"""Admission: what the apiserver changes or refuses after RBAC and before validation.

Our chain, in upstream's order and with upstream's plugin names:

0. (defaulting)            upstream does this while decoding; the fields of api.defaults
1. NamespaceLifecycle      the namespace must exist and must not be terminating
2. LimitRanger             container defaults and min/max from the namespace's LimitRanges (limitrange.py)
3. ServiceAccount          a Pod without ``serviceAccountName`` runs as ``default`` and gets the
                           ``kube-api-access-xxxxx`` projected token volume (serviceaccount.py)
4. DefaultTolerationSeconds a Pod tolerates not-ready / unreachable nodes for 300 s
5. StorageObjectInUseProtection  finalizers kubernetes.io/pvc-protection on claims and
                           kubernetes.io/pv-protection on volumes (controllers/pvcprotection.py)
…  ResourceQuota           last, after validation: the apiserver calls quota.admit (quota.py)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..api import defaults
from ..api.kinds import Kind
from ..errors import Forbidden, NotFound
from . import limitrange, serviceaccount

__all__ = ["admit"]

# Kinds that may be created in a namespace that is being deleted (upstream: events, and the
# objects the namespace controller itself needs).
_ALLOWED_IN_TERMINATING = {"Event"}
_PROTECTION_FINALIZERS = {"PersistentVolumeClaim": "kubernetes.io/pvc-protection",
                          "PersistentVolume": "kubernetes.io/pv-protection"}


def admit(
    kind: Kind,
    obj: dict[str, Any],
    namespace: str | None,
    operation: str,
    get_namespace: Callable[[str], dict[str, Any] | None],
    list_objects: Callable[[str, str], list[dict[str, Any]]] | None = None,
) -> None:
    """Mutate *obj* in place or raise. *operation* is "CREATE" or "UPDATE". *list_objects(plural,
    namespace)* reads the namespace's LimitRanges and ServiceAccounts from the store."""
    if kind.namespaced and namespace:
        ns = get_namespace(namespace)
        if ns is None:
            raise NotFound(f'namespaces "{namespace}" not found', details={"name": namespace, "kind": "namespaces"})
        if (
            operation == "CREATE"
            and ns.get("status", {}).get("phase") == "Terminating"
            and kind.kind not in _ALLOWED_IN_TERMINATING
        ):
            raise Forbidden(
                f'{kind.plural} "{obj.get("metadata", {}).get("name", "")}" is forbidden: unable to create '
                f"new content in namespace {namespace} because it is being terminated",
                details={"name": obj.get("metadata", {}).get("name", ""), "kind": kind.plural},
            )
    defaults.apply_defaults(obj)
    listed = list_objects or (lambda plural, ns: [])
    if kind.kind in ("Pod", "LimitRange"):
        limitrange.admit(kind, obj, operation, listed("limitranges", namespace or ""))
    if operation == "CREATE":
        if kind.kind == "Pod":
            serviceaccount.admit(obj, namespace or "", listed("serviceaccounts", namespace or ""))
            defaults.default_tolerations(obj)
        elif kind.kind in _PROTECTION_FINALIZERS:  # StorageObjectInUseProtection
            finalizers = obj.setdefault("metadata", {}).setdefault("finalizers", [])
            if _PROTECTION_FINALIZERS[kind.kind] not in finalizers:
                finalizers.append(_PROTECTION_FINALIZERS[kind.kind])
