"""Proofs about a formula in x over the whole real line: that it is a finite real number
everywhere, and that its derivative is bounded.

Not sampled: proved, piece by piece, from the formula's structure. A sum, product, exp,
tanh, erf, ... of finite parts is finite; a power with a negative exponent needs its
base nonzero, a fractional power its base >= 0 (> 0 if negative), log its argument > 0,
each shown by SymPy's assumptions, by solveset finding where it fails (the empty set,
or a point that is then the witness), or by MPFR interval enclosures over the line.
SymPy's continuous_domain is not used: it cannot read erf or erfc, and it calls x**(1/3)
continuous on the reals, where SymPy's own value is complex. Each SymPy step is budgeted;
what it cannot decide is "unproved".
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import sympy

from symgrad.budget import within_budget
from symgrad.formula import (
    STEP_SECONDS,
    VARIABLE,
    a_point,
    interval_function,
    is_finite_real,
    piece_sets,
    raw_limit,
)


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


def finite_everywhere(expr: sympy.Expr, closed: bool = False) -> _Proof:
    """Whether every piece is a finite real on its set (``closed``: and it stays bounded
    towards each finite end its set leaves out, so that it is bounded on any bounded part
    of its set: finite at that end, or a finite one-sided limit there, as 3(-x)^(3/2)/(2x),
    SymPy's slope of (-x)^(3/2), has at 0)."""
    proofs = []
    for piece, region in piece_sets(expr):
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
    limit = raw_limit(piece, end, side)
    if limit is None or limit.has(sympy.AccumBounds):
        return _Proof(None, doubt=f"the limit of {piece} as x → {end}")
    if limit.is_number and limit.is_infinite:
        return _Proof(False, end)
    if limit.is_number and is_finite_real(limit):
        return _PROVED
    return _Proof(None, doubt=f"the limit of {piece} as x → {end}")


def bounded_everywhere(derivative: sympy.Expr) -> _Proof:
    """A finite derivative on each piece's closure is bounded on its bounded parts; at ±∞
    it is bounded if its form says so (tanh, erf, exp of something <= 0, ...) or its
    limit there is finite."""
    finite = finite_everywhere(derivative, closed=True)
    if finite.proved is not True:
        return finite
    for piece, region in piece_sets(derivative):
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
    limit = raw_limit(piece, end, direction)
    if limit is None:
        return _Proof(None, doubt=f"the limit of {piece} as x → {end}")
    if isinstance(limit, sympy.AccumBounds):
        ends = (limit.min, limit.max)
        if all(e.is_number and e.is_finite and is_finite_real(e) for e in ends):
            return _PROVED
        return _Proof(None, doubt=f"whether {piece} stays bounded as x → {end}")
    if limit.is_number and limit.is_infinite:  # oo, -oo, zoo
        return _Proof(False)
    if limit.is_number and is_finite_real(limit):
        return _PROVED
    return _Proof(None, doubt=f"the limit of {piece} as x → {end}")


def _finite_on(expr: sympy.Expr, region: sympy.Set) -> _Proof:
    if not expr.has(VARIABLE):
        return _PROVED if is_finite_real(expr) else _Proof(False, a_point(region))
    if expr == VARIABLE:
        return _PROVED
    if expr.is_Add or expr.is_Mul:
        return _first_failure(_finite_on(arg, region) for arg in expr.args)
    if isinstance(expr, _FINITE_FUNCTIONS):
        return _finite_on(expr.args[0], region)
    if isinstance(expr, sympy.log):
        return _first_failure([_finite_on(expr.args[0], region),
                               holds(expr.args[0], ">", region)])
    if expr.is_Pow:
        base, exponent = expr.args
        finite = _finite_on(base, region)
        if exponent.has(VARIABLE):  # base**exponent = exp(exponent log(base))
            return _first_failure([finite, _finite_on(exponent, region),
                                   holds(base, ">", region)])
        if not (exponent.is_number and exponent.is_real):
            return _Proof(None, doubt=f"where {expr} is defined")
        if exponent.is_Integer:
            return finite if exponent >= 0 else _first_failure([finite,
                                                                holds(base, "!=", region)])
        return _first_failure([finite, holds(base, ">=" if exponent > 0 else ">", region)])
    return _Proof(None, doubt=f"where {expr} is defined")


_RELATIONS = {">": ("is_positive", lambda u: u <= 0, "positive"),
              ">=": ("is_nonnegative", lambda u: u < 0, "at least 0"),
              "!=": ("is_nonzero", lambda u: sympy.Eq(u, 0), "nonzero")}


def holds(u: sympy.Expr, relation: str, region: sympy.Set) -> _Proof:
    """Whether ``u relation 0`` for every x of the region."""
    assumption, failure, words = _RELATIONS[relation]
    if within_budget(lambda: getattr(u, assumption), seconds=STEP_SECONDS):
        return _PROVED  # (for every real x, so on the region too)
    enclosed = _enclosed(u, relation, region)
    if enclosed is not None:
        return enclosed
    def solve():
        try:
            return sympy.solveset(failure(u), VARIABLE, region)
        except (NotImplementedError, ValueError, TypeError):
            return None
    fails = within_budget(solve, seconds=STEP_SECONDS)
    if fails is sympy.S.EmptySet:
        return _PROVED
    point = None if fails is None else a_point(fails)
    if point is not None:
        return _Proof(False, point)
    return _Proof(None, doubt=f"where {u} is {words}")


_CERTAIN = {">": lambda value: value.lo > 0, ">=": lambda value: value.lo >= 0,
            "!=": lambda value: value.lo > 0 or value.hi < 0}
_FAILS = {">": lambda value: value.hi <= 0, ">=": lambda value: value.hi < 0,
          "!=": lambda value: value.lo == value.hi == 0}
_ENCLOSURE_BOXES = 2000  # the enclosure proof splits the line into at most this many boxes ...
_ENCLOSURE_SECONDS = 0.5  # ... within this long
_SMALLEST_BOX = 1e-6  # ... none narrower than this (a zero of u there: not provable this way)
_FARTHEST = 1e300  # ... and no cut beyond this (a box out to ∞ whose enclosure stays uncertain)


def _enclosed(u: sympy.Expr, relation: str, region: sympy.Set) -> _Proof | None:
    """Whether MPFR interval enclosures of u show ``u relation 0`` on the region's hull:
    the hull (infinite ends included) is split into boxes, each box kept only until the
    enclosure of u over it is certain (log(1 + erfc(x)): 1 + erfc(x) lies in [1, 3] on the
    whole line; x² + tanh(x) + 1 needs the line cut at -1, 0 and 1). A proof for a
    superset of the region, so for the region; a box's middle where u certainly fails
    (and that lies in the region) is a witness; None where neither is reached."""
    enclosure = interval_function(u)
    if enclosure is None:
        return None
    certain, fails = _CERTAIN[relation], _FAILS[relation]
    boxes = [(float(region.inf), float(region.sup))]
    deadline = time.monotonic() + _ENCLOSURE_SECONDS
    for _ in range(_ENCLOSURE_BOXES):
        if not boxes:
            return _PROVED
        if time.monotonic() > deadline:
            return None
        low, high = boxes.pop()
        try:
            if certain(enclosure(low, high)):
                continue
            middle = _halves(low, high)[0][1]
            if fails(enclosure(middle, middle)):
                point = sympy.Rational(middle)
                if region.contains(point) is sympy.true:
                    return _Proof(False, point)  # (a dyadic number, as -7/16)
        except ArithmeticError:
            pass  # (∞ - ∞ over the box, or outside a domain: split it)
        halves = _halves(low, high)
        if high - low < _SMALLEST_BOX or not abs(halves[0][1]) <= _FARTHEST:
            return None  # (erfc(x) > 0 has no enclosure proof: its limit at ∞ is 0)
        boxes += halves
    return None


def _halves(low: float, high: float) -> list[tuple[float, float]]:
    """A box of the line cut in two: at 0 if it holds 0 inside, at twice its finite end
    (at least 1) if it reaches to ±∞, at its middle otherwise."""
    if low < 0 < high:
        cut = 0.0
    elif math.isinf(high):
        cut = max(2 * low, 1.0) if not math.isinf(low) else 0.0
    elif math.isinf(low):
        cut = min(2 * high, -1.0)
    else:
        cut = (low + high) / 2
    return [(low, cut), (cut, high)]


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
