"""Generate ``openapi_docs.json``: the field descriptions ``kubectl explain`` prints.

``k8sedu/api/schema.json`` holds the Go types of every kind we serve, but no prose. The official
``kubernetes`` Python client's models carry upstream's descriptions (the same text as the
apiserver's OpenAPI document), so this script copies them out, one entry per type::

    {"PodSpec": {".": "PodSpec is a description of a pod.", "containers": "List of containers …"}}

Run it where the ``kubernetes`` package is installed (a test extra; never needed at run time)::

    python -m k8sedu.server.openapi_gen            # rewrites k8sedu/server/openapi_docs.json
    python -m k8sedu.server.openapi_gen --check    # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["generate", "OUTPUT"]

OUTPUT = Path(__file__).with_name("openapi_docs.json")
SCHEMA = Path(__file__).parent.parent / "api" / "schema.json"
_MODEL = re.compile(r"^V(\d+)((?:alpha|beta)\d+)?([A-Z]\w*)$")


def _json_fields(cls: Any) -> dict[str, str]:
    """JSON field name → description of one client model."""
    out: dict[str, str] = {}
    for attr, json_name in (getattr(cls, "attribute_map", None) or {}).items():
        field = (getattr(cls, "model_fields", None) or {}).get(attr)
        out[json_name] = (getattr(field, "description", None) or "").strip()
    return out


def generate() -> dict[str, dict[str, str]]:
    import kubernetes.client.models as models

    types: dict[str, dict[str, str]] = json.loads(SCHEMA.read_text())["types"]
    candidates: dict[str, list[Any]] = {}
    for name in dir(models):
        m = _MODEL.match(name)
        if m:
            candidates.setdefault(m.group(3), []).append(getattr(models, name))
    docs: dict[str, dict[str, str]] = {}
    for type_name, fields in sorted(types.items()):
        best = max(candidates.get(type_name, []), default=None,
                   key=lambda cls: (len(set(_json_fields(cls)) & set(fields)), -len(cls.__name__)))
        if best is None:
            continue
        described = _json_fields(best)
        doc = (inspect.getdoc(best) or "").split("\n\nAttributes:")[0].strip()
        if doc.endswith("- a model defined in OpenAPI") or doc.startswith("NOTE: This class is auto generated"):
            doc = ""
        entry = {".": doc} if doc else {}
        entry.update({f: described[f] for f in fields if described.get(f)})
        docs[type_name] = entry
    return docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if openapi_docs.json is out of date")
    args = parser.parse_args(argv)
    text = json.dumps(generate(), ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    if args.check:
        return 0 if OUTPUT.exists() and OUTPUT.read_text() == text else 1
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
