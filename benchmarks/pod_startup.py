"""Pod start-up latency: create-to-Running through the whole control plane, beside bare Docker.

    python benchmarks/pod_startup.py [--pods 30] [--rate 5] [--runtime docker|sim]

For each of N Pods created at R Pods/s, the time from the create request to the first watch event
that shows the Pod Running (apiserver → scheduler → kubelet → pause + app container → status).
Beside it, the time the same two containers take through the docker SDK alone (create + start of a
pause container and of the app container joining its network namespace).

Targets (issue 2): p50 within 1.5x of bare Docker; p99 under 1 s at 5 Pods/s.
Upstream's SLO for comparison: p99 <= 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[k]


def through_cluster(pods: int, rate: float, runtime: str) -> tuple[list[float], str]:
    from k8sedu import Cluster

    with Cluster(nodes=3, runtime=runtime, progress=False) as c:
        api = c.client
        assert api is not None
        start_rv = api.list("pods", "default")["metadata"]["resourceVersion"]
        watch = api.watch("pods", "default", resource_version=start_rv)
        created: dict[str, float] = {}
        running: dict[str, float] = {}
        done = threading.Event()

        def follow() -> None:
            for event in watch:
                name = event.object["metadata"]["name"]
                if name not in running and event.object.get("status", {}).get("phase") == "Running":
                    running[name] = time.perf_counter()
                    if len(running) == pods:
                        done.set()
                        return

        t = threading.Thread(target=follow, daemon=True)
        t.start()
        for i in range(pods):
            name = f"bench-{i}"
            created[name] = time.perf_counter()
            api.create("pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]},
            })
            time.sleep(1 / rate)
        done.wait(120)
        watch.stop()
        return [running[n] - created[n] for n in running], c.runtime_name


def bare_docker(pods: int, rate: float) -> list[float]:
    """The same two containers per Pod through the docker SDK alone, started at the same rate,
    each Pod on its own thread (as three kubelets would): what the engine itself allows."""
    import docker

    client = docker.from_env()
    tag = uuid.uuid4().hex[:8]
    label = {"k8sedu.bench": tag}
    times: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        t0 = time.perf_counter()
        pause = client.containers.create("k8sedu/pause", name=f"bench_POD_{i}_{tag}", labels=label, detach=True)
        pause.start()
        app = client.containers.create("k8sedu/web:v1", name=f"bench_web_{i}_{tag}", labels=label,
                                       network_mode=f"container:{pause.id}", detach=True)
        app.start()
        with lock:
            times.append(time.perf_counter() - t0)

    threads = []
    try:
        for i in range(pods):
            t = threading.Thread(target=one, args=(i,))
            t.start()
            threads.append(t)
            time.sleep(1 / rate)
        for t in threads:
            t.join(120)
    finally:
        for c in client.containers.list(all=True, filters={"label": f"k8sedu.bench={tag}"}):
            c.remove(force=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=30)
    parser.add_argument("--rate", type=float, default=5.0, help="Pods created per second")
    parser.add_argument("--runtime", default="docker", choices=["docker", "sim", "auto"])
    args = parser.parse_args()

    latencies, runtime = through_cluster(args.pods, args.rate, args.runtime)
    print(f"runtime: {runtime}, {len(latencies)}/{args.pods} Pods Running, {args.rate:g} Pods/s")
    print(f"{'':32}{'p50':>10}{'p99':>10}{'mean':>10}")
    row = lambda label, xs: print(  # noqa: E731
        f"{label:32}{percentile(xs, 50) * 1000:>8.0f}ms{percentile(xs, 99) * 1000:>8.0f}ms"
        f"{statistics.fmean(xs) * 1000:>8.0f}ms"
    )
    row("create → Running (k8sedu)", latencies)
    if runtime == "docker":
        bare = bare_docker(args.pods, args.rate)
        row("pause + app (docker SDK alone)", bare)
        ratio = percentile(latencies, 50) / percentile(bare, 50)
        print(f"p50 ratio k8sedu / bare docker: {ratio:.2f}x (target <= 1.5x)")
    print(f"p99 {'meets' if percentile(latencies, 99) < 1.0 else 'misses'} the 1 s target "
          f"(upstream SLO: 5 s)")


if __name__ == "__main__":
    main()
