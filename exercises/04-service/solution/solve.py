"""The solution of 04-service (``solve``) and a partial one (``partial``) that CI grades."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
PARTIAL_POINTS = {"q1": 2, "q2": 0, "q3": 0, "q4": 0}


def partial(c: Any) -> None:
    """A Service web whose selector matches no Pod (a typo): no endpoints, nothing answers."""
    c.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"selector": {"app": "wed"}, "ports": [{"port": 80, "targetPort": 80}]}})


def solve(c: Any) -> None:
    c.apply(HERE / "services.yaml")
