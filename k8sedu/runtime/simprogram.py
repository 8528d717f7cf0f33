"""What a simulated container's process does, on its own clock: the output of the shell model.

A :class:`Program` is a timeline in seconds since the process started::

    Program(kind="shell", events=[Event(0, "stdout", "start"), Event(30, "rm", path="/tmp/healthy")],
            loops=[Loop(start=30, period=2, items=[Event(0, "stdout", "tick")])],
            end=None, handles_term=False)

``end`` None means it runs until stopped; ``handles_term`` False means SIGTERM is ignored (PID 1
without a handler) and only SIGKILL at the end of the grace period stops it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "SIGNALS",
    "MIN_RUN",
    "FAST_LOOP_PERIOD",
    "ShellExit",
    "Forever",
    "OutOfMemory",
    "Event",
    "Loop",
    "MAX_ROUNDS",
    "Program",
    "parse_duration",
    "parse_bytes",
    "sleep_seconds",
]

SIGNALS = {"HUP": 1, "INT": 2, "QUIT": 3, "KILL": 9, "USR1": 10, "USR2": 12, "TERM": 15, "STOP": 19}
MIN_RUN = 0.05  # cluster seconds a finite command runs at least ("exits shortly after start")
FAST_LOOP_PERIOD = 0.01  # a loop that prints without sleeping: 100 lines a second
LOOP_LIMIT = 1000  # iterations of a conditional loop before it counts as endless


class ShellExit(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Forever(Exception):
    """The rest of the script never ends (a server, ``tail -f``, an endless loop, ``sleep infinity``)."""


class OutOfMemory(Exception):
    """The script allocates more than the memory limit: the kernel's OOM killer ends it (137)."""


@dataclass
class Event:
    """Something the process does at ``t`` cluster seconds after it started."""

    t: float
    kind: str  # "stdout" | "stderr" | "write" | "mkdir" | "rm"
    text: str = ""
    path: str = ""
    append: bool = False


MAX_ROUNDS = 20_000  # rounds of a loop whose rounds differ that are worked out; later ones repeat the last


@dataclass
class Loop:
    """A round repeated every ``period`` seconds from ``start`` on (``while true; do …; done``).

    ``items`` is what one round does (offsets in the round: output, file writes). When rounds differ
    (a counter ``i=$((i+1))``, ``date``), ``more(k)`` works out round *k*, in order, when first asked.
    """

    start: float
    period: float
    items: list[Event]
    more: Callable[[int], list[Event]] | None = None
    rounds: list[list[Event]] = field(default_factory=list)
    blocked: list[tuple[float, float | None]] = field(default_factory=list)  # foreground sleeps in a round
    foreground: bool = True  # False: `while …; done &`, its exit ends only itself
    exit_at: float | None = None  # a later round ran `exit` (or was OOM-killed) at this offset of the process
    exit_code: int = 0
    oom: bool = False
    lines: list[int] = field(default_factory=list)  # output lines in the rounds before round k

    def round(self, k: int) -> list[Event]:
        """What round *k* (0-based) does."""
        if self.more is None:
            return self.items
        if not self.rounds:
            self._add(self.items)
        while len(self.rounds) <= k and len(self.rounds) < MAX_ROUNDS and self.exit_at is None:
            self._add(self.more(len(self.rounds)))
        if k >= len(self.rounds) and self.exit_at is not None:
            return []
        return self.rounds[min(k, len(self.rounds) - 1)]

    def _add(self, events: list[Event]) -> None:
        self.lines.append((self.lines[-1] + _output(self.rounds[-1])) if self.rounds else 0)
        self.rounds.append(events)

    def lines_before(self, k: int) -> int:
        """How many lines of output rounds 0…k-1 printed (rounds must be worked out up to k)."""
        if self.more is None:
            return k * _output(self.items)
        self.round(k)
        n = len(self.rounds)
        if k < n:
            return self.lines[k]
        last = 0 if self.exit_at is not None else _output(self.rounds[-1])
        return self.lines[-1] + _output(self.rounds[-1]) + (k - n) * last


def _output(events: list[Event]) -> int:
    return sum(1 for e in events if e.kind in ("stdout", "stderr"))


@dataclass
class Program:
    """What a container's process does, on its own clock (seconds since it started)."""

    kind: str  # "web" | "pause" | "shell"
    events: list[Event] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    end: float | None = None  # exits at this offset; None: runs until stopped
    exit_code: int = 0
    oom: bool = False
    handles_term: bool = False  # False: PID 1 without a handler ignores SIGTERM (waits for SIGKILL)
    term_code: int = 0
    term_output: list[str] = field(default_factory=list)
    # A shell's trap runs only when its foreground command ends: not during `sleep 3600`, at once in
    # `wait`. ``traps_term``: it has a TERM trap with commands (``handles_term``: one that exits);
    # ``blocked``: the (begin, end or None) offsets of its foreground commands.
    traps_term: bool = False
    blocked: list[tuple[float, float | None]] = field(default_factory=list)
    memory_bytes: int | None = None
    busy: bool = False  # an endless loop that never sleeps burns a whole CPU


def parse_duration(text: str) -> float | None:
    """``sleep`` arguments: ``5``, ``0.5``, ``2m``, ``1h``, ``infinity`` (None)."""
    text = text.strip()
    if text in ("inf", "infinity"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def parse_bytes(text: str) -> int:
    """``K8SEDU_SIM_MEMORY``: bytes, or a quantity such as ``64Mi`` / ``100M``."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?\s*", text)
    if not m:
        raise ValueError(text)
    mult = {None: 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4, "k": 1000, "K": 1000,
            "M": 1000**2, "G": 1000**3, "T": 1000**4}[m.group(2)]  # fmt: skip
    return int(float(m.group(1)) * mult)



def sleep_seconds(args: list[str]) -> float | None:
    total = 0.0
    for a in args or ["0"]:
        d = parse_duration(a)
        if d is None:
            return None
        total += d
    return total

