"""What is asked of a computed number, whatever its kind (MPFR, mpmath, interval, SymPy):
its decimal text to a number of digits, and the log10 of its magnitude."""

from __future__ import annotations

import gmpy2
import mpmath
import sympy

from symgrad.numeric.interval import Interval

_LOG_BITS = 96  # log10|x| to ~28 digits: enough for exponents of 10^9 and 15 digits after
_MPQ = type(gmpy2.mpq(0))
FIXED_UP_TO = 16  # from 10^16 on, numbers are written with an exponent
_ROUNDING = {"nearest": "", "down": "D", "up": "U"}


def decimal(value, digits: int, rounding: str = "nearest") -> str | None:
    """``value`` with ``digits`` significant digits: fixed notation for exponents from
    -4 to 15 (as Python prints floats), scientific beyond; trailing zeros dropped. An interval as [lo, hi],
    its ends rounded outwards. None stays None."""
    if value is None:
        return None
    if isinstance(value, sympy.Basic):  # an exact or SymPy value: evaluated to the digits
        if value in (sympy.oo, -sympy.oo):
            return "inf" if value > 0 else "-inf"
        with mpmath.workdps(digits + 10):
            value = mpmath.mpf(sympy.N(value, digits + 10))
    if isinstance(value, _MPQ):  # exact rational: rounded once, at the digits asked
        value = gmpy2.mpfr(value, int(digits * 3.33) + 16)
    if isinstance(value, Interval):
        low, high = interval_ends(value, digits)
        return f"[{low}, {high}]"
    if isinstance(value, mpmath.mpf):
        scientific = mpmath.libmp.to_str(value._mpf_, digits, min_fixed=1, max_fixed=0)
    else:
        scientific = format(value, f".{digits - 1}{_ROUNDING[rounding]}e")
    return _styled(scientific, digits)


def table_cell(value, digits: int = 6) -> str:
    """A number for a table cell: ``digits`` digits; an enclosure whose ends round alike
    shows those digits (every value in it rounds so), one whose ends differ both ends;
    "—" for a value that does not apply."""
    if value is None:
        return "—"
    if isinstance(value, Interval):
        low, high = decimal(value.lo, digits), decimal(value.hi, digits)
        return low if low == high else f"[{decimal(value.lo, 3, 'down')}, {decimal(value.hi, 3, 'up')}]"
    return decimal(value, digits)


def interval_ends(value: Interval, digits: int) -> tuple[str, str]:
    """The interval's ends as decimals, lo rounded down and hi up: the printed interval
    still contains the true value."""
    return decimal(value.lo, digits, "down"), decimal(value.hi, digits, "up")


def _styled(scientific: str, digits: int) -> str:
    if "e" not in scientific:  # inf, nan, or mpmath's exact zero "0.0"
        return {"inf": "inf", "-inf": "-inf", "+inf": "inf"}.get(scientific, scientific)
    mantissa, exponent = scientific.split("e")
    exponent = int(exponent)
    sign = "-" if mantissa.startswith("-") else ""
    figures = mantissa.lstrip("+-").replace(".", "")
    if set(figures) == {"0"}:
        return "0.0"
    if -4 <= exponent < min(digits, FIXED_UP_TO):
        if exponent >= 0:
            whole, fraction = figures[: exponent + 1].ljust(exponent + 1, "0"), figures[exponent + 1:]
        else:
            whole, fraction = "0", "0" * (-exponent - 1) + figures
        return f"{sign}{whole}.{fraction.rstrip('0') or '0'}"
    fraction = figures[1:].rstrip("0")
    return f"{sign}{figures[0]}{'.' + fraction if fraction else ''}e{exponent:+d}"


def log10_abs(value):
    """log10|value| in the value's own kind: -inf for 0, None for None. For an interval,
    an interval that contains log10 of every |x| in it."""
    if value is None:
        return None
    if isinstance(value, _MPQ):
        value = gmpy2.mpfr(value, _LOG_BITS + 64)
    if isinstance(value, Interval):
        magnitude = abs(value)
        r = value.rounding
        low = gmpy2.mpfr("-inf") if magnitude.lo == 0 else r.down.log10(magnitude.lo)
        return Interval(low, r.up.log10(magnitude.hi), r)
    if isinstance(value, mpmath.mpf):
        with mpmath.workprec(_LOG_BITS):
            return mpmath.log10(abs(value)) if value else mpmath.mpf("-inf")
    with gmpy2.context(gmpy2.get_context(), precision=_LOG_BITS):
        return gmpy2.log10(abs(value))  # MPFR: log10(0) = -inf


def to_mpmath(value) -> mpmath.mpf:
    """Any computed number as mpmath's: MPFR exactly (mantissa and exponent), an exact
    rational or a SymPy number rounded once at the current mpmath precision."""
    if isinstance(value, mpmath.mpf):
        return value
    if isinstance(value, gmpy2.mpfr):
        mantissa, exponent = value.as_mantissa_exp()
        return mpmath.mpf((int(mantissa), int(exponent)))
    if isinstance(value, (_MPQ, sympy.Rational)):
        return mpmath.mpf(int(value.numerator)) / int(value.denominator)
    return mpmath.mpf(value)


def exact_rational(value):
    """A rational, an integer or a binary float (MPFR, mpmath) exactly as a gmpy2 mpq."""
    if isinstance(value, mpmath.mpf):
        sign, mantissa, exponent, _ = value._mpf_  # (mpmath's man_exp drops the sign)
        return gmpy2.mpq(-mantissa if sign else mantissa) * gmpy2.mpq(2) ** exponent
    if isinstance(value, gmpy2.mpfr):
        return gmpy2.mpq(value)
    return gmpy2.mpq(int(value.numerator), int(value.denominator))


def to_float(value) -> float:
    """A number as a Python float, for a chart's axis (magnitudes only)."""
    if isinstance(value, Interval):
        value = value.mid
    return float(value)  # an mpq too
