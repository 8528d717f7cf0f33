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

This module holds the entry points and the table of printers, resource → :class:`Printer`; the
printers themselves live by subject:

- :mod:`.pods`: pods (STATUS, READY, RESTARTS);
- :mod:`.workloads`: deployments, replicasets, daemonsets, statefulsets, jobs, cronjobs, HPAs;
- :mod:`.cluster`: nodes, namespaces, leases, events;
- :mod:`.network`: services, endpoints, endpointslices, ingresses;
- :mod:`.config`: configmaps, secrets, resourcequotas, limitranges;
- :mod:`.rbac`: serviceaccounts, roles, clusterroles and their bindings;
- :mod:`.storage`: persistentvolumeclaims, persistentvolumes, storageclasses;
- :mod:`.cells`: what they share (Column, ages, labels, selectors); :mod:`.tabwriter`: the aligner.

Any other resource (custom resources too) prints NAME and AGE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import cluster, config, network, pods, rbac, storage, workloads
from .cells import (
    _GENERIC,
    Column,
    Printer,
    RowFn,
    _meta,
    format_label_selector,
    format_labels,
    human_duration,
    since,
)
from .cells import _ts as _ts  # used by the describe package
from .cluster import _event_sort_key
from .cluster import _node_roles as _node_roles  # used by the describe package
from .pods import pod_ready, pod_restarts, pod_status_reason
from .storage import _access_modes as _access_modes  # used by the describe package
from .tabwriter import tabwrite
from .workloads import format_hpa_metrics

__all__ = [
    "Column",
    "Printer",
    "RowFn",
    "human_duration",
    "since",
    "tabwrite",
    "pod_status_reason",
    "pod_ready",
    "pod_restarts",
    "format_labels",
    "format_label_selector",
    "format_hpa_metrics",
    "columns_for",
    "rows_for",
    "as_table",
    "table",
    "no_resources_message",
    "CLUSTER_SCOPED",
]


# --------------------------------------------------------------------------------------------
# the registry: resource → printer
# --------------------------------------------------------------------------------------------


def _registry(*tables: Mapping[str, Printer]) -> dict[str, Printer]:
    """The modules' tables in one; a resource printed by two of them is a mistake."""
    merged: dict[str, Printer] = {}
    for printers in tables:
        for resource, printer in printers.items():
            if resource in merged:
                raise ValueError(f"two printers for {resource!r}")
            merged[resource] = printer
    return merged


_PRINTERS = _registry(pods.PRINTERS, workloads.PRINTERS, cluster.PRINTERS, network.PRINTERS, config.PRINTERS,
                      rbac.PRINTERS, storage.PRINTERS)

#: resources that have no namespace: ``-A`` adds no NAMESPACE column for them.
CLUSTER_SCOPED = frozenset({
    "nodes", "namespaces", "persistentvolumes", "clusterroles", "clusterrolebindings", "storageclasses",
    "priorityclasses", "ingressclasses", "customresourcedefinitions", "apiservices", "runtimeclasses",
    "mutatingwebhookconfigurations", "validatingwebhookconfigurations", "csinodes", "csidrivers",
    "volumeattachments", "certificatesigningrequests", "componentstatuses",
})


def _resource(resource_plural: str) -> str:
    return resource_plural.lower().split(".", 1)[0]


def _printer(resource_plural: str) -> Printer:
    return _PRINTERS.get(_resource(resource_plural), _GENERIC)


def columns_for(resource_plural: str) -> list[Column]:
    """The column definitions the server sends for *resource_plural* (``"deployments.apps"`` ok)."""
    return list(_printer(resource_plural).columns)


def rows_for(resource_plural: str, objs: Iterable[dict[str, Any]], *, now: float) -> list[list[Any]]:
    """One list of cells per object, all columns including the wide ones."""
    row = _printer(resource_plural).row
    return [row(obj, now) for obj in objs]


# --------------------------------------------------------------------------------------------
# the server's side: the Table
# --------------------------------------------------------------------------------------------


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
