"""The decision trace: everything one scheduling attempt decided, node by node, plugin by plugin.

Lessons print it, dashboards draw it, graders check it. It is plain data (``to_dict()`` is JSON)::

    Trace  pod default/web-x   result Scheduled   chosen node-2
    ├── pre_filter   NodePorts: Skip (no hostPort) …
    ├── nodes
    │   ├── node-1   filters: NodeUnschedulable ✓ … NodeResourcesFit ✗ Insufficient cpu   (stops there)
    │   ├── node-2   filters: all ✓   scores: TaintToleration raw 0 → 100 × 3 = 300 …   total 462
    │   └── node-3   …
    ├── feasible   [node-2, node-3]
    └── message    "" (or the FailedScheduling text: 0/3 nodes are available: …)

``Trace.table()`` renders it as a plain-text table with Chinese headers and the plugins' English
names, for ``print()`` in a notebook.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FilterVerdict", "ScoreDetail", "NodeTrace", "Trace"]

SCHEDULED, UNSCHEDULABLE, ERROR = "Scheduled", "Unschedulable", "Error"


@dataclass(frozen=True)
class FilterVerdict:
    """One plugin's verdict at PreFilter or Filter: ``code`` is upstream's name of the status code
    (Success, Unschedulable, UnschedulableAndUnresolvable, Skip, Error)."""

    plugin: str
    code: str
    reasons: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.code in ("Success", "Skip")


@dataclass(frozen=True)
class ScoreDetail:
    """One Score plugin on one node: ``weighted = normalized * weight``. ``skipped`` when the
    plugin's PreScore said it has nothing to score for this Pod (then all numbers are 0)."""

    plugin: str
    raw: int
    normalized: int
    weight: int
    weighted: int
    skipped: bool = False


@dataclass
class NodeTrace:
    node: str
    #: the Filter plugins in the order they ran; upstream stops at the first failure, so a
    #: rejected node lists the plugins up to and including the one that rejected it.
    filters: list[FilterVerdict] = field(default_factory=list)
    feasible: bool = False
    #: why the node was rejected (the rejecting plugin's reasons), empty when feasible
    reasons: list[str] = field(default_factory=list)
    scores: list[ScoreDetail] = field(default_factory=list)
    total: int | None = None

    def filter(self, plugin: str) -> FilterVerdict | None:
        return next((f for f in self.filters if f.plugin == plugin), None)

    def score(self, plugin: str) -> ScoreDetail | None:
        return next((s for s in self.scores if s.plugin == plugin), None)


@dataclass
class Trace:
    pod: str  # "namespace/name"
    time: float
    uid: str = ""
    scheduler_name: str = "default-scheduler"
    attempt: int = 1
    pre_filter: list[FilterVerdict] = field(default_factory=list)
    nodes: list[NodeTrace] = field(default_factory=list)
    feasible: list[str] = field(default_factory=list)
    #: False when scoring was skipped: upstream does not score when only one node is feasible
    scored: bool = False
    chosen: str | None = None
    result: str = ""  # "Scheduled" | "Unschedulable" | "Error"
    #: the FailedScheduling event message (also the PodScheduled condition message); "" on success
    message: str = ""
    #: DefaultPreemption's part of the message ("preemption: 0/3 nodes are available: …")
    preemption: str = ""
    #: the plugins that rejected the Pod (upstream's ``Diagnosis.UnschedulablePlugins``): the
    #: scheduling queue retries it when a cluster event concerns one of them
    unschedulable_plugins: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # -- reading ---------------------------------------------------------------------------------
    def node(self, name: str) -> NodeTrace | None:
        return next((n for n in self.nodes if n.node == name), None)

    @property
    def totals(self) -> dict[str, int]:
        """Node → total weighted score, for the scored nodes."""
        return {n.node: n.total for n in self.nodes if n.total is not None}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = _jsonable(asdict(self))
        return out

    def summary(self) -> str:
        if self.result == SCHEDULED:
            total = self.totals.get(self.chosen or "")
            extra = f"，总分 {total}" if total is not None else ""
            return f"Pod {self.pod} → {self.chosen}{extra}"
        return f"Pod {self.pod} 未能调度：{self.message}"

    # -- the table -------------------------------------------------------------------------------
    def table(self) -> str:
        """A plain-text table: Filter verdicts per node and plugin, then the scores."""
        lines = [f"调度 Pod {self.pod}（第 {self.attempt} 次尝试，调度器 {self.scheduler_name}）"]
        if self.result == SCHEDULED:
            lines.append(f"结果：选中节点 {self.chosen}")
        else:
            lines.append(f"结果：{self.result or '未调度'}")
        for v in self.pre_filter:
            if v.code == "Skip":
                lines.append(f"  PreFilter {v.plugin}: 跳过（与此 Pod 无关）")
            elif not v.passed:
                lines.append(f"  PreFilter {v.plugin}: {v.code} {', '.join(v.reasons)}")
        plugins = _ordered(f.plugin for n in self.nodes for f in n.filters)
        if self.nodes:
            lines += ["", "预选（Filter）：✓ 通过  ✗ 不通过  跳过 = PreFilter 判定无关  — = 未运行（前一个插件已淘汰该节点）"]
            rows = [["节点", *plugins, "结论"]]
            for n in self.nodes:
                cells = []
                for p in plugins:
                    verdict = n.filter(p)
                    cells.append("—" if verdict is None else "跳过" if verdict.code == "Skip"
                                 else "✓" if verdict.passed else "✗")
                rows.append([n.node, *cells, "可用" if n.feasible else "不可用"])
            lines += _grid(rows)
            for n in self.nodes:
                if not n.feasible and n.reasons:
                    lines.append(f"  {n.node}: {'; '.join(n.reasons)}")
        if self.scored:
            score_plugins = _ordered(s.plugin for n in self.nodes for s in n.scores)
            weights = {s.plugin: s.weight for n in self.nodes for s in n.scores}
            lines += ["", "优选（Score）：原始分→归一化分（0–100）=归一化分×权重"]
            rows = [["节点", *[f"{p}×{weights[p]}" for p in score_plugins], "总分"]]
            for n in self.nodes:
                if n.total is None:
                    continue
                cells = []
                for p in score_plugins:
                    s = n.score(p)
                    cells.append("—" if s is None else "跳过" if s.skipped else f"{s.raw}→{s.normalized}={s.weighted}")
                mark = " ◀" if n.node == self.chosen else ""
                rows.append([n.node, *cells, f"{n.total}{mark}"])
            lines += _grid(rows)
        elif self.result == SCHEDULED:
            lines += ["", f"优选（Score）：只有 {self.chosen} 可用，跳过打分（upstream 同样如此）"]
        if self.message:
            lines += ["", f"FailedScheduling: {self.message}"]
        for note in self.notes:
            lines.append(f"注：{note}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _ordered(names: Any) -> list[str]:
    seen: dict[str, None] = {}
    for n in names:
        seen.setdefault(n, None)
    return list(seen)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _grid(rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        out.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip())
    return out
