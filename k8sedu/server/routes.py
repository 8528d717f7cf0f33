"""From a URL path to (group, version, namespace, resource, name, subresource), as upstream's
request-info resolver does it::

    /api/v1/namespaces/default/pods/web/log      core  v1  ns=default  pods         web  log
    /apis/apps/v1/namespaces/default/deployments apps  v1  ns=default  deployments
    /api/v1/pods                                 core  v1  (all namespaces)  pods
    /api/v1/namespaces/default                   core  v1  namespaces   default
    /api/v1/nodes/node-1/status                  core  v1  nodes        node-1       status
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Route", "parse_path"]


@dataclass(frozen=True)
class Route:
    group: str
    version: str
    resource: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None


def parse_path(path: str) -> Route | None:
    """The resource a path names; None for anything that is not a resource path."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    namespace: str | None = None
    if rest[0] == "namespaces" and len(rest) >= 3 and not (len(rest) == 3 and rest[2] in ("status", "finalize")):
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        return None
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    return Route(group, version, resource, namespace, name, sub)
