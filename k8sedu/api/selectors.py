"""Label and field selectors, as upstream's ``labels.Parse`` and ``fields.ParseSelector``.

Labels are how loosely coupled objects find each other: a ReplicaSet owns the Pods its selector
matches, a Service sends traffic to them. A label selector is a list of requirements, all of which
must hold (AND)::

    app=web,tier!=db,env in (prod,staging),!legacy,track
    └──┬──┘ └───┬──┘ └─────────┬─────────┘ └──┬──┘ └─┬─┘
     equals  not equals       set          absent  present

``str(selector)`` prints the canonical form (requirements sorted by key, values sorted), the same
text upstream prints. An empty selector selects everything; the *nothing* selector (from a missing
``selector`` field, as ``metav1.LabelSelectorAsSelector(nil)``) selects nothing.

Field selectors compare fields of the object itself: ``metadata.name=web,status.phase!=Running``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k8sedu.api.naming import label_value_errors, qualified_name_errors

__all__ = [
    "Requirement",
    "Selector",
    "FieldSelector",
    "parse_selector",
    "from_label_selector",
    "selector_from_set",
    "everything",
    "nothing",
    "parse_field_selector",
    "field_value",
]

# operators, named as upstream's selection.Operator
IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS = "in", "notin", "=", "==", "!="
EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN = "exists", "!", "gt", "lt"
_BINARY_OPERATORS = [IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN]


def _key_ok(key: str) -> bool:
    return not qualified_name_errors(key)


def _value_ok(value: str) -> bool:
    return not label_value_errors(value)


def _invalid_key(key: str) -> str:
    return f'<nil>: Invalid value: "{key}": ' + "; ".join(qualified_name_errors(key))


def _invalid_value(key: str, index: int, value: str) -> str:
    return f'values[{index}][{key}]: Invalid value: "{value}": ' + "; ".join(
        label_value_errors(value)
    )


@dataclass(frozen=True)
class Requirement:
    """One term: ``key op values``. Build with :func:`make_requirement` to get upstream's checks."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op in (IN, EQUALS, DOUBLE_EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (NOT_IN, NOT_EQUALS):
            return self.key not in labels or labels[self.key] not in self.values
        if op == EXISTS:
            return self.key in labels
        if op == DOES_NOT_EXIST:
            return self.key not in labels
        if op in (GREATER_THAN, LESS_THAN):
            if self.key not in labels:
                return False
            try:
                have, want = int(labels[self.key]), int(self.values[0])
            except (ValueError, IndexError):
                return False
            return have > want if op == GREATER_THAN else have < want
        return False

    def __str__(self) -> str:
        op = self.operator
        if op == EXISTS:
            return self.key
        if op == DOES_NOT_EXIST:
            return "!" + self.key
        values = ",".join(sorted(self.values)) if len(self.values) != 1 else self.values[0]
        if op in (IN, NOT_IN):
            return f"{self.key} {op} ({values})"
        symbol = {GREATER_THAN: ">", LESS_THAN: "<"}.get(op, op)
        return f"{self.key}{symbol}{values}"


def make_requirement(key: str, operator: str, values: Iterable[str] = ()) -> Requirement:
    """A checked requirement, as ``labels.NewRequirement``; ValueError with upstream's words."""
    vals = sorted(set(values)) if operator in (IN, NOT_IN) else list(values)
    if not _key_ok(key):
        raise ValueError(_invalid_key(key))
    problems: list[str] = []
    if operator in (IN, NOT_IN):
        if not vals:
            problems.append(
                "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
            )
    elif operator in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(vals) != 1:
            problems.append(
                f"values: Invalid value: {_go_strings(vals)}: exact-match compatibility requires one single value"
            )
    elif operator in (EXISTS, DOES_NOT_EXIST):
        if vals:
            problems.append(
                f"values: Invalid value: {_go_strings(vals)}: values set must be empty for exists and does not exist"
            )
    elif operator in (GREATER_THAN, LESS_THAN):
        if len(vals) != 1:
            problems.append(
                f"values: Invalid value: {_go_strings(vals)}: for 'Gt', 'Lt' operators, exactly one value is required"
            )
        for i, v in enumerate(vals):
            if not re.match(r"^[+-]?[0-9]+$", v):
                problems.append(
                    f"values[{i}]: Invalid value: \"{v}\": for 'Gt', 'Lt' operators, the value must be an integer"
                )
    else:
        supported = ", ".join(
            f'"{o}"'
            for o in (
                IN,
                NOT_IN,
                EQUALS,
                DOUBLE_EQUALS,
                NOT_EQUALS,
                EXISTS,
                DOES_NOT_EXIST,
                GREATER_THAN,
                LESS_THAN,
            )
        )
        problems.append(f'operator: Unsupported value: "{operator}": supported values: {supported}')
    for i, v in enumerate(vals):
        if not _value_ok(v):
            problems.append(_invalid_value(key, i, v))
    if problems:
        raise ValueError(problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]")
    return Requirement(key, operator, tuple(vals))


def _go_strings(vals: list[str]) -> str:
    return "[]string{" + ", ".join(f'"{v}"' for v in vals) + "}"


@dataclass(frozen=True)
class Selector:
    """A label selector: all requirements must match. ``nothing=True`` matches no object at all."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False

    @property
    def empty(self) -> bool:
        """True for the selector that selects everything (as upstream's ``Selector.Empty()``)."""
        return not self.nothing and not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self.nothing:
            return False
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def add(self, *reqs: Requirement) -> Selector:
        """A new selector with more requirements (kept sorted by key, as upstream)."""
        return Selector(tuple(sorted(self.requirements + reqs, key=lambda r: r.key)), self.nothing)

    def requires_exact(self, key: str) -> str | None:
        """The value *key* must equal, if the selector pins it (``RequiresExactMatch``)."""
        for r in self.requirements:
            if r.key == key and r.operator in (EQUALS, DOUBLE_EQUALS, IN) and len(r.values) == 1:
                return r.values[0]
        return None

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


def everything() -> Selector:
    return Selector()


def nothing() -> Selector:
    return Selector(nothing=True)


# -- the parser (the lexer and grammar of upstream's labels.Parse) ------------------------------
_SPECIAL = "=!(),><"
_SYMBOLS = {
    "!": "!",
    "!=": "!=",
    "(": "(",
    ")": ")",
    ",": ",",
    "=": "=",
    "==": "==",
    ">": ">",
    "<": "<",
}
_WHITESPACE = " \t\r\n"
_IDENT, _EOS, _ERROR = "IDENT", "EOS", "ERROR"


def _lex(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _WHITESPACE:
            i += 1
            continue
        if ch in _SPECIAL:
            j = i
            while j < n and text[j] in _SPECIAL and text[i : j + 1] in _SYMBOLS:
                j += 1
            lit = text[i:j]
            if not lit:
                tokens.append((_ERROR, f"error expected: keyword found '{text[i]}'"))
                i += 1
                continue
            tokens.append((_SYMBOLS[lit], lit))
            i = j
            continue
        j = i
        while j < n and text[j] not in _WHITESPACE and text[j] not in _SPECIAL:
            j += 1
        lit = text[i:j]
        tokens.append((lit if lit in (IN, NOT_IN) else _IDENT, lit))
        i = j
    tokens.append((_EOS, ""))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.pos = 0

    def _token(self, values_context: bool) -> tuple[str, str]:
        tok, lit = self.tokens[self.pos]
        if values_context and tok in (IN, NOT_IN):
            tok = _IDENT  # "in" and "notin" are ordinary words where values are expected
        return tok, lit

    def lookahead(self, values: bool = True) -> tuple[str, str]:
        return self._token(values)

    def consume(self, values: bool = True) -> tuple[str, str]:
        t = self._token(values)
        if self.pos < len(self.tokens) - 1:
            self.pos += 1
        return t

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead()
            if tok in (_IDENT, "!"):
                try:
                    reqs.append(self.requirement())
                except ValueError as e:
                    raise ValueError(f"unable to parse requirement: {e}") from None
                t, l_ = self.consume()
                if t == _EOS:
                    return reqs
                if t == ",":
                    t2, l2 = self.lookahead()
                    if t2 not in (_IDENT, "!"):
                        raise ValueError(f"found '{l2}', expected: identifier after ','")
                    continue
                raise ValueError(f"found '{l_}', expected: ',' or 'end of string'")
            if tok == _EOS:
                return reqs
            raise ValueError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> Requirement:
        operator = ""
        tok, lit = self.consume()
        if tok == "!":
            operator = DOES_NOT_EXIST
            tok, lit = self.consume()
        if tok != _IDENT:
            raise ValueError(f"found '{lit}', expected: identifier")
        key = lit
        if not _key_ok(key):
            raise ValueError(_invalid_key(key))
        nxt, _ = self.lookahead()
        if nxt in (_EOS, ","):
            return make_requirement(key, operator or EXISTS, [])
        if operator == DOES_NOT_EXIST:
            raise ValueError(f"found '{lit}', expected: ',' or 'end of string'")
        tok, lit = self.consume(values=False)
        op = {
            IN: IN,
            NOT_IN: NOT_IN,
            "=": EQUALS,
            "==": DOUBLE_EQUALS,
            "!=": NOT_EQUALS,
            ">": GREATER_THAN,
            "<": LESS_THAN,
        }.get(tok)
        if op is None:
            raise ValueError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        values = self.set_values() if op in (IN, NOT_IN) else self.exact_value()
        return make_requirement(key, op, values)

    def set_values(self) -> list[str]:
        tok, lit = self.consume()
        if tok != "(":
            raise ValueError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead()
        if tok in (_IDENT, ","):
            values = self.identifiers()
            t, _ = self.consume()
            if t != ")":
                raise ValueError(f"found '{lit}', expected: ')'")
            return values
        if tok == ")":
            self.consume()
            return [""]
        raise ValueError(f"found '{lit}', expected: ',', ')' or identifier")

    def identifiers(self) -> list[str]:
        values: set[str] = set()
        while True:
            tok, lit = self.consume()
            if tok == _IDENT:
                values.add(lit)
                t2, l2 = self.lookahead()
                if t2 == ",":
                    continue
                if t2 == ")":
                    return sorted(values)
                raise ValueError(f"found '{l2}', expected: ',' or ')'")
            if tok == ",":
                if not values:
                    values.add("")
                t2, _ = self.lookahead()
                if t2 == ")":
                    values.add("")
                    return sorted(values)
                if t2 == ",":
                    self.consume()
                    values.add("")
                continue
            raise ValueError(f"found '{lit}', expected: ',', or identifier")

    def exact_value(self) -> list[str]:
        tok, _ = self.lookahead()
        if tok in (_EOS, ","):
            return [""]
        tok, lit = self.consume()
        if tok == _IDENT:
            return [lit]
        raise ValueError(f"found '{lit}', expected: identifier")


def parse_selector(text: str | None) -> Selector:
    """``"app=web,env in (a,b),!legacy"`` → :class:`Selector`; ``""`` selects everything.

    Raises ValueError with upstream's message for bad syntax, e.g. ``"app in (a"`` →
    ``unable to parse requirement: found '', expected: ',' or ')'``.
    """
    if text is None or not text.strip():
        return Selector()
    reqs = _Parser(text).parse()
    return Selector().add(*reqs)


def from_label_selector(label_selector: Mapping[str, Any] | None) -> Selector:
    """A ``metav1.LabelSelector`` dict → :class:`Selector`, as ``LabelSelectorAsSelector``.

    ``None`` selects nothing; ``{}`` selects everything; otherwise matchLabels AND matchExpressions.
    """
    if label_selector is None:
        return nothing()
    match_labels = label_selector.get("matchLabels") or {}
    exprs = label_selector.get("matchExpressions") or []
    if not match_labels and not exprs:
        return everything()
    reqs = [make_requirement(k, EQUALS, [str(v)]) for k, v in match_labels.items()]
    ops = {"In": IN, "NotIn": NOT_IN, "Exists": EXISTS, "DoesNotExist": DOES_NOT_EXIST}
    for expr in exprs:
        op = expr.get("operator")
        if op not in ops:
            raise ValueError(f'"{op}" is not a valid label selector operator')
        reqs.append(
            make_requirement(
                str(expr.get("key", "")), ops[op], [str(v) for v in expr.get("values") or []]
            )
        )
    return Selector().add(*reqs)


def selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """``{"app": "web"}`` → ``app=web``; an empty set selects everything (``SelectorFromSet``)."""
    if not labels:
        return everything()
    return Selector().add(*(make_requirement(k, EQUALS, [v]) for k, v in labels.items()))


# -- field selectors ----------------------------------------------------------------------------
def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The text of a dotted field of *obj* (``spec.nodeName``); ``""`` when absent, as upstream."""
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return ""
        cur = cur[part]
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


@dataclass(frozen=True)
class FieldSelector:
    """Terms ``(field, operator, value)`` with operator ``=`` or ``!=``, all of which must hold."""

    terms: tuple[tuple[str, str, str], ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.terms

    def matches(self, obj: Mapping[str, Any]) -> bool:
        for path, op, value in self.terms:
            have = field_value(obj, path)
            if (have == value) != (op == "="):
                return False
        return True

    def requires_exact(self, path: str) -> str | None:
        for p, op, value in self.terms:
            if p == path and op == "=":
                return value
        return None

    def __str__(self) -> str:
        return ",".join(f"{p}{op}{_escape(v)}" for p, op, v in self.terms)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _split_terms(text: str) -> list[str]:
    terms, cur, escaped = [], [], False
    for ch in text:
        if escaped:
            cur.append(ch)
            escaped = False
        elif ch == "\\":
            cur.append(ch)
            escaped = True
        elif ch == ",":
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    i, escaped = 0, False
    while i < len(term):
        ch = term[i]
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            for op in ("!=", "==", "="):
                if term.startswith(op, i):
                    return term[:i], op, term[i + len(op) :]
        i += 1
    return None


def _unescape(value: str) -> str:
    out, escaped = [], False
    for ch in value:
        if escaped:
            if ch not in "\\,=":
                raise ValueError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in ",=":
            raise ValueError(f"invalid field selector: unescaped {ch} in value")
        else:
            out.append(ch)
    if escaped:
        raise ValueError("invalid field selector: unterminated escape sequence")
    return "".join(out)


def parse_field_selector(text: str | None) -> FieldSelector:
    """``"metadata.name=x,status.phase!=Running"`` → :class:`FieldSelector` (``""`` matches all)."""
    if not text:
        return FieldSelector()
    terms = []
    for part in sorted(_split_terms(text)):
        if part == "":
            continue
        split = _split_term(part)
        if split is None:
            raise ValueError(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        terms.append((lhs, "!=" if op == "!=" else "=", _unescape(rhs)))
    return FieldSelector(tuple(terms))
