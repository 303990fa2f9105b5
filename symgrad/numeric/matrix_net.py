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

from collections.abc import Callable
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
from symgrad.numeric.kinds import (
    Arithmetic,
    digits_to_bits,
    rational_arithmetic,
    rational_arithmetic_applies,
)
from symgrad.numeric.net_parameters import NetParameters
from symgrad.numeric.precision import AtMost, converged, guard_digits, in_range
from symgrad.numeric.real import exact_rational, to_mpmath

MAX_WORKING_DPS = 20_000
FLOOR_GUARD = 10  # a singular value below 10^-(working - dps - FLOOR_GUARD) of the largest is 0


@dataclass(frozen=True)
class NetLayer:
    """One layer's numbers: vectors and matrices are numpy object arrays of MPFR numbers
    (mpmath beyond MPFR's exponent range, exact rationals for a piecewise-linear net)."""

    layer: int
    z: numpy.ndarray
    a: numpy.ndarray
    act_prime: numpy.ndarray
    delta: numpy.ndarray
    grad_w: numpy.ndarray  # δ^l (a^{l-1})^T, n_l × n_{l-1}
    working_dps: int  # the digits its numbers were computed at (norms are taken at these)

    @property
    def grad_b(self) -> numpy.ndarray:
        return self.delta

    @property
    def delta_norm(self):
        return norm(self.delta, self.working_dps)

    @property
    def grad_w_norm(self):
        """The Frobenius norm of ∂C/∂W^l."""
        return norm(self.grad_w.ravel(), self.working_dps)


def norm(vector: numpy.ndarray, digits: int):
    """The Euclidean norm of a vector of one kind of number, rounded at ``digits`` digits."""
    if isinstance(vector[0], mpmath.mpf):
        with mpmath.workdps(digits):
            return mpmath.sqrt(vector.dot(vector))
    with gmpy2.context(precision=digits_to_bits(digits), emax=gmpy2.get_emax_max(),
                       emin=gmpy2.get_emin_min()):
        return gmpy2.sqrt(vector.dot(vector))


@dataclass(frozen=True)
class Spectrum:
    """The singular values of ∂a^L/∂a^0, largest first, with what bounds them."""

    values: tuple[mpmath.mpf, ...]
    floor: mpmath.mpf  # a value at or below this is 0 as far as the working digits tell
    weight_norms: tuple[mpmath.mpf, ...]  # ‖W^k‖₂ (float64 SVD of the scaled matrix)
    sup_derivative: mpmath.mpf  # sup|σ'|
    working_dps: int

    @property
    def resolved(self) -> tuple[bool, ...]:
        """Whether each value is known to the digits asked (or is exactly 0)."""
        return tuple(v > self.floor or v == 0 for v in self.values)

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
    arithmetic: str  # "mpfr", "mpmath" or "rational"

    @property
    def depth(self) -> int:
        return self.net.depth

    @property
    def input_gradient_norm(self):
        return norm(self.input_gradient, self.layers[0].working_dps)


@dataclass(frozen=True)
class _Pass:
    layers: tuple[NetLayer, ...]
    input_gradient: numpy.ndarray
    cost: object
    jacobian: numpy.ndarray  # D_L W^L ⋯ D_1 W^1, in the pass's numbers


def evaluate_net(net: MatrixNet, parameters: NetParameters, x, y, dps: int = 30,
                 progress: Callable[[int, int], None] | None = None) -> NetEvaluation:
    """The pass and the Jacobian's singular values to ``dps`` digits. ``progress(l,
    working)`` is told when layer l of a run at ``working`` digits is done.

    A piecewise-linear net with the quadratic cost runs in exact rationals (a
    preactivation exactly at a kink takes the branch it should), and only the spectrum
    is computed at rising digits. Otherwise pass and spectrum run together in MPFR (or
    mpmath beyond its exponent range) at rising working digits until two runs agree on
    every value shown: cancellation and ill-conditioned products cost digits."""
    check_dps(dps)
    if len(x) != net.widths[0]:
        raise SymgradError(f"Give {net.widths[0]} inputs (one per input unit), not {len(x)}.")
    if len(y) != net.widths[-1]:
        raise SymgradError(f"Give {net.widths[-1]} targets (one per output unit), not {len(y)}.")
    start = dps + guard_digits(net.depth)
    numbers = [*(v for w in parameters.weights for row in w for v in row),
               *(v for b in parameters.biases for v in b), *x, *y]
    if rational_arithmetic_applies(net, numbers):
        name, run = "rational", _pass(net, parameters, x, y, rational_arithmetic(net), start,
                                      progress)

        def compute(working):
            values = _singular_values(run.jacobian, working)
            return (working, values), _spectrum_shown(values, working, dps)

        working, values = converged(compute, dps, start, MAX_WORKING_DPS,
                                    "This net's singular values")
        working = max(working, start)
    else:
        def compute(working):
            math, run = in_range(net, working,
                                 lambda math: _pass(net, parameters, x, y, math, working, progress))
            values = _singular_values(run.jacobian, working)
            shown = [*_pass_shown(run), *_spectrum_shown(values, working, dps)]
            return (math.name, run, working, values), shown

        name, run, working, values = converged(compute, dps, start, MAX_WORKING_DPS,
                                               "This net's values")
    spectrum = Spectrum(tuple(values), _floor(values, working, dps),
                        tuple(_spectral_norm(w) for w in parameters.weights),
                        mpmath.mpf(net.activation.derivative_abs_sup), working)
    return NetEvaluation(net, parameters, tuple(x), tuple(y), dps, run.layers,
                         run.input_gradient, run.cost, spectrum, name)


def _array(values, number) -> numpy.ndarray:
    """A numpy object array of numbers of one kind (nested lists give a matrix)."""
    return numpy.array([[number(v) for v in row] for row in values] if _nested(values)
                       else [number(v) for v in values], dtype=object)


def _nested(values) -> bool:
    return len(values) > 0 and isinstance(values[0], (tuple, list))


def _pass(net: MatrixNet, parameters: NetParameters, x, y, math: Arithmetic, digits: int,
          progress) -> _Pass:
    """Forward (with the Jacobian), then backward, in ``math``'s numbers at ``digits``
    working digits (exact rationals: the digits norms are rounded at). The first layer's
    preactivations are formed exactly and rounded once."""
    weights = [_array(w, math.number) for w in parameters.weights]
    biases = [_array(b, math.number) for b in parameters.biases]
    a = _array(x, math.number)
    inputs, zs, slopes = [], [], []
    jacobian = _array(numpy.eye(net.widths[0], dtype=int).tolist(), lambda v: math.number(sympy.Integer(v)))
    for index, (w, b) in enumerate(zip(weights, biases)):
        inputs.append(a)
        z = _first_preactivations(parameters, x, math) if index == 0 else w.dot(a) + b
        pairs = [math.sigma_and_derivative(value) for value in z]
        a = numpy.array([p[0] for p in pairs], dtype=object)
        zs.append(z)
        slopes.append(numpy.array([p[1] for p in pairs], dtype=object))
        jacobian = slopes[-1][:, None] * w.dot(jacobian)  # D_l W^l (D_{l-1} W^{l-1} ⋯)
        if progress:
            progress(index + 1, digits)
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
                                 numpy.outer(delta, inputs[index]), digits)
        upstream = weights[index].T.dot(delta)  # ∂C/∂a^{l-1}
    return _Pass(tuple(layers), upstream, cost, jacobian)


def _first_preactivations(parameters: NetParameters, x, math: Arithmetic) -> numpy.ndarray:
    """W^1 x + b^1 in exact rationals, each entry rounded once (an exact 0 stays 0)."""
    inputs = [exact_rational(v) for v in x]
    return numpy.array([math.number(sum((exact_rational(w) * v for w, v in zip(row, inputs)),
                                        start=exact_rational(b)))
                        for row, b in zip(parameters.weights[0], parameters.biases[0])], dtype=object)


def _pass_shown(run: _Pass):
    yield run.cost
    yield from run.input_gradient
    for layer in run.layers:
        yield from layer.z
        yield from layer.act_prime
        yield from layer.delta


def _singular_values(jacobian: numpy.ndarray, working: int) -> list[mpmath.mpf]:
    """σ_i(J), largest first, by mpmath's SVD at ``working`` digits."""
    with mpmath.workdps(working):
        matrix = mpmath.matrix([[to_mpmath(v) for v in row] for row in jacobian])
        return sorted((+v for v in mpmath.svd_r(matrix, compute_uv=False)), reverse=True)


def _floor(values, working: int, dps: int) -> mpmath.mpf:
    with mpmath.workdps(working):
        return values[0] * mpmath.mpf(10) ** -(working - dps - FLOOR_GUARD)


def _spectrum_shown(values, working: int, dps: int) -> list[AtMost]:
    """Each singular value, settled once two runs agree on it or both put it at or below
    the floor: a value below 10^-(working - dps - FLOOR_GUARD) of the largest is 0 as far
    as the working digits can tell (a dead ReLU, a rank-deficient net)."""
    floor = _floor(values, working, dps)
    return [AtMost(v, floor) for v in values]


def _spectral_norm(weight) -> mpmath.mpf:
    """‖W‖₂ by float64 SVD of W / max|w| (so no entry overflows), scaled back exactly."""
    with mpmath.workdps(30):
        entries = [[to_mpmath(v) for v in row] for row in weight]
        largest = max(abs(v) for row in entries for v in row)
        if largest == 0:
            return mpmath.mpf(0)
        scaled = numpy.array([[float(v / largest) for v in row] for row in entries])
        return mpmath.mpf(float(numpy.linalg.norm(scaled, 2))) * largest
