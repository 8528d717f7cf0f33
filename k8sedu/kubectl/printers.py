"""What ``kubectl get`` prints: the server's Table, decorated and aligned by kubectl.

Real ``kubectl get`` is two programs working together. The apiserver turns the objects into a
``meta.k8s.io/v1`` Table (column definitions plus one row of cells per object; the code is upstream's
``pkg/printers/internalversion/printers.go``), and kubectl decorates that table (NAMESPACE first
with ``-A``, LABELS last with ``--show-labels``, wide columns only with ``-o wide``) and aligns it
with Go's ``text/tabwriter`` (minimum width 6, padding 3)::

    objects ──as_table()──▶ Table {columnDefinitions, rows[].cells} ──table()──▶ text
            (server side)                                        (kubectl side)

Both halves live here, so our HTTP server can answer real kubectl with :func:`as_table` and
``c.kubectl("get pods")`` can print :func:`table` without a server. Cell values follow upstream
exactly: the pod STATUS reason (``CrashLoopBackOff``, ``Init:0/1``, ``Terminating``…), RESTARTS as
``1 (5s ago)``, ages as ``HumanDuration`` (``5s``, ``3m2s``, ``2d3h``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from k8sedu.api.quantity import format_quantity
from k8sedu.clock import parse_rfc3339, rfc3339

__all__ = [
    "Column",
    "human_duration",
    "since",
    "tabwrite",
    "pod_status_reason",
    "pod_ready",
    "pod_restarts",
    "format_labels",
    "format_label_selector",
    "columns_for",
    "rows_for",
    "as_table",
    "table",
    "no_resources_message",
    "CLUSTER_SCOPED",
]


# --------------------------------------------------------------------------------------------
# time
# --------------------------------------------------------------------------------------------


def human_duration(seconds: float | None) -> str:
    """apimachinery's ``duration.HumanDuration``: about 2-3 significant figures.

    >>> [human_duration(s) for s in (5, 119, 182, 600, 14580, 183600, None)]
    ['5s', '119s', '3m2s', '10m', '4h3m', '2d3h', '<unknown>']
    """
    if seconds is None:
        return "<unknown>"
    whole = int(seconds)  # Go truncates toward zero
    if whole < -1:
        return "<invalid>"  # more than the 2 s of clock skew upstream tolerates
    if whole < 0:
        return "0s"
    if whole < 60 * 2:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        s = whole % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def _ts(value: Any) -> float | None:
    if not value:
        return None
    try:
        return parse_rfc3339(str(value))
    except ValueError:
        return None


def since(timestamp: Any, now: float) -> str:
    """``translateTimestampSince``: the age of an RFC3339 timestamp, ``<unknown>`` if unset."""
    t = _ts(timestamp)
    return "<unknown>" if t is None else human_duration(now - t)


# --------------------------------------------------------------------------------------------
# Go's text/tabwriter
# --------------------------------------------------------------------------------------------


def tabwrite(text: str, *, minwidth: int = 6, padding: int = 3) -> str:
    """Align tab-separated *text* exactly as Go's ``text/tabwriter`` does (padchar ' ', no flags).

    A cell is text ending in a tab; the text after a line's last tab is not part of any column.
    A column's width is set by a *block* of consecutive lines that all have a cell in it, so a
    line without tabs ("Containers:") starts new blocks. kubectl get uses minwidth 6, padding 3;
    kubectl describe uses minwidth 0, padding 2.
    """
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []

    def write_lines(line0: int, line1: int, widths: list[int]) -> None:
        for i in range(line0, line1):
            cells = lines[i]
            parts: list[str] = []
            for j, cell in enumerate(cells):
                parts.append(cell)
                if j < len(widths) and j < len(cells) - 1:
                    parts.append(" " * (widths[j] - len(cell)))
            out.append("".join(parts))

    def fmt(line0: int, line1: int, widths: list[int]) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this, widths)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            fmt(line0, this, widths + [width])
            line0 = this
        write_lines(line0, line1, widths)

    fmt(0, len(lines), [])
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# shared cell helpers
# --------------------------------------------------------------------------------------------


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _name(obj: dict[str, Any]) -> str:
    return str(_meta(obj).get("name", ""))


def _age(obj: dict[str, Any], now: float) -> str:
    return since(_meta(obj).get("creationTimestamp"), now)


def format_labels(labels: dict[str, str] | None) -> str:
    """``labels.FormatLabels``: ``k=v,k2=v2`` sorted by key, or ``<none>``."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def _selector_string(selector: dict[str, Any] | None) -> str:
    """``LabelSelectorAsSelector(sel).String()``: requirements sorted by key, '' when empty."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = []
    for k, v in (selector.get("matchLabels") or {}).items():
        reqs.append((k, f"{k}={v}"))
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = sorted(expr.get("values") or [])
        if op == "In":
            reqs.append((key, f"{key} in ({','.join(values)})"))
        elif op == "NotIn":
            reqs.append((key, f"{key} notin ({','.join(values)})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
    reqs.sort(key=lambda r: r[0])
    return ",".join(r[1] for r in reqs)


def format_label_selector(selector: dict[str, Any] | None) -> str:
    """``metav1.FormatLabelSelector``: like the selector string, but ``<none>`` when empty."""
    return _selector_string(selector) or "<none>"


def _containers_cells(template_spec: dict[str, Any]) -> tuple[str, str]:
    containers = template_spec.get("containers") or []
    return (
        ",".join(str(c.get("name", "")) for c in containers),
        ",".join(str(c.get("image", "")) for c in containers),
    )


def _template_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}


# --------------------------------------------------------------------------------------------
# pods
# --------------------------------------------------------------------------------------------


def _restartable_init(container: dict[str, Any] | None) -> bool:
    return bool(container) and container.get("restartPolicy") == "Always"  # type: ignore[union-attr]


def _condition_true(status: dict[str, Any], ctype: str) -> bool:
    return any(c.get("type") == ctype and c.get("status") == "True" for c in status.get("conditions") or [])


def _pod_summary(pod: dict[str, Any]) -> tuple[int, int, str, int, float | None]:
    """(ready, total, reason, restarts, last restart time): upstream's printPod, step by step."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    restarts = 0
    restartable_restarts = 0
    total = len(spec.get("containers") or [])
    ready = 0
    last_restart: float | None = None
    last_restartable_restart: float | None = None

    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total += sum(1 for c in init_specs.values() if _restartable_init(c))

    def later(current: float | None, cs: dict[str, Any]) -> float | None:
        term = (cs.get("lastState") or {}).get("terminated")
        if term:
            t = _ts(term.get("finishedAt"))
            if t is not None and (current is None or current < t):
                return t
        return current

    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    n_init = len(spec.get("initContainers") or [])
    for i, cs in enumerate(init_statuses):
        restarts += int(cs.get("restartCount") or 0)
        last_restart = later(last_restart, cs)
        is_sidecar = _restartable_init(init_specs.get(cs.get("name")))
        if is_sidecar:
            restartable_restarts += int(cs.get("restartCount") or 0)
            last_restartable_restart = later(last_restartable_restart, cs)
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term and int(term.get("exitCode") or 0) == 0:
            continue
        if is_sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term:
            if not term.get("reason"):
                if term.get("signal"):
                    reason = f"Init:Signal:{term['signal']}"
                else:
                    reason = f"Init:ExitCode:{int(term.get('exitCode') or 0)}"
            else:
                reason = "Init:" + term["reason"]
        elif waiting and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{n_init}"
        initializing = True
        break

    if not initializing or _condition_true(status, "Initialized"):
        restarts = restartable_restarts
        last_restart = last_restartable_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            last_restart = later(last_restart, cs)
            state = cs.get("state") or {}
            waiting, term, running = state.get("waiting"), state.get("terminated"), state.get("running")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                if term.get("signal"):
                    reason = f"Signal:{term['signal']}"
                else:
                    reason = f"ExitCode:{int(term.get('exitCode') or 0)}"
            elif cs.get("ready") and running is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"

    deleting = bool(_meta(pod).get("deletionTimestamp"))
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return ready, total, reason, restarts, last_restart


def pod_status_reason(pod: dict[str, Any]) -> str:
    """The STATUS column of ``kubectl get pods`` (Running, CrashLoopBackOff, Init:0/1, …)."""
    return _pod_summary(pod)[2]


def pod_ready(pod: dict[str, Any]) -> str:
    """The READY column, ``ready/total``."""
    ready, total, _, _, _ = _pod_summary(pod)
    return f"{ready}/{total}"


def pod_restarts(pod: dict[str, Any], now: float) -> str:
    """The RESTARTS column: ``0``, or ``3 (12s ago)`` once a container has restarted."""
    _, _, _, restarts, last = _pod_summary(pod)
    if restarts != 0 and last is not None:
        return f"{restarts} ({human_duration(now - last)} ago)"
    return str(restarts)


def _pod_row(pod: dict[str, Any], now: float) -> list[Any]:
    ready, total, reason, restarts, last = _pod_summary(pod)
    restarts_str = str(restarts)
    if restarts != 0 and last is not None:
        restarts_str = f"{restarts} ({human_duration(now - last)} ago)"
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ips = status.get("podIPs") or []
    pod_ip = (ips[0].get("ip") if ips else "") or status.get("podIP") or "<none>"
    gates = spec.get("readinessGates") or []
    gates_str = "<none>"
    if gates:
        true = 0
        for gate in gates:
            for cond in status.get("conditions") or []:
                if cond.get("type") == gate.get("conditionType"):
                    true += cond.get("status") == "True"
                    break
        gates_str = f"{true}/{len(gates)}"
    return [
        _name(pod),
        f"{ready}/{total}",
        reason,
        restarts_str,
        _age(pod, now),
        pod_ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_str,
    ]


# --------------------------------------------------------------------------------------------
# workloads
# --------------------------------------------------------------------------------------------


def _deployment_row(d: dict[str, Any], now: float) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    names, images = _containers_cells(_template_spec(d))
    return [
        _name(d),
        f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas') or 0)}",
        int(status.get("updatedReplicas") or 0),
        int(status.get("availableReplicas") or 0),
        _age(d, now),
        names,
        images,
        _selector_string(spec.get("selector")),
    ]


def _replicaset_row(rs: dict[str, Any], now: float) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    names, images = _containers_cells(_template_spec(rs))
    return [
        _name(rs),
        int(spec.get("replicas") or 0),
        int(status.get("replicas") or 0),
        int(status.get("readyReplicas") or 0),
        _age(rs, now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


def _daemonset_row(ds: dict[str, Any], now: float) -> list[Any]:
    spec, status = ds.get("spec") or {}, ds.get("status") or {}
    names, images = _containers_cells(_template_spec(ds))
    return [
        _name(ds),
        int(status.get("desiredNumberScheduled") or 0),
        int(status.get("currentNumberScheduled") or 0),
        int(status.get("numberReady") or 0),
        int(status.get("updatedNumberScheduled") or 0),
        int(status.get("numberAvailable") or 0),
        format_labels(_template_spec(ds).get("nodeSelector")),
        _age(ds, now),
        names,
        images,
        format_label_selector(spec.get("selector")),
    ]


def _statefulset_row(ss: dict[str, Any], now: float) -> list[Any]:
    spec, status = ss.get("spec") or {}, ss.get("status") or {}
    names, images = _containers_cells(_template_spec(ss))
    ready = f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas') or 0)}"
    return [_name(ss), ready, _age(ss, now), names, images]


def _job_condition(job: dict[str, Any], ctype: str) -> bool:
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return bool(cond.get("status") == "True")
    return False


def _job_row(job: dict[str, Any], now: float) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = int(status.get("succeeded") or 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{int(spec['completions'])}"
    else:
        parallelism = int(spec.get("parallelism") or 0)
        completions = f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"
    start, done = _ts(status.get("startTime")), _ts(status.get("completionTime"))
    if start is None:
        duration = ""
    elif done is None:
        duration = human_duration(now - start)
    else:
        duration = human_duration(done - start)
    if _job_condition(job, "Complete"):
        state = "Complete"
    elif _job_condition(job, "Failed"):
        state = "Failed"
    elif _meta(job).get("deletionTimestamp"):
        state = "Terminating"
    elif _job_condition(job, "Suspended"):
        state = "Suspended"
    elif _job_condition(job, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    names, images = _containers_cells(_template_spec(job))
    return [_name(job), state, completions, duration, _age(job, now), names, images,
            format_label_selector(spec.get("selector"))]


def _bool_ptr(value: Any) -> str:
    if value is None:
        return "<unset>"
    return "True" if value else "False"


def _cronjob_row(cj: dict[str, Any], now: float) -> list[Any]:
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    last = status.get("lastScheduleTime")
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = _containers_cells((job_spec.get("template") or {}).get("spec") or {})
    return [
        _name(cj),
        spec.get("schedule", ""),
        spec.get("timeZone") or "<none>",
        _bool_ptr(spec.get("suspend")),
        len(status.get("active") or []),
        since(last, now) if last else "<none>",
        _age(cj, now),
        names,
        images,
        format_label_selector(job_spec.get("selector")),
    ]


# --------------------------------------------------------------------------------------------
# cluster and networking
# --------------------------------------------------------------------------------------------


def _node_roles(node: dict[str, Any]) -> list[str]:
    roles: set[str] = set()
    for k, v in (_meta(node).get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            role = k[len("node-role.kubernetes.io/"):]
            if role:
                roles.add(role)
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return sorted(roles)


def _node_address(node: dict[str, Any], kind: str) -> str:
    for addr in (node.get("status") or {}).get("addresses") or []:
        if addr.get("type") == kind:
            return str(addr.get("address", ""))
    return "<none>"


def _node_row(node: dict[str, Any], now: float) -> list[Any]:
    status = node.get("status") or {}
    states: list[str] = []
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Ready":
            states = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not states:
        states = ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        states.append("SchedulingDisabled")
    info = status.get("nodeInfo") or {}
    return [
        _name(node),
        ",".join(states),
        ",".join(_node_roles(node)) or "<none>",
        _age(node, now),
        info.get("kubeletVersion", ""),
        _node_address(node, "InternalIP"),
        _node_address(node, "ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def _namespace_row(ns: dict[str, Any], now: float) -> list[Any]:
    return [_name(ns), (ns.get("status") or {}).get("phase", ""), _age(ns, now)]


def _event_row(ev: dict[str, Any], now: float) -> list[Any]:
    first = since(ev.get("firstTimestamp"), now) if ev.get("firstTimestamp") else since(ev.get("eventTime"), now)
    last = since(ev.get("lastTimestamp"), now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 0
    series = ev.get("series")
    if series:
        last = since(series.get("lastObservedTime"), now)
        count = series.get("count") or 0
    elif count == 0:
        count = 1  # singleton events have no count in the events.k8s.io API
    inv = ev.get("involvedObject") or {}
    kind = str(inv.get("kind", "")).lower()
    target = f"{kind}/{inv['name']}" if inv.get("name") else kind
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingComponent") or ev.get("reportingController") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    return [
        last,
        ev.get("type", ""),
        ev.get("reason", ""),
        target,
        inv.get("fieldPath", ""),
        f"{component}, {host}" if host else component,
        str(ev.get("message", "")).strip(),
        first,
        int(count),
        _name(ev),
    ]


def _event_sort_key(ev: dict[str, Any]) -> float:
    t = _ts(ev.get("lastTimestamp")) or _ts((ev.get("series") or {}).get("lastObservedTime"))
    t = t or _ts(ev.get("eventTime")) or _ts(ev.get("firstTimestamp"))
    return t if t is not None else float("-inf")


def _service_external_ip(svc: dict[str, Any]) -> str:
    spec = svc.get("spec") or {}
    external = spec.get("externalIPs") or []
    stype = spec.get("type") or "ClusterIP"
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else "<none>"
    if stype == "LoadBalancer":
        seen: list[str] = []
        for ing in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
            value = ing.get("ip") or ing.get("hostname")
            if value and value not in seen:
                seen.append(value)
        if external:
            return ",".join(seen + list(external))
        return ",".join(seen) if seen else "<pending>"
    if stype == "ExternalName":
        return str(spec.get("externalName", ""))
    return "<unknown>"


def _service_ports(svc: dict[str, Any]) -> str:
    pieces = []
    for port in (svc.get("spec") or {}).get("ports") or []:
        proto = port.get("protocol") or "TCP"
        if port.get("nodePort"):
            pieces.append(f"{port.get('port')}:{port['nodePort']}/{proto}")
        else:
            pieces.append(f"{port.get('port')}/{proto}")
    return ",".join(pieces) or "<none>"


def _service_row(svc: dict[str, Any], now: float) -> list[Any]:
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [
        _name(svc),
        spec.get("type") or "ClusterIP",
        ips[0] if ips else "<none>",
        _service_external_ip(svc),
        _service_ports(svc),
        _age(svc, now),
        format_labels(spec.get("selector")),
    ]


def _format_endpoints(ep: dict[str, Any]) -> str:
    subsets = ep.get("subsets") or []
    if not subsets:
        return "<none>"
    shown: list[str] = []
    more, count, limit = False, 0, 3
    for ss in subsets:
        addresses = ss.get("addresses") or []
        ports = ss.get("ports") or []
        if not ports:
            count += len(addresses)
            for addr in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(str(addr.get("ip", "")))
            continue
        for port in ports:
            count += len(addresses)
            for addr in addresses:
                if len(shown) == limit:
                    more = True
                    break
                ip = str(addr.get("ip", ""))
                host = f"[{ip}]" if ":" in ip else ip
                shown.append(f"{host}:{port.get('port')}")
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def _endpoints_row(ep: dict[str, Any], now: float) -> list[Any]:
    return [_name(ep), _format_endpoints(ep), _age(ep, now)]


def _list_with_more(items: list[str], count: int, limit: int = 3) -> str:
    """kubectl's ``listWithMoreString``: the first *limit*, "+ N more...", or ``<unset>``."""
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or "<unset>"


def _endpointslice_row(es: dict[str, Any], now: float) -> list[Any]:
    """``printEndpointSlice``: ports (a number, else the name, else ``*``) and addresses, 3 of each."""
    ports = [str(p["port"]) if p.get("port") is not None else (p.get("name") if p.get("name") is not None else "*")
             for p in es.get("ports") or []]
    addresses = [str(a) for e in es.get("endpoints") or [] for a in e.get("addresses") or []]
    return [_name(es), es.get("addressType", ""), _list_with_more(ports, len(ports)),
            _list_with_more(addresses, len(addresses)), _age(es, now)]


def _ingress_row(ing: dict[str, Any], now: float) -> list[Any]:
    spec = ing.get("spec") or {}
    rules = spec.get("rules") or []
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
        if not more and rule.get("host"):
            hosts.append(rule["host"])
    host_str = ",".join(hosts) if hosts else "*"
    if hosts and more:
        host_str = f"{host_str} + {len(rules) - 3} more..."
    addrs: list[str] = []
    for lb in ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []:
        value = lb.get("ip") or lb.get("hostname")
        if value and value not in addrs:
            addrs.append(value)
    return [
        _name(ing),
        spec.get("ingressClassName") or "<none>",
        host_str,
        ",".join(addrs),
        "80, 443" if spec.get("tls") else "80",
        _age(ing, now),
    ]


# --------------------------------------------------------------------------------------------
# config, storage, access
# --------------------------------------------------------------------------------------------


def _configmap_row(cm: dict[str, Any], now: float) -> list[Any]:
    return [_name(cm), len(cm.get("data") or {}) + len(cm.get("binaryData") or {}), _age(cm, now)]


def _secret_row(s: dict[str, Any], now: float) -> list[Any]:
    return [_name(s), s.get("type", ""), len(s.get("data") or {}), _age(s, now)]


def _serviceaccount_row(sa: dict[str, Any], now: float) -> list[Any]:
    return [_name(sa), len(sa.get("secrets") or []), _age(sa, now)]


def _lease_row(lease: dict[str, Any], now: float) -> list[Any]:
    return [_name(lease), (lease.get("spec") or {}).get("holderIdentity") or "", _age(lease, now)]


def _created_at(obj: dict[str, Any]) -> str:
    t = _ts(_meta(obj).get("creationTimestamp"))
    return rfc3339(t) if t is not None else "0001-01-01T00:00:00Z"


def _quota_row(quota: dict[str, Any], now: float) -> list[Any]:
    """upstream's printResourceQuota: ``pods: 1/2, requests.cpu: 500m/2`` (used/hard by name);
    the ``limits.*`` resources in their own column."""
    status = quota.get("status") or {}
    used, hard = status.get("used") or {}, status.get("hard") or {}
    request: list[str] = []
    limit: list[str] = []
    for name in sorted((quota.get("spec") or {}).get("hard") or {}):
        cell = f"{name}: {format_quantity(used.get(name, 0))}/{format_quantity(hard.get(name, 0))}"
        (limit if name.split(".")[0] == "limits" and "." in name else request).append(cell)
    return [_name(quota), _age(quota, now), ", ".join(request), ", ".join(limit)]


def _role_row(role: dict[str, Any], now: float) -> list[Any]:
    return [_name(role), _created_at(role)]


def _subjects(binding: dict[str, Any]) -> tuple[str, str, str]:
    users, groups, sas = [], [], []
    for s in binding.get("subjects") or []:
        kind = s.get("kind")
        if kind == "ServiceAccount":
            sas.append(f"{s['namespace']}/{s.get('name', '')}" if s.get("namespace") else str(s.get("name", "")))
        elif kind == "User":
            users.append(str(s.get("name", "")))
        elif kind == "Group":
            groups.append(str(s.get("name", "")))
    return ", ".join(users), ", ".join(groups), ", ".join(sas)


def _binding_row(binding: dict[str, Any], now: float) -> list[Any]:
    ref = binding.get("roleRef") or {}
    return [_name(binding), f"{ref.get('kind', '')}/{ref.get('name', '')}", _age(binding, now), *_subjects(binding)]


_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"))


def _access_modes(modes: Sequence[str] | None) -> str:
    modes = modes or []
    return ",".join(short for full, short in _ACCESS_MODES if full in modes)


def _pvc_row(pvc: dict[str, Any], now: float) -> list[Any]:
    spec, status = pvc.get("spec") or {}, pvc.get("status") or {}
    phase = "Terminating" if _meta(pvc).get("deletionTimestamp") else status.get("phase", "")
    capacity = access = ""
    if spec.get("volumeName"):
        access = _access_modes(status.get("accessModes"))
        capacity = str((status.get("capacity") or {}).get("storage", ""))
    storage_class = spec.get("storageClassName") or (_meta(pvc).get("annotations") or {}).get(
        "volume.beta.kubernetes.io/storage-class", "")
    return [_name(pvc), phase, spec.get("volumeName", ""), capacity, access, storage_class,
            spec.get("volumeAttributesClassName") or "<unset>", _age(pvc, now), spec.get("volumeMode") or "<unset>"]


def _pv_row(pv: dict[str, Any], now: float) -> list[Any]:
    spec, status = pv.get("spec") or {}, pv.get("status") or {}
    ref = spec.get("claimRef")
    claim = f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else ""
    phase = "Terminating" if _meta(pv).get("deletionTimestamp") else status.get("phase", "")
    storage_class = spec.get("storageClassName") or (_meta(pv).get("annotations") or {}).get(
        "volume.beta.kubernetes.io/storage-class", "")
    return [_name(pv), str((spec.get("capacity") or {}).get("storage", "")), _access_modes(spec.get("accessModes")),
            spec.get("persistentVolumeReclaimPolicy", ""), phase, claim, storage_class,
            spec.get("volumeAttributesClassName") or "<unset>", status.get("reason", ""), _age(pv, now),
            spec.get("volumeMode") or "<unset>"]


def _storageclass_row(sc: dict[str, Any], now: float) -> list[Any]:
    ann = _meta(sc).get("annotations") or {}
    default = "true" in (ann.get("storageclass.kubernetes.io/is-default-class"),
                         ann.get("storageclass.beta.kubernetes.io/is-default-class"))
    name = _name(sc) + (" (default)" if default else "")
    return [name, sc.get("provisioner", ""), sc.get("reclaimPolicy") or "Delete",
            sc.get("volumeBindingMode") or "Immediate", bool(sc.get("allowVolumeExpansion")), _age(sc, now)]


def format_hpa_metrics(specs: list[dict[str, Any]], statuses: list[dict[str, Any]]) -> str:
    """``formatHPAMetrics`` (kubectl 1.32): ``cpu: 12%/50%``; ``<unknown>`` before the first
    measurement; at most two, then `` + N more...``."""
    if not specs:
        return "<none>"
    items: list[str] = []
    for i, spec in enumerate(specs):
        mtype = spec.get("type")
        key = "resource" if mtype == "Resource" else "containerResource" if mtype == "ContainerResource" else ""
        src = spec.get(key) or {} if key else {}
        current_src = ((statuses[i] if i < len(statuses) else {}).get(key) or {}).get("current") or {} if key else {}
        target = src.get("target") or {}
        if not key:
            items.append("<unknown>")
        elif target.get("averageValue") is not None:
            items.append(f"{src.get('name')}: {current_src.get('averageValue', '<unknown>')}/{target['averageValue']}")
        else:
            cur = current_src.get("averageUtilization")
            util = target.get("averageUtilization")
            items.append(f"{src.get('name')}: {'<unknown>' if cur is None else f'{cur}%'}/"
                         f"{'<auto>' if util is None else f'{util}%'}")
    if len(items) > 2:
        return ", ".join(items[:2]) + f" + {len(items) - 2} more..."
    return ", ".join(items)


def _hpa_row(hpa: dict[str, Any], now: float) -> list[Any]:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_pods = spec.get("minReplicas")
    return [
        _name(hpa),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        format_hpa_metrics(spec.get("metrics") or [], status.get("currentMetrics") or []),
        "<unset>" if min_pods is None else min_pods,
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        _age(hpa, now),
    ]


def _generic_row(obj: dict[str, Any], now: float) -> list[Any]:
    return [_name(obj), _age(obj, now)]


# --------------------------------------------------------------------------------------------
# the registry: resource → columns and row function
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A ``TableColumnDefinition``: shown in caps; priority 1 only with ``-o wide``."""

    name: str
    type: str = "string"
    priority: int = 0
    format: str = ""

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "format": self.format, "description": "",
                "priority": self.priority}


_NAME = Column("Name", format="name")
_AGE = Column("Age")


def _wide(*names: str) -> list[Column]:
    return [Column(n, priority=1) for n in names]


RowFn = Callable[[dict[str, Any], float], list[Any]]

_PRINTERS: dict[str, tuple[list[Column], RowFn]] = {
    "pods": ([_NAME, Column("Ready"), Column("Status"), Column("Restarts"), _AGE,
              *_wide("IP", "Node", "Nominated Node", "Readiness Gates")], _pod_row),
    "deployments": ([_NAME, Column("Ready"), Column("Up-to-date"), Column("Available"), _AGE,
                     *_wide("Containers", "Images", "Selector")], _deployment_row),
    "replicasets": ([_NAME, Column("Desired", "integer"), Column("Current", "integer"), Column("Ready", "integer"),
                     _AGE, *_wide("Containers", "Images", "Selector")], _replicaset_row),
    "daemonsets": ([_NAME, Column("Desired", "integer"), Column("Current", "integer"), Column("Ready", "integer"),
                    Column("Up-to-date", "integer"), Column("Available", "integer"), Column("Node Selector"), _AGE,
                    *_wide("Containers", "Images", "Selector")], _daemonset_row),
    "statefulsets": ([_NAME, Column("Ready"), _AGE, *_wide("Containers", "Images")], _statefulset_row),
    "jobs": ([_NAME, Column("Status"), Column("Completions"), Column("Duration"), _AGE,
              *_wide("Containers", "Images", "Selector")], _job_row),
    "cronjobs": ([_NAME, Column("Schedule"), Column("Timezone"), Column("Suspend"), Column("Active", "integer"),
                  Column("Last Schedule"), _AGE, *_wide("Containers", "Images", "Selector")], _cronjob_row),
    "nodes": ([_NAME, Column("Status"), Column("Roles"), _AGE, Column("Version"),
               *_wide("Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime")], _node_row),
    "namespaces": ([_NAME, Column("Status"), _AGE], _namespace_row),
    "events": ([Column("Last Seen"), Column("Type"), Column("Reason"), Column("Object"),
                Column("Subobject", priority=1), Column("Source", priority=1), Column("Message"),
                Column("First Seen", priority=1), Column("Count", priority=1),
                Column("Name", priority=1, format="name")], _event_row),
    "services": ([_NAME, Column("Type"), Column("Cluster-IP"), Column("External-IP"), Column("Port(s)"), _AGE,
                  *_wide("Selector")], _service_row),
    "endpoints": ([_NAME, Column("Endpoints"), _AGE], _endpoints_row),
    "endpointslices": ([_NAME, Column("AddressType"), Column("Ports"), Column("Endpoints"), _AGE],
                       _endpointslice_row),
    "ingresses": ([_NAME, Column("Class"), Column("Hosts"), Column("Address"), Column("Ports"), _AGE], _ingress_row),
    "configmaps": ([_NAME, Column("Data", "integer"), _AGE], _configmap_row),
    "secrets": ([_NAME, Column("Type"), Column("Data", "integer"), _AGE], _secret_row),
    "serviceaccounts": ([_NAME, Column("Secrets", "integer"), _AGE], _serviceaccount_row),
    "leases": ([_NAME, Column("Holder"), _AGE], _lease_row),
    "horizontalpodautoscalers": ([_NAME, Column("Reference"), Column("Targets"), Column("MinPods"),
                                  Column("MaxPods", "integer"), Column("Replicas", "integer"), _AGE], _hpa_row),
    "resourcequotas": ([_NAME, _AGE, Column("Request"), Column("Limit")], _quota_row),
    "limitranges": ([_NAME, Column("Created At", "date")], _role_row),
    "roles": ([_NAME, Column("Created At", "date")], _role_row),
    "clusterroles": ([_NAME, Column("Created At", "date")], _role_row),
    "rolebindings": ([_NAME, Column("Role"), _AGE, *_wide("Users", "Groups", "ServiceAccounts")], _binding_row),
    "clusterrolebindings": ([_NAME, Column("Role"), _AGE, *_wide("Users", "Groups", "ServiceAccounts")],
                            _binding_row),
    "persistentvolumeclaims": ([_NAME, Column("Status"), Column("Volume"), Column("Capacity"), Column("Access Modes"),
                                Column("StorageClass"), Column("VolumeAttributesClass"), _AGE,
                                *_wide("VolumeMode")], _pvc_row),
    "persistentvolumes": ([_NAME, Column("Capacity"), Column("Access Modes"), Column("Reclaim Policy"),
                           Column("Status"), Column("Claim"), Column("StorageClass"),
                           Column("VolumeAttributesClass"), Column("Reason"), _AGE, *_wide("VolumeMode")], _pv_row),
    "storageclasses": ([_NAME, Column("Provisioner"), Column("ReclaimPolicy"), Column("VolumeBindingMode"),
                        Column("AllowVolumeExpansion"), _AGE], _storageclass_row),
}
_GENERIC: tuple[list[Column], RowFn] = ([_NAME, _AGE], _generic_row)

#: resources that have no namespace: ``-A`` adds no NAMESPACE column for them.
CLUSTER_SCOPED = frozenset({
    "nodes", "namespaces", "persistentvolumes", "clusterroles", "clusterrolebindings", "storageclasses",
    "priorityclasses", "ingressclasses", "customresourcedefinitions", "apiservices", "runtimeclasses",
    "mutatingwebhookconfigurations", "validatingwebhookconfigurations", "csinodes", "csidrivers",
    "volumeattachments", "certificatesigningrequests", "componentstatuses",
})


def _resource(resource_plural: str) -> str:
    return resource_plural.lower().split(".", 1)[0]


def columns_for(resource_plural: str) -> list[Column]:
    """The column definitions the server sends for *resource_plural* (``"deployments.apps"`` ok)."""
    return list(_PRINTERS.get(_resource(resource_plural), _GENERIC)[0])


def rows_for(resource_plural: str, objs: Iterable[dict[str, Any]], *, now: float) -> list[list[Any]]:
    """One list of cells per object, all columns including the wide ones."""
    fn = _PRINTERS.get(_resource(resource_plural), _GENERIC)[1]
    return [fn(obj, now) for obj in objs]


def _partial_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in _meta(obj).items() if k != "managedFields"}
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}


def as_table(resource_plural: str, objs: Iterable[dict[str, Any]], *, now: float,
             include_object: str = "Metadata", resource_version: str = "") -> dict[str, Any]:
    """The ``meta.k8s.io/v1`` Table the apiserver returns for ``Accept: ...;as=Table``.

    *include_object* is the request's ``includeObject`` parameter: ``Metadata`` (the default:
    PartialObjectMetadata, which kubectl needs for ``-A`` and ``--show-labels``), ``Object`` or
    ``None``.
    """
    objs = list(objs)
    rows = []
    for obj, cells in zip(objs, rows_for(resource_plural, objs, now=now), strict=True):
        row: dict[str, Any] = {"cells": cells}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = _partial_metadata(obj)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [c.definition() for c in columns_for(resource_plural)],
        "rows": rows,
    }


# --------------------------------------------------------------------------------------------
# kubectl's side: decorate and print
# --------------------------------------------------------------------------------------------


def _cell_text(cell: Any) -> str:
    """How kubectl prints one cell: strings up to the first newline (then ``...``), Go's %v else."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, str):
        if "\n" in cell:
            return cell[: cell.index("\n")] + "..."
        return cell
    return str(cell)


def _label_header(key: str) -> str:
    return key.split("/")[-1].upper()


def table(
    resource_plural: str,
    objs: Iterable[dict[str, Any]],
    *,
    now: float,
    wide: bool = False,
    show_labels: bool = False,
    all_namespaces: bool = False,
    label_columns: Sequence[str] = (),
    no_headers: bool = False,
    with_kind: str | None = None,
    sort_events: bool = True,
) -> str:
    """``kubectl get <resource>`` as text, ending in a newline; ``""`` when there are no objects.

    With no objects kubectl prints nothing on stdout and :func:`no_resources_message` on stderr.
    *with_kind* (``"deployment.apps"``, ``"pod"``) prefixes names as kubectl does when one
    command lists several types (``kubectl get deploy,rs``); kubectl then prints the tables one
    after another with an empty line between them. Events are ordered by last timestamp (oldest
    first) unless *sort_events* is false; upstream kubectl shows them in the server's order.
    """
    objs = list(objs)
    if not objs:
        return ""
    resource = _resource(resource_plural)
    if resource == "events" and sort_events:
        objs.sort(key=_event_sort_key)
    columns = columns_for(resource)
    keep = [i for i, c in enumerate(columns) if wide or c.priority == 0]
    with_namespace = all_namespaces and resource not in CLUSTER_SCOPED

    header: list[str] = [columns[i].name.upper() for i in keep]
    header += [_label_header(k) for k in label_columns]
    if show_labels:
        header.append("LABELS")
    if with_namespace:
        header.insert(0, "NAMESPACE")

    name_col = next((i for i, c in enumerate(columns) if c.format == "name"), None) if with_kind else None

    lines = [] if no_headers else ["\t".join(header)]
    for obj, cells in zip(objs, rows_for(resource, objs, now=now), strict=True):
        if name_col is not None:
            cells[name_col] = f"{with_kind.lower()}/{cells[name_col]}"  # type: ignore[union-attr]
        row = [_cell_text(cells[i]) for i in keep]
        labels = _meta(obj).get("labels") or {}
        row += [str(labels.get(k, "")) for k in label_columns]
        if show_labels:
            row.append(format_labels(labels))
        if with_namespace:
            row.insert(0, str(_meta(obj).get("namespace", "")))
        lines.append("\t".join(row))
    return tabwrite("\n".join(lines) + "\n")


def no_resources_message(namespace: str | None = "default", all_namespaces: bool = False,
                         namespaced: bool = True) -> str:
    """What kubectl prints on stderr when a list is empty (no trailing newline).

    >>> no_resources_message("default", False)
    'No resources found in default namespace.'
    >>> no_resources_message("default", True)
    'No resources found'
    """
    if all_namespaces or not namespaced:
        return "No resources found"
    return f"No resources found in {namespace or 'default'} namespace."
