"""etcdctl over the store: keys, revisions, reads in the past, history replay and compaction."""

from __future__ import annotations

import json

import pytest

from k8sedu.store import Etcdctl, EtcdctlError, MemoryStore


@pytest.fixture
def etcd() -> Etcdctl:
    store = MemoryStore()
    store.create("/registry/pods/default/a", {"phase": "Pending"})  # rev 2
    store.create("/registry/pods/default/b", {"phase": "Pending"})  # rev 3
    store.update("/registry/pods/default/a", {"phase": "Running"})  # rev 4
    store.delete("/registry/pods/default/b")  # rev 5
    store.create("/registry/services/default/web", {"ports": [80]})  # rev 6
    return Etcdctl(store)


def test_keys_only_lists_live_keys_each_followed_by_a_blank_line(etcd: Etcdctl) -> None:
    assert etcd.run("get /registry/pods --prefix --keys-only") == "/registry/pods/default/a\n\n"
    assert etcd.run("etcdctl get /registry --prefix --count-only") == "2\n"


def test_fields_show_the_three_revision_numbers(etcd: Etcdctl) -> None:
    out = etcd.run("get /registry/pods/default/a -w fields")
    assert '"Revision" : 6' in out
    assert '"CreateRevision" : 2' in out and '"ModRevision" : 4' in out and '"Version" : 2' in out
    assert '"Value" : {"phase":"Running"}' in out


def test_a_read_in_the_past_sees_the_old_value_and_deleted_keys(etcd: Etcdctl) -> None:
    assert etcd.run("get /registry/pods/default/a --rev 3 --print-value-only") == '{"phase":"Pending"}\n'
    assert etcd.run("get /registry/pods --prefix --keys-only --rev=3") == \
        "/registry/pods/default/a\n\n/registry/pods/default/b\n\n"
    assert etcd.run("get /registry/services --prefix --rev 5") == ""  # not created yet


def test_json_output_is_base64_as_etcdctl_prints_it(etcd: Etcdctl) -> None:
    import base64

    doc = json.loads(etcd.run("get /registry/services/default/web -w json"))
    (kv,) = doc["kvs"]
    assert base64.b64decode(kv["key"]).decode() == "/registry/services/default/web"
    assert json.loads(base64.b64decode(kv["value"])) == {"ports": [80]}
    assert doc["header"]["revision"] == 6 and kv["create_revision"] == kv["mod_revision"] == 6


def test_watch_replays_changes_from_a_revision(etcd: Etcdctl) -> None:
    out = etcd.run("watch /registry/pods --prefix --rev 4").splitlines()
    assert out == ["PUT", "/registry/pods/default/a", '{"phase":"Running"}', "DELETE", "/registry/pods/default/b", ""]
    assert [e.revision for e in etcd.history("/registry/pods/default/b")] == [3, 5]


def test_compaction_forgets_history_and_old_reads_fail_as_in_etcd(etcd: Etcdctl) -> None:
    assert etcd.run("compaction 5") == "compacted revision 5\n"
    with pytest.raises(EtcdctlError, match="^Error: etcdserver: mvcc: required revision has been compacted$"):
        etcd.run("get /registry/pods/default/a --rev 3")
    with pytest.raises(EtcdctlError, match="compacted"):
        etcd.run("watch /registry/pods --prefix --rev 2")
    [status] = json.loads(etcd.run("endpoint status -w json"))
    assert status["Endpoint"] == "127.0.0.1:2379" and status["Status"]["header"]["revision"] == 6
    assert etcd.run("endpoint status").startswith("127.0.0.1:2379, 8e9e05c52164694d, 3.5.16, ")
    assert etcd.run("endpoint status").endswith(", true, false, 2, 6, 6, \n")
    table = etcd.run("endpoint status -w table").splitlines()
    assert [h.strip() for h in table[1].split("|")[1:-1]] == [
        "ENDPOINT", "ID", "VERSION", "DB SIZE", "IS LEADER", "IS LEARNER", "RAFT TERM", "RAFT INDEX",
        "RAFT APPLIED INDEX", "ERRORS"]
    assert [v.strip() for v in table[3].split("|")[1:-1]][-4:] == ["2", "6", "6", ""]


def test_bad_commands_say_so(etcd: Etcdctl) -> None:
    with pytest.raises(EtcdctlError, match='unknown command "put"'):
        etcd.run("put /x y")
    with pytest.raises(EtcdctlError, match="future revision"):
        etcd.run("get /registry --prefix --rev 99")


def test_cluster_etcdctl_reads_the_real_keys() -> None:
    from k8sedu import Cluster

    with Cluster(nodes=1, runtime="sim", progress=False) as c:
        c.kubectl("create deployment web --image=k8sedu/web:v1")
        c.wait("deployment/web", "Available", timeout=30)
        keys = c.etcdctl("get /registry --prefix --keys-only").split()
        assert "/registry/deployments/default/web" in keys
        assert any(k.startswith("/registry/replicasets/default/web-") for k in keys)
        rv = c.get("deployment/web")["metadata"]["resourceVersion"]
        assert f'"ModRevision" : {rv}' in c.etcdctl("get /registry/deployments/default/web -w fields")
