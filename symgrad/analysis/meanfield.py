"""Random weights, mean-field: the variance map, its fixed point q*, and the gradient gain χ1.

With weights of variance σ_w²/n and biases of variance σ_b², a wide layer's
preactivation variance follows F(q) = σ_w² E[σ(√q Z)²] + σ_b² (Z ~ N(0, 1)); at its fixed
point q* the expected squared gradient is multiplied per layer by
χ1 = σ_w² E[σ'(√q* Z)²] (Poole et al. 2016; Schoenholz et al. 2017). χ1 < 1: the
gradient vanishes in expectation, by e every ξ = 1/|ln χ1| layers; χ1 > 1: it explodes;
χ1 = 1: the edge of chaos.

Gaussian expectations are mpmath quadratures split at the activation's kinks, of σ and
σ' in their forms without cancellation. Every number is computed at two working
precisions, raised until they agree to the digits asked (``numeric.precision``).

Piecewise-linear activations with their kink at 0 (relu, leaky_relu, linear) are exact:
σ(√q z) = √q σ(z) and E[σ(Z)²] = E[σ'(Z)²] = (s₊² + s₋²)/2 for slopes s₊, s₋, so
F(q) = χ1 q + σ_b² and χ1 = σ_w² (s₊² + s₋²)/2 whatever q is: rationals throughout.

For q ≥ Q_ASYMPTOTIC (1e8) the quadrature gives way to an expansion in 1/q about σ's
straight-line asymptotes (``Asymptotes``: tanh, sigmoid, erf, gelu, silu, softplus, elu),
so q* may be as large as the variances (1e5000: the search then runs in mpmath). An
activation without such asymptotes, or whose remainder decays slowly, is refused above
q* = 1e12.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import mpmath
import numpy
import sympy

from symgrad.activations import VARIABLE, Activation
from symgrad.arguments import digits
from symgrad.digits import MAX_MEANFIELD_DPS, MEANFIELD_DPS
from symgrad.errors import SymgradError
from symgrad.formula import limit_at, linear_pieces, pieces
from symgrad.networks import MAX_DEPTH, ScalarChain, check_depth
from symgrad.numbers import exact
from symgrad.numeric.kinds import float_arithmetic, mpmath_arithmetic
from symgrad.numeric.precision import converged
from symgrad.numeric.real import exact_text, to_mpmath

GUARD_DIGITS = 10
START_ITERATIONS = 25  # plain iterations of the map before the secant method
DIVERGED = mpmath.mpf(10) ** 12  # past this the float search hands over to ``_large``
Q_ASYMPTOTIC = mpmath.mpf(10) ** 8  # from here on, the expansion in 1/q (``Asymptotes``)
FLOAT_HIGH = sympy.Integer(10) ** 300  # σ_w², σ_b² above this: the search runs in mpmath
DECAY_POINT, DECAY_DIGITS = 400, 100  # the remainder must be below 10^-100 at |u| = 400
MAX_TERMS = 400
SCAN_DPS = 20  # the digits of the search for critical points, refined after
SCAN_POINTS = 33  # q from 10^-4 (or σ_b²) to 10^6 on a log scale
SCAN_HIGH = mpmath.mpf(10) ** 6
NEAR_EDGE = sympy.Rational(1, 10 ** 8)  # χ1(0) − 1 below which q* is searched in mpmath
SMALLEST_SEARCHED_BIAS = sympy.Rational(1, 10 ** 20)  # a nonzero σ_b² of the critical line
SMALL_Q = mpmath.mpf(10) ** -6  # where q* = 0 is tested for being attracting
_LONGEST_CUT = 10**4  # the Gaussian integrals' range [-T, T] grows at most to this T
_GAUSSIAN = [sign * mpmath.mpf(k) for sign in (-1, 1) for k in (1, 4)]  # √q·these
_MEMO_SIZE = 200_000  # (σ, σ') pairs kept for the quadratures' shared nodes


def kinks(activation: Activation) -> tuple[sympy.Expr, ...]:
    """Where the activation's pieces meet (relu: 0), in order."""
    ends = {e for _, interval in pieces(activation.expr) for e in (interval.inf, interval.sup)}
    return tuple(sorted(e for e in ends if e.is_finite))


def _to_digits(compute, dps: int, what: str):
    """``compute(working)`` at rising working digits until two runs agree to ``dps``."""
    return converged(compute, dps, dps + GUARD_DIGITS, 4 * dps + 200, what)


def variance(value, what: str) -> sympy.Rational:
    """σ_w² or σ_b²: an exact number ≥ 0 (σ_w² > 0)."""
    number = exact(value, what)
    if number < 0 or (number == 0 and what.startswith("σ_w")):
        raise SymgradError(f"{what} must be {'positive' if what.startswith('σ_w') else 'at least 0'}"
                           f", not {exact_text(number, 'text')}.")
    return number


def _asymptote_lines(activation: Activation):
    """((a₋, c₋), (a₊, c₊)): σ(u) ≈ c± + a± u as u → ±∞ (SymPy limits), or None."""
    expr, derivative = activation.expr, activation.derivative
    lines = []
    for end in (-sympy.oo, sympy.oo):
        def at_end(function, end=end):
            return next(piece for piece, interval in pieces(function)
                        if end in (interval.inf, interval.sup))
        slope, proved = limit_at(at_end(derivative), end, "-" if end > 0 else "+")
        if not proved:  # SymPy found no limit within its budget: no asymptote to lean on
            return None
        intercept, proved = limit_at(at_end(expr) - slope * VARIABLE, end, "-" if end > 0 else "+")
        if not proved:
            return None
        if not all(v.is_real and v.is_finite for v in (slope, intercept)):
            return None
        lines.append((slope, intercept))
    return tuple(lines)


class Asymptotes:
    """E[σ(√q Z)²] and E[σ'(√q Z)²] for large q, from σ's straight-line asymptotes
    g±(u) = c± + a± u (u → ±∞), when σ² − g±² and σ'² − a±² decay fast.

    E[f(√q Z)] = exact part + (2πq)^{-1/2} ∫ r(u) e^{-u²/(2q)} du for r = f − (g±² or a±²)
    on each side; the exact part is Gaussian moments of g±, and expanding the exponential
    gives (2πq)^{-1/2} Σ_k (-1)^k m_k / (k! (2q)^k) with m_k = ∫ u^{2k} r(u) du, an
    asymptotic series whose error is exponentially small in q for an exponentially
    decaying r. The m_k are computed once per precision by mpmath.quad and cached."""

    def __init__(self, gaussian: Gaussian, lines):
        self.gaussian = gaussian
        self.lines = lines
        self._moments: dict[tuple[int, int], list] = {}
        self._values: dict[int, dict] = {}  # (σ, σ') at the quadrature's nodes, per digits

    @classmethod
    def of(cls, gaussian: Gaussian) -> Asymptotes | None:
        lines = _asymptote_lines(gaussian.activation)
        if lines is None:
            return None
        field = cls(gaussian, lines)
        with mpmath.workdps(2 * DECAY_DIGITS):
            limit = mpmath.mpf(10) ** -DECAY_DIGITS
            if any(abs(field._remainder(which)(side * mpmath.mpf(DECAY_POINT))) > limit
                   for which in (0, 1) for side in (-1, 1)):
                return None
        return field

    def _remainder(self, which: int):
        """u ↦ σ(u)² − g±(u)² (which = 0) or σ'(u)² − a±² (which = 1), at the current digits."""
        compiled = self.gaussian._pair()
        values = self._values.setdefault(mpmath.mp.dps, {})

        def pair(u):  # every m_k's quadrature meets the same nodes: σ is evaluated once
            if u not in values:
                values[u] = compiled(u)
            return values[u]

        with mpmath.workdps(mpmath.mp.dps):
            (a_low, c_low), (a_high, c_high) = [
                (mpmath.mpf(sympy.N(a, mpmath.mp.dps)), mpmath.mpf(sympy.N(c, mpmath.mp.dps)))
                for a, c in self.lines]

        def remainder(u):
            a, c = (a_high, c_high) if u > 0 else (a_low, c_low)
            line = c + a * u if which == 0 else a
            return pair(u)[which] ** 2 - line ** 2

        return remainder

    def exact_part(self, q, which: int):
        (a_low, c_low), (a_high, c_high) = [(mpmath.mpf(sympy.N(a, mpmath.mp.dps)),
                                             mpmath.mpf(sympy.N(c, mpmath.mp.dps)))
                                            for a, c in self.lines]
        if which == 1:
            return (a_low ** 2 + a_high ** 2) / 2
        return ((c_low ** 2 + c_high ** 2) / 2 + (a_low ** 2 + a_high ** 2) * q / 2
                + 2 * mpmath.sqrt(q) * (a_high * c_high - a_low * c_low) / mpmath.sqrt(2 * mpmath.pi))

    def moment(self, which: int, k: int):
        """m_k = ∫ u^{2k} r(u) du to the current digits (cancellation in r: extra digits)."""
        dps = 50 * math.ceil((mpmath.mp.dps + 20) / 50)  # neighbouring precisions share them
        known = self._moments.setdefault((which, dps), [])
        while len(known) <= k:
            j = len(known)
            # term k needs m_k only to about dps − k log10(2q) digits, while the cancellation
            # in r costs about k digits at the peak u ≈ 2k/λ of u^{2k} r(u): 20 extra suffice.
            # The same split points for every k (the peaks lie below 64), so the same nodes.
            with mpmath.workdps(dps):
                remainder = self._remainder(which)
                inside = {mpmath.mpf(sympy.N(p, mpmath.mp.dps)) for p in self.gaussian.kinks}
                reach = [mpmath.mpf(v) for v in (4, 16, 64)]
                points = sorted({*reach, *(-v for v in reach), mpmath.mpf(0), *inside})
                value = mpmath.quad(lambda u, j=j, r=remainder: u ** (2 * j) * r(u),
                                    [-mpmath.inf, *points, mpmath.inf])
            known.append(+value)
        return known[k]

    def terms(self, q, which: int, count: int) -> list:
        """The first ``count`` terms of the series (for the tests)."""
        scale = 1 / mpmath.sqrt(2 * mpmath.pi * q)
        return [(-1) ** k * self.moment(which, k) / (mpmath.factorial(k) * (2 * q) ** k) * scale
                for k in range(count)]

    def expectation(self, q, which: int) -> mpmath.mpf:
        q = mpmath.mpf(q)
        total = self.exact_part(q, which)
        tolerance = mpmath.mpf(10) ** -(mpmath.mp.dps + 3)
        scale = 1 / mpmath.sqrt(2 * mpmath.pi * q)
        factor, smallest = scale, mpmath.inf
        for k in range(MAX_TERMS):
            term = (-1) ** k * self.moment(which, k) * factor
            total += term
            if abs(term) <= tolerance * abs(total):
                return total
            if abs(term) > 10 ** 6 * smallest:
                break
            smallest = min(smallest, abs(term)) if term else smallest
            factor /= (k + 1) * 2 * q
        raise SymgradError(f"The large-q expansion of the mean field does not reach "
                           f"{mpmath.mp.dps} digits at q = {mpmath.nstr(q, 5)}; give a smaller "
                           "σ_w² or σ_b².")


class Gaussian:
    """E[σ(√q Z)²] and E[σ'(√q Z)²] at the current mpmath precision: quadrature below
    Q_ASYMPTOTIC, the expansion in 1/q (``Asymptotes``) above, where σ fits it."""

    def __init__(self, activation: Activation):
        self.activation = activation
        self._compiled: dict[int, object] = {}
        self._memo: dict = {}  # (bits, h): (σ(h), σ'(h))
        self.kinks = kinks(activation)

    @cached_property
    def asymptotes(self) -> Asymptotes | None:
        return Asymptotes.of(self)

    def _pair(self):
        dps = mpmath.mp.dps
        if dps not in self._compiled:
            self._compiled[dps] = mpmath_arithmetic(ScalarChain(1, self.activation), dps).sigma_and_derivative
        return self._compiled[dps]

    def expectation(self, q, which: int, power: int = 1) -> mpmath.mpf:
        """E[f(√q Z)^power] for f = σ² (which = 0) or σ'² (which = 1); at q = 0 the limit
        q → 0+ (the mean of the one-sided values at a kink at 0). Powers above 1 (the
        spectrum's μ_k) are quadratures at every q."""
        if q >= Q_ASYMPTOTIC and self.asymptotes is not None and power == 1:
            return self.asymptotes.expectation(q, which)
        return self.quadrature(q, which, power)

    def quadrature(self, q, which: int, power: int = 1) -> mpmath.mpf:
        pair, memo = self._pair(), self._memo

        def f(v):  # (σ and σ' together, once per node: both moments use the same nodes)
            key = (mpmath.mp.prec, v)
            if key not in memo:
                if len(memo) > _MEMO_SIZE:
                    memo.clear()
                memo[key] = pair(v)
            return memo[key][which] ** (2 * power)

        if q == 0:  # σ² is continuous; σ'² at a kink at 0: the mean of its two sides
            if which == 0 or 0 not in self.kinks:
                return f(mpmath.mpf(0))
            tiny = mpmath.mpf(10) ** -mpmath.mp.dps
            return (f(-tiny) + f(tiny)) / 2
        scale = mpmath.sqrt(q)
        kinks_at = [mpmath.mpf(sympy.N(k, mpmath.mp.dps)) for k in self.kinks]
        # Over h in [-T√q, T√q], not the whole line: σ is never evaluated at |h| where only
        # the Gaussian's tail weighs (erf(exp(h)) has σ' = e^h e^(-e^2h): at h = 10^10, exp
        # of -10^(8·10^9) is no number mpmath can form). The tail beyond T is bounded by
        # |σ(h)| <= |σ(0)| + S|h| and |σ'| <= S (S = sup|σ'|), and T grows until that bound
        # is below the digits asked of the integral. The range is split at σ's kinks, at
        # |h| = 4^k from 1/4 on (σ's own scale, and no piece longer than 4 times its start:
        # tanh² on [16, 2500] at q = 10^8 lost 4 digits) and at |h|/√q from 1/4 to 16 (the
        # Gaussian's): tanh-sinh misses a feature inside a long interval (erf(e^h)'s σ'²
        # near h = -0.35 at q = 18 was 10^-3 off), and in the variable h/√q it lost 6
        # digits of erf(h)² on [4, 8] at q = 10^8, so h it is.
        cut = mpmath.sqrt(2 * mpmath.log(10) * (mpmath.mp.dps + 10))
        while True:
            end = cut * scale
            steps = [sign * mpmath.mpf(4) ** k for sign in (-1, 1)
                     for k in range(0, int(mpmath.log(end, 4)) + 1)]  # (1, 4, 16, ... √qT)
            inside = sorted({p for p in kinks_at + [0] + steps + [scale * h for h in _GAUSSIAN]
                             if -end < p < end})
            integral = mpmath.quad(lambda h: f(h) * mpmath.exp(-h * h / (2 * q)),
                                   [-end, *inside, end]) / mpmath.sqrt(2 * mpmath.pi * q)
            tail = self._tail(scale, cut, which, power)
            if tail <= mpmath.mpf(10) ** -(mpmath.mp.dps + 5) * abs(integral) or \
                    cut > _LONGEST_CUT:
                return integral + tail / 2  # (the tail lies in [0, tail]: its middle)
            cut *= 2

    def _tail(self, scale, cut, which: int, power: int = 1) -> mpmath.mpf:
        """A bound on E[f(√q Z); |Z| > cut] for f = σ² or (σ'²)^power: from |σ'| <= S and
        |σ(h)| <= |σ(0)| + S|h|, with the Gaussian's tail Q and density φ at the cut."""
        slope = self._slope_bound
        density = mpmath.exp(-cut * cut / 2) / mpmath.sqrt(2 * mpmath.pi)
        beyond = mpmath.erfc(cut / mpmath.sqrt(2)) / 2
        if which == 1:
            return 2 * slope ** (2 * power) * beyond
        at_zero = abs(self._pair()(mpmath.mpf(0))[0])
        return 2 * (at_zero**2 * beyond + 2 * at_zero * slope * scale * density
                    + slope**2 * scale**2 * (cut * density + beyond))

    @cached_property
    def _slope_bound(self) -> mpmath.mpf:
        """sup|σ'|, rounded up a little (it is known to 30 digits, or 6 where numerical)."""
        return mpmath.mpf(self.activation.derivative_abs_sup) * (1 + mpmath.mpf(10) ** -5)

    def second_moment(self, q) -> mpmath.mpf:
        return self.expectation(q, 0)

    def slope_moment(self, q) -> mpmath.mpf:
        return self.expectation(q, 1)


class FloatGaussian:
    """The same expectations in float64, for the search phase (the iteration of the map,
    the scan for critical points): composite Gauss–Legendre over |v| ≤ REACH √q, split
    at the kinks. Every reported digit comes from ``Gaussian``; these only find the start."""

    PANELS, NODES, REACH = 48, 16, 40.0

    def __init__(self, activation: Activation):
        self.sigma = float_arithmetic(ScalarChain(1, activation), "float64",
                                      stable=True).sigma_and_derivative
        self.kinks = tuple(float(k) for k in kinks(activation))
        self.nodes, self.weights = numpy.polynomial.legendre.leggauss(self.NODES)

    def _f(self, v, which: int):
        with numpy.errstate(all="ignore"):
            return numpy.nan_to_num(numpy.broadcast_to(self.sigma(v)[which], numpy.shape(v)) ** 2)

    def expectation(self, q, which: int) -> float:
        q = float(q)
        if q == 0:
            if which == 0 or 0 not in self.kinks:
                return float(self._f(numpy.zeros(1), which)[0])
            return float(numpy.mean(self._f(numpy.array([-1e-300, 1e-300]), which)))
        # in v = √q t: panels on the Gaussian's scale, finer ones on σ's own (|v| ≤ 30)
        reach = self.REACH * math.sqrt(q)
        fine = min(reach, 30.0)
        edges = numpy.union1d(numpy.linspace(-reach, reach, self.PANELS + 1),
                              numpy.linspace(-fine, fine, 2 * self.PANELS + 1))
        edges = numpy.union1d(edges, [k for k in self.kinks if abs(k) < reach])
        middles, halves = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2
        v = middles[:, None] + halves[:, None] * self.nodes[None, :]
        with numpy.errstate(all="ignore"):  # a diverging map's σ² may reach inf: so be it
            values = self._f(v, which) * numpy.exp(-v * v / (2 * q))
            return float(numpy.sum(halves[:, None] * self.weights[None, :] * values)
                         / math.sqrt(2 * math.pi * q))

    def second_moment(self, q) -> float:
        return self.expectation(q, 0)

    def slope_moment(self, q) -> float:
        return self.expectation(q, 1)


@dataclass(frozen=True)
class FixedPoint:
    """q* and χ1 there. ``kind``: "stable" (reached from q = 1), "collapses" (q* = 0),
    "identity" (F(q) = q: every q is fixed; q is the input's), "diverges" (no fixed point:
    χ1 is then its limit as q → ∞)."""

    q: object  # mpmath.mpf or sympy.Rational; None when it diverges
    chi: object
    kind: str


class MeanField:
    """One activation's variance map and gradient gain."""

    def __init__(self, activation: Activation, gaussian=None):
        self.activation = activation
        self.gaussian = gaussian or Gaussian(activation)

    @cached_property
    def rough(self) -> MeanField:
        """The same map in float64, for the search phase."""
        return MeanField(self.activation, FloatGaussian(self.activation))

    @cached_property
    def homogeneous_slopes(self) -> tuple[sympy.Expr, sympy.Expr] | None:
        """The slopes (s₋, s₊) of a piecewise-linear σ with its kink at 0 (σ(0) = 0): σ'(√q Z)
        is s₋ or s₊ with probability 1/2 each, whatever q is. None for any other σ."""
        linear = linear_pieces(self.activation.expr)
        if linear is None or any(intercept != 0 or interval.inf not in (0, -sympy.oo)
                                 or interval.sup not in (0, sympy.oo)
                                 for _, intercept, interval in linear):
            return None
        slopes = [slope for slope, _, interval in sorted(linear, key=lambda p: p[2].inf)
                  for _ in range(2 if interval == sympy.Interval(-sympy.oo, sympy.oo) else 1)]
        return tuple(slopes) if len(slopes) == 2 else None

    @cached_property
    def homogeneous_gain(self) -> sympy.Rational | None:
        """(s₊² + s₋²)/2 for a piecewise-linear σ with slopes s± and kink at 0 (σ(0) = 0);
        None for any other activation."""
        slopes = self.homogeneous_slopes
        return None if slopes is None else sum(s ** 2 for s in slopes) / 2

    def variance_map(self, q, sigma_w2, sigma_b2):
        return sigma_w2 * self.gaussian.second_moment(q) + sigma_b2

    def chi(self, q, sigma_w2):
        return sigma_w2 * self.gaussian.slope_moment(q)

    @cached_property
    def chi_at_infinity(self) -> sympy.Expr:
        """lim_{q→∞} E[σ'(√q Z)²] = (σ'(∞)² + σ'(-∞)²)/2, exactly (SymPy limits)."""
        derivative = self.activation.derivative
        ends = [limit_at(piece, end, "-" if end > 0 else "+")[0]
                for piece, interval in pieces(derivative)
                for end in (interval.inf, interval.sup) if end.is_infinite]
        return sum(e ** 2 for e in ends) / 2

    def fixed_point(self, sigma_w2, sigma_b2, dps: int) -> FixedPoint:
        """The fixed point the variance reaches from q = 1, to ``dps`` digits: the map is
        iterated at SCAN_DPS digits (it converges to the attracting fixed point, or grows,
        or decays to 0), then the fixed point refined by the secant method at rising digits."""
        gain = self.homogeneous_gain
        if gain is not None:
            chi = sigma_w2 * gain
            if chi < 1:
                return FixedPoint(sympy.Rational(sigma_b2) / (1 - chi), chi, "stable")
            if chi == 1 and sigma_b2 == 0:
                return FixedPoint(sympy.Integer(1), chi, "identity")
            return FixedPoint(None, chi, "diverges")
        _check_float_range(sigma_w2, "σ_w²")
        _check_float_range(sigma_b2, "σ_b²")
        if max(sigma_w2, sigma_b2) > FLOAT_HIGH:  # beyond float64: q = F(1) is past DIVERGED
            with mpmath.workdps(SCAN_DPS):
                start = self.variance_map(mpmath.mpf(1), mpmath.mpf(sigma_w2), mpmath.mpf(sigma_b2))
            if start > DIVERGED:
                return self._large(sigma_w2, sigma_b2, start, dps)
            raise SymgradError("σ_w² and σ_b² must be at most 1e300 for this activation's "
                               "mean field.")
        rough = self.rough
        with mpmath.workdps(SCAN_DPS):
            w2, b2 = float(sigma_w2), float(sigma_b2)
            q = 1.0
            for _ in range(START_ITERATIONS):
                q, previous = rough.variance_map(q, w2, b2), q
                if q > DIVERGED:
                    return self._large(sigma_w2, sigma_b2, q, dps)
                if abs(q - previous) <= q * mpmath.mpf(10) ** -(SCAN_DPS - 5):
                    break
            if not self._grows_at_zero(sigma_w2) and rough._collapses(w2, b2, q):
                return self._at_zero(sigma_w2, dps)
            settled = abs(q - previous) <= q * mpmath.mpf(10) ** -(SCAN_DPS - 5)
            if sigma_b2 == 0 and self._grows_at_zero(sigma_w2) and \
                    self._excess_at_zero(sigma_w2) < NEAR_EDGE:  # (float64 sees F(v) = v)
                q, digits = self._small_root(sigma_w2, q)
                return self._refine(sigma_w2, sigma_b2, q, max(dps, digits))
            if not settled and q < previous:  # still falling, slowly: a small q* below
                q = _root_below(lambda v: rough.variance_map(v, w2, b2) - v, q)
            growing = q > previous and abs(q - previous) > q * mpmath.mpf(10) ** -(SCAN_DPS - 5)
            if growing:  # a fixed point above, or none: bracketed by doubling q (a secant
                # step from a nearly flat gap, relu6 with σ_b² = 0.01, lands anywhere)

                def gap(v):
                    return rough.variance_map(v, w2, b2) - v

                low, high = q, 2 * q
                while gap(high) > 0:
                    if high > DIVERGED:
                        return self._large(sigma_w2, sigma_b2, high, dps)
                    low, high = high, 2 * high
                q = mpmath.findroot(gap, (low, high), solver="anderson")
        return self._refine(sigma_w2, sigma_b2, q, dps)

    def _refine(self, sigma_w2, sigma_b2, q, dps: int) -> FixedPoint:
        guess = [q]

        def compute(working):
            with mpmath.workdps(working):
                w2, b2 = mpmath.mpf(sigma_w2), mpmath.mpf(sigma_b2)
                q = _refined_root(lambda v: self.variance_map(v, w2, b2) - v, guess[0])
                guess[0] = q
                chi = self.chi(q, w2)
            return FixedPoint(q, chi, "stable"), (q, chi)

        return _to_digits(compute, dps, "The mean-field fixed point")

    def _large(self, sigma_w2, sigma_b2, start, dps: int) -> FixedPoint:
        """The variance has grown past ``start`` (> DIVERGED, or its search left float64).
        It grows without bound where F(q)/q tends to σ_w² A ≥ 1 (A = χ1's limit at ∞);
        below 1 (every bounded σ: A = 0) a fixed point lies above: the first q where
        F(q) − q turns negative, bracketed on a log scale (in mpmath, any size), with F
        from the expansion in 1/q, then refined to the digits."""
        chi = sympy.Rational(sigma_w2) * self.chi_at_infinity
        if chi.is_comparable and chi >= 1:
            return FixedPoint(None, chi, "diverges")
        if not chi.is_comparable or getattr(self.gaussian, "asymptotes", None) is None:
            raise SymgradError("The fixed point q* lies above 1e12, beyond "
                               "the range where symgrad's mean-field quadrature is trusted; give "
                               "a smaller σ_w² or σ_b².")
        with mpmath.workdps(SCAN_DPS):
            w2, b2 = mpmath.mpf(sigma_w2), mpmath.mpf(sigma_b2)

            def rises(v):
                return self.variance_map(v, w2, b2) > v

            low = max(mpmath.mpf(start), Q_ASYMPTOTIC)
            high, step = low, mpmath.mpf(10)
            if rises(low):
                for _ in range(64):
                    low, high = high, high * step
                    if not rises(high):
                        break
                    step = step ** 2
                else:
                    return FixedPoint(None, chi, "diverges")
            else:  # F(start) ≤ start: the fixed point is at or below start (≥ Q_ASYMPTOTIC)
                for _ in range(64):
                    high, low = low, low / step
                    if rises(low):
                        break
                    if low < Q_ASYMPTOTIC:
                        raise SymgradError("The mean-field fixed point could not be bracketed.")
            while high / low - 1 > mpmath.mpf(10) ** -15:  # bisection of log q
                middle = mpmath.sqrt(low * high)
                low, high = (middle, high) if rises(middle) else (low, middle)
            guess = mpmath.sqrt(low * high)
        return self._refine(sigma_w2, sigma_b2, guess, dps)

    def slopes_at_zero(self) -> tuple | None:
        """(σ'(0⁻), σ'(0⁺)) exactly (the same twice where σ is smooth at 0), or None where
        σ' has no value there."""
        activation = self.activation
        corners = activation.corner_slopes
        if 0 in corners:
            return None if corners[0] is None else tuple(corners[0])
        return (activation.derivative.subs(VARIABLE, 0),) * 2

    def _grows_at_zero(self, sigma_w2) -> bool:
        """χ1(0) = σ_w² (σ'(0⁻)² + σ'(0⁺)²)/2 > 1, decided exactly where SymPy can (σ_w² =
        1 + 10^-14 for tanh: q = 0 repels, whatever float64's F(v) ≈ v says)."""
        excess = self._excess_at_zero(sigma_w2)
        return bool(excess is not None and excess > 0)

    def _excess_at_zero(self, sigma_w2):
        """χ1(0) − 1 exactly, or None where σ' has no value at 0 or SymPy cannot order it."""
        sides = self.slopes_at_zero()
        if sides is None:
            return None
        excess = sympy.Rational(sigma_w2) * (sides[0] ** 2 + sides[1] ** 2) / 2 - 1
        return excess if excess.is_comparable else None

    def _small_root(self, sigma_w2, start) -> tuple:
        """(q*, the digits that see it) for σ_b² = 0 just past χ1(0) = 1, where q = 0 repels
        and q* is small (tanh at σ_w² = 1 + 10^-19: 5·10^-20, F(v) = v in float64): below
        ``start``, v falls tenfold until F(v) > v at digits that see χ1(0) − 1, then
        Anderson–Björck between."""
        excess = self._excess_at_zero(sigma_w2)
        digits = SCAN_DPS + int(mpmath.ceil(-mpmath.log10(mpmath.mpf(sympy.N(excess, 20)))))
        if digits > MAX_MEANFIELD_DPS:
            raise SymgradError("σ_w² is too close above the edge of chaos for the mean field: "
                               f"its fixed point needs more than {MAX_MEANFIELD_DPS} digits.")
        with mpmath.workdps(digits):
            w2 = to_mpmath(sympy.Rational(sigma_w2))

            def gap(v):
                return self.variance_map(v, w2, 0) - v

            high = mpmath.mpf(start)
            while not gap(high) < 0:  # (q* above the float search's iterate: relu6)
                high *= 2
                if high > DIVERGED:
                    raise SymgradError("The fixed point just past the edge of chaos could "
                                       "not be bracketed.")
            for _ in range(digits + 10):
                low = high / 10
                if gap(low) > 0:
                    return mpmath.findroot(gap, (low, high), solver="anderson"), digits
                high = low
        raise SymgradError("The fixed point just past the edge of chaos could not be "
                           "bracketed.")

    def _collapses(self, w2, b2, q) -> bool:
        """Whether the variance decays to 0: σ_b² = 0, σ(0) = 0, χ1(0) ≤ 1, F(q) < q and
        F(v) ≤ v from q down to 10^-8 q to float64's rounding (no positive fixed point below
        the iterate; equal where σ is linear near 0 and bends only far out, as relu6's
        min(max(x, 0), 6) at σ_w² = 2, F(v) = v(1 − O(e^(−18/v))))."""
        noise = 10.0 ** -12  # (float64: equal to about 10^-16 of v; χ1(0) of tanh(x/10) at
        # σ_w² = 100 is 1.0000000000000002)
        if b2 != 0 or self.gaussian.second_moment(0) != 0 or self.chi(0, w2) > 1 + noise:
            return False
        return self.variance_map(q, w2, b2) < q * (1 - noise) and all(
            self.variance_map(v, w2, b2) <= v * (1 + noise)
            for v in (q * 10.0 ** -k for k in range(1, 9)))

    def _at_zero(self, sigma_w2, dps: int) -> FixedPoint:
        def compute(working):
            with mpmath.workdps(working):
                chi = self.chi(mpmath.mpf(0), mpmath.mpf(sigma_w2))
            return chi, (chi,)

        chi = _to_digits(compute, dps, "χ1 at q* = 0")
        return FixedPoint(mpmath.mpf(0), chi, "collapses")


FLOAT_LOW = sympy.Rational(1, 10 ** 300)


def _check_float_range(value, what: str) -> None:
    """The search for q* runs in float64 below 10^300 (above, ``_large`` in mpmath): σ_w²,
    σ_b² (when not 0) must be at least 10^-300."""
    if value != 0 and value < FLOAT_LOW:
        raise SymgradError(f"{what} must be {'' if what.startswith('σ_w') else '0 or '}at least "
                           "1e-300 for a smooth activation's mean field (its search runs in "
                           "float64).")


def depth_scale(chi) -> mpmath.mpf:
    """ξ = 1/|ln χ1| (infinite at χ1 = 1): gradients shrink or grow by e over ξ layers."""
    return mpmath.inf if chi == 1 else 1 / abs(mpmath.log(chi)) if chi != 0 else mpmath.mpf(0)


def regime(chi, dps: int) -> str:
    """χ1 against 1; "critical" when it equals 1 to the digits computed: exactly, for an
    exact χ1 (relu at σ_w² = 2.0000000000000000001 explodes, slowly, as tanh just past its
    edge does; rounded to 15 digits it had looked critical)."""
    if isinstance(chi, (int, sympy.Rational)):
        critical = chi == 1
    else:
        with mpmath.workdps(dps + GUARD_DIGITS):
            critical = abs(to_mpmath(chi) - 1) <= mpmath.mpf(10) ** -dps
    if critical:
        return "critical"
    return "vanishing" if chi < 1 else "exploding"


@dataclass(frozen=True)
class MeanFieldResult:
    activation: Activation
    sigma_w2: sympy.Rational
    sigma_b2: sympy.Rational
    depth: int
    dps: int
    fixed: FixedPoint

    @property
    def chi(self):
        return self.fixed.chi

    @property
    def depth_scale(self) -> mpmath.mpf:
        with mpmath.workdps(self.dps + GUARD_DIGITS):
            return depth_scale(self.chi)

    @property
    def regime(self) -> str:
        return regime(self.chi, self.dps)

    @property
    def gradient_ratio(self):
        """χ1^L: E|∂C/∂a^0|² / |∂C/∂a^L|² at the depth, in the mean-field approximation."""
        if isinstance(self.chi, sympy.Basic):
            return self.chi ** self.depth
        with mpmath.workdps(self.dps + GUARD_DIGITS):
            return self.chi ** self.depth

    @property
    def log10_gradient_ratio(self) -> mpmath.mpf:
        with mpmath.workdps(self.dps + GUARD_DIGITS):
            chi = to_mpmath(self.chi)
            return self.depth * mpmath.log10(chi) if chi else -mpmath.inf


def mean_field(activation: Activation, sigma_w2, sigma_b2=0, depth: int = 1,
               dps: int = MEANFIELD_DPS) -> MeanFieldResult:
    """q*, χ1, ξ, the regime and χ1^L, each to ``dps`` digits."""
    digits(dps, MAX_MEANFIELD_DPS)
    depth = check_depth(depth, MAX_DEPTH)
    w2, b2 = variance(sigma_w2, "σ_w²"), variance(sigma_b2, "σ_b²")
    point = MeanField(activation).fixed_point(w2, b2, dps)
    return MeanFieldResult(activation, w2, b2, depth, dps, point)


# --- critical points ------------------------------------------------------------------


@dataclass(frozen=True)
class CriticalPoint:
    """The σ_w² with χ1 = 1 at σ_b², and q* there. ``kind`` as FixedPoint's, or "none"."""

    sigma_b2: sympy.Rational
    sigma_w2: object  # None where no critical point exists
    q: object
    kind: str


@dataclass(frozen=True)
class CriticalLine:
    activation: Activation
    dps: int
    points: tuple[CriticalPoint, ...]


def critical_line(activation: Activation, sigma_b2s, dps: int = MEANFIELD_DPS) -> CriticalLine:
    """For each σ_b², the σ_w² at which χ1 = 1 at the stable fixed point (the edge of chaos).

    Where q* > 0, the fixed point and χ1 = 1 together say (q − σ_b²) E[σ'²] = E[σ²] with
    σ_w² = 1/E[σ'²]: one equation in q, solved on a log scan and refined to the digits;
    a root counts if the fixed point there attracts (F'(q*) < 1). With σ_b² = 0 and
    σ(0) = 0, q* = 0 (σ_w² = 1/σ'(0)²) counts where the variance decays to it."""
    digits(dps, MAX_MEANFIELD_DPS)
    field = MeanField(activation)
    biases = tuple(variance(b2, "σ_b²") for b2 in sigma_b2s)  # every one checked before any search
    if field.homogeneous_gain is None:
        for sigma_b2 in biases:
            _check_searchable(sigma_b2)
    return CriticalLine(activation, dps, tuple(_critical_point(field, b2, dps) for b2 in biases))


def _check_searchable(sigma_b2: sympy.Rational) -> None:
    """A σ_b² whose critical point a smooth activation's search can find."""
    if sigma_b2 >= SCAN_HIGH:
        raise SymgradError("σ_b² must be below 1e6 for the critical line of a smooth "
                           "activation: its search covers q* up to that.")
    if 0 < sigma_b2 < SMALLEST_SEARCHED_BIAS:  # (tanh at 10^-300 was said to have none, at
        # 10^-28 refused: its q* ≈ (3σ_b²/4)^(1/3) lies where the scan's float64 sees only noise)
        raise SymgradError("σ_b² must be 0 or at least 1e-20 for the critical line of a smooth "
                           "activation: below, q* is too small for its search.")
    _check_float_range(sigma_b2, "σ_b²")


def _critical_point(field: MeanField, sigma_b2: sympy.Rational, dps: int) -> CriticalPoint:
    gain = field.homogeneous_gain
    if gain is not None:
        if gain == 0:
            return CriticalPoint(sigma_b2, None, None, "none")
        return CriticalPoint(sigma_b2, 1 / gain, sympy.Integer(1) if sigma_b2 == 0 else None,
                             "identity" if sigma_b2 == 0 else "diverges")
    with mpmath.workdps(SCAN_DPS):
        start = _scan(field.rough, sigma_b2)
    if start is None:
        return CriticalPoint(sigma_b2, None, None, "none")
    if start == 0:
        def compute(working):
            with mpmath.workdps(working):
                w2 = 1 / field.gaussian.slope_moment(mpmath.mpf(0))
            return w2, (w2,)

        w2 = _to_digits(compute, dps, "The critical σ_w²")
        return CriticalPoint(sigma_b2, w2, mpmath.mpf(0), "collapses")
    guess = [start]

    def compute(working):
        with mpmath.workdps(working):
            b2 = mpmath.mpf(sigma_b2)
            q = _refined_root(lambda v: _criticality(field, v, b2), guess[0])
            guess[0] = q
            w2 = 1 / field.gaussian.slope_moment(q)
        return (w2, q), (w2, q)

    w2, q = _to_digits(compute, dps, "The critical point")
    return CriticalPoint(sigma_b2, w2, q, "stable")


def _criticality(field: MeanField, q, sigma_b2) -> mpmath.mpf:
    """(q − σ_b²) E[σ'²] − E[σ²]: zero where q is the fixed point at σ_w² = 1/E[σ'²]."""
    return (q - sigma_b2) * field.gaussian.slope_moment(q) - field.gaussian.second_moment(q)


def _criticality_sign(field: MeanField, q, sigma_b2) -> int:
    """The sign of the criticality equation at q, 0 where it is within the working digits'
    rounding of its two terms: for hardtanh both terms are q(1 - e^(-1/2q)...) and their
    difference, about q·e^(-1/2q), is no number at q = 10^-4 (a sign there is noise, and
    a root found from it cannot be refined)."""
    drive = (q - sigma_b2) * field.gaussian.slope_moment(q)
    kept = field.gaussian.second_moment(q)
    difference = drive - kept
    if abs(difference) <= mpmath.mpf(10) ** (_NOISE_DIGITS - mpmath.mp.dps) * (abs(drive) + abs(kept)):
        return 0
    return 1 if difference > 0 else -1


_NOISE_DIGITS = 8  # a difference within 10^(8 - digits) of its terms has no sign


def _scan(field: MeanField, sigma_b2: sympy.Rational):
    """The smallest q on a log scan where the criticality equation changes sign and the
    fixed point attracts, refined at the scan's digits; 0 for a collapsing q* = 0; None."""
    b2 = mpmath.mpf(sigma_b2)
    low = max(b2, mpmath.mpf(10) ** -4)
    grid = [low * (SCAN_HIGH / low) ** (mpmath.mpf(i) / (SCAN_POINTS - 1)) for i in range(SCAN_POINTS)]
    if b2 > 0:
        grid[0] = b2 * (1 + mpmath.mpf(10) ** -8)
    g_left = _criticality_sign(field, grid[0], b2)
    for left, right in zip(grid, grid[1:]):  # upwards, stopping at the first that counts
        g_right = _criticality_sign(field, right, b2)
        if g_left * g_right < 0:
            q = bisection(lambda v: _criticality(field, v, b2), left, right)
            slopes = field.gaussian.slope_moment(q)
            if slopes > 0 and _attracts(field, q, 1 / slopes, b2):
                return q
        g_left = g_right
    if b2 == 0 and field.gaussian.second_moment(mpmath.mpf(0)) == 0 and \
            field.gaussian.slope_moment(mpmath.mpf(0)) > 0:  # (σ'(0) = 0: no σ_w² makes χ1 = 1)
        w2 = 1 / field.gaussian.slope_moment(mpmath.mpf(0))
        if field.variance_map(SMALL_Q, w2, 0) < SMALL_Q:  # the variance decays to 0
            return mpmath.mpf(0)
    return None


def _attracts(field: MeanField, q, sigma_w2, sigma_b2) -> bool:
    """F'(q) < 1, by a central difference."""
    step = q * mpmath.mpf(10) ** -5
    slope = (field.variance_map(q + step, sigma_w2, sigma_b2)
             - field.variance_map(q - step, sigma_w2, sigma_b2)) / (2 * step)
    return slope < 1


def bisection(function, low, high, f_low=None):
    """A root of ``function`` in [low, high], where its sign changes, to the working
    precision (``f_low``: its value at ``low``, if known)."""
    f_low = function(low) if f_low is None else f_low
    for _ in range(4 * mpmath.mp.prec):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        f_middle = function(middle)
        if f_middle == 0:
            return middle
        if (f_middle < 0) == (f_low < 0):
            low, f_low = middle, f_middle
        else:
            high = middle
    return (low + high) / 2


def _root_below(gap, start):
    """Where the iteration of the variance map was still falling at ``start`` (gap < 0
    there: F(q) < q) after its iterations, as near criticality (σ_w² = 1.0001: q* = 5e-5,
    approached by a factor 1 - 10^-4 a step): the root of the gap below, bracketed by
    halving q until the gap is positive, then Anderson–Björck; ``start`` if none is found
    above 10^-300 (the variance then falls to 0, which the caller's checks decide)."""
    high = mpmath.mpf(start)
    low = high / 2
    while low > mpmath.mpf(10) ** -300:
        if gap(low) > 0:
            return mpmath.findroot(gap, (low, high), solver="anderson")
        high, low = low, low / 2
    return mpmath.mpf(start)


def _refined_root(function, guess):
    """The root of ``function`` near a float-accurate ``guess`` > 0, to the current
    precision: bracketed by widening guess·(1 ± width) until the sign changes, then
    Anderson–Björck (a bracketing method: it never leaves q > 0)."""
    guess, width = mpmath.mpf(guess), mpmath.mpf(10) ** -9
    for _ in range(12):
        low, high = guess * (1 - width), guess * (1 + width)
        if function(low) * function(high) <= 0:
            return mpmath.findroot(function, (low, high), solver="anderson")
        width = min(10 * width, mpmath.mpf("0.5"))
    raise SymgradError(f"A root near {mpmath.nstr(guess, 8)} could not be bracketed to refine it.")
