"""``resource.Quantity`` as kubectl prints it: ``100m``, ``64Mi``, ``2Gi``, ``1500k``.

A quantity keeps the format it was written in, so sums and canonical forms come out as upstream's::

    "1000m"  -> 1        (DecimalSI: mantissa as small as possible, suffix a power of 1000)
    "2048Mi" -> 2Gi      (BinarySI: powers of 1024 while the value stays whole)
    "1.5Gi"  -> 1536Mi
    64Mi + 256Mi -> 320Mi (a sum keeps the first term's format)
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

__all__ = ["Quantity", "qty"]

_BIN = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DEC = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_SUFFIX = {v: k for k, v in _DEC.items()}
_BIN_SUFFIX = {0: "", **{v: k for k, v in _BIN.items()}}
_QTY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$")


class Quantity:
    """A ``resource.Quantity``: an exact value plus the format it was written in.

    ``str()`` is upstream's canonical form: ``1000m`` → ``1``, ``2048Mi`` → ``2Gi``; sums keep the
    format of the first term, as ``Quantity.Add`` does.
    """

    __slots__ = ("value", "format")

    def __init__(self, value: Fraction | int = 0, fmt: str = "DecimalSI") -> None:
        self.value = Fraction(value)
        self.format = fmt

    @classmethod
    def parse(cls, text: Any) -> Quantity:
        if isinstance(text, (int, float)):
            return cls(Fraction(text))
        m = _QTY.match(str(text).strip())
        if not m:
            raise ValueError(f"quantities must match the regular expression '{_QTY.pattern}'")
        number, exponent, suffix = m.group(1), m.group(2), m.group(3) or ""
        value = Fraction(number)
        if exponent:
            value *= Fraction(10) ** int(exponent[1:])
            fmt = "DecimalExponent"
        elif suffix in _BIN:
            value *= 1024 ** _BIN[suffix]
            fmt = "BinarySI"
        else:
            value *= Fraction(10) ** _DEC[suffix]
            fmt = "DecimalSI"
        # upstream keeps at most nano precision, rounding away from zero
        scaled = value * 10**9
        if scaled.denominator != 1:
            up = -((-abs(scaled.numerator)) // scaled.denominator)
            value = Fraction(up if value > 0 else -up, 10**9)
        return cls(value, fmt)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.value, self.format)

    def milli_value(self) -> int:
        """``MilliValue()``: the value in thousandths, rounded up."""
        v = self.value * 1000
        return -((-v.numerator) // v.denominator)

    def int_value(self) -> int:
        """``Value()``: the value rounded up to an integer."""
        v = self.value
        return -((-v.numerator) // v.denominator)

    def __str__(self) -> str:
        v = self.value
        if v == 0:
            return "0"
        fmt = self.format
        if fmt == "BinarySI" and (-1024 < v < 1024 or v.denominator != 1):
            fmt = "DecimalSI"
        if fmt == "BinarySI":
            n, exp = int(v), 0
            while n % 1024 == 0 and exp < 6:
                n //= 1024
                exp += 1
            return f"{n}{_BIN_SUFFIX[exp]}"
        # decimal: mantissa * 10**exp, exp a multiple of 3, mantissa integral and as small as possible
        exp = -9
        mantissa = v * 10**9
        while mantissa.denominator != 1:  # values are kept at nano precision, so this never loops long
            mantissa *= 10
            exp -= 1
        n = mantissa.numerator
        while n % 1000 == 0 and n != 0:
            n //= 1000
            exp += 3
        if exp % 3:
            shift = exp % 3
            n *= 10**shift
            exp -= shift
        if fmt == "DecimalExponent":
            return f"{n}e{exp}" if exp else str(n)
        if exp in _DEC_SUFFIX:
            return f"{n}{_DEC_SUFFIX[exp]}"
        return f"{n}e{exp}"


def qty(text: Any) -> Quantity:
    """*text* as a Quantity, zero when it is not one (describe prints what it can)."""
    try:
        return Quantity.parse(text)
    except ValueError:
        return Quantity()
