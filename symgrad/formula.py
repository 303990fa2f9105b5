"""A formula in x, as numbers and sets: the real line's pieces of a (piecewise) formula,
the set of x a condition holds on, limits at the ends, roots, and mpmath evaluation that
cannot abort the process (GMP's integers are never asked to hold exp(10^12)'s bits).

Every symbolic step here has a time budget (STEP_SECONDS); past it the caller gets None
(or the numbers), never a hang. The activations, their proofs and their extrema are built
on these pieces.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import gmpy2
import mpmath
import sympy

from symgrad.budget import within_budget

VARIABLE = sympy.Symbol("x", real=True)
OUTPUT = sympy.Symbol("a", real=True)
DIGITS = 30  # the working digits of the numbers that decide where SymPy cannot
STEP_SECONDS = 3.0  # the budget of one symbolic step: one limit, one solve, one simplification
_GUARD_BITS = 100_000  # exp, sinh, cosh, erfc of an argument beyond 2^this are not evaluated


def proved_equal(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Whether two numbers are proved equal (SymPy simplifies their difference to 0)."""
    difference = a - b
    if difference == 0:
        return True
    if not is_finite_real(difference) or abs(real_number(difference)) > mpmath.mpf(10) ** -20:
        return False
    return within_budget(lambda: sympy.simplify(difference) == 0, seconds=STEP_SECONDS) is True


class TooLargeError(OverflowError):
    """An argument so large that mpmath would shift an integer by that many bits, and GMP
    would abort the whole process ("gmp: overflow in mpz type"): exp(-exp(10^12))."""


def _guarded(function, tail=None):
    """``function`` of an argument at most 2^_GUARD_BITS in size; beyond, ``tail`` of it
    (the value it rounds to at any working precision) or TooLargeError."""
    def guarded(value):
        try:
            large = mpmath.mag(value) > _GUARD_BITS
        except (TypeError, ValueError):
            large = False
        if large:
            if tail is None or isinstance(value, mpmath.mpc):
                raise TooLargeError
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
    """``expr`` as an mpmath function of ``variables`` that refuses (TooLargeError, an
    OverflowError) arguments mpmath would turn into an integer of astronomical size."""
    return sympy.lambdify(variables, expr, [_SAFE_MPMATH, "mpmath"], cse=True)


def interval_function(expr: sympy.Expr) -> Callable | None:
    """``expr`` (in x) as ``enclosure(lo, hi)``: an MPFR interval (64 bits, outward rounding)
    holding every value of ``expr`` for x in [lo, hi] (ends may be ±inf). The enclosure
    raises ArithmeticError where it is undefined (∞ - ∞, 0 · ∞) or leaves an operation's
    domain (log of an interval reaching 0). None where the formula has no interval form."""
    from symgrad.errors import SymgradError
    from symgrad.numeric.interval import Interval, Rounding, namespace

    rounding = Rounding(64)
    try:
        function = sympy.lambdify(VARIABLE, expr, [namespace(rounding), "mpmath"])
    except (TypeError, ValueError, NameError, SyntaxError):
        return None

    def enclosure(lo, hi) -> Interval:
        for context in (rounding.down, rounding.up):
            context.clear_flags()
        try:
            value = function(Interval(gmpy2.mpfr(lo), gmpy2.mpfr(hi), rounding))
        except (ValueError, TypeError, ZeroDivisionError, KeyError, SymgradError) as error:
            raise ArithmeticError("no enclosure") from error
        if not isinstance(value, Interval) or rounding.undefined():
            raise ArithmeticError("no enclosure")
        return value

    return enclosure


def real_number(expr: sympy.Expr, dps: int = DIGITS) -> mpmath.mpf:
    """A constant expression as a finite real mpf; ValueError if it is not one (complex,
    infinite, undefined), TooLargeError if it is too large to evaluate."""
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


def is_finite_real(expr: sympy.Expr) -> bool:
    try:
        real_number(expr, 15)
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, NameError):
        return False
    return True


def pieces(expr: sympy.Expr) -> list[tuple[sympy.Expr, sympy.Interval]]:
    """A (piecewise) expression in x as (formula, interval of x) pairs."""
    if not isinstance(expr, sympy.Piecewise):
        return [(expr, sympy.Interval(-sympy.oo, sympy.oo))]
    remaining: sympy.Set = sympy.S.Reals
    pieces = []
    for piece, condition in expr.args:
        region = remaining if condition is sympy.true else x_set(condition) & remaining
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


def _solved(slope: sympy.Expr, region: sympy.Interval) -> sympy.Set | None:
    try:
        return sympy.solveset(slope, VARIABLE, region)
    except (NotImplementedError, ValueError, TypeError):
        return None


def simplified_within_budget(expr: sympy.Expr) -> sympy.Expr:
    return within_budget(sympy.simplify, expr, fallback=lambda: expr, seconds=STEP_SECONDS)


# Functions continuous on the whole real line, and their limits at +∞ and -∞ (where they
# have one): lim f(u(x)) = f(lim u(x)) when that limit is finite.
_CONTINUOUS = {sympy.exp: (sympy.oo, 0), sympy.tanh: (1, -1), sympy.erf: (1, -1),
               sympy.erfc: (0, 2), sympy.atan: (sympy.pi / 2, -sympy.pi / 2),
               sympy.sech: (0, 0), sympy.sin: None, sympy.cos: None}


def limit_by_continuity(expr: sympy.Expr, end: sympy.Expr) -> sympy.Expr | None:
    """lim expr as x → ``end`` (±∞) where the rules of limits alone give it: a sum,
    product or whole power of parts with limits (finite, or ±∞ where no ∞ - ∞ or 0 · ∞
    arises and every sign is known), and a function continuous on the real line of a part
    with a finite limit (or tanh, erf, exp, ... of one tending to ±∞); None where a step
    needs more. SymPy's limit takes its whole budget on tanh(tanh(tanh(x))) at ∞ (Gruntz
    rewrites every tanh through exp); this is exact and immediate."""
    infinities = (sympy.oo, -sympy.oo)
    if expr == VARIABLE:
        return end
    if not expr.has(VARIABLE):
        return expr
    if isinstance(expr, sympy.Function) and expr.func in _CONTINUOUS and len(expr.args) == 1:
        inner = limit_by_continuity(expr.args[0], end)
        if inner is None:
            return None
        if inner.is_finite:
            return expr.func(inner)
        at_infinity = _CONTINUOUS[expr.func]
        if at_infinity is None or inner not in infinities:
            return None
        return sympy.sympify(at_infinity[0 if inner == sympy.oo else 1])
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        parts = [limit_by_continuity(a, end) for a in expr.args]
        if any(p is None for p in parts):
            return None
        infinite = [p for p in parts if not p.is_finite]
        if not infinite:
            return expr.func(*parts)
        if any(p not in infinities for p in infinite):
            return None
        if isinstance(expr, sympy.Add):  # ∞ + finite; ∞ - ∞ is not decided here
            return infinite[0] if len(set(infinite)) == 1 else None
        signs = [1 if p == sympy.oo else -1 for p in infinite]
        for p in parts:
            if p.is_finite:
                if p.is_positive is None or p.is_zero is not False:  # 0 · ∞, or a sign unknown
                    return None
                signs.append(1 if p.is_positive else -1)
        return sympy.oo if sympy.prod(signs) > 0 else -sympy.oo
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer:
        base, power = limit_by_continuity(expr.base, end), int(expr.exp)
        if base is None:
            return None
        if base.is_finite:
            return None if power < 0 and base.is_zero is not False else base ** power
        if base not in infinities:
            return None
        if power < 0:
            return sympy.Integer(0)
        return sympy.oo if base == sympy.oo or power % 2 == 0 else -sympy.oo
    return None


@cache
def raw_limit(piece: sympy.Expr, end: sympy.Expr, direction: str) -> sympy.Expr | None:
    """SymPy's limit of the piece at an end as it gives it (a number, accumulation bounds,
    an unevaluated form), within its budget; None if SymPy fails or runs out of time. At
    ±∞, continuity first (``limit_by_continuity``)."""
    if end in (sympy.oo, -sympy.oo):
        found = limit_by_continuity(piece, end)
        if found is not None and found.is_finite:
            return found

    def step():
        try:
            found = sympy.limit(piece, VARIABLE, end, direction)
        except (NotImplementedError, ValueError, TypeError, ArithmeticError, RecursionError,
                AttributeError):  # (AttributeError: SymPy's own, on some Piecewise limits)
            return None
        return None if found.has(sympy.Limit) else found
    return within_budget(step, seconds=STEP_SECONDS)


def exact_limit(piece: sympy.Expr, end: sympy.Expr, direction: str) -> sympy.Expr | None:
    """SymPy's limit of the piece at an end, within its budget; None if it has none there
    (no number: an oscillation's accumulation bounds, an unevaluated form)."""
    found = raw_limit(piece, end, direction)
    return found if found is not None and found.is_number and \
        not isinstance(found, sympy.AccumBounds) else None


def limit_at(expr: sympy.Expr, end: sympy.Expr, direction: str = "+") -> tuple[sympy.Expr, bool]:
    """The limit of ``expr`` (in x) at ``end``, for other modules' symbolic steps: SymPy's
    within its time budget (then True), else the value ever closer to the end (False)."""
    found = exact_limit(expr, end, direction)
    return (found, True) if found is not None else (numerical_limit(expr, end, direction), False)


def solved_within_budget(expr: sympy.Expr, region: sympy.Set) -> sympy.Set | None:
    """solveset(expr = 0) over the region, or None when SymPy cannot or runs out of time."""
    return within_budget(_solved, expr, region, seconds=STEP_SECONDS)


def numerical_limit(piece: sympy.Expr, end: sympy.Expr, direction: str) -> sympy.Expr:
    """The piece's value ever closer to the end (x = ±10^k, or end ± 10^-k), the last one
    that can be evaluated; oo if none can."""
    evaluate = mpmath_function(piece, VARIABLE)
    value = sympy.oo
    with mpmath.workdps(DIGITS):
        for k in range(2, 16, 2):
            step = mpmath.mpf(10) ** k
            if end.is_finite:
                near = real_number(end) + (1 if direction == "+" else -1) / step
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
    if abs(value) < mpmath.mpf(10) ** -DIGITS:  # (sech(10^14)²: 0 at the working digits)
        return sympy.S.Zero
    return sympy.Float(value, DIGITS)


_BOUNDS = {sympy.StrictLessThan: (True, True), sympy.LessThan: (True, False),
           sympy.StrictGreaterThan: (False, True), sympy.GreaterThan: (False, False)}


def x_set(condition: sympy.Basic) -> sympy.Set:
    """The set of real x a condition holds on: And, Or, Not and ITE of relations between x
    and a number (either side) read directly, anything else by SymPy's as_set."""
    if condition is sympy.true or condition is sympy.false:
        return sympy.S.Reals if condition is sympy.true else sympy.S.EmptySet
    if isinstance(condition, (sympy.And, sympy.Or)):
        parts = [x_set(c) for c in condition.args]
        return sympy.Intersection(*parts) if isinstance(condition, sympy.And) else \
            sympy.Union(*parts)
    if isinstance(condition, sympy.Not):
        return sympy.S.Reals - x_set(condition.args[0])
    if isinstance(condition, sympy.ITE):
        test, then, otherwise = map(x_set, condition.args)
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


def piece_sets(expr: sympy.Expr) -> list[tuple[sympy.Expr, sympy.Set]]:
    """(formula, set of x) for each piece, single points included (unlike ``pieces``)."""
    if not isinstance(expr, sympy.Piecewise):
        return [(expr, sympy.S.Reals)]
    remaining: sympy.Set = sympy.S.Reals
    found = []
    for piece, condition in expr.args:
        region = remaining if condition is sympy.true else x_set(condition) & remaining
        remaining = remaining - region
        found += [(piece, part) for part in (region.args if isinstance(region, sympy.Union)
                                             else (region,)) if part is not sympy.S.EmptySet]
    return found


def a_point(found: sympy.Set) -> sympy.Expr | None:
    """A real point of a set SymPy found, or None if it cannot name one."""
    if isinstance(found, sympy.FiniteSet):
        real = [p for p in found if p.is_real and is_finite_real(p)]
        return min(real, key=real_number) if real else None
    if isinstance(found, sympy.Union):
        return next((p for p in map(a_point, found.args) if p is not None), None)
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
