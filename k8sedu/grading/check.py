"""A check: one graded question, answered by the state of the live cluster.

Why a function of the cluster and not of the notebook: the answer to "run a Pod named hello" is that
the Pod runs, whatever the student typed to get there. A check reads what really runs (objects through
the apiserver, the runtime's own container list), so a status written by hand cannot pass it::

    @check("q2", "Pod hello 正在运行", points=3, wait=60,
           hint="用 kubectl get pod hello 看 STATUS 列。")
    def pod_runs(ctx: CheckContext) -> None:
        ctx.require_running_pod("hello")      # raises CheckFailed("……") when it does not

A check passes when its function returns; it fails on :class:`CheckFailed` (the reason, in Chinese)
or on an ``AssertionError``. With ``wait`` (seconds), a failing check is tried again until it passes
or the deadline comes ("3 个副本在 60 秒内就绪"), unless it raised ``CheckFailed(..., final=True)``:
there is no point waiting for a Pod that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import CheckContext

__all__ = ["Check", "CheckFailed", "CheckFn", "check"]

CheckFn = Callable[["CheckContext"], None]


class CheckFailed(Exception):
    """The cluster does not (yet) meet the check; ``str(e)`` is the reason, in Chinese.

    ``final=True``: waiting cannot help (nothing to wait for), so a check with ``wait`` stops at once.
    """

    def __init__(self, reason: str, final: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final


@dataclass(frozen=True)
class Check:
    """One question: ``id`` ("q1"), a Chinese ``title``, ``points``, the function that grades it.

    ``hidden``: run by the grader but not described to the student (no hint, no reason shown).
    ``hint``: shown when the check fails. ``wait``: seconds to keep trying before giving up.
    """

    id: str
    title: str
    points: float
    fn: CheckFn
    hint: str = ""
    hidden: bool = False
    wait: float = 0.0

    def __post_init__(self) -> None:
        if self.points < 0:
            raise ValueError(f"check {self.id}: points must be >= 0")
        if self.wait < 0:
            raise ValueError(f"check {self.id}: wait must be >= 0")


def check(id: str, title: str, points: float, *, hint: str = "", hidden: bool = False,
          wait: float = 0.0) -> Callable[[CheckFn], Check]:
    """Decorator: turn ``def fn(ctx)`` into a :class:`Check` (the module-level name holds the Check)."""

    def wrap(fn: CheckFn) -> Check:
        return Check(id=id, title=title, points=points, fn=fn, hint=hint, hidden=hidden, wait=wait)

    return wrap
