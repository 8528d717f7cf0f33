"""The apiserver: CRUD, conflicts, graceful deletion, finalizers, RBAC, admission, watch, flow."""

from __future__ import annotations

import pytest

from k8sedu.apiserver import ADMIN, ANONYMOUS, APIServer, UserInfo
from k8sedu.clock import FakeClock
from k8sedu.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    Unauthorized,
)


def deployment(name: str = "web", replicas: int = 3, **extra: object) -> dict:
    d = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]},
            },
        },
    }
    d.update(extra)
    return d


def pod(name: str = "p", node: str | None = None, labels: dict | None = None) -> dict:
    p = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox"}]},
    }
    if node:
        p["spec"]["nodeName"] = node
    return p


@pytest.fixture
def api() -> APIServer:
    return APIServer(clock=FakeClock())


def test_create_fills_metadata_defaults_and_clears_status(api: APIServer) -> None:
    d = deployment(status={"replicas": 99, "availableReplicas": 99})
    out = api.create(ADMIN, "deployments", d)
    md = out["metadata"]
    assert md["namespace"] == "default" and md["uid"] and md["generation"] == 1
    assert int(md["resourceVersion"]) == api.revision
    assert out["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted
    assert out["status"] == {}  # users cannot write status on create
    got = api.get(ADMIN, "deploy", "web", "default")
    assert got == out


def test_pod_status_starts_pending_whatever_the_client_sent(api: APIServer) -> None:
    p = pod()
    p["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    out = api.create(ADMIN, "pods", p)
    assert out["status"]["phase"] == "Pending"
    assert "conditions" not in out["status"]
    assert out["spec"]["serviceAccountName"] == "default"
    assert {t["key"] for t in out["spec"]["tolerations"]} == {
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    }


def test_already_exists_and_not_found_messages(api: APIServer) -> None:
    api.create(ADMIN, "deployments", deployment())
    with pytest.raises(AlreadyExists, match='deployments.apps "web" already exists'):
        api.create(ADMIN, "deployments", deployment())
    with pytest.raises(NotFound, match='pods "nope" not found'):
        api.get(ADMIN, "pods", "nope", "default")


def test_invalid_objects_change_nothing(api: APIServer) -> None:
    rev = api.revision
    with pytest.raises(Invalid) as err:
        api.create(ADMIN, "deployments", deployment(replicas=-1))
    assert str(err.value) == (
        'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    )
    with pytest.raises(Invalid, match="metadata.name"):
        api.create(ADMIN, "pods", pod(name="Bad_Name"))
    assert api.revision == rev
    assert api.list(ADMIN, "deployments", "default")["items"] == []


def test_generate_name(api: APIServer) -> None:
    p = pod()
    del p["metadata"]["name"]
    p["metadata"]["generateName"] = "web-"
    out = api.create(ADMIN, "pods", p)
    assert out["metadata"]["name"].startswith("web-") and len(out["metadata"]["name"]) == 9


def test_stale_resource_version_is_a_conflict(api: APIServer) -> None:
    first = api.create(ADMIN, "deployments", deployment())
    second = dict(first, spec=dict(first["spec"], replicas=5))
    api.update(ADMIN, "deployments", second)
    stale = dict(first, spec=dict(first["spec"], replicas=7))
    with pytest.raises(Conflict) as err:
        api.update(ADMIN, "deployments", stale)
    assert err.value.code == 409
    assert "the object has been modified" in str(err.value)
    assert api.get(ADMIN, "deployments", "web", "default")["spec"]["replicas"] == 5


def test_update_bumps_generation_only_on_spec_change_and_noop_keeps_rv(api: APIServer) -> None:
    d = api.create(ADMIN, "deployments", deployment())
    same = api.update(ADMIN, "deployments", d)
    assert same["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]
    labelled = api.patch(ADMIN, "deployments", "web", {"metadata": {"labels": {"tier": "fe"}}}, "default")
    assert labelled["metadata"]["generation"] == 1
    scaled = api.patch(ADMIN, "deployments", "web", {"spec": {"replicas": 4}}, "default")
    assert scaled["metadata"]["generation"] == 2


def test_status_subresource_writes_only_status(api: APIServer) -> None:
    d = api.create(ADMIN, "deployments", deployment())
    d["status"] = {"replicas": 3}
    d["spec"]["replicas"] = 10
    out = api.update(ADMIN, "deployments", d, subresource="status")
    assert out["status"] == {"replicas": 3} and out["spec"]["replicas"] == 3
    # and the main resource ignores status
    out["status"] = {"replicas": 1}
    out2 = api.update(ADMIN, "deployments", out)
    assert out2["status"] == {"replicas": 3}


def test_patch_kinds(api: APIServer) -> None:
    api.create(ADMIN, "deployments", deployment())
    sm = api.patch(
        ADMIN, "deployments", "web",
        {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "k8sedu/web:v2"}]}}}},
        "default", patch_type="strategic",
    )
    assert sm["spec"]["template"]["spec"]["containers"][0]["image"] == "k8sedu/web:v2"
    assert sm["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    jp = api.patch(ADMIN, "deployments", "web", [{"op": "replace", "path": "/spec/replicas", "value": 2}],
                   "default", patch_type="json")
    assert jp["spec"]["replicas"] == 2
    scale = api.patch(ADMIN, "deployments", "web", {"spec": {"replicas": 6}}, "default", subresource="scale")
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 6
    with pytest.raises(Invalid):
        api.patch(ADMIN, "deployments", "web", {"spec": {"replicas": -2}}, "default")


def test_namespace_must_exist(api: APIServer) -> None:
    with pytest.raises(NotFound, match='namespaces "nowhere" not found'):
        api.create(ADMIN, "pods", pod(), namespace="nowhere")
    api.create(ADMIN, "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    assert api.create(ADMIN, "pods", pod(), namespace="team-a")["metadata"]["namespace"] == "team-a"
    with pytest.raises(BadRequest):
        p = pod()
        p["metadata"]["namespace"] = "default"
        api.create(ADMIN, "pods", p, namespace="team-a")


def test_graceful_deletion_of_a_bound_pod(api: APIServer) -> None:
    api.create(ADMIN, "pods", pod(node="node-1"))
    out = api.delete(ADMIN, "pods", "p", "default")
    assert out["metadata"]["deletionTimestamp"] and out["metadata"]["deletionGracePeriodSeconds"] == 30
    assert api.get(ADMIN, "pods", "p", "default")  # still there while the kubelet stops it
    api.delete(ADMIN, "pods", "p", "default", grace_period_seconds=0)  # the kubelet's final delete
    with pytest.raises(NotFound):
        api.get(ADMIN, "pods", "p", "default")


def test_unscheduled_pod_goes_at_once(api: APIServer) -> None:
    api.create(ADMIN, "pods", pod())
    api.delete(ADMIN, "pods", "p", "default")
    with pytest.raises(NotFound):
        api.get(ADMIN, "pods", "p", "default")


def test_finalizers_hold_deletion_until_removed(api: APIServer) -> None:
    d = deployment()
    d["metadata"]["finalizers"] = ["example.com/keep"]
    api.create(ADMIN, "deployments", d)
    api.delete(ADMIN, "deployments", "web", "default")
    held = api.get(ADMIN, "deployments", "web", "default")
    assert held["metadata"]["deletionTimestamp"]
    held["metadata"]["finalizers"] = []
    api.update(ADMIN, "deployments", held)
    with pytest.raises(NotFound):
        api.get(ADMIN, "deployments", "web", "default")


def test_propagation_policies_add_gc_finalizers(api: APIServer) -> None:
    api.create(ADMIN, "deployments", deployment("a"))
    api.create(ADMIN, "deployments", deployment("b"))
    a = api.delete(ADMIN, "deployments", "a", "default", propagation_policy="Foreground")
    b = api.delete(ADMIN, "deployments", "b", "default", propagation_policy="Orphan")
    assert a["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert b["metadata"]["finalizers"] == ["orphan"]


def test_owner_references_are_kept(api: APIServer) -> None:
    d = api.create(ADMIN, "deployments", deployment())
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-abc",
            "labels": {"app": "web"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                 "uid": d["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": d["spec"] | {"replicas": 1},
    }
    rs["spec"].pop("strategy", None)
    rs["spec"].pop("progressDeadlineSeconds", None)
    rs["spec"].pop("revisionHistoryLimit", None)
    out = api.create(ADMIN, "replicasets", rs)
    assert out["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]


def test_anonymous_is_refused_and_rbac_decides(api: APIServer) -> None:
    with pytest.raises(Unauthorized):
        api.list(ANONYMOUS, "pods", "default")
    alice = UserInfo("alice")
    with pytest.raises(Forbidden) as err:
        api.list(alice, "pods", "default")
    assert str(err.value) == (
        'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"'
    )
    api.create(ADMIN, "roles", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "pod-reader", "namespace": "default"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
    })
    api.create(ADMIN, "rolebindings", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "alice-reads", "namespace": "default"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
        "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}],
    })
    assert api.list(alice, "pods", "default")["items"] == []
    with pytest.raises(Forbidden, match='cannot create resource "pods"'):
        api.create(alice, "pods", pod())
    with pytest.raises(Forbidden, match='in the namespace "kube-system"'):
        api.list(alice, "pods", "kube-system")
    with pytest.raises(Forbidden, match="at the cluster scope"):
        api.list(alice, "nodes")


def test_binding_sets_node_once(api: APIServer) -> None:
    api.create(ADMIN, "pods", pod())
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"},
               "target": {"kind": "Node", "name": "node-2"}}
    api.create(ADMIN, "pods", binding, "default", subresource="binding")
    bound = api.get(ADMIN, "pods", "p", "default")
    assert bound["spec"]["nodeName"] == "node-2"
    assert {"type": "PodScheduled", "status": "True"}.items() <= bound["status"]["conditions"][0].items()
    with pytest.raises(Conflict, match='already assigned to node "node-2"'):
        api.create(ADMIN, "pods", binding, "default", subresource="binding")


def test_watch_from_revision_with_selector_sees_objects_enter_and_leave(api: APIServer) -> None:
    start = api.list(ADMIN, "pods", "default")["metadata"]["resourceVersion"]
    w = api.watch(ADMIN, "pods", "default", resource_version=start, field_selector="spec.nodeName=node-1")
    api.create(ADMIN, "pods", pod("a"))
    api.create(ADMIN, "pods", {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "a"},
                               "target": {"name": "node-1"}}, "default", subresource="binding")
    e = w.next(1)
    assert (e.type, e.object["metadata"]["name"]) == ("ADDED", "a")  # entered the view by binding
    api.delete(ADMIN, "pods", "a", "default", grace_period_seconds=0)
    e = w.next(1)
    assert e.type == "DELETED" and int(e.object["metadata"]["resourceVersion"]) == api.revision
    w.stop()


def test_watch_without_revision_starts_with_current_objects(api: APIServer) -> None:
    api.create(ADMIN, "pods", pod("a"))
    w = api.watch(ADMIN, "pods", "default")
    assert w.next(1).type == "ADDED"
    api.create(ADMIN, "pods", pod("b"))
    e = w.next(1)
    assert e.type == "ADDED" and e.object["metadata"]["name"] == "b"
    w.stop()


def test_watch_from_a_compacted_revision_is_gone(api: APIServer) -> None:
    old = api.create(ADMIN, "pods", pod("a"))["metadata"]["resourceVersion"]
    api.create(ADMIN, "pods", pod("b"))
    api.create(ADMIN, "pods", pod("c"))
    api.store.compact(api.revision)  # keeps only c's revision: the change right after `old` is gone
    with pytest.raises(Gone, match="too old resource version"):
        api.watch(ADMIN, "pods", "default", resource_version=old)


def test_every_request_is_a_flow_event(api: APIServer) -> None:
    seq = api.flow.events()[-1].seq
    api.create(ADMIN, "deployments", deployment(), agent="kubectl")
    events = api.flow.events(seq)
    assert [(e.src, e.dst) for e in events] == [("kubectl", "apiserver"), ("apiserver", "etcd")]
    assert events[0].action == "POST /apis/apps/v1/namespaces/default/deployments"
    assert events[1].action == "PUT /registry/deployments/default/web"
    assert events[1].revision == api.revision


def test_real_etcd_keys(api: APIServer) -> None:
    api.create(ADMIN, "nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}})
    assert api.store.get("/registry/minions/node-1") is not None
    assert api.store.get("/registry/namespaces/default") is not None


def test_undecodable_objects_are_bad_requests(api: APIServer) -> None:
    p = pod()
    p["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "abc"}}
    with pytest.raises(BadRequest) as err:
        api.create(ADMIN, "pods", p)
    assert str(err.value).startswith('Pod in version "v1" cannot be handled as a Pod: quantities must match')
    p = pod(labels={"app": True})  # what YAML makes of `app: on`
    with pytest.raises(BadRequest, match="json: cannot unmarshal bool into Go struct field "
                                         "ObjectMeta.metadata.labels of type string"):
        api.create(ADMIN, "pods", p)
    created = api.create(ADMIN, "pods", pod())
    created["metadata"]["annotations"] = {"replicas": 3}
    with pytest.raises(BadRequest, match="cannot unmarshal number"):
        api.update(ADMIN, "pods", created)
    assert api.list(ADMIN, "pods", "default")["items"][0]["metadata"].get("annotations") is None


def test_a_watch_delivery_is_recorded_after_the_write_that_made_it():
    """A watcher can read a change before the writing thread has recorded its etcd write; the flow
    must still show the write first (the creation-flow dashboard numbers its steps this way)."""
    import threading

    server = APIServer()
    server.watch_agents.add("scheduler")
    rv = server.list(ADMIN, "pods", "default")["metadata"]["resourceVersion"]
    watch = server.watch(ADMIN, "pods", "default", resource_version=rv, agent="scheduler")
    record_etcd = server._etcd
    committed = threading.Event()

    def slow_record(*args, **kwargs):  # the writer is descheduled between commit and record
        committed.set()
        threading.Event().wait(0.2)
        record_etcd(*args, **kwargs)

    server._etcd = slow_record
    got = []
    reader = threading.Thread(target=lambda: got.append(committed.wait(5) and watch.next(timeout=5)))
    reader.start()
    server.create(ADMIN, "pods", pod("web"), "default")
    reader.join(5)
    watch.stop()
    assert got and got[0] is not None
    steps = [(e.dst, e.action.split()[0]) for e in server.flow.events() if e.name == "web"]
    assert steps.index(("etcd", "PUT")) < steps.index(("scheduler", "watch"))
