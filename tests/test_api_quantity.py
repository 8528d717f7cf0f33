"""k8sedu.api.quantity: upstream resource.Quantity parsing and formatting."""

from __future__ import annotations

from fractions import Fraction

import pytest

from k8sedu.api.quantity import (
    QUANTITY_FORMAT_ERROR,
    cpu_millis,
    format_bytes,
    format_cpu_millis,
    format_quantity,
    memory_bytes,
    parse_quantity,
)


@pytest.mark.parametrize(
    "text, value",
    [
        ("250m", Fraction(1, 4)),
        ("1", 1),
        ("0.5", Fraction(1, 2)),
        ("1.5", Fraction(3, 2)),
        (".5", Fraction(1, 2)),
        ("1k", 1000),
        ("1M", 10**6),
        ("2G", 2 * 10**9),
        ("1T", 10**12),
        ("1P", 10**15),
        ("1E", 10**18),
        ("1Ki", 1024),
        ("64Mi", 64 * 2**20),
        ("1Gi", 2**30),
        ("1Ti", 2**40),
        ("1Pi", 2**50),
        ("1Ei", 2**60),
        ("1e3", 1000),
        ("1E3", 1000),
        ("5e-3", Fraction(5, 1000)),
        ("100n", Fraction(100, 10**9)),
        ("3u", Fraction(3, 10**6)),
        ("-1", -1),
        ("+2", 2),
        ("1.5Gi", 3 * 2**29),
        (2, 2),
        (0.5, Fraction(1, 2)),
        (0.1, Fraction(1, 10)),
    ],
)
def test_parse(text: object, value: object) -> None:
    assert parse_quantity(text) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "abc", "1x", "Gi", "1 Gi", "1Gi ", "--1", True, None, "1/2"])
def test_parse_format_error_is_upstream_message(text: object) -> None:
    with pytest.raises(ValueError) as e:
        parse_quantity(text)  # type: ignore[arg-type]
    assert str(e.value) == QUANTITY_FORMAT_ERROR
    assert (
        str(e.value)
        == "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )


def test_parse_bad_suffix_and_number() -> None:
    with pytest.raises(ValueError, match="^unable to parse quantity's suffix$"):
        parse_quantity("1K")
    with pytest.raises(ValueError, match="^unable to parse quantity's suffix$"):
        parse_quantity("1Mii")
    with pytest.raises(ValueError, match="^unable to parse numeric part of quantity$"):
        parse_quantity("1.2.3")


def test_sub_nano_rounds_up() -> None:
    assert parse_quantity("0.1n") == Fraction(1, 10**9)


@pytest.mark.parametrize(
    "q, millis",
    [
        ("250m", 250),
        ("1", 1000),
        ("0.5", 500),
        ("2", 2000),
        ("0.1m", 1),
        ("1.0001m", 2),
        (1, 1000),
        ("100u", 1),
    ],
)
def test_cpu_millis_rounds_up(q: object, millis: int) -> None:
    assert cpu_millis(q) == millis  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "q, n",
    [
        ("64Mi", 67108864),
        ("1G", 10**9),
        ("1Gi", 2**30),
        ("128974848", 128974848),
        ("129e6", 129000000),
        ("0.5", 1),
        ("1500m", 2),
    ],
)
def test_memory_bytes(q: str, n: int) -> None:
    assert memory_bytes(q) == n


@pytest.mark.parametrize(
    "q, text",
    [
        ("1000m", "1"),
        ("0.5", "500m"),
        ("1500m", "1500m"),
        ("2", "2"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("2048Mi", "2Gi"),
        ("1024Ki", "1Mi"),
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("512", "512"),
        ("1e3", "1e3"),
        ("1e6", "1e6"),
        ("0", "0"),
        ("100Mi", "100Mi"),
        ("64M", "64M"),
        (0.25, "250m"),
    ],
)
def test_format_quantity_canonical(q: object, text: str) -> None:
    assert format_quantity(q) == text  # type: ignore[arg-type]


def test_format_cpu_and_bytes() -> None:
    assert format_cpu_millis(250) == "250m"
    assert format_cpu_millis(2000) == "2"
    assert format_cpu_millis(0) == "0"
    assert format_cpu_millis(1500) == "1500m"
    assert format_bytes(64 * 2**20) == "64Mi"
    assert format_bytes(8 * 2**30) == "8Gi"
    assert format_bytes(8141656 * 1024) == "8141656Ki"
    assert format_bytes(1000) == "1000"
    assert format_bytes(0) == "0"
