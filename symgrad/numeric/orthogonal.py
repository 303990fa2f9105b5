"""The orthogonal draw: Q of the QR factorisation of a Gaussian matrix, R's diagonal
positive, to any number of bits, as an exact ball matrix (radius 0).

float64's QR gives a start; a refinement that keeps Q = A · (upper triangular) squares
its distance from orthonormal each time. Up to FLOAT_ROUTE_BITS its products run exactly
in float64 slices (Ozaki's splitting: a product of two slices is exact in float64, and
every slice left out or rounded is bounded), else in ball matrices. Kept apart from the
other draws (``net_parameters``) as its own piece of exact arithmetic.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy
import sympy
from flint import arb_mat

from symgrad.networks import MAX_WIDTH
from symgrad.numeric.balls import ball, float_matrix, precision, quiet_blas
from symgrad.numeric.kinds import digits_to_bits
from symgrad.numeric.work import ORTHOGONAL_FLOAT_BITS, ORTHOGONAL_PRODUCTS, Work, orthogonal_work

MAX_REFINEMENTS = 12  # from float64's 16 digits, each refinement doubles the digits
_ZEROS = [0] * MAX_WIDTH


def orthogonal(draw: numpy.ndarray, scale: sympy.Rational, digits: int, work: Work,
               what: str, route: str | None = None) -> tuple[arb_mat, numpy.ndarray]:
    """Q of the Gaussian draw A (tall: m ≥ n; a wide one transposed), R's diagonal
    positive: float64's QR gives R and T = triu(R⁻¹), Q₀ = A·T, then Q ← Q (I - Φ(QᵀQ -
    I)), Φ(E) the upper triangle of E with its diagonal halved (the first-order Cholesky
    factor of I + E), keeps Q = A · (upper triangular, positive diagonal) and squares the
    distance from orthonormal each time, until QᵀQ = I to the working bits: the QR's Q to
    those bits, as Gram–Schmidt would give it. Up to FLOAT_ROUTE_BITS the products run
    exactly in float64 (``_orthogonal_in_floats``), else (or if a draw is too
    ill-conditioned for it) in ball matrices (``_orthogonal_in_balls``); ``route``
    ("floats", "balls") forces one, for the tests and benchmarks. Returns Q as an exact
    ball matrix (times ``scale``) and float64's Q."""
    return in_balls(in_floats(draw, digits, work, what, route), scale)


AHEAD = 2  # float64 stages run ahead of the Arb stage, at most


def orthogonal_draws(draws: Iterable[tuple[numpy.ndarray, str]], scale: sympy.Rational,
                     digits: int, work: Work) -> list[tuple[arb_mat, numpy.ndarray]]:
    """``orthogonal`` of each (Gaussian draw, what to tell the progress bar), in order: the
    float64 stage of the next draws on a thread beside the Arb stage of this one. numpy's
    products and loops let go of the interpreter's lock, so on two cores the two stages
    overlap; Arb's precision is global, so only the calling thread touches Arb. The
    results are the same as one by one: each draw is computed alone."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="symgrad-draw")
    pending, out = deque(), []
    try:
        with quiet_blas():
            for draw, what in draws:
                pending.append(pool.submit(in_floats, draw, digits, work, what))
                if len(pending) > AHEAD:
                    out.append(in_balls(pending.popleft().result(), scale))
            while pending:
                out.append(in_balls(pending.popleft().result(), scale))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return out


@dataclass
class FloatDraw:
    """An orthogonal draw's float64 stage (``in_floats``): Q as exact float64 parts, or
    (``parts`` None) what the ball route needs to make it."""

    tall: numpy.ndarray
    inverse: numpy.ndarray
    unit: numpy.ndarray  # float64's Q, of the draw's own shape
    wide: bool  # the draw was wide: Q is transposed at the end
    bits: int
    progress: _Progress
    parts: list | None = None
    parts_bits: int = 0  # the bits that hold the parts' sum exactly


def in_floats(draw: numpy.ndarray, digits: int, work: Work, what: str,
              route: str | None = None) -> FloatDraw:
    """The draw's float64 stage: numpy and the exact float64 refinement only (no Arb, so
    it may run on a thread beside the Arb work of another draw)."""
    rows, columns = draw.shape
    tall = draw if rows >= columns else draw.T
    with quiet_blas():
        unit, r = numpy.linalg.qr(tall)
        signs = numpy.where(numpy.diag(r) < 0, -1.0, 1.0)
        unit, r = unit * signs, r * signs[:, None]
        inverse = numpy.triu(numpy.linalg.inv(r))  # (exactly upper triangular, in float64)
    bits = digits_to_bits(digits)
    progress = _Progress(work, orthogonal_work(rows, columns, digits), what)
    stage = FloatDraw(tall, inverse, unit if rows >= columns else unit.T, rows < columns,
                      bits, progress)
    if route == "floats" or (route is None and bits <= FLOAT_ROUTE_BITS):
        try:
            with quiet_blas():
                stage.parts, stage.parts_bits = _orthogonal_in_floats(tall, inverse, bits,
                                                                      progress)
        except _UnsuitableError:
            if route == "floats":
                raise
    return stage


def in_balls(stage: FloatDraw, scale: sympy.Rational) -> tuple[arb_mat, numpy.ndarray]:
    """The draw's Arb stage: the float64 parts summed exactly as a ball matrix (or the
    refinement in ball matrices, where floats would not do), times ``scale``."""
    if stage.parts is not None:
        with precision(stage.parts_bits):  # the sum of the parts, exactly
            total = None
            for part in stage.parts:
                term = float_matrix(part)
                total = term if total is None else total + term
            q = total.mid()
    else:
        q = _orthogonal_in_balls(stage.tall, stage.inverse, stage.bits, stage.progress)
    if scale != 1:
        with precision(stage.bits + 20):
            q = (q * ball(scale)).mid()
    stage.progress.finish()
    return (q.transpose() if stage.wide else q), stage.unit


class _Progress:
    """The draw's work told in ORTHOGONAL_PRODUCTS steps (products or stages), the rest at
    the end."""

    def __init__(self, work: Work, whole: float, what: str):
        self.work, self.whole, self.what, self.done = work, whole, what, 0.0

    def step(self) -> None:
        part = min(self.whole / ORTHOGONAL_PRODUCTS, self.whole - self.done)
        self.done += part
        self.work.did(part, self.what)

    def finish(self) -> None:
        self.work.did(self.whole - self.done, self.what)
        self.done = self.whole


def _orthogonal_in_balls(tall: numpy.ndarray, inverse: numpy.ndarray, bits: int,
                         progress: _Progress) -> arb_mat:
    """The refinement in ball matrices at bits + 20, Q₀ = A·T formed there: a few m×n×n
    ball products at full precision (any precision; slow at width 256)."""
    size = tall.shape[1]
    with precision(bits + 20):
        q = (float_matrix(tall) * float_matrix(inverse)).mid()
        progress.step()
        tiny = 2.0 ** -(bits + 4)
        for _ in range(MAX_REFINEMENTS):
            error = (q.transpose() * q).entries()
            progress.step()
            for i in range(size):
                error[i * size + i] -= 1
            largest = max(abs(float(v)) for v in error)
            if largest < tiny:
                break
            for i in range(size):  # Φ(E): the upper triangle, the diagonal halved
                error[i * size + i] /= 2
                error[i * size:i * size + i] = _ZEROS[:i]
            q = (q - q * arb_mat(size, size, error)).mid()
            progress.step()
            if 4 * size * largest ** 2 < tiny:  # the next distance, O(n E²), is below it
                break
    return q


# The float64 route. A float64 matrix product is exact when every entry of its factors is
# a multiple of a common unit (per row of the left, per column of the right) with at most
# β bits, n·2^(2β) ≤ 2^53 (Ozaki's splitting): numbers of any precision are cut into such
# slices and their products summed exactly, in limbs of β bits on a fixed grid, 2^(top -
# β(s+1)) for limb s. A product of two slices too small to matter for the bits asked is
# left out, one small enough for float64's rounding (γ_n = n u / (1 - n u) of the
# Cauchy–Schwarz bound of its entries) is computed inexactly, with the slices after it;
# every truncation, omission and rounding is bounded, and the bounds are summed.

FLOAT_ROUTE_BITS = ORTHOGONAL_FLOAT_BITS  # beyond, the ≈ (bits/β)² products of slices cost more
_U = 2.0 ** -53


class _UnsuitableError(Exception):
    """The float64 route's assumptions fail for this draw (far from orthonormal)."""


def _beta(inner: int) -> int:
    """Slice width: inner · 2^(2β) ≤ 2^53, so a product of slices is exact."""
    return (53 - max(1, math.ceil(math.log2(inner)))) // 2


def _gamma(inner: int) -> float:
    """Float64's rounding of an inner product of ``inner`` terms, relative to Σ|x_k y_k|."""
    return inner * _U / (1 - inner * _U) * (1 + 2 ** -40)


class _Fixed:
    """An m×n matrix Σ_s L_s · 2^(top − β(s+1)), each L_s an integer-valued float64 array,
    exactly; ``error`` bounds (entrywise) how far it is from what it stands for."""

    def __init__(self, shape: tuple, top: int, count: int, beta: int):
        self.top, self.beta = top, beta
        self.units = [2.0 ** (top - beta * (s + 1)) for s in range(count)]
        self.scales = [1 / unit for unit in self.units]  # (powers of 2: exact)
        self.limbs = [numpy.zeros(shape) for _ in range(count)]
        self.error = 0.0

    def add(self, value: numpy.ndarray, bound: float) -> None:
        """Adds an exact float64 array with |value| ≤ bound; what lies below the last
        limb's unit is dropped (rounded to nearest), its size added to ``error``."""
        if bound <= 0:
            return
        largest = max(float(value.max()), -float(value.min()))
        if largest == 0:
            return
        first = math.floor((self.top - math.log2(largest) + 40) / self.beta) - 1
        first = min(max(0, first), len(self.units) - 1)  # |digits| < 2^41 but at the last
        rest, digits = value.copy(), numpy.empty_like(value)
        for s in range(first, len(self.units)):
            numpy.multiply(rest, self.scales[s], out=digits)
            numpy.rint(digits, out=digits)  # |digits| < 2^41: exact
            self.limbs[s] += digits
            digits *= self.units[s]
            rest -= digits  # exact: what lies below the unit
            if not rest.any():
                return
        self.error += max(float(rest.max()), -float(rest.min()))

    def normalize(self) -> None:
        """Carries: |L_s| ≤ 2^(β−1) for s ≥ 1 (exact: every limb stays below 2^53)."""
        base = 2.0 ** self.beta
        for s in range(len(self.limbs) - 1, 0, -1):
            carry = numpy.rint(self.limbs[s] / base)
            self.limbs[s] -= carry * base
            self.limbs[s - 1] += carry

    def slices(self) -> list[numpy.ndarray]:
        """The limbs as float64 numbers (exact), normalized first; their sum is the value.
        A value beyond 2^top (the first limb over 2^β) is _UnsuitableError."""
        self.normalize()
        if numpy.abs(self.limbs[0]).max() > 2.0 ** self.beta:
            raise _UnsuitableError
        return [limb * unit for limb, unit in zip(self.limbs, self.units)]


def _split(value: numpy.ndarray, top, beta: int, lowest: float) -> tuple[list, list]:
    """Exact slices of a float64 array, |value| < 2^top (``top``: a number, or one per
    column): slice s a multiple of its unit 2^(top − β(s+1)), at most 2^β of it; the
    slices sum to ``value`` exactly (down to an all-zero rest), or (a unit below
    ``lowest``) raise _UnsuitableError. Returns the slices and their units."""
    slices, units, rest, s = [], [], value, 0
    while rest.any():
        unit = numpy.exp2(numpy.asarray(top, dtype=float) - beta * (s + 1))
        if numpy.max(unit) < lowest:
            raise _UnsuitableError
        slices.append(numpy.rint(rest / unit) * unit)
        units.append(unit)
        rest = rest - slices[-1]
        s += 1
    return slices, units


def _norms(matrix: numpy.ndarray, axis: int) -> float:
    """The largest 2-norm of the rows (axis 1) or columns (axis 0), rounded up."""
    return float(numpy.sqrt(numpy.einsum("ij,ij->" + "ij"[1 - axis], matrix, matrix).max())) \
        * (1 + 2 ** -40)


def _operand(slices: list, units: list, axis: int, transpose: bool = False) -> list[tuple]:
    """A factor for ``_multiply``: (index, slice, its largest row (axis 1) or column
    (axis 0) norm, the same in units of its grid) for each slice not all zero
    (``transpose``: the slice transposed, with its column norms as row norms)."""
    out = []
    for index, (piece, unit) in enumerate(zip(slices, units)):
        if piece.any():
            out.append((index, piece.T if transpose else piece, _norms(piece, axis),
                        _norms(piece / unit, axis)))
    return out


def _product(x: numpy.ndarray, y: numpy.ndarray, upper: bool) -> numpy.ndarray:
    """x y; ``upper``: y is upper triangular, its zeros below the diagonal left out (by
    column blocks: the same sums, without terms that are exactly 0)."""
    columns = y.shape[1]
    if not upper or columns < 128:
        return x @ y
    out = numpy.empty((x.shape[0], columns))
    edges = [columns * k // 4 for k in range(5)]
    for first, last in zip(edges, edges[1:]):
        out[:, first:last] = x[:, :last] @ y[:last, first:last]
    return out


_EXACT = 2.0 ** 53  # integers up to this are float64 numbers


def _multiply(left: list, right: list, out: _Fixed, budget: float, sign: float = 1.0,
              gram: bool = False, upper: bool = False) -> None:
    """out += sign · (Σ left_s)(Σ right_t): every pair of slices exactly (the products of
    one level s + t, on one grid, summed while their sum stays exact, then added), or (its
    bound below ``budget`` / pairs over γ_n) in one inexact product with the rest of its
    row of pairs, or (bound below that share) left out; bounds by Cauchy–Schwarz.
    ``left``, ``right``: from ``_operand`` (row norms of the left, column norms of the
    right). ``gram``: left_s = right_sᵀ, so the pair (t, s) is the transpose of (s, t) and
    only s ≤ t are multiplied. ``upper``: the right slices are upper triangular."""
    inner = right[0][1].shape[0]
    gamma = _gamma(inner)
    row_share = budget / len(left)  # half for the pairs left out, half for the rounded
    levels: dict[int, list] = {}  # level -> [sum, its bound, its bound in grid units]
    for s, x, row, row_units in left:
        pairs = [(t, y, row * column * (2.0 if gram and t > s else 1.0), column_units)
                 for t, y, column, column_units in right if not gram or t >= s]
        rounded, rounding = len(pairs), 0.0  # pairs[rounded:] go in the rounded product
        while rounded > 0:
            bound = pairs[rounded - 1][2]
            if bound <= row_share / (2 * len(right)):
                out.error += bound  # left out
                pairs.pop(rounded - 1)
            elif (gamma + (len(right) + 1) * _U) * (rounding + bound) <= row_share / 2:
                rounding += bound
            else:
                break
            rounded -= 1
        rest, rest_bound = None, 0.0
        for t, y, bound, _ in pairs[rounded:]:
            part = y / 2 if gram and t == s else y
            rest = part if rest is None else rest + part
            rest_bound += bound / (2.0 if gram and t > s else 1.0)
        for t, y, bound, column_units in pairs[:rounded]:
            twice = 2.0 if gram and t > s else 1.0
            product = _product(x, y, upper)
            units = row_units * column_units * twice
            if twice == 2:
                product = product + product.T  # exact: one grid, below 2^53 of it
            level = levels.get(s + t)
            if level is not None and level[2] + units <= _EXACT:
                level[0] += product
                level[1] += bound
                level[2] += units
            else:
                if level is not None:
                    out.add(sign * level[0], level[1])
                levels[s + t] = [product, bound, units]
        if rest is not None:  # |rounding| ≤ γ_n Σ|x||y| (Cauchy–Schwarz), plus the sums'
            product = _product(x, rest, upper)
            twice = 2.0 if gram else 1.0
            if gram:
                product = product + product.T
            out.error += twice * (gamma + (len(right) + 1) * _U) * rest_bound
            out.add(sign * product, twice * rest_bound * (1 + gamma) * (1 + _U))
    for product, bound, _ in levels.values():
        out.add(sign * product, bound)


def _orthogonal_in_floats(tall: numpy.ndarray, inverse: numpy.ndarray, bits: int,
                          progress: _Progress) -> tuple[list, int]:
    """The refinement with exact float64 products of slices (see above): Q₀ = A·T exactly
    to 2^-(bits+16), E = QᵀQ − I to within 2^-(bits+12), Q ← Q − Q·Φ(E) keeping Q = A ·
    (upper triangular) to within 2^-(bits+10) (Φ(E) is exactly upper triangular, whatever
    E's error), until a bound on the next E (from E' = δ − FᵀF − FF − (FF)ᵀ − Fᵀδ − δF +
    FᵀEF, F = Φ(E), δ = E − F − Fᵀ its computing error) is below 2^-(bits+4). Returns Q
    as exact float64 arrays (fewest, decreasing) and the bits that hold their sum."""
    rows, size = tall.shape
    beta = _beta(max(rows, size))
    count = -(-(bits + 17) // beta)  # Q's limbs: down to 2^(1 − β count) ≤ 2^-(bits+16)
    budget = 2.0 ** -(bits + 10)  # for each product: three or four of them
    tiny = 2.0 ** -(bits + 4)
    lowest = 2.0 ** -(bits + 60)
    a_top = math.frexp(float(numpy.abs(tall).max()))[1]  # |A| < 2^a_top
    t_top = numpy.frexp(numpy.abs(inverse).max(axis=0))[1].astype(float)  # per column
    # T rounded to three slices a column (2^-3β of its largest entry: far below float64's
    # own error in R⁻¹), still upper triangular with a positive diagonal
    grid = numpy.exp2(t_top - 3 * beta)
    inverse = numpy.rint(inverse / grid) * grid
    q = _Fixed(tall.shape, 1, count, beta)
    _multiply(_operand(*_split(tall, a_top, beta, lowest), axis=1),
              _operand(*_split(inverse, t_top, beta, 0.0), axis=0), q, budget, upper=True)
    progress.step()
    identity = numpy.eye(size) / q.units[0]  # I in units of the first limb (a power of 2)
    known = None  # a bound on QᵀQ − I, when known without computing it
    first = True
    for _ in range(MAX_REFINEMENTS):
        slices = q.slices()
        if known is None:
            gram_budget = max(budget, _worth(slices)) if first else budget
            first = False
            gram = _Fixed((size, size), 1, count, beta)
            _multiply(_operand(slices, q.units, 0, transpose=True),
                      _operand(slices, q.units, 0), gram, gram_budget, gram=True)
            gram.limbs[0] -= identity
            progress.step()
            e = gram.slices()
            approximate = sum(reversed(e))
            e_error = gram.error  # |(Σ e) − (QᵀQ − I)|, entrywise
            largest = float(numpy.abs(approximate).max()) * (1 + 2 ** -40) + e_error
            if largest > 2.0 ** -8:  # far from orthonormal: ill-conditioned
                raise _UnsuitableError
            known = largest
        if known <= tiny:
            break
        f_top = math.frexp(known)[1] + 1
        below = min(bits + 17, 8 - math.frexp(e_error)[1] if e_error else bits + 17)
        f = _Fixed((size, size), f_top, max(1, -(-(f_top + below) // beta)), beta)
        for part in e:  # Φ, slice by slice: exact (an upper triangle, a diagonal halved)
            part = numpy.triu(part)
            part[numpy.diag_indices(size)] /= 2
            f.add(part, float(numpy.abs(part).max()))
        f_slices = f.slices()
        delta = e_error + 2 * f.error  # |δ|, δ = E − F − Fᵀ, F the Φ applied
        phi = sum(reversed(f_slices))
        norm_f = max(_norms(phi, 0), _norms(phi, 1)) + size * f.error
        norm_e = float(numpy.sqrt(numpy.sum(approximate ** 2))) + size * e_error
        before = q.error
        _multiply(_operand(slices, q.units, 1), _operand(f_slices, f.units, 0), q, budget,
                  sign=-1.0, upper=True)
        rho = q.error - before  # this product's departure r: Q' = Q (I − F) + r
        q.error += before * math.sqrt(size) * norm_f  # the earlier departure, times F
        progress.step()
        # the next QᵀQ − I, E' = δ − FᵀF − FF − (FF)ᵀ − Fᵀδ − δF + FᵀEF + Q'ᵀr + rᵀQ' + rᵀr
        # (Q (I − F)'s columns of norm at most 1.01): what is not known of it, entrywise
        # (|(XY)_ij| ≤ ‖row_i X‖ ‖col_j Y‖) ...
        root = math.sqrt(size)
        unknown = (delta + 2 * norm_f * root * delta + 2.02 * math.sqrt(rows) * rho
                   + rows * rho ** 2) * (1 + 2 ** -30)
        # ... and the rest bounded, or (when it would settle the next step) computed
        known = (unknown + 3 * norm_f ** 2 + norm_f ** 2 * norm_e) * (1 + 2 ** -30)
        if known > tiny:
            known = None
            floor = _gamma(size) * 3 * norm_f ** 2  # float64's rounding of FᵀF, at least
            estimate, error = (_next_gram(f_slices, phi, approximate, e_error, norm_f, norm_e)
                               if unknown + floor <= tiny / 8 else (None, math.inf))
            if unknown + error <= tiny / 8:  # known well enough in float64: no Gram product
                e, e_error, approximate = [estimate], unknown + error, estimate
                known = float(numpy.abs(estimate).max()) * (1 + 2 ** -40) + e_error
    else:
        raise _UnsuitableError
    if q.error > 2.0 ** -(bits + 8):
        raise _UnsuitableError
    q_slices = q.slices()
    parts = _compressed([q_slices[s] + q_slices[s + 1] if s + 1 < len(q_slices) else q_slices[s]
                         for s in range(0, len(q_slices), 2)])
    return parts, beta * count + 8


def _worth(slices: list) -> float:
    """How accurately the first QᵀQ − I is worth computing: 1/64 of what the refinement
    leaves of it anyway, 3‖Φ(E)‖² (rows and columns), E guessed in float64 from Q's
    leading digits. Only a guess: a wrong one costs time (another refinement), never
    accuracy, since every error is bounded as it is made."""
    top = sum(reversed(slices))
    guess = top.T @ top - numpy.eye(top.shape[1])
    phi = numpy.triu(guess)
    phi[numpy.diag_indices(top.shape[1])] /= 2
    return 3 * max(_norms(phi, 0), _norms(phi, 1)) ** 2 / 64


def _next_gram(f_slices: list, phi: numpy.ndarray, e: numpy.ndarray, e_error: float,
               norm_f: float, norm_e: float) -> tuple[numpy.ndarray, float]:
    """The known part of the next QᵀQ − I, −FᵀF − FF − (FF)ᵀ + FᵀEF, in float64 from
    F̂ = ``phi`` (the float sum of F's exact slices) and Ê = ``e`` (within ``e_error`` of
    E, entrywise), and a bound on its error: F̂ and Ê's distance from F and E carried
    through 2-norms (an entry is at most its matrix's 2-norm, ‖X‖₂ ≤ ‖X‖_F), and
    float64's rounding of each product (γ_n Σ|x||y|, Cauchy–Schwarz) and sum."""
    size = phi.shape[0]
    product = phi @ phi
    e_phi = e @ phi
    estimate = phi.T @ e_phi - phi.T @ phi - product - product.T
    gamma = _gamma(size)
    # F̂ − F: the float sum of len(f_slices) exact slices, each rounding at most u of it
    slice_sum = sum(numpy.abs(part) for part in f_slices)
    f_gap = size * len(f_slices) * _U * float(slice_sum.max()) * (1 + 2 ** -40)  # ≥ ‖F̂ − F‖_F
    e_gap = size * e_error  # ≥ ‖Ê − E‖_F
    root = math.sqrt(size)
    f_two = root * norm_f  # ≥ ‖F‖₂ (‖F‖₂² ≤ ‖F‖₁ ‖F‖_∞ ≤ n · norm_f²)
    e_two = norm_e  # ≥ ‖E‖₂ (Frobenius)
    carried = (3 * (2 * f_two * f_gap + f_gap ** 2)  # FᵀF, FF, (FF)ᵀ
               + (f_two + f_gap) ** 2 * (e_two + e_gap) - f_two ** 2 * e_two)  # FᵀEF
    f_hat = norm_f + root * f_gap  # ≥ F̂'s row and column norms
    e_hat = norm_e + e_gap  # ≥ Ê's row norms
    inner = gamma * e_hat * f_hat  # |fl(ÊF̂) − ÊF̂|, entrywise
    rounding = (gamma * (3 * f_hat ** 2 + f_hat * (e_hat * f_hat + root * inner))
                + root * f_hat * inner  # F̂ᵀ times ÊF̂'s rounding
                + 4 * _U * (3 * f_hat ** 2 + f_hat * e_hat * f_hat + root * f_hat * inner))
    return estimate, (carried + rounding) * (1 + 2 ** -30)


def _compressed(parts: list[numpy.ndarray]) -> list[numpy.ndarray]:
    """Exact float64 arrays (decreasing) with the same sum, fewer where two add exactly:
    the error of each rounded sum (TwoSum, exact) is carried to the next."""
    out, carry = [], parts[0]
    for part in parts[1:]:
        total = carry + part
        back = total - carry
        error = (carry - (total - back)) + (part - back)
        if error.any():
            out.append(total)
            carry = error
        else:
            carry = total
    out.append(carry)
    return out
