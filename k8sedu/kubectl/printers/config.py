"""``kubectl get`` for configuration and policy in a namespace: ConfigMaps, Secrets,
ResourceQuotas and LimitRanges.

DATA counts keys, never shows values. A quota prints each resource as used/hard, the ``limits.*``
ones in a column of their own::

    NAME    AGE   REQUEST                            LIMIT
    quota   5m    pods: 1/10, requests.cpu: 500m/2   limits.cpu: 1/4
"""

from __future__ import annotations

from typing import Any

from k8sedu.api.quantity import format_quantity

from .cells import _AGE, _CREATED_AT, _NAME, Column, Printer, _age, _name

__all__ = ["PRINTERS"]


def _configmap_row(cm: dict[str, Any], now: float) -> list[Any]:
    return [_name(cm), len(cm.get("data") or {}) + len(cm.get("binaryData") or {}), _age(cm, now)]


def _secret_row(s: dict[str, Any], now: float) -> list[Any]:
    return [_name(s), s.get("type", ""), len(s.get("data") or {}), _age(s, now)]


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


PRINTERS: dict[str, Printer] = {
    "configmaps": Printer((_NAME, Column("Data", "integer"), _AGE), _configmap_row),
    "secrets": Printer((_NAME, Column("Type"), Column("Data", "integer"), _AGE), _secret_row),
    "resourcequotas": Printer((_NAME, _AGE, Column("Request"), Column("Limit")), _quota_row),
    "limitranges": _CREATED_AT,
}
