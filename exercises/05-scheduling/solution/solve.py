"""The solution of 05-scheduling (``solve``) and a partial one (``partial``) that CI grades."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
PARTIAL_POINTS = {"q1": 2, "q2": 0, "q3": 0, "q4": 1}


def partial(c: Any) -> None:
    """node-1 labelled, the Pod selects it but forgets the toleration: it stays Pending."""
    c.kubectl("label nodes node-1 disk=ssd")
    pod = copy.deepcopy(yaml.safe_load((HERE / "trainer.yaml").read_text(encoding="utf-8")))
    del pod["spec"]["tolerations"]
    c.apply(pod)


def solve(c: Any) -> None:
    c.kubectl("label nodes node-1 disk=ssd")
    c.apply(HERE / "trainer.yaml")
