"""k8sedu.api.kinds: names kubectl accepts, REST mapping of manifests, the registry."""

from __future__ import annotations

import pytest

from k8sedu.api import kinds
from k8sedu.api.kinds import Kind, Registry, all_kinds, for_kind, for_object, for_resource, lookup
from k8sedu.errors import BadRequest, KubectlError


@pytest.mark.parametrize(
    "name, plural",
    [
        ("po", "pods"),
        ("pod", "pods"),
        ("pods", "pods"),
        ("Pod", "pods"),
        ("PODS", "pods"),
        ("deploy", "deployments"),
        ("deployment", "deployments"),
        ("Deployment", "deployments"),
        ("deployments.apps", "deployments"),
        ("deploy.apps", "deployments"),
        ("deployments.v1.apps", "deployments"),
        ("rs", "replicasets"),
        ("svc", "services"),
        ("ep", "endpoints"),
        ("ns", "namespaces"),
        ("no", "nodes"),
        ("ev", "events"),
        ("sa", "serviceaccounts"),
        ("cm", "configmaps"),
        ("secret", "secrets"),
        ("leases.coordination.k8s.io", "leases"),
        ("clusterrolebindings", "clusterrolebindings"),
        ("roles.rbac.authorization.k8s.io", "roles"),
        ("pods.", "pods"),
    ],
)
def test_lookup_accepts_kubectl_spellings(name: str, plural: str) -> None:
    assert lookup(name).plural == plural


@pytest.mark.parametrize("name", ["foo", "deployments.core", "pods.apps", "", "deploy.v2.apps"])
def test_lookup_unknown_raises_kubectl_message(name: str) -> None:
    with pytest.raises(KubectlError) as e:
        lookup(name)
    assert str(e.value) == f'error: the server doesn\'t have a resource type "{name}"'


def test_api_version_and_qualified() -> None:
    d = lookup("deploy")
    assert (d.api_version, d.qualified, d.group, d.version) == (
        "apps/v1",
        "deployments.apps",
        "apps",
        "v1",
    )
    p = lookup("po")
    assert (p.api_version, p.qualified) == ("v1", "pods")
    assert lookup("lease").api_version == "coordination.k8s.io/v1"
    assert lookup("clusterrole").qualified == "clusterroles.rbac.authorization.k8s.io"


def test_kind_facts_as_upstream_discovery() -> None:
    pod = lookup("pods")
    assert pod.namespaced and pod.short_names == ("po",) and pod.categories == ("all",)
    for sub in ("status", "binding", "eviction", "log", "exec"):
        assert sub in pod.subresources
    assert lookup("deploy").subresources == ("status", "scale")
    assert lookup("rs").subresources == ("status", "scale")
    assert "all" in lookup("svc").categories
    assert not lookup("node").namespaced and not lookup("ns").namespaced
    assert not lookup("clusterrole").namespaced and lookup("role").namespaced
    assert lookup("lease").namespaced
    binding = lookup("binding")
    assert binding.kind == "Binding" and not binding.listable and binding.verbs == ("create",)
    assert "deletecollection" not in lookup("ns").verbs
    assert lookup("cm").listable


def test_for_object() -> None:
    assert for_object({"apiVersion": "apps/v1", "kind": "Deployment"}).plural == "deployments"
    assert for_object({"apiVersion": "v1", "kind": "Pod"}).plural == "pods"
    assert (
        for_object({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding"}).plural
        == "rolebindings"
    )


@pytest.mark.parametrize(
    "api_version, kind",
    [
        ("v1", "Foo"),
        ("v1", "Deployment"),
        ("apps/v1beta1", "Deployment"),
        ("apps/v1", "Pod"),
        ("", "Pod"),
    ],
)
def test_for_object_unknown(api_version: str, kind: str) -> None:
    with pytest.raises(BadRequest) as e:
        for_object({"apiVersion": api_version, "kind": kind})
    assert e.value.message == f'no matches for kind "{kind}" in version "{api_version}"'
    assert e.value.code == 400


def test_for_kind_and_resource() -> None:
    assert for_kind("ReplicaSet").group == "apps"
    assert for_resource("events").kind == "Event"
    with pytest.raises(KeyError):
        for_kind("Frobnicator")
    with pytest.raises(KeyError):
        for_resource("frobnicators")


def test_all_kinds_has_the_builtin_set() -> None:
    names = {k.kind for k in all_kinds()}
    assert {
        "Pod",
        "Node",
        "Namespace",
        "Deployment",
        "ReplicaSet",
        "Event",
        "Binding",
        "Lease",
        "Role",
        "ClusterRole",
        "RoleBinding",
        "ClusterRoleBinding",
        "ServiceAccount",
        "ConfigMap",
        "Secret",
        "Service",
        "Endpoints",
    } <= names


def test_registry_refuses_duplicates_and_adding_is_one_call() -> None:
    reg = Registry()
    cj = Kind(
        "CronJob",
        "cronjobs",
        "cronjob",
        "batch",
        "v1",
        True,
        short_names=("cj",),
        categories=("all",),
    )
    reg.register(cj)
    assert reg.lookup("cj") is cj and reg.lookup("cronjobs.batch") is cj
    assert reg.for_object({"apiVersion": "batch/v1", "kind": "CronJob"}) is cj
    with pytest.raises(ValueError):
        reg.register(cj)
    with pytest.raises(ValueError):
        reg.register(Kind("Other", "cronjobs", "other", "batch", "v1", True))
    # the global registry is separate and already refuses its own duplicates
    with pytest.raises(ValueError):
        kinds.register(Kind("Pod", "pods", "pod", "", "v1", True))


def test_kind_is_frozen() -> None:
    from dataclasses import FrozenInstanceError

    with pytest.raises(FrozenInstanceError):
        lookup("po").plural = "x"  # type: ignore[misc]


def test_public_surface_of_the_package() -> None:
    import k8sedu.api as api

    expected = {
        "Kind", "Registry", "register", "lookup", "for_object", "for_kind", "for_resource", "all_kinds",
        "parse_quantity", "cpu_millis", "memory_bytes", "format_quantity", "format_cpu_millis", "format_bytes",
        "Selector", "Requirement", "FieldSelector", "parse_selector", "from_label_selector", "selector_from_set",
        "parse_field_selector", "validate", "field_errors", "VALIDATORS", "NAME_FORMATS", "apply_defaults",
        "DEFAULTERS", "default_tolerations", "image_pull_policy", "key", "split_key", "new_uid", "deep_copy",
        "controller_ref", "owner_of", "is_controlled_by", "make_controller_ref", "pod_is_ready", "pod_requests",
        "container_requests", "pod_qos_class", "get_condition", "set_condition", "pod_template_hash",
    }  # fmt: skip
    assert set(api.__all__) == expected
    for name in expected:
        assert getattr(api, name) is not None
