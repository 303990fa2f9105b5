"""The derivative of an activation written through its output a = σ(x) (sigmoid:
a(1 - a)), where that form exists: found by substitution or by inverting the formula's
one transcendental generator, for a piecewise σ only where each condition on x is proved
to become one on a (σ monotone, each piece's image inside the set of a that picks it),
and always checked at points against σ' itself.
"""

from __future__ import annotations

import mpmath
import sympy

from symgrad.formula import (
    DIGITS,
    OUTPUT,
    VARIABLE,
    a_point,
    exact_limit,
    is_finite_real,
    real_number,
    solved_within_budget,
    x_set,
)
from symgrad.proofs import holds
from symgrad.tidy import tidy_signs

_CHECK_POINTS = ("-3.7", "-1.3", "-0.4", "0.3", "0.9", "2.2", "4.1")


def through_output(expr: sympy.Expr, derivative: sympy.Expr) -> sympy.Expr | None:
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
            x_set(condition)
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
        return (sympy.FiniteSet(*values), 0) if all(map(is_finite_real, values)) else (None, 0)
    if not isinstance(part, sympy.Interval):
        return None, 0
    direction = _monotone(slope, part)
    if direction is None:
        return None, 0
    if direction == 0:
        point = a_point(part)
        value = None if point is None else piece.subs(VARIABLE, point)
        return (sympy.FiniteSet(value), 0) if value is not None and is_finite_real(value) \
            else (None, 0)
    ends = []
    for end, side in ((part.inf, "+"), (part.sup, "-")):
        inside = part.contains(end) is sympy.true
        value = piece.subs(VARIABLE, end) if inside else exact_limit(piece, end, side)
        if value is None or not (value.is_infinite or is_finite_real(value)):
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
        if holds(sign * slope, ">=", part).proved is True:
            zeros = solved_within_budget(slope, part)
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
            if not all(map(is_finite_real, values)):
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
            if not is_finite_real(value):
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
            direct = real_number(derivative.subs(VARIABLE, point))
            via_output = real_number(candidate.subs(OUTPUT, expr.subs(VARIABLE, point)))
        except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, NameError):
            return False  # (a piece's condition written through the output may not reduce)
        if abs(direct - via_output) > mpmath.mpf(10) ** (5 - DIGITS) * max(1, abs(direct)):
            return False
    return True
