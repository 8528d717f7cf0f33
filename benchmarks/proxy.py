"""kube-proxy's data path: requests/s and latency through a Service, beside the Pod's own port.

    python benchmarks/proxy.py [--runtime docker|sim|auto] [--mode iptables|ipvs]
                               [--requests 2000] [--seconds 10]

One k8sedu/web Pod behind a Service. Each request is a new TCP connection carrying
``GET / HTTP/1.0`` and read to the end (what ``wget`` does), sent either to ``c.url("service/web")``
(kube-proxy's listener, which relays to the Pod) or straight to the Pod's published port on
127.0.0.1. With 1 client and with 32 concurrent clients (threads of a child process, so they do
not compete with the control plane for the interpreter lock); each run stops after ``--requests``
requests or ``--seconds`` seconds, whichever comes first. Everything stays on 127.0.0.1.

Targets (issue 5): through kube-proxy at least half the direct throughput, and under 1 ms added
at p50.

The last column, ``cpu µs/req``, is the CPU time this process (the whole control plane with
kube-proxy's relay) spent per request during the run: unlike the wall-clock figures it hardly moves
when other programs load the machine, so it is the one to compare relay implementations with.
The relay is a selectors loop over raw sockets (k8sedu.proxy.relay); the asyncio-transport relay
it replaced cost about twice the CPU per connection (~290 vs ~155 µs measured with a local
backend, 16 clients) and added 4–5 ms at p50 with 16 clients, against ~1.5–2 ms now.
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[k]


def one_request(port: int) -> float:
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
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


def run(port: int, clients: int, requests: int, seconds: float) -> dict[str, float]:
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
                took = one_request(port)
            except OSError:
                with lock:
                    errors += 1
                continue
            with lock:
                latencies.append(took)

    for _ in range(20):  # warm up (connections, caches)
        one_request(port)
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


def run_elsewhere(port: int, clients: int, requests: int, seconds: float) -> dict[str, float]:
    """:func:`run` in a child process, so the clients do not share the proxy's interpreter lock."""
    out = subprocess.run(
        [sys.executable, __file__, "--client", str(port), str(clients), str(requests), str(seconds)],
        check=True, capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--client":
        port, clients, requests, seconds = sys.argv[2:6]
        print(json.dumps(run(int(port), int(clients), int(requests), float(seconds))))
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
        direct = c.proxy.endpoints_for("default", "web")[0].host_port
        assert direct is not None
        print(f"runtime={c.runtime_name} mode={args.mode} requests<={args.requests} seconds<={args.seconds:g}")
        print(f"{'path':<12}{'clients':>8}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'cpu µs/req':>12}")
        results: dict[str, dict[str, float]] = {}
        for clients in (1, 32):
            for name, port in (("direct", direct), ("kube-proxy", proxied)):
                before = os.times()
                r = run_elsewhere(port, clients, args.requests, args.seconds)
                after = os.times()
                cpu = (after.user - before.user) + (after.system - before.system)
                r["cpu_us_per_req"] = cpu / max(1, r["requests"]) * 1e6
                results[f"{name}/{clients}"] = r
                print(f"{name:<12}{clients:>8}{int(r['requests']):>10}{int(r['errors']):>8}"
                      f"{r['rps']:>10.0f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}{r['cpu_us_per_req']:>12.0f}")
        for clients in (1, 32):
            d, p = results[f"direct/{clients}"], results[f"kube-proxy/{clients}"]
            ratio = p["rps"] / d["rps"] if d["rps"] else float("nan")
            added = p["p50_ms"] - d["p50_ms"]
            print(f"{clients:>2} client(s): throughput {ratio:.0%} of direct (target ≥ 50%), "
                  f"p50 added {added:.2f} ms (target < 1 ms)")
        if args.json:
            print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
