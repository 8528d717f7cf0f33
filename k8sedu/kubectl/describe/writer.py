"""The writer every describer writes into, what it is handed, and Go's way of printing values.

A describer is ``fn(w, obj, ctx)``: it writes ``Label:\\tvalue`` lines into *w* at two-space indent
levels (kubectl's PrefixWriter); ``ctx`` holds the cluster time, what kubectl fetched along with
the object (``related``) and the zone timestamps are printed in. Nothing is aligned while writing:
:meth:`Writer.render` runs the whole text through the tabwriter at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any

from k8sedu.kubectl.printers import _ts, tabwrite

__all__ = ["Writer", "Context", "Describer", "rfc1123z", "go_value", "title_bool", "int_or_string",
           "metadata"]


class Writer:
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


@dataclass(frozen=True)
class Context:
    """What a describer is handed besides the object (must not mutate *related*)."""

    now: float  # cluster time, for ages
    related: Mapping[str, Any] = field(default_factory=dict)  # what kubectl fetched besides the object
    tz: tzinfo | None = None  # the zone timestamps are printed in; None: the local one, as kubectl


Describer = Callable[[Writer, dict[str, Any], Context], None]


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc1123z(value: Any, tz: tzinfo | None) -> str:
    """Go's ``time.RFC1123Z`` in kubectl's local zone: ``Fri, 27 Nov 2026 13:08:41 +0000``."""
    t = _ts(value)
    dt = datetime.fromtimestamp(0 if t is None else t, tz=timezone.utc)
    if t is None:
        dt = datetime(1, 1, 1, tzinfo=timezone.utc)
    dt = dt.astimezone(tz) if tz is not None else dt.astimezone()
    offset = dt.strftime("%z") or "+0000"
    return f"{_DAYS[dt.weekday()]}, {dt.day:02d} {_MONTHS[dt.month - 1]} {dt.year:04d} " \
           f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} {offset}"


def go_value(value: Any) -> str:
    """Go's ``%v`` for JSON values: ``true``, ``<nil>``, ``[a b]``, ``map[k:v]``."""
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return "[" + " ".join(go_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_value(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def title_bool(value: Any) -> str:
    """``True``/``False``: upstream's ``printBool``."""
    return "True" if value else "False"


def int_or_string(value: Any) -> str:
    """An ``IntOrString`` (``25%`` or ``80``); empty when unset."""
    return "" if value is None else str(value)


def metadata(obj: Mapping[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}
