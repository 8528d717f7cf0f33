"""Reading manifests the way ``kubectl -f`` reads them.

A file (or stdin, named ``STDIN``) holds one or more documents separated by ``---`` lines, in YAML
or JSON; empty documents are skipped and ``kind: List`` documents are flattened into their items;
a directory means its ``.json``, ``.yaml`` and ``.yml`` files in name order (``-R`` walks into
sub-directories). Errors carry kubectl's words, including the YAML parser's line numbers (libyaml's
messages, with go-yaml's way of counting lines, so they match the real kubectl)::

    error parsing web.yaml: error converting YAML to JSON: yaml: line 5: mapping values are not allowed in this context

Like kubectl's resource builder, loading *continues after an error*: you get the objects that
could be read and the list of errors, and the caller applies the good ones and reports the rest.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..api import kinds
from ..errors import APIError, KubectlError

__all__ = [
    "Manifest",
    "load_text",
    "load_paths",
    "load_objects",
    "load",
    "go_json",
    "split_documents",
    "FILE_EXTENSIONS",
]

FILE_EXTENSIONS = (".json", ".yaml", ".yml")

try:  # libyaml gives the very messages go-yaml (a port of libyaml) gives
    _BaseLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pyyaml without libyaml
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):
    """YAML read as kubectl's go-yaml v2 reads it: timestamps stay strings, and the YAML 1.1
    booleans include ``y``/``n`` (so ``n: 80`` has the key ``false``, as on a real cluster)."""


_BOOL = "tag:yaml.org,2002:bool"
_GO_BOOLS = {"y": True, "yes": True, "on": True, "true": True, "n": False, "no": False, "off": False, "false": False}
_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
for _ch in "yYnN":
    _Loader.yaml_implicit_resolvers.setdefault(_ch, []).insert(0, (_BOOL, re.compile(r"^(?:y|Y|n|N)$")))


def _construct_bool(loader: Any, node: Any) -> bool:
    return _GO_BOOLS[loader.construct_scalar(node).lower()]


_Loader.add_constructor(_BOOL, _construct_bool)

# pure-Python PyYAML words → libyaml's, for when libyaml is missing
_PY_TO_LIBYAML = [
    (re.compile(r"mapping values are not allowed here"), "mapping values are not allowed in this context"),
    (re.compile(r"found character '.*' that cannot start any token"), "found character that cannot start any token"),
    (re.compile(r"sequence entries are not allowed here"), "block sequence entries are not allowed in this context"),
    (re.compile(r"expected ',' or '\]', but got .*"), "did not find expected ',' or ']'"),
    (re.compile(r"expected ',' or '\}', but got .*"), "did not find expected ',' or '}'"),
]


@dataclass
class Manifest:
    """One object read from a manifest, with where it came from (``web.yaml``, ``STDIN``)."""

    obj: dict[str, Any]
    source: str


def go_json(value: Any) -> str:
    """JSON as Go's ``json.Marshal`` writes it: compact, keys sorted, ``<>&`` escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def split_documents(text: str) -> list[str]:
    """Split on ``---`` separator lines, as apimachinery's YAMLReader does."""
    docs: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("---"):
            trailing = line[3:].strip()
            if trailing and not trailing.startswith("#"):
                raise ValueError(f"invalid Yaml document separator: {trailing}")
            if current:
                docs.append("".join(current))
            current = []
            continue
        current.append(line)
    if current:
        docs.append("".join(current))
    return docs


def _yaml_error(err: yaml.YAMLError) -> str:
    problem = getattr(err, "problem", None) or str(err)
    for rx, libyaml in _PY_TO_LIBYAML:
        if rx.fullmatch(problem):
            problem = libyaml
    if (getattr(err, "context", None) or "").startswith("while parsing a block mapping") and problem.startswith("expected <block end>"):
        problem = "did not find expected key"
    mark = getattr(err, "problem_mark", None)
    context = getattr(err, "context_mark", None)
    # go-yaml's off-by-one, kept so our line numbers are kubectl's: scanner errors report the
    # problem's 1-based line, parser errors its 0-based one (falling back to the context's).
    line = 0
    if mark is not None and mark.line != 0:
        line = mark.line + (1 if isinstance(err, yaml.scanner.ScannerError) else 0)
    elif context is not None and context.line != 0:
        line = context.line
    where = f"line {line}: " if line else ""
    return f"yaml: {where}{problem}"


def _normalize(value: Any) -> Any:
    """YAML → JSON values: keys become strings, dates stay text."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, bool):
                k = "true" if k else "false"
            elif k is None:
                k = "null"
            out[str(k)] = _normalize(v)
        return out
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return value


_GO_TYPE = {str: "string", list: "array", bool: "bool", int: "number", float: "number"}


def _json_error(err: json.JSONDecodeError, text: str) -> str:
    pos = err.pos
    ch = text[pos] if pos < len(text) else ""
    offset = pos + 1
    msg = err.msg
    if not ch or msg.startswith("Unterminated string"):
        return "unexpected EOF"
    shown = ch if ch != "'" else "\\'"
    if msg.startswith("Expecting property name"):
        what = "looking for beginning of object key string"
    elif msg.startswith("Expecting ':'"):
        what = "after object key"
    elif msg.startswith("Expecting ',' delimiter"):
        what = "after object key:value pair" if _inside_object(text, pos) else "after array element"
    elif msg.startswith("Extra data"):
        what = "after top-level value"
    else:
        what = "looking for beginning of value"
    return f"json: offset {offset}: invalid character '{shown}' {what}"


def _inside_object(text: str, pos: int) -> bool:
    depth: list[str] = []
    in_str = esc = False
    for c in text[:pos]:
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "{[":
            depth.append(c)
        elif c in "}]" and depth:
            depth.pop()
    return bool(depth) and depth[-1] == "{"


def _decode_documents(text: str, source: str) -> tuple[list[Any], list[str]]:
    stripped = text.lstrip()
    if stripped.startswith("{"):
        decoder = json.JSONDecoder()
        values: list[Any] = []
        pos = len(text) - len(stripped)
        while pos < len(text):
            try:
                value, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as err:
                return values, [f"error parsing {source}: {_json_error(err, text)}"]
            values.append(value)
            pos = end
            while pos < len(text) and text[pos].isspace():
                pos += 1
        return values, []
    try:
        documents = split_documents(text)
    except ValueError as err:
        return [], [f"error parsing {source}: {err}"]
    values, errors = [], []
    for doc in documents:
        try:
            values.append(_normalize(yaml.load(doc, Loader=_Loader)))
        except yaml.YAMLError as err:
            errors.append(f"error parsing {source}: error converting YAML to JSON: {_yaml_error(err)}")
            break  # kubectl's stream decoder stops at the first broken document
    return values, errors


def _check_object(value: Any, source: str) -> str | None:
    if not isinstance(value, dict):
        go = _GO_TYPE.get(type(value), "string")
        return f'unable to decode "{source}": json: cannot unmarshal {go} into Go value of type unstructured.detector'
    if not value.get("kind"):
        return f"unable to decode \"{source}\": Object 'Kind' is missing in '{go_json(value)}'"
    if not value.get("apiVersion"):
        return f"unable to decode \"{source}\": Object 'apiVersion' is missing in '{go_json(value)}'"
    return None


def _mapping_error(obj: dict[str, Any], source: str) -> str | None:
    try:
        kinds.for_object(obj)
    except APIError as err:
        md = obj.get("metadata") or {}
        return (
            f'resource mapping not found for name: "{md.get("name", "")}" namespace: "{md.get("namespace", "")}" '
            f'from "{source}": {err.message}\nensure CRDs are installed first'
        )
    return None


def load_text(text: str, source: str = "STDIN") -> tuple[list[Manifest], list[str]]:
    """The objects in *text* and the errors met (kubectl's messages, without ``error: ``)."""
    values, errors = _decode_documents(text, source)
    out: list[Manifest] = []
    for value in values:
        if value is None:
            continue  # an empty document
        problem = _check_object(value, source)
        if problem:
            errors.append(problem)
            continue
        if str(value.get("kind", "")).endswith("List") and isinstance(value.get("items"), list):
            for item in value["items"]:
                problem = _check_object(item, source) or _mapping_error(item, source)
                if problem:
                    errors.append(problem)
                else:
                    out.append(Manifest(item, source))
            continue
        problem = _mapping_error(value, source)
        if problem:
            errors.append(problem)
            continue
        out.append(Manifest(value, source))
    return out, errors


def _files(path: str, recursive: bool) -> list[str]:
    if not os.path.exists(path):
        raise KubectlError(f'error: the path "{path}" does not exist')
    if not os.path.isdir(path):
        return [path]
    found: list[str] = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(FILE_EXTENSIONS):
                found.append(os.path.join(root, name))
        if not recursive:
            break
    return sorted(found) if not recursive else found


def load_paths(filenames: list[str], stdin: str | None = None,
               recursive: bool = False) -> tuple[list[Manifest], list[str]]:
    """``-f a.yaml -f dir/ -f -``: every object, in order, and the errors met.

    A missing path fails at once (``KubectlError``), as kubectl checks paths before reading.
    """
    sources: list[tuple[str, str]] = []
    for name in filenames:
        if name == "-":
            sources.append(("STDIN", stdin or ""))
            continue
        for path in _files(name, recursive):
            try:
                sources.append((path, Path(path).read_text(encoding="utf-8")))
            except OSError as err:
                raise KubectlError(f"error: open {path}: {err.strerror.lower() if err.strerror else err}") from None
    manifests: list[Manifest] = []
    errors: list[str] = []
    for source, text in sources:
        found, errs = load_text(text, source)
        manifests += found
        errors += errs
    return manifests, errors


def load_objects(source: str | os.PathLike[str], text: str | None = None) -> list[dict[str, Any]]:
    """Every object of a manifest file, directory, or (with *text*) a YAML/JSON text; raises
    :class:`KubectlError` with kubectl's message on the first problem. For the ``Cluster.apply``
    facade and graders."""
    if text is not None:
        found, errors = load_text(text, str(source))
    else:
        found, errors = load_paths([str(source)])
    if errors:
        raise KubectlError(errors[0] if errors[0].startswith("error: ") else f"error: {errors[0]}")
    return [m.obj for m in found]


def load(value: Any) -> list[dict[str, Any]]:
    """Objects from whatever a notebook hands ``Cluster.apply``: a dict, a list of dicts, YAML/JSON
    text (several documents allowed) or a path to a file or folder. List kinds are flattened."""
    if isinstance(value, dict):
        if str(value.get("kind", "")).endswith("List") and isinstance(value.get("items"), list):
            return [dict(item) for item in value["items"]]
        return [value]
    if isinstance(value, (list, tuple)):
        out: list[dict[str, Any]] = []
        for item in value:
            out += load(item)
        return out
    if isinstance(value, os.PathLike):
        return load_objects(value)
    if isinstance(value, str):
        looks_like_text = "\n" in value or value.lstrip().startswith(("{", "apiVersion", "kind", "---"))
        if not looks_like_text and os.path.exists(value):
            return load_objects(value)
        if not looks_like_text and value.endswith(FILE_EXTENSIONS):
            return load_objects(value)  # a missing file: kubectl's "the path ... does not exist"
        return load_objects("STDIN", text=value)
    raise TypeError(f"cannot read objects from {type(value).__name__}")
