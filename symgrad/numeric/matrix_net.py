"""``symgrad eval --widths``: a matrix net's exact pass and its Jacobian's spectrum.

Forward z^l = W^l a^{l-1} + b^l, a^l = σ(z^l); backward δ^L = σ'(z^L) ⊙ ∇_{a^L}C,
δ^l = σ'(z^l) ⊙ (W^{l+1})^T δ^{l+1}, ∂C/∂W^l = δ^l (a^{l-1})^T, ∂C/∂a^0 = (W^1)^T δ^1.
The input-output Jacobian J = D_L W^L ⋯ D_1 W^1 is multiplied out and its singular
values found by mpmath's SVD.

Precision: a product of L matrices loses digits (about log10 of how badly it is
conditioned), so the singular values are computed at two working precisions and
the digits raised until every value agrees to dps digits, or is so small beside the
largest that the working digits cannot tell it from 0: such a value is reported as at
most that bound, not as a number, unless it is proved 0: the net has a layer narrower
than its input and output (rank at most that width), or its Jacobian is exact (a
piecewise-linear net in rationals) and its exact rank says so.

Where balls apply (every net not run in exact rationals) the pass and the spectrum run in
Arb balls instead (``numeric.ball_net``): one certified run, its radii checked, more bits
only when they are too wide. The MPFR runs compared remain for what balls cannot decide
(a preactivation's ball straddling a kink, eigenvalues that cannot be isolated) and for
the spectrum of a net in exact rationals.

The spectrum is optional (``spectrum``): by default it is computed up to width
SPECTRUM_WIDTH, where the Jacobian's n³ products and eigenvalues stay within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from itertools import chain

import gmpy2
import mpmath
import numpy
import sympy
from flint import fmpq, fmpq_mat, nmod_mat
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from symgrad.arguments import digits, option
from symgrad.costs import check_output, check_run_output
from symgrad.digits import settled_digits
from symgrad.errors import SymgradError
from symgrad.formula import linear_pieces
from symgrad.networks import MatrixNet
from symgrad.numeric.ball_net import BallsGaveUpError, evaluate_balls
from symgrad.numeric.balls import in_mpfr_range, midpoint, quiet_blas
from symgrad.numeric.evaluate import MAX_DPS
from symgrad.numeric.kinds import (
    Arithmetic,
    digits_to_bits,
    interval_arithmetic,
    rational_arithmetic,
    rational_arithmetic_applies,
)
from symgrad.numeric.net_parameters import DrawnMatrix, NetParameters
from symgrad.numeric.precision import GUARD_STEP, AtMost, converged, guard_digits, in_range
from symgrad.numeric.real import exact_rational, to_mpmath
from symgrad.numeric.work import Work, digit_cost, orthogonal_work, svd_work

MAX_WORKING_DPS = 20_000
SPECTRUM_WIDTH = 128  # wider nets skip the Jacobian's spectrum unless it is asked
MAX_SPECTRUM_WIDTH = 512  # and past this it is refused: its n³ products and eigenvalues take hours
KINK_REFUSAL = ("A preactivation's ball straddles a kink of the activation, so which branch "
                "applies cannot be certified (a preactivation at, or within rounding of, the "
                "kink).")
KINK_HINT = (" With the quadratic cost the exact pass decides such ties for relu-like "
             "activations.")
FLOOR_GUARD = 10  # a singular value below 10^-(working - dps - FLOOR_GUARD) of the largest is 0


@dataclass(frozen=True)
class NetLayer:
    """One layer's numbers: vectors are numpy object arrays of MPFR numbers (mpmath beyond
    MPFR's exponent range, exact rationals for a piecewise-linear net); ∂C/∂W^l =
    δ^l (a^{l-1})ᵀ is formed when first read."""

    layer: int
    z: numpy.ndarray
    a: numpy.ndarray
    act_prime: numpy.ndarray
    delta: numpy.ndarray
    inputs: numpy.ndarray  # a^{l-1}
    working_dps: int  # the digits its numbers were computed at (norms are taken at these)

    @property
    def grad_b(self) -> numpy.ndarray:
        return self.delta

    @cached_property
    def grad_w(self) -> numpy.ndarray:
        """δ^l (a^{l-1})ᵀ, n_l × n_{l-1}, each product rounded at the working digits."""
        with _digits(self.delta, self.working_dps):
            return numpy.outer(self.delta, self.inputs)

    @property
    def delta_norm(self):
        return norm(self.delta, self.working_dps)

    @property
    def grad_w_norm(self):
        """The Frobenius norm of ∂C/∂W^l: ‖δ^l‖ ‖a^{l-1}‖ (it is an outer product)."""
        with _digits(self.delta, self.working_dps):
            square = self.delta.dot(self.delta) * self.inputs.dot(self.inputs)
        return _root(square, self.working_dps)


def _digits(vector: numpy.ndarray, digits: int):
    """The scope a vector's numbers are multiplied in at ``digits`` digits."""
    if isinstance(vector[0], mpmath.mpf):
        return mpmath.workdps(digits)
    return gmpy2.context(precision=digits_to_bits(digits), emax=gmpy2.get_emax_max(),
                         emin=gmpy2.get_emin_min())


def _root(square, digits: int):
    """√square of one kind of number, rounded at ``digits`` digits."""
    if isinstance(square, mpmath.mpf):
        with mpmath.workdps(digits):
            return mpmath.sqrt(square)
    with gmpy2.context(precision=digits_to_bits(digits), emax=gmpy2.get_emax_max(),
                       emin=gmpy2.get_emin_min()):
        return gmpy2.sqrt(square)


def norm(vector: numpy.ndarray, digits: int):
    """The Euclidean norm of a vector of one kind of number, rounded at ``digits`` digits."""
    with _digits(vector, digits):
        return _root(vector.dot(vector), digits)


@dataclass(frozen=True)
class Spectrum:
    """The singular values of ∂a^L/∂a^0, largest first, with what bounds them."""

    values: tuple[mpmath.mpf, ...]
    floor: mpmath.mpf  # a value at or below this is 0 as far as the working digits tell
    weight_norms: tuple[mpmath.mpf, ...]  # ‖W^k‖₂ (float64 SVD of the scaled matrix)
    sup_derivative: mpmath.mpf  # sup|σ'|
    working_dps: int
    exact_zeros: int = 0  # the last this many values are proved 0 (and are 0)

    @property
    def resolved(self) -> tuple[bool, ...]:
        """Whether each value is known to the digits asked, or proved 0."""
        count = len(self.values)
        return tuple(v > self.floor or i >= count - self.exact_zeros
                     for i, v in enumerate(self.values))

    @property
    def spectral_norm(self) -> mpmath.mpf:
        return self.values[0]

    @property
    def condition_number(self) -> mpmath.mpf:
        """σ_max / σ_min; inf where σ_min is 0 (or not resolved from it)."""
        smallest = self.values[-1]
        if not (self.resolved[-1] and smallest):
            return mpmath.inf
        with mpmath.workdps(self.working_dps):  # (at mpmath's default 15 digits, a JSON
            return self.values[0] / smallest  # of 20 showed float64's noise)

    @property
    def bound(self) -> mpmath.mpf:
        """∏‖W^k‖₂ · (sup|σ'|)^L ≥ ‖J‖₂."""
        return mpmath.fprod(self.weight_norms) * self.sup_derivative ** len(self.weight_norms)


@dataclass(frozen=True)
class NetEvaluation:
    net: MatrixNet
    parameters: NetParameters
    x: tuple[sympy.Rational, ...]
    y: tuple[sympy.Rational, ...]
    dps: int
    layers: tuple[NetLayer, ...]
    input_gradient: numpy.ndarray
    cost: object
    spectrum: Spectrum | None  # None: not computed (``spectrum_skipped`` says why)
    arithmetic: str  # "ball", "mpfr", "mpmath" or "rational"
    spectrum_skipped: str | None = None  # "asked" (not asked for) or "wide" (by default)

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
                 work: Work | None = None, spectrum: bool | None = None) -> NetEvaluation:
    """The pass and the Jacobian's singular values to ``dps`` digits, the work told to
    ``work`` as it is done (each run's planned as it begins). ``spectrum``: whether to
    compute the singular values (None: up to width SPECTRUM_WIDTH).

    A piecewise-linear net with the quadratic cost runs in exact rationals (a
    preactivation exactly at a kink takes the branch it should), and only the spectrum
    is computed at rising digits. Otherwise pass and spectrum run in Arb balls, one
    certified run per precision, raised until every ball is narrow enough; where balls
    cannot decide, they run in MPFR (or mpmath beyond its exponent range) at rising
    working digits until two runs agree on every value shown: cancellation and
    ill-conditioned products cost digits."""
    digits(dps, MAX_DPS)
    check_spectrum(net, spectrum)
    if len(x) != net.widths[0]:
        raise SymgradError(f"Give {net.widths[0]} inputs (one per input unit), not {len(x)}.")
    if len(y) != net.widths[-1]:
        raise SymgradError(f"Give {net.widths[-1]} targets (one per output unit), not {len(y)}.")
    skipped = None
    if spectrum is None:
        spectrum = max(net.widths) <= SPECTRUM_WIDTH
        skipped = None if spectrum else "wide"
    elif not spectrum:
        skipped = "asked"
    start = dps + guard_digits(net.depth)
    work = work or Work()
    numbers = chain.from_iterable((*parameters.biases, x, y))
    numbers = chain(numbers, (v for w in parameters.weights for row in w for v in row))
    if rational_arithmetic_applies(net, numbers):
        evaluation = _rational_net(net, parameters, x, y, dps, start, work, spectrum)
    else:
        try:
            evaluation = _ball_net(net, parameters, x, y, dps, start, work, spectrum)
        except BallsGaveUpError as gave_up:  # the MPFR runs compared, or balls' own sentence
            try:
                evaluation = _mpfr_net(net, parameters, x, y, dps, start, work, spectrum)
            except SymgradError:
                if gave_up.kink:  # (the hint only where it would help)
                    hint = (net.cost != "quadratic"
                            and linear_pieces(net.activation.expr) is not None)
                    raise SymgradError(KINK_REFUSAL + (KINK_HINT if hint else "")) from None
                if gave_up.near_zero:
                    raise SymgradError(gave_up.near_zero) from None
                raise
    return NetEvaluation(net, parameters, tuple(x), tuple(y), dps, *evaluation,
                         spectrum_skipped=skipped)


def check_spectrum(net: MatrixNet, spectrum: bool | None) -> None:
    """Refuse the spectrum asked for a net too wide to compute it in bounded time."""
    if spectrum and max(net.widths) > MAX_SPECTRUM_WIDTH:
        raise SymgradError(f"The Jacobian's singular values are computed for nets up to width "
                           f"{MAX_SPECTRUM_WIDTH} (a wider one's take hours); leave out "
                           f"{option('spectrum')}.")


def _rational_net(net: MatrixNet, parameters: NetParameters, x, y, dps: int, start: int,
                  work: Work, spectrum: bool) -> tuple:
    """The exact pass; the spectrum at rising digits, zeros proved by the exact rank."""
    run = _pass(net, parameters, x, y, rational_arithmetic(net), start, jacobian=False)
    for value in run.layers[-1].a:
        check_output(net.cost, value)
    if not spectrum:
        return run.layers, run.input_gradient, run.cost, None, "rational"

    def compute(working):  # the exact σ' and weights, multiplied at the working digits
        work.expect(_run_work(net, working))
        _, jacobian = in_range(net, working, lambda math: _jacobian(
            parameters, run.layers, math, working, work))
        values = _singular_values(jacobian, working, work)
        return (working, values), _spectrum_shown(values, working, dps)

    state = converged(compute, dps, start, MAX_WORKING_DPS, "This net's singular values")
    working, values = _resolving_small(compute, state, dps, "This net's singular values")
    rank = None
    if values[-1] <= _floor(values, working, dps):
        rank = _exact_rank(net, parameters, run.layers, values, _floor(values, working, dps))
    if rank == len(values):  # every value is positive: enough digits resolve them all
        exact = _jacobian(parameters, run.layers, rational_arithmetic(net), working)
        resolving = _digits_resolving(exact, values[0], dps)
        if resolving <= MAX_WORKING_DPS:
            working, values = converged(compute, dps, max(resolving, working),
                                        MAX_WORKING_DPS, "This net's singular values")
    found = _spectrum(net, parameters, values, working, dps, rank)
    return run.layers, run.input_gradient, run.cost, found, "rational"


def _mpfr_net(net: MatrixNet, parameters: NetParameters, x, y, dps: int, start: int,
              work: Work, spectrum: bool) -> tuple:
    """Pass and spectrum in MPFR (mpmath beyond its range) at rising digits until two runs
    agree, the zeros proved by interval enclosures."""
    def compute(working):
        work.expect(_run_work(net, working, spectrum))
        math, run = in_range(net, working, lambda math: _pass(
            net, parameters, x, y, math, working, work, jacobian=spectrum))
        _checked_outputs(net, parameters, x, run.layers[-1].a, working)
        values = _singular_values(run.jacobian, working, work) if spectrum else []
        shown = [*_pass_shown(run), *(_spectrum_shown(values, working, dps) if spectrum else [])]
        return (math.name, run, working, values), shown

    def certify(working):
        """Enclosures of the pass's values (not of the singular values)."""
        math = interval_arithmetic(net, working)
        enclosure = _pass(net, parameters, x, y, math, working, jacobian=False)
        if math.out_of_range():
            return None
        count = min(net.widths[0], net.widths[-1]) if spectrum else 0
        return [*_pass_shown(enclosure), *[None] * count]

    state = converged(compute, settled_digits(dps), max(start, settled_digits(dps) + GUARD_STEP),
                      MAX_WORKING_DPS, "This net's values", certify, certify_all=True)
    if spectrum:
        state = _resolving_small(compute, state, dps, "This net's values", certify)
    name, run, working, values = state
    found = _spectrum(net, parameters, values, working, dps, None) if spectrum else None
    return run.layers, run.input_gradient, run.cost, found, name


def _spectrum(net: MatrixNet, parameters: NetParameters, values, working: int, dps: int,
              rank: int | None) -> Spectrum:
    """The singular values settled at ``working`` digits, those the rank bounds prove 0
    set to 0: the narrowest layer, and the exact rank if known."""
    floor = _floor(values, working, dps)
    count = len(values)
    zeros = count - min(count, *net.widths)  # the rank is at most the narrowest width
    if rank is not None:
        zeros = max(zeros, count - rank)  # the exact rank: values beyond it are 0
    values = [*values[:count - zeros], *[mpmath.mpf(0)] * zeros]
    return Spectrum(tuple(values), floor, _weight_norms(parameters),
                    mpmath.mpf(net.activation.derivative_abs_sup), working, zeros)


def _weight_norms(parameters: NetParameters) -> tuple[mpmath.mpf, ...]:
    return tuple(w.spectral_norm() if isinstance(w, DrawnMatrix) else _spectral_norm(w)
                 for w in parameters.weights)


def _ball_net(net: MatrixNet, parameters: NetParameters, x, y, dps: int, start: int,
              work: Work, spectrum: bool) -> tuple:
    """Pass and spectrum in balls (``numeric.ball_net``), the certified midpoints handed on
    as MPFR numbers (mpmath, all of them, when one is beyond MPFR's range)."""
    run = evaluate_balls(net, parameters, x, y, dps, MAX_WORKING_DPS, start, spectrum, work)
    working = run.working_dps
    wide = not all(in_mpfr_range(v) for v in run.shown())

    def vector(values) -> numpy.ndarray:
        return numpy.array([midpoint(v, wide) for v in values], dtype=object)

    inputs = [vector(a) for a in run.outputs]
    layers = tuple(NetLayer(n + 1, vector(run.zs[n]), inputs[n + 1], vector(run.slopes[n]),
                            vector(run.deltas[n]), inputs[n], working)
                   for n in range(net.depth))
    found = None
    if run.spectrum is not None:
        balls = run.spectrum
        values = tuple(to_mpmath(midpoint(v, True)) if v is not None else bound
                       for v, bound in zip(balls.values, balls.bounds))
        found = Spectrum(values, balls.floor, _weight_norms(parameters),
                         mpmath.mpf(net.activation.derivative_abs_sup), working,
                         balls.proved_zeros)
    return layers, vector(run.input_gradient), midpoint(run.cost, wide), found, "ball"


def _resolving_small(compute, state: tuple, dps: int, what: str, certify=None) -> tuple:
    """A settled ``state`` (ending in working digits and singular values), or a later one
    that resolves more of its values. Values below the floor are either rounding noise
    about an exact 0, which falls as the digits rise, or true values too small for the
    working digits, which hold their size: while a run at twice the digits shows some
    that held (within a factor 10), the digits go up until they clear the floor, or the
    limit is reached (the values stay bounds)."""
    while True:
        working, values = state[-2:]
        floor = _floor(values, working, dps)
        if working >= MAX_WORKING_DPS or all(v > floor for v in values):
            return state
        finer, _ = compute(min(MAX_WORKING_DPS, 2 * working))
        held = [new for old, new in zip(values, finer[-1])
                if 0 < old <= floor and 0 < new and 10 * new >= old]
        if not held:
            return state
        with mpmath.workdps(30):
            gap = int(mpmath.ceil(mpmath.log10(values[0] / min(held))))
        start = max(finer[-2] + GUARD_STEP, dps + FLOOR_GUARD + GUARD_STEP + gap + working - dps)
        if start > MAX_WORKING_DPS:
            return state
        try:
            state = converged(compute, dps, start, MAX_WORKING_DPS, what, certify,
                              certify_all=certify is not None)
        except SymgradError:
            return state


def _exact_rank(net: MatrixNet, parameters: NetParameters, layers, values, floor) -> int:
    """The rank of an exact Jacobian. It is at least the number of singular values above
    the floor and at least its rank modulo a prime (a minor nonzero modulo p is nonzero),
    and at most the fewest units with σ' ≠ 0 in a layer (the rank of D_l); exact
    elimination, slow for long rationals, only when these bounds differ: SymPy's
    fraction-free elimination on FLINT's integers (DomainMatrix), which measured faster
    than FLINT's own fmpq_mat.rank on these entries of thousands of digits (docs/benchmarks.md)."""
    upper = min(min(sum(1 for v in layer.act_prime if v != 0) for layer in layers),
                net.widths[0], net.widths[-1])
    lower = sum(1 for v in values if v > floor)
    if lower < upper:
        lower = max(lower, rank_modulo(_jacobian_modulo(parameters, layers, RANK_PRIME)))
    if lower < upper:
        return domain_matrix(_jacobian(parameters, layers, rational_arithmetic(net), 0)).rank()
    return upper


RANK_PRIME = 2**61 - 1  # a prime that fits a machine word (FLINT's nmod_mat)


def _jacobian_modulo(parameters: NetParameters, layers, prime: int) -> nmod_mat | None:
    """D_L W^L ⋯ D_1 W^1 modulo ``prime`` (None when a denominator is a multiple of it),
    multiplied in FLINT's ``nmod_mat``."""
    inverses: dict[int, int] = {}  # 1/d mod p of each denominator met (mostly powers of 2)

    def residues(values, factor: int = 1) -> list[int]:
        """Each value modulo p, times ``factor``."""
        found = []
        for value in values:
            exact = exact_rational(value)
            denominator = int(exact.denominator)
            if denominator not in inverses:
                if denominator % prime == 0:
                    raise ZeroDivisionError
                inverses[denominator] = pow(denominator, -1, prime)
            inverse = inverses[denominator]
            if factor != 1:
                inverse = inverse * factor % prime
            found.append(int(exact.numerator) * inverse % prime)
        return found
    try:
        product = None
        for w, layer in zip(parameters.weights, layers):
            # D W: row i of W times σ'_i (0 or 1 for a relu: most rows cost nothing)
            entries = []
            for row, slope in zip(w, residues(layer.act_prime)):
                entries += residues(row, slope) if slope else [0] * len(row)
            weights = nmod_mat(len(w), len(w[0]), entries, prime)
            product = weights if product is None else weights * product
    except ZeroDivisionError:
        return None
    return product


def rank_modulo(matrix: nmod_mat | None) -> int:
    """The rank of a matrix modulo a prime (FLINT's elimination), 0 for None: at most the
    rank of any rational matrix it is the residue of."""
    return 0 if matrix is None else matrix.rank()


def domain_matrix(matrix) -> DomainMatrix:
    """A matrix of exact rationals as SymPy's DomainMatrix over QQ."""
    rows = [[QQ(int(v.numerator), int(v.denominator)) for v in row] for row in matrix]
    return DomainMatrix(rows, (len(rows), len(rows[0])), QQ)


def exact_matrix(matrix) -> fmpq_mat:
    """A matrix of exact rationals (rows of mpq, SymPy or Fractions) as FLINT's."""
    return fmpq_mat([[fmpq(int(v.numerator), int(v.denominator)) for v in row] for row in matrix])


def _digits_resolving(jacobian: numpy.ndarray, largest, dps: int) -> int:
    """Working digits that put the floor below the smallest singular value of an exact
    Jacobian of full rank: σ_min ≥ sqrt(det G) / σ_max^(k-1), G the k × k Gram matrix
    (J J^T or J^T J, k the smaller side), whose determinant is the product of σ_i²."""
    exact = exact_matrix(jacobian)  # (FLINT's determinant, as DomainMatrix's calls, directly)
    gram = exact * exact.transpose() if exact.nrows() <= exact.ncols() else \
        exact.transpose() * exact
    determinant = gram.det()
    k = gram.nrows()
    with mpmath.workdps(30):
        log_smallest = (mpmath.log10(int(determinant.p)) - mpmath.log10(int(determinant.q))) / 2 \
            - (k - 1) * mpmath.log10(largest * (1 + mpmath.mpf(10) ** -dps))
        gap = mpmath.log10(largest) - log_smallest  # log10(σ_max / σ_min) at most
    return dps + FLOOR_GUARD + GUARD_STEP + int(mpmath.ceil(gap))


def _array(values, number) -> numpy.ndarray:
    """A numpy object array of numbers of one kind (nested lists give a matrix)."""
    return numpy.array([[number(v) for v in row] for row in values] if _nested(values)
                       else [number(v) for v in values], dtype=object)


def _nested(values) -> bool:
    return len(values) > 0 and isinstance(values[0], (tuple, list))


def _pass(net: MatrixNet, parameters: NetParameters, x, y, math: Arithmetic, digits: int,
          work: Work | None = None, jacobian: bool = True) -> _Pass:
    """Forward (with the Jacobian if asked), then backward, in ``math``'s numbers at
    ``digits`` working digits (exact rationals: the digits norms are rounded at)."""
    weights, inputs, zs, slopes, product = _forward(net, parameters, x, math, digits, work,
                                                    jacobian)
    a = inputs.pop()
    costs = [math.cost_and_derivative(value, target) for value, target in zip(a, _array(y, math.number))]
    cost = sum((c[0] for c in costs[1:]), start=costs[0][0])
    upstream = numpy.array([c[1] for c in costs], dtype=object)  # ∇_{a^L} C
    layers = [None] * net.depth
    for index in range(net.depth - 1, -1, -1):
        delta = upstream * slopes[index]
        output = inputs[index + 1] if index + 1 < net.depth else a
        layers[index] = NetLayer(index + 1, zs[index], output, slopes[index], delta,
                                 inputs[index], digits)
        upstream = weights[index].T.dot(delta)  # ∂C/∂a^{l-1}
    return _Pass(tuple(layers), upstream, cost, product)


def _forward(net: MatrixNet, parameters: NetParameters, x, math: Arithmetic, digits: int,
             work: Work | None = None, jacobian: bool = False):
    """(weights, a^0..a^L, z^1..z^L, σ'(z^1)..σ'(z^L), the Jacobian or None) in ``math``'s
    numbers. The first layer's preactivations are formed exactly and rounded once."""
    weights = [_array(w, math.number) for w in parameters.weights]
    biases = [_array(b, math.number) for b in parameters.biases]
    a = _array(x, math.number)
    outputs, zs, slopes = [a], [], []
    product = _identity(net.widths[0], math) if jacobian else None
    for index, (w, b) in enumerate(zip(weights, biases)):
        z = _first_preactivations(parameters, x, math) if index == 0 else w.dot(a) + b
        pairs = [math.sigma_and_derivative(value) for value in z]
        a = numpy.array([p[0] for p in pairs], dtype=object)
        outputs.append(a)
        zs.append(z)
        slopes.append(numpy.array([p[1] for p in pairs], dtype=object))
        if work:
            work.did(w.size * digit_cost(digits), f"layer {index + 1} at {digits} digits")
        if jacobian:  # D_l W^l (D_{l-1} W^{l-1} ⋯)
            product = _times(slopes[-1], w, product, work, digits, index + 1)
    return weights, outputs, zs, slopes, product


def _times(slopes: numpy.ndarray, w: numpy.ndarray, product: numpy.ndarray, work: Work | None,
           digits: int, layer: int) -> numpy.ndarray:
    """D W P (D = diag(slopes)) row by row, each row's work told as it is done."""
    rows = []
    for slope, row in zip(slopes, w):
        rows.append(row.dot(product) * slope)  # (the array first: mpf * array would print it)
        if work:
            work.did(row.size * product.shape[1] * digit_cost(digits),
                     f"Jacobian, layer {layer} at {digits} digits")
    return numpy.array(rows, dtype=object)


def planned_work(net: MatrixNet, digits: int, init: str | None = None) -> float:
    """The work of a draw (if ``init``) and one run at ``digits``: what decides whether a
    progress bar is worth showing."""
    drawn = sum(orthogonal_work(*net.shape(n), digits + 10) for n in range(1, net.depth + 1)) \
        if init == "orthogonal" else 0
    return drawn + _run_work(net, digits + guard_digits(net.depth))


def _run_work(net: MatrixNet, digits: int, spectrum: bool = True) -> float:
    """One run's work: the pass, and (``spectrum``) the Jacobian's products and its SVD."""
    widths = net.widths
    columns = 1 + widths[0] if spectrum else 1
    products = sum(widths[n] * widths[n - 1] * columns for n in range(1, net.depth + 1))
    svd = svd_work(widths[-1], widths[0], digits) if spectrum else 0
    return products * digit_cost(digits) + svd


def _checked_outputs(net: MatrixNet, parameters: NetParameters, x, outputs, working: int):
    """Refuse outputs certainly outside the cost's domain (not those a run rounded onto
    its edge: see ``check_run_output``); the enclosing pass runs only if one is asked for."""
    @cache
    def enclosed():
        math = interval_arithmetic(net, working)
        ends = _forward(net, parameters, x, math, working)[1][-1]
        return None if math.out_of_range() else ends

    for unit, value in enumerate(outputs):
        check_run_output(net.cost, value, lambda unit=unit: None if enclosed() is None
                         else enclosed()[unit])


def _identity(size: int, math: Arithmetic) -> numpy.ndarray:
    return _array(numpy.eye(size, dtype=int).tolist(), lambda v: math.number(sympy.Integer(v)))


def _jacobian(parameters: NetParameters, layers, math: Arithmetic, digits: int,
              work: Work | None = None) -> numpy.ndarray:
    """D_L W^L ⋯ D_1 W^1 multiplied out in ``math``'s numbers, from a pass's σ'."""
    product = _identity(len(parameters.weights[0][0]), math)
    for index, (w, layer) in enumerate(zip(parameters.weights, layers)):
        slopes = numpy.array([math.number(v) for v in layer.act_prime], dtype=object)
        weights = _array(w, math.number)
        if work:
            work.did(weights.size * digit_cost(digits), f"layer {index + 1} at {digits} digits")
        product = _times(slopes, weights, product, work, digits, index + 1)
    return product


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


def _singular_values(jacobian: numpy.ndarray, working: int,
                     work: Work | None = None) -> list[mpmath.mpf]:
    """σ_i(J), largest first, by mpmath's SVD at ``working`` digits."""
    rows, columns = jacobian.shape
    with (work or Work()).during(svd_work(rows, columns, working),
                                 f"singular values at {working} digits"), \
            mpmath.workdps(working):
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
        with quiet_blas():
            return mpmath.mpf(float(numpy.linalg.norm(scaled, 2))) * largest
