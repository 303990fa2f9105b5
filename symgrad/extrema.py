"""The sup and inf of an activation's derivative over the real line, with where they are
attained: each piece's ends (values or limits) and critical points, exactly where SymPy
solves σ'' = 0 within its budget; otherwise found by numbers — sign changes of σ'' on a
grid out to ±10^12, and an interval branch and bound on MPFR enclosures over ±10^4 for
narrow peaks between the grid's points — and then marked numerical, never exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

import gmpy2
import mpmath
import sympy
from sympy.core.evalf import PrecisionExhausted

from symgrad.budget import within_budget
from symgrad.errors import SymgradError
from symgrad.formula import (
    DIGITS,
    VARIABLE,
    exact_limit,
    interval_function,
    is_finite_real,
    mpmath_function,
    numerical_limit,
    piece_sets,
    pieces,
    real_number,
    simplified_within_budget,
    solved_within_budget,
)

_SEARCH_RANGE = 40  # numerical search for critical points covers [-40, 40]
_SEARCH_STEP = sympy.Rational(1, 20)
_SEARCH_RATIO = mpmath.mpf("1.05")  # beyond ±_SEARCH_RANGE, the search's points this far apart
_SEARCH_FAR = mpmath.mpf(10) ** 12  # ... out to this distance


@dataclass(frozen=True)
class Extremum:
    """The sup (or inf) of an activation's derivative over the real line."""

    value: sympy.Expr
    attained: bool
    where: sympy.Set  # the points where it is attained, or approached if not attained
    exact: bool  # False when only a numerical search found it

    @property
    def numeric(self) -> mpmath.mpf:
        with mpmath.workdps(DIGITS):
            return mpmath.mpf(sympy.N(self.value, DIGITS))


@dataclass(frozen=True)
class _Candidate:
    value: sympy.Expr
    attained: bool
    where: sympy.Set
    exact: bool


def derivative_extremum(derivative: sympy.Expr, largest: bool) -> Extremum:
    found = [_candidates(piece, region) for piece, region in pieces(derivative)]
    candidates = [c for piece_candidates, _ in found for c in piece_candidates]
    complete = all(every for _, every in found)  # every critical point found exactly
    candidates += [_Candidate(piece.subs(VARIABLE, p), True, sympy.FiniteSet(p), True)
                   for piece, region in piece_sets(derivative)
                   if isinstance(region, sympy.FiniteSet) for p in region]  # (single points)
    sign = 1 if largest else -1
    # a limit of -oo cannot be the sup (+oo can: then there is none), so it drops out
    candidates = [c for c in candidates if c.value != -sign * sympy.S.Infinity]
    try:
        key = [sign * real_number(c.value) for c in candidates]
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, NameError):
        raise SymgradError("The activation's derivative is unbounded (or undefined) over the "
                           "real line.") from None
    if not key:
        raise SymgradError("The activation's derivative is unbounded over the real line.")
    best = max(key)
    tolerance = mpmath.mpf(10) ** (5 - DIGITS) * max(1, abs(best))
    winners = [c for c, k in zip(candidates, key) if best - k <= tolerance]
    exact = [c for c in winners if c.exact]
    if exact:  # (1 and 2 - tanh(50)^2 agree to 42 digits: the larger one wins)
        top = exact[0]
        for c in exact[1:]:
            if sign * _exact_sign(c.value - top.value) > 0:
                top = c
        # a point the search found counts only if it is beyond the best exact candidate
        # (σ' = 10^(-10^13) at a far point is not below the limit 0 at infinity)
        winners = [c for c in exact if _exact_sign(c.value - top.value) == 0] + \
            [c for c in winners if not c.exact and sign * _exact_sign(c.value - top.value) > 0]
    attained = [c for c in winners if c.attained]
    chosen = attained or winners
    value = next((c.value for c in chosen if c.exact), chosen[0].value)
    return Extremum(
        value=value,
        attained=bool(attained),
        where=sympy.Union(*[c.where for c in chosen]),
        exact=complete and all(c.exact for c in chosen),
    )


def _exact_sign(difference: sympy.Expr) -> int:
    """The sign of the difference of two exact values, told apart beyond the working
    digits by SymPy's adaptive evaluation; 0 where it cannot tell (equal, or too close)."""
    def step():
        try:
            value = sympy.N(difference, 15, maxn=4000, strict=True)
        except (PrecisionExhausted, ValueError, TypeError, ArithmeticError):
            return 0
        if not (value.is_number and value.is_real and value.is_finite):
            return 0
        return 0 if value == 0 else 1 if value > 0 else -1
    return within_budget(step, fallback=lambda: 0, seconds=1)


@cache  # (sup and inf share them: one limit, one solve, one search per piece)
def _candidates(piece: sympy.Expr, region: sympy.Interval) -> tuple[tuple[_Candidate, ...], bool]:
    """The candidates for the extrema of the piece on its interval (its ends or limits
    there, its critical points), and whether the critical points are all of them (found
    exactly): a numerical search may miss some, and then no extremum is exact."""
    if not piece.has(VARIABLE):
        return (_Candidate(piece, True, region, True),), True
    found = []
    for endpoint, direction in ((region.inf, "+"), (region.sup, "-")):
        if endpoint.is_finite and endpoint in region:
            found.append(_Candidate(piece.subs(VARIABLE, endpoint), True, {endpoint}, True))
        else:
            limit = exact_limit(piece, endpoint, direction)
            exact = limit is not None
            if not exact:  # past its budget: the value near the end, marked numerical
                limit = numerical_limit(piece, endpoint, direction)
            found.append(_Candidate(limit, False, sympy.FiniteSet(endpoint), exact))
    slope = sympy.diff(piece, VARIABLE)
    critical = solved_within_budget(slope, region)
    exact = None
    if critical is sympy.S.EmptySet or \
            isinstance(critical, sympy.FiniteSet) and all(p.is_real for p in critical):
        exact = [_Candidate(simplified_within_budget(piece.subs(VARIABLE, p)), True, sympy.FiniteSet(p), True)
                 for p in critical]
        if not all(is_finite_real(c.value) for c in exact):
            exact = None  # (a value SymPy wrote but cannot evaluate: the numbers decide)
    if exact is not None:
        found += exact
        return tuple(found), True
    else:
        evaluate = mpmath_function(piece, VARIABLE)
        bounded = [_refined(piece, slope, p, sign) for p, sign in _bounded_search(piece, region)]
        for p, digits in [(p, DIGITS) for p in _numerical_roots(slope, region)] + bounded:
            try:
                with mpmath.workdps(DIGITS + 15):  # (the digits shown, all of them right)
                    value = sympy.Float(evaluate(mpmath.mpf(p)), digits)
            except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, KeyError):
                continue  # (Float(p, digits): not the global precision; KeyError: mpmath's inf · 0)
            if not is_finite_real(value):
                continue  # (nan or an infinity where the formula overflows far out: no candidate)
            found.append(_Candidate(value, True, sympy.FiniteSet(sympy.Float(p, 12)), False))
    return tuple(found), False


def _refined(piece: sympy.Expr, slope: sympy.Expr, point, sign: int) -> tuple[mpmath.mpf, int]:
    """A point where the branch and bound found the piece largest (``sign`` 1) or smallest
    (-1), its value right to about 6 digits, as the nearby zero of the slope (secant steps)
    to the working digits, if there is one near where the piece is at least as good;
    else the point as found, its value to _BOUND_DIGITS."""
    try:
        with mpmath.workdps(DIGITS + 15):
            function, start = mpmath_function(slope, VARIABLE), mpmath.mpf(point)
            value = mpmath_function(piece, VARIABLE)
            scale = max(abs(start), mpmath.mpf(10) ** -290)
            # (no check of |slope| against an absolute tolerance: at x ~ 10^-150 the slope
            # is of size 10^450; the step's size and the value there are checked instead;
            # the secant's second point at the point's own scale, not mpmath's start + 1/4)
            root = mpmath.findroot(function, (start, start + scale * mpmath.mpf(10) ** -8),
                                   verify=False)
            if isinstance(root, mpmath.mpf) and abs(root - start) <= mpmath.mpf(10) ** -2 * scale \
                    and sign * (value(root) - value(start)) >= 0:
                return root, DIGITS
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, KeyError):
        pass
    return mpmath.mpf(point), _BOUND_DIGITS


def _bounded_search(piece: sympy.Expr, region: sympy.Interval) -> list[tuple[mpmath.mpf, int]]:
    """Where the piece is largest (with 1) and where it is smallest (with -1) on the region's part within
    ±_BOUND_RANGE, by interval branch and bound: the part is split, each half enclosed
    (MPFR intervals with outward rounding), and a half is kept only while its enclosure
    could still beat the best value found at a point, so a narrow peak between the
    grid's points (erf(1000(x - c))/1000 has one 0.002 wide) is found. [] where the
    piece has no interval form; past _BOUND_STEPS enclosures, the best points so far.
    (Not a proof of the extremum: what lies beyond ±_BOUND_RANGE is sampled, and the
    result is marked numerical.)"""
    low = max(region.inf, -_BOUND_RANGE)
    high = min(region.sup, _BOUND_RANGE)
    enclosure = interval_function(piece)
    if not low < high or enclosure is None:
        return []
    low, high = gmpy2.mpfr(float(low)), gmpy2.mpfr(float(high))

    found = []
    try:
        for sign in (1, -1):
            best_at = (low + high) / 2
            best = sign * enclosure(best_at, best_at).lo if sign > 0 else \
                -enclosure(best_at, best_at).hi
            boxes, steps = [(low, high)], 0
            deadline = time.monotonic() + _BOUND_SECONDS
            # (past the steps or the seconds: the best point so far)
            while boxes and steps < _BOUND_STEPS and time.monotonic() < deadline:
                a, b = boxes.pop()
                middle = (a + b) / 2
                for half in ((a, middle), (middle, b)):
                    steps += 1
                    value = enclosure(*half)
                    top = value.hi if sign > 0 else -value.lo
                    if top <= best + _BOUND_TOLERANCE * max(1, abs(best)):
                        continue  # (this half cannot beat the best point by more than that)
                    point = (half[0] + half[1]) / 2
                    at_point = enclosure(point, point)
                    value_there = at_point.lo if sign > 0 else -at_point.hi
                    if value_there > best:
                        best, best_at = value_there, point
                    if half[1] - half[0] > _BOUND_WIDTH * max(_BOUND_FINEST, abs(point)):
                        boxes.append(half)
            found.append((mpmath.mpf(best_at), sign))
    except ArithmeticError:
        return []
    return found


_BOUND_RANGE = 10_000  # the branch and bound covers [-_BOUND_RANGE, _BOUND_RANGE] ...
_BOUND_STEPS = 20_000  # ... within this many enclosures ...
_BOUND_SECONDS = 1.0  # ... and this long, for each of sup and inf (x**200: slow enclosures)
# (MPFR numbers: gmpy2 compares 0 with an mpmath number wrongly, mpfr(0) <= mpf(1e-9) is False)
_BOUND_TOLERANCE = gmpy2.mpfr("1e-6")  # ... to this relative gain over the best point
_BOUND_WIDTH = gmpy2.mpfr("1e-9")  # a box this narrow (relative) is split no further
_BOUND_DIGITS = 6  # the digits of an extremum at a point the search could not refine
_BOUND_FINEST = gmpy2.mpfr("1e-290")  # (near 0: tanh(x)/(x² + 1e-300) has features 1e-150 wide)


def _search_points(region: sympy.Interval) -> list[mpmath.mpf]:
    """Where the numerical search looks, in order: a grid of step _SEARCH_STEP over
    [-_SEARCH_RANGE, _SEARCH_RANGE], and beyond it out to ±_SEARCH_FAR points spaced by
    _SEARCH_RATIO (x tanh(x/1000) peaks at 1199.5), within the region."""
    low, high = region.inf, region.sup
    near = []
    point = sympy.Rational(max(low, -_SEARCH_RANGE))
    while point <= min(high, _SEARCH_RANGE):
        near.append(mpmath.mpf(point.p) / point.q)
        point += _SEARCH_STEP
    far = []
    distance = mpmath.mpf(_SEARCH_RANGE) * _SEARCH_RATIO
    while distance <= _SEARCH_FAR:
        far.append(distance)
        distance *= _SEARCH_RATIO
    inside = [p for p in [-d for d in reversed(far)] + near + far
              if (low < p or low == p) and (p < high or p == high)]
    return sorted(set(inside))


def _numerical_roots(function: sympy.Expr, region: sympy.Interval) -> list[mpmath.mpf]:
    """Sign changes of ``function`` on the search points within the region, refined by
    bisection."""
    evaluate = mpmath_function(function, VARIABLE)
    roots = []
    with mpmath.workdps(DIGITS):
        points = _search_points(region)
        values = []
        for p in points:
            try:
                value = evaluate(p)
                values.append(None if isinstance(value, mpmath.mpc) else mpmath.mpf(value))
            except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, KeyError):
                # (too large to evaluate there: no sign to compare; KeyError: mpmath's own,
                # multiplying an infinity by 0)
                values.append(None)
        for left, right, f_left, f_right in zip(points, points[1:], values, values[1:]):
            if f_left is None or f_right is None:
                continue
            if f_left == 0:
                roots.append(left)
            elif f_left * f_right < 0:
                try:
                    roots.append(mpmath.findroot(evaluate, (left, right), solver="anderson"))
                except (ValueError, ZeroDivisionError, ArithmeticError):
                    roots.append((left + right) / 2)  # (within the bracket)
    return roots
