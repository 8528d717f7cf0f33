"""The OpenAPI v3 schemas ``kubectl explain`` reads, built from ``api/schema.json`` (the Go types
of the kinds we serve) and ``openapi_docs.json`` (upstream's descriptions, see
:mod:`k8sedu.server.openapi_gen`).

kubectl asks ``GET /openapi/v3`` for the list of group-versions, then ``/openapi/v3/api/v1`` and
finds the schema whose ``x-kubernetes-group-version-kind`` names the kind; each field is a type
(``<string>``, ``<[]Container>``) and a description::

    components.schemas["io.k8s.api.core.v1.Pod"] =
        {"type": "object", "description": "Pod is a collection of containers …",
         "x-kubernetes-group-version-kind": [{"group": "", "kind": "Pod", "version": "v1"}],
         "properties": {"spec": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}],
                                 "description": "Specification of the desired behavior of the pod. …"}, …}}

Simplified: schema names carry one package prefix per API group (``io.k8s.api.apps.v1``) and
``io.k8s.apimachinery.pkg.apis.meta.v1`` for the metadata types; ``required`` lists and enums are
not given; a field whose type is a struct (``spec``) is described by its type's text (``PodSpec is
a description of a pod.``), since the client's models keep no text for such fields.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["schemas_for"]

_DOCS_FILE = Path(__file__).with_name("openapi_docs.json")
_SCHEMA_FILE = Path(__file__).parent.parent / "api" / "schema.json"
_META = {"ObjectMeta", "ListMeta", "LabelSelector", "LabelSelectorRequirement", "OwnerReference",
         "ManagedFieldsEntry", "Condition", "Time", "MicroTime", "FieldsV1"}
_SCALARS = {
    "string": {"type": "string"}, "bool": {"type": "boolean"},
    "int32": {"type": "integer", "format": "int32"}, "int64": {"type": "integer", "format": "int64"},
    "int": {"type": "integer", "format": "int32"}, "float64": {"type": "number", "format": "double"},
    "[]byte": {"type": "string", "format": "byte"},
    "v1.Time": {"type": "string", "format": "date-time"}, "v1.MicroTime": {"type": "string", "format": "date-time"},
    "v1.FieldsV1": {"type": "object"},
}
_SPECIAL = {  # types with a schema of their own upstream (kubectl shows the name: <Quantity>)
    "intstr.IntOrString": ("io.k8s.apimachinery.pkg.util.intstr.IntOrString",
                           {"type": "string", "format": "int-or-string",
                            "description": "IntOrString is a type that can hold an int32 or a string."}),
    "resource.Quantity": ("io.k8s.apimachinery.pkg.api.resource.Quantity",
                          {"type": "string", "description": "Quantity is a fixed-point representation of a "
                                                           "number (100m, 128Mi, 2)."}),
}


_STANDARD = {
    "ObjectMeta": "Standard object's metadata. More info: "
                  "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    "ListMeta": "Standard list metadata. More info: "
                "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
}


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    schema = json.loads(_SCHEMA_FILE.read_text())
    docs = json.loads(_DOCS_FILE.read_text()) if _DOCS_FILE.exists() else {}
    return schema, docs


def _prefix(group: str, version: str) -> str:
    if not group:
        return f"io.k8s.api.core.{version}"
    return f"io.k8s.api.{group.split('.')[0]}.{version}"


class _Builder:
    def __init__(self, group: str, version: str) -> None:
        self.schema, self.docs = _data()
        self.prefix = _prefix(group, version)
        self.out: dict[str, Any] = {}

    def name(self, type_name: str) -> str:
        if type_name in _META:
            return f"io.k8s.apimachinery.pkg.apis.meta.v1.{type_name}"
        return f"{self.prefix}.{type_name}"

    def ref(self, go_type: str, description: str = "") -> dict[str, Any]:
        """The schema of one field of Go type *go_type*."""
        named = self.schema["named"].get(go_type)
        if named:
            return self.ref(named, description)
        out: dict[str, Any]
        if go_type in _SCALARS:
            out = dict(_SCALARS[go_type])
        elif go_type in _SPECIAL:
            name, body = _SPECIAL[go_type]
            self.out.setdefault(name, body)
            out = {"allOf": [{"$ref": f"#/components/schemas/{name}"}]}
        elif go_type.startswith("[]"):
            out = {"type": "array", "items": self.ref(go_type[2:])}
        elif go_type.startswith("map[string]"):
            out = {"type": "object", "additionalProperties": self.ref(go_type[len("map[string]"):])}
        else:
            type_name = go_type.rsplit(".", 1)[-1]
            if type_name not in self.schema["types"]:
                out = {"type": "object"}
            else:
                self.add(type_name)
                out = {"allOf": [{"$ref": f"#/components/schemas/{self.name(type_name)}"}], "default": {}}
                # the client's models drop a struct field's own text: say what its type is
                description = description or _STANDARD.get(type_name) or self.docs.get(type_name, {}).get(".", "")
        if description:
            out["description"] = description
        return out

    def add(self, type_name: str, gvk: dict[str, str] | None = None) -> dict[str, Any]:
        name = self.name(type_name)
        if name in self.out and gvk is None:
            return dict(self.out[name])
        docs = self.docs.get(type_name, {})
        body: dict[str, Any] = {"type": "object"}
        if docs.get("."):
            body["description"] = docs["."]
        self.out[name] = body  # before the fields: a type may refer to itself
        body["properties"] = {f: self.ref(t, docs.get(f, "")) for f, t in sorted(self.schema["types"][type_name].items())}
        if gvk is not None:
            body["x-kubernetes-group-version-kind"] = [gvk]
        return body


@lru_cache(maxsize=64)
def _cached(group: str, version: str, kinds: tuple[str, ...]) -> str:
    builder = _Builder(group, version)
    gv = f"{group}/{version}" if group else version
    for kind in kinds:
        type_name = builder.schema["kinds"].get(f"{gv}/{kind}")
        if type_name:
            builder.add(type_name, {"group": group, "kind": kind, "version": version})
    return json.dumps(builder.out, sort_keys=True)


def schemas_for(group: str, version: str, kinds: list[str]) -> dict[str, Any]:
    """``components.schemas`` of the group-version's document: each kind and every type it uses."""
    result: dict[str, Any] = json.loads(_cached(group, version, tuple(sorted(kinds))))
    return result
