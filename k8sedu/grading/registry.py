"""Finding an exercise and loading its checks from ``exercises/NN-slug/checks.py``.

Why a loader and not an import: exercises are folders of teaching material, not a Python package;
their ``checks.py`` is loaded from its path. It either defines ``CHECKS = [Check(...), ...]`` or uses
the ``@check(...)`` decorator, in which case every module-level Check counts, in file order.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

from .check import Check

__all__ = ["find_exercise", "load_checks", "load_module"]


def _candidates(exercises_dir: str | os.PathLike[str] | None) -> list[Path]:
    if exercises_dir is not None:
        return [Path(exercises_dir)]
    found = []
    if os.environ.get("K8SEDU_EXERCISES"):
        found.append(Path(os.environ["K8SEDU_EXERCISES"]))
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):  # a notebook runs inside exercises/NN-slug/
        found.append(folder / "exercises")
        found.append(folder)
    found.append(Path(__file__).resolve().parents[2] / "exercises")  # the source checkout
    return found


def find_exercise(name: str, exercises_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder of exercise *name* ("01-first-pod"); FileNotFoundError when none has a checks.py."""
    for base in _candidates(exercises_dir):
        folder = base / name
        if (folder / "checks.py").is_file():
            return folder
        if base.name == name and (base / "checks.py").is_file():
            return base
    raise FileNotFoundError(f"找不到练习 {name}（需要 exercises/{name}/checks.py）")


def load_module(folder: str | os.PathLike[str]) -> ModuleType:
    """The exercise's ``checks.py`` as a module (fresh each time: a student cannot have patched it).

    Besides its checks it may define ``NODES`` (the nodes the exercise's cluster has, default 1) and
    ``setup(cluster)``: what the exercise gives before the student starts (``Grader.setup()``).
    """
    path = Path(folder) / "checks.py"
    spec = importlib.util.spec_from_file_location(f"k8sedu_exercise_{Path(folder).name.replace('-', '_')}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_checks(folder: str | os.PathLike[str]) -> list[Check]:
    """The checks of one exercise folder, in order; duplicate ids are refused."""
    path = Path(folder) / "checks.py"
    module = load_module(folder)
    checks = getattr(module, "CHECKS", None)
    if checks is None:
        checks = [v for v in vars(module).values() if isinstance(v, Check)]
    checks = list(checks)
    seen: set[str] = set()
    for c in checks:
        if not isinstance(c, Check):
            raise TypeError(f"{path}: CHECKS holds {c!r}, not a Check")
        if c.id in seen:
            raise ValueError(f"{path}: two checks named {c.id!r}")
        seen.add(c.id)
    if not checks:
        raise ValueError(f"{path} defines no check")
    return checks
