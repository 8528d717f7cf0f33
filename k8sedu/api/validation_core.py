"""Validation of the other kinds: Node, Namespace, Service, Endpoints, ConfigMap, Secret, RBAC,
Event, Lease and Binding (the subset of upstream's checks for the fields we support).
"""

from __future__ import annotations

from k8sedu.api.naming import (
    config_map_key_errors,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    label_value_errors,
    name_is_path_segment,
    port_num_errors,
    qualified_name_errors,
)
from k8sedu.api.validation_base import (
    DUPLICATE,
    FIELD_IMMUTABLE,
    FORBIDDEN,
    INVALID,
    REQUIRED,
    Errs,
    GoValue,
    Obj,
    as_int,
    go_quote,
    go_strings,
    nonneg,
    not_supported,
    validate_labels,
)
from k8sedu.api.validation_pods import PROTOCOLS, port_num_or_name
from k8sedu.errors import FieldError

__all__ = [
    "validate_node",
    "validate_namespace",
    "validate_service",
    "validate_endpoints",
    "validate_data_keys",
    "validate_policy_rules",
    "validate_role_binding",
    "validate_event",
    "validate_lease",
    "validate_binding",
]


# -- cluster and config kinds ------------------------------------------------------------------
_TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]


def validate_node(node: Obj, old: Obj | None) -> Errs:
    errs: Errs = []
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate((node.get("spec") or {}).get("taints") or []):
        p = f"spec.taints[{i}]"
        key, value, effect = t.get("key") or "", t.get("value") or "", t.get("effect") or ""
        errs += [FieldError(f"{p}.key", INVALID, key, m) for m in qualified_name_errors(key)]
        msgs = label_value_errors(value)
        if msgs:
            errs.append(FieldError(f"{p}.value", INVALID, value, ";".join(msgs)))
        if not effect:
            errs.append(FieldError(f"{p}.effect", REQUIRED))
        elif effect not in _TAINT_EFFECTS:
            errs.append(not_supported(f"{p}.effect", effect, _TAINT_EFFECTS))
        if (key, effect) in seen:
            shown = GoValue(
                f"core.Taint{{Key:{go_quote(key)}, Value:{go_quote(value)}, Effect:{go_quote(effect)}, TimeAdded:<nil>}}"
            )
            errs.append(
                FieldError(p, DUPLICATE, shown, "taints must be unique by key and effect pair")
            )
        seen.add((key, effect))
    if old is not None:
        old_cidr = (old.get("spec") or {}).get("podCIDR")
        new_cidr = (node.get("spec") or {}).get("podCIDR")
        if old_cidr and new_cidr != old_cidr:
            errs.append(
                FieldError(
                    "spec.podCIDRs",
                    FORBIDDEN,
                    "",
                    'node updates may not change podCIDR except from "" to valid',
                )
            )
    return errs


_STANDARD_FINALIZERS = {"kubernetes", "orphan", "foregroundDeletion"}


def validate_namespace(ns: Obj, old: Obj | None) -> Errs:
    errs: Errs = []
    for fin in (ns.get("spec") or {}).get("finalizers") or []:
        p = "spec.finalizers"
        msgs = qualified_name_errors(str(fin))
        if msgs:
            errs += [FieldError(p, INVALID, fin, m) for m in msgs]
        elif "/" not in fin and fin not in _STANDARD_FINALIZERS:
            errs.append(
                FieldError(
                    p,
                    INVALID,
                    fin,
                    "name is neither a standard finalizer name nor is it fully qualified",
                )
            )
    return errs


_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]


def validate_service(svc: Obj, old: Obj | None) -> Errs:
    spec = svc.get("spec") or {}
    errs: Errs = []
    stype = spec.get("type") or "ClusterIP"
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if not ports and not headless and stype != "ExternalName":
        errs.append(FieldError("spec.ports", REQUIRED))
    names: set[str] = set()
    for i, port in enumerate(ports):
        p = f"spec.ports[{i}]"
        name = port.get("name") or ""
        if len(ports) > 1 and not name:
            errs.append(FieldError(f"{p}.name", REQUIRED))
        elif name:
            errs += [FieldError(f"{p}.name", INVALID, name, m) for m in dns1123_label_errors(name)]
            if name in names:
                errs.append(FieldError(f"{p}.name", DUPLICATE, name))
            names.add(name)
        errs += [
            FieldError(f"{p}.port", INVALID, as_int(port.get("port")), m)
            for m in port_num_errors(as_int(port.get("port")))
        ]
        proto = port.get("protocol") or ""
        if not proto:
            errs.append(FieldError(f"{p}.protocol", REQUIRED))
        elif proto not in PROTOCOLS:
            errs.append(not_supported(f"{p}.protocol", proto, PROTOCOLS))
        if port.get("targetPort") not in (None, 0, ""):
            errs += port_num_or_name(port["targetPort"], f"{p}.targetPort")
        if stype in ("NodePort", "LoadBalancer") and port.get("nodePort"):
            errs += [
                FieldError(f"{p}.nodePort", INVALID, port["nodePort"], m)
                for m in port_num_errors(as_int(port["nodePort"]))
            ]
        elif port.get("nodePort") and stype not in ("NodePort", "LoadBalancer"):
            errs.append(
                FieldError(
                    f"{p}.nodePort", FORBIDDEN, "", "may not be used when `type` is 'ClusterIP'"
                )
            )
    # upstream: duplicate nodePorts, then duplicate (protocol, port) pairs, printed as Go's %#v
    seen_node: set[tuple[str, int]] = set()
    seen_port: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        proto, node_port = str(port.get("protocol") or ""), as_int(port.get("nodePort")) or 0
        if node_port:
            if (proto, node_port) in seen_node:
                errs.append(FieldError(f"spec.ports[{i}].nodePort", DUPLICATE, node_port))
            seen_node.add((proto, node_port))
    for i, port in enumerate(ports):
        key = (str(port.get("protocol") or ""), as_int(port.get("port")) or 0)
        if key in seen_port:
            errs.append(FieldError(f"spec.ports[{i}]", DUPLICATE, GoValue(
                f'core.ServicePort{{Name:"", Protocol:"{key[0]}", AppProtocol:(*string)(nil), Port:{key[1]}, '
                'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}')))
        seen_port.add(key)
    if stype not in _SERVICE_TYPES:
        errs.append(not_supported("spec.type", stype, _SERVICE_TYPES))
    affinity = spec.get("sessionAffinity")
    if affinity and affinity not in ("ClientIP", "None"):
        errs.append(not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"]))
    errs += validate_labels(spec.get("selector"), "spec.selector")
    if old is not None:
        old_ip = (old.get("spec") or {}).get("clusterIP")
        new_ip = spec.get("clusterIP")
        if old_ip and new_ip and new_ip != old_ip:
            errs.append(
                FieldError(
                    "spec.clusterIPs[0]", INVALID, go_strings([new_ip]), "may not change once set"
                )
            )
    return errs


def validate_endpoints(ep: Obj, old: Obj | None) -> Errs:
    errs: Errs = []
    for i, subset in enumerate(ep.get("subsets") or []):
        p = f"subsets[{i}]"
        for j, addr in enumerate(subset.get("addresses") or []):
            if not addr.get("ip"):
                errs.append(FieldError(f"{p}.addresses[{j}].ip", REQUIRED))
        for j, port in enumerate(subset.get("ports") or []):
            pp = f"{p}.ports[{j}]"
            errs += [
                FieldError(f"{pp}.port", INVALID, as_int(port.get("port")), m)
                for m in port_num_errors(as_int(port.get("port")))
            ]
            proto = port.get("protocol") or ""
            if proto and proto not in PROTOCOLS:
                errs.append(not_supported(f"{pp}.protocol", proto, PROTOCOLS))
    return errs


def validate_data_keys(obj: Obj, old: Obj | None) -> Errs:
    """ConfigMap and Secret: keys are file names; ``immutable: true`` freezes the data."""
    errs: Errs = []
    data, binary = obj.get("data") or {}, obj.get("binaryData") or obj.get("stringData") or {}
    for key in list(data) + [k for k in binary if k not in data]:
        fld = "data" if key in data else ("binaryData" if "binaryData" in obj else "stringData")
        errs += [FieldError(f"{fld}[{key}]", INVALID, key, m) for m in config_map_key_errors(key)]
    if obj.get("kind") == "ConfigMap":
        for key in data:
            if key in (obj.get("binaryData") or {}):
                errs.append(
                    FieldError(
                        f"data[{key}]", INVALID, key, "duplicate of key present in binaryData"
                    )
                )
    if old is not None and old.get("immutable"):
        if not obj.get("immutable"):
            errs.append(
                FieldError("immutable", FORBIDDEN, "", "field is immutable when `immutable` is set")
            )
        if obj.get("data") != old.get("data"):
            errs.append(
                FieldError("data", FORBIDDEN, "", "field is immutable when `immutable` is set")
            )
        if obj.get("binaryData") != old.get("binaryData") and obj.get("kind") == "ConfigMap":
            errs.append(
                FieldError(
                    "binaryData", FORBIDDEN, "", "field is immutable when `immutable` is set"
                )
            )
    if (
        obj.get("kind") == "Secret"
        and old is not None
        and (obj.get("type") or "Opaque") != (old.get("type") or "Opaque")
    ):
        errs.append(FieldError("type", INVALID, obj.get("type") or "Opaque", FIELD_IMMUTABLE))
    return errs


def validate_policy_rules(obj: Obj, old: Obj | None) -> Errs:
    namespaced = obj.get("kind") == "Role"
    errs: Errs = []
    for i, rule in enumerate(obj.get("rules") or []):
        p = f"rules[{i}]"
        if not rule.get("verbs"):
            errs.append(
                FieldError(f"{p}.verbs", REQUIRED, "", "verbs must contain at least one value")
            )
        urls = rule.get("nonResourceURLs") or []
        if urls:
            if namespaced:
                errs.append(
                    FieldError(
                        f"{p}.nonResourceURLs",
                        INVALID,
                        go_strings(urls),
                        "namespaced rules cannot apply to non-resource URLs",
                    )
                )
            if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                errs.append(
                    FieldError(
                        f"{p}.nonResourceURLs",
                        INVALID,
                        go_strings(urls),
                        "rules cannot apply to both regular resources and non-resource URLs",
                    )
                )
            continue
        if not rule.get("apiGroups"):
            errs.append(
                FieldError(
                    f"{p}.apiGroups",
                    REQUIRED,
                    "",
                    "resource rules must supply at least one api group",
                )
            )
        if not rule.get("resources"):
            errs.append(
                FieldError(
                    f"{p}.resources",
                    REQUIRED,
                    "",
                    "resource rules must supply at least one resource",
                )
            )
    return errs


_RBAC_GROUP = "rbac.authorization.k8s.io"


def validate_role_binding(obj: Obj, old: Obj | None) -> Errs:
    namespaced = obj.get("kind") == "RoleBinding"
    ref = obj.get("roleRef") or {}
    errs: Errs = []
    if ref.get("apiGroup", "") != _RBAC_GROUP:
        errs.append(not_supported("roleRef.apiGroup", ref.get("apiGroup", ""), [_RBAC_GROUP]))
    allowed = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in allowed:
        errs.append(not_supported("roleRef.kind", ref.get("kind", ""), allowed))
    if not ref.get("name"):
        errs.append(FieldError("roleRef.name", REQUIRED))
    else:
        errs += [
            FieldError("roleRef.name", INVALID, ref["name"], m)
            for m in name_is_path_segment(ref["name"])
        ]
    for i, s in enumerate(obj.get("subjects") or []):
        p = f"subjects[{i}]"
        name, kind, group = s.get("name") or "", s.get("kind") or "", s.get("apiGroup") or ""
        if not name:
            errs.append(FieldError(f"{p}.name", REQUIRED))
        if kind == "ServiceAccount":
            if name:
                errs += [
                    FieldError(f"{p}.name", INVALID, name, m)
                    for m in dns1123_subdomain_errors(name)
                ]
            if group:
                errs.append(not_supported(f"{p}.apiGroup", group, [""]))
            if not namespaced and not s.get("namespace"):
                errs.append(FieldError(f"{p}.namespace", REQUIRED))
        elif kind in ("User", "Group"):
            if group != _RBAC_GROUP:
                errs.append(not_supported(f"{p}.apiGroup", group, [_RBAC_GROUP]))
        else:
            errs.append(not_supported(f"{p}.kind", kind, ["ServiceAccount", "User", "Group"]))
    if old is not None and (old.get("roleRef") or {}) != ref:
        shown = GoValue(
            f"rbac.RoleRef{{APIGroup:{go_quote(ref.get('apiGroup', ''))}, Kind:{go_quote(ref.get('kind', ''))}, Name:{go_quote(ref.get('name', ''))}}}"
        )
        errs.append(FieldError("roleRef", INVALID, shown, "cannot change roleRef"))
    return errs


def validate_event(ev: Obj, old: Obj | None) -> Errs:
    ns = (ev.get("metadata") or {}).get("namespace") or ""
    involved = ev.get("involvedObject") or {}
    ins = involved.get("namespace") or ""
    if not ins:
        if ns not in ("", "default"):
            return [
                FieldError(
                    "involvedObject.namespace", INVALID, ins, "does not match event.namespace"
                )
            ]
    elif ns != ins:
        return [
            FieldError("involvedObject.namespace", INVALID, ins, "does not match event.namespace")
        ]
    return []


def validate_lease(lease: Obj, old: Obj | None) -> Errs:
    spec = lease.get("spec") or {}
    errs: Errs = []
    duration = spec.get("leaseDurationSeconds")
    if duration is not None and as_int(duration) <= 0:
        errs.append(
            FieldError("spec.leaseDurationSeconds", INVALID, duration, "must be greater than 0")
        )
    transitions = spec.get("leaseTransitions")
    if transitions is not None:
        errs += nonneg(transitions, "spec.leaseTransitions")
    return errs


def validate_binding(b: Obj, old: Obj | None) -> Errs:
    target = b.get("target") or {}
    errs: Errs = []
    if target.get("kind") and target["kind"] != "Node":
        errs.append(not_supported("target.kind", target["kind"], ["Node", "<empty>"]))
    if not target.get("name"):
        errs.append(FieldError("target.name", REQUIRED))
    return errs
