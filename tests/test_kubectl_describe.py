"""kubectl describe's layout (kubectl 1.32), exact to the space.

The first tests pin hand-checked outputs. The last ones run the genuine kubectl binary against a
tiny stub apiserver serving the same objects and require byte-for-byte equality with our
describe, -o yaml/json/name/jsonpath and table decoration (skipped only when no kubectl is on
PATH, unless K8SEDU_REQUIRE_KUBECTL=1).
"""

from __future__ import annotations

import base64
import copy
import json
import math
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from k8sedu.clock import rfc3339
from k8sedu.kubectl import output, printers
from k8sedu.kubectl.describe import Quantity, describe
from k8sedu.kubectl.describe import pod_template_section as describe_pod_template_text

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
UTC = timezone.utc


# --------------------------------------------------------------------------------------------
# objects (built around any "now", so the kubectl comparison can use the real clock)
# --------------------------------------------------------------------------------------------


def world(now: float) -> dict[str, Any]:
    def ts(ago: float) -> str:
        return rfc3339(now - ago)

    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-7d4b9c8f6-x2k8p", "namespace": "default", "uid": "0b1c", "creationTimestamp": ts(300),
                     "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6"},
                     "annotations": {"k8sedu.io/note": "first line\nsecond line", "kubectl.kubernetes.io/last-applied-configuration": "{}"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f6",
                                          "uid": "uid-web-7d4b9c8f6", "controller": True}]},
        "spec": {"nodeName": "node-2", "serviceAccountName": "default", "priority": 0,
                 "containers": [{"name": "web", "image": "k8sedu/web:v1", "ports": [{"containerPort": 80, "protocol": "TCP"}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                               "limits": {"cpu": "500m", "memory": "128Mi"}},
                                 "livenessProbe": {"httpGet": {"path": "/healthz", "port": 80, "scheme": "HTTP"},
                                                   "initialDelaySeconds": 3, "timeoutSeconds": 1, "periodSeconds": 10,
                                                   "successThreshold": 1, "failureThreshold": 3},
                                 "env": [{"name": "VERSION", "value": "v1"},
                                         {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
                                 "volumeMounts": [{"name": "kube-api-access-8x2lq", "readOnly": True,
                                                   "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
                 "volumes": [{"name": "kube-api-access-8x2lq", "projected": {"sources": [
                     {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                     {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                     {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                                    "fieldPath": "metadata.namespace"}}]}}]}}],
                 "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                                  "tolerationSeconds": 300},
                                 {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                                  "tolerationSeconds": 300}]},
        "status": {"phase": "Running", "hostIP": "172.18.0.3", "podIP": "10.244.2.7", "podIPs": [{"ip": "10.244.2.7"}],
                   "startTime": ts(299), "qosClass": "Burstable",
                   "conditions": [{"type": t, "status": "True"} for t in
                                  ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")],
                   "containerStatuses": [{"name": "web", "ready": True, "restartCount": 2, "image": "k8sedu/web:v1",
                                          "imageID": "docker://sha256:4f1a", "containerID": "docker://9c0ffee",
                                          "started": True, "state": {"running": {"startedAt": ts(40)}},
                                          "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                                                       "startedAt": ts(100), "finishedAt": ts(45)}}}]},
    }

    def ev(name: str, kind: str, obj: str, uid: str, reason: str, msg: str, first: float, last: float | None = None,
           count: int = 1, typ: str = "Normal", comp: str = "kubelet") -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Event",
                "metadata": {"name": name, "namespace": "default", "creationTimestamp": ts(first)},
                "involvedObject": {"kind": kind, "name": obj, "namespace": "" if kind == "Node" else "default", "uid": uid},
                "reason": reason, "message": msg, "type": typ, "source": {"component": comp},
                "firstTimestamp": ts(first), "lastTimestamp": ts(first if last is None else last), "count": count}

    name = pod["metadata"]["name"]
    pod_events = [
        ev("e5", "Pod", name, "0b1c", "BackOff", f"Back-off restarting failed container web in pod {name}_default(0b1c)",
           120, 50, 3, "Warning"),
        ev("e1", "Pod", name, "0b1c", "Scheduled", f"Successfully assigned default/{name} to node-2", 300,
           comp="default-scheduler"),
        ev("e2", "Pod", name, "0b1c", "Pulled", 'Container image "k8sedu/web:v1" already present on machine', 298, 40, 3),
        ev("e3", "Pod", name, "0b1c", "Created", "Created container: web", 298, 40, 3),
        ev("e4", "Pod", name, "0b1c", "Started", "Started container web", 297, 40, 3),
    ]
    template = {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v2",
                                         "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}}

    def rs(rs_name: str, hash_: str, replicas: int, created: float, image: str) -> dict[str, Any]:
        t = copy.deepcopy(template)
        t["metadata"]["labels"]["pod-template-hash"] = hash_
        t["spec"]["containers"][0]["image"] = image
        return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs_name, "namespace": "default", "uid": "uid-" + rs_name, "creationTimestamp": ts(created),
                             "labels": {"app": "web", "pod-template-hash": hash_},
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                  "uid": "d1", "controller": True}]},
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web", "pod-template-hash": hash_}},
                         "template": t},
                "status": {"replicas": replicas}}

    deploy = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "default", "uid": "d1", "creationTimestamp": ts(7200),
                           "labels": {"app": "web"}, "annotations": {"deployment.kubernetes.io/revision": "2"}},
              "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                       "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                       "template": template},
              "status": {"replicas": 4, "updatedReplicas": 2, "readyReplicas": 3, "availableReplicas": 3,
                         "unavailableReplicas": 1,
                         "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                        {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}]}}
    dep_events = [
        ev("d1", "Deployment", "web", "d1", "ScalingReplicaSet", "Scaled up replica set web-7d4b9c8f6 from 0 to 1", 60,
           comp="deployment-controller"),
        ev("d2", "Deployment", "web", "d1", "ScalingReplicaSet", "Scaled down replica set web-5c6f8d9b4 from 3 to 2", 30,
           comp="deployment-controller"),
    ]
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "node-2", "uid": "n2", "creationTimestamp": ts(86400),
                         "labels": {"kubernetes.io/hostname": "node-2", "kubernetes.io/os": "linux"},
                         "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
            "spec": {"podCIDR": "10.244.2.0/24", "podCIDRs": ["10.244.2.0/24"]},
            "status": {"capacity": {"cpu": "2", "memory": "4Gi", "pods": "110", "ephemeral-storage": "20Gi"},
                       "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110", "ephemeral-storage": "20Gi"},
                       "conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": ts(10),
                                       "lastTransitionTime": ts(86390), "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status"}],
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.3"}, {"type": "Hostname", "address": "node-2"}],
                       "nodeInfo": {"machineID": "k8sedu-node-2", "systemUUID": "k8sedu-node-2", "bootID": "b2",
                                    "kernelVersion": "6.1.0", "osImage": "k8sedu sim",
                                    "containerRuntimeVersion": "docker://24.0.7", "kubeletVersion": "v1.32.4",
                                    "kubeProxyVersion": "v1.32.4", "operatingSystem": "linux", "architecture": "amd64"}}}
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "node-2", "namespace": "kube-node-lease", "creationTimestamp": ts(86400), "uid": "l2",
                          "resourceVersion": "77"},
             "spec": {"holderIdentity": "node-2", "leaseDurationSeconds": 40, "renewTime": ts(10)[:-1] + ".000000Z"}}
    db = copy.deepcopy(pod)
    db["metadata"].update(name="db-0", namespace="data", uid="db0", ownerReferences=[])
    db["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "250m", "memory": "256Mi"}}
    namespace = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": "demo", "creationTimestamp": ts(600), "labels": {"kubernetes.io/metadata.name": "demo"}},
                 "status": {"phase": "Active"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "default", "creationTimestamp": ts(60)},
              "type": "Opaque", "data": {"password": base64.b64encode(b"s3cr3t!").decode()}}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "game", "namespace": "default", "creationTimestamp": ts(60)},
                 "data": {"game.properties": "lives=3\nlevel=1\n"}}
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ts(600), "labels": {"app": "web"}},
               "spec": {"type": "NodePort", "selector": {"app": "web"}, "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                        "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                        "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster",
                        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP", "nodePort": 30080}]}}
    endpointslice = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                     "metadata": {"name": "web-x1", "namespace": "default", "creationTimestamp": ts(600),
                                  "labels": {"kubernetes.io/service-name": "web"}},
                     "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                     "endpoints": [{"addresses": ["10.244.2.7"], "conditions": {"ready": True}},
                                   {"addresses": ["10.244.1.4"], "conditions": {"ready": False}}]}
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": "pi", "namespace": "default", "uid": "j1", "creationTimestamp": ts(200),
                        "labels": {"batch.kubernetes.io/job-name": "pi"}},
           "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 6, "completionMode": "NonIndexed", "suspend": False,
                    "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "j1"}},
                    "template": {"metadata": {"labels": {"batch.kubernetes.io/job-name": "pi"}},
                                 "spec": {"restartPolicy": "Never",
                                          "containers": [{"name": "pi", "image": "perl", "command": ["perl", "-e", "print 1"]}]}}},
           "status": {"startTime": ts(200), "completionTime": ts(150), "succeeded": 1, "ready": 0,
                      "conditions": [{"type": "Complete", "status": "True"}]}}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "viewer", "creationTimestamp": ts(600)},
            "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]},
                      {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]},
                      {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"]},
                      {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]}
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
               "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ts(600)},
               "spec": {"ingressClassName": "k8sedu",
                        "rules": [{"host": "web.example.com", "http": {"paths": [
                            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                            {"path": "/api", "pathType": "Prefix",
                             "backend": {"service": {"name": "api", "port": {"number": 8080}}}}]}}]}}
    return {"pod": pod, "pod_events": pod_events, "deploy": deploy, "dep_events": dep_events,
            "rss": [rs("web-7d4b9c8f6", "7d4b9c8f6", 2, 60, "k8sedu/web:v2"),
                    rs("web-5c6f8d9b4", "5c6f8d9b4", 2, 7200, "k8sedu/web:v1")],
            "node": node, "lease": lease, "db": db, "namespace": namespace, "secret": secret, "configmap": configmap,
            "service": service, "endpointslice": endpointslice, "job": job, "role": role, "ingress": ingress}


W = world(NOW)


# --------------------------------------------------------------------------------------------
# quantities
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, canonical", [
    ("100m", "100m"), ("1000m", "1"), ("1500m", "1500m"), ("0.5", "500m"), ("2", "2"), ("1500000", "1500k"),
    ("64Mi", "64Mi"), ("2048Mi", "2Gi"), ("1.5Gi", "1536Mi"), ("1000", "1k"), ("512", "512"), ("1G", "1G"),
    ("0", "0"), ("1e3", "1e3"), ("8141172Ki", "8141172Ki"), ("100Ki", "100Ki"),
])
def test_quantity_prints_canonically(text: str, canonical: str) -> None:
    assert str(Quantity.parse(text)) == canonical


def test_quantity_sums_keep_the_first_format() -> None:
    assert str(Quantity.parse("64Mi") + Quantity.parse("256Mi")) == "320Mi"
    assert str(Quantity.parse("100m") + Quantity.parse("250m")) == "350m"
    assert Quantity.parse("1.5").milli_value() == 1500
    assert Quantity.parse("100m").int_value() == 1


# --------------------------------------------------------------------------------------------
# exact layouts
# --------------------------------------------------------------------------------------------

# kubectl writes the pod conditions as "%v \t%v \n": each status ends in a space (marked ␠ here).
POD_DESCRIBE = """\
Name:             web-7d4b9c8f6-x2k8p
Namespace:        default
Priority:         0
Service Account:  default
Node:             node-2/172.18.0.3
Start Time:       Fri, 15 Jan 2027 07:55:01 +0000
Labels:           app=web
                  pod-template-hash=7d4b9c8f6
Annotations:      k8sedu.io/note:
                    first line
                    second line
Status:           Running
IP:               10.244.2.7
IPs:
  IP:           10.244.2.7
Controlled By:  ReplicaSet/web-7d4b9c8f6
Containers:
  web:
    Container ID:   docker://9c0ffee
    Image:          k8sedu/web:v1
    Image ID:       docker://sha256:4f1a
    Port:           80/TCP
    Host Port:      0/TCP
    State:          Running
      Started:      Fri, 15 Jan 2027 07:59:20 +0000
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
      Started:      Fri, 15 Jan 2027 07:58:20 +0000
      Finished:     Fri, 15 Jan 2027 07:59:15 +0000
    Ready:          True
    Restart Count:  2
    Limits:
      cpu:     500m
      memory:  128Mi
    Requests:
      cpu:     100m
      memory:  64Mi
    Liveness:  http-get http://:80/healthz delay=3s timeout=1s period=10s #success=1 #failure=3
    Environment:
      VERSION:   v1
      PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false
    Mounts:
      /var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-8x2lq (ro)
Conditions:
  Type                        Status
  PodReadyToStartContainers   True␠
  Initialized                 True␠
  Ready                       True␠
  ContainersReady             True␠
  PodScheduled                True␠
Volumes:
  kube-api-access-8x2lq:
    Type:                    Projected (a volume that contains injected data from multiple sources)
    TokenExpirationSeconds:  3607
    ConfigMapName:           kube-root-ca.crt
    ConfigMapOptional:       <nil>
    DownwardAPI:             true
QoS Class:                   Burstable
Node-Selectors:              <none>
Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
Events:
  Type     Reason     Age                  From               Message
  ----     ------     ----                 ----               -------
  Normal   Scheduled  5m                   default-scheduler  Successfully assigned default/web-7d4b9c8f6-x2k8p to node-2
  Warning  BackOff    50s (x3 over 2m)     kubelet            Back-off restarting failed container web in pod web-7d4b9c8f6-x2k8p_default(0b1c)
  Normal   Pulled     40s (x3 over 4m58s)  kubelet            Container image "k8sedu/web:v1" already present on machine
  Normal   Created    40s (x3 over 4m58s)  kubelet            Created container: web
  Normal   Started    40s (x3 over 4m57s)  kubelet            Started container web
""".replace("␠", " ")


def test_describe_pod() -> None:
    assert describe(W["pod"], W["pod_events"], now=NOW, tz=UTC) == POD_DESCRIBE


def test_describe_pod_without_events_aligns_events_none_with_the_block_above() -> None:
    text = describe(W["pod"], [], now=NOW, tz=UTC)
    assert text.endswith(
        "Tolerations:                 node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
        "                             node.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"
        "Events:                      <none>\n"
    )
    hidden = describe(W["pod"], None, now=NOW, tz=UTC)
    assert "Events:" not in hidden and hidden.endswith("op=Exists for 300s\n")


def test_describe_pod_status_terminating_and_timezone() -> None:
    pod = copy.deepcopy(W["pod"])
    pod["metadata"]["deletionTimestamp"] = rfc3339(NOW + 30)
    pod["metadata"]["deletionGracePeriodSeconds"] = 30
    text = describe(pod, None, now=NOW, tz=timezone.utc)
    assert "Status:                    Terminating (lasts <invalid>)\nTermination Grace Period:  30s\n" in text
    from datetime import timedelta

    beijing = describe(W["pod"], None, now=NOW, tz=timezone(timedelta(hours=8)))
    assert "Start Time:       Fri, 15 Jan 2027 15:55:01 +0800\n" in beijing


def test_describe_deployment() -> None:
    text = describe(W["deploy"], W["dep_events"], now=NOW, related={"replicasets": W["rss"]}, tz=UTC)
    assert text == """\
Name:                   web
Namespace:              default
CreationTimestamp:      Fri, 15 Jan 2027 06:00:00 +0000
Labels:                 app=web
Annotations:            deployment.kubernetes.io/revision: 2
Selector:               app=web
Replicas:               3 desired | 2 updated | 4 total | 3 available | 1 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  25% max unavailable, 25% max surge
Pod Template:
  Labels:  app=web
  Containers:
   web:
    Image:         k8sedu/web:v2
    Port:          80/TCP
    Host Port:     0/TCP
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    ReplicaSetUpdated
OldReplicaSets:  web-5c6f8d9b4 (2/2 replicas created)
NewReplicaSet:   web-7d4b9c8f6 (2/2 replicas created)
Events:
  Type    Reason             Age   From                   Message
  ----    ------             ----  ----                   -------
  Normal  ScalingReplicaSet  60s   deployment-controller  Scaled up replica set web-7d4b9c8f6 from 0 to 1
  Normal  ScalingReplicaSet  30s   deployment-controller  Scaled down replica set web-5c6f8d9b4 from 3 to 2
"""


def test_describe_replicaset_counts_only_its_own_pods() -> None:
    text = describe(W["rss"][0], [], now=NOW, related={"pods": [W["pod"], W["db"]]}, tz=UTC)
    assert "Controlled By:  Deployment/web\n" in text
    assert "Replicas:       2 current / 2 desired\n" in text
    assert "Pods Status:    1 Running / 0 Waiting / 0 Succeeded / 0 Failed\n" in text


def test_describe_node() -> None:
    text = describe(W["node"], [], now=NOW, related={"pods": [W["pod"], W["db"]], "lease": W["lease"]}, tz=UTC)
    assert text == """\
Name:               node-2
Roles:              <none>
Labels:             kubernetes.io/hostname=node-2
                    kubernetes.io/os=linux
Annotations:        node.alpha.kubernetes.io/ttl: 0
CreationTimestamp:  Thu, 14 Jan 2027 08:00:00 +0000
Taints:             <none>
Unschedulable:      false
Lease:
  HolderIdentity:  node-2
  AcquireTime:     <unset>
  RenewTime:       Fri, 15 Jan 2027 07:59:50 +0000
Conditions:
  Type    Status  LastHeartbeatTime                 LastTransitionTime                Reason         Message
  ----    ------  -----------------                 ------------------                ------         -------
  Ready   True    Fri, 15 Jan 2027 07:59:50 +0000   Thu, 14 Jan 2027 08:00:10 +0000   KubeletReady   kubelet is posting ready status
Addresses:
  InternalIP:  172.18.0.3
  Hostname:    node-2
Capacity:
  cpu:                2
  ephemeral-storage:  20Gi
  memory:             4Gi
  pods:               110
Allocatable:
  cpu:                2
  ephemeral-storage:  20Gi
  memory:             4Gi
  pods:               110
System Info:
  Machine ID:                 k8sedu-node-2
  System UUID:                k8sedu-node-2
  Boot ID:                    b2
  Kernel Version:             6.1.0
  OS Image:                   k8sedu sim
  Operating System:           linux
  Architecture:               amd64
  Container Runtime Version:  docker://24.0.7
  Kubelet Version:            v1.32.4
  Kube-Proxy Version:         v1.32.4
PodCIDR:                      10.244.2.0/24
PodCIDRs:                     10.244.2.0/24
Non-terminated Pods:          (2 in total)
  Namespace                   Name                   CPU Requests  CPU Limits  Memory Requests  Memory Limits  Age
  ---------                   ----                   ------------  ----------  ---------------  -------------  ---
  default                     web-7d4b9c8f6-x2k8p    100m (5%)     500m (25%)  64Mi (1%)        128Mi (3%)     5m
  data                        db-0                   250m (12%)    0 (0%)      256Mi (6%)       0 (0%)         5m
Allocated resources:
  (Total limits may be over 100 percent, i.e., overcommitted.)
  Resource           Requests    Limits
  --------           --------    ------
  cpu                350m (17%)  500m (25%)
  memory             320Mi (7%)  128Mi (3%)
  ephemeral-storage  0 (0%)      0 (0%)
Events:              <none>
"""


def test_describe_node_without_lease_and_with_taints() -> None:
    node = copy.deepcopy(W["node"])
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                              {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    node["spec"]["unschedulable"] = True
    text = describe(node, None, now=NOW, tz=UTC)
    assert ("Taints:             dedicated=gpu:NoSchedule\n"
            "                    node.kubernetes.io/unschedulable:NoSchedule\n"
            "Unschedulable:      true\n"
            'Lease:              Failed to get lease: leases.coordination.k8s.io "node-2" not found\n') in text
    assert "Non-terminated Pods:          (0 in total)\n" in text


def test_describe_namespace() -> None:
    assert describe(W["namespace"], [], now=NOW, tz=UTC) == (
        "Name:         demo\n"
        "Labels:       kubernetes.io/metadata.name=demo\n"
        "Annotations:  <none>\n"
        "Status:       Active\n"
        "\n"
        "No resource quota.\n"
        "\n"
        "No LimitRange resource.\n"
    )


def test_describe_secret_shows_sizes_never_values() -> None:
    secret = copy.deepcopy(W["secret"])
    secret["data"]["user"] = base64.b64encode(b"admin").decode()
    text = describe(secret, [], now=NOW, tz=UTC)
    assert text == (
        "Name:         db\n"
        "Namespace:    default\n"
        "Labels:       <none>\n"
        "Annotations:  <none>\n"
        "\n"
        "Type:  Opaque\n"
        "\n"
        "Data\n"
        "====\n"
        "password:  7 bytes\n"
        "user:      5 bytes\n"
    )
    assert "s3cr3t" not in text and "admin" not in text


def test_describe_generic_falls_back_to_the_object_fields() -> None:
    assert describe(W["lease"], [], now=NOW, tz=UTC) == """\
Name:         node-2
Namespace:    kube-node-lease
Labels:       <none>
Annotations:  <none>
API Version:  coordination.k8s.io/v1
Kind:         Lease
Metadata:
  Creation Timestamp:  2027-01-14T08:00:00Z
  Resource Version:    77
  UID:                 l2
Spec:
  Holder Identity:         node-2
  Lease Duration Seconds:  40
  Renew Time:              2027-01-15T07:59:50.000000Z
Events:                    <none>
"""


# --------------------------------------------------------------------------------------------
# against the genuine kubectl
# --------------------------------------------------------------------------------------------

_KUBECTL = shutil.which("kubectl")
_RESOURCES = {
    "v1": [("pods", "Pod", True), ("nodes", "Node", False), ("namespaces", "Namespace", False), ("events", "Event", True),
           ("services", "Service", True), ("configmaps", "ConfigMap", True), ("secrets", "Secret", True),
           ("resourcequotas", "ResourceQuota", True), ("limitranges", "LimitRange", True)],
    "apps/v1": [("deployments", "Deployment", True), ("replicasets", "ReplicaSet", True)],
    "batch/v1": [("jobs", "Job", True)],
    "coordination.k8s.io/v1": [("leases", "Lease", True)],
    "discovery.k8s.io/v1": [("endpointslices", "EndpointSlice", True)],
    "networking.k8s.io/v1": [("ingresses", "Ingress", True)],
    "rbac.authorization.k8s.io/v1": [("clusterroles", "ClusterRole", False)],
}
_KIND_OF = {plural: kind for items in _RESOURCES.values() for plural, kind, _ in items}


class _StubAPI(BaseHTTPRequestHandler):
    """Just enough apiserver for kubectl get/describe: discovery, get, list with selectors, Table."""

    objects: list[dict[str, Any]] = []
    table_now: list[float] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, obj: Any, code: int = 200) -> None:
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urllib.parse.urlparse(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        if path == "/version":
            return self._send({"major": "1", "minor": "32", "gitVersion": "v1.32.4"})
        if path == "/api":
            return self._send({"kind": "APIVersions", "versions": ["v1"]})
        if path == "/apis":
            groups = [{"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
                       "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}}
                      for gv in _RESOURCES if gv != "v1"]
            return self._send({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        gv = "v1" if path.startswith("/api/") else "/".join(path.split("/")[2:4])
        if path in ("/api/v1", f"/apis/{gv}") and gv in _RESOURCES:
            return self._send({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": [
                {"name": p, "singularName": k.lower(), "namespaced": ns, "kind": k,
                 "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]} for p, k, ns in _RESOURCES[gv]]})
        m = re.match(r"^/(?:api/v1|apis/[^/]+/[^/]+)(?:/namespaces/([^/]+))?/([^/]+)(?:/([^/]+))?$", path)
        if not m:
            return self._send({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                               "code": 404}, 404)
        ns, resource, name = m.groups()
        if resource == "namespaces" and ns is not None and name is None:
            resource, name, ns = "namespaces", ns, None
        objs = [o for o in self.objects if o["kind"] == _KIND_OF.get(resource)
                and (ns is None or o["metadata"].get("namespace") == ns)]
        if name:
            for o in objs:
                if o["metadata"]["name"] == name:
                    return self._send(o)
            return self._send({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                               "message": f'{resource} "{name}" not found', "code": 404,
                               "details": {"name": name, "kind": resource}}, 404)
        for term in filter(None, query.get("fieldSelector", [""])[0].split(",")):
            negate = "!=" in term
            key, value = term.split("!=" if negate else "=", 1)

            def field(o: dict[str, Any], key: str = key) -> str:
                cur: Any = o
                for part in key.split("."):
                    cur = cur.get(part, "") if isinstance(cur, dict) else ""
                return str(cur or "")
            objs = [o for o in objs if (field(o) != value) == negate]
        for term in filter(None, query.get("labelSelector", [""])[0].split(",")):
            key, value = term.split("=", 1)
            objs = [o for o in objs if (o["metadata"].get("labels") or {}).get(key) == value]
        if "as=Table" in self.headers.get("Accept", ""):
            now = time.time()
            self.table_now.append(now)
            return self._send(printers.as_table(resource, objs, now=now))
        return self._send({"kind": _KIND_OF[resource] + "List", "apiVersion": gv, "metadata": {"resourceVersion": "9"},
                           "items": objs})


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[dict[str, Any], Any]]:
    if _KUBECTL is None:
        if os.environ.get("K8SEDU_REQUIRE_KUBECTL") == "1":
            pytest.fail("kubectl is not on PATH")
        pytest.skip("kubectl is not on PATH")
    objects = world(time.time())
    flat = [objects[k] for k in ("pod", "deploy", "node", "lease", "db", "namespace", "secret", "configmap", "service",
                                 "endpointslice", "job", "role", "ingress")]
    flat += objects["pod_events"] + objects["dep_events"] + objects["rss"]

    class Handler(_StubAPI):
        pass

    Handler.objects, Handler.table_now = flat, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    home = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"k8sedu-kubectl-test-{os.getpid()}")
    os.makedirs(home, exist_ok=True)
    kubeconfig = os.path.join(home, "kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
clusters: [{{name: stub, cluster: {{server: "http://127.0.0.1:{server.server_address[1]}"}}}}]
contexts: [{{name: stub, context: {{cluster: stub, user: u, namespace: default}}}}]
current-context: stub
users: [{{name: u, user: {{}}}}]
""")
    env = {**os.environ, "KUBECONFIG": kubeconfig, "HOME": home, "TZ": "UTC"}

    def kubectl(*args: str) -> tuple[str, float, float]:
        t0 = time.time()
        done = subprocess.run([_KUBECTL, *args], capture_output=True, text=True, env=env, timeout=60)
        return done.stdout + done.stderr, t0, time.time()

    yield objects, (kubectl, Handler.table_now)
    server.shutdown()
    server.server_close()
    shutil.rmtree(home, ignore_errors=True)


def _candidate_nows(t0: float, t1: float) -> list[float]:
    """kubectl read its clock somewhere in [t0, t1]; ages only change on whole seconds."""
    return [t0, t1] + [k + 0.5 for k in range(math.floor(t0) - 1, math.floor(t1) + 1)]


@pytest.mark.parametrize("args, key, events, related", [
    (["pod", "web-7d4b9c8f6-x2k8p"], "pod", "pod_events", None),
    (["deployment", "web"], "deploy", "dep_events", {"replicasets": "rss"}),
    (["node", "node-2"], "node", [], {"pods": ["pod", "db"], "lease": "lease"}),
    (["namespace", "demo"], "namespace", None, None),
    (["secret", "db"], "secret", None, None),
    (["configmap", "game"], "configmap", [], None),
    (["service", "web"], "service", [], {"endpointslices": ["endpointslice"]}),
    (["job", "pi"], "job", [], {"pods": []}),
    (["lease", "-n", "kube-node-lease", "node-2"], "lease", [], None),
    (["clusterrole", "viewer"], "role", None, None),
    (["ingress", "web"], "ingress", [], {"services": ["service"], "endpointslices": ["endpointslice"]}),
])
def test_describe_matches_real_kubectl(live: Any, args: list[str], key: str, events: Any, related: Any) -> None:
    objects, (kubectl, _) = live

    def resolve(ref: Any) -> Any:
        if isinstance(ref, str):
            return objects[ref]
        if isinstance(ref, list):
            return [objects[r] for r in ref]
        return ref

    rel = {k: resolve(v) for k, v in (related or {}).items()}
    real, t0, t1 = kubectl("describe", *args)
    ours = {describe(objects[key], resolve(events), now=now, related=rel, tz=UTC) for now in _candidate_nows(t0, t1)}
    assert real in ours, f"kubectl printed:\n{real}\nwe printed:\n{sorted(ours)[0]}"


def test_outputs_match_real_kubectl(live: Any) -> None:
    objects, (kubectl, _) = live
    pods = [objects["pod"]]
    assert kubectl("get", "pods", "-o", "yaml")[0] == output.to_yaml(pods)
    assert kubectl("get", "pod", "web-7d4b9c8f6-x2k8p", "-o", "yaml")[0] == output.to_yaml(pods[0])
    assert kubectl("get", "deployments", "-o", "json")[0] == output.to_json([objects["deploy"]])
    assert kubectl("get", "replicasets", "-o", "name")[0] == output.names("replicaset.apps", objects["rss"])
    template = ('{range .items[*]}{.metadata.name}{"\\t"}{.status.containerStatuses[?(@.name=="web")].restartCount}'
                '{"\\n"}{end}{.items[0].spec.containers[0].resources}')
    assert kubectl("get", "pods", "-o", "jsonpath=" + template)[0] == output.jsonpath(template, pods)


@pytest.mark.parametrize("args, resource, kwargs", [
    (["pods", "-A", "-o", "wide", "--show-labels", "-L", "app"], "pods",
     {"all_namespaces": True, "wide": True, "show_labels": True, "label_columns": ("app",)}),
    (["nodes", "-A"], "nodes", {"all_namespaces": True}),
    (["events", "-o", "wide"], "events", {"wide": True, "sort_events": False}),
])
def test_table_decoration_matches_real_kubectl(live: Any, args: list[str], resource: str, kwargs: dict[str, Any]) -> None:
    objects, (kubectl, table_now) = live
    real = kubectl("get", *args)[0]
    every = [objects[k] for k in ("pod", "db", "node")] + objects["pod_events"] + objects["dep_events"]
    kind = _KIND_OF[resource]
    objs = [o for o in every if o["kind"] == kind
            and (kwargs.get("all_namespaces") or o["metadata"].get("namespace") in (None, "default"))]
    assert real == printers.table(resource, objs, now=table_now[-1], **kwargs)


def test_pod_template_section_is_unaligned_as_in_rollout_history() -> None:
    # kubectl rollout history --revision=N writes this section without its tabwriter
    assert describe_pod_template_text(W["rss"][0]["spec"]["template"]) == (
        "Pod Template:\n"
        "  Labels:\tapp=web\n"
        "\tpod-template-hash=7d4b9c8f6\n"
        "  Containers:\n"
        "   web:\n"
        "    Image:\tk8sedu/web:v2\n"
        "    Port:\t80/TCP\n"
        "    Host Port:\t0/TCP\n"
        "    Environment:\t<none>\n"
        "    Mounts:\t<none>\n"
        "  Volumes:\t<none>\n"
        "  Node-Selectors:\t<none>\n"
        "  Tolerations:\t<none>\n"
    )
    assert describe_pod_template_text(W["rss"][0]["spec"]["template"], aligned=True).startswith(
        "Pod Template:\n  Labels:  app=web\n           pod-template-hash=7d4b9c8f6\n"
    )
