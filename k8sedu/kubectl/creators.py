"""The rest of ``kubectl create <kind>``: the objects tutorials make from flags.

``configmap``, ``secret generic``, ``serviceaccount``, ``token``, ``role``, ``clusterrole``, ``rolebinding``,
``clusterrolebinding``, ``quota``, ``service clusterip|nodeport``, ``job`` and ``cronjob``, built
as kubectl 1.32's generators build them and POSTed (``--dry-run=client -o yaml`` prints them)::

    kubectl create configmap app --from-literal=color=blue --from-file=app.conf
    kubectl create secret generic db --from-literal=password=s3cr3t
    kubectl create token default --duration=1h
    kubectl create role pod-reader --verb=get,list,watch --resource=pods
    kubectl create rolebinding read-pods --role=pod-reader --user=jane
    kubectl create quota small --hard=pods=2,requests.cpu=1
    kubectl create service nodeport web --tcp=80:80 --node-port=30080
    kubectl create job once --image=k8sedu/tools:v1 -- echo hi
    kubectl create cronjob tick --image=k8sedu/tools:v1 --schedule="*/1 * * * *" -- date
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import Any

from ..api import kinds
from ..api.meta import deep_copy
from ..errors import APIError, KubectlError
from .context import Invocation, usage_error_h
from .generators import _create_object, one_name

__all__ = [
    "cmd_create_configmap", "cmd_create_secret_generic", "cmd_create_serviceaccount", "cmd_create_token", "cmd_create_role",
    "cmd_create_clusterrole", "cmd_create_rolebinding", "cmd_create_clusterrolebinding", "cmd_create_quota",
    "cmd_create_service", "cmd_create_job", "cmd_create_cronjob",
]

_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
_VALID_VERBS = ("*", "get", "delete", "list", "create", "update", "patch", "watch", "proxy", "deletecollection",
                "use", "bind", "escalate", "impersonate")


def _meta(name: str, with_nulls: bool) -> dict[str, Any]:
    return {"name": name, "creationTimestamp": None} if with_nulls else {"name": name}


# ------------------------------------------------------------------ configmap / secret
def _key_error(key: str, kind: str) -> KubectlError:
    return KubectlError(
        f'error: "{key}" is not a valid key name for a {kind}: a valid config key must consist of alphanumeric '
        "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
        "validation is '[-._a-zA-Z0-9]+')")


def _collect(inv: Invocation, kind: str, name: str) -> dict[str, bytes]:
    """Every key → raw bytes from --from-literal, --from-file and --from-env-file, in kubectl's order."""
    p = inv.parsed
    data: dict[str, bytes] = {}

    def add(key: str, value: bytes) -> None:
        if not _KEY_RE.match(key):
            raise _key_error(key, kind)
        if key in data:
            raise KubectlError(f'error: cannot add key "{key}", another key by that name already exists in '
                               f'Data for {kind} "{name}"')
        data[key] = value

    for source in p.get("from-file") or []:
        key, eq, path = source.partition("=")
        if not eq:
            key, path = "", source
        target = Path(os.path.expanduser(path))
        if not target.exists():
            raise KubectlError(f"error: error reading {path}: no such file or directory")
        if target.is_dir():
            if key:
                raise KubectlError(f"error: cannot give a key name for a directory path {path}")
            for f in sorted(target.iterdir()):
                if f.is_file() and _KEY_RE.match(f.name):
                    add(f.name, f.read_bytes())
            continue
        add(key or target.name, target.read_bytes())
    for literal in p.get("from-literal") or []:
        key, eq, value = literal.partition("=")
        if not eq or not key:
            raise KubectlError(f"error: invalid literal source {literal}, expected key=value")
        add(key, value.encode())
    for path in p.get("from-env-file") or []:
        target = Path(os.path.expanduser(path))
        if not target.is_file():
            raise KubectlError(f"error: error reading {path}: no such file or directory")
        for n, line in enumerate(target.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, eq, value = line.partition("=")
            if not eq:
                raise KubectlError(f"error: {path}: line {n}: unexpected format: {line!r}")
            add(key, value.encode())
    return data


def cmd_create_configmap(inv: Invocation) -> None:
    name = one_name(inv, "configmap")
    data: dict[str, str] = {}
    binary: dict[str, str] = {}
    for key, raw in _collect(inv, "ConfigMap", name).items():
        try:
            data[key] = raw.decode("utf-8")
        except UnicodeDecodeError:
            binary[key] = base64.b64encode(raw).decode()

    def build(with_nulls: bool) -> dict[str, Any]:
        obj: dict[str, Any] = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": _meta(name, with_nulls)}
        if data:
            obj["data"] = dict(data)
        if binary:
            obj["binaryData"] = dict(binary)
        return obj

    _create_object(inv, kinds.lookup("configmaps"), build(False), build(True))


def cmd_create_secret_generic(inv: Invocation) -> None:
    name = one_name(inv, "secret generic")
    data = {k: base64.b64encode(v).decode() for k, v in _collect(inv, "Secret", name).items()}
    stype = inv.parsed.get("type") or ""

    def build(with_nulls: bool) -> dict[str, Any]:
        obj: dict[str, Any] = {"kind": "Secret", "apiVersion": "v1", "metadata": _meta(name, with_nulls)}
        if data:
            obj["data"] = dict(data)
        if stype:
            obj["type"] = stype
        return obj

    _create_object(inv, kinds.lookup("secrets"), build(False), build(True))


def cmd_create_serviceaccount(inv: Invocation) -> None:
    name = one_name(inv, "serviceaccount")
    obj = {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": {"name": name}}
    _create_object(inv, kinds.lookup("serviceaccounts"), obj,
                   {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": _meta(name, True)})


#: what ``--bound-object-kind`` accepts, and the API version the bound reference gets
_BOUND_KINDS = {"Node": "v1", "Pod": "v1", "Secret": "v1"}


def cmd_create_token(inv: Invocation) -> None:
    """``kubectl create token SA``: a TokenRequest (``POST serviceaccounts/SA/token``); prints the token."""
    name = one_name(inv, "token")
    p = inv.parsed
    duration = float(p.get("duration") or 0)
    audiences = list(p.get("audience") or [])
    bound_kind, bound_name = p.get("bound-object-kind") or "", p.get("bound-object-name") or ""
    if duration < 0:
        raise KubectlError("error: --duration must be greater than or equal to 0")
    if duration != int(duration):
        raise KubectlError("error: --duration cannot be expressed in units less than seconds")
    if any(not a for a in audiences) or (p.given("audience") and not audiences):
        raise KubectlError("error: --audience must not be an empty string")
    if not bound_kind:
        if bound_name:
            raise KubectlError("error: --bound-object-name can only be set if --bound-object-kind is provided")
    elif bound_kind not in _BOUND_KINDS:
        raise KubectlError(f"error: supported --bound-object-kind values are {', '.join(sorted(_BOUND_KINDS))}")
    elif not bound_name:
        raise KubectlError("error: --bound-object-name is required if --bound-object-kind is provided")
    spec: dict[str, Any] = {"audiences": audiences or None}
    if duration:
        spec["expirationSeconds"] = int(duration)
    if bound_kind:
        spec["boundObjectRef"] = {"kind": bound_kind, "apiVersion": _BOUND_KINDS[bound_kind], "name": bound_name}
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
               "metadata": {"name": name, "namespace": inv.namespace}, "spec": spec}
    try:
        answer = inv.client.create("serviceaccounts", request, inv.namespace, subresource="token")
    except APIError as err:
        raise KubectlError(f"error: failed to create token: {err.message}") from None
    inv.write(f"{answer['status']['token']}\n")


# ------------------------------------------------------------------ RBAC
def _split_list(values: list[str]) -> list[str]:
    return [v for item in values for v in item.split(",") if v]


def _rules(inv: Invocation, cluster: bool) -> list[dict[str, Any]]:
    p = inv.parsed
    verbs = _split_list(p.get("verb") or [])
    resources = _split_list(p.get("resource") or [])
    names = _split_list(p.get("resource-name") or [])
    urls = _split_list(p.get("non-resource-url") or []) if cluster else []
    if not verbs:
        raise KubectlError("error: at least one verb must be specified")
    if not resources and not urls:
        raise KubectlError("error: at least one resource must be specified")
    for verb in verbs:
        if verb not in _VALID_VERBS:
            raise KubectlError(f'error: invalid verb: "{verb}"')
    by_group: dict[str, list[str]] = {}
    for res in resources:
        plural, _, sub = res.partition("/")
        group = ""
        if "." in plural:
            plural, _, group = plural.partition(".")
        if plural != "*":
            kind = kinds.lookup(plural if not group else f"{plural}.{group}")  # kubectl's error if unknown
            plural, group = kind.plural, kind.group
        by_group.setdefault(group, []).append(plural + (f"/{sub}" if sub else ""))
    rules: list[dict[str, Any]] = []
    for group, plurals in by_group.items():
        rule: dict[str, Any] = {"verbs": list(verbs), "apiGroups": [group], "resources": plurals}
        if names:
            rule["resourceNames"] = list(names)
        rules.append(rule)
    if urls:
        rules.append({"verbs": list(verbs), "nonResourceURLs": urls})
    return rules


def cmd_create_role(inv: Invocation) -> None:
    name = one_name(inv, "role")
    rules = _rules(inv, cluster=False)
    obj = {"kind": "Role", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": name}, "rules": rules}
    _create_object(inv, kinds.lookup("roles"), obj, {**deep_copy(obj), "metadata": _meta(name, True)})


def cmd_create_clusterrole(inv: Invocation) -> None:
    name = one_name(inv, "clusterrole")
    rules = _rules(inv, cluster=True)
    obj = {"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": {"name": name},
           "rules": rules}
    _create_object(inv, kinds.lookup("clusterroles"), obj, {**deep_copy(obj), "metadata": _meta(name, True)})


def _subjects(inv: Invocation) -> list[dict[str, Any]]:
    p = inv.parsed
    subjects: list[dict[str, Any]] = []
    for user in p.get("user") or []:
        subjects.append({"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user})
    for group in p.get("group") or []:
        subjects.append({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": group})
    for sa in p.get("serviceaccount") or []:
        ns, sep, sa_name = sa.partition(":")
        if not sep or not ns or not sa_name:
            raise KubectlError(f"error: serviceaccount must be <namespace>:<name>: {sa}")
        subjects.append({"kind": "ServiceAccount", "name": sa_name, "namespace": ns})
    return subjects


def cmd_create_rolebinding(inv: Invocation) -> None:
    name = one_name(inv, "rolebinding")
    role, cluster_role = inv.parsed.get("role") or "", inv.parsed.get("clusterrole") or ""
    if bool(role) == bool(cluster_role):
        raise KubectlError("error: exactly one of clusterrole or role must be specified")
    ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role" if role else "ClusterRole",
           "name": role or cluster_role}
    obj: dict[str, Any] = {"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
                           "metadata": {"name": name}, "roleRef": ref}
    subjects = _subjects(inv)
    if subjects:
        obj["subjects"] = subjects
    _create_object(inv, kinds.lookup("rolebindings"), obj, {**deep_copy(obj), "metadata": _meta(name, True)})


def cmd_create_clusterrolebinding(inv: Invocation) -> None:
    name = one_name(inv, "clusterrolebinding")
    cluster_role = inv.parsed.get("clusterrole") or ""
    if not cluster_role:
        raise KubectlError('error: required flag(s) "clusterrole" not set')
    obj: dict[str, Any] = {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1",
                           "metadata": {"name": name},
                           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                       "name": cluster_role}}
    subjects = _subjects(inv)
    if subjects:
        obj["subjects"] = subjects
    _create_object(inv, kinds.lookup("clusterrolebindings"), obj,
                   {**deep_copy(obj), "metadata": _meta(name, True)})


# ------------------------------------------------------------------ quota
def cmd_create_quota(inv: Invocation) -> None:
    name = one_name(inv, "quota")
    hard: dict[str, str] = {}
    for item in _split_list([inv.parsed.get("hard") or ""]):
        key, eq, value = item.partition("=")
        if not eq or not key or not value:
            raise KubectlError(f"error: invalid argument {item!r}: expected key=value")
        hard[key] = value
    scopes = _split_list([inv.parsed.get("scopes") or ""])
    spec: dict[str, Any] = {}
    if hard:
        spec["hard"] = hard
    if scopes:
        spec["scopes"] = scopes
    obj = {"kind": "ResourceQuota", "apiVersion": "v1", "metadata": {"name": name}, "spec": spec}
    _create_object(inv, kinds.lookup("resourcequotas"), obj,
                   {**deep_copy(obj), "metadata": _meta(name, True), "status": {}})


# ------------------------------------------------------------------ service
def cmd_create_service(inv: Invocation) -> None:
    """``create service clusterip|nodeport NAME --tcp=port[:targetPort]``."""
    p = inv.parsed
    words = list(p.args)
    if not words or words[0] not in ("clusterip", "nodeport"):
        raise KubectlError("error: Unknown service type; use one of clusterip, nodeport "
                           "(loadbalancer and externalname are not built into k8sedu)")
    stype = words.pop(0)
    if len(words) != 1:
        raise usage_error_h(f"exactly one NAME is required, got {len(words)}", f"create service {stype}")
    name = words[0]
    cluster_ip = p.get("clusterip") or ""
    tcp = _split_list(p.get("tcp") or [])
    if not tcp and cluster_ip != "None":
        raise KubectlError('error: required flag(s) "tcp" not set')
    ports: list[dict[str, Any]] = []
    for spec in tcp:
        port_text, _, target_text = spec.partition(":")
        try:
            port = int(port_text)
            target: int | str = int(target_text) if target_text else port
        except ValueError:
            raise KubectlError(f"error: invalid port {spec!r}: ports must be numbers") from None
        entry: dict[str, Any] = {"name": f"{port}-{target}" if target_text else str(port), "protocol": "TCP",
                                 "port": port,
                                 "targetPort": target}
        if stype == "nodeport" and int(p.get("node-port", 0) or 0):
            entry["nodePort"] = int(p.get("node-port"))
        ports.append(entry)
    spec_obj: dict[str, Any] = {"ports": ports} if ports else {}
    spec_obj.update({"selector": {"app": name}, "type": "NodePort" if stype == "nodeport" else "ClusterIP"})
    if cluster_ip:
        spec_obj["clusterIP"] = cluster_ip
    obj = {"kind": "Service", "apiVersion": "v1", "metadata": {"name": name, "labels": {"app": name}},
           "spec": spec_obj}
    printable = {"kind": "Service", "apiVersion": "v1",
                 "metadata": {"name": name, "creationTimestamp": None, "labels": {"app": name}},
                 "spec": deep_copy(spec_obj), "status": {"loadBalancer": {}}}
    _create_object(inv, kinds.lookup("services"), obj, printable)


# ------------------------------------------------------------------ job / cronjob
def _container(inv: Invocation, name: str) -> dict[str, Any]:
    image = inv.parsed.get("image") or ""
    if not image:
        raise KubectlError('error: required flag(s) "image" not set')
    c: dict[str, Any] = {"name": name, "image": image}
    if inv.parsed.dash_args:
        c["command"] = list(inv.parsed.dash_args)
    c["resources"] = {}
    return c


def cmd_create_job(inv: Invocation) -> None:
    name = one_name(inv, "job")
    source = inv.parsed.get("from") or ""
    if source:
        kind_word, _, cron_name = source.partition("/")
        if kind_word not in ("cronjob", "cronjobs", "cj", "cronjob.batch") or not cron_name:
            raise KubectlError("error: from must be an existing cronjob: " + source)
        cron = inv.client.get("cronjobs", cron_name, inv.namespace)
        template = deep_copy(cron["spec"]["jobTemplate"])
        meta = {"name": name, "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cron_name,
                                     "uid": cron["metadata"]["uid"], "controller": True}]}
        obj = {"kind": "Job", "apiVersion": "batch/v1", "metadata": meta, "spec": template.get("spec", {})}
        _create_object(inv, kinds.lookup("jobs"), obj, {**deep_copy(obj)})
        return
    spec = {"template": {"metadata": {}, "spec": {"containers": [_container(inv, name)],
                                                  "restartPolicy": "Never"}}}
    obj = {"kind": "Job", "apiVersion": "batch/v1", "metadata": {"name": name}, "spec": spec}
    printable = {"kind": "Job", "apiVersion": "batch/v1", "metadata": _meta(name, True),
                 "spec": {"template": {"metadata": {"creationTimestamp": None},
                                       "spec": deep_copy(spec["template"]["spec"])}}, "status": {}}
    _create_object(inv, kinds.lookup("jobs"), obj, printable)


def cmd_create_cronjob(inv: Invocation) -> None:
    name = one_name(inv, "cronjob")
    schedule = inv.parsed.get("schedule") or ""
    if not schedule:
        raise KubectlError('error: required flag(s) "schedule" not set')
    restart = inv.parsed.get("restart") or "OnFailure"
    pod_spec = {"containers": [_container(inv, name)], "restartPolicy": restart}
    spec = {"schedule": schedule,
            "jobTemplate": {"metadata": {"name": name}, "spec": {"template": {"metadata": {}, "spec": pod_spec}}}}
    obj = {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": {"name": name}, "spec": spec}
    printable = deep_copy(obj)
    printable["metadata"] = _meta(name, True)
    printable["spec"]["jobTemplate"]["metadata"] = _meta(name, True)
    printable["spec"]["jobTemplate"]["spec"]["template"]["metadata"] = {"creationTimestamp": None}
    printable["status"] = {}
    _create_object(inv, kinds.lookup("cronjobs"), obj, printable)

