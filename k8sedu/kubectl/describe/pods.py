"""``kubectl describe pod``, and the ``Pod Template:`` section every workload prints.

A Pod and a pod template share their containers and volumes (:mod:`.containers`,
:mod:`.volumes`), node selector and tolerations; the template's are indented one level.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from fractions import Fraction
from typing import Any

from k8sedu.kubectl.printers import format_label_selector, since

from .containers import containers, seccomp_profile
from .quantity import qty
from .sections import (
    annotations_multiline,
    controlled_by,
    heading,
    labels_and_annotations,
    labels_multiline,
    multiline,
    name_and_namespace,
)
from .volumes import volumes
from .writer import Context, Writer, metadata, rfc1123z

__all__ = ["describe_pod", "pod_template"]


def describe_pod(w: Writer, pod: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(pod), pod.get("spec") or {}, pod.get("status") or {}
    name_and_namespace(w, meta)
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
        w.write(0, f"Start Time:\t{rfc1123z(status['startTime'], ctx.tz)}\n")
    labels_and_annotations(w, meta)
    if meta.get("deletionTimestamp") and status.get("phase") not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], ctx.now)})\n")
        w.write(0, f"Termination Grace Period:\t{int(meta.get('deletionGracePeriodSeconds') or 0)}s\n")
    else:
        w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    seccomp_profile(w, (spec.get("securityContext") or {}).get("seccompProfile"), 0, 0)
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    ips = status.get("podIPs") or []
    if heading(w, 0, "IPs", ips):
        for ip in ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    controlled_by(w, pod)
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        containers(w, "Init Containers", spec["initContainers"], status.get("initContainerStatuses"), pod, "", ctx.tz)
    containers(w, "Containers", spec.get("containers") or [], status.get("containerStatuses"), pod, "", ctx.tz)
    if spec.get("ephemeralContainers"):
        containers(w, "Ephemeral Containers", spec["ephemeralContainers"],
                   status.get("ephemeralContainerStatuses"), pod, "", ctx.tz)
    conditions = status.get("conditions") or []
    if spec.get("readinessGates"):
        _type_status(w, "Readiness Gates", ((gate.get("conditionType", ""), _gate_status(gate, conditions))
                                            for gate in spec["readinessGates"]))
    if conditions:
        _type_status(w, "Conditions", ((c.get("type", ""), c.get("status", "")) for c in conditions))
    volumes(w, spec.get("volumes"), "")
    w.write(0, f"QoS Class:\t{_qos(pod)}\n")
    labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, "Tolerations", spec.get("tolerations"))
    _topology_spread(w, spec.get("topologySpreadConstraints"), "")


def pod_template(w: Writer, template: dict[str, Any] | None, tz: tzinfo | None) -> None:
    """``Pod Template:``: a Deployment's, ReplicaSet's, Job's... Pods as they will be made."""
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        annotations_multiline(w, "  Annotations", meta.get("annotations"))
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        containers(w, "Init Containers", spec["initContainers"], None, None, "  ", tz)
    containers(w, "Containers", spec.get("containers") or [], None, None, "  ", tz)
    volumes(w, spec.get("volumes"), "  ")
    _topology_spread(w, spec.get("topologySpreadConstraints"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, "  Tolerations", spec.get("tolerations"))


def _type_status(w: Writer, title: str, rows: Iterable[tuple[Any, Any]]) -> None:
    """A Type/Status table; upstream writes ``"%v \\t%v \\n"``, so each cell ends in a space."""
    w.write(0, f"{title}:\n  Type\tStatus\n")
    for kind, status in rows:
        w.write(1, f"{kind} \t{status} \n")


def _gate_status(gate: dict[str, Any], conditions: list[dict[str, Any]]) -> str:
    """The status of the condition a readiness gate waits for, ``<none>`` before it is set."""
    for cond in conditions:
        if cond.get("type") == gate.get("conditionType"):
            return str(cond.get("status", ""))
    return "<none>"


def _tolerations(w: Writer, title: str, tolerations: list[dict[str, Any]] | None) -> None:
    multiline(w, title, (_toleration(t) for t in sorted(tolerations or [], key=lambda t: str(t.get("key", "")))))


def _toleration(t: dict[str, Any]) -> str:
    """``key=value:Effect op=Exists for 300s``, the parts that are set."""
    text = str(t.get("key", ""))
    if t.get("value"):
        text += f"={t['value']}"
    if t.get("effect"):
        text += f":{t['effect']}"
    if t.get("operator") == "Exists" and not t.get("value"):
        text += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
    if t.get("tolerationSeconds") is not None:
        text += f" for {int(t['tolerationSeconds'])}s"
    return text


def _topology_spread(w: Writer, constraints: list[dict[str, Any]] | None, space: str) -> None:
    if not constraints:
        return
    multiline(w, "Topology Spread Constraints", (_spread(c) for c in sorted(
        constraints, key=lambda c: str(c.get("topologyKey", "")))), initial=space)


def _spread(tsc: dict[str, Any]) -> str:
    text = f"{tsc.get('topologyKey', '')}:{tsc.get('whenUnsatisfiable', '')} when max skew " \
           f"{int(tsc.get('maxSkew') or 0)} is exceeded"
    if tsc.get("labelSelector") is not None:
        text += f" for selector {format_label_selector(tsc['labelSelector'])}"
    return text


def _qos(pod: dict[str, Any]) -> str:
    """The QoS class (kubectl/pkg/util/qos) when the status does not say it."""
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
            if name in ("cpu", "memory") and qty(q).value > 0:
                requests[name] = requests.get(name, Fraction(0)) + qty(q).value
        found = set()
        for name, q in (res.get("limits") or {}).items():
            if name in ("cpu", "memory") and qty(q).value > 0:
                found.add(name)
                limits[name] = limits.get(name, Fraction(0)) + qty(q).value
        if not {"cpu", "memory"} <= found:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(limits.get(n) == v for n, v in requests.items()) and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"
