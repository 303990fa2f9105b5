"""The exact range of a polynomial over a box: its least and greatest value where each of
its variables lies in a closed interval of its own.

A polynomial's extremes over a box are attained at critical points of its restriction to
some face of the box (a vertex, an edge, ..., the interior). A variable in which the
polynomial is affine never needs its interior: for fixed other variables its extreme is at
an end. So the candidates are: every affine variable at either end, every other variable at
either end or free, and for each such choice the real solutions of ∇ = 0 in the free
variables (``sympy.solve``) that lie inside the box. A highway layer's gain has one
variable of degree 2 (its gate): 24 candidates, each exact.

No library does this exactly for the small polynomials here (interval arithmetic
over-estimates as soon as a variable appears twice: t w σ' + (1 - t) over t ∈ [0, 1]
would give [0, 1 + |w| sup σ'] instead of the hull of w σ' and 1).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping

import sympy
from sympy.core.evalf import PrecisionExhausted
from sympy.polys.polyerrors import BasePolynomialError

from symgrad.budget import within_budget
from symgrad.errors import SymgradError

SOLVE_SECONDS = 10
COMPARE_DIGITS = 4000  # the most digits a comparison of two candidates may take
ALGEBRAIC_SECONDS = 5  # an exact 0 proved by a minimal polynomial, within this


def polynomial_range(expr: sympy.Expr, box: Mapping[sympy.Symbol, tuple]) -> tuple:
    """(least, greatest) of ``expr`` (a polynomial in the box's symbols, with exact
    coefficients) over the box {symbol: (low, high)}; an end may be ±oo, and the range is
    then ±oo where the polynomial grows without bound that way."""
    expr = sympy.expand(expr)
    box = {v: (sympy.sympify(low), sympy.sympify(high)) for v, (low, high) in box.items()}
    variables = [v for v in box if expr.has(v)]
    if not variables:
        return expr, expr
    if any(not box[v][0].is_finite or not box[v][1].is_finite for v in variables):
        # (a polynomial that depends on an unbounded variable: its range is not worked out,
        # the whole line is a sound over-estimate; the callers' forms only meet it when an
        # activation's range is unbounded)
        return sympy.S.NegativeInfinity, sympy.S.Infinity
    polynomial = sympy.Poly(expr, *variables)
    choices = [_ends(box[v]) if polynomial.degree(v) <= 1 else _ends(box[v]) + ("free",)
               for v in variables]
    values = []
    for choice in itertools.product(*choices):
        fixed = {v: c for v, c in zip(variables, choice) if c != "free"}
        values += _face_values(expr.xreplace(fixed), box,
                               [v for v, c in zip(variables, choice) if c == "free"])
    return _least(values), _greatest(values)


def _ends(interval: tuple) -> tuple:
    low, high = interval
    return (low,) if low == high else (low, high)


def _face_values(expr: sympy.Expr, box: Mapping, free: list) -> list:
    """The values at the critical points, inside the box, of ``expr`` in its free
    variables (the value itself where none is free)."""
    if not free:
        return [expr]
    gradient = [sympy.diff(expr, v) for v in free]
    solutions = _univariate_roots(gradient, free) if len(free) == 1 else \
        within_budget(sympy.solve, gradient, free, dict=True, seconds=SOLVE_SECONDS)
    if solutions is None:
        raise SymgradError("SymPy did not find the critical points of the layer's factor in "
                           "time, so no exact bound can be given.")
    values = []
    for solution in solutions:
        for point in _points_on(solution, free, box):
            if all(_inside(point[v], box[v]) for v in free):
                values.append(expr.xreplace(point))
    return values


def _univariate_roots(gradient: list, free: list) -> list[dict] | None:
    """The real roots of one variable's derivative, directly where it is linear (a gate's
    quadratic: t* = -c0/c1, far quicker than ``sympy.solve``), else by ``sympy.roots``."""
    (derivative,), (variable,) = gradient, free
    polynomial = sympy.Poly(derivative, variable)
    if polynomial.is_zero:
        return []
    if polynomial.degree() == 1:
        slope, constant = polynomial.all_coeffs()
        return [{variable: -constant / slope}]
    roots = within_budget(sympy.roots, polynomial, seconds=SOLVE_SECONDS)
    if roots is None or sum(roots.values()) < polynomial.degree():
        return within_budget(sympy.solve, gradient, free, dict=True, seconds=SOLVE_SECONDS)
    return [{variable: root} for root in roots]


CURVE_POINTS = 9


def _points_on(solution: dict, free: list, box: Mapping) -> list[dict]:
    """The critical point, or, where the solution leaves some variables free (a curve of
    critical points, on which the polynomial is constant), points along it: those
    variables at CURVE_POINTS places across their intervals. (A curve that leaves the face
    is also met where it crosses the face's edges, which are candidates of their own.)"""
    loose = [v for v in free if v not in solution]
    if not loose:
        return [solution]
    points = []
    for places in itertools.product(*([low + (high - low) * sympy.Rational(i, CURVE_POINTS - 1)
                                       for i in range(CURVE_POINTS)]
                                      for low, high in (box[v] for v in loose))):
        at = dict(zip(loose, places))
        point = {v: solution[v].xreplace(at) if v in solution else at[v] for v in free}
        if all(value.is_number for value in point.values()):
            points.append(point)
    return points


def _inside(value: sympy.Expr, interval: tuple) -> bool:
    """Whether a critical point's coordinate is real and in the interval (one SymPy cannot
    call real or not is judged by its value: a candidate kept too many is harmless, one
    dropped is not)."""
    if value.is_real is False or value.is_real is None and \
            sympy.im(sympy.N(value, 30)) != 0:
        return False
    low, high = interval
    return compare(value, low) >= 0 and compare(value, high) <= 0


def compare(a: sympy.Expr, b: sympy.Expr) -> int:
    """-1, 0 or 1 as a < b, a = b or a > b, exactly where SymPy can tell: the sign of a - b
    by SymPy's adaptive evaluation, so 1 + 10^-35 is above 1 and a gate's e^-80 counts
    (a fixed 30 digits would call them equal); values equal to COMPARE_DIGITS digits of
    their difference are equal."""
    a, b = sympy.sympify(a), sympy.sympify(b)
    if a == b:
        return 0
    for value, sign in ((a, 1), (b, -1)):
        if value is sympy.S.Infinity:
            return sign
        if value is sympy.S.NegativeInfinity:
            return -sign
    if (a - b).has(sympy.CRootOf) and \
            within_budget(_algebraic_zero, a - b, seconds=ALGEBRAIC_SECONDS):
        return 0  # (an exact 0, proved; its value to COMPARE_DIGITS digits took 14 s)
    try:
        difference = sympy.N(a - b, 15, maxn=COMPARE_DIGITS, strict=True)
    except (PrecisionExhausted, ValueError, TypeError, ArithmeticError):
        return 0  # (equal to COMPARE_DIGITS digits: the same number written two ways)
    return 0 if difference == 0 else 1 if difference > 0 else -1


_Z = sympy.Dummy("z")


def _algebraic_zero(difference: sympy.Expr) -> bool:
    """Whether an algebraic number (roots of polynomials, as the critical points of a
    rational σ' are) is exactly 0: its minimal polynomial is z. False where SymPy cannot
    find one (not algebraic, or too hard)."""
    try:
        return sympy.minimal_polynomial(difference, _Z) == _Z
    except (BasePolynomialError, NotImplementedError, ValueError, TypeError, ArithmeticError):
        return False  # (NotAlgebraic: a transcendental part)


def _least(values: list) -> sympy.Expr:
    return min(values, key=functools.cmp_to_key(compare))


def _greatest(values: list) -> sympy.Expr:
    return max(values, key=functools.cmp_to_key(compare))
