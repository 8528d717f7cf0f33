"""The Job controller: run Pods until ``completions`` of them have succeeded, as kube-controller-manager
does (``pkg/controller/job``); and the TTL-after-finished controller that deletes finished Jobs.

One reconcile of ``default/pi`` (upstream's ``syncJob``), for a NonIndexed Job::

    pods      = Pods whose controller is the Job (adopting orphans its selector matches)
    active    = not finished, not being deleted;  succeeded / failed = Pods in that phase
    failed > backoffLimit                 → FailureTarget  BackoffLimitExceeded, delete the active Pods
    running longer than activeDeadlineSeconds → FailureTarget  DeadlineExceeded
    succeeded >= completions              → SuccessCriteriaMet  CompletionsReached
    otherwise: keep min(parallelism, completions − succeeded) Pods active; after a failure the next
               Pod waits 10 s, 20 s, 40 s … (at most 10 min): the Job's pod failure back-off
    once no Pod is active or terminating: Failed / Complete (the terminal condition), completionTime

Since 1.31 the terminal condition waits for the Pods to be gone: first the *interim* condition
(``FailureTarget`` / ``SuccessCriteriaMet``), then ``Failed`` / ``Complete``.

Simplified: upstream counts finished Pods through the ``batch.kubernetes.io/job-tracking``
finalizer (so a deleted Pod is still counted); here they are counted from the Pods that exist.
``podFailurePolicy``: each failed Pod is matched against the rules in order (``onExitCodes`` of a
terminated container, exit code 0 never matches; or ``onPodConditions``): ``FailJob`` fails the Job at
once (reason ``PodFailurePolicy``), ``Ignore`` does not count the failure against backoffLimit,
``Count`` (and no match) counts it. successPolicy and FailIndex are not modelled.

``completionMode: Indexed``: each Pod gets a completion index 0 … completions−1 (annotation and label
``batch.kubernetes.io/job-completion-index``, env ``JOB_COMPLETION_INDEX``, hostname ``<job>-<index>``,
name ``<job>-<index>-xxxxx``); the Job is complete when every index has a succeeded Pod, listed in
``status.completedIndexes`` ("0-2,4"). A failed index is retried with a new Pod of the same index.
"""

from __future__ import annotations

import logging
from typing import Any

from ..api import meta
from ..api.selectors import from_label_selector
from ..client import Client, InformerFactory
from ..clock import Clock, parse_rfc3339
from ..errors import APIError, NotFound
from . import pods as podutil
from .base import Controller
from .refmanager import claim
from .replicaset import ReplicaSetController, pod_from_template
from .workload import PodOwnerController, namespace_terminating

__all__ = ["JobController", "TTLAfterFinishedController", "DEFAULT_JOB_POD_FAILURE_BACKOFF",
           "COMPLETION_INDEX", "completion_index", "format_indexes", "indexed_pod", "match_pod_failure_policy",
           "MAX_JOB_POD_FAILURE_BACKOFF", "is_job_finished", "job_finish_time"]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

#: upstream's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff
DEFAULT_JOB_POD_FAILURE_BACKOFF = 10.0
MAX_JOB_POD_FAILURE_BACKOFF = 600.0
BURST = 500

BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")
COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"


def completion_index(pod: Obj) -> int | None:
    """A Pod's completion index (its annotation), None if it has none or it is not a number."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(COMPLETION_INDEX)
    try:
        return int(value) if value is not None and str(value).isdigit() else None
    except ValueError:
        return None


def match_pod_failure_policy(policy: Obj | None, pod: Obj) -> tuple[str | None, bool]:
    """``(FailJob message or None, counts against backoffLimit)`` for a failed Pod (upstream's
    ``matchPodFailurePolicy``)."""
    if not policy:
        return None, True
    md, st = pod.get("metadata") or {}, pod.get("status") or {}
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        matched: str | None = None
        if rule.get("onExitCodes") is not None:
            req = rule["onExitCodes"]
            for cs in list(st.get("containerStatuses") or []) + list(st.get("initContainerStatuses") or []):
                term = (cs.get("state") or {}).get("terminated")
                if term is None or (req.get("containerName") and req["containerName"] != cs.get("name")):
                    continue
                code = int(term.get("exitCode") or 0)
                values = [int(v) for v in req.get("values") or []]
                if code != 0 and ((req.get("operator") == "In" and code in values)
                                  or (req.get("operator") == "NotIn" and code not in values)):
                    matched = (f"Container {cs.get('name')} for pod {md.get('namespace')}/{md.get('name')} "
                               f"failed with exit code {code} matching {action} rule at index {index}")
                    break
        elif rule.get("onPodConditions") is not None:
            for cond in st.get("conditions") or []:
                if any(cond.get("type") == pat.get("type") and cond.get("status") == pat.get("status", "True")
                       for pat in rule["onPodConditions"]):
                    matched = (f"Pod {md.get('namespace')}/{md.get('name')} has condition {cond.get('type')} "
                               f"matching {action} rule at index {index}")
                    break
        if matched is None:
            continue
        if action == "Ignore":
            return None, False
        if action == "FailJob":
            return matched, True
        return None, True  # Count (FailIndex: not modelled, counted)
    return None, True


def format_indexes(indexes: set[int]) -> str:
    """Upstream's compressed list: {0, 1, 2, 4} → "0-2,4"."""
    out: list[str] = []
    run: list[int] = []
    for i in sorted(indexes):
        if run and i != run[-1] + 1:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
            run = []
        run.append(i)
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def indexed_pod(pod: Obj, job_name: str, index: int) -> Obj:
    """Give a Pod of an Indexed Job its index: name, annotation + label, hostname and env."""
    md = pod["metadata"]
    md["generateName"] = f"{job_name}-{index}-"
    md.setdefault("annotations", {})[COMPLETION_INDEX] = str(index)
    md.setdefault("labels", {})[COMPLETION_INDEX] = str(index)
    spec = pod["spec"]
    spec.setdefault("hostname", f"{job_name}-{index}")
    env_var = {"name": COMPLETION_INDEX_ENV,
               "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                          "fieldPath": f"metadata.labels['{COMPLETION_INDEX}']"}}}
    for c in list(spec.get("initContainers") or []) + list(spec.get("containers") or []):
        env = c.setdefault("env", [])
        if not any(e.get("name") == COMPLETION_INDEX_ENV for e in env):
            env.append(meta.deep_copy(env_var))
    return pod


def _cond_true(job: Obj, cond_type: str) -> bool:
    return any(c.get("type") == cond_type and c.get("status") == "True"
               for c in (job.get("status") or {}).get("conditions") or [])


def is_job_finished(job: Obj) -> bool:
    """Complete or Failed (``IsJobFinished``)."""
    return _cond_true(job, "Complete") or _cond_true(job, "Failed")


def job_finish_time(job: Obj) -> float | None:
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            try:
                return parse_rfc3339(c.get("lastTransitionTime") or "")
            except ValueError:
                return None
    return None


def _add_condition(status: Obj, cond_type: str, reason: str, message: str, now: str) -> None:
    conds = [c for c in status.get("conditions") or [] if c.get("type") != cond_type]
    conds.append({"type": cond_type, "status": "True", "lastProbeTime": now, "lastTransitionTime": now,
                  "reason": reason, "message": message})
    status["conditions"] = conds


def _restarts(pods: list[Obj]) -> int:
    return sum(int(cs.get("restartCount") or 0) for p in pods
               for cs in ((p.get("status") or {}).get("containerStatuses") or [])
               + ((p.get("status") or {}).get("initContainerStatuses") or []))


class JobController(PodOwnerController):
    name = "job"
    component = "job-controller"
    workers = 5  # --concurrent-job-syncs
    owner_kind = "Job"
    owner_resource = "jobs"
    owner_api_version = "batch/v1"

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        # job key → (failed Pod uids seen, when the last one was first seen): the failure back-off
        self._failures: dict[str, tuple[frozenset[str], float]] = {}

    def reconcile(self, key: Any) -> None:
        key = str(key)
        job = self.owner_informer.get(key)
        if job is None:
            self.expectations.delete(key)
            self._failures.pop(key, None)
            return
        if is_job_finished(job):
            return
        spec = job.get("spec") or {}
        try:
            selector = from_label_selector(spec.get("selector"))
        except ValueError as err:
            log.warning("job %s: invalid selector: %s", key, err)
            return
        # before reading the Pod cache (as upstream): a Pod we created that arrives after this read
        # is still expected, so this round cannot mistake its absence for a missing Pod
        satisfied = self.expectations.satisfied(key)
        ns = job["metadata"].get("namespace")
        candidates = [p for p in self.pod_informer.list() if p["metadata"].get("namespace") == ns]
        pods, errors = claim(self.client, job, "jobs", self.controller_ref(job), selector, candidates, "pods")
        if errors:
            raise errors[0]
        now, stamp = self.clock.now(), self.clock.timestamp()
        status = meta.deep_copy(job.get("status") or {})
        active = podutil.filter_active_pods(pods)
        terminating = [p for p in pods if p["metadata"].get("deletionTimestamp")
                       and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        indexed = spec.get("completionMode") == "Indexed" and spec.get("completions") is not None
        done_indexes: set[int] = set()
        if indexed:
            done_indexes = {i for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"
                            and (i := completion_index(p)) is not None and i < int(spec["completions"])}
            succeeded = len(done_indexes)
            if done_indexes:
                status["completedIndexes"] = format_indexes(done_indexes)
        failed_pods = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
        policy_failure: str | None = None
        if spec.get("podFailurePolicy"):
            counted = []
            for p in failed_pods:
                message, counts = match_pod_failure_policy(spec["podFailurePolicy"], p)
                policy_failure = policy_failure or message
                if counts:
                    counted.append(p)
            failed_pods = counted  # Ignore'd failures count neither in status.failed nor for backoffLimit
        failed = len(failed_pods)
        suspended = bool(spec.get("suspend"))
        if not status.get("startTime") and not suspended:
            status["startTime"] = stamp
            deadline = spec.get("activeDeadlineSeconds")
            if deadline is not None:
                self.queue.add_after(key, float(deadline))
        completions = spec.get("completions")
        parallelism = int(spec.get("parallelism", 1))
        backoff_limit = int(spec.get("backoffLimit", 6))

        failure = success = None
        target = meta.get_condition(status, "FailureTarget") if status.get("conditions") else None
        met = meta.get_condition(status, "SuccessCriteriaMet") if status.get("conditions") else None
        if target is not None and target.get("status") == "True":
            failure = (target.get("reason", ""), target.get("message", ""))
        elif met is not None and met.get("status") == "True":
            success = COMPLETIONS_REACHED
        elif policy_failure is not None:
            failure = ("PodFailurePolicy", policy_failure)
        elif failed > backoff_limit or self._past_backoff_limit_on_failure(job, active, backoff_limit):
            failure = BACKOFF_LIMIT_EXCEEDED
        elif self._past_deadline(job, status, now):
            failure = DEADLINE_EXCEEDED
        elif (completions is not None and succeeded >= int(completions)) or (
                completions is None and succeeded > 0 and not active):
            success = COMPLETIONS_REACHED

        create_error: APIError | None = None
        if failure is not None:
            if target is None:
                _add_condition(status, "FailureTarget", failure[0], failure[1], stamp)
            terminating += self._delete_all(job, active)
            active = []
        elif success is not None:
            if met is None:
                _add_condition(status, "SuccessCriteriaMet", success[0], success[1], stamp)
            if completions is not None:
                terminating += self._delete_all(job, active)
                active = []
        elif satisfied and not job["metadata"].get("deletionTimestamp"):
            if suspended:
                terminating += self._delete_all(job, active)
                active = []
            else:
                want = parallelism
                if completions is not None:
                    want = min(parallelism, max(0, int(completions) - succeeded))
                elif succeeded > 0:
                    want = len(active)
                pending: list[int] | None = None
                if indexed:
                    busy = {completion_index(p) for p in active}
                    pending = [i for i in range(int(completions or 0)) if i not in done_indexes and i not in busy]
                try:
                    active = self._manage(job, active, want, failed_pods, key, pending)
                except APIError as err:
                    create_error = err

        status["active"] = len(active)
        status["succeeded"] = succeeded
        status["failed"] = failed
        status["ready"] = sum(1 for p in active if meta.pod_is_ready(p))
        status["terminating"] = len(terminating)
        for field in ("active", "succeeded", "failed"):
            if not status[field]:
                status.pop(field)
        # the terminal condition waits until no Pod is left running or terminating
        terminal = None
        if not active and not terminating:
            if failure is not None:
                terminal = ("Failed", failure)
            elif success is not None:
                terminal = ("Complete", success)
        if terminal is not None:
            ctype, (reason, message) = terminal
            _add_condition(status, ctype, reason, message, stamp)
            if ctype == "Complete":
                status["completionTime"] = stamp
        try:
            updated = self.write_status(job, status)
        except NotFound:
            return
        if terminal is not None and is_job_finished(updated):
            if terminal[0] == "Complete":
                self.recorder.normal(job, "Completed", "Job completed")
            else:
                self.recorder.warning(job, terminal[1][0], terminal[1][1])
        if create_error is not None:
            raise create_error

    @staticmethod
    def _past_backoff_limit_on_failure(job: Obj, active: list[Obj], limit: int) -> bool:
        """With restartPolicy OnFailure the kubelet restarts containers in place: their restarts
        count against backoffLimit (``pastBackoffLimitOnFailure``)."""
        template_spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
        if template_spec.get("restartPolicy") != "OnFailure":
            return False
        restarts = _restarts(active)
        return restarts > 0 if limit == 0 else restarts >= limit

    def _past_deadline(self, job: Obj, status: Obj, now: float) -> bool:
        deadline = (job.get("spec") or {}).get("activeDeadlineSeconds")
        if deadline is None or not status.get("startTime"):
            return False
        return now - parse_rfc3339(status["startTime"]) >= float(deadline)

    def _backoff_remaining(self, key: str, failed_pods: list[Obj], now: float) -> float:
        """Seconds to wait before replacing a failed Pod: 10 s × 2^(failures − 1), at most 10 min."""
        uids = frozenset(p["metadata"].get("uid", "") for p in failed_pods)
        if not uids:
            return 0.0
        seen, last = self._failures.get(key, (frozenset(), now))
        if uids - seen:
            last = now
        self._failures[key] = (uids, last)
        delay = min(DEFAULT_JOB_POD_FAILURE_BACKOFF * 2 ** (len(uids) - 1), MAX_JOB_POD_FAILURE_BACKOFF)
        return max(0.0, last + delay - now)

    def _manage(self, job: Obj, active: list[Obj], want: int, failed_pods: list[Obj], key: str,
                pending: list[int] | None = None) -> list[Obj]:
        diff = len(active) - want
        if diff > 0:
            victims = podutil.sort_for_deletion(list(active), None, self.clock.now())[:diff]
            self._delete_all(job, victims)  # counted as terminating on the next sync
            return [p for p in active if p not in victims]
        if diff < 0:
            wait = self._backoff_remaining(key, failed_pods, self.clock.now())
            if wait > 0:
                self.queue.add_after(key, wait)
                return active
            count = min(-diff, BURST)
            if pending is not None:  # Indexed: the lowest indexes without a Pod, one Pod each
                count = min(count, len(pending))
                if count == 0:
                    return active
            queue = iter(pending or [])
            self.expectations.expect_creations(key, count)
            created, error = ReplicaSetController._slow_start_batch(
                count, lambda: self._create_pod(job, next(queue) if pending is not None else None))
            for _ in range(count - created):
                self.expectations.creation_observed(key)
            if error is not None:
                raise error
        return active

    def _create_pod(self, job: Obj, index: int | None = None) -> None:
        template = (job.get("spec") or {}).get("template") or {}
        pod = pod_from_template(template, job, self.controller_ref(job))
        if index is not None:
            indexed_pod(pod, job["metadata"]["name"], index)
        try:
            created = self.client.create("pods", pod, job["metadata"].get("namespace"))
        except APIError as err:
            if namespace_terminating(err):
                return
            self.recorder.warning(job, "FailedCreate", f"Error creating: {err.message}")
            raise
        self.recorder.normal(job, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

    def _delete_all(self, job: Obj, pods: list[Obj]) -> list[Obj]:
        """Delete *pods*; returns those that linger, terminating gracefully."""
        lingering: list[Obj] = []
        if not pods:
            return lingering
        key = meta.key(job)
        self.expectations.expect_deletions(key, [meta.key(p) for p in pods])
        for pod in pods:
            md = pod["metadata"]
            try:
                result = self.client.delete("pods", md["name"], md.get("namespace"))
            except APIError as err:
                self.expectations.deletion_observed(key, meta.key(pod))
                if not isinstance(err, NotFound):
                    self.recorder.warning(job, "FailedDelete", f"Error deleting: {err.message}")
                    lingering.append(pod)
                continue
            if (result.get("metadata") or {}).get("deletionTimestamp"):
                lingering.append(result)
            self.recorder.normal(job, "SuccessfulDelete", f"Deleted pod: {md['name']}")
        return lingering


class TTLAfterFinishedController(Controller):
    """Deletes a finished Job ``ttlSecondsAfterFinished`` after it finished, on the cluster clock
    (upstream's ``ttl-after-finished-controller``; the Job goes in the Foreground, so its Pods first)."""

    name = "ttl-after-finished"
    component = "ttlafterfinished-controller"
    workers = 5

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.job_informer = self.informers.informer("jobs")
        self.job_informer.add_handler(self._add, lambda old, cur: self._add(cur), None)

    def _add(self, job: Obj) -> None:
        if (job.get("spec") or {}).get("ttlSecondsAfterFinished") is not None and is_job_finished(job):
            self.enqueue(job)

    def reconcile(self, key: Any) -> None:
        job = self.job_informer.get(str(key))
        if job is None or job["metadata"].get("deletionTimestamp"):
            return
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        finished = job_finish_time(job)
        if ttl is None or finished is None:
            return
        remaining = finished + float(ttl) - self.clock.now()
        if remaining > 0:
            self.queue.add_after(str(key), remaining)
            return
        md = job["metadata"]
        try:  # re-read: the TTL may have been changed meanwhile
            fresh = self.client.get("jobs", md["name"], md.get("namespace"))
        except NotFound:
            return
        fresh_ttl = (fresh.get("spec") or {}).get("ttlSecondsAfterFinished")
        if fresh_ttl is None or finished + float(fresh_ttl) > self.clock.now():
            self.queue.add(str(key))
            return
        try:
            self.client.delete("jobs", md["name"], md.get("namespace"), propagation_policy="Foreground",
                               preconditions={"uid": md.get("uid")})
        except NotFound:
            return
