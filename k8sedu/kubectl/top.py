"""``kubectl top pods|nodes``: resource usage from the metrics API, in kubectl 1.32's layout.

kubectl reads ``metrics.k8s.io/v1beta1`` (served by metrics-server, see :mod:`k8sedu.metrics`), not
the Pods themselves, and prints CPU in millicores (``%vm``) and memory in mebibytes (``%vMi``, whole
MiB rounded down); ``top nodes`` adds the share of each node's allocatable resources::

    NAME                   CPU(cores)   MEMORY(bytes)
    web-7d4b9c8f5d-x2k8p   250m         1Mi

Right after a Pod starts there is nothing to show yet (metrics-server needs two scrapes, ~15 s
apart): kubectl then says ``error: metrics not available yet``.
"""

from __future__ import annotations

import math
from typing import Any

from ..api.quantity import parse_quantity
from ..errors import APIError, KubectlError, ServiceUnavailable
from .context import Invocation
from .printers import tabwrite

__all__ = ["cmd_top_pod", "cmd_top_node", "format_pod_metrics", "format_node_metrics",
           "POD_COLUMNS", "NODE_COLUMNS", "METRICS_CREATION_DELAY"]

POD_COLUMNS = ("NAME", "CPU(cores)", "MEMORY(bytes)")
NODE_COLUMNS = ("NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)")
METRICS_CREATION_DELAY = 120.0  # kubectl's metricsCreationDelay: a Pod older than this should have metrics
NOT_AVAILABLE = "error: Metrics API not available"


def _milli(q: Any) -> int:
    """``resource.Quantity.MilliValue()``: rounded up, as Go does."""
    return math.ceil(parse_quantity(str(q if q is not None else "0")) * 1000)


def _value(q: Any) -> int:
    return math.ceil(parse_quantity(str(q if q is not None else "0")))


def _cells(usage: dict[str, Any], available: dict[str, Any] | None) -> list[str]:
    out = []
    for res in ("cpu", "memory"):
        q = usage.get(res, "0")
        out.append(f"{_milli(q)}m" if res == "cpu" else f"{_value(q) // (1024 * 1024)}Mi")
        if available is not None and res in available:
            total = _milli(available[res])
            out.append(f"{int(_milli(q) / total * 100) if total else 0}%")
    return out


def _pod_usage(m: dict[str, Any]) -> dict[str, int]:
    cpu = sum(_milli(c.get("usage", {}).get("cpu")) for c in m.get("containers") or [])
    memory = sum(_value(c.get("usage", {}).get("memory")) for c in m.get("containers") or [])
    return {"cpu": cpu, "memory": memory}


def _sort_key(sort_by: str, usage: dict[str, int], name: tuple[str, ...]) -> tuple[Any, ...]:
    if sort_by in ("cpu", "memory"):
        return (-usage[sort_by], *name)
    return name


def format_pod_metrics(items: list[dict[str, Any]], *, containers: bool = False, with_namespace: bool = False,
                       no_headers: bool = False, sort_by: str = "", total: bool = False) -> str:
    """The table of ``kubectl top pod`` for PodMetrics *items* (each cell ends in a tab, as kubectl's
    printer writes it, so every column, the last too, is padded)."""
    if not items:
        return ""
    rows: list[list[str]] = []
    header: list[str] = []
    if with_namespace:
        header.append("NAMESPACE")
    if containers:
        header.append("POD")
    header += POD_COLUMNS
    if not no_headers:
        rows.append(header)
    ordered = sorted(items, key=lambda m: _sort_key(
        sort_by, _pod_usage(m),
        ((m["metadata"].get("namespace", ""),) if with_namespace else ()) + (m["metadata"]["name"],)))
    sum_cpu = sum_mem = 0
    for m in ordered:
        md = m["metadata"]
        prefix = [md.get("namespace", "")] if with_namespace else []
        usage = _pod_usage(m)
        sum_cpu += usage["cpu"]
        sum_mem += usage["memory"]
        if containers:
            cs = sorted(m.get("containers") or [], key=lambda c: _sort_key(
                sort_by, {"cpu": _milli(c["usage"].get("cpu")), "memory": _value(c["usage"].get("memory"))},
                (c["name"],)))
            for c in cs:
                rows.append(prefix + [md["name"], c["name"], *_cells(c.get("usage") or {}, None)])
        else:
            rows.append(prefix + [md["name"], f"{usage['cpu']}m", f"{usage['memory'] // (1024 * 1024)}Mi"])
    if total:
        width = len(header)
        rows.append([""] * (width - 2) + ["________", "________"])
        rows.append([""] * (width - 3) + ["", f"{sum_cpu}m", f"{sum_mem // (1024 * 1024)}Mi"])
    return tabwrite("".join("".join(f"{cell}\t" for cell in row) + "\n" for row in rows))


def format_node_metrics(items: list[dict[str, Any]], available: dict[str, dict[str, Any]], *,
                        no_headers: bool = False, sort_by: str = "") -> str:
    """The table of ``kubectl top node``: *available* maps node name to its allocatable (or, with
    ``--show-capacity``, capacity); nodes without metrics get ``<unknown>`` lines at the end."""
    if not items:
        return ""
    rows: list[list[str]] = [] if no_headers else [list(NODE_COLUMNS)]
    missing = dict(available)

    def usage_of(m: dict[str, Any]) -> dict[str, int]:
        u = m.get("usage") or {}
        return {"cpu": _milli(u.get("cpu")), "memory": _value(u.get("memory"))}

    for m in sorted(items, key=lambda m: _sort_key(sort_by, usage_of(m), (m["metadata"]["name"],))):
        name = m["metadata"]["name"]
        rows.append([name, *_cells(m.get("usage") or {}, available.get(name, {}))])
        missing.pop(name, None)
    for name in missing:
        rows.append([name] + ["<unknown>"] * 4)
    return tabwrite("".join("".join(f"{cell}\t" for cell in row) + "\n" for row in rows))


def _metrics_api(inv: Invocation) -> None:
    if getattr(inv.client.apiserver, "metrics_provider", None) is None:
        raise KubectlError(NOT_AVAILABLE)


def _check_sort(sort_by: str) -> None:
    if sort_by not in ("", "cpu", "memory"):
        raise KubectlError("error: --sort-by accepts only cpu or memory")


def _go_age(seconds: float) -> str:
    whole = int(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    frac = f"{seconds - whole:.9f}"[1:].rstrip("0").rstrip(".")
    secs = f"{s}{frac}s"
    return f"{h}h{m}m{secs}" if h else f"{m}m{secs}" if m else secs


def _check_pod_age(inv: Invocation, pod: dict[str, Any]) -> None:
    from ..clock import parse_rfc3339

    md = pod["metadata"]
    created = md.get("creationTimestamp")
    age = inv.now() - parse_rfc3339(created) if created else 0.0
    if age > METRICS_CREATION_DELAY:
        raise KubectlError(f"error: Metrics not available for pod {md.get('namespace')}/{md['name']}, "
                           f"age: {_go_age(age)}")


def cmd_top_pod(inv: Invocation) -> None:
    p = inv.parsed
    sort_by = p.get("sort-by") or ""
    _check_sort(sort_by)
    if len(p.args) > 1:
        raise KubectlError("error: expected only one argument: POD_NAME")  # kubectl's usage error
    name = p.args[0] if p.args else ""
    selector = p.get("selector") or None
    if name and selector:
        raise KubectlError("error: only one of NAME or --selector can be provided")
    _metrics_api(inv)
    namespace = None if inv.all_namespaces else inv.namespace
    try:
        if name:
            items = [inv.client.get("pods.metrics.k8s.io", name, inv.namespace)]
        else:
            items = inv.client.list("pods.metrics.k8s.io", namespace, label_selector=selector)["items"]
    except ServiceUnavailable:
        raise KubectlError(NOT_AVAILABLE) from None
    if not items:
        pods = inv.client.list("pods", namespace, label_selector=selector)["items"]
        if pods:
            for pod in pods:
                _check_pod_age(inv, pod)
            raise KubectlError("error: metrics not available yet")
        inv.note("No resources found" if inv.all_namespaces else f"No resources found in {inv.namespace} namespace.")
        return
    inv.write(format_pod_metrics(items, containers=bool(p.get("containers")), with_namespace=inv.all_namespaces,
                                 no_headers=bool(p.get("no-headers")), sort_by=sort_by, total=bool(p.get("sum"))))


def cmd_top_node(inv: Invocation) -> None:
    p = inv.parsed
    sort_by = p.get("sort-by") or ""
    _check_sort(sort_by)
    if len(p.args) > 1:
        raise KubectlError("error: expected only one argument: NODE_NAME")
    name = p.args[0] if p.args else ""
    selector = p.get("selector") or None
    if name and selector:
        raise KubectlError("error: only one of NAME or --selector can be provided")
    _metrics_api(inv)
    try:
        if name:
            nodes = [inv.client.get("nodes", name)]
            items = [inv.client.get("nodes.metrics.k8s.io", name)]
        else:
            nodes = inv.client.list("nodes", label_selector=selector)["items"]
            items = inv.client.list("nodes.metrics.k8s.io", label_selector=selector)["items"]
    except ServiceUnavailable:
        raise KubectlError(NOT_AVAILABLE) from None
    except APIError:
        raise
    if not items:
        raise KubectlError("error: metrics not available yet")
    field = "capacity" if p.get("show-capacity") else "allocatable"
    available = {n["metadata"]["name"]: dict((n.get("status") or {}).get(field) or {}) for n in nodes}
    inv.write(format_node_metrics(items, available, no_headers=bool(p.get("no-headers")), sort_by=sort_by))
