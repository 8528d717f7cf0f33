"""A Kubernetes-compatible HTTP API in front of the in-process apiserver, for the real ``kubectl``
and the official ``kubernetes`` Python client: discovery, CRUD, watch, the Table form, patches,
subresources (status, scale, binding, eviction, log, exec) and bearer-token users.
"""

from __future__ import annotations

from .httpserver import KubeAPIServer, TableBuilder
from .kubeconfig import TokenAuthenticator, TokenUser, write_kubeconfig

__all__ = ["KubeAPIServer", "TableBuilder", "TokenAuthenticator", "TokenUser", "write_kubeconfig"]
