"""``symgrad bounds``: how much a chain can shrink or grow the gradient, for every input.

Layer k multiplies ∂C/∂a by f_k = c + w_k σ'(z_k), with c = 0 (plain) or 1
(residual). Over all inputs σ'(z) ranges over [inf σ', sup σ'], so |f_k| lies
between

    lower_k = 0 if c + w_k·[inf σ', sup σ'] contains 0, else the smaller |end|,
    upper_k = the larger |end|    (plain: |w_k| sup|σ'|).

Hence ∏ lower_k ≤ |∂C/∂a_0| / |∂C/∂a_L| ≤ ∏ upper_k for every input. Below 1
the gradient vanishes whatever the input; a lower product above 1 means it
explodes whatever the input; between, it can do either (the bound says "can").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import sympy

from symgrad.activations import VARIABLE, Activation
from symgrad.analysis.float_formats import FloatLimit, float_limits
from symgrad.extrema import Extremum
from symgrad.formula import mpmath_function
from symgrad.networks import ScalarChain

GUARD_DIGITS = 15


@dataclass(frozen=True)
class DerivativeRange:
    """inf σ' and sup σ' over the real line: exact where SymPy found them, else refined
    numerically to the working precision."""

    low: sympy.Expr
    high: sympy.Expr
    exact: bool

    @property
    def abs_sup(self) -> sympy.Expr:
        return _larger(abs(self.low), abs(self.high))


def derivative_range(activation: Activation, dps: int) -> DerivativeRange:
    low = _refined(activation, activation.derivative_inf, dps)
    high = _refined(activation, activation.derivative_sup, dps)
    exact = activation.derivative_inf.exact and activation.derivative_sup.exact
    return DerivativeRange(low, high, exact)


def _refined(activation: Activation, extremum: Extremum, dps: int) -> sympy.Expr:
    """An extremum found by a numerical search, polished to ``dps`` digits by Newton's
    method on σ'' from where the search found it. One approached at ±∞ (or that Newton
    cannot polish) keeps the search's value: there is no root of σ'' to polish it at."""
    if extremum.exact:
        return extremum.value
    where = next((p for p in extremum.where if p.is_finite), None)
    if not extremum.attained or where is None:
        return extremum.value
    slope = mpmath_function(sympy.diff(activation.derivative, VARIABLE), VARIABLE)
    derivative = mpmath_function(activation.derivative, VARIABLE)
    with mpmath.workdps(dps + GUARD_DIGITS):
        start = mpmath.mpf(sympy.Float(where, dps))
        width = mpmath.mpf(10) ** -9 * max(1, abs(start))
        for guess, solver in ((start, "newton"), ((start - width, start + width), "anderson")):
            try:
                root = mpmath.findroot(slope, guess, solver=solver, verify=False)
                value = derivative(root)
            except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
                continue
            if not isinstance(value, mpmath.mpc) and mpmath.isfinite(value) and \
                    abs(root - start) <= 2 * width and \
                    abs(slope(root)) <= mpmath.mpf(10) ** (-dps) * max(1, abs(value)):
                return sympy.Float(value, dps + GUARD_DIGITS)
        return extremum.value  # (neither polished it: keep what the search found)


def _larger(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    return a if sympy.N(a, 30) >= sympy.N(b, 30) else b


@dataclass(frozen=True)
class LayerFactor:
    """The range of |c + w σ'(z)| over every z, for one weight w."""

    weight: sympy.Rational
    lower: sympy.Expr
    upper: sympy.Expr


def layer_factor(weight: sympy.Rational, derivative: DerivativeRange,
                 offset: int) -> LayerFactor:
    """The range of |offset + w σ'(z)| over every z: a layer with no numbers of its own,
    its gain's direct part ``offset`` (0 plain, 1 residual; ``ChainLayer.simple``)."""
    ends = [offset + weight * derivative.low, offset + weight * derivative.high]
    if derivative.exact:
        ends = [sympy.simplify(end) for end in ends]
    small, large = sorted((abs(end) for end in ends), key=lambda e: sympy.N(e, 30))
    straddles = sympy.N(ends[0] * ends[1], 30) <= 0  # c + w σ' can be 0
    return LayerFactor(weight, sympy.S.Zero if straddles else small, large)


@dataclass(frozen=True)
class GainBounds:
    """The bounds on |∂C/∂a_0| / |∂C/∂a_L| over every input, and what they mean."""

    chain: ScalarChain
    weights: tuple[sympy.Rational, ...]  # one value (every layer) or one per layer
    dps: int
    derivative: DerivativeRange
    factors: tuple[LayerFactor, ...]  # one per distinct weight, in the order first met
    upper: mpmath.mpf  # ∏ upper_k
    lower: mpmath.mpf  # ∏ lower_k
    float_limits: tuple[FloatLimit, ...]  # where ∏ upper_k, from layer L down, leaves each format

    @property
    def depth(self) -> int:
        return self.chain.depth

    @property
    def uniform(self) -> bool:
        return len(self.weights) == 1

    def factor(self, weight: sympy.Rational) -> LayerFactor:
        return next(f for f in self.factors if f.weight == weight)

    @property
    def log10_upper(self) -> mpmath.mpf:
        return _log10(self.upper)

    @property
    def log10_lower(self) -> mpmath.mpf:
        return _log10(self.lower)

    @property
    def rate(self) -> mpmath.mpf:
        """r with ∏ upper_k = r^L: the geometric mean of the per-layer bounds."""
        with mpmath.workdps(self.dps + GUARD_DIGITS):
            return mpmath.root(self.upper, self.depth) if self.upper else mpmath.mpf(0)

    @property
    def regime(self) -> str:
        """vanishing, exploding, bounded (can shrink, never grows) or mixed (can explode)."""
        upper, lower = self.upper_against_one, self.lower_against_one
        if upper < 0:
            return "vanishing"
        if lower > 0:
            return "exploding"
        if upper == 0:
            return "bounded"
        return "mixed"

    @property
    def upper_against_one(self) -> int:
        """-1, 0 or 1 as ∏ upper_k is below, at or above 1 (exactly, where it can be)."""
        return _against_one([f.upper for f in self.factors], self._counts, self.upper)

    @property
    def lower_against_one(self) -> int:
        return _against_one([f.lower for f in self.factors], self._counts, self.lower)

    @property
    def _counts(self) -> list[int]:
        if self.uniform:
            return [self.depth]
        return [self.weights.count(f.weight) for f in self.factors]


EXACT_PRODUCT_BITS = 1_000_000  # exact products of rational factors up to about this size


def _against_one(factors: list[sympy.Expr], counts: list[int], product: mpmath.mpf) -> int:
    """The sign of ∏ factor^count - 1: exactly for rational factors (53 · 1/53 is 1, not
    1 - 10^-68), from the computed product otherwise."""
    if all(f.is_Rational for f in factors):
        size = sum(count * (int(f.p).bit_length() + int(f.q).bit_length())
                   for f, count in zip(factors, counts))
        if size <= EXACT_PRODUCT_BITS:
            exact = sympy.Mul(*[f**count for f, count in zip(factors, counts)])
            return int(bool(exact > 1)) - int(bool(exact < 1))
    return (product > 1) - (product < 1)


def _log10(value: mpmath.mpf) -> mpmath.mpf:
    return mpmath.log10(value) if value else mpmath.mpf("-inf")


def gain_bounds(chain: ScalarChain, weights: Sequence[sympy.Rational], dps: int) -> GainBounds:
    """Bounds for ``weights``: one value for every layer, or exactly one per layer."""
    derivative = derivative_range(chain.activation, dps)
    distinct = list(dict.fromkeys(weights))
    factors = tuple(layer_factor(w, derivative, chain.layer.simple[1]) for w in distinct)
    with mpmath.workdps(dps + GUARD_DIGITS + len(str(chain.depth))):
        upper_of = {f.weight: mpmath.mpf(sympy.N(f.upper, mpmath.mp.dps)) for f in factors}
        lower_of = {f.weight: mpmath.mpf(sympy.N(f.lower, mpmath.mp.dps)) for f in factors}
        if len(weights) == 1:
            (w,) = weights
            upper = upper_of[w] ** chain.depth
            lower = lower_of[w] ** chain.depth
            limits = float_limits(lambda _: upper_of[w], None)
        else:
            upper, lower = mpmath.fprod(upper_of[w] for w in weights), \
                mpmath.fprod(lower_of[w] for w in weights)
            from_output = list(reversed(weights))  # the gradient meets layer L first
            limits = float_limits(lambda k: upper_of[from_output[k - 1]], len(weights))
    return GainBounds(chain, tuple(weights), dps, derivative, factors, upper, lower, limits)
