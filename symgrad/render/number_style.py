"""One style for every computed number a document shows (issue 15, point 2).

A computed number reaches a document as a decimal string with the evaluator's own digits
(``symgrad.numeric.real.decimal``) or as a SymPy Float made from one. Every format writes
it the same way: the digits as computed, trailing zeros dropped, in fixed notation when
0.01 ≤ |x| < 10^5 and as m·10^k otherwise (9.53674·10^-7, never 9.53674e-7, 0.000976563
or 65504.0). Exact values stay exact (1/4, 10^10); an "≈" beside an exact value only
where the exact one is not already short (``exact_sides``).

Kept here rather than in SymPy's printers: their ``min``/``max`` settings choose fixed or
scientific notation for LaTeX only, pad or round the digits by the Float's binary
precision (0.00097656250), and the terminal printer has no such setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import gmpy2
import mpmath
import sympy

from symgrad.numeric.real import decimal, exact_text, huge_decimal

SHOWN_DIGITS = 6  # significant digits of an "≈" value and of a table's cells
FIXED_EXPONENTS = range(-2, 5)  # decimal exponents written without a power of ten
SHORT_EXACT = 12  # characters of an exact rational's text a reader takes in at a glance

_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@dataclass(frozen=True)
class Styled:
    """A decimal in the one style: sign, the digits before and after the point, and the
    power of ten (None: fixed notation)."""

    sign: str
    whole: str
    fraction: str
    exponent: int | None

    @property
    def mantissa(self) -> str:
        return self.sign + self.whole + (f".{self.fraction}" if self.fraction else "")

    @property
    def power_of_ten(self) -> bool:
        """±10^k itself (1·10^10 is written 10^10)."""
        return self.exponent is not None and self.whole == "1" and not self.fraction

    def latex(self) -> str:
        if self.power_of_ten:
            return rf"{self.sign}10^{{{self.exponent}}}"
        power = "" if self.exponent is None else rf" \cdot 10^{{{self.exponent}}}"
        return self.mantissa + power

    def text(self) -> str:
        power = "" if self.exponent is None else "10" + str(self.exponent).translate(_SUPERSCRIPTS)
        if self.power_of_ten:
            return self.sign + power
        return self.mantissa + ("·" + power if power else "")


def styled(text: str, scientific: bool = False) -> Styled | None:
    """A decimal string (1.2468e-6, 0.000141529, 65504.0, -3.0103000) in the one style
    (``scientific``: m·10^k whatever its size); None for anything else (inf, nan, words)."""
    match = _DECIMAL.fullmatch(text.strip())
    if match is None or not (match.group(2) or match.group(3)):
        return None
    sign, whole, fraction, exponent = match.groups()
    sign = "-" if sign == "-" else ""
    digits = (whole or "") + (fraction or "")
    # (an exponent of 5,000 digits is past Python's int(str); gmpy2 has no such limit)
    power_of_text = 0 if not exponent else int(exponent) if len(exponent) < 19 else \
        gmpy2.mpz(exponent)
    point = len(whole or "") + power_of_text  # digits before the point
    leading = len(digits) - len(digits.lstrip("0"))
    figures = digits.strip("0")
    if not figures:
        return Styled("", "0", "", None)
    figures = digits[leading:].rstrip("0")
    power = point - leading - 1  # the decimal exponent of the leading figure
    if power in FIXED_EXPONENTS and not scientific:
        if power >= 0:
            whole, fraction = figures[:power + 1].ljust(power + 1, "0"), figures[power + 1:]
        else:
            whole, fraction = "0", "0" * (-power - 1) + figures
        return Styled(sign, whole, fraction, None)
    return Styled(sign, figures[0], figures[1:], power)


def column_styled(cells) -> list[Styled | None]:
    """A table column's cells in the one style, one notation for the whole column: m·10^k
    for every number once one needs it (2.92771·10^-2 under 1.2468·10^-6), so that the
    column reads as one scale. Cells that are not decimal strings are None."""
    numbers = [styled(cell) if isinstance(cell, str) else None for cell in cells]
    if any(number is not None and number.exponent is not None for number in numbers):
        numbers = [styled(cell, scientific=True) if number is not None else None
                   for cell, number in zip(cells, numbers)]
    return numbers


def float_text(value: sympy.Float) -> str:
    """A SymPy Float's decimal digits (its precision's), as ``styled`` reads them."""
    digits = mpmath.libmp.prec_to_dps(value._prec)
    return mpmath.libmp.to_str(value._mpf_, max(digits, 1), min_fixed=1, max_fixed=0)


def _ten_exponent(number: int) -> int | None:
    """k where number = 10^k (k ≥ 0), else None; by its bit length, not its decimal text
    (10^5000 has more digits than Python prints)."""
    if number < 1:
        return None
    guess = int((number.bit_length() - 1) * 0.30102999566398120)
    for k in (guess, guess + 1):
        if 10**k == number:
            return k
    return None


def is_power_of_ten(value: sympy.Rational) -> bool:
    """10^k for an integer k (1000, 1/100)."""
    return _log10_of_power(value) is not None


def short(value: sympy.Rational) -> bool:
    """An exact rational a reader takes in at a glance: 1/1024, 512, 25·10^4998 (not the
    61 digits of 1/4^100), by the length of its exact text."""
    return len(exact_text(value, "text")) <= SHORT_EXACT


def approx(value, digits: int = SHOWN_DIGITS, rounding: str = "nearest") -> sympy.Expr:
    """A computed number as a SymPy Float to ``digits`` digits (exponents are unbounded
    there too), rounded to nearest or, for a bound, "up" or "down"; ±∞ as SymPy's."""
    if mpmath.isinf(value):
        return sympy.oo if value > 0 else -sympy.oo
    if rounding != "nearest":
        return sympy.Float(decimal(value, digits, rounding), digits)
    return sympy.Float(value, digits)


def exact_sides(exact: sympy.Expr, written: sympy.Expr | None = None,
                digits: int = SHOWN_DIGITS) -> tuple[tuple[sympy.Expr, ...], tuple[str, ...]]:
    """The sides shown after ``written`` (the value as written on the left, (1/2)^10) for
    its exact value, with their relations: a power of ten as 10^k; a short value exactly
    and, unless an integer, ≈ its decimal; a long one ≈ its decimal only. (1/2)^10 = 1/1024
    ≈ 9.76563·10^-4; 10^10 alone; (1/4)^100 ≈ 6.22302·10^-61; √2 = √2 ≈ 1.41421."""
    if not exact.is_Rational:
        return (exact, sympy.N(exact, digits)), ("=", "≈")
    sides: list[sympy.Expr] = []
    if is_power_of_ten(exact):  # (as 10^k, never its digits: 10^10, not 10000000000)
        power = _log10_of_power(exact)
        sides.append(exact if -3 < power < 4 else sympy.Pow(10, power, evaluate=False))
    elif short(exact):
        sides.append(exact)
    sides = [side for side in sides if side != written]
    relations = ["="] * len(sides)
    if not is_power_of_ten(exact) and not (short(exact) and _terminates(exact, digits)):
        with mpmath.workdps(digits + 10):
            sides.append(approx(mpmath.mpf(int(exact.p)) / int(exact.q), digits))
        relations.append("≈")
    return tuple(sides), tuple(relations)


def _terminates(value: sympy.Rational, digits: int) -> bool:
    """Whether the decimal of ``value`` ends within ``digits`` significant figures (512,
    1/4 = 0.25: nothing for an ≈ to add)."""
    q, twos = gmpy2.remove(gmpy2.mpz(value.q), 2)
    q, fives = gmpy2.remove(q, 5)
    if q != 1:
        return False
    scaled = abs(gmpy2.mpz(value.p)) * 10 ** max(twos, fives) // gmpy2.mpz(value.q)
    figures, _ = gmpy2.remove(scaled, 10) if scaled else (scaled, 0)
    return figures < 10**digits


def _log10_of_power(value: sympy.Rational) -> int | None:
    """k where value = 10^k (k any integer), else None."""
    if value.q == 1:
        return _ten_exponent(int(value.p))
    if value.p == 1:
        k = _ten_exponent(int(value.q))
        return None if k is None else -k
    return None


def decimal_number(text: str) -> sympy.Expr:
    """A decimal string as a SymPy Float that prints exactly those digits."""
    if text in ("inf", "-inf", "nan"):
        return {"inf": sympy.oo, "-inf": -sympy.oo, "nan": sympy.nan}[text]
    if huge_decimal(text):  # e^-(10^5000): 10^(log10|x|), its exponent to the digits shown
        mantissa, exponent = text.split("e")
        figures = len(mantissa.lstrip("-").replace(".", "").lstrip("0"))
        with mpmath.workprec(int(figures * 3.33) + len(exponent) * 4 + 64):
            magnitude = mpmath.mpf(int(gmpy2.mpz(exponent))) + mpmath.log10(abs(mpmath.mpf(mantissa)))
        power = sympy.Pow(10, sympy.Float(magnitude, max(figures, 1)), evaluate=False)
        return -power if mantissa.startswith("-") else power
    mantissa = text.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    digits = max(len(mantissa), 1)
    if digits < 4000:
        return sympy.Float(text, digits)
    # (past Python's 4,300-digit limit on int(str), which mpmath's reader hits: the
    # digits read by gmpy2, scaled by the power of ten, at their own precision)
    number, _, exponent = text.partition("e")
    whole, _, fraction = number.lstrip("-").partition(".")
    scale = int(exponent or 0) - len(fraction)
    with mpmath.workprec(int(digits * 3.33) + 64):
        value = mpmath.mpf(gmpy2.mpz(whole + fraction)) * mpmath.power(10, scale)
        return sympy.Float(-value if number.startswith("-") else value, digits)
