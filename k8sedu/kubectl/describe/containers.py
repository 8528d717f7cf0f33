"""The ``Containers:`` section, shared by a Pod and every pod template: image, ports, command,
state, resources, probes, environment and mounts of each container.

A Pod's containers come with their statuses (Container ID, State, Ready, Restart Count); a
template's have none, and its section is indented one level, the names one space more::

    Containers:                          Pod Template:
      web:                                 Containers:
        Container ID:   docker://9c0ffee    web:
        Image:          k8sedu/web:v1        Image:         k8sedu/web:v2
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from .quantity import Quantity, qty
from .sections import heading, quantities
from .writer import Writer, go_value, int_or_string, metadata, rfc1123z, title_bool

__all__ = ["containers", "seccomp_profile"]


def containers(w: Writer, label: str, specs: list[dict[str, Any]], statuses: list[dict[str, Any]] | None,
               pod: dict[str, Any] | None, space: str, tz: tzinfo | None) -> None:
    """``Containers:`` (or ``Init Containers:``...) with each container's fields."""
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if specs else ' <none>'}\n")
    indent = " " if space else ""
    for c in specs:
        status = by_name.get(c.get("name"))
        w.write(1, f"{indent}{c.get('name', '')}:\n")
        if status is not None:
            w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if status is not None:
            w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
        _ports(w, c.get("ports") or [])
        seccomp_profile(w, (c.get("securityContext") or {}).get("seccompProfile"), 2, 3)
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for s in str(item).split("\n"):
                        w.write(3, f"{s}\n")
        if status is not None:
            _state(w, "State", status.get("state"), tz)
            if ((status.get("lastState") or {}).get("terminated")) is not None:
                _state(w, "Last State", status.get("lastState"), tz)
            w.write(2, f"Ready:\t{title_bool(status.get('ready'))}\n")
            w.write(2, f"Restart Count:\t{int(status.get('restartCount') or 0)}\n")
        resources = c.get("resources") or {}
        quantities(w, 2, "Limits", resources.get("limits"))
        quantities(w, 2, "Requests", resources.get("requests"))
        for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"), ("Startup", "startupProbe")):
            if c.get(key) is not None:
                w.write(2, f"{title}:\t{_probe(c[key])}\n")
        if c.get("envFrom"):
            _env_from(w, c)
        _env(w, c, pod)
        mounts = c.get("volumeMounts") or []
        heading(w, 2, "Mounts", mounts)
        for m in sorted(mounts, key=lambda m: str(m.get("mountPath", ""))):
            flags = ["ro" if m.get("readOnly") else "rw"]
            if m.get("subPath"):
                flags.append(f'path="{m["subPath"]}"')
            w.write(3, f"{m.get('mountPath', '')} from {m.get('name', '')} ({','.join(flags)})\n")
        devices = c.get("volumeDevices") or []
        if devices:
            w.write(2, "Devices:\n")
            for d in sorted(devices, key=lambda d: str(d.get("devicePath", ""))):
                w.write(3, f"{d.get('devicePath', '')} from {d.get('name', '')}\n")


def seccomp_profile(w: Writer, profile: Mapping[str, Any] | None, level: int, localhost_level: int) -> None:
    """``SeccompProfile:`` and, for a Localhost one, ``LocalhostProfile:``. Upstream indents the
    second line under a container's (levels 2 and 3) but not under the pod's (0 and 0)."""
    if not profile:
        return
    w.write(level, f"SeccompProfile:\t{profile.get('type', '')}\n")
    if profile.get("type") == "Localhost":
        w.write(localhost_level, f"LocalhostProfile:\t{profile.get('localhostProfile', '')}\n")


def _ports(w: Writer, ports: list[dict[str, Any]]) -> None:
    """``Port:`` for one port (or none), ``Ports:`` for several; the same for host ports."""
    for title, key in (("Port", "containerPort"), ("Host Port", "hostPort")):
        text = ", ".join(f"{int(p.get(key) or 0)}/{p.get('protocol') or 'TCP'}" for p in ports)
        if "," in text:
            w.write(2, f"{title}s:\t{text}\n")
        else:
            w.write(2, f"{title}:\t{text or '<none>'}\n")


def _probe(p: dict[str, Any]) -> str:
    attrs = (f"delay={int(p.get('initialDelaySeconds') or 0)}s timeout={int(p.get('timeoutSeconds') or 0)}s "
             f"period={int(p.get('periodSeconds') or 0)}s #success={int(p.get('successThreshold') or 0)} "
             f"#failure={int(p.get('failureThreshold') or 0)}")
    if p.get("exec") is not None:
        return f"exec {go_value(list((p['exec'] or {}).get('command') or []))} {attrs}"
    if p.get("httpGet") is not None:
        h = p["httpGet"]
        port = int_or_string(h.get("port"))
        host = str(h.get("host", ""))
        if port:
            host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        scheme = str(h.get("scheme", "")).lower()
        url = (f"{scheme}://" if scheme else "//" if host else "") + host + str(h.get("path", ""))
        return f"http-get {url} {attrs}"
    if p.get("tcpSocket") is not None:
        t = p["tcpSocket"]
        return f"tcp-socket {t.get('host', '')}:{int_or_string(t.get('port'))} {attrs}"
    if p.get("grpc") is not None:
        g = p["grpc"]
        return f"grpc <pod>:{int(g.get('port') or 0)} {g.get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _state(w: Writer, name: str, state: dict[str, Any] | None, tz: tzinfo | None) -> None:
    state = state or {}
    if state.get("running") is not None:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z((state['running'] or {}).get('startedAt'), tz)}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{name}:\tWaiting\n")
        if (state["waiting"] or {}).get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        t = state["terminated"] or {}
        w.write(2, f"{name}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{int(t.get('exitCode') or 0)}\n")
        if int(t.get("signal") or 0) > 0:
            w.write(3, f"Signal:\t{int(t['signal'])}\n")
        w.write(3, f"Started:\t{rfc1123z(t.get('startedAt'), tz)}\n")
        w.write(3, f"Finished:\t{rfc1123z(t.get('finishedAt'), tz)}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")


def _field_value(pod: dict[str, Any] | None, path: str) -> str:
    """The value kubectl shows for a ``fieldRef`` env var. kubectl's scheme only converts the
    ``metadata.name`` and ``metadata.namespace`` field labels, so every other path (even
    ``status.podIP``) prints empty in kubectl describe."""
    if pod is None or path not in ("metadata.name", "metadata.namespace"):
        return ""
    return str(metadata(pod).get(path.split(".")[1], ""))


def _resource_field(container: dict[str, Any], ref: dict[str, Any]) -> str:
    resource = str(ref.get("resource", ""))
    kind, _, name = resource.partition(".")
    values = (container.get("resources") or {}).get(kind) or {}
    if name not in values:
        return "0"
    divisor = qty(ref.get("divisor") or "1")
    if divisor.value == 0:
        divisor = Quantity(1)
    value = qty(values[name]).value / divisor.value
    return str(-((-value.numerator) // value.denominator))


def _env(w: Writer, container: dict[str, Any], pod: dict[str, Any] | None) -> None:
    env = container.get("env") or []
    heading(w, 2, "Environment", env)
    for e in env:
        name, value_from = e.get("name", ""), e.get("valueFrom")
        if value_from is None:
            for i, s in enumerate(str(e.get("value", "")).split("\n")):
                w.write(3, f"{name}:\t{s}\n" if i == 0 else f"\t{s}\n")
            continue
        if value_from.get("fieldRef") is not None:
            ref = value_from["fieldRef"]
            value = _field_value(pod, str(ref.get("fieldPath", "")))
            w.write(3, f"{name}:\t{value} ({ref.get('apiVersion', '')}:{ref.get('fieldPath', '')})\n")
        elif value_from.get("resourceFieldRef") is not None:
            ref = value_from["resourceFieldRef"]
            value = _resource_field(container, ref)
            if value == "0" and ref.get("resource") in ("limits.cpu", "limits.memory"):
                value = "node allocatable"
            w.write(3, f"{name}:\t{value} ({ref.get('resource', '')})\n")
        elif value_from.get("secretKeyRef") is not None:
            ref = value_from["secretKeyRef"]
            w.write(3, f"{name}:\t<set to the key '{ref.get('key', '')}' in secret '{ref.get('name', '')}'>\t"
                       f"Optional: {go_value(bool(ref.get('optional')))}\n")
        elif value_from.get("configMapKeyRef") is not None:
            ref = value_from["configMapKeyRef"]
            w.write(3, f"{name}:\t<set to the key '{ref.get('key', '')}' of config map '{ref.get('name', '')}'>\t"
                       f"Optional: {go_value(bool(ref.get('optional')))}\n")


def _env_from(w: Writer, container: dict[str, Any]) -> None:
    w.write(2, "Environment Variables from:\n")
    for e in container.get("envFrom") or []:
        source, name, optional = "", "", False
        if e.get("configMapRef") is not None:
            source, name, optional = "ConfigMap", e["configMapRef"].get("name", ""), e["configMapRef"].get("optional")
        elif e.get("secretRef") is not None:
            source, name, optional = "Secret", e["secretRef"].get("name", ""), e["secretRef"].get("optional")
        if e.get("prefix"):
            w.write(3, f"{name}\t{source} with prefix '{e['prefix']}'\tOptional: {go_value(bool(optional))}\n")
        else:
            w.write(3, f"{name}\t{source}\tOptional: {go_value(bool(optional))}\n")
