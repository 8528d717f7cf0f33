"""Who may talk to the HTTP API: bearer tokens, and the kubeconfig file that carries them.

A real cluster authenticates kubectl with client certificates or tokens; we use static bearer
tokens (upstream's ``--token-auth-file``): each token names a :class:`UserInfo`; any other
token is tried as a ServiceAccount token the apiserver signed (``kubectl create token``, or the
``token`` file a Pod finds in /var/run/secrets/kubernetes.io/serviceaccount). The kubeconfig
written for ``k8sedu serve`` / ``Cluster.serve()`` holds the admin user ``kubernetes-admin``
(group ``system:masters``) and, when asked, a student user whose context defaults to the
student's namespace.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..apiserver import ADMIN, UserInfo

__all__ = ["TokenUser", "TokenAuthenticator", "write_kubeconfig", "CLUSTER_NAME"]

CLUSTER_NAME = "k8sedu"


@dataclass(frozen=True)
class TokenUser:
    """One kubeconfig user: its token, identity and default namespace."""

    token: str
    user: UserInfo
    namespace: str = "default"

    @property
    def context(self) -> str:
        return f"{self.user.name}@{CLUSTER_NAME}"


class TokenAuthenticator:
    """token → user; an unknown or missing token is anonymous (and the apiserver says 401)."""

    def __init__(self, verify: Callable[[str], UserInfo | None] | None = None) -> None:
        self.users: dict[str, TokenUser] = {}
        self.admin = self.add(ADMIN)
        self.verify = verify  # a signed ServiceAccount token (the apiserver's TokenIssuer.authenticate)

    def add(self, user: UserInfo, namespace: str = "default") -> TokenUser:
        entry = TokenUser(secrets.token_hex(16), user, namespace)
        self.users[entry.token] = entry
        return entry

    def authenticate(self, authorization: str | None) -> UserInfo | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        entry = self.users.get(token.strip())
        if entry is not None:
            return entry.user
        return self.verify(token.strip()) if self.verify is not None and token.count(".") == 2 else None


def write_kubeconfig(path: Path, server: str, users: list[TokenUser], current: TokenUser,
                     ca_cert: Path | None = None) -> Path:
    """Write a kubeconfig with one cluster, and one user and context per entry of *users*;
    *ca_cert* (a PEM file) is the certificate an ``https`` server is checked against."""
    cluster: dict[str, str] = {"server": server}
    if ca_cert is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_cert.read_bytes()).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CLUSTER_NAME, "cluster": cluster}],
        "users": [{"name": u.user.name, "user": {"token": u.token}} for u in users],
        "contexts": [
            {"name": u.context, "context": {"cluster": CLUSTER_NAME, "user": u.user.name, "namespace": u.namespace}}
            for u in users
        ],
        "current-context": current.context,
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path
