"""The apiserver: authentication, RBAC, admission, validation, the store, watches, flow events."""

from __future__ import annotations

from .core import APIServer
from .rbac import (
    ADMIN,
    ANONYMOUS,
    CONTROLLER_MANAGER,
    KUBE_PROXY,
    SCHEDULER,
    RBACAuthorizer,
    UserInfo,
    node_user,
)
from .watch import Watch, WatchEvent

__all__ = [
    "APIServer",
    "ADMIN",
    "ANONYMOUS",
    "CONTROLLER_MANAGER",
    "KUBE_PROXY",
    "SCHEDULER",
    "RBACAuthorizer",
    "UserInfo",
    "Watch",
    "WatchEvent",
    "node_user",
]
