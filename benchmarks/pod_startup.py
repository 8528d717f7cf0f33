"""Pod start-up latency: create-to-Running through the whole control plane, beside bare Docker.

    python benchmarks/pod_startup.py [--pods 30] [--rate 5] [--runtime docker|sim] [--sequential 5]

For each of N Pods created at R Pods/s, the time from the create request to the first watch event
that shows the Pod Running (apiserver → scheduler → kubelet → pause + app container → status).
Beside it, the time the same two containers take through the docker SDK alone (create + start of a
pause container and of the app container joining its network namespace).

Two more docker rows, to tell the control plane's share from the engine's:

- *same engine options*: bare docker again, but with what k8sedu's containers need (a user bridge
  network per cluster, shareable IPC, the kubelet's log options, and an inspect for the Pod IP).
  On Docker 20.10 a user network alone makes each start several times dearer than the default
  bridge (the engine sets up its embedded DNS inside every new network namespace).
- *unloaded* (``--sequential N``, 0 to skip): N Pods one at a time, each waited for and each
  followed by one Pod through bare docker (same options), so the engine is idle and the difference
  is the per-Pod overhead of the control plane. Pairs, because a shared machine is noisy.

Targets (issue 2): p50 within 1.5x of bare Docker; p99 under 1 s at 5 Pods/s.
Upstream's SLO for comparison: p99 <= 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from typing import Any


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[k]


def through_cluster(pods: int, rate: float, runtime: str,
                    sequential: int = 0) -> tuple[list[float], str, list[tuple[float, float]]]:
    """Create-to-Running of *pods* Pods at *rate*. Then, if *sequential* (docker only), that many
    more one at a time, each followed by the same Pod through bare docker with k8sedu's engine
    options, so both halves of a pair see the same machine (a shared machine is noisy):
    (loaded latencies, runtime name, [(k8sedu, bare docker) per pair])."""
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
        loaded = [running[n] - created[n] for n in running]
        pairs: list[tuple[float, float]] = []
        if sequential and c.runtime_name == "docker":
            with BareDocker(like_k8sedu=True) as bare:
                for i in range(sequential):
                    k = _one_pod(api, f"seq-{i}")
                    b = bare.pod(i)
                    if k is not None:
                        pairs.append((k, b))
        return loaded, c.runtime_name, pairs


def _one_pod(api: Any, name: str) -> float | None:
    """Create one Pod and wait for it to be Running; seconds, or None after 60 s."""
    start_rv = api.list("pods", "default")["metadata"]["resourceVersion"]
    watch = api.watch("pods", "default", resource_version=start_rv)
    got = threading.Event()
    took: list[float] = []

    def follow() -> None:
        for event in watch:
            obj = event.object
            if obj["metadata"]["name"] == name and obj.get("status", {}).get("phase") == "Running":
                took.append(time.perf_counter() - t0)
                got.set()
                return

    threading.Thread(target=follow, daemon=True).start()
    t0 = time.perf_counter()
    api.create("pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": [{"name": "web", "image": "k8sedu/web:v1"}]},
    })
    got.wait(60)
    watch.stop()
    return took[0] if took else None


class BareDocker:
    """One Pod's two containers through the docker SDK alone (removed again by ``close``).

    *like_k8sedu*: with the engine options k8sedu's containers use (see the module docstring)."""

    def __init__(self, like_k8sedu: bool = False) -> None:
        import docker

        self.docker = docker
        self.client = docker.from_env(max_pool_size=32)
        self.api = self.client.api
        self.like_k8sedu = like_k8sedu
        self.tag = uuid.uuid4().hex[:8]
        self.label = {"k8sedu.bench": self.tag}
        self.net = f"bench-{self.tag}"
        self.log_config = {"type": "json-file", "config": {"max-size": "10m", "max-file": "2"}}
        if like_k8sedu:
            self.api.create_network(self.net, driver="bridge", labels=self.label)

    def pod(self, i: int) -> float:
        """Seconds to create and start pause + app."""
        client, api, label, tag = self.client, self.api, self.label, self.tag
        t0 = time.perf_counter()
        if self.like_k8sedu:
            host = api.create_host_config(network_mode=self.net, ipc_mode="shareable", log_config=self.log_config)
            pause = api.create_container("k8sedu/pause", name=f"bench_POD_{i}_{tag}", hostname=f"bench-{i}",
                                         labels=label, host_config=host)["Id"]
            api.start(pause)
            api.inspect_container(pause)  # the Pod IP
            host = api.create_host_config(network_mode=f"container:{pause}", ipc_mode=f"container:{pause}",
                                          log_config=self.log_config)
            app = api.create_container("k8sedu/web:v1", name=f"bench_web_{i}_{tag}", labels=label,
                                       host_config=host)["Id"]
            api.start(app)
        else:
            pause = client.containers.create("k8sedu/pause", name=f"bench_POD_{i}_{tag}", labels=label, detach=True)
            pause.start()
            app = client.containers.create("k8sedu/web:v1", name=f"bench_web_{i}_{tag}", labels=label,
                                           network_mode=f"container:{pause.id}", detach=True)
            app.start()
        return time.perf_counter() - t0

    def close(self) -> None:
        for c in self.client.containers.list(all=True, filters={"label": f"k8sedu.bench={self.tag}"}):
            c.remove(force=True)
        if self.like_k8sedu:
            try:
                self.api.remove_network(self.net)
            except self.docker.errors.APIError:
                pass

    def __enter__(self) -> BareDocker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def bare_docker(pods: int, rate: float, like_k8sedu: bool = False) -> list[float]:
    """The same two containers per Pod through the docker SDK alone, started at the same rate,
    each Pod on its own thread (as three kubelets would): what the engine itself allows."""
    times: list[float] = []
    lock = threading.Lock()
    with BareDocker(like_k8sedu) as bare:

        def one(i: int) -> None:
            took = bare.pod(i)
            with lock:
                times.append(took)

        threads = []
        for i in range(pods):
            t = threading.Thread(target=one, args=(i,))
            t.start()
            threads.append(t)
            time.sleep(1 / rate)
        for t in threads:
            t.join(120)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=30)
    parser.add_argument("--rate", type=float, default=5.0, help="Pods created per second")
    parser.add_argument("--runtime", default="docker", choices=["docker", "sim", "auto"])
    parser.add_argument("--sequential", type=int, default=10,
                        help="then this many Pods one at a time, each beside bare docker (0: skip)")
    args = parser.parse_args()

    latencies, runtime, sequential = through_cluster(args.pods, args.rate, args.runtime, args.sequential)
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
    if runtime == "docker":
        same = bare_docker(args.pods, args.rate, like_k8sedu=True)
        row("  same engine options as k8sedu", same)
        print(f"p50 ratio k8sedu / bare docker with the same options: "
              f"{percentile(latencies, 50) / percentile(same, 50):.2f}x")
    if sequential:
        print(f"unloaded, {len(sequential)} Pods one at a time, each beside one through bare docker:")
        row("create → Running (k8sedu)", [k for k, _ in sequential])
        row("  same engine options as k8sedu", [b for _, b in sequential])
        print(f"per-Pod overhead of the control plane, unloaded (median of the pairs' differences): "
              f"{statistics.median(k - b for k, b in sequential) * 1000:.0f}ms")


if __name__ == "__main__":
    main()
