"""The cluster's own objects: Node, Namespace with its ResourceQuota and LimitRange, PriorityClass.

A Node lists the Pods bound to it (``related["pods"]``) with what they request against what the
node can give, then the totals::

    Non-terminated Pods:          (2 in total)
      Namespace  Name                 CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
      ---------  ----                 ------------  ----------  ---------------  -------------  ---
      default    web-7d4b9c8f6-x2k8p  100m (5%)     500m (25%)  64Mi (1%)        128Mi (3%)     5m
      data       db-0                 250m (12%)    0 (0%)      256Mi (6%)       0 (0%)         5m
    Allocated resources:
      (Total limits may be over 100 percent, i.e., overcommitted.)
      Resource           Requests    Limits
      --------           --------    ------
      cpu                350m (17%)  500m (25%)
      memory             320Mi (7%)  128Mi (3%)

A Namespace shows its quotas and limit ranges (``related["resourcequotas"]``,
``related["limitranges"]``) as ``describe quota`` and ``describe limitrange`` do, or nearly:
upstream wrote those sections twice, and :func:`_quota_usage` keeps the differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from k8sedu.kubectl.printers import _node_roles, format_labels, since

from .quantity import Quantity, qty
from .sections import labels_and_annotations, multiline, name_and_namespace, quantities
from .writer import Context, Writer, go_value, metadata, rfc1123z

__all__ = ["describe_node", "describe_namespace", "describe_quota", "describe_limitrange",
           "describe_priorityclass"]


def describe_node(w: Writer, node: dict[str, Any], ctx: Context) -> None:
    meta, spec, status = metadata(node), node.get("spec") or {}, node.get("status") or {}
    name = meta.get("name", "")
    w.write(0, f"Name:\t{name}\n")
    w.write(0, f"Roles:\t{','.join(_node_roles(node)) or '<none>'}\n")
    labels_and_annotations(w, meta)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'), ctx.tz)}\n")
    taints = sorted(spec.get("taints") or [], key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    multiline(w, "Taints", (_taint(t) for t in taints))
    w.write(0, f"Unschedulable:\t{go_value(bool(spec.get('unschedulable')))}\n")
    _lease(w, name, ctx)
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \t{rfc1123z(c.get('lastHeartbeatTime'), ctx.tz)} \t"
                       f"{rfc1123z(c.get('lastTransitionTime'), ctx.tz)} \t{c.get('reason', '')} \t{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for a in status.get("addresses") or []:
        w.write(1, f"{a.get('type', '')}:\t{a.get('address', '')}\n")
    quantities(w, 0, "Capacity", status.get("capacity"))
    quantities(w, 0, "Allocatable", status.get("allocatable"))
    info = status.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for label, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
                       ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"),
                       ("Operating System", "operatingSystem"), ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion")):
        w.write(1, f"{label}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    pods = [p for p in ctx.related.get("pods") or []
            if (p.get("spec") or {}).get("nodeName") == name
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    _node_resources(w, node, pods, ctx.now)


def _taint(t: dict[str, Any]) -> str:
    """``key=value:Effect``."""
    text = str(t.get("key", ""))
    if t.get("value"):
        text += f"={t['value']}"
    return text + f":{t.get('effect', '')}"


def _lease(w: Writer, name: str, ctx: Context) -> None:
    """The node's heartbeat Lease (``related["lease"]``), or upstream's message for a missing one."""
    lease = ctx.related.get("lease")
    if lease is None:
        w.write(0, f'Lease:\tFailed to get lease: leases.coordination.k8s.io "{name}" not found\n')
        return
    lspec = lease.get("spec") or {}
    w.write(0, "Lease:\n")
    w.write(1, f"HolderIdentity:\t{lspec.get('holderIdentity') or '<unset>'}\n")
    for label, key in (("AcquireTime", "acquireTime"), ("RenewTime", "renewTime")):
        w.write(1, f"{label}:\t{rfc1123z(lspec[key], ctx.tz) if lspec.get(key) else '<unset>'}\n")


def _node_resources(w: Writer, node: dict[str, Any], pods: list[dict[str, Any]], now: float) -> None:
    """``Non-terminated Pods`` and ``Allocated resources``: each Pod's requests and limits, and
    their sums, as shares of the node's allocatable resources."""
    status = node.get("status") or {}
    allocatable = status.get("allocatable") or status.get("capacity") or {}
    alloc_cpu = qty(allocatable.get("cpu", 0)).milli_value()
    alloc_mem = qty(allocatable.get("memory", 0)).int_value()
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    reqs: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    zero = Quantity()
    for pod in pods:
        req, lim = _pod_totals(pod, "requests"), _pod_totals(pod, "limits")
        cr, cl = req.get("cpu", zero), lim.get("cpu", zero)
        mr, ml = req.get("memory", zero), lim.get("memory", zero)
        w.write(1, f"{metadata(pod).get('namespace', '')}\t{metadata(pod).get('name', '')}\t\t"
                   f"{_usage(cr, alloc_cpu, _go_percent, milli=True)}\t{_usage(cl, alloc_cpu, _go_percent, milli=True)}\t"
                   f"{_usage(mr, alloc_mem, _go_percent)}\t{_usage(ml, alloc_mem, _go_percent)}\t"
                   f"{since(metadata(pod).get('creationTimestamp'), now)}\n")
        _add(reqs, req)
        _add(limits, lim)
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    standard = {"cpu", "memory", "ephemeral-storage", "storage", "pods"}
    huge = sorted(r for r in allocatable if r.startswith("hugepages-"))
    ext = sorted(r for r in allocatable if r not in standard and not r.startswith("hugepages-")
                 and not r.startswith("requests.") and not r.startswith("limits."))
    shares = [("cpu", alloc_cpu, True), ("memory", alloc_mem, False),
              ("ephemeral-storage", qty(allocatable.get("ephemeral-storage", 0)).int_value(), False)]
    shares += [(res, qty(allocatable[res]).int_value(), False) for res in huge]
    for res, whole, milli in shares:
        w.write(1, f"{res}\t{_usage(reqs.get(res, zero), whole, _percent, milli=milli)}\t"
                   f"{_usage(limits.get(res, zero), whole, _percent, milli=milli)}\n")
    for res in ext:
        w.write(1, f"{res}\t{reqs.get(res, zero)}\t{limits.get(res, zero)}\n")


def _usage(q: Quantity, whole: int, percent: Callable[[int, int], int], *, milli: bool = False) -> str:
    """``100m (5%)``: *q* and its share of *whole* (compared in thousandths for cpu)."""
    return f"{q} ({percent(q.milli_value() if milli else q.int_value(), whole)}%)"


def _go_percent(part: int, whole: int) -> int:
    """A Pod's share, as upstream computes it: unguarded, so a zero whole gives int64(+Inf or NaN)."""
    if whole == 0:
        return -(2**63)  # Go: int64(+Inf or NaN) on amd64
    return int(part / whole * 100)


def _percent(part: int, whole: int) -> int:
    """The totals' share: upstream checks for a zero whole there."""
    return int(part / whole * 100) if whole else 0


def _add(total: dict[str, Quantity], values: Mapping[str, Quantity]) -> None:
    """``quota.Add``: sums per resource name, each keeping its first term's format."""
    for name, q in values.items():
        total[name] = total[name] + q if name in total else Quantity(q.value, q.format)


def _max_into(total: dict[str, Quantity], values: Mapping[str, Quantity]) -> None:
    for name, q in values.items():
        if name not in total or q.value > total[name].value:
            total[name] = Quantity(q.value, q.format)


def _pod_totals(pod: dict[str, Any], which: str) -> dict[str, Quantity]:
    """``resourcehelper.PodRequestsAndLimits`` for one side: containers summed, init containers
    maxed (restartable "sidecar" init containers count with the app containers), plus overhead."""
    def parsed(values: Mapping[str, Any] | None) -> dict[str, Quantity]:
        return {name: qty(raw) for name, raw in (values or {}).items()}

    spec = pod.get("spec") or {}
    total: dict[str, Quantity] = {}
    for c in spec.get("containers") or []:
        _add(total, parsed((c.get("resources") or {}).get(which)))
    sidecars: dict[str, Quantity] = {}
    init_max: dict[str, Quantity] = {}
    for c in spec.get("initContainers") or []:
        values = parsed((c.get("resources") or {}).get(which))
        if c.get("restartPolicy") == "Always":
            _add(total, values)
            _add(sidecars, values)
            current = dict(sidecars)
        else:
            current = {}
            _add(current, values)
            _add(current, sidecars)
        _max_into(init_max, current)
    _max_into(total, init_max)
    overhead = parsed(spec.get("overhead"))
    if which == "requests":
        _add(total, overhead)
    else:  # overhead only raises limits that are set
        _add(total, {k: v for k, v in overhead.items() if k in total})
    return total


def describe_namespace(w: Writer, ns: dict[str, Any], ctx: Context) -> None:
    meta, status = metadata(ns), ns.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    labels_and_annotations(w, meta)
    w.write(0, f"Status:\t{status.get('phase', '')}\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t{rfc1123z(c.get('lastTransitionTime'), ctx.tz)}\t"
                       f"{c.get('reason', '')}\t{c.get('message', '')}\n")
    w.write(0, "\n")
    quotas = sorted(ctx.related.get("resourcequotas") or [], key=lambda q: metadata(q).get("name", ""))
    if not quotas:
        w.write(0, "No resource quota.\n")
    else:
        w.write(0, "Resource Quotas\n")
        for q in quotas:
            w.write(1, f"Name:\t{metadata(q).get('name', '')}\n")
            _quota_usage(w, q, in_namespace=True)
    w.write(0, "\n")
    limit_ranges = ctx.related.get("limitranges") or []
    if not limit_ranges:
        w.write(0, "No LimitRange resource.\n")
    else:
        w.write(0, "Resource Limits\n")
        _limits(w, limit_ranges, " ")


def describe_quota(w: Writer, q: dict[str, Any], ctx: Context) -> None:
    name_and_namespace(w, metadata(q))
    _quota_usage(w, q, in_namespace=False)


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


def _quota_usage(w: Writer, q: dict[str, Any], *, in_namespace: bool) -> None:
    """A quota's ``Scopes:`` (each with its meaning) and its Resource/Used/Hard table.

    The two upstream copies differ in small ways, kept here::

                          describe namespace    describe quota
        indent level      1                     0
        scope help line   "* ..."               " * ..."
        rule under Used   ---                   ----
        Used printed      as stored             in Hard's format (when the two differ)
    """
    level = 1 if in_namespace else 0
    scopes = sorted((q.get("spec") or {}).get("scopes") or [])
    if scopes:
        w.write(level, f"Scopes:\t{', '.join(scopes)}\n")
        for scope in scopes:
            if _QUOTA_SCOPE_HELP.get(scope):
                w.write(level, f"{'* ' if in_namespace else ' * '}{_QUOTA_SCOPE_HELP[scope]}\n")
    w.write(level, "Resource\tUsed\tHard\n")
    w.write(level, "--------\t---\t---\n" if in_namespace else "--------\t----\t----\n")
    hard = (q.get("status") or {}).get("hard") or {}
    used = (q.get("status") or {}).get("used") or {}
    for res in sorted(hard):
        h, u = qty(hard[res]), qty(used.get(res, 0))
        if not in_namespace and u.format != h.format:
            u = Quantity(u.int_value(), h.format)
        w.write(level, f"{res}\t{u}\t{h}\n")


def describe_limitrange(w: Writer, lr: dict[str, Any], ctx: Context) -> None:
    name_and_namespace(w, metadata(lr))
    _limits(w, [lr], "")


def _limits(w: Writer, limit_ranges: list[dict[str, Any]], prefix: str) -> None:
    """The limit ranges' table: a row per type and resource, ``-`` where a bound is not set.
    Under ``describe namespace`` every line starts with one space (*prefix*)."""
    w.write(0, f"{prefix}Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n")
    w.write(0, f"{prefix}----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n")
    for lr in limit_ranges:
        for item in (lr.get("spec") or {}).get("limits") or []:
            names: list[str] = []
            for key in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
                names += [n for n in item.get(key) or {} if n not in names]
            for res in names:
                cells = [str(qty(item[k][res])) if res in (item.get(k) or {}) else "-"
                         for k in ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")]
                w.write(0, f"{prefix}{item.get('type', '')}\t{res}\t" + "\t".join(cells) + "\n")


def describe_priorityclass(w: Writer, pc: dict[str, Any], ctx: Context) -> None:
    meta = metadata(pc)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Value:\t{int(pc.get('value') or 0)}\n")
    w.write(0, f"GlobalDefault:\t{go_value(bool(pc.get('globalDefault')))}\n")
    w.write(0, f"PreemptionPolicy:\t{pc.get('preemptionPolicy') or 'PreemptLowerPriority'}\n")
    w.write(0, f"Description:\t{pc.get('description', '')}\n")
    w.write(0, f"Annotations:\t{format_labels(meta.get('annotations'))}\n")
