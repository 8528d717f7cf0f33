"""The resource metrics pipeline: the sim runtime's CPU model, kubelet summary → metrics-server →
metrics.k8s.io, and ``kubectl top`` in kubectl 1.32's layout (in process and with the real kubectl)."""

from __future__ import annotations

import re
import subprocess
from functools import partial

import _waits
import pytest
from _kubectl import KUBECTL, require_kubectl

from k8sedu import Cluster
from k8sedu.clock import Clock
from k8sedu.errors import KubectlError
from k8sedu.kubectl.top import format_node_metrics, format_pod_metrics
from k8sedu.metrics import ContainerSample, cpu_rate, format_window
from k8sedu.runtime.base import ContainerConfig, SandboxConfig
from k8sedu.runtime.sim import SimRuntime

eventually = partial(_waits.eventually, timeout=20.0, ignore=KubectlError)


# -- the simulated runtime's CPU model -------------------------------------------------------------
@pytest.fixture
def sim():
    rt = SimRuntime("metrics-test", Clock(10))
    sb = rt.create_sandbox(SandboxConfig(pod_uid="u1", pod_name="p", namespace="default", node_name="node-1"))
    cid = rt.create_container(sb.id, ContainerConfig(name="c", image="k8sedu/busybox", pod_name="p",
                                                     namespace="default", pod_uid="u1", command=["sleep", "3600"],
                                                     cpu_millis_limit=500))
    rt.start_container(cid)
    yield rt, cid
    rt.cleanup()


def test_sim_busy_loops_exec_in_the_background_use_cpu_up_to_the_limit(sim):
    rt, cid = sim
    idle = rt.stats(cid)
    assert idle["cpu_millis"] == 1
    assert rt.exec(cid, ["sh", "-c", "yes > /dev/null &"]).exit_code == 0
    assert rt.stats(cid)["cpu_millis"] == 500  # one core wanted, the CFS quota allows half
    assert rt.exec(cid, ["sh", "-c", "while true; do :; done &"]).exit_code == 0
    later = eventually(lambda: (lambda s: s if s["cpu_usage_nanos"] > idle["cpu_usage_nanos"] + 10**8 else None)(
        rt.stats(cid)), what="the cumulative counter to grow")
    assert later["read_nanos"] > idle["read_nanos"]
    assert rt.exec(cid, ["killall", "yes"]).exit_code == 0
    assert rt.stats(cid)["cpu_millis"] == 500  # the shell loop still runs
    assert rt.exec(cid, ["sh", "-c", "kill %1"]).exit_code == 0
    assert rt.stats(cid)["cpu_millis"] == 1
    assert rt.exec(cid, ["killall", "yes"]).stderr == "killall: yes: no process killed\n"
    assert rt.exec(cid, ["pkill", "yes"]).exit_code == 1


def test_rates_come_from_two_readings_of_a_cumulative_counter():
    first = ContainerSample(4_000_000_000, 100 * 10**9, 1 << 20)
    second = ContainerSample(4_750_000_000, 115 * 10**9, 1 << 20)
    assert cpu_rate(None, first) is None
    assert cpu_rate(first, second) == 50_000_000  # 50m
    assert cpu_rate(second, ContainerSample(1, 130 * 10**9, 0)) is None  # restarted: starts over
    assert [format_window(s) for s in (15, 1.5, 15.005, 75)] == ["15s", "1.5s", "15.005s", "1m15s"]


# -- kubectl top: the printer ---------------------------------------------------------------------
def _pm(name: str, ns: str, *containers: tuple[str, str, str]) -> dict:
    return {"metadata": {"name": name, "namespace": ns},
            "containers": [{"name": c, "usage": {"cpu": cpu, "memory": mem}} for c, cpu, mem in containers]}


def test_top_pod_table_is_kubectls():
    items = [_pm("web-2", "default", ("web", "1500000n", "2048Ki")),
             _pm("web-1", "default", ("web", "249999999n", "10Mi"), ("side", "1m", "1Mi"))]
    assert format_pod_metrics(items) == (
        "NAME    CPU(cores)   MEMORY(bytes)   \n"
        "web-1   251m         11Mi            \n"
        "web-2   2m           2Mi             \n")
    assert format_pod_metrics(items, containers=True, with_namespace=True, sort_by="cpu") == (
        "NAMESPACE   POD     NAME   CPU(cores)   MEMORY(bytes)   \n"
        "default     web-1   web    250m         10Mi            \n"
        "default     web-1   side   1m           1Mi             \n"
        "default     web-2   web    2m           2Mi             \n")
    assert format_pod_metrics(items, no_headers=True, total=True).splitlines()[-2:] == [
        "        ________   ________   ",
        "        253m       13Mi       "]


def test_top_node_table_is_kubectls():
    items = [{"metadata": {"name": "node-1"}, "usage": {"cpu": "250000000n", "memory": "512Mi"}}]
    available = {"node-1": {"cpu": "2", "memory": "4Gi"}, "node-2": {"cpu": "2", "memory": "4Gi"}}
    assert format_node_metrics(items, available) == (
        "NAME     CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)   \n"
        "node-1   250m         12%         512Mi           12%         \n"
        "node-2   <unknown>    <unknown>   <unknown>       <unknown>   \n")


# -- the pipeline in a cluster ----------------------------------------------------------------------
WEB = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
       "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
                    {"name": "web", "image": "k8sedu/busybox", "command": ["sleep", "3600"],
                     "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "300m"}}}]}}}}


@pytest.fixture(scope="module")
def cluster():
    with Cluster(nodes=2, runtime="sim", speed=20) as c:
        yield c


def test_top_says_metrics_not_available_until_two_scrapes(cluster):
    c = cluster
    assert c.kubectl("top pods -n kube-public") == "No resources found in kube-public namespace.\n"
    c.apply(WEB)
    c.wait("deployment/web", "Available", timeout=30)
    first = c.kubectl("get pods -l app=web -o name")
    assert first.count("pod/") == 2
    # right after the Pods start, metrics-server has read them at most once
    fresh = c.metrics_server.list("pods", "default")["items"]
    if len([m for m in fresh if m["metadata"]["name"].startswith("web-")]) < 2:
        with pytest.raises(KubectlError, match="^error: metrics not available yet$"):
            c.kubectl("top pods")
    eventually(lambda: len(c.kubectl("top pods -l app=web").splitlines()) == 3, what="metrics for both Pods")


def test_top_pods_and_nodes_show_the_busy_pod(cluster):
    c = cluster
    eventually(lambda: len(c.kubectl("top pods -l app=web").splitlines()) == 3, what="metrics for both Pods")
    busy = c.get("pods", selector="app=web")[0]
    name, node = busy["metadata"]["name"], busy["spec"]["nodeName"]
    c.kubectl(f"exec {name} -- sh -c 'yes > /dev/null &'")
    try:
        line = eventually(lambda: next((ln for ln in c.kubectl("top pods").splitlines()
                                        if ln.startswith(name) and ln.split()[1] == "300m"), None),
                          what="the busy Pod at its 300m limit")
        assert line.split()[2].endswith("Mi")
        containers = c.kubectl(f"top pod {name} --containers").splitlines()
        assert containers[0].split() == ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
        assert containers[1].split()[:3] == [name, "web", "300m"]
        everything = c.kubectl("top pods -A")
        assert everything.splitlines()[0].split() == ["NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)"]
        nodes = c.kubectl("top nodes").splitlines()
        assert nodes[0] == "NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)   "
        row = next(ln.split() for ln in nodes if ln.startswith(node))
        assert int(row[1].rstrip("m")) >= 300 and row[2].endswith("%")
        with pytest.raises(KubectlError, match=r'^Error from server \(NotFound\): podmetrics.metrics.k8s.io '
                                               r'"default/nope" not found$'):
            c.kubectl("top pod nope")
    finally:
        c.kubectl(f"exec {name} -- killall yes")


def test_metrics_are_served_to_the_real_kubectl(cluster, tmp_path):
    require_kubectl()
    c = cluster
    kubeconfig = c.serve()
    eventually(lambda: len(c.kubectl("top pods -l app=web").splitlines()) == 3, what="metrics for both Pods")
    run = subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path), "top", "pods",
                          "-l", "app=web"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == c.kubectl("top pods -l app=web").splitlines()[0]  # the same padding, byte for byte
    assert lines[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"] and lines[0].endswith("   ")
    assert len(lines) == 3 and all(ln.split()[1].endswith("m") for ln in lines[1:])
    nodes = subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path), "top", "nodes"],
                           capture_output=True, text=True, timeout=60)
    assert nodes.returncode == 0, nodes.stderr
    assert nodes.stdout.splitlines()[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]


def test_autoscale_and_get_hpa(cluster):
    c = cluster
    c.apply(WEB)
    c.wait("deployment/web", "Available", timeout=30)
    with pytest.raises(KubectlError, match=r"^error: --max=MAXPODS is required and must be at least 1, max: -1$"):
        c.kubectl("autoscale deployment web --cpu-percent=50")
    with pytest.raises(KubectlError, match="^error: --max=MAXPODS must be larger or equal to --min=MINPODS, "
                                           "max: 2, min: 3$"):
        c.kubectl("autoscale deployment web --min=3 --max=2")
    assert c.kubectl("autoscale deployment web --cpu-percent=50 --min=2 --max=5") == \
        "horizontalpodautoscaler.autoscaling/web autoscaled\n"
    hpa = c.get("hpa/web")
    assert hpa["spec"]["scaleTargetRef"] == {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
    table = eventually(lambda: (lambda t: t if "<unknown>" not in t else None)(c.kubectl("get hpa")),
                       what="a measured utilization")
    header, row = table.splitlines()
    assert header.split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert header.startswith("NAME   REFERENCE        TARGETS   ")
    assert row.split()[:3] == ["web", "Deployment/web", "cpu:"] and row.split()[3].endswith("%/50%")
    assert row.split()[4:6] == ["2", "5"] and 2 <= int(row.split()[6]) <= 5
    described = c.kubectl("describe hpa web").splitlines()
    assert described[5].split() == ["Reference:", "Deployment/web"]
    assert described[6].split() == ["Metrics:", "(", "current", "/", "target", ")"]
    assert re.fullmatch(r"  resource cpu on pods  \(as a percentage of request\):  \d+% \(\d+m?\) / 50%",
                        described[7]), described[7]
    assert described[8].split() == ["Min", "replicas:", "2"] and described[9].split() == ["Max", "replicas:", "5"]
    assert re.fullmatch(r"Deployment pods: +\d current / \d desired", described[10]), described[10]
    assert described[11] == "Conditions:" and described[12].split() == ["Type", "Status", "Reason", "Message"]
    c.delete("hpa/web")
