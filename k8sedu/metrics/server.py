"""metrics-server in the kernel: scrape every kubelet, keep the latest usage, answer metrics.k8s.io.

Upstream metrics-server runs as a Deployment in ``kube-system``; it scrapes each node's kubelet
every ``--metric-resolution`` (15 s), keeps **only the latest** values in memory (metrics are never
written to etcd), and the apiserver forwards ``/apis/metrics.k8s.io/v1beta1/...`` to it (an
aggregated API, registered by an APIService). Here the apiserver calls :meth:`MetricsServer.get`
and :meth:`MetricsServer.list` (``APIServer.register_metrics``), and the scrape reaches the kubelet
through ``APIServer.node_summary``. The resolution is in cluster seconds, so ``Cluster(speed=10)``
scrapes every 1.5 real seconds.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..api import meta
from ..api.selectors import parse_selector
from ..client import Client, InformerFactory
from ..clock import Clock, rfc3339
from ..errors import K8sEduError, NotFound
from .usage import ContainerSample, cpu_rate, format_window, node_metrics, pod_metrics

__all__ = ["MetricsServer", "METRIC_RESOLUTION"]

log = logging.getLogger(__name__)

METRIC_RESOLUTION = 15.0  # upstream's --metric-resolution default, cluster seconds


class MetricsServer:
    """Scrapes the kubelets and serves PodMetrics/NodeMetrics. ``scrape()`` runs one round (tests
    call it directly); ``start()`` runs it every ``resolution`` cluster seconds."""

    name = "metrics-server"

    def __init__(self, client: Client, clock: Clock | None = None, resolution: float = METRIC_RESOLUTION) -> None:
        self.client = client
        self.clock = clock or client.clock
        self.resolution = resolution
        self.informers = InformerFactory(client)
        self.pods = self.informers.informer("pods")
        self.nodes = self.informers.informer("nodes")
        # guards _samples, _pods, _nodes, _last_scrape (the scrape thread writes, API calls read)
        self._lock = threading.Lock()
        self._samples: dict[tuple[str, str], ContainerSample] = {}  # (pod uid, container) -> last reading
        self._pods: dict[tuple[str, str], dict[str, Any]] = {}  # (namespace, name) -> PodMetrics
        self._nodes: dict[str, dict[str, Any]] = {}  # name -> NodeMetrics
        self._last_scrape: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> MetricsServer:
        self.informers.start()
        self.informers.wait_synced(timeout)
        self.client.apiserver.register_metrics(self)
        self._thread = threading.Thread(target=self._loop, name="metrics-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.client.apiserver.metrics_provider is self:
            self.client.apiserver.register_metrics(None)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.informers.stop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.scrape()
            except Exception as err:  # a bad round must not end the loop; the next one will do
                # upstream logs one line per failed scrape ("Failed to scrape node"); a traceback
                # would land in the student's notebook (a container gone mid-scrape is ordinary)
                log.info("metrics-server: scrape failed: %s", err, exc_info=log.isEnabledFor(logging.DEBUG))
            self.clock.wait(self._stop, self.resolution)

    # -- scraping -------------------------------------------------------------------------
    def scrape(self) -> None:
        """One round: read every node's summary, turn counters into rates, replace the store."""
        now = self.clock.now()
        stamp = rfc3339(now)
        window = format_window(now - self._last_scrape if self._last_scrape is not None else self.resolution)
        pods_by_uid = {(p.get("metadata") or {}).get("uid"): p for p in self.pods.list()}
        samples: dict[tuple[str, str], ContainerSample] = {}
        new_pods: dict[tuple[str, str], dict[str, Any]] = {}
        new_nodes: dict[str, dict[str, Any]] = {}
        for node in self.nodes.list():
            name = node["metadata"]["name"]
            try:
                summary = self.client.apiserver.node_summary(self.client.user, name, agent=self.client.component)
            except K8sEduError as err:  # a failed node: no metrics for it (kubectl top shows <unknown>)
                log.debug("metrics-server: scraping %s: %s", name, err)
                continue
            node_cpu = node_mem = 0
            for entry in summary.get("pods") or []:
                ref = entry.get("podRef") or {}
                pod = pods_by_uid.get(ref.get("uid"))
                rows: list[tuple[str, int, int]] = []
                for c in entry.get("containers") or []:
                    cpu, mem = c.get("cpu") or {}, c.get("memory") or {}
                    cur = ContainerSample(int(cpu.get("usageCoreNanoSeconds", 0)), int(cpu.get("readNanos", 0)),
                                          int(mem.get("workingSetBytes", 0)))
                    key = (str(ref.get("uid")), str(c.get("name")))
                    samples[key] = cur
                    with self._lock:
                        prev = self._samples.get(key)
                    rate = cpu_rate(prev, cur)
                    if rate is None:  # first reading of this container: a rate needs two
                        rows = []
                        break
                    rows.append((str(c.get("name")), rate, cur.memory_bytes))
                for _, cpu_n, mem_b in rows:
                    node_cpu += cpu_n
                    node_mem += mem_b
                if pod is not None and rows:
                    md = pod["metadata"]
                    new_pods[(md.get("namespace", ""), md["name"])] = pod_metrics(pod, rows, stamp, window)
            if self._last_scrape is not None:  # the node's usage, too, is a rate: from the 2nd round
                new_nodes[name] = node_metrics(node, node_cpu, node_mem, stamp, window)
        with self._lock:
            self._samples = samples
            self._pods = new_pods
            self._nodes = new_nodes
            self._last_scrape = now

    # -- what the apiserver serves ----------------------------------------------------------
    def get(self, plural: str, namespace: str | None, name: str) -> dict[str, Any]:
        with self._lock:
            if plural == "pods":
                found = self._pods.get((namespace or "", name))
                if found is None:
                    raise NotFound(f'podmetrics.metrics.k8s.io "{namespace}/{name}" not found',
                                   details={"name": f"{namespace}/{name}", "group": "metrics.k8s.io",
                                            "kind": "podmetrics"})
            else:
                found = self._nodes.get(name)
                if found is None:
                    raise NotFound(f'nodemetrics.metrics.k8s.io "{name}" not found',
                                   details={"name": name, "group": "metrics.k8s.io", "kind": "nodemetrics"})
            return meta.deep_copy(found)

    def list(self, plural: str, namespace: str | None, label_selector: str | None = None) -> dict[str, Any]:
        selector = parse_selector(label_selector) if label_selector else None
        with self._lock:
            if plural == "pods":
                items = [m for (ns, _), m in sorted(self._pods.items()) if not namespace or ns == namespace]
            else:
                items = [m for _, m in sorted(self._nodes.items())]
            items = [meta.deep_copy(m) for m in items
                     if selector is None or selector.matches(m["metadata"].get("labels") or {})]
        kind = "PodMetricsList" if plural == "pods" else "NodeMetricsList"
        return {"kind": kind, "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}

    def has_data(self) -> bool:
        """True once a round has produced metrics (two scrapes)."""
        with self._lock:
            return bool(self._pods or self._nodes)

