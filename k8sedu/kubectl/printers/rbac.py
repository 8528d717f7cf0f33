"""``kubectl get`` for who may do what: ServiceAccounts, Roles, ClusterRoles and their bindings.

Roles print when they were created (CREATED AT, an RFC 3339 time), not an age. A binding's
subjects appear only with ``-o wide``, split by kind::

    NAME   ROLE          AGE   USERS   GROUPS   SERVICEACCOUNTS
    read   Role/reader   5m    alice            default/robot
"""

from __future__ import annotations

from typing import Any

from .cells import _AGE, _CREATED_AT, _NAME, Column, Printer, _age, _name, _wide

__all__ = ["PRINTERS"]


def _serviceaccount_row(sa: dict[str, Any], now: float) -> list[Any]:
    return [_name(sa), len(sa.get("secrets") or []), _age(sa, now)]


def _subjects(binding: dict[str, Any]) -> tuple[str, str, str]:
    """USERS, GROUPS and SERVICEACCOUNTS (``namespace/name``), each comma-separated."""
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


_BINDING = Printer((_NAME, Column("Role"), _AGE, *_wide("Users", "Groups", "ServiceAccounts")), _binding_row)

PRINTERS: dict[str, Printer] = {
    "serviceaccounts": Printer((_NAME, Column("Secrets", "integer"), _AGE), _serviceaccount_row),
    "roles": _CREATED_AT,
    "clusterroles": _CREATED_AT,
    "rolebindings": _BINDING,
    "clusterrolebindings": _BINDING,
}
