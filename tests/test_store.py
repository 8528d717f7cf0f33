"""The etcd-like store: revisions, compare-and-swap, watch replay, compaction, persistence."""

from __future__ import annotations

import threading

import pytest

from k8sedu.errors import CASFailed, Compacted, FutureRevision
from k8sedu.store import MemoryStore, SQLiteStore


def test_revisions_follow_the_drawing_in_the_docstring() -> None:
    s = MemoryStore()
    r0 = s.revision
    a = s.create("/registry/pods/default/web", {"phase": "Pending"})
    b = s.update("/registry/pods/default/web", {"phase": "Running"}, a.mod_revision)
    assert (a.create_revision, a.mod_revision, a.version) == (r0 + 1, r0 + 1, 1)
    assert (b.create_revision, b.mod_revision, b.version) == (r0 + 1, r0 + 2, 2)
    gone = s.delete("/registry/pods/default/web")
    assert gone.mod_revision == r0 + 3 and s.get("/registry/pods/default/web") is None
    again = s.create("/registry/pods/default/web", {"phase": "Pending"})
    assert (again.create_revision, again.version) == (r0 + 4, 1)
    assert s.revision == r0 + 4


def test_one_global_revision_across_keys() -> None:
    s = MemoryStore()
    a = s.create("/registry/pods/default/a", {})
    b = s.create("/registry/deployments/default/b", {})
    assert b.mod_revision == a.mod_revision + 1


def test_compare_and_swap() -> None:
    s = MemoryStore()
    kv = s.create("/k", {"v": 1})
    with pytest.raises(CASFailed):
        s.create("/k", {"v": 2})
    s.update("/k", {"v": 2}, kv.mod_revision)
    with pytest.raises(CASFailed):
        s.update("/k", {"v": 3}, kv.mod_revision)  # stale
    assert s.get("/k").value == {"v": 2}
    with pytest.raises(CASFailed):
        s.delete("/k", kv.mod_revision)


def test_range_is_sorted_and_prefix_bound() -> None:
    s = MemoryStore()
    for name in ("c", "a", "b"):
        s.create(f"/registry/pods/default/{name}", {"n": name})
    s.create("/registry/pods/other/z", {})
    kvs, rev = s.range("/registry/pods/default/")
    assert [kv.value["n"] for kv in kvs] == ["a", "b", "c"]
    assert rev == s.revision


def test_watch_replays_then_goes_live() -> None:
    s = MemoryStore()
    first = s.create("/registry/pods/default/a", {"n": 1})
    s.update("/registry/pods/default/a", {"n": 2})
    s.create("/registry/nodes/x", {})
    w = s.watch("/registry/pods/", first.mod_revision)
    e1, e2 = w.next(1), w.next(1)
    assert (e1.type, e1.kv.value, e1.prev_kv) == ("PUT", {"n": 1}, None)
    assert (e2.type, e2.kv.value, e2.prev_kv.value) == ("PUT", {"n": 2}, {"n": 1})
    assert w.next(0.05) is None  # the node is under another prefix
    s.delete("/registry/pods/default/a")
    e3 = w.next(1)
    assert e3.type == "DELETE" and e3.prev_kv.value == {"n": 2}
    w.stop()
    assert w.next(0.05) is None


def test_watch_stop_unblocks_a_waiting_reader() -> None:
    s = MemoryStore()
    w = s.watch("/")
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(w.next()))
    t.start()
    w.stop()
    t.join(5)
    assert not t.is_alive() and got == [None]


def test_compaction_makes_older_watches_fail() -> None:
    s = MemoryStore()
    revs = [s.create(f"/k{i}", {}).mod_revision for i in range(5)]
    s.compact(revs[3])
    with pytest.raises(Compacted):
        s.watch("/", revs[1])
    w = s.watch("/", revs[3])  # the compaction revision itself is still there
    assert w.next(1).kv.key == "/k3"
    with pytest.raises(FutureRevision):
        s.watch("/", s.revision + 5)


def test_sqlite_store_survives_a_restart(tmp_path) -> None:
    path = tmp_path / "etcd.sqlite3"
    s = SQLiteStore(path)
    a = s.create("/registry/pods/default/web", {"phase": "Running"})
    s.create("/registry/pods/default/gone", {})
    s.delete("/registry/pods/default/gone")
    rev = s.revision
    s.close()
    s2 = SQLiteStore(path)
    kv = s2.get("/registry/pods/default/web")
    assert kv is not None and kv.value == {"phase": "Running"} and kv.mod_revision == a.mod_revision
    assert s2.get("/registry/pods/default/gone") is None
    assert s2.revision == rev
    # history did not survive: a watch from before the restart must relist
    with pytest.raises(Compacted):
        s2.watch("/", a.mod_revision)
    assert s2.create("/x", {}).mod_revision == rev + 1
    s2.close()
