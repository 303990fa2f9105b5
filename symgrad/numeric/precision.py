"""Digits that can be trusted: run a computation at two working precisions and raise
them until every value it shows agrees, and prove every 0 it shows.

Fixed guard digits cannot cover cancellation (cross-entropy at a = σ(60), a 25-digit
difference of preactivations) or a product of ill-conditioned matrices. The evaluators
run in Arb balls first (each value's radius says whether its digits are earned); where
balls cannot tell (a kink straddled, radii outgrowing the values), and in the mean-field
solver, the computation runs at a working precision, again at a higher one, and goes up
until the two runs agree to dps + 1 digits.
Each run is in MPFR, or in mpmath when its numbers leave MPFR's exponent range.

How far to go up is read from the runs themselves: two runs that agree to d digits, the
lower at w, lose about w - d digits, so the next run is at dps + 1 + (w - d) plus guard
digits; when the estimate is beyond the limit the evaluation stops at once, saying how
many digits it would need, instead of climbing run by run to the limit.

Two runs that agree can still both be wrong: a value that rounds to exactly 0 at every
precision tried (tanh(100) rounds to 1, so 1·tanh(100) - 1 is 0 until the working digits
pass 87), or an addend lost at both (1 + 10^-45 is 1 at 31 and at 41 digits, and a later
cancellation shows it). A 0 is therefore settled only when a certified enclosure
(``numeric.interval``, at the same digits) is exactly [0, 0]; with ``certify_all`` (the
nets' MPFR route) every value must also lie, to dps + 1 digits, with its enclosure;
otherwise the digits go up. Chains and cells check only their zeros (their enclosures
widen as their balls did, which is why they are here) and say their values are not
certified. NaN and ±inf never settle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import gmpy2
import mpmath
from flint import arb

from symgrad.errors import SymgradError
from symgrad.numeric.balls import ball, precision
from symgrad.numeric.interval import Interval
from symgrad.numeric.kinds import Arithmetic, mpfr_arithmetic, mpmath_arithmetic
from symgrad.numeric.real import to_mpmath

GUARD_STEP = 10  # the least rise of the working digits between two runs


def guard_digits(depth: int) -> int:
    """Extra working digits for a first run, so the reported digits survive its roundings."""
    return 10 + len(str(depth))


@dataclass(frozen=True)
class AtMost:
    """A value that counts as settled once two runs both put it below its ``floor``: what
    rounding alone can make of an exact 0 (a singular value of a rank-deficient matrix)."""

    value: object
    floor: object


def in_range(spec, working: int, run: Callable[[Arithmetic], object]) -> tuple[Arithmetic, object]:
    """``run(math)`` in MPFR at ``working`` digits, or in mpmath when the numbers leave
    MPFR's exponent range; ``spec`` is the chain or net (its activation and cost)."""
    for make in (mpfr_arithmetic, mpmath_arithmetic):
        math = make(spec, working)
        with math.scope():
            result = run(math)
        if not math.out_of_range():
            break
    return math, result


def converged(compute: Callable[[int], tuple[object, Iterable]], dps: int, working: int,
              limit: int, what: str,
              certify: Callable[[int], Iterable | None] | None = None,
              certify_all: bool = False):
    """``compute(working)`` gives (result, the values it shows); the result of the first
    run whose values agree with the run before to dps + 1 digits and whose exact zeros are
    proved. ``certify(working)`` gives enclosures of the same values in the same order
    (None where a value has none, or instead of the list when no enclosure can be had);
    without it a 0 on which two runs agree is taken as it is. Only the latest result is
    held, so memory stays one run's."""
    previous = previous_working = None
    while True:
        result, shown = compute(working)
        current = list(shown)
        least, rise = working + 1, working + GUARD_STEP  # digits at least needed; next run's
        if previous is not None:
            digits = agreement(previous, current)
            if digits < dps + 1:
                least, rise = _digits_needed(digits, previous_working, working, dps)
            elif certify is None or _certified(current, certify, working, dps, certify_all):
                return result
            else:  # a value its enclosure does not pin down: more digits show what it hides
                rise = 2 * working
        if working >= limit or least > limit:
            raise SymgradError(_unsettled(what, dps, working, least, limit))
        previous, previous_working = current, working
        del result  # before the next run, so two never sit in memory at once
        working = min(limit, max(rise, working + GUARD_STEP))


def _digits_needed(digits: float, previous_working: int, working: int,
                   dps: int) -> tuple[int, int]:
    """(the working digits at least needed, the next run's) when the run at
    ``previous_working`` agreed with the run at ``working`` to ``digits`` digits: it lost
    the rest, so a run right to dps + 1 digits needs that loss on top. With no digit in
    common the loss is at least the lower run's digits, and the digits double."""
    if digits <= 0:
        least = dps + 1 + previous_working
        return least, max(2 * working, least + GUARD_STEP)
    least = dps + 1 + int(previous_working - digits + 1)
    return least, least + GUARD_STEP


def _unsettled(what: str, dps: int, working: int, least: int, limit: int) -> str:
    if least > limit:
        return (f"{what} did not settle to {dps} digits: the runs so far show they need at "
                f"least about {least} working digits, beyond the limit of {limit}.")
    return f"{what} did not settle to {dps} digits even at {working} working digits."


def agreement(first: list, second: list) -> float:
    """To how many significant digits each pair of values agrees, at worst: inf when all
    are equal; -inf when a pair differs from 0 or holds NaN or ±inf, which never settle.
    None (not shown) is skipped; a pair of ``AtMost`` both at or below their floors agrees."""
    worst = 0  # the largest |a - b| / |b|
    with mpmath.workprec(64), gmpy2.context(precision=64, emax=gmpy2.get_emax_max(),
                                            emin=gmpy2.get_emin_min()):
        for a, b in zip(first, second, strict=True):
            if isinstance(a, AtMost):
                if a.value <= a.floor and b.value <= b.floor:
                    continue
                a, b = a.value, b.value
            if a is None or b is None:
                continue
            if type(a) is not type(b) or not isinstance(b, gmpy2.mpfr):  # mpmath in either
                a, b = to_mpmath(a), to_mpmath(b)
            if not (_finite(a) and _finite(b)):
                return float("-inf")
            if a == b:
                continue
            if b == 0:
                return float("-inf")
            worst = max(worst, to_mpmath(abs(a - b) / abs(b)))
        return float("inf") if worst == 0 else float(-mpmath.log10(worst))


def _finite(value) -> bool:
    return bool(mpmath.isfinite(value)) if isinstance(value, mpmath.mpf) else gmpy2.is_finite(value)


def _certified(values: list, certify: Callable, working: int, dps: int,
               every_value: bool) -> bool:
    """Whether the enclosures of the same values at the same digits (``certify``) vouch for
    every value shown: a 0 by an enclosure that is exactly [0, 0] (or an exact 0 in the
    enclosures' pass too: a branch a certain comparison took, relu's or Heaviside's 0,
    comes out of the compiled code as the int 0), any other value by an enclosure all of
    whose numbers are within 10^-(dps+1) of it, relatively. Two runs can agree and both be wrong: 1 +
    10^-45 rounds to 1 at 31 and at 41 digits, and a later cancellation shows the loss.
    A value without an enclosure (a singular value) is taken as the runs agree on it; when
    no enclosures can be had (beyond MPFR's range) only the zeros are refused. Without
    ``every_value`` only the zeros are checked (chains and cells, which come here only
    where their balls could not settle, and say so: see the design notes)."""
    if not every_value and not any(_is_zero(v) for v in values):
        return True  # (no zero to prove: the enclosures are not even formed)
    try:
        enclosures = certify(working)
    except (SymgradError, ArithmeticError, TypeError, ValueError):
        return False  # the enclosure straddled a kink, left a function's domain, or could not be formed
    if enclosures is None:
        return not any(_is_zero(v) for v in values)
    for value, enclosure in zip(values, enclosures, strict=True):
        if value is None or isinstance(value, AtMost):
            continue
        if _is_zero(value):
            if not ((isinstance(enclosure, Interval) and enclosure.lo == 0 == enclosure.hi)
                    or (isinstance(enclosure, arb) and enclosure.is_zero())
                    or (type(enclosure) is int and enclosure == 0)):
                return False
        elif every_value and isinstance(enclosure, (Interval, arb)):
            if isinstance(enclosure, Interval):  # (as a ball holding both MPFR ends)
                with precision(max(enclosure.lo.precision, enclosure.hi.precision) + 2):
                    enclosure = ball(enclosure.lo).union(ball(enclosure.hi))
            if not _vouches(enclosure, ball(value), dps + 1):
                return False
    return True


def _vouches(enclosure: arb, point: arb, digits: int) -> bool:
    """Whether every number in ``enclosure`` (the exact value among them) is within
    10^-digits of its size from ``point`` (a run's value, itself rounded, so just outside a
    narrow enclosure as often as not): then the digits shown are the exact value's."""
    if not enclosure.is_finite() or not point.is_finite():
        return False
    with precision(int(digits * 3.33) + 64):  # (the gap's own rounding far below 10^-digits)
        gap = abs(enclosure - point).upper()
        return bool(gap * arb(10) ** digits <= enclosure.abs_lower())


def _is_zero(value) -> bool:
    return value is not None and not isinstance(value, AtMost) and value == 0

