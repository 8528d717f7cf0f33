"""Errors, in Kubernetes' words.

The API errors carry the HTTP code, the reason and the message that the real apiserver returns, so
``kubectl`` output, the HTTP API and the graders all read the same text::

    K8sEduError
    ├── APIError                      code  reason
    │   ├── BadRequest                400   BadRequest
    │   ├── Unauthorized              401   Unauthorized
    │   ├── Forbidden                 403   Forbidden
    │   ├── NotFound                  404   NotFound
    │   ├── MethodNotAllowed          405   MethodNotSupported
    │   ├── AlreadyExists             409   AlreadyExists
    │   ├── Conflict                  409   Conflict
    │   ├── Gone                      410   Expired   (a watch from a compacted revision)
    │   ├── Invalid                   422   Invalid
    │   ├── Timeout                   504   Timeout
    │   └── InternalError             500   InternalError
    ├── StoreError                    the etcd-like store's own errors
    │   ├── Compacted                 the revision asked for was compacted away
    │   ├── FutureRevision            the revision asked for does not exist yet
    │   └── CASFailed                 compare-and-swap lost: the key changed meanwhile
    └── KubectlError                  a kubectl verb failed; str() is what kubectl prints
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "K8sEduError",
    "APIError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "MethodNotAllowed",
    "AlreadyExists",
    "Conflict",
    "Gone",
    "Invalid",
    "Timeout",
    "InternalError",
    "FieldError",
    "StoreError",
    "Compacted",
    "FutureRevision",
    "CASFailed",
    "KubectlError",
]


class K8sEduError(Exception):
    """Base of every error this package raises on purpose."""


class APIError(K8sEduError):
    """An error the apiserver returns: HTTP code, reason and message, as upstream."""

    code: int = 500
    reason: str = "InternalError"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def status(self) -> dict[str, Any]:
        """The ``Status`` object the HTTP API sends for this error."""
        out: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            out["details"] = self.details
        return out


class BadRequest(APIError):
    code, reason = 400, "BadRequest"


class Unauthorized(APIError):
    code, reason = 401, "Unauthorized"


class Forbidden(APIError):
    code, reason = 403, "Forbidden"


class NotFound(APIError):
    code, reason = 404, "NotFound"

    @classmethod
    def of(cls, qualified_resource: str, name: str) -> NotFound:
        """``pods "web" not found``: *qualified_resource* is ``pods`` or ``deployments.apps``."""
        return cls(
            f'{qualified_resource} "{name}" not found',
            details={"name": name, "kind": qualified_resource},
        )


class MethodNotAllowed(APIError):
    code, reason = 405, "MethodNotAllowed"


class AlreadyExists(APIError):
    code, reason = 409, "AlreadyExists"

    @classmethod
    def of(cls, qualified_resource: str, name: str) -> AlreadyExists:
        return cls(
            f'{qualified_resource} "{name}" already exists',
            details={"name": name, "kind": qualified_resource},
        )


class Conflict(APIError):
    code, reason = 409, "Conflict"

    @classmethod
    def modified(cls, qualified_resource: str, name: str) -> Conflict:
        return cls(
            f'Operation cannot be fulfilled on {qualified_resource} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            details={"name": name, "kind": qualified_resource},
        )


class Gone(APIError):
    code, reason = 410, "Expired"


class Timeout(APIError):
    code, reason = 504, "Timeout"


class InternalError(APIError):
    code, reason = 500, "InternalError"


@dataclass(frozen=True)
class FieldError:
    """One validation failure, printed as upstream's field.Error.

    >>> str(FieldError("spec.replicas", "Invalid value", -1, "must be greater than or equal to 0"))
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    """

    field: str
    type: str  # "Invalid value", "Required value", "Unsupported value", "Duplicate value", ...
    value: Any = None
    detail: str = ""

    def __str__(self) -> str:
        if self.type in ("Required value", "Forbidden"):
            return f"{self.field}: {self.type}" + (f": {self.detail}" if self.detail else "")
        value = self.value
        if isinstance(value, str):
            shown = f'"{value}"'
        elif isinstance(value, bool):
            shown = "true" if value else "false"
        elif value is None:
            shown = "null"
        else:
            shown = str(value)
        text = f"{self.field}: {self.type}: {shown}"
        return text + (f": {self.detail}" if self.detail else "")


class Invalid(APIError):
    """422: ``The Deployment "web" is invalid: spec.replicas: Invalid value: -1: ...``.

    With several causes upstream prints them as a bracketed list: ``is invalid: [a, b]``.
    """

    code, reason = 422, "Invalid"

    def __init__(self, kind: str, name: str, causes: list[FieldError], group: str = "") -> None:
        self.kind, self.name, self.causes = kind, name, list(causes)
        if len(causes) == 1:
            body = str(causes[0])
        else:
            body = "[" + ", ".join(str(c) for c in causes) + "]"
        super().__init__(
            f'The {kind} "{name}" is invalid: {body}',
            details={
                "name": name,
                "group": group,
                "kind": kind,
                "causes": [
                    {"reason": "Field" + c.type.title().replace(" ", ""), "message": str(c), "field": c.field}
                    for c in causes
                ],
            },
        )


class StoreError(K8sEduError):
    """Errors of the etcd-like store."""


class Compacted(StoreError):
    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(
            f"mvcc: required revision has been compacted (asked {requested}, compacted up to {compacted})"
        )
        self.requested, self.compacted = requested, compacted


class FutureRevision(StoreError):
    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"mvcc: required revision is a future revision (asked {requested}, now {current})")
        self.requested, self.current = requested, current


class CASFailed(StoreError):
    def __init__(self, key: str, expected: int, actual: int) -> None:
        super().__init__(f"compare-and-swap failed on {key}: expected mod revision {expected}, found {actual}")
        self.key, self.expected, self.actual = key, expected, actual


class KubectlError(K8sEduError):
    """A kubectl verb failed; ``str(err)`` is exactly what kubectl prints on stderr."""
