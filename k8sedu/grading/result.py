"""What grading a question and an exercise gives back, shown as text and as a small HTML card.

Why ``_repr_html_`` and not ipywidgets: a result is a value, computed once; Jupyter displays it as
HTML with no kernel thread and no widget state, and the batch grader turns the same value into JSON.

    ✔ q1 Pod hello 存在并带有标签 app=hello            2/2 分
    ✘ q2 Pod hello 正在运行                             0/3 分
      原因：找不到 pod/hello（命名空间 default）。
      提示：用 kubectl apply -f 提交 Pod……
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Result", "Report"]

_GREEN, _RED = "#1a7f37", "#cf222e"


def _fmt(points: float) -> str:
    return str(int(points)) if float(points).is_integer() else f"{points:g}"


@dataclass
class Result:
    """One question graded: ``points`` earned of ``max_points``; ``reason`` and ``hint`` on failure.

    ``error``: the check itself broke (not the student's answer), e.g. a bug in checks.py.
    """

    id: str
    title: str
    passed: bool
    points: float
    max_points: float
    hidden: bool = False
    reason: str = ""
    hint: str = ""
    error: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def shown_title(self) -> str:
        return "隐藏检查" if self.hidden else self.title

    def lines(self) -> list[str]:
        mark = "✔" if self.passed else "✘"
        out = [f"{mark} {self.id} {self.shown_title}：{_fmt(self.points)}/{_fmt(self.max_points)} 分"]
        if not self.passed and not self.hidden:
            if self.reason:
                out.append(f"  原因：{self.reason}")
            if self.error:
                out.append(f"  检查本身出错：{self.error}")
            if self.hint:
                out.append(f"  提示：{self.hint}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        color = _GREEN if self.passed else _RED
        word = "通过" if self.passed else "未通过"
        body = ""
        if not self.passed and not self.hidden:
            for label, text in (("原因", self.reason), ("检查本身出错", self.error), ("提示", self.hint)):
                if text:
                    body += f'<div style="margin-top:4px"><b>{label}：</b>{html.escape(text)}</div>'
        return (
            f'<div class="k8sedu-result" style="border-left:4px solid {color};padding:6px 10px;'
            f'margin:4px 0;background:#f6f8fa;font-family:sans-serif">'
            f'<span style="color:{color};font-weight:bold">{"✔" if self.passed else "✘"} {word}</span> '
            f"<b>{html.escape(self.id)}</b> {html.escape(self.shown_title)} "
            f'<span style="float:right">{_fmt(self.points)}/{_fmt(self.max_points)} 分</span>'
            f"{body}</div>"
        )


@dataclass
class Report:
    """Every question of one exercise graded: ``total`` of ``max_total`` points."""

    exercise: str
    results: list[Result] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_total(self) -> float:
        return sum(r.max_points for r in self.results)

    def points(self) -> dict[str, float]:
        """``{"q1": 2, "q2": 0, …}``: a row of the class's spreadsheet."""
        return {r.id: r.points for r in self.results}

    def __getitem__(self, qid: str) -> Result:
        for r in self.results:
            if r.id == qid:
                return r
        raise KeyError(qid)

    def to_dict(self) -> dict[str, Any]:
        return {"exercise": self.exercise, "total": self.total, "max_total": self.max_total,
                "results": [r.to_dict() for r in self.results]}

    def __str__(self) -> str:
        lines = [f"练习 {self.exercise}：共 {_fmt(self.total)}/{_fmt(self.max_total)} 分"]
        for r in self.results:
            lines.extend(r.lines())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = []
        for r in self.results:
            color = _GREEN if r.passed else _RED
            note = "" if r.passed or r.hidden else html.escape(r.hint or r.reason)
            rows.append(
                f"<tr><td>{html.escape(r.id)}</td><td>{html.escape(r.shown_title)}</td>"
                f'<td style="color:{color}">{"✔ 通过" if r.passed else "✘ 未通过"}</td>'
                f"<td>{_fmt(r.points)}/{_fmt(r.max_points)}</td><td>{note}</td></tr>"
            )
        return (
            f'<div class="k8sedu-report" style="font-family:sans-serif">'
            f"<b>练习 {html.escape(self.exercise)}：共 {_fmt(self.total)}/{_fmt(self.max_total)} 分</b>"
            f"<table><thead><tr><th>题号</th><th>内容</th><th>结果</th><th>得分</th><th>提示</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )
