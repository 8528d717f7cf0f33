"""The test suite's one polling helper: wait, with a deadline, for a cluster to reach a state.

A test that has started something asynchronous (controllers, a kubelet, a proxy, a real container)
cannot assert on the result at once: it asks ``eventually(check)`` to call ``check`` again and
again until it returns something truthy, and gets that value back. The few knobs cover what the
test files used to write out by hand::

    pod = eventually(lambda: running(c, "web-0"), timeout=90, what="web-0 Running")
    eventually(lambda: tick_seen(), step=clock.tick)            # move a fake clock between polls
    eventually(metrics, ignore=(KubectlError,))                 # an error means "not yet"
    eventually(done, invariant=no_double_create)                # something that must always hold

A module that wants other defaults binds them once, e.g.
``eventually = functools.partial(_waits.eventually, timeout=90.0)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T | None],
    timeout: float = 30.0,
    what: str = "condition",
    *,
    interval: float = 0.05,
    ignore: type[BaseException] | tuple[type[BaseException], ...] = (),
    step: Callable[[], object] | None = None,
    invariant: Callable[[], object] | None = None,
) -> T:
    """Poll *check* until it returns something truthy, and return that value.

    ``check`` is always called at least once, and once more when the deadline has passed, so a
    condition that became true while the test was busy elsewhere is not reported as a timeout.

    - *timeout*: seconds before giving up with ``AssertionError`` naming *what* and the last value
      ``check`` returned (or the last exception it raised, see *ignore*).
    - *interval*: seconds to sleep between polls.
    - *ignore*: exception types that count as "not yet" rather than a failure (e.g. a kubectl
      error while metrics are not there, ``OSError`` while a port is not served yet). Any other
      exception from ``check`` propagates at once.
    - *step*: called between polls, after a poll that was not yet truthy (e.g. advance a
      ``FakeClock`` so time-driven code makes progress).
    - *invariant*: called before every poll; it raises (usually ``AssertionError``) when something
      that must hold all along does not.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        if invariant is not None:
            invariant()
        try:
            value = check()
        except ignore as err:
            last = err
        else:
            if value:
                return value
            last = value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")
        if step is not None:
            step()
        time.sleep(interval)
