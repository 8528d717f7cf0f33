"""The kubelet's back-off (CrashLoopBackOff, ImagePullBackOff) and Go-style durations, without threads."""

from __future__ import annotations

from k8sedu.clock import FakeClock
from k8sedu.kubelet import Backoff, go_duration


def test_go_duration_prints_like_go() -> None:
    assert [go_duration(s) for s in (0, 10, 20, 40, 80, 160, 300, 3725)] == [
        "0s", "10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "1h2m5s"]


def test_crash_backoff_doubles_to_five_minutes_and_resets_after_ten_quiet_minutes() -> None:
    clock = FakeClock()
    b = Backoff(clock)
    key = "uid_web_default_app"
    assert not b.is_in_backoff_since(key, clock.now())  # first crash: restart at once
    seen = []
    for _ in range(7):
        finished = clock.now()
        b.next(key, finished)
        seen.append(b.get(key))
        assert b.is_in_backoff_since(key, finished)
        clock.advance(b.get(key) - 1)
        assert b.is_in_backoff_since(key, finished)
        clock.advance(1)
        assert not b.is_in_backoff_since(key, finished)
    assert seen == [10, 20, 40, 80, 160, 300, 300]
    # the container then runs for more than 10 minutes before it crashes again: back to 10 s
    clock.advance(601)
    b.next(key, clock.now())
    assert b.get(key) == 10


def test_image_backoff_counts_from_the_last_failed_pull() -> None:
    clock = FakeClock()
    b = Backoff(clock)
    b.next("uid_nope:v9", clock.now())
    assert b.is_in_backoff_since_update("uid_nope:v9", clock.now() + 9.9)
    assert not b.is_in_backoff_since_update("uid_nope:v9", clock.now() + 10)
