"""The Job and TTL-after-finished controllers against a real apiserver, the test playing the kubelet."""

from __future__ import annotations

import pytest
from test_controllers_support import Harness, stale_read_round, wait_for

from k8sedu.api import meta
from k8sedu.clock import FakeClock
from k8sedu.controllers.job import JobController
from k8sedu.errors import Invalid


def job(name: str = "pi", **spec) -> dict:
    return {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
                                       "containers": [{"name": "c", "image": "k8sedu/busybox"}]}},
                 **spec},
    }


@pytest.fixture
def h():
    harness = Harness(clock=FakeClock(1_800_000_000.0)).start()
    yield harness
    harness.stop()


def _job_pods(h: Harness, name: str = "pi", active: bool = True) -> list[dict]:
    return [p for p in h.pods(active=active) if (meta.controller_ref(p) or {}).get("name") == name]


def _finish(h: Harness, pod: dict, phase: str) -> None:
    current = h.admin.get("pods", pod["metadata"]["name"], "default")
    current["status"]["phase"] = phase
    h.admin.update_status("pods", current)


def _cond(job: dict, ctype: str) -> dict | None:
    return meta.get_condition(job.get("status") or {}, ctype)


def test_defaults_selector_and_pod_labels(h):
    created = h.admin.create("jobs", job(), "default")
    uid = created["metadata"]["uid"]
    spec = created["spec"]
    assert spec["completions"] == 1 and spec["parallelism"] == 1 and spec["backoffLimit"] == 6
    assert spec["completionMode"] == "NonIndexed" and spec["suspend"] is False
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    pod = wait_for(lambda: _job_pods(h) and _job_pods(h)[0], "a pod")
    assert pod["metadata"]["labels"] == {"batch.kubernetes.io/controller-uid": uid,
                                         "batch.kubernetes.io/job-name": "pi",
                                         "controller-uid": uid, "job-name": "pi"}
    assert pod["metadata"]["generateName"] == "pi-"
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "Job"
    assert wait_for(lambda: h.messages("SuccessfulCreate")) == [f"Created pod: {pod['metadata']['name']}"]


def test_validation_uses_upstream_words(h):
    with pytest.raises(Invalid) as err:
        h.admin.create("jobs", job(completions=-1), "default")
    assert 'spec.completions: Invalid value: -1: must be greater than or equal to 0' in err.value.message
    bad = job()
    del bad["spec"]["template"]["spec"]["restartPolicy"]
    with pytest.raises(Invalid) as err:
        h.admin.create("jobs", bad, "default")
    assert ('spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: '
            '"OnFailure", "Never"') in err.value.message


def test_completions_with_parallelism_never_runs_more_than_parallelism(h):
    h.admin.create("jobs", job(completions=5, parallelism=2), "default")
    done = 0
    while done < 5:
        pods = wait_for(lambda d=done: len(_job_pods(h)) == min(2, 5 - d) and _job_pods(h),
                        f"{min(2, 5 - done)} active pods after {done} completions")
        h.settle()
        assert len(_job_pods(h)) <= 2
        _finish(h, pods[0], "Succeeded")
        done += 1
        wait_for(lambda d=done: h.get("jobs", "pi")["status"].get("succeeded") == d, f"succeeded {done}")
    finished = wait_for(lambda: _cond(h.get("jobs", "pi"), "Complete") and h.get("jobs", "pi"), "Complete")
    st = finished["status"]
    assert _cond(finished, "SuccessCriteriaMet")["reason"] == "CompletionsReached"
    assert _cond(finished, "Complete")["message"] == "Reached expected number of succeeded pods"
    assert st["succeeded"] == 5 and "active" not in st and st["ready"] == 0
    assert st["startTime"] and st["completionTime"]
    assert wait_for(lambda: h.messages("Completed")) == ["Job completed"]
    assert len(h.messages("SuccessfulCreate")) == 5


def test_backoff_limit_fails_the_job_with_upstream_condition(h):
    h.admin.create("jobs", job(backoffLimit=1), "default")
    first = wait_for(lambda: _job_pods(h) and _job_pods(h)[0], "pod 1")
    _finish(h, first, "Failed")
    h.settle()
    assert not _job_pods(h)  # the failure back-off: 10 s before the replacement
    h.advance(11)
    second = wait_for(lambda: _job_pods(h) and _job_pods(h)[0], "pod 2 after 10 s")
    _finish(h, second, "Failed")
    failed = wait_for(lambda: _cond(h.get("jobs", "pi"), "Failed") and h.get("jobs", "pi"), "Failed")
    cond = _cond(failed, "Failed")
    assert (cond["reason"], cond["message"]) == ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert _cond(failed, "FailureTarget")["reason"] == "BackoffLimitExceeded"
    assert failed["status"]["failed"] == 2 and "completionTime" not in failed["status"]
    assert wait_for(lambda: h.messages("BackoffLimitExceeded")) == ["Job has reached the specified backoff limit"]


def test_active_deadline_deletes_pods_and_fails(h):
    h.admin.create("jobs", job(activeDeadlineSeconds=30, parallelism=2, completions=4), "default")
    pods = wait_for(lambda: len(_job_pods(h)) == 2 and _job_pods(h), "2 pods")
    for p in pods:
        h.bind(p, "node-1")
    h.advance(31)
    cond = wait_for(lambda: _cond(h.get("jobs", "pi"), "FailureTarget"), "FailureTarget")
    assert cond["reason"] == "DeadlineExceeded"
    assert _cond(h.get("jobs", "pi"), "Failed") is None  # Pods still terminating
    for p in pods:
        h.finish(p)
    cond = wait_for(lambda: _cond(h.get("jobs", "pi"), "Failed"), "Failed")
    assert (cond["reason"], cond["message"]) == ("DeadlineExceeded", "Job was active longer than specified deadline")


def test_ttl_after_finished_deletes_the_job_on_the_cluster_clock(h):
    h.admin.create("jobs", job(ttlSecondsAfterFinished=60), "default")
    pod = wait_for(lambda: _job_pods(h) and _job_pods(h)[0], "a pod")
    _finish(h, pod, "Succeeded")
    wait_for(lambda: _cond(h.get("jobs", "pi"), "Complete"), "Complete")
    h.advance(30)
    assert h.get("jobs", "pi") is not None
    h.advance(31)
    wait_for(lambda: h.get("jobs", "pi") is None, "the job deleted after its TTL")



def test_a_pod_arriving_between_the_cache_read_and_the_expectations_check_is_not_made_twice():
    # upstream checks the expectations before it reads the Pod cache (see the DaemonSet test)
    h = Harness()
    h.admin.create("jobs", job(parallelism=3, completions=3), "default")
    stale_read_round(lambda client, informers: JobController(client, informers), h, "default/pi")
    assert len(h.messages("SuccessfulCreate")) == 3 and len(_job_pods(h)) == 3
