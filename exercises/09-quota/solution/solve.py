"""The solution of 09-quota (``solve``) and a partial one (``partial``) that CI grades."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
PARTIAL_POINTS = {"q1": 1, "q2": 2, "q3": 0, "q4": 0}


def partial(c: Any) -> None:
    """The namespace and its quota, but no Deployment."""
    objs = list(yaml.safe_load_all((HERE / "quota.yaml").read_text(encoding="utf-8")))
    c.apply([o for o in objs if o["kind"] != "Deployment"])


def solve(c: Any) -> None:
    c.apply(HERE / "quota.yaml")
