"""The apiserver: the only component that reads and writes the store.

Every request goes through the same pipeline, as in Kubernetes::

    request ─▶ authentication ─▶ authorization (RBAC) ─▶ admission ─▶ validation ─▶ etcd
                (who are you?)     (may you do this?)     (defaults,    (is it well   (write with
                                                           namespace)    formed?)      a revision)

and is recorded as flow events (client → apiserver, apiserver → etcd), so the dashboards show real
requests. Components never touch the store: they call these methods through a
:class:`k8sedu.client.Client`, which names the user and the component.

Decoding (``field_validation``, upstream's ``fieldValidation`` parameter) comes before admission:
a wrong JSON type is always a 400; a field the kind does not have is a 400 with ``"Strict"`` (what
kubectl sends), a warning with ``"Warn"`` (the server's default) and silently dropped with
``"Ignore"``. The warnings of the last create/update/patch made *on this thread* are in
:attr:`APIServer.last_warnings` (a real apiserver sends them as ``Warning:`` headers), so return
types stay the objects.
"""

from __future__ import annotations

import builtins
import contextlib
import random
import threading
from collections.abc import Callable
from typing import Any

from ..api import defaults, kinds, meta, schema, selectors, storage, validation
from ..api.kinds import Kind
from ..clock import Clock
from ..errors import (
    AlreadyExists,
    BadRequest,
    CASFailed,
    Compacted,
    Conflict,
    FieldError,
    FutureRevision,
    Gone,
    Invalid,
    K8sEduError,
    MethodNotAllowed,
    NotFound,
    ServiceUnavailable,
)
from ..flow import FlowRecorder
from ..store import MemoryStore
from . import admission, quota
from . import patch as patching
from .ipalloc import (
    ServiceAllocator,
    kubernetes_endpoints,
    kubernetes_endpointslice,
    kubernetes_service,
)
from .paths import etcd_key, etcd_prefix, rest_path
from .rbac import ADMIN, RBACAuthorizer, UserInfo, bootstrap_policy
from .tokens import TokenIssuer
from .watch import Watch, WatchEvent

__all__ = ["APIServer"]

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # upstream's utilrand alphabet: no vowels, no look-alikes
_RBAC_RESOURCES = {"roles", "clusterroles", "rolebindings", "clusterrolebindings"}
_CONFLICT_RETRIES = 5
METRICS_GROUP = "metrics.k8s.io"  # served by metrics-server (register_metrics), never stored


def _random_suffix(n: int = 5) -> str:
    return "".join(random.choice(_NAME_CHARS) for _ in range(n))


def _has_status(kind: Kind) -> bool:
    return "status" in kind.subresources


def _finalizers_pending(obj: dict[str, Any]) -> bool:
    if obj.get("metadata", {}).get("finalizers"):
        return True
    if obj.get("kind") == "Namespace" and obj.get("spec", {}).get("finalizers"):
        return True
    return False


class APIServer:
    """Kubernetes' API semantics over an etcd-like store. Thread-safe; holds no lock of its own
    across a store call (the store serializes writes)."""

    def __init__(self, store: MemoryStore | None = None, clock: Clock | None = None,
                 flow: FlowRecorder | None = None, service_account_key: bytes | None = None) -> None:
        self.store = store if store is not None else MemoryStore()
        self.clock = clock or Clock()
        self.flow = flow or FlowRecorder(self.clock)
        self.authz = RBACAuthorizer(self._load_rbac)
        self.watch_agents: set[str] = set()  # agents whose watch deliveries are flow events
        # A watcher may read a change before the writing thread has recorded its etcd write, and
        # the flow must still show the write first: deliveries wait (briefly) for that record.
        self._writes = threading.Condition()  # guards _writing and _recorded
        self._writing = 0  # store writes whose etcd flow event is not recorded yet
        self._recorded = 0  # the highest revision whose etcd write has been recorded
        self.kubelets: dict[str, Any] = {}  # node name -> kubelet connection (logs, exec)
        self.metrics_provider: Any = None  # metrics-server (metrics.k8s.io), once it registers
        self._tls = threading.local()  # .warnings: the last write's warnings, per calling thread
        # guards nothing shared but serializes bootstrap
        self._boot_lock = threading.Lock()
        self.service_allocator = ServiceAllocator(self.store)  # ClusterIPs and NodePorts
        # ServiceAccount tokens (serviceaccounts/token), signed with *service_account_key* (a new one
        # per apiserver without it; Cluster keeps it in its state_dir, so tokens outlive the kernel)
        self.tokens = TokenIssuer(self.clock, self._stored, service_account_key)
        self._bootstrap()

    # ------------------------------------------------------------------ bootstrap and helpers
    def _bootstrap(self) -> None:
        with self._boot_lock:
            for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
                self._ensure({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            for obj in bootstrap_policy():
                self._ensure(obj)
            self._ensure(kubernetes_service())
            self._ensure(kubernetes_endpoints())  # upstream's endpoint reconciler
            self._ensure(kubernetes_endpointslice())
            self._ensure(storage.default_storage_class())  # like kind's and minikube's "standard"

    def _ensure(self, obj: dict[str, Any]) -> None:
        kind = kinds.for_object(obj)
        ns = obj["metadata"].get("namespace")
        if self.store.get(etcd_key(kind, ns, obj["metadata"]["name"])) is None:
            try:
                self.create(ADMIN, kind.plural, obj, namespace=ns, agent="apiserver")
            except AlreadyExists:
                pass

    def _stored(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        kv = self.store.get(etcd_key(kinds.lookup(resource), namespace, name))
        return kv.value if kv is not None else None

    def _load_rbac(self) -> tuple[list[dict[str, Any]], ...]:
        out = []
        for plural in ("roles", "clusterroles", "rolebindings", "clusterrolebindings"):
            kvs, _ = self.store.range(etcd_prefix(kinds.lookup(plural)))
            out.append([kv.value for kv in kvs])
        return tuple(out)

    def kind(self, resource: str) -> Kind:
        try:
            return kinds.lookup(resource)
        except K8sEduError:
            raise NotFound("the server could not find the requested resource") from None

    @staticmethod
    def _decode(value: dict[str, Any], revision: int) -> dict[str, Any]:
        obj = meta.deep_copy(value)
        obj.setdefault("metadata", {})["resourceVersion"] = str(revision)
        return obj

    def _namespace_for(self, kind: Kind, namespace: str | None, obj: dict[str, Any] | None = None) -> str | None:
        if not kind.namespaced:
            return None
        obj_ns = (obj or {}).get("metadata", {}).get("namespace")
        if namespace and obj_ns and obj_ns != namespace:
            raise BadRequest("the namespace of the provided object does not match the namespace sent on the request")
        return namespace or obj_ns or "default"

    def _get_namespace(self, name: str) -> dict[str, Any] | None:
        kv = self.store.get(etcd_key(kinds.lookup("namespaces"), None, name))
        return kv.value if kv else None

    def _objects_in(self, resource: str, namespace: str) -> builtins.list[dict[str, Any]]:
        """The stored *resource* objects of *namespace*: admission's view of the store."""
        kvs, _ = self.store.range(etcd_prefix(kinds.lookup(resource), namespace))
        return [kv.value for kv in kvs]

    def _request(self, agent: str, user: UserInfo, method: str, kind: Kind, namespace: str | None,
                 name: str | None, subresource: str | None, obj: dict[str, Any] | None, explain: str) -> None:
        self.flow.record(
            agent or user.name, "apiserver", f"{method} {rest_path(kind, namespace, name, subresource)}",
            obj or {"kind": kind.kind, "metadata": {"name": name or "", "namespace": namespace or ""}},
            explain=explain, user=user.name,
        )

    @contextlib.contextmanager
    def _write(self) -> Any:
        """Around a store write and its :meth:`_etcd` record (see :meth:`_after_write`)."""
        with self._writes:
            self._writing += 1
        try:
            yield
        finally:
            with self._writes:
                self._writing -= 1
                self._writes.notify_all()

    def _after_write(self, revision: int) -> None:
        """Before a watch delivery of *revision* is recorded: wait until the write that made it has
        been recorded, while writes are in flight (bounded: a foreign write never stalls a watcher
        for long). Not in step mode, where a write may wait minutes for 下一步 and the permits
        already let one event through at a time."""
        if self.flow.step_mode:
            return
        with self._writes:
            self._writes.wait_for(lambda: self._writing == 0 or self._recorded >= revision, timeout=0.5)

    def _etcd(self, op: str, key: str, obj: dict[str, Any], revision: int, explain: str,
              subresource: str | None = None) -> None:
        detail: dict[str, Any] = {"subresource": subresource} if subresource else {}
        if obj.get("kind") == "Pod":  # what the flow dashboard shows beside the write
            detail["phase"] = (obj.get("status") or {}).get("phase", "")
            detail["node"] = (obj.get("spec") or {}).get("nodeName", "")
        self.flow.record("apiserver", "etcd", f"{op} {key}", obj, revision=revision, explain=explain, **detail)
        with self._writes:
            self._recorded = max(self._recorded, revision)
            self._writes.notify_all()

    # ------------------------------------------------------------------ decoding and warnings
    @property
    def last_warnings(self) -> builtins.list[str]:
        """The warnings of this thread's last create/update/patch (``unknown field "spec.foo"``
        with ``field_validation="Warn"``), as a real apiserver's ``Warning`` headers."""
        return list(getattr(self._tls, "warnings", ()))

    def _warn(self, warnings: builtins.list[str]) -> None:
        self._tls.warnings = list(warnings)

    @staticmethod
    def _field_validation(mode: str, options: str) -> str:
        """upstream's ValidateCreateOptions (and Update, Patch) for ``fieldValidation``."""
        if mode == "":
            return "Warn"  # the server's default since 1.27
        if mode not in schema.FIELD_VALIDATION_MODES:
            raise Invalid(options, "", [FieldError("fieldValidation", "Unsupported value", mode,
                                                   'supported values: "", "Ignore", "Strict", "Warn"')],
                          group="meta.k8s.io")
        return mode

    def _decode_body(self, obj: dict[str, Any], field_validation: str) -> dict[str, Any]:
        """The request body through the decoder: raise on type errors (and unknown fields with
        Strict), keep Warn's warnings, drop the fields the Go types do not have (in place)."""
        self._warn(validation.check_decodable(obj, field_validation))
        return schema.prune(obj)

    def _check(self, user: UserInfo, verb: str, kind: Kind, namespace: str | None, name: str | None = None,
               subresource: str | None = None) -> UserInfo:
        user = self.authz.authenticate(user)
        self.authz.authorize(user, verb, kind.group, kind.plural, namespace, name, subresource)
        return user

    # ------------------------------------------------------------------ create
    def create(self, user: UserInfo, resource: str, obj: dict[str, Any], namespace: str | None = None,
               subresource: str | None = None, dry_run: bool = False, agent: str = "",
               field_validation: str = "Warn") -> dict[str, Any]:
        self._warn([])
        kind = self.kind(resource)
        if subresource == "binding":
            return self._bind(user, kind, obj, namespace, agent)
        if subresource == "eviction":
            return self._evict(user, kind, obj, namespace, agent)
        if subresource == "token":
            return self._token_request(user, kind, obj, namespace, agent)
        if subresource:
            raise MethodNotAllowed('the server does not allow this method on the requested resource')
        if not isinstance(obj, dict):
            raise BadRequest("the object provided is not a JSON object")
        obj = meta.deep_copy(obj)
        if obj.get("kind") and obj["kind"] != kind.kind:
            raise BadRequest(
                f"the server rejected our request due to an error in our request: {obj['kind']} in version "
                f'"{obj.get("apiVersion", "")}" cannot be handled as a {kind.kind}'
            )
        obj["kind"], obj["apiVersion"] = kind.kind, kind.api_version
        if not isinstance(obj.get("metadata", {}), dict):  # the decoder's 400, before we read it
            validation.check_decodable(obj)
        md = obj.setdefault("metadata", {})
        ns = self._namespace_for(kind, namespace, obj)
        if ns:
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + _random_suffix()
        self._request(agent, user, "POST", kind, ns, None, None, obj,
                      f"请求创建 {kind.kind} {md.get('name', '')}")
        self._check(user, "create", kind, ns, None)
        obj = self._decode_body(obj, self._field_validation(field_validation, "CreateOptions"))
        admission.admit(kind, obj, ns, "CREATE", self._get_namespace, self._objects_in)
        if kind.kind == "PersistentVolumeClaim":  # the DefaultStorageClass admission plugin
            kvs, _ = self.store.range(etcd_prefix(kinds.lookup("storageclasses")))
            storage.admit_default_storage_class(obj, [kv.value for kv in kvs])
        self._prepare_for_create(kind, obj)
        if kind.kind == "Service":
            self.service_allocator.allocate(obj)
        validation.validate(obj)
        quota.admit(self.store, kind, obj, ns, "CREATE", dry_run)  # ResourceQuota: last, charges status.used
        if dry_run:
            return obj
        key = etcd_key(kind, ns, md["name"])
        with self._write():
            try:
                kv = self.store.create(key, obj)
            except CASFailed:
                raise AlreadyExists.of(kind.qualified, md["name"]) from None
            if kind.plural in _RBAC_RESOURCES:
                self.authz.invalidate()
            self._etcd("PUT", key, obj, kv.mod_revision,
                       f"认证、授权（RBAC）、准入和校验都通过，{kind.kind} 写入 etcd,revision 变为 {kv.mod_revision}")
        return self._decode(kv.value, kv.mod_revision)

    def _prepare_for_create(self, kind: Kind, obj: dict[str, Any]) -> None:
        md = obj["metadata"]
        for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            md.pop(field, None)
        md["uid"] = meta.new_uid()
        md["creationTimestamp"] = self.clock.timestamp()
        prepare = defaults.PREPARE_FOR_CREATE.get(kind.kind)
        if prepare is not None:
            prepare(obj)
        if "spec" in obj and kind.kind not in ("Pod", "Node", "Namespace"):
            md["generation"] = 1
        # A client cannot write status on create (upstream's PrepareForCreate): status is
        # what the system observed, so it starts empty.
        if kind.kind == "Pod":
            obj["status"] = {"phase": "Pending", "qosClass": meta.pod_qos_class(obj)}
        elif kind.kind == "Namespace":
            obj["status"] = {"phase": "Active"}
        elif _has_status(kind) and kind.kind != "Node":
            obj["status"] = {}

    # ------------------------------------------------------------------ read
    def get(self, user: UserInfo, resource: str, name: str, namespace: str | None = None,
            subresource: str | None = None, agent: str = "", record: bool = True) -> dict[str, Any]:
        kind = self.kind(resource)
        ns = self._namespace_for(kind, namespace)
        if record:
            self._request(agent, user, "GET", kind, ns, name, subresource, None, f"读取 {kind.kind} {name}")
        self._check(user, "get", kind, ns, name, subresource)
        if kind.group == METRICS_GROUP:  # served by metrics-server, not stored (an aggregated API)
            return self._metrics_api(kind).get(kind.plural, ns, name)
        kv = self.store.get(etcd_key(kind, ns, name))
        if kv is None:
            raise NotFound.of(kind.qualified, name)
        obj = self._decode(kv.value, kv.mod_revision)
        if subresource == "scale":
            return self._scale_of(kind, obj)
        return obj

    def list(self, user: UserInfo, resource: str, namespace: str | None = None,
             label_selector: str | None = None, field_selector: str | None = None,
             agent: str = "", record: bool = True) -> dict[str, Any]:
        kind = self.kind(resource)
        ns = namespace if kind.namespaced else None
        if record:
            self._request(agent, user, "GET", kind, ns, None, None, None, f"列出 {kind.kind}")
        self._check(user, "list", kind, ns)
        if kind.group == METRICS_GROUP:
            return self._metrics_api(kind).list(kind.plural, ns, label_selector)
        matches = self._matcher(label_selector, field_selector)
        kvs, revision = self.store.range(etcd_prefix(kind, ns))
        items = [self._decode(kv.value, kv.mod_revision) for kv in kvs if matches(kv.value)]
        return {
            "apiVersion": kind.api_version,
            "kind": f"{kind.kind}List",
            "metadata": {"resourceVersion": str(revision)},
            "items": items,
        }

    @staticmethod
    def _matcher(label_selector: str | None, field_selector: str | None) -> Callable[[dict[str, Any]], bool]:
        try:
            lsel = selectors.parse_selector(label_selector or "")
            fsel = selectors.parse_field_selector(field_selector) if field_selector else None
        except ValueError as err:
            raise BadRequest(f"unable to parse requirement: {err}") from None

        def matches(obj: dict[str, Any]) -> bool:
            if not lsel.matches(obj.get("metadata", {}).get("labels") or {}):
                return False
            return fsel is None or fsel.matches(obj)

        return matches

    # ------------------------------------------------------------------ update and patch
    def update(self, user: UserInfo, resource: str, obj: dict[str, Any], namespace: str | None = None,
               subresource: str | None = None, dry_run: bool = False, agent: str = "",
               field_validation: str = "Warn") -> dict[str, Any]:
        self._warn([])
        kind = self.kind(resource)
        if isinstance(obj, dict) and not isinstance(obj.get("metadata", {}), dict):
            validation.check_decodable({**obj, "kind": kind.kind, "apiVersion": kind.api_version})
        ns = self._namespace_for(kind, namespace, obj)
        name = obj.get("metadata", {}).get("name")
        if not name:
            raise BadRequest("name is required for update")
        self._request(agent, user, "PUT", kind, ns, name, subresource, obj,
                      f"请求更新 {kind.kind} {name}" + (f" 的 {subresource}" if subresource else ""))
        self._check(user, "update", kind, ns, name, subresource)
        mode = self._field_validation(field_validation, "UpdateOptions")
        return self._update(kind, ns, name, obj, subresource, dry_run, mode)

    def _update(self, kind: Kind, ns: str | None, name: str, obj: dict[str, Any], subresource: str | None,
                dry_run: bool, field_validation: str = "Warn") -> dict[str, Any]:
        key = etcd_key(kind, ns, name)
        old_kv = self.store.get(key)
        if old_kv is None:
            raise NotFound.of(kind.qualified, name)
        old = old_kv.value
        rv = obj.get("metadata", {}).get("resourceVersion")
        if rv not in (None, "", "0") and str(rv) != str(old_kv.mod_revision):
            raise Conflict.modified(kind.qualified, name)
        if subresource == "scale":
            new = meta.deep_copy(old)
            replicas = obj.get("spec", {}).get("replicas")
            new.setdefault("spec", {})["replicas"] = replicas
        elif subresource == "status":
            new = meta.deep_copy(old)
            new["status"] = meta.deep_copy(obj.get("status") or {})
            new = self._decode_body(new, field_validation)
        elif subresource == "finalize" and kind.kind == "Namespace":
            new = meta.deep_copy(old)
            new.setdefault("spec", {})["finalizers"] = list(obj.get("spec", {}).get("finalizers") or [])
        elif subresource:
            raise MethodNotAllowed("the server does not allow this method on the requested resource")
        else:
            new = meta.deep_copy(obj)
            new["kind"], new["apiVersion"] = kind.kind, kind.api_version
            md, old_md = new.setdefault("metadata", {}), old["metadata"]
            if ns:
                md["namespace"] = ns
            for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                          "generation"):
                if field in old_md:
                    md[field] = old_md[field]
                else:
                    md.pop(field, None)
            if _has_status(kind) and kind.kind != "Node":
                new["status"] = meta.deep_copy(old.get("status", {}))
            if kind.kind == "Pod":
                new["status"] = meta.deep_copy(old.get("status", {}))
            new = self._decode_body(new, field_validation)
            admission.admit(kind, new, ns, "UPDATE", self._get_namespace, self._objects_in)
            if kind.kind == "Service":
                self.service_allocator.allocate(new, old)
            if "generation" in old_md and new.get("spec") != old.get("spec"):
                md["generation"] = old_md["generation"] + 1
        new.setdefault("metadata", {}).pop("resourceVersion", None)
        if (
            subresource is None
            and old.get("metadata", {}).get("deletionTimestamp")
            and not _finalizers_pending(new)
            and old.get("metadata", {}).get("finalizers")
        ):
            # The last finalizer is gone: the deletion that was waiting for it happens now.
            validation.validate(new, old)
            if dry_run:
                return new
            return self._remove(kind, key, old_kv.mod_revision, new, "最后一个 finalizer 已移除，对象被真正删除")
        validation.validate(new, old)
        if new == old:  # a no-op update writes nothing and keeps the resourceVersion
            return self._decode(old, old_kv.mod_revision)
        if dry_run:
            return new
        with self._write():
            try:
                kv = self.store.update(key, new, old_kv.mod_revision)
            except CASFailed:
                raise Conflict.modified(kind.qualified, name) from None
            if kind.plural in _RBAC_RESOURCES:
                self.authz.invalidate()
            self._etcd("PUT", key, new, kv.mod_revision, f"更新写入 etcd，revision 变为 {kv.mod_revision}",
                       subresource)
        if (
            kind.kind == "Namespace"
            and new["metadata"].get("deletionTimestamp")
            and not _finalizers_pending(new)
        ):
            return self._remove(kind, key, kv.mod_revision, new, "Namespace 的 finalizer 都已完成，Namespace 被删除")
        return self._decode(kv.value, kv.mod_revision)

    def patch(self, user: UserInfo, resource: str, name: str, patch: Any, namespace: str | None = None,
              patch_type: str = "merge", subresource: str | None = None, dry_run: bool = False,
              agent: str = "", field_validation: str = "Warn") -> dict[str, Any]:
        self._warn([])
        kind = self.kind(resource)
        ns = self._namespace_for(kind, namespace)
        self._request(agent, user, "PATCH", kind, ns, name, subresource,
                      {"kind": kind.kind, "metadata": {"name": name, "namespace": ns or ""}},
                      f"请求修改 {kind.kind} {name}({patch_type} patch)")
        self._check(user, "patch", kind, ns, name, subresource)
        mode = self._field_validation(field_validation, "PatchOptions")
        apply = {
            "merge": patching.merge_patch,
            "strategic": patching.strategic_merge_patch,
            "json": patching.json_patch,
        }.get(patch_type)
        if apply is None:
            raise BadRequest(f"unsupported patch type {patch_type}")
        for _ in range(_CONFLICT_RETRIES):
            kv = self.store.get(etcd_key(kind, ns, name))
            if kv is None:
                raise NotFound.of(kind.qualified, name)
            current = self._decode(kv.value, kv.mod_revision)
            if subresource == "scale":
                current = self._scale_of(kind, current)
            patched = apply(current, patch)
            if not isinstance(patched, dict):
                raise BadRequest("the patch did not produce an object")
            pinned = isinstance(patch, dict) and "resourceVersion" in (patch.get("metadata") or {})
            if not pinned:
                patched.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
            patched.setdefault("metadata", {})["name"] = name
            warnings: builtins.list[str] = []
            if subresource in (None, "status"):  # upstream decodes the patched object
                warnings = schema.check_patch(patched, patch, patch_type, mode)
            try:
                result = self._update(kind, ns, name, patched, subresource, dry_run, "Ignore")
                self._warn(warnings)
            except Conflict:
                if pinned:
                    raise
                continue  # someone wrote meanwhile: re-read and re-apply, as upstream does
            return self._scale_of(kind, result) if subresource == "scale" else result
        raise Conflict.modified(kind.qualified, name)

    def _scale_of(self, kind: Kind, obj: dict[str, Any]) -> dict[str, Any]:
        if kind.kind not in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"):
            raise NotFound("the server could not find the requested resource")
        sel = obj.get("spec", {}).get("selector") or {}
        try:
            selector = str(selectors.from_label_selector(sel))
        except Exception:
            selector = ""
        md = obj["metadata"]
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in md},
            "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
            "status": {"replicas": obj.get("status", {}).get("replicas", 0), "selector": selector},
        }

    # ------------------------------------------------------------------ delete
    def delete(self, user: UserInfo, resource: str, name: str, namespace: str | None = None,
               grace_period_seconds: int | None = None, propagation_policy: str | None = None,
               preconditions: dict[str, Any] | None = None, dry_run: bool = False,
               agent: str = "") -> dict[str, Any]:
        kind = self.kind(resource)
        ns = self._namespace_for(kind, namespace)
        self._request(agent, user, "DELETE", kind, ns, name, None, None, f"请求删除 {kind.kind} {name}")
        self._check(user, "delete", kind, ns, name)
        if propagation_policy not in (None, "Background", "Foreground", "Orphan"):
            raise BadRequest(f'propagationPolicy: Unsupported value: "{propagation_policy}": supported values: "Foreground", "Background", "Orphan"')
        for _ in range(_CONFLICT_RETRIES):
            try:
                return self._delete_once(kind, ns, name, grace_period_seconds, propagation_policy,
                                         preconditions, dry_run)
            except CASFailed:
                continue
        raise Conflict.modified(kind.qualified, name)

    def _delete_once(self, kind: Kind, ns: str | None, name: str, grace: int | None, policy: str | None,
                     preconditions: dict[str, Any] | None, dry_run: bool) -> dict[str, Any]:
        key = etcd_key(kind, ns, name)
        kv = self.store.get(key)
        if kv is None:
            raise NotFound.of(kind.qualified, name)
        old = kv.value
        md = old["metadata"]
        if preconditions:
            if preconditions.get("uid") and preconditions["uid"] != md.get("uid"):
                raise Conflict(
                    f'Operation cannot be fulfilled on {kind.qualified} "{name}": Precondition failed: '
                    f"UID in precondition: {preconditions['uid']}, UID in object meta: {md.get('uid')}"
                )
            prv = preconditions.get("resourceVersion")
            if prv and str(prv) != str(kv.mod_revision):
                raise Conflict(
                    f'Operation cannot be fulfilled on {kind.qualified} "{name}": Precondition failed: '
                    f"ResourceVersion in precondition: {prv}, ResourceVersion in object meta: {kv.mod_revision}"
                )
        new = meta.deep_copy(old)
        nmd = new["metadata"]
        finalizers = list(nmd.get("finalizers") or [])
        if policy == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        elif policy == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        if finalizers:
            nmd["finalizers"] = finalizers
        grace = self._grace_period(kind, old, grace)
        if kind.kind == "Namespace":
            if not md.get("deletionTimestamp"):
                nmd["deletionTimestamp"] = self.clock.timestamp()
                nmd["deletionGracePeriodSeconds"] = 0
                new.setdefault("status", {})["phase"] = "Terminating"
                return self._write_deleting(kind, key, kv.mod_revision, new, dry_run,
                                            "Namespace 进入 Terminating：命名空间控制器会删除其中的一切")
            return self._decode(old, kv.mod_revision)
        if md.get("deletionTimestamp"):
            # Already being deleted: a shorter grace period (e.g. 0 from the kubelet) wins.
            current = md.get("deletionGracePeriodSeconds")
            if grace == 0 and not finalizers:
                return self._remove(kind, key, kv.mod_revision, new, "宽限期结束，对象从 etcd 中删除", dry_run)
            if current is None or grace >= current:
                if nmd.get("finalizers") != md.get("finalizers"):
                    return self._write_deleting(kind, key, kv.mod_revision, new, dry_run, "加入 finalizer")
                return self._decode(old, kv.mod_revision)
            nmd["deletionGracePeriodSeconds"] = grace
            nmd["deletionTimestamp"] = self.clock.timestamp() if grace == 0 else _later(self.clock, grace)
            return self._write_deleting(kind, key, kv.mod_revision, new, dry_run, f"宽限期缩短为 {grace} 秒")
        if grace > 0 or finalizers:
            nmd["deletionTimestamp"] = _later(self.clock, grace) if grace else self.clock.timestamp()
            nmd["deletionGracePeriodSeconds"] = grace
            why = (
                f"优雅删除（graceful deletion）：设置 deletionTimestamp，宽限期 {grace} 秒，等待 kubelet 停止容器"
                if grace
                else f"等待 finalizer {', '.join(finalizers)} 完成后才真正删除"
            )
            return self._write_deleting(kind, key, kv.mod_revision, new, dry_run, why)
        return self._remove(kind, key, kv.mod_revision, old, "对象从 etcd 中删除", dry_run)

    @staticmethod
    def _grace_period(kind: Kind, obj: dict[str, Any], requested: int | None) -> int:
        if kind.kind != "Pod":
            return 0
        if requested is not None and requested < 0:
            raise BadRequest("gracePeriodSeconds must be >= 0")
        spec, status = obj.get("spec", {}), obj.get("status", {})
        # upstream: unscheduled and finished Pods have nothing to stop, so they go at once
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return requested
        value = spec.get("terminationGracePeriodSeconds")
        return 30 if value is None else int(value)

    def _write_deleting(self, kind: Kind, key: str, mod_revision: int, new: dict[str, Any], dry_run: bool,
                        explain: str) -> dict[str, Any]:
        new["metadata"].pop("resourceVersion", None)
        if dry_run:
            return new
        with self._write():
            kv = self.store.update(key, new, mod_revision)
            self._etcd("PUT", key, new, kv.mod_revision, explain)
        return self._decode(kv.value, kv.mod_revision)

    def _remove(self, kind: Kind, key: str, mod_revision: int, obj: dict[str, Any], explain: str,
                dry_run: bool = False) -> dict[str, Any]:
        if dry_run:
            return obj
        with self._write():
            gone = self.store.delete(key, mod_revision)
            if kind.plural in _RBAC_RESOURCES:
                self.authz.invalidate()
            self._etcd("DELETE", key, obj, gone.mod_revision, explain)
        return self._decode(gone.value, gone.mod_revision)

    # ------------------------------------------------------------------ subresources
    def _bind(self, user: UserInfo, kind: Kind, binding: dict[str, Any], namespace: str | None,
              agent: str) -> dict[str, Any]:
        if kind.kind != "Pod":
            raise NotFound("the server could not find the requested resource")
        name = binding.get("metadata", {}).get("name", "")
        ns = self._namespace_for(kind, namespace, binding)
        node = (binding.get("target") or {}).get("name", "")
        self._request(agent, user, "POST", kind, ns, name, "binding", binding,
                      f"调度器把 Pod {name} 绑定（bind）到节点 {node}")
        self._check(user, "create", kind, ns, name, "binding")
        if not node:
            raise BadRequest("target.name: Required value")
        for _ in range(_CONFLICT_RETRIES):
            key = etcd_key(kind, ns, name)
            kv = self.store.get(key)
            if kv is None:
                raise NotFound.of(kind.qualified, name)
            pod = meta.deep_copy(kv.value)
            if pod["metadata"].get("deletionTimestamp"):
                raise Conflict(f"pod {name} is being deleted, cannot be assigned to a host")
            current = pod.get("spec", {}).get("nodeName")
            if current:
                raise Conflict(f'pod {name} is already assigned to node "{current}"')
            pod["spec"]["nodeName"] = node
            status = pod.setdefault("status", {})
            meta.set_condition(status, {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                                         "lastTransitionTime": self.clock.timestamp()})
            with self._write():
                try:
                    new_kv = self.store.update(key, pod, kv.mod_revision)
                except CASFailed:
                    continue
                self._etcd("PUT", key, pod, new_kv.mod_revision, f"Pod {name} 的 spec.nodeName 写为 {node}")
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
        raise Conflict.modified(kind.qualified, name)

    def _evict(self, user: UserInfo, kind: Kind, eviction: dict[str, Any], namespace: str | None,
               agent: str) -> dict[str, Any]:
        if kind.kind != "Pod":
            raise NotFound("the server could not find the requested resource")
        name = eviction.get("metadata", {}).get("name", "")
        ns = self._namespace_for(kind, namespace, eviction)
        self._check(user, "create", kind, ns, name, "eviction")
        opts = eviction.get("deleteOptions") or {}
        self.delete(user, "pods", name, ns, grace_period_seconds=opts.get("gracePeriodSeconds"), agent=agent)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    def _token_request(self, user: UserInfo, kind: Kind, request: dict[str, Any], namespace: str | None,
                       agent: str) -> dict[str, Any]:
        """``POST serviceaccounts/<name>/token``: a signed token for the ServiceAccount (tokens.py)."""
        if kind.kind != "ServiceAccount" or not isinstance(request, dict):
            raise NotFound("the server could not find the requested resource")
        name = (request.get("metadata") or {}).get("name", "")
        ns = self._namespace_for(kind, namespace, request)
        self._request(agent, user, "POST", kind, ns, name, "token", request,
                      f"请求为 ServiceAccount {name} 签发令牌（TokenRequest）")
        self._check(user, "create", kind, ns, name, "token")
        sa = self._stored("serviceaccounts", ns, name)
        if sa is None:
            raise NotFound.of("serviceaccounts", name)
        return self.tokens.token_request(sa, request)

    # ------------------------------------------------------------------ watch
    def watch(self, user: UserInfo, resource: str, namespace: str | None = None,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None, agent: str = "") -> Watch:
        """Changes after *resource_version*; without one, the current objects as ADDED first."""
        kind = self.kind(resource)
        ns = namespace if kind.namespaced else None
        self._check(user, "watch", kind, ns)
        matches = self._matcher(label_selector, field_selector)
        prefix = etcd_prefix(kind, ns)
        agent = agent or user.name
        record = agent in self.watch_agents

        def on_event(event: WatchEvent) -> None:
            if record:
                self._after_write(event.revision)
                self.flow.record("apiserver", agent, f"watch {event.type}", event.object,
                                 revision=event.revision, explain=f"{agent} 通过 watch 得知 {event.object.get('kind', '')} 变化")

        initial: list[WatchEvent] = []
        if resource_version in (None, "", "0"):
            for _ in range(3):
                kvs, revision = self.store.range(prefix)
                try:
                    w = self.store.watch(prefix, revision + 1)
                    break
                except Compacted:
                    continue
            else:
                raise Gone("too old resource version")
            initial = [WatchEvent("ADDED", self._decode(kv.value, kv.mod_revision)) for kv in kvs if matches(kv.value)]
        else:
            try:
                rv = int(resource_version)
            except ValueError:
                raise BadRequest(f'invalid resource version "{resource_version}"') from None
            try:
                w = self.store.watch(prefix, rv + 1)
            except Compacted as err:
                raise Gone(f"too old resource version: {rv} ({err.compacted + 1})") from None
            except FutureRevision:
                raise Gone(f"Too large resource version: {rv}, current: {self.store.revision}") from None
        return Watch(w, self._decode, matches, initial, on_event)

    # ------------------------------------------------------------------ apiserver → kubelet
    def register_kubelet(self, node: str, connection: Any) -> None:
        """A kubelet offers ``logs``/``follow_logs``/``exec`` for its Pods (as the real kubelet's
        HTTPS port does); the apiserver proxies ``pods/log`` and ``pods/exec`` to it."""
        self.kubelets[node] = connection

    def unregister_kubelet(self, node: str) -> None:
        self.kubelets.pop(node, None)

    # ------------------------------------------------------------------ apiserver → metrics-server
    def register_metrics(self, provider: Any) -> None:
        """metrics-server offers ``get``/``list`` of ``metrics.k8s.io`` (PodMetrics, NodeMetrics);
        upstream registers it as an APIService and the apiserver proxies the group to it."""
        self.metrics_provider = provider

    def _metrics_api(self, kind: Kind) -> Any:
        if self.metrics_provider is None:
            raise ServiceUnavailable(f"the server is currently unable to handle the request (get {kind.qualified})")
        return self.metrics_provider

    def node_summary(self, user: UserInfo, node: str, agent: str = "") -> dict[str, Any]:
        """``GET /api/v1/nodes/<node>/proxy/stats/summary``: the kubelet's usage report (metrics-server's
        scrape; upstream it dials the kubelet itself, with the ``nodes/metrics`` permission)."""
        kind = self.kind("nodes")
        self._check(user, "get", kind, None, node, "metrics")
        conn = self.kubelets.get(node)
        if conn is None:
            raise ServiceUnavailable(f'no kubelet for node "{node}"')
        summary: dict[str, Any] = conn.stats_summary()
        return summary

    def _kubelet_for(self, user: UserInfo, namespace: str, name: str, sub: str, verb: str,
                     container: str | None, agent: str) -> tuple[Any, dict[str, Any], str]:
        kind = self.kind("pods")
        self._request(agent, user, "GET" if verb == "get" else "POST", kind, namespace, name, sub, None,
                      f"请求 Pod {name} 的 {sub};API Server 转发给所在节点的 kubelet")
        self._check(user, verb, kind, namespace, name, sub)
        pod = self.get(user, "pods", name, namespace, agent=agent, record=False)
        containers = [c["name"] for c in pod.get("spec", {}).get("containers", [])]
        if container is None:
            if len(containers) != 1:
                raise BadRequest(
                    f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
                )
            container = containers[0]
        elif container not in containers + [c["name"] for c in pod["spec"].get("initContainers", [])]:
            raise BadRequest(f"container {container} is not valid for pod {name}")
        node = pod.get("spec", {}).get("nodeName")
        conn = self.kubelets.get(node or "")
        if conn is None:
            raise BadRequest(f'pod {name} does not have a host assigned' if not node
                             else f'Get "https://{node}:10250/containerLogs/{namespace}/{name}/{container}": node unreachable')
        return conn, pod, container

    def pod_logs(self, user: UserInfo, namespace: str, name: str, container: str | None = None,
                 tail_lines: int | None = None, since_seconds: int | None = None, previous: bool = False,
                 timestamps: bool = False, follow: bool = False, agent: str = "") -> Any:
        conn, pod, container = self._kubelet_for(user, namespace, name, "log", "get", container, agent)
        if follow:
            return conn.follow_logs(namespace, name, container, tail_lines=tail_lines, since_seconds=since_seconds)
        return conn.logs(namespace, name, container, tail_lines=tail_lines, since_seconds=since_seconds,
                         previous=previous, timestamps=timestamps)

    def pod_exec(self, user: UserInfo, namespace: str, name: str, command: builtins.list[str],
                 container: str | None = None, stdin: bytes | None = None, agent: str = "") -> Any:
        conn, pod, container = self._kubelet_for(user, namespace, name, "exec", "create", container, agent)
        return conn.exec(namespace, name, container, command, stdin=stdin)

    def pod_attach(self, user: UserInfo, namespace: str, name: str, container: str | None = None,
                   stdin: bool = False, agent: str = "") -> Any:
        """``pods/attach``: the kubelet's attach stream (``read``/``write``/``close``) of the container."""
        conn, pod, container = self._kubelet_for(user, namespace, name, "attach", "create", container, agent)
        return conn.attach(namespace, name, container, stdin=stdin)

    def pod_port_address(self, user: UserInfo, namespace: str, name: str, port: int, agent: str = "") -> Any:
        """``pods/portforward``: (host, port) the kernel connects to for *port* of the Pod."""
        pod = self.get(user, "pods", name, namespace, agent=agent, record=False)
        first = ((pod.get("spec") or {}).get("containers") or [{}])[0].get("name")
        conn, _, _ = self._kubelet_for(user, namespace, name, "portforward", "create", first, agent)
        return conn.port_address(namespace, name, port)

    # ------------------------------------------------------------------ misc
    @property
    def revision(self) -> int:
        return self.store.revision

    def close(self) -> None:
        self.store.close()


def _later(clock: Clock, seconds: int) -> str:
    from ..clock import rfc3339

    return rfc3339(clock.now() + seconds)

