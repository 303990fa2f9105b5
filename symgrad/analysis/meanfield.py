"""Random weights, mean-field: the variance map, its fixed point q*, and the gradient gain χ1.

With weights of variance σ_w²/n and biases of variance σ_b², a wide layer's
preactivation variance follows q ↦ σ_w² E[σ(√q Z)²] + σ_b² (Z ~ N(0, 1)); at its fixed
point q* the expected squared gradient is multiplied per layer by
χ1 = σ_w² E[σ'(√q* Z)²] (Poole et al. 2016; Schoenholz et al. 2017). χ1 < 1: the
gradient vanishes in expectation, with depth scale ξ = -1/ln χ1; χ1 > 1: it explodes;
χ1 = 1: the edge of chaos.

Gaussian expectations are mpmath quadratures, split at an activation's kinks; the
fixed point is found by iterating the map from q = 1 (it converges to the stable fixed
point) and polished by the secant method.
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy

from symgrad.activations import VARIABLE, Activation, pieces
from symgrad.errors import SymgradError

GUARD_DIGITS = 10
START_ITERATIONS = 30  # plain iterations of the map before the secant method
DIVERGED = mpmath.mpf(10) ** 30  # a variance past this grows without bound


@dataclass(frozen=True)
class FixedPoint:
    """q* (None when the variance grows without bound), and χ1 there."""

    q: mpmath.mpf | None
    chi: mpmath.mpf | None
    note: str  # how it was found, or why there is none


def gaussian_expectation(function, q: mpmath.mpf, kinks: tuple[mpmath.mpf, ...] = ()) -> mpmath.mpf:
    """E[function(√q Z)], Z ~ N(0, 1), by quadrature split where ``function`` has kinks."""
    if q == 0:  # the limit q → 0: the mean of the one-sided values at 0 (a step's 1/2)
        tiny = mpmath.mpf(10) ** -mpmath.mp.dps
        return (function(-tiny) + function(tiny)) / 2
    scale = mpmath.sqrt(q)
    points = [-mpmath.inf, *sorted(k / scale for k in kinks), mpmath.inf]

    def integrand(t):
        return function(scale * t) * mpmath.exp(-t * t / 2)

    return mpmath.quad(integrand, points) / mpmath.sqrt(2 * mpmath.pi)


@dataclass(frozen=True)
class MeanField:
    """The activation's variance map and gradient gain, compiled for mpmath."""

    activation: Activation

    @property
    def kinks(self) -> tuple[mpmath.mpf, ...]:
        ends = {interval.inf for _, interval in pieces(self.activation.expr)} | \
               {interval.sup for _, interval in pieces(self.activation.expr)}
        return tuple(mpmath.mpf(sympy.N(e, mpmath.mp.dps)) for e in ends if e.is_finite)

    def _compiled(self, expr):
        return sympy.lambdify(VARIABLE, expr, "mpmath")

    def variance_map(self, q, sigma_w2, sigma_b2) -> mpmath.mpf:
        sigma = self._compiled(self.activation.expr)
        return sigma_w2 * gaussian_expectation(lambda v: sigma(v) ** 2, q, self.kinks) + sigma_b2

    def chi(self, q, sigma_w2) -> mpmath.mpf:
        slope = self._compiled(self.activation.derivative)
        return sigma_w2 * gaussian_expectation(lambda v: slope(v) ** 2, q, self.kinks)

    def fixed_point(self, sigma_w2, sigma_b2) -> FixedPoint:
        """The stable fixed point of the variance map, reached from q = 1: a few plain
        iterations, then the secant method on F(q) - q (the iteration alone converges only
        linearly); q* = 0 where the variance collapses (σ_b² = 0, F'(0) < 1)."""
        def gap(v):  # a secant step may overshoot below 0, where √q is not real
            return self.variance_map(max(v, 0), sigma_w2, sigma_b2) - v

        q = mpmath.mpf(1)
        for _ in range(START_ITERATIONS):
            q = self.variance_map(q, sigma_w2, sigma_b2)
            if q > DIVERGED:
                return FixedPoint(None, None, "the variance grows without bound: no fixed point")
        tolerance = mpmath.mpf(10) ** (GUARD_DIGITS - mpmath.mp.dps)
        settled = abs(gap(q)) <= tolerance * max(1, q)
        collapsing = not settled and sigma_b2 == 0 and abs(gap(mpmath.mpf(0))) <= tolerance and \
            self.chi(mpmath.mpf(0), sigma_w2) < 1 and gap(q) < 0
        if not settled and not collapsing:
            try:
                q = mpmath.findroot(gap, (q, self.variance_map(q, sigma_w2, sigma_b2)),
                                    solver="secant")
            except (ValueError, ZeroDivisionError):  # no root: the map only grows
                return FixedPoint(None, None, "the variance grows without bound: no fixed point")
            if q < 0 or abs(gap(q)) > tolerance * max(1, q):
                return FixedPoint(None, None, "the variance grows without bound: no fixed point")
        if collapsing or q < mpmath.mpf(10) ** (GUARD_DIGITS - mpmath.mp.dps):
            if sigma_b2 != 0:
                raise SymgradError("The variance map has no positive fixed point here.")
            return FixedPoint(mpmath.mpf(0), self.chi(mpmath.mpf(0), sigma_w2),
                              "q* = 0: the variance collapses")
        if q > DIVERGED:
            return FixedPoint(None, None, "the variance grows without bound: no fixed point")
        return FixedPoint(q, self.chi(q, sigma_w2), "the stable fixed point, from q = 1")


def depth_scale(chi: mpmath.mpf) -> mpmath.mpf:
    """ξ = -1/ln χ1 (infinite at χ1 = 1): gradients shrink or grow by e over ξ layers."""
    return mpmath.inf if chi == 1 else -1 / mpmath.log(chi)


def regime(chi: mpmath.mpf) -> str:
    return "vanishing" if chi < 1 else "exploding" if chi > 1 else "critical"
