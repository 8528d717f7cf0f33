"""Objects made from flags: ``create deployment``, ``create namespace``, ``run``, ``expose``.

kubectl builds these objects itself, exactly as upstream's generators do (``run web`` labels the
Pod ``run=web``; ``create deployment`` names the container after the image; ``expose`` copies the
selector and labels of what it exposes and, without ``--port``, one Service port per container
port, named ``port-1``, ``port-2``...), then POSTs them. ``--dry-run=client -o yaml`` prints the
object kubectl would send, which is a handy way to write a manifest.
"""

from __future__ import annotations

import json
from typing import Any

from ..api import kinds
from ..api.kinds import Kind
from ..api.meta import deep_copy
from ..errors import APIError, KubectlError
from .context import (
    NO_RESOURCES_ERROR,
    Invocation,
    dry_run_strategy,
    dry_run_suffix,
    infos_from_files,
    kind_string,
    parse_output,
    print_objects,
    usage_error_h,
    validation_directive,
)
from .messages import format_errors

__all__ = ["cmd_create_deployment", "cmd_create_namespace", "cmd_run", "cmd_expose", "container_name",
           "cmd_autoscale"]


# ------------------------------------------------------------------ create deployment / namespace
def _print_created(inv: Invocation, kind: Kind, obj: dict[str, Any], strategy: str,
                   operation: str = "created") -> None:
    fmt, arg = parse_output(inv.flag("output"))
    if fmt and fmt != "name":
        print_objects(inv, fmt, arg, [obj], True)
    elif fmt == "name":
        inv.write(f"{kind_string(kind)}/{obj['metadata']['name']}\n")
    else:
        inv.write(f"{kind_string(kind)}/{obj['metadata']['name']} {operation}{dry_run_suffix(strategy)}\n")


def struct_json(obj: Any) -> str:
    """``-o json`` of an object kubectl built itself: Go's MarshalIndent of the typed struct, so
    fields come in struct order (our dicts are built in that order), not sorted as for objects
    read back from the server."""
    text = json.dumps(obj, indent=4, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def _create_object(inv: Invocation, kind: Kind, obj: dict[str, Any], printable: dict[str, Any],
                   operation: str = "created", namespace: str | None = None) -> None:
    strategy = dry_run_strategy(inv)
    # create deployment|namespace send --validate's fieldValidation; run and expose have no
    # --validate and send none, so the server's default (Warn) applies
    directive = validation_directive(inv) if "validate" in inv.parsed.flags else "Warn"
    if strategy == "client":
        if parse_output(inv.flag("output"))[0] == "json":
            inv.write(struct_json(printable))
            return
        _print_created(inv, kind, printable, strategy, operation)
        return
    ns = (namespace or inv.namespace) if kind.namespaced else None
    try:
        created = inv.client.create(kind.plural, obj, ns, dry_run=strategy == "server",
                                    field_validation=directive)
    except APIError as err:
        raise KubectlError(format_errors([err])) from None
    inv.server_warnings()
    _print_created(inv, kind, created, strategy, operation)


def container_name(image: str) -> str:
    """``k8sedu/web:v1`` → ``web``, as ``kubectl create deployment`` names the container."""
    name = image.split("/")[-1].split(":")[0].split("@")[0]
    return name.replace("_", "-")


def cmd_create_deployment(inv: Invocation) -> None:
    p = inv.parsed
    if len(p.args) != 1:
        if not p.given("image"):
            raise KubectlError('error: required flag(s) "image" not set')
        raise usage_error_h(f"exactly one NAME is required, got {len(p.args)}", "create deployment")
    images = list(p.get("image") or [])
    if not images:
        raise KubectlError('error: required flag(s) "image" not set')
    name = p.args[0]
    if len(images) > 1 and p.dash_args:
        raise KubectlError("error: cannot specify multiple --image options and command")
    replicas = int(p.get("replicas", 1))
    port = int(p.get("port", -1))
    containers = []
    for image in images:
        c: dict[str, Any] = {"name": container_name(image), "image": image}
        if p.dash_args:
            c["command"] = list(p.dash_args)
        if port >= 0:
            c["ports"] = [{"containerPort": port}]
        c["resources"] = {}
        containers.append(c)
    labels = {"app": name}

    def build(with_nulls: bool) -> dict[str, Any]:
        md: dict[str, Any] = {"name": name, "labels": dict(labels)}
        tmd: dict[str, Any] = {"labels": dict(labels)}
        if with_nulls:
            md = {"name": name, "creationTimestamp": None, "labels": dict(labels)}
            tmd = {"creationTimestamp": None, "labels": dict(labels)}
        obj = {
            "kind": "Deployment", "apiVersion": "apps/v1", "metadata": md,
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": tmd, "spec": {"containers": deep_copy(containers)}},
                     "strategy": {}},
        }
        if with_nulls:
            obj["status"] = {}
        return obj

    _create_object(inv, kinds.lookup("deployments"), build(False), build(True))


_SCALABLE = ("Deployment", "ReplicaSet", "ReplicationController", "StatefulSet")


def cmd_autoscale(inv: Invocation) -> None:
    """``kubectl autoscale deployment web --cpu-percent=50 --min=1 --max=5``: an HPA for the target
    (kubectl 1.32 sends autoscaling/v1; we serve autoscaling/v2 and send its equivalent)."""
    from .context import select

    p = inv.parsed
    max_r, min_r, cpu = int(p.get("max", -1)), int(p.get("min", -1)), int(p.get("cpu-percent", -1))
    if max_r < 1:
        raise KubectlError(f"error: --max=MAXPODS is required and must be at least 1, max: {max_r}")
    if max_r < min_r:
        raise KubectlError(f"error: --max=MAXPODS must be larger or equal to --min=MINPODS, max: {max_r}, min: {min_r}")
    if not p.args and not p.get("filename"):
        raise KubectlError(NO_RESOURCES_ERROR)
    hpa_kind = kinds.lookup("horizontalpodautoscalers")
    for info in select(inv, p.args, allow_lists=False):
        if info.kind.kind not in _SCALABLE:
            raise KubectlError(f"error: cannot autoscale a {info.kind.kind}: {info.kind.kind} is not scalable")
        spec: dict[str, Any] = {"scaleTargetRef": {"kind": info.kind.kind, "name": info.name,
                                                   "apiVersion": info.kind.api_version}}
        if min_r > 0:
            spec["minReplicas"] = min_r
        spec["maxReplicas"] = max_r
        if cpu >= 0:
            spec["metrics"] = [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}}]
        name = p.get("name") or info.name
        obj = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": name}, "spec": spec}
        printable = {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2",
                     "metadata": {"name": name, "creationTimestamp": None}, "spec": deep_copy(spec), "status": {}}
        _create_object(inv, hpa_kind, obj, printable, "autoscaled", namespace=info.namespace)


def one_name(inv: Invocation, command: str) -> str:
    """The NAME of ``kubectl create <command> NAME``, or kubectl's usage error."""
    if len(inv.parsed.args) != 1:
        raise usage_error_h(f"exactly one NAME is required, got {len(inv.parsed.args)}", f"create {command}")
    return str(inv.parsed.args[0])


def cmd_create_namespace(inv: Invocation) -> None:
    name = one_name(inv, "namespace")
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    printable = {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": name, "creationTimestamp": None},
                 "spec": {}, "status": {}}
    _create_object(inv, kinds.lookup("namespaces"), obj, printable)


# ------------------------------------------------------------------ run
_RESTART_POLICIES = ("Always", "OnFailure", "Never")


def _parse_labels(text: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise KubectlError(f"error: invalid label spec: {part}")
        labels[key] = value
    return labels


def cmd_run(inv: Invocation) -> None:
    """``kubectl run NAME --image=IMAGE``: one bare Pod (not a Deployment, since kubectl 1.18)."""
    p = inv.parsed
    if not p.args:
        raise usage_error_h("NAME is required for run", "run")
    if not p.get("image"):
        raise KubectlError('error: required flag(s) "image" not set')
    if p.get("stdin") or p.get("tty") or p.get("attach") or p.get("rm"):
        raise KubectlError("error: interactive run (-i/-t/--attach/--rm) is not built into k8sedu's kubectl; "
                           "run the Pod, then use `kubectl exec` or `kubectl logs`")
    name = p.args[0]
    extra_args = list(p.args[1:]) + list(p.dash_args or [])
    restart = p.get("restart") or "Always"
    if restart not in _RESTART_POLICIES:
        raise KubectlError(f"error: invalid restart policy: {restart}")
    labels = _parse_labels(p.get("labels")) if p.get("labels") else {"run": name}
    # fields in the order of the Go struct (see struct_json)
    container: dict[str, Any] = {"name": name, "image": p.get("image")}
    if extra_args:
        container["command" if p.get("command") else "args"] = extra_args
    elif p.get("command"):
        raise KubectlError("error: --command was specified without a command")
    port = int(p.get("port", -1))
    if port >= 0:
        container["ports"] = [{"containerPort": port}]
    env = []
    for item in p.get("env") or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise KubectlError(f"error: invalid env: {item}")
        env.append({"name": key, "value": value})
    if env:
        container["env"] = env
    container["resources"] = {}
    if p.get("image-pull-policy"):
        container["imagePullPolicy"] = p.get("image-pull-policy")
    metadata: dict[str, Any] = {"name": name, "creationTimestamp": None, "labels": labels}
    if p.get("annotations"):
        metadata["annotations"] = {k: v for k, _, v in (a.partition("=") for a in p.get("annotations"))}
    pod = {"kind": "Pod", "apiVersion": "v1", "metadata": metadata,
           "spec": {"containers": [container], "restartPolicy": restart, "dnsPolicy": "ClusterFirst"},
           "status": {}}
    sendable = deep_copy(pod)
    sendable["metadata"].pop("creationTimestamp")
    sendable.pop("status")
    if p.get("expose"):
        if port < 0:
            raise KubectlError("error: --port must be set when exposing a service")
        service = {"kind": "Service", "apiVersion": "v1",
                   "metadata": {"name": name, "creationTimestamp": None},
                   "spec": {"ports": [{"protocol": "TCP", "port": port, "targetPort": port}],
                            "selector": dict(labels)},
                   "status": {"loadBalancer": {}}}
        svc = deep_copy(service)
        svc["metadata"].pop("creationTimestamp")
        svc.pop("status")
        _create_object(inv, kinds.lookup("services"), svc, service)
    _create_object(inv, kinds.lookup("pods"), sendable, pod)


# ------------------------------------------------------------------ expose
_EXPOSABLE = ("Pod", "Service", "ReplicationController", "Deployment", "ReplicaSet")


def _selector_for(obj: dict[str, Any]) -> dict[str, str]:
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        labels = dict((obj.get("metadata") or {}).get("labels") or {})
        if not labels:
            raise KubectlError("error: couldn't retrieve selectors via --selector flag or introspection: "
                               "the pod has no labels and cannot be exposed")
        return labels
    if kind in ("Service", "ReplicationController"):
        selector = dict(spec.get("selector") or {})
        if not selector:
            raise KubectlError(f"error: couldn't retrieve selectors via --selector flag or introspection: "
                               f"the {str(kind).lower()} has no selector and cannot be exposed")
        return selector
    sel = spec.get("selector") or {}
    if sel.get("matchExpressions"):
        raise KubectlError("error: couldn't retrieve selectors via --selector flag or introspection: "
                           "couldn't convert expressions - \"{}\" to map-based selector format")
    return dict(sel.get("matchLabels") or {})


def _ports_for(obj: dict[str, Any]) -> list[tuple[int, str]]:
    """(port, protocol) of every container port (or a Service's ports), as upstream introspects."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Service":
        return [(int(p["port"]), str(p.get("protocol", "TCP"))) for p in spec.get("ports") or []]
    pod_spec = spec if kind == "Pod" else (spec.get("template") or {}).get("spec") or {}
    out = []
    for c in pod_spec.get("containers") or []:
        for port in c.get("ports") or []:
            out.append((int(port["containerPort"]), str(port.get("protocol", "TCP"))))
    return out


def cmd_expose(inv: Invocation) -> None:
    """``kubectl expose deployment web --port=80``: a Service selecting what *web* selects."""
    p = inv.parsed
    if p.get("filename"):
        infos = infos_from_files(inv)
        for info in infos:
            try:
                info.obj = inv.client.get(info.kind.plural, info.name, info.namespace)
            except APIError as err:
                raise KubectlError(format_errors([err])) from None
    else:
        if not p.args:
            raise KubectlError(NO_RESOURCES_ERROR)
        infos, _ = inv.targets(p.args, allow_lists=False)
        for info in infos:
            try:
                info.obj = inv.client.get(info.kind.plural, info.name, info.namespace)
            except APIError as err:
                raise KubectlError(format_errors([err])) from None
    for info in infos:
        obj = info.obj or {}
        if info.kind.kind not in _EXPOSABLE:
            raise KubectlError(f"error: cannot expose a {info.kind.kind}")
        selector = _parse_labels(p.get("selector")) if p.get("selector") else _selector_for(obj)
        protocol = p.get("protocol") or ""
        if p.get("port"):
            ports = [(int(x), protocol or "TCP") for x in str(p.get("port")).split(",")]
        else:
            ports = [(port, protocol or proto) for port, proto in _ports_for(obj)]
            if not ports:
                raise KubectlError("error: couldn't find port via --port flag or introspection")
        service_ports: list[dict[str, Any]] = []
        for i, (port, proto) in enumerate(ports):
            entry: dict[str, Any] = {}  # ServicePort's field order: name, protocol, port, targetPort
            name = p.get("port-name") or ""
            if len(ports) > 1:
                name = f"port-{i + 1}"
            if name:
                entry["name"] = name
            entry.update({"protocol": proto, "port": port})
            target = p.get("target-port") or p.get("container-port")
            entry["targetPort"] = (int(target) if str(target).isdigit() else target) if target else port
            service_ports.append(entry)
        labels = _parse_labels(p.get("labels")) if p.get("labels") else dict((obj.get("metadata") or {}).get("labels") or {})
        metadata: dict[str, Any] = {"name": p.get("name") or info.name, "creationTimestamp": None}
        if labels:
            metadata["labels"] = labels
        spec: dict[str, Any] = {"ports": service_ports, "selector": selector}
        if p.get("type"):
            spec["type"] = p.get("type")
        if p.get("external-ip"):
            spec["externalIPs"] = [p.get("external-ip")]
        if p.get("session-affinity"):
            spec["sessionAffinity"] = p.get("session-affinity")
        if p.get("cluster-ip"):
            spec["clusterIP"] = p.get("cluster-ip")
        service = {"kind": "Service", "apiVersion": "v1", "metadata": metadata, "spec": spec,
                   "status": {"loadBalancer": {}}}
        sendable = deep_copy(service)
        sendable["metadata"].pop("creationTimestamp")
        sendable.pop("status")
        _create_object(inv, kinds.lookup("services"), sendable, service, operation="exposed",
                       namespace=info.namespace)
