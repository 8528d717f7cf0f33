"""Pod validation: the Pod spec (also inside templates) and what a Pod update may change.

As upstream's ``ValidatePodSpec`` and ``ValidatePodUpdate``: a running Pod's spec is immutable except
for container images, ``activeDeadlineSeconds`` and added tolerations; everything else needs a new
Pod, which is why Deployments replace Pods instead of editing them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from k8sedu.api.naming import (
    dns1123_label_errors,
    dns1123_subdomain_errors,
    env_var_name_errors,
    inclusive_range_error,
    label_value_errors,
    port_name_errors,
    port_num_errors,
    qualified_name_errors,
)
from k8sedu.api.quantity import parse_quantity
from k8sedu.api.validation_base import (
    DUPLICATE,
    FORBIDDEN,
    INVALID,
    IS_NEGATIVE,
    NOT_FOUND,
    REQUIRED,
    Errs,
    GoValue,
    Obj,
    as_int,
    go_quote,
    nonneg,
    not_supported,
    qty,
    validate_labels,
)
from k8sedu.errors import FieldError

__all__ = [
    "validate_pod_spec",
    "validate_pod",
    "port_num_or_name",
    "PROTOCOLS",
    "UPDATABLE_POD_SPEC_FIELDS",
]


# -- pods ---------------------------------------------------------------------------------------
PROTOCOLS = ["SCTP", "TCP", "UDP"]
_VOLUME_SOURCES = (
    "emptyDir",
    "hostPath",
    "configMap",
    "secret",
    "persistentVolumeClaim",
    "downwardAPI",
    "projected",
    "nfs",
    "csi",
    "ephemeral",
    "image",
)
_STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}


def _validate_resources(res: Mapping[str, Any] | None, path: str) -> Errs:
    errs: Errs = []
    res = res or {}
    limits = res.get("limits") or {}
    requests = res.get("requests") or {}
    for which, items in (("limits", limits), ("requests", requests)):
        for name, q in items.items():
            p = f"{path}.{which}[{name}]"
            if (
                "/" not in name
                and name not in _STANDARD_CONTAINER_RESOURCES
                and not name.startswith("hugepages-")
            ):
                errs.append(
                    FieldError(
                        p, INVALID, GoValue(name), "must be a standard resource for containers"
                    )
                )
                continue
            value = parse_quantity(q)
            if value < 0:
                errs.append(FieldError(p, INVALID, qty(q), IS_NEGATIVE))
            if which == "requests" and name in limits:
                limit = parse_quantity(limits[name])
                overcommit = not (
                    name.startswith("hugepages-")
                    or "/" in name
                    and not name.startswith("kubernetes.io/")
                )
                if value != limit and not overcommit:
                    errs.append(
                        FieldError(
                            f"{path}.requests",
                            INVALID,
                            qty(q),
                            f"must be equal to {name} limit of {qty(limits[name])}",
                        )
                    )
                elif value > limit:
                    errs.append(
                        FieldError(
                            f"{path}.requests",
                            INVALID,
                            qty(q),
                            f"must be less than or equal to {name} limit of {qty(limits[name])}",
                        )
                    )
    return errs


def _validate_ports(ports: list[Obj] | None, path: str) -> Errs:
    errs: Errs = []
    names: set[str] = set()
    for i, port in enumerate(ports or []):
        p = f"{path}[{i}]"
        name = port.get("name") or ""
        if name:
            msgs = port_name_errors(name)
            if msgs:
                errs += [FieldError(f"{p}.name", INVALID, name, m) for m in msgs]
            elif name in names:
                errs.append(FieldError(f"{p}.name", DUPLICATE, name))
            else:
                names.add(name)
        cp = as_int(port.get("containerPort"))
        if not cp:
            errs.append(FieldError(f"{p}.containerPort", REQUIRED))
        else:
            errs += [FieldError(f"{p}.containerPort", INVALID, cp, m) for m in port_num_errors(cp)]
        hp = as_int(port.get("hostPort"))
        if hp:
            errs += [FieldError(f"{p}.hostPort", INVALID, hp, m) for m in port_num_errors(hp)]
        proto = port.get("protocol") or ""
        if not proto:
            errs.append(FieldError(f"{p}.protocol", REQUIRED))
        elif proto not in PROTOCOLS:
            errs.append(not_supported(f"{p}.protocol", proto, PROTOCOLS))
    return errs


def _validate_env(env: list[Obj] | None, path: str) -> Errs:
    errs: Errs = []
    for i, ev in enumerate(env or []):
        p = f"{path}[{i}]"
        name = ev.get("name") or ""
        if not name:
            errs.append(FieldError(f"{p}.name", REQUIRED))
        else:
            errs += [FieldError(f"{p}.name", INVALID, name, m) for m in env_var_name_errors(name)]
        if ev.get("valueFrom") is not None and ev.get("value"):
            errs.append(
                FieldError(
                    f"{p}.valueFrom", INVALID, "", "may not be specified when `value` is not empty"
                )
            )
    return errs


def port_num_or_name(port: Any, path: str) -> Errs:
    if isinstance(port, int) and not isinstance(port, bool):
        return [FieldError(path, INVALID, port, m) for m in port_num_errors(port)]
    return [FieldError(path, INVALID, str(port), m) for m in port_name_errors(str(port))]


def _validate_probe(probe: Obj | None, path: str, liveness_or_startup: bool) -> Errs:
    if probe is None:
        return []
    errs: Errs = []
    handlers = [h for h in ("exec", "httpGet", "tcpSocket", "grpc") if probe.get(h) is not None]
    if not handlers:
        errs.append(FieldError(path, REQUIRED, "", "must specify a handler type"))
    for extra in handlers[1:]:
        errs.append(
            FieldError(f"{path}.{extra}", FORBIDDEN, "", "may not specify more than 1 handler type")
        )
    for h in ("httpGet", "tcpSocket"):
        if isinstance(probe.get(h), dict):
            port = probe[h].get("port")
            if port is None or port == "":
                errs.append(FieldError(f"{path}.{h}.port", REQUIRED))
            else:
                errs += port_num_or_name(port, f"{path}.{h}.port")
    for fld in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        errs += nonneg(probe.get(fld), f"{path}.{fld}")
    if liveness_or_startup and probe.get("successThreshold") not in (None, 1):
        errs.append(
            FieldError(f"{path}.successThreshold", INVALID, probe["successThreshold"], "must be 1")
        )
    return errs


def _validate_container(c: Obj, path: str, volumes: set[str], names: set[str], init: bool) -> Errs:
    errs: Errs = []
    name = c.get("name") or ""
    if not name:
        errs.append(FieldError(f"{path}.name", REQUIRED))
    else:
        errs += [FieldError(f"{path}.name", INVALID, name, m) for m in dns1123_label_errors(name)]
    if name in names:
        errs.append(FieldError(f"{path}.name", DUPLICATE, name))
    names.add(name)
    if not c.get("image"):
        errs.append(FieldError(f"{path}.image", REQUIRED))
    policy = c.get("terminationMessagePolicy")
    if policy and policy not in ("File", "FallbackToLogsOnError"):
        errs.append(
            not_supported(
                f"{path}.terminationMessagePolicy", policy, ["File", "FallbackToLogsOnError"]
            )
        )
    errs += _validate_ports(c.get("ports"), f"{path}.ports")
    errs += _validate_env(c.get("env"), f"{path}.env")
    mount_paths: set[str] = set()
    for i, m in enumerate(c.get("volumeMounts") or []):
        p = f"{path}.volumeMounts[{i}]"
        mname = m.get("name") or ""
        if not mname:
            errs.append(FieldError(f"{p}.name", REQUIRED))
        if mname not in volumes:
            errs.append(FieldError(f"{p}.name", NOT_FOUND, mname))
        mpath = m.get("mountPath") or ""
        if not mpath:
            errs.append(FieldError(f"{p}.mountPath", REQUIRED))
        if mpath in mount_paths:
            errs.append(FieldError(f"{p}.mountPath", INVALID, mpath, "must be unique"))
        mount_paths.add(mpath)
    pull = c.get("imagePullPolicy")
    if pull and pull not in ("Always", "IfNotPresent", "Never"):
        errs.append(
            not_supported(f"{path}.imagePullPolicy", pull, ["Always", "IfNotPresent", "Never"])
        )
    errs += _validate_resources(c.get("resources"), f"{path}.resources")
    if init:
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if c.get(probe) is not None and c.get("restartPolicy") != "Always":
                errs.append(
                    FieldError(
                        f"{path}.{probe}",
                        FORBIDDEN,
                        "",
                        "may not be set for init containers without restartPolicy=Always",
                    )
                )
    else:
        errs += _validate_probe(c.get("livenessProbe"), f"{path}.livenessProbe", True)
        errs += _validate_probe(c.get("readinessProbe"), f"{path}.readinessProbe", False)
        errs += _validate_probe(c.get("startupProbe"), f"{path}.startupProbe", True)
    return errs


def _validate_tolerations(tolerations: list[Obj] | None, path: str) -> Errs:
    errs: Errs = []
    for i, t in enumerate(tolerations or []):
        p = f"{path}[{i}]"
        key, op, value, effect = (
            t.get("key") or "",
            t.get("operator") or "",
            t.get("value") or "",
            t.get("effect") or "",
        )
        if key:
            errs += [FieldError(f"{p}.key", INVALID, key, m) for m in qualified_name_errors(key)]
        if not key and op != "Exists":
            errs.append(
                FieldError(
                    f"{p}.operator",
                    INVALID,
                    op,
                    'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                )
            )
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(
                FieldError(
                    f"{p}.effect",
                    INVALID,
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        if op in ("Equal", ""):
            msgs = label_value_errors(value)
            if msgs:
                errs.append(FieldError(f"{p}.operator", INVALID, value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(
                    FieldError(
                        f"{p}.operator",
                        INVALID,
                        GoValue(
                            f'core.Toleration{{Key:{go_quote(key)}, Operator:"Exists", Value:{go_quote(value)}, Effect:{go_quote(effect)}, TolerationSeconds:(*int64)(nil)}}'
                        ),
                        "value must be empty when `operator` is 'Exists'",
                    )
                )
        else:
            errs.append(not_supported(f"{p}.operator", op, ["Equal", "Exists"]))
        if effect and effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            errs.append(
                not_supported(
                    f"{p}.effect", effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"]
                )
            )
    return errs


def validate_pod_spec(spec: Obj | None, path: str = "spec") -> Errs:
    """``ValidatePodSpec`` for the fields we support (containers, volumes, policies, scheduling)."""
    spec = spec or {}
    errs: Errs = []
    volumes: set[str] = set()
    for i, v in enumerate(spec.get("volumes") or []):
        p = f"{path}.volumes[{i}]"
        sources = [s for s in _VOLUME_SOURCES if v.get(s) is not None]
        if not sources:
            errs.append(FieldError(p, REQUIRED, "", "must specify a volume type"))
        for extra in sources[1:]:
            errs.append(
                FieldError(f"{p}.{extra}", FORBIDDEN, "", "may not specify more than 1 volume type")
            )
        vname = v.get("name") or ""
        if not vname:
            errs.append(FieldError(f"{p}.name", REQUIRED))
        else:
            errs += [
                FieldError(f"{p}.name", INVALID, vname, m) for m in dns1123_label_errors(vname)
            ]
        if vname in volumes:
            errs.append(FieldError(f"{p}.name", DUPLICATE, vname))
        volumes.add(vname)
    names: set[str] = set()
    containers = spec.get("containers") or []
    if not containers:
        errs.append(FieldError(f"{path}.containers", REQUIRED))
    for i, c in enumerate(spec.get("initContainers") or []):
        errs += _validate_container(c, f"{path}.initContainers[{i}]", volumes, names, init=True)
    for i, c in enumerate(containers):
        errs += _validate_container(c, f"{path}.containers[{i}]", volumes, names, init=False)
    host_ports: set[str] = set()
    for group in ("initContainers", "containers"):
        for ci, c in enumerate(spec.get(group) or []):
            for pi, port in enumerate(c.get("ports") or []):
                hp = as_int(port.get("hostPort"))
                if hp:
                    ident = f"{port.get('protocol') or 'TCP'}/{port.get('hostIP') or ''}/{hp}"
                    if ident in host_ports:
                        errs.append(
                            FieldError(
                                f"{path}.{group}[{ci}].ports[{pi}].hostPort", DUPLICATE, ident
                            )
                        )
                    host_ports.add(ident)
    restart = spec.get("restartPolicy")
    if restart is not None and restart not in ("Always", "OnFailure", "Never"):
        errs.append(
            not_supported(f"{path}.restartPolicy", restart, ["Always", "OnFailure", "Never"])
            if restart
            else FieldError(f"{path}.restartPolicy", REQUIRED)
        )
    dns = spec.get("dnsPolicy")
    if dns and dns not in ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"):
        errs.append(
            not_supported(
                f"{path}.dnsPolicy",
                dns,
                ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
            )
        )
    ads = spec.get("activeDeadlineSeconds")
    if ads is not None and not (1 <= as_int(ads, -1) <= 2**31 - 1):
        errs.append(
            FieldError(
                f"{path}.activeDeadlineSeconds", INVALID, ads, inclusive_range_error(1, 2**31 - 1)
            )
        )
    node = spec.get("nodeName")
    if node:
        errs += [
            FieldError(f"{path}.nodeName", INVALID, node, m) for m in dns1123_subdomain_errors(node)
        ]
    errs += validate_labels(spec.get("nodeSelector"), f"{path}.nodeSelector")
    errs += _validate_tolerations(spec.get("tolerations"), f"{path}.tolerations")
    sa = spec.get("serviceAccountName")
    if sa:
        errs += [
            FieldError(f"{path}.serviceAccountName", INVALID, sa, m)
            for m in dns1123_subdomain_errors(sa)
        ]
    return errs


def validate_pod(pod: Obj, old: Obj | None) -> Errs:
    spec = pod.get("spec") or {}
    errs = validate_pod_spec(spec, "spec")
    if old is None:
        if spec.get("ephemeralContainers"):
            errs.append(
                FieldError("spec.ephemeralContainers", FORBIDDEN, "", "cannot be set on create")
            )
        return errs
    return errs + _validate_pod_update(pod, old)


UPDATABLE_POD_SPEC_FIELDS = [
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
]


def _validate_pod_update(pod: Obj, old: Obj) -> Errs:
    """``ValidatePodUpdate``: a Pod's spec is immutable except for a few fields."""
    new_spec, old_spec = pod.get("spec") or {}, old.get("spec") or {}
    errs: Errs = []
    for group in ("containers", "initContainers"):
        nc, oc = new_spec.get(group) or [], old_spec.get(group) or []
        if len(nc) != len(oc):
            return errs + [
                FieldError(
                    f"spec.{group}", FORBIDDEN, "", "pod updates may not add or remove containers"
                )
            ]
        for i, c in enumerate(nc):
            image = c.get("image") or ""
            if not image:
                errs.append(FieldError(f"spec.{group}[{i}].image", REQUIRED))
            elif image.strip() != image:
                errs.append(
                    FieldError(
                        f"spec.{group}[{i}].image",
                        INVALID,
                        image,
                        "must not have leading or trailing whitespace",
                    )
                )
    new_ads, old_ads = new_spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    if new_ads is not None:
        if as_int(new_ads, -1) < 0 or new_ads > 2**31 - 1:
            return errs + [
                FieldError(
                    "spec.activeDeadlineSeconds",
                    INVALID,
                    new_ads,
                    inclusive_range_error(0, 2**31 - 1),
                )
            ]
        if old_ads is not None and old_ads < new_ads:
            return errs + [
                FieldError(
                    "spec.activeDeadlineSeconds",
                    INVALID,
                    new_ads,
                    "must be less than or equal to previous value",
                )
            ]
    elif old_ads is not None:
        errs.append(
            FieldError(
                "spec.activeDeadlineSeconds",
                INVALID,
                None,
                "must not update from a positive integer to nil value",
            )
        )
    new_tols = new_spec.get("tolerations") or []
    for t in old_spec.get("tolerations") or []:
        strip = {k: v for k, v in t.items() if k != "tolerationSeconds"}
        if not any(
            {k: v for k, v in n.items() if k != "tolerationSeconds"} == strip for n in new_tols
        ):
            errs.append(
                FieldError(
                    "spec.tolerations",
                    FORBIDDEN,
                    "",
                    "existing toleration can not be modified except its tolerationSeconds",
                )
            )
            break
    if new_spec == old_spec:
        return errs
    munged = dict(new_spec)
    for group in ("containers", "initContainers"):
        if group in munged:
            munged[group] = [
                {**c, "image": oc.get("image")}
                if "image" in oc
                else {k: v for k, v in c.items() if k != "image"}
                for c, oc in zip(munged[group], old_spec.get(group) or [], strict=True)
            ]
    for fld in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        munged.pop(fld, None)
        if fld in old_spec:
            munged[fld] = old_spec[fld]
    old_grace, new_grace = (
        old_spec.get("terminationGracePeriodSeconds"),
        munged.get("terminationGracePeriodSeconds"),
    )
    if isinstance(old_grace, int) and old_grace < 0 and new_grace == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    if munged != old_spec:
        detail = (
            "pod updates may not change fields other than "
            + ",".join(UPDATABLE_POD_SPEC_FIELDS)
            + "\n"
            + _spec_diff(old_spec, munged)
        )
        errs.append(FieldError("spec", FORBIDDEN, "", detail))
    return errs


def _spec_diff(old: Obj, new: Obj) -> str:
    """A short diff in the spirit of ``cmp.Diff(oldPod.Spec, mungedPodSpec)``."""

    lines = ["  core.PodSpec{"]
    for k in sorted(set(old) | set(new)):
        if old.get(k) != new.get(k):
            go_name = k[:1].upper() + k[1:]
            if k in old:
                lines.append(f"- \t{go_name}: {json.dumps(old[k], sort_keys=True)},")
            if k in new:
                lines.append(f"+ \t{go_name}: {json.dumps(new[k], sort_keys=True)},")
    lines.append("  }")
    return "\n".join(lines) + "\n"
