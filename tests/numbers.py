"""Comparing symgrad's numbers (MPFR or mpmath) with an oracle's mpmath values."""

import mpmath

from symgrad.numeric.real import enclosure_ends, relative_width


def as_mpf(value) -> mpmath.mpf:
    """An MPFR number as mpmath's, exactly (mantissa and exponent); mpf as it is; an exact
    rational rounded once, at the current mpmath precision."""
    if isinstance(value, mpmath.mpf):
        return value
    if hasattr(value, "denominator") and not hasattr(value, "as_mantissa_exp"):  # exact mpq
        return mpmath.mpf(int(value.numerator)) / int(value.denominator)
    mantissa, exponent = value.as_mantissa_exp()
    return mpmath.mpf((int(mantissa), int(exponent)))


def agree(got, expected, digits: int) -> bool:
    """``got`` equals ``expected`` to ``digits`` significant digits (0 must be 0)."""
    with mpmath.workdps(digits + 20):
        return abs(as_mpf(got) - expected) <= abs(expected) * mpmath.mpf(10) ** -digits


def ends(enclosure) -> tuple[mpmath.mpf, mpmath.mpf]:
    """A certified enclosure's ends (an Arb ball's or an MPFR interval's) as mpmath
    numbers, exactly (each at its own bits)."""
    found = []
    for end in enclosure_ends(enclosure):
        with mpmath.workprec(max(53, getattr(end, "precision", 0), mpmath.mp.prec)):
            found.append(as_mpf(end))
    return tuple(found)


def width(enclosure) -> mpmath.mpf:
    """(hi - lo) / min |x| of an enclosure, rounded up (inf if it reaches across 0)."""
    return as_mpf(relative_width(enclosure))
