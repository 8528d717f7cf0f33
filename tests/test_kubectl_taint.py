"""kubectl taint: add, overwrite and remove a node's taints in kubectl 1.32's words, and the
scheduler obeys the result."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from k8sedu import Cluster
from k8sedu.errors import KubectlError


@pytest.fixture(scope="module")
def c() -> Iterator[Cluster]:
    cluster = Cluster(nodes=2, runtime="sim", progress=False).start()
    yield cluster
    cluster.stop()


def taints(c: Cluster, node: str) -> list[dict]:
    return c.get(f"node/{node}")["spec"].get("taints") or []


def test_add_overwrite_and_remove(c: Cluster) -> None:
    assert c.kubectl("taint nodes node-2 dedicated=gpu:NoSchedule") == "node/node-2 tainted\n"
    assert taints(c, "node-2") == [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    with pytest.raises(KubectlError, match="error: node node-2 already has dedicated taint\\(s\\) with same "
                                           "effect\\(s\\) and --overwrite is false"):
        c.kubectl("taint nodes node-2 dedicated=cpu:NoSchedule")
    assert taints(c, "node-2")[0]["value"] == "gpu"  # refused: nothing changed
    assert c.kubectl("taint node node-2 dedicated=cpu:NoSchedule --overwrite") == "node/node-2 modified\n"
    assert c.kubectl("taint no node-2 dedicated:PreferNoSchedule") == "node/node-2 tainted\n"
    assert {(t["key"], t["effect"]) for t in taints(c, "node-2")} == {("dedicated", "NoSchedule"),
                                                                      ("dedicated", "PreferNoSchedule")}
    assert c.kubectl("taint node node-2 dedicated:NoSchedule-") == "node/node-2 untainted\n"
    assert [t["effect"] for t in taints(c, "node-2")] == ["PreferNoSchedule"]
    assert c.kubectl("taint node node-2 dedicated-") == "node/node-2 untainted\n"
    assert taints(c, "node-2") == []
    with pytest.raises(KubectlError, match='error: taint "dedicated" not found'):
        c.kubectl("taint node node-2 dedicated-")


def test_no_execute_taint_records_when_it_was_added(c: Cluster) -> None:
    c.kubectl("taint node node-1 maintenance=yes:NoExecute")
    try:
        (t,) = taints(c, "node-1")
        assert t["effect"] == "NoExecute" and t["timeAdded"].endswith("Z")
    finally:
        c.kubectl("taint node node-1 maintenance-")


@pytest.mark.parametrize(("command", "message"), [
    ("taint node node-1 a=b:Bad", "error: invalid taint spec: a=b:Bad, invalid taint effect: Bad, unsupported taint effect"),
    ("taint node node-1", "error: at least one taint update is required"),
    ("taint pod x a=b:NoSchedule", 'error: invalid resource type pod, only ["node" "nodes"] are supported'),
    ("taint node a=b:NoSchedule", "error: at least one resource name must be specified since 'all' parameter is not set"),
    ("taint node node-1 a=b:NoSchedule a-", "error: can not both modify and remove the following taint(s) in the "
                                            'same command: {"a":""}'),
    ("taint node nope a=b:NoSchedule", 'Error from server (NotFound): nodes "nope" not found'),
])
def test_bad_input_changes_nothing(c: Cluster, command: str, message: str) -> None:
    before = taints(c, "node-1")
    with pytest.raises(KubectlError) as err:
        c.kubectl(command)
    assert str(err.value) == message
    assert taints(c, "node-1") == before


def test_the_scheduler_keeps_untolerating_pods_off_a_tainted_node(c: Cluster) -> None:
    c.kubectl("taint node node-2 dedicated=gpu:NoSchedule")
    try:
        c.kubectl("create deployment t --image=k8sedu/web:v1 --replicas=4")
        c.wait("deployment/t", "Available", timeout=60)
        assert {p["spec"]["nodeName"] for p in c.get("pods", selector="app=t")} == {"node-1"}
    finally:
        c.kubectl("delete deployment t")
        c.kubectl("taint node node-2 dedicated-")
