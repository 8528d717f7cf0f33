"""The solution of 07-config-secret (``solve``) and a partial one (``partial``) that CI grades."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
PARTIAL_POINTS = {"q1": 2, "q2": 2, "q3": 0, "q4": 0}


def partial(c: Any) -> None:
    """The ConfigMap and the Secret, but no Pod that uses them."""
    objs = list(yaml.safe_load_all((HERE / "app.yaml").read_text(encoding="utf-8")))
    c.apply([o for o in objs if o["kind"] != "Pod"])


def solve(c: Any) -> None:
    c.apply(HERE / "app.yaml")
