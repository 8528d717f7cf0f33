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

from k8sedu.api import kinds as _kinds
from k8sedu.api import schema
from k8sedu.api.naming import (
    name_is_dns1035_label,
    name_is_dns_label,
    name_is_dns_subdomain,
    name_is_path_segment,
)
from k8sedu.api.validation_apps import (
    validate_daemonset,
    validate_deployment,
    validate_replicaset,
    validate_statefulset,
)
from k8sedu.api.validation_autoscaling import validate_hpa
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
from k8sedu.api.validation_batch import validate_cronjob, validate_job
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
from k8sedu.api.validation_networking import validate_ingress, validate_ingress_class
from k8sedu.api.validation_pods import validate_pod, validate_pod_spec
from k8sedu.api.validation_policy import validate_limit_range, validate_resource_quota
from k8sedu.api.validation_storage import validate_pv, validate_pvc, validate_storage_class
from k8sedu.errors import Invalid

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
    "DaemonSet": validate_daemonset,
    "StatefulSet": validate_statefulset,
    "Job": validate_job,
    "CronJob": validate_cronjob,
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
    "ResourceQuota": validate_resource_quota,
    "LimitRange": validate_limit_range,
    "Ingress": validate_ingress,
    "IngressClass": validate_ingress_class,
    "PersistentVolumeClaim": validate_pvc,
    "PersistentVolume": validate_pv,
    "StorageClass": validate_storage_class,
    "HorizontalPodAutoscaler": validate_hpa,
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


def check_decodable(obj: Obj, field_validation: str = "Ignore") -> list[str]:
    """What upstream rejects while *decoding* a request (400 BadRequest), before admission and
    validation (422): wrong JSON types (``replicas: "3"``; labels that are not strings, as YAML
    makes ``app: on`` a boolean), quantities that do not parse, base64 that does not decode, and,
    with ``field_validation="Strict"``, fields the kind does not have. Returns the warnings
    ``"Warn"`` gives instead (``unknown field "spec.foo"``). See :mod:`k8sedu.api.schema`."""
    _kinds.for_object(obj)  # an unknown kind is its own BadRequest (no matches for kind ...)
    return schema.check(obj, field_validation)


def _check_decodable(obj: Obj, kind: _kinds.Kind) -> None:
    schema.check(obj, "Ignore")


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
