"""The sections many describers share: the head (Name, Namespace, Labels, Annotations), multi-line
lists, resource lists, ``Controlled By`` and the Events table.

Most lists print upstream's one way: the first item on the title's line, the next ones under it
(the tabwriter lines them up), ``<none>`` when there are none::

    Labels:       app=web                 Taints:   <none>
                  pod-template-hash=7d4b9
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from k8sedu.kubectl.printers import _ts, since

from .quantity import qty
from .writer import Writer, metadata

__all__ = ["name_and_namespace", "labels_and_annotations", "multiline", "labels_multiline",
           "annotations_multiline", "heading", "quantities", "controlled_by", "describe_events"]

_MAX_ANNOTATION_LEN = 140
_SKIP_ANNOTATIONS = {"kubectl.kubernetes.io/last-applied-configuration"}


def name_and_namespace(w: Writer, meta: Mapping[str, Any]) -> None:
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")


def labels_and_annotations(w: Writer, meta: Mapping[str, Any]) -> None:
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))


def multiline(w: Writer, title: str, items: Iterable[str], *, initial: str = "", inner: str = "\t") -> None:
    """``Title:`` and the first item on one line, each further item on a line of its own.

    Upstream's printLabelsMultiline, printTaintsMultiline, printTolerationsMultiline and
    printPodsMultiline all print this way; *initial* indents the title and the later lines.
    """
    w.write(0, f"{initial}{title}:{inner}")
    first = True
    for item in items:
        if not first:
            w.write(0, initial + inner)
        w.write(0, item + "\n")
        first = False
    if first:
        w.line("<none>")


def labels_multiline(w: Writer, title: str, labels: Mapping[str, Any] | None, initial: str = "",
                     inner: str = "\t") -> None:
    """``key=value`` per label, sorted by key."""
    labels = labels or {}
    multiline(w, title, (f"{key}={labels[key]}" for key in sorted(labels)), initial=initial, inner=inner)


def _annotation(key: str, value: Any) -> str:
    """``key: value``; a long or multi-line value goes below its key, each line cut at 140 bytes."""
    text = str(value)
    if text.endswith("\n"):
        text = text[:-1]
    # Go measures and cuts these in bytes, not characters
    if len(text.encode()) + len(key.encode()) + 2 <= _MAX_ANNOTATION_LEN and "\n" not in text:
        return f"{key}: {text}"
    lines = []
    for s in text.split("\n"):
        raw = s.encode()
        if len(raw) > _MAX_ANNOTATION_LEN - 2:
            s = raw[: _MAX_ANNOTATION_LEN - 2].decode(errors="ignore") + "..."
        lines.append(f"\t  {s}")
    return f"{key}:\n" + "\n".join(lines)


def annotations_multiline(w: Writer, title: str, annotations: Mapping[str, Any] | None) -> None:
    """Sorted by key, without ``kubectl.kubernetes.io/last-applied-configuration``."""
    annotations = annotations or {}
    keys = sorted(k for k in annotations if k not in _SKIP_ANNOTATIONS)
    multiline(w, title, (_annotation(key, annotations[key]) for key in keys))


def heading(w: Writer, level: int, title: str, items: Sequence[Any] | Mapping[str, Any] | None) -> bool:
    """``Title:`` over a list the caller writes next, or ``Title:\\t<none>``; whether there is one."""
    if not items:
        w.write(level, f"{title}:\t<none>\n")
        return False
    w.write(level, f"{title}:\n")
    return True


def quantities(w: Writer, level: int, title: str, values: Mapping[str, Any] | None) -> None:
    """``Title:`` then ``name:\\tquantity`` a line, sorted; nothing at all for no values
    (a container's Limits and Requests, a node's Capacity and Allocatable)."""
    if not values:
        return
    w.write(level, f"{title}:\n")
    for name in sorted(values):
        w.write(level + 1, f"{name}:\t{qty(values[name])}\n")


def controlled_by(w: Writer, obj: Mapping[str, Any]) -> None:
    """``Controlled By:\\tKind/name`` for an object with a controller owner, else nothing."""
    for ref in metadata(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            w.write(0, f"Controlled By:\t{ref.get('kind', '')}/{ref.get('name', '')}\n")
            return


def _event_key(e: Mapping[str, Any]) -> float:
    t = _ts(e.get("lastTimestamp"))
    return t if t is not None else float("-inf")


def describe_events(w: Writer, events: Sequence[Mapping[str, Any]], now: float) -> None:
    """The ``Events:`` table: oldest first, ``Age`` as ``2m (x3 over 5m)`` for repeated events."""
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in sorted(events, key=_event_key):
        first = since(e.get("eventTime"), now) if e.get("eventTime") else since(e.get("firstTimestamp"), now)
        series, count = e.get("series"), int(e.get("count") or 0)
        if series:
            interval = f"{since(series.get('lastObservedTime'), now)} (x{int(series.get('count') or 0)} over {first})"
        elif count > 1:
            interval = f"{since(e.get('lastTimestamp'), now)} (x{count} over {first})"
        else:
            interval = first
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t"
                   f"{str(e.get('message', '')).strip()}\n")
