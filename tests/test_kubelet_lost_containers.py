"""A container the runtime has lost (the kernel restarted from ``state_dir``, or ``docker rm``):
the status and the next attempt number follow upstream's kubelet, which counts one restart."""

from __future__ import annotations

from typing import Any

import pytest

from k8sedu.kubelet.podstatus import LOST_CONTAINER, lost_container_status, next_attempt


def pod(state: dict[str, Any] | None, last: dict[str, Any] | None = None, restarts: int = 0,
        deleting: bool = False) -> dict[str, Any]:
    md: dict[str, Any] = {"name": "web", "uid": "u1"}
    if deleting:
        md["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    statuses = [] if state is None else [{"name": "app", "state": state, "lastState": last or {},
                                          "restartCount": restarts}]
    return {"metadata": md, "status": {"containerStatuses": statuses}}


RUNNING = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
DONE = {"terminated": {"exitCode": 0, "reason": "Completed"}}
BACKOFF = {"waiting": {"reason": "CrashLoopBackOff"}}


def test_a_new_pod_starts_at_attempt_zero_and_waits() -> None:
    assert lost_container_status(pod(None), "app", "ContainerCreating") == (
        {"waiting": {"reason": "ContainerCreating"}}, {}, 0)
    assert next_attempt(pod(None), "app", None) == 0
    assert next_attempt(pod({"waiting": {"reason": "ContainerCreating"}}), "app", None) == 0


def test_a_lost_running_container_counts_one_restart_with_an_unknown_last_state() -> None:
    p = pod(RUNNING, restarts=2)
    state, last, count = lost_container_status(p, "app", "ContainerCreating")
    assert state == {"waiting": {"reason": "ContainerCreating"}}
    assert last == {"terminated": LOST_CONTAINER} and LOST_CONTAINER["exitCode"] == 137
    assert count == 3
    assert next_attempt(p, "app", None) == 3  # before the kubelet wrote that status
    written = pod(state, last, count)
    assert next_attempt(written, "app", None) == 3  # and after: the lost run is counted once


def test_a_deleted_pod_gets_no_extra_restart() -> None:
    assert lost_container_status(pod(RUNNING, restarts=1, deleting=True), "app", "ContainerCreating")[2] == 1


@pytest.mark.parametrize("state, last, restarts, attempt", [
    (DONE, {}, 0, 1),                                       # it ran to completion once
    (BACKOFF, {"terminated": {"exitCode": 1}}, 4, 5),      # crash-looping: five runs so far
])
def test_other_recorded_runs_give_the_next_attempt(state: dict, last: dict, restarts: int, attempt: int) -> None:
    assert next_attempt(pod(state, last, restarts), "app", None) == attempt


def test_a_terminated_container_keeps_its_recorded_status() -> None:
    assert lost_container_status(pod(DONE, restarts=1), "app", "ContainerCreating") == (DONE, {}, 1)
