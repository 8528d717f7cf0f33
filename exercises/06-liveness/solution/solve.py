"""The solution of 06-liveness (``solve``) and a partial one (``partial``) that CI grades."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
PARTIAL_POINTS = {"q1": 1, "q2": 0, "q3": 0, "q4": 0}


def _pod() -> dict[str, Any]:
    pod: dict[str, Any] = yaml.safe_load((HERE / "healer.yaml").read_text(encoding="utf-8"))
    return pod


def partial(c: Any) -> None:
    """The Pod runs but has no liveness probe: nothing notices when the file goes."""
    pod = copy.deepcopy(_pod())
    del pod["spec"]["containers"][0]["livenessProbe"]
    c.apply(pod)


def solve(c: Any) -> None:
    c.apply(HERE / "healer.yaml")
