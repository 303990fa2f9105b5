"""The activation library.

An activation is one SymPy expression in the variable ``x``. Everything else
about it is derived from that expression, never typed in: its derivative
(SymPy), the derivative written through the activation's output ``a`` where
that is possible (sigmoid: a(1 - a)), and the sup and inf of the derivative
over the real line, with where they are attained (symbolically where SymPy
can, by an mpmath root search otherwise).
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

import gmpy2
import mpmath
import sympy
from sympy.core.evalf import PrecisionExhausted

from symgrad.budget import OverBudget, time_budget, within_budget
from symgrad.errors import SymgradError
from symgrad.numbers import parse_exact
from symgrad.tidy import tidy_signs

VARIABLE = sympy.Symbol("x", real=True)
OUTPUT = sympy.Symbol("a", real=True)

_CHECK_POINTS = ("-3.7", "-1.3", "-0.4", "0.3", "0.9", "2.2", "4.1")
_SEARCH_RANGE = 40  # numerical search for critical points covers [-40, 40]
_SEARCH_STEP = sympy.Rational(1, 20)
_SEARCH_RATIO = mpmath.mpf("1.05")  # beyond ±_SEARCH_RANGE, the search's points this far apart
_SEARCH_FAR = mpmath.mpf(10) ** 12  # ... out to this distance
_DIGITS = 30

# Symbolic work on a typed formula is budgeted: all of it, and each step (one limit, one
# solve, one simplification); a step past its budget falls back to the numbers, and past
# the whole budget the formula is refused with a sentence saying what was too hard.
ANALYSIS_SECONDS = 20.0
STEP_SECONDS = 3.0
MAX_PIECE_FUNCTIONS = 8  # abs, max, min and Heaviside in one formula (their pieces multiply)
MAX_MAGNITUDE = 10**300  # no constant in a formula, and no parameter, beyond this in size
MAX_NUMBER_BITS = 3322  # numerator or denominator of a number in a formula: 1000 digits
_GUARD_BITS = 100_000  # exp, sinh, cosh, erfc of an argument beyond 2^this are not evaluated


@dataclass(frozen=True)
class Extremum:
    """The sup (or inf) of an activation's derivative over the real line."""

    value: sympy.Expr
    attained: bool
    where: sympy.Set  # the points where it is attained, or approached if not attained
    exact: bool  # False when only a numerical search found it

    @property
    def numeric(self) -> mpmath.mpf:
        with mpmath.workdps(_DIGITS):
            return mpmath.mpf(sympy.N(self.value, _DIGITS))


@dataclass(frozen=True)
class Activation:
    """A named activation σ, given as a SymPy expression in ``VARIABLE``."""

    name: str
    expr: sympy.Expr
    title: str = ""

    def at(self, z: sympy.Expr) -> sympy.Expr:
        """σ(z)."""
        return self.expr.xreplace({VARIABLE: z})

    def derivative_at(self, z: sympy.Expr) -> sympy.Expr:
        """σ'(z), written in z."""
        return self.derivative.xreplace({VARIABLE: z})

    def derivative_from_output(self, a: sympy.Expr) -> sympy.Expr | None:
        """σ'(z) written through a = σ(z), or None where that form does not exist."""
        if self.derivative_through_output is None:
            return None
        return self.derivative_through_output.xreplace({OUTPUT: a})

    @cached_property
    def derivative(self) -> sympy.Expr:
        if isinstance(self.expr, sympy.Piecewise):
            # Differentiate piece by piece so the conditions stay as written; a piece that
            # holds at single points only gets σ's own derivative there where σ has one
            # (min(0, x) + max(0, x) is x, with σ'(0) = 1, not the slope of its piece 0).
            found = []
            for (f, c), points in zip(self.expr.args, _point_pieces(self.expr)):
                found += [(value, sympy.Eq(VARIABLE, p)) for p, value in points.items()]
                found.append((sympy.diff(f, VARIABLE), c))
            return sympy.Piecewise(*found)
        return sympy.diff(self.expr, VARIABLE)

    @cached_property
    def derivative_through_output(self) -> sympy.Expr | None:
        # (solve and simplify may not finish on a typed formula: then there is no such form)
        return within_budget(_through_output, self.expr, self.derivative,
                             seconds=STEP_SECONDS)

    @cached_property
    def derivative_sup(self) -> Extremum:
        return _extremum(self.derivative, largest=True)

    @cached_property
    def derivative_inf(self) -> Extremum:
        return _extremum(self.derivative, largest=False)

    @cached_property
    def derivative_abs_sup(self) -> mpmath.mpf:
        """sup |σ'| over the real line (the gain bound per unit weight)."""
        return max(abs(self.derivative_sup.numeric), abs(self.derivative_inf.numeric))


# --- the derivative at the single points a piece holds on ------------------------


def _point_pieces(expr: sympy.Piecewise) -> list[dict[sympy.Expr, sympy.Expr]]:
    """For each piece, σ'(p) at each point p where the piece is picked alone (its set of x
    is finitely many points) and σ is differentiable: the slope its neighbours agree on."""
    found, taken = [], sympy.S.EmptySet
    regions = _regions(expr)
    for _, condition in expr.args:
        points = {}
        try:
            condition_set = _x_set(condition)
            region = condition_set - taken
            taken = taken | condition_set
        except (NotImplementedError, ValueError, TypeError):
            region = None
        if isinstance(region, sympy.FiniteSet) and len(region) <= 10:
            for p in region:
                value = _derivative_at(expr, regions, p)
                if value is not None:
                    points[p] = value
        found.append(points)
    return found


def _derivative_at(expr: sympy.Expr, regions, p: sympy.Expr) -> sympy.Expr | None:
    """σ'(p), where σ is continuous at p and its pieces on either side have the same
    one-sided slope limit there (then σ is differentiable at p, by the mean value
    theorem); None otherwise (a jump or a kink: the piece's own slope is the convention)."""
    left = [f for f, part in regions if isinstance(part, sympy.Interval) and part.sup == p
            and part.inf < p]
    right = [f for f, part in regions if isinstance(part, sympy.Interval) and part.inf == p
             and part.sup > p]
    if len(left) != 1 or len(right) != 1:
        return None
    value = expr.subs(VARIABLE, p)
    slopes = []
    for piece, side in ((left[0], "-"), (right[0], "+")):
        if _limit(piece, p, side) is None or not _same(_limit(piece, p, side), value):
            return None
        slope = _limit(sympy.diff(piece, VARIABLE), p, side)
        if slope is None or not _finite_number(slope):
            return None
        slopes.append(slope)
    return slopes[0] if _same(*slopes) else None


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Whether two numbers are proved equal (SymPy simplifies their difference to 0)."""
    difference = a - b
    if difference == 0:
        return True
    if not _finite_number(difference) or abs(_number(difference)) > mpmath.mpf(10) ** -20:
        return False
    return within_budget(lambda: sympy.simplify(difference) == 0, seconds=STEP_SECONDS) is True


# --- derivative through the output -------------------------------------------------


def _through_output(expr: sympy.Expr, derivative: sympy.Expr) -> sympy.Expr | None:
    try:
        if isinstance(expr, sympy.Piecewise):
            candidate = _piecewise_through_output(expr, derivative)
        else:
            candidate = _piece_through_output(expr, derivative)
    except (NotImplementedError, ValueError, TypeError, ArithmeticError, RecursionError):
        return None  # (SymPy cannot write a condition or a set through the output)
    if candidate is None or not _agrees_through_output(expr, derivative, candidate):
        return None
    return candidate


def _piecewise_through_output(expr: sympy.Piecewise, derivative: sympy.Expr
                              ) -> sympy.Expr | None:
    """Each piece's derivative through the output, each condition on x written as one on
    a = σ(x): only where that is proved to pick the same piece for every x, that is where
    the outputs of each piece's own set of x (its image) lie in the set of a that picks it.
    None when a piece, a condition or that proof is out of reach (no form through the
    output: the derivation keeps σ'(z))."""
    pieces, taken = [], sympy.S.EmptySet  # (form, set of x), and the x already claimed
    picked = sympy.S.EmptySet  # the a already claimed by earlier conditions
    images, directions = [], set()
    for piece, condition in expr.args:
        if not isinstance(condition, sympy.Basic) or condition.free_symbols - {VARIABLE}:
            return None
        condition_set = sympy.S.Reals if condition is sympy.true else \
            _x_set(condition)
        region = condition_set - taken
        taken = taken | condition_set
        if region is sympy.S.EmptySet:
            continue  # (never picked: no piece to write)
        slope = sympy.diff(piece, VARIABLE)
        values = {derivative.subs(VARIABLE, p) for p in region} \
            if isinstance(region, sympy.FiniteSet) else ()
        # (picked at single points only: the derivative's value there is its form)
        form = values.pop() if len(values) == 1 else _piece_through_output(piece, slope)
        if form is None:
            return None
        parts = region.args if isinstance(region, sympy.Union) else (region,)
        for part in parts:
            image, direction = _image(piece, slope, part)
            if image is None:
                return None
            directions.add(direction)
            images.append((len(pieces), image))
        pieces.append((form, condition_set))
    directions.discard(0)
    if len(directions) > 1:
        return None  # (not monotone: a condition on x is no condition on a)
    increasing = directions != {-1}
    written, picks = [], []  # (form, set of a), and the a each piece is picked for
    for form, condition_set in pieces:
        output_set = _output_set(expr, condition_set, increasing)
        if output_set is None:
            return None
        written.append((form, output_set))
        picks.append(output_set - picked)
        picked = picked | output_set
    if not all(image.is_subset(picks[index]) is True for index, image in images):
        return None
    return sympy.Piecewise(*[(form, sympy.true if output_set is sympy.S.Reals else
                              output_set.as_relational(OUTPUT))
                             for form, output_set in written])


def _image(piece: sympy.Expr, slope: sympy.Expr, part: sympy.Set
           ) -> tuple[sympy.Set | None, int]:
    """The values of the piece on a set of x (an interval or points), and whether it
    rises (1), falls (-1) or stays (0) there; (None, 0) if that is not proved."""
    if isinstance(part, sympy.FiniteSet):
        values = [piece.subs(VARIABLE, p) for p in part]
        return (sympy.FiniteSet(*values), 0) if all(map(_finite_number, values)) else (None, 0)
    if not isinstance(part, sympy.Interval):
        return None, 0
    direction = _monotone(slope, part)
    if direction is None:
        return None, 0
    if direction == 0:
        point = _a_point(part)
        value = None if point is None else piece.subs(VARIABLE, point)
        return (sympy.FiniteSet(value), 0) if value is not None and _finite_number(value) \
            else (None, 0)
    ends = []
    for end, side in ((part.inf, "+"), (part.sup, "-")):
        inside = part.contains(end) is sympy.true
        value = piece.subs(VARIABLE, end) if inside else _limit(piece, end, side)
        if value is None or not (value.is_infinite or _finite_number(value)):
            return None, 0
        ends.append((value, not inside))
    (low, low_open), (high, high_open) = ends if direction > 0 else ends[::-1]
    return sympy.Interval(low, high, low_open, high_open), direction


def _monotone(slope: sympy.Expr, part: sympy.Interval) -> int | None:
    """1 if the piece with this derivative strictly rises on the interval, -1 if it
    strictly falls, 0 if it is constant, None if none of these is proved: the derivative
    keeps one sign there (assumptions or solveset) and vanishes at finitely many points."""
    if not slope.has(VARIABLE):
        if slope.is_zero:
            return 0
        return 1 if slope.is_positive else -1 if slope.is_negative else None
    for sign in (1, -1):
        if _holds(sign * slope, ">=", part).proved is True:
            zeros = within_budget(_solved, slope, part, seconds=STEP_SECONDS)
            if isinstance(zeros, sympy.FiniteSet) or zeros is sympy.S.EmptySet:
                return sign
            return None
    return None


def _output_set(expr: sympy.Expr, condition_set: sympy.Set, increasing: bool
                ) -> sympy.Set | None:
    """A set of x written as the set of a = σ(x) it becomes under a monotone σ: each end
    c as σ(c), an infinite end kept infinite (every output is on that side)."""
    if condition_set is sympy.S.Reals:
        return condition_set
    parts = condition_set.args if isinstance(condition_set, sympy.Union) else (condition_set,)
    found = []
    for part in parts:
        if isinstance(part, sympy.FiniteSet):
            values = [expr.subs(VARIABLE, p) for p in part]
            if not all(map(_finite_number, values)):
                return None
            found.append(sympy.FiniteSet(*values))
            continue
        if not isinstance(part, sympy.Interval):
            return None
        ends = []
        for end, infinite in ((part.inf, -sympy.oo), (part.sup, sympy.oo)):
            if end.is_infinite:
                ends.append(infinite if increasing else -infinite)
                continue
            value = expr.subs(VARIABLE, end)
            if not _finite_number(value):
                return None
            ends.append(value)
        low, high = ends if increasing else ends[::-1]
        low_open, high_open = (part.left_open, part.right_open) if increasing else \
            (part.right_open, part.left_open)
        found.append(sympy.Interval(low, high, low_open, high_open))
    return sympy.Union(*found)


def _piece_through_output(piece: sympy.Expr, derivative: sympy.Expr) -> sympy.Expr | None:
    if not derivative.has(VARIABLE):
        return derivative
    direct = derivative.subs(piece, OUTPUT)
    if not direct.has(VARIABLE):
        return tidy_signs(direct)
    # Invert through the single transcendental generator (sigmoid: t = exp(-x)).
    generators = {g for g in piece.atoms(sympy.Function, sympy.Pow) if g.has(VARIABLE)}
    t = sympy.Dummy("t")
    for generator in sorted(generators, key=sympy.count_ops):
        in_t, derivative_in_t = piece.subs(generator, t), derivative.subs(generator, t)
        if in_t.has(VARIABLE) or derivative_in_t.has(VARIABLE):
            continue
        try:
            solutions = sympy.solve(sympy.Eq(OUTPUT, in_t), t)
        except NotImplementedError:
            continue
        if len(solutions) == 1:
            form = _simplest(derivative_in_t.subs(t, solutions[0]))
            if not form.has(VARIABLE) and sympy.count_ops(form) <= sympy.count_ops(derivative):
                return form
    return None


def _simplest(expr: sympy.Expr) -> sympy.Expr:
    simplified = sympy.simplify(expr)
    forms = [tidy_signs(f(simplified)) for f in (sympy.factor, sympy.expand, lambda e: e)]
    return min(forms, key=sympy.count_ops)


def _agrees_through_output(expr, derivative, candidate) -> bool:
    for text in _CHECK_POINTS:
        point = sympy.Rational(text)
        try:
            direct = _number(derivative.subs(VARIABLE, point))
            via_output = _number(candidate.subs(OUTPUT, expr.subs(VARIABLE, point)))
        except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, NameError):
            return False  # (a piece's condition written through the output may not reduce)
        if abs(direct - via_output) > mpmath.mpf(10) ** (5 - _DIGITS) * max(1, abs(direct)):
            return False
    return True


# --- numbers that cannot abort the process -------------------------------------------


class _TooLargeError(OverflowError):
    """An argument so large that mpmath would shift an integer by that many bits, and GMP
    would abort the whole process ("gmp: overflow in mpz type"): exp(-exp(10^12))."""


def _guarded(function, tail=None):
    """``function`` of an argument at most 2^_GUARD_BITS in size; beyond, ``tail`` of it
    (the value it rounds to at any working precision) or _TooLargeError."""
    def guarded(value):
        try:
            large = mpmath.mag(value) > _GUARD_BITS
        except (TypeError, ValueError):
            large = False
        if large:
            if tail is None or isinstance(value, mpmath.mpc):
                raise _TooLargeError
            return tail(mpmath.mpf(value))
        return function(value)
    return guarded


_SAFE_MPMATH = {
    "exp": _guarded(mpmath.exp), "sinh": _guarded(mpmath.sinh), "cosh": _guarded(mpmath.cosh),
    "erfc": _guarded(mpmath.erfc, lambda v: mpmath.mpf(0 if v > 0 else 2)),
    "tanh": _guarded(mpmath.tanh, mpmath.sign), "erf": _guarded(mpmath.erf, mpmath.sign),
    "sech": _guarded(mpmath.sech, lambda v: mpmath.mpf(0)),
}
# erfc(-u) as written by symgrad.numeric.stable's forms without cancellation
_SAFE_MPMATH["erfc_of_negative"] = lambda value: _SAFE_MPMATH["erfc"](-value)


def mpmath_function(expr: sympy.Expr, *variables: sympy.Symbol) -> Callable:
    """``expr`` as an mpmath function of ``variables`` that refuses (_TooLargeError, an
    OverflowError) arguments mpmath would turn into an integer of astronomical size."""
    return sympy.lambdify(variables, expr, [_SAFE_MPMATH, "mpmath"], cse=True)


def _number(expr: sympy.Expr, dps: int = _DIGITS) -> mpmath.mpf:
    """A constant expression as a finite real mpf; ValueError if it is not one (complex,
    infinite, undefined), _TooLargeError if it is too large to evaluate."""
    roots = expr.atoms(sympy.CRootOf)  # (a root of a polynomial: mpmath has no name for it)
    if roots:
        expr = expr.xreplace({root: root.evalf(dps + 10) for root in roots})
    with mpmath.workdps(dps):
        value = mpmath_function(expr)()
        if isinstance(value, mpmath.mpc):
            if value.imag != 0:
                raise ValueError("not real")
            value = value.real
        value = mpmath.mpf(value)
        if not mpmath.isfinite(value):
            raise ValueError("not finite")
        return value


def _finite_number(expr: sympy.Expr) -> bool:
    try:
        _number(expr, 15)
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, NameError):
        return False
    return True


# --- sup and inf of the derivative ---------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    value: sympy.Expr
    attained: bool
    where: sympy.Set
    exact: bool


def _extremum(derivative: sympy.Expr, largest: bool) -> Extremum:
    found = [_candidates(piece, region) for piece, region in pieces(derivative)]
    candidates = [c for piece_candidates, _ in found for c in piece_candidates]
    complete = all(every for _, every in found)  # every critical point found exactly
    candidates += [_Candidate(piece.subs(VARIABLE, p), True, sympy.FiniteSet(p), True)
                   for piece, region in _regions(derivative)
                   if isinstance(region, sympy.FiniteSet) for p in region]  # (single points)
    sign = 1 if largest else -1
    try:
        key = [sign * _number(c.value) for c in candidates]
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, NameError):
        raise SymgradError("The activation's derivative is unbounded (or undefined) over the "
                           "real line.") from None
    best = max(key)
    tolerance = mpmath.mpf(10) ** (5 - _DIGITS) * max(1, abs(best))
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


def pieces(expr: sympy.Expr) -> list[tuple[sympy.Expr, sympy.Interval]]:
    """A (piecewise) expression in x as (formula, interval of x) pairs."""
    if not isinstance(expr, sympy.Piecewise):
        return [(expr, sympy.Interval(-sympy.oo, sympy.oo))]
    remaining: sympy.Set = sympy.S.Reals
    pieces = []
    for piece, condition in expr.args:
        region = remaining if condition is sympy.true else _x_set(condition) & remaining
        remaining = remaining - region
        intervals = region.args if isinstance(region, sympy.Union) else (region,)
        pieces += [(piece, interval) for interval in intervals if interval.measure != 0]
    return pieces


def linear_pieces(expr: sympy.Expr) -> list[tuple[sympy.Rational, sympy.Rational, sympy.Interval]] | None:
    """(slope, intercept, interval) of each piece of a piecewise-linear expression in x
    with rational coefficients; None if some piece is not of that form."""
    found = []
    for piece, interval in pieces(expr):
        polynomial = sympy.Poly(piece, VARIABLE) if piece.is_polynomial(VARIABLE) else None
        if polynomial is None or polynomial.degree() > 1 or \
                not all(c.is_Rational for c in polynomial.all_coeffs()):
            return None
        found.append((polynomial.nth(1), polynomial.nth(0), interval))
    return found


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
            limit = _limit(piece, endpoint, direction)
            exact = limit is not None
            if not exact:  # past its budget: the value near the end, marked numerical
                limit = _numerical_limit(piece, endpoint, direction)
            found.append(_Candidate(limit, False, sympy.FiniteSet(endpoint), exact))
    slope = sympy.diff(piece, VARIABLE)
    critical = within_budget(_solved, slope, region, seconds=STEP_SECONDS)
    exact = None
    if critical is sympy.S.EmptySet or \
            isinstance(critical, sympy.FiniteSet) and all(p.is_real for p in critical):
        exact = [_Candidate(_simplified(piece.subs(VARIABLE, p)), True, sympy.FiniteSet(p), True)
                 for p in critical]
        if not all(_finite_number(c.value) for c in exact):
            exact = None  # (a value SymPy wrote but cannot evaluate: the numbers decide)
    if exact is not None:
        found += exact
        return tuple(found), True
    else:
        evaluate = mpmath_function(piece, VARIABLE)
        bounded = [_refined(piece, slope, p, sign) for p, sign in _bounded_search(piece, region)]
        for p, digits in [(p, _DIGITS) for p in _numerical_roots(slope, region)] + bounded:
            try:
                with mpmath.workdps(_DIGITS + 15):  # (the digits shown, all of them right)
                    value = sympy.Float(evaluate(mpmath.mpf(p)), digits)
            except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, KeyError):
                continue  # (Float(p, digits): not the global precision; KeyError: mpmath's inf · 0)
            if not _finite_number(value):
                continue  # (nan or an infinity where the formula overflows far out: no candidate)
            found.append(_Candidate(value, True, sympy.FiniteSet(sympy.Float(p, 12)), False))
    return tuple(found), False


def _solved(slope: sympy.Expr, region: sympy.Interval) -> sympy.Set | None:
    try:
        return sympy.solveset(slope, VARIABLE, region)
    except (NotImplementedError, ValueError, TypeError):
        return None


def _simplified(expr: sympy.Expr) -> sympy.Expr:
    return within_budget(sympy.simplify, expr, fallback=lambda: expr, seconds=STEP_SECONDS)


@cache
def _raw_limit(piece: sympy.Expr, end: sympy.Expr, direction: str) -> sympy.Expr | None:
    """SymPy's limit of the piece at an end as it gives it (a number, accumulation bounds,
    an unevaluated form), within its budget; None if SymPy fails or runs out of time."""
    def step():
        try:
            found = sympy.limit(piece, VARIABLE, end, direction)
        except (NotImplementedError, ValueError, TypeError, ArithmeticError, RecursionError,
                AttributeError):  # (AttributeError: SymPy's own, on some Piecewise limits)
            return None
        return None if found.has(sympy.Limit) else found
    return within_budget(step, seconds=STEP_SECONDS)


def _limit(piece: sympy.Expr, end: sympy.Expr, direction: str) -> sympy.Expr | None:
    """SymPy's limit of the piece at an end, within its budget; None if it has none there
    (no number: an oscillation's accumulation bounds, an unevaluated form)."""
    found = _raw_limit(piece, end, direction)
    return found if found is not None and found.is_number and \
        not isinstance(found, sympy.AccumBounds) else None


def limit_at(expr: sympy.Expr, end: sympy.Expr, direction: str = "+") -> tuple[sympy.Expr, bool]:
    """The limit of ``expr`` (in x) at ``end``, for other modules' symbolic steps: SymPy's
    within its time budget (then True), else the value ever closer to the end (False)."""
    found = _limit(expr, end, direction)
    return (found, True) if found is not None else (_numerical_limit(expr, end, direction), False)


def solved_within_budget(expr: sympy.Expr, region: sympy.Set) -> sympy.Set | None:
    """solveset(expr = 0) over the region, or None when SymPy cannot or runs out of time."""
    return within_budget(_solved, expr, region, seconds=STEP_SECONDS)


def _numerical_limit(piece: sympy.Expr, end: sympy.Expr, direction: str) -> sympy.Expr:
    """The piece's value ever closer to the end (x = ±10^k, or end ± 10^-k), the last one
    that can be evaluated; oo if none can."""
    evaluate = mpmath_function(piece, VARIABLE)
    value = sympy.oo
    with mpmath.workdps(_DIGITS):
        for k in range(2, 16, 2):
            step = mpmath.mpf(10) ** k
            if end.is_finite:
                near = _number(end) + (1 if direction == "+" else -1) / step
            else:
                near = step if end > 0 else -step
            try:
                found = evaluate(near)
                if isinstance(found, mpmath.mpc) or not mpmath.isfinite(found):
                    break
            except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
                break
            value = found
    if value is sympy.oo:
        return value
    if abs(value) < mpmath.mpf(10) ** -_DIGITS:  # (sech(10^14)²: 0 at the working digits)
        return sympy.S.Zero
    return sympy.Float(value, _DIGITS)


def _refined(piece: sympy.Expr, slope: sympy.Expr, point, sign: int) -> tuple[mpmath.mpf, int]:
    """A point where the branch and bound found the piece largest (``sign`` 1) or smallest
    (-1), its value right to about 6 digits, as the nearby zero of the slope (secant steps)
    to the working digits, if there is one near where the piece is at least as good;
    else the point as found, its value to _BOUND_DIGITS."""
    try:
        with mpmath.workdps(_DIGITS + 15):
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
                return root, _DIGITS
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
    from symgrad.numeric.interval import Interval, Rounding, namespace

    low = max(region.inf, -_BOUND_RANGE)
    high = min(region.sup, _BOUND_RANGE)
    if not low < high:
        return []
    rounding = Rounding(64)
    try:
        function = sympy.lambdify(VARIABLE, piece, [namespace(rounding), "mpmath"])
    except (TypeError, ValueError, NameError, SyntaxError):
        return []
    low, high = gmpy2.mpfr(float(low)), gmpy2.mpfr(float(high))

    def enclosure(a, b):
        value = function(Interval(a, b, rounding))
        if not isinstance(value, Interval) or rounding.undefined():
            raise ArithmeticError
        return value

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
    except (ArithmeticError, ValueError, TypeError, ZeroDivisionError, KeyError, SymgradError):
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
    with mpmath.workdps(_DIGITS):
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


# --- the library ---------------------------------------------------------------------

x = VARIABLE


def _piecewise_linear(slope_left: sympy.Expr) -> sympy.Expr:
    return sympy.Piecewise((slope_left * x, x <= 0), (x, True))


_LIBRARY: dict[str, tuple[str, Callable[[sympy.Rational], sympy.Expr], str | None]] = {
    # name: (title, builder from the parameter, default parameter)
    "sigmoid": ("logistic sigmoid", lambda _: 1 / (1 + sympy.exp(-x)), None),
    "tanh": ("hyperbolic tangent", lambda _: sympy.tanh(x), None),
    "relu": ("rectified linear unit", lambda _: _piecewise_linear(sympy.S.Zero), None),
    "leaky_relu": ("leaky ReLU with slope α", _piecewise_linear, "1/100"),
    "elu": (
        "exponential linear unit with scale α",
        lambda alpha: sympy.Piecewise((alpha * (sympy.exp(x) - 1), x <= 0), (x, True)),
        "1",
    ),
    "softplus": ("softplus", lambda _: sympy.log(1 + sympy.exp(x)), None),
    "gelu": ("Gaussian error linear unit (exact, with erf)",
             lambda _: x / 2 * (1 + sympy.erf(x / sympy.sqrt(2))), None),
    "silu": ("sigmoid linear unit (swish)", lambda _: x / (1 + sympy.exp(-x)), None),
    "linear": ("identity", lambda _: x, None),
}

NAMES = tuple(_LIBRARY)


_NAMED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(:.*)?", re.DOTALL)  # a name, perhaps with a
# parameter (ASCII: x² and tanhｘ are formulas, for the reader to read or refuse)


@cache
def get_activation(spec: str) -> Activation:
    """The activation named by ``spec``: a library name, optionally ``name:parameter``,
    or a formula in x (``x/(1+exp(-x))``), read by ``symgrad.expressions``."""
    if not isinstance(spec, str):
        raise SymgradError(f"An activation is a name or a formula in x, not {spec!r}.")
    if not _NAMED.fullmatch(spec.strip()) or spec.strip() == "x":
        return custom_activation(spec)
    name, _, parameter_text = spec.strip().partition(":")
    if name not in _LIBRARY:
        close = difflib.get_close_matches(name, NAMES, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise SymgradError(
            f"Unknown activation '{name}'; known ones are {', '.join(NAMES)}.{hint}"
        )
    title, build, default = _LIBRARY[name]
    if parameter_text and default is None:
        raise SymgradError(f"The activation '{name}' takes no parameter.")
    if default is None:
        return Activation(name, build(None), title)
    parameter = parse_exact(parameter_text or default, what=f"parameter of {name}")
    if max(abs(parameter.p), parameter.q) > MAX_MAGNITUDE:  # (and never str() of a huge int)
        raise SymgradError(f"The parameter of {name} '{parameter_text.strip()}' is out of range: "
                           "its size and the digits it is written with must stay within "
                           "10^-300 to 10^300.")
    canonical = f"{name}:{parameter}"
    return Activation(canonical, build(parameter), title)


def custom_activation(text: str) -> Activation:
    """A user's formula in x as an activation, through the same machinery as the
    library's: abs, max, min and Heaviside become pieces (relu's form), so derivative,
    kinks, sup/inf and exact arithmetic treat it as they treat relu."""
    from symgrad.expressions import FUNCTIONS, parse  # the reader needs the notation only

    allowed = frozenset(FUNCTIONS) - {"sigma", "dsigma"}
    expr = parse(text, {"x": VARIABLE}, allowed, what="activation")
    try:
        with time_budget(ANALYSIS_SECONDS):
            return _custom(text.strip(), expr)
    except OverBudget:
        raise SymgradError(f"The activation {text.strip()!r} is too hard for SymPy to analyse "
                           f"within {ANALYSIS_SECONDS:g} seconds (to prove it finite on the real "
                           "line and find the sup and inf of its derivative).") from None
    except SymgradError:  # (a ValueError too)
        raise
    except (OverflowError, ValueError, TypeError, ZeroDivisionError, RecursionError):
        raise SymgradError(f"The activation {text.strip()!r} cannot be evaluated (a value in it "
                           "is too large for SymPy to handle).") from None


def _custom(text: str, expr: sympy.Expr) -> Activation:
    _check_magnitudes(expr, text)
    written = expr  # as typed: max(x, 0)/x is 0/0 at 0, which its pieces 0 and 1 forget
    if expr.has(sympy.Abs, sympy.Max, sympy.Min, sympy.Heaviside):
        count = len(expr.atoms(sympy.Abs, sympy.Max, sympy.Min, sympy.Heaviside))
        if count > MAX_PIECE_FUNCTIONS:
            raise SymgradError(f"The activation {text!r} has {count} abs, max, min or Heaviside "
                               f"terms; at most {MAX_PIECE_FUNCTIONS} are read, as their pieces "
                               "multiply.")
        folded = within_budget(_fold_pieces, expr, seconds=2 * STEP_SECONDS)
        expr = folded if folded is not None else within_budget(lambda: _plain_conditions(
            sympy.piecewise_fold(expr.rewrite(sympy.Piecewise))), seconds=STEP_SECONDS,
            fallback=lambda: _too_hard(text, "to combine its abs, max, min and Heaviside pieces"))
    if not expr.has(VARIABLE):
        raise SymgradError(f"The activation {text!r} does not depend on x.")
    _check_exact_pieces(expr, text)
    if written is not expr:
        _check_defined_at_kinks(written, expr, text)
    _check_defined(expr, text)  # a quick look at sample points first, for a plain witness
    proof = _finite_everywhere(expr)
    if proof.proved is False:
        raise SymgradError(f"The activation {text!r} is not a finite real number at "
                           f"x = {proof.witness}; an activation must be defined on the whole "
                           "real line.")
    if proof.proved is None:
        raise SymgradError(f"symgrad cannot prove that the activation {text!r} is a finite "
                           f"real number on the whole real line (SymPy cannot decide {proof.doubt} "
                           "within its budget), and an activation must be.")
    activation = Activation(text, expr, "custom")
    unbounded = (f"The activation {text!r} has no bounded derivative over the real line "
                 "(symgrad's bounds, regions and mean field need sup|σ'| finite).")
    proof = _bounded_everywhere(activation.derivative)
    if proof.proved is False:
        raise SymgradError(unbounded if proof.witness is None else unbounded[:-2] +
                           f"; σ' is not finite at x = {proof.witness}).")
    if proof.proved is None:
        raise SymgradError(f"symgrad cannot prove that the derivative of the activation "
                           f"{text!r} is bounded over the real line (SymPy cannot decide "
                           f"{proof.doubt} within its budget), and symgrad's bounds, regions and "
                           "mean field need sup|σ'| finite.")
    try:
        activation.derivative_sup, activation.derivative_inf  # noqa: B018 - computed once, cached
    except (SymgradError, TypeError, ValueError, ZeroDivisionError, NotImplementedError):
        # (bounded, as proved above: what failed is evaluating a candidate for the sup)
        raise SymgradError(f"symgrad cannot evaluate the sup and inf of the derivative of the "
                           f"activation {text!r} (SymPy's values for them are not numbers it "
                           "can evaluate).") from None
    return activation


def _check_exact_pieces(expr: sympy.Expr, text: str) -> None:
    """Refuse pieces whose ends SymPy cannot name: max(tanh(x), x/2) switches where
    tanh(x) = x/2, a point with no closed form."""
    if not isinstance(expr, sympy.Piecewise):
        return
    for _, condition in expr.args:
        try:
            plain = condition is sympy.true or _plain_set(_x_set(condition))
        except (NotImplementedError, ValueError, TypeError):
            plain = False
        if not plain:
            raise SymgradError(f"symgrad cannot find exactly where the pieces of the activation "
                               f"{text!r} meet (SymPy cannot solve {condition} over the real "
                               "line), and the pieces of an activation need exact ends.")


def _too_hard(text: str, what: str):
    raise SymgradError(f"The activation {text!r} is too hard for SymPy {what} within "
                       f"{STEP_SECONDS:g} seconds.")


def _check_magnitudes(expr: sympy.Expr, text: str) -> None:
    """Refuse a number written with more than 1000 digits, and a constant (a part without
    x) beyond 10^300 in size: exp(1e308), 9**1000. Parts are sized from the inside out,
    so no evaluation ever meets an argument beyond that (exp of it is still safe)."""
    for number in expr.atoms(sympy.Rational):
        if max(int(abs(number.p)).bit_length(), int(number.q).bit_length()) > MAX_NUMBER_BITS:
            raise SymgradError(f"The activation {text!r} has a number written with more than "
                               "1000 digits (numerator or denominator).")
    huge = SymgradError(f"The activation {text!r} holds a constant beyond 10^300 in size; "
                        "symgrad reads formulas whose constants stay within that.")
    seen = set()
    for part in sympy.postorder_traversal(expr):
        if part in seen or not isinstance(part, sympy.Expr) or part.has(VARIABLE):
            continue
        seen.add(part)
        if part.is_Rational:
            if abs(part.p) > MAX_MAGNITUDE * part.q:
                raise huge
            continue
        try:
            value = _number(part, 15)
        except _TooLargeError:
            raise huge from None
        except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, NameError):
            continue  # not a finite real: the checks below say so with a point
        if abs(value) > MAX_MAGNITUDE:
            raise huge


def _plain_conditions(expr: sympy.Expr) -> sympy.Expr:
    """Each piece's condition as the set of x it holds on (x >= x/10 becomes x >= 0)."""
    if not isinstance(expr, sympy.Piecewise):
        return expr
    return sympy.Piecewise(*[(piece, condition if condition is sympy.true else
                              _x_set(condition).as_relational(VARIABLE))
                             for piece, condition in expr.args])


_BOUNDS = {sympy.StrictLessThan: (True, True), sympy.LessThan: (True, False),
           sympy.StrictGreaterThan: (False, True), sympy.GreaterThan: (False, False)}


def _x_set(condition: sympy.Basic) -> sympy.Set:
    """The set of real x a condition holds on: And, Or, Not and ITE of relations between x
    and a number (either side) read directly, anything else by SymPy's as_set."""
    if condition is sympy.true or condition is sympy.false:
        return sympy.S.Reals if condition is sympy.true else sympy.S.EmptySet
    if isinstance(condition, (sympy.And, sympy.Or)):
        parts = [_x_set(c) for c in condition.args]
        return sympy.Intersection(*parts) if isinstance(condition, sympy.And) else \
            sympy.Union(*parts)
    if isinstance(condition, sympy.Not):
        return sympy.S.Reals - _x_set(condition.args[0])
    if isinstance(condition, sympy.ITE):
        test, then, otherwise = map(_x_set, condition.args)
        return (test & then) | ((sympy.S.Reals - test) & otherwise)
    if isinstance(condition, sympy.core.relational.Relational):
        relation, number = type(condition), condition.rhs
        if condition.rhs == VARIABLE and not condition.lhs.has(VARIABLE):
            relation, number = type(condition.reversed), condition.lhs
        elif condition.lhs != VARIABLE:
            number = None
        if number is not None and number.is_number and number.is_extended_real:
            if relation is sympy.Eq:
                return sympy.FiniteSet(number) & sympy.S.Reals
            if relation is sympy.Ne:
                return sympy.S.Reals - sympy.FiniteSet(number)
            below, strict = _BOUNDS[relation]
            return sympy.Interval(-sympy.oo, number, True, strict) if below else \
                sympy.Interval(number, sympy.oo, strict, True)
    return condition.as_set() & sympy.S.Reals


_MAX_CELLS = 200  # pieces of a formula's abs, max, min and Heaviside, at most


def _fold_pieces(expr: sympy.Expr) -> sympy.Expr | None:
    """abs, max, min and Heaviside as pieces, inside out: each part of the formula as
    (formula, set of x) cells that partition the real line, a cell split where the
    argument of an abs (the difference of max's, min's arguments, Heaviside's argument)
    changes sign, that sign found by solveset. One Piecewise, its conditions plain sets
    of x; None where a sign cannot be found (a crossing of tanh(x) and x/2) or the cells
    become too many: then SymPy's own rewrite is tried."""
    cells = _cells(expr)
    if cells is None:
        return None
    merged: dict[sympy.Expr, sympy.Set] = {}
    for formula, region in cells:
        merged[formula] = merged.get(formula, sympy.S.EmptySet) | region
    if len(merged) == 1:
        return next(iter(merged))
    ordered = list(merged.items())
    return sympy.Piecewise(*[(formula, region.as_relational(VARIABLE)) for formula, region
                             in ordered[:-1]], (ordered[-1][0], True))


_PIECE_FUNCTIONS = (sympy.Abs, sympy.Max, sympy.Min, sympy.Heaviside)


def _cells(expr: sympy.Expr) -> list[tuple[sympy.Expr, sympy.Set]] | None:
    if not expr.has(*_PIECE_FUNCTIONS):
        return [(expr, sympy.S.Reals)]
    if isinstance(expr, (sympy.Max, sympy.Min)) and len(expr.args) > 2:
        head, *rest = expr.args
        return _cells(expr.func(head, expr.func(*rest), evaluate=False))
    arguments = [_cells(arg) for arg in expr.args]
    if any(a is None for a in arguments):
        return None
    combined: list[tuple[tuple[sympy.Expr, ...], sympy.Set]] = [((), sympy.S.Reals)]
    for cells in arguments:
        combined = [(formulas + (f,), region & part) for formulas, region in combined
                    for f, part in cells]
        combined = [(formulas, region) for formulas, region in combined
                    if region is not sympy.S.EmptySet]
        if len(combined) > _MAX_CELLS:
            return None
    found = []
    for formulas, region in combined:
        if isinstance(expr, sympy.Abs):
            split = _signs(formulas[0], region)
            pieces = None if split is None else \
                [(formulas[0], split[0] | split[1]), (-formulas[0], split[2])]
        elif isinstance(expr, (sympy.Max, sympy.Min)):
            first, second = formulas
            split = _signs(first - second, region)
            larger, smaller = (first, second) if isinstance(expr, sympy.Max) else (second, first)
            pieces = None if split is None else [(first, split[1]), (larger, split[0]),
                                                 (smaller, split[2])]
        elif isinstance(expr, sympy.Heaviside):
            split = _signs(formulas[0], region)
            at_zero = expr.args[1] if len(expr.args) > 1 else sympy.S.Half
            pieces = None if split is None else [(sympy.S.One, split[0]), (at_zero, split[1]),
                                                 (sympy.S.Zero, split[2])]
        else:
            pieces = [(expr.func(*formulas), region)]
        if pieces is None:
            return None
        found += [(f, part) for f, part in pieces if part is not sympy.S.EmptySet]
        if len(found) > _MAX_CELLS:
            return None
    return found


def _signs(u: sympy.Expr, region: sympy.Set) -> tuple[sympy.Set, sympy.Set, sympy.Set] | None:
    """Where on the region u > 0, u = 0 and u < 0; None if solveset cannot say."""
    if not u.has(VARIABLE):
        if not _finite_number(u):
            return None
        sign = _number(u)
        empty = sympy.S.EmptySet
        return (region, empty, empty) if sign > 0 else (empty, region, empty) if sign == 0 \
            else (empty, empty, region)
    def solve(relation):
        try:
            found = sympy.solveset(relation, VARIABLE, region)
        except (NotImplementedError, ValueError, TypeError):
            return None
        return found if _plain_set(found) else None
    positive = within_budget(solve, u > 0, seconds=STEP_SECONDS)
    zero = None if positive is None else within_budget(solve, sympy.Eq(u, 0), seconds=STEP_SECONDS)
    if zero is None:
        return None
    return positive, zero, region - positive - zero


def _plain_set(found: sympy.Set) -> bool:
    """A union of intervals and finitely many points, with real number ends."""
    parts = found.args if isinstance(found, sympy.Union) else (found,)
    for part in parts:
        if part is sympy.S.EmptySet:
            continue
        if isinstance(part, sympy.FiniteSet):
            if not all(p.is_number and p.is_real for p in part):
                return False
        elif not (isinstance(part, sympy.Interval) and part.inf.is_number and
                  part.sup.is_number):
            return False
    return True


_DOMAIN_CHECKS = [*range(-40, 41), -1000, 1000, -1e6, 1e6, 0.5, -0.5, 1e-9, -1e-9]


def _check_defined_at_kinks(written: sympy.Expr, folded: sympy.Expr, text: str) -> None:
    """Refuse a formula that is undefined where its pieces meet, as typed: the pieces of
    max(x, 0)/x are 0 and 1, but at x = 0 the formula is 0/0 (exactly, by SymPy)."""
    if not isinstance(folded, sympy.Piecewise):
        return
    ends = {end for _, region in _regions(folded)
            for end in ((region.inf, region.sup) if isinstance(region, sympy.Interval)
                        else tuple(region) if isinstance(region, sympy.FiniteSet) else ())
            if end.is_finite}
    for point in sorted(ends, key=lambda p: float(p)):
        value = within_budget(lambda p=point: written.subs(VARIABLE, p), seconds=STEP_SECONDS)
        if value is not None and (value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)
                                  or value.is_finite is False):
            raise SymgradError(f"The activation {text!r} is not a finite real number at "
                               f"x = {point}; an activation must be defined on the whole "
                               "real line.")


def _check_defined(expr: sympy.Expr, text: str) -> None:
    """Refuse a formula that is not a finite real number somewhere on the real line
    (log(x), sqrt(x), x**x at negative x), checked at a spread of points."""
    function = mpmath_function(expr, VARIABLE)
    with mpmath.workdps(_DIGITS):
        for point in _DOMAIN_CHECKS:
            try:
                value = function(mpmath.mpf(point))
                defined = not isinstance(value, mpmath.mpc) and mpmath.isfinite(mpmath.mpf(value))
            except _TooLargeError:
                continue  # too large to evaluate here: the proof below decides
            except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                defined = False
            if not defined:
                raise SymgradError(f"The activation {text!r} is not a finite real number at "
                                   f"x = {point:g}; an activation must be defined on the whole "
                                   "real line.")


# --- proofs: finite on the whole real line, a bounded derivative ---------------------
#
# Not sampled: proved, piece by piece, from the formula's structure. A sum, product, exp,
# tanh, erf, ... of finite parts is finite; a power with a negative exponent needs its
# base nonzero, a fractional power its base >= 0 (> 0 if negative), log its argument > 0,
# each shown by SymPy's assumptions or by solveset finding where it fails (the empty set,
# or a point that is then the witness). SymPy's continuous_domain is not used: it cannot
# read erf or erfc, and it calls x**(1/3) continuous on the reals, where SymPy's own
# value is complex. Each SymPy step is budgeted; what it cannot decide is "unproved".


@dataclass(frozen=True)
class _Proof:
    proved: bool | None  # None: not decided
    witness: sympy.Expr | None = None  # where it fails, when proved is False
    doubt: str = ""  # what could not be decided, when proved is None


_PROVED = _Proof(True)
_FINITE_FUNCTIONS = (sympy.exp, sympy.sinh, sympy.cosh, sympy.tanh, sympy.atan, sympy.erf,
                     sympy.erfc, sympy.sech, sympy.sin, sympy.cos)
# (finite real for every finite real argument; bounded whatever the argument:)
_BOUNDED_FUNCTIONS = (sympy.tanh, sympy.atan, sympy.erf, sympy.erfc, sympy.sech, sympy.sin,
                      sympy.cos)


def _first_failure(proofs) -> _Proof:
    undecided = None
    for proof in proofs:
        if proof.proved is False:
            return proof
        if proof.proved is None and undecided is None:
            undecided = proof
    return undecided or _PROVED


def _regions(expr: sympy.Expr) -> list[tuple[sympy.Expr, sympy.Set]]:
    """(formula, set of x) for each piece, single points included (unlike ``pieces``)."""
    if not isinstance(expr, sympy.Piecewise):
        return [(expr, sympy.S.Reals)]
    remaining: sympy.Set = sympy.S.Reals
    found = []
    for piece, condition in expr.args:
        region = remaining if condition is sympy.true else _x_set(condition) & remaining
        remaining = remaining - region
        found += [(piece, part) for part in (region.args if isinstance(region, sympy.Union)
                                             else (region,)) if part is not sympy.S.EmptySet]
    return found


def _finite_everywhere(expr: sympy.Expr, closed: bool = False) -> _Proof:
    """Whether every piece is a finite real on its set (``closed``: and it stays bounded
    towards each finite end its set leaves out, so that it is bounded on any bounded part
    of its set: finite at that end, or a finite one-sided limit there, as 3(-x)^(3/2)/(2x),
    SymPy's slope of (-x)^(3/2), has at 0)."""
    proofs = []
    for piece, region in _regions(expr):
        if isinstance(region, sympy.FiniteSet):
            proofs += [_finite_on(piece.subs(VARIABLE, point), region) for point in region]
        elif isinstance(region, sympy.Interval):
            proofs.append(_finite_on(piece, region))
            if closed and piece.has(VARIABLE):
                proofs += [_bounded_towards(piece, end, side) for end, side in
                           ((region.inf, "+"), (region.sup, "-"))
                           if end.is_finite and region.contains(end) is not sympy.true]
        else:
            proofs.append(_Proof(None, doubt=f"the set {region}"))
    return _first_failure(proofs)


def _bounded_towards(piece: sympy.Expr, end: sympy.Expr, side: str) -> _Proof:
    """Whether a piece, finite on an interval that leaves out its finite end ``end``, stays
    bounded towards it: finite at the end itself (then continuous there), or a finite
    one-sided limit there; an infinite limit shows it unbounded, with the end as witness."""
    at_end = _finite_on(piece, sympy.FiniteSet(end))
    if at_end.proved is True:
        return at_end
    limit = _raw_limit(piece, end, side)
    if limit is None or limit.has(sympy.AccumBounds):
        return _Proof(None, doubt=f"the limit of {piece} as x → {end}")
    if limit.is_number and limit.is_infinite:
        return _Proof(False, end)
    if limit.is_number and _finite_number(limit):
        return _PROVED
    return _Proof(None, doubt=f"the limit of {piece} as x → {end}")


def _bounded_everywhere(derivative: sympy.Expr) -> _Proof:
    """A finite derivative on each piece's closure is bounded on its bounded parts; at ±∞
    it is bounded if its form says so (tanh, erf, exp of something <= 0, ...) or its
    limit there is finite."""
    finite = _finite_everywhere(derivative, closed=True)
    if finite.proved is not True:
        return finite
    for piece, region in _regions(derivative):
        if not isinstance(region, sympy.Interval) or not piece.has(VARIABLE):
            continue
        ends = [(end, direction) for end, direction in ((region.inf, "+"), (region.sup, "-"))
                if end.is_infinite]
        if not ends or within_budget(_bounded, piece, seconds=STEP_SECONDS):
            continue
        rational = within_budget(_rational_bounded, piece, seconds=STEP_SECONDS)
        if rational is not None:
            if rational:
                continue
            return _Proof(False)  # (|σ'| grows like a power of x at both ends)
        for end, direction in ends:
            tail = _tail_bounded(piece, end, direction)
            if tail.proved is not True:
                return tail
    return _PROVED


def _rational_bounded(piece: sympy.Expr) -> bool | None:
    """For a rational function of x (finite on the real line, proved before): bounded at
    ±∞ exactly when, cancelled, its numerator's degree is at most its denominator's.
    None for any other function."""
    if not piece.is_rational_function(VARIABLE):
        return None
    numerator, denominator = sympy.fraction(sympy.cancel(sympy.together(piece)))
    try:
        return sympy.degree(numerator, VARIABLE) <= sympy.degree(denominator, VARIABLE)
    except (sympy.PolynomialError, ValueError, TypeError):
        return None


def _tail_bounded(piece: sympy.Expr, end: sympy.Expr, direction: str) -> _Proof:
    """Whether the piece is bounded as x → end (±∞), from SymPy's limit there: a finite
    limit, or finite accumulation bounds (an oscillation: cos(x), x cos(x)/(1 + x)), prove
    it bounded; an infinite limit proves it unbounded; anything else is undecided."""
    limit = _raw_limit(piece, end, direction)
    if limit is None:
        return _Proof(None, doubt=f"the limit of {piece} as x → {end}")
    if isinstance(limit, sympy.AccumBounds):
        ends = (limit.min, limit.max)
        if all(e.is_number and e.is_finite and _finite_number(e) for e in ends):
            return _PROVED
        return _Proof(None, doubt=f"whether {piece} stays bounded as x → {end}")
    if limit.is_number and limit.is_infinite:  # oo, -oo, zoo
        return _Proof(False)
    if limit.is_number and _finite_number(limit):
        return _PROVED
    return _Proof(None, doubt=f"the limit of {piece} as x → {end}")


def _finite_on(expr: sympy.Expr, region: sympy.Set) -> _Proof:
    if not expr.has(VARIABLE):
        return _PROVED if _finite_number(expr) else _Proof(False, _a_point(region))
    if expr == VARIABLE:
        return _PROVED
    if expr.is_Add or expr.is_Mul:
        return _first_failure(_finite_on(arg, region) for arg in expr.args)
    if isinstance(expr, _FINITE_FUNCTIONS):
        return _finite_on(expr.args[0], region)
    if isinstance(expr, sympy.log):
        return _first_failure([_finite_on(expr.args[0], region),
                               _holds(expr.args[0], ">", region)])
    if expr.is_Pow:
        base, exponent = expr.args
        finite = _finite_on(base, region)
        if exponent.has(VARIABLE):  # base**exponent = exp(exponent log(base))
            return _first_failure([finite, _finite_on(exponent, region),
                                   _holds(base, ">", region)])
        if not (exponent.is_number and exponent.is_real):
            return _Proof(None, doubt=f"where {expr} is defined")
        if exponent.is_Integer:
            return finite if exponent >= 0 else _first_failure([finite,
                                                                _holds(base, "!=", region)])
        return _first_failure([finite, _holds(base, ">=" if exponent > 0 else ">", region)])
    return _Proof(None, doubt=f"where {expr} is defined")


_RELATIONS = {">": ("is_positive", lambda u: u <= 0, "positive"),
              ">=": ("is_nonnegative", lambda u: u < 0, "at least 0"),
              "!=": ("is_nonzero", lambda u: sympy.Eq(u, 0), "nonzero")}


def _holds(u: sympy.Expr, relation: str, region: sympy.Set) -> _Proof:
    """Whether ``u relation 0`` for every x of the region."""
    assumption, failure, words = _RELATIONS[relation]
    if within_budget(lambda: getattr(u, assumption), seconds=STEP_SECONDS):
        return _PROVED  # (for every real x, so on the region too)
    def solve():
        try:
            return sympy.solveset(failure(u), VARIABLE, region)
        except (NotImplementedError, ValueError, TypeError):
            return None
    fails = within_budget(solve, seconds=STEP_SECONDS)
    if fails is sympy.S.EmptySet:
        return _PROVED
    point = None if fails is None else _a_point(fails)
    if point is not None:
        return _Proof(False, point)
    return _Proof(None, doubt=f"where {u} is {words}")


def _a_point(found: sympy.Set) -> sympy.Expr | None:
    """A real point of a set SymPy found, or None if it cannot name one."""
    if isinstance(found, sympy.FiniteSet):
        real = [p for p in found if p.is_real and _finite_number(p)]
        return min(real, key=_number) if real else None
    if isinstance(found, sympy.Union):
        return next((p for p in map(_a_point, found.args) if p is not None), None)
    if not isinstance(found, sympy.Interval):
        return None
    low, high = found.inf, found.sup
    if low.is_finite and low in found:
        return low
    if high.is_finite and high in found:
        return high
    if low.is_finite and high.is_finite:
        return (low + high) / 2
    if low.is_finite:
        return low + 1
    return high - 1 if high.is_finite else sympy.S.Zero


def _bounded(expr: sympy.Expr) -> bool:
    """Whether the form alone bounds ``expr`` wherever it is defined: tanh, erf, atan of
    anything; exp of something bounded or <= 0; 1/(c + u)^n with c > 0, u >= 0; sums,
    products and positive powers of those."""
    if not expr.has(VARIABLE) or isinstance(expr, _BOUNDED_FUNCTIONS):
        return True
    if isinstance(expr, sympy.exp):
        return expr.args[0].is_nonpositive is True or _bounded(expr.args[0])
    if isinstance(expr, (sympy.sinh, sympy.cosh)):
        return _bounded(expr.args[0])
    if expr.is_Add or expr.is_Mul:
        return all(_bounded(arg) for arg in expr.args)
    if expr.is_Pow and not expr.exp.has(VARIABLE):
        base, exponent = expr.args
        if exponent.is_positive:
            return _bounded(base)
        if exponent.is_negative:
            if isinstance(base, sympy.cosh):
                return True  # (cosh >= 1)
            constant, rest = base.as_coeff_Add()
            return bool(constant > 0) and rest.is_nonnegative is True
    return False


@dataclass(frozen=True)
class ActivationTable:
    """The library's activations, for ``symgrad acts``."""

    activations: tuple[Activation, ...]


def activation_table(specs: tuple[str, ...] = NAMES) -> ActivationTable:
    return ActivationTable(tuple(get_activation(spec) for spec in specs))
