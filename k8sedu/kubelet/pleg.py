"""PLEG, the Pod Lifecycle Event Generator: how the kubelet notices that a container changed.

The kubelet does not get told when a process dies. Like upstream's *generic PLEG*, it lists every
container of its node in one runtime call about every half second (*relist*), compares with the
previous list, and wakes the worker of each Pod whose containers changed::

    relist #41: k8s_app_crash…_0 running      relist #42: k8s_app_crash…_0 exited(1)
                                                   └─▶ ContainerDied ─▶ sync Pod crash (restart it)

The relist also tells the kubelet whether the runtime answers at all: if it keeps failing, the
node's Ready condition turns False (``container runtime is down``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..runtime.base import ContainerRuntime, ContainerStatus
from ..runtime.errors import ContainerRuntimeError

__all__ = ["PLEG", "RELIST_PERIOD"]

log = logging.getLogger(__name__)

RELIST_PERIOD = 0.5  # real seconds (upstream: 1 s)


class PLEG:
    def __init__(self, runtime: ContainerRuntime, node_name: str, on_change: Callable[[str], None],
                 on_relist: Callable[[list[ContainerStatus]], None] | None = None,
                 period: float = RELIST_PERIOD) -> None:
        self.runtime = runtime
        self.node_name = node_name
        self.on_change = on_change
        self.on_relist = on_relist
        self.period = period
        # guards _seen, error and last_ok; taken alone, never across a runtime call.
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[str, str]] = {}  # container id -> (pod uid, state)
        self.error: str | None = None
        self.last_ok = time.monotonic()
        self.paused = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"pleg-{self.node_name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            if self.paused:
                continue
            try:
                self.relist()
            except Exception:  # never let the relist thread die
                log.exception("PLEG %s: relist failed", self.node_name)

    def relist(self) -> list[ContainerStatus]:
        """List the node's containers once and report every Pod whose containers changed."""
        try:
            statuses = self.runtime.list_containers(self.node_name)
        except ContainerRuntimeError as err:
            with self._lock:
                self.error = f"container runtime is down: {err}"
            return []
        current: dict[str, tuple[str, str]] = {s.id: (s.pod_uid, s.state) for s in statuses}
        with self._lock:
            self.error = None
            self.last_ok = time.monotonic()
            old = self._seen
            self._seen = current
        changed: set[str] = set()
        for cid, (uid, state) in current.items():
            if old.get(cid) != (uid, state):
                changed.add(uid)
        for cid, (uid, _) in old.items():
            if cid not in current:
                changed.add(uid)
        for uid in changed:
            if uid:
                self.on_change(uid)
        if self.on_relist is not None:
            self.on_relist(statuses)
        return statuses

    def health_error(self) -> str | None:
        """``None`` when healthy; else why the node is not ready."""
        with self._lock:
            return self.error
