"""Validation: what the apiserver refuses, in the words ``kubectl`` prints.

The apiserver runs this after defaulting and admission, before the object reaches etcd. Every
problem is a :class:`~k8sedu.errors.FieldError` (field path, type, bad value, detail) and all of them
together become one 422 ``Invalid`` error::

    The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0

The checks, paths and texts follow upstream's ``pkg/apis/*/validation`` for the subset of fields we
support. A kind's checks are one function ``(obj, old) -> [FieldError]`` in :data:`VALIDATORS`
(``old`` is the stored object on an update, None on create); object metadata is checked for every
kind here, with the name format from :data:`NAME_FORMATS`. The checks live in
``validation_base`` (metadata, Go-style values), ``validation_pods``, ``validation_apps`` and
``validation_core``.
"""

from __future__ import annotations

from collections.abc import Callable

from typing import Any

from k8sedu.api import kinds as _kinds
from k8sedu.api.naming import (
    name_is_dns1035_label,
    name_is_dns_label,
    name_is_dns_subdomain,
    name_is_path_segment,
)
from k8sedu.api.quantity import parse_quantity
from k8sedu.api.validation_apps import validate_deployment, validate_replicaset
from k8sedu.api.validation_base import (
    FIELD_IMMUTABLE,
    IS_NEGATIVE,
    Errs,
    GoValue,
    Obj,
    Validator,
    go_map,
    go_strings,
    validate_annotations,
    validate_label_selector,
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
)
from k8sedu.api.validation_core import (
    validate_binding,
    validate_data_keys,
    validate_endpoints,
    validate_event,
    validate_lease,
    validate_namespace,
    validate_node,
    validate_policy_rules,
    validate_role_binding,
    validate_service,
)
from k8sedu.api.validation_pods import validate_pod, validate_pod_spec
from k8sedu.errors import BadRequest, Invalid

__all__ = [
    "GoValue",
    "Validator",
    "VALIDATORS",
    "NAME_FORMATS",
    "validate",
    "check_decodable",
    "field_errors",
    "validate_object_meta",
    "validate_object_meta_update",
    "validate_labels",
    "validate_annotations",
    "validate_pod_spec",
    "validate_label_selector",
    "go_map",
    "go_strings",
    "FIELD_IMMUTABLE",
    "IS_NEGATIVE",
]


#: kind name → the kind's own checks (metadata is checked for every kind by :func:`validate`)
VALIDATORS: dict[str, Validator] = {
    "Pod": validate_pod,
    "Deployment": validate_deployment,
    "ReplicaSet": validate_replicaset,
    "Node": validate_node,
    "Namespace": validate_namespace,
    "Service": validate_service,
    "Endpoints": validate_endpoints,
    "ConfigMap": validate_data_keys,
    "Secret": validate_data_keys,
    "Role": validate_policy_rules,
    "ClusterRole": validate_policy_rules,
    "RoleBinding": validate_role_binding,
    "ClusterRoleBinding": validate_role_binding,
    "Event": validate_event,
    "Lease": validate_lease,
    "Binding": validate_binding,
}

#: kind name → the format its metadata.name must have (default: DNS-1123 subdomain)
NAME_FORMATS: dict[str, Callable[[str, bool], list[str]]] = {
    "Namespace": name_is_dns_label,
    "Service": name_is_dns1035_label,
    "Role": name_is_path_segment,
    "ClusterRole": name_is_path_segment,
    "RoleBinding": name_is_path_segment,
    "ClusterRoleBinding": name_is_path_segment,
}

#: kinds whose metadata the apiserver does not validate (a Binding is only a request)
_NO_META = {"Binding"}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def check_decodable(obj: Obj) -> None:
    """What upstream rejects while *decoding* a request (400 BadRequest), before admission and
    validation (422): quantities that do not parse, and labels or annotations that are not
    strings (YAML turns ``app: on`` into a boolean)."""
    _check_decodable(obj, _kinds.for_object(obj))


def _cannot_decode(kind: _kinds.Kind, why: str) -> BadRequest:
    return BadRequest(f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: {why}')


def _check_decodable(obj: Obj, kind: _kinds.Kind) -> None:
    md = obj.get("metadata") or {}
    for field in ("labels", "annotations"):
        values = md.get(field)
        if values is None:
            continue
        if not isinstance(values, dict):
            raise _cannot_decode(kind, f"json: cannot unmarshal {_json_type(values)} into Go struct field "
                                       f"ObjectMeta.metadata.{field} of type map[string]string")
        for value in values.values():
            if not isinstance(value, str):
                raise _cannot_decode(kind, f"json: cannot unmarshal {_json_type(value)} into Go struct field "
                                           f"ObjectMeta.metadata.{field} of type string")
    specs = []
    spec = obj.get("spec") or {}
    if kind.kind == "Pod":
        specs.append(spec)
    elif isinstance(spec.get("template"), dict):
        specs.append(spec["template"].get("spec") or {})
    lists = []
    for s in specs:
        for c in (s.get("containers") or []) + (s.get("initContainers") or []):
            res = c.get("resources") or {}
            lists += [res.get("limits") or {}, res.get("requests") or {}]
        lists.append(s.get("overhead") or {})
    if kind.kind == "Node":
        status = obj.get("status") or {}
        lists += [status.get("capacity") or {}, status.get("allocatable") or {}]
    for items in lists:
        for q in items.values():
            try:
                parse_quantity(q)
            except ValueError as e:
                raise _cannot_decode(kind, str(e)) from None


def field_errors(obj: Obj, old: Obj | None = None, subresource: str | None = None) -> Errs:
    """The list of problems :func:`validate` would raise (deduplicated, in upstream's order)."""
    kind = _kinds.for_object(obj)
    _check_decodable(obj, kind)
    errs: Errs = []
    if kind.kind not in _NO_META:
        if old is not None:
            errs += validate_object_meta_update(obj, old)
        name_fn = NAME_FORMATS.get(kind.kind, name_is_dns_subdomain)
        errs += validate_object_meta(obj, kind, name_fn)
    if subresource != "status":
        fn = VALIDATORS.get(kind.kind)
        if fn is not None:
            errs += fn(obj, old)
    seen: set[str] = set()
    out: Errs = []
    for e in errs:  # as field.ErrorList.ToAggregate: the same message once
        text = str(e)
        if text not in seen:
            seen.add(text)
            out.append(e)
    return out


def validate(obj: Obj, old: Obj | None = None, subresource: str | None = None) -> None:
    """Raise :class:`~k8sedu.errors.Invalid` (422) if *obj* breaks a rule; *old* on updates.

    ``subresource="status"`` checks only the metadata (a status write cannot change the spec).
    Unknown kinds raise ``BadRequest`` (``no matches for kind ...``); quantities that do not parse
    raise ``BadRequest`` as upstream's decoder does.
    """
    errs = field_errors(obj, old, subresource)
    if errs:
        kind = _kinds.for_object(obj)
        name = str((obj.get("metadata") or {}).get("name") or "")
        raise Invalid(kind.kind, name, errs, group=kind.group)
