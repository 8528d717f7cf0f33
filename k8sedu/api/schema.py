"""What the apiserver's decoder says about a request body: unknown fields and wrong JSON types.

A real apiserver turns the JSON it receives into Go structs before anything else looks at it, and
the decoder is where two kinds of mistake are caught (400 BadRequest, before admission and
validation)::

    apiVersion: apps/v1
    kind: Deployment
    spec:
      replicas: "3"            json: cannot unmarshal string into Go struct field
                                 DeploymentSpec.spec.replicas of type int32        (always an error)
      template:
        spec:
          containers:
          - name: web
            imagePullPolcy: Always   strict decoding error: unknown field
                                 "spec.template.spec.containers[0].imagePullPolcy"
                                                         (an error with fieldValidation=Strict, what
                                                          kubectl sends; a warning with Warn, the
                                                          server's default; dropped with Ignore)

The Go types come from ``schema.json`` (written by :mod:`k8sedu.api.schema_gen` from the official
Python client; see there for its format). Two decoders are imitated, because upstream uses two:

- the JSON decoder (create, update, JSON merge and JSON patches): it keeps the *first* type error
  and goes on, so the first mismatch is reported; a custom decoder's error (IntOrString, Quantity,
  Time) stops it at once, and names no field (``json: cannot unmarshal bool into Go value of type
  int32``). Unknown fields are listed in the order met. Keys are visited sorted, as
  in the JSON kubectl sends (it marshals a Go map).
- the unstructured converter (strategic merge patches, so ``kubectl apply`` of an object that
  exists): it stops at the first mismatch with its own words (``unrecognized type: int32``,
  ``cannot convert int64 to string``), and sorts the unknown fields. Upstream wraps both in a 422
  ``The request is invalid: patch: Invalid value: "map[...]": ...``.

Simplified: time strings are not parsed (only their JSON type is checked); struct fields are visited
in sorted order where Go visits the converter's in declaration order (it matters only when a body
has several type errors).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from k8sedu.api.quantity import parse_quantity
from k8sedu.errors import BadRequest, FieldError, Invalid

__all__ = [
    "FIELD_VALIDATION_MODES",
    "GoQuoted",
    "PatchInvalid",
    "known_kind",
    "unknown_fields",
    "type_errors",
    "check",
    "check_patch",
    "prune",
    "go_quote",
    "go_sprint",
    "go_json",
    "go_json_number",
]

#: the values of the ``fieldValidation`` parameter (upstream's metav1.FieldValidation*)
FIELD_VALIDATION_MODES = ("Ignore", "Warn", "Strict")

_SCHEMA_FILE = Path(__file__).with_name("schema.json")
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_SCALARS = ("string", "int32", "int64", "bool", "float64")
_SPECIAL = {"intstr.IntOrString": "intstr", "resource.Quantity": "quantity", "v1.Time": "time",
            "v1.MicroTime": "time", "v1.FieldsV1": "free", "runtime.RawExtension": "free", "[]uint8": "bytes"}


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    with _SCHEMA_FILE.open(encoding="utf-8") as fh:
        doc: dict[str, Any] = json.load(fh)
    return doc


@cache
def _resolve(t: str) -> tuple[str, str]:
    """A Go type → (category, detail): ("string", ""), ("int32", ""), ("list", elem),
    ("map", value), ("struct", name), ("intstr"|"quantity"|"time"|"free"|"bytes", "")."""
    if t in _SPECIAL:
        return _SPECIAL[t], ""
    if t in _SCALARS:
        return t, ""
    named = _schema()["named"].get(t)
    if named is not None:
        return _resolve(named)
    if t.startswith("[]"):
        return "list", t[2:]
    if t.startswith("map[string]"):
        return "map", t[len("map[string]"):]
    pkg, _, name = t.partition(".")
    if name and name in _schema()["types"]:
        return "struct", name
    return "free", ""


def _root(obj: dict[str, Any]) -> str | None:
    """The struct a manifest decodes into (``Deployment``), or None if the schema lacks its kind."""
    key = f"{obj.get('apiVersion', '')}/{obj.get('kind', '')}"
    return _schema()["kinds"].get(key)


def known_kind(obj: dict[str, Any]) -> bool:
    """True when schema.json describes this object's apiVersion and kind."""
    return _root(obj) is not None


def _key(k: Any) -> str:
    """A map key as the JSON kubectl sends has it (YAML may give ints or booleans)."""
    if isinstance(k, bool):
        return "true" if k else "false"
    return str(k)


def _items(d: dict[Any, Any]) -> list[tuple[str, Any]]:
    return sorted(((_key(k), v) for k, v in d.items()), key=lambda kv: kv[0])


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ------------------------------------------------------------------ Go's formatting of values
def go_json_number(v: int | float) -> str:
    """How Go's encoding/json writes a number (kubectl's YAML→JSON): ``3.0`` → ``3``, ``1e-07`` →
    ``1e-7``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if not math.isfinite(v):
        return repr(v)
    if v == int(v) and abs(v) < 1e21:
        return str(int(v))
    a = abs(v)
    if a < 1e-6 or a >= 1e21:
        text = repr(v)  # e-notation: Go drops the exponent's leading zero ("1e-07" → "1e-7")
        mant, _, exp = text.partition("e")
        sign, digits = exp[0], exp[1:].lstrip("0") or "0"
        return f"{mant}e{sign}{digits}"
    return format(Decimal(repr(v)), "f")


def _go_float_v(v: float) -> str:
    """``fmt.Sprint(float64)``: shortest digits, %e when the exponent is < -4 or >= 6
    (``1e+06``, ``123456``, ``0.5``, ``1e-05``)."""
    if not math.isfinite(v):
        return {"inf": "+Inf", "-inf": "-Inf"}.get(repr(v), "NaN")
    if v == 0:
        return "0"
    sign, digits, exp = Decimal(repr(v)).normalize().as_tuple()
    ds = "".join(map(str, digits))
    e = len(ds) + int(exp) - 1  # the decimal exponent of the first digit
    neg = "-" if sign else ""
    if e < -4 or e >= 6:
        mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
        return f"{neg}{mant}e{'-' if e < 0 else '+'}{abs(e):02d}"
    return neg + format(Decimal(repr(abs(v))).normalize(), "f")


def go_sprint(v: Any) -> str:
    """``fmt.Sprintf("%+v", value)`` of a decoded JSON value, as upstream prints a patch map:
    ``map[spec:map[replicas:3 selector:<nil>]]`` (keys sorted, strings bare)."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_float_v(v)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_sprint(val)}" for k, val in _items(v)) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(go_sprint(i) for i in v) + "]"
    return str(v)


def go_json(v: Any) -> str:
    """Compact JSON with sorted keys and ``<>&`` escaped, as Go's json.Marshal of a map."""
    text = json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
            "\\": "\\\\", '"': '\\"'}


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote`` (what ``%q`` prints): escapes quotes, backslashes and control
    characters, keeps printable Unicode."""
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == " " or ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


class GoQuoted:
    """A FieldError value printed as Go's ``%q`` prints a string (quotes inside escaped)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return go_quote(self.text)

    def __repr__(self) -> str:
        return f"GoQuoted({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoQuoted) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


# ------------------------------------------------------------------ base64, as Go decodes []byte
_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _base64_error(s: str) -> str | None:
    """Go's ``base64.StdEncoding.Decode`` error for *s* (``illegal base64 data at input byte 8``),
    or None when it decodes. Newlines are skipped, padding is required, as in Go."""
    src = s.encode("utf-8")
    n, si = len(src), 0
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return f"illegal base64 data at input byte {si - j}"
            ch = chr(src[si])
            si += 1
            if ch in _B64:
                j += 1
                continue
            if ch in "\r\n":
                continue
            if ch != "=":
                return f"illegal base64 data at input byte {si - 1}"
            if j in (0, 1):  # padding too early
                return f"illegal base64 data at input byte {si - 1}"
            if j == 2:  # "==" expected: the second "=" must follow (newlines skipped)
                while si < n and chr(src[si]) in "\r\n":
                    si += 1
                if si == n:
                    return f"illegal base64 data at input byte {n}"
                if chr(src[si]) != "=":
                    return f"illegal base64 data at input byte {si - 1}"
                si += 1
            while si < n and chr(src[si]) in "\r\n":
                si += 1
            if si < n:  # trailing garbage after the padding
                return f"illegal base64 data at input byte {si}"
            return None
    return None


# ------------------------------------------------------------------ the JSON decoder
def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "string"


def _int_value(v: Any, t: str) -> str | None:
    """None when *v* decodes into the Go integer type *t*, else the decoder's description
    (``string``, ``number 1.5``, ``number 3000000000``)."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        lo, hi = _INT_RANGES.get(t, _INT_RANGES["int64"])
        if isinstance(v, float) and (not math.isfinite(v) or v != int(v) or abs(v) >= 1e21):
            return "number " + go_json_number(v)
        if not lo <= int(v) <= hi:
            return "number " + go_json_number(v)
        return None
    return _json_kind(v)


class _Hard(Exception):
    """A custom decoder failed: Go's decoder stops at once with this message."""


class _JSONDecoder:
    """encoding/json (sigs.k8s.io/json) decoding into the Go types: the first saved type error,
    and (strict) the unknown fields in the order met."""

    def __init__(self) -> None:
        self.saved: str | None = None
        self.unknown: list[str] = []

    def _save(self, msg: str) -> None:
        if self.saved is None:
            self.saved = msg

    @staticmethod
    def _ctx(struct: str | None, stack: tuple[str, ...]) -> str:
        if struct is None and not stack:
            return "Go value"
        return f"Go struct field {struct or ''}.{'.'.join(stack)}"

    def _mismatch(self, what: str, t: str, struct: str | None, stack: tuple[str, ...]) -> str:
        return f"json: cannot unmarshal {what} into {self._ctx(struct, stack)} of type {t}"

    def value(self, v: Any, t: str, struct: str | None, stack: tuple[str, ...], path: str) -> None:
        if v is None:
            return  # null leaves a Go value as it is
        cat, detail = _resolve(t)
        if cat == "free":
            return
        if cat == "string":
            if not isinstance(v, str):
                self._save(self._mismatch(_json_kind(v), t, struct, stack))
        elif cat in ("int32", "int64"):
            what = _int_value(v, cat)
            if what is not None:
                self._save(self._mismatch(what, t, struct, stack))
        elif cat == "float64":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self._save(self._mismatch(_json_kind(v), t, struct, stack))
        elif cat == "bool":
            if not isinstance(v, bool):
                self._save(self._mismatch(_json_kind(v), t, struct, stack))
        elif cat == "bytes":
            if isinstance(v, str):
                err = _base64_error(v)
                if err is not None:
                    self._save(err)
            elif not isinstance(v, (list, tuple)):
                self._save(self._mismatch(_json_kind(v), t, struct, stack))
        elif cat == "list":
            if isinstance(v, (list, tuple)):
                for i, item in enumerate(v):
                    self.value(item, detail, struct, stack, f"{path}[{i}]")
            else:
                self._save(self._mismatch(_json_kind(v), t, struct, stack))
        elif cat == "map":
            if isinstance(v, dict):
                for k, item in _items(v):
                    self.value(item, detail, struct, stack, _join(path, k))
            else:
                self._save(self._mismatch(_json_kind(v), t, struct, stack))
        elif cat == "struct":
            if isinstance(v, dict):
                self.struct(v, detail, stack, path)
            else:
                self._save(self._mismatch(_json_kind(v), t, struct, stack))
        # IntOrString and Time decode themselves with the standard library's json, whose errors
        # the apiserver's decoder (sigs.k8s.io/json) does not recognise, so they carry no field
        elif cat == "intstr":
            if not isinstance(v, str):
                what = _int_value(v, "int32")
                if what is not None:
                    raise _Hard(self._mismatch(what, "int32", None, ()))
        elif cat == "quantity":
            _parse_quantity_json(v)
        elif cat == "time":
            if not isinstance(v, str):
                raise _Hard(self._mismatch(_json_kind(v), "string", None, ()))

    def struct(self, v: dict[Any, Any], name: str, stack: tuple[str, ...], path: str) -> None:
        fields = _schema()["types"][name]
        for k, item in _items(v):
            t = fields.get(k)
            if t is None:
                self.unknown.append(_join(path, k))
            else:
                self.value(item, t, name, stack + (k,), _join(path, k))


def _parse_quantity_json(v: Any) -> None:
    """resource.Quantity's UnmarshalJSON: a string (quotes and spaces dropped) or a JSON number."""
    if isinstance(v, str):
        text = v.strip()
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        text = go_json_number(v)
    elif isinstance(v, bool):
        text = "true" if v else "false"
    else:
        text = go_json(v)
    try:
        parse_quantity(text)
    except ValueError as err:
        raise _Hard(str(err)) from None


# ------------------------------------------------------------------ the unstructured converter
class _ConvertError(Exception):
    pass


def _go_type_string(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int64"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    return "[]interface {}"


def _go_kind(v: Any) -> str:
    if isinstance(v, dict):
        return "map"
    if isinstance(v, (list, tuple)):
        return "slice"
    return _go_type_string(v)


class _Converter:
    """runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation: stops at the first
    mismatch; collects unknown fields (sorted by the caller)."""

    def __init__(self) -> None:
        self.unknown: list[str] = []

    def value(self, v: Any, t: str, path: str) -> None:
        if v is None:
            return
        cat, detail = _resolve(t)
        if cat == "free":
            return
        if cat in _SCALARS:
            self._scalar(v, t, cat)
        elif cat == "bytes":
            if isinstance(v, str):
                err = _base64_error(v)
                if err is not None:
                    raise _ConvertError(f"error decoding from json: {err}")
            elif not isinstance(v, (list, tuple)):
                raise _ConvertError(f"cannot restore slice from {_go_kind(v)}")
        elif cat == "list":
            if not isinstance(v, (list, tuple)):
                raise _ConvertError(f"cannot restore slice from {_go_kind(v)}")
            for i, item in enumerate(v):
                self.value(item, detail, f"{path}[{i}]")
        elif cat == "map":
            if not isinstance(v, dict):
                raise _ConvertError(f"cannot restore map from {_go_kind(v)}")
            for k, item in _items(v):
                self.value(item, detail, _join(path, k))
        elif cat == "struct":
            if not isinstance(v, dict):
                raise _ConvertError(f"cannot restore struct from: {_go_kind(v)}")
            self.struct(v, detail, path)
        elif cat == "intstr":
            if not isinstance(v, str):
                what = _int_value(v, "int32")
                if what is not None:
                    raise _ConvertError(f"json: cannot unmarshal {what} into Go value of type int32")
        elif cat == "quantity":
            try:
                _parse_quantity_json(v)
            except _Hard as err:
                raise _ConvertError(str(err)) from None
        elif cat == "time":
            if not isinstance(v, str):
                raise _ConvertError(f"json: cannot unmarshal {_json_kind(v)} into Go value of type string")

    @staticmethod
    def _scalar(v: Any, t: str, cat: str) -> None:
        target_kind = "string" if cat == "string" else cat
        if isinstance(v, bool):
            ok = cat == "bool"
            if not ok:
                raise _ConvertError(f"unrecognized type: {target_kind}")
        elif isinstance(v, str):
            if cat != "string":
                raise _ConvertError(f"unrecognized type: {target_kind}")
        elif isinstance(v, int):
            if cat == "string":  # Go converts an int to a string (a rune), so it says "convert"
                raise _ConvertError(f"cannot convert int64 to {t}")
            if cat == "bool":
                raise _ConvertError("unrecognized type: bool")
        elif isinstance(v, float):
            if cat in ("int32", "int64"):
                if not math.isfinite(v) or v != math.trunc(v):
                    raise _ConvertError(f"cannot convert float64 to {t}")
            elif cat != "float64":
                raise _ConvertError(f"unrecognized type: {target_kind}")
        else:
            raise _ConvertError(f"unrecognized type: {target_kind}")

    def struct(self, v: dict[Any, Any], name: str, path: str) -> None:
        fields = _schema()["types"][name]
        for k, item in _items(v):
            t = fields.get(k)
            if t is None:
                self.unknown.append(f'unknown field "{_join(path, k)}"')
            else:
                self.value(item, t, _join(path, k))


# ------------------------------------------------------------------ the public checks
def _decode(obj: dict[str, Any]) -> _JSONDecoder:
    root = _root(obj)
    dec = _JSONDecoder()
    if root is None:
        _decode_unknown_kind(obj, dec)
        return dec
    dec.struct(obj, root, (), "")
    return dec


def _decode_unknown_kind(obj: dict[str, Any], dec: _JSONDecoder) -> None:
    """A kind schema.json does not have yet: check the parts every kind shares (its metadata,
    and a Pod template), so labels and quantities still fail as they should."""
    kind = str(obj.get("kind") or "")
    if isinstance(obj.get("metadata"), dict):
        dec.value(obj["metadata"], "v1.ObjectMeta", kind, ("metadata",), "metadata")
    spec = obj.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("template"), dict):
        dec.value(spec["template"], "v1.PodTemplateSpec", f"{kind}Spec", ("spec", "template"), "spec.template")
    dec.unknown.clear()  # without the kind's own type nothing can be called unknown


def unknown_fields(obj: dict[str, Any]) -> list[str]:
    """The fields the Go types do not have, as upstream prints their paths
    (``spec.containers[0].imagePullPolcy``, ``metadata.labelz``), in the order the decoder meets
    them. Empty for kinds schema.json does not describe."""
    if _root(obj) is None:
        return []
    return list(_decode(obj).unknown)


def type_errors(obj: dict[str, Any]) -> list[str]:
    """The decoder's error for *obj*, if any, as a one-element list (Go reports only the first):
    ``json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type
    int32``, a quantity that does not parse, ``illegal base64 data at input byte 8``."""
    try:
        dec = _decode(obj)
    except _Hard as err:
        return [str(err)]
    return [dec.saved] if dec.saved is not None else []


def _cannot_decode(obj: dict[str, Any], why: str) -> BadRequest:
    kind = str(obj.get("kind") or "")
    version = str(obj.get("apiVersion") or "").rpartition("/")[2]
    return BadRequest(f'{kind} in version "{version}" cannot be handled as a {kind}: {why}')


def _strict_error(unknown: list[str]) -> str:
    return "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in unknown)


def check(obj: dict[str, Any], mode: str = "Strict") -> list[str]:
    """Decode *obj* as the apiserver does for a create or an update with ``fieldValidation=mode``.

    Type errors raise :class:`~k8sedu.errors.BadRequest` in every mode; unknown fields raise with
    ``Strict`` and come back as warnings (``unknown field "spec.foo"``) with ``Warn``::

        Deployment in version "v1" cannot be handled as a Deployment: strict decoding error:
        unknown field "spec.replica", unknown field "spec.template.spec.containers[0].imagePullPolcy"
    """
    if mode not in FIELD_VALIDATION_MODES:
        raise ValueError(f"fieldValidation must be one of {FIELD_VALIDATION_MODES}, not {mode!r}")
    try:
        dec = _decode(obj)
    except _Hard as err:
        raise _cannot_decode(obj, str(err)) from None
    if dec.saved is not None:
        raise _cannot_decode(obj, dec.saved)
    if not dec.unknown or mode == "Ignore":
        return []
    if mode == "Strict":
        raise _cannot_decode(obj, _strict_error(dec.unknown))
    return [f'unknown field "{p}"' for p in dec.unknown]


class PatchInvalid(Invalid):
    """upstream's ``errors.NewInvalid(schema.GroupKind{}, "", ...)`` for a patch that does not
    decode: no kind, no name, so kubectl prints ``The request is invalid: patch: ...``."""

    def __init__(self, value: str, detail: str) -> None:
        super().__init__("", "", [FieldError("patch", "Invalid value", GoQuoted(value), detail)])

    def kubectl_message(self) -> str:
        return f"The request is invalid: {self.causes[0]}"


def check_patch(patched: dict[str, Any], patch: Any, patch_type: str, mode: str = "Strict") -> list[str]:
    """Decode the result of a patch as upstream's patch handler does; raise or return warnings.

    ``strategic`` patches go through the unstructured converter: a failure is a 422 whose value
    is the patch as Go prints a map (``map[spec:map[replicas:3]]``); ``merge`` and ``json``
    patches through the JSON decoder, the value being the patched object's JSON. Unknown fields
    fail the same way with ``Strict`` (``strict decoding error: unknown field "spec.foo"``), are
    warnings with ``Warn``.
    """
    if mode not in FIELD_VALIDATION_MODES:
        raise ValueError(f"fieldValidation must be one of {FIELD_VALIDATION_MODES}, not {mode!r}")
    root = _root(patched)
    if root is None:
        type_errs = type_errors(patched)
        if type_errs:
            raise _cannot_decode(patched, type_errs[0])
        return []
    if patch_type == "strategic":
        shown = go_sprint(patch)
        conv = _Converter()
        try:
            conv.struct(patched, root, "")
        except _ConvertError as err:
            raise PatchInvalid(shown, str(err)) from None
        unknown = sorted(conv.unknown)
        if not unknown or mode == "Ignore":
            return []
        if mode == "Strict":
            raise PatchInvalid(shown, "strict decoding error: " + ", ".join(unknown))
        return unknown
    shown = go_json(patched)
    try:
        dec = _decode(patched)
    except _Hard as err:
        raise PatchInvalid(shown, str(err)) from None
    if dec.saved is not None:
        raise PatchInvalid(shown, dec.saved)
    if not dec.unknown or mode == "Ignore":
        return []
    if mode == "Strict":
        raise PatchInvalid(shown, _strict_error(dec.unknown))
    return [f'unknown field "{p}"' for p in dec.unknown]


def prune(obj: dict[str, Any]) -> dict[str, Any]:
    """*obj* as it comes out of the Go structs (in place; returned): fields the types do not have
    are dropped (what ``Warn`` and ``Ignore`` mean: the field is not stored), and whole numbers
    written as ``3.0`` in integer fields become ``3``. Kinds schema.json lacks are left alone."""
    root = _root(obj)
    if root is not None:
        _prune_struct(obj, root)
    return obj


def _prune_value(v: Any, t: str) -> Any:
    if v is None:
        return v
    cat, detail = _resolve(t)
    if cat in ("int32", "int64", "intstr") and isinstance(v, float) and not isinstance(v, bool):
        return int(v) if math.isfinite(v) and v == int(v) else v
    if cat == "struct" and isinstance(v, dict):
        _prune_struct(v, detail)
    elif cat == "list" and isinstance(v, list):
        for i, item in enumerate(v):
            v[i] = _prune_value(item, detail)
    elif cat == "map" and isinstance(v, dict):
        for k in list(v):
            v[k] = _prune_value(v[k], detail)
    return v


def _prune_struct(v: dict[Any, Any], name: str) -> None:
    fields = _schema()["types"][name]
    for k in list(v):
        t = fields.get(_key(k))
        if t is None:
            del v[k]
        else:
            v[k] = _prune_value(v[k], t)
