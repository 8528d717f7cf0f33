"""Role and ClusterRole, RoleBinding and ClusterRoleBinding.

A role's rules are shown as kubectl compacts them: broken down to one resource and verb each, then
merged again per resource, so ``get`` and ``list`` on deployments given in two rules print as one
row::

    Resources         Non-Resource URLs  Resource Names  Verbs
    ---------         -----------------  --------------  -----
    deployments.apps  []                 []              [get list]
"""

from __future__ import annotations

from typing import Any

from .sections import labels_and_annotations
from .writer import Context, Writer, go_value, metadata

__all__ = ["describe_role", "describe_binding"]


def describe_role(w: Writer, role: dict[str, Any], ctx: Context) -> None:
    meta = metadata(role)
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    labels_and_annotations(w, meta)
    w.write(0, "PolicyRule:\n")
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n")
    w.write(1, "---------\t-----------------\t--------------\t-----\n")
    for r in _compact_rules(role.get("rules") or []):
        w.write(1, f"{_combine_resource_group(r.get('resources', []), r.get('apiGroups', []))}\t"
                   f"{go_value(r.get('nonResourceURLs', []))}\t{go_value(r.get('resourceNames', []))}\t"
                   f"{go_value(r.get('verbs', []))}\n")


def describe_binding(w: Writer, b: dict[str, Any], ctx: Context) -> None:
    meta, ref = metadata(b), b.get("roleRef") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    labels_and_annotations(w, meta)
    w.write(0, "Role:\n")
    w.write(1, f"Kind:\t{ref.get('kind', '')}\n")
    w.write(1, f"Name:\t{ref.get('name', '')}\n")
    w.write(0, "Subjects:\n")
    w.write(1, "Kind\tName\tNamespace\n")
    w.write(1, "----\t----\t---------\n")
    for subject in b.get("subjects") or []:
        w.write(1, f"{subject.get('kind', '')}\t{subject.get('name', '')}\t{subject.get('namespace', '')}\n")


def _rule_string(rule: dict[str, list[str]]) -> str:
    """The generated ``PolicyRule.String()`` kubectl sorts rules by."""
    return ("&PolicyRule{" + "".join(f"{k}:{go_value(rule.get(key, []))}," for k, key in (
        ("Verbs", "verbs"), ("APIGroups", "apiGroups"), ("Resources", "resources"),
        ("ResourceNames", "resourceNames"), ("NonResourceURLs", "nonResourceURLs"))) + "}")


def _compact_rules(rules: list[dict[str, Any]]) -> list[dict[str, list[str]]]:
    """``rbac.BreakdownRule`` then ``rbac.CompactRules``, sorted as kubectl sorts them."""
    broken: list[dict[str, list[str]]] = []
    for rule in rules:
        verbs = list(rule.get("verbs") or [])
        names = list(rule.get("resourceNames") or [])
        for group in rule.get("apiGroups") or []:
            for resource in rule.get("resources") or []:
                for verb in verbs:
                    if names:
                        broken += [{"apiGroups": [group], "resources": [resource], "verbs": [verb],
                                    "resourceNames": [n]} for n in names]
                    else:
                        broken.append({"apiGroups": [group], "resources": [resource], "verbs": [verb]})
        for url in rule.get("nonResourceURLs") or []:
            broken += [{"nonResourceURLs": [url], "verbs": [verb]} for verb in verbs]
    compacted: list[dict[str, list[str]]] = []
    simple: dict[tuple[str, str, str | None], dict[str, list[str]]] = {}
    for rule in broken:
        if rule.get("nonResourceURLs") or len(rule.get("resourceNames") or []) > 1:
            compacted.append(rule)
            continue
        names = rule.get("resourceNames") or []
        key = (rule["apiGroups"][0], rule["resources"][0], names[0] if names else None)
        if key in simple:
            simple[key]["verbs"] = simple[key]["verbs"] + rule["verbs"]
        else:
            simple[key] = {k: list(v) for k, v in rule.items()}
    compacted += list(simple.values())
    return sorted(compacted, key=_rule_string)


def _combine_resource_group(resources: list[str], groups: list[str]) -> str:
    if not resources:
        return ""
    resource, _, sub = resources[0].partition("/")
    if groups and groups[0]:
        resource += "." + groups[0]
    return resource + ("/" + sub if sub else "")
