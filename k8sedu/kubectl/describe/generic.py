"""What ``kubectl describe`` prints for a kind it has no describer for (a Lease, a custom resource):
the head, then every field of the object, nested by indentation, names split into words::

    Name:         node-2
    Namespace:    kube-node-lease
    ...
    Spec:
      Holder Identity:         node-2
      Lease Duration Seconds:  40
"""

from __future__ import annotations

from typing import Any

from .sections import labels_and_annotations, name_and_namespace
from .writer import Context, Writer, go_value, metadata

__all__ = ["describe_generic"]


def describe_generic(w: Writer, obj: dict[str, Any], ctx: Context) -> None:
    meta = metadata(obj)
    name_and_namespace(w, meta)
    labels_and_annotations(w, meta)
    _unstructured(w, 0, obj, "")


def _camel_split(field: str) -> list[str]:
    """fatih/camelcase.Split: runs of lower, upper, digit or other runes; ``HTMLParser`` → HTML, Parser."""
    runs: list[list[str]] = []
    last_class = -1
    for ch in field:
        cls = 1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 4
        if cls == last_class:
            runs[-1].append(ch)
        else:
            runs.append([ch])
        last_class = cls
    for i in range(len(runs) - 1):
        if runs[i][0].isupper() and runs[i + 1][0].islower():
            runs[i + 1].insert(0, runs[i].pop())
    return ["".join(r) for r in runs if r]


def _smart_label(field: str) -> str:
    if any(not ch.isalpha() and ch != "-" for ch in field):
        return field
    parts = []
    for part in _camel_split(field):
        if part == "_":
            continue
        if part.upper() in ("API", "URL", "UID", "OSB", "GUID"):
            parts.append(part.upper())
        else:
            parts.append(part[:1].upper() + part[1:])
    return " ".join(parts)


_GENERIC_SKIP = {".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
                 ".metadata.annotations"}


def _unstructured(w: Writer, level: int, content: dict[str, Any], prefix: str) -> None:
    for field in sorted(content):
        value = content[field]
        path = f"{prefix}.{field}"
        if path in _GENERIC_SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{_smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{_smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{go_value(child)}\n")
        else:
            w.write(level, f"{_smart_label(field)}:\t{go_value(value)}\n")
