"""kube-proxy's data path: requests/s and latency through a Service, beside the Pod's own port.

    python benchmarks/proxy.py [--runtime docker|sim|auto] [--mode iptables|ipvs]
                               [--requests 2000] [--seconds 10]

One k8sedu/web Pod behind a Service. Each request is a new TCP connection carrying
``GET / HTTP/1.0`` and read to the end (what ``wget`` does), sent either to ``c.url("service/web")``
(kube-proxy's listener, which relays to the Pod), straight to the Pod's published port on
127.0.0.1 (``direct``), or straight to the address kube-proxy itself connects to when that differs
(``pod-ip``: the Pod IP on Docker on Linux, which skips Docker's userland port proxy). With 1 client and with 32 concurrent clients (threads of a child process, so they do
not compete with the control plane for the interpreter lock); each run stops after ``--requests``
requests or ``--seconds`` seconds, whichever comes first. Everything stays on 127.0.0.1.

Targets (issue 5): through kube-proxy at least half the direct throughput, and under 1 ms added
at p50.

The last columns are CPU time per request during the run: ``kernel µs/req`` for this process (the
whole control plane, and kube-proxy's control loop turning each connection record into a flow
event) and ``relay µs/req`` for kube-proxy's relay process (k8sedu.proxy.relayproc: a selectors loop
over raw sockets). Unlike the wall-clock figures they hardly move when other programs load the
machine. Before the relay had its own process it ran in the kernel process, which spent ~450 µs
per proxied request and made the proxied requests wait for the control plane's interpreter lock.
``K8SEDU_PROXY_RELAY=thread`` runs the old in-process relay for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REQUEST = b"GET / HTTP/1.0\r\nHost: web\r\n\r\n"


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process *pid* so far (0 when unknown: no relay process)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[k]


def one_request(addr: tuple[str, int]) -> float:
    start = time.perf_counter()
    with socket.create_connection(addr, timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(REQUEST)
        got = 0
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += len(chunk)
    if got == 0:
        raise ConnectionError("empty reply")
    return time.perf_counter() - start


def run(addr: tuple[str, int], clients: int, requests: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()  # guards latencies, errors and the shared budget
    budget = [requests]
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            try:
                took = one_request(addr)
            except OSError:
                with lock:
                    errors += 1
                continue
            with lock:
                latencies.append(took)

    for _ in range(20):  # warm up (connections, caches)
        one_request(addr)
    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def run_elsewhere(addr: tuple[str, int], clients: int, requests: int, seconds: float) -> dict[str, float]:
    """:func:`run` in a child process, so the clients do not share the proxy's interpreter lock."""
    out = subprocess.run(
        [sys.executable, __file__, "--client", f"{addr[0]}:{addr[1]}", str(clients), str(requests), str(seconds)],
        check=True, capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--client":
        where, clients, requests, seconds = sys.argv[2:6]
        host, _, port = where.rpartition(":")
        print(json.dumps(run((host, int(port)), int(clients), int(requests), float(seconds))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", default="auto")
    parser.add_argument("--mode", default="iptables", choices=["iptables", "ipvs"])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = parser.parse_args(argv)

    from k8sedu import Cluster

    with Cluster(nodes=1, runtime=args.runtime, proxy_mode=args.mode, progress=False) as c:
        c.apply([
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                      "template": {"metadata": {"labels": {"app": "web"}},
                                   "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1",
                                                            "ports": [{"containerPort": 80}]}]}}}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
             "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
        ])
        c.wait("deployment/web", "Available", timeout=120)
        deadline = time.monotonic() + 30
        while not c.proxy.endpoints_for("default", "web"):
            if time.monotonic() > deadline:
                raise SystemExit("kube-proxy never saw the Pod's endpoint")
            time.sleep(0.05)
        proxied = int(c.url("service/web").rsplit(":", 1)[1])
        ep = c.proxy.endpoints_for("default", "web")[0]
        assert ep.host_port is not None and ep.reach is not None
        direct = ("127.0.0.1", ep.host_port)
        paths = [("direct", direct)]
        if ep.reach != direct:
            paths.append(("pod-ip", ep.reach))
        paths.append(("kube-proxy", ("127.0.0.1", proxied)))
        relay_pid = c.proxy.data._proc.pid if getattr(c.proxy.data, "_proc", None) else None
        print(f"runtime={c.runtime_name} mode={args.mode} relay={c.proxy.relay_mode} "
              f"requests<={args.requests} seconds<={args.seconds:g}")
        print(f"{'path':<12}{'clients':>8}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'kernel µs/req':>15}{'relay µs/req':>14}")
        results: dict[str, dict[str, float]] = {}
        for clients in (1, 32):
            for name, addr in paths:
                before, relay_before = os.times(), cpu_seconds(relay_pid)
                r = run_elsewhere(addr, clients, args.requests, args.seconds)
                after, relay_after = os.times(), cpu_seconds(relay_pid)
                cpu = (after.user - before.user) + (after.system - before.system)
                r["cpu_us_per_req"] = cpu / max(1, r["requests"]) * 1e6
                r["relay_cpu_us_per_req"] = (relay_after - relay_before) / max(1, r["requests"]) * 1e6
                results[f"{name}/{clients}"] = r
                print(f"{name:<12}{clients:>8}{int(r['requests']):>10}{int(r['errors']):>8}"
                      f"{r['rps']:>10.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['cpu_us_per_req']:>15.0f}"
                      f"{r['relay_cpu_us_per_req']:>14.0f}")
        for clients in (1, 32):
            d, p = results[f"direct/{clients}"], results[f"kube-proxy/{clients}"]
            ratio = p["rps"] / d["rps"] if d["rps"] else float("nan")
            added = p["p50_ms"] - d["p50_ms"]
            print(f"{clients:>2} client(s): throughput {ratio:.0%} of direct (target ≥ 50%), "
                  f"p50 added {added:.2f} ms (target < 1 ms)")
            if f"pod-ip/{clients}" in results:
                q = results[f"pod-ip/{clients}"]
                print(f"   against the Pod IP kube-proxy connects to: throughput "
                      f"{p['rps'] / q['rps'] if q['rps'] else float('nan'):.0%}, p50 added {p['p50_ms'] - q['p50_ms']:.2f} ms")
        if args.json:
            print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
