"""The Ingress controller: one HTTP proxy on 127.0.0.1 that routes by host and path to Services.

An Ingress is only a routing table in etcd; something must read it and serve HTTP. In a real cluster
that is an Ingress controller such as ingress-nginx, running in a Pod. Ours runs in the kernel, as
the user ``system:serviceaccount:ingress-nginx:ingress-nginx``, and like any controller it talks to
the apiserver only (it watches Ingresses, IngressClasses and Services; it writes Ingress status)::

    GET http://127.0.0.1:<port>/api/x   Host: b.example.com
      │ 1. host:  exact host  >  wildcard (*.example.com, one label)  >  rules without host
      │ 2. path:  the longest matching path; on a tie Exact beats Prefix
      │           Prefix /foo matches /foo, /foo/ and /foo/bar (element by element), not /foobar
      │ 3. none:  the Ingress's spec.defaultBackend, else 404 (ingress-nginx's default backend)
      ▼
    Service b:80 ──▶ kube-proxy's listener for it ──▶ a ready Pod     (flow event per request)

Like ingress-nginx with ``service-upstream``, requests go to the Service (through kube-proxy), so
kube-proxy's own load balancing picks the Pod. A backend Service that does not exist, or has no
ready endpoint, answers ``503 Service Temporarily Unavailable``, as ingress-nginx does; the
apiserver never refuses such an Ingress.

One annotation is honoured, because tutorials use it everywhere: ``nginx.ingress.kubernetes.io/
rewrite-target``. As in ingress-nginx, the Ingress's paths then become case-insensitive regular
expressions anchored at the start (``/b`` matches ``/bx`` too), and the URI sent on is the target
with ``$1``, ``$2``… taken from the path's groups (``/b(/|$)(.*)`` with ``/$2``).

Ingress classes: an Ingress is served when it names no class, the class ``k8sedu`` or ``nginx``, or
an IngressClass whose ``spec.controller`` is ours (``k8sedu.io/ingress-controller``) or
``k8s.io/ingress-nginx``. Simplifications: no TLS, no annotations (rewrite-target…), each request
opens a new connection to the Service.
"""

from __future__ import annotations

import copy
import http.client
import logging
import queue
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..apiserver.rbac import INGRESS_CONTROLLER
from ..client import Client, InformerFactory, WorkQueue
from ..client.worker import Worker
from ..errors import NotFound

__all__ = [
    "COMPONENT",
    "CONTROLLER_NAME",
    "IngressController",
    "Route",
    "Match",
    "routes_of",
    "match",
    "prefix_matches",
    "host_matches",
    "served_by_us",
    "error_page",
    "rewritten",
    "REWRITE_TARGET",
    "INGRESS_CONTROLLER",
]

log = logging.getLogger(__name__)

COMPONENT = "ingress-controller"
CONTROLLER_NAME = "k8sedu.io/ingress-controller"
REWRITE_TARGET = "nginx.ingress.kubernetes.io/rewrite-target"
_OUR_CLASSES = {"k8sedu", "nginx"}
_OUR_CONTROLLERS = {CONTROLLER_NAME, "k8s.io/ingress-nginx"}
_LB_STATUS = [{"ip": "127.0.0.1"}]
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
               "transfer-encoding", "upgrade", "content-length", "proxy-connection"}
_UPSTREAM_TIMEOUT = 60.0  # proxy_read_timeout of ingress-nginx

Obj = dict[str, Any]

#: nginx's reason phrases, which differ from Python's for 503
_REASONS = {404: "Not Found", 502: "Bad Gateway", 503: "Service Temporarily Unavailable"}


def error_page(code: int) -> str:
    """The page nginx (and so ingress-nginx) answers with for *code*."""
    title = f"{code} {_REASONS.get(code, '')}".rstrip()
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


# -- routing: pure functions of the Ingresses -----------------------------------------------------
@dataclass(frozen=True)
class Route:
    """One path of one rule (``rule`` = -1 and ``path_type`` = "" for an Ingress's defaultBackend)."""

    namespace: str
    ingress: str
    rule: int
    path_index: int
    host: str
    path: str
    path_type: str
    service: str
    port: int | str
    rewrite: str = ""  # nginx.ingress.kubernetes.io/rewrite-target: the path is then a regular expression

    @property
    def label(self) -> str:
        if self.rule < 0:
            return f"{self.namespace}/{self.ingress} spec.defaultBackend"
        return f"{self.namespace}/{self.ingress} spec.rules[{self.rule}].http.paths[{self.path_index}]"


@dataclass(frozen=True)
class Match:
    route: Route | None  # None: nothing matched and there is no default backend (404)
    reason: str  # "rule" | "defaultBackend" | "none"


def _backend(namespace: str, name: str, rule: int, index: int, host: str, path: str, path_type: str,
             backend: Obj, rewrite: str = "") -> Route | None:
    svc = backend.get("service")
    if not svc:
        return None  # resource backends are not served
    port = svc.get("port") or {}
    return Route(namespace, name, rule, index, host, path, path_type, svc.get("name") or "",
                 port.get("number") or port.get("name") or 0, rewrite)


def served_by_us(ing: Obj, classes: dict[str, Obj]) -> bool:
    """Whether this controller serves *ing* (by ``spec.ingressClassName`` and the IngressClasses)."""
    name = (ing.get("spec") or {}).get("ingressClassName") or (
        (ing["metadata"].get("annotations") or {}).get("kubernetes.io/ingress.class"))
    if not name or name in _OUR_CLASSES:
        return True
    ic = classes.get(name)
    return ic is not None and (ic.get("spec") or {}).get("controller") in _OUR_CONTROLLERS


def routes_of(ingresses: list[Obj]) -> tuple[list[Route], list[Route]]:
    """(path routes, default backends), oldest Ingress first (ingress-nginx's order on conflicts)."""
    paths: list[Route] = []
    defaults: list[Route] = []
    order = sorted(ingresses, key=lambda i: (i["metadata"].get("creationTimestamp") or "",
                                             i["metadata"].get("namespace", ""), i["metadata"]["name"]))
    for ing in order:
        ns, name = ing["metadata"].get("namespace", "default"), ing["metadata"]["name"]
        spec = ing.get("spec") or {}
        rewrite = (ing["metadata"].get("annotations") or {}).get(REWRITE_TARGET) or ""
        if spec.get("defaultBackend"):
            route = _backend(ns, name, -1, -1, "", "", "", spec["defaultBackend"], rewrite)
            if route:
                defaults.append(route)
        for i, rule in enumerate(spec.get("rules") or []):
            host = (rule.get("host") or "").lower()
            for j, p in enumerate((rule.get("http") or {}).get("paths") or []):
                route = _backend(ns, name, i, j, host, p.get("path") or "/", p.get("pathType") or "",
                                   p.get("backend") or {}, rewrite)
                if route:
                    paths.append(route)
    return paths, defaults


def host_matches(rule_host: str, host: str) -> bool:
    """``""`` matches any host; ``*.foo.com`` matches ``bar.foo.com`` but not ``foo.com`` or ``a.bar.foo.com``."""
    if not rule_host:
        return True
    if rule_host.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label) and bool(dot) and rest == rule_host[2:]
    return rule_host == host


def _elements(path: str) -> list[str]:
    return [e for e in path.split("/") if e]


def prefix_matches(prefix: str, path: str) -> bool:
    """Upstream's Prefix: element-wise, trailing slash ignored (``/foo`` matches ``/foo/bar``, not ``/foobar``)."""
    want = _elements(prefix)
    return _elements(path)[:len(want)] == want


def _regex(route: Route) -> re.Pattern[str] | None:
    try:
        return re.compile(route.path, re.IGNORECASE)
    except re.error:
        return None


def _path_matches(route: Route, path: str) -> bool:
    if route.rewrite and (rx := _regex(route)) is not None:
        return rx.match(path) is not None  # ingress-nginx: location ~* "^<path>"
    if route.path_type == "Exact":
        return route.path == path
    return prefix_matches(route.path, path)  # Prefix, and ImplementationSpecific treated as Prefix


def _host_rank(rule_host: str) -> int:
    return 0 if not rule_host else (1 if rule_host.startswith("*.") else 2)


def match(paths: list[Route], defaults: list[Route], host: str, path: str) -> Match:
    """The route of a request for *host* (no port, lower case) and *path* (no query)."""
    candidates = [r for r in paths if host_matches(r.host, host)]
    if candidates:
        best_host = max(candidates, key=lambda r: (_host_rank(r.host), len(r.host))).host
        candidates = [r for r in candidates if r.host == best_host]
    hits = [r for r in candidates if _path_matches(r, path)]
    if hits:
        # longest path first; on a tie Exact before Prefix; then the older Ingress (stable order)
        best = max(hits, key=lambda r: (len(r.path.rstrip("/") or "/"), r.path_type == "Exact"))
        return Match(best, "rule")
    owners = {(r.namespace, r.ingress) for r in candidates}
    for d in [d for d in defaults if (d.namespace, d.ingress) in owners] + defaults:
        return Match(d, "defaultBackend")
    return Match(None, "none")


def rewritten(route: Route, target: str) -> str:
    """The URI sent to the backend: *target* (path?query) unchanged, or rewritten as
    ``rewrite "(?i)<path>" <rewrite-target> break;`` does ($1, $2… are the path's groups)."""
    path, q, query = target.partition("?")
    rx = _regex(route) if route.rewrite else None
    m = rx.match(path) if rx is not None else None
    if m is None:
        return target

    def group(g: re.Match[str]) -> str:
        n = int(g.group(1))
        return (m.group(n) or "") if n <= len(m.groups()) else ""

    new = re.sub(r"\$(\d)", group, route.rewrite)
    return new + q + query


def _split_host(header: str) -> str:
    header = header.strip().lower()
    if header.startswith("["):  # [::1]:8080
        return header[: header.find("]") + 1]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


# -- the controller ----------------------------------------------------------------------------------
class IngressController:
    """Serves every Ingress of the cluster on one 127.0.0.1 port (``port``), through kube-proxy."""

    def __init__(self, client: Client, proxy: Any, port: int = 0) -> None:
        self.client = client
        self.proxy = proxy  # kube-proxy: port_for(ns, name, port), endpoints_for(ns, name, port)
        self.informers = InformerFactory(client)
        self.ingresses = self.informers.informer("ingresses")
        self.classes = self.informers.informer("ingressclasses")
        self.services = self.informers.informer("services")
        self.queue = WorkQueue(client.clock, "ingress")
        self.worker = Worker("ingress-status", self.queue, self._sync_status)
        self.ingresses.add_handler(self._enqueue, lambda _old, new: self._enqueue(new), None)
        self.classes.add_handler(self._enqueue_all, lambda _old, _new: self._enqueue_all(None),
                                 self._enqueue_all)
        self._requested_port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._flow_queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._flow_thread = threading.Thread(target=self._flow_loop, name="ingress-flow", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> IngressController:
        if self._server is not None:
            return self
        self.informers.start()
        if not self.informers.wait_synced(timeout):
            raise TimeoutError(f"ingress controller: informer caches did not sync within {timeout} s")
        self._server = ThreadingHTTPServer(("127.0.0.1", self._requested_port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ingress-http", daemon=True)
        self._thread.start()
        self._flow_thread.start()
        self.worker.start()
        self._enqueue_all(None)
        return self

    def stop(self) -> None:
        self.worker.stop()
        self.informers.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._flow_queue.put(None)
            self._flow_thread.join(timeout=5)
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the ingress controller is not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- what it serves ---------------------------------------------------------------------------
    def served(self) -> list[Obj]:
        classes = {c["metadata"]["name"]: c for c in self.classes.list()}
        return [i for i in self.ingresses.list() if served_by_us(i, classes)]

    def routes(self) -> tuple[list[Route], list[Route]]:
        return routes_of(self.served())

    def route(self, host: str, path: str) -> Match:
        paths, defaults = self.routes()
        return match(paths, defaults, _split_host(host), path.split("?", 1)[0])

    # -- status: status.loadBalancer.ingress = [{ip: 127.0.0.1}] ------------------------------------
    def _enqueue(self, ing: Obj) -> None:
        self.queue.add(f"{ing['metadata'].get('namespace', 'default')}/{ing['metadata']['name']}")

    def _enqueue_all(self, _obj: Any) -> None:
        for ing in self.ingresses.list():
            self._enqueue(ing)

    def _sync_status(self, key: Any) -> None:
        ing = self.ingresses.get(str(key))
        if ing is None:
            return
        classes = {c["metadata"]["name"]: c for c in self.classes.list()}
        want = _LB_STATUS if served_by_us(ing, classes) else []
        have = ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if have == want or (not want and not have):
            return
        new = copy.deepcopy(ing)
        new.setdefault("status", {})["loadBalancer"] = {"ingress": copy.deepcopy(want)} if want else {}
        try:
            self.client.update_status("ingresses", new)
        except NotFound:
            pass

    # -- the data path ------------------------------------------------------------------------------
    def backend_port(self, route: Route) -> tuple[int | None, str]:
        """kube-proxy's local port for the route's Service port, or (None, why it is unavailable)."""
        svc = self.services.get(f"{route.namespace}/{route.service}")
        if svc is None:
            return None, f'service "{route.namespace}/{route.service}" does not exist'
        ports = (svc.get("spec") or {}).get("ports") or []
        sp = next((p for p in ports if route.port in (p.get("port"), p.get("name"))), None)
        if sp is None:
            return None, f'service "{route.namespace}/{route.service}" does not have port {route.port}'
        if not self.proxy.endpoints_for(route.namespace, route.service, int(sp["port"])):
            return None, f'service "{route.namespace}/{route.service}" has no ready endpoints'
        local = self.proxy.port_for(route.namespace, route.service, int(sp["port"]))
        if local is None:
            return None, f'kube-proxy has no listener for "{route.namespace}/{route.service}" yet'
        return int(local), ""

    def _flow_loop(self) -> None:
        while True:
            item = self._flow_queue.get()
            if item is None:
                return
            try:
                self._record(*item)
            except Exception:
                log.exception("ingress controller: recording a flow event failed")

    def _record(self, method: str, host: str, path: str, m: Match, status: int, why: str,
                client: str) -> None:
        flow = self.client.apiserver.flow
        detail: dict[str, Any] = {"client": client, "host": host, "path": path, "status": status,
                                  "match": m.reason}
        if m.route is None:
            flow.record(COMPONENT, "default-backend", f"{method} {path}", None,
                        explain=f"没有 Ingress 规则匹配主机 {host or '（空）'} 和路径 {path}，"
                                f"也没有默认后端（defaultBackend），返回 404（ingress-nginx 的默认后端页面）。",
                        **detail, rule=None, service=None)
            return
        r = m.route
        ing_ref = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                   "metadata": {"name": r.ingress, "namespace": r.namespace}}
        rule = {"ingress": f"{r.namespace}/{r.ingress}", "field": r.label, "host": r.host or "*",
                "path": r.path, "pathType": r.path_type}
        if m.reason == "rule":
            kind = {"Exact": "精确匹配（Exact）", "Prefix": "前缀匹配（Prefix，按路径段逐段比较）"}.get(
                r.path_type, "ImplementationSpecific（这里按前缀匹配处理）")
            host_zh = f"主机 {r.host}" if r.host else "任意主机"
            chosen = f"命中 Ingress {r.namespace}/{r.ingress} 的规则（{host_zh}，路径 {r.path}，{kind}）"
        else:
            chosen = f"没有规则匹配，使用 Ingress {r.namespace}/{r.ingress} 的默认后端（spec.defaultBackend）"
        if status == 503:
            tail = f"，但 {why}，返回 503 Service Temporarily Unavailable（与 ingress-nginx 相同）。"
        elif status == 502:
            tail = f"，但连接后端失败（{why}），返回 502 Bad Gateway。"
        else:
            tail = f"，请求转发给 Service {r.service}:{r.port}（经 kube-proxy 选出一个就绪的 Pod），响应 {status}。"
        flow.record(COMPONENT, f"service/{r.service}", f"{method} {path}", ing_ref,
                    explain=f"请求 {host or '（无 Host）'}{path}：{chosen}{tail}",
                    **detail, rule=rule, service=f"{r.namespace}/{r.service}", port=r.port)


def _handler(controller: IngressController) -> type[BaseHTTPRequestHandler]:
    class Handler(_ProxyHandler):
        ctl = controller

    return Handler


class _ProxyHandler(BaseHTTPRequestHandler):
    """One request: route it, forward it to the Service's kube-proxy listener, relay the answer."""

    ctl: IngressController
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "k8sedu-ingress"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        log.debug("ingress: " + format, *args)

    def do_GET(self) -> None:
        self._proxy()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _proxy(self) -> None:
        body = self._read_body()
        raw_host = self.headers.get("Host") or ""
        host = _split_host(raw_host)
        path = self.path.split("?", 1)[0]
        ctl = self.ctl
        m = ctl.route(raw_host, self.path)
        client = f"{self.client_address[0]}:{self.client_address[1]}"
        if m.route is None:
            self._error(404)
            ctl._flow_queue.put((self.command, host, path, m, 404, "", client))
            return
        local, why = ctl.backend_port(m.route)
        if local is None:
            self._error(503)
            ctl._flow_queue.put((self.command, host, path, m, 503, why, client))
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers.update({"X-Real-IP": self.client_address[0], "X-Forwarded-For": self.client_address[0],
                        "X-Forwarded-Host": raw_host, "X-Forwarded-Port": str(ctl.port),
                        "X-Forwarded-Proto": "http", "X-Scheme": "http"})
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        conn = http.client.HTTPConnection("127.0.0.1", local, timeout=_UPSTREAM_TIMEOUT)
        try:
            conn.request(self.command, rewritten(m.route, self.path), body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as e:
            self._error(502)
            ctl._flow_queue.put((self.command, host, path, m, 502, type(e).__name__, client))
            return
        finally:
            conn.close()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in _HOP_BY_HOP and k.lower() not in ("server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        ctl._flow_queue.put((self.command, host, path, m, resp.status, "", client))

    def _error(self, code: int) -> None:
        page = error_page(code).encode()
        self.send_response(code, _REASONS[code])
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page)
