"""Resource quantities (``250m``, ``64Mi``, ``1e3``, ``0.5``) as upstream's ``resource.Quantity``.

A quantity is a number with an optional suffix::

    250m   = 0.25          decimal SI:  m k M G T P E  (and n u for tiny values)
    64Mi   = 64 * 2**20    binary SI:   Ki Mi Gi Ti Pi Ei
    1e3    = 1000          decimal exponent
    0.5    = 0.5           plain number

We keep the value exact (a :class:`fractions.Fraction`), so ``0.1 + 0.2`` CPUs is exactly ``300m``.
The scheduler and kubelet count CPU in millicores (rounded up, as ``Quantity.MilliValue``) and memory
in bytes. :func:`format_quantity` prints the canonical form upstream's ``Quantity.String()`` prints
(``1000m`` → ``1``, ``1024Mi`` → ``1Gi``, ``1000`` → ``1k``).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

__all__ = [
    "QUANTITY_FORMAT_ERROR",
    "parse_quantity",
    "cpu_millis",
    "memory_bytes",
    "format_quantity",
    "format_cpu_millis",
    "format_bytes",
]

QuantityLike = str | int | float | Fraction

QUANTITY_FORMAT_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
_SUFFIX_ERROR = "unable to parse quantity's suffix"
_NUMERIC_ERROR = "unable to parse numeric part of quantity"

_SPLIT = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_NUMBER = re.compile(r"^[0-9]*\.?[0-9]*$")
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_EXPONENT = re.compile(r"^[eE][-+]?[0-9]+$")
_NANO = Fraction(1, 10**9)


def _parse(value: QuantityLike) -> tuple[Fraction, str]:
    """(exact value, format) where format is "DecimalSI" | "BinarySI" | "DecimalExponent"."""
    if isinstance(value, bool):
        raise ValueError(QUANTITY_FORMAT_ERROR)
    if isinstance(value, Fraction):
        return value, "DecimalSI"
    if isinstance(value, int):
        return Fraction(value), "DecimalSI"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(QUANTITY_FORMAT_ERROR)
        return Fraction(repr(value)), "DecimalSI"  # YAML "cpu: 0.5" arrives as a float
    if not isinstance(value, str):
        raise ValueError(QUANTITY_FORMAT_ERROR)
    m = _SPLIT.match(value)
    if not m:
        raise ValueError(QUANTITY_FORMAT_ERROR)
    number, suffix = m.groups()
    sign = -1 if number.startswith("-") else 1
    digits = number.lstrip("+-")
    if not _NUMBER.match(digits) or digits in ("", "."):
        raise ValueError(_NUMERIC_ERROR)
    amount = Fraction(digits) * sign
    if suffix in _DECIMAL:
        fmt, scaled = "DecimalSI", amount * Fraction(10) ** _DECIMAL[suffix]
    elif suffix in _BINARY:
        fmt, scaled = "BinarySI", amount * 2 ** _BINARY[suffix]
    elif _EXPONENT.match(suffix):
        fmt, scaled = "DecimalExponent", amount * Fraction(10) ** int(suffix[1:])
    else:
        raise ValueError(_SUFFIX_ERROR)
    if scaled.denominator != 1 and (scaled / _NANO).denominator != 1:
        # upstream keeps at most nano precision and rounds up (away from zero)
        nanos = math.ceil(abs(scaled) / _NANO)
        scaled = Fraction(nanos, 10**9) * (1 if scaled >= 0 else -1)
    return scaled, fmt


def parse_quantity(value: QuantityLike) -> Fraction:
    """``"250m"`` → ``Fraction(1, 4)``; raises ValueError with upstream's message when malformed."""
    return _parse(value)[0]


def cpu_millis(value: QuantityLike) -> int:
    """Millicores, rounded up as ``Quantity.MilliValue()``: ``"0.1m"`` → 1, ``"2"`` → 2000."""
    return math.ceil(parse_quantity(value) * 1000)


def memory_bytes(value: QuantityLike) -> int:
    """Bytes, rounded up as ``Quantity.Value()``: ``"64Mi"`` → 67108864, ``"1G"`` → 10**9."""
    return math.ceil(parse_quantity(value))


def _format_decimal(v: Fraction, exponent_form: bool) -> str:
    if v == 0:
        return "0"
    best: tuple[int, int] | None = None
    for e in range(18, -10, -3):  # the largest exponent (multiple of 3) that leaves an integer
        scaled = v / Fraction(10) ** e
        if scaled.denominator == 1:
            best = (int(scaled), e)
            break
    if best is None:  # finer than nano cannot happen after _parse; round up to be safe
        best = (math.ceil(v * 10**9), -9)
    mantissa, exp = best
    if exponent_form:
        return f"{mantissa}" if exp == 0 else f"{mantissa}e{exp}"
    suffix = {power: name for name, power in _DECIMAL.items()}[exp]
    return f"{mantissa}{suffix}"


def format_quantity(value: QuantityLike) -> str:
    """The canonical text of a quantity, as upstream's ``Quantity.String()``.

    ``"1000m"`` → ``"1"``; ``"0.5"`` → ``"500m"``; ``"2048Mi"`` → ``"2Gi"``; ``"1e3"`` → ``"1e3"``.
    """
    v, fmt = _parse(value)
    if fmt == "BinarySI":
        if -1024 < v < 1024 or v.denominator != 1:
            return _format_decimal(v, False)
        n = int(v)
        for suffix, shift in sorted(_BINARY.items(), key=lambda kv: -kv[1]):
            if n % (1 << shift) == 0:
                return f"{n >> shift}{suffix}"
        return str(n)
    return _format_decimal(v, fmt == "DecimalExponent")


def format_cpu_millis(millis: int) -> str:
    """``250`` → ``"250m"``, ``2000`` → ``"2"``: how kubectl shows CPU amounts."""
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def format_bytes(n: int) -> str:
    """``67108864`` → ``"64Mi"``: the largest binary suffix that divides exactly, else plain bytes."""
    if n == 0:
        return "0"
    for suffix, shift in sorted(_BINARY.items(), key=lambda kv: -kv[1]):
        if n % (1 << shift) == 0:
            return f"{n >> shift}{suffix}"
    return str(n)
