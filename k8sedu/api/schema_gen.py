"""Generate ``schema.json``: the Go types of the kinds we serve, from the official Python client.

The apiserver decodes every request body into Go structs, and the decoder is where unknown fields
(``strict decoding error: unknown field "spec.replica"``) and wrong JSON types (``json: cannot
unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32``) are found. To
say the same things we need, for every struct reachable from our kinds, each field's JSON name
and Go type. The official ``kubernetes`` client's models carry the structure (``openapi_types``,
``attribute_map``, pydantic annotations); what they lose is written down here, from upstream's
``k8s.io/api`` sources:

- int32 vs int64 (the client says ``int`` for both): :data:`INT64`;
- named Go types, which the decoder prints (``v1.PullPolicy``, ``types.UID``, ``v1.ResourceList``,
  ``resource.Quantity``, ``v1.MicroTime``): :data:`NAMED`;
- IntOrString (``StrictInt | StrictStr`` in the client) and ``[]byte`` maps are recognised.

Run it where the ``kubernetes`` package is installed (it is needed only here, never at run time)::

    python -m k8sedu.api.schema_gen            # rewrites k8sedu/api/schema.json
    python -m k8sedu.api.schema_gen --check    # exit 1 if schema.json is out of date

The output (see :mod:`k8sedu.api.schema` for how it is read)::

    {"kinds": {"apps/v1/Deployment": "Deployment", ...},
     "types": {"DeploymentSpec": {"replicas": "int32", "selector": "v1.LabelSelector", ...}, ...},
     "named": {"v1.PullPolicy": "string", "v1.ResourceList": "map[string]resource.Quantity", ...}}

A field's type is the Go type as ``reflect.Type.String()`` prints it: ``string``, ``int32``,
``[]v1.Container``, ``map[string]string``, ``v1.PodSpec`` (a struct in "types"), a named type
in "named", or one of the decoders with their own rules: ``intstr.IntOrString``,
``resource.Quantity``, ``v1.Time``, ``v1.MicroTime``, ``v1.FieldsV1`` (free-form).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["INT64", "NAMED", "NAMED_UNDERLYING", "OUTPUT", "generate", "render", "main"]

OUTPUT = Path(__file__).with_name("schema.json")

#: struct.field of the client's ``int`` fields that are int64 in Go (the rest are int32)
INT64: frozenset[str] = frozenset({
    "ObjectMeta.generation", "ObjectMeta.deletionGracePeriodSeconds",
    "PodSpec.activeDeadlineSeconds", "PodSpec.terminationGracePeriodSeconds",
    "Probe.terminationGracePeriodSeconds", "SleepAction.seconds",
    "SecurityContext.runAsUser", "SecurityContext.runAsGroup",
    "PodSecurityContext.fsGroup", "PodSecurityContext.runAsUser", "PodSecurityContext.runAsGroup",
    "PodSecurityContext.supplementalGroups",
    "LinuxContainerUser.uid", "LinuxContainerUser.gid", "LinuxContainerUser.supplementalGroups",
    "Toleration.tolerationSeconds", "ServiceAccountTokenProjection.expirationSeconds",
    "PodStatus.observedGeneration", "PodCondition.observedGeneration", "Condition.observedGeneration",
    "DeploymentStatus.observedGeneration", "ReplicaSetStatus.observedGeneration",
    "ContainerImage.sizeBytes", "NodeSwapStatus.capacity",
    "DaemonSetStatus.observedGeneration", "StatefulSetStatus.observedGeneration",
    "ControllerRevision.revision", "JobSpec.activeDeadlineSeconds", "CronJobSpec.startingDeadlineSeconds",
})

#: struct.field → the named Go type the decoder prints for it
NAMED: dict[str, str] = {
    # meta/v1 and types
    "ObjectMeta.uid": "types.UID", "OwnerReference.uid": "types.UID", "ObjectReference.uid": "types.UID",
    "ConfigMapNodeConfigSource.uid": "types.UID",
    "ManagedFieldsEntry.operation": "v1.ManagedFieldsOperationType", "ManagedFieldsEntry.fieldsV1": "v1.FieldsV1",
    "LabelSelectorRequirement.operator": "v1.LabelSelectorOperator",
    "Condition.status": "v1.ConditionStatus",
    # the Pod
    "PodSpec.dnsPolicy": "v1.DNSPolicy", "PodSpec.restartPolicy": "v1.RestartPolicy",
    "PodSpec.preemptionPolicy": "v1.PreemptionPolicy", "PodSpec.overhead": "v1.ResourceList",
    "NodeSelectorRequirement.operator": "v1.NodeSelectorOperator",
    "Container.imagePullPolicy": "v1.PullPolicy", "Container.restartPolicy": "v1.ContainerRestartPolicy",
    "Container.terminationMessagePolicy": "v1.TerminationMessagePolicy",
    "EphemeralContainer.imagePullPolicy": "v1.PullPolicy",
    "EphemeralContainer.restartPolicy": "v1.ContainerRestartPolicy",
    "EphemeralContainer.terminationMessagePolicy": "v1.TerminationMessagePolicy",
    "ResourceFieldSelector.divisor": "resource.Quantity",
    "ResourceRequirements.limits": "v1.ResourceList", "ResourceRequirements.requests": "v1.ResourceList",
    "VolumeResourceRequirements.limits": "v1.ResourceList",
    "VolumeResourceRequirements.requests": "v1.ResourceList",
    "Lifecycle.stopSignal": "v1.Signal", "ContainerStatus.stopSignal": "v1.Signal",
    "HTTPGetAction.scheme": "v1.URIScheme",
    "ContainerPort.protocol": "v1.Protocol", "ServicePort.protocol": "v1.Protocol",
    "EndpointPort.protocol": "v1.Protocol", "PortStatus.protocol": "v1.Protocol",
    "ContainerResizePolicy.resourceName": "v1.ResourceName",
    "ContainerResizePolicy.restartPolicy": "v1.ResourceResizeRestartPolicy",
    "SecurityContext.procMount": "v1.ProcMountType",
    "AppArmorProfile.type": "v1.AppArmorProfileType", "SeccompProfile.type": "v1.SeccompProfileType",
    "Capabilities.add": "[]v1.Capability", "Capabilities.drop": "[]v1.Capability",
    "VolumeMount.mountPropagation": "v1.MountPropagationMode",
    "VolumeMount.recursiveReadOnly": "v1.RecursiveReadOnlyMode",
    "VolumeMountStatus.recursiveReadOnly": "v1.RecursiveReadOnlyMode",
    "PodSecurityContext.fsGroupChangePolicy": "v1.PodFSGroupChangePolicy",
    "PodSecurityContext.seLinuxChangePolicy": "v1.PodSELinuxChangePolicy",
    "PodSecurityContext.supplementalGroupsPolicy": "v1.SupplementalGroupsPolicy",
    "PodOS.name": "v1.OSName", "PodReadinessGate.conditionType": "v1.PodConditionType",
    "Toleration.effect": "v1.TaintEffect", "Toleration.operator": "v1.TolerationOperator",
    "Taint.effect": "v1.TaintEffect",
    "TopologySpreadConstraint.whenUnsatisfiable": "v1.UnsatisfiableConstraintAction",
    "TopologySpreadConstraint.nodeAffinityPolicy": "v1.NodeInclusionPolicy",
    "TopologySpreadConstraint.nodeTaintsPolicy": "v1.NodeInclusionPolicy",
    "AzureDiskVolumeSource.cachingMode": "v1.AzureDataDiskCachingMode",
    "AzureDiskVolumeSource.kind": "v1.AzureDataDiskKind",
    "EmptyDirVolumeSource.medium": "v1.StorageMedium", "EmptyDirVolumeSource.sizeLimit": "resource.Quantity",
    "PersistentVolumeClaimSpec.accessModes": "[]v1.PersistentVolumeAccessMode",
    "PersistentVolumeClaimSpec.volumeMode": "v1.PersistentVolumeMode",
    "HostPathVolumeSource.type": "v1.HostPathType", "ImageVolumeSource.pullPolicy": "v1.PullPolicy",
    "PodStatus.phase": "v1.PodPhase", "PodStatus.qosClass": "v1.PodQOSClass",
    "PodStatus.resize": "v1.PodResizeStatus", "PodStatus.allocatedResources": "v1.ResourceList",
    "PodCondition.type": "v1.PodConditionType", "PodCondition.status": "v1.ConditionStatus",
    "ContainerStatus.allocatedResources": "v1.ResourceList",
    "ResourceStatus.name": "v1.ResourceName", "ResourceHealth.resourceID": "v1.ResourceID",
    "ResourceHealth.health": "v1.ResourceHealthStatus",
    # Node, Namespace, Service, Secret, Event
    "NodeStatus.phase": "v1.NodePhase", "NodeStatus.capacity": "v1.ResourceList",
    "NodeStatus.allocatable": "v1.ResourceList",
    "ResourceQuotaSpec.hard": "v1.ResourceList", "ResourceQuotaStatus.hard": "v1.ResourceList",
    "ResourceQuotaStatus.used": "v1.ResourceList", "ResourceQuotaSpec.scopes": "[]v1.ResourceQuotaScope",
    "ScopedResourceSelectorRequirement.scopeName": "v1.ResourceQuotaScope",
    "ScopedResourceSelectorRequirement.operator": "v1.ScopeSelectorOperator",
    "LimitRangeItem.type": "v1.LimitType", "LimitRangeItem.max": "v1.ResourceList",
    "LimitRangeItem.min": "v1.ResourceList", "LimitRangeItem.default": "v1.ResourceList",
    "LimitRangeItem.defaultRequest": "v1.ResourceList", "LimitRangeItem.maxLimitRequestRatio": "v1.ResourceList", "NodeStatus.volumesInUse": "[]v1.UniqueVolumeName",
    "NodeAddress.type": "v1.NodeAddressType", "NodeCondition.type": "v1.NodeConditionType",
    "NodeCondition.status": "v1.ConditionStatus", "AttachedVolume.name": "v1.UniqueVolumeName",
    "NamespaceSpec.finalizers": "[]v1.FinalizerName", "NamespaceStatus.phase": "v1.NamespacePhase",
    "NamespaceCondition.type": "v1.NamespaceConditionType", "NamespaceCondition.status": "v1.ConditionStatus",
    "ServiceSpec.type": "v1.ServiceType", "ServiceSpec.sessionAffinity": "v1.ServiceAffinity",
    "ServiceSpec.externalTrafficPolicy": "v1.ServiceExternalTrafficPolicy",
    "ServiceSpec.internalTrafficPolicy": "v1.ServiceInternalTrafficPolicy",
    "ServiceSpec.ipFamilies": "[]v1.IPFamily", "ServiceSpec.ipFamilyPolicy": "v1.IPFamilyPolicy",
    "LoadBalancerIngress.ipMode": "v1.LoadBalancerIPMode",
    "HTTPIngressPath.pathType": "v1.PathType", "IngressPortStatus.protocol": "v1.Protocol",
    "Secret.type": "v1.SecretType",
    "Event.eventTime": "v1.MicroTime", "EventSeries.lastObservedTime": "v1.MicroTime",
    # apps, coordination
    "DeploymentStrategy.type": "v1.DeploymentStrategyType",
    "DeploymentCondition.type": "v1.DeploymentConditionType",
    "DeploymentCondition.status": "v1.ConditionStatus",
    "ReplicaSetCondition.type": "v1.ReplicaSetConditionType",
    "ReplicaSetCondition.status": "v1.ConditionStatus",
    "LeaseSpec.acquireTime": "v1.MicroTime", "LeaseSpec.renewTime": "v1.MicroTime",
    "LeaseSpec.strategy": "v1.CoordinatedLeaseStrategy",
}

#: named types whose underlying type is not ``string``
NAMED_UNDERLYING: dict[str, str] = {
    "v1.ResourceList": "map[string]resource.Quantity",
}

#: the decoders with rules of their own (see k8sedu.api.schema)
SPECIAL = ("intstr.IntOrString", "resource.Quantity", "v1.Time", "v1.MicroTime", "v1.FieldsV1")

_PREFIX = re.compile(r"^(?:Core|Apps|Rbac|Coordination|Events|Discovery|Storage|Networking|Batch)?"
                     r"(V\d+(?:alpha\d+|beta\d+)?)(?=[A-Z])")


def _go_name(cls_name: str) -> tuple[str, str]:
    """``V1PodSpec`` → ("v1", "PodSpec"); ``CoreV1EventSeries`` → ("v1", "EventSeries")."""
    m = _PREFIX.match(cls_name)
    if not m:
        raise ValueError(f"unexpected model name {cls_name}")
    return m.group(1).lower(), cls_name[m.end():]


def _model_for(client: Any, group: str, version: str, kind: str) -> str:
    """The client's class name for a kind: ``CoreV1Event``, ``V1Pod``, ``V1Deployment``."""
    prefix = (group.split(".")[0] or "core").capitalize()
    v = version[:1].upper() + version[1:]
    for name in (f"{prefix}{v}{kind}", f"{v}{kind}"):
        if hasattr(client, name):
            return name
    raise LookupError(f"the kubernetes client has no model for {group or 'core'}/{version} {kind}")


def _fields(cls: Any) -> dict[str, tuple[str, str]]:
    """JSON name → (openapi type string, pydantic annotation text), in the client's order."""
    by_alias = {(f.serialization_alias or name): f for name, f in cls.model_fields.items()}
    out = {}
    for attr, typ in cls.openapi_types.items():
        json_name = cls.attribute_map[attr]
        field = by_alias.get(json_name)
        out[json_name] = (typ, str(field.annotation) if field is not None else "")
    return out


def generate(kinds: list[tuple[str, str, str]] | None = None) -> dict[str, Any]:
    """The schema document for *kinds* (``(group, version, Kind)``; default: every registered
    kind). Needs the ``kubernetes`` package."""
    import kubernetes.client as client  # only here: the package is not a run-time dependency

    if kinds is None:
        from k8sedu.api import kinds as registry

        # kinds nobody writes (metrics.k8s.io: get and list only) need no schema
        kinds = [(k.group, k.version, k.kind) for k in registry.all_kinds() if "create" in k.verbs]
    types: dict[str, dict[str, str]] = {}
    used_named: set[str] = set()
    seen_keys: set[str] = set()
    pending: list[str] = []
    roots: dict[str, str] = {}
    for group, version, kind in kinds:
        model = _model_for(client, group, version, kind)
        roots[f"{group}/{version}/{kind}" if group else f"{version}/{kind}"] = _go_name(model)[1]
        pending.append(model)
    done: set[str] = set()

    def go_type(struct: str, json_name: str, typ: str, annotation: str) -> str:
        key = f"{struct}.{json_name}"
        if key in NAMED:
            seen_keys.add(key)
            named = NAMED[key]
            used_named.add(named.removeprefix("[]"))
            return named
        if key in INT64:
            seen_keys.add(key)
            return "[]int64" if typ.startswith("List[") else "int64"
        return convert(typ, annotation)

    def convert(typ: str, annotation: str = "") -> str:
        typ = typ.strip()
        if typ == "str":
            return "string"
        if typ == "int":
            return "int32"
        if typ == "bool":
            return "bool"
        if typ == "float":
            return "float64"
        if typ == "datetime":
            return "v1.Time"
        if typ in ("bytes", "bytearray"):
            return "[]uint8"
        if typ == "object":
            if "Annotated[int" in annotation and "Annotated[str" in annotation:
                return "intstr.IntOrString"
            return "v1.FieldsV1"  # free-form: any JSON value is taken as it is
        m = re.fullmatch(r"List\[(.+)\]", typ)
        if m:
            return "[]" + convert(m.group(1))
        m = re.fullmatch(r"Dict\[str, (.+)\]", typ)
        if m:
            return "map[string]" + convert(m.group(1))
        if hasattr(client, typ):
            pending.append(typ)
            pkg, name = _go_name(typ)
            return f"{pkg}.{name}"
        raise ValueError(f"unknown client type {typ!r}")

    while pending:
        model = pending.pop(0)
        if model in done:
            continue
        done.add(model)
        _, name = _go_name(model)
        cls = getattr(client, model)
        fields = {j: go_type(name, j, t, a) for j, (t, a) in sorted(_fields(cls).items())}
        if name in types and types[name] != fields:  # same name, same fields (v1 and discovery/v1 EndpointPort) is fine
            raise ValueError(f"two models map to the Go struct {name}")
        types[name] = fields
    unknown = sorted(k for k in (set(NAMED) | INT64) - seen_keys if k.split(".")[0] in types)
    if unknown:
        raise ValueError(f"NAMED/INT64 name fields the client does not have: {unknown}")
    named = {n: NAMED_UNDERLYING.get(n, "string") for n in sorted(used_named) if n not in SPECIAL}
    try:
        from importlib.metadata import version as dist_version

        source = f"kubernetes (Python client) {dist_version('kubernetes')}"
    except Exception:  # pragma: no cover - metadata missing
        source = "kubernetes (Python client)"
    return {"source": source, "kinds": dict(sorted(roots.items())), "named": named,
            "types": dict(sorted(types.items()))}


def render(doc: dict[str, Any]) -> str:
    """The file's text: compact JSON, one type per line (small, and diffs read well)."""
    lines = ["{", f'"source": {json.dumps(doc["source"])},',
             f'"kinds": {json.dumps(doc["kinds"], separators=(",", ":"))},',
             f'"named": {json.dumps(doc["named"], separators=(",", ":"))},', '"types": {']
    items = list(doc["types"].items())
    for i, (name, fields) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(name)}:{json.dumps(fields, separators=(',', ':'))}{comma}")
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m k8sedu.api.schema_gen", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if schema.json is not up to date")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render(generate())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m k8sedu.api.schema_gen", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.encode()) // 1024} KiB, {text.count(chr(10)) - 6} types)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
