"""Digits that can be trusted: run a computation at two working precisions and raise
them until every value it shows agrees.

Fixed guard digits cannot cover cancellation (cross-entropy at a = σ(60), a 25-digit
difference of preactivations) or a product of ill-conditioned matrices, so both evaluators
(the scalar chain and the matrix net) and the mean-field solver compute at a working
precision, again at a higher one, and go up until the two runs agree to dps + 1 digits.
Each run is in MPFR, or in mpmath when its numbers leave MPFR's exponent range.

Not covered: a value both runs round to exactly 0 (a difference smaller than either
run's precision) agrees with itself; cancellations of that kind in σ, σ' and the cost
are removed at the source (``numeric.stable``), others are open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import gmpy2
import mpmath

from symgrad.errors import SymgradError
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
              limit: int, what: str):
    """``compute(working)`` gives (result, the values it shows); the result of the first
    run whose values agree with the run before to dps + 1 digits. Only the latest result
    is held, so memory stays one run's."""
    previous = None
    while True:
        result, shown = compute(working)
        current = list(shown)
        if previous is not None and agree(previous, current, dps + 1):
            return result
        if working >= limit:
            raise SymgradError(f"{what} did not settle to {dps} digits even at {working} "
                               "working digits.")
        previous = current
        del result  # before the next run, so two never sit in memory at once
        working = min(limit, working + max(GUARD_STEP, working // 2))


def agree(first: list, second: list, digits: int) -> bool:
    """Whether each pair of values agrees to ``digits`` digits (None: not shown, skipped)."""
    with mpmath.workdps(digits + 10), gmpy2.context(precision=int(3.33 * digits) + 40):
        for a, b in zip(first, second, strict=True):
            if isinstance(a, AtMost):
                if a.value <= a.floor and b.value <= b.floor:
                    continue
                a, b = a.value, b.value
            if a is None or b is None:
                continue
            if type(a) is not type(b) or not isinstance(b, gmpy2.mpfr):  # mpmath in either
                a, b = to_mpmath(a), to_mpmath(b)
                if abs(a - b) > abs(b) * mpmath.mpf(10) ** -digits:
                    return False
            elif abs(a - b) > abs(b) * gmpy2.mpfr(10) ** -digits:
                return False
    return True
