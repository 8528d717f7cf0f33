"""ConfigMap, Secret and ServiceAccount: what a Pod is configured with and runs as.

A ConfigMap's data is printed in full; a Secret's never is, only each value's size (a
service-account token is the one exception, as upstream)::

    Data
    ====
    password:  7 bytes
"""

from __future__ import annotations

import base64
from typing import Any

from .sections import labels_and_annotations, name_and_namespace
from .writer import Context, Writer, metadata

__all__ = ["describe_configmap", "describe_secret", "describe_serviceaccount"]


def describe_configmap(w: Writer, cm: dict[str, Any], ctx: Context) -> None:
    meta = metadata(cm)
    name_and_namespace(w, meta)
    labels_and_annotations(w, meta)
    w.write(0, "\nData\n====\n")
    data = cm.get("data") or {}
    for key in sorted(data):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{data[key]}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    binary = cm.get("binaryData") or {}
    for key in sorted(binary):
        w.write(0, f"{key}: {len(base64.b64decode(str(binary[key])))} bytes\n")
    w.write(0, "\n")


def describe_secret(w: Writer, s: dict[str, Any], ctx: Context) -> None:
    meta = metadata(s)
    name_and_namespace(w, meta)
    labels_and_annotations(w, meta)
    w.write(0, f"\nType:\t{s.get('type', '')}\n")
    w.write(0, "\nData\n====\n")
    data = dict(s.get("data") or {})
    for key, value in (s.get("stringData") or {}).items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    for key in sorted(data):
        try:
            raw = base64.b64decode(str(data[key]), validate=False)
        except (ValueError, TypeError):
            raw = str(data[key]).encode()
        if key == "token" and s.get("type") == "kubernetes.io/service-account-token":
            w.write(0, f"{key}:\t{raw.decode(errors='replace')}\n")
        else:
            w.write(0, f"{key}:\t{len(raw)} bytes\n")


def describe_serviceaccount(w: Writer, sa: dict[str, Any], ctx: Context) -> None:
    """Its pull secrets, mountable secrets and tokens, each marked ``(not found)`` when it is not
    among the Secrets kubectl fetched (``related["secrets"]``)."""
    meta = metadata(sa)
    name_and_namespace(w, meta)
    labels_and_annotations(w, meta)
    secrets = ctx.related.get("secrets")
    existing = {metadata(s).get("name") for s in secrets or []}
    tokens = [metadata(s).get("name", "") for s in secrets or []
              if s.get("type") == "kubernetes.io/service-account-token"
              and (metadata(s).get("annotations") or {}).get("kubernetes.io/service-account.name") == meta.get("name")
              and (metadata(s).get("annotations") or {}).get("kubernetes.io/service-account.uid") == meta.get("uid")]
    sections = [
        ("Image pull secrets:", [s.get("name", "") for s in sa.get("imagePullSecrets") or []]),
        ("Mountable secrets: ", [s.get("name", "") for s in sa.get("secrets") or []]),
        ("Tokens:            ", tokens),
    ]
    for header, names in sorted(sections):
        if not names:
            w.write(0, f"{header}\t<none>\n")
            continue
        prefix = header
        for name in names:
            missing = secrets is not None and name not in existing
            w.write(0, f"{prefix}\t{name}{' (not found)' if missing else ''}\n")
            prefix = " " * 19
