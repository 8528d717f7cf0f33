"""RolloutView renders without a kernel: samples of a real rolling update and rollback (sim), and
a synthetic rollout of 500 replicas."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_viz_cluster import bench, eventually, web

from k8sedu import Cluster
from k8sedu.viz import RolloutView
from k8sedu.viz.rollout_view import RolloutRecorder


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with Cluster(nodes=3, runtime="sim", progress=False) as c:
        c.apply(web(4))
        c.wait("deployment/web", "Available", timeout=60)
        yield c


def test_recorder_keeps_changes_only_and_marks_a_rollback() -> None:
    snap = bench.rollout_snapshot(4)
    assert snap.replicasets == ["web-v1", "web-v2"]
    # 5 steps up, 5 back; the unchanged first step of the rollback is not sampled twice
    assert [s.desired for s in snap.series("web-v2")] == [0, 1, 2, 3, 4, 3, 2, 1, 0]
    assert [m.text.split("到")[0] for m in snap.marks] == ["滚动更新（rolling update）", "回滚（rollback）"]
    assert "revision 3" in snap.marks[1].text


def test_render_two_lines_per_replicaset() -> None:
    snap = bench.rollout_snapshot(4)
    v = RolloutView(snap)
    assert len(v.fig.data) == 4  # desired + available per ReplicaSet
    desired_v1, available_v1, desired_v2, _ = v.fig.data
    assert desired_v1.y[0] == 4 and desired_v1.y[-1] == 4 and min(desired_v1.y) == 0
    assert desired_v1.x[-1] == snap.now  # the line runs on to now
    assert "web-v1" in desired_v1.name and available_v1.line.dash == "dot"
    assert len(v.fig.layout.shapes) == 2 and "回滚" in v.fig.layout.annotations[-1].text
    assert "web-v1" in v.table.value and "REVISION" in v.table.value
    # 500 replicas: still 4 traces, 2 per ReplicaSet
    big = bench.rollout_snapshot(500)
    v.render(big)
    assert len(v.fig.data) == 4 and max(v.fig.data[0].y) == 500


def test_a_real_rolling_update_and_rollback(cluster: Cluster) -> None:
    v = RolloutView.from_cluster(cluster, "deployment/web")
    try:
        first = cluster.get("replicasets")[0]["metadata"]["name"]
        cluster.kubectl("set image deployment/web web=k8sedu/web:v2")

        def settled(n_marks: int, old_index: int) -> bool:
            s = v.snapshot
            if s is None or len(s.marks) != n_marks or len(s.replicasets) != 2:
                return False
            old = s.latest(s.replicasets[old_index])
            return s.updated == 4 and s.available == 4 and old is not None and old.desired == 0

        eventually(lambda: settled(1, 0), 60)
        s = v.snapshot
        assert s is not None and s.replicasets[0] == first and s.current_rs == s.replicasets[1]
        second = s.replicasets[1]
        assert s.latest(second) is not None and "web:v2" in s.latest(second).image  # type: ignore[union-attr]
        # the old ReplicaSet was scaled down in steps, never all at once from 4 to 0
        assert len(s.series(first)) >= 3

        cluster.kubectl("rollout undo deployment/web")
        eventually(lambda: settled(2, 1), 60)
        s = v.snapshot
        assert s is not None and s.current_rs == first and "回滚" in s.marks[-1].text
        assert s.latest(first) is not None and s.latest(first).revision == "3"  # type: ignore[union-attr]
        new_line = next(t for t in v.fig.data if t.name.startswith("新 ReplicaSet"))
        assert first in new_line.name and new_line.y[-1] == 4
    finally:
        v.close()


def test_recorder_ignores_other_deployments() -> None:
    rec = RolloutRecorder("default", "web")
    dep = {"metadata": {"name": "web", "uid": "d1"}, "spec": {"replicas": 1}}
    other = {"metadata": {"name": "other-x", "ownerReferences": [{"uid": "d2", "controller": True}]},
             "spec": {"replicas": 5}, "status": {}}
    rec.observe(dep, [other], 1.0)
    assert rec.snapshot().samples == ()
