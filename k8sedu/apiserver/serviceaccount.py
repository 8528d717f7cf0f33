"""The ServiceAccount admission plugin: every Pod runs as a ServiceAccount and gets its token.

Since 1.24 no Secret holds the token: the plugin adds a projected volume ``kube-api-access-xxxxx``
(a bound token, the cluster's CA from the ``kube-root-ca.crt`` ConfigMap, the namespace) and
mounts it read-only in every container at ``/var/run/secrets/kubernetes.io/serviceaccount``::

    volumes: - name: kube-api-access-8x2lq
               projected: {defaultMode: 420, sources: [serviceAccountToken {path: token, expirationSeconds: 3607},
                                                       configMap kube-root-ca.crt {ca.crt}, downwardAPI {namespace}]}

unless ``automountServiceAccountToken: false`` (on the Pod, else on the ServiceAccount) or a container
already mounts something there. A Pod naming a ServiceAccount that does not exist is refused.
Simplification: upstream also refuses when ``default`` does not exist yet (after waiting for the
serviceaccount controller about a second); we let such a Pod in without the token volume, so the
apiserver works on its own, without a controller-manager.
"""

from __future__ import annotations

import random
from typing import Any

from ..errors import Forbidden

__all__ = ["admit", "token_volume_source", "VOLUME_PREFIX", "MOUNT_PATH", "DEFAULT_SERVICE_ACCOUNT"]

Obj = dict[str, Any]
VOLUME_PREFIX = "kube-api-access-"
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
DEFAULT_SERVICE_ACCOUNT = "default"
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # upstream's utilrand alphabet


def token_volume_source() -> Obj:
    """upstream's TokenVolumeSource()."""
    return {
        "defaultMode": 420,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
        ],
    }


def _should_automount(sa: Obj, pod: Obj) -> bool:
    value = (pod.get("spec") or {}).get("automountServiceAccountToken")
    if value is not None:
        return bool(value)
    value = sa.get("automountServiceAccountToken")
    return True if value is None else bool(value)


def _mount_token(pod: Obj) -> None:
    spec = pod.setdefault("spec", {})
    volumes = spec.get("volumes") or []
    existing = next((v["name"] for v in volumes if str(v.get("name", "")).startswith(VOLUME_PREFIX)), "")
    name = existing or VOLUME_PREFIX + "".join(random.choice(_NAME_CHARS) for _ in range(5))
    needed = False
    for field in ("initContainers", "containers"):
        for c in spec.get(field) or []:
            mounts = c.get("volumeMounts") or []
            if any(m.get("mountPath") == MOUNT_PATH for m in mounts):
                continue
            c["volumeMounts"] = [*mounts, {"name": name, "readOnly": True, "mountPath": MOUNT_PATH}]
            needed = True
    if needed and not existing:
        spec["volumes"] = [*volumes, {"name": name, "projected": token_volume_source()}]


def admit(pod: Obj, namespace: str, service_accounts: list[Obj]) -> None:
    """Set ``serviceAccountName`` and mount the token volume of a Pod being created."""
    spec = pod.setdefault("spec", {})
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = DEFAULT_SERVICE_ACCOUNT
    name = spec["serviceAccountName"]
    if "kubernetes.io/config.mirror" in ((pod.get("metadata") or {}).get("annotations") or {}):
        return  # upstream leaves mirror Pods alone
    sa = next((s for s in service_accounts if s.get("metadata", {}).get("name") == name), None)
    if sa is None:
        if name == DEFAULT_SERVICE_ACCOUNT:
            return
        pod_name = (pod.get("metadata") or {}).get("name", "")
        raise Forbidden(
            f'pods "{pod_name}" is forbidden: error looking up service account {namespace}/{name}: '
            f'serviceaccount "{name}" not found',
            details={"name": pod_name, "kind": "pods"},
        )
    if _should_automount(sa, pod):
        _mount_token(pod)
