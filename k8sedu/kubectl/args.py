"""kubectl's command line, parsed the way cobra and pflag parse it.

Flags may come anywhere (``kubectl -n dev get pods``, ``kubectl get pods -n dev``); a value is
given as ``--flag=value``, ``--flag value``, ``-n value``, ``-nvalue`` or ``-n=value``; boolean
shorthands combine (``-it``); ``--`` ends the flags (what follows is the command of ``exec``). The
errors are pflag's own words, so a typo in a notebook reads as it would in a terminal::

    error: unknown flag: --bogus
    See 'kubectl get --help' for usage.
"""

from __future__ import annotations

import csv
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import KubectlError

__all__ = ["Flag", "Parsed", "split", "parse", "parse_duration", "GLOBAL_FLAGS", "usage_error"]

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Flag:
    """One flag of a command.

    ``type``: ``string``, ``bool``, ``int``, ``duration`` (Go syntax: ``30s``, ``2m``), ``strings``
    (repeatable and comma-separated, pflag's StringSlice) or ``array`` (repeatable, not split).
    ``optional`` is pflag's NoOptDefVal: the value of ``--flag`` given without ``=value``.
    """

    name: str
    short: str | None = None
    type: str = "string"
    default: Any = None
    optional: str | None = None

    def takes_value(self) -> bool:
        return self.type != "bool" and self.optional is None


@dataclass
class Parsed:
    """The result: positional ``args``, flag values by long name, and what came after ``--``."""

    command: str
    args: list[str]
    flags: dict[str, Any]
    changed: set[str] = field(default_factory=set)
    dash_args: list[str] | None = None

    def __getitem__(self, name: str) -> Any:
        return self.flags[name]

    def get(self, name: str, default: Any = None) -> Any:
        value = self.flags.get(name)
        return default if value is None else value

    def given(self, name: str) -> bool:
        return name in self.changed


#: flags every kubectl command accepts (kubeconfig and connection flags are accepted and ignored)
GLOBAL_FLAGS: tuple[Flag, ...] = (
    Flag("namespace", "n"),
    Flag("as"),
    Flag("as-group", type="array", default=[]),
    Flag("as-uid"),
    Flag("context"),
    Flag("cluster"),
    Flag("user"),
    Flag("kubeconfig"),
    Flag("server", "s"),
    Flag("token"),
    Flag("request-timeout", default="0"),
    Flag("insecure-skip-tls-verify", type="bool", default=False),
    Flag("match-server-version", type="bool", default=False),
    Flag("v", "v"),
    Flag("warnings-as-errors", type="bool", default=False),
)


def split(command: str | Sequence[str]) -> list[str]:
    """The words of a command line (shell quoting rules); a leading ``kubectl`` is dropped."""
    words = shlex.split(command) if isinstance(command, str) else [str(w) for w in command]
    if words and words[0] in ("kubectl", "k"):
        words = words[1:]
    return words


def usage_error(message: str, command: str) -> KubectlError:
    return KubectlError(f"error: {message}\nSee 'kubectl {command} --help' for usage.")


_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Go's ``time.ParseDuration``: ``"1m30s"`` → 90.0 seconds; raises ValueError with Go's text."""
    s = text.strip()
    sign = 1.0
    if s[:1] in "+-" and s:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f'time: invalid duration "{text}"')
    total, pos = 0.0, 0
    while pos < len(s):
        m = _DURATION_RE.match(s, pos)
        if m is None:
            if re.match(r"(\d+(?:\.\d*)?|\.\d+)$", s[pos:]):
                raise ValueError(f'time: missing unit in duration "{text}"')
            unit = re.match(r"[\d.]*([^\d.]*)", s[pos:])
            if unit and unit.group(1) and re.match(r"[\d.]", s[pos:]):
                raise ValueError(f'time: unknown unit "{unit.group(1)}" in duration "{text}"')
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return sign * total


def _convert(flag: Flag, raw: str, shown: str, command: str) -> Any:
    def invalid(why: str) -> KubectlError:
        return usage_error(f'invalid argument "{raw}" for "{shown}" flag: {why}', command)

    if flag.type == "bool":
        low = raw.lower() if raw in ("TRUE", "True", "FALSE", "False") else raw
        if low in ("1", "t", "T", "true"):
            return True
        if low in ("0", "f", "F", "false"):
            return False
        raise invalid(f'strconv.ParseBool: parsing "{raw}": invalid syntax')
    if flag.type == "int":
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise invalid(f'strconv.ParseInt: parsing "{raw}": invalid syntax')
        return int(raw)
    if flag.type == "duration":
        try:
            return parse_duration(raw)
        except ValueError as err:
            raise invalid(str(err)) from None
    return raw


def _set(values: dict[str, Any], changed: set[str], flag: Flag, value: Any) -> None:
    if flag.type == "strings":
        values[flag.name] = (values[flag.name] if flag.name in changed else []) + _csv(value)
    elif flag.type == "array":
        values[flag.name] = (values[flag.name] if flag.name in changed else []) + [value]
    else:
        values[flag.name] = value
    changed.add(flag.name)


def _csv(value: str) -> list[str]:
    """pflag's StringSlice reads its value as one CSV record."""
    if value == "":
        return []
    return next(csv.reader([value]))


def parse(words: Sequence[str], flags: Iterable[Flag], command: str) -> Parsed:
    """Parse *words* (the command's own words, without the command names) against *flags*
    (plus :data:`GLOBAL_FLAGS`). *command* is the command path for messages ("rollout status")."""
    specs = list(flags) + [g for g in GLOBAL_FLAGS]
    by_long: dict[str, Flag] = {}
    by_short: dict[str, Flag] = {}
    for spec in specs:
        by_long.setdefault(spec.name, spec)
        if spec.short:
            by_short.setdefault(spec.short, spec)
    values: dict[str, Any] = {s.name: (list(s.default) if isinstance(s.default, list) else s.default) for s in specs}
    changed: set[str] = set()
    args: list[str] = []
    dash: list[str] | None = None
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            dash = list(words[i:])
            break
        if word.startswith("--"):
            name, eq, raw = word[2:].partition("=")
            found = by_long.get(name)
            if found is None:
                raise usage_error(f"unknown flag: --{name}", command)
            spec = found
            if eq:
                value = raw
            elif spec.type == "bool":
                value = "true"
            elif spec.optional is not None:
                value = spec.optional
            elif i < len(words):
                value = words[i]
                i += 1
            else:
                raise usage_error(f"flag needs an argument: --{name}", command)
            _set(values, changed, spec, _convert(spec, value, f"--{name}", command))
        elif word.startswith("-") and word != "-":
            chars = word[1:]
            j = 0
            while j < len(chars):
                c = chars[j]
                short = by_short.get(c)
                if short is None:
                    raise usage_error(f"unknown shorthand flag: '{c}' in -{chars}", command)
                spec = short
                rest = chars[j + 1:]
                shown = f"-{c}, --{spec.name}"
                if rest.startswith("="):
                    value, j = rest[1:], len(chars)
                elif spec.type == "bool" or spec.optional is not None:
                    value = "true" if spec.type == "bool" else str(spec.optional)
                    j += 1
                elif rest:
                    value, j = rest, len(chars)
                elif i < len(words):
                    value, j = words[i], len(chars)
                    i += 1
                else:
                    raise usage_error(f"flag needs an argument: '{c}' in -{chars}", command)
                _set(values, changed, spec, _convert(spec, value, shown, command))
        else:
            args.append(word)
    return Parsed(command, args, values, changed, dash)


def value_flags(flags: Iterable[Flag]) -> tuple[set[str], set[str]]:
    """(long names, short names) of the flags that take a separate value word."""
    specs = list(flags) + list(GLOBAL_FLAGS)
    return ({f.name for f in specs if f.takes_value()}, {f.short for f in specs if f.short and f.takes_value()})


def positionals(words: Sequence[str], flags: Iterable[Flag]) -> list[tuple[int, str]]:
    """The words that are not flags nor flag values, with their index: how cobra finds the
    (sub)command names among flags that may precede them."""
    longs, shorts = value_flags(flags)
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w == "--":
            break
        if w.startswith("--"):
            name, eq, _ = w[2:].partition("=")
            if not eq and name in longs:
                i += 1
        elif w.startswith("-") and w != "-":
            if len(w) == 2 and w[1] in shorts:
                i += 1
        else:
            out.append((i, w))
        i += 1
    return out
