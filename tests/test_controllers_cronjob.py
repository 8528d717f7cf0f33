"""The CronJob controller and the cron parser, on a fake cluster clock."""

from __future__ import annotations

import datetime as dt

import pytest
from test_controllers_support import Harness, wait_for

from k8sedu.api import meta
from k8sedu.api.cron import CronError, parse_standard
from k8sedu.clock import FakeClock, rfc3339
from k8sedu.errors import Invalid

START = dt.datetime(2026, 3, 2, 10, 0, 30, tzinfo=dt.timezone.utc).timestamp()  # a Monday, 10:00:30


def cronjob(name: str = "hello", schedule: str = "*/1 * * * *", **spec) -> dict:
    return {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
        "spec": {"schedule": schedule,
                 "jobTemplate": {"metadata": {"labels": {"app": name}},
                                 "spec": {"template": {"spec": {
                                     "restartPolicy": "OnFailure",
                                     "containers": [{"name": "c", "image": "k8sedu/busybox",
                                                     "command": ["sh", "-c", "date"]}]}}}},
                 **spec},
    }


@pytest.fixture
def h():
    # only the CronJob controller: the test plays the Job controller by setting Job conditions
    from k8sedu.controllers import ControllerManagerOptions
    harness = Harness(clock=FakeClock(START), options=ControllerManagerOptions(controllers=("cronjob",))).start()
    yield harness
    harness.stop()


def _jobs(h: Harness) -> list[dict]:
    return sorted(h.admin.items("jobs", "default"), key=lambda j: j["metadata"]["name"])


def _finish(h: Harness, name: str, ctype: str = "Complete") -> None:
    job = h.admin.get("jobs", name, "default")
    now = h.clock.timestamp()
    job["status"] = {"startTime": job["status"].get("startTime") or now, "conditions": [
        {"type": ctype, "status": "True", "lastTransitionTime": now, "lastProbeTime": now}]}
    if ctype == "Complete":
        job["status"]["completionTime"] = now
    h.admin.update_status("jobs", job)


def _at(h: Harness, hh: int, mm: int, ss: int = 0) -> float:
    return dt.datetime(2026, 3, 2, hh, mm, ss, tzinfo=dt.timezone.utc).timestamp()


def test_cron_syntax():
    monday = _at(None, 10, 0, 30)  # type: ignore[arg-type]
    nxt = parse_standard("*/15 9-17 * * MON-FRI").next(monday)
    assert nxt == _at(None, 10, 15)  # type: ignore[arg-type]
    assert parse_standard("@hourly").next(monday) == _at(None, 11, 0)  # type: ignore[arg-type]
    assert parse_standard("0 0 1 JAN *").next(monday) == dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc).timestamp()
    assert parse_standard("5,10 * * * *").next(monday) == _at(None, 10, 5)  # type: ignore[arg-type]
    from zoneinfo import ZoneInfo
    shanghai = parse_standard("0 9 * * *").next(monday, ZoneInfo("Asia/Shanghai"))
    assert shanghai == dt.datetime(2026, 3 , 3, 1, 0, tzinfo=dt.timezone.utc).timestamp()
    with pytest.raises(CronError, match=r"expected exactly 5 fields, found 1: \[bad\]"):
        parse_standard("bad")
    with pytest.raises(CronError, match=r"end of range \(60\) above maximum \(59\): 60"):
        parse_standard("60 * * * *")


def test_invalid_schedule_is_refused_with_upstream_words(h):
    with pytest.raises(Invalid) as err:
        h.admin.create("cronjobs", cronjob(schedule="*/1 * * *"), "default")
    assert ('spec.schedule: Invalid value: "*/1 * * *": expected exactly 5 fields, found 4: [*/1 * * *]'
            in err.value.message)


def test_creates_a_job_each_minute_named_by_minutes_since_epoch(h):
    created = h.admin.create("cronjobs", cronjob(), "default")
    assert created["spec"]["concurrencyPolicy"] == "Allow"
    assert created["spec"]["successfulJobsHistoryLimit"] == 3 and created["spec"]["failedJobsHistoryLimit"] == 1
    h.settle()
    assert _jobs(h) == []  # nothing due before 10:01
    h.advance(31)
    job = wait_for(lambda: _jobs(h) and _jobs(h)[0], "the 10:01 job")
    t = _at(h, 10, 1)
    assert job["metadata"]["name"] == f"hello-{int(t) // 60}"
    assert job["metadata"]["labels"] == {"app": "hello"}
    assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == rfc3339(t)
    assert meta.controller_ref(job)["kind"] == "CronJob"
    st = wait_for(lambda: h.get("cronjobs", "hello")["status"].get("active") and h.get("cronjobs", "hello")["status"],
                  "active")
    assert st["lastScheduleTime"] == rfc3339(t)
    assert [a["name"] for a in st["active"]] == [job["metadata"]["name"]]
    assert h.messages("SuccessfulCreate") == [f"Created job {job['metadata']['name']}"]
    _finish(h, job["metadata"]["name"])
    st = wait_for(lambda: "active" not in h.get("cronjobs", "hello")["status"] and h.get("cronjobs", "hello")["status"],
                  "job left active")
    assert st["lastSuccessfulTime"]
    assert h.messages("SawCompletedJob") == [f"Saw completed job: {job['metadata']['name']}, condition: Complete"]


def test_history_limits_keep_the_newest_finished_jobs(h):
    h.admin.create("cronjobs", cronjob(successfulJobsHistoryLimit=2), "default")
    names = []
    for _ in range(4):
        h.advance(60, step=10)
        seen = list(names)
        job = wait_for(lambda seen=seen: [j for j in _jobs(h) if j["metadata"]["name"] not in seen], "a new job")[0]
        names.append(job["metadata"]["name"])
        _finish(h, names[-1])
        h.settle()
    wait_for(lambda: [j["metadata"]["name"] for j in _jobs(h)] == names[-2:], "only the newest 2 kept")
    assert sorted(h.messages("SuccessfulDelete")) == sorted(f"Deleted job {n}" for n in names[:2])


def test_forbid_skips_and_replace_replaces(h):
    h.admin.create("cronjobs", cronjob(concurrencyPolicy="Forbid"), "default")
    h.advance(31)
    first = wait_for(lambda: _jobs(h), "first job")[0]["metadata"]["name"]
    h.advance(60, step=10)
    assert [j["metadata"]["name"] for j in _jobs(h)] == [first]
    assert "Not starting job because prior execution is running and concurrency policy is Forbid" in \
        wait_for(lambda: h.messages("JobAlreadyActive"), "JobAlreadyActive")
    cj = h.admin.get("cronjobs", "hello")
    cj["spec"]["concurrencyPolicy"] = "Replace"
    h.admin.update("cronjobs", cj, "default")
    h.advance(60, step=10)
    jobs = wait_for(lambda: [j for j in _jobs(h) if j["metadata"]["name"] != first
                             and not j["metadata"].get("deletionTimestamp")], "the replacement job")
    assert len(jobs) == 1
    assert f"Deleted job {first}" in h.messages("SuccessfulDelete")


def test_suspend_and_starting_deadline(h):
    h.admin.create("cronjobs", cronjob(suspend=True, startingDeadlineSeconds=10), "default")
    h.advance(150, step=10)
    assert _jobs(h) == []
    cj = h.admin.get("cronjobs", "hello")
    cj["spec"]["suspend"] = False
    h.admin.update("cronjobs", cj, "default")  # at 10:03:00, the 10:03 run is 0 s late: on time
    job = wait_for(lambda: _jobs(h), "a job once resumed")[0]
    assert job["metadata"]["name"] == f"hello-{int(_at(h, 10, 3)) // 60}"
