"""Storage object in-use protection: a claim in use by a Pod, or a volume bound to a claim, is not
deleted under it (finalizers kubernetes.io/pvc-protection and kubernetes.io/pv-protection)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from _waits import eventually

from k8sedu import Cluster
from k8sedu.controllers.pvcprotection import PVC_PROTECTION_FINALIZER, pod_uses_claim
from k8sedu.controllers.pvprotection import PV_PROTECTION_FINALIZER


@pytest.fixture(scope="module")
def c() -> Iterator[Cluster]:
    with Cluster(nodes=2, runtime="sim", speed=20, progress=False) as cluster:
        yield cluster


def gone(c: Cluster, ref: str) -> bool:
    try:
        c.get(ref, namespace="default")
    except Exception:
        return True
    return False


CLAIM_AND_POD = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: k8sedu/busybox, command: [sh, -c, "sleep 3600"],
                volumeMounts: [{name: d, mountPath: /data}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
"""


def test_pod_uses_claim() -> None:
    pod = {"spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]},
           "status": {"phase": "Running"}}
    assert pod_uses_claim(pod, "data") and not pod_uses_claim(pod, "other")
    assert not pod_uses_claim({**pod, "status": {"phase": "Succeeded"}}, "data")


def test_a_claim_in_use_stays_terminating_until_its_pod_is_gone(c: Cluster) -> None:
    c.apply(CLAIM_AND_POD)
    c.wait("pod/user", "Running", timeout=30)
    claim = c.get("pvc/data")
    assert claim["metadata"]["finalizers"] == [PVC_PROTECTION_FINALIZER]
    volume = claim["spec"]["volumeName"]
    assert c.get(f"pv/{volume}")["metadata"]["finalizers"] == [PV_PROTECTION_FINALIZER]

    assert c.kubectl("delete pvc data --wait=false") == 'persistentvolumeclaim "data" deleted\n'
    time.sleep(0.5)  # give the controller time to (wrongly) let go: the claim must stay
    claim = c.get("pvc/data")
    assert claim["metadata"]["deletionTimestamp"] and claim["metadata"]["finalizers"] == [PVC_PROTECTION_FINALIZER]
    row = c.kubectl("get pvc data").splitlines()[1].split()
    assert row[:2] == ["data", "Terminating"]
    assert c.get(f"pv/{volume}")["status"]["phase"] == "Bound"

    c.delete("pod/user", wait=True)
    eventually(lambda: gone(c, "pvc/data"), what="the claim deleted once no Pod uses it")
    # reclaim policy Delete: the volume goes too, once the pv-protection finalizer is lifted
    eventually(lambda: gone(c, f"pv/{volume}"), what="the released volume deleted")


STATIC = """
apiVersion: v1
kind: PersistentVolume
metadata: {name: static-pv}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  hostPath: {path: /tmp/k8sedu-static-pv}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static-claim}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
"""


def test_a_bound_volume_stays_terminating_until_its_claim_is_gone(c: Cluster) -> None:
    c.apply(STATIC)
    eventually(lambda: c.get("pvc/static-claim")["status"].get("phase") == "Bound", what="the claim bound")
    assert c.get("pv/static-pv")["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    c.kubectl("delete pv static-pv --wait=false")
    time.sleep(0.5)
    pv = c.get("pv/static-pv")
    assert pv["metadata"]["deletionTimestamp"] and pv["metadata"]["finalizers"] == [PV_PROTECTION_FINALIZER]
    assert c.kubectl("get pv static-pv").splitlines()[1].split()[4] == "Terminating"
    c.delete("pvc/static-claim")
    eventually(lambda: gone(c, "pvc/static-claim"), what="the unused claim deleted at once")
    eventually(lambda: gone(c, "pv/static-pv"), what="the released volume deleted")


def test_an_unused_claim_is_deleted_at_once(c: Cluster) -> None:
    c.apply(CLAIM_AND_POD.split("---")[0].replace("{name: data}", "{name: spare}"))
    eventually(lambda: c.get("pvc/spare")["status"].get("phase") == "Bound", what="bound")
    c.delete("pvc/spare")
    eventually(lambda: gone(c, "pvc/spare"), what="deleted")


# -- files on the host: /tmp/k8sedu-<id>/ goes with the cluster, or with the next sweep -------------
def test_a_killed_kernels_volume_folder_is_swept_and_a_live_one_kept(c: Cluster) -> None:
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    import textwrap
    from pathlib import Path

    from k8sedu.runtime.janitor import OWNER_FILE, sweep_state_dirs

    script = textwrap.dedent("""
        import time
        from k8sedu import Cluster
        c = Cluster(nodes=1, runtime="sim", progress=False).start()
        c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"k": "v"}})
        c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                 "spec": {"containers": [{"name": "c", "image": "k8sedu/busybox", "args": ["sleep", "600"],
                                          "volumeMounts": [{"name": "v", "mountPath": "/etc/cfg"}]}],
                          "volumes": [{"name": "v", "configMap": {"name": "cfg"}}]}})
        c.wait("pod/p", "Running", timeout=60)
        print(c.id, flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        dead_id = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert dead_id, "the child cluster did not start"
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # no stop(), no atexit: what a killed kernel does
        proc.wait(30)
        proc.stdout.close()  # type: ignore[union-attr]
    dead = Path(tempfile.gettempdir()) / f"k8sedu-{dead_id}"
    live = Path(tempfile.gettempdir()) / f"k8sedu-{c.id}"
    assert (dead / OWNER_FILE).exists() and list(dead.glob("node-1/**/k"))  # the ConfigMap's file
    assert (live / OWNER_FILE).exists()
    removed = sweep_state_dirs()
    assert dead_id in removed and c.id not in removed
    assert not dead.exists() and live.exists()


def test_stop_removes_the_clusters_folder() -> None:
    import tempfile
    from pathlib import Path

    with Cluster(nodes=1, runtime="sim", progress=False) as c:
        folder = Path(tempfile.gettempdir()) / f"k8sedu-{c.id}"
        assert folder.is_dir()
    assert not folder.exists()
