"""A matrix net's pass in Arb balls (``numeric.balls``): one certified run per precision.

Forward z^l = W^l a^{l-1} + b^l, a^l = σ(z^l); backward δ^L = σ'(z^L) ⊙ ∇_{a^L}C,
δ^l = σ'(z^l) ⊙ (W^{l+1})ᵀ δ^{l+1}, ∂C/∂a^0 = (W^1)ᵀ δ^1, every product an ``arb_mat``
product in C, every value a ball that contains the exact one. The digits shown are earned
when every ball's radius is at most 10^-(dps+1) of its midpoint (or the ball is exactly 0):
one run and a look at the radii. A run whose radii are too wide tells how many bits it
lost, and the next run is that much more precise.

The Jacobian J = D_L W^L ⋯ D_1 W^1 (only when the spectrum is asked) is multiplied out in
balls too, and its singular values are the square roots of certified enclosures of the
eigenvalues of the smaller Gram matrix, JᵀJ or JJᵀ (``acb_mat.eig``, which proves each
eigenvalue isolated in its enclosure). A value whose enclosure reaches 0 is reported as
at most its upper end, unless the rank bounds prove it 0: the narrowest layer, and the
fewest units of a layer with σ' ≠ 0 (σ' exactly 0 is a ball of radius 0: relu's flat side).

``BallsGaveUpError`` is raised where balls cannot decide (a preactivation's ball straddles a kink
of the activation, or the eigenvalues cannot be isolated even at more bits): the caller
falls back to the MPFR runs compared (``numeric.matrix_net``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import gcd

import mpmath
from flint import acb_mat, arb, arb_mat

from symgrad.digits import settled_digits
from symgrad.errors import SymgradError
from symgrad.networks import MatrixNet
from symgrad.numeric.balls import (
    GUARD_BITS,
    StraddleError,
    accuracy,
    ball,
    ball_arithmetic,
    ball_matrix,
    bits_lost,
    column,
    output_inside,
    precision,
    raised_bits,
    upper,
)
from symgrad.numeric.kinds import BITS_PER_DIGIT, digits_to_bits
from symgrad.numeric.net_parameters import DrawnMatrix, NetParameters
from symgrad.numeric.real import exact_rational
from symgrad.numeric.work import Work, ball_eigen_work, ball_product_work

EIGEN_TRIES = 3  # runs at rising bits before a failed eigenvalue isolation gives up on balls
_HUGE = 2 ** 61  # an accuracy at or above this: an exact ball (nothing lost)


class BallsGaveUpError(SymgradError):
    """Balls cannot decide here; the caller takes the MPFR route. ``kink``: a ball
    straddled a kink of the activation; ``near_zero``: a sentence naming a value whose
    ball still reaches across 0 at the limit (the MPFR route cannot prove an exact 0
    either, and its own sentence would not name it)."""

    def __init__(self, message: str, kink: bool = False, near_zero: str | None = None):
        super().__init__(message)
        self.kink, self.near_zero = kink, near_zero


@dataclass(frozen=True)
class BallSpectrum:
    """Enclosures of J's singular values, largest first: each a ball (the square root of
    an eigenvalue enclosure of the Gram matrix), or None where the enclosure reaches 0
    (then ``bounds`` holds its upper end); ``proved_zeros``: the last this many are 0 by
    the rank bounds."""

    values: tuple[arb | None, ...]
    bounds: tuple[mpmath.mpf | None, ...]
    proved_zeros: int
    floor: mpmath.mpf = mpmath.mpf(0)  # what the enclosures cannot tell from 0: √(2 max radius)


@dataclass(frozen=True)
class BallRun:
    """One run's balls: per layer z, a, σ'(z), δ (lists of balls), a^0..a^L, ∂C/∂a^0, C,
    and the spectrum if asked; ``bits``: its working precision."""

    bits: int
    zs: list
    outputs: list
    slopes: list
    deltas: list
    input_gradient: list
    cost: arb
    spectrum: BallSpectrum | None
    weights: list  # W^l as ball matrices (for the Jacobian)

    @property
    def working_dps(self) -> int:
        return int(self.bits / BITS_PER_DIGIT)

    def shown(self):
        """Every value the outputs show (norms and ∂C/∂W are made of these)."""
        return (value for _, value in self.named())

    def named(self):
        """(a name for the output, the value) for every value shown."""
        yield "C", self.cost
        yield from ((f"∂C/∂a⁰, unit {i}", v) for i, v in enumerate(self.input_gradient, 1))
        for symbol, values in (("z^{}", self.zs), ("a^{}", self.outputs[1:]),
                               ("σ'(z^{})", self.slopes), ("δ^{}", self.deltas)):
            yield from ((f"{symbol.format(layer)}, unit {i}", v)
                        for layer, vector in enumerate(values, 1)
                        for i, v in enumerate(vector, 1))


def evaluate_balls(net: MatrixNet, parameters: NetParameters, x, y, dps: int, limit_dps: int,
                   start_dps: int, spectrum: bool, work: Work) -> BallRun:
    """Runs at rising precision until every value shown is earned to ``dps`` digits (and
    every singular value not proved 0 is, or its enclosure reaches 0 at twice the bits),
    from ``start_dps`` working digits up to ``limit_dps``; the Jacobian and its spectrum
    only once a run's pass has settled. Raises ``BallsGaveUpError`` where balls cannot
    decide, or a one-sentence error when the limit is reached."""
    needed = int((settled_digits(dps) + 1) * BITS_PER_DIGIT) + 1  # a value shown, and its log10
    bits, limit = digits_to_bits(start_dps), digits_to_bits(limit_dps)
    failures, doubled, at_least = 0, False, 0
    straddled = False  # the run before had a ball reach across 0
    while True:
        planned = run_work(net, int(bits / BITS_PER_DIGIT), False)
        work.expect(planned)
        try:
            run = _run(net, parameters, x, y, bits, work)
            lost = _bits_lost(run)
        except StraddleError as error:
            raise BallsGaveUpError(str(error), kink=True) from None
        except _RadiiOvertook as overtook:
            work.expect(overtook.done - planned)  # the rest of the run is not done
            run, lost, across_zero = None, overtook.lost, overtook.value
        inside = run is not None and all(output_inside(net.cost, v) for v in run.outputs[-1])
        if inside and lost is not None and bits - lost >= needed:
            if not spectrum:
                return run
            run, lost, failures, doubled, at_least = _with_spectrum(
                run, net, needed, lost, failures, doubled, at_least, limit, work)
            if run.spectrum is not None:
                return run
        if run is not None and lost is None:
            across_zero = next((name, v) for name, v in run.named() if accuracy(v) <= 0)
        across = run is None or lost is None  # some ball reaches across 0
        wanted = raised_bits(bits, lost, needed)
        beyond = wanted > limit and lost is not None  # the loss measured leaves no hope
        if across and straddled:  # again: a value at or near 0 rather than radii grown
            wanted = max(wanted, 2 * bits)
        straddled = across
        if bits >= limit or beyond:
            # A ball's radius grows with the values' size (a weight of 10^99999 makes each
            # preactivation's radius 10^99999 · 2^-bits, and σ' over it spans e^(-2 · that));
            # the MPFR runs compared evaluate at points, and may settle where balls cannot.
            reached = int(max(bits, wanted) / BITS_PER_DIGIT)
            near_zero = None
            if across and abs(across_zero[1]).upper().is_finite():  # (unbounded: undefined,
                name, value = across_zero  # not near 0)
                near_zero = (f"This net's values did not settle to {dps} digits: {name} cannot "
                             f"be told from 0 even at {int(bits / BITS_PER_DIGIT)} working "
                             f"digits (it lies within ±{_radius_text(value)}), and rounding "
                             f"arithmetic cannot prove an exact 0.")
            raise BallsGaveUpError(f"This net's values did not settle to {dps} digits even at "
                                   f"{reached} working digits.", near_zero=near_zero)
        bits = min(limit, wanted)


def _with_spectrum(run: BallRun, net: MatrixNet, needed: int, lost: int, failures: int,
                   doubled: bool, at_least: int, limit: int, work: Work) -> tuple:
    """The run with its spectrum, or without (``spectrum`` None) and the bits the next
    run must make up for. The Jacobian is multiplied at fewer bits than the pass where it
    can be: it is L products where the pass (forward and back) is 2L, so it starts at
    what half the pass's loss leaves, and rises (up to the pass's bits) while its
    enclosures are too wide (``at_least``: the bits an earlier run found it needs)."""
    bits = run.bits
    working = min(bits, max(at_least, needed + lost // 2 + GUARD_BITS))
    while True:
        digits = int(working / BITS_PER_DIGIT)
        work.expect(run_work(net, digits, True) - run_work(net, digits, False))
        with precision(working):
            found = _spectrum(run, net, digits, work)
        if found is _FAILED:
            failures += 1
            if failures >= EIGEN_TRIES:
                raise BallsGaveUpError("The eigenvalues of the Jacobian's Gram matrix could "
                                       "not be isolated.")
            missing = working // 2  # raise the bits by half again
        else:
            missing = needed - _spectrum_accuracy(found)
            if missing <= 0:
                unresolved = any(v is None for v in found.values)
                if not unresolved or doubled or 2 * working > limit:
                    return replace(run, spectrum=found), lost, failures, doubled, working
                doubled, missing = True, working  # once more at twice the bits: does it hold?
        if working + missing > bits:  # beyond the pass's bits: a more precise pass first
            return run, lost + missing, failures, doubled, working + missing
        working += missing + GUARD_BITS


def _bits_lost(run: BallRun) -> int | None:
    """How many bits a whole run lost: its working bits less its values' least relative
    accuracy; None when a ball reaches across 0 (a value at or near 0, or too small to
    tell: the next run doubles the bits). A run is accepted only on this count: every
    value shown earned, none reaching across 0."""
    lost = bits_lost(run.bits, min(accuracy(v) for v in run.shown()))
    return None if lost is None else max(0, lost)  # (0: every value exact)


class _RadiiOvertook(Exception):  # noqa: N818 (a signal, caught in evaluate_balls)
    """A forward layer's balls reached across 0 (raised by ``_run``): the run cannot be
    accepted, and the rest of it is not worth doing. ``lost``: the bits the whole pass
    would lose at what the forward pass lost a layer while it could be measured (a ball
    product's radius grows by about ‖|W|‖ a layer, √(2n/π) for an orthogonal W of width
    n), times the layers of the pass and back; None when nothing was lost before (a value
    at or near 0). ``done``: the work units the run did."""

    def __init__(self, lost: int | None, done: float, value: tuple[str, arb]):
        super().__init__()
        self.lost, self.done, self.value = lost, done, value


def _radius_text(value: arb) -> str:
    """How far from 0 a ball about 0 reaches, to 3 figures, rounded up (any exponent)."""
    reach = abs(value).upper()
    if not reach.is_finite():
        return "∞"
    mantissa, _, exponent = reach.str(3, radius=False).partition("e")
    sign, figures = ("-" if exponent.startswith("-") else ""), exponent.lstrip("+-")
    if len(figures) > 15:  # (past 10^(10^15) the exponent's own digits are no help)
        return f"10^{sign}(a {len(figures):,}-digit number)"
    return f"{mantissa}·10^{sign}{figures}" if exponent else mantissa


_FAILED = BallSpectrum((), (), 0)  # eigenvalues not isolated at this precision


def _spectrum_accuracy(spectrum: BallSpectrum) -> int:
    """The least relative accuracy of the singular values not proved 0 and whose
    enclosure does not reach 0 (those are bounds, settled as such)."""
    known = [accuracy(v) for v in spectrum.values if v is not None]
    return min(known, default=_HUGE)


def weight_balls(parameters: NetParameters) -> tuple[list[arb_mat], list[bool]]:
    """W^l as ball matrices (drawn ones exactly; others each entry rounded once at the
    working precision), and whether each is exact."""
    weights, exact = [], []
    for w in parameters.weights:
        if isinstance(w, DrawnMatrix):
            weights.append(w.balls)
            exact.append(True)
        else:
            rationals = [[exact_rational(v) for v in row] for row in w]
            weights.append(ball_matrix(rationals))
            exact.append(all(_dyadic(v) for row in rationals for v in row))
    return weights, exact


def _dyadic(value) -> bool:
    denominator = int(value.denominator)
    return denominator & (denominator - 1) == 0


def _run(net: MatrixNet, parameters: NetParameters, x, y, bits: int, work: Work) -> BallRun:
    math = ball_arithmetic(net, bits)
    digits = int(bits / BITS_PER_DIGIT)
    with precision(bits):
        weights, exact = weight_balls(parameters)
        a = [ball(exact_rational(v)) for v in x]
        outputs, zs, slopes = [a], [], []
        done, per_layer = 0.0, None  # work units; bits lost a layer while measured
        for index, w in enumerate(weights):
            rows, columns = w.nrows(), w.ncols()
            if index == 0:
                z = _first_preactivations(w, None if exact[0] else parameters.weights[0], x,
                                          parameters.biases[0], bits)
            else:
                bias = column(exact_rational(v) for v in parameters.biases[index])
                z = (w * column(a) + bias).entries()
            pairs = [math.sigma_and_derivative(v) for v in z]  # (a kink straddled: refused)
            least = min(accuracy(v) for v in z)
            if least <= 0:
                lost = int(per_layer * (2 * len(weights) + 2)) if per_layer else None
                unit = next(i for i, v in enumerate(z) if accuracy(v) <= 0)
                raise _RadiiOvertook(lost, done, (f"z^{index + 1}, unit {unit + 1}", z[unit]))
            per_layer = max(0, bits - least) / (index + 1)
            a = [p[0] for p in pairs]
            zs.append(z)
            outputs.append(a)
            slopes.append([p[1] for p in pairs])
            units = ball_product_work(rows, columns, 1, digits) + rows * SIGMA_WORK
            done += units
            work.did(units, f"layer {index + 1} at {digits} digits")
        targets = [ball(exact_rational(v)) for v in y]
        costs = [math.cost_and_derivative(value, target) for value, target in zip(a, targets)]
        cost = sum((c[0] for c in costs[1:]), start=costs[0][0])
        upstream = [c[1] for c in costs]  # ∇_{a^L} C
        deltas = [None] * len(weights)
        for index in range(len(weights) - 1, -1, -1):
            delta = [u * s for u, s in zip(upstream, slopes[index])]
            deltas[index] = delta
            upstream = (arb_mat([delta]) * weights[index]).entries()  # ((W^l)ᵀ δ^l)ᵀ
            work.did(ball_product_work(weights[index].nrows(), weights[index].ncols(), 1, digits),
                     f"backward, layer {index + 1} at {digits} digits")
    return BallRun(bits, zs, outputs, slopes, deltas, upstream, cost, None, weights)


SIGMA_WORK = 10  # σ and σ' of one unit, in work units (a few µs of Python and Arb)


def _first_preactivations(w: arb_mat, given, x, b, bits: int) -> list:
    """W^1 x + b^1 formed exactly and rounded once, so an exact 0 stays 0 (a relu unit
    at its kink takes the branch it should): with exact (dyadic) weights, as an integer
    combination (x and b over their common denominator) at rising precision until every
    entry is exact; otherwise (``given``: the weights as given, not all dyadic) in exact
    rationals."""
    inputs = [exact_rational(v) for v in x]
    biases = [exact_rational(v) for v in b]
    if given is not None:
        return [ball(sum((exact_rational(w) * v for w, v in zip(row, inputs)), start=bias))
                for row, bias in zip(given, biases)]
    denominator = 1
    for v in (*inputs, *biases):
        d = int(v.denominator)
        denominator = denominator * d // gcd(denominator, d)
    scaled_x = arb_mat([[arb(int(v * denominator))] for v in inputs])
    scaled_b = arb_mat([[arb(int(v * denominator))] for v in biases])
    working = bits
    while True:
        with precision(working):
            z = (w * scaled_x + scaled_b).entries()
        if all(v.is_exact() for v in z) or working > 64 * bits:
            break
        working *= 2
    return [v / denominator for v in z]  # (rounded once, at the scope's bits)


def _scaled_rows(slopes, matrix: arb_mat) -> arb_mat:
    """diag(slopes) · matrix."""
    rows, columns = matrix.nrows(), matrix.ncols()
    entries = matrix.entries()
    return arb_mat(rows, columns, [entries[r * columns + c] * slopes[r]
                                   for r in range(rows) for c in range(columns)])


def _jacobian(run: BallRun, digits: int, work: Work) -> arb_mat:
    """D_L W^L ⋯ D_1 W^1 from a run's σ' and weights, in its balls."""
    product = None
    for index, (w, slopes) in enumerate(zip(run.weights, run.slopes)):
        product = _scaled_rows(slopes, w if product is None else w * product)
        work.did(ball_product_work(w.nrows(), w.ncols(), product.ncols(), digits),
                 f"Jacobian, layer {index + 1} at {digits} digits")
    return product


def _spectrum(run: BallRun, net: MatrixNet, digits: int, work: Work) -> BallSpectrum:
    """Singular values of J from the Gram matrix's eigenvalue enclosures (see the module's
    doc); ``_FAILED`` when they cannot be isolated at this precision."""
    jacobian, slopes = _jacobian(run, digits, work), run.slopes
    rows, columns = jacobian.nrows(), jacobian.ncols()
    count = min(rows, columns)
    rank = min(count, *net.widths, *(sum(1 for s in layer if not s.is_zero()) for layer in slopes))
    gram = jacobian.transpose() * jacobian if columns <= rows else \
        jacobian * jacobian.transpose()
    with work.during(ball_eigen_work(count, digits), f"singular values at {digits} digits"):
        try:
            eigenvalues = acb_mat(gram).eig()
        except ValueError:  # a cluster: enclosures of each, maybe shared
            try:
                eigenvalues = acb_mat(gram).eig(multiple=True)
            except ValueError:
                return _FAILED
    reals = sorted((e.real for e in eigenvalues), key=lambda v: upper(v), reverse=True)
    with mpmath.workprec(64):
        floor = mpmath.sqrt(2 * max(upper(v.rad()) for v in reals))
    values, bounds = [], []
    for value in reals[:rank]:
        if value > 0:
            values.append(value.sqrt())
            bounds.append(None)
        else:  # reaches 0 (a Gram matrix's eigenvalues are ≥ 0): at most its upper end
            values.append(None)
            bounds.append(mpmath.sqrt(max(upper(value), mpmath.mpf(0))))
    zeros = count - rank
    return BallSpectrum((*values, *[arb(0)] * zeros), (*bounds, *[None] * zeros), zeros, floor)


def run_work(net: MatrixNet, digits: int, spectrum: bool) -> float:
    """One run's work: the pass, and with the spectrum the Jacobian and its eigenvalues."""
    widths = net.widths
    passes = sum(2 * ball_product_work(widths[n], widths[n - 1], 1, digits) + widths[n] * SIGMA_WORK
                 for n in range(1, net.depth + 1))
    if not spectrum:
        return passes
    products = sum(ball_product_work(widths[n], widths[n - 1], widths[0], digits)
                   for n in range(1, net.depth + 1))
    return passes + products + ball_eigen_work(min(widths[0], widths[-1]), digits)


