"""A user's formula in x read as an activation, through the same machinery as the
library's: abs, max, min and Heaviside become pieces (relu's form), the formula is proved
finite on the whole real line and its derivative bounded, and every symbolic step is
budgeted, so a formula is analysed, or refused with one sentence, within ANALYSIS_SECONDS.
"""

from __future__ import annotations

import mpmath
import sympy
from sympy.core.evalf import PrecisionExhausted

from symgrad.activations import MAX_MAGNITUDE, Activation
from symgrad.budget import OverBudget, time_budget, within_budget
from symgrad.errors import SymgradError, quoted
from symgrad.formula import (
    DIGITS,
    STEP_SECONDS,
    VARIABLE,
    TooLargeError,
    is_finite_real,
    mpmath_function,
    piece_sets,
    real_number,
    x_set,
)
from symgrad.proofs import bounded_everywhere, finite_everywhere

# Symbolic work on a typed formula is budgeted: all of it, and each step (one limit, one
# solve, one simplification); a step past its budget falls back to the numbers, and past
# the whole budget the formula is refused with a sentence saying what was too hard.
ANALYSIS_SECONDS = 20.0
MAX_PIECE_FUNCTIONS = 8  # abs, max, min and Heaviside in one formula (their pieces multiply)
MAX_NUMBER_BITS = 3322  # numerator or denominator of a number in a formula: 1000 digits


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
        raise SymgradError(f"The activation {quoted(text.strip())} is too hard for SymPy to analyse "
                           f"within {ANALYSIS_SECONDS:g} seconds (to prove it finite on the real "
                           "line and find the sup and inf of its derivative).") from None
    except SymgradError:  # (a ValueError too)
        raise
    except (OverflowError, ValueError, TypeError, ZeroDivisionError, RecursionError):
        raise SymgradError(f"The activation {quoted(text.strip())} cannot be evaluated (a value in it "
                           "is too large for SymPy to handle).") from None


def _custom(text: str, expr: sympy.Expr) -> Activation:
    _check_magnitudes(expr, text)
    written = expr  # as typed: max(x, 0)/x is 0/0 at 0, which its pieces 0 and 1 forget
    if expr.has(sympy.Abs, sympy.Max, sympy.Min, sympy.Heaviside):
        count = len(expr.atoms(sympy.Abs, sympy.Max, sympy.Min, sympy.Heaviside))
        if count > MAX_PIECE_FUNCTIONS:
            raise SymgradError(f"The activation {quoted(text)} has {count} abs, max, min or Heaviside "
                               f"terms; at most {MAX_PIECE_FUNCTIONS} are read, as their pieces "
                               "multiply.")
        folded = within_budget(_fold_pieces, expr, seconds=2 * STEP_SECONDS)
        expr = folded if folded is not None else within_budget(lambda: _plain_conditions(
            sympy.piecewise_fold(expr.rewrite(sympy.Piecewise))), seconds=STEP_SECONDS,
            fallback=lambda: _too_hard(text, "to combine its abs, max, min and Heaviside pieces"))
    if not expr.has(VARIABLE):
        raise SymgradError(f"The activation {quoted(text)} does not depend on x.")
    _check_exact_pieces(expr, text)
    if written is not expr:
        _check_defined_at_kinks(written, expr, text)
    _check_defined(expr, text)  # a quick look at sample points first, for a plain witness
    proof = finite_everywhere(expr)
    if proof.proved is False:
        raise _undefined_at(text, proof.witness)
    if proof.proved is None:
        raise SymgradError(f"symgrad cannot prove that the activation {quoted(text)} is a finite "
                           f"real number on the whole real line (SymPy cannot decide {proof.doubt} "
                           "within its budget), and an activation must be.")
    activation = Activation(text, expr, "custom")
    unbounded = (f"The activation {quoted(text)} has no bounded derivative over the real line "
                 "(symgrad's bounds, regions and mean field need sup|σ'| finite).")
    proof = bounded_everywhere(activation.derivative)
    if proof.proved is False:
        raise SymgradError(unbounded if proof.witness is None else unbounded[:-2] +
                           f"; σ' is not finite at x = {proof.witness}).")
    if proof.proved is None:
        raise SymgradError(f"symgrad cannot prove that the derivative of the activation "
                           f"{quoted(text)} is bounded over the real line (SymPy cannot decide "
                           f"{proof.doubt} within its budget), and symgrad's bounds, regions and "
                           "mean field need sup|σ'| finite.")
    try:
        activation.derivative_sup, activation.derivative_inf  # noqa: B018 - computed once, cached
    except (SymgradError, TypeError, ValueError, ZeroDivisionError, NotImplementedError):
        # (bounded, as proved above: what failed is evaluating a candidate for the sup)
        raise SymgradError(f"symgrad cannot evaluate the sup and inf of the derivative of the "
                           f"activation {quoted(text)} (SymPy's values for them are not numbers it "
                           "can evaluate).") from None
    return activation


def _check_exact_pieces(expr: sympy.Expr, text: str) -> None:
    """Refuse pieces whose ends SymPy cannot name: max(tanh(x), x/2) switches where
    tanh(x) = x/2, a point with no closed form."""
    if not isinstance(expr, sympy.Piecewise):
        return
    for _, condition in expr.args:
        try:
            plain = condition is sympy.true or _plain_set(x_set(condition))
        except (NotImplementedError, ValueError, TypeError):
            plain = False
        if not plain:
            raise SymgradError(f"symgrad cannot find exactly where the pieces of the activation "
                               f"{quoted(text)} meet (SymPy cannot solve {condition} over the real "
                               "line), and the pieces of an activation need exact ends.")


def _defined_by_sympy(expr: sympy.Expr, point) -> bool:
    """Whether ``expr`` may be a finite real number at a point where the working digits
    found none (1 + erf(-40) is 0 at 30 digits, erfc(40) = 10^-697 in truth): SymPy's
    adaptive evaluation, or where that cannot finish, not proved undefined by SymPy. Only
    a proved failure is a witness; the rest is for the proofs to decide."""
    def evaluate():
        exact = expr.subs(VARIABLE, sympy.Rational(point))
        try:
            value = sympy.N(exact, 15, maxn=3000, strict=True)
            return bool(value.is_real and value.is_finite)
        except (PrecisionExhausted, ValueError, TypeError, ArithmeticError):
            # (beyond 3000 digits, log(1 + erf(-1000)): undefined only where SymPy says so)
            return not (exact.is_extended_real is False or exact.is_finite is False)
    return within_budget(evaluate, fallback=lambda: True, seconds=STEP_SECONDS) is True


def _undefined_at(text: str, point) -> SymgradError:
    return SymgradError(f"The activation {quoted(text)} is not a finite real number at x = {point}; "
                        "an activation must be defined on the whole real line.")


def _too_hard(text: str, what: str):
    raise SymgradError(f"The activation {quoted(text)} is too hard for SymPy {what} within "
                       f"{STEP_SECONDS:g} seconds.")


def _check_magnitudes(expr: sympy.Expr, text: str) -> None:
    """Refuse a number written with more than 1000 digits, and a constant (a part without
    x) beyond 10^300 in size: exp(1e308), 9**1000. Parts are sized from the inside out,
    so no evaluation ever meets an argument beyond that (exp of it is still safe)."""
    for number in expr.atoms(sympy.Rational):
        if max(int(abs(number.p)).bit_length(), int(number.q).bit_length()) > MAX_NUMBER_BITS:
            raise SymgradError(f"The activation {quoted(text)} has a number written with more than "
                               "1000 digits (numerator or denominator).")
    huge = SymgradError(f"The activation {quoted(text)} holds a constant beyond 10^300 in size; "
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
            value = real_number(part, 15)
        except TooLargeError:
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
                              x_set(condition).as_relational(VARIABLE))
                             for piece, condition in expr.args])


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
        if not is_finite_real(u):
            return None
        sign = real_number(u)
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
    ends = {end for _, region in piece_sets(folded)
            for end in ((region.inf, region.sup) if isinstance(region, sympy.Interval)
                        else tuple(region) if isinstance(region, sympy.FiniteSet) else ())
            if end.is_finite}
    for point in sorted(ends, key=lambda p: float(p)):
        value = within_budget(lambda p=point: written.subs(VARIABLE, p), seconds=STEP_SECONDS)
        if value is not None and (value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo)
                                  or value.is_finite is False):
            raise _undefined_at(text, point)


def _check_defined(expr: sympy.Expr, text: str) -> None:
    """Refuse a formula that is not a finite real number somewhere on the real line
    (log(x), sqrt(x), x**x at negative x), checked at a spread of points."""
    function = mpmath_function(expr, VARIABLE)
    with mpmath.workdps(DIGITS):
        for point in _DOMAIN_CHECKS:
            try:
                value = function(mpmath.mpf(point))
                defined = not isinstance(value, mpmath.mpc) and mpmath.isfinite(mpmath.mpf(value))
            except TooLargeError:
                continue  # too large to evaluate here: the proof below decides
            except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                defined = False
            if not defined and not _defined_by_sympy(expr, point):
                raise _undefined_at(text, f"{point:g}")
