"""What ``kubectl describe`` prints (kubectl 1.32), from the object, its events and a few relatives.

Unlike ``get``, describe runs entirely in kubectl: it fetches the object, the events whose
``involvedObject`` is that object, and what else it needs (a Deployment's ReplicaSets, a Node's
Pods and Lease), then writes ``Label:\\tvalue`` lines at two-space indent levels into one Go
``text/tabwriter`` (minimum width 0, padding 2). The tabwriter is why values line up: every run of
consecutive lines that contain a tab is aligned together, so ``Volumes:`` lines up with the last
container's fields above it, exactly as on a real cluster::

    Name:             web-7d4b9-x2k8p          ┐ one block: aligned together
    Namespace:        default                  ┘
    Containers:                                  no tab: ends the block
      web:
        Image:          k8sedu/web:v1          ┐ the next block
        ...

Callers pass what kubectl would have fetched: ``events`` (``None`` hides the Events section) and
``related``: ``{"replicasets": [...]}`` for a Deployment, ``{"pods": [...]}`` for a ReplicaSet,
Job, Node, DaemonSet or StatefulSet, ``{"lease": {...}}`` for a Node, ``{"endpointslices": [...]}``
for a Service, ``{"secrets": [...]}`` for a ServiceAccount, ``{"resourcequotas": [...],
"limitranges": [...]}`` for a Namespace. Secret values are never shown, only their size.

This module holds the entry points and the table of describers, kind → describer; the describers
live by subject:

- :mod:`.pods`: Pod, and the Pod Template section; :mod:`.containers` and :mod:`.volumes`: the
  Containers and Volumes sections a Pod and a template share;
- :mod:`.workloads`: Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, CronJob, HPA;
- :mod:`.network`: Service, Endpoints, Ingress;
- :mod:`.cluster`: Node, Namespace, ResourceQuota, LimitRange, PriorityClass;
- :mod:`.config`: ConfigMap, Secret, ServiceAccount;
- :mod:`.storage`: PersistentVolumeClaim, PersistentVolume, StorageClass;
- :mod:`.rbac`: Role, ClusterRole and their bindings;
- :mod:`.generic`: any other kind (custom resources too);
- :mod:`.sections`: what they share (the head, labels, annotations, lists, Events);
  :mod:`.writer`: the prefix writer and Go's value formatting; :mod:`.quantity`: ``Quantity``.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from .cluster import (
    describe_limitrange,
    describe_namespace,
    describe_node,
    describe_priorityclass,
    describe_quota,
)
from .config import describe_configmap, describe_secret, describe_serviceaccount
from .generic import describe_generic
from .network import describe_endpoints, describe_ingress, describe_service
from .pods import describe_pod, pod_template
from .quantity import Quantity
from .rbac import describe_binding, describe_role
from .sections import describe_events
from .storage import describe_pv, describe_pvc, describe_storageclass
from .workloads import (
    describe_cronjob,
    describe_daemonset,
    describe_deployment,
    describe_hpa,
    describe_job,
    describe_replicaset,
    describe_statefulset,
)
from .writer import Context, Describer, Writer

__all__ = ["describe", "describe_events", "pod_template_section", "Quantity", "DESCRIBERS"]

#: kind → describer; kinds not listed get the generic one, as in kubectl.
DESCRIBERS: dict[str, Describer] = {
    "Pod": describe_pod,
    "Deployment": describe_deployment,
    "ReplicaSet": describe_replicaset,
    "Node": describe_node,
    "Namespace": describe_namespace,
    "Service": describe_service,
    "Secret": describe_secret,
    "ConfigMap": describe_configmap,
    "Job": describe_job,
    "CronJob": describe_cronjob,
    "Endpoints": describe_endpoints,
    "ServiceAccount": describe_serviceaccount,
    "DaemonSet": describe_daemonset,
    "StatefulSet": describe_statefulset,
    "PersistentVolumeClaim": describe_pvc,
    "PersistentVolume": describe_pv,
    "StorageClass": describe_storageclass,
    "PriorityClass": describe_priorityclass,
    "ResourceQuota": describe_quota,
    "LimitRange": describe_limitrange,
    "Role": describe_role,
    "ClusterRole": describe_role,
    "RoleBinding": describe_binding,
    "ClusterRoleBinding": describe_binding,
    "Ingress": describe_ingress,
    "HorizontalPodAutoscaler": describe_hpa,
}

# Describers that never show events, whatever the caller passes (as upstream); the others end with them.
_NO_EVENTS = {"Namespace", "Secret", "ResourceQuota", "LimitRange", "Role", "ClusterRole", "RoleBinding",
              "ClusterRoleBinding"}


def describe(obj: dict[str, Any], events: list[dict[str, Any]] | None, *, now: float,
             related: dict[str, Any] | None = None, tz: tzinfo | None = None) -> str:
    """``kubectl describe`` of *obj* at cluster time *now*.

    *events* are the Events about the object (``None``: ``--show-events=false``). Timestamps are
    printed in *tz*, default the local zone as kubectl does.
    """
    kind = str(obj.get("kind", ""))
    w = Writer()
    DESCRIBERS.get(kind, describe_generic)(w, obj, Context(now=now, related=related or {}, tz=tz))
    if events is not None and kind not in _NO_EVENTS:
        describe_events(w, events, now)
    return w.render()


def pod_template_section(template: dict[str, Any] | None, *, tz: tzinfo | None = None,
                         aligned: bool = False) -> str:
    """The ``Pod Template:`` section on its own.

    ``kubectl rollout history --revision=N`` prints it without kubectl's tabwriter, so label and
    value are separated by a raw tab (``  Labels:\\tapp=web``): that is the default here.
    ``aligned=True`` gives the section as it appears inside ``kubectl describe``.
    """
    w = Writer()
    pod_template(w, template, tz)
    return w.render() if aligned else w.raw()
