"""Projected volumes: several sources in one folder, as the ServiceAccount token volume uses.

``kube-api-access-xxxxx`` (added by the ServiceAccount admission plugin) projects three sources::

    /var/run/secrets/kubernetes.io/serviceaccount/
        token       serviceAccountToken: a JWT naming the Pod's ServiceAccount (upstream: signed by
                    the apiserver, bound to the Pod, refreshed before it expires)
        ca.crt      configMap kube-root-ca.crt: the CA of the apiserver's certificate
        namespace   downwardAPI metadata.namespace

Simplifications: our token is a JWT with the upstream claims but no signature (our apiserver does
not authenticate bearer tokens), and a ConfigMap source that does not exist is left out instead of
failing the mount (nothing publishes ``kube-root-ca.crt`` yet, so ``ca.crt`` is absent).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..clock import parse_rfc3339
from .config import Lookup

__all__ = ["projected_payload", "service_account_token"]

Payload = dict[str, tuple[bytes, int]]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def service_account_token(pod: dict[str, Any], expiration_seconds: int) -> bytes:
    """A JWT with the claims of upstream's bound ServiceAccount tokens (unsigned: ``alg: none``),
    issued at the Pod's creation (so the file is stable; upstream rotates it at 80% of its life)."""
    md, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    created = md.get("creationTimestamp")
    now = parse_rfc3339(created) if created else 0.0
    ns, sa = md.get("namespace", "default"), spec.get("serviceAccountName") or "default"
    claims = {
        "aud": ["https://kubernetes.default.svc.cluster.local"],
        "exp": int(now) + expiration_seconds,
        "iat": int(now),
        "iss": "https://kubernetes.default.svc.cluster.local",
        "kubernetes.io": {"namespace": ns, "pod": {"name": md.get("name", ""), "uid": md.get("uid", "")},
                          "serviceaccount": {"name": sa}},
        "nbf": int(now),
        "sub": f"system:serviceaccount:{ns}:{sa}",
    }
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.".encode()


def _field(pod: dict[str, Any], path: str) -> str:
    md = pod.get("metadata") or {}
    if path.startswith("metadata.labels['") or path.startswith("metadata.annotations['"):
        which, key = path.split("[", 1)
        return str((md.get(which.split(".")[1]) or {}).get(key.strip("[]'\""), ""))
    value: Any = pod
    for part in path.split("."):
        value = value.get(part, "") if isinstance(value, dict) else ""
    return str(value)


def projected_payload(pod: dict[str, Any], source: dict[str, Any], lookup: Lookup) -> Payload:
    """{relative path: (content, mode)} for a ``projected`` volume of *pod*."""
    mode = int(source.get("defaultMode", 0o644))
    namespace = (pod.get("metadata") or {}).get("namespace", "default")
    out: Payload = {}
    for src in source.get("sources") or []:
        if isinstance(src.get("serviceAccountToken"), dict):
            t = src["serviceAccountToken"]
            out[t.get("path", "token")] = (service_account_token(pod, int(t.get("expirationSeconds", 3600))),
                                           mode)
        elif isinstance(src.get("downwardAPI"), dict):
            for item in src["downwardAPI"].get("items") or []:
                ref = item.get("fieldRef") or {}
                if ref.get("fieldPath"):
                    out[item.get("path", "")] = (_field(pod, ref["fieldPath"]).encode(), int(item.get("mode", mode)))
        else:
            for kind, resource in (("configMap", "configmaps"), ("secret", "secrets")):
                ref = src.get(kind)
                if not isinstance(ref, dict):
                    continue
                obj = lookup(resource, namespace, ref.get("name", ""))
                if obj is None:
                    continue
                data = {k: (base64.b64decode(v) if kind == "secret" else str(v).encode())
                        for k, v in (obj.get("data") or {}).items()}
                items = ref.get("items") or [{"key": k, "path": k} for k in data]
                for item in items:
                    if item.get("key") in data:
                        out[item.get("path") or item["key"]] = (data[item["key"]], int(item.get("mode", mode)))
    return out
