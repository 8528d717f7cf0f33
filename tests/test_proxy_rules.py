"""kube-proxy's choice of endpoint, as a pure function of the mode, the endpoints and the clock."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from k8sedu.proxy import Chooser, Endpoint, ServicePort, usable_endpoints


def _sp(n: int = 3, affinity: bool = False, timeout: float = 10800, **kw: object) -> ServicePort:
    eps = tuple(Endpoint(f"10.244.{i}.2", 80, f"default/web-{i}", host_port=40000 + i) for i in range(n))
    return ServicePort("default", "web", 80, endpoints=eps, affinity=affinity, affinity_timeout=timeout, **kw)  # type: ignore[arg-type]


def test_ipvs_round_robin_is_exactly_even_and_in_order() -> None:
    chooser, sp = Chooser("ipvs"), _sp()
    picks = [chooser.choose(sp, "127.0.0.1", 0.0) for _ in range(300)]
    assert [p.rule for p in picks[:6] if p] == [0, 1, 2, 0, 1, 2]
    assert Counter(p.endpoint.pod for p in picks if p) == {f"default/web-{i}": 100 for i in range(3)}


def test_iptables_rule_i_matches_with_probability_one_over_n_minus_i() -> None:
    chooser, sp = Chooser("iptables", rng=random.Random(7)), _sp(4)
    counts = Counter(chooser.choose(sp, "127.0.0.1", 0.0).rule for _ in range(40000))  # type: ignore[union-attr]
    # each endpoint ~1/4 = 10000; 6 standard deviations is about 520
    for rule in range(4):
        assert abs(counts[rule] - 10000) < 520, counts
    # the last rule has no probability: it always matches what reaches it
    assert chooser._iptables_rule(1) == 0


def test_client_ip_affinity_holds_until_the_timeout() -> None:
    chooser, sp = Chooser("iptables", rng=random.Random(1)), _sp(affinity=True, timeout=60)
    first = chooser.choose(sp, "127.0.0.1", 0.0)
    assert first is not None and not first.affinity
    later = [chooser.choose(sp, "127.0.0.1", float(t)) for t in range(1, 200, 30)]  # each within 60 s of the last
    assert {c.endpoint for c in later if c} == {first.endpoint}
    assert all(c is not None and c.affinity for c in later)
    # after 60 s without a connection the rules choose again (a new, unaffine choice)
    fresh = chooser.choose(sp, "127.0.0.1", 1000.0)
    assert fresh is not None and not fresh.affinity


def test_only_ready_endpoints_then_serving_terminating_then_none() -> None:
    a = Endpoint("10.244.1.2", 80, "default/a", host_port=1)
    b = Endpoint("10.244.2.2", 80, "default/b", host_port=2, ready=False, serving=True, terminating=True)
    c = Endpoint("10.244.3.2", 80, "default/c", host_port=3, ready=False, serving=False)
    d = Endpoint("10.244.4.2", 80, "default/d", host_port=None)  # not reachable from the host
    assert usable_endpoints((a, b, c, d)) == (a,)
    assert usable_endpoints((b, c, d)) == (b,)
    assert usable_endpoints((c, d)) == ()
    assert Chooser("ipvs").choose(ServicePort("default", "web", 80, endpoints=(c,)), "127.0.0.1", 0) is None


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="iptables"):
        Chooser("userspace")
