"""Issue 4, judged line by judged line: workloads, configuration, storage and self-healing.

Each test below is one line of the issue's "How it will be judged" (all but the HPA one, which has
its own file), run on the simulated runtime and again on Docker. One cluster per runtime (3 nodes,
the clock 20 times faster) is shared by the module; each test cleans up what it made. The tests
that change nodes (add, cordon, fail) keep the cluster usable for the ones after them, and the node
failure runs last.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from functools import partial
from typing import Any

import _waits
import pytest

from k8sedu import Cluster
from k8sedu.api import meta
from k8sedu.clock import parse_rfc3339
from k8sedu.errors import KubectlError

# the tests build on each other on one shared cluster: under pytest-xdist they run on one worker, in order
pytestmark = pytest.mark.xdist_group(name="test_workloads_judged")

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]
SPEED = 20


eventually = partial(_waits.eventually, timeout=90.0)


@pytest.fixture(scope="module", params=RUNTIMES)
def c(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    if request.param == "docker":
        request.getfixturevalue("docker_required")
    cluster = Cluster(nodes=3, runtime=request.param, progress=False, speed=SPEED)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def running(c: Cluster, selector: str, namespace: str = "default") -> list[dict[str, Any]]:
    return [p for p in c.get("pods", namespace=namespace, selector=selector)
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


def cstatus(c: Cluster, ref: str, namespace: str = "default") -> dict[str, Any]:
    return (c.get(ref, namespace=namespace).get("status", {}).get("containerStatuses") or [{}])[0]


def pod(name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": containers, "terminationGracePeriodSeconds": 1, **spec}}


def gone(c: Cluster, ref: str, namespace: str = "default") -> bool:
    try:
        c.get(ref, namespace=namespace)
    except Exception:
        return True
    return False


# -- DaemonSet ------------------------------------------------------------------------------------
DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: agent, image: k8sedu/busybox, command: [sh, -c, "sleep 3600"]}]
"""


def test_daemonset_one_pod_per_schedulable_node_follows_added_and_cordoned_nodes(c: Cluster) -> None:
    def placement() -> list[str]:
        return sorted(p["spec"].get("nodeName", "") for p in running(c, "app=agent"))

    def nodes() -> list[str]:
        return sorted(n["metadata"]["name"] for n in c.get("nodes"))

    c.apply(DAEMONSET)
    eventually(lambda: placement() == nodes(), what="one running agent Pod per node")
    tolerations = c.get("pods", selector="app=agent")[0]["spec"]["tolerations"]
    assert {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"} in tolerations

    added = c.add_node()
    assert added.get()["metadata"]["name"] in nodes() and len(nodes()) == 4
    eventually(lambda: placement() == nodes(), what=f"an agent Pod on the new node {added.name}")
    ds = eventually(lambda: (d := c.get("daemonset/agent"))["status"].get("numberReady") == 4 and d,
                    what="numberReady 4")
    assert ds["status"]["desiredNumberScheduled"] == 4 and ds["status"]["currentNumberScheduled"] == 4

    # Upstream: a cordoned node keeps its daemon Pod, and gets a new one if it goes, because the
    # DaemonSet controller adds a toleration for node.kubernetes.io/unschedulable to its Pods.
    assert c.kubectl(f"cordon {added.name}") == f"node/{added.name} cordoned\n"
    on_added = next(p for p in running(c, "app=agent") if p["spec"]["nodeName"] == added.name)
    c.kubectl(f"delete pod {on_added['metadata']['name']}")
    eventually(lambda: placement() == nodes()
               and on_added["metadata"]["name"] not in {p["metadata"]["name"] for p in running(c, "app=agent")},
               what="a new agent Pod on the cordoned node")
    assert c.get("daemonset/agent")["status"]["desiredNumberScheduled"] == 4
    c.kubectl(f"uncordon {added.name}")
    c.delete("daemonset/agent")
    eventually(lambda: not c.get("pods", selector="app=agent"), what="the DaemonSet's Pods collected")


# -- StatefulSet ----------------------------------------------------------------------------------
STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 3
  serviceName: web
  selector: {matchLabels: {app: sts-web}}
  template:
    metadata: {labels: {app: sts-web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: k8sedu/web:v1
        volumeMounts: [{name: www, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""


def test_statefulset_starts_in_order_and_web_1s_file_survives_its_replacement(c: Cluster) -> None:
    c.apply(STATEFULSET)
    eventually(lambda: c.get("statefulset/web")["status"].get("readyReplicas") == 3, timeout=120, what="3 ready")
    pods = {p["metadata"]["name"]: p for p in c.get("pods", selector="app=sts-web")}
    assert sorted(pods) == ["web-0", "web-1", "web-2"]

    def ready_at(name: str) -> str:
        return meta.get_condition(pods[name]["status"], "Ready")["lastTransitionTime"]

    def created(name: str) -> str:
        return pods[name]["metadata"]["creationTimestamp"]

    # OrderedReady: web-(n+1) is created only once web-n is Running and Ready
    assert ready_at("web-0") <= created("web-1") and ready_at("web-1") <= created("web-2")
    creates = [e["message"] for e in c.events() if e["reason"] == "SuccessfulCreate"
               and e["involvedObject"].get("kind") == "StatefulSet"]
    assert [m for m in creates if m.startswith("create Pod")] == [
        f"create Pod web-{i} in StatefulSet web successful" for i in range(3)]

    old_uid = pods["web-1"]["metadata"]["uid"]
    c.kubectl('exec web-1 -- sh -c "echo kept > /data/f"')
    c.kubectl("delete pod web-1")
    eventually(lambda: [p for p in running(c, "app=sts-web") if p["metadata"]["name"] == "web-1"
                        and p["metadata"]["uid"] != old_uid], what="a new web-1 Running")
    assert c.kubectl("exec web-1 -- cat /data/f") == "kept\n"
    assert c.get("pvc/www-web-1")["status"]["phase"] == "Bound"
    c.delete("statefulset/web")
    eventually(lambda: not c.get("pods", selector="app=sts-web"), what="the StatefulSet's Pods gone")
    for i in range(3):
        c.delete(f"pvc/www-web-{i}")


# -- Job and CronJob ------------------------------------------------------------------------------
JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: five}
spec:
  completions: 5
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: k8sedu/busybox, command: [sh, -c, "sleep 20; echo done"]}]
"""


def test_job_completions_5_parallelism_2_never_runs_more_than_2_and_completes(c: Cluster) -> None:
    assert c.client is not None
    listed = c.client.list("pods", "default", label_selector="job-name=five")
    w = c.client.watch("pods", "default", resource_version=listed["metadata"]["resourceVersion"],
                       label_selector="job-name=five")
    alive: dict[str, bool] = {}
    most = [0]

    def observe() -> None:  # every Pod change, in order: how many Pods are not finished at once?
        for ev in w:
            obj = ev.object
            name = obj["metadata"]["name"]
            if ev.type == "DELETED":
                alive.pop(name, None)
            else:
                alive[name] = obj["status"].get("phase") not in ("Succeeded", "Failed")
            most[0] = max(most[0], sum(alive.values()))

    watcher = threading.Thread(target=observe, daemon=True)
    watcher.start()
    try:
        c.apply(JOB)
        c.wait("job/five", "Complete", timeout=180)
    finally:
        w.stop()
        watcher.join(5)
    job = c.get("job/five")
    assert job["status"]["succeeded"] == 5 and not job["status"].get("failed")
    assert meta.get_condition(job["status"], "Complete")["status"] == "True"
    assert len(alive) == 5 and not any(alive.values())
    assert most[0] == 2  # both slots were used, never a third
    assert c.kubectl("get job five").splitlines()[1].split()[:3] == ["five", "Complete", "5/5"]
    c.kubectl("delete job five")
    eventually(lambda: not c.get("pods", selector="job-name=five"), what="the Job's Pods collected")


FAILING_JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: fails}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: k8sedu/busybox, command: [sh, -c, "echo boom; exit 1"]}]
"""


def test_failing_job_stops_at_backoff_limit_with_upstreams_condition(c: Cluster) -> None:
    c.apply(FAILING_JOB)
    c.wait("job/fails", "Failed", timeout=180)
    job = c.get("job/fails")
    failed = meta.get_condition(job["status"], "Failed")
    assert failed["status"] == "True"
    assert failed["reason"] == "BackoffLimitExceeded"
    assert failed["message"] == "Job has reached the specified backoff limit"
    assert job["status"]["failed"] == 3  # the first try and backoffLimit (2) retries
    pods = c.get("pods", selector="job-name=fails")
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Failed"}
    assert eventually(lambda: any(e["reason"] == "BackoffLimitExceeded" for e in c.events()), timeout=10,
                      what="the BackoffLimitExceeded event")
    assert len(c.get("pods", selector="job-name=fails")) == 3
    c.kubectl("delete job fails")


CRONJOB = """
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "*/1 * * * *"
  successfulJobsHistoryLimit: 2
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          terminationGracePeriodSeconds: 1
          containers: [{name: c, image: k8sedu/busybox, command: [sh, -c, "echo tick"]}]
"""


def test_cronjob_every_minute_creates_jobs_on_schedule_and_keeps_its_history_limit(c: Cluster) -> None:
    c.apply(CRONJOB)
    seen: set[str] = set()

    def jobs() -> list[dict[str, Any]]:
        out = [j for j in c.get("jobs") if (meta.controller_ref(j) or {}).get("name") == "tick"]
        seen.update(j["metadata"]["name"] for j in out)
        return out

    eventually(lambda: jobs() and len(seen) >= 4, timeout=120, what="four Jobs of the CronJob")
    # on schedule: one Job per minute, named after its scheduled minute (upstream: Unix time / 60)
    minutes = sorted(int(name.rsplit("-", 1)[1]) for name in seen)
    assert minutes == list(range(minutes[0], minutes[0] + len(minutes)))
    for j in jobs():
        scheduled = j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        assert parse_rfc3339(scheduled) == int(j["metadata"]["name"].rsplit("-", 1)[1]) * 60
    # history: never more than successfulJobsHistoryLimit finished Jobs are kept

    def kept() -> list[str] | None:
        done = [j["metadata"]["name"] for j in jobs() if meta.get_condition(j.get("status") or {}, "Complete")]
        return done if len(done) == 2 else None

    done = eventually(kept, timeout=60, what="two completed Jobs kept")
    assert len(seen) > len(done)
    # as upstream, the CronJob controller removes the oldest finished Job on its next sync after a
    # newer one completes (a moment with three is allowed): two schedules later, two are kept again
    made = len(seen)
    eventually(lambda: jobs() is not None and len(seen) >= made + 2 and kept(), timeout=60,
               what="two completed Jobs kept two schedules later")
    deleted = eventually(lambda: [e["message"] for e in c.events() if e["reason"] == "SuccessfulDelete"
                                  and e["involvedObject"].get("kind") == "CronJob"], timeout=60,
                         what="the oldest finished Job deleted by the CronJob controller")
    assert deleted[0].startswith("Deleted job tick-")
    c.delete("cronjob/tick")
    eventually(lambda: not [j for j in c.get("jobs") if j["metadata"]["name"].startswith("tick-")], timeout=60,
               what="the CronJob's Jobs collected")


# -- probes and memory limits ---------------------------------------------------------------------
def test_liveness_failure_restarts_the_container(c: Cluster) -> None:
    c.apply(pod("liveness", [{
        "name": "app", "image": "k8sedu/busybox",
        "args": ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 3600"],
        "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5,
                          "periodSeconds": 5, "timeoutSeconds": 30},
    }]))
    c.wait("pod/liveness", "Ready", timeout=60)
    first = cstatus(c, "pod/liveness")["containerID"]
    status = eventually(lambda: (s := cstatus(c, "pod/liveness")).get("restartCount", 0) >= 1
                        and "running" in s["state"] and s, what="restarted by its liveness probe")
    assert status["containerID"] != first
    assert status["lastState"]["terminated"]["exitCode"] == 137
    messages = [(e["reason"], e["message"]) for e in c.events() if e["involvedObject"].get("name") == "liveness"]
    assert ("Unhealthy", "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n") \
        in messages
    assert ("Killing", "Container app failed liveness probe, will be restarted") in messages
    c.delete("pod/liveness")


def test_readiness_failure_flips_the_ready_condition(c: Cluster) -> None:
    c.apply(pod("ready", [{
        "name": "web", "image": "k8sedu/web:v1", "ports": [{"name": "http", "containerPort": 80}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5,
                           "timeoutSeconds": 30},
    }]))
    c.wait("pod/ready", "Ready", timeout=60)

    def ready() -> str:
        return str(meta.get_condition(c.get("pod/ready")["status"], "Ready").get("status"))

    c.kubectl("exec ready -- rm /www/healthz")
    eventually(lambda: ready() == "False", what="Ready False once /healthz is gone")
    cond = meta.get_condition(c.get("pod/ready")["status"], "Ready")
    assert cond["reason"] == "ContainersNotReady" and cond["message"] == "containers with unready status: [web]"
    assert c.kubectl("get pod ready").splitlines()[1].split()[1:3] == ["0/1", "Running"]
    c.kubectl(["exec", "ready", "--", "sh", "-c", "echo ok > /www/healthz"])
    eventually(lambda: ready() == "True", what="Ready True again")
    assert cstatus(c, "pod/ready")["restartCount"] == 0  # readiness never restarts
    c.delete("pod/ready")


def test_a_container_allocating_past_its_memory_limit_is_oom_killed(c: Cluster) -> None:
    c.apply(pod("hog", [{
        "name": "hog", "image": "k8sedu/busybox",
        "command": ["sh", "-c", "x=a; while :; do x=$x$x; done"],
        "resources": {"limits": {"memory": "32Mi"}},
    }], restartPolicy="Never"))
    status = eventually(lambda: "terminated" in (s := cstatus(c, "pod/hog")).get("state", {}) and s, timeout=120,
                        what="the hog terminated")
    terminated = status["state"]["terminated"]
    assert terminated["reason"] == "OOMKilled" and terminated["exitCode"] == 137
    eventually(lambda: c.get("pod/hog")["status"].get("phase") == "Failed", timeout=30, what="phase Failed")
    assert c.kubectl("get pod hog").splitlines()[1].split()[1:3] == ["0/1", "OOMKilled"]
    assert "      Reason:       OOMKilled\n      Exit Code:    137\n" in c.kubectl("describe pod hog")
    c.delete("pod/hog")


# -- ConfigMap and Secret -------------------------------------------------------------------------
def test_configmap_as_env_and_file_and_a_secret_never_in_describe(c: Cluster) -> None:
    secret_value = "s3cr3t-Pa55"
    c.apply([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config"}, "data": {"mode": "blue"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app-secret"},
         "stringData": {"password": secret_value}},
    ])
    stored = c.get("secret/app-secret")
    assert stored["data"] == {"password": base64.b64encode(secret_value.encode()).decode()}
    c.apply(pod("cfg", [{
        "name": "app", "image": "k8sedu/busybox", "args": ["sleep", "3600"],
        "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}}},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-secret", "key": "password"}}}],
        "volumeMounts": [{"name": "config", "mountPath": "/etc/config"},
                         {"name": "secret", "mountPath": "/etc/secret", "readOnly": True}],
    }], volumes=[{"name": "config", "configMap": {"name": "app-config"}},
                 {"name": "secret", "secret": {"secretName": "app-secret"}}]))
    c.wait("pod/cfg", "Ready", timeout=60)
    assert c.kubectl(["exec", "cfg", "--", "sh", "-c", "echo $MODE"]) == "blue\n"
    assert c.kubectl("exec cfg -- cat /etc/config/mode") == "blue"
    assert c.kubectl(["exec", "cfg", "--", "sh", "-c", "echo $PASSWORD"]) == f"{secret_value}\n"
    assert c.kubectl("exec cfg -- cat /etc/secret/password") == secret_value
    encoded = stored["data"]["password"]
    for out in (c.kubectl("describe pod cfg"), c.kubectl("describe secret app-secret"),
                c.kubectl("describe secrets"), c.kubectl("describe configmap app-config")):
        assert secret_value not in out and encoded not in out
    assert f"password:  {len(secret_value)} bytes" in c.kubectl("describe secret app-secret")
    assert "PASSWORD:  <set to the key 'password' in secret 'app-secret'>  Optional: false" \
        in c.kubectl("describe pod cfg")
    c.delete("pod/cfg")
    c.delete("configmap/app-config")
    c.delete("secret/app-secret")


# -- quota and namespaces -------------------------------------------------------------------------
def test_quota_of_two_pods_refuses_the_third_with_upstreams_message(c: Cluster) -> None:
    c.kubectl("create namespace quota-demo")
    c.apply({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
             "spec": {"hard": {"pods": "2"}}}, namespace="quota-demo")
    eventually(lambda: (c.get("resourcequota/q", namespace="quota-demo").get("status") or {}).get("used"),
               timeout=30, what="the quota's usage")
    sleeper = [{"name": "c", "image": "k8sedu/busybox", "args": ["sleep", "3600"]}]
    c.apply([pod("a", sleeper), pod("b", sleeper)], namespace="quota-demo")
    with pytest.raises(KubectlError) as err:
        c.apply(pod("x", sleeper), namespace="quota-demo")
    assert ('pods "x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2'
            in str(err.value))
    with pytest.raises(KubectlError) as err:
        c.kubectl("run x -n quota-demo --image=k8sedu/busybox")
    assert str(err.value) == ('Error from server (Forbidden): pods "x" is forbidden: exceeded quota: q, '
                              "requested: pods=1, used: pods=2, limited: pods=2")


def test_deleting_a_namespace_removes_everything_in_it_and_its_containers(c: Cluster) -> None:
    ns = "quota-demo"  # the previous test's Pods, plus a Deployment, a Service and a ConfigMap
    c.kubectl(f"delete resourcequota q -n {ns}")
    c.apply([
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"terminationGracePeriodSeconds": 1,
                                        "containers": [{"name": "web", "image": "k8sedu/web:v1"}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"k": "v"}},
    ], namespace=ns)
    c.wait("deployment/web", "Available", timeout=90, namespace=ns)
    eventually(lambda: len(running(c, "", namespace=ns)) == 4, what="4 running Pods in the namespace")
    assert {ct.namespace for ct in c.containers()} >= {ns}
    c.kubectl(f"delete namespace {ns}")
    eventually(lambda: gone(c, f"namespace/{ns}"), timeout=120, what="the namespace gone")
    for kind in ("pods", "deployments", "replicasets", "services", "configmaps", "endpoints",
                 "serviceaccounts", "resourcequotas"):
        assert c.get(kind, namespace=ns) == [], kind
    eventually(lambda: not [ct for ct in c.containers() if ct.namespace == ns], timeout=60,
               what="no container of the namespace left")


# -- bad input ------------------------------------------------------------------------------------
def _refused(c: Cluster, yaml: str) -> str:
    with pytest.raises(KubectlError) as err:
        c.kubectl("apply -f -", stdin=yaml)
    return str(err.value)


def test_bad_input_gets_kubectls_words(c: Cluster) -> None:
    assert _refused(c, CRONJOB.replace('"*/1 * * * *"', '"*/1 * * *"').replace("tick", "bad-cron")) == (
        'The CronJob "bad-cron" is invalid: spec.schedule: Invalid value: "*/1 * * *": '
        "expected exactly 5 fields, found 4: [*/1 * * *]")
    assert _refused(c, """
apiVersion: v1
kind: Pod
metadata: {name: no-handler}
spec:
  containers: [{name: c, image: k8sedu/busybox, livenessProbe: {periodSeconds: 5}}]
""") == ('The Pod "no-handler" is invalid: spec.containers[0].livenessProbe: Required value: '
         "must specify a handler type")
    assert _refused(c, JOB.replace("completions: 5", "completions: -1").replace("five", "negative")) == (
        'The Job "negative" is invalid: spec.completions: Invalid value: -1: must be greater than or equal to 0')
    # a claim for an unknown StorageClass is accepted (the class may come later) and stays Pending
    assert c.kubectl("apply -f -", stdin="""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fast-claim}
spec:
  storageClassName: fast
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
""") == "persistentvolumeclaim/fast-claim created\n"
    eventually(lambda: [e for e in c.events() if e["reason"] == "ProvisioningFailed"
                        and e["involvedObject"].get("name") == "fast-claim"], timeout=30, what="ProvisioningFailed")
    assert c.get("pvc/fast-claim")["status"]["phase"] == "Pending"
    described = c.kubectl("describe pvc fast-claim")
    assert 'Warning  ProvisioningFailed' in described
    assert 'storageclass.storage.k8s.io "fast" not found' in described
    c.delete("pvc/fast-claim")


# -- node failure (last: it leaves a node down for a while) ---------------------------------------
NODE_FAILURE = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      tolerations:
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 20}
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 20}
      containers:
      - name: db
        image: k8sedu/busybox
        command: [sh, -c, "sleep 3600"]
        volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      tolerations:
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 20}
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 20}
      containers: [{name: web, image: k8sedu/web:v1}]
"""


def test_failed_node_goes_not_ready_its_pods_run_elsewhere_and_no_pvc_data_is_lost(c: Cluster) -> None:
    c.apply(NODE_FAILURE)
    c.wait("deployment/db", "Available", timeout=90)
    c.wait("deployment/web", "Available", timeout=90)
    db = running(c, "app=db")[0]
    victim = db["spec"]["nodeName"]
    c.kubectl(["exec", db["metadata"]["name"], "--", "sh", "-c", "echo precious > /data/f"])
    on_victim = {p["metadata"]["name"] for p in c.get("pods") if p["spec"].get("nodeName") == victim}
    assert db["metadata"]["name"] in on_victim

    c.node(victim).fail()
    try:
        def not_ready() -> dict[str, Any] | None:
            node = c.node(victim).get()
            ready = meta.get_condition(node["status"], "Ready")
            taints = {(t["key"], t["effect"]) for t in node["spec"].get("taints") or []}
            return node if ready.get("status") != "True" and \
                ("node.kubernetes.io/unreachable", "NoExecute") in taints else None

        node = eventually(not_ready, timeout=60, what=f"{victim} NotReady and tainted")
        assert meta.get_condition(node["status"], "Ready")["reason"] == "NodeStatusUnknown"
        assert ("node.kubernetes.io/unreachable", "NoSchedule") in {
            (t["key"], t["effect"]) for t in node["spec"]["taints"]}
        row = next(line for line in c.kubectl("get nodes").splitlines() if line.startswith(victim + " "))
        assert row.split()[1] == "NotReady"

        def moved() -> bool:  # every Pod the node had is being deleted, and replaced elsewhere
            pods = c.get("pods")
            evicted = [p for p in pods if p["metadata"]["name"] in on_victim]
            fresh = [p for p in running(c, "app in (db,web)") if p["spec"]["nodeName"] != victim]
            return all(p["metadata"].get("deletionTimestamp") for p in evicted) and \
                len([p for p in fresh if p["metadata"]["labels"]["app"] == "web"]) == 4 and \
                len([p for p in fresh if p["metadata"]["labels"]["app"] == "db"]) == 1

        eventually(moved, timeout=120, what="the failed node's Pods evicted and running on the other nodes")
        assert [e for e in c.events() if e["reason"] == "TaintManagerEviction"]
        c.wait("deployment/web", "Available", timeout=60)
        c.wait("deployment/db", "Available", timeout=60)
        new_db = next(p for p in running(c, "app=db") if p["spec"]["nodeName"] != victim)
        assert c.kubectl(["exec", new_db["metadata"]["name"], "--", "cat", "/data/f"]) == "precious\n"
    finally:
        c.node(victim).recover()
    c.wait(f"node/{victim}", "Ready", timeout=60)
    eventually(lambda: not [p for p in c.get("pods") if p["metadata"]["name"] in on_victim], timeout=60,
               what="the evicted Pods removed once their node is back")
    c.delete("deployment/web")
    c.delete("deployment/db")


# -- beyond the judged lines ----------------------------------------------------------------------
INDEXED_JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: idx}
spec:
  completionMode: Indexed
  completions: 3
  parallelism: 3
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: k8sedu/busybox, command: [sh, -c, "echo index=$JOB_COMPLETION_INDEX; hostname"]}]
"""


def test_indexed_job_gives_each_pod_its_completion_index(c: Cluster) -> None:
    c.apply(INDEXED_JOB)
    c.wait("job/idx", "Complete", timeout=120)
    job = c.get("job/idx")
    assert job["status"]["completedIndexes"] == "0-2" and job["status"]["succeeded"] == 3
    pods = sorted(c.get("pods", selector="job-name=idx"),
                  key=lambda p: p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"])
    assert [p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] for p in pods] == ["0", "1", "2"]
    for i, p in enumerate(pods):
        assert p["metadata"]["name"].startswith(f"idx-{i}-") and p["spec"]["hostname"] == f"idx-{i}"
        assert c.kubectl(f"logs {p['metadata']['name']}") == f"index={i}\nidx-{i}\n"
    c.kubectl("delete job idx")


RETAINED = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: db
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Delete}
  selector: {matchLabels: {app: sts-db}}
  template:
    metadata: {labels: {app: sts-db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: db, image: k8sedu/busybox, command: [sh, -c, "sleep 3600"], volumeMounts: [{name: data, mountPath: /data}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""


def test_statefulset_claim_retention_policy_delete_on_scale_down_and_on_delete(c: Cluster) -> None:
    c.apply(RETAINED)
    eventually(lambda: c.get("statefulset/db")["status"].get("readyReplicas") == 2, timeout=120, what="2 ready")
    claims = {p["metadata"]["name"]: p for p in c.get("pvc", selector="app=sts-db")}
    assert sorted(claims) == ["data-db-0", "data-db-1"]
    assert [r["kind"] for r in claims["data-db-1"]["metadata"]["ownerReferences"]] == ["StatefulSet"]
    c.kubectl("scale statefulset db --replicas=1")
    eventually(lambda: gone(c, "pvc/data-db-1"), timeout=60, what="data-db-1 deleted with its scaled-down Pod")
    assert c.get("pvc/data-db-0")["status"]["phase"] == "Bound"
    c.delete("statefulset/db")
    eventually(lambda: not c.get("pvc", selector="app=sts-db"), timeout=60, what="data-db-0 deleted with the StatefulSet")
    eventually(lambda: not c.get("pods", selector="app=sts-db"), timeout=60, what="the Pods gone")


SURGE_DS = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: surge}
spec:
  selector: {matchLabels: {app: surge}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: surge}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: web, image: k8sedu/web:v1, env: [{name: MESSAGE, value: one}]}]
"""


def test_daemonset_max_surge_starts_the_new_pod_before_the_old_one_goes(c: Cluster) -> None:
    assert c.client is not None
    c.apply(SURGE_DS)
    nodes = sorted(n["metadata"]["name"] for n in c.get("nodes"))
    eventually(lambda: c.get("daemonset/surge")["status"].get("numberAvailable") == len(nodes), timeout=120,
               what="one available Pod per node")
    listed = c.client.list("pods", "default", label_selector="app=surge")
    pods: dict[str, dict[str, Any]] = {p["metadata"]["name"]: p for p in listed["items"]}
    w = c.client.watch("pods", "default", resource_version=listed["metadata"]["resourceVersion"],
                       label_selector="app=surge")
    uncovered: list[str] = []  # nodes seen without a ready Pod during the rollout
    most_per_node = [1]

    def observe() -> None:
        for ev in w:
            name = ev.object["metadata"]["name"]
            if ev.type == "DELETED":
                pods.pop(name, None)
            else:
                pods[name] = ev.object
            alive = [p for p in pods.values() if not p["metadata"].get("deletionTimestamp")]
            for n in nodes:
                here = [p for p in alive if p["spec"].get("nodeName") == n or
                        n in str(p["spec"].get("affinity"))]
                most_per_node[0] = max(most_per_node[0], len(here))
                if not any(meta.pod_is_ready(p) for p in here):
                    uncovered.append(n)

    watcher = threading.Thread(target=observe, daemon=True)
    watcher.start()
    try:
        old_hashes = {p["metadata"]["labels"]["controller-revision-hash"] for p in pods.values()}
        c.apply(SURGE_DS.replace("value: one", "value: two"))

        def rolled_out() -> bool:
            ds = c.get("daemonset/surge")
            now = c.get("pods", selector="app=surge")
            return ds["status"].get("observedGeneration") == ds["metadata"]["generation"] \
                and ds["status"].get("numberAvailable") == len(nodes) and len(now) == len(nodes) \
                and not {p["metadata"]["labels"]["controller-revision-hash"] for p in now} & old_hashes

        eventually(rolled_out, timeout=120, what="every node on the new revision")
    finally:
        w.stop()
        watcher.join(5)
    assert uncovered == []  # maxUnavailable 0: no node was ever without a ready Pod
    assert most_per_node[0] == 2  # old and new side by side for a while
    c.delete("daemonset/surge")
    eventually(lambda: not c.get("pods", selector="app=surge"), timeout=60, what="the DaemonSet's Pods collected")


POLICY_JOB = """
apiVersion: batch/v1
kind: Job
metadata: {name: policy}
spec:
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: Ignore
      onPodConditions: [{type: DisruptionTarget}]
    - action: FailJob
      onExitCodes: {containerName: c, operator: In, values: [42]}
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: k8sedu/busybox, command: [sh, -c, "exit 42"]}]
"""


def test_pod_failure_policy_fail_job_on_an_exit_code(c: Cluster) -> None:
    c.apply(POLICY_JOB)
    c.wait("job/policy", "Failed", timeout=120)
    pods = c.get("pods", selector="job-name=policy")
    assert len(pods) == 1  # no retry: the rule fails the Job at once, whatever backoffLimit says
    failed = meta.get_condition(c.get("job/policy")["status"], "Failed")
    assert failed["reason"] == "PodFailurePolicy"
    assert failed["message"] == (f"Container c for pod default/{pods[0]['metadata']['name']} failed with exit code 42 "
                                 "matching FailJob rule at index 1")
    c.kubectl("delete job policy")


def test_match_pod_failure_policy_rules_in_order() -> None:
    from k8sedu.controllers.job import match_pod_failure_policy

    policy = {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
                        {"action": "Count", "onExitCodes": {"operator": "In", "values": [1]}},
                        {"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [1, 2]}}]}

    def failed(code: int, *conditions: str) -> dict[str, Any]:
        return {"metadata": {"namespace": "ns", "name": "p"},
                "status": {"phase": "Failed", "conditions": [{"type": t, "status": "True"} for t in conditions],
                           "containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": code}}}]}}

    assert match_pod_failure_policy(policy, failed(1, "DisruptionTarget")) == (None, False)
    assert match_pod_failure_policy(policy, failed(1)) == (None, True)
    assert match_pod_failure_policy(policy, failed(2)) == (None, True)  # no rule matched: counted
    assert match_pod_failure_policy(policy, failed(7)) == (
        "Container c for pod ns/p failed with exit code 7 matching FailJob rule at index 2", True)
    assert match_pod_failure_policy(None, failed(7)) == (None, True)


def test_indexed_and_pod_failure_policy_validation_in_upstreams_words() -> None:
    from k8sedu.api import defaults, validation
    from k8sedu.errors import Invalid

    def job(**spec: Any) -> dict[str, Any]:
        obj = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "default"},
               "spec": {"selector": {"matchLabels": {"a": "b"}},
                        "template": {"metadata": {"labels": {"a": "b"}},
                                     "spec": {"restartPolicy": "Never",
                                              "containers": [{"name": "c", "image": "k8sedu/busybox"}]}},
                        **spec}}
        defaults.apply_defaults(obj)
        return obj

    with pytest.raises(Invalid) as err:
        validation.validate(job(completionMode="Indexed", parallelism=2))
    assert "spec.completions: Required value: when completion mode is Indexed" in err.value.message
    bad = job(podFailurePolicy={"rules": []})
    bad["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    with pytest.raises(Invalid) as err:
        validation.validate(bad)
    assert ('spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when '
            "podFailurePolicy is specified") in err.value.message
