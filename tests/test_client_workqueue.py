"""The work queue: stingy de-duplication, one worker per key, rate-limited retries."""

from __future__ import annotations

import threading

from k8sedu.client import Worker, WorkQueue
from k8sedu.clock import FakeClock


def test_a_key_added_many_times_is_processed_once() -> None:
    q = WorkQueue()
    for _ in range(10):
        q.add("default/web")
    q.add("default/db")
    assert len(q) == 2
    assert q.get(0) == "default/web"
    assert q.get(0) == "default/db"
    assert q.get(0.01) is None


def test_a_key_added_while_processing_is_requeued_after_done() -> None:
    q = WorkQueue()
    q.add("k")
    key = q.get(0)
    q.add("k")  # changed again while a worker holds it
    assert q.get(0.01) is None  # never handed to a second worker at the same time
    q.done(key)
    assert q.get(0) == "k"


def test_rate_limited_retries_back_off_exponentially_on_the_clock() -> None:
    clock = FakeClock()
    q = WorkQueue(clock, base_delay=1.0)
    q.add_rate_limited("k")  # 1 s
    assert q.get(0.01) is None
    clock.advance(1.0)
    assert q.get(0.1) == "k"
    q.done("k")
    q.add_rate_limited("k")  # 2 s
    clock.advance(1.5)
    assert q.get(0.01) is None
    clock.advance(0.5)
    assert q.get(0.1) == "k"
    q.done("k")
    assert q.num_requeues("k") == 2
    q.forget("k")
    assert q.num_requeues("k") == 0


def test_shutdown_releases_waiting_workers() -> None:
    q = WorkQueue()
    out: list[object] = []
    t = threading.Thread(target=lambda: out.append(q.get()))
    t.start()
    q.shut_down()
    t.join(5)
    assert out == [None]


def test_worker_retries_a_failing_reconcile_until_it_succeeds() -> None:
    q = WorkQueue(base_delay=0.001)
    attempts: list[str] = []
    done = threading.Event()

    def reconcile(key: object) -> None:
        attempts.append(str(key))
        if len(attempts) < 3:
            raise RuntimeError("transient")
        done.set()

    w = Worker("test", q, reconcile)
    w.start()
    q.add("k")
    assert done.wait(5)
    w.stop()
    assert attempts == ["k", "k", "k"]
    assert q.num_requeues("k") == 0  # forgotten after success
