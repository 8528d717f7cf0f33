"""The layer contract of DESIGN.md §3, checked on the source: imports point down the stack only.

Every module under ``k8sedu/`` belongs to a *component* (its first name below ``k8sedu``:
``k8sedu/scheduler/plugins/fit.py`` is in ``scheduler``). A module may import

- anything in its own component,
- any component on a **lower** level of the table below,
- a component on its **own** level, except where the level is marked "independent": the control
  loops talk to each other only through the apiserver (list/watch), never by import.

Imports are read with ``ast``, everywhere in a file (inside functions and ``if TYPE_CHECKING:``
too): a lazy or type-only import is still a dependency. A component that is not in the table fails
the test, so a new package has to be placed in the stack (and here documented) when it is added.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "k8sedu"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# (level, components, independent): level 0 is the bottom of the stack.
LAYERS: list[tuple[int, tuple[str, ...], bool]] = [
    (0, ("api", "flow", "clock", "errors"), False),  # object helpers, flow events, time, errors
    (1, ("runtime", "store"), False),  # container runtimes and images; the etcd-like store
    (2, ("apiserver",), False),  # authn -> authz -> admission -> validation -> store; watch
    (3, ("client",), False),  # in-process client, informers, work queue
    # the control loops, and metrics-server (k8sedu.metrics: scrapes kubelets through the apiserver)
    (4, ("scheduler", "controllers", "kubelet", "proxy", "metrics"), True),
    (5, ("server",), False),  # the Kubernetes-compatible HTTP API
    # the facade, the `k8sedu` command (cli, doctor, __main__), kubectl verbs, notebook magics;
    # k8sedu/__init__.py re-exports the facade (Cluster) and so stands here too.
    (6, ("cluster", "cli", "doctor", "__main__", "kubectl", "magics", "__init__"), False),
    (7, ("grading",), False),  # checks with points and hints
    (8, ("viz",), False),  # dashboards
    (9, ("demos",), False),  # classroom demos: a Cluster, a view and buttons, one call each
]

LEVEL: dict[str, int] = {c: level for level, comps, _ in LAYERS for c in comps}
INDEPENDENT: set[str] = {c for _, comps, independent in LAYERS if independent for c in comps}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    source: str  # component of the importing module
    target: str  # component imported
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source} imports {self.target} ({self.why})"


def module_name(root: Path, path: Path) -> tuple[str, bool]:
    """``k8sedu/a/b.py`` -> ``("k8sedu.a.b", False)``; ``k8sedu/a/__init__.py`` -> ``("k8sedu.a", True)``."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def component(module: str) -> str | None:
    """The component of an absolute module name, ``None`` if outside the package."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Absolute names of everything a module imports, with line numbers.

    ``from k8sedu import errors`` yields ``k8sedu.errors`` and ``from k8sedu import Cluster``
    yields ``k8sedu.Cluster``; ``check_tree`` maps a name that is no submodule to ``__init__``.
    """
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: -(node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                yield node.lineno, f"{target}.{alias.name}"


def check_tree(root: Path) -> tuple[list[Violation], set[str]]:
    """Every violation of the layer table under *root*, and the components found there."""
    violations: list[Violation] = []
    seen: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        rel = str(path.relative_to(root.parent))
        module, is_package = module_name(root, path)
        source = component(module)
        assert source is not None
        seen.add(source)
        if source not in LEVEL:
            violations.append(Violation(rel, 1, source, source, "not in the layer table"))
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for line, name in imported_modules(tree, module, is_package):
            target = component(name)
            if target is None or target == source:
                continue
            if target not in LEVEL:
                # `from k8sedu import Cluster`: a name of the package itself, not a submodule.
                sub = root / target
                if not (sub.is_dir() or sub.with_suffix(".py").exists()):
                    target = "__init__"
                    if target == source:
                        continue
                else:
                    violations.append(Violation(rel, line, source, target, "not in the layer table"))
                    continue
            if LEVEL[target] > LEVEL[source]:
                why = f"level {LEVEL[source]} may not import level {LEVEL[target]}"
            elif LEVEL[target] == LEVEL[source] and source in INDEPENDENT:
                why = "control loops talk only through the apiserver"
            else:
                continue
            violations.append(Violation(rel, line, source, target, why))
    return violations, seen


def test_imports_point_down_the_stack() -> None:
    violations, seen = check_tree(ROOT)
    assert seen, f"no modules found under {ROOT}"
    assert not violations, "layer contract (DESIGN.md §3) broken:\n" + "\n".join(map(str, violations))


def test_table_lists_each_component_once() -> None:
    names = [c for _, comps, _ in LAYERS for c in comps]
    assert len(names) == len(set(names))
    assert [level for level, _, _ in LAYERS] == sorted({level for level, _, _ in LAYERS})


# The checker itself, on a small made-up package, so it is known to catch what it should.


def _write(root: Path, files: dict[str, str]) -> Path:
    pkg = root / PACKAGE
    for rel, text in files.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return pkg


def _found(pkg: Path) -> set[tuple[str, str]]:
    violations, _ = check_tree(pkg)
    return {(v.source, v.target) for v in violations}


def test_checker_allows_downward_and_same_component_imports(tmp_path: Path) -> None:
    pkg = _write(tmp_path, {
        "__init__.py": "from k8sedu.cluster import Cluster\n",
        "errors.py": "",
        "api/__init__.py": "from ..errors import NotFound\nfrom . import kinds\n",
        "api/kinds.py": "from k8sedu import errors\n",
        "store/__init__.py": "from k8sedu.api import kinds\nimport json\n",
        "scheduler/__init__.py": "from .framework import x\nfrom ..client import Client\n",
        "scheduler/framework.py": "from k8sedu.scheduler import plugins\n",
        "cluster.py": "from k8sedu.scheduler import S\nfrom k8sedu.kubectl import verbs\n",
        "kubectl/verbs.py": "from ..cluster import Cluster\n",
    })
    assert _found(pkg) == set()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"store/mvcc.py": "from k8sedu.apiserver import APIServer\n"}, ("store", "apiserver")),
        ({"store/mvcc.py": "from ..apiserver import core\n"}, ("store", "apiserver")),
        ({"api/meta.py": "import k8sedu.runtime.docker\n"}, ("api", "runtime")),
        ({"scheduler/core.py": "from k8sedu.kubelet import Kubelet\n"}, ("scheduler", "kubelet")),
        ({"kubelet/sync.py": "def f():\n    from ..controllers import x\n"}, ("kubelet", "controllers")),
        ({"client/informer.py": "from k8sedu import Cluster\n"}, ("client", "__init__")),
        ({"viz/x.py": "", "grading/checks.py": "from k8sedu.viz import x\n"}, ("grading", "viz")),
        ({"utils.py": ""}, ("utils", "utils")),
    ],
)
def test_checker_finds_upward_and_sideways_imports(
    tmp_path: Path, files: dict[str, str], expected: tuple[str, str]
) -> None:
    pkg = _write(tmp_path, {"__init__.py": "", **files})
    assert expected in _found(pkg)
