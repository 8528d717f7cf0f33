"""``kubectl get -o yaml|json|name|jsonpath=…``: the machine-readable outputs, byte for byte.

kubectl prints what the server sent, re-encoded by Go libraries whose habits show in the text:

- ``-o yaml`` goes through sigs.k8s.io/yaml (go-yaml v2, a port of libyaml, like PyYAML's
  emitter): map keys in go-yaml's "natural" order (``key9`` before ``key10``), strings that would
  read back as another type in double quotes (``"80"``, ``"true"``, ``"2024-05-01T10:00:00Z"``),
  strings that cannot be plain in single quotes (``'*'``), multi-line strings as ``|`` blocks and
  long lines folded at 80 columns.
- ``-o json`` is Go's ``json.MarshalIndent`` with four spaces: keys sorted, ``<``, ``>`` and ``&``
  escaped as ``\\u003c``… (Go escapes HTML by default).
- A list of objects is wrapped in ``kind: List`` with ``metadata.resourceVersion: ""``.
- ``metadata.managedFields`` is hidden unless ``--show-managed-fields``.
"""

from __future__ import annotations

import decimal
import functools
import math
import re
from collections.abc import Iterable
from typing import Any

import yaml

__all__ = ["as_list", "to_yaml", "to_json", "names", "jsonpath", "JSONPathError"]


# --------------------------------------------------------------------------------------------
# shaping
# --------------------------------------------------------------------------------------------


def _strip_managed(obj: Any) -> Any:
    if isinstance(obj, dict):
        meta = obj.get("metadata")
        if isinstance(meta, dict) and "managedFields" in meta:
            obj = dict(obj)
            obj["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
        if isinstance(obj.get("items"), list):
            obj = dict(obj)
            obj["items"] = [_strip_managed(i) for i in obj["items"]]
    return obj


def as_list(objs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The ``kind: List`` kubectl prints for ``get -o yaml|json`` of several objects."""
    return {"apiVersion": "v1", "items": list(objs), "kind": "List", "metadata": {"resourceVersion": ""}}


def _shape(obj_or_list: Any, show_managed_fields: bool) -> Any:
    obj = as_list(obj_or_list) if isinstance(obj_or_list, (list, tuple)) else obj_or_list
    return obj if show_managed_fields else _strip_managed(obj)


# --------------------------------------------------------------------------------------------
# YAML as go-yaml v2 writes it
# --------------------------------------------------------------------------------------------

_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"^[-+]?(0b[01]+|0o?[0-7]+|0x[0-9a-fA-F]+|[0-9]+)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$"
)
_BOOL = {"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
         "FALSE", "on", "On", "ON", "off", "Off", "OFF"}
_NULL = {"", "~", "null", "Null", "NULL"}
_SPECIAL_FLOATS = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"}


def _go_resolve(value: str) -> str:
    """The tag go-yaml v2 would give *value* written as a plain scalar."""
    if value in _NULL:
        return "null"
    if value in _BOOL:
        return "bool"
    if value in _SPECIAL_FLOATS:
        return "float"
    plain = value.replace("_", "")
    if _INT.match(plain):
        return "int"
    if _FLOAT.match(plain):
        return "float"
    if _TIMESTAMP.match(value):
        return "timestamp"
    return "str"


class _GoResolver(yaml.resolver.BaseResolver):
    """Tells PyYAML's emitter which plain scalars read back as strings, the way go-yaml does."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _TAG + _go_resolve(value)
        return str(super().resolve(kind, value, implicit))


class _GoDumper(yaml.emitter.Emitter, yaml.serializer.Serializer, yaml.representer.SafeRepresenter, _GoResolver):
    def __init__(self, stream: Any, **kwargs: Any) -> None:
        yaml.emitter.Emitter.__init__(self, stream, allow_unicode=True, width=80, indent=2)
        yaml.serializer.Serializer.__init__(self)
        yaml.representer.SafeRepresenter.__init__(self, default_flow_style=False, sort_keys=False)
        _GoResolver.__init__(self)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _go_key_less(a: str, b: str) -> bool:
    """go-yaml's ``keyList.Less``: letters after other runes, digit runs compared as numbers."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _go_key_cmp(a: str, b: str) -> int:
    if _go_key_less(a, b):
        return -1
    if _go_key_less(b, a):
        return 1
    return 0


_go_key = functools.cmp_to_key(_go_key_cmp)


def _go_g(f: float, eprec: int) -> str:
    """Go's shortest ``%g``-style float text: exponent form when exp < -4 or exp >= *eprec*."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign, digit_tuple, exp = decimal.Decimal(repr(f)).as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exp)  # value = 0.<digits> * 10**point
    digits = digits.rstrip("0") or "0"
    x = point - 1
    neg = "-" if sign else ""
    if x < -4 or x >= eprec:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{neg}{mantissa}e{'+' if x >= 0 else '-'}{abs(x):02d}"
    if point <= 0:
        return f"{neg}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return neg + digits + "0" * (point - len(digits))
    return f"{neg}{digits[:point]}.{digits[point:]}"


def _go_float(f: float) -> str:
    """go-yaml's float: ``strconv.FormatFloat(f, 'g', -1, 64)``, with ``.inf`` and ``.nan``."""
    text = _go_g(f, 6)
    return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text)


def _represent_str(dumper: _GoDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        style: str | None = "|"
    elif _go_resolve(data) != "str" or _BASE60.match(data):
        style = '"'
    else:
        style = None
    return dumper.represent_scalar(_TAG + "str", data, style=style)


def _represent_dict(dumper: _GoDumper, data: dict[str, Any]) -> yaml.MappingNode:
    items = sorted(((str(k), v) for k, v in data.items()), key=lambda kv: _go_key(kv[0]))
    return dumper.represent_mapping(_TAG + "map", items)


def _represent_float(dumper: _GoDumper, data: float) -> yaml.ScalarNode:
    return dumper.represent_scalar(_TAG + "float", _go_float(data))


_GoDumper.add_representer(str, _represent_str)
_GoDumper.add_representer(dict, _represent_dict)
_GoDumper.add_representer(float, _represent_float)
_GoDumper.add_representer(bool, lambda d, v: d.represent_scalar(_TAG + "bool", "true" if v else "false"))
_GoDumper.add_representer(type(None), lambda d, v: d.represent_scalar(_TAG + "null", "null"))
_GoDumper.add_representer(tuple, lambda d, v: d.represent_list(list(v)))


def to_yaml(obj_or_list: Any, *, show_managed_fields: bool = False) -> str:
    """``kubectl get -o yaml``: one object, or a list of objects printed as ``kind: List``."""
    data = _shape(obj_or_list, show_managed_fields)
    text = yaml.dump(data, Dumper=_GoDumper)
    return str(text)


# --------------------------------------------------------------------------------------------
# JSON as Go's encoding/json writes it
# --------------------------------------------------------------------------------------------

_GO_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
               "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _go_json_string(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _go_json_number(f: float) -> str:
    """encoding/json: plain decimals for 1e-6 <= |f| < 1e21, else ``1e+21`` / ``1e-7``."""
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"json: unsupported value: {f}")
    if f == 0 or 1e-6 <= abs(f) < 1e21:
        return _go_g(f, 10**6)
    text = _go_g(f, -10**6)
    mantissa, exp = text.split("e")
    return f"{mantissa}e{exp[0]}{exp[1:].lstrip('0') or '0'}"


def _go_json(value: Any, indent: str, level: int) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = indent * (level + 1)
        parts = [f"{inner}{_go_json_string(str(k))}: {_go_json(value[k], indent, level + 1)}"
                 for k in sorted(value, key=lambda k: str(k).encode())]
        return "{\n" + ",\n".join(parts) + "\n" + indent * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = indent * (level + 1)
        parts = [inner + _go_json(v, indent, level + 1) for v in value]
        return "[\n" + ",\n".join(parts) + "\n" + indent * level + "]"
    if isinstance(value, str):
        return _go_json_string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_json_number(value)
    return _go_json_string(str(value))


def _go_json_compact(value: Any) -> str:
    """``json.Marshal``: no spaces at all, keys sorted, HTML escaped."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_go_json_string(str(k))}:{_go_json_compact(value[k])}"
                              for k in sorted(value, key=lambda k: str(k).encode())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_go_json_compact(v) for v in value) + "]"
    return _go_json(value, "", 0)


def to_json(obj_or_list: Any, *, show_managed_fields: bool = False) -> str:
    """``kubectl get -o json``: four-space indent, sorted keys, a final newline."""
    return _go_json(_shape(obj_or_list, show_managed_fields), "    ", 0) + "\n"


# --------------------------------------------------------------------------------------------
# -o name
# --------------------------------------------------------------------------------------------


def _qualified_kind(obj: dict[str, Any]) -> str:
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.split("/")[0] if "/" in api_version else ""
    kind = str(obj.get("kind", "")).lower()
    return f"{kind}.{group}" if group else kind


def names(resource_qualified_singular: str | None, objs: Iterable[dict[str, Any]]) -> str:
    """``kubectl get -o name``: ``pod/web-abc``, ``deployment.apps/web``, one per line.

    *resource_qualified_singular* is ``"pod"`` or ``"deployment.apps"``; with ``None`` it is taken
    from each object's apiVersion and kind.
    """
    lines = []
    for obj in objs:
        prefix = resource_qualified_singular or _qualified_kind(obj)
        lines.append(f"{prefix.lower()}/{(obj.get('metadata') or {}).get('name', '')}\n")
    return "".join(lines)


# --------------------------------------------------------------------------------------------
# -o jsonpath
# --------------------------------------------------------------------------------------------


class JSONPathError(ValueError):
    """A jsonpath template kubectl refuses. ``str()`` is kubectl's message after its ``error: ``
    prefix (kubectl prints ``"error: " + str(err)``); ``reason`` is the short cause."""

    def __init__(self, reason: str, template: str = "", obj: Any = None, *, parsing: bool = False) -> None:
        self.reason, self.template = reason, template
        if parsing:
            text = f"error parsing jsonpath {template}, {reason}"
        else:
            text = (f'error executing jsonpath "{template}": Error executing template: {reason}. '
                    "Printing more information for debugging the template:\n\ttemplate was:\n\t\t"
                    f"{template}\n\tobject given to jsonpath engine was:\n\t\t{_go_sharp_v(obj)}\n\n")
        super().__init__(text)


def _go_quote(s: str) -> str:
    """``strconv.Quote``: Go escapes, printable Unicode kept."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}[ch])
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif not ch.isprintable() and o > 0x7F:
            out.append(f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _go_sharp_v(value: Any) -> str:
    """Go's ``%#v`` of a decoded JSON value, as kubectl dumps it in jsonpath errors."""
    if isinstance(value, dict):
        return "map[string]interface {}{" + ", ".join(
            f"{_go_quote(str(k))}:{_go_sharp_v(value[k])}" for k in sorted(value, key=lambda k: str(k).encode())) + "}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}{" + ", ".join(_go_sharp_v(v) for v in value) + "}"
    if isinstance(value, str):
        return _go_quote(value)
    if value is None:
        return "interface {}(nil)"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_g(value, 21)
    return str(value)


class _ExecError(Exception):
    """Raised while evaluating; turned into :class:`JSONPathError` with the template and object."""


class _ParseError(Exception):
    """A template upstream refuses to parse."""


_MISSING = object()


def _split_template(template: str) -> list[tuple[str, str]]:
    """``[("text", ...), ("action", ...)]``: literal text and the insides of ``{...}``."""
    parts: list[tuple[str, str]] = []
    i, text = 0, list[str]()
    while i < len(template):
        ch = template[i]
        if ch == "{":
            if text:
                parts.append(("text", "".join(text)))
                text = []
            depth, j, quote = 0, i, ""
            while j < len(template):
                c = template[j]
                if quote:
                    if c == "\\":
                        j += 1
                    elif c == quote:
                        quote = ""
                elif c in "\"'":
                    quote = c
                elif c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= len(template):
                raise JSONPathError("unclosed action", template, parsing=True)
            parts.append(("action", template[i + 1 : j].strip()))
            i = j + 1
            continue
        text.append(ch)
        i += 1
    if text:
        parts.append(("text", "".join(text)))
    return parts


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)


def _tokens(expr: str) -> list[tuple[str, Any]]:
    """Split a path like ``.items[*].metadata.labels.app\\.kubernetes\\.io/name``."""
    out: list[tuple[str, Any]] = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch in "$@" and i == 0:
            out.append(("root" if ch == "$" else "current", None))
            i += 1
        elif expr.startswith("..", i):
            i += 2
            name, i = _read_name(expr, i)
            out.append(("recursive", name))
        elif ch == ".":
            i += 1
            if i < len(expr) and expr[i] in "[":
                continue
            name, i = _read_name(expr, i)
            if name:
                out.append(("field", name))
        elif ch == "[":
            depth, j, quote = 0, i, ""
            while j < len(expr):
                c = expr[j]
                if quote:
                    if c == quote:
                        quote = ""
                elif c in "\"'":
                    quote = c
                elif c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(("bracket", expr[i + 1 : j].strip()))
            i = j + 1
        elif ch.isspace():
            i += 1
        else:
            name, i = _read_name(expr, i)
            out.append(("field", name))
    return out


def _read_name(expr: str, i: int) -> tuple[str, int]:
    name = []
    while i < len(expr) and expr[i] not in ".[" and not expr[i].isspace():
        if expr[i] == "\\" and i + 1 < len(expr):
            name.append(expr[i + 1])
            i += 2
            continue
        name.append(expr[i])
        i += 1
    return "".join(name), i


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    if isinstance(value, list):
        return list(value)
    return []


def _recursive(value: Any, name: str) -> list[Any]:
    found: list[Any] = []
    if isinstance(value, dict):
        if name in value:
            found.append(value[name])
        for k in sorted(value):
            found.extend(_recursive(value[k], name))
    elif isinstance(value, list):
        for v in value:
            found.extend(_recursive(v, name))
    return found


_FILTER = re.compile(r"^\?\((.*)\)$", re.S)
_COMPARE = re.compile(r"^(.*?)\s*(==|!=|<=|>=|<|>|=~)\s*(.*)$", re.S)


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return _unquote(text)
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _filter(items: list[Any], expr: str, root: Any) -> list[Any]:
    m = _COMPARE.match(expr)
    out = []
    for item in items:
        if m:
            left = _eval_path(m.group(1).strip(), item, root)
            right_text = m.group(3).strip()
            if right_text.startswith(("@", "$")):
                right = _eval_path(right_text, item, root)
                rv = right[0] if right else _MISSING
            else:
                rv = _literal(right_text)
            if not left or rv is _MISSING:
                continue
            lv = left[0]
            op = m.group(2)
            try:
                if op == "=~":
                    ok = re.search(str(rv), str(lv)) is not None
                elif op in ("==", "!="):
                    same = lv == rv or (isinstance(lv, (int, float)) is False and str(lv) == str(rv))
                    ok = same if op == "==" else not same
                else:
                    ok = {"<": lv < rv, ">": lv > rv, "<=": lv <= rv, ">=": lv >= rv}[op]
            except TypeError:
                ok = False
            if ok:
                out.append(item)
        elif _eval_path(expr.strip(), item, root):
            out.append(item)
    return out


def _index(values: list[Any], spec: str, root: Any) -> list[Any]:
    spec = spec.strip()
    fm = _FILTER.match(spec)
    out: list[Any] = []
    for value in values:
        if spec == "*":
            out.extend(_children(value))
        elif fm:
            if isinstance(value, list):
                out.extend(_filter(value, fm.group(1), root))
        elif spec[:1] in "\"'":
            for key in (_unquote(k.strip()) for k in spec.split(",")):
                if isinstance(value, dict) and key in value:
                    out.append(value[key])
        elif ":" in spec:
            if isinstance(value, list):
                bounds = [int(b) if b.strip() else None for b in spec.split(":")]
                out.extend(value[slice(*bounds)])
        else:
            if isinstance(value, list):
                try:
                    n = int(spec)
                except ValueError as err:
                    raise _ParseError(f"invalid array index {spec}") from err
                if -len(value) <= n < len(value):
                    out.append(value[n])
                else:
                    raise _ExecError(f"array index out of bounds: index {n}, length {len(value)}")
    return out


def _eval_path(expr: str, current: Any, root: Any) -> list[Any]:
    values = [current]
    for kind, arg in _tokens(expr):
        if kind == "root":
            values = [root]
        elif kind == "current":
            values = [current]
        elif kind == "field":
            values = [v[arg] for v in values if isinstance(v, dict) and arg in v]
        elif kind == "recursive":
            values = [r for v in values for r in _recursive(v, arg)]
        elif kind == "bracket":
            values = _index(values, arg, root)
    return values


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _go_json_compact(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return _go_g(value, 21)
    return str(value)


def jsonpath(template: str, obj_or_list: Any) -> str:
    """``kubectl get -o jsonpath=TEMPLATE``: text outside ``{}`` as is, each action's results
    joined by spaces, maps and lists as compact JSON, missing keys as nothing; ``range``/``end``
    loops. A list of objects is seen as kubectl sees it: ``{.items[*]...}``.
    """
    root = as_list(obj_or_list) if isinstance(obj_or_list, (list, tuple)) else obj_or_list
    parts = _split_template(template)
    out: list[str] = []

    def run(start: int, current: Any) -> int:
        i = start
        while i < len(parts):
            kind, body = parts[i]
            if kind == "text":
                out.append(body)
            elif body == "end":
                return i
            elif body.startswith("range ") or body.startswith("range\t"):
                items = _eval_path(body[6:].strip(), current, root)
                end = _find_end(i + 1)
                for item in items:
                    run(i + 1, item)
                i = end
            elif body[:1] in "\"'":
                out.append(_unquote(body))
            else:
                values = _eval_path(body, current, root)
                out.append(" ".join(_text(v) for v in values))
            i += 1
        return i

    def _find_end(start: int) -> int:
        depth = 0
        for j in range(start, len(parts)):
            kind, body = parts[j]
            if kind != "action":
                continue
            if body.startswith("range"):
                depth += 1
            elif body == "end":
                if depth == 0:
                    return j
                depth -= 1
        raise _ExecError("range without end")

    for kind, body in parts:  # an ``end`` before any ``range`` is an execution error upstream
        if kind == "action" and body.startswith("range"):
            break
        if kind == "action" and body == "end":
            raise JSONPathError("not in range, nothing to end", template, root)
    try:
        run(0, root)
    except _ExecError as err:
        raise JSONPathError(str(err), template, root) from None
    except _ParseError as err:
        raise JSONPathError(str(err), template, parsing=True) from None
    return "".join(out)

