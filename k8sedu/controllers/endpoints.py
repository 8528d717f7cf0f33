"""The Endpoints controller: which Pods stand behind a Service right now.

For every Service with a selector it keeps an ``Endpoints`` object of the same name::

    Service web (selector app=web, port 80 → targetPort http)
        │  Pods with app=web in the same namespace, that have an IP and are not being deleted
        ▼
    Endpoints web
      subsets:
      - addresses:          [{ip: 10.244.1.5, nodeName: node-1, targetRef: {kind: Pod, name: web-a, …}}]
        notReadyAddresses:  [{ip: 10.244.2.7, …}]           ← Ready condition not True (yet)
        ports:              [{name: http, port: 8080, protocol: TCP}]   ← targetPort resolved per Pod

A Pod is in the ready list when its ``Ready`` condition is True (readiness probe passing), else in
``notReadyAddresses``; a terminating Pod (``deletionTimestamp`` set) or one that has finished is
left out. A Service that selects nothing gets an Endpoints with no subsets. A Service without a
selector is left alone: its Endpoints are the user's to write. The helpers here are shared with the
EndpointSlice controller.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from ..api import meta
from ..api.selectors import Selector, from_label_selector
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import AlreadyExists, APIError, NotFound
from .base import Controller

__all__ = [
    "EndpointsController",
    "find_port",
    "pod_in_endpoints",
    "services_for_pod",
    "endpoint_address",
    "HEADLESS_LABEL",
]

log = logging.getLogger(__name__)

Obj = dict[str, Any]

#: label upstream puts on the Endpoints (and EndpointSlices) of a headless Service
HEADLESS_LABEL = "service.kubernetes.io/headless"


def service_selector(svc: Obj) -> Selector | None:
    """The Service's selector, or None when it has none (then nobody manages its endpoints)."""
    sel = (svc.get("spec") or {}).get("selector")
    if not sel:
        return None
    return from_label_selector({"matchLabels": sel})


def services_for_pod(services: Iterable[Obj], pod: Obj) -> list[Obj]:
    """The Services of the Pod's namespace whose selector matches the Pod's labels."""
    ns = pod["metadata"].get("namespace")
    labels = pod["metadata"].get("labels") or {}
    out = []
    for svc in services:
        if svc["metadata"].get("namespace") != ns:
            continue
        sel = service_selector(svc)
        if sel is not None and sel.matches(labels):
            out.append(svc)
    return out


def pod_in_endpoints(pod: Obj, include_terminating: bool) -> bool:
    """``endpointsliceutil.ShouldPodBeInEndpoints``: an IP, not finished, and (for Endpoints) not
    terminating."""
    status = pod.get("status") or {}
    if not status.get("podIP"):
        return False
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not include_terminating and pod["metadata"].get("deletionTimestamp"):
        return False
    return True


def find_port(pod: Obj, svc_port: Obj) -> int | None:
    """``podutil.FindPort``: the Pod's port for a Service port; a name is looked up among the
    containers' named ports (same protocol); None when the Pod has no such named port."""
    target = svc_port.get("targetPort")
    if target in (None, "", 0):
        target = svc_port.get("port")
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    proto = svc_port.get("protocol") or "TCP"
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target and (p.get("protocol") or "TCP") == proto:
                return int(p["containerPort"])
    return None


def endpoint_address(pod: Obj, svc: Obj) -> Obj:
    """``podToEndpointAddressForService``: ip, nodeName, targetRef (and hostname for a subdomain)."""
    md, spec = pod["metadata"], pod.get("spec") or {}
    addr: Obj = {
        "ip": pod["status"]["podIP"],
        "targetRef": {"kind": "Pod", "namespace": md.get("namespace"), "name": md["name"], "uid": md.get("uid")},
    }
    if spec.get("nodeName"):
        addr["nodeName"] = spec["nodeName"]
    if spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
        addr["hostname"] = spec["hostname"]
    return addr


def endpoint_port(svc_port: Obj, port: int) -> Obj:
    out: Obj = {"port": port, "protocol": svc_port.get("protocol") or "TCP"}
    if svc_port.get("name"):
        out["name"] = svc_port["name"]
    if svc_port.get("appProtocol"):
        out["appProtocol"] = svc_port["appProtocol"]
    return out


def _ip_key(addr: Obj) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in addr["ip"].split("."))
    except ValueError:
        return (1 << 16,)


def compute_subsets(svc: Obj, pods: Iterable[Obj]) -> list[Obj]:
    """The Endpoints' subsets, packed as upstream's ``RepackSubsets``: addresses that share the
    same ports are one subset; addresses sorted by IP."""
    spec = svc.get("spec") or {}
    tolerate_unready = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple[tuple[Any, ...], ...], tuple[list[Obj], list[Obj]]] = {}
    for pod in pods:
        if not pod_in_endpoints(pod, include_terminating=tolerate_unready):
            continue
        addr = endpoint_address(pod, svc)
        ready = tolerate_unready or meta.pod_is_ready(pod)
        ports: list[Obj] = []
        for sp in spec.get("ports") or []:
            n = find_port(pod, sp)
            if n is None:
                log.info("endpoints: failed to find port for service %s/%s: no suitable port for %r on pod %s",
                         svc["metadata"].get("namespace"), svc["metadata"]["name"], sp.get("targetPort"),
                         pod["metadata"]["name"])
                continue
            ports.append(endpoint_port(sp, n))
        if spec.get("ports") and not ports:
            continue
        key = tuple(sorted(tuple(sorted(p.items())) for p in ports))
        ready_list, not_ready = groups.setdefault(key, ([], []))
        (ready_list if ready else not_ready).append(addr)
    subsets = []
    for key in sorted(groups):
        ready_list, not_ready = groups[key]
        subset: Obj = {}
        if ready_list:
            subset["addresses"] = sorted(ready_list, key=_ip_key)
        if not_ready:
            subset["notReadyAddresses"] = sorted(not_ready, key=_ip_key)
        if key:
            subset["ports"] = sorted((dict(p) for p in key), key=lambda p: (p.get("name", ""), p["port"]))
        subsets.append(subset)
    return subsets


def endpoints_labels(svc: Obj) -> dict[str, str]:
    labels = dict(svc["metadata"].get("labels") or {})
    if (svc.get("spec") or {}).get("clusterIP") == "None":
        labels[HEADLESS_LABEL] = ""
    return labels


class EndpointsController(Controller):
    """Keeps ``Endpoints/<name>`` in step with the Pods that ``Service/<name>`` selects."""

    name = "endpoints"
    component = "endpoint-controller"
    workers = 5  # --concurrent-endpoint-syncs

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.services = self.informers.informer("services")
        self.pods = self.informers.informer("pods")
        self.endpoints = self.informers.informer("endpoints")
        self.services.add_handler(self.enqueue, lambda old, new: self.enqueue(new), self.enqueue)
        self.pods.add_handler(self._pod_changed, self._pod_updated, self._pod_changed)
        self.endpoints.add_handler(None, None, self._endpoints_deleted)

    # -- handlers: enqueue the keys of the Services concerned ------------------------------------
    def _pod_changed(self, pod: Obj) -> None:
        for svc in services_for_pod(self.services.list(), pod):
            self.enqueue(svc)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        seen = {meta.key(s) for s in services_for_pod(self.services.list(), new)}
        seen |= {meta.key(s) for s in services_for_pod(self.services.list(), old)}
        for key in seen:
            self.queue.add(key)

    def _endpoints_deleted(self, ep: Obj) -> None:
        if self.services.get(meta.key(ep)) is not None:
            self.enqueue(ep)

    # -- reconcile ---------------------------------------------------------------------------
    def reconcile(self, key: str) -> None:
        ns, name = meta.split_key(key)
        svc = self.services.get(key)
        if svc is None:
            try:
                self.client.delete("endpoints", name, ns)
            except NotFound:
                pass
            return
        sel = service_selector(svc)
        if sel is None:
            return  # no selector: the user (or a mirroring controller) owns the Endpoints
        pods = [p for p in self.pods.list()
                if p["metadata"].get("namespace") == ns and sel.matches(p["metadata"].get("labels") or {})]
        subsets = compute_subsets(svc, pods)
        labels = endpoints_labels(svc)
        current = self.endpoints.get(key)
        if current is not None and (current.get("subsets") or []) == subsets \
                and (current["metadata"].get("labels") or {}) == labels:
            return
        ep: Obj = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
        }
        if subsets:
            ep["subsets"] = subsets
        try:
            if current is None:
                try:
                    self.client.create("endpoints", ep, ns)
                except AlreadyExists:
                    fresh = self.client.get("endpoints", name, ns)
                    ep["metadata"]["resourceVersion"] = fresh["metadata"]["resourceVersion"]
                    self.client.update("endpoints", ep, ns)
            else:
                md = meta.deep_copy(current["metadata"])
                md["labels"] = labels
                ep["metadata"] = md
                self.client.update("endpoints", ep, ns)
        except APIError as err:
            if getattr(err, "reason", "") == "Forbidden":  # namespace terminating
                return
            raise
