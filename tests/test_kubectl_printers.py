"""kubectl get's tables and -o yaml|json|name|jsonpath, checked against kubectl 1.32's exact text.

The expected strings follow upstream's printers.go (cells) and kubectl's decoration and Go
tabwriter (minimum width 6, padding 3); the same objects were printed by the real kubectl 1.32
binary against a stub apiserver while this module was written.
"""

from __future__ import annotations

from typing import Any

import pytest

from k8sedu.clock import rfc3339
from k8sedu.kubectl import output, printers

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def ts(ago: float) -> str:
    return rfc3339(NOW - ago)


# --------------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------------


def pod(name: str, *, ns: str = "default", phase: str = "Running", statuses: list | None = None,
        init: list | None = None, init_statuses: list | None = None, containers: tuple = ("app",),
        node: str | None = "node-1", ip: str | None = "10.244.1.5", deleting: bool = False,
        labels: dict | None = None, reason: str | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(3600),
                     "labels": {"app": "web"} if labels is None else labels},
        "spec": {"containers": [{"name": c, "image": "k8sedu/web:v1"} for c in containers]},
        "status": {"phase": phase},
    }
    if node:
        p["spec"]["nodeName"] = node
    if ip:
        p["status"]["podIP"] = ip
        p["status"]["podIPs"] = [{"ip": ip}]
    if statuses is not None:
        p["status"]["containerStatuses"] = statuses
    if init is not None:
        p["spec"]["initContainers"] = [{"name": c, "image": "busybox"} for c in init]
    if init_statuses is not None:
        p["status"]["initContainerStatuses"] = init_statuses
    if deleting:
        p["metadata"]["deletionTimestamp"] = ts(-30)
    if reason:
        p["status"]["reason"] = reason
    return p


def running(name: str = "app", ready: bool = True) -> dict[str, Any]:
    return {"name": name, "ready": ready, "restartCount": 0, "state": {"running": {"startedAt": ts(600)}}}


def waiting(reason: str, name: str = "app", restarts: int = 0, last_finished: float | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"name": name, "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}}
    if last_finished is not None:
        s["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ts(last_finished),
                                         "startedAt": ts(last_finished + 5)}}
    return s


def terminated(reason: str | None, code: int, name: str = "app", signal: int | None = None) -> dict[str, Any]:
    t: dict[str, Any] = {"exitCode": code, "startedAt": ts(100), "finishedAt": ts(50)}
    if reason:
        t["reason"] = reason
    if signal:
        t["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": t}}


def deploy(name: str, replicas: int, ready: int, updated: int, available: int, created: float = 7200) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": ts(created), "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]}}},
            "status": {"replicas": replicas, "readyReplicas": ready, "updatedReplicas": updated,
                       "availableReplicas": available}}


def replicaset(name: str, desired: int, current: int, ready: int, created: float = 7200) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": ts(created)},
            "spec": {"replicas": desired,
                     "selector": {"matchLabels": {"app": "web", "pod-template-hash": name.rsplit("-", 1)[1]}},
                     "template": {"spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"},
                                                          {"name": "log", "image": "busybox"}]}}},
            "status": {"replicas": current, "readyReplicas": ready}}


def node(name: str, ready: str = "True", unschedulable: bool = False, roles: tuple = (),
         ip: str = "172.18.0.2") -> dict[str, Any]:
    n: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "creationTimestamp": ts(86400 * 3),
                     "labels": {"kubernetes.io/hostname": name, **{f"node-role.kubernetes.io/{r}": "" for r in roles}}},
        "spec": {},
        "status": {"conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": ready}],
                   "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                   "nodeInfo": {"kubeletVersion": "v1.32.4", "osImage": "k8sedu sim", "kernelVersion": "6.1.0",
                                "containerRuntimeVersion": "docker://24.0.7"}},
    }
    if unschedulable:
        n["spec"]["unschedulable"] = True
    return n


def event(name: str, reason: str, message: str, *, kind: str = "Pod", obj: str = "web-1", typ: str = "Normal",
          first: float = 60, last: float | None = None, count: int = 1, ns: str = "default",
          component: str = "kubelet") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(first)},
            "involvedObject": {"kind": kind, "name": obj, "namespace": ns}, "reason": reason, "message": message,
            "type": typ, "firstTimestamp": ts(first), "lastTimestamp": ts(first if last is None else last),
            "count": count, "source": {"component": component}}


def service(name: str, type_: str = "ClusterIP", ports: tuple = ((80, None),), ip: str = "10.96.0.10",
            selector: dict | None = None, lb: str | None = None, created: float = 600) -> dict[str, Any]:
    s: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": ts(created)},
        "spec": {"type": type_, "clusterIP": ip, "clusterIPs": [ip],
                 "selector": {"app": name} if selector is None else selector,
                 "ports": [{"port": p, "protocol": "TCP", **({"nodePort": np} if np else {})} for p, np in ports]},
    }
    if lb:
        s["status"] = {"loadBalancer": {"ingress": [{"ip": lb}]}}
    return s


# --------------------------------------------------------------------------------------------
# HumanDuration and the tabwriter
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds, text", [
    (None, "<unknown>"), (-5, "<invalid>"), (-2, "<invalid>"), (-1.5, "0s"), (-1, "0s"), (0, "0s"),
    (5, "5s"), (59.9, "59s"), (119, "119s"), (120, "2m"), (182, "3m2s"), (599, "9m59s"), (600, "10m"),
    (10799, "179m"), (10800, "3h"), (3 * 3600 + 180, "3h3m"), (8 * 3600, "8h"), (47 * 3600 + 3599, "47h"),
    (48 * 3600, "2d"), (2 * 86400 + 3 * 3600, "2d3h"), (8 * 86400, "8d"), (730 * 86400, "2y"),
    (731 * 86400, "2y1d"), (8 * 365 * 86400, "8y"),
])
def test_human_duration(seconds: float | None, text: str) -> None:
    assert printers.human_duration(seconds) == text


def test_since_unset_timestamp_is_unknown() -> None:
    assert printers.since(None, NOW) == "<unknown>"
    assert printers.since(ts(65), NOW) == "65s"


def test_tabwrite_pads_to_widest_cell_plus_three_with_minimum_six() -> None:
    assert printers.tabwrite("A\tBB\tlast\nlonger\tx\tz\n") == "A        BB    last\nlonger   x     z\n"


def test_tabwrite_last_cell_is_not_padded_but_empty_cells_are() -> None:
    assert printers.tabwrite("a\t\nbbbbbbbb\tc\n") == "a          \nbbbbbbbb   c\n"


def test_tabwrite_aligns_only_consecutive_lines_with_tabs() -> None:
    text = "Name:\tweb\nNamespace:\tdefault\nContainers:\n  app:\n    Image:\tnginx\n"
    assert printers.tabwrite(text, minwidth=0, padding=2) == (
        "Name:       web\nNamespace:  default\nContainers:\n  app:\n    Image:  nginx\n"
    )


# --------------------------------------------------------------------------------------------
# pods
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p, status, ready", [
    (pod("p", phase="Pending", node=None, ip=None), "Pending", "0/1"),
    (pod("p", phase="Pending", statuses=[waiting("ContainerCreating")]), "ContainerCreating", "0/1"),
    (pod("p", statuses=[running()]), "Running", "1/1"),
    (pod("p", phase="Succeeded", statuses=[terminated("Completed", 0)]), "Completed", "0/1"),
    (pod("p", statuses=[waiting("CrashLoopBackOff", restarts=4, last_finished=12)]), "CrashLoopBackOff", "0/1"),
    (pod("p", phase="Pending", statuses=[waiting("ErrImagePull")]), "ErrImagePull", "0/1"),
    (pod("p", phase="Pending", statuses=[waiting("ImagePullBackOff")]), "ImagePullBackOff", "0/1"),
    (pod("p", phase="Failed", statuses=[terminated("Error", 1)]), "Error", "0/1"),
    (pod("p", statuses=[terminated("OOMKilled", 137)]), "OOMKilled", "0/1"),
    (pod("p", statuses=[running()], deleting=True), "Terminating", "1/1"),
    (pod("p", phase="Succeeded", statuses=[terminated("Completed", 0)], deleting=True), "Completed", "0/1"),
    (pod("p", statuses=[running()], deleting=True, reason="NodeLost"), "Unknown", "1/1"),
    (pod("p", phase="Pending", init=["setup"], init_statuses=[waiting("PodInitializing", name="setup")],
         statuses=[waiting("PodInitializing")]), "Init:0/1", "0/1"),
    (pod("p", phase="Pending", init=["a", "b"],
         init_statuses=[terminated("Completed", 0, name="a"), waiting("PodInitializing", name="b")]), "Init:1/2", "0/1"),
    (pod("p", phase="Pending", init=["setup"], init_statuses=[terminated("Error", 1, name="setup")]), "Init:Error", "0/1"),
    (pod("p", phase="Pending", init=["setup"], init_statuses=[waiting("CrashLoopBackOff", name="setup")]),
     "Init:CrashLoopBackOff", "0/1"),
    (pod("p", statuses=[terminated(None, 137)]), "ExitCode:137", "0/1"),
    (pod("p", statuses=[terminated(None, 0, signal=9)]), "Signal:9", "0/1"),
    (pod("p", containers=("app", "side"), statuses=[running(), running("side", ready=False)]), "Running", "1/2"),
    (pod("p", containers=("app", "side"), statuses=[running(), waiting("CrashLoopBackOff", name="side")]),
     "CrashLoopBackOff", "1/2"),
    (pod("p", containers=("app", "side"), statuses=[terminated("Completed", 0), running("side")]), "NotReady", "1/2"),
])
def test_pod_status_and_ready_columns(p: dict[str, Any], status: str, ready: str) -> None:
    assert printers.pod_status_reason(p) == status
    assert printers.pod_ready(p) == ready


def test_restarts_show_when_the_last_container_died() -> None:
    crashing = pod("p", statuses=[waiting("CrashLoopBackOff", restarts=4, last_finished=12)])
    assert printers.pod_restarts(crashing, NOW) == "4 (12s ago)"
    assert printers.pod_restarts(pod("p", statuses=[running()]), NOW) == "0"


def test_pods_table() -> None:
    pods = [
        pod("web-7d4b9c8f6-x2k8p", statuses=[running()]),
        pod("web-7d4b9c8f6-q9zrt", statuses=[waiting("CrashLoopBackOff", restarts=4, last_finished=12)]),
        pod("web-7d4b9c8f6-hj4mn", phase="Pending", node=None, ip=None),
    ]
    assert printers.table("pods", pods, now=NOW) == (
        "NAME                  READY   STATUS             RESTARTS      AGE\n"
        "web-7d4b9c8f6-x2k8p   1/1     Running            0             60m\n"
        "web-7d4b9c8f6-q9zrt   0/1     CrashLoopBackOff   4 (12s ago)   60m\n"
        "web-7d4b9c8f6-hj4mn   0/1     Pending            0             60m\n"
    )


def test_pods_wide_table() -> None:
    pods = [pod("web-1", statuses=[running()]), pod("web-2", phase="Pending", node=None, ip=None)]
    assert printers.table("pods", pods, now=NOW, wide=True) == (
        "NAME    READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES\n"
        "web-1   1/1     Running   0          60m   10.244.1.5   node-1   <none>           <none>\n"
        "web-2   0/1     Pending   0          60m   <none>       <none>   <none>           <none>\n"
    )


def test_all_namespaces_labels_and_label_columns() -> None:
    pods = [pod("web-1", statuses=[running()], labels={"app": "web", "tier": "frontend"}),
            pod("db-0", ns="data", statuses=[running()], labels={})]
    text = printers.table("pods", pods, now=NOW, all_namespaces=True, show_labels=True,
                          label_columns=("app", "app.kubernetes.io/name"))
    assert text == (
        "NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE   APP   NAME   LABELS\n"
        "default     web-1   1/1     Running   0          60m   web          app=web,tier=frontend\n"
        "data        db-0    1/1     Running   0          60m                <none>\n"
    )


def test_no_headers_and_kind_prefix() -> None:
    text = printers.table("deployments", [deploy("web", 3, 3, 3, 3)], now=NOW, no_headers=True,
                          with_kind="deployment.apps")
    assert text == "deployment.apps/web   3/3   3     3     120m\n"


# --------------------------------------------------------------------------------------------
# other resources
# --------------------------------------------------------------------------------------------


def test_deployments_table() -> None:
    deployments = [deploy("web", 3, 3, 3, 3), deploy("api-server", 2, 1, 2, 1, created=300)]
    assert printers.table("deployments", deployments, now=NOW) == (
        "NAME         READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "web          3/3     3            3           120m\n"
        "api-server   1/2     2            1           5m\n"
    )
    assert printers.table("deployments.apps", deployments[:1], now=NOW, wide=True) == (
        "NAME   READY   UP-TO-DATE   AVAILABLE   AGE    CONTAINERS   IMAGES          SELECTOR\n"
        "web    3/3     3            3           120m   web          k8sedu/web:v1   app=web\n"
    )


def test_replicasets_wide_table() -> None:
    sets = [replicaset("web-7d4b9c8f6", 3, 3, 3), replicaset("web-5c6f8d9b4", 0, 0, 0, created=86400 * 9)]
    assert printers.table("replicasets", sets, now=NOW, wide=True) == (
        "NAME            DESIRED   CURRENT   READY   AGE    CONTAINERS   IMAGES                  SELECTOR\n"
        "web-7d4b9c8f6   3         3         3       120m   web,log      k8sedu/web:v1,busybox   app=web,pod-template-hash=7d4b9c8f6\n"
        "web-5c6f8d9b4   0         0         0       9d     web,log      k8sedu/web:v1,busybox   app=web,pod-template-hash=5c6f8d9b4\n"
    )


def test_nodes_table_status_and_roles() -> None:
    nodes = [node("node-1", roles=("control-plane",)), node("node-2", ready="False", ip="172.18.0.3"),
             node("node-3", unschedulable=True, roles=("worker", "infra"), ip="172.18.0.4")]
    assert printers.table("nodes", nodes, now=NOW, all_namespaces=True) == (
        "NAME     STATUS                     ROLES           AGE   VERSION\n"
        "node-1   Ready                      control-plane   3d    v1.32.4\n"
        "node-2   NotReady                   <none>          3d    v1.32.4\n"
        "node-3   Ready,SchedulingDisabled   infra,worker    3d    v1.32.4\n"
    )
    assert printers.table("nodes", nodes[:1], now=NOW, wide=True) == (
        "NAME     STATUS   ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE     KERNEL-VERSION   CONTAINER-RUNTIME\n"
        "node-1   Ready    control-plane   3d    v1.32.4   172.18.0.2    <none>        k8sedu sim   6.1.0            docker://24.0.7\n"
    )


def test_events_sorted_by_last_timestamp_with_namespace() -> None:
    events = [
        event("web-1.b", "BackOff", "Back-off restarting failed container app in pod web-1_default(uid)",
              typ="Warning", first=300, last=5, count=7),
        event("web-1.a", "Scheduled", "Successfully assigned default/web-1 to node-2", first=400,
              component="default-scheduler"),
        event("web.c", "ScalingReplicaSet", "Scaled up replica set web-7d4b9c8f6 from 0 to 3", kind="Deployment",
              obj="web", first=401, component="deployment-controller", ns="demo"),
    ]
    assert printers.table("events", events, now=NOW, all_namespaces=True) == (
        "NAMESPACE   LAST SEEN   TYPE      REASON              OBJECT           MESSAGE\n"
        "demo        6m41s       Normal    ScalingReplicaSet   deployment/web   Scaled up replica set web-7d4b9c8f6 from 0 to 3\n"
        "default     6m40s       Normal    Scheduled           pod/web-1        Successfully assigned default/web-1 to node-2\n"
        "default     5s          Warning   BackOff             pod/web-1        Back-off restarting failed container app in pod web-1_default(uid)\n"
    )
    assert printers.table("events", events[:1], now=NOW, wide=True) == (
        "LAST SEEN   TYPE      REASON    OBJECT      SUBOBJECT   SOURCE    MESSAGE"
        "                                                              FIRST SEEN   COUNT   NAME\n"
        "5s          Warning   BackOff   pod/web-1               kubelet   Back-off restarting failed container app "
        "in pod web-1_default(uid)   5m           7       web-1.b\n"
    )


def test_services_table() -> None:
    services = [service("kubernetes", ip="10.96.0.1", ports=((443, None),), selector={}),
                service("web", "NodePort", ports=((80, 30080), (443, 30443))),
                service("lb", "LoadBalancer", ports=((80, 31000),)),
                service("lb2", "LoadBalancer", lb="203.0.113.7")]
    assert printers.table("services", services, now=NOW, wide=True) == (
        "NAME         TYPE           CLUSTER-IP   EXTERNAL-IP   PORT(S)                      AGE   SELECTOR\n"
        "kubernetes   ClusterIP      10.96.0.1    <none>        443/TCP                      10m   <none>\n"
        "web          NodePort       10.96.0.10   <none>        80:30080/TCP,443:30443/TCP   10m   app=web\n"
        "lb           LoadBalancer   10.96.0.10   <pending>     80:31000/TCP                 10m   app=lb\n"
        "lb2          LoadBalancer   10.96.0.10   203.0.113.7   80/TCP                       10m   app=lb2\n"
    )


def test_load_balancer_addresses_are_sorted_without_repeats_then_external_ips() -> None:
    svc = service("lb", "LoadBalancer")
    svc["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}, {"hostname": "lb.example"},
                                                  {"ip": "203.0.113.2"}, {"ip": "203.0.113.9"}]}}
    svc["spec"]["externalIPs"] = ["198.51.100.1"]
    row = printers.table("services", [svc], now=NOW).splitlines()[1]
    assert row.split()[3] == "203.0.113.2,203.0.113.9,lb.example,198.51.100.1"


def test_small_tables() -> None:
    ns = {"metadata": {"name": "default", "creationTimestamp": ts(86400 * 3)}, "status": {"phase": "Active"}}
    assert printers.table("namespaces", [ns], now=NOW) == "NAME      STATUS   AGE\ndefault   Active   3d\n"
    cm = {"metadata": {"name": "game", "creationTimestamp": ts(30)}, "data": {"a": "1", "b": "2"}}
    assert printers.table("configmaps", [cm], now=NOW) == "NAME   DATA   AGE\ngame   2      30s\n"
    secret = {"metadata": {"name": "db", "creationTimestamp": ts(30)}, "type": "Opaque", "data": {"password": "cw=="}}
    assert printers.table("secrets", [secret], now=NOW) == "NAME   TYPE     DATA   AGE\ndb     Opaque   1      30s\n"
    lease = {"metadata": {"name": "node-1", "creationTimestamp": ts(30)}, "spec": {"holderIdentity": "node-1"}}
    assert printers.table("leases", [lease], now=NOW) == "NAME     HOLDER   AGE\nnode-1   node-1   30s\n"
    role = {"metadata": {"name": "reader", "creationTimestamp": ts(90)}}
    assert printers.table("roles", [role], now=NOW) == "NAME     CREATED AT\nreader   2027-01-15T07:58:30Z\n"
    ep = {"metadata": {"name": "web", "creationTimestamp": ts(30)},
          "subsets": [{"addresses": [{"ip": "10.244.1.5"}, {"ip": "10.244.2.6"}], "ports": [{"port": 80}]}]}
    assert printers.table("endpoints", [ep], now=NOW) == (
        "NAME   ENDPOINTS                     AGE\nweb    10.244.1.5:80,10.244.2.6:80   30s\n"
    )


def test_generic_fallback_and_empty_list() -> None:
    widget = {"metadata": {"name": "w1", "creationTimestamp": ts(90)}}
    assert printers.table("widgets.example.com", [widget], now=NOW) == "NAME   AGE\nw1     90s\n"
    assert printers.table("pods", [], now=NOW) == ""
    assert printers.no_resources_message("default", False) == "No resources found in default namespace."
    assert printers.no_resources_message("kube-system", False) == "No resources found in kube-system namespace."
    assert printers.no_resources_message("default", True) == "No resources found"
    assert printers.no_resources_message("default", False, namespaced=False) == "No resources found"


def test_as_table_is_what_the_server_sends() -> None:
    table = printers.as_table("pods", [pod("web-1", statuses=[running()])], now=NOW)
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    names = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert names[:5] == [("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0)]
    assert names[5:] == [("IP", 1), ("Node", 1), ("Nominated Node", 1), ("Readiness Gates", 1)]
    row = table["rows"][0]
    assert row["cells"] == ["web-1", "1/1", "Running", "0", "60m", "10.244.1.5", "node-1", "<none>", "<none>"]
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["labels"] == {"app": "web"}


# --------------------------------------------------------------------------------------------
# -o yaml / json / name / jsonpath
# --------------------------------------------------------------------------------------------


def configmap(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "default", "creationTimestamp": "2027-01-15T07:00:00Z",
                         "managedFields": [{"manager": "kubectl"}]},
            "data": data}


def test_yaml_of_a_list_is_a_kind_list() -> None:
    objs = [configmap("a", {"port": "80"}), configmap("b", {"script": "echo hi\necho there\n"})]
    assert output.to_yaml(objs) == (
        "apiVersion: v1\n"
        "items:\n"
        "- apiVersion: v1\n"
        "  data:\n"
        "    port: \"80\"\n"
        "  kind: ConfigMap\n"
        "  metadata:\n"
        "    creationTimestamp: \"2027-01-15T07:00:00Z\"\n"
        "    name: a\n"
        "    namespace: default\n"
        "- apiVersion: v1\n"
        "  data:\n"
        "    script: |\n"
        "      echo hi\n"
        "      echo there\n"
        "  kind: ConfigMap\n"
        "  metadata:\n"
        "    creationTimestamp: \"2027-01-15T07:00:00Z\"\n"
        "    name: b\n"
        "    namespace: default\n"
        "kind: List\n"
        "metadata:\n"
        "  resourceVersion: \"\"\n"
    )


def test_yaml_quotes_like_go_yaml() -> None:
    values = {"kaa": "", "kab": " ", "kac": "true", "kad": "yes", "kae": "null", "kaf": "123", "kag": "0x1F",
              "kah": "1.5", "kai": "12:30", "kaj": "*", "kak": "a: b", "kal": "a#b", "kam": "-x", "kan": "x, y",
              "kao": "it's", "kap": "tab\there", "kaq": "trail ", "kar": "l1\nl2", "kas": "中文", "kat": "<none>",
              "kau": "=", "kav": "NaN", "kaw": ".nan", "kax": "2024-01-01"}
    text = output.to_yaml({"data": values})
    assert text == (
        "data:\n"
        "  kaa: \"\"\n"
        "  kab: ' '\n"
        "  kac: \"true\"\n"
        "  kad: \"yes\"\n"
        "  kae: \"null\"\n"
        "  kaf: \"123\"\n"
        "  kag: \"0x1F\"\n"
        "  kah: \"1.5\"\n"
        "  kai: \"12:30\"\n"
        "  kaj: '*'\n"
        "  kak: 'a: b'\n"
        "  kal: a#b\n"
        "  kam: -x\n"
        "  kan: x, y\n"
        "  kao: it's\n"
        "  kap: \"tab\\there\"\n"
        "  kaq: 'trail '\n"
        "  kar: |-\n"
        "    l1\n"
        "    l2\n"
        "  kas: 中文\n"
        "  kat: <none>\n"
        "  kau: =\n"
        "  kav: NaN\n"
        "  kaw: \".nan\"\n"
        "  kax: \"2024-01-01\"\n"
    )


def test_yaml_key_order_and_scalars() -> None:
    obj = {"key10": 1, "key9": True, "key1": None, "b": 0.5, "a": [], "c": {}, "KEY": 1e21}
    assert output.to_yaml(obj) == (
        "KEY: 1e+21\na: []\nb: 0.5\nc: {}\nkey1: null\nkey9: true\nkey10: 1\n"
    )


def test_yaml_folds_long_lines_at_80_columns() -> None:
    text = output.to_yaml({"message": " ".join(["word"] * 30)})
    assert text == (
        "message: word word word word word word word word word word word word word word word\n"
        "  word word word word word word word word word word word word word word word\n"
    )


def test_json_is_go_marshal_indent() -> None:
    obj = {"kind": "ConfigMap", "apiVersion": "v1", "data": {"a": "<x> & y", "n": 3, "f": 0.25, "e": [], "o": {}},
           "metadata": {"name": "c", "managedFields": []}}
    assert output.to_json(obj) == (
        "{\n"
        "    \"apiVersion\": \"v1\",\n"
        "    \"data\": {\n"
        "        \"a\": \"\\u003cx\\u003e \\u0026 y\",\n"
        "        \"e\": [],\n"
        "        \"f\": 0.25,\n"
        "        \"n\": 3,\n"
        "        \"o\": {}\n"
        "    },\n"
        "    \"kind\": \"ConfigMap\",\n"
        "    \"metadata\": {\n"
        "        \"name\": \"c\"\n"
        "    }\n"
        "}\n"
    )
    assert output.to_json([]) == (
        "{\n    \"apiVersion\": \"v1\",\n    \"items\": [],\n    \"kind\": \"List\",\n"
        "    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n"
    )


def test_show_managed_fields_keeps_them() -> None:
    assert "managedFields" in output.to_yaml(configmap("a", {}), show_managed_fields=True)
    assert "managedFields" not in output.to_yaml(configmap("a", {}))


def test_names() -> None:
    pods = [pod("web-abc"), pod("web-def")]
    assert output.names("pod", pods) == "pod/web-abc\npod/web-def\n"
    assert output.names("deployment.apps", [deploy("web", 1, 1, 1, 1)]) == "deployment.apps/web\n"
    assert output.names(None, [deploy("web", 1, 1, 1, 1), pod("p")]) == "deployment.apps/web\npod/p\n"


def jp_pods() -> list[dict[str, Any]]:
    a = pod("web-1", statuses=[running(), waiting("CrashLoopBackOff", name="side", restarts=3)], containers=("app", "side"))
    b = pod("web-2", phase="Pending", node=None, ip=None)
    return [a, b]


@pytest.mark.parametrize("template, expected", [
    ("{.items[*].metadata.name}", "web-1 web-2"),
    ("{.items[0].status.phase}", "Running"),
    ('{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}', "web-1\tRunning\nweb-2\tPending\n"),
    ("{.items[0].metadata.labels}", '{"app":"web"}'),
    ('{.items[0].status.containerStatuses[?(@.name=="side")].restartCount}', "3"),
    ("{.items[0].spec.containers[-1:].name}", "side"),
    ("{.items[0].status.containerStatuses[0].ready}", "true"),
    ("{.items[*].spec.nodeName}", "node-1"),
    ("{.items[1].spec.nodeName}", ""),
    ("{.kind} has {.items[1].metadata.name}", "List has web-2"),
    ("{range .items[*]}[{range .spec.containers[*]}{.name},{end}]{end}", "[app,side,][app,]"),
    ("{.items[0].metadata['name','namespace']}", "web-1 default"),
    ("plain text", "plain text"),
])
def test_jsonpath(template: str, expected: str) -> None:
    assert output.jsonpath(template, jp_pods()) == expected


def test_jsonpath_on_one_object() -> None:
    assert output.jsonpath("{.status.podIP}", jp_pods()[0]) == "10.244.1.5"


def test_jsonpath_errors_read_like_kubectl() -> None:
    with pytest.raises(output.JSONPathError) as err:
        output.jsonpath("{.items[0].metadata.name", jp_pods())
    assert str(err.value) == "error parsing jsonpath {.items[0].metadata.name, unclosed action"
    with pytest.raises(output.JSONPathError) as err:
        output.jsonpath("{.items[5].metadata.name}", jp_pods())
    assert str(err.value).startswith(
        'error executing jsonpath "{.items[5].metadata.name}": Error executing template: '
        "array index out of bounds: index 5, length 2. Printing more information for debugging the template:\n"
        "\ttemplate was:\n\t\t{.items[5].metadata.name}\n\tobject given to jsonpath engine was:\n"
        '\t\tmap[string]interface {}{"apiVersion":"v1", "items":[]interface {}{map[string]interface {}{'
    )
