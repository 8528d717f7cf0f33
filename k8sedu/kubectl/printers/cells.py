"""What every printer is made of: a :class:`Column`, a row function, and the cells they share.

A resource's :class:`Printer` pairs its column definitions with a function that turns one object
into one row of cells (all columns, the ``-o wide`` ones too). The cells several resources print
the same way live here: ages (``HumanDuration``), labels and selectors, the NAME and AGE columns,
and kubectl's way of cutting a long list (``a,b,c + 2 more...``).

Names with a leading underscore are for the modules of this package only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from k8sedu.clock import parse_rfc3339, rfc3339

__all__ = [
    "Column",
    "Printer",
    "RowFn",
    "human_duration",
    "since",
    "format_labels",
    "format_label_selector",
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
    """An RFC 3339 timestamp as epoch seconds; ``None`` when unset or unreadable."""
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
# cells most resources print
# --------------------------------------------------------------------------------------------


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _name(obj: dict[str, Any]) -> str:
    return str(_meta(obj).get("name", ""))


def _age(obj: dict[str, Any], now: float) -> str:
    return since(_meta(obj).get("creationTimestamp"), now)


def _created_at(obj: dict[str, Any]) -> str:
    """The creation time itself (RFC 3339), which roles and limit ranges print instead of an age."""
    t = _ts(_meta(obj).get("creationTimestamp"))
    return rfc3339(t) if t is not None else "0001-01-01T00:00:00Z"


def _terminating_or_phase(obj: dict[str, Any]) -> Any:
    """``Terminating`` once deleted, else ``status.phase`` (volumes and claims)."""
    if _meta(obj).get("deletionTimestamp"):
        return "Terminating"
    return (obj.get("status") or {}).get("phase", "")


def _list_cut(items: list[str], limit: int = 3, sep: str = ",") -> str:
    """The first *limit* items, then `` + N more...`` for the rest (upstream's
    ``listWithMoreString`` and its relatives): ``10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...``."""
    text = sep.join(items[:limit])
    return f"{text} + {len(items) - limit} more..." if len(items) > limit else text


# --------------------------------------------------------------------------------------------
# labels and selectors
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# columns and printers
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


RowFn = Callable[[dict[str, Any], float], list[Any]]


@dataclass(frozen=True)
class Printer:
    """One resource's columns and the function that makes one row of cells (one per column, the
    wide ones included) from an object and the current time."""

    columns: tuple[Column, ...]
    row: RowFn


_NAME = Column("Name", format="name")
_AGE = Column("Age")


def _wide(*names: str) -> tuple[Column, ...]:
    """Columns shown only with ``-o wide``."""
    return tuple(Column(n, priority=1) for n in names)


def _name_and_age(obj: dict[str, Any], now: float) -> list[Any]:
    return [_name(obj), _age(obj, now)]


def _name_and_created_at(obj: dict[str, Any], now: float) -> list[Any]:
    return [_name(obj), _created_at(obj)]


#: NAME and AGE: every resource without a printer of its own (custom resources too).
_GENERIC = Printer((_NAME, _AGE), _name_and_age)
#: NAME and CREATED AT: roles, cluster roles and limit ranges.
_CREATED_AT = Printer((_NAME, Column("Created At", "date")), _name_and_created_at)
