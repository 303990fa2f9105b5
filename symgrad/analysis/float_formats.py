"""Binary floating-point formats and the depth at which a product leaves their range.

A format with e exponent bits and p - 1 stored mantissa bits has
largest finite number (2 - 2^(1-p)) · 2^emax, emax = 2^(e-1) - 1,
smallest subnormal 2^(emin - p + 1), emin = 1 - emax. Both exactly, as rationals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import sympy


@dataclass(frozen=True)
class FloatFormat:
    name: str
    exponent_bits: int
    mantissa_bits: int  # stored bits, without the implicit leading 1

    @property
    def largest(self) -> sympy.Rational:
        emax = 2 ** (self.exponent_bits - 1) - 1
        return (2 - sympy.Rational(1, 2**self.mantissa_bits)) * sympy.Integer(2) ** emax

    @property
    def smallest_subnormal(self) -> sympy.Rational:
        emin = 2 - 2 ** (self.exponent_bits - 1)
        return sympy.Rational(1, 2 ** (self.mantissa_bits - emin))


FORMATS = (
    FloatFormat("float16", 5, 10),
    FloatFormat("bfloat16", 8, 7),
    FloatFormat("float32", 8, 23),
    FloatFormat("float64", 11, 52),
)


@dataclass(frozen=True)
class FloatLimit:
    """After how many layers a product of per-layer factors leaves a format's range."""

    format: FloatFormat
    overflow_depth: int | None  # first k with product > largest finite number
    underflow_depth: int | None  # first k with product < smallest subnormal (0 included)


def float_limits(factor: Callable[[int], mpmath.mpf], count: int | None) -> tuple[FloatLimit, ...]:
    """For the products P_k = factor(1) ⋯ factor(k) (mpf, at least 0), each format's limits
    (a product of 0 is below every subnormal: w = 0 stops the gradient at the first layer).

    ``count``: how many factors there are; None means the same factor(1) repeats for ever,
    and the depths then follow from logarithms (checked at both neighbours, so a product
    that lands on a limit is placed right).
    """
    return tuple(FloatLimit(f, *_crossings(factor, count, f)) for f in FORMATS)


def _crossings(factor, count, fmt: FloatFormat) -> tuple[int | None, int | None]:
    largest = mpmath.mpf(fmt.largest.p) / fmt.largest.q
    smallest = mpmath.mpf(fmt.smallest_subnormal.p) / fmt.smallest_subnormal.q
    if count is None:
        gain = factor(1)
        return (_first_power(gain, largest, above=True) if gain > 1 else None,
                1 if gain == 0 else _first_power(gain, smallest, above=False) if gain < 1
                else None)
    overflow = underflow = None
    product = mpmath.mpf(1)
    for k in range(1, count + 1):
        product *= factor(k)
        if overflow is None and product > largest:
            overflow = k
        if underflow is None and product < smallest:
            underflow = k
        if product == 0 or (overflow and underflow):
            break
    return overflow, underflow


def _first_power(gain: mpmath.mpf, limit: mpmath.mpf, above: bool) -> int:
    """The least k with gain^k > limit (above) or gain^k < limit (below)."""
    k = max(1, int(mpmath.floor(mpmath.log(limit) / mpmath.log(gain))))

    def crossed(power: int) -> bool:
        value = gain**power
        return value > limit if above else value < limit

    while k > 1 and crossed(k - 1):
        k -= 1
    while not crossed(k):
        k += 1
    return k
