"""Ingress and IngressClass validation (upstream's ``pkg/apis/networking/validation``).

What the apiserver refuses in an Ingress, in upstream's words::

    spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified
    spec.rules[0].http.paths[0].path: Invalid value: "foo": must be an absolute path
    spec.rules[0].host: Invalid value: "*": a wildcard DNS-1123 subdomain must start with '*.', ...

What it does *not* refuse: a backend naming a Service that does not exist. The apiserver checks
only the Ingress itself; the Ingress controller finds out at request time and answers 503.
"""

from __future__ import annotations

import ipaddress
import re

from k8sedu.api.naming import (
    DNS1123_SUBDOMAIN_FMT,
    dns1035_label_errors,
    dns1123_subdomain_errors,
    max_len_error,
    port_name_errors,
    port_num_errors,
    regex_error,
)
from k8sedu.api.validation_base import INVALID, REQUIRED, Errs, GoValue, Obj, not_supported
from k8sedu.errors import FieldError

__all__ = [
    "PATH_TYPES",
    "validate_ingress",
    "validate_ingress_class",
    "wildcard_dns1123_subdomain_errors",
]

#: upstream's supportedPathTypes, sorted as ``sets.List`` prints them
PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]

_INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_PATH_SUFFIXES = ("/..", "/.")

_WILDCARD_FMT = "\\*\\." + DNS1123_SUBDOMAIN_FMT
_WILDCARD_RE = re.compile(_WILDCARD_FMT)
_WILDCARD_MSG = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must "
    "consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character"
)


def wildcard_dns1123_subdomain_errors(value: str) -> list[str]:
    """``IsWildcardDNS1123Subdomain``: ``*.example.com`` (one leading ``*`` label, nothing else)."""
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if _WILDCARD_RE.fullmatch(value) is None:
        errs.append(regex_error(_WILDCARD_MSG, _WILDCARD_FMT, "*.example.com"))
    return errs


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _validate_backend(backend: Obj, path: str) -> Errs:
    resource, service = backend.get("resource"), backend.get("service")
    if resource is not None and service is not None:
        return [FieldError(path, INVALID, "", "cannot set both resource and service backends")]
    if resource is not None:
        errs: Errs = []
        if not resource.get("kind"):
            errs.append(FieldError(f"{path}.resource.kind", REQUIRED))
        if not resource.get("name"):
            errs.append(FieldError(f"{path}.resource.name", REQUIRED))
        return errs
    if service is None:
        return [FieldError(path, INVALID, "", "resource or service backend is required")]
    errs = []
    name = service.get("name") or ""
    if not name:
        errs.append(FieldError(f"{path}.service.name", REQUIRED))
    else:
        errs += [FieldError(f"{path}.service.name", INVALID, name, m) for m in dns1035_label_errors(name)]
    port = service.get("port") or {}
    port_name, number = port.get("name") or "", port.get("number") or 0
    if port_name and number:
        errs.append(FieldError(path, INVALID, "", "cannot set both port name & port number"))
    elif port_name:
        errs += [FieldError(f"{path}.service.port.name", INVALID, port_name, m) for m in port_name_errors(port_name)]
    elif number:
        errs += [FieldError(f"{path}.service.port.number", INVALID, number, m) for m in port_num_errors(int(number))]
    else:
        errs.append(FieldError(path, REQUIRED, None, "port name or number is required"))
    return errs


def _validate_path(p: Obj, path: str) -> Errs:
    errs: Errs = []
    path_type = p.get("pathType")
    value = p.get("path") or ""
    if path_type is None:
        return [FieldError(f"{path}.pathType", REQUIRED, None, "pathType must be specified")]
    if path_type in ("Exact", "Prefix"):
        if not value.startswith("/"):
            errs.append(FieldError(f"{path}.path", INVALID, value, "must be an absolute path"))
        if value:
            errs += [FieldError(f"{path}.path", INVALID, value, f"must not contain '{seq}'")
                     for seq in _INVALID_PATH_SEQUENCES if seq in value]
            errs += [FieldError(f"{path}.path", INVALID, value, f"cannot end with '{suffix}'")
                     for suffix in _INVALID_PATH_SUFFIXES if value.endswith(suffix)]
    elif path_type == "ImplementationSpecific":
        if value and not value.startswith("/"):
            errs.append(FieldError(f"{path}.path", INVALID, value, "must be an absolute path"))
    else:
        errs.append(not_supported(f"{path}.pathType", path_type, PATH_TYPES))
    return errs + _validate_backend(p.get("backend") or {}, f"{path}.backend")


def _validate_rules(rules: list[Obj], path: str) -> Errs:
    errs: Errs = []
    for i, rule in enumerate(rules):
        host = rule.get("host") or ""
        if host:
            if _is_ip(host):
                errs.append(FieldError(f"{path}[{i}].host", INVALID, host, "must be a DNS name, not an IP address"))
            check = wildcard_dns1123_subdomain_errors if "*" in host else dns1123_subdomain_errors
            errs += [FieldError(f"{path}[{i}].host", INVALID, host, m) for m in check(host)]
        http = rule.get("http")
        if http is not None:
            paths = http.get("paths") or []
            if not paths:
                errs.append(FieldError(f"{path}[{i}].http.paths", REQUIRED))
            for j, p in enumerate(paths):
                errs += _validate_path(p, f"{path}[{i}].http.paths[{j}]")
    return errs


def validate_ingress(ing: Obj, old: Obj | None) -> Errs:
    """``ValidateIngressSpec``: rules or a default backend; hosts, paths and backends well formed."""
    spec = ing.get("spec") or {}
    errs: Errs = []
    rules = spec.get("rules")
    if not rules and spec.get("defaultBackend") is None:
        shown = GoValue("[]networking.IngressRule(nil)" if rules is None else "[]networking.IngressRule{}")
        errs.append(FieldError("spec", INVALID, shown, "either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        errs += _validate_backend(spec["defaultBackend"], "spec.defaultBackend")
    if rules:
        errs += _validate_rules(rules, "spec.rules")
    for i, tls in enumerate(spec.get("tls") or []):
        for j, host in enumerate(tls.get("hosts") or []):
            check = wildcard_dns1123_subdomain_errors if "*" in host else dns1123_subdomain_errors
            errs += [FieldError(f"spec.tls[{i}].hosts[{j}]", INVALID, host, m) for m in check(host)]
    class_name = spec.get("ingressClassName")
    if class_name is not None:
        errs += [FieldError("spec.ingressClassName", INVALID, class_name, m)
                 for m in dns1123_subdomain_errors(class_name)]
    return errs


def validate_ingress_class(ic: Obj, old: Obj | None) -> Errs:
    """``validateIngressClassSpec``: a controller name is required and cannot change."""
    controller = (ic.get("spec") or {}).get("controller") or ""
    errs: Errs = []
    if not controller:
        errs.append(FieldError("spec.controller", REQUIRED))
    elif len(controller) > 250:
        errs.append(FieldError("spec.controller", "Too long", controller, "may not be more than 250 bytes"))
    if old is not None and controller != ((old.get("spec") or {}).get("controller") or ""):
        errs.append(FieldError("spec.controller", INVALID, controller, "field is immutable"))
    return errs
