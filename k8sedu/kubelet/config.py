"""From a Pod spec to what the runtime is asked to create: the sandbox and each container.

The kubelet works out everything a container needs before asking the runtime, as upstream's
``generateContainerConfig`` does:

- **environment** (``makeEnvironmentVariables``), later entries winning::

      Service links   WEB_SERVICE_HOST=10.96.0.12  WEB_SERVICE_PORT=80  WEB_PORT=tcp://10.96.0.12:80 …
      envFrom         every key of a ConfigMap / Secret (with an optional prefix)
      env             value (with $(VAR) expanded), or valueFrom: fieldRef (metadata.name,
                      status.podIP…), resourceFieldRef, configMapKeyRef, secretKeyRef

- **command / args** with ``$(VAR)`` expanded from that environment (``$$`` is a literal ``$``);
- **resources**: ``limits.cpu`` → CFS quota in millicores, ``requests.cpu`` → shares,
  ``limits.memory`` → the memory limit the OOM killer enforces.

A missing ConfigMap, Secret or key raises :class:`ConfigError` with upstream's message; the kubelet
then reports ``CreateContainerConfigError``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import Any

from ..api.quantity import cpu_millis, memory_bytes, parse_quantity
from ..api.servicedns import dns_search, hosts_entries
from ..runtime.base import ContainerConfig, PortMapping, SandboxConfig

__all__ = [
    "ConfigError",
    "Lookup",
    "expand",
    "ports_of",
    "sandbox_config",
    "service_address",
    "with_service_names",
    "service_env",
    "make_env",
    "container_config",
    "container_hash",
    "LABEL_CONTAINER_HASH",
]

#: the label that records which version of the container spec a container was made from
LABEL_CONTAINER_HASH = "io.kubernetes.container.hash"

#: ``lookup(resource, namespace, name)`` -> the object or None (ConfigMaps and Secrets)
Lookup = Callable[[str, str, str], "dict[str, Any] | None"]

_REF = re.compile(r"\$\$|\$\(([^)]*)\)")


class ConfigError(Exception):
    """The container's configuration cannot be built (``CreateContainerConfigError``)."""


def expand(text: str, env: dict[str, str]) -> str:
    """``$(VAR)`` → its value when defined (else left as written); ``$$`` → ``$``."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env[name] if name in env else m.group(0)

    return _REF.sub(sub, text)


def ports_of(pod: dict[str, Any]) -> list[PortMapping]:
    """Every ``containerPort`` of the Pod, to publish on the host's 127.0.0.1 through the sandbox."""
    out: list[PortMapping] = []
    seen: set[tuple[int, str]] = set()
    for c in pod.get("spec", {}).get("containers") or []:
        for p in c.get("ports") or []:
            port, proto = p.get("containerPort"), p.get("protocol") or "TCP"
            if not isinstance(port, int) or (port, proto) in seen:
                continue
            seen.add((port, proto))
            out.append(PortMapping(port, proto, p.get("hostPort") or None))
    return out


def sandbox_config(pod: dict[str, Any], node_name: str, attempt: int = 0) -> SandboxConfig:
    md, spec = pod["metadata"], pod.get("spec", {})
    hostname = spec.get("hostname") or md["name"]
    return SandboxConfig(
        pod_uid=md["uid"],
        pod_name=md["name"],
        namespace=md.get("namespace", "default"),
        node_name=node_name,
        hostname=hostname[:63],
        ports=ports_of(pod),
        labels=dict(md.get("labels") or {}),
        attempt=attempt,
    )


def service_address(runtime: Any) -> Callable[[dict[str, Any]], str]:
    """What a Service name resolves to in the Pods of *runtime*: the address where Pods reach the
    host's kube-proxy when the runtime has one (Docker: ``service_addresses()``), else the
    ClusterIP itself (the simulated runtime routes it to kube-proxy). When the runtime's Pods have
    the cluster DNS as their nameserver (``runtime.cluster_dns``), the DNS is the source of truth and
    no name goes into ``/etc/hosts`` (an empty address writes none)."""
    if getattr(runtime, "cluster_dns", None):
        return lambda _svc: ""
    addresses = getattr(runtime, "service_addresses", None)
    if callable(addresses):
        pod_side = str(addresses()[0])
        return lambda _svc: pod_side
    return lambda svc: str((svc.get("spec") or {}).get("clusterIP") or "")


def with_service_names(cfg: SandboxConfig, pod: dict[str, Any], services: list[dict[str, Any]],
                       address: Callable[[dict[str, Any]], str]) -> SandboxConfig:
    """The sandbox *cfg* with the names of *services* in its ``/etc/hosts`` and upstream's
    ClusterFirst search path (``dnsPolicy`` ClusterFirst, the default; the other policies get
    neither). ``address(svc)`` is the IP a name resolves to ("" writes no name: the runtime's Pods
    ask the cluster DNS, :mod:`k8sedu.proxy.dns`, which the runtime puts in ``resolv.conf``). In the
    fallback without a cluster DNS (see :mod:`k8sedu.api.servicedns`) the names point at the host's
    kube-proxy, and only Services that exist now get a name."""
    spec = pod.get("spec") or {}
    if (spec.get("dnsPolicy") or "ClusterFirst") not in ("ClusterFirst", "ClusterFirstWithHostNet"):
        return cfg
    ns = pod["metadata"].get("namespace", "default")
    searches = dns_search(ns) + [s for s in (spec.get("dnsConfig") or {}).get("searches") or []
                                 if isinstance(s, str)]
    hosts = {**hosts_entries(services, ns, address), **(cfg.extra_hosts or {})}
    return dataclasses.replace(cfg, dns_search=searches[:32], extra_hosts=hosts or None)


def _env_name(service: str) -> str:
    return service.upper().replace("-", "_")


def service_env(services: list[dict[str, Any]]) -> dict[str, str]:
    """The Docker-links style variables for each Service with a cluster IP (upstream's
    ``envvars.FromServices``)."""
    env: dict[str, str] = {}
    for svc in services:
        spec = svc.get("spec", {})
        ip = spec.get("clusterIP")
        if not ip or ip == "None":
            continue
        name = _env_name(svc["metadata"]["name"])
        ports = spec.get("ports") or []
        if not ports:
            continue
        env[f"{name}_SERVICE_HOST"] = ip
        env[f"{name}_SERVICE_PORT"] = str(ports[0].get("port"))
        for p in ports:
            if p.get("name"):
                env[f"{name}_SERVICE_PORT_{_env_name(p['name'])}"] = str(p.get("port"))
        first = ports[0]
        proto = (first.get("protocol") or "TCP").lower()
        env[f"{name}_PORT"] = f"{proto}://{ip}:{first.get('port')}"
        for p in ports:
            proto_l = (p.get("protocol") or "TCP").lower()
            prefix = f"{name}_PORT_{p.get('port')}_{proto_l.upper()}"
            env[prefix] = f"{proto_l}://{ip}:{p.get('port')}"
            env[f"{prefix}_PROTO"] = proto_l
            env[f"{prefix}_PORT"] = str(p.get("port"))
            env[f"{prefix}_ADDR"] = ip
    return env


def _field_value(pod: dict[str, Any], path: str, pod_ip: str, host_ip: str) -> str:
    md, spec = pod.get("metadata", {}), pod.get("spec", {})
    m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']*)'\]", path)
    if m:
        return str((md.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": md.get("name", ""),
        "metadata.namespace": md.get("namespace", ""),
        "metadata.uid": md.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
    }
    if path not in simple:
        raise ConfigError(f'unsupported fieldPath: "{path}"')
    return str(simple[path])


def _resource_value(container: dict[str, Any], ref: dict[str, Any], allocatable: dict[str, str]) -> str:
    resource = ref.get("resource", "")
    kind, _, what = resource.partition(".")
    res = (container.get("resources") or {}).get(kind) or {}
    value = res.get(what)
    if value is None:
        value = allocatable.get(what, "0")  # no limit: the node's allocatable, as upstream
    divisor = parse_quantity(ref.get("divisor") or "1")
    if divisor == 0:
        divisor = parse_quantity("1")
    return str(math.ceil(parse_quantity(value) / divisor))


def _decode_secret(secret: dict[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in (secret.get("data") or {}).items():
        try:
            out[k] = base64.b64decode(v).decode("utf-8", "replace")
        except (ValueError, TypeError):
            out[k] = str(v)
    for k, v in (secret.get("stringData") or {}).items():
        out[k] = str(v)
    return out


def _source(lookup: Lookup, kind: str, namespace: str, name: str, optional: bool) -> dict[str, str] | None:
    resource = "configmaps" if kind == "ConfigMap" else "secrets"
    obj = lookup(resource, namespace, name)
    if obj is None:
        if optional:
            return None
        raise ConfigError(f'{kind.lower()} "{name}" not found')
    if kind == "Secret":
        return _decode_secret(obj)
    data = {k: str(v) for k, v in (obj.get("data") or {}).items()}
    for k, v in (obj.get("binaryData") or {}).items():
        data.setdefault(k, str(v))
    return data


def make_env(
    pod: dict[str, Any],
    container: dict[str, Any],
    *,
    pod_ip: str,
    host_ip: str,
    lookup: Lookup,
    services: list[dict[str, Any]] | None = None,
    allocatable: dict[str, str] | None = None,
) -> dict[str, str]:
    namespace = pod.get("metadata", {}).get("namespace", "default")
    spec = pod.get("spec", {})
    env: dict[str, str] = {}
    if spec.get("enableServiceLinks", True) is False:
        # upstream keeps the master Service's variables (KUBERNETES_SERVICE_HOST…) regardless
        services = [s for s in services or [] if s["metadata"].get("namespace") == "default"
                    and s["metadata"].get("name") == "kubernetes"]
    if services:
        env.update(service_env(services))
    svc_env = dict(env)
    for src in container.get("envFrom") or []:
        prefix = src.get("prefix", "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = src.get(key)
            if not ref:
                continue
            data = _source(lookup, kind, namespace, ref.get("name", ""), bool(ref.get("optional")))
            for k, v in (data or {}).items():
                env[prefix + k] = v
    for var in container.get("env") or []:
        name = var.get("name", "")
        if "valueFrom" not in var:
            env[name] = expand(str(var.get("value", "")), {**svc_env, **env})
            continue
        vf = var["valueFrom"] or {}
        if "fieldRef" in vf:
            env[name] = _field_value(pod, vf["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
        elif "resourceFieldRef" in vf:
            env[name] = _resource_value(container, vf["resourceFieldRef"], allocatable or {})
        else:
            for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                ref = vf.get(key)
                if not ref:
                    continue
                optional = bool(ref.get("optional"))
                data = _source(lookup, kind, namespace, ref.get("name", ""), optional)
                if data is None:
                    break
                k = ref.get("key", "")
                if k not in data:
                    if optional:
                        break
                    raise ConfigError(f"couldn't find key {k} in {kind} {namespace}/{ref.get('name', '')}")
                env[name] = data[k]
                break
    return env


def container_hash(container: dict[str, Any]) -> str:
    """A short hash of the container spec: when it changes (``kubectl set image``), the kubelet
    restarts the container with the new spec ("Container web definition changed")."""
    spec = {k: v for k, v in container.items() if k != "resources"}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]


def container_config(
    pod: dict[str, Any],
    container: dict[str, Any],
    *,
    node_name: str,
    attempt: int,
    pod_ip: str,
    host_ip: str,
    lookup: Lookup,
    services: list[dict[str, Any]] | None = None,
    allocatable: dict[str, str] | None = None,
) -> ContainerConfig:
    md = pod["metadata"]
    env = make_env(pod, container, pod_ip=pod_ip, host_ip=host_ip, lookup=lookup, services=services,
                   allocatable=allocatable)
    res = container.get("resources") or {}
    limits, requests = res.get("limits") or {}, res.get("requests") or {}
    return ContainerConfig(
        name=container["name"],
        image=container.get("image", ""),
        pod_name=md["name"],
        namespace=md.get("namespace", "default"),
        pod_uid=md["uid"],
        command=[expand(str(x), env) for x in container.get("command") or []],
        args=[expand(str(x), env) for x in container.get("args") or []],
        env=env,
        working_dir=container.get("workingDir") or None,
        cpu_millis_limit=cpu_millis(limits["cpu"]) if "cpu" in limits else None,
        cpu_millis_request=cpu_millis(requests["cpu"]) if "cpu" in requests else None,
        memory_bytes_limit=memory_bytes(limits["memory"]) if "memory" in limits else None,
        attempt=attempt,
        stdin=bool(container.get("stdin")),
        stdin_once=bool(container.get("stdinOnce")),
        tty=bool(container.get("tty")),
        labels={LABEL_CONTAINER_HASH: container_hash(container)},
        node_name=node_name,
    )
