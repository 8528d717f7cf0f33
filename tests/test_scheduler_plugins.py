"""Each scheduler plugin on handcrafted NodeInfos: exact reasons, codes and scores (worked by hand)."""

from __future__ import annotations

from typing import Any

import pytest

from k8sedu.scheduler.framework import Code, CycleState, NodeInfo, Snapshot, Status
from k8sedu.scheduler.plugins import (
    ImageLocality,
    InterPodAffinity,
    NodeAffinity,
    NodeName,
    NodePorts,
    NodeResourcesBalancedAllocation,
    NodeResourcesFit,
    NodeUnschedulable,
    PodTopologySpread,
    TaintToleration,
)
from k8sedu.scheduler.plugins.helpers import requirement_matches, tolerates

Mi = 1024 * 1024


def node(name: str = "node-1", cpu: str = "2", memory: str = "4Gi", pods: str = "110",
         labels: dict[str, str] | None = None, taints: list[dict[str, Any]] | None = None,
         unschedulable: bool = False, images: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    status: dict[str, Any] = {"allocatable": {"cpu": cpu, "memory": memory, "pods": pods}}
    if images:
        status["images"] = images
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "spec": spec, "status": status}


def pod(name: str = "p", cpu: str | None = None, memory: str | None = None, node_name: str | None = None,
        labels: dict[str, str] | None = None, image: str = "nginx", **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": image}
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    if requests:
        container["resources"] = {"requests": requests}
    body: dict[str, Any] = {"containers": [container], **spec}
    if node_name:
        body["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}", "labels": labels or {}},
            "spec": body}


def run_filter(plugin: Any, p: dict[str, Any], n: NodeInfo, snapshot: Snapshot | None = None) -> Status:
    state = CycleState()
    if hasattr(plugin, "pre_filter"):
        _, status = plugin.pre_filter(state, p, snapshot or Snapshot([n]))
        if status.is_skip:
            return Status(Code.SKIP)
        if not status.is_success:
            return status
    return plugin.filter(state, p, n)


def run_score(plugin: Any, p: dict[str, Any], nodes: list[NodeInfo],
              snapshot: Snapshot | None = None) -> tuple[dict[str, int], dict[str, int]] | None:
    """(raw, normalized) per node, or None when PreScore skips."""
    state = CycleState()
    if hasattr(plugin, "pre_score"):
        if plugin.pre_score(state, p, nodes, snapshot or Snapshot(nodes)).is_skip:
            return None
    raw = {n.name: plugin.score(state, p, n) for n in nodes}
    norm = plugin.normalize_score(state, p, dict(raw)) if hasattr(plugin, "normalize_score") else dict(raw)
    return raw, norm


# -- NodeUnschedulable / NodeName ----------------------------------------------------------------------
def test_node_unschedulable_rejects_cordoned_node_for_good() -> None:
    st = run_filter(NodeUnschedulable(), pod(), NodeInfo(node(unschedulable=True)))
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert st.reasons == ("node(s) were unschedulable",)
    assert run_filter(NodeUnschedulable(), pod(), NodeInfo(node())).is_success


def test_node_unschedulable_honours_the_unschedulable_toleration() -> None:
    tol = [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]
    assert run_filter(NodeUnschedulable(), pod(tolerations=tol), NodeInfo(node(unschedulable=True))).is_success
    wrong_effect = [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoExecute"}]
    assert not run_filter(NodeUnschedulable(), pod(tolerations=wrong_effect), NodeInfo(node(unschedulable=True))).is_success


def test_node_name() -> None:
    assert run_filter(NodeName(), pod(), NodeInfo(node("node-1"))).is_success
    assert run_filter(NodeName(), pod(node_name="node-1"), NodeInfo(node("node-1"))).is_success
    st = run_filter(NodeName(), pod(node_name="node-2"), NodeInfo(node("node-1")))
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ("node(s) didn't match the requested node name",))


# -- TaintToleration -----------------------------------------------------------------------------------
CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


@pytest.mark.parametrize(("toleration", "taint", "expected"), [
    ({"key": "k", "operator": "Equal", "value": "v", "effect": "NoSchedule"}, {"key": "k", "value": "v", "effect": "NoSchedule"}, True),
    ({"key": "k", "value": "v"}, {"key": "k", "value": "v", "effect": "NoExecute"}, True),  # no operator = Equal, no effect = all
    ({"key": "k", "operator": "Equal", "value": "x"}, {"key": "k", "value": "v", "effect": "NoSchedule"}, False),
    ({"key": "k", "operator": "Exists"}, {"key": "k", "value": "anything", "effect": "NoSchedule"}, True),
    ({"operator": "Exists"}, {"key": "any", "value": "v", "effect": "NoExecute"}, True),  # tolerates everything
    ({"key": "k", "operator": "Exists", "effect": "NoExecute"}, {"key": "k", "effect": "NoSchedule"}, False),
    ({"key": "other", "operator": "Exists"}, {"key": "k", "effect": "NoSchedule"}, False),
])
def test_toleration_matching(toleration: dict[str, Any], taint: dict[str, Any], expected: bool) -> None:
    assert tolerates(toleration, taint) is expected


def test_taint_filter_reports_first_untolerated_taint_with_key_and_value() -> None:
    n = NodeInfo(node(taints=[{"key": "soft", "value": "x", "effect": "PreferNoSchedule"},
                              {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
                              CONTROL_PLANE]))
    st = run_filter(TaintToleration(), pod(), n)
    assert st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE
    assert st.reasons == ("node(s) had untolerated taint {dedicated: gpu}",)  # PreferNoSchedule is not a filter
    tol = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    st = run_filter(TaintToleration(), pod(tolerations=tol), n)
    assert st.reasons == ("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",)
    tol.append({"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"})
    assert run_filter(TaintToleration(), pod(tolerations=tol), n).is_success


def test_taint_filter_noexecute_counts_prefer_no_schedule_does_not() -> None:
    assert not run_filter(TaintToleration(), pod(), NodeInfo(node(taints=[{"key": "k", "effect": "NoExecute"}]))).is_success
    assert run_filter(TaintToleration(), pod(), NodeInfo(node(taints=[{"key": "k", "effect": "PreferNoSchedule"}]))).is_success


def test_taint_score_fewer_intolerable_prefer_no_schedule_taints_is_better() -> None:
    soft = lambda k: {"key": k, "effect": "PreferNoSchedule"}  # noqa: E731
    nodes = [NodeInfo(node("n0")), NodeInfo(node("n1", taints=[soft("a")])),
             NodeInfo(node("n2", taints=[soft("a"), soft("b"), {"key": "hard", "effect": "NoSchedule"}]))]
    result = run_score(TaintToleration(), pod(), nodes)
    assert result is not None
    raw, norm = result
    assert raw == {"n0": 0, "n1": 1, "n2": 2}
    assert norm == {"n0": 100, "n1": 50, "n2": 0}  # reversed: 100 - 100*count/max
    tolerant = pod(tolerations=[{"key": "a", "operator": "Exists", "effect": "PreferNoSchedule"}])
    raw, norm = run_score(TaintToleration(), tolerant, nodes)  # type: ignore[misc]
    assert raw == {"n0": 0, "n1": 0, "n2": 1}
    assert norm == {"n0": 100, "n1": 100, "n2": 0}
    # a toleration with effect NoSchedule does not count for PreferNoSchedule taints
    wrong = pod(tolerations=[{"key": "a", "operator": "Exists", "effect": "NoSchedule"}])
    assert run_score(TaintToleration(), wrong, nodes)[0] == {"n0": 0, "n1": 1, "n2": 2}  # type: ignore[index]


def test_taint_score_all_zero_normalizes_to_100() -> None:
    raw, norm = run_score(TaintToleration(), pod(), [NodeInfo(node("a")), NodeInfo(node("b"))])  # type: ignore[misc]
    assert norm == {"a": 100, "b": 100}


# -- NodeAffinity ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("req", "labels", "expected"), [
    ({"key": "zone", "operator": "In", "values": ["a", "b"]}, {"zone": "b"}, True),
    ({"key": "zone", "operator": "In", "values": ["a"]}, {"zone": "c"}, False),
    ({"key": "zone", "operator": "In", "values": ["a"]}, {}, False),
    ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {"zone": "c"}, True),
    ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {}, True),  # a missing label is "not in"
    ({"key": "zone", "operator": "NotIn", "values": ["a"]}, {"zone": "a"}, False),
    ({"key": "gpu", "operator": "Exists"}, {"gpu": ""}, True),
    ({"key": "gpu", "operator": "Exists"}, {}, False),
    ({"key": "gpu", "operator": "DoesNotExist"}, {}, True),
    ({"key": "gpu", "operator": "DoesNotExist"}, {"gpu": "1"}, False),
    ({"key": "cores", "operator": "Gt", "values": ["4"]}, {"cores": "8"}, True),
    ({"key": "cores", "operator": "Gt", "values": ["8"]}, {"cores": "8"}, False),
    ({"key": "cores", "operator": "Lt", "values": ["8"]}, {"cores": "4"}, True),
    ({"key": "cores", "operator": "Lt", "values": ["8"]}, {"cores": "many"}, False),  # not an integer
    ({"key": "cores", "operator": "Gt", "values": ["4"]}, {}, False),
])
def test_node_selector_operators(req: dict[str, Any], labels: dict[str, str], expected: bool) -> None:
    assert requirement_matches(req, labels) is expected


def affinity(required_terms: list[dict[str, Any]] | None = None,
             preferred: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    na: dict[str, Any] = {}
    if required_terms is not None:
        na["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": required_terms}
    if preferred is not None:
        na["preferredDuringSchedulingIgnoredDuringExecution"] = preferred
    return {"nodeAffinity": na}


def test_node_affinity_filter_node_selector_and_required_terms() -> None:
    ssd = NodeInfo(node("ssd", labels={"disktype": "ssd", "zone": "a"}))
    hdd = NodeInfo(node("hdd", labels={"disktype": "hdd", "zone": "b"}))
    assert run_filter(NodeAffinity(), pod(), hdd).is_skip  # nothing to check: PreFilter skips
    p = pod(nodeSelector={"disktype": "ssd"})
    assert run_filter(NodeAffinity(), p, ssd).is_success
    st = run_filter(NodeAffinity(), p, hdd)
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ("node(s) didn't match Pod's node affinity/selector",))
    # terms are ORed, requirements in a term ANDed; nodeSelector AND affinity
    p = pod(affinity=affinity([
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]},
                              {"key": "disktype", "operator": "In", "values": ["hdd"]}]},
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["b"]}]},
    ]))
    assert not run_filter(NodeAffinity(), p, ssd).is_success
    assert run_filter(NodeAffinity(), p, hdd).is_success
    p["spec"]["nodeSelector"] = {"disktype": "ssd"}
    assert not run_filter(NodeAffinity(), p, hdd).is_success
    # an empty term matches nothing
    assert not run_filter(NodeAffinity(), pod(affinity=affinity([{}])), ssd).is_success


def test_node_affinity_match_fields_narrows_nodes_at_prefilter() -> None:
    p = pod(affinity=affinity([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["hdd"]}]}]))
    state = CycleState()
    snap = Snapshot([NodeInfo(node("ssd")), NodeInfo(node("hdd"))])
    result, status = NodeAffinity().pre_filter(state, p, snap)
    assert status.is_success and result is not None and result.node_names == frozenset({"hdd"})
    assert NodeAffinity().filter(state, p, snap.get("hdd")).is_success  # type: ignore[arg-type]
    assert not NodeAffinity().filter(state, p, snap.get("ssd")).is_success  # type: ignore[arg-type]


def test_node_affinity_score_sums_preferred_weights_normalized_to_100() -> None:
    p = pod(affinity=affinity(preferred=[
        {"weight": 20, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}},
        {"weight": 60, "preference": {"matchExpressions": [{"key": "disktype", "operator": "In", "values": ["ssd"]}]}},
    ]))
    nodes = [NodeInfo(node("both", labels={"zone": "a", "disktype": "ssd"})),
             NodeInfo(node("ssd", labels={"zone": "b", "disktype": "ssd"})),
             NodeInfo(node("zone-a", labels={"zone": "a"})),
             NodeInfo(node("none"))]
    raw, norm = run_score(NodeAffinity(), p, nodes)  # type: ignore[misc]
    assert raw == {"both": 80, "ssd": 60, "zone-a": 20, "none": 0}
    assert norm == {"both": 100, "ssd": 75, "zone-a": 25, "none": 0}
    assert run_score(NodeAffinity(), pod(), nodes) is None  # no preferred terms: PreScore skips


# -- NodePorts ---------------------------------------------------------------------------------------------
def port_pod(name: str, host_port: int, node_name: str | None = None, ip: str | None = None,
             protocol: str | None = None) -> dict[str, Any]:
    p = pod(name, node_name=node_name)
    port: dict[str, Any] = {"containerPort": 80, "hostPort": host_port}
    if ip:
        port["hostIP"] = ip
    if protocol:
        port["protocol"] = protocol
    p["spec"]["containers"][0]["ports"] = [port]
    return p


def test_node_ports() -> None:
    n = NodeInfo(node(), [port_pod("old", 8080, "node-1")])
    st = run_filter(NodePorts(), port_pod("new", 8080), n)
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE, ("node(s) didn't have free ports for the requested pod ports",))
    assert run_filter(NodePorts(), port_pod("new", 8081), n).is_success
    assert run_filter(NodePorts(), port_pod("new", 8080, protocol="UDP"), n).is_success
    assert not run_filter(NodePorts(), port_pod("new", 8080, ip="10.0.0.1"), n).is_success  # 0.0.0.0 covers all
    n2 = NodeInfo(node(), [port_pod("old", 8080, "node-1", ip="10.0.0.1")])
    assert run_filter(NodePorts(), port_pod("new", 8080, ip="10.0.0.2"), n2).is_success
    assert not run_filter(NodePorts(), port_pod("new", 8080), n2).is_success
    assert run_filter(NodePorts(), pod(), n).is_skip  # no host ports: PreFilter skips


# -- NodeResourcesFit --------------------------------------------------------------------------------------
def test_fit_filter_reasons() -> None:
    n = NodeInfo(node(cpu="2", memory="4Gi", pods="2"), [pod("a", cpu="1500m", memory="3Gi", node_name="node-1")])
    assert run_filter(NodeResourcesFit(), pod(cpu="500m", memory="1Gi"), n).is_success  # exactly full is fine
    st = run_filter(NodeResourcesFit(), pod(cpu="501m", memory="1Gi"), n)
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE, ("Insufficient cpu",))
    st = run_filter(NodeResourcesFit(), pod(cpu="1", memory="2Gi"), n)
    assert st.reasons == ("Insufficient cpu", "Insufficient memory")
    full = NodeInfo(node(pods="1"), [pod("a", node_name="node-1")])
    st = run_filter(NodeResourcesFit(), pod(cpu="100"), full)
    assert st.reasons == ("Too many pods", "Insufficient cpu")
    assert st.code == Code.UNSCHEDULABLE  # preemption could free room: not Unresolvable (v1.32)
    # a Pod without requests fits any node with a free Pod slot, however full its cpu
    assert run_filter(NodeResourcesFit(), pod(), NodeInfo(node(cpu="1"), [pod("a", cpu="1", node_name="node-1")])).is_success


def test_fit_filter_counts_limits_as_requests_and_extended_resources() -> None:
    p = pod()
    p["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "3", "nvidia.com/gpu": "1"}}
    st = run_filter(NodeResourcesFit(), p, NodeInfo(node(cpu="2")))
    assert st.reasons == ("Insufficient cpu", "Insufficient nvidia.com/gpu")


def test_least_allocated_score_by_hand() -> None:
    # node 4 cpu / 8Gi with a Pod of 1 cpu / 2Gi; incoming 1 cpu / 2Gi → 2000/4000 and 4Gi/8Gi used
    # cpu (4000-2000)*100/4000 = 50, memory 50 → (50+50)/2 = 50
    n = NodeInfo(node(cpu="4", memory="8Gi"), [pod("a", cpu="1", memory="2Gi", node_name="node-1")])
    empty = NodeInfo(node("node-2", cpu="4", memory="8Gi"))
    raw, _ = run_score(NodeResourcesFit(), pod(cpu="1", memory="2Gi"), [n, empty])  # type: ignore[misc]
    # empty node: cpu (4000-1000)*100/4000 = 75, memory (8-2)*100/8 = 75
    assert raw == {"node-1": 50, "node-2": 75}


def test_least_allocated_counts_missing_requests_as_100m_200mi() -> None:
    # node 1 cpu / 1Gi, Pod without requests: cpu (1000-100)*100/1000 = 90,
    # memory (1024Mi-200Mi)*100/1024Mi = 80.47 → 80; (90+80)//2 = 85
    raw, _ = run_score(NodeResourcesFit(), pod(), [NodeInfo(node(cpu="1", memory="1Gi"))])  # type: ignore[misc]
    assert raw == {"node-1": 85}
    # the same for a Pod already there without requests (non-zero requested), and the incoming one
    # asking 400m/312Mi: cpu (1000-500)*100/1000 = 50, memory (1024-512)*100/1024 = 50
    n = NodeInfo(node(cpu="1", memory="1Gi"), [pod("a", node_name="node-1")])
    raw, _ = run_score(NodeResourcesFit(), pod(cpu="400m", memory="312Mi"), [n])  # type: ignore[misc]
    assert raw == {"node-1": 50}


def test_least_allocated_overcommitted_resource_scores_zero() -> None:
    n = NodeInfo(node(cpu="1", memory="1Gi"), [pod("a", cpu="1", node_name="node-1")])
    raw, _ = run_score(NodeResourcesFit(), pod(cpu="500m", memory="512Mi"), [n])  # type: ignore[misc]
    # cpu: 1000 + 500 = 1500 > 1000 → 0. memory: the first Pod asks none, so it counts as 200Mi:
    # 200Mi + 512Mi = 712Mi → (1024-712)*100/1024 = 30.47 → 30. (0 + 30) // 2 = 15
    assert raw == {"node-1": 15}


def test_most_allocated_strategy() -> None:
    plugin = NodeResourcesFit({"scoringStrategy": {"type": "MostAllocated"}})
    n = NodeInfo(node(cpu="4", memory="8Gi"), [pod("a", cpu="1", memory="2Gi", node_name="node-1")])
    raw, _ = run_score(plugin, pod(cpu="1", memory="2Gi"), [n])  # type: ignore[misc]
    assert raw == {"node-1": 50}
    raw, _ = run_score(plugin, pod(cpu="1", memory="2Gi"), [NodeInfo(node(cpu="4", memory="8Gi"))])  # type: ignore[misc]
    assert raw == {"node-1": 25}


# -- NodeResourcesBalancedAllocation ---------------------------------------------------------------------------
def test_balanced_allocation_by_hand() -> None:
    plugin = NodeResourcesBalancedAllocation()
    # existing 1500m / 1Gi, incoming 500m / 1Gi on 4 cpu / 8Gi: cpu 0.5, memory 0.25
    # std = |0.5 - 0.25| / 2 = 0.125 → (1 - 0.125) * 100 = 87.5 → 87
    n = NodeInfo(node(cpu="4", memory="8Gi"), [pod("a", cpu="1500m", memory="1Gi", node_name="node-1")])
    raw, _ = run_score(plugin, pod(cpu="500m", memory="1Gi"), [n])  # type: ignore[misc]
    assert raw == {"node-1": 87}
    # 80% cpu, 20% memory: std 0.3 → 70
    n = NodeInfo(node(cpu="10", memory="10Gi"), [pod("a", cpu="8", memory="2Gi", node_name="node-1")])
    assert run_score(plugin, pod(), [n])[0] == {"node-1": 70}  # type: ignore[index]
    # no requests anywhere: fractions 0 and 0 → 100 (no 100m/200Mi defaults here)
    assert run_score(plugin, pod(), [NodeInfo(node())])[0] == {"node-1": 100}  # type: ignore[index]
    # fractions are capped at 1: cpu 3/2 → 1, memory 0 → std 0.5 → 50
    assert run_score(plugin, pod(cpu="3"), [NodeInfo(node(cpu="2"))])[0] == {"node-1": 50}  # type: ignore[index]


# -- ImageLocality ----------------------------------------------------------------------------------------------
def test_image_locality_by_hand() -> None:
    big = [{"names": ["registry.example/app:v1"], "sizeBytes": 300 * Mi}]
    small = [{"names": ["nginx:latest"], "sizeBytes": 20 * Mi}]
    snap = Snapshot.build([node("a", images=big + small), node("b", images=big), node("c")], [])
    p = pod(image="registry.example/app:v1")
    raw, norm = run_score(ImageLocality(), p, snap.node_infos, snap)  # type: ignore[misc]
    # a and b: int(300Mi * 2/3) = 200Mi; 100 * (200Mi - 23Mi) // (1000Mi - 23Mi) = 18
    assert raw == {"a": 18, "b": 18, "c": 0}
    assert norm == raw  # no normalization
    # 20Mi on one node of three: 6.67Mi < the 23Mi threshold → 0; "nginx" means "nginx:latest"
    assert run_score(ImageLocality(), pod(image="nginx"), snap.node_infos, snap)[0] == {"a": 0, "b": 0, "c": 0}  # type: ignore[index]
    huge = [{"names": ["huge:1"], "sizeBytes": 3000 * Mi}]
    snap = Snapshot.build([node("a", images=huge)], [])
    assert run_score(ImageLocality(), pod(image="huge:1"), snap.node_infos, snap)[0] == {"a": 100}  # type: ignore[index]


# -- PodTopologySpread --------------------------------------------------------------------------------------------
def web(name: str, node_name: str) -> dict[str, Any]:
    return pod(name, node_name=node_name, labels={"app": "web"})


def test_topology_spread_do_not_schedule() -> None:
    nodes = [node("node-1"), node("node-2"), node("node-3")]
    snap = Snapshot.build(nodes, [web("w1", "node-1"), web("w2", "node-1"), web("w3", "node-2"), web("w4", "node-3")])
    p = pod("new", labels={"app": "web"}, topologySpreadConstraints=[{
        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "web"}}}])
    plugin, state = PodTopologySpread(), CycleState()
    _, status = plugin.pre_filter(state, p, snap)
    assert status.is_success
    st = plugin.filter(state, p, snap.get("node-1"))  # type: ignore[arg-type]
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE, ("node(s) didn't match pod topology spread constraints",))
    assert plugin.filter(state, p, snap.get("node-2")).is_success  # type: ignore[arg-type]
    unlabeled = NodeInfo({"metadata": {"name": "bare"}, "status": {}})
    st = plugin.filter(state, p, unlabeled)
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE,
                                     ("node(s) didn't match pod topology spread constraints (missing required label)",))


def test_topology_spread_default_constraints_score_a_replicaset_s_pods() -> None:
    owner = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-rs", "uid": "rs", "controller": True}]
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-rs", "namespace": "default"},
          "spec": {"selector": {"matchLabels": {"app": "web"}}}}
    pods = [web("w1", "node-1"), web("w2", "node-1"), web("w3", "node-2")]
    for p in pods:
        p["metadata"]["ownerReferences"] = owner
    snap = Snapshot.build([node("node-1"), node("node-2"), node("node-3")], pods, [rs])
    new = pod("new", labels={"app": "web"})
    new["metadata"]["ownerReferences"] = owner
    raw, norm = run_score(PodTopologySpread(), new, snap.node_infos, snap)  # type: ignore[misc]
    # hostname, maxSkew 3, 3 nodes: weight ln(3+2); raw = round(count * ln 5 + 2)
    assert raw == {"node-1": 5, "node-2": 4, "node-3": 2}  # 2*1.609+2=5.2, 1.609+2=3.6, 2
    # 100 * (max + min - s) / max
    assert norm == {"node-1": 40, "node-2": 60, "node-3": 100}
    assert run_score(PodTopologySpread(), pod("lonely"), snap.node_infos, snap) is None  # no owner: skip


# -- InterPodAffinity ----------------------------------------------------------------------------------------------
def anti_affinity(app: str) -> dict[str, Any]:
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": "kubernetes.io/hostname"}]}}


def test_inter_pod_anti_affinity() -> None:
    snap = Snapshot.build([node("node-1"), node("node-2")], [web("w1", "node-1")])
    p = pod("new", labels={"app": "web"}, affinity=anti_affinity("web"))
    plugin, state = InterPodAffinity(), CycleState()
    assert plugin.pre_filter(state, p, snap)[1].is_success
    st = plugin.filter(state, p, snap.get("node-1"))  # type: ignore[arg-type]
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE, ("node(s) didn't match pod anti-affinity rules",))
    assert plugin.filter(state, p, snap.get("node-2")).is_success  # type: ignore[arg-type]
    # an existing Pod's anti-affinity repels the newcomer too
    guard = pod("guard", node_name="node-2", affinity=anti_affinity("db"))
    snap = Snapshot.build([node("node-1"), node("node-2")], [guard])
    db, state = pod("db", labels={"app": "db"}), CycleState()
    assert plugin.pre_filter(state, db, snap)[1].is_success
    st = plugin.filter(state, db, snap.get("node-2"))  # type: ignore[arg-type]
    assert st.reasons == ("node(s) didn't satisfy existing pods anti-affinity rules",)
    assert plugin.filter(state, db, snap.get("node-1")).is_success  # type: ignore[arg-type]
    # nobody has affinity terms: PreFilter skips
    assert plugin.pre_filter(CycleState(), pod("x"), Snapshot.build([node("node-1")], []))[1].is_skip


def test_inter_pod_affinity_first_pod_of_a_group_may_go_anywhere() -> None:
    aff = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    plugin = InterPodAffinity()
    first = pod("c1", labels={"app": "cache"}, affinity=aff)
    snap = Snapshot.build([node("node-1"), node("node-2")], [])
    state = CycleState()
    plugin.pre_filter(state, first, snap)
    assert plugin.filter(state, first, snap.get("node-1")).is_success  # type: ignore[arg-type]
    snap = Snapshot.build([node("node-1"), node("node-2")], [pod("c0", labels={"app": "cache"}, node_name="node-2")])
    state = CycleState()
    plugin.pre_filter(state, first, snap)
    st = plugin.filter(state, first, snap.get("node-1"))  # type: ignore[arg-type]
    assert (st.code, st.reasons) == (Code.UNSCHEDULABLE_AND_UNRESOLVABLE, ("node(s) didn't match pod affinity rules",))
    assert plugin.filter(state, first, snap.get("node-2")).is_success  # type: ignore[arg-type]


def test_inter_pod_preferred_affinity_score() -> None:
    pref = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "db"}},
                                           "topologyKey": "kubernetes.io/hostname"}}]}}
    snap = Snapshot.build([node("node-1"), node("node-2"), node("node-3")],
                          [pod("db1", labels={"app": "db"}, node_name="node-2"),
                           pod("db2", labels={"app": "db"}, node_name="node-2"),
                           pod("db3", labels={"app": "db"}, node_name="node-3")])
    raw, norm = run_score(InterPodAffinity(), pod("app", affinity=pref), snap.node_infos, snap)  # type: ignore[misc]
    assert raw == {"node-1": 0, "node-2": 20, "node-3": 10}
    assert norm == {"node-1": 0, "node-2": 100, "node-3": 50}
