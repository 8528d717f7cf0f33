"""ServiceAccount tokens: the TokenRequest API (``serviceaccounts/<name>/token``) and checking the
tokens it issued, as upstream's ``serviceaccount`` token generator and authenticator do.

A token is a JWT the apiserver signs (upstream: RS256/ES256 with ``--service-account-key-file``;
here HS256 with a key the apiserver keeps in memory, or in ``state_dir/sa.key`` with a state_dir). ``kubectl create token default`` and the
kubelet (for the ``kube-api-access-*`` volume) ask for one; whoever holds it is
``system:serviceaccount:<namespace>:<name>`` until it expires::

    header   {"alg": "HS256", "kid": "…", "typ": "JWT"}
    claims   {"aud": ["https://kubernetes.default.svc.cluster.local"], "exp": …, "iat": …,
              "iss": "https://kubernetes.default.svc.cluster.local", "jti": "…",
              "kubernetes.io": {"namespace": "default",
                                "pod": {"name": "web", "uid": "…"},          (bound to a Pod)
                                "node": {"name": "node-1", "uid": "…"},
                                "serviceaccount": {"name": "default", "uid": "…"},
                                "warnafter": …},
              "nbf": …, "sub": "system:serviceaccount:default:default"}
    signature HMAC-SHA256(header.claims)

A token bound to a Pod stops working when the Pod is gone; any token stops when its
ServiceAccount is deleted (or recreated: the uid no longer matches). A Pod's token asked for with
the default 3607 s lives a year (``--service-account-extend-token-expiration``), and
``warnafter`` says when the kubelet should have replaced it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..clock import Clock, rfc3339
from ..errors import BadRequest, Conflict, FieldError, Invalid, NotFound
from .rbac import UserInfo

__all__ = [
    "TokenIssuer",
    "key_file",
    "ISSUER",
    "API_AUDIENCES",
    "DEFAULT_EXPIRATION_SECONDS",
    "POD_TOKEN_EXPIRATION_SECONDS",
    "service_account_user",
]

ISSUER = "https://kubernetes.default.svc.cluster.local"
API_AUDIENCES = [ISSUER]  # kube-apiserver's --api-audiences default: the issuer
DEFAULT_EXPIRATION_SECONDS = 3600  # a TokenRequest without spec.expirationSeconds
POD_TOKEN_EXPIRATION_SECONDS = 3607  # what the ServiceAccount admission plugin asks for Pods
_EXTENDED_SECONDS = 365 * 24 * 3600
_MIN_SECONDS, _MAX_SECONDS = 600, 1 << 32

#: (resource, namespace, name) → the stored object or None
Lookup = Callable[[str, str | None, str], "dict[str, Any] | None"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def service_account_user(namespace: str, name: str) -> UserInfo:
    """The identity a ServiceAccount's token authenticates as."""
    return UserInfo(f"system:serviceaccount:{namespace}:{name}",
                    ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"))


def key_file(path: str | os.PathLike[str]) -> bytes:
    """The signing key kept in *path*, made (32 random bytes, mode 0600) if it is not there yet:
    upstream's ``--service-account-key-file``, so tokens issued before a restart still work."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes()
        if len(key) < 32:
            raise ValueError(f"{path}: a service-account key needs at least 32 bytes") from None
        return key
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


class TokenIssuer:
    """Signs and checks ServiceAccount tokens with one key (kept for the apiserver's lifetime)."""

    def __init__(self, clock: Clock, lookup: Lookup, key: bytes | None = None) -> None:
        self.clock = clock
        self.lookup = lookup
        self.key = key or secrets.token_bytes(32)
        self.kid = _b64(hashlib.sha256(self.key).digest())[:43]

    # -- issuing ---------------------------------------------------------------------------
    def sign(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "kid": self.kid, "typ": "JWT"}, separators=(",", ":")).encode())
        body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
        signature = hmac.new(self.key, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{_b64(signature)}"

    def token_request(self, sa: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """The answer to ``POST serviceaccounts/<name>/token``: *request* (a TokenRequest) with its
        spec defaulted and ``status.token`` / ``status.expirationTimestamp`` filled in."""
        md = sa["metadata"]
        ns, name = md.get("namespace", "default"), md["name"]
        spec = dict(request.get("spec") or {})
        expiration = int(spec.get("expirationSeconds") or DEFAULT_EXPIRATION_SECONDS)
        if expiration < _MIN_SECONDS:
            raise Invalid("TokenRequest", name, [FieldError("spec.expirationSeconds", "Invalid value", expiration,
                                                            "may not specify a duration less than 10 minutes")],
                          group="authentication.k8s.io")
        if expiration > _MAX_SECONDS:
            raise Invalid("TokenRequest", name, [FieldError("spec.expirationSeconds", "Invalid value", expiration,
                                                            "may not specify a duration larger than 2^32 seconds")],
                          group="authentication.k8s.io")
        audiences = list(spec.get("audiences") or API_AUDIENCES)
        now = int(self.clock.now())
        private: dict[str, Any] = {"namespace": ns, "serviceaccount": {"name": name, "uid": md.get("uid", "")}}
        exp = now + expiration
        ref = spec.get("boundObjectRef") or None
        if ref:
            bound = self._bound(ref, ns)
            private[ref["kind"].lower()] = {"name": bound["metadata"]["name"], "uid": bound["metadata"].get("uid", "")}
            node_name = (bound.get("spec") or {}).get("nodeName") if ref["kind"] == "Pod" else None
            node = self.lookup("nodes", None, node_name) if node_name else None
            if node is not None:
                private["node"] = {"name": node_name, "uid": node["metadata"].get("uid", "")}
            if ref["kind"] == "Pod" and expiration == POD_TOKEN_EXPIRATION_SECONDS:
                exp = now + _EXTENDED_SECONDS
                private["warnafter"] = now + expiration
        claims = {"aud": audiences, "exp": exp, "iat": now, "iss": ISSUER, "jti": str(uuid.uuid4()),
                  "kubernetes.io": private, "nbf": now, "sub": f"system:serviceaccount:{ns}:{name}"}
        spec.update(audiences=audiences, expirationSeconds=expiration, boundObjectRef=ref)
        return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"name": name, "namespace": ns, "creationTimestamp": rfc3339(now)},
                "spec": spec, "status": {"token": self.sign(claims), "expirationTimestamp": rfc3339(exp)}}

    def _bound(self, ref: dict[str, Any], namespace: str) -> dict[str, Any]:
        kind = ref.get("kind", "")
        resource = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}.get(kind)
        if resource is None:
            raise BadRequest(f"cannot bind token object of kind {kind!r}: only Pod, Secret and Node are supported")
        obj = self.lookup(resource, None if kind == "Node" else namespace, ref.get("name", ""))
        if obj is None:
            raise NotFound.of(resource, ref.get("name", ""))
        uid = obj["metadata"].get("uid", "")
        if ref.get("uid") and ref["uid"] != uid:
            raise Conflict(f"the UID in the bound object reference ({ref['uid']}) does not match the UID in record. "
                           "The object might have been deleted and then recreated")
        return obj

    # -- checking ----------------------------------------------------------------------------
    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this issuer signed and that is valid now; None otherwise."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            header = json.loads(_unb64(parts[0]))
            signature = _unb64(parts[2])
            claims: dict[str, Any] = json.loads(_unb64(parts[1]))
        except (ValueError, TypeError):
            return None
        if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
            return None
        expected = hmac.new(self.key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(signature, expected):
            return None
        now = self.clock.now()
        if claims.get("iss") != ISSUER or not now < float(claims.get("exp", 0)) or now < float(claims.get("nbf", 0)) - 60:
            return None
        if not set(claims.get("aud") or []) & set(API_AUDIENCES):
            return None
        return claims

    def authenticate(self, token: str) -> UserInfo | None:
        """The ServiceAccount a valid token names, if it (and the Pod it is bound to) still exists."""
        claims = self.claims(token)
        if claims is None:
            return None
        private = claims.get("kubernetes.io") or {}
        ns = private.get("namespace", "")
        sa_ref = private.get("serviceaccount") or {}
        sa = self.lookup("serviceaccounts", ns, sa_ref.get("name", ""))
        if sa is None or (sa_ref.get("uid") and sa["metadata"].get("uid") != sa_ref["uid"]):
            return None
        for kind, resource in (("pod", "pods"), ("secret", "secrets")):
            ref = private.get(kind)
            if ref:
                obj = self.lookup(resource, ns, ref.get("name", ""))
                if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
                    return None
        return service_account_user(ns, sa_ref.get("name", ""))
