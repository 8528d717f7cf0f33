"""Reading the protobuf bodies kubectl sends.

kubectl's typed clients (``kubectl create deployment|namespace|configmap|secret|service|job``,
``kubectl drain``'s Evictions, ``kubectl auth can-i``) encode request bodies as
``application/vnd.kubernetes.protobuf`` and do not fall back to JSON, so the server must read
them. The envelope is the magic ``k8s\\0`` and a ``runtime.Unknown``::

    k8s\\0 | Unknown{ typeMeta{apiVersion=1, kind=2} = 1, raw = 2, contentEncoding = 3, contentType = 4 }

``raw`` is the object's message. Field numbers come from upstream's ``generated.proto`` files
(they never change once released); the proto field names are the JSON names. Only the messages
kubectl's generators fill in are described here: an unknown field is dropped, as an old server
drops a field it does not know. Responses are always JSON (kubectl accepts both).
"""

from __future__ import annotations

import base64
from typing import Any

from ..clock import rfc3339
from ..errors import BadRequest

__all__ = ["MAGIC", "CONTENT_TYPE", "decode", "MESSAGES", "ROOTS"]

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

# field number -> (json name, type). Types: "string", "int", "bool", "bytes" (base64 in JSON),
# a message name, "[]T" repeated, "map:T" (string keys); "T?" a Go pointer (kept when zero; other
# zero scalars are dropped, as Go's omitempty does); "inline:T" an embedded struct whose fields
# join the parent's in JSON. Special messages: Time, IntOrString, Quantity.
_F = dict[int, tuple[str, str]]
_OBJECT = {1: ("metadata", "ObjectMeta"), 2: ("spec", "{}Spec"), 3: ("status", "{}Status")}


def _obj(kind: str) -> _F:
    return {n: (name, t.format(kind)) for n, (name, t) in _OBJECT.items()}


MESSAGES: dict[str, _F] = {
    "Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", "bytes"), 3: ("contentEncoding", "string"),
                4: ("contentType", "string")},
    "TypeMeta": {1: ("apiVersion", "string"), 2: ("kind", "string")},
    "ObjectMeta": {1: ("name", "string"), 2: ("generateName", "string"), 3: ("namespace", "string"),
                   5: ("uid", "string"), 6: ("resourceVersion", "string"), 7: ("generation", "int"),
                   8: ("creationTimestamp", "Time"), 11: ("labels", "map:string"),
                   12: ("annotations", "map:string"), 13: ("ownerReferences", "[]OwnerReference"),
                   14: ("finalizers", "[]string")},
    "OwnerReference": {1: ("kind", "string"), 3: ("name", "string"), 4: ("uid", "string"),
                       5: ("apiVersion", "string"), 6: ("controller", "bool?"),
                       7: ("blockOwnerDeletion", "bool?")},
    "LabelSelector": {1: ("matchLabels", "map:string"), 2: ("matchExpressions", "[]LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: ("key", "string"), 2: ("operator", "string"), 3: ("values", "[]string")},
    "Deployment": _obj("Deployment"),
    "DeploymentSpec": {1: ("replicas", "int?"), 2: ("selector", "LabelSelector"), 3: ("template", "PodTemplateSpec"),
                       4: ("strategy", "DeploymentStrategy"), 5: ("minReadySeconds", "int"),
                       6: ("revisionHistoryLimit", "int?"), 7: ("paused", "bool"),
                       9: ("progressDeadlineSeconds", "int?")},
    "DeploymentStatus": {},
    "DeploymentStrategy": {1: ("type", "string"), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "IntOrString"), 2: ("maxSurge", "IntOrString")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "Pod": _obj("Pod"),
    "PodStatus": {},
    "PodSpec": {1: ("volumes", "[]Volume"), 2: ("containers", "[]Container"), 3: ("restartPolicy", "string"),
                4: ("terminationGracePeriodSeconds", "int?"), 5: ("activeDeadlineSeconds", "int?"),
                6: ("dnsPolicy", "string"), 7: ("nodeSelector", "map:string"),
                8: ("serviceAccountName", "string"), 10: ("nodeName", "string"), 16: ("hostname", "string"),
                19: ("schedulerName", "string"), 20: ("initContainers", "[]Container"),
                22: ("tolerations", "[]Toleration"), 24: ("priorityClassName", "string")},
    "Container": {1: ("name", "string"), 2: ("image", "string"), 3: ("command", "[]string"), 4: ("args", "[]string"),
                  5: ("workingDir", "string"), 6: ("ports", "[]ContainerPort"), 7: ("env", "[]EnvVar"),
                  8: ("resources", "ResourceRequirements"), 9: ("volumeMounts", "[]VolumeMount"),
                  13: ("terminationMessagePath", "string"), 14: ("imagePullPolicy", "string"),
                  16: ("stdin", "bool"), 17: ("stdinOnce", "bool"), 18: ("tty", "bool"),
                  20: ("terminationMessagePolicy", "string")},
    "ContainerPort": {1: ("name", "string"), 2: ("hostPort", "int"), 3: ("containerPort", "int"),
                      4: ("protocol", "string"), 5: ("hostIP", "string")},
    "EnvVar": {1: ("name", "string"), 2: ("value", "string")},
    "ResourceRequirements": {1: ("limits", "map:Quantity"), 2: ("requests", "map:Quantity")},
    "VolumeMount": {1: ("name", "string"), 2: ("readOnly", "bool"), 3: ("mountPath", "string"),
                    4: ("subPath", "string")},
    "Volume": {1: ("name", "string")},
    "Toleration": {1: ("key", "string"), 2: ("operator", "string"), 3: ("value", "string"), 4: ("effect", "string"),
                   5: ("tolerationSeconds", "int?")},
    "Namespace": _obj("Namespace"),
    "NamespaceSpec": {1: ("finalizers", "[]string")},
    "NamespaceStatus": {},
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 2: ("data", "map:string"), 3: ("binaryData", "map:bytes"),
                  4: ("immutable", "bool?")},
    "Secret": {1: ("metadata", "ObjectMeta"), 2: ("data", "map:bytes"), 3: ("type", "string"),
               4: ("stringData", "map:string"), 5: ("immutable", "bool?")},
    "Service": _obj("Service"),
    "ServiceStatus": {},
    "ServiceSpec": {1: ("ports", "[]ServicePort"), 2: ("selector", "map:string"), 3: ("clusterIP", "string"),
                    4: ("type", "string"), 5: ("externalIPs", "[]string"), 7: ("sessionAffinity", "string"),
                    10: ("externalName", "string"), 18: ("clusterIPs", "[]string")},
    "ServicePort": {1: ("name", "string"), 2: ("protocol", "string"), 3: ("port", "int"),
                    4: ("targetPort", "IntOrString"), 5: ("nodePort", "int"), 6: ("appProtocol", "string?")},
    "Job": _obj("Job"),
    "JobStatus": {},
    "JobSpec": {1: ("parallelism", "int?"), 2: ("completions", "int?"), 3: ("activeDeadlineSeconds", "int?"),
                4: ("selector", "LabelSelector"), 5: ("manualSelector", "bool?"), 6: ("template", "PodTemplateSpec"),
                7: ("backoffLimit", "int?"), 8: ("ttlSecondsAfterFinished", "int?"), 9: ("completionMode", "string"),
                10: ("suspend", "bool?")},
    "CronJob": _obj("CronJob"),
    "CronJobStatus": {},
    "CronJobSpec": {1: ("schedule", "string"), 2: ("startingDeadlineSeconds", "int?"),
                    3: ("concurrencyPolicy", "string"), 4: ("suspend", "bool?"), 5: ("jobTemplate", "JobTemplateSpec"),
                    6: ("successfulJobsHistoryLimit", "int?"), 7: ("failedJobsHistoryLimit", "int?"),
                    8: ("timeZone", "string?")},
    "JobTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    "Eviction": {1: ("metadata", "ObjectMeta"), 2: ("deleteOptions", "DeleteOptions")},
    "DeleteOptions": {1: ("gracePeriodSeconds", "int?"), 2: ("preconditions", "Preconditions"),
                      3: ("orphanDependents", "bool?"), 4: ("propagationPolicy", "string"), 5: ("dryRun", "[]string")},
    "Preconditions": {1: ("uid", "string"), 2: ("resourceVersion", "string")},
    "SelfSubjectAccessReview": _obj("SelfSubjectAccessReview"),
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"),
                                    2: ("nonResourceAttributes", "NonResourceAttributes")},
    "SelfSubjectAccessReviewStatus": {},
    "ResourceAttributes": {1: ("namespace", "string"), 2: ("verb", "string"), 3: ("group", "string"),
                           4: ("version", "string"), 5: ("resource", "string"), 6: ("subresource", "string"),
                           7: ("name", "string")},
    "NonResourceAttributes": {1: ("path", "string"), 2: ("verb", "string")},
    "Role": {1: ("metadata", "ObjectMeta"), 2: ("rules", "[]PolicyRule")},
    "ClusterRole": {1: ("metadata", "ObjectMeta"), 2: ("rules", "[]PolicyRule"),
                    3: ("aggregationRule", "AggregationRule")},
    "AggregationRule": {1: ("clusterRoleSelectors", "[]LabelSelector")},
    "PolicyRule": {1: ("verbs", "[]string"), 2: ("apiGroups", "[]string"), 3: ("resources", "[]string"),
                   4: ("resourceNames", "[]string"), 5: ("nonResourceURLs", "[]string")},
    "RoleBinding": {1: ("metadata", "ObjectMeta"), 2: ("subjects", "[]Subject"), 3: ("roleRef", "RoleRef")},
    "ClusterRoleBinding": {1: ("metadata", "ObjectMeta"), 2: ("subjects", "[]Subject"), 3: ("roleRef", "RoleRef")},
    "Subject": {1: ("kind", "string"), 2: ("apiGroup", "string"), 3: ("name", "string"), 4: ("namespace", "string")},
    "RoleRef": {1: ("apiGroup", "string"), 2: ("kind", "string"), 3: ("name", "string")},
    "ServiceAccount": {1: ("metadata", "ObjectMeta"), 4: ("automountServiceAccountToken", "bool?")},
    "ResourceQuota": _obj("ResourceQuota"),
    "ResourceQuotaStatus": {},
    "ResourceQuotaSpec": {1: ("hard", "map:Quantity"), 2: ("scopes", "[]string"), 3: ("scopeSelector", "ScopeSelector")},
    "ScopeSelector": {1: ("matchExpressions", "[]ScopedResourceSelectorRequirement")},
    "ScopedResourceSelectorRequirement": {1: ("scopeName", "string"), 2: ("operator", "string"),
                                          3: ("values", "[]string")},
    "Ingress": _obj("Ingress"),
    "IngressStatus": {},
    "IngressSpec": {1: ("defaultBackend", "IngressBackend"), 2: ("tls", "[]IngressTLS"), 3: ("rules", "[]IngressRule"),
                    4: ("ingressClassName", "string?")},
    "IngressBackend": {3: ("resource", "TypedLocalObjectReference"), 4: ("service", "IngressServiceBackend")},
    "IngressServiceBackend": {1: ("name", "string"), 2: ("port", "ServiceBackendPort")},
    "ServiceBackendPort": {1: ("name", "string"), 2: ("number", "int")},
    "TypedLocalObjectReference": {1: ("apiGroup", "string?"), 2: ("kind", "string"), 3: ("name", "string")},
    "IngressTLS": {1: ("hosts", "[]string"), 2: ("secretName", "string")},
    "IngressRule": {1: ("host", "string"), 2: ("", "inline:IngressRuleValue")},
    "IngressRuleValue": {1: ("http", "HTTPIngressRuleValue")},
    "HTTPIngressRuleValue": {1: ("paths", "[]HTTPIngressPath")},
    "HTTPIngressPath": {1: ("path", "string"), 2: ("backend", "IngressBackend"), 3: ("pathType", "string?")},
    "Binding": {1: ("metadata", "ObjectMeta"), 2: ("target", "ObjectReference")},
    "ObjectReference": {1: ("kind", "string"), 2: ("namespace", "string"), 3: ("name", "string"),
                        4: ("uid", "string"), 5: ("apiVersion", "string")},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta")},
    "SelfSubjectRulesReview": _obj("SelfSubjectRulesReview"),
    "SelfSubjectRulesReviewSpec": {1: ("namespace", "string")},
    "SelfSubjectRulesReviewStatus": {},
    "TokenRequest": _obj("TokenRequest"),
    "TokenRequestSpec": {1: ("audiences", "[]string"), 3: ("boundObjectRef", "BoundObjectReference"),
                         4: ("expirationSeconds", "int?")},
    "TokenRequestStatus": {},
    "BoundObjectReference": {1: ("kind", "string"), 2: ("apiVersion", "string"), 3: ("name", "string"),
                             4: ("uid", "string")},
    # autoscaling/v1 (what ``kubectl autoscale`` sends; v2 bodies come as JSON)
    "HorizontalPodAutoscaler": _obj("HorizontalPodAutoscaler"),
    "HorizontalPodAutoscalerSpec": {1: ("scaleTargetRef", "CrossVersionObjectReference"), 2: ("minReplicas", "int?"),
                                    3: ("maxReplicas", "int"), 4: ("targetCPUUtilizationPercentage", "int?")},
    "HorizontalPodAutoscalerStatus": {},
    "CrossVersionObjectReference": {1: ("kind", "string"), 2: ("name", "string"), 3: ("apiVersion", "string")},
    "Scale": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ScaleSpec")},
    "ScaleSpec": {1: ("replicas", "int?")},
}
#: the kinds whose protobuf bodies we read
ROOTS = frozenset(k for k in MESSAGES if k[:1].isupper() and MESSAGES[k] and "metadata" in
                  {name for name, _ in MESSAGES[k].values()})


#: kinds whose message is described for one version only
_ONLY_VERSION = {"HorizontalPodAutoscaler": "autoscaling/v1"}


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(data):
            raise BadRequest("protobuf: truncated varint")
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value): ints for varints, bytes for length-delimited."""
    out, i = [], 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            n, i = _varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire == 1:
            value, i = int.from_bytes(data[i:i + 8], "little"), i + 8
        elif wire == 5:
            value, i = int.from_bytes(data[i:i + 4], "little"), i + 4
        else:
            raise BadRequest(f"protobuf: unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _scalar(t: str, wire: int, value: Any) -> Any:
    t = t.rstrip("?")
    if t == "string":
        return bytes(value).decode("utf-8")
    if t == "bytes":
        return base64.b64encode(bytes(value)).decode()
    if t == "int":
        return _signed(int(value))
    if t == "bool":
        return bool(value)
    return _message(t, bytes(value))


def _message(name: str, data: bytes) -> Any:
    if name == "Time":
        parts = {n: v for n, _, v in _fields(data)}
        seconds = _signed(parts.get(1, 0))
        return rfc3339(float(seconds)) if seconds > 0 else None  # Go's zero time: null
    if name == "Quantity":
        return bytes(next((v for n, _, v in _fields(data) if n == 1), b"")).decode()
    if name == "IntOrString":
        parts = {n: v for n, _, v in _fields(data)}
        return bytes(parts.get(3, b"")).decode() if parts.get(1) == 1 else _signed(parts.get(2, 0))
    schema = MESSAGES.get(name, {})
    out: dict[str, Any] = {}
    for number, wire, value in _fields(data):
        if number not in schema:
            continue
        field, t = schema[number]
        if t.startswith("inline:"):  # a Go struct embedded with `json:",inline"`: its fields join ours
            out.update(_message(t[len("inline:"):], bytes(value)))
        elif t.startswith("[]"):
            out.setdefault(field, []).append(_scalar(t[2:], wire, value))
        elif t.startswith("map:"):
            entry = {n: v for n, _, v in _fields(bytes(value))}
            key = bytes(entry.get(1, b"")).decode()
            out.setdefault(field, {})[key] = _scalar(t[4:], 2, entry.get(2, b""))
        else:
            decoded = _scalar(t, wire, value)
            if decoded in ("", 0, False, None) and not t.endswith("?") and not isinstance(decoded, dict):
                continue  # gogo-protobuf writes every non-pointer field, even when empty
            out[field] = decoded
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON object of a ``k8s\\0``-enveloped protobuf body (BadRequest if it is not one)."""
    if not body.startswith(MAGIC):
        raise BadRequest("provided protobuf is not a Kubernetes object: missing the k8s magic prefix")
    unknown = _message("Unknown", body[len(MAGIC):])
    type_meta = unknown.get("typeMeta") or {}
    kind, api_version = type_meta.get("kind", ""), type_meta.get("apiVersion", "")
    if kind not in ROOTS or _ONLY_VERSION.get(kind, api_version) != api_version:
        raise BadRequest(f"this server cannot read {kind or 'this object'} ({api_version}) as protobuf: "
                         "send it as JSON (kubectl apply -f, kubectl create -f)")
    raw = base64.b64decode(unknown.get("raw", ""))
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    obj.update(_message(kind, raw))
    return obj
