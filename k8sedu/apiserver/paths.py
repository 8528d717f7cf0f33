"""Where an object lives: its REST path (what kubectl requests) and its etcd key (what is stored).

    kind        REST path                                              etcd key
    Pod         /api/v1/namespaces/default/pods/web                     /registry/pods/default/web
    Deployment  /apis/apps/v1/namespaces/default/deployments/web        /registry/deployments/default/web
    Node        /api/v1/nodes/node-1                                    /registry/minions/node-1
    Service     /api/v1/namespaces/default/services/web                 /registry/services/specs/default/web

The odd keys (``minions`` for Nodes, ``services/specs``) are upstream's own, kept so the etcd lesson
shows the keys a real cluster has.
"""

from __future__ import annotations

from ..api.kinds import Kind

__all__ = ["rest_path", "etcd_prefix", "etcd_key"]

_ETCD_NAMES = {
    "nodes": "minions",
    "services": "services/specs",
    "endpoints": "services/endpoints",
}


def rest_path(kind: Kind, namespace: str | None = None, name: str | None = None,
              subresource: str | None = None) -> str:
    base = f"/api/{kind.version}" if not kind.group else f"/apis/{kind.group}/{kind.version}"
    if kind.namespaced and namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{kind.plural}"
    if name:
        base += f"/{name}"
        if subresource:
            base += f"/{subresource}"
    return base


def etcd_prefix(kind: Kind, namespace: str | None = None) -> str:
    prefix = f"/registry/{_ETCD_NAMES.get(kind.plural, kind.plural)}/"
    if kind.namespaced and namespace:
        prefix += f"{namespace}/"
    return prefix


def etcd_key(kind: Kind, namespace: str | None, name: str) -> str:
    return etcd_prefix(kind, namespace if kind.namespaced else None) + name
