"""k8sedu.api.selectors: labels.Parse, LabelSelectorAsSelector, field selectors."""

from __future__ import annotations

import pytest

from k8sedu.api.selectors import (
    from_label_selector,
    parse_field_selector,
    parse_selector,
    selector_from_set,
)

LABELS = {"app": "web", "tier": "frontend", "env": "prod", "version": "3"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", True),
        ("app=web", True),
        ("app==web", True),
        ("app=db", False),
        ("app!=db", True),
        ("app!=web", False),
        ("missing!=x", True),
        ("env in (prod,staging)", True),
        ("env in (dev)", False),
        ("env notin (dev,staging)", True),
        ("env notin (prod)", False),
        ("missing notin (x)", True),
        ("missing in (x)", False),
        ("app", True),
        ("missing", False),
        ("!missing", True),
        ("!app", False),
        ("app=web,tier=frontend", True),
        ("app=web,tier=backend", False),
        ("version>2", True),
        ("version<3", False),
        ("missing>1", False),
        ("app=web,env in (prod),!legacy,tier", True),
        ("  app = web  ,  env  in  ( prod , dev )  ", True),
    ],
)
def test_matches(text: str, expected: bool) -> None:
    assert parse_selector(text).matches(LABELS) is expected


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("app=web", "app=web"),
        ("tier!=db,app=web", "app=web,tier!=db"),
        ("env in (b,a)", "env in (a,b)"),
        ("env notin (z, y ,x)", "env notin (x,y,z)"),
        ("app==web", "app==web"),
        ("!legacy,app", "app,!legacy"),
        (
            "app=web,tier!=db,env in (prod,staging),!legacy",
            "app=web,env in (prod,staging),!legacy,tier!=db",
        ),
        ("x>1", "x>1"),
        ("app=", "app="),
        ("env in ()", "env in ()"),
        ("env in (in,notin)", "env in (in,notin)"),
    ],
)
def test_canonical_string(text: str, canonical: str) -> None:
    sel = parse_selector(text)
    assert str(sel) == canonical
    assert str(parse_selector(str(sel))) == canonical  # stable round trip


def test_empty_value_matches_empty_label() -> None:
    assert parse_selector("app=").matches({"app": ""})
    assert not parse_selector("app=").matches({"app": "x"})
    assert not parse_selector("app=").matches({})


@pytest.mark.parametrize(
    "text, message",
    [
        ("app in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("app in a", "unable to parse requirement: found 'a' expected: '('"),
        ("app=web,", "found '', expected: identifier after ','"),
        ("app=web x", "found 'x', expected: ',' or 'end of string'"),
        ("=web", "found '=', expected: !, identifier, or 'end of string'"),
        (
            "app foo",
            "unable to parse requirement: found 'foo', expected: in, notin, =, ==, !=, gt, lt",
        ),
        ("!app=web", "unable to parse requirement: found 'app', expected: ',' or 'end of string'"),
        ("app=(x)", "unable to parse requirement: found '(', expected: identifier"),
        (
            "x>a",
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
        ),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_selector(text)
    assert str(e.value) == message


def test_invalid_key_and_value() -> None:
    with pytest.raises(ValueError) as e:
        parse_selector("-bad=x")
    assert str(e.value).startswith(
        'unable to parse requirement: <nil>: Invalid value: "-bad": name part must consist of'
    )
    with pytest.raises(ValueError) as e:
        parse_selector("app=-x")
    assert str(e.value).startswith(
        'unable to parse requirement: values[0][app]: Invalid value: "-x": a valid label must be'
    )


def test_empty_and_nothing() -> None:
    everything = parse_selector("")
    assert everything.empty and everything.matches({}) and str(everything) == ""
    assert parse_selector("   ").empty
    nothing = from_label_selector(None)
    assert not nothing.empty and not nothing.matches({}) and not nothing.matches(LABELS)
    empty = from_label_selector({})
    assert empty.empty and empty.matches(LABELS) and empty.matches({})
    assert from_label_selector({"matchLabels": {}, "matchExpressions": []}).empty


def test_from_label_selector() -> None:
    sel = from_label_selector(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "staging"]},
                {"key": "legacy", "operator": "DoesNotExist"},
                {"key": "tier", "operator": "Exists"},
                {"key": "track", "operator": "NotIn", "values": ["canary"]},
            ],
        }
    )
    assert str(sel) == "app=web,env in (prod,staging),!legacy,tier,track notin (canary)"
    assert sel.matches(LABELS)
    assert not sel.matches({**LABELS, "legacy": "1"})
    assert not sel.matches({**LABELS, "track": "canary"})
    assert not sel.matches({"app": "web", "env": "prod"})


def test_from_label_selector_bad_operator() -> None:
    with pytest.raises(ValueError) as e:
        from_label_selector({"matchExpressions": [{"key": "a", "operator": "Foo"}]})
    assert str(e.value) == '"Foo" is not a valid label selector operator'


def test_selector_from_set() -> None:
    sel = selector_from_set({"tier": "web", "app": "x"})
    assert str(sel) == "app=x,tier=web"
    assert sel.matches({"app": "x", "tier": "web", "other": "y"})
    assert not sel.matches({"app": "x"})
    assert selector_from_set({}).empty and selector_from_set(None).empty


def test_requires_exact() -> None:
    assert parse_selector("app=web,env in (a)").requires_exact("env") == "a"
    assert parse_selector("app!=web").requires_exact("app") is None


POD = {
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {"nodeName": "node-1", "hostNetwork": False},
    "status": {"phase": "Running"},
}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", True),
        ("metadata.name=web-1", True),
        ("metadata.name==web-1", True),
        ("metadata.name=web-2", False),
        ("metadata.name!=web-2", True),
        ("metadata.namespace=default,status.phase=Running", True),
        ("status.phase!=Running", False),
        ("spec.nodeName=node-1", True),
        ("spec.nodeName=", False),
        ("spec.schedulerName=", True),
        ("spec.hostNetwork=false", True),
        ("status.podIP!=", False),
    ],
)
def test_field_selector(text: str, expected: bool) -> None:
    assert parse_field_selector(text).matches(POD) is expected


def test_field_selector_unscheduled() -> None:
    pending = {"metadata": {"name": "p"}, "spec": {}, "status": {"phase": "Pending"}}
    sel = parse_field_selector("spec.nodeName=")
    assert sel.matches(pending) and not sel.matches(POD)
    assert sel.requires_exact("spec.nodeName") == ""


def test_field_selector_errors_and_escapes() -> None:
    with pytest.raises(ValueError) as e:
        parse_field_selector("metadata.name")
    assert str(e.value) == "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
    sel = parse_field_selector(r"metadata.name=a\,b")
    assert sel.matches({"metadata": {"name": "a,b"}})
    assert (
        str(parse_field_selector("status.phase!=Running,metadata.name=x"))
        == "metadata.name=x,status.phase!=Running"
    )
