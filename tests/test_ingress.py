"""The Ingress controller: routing by host and path, default backend, 404/503, status and flow events."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import pytest
from _waits import eventually

from k8sedu import Cluster
from k8sedu.errors import KubectlError
from k8sedu.proxy.ingress import (
    Route,
    error_page,
    host_matches,
    match,
    prefix_matches,
    rewritten,
    routes_of,
)

REWRITE = {"nginx.ingress.kubernetes.io/rewrite-target": "/"}


def _deploy(name: str, replicas: int = 1) -> list[dict[str, Any]]:
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}},
                               "spec": {"terminationGracePeriodSeconds": 1,
                                        "containers": [{"name": "web", "image": "k8sedu/web:v1",
                                                        "ports": [{"containerPort": 80}]}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
         "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 80}]}},
    ]


def _path(path: str, service: str, path_type: str = "Prefix", port: Any = 80) -> dict[str, Any]:
    key = "number" if isinstance(port, int) else "name"
    return {"path": path, "pathType": path_type, "backend": {"service": {"name": service, "port": {key: port}}}}


def _ingress(name: str, rules: list[dict[str, Any]], annotations: dict[str, str] | None = None,
             **spec: Any) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name}
    if annotations:
        md["annotations"] = annotations
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": md,
            "spec": {"rules": rules, **spec} if rules else spec}


def _get(c: Cluster, host: str, path: str = "/") -> tuple[int, str, dict[str, str]]:
    port = int(c.url("ingress").rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, resp.read().decode(), {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def _hostname(body: str) -> str:
    first = body.split()[0] if body.split() else ""
    return first.removeprefix("hostname=") if first.startswith("hostname=") else ""


def _start(runtime: str) -> Cluster:
    c = Cluster(nodes=2, runtime=runtime, progress=False)
    c.start()
    c.apply(_deploy("alpha") + _deploy("beta"))
    c.wait("deployment/alpha", "Available", timeout=90)
    c.wait("deployment/beta", "Available", timeout=90)
    eventually(lambda: c.proxy.endpoints_for("default", "alpha") and c.proxy.endpoints_for("default", "beta"))
    return c


@pytest.fixture(scope="module")
def sim() -> Iterator[Cluster]:
    c = _start("sim")
    try:
        yield c
    finally:
        c.stop()


def _two_hosts(c: Cluster) -> None:
    c.apply(_ingress("demo", [
        {"host": "a.k8sedu.test", "http": {"paths": [_path("/", "alpha"), _path("/b", "beta")]}},
        {"host": "b.k8sedu.test", "http": {"paths": [_path("/", "beta"), _path("/a", "alpha", port="http")]}},
    ], REWRITE))


def _check_two_hosts(c: Cluster) -> None:
    expect = {("a.k8sedu.test", "/"): "alpha", ("a.k8sedu.test", "/b/x"): "beta",
              ("a.k8sedu.test:8080", "/zzz"): "alpha",  # the Host header's port is ignored
              ("b.k8sedu.test", "/"): "beta", ("B.K8sedu.Test", "/a"): "alpha", ("b.k8sedu.test", "/x"): "beta"}
    eventually(lambda: _hostname(_get(c, "a.k8sedu.test", "/b/x")[1]).startswith("beta-"))
    for (host, path), deployment in expect.items():
        # A Pod without a readiness probe is Ready once its container starts, maybe before its
        # server listens (as upstream): until then the relay's connection is refused (502).
        status, body, _ = eventually(lambda h=host, p=path: (r := _get(c, h, p))[0] != 502 and r,
                                     what=f"{host}{path} served")
        assert status == 200, (host, path, body)
        pod = _hostname(body)
        owners = {p["metadata"]["name"] for p in c.get("pods", selector=f"app={deployment}")}
        assert pod in owners, (host, path, pod, owners)


# -- sim: fast -----------------------------------------------------------------------------------------
def test_two_hosts_and_two_paths_route_to_the_right_service(sim: Cluster) -> None:
    _two_hosts(sim)
    try:
        _check_two_hosts(sim)
        ing = eventually(lambda: (sim.get("ingress/demo").get("status") or {}).get("loadBalancer", {}).get("ingress")
                         and sim.get("ingress/demo"))
        assert ing["status"]["loadBalancer"]["ingress"] == [{"ip": "127.0.0.1"}]
        assert "127.0.0.1" in sim.kubectl("get ingress demo")
        # an unknown host: no rule and no default backend -> ingress-nginx's 404 page
        status, body, _ = _get(sim, "nobody.k8sedu.test")
        assert status == 404
        assert body == error_page(404)
        assert "<center><h1>404 Not Found</h1></center>" in body
    finally:
        sim.delete("ingress/demo", wait=True)


def test_default_backend_takes_unmatched_requests(sim: Cluster) -> None:
    sim.apply(_ingress("catch", [], REWRITE, defaultBackend={"service": {"name": "beta", "port": {"number": 80}}}))
    sim.apply(_ingress("only-d", [{"host": "d.k8sedu.test", "http": {"paths": [_path("/", "alpha", "Exact")]}}]))
    try:
        eventually(lambda: _hostname(_get(sim, "unknown.example")[1]).startswith("beta-"))
        eventually(lambda: _hostname(_get(sim, "d.k8sedu.test", "/")[1]).startswith("alpha-"))
        # the host matches but the Exact path does not: the default backend answers
        status, body, _ = _get(sim, "d.k8sedu.test", "/other")
        assert status == 200 and _hostname(body).startswith("beta-")
    finally:
        sim.delete("ingress/catch", wait=True)
        sim.delete("ingress/only-d", wait=True)
        eventually(lambda: _get(sim, "unknown.example")[0] == 404)  # the controller saw it go


def test_exact_and_prefix_on_a_live_request(sim: Cluster) -> None:
    sim.apply(_ingress("paths", [{"host": "p.k8sedu.test", "http": {"paths": [
        _path("/foo", "alpha", "Prefix"), _path("/exact", "beta", "Exact")]}}]))
    try:
        # routed: the Pod's own 404 page (busybox httpd), not the controller's
        eventually(lambda: _get(sim, "p.k8sedu.test", "/foo/bar")[1] != error_page(404))
        seen = sim.flow.events()[-1].seq
        got = {p: _get(sim, "p.k8sedu.test", p)[:2] for p in ("/foo/bar", "/foobar", "/exact", "/exact/")}
        assert got["/foo/bar"][1] != error_page(404)
        assert got["/foobar"] == (404, error_page(404))  # /foo is a prefix by path elements only
        assert got["/exact/"] == (404, error_page(404))  # Exact: not even a trailing slash
        assert got["/exact"][1] != error_page(404)

        def ingress_events() -> list[Any]:
            return [e for e in sim.flow.events(since_seq=seen) if e.src == "ingress-controller"]

        by_path = {e.detail["path"]: e for e in eventually(lambda: len(ingress_events()) >= 4 and ingress_events())}
        assert by_path["/foo/bar"].dst == "service/alpha"
        assert by_path["/foo/bar"].detail["rule"]["pathType"] == "Prefix"
        assert "前缀匹配" in by_path["/foo/bar"].explain
        assert by_path["/foobar"].dst == "default-backend" and by_path["/foobar"].detail["status"] == 404
        assert by_path["/exact"].dst == "service/beta"
        assert by_path["/exact"].detail["host"] == "p.k8sedu.test"
        assert by_path["/exact"].detail["rule"]["field"] == "default/paths spec.rules[0].http.paths[1]"
        assert "精确匹配" in by_path["/exact"].explain
    finally:
        sim.delete("ingress/paths", wait=True)


def test_missing_service_is_accepted_and_answers_503(sim: Cluster) -> None:
    sim.apply(_ingress("ghost", [{"host": "ghost.k8sedu.test", "http": {"paths": [_path("/", "nosuch")]}}]))
    try:
        status, body, _ = eventually(lambda: (r := _get(sim, "ghost.k8sedu.test")) and r[0] == 503 and r)
        assert "503 Service Temporarily Unavailable" in body
        ev = eventually(lambda: [e for e in sim.flow.events() if e.src == "ingress-controller"
                                 and e.dst == "service/nosuch"])
        assert ev[-1].detail["status"] == 503 and "503" in ev[-1].explain
    finally:
        sim.delete("ingress/ghost", wait=True)


def test_another_ingress_class_is_ignored(sim: Cluster) -> None:
    sim.apply({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "other"},
               "spec": {"controller": "example.com/other"}})
    sim.apply(_ingress("theirs", [{"host": "t.k8sedu.test", "http": {"paths": [_path("/", "alpha")]}}],
                       ingressClassName="other"))
    sim.apply(_ingress("ours", [{"host": "o.k8sedu.test", "http": {"paths": [_path("/", "alpha")]}}],
                       ingressClassName="k8sedu"))
    try:
        eventually(lambda: _get(sim, "o.k8sedu.test")[0] == 200)
        assert _get(sim, "t.k8sedu.test")[0] == 404
        assert not (sim.get("ingress/theirs").get("status") or {}).get("loadBalancer", {}).get("ingress")
    finally:
        for ref in ("ingress/theirs", "ingress/ours", "ingressclass/other"):
            sim.delete(ref, wait=True)


def test_validation_messages_as_upstream(sim: Cluster) -> None:
    bad = _ingress("bad", [{"host": "*", "http": {"paths": [
        {"path": "/x", "backend": {"service": {"name": "alpha", "port": {"number": 80}}}},
        _path("foo", "alpha"), _path("/a//b", "alpha", "Exact"), _path("/", "alpha", "Regex")]}}])
    with pytest.raises(KubectlError) as e:
        sim.apply(bad)
    text = str(e.value)
    assert 'The Ingress "bad" is invalid' in text
    assert "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified" in text
    assert 'spec.rules[0].http.paths[1].path: Invalid value: "foo": must be an absolute path' in text
    assert "spec.rules[0].http.paths[2].path: Invalid value: \"/a//b\": must not contain '//'" in text
    assert ('spec.rules[0].http.paths[3].pathType: Unsupported value: "Regex": supported values: '
            '"Exact", "ImplementationSpecific", "Prefix"') in text
    assert ("spec.rules[0].host: Invalid value: \"*\": a wildcard DNS-1123 subdomain must start with '*.'"
            in text)
    with pytest.raises(KubectlError) as e:
        sim.apply({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "empty"},
                   "spec": {}})
    assert "either `defaultBackend` or `rules` must be specified" in str(e.value)
    with pytest.raises(KubectlError) as e:
        sim.apply(_ingress("ip", [{"host": "10.0.0.1", "http": {"paths": [_path("/", "alpha")]}}]))
    assert 'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address' in str(e.value)


# -- pure routing ------------------------------------------------------------------------------------
def test_prefix_matches_element_by_element() -> None:
    assert prefix_matches("/foo", "/foo")
    assert prefix_matches("/foo", "/foo/")
    assert prefix_matches("/foo", "/foo/bar")
    assert prefix_matches("/foo/", "/foo")
    assert not prefix_matches("/foo", "/foobar")
    assert not prefix_matches("/foo/bar", "/foo/barbaz")
    assert prefix_matches("/", "/anything/at/all")


def test_host_matching_and_precedence() -> None:
    assert host_matches("*.foo.com", "bar.foo.com")
    assert not host_matches("*.foo.com", "foo.com")
    assert not host_matches("*.foo.com", "baz.bar.foo.com")
    assert host_matches("", "whatever")
    ing = _ingress("x", [
        {"http": {"paths": [_path("/", "any")]}},
        {"host": "*.foo.com", "http": {"paths": [_path("/", "wild")]}},
        {"host": "a.foo.com", "http": {"paths": [_path("/", "exact-host"), _path("/long/er", "longer"),
                                                 _path("/long", "exact-path", "Exact"),
                                                 _path("/long", "prefix-path", "Prefix")]}},
    ])
    ing["metadata"]["namespace"] = "default"
    paths, defaults = routes_of([ing])

    def svc(host: str, path: str) -> str | None:
        r = match(paths, defaults, host, path).route
        return r.service if r else None

    assert svc("a.foo.com", "/") == "exact-host"
    assert svc("b.foo.com", "/") == "wild"
    assert svc("other.org", "/") == "any"
    assert svc("a.foo.com", "/long/er/x") == "longer"      # the longest path wins
    assert svc("a.foo.com", "/long") == "exact-path"       # a tie: Exact before Prefix
    assert svc("a.foo.com", "/long/x") == "prefix-path"


def test_rewrite_target() -> None:
    r = Route("default", "x", 0, 0, "", "/b(/|$)(.*)", "ImplementationSpecific", "beta", 80, "/$2")
    assert rewritten(r, "/b/x/y?q=1") == "/x/y?q=1"
    assert rewritten(Route("default", "x", 0, 0, "", "/b", "Prefix", "beta", 80, "/"), "/b/z") == "/"
    assert rewritten(Route("default", "x", 0, 0, "", "/b", "Prefix", "beta", 80), "/b/z") == "/b/z"


# -- docker: the same on real containers ----------------------------------------------------------------
@pytest.mark.docker
def test_two_hosts_on_docker(docker_required: None) -> None:
    c = _start("docker")
    try:
        _two_hosts(c)
        _check_two_hosts(c)
        status, body, _ = _get(c, "unknown.k8sedu.test")
        assert status == 404 and body == error_page(404)
        events = [e for e in c.flow.events() if e.src == "ingress-controller" and e.detail.get("status") == 200]
        assert {e.dst for e in events} >= {"service/alpha", "service/beta"}
    finally:
        c.stop()
