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
    │   ├── InternalError             500   InternalError
    │   └── ServiceUnavailable        503   ServiceUnavailable   (an aggregated API that is not up)
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
    "ServiceUnavailable",
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


class ServiceUnavailable(APIError):
    code, reason = 503, "ServiceUnavailable"


_CAUSE_REASONS = {
    "Invalid value": "FieldValueInvalid",
    "Required value": "FieldValueRequired",
    "Unsupported value": "FieldValueNotSupported",
    "Duplicate value": "FieldValueDuplicate",
    "Forbidden": "FieldValueForbidden",
    "Too long": "FieldValueTooLong",
    "Too many": "FieldValueTooMany",
    "Not found": "FieldValueNotFound",
    "Internal error": "InternalError",
}
# upstream prints no value for these types
_VALUELESS = ("Required value", "Forbidden", "Too long", "Internal error", "Too many")


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

    def message(self) -> str:
        """The part after ``field: `` (what a Status cause carries as its message)."""
        if self.type in _VALUELESS:
            return self.type + (f": {self.detail}" if self.detail else "")
        value = self.value
        if isinstance(value, str):
            shown = f'"{value}"'
        elif isinstance(value, bool):
            shown = "true" if value else "false"
        elif value is None:
            shown = "null"
        else:
            shown = str(value)
        return f"{self.type}: {shown}" + (f": {self.detail}" if self.detail else "")

    def __str__(self) -> str:
        return f"{self.field}: {self.message()}"


class Invalid(APIError):
    """422 Invalid, with upstream's two wordings of the same failure.

    The apiserver's Status message: ``Deployment.apps "web" is invalid: spec.replicas: ...``
    (several causes as ``[a, b]``). What kubectl prints, and ``str(err)``:
    ``The Deployment "web" is invalid: spec.replicas: Invalid value: -1: ...`` (several causes as
    ``* a`` lines).
    """

    code, reason = 422, "Invalid"

    def __init__(self, kind: str, name: str, causes: list[FieldError], group: str = "") -> None:
        self.kind, self.name, self.causes, self.group = kind, name, list(causes), group
        qualified = f"{kind}.{group}" if group else kind
        if len(causes) == 1:
            body = str(causes[0])
        else:
            body = "[" + ", ".join(str(c) for c in causes) + "]"
        super().__init__(
            f'{qualified} "{name}" is invalid: {body}',
            details={
                "name": name,
                "group": group,
                "kind": kind,
                "causes": [
                    {"reason": _CAUSE_REASONS.get(c.type, "FieldValueInvalid"), "message": c.message(), "field": c.field}
                    for c in causes
                ],
            },
        )

    def __str__(self) -> str:
        return self.kubectl_message()

    def kubectl_message(self) -> str:
        head = f'The {self.kind} "{self.name}" is invalid'
        if not self.causes:
            return head
        if len(self.causes) == 1:
            return f"{head}: {self.causes[0]}"
        return f"{head}: \n" + "\n".join(f"* {c}" for c in self.causes)


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
