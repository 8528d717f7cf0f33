"""The building blocks of validation: field errors shown as upstream shows them, and metadata checks.

Upstream prints a bad value with Go's formatting: strings quoted, numbers bare, maps as
``map[string]string{"app":"web"}``, a type with a ``String()`` method through it (an IntOrString
as ``25%``). :class:`GoValue` carries such ready-made text into a
:class:`~k8sedu.errors.FieldError`. The metadata checks here (``ValidateObjectMeta``, labels,
annotations, owner references, label selectors) are shared by every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from k8sedu.api import kinds as _kinds
from k8sedu.api.naming import label_value_errors, name_is_dns_label, qualified_name_errors
from k8sedu.api.quantity import format_quantity
from k8sedu.errors import FieldError

__all__ = [
    "Obj",
    "Errs",
    "Validator",
    "GoValue",
    "FIELD_IMMUTABLE",
    "IS_NEGATIVE",
    "IS_NOT_POSITIVE",
    "INVALID",
    "REQUIRED",
    "UNSUPPORTED",
    "DUPLICATE",
    "FORBIDDEN",
    "NOT_FOUND",
    "go_quote",
    "go_map",
    "go_strings",
    "int_or_string",
    "label_selector_text",
    "not_supported",
    "nonneg",
    "as_int",
    "qty",
    "validate_labels",
    "validate_annotations",
    "validate_object_meta",
    "validate_object_meta_update",
    "validate_label_selector",
]

Obj = dict[str, Any]
Errs = list[FieldError]
Validator = Callable[[Obj, "Obj | None"], Errs]

FIELD_IMMUTABLE = "field is immutable"
IS_NEGATIVE = "must be greater than or equal to 0"
IS_NOT_POSITIVE = "must be greater than zero"

INVALID, REQUIRED, UNSUPPORTED = "Invalid value", "Required value", "Unsupported value"
DUPLICATE, FORBIDDEN, NOT_FOUND = "Duplicate value", "Forbidden", "Not found"


class GoValue:
    """A bad value printed verbatim (``map[string]string{...}``, ``25%`` of an IntOrString)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"GoValue({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoValue) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def go_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def go_map(m: Mapping[str, Any] | None) -> GoValue:
    """``map[string]string{"app":"web"}`` (Go's ``%#v``: keys sorted; nil as ``(nil)``)."""
    if m is None:
        return GoValue("map[string]string(nil)")
    return GoValue(
        "map[string]string{"
        + ", ".join(f"{go_quote(k)}:{go_quote(str(m[k]))}" for k in sorted(m))
        + "}"
    )


def go_strings(items: list[str] | None) -> GoValue:
    if items is None:
        return GoValue("[]string(nil)")
    return GoValue("[]string{" + ", ".join(go_quote(str(s)) for s in items) + "}")


def int_or_string(v: Any) -> Any:
    """An IntOrString prints through its ``String()``: ``0`` or ``25%`` (no quotes)."""
    return v if isinstance(v, int) and not isinstance(v, bool) else GoValue(str(v))


def label_selector_text(sel: Mapping[str, Any] | None) -> GoValue:
    """A ``*metav1.LabelSelector`` prints through its generated ``String()``."""
    if sel is None:
        return GoValue("nil")
    ml = sel.get("matchLabels") or {}
    labels = "map[string]string{" + "".join(f"{k}: {ml[k]}," for k in sorted(ml)) + "}"
    exprs = (
        "[]LabelSelectorRequirement{"
        + "".join(
            f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
            f"Values:[{' '.join(str(v) for v in e.get('values') or [])}],}},"
            for e in sel.get("matchExpressions") or []
        )
        + "}"
    )
    return GoValue(f"&LabelSelector{{MatchLabels:{labels},MatchExpressions:{exprs},}}")


def not_supported(path: str, value: Any, valid: list[str]) -> FieldError:
    return FieldError(
        path, UNSUPPORTED, value, "supported values: " + ", ".join(go_quote(v) for v in valid)
    )


def nonneg(value: Any, path: str) -> Errs:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return [FieldError(path, INVALID, value, IS_NEGATIVE)]
    return []


def as_int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


# -- metadata -----------------------------------------------------------------------------------
def validate_labels(labels: Mapping[str, Any] | None, path: str) -> Errs:
    errs: Errs = []
    for k, v in (labels or {}).items():
        errs += [FieldError(path, INVALID, k, m) for m in qualified_name_errors(k)]
        value = "" if v is None else str(v)
        errs += [FieldError(path, INVALID, value, m) for m in label_value_errors(value)]
    return errs


def validate_annotations(annotations: Mapping[str, Any] | None, path: str) -> Errs:
    errs: Errs = []
    total = 0
    for k, v in (annotations or {}).items():
        # the rule is the label key's, except that case does not matter
        errs += [FieldError(path, INVALID, k, m) for m in qualified_name_errors(k.lower())]
        total += len(k) + len(str(v or ""))
    if total > 256 * 1024:
        errs.append(
            FieldError(path, "Too long", GoValue(""), f"must have at most {256 * 1024} bytes")
        )
    return errs


def _validate_owner_references(refs: list[Obj] | None, path: str) -> Errs:
    errs: Errs = []
    first_controller = ""
    for ref in refs or []:
        api_version = str(ref.get("apiVersion") or "")
        if not api_version.rpartition("/")[2]:
            errs.append(
                FieldError(path + ".apiVersion", INVALID, api_version, "version must not be empty")
            )
        if not ref.get("kind"):
            errs.append(
                FieldError(
                    path + ".kind", INVALID, str(ref.get("kind") or ""), "kind must not be empty"
                )
            )
        if not ref.get("name"):
            errs.append(
                FieldError(
                    path + ".name", INVALID, str(ref.get("name") or ""), "name must not be empty"
                )
            )
        if not ref.get("uid"):
            errs.append(
                FieldError(
                    path + ".uid", INVALID, str(ref.get("uid") or ""), "uid must not be empty"
                )
            )
        if ref.get("controller"):
            current = f"{ref.get('kind')}/{ref.get('name')}"
            if first_controller:
                errs.append(
                    FieldError(
                        path,
                        INVALID,
                        GoValue("[]v1.OwnerReference{...}"),
                        'Only one reference can have Controller set to true. Found "true" in '
                        f"references for {first_controller} and {current}",
                    )
                )
            else:
                first_controller = current
    return errs


def validate_object_meta(
    obj: Obj, kind: _kinds.Kind, name_fn: Callable[[str, bool], list[str]], path: str = "metadata"
) -> Errs:
    """``ValidateObjectMeta``: name (or generateName), namespace, labels, annotations, owners."""
    md = obj.get("metadata") or {}
    errs: Errs = []
    generate = md.get("generateName") or ""
    if generate:
        errs += [
            FieldError(f"{path}.generateName", INVALID, generate, m)
            for m in name_fn(generate, True)
        ]
    name = md.get("name") or ""
    if not name:
        errs.append(FieldError(f"{path}.name", REQUIRED, "", "name or generateName is required"))
    else:
        errs += [FieldError(f"{path}.name", INVALID, name, m) for m in name_fn(name, False)]
    ns = md.get("namespace") or ""
    if kind.namespaced:
        if not ns:
            errs.append(FieldError(f"{path}.namespace", REQUIRED))
        else:
            errs += [FieldError(f"{path}.namespace", INVALID, ns, m) for m in name_is_dns_label(ns)]
    elif ns:
        errs.append(FieldError(f"{path}.namespace", FORBIDDEN, "", "not allowed on this type"))
    errs += nonneg(md.get("generation"), f"{path}.generation")
    errs += validate_labels(md.get("labels"), f"{path}.labels")
    errs += validate_annotations(md.get("annotations"), f"{path}.annotations")
    errs += _validate_owner_references(md.get("ownerReferences"), f"{path}.ownerReferences")
    for i, fin in enumerate(md.get("finalizers") or []):
        errs += [
            FieldError(f"{path}.finalizers[{i}]", INVALID, fin, m)
            for m in qualified_name_errors(str(fin))
        ]
    return errs


def validate_object_meta_update(new: Obj, old: Obj, path: str = "metadata") -> Errs:
    """``ValidateObjectMetaUpdate``: name, namespace, uid and creationTimestamp never change.

    As upstream's ``BeforeUpdate``, a missing uid or creationTimestamp counts as unchanged (the
    apiserver copies them from the stored object).
    """
    nm, om = new.get("metadata") or {}, old.get("metadata") or {}
    errs: Errs = []
    for fld in ("name", "namespace", "uid", "creationTimestamp"):
        nv, ov = nm.get(fld) or "", om.get(fld) or ""
        if fld in ("uid", "creationTimestamp") and not nv:
            continue
        if nv != ov:
            errs.append(FieldError(f"{path}.{fld}", INVALID, nv, FIELD_IMMUTABLE))
    if as_int(nm.get("generation")) < as_int(om.get("generation")) and "generation" in nm:
        errs.append(
            FieldError(
                f"{path}.generation", INVALID, nm.get("generation"), "must not be decremented"
            )
        )
    if om.get("deletionTimestamp"):
        added = [f for f in nm.get("finalizers") or [] if f not in (om.get("finalizers") or [])]
        if added:
            errs.append(
                FieldError(
                    f"{path}.finalizers",
                    FORBIDDEN,
                    "",
                    f"no new finalizers can be added if the object is being deleted, found new finalizers {go_strings(added)}",
                )
            )
    return errs


# -- label selectors ----------------------------------------------------------------------------
def validate_label_selector(sel: Mapping[str, Any] | None, path: str) -> Errs:
    """``ValidateLabelSelector`` (strict: label values in selectors must be valid)."""
    if sel is None:
        return []
    errs = validate_labels(sel.get("matchLabels"), f"{path}.matchLabels")
    for i, expr in enumerate(sel.get("matchExpressions") or []):
        p = f"{path}.matchExpressions[{i}]"
        op, values = expr.get("operator"), expr.get("values") or []
        if op in ("In", "NotIn"):
            if not values:
                errs.append(
                    FieldError(
                        f"{p}.values",
                        REQUIRED,
                        "",
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    )
                )
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(
                    FieldError(
                        f"{p}.values",
                        FORBIDDEN,
                        "",
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            errs.append(
                FieldError(f"{p}.operator", INVALID, str(op or ""), "not a valid selector operator")
            )
        key = str(expr.get("key") or "")
        errs += [FieldError(f"{p}.key", INVALID, key, m) for m in qualified_name_errors(key)]
        for j, v in enumerate(values):
            errs += [
                FieldError(f"{p}.values[{j}]", INVALID, str(v), m)
                for m in label_value_errors(str(v))
            ]
    return errs


def qty(q: Any) -> str:
    """A quantity as upstream's ``Quantity.String()`` prints it (``2``, ``512Mi``)."""
    return format_quantity(q)
