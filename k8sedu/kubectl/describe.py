"""What ``kubectl describe`` prints (kubectl 1.32), from the object, its events and a few relatives.

Unlike ``get``, describe runs entirely in kubectl: it fetches the object, the events whose
``involvedObject`` is that object, and what else it needs (a Deployment's ReplicaSets, a Node's
Pods and Lease), then writes ``Label:\\tvalue`` lines at two-space indent levels into one Go
``text/tabwriter`` (minimum width 0, padding 2). The tabwriter is why values line up: every run of
consecutive lines that contain a tab is aligned together, so ``Volumes:`` lines up with the last
container's fields above it, exactly as on a real cluster::

    Name:             web-7d4b9-x2k8p          ┐ one block: aligned together
    Namespace:        default                  ┘
    Containers:                                  no tab: ends the block
      web:
        Image:          k8sedu/web:v1          ┐ the next block
        ...

Callers pass what kubectl would have fetched: ``events`` (``None`` hides the Events section) and
``related``: ``{"replicasets": [...]}`` for a Deployment, ``{"pods": [...]}`` for a ReplicaSet,
Job, Node, DaemonSet or StatefulSet, ``{"lease": {...}}`` for a Node, ``{"endpointslices": [...]}``
for a Service, ``{"secrets": [...]}`` for a ServiceAccount, ``{"resourcequotas": [...],
"limitranges": [...]}`` for a Namespace. Secret values are never shown, only their size.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timezone, tzinfo
from fractions import Fraction
from typing import Any

from k8sedu.kubectl.printers import (
    _node_roles,
    _ts,
    format_label_selector,
    format_labels,
    human_duration,
    since,
    tabwrite,
)

__all__ = ["describe", "describe_events", "pod_template_section", "Quantity", "DESCRIBERS"]

_MAX_ANNOTATION_LEN = 140
_SKIP_ANNOTATIONS = {"kubectl.kubernetes.io/last-applied-configuration"}


# --------------------------------------------------------------------------------------------
# quantities, as resource.Quantity prints them
# --------------------------------------------------------------------------------------------

_BIN = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DEC = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_SUFFIX = {v: k for k, v in _DEC.items()}
_BIN_SUFFIX = {0: "", **{v: k for k, v in _BIN.items()}}
_QTY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$")


class Quantity:
    """A ``resource.Quantity``: an exact value plus the format it was written in.

    ``str()`` is upstream's canonical form: ``1000m`` → ``1``, ``2048Mi`` → ``2Gi``; sums keep the
    format of the first term, as ``Quantity.Add`` does.
    """

    __slots__ = ("value", "format")

    def __init__(self, value: Fraction | int = 0, fmt: str = "DecimalSI") -> None:
        self.value = Fraction(value)
        self.format = fmt

    @classmethod
    def parse(cls, text: Any) -> Quantity:
        if isinstance(text, (int, float)):
            return cls(Fraction(text))
        m = _QTY.match(str(text).strip())
        if not m:
            raise ValueError(f"quantities must match the regular expression '{_QTY.pattern}'")
        number, exponent, suffix = m.group(1), m.group(2), m.group(3) or ""
        value = Fraction(number)
        if exponent:
            value *= Fraction(10) ** int(exponent[1:])
            fmt = "DecimalExponent"
        elif suffix in _BIN:
            value *= 1024 ** _BIN[suffix]
            fmt = "BinarySI"
        else:
            value *= Fraction(10) ** _DEC[suffix]
            fmt = "DecimalSI"
        # upstream keeps at most nano precision, rounding away from zero
        scaled = value * 10**9
        if scaled.denominator != 1:
            up = -((-abs(scaled.numerator)) // scaled.denominator)
            value = Fraction(up if value > 0 else -up, 10**9)
        return cls(value, fmt)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.value, self.format)

    def milli_value(self) -> int:
        """``MilliValue()``: the value in thousandths, rounded up."""
        v = self.value * 1000
        return -((-v.numerator) // v.denominator)

    def int_value(self) -> int:
        """``Value()``: the value rounded up to an integer."""
        v = self.value
        return -((-v.numerator) // v.denominator)

    def __str__(self) -> str:
        v = self.value
        if v == 0:
            return "0"
        fmt = self.format
        if fmt == "BinarySI" and (-1024 < v < 1024 or v.denominator != 1):
            fmt = "DecimalSI"
        if fmt == "BinarySI":
            n, exp = int(v), 0
            while n % 1024 == 0 and exp < 6:
                n //= 1024
                exp += 1
            return f"{n}{_BIN_SUFFIX[exp]}"
        # decimal: mantissa * 10**exp, exp a multiple of 3, mantissa integral and as small as possible
        exp = -9
        mantissa = v * 10**9
        while mantissa.denominator != 1:  # values are kept at nano precision, so this never loops long
            mantissa *= 10
            exp -= 1
        n = mantissa.numerator
        while n % 1000 == 0 and n != 0:
            n //= 1000
            exp += 3
        if exp % 3:
            shift = exp % 3
            n *= 10**shift
            exp -= shift
        if fmt == "DecimalExponent":
            return f"{n}e{exp}" if exp else str(n)
        if exp in _DEC_SUFFIX:
            return f"{n}{_DEC_SUFFIX[exp]}"
        return f"{n}e{exp}"


def _q(text: Any) -> Quantity:
    try:
        return Quantity.parse(text)
    except ValueError:
        return Quantity()


# --------------------------------------------------------------------------------------------
# the prefix writer
# --------------------------------------------------------------------------------------------


class _Writer:
    """kubectl's PrefixWriter: ``write(level, text)`` indents by two spaces per level."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.parts.append("  " * level + text)

    def line(self, text: str = "") -> None:  # WriteLine: no indent, then a newline
        self.parts.append(text + "\n")

    def raw(self) -> str:
        """The text as written, tabs and all (printers.WriteEscaped's replacements applied)."""
        return "".join(self.parts).replace("\x1b", "^[").replace("\r", "\\r")

    def render(self) -> str:
        """The text through kubectl describe's tabwriter (minimum width 0, padding 2)."""
        return tabwrite(self.raw(), minwidth=0, padding=2)


# --------------------------------------------------------------------------------------------
# small formatters
# --------------------------------------------------------------------------------------------

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _rfc1123z(value: Any, tz: tzinfo | None) -> str:
    """Go's ``time.RFC1123Z`` in kubectl's local zone: ``Fri, 27 Nov 2026 13:08:41 +0000``."""
    t = _ts(value)
    dt = datetime.fromtimestamp(0 if t is None else t, tz=timezone.utc)
    if t is None:
        dt = datetime(1, 1, 1, tzinfo=timezone.utc)
    dt = dt.astimezone(tz) if tz is not None else dt.astimezone()
    offset = dt.strftime("%z") or "+0000"
    return f"{_DAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year:04d} " \
           f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} {offset}"


def _v(value: Any) -> str:
    """Go's ``%v`` for JSON values."""
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return "[" + " ".join(_v(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{_v(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def _bool(value: Any) -> str:
    return "True" if value else "False"


def _none(text: str) -> str:
    return text if text else "<none>"


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _labels_multiline(w: _Writer, title: str, labels: dict[str, Any] | None, initial: str = "",
                      inner: str = "\t") -> None:
    w.write(0, f"{initial}{title}:{inner}")
    if not labels:
        w.line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, initial + inner)
        w.write(0, f"{key}={labels[key]}\n")


def _annotations_multiline(w: _Writer, title: str, annotations: dict[str, Any] | None) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k not in _SKIP_ANNOTATIONS)
    if not keys:
        w.line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = str(annotations[key])  # type: ignore[index]
        if value.endswith("\n"):
            value = value[:-1]
        # Go measures and cuts these in bytes, not characters
        if len(value.encode()) + len(key.encode()) + 2 > _MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for s in value.split("\n"):
                raw = s.encode()
                if len(raw) > _MAX_ANNOTATION_LEN - 2:
                    s = raw[: _MAX_ANNOTATION_LEN - 2].decode(errors="ignore") + "..."
                w.write(0, f"\t  {s}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def _controller(obj: dict[str, Any]) -> str:
    for ref in _meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind', '')}/{ref.get('name', '')}"
    return ""


def _tolerations(w: _Writer, title: str, tolerations: list[dict[str, Any]] | None) -> None:
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.line("<none>")
        return
    for i, t in enumerate(sorted(tolerations, key=lambda t: str(t.get("key", "")))):
        if i:
            w.write(0, "\t")
        text = str(t.get("key", ""))
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {int(t['tolerationSeconds'])}s"
        w.write(0, text + "\n")


def _taint_string(t: dict[str, Any]) -> str:
    text = str(t.get("key", ""))
    if t.get("value"):
        text += f"={t['value']}"
    return text + f":{t.get('effect', '')}"


def _selector_or_error(selector: dict[str, Any] | None) -> str:
    text = format_label_selector(selector)
    return "" if text == "<none>" else text


# --------------------------------------------------------------------------------------------
# events
# --------------------------------------------------------------------------------------------


def _event_key(e: dict[str, Any]) -> float:
    t = _ts(e.get("lastTimestamp"))
    return t if t is not None else float("-inf")


def describe_events(w: _Writer, events: Sequence[dict[str, Any]], now: float) -> None:
    """The ``Events:`` table: oldest first, ``Age`` as ``2m (x3 over 5m)`` for repeated events."""
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in sorted(events, key=_event_key):
        first = since(e.get("eventTime"), now) if e.get("eventTime") else since(e.get("firstTimestamp"), now)
        series, count = e.get("series"), int(e.get("count") or 0)
        if series:
            interval = f"{since(series.get('lastObservedTime'), now)} (x{int(series.get('count') or 0)} over {first})"
        elif count > 1:
            interval = f"{since(e.get('lastTimestamp'), now)} (x{count} over {first})"
        else:
            interval = first
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t"
                   f"{str(e.get('message', '')).strip()}\n")


# --------------------------------------------------------------------------------------------
# containers and volumes (shared by Pod and every pod template)
# --------------------------------------------------------------------------------------------


def _int_or_string(value: Any) -> str:
    return "" if value is None else str(value)


def _probe(p: dict[str, Any]) -> str:
    attrs = (f"delay={int(p.get('initialDelaySeconds') or 0)}s timeout={int(p.get('timeoutSeconds') or 0)}s "
             f"period={int(p.get('periodSeconds') or 0)}s #success={int(p.get('successThreshold') or 0)} "
             f"#failure={int(p.get('failureThreshold') or 0)}")
    if p.get("exec") is not None:
        return f"exec {_v(list((p['exec'] or {}).get('command') or []))} {attrs}"
    if p.get("httpGet") is not None:
        h = p["httpGet"]
        port = _int_or_string(h.get("port"))
        host = str(h.get("host", ""))
        if port:
            host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        scheme = str(h.get("scheme", "")).lower()
        url = (f"{scheme}://" if scheme else "//" if host else "") + host + str(h.get("path", ""))
        return f"http-get {url} {attrs}"
    if p.get("tcpSocket") is not None:
        t = p["tcpSocket"]
        return f"tcp-socket {t.get('host', '')}:{_int_or_string(t.get('port'))} {attrs}"
    if p.get("grpc") is not None:
        g = p["grpc"]
        return f"grpc <pod>:{int(g.get('port') or 0)} {g.get('service', '')} {attrs}"
    return f"unknown {attrs}"


def _container_state(w: _Writer, name: str, state: dict[str, Any] | None, tz: tzinfo | None) -> None:
    state = state or {}
    if state.get("running") is not None:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{_rfc1123z((state['running'] or {}).get('startedAt'), tz)}\n")
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
        w.write(3, f"Started:\t{_rfc1123z(t.get('startedAt'), tz)}\n")
        w.write(3, f"Finished:\t{_rfc1123z(t.get('finishedAt'), tz)}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")


def _resources(w: _Writer, resources: dict[str, Any] | None, level: int) -> None:
    resources = resources or {}
    for title in ("limits", "requests"):
        values = resources.get(title) or {}
        if values:
            w.write(level, f"{title.capitalize()}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{_q(values[name])}\n")


def _field_value(pod: dict[str, Any] | None, path: str) -> str:
    """The value kubectl shows for a ``fieldRef`` env var. kubectl's scheme only converts the
    ``metadata.name`` and ``metadata.namespace`` field labels, so every other path (even
    ``status.podIP``) prints empty in kubectl describe."""
    if pod is None or path not in ("metadata.name", "metadata.namespace"):
        return ""
    return str(_meta(pod).get(path.split(".")[1], ""))


def _resource_field(container: dict[str, Any], ref: dict[str, Any]) -> str:
    resource = str(ref.get("resource", ""))
    kind, _, name = resource.partition(".")
    values = (container.get("resources") or {}).get(kind) or {}
    if name not in values:
        return "0"
    divisor = _q(ref.get("divisor") or "1")
    if divisor.value == 0:
        divisor = Quantity(1)
    value = _q(values[name]).value / divisor.value
    return str(-((-value.numerator) // value.denominator))


def _env(w: _Writer, container: dict[str, Any], pod: dict[str, Any] | None) -> None:
    env = container.get("env") or []
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
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
                       f"Optional: {_v(bool(ref.get('optional')))}\n")
        elif value_from.get("configMapKeyRef") is not None:
            ref = value_from["configMapKeyRef"]
            w.write(3, f"{name}:\t<set to the key '{ref.get('key', '')}' of config map '{ref.get('name', '')}'>\t"
                       f"Optional: {_v(bool(ref.get('optional')))}\n")


def _env_from(w: _Writer, container: dict[str, Any]) -> None:
    w.write(2, "Environment Variables from:\n")
    for e in container.get("envFrom") or []:
        source, name, optional = "", "", False
        if e.get("configMapRef") is not None:
            source, name, optional = "ConfigMap", e["configMapRef"].get("name", ""), e["configMapRef"].get("optional")
        elif e.get("secretRef") is not None:
            source, name, optional = "Secret", e["secretRef"].get("name", ""), e["secretRef"].get("optional")
        if e.get("prefix"):
            w.write(3, f"{name}\t{source} with prefix '{e['prefix']}'\tOptional: {_v(bool(optional))}\n")
        else:
            w.write(3, f"{name}\t{source}\tOptional: {_v(bool(optional))}\n")


def _containers(w: _Writer, label: str, containers: list[dict[str, Any]], statuses: list[dict[str, Any]] | None,
                pod: dict[str, Any] | None, space: str, tz: tzinfo | None) -> None:
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    indent = " " if space else ""
    for c in containers:
        status = by_name.get(c.get("name"))
        w.write(1, f"{indent}{c.get('name', '')}:\n")
        if status is not None:
            w.write(2, f"Container ID:\t{status.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if status is not None:
            w.write(2, f"Image ID:\t{status.get('imageID', '')}\n")
        ports = c.get("ports") or []
        port_str = ", ".join(f"{int(p.get('containerPort') or 0)}/{p.get('protocol') or 'TCP'}" for p in ports)
        host_str = ", ".join(f"{int(p.get('hostPort') or 0)}/{p.get('protocol') or 'TCP'}" for p in ports)
        if "," in port_str:
            w.write(2, f"Ports:\t{port_str}\n")
        else:
            w.write(2, f"Port:\t{_none(port_str)}\n")
        if "," in host_str:
            w.write(2, f"Host Ports:\t{host_str}\n")
        else:
            w.write(2, f"Host Port:\t{_none(host_str)}\n")
        seccomp = (c.get("securityContext") or {}).get("seccompProfile")
        if seccomp:
            w.write(2, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
            if seccomp.get("type") == "Localhost":
                w.write(3, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for s in str(item).split("\n"):
                        w.write(3, f"{s}\n")
        if status is not None:
            _container_state(w, "State", status.get("state"), tz)
            if ((status.get("lastState") or {}).get("terminated")) is not None:
                _container_state(w, "Last State", status.get("lastState"), tz)
            w.write(2, f"Ready:\t{_bool(status.get('ready'))}\n")
            w.write(2, f"Restart Count:\t{int(status.get('restartCount') or 0)}\n")
        _resources(w, c.get("resources"), 2)
        for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"), ("Startup", "startupProbe")):
            if c.get(key) is not None:
                w.write(2, f"{title}:\t{_probe(c[key])}\n")
        if c.get("envFrom"):
            _env_from(w, c)
        _env(w, c, pod)
        mounts = c.get("volumeMounts") or []
        w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
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


def _opt_ptr(value: Any) -> str:
    """A ``*bool`` printed with %v: ``<nil>`` when unset (Go would print an address when set)."""
    return "<nil>" if value is None else _v(bool(value))


def _volume_source(w: _Writer, v: dict[str, Any]) -> None:
    def fields(type_line: str, *pairs: tuple[str, Any]) -> None:
        w.write(2, f"Type:\t{type_line}\n" + "".join(f"    {k}:\t{val}\n" for k, val in pairs))

    if v.get("hostPath") is not None:
        h = v["hostPath"]
        fields("HostPath (bare host directory volume)", ("Path", h.get("path", "")),
               ("HostPathType", h.get("type") if h.get("type") is not None else "<none>"))
    elif v.get("emptyDir") is not None:
        e = v["emptyDir"] or {}
        size = _q(e["sizeLimit"]) if e.get("sizeLimit") else None
        fields("EmptyDir (a temporary directory that shares a pod's lifetime)", ("Medium", e.get("medium", "")),
               ("SizeLimit", str(size) if size is not None and size.value > 0 else "<unset>"))
    elif v.get("secret") is not None:
        s = v["secret"]
        fields("Secret (a volume populated by a Secret)", ("SecretName", s.get("secretName", "")),
               ("Optional", _v(bool(s.get("optional")))))
    elif v.get("configMap") is not None:
        c = v["configMap"]
        fields("ConfigMap (a volume populated by a ConfigMap)", ("Name", c.get("name", "")),
               ("Optional", _v(bool(c.get("optional")))))
    elif v.get("nfs") is not None:
        n = v["nfs"]
        fields("NFS (an NFS mount that lasts the lifetime of a pod)", ("Server", n.get("server", "")),
               ("Path", n.get("path", "")), ("ReadOnly", _v(bool(n.get("readOnly")))))
    elif v.get("persistentVolumeClaim") is not None:
        c = v["persistentVolumeClaim"]
        fields("PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)",
               ("ClaimName", c.get("claimName", "")), ("ReadOnly", _v(bool(c.get("readOnly")))))
    elif v.get("downwardAPI") is not None:
        w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
        for item in (v["downwardAPI"] or {}).get("items") or []:
            if item.get("fieldRef") is not None:
                w.write(3, f"{item['fieldRef'].get('fieldPath', '')} -> {item.get('path', '')}\n")
            if item.get("resourceFieldRef") is not None:
                w.write(3, f"{item['resourceFieldRef'].get('resource', '')} -> {item.get('path', '')}\n")
    elif v.get("projected") is not None:
        w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
        for source in (v["projected"] or {}).get("sources") or []:
            if source.get("secret") is not None:
                s = source["secret"]
                w.write(2, f"SecretName:\t{s.get('name', '')}\n    SecretOptionalName:\t{_opt_ptr(s.get('optional'))}\n")
            elif source.get("downwardAPI") is not None:
                w.write(2, "DownwardAPI:\ttrue\n")
            elif source.get("configMap") is not None:
                c = source["configMap"]
                w.write(2, f"ConfigMapName:\t{c.get('name', '')}\n    ConfigMapOptional:\t{_opt_ptr(c.get('optional'))}\n")
            elif source.get("serviceAccountToken") is not None:
                w.write(2, f"TokenExpirationSeconds:\t{int(source['serviceAccountToken'].get('expirationSeconds') or 0)}\n")
    elif v.get("csi") is not None:
        c = v["csi"]
        fields("CSI (a Container Storage Interface (CSI) volume source)", ("Driver", c.get("driver", "")),
               ("FSType", c.get("fsType", "")), ("ReadOnly", _v(bool(c.get("readOnly")))))
        _labels_multiline(w, "VolumeAttributes", c.get("volumeAttributes"), initial="    ")
    else:
        w.write(1, "<unknown>\n")


def _volumes(w: _Writer, volumes: list[dict[str, Any]] | None, space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for v in volumes:
        w.write(1, f"{' ' if space else ''}{v.get('name', '')}:\n")
        _volume_source(w, v)


def _topology_spread(w: _Writer, constraints: list[dict[str, Any]] | None, space: str) -> None:
    if not constraints:
        return
    w.write(0, f"{space}Topology Spread Constraints:\t")
    for i, tsc in enumerate(sorted(constraints, key=lambda c: str(c.get("topologyKey", "")))):
        if i:
            w.write(0, f"{space}\t")
        text = f"{tsc.get('topologyKey', '')}:{tsc.get('whenUnsatisfiable', '')} when max skew " \
               f"{int(tsc.get('maxSkew') or 0)} is exceeded"
        if tsc.get("labelSelector") is not None:
            text += f" for selector {format_label_selector(tsc['labelSelector'])}"
        w.write(0, text + "\n")


def _pod_template(w: _Writer, template: dict[str, Any] | None, tz: tzinfo | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    _labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        _annotations_multiline(w, "  Annotations", meta.get("annotations"))
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        _containers(w, "Init Containers", spec["initContainers"], None, None, "  ", tz)
    _containers(w, "Containers", spec.get("containers") or [], None, None, "  ", tz)
    _volumes(w, spec.get("volumes"), "  ")
    _topology_spread(w, spec.get("topologySpreadConstraints"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    _labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, "  Tolerations", spec.get("tolerations"))


# --------------------------------------------------------------------------------------------
# QoS and pod resource totals (kubectl/pkg/util/qos, util/resource)
# --------------------------------------------------------------------------------------------


def _qos(pod: dict[str, Any]) -> str:
    status_qos = (pod.get("status") or {}).get("qosClass")
    if status_qos:
        return str(status_qos)
    spec = pod.get("spec") or {}
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        res = c.get("resources") or {}
        for name, q in (res.get("requests") or {}).items():
            if name in ("cpu", "memory") and _q(q).value > 0:
                requests[name] = requests.get(name, Fraction(0)) + _q(q).value
        found = set()
        for name, q in (res.get("limits") or {}).items():
            if name in ("cpu", "memory") and _q(q).value > 0:
                found.add(name)
                limits[name] = limits.get(name, Fraction(0)) + _q(q).value
        if not {"cpu", "memory"} <= found:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(limits.get(n) == v for n, v in requests.items()) and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


def _add(total: dict[str, Quantity], values: dict[str, Any]) -> None:
    for name, raw in (values or {}).items():
        q = _q(raw)
        total[name] = total[name] + q if name in total else Quantity(q.value, q.format)


def _max_into(total: dict[str, Quantity], values: dict[str, Quantity]) -> None:
    for name, q in values.items():
        if name not in total or q.value > total[name].value:
            total[name] = Quantity(q.value, q.format)


def _pod_totals(pod: dict[str, Any], which: str) -> dict[str, Quantity]:
    """``resourcehelper.PodRequestsAndLimits`` for one side: containers summed, init containers
    maxed (restartable "sidecar" init containers count with the app containers), plus overhead."""
    spec = pod.get("spec") or {}
    total: dict[str, Quantity] = {}
    for c in spec.get("containers") or []:
        _add(total, (c.get("resources") or {}).get(which) or {})
    sidecars: dict[str, Quantity] = {}
    init_max: dict[str, Quantity] = {}
    for c in spec.get("initContainers") or []:
        values = (c.get("resources") or {}).get(which) or {}
        if c.get("restartPolicy") == "Always":
            _add(total, values)
            _add(sidecars, values)
            current = dict(sidecars)
        else:
            current = {}
            _add(current, values)
            for name, q in sidecars.items():
                current[name] = current[name] + q if name in current else Quantity(q.value, q.format)
        _max_into(init_max, current)
    _max_into(total, init_max)
    overhead = spec.get("overhead") or {}
    if which == "requests":
        _add(total, overhead)
    else:  # overhead only raises limits that are set
        _add(total, {k: v for k, v in overhead.items() if k in total})
    return total


def _percent(part: int, whole: int) -> int:
    if whole == 0:
        return -(2**63)  # Go: int64(+Inf or NaN) on amd64
    return int(part / whole * 100)


# --------------------------------------------------------------------------------------------
# the describers
# --------------------------------------------------------------------------------------------

Describer = Callable[[_Writer, dict[str, Any], "list[dict[str, Any]] | None", float, dict[str, Any], "tzinfo | None"], None]


def _describe_pod(w: _Writer, pod: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                  related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(pod), pod.get("spec") or {}, pod.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{int(spec['priority'])}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    if not spec.get("nodeName"):
        w.write(0, "Node:\t<none>\n")
    else:
        w.write(0, f"Node:\t{spec['nodeName']}/{status.get('hostIP', '')}\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{_rfc1123z(status['startTime'], tz)}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    if meta.get("deletionTimestamp") and status.get("phase") not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
        w.write(0, f"Termination Grace Period:\t{int(meta.get('deletionGracePeriodSeconds') or 0)}s\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    seccomp = (spec.get("securityContext") or {}).get("seccompProfile")
    if seccomp:
        w.write(0, f"SeccompProfile:\t{seccomp.get('type', '')}\n")
        if seccomp.get("type") == "Localhost":
            w.write(0, f"LocalhostProfile:\t{seccomp.get('localhostProfile', '')}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    ips = status.get("podIPs") or []
    if not ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    if _controller(pod):
        w.write(0, f"Controlled By:\t{_controller(pod)}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        _containers(w, "Init Containers", spec["initContainers"], status.get("initContainerStatuses"), pod, "", tz)
    _containers(w, "Containers", spec.get("containers") or [], status.get("containerStatuses"), pod, "", tz)
    if spec.get("ephemeralContainers"):
        _containers(w, "Ephemeral Containers", spec["ephemeralContainers"],
                    status.get("ephemeralContainerStatuses"), pod, "", tz)
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in spec["readinessGates"]:
            value = "<none>"
            for cond in status.get("conditions") or []:
                if cond.get("type") == gate.get("conditionType"):
                    value = str(cond.get("status", ""))
                    break
            w.write(1, f"{gate.get('conditionType', '')} \t{value} \n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for cond in status["conditions"]:
            w.write(1, f"{cond.get('type', '')} \t{cond.get('status', '')} \n")
    _volumes(w, spec.get("volumes"), "")
    w.write(0, f"QoS Class:\t{_qos(pod)}\n")
    _labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, "Tolerations", spec.get("tolerations"))
    _topology_spread(w, spec.get("topologySpreadConstraints"), "")
    if events is not None:
        describe_events(w, events, now)


def _controlled_pods_status(obj: dict[str, Any], related: dict[str, Any]) -> str:
    uid = _meta(obj).get("uid")
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in related.get("pods") or []:
        owner = next((r for r in _meta(pod).get("ownerReferences") or [] if r.get("controller")), None)
        if owner is None or owner.get("uid") != uid:
            continue
        phase = (pod.get("status") or {}).get("phase")
        if phase in counts:
            counts[phase] += 1
    return (f"{counts['Running']} Running / {counts['Pending']} Waiting / {counts['Succeeded']} Succeeded / "
            f"{counts['Failed']} Failed")


def _describe_replicaset(w: _Writer, rs: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                         related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(rs), rs.get("spec") or {}, rs.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    if _controller(rs):
        w.write(0, f"Controlled By:\t{_controller(rs)}\n")
    w.write(0, f"Replicas:\t{int(status.get('replicas') or 0)} current / {int(spec.get('replicas') or 0)} desired\n")
    w.write(0, "Pods Status:\t")
    w.write(0, _controlled_pods_status(rs, related) + "\n")
    _pod_template(w, spec.get("template"), tz)
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")
    if events is not None:
        describe_events(w, events, now)


def _template_equal_ignore_hash(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    def strip(t: dict[str, Any] | None) -> dict[str, Any]:
        t = dict(t or {})
        meta = dict(t.get("metadata") or {})
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != "pod-template-hash"}
        meta["labels"] = labels
        meta = {k: v for k, v in meta.items() if v not in (None, {}, [], "")}
        t["metadata"] = meta
        return t
    return strip(a) == strip(b)


def _describe_deployment(w: _Writer, d: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                         related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(d), d.get("spec") or {}, d.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{_rfc1123z(meta.get('creationTimestamp'), tz)}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{_selector_or_error(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{int(spec.get('replicas') or 0)} desired | {int(status.get('updatedReplicas') or 0)} updated"
               f" | {int(status.get('replicas') or 0)} total | {int(status.get('availableReplicas') or 0)} available"
               f" | {int(status.get('unavailableReplicas') or 0)} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{int(spec.get('minReadySeconds') or 0)}\n")
    if strategy.get("rollingUpdate") is not None:
        ru = strategy["rollingUpdate"] or {}
        w.write(0, f"RollingUpdateStrategy:\t{_int_or_string(ru.get('maxUnavailable'))} max unavailable, "
                   f"{_int_or_string(ru.get('maxSurge'))} max surge\n")
    _pod_template(w, spec.get("template"), tz)
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")
    if "replicasets" in related:
        uid = meta.get("uid")
        owned = [rs for rs in related.get("replicasets") or []
                 if any(r.get("controller") and r.get("uid") == uid for r in _meta(rs).get("ownerReferences") or [])]
        owned.sort(key=lambda rs: (_ts(_meta(rs).get("creationTimestamp")) or 0.0, _meta(rs).get("name", "")))
        new = next((rs for rs in owned if _template_equal_ignore_hash(rs.get("spec", {}).get("template"),
                                                                      spec.get("template"))), None)
        # upstream's FindOldReplicaSets: describe lists only the old ones still asked for Pods
        old = [rs for rs in owned if rs is not new and int((rs.get("spec") or {}).get("replicas") or 0) != 0]

        def fmt(rss: list[dict[str, Any]]) -> str:
            return ", ".join(f"{_meta(rs).get('name', '')} ({int((rs.get('status') or {}).get('replicas') or 0)}/"
                             f"{int((rs.get('spec') or {}).get('replicas') or 0)} replicas created)" for rs in rss) or "<none>"

        w.write(0, f"OldReplicaSets:\t{fmt(old)}\n")
        w.write(0, f"NewReplicaSet:\t{fmt([new] if new is not None else [])}\n")
    if events is not None:
        describe_events(w, events, now)


def _describe_node(w: _Writer, node: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                   related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(node), node.get("spec") or {}, node.get("status") or {}
    name = meta.get("name", "")
    w.write(0, f"Name:\t{name}\n")
    w.write(0, f"Roles:\t{','.join(_node_roles(node)) or '<none>'}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{_rfc1123z(meta.get('creationTimestamp'), tz)}\n")
    taints = spec.get("taints") or []
    w.write(0, "Taints:\t")
    if not taints:
        w.line("<none>")
    for i, t in enumerate(sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")):
        if i:
            w.write(0, "\t")
        w.write(0, _taint_string(t) + "\n")
    w.write(0, f"Unschedulable:\t{_v(bool(spec.get('unschedulable')))}\n")
    lease = related.get("lease")
    if lease is not None:
        lspec = lease.get("spec") or {}
        w.write(0, "Lease:\n")
        w.write(1, f"HolderIdentity:\t{lspec.get('holderIdentity') or '<unset>'}\n")
        w.write(1, "AcquireTime:\t" + (_rfc1123z(lspec["acquireTime"], tz) if lspec.get("acquireTime") else "<unset>") + "\n")
        w.write(1, "RenewTime:\t" + (_rfc1123z(lspec["renewTime"], tz) if lspec.get("renewTime") else "<unset>") + "\n")
    else:
        w.write(0, f'Lease:\tFailed to get lease: leases.coordination.k8s.io "{name}" not found\n')
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \t{_rfc1123z(c.get('lastHeartbeatTime'), tz)} \t"
                       f"{_rfc1123z(c.get('lastTransitionTime'), tz)} \t{c.get('reason', '')} \t{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for a in status.get("addresses") or []:
        w.write(1, f"{a.get('type', '')}:\t{a.get('address', '')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        values = status.get(key) or {}
        if values:
            w.write(0, f"{title}:\n")
            for res in sorted(values):
                w.write(0, f"  {res}:\t{_q(values[res])}\n")
    info = status.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for label, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
                       ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"),
                       ("Operating System", "operatingSystem"), ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion")):
        w.write(0, f"  {label}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    pods = [p for p in related.get("pods") or []
            if (p.get("spec") or {}).get("nodeName") == name
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    _node_resources(w, node, pods, now)
    if events is not None:
        describe_events(w, events, now)


def _node_resources(w: _Writer, node: dict[str, Any], pods: list[dict[str, Any]], now: float) -> None:
    status = node.get("status") or {}
    allocatable = status.get("allocatable") or status.get("capacity") or {}
    alloc_cpu = _q(allocatable.get("cpu", 0)).milli_value()
    alloc_mem = _q(allocatable.get("memory", 0)).int_value()
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    reqs: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    for pod in pods:
        req, lim = _pod_totals(pod, "requests"), _pod_totals(pod, "limits")
        zero = Quantity()
        cr, cl = req.get("cpu", zero), lim.get("cpu", zero)
        mr, ml = req.get("memory", zero), lim.get("memory", zero)
        w.write(1, f"{_meta(pod).get('namespace', '')}\t{_meta(pod).get('name', '')}\t\t"
                   f"{cr} ({_percent(cr.milli_value(), alloc_cpu)}%)\t{cl} ({_percent(cl.milli_value(), alloc_cpu)}%)\t"
                   f"{mr} ({_percent(mr.int_value(), alloc_mem)}%)\t{ml} ({_percent(ml.int_value(), alloc_mem)}%)\t"
                   f"{since(_meta(pod).get('creationTimestamp'), now)}\n")
        for total, part in ((reqs, req), (limits, lim)):
            for name, q in part.items():
                total[name] = total[name] + q if name in total else Quantity(q.value, q.format)
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    zero = Quantity()

    def frac(part: int, whole: int) -> int:
        return int(part / whole * 100) if whole else 0

    cr, cl = reqs.get("cpu", zero), limits.get("cpu", zero)
    w.write(1, f"cpu\t{cr} ({frac(cr.milli_value(), alloc_cpu)}%)\t{cl} ({frac(cl.milli_value(), alloc_cpu)}%)\n")
    mr, ml = reqs.get("memory", zero), limits.get("memory", zero)
    w.write(1, f"memory\t{mr} ({frac(mr.int_value(), alloc_mem)}%)\t{ml} ({frac(ml.int_value(), alloc_mem)}%)\n")
    alloc_eph = _q(allocatable.get("ephemeral-storage", 0)).int_value()
    er, el = reqs.get("ephemeral-storage", zero), limits.get("ephemeral-storage", zero)
    w.write(1, f"ephemeral-storage\t{er} ({frac(er.int_value(), alloc_eph)}%)\t{el} ({frac(el.int_value(), alloc_eph)}%)\n")
    standard = {"cpu", "memory", "ephemeral-storage", "storage", "pods"}
    huge = sorted(r for r in allocatable if r.startswith("hugepages-"))
    ext = sorted(r for r in allocatable if r not in standard and not r.startswith("hugepages-")
                 and not r.startswith("requests.") and not r.startswith("limits."))
    for res in huge:
        whole = _q(allocatable[res]).int_value()
        hr, hl = reqs.get(res, zero), limits.get(res, zero)
        w.write(1, f"{res}\t{hr} ({frac(hr.int_value(), whole)}%)\t{hl} ({frac(hl.int_value(), whole)}%)\n")
    for res in ext:
        w.write(1, f"{res}\t{reqs.get(res, zero)}\t{limits.get(res, zero)}\n")


def _describe_namespace(w: _Writer, ns: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                        related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, status = _meta(ns), ns.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t{_rfc1123z(c.get('lastTransitionTime'), tz)}\t"
                       f"{c.get('reason', '')}\t{c.get('message', '')}\n")
    w.write(0, "\n")
    quotas = sorted(related.get("resourcequotas") or [], key=lambda q: _meta(q).get("name", ""))
    if not quotas:
        w.write(0, "No resource quota.\n")
    else:
        w.write(0, "Resource Quotas\n")
        for q in quotas:
            w.write(1, f"Name:\t{_meta(q).get('name', '')}\n")
            scopes = sorted((q.get("spec") or {}).get("scopes") or [])
            if scopes:
                w.write(1, f"Scopes:\t{', '.join(scopes)}\n")
                for scope in scopes:
                    if _QUOTA_SCOPE_HELP.get(scope):
                        w.write(1, f"* {_QUOTA_SCOPE_HELP[scope]}\n")
            w.write(1, "Resource\tUsed\tHard\n")
            w.write(1, "--------\t---\t---\n")
            hard = (q.get("status") or {}).get("hard") or {}
            used = (q.get("status") or {}).get("used") or {}
            for res in sorted(hard):
                w.write(1, f"{res}\t{_q(used.get(res, 0))}\t{_q(hard[res])}\n")
    w.write(0, "\n")
    limit_ranges = related.get("limitranges") or []
    if not limit_ranges:
        w.write(0, "No LimitRange resource.\n")
    else:
        w.write(0, "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n")
        w.write(0, " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n")
        for lr in limit_ranges:
            _limit_rows(w, lr, " ")


_QUOTA_SCOPE_HELP = {
    "Terminating": "Matches all pods that have an active deadline. These pods have a limited lifespan on a node "
                   "before being actively terminated by the system.",
    "NotTerminating": "Matches all pods that do not have an active deadline. These pods usually include long "
                      "running pods whose container command is not expected to terminate.",
    "BestEffort": "Matches all pods that do not have resource requirements set. These pods have a best effort "
                  "quality of service.",
    "NotBestEffort": "Matches all pods that have at least one resource requirement set. These pods have a "
                     "burstable or guaranteed quality of service.",
}


def _describe_service(w: _Writer, svc: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                      related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(svc), svc.get("spec") or {}, svc.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type') or 'ClusterIP'}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    ips = spec.get("clusterIPs") or []
    w.write(0, f"IPs:\t{','.join(ips) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = ((status.get("loadBalancer") or {}).get("ingress")) or []
    if ingress:
        parts = []
        for ing in ingress:
            if ing.get("ip"):
                parts.append(ing["ip"] + (f" ({ing['ipMode']})" if ing.get("ipMode") else ""))
            else:
                parts.append(ing.get("hostname", ""))
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(parts)}\n")
    slices = related.get("endpointslices") or []
    for port in spec.get("ports") or []:
        name = port.get("name") or "<unset>"
        proto = port.get("protocol") or "TCP"
        w.write(0, f"Port:\t{name}\t{int(port.get('port') or 0)}/{proto}\n")
        target = port.get("targetPort", port.get("port"))
        w.write(0, f"TargetPort:\t{target}/{proto}\n")
        if port.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{int(port['nodePort'])}/{proto}\n")
        w.write(0, f"Endpoints:\t{_format_slices(slices, port.get('name') or '')}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{int(spec['healthCheckNodePort'])}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    if spec.get("trafficDistribution"):
        w.write(0, f"Traffic Distribution:\t{spec['trafficDistribution']}\n")
    if events is not None:
        describe_events(w, events, now)


def _format_slices(slices: list[dict[str, Any]], port_name: str) -> str:
    """``formatEndpointSlices`` for one service port: ready addresses as ``ip:port``, 3 at most."""
    if not slices:
        return "<none>"
    shown: list[str] = []
    more, count, limit = False, 0, 3
    for s in slices:
        endpoints = s.get("endpoints") or []
        ports = s.get("ports") or []
        if not ports:
            for ep in endpoints:
                if len(shown) == limit:
                    more = True
                if (ep.get("conditions") or {}).get("ready") is False:
                    continue
                if not more:
                    shown.append((ep.get("addresses") or [""])[0])
                count += 1
            continue
        for port in ports:
            if (port.get("name") or "") != port_name:
                continue
            for ep in endpoints:
                if len(shown) == limit:
                    more = True
                if (ep.get("conditions") or {}).get("ready") is False:
                    continue
                if not more:
                    addr = (ep.get("addresses") or [""])[0]
                    host = f"[{addr}]" if ":" in addr else addr
                    shown.append(f"{host}:{int(port.get('port') or 0)}")
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def _describe_secret(w: _Writer, s: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                     related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(s)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"\nType:\t{s.get('type', '')}\n")
    w.write(0, "\nData\n====\n")
    data = dict(s.get("data") or {})
    for key, value in (s.get("stringData") or {}).items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    for key in sorted(data):
        try:
            raw = base64.b64decode(str(data[key]), validate=False)
        except (ValueError, TypeError):
            raw = str(data[key]).encode()
        if key == "token" and s.get("type") == "kubernetes.io/service-account-token":
            w.write(0, f"{key}:\t{raw.decode(errors='replace')}\n")
        else:
            w.write(0, f"{key}:\t{len(raw)} bytes\n")


def _describe_configmap(w: _Writer, cm: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                        related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(cm)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, "\nData\n====\n")
    data = cm.get("data") or {}
    for key in sorted(data):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{data[key]}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    binary = cm.get("binaryData") or {}
    for key in sorted(binary):
        w.write(0, f"{key}: {len(base64.b64decode(str(binary[key])))} bytes\n")
    w.write(0, "\n")
    if events is not None:
        describe_events(w, events, now)


def _describe_job(w: _Writer, job: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                  related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(job), job.get("spec") or {}, job.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{_selector_or_error(spec.get('selector'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    if _controller(job):
        w.write(0, f"Controlled By:\t{_controller(job)}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{int(spec['parallelism'])}\n")
    completions = spec.get("completions")
    w.write(0, f"Completions:\t{int(completions) if completions is not None else '<unset>'}\n")
    if spec.get("completionMode") is not None:
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{_v(bool(spec['suspend']))}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{int(spec['backoffLimit'])}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{int(spec['ttlSecondsAfterFinished'])}\n")
    start, done = status.get("startTime"), status.get("completionTime")
    if start:
        w.write(0, f"Start Time:\t{_rfc1123z(start, tz)}\n")
    if done:
        w.write(0, f"Completed At:\t{_rfc1123z(done, tz)}\n")
    if start and done:
        w.write(0, f"Duration:\t{human_duration((_ts(done) or 0.0) - (_ts(start) or 0.0))}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{int(spec['activeDeadlineSeconds'])}s\n")
    active, succeeded, failed = (int(status.get(k) or 0) for k in ("active", "succeeded", "failed"))
    if status.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n")
    else:
        w.write(0, f"Pods Statuses:\t{active} Active ({int(status['ready'])} Ready) / {succeeded} Succeeded / "
                   f"{failed} Failed\n")
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{_cap_indexes(str(status.get('completedIndexes') or ''), 50)}\n")
    _pod_template(w, spec.get("template"), tz)
    if events is not None:
        describe_events(w, events, now)


def _cap_indexes(indexes: str, soft_limit: int) -> str:
    if not indexes:
        return "<none>"
    ix = soft_limit
    while ix < len(indexes) and indexes[ix] != ",":
        ix += 1
    return indexes if ix >= len(indexes) else indexes[: ix + 1] + "..."


def _describe_cronjob(w: _Writer, cj: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                      related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(cj), cj.get("spec") or {}, cj.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Schedule:\t{spec.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n")
    suspend = spec.get("suspend")
    w.write(0, f"Suspend:\t{'<unset>' if suspend is None else _bool(suspend)}\n")
    for label, key in (("Successful Job History Limit", "successfulJobsHistoryLimit"),
                       ("Failed Job History Limit", "failedJobsHistoryLimit")):
        value = spec.get(key)
        w.write(0, f"{label}:\t{'<unset>' if value is None else int(value)}\n")
    deadline = spec.get("startingDeadlineSeconds")
    w.write(0, f"Starting Deadline Seconds:\t{'<unset>' if deadline is None else f'{int(deadline)}s'}\n")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    if job_spec.get("selector") is not None:
        w.write(0, f"Selector:\t{_selector_or_error(job_spec['selector'])}\n")
    else:
        w.write(0, "Selector:\t<unset>\n")
    for label, key in (("Parallelism", "parallelism"), ("Completions", "completions")):
        value = job_spec.get(key)
        w.write(0, f"{label}:\t{'<unset>' if value is None else int(value)}\n")
    if job_spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{int(job_spec['activeDeadlineSeconds'])}s\n")
    _pod_template(w, job_spec.get("template"), tz)
    last = status.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{_rfc1123z(last, tz) if last else '<unset>'}\n")
    active = status.get("active") or []
    w.write(0, "Active Jobs:\t")
    if not active:
        w.line("<none>")
    else:
        w.write(0, ", ".join(str(j.get("name", "")) for j in active))
        w.line("")
    if events is not None:
        describe_events(w, events, now)


def _describe_hpa(w: _Writer, hpa: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                  related: dict[str, Any], tz: tzinfo | None) -> None:
    """``describeHorizontalPodAutoscalerV2``."""
    meta, spec, status = _meta(hpa), hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{_rfc1123z(meta.get('creationTimestamp'), tz)}\n")
    w.write(0, f"Reference:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
    w.write(0, "Metrics:\t( current / target )\n")
    currents = status.get("currentMetrics") or []
    for i, metric in enumerate(spec.get("metrics") or []):
        mtype = metric.get("type")
        key = {"Resource": "resource", "ContainerResource": "containerResource"}.get(str(mtype))
        if key is None:
            w.write(1, f'<unknown metric type "{mtype}">\n')
            continue
        src, target = metric.get(key) or {}, (metric.get(key) or {}).get("target") or {}
        cur = ((currents[i] if i < len(currents) else {}).get(key) or {}).get("current")
        if key == "resource":
            w.write(1, f"resource {src.get('name', '')} on pods")
        else:
            w.write(1, f'resource {src.get("name", "")} of container "{src.get("container", "")}" on pods')
        if target.get("averageValue") is not None:
            current = (cur or {}).get("averageValue", "<unknown>") if cur is not None else "<unknown>"
            w.write(0, f":\t{current} / {target['averageValue']}\n")
        else:
            current = "<unknown>"
            if cur is not None and cur.get("averageUtilization") is not None:
                current = f"{cur['averageUtilization']}% ({cur.get('averageValue', '0')})"
            util = target.get("averageUtilization")
            w.write(1, f"(as a percentage of request):\t{current} / {'<auto>' if util is None else f'{util}%'}\n")
    min_r = spec.get("minReplicas")
    w.write(0, f"Min replicas:\t{'<unset>' if min_r is None else min_r}\n")
    w.write(0, f"Max replicas:\t{int(spec.get('maxReplicas') or 0)}\n")
    behavior = spec.get("behavior")
    if behavior is not None:
        w.write(0, "Behavior:\n")
        for direction, rules in (("Scale Up", behavior.get("scaleUp")), ("Scale Down", behavior.get("scaleDown"))):
            if rules is None:
                continue
            w.write(1, f"{direction}:\n")
            if rules.get("stabilizationWindowSeconds") is not None:
                w.write(2, f"Stabilization Window: {rules['stabilizationWindowSeconds']} seconds\n")
            if rules.get("policies"):
                w.write(2, f"Select Policy: {rules.get('selectPolicy') or 'Max'}\n")
                w.write(2, "Policies:\n")
                for p in rules["policies"]:
                    w.write(3, f"- Type: {p.get('type')}\tValue: {p.get('value')}\tPeriod: {p.get('periodSeconds')} seconds\n")
    w.write(0, f"{ref.get('kind', '')} pods:\t")
    w.write(0, f"{int(status.get('currentReplicas') or 0)} current / {int(status.get('desiredReplicas') or 0)} desired\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\tMessage\n")
        w.write(1, "----\t------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type')}\t{c.get('status')}\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    if events is not None:
        describe_events(w, events, now)


def _describe_endpoints(w: _Writer, ep: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                        related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(ep)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, "Subsets:\n")
    for subset in ep.get("subsets") or []:
        addrs = ",".join(a.get("ip", "") for a in subset.get("addresses") or [])
        w.write(1, f"Addresses:\t{addrs or '<none>'}\n")
        not_ready = ",".join(a.get("ip", "") for a in subset.get("notReadyAddresses") or [])
        w.write(1, f"NotReadyAddresses:\t{not_ready or '<none>'}\n")
        if subset.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                w.write(2, f"{port.get('name') or '<unset>'}\t{int(port.get('port') or 0)}\t{port.get('protocol') or 'TCP'}\n")
        w.write(0, "\n")
    if events is not None:
        describe_events(w, events, now)


def _describe_serviceaccount(w: _Writer, sa: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                             related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(sa)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    secrets = related.get("secrets")
    existing = {_meta(s).get("name") for s in secrets or []}
    tokens = [_meta(s).get("name", "") for s in secrets or []
              if s.get("type") == "kubernetes.io/service-account-token"
              and (_meta(s).get("annotations") or {}).get("kubernetes.io/service-account.name") == meta.get("name")
              and (_meta(s).get("annotations") or {}).get("kubernetes.io/service-account.uid") == meta.get("uid")]
    sections = [
        ("Image pull secrets:", [s.get("name", "") for s in sa.get("imagePullSecrets") or []]),
        ("Mountable secrets: ", [s.get("name", "") for s in sa.get("secrets") or []]),
        ("Tokens:            ", tokens),
    ]
    for header, names in sorted(sections):
        if not names:
            w.write(0, f"{header}\t<none>\n")
            continue
        prefix = header
        for name in names:
            missing = secrets is not None and name not in existing
            w.write(0, f"{prefix}\t{name}{' (not found)' if missing else ''}\n")
            prefix = " " * 19
    if events is not None:
        describe_events(w, events, now)


def _describe_daemonset(w: _Writer, ds: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                        related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(ds), ds.get("spec") or {}, ds.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Selector:\t{_selector_or_error(spec.get('selector'))}\n")
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    w.write(0, f"Node-Selector:\t{format_labels(node_selector)}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    for label, key in (("Desired Number of Nodes Scheduled", "desiredNumberScheduled"),
                       ("Current Number of Nodes Scheduled", "currentNumberScheduled"),
                       ("Number of Nodes Scheduled with Up-to-date Pods", "updatedNumberScheduled"),
                       ("Number of Nodes Scheduled with Available Pods", "numberAvailable"),
                       ("Number of Nodes Misscheduled", "numberMisscheduled")):
        w.write(0, f"{label}: {int(status.get(key) or 0)}\n")
    w.write(0, f"Pods Status:\t{_controlled_pods_status(ds, related)}\n")
    _pod_template(w, spec.get("template"), tz)
    if events is not None:
        describe_events(w, events, now)


def _describe_statefulset(w: _Writer, ss: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                          related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(ss), ss.get("spec") or {}, ss.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{_rfc1123z(meta.get('creationTimestamp'), tz)}\n")
    w.write(0, f"Selector:\t{_selector_or_error(spec.get('selector'))}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Replicas:\t{int(spec.get('replicas') or 0)} desired | {int(status.get('replicas') or 0)} total\n")
    strategy = spec.get("updateStrategy") or {}
    w.write(0, f"Update Strategy:\t{strategy.get('type', '')}\n")
    ru = strategy.get("rollingUpdate") or {}
    if ru.get("partition") is not None:
        w.write(1, f"Partition:\t{int(ru['partition'])}\n")
        if ru.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{ru['maxUnavailable']}\n")
    w.write(0, f"Pods Status:\t{_controlled_pods_status(ss, related)}\n")
    _pod_template(w, spec.get("template"), tz)
    claims = spec.get("volumeClaimTemplates") or []
    if not claims:
        w.write(0, "Volume Claims:\t<none>\n")
    else:
        w.write(0, "Volume Claims:\n")
        for pvc in claims:
            pmeta, pspec = _meta(pvc), pvc.get("spec") or {}
            w.write(1, f"Name:\t{pmeta.get('name', '')}\n")
            w.write(1, f"StorageClass:\t{pspec.get('storageClassName', '')}\n")
            _labels_multiline(w, "Labels", pmeta.get("labels"), initial="  ")
            _labels_multiline(w, "Annotations", pmeta.get("annotations"), initial="  ")
            storage = ((pspec.get("resources") or {}).get("requests") or {}).get("storage")
            w.write(1, f"Capacity:\t{_q(storage) if storage is not None else '<default>'}\n")
            w.write(1, f"Access Modes:\t{_v(list(pspec.get('accessModes') or []))}\n")
    if events is not None:
        describe_events(w, events, now)


def _describe_pvc(w: _Writer, pvc: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                  related: dict[str, Any], tz: tzinfo | None) -> None:
    from k8sedu.kubectl.printers import _access_modes

    meta, spec, status = _meta(pvc), pvc.get("spec") or {}, pvc.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    storage_class = spec.get("storageClassName") or (meta.get("annotations") or {}).get(
        "volume.beta.kubernetes.io/storage-class", "")
    w.write(0, f"StorageClass:\t{storage_class}\n")
    if meta.get("deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    w.write(0, f"Volume:\t{spec.get('volumeName', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t{_v(list(meta.get('finalizers') or []))}\n")
    capacity = access = ""
    if spec.get("volumeName"):
        access = _access_modes(status.get("accessModes"))
        capacity = str(_q((status.get("capacity") or {}).get("storage", 0)))
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{access}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    users = sorted(_meta(p).get("name", "") for p in related.get("pods") or []
                   if any((v.get("persistentVolumeClaim") or {}).get("claimName") == meta.get("name")
                          for v in (p.get("spec") or {}).get("volumes") or []))
    w.write(0, "Used By:\t")
    if not users:
        w.line("<none>")
    for i, name in enumerate(users):
        if i:
            w.write(0, "\t")
        w.write(0, f"{name}\n")
    if events is not None:
        describe_events(w, events, now)


def _describe_pv(w: _Writer, pv: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                 related: dict[str, Any], tz: tzinfo | None) -> None:
    from k8sedu.kubectl.printers import _access_modes

    meta, spec, status = _meta(pv), pv.get("spec") or {}, pv.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t{_v(list(meta.get('finalizers') or []))}\n")
    storage_class = spec.get("storageClassName") or (meta.get("annotations") or {}).get(
        "volume.beta.kubernetes.io/storage-class", "")
    w.write(0, f"StorageClass:\t{storage_class}\n")
    if meta.get("deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    ref = spec.get("claimRef")
    w.write(0, f"Claim:\t{ref.get('namespace', '') + '/' + ref.get('name', '') if ref else ''}\n")
    w.write(0, f"Reclaim Policy:\t{spec.get('persistentVolumeReclaimPolicy', '')}\n")
    w.write(0, f"Access Modes:\t{_access_modes(spec.get('accessModes'))}\n")
    if spec.get("volumeMode"):
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    w.write(0, f"Capacity:\t{_q((spec.get('capacity') or {}).get('storage', 0))}\n")
    w.write(0, "Node Affinity:\t")
    required = ((spec.get("nodeAffinity") or {}).get("required")) or None
    if required is None:
        w.line("<none>")
    else:
        w.line("")
        w.write(1, "Required Terms:\t")
        terms = required.get("nodeSelectorTerms") or []
        if not terms:
            w.line("<none>")
        else:
            w.line("")
            for i, term in enumerate(terms):
                w.write(2, f"Term {i}:\t")
                exprs = term.get("matchExpressions") or []
                if not exprs:
                    w.line("<none>")
                for j, req in enumerate(exprs):
                    if j:
                        w.write(2, "\t")
                    text = f"{req.get('key', '')} {str(req.get('operator', '')).lower()}"
                    if req.get("values"):
                        text += f" [{', '.join(req['values'])}]"
                    w.write(0, text + "\n")
    w.write(0, f"Message:\t{status.get('message', '')}\n")
    w.write(0, "Source:\n")
    if spec.get("hostPath") is not None:
        h = spec["hostPath"]
        w.write(2, f"Type:\tHostPath (bare host directory volume)\n    Path:\t{h.get('path', '')}\n"
                   f"    HostPathType:\t{h.get('type') if h.get('type') is not None else '<none>'}\n")
    elif spec.get("nfs") is not None:
        _volume_source(w, {"nfs": spec["nfs"]})
    elif spec.get("local") is not None:
        w.write(2, f"Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n"
                   f"    Path:\t{spec['local'].get('path', '')}\n")
    elif spec.get("csi") is not None:
        c = spec["csi"]
        w.write(2, "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n"
                   f"    Driver:\t{c.get('driver', '')}\n    FSType:\t{c.get('fsType', '')}\n"
                   f"    VolumeHandle:\t{c.get('volumeHandle', '')}\n    ReadOnly:\t{_v(bool(c.get('readOnly')))}\n")
        _labels_multiline(w, "VolumeAttributes", c.get("volumeAttributes"), initial="    ")
    else:
        w.write(1, "<unknown>\n")
    if events is not None:
        describe_events(w, events, now)


def _describe_storageclass(w: _Writer, sc: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                           related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(sc)
    ann = meta.get("annotations") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    default = "true" in (ann.get("storageclass.kubernetes.io/is-default-class"),
                         ann.get("storageclass.beta.kubernetes.io/is-default-class"))
    w.write(0, f"IsDefaultClass:\t{'Yes' if default else 'No'}\n")
    w.write(0, f"Annotations:\t{format_labels(ann)}\n")
    w.write(0, f"Provisioner:\t{sc.get('provisioner', '')}\n")
    w.write(0, f"Parameters:\t{format_labels(sc.get('parameters'))}\n")
    expand = sc.get("allowVolumeExpansion")
    w.write(0, f"AllowVolumeExpansion:\t{'<unset>' if expand is None else _bool(expand)}\n")
    options = sc.get("mountOptions") or []
    if not options:
        w.write(0, "MountOptions:\t<none>\n")
    else:
        w.write(0, "MountOptions:\n")
        for option in options:
            w.write(1, f"{option}\n")
    if sc.get("reclaimPolicy"):
        w.write(0, f"ReclaimPolicy:\t{sc['reclaimPolicy']}\n")
    if sc.get("volumeBindingMode"):
        w.write(0, f"VolumeBindingMode:\t{sc['volumeBindingMode']}\n")
    if events is not None:
        describe_events(w, events, now)


def _describe_priorityclass(w: _Writer, pc: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                            related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(pc)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Value:\t{int(pc.get('value') or 0)}\n")
    w.write(0, f"GlobalDefault:\t{_v(bool(pc.get('globalDefault')))}\n")
    w.write(0, f"PreemptionPolicy:\t{pc.get('preemptionPolicy') or 'PreemptLowerPriority'}\n")
    w.write(0, f"Description:\t{pc.get('description', '')}\n")
    w.write(0, f"Annotations:\t{format_labels(meta.get('annotations'))}\n")
    if events is not None:
        describe_events(w, events, now)


def _describe_quota(w: _Writer, q: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                    related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(q)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    scopes = sorted((q.get("spec") or {}).get("scopes") or [])
    if scopes:
        w.write(0, f"Scopes:\t{', '.join(scopes)}\n")
        for scope in scopes:
            if _QUOTA_SCOPE_HELP.get(scope):
                w.write(0, f" * {_QUOTA_SCOPE_HELP[scope]}\n")
    w.write(0, "Resource\tUsed\tHard\n")
    w.write(0, "--------\t----\t----\n")
    hard = (q.get("status") or {}).get("hard") or {}
    used = (q.get("status") or {}).get("used") or {}
    for res in sorted(hard):
        h, u = _q(hard[res]), _q(used.get(res, 0))
        if u.format != h.format:
            u = Quantity(u.int_value(), h.format)
        w.write(0, f"{res}\t{u}\t{h}\n")


def _describe_limitrange(w: _Writer, lr: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                         related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(lr)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n")
    w.write(0, "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n")
    _limit_rows(w, lr, "")


def _limit_rows(w: _Writer, lr: dict[str, Any], prefix: str) -> None:
    for item in (lr.get("spec") or {}).get("limits") or []:
        names: list[str] = []
        for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            names += [n for n in item.get(key) or {} if n not in names]
        for res in names:
            cells = [str(_q(item[k][res])) if res in (item.get(k) or {}) else "-"
                     for k in ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")]
            w.write(0, f"{prefix}{item.get('type', '')}\t{res}\t" + "\t".join(cells) + "\n")


def _describe_binding(w: _Writer, b: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                      related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, ref = _meta(b), b.get("roleRef") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, "Role:\n")
    w.write(1, f"Kind:\t{ref.get('kind', '')}\n")
    w.write(1, f"Name:\t{ref.get('name', '')}\n")
    w.write(0, "Subjects:\n")
    w.write(1, "Kind\tName\tNamespace\n")
    w.write(1, "----\t----\t---------\n")
    for subject in b.get("subjects") or []:
        w.write(1, f"{subject.get('kind', '')}\t{subject.get('name', '')}\t{subject.get('namespace', '')}\n")


def _rule_string(rule: dict[str, list[str]]) -> str:
    """The generated ``PolicyRule.String()`` kubectl sorts rules by."""
    return ("&PolicyRule{" + "".join(f"{k}:{_v(rule.get(key, []))}," for k, key in (
        ("Verbs", "verbs"), ("APIGroups", "apiGroups"), ("Resources", "resources"),
        ("ResourceNames", "resourceNames"), ("NonResourceURLs", "nonResourceURLs"))) + "}")


def _compact_rules(rules: list[dict[str, Any]]) -> list[dict[str, list[str]]]:
    """``rbac.BreakdownRule`` then ``rbac.CompactRules``, sorted as kubectl sorts them."""
    broken: list[dict[str, list[str]]] = []
    for rule in rules:
        verbs = list(rule.get("verbs") or [])
        names = list(rule.get("resourceNames") or [])
        for group in rule.get("apiGroups") or []:
            for resource in rule.get("resources") or []:
                for verb in verbs:
                    if names:
                        broken += [{"apiGroups": [group], "resources": [resource], "verbs": [verb],
                                    "resourceNames": [n]} for n in names]
                    else:
                        broken.append({"apiGroups": [group], "resources": [resource], "verbs": [verb]})
        for url in rule.get("nonResourceURLs") or []:
            broken += [{"nonResourceURLs": [url], "verbs": [verb]} for verb in verbs]
    compacted: list[dict[str, list[str]]] = []
    simple: dict[tuple[str, str, str | None], dict[str, list[str]]] = {}
    for rule in broken:
        if rule.get("nonResourceURLs") or len(rule.get("resourceNames") or []) > 1:
            compacted.append(rule)
            continue
        names = rule.get("resourceNames") or []
        key = (rule["apiGroups"][0], rule["resources"][0], names[0] if names else None)
        if key in simple:
            simple[key]["verbs"] = simple[key]["verbs"] + rule["verbs"]
        else:
            simple[key] = {k: list(v) for k, v in rule.items()}
    compacted += list(simple.values())
    return sorted(compacted, key=_rule_string)


def _combine_resource_group(resources: list[str], groups: list[str]) -> str:
    if not resources:
        return ""
    resource, _, sub = resources[0].partition("/")
    if groups and groups[0]:
        resource += "." + groups[0]
    return resource + ("/" + sub if sub else "")


def _describe_role(w: _Writer, role: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                   related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(role)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, "PolicyRule:\n")
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n")
    w.write(1, "---------\t-----------------\t--------------\t-----\n")
    for r in _compact_rules(role.get("rules") or []):
        w.write(1, f"{_combine_resource_group(r.get('resources', []), r.get('apiGroups', []))}\t"
                   f"{_v(r.get('nonResourceURLs', []))}\t{_v(r.get('resourceNames', []))}\t{_v(r.get('verbs', []))}\n")


def _describe_ingress(w: _Writer, ing: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                      related: dict[str, Any], tz: tzinfo | None) -> None:
    meta, spec, status = _meta(ing), ing.get("spec") or {}, ing.get("status") or {}
    ns = meta.get("namespace", "")
    services = {(_meta(s).get("namespace"), _meta(s).get("name")): s for s in related.get("services") or []}
    slices = related.get("endpointslices") or []

    def backend(b: dict[str, Any]) -> str:
        svc_ref = b.get("service")
        if svc_ref is not None:
            port = svc_ref.get("port") or {}
            text = f"{svc_ref.get('name', '')}:{port.get('number') or port.get('name', '')}"
            svc = services.get((ns, svc_ref.get("name")))
            if svc is None:
                return f'{text} (<error: services "{svc_ref.get("name", "")}" not found>)'
            port_name = ""
            for sp in (svc.get("spec") or {}).get("ports") or []:
                if port.get("number") and port.get("number") == sp.get("port"):
                    port_name = sp.get("name") or ""
                elif port.get("name") and port.get("name") == sp.get("name"):
                    port_name = sp.get("name") or ""
            mine = [s for s in slices if (_meta(s).get("labels") or {}).get("kubernetes.io/service-name")
                    == svc_ref.get("name") and _meta(s).get("namespace", ns) == ns]
            return f"{text} ({_format_slices(mine, port_name)})"
        res = b.get("resource")
        if res is not None:
            return f"APIGroup: {res.get('apiGroup') or '<none>'}, Kind: {res.get('kind', '')}, Name: {res.get('name', '')}"
        return ""

    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    w.write(0, f"Namespace:\t{ns}\n")
    addrs = sorted({lb.get("ip") or lb.get("hostname") for lb in (status.get("loadBalancer") or {}).get("ingress") or []
                    if lb.get("ip") or lb.get("hostname")})
    w.write(0, f"Address:\t{','.join(addrs)}\n")
    w.write(0, f"Ingress Class:\t{spec.get('ingressClassName') or '<none>'}\n")
    default = backend(spec["defaultBackend"]) if spec.get("defaultBackend") else "<default>"
    w.write(0, f"Default backend:\t{default}\n")
    if spec.get("tls"):
        w.write(0, "TLS:\n")
        for t in spec["tls"]:
            hosts = ",".join(t.get("hosts") or [])
            if not t.get("secretName"):
                w.write(1, f"SNI routes {hosts}\n")
            else:
                w.write(1, f"{t['secretName']} terminates {hosts}\n")
    w.write(0, "Rules:\n  Host\tPath\tBackends\n")
    w.write(1, "----\t----\t--------\n")
    count = 0
    for rule in spec.get("rules") or []:
        if rule.get("http") is None:
            continue
        count += 1
        w.write(1, f"{rule.get('host') or '*'}\t\n")
        for path in (rule["http"] or {}).get("paths") or []:
            w.write(2, f"\t{path.get('path', '')} \t{backend(path.get('backend') or {})}\n")
    if count == 0:
        w.write(1, f"*\t*\t{default}\n")
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    if events is not None:
        describe_events(w, events, now)


# --- the generic describer (any kind kubectl has no describer for) --------------------------


def _camel_split(field: str) -> list[str]:
    """fatih/camelcase.Split: runs of lower, upper, digit or other runes; ``HTMLParser`` → HTML, Parser."""
    runs: list[list[str]] = []
    last_class = -1
    for ch in field:
        cls = 1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 4
        if cls == last_class:
            runs[-1].append(ch)
        else:
            runs.append([ch])
        last_class = cls
    for i in range(len(runs) - 1):
        if runs[i][0].isupper() and runs[i + 1][0].islower():
            runs[i + 1].insert(0, runs[i].pop())
    return ["".join(r) for r in runs if r]


def _smart_label(field: str) -> str:
    if any(not ch.isalpha() and ch != "-" for ch in field):
        return field
    parts = []
    for part in _camel_split(field):
        if part == "_":
            continue
        if part.upper() in ("API", "URL", "UID", "OSB", "GUID"):
            parts.append(part.upper())
        else:
            parts.append(part[:1].upper() + part[1:])
    return " ".join(parts)


_GENERIC_SKIP = {".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
                 ".metadata.annotations"}


def _unstructured(w: _Writer, level: int, content: dict[str, Any], prefix: str) -> None:
    for field in sorted(content):
        value = content[field]
        path = f"{prefix}.{field}"
        if path in _GENERIC_SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{_smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{_smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_v(child)}\n")
        else:
            w.write(level, f"{_smart_label(field)}:\t{_v(value)}\n")


def _describe_generic(w: _Writer, obj: dict[str, Any], events: list[dict[str, Any]] | None, now: float,
                      related: dict[str, Any], tz: tzinfo | None) -> None:
    meta = _meta(obj)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels_multiline(w, "Labels", meta.get("labels"))
    _annotations_multiline(w, "Annotations", meta.get("annotations"))
    _unstructured(w, 0, obj, "")
    if events is not None:
        describe_events(w, events, now)


#: kind → describer; kinds not listed get the generic one, as in kubectl.
DESCRIBERS: dict[str, Describer] = {
    "Pod": _describe_pod,
    "Deployment": _describe_deployment,
    "ReplicaSet": _describe_replicaset,
    "Node": _describe_node,
    "Namespace": _describe_namespace,
    "Service": _describe_service,
    "Secret": _describe_secret,
    "ConfigMap": _describe_configmap,
    "Job": _describe_job,
    "CronJob": _describe_cronjob,
    "Endpoints": _describe_endpoints,
    "ServiceAccount": _describe_serviceaccount,
    "DaemonSet": _describe_daemonset,
    "StatefulSet": _describe_statefulset,
    "PersistentVolumeClaim": _describe_pvc,
    "PersistentVolume": _describe_pv,
    "StorageClass": _describe_storageclass,
    "PriorityClass": _describe_priorityclass,
    "ResourceQuota": _describe_quota,
    "LimitRange": _describe_limitrange,
    "Role": _describe_role,
    "ClusterRole": _describe_role,
    "RoleBinding": _describe_binding,
    "ClusterRoleBinding": _describe_binding,
    "Ingress": _describe_ingress,
    "HorizontalPodAutoscaler": _describe_hpa,
}

# Describers that never show events, whatever the caller passes (as upstream).
_NO_EVENTS = {"Namespace", "Secret", "ResourceQuota", "LimitRange", "Role", "ClusterRole", "RoleBinding",
              "ClusterRoleBinding"}


def pod_template_section(template: dict[str, Any] | None, *, tz: tzinfo | None = None,
                         aligned: bool = False) -> str:
    """The ``Pod Template:`` section on its own.

    ``kubectl rollout history --revision=N`` prints it without kubectl's tabwriter, so label and
    value are separated by a raw tab (``  Labels:\tapp=web``): that is the default here.
    ``aligned=True`` gives the section as it appears inside ``kubectl describe``.
    """
    w = _Writer()
    _pod_template(w, template, tz)
    return w.render() if aligned else w.raw()


def describe(obj: dict[str, Any], events: list[dict[str, Any]] | None, *, now: float,
             related: dict[str, Any] | None = None, tz: tzinfo | None = None) -> str:
    """``kubectl describe`` of *obj* at cluster time *now*.

    *events* are the Events about the object (``None``: ``--show-events=false``). Timestamps are
    printed in *tz*, default the local zone as kubectl does.
    """
    kind = str(obj.get("kind", ""))
    fn = DESCRIBERS.get(kind, _describe_generic)
    w = _Writer()
    fn(w, obj, None if kind in _NO_EVENTS else (list(events) if events is not None else None), now,
       related or {}, tz)
    return w.render()
