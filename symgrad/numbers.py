"""Exact numbers from text: decimals, scientific notation and fractions.

Every number a user types is read exactly (``0.1`` is 1/10, ``1e-400`` is
10^-400), never through a float and never through ``eval``.
"""

import re
from fractions import Fraction

import sympy

from symgrad.errors import SymgradError

_DECIMAL = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(rf"^\s*({_DECIMAL})(?:\s*/\s*({_DECIMAL}))?\s*$")
# A bound on the decimal exponent keeps "1e999999999" from building a huge integer.
MAX_EXPONENT = 100_000
MAX_NUMBER_LENGTH = 1_000


def parse_exact(text: str, what: str = "number") -> sympy.Rational:
    """Read ``text`` as an exact rational, or raise a one-sentence error."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    if len(text) > MAX_NUMBER_LENGTH:
        raise SymgradError(f"The {what} is longer than {MAX_NUMBER_LENGTH} characters.")
    match = _NUMBER.match(text)
    if not match:
        raise SymgradError(
            f"The {what} '{shown}' is not a number (use a decimal such as 0.5 or -1e-3, "
            "or a fraction such as 1/3)."
        )
    parts = [p for p in match.groups() if p is not None]
    for part in parts:
        exponent = re.search(r"[eE]([+-]?\d+)", part)
        if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
            raise SymgradError(
                f"The {what} '{shown}' has an exponent beyond ±{MAX_EXPONENT}."
            )
    value = Fraction(parts[0])
    if len(parts) == 2:
        denominator = Fraction(parts[1])
        if denominator == 0:
            raise SymgradError(f"The {what} '{shown}' divides by zero.")
        value /= denominator
    return sympy.Rational(value.numerator, value.denominator)
