"""Cron schedules, as the CronJob controller reads them (upstream uses ``robfig/cron/v3``'s
``ParseStandard``).

Five fields, each a list of ranges with an optional step; names for months and weekdays::

    ┌───────── minute        0-59
    │ ┌─────── hour          0-23
    │ │ ┌───── day of month  1-31
    │ │ │ ┌─── month         1-12  or JAN-DEC
    │ │ │ │ ┌─ day of week   0-6   or SUN-SAT (0 = Sunday)
    │ │ │ │ │
    */15 9-17 * * MON-FRI        every 15 minutes during office hours

``*`` (or ``?``) is the whole range, ``a-b`` a range, ``a/n`` or ``*/n`` a step, ``a,b,c`` a list.
``@yearly``/``@annually``, ``@monthly``, ``@weekly``, ``@daily``/``@midnight``, ``@hourly`` are
shorthands. When both day fields are restricted a day matching *either* one runs (cron's old rule).
Errors use robfig's words, which the apiserver quotes: ``expected exactly 5 fields, found 1: [x]``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Schedule", "parse_standard", "CronError", "load_location"]

_MONTHS = {n: i + 1 for i, n in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_DOW = {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_NONE: dict[str, int] = {}
_BOUNDS: tuple[tuple[int, int, dict[str, int]], ...] = (
    (0, 59, _NONE), (0, 23, _NONE), (1, 31, _NONE), (1, 12, _MONTHS), (0, 6, _DOW))
_DESCRIPTORS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
#: robfig gives up looking for a next time after five years
_MAX_YEARS = 5


class CronError(ValueError):
    """A schedule robfig/cron cannot parse; ``str(e)`` is its message."""


def load_location(name: str | None) -> dt.tzinfo:
    """``time.LoadLocation``: None or "" or "UTC" is UTC; "Local" is the host's zone."""
    if not name or name == "UTC":
        return dt.timezone.utc
    if name == "Local":
        return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CronError(f"unknown time zone {name}") from None


def _int(text: str) -> int:
    if not text.isdigit():
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)


def _value(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    return _int(text)


def _range(expr: str, lo: int, hi: int, names: dict[str, int]) -> tuple[set[int], bool]:
    """One comma-separated part: the values it selects, and whether it was ``*``."""
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    single = len(low_high) == 1
    star = False
    if low_high[0] in ("*", "?"):
        start, end, star = lo, hi, True
    else:
        start = _value(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _value(low_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if single:  # "N/step" means "N-max/step"
            end = hi
        if step > 1:
            star = False
    else:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step <= 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def _field(text: str, index: int) -> tuple[frozenset[int], bool]:
    lo, hi, names = _BOUNDS[index]
    values: set[int] = set()
    star = False
    for part in text.split(","):
        got, s = _range(part, lo, hi, names)
        values |= got
        star = star or s
    return frozenset(values), star


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; :meth:`next` is robfig's ``SpecSchedule.Next``."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: frozenset[int]
    months: frozenset[int]
    dow: frozenset[int]
    dom_star: bool
    dow_star: bool
    every: float = 0.0  # "@every 90s": a constant delay instead of fields


    def _day_matches(self, day: dt.date) -> bool:
        dom_match = day.day in self.dom
        dow_match = (day.isoweekday() % 7) in self.dow
        if self.dom_star or self.dow_star:
            return dom_match and dow_match
        return dom_match or dow_match

    def next(self, after: float, tz: dt.tzinfo = dt.timezone.utc) -> float | None:
        """The first activation strictly after *after* (seconds since epoch), or None."""
        if self.every:
            return float(int(after) + self.every)
        start = dt.datetime.fromtimestamp(int(after) // 60 * 60 + 60, tz).replace(tzinfo=None)
        day = start.date()
        for _ in range(366 * _MAX_YEARS):
            if day.month in self.months and self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        local = dt.datetime(day.year, day.month, day.day, hour, minute)
                        if local < start:
                            continue
                        aware = local.replace(tzinfo=tz)
                        # a local time skipped by a DST change does not exist: skip it
                        if aware.astimezone(dt.timezone.utc).astimezone(tz).replace(tzinfo=None) != local:
                            continue
                        ts = aware.timestamp()
                        if ts > after:
                            return ts
            day += dt.timedelta(days=1)
        return None


def _duration(text: str) -> float:
    """Go's ``time.ParseDuration`` for h/m/s (rounded to whole seconds, at least 1 s, as robfig)."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    total, num, i = 0.0, "", 0
    if not text:
        raise CronError(f'failed to parse duration @every {text}: time: invalid duration ""')
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            num += ch
            i += 1
            continue
        unit = "ms" if text[i:i + 2] == "ms" else ch
        if not num or unit not in units:
            raise CronError(f'failed to parse duration @every {text}: time: invalid duration "{text}"')
        total += float(num) * units[unit]
        num, i = "", i + len(unit)
    if num:
        raise CronError(f'failed to parse duration @every {text}: time: missing unit in duration "{text}"')
    return float(max(1, int(total)))


def parse_standard(text: str) -> Schedule:
    """Parse a five-field schedule or a descriptor; raises :class:`CronError`."""
    spec = text.strip()
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith("@"):
        if spec.startswith("@every "):
            none: frozenset[int] = frozenset()
            return Schedule(text, none, none, none, none, none, False, False,
                            every=_duration(spec.removeprefix("@every ").strip()))
        if spec not in _DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = _DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    parsed = [_field(f, i) for i, f in enumerate(fields)]
    return Schedule(text, parsed[0][0], parsed[1][0], parsed[2][0], parsed[3][0], parsed[4][0],
                    parsed[2][1], parsed[4][1])
