"""Exact numbers from text: decimals, scientific notation and fractions.

Every number a user types is read exactly (``0.1`` is 1/10, ``1e-400`` is
10^-400), never through a float and never through ``eval``.
"""

import math
import numbers
import re
from decimal import Decimal
from fractions import Fraction

import sympy

from symgrad.errors import SymgradError, quoted

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


def exact(value, what: str = "number") -> sympy.Rational:
    """A number given in Python, exactly: text as by ``parse_exact``; int, Fraction, Decimal
    and SymPy rationals as they are; a float by its shortest repr (0.1 is 1/10, as typed),
    NumPy's scalars likewise (a float32 by its own shortest repr)."""
    if isinstance(value, bool) or (type(value).__module__ == "numpy" and "bool" in type(value).__name__):
        raise SymgradError(f"The {what} must be a number, not {quoted(value)}.")
    if isinstance(value, str):
        return parse_exact(value, what)
    if isinstance(value, (int, Fraction, sympy.Rational)):
        return sympy.Rational(value)
    if isinstance(value, numbers.Integral):  # NumPy's integers
        return sympy.Integer(int(value))
    if isinstance(value, (float, Decimal)) or (isinstance(value, numbers.Real)
                                               and type(value).__module__ == "numpy"):
        shortest = float.__repr__(value) if type(value) is float else str(value)
        if isinstance(value, Decimal) and not value.is_finite():  # (float() of sNaN raises)
            raise SymgradError(f"The {what} must be a finite number, not {shortest}.")
        if not math.isfinite(float(value)):
            raise SymgradError(f"The {what} must be a finite number, not {shortest}.")
        return parse_exact(shortest, what)
    raise SymgradError(f"The {what} must be a number or its text, not {type(value).__name__}.")


def listed(values, what: str) -> tuple[sympy.Rational, ...]:
    """One value or several (a list, a NumPy array, or comma-separated text), each exactly."""
    if isinstance(values, str):
        values = values.split(",")
    elif hasattr(values, "tolist") and getattr(values, "ndim", 0) == 1:  # a NumPy array
        values = list(values)
    elif not isinstance(values, (list, tuple)):
        values = [values]
    return tuple(exact(v.strip() if isinstance(v, str) else v, what) for v in values)


def per_layer(values, depth: int, what: str, shared: bool = False,
              expand: bool = True, unit: str = "layer") -> tuple[sympy.Rational, ...]:
    """One value for every layer (or ``unit``), or exactly ``depth`` values (a list, or
    comma-separated text); ``shared``: only one value makes sense (a tied chain).
    Expanded to one value each unless ``expand`` is False."""
    numbers = listed(values, what)
    if shared and len(numbers) != 1:
        raise SymgradError(f"A tied chain shares one {what}; give one value, not {len(numbers)}.")
    if len(numbers) not in (1, depth):
        raise SymgradError(
            f"Give one {what} for every {unit} or a list of exactly {depth}, not {len(numbers)}."
        )
    return numbers * depth if expand and len(numbers) == 1 else numbers
