"""The whole spectrum of a wide random net's input–output Jacobian, from free probability.

``meanfield`` gives χ₁, the mean squared singular value of J = ∂a^L/∂a^0 per layer. The
spread matters too (Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid in
deep learning through dynamical isometry"; 2018, "The emergence of spectral universality
in deep networks"). At the mean-field fixed point q*, J = D_L W_L ⋯ D_1 W_1 with
D_l = diag(σ'(h_l)), the entries of h_l distributed as √q* Z; as the width grows the
W_l and D_l become free, so the S-transform of JJᵀ is the product of theirs:

    S_JJᵀ(m) = (S_D²(m) · S_WWᵀ(m))^L,
    S_WWᵀ(m) = 1/(σ_w² (1 + m))  (Gaussian weights: Marchenko–Pastur),  1/σ_w²  (orthogonal).

For a matrix X with moments m_k = tr X^k / n, the moment series ψ_X(u) = Σ_{k≥1} m_k u^k
and S_X(m) = (1 + m) ψ_X⁻¹(m) / m (ψ_X⁻¹: the inverse function). So every moment of JJᵀ
follows from the μ_k = E[σ'(√q* Z)^{2k}] by power-series arithmetic (reversion,
products, powers): exact rationals for the piecewise-linear activations (σ'² is s₋² or
s₊², each with probability 1/2), to the digits asked for the others. The first two:
m_1 = χ₁^L and the spread

    σ²_JJᵀ = m_2/m_1² − 1 = L (μ₂/μ₁² − 1 − s₁),   s₁ = −1 (Gaussian), 0 (orthogonal),

since the first-order coefficients of a product of S-transforms add up. σ² = 0 at every
depth only for orthogonal weights and a σ'² that is constant on the Gaussian (linear);
ReLU's σ'² ∈ {0, 1} gives L (orthogonal) and 2L (Gaussian) at σ_w² = 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import mpmath
import numpy
import sympy

from symgrad.activations import Activation
from symgrad.analysis.meanfield import (
    GUARD_DIGITS,
    MeanField,
    MeanFieldResult,
    bisection,
    mean_field,
)
from symgrad.arguments import shown
from symgrad.digits import MEANFIELD_DPS
from symgrad.errors import SymgradError
from symgrad.networks import ScalarChain
from symgrad.numbers import exact
from symgrad.numeric.kinds import float_arithmetic

WEIGHTS = ("gaussian", "orthogonal")
MAX_MOMENT = 12  # the moments m_1 … m_k reported (each one more μ_k, one more quadrature)
MAX_GRID = 10_000  # points of the density's grid
MAX_SPECTRUM_DEPTH = 10_000


# --- truncated power series: coefficient lists a[0..n] ------------------------------------
# Kept here rather than SymPy's ring_series (rs_series_reversion, rs_pow): the coefficients
# are exact rationals, mpmath numbers at the digits asked, or polynomials in a symbolic
# depth L, and one set of four list functions serves all three without choosing a ring
# and its domain per case.

def _product(a: list, b: list, n: int) -> list:
    return [sum(a[i] * b[k - i] for i in range(k + 1) if i < len(a) and k - i < len(b))
            for k in range(n + 1)]


def _one_over(x):
    """1/x, exact for an exact x (a Python int, a SymPy number or expression)."""
    return (sympy.Integer(1) if isinstance(x, (int, sympy.Basic)) else 1) / x


def _reciprocal(a: list, n: int) -> list:
    """1/a for a[0] ≠ 0."""
    inverse = [_one_over(a[0])]
    for k in range(1, n + 1):
        inverse.append(-sum(a[i] * inverse[k - i] for i in range(1, min(k, len(a) - 1) + 1))
                       / a[0])
    return inverse


def _power(a: list, exponent, n: int) -> list:
    """a^exponent for a[0] ≠ 0: by squaring for a whole number, else a[0]^e exp(e log(a/a[0]))
    (a SymPy exponent gives coefficients that are polynomials in it)."""
    if isinstance(exponent, int):
        result, base = [1] + [0] * n, list(a[:n + 1])
        while exponent:
            if exponent & 1:
                result = _product(result, base, n)
            base, exponent = _product(base, base, n), exponent >> 1
        return result
    scaled = [c * _one_over(a[0]) for c in a[:n + 1]] + [0] * (n + 1 - len(a))
    log = [0] * (n + 1)  # log(1 + v), v = scaled − 1: log' = v'/(1 + v)
    derivative = _product([k * scaled[k] for k in range(1, n + 1)], _reciprocal(scaled, n), n)
    for k in range(1, n + 1):
        log[k] = derivative[k - 1] / k
    exp = [1] + [0] * n  # exp(e·log): E' = e·log'·E
    for k in range(1, n + 1):
        exp[k] = exponent * sum(j * log[j] * exp[k - j] for j in range(1, k + 1)) / k
        if isinstance(exp[k], sympy.Basic):
            exp[k] = sympy.expand(exp[k])
    return [a[0] ** exponent * c for c in exp]


def _revert(f: list, n: int) -> list:
    """g with f(g(u)) = u + O(u^{n+1}), for f[0] = 0 ≠ f[1]."""
    g = [0, _one_over(f[1])]
    for k in range(2, n + 1):
        power, total = list(g) + [0] * (k + 1 - len(g)), 0  # g^j, j from 1
        for j in range(2, min(k, len(f) - 1) + 1):
            power = _product(power, g, k)
            total += f[j] * power[k]
        g.append(-total * _one_over(f[1]))
    return g


def moment_series_of_free_product(slope_moments: list, sigma_w2, depth, weights: str) -> list:
    """The moments m_1 … m_K of JJᵀ from μ_1 … μ_K (μ_k = E[σ'(√q* Z)^{2k}]): the
    S-transforms of D² and of WWᵀ multiplied, raised to the depth, and turned back."""
    order = len(slope_moments)
    slope_series = [0, *slope_moments]                       # ψ_D²(u)
    inverse = _revert(slope_series, order)                   # ψ_D²⁻¹(m) = m/μ₁ + …
    one_plus = [1, 1]
    s_slopes = _product(one_plus, inverse[1:], order)        # S_D²(m) = (1+m) ψ⁻¹(m)/m
    geometric = [(-1) ** k for k in range(order + 1)]        # 1/(1+m)
    s_weights = ([c * _one_over(sigma_w2) for c in geometric] if weights == "gaussian"
                 else [_one_over(sigma_w2)] + [0] * order)
    s_jacobian = _power(_product(s_slopes, s_weights, order), depth, order)
    inverse_moments = [0, *_product(s_jacobian, geometric, order - 1)]  # ψ⁻¹ = m S/(1+m)
    return _revert(inverse_moments, order)[1:]


# --- the activation's slopes on the Gaussian --------------------------------------------

FLOAT_DIGITS, FLOAT_BITS = 15, 53  # at this working precision or below, E[d/(x − d)] is
# summed in float64
# The finest tanh-sinh level tried for E[d/(x − d)] (about 3·2^k nodes a side): near the real
# axis the integrand has a peak as narrow as Im x, which finer levels resolve.
TANH_SINH_LEVELS = {True: 12, False: 10}  # (float64, MPFR)
FLOAT_Q_LIMIT = 1e300  # q* above this: the quadrature in MPFR (see ``Slopes.floats_hold``)
MAX_SMOOTH_Q = mpmath.mpf(10) ** 1000  # q* above this refused for a smooth σ (at 10^1000
# the moments' quadratures take 15 s, at 10^3000 over a minute)
SCAN_LEVELS = 8  # the right edge's scan: where finer levels are needed, it has gone far enough


@dataclass
class Slopes:
    """The law of d = σ'(h)², h ~ N(0, q*): its moments μ_k, and its Stieltjes-type
    transform m(x) = E[d/(x − d)] with m'(x) for complex x (exact atoms where σ is
    piecewise linear with its kink at 0; a tanh-sinh quadrature in h otherwise, its
    nodes' values of σ'² computed once per level and precision)."""

    field: MeanField
    q: object

    def __post_init__(self):
        self._nodes: dict = {}

    @cached_property
    def exact(self) -> tuple | None:
        """((s₋², 1/2), (s₊², 1/2)): the atoms of σ'(h)², or ((σ'(0)², 1),) at q* = 0, or
        None."""
        slopes = self.field.homogeneous_slopes
        if slopes is None:
            if self.q != 0:
                return None
            # at q* = 0 every preactivation is 0: σ'(0), or at a kink there its two sides
            # with probability 1/2 each (elu:2: 4 and 1), as mean field's χ1 takes them
            sides = self.field.slopes_at_zero()
            if sides is None or not all(side.is_real and side.is_finite for side in sides):
                raise SymgradError("σ' has no value at 0, where the variance settles (q* = 0).")
            squares = [sympy.nsimplify(side ** 2) for side in sides]
            return tuple((d, sympy.Rational(squares.count(d), 2)) for d in sorted(set(squares)))
        squares = [sympy.nsimplify(s) ** 2 for s in slopes]
        return tuple((d, sympy.Rational(squares.count(d), 2)) for d in sorted(set(squares)))

    @property
    def atom_at_zero(self):
        """P(σ'(h) = 0): exact for the piecewise-linear activations (relu: 1/2), else 0."""
        return sum((p for d, p in self.exact or () if d == 0), sympy.Integer(0))

    @property
    def largest(self):
        """sup of σ'² over the Gaussian's support: the right end of d's law."""
        if self.exact is not None:
            return max(d for d, _ in self.exact)
        return sympy.Float(self.field.activation.derivative_abs_sup) ** 2

    def moments(self, count: int, dps: int) -> list:
        if self.exact is not None:
            return [sum(p * d ** k for d, p in self.exact) for k in range(1, count + 1)]
        with mpmath.workdps(dps + GUARD_DIGITS):
            q = _mpf(self.q)
            return [self.field.gaussian.expectation(q, 1, k) for k in range(1, count + 1)]

    def transform(self, x, levels: int | None = None) -> tuple:
        """(m(x), m'(x)) = (E[d/(x − d)], −E[d/(x − d)²]) at the working precision; at 15
        digits or fewer in float64 (NumPy over the nodes), as mpmath numbers either way.
        ``levels`` caps the quadrature's levels (a SymgradError past them)."""
        if self.exact is not None:
            atoms = [(_mpf(d), _mpf(p)) for d, p in self.exact]
            return (sum(p * d / (x - d) for d, p in atoms),
                    -sum(p * d / (x - d) ** 2 for d, p in atoms))
        in_floats = mpmath.mp.prec <= FLOAT_BITS and self.floats_hold
        tolerance = mpmath.mpf(2) ** (-mpmath.mp.prec + 8)
        point = (complex(x) if isinstance(x, mpmath.mpc) else float(x)) if in_floats else x
        previous, sums = None, [0, 0]  # Σ over the nodes of every level so far
        for level in range(1, (levels or TANH_SINH_LEVELS[in_floats]) + 1):
            weights, values = self._level(level, in_floats)
            if in_floats:
                with numpy.errstate(all="ignore"):  # (x on a node: inf, and the level fails)
                    ratio = values / (point - values)
                    sums[0] += numpy.sum(weights * ratio)
                    sums[1] -= numpy.sum(weights * ratio / (point - values))
            else:
                for w, d in zip(weights, values):
                    r = d / (point - d)
                    sums[0] += w * r
                    sums[1] -= w * r / (point - d)
            step = mpmath.ldexp(1, -level)  # (tanh-sinh: a level halves the step)
            value = (mpmath.mpmathify(sums[0]) * step, mpmath.mpmathify(sums[1]) * step)
            if previous is not None and level >= 3 and all(
                    abs(v - p) <= tolerance * (1 + abs(v)) for v, p in zip(value, previous)):
                return value
            previous = value
        raise SymgradError("The spectral density cannot be computed to the digits asked this "
                           "close to the real axis; ask for fewer digits.")

    SCAN_POINTS = 400  # where σ'(h)² = c is looked for: a sign change between two of them

    def density(self, c) -> mpmath.mpf:
        """The density of d = σ'(h)² at c (h ~ N(0, q*), a smooth σ): the sum over the
        roots of σ'(h)² = c of φ(h)/|2σ'(h)σ''(h)|, the roots found by a scan of the
        quadrature's range and refined by bisection (sure, where a secant method missed its
        tolerance at q* = 10^300). One layer of orthogonal weights has JJᵀ = σ_w² D², so
        this is its spectrum."""
        q = _mpf(self.q)
        pair = self.field.gaussian._pair()

        def gap(h):
            return pair(h)[1] ** 2 - c

        nodes = self._scan_nodes()
        if mpmath.mp.prec <= FLOAT_BITS and self.floats_hold:  # (the scan in NumPy; the
            at = numpy.array(nodes, dtype=float)  # roots in mpmath)
            with numpy.errstate(all="ignore"):
                values = list(numpy.broadcast_to(self._float_derivative(at)[1], at.shape) ** 2
                              - float(c))
        else:
            values = [gap(h) for h in nodes]
        total = mpmath.mpf(0)
        for (left, a), (right, b) in zip(zip(nodes, values), zip(nodes[1:], values[1:])):
            if a == 0 or a * b > 0:
                continue
            root = bisection(gap, left, right, a)
            slope = mpmath.diff(lambda h: pair(h)[1] ** 2, root)
            if slope != 0:
                total += mpmath.npdf(root, 0, mpmath.sqrt(q)) / abs(slope)
        return total

    def peaks_inside(self) -> bool:
        """Whether σ'(h)² takes its largest value at a finite h (tanh, sigmoid at 0), not
        only as h → ±∞ (softplus): there d's density, φ(h)/|dσ'²/dh|, is infinite at the
        top, as 1/√(top − c) (one node of the scan of ``density`` on either side of it)."""
        pair = self.field.gaussian._pair()
        values = [pair(h)[1] ** 2 for h in self._scan_nodes()]
        highest = max(range(len(values)), key=values.__getitem__)
        return 0 < highest < self.SCAN_POINTS

    def _scan_nodes(self) -> list:
        """SCAN_POINTS steps across the quadrature's range of h, ±√(2 q* ln 10^(dps + 10))."""
        cut = mpmath.sqrt(2 * mpmath.log(10) * (mpmath.mp.dps + 10) * _mpf(self.q))
        return [-cut + 2 * cut * k / self.SCAN_POINTS for k in range(self.SCAN_POINTS + 1)]

    def _level(self, level: int, in_floats: bool = False):
        """The new tanh-sinh nodes of one level on h ∈ [−T√q, T√q] (split at 0): the
        Gaussian density times the node's weight, and σ'(h)² there (NumPy arrays of
        float64 for ``in_floats``)."""
        key = (mpmath.mp.prec, level, in_floats)
        if key not in self._nodes and in_floats:
            self._nodes[key] = self._float_level(level)
        if key not in self._nodes:
            q = _mpf(self.q)
            cut = mpmath.sqrt(2 * mpmath.log(10) * (mpmath.mp.dps + 10) * q)
            rule = mpmath.calculus.quadrature.TanhSinh(mpmath.mp)
            standard = rule.calc_nodes(level, mpmath.mp.prec)
            pair = self.field.gaussian._pair()
            norm = 1 / mpmath.sqrt(2 * mpmath.pi * q)
            weights, values = [], []
            for low, high in ((-cut, 0), (0, cut)):
                for h, w in rule.transform_nodes(standard, low, high):
                    weights.append(w * norm * mpmath.exp(-h * h / (2 * q)))
                    values.append(pair(h)[1] ** 2)
            if in_floats:
                weights, values = numpy.array(weights, float), numpy.array(values, float)
            self._nodes[key] = (weights, values)
        return self._nodes[key]

    @cached_property
    def floats_hold(self) -> bool:
        """Whether the quadrature's range, h² up to about 58 q*, is well inside float64's
        (σ_w² = 10^400 puts q* past it: then MPFR sums the nodes)."""
        return float(_mpf(self.q)) < FLOAT_Q_LIMIT

    def _float_level(self, level: int):
        """``_level`` in float64, every node at once: mpmath's tanh-sinh nodes of the level
        (t = k·2⁻ˡ, only the odd k past level 1; x = tanh(π/2 sinh t), w = π/2 cosh t /
        cosh²(π/2 sinh t), up to where x rounds to 1), σ'² by the activation's NumPy form."""
        step = 2.0 ** -level
        ks = numpy.arange(0, 20 * 2 ** level + 1, dtype=float)
        t = ks * step if level == 1 else (2 * ks + 1) * step
        u = numpy.pi / 2 * numpy.sinh(t)
        with numpy.errstate(over="ignore"):
            gap = 2 / (numpy.exp(2 * u) + 1)  # 1 − tanh u, with its digits
            w = numpy.pi / 2 * numpy.cosh(t) / numpy.cosh(u) ** 2
        kept = gap > 2.0 ** -(FLOAT_BITS + 10)
        x, w = 1 - gap[kept], w[kept]
        if level == 1:  # t = 0 once, not mirrored
            x, w = numpy.concatenate([-x[:0:-1], x]), numpy.concatenate([w[:0:-1], w])
        else:
            x, w = numpy.concatenate([-x[::-1], x]), numpy.concatenate([w[::-1], w])
        q = float(_mpf(self.q))
        cut = math.sqrt(2 * math.log(10) * (FLOAT_DIGITS + 10) * q)
        derivative = self._float_derivative
        weights, values = [], []
        with numpy.errstate(all="ignore"):  # (cosh overflowing: sech 0, as it should)
            for low, high in ((-cut, 0.0), (0.0, cut)):
                h = (high - low) / 2 * x + (high + low) / 2
                weights.append((high - low) / 2 * w * numpy.exp(-h * h / (2 * q))
                               / math.sqrt(2 * math.pi * q))
                values.append(numpy.broadcast_to(derivative(h)[1], h.shape) ** 2)
        return numpy.concatenate(weights), numpy.concatenate(values)

    @cached_property
    def _float_derivative(self):
        """h ↦ (σ(h), σ'(h)) over NumPy arrays of float64 (the activation's stable form)."""
        return float_arithmetic(ScalarChain(1, self.field.activation), "float64",
                                stable=True).sigma_and_derivative


def _mpf(value):
    return mpmath.mpf(sympy.N(value, mpmath.mp.dps)) if isinstance(value, sympy.Basic) \
        else mpmath.mpf(value)


# --- the limiting density --------------------------------------------------------------

class Density:
    """The density ρ(λ) of JJᵀ's eigenvalues (the squared singular values of J), from the
    equation the S-transforms give for m = M_JJᵀ(λ) = M_D²(x):

        1/λ = m/(1 + m) · (S_D²(m) S_WWᵀ(m))^L,   S_D²(m) = (1 + m)/(m x),

    solved for x by Newton's method in the complex plane (the physical root has Im x > 0,
    Im m < 0), continued from the right edge of the support down a grid; then
    ρ(λ) = −Im m/(πλ). In logarithms: Φ(x) = (1 − L) log m + (L − 1 − gL) log(1 + m)
    − L log(σ_w² x) = log(1/λ), g = 1 (Gaussian) or 0 (orthogonal). The right edge
    λ_max is the minimum of λ(x) over real x above sup σ'² (where dλ/dx = 0)."""

    def __init__(self, slopes: Slopes, sigma_w2, depth: int, weights: str, dps: int):
        # (below float64's digits, float64's: Newton's steps and the continuation's need
        # them, however few digits the answer shows)
        self.slopes, self.depth, self.weights = slopes, depth, weights
        self.dps = max(dps, FLOAT_DIGITS)
        self.sigma_w2 = sigma_w2
        self._solved: dict = {}  # λ/s: x, for warm starts
        self._floor = mpmath.mpf(0)  # a band's lower edge met on the way down: no density below

    @property
    def working_dps(self) -> int:
        """Guard digits above 15; at 15, float64's (NumPy sums the quadrature)."""
        return self.dps if self.dps <= FLOAT_DIGITS else self.dps + GUARD_DIGITS

    @property
    def scale(self) -> mpmath.mpf:
        """s = σ_w^(2L): σ_w² enters the equation only as the factor (σ_w²)^L of λ, so the
        density is solved at σ_w² = 1 and λ scaled by s (σ_w² = 10^30 or 10^-30 alike)."""
        return _mpf(self.sigma_w2) ** self.depth

    def _phi(self, x, levels: int | None = None) -> tuple:
        """(Φ(x), Φ'(x), m) at σ_w² = 1."""
        m, dm = self.slopes.transform(x, levels)
        depth, g = self.depth, 1 if self.weights == "gaussian" else 0
        a, b = 1 - depth, depth - 1 - g * depth
        log = mpmath.log
        value = a * log(m) + b * log(1 + m) - depth * log(x)
        return value, (a / m + b / (1 + m)) * dm - depth / x, m

    @property
    def right_edge(self) -> tuple:
        """(λ_max, x there): the largest squared singular value of the limit."""
        top, x = self._unit_edge
        with mpmath.workdps(self.working_dps):
            return top * self.scale, x

    @property
    def _unit_edge(self) -> tuple:
        """``right_edge`` at σ_w² = 1."""
        return self._edge[:2]

    @property
    def edge_is_bound(self) -> bool:
        """Whether ``right_edge`` only bounds λ_max (see ``_edge``)."""
        return self._edge[2]

    @cached_property
    def _edge(self) -> tuple:
        """(λ_max at σ_w² = 1, x there, whether it is only a bound)."""
        with mpmath.workdps(self.working_dps):
            top = _mpf(self.slopes.largest)
            if self.weights == "orthogonal" and self.depth == 1:
                return top, top, False  # (JJᵀ = σ_w² D²: its largest value is sup σ'²)

            def slope(t):  # Φ' > 0 where λ decreases (the scan's quadratures kept coarse)
                return self._phi(top + t, SCAN_LEVELS)[1]
            # down from x = sup σ'² + 10^8 (λ grows with x there) to the first x where λ
            # grows as x falls: the minimum lies between
            high, low, stopped = None, None, False
            for k in range(8, -self.dps - 6, -1):
                offset = top * mpmath.mpf(10) ** k
                try:
                    rising = slope(offset) > 0
                except ZeroDivisionError:  # (x at an atom within the working digits: the
                    break  # scan has gone as close to sup σ'² as the digits go)
                except SymgradError:  # (a smooth σ'²'s law not computable this close to
                    stopped = True  # its peak: the minimum may lie closer still)
                    break
                if rising:
                    low = offset
                    break
                high = offset
            if low is None and self.weights == "gaussian":  # (they always have a minimum)
                raise SymgradError("No right edge was found for this spectrum: it lies closer "
                                   "to the slopes' largest square than their law can be "
                                   "computed; ask for a smaller σ_w² or depth.")
            if low is None:  # λ(x) grows from x = sup σ'² on as far as the scan went: the
                # edge is its limit there, where m → ∞, (σ_w² sup σ'²)^L with orthogonal
                # weights, if the scan reached the working digits; where the slopes' law
                # could not be computed that close (gelu at σ_w² = 1.5, depth 3: nets reach
                # 0.65, the limit is 6.99), it is only a bound: ‖J‖² ≤ ∏ ‖W_l‖² ‖D_l‖²
                return top ** self.depth, top, stopped or high is None
            else:
                for _ in range(4 * mpmath.mp.prec):  # bisection on the sign of Φ'
                    middle = (low + high) / 2
                    if middle in (low, high):
                        break
                    low, high = (middle, high) if slope(middle) > 0 else (low, middle)
                x = top + (low + high) / 2
            return mpmath.exp(-self._phi(x)[0]), x, False

    def _edge_below(self, x, here):
        """Where the root followed down to ``here`` (at ``x``, near the real axis) meets
        it: a real critical point of Φ near Re x, the lower edge of the band, as
        (λ there, x there); None if there is none just below ``here``."""
        point = mpmath.re(x)
        h = abs(point) * mpmath.mpf(10) ** (-self.working_dps // 3)
        for _ in range(60):
            try:
                slope = mpmath.re(self._phi(mpmath.mpc(point))[1])
                curvature = (mpmath.re(self._phi(mpmath.mpc(point + h))[1])
                             - mpmath.re(self._phi(mpmath.mpc(point - h))[1])) / (2 * h)
            except (ZeroDivisionError, ValueError):
                return None
            step = slope / curvature
            point -= step
            if abs(step) <= abs(point) * mpmath.mpf(2) ** (-mpmath.mp.prec // 2):
                break
        else:
            return None
        value = self._phi(mpmath.mpc(point))[0]
        lam = mpmath.exp(-mpmath.re(value))
        return (lam, point) if lam <= here * (1 + mpmath.mpf(10) ** -6) else None

    def _newton(self, log_target, start, iterations: int = 30):
        """The root of Φ(x) + log λ that Newton's method reaches from ``start`` (kept in
        Im x ≥ 0), or None if it does not settle within ``iterations``."""
        x = start
        tolerance = mpmath.mpf(2) ** (-mpmath.mp.prec + 10)
        small = tolerance * (1 + abs(log_target))
        for _ in range(iterations):
            value, derivative, _ = self._phi(x)
            residual = value + log_target
            if abs(residual) <= small:  # (near the edge Φ' → 0: the residual tells first)
                return x
            step = residual / derivative
            x -= step
            if x.imag < 0:
                x = mpmath.mpc(x.real, -x.imag)
            if abs(step) <= tolerance * abs(x):
                return x
        return None

    @property
    def point_mass(self) -> bool:
        """Atoms only, no density: JJᵀ = c·I (one slope, orthogonal weights: a linear net),
        or one layer of orthogonal weights, JJᵀ = σ_w² D², over slopes that take a few
        values (relu: 0 and 1)."""
        exact = self.slopes.exact
        return self.weights == "orthogonal" and exact is not None and (
            len(exact) == 1 or self.depth == 1)

    def at(self, lam) -> mpmath.mpf:
        """ρ(λ) for λ > 0, to the working digits."""
        with mpmath.workdps(self.working_dps):
            scale = self.scale
            lam = _mpf(lam) / scale  # (solved at σ_w² = 1: ρ(λ) = ρ₁(λ/s)/s)
            top, _ = self._unit_edge
            one_layer = self.weights == "orthogonal" and self.depth == 1
            if self.point_mass or lam <= self._floor or \
                    lam >= top * (1 + mpmath.mpf(10) ** -DENSITY_DIGITS):
                return mpmath.mpf(0)
            if lam >= top * (1 - mpmath.mpf(10) ** -DENSITY_DIGITS):  # λ_max to the grid's
                # digits: 0 where the support ends as √(λ_max − λ); one layer's density
                # ends as 1/√ where σ'² has its maximum at a finite h
                return mpmath.inf if one_layer and self.slopes.peaks_inside() else \
                    mpmath.mpf(0)
            if one_layer:
                return self.slopes.density(lam) / scale
            x = self._continue(lam)
            if x is None:  # below a band's lower edge
                return mpmath.mpf(0)
            m = self.slopes.transform(x)[0]
            return max(-mpmath.im(m) / (mpmath.pi * lam), mpmath.mpf(0)) / scale

    def _continue(self, lam):
        """x at λ, continued down from the nearest λ solved before, or from the right edge
        (leaving the real axis as √(λ_max − λ)). Each step starts Newton's method from the
        tangent, dx/dλ = −1/(λ Φ'(x)), and is taken only where it lands close to it (an error
        of second order in the step), so the root followed is the physical one (the others
        are 2π/L apart in the phase of the L-th power); a step that fails is halved, one that
        succeeds doubles, at most a tenth of λ."""
        top, edge_x = self._unit_edge
        above = [k for k in self._solved if k >= lam]
        if above:
            here = min(above)
            x = self._solved[here]
            step = here - lam
        else:
            here, x = top, None
            step = top * mpmath.mpf(10) ** -4
        tiny = mpmath.mpf(10) ** (-self.dps)
        while here > lam:
            target = max(lam, here - step, here * mpmath.mpf("0.9"))
            if x is None or here == top or abs(x - edge_x) < abs(edge_x) * mpmath.mpf(10) ** -3:
                guess = self._leave_edge(target, top, edge_x)  # (the tangent is vertical there)
                reference = edge_x
            else:
                guess = x + (target - here) * -1 / (here * self._phi(x)[1])
                reference = x
            found = self._newton(mpmath.log(target), mpmath.mpc(guess), iterations=8)
            if found is not None and abs(found - guess) <= abs(guess - reference) / 8 + \
                    abs(reference) * tiny:
                step = 2 * (here - target)
                here, x = target, found
                self._solved[here] = x
            else:
                step /= 2
                if step < top * tiny:
                    edge = self._edge_below(x, here) if x is not None else None
                    # (at the edge itself, to half the digits, the density is 0 to them too)
                    if edge is not None and lam <= edge[0] * (1 + mpmath.sqrt(tiny)):
                        self._floor = max(self._floor, edge[0])
                        return None
                    raise SymgradError("The spectral density's equation could not be followed "
                                       f"down to λ = {mpmath.nstr(lam, 8)}.")
        return x

    def _leave_edge(self, lam, top, edge_x):
        """A first guess just inside the edge: Φ(x) ≈ Φ(x*) + Φ''(x*)(x − x*)²/2."""
        h = abs(edge_x) * mpmath.mpf(10) ** (-self.dps // 2)
        curvature = (self._phi(edge_x + h)[1] - self._phi(edge_x - h)[1]) / (2 * h)
        shift = mpmath.sqrt(2 * (mpmath.log(top) - mpmath.log(lam)) / abs(curvature))
        return mpmath.mpc(edge_x, shift)


# --- the result ---------------------------------------------------------------------------

DENSITY_DIGITS = 15  # the plotting grid's density: float64 (see ``Slopes.transform``)
VERDICTS = ("isometric", "near-isometric", "not isometric")


@dataclass(frozen=True)
class Spectrum:
    """The limiting spectrum of JJᵀ at one depth (its eigenvalues: the squared singular
    values of J), and, if asked, sampled nets of finite width beside it."""

    mean_field: MeanFieldResult
    weights: str
    dps: int
    moments: tuple  # m_1 … m_K of JJᵀ (exact or mpf)
    slope_moments: tuple  # μ_1 … μ_K of σ'(√q* Z)²
    atom_at_zero: object  # the mass of JJᵀ's eigenvalue 0 (relu: 1/2), exact
    right_edge: object  # λ_max, to dps digits
    edge_growth: tuple  # ((depth, λ_max there), …) at 15 digits
    density: tuple  # ((λ, ρ(λ) or None where it cannot be computed), …) on the grid, float64
    points: tuple  # ((λ, ρ(λ)), …) at the points asked, to dps digits
    sampled: object = None  # finite_width.SampledSpectra, or None
    shallower: tuple = ()  # ((depth, its density as ``density``), …) at the depths asked
    atoms: tuple = ()  # ((λ, mass), …) where the limit is atoms only (``Density.point_mass``)
    log_grid: bool = False  # the grids spaced evenly in log λ (``log_grid_bottom``)
    bounded_edges: frozenset = frozenset()  # depths whose λ_max is only a bound, (σ_w² sup σ'²)^L

    @property
    def activation(self) -> Activation:
        return self.mean_field.activation

    @property
    def depth(self) -> int:
        return self.mean_field.depth

    @property
    def spread_per_layer(self):
        """c = μ₂/μ₁² − 1 − s₁ (s₁ = −1 Gaussian, 0 orthogonal): σ² gained per layer."""
        mu1, mu2 = self.slope_moments[:2]
        with mpmath.workdps(self.dps + GUARD_DIGITS):  # (μ_k are mpf at these digits)
            return mu2 / mu1 ** 2 - 1 + (1 if self.weights == "gaussian" else 0)

    @property
    def variance(self):
        """σ² = m_2/m_1² − 1: the spread of the squared singular values about their
        mean, relative to it; computed as c·L, which it equals exactly (m_2/m_1² − 1 itself
        loses to cancellation the digits σ² is below 1)."""
        with mpmath.workdps(self.dps + GUARD_DIGITS):
            return self.spread_per_layer * self.depth

    @property
    def verdict(self) -> str:
        """isometric: σ² = 0 at every depth; near-isometric: σ² = cL below 1 at this
        depth (it reaches 1 at depth 1/c); not isometric: σ² ≥ 1 here."""
        c = self.spread_per_layer
        if c == 0 or (not isinstance(c, sympy.Basic) and abs(c) < mpmath.mpf(10) ** -self.dps):
            return "isometric"
        return "near-isometric" if c * self.depth < 1 else "not isometric"

    @property
    def isometric_depth(self):
        """1/c: the depth at which σ² reaches 1 (None where c = 0)."""
        c = self.spread_per_layer
        return None if self.verdict == "isometric" else 1 / c

    def sampled_histogram(self):
        """The sampled squared singular values binned on the limiting density's range, or
        up to the sampled 99th percentile where that lies beyond (at most twice as far), in
        log λ where the density's grid is: a ``finite_width.Histogram``, or None without
        samples."""
        if self.sampled is None:
            return None
        top = float(self.right_edge)
        values = self.sampled.values()
        finite = values[numpy.isfinite(values)]
        if len(finite):
            top = max(top, min(float(numpy.quantile(finite, 0.99)), 2 * top))
        bottom = log_grid_bottom(self.right_edge, self.moments[0], self.atom_at_zero)
        return self.sampled.histogram(top, bottom=None if bottom is None else float(bottom))

    def mean_at(self, depth: int) -> mpmath.mpf:
        """m_1 = χ1^depth, the mean squared singular value at ``depth`` (float64's digits,
        any exponent)."""
        with mpmath.workdps(DENSITY_DIGITS):
            return _mpf(self.mean_field.chi) ** depth

    @property
    def edge_growth_relative(self) -> tuple:
        """((depth, λ_max, λ_max/m_1 with m_1 = χ1^depth), …): how far the largest
        squared singular value runs ahead of the mean."""
        chi = self.mean_field.chi
        with mpmath.workdps(DENSITY_DIGITS):
            chi = _mpf(chi)
            return tuple((d, edge, edge / chi ** d) for d, edge in self.edge_growth)

    @property
    def hanin(self):
        """∏_j (1 + 5/n_j) for the sampled widths, where Hanin's result holds (ReLU at
        σ_w² = 2, σ_b² = 0, Gaussian weights); else None."""
        from symgrad.analysis.finite_width import hanin_ratio
        if (self.sampled is None or self.weights != "gaussian"
                or self.mean_field.activation.name != "relu"
                or self.mean_field.sigma_w2 != 2 or self.mean_field.sigma_b2 != 0):
            return None
        return hanin_ratio([self.sampled.width] * self.depth)


GROWTH_DEPTHS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


MAX_SHALLOWER = 4  # depths whose densities are drawn beside the depth's
LOG_GRID_RATIO = 5  # λ_max/m_1 above which the density's grid is logarithmic
LOG_GRID_DECADES = 3  # a logarithmic grid spans at least this many decades below λ_max
GRID_DIGITS = 8  # the density grid's values as shown (JSON, figures): its float64 quadrature
# holds about 13, and float64's last digits may differ between CPUs' vector code


def spectrum_work(grid: int, shallower=(), width=None, samples: int = 0) -> int:
    """The steps ``spectrum``'s progress counts: a density's grid point, a sampled net."""
    return grid * (1 + len(shallower)) + (samples if width is not None else 0)


def spectrum(activation: Activation, sigma_w2, sigma_b2=0, depth: int = 1,
             weights: str = "orthogonal", dps: int = MEANFIELD_DPS, moments: int = 4,
             grid: int = 200, at=(), width=None, samples: int = 20, seed: int = 0,
             progress=None, shallower=()) -> Spectrum:
    """The limiting spectrum of JJᵀ for a wide net of ``depth`` layers at the mean-field
    fixed point: its first ``moments`` moments, spread and right edge to ``dps`` digits,
    the density on ``grid`` points of (0, λ_max] and at the points ``at``, and on its own
    grid at each of the ``shallower`` depths; with a ``width``, ``samples`` nets of that
    width drawn from ``seed`` beside it. ``progress(1)``: one more of the
    ``spectrum_work`` steps done."""
    if weights not in WEIGHTS:
        raise SymgradError(f"The weights must be gaussian or orthogonal, not {shown(weights)}.")
    for value, name, low, high in ((moments, "number of moments", 2, MAX_MOMENT),
                                   (grid, "number of grid points", 0, MAX_GRID)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise SymgradError(f"The {name} must be a whole number from {low} to {high}.")
    if depth > MAX_SPECTRUM_DEPTH:
        raise SymgradError(f"The depth {depth} is above the largest the spectrum supports, "
                           f"{MAX_SPECTRUM_DEPTH}.")
    points_asked = [_checked_point(lam) for lam in at]
    shallower = _checked_shallower(shallower, depth)
    if width is not None:
        from symgrad.analysis.finite_width import check_sampling
        check_sampling(width, samples, depth)
    field = mean_field(activation, sigma_w2, sigma_b2, depth, dps)
    # (a piecewise-linear σ with its kink at 0 has the same σ'² law at every q: its spectrum
    # needs no fixed point, and its samples start at q = 1, as mean field's do)
    homogeneous = MeanField(activation).homogeneous_slopes is not None
    if not homogeneous and (field.fixed.q is None or field.fixed.kind == "identity"):
        raise SymgradError("The preactivations' variance has no fixed point here (it grows "
                           "without bound, or keeps any value): the spectrum is taken at one.")
    q = 1 if field.fixed.q is None else field.fixed.q
    slopes = Slopes(MeanField(activation), q)
    if slopes.exact is None and q > MAX_SMOOTH_Q:
        raise SymgradError(f"The preactivations' variance q* = {mpmath.nstr(_mpf(q), 3)} is "
                           "past 10^1000, where a smooth σ' lives on a sliver of the "
                           "Gaussian's range and its moments take minutes; take a smaller σ_w².")
    mus = slopes.moments(moments, dps)
    if mus[0] == 0:
        raise SymgradError("σ' is 0 on the Gaussian almost everywhere: the Jacobian is 0.")
    exact_weights = slopes.exact is not None
    with mpmath.workdps(dps + GUARD_DIGITS):
        w2 = field.sigma_w2 if exact_weights else _mpf(field.sigma_w2)
        found = moment_series_of_free_product(mus, w2, depth, weights)
    limit = Density(slopes, field.sigma_w2, depth, weights, dps)
    top = limit.right_edge[0]
    rough = Density(slopes, field.sigma_w2, depth, weights, min(dps, DENSITY_DIGITS)) \
        if dps > DENSITY_DIGITS else limit
    growing = [Density(slopes, field.sigma_w2, d, weights, DENSITY_DIGITS)
               for d in GROWTH_DEPTHS if d < depth]
    growth = tuple((d.depth, d.right_edge[0]) for d in growing) + ((depth, top),)
    bounded = frozenset(d.depth for d in (*growing, limit) if d.edge_is_bound)
    bottom = log_grid_bottom(top, found[0], slopes.atom_at_zero)
    density = _density_on_a_grid(rough, top, grid, progress, bottom)
    others = []
    for other in shallower:  # (on a log grid of its own where the depth's is logarithmic)
        density_there = Density(slopes, field.sigma_w2, other, weights, DENSITY_DIGITS)
        top_there = density_there.right_edge[0]
        with mpmath.workdps(DENSITY_DIGITS):
            mean_there = _mpf(found[0]) ** (mpmath.mpf(other) / depth)  # (m_1 = χ1^L)
        bottom_there = log_grid_bottom(top_there, mean_there, slopes.atom_at_zero,
                                       log=bottom is not None)
        others.append((other, _density_on_a_grid(density_there, top_there, grid, progress,
                                                  bottom_there)))
    points = tuple((lam, limit.at(lam)) for lam in points_asked)
    sampled = None
    if width is not None:
        from symgrad.analysis.finite_width import sample_spectra
        with mpmath.workdps(DENSITY_DIGITS):
            sampled = sample_spectra(activation, float(field.sigma_w2), float(field.sigma_b2),
                                     float(q), depth, width, samples, seed, weights,
                                     progress)
    return Spectrum(field, weights, dps, tuple(found), tuple(mus), slopes.atom_at_zero, top,
                    growth, density, points, sampled, tuple(others),
                    _atoms(slopes, w2, depth) if limit.point_mass else (), bottom is not None,
                    bounded)


def _atoms(slopes: Slopes, sigma_w2, depth: int) -> tuple:
    """The atoms of a spectrum without density (orthogonal weights): JJᵀ = (σ_w² d)^L·I
    for one slope value d, and σ_w² D² for one layer (mass p at σ_w² d for each atom (d, p)
    of σ'²), in increasing order."""
    exact = slopes.exact
    if len(exact) == 1:
        return (((sigma_w2 * exact[0][0]) ** depth, sympy.Integer(1)),)
    return tuple((sigma_w2 * d, p) for d, p in exact)


def _density_on_a_grid(limit: Density, top, grid: int, progress=None, bottom=None) -> tuple:
    """(λ, ρ(λ)) at λ = top·k/grid, k = 1 … grid; with ``bottom``, at ``grid`` points
    spaced evenly in log λ from bottom to top (see ``_down_the_grid``)."""
    with mpmath.workdps(DENSITY_DIGITS):
        top = mpmath.mpf(top)
        if bottom is None:
            lams = [top * k / grid for k in range(grid, 0, -1)]
        else:
            ratio = (mpmath.mpf(bottom) / top) ** (mpmath.mpf(1) / max(grid - 1, 1))
            lams = [top * ratio ** k for k in range(grid)]
    return tuple(reversed(_down_the_grid(limit, lams, progress)))


def share_on_grid(density) -> float:
    """∫ρ(λ) dλ over a density's grid by the trapezoid rule (skipping where ρ is None or
    infinite): the share of the squared singular values its range holds."""
    total = 0.0
    for (a, rho_a), (b, rho_b) in zip(density, density[1:]):
        if rho_a is None or rho_b is None or mpmath.isinf(rho_a) or mpmath.isinf(rho_b):
            continue
        total += float((b - a) * (rho_a + rho_b) / 2)
    return total


def log_grid_bottom(top, mean, atom=0, log: bool | None = None):
    """Where a logarithmic grid starts, or None for a linear one: where λ_max runs more than
    LOG_GRID_RATIO times ahead of the mean m_1 (Gaussian weights at depth: on a linear axis
    from 0 to λ_max the whole density would stand in its first few points), at m_1²/λ_max,
    as far below the mean as λ_max is above it (in log λ), and at least LOG_GRID_DECADES
    decades below λ_max. The mean is that of the density's part: m_1/(1 − the mass
    ``atom`` at 0) (relu's half at 0 would make one Gaussian layer look spread). ``log``
    True or False decides instead (another depth, drawn as the depth is)."""
    with mpmath.workdps(DENSITY_DIGITS):
        top, mean = _mpf(top), _mpf(mean) / (1 - _mpf(atom))
        if log is False or log is None and (not mean > 0 or top <= LOG_GRID_RATIO * mean):
            return None
        return min(mean * mean / top, top * mpmath.mpf(10) ** -LOG_GRID_DECADES)


def _checked_shallower(depths, depth: int) -> tuple[int, ...]:
    """The depths to draw beside ``depth``: distinct whole numbers from 1 to depth − 1,
    at most MAX_SHALLOWER, in increasing order."""
    depths = tuple(depths)
    if depths and depth == 1:
        raise SymgradError("A net of depth 1 has no smaller depth to draw beside it.")
    if len(depths) > MAX_SHALLOWER:
        raise SymgradError(f"At most {MAX_SHALLOWER} other depths can be drawn beside the "
                           f"depth, not {len(depths)}.")
    for other in depths:
        if isinstance(other, bool) or not isinstance(other, int) or not 1 <= other < depth:
            raise SymgradError(f"Another depth to draw must be a whole number from 1 to "
                               f"{depth - 1} (below the depth), not {shown(other)}.")
    if len(set(depths)) < len(depths):
        raise SymgradError("The other depths to draw must be different.")
    return tuple(sorted(depths))




def _down_the_grid(limit: Density, lams: list, progress=None) -> list:
    """(λ, ρ(λ)) from the largest λ down; below a λ where ρ cannot be computed (a smooth
    σ'² whose E[d/(x − d)] is wanted too close to its range: see ``Slopes.transform``),
    (λ, None) for it and every smaller one. ``progress(1)`` after each point."""
    found = []
    for lam in lams:
        if found and found[-1][1] is None:
            found.append((lam, None))
        else:
            try:
                found.append((lam, limit.at(lam)))
            except SymgradError:
                found.append((lam, None))
        if progress is not None:
            progress(1)
    return found


def _checked_point(value):
    number = exact(value, "a point of the density")
    if not number > 0:
        raise SymgradError(f"A point of the density must be above 0, not {value}.")
    return number
