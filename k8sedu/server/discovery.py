"""Discovery: how kubectl learns which resources this server has, before its first real request.

kubectl 1.32 asks ``/api`` and ``/apis`` for the *aggregated* discovery document
(``Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList``): one answer
that lists every group, version and resource with its verbs, short names, categories and
subresources. Older clients (and the Python client) ask the legacy way: ``/api`` → versions,
``/apis`` → groups, ``/api/v1`` and ``/apis/<group>/<version>`` → an ``APIResourceList`` each,
subresources as ``pods/log`` entries. Both are built here from the same registry
(:func:`k8sedu.api.kinds.all_kinds`), so adding a kind makes it appear in ``kubectl api-resources``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..api import kinds
from ..api.kinds import Kind
from . import openapi
from .versions import served as _converted_kinds

__all__ = [
    "AGGREGATED_CONTENT_TYPE",
    "VERSION_INFO",
    "SubresourceInfo",
    "SUBRESOURCES",
    "VIRTUAL_KINDS",
    "served_kinds",
    "group_versions",
    "legacy_versions",
    "legacy_groups",
    "legacy_group",
    "resource_list",
    "aggregated",
    "wants_aggregated",
    "openapi_v3_root",
    "openapi_v3_group",
]

AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

#: ``kubectl version``'s server half (the minor version kubectl's skew warning compares)
VERSION_INFO: dict[str, str] = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-k8sedu",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-12-11T00:00:00Z",
    "goVersion": "go1.23.3",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True)
class SubresourceInfo:
    """What discovery says about ``<resource>/<name>``: the kind it takes and returns, its verbs."""

    kind: str
    verbs: tuple[str, ...]
    group: str | None = None  # None: the parent resource's group and version
    version: str | None = None


_UPDATE = ("get", "patch", "update")
_CONNECT = ("create", "get")
SUBRESOURCES: dict[str, SubresourceInfo] = {
    "status": SubresourceInfo("", _UPDATE),  # "": the parent's kind
    "scale": SubresourceInfo("Scale", _UPDATE, "autoscaling", "v1"),
    "binding": SubresourceInfo("Binding", ("create",)),
    "eviction": SubresourceInfo("Eviction", ("create",), "policy", "v1"),
    "log": SubresourceInfo("Pod", ("get",)),
    "exec": SubresourceInfo("PodExecOptions", _CONNECT),
    "attach": SubresourceInfo("PodAttachOptions", _CONNECT),
    "portforward": SubresourceInfo("PodPortForwardOptions", _CONNECT),
    "proxy": SubresourceInfo("", ("create", "delete", "get", "patch", "update")),
    "ephemeralcontainers": SubresourceInfo("Pod", _UPDATE),
    "finalize": SubresourceInfo("Namespace", ("update",)),
    "token": SubresourceInfo("TokenRequest", ("create",), "authentication.k8s.io", "v1"),
}

#: resources the HTTP server answers itself (no objects are stored): ``kubectl auth can-i``
#: creates SelfSubjectAccessReviews (``--list``: a SelfSubjectRulesReview), ``kubectl auth whoami``
#: a SelfSubjectReview, an in-cluster webhook a TokenReview; ``kubectl drain`` looks for the policy group (Eviction).
VIRTUAL_KINDS: tuple[Kind, ...] = (
    Kind("SelfSubjectAccessReview", "selfsubjectaccessreviews", "selfsubjectaccessreview",
         "authorization.k8s.io", "v1", False, verbs=("create",)),
    Kind("SubjectAccessReview", "subjectaccessreviews", "subjectaccessreview",
         "authorization.k8s.io", "v1", False, verbs=("create",)),
    Kind("SelfSubjectRulesReview", "selfsubjectrulesreviews", "selfsubjectrulesreview",
         "authorization.k8s.io", "v1", False, verbs=("create",)),
    Kind("SelfSubjectReview", "selfsubjectreviews", "selfsubjectreview",
         "authentication.k8s.io", "v1", False, verbs=("create",)),
    Kind("TokenReview", "tokenreviews", "tokenreview", "authentication.k8s.io", "v1", False, verbs=("create",)),
)
_EMPTY_GROUPS = (("policy", "v1"),)  # groups kubectl looks for even if we store nothing in them


def served_kinds() -> list[Kind]:
    """Stored kinds first (so a group's stored version is its preferred one), then the older
    versions served by conversion (autoscaling/v1), then the review APIs."""
    return [*kinds.all_kinds(), *_converted_kinds(), *VIRTUAL_KINDS]


def group_versions() -> dict[str, list[str]]:
    """group → versions, in registration order; ``""`` is the core group."""
    out: dict[str, list[str]] = {}
    for k in served_kinds():
        versions = out.setdefault(k.group, [])
        if k.version not in versions:
            versions.append(k.version)
    for group, version in _EMPTY_GROUPS:
        if version not in out.setdefault(group, []):
            out[group].append(version)
    return out


def legacy_versions() -> dict[str, Any]:
    """``GET /api``."""
    return {
        "kind": "APIVersions",
        "versions": group_versions().get("", ["v1"]),
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def _group_entry(group: str, versions: list[str]) -> dict[str, Any]:
    vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": vs, "preferredVersion": vs[0]}


def legacy_groups() -> dict[str, Any]:
    """``GET /apis``: the named groups (the core group is at ``/api``)."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_entry(g, vs) for g, vs in group_versions().items() if g],
    }


def legacy_group(group: str) -> dict[str, Any] | None:
    """``GET /apis/<group>``."""
    versions = group_versions().get(group)
    if not group or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group, versions)}


def _kinds_of(group: str, version: str) -> list[Kind]:
    return [k for k in served_kinds() if k.group == group and k.version == version]


def _sub_entry(k: Kind, sub: str) -> tuple[str, str, str, tuple[str, ...]]:
    info = SUBRESOURCES.get(sub, SubresourceInfo("", _UPDATE))
    return (info.group if info.group is not None else k.group,
            info.version if info.version is not None else k.version,
            info.kind or k.kind, info.verbs)


def resource_list(group: str, version: str) -> dict[str, Any] | None:
    """``GET /api/v1`` or ``/apis/<group>/<version>``: an ``APIResourceList``, None if unknown."""
    if version not in group_versions().get(group, []):
        return None
    resources: list[dict[str, Any]] = []
    for k in _kinds_of(group, version):
        entry: dict[str, Any] = {
            "name": k.plural, "singularName": k.singular, "namespaced": k.namespaced,
            "kind": k.kind, "verbs": list(k.verbs),
        }
        if k.short_names:
            entry["shortNames"] = list(k.short_names)
        if k.categories:
            entry["categories"] = list(k.categories)
        resources.append(entry)
        for sub in k.subresources:
            sg, sv, skind, verbs = _sub_entry(k, sub)
            sub_entry: dict[str, Any] = {"name": f"{k.plural}/{sub}", "singularName": "",
                                         "namespaced": k.namespaced, "kind": skind, "verbs": list(verbs)}
            if (sg, sv) != (k.group, k.version):
                sub_entry.update(group=sg, version=sv)
            resources.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _aggregated_resource(k: Kind) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resource": k.plural,
        "responseKind": {"group": k.group, "version": k.version, "kind": k.kind},
        "scope": "Namespaced" if k.namespaced else "Cluster",
        "singularResource": k.singular,
        "verbs": list(k.verbs),
    }
    if k.short_names:
        out["shortNames"] = list(k.short_names)
    if k.categories:
        out["categories"] = list(k.categories)
    subs = []
    for sub in k.subresources:
        sg, sv, skind, verbs = _sub_entry(k, sub)
        subs.append({"subresource": sub, "responseKind": {"group": sg, "version": sv, "kind": skind},
                     "verbs": list(verbs)})
    if subs:
        out["subresources"] = subs
    return out


def aggregated(core: bool) -> dict[str, Any]:
    """``GET /api`` (*core*) or ``/apis`` as an ``APIGroupDiscoveryList`` (apidiscovery.k8s.io/v2)."""
    items = []
    for group, versions in group_versions().items():
        if bool(group) == core:
            continue
        items.append({
            "metadata": {"name": group} if group else {"creationTimestamp": None},
            "versions": [
                {"version": v, "freshness": "Current",
                 "resources": [_aggregated_resource(k) for k in _kinds_of(group, v)]}
                for v in versions
            ],
        })
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {}, "items": items}


def wants_aggregated(accept: str) -> bool:
    """Does this ``Accept`` header ask for aggregated discovery v2 (kubectl 1.30+ does)?"""
    for part in accept.split(","):
        params = {p.strip() for p in part.split(";")[1:]}
        if {"g=apidiscovery.k8s.io", "v=v2", "as=APIGroupDiscoveryList"} <= params:
            return True
    return False


# -- OpenAPI v3: only what kubectl reads from it ---------------------------------------------
# kubectl 1.32 checks in /openapi/v3/<group-version> that a kind's PATCH operation takes the
# ``fieldValidation`` query parameter; if so it lets the server validate (``--validate=strict``
# sends ``fieldValidation=Strict``). Without schemas, ``kubectl apply`` computes its strategic
# merge patch from the types compiled into kubectl, as it does for any built-in kind.
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")
OPENAPI_HASH = "k8sedu-v2"  # kubectl caches the documents by it: change it when they change


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_root() -> dict[str, Any]:
    """``GET /openapi/v3``: where each group-version's document is."""
    paths = {}
    for group, versions in group_versions().items():
        for v in versions:
            p = _gv_path(group, v)
            paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}?hash={OPENAPI_HASH}"}
    return {"paths": paths}


def openapi_v3_group(path: str) -> dict[str, Any] | None:
    """``GET /openapi/v3/api/v1`` (or ``apis/<group>/<version>``): one operation per kind."""
    parts = path.strip("/").split("/")
    if parts[:1] == ["api"] and len(parts) == 2:
        group, version = "", parts[1]
    elif parts[:1] == ["apis"] and len(parts) == 3:
        group, version = parts[1], parts[2]
    else:
        return None
    if version not in group_versions().get(group, []):
        return None
    params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for n in _WRITE_PARAMS]
    paths: dict[str, Any] = {}
    for k in _kinds_of(group, version):
        scope = "/namespaces/{namespace}" if k.namespaced else ""
        gvk = {"group": k.group, "version": k.version, "kind": k.kind}
        op = {"operationId": f"patch{k.kind}", "parameters": params, "x-kubernetes-action": "patch",
              "x-kubernetes-group-version-kind": gvk, "responses": {"200": {"description": "OK"}}}
        paths[f"/{_gv_path(group, version)}{scope}/{k.plural}/{{name}}"] = {"patch": op}
    schemas = openapi.schemas_for(group, version, [k.kind for k in _kinds_of(group, version)])
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": VERSION_INFO["gitVersion"]},
            "paths": paths, "components": {"schemas": schemas}}
