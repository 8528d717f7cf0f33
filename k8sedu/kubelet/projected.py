"""Projected volumes: several sources in one folder, as the ServiceAccount token volume uses.

``kube-api-access-xxxxx`` (added by the ServiceAccount admission plugin) projects three sources::

    /var/run/secrets/kubernetes.io/serviceaccount/
        token       serviceAccountToken: a JWT naming the Pod's ServiceAccount, signed by the
                    apiserver and bound to the Pod: the kubelet asks for it with a TokenRequest
                    (``POST serviceaccounts/<sa>/token``) and asks again before it expires
        ca.crt      configMap kube-root-ca.crt: the CA of the apiserver's certificate (published
                    in every namespace by the root-ca-cert-publisher controller)
        namespace   downwardAPI metadata.namespace

Simplification: a ConfigMap source that does not exist is left out instead of failing the mount
(a cluster started without ``openssl`` has no certificate, so no ``kube-root-ca.crt``).
"""

from __future__ import annotations

import base64
import json
import threading
from typing import Any, Protocol

from ..clock import Clock, parse_rfc3339
from ..errors import APIError
from .config import Lookup

__all__ = ["projected_payload", "service_account_token", "TokenManager", "TokenError", "TokenSource"]

Payload = dict[str, tuple[bytes, int]]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


class TokenError(Exception):
    """The kubelet could not get a token (``failed to fetch token: ...``)."""


class TokenSource(Protocol):
    def __call__(self, pod: dict[str, Any], source: dict[str, Any]) -> bytes: ...


class _Client(Protocol):
    def create(self, resource: str, obj: dict[str, Any], namespace: str | None = None,
               subresource: str | None = None) -> dict[str, Any]: ...


class TokenManager:
    """The kubelet's token manager: one TokenRequest per (Pod, audience, lifetime), kept and
    reused until 80% of its life (at most 24 h) has passed, then asked for again."""

    def __init__(self, client: _Client, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        # guards _cache: (pod uid, audience, seconds) -> (token, refresh at, expires at); taken alone
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, int], tuple[bytes, float, float]] = {}

    def __call__(self, pod: dict[str, Any], source: dict[str, Any]) -> bytes:
        md, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        seconds = int(source.get("expirationSeconds", 3607))
        audience = source.get("audience") or ""
        key = (md.get("uid", ""), audience, seconds)
        now = self.clock.now()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and now < cached[1]:
                return cached[0]
        request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                   "metadata": {"name": spec.get("serviceAccountName") or "default"},
                   "spec": {"audiences": [audience] if audience else None, "expirationSeconds": seconds,
                            "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": md.get("name", ""),
                                               "uid": md.get("uid", "")}}}
        try:
            answer = self.client.create("serviceaccounts", request, md.get("namespace", "default"),
                                        subresource="token")
        except APIError as err:
            raise TokenError(err.message) from None
        token = str(answer["status"]["token"]).encode()
        expires = parse_rfc3339(answer["status"]["expirationTimestamp"])
        refresh = now + min(0.8 * (expires - now), 24 * 3600)
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if v[2] > now}
            self._cache[key] = (token, refresh, expires)
        return token


def service_account_token(pod: dict[str, Any], expiration_seconds: int) -> bytes:
    """A JWT with the claims of upstream's bound ServiceAccount tokens, unsigned (``alg: none``):
    what a kubelet without a :class:`TokenManager` writes; no apiserver accepts it."""
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


def projected_payload(pod: dict[str, Any], source: dict[str, Any], lookup: Lookup,
                      tokens: TokenSource | None = None) -> Payload:
    """{relative path: (content, mode)} for a ``projected`` volume of *pod*; *tokens* (the
    kubelet's :class:`TokenManager`) gives the signed ServiceAccount token. Raises
    :class:`TokenError` when it cannot."""
    mode = int(source.get("defaultMode", 0o644))
    namespace = (pod.get("metadata") or {}).get("namespace", "default")
    out: Payload = {}
    for src in source.get("sources") or []:
        if isinstance(src.get("serviceAccountToken"), dict):
            t = src["serviceAccountToken"]
            token = tokens(pod, t) if tokens is not None else \
                service_account_token(pod, int(t.get("expirationSeconds", 3600)))
            out[t.get("path", "token")] = (token, mode)
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
