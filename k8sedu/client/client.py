"""The in-process client: what a component uses to talk to the apiserver.

A :class:`Client` is the apiserver's verbs bound to one user and one component name, the way a
client-go clientset is bound to a kubeconfig and a user agent. The component name is the *source* of
the flow events its requests produce ("scheduler", "kubelet/node-1", "kubectl").

``create``/``update``/``patch`` take ``field_validation`` ("Strict" | "Warn" | "Ignore", upstream's
``fieldValidation``; the server's default is "Warn"); the warnings of this thread's last write are in
:attr:`Client.last_warnings`, as client-go hands ``Warning`` headers to its warning handler.
"""

from __future__ import annotations

import builtins
import threading
from typing import Any

from ..apiserver import APIServer, UserInfo, Watch
from ..errors import APIError, NotFound

__all__ = ["Client", "EventRecorder"]


class Client:
    def __init__(self, apiserver: APIServer, user: UserInfo, component: str) -> None:
        self.apiserver = apiserver
        self.user = user
        self.component = component
        self.clock = apiserver.clock

    @property
    def last_warnings(self) -> builtins.list[str]:
        """The server's warnings for this thread's last create/update/patch."""
        return self.apiserver.last_warnings

    def create(self, resource: str, obj: dict[str, Any], namespace: str | None = None,
               subresource: str | None = None, dry_run: bool = False,
               field_validation: str = "Warn") -> dict[str, Any]:
        return self.apiserver.create(self.user, resource, obj, namespace, subresource=subresource,
                                     dry_run=dry_run, agent=self.component, field_validation=field_validation)

    def get(self, resource: str, name: str, namespace: str | None = None,
            subresource: str | None = None) -> dict[str, Any]:
        return self.apiserver.get(self.user, resource, name, namespace, subresource=subresource,
                                  agent=self.component)

    def get_or_none(self, resource: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        try:
            return self.get(resource, name, namespace)
        except NotFound:
            return None

    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> dict[str, Any]:
        return self.apiserver.list(self.user, resource, namespace, label_selector, field_selector,
                                   agent=self.component)

    def items(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None) -> builtins.list[dict[str, Any]]:
        return self.list(resource, namespace, label_selector, field_selector)["items"]

    def update(self, resource: str, obj: dict[str, Any], namespace: str | None = None,
               subresource: str | None = None, dry_run: bool = False,
               field_validation: str = "Warn") -> dict[str, Any]:
        return self.apiserver.update(self.user, resource, obj, namespace, subresource=subresource,
                                     dry_run=dry_run, agent=self.component, field_validation=field_validation)

    def update_status(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.update(resource, obj, obj.get("metadata", {}).get("namespace"), subresource="status")

    def patch(self, resource: str, name: str, patch: Any, namespace: str | None = None,
              patch_type: str = "merge", subresource: str | None = None, dry_run: bool = False,
              field_validation: str = "Warn") -> dict[str, Any]:
        return self.apiserver.patch(self.user, resource, name, patch, namespace, patch_type=patch_type,
                                    subresource=subresource, dry_run=dry_run, agent=self.component,
                                    field_validation=field_validation)

    def delete(self, resource: str, name: str, namespace: str | None = None,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None,
               preconditions: dict[str, Any] | None = None, dry_run: bool = False) -> dict[str, Any]:
        return self.apiserver.delete(self.user, resource, name, namespace,
                                     grace_period_seconds=grace_period_seconds,
                                     propagation_policy=propagation_policy, preconditions=preconditions,
                                     dry_run=dry_run, agent=self.component)

    def watch(self, resource: str, namespace: str | None = None, resource_version: str | None = None,
              label_selector: str | None = None, field_selector: str | None = None) -> Watch:
        return self.apiserver.watch(self.user, resource, namespace, resource_version, label_selector,
                                    field_selector, agent=self.component)

    def logs(self, namespace: str, name: str, container: str | None = None, **opts: Any) -> Any:
        return self.apiserver.pod_logs(self.user, namespace, name, container, agent=self.component, **opts)

    def exec(self, namespace: str, name: str, command: builtins.list[str], container: str | None = None,
             stdin: bytes | None = None) -> Any:
        return self.apiserver.pod_exec(self.user, namespace, name, command, container, stdin=stdin,
                                       agent=self.component)

    def bind(self, pod: dict[str, Any], node_name: str) -> dict[str, Any]:
        md = pod["metadata"]
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": md["name"], "namespace": md.get("namespace", "default"), "uid": md.get("uid")},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        return self.create("pods", binding, md.get("namespace", "default"), subresource="binding")

    def for_user(self, user: UserInfo, component: str | None = None) -> Client:
        return Client(self.apiserver, user, component or self.component)


class EventRecorder:
    """Records Kubernetes Events about objects, as client-go's event recorder does.

    A repeat of the same event (same object, type, reason, message and source) within ten minutes
    bumps ``count`` and ``lastTimestamp`` of the existing Event instead of making a new one, which
    is what ``kubectl describe`` shows as ``(x3 over 2m)``.
    """

    def __init__(self, client: Client, component: str, host: str = "") -> None:
        self.client = client
        self.component = component
        self.host = host
        # guards _seen: correlation key -> (namespace, event name)
        self._lock = threading.Lock()
        self._seen: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._last_ns = 0  # guarded by _lock: names are <object>.<ns>, never the same twice

    # one counter for every recorder of the process: two components writing about objects of the
    # same name at the same (fake-clock) instant must not pick the same event name
    _names_lock = threading.Lock()  # guards _shared_ns
    _shared_ns = 0

    def _unique_nanos(self) -> int:
        with EventRecorder._names_lock:
            EventRecorder._shared_ns = max(int(self.client.clock.now() * 1e9), EventRecorder._shared_ns + 1)
            self._last_ns = EventRecorder._shared_ns
            return self._last_ns

    def event(self, obj: dict[str, Any], type_: str, reason: str, message: str,
              field_path: str | None = None) -> None:
        """Record an Event about *obj*; *field_path* names a part of it, e.g. ``spec.containers{web}``."""
        md = obj.get("metadata", {})
        namespace = md.get("namespace") or "default"
        corr = (md.get("uid"), field_path, type_, reason, message)
        now = self.client.clock.timestamp()
        with self._lock:
            existing = self._seen.get(corr)
        try:
            if existing is not None:
                ns, name = existing
                current = self.client.get("events", name, ns)
                self.client.patch("events", name, {"count": int(current.get("count", 1)) + 1, "lastTimestamp": now}, ns)
                return
        except APIError:
            pass  # gone meanwhile: make a new one
        name = f"{md.get('name', 'unknown')}.{self._unique_nanos():x}"[:253]
        event: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {
                "apiVersion": obj.get("apiVersion", ""),
                "kind": obj.get("kind", ""),
                "name": md.get("name", ""),
                "namespace": md.get("namespace", ""),
                "uid": md.get("uid", ""),
                "resourceVersion": md.get("resourceVersion", ""),
                **({"fieldPath": field_path} if field_path else {}),
            },
            "reason": reason,
            "message": message,
            "type": type_,
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": {"component": self.component, **({"host": self.host} if self.host else {})},
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        if not event["involvedObject"]["namespace"]:
            del event["involvedObject"]["namespace"]
        try:
            self.client.create("events", event, namespace)
        except APIError:
            return
        with self._lock:
            self._seen[corr] = (namespace, name)
            if len(self._seen) > 5000:
                self._seen.clear()

    def normal(self, obj: dict[str, Any], reason: str, message: str, field_path: str | None = None) -> None:
        self.event(obj, "Normal", reason, message, field_path)

    def warning(self, obj: dict[str, Any], reason: str, message: str, field_path: str | None = None) -> None:
        self.event(obj, "Warning", reason, message, field_path)
