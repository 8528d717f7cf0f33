"""Older API versions served by conversion: one object stored, read and written in two versions.

The real apiserver stores a HorizontalPodAutoscaler once (as autoscaling/v2) and serves it at
``/apis/autoscaling/v2`` *and* ``/apis/autoscaling/v1``, converting on the way in and out.
kubectl 1.32's ``kubectl autoscale`` still POSTs an autoscaling/v1 object (as protobuf), while
``kubectl get hpa`` reads the preferred version, v2 (listed first in discovery)::

    POST /apis/autoscaling/v1/.../horizontalpodautoscalers   {"targetCPUUtilizationPercentage": 50}
         │ hpa_from_v1                                                ▲ hpa_to_v1
         ▼                                                            │
    apiserver (autoscaling/v2)  ── store ──  GET /apis/autoscaling/v1/.../horizontalpodautoscalers/web

A :class:`Conversion` names the served Kind, the stored Kind and the two converters; the HTTP
handler converts request bodies with ``to_stored`` and every object it answers with ``from_stored``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..api import kinds
from ..api.kinds import Kind
from ..api.validation_autoscaling import hpa_from_v1, hpa_to_v1

__all__ = ["Conversion", "CONVERSIONS", "served", "conversion_for"]

Obj = dict[str, Any]


@dataclass(frozen=True)
class Conversion:
    """*served* is read and written as *stored* (``to_stored``) and answered back (``from_stored``)."""

    served: Kind
    stored_group: str
    stored_version: str
    to_stored: Callable[[Obj], Obj]
    from_stored: Callable[[Obj], Obj]

    @property
    def stored(self) -> Kind:
        for k in kinds.all_kinds():
            if (k.group, k.version, k.plural) == (self.stored_group, self.stored_version, self.served.plural):
                return k
        raise LookupError(f"{self.served.plural} is not stored in {self.stored_group}/{self.stored_version}")

    def out(self, payload: Any) -> Any:
        """An answer (an object, a list, a watch event's object) in the served version."""
        if not isinstance(payload, dict):
            return payload
        if payload.get("kind") == self.served.kind:
            return self.from_stored(payload)
        if payload.get("kind") == f"{self.served.kind}List":
            return {**payload, "apiVersion": self.served.api_version,
                    "items": [self.from_stored(o) for o in payload.get("items") or []]}
        return payload

    def into(self, body: Any) -> Any:
        """A request body in the served version, as the stored version (other bodies unchanged)."""
        if isinstance(body, dict) and body.get("kind") == self.served.kind:
            return self.to_stored(body)
        return body


CONVERSIONS: tuple[Conversion, ...] = (
    Conversion(Kind("HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", "autoscaling",
                    "v1", True, ("hpa",), ("all",), ("status",)),
               "autoscaling", "v2", hpa_from_v1, hpa_to_v1),
)


def served() -> list[Kind]:
    """The converted kinds discovery lists (after the stored ones: the stored version is preferred)."""
    return [c.served for c in CONVERSIONS]


def conversion_for(kind: Kind) -> Conversion | None:
    return next((c for c in CONVERSIONS if c.served == kind), None)
