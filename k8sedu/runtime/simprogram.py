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


MAX_ROUNDS = 100_000  # rounds of a loop whose rounds differ that are worked out; later ones repeat the last


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

    def round(self, k: int) -> list[Event]:
        """What round *k* (0-based) does."""
        if self.more is None:
            return self.items
        if not self.rounds:
            self.rounds.append(self.items)
        while len(self.rounds) <= k and len(self.rounds) < MAX_ROUNDS:
            self.rounds.append(self.more(len(self.rounds)))
        return self.rounds[min(k, len(self.rounds) - 1)]


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

