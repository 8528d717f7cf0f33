"""Coalescer: bursts of changes become a bounded number of renders, and the last change is shown."""

from __future__ import annotations

import threading

from k8sedu.viz.live import Coalescer


def test_a_burst_renders_a_few_times_and_ends_on_the_last_state() -> None:
    state = {"value": 0}
    seen: list[int] = []
    done = threading.Event()

    def render() -> None:
        seen.append(state["value"])
        if state["value"] == 999:
            done.set()

    live = Coalescer(render, interval=0.2)
    for i in range(1000):
        state["value"] = i
        live.poke()
    assert done.wait(5), "the final state was never rendered"
    assert seen[-1] == 999
    assert len(seen) <= 3  # 1000 pokes within one interval: the first render and the trailing one
    live.close()


def test_flush_renders_pending_change_now_and_close_stops_rendering() -> None:
    seen: list[str] = []
    live = Coalescer(lambda: seen.append("r"), interval=60)
    live.poke()  # first render happens at once (on a timer thread with zero wait)
    first = threading.Event()
    deadline = 50
    while not seen and deadline:
        first.wait(0.05)
        deadline -= 1
    assert seen == ["r"]
    live.poke()  # the next one waits for the 60 s interval…
    live.flush()  # …unless flushed
    assert seen == ["r", "r"]
    live.close()
    live.poke()
    live.flush()
    assert seen == ["r", "r"]


def test_a_failing_render_does_not_stop_later_renders() -> None:
    calls: list[int] = []
    ok = threading.Event()

    def render() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        ok.set()

    live = Coalescer(render, interval=0.01)
    live.poke()
    live.flush()
    live.poke()
    assert ok.wait(5)
    live.close()
