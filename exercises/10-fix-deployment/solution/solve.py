"""The solution of 10-fix-deployment (``solve``) and a partial one (``partial``) that CI grades."""

from __future__ import annotations

from typing import Any

PARTIAL_POINTS = {"q1": 3, "q2": 0, "q3": 0, "q4": 0}


def partial(c: Any) -> None:
    """Only the image of frontend is fixed."""
    c.kubectl("set image deployment/frontend web=k8sedu/web:v1")


def solve(c: Any) -> None:
    partial(c)
    c.kubectl(["patch", "deployment", "worker", "--type=json", "-p",
               '[{"op": "replace", "path": "/spec/template/spec/containers/0/command", '
               '"value": ["sh", "-c", "echo fixed; sleep 3600"]}]'])
    c.kubectl(["patch", "deployment", "cache", "-p",
               '{"spec": {"template": {"spec": {"containers": '
               '[{"name": "cache", "resources": {"requests": {"cpu": "100m"}}}]}}}}'])
