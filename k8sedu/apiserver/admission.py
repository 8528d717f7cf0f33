"""Admission: what the apiserver changes or refuses after RBAC and before validation.

Our chain, in upstream's order and with upstream's plugin names:

1. NamespaceLifecycle      the namespace must exist and must not be terminating
2. ServiceAccount          a Pod without ``serviceAccountName`` runs as ``default``
3. DefaultTolerationSeconds a Pod tolerates not-ready / unreachable nodes for 300 s
4. (defaulting)            upstream does this while decoding; the fields of api.defaults

Later issues add LimitRanger and ResourceQuota here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..api import defaults
from ..api.kinds import Kind
from ..errors import Forbidden, NotFound

__all__ = ["admit"]

# Kinds that may be created in a namespace that is being deleted (upstream: events, and the
# objects the namespace controller itself needs).
_ALLOWED_IN_TERMINATING = {"Event"}


def admit(
    kind: Kind,
    obj: dict[str, Any],
    namespace: str | None,
    operation: str,
    get_namespace: Callable[[str], dict[str, Any] | None],
) -> None:
    """Mutate *obj* in place or raise. *operation* is "CREATE" or "UPDATE"."""
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
    if operation == "CREATE":
        if kind.kind == "Pod":
            spec = obj.setdefault("spec", {})
            spec.setdefault("serviceAccountName", "default")
            defaults.default_tolerations(obj)
