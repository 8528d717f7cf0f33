"""Object helpers for plain Kubernetes JSON dicts: kinds, quantities, selectors, defaults, validation.

Pure functions, no threads and no I/O: every layer above (apiserver, controllers, kubectl, viz)
uses them to read and check objects the way upstream Kubernetes does.
"""

from __future__ import annotations

from k8sedu.api.defaults import DEFAULTERS, apply_defaults, default_tolerations, image_pull_policy
from k8sedu.api.kinds import (
    Kind,
    Registry,
    all_kinds,
    for_kind,
    for_object,
    for_resource,
    lookup,
    register,
)
from k8sedu.api.meta import (
    container_requests,
    controller_ref,
    deep_copy,
    get_condition,
    is_controlled_by,
    key,
    make_controller_ref,
    new_uid,
    owner_of,
    pod_is_ready,
    pod_qos_class,
    pod_requests,
    pod_template_hash,
    set_condition,
    split_key,
)
from k8sedu.api.quantity import (
    cpu_millis,
    format_bytes,
    format_cpu_millis,
    format_quantity,
    memory_bytes,
    parse_quantity,
)
from k8sedu.api.selectors import (
    FieldSelector,
    Requirement,
    Selector,
    from_label_selector,
    parse_field_selector,
    parse_selector,
    selector_from_set,
)
from k8sedu.api.validation import NAME_FORMATS, VALIDATORS, field_errors, validate

__all__ = [
    # kinds
    "Kind",
    "Registry",
    "register",
    "lookup",
    "for_object",
    "for_kind",
    "for_resource",
    "all_kinds",
    # quantities
    "parse_quantity",
    "cpu_millis",
    "memory_bytes",
    "format_quantity",
    "format_cpu_millis",
    "format_bytes",
    # selectors
    "Selector",
    "Requirement",
    "FieldSelector",
    "parse_selector",
    "from_label_selector",
    "selector_from_set",
    "parse_field_selector",
    # validation and defaults
    "validate",
    "field_errors",
    "VALIDATORS",
    "NAME_FORMATS",
    "apply_defaults",
    "DEFAULTERS",
    "default_tolerations",
    "image_pull_policy",
    # meta
    "key",
    "split_key",
    "new_uid",
    "deep_copy",
    "controller_ref",
    "owner_of",
    "is_controlled_by",
    "make_controller_ref",
    "pod_is_ready",
    "pod_requests",
    "container_requests",
    "pod_qos_class",
    "get_condition",
    "set_condition",
    "pod_template_hash",
]
