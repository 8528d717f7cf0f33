"""The EndpointSlice controller: the Service's endpoints in slices of at most 100, with conditions.

Endpoints put every address of a Service in one object, rewritten whole at each change; with
thousands of Pods that object became the biggest write in the cluster. EndpointSlices
(``discovery.k8s.io/v1``) split them up, and say more about each endpoint::

    EndpointSlice web-x7k2p   labels: kubernetes.io/service-name=web
                                      endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io
      addressType: IPv4            ownerReferences: Service web (controller)
      ports:     [{name: http, port: 80, protocol: TCP}]
      endpoints:
      - addresses: [10.244.1.5]
        conditions: {ready: true,  serving: true,  terminating: false}
        targetRef:  {kind: Pod, name: web-a, …}   nodeName: node-1
      - addresses: [10.244.2.7]
        conditions: {ready: false, serving: true,  terminating: true}    ← being deleted

Unlike Endpoints, a terminating Pod stays in the slice (``ready: false, terminating: true``), so
kube-proxy can still use it when nothing else serves. Endpoints whose resolved ports differ go to
different slices. A Service that selects nothing gets one empty placeholder slice. Slices are
deleted with their Service by the garbage collector (owner reference).
"""

from __future__ import annotations

from typing import Any

from ..api import meta
from ..client import Client, InformerFactory
from ..clock import Clock
from ..errors import APIError, NotFound
from .base import Controller
from .endpoints import (
    HEADLESS_LABEL,
    endpoint_port,
    find_port,
    pod_in_endpoints,
    service_selector,
    services_for_pod,
)

__all__ = [
    "EndpointSliceController",
    "SERVICE_NAME_LABEL",
    "MANAGED_BY_LABEL",
    "CONTROLLER_NAME",
    "MAX_ENDPOINTS_PER_SLICE",
]

Obj = dict[str, Any]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
#: --max-endpoints-per-slice
MAX_ENDPOINTS_PER_SLICE = 100

_PortsKey = tuple[tuple[tuple[str, Any], ...], ...]


def slice_endpoint(pod: Obj, svc: Obj | None = None) -> Obj:
    """One endpoint of a slice for a Pod: its address, conditions, targetRef and nodeName (and its
    hostname when the Pod's subdomain is *svc*'s name: the DNS name of a StatefulSet Pod)."""
    md, spec = pod["metadata"], pod.get("spec") or {}
    serving = meta.pod_is_ready(pod)
    terminating = bool(md.get("deletionTimestamp"))
    ep: Obj = {
        "addresses": [pod["status"]["podIP"]],
        "conditions": {"ready": serving and not terminating, "serving": serving, "terminating": terminating},
        "targetRef": {"kind": "Pod", "namespace": md.get("namespace"), "name": md["name"], "uid": md.get("uid")},
    }
    if spec.get("nodeName"):
        ep["nodeName"] = spec["nodeName"]
    if svc is not None and spec.get("hostname") and spec.get("subdomain") == svc["metadata"]["name"]:
        ep["hostname"] = spec["hostname"]
    return ep


def slice_port(svc_port: Obj, port: int) -> Obj:
    out = endpoint_port(svc_port, port)
    out.setdefault("name", "")  # a slice's port always has a name, "" for an unnamed Service port
    return out


def desired_groups(svc: Obj, pods: list[Obj]) -> dict[_PortsKey, list[Obj]]:
    """Endpoints grouped by their resolved ports (one group → one or more slices)."""
    spec = svc.get("spec") or {}
    groups: dict[_PortsKey, list[Obj]] = {}
    for pod in pods:
        if not pod_in_endpoints(pod, include_terminating=True):
            continue
        ports = []
        for sp in spec.get("ports") or []:
            n = find_port(pod, sp)
            if n is not None:
                ports.append(slice_port(sp, n))
        if spec.get("ports") and not ports:
            continue
        key = tuple(tuple(sorted(p.items())) for p in ports)
        groups.setdefault(key, []).append(slice_endpoint(pod, svc))
    for eps in groups.values():
        eps.sort(key=lambda e: tuple(int(x) if x.isdigit() else 0 for x in e["addresses"][0].split(".")))
    return groups


class EndpointSliceController(Controller):
    """Keeps the EndpointSlices of each Service with a selector in step with its Pods."""

    name = "endpointslice"
    component = "endpoint-slice-controller"
    workers = 5  # --concurrent-service-endpoint-syncs

    def __init__(self, client: Client, informers: InformerFactory | None = None,
                 clock: Clock | None = None, workers: int | None = None) -> None:
        super().__init__(client, informers, clock, workers)
        self.services = self.informers.informer("services")
        self.pods = self.informers.informer("pods")
        self.slices = self.informers.informer("endpointslices")
        self.services.add_handler(self.enqueue, lambda old, new: self.enqueue(new), None)
        self.pods.add_handler(self._pod_changed, self._pod_updated, self._pod_changed)
        self.slices.add_handler(None, None, self._slice_changed)

    def _pod_changed(self, pod: Obj) -> None:
        for svc in services_for_pod(self.services.list(), pod):
            self.enqueue(svc)

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        keys = {meta.key(s) for s in services_for_pod(self.services.list(), new)}
        keys |= {meta.key(s) for s in services_for_pod(self.services.list(), old)}
        for key in keys:
            self.queue.add(key)

    def _slice_changed(self, es: Obj) -> None:
        labels = es["metadata"].get("labels") or {}
        if labels.get(MANAGED_BY_LABEL) == CONTROLLER_NAME and labels.get(SERVICE_NAME_LABEL):
            self.queue.add(f"{es['metadata'].get('namespace')}/{labels[SERVICE_NAME_LABEL]}")

    def _owned(self, ns: str | None, name: str) -> list[Obj]:
        out = []
        for es in self.slices.list():
            md = es["metadata"]
            labels = md.get("labels") or {}
            if (md.get("namespace") == ns and labels.get(SERVICE_NAME_LABEL) == name
                    and labels.get(MANAGED_BY_LABEL) == CONTROLLER_NAME and not md.get("deletionTimestamp")):
                out.append(es)
        return sorted(out, key=lambda e: e["metadata"]["name"])

    def reconcile(self, key: str) -> None:
        ns, name = meta.split_key(key)
        svc = self.services.get(key)
        if svc is None:
            return  # the garbage collector deletes the slices it owned
        sel = service_selector(svc)
        if sel is None:
            return
        pods = [p for p in self.pods.list()
                if p["metadata"].get("namespace") == ns and sel.matches(p["metadata"].get("labels") or {})]
        desired: list[tuple[list[Obj], list[Obj]]] = []  # (ports, endpoints) per slice
        for ports_key, eps in desired_groups(svc, pods).items():
            ports = [dict(p) for p in ports_key]
            for i in range(0, len(eps), MAX_ENDPOINTS_PER_SLICE):
                desired.append((ports, eps[i:i + MAX_ENDPOINTS_PER_SLICE]))
        if not desired:
            desired.append(([], []))  # the placeholder slice
        existing = self._owned(ns, name)
        labels = dict(svc["metadata"].get("labels") or {})
        labels.update({SERVICE_NAME_LABEL: name, MANAGED_BY_LABEL: CONTROLLER_NAME})
        if (svc.get("spec") or {}).get("clusterIP") == "None":
            labels[HEADLESS_LABEL] = ""
        # reuse slices with the same ports first, then any, then create
        unused = list(existing)
        plan: list[tuple[Obj | None, list[Obj], list[Obj]]] = []
        for ports, eps in desired:
            match = next((s for s in unused if (s.get("ports") or []) == ports), None)
            if match is None and unused and len(desired) == 1:
                match = unused[0]
            if match is not None:
                unused.remove(match)
            plan.append((match, ports, eps))
        try:
            for current, ports, eps in plan:
                self._write(svc, current, ports, eps, labels)
            for stale in unused:
                try:
                    self.client.delete("endpointslices", stale["metadata"]["name"], ns)
                except NotFound:
                    pass
        except APIError as err:
            if getattr(err, "reason", "") == "Forbidden":  # namespace terminating
                return
            raise

    def _write(self, svc: Obj, current: Obj | None, ports: list[Obj], eps: list[Obj],
               labels: dict[str, str]) -> None:
        md = svc["metadata"]
        owner = meta.make_controller_ref(svc, "Service", "v1")
        body: Obj = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "addressType": "IPv4",
            "endpoints": eps,
            "ports": ports,
        }
        if current is None:
            body["metadata"] = {"generateName": f"{md['name']}-", "namespace": md.get("namespace"),
                                "labels": labels, "ownerReferences": [owner]}
            self.client.create("endpointslices", body, md.get("namespace"))
            return
        if (current.get("endpoints") or []) == eps and (current.get("ports") or []) == ports \
                and (current["metadata"].get("labels") or {}) == labels:
            return
        cmd = meta.deep_copy(current["metadata"])
        cmd["labels"] = labels
        body["metadata"] = cmd
        self.client.update("endpointslices", body, md.get("namespace"))
