"""``symgrad eval --widths``: a matrix net's exact pass and its Jacobian's spectrum.

Forward z^l = W^l a^{l-1} + b^l, a^l = σ(z^l); backward δ^L = σ'(z^L) ⊙ ∇_{a^L}C,
δ^l = σ'(z^l) ⊙ (W^{l+1})^T δ^{l+1}, ∂C/∂W^l = δ^l (a^{l-1})^T, ∂C/∂a^0 = (W^1)^T δ^1.
The input-output Jacobian J = D_L W^L ⋯ D_1 W^1 is multiplied out and its singular
values found by mpmath's SVD.

Precision: a product of L matrices loses digits (about log10 of how badly it is
conditioned), so the singular values are computed at two working precisions and
the digits raised until every value agrees to dps digits, or is so small beside the
largest that the working digits cannot tell it from 0 (a dead ReLU, a rank-deficient
net): such a value is reported as at most that bound, not as a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import gmpy2
import mpmath
import numpy
import sympy

from symgrad.costs import check_output
from symgrad.display import MarkdownDisplay
from symgrad.errors import SymgradError
from symgrad.networks import MatrixNet
from symgrad.numeric.evaluate import check_dps
from symgrad.numeric.kinds import Arithmetic, mpfr_arithmetic, mpmath_arithmetic
from symgrad.numeric.net_parameters import NetParameters
from symgrad.numeric.real import to_mpmath

GUARD_DIGITS = 10
MAX_WORKING_DPS = 20_000


@dataclass(frozen=True)
class NetLayer:
    """One layer's numbers: vectors and matrices are numpy object arrays of MPFR (or
    mpmath) numbers."""

    layer: int
    z: numpy.ndarray
    a: numpy.ndarray
    act_prime: numpy.ndarray
    delta: numpy.ndarray
    grad_w: numpy.ndarray  # δ^l (a^{l-1})^T, n_l × n_{l-1}
    arithmetic: Arithmetic

    @property
    def grad_b(self) -> numpy.ndarray:
        return self.delta

    @property
    def delta_norm(self):
        with self.arithmetic.scope():
            return _norm(self.delta)

    def arithmetic_norm(self, vector: numpy.ndarray):
        """The Euclidean norm of a vector of this pass's numbers, at its precision."""
        with self.arithmetic.scope():
            return _norm(vector)

    @property
    def grad_w_norm(self):
        """The Frobenius norm of ∂C/∂W^l."""
        with self.arithmetic.scope():
            return _norm(self.grad_w.ravel())


def _norm(vector: numpy.ndarray):
    """The Euclidean norm, in the vector's own number kind (the caller sets the precision)."""
    return vector.dot(vector) ** 0.5


@dataclass(frozen=True)
class Spectrum:
    """The singular values of ∂a^L/∂a^0, largest first, with what bounds them."""

    values: tuple[mpmath.mpf, ...]
    resolved: tuple[bool, ...]  # known to dps digits (or exactly 0)
    floor: mpmath.mpf  # an unresolved value is below this: 0 as far as the digits tell
    weight_norms: tuple[mpmath.mpf, ...]  # ‖W^k‖₂ (float64 SVD of the scaled matrix)
    sup_derivative: mpmath.mpf  # sup|σ'|
    working_dps: int

    @property
    def spectral_norm(self) -> mpmath.mpf:
        return self.values[0]

    @property
    def condition_number(self) -> mpmath.mpf:
        """σ_max / σ_min; inf where σ_min is 0 (or not resolved from it)."""
        smallest = self.values[-1]
        return self.values[0] / smallest if self.resolved[-1] and smallest else mpmath.inf

    @property
    def bound(self) -> mpmath.mpf:
        """∏‖W^k‖₂ · (sup|σ'|)^L ≥ ‖J‖₂."""
        return mpmath.fprod(self.weight_norms) * self.sup_derivative ** len(self.weight_norms)


@dataclass(frozen=True)
class NetEvaluation(MarkdownDisplay):
    net: MatrixNet
    parameters: NetParameters
    x: tuple[sympy.Rational, ...]
    y: tuple[sympy.Rational, ...]
    dps: int
    layers: tuple[NetLayer, ...]
    input_gradient: numpy.ndarray
    cost: object
    spectrum: Spectrum

    @property
    def depth(self) -> int:
        return self.net.depth

    @property
    def input_gradient_norm(self):
        return self.layers[0].arithmetic_norm(self.input_gradient)


def evaluate_net(net: MatrixNet, parameters: NetParameters, x, y, dps: int = 30) -> NetEvaluation:
    """The exact pass at ``dps`` digits (MPFR; mpmath if the numbers leave MPFR's exponent
    range) and the Jacobian's singular values to ``dps`` digits."""
    check_dps(dps)
    if len(x) != net.widths[0]:
        raise SymgradError(f"Give {net.widths[0]} inputs (one per input unit), not {len(x)}.")
    if len(y) != net.widths[-1]:
        raise SymgradError(f"Give {net.widths[-1]} targets (one per output unit), not {len(y)}.")
    working = dps + GUARD_DIGITS + len(str(net.depth))
    for make in (mpfr_arithmetic, mpmath_arithmetic):
        math = make(net, working)
        with math.scope():
            layers, input_gradient, cost = _pass(net, parameters, x, y, math)
        if not math.out_of_range():
            break
    spectrum = _spectrum(net, parameters, layers, dps)
    return NetEvaluation(net, parameters, tuple(x), tuple(y), dps, layers, input_gradient, cost,
                         spectrum)


def _array(values, number) -> numpy.ndarray:
    """A numpy object array of numbers of one kind (nested lists give a matrix)."""
    return numpy.array([[number(v) for v in row] for row in values] if _nested(values)
                       else [number(v) for v in values], dtype=object)


def _nested(values) -> bool:
    return len(values) > 0 and isinstance(values[0], (tuple, list))


def _pass(net: MatrixNet, parameters: NetParameters, x, y, math: Arithmetic):
    weights = [_array(w, math.number) for w in parameters.weights]
    biases = [_array(b, math.number) for b in parameters.biases]
    a = _array(x, math.number)
    inputs, zs, slopes = [], [], []
    for w, b in zip(weights, biases):
        inputs.append(a)
        z = w.dot(a) + b
        pairs = [math.sigma_and_derivative(value) for value in z]
        a = numpy.array([p[0] for p in pairs], dtype=object)
        zs.append(z)
        slopes.append(numpy.array([p[1] for p in pairs], dtype=object))
    for value in a:
        check_output(net.cost, value)
    costs = [math.cost_and_derivative(value, target) for value, target in zip(a, _array(y, math.number))]
    cost = sum((c[0] for c in costs[1:]), start=costs[0][0])
    upstream = numpy.array([c[1] for c in costs], dtype=object)  # ∇_{a^L} C
    layers = [None] * net.depth
    for index in range(net.depth - 1, -1, -1):
        delta = upstream * slopes[index]
        output = inputs[index + 1] if index + 1 < net.depth else a
        layers[index] = NetLayer(index + 1, zs[index], output, slopes[index], delta,
                                 numpy.outer(delta, inputs[index]), math)
        upstream = weights[index].T.dot(delta)  # ∂C/∂a^{l-1}
    return tuple(layers), upstream, cost


def _spectrum(net: MatrixNet, parameters: NetParameters, layers, dps: int) -> Spectrum:
    """Singular values to ``dps`` digits: computed at two working precisions, a value
    counts as known when both agree to dps + 1 digits; otherwise the digits go up (the
    product of many matrices loses about log10 of its condition). A value still
    unsettled once it lies below 10^-(working - dps) of the largest is zero as far as
    the working digits can tell, and is reported as at most that."""
    sup = mpmath.mpf(net.activation.derivative_abs_sup)
    norms = tuple(_spectral_norm(w) for w in parameters.weights)
    working = dps + GUARD_DIGITS
    previous = _singular_values(net, parameters, layers, working)
    while True:
        finer = working + max(GUARD_DIGITS, working // 2)
        values = _singular_values(net, parameters, layers, finer)
        with mpmath.workdps(finer):
            settled = [abs(v - p) <= abs(v) * mpmath.mpf(10) ** -(dps + 1)
                       for v, p in zip(values, previous)]
            floor = values[0] * mpmath.mpf(10) ** -(finer - dps - GUARD_DIGITS)
        if all(ok or v <= floor for ok, v in zip(settled, values)) or finer >= MAX_WORKING_DPS:
            resolved = tuple(ok and v > floor or v == 0 for ok, v in zip(settled, values))
            return Spectrum(tuple(values), resolved, floor, norms, sup, finer)
        working, previous = finer, values


def _singular_values(net, parameters, layers, working: int) -> list[mpmath.mpf]:
    """σ_i(J), largest first, J = D_L W^L ⋯ D_1 W^1 multiplied out at ``working`` digits
    (in MPFR, or mpmath where MPFR's exponents would not reach), then mpmath's SVD."""
    for make in (mpfr_arithmetic, mpmath_arithmetic):
        math = make(net, working)
        with math.scope():
            jacobian = _array(numpy.eye(net.widths[0], dtype=int).tolist(), _integer(math))
            for w, layer in zip(parameters.weights, layers):
                slopes = numpy.array([math.number(_exact(s)) for s in layer.act_prime], dtype=object)
                jacobian = slopes[:, None] * _array(w, math.number).dot(jacobian)  # D_l W^l J
        if not math.out_of_range():
            break
    with mpmath.workdps(working):
        matrix = mpmath.matrix([[to_mpmath(v) for v in row] for row in jacobian])
        return sorted((+v for v in mpmath.svd_r(matrix, compute_uv=False)), reverse=True)


def _integer(math: Arithmetic):
    return lambda value: math.number(sympy.Integer(value))


def _exact(value):
    """A pass's number as something every kind's ``number`` takes."""
    return value if isinstance(value, (mpmath.mpf, gmpy2.mpfr)) else mpmath.mpf(value)


def _spectral_norm(weight) -> mpmath.mpf:
    """‖W‖₂ by float64 SVD of W / max|w| (so no entry overflows), scaled back exactly."""
    with mpmath.workdps(30):
        entries = [[to_mpmath(v) for v in row] for row in weight]
        largest = max(abs(v) for row in entries for v in row)
        if largest == 0:
            return mpmath.mpf(0)
        scaled = numpy.array([[float(v / largest) for v in row] for row in entries])
        return mpmath.mpf(float(numpy.linalg.norm(scaled, 2))) * largest
