"""Data outlives the Pod: a StatefulSet's claim follows web-1 to its replacement (sim and docker)."""

from __future__ import annotations

import pytest
from _waits import eventually

from k8sedu import Cluster

RUNTIMES = [pytest.param("sim", id="sim"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]

STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 3
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: k8sedu/busybox
        command: [sh, -c, "sleep 3600"]
        volumeMounts: [{name: www, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""


def _running(c: Cluster, name: str) -> dict | None:
    pods = [p for p in c.get("pods", selector="app=web") if p["metadata"]["name"] == name]
    if pods and pods[0]["status"].get("phase") == "Running" and not pods[0]["metadata"].get("deletionTimestamp"):
        return pods[0]
    return None


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_file_in_web_1s_volume_survives_web_1s_replacement(runtime: str, request: pytest.FixtureRequest) -> None:
    if runtime == "docker":
        request.getfixturevalue("docker_required")
    c = Cluster(nodes=3, runtime=runtime, progress=False, speed=60)
    c.start()
    try:
        c.apply(STATEFULSET)
        for i in range(3):
            eventually(lambda i=i: _running(c, f"web-{i}"), what=f"web-{i} Running", timeout=90.0)
        claims = c.get("pvc")
        assert sorted(p["metadata"]["name"] for p in claims) == ["www-web-0", "www-web-1", "www-web-2"]
        assert {p["status"]["phase"] for p in claims} == {"Bound"}
        assert {p["spec"]["storageClassName"] for p in claims} == {"standard"}
        old = _running(c, "web-1")
        assert old is not None
        c.kubectl('exec web-1 -- sh -c "echo hello > /data/f"')
        assert c.kubectl("exec web-0 -- ls /data").strip() == ""  # each Pod has its own volume
        c.kubectl("delete pod web-1")
        new = eventually(lambda: (p := _running(c, "web-1")) and p["metadata"]["uid"] != old["metadata"]["uid"]
                         and p, what="a new web-1 Running", timeout=90.0)
        assert new["metadata"]["uid"] != old["metadata"]["uid"]
        assert c.kubectl("exec web-1 -- cat /data/f").strip() == "hello"
        table = c.kubectl("get pvc")
        assert table.splitlines()[0].split()[:3] == ["NAME", "STATUS", "VOLUME"]
        row = next(line for line in table.splitlines() if line.startswith("www-web-1 "))
        volume = c.get("pvc/www-web-1")["spec"]["volumeName"]
        assert row.split()[1:3] == ["Bound", volume] and volume.startswith("pvc-")
        assert "standard" in row.split()
        if runtime == "docker":  # the data lives in a Docker volume labelled with the cluster's id
            import docker

            from k8sedu.runtime.naming import volume_name

            client = docker.from_env()
            try:
                names = [v.name for v in client.volumes.list(filters={"label": f"k8sedu.cluster={c.id}"})]
            finally:
                client.close()
            assert volume_name(c.id, volume) in names
        events = [e for e in c.events() if e.get("reason") == "ProvisioningSucceeded"]
        assert f"Successfully provisioned volume {volume}" in [e["message"] for e in events]
    finally:
        c.stop()
    if runtime == "docker":
        import docker

        client = docker.from_env()
        try:
            left = client.volumes.list(filters={"label": f"k8sedu.cluster={c.id}"})
            assert left == []
        finally:
            client.close()
