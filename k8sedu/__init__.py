"""k8sedu — Kubernetes 原理课堂： a compact Kubernetes control plane inside a notebook.

``from k8sedu import Cluster`` is the whole public entry point; see :mod:`k8sedu.cluster`.
The facade is imported lazily, so ``import k8sedu.store`` does not start importing the world.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["Cluster", "current_cluster", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("Cluster", "current_cluster"):
        from . import cluster

        return getattr(cluster, name)
    raise AttributeError(f"module 'k8sedu' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext k8sedu`` registers the ``%kubectl`` and ``%%kubectl`` magics."""
    from .magics import load_ipython_extension as load

    load(ipython)
