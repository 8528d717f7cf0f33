"""The CronJob controller: create a Job at each scheduled time, on the cluster clock
(upstream ``pkg/controller/cronjob``, the "v2" controller).

One sync of ``default/hello`` (``*/1 * * * *``) at 10:03:20::

    Jobs it owns: finished ones leave status.active (SawCompletedJob), lastSuccessfulTime
    suspended?                           → nothing more
    most recent schedule ≤ now, after lastScheduleTime (or creation)          → 10:03:00
    older than startingDeadlineSeconds?  → MissSchedule, wait for the next one
    a Job for 10:03 exists already?      → done
    concurrencyPolicy Forbid and a Job still active → JobAlreadyActive, wait
                      Replace            → delete the active Jobs first
    create Job "hello-<minutes since epoch>" (hello-29520183), status.active += it,
    lastScheduleTime = 10:03:00
    delete the oldest finished Jobs beyond successfulJobsHistoryLimit (3) / failedJobsHistoryLimit (1)
    look again at the next schedule time (10:04:00)

Because the work queue's delays run on the cluster clock, ``Cluster(speed=60)`` makes a
once-a-minute CronJob fire every real second.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
from typing import Any

from ..api import meta
from ..api.cron import CronError, Schedule, load_location, parse_standard
from ..client import Client, InformerFactory
from ..clock import Clock, parse_rfc3339, rfc3339
from ..errors import AlreadyExists, APIError, Conflict, NotFound
from .base import Controller

__all__ = ["CronJobController", "job_name_for", "most_recent_schedule_time", "SCHEDULED_TIMESTAMP"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
#: upstream gives up (and warns) after this many missed start times
MAX_MISSED = 100
#: look again a little after the next schedule time (``nextScheduleTimeDuration`` adds 100 ms)
NEXT_SCHEDULE_DELTA = 0.1


def job_name_for(cronjob_name: str, scheduled: float) -> str:
    """``<cronjob>-<scheduled time in minutes since epoch>`` (``getJobName``)."""
    return f"{cronjob_name}-{int(scheduled) // 60}"


def most_recent_schedule_time(earliest: float, now: float, schedule: Schedule,
                              tz: dt.tzinfo) -> tuple[float | None, int]:
    """The latest activation in (earliest, now], and how many there were (``mostRecentScheduleTime``)."""
    t = schedule.next(earliest, tz)
    last, missed = None, 0
    while t is not None and t <= now:
        last, missed = t, missed + 1
        t = schedule.next(t, tz)
    return last, missed


def _time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError:
        return None


def _finished_type(job: Obj) -> str:
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return str(c["type"])
    return ""


class CronJobController(Controller):
    name = "cronjob"
    component = "cronjob-controller"
    workers = 5  # --concurrent-cron-job-syncs

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.cj_informer = self.informers.informer("cronjobs")
        self.job_informer = self.informers.informer("jobs")
        self.cj_informer.add_handler(self.enqueue, lambda old, cur: self._update_cronjob(old, cur), None)
        # cronjob key → resourceVersion of our last status write (guarded by the GIL; one worker per key)
        self._written: dict[str, int] = {}
        self.job_informer.add_handler(self._job_event, lambda old, cur: self._job_event(cur), self._job_event)

    def _update_cronjob(self, old: Obj, cur: Obj) -> None:
        self.enqueue(cur)

    def _job_event(self, job: Obj) -> None:
        ref = meta.controller_ref(job)
        if ref is None or ref.get("kind") != "CronJob":
            return
        cj = self.cj_informer.get(f"{job['metadata'].get('namespace')}/{ref.get('name')}")
        if cj is not None and cj["metadata"].get("uid") == ref.get("uid"):
            self.enqueue(cj)

    # -- reconcile ------------------------------------------------------------------------------
    def reconcile(self, key: Any) -> None:
        key = str(key)
        cj = self.cj_informer.get(key)
        if cj is None:
            self._written.pop(key, None)
            return
        written = self._written.get(key)
        if written is not None and int(cj["metadata"].get("resourceVersion") or 0) < written:
            # our own last status write has not reached the cache yet: read it from the apiserver,
            # or the Job just created would look like one "the controller did not create"
            try:
                cj = self.client.get("cronjobs", cj["metadata"]["name"], cj["metadata"].get("namespace"))
            except NotFound:
                return
        ns = cj["metadata"].get("namespace")
        uid = cj["metadata"].get("uid")
        jobs = [j for j in self.job_informer.list() if j["metadata"].get("namespace") == ns
                and (meta.controller_ref(j) or {}).get("uid") == uid]
        status = meta.deep_copy(cj.get("status") or {})
        self._sync_active(cj, status, jobs)
        requeue: float | None = None
        if not cj["metadata"].get("deletionTimestamp"):
            try:
                requeue = self._schedule(cj, status, jobs)
            finally:
                self._write_status(cj, status)
            self._cleanup_finished(cj, jobs)
        else:
            self._write_status(cj, status)
        if requeue is not None:
            self.queue.add_after(key, requeue)

    def _sync_active(self, cj: Obj, status: Obj, jobs: list[Obj]) -> None:
        """Jobs leave ``status.active`` when they finish or vanish (``syncCronJob``, first part)."""
        active = list(status.get("active") or [])
        by_uid = {j["metadata"].get("uid"): j for j in jobs}
        for job in jobs:
            in_active = any(a.get("uid") == job["metadata"].get("uid") for a in active)
            finished = _finished_type(job)
            if not in_active and not finished:
                self.recorder.warning(cj, "UnexpectedJob",
                                      f"Saw a job that the controller did not create or forgot: {job['metadata']['name']}")
                active.append(self._ref(job))
            elif in_active and finished:
                active = [a for a in active if a.get("uid") != job["metadata"].get("uid")]
                self.recorder.normal(cj, "SawCompletedJob",
                                     f"Saw completed job: {job['metadata']['name']}, condition: {finished}")
                if finished == "Complete":
                    done = _time((job.get("status") or {}).get("completionTime"))
                    last = _time(status.get("lastSuccessfulTime"))
                    if done is not None and (last is None or done > last):
                        status["lastSuccessfulTime"] = rfc3339(done)
        for ref in list(active):
            if ref.get("uid") not in by_uid:
                try:
                    self.client.get("jobs", ref.get("name", ""), ref.get("namespace"))
                except NotFound:
                    self.recorder.normal(cj, "MissingJob", f"Active job went missing: {ref.get('name')}")
                    active = [a for a in active if a.get("uid") != ref.get("uid")]
        if active:
            status["active"] = active
        else:
            status.pop("active", None)

    @staticmethod
    def _ref(job: Obj) -> Obj:
        md = job["metadata"]
        return {"kind": "Job", "namespace": md.get("namespace"), "name": md.get("name"), "uid": md.get("uid"),
                "apiVersion": "batch/v1", "resourceVersion": md.get("resourceVersion")}

    def _schedule(self, cj: Obj, status: Obj, jobs: list[Obj]) -> float | None:
        """Create the Job that is due, if any; the seconds until the next look (None: never)."""
        spec = cj.get("spec") or {}
        try:
            tz = load_location(spec.get("timeZone"))
        except CronError as err:
            self.recorder.warning(cj, "UnknownTimeZone", f"invalid timeZone: {spec.get('timeZone')!r}: {err}"
                                  .replace("'", '"'))
            return None
        if spec.get("suspend"):
            return None
        try:
            schedule = parse_standard(str(spec.get("schedule", "")))
        except CronError as err:
            self.recorder.warning(cj, "UnparseableSchedule", f'unparseable schedule: "{spec.get("schedule")}" : {err}')
            return None
        now = self.clock.now()
        earliest = _time(status.get("lastScheduleTime")) or _time(cj["metadata"].get("creationTimestamp")) or now
        deadline = spec.get("startingDeadlineSeconds")
        if deadline is not None:
            earliest = max(earliest, now - float(deadline))
        scheduled, missed = most_recent_schedule_time(earliest, now, schedule, tz)
        nxt = schedule.next(now, tz)
        wait = None if nxt is None else nxt - now + NEXT_SCHEDULE_DELTA
        if missed > MAX_MISSED:
            self.recorder.warning(cj, "TooManyMissedTimes", "too many missed start times. Set or decrease "
                                  ".spec.startingDeadlineSeconds or check clock skew")
        if scheduled is None:
            return wait
        if deadline is not None and scheduled + float(deadline) < now:
            when = email.utils.format_datetime(dt.datetime.fromtimestamp(scheduled, dt.timezone.utc))
            self.recorder.warning(cj, "MissSchedule", f"Missed scheduled time to start a job: {when}")
            return wait
        name = job_name_for(cj["metadata"]["name"], scheduled)
        if any(a.get("name") == name for a in status.get("active") or []) or any(
                j["metadata"]["name"] == name for j in jobs):
            return wait
        active = list(status.get("active") or [])
        policy = spec.get("concurrencyPolicy", "Allow")
        if policy == "Forbid" and active:
            self.recorder.normal(cj, "JobAlreadyActive", "Not starting job because prior execution is running "
                                 "and concurrency policy is Forbid")
            return wait
        if policy == "Replace":
            for ref in active:
                try:
                    self.client.delete("jobs", ref.get("name", ""), ref.get("namespace"),
                                       propagation_policy="Background")
                except NotFound:
                    pass
                except APIError as err:
                    self.recorder.warning(cj, "FailedDelete", f"Deleted job: {err.message}")
                    raise
                self.recorder.normal(cj, "SuccessfulDelete", f"Deleted job {ref.get('name')}")
            status.pop("active", None)
        job = self._job_from_template(cj, name, scheduled, tz)
        try:
            created = self.client.create("jobs", job, cj["metadata"].get("namespace"))
        except AlreadyExists:
            return wait
        except APIError as err:
            self.recorder.warning(cj, "FailedCreate", f"Error creating job: {err.message}")
            raise
        self.recorder.normal(cj, "SuccessfulCreate", f"Created job {created['metadata']['name']}")
        status["active"] = list(status.get("active") or []) + [self._ref(created)]
        status["lastScheduleTime"] = rfc3339(scheduled)
        return wait

    def _job_from_template(self, cj: Obj, name: str, scheduled: float, tz: dt.tzinfo) -> Obj:
        """``getJobFromTemplate2``: the template's labels and annotations, plus the scheduled time."""
        template = (cj.get("spec") or {}).get("jobTemplate") or {}
        tmd = template.get("metadata") or {}
        annotations = dict(tmd.get("annotations") or {})
        annotations[SCHEDULED_TIMESTAMP] = dt.datetime.fromtimestamp(scheduled, tz).isoformat().replace("+00:00", "Z")
        md: Obj = {"name": name, "annotations": annotations,
                   "ownerReferences": [meta.make_controller_ref(cj, "CronJob", "batch/v1")]}
        if tmd.get("labels"):
            md["labels"] = dict(tmd["labels"])
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": md,
                "spec": meta.deep_copy(template.get("spec") or {})}

    def _cleanup_finished(self, cj: Obj, jobs: list[Obj]) -> None:
        """Keep the newest ``successfulJobsHistoryLimit`` Complete and ``failedJobsHistoryLimit``
        Failed Jobs; delete older ones (``cleanupFinishedJobs``)."""
        spec = cj.get("spec") or {}
        for ctype, field in (("Complete", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit")):
            limit = spec.get(field)
            if limit is None:
                continue
            done = [j for j in jobs if _finished_type(j) == ctype and not j["metadata"].get("deletionTimestamp")]
            done.sort(key=lambda j: (_time((j.get("status") or {}).get("startTime"))
                                     or _time(j["metadata"].get("creationTimestamp")) or 0.0))
            for job in done[:max(0, len(done) - int(limit))]:
                try:
                    self.client.delete("jobs", job["metadata"]["name"], job["metadata"].get("namespace"),
                                       propagation_policy="Background")
                except NotFound:
                    continue
                self.recorder.normal(cj, "SuccessfulDelete", f"Deleted job {job['metadata']['name']}")

    def _write_status(self, cj: Obj, status: Obj) -> None:
        if status == (cj.get("status") or {}):
            return
        obj = meta.deep_copy(cj)
        for attempt in range(2):
            obj["status"] = status
            try:
                result = self.client.update_status("cronjobs", obj)
                self._written[meta.key(cj)] = int(result["metadata"].get("resourceVersion") or 0)
                return
            except NotFound:
                return
            except Conflict:
                if attempt:
                    raise
                obj = self.client.get("cronjobs", cj["metadata"]["name"], cj["metadata"].get("namespace"))

