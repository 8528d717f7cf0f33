"""Defaulting: the fields the apiserver fills in before it validates and stores an object.

This is why ``kubectl get deploy web -o yaml`` shows much more than the manifest you applied:
``replicas: 1``, ``strategy: RollingUpdate 25%/25%``, ``imagePullPolicy``, ``dnsPolicy``,
``terminationGracePeriodSeconds: 30``... all come from here, as upstream's ``SetDefaults_*``
functions. The apiserver calls :func:`apply_defaults` on every create and update, then validates.

A new kind adds one function to :data:`DEFAULTERS` (keyed by kind name).

Upstream also adds two tolerations to every Pod, but in admission (the ``DefaultTolerationSeconds``
plugin) rather than in defaulting; :func:`default_tolerations` is that step, for the apiserver's
admission chain to call on Pod create.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from . import storage as _storage
from .validation_autoscaling import default_hpa

__all__ = [
    "DEFAULTERS",
    "apply_defaults",
    "default_pod_spec",
    "default_pod_template",
    "default_container",
    "default_tolerations",
    "image_pull_policy",
    "DEFAULT_TOLERATION_SECONDS",
    "PREPARE_FOR_CREATE",
    "JOB_LABELS",
]

Obj = dict[str, Any]

#: ``--default-not-ready-toleration-seconds`` and ``--default-unreachable-toleration-seconds``
DEFAULT_TOLERATION_SECONDS = 300


def image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or no tag, else ``IfNotPresent`` (digests count as a tag)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _default_probe(probe: Obj | None) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        if not http.get("path"):
            http["path"] = "/"
        if not http.get("scheme"):
            http["scheme"] = "HTTP"


def default_container(c: Obj) -> None:
    """``SetDefaults_Container`` and what it reaches: ports, probes, env field refs."""
    if not c.get("imagePullPolicy") and isinstance(c.get("image"), str):
        c["imagePullPolicy"] = image_pull_policy(c["image"])
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    if "resources" not in c:
        c["resources"] = {}
    for port in c.get("ports") or []:
        if isinstance(port, dict) and not port.get("protocol"):
            port["protocol"] = "TCP"
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(c.get(name))
    for env in c.get("env") or []:
        ref = (env.get("valueFrom") or {}).get("fieldRef") if isinstance(env, dict) else None
        if isinstance(ref, dict) and not ref.get("apiVersion"):
            ref["apiVersion"] = "v1"


def _default_volume(v: Obj) -> None:
    sources = [k for k in v if k != "name"]
    if not sources:
        v["emptyDir"] = {}  # a volume with no source is an emptyDir (SetDefaults_Volume)
    for src in ("configMap", "secret"):
        if isinstance(v.get(src), dict):
            v[src].setdefault("defaultMode", 420)
    if isinstance(v.get("hostPath"), dict):
        v["hostPath"].setdefault("type", "")


def default_pod_spec(spec: Obj) -> None:
    """``SetDefaults_PodSpec`` plus the containers': shared by Pods and Pod templates."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if isinstance(c, dict):
            default_container(c)
    for v in spec.get("volumes") or []:
        if isinstance(v, dict):
            _default_volume(v)


def default_pod_template(template: Obj | None) -> None:
    if isinstance(template, dict):
        default_pod_spec(template.setdefault("spec", {}))


def _requests_from_limits(c: Obj) -> None:
    res = c.get("resources") or {}
    limits = res.get("limits")
    if limits:
        requests = res.setdefault("requests", {})
        for name, value in limits.items():
            requests.setdefault(name, value)
        c["resources"] = res


def default_pod(pod: Obj) -> None:
    """``SetDefaults_Pod``: the spec defaults, requests copied from limits, service links on."""
    spec = pod.setdefault("spec", {})
    default_pod_spec(spec)
    # only for Pods, not templates: a template's requests stay as written
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if isinstance(c, dict):
            _requests_from_limits(c)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork"):
        for c in spec.get("containers") or []:
            for port in c.get("ports") or []:
                if not port.get("hostPort"):
                    port["hostPort"] = port.get("containerPort")


def default_tolerations(pod: Obj) -> None:
    """Admission plugin ``DefaultTolerationSeconds``: tolerate not-ready/unreachable nodes for 300 s.

    That is why a Pod on a failed node is evicted about five minutes after the node goes NotReady.
    Not added when the Pod already tolerates the taint (or all NoExecute taints).
    """
    spec = pod.setdefault("spec", {})
    tolerations = spec.get("tolerations") or []

    def tolerates(taint_key: str) -> bool:
        for t in tolerations:
            effect = t.get("effect", "")
            if effect not in ("", "NoExecute"):
                continue
            if not t.get("key") or t.get("key") == taint_key:
                return True
        return False

    added = list(tolerations)
    for taint_key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not tolerates(taint_key):
            added.append(
                {
                    "key": taint_key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
                }
            )
    if added:
        spec["tolerations"] = added


def default_deployment(d: Obj) -> None:
    """apps/v1 ``SetDefaults_Deployment``."""
    spec = d.setdefault("spec", {})
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = spec.setdefault("strategy", {})
    _default_rolling_update(strategy, max_unavailable="25%", max_surge="25%")
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = 600
    default_pod_template(spec.get("template"))


def _default_rolling_update(strategy: Obj, max_unavailable: int | str, max_surge: int | str) -> None:
    """A Deployment's ``strategy`` or a DaemonSet's ``updateStrategy``: RollingUpdate unless set,
    and its two bounds (the values differ per kind, as in upstream's SetDefaults_*)."""
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if ru is None:
            ru = strategy["rollingUpdate"] = {}
        if ru.get("maxUnavailable") is None:
            ru["maxUnavailable"] = max_unavailable
        if ru.get("maxSurge") is None:
            ru["maxSurge"] = max_surge


def default_replicaset(rs: Obj) -> None:
    spec = rs.setdefault("spec", {})
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    default_pod_template(spec.get("template"))


def default_daemonset(ds: Obj) -> None:
    """apps/v1 ``SetDefaults_DaemonSet``: RollingUpdate with maxUnavailable 1, maxSurge 0."""
    spec = ds.setdefault("spec", {})
    strategy = spec.setdefault("updateStrategy", {})
    _default_rolling_update(strategy, max_unavailable=1, max_surge=0)
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    default_pod_template(spec.get("template"))


def default_statefulset(sts: Obj) -> None:
    """apps/v1 ``SetDefaults_StatefulSet``."""
    spec = sts.setdefault("spec", {})
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    if not spec.get("podManagementPolicy"):
        spec["podManagementPolicy"] = "OrderedReady"
    strategy = spec.setdefault("updateStrategy", {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if ru is None:
            ru = strategy["rollingUpdate"] = {}
        if ru.get("partition") is None:
            ru["partition"] = 0
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = 10
    policy = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    policy.setdefault("whenDeleted", "Retain")
    policy.setdefault("whenScaled", "Retain")
    for claim in spec.get("volumeClaimTemplates") or []:
        default_pvc(claim)
    default_pod_template(spec.get("template"))


def default_pvc(pvc: Obj) -> None:
    """``SetDefaults_PersistentVolumeClaimSpec``: volumeMode Filesystem."""
    spec = pvc.setdefault("spec", {})
    if not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"


def default_job(job: Obj) -> None:
    """batch/v1 ``SetDefaults_Job``: completions and parallelism 1 when both are unset,
    backoffLimit 6, completionMode NonIndexed, suspend false, podReplacementPolicy."""
    spec = job.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    if not spec.get("completionMode"):
        spec["completionMode"] = "NonIndexed"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if not spec.get("podReplacementPolicy"):
        spec["podReplacementPolicy"] = "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed"
    default_pod_template(spec.get("template"))


def default_cronjob(cj: Obj) -> None:
    """batch/v1 ``SetDefaults_CronJob``."""
    spec = cj.setdefault("spec", {})
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    if spec.get("suspend") is None:
        spec["suspend"] = False
    if spec.get("successfulJobsHistoryLimit") is None:
        spec["successfulJobsHistoryLimit"] = 3
    if spec.get("failedJobsHistoryLimit") is None:
        spec["failedJobsHistoryLimit"] = 1
    job_spec = (spec.get("jobTemplate") or {}).get("spec")
    if isinstance(job_spec, dict):
        default_job({"spec": job_spec})


JOB_LABELS = ("batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name", "controller-uid",
              "job-name")


def prepare_job_for_create(job: Obj) -> None:
    """The Job registry's ``generateSelector``: unless ``manualSelector``, the selector is the Job's
    own uid and the template gets the four labels (run after the uid is assigned)."""
    spec = job.get("spec")
    if not isinstance(spec, dict) or spec.get("manualSelector"):
        return
    md = job["metadata"]
    uid, name = md.get("uid", ""), md.get("name", "")
    template = spec.setdefault("template", {})
    tmd = template.setdefault("metadata", {})
    labels = tmd.setdefault("labels", {})
    for k, v in zip(JOB_LABELS, (uid, name, uid, name), strict=True):
        labels.setdefault(k, v)
    if spec.get("selector") is None:
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}


#: kind name → a step of ``PrepareForCreate`` that needs the new uid (run by the apiserver)
PREPARE_FOR_CREATE: dict[str, Callable[[Obj], None]] = {"Job": prepare_job_for_create}


def default_namespace(ns: Obj) -> None:
    """Phase ``Active``, the ``kubernetes`` finalizer, and the ``kubernetes.io/metadata.name`` label."""
    md = ns.setdefault("metadata", {})
    if md.get("name"):
        md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
    spec = ns.setdefault("spec", {})
    if not spec.get("finalizers"):
        spec["finalizers"] = ["kubernetes"]
    status = ns.setdefault("status", {})
    if not status.get("phase"):
        status["phase"] = "Active"


def default_node(node: Obj) -> None:
    """Allocatable defaults to capacity (``SetDefaults_NodeStatus``)."""
    status = node.get("status")
    if isinstance(status, dict) and status.get("capacity") and status.get("allocatable") is None:
        status["allocatable"] = dict(status["capacity"])


def default_service(svc: Obj) -> None:
    """``SetDefaults_Service``: type ClusterIP, sessionAffinity None, port protocol and targetPort."""
    spec = svc.setdefault("spec", {})
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "ClientIP":
        cfg = spec.setdefault("sessionAffinityConfig", {}).setdefault("clientIP", {})
        cfg.setdefault("timeoutSeconds", 10800)
    for port in spec.get("ports") or []:
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if spec["type"] in ("ClusterIP", "NodePort", "LoadBalancer") and not spec.get(
        "internalTrafficPolicy"
    ):
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] in ("NodePort", "LoadBalancer") and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"


def default_endpoints(ep: Obj) -> None:
    for subset in ep.get("subsets") or []:
        for port in subset.get("ports") or []:
            if not port.get("protocol"):
                port["protocol"] = "TCP"


def default_secret(secret: Obj) -> None:
    """Type Opaque; ``stringData`` is write-only: merged into ``data`` (base64, its keys win) and
    dropped, as upstream's v1 → internal conversion does, so the API never returns it."""
    if not secret.get("type"):
        secret["type"] = "Opaque"
    string_data = secret.pop("stringData", None)
    if string_data:
        data = secret.setdefault("data", {}) or {}
        secret["data"] = data
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode("utf-8")).decode("ascii")


def default_binding_subjects(obj: Obj) -> None:
    """RBAC ``SetDefaults_Subject``: apiGroup for User and Group subjects."""
    for s in obj.get("subjects") or []:
        if s.get("apiGroup") is None:
            s["apiGroup"] = "" if s.get("kind") == "ServiceAccount" else "rbac.authorization.k8s.io"


#: kind name → defaulting function (in place)
DEFAULTERS: dict[str, Callable[[Obj], None]] = {
    "Pod": default_pod,
    "Deployment": default_deployment,
    "ReplicaSet": default_replicaset,
    "Namespace": default_namespace,
    "Node": default_node,
    "Service": default_service,
    "Endpoints": default_endpoints,
    "Secret": default_secret,
    "DaemonSet": default_daemonset,
    "StatefulSet": default_statefulset,
    "PersistentVolumeClaim": default_pvc,
    "PersistentVolume": _storage.default_pv,
    "StorageClass": _storage.default_sc,
    "Job": default_job,
    "CronJob": default_cronjob,
    "RoleBinding": default_binding_subjects,
    "ClusterRoleBinding": default_binding_subjects,
    "HorizontalPodAutoscaler": default_hpa,
}


def apply_defaults(obj: Obj) -> None:
    """Fill in the defaults of *obj* in place, as the apiserver does before validation."""
    fn = DEFAULTERS.get(str(obj.get("kind", "")))
    if fn is not None:
        fn(obj)
