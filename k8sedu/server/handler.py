"""One HTTP request to the Kubernetes API: parse it, ask the in-process :class:`APIServer`, answer
as the real apiserver does (JSON objects, ``Status`` errors, ``Warning`` headers, chunked watch
streams, the Table form kubectl prints from).

The handler never touches the store: every verb is a call on the ``APIServer`` with the request's
user (from its bearer token) and ``agent`` (the first word of its ``User-Agent``: ``kubectl``), so
the flow dashboards show the real kubectl request arriving.
"""

from __future__ import annotations

import base64
import json
import select
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import yaml

from ..api import kinds
from ..api.kinds import Kind
from ..apiserver import UserInfo
from ..apiserver import patch as patching
from ..apiserver.rbac import forbidden_message
from ..clock import rfc3339
from ..errors import (
    APIError,
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    Gone,
    InternalError,
    Invalid,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
)
from . import apply, attach, discovery, portforward, protobuf, versions, websocket
from .routes import Route, parse_path

if TYPE_CHECKING:
    from .httpserver import KubeAPIServer

__all__ = ["APIRequestHandler", "PATCH_TYPES"]

#: Content-Type of a PATCH → the apiserver's patch_type ("apply" is server-side apply)
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}
_PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
_NOT_FOUND = "the server could not find the requested resource"


def _truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true", "t", "yes")


class APIRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k8sedu-apiserver"
    _consumed: bool = False  # the request body was read (keep-alive needs it off the wire)
    _conversion: versions.Conversion | None = None  # the request names an older version (autoscaling/v1)

    # ------------------------------------------------------------------ plumbing
    @property
    def k8s(self) -> KubeAPIServer:
        return self.server.k8s  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the flow recorder logs requests
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def q_int(self, name: str) -> int | None:
        value = self.q(name)
        if value in (None, ""):
            return None
        try:
            return int(str(value))
        except ValueError:
            raise BadRequest(f'invalid value for {name}: "{value}"') from None

    def _body_bytes(self) -> bytes:
        if self._consumed:
            return b""
        self._consumed = True
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _body(self, kind_name: str = "", allow_empty: bool = False) -> Any:
        raw = self._body_bytes()
        if not raw.strip():
            if allow_empty:
                return None
            raise BadRequest("the body of the request was in an unknown format - accepted media types include: "
                             "application/json, application/yaml")
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if ctype == protobuf.CONTENT_TYPE:
            return protobuf.decode(raw)
        try:
            if "yaml" in ctype:
                return yaml.safe_load(raw.decode("utf-8"))
            return json.loads(raw.decode("utf-8"))
        except (ValueError, yaml.YAMLError) as err:
            summary = raw[:64].decode("utf-8", "replace")
            what = f"must be of type {kind_name}" if kind_name else "unrecognized"
            raise BadRequest(f"the object provided is unrecognized ({what}): couldn't get version/kind; "
                             f"json parse error: {err} ({summary})") from None

    def _send_json(self, code: int, obj: Any, content_type: str = "application/json") -> None:
        if self._conversion is not None:
            obj = self._conversion.out(obj)
        data = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for warning in self._warnings:
            escaped = warning.replace("\\", "\\\\").replace('"', '\\"')
            self.send_header("Warning", f'299 - "{escaped}"')
        self.end_headers()
        self.wfile.write(data)

    def _send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunked(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        # a client waiting for this response sends nothing more: readable means EOF (or TLS close)
        return bool(readable)

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = parse_qs(url.query, keep_blank_values=True)
        self._warnings: list[str] = []
        self._consumed = False
        self._conversion = None
        ua = self.headers.get("User-Agent") or ""
        self.agent = (ua.split("/")[0].split() or ["kubectl"])[0] if ua else "kubectl"
        path = url.path.rstrip("/") or "/"
        try:
            self.user = self.k8s.auth.authenticate(self.headers.get("Authorization"))
            if path in _PUBLIC_PATHS:
                self._public(path)
                return
            if self.user is None:
                raise Unauthorized("Unauthorized")
            if method == "GET" and self._discovery(path):
                return
            route = parse_path(path)
            if route is None:
                raise NotFound(_NOT_FOUND)
            self._resource(method, route)
        except APIError as err:
            self._error(err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as err:  # a bug of ours: still answer as an apiserver would
            self._error(InternalError(f"{type(err).__name__}: {err}"))

    def _error(self, err: APIError) -> None:
        try:
            self._body_bytes()  # an unread body would be taken for the next request on this connection
            self._send_json(err.code, err.status())
        except OSError:
            self.close_connection = True

    def _public(self, path: str) -> None:
        if path == "/version":
            self._send_json(200, discovery.VERSION_INFO)
        else:
            self._send_text(200, "ok")

    def _discovery(self, path: str) -> bool:
        accept = self.headers.get("Accept") or ""
        if path in ("/api", "/apis"):
            if discovery.wants_aggregated(accept):
                self._send_json(200, discovery.aggregated(core=path == "/api"), discovery.AGGREGATED_CONTENT_TYPE)
            else:
                self._send_json(200, discovery.legacy_versions() if path == "/api" else discovery.legacy_groups())
            return True
        if path == "/openapi/v3":
            self._send_json(200, discovery.openapi_v3_root())
            return True
        if path.startswith("/openapi/v3/"):
            doc = discovery.openapi_v3_group(path[len("/openapi/v3/"):])
            if doc is None:
                raise NotFound(_NOT_FOUND)
            self._send_json(200, doc)
            return True
        if path.startswith("/openapi/"):
            raise NotFound(_NOT_FOUND)
        parts = path.strip("/").split("/")
        if parts[0] == "api" and len(parts) == 2:
            found = discovery.resource_list("", parts[1])
        elif parts[0] == "apis" and len(parts) == 2:
            found = discovery.legacy_group(parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            found = discovery.resource_list(parts[1], parts[2])
        else:
            return False
        if found is None:
            raise NotFound(_NOT_FOUND)
        self._send_json(200, found)
        return True

    def _kind(self, route: Route) -> Kind:
        for k in discovery.served_kinds():
            if k.group == route.group and k.version == route.version and k.plural == route.resource:
                return k
        raise NotFound(_NOT_FOUND)

    # ------------------------------------------------------------------ resources
    def _resource(self, method: str, route: Route) -> None:
        kind = self._kind(route)
        self._conversion = versions.conversion_for(kind)
        if self._conversion is not None:
            kind = self._conversion.stored
            if method == "PATCH":
                self._patch_converted(kind, route)
                return
        if kind in discovery.VIRTUAL_KINDS:
            if method != "POST" or route.name:
                raise MethodNotAllowed("the server does not allow this method on the requested resource")
            self._access_review(kind)
            return
        sub = route.subresource
        if sub is not None and sub not in kind.subresources:
            raise NotFound(_NOT_FOUND)
        if sub in ("exec", "attach") and method in ("GET", "POST"):
            self._exec(kind, route)
            return
        if sub == "portforward" and method in ("GET", "POST"):
            self._port_forward(route)
            return
        if method == "GET":
            if route.name is None:
                if _truthy(self.q("watch")):
                    self._watch(kind, route)
                else:
                    self._list(kind, route)
            elif sub == "log":
                self._logs(route)
            else:
                obj = self.k8s.api.get(self.user_info, kind.qualified, route.name, route.namespace,
                                       subresource=sub, agent=self.agent)
                self._send_object(kind, obj)
        elif method == "POST":
            self._create(kind, route)
        elif method == "PUT":
            self._update(kind, route)
        elif method == "PATCH":
            self._patch(kind, route)
        elif method == "DELETE":
            if route.name is None:
                self._delete_collection(kind, route)
            else:
                self._delete(kind, route)

    @property
    def user_info(self) -> UserInfo:
        assert self.user is not None
        return self.user

    def _dry_run(self, body: dict[str, Any] | None = None) -> bool:
        values = self.query.get("dryRun", []) + list((body or {}).get("dryRun") or [])
        for v in values:
            if v != "All":
                raise BadRequest(f'Invalid dryRun value "{v}": supported values: "All"')
        return bool(values)

    def _wants_table(self) -> bool:
        if self.k8s.table is None:
            return False
        accept = self.headers.get("Accept") or ""
        return any("as=Table" in part and "g=meta.k8s.io" in part for part in accept.split(","))

    def _table(self, kind: Kind, objs: list[dict[str, Any]], rv: str = "") -> dict[str, Any]:
        assert self.k8s.table is not None
        return self.k8s.table(kind.plural, objs, now=self.k8s.api.clock.now(),
                              include_object=self.q("includeObject") or "Metadata", resource_version=rv)

    def _send_object(self, kind: Kind, obj: dict[str, Any], code: int = 200) -> None:
        if self._wants_table() and obj.get("kind") == kind.kind:
            obj = self._table(kind, [obj], obj.get("metadata", {}).get("resourceVersion", ""))
        self._send_json(code, obj)

    def _list(self, kind: Kind, route: Route) -> None:
        result = self.k8s.api.list(self.user_info, kind.qualified, route.namespace,
                                   label_selector=self.q("labelSelector"), field_selector=self.q("fieldSelector"),
                                   agent=self.agent)
        items = sorted(result["items"], key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        token = self.q("continue")
        if token:
            try:
                start = json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
            except (ValueError, KeyError, TypeError):
                raise BadRequest("continue key is not valid: illegal base64 data") from None
            items = [o for o in items if [o["metadata"].get("namespace", ""), o["metadata"]["name"]] > start]
        limit = self.q_int("limit")
        md = result["metadata"]
        if limit and limit > 0 and len(items) > limit:
            last = items[limit - 1]["metadata"]
            md["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"rv": md["resourceVersion"], "start": [last.get("namespace", ""), last["name"]]}).encode()).decode()
            md["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        if self._wants_table():
            table = self._table(kind, items, md["resourceVersion"])
            table["metadata"] = md
            self._send_json(200, table)
            return
        result["items"] = items
        self._send_json(200, result)

    def _watch(self, kind: Kind, route: Route) -> None:
        api = self.k8s.api
        table = self._wants_table()
        timeout = self.q_int("timeoutSeconds")
        deadline = time.monotonic() + timeout if timeout else None
        bookmarks = _truthy(self.q("allowWatchBookmarks"))
        try:
            w = api.watch(self.user_info, kind.qualified, route.namespace, self.q("resourceVersion"),
                          self.q("labelSelector"), self.q("fieldSelector"), agent=self.agent)
        except Gone as err:  # upstream answers 200 and sends the 410 as an ERROR event
            self._start_chunked("application/json")
            self._chunk(json.dumps({"type": "ERROR", "object": err.status()}).encode() + b"\n")
            self._end_chunked()
            return
        self._start_chunked("application/json")
        last_bookmark = time.monotonic()
        try:
            while not self.k8s.stopping.is_set():
                before = api.revision
                event = w.next(timeout=0.5)
                if event is None:
                    if w.stopped or self._client_gone():
                        break
                    if deadline is not None and time.monotonic() >= deadline:
                        break
                    if bookmarks and time.monotonic() - last_bookmark >= 5:
                        last_bookmark = time.monotonic()
                        mark = {"kind": kind.kind, "apiVersion": kind.api_version,
                                "metadata": {"resourceVersion": str(before)}}
                        self._chunk(json.dumps({"type": "BOOKMARK", "object": mark}).encode() + b"\n")
                    continue
                obj = event.object
                if self._conversion is not None:
                    obj = self._conversion.out(obj)
                if table:
                    obj = self._table(kind, [obj], obj.get("metadata", {}).get("resourceVersion", ""))
                self._chunk(json.dumps({"type": event.type, "object": obj}).encode() + b"\n")
        except OSError:
            self.close_connection = True
            return
        finally:
            w.stop()
        self._end_chunked()

    def _create(self, kind: Kind, route: Route) -> None:
        api, sub = self.k8s.api, route.subresource
        body = self._body(kind.kind)
        if kind.plural == "bindings":  # POST .../bindings: the old way to bind a Pod
            kind, sub = kinds.for_resource("pods", ""), "binding"
        if sub in ("binding", "eviction", "token"):
            if isinstance(body, dict) and route.name:
                body.setdefault("metadata", {}).setdefault("name", route.name)
            result = api.create(self.user_info, kind.qualified, body, route.namespace, subresource=sub,
                                agent=self.agent)
            self._send_json(201, result)
            return
        if route.name is not None or sub is not None:
            raise MethodNotAllowed("the server does not allow this method on the requested resource")
        if self._conversion is not None:
            body = self._conversion.into(body)
        self._manage(None, body, kind)
        result = api.create(self.user_info, kind.qualified, body, route.namespace, dry_run=self._dry_run(),
                            agent=self.agent, field_validation=self.q("fieldValidation") or "")
        self._warnings = api.last_warnings
        self._send_object(kind, result, 201)

    def _update(self, kind: Kind, route: Route) -> None:
        api = self.k8s.api
        if route.name is None:
            raise MethodNotAllowed("the server does not allow this method on the requested resource")
        body = self._body(kind.kind)
        if self._conversion is not None:
            body = self._conversion.into(body)
        if not isinstance(body, dict):
            raise BadRequest("the object provided is not a JSON object")
        md = body.setdefault("metadata", {})
        if md.get("name") and md["name"] != route.name:
            raise BadRequest(f"the name of the object ({md['name']}) does not match the name on the URL "
                             f"({route.name})")
        md["name"] = route.name
        if route.subresource is None and self.q("fieldManager"):
            self._manage(self._live(kind, route), body, kind)
        result = api.update(self.user_info, kind.qualified, body, route.namespace, subresource=route.subresource,
                            dry_run=self._dry_run(), agent=self.agent,
                            field_validation=self.q("fieldValidation") or "")
        self._warnings = api.last_warnings
        if route.subresource == "scale":
            result = api.get(self.user_info, kind.qualified, route.name, route.namespace, subresource="scale",
                             agent=self.agent, record=False)
        self._send_object(kind, result)

    def _patch(self, kind: Kind, route: Route) -> None:
        api = self.k8s.api
        if route.name is None:
            raise MethodNotAllowed("the server does not allow this method on the requested resource")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        patch_type = PATCH_TYPES.get(ctype)
        if patch_type is None:
            raise UnsupportedMediaType(f"the body of the request was in an unknown format - accepted media types "
                                       f"include: {', '.join(PATCH_TYPES)}")
        body = self._body(kind.kind)
        dry_run = self._dry_run()
        fv = self.q("fieldValidation") or ""
        if patch_type == "apply":
            self._apply(kind, route, body, dry_run, fv)
            return
        if route.subresource is None and self.q("fieldManager"):
            body = self._manage_patch(kind, route, body, patch_type)
        result = api.patch(self.user_info, kind.qualified, route.name, body, route.namespace,
                           patch_type=patch_type, subresource=route.subresource, dry_run=dry_run,
                           agent=self.agent, field_validation=fv)
        self._warnings = api.last_warnings
        self._send_object(kind, result)

    def _patch_converted(self, kind: Kind, route: Route) -> None:
        """PATCH in an older version: the patch applies to the object as that version shows it,
        and the result is written back as an update carrying the resourceVersion it was read at
        (a write in between: read and patch again, as upstream's patcher retries on conflict)."""
        conv, api = self._conversion, self.k8s.api
        assert conv is not None
        if route.name is None:
            raise MethodNotAllowed("the server does not allow this method on the requested resource")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        patch_type = PATCH_TYPES.get(ctype)
        if patch_type is None:
            raise UnsupportedMediaType(f"the body of the request was in an unknown format - accepted media types "
                                       f"include: {', '.join(PATCH_TYPES)}")
        body = self._body(kind.kind)
        apply_patch = {"merge": patching.merge_patch, "strategic": patching.strategic_merge_patch,
                       "apply": patching.strategic_merge_patch, "json": patching.json_patch}[patch_type]
        for attempt in range(5):
            live = api.get(self.user_info, kind.qualified, str(route.name), route.namespace,
                           subresource=route.subresource, agent=self.agent, record=False)
            patched = apply_patch(conv.from_stored(live), body)
            if not isinstance(patched, dict):
                raise BadRequest("the patch did not produce a JSON object")
            patched.setdefault("metadata", {})["resourceVersion"] = live["metadata"].get("resourceVersion")
            try:
                result = api.update(self.user_info, kind.qualified, conv.to_stored(patched), route.namespace,
                                    subresource=route.subresource, dry_run=self._dry_run(), agent=self.agent,
                                    field_validation=self.q("fieldValidation") or "")
                break
            except Conflict:
                if attempt == 4:
                    raise
        self._warnings = api.last_warnings
        self._send_object(kind, result)

    # ------------------------------------------------------------------ managedFields and server-side apply
    def _now(self) -> str:
        return rfc3339(self.k8s.api.clock.now())

    def _live(self, kind: Kind, route: Route) -> dict[str, Any] | None:
        try:
            live: dict[str, Any] = self.k8s.api.get(self.user_info, kind.qualified, str(route.name), route.namespace,
                                                    agent=self.agent, record=False)
            return live
        except NotFound:
            return None

    def _manage(self, live: dict[str, Any] | None, body: Any, kind: Kind) -> None:
        """Record the request's ``fieldManager`` in the body's managedFields (an Update)."""
        manager = self.q("fieldManager")
        if not manager or not isinstance(body, dict):
            return
        version = self._conversion.served.api_version if self._conversion is not None else kind.api_version
        body.setdefault("metadata", {})["managedFields"] = apply.record_update(
            live, apply.field_values(body), manager, version, self._now())

    def _manage_patch(self, kind: Kind, route: Route, body: Any, patch_type: str) -> Any:
        live = self._live(kind, route)
        if live is None:
            return body
        try:
            preview = {"merge": patching.merge_patch, "strategic": patching.strategic_merge_patch,
                       "json": patching.json_patch}[patch_type](live, body)
        except APIError:
            return body  # the apiserver reports the bad patch
        if not isinstance(preview, dict):
            return body
        managed = apply.record_update(live, apply.field_values(preview), str(self.q("fieldManager")),
                                      kind.api_version, self._now())
        if patch_type == "json" and isinstance(body, list):
            return [*body, {"op": "add", "path": "/metadata/managedFields", "value": managed}]
        if isinstance(body, dict):
            body = dict(body)
            body["metadata"] = {**(body.get("metadata") or {}), "managedFields": managed}
        return body

    def _apply(self, kind: Kind, route: Route, body: Any, dry_run: bool, fv: str) -> None:
        """Server-side apply: create the object, or merge the applied fields into it, keeping
        field ownership per manager (see :mod:`k8sedu.server.apply`)."""
        api = self.k8s.api
        if not isinstance(body, dict):
            raise BadRequest("the object provided is not a JSON object")
        if (body.get("metadata") or {}).get("name", route.name) != route.name:
            raise BadRequest(f"the name of the object ({body['metadata']['name']}) does not match the name "
                             f"on the URL ({route.name})")
        manager = self.q("fieldManager")
        if not manager:
            raise Invalid("PatchOptions", "", [FieldError("fieldManager", "Required value", None,
                                                          "is required for apply patch")], group="meta.k8s.io")
        live = self._live(kind, route)
        force = _truthy(self.q("force"))
        if live is None:
            if route.subresource:
                raise NotFound.of(kind.qualified, str(route.name))
            plan = apply.plan_apply(None, body, manager, force, self._now())
            obj = plan.patch
            obj.setdefault("metadata", {})["name"] = route.name
            result = api.create(self.user_info, kind.qualified, obj, route.namespace, dry_run=dry_run,
                                agent=self.agent, field_validation=fv)
            self._warnings = api.last_warnings
            self._send_object(kind, result, 201)
            return
        patch = apply.plan_apply(live, body, manager, force, self._now()).patch if route.subresource is None else body
        result = api.patch(self.user_info, kind.qualified, str(route.name), patch, route.namespace,
                           patch_type="strategic", subresource=route.subresource, dry_run=dry_run,
                           agent=self.agent, field_validation=fv)
        self._warnings = api.last_warnings
        self._send_object(kind, result)

    def _delete_options(self) -> dict[str, Any]:
        body = self._body(allow_empty=True) or {}
        if not isinstance(body, dict):
            raise BadRequest("the object provided is not a DeleteOptions")
        grace = self.q_int("gracePeriodSeconds")
        if grace is None and body.get("gracePeriodSeconds") is not None:
            grace = int(body["gracePeriodSeconds"])
        policy = self.q("propagationPolicy") or body.get("propagationPolicy")
        if policy is None and (self.q("orphanDependents") or "").lower() == "true":
            policy = "Orphan"
        return {"grace_period_seconds": grace, "propagation_policy": policy,
                "preconditions": body.get("preconditions"), "dry_run": self._dry_run(body)}

    def _delete(self, kind: Kind, route: Route) -> None:
        if route.subresource:
            raise MethodNotAllowed("the server does not allow this method on the requested resource")
        opts = self._delete_options()
        result = self.k8s.api.delete(self.user_info, kind.qualified, str(route.name), route.namespace,
                                     agent=self.agent, **opts)
        if kind.kind == "Pod":  # upstream's pod storage returns the (terminating) Pod itself
            self._send_json(200, result)
            return
        md = result.get("metadata", {})
        self._send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                              "details": {"name": md.get("name", route.name), "group": kind.group,
                                          "kind": kind.plural, "uid": md.get("uid", "")}})

    def _delete_collection(self, kind: Kind, route: Route) -> None:
        if "deletecollection" not in kind.verbs:
            raise MethodNotAllowed("the server does not allow this method on the requested resource")
        opts = self._delete_options()
        user, api = self.user_info, self.k8s.api
        if not api.authz.allowed(user, "deletecollection", kind.group, kind.plural, route.namespace):
            raise Forbidden(forbidden_message(user, "deletecollection", kind.plural, kind.group,
                                              route.namespace, None))
        found = api.list(user, kind.qualified, route.namespace, label_selector=self.q("labelSelector"),
                         field_selector=self.q("fieldSelector"), agent=self.agent)
        deleted = []
        for obj in found["items"]:
            md = obj["metadata"]
            try:
                deleted.append(api.delete(user, kind.qualified, md["name"], md.get("namespace"), agent=self.agent,
                                          **opts))
            except NotFound:
                continue
        found["items"] = deleted
        self._send_json(200, found)

    # ------------------------------------------------------------------ pods/log and pods/exec
    def _logs(self, route: Route) -> None:
        api = self.k8s.api
        ns = route.namespace or "default"
        follow = _truthy(self.q("follow"))
        result = api.pod_logs(self.user_info, ns, str(route.name), container=self.q("container") or None,
                              tail_lines=self.q_int("tailLines"), since_seconds=self.q_int("sinceSeconds"),
                              previous=_truthy(self.q("previous")), timestamps=_truthy(self.q("timestamps")),
                              follow=follow, agent=self.agent)
        if not follow:
            self._send_text(200, str(result))
            return
        self._start_chunked("text/plain")
        try:
            for line in result:
                if self.k8s.stopping.is_set():
                    break
                text = line if line.endswith("\n") else line + "\n"
                self._chunk(text.encode())
        except OSError:
            self.close_connection = True
            return
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        self._end_chunked()

    def _exec(self, kind: Kind, route: Route) -> None:
        api, user = self.k8s.api, self.user_info
        ns, name = route.namespace or "default", str(route.name)
        command = self.query.get("command", [])
        container = self.q("container") or None
        want_stdin = _truthy(self.q("stdin"))
        sub = str(route.subresource)
        if not api.authz.allowed(user, "create", "", "pods", ns, name, sub):
            raise Forbidden(forbidden_message(user, "create", "pods", "", ns, name, sub))
        api.get(user, "pods", name, ns, agent=self.agent, record=False)
        if sub == "attach":
            self._require_upgrade()
            stream = api.pod_attach(user, ns, name, container=container, stdin=want_stdin, agent=self.agent)
            try:
                ws = self._upgrade(websocket.CHANNEL_PROTOCOLS)
            except BaseException:
                stream.close()
                raise
            attach.copy_attach(ws, stream, want_stdin, self.k8s.stopping)
            return
        if not command:
            raise BadRequest("you must specify at least 1 command")
        self._require_upgrade()
        ws = self._upgrade(websocket.CHANNEL_PROTOCOLS)
        stdin = _read_stdin(ws) if want_stdin else None
        try:
            result = api.pod_exec(user, ns, name, list(command), container=container, stdin=stdin, agent=self.agent)
        except APIError as err:
            ws.send_channel(websocket.ERROR, json.dumps({"metadata": {}, "status": "Failure",
                                                         "message": err.message, "reason": err.reason,
                                                         "code": err.code}).encode())
            ws.close()
            return
        ws.send_channel(websocket.STDOUT, result.stdout.encode())
        ws.send_channel(websocket.STDERR, result.stderr.encode())
        ws.send_channel(websocket.ERROR, json.dumps(_exit_status(list(command), result.exit_code)).encode())
        ws.close()

    def _port_forward(self, route: Route) -> None:
        """``pods/portforward``: SPDY inside a WebSocket (kubectl 1.32's default) or plain SPDY."""
        api, user = self.k8s.api, self.user_info
        ns, name = route.namespace or "default", str(route.name)
        if not api.authz.allowed(user, "create", "", "pods", ns, name, "portforward"):
            raise Forbidden(forbidden_message(user, "create", "pods", "", ns, name, "portforward"))
        api.get(user, "pods", name, ns, agent=self.agent, record=False)
        upgrade = (self.headers.get("Upgrade") or "").lower()
        recv: Callable[[], bytes | None]
        send: Callable[[bytes], None]
        if upgrade == "websocket":
            ws = self._upgrade((portforward.WEBSOCKET_PROTOCOL,))

            def recv() -> bytes | None:
                message = ws.receive()
                return None if message is None else message[1]

            send = ws.send_binary

            def close() -> None:
                ws.close()
        elif upgrade.startswith("spdy/3.1"):
            offered = [p.strip() for v in self.headers.get_all("X-Stream-Protocol-Version") or [] for p in v.split(",")]
            if portforward.PROTOCOL not in offered:
                raise BadRequest(f"unable to upgrade: unable to negotiate protocol: client supports {offered}, "
                                 f"server supports [{portforward.PROTOCOL}]")
            self.send_response(101)
            self.send_header("Connection", "Upgrade")
            self.send_header("Upgrade", "SPDY/3.1")
            self.send_header("X-Stream-Protocol-Version", portforward.PROTOCOL)
            self.end_headers()
            self.wfile.flush()
            self.close_connection = True
            reader, conn = self.rfile, self.connection

            def recv() -> bytes | None:
                try:
                    return reader.read1(65536) or None
                except OSError:
                    return None

            send = conn.sendall

            def close() -> None:
                pass
        else:
            raise BadRequest("Upgrade request required")

        def dial(port: int) -> tuple[str, int]:
            address: tuple[str, int] = api.pod_port_address(user, ns, name, port, agent=self.agent)
            return address

        try:
            portforward.PortForwardSession(recv, send, dial, f"{ns}/{name}", self.k8s.stopping).serve()
        finally:
            close()

    def _require_upgrade(self) -> None:
        if (self.headers.get("Upgrade") or "").lower() != "websocket":
            raise BadRequest("Upgrade request required")

    def _upgrade(self, supported: tuple[str, ...]) -> websocket.WebSocket:
        """Answer 101 with the first of *supported* the client offers; the connection is then a
        WebSocket (and is closed when this request ends)."""
        offered = [p.strip() for p in (self.headers.get("Sec-WebSocket-Protocol") or "").split(",")]
        protocol = next((p for p in supported if p in offered), None)
        if protocol is None:
            raise BadRequest(f"unable to upgrade connection: none of the requested subprotocols "
                             f"{offered} are supported: {list(supported)}")
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", websocket.accept_key(self.headers.get("Sec-WebSocket-Key") or ""))
        self.send_header("Sec-WebSocket-Protocol", protocol)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        return websocket.WebSocket(self.connection, self.rfile)

    # ------------------------------------------------------------------ authorization API
    def _access_review(self, kind: Kind) -> None:
        body = self._body(kind.kind)
        if not isinstance(body, dict):
            raise BadRequest("the object provided is not a JSON object")
        spec = body.get("spec") or {}
        user = self.user_info
        if kind.kind in _REVIEWS:
            status = _REVIEWS[kind.kind](self, user, spec)
            self._send_json(201, {"kind": kind.kind, "apiVersion": kind.api_version,
                                  "metadata": {"creationTimestamp": None}, **({"spec": spec} if spec else {}),
                                  "status": status})
            return
        if kind.kind == "SubjectAccessReview":
            user = UserInfo(spec.get("user", ""), tuple(spec.get("groups") or ()))
        authz = self.k8s.api.authz
        ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if ra:
            allowed = authz.allowed(user, ra.get("verb", ""), ra.get("group", ""), ra.get("resource", ""),
                                    ra.get("namespace") or None, ra.get("name") or None,
                                    ra.get("subresource") or None)
        elif nra:
            allowed = authz.allowed_non_resource(user, nra.get("verb", ""), nra.get("path", ""))
        else:
            raise BadRequest("exactly one of nonResourceAttributes or resourceAttributes must be specified")
        out = {"kind": kind.kind, "apiVersion": kind.api_version, "metadata": {"creationTimestamp": None},
               "spec": spec, "status": {"allowed": allowed}}
        self._send_json(201, out)


def _self_subject_review(handler: APIRequestHandler, user: UserInfo, spec: dict[str, Any]) -> dict[str, Any]:
    """``kubectl auth whoami``: who the request authenticated as."""
    return {"userInfo": {"username": user.name, "groups": list(user.groups)}}


def _rules_review(handler: APIRequestHandler, user: UserInfo, spec: dict[str, Any]) -> dict[str, Any]:
    """``kubectl auth can-i --list``: every rule granted in ``spec.namespace``."""
    resource_rules, non_resource_rules = [], []
    for rule in handler.k8s.api.authz.rules_for(user, spec.get("namespace") or None):
        if rule.get("nonResourceURLs"):
            non_resource_rules.append({"verbs": list(rule.get("verbs") or []),
                                       "nonResourceURLs": list(rule["nonResourceURLs"])})
        else:
            entry = {"verbs": list(rule.get("verbs") or []), "apiGroups": list(rule.get("apiGroups") or []),
                     "resources": list(rule.get("resources") or [])}
            if rule.get("resourceNames"):
                entry["resourceNames"] = list(rule["resourceNames"])
            resource_rules.append(entry)
    return {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": False}


def _token_review(handler: APIRequestHandler, user: UserInfo, spec: dict[str, Any]) -> dict[str, Any]:
    """TokenReview: does this token authenticate, and as whom?"""
    if not handler.k8s.api.authz.allowed(user, "create", "authentication.k8s.io", "tokenreviews", None):
        raise Forbidden(forbidden_message(user, "create", "tokenreviews", "authentication.k8s.io", None, None))
    found = handler.k8s.auth.authenticate(f"Bearer {spec.get('token') or ''}")
    if found is None:
        return {"user": {}, "error": "[invalid bearer token, token lookup failed]"}
    return {"authenticated": True, "user": {"username": found.name, "groups": list(found.groups)},
            "audiences": list(spec.get("audiences") or ["https://kubernetes.default.svc.cluster.local"])}


_REVIEWS: dict[str, Callable[[APIRequestHandler, UserInfo, dict[str, Any]], dict[str, Any]]] = {
    "SelfSubjectReview": _self_subject_review,
    "SelfSubjectRulesReview": _rules_review,
    "TokenReview": _token_review,
}


class UnsupportedMediaType(APIError):
    code, reason = 415, "UnsupportedMediaType"


def _read_stdin(ws: websocket.WebSocket) -> bytes:
    """Channel 0 until the client closes it (v5's CLOSE message) or the connection."""
    data = b""
    while True:
        message = ws.receive()
        if message is None:
            return data
        _, payload = message
        if not payload:
            continue
        channel, rest = payload[0], payload[1:]
        if channel == websocket.STDIN:
            data += rest
        elif channel == websocket.CLOSE and rest[:1] == bytes([websocket.STDIN]):
            return data


def _exit_status(command: list[str], code: int) -> dict[str, Any]:
    """What channel 3 carries when the command ends: kubectl exits with the command's code."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {}, "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command "
                   f"[{' '.join(command)}], exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }
