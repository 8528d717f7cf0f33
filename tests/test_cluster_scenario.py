"""The foundation scenario, end to end through the facade, on the sim runtime and on real Docker.

One cluster per runtime walks the whole story of issue 2: a Deployment becomes Available, its Pods
are pause + app containers named as dockershim named them, spread over the nodes; a killed container
is restarted; a deleted Pod is replaced; scaling; a rolling update within maxSurge/maxUnavailable
and a rollback; a Pod too big for any node stays Pending with upstream's message.
"""

from __future__ import annotations

import re
import threading
from functools import partial
from typing import Any

import _waits
import pytest

from k8sedu import Cluster
from k8sedu.errors import KubectlError

# the tests build on each other on one shared cluster: under pytest-xdist they run on one worker, in order
pytestmark = pytest.mark.xdist_group(name="test_cluster_scenario")

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: web
        image: k8sedu/web:v1
        ports: [{containerPort: 80}]
        resources:
          requests: {cpu: 100m, memory: 64Mi}
"""

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]


@pytest.fixture(scope="module", params=RUNTIMES)
def cluster(request: pytest.FixtureRequest) -> Any:
    if request.param == "docker":
        request.getfixturevalue("docker_required")
    c = Cluster(nodes=3, runtime=request.param, progress=False)
    c.start()
    yield c
    c.stop()


eventually = partial(_waits.eventually, timeout=60.0)


def web_pods(c: Cluster) -> list[dict]:
    return [p for p in c.get("pods", selector="app=web") if not p["metadata"].get("deletionTimestamp")]


def test_01_deployment_becomes_available_with_real_pods(cluster: Cluster) -> None:
    cluster.apply(WEB)
    d = cluster.wait("deployment/web", "Available", timeout=120)
    assert d["status"]["availableReplicas"] == 3
    pods = web_pods(cluster)
    assert len(pods) == 3 and all(p["status"]["phase"] == "Running" for p in pods)
    # spread: LeastAllocated puts one Pod on each of the 3 identical nodes
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-1", "node-2", "node-3"]
    names = {c.name for c in cluster.containers() if c.state == "running"}
    for p in pods:
        md = p["metadata"]
        assert f"k8s_POD_{md['name']}_default_{md['uid']}_0" in names
        assert f"k8s_web_{md['name']}_default_{md['uid']}_0" in names
    out = cluster.kubectl("get pods -o wide")
    assert out.splitlines()[0].split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert out.count("Running") == 3
    # exec goes kubectl → apiserver → kubelet → the container, and says what the container said
    name = pods[0]["metadata"]["name"]
    assert cluster.kubectl(f"exec {name} -- hostname") == f"{name}\n"
    with pytest.raises(KubectlError, match="command terminated with exit code 1") as failed:
        cluster.kubectl(f"exec {name} -- ls /nonexistent")
    assert "nonexistent" in getattr(failed.value, "output", "")
    assert "version=v1" in cluster.kubectl(f"exec {name} -- wget -qO- http://127.0.0.1/")


def test_02_killed_container_is_restarted(cluster: Cluster) -> None:
    pod = web_pods(cluster)[0]
    name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]
    app = next(c for c in cluster.containers()
               if c.name == f"k8s_web_{name}_default_{uid}_0" and c.state == "running")
    cluster.runtime.kill_container(app.id)  # what `docker kill` does
    restarted = eventually(
        lambda: (p := cluster.get(f"pod/{name}"))["status"]["containerStatuses"][0]["restartCount"] == 1
        and p["status"]["containerStatuses"][0]["ready"] and p,
        what="restartCount 1",
    )
    assert restarted["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 137
    line = next(ln for ln in cluster.kubectl("get pods").splitlines() if ln.startswith(name))
    assert line.split()[3] == "1"  # RESTARTS (may be followed by "(5s ago)")


def test_03_deleted_pod_is_replaced(cluster: Cluster) -> None:
    victim = web_pods(cluster)[0]["metadata"]["name"]
    cluster.delete(f"pod/{victim}", wait=True, timeout=60)
    eventually(lambda: len(web_pods(cluster)) == 3 and victim not in {p["metadata"]["name"] for p in web_pods(cluster)},
               what="a replacement Pod")
    cluster.wait("deployment/web", "Available", timeout=60)


def test_04_scale_up_and_down(cluster: Cluster) -> None:
    assert cluster.kubectl("scale deployment/web --replicas=5").strip() == "deployment.apps/web scaled"
    cluster.wait("deployment/web", "Available", timeout=90)
    assert len(web_pods(cluster)) == 5
    cluster.kubectl("scale deployment/web --replicas=2")
    cluster.wait("deployment/web", "Available", timeout=90)
    eventually(lambda: len(cluster.get("pods", selector="app=web")) == 2, what="2 pods left")


def test_05_rolling_update_respects_surge_and_unavailable_then_undo(cluster: Cluster) -> None:
    cluster.kubectl("scale deployment/web --replicas=4")
    cluster.wait("deployment/web", "Available", timeout=90)
    # defaults 25%/25% of 4: maxSurge 1, maxUnavailable 1 → at most 5 Pods, at least 3 ready
    api = cluster.client
    assert api is not None
    listing = api.list("pods", "default", label_selector="app=web")
    pods = {p["metadata"]["name"]: p for p in listing["items"]}
    worst = {"max_total": 0, "min_ready": 99}
    watch = api.watch("pods", "default", resource_version=listing["metadata"]["resourceVersion"],
                      label_selector="app=web")

    def follow() -> None:
        for event in watch:
            name = event.object["metadata"]["name"]
            if event.type == "DELETED":
                pods.pop(name, None)
            else:
                pods[name] = event.object
            live = [p for p in pods.values() if not p["metadata"].get("deletionTimestamp")]
            ready = [p for p in live if any(c["type"] == "Ready" and c["status"] == "True"
                                            for c in p.get("status", {}).get("conditions", []))]
            worst["max_total"] = max(worst["max_total"], len(live))
            worst["min_ready"] = min(worst["min_ready"], len(ready))

    t = threading.Thread(target=follow, daemon=True)
    t.start()
    assert "image updated" in cluster.kubectl("set image deployment/web web=k8sedu/web:v2")
    cluster.wait("deployment/web", "Available", timeout=120)
    watch.stop()
    t.join(5)
    images = {p["spec"]["containers"][0]["image"] for p in web_pods(cluster)}
    assert images == {"k8sedu/web:v2"}
    assert worst["max_total"] <= 5, worst
    assert worst["min_ready"] >= 3, worst
    history = cluster.kubectl("rollout history deployment/web")
    assert "REVISION" in history and "2" in history
    assert "rolled back" in cluster.kubectl("rollout undo deployment/web")
    cluster.wait("deployment/web", "Available", timeout=120)
    eventually(lambda: {p["spec"]["containers"][0]["image"] for p in cluster.get("pods", selector="app=web")}
               == {"k8sedu/web:v1"}, what="v1 back")
    described = cluster.kubectl("describe deployment web")
    assert re.search(r"OldReplicaSets:\s+<none>", described), described  # old ones are scaled to 0
    assert re.search(r"NewReplicaSet:\s+web-\w+ \(4/4 replicas created\)", described), described


def test_06_too_big_pod_stays_pending_with_upstreams_message(cluster: Cluster) -> None:
    cluster.apply({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "huge"},
        "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox", "command": ["sleep", "3600"],
                                 "resources": {"requests": {"cpu": "100"}}}]},
    })
    event = eventually(lambda: next((e for e in cluster.events(object="pod/huge")
                                     if e["reason"] == "FailedScheduling"), None), what="FailedScheduling")
    assert "0/3 nodes are available: 3 Insufficient cpu." in event["message"]
    assert cluster.get("pod/huge")["status"]["phase"] == "Pending"
    trace = cluster.scheduler_trace("pod/huge")
    assert trace["chosen"] is None if "chosen" in trace else True
    text = repr(trace)
    for node in ("node-1", "node-2", "node-3"):
        assert node in text
    assert "NodeResourcesFit" in text and "Insufficient cpu" in text
    described = cluster.kubectl("describe pod huge")
    assert "FailedScheduling" in described
    cluster.delete("pod/huge")


def test_07_bad_input_gets_kubectls_words_and_changes_nothing(cluster: Cluster) -> None:
    # (the revision is no measure here: heartbeats and status updates keep writing)
    before = {(d["metadata"]["name"], d["metadata"]["resourceVersion"]) for d in cluster.get("deployments")}
    with pytest.raises(KubectlError, match="spec.replicas: Invalid value: -1: must be greater than or equal to 0"):
        cluster.kubectl("apply -f -", stdin=WEB.replace("name: web", "name: neg").replace("replicas: 3", "replicas: -1"))
    with pytest.raises(KubectlError, match="error converting YAML to JSON|yaml"):
        cluster.kubectl("apply -f -", stdin="apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n")
    with pytest.raises(KubectlError, match='no matches for kind "Frobnicator"'):
        cluster.kubectl("apply -f -", stdin="apiVersion: v1\nkind: Frobnicator\nmetadata:\n  name: x\n")
    with pytest.raises(KubectlError, match="metadata.name: Invalid value"):
        cluster.kubectl("apply -f -", stdin=WEB.replace("name: web", "name: Web_Bad"))
    assert {(d["metadata"]["name"], d["metadata"]["resourceVersion"]) for d in cluster.get("deployments")} == before
    assert cluster.get("pods", field_selector="metadata.name=x") == []
