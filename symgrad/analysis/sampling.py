"""Sampled random networks: how |∂C/∂a^0| / |∂C/∂a^L| is spread, beside mean-field's χ1^L.

Each sample is a net of ``depth`` layers of ``width`` units (width 1: a scalar chain)
with weights N(0, σ_w²/n) and biases N(0, σ_b²), drawn from numpy's PCG64 generator
seeded with ``seed`` (so a seed gives the same nets everywhere). The input is a layer's
output at the fixed point, a^0 = σ(h) with h ~ N(0, q*) (q* = 1 where there is no
positive fixed point), and the gradient arriving at the output is a Gaussian vector:
its length cancels in the ratio, so only its direction is random.

All samples run together in float64 (numpy, batched), in log space: a scalar chain
adds log10|w_l σ'(z_l)|, a matrix net renormalises the backward vector every layer, so
no product over- or underflows. σ' is evaluated without cancellation; where float64
still gives up on it (σ'(z) below 10^-308, or σ(z) overflowing), that entry is computed
in MPFR instead, so a ratio is 0 only where it is exactly 0 (a ReLU path that is off).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import gmpy2
import mpmath
import numpy
import sympy

from symgrad.activations import VARIABLE, Activation
from symgrad.analysis.meanfield import MeanFieldResult, mean_field, variance
from symgrad.arguments import shown
from symgrad.errors import SymgradError
from symgrad.networks import ScalarChain, check_depth
from symgrad.numeric.kinds import float_arithmetic, mpfr_arithmetic, mpmath_arithmetic
from symgrad.numeric.real import log10_abs, to_float

MAX_SAMPLES = 1_000_000
MAX_SAMPLE_WIDTH = 1024
MAX_SAMPLE_DEPTH = 100_000
MAX_WORK = 10**9  # samples × width² × depth: some seconds of numpy
KEEP_BYTES = 2**27  # what a chunk of samples keeps for its backward pass (σ', weights)
QUANTILES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
HISTOGRAM_BINS = 30
PREDICTION_DPS = 15
RESCUE_DPS = 30
SMALLEST_NORMAL = numpy.finfo(numpy.float64).tiny
MAX_VARIANCE = sympy.Integer(10) ** 300  # σ_w², σ_b²: √ of it, times a unit, stays in float64
LN10 = math.log(10)


@dataclass(frozen=True)
class GradientSample:
    activation: Activation
    depth: int
    width: int
    samples: int
    seed: int
    sigma_w2: sympy.Rational
    sigma_b2: sympy.Rational
    input_variance: float  # q of the input's preactivations h
    log10_ratios: numpy.ndarray  # log10 |∂C/∂a^0| / |∂C/∂a^L| per sample; -inf: exactly 0
    rescued: int  # entries of σ' computed in MPFR because float64 gave up on them
    prediction: MeanFieldResult

    @cached_property
    def finite(self) -> numpy.ndarray:
        return self.log10_ratios[numpy.isfinite(self.log10_ratios)]

    @property
    def zero_fraction(self) -> float:
        """The fraction whose ratio is exactly 0 (a path switched off everywhere)."""
        return float(numpy.mean(self.log10_ratios == -numpy.inf))

    @property
    def mean(self) -> float:
        return float(numpy.mean(self.finite)) if self.finite.size else math.nan

    @property
    def std(self) -> float:
        return float(numpy.std(self.finite, ddof=1)) if self.finite.size > 1 else math.nan

    @property
    def quantiles(self) -> tuple[tuple[float, float], ...]:
        """(p, log10 ratio) for each p in QUANTILES, over every sample (0s included)."""
        values = numpy.quantile(self.log10_ratios, QUANTILES, method="inverted_cdf")
        return tuple(zip(QUANTILES, map(float, values)))

    @property
    def within_tenfold(self) -> float:
        """The fraction whose ratio lies in [10^-1, 10^1]: the gradient neither vanished
        nor exploded, by chance."""
        return float(numpy.mean(numpy.abs(self.log10_ratios) <= 1))

    @cached_property
    def histogram(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """(counts, bin edges) of the finite log10 ratios."""
        if not self.finite.size:
            return numpy.zeros(0, dtype=int), numpy.zeros(0)
        return numpy.histogram(self.finite, bins=HISTOGRAM_BINS)

    @cached_property
    def _scaled_squares(self) -> tuple[numpy.ndarray, float] | None:
        """(r² / max r², log10 max r²): the squares scaled so none overflows; None if
        every ratio is 0."""
        top = float(numpy.max(self.log10_ratios))
        if top == -math.inf:
            return None
        return numpy.exp(2 * LN10 * (self.log10_ratios - top)), 2 * top

    @property
    def log10_mean_square(self) -> float:
        """log10 of the sampled mean of ratio², taken in log space (never overflows)."""
        if self._scaled_squares is None:
            return -math.inf
        scaled, offset = self._scaled_squares
        return offset + math.log10(numpy.mean(scaled))

    @property
    def log10_mean_square_error(self) -> float:
        """That standard error in log10 units (a relative error ε is ε/ln 10 of log10)."""
        return self.mean_square_standard_error / LN10

    @property
    def mean_square_standard_error(self) -> float:
        """The standard error of the sampled mean of ratio², relative to that mean."""
        if self._scaled_squares is None or self.samples < 2:
            return math.nan
        scaled, _ = self._scaled_squares
        return float(numpy.std(scaled, ddof=1) / (numpy.mean(scaled) * math.sqrt(scaled.size)))


def check_sample_size(depth: int, width: int, samples: int, seed: int) -> None:
    check_depth(depth, MAX_SAMPLE_DEPTH)
    for value, name, top in ((width, "width", MAX_SAMPLE_WIDTH), (samples, "number of samples", MAX_SAMPLES)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise SymgradError(f"The {name} must be a whole number from 1 to {top}, not {shown(value)}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise SymgradError(f"The seed must be a whole number ≥ 0, not {shown(seed)}.")
    if samples * width * width * depth > MAX_WORK:
        raise SymgradError(f"{samples} samples of width {width} and depth {depth} are more than "
                           f"this machine should draw at once (samples × width² × depth ≤ 10^9).")


def sample_gradients(activation: Activation, depth: int, sigma_w2, sigma_b2=0, width: int = 1,
                     samples: int = 1000, seed: int = 0,
                     progress: Callable[[int], None] | None = None) -> GradientSample:
    """Draw ``samples`` random nets and take each one's gradient ratio (see the module).
    ``progress(n)`` is told each time n more sample-layers are done (2 × depth × samples
    in all: forward and backward)."""
    check_sample_size(depth, width, samples, seed)
    w2, b2 = variance(sigma_w2, "σ_w²"), variance(sigma_b2, "σ_b²")
    for name, value in (("σ_w²", w2), ("σ_b²", b2)):
        if value > MAX_VARIANCE:  # (float(1e320) is inf: every ratio would be nan)
            raise SymgradError(f"sample draws its nets in float64, where {name} above 10^300 "
                               "overflows the weights; meanfield gives the exact mean-field "
                               "values at any variance.")
    prediction = mean_field(activation, w2, b2, depth, PREDICTION_DPS)
    point = prediction.fixed
    q0 = float(sympy.N(point.q)) if point.q is not None and point.q > 0 else 1.0
    batch = _Batch(activation, seed, samples, width)
    ratios = batch.run(depth, float(w2), float(b2), q0, progress)
    return GradientSample(activation, depth, width, samples, seed, w2, b2, q0, ratios,
                          batch.rescued, prediction)


class _Batch:
    """Samples in chunks, each chunk's nets at once: arrays of shape (chunk, width). A
    chunk draws from its own stream (numpy's SeedSequence spawned from the seed), and a
    net's weights layer by layer from streams spawned from that one: the backward pass
    keeps σ' of every layer but the weights only while they fit in KEEP_BYTES, and
    otherwise draws each layer's again from its stream, the same numbers (depth 1000 ×
    width 1000 would keep 8 GB). Either way a seed gives the same ratios."""

    def __init__(self, activation: Activation, seed: int, samples: int, width: int):
        chain = ScalarChain(1, activation)
        self.sigma = float_arithmetic(chain, "float64", stable=True).sigma_and_derivative
        self.exact = mpfr_arithmetic(chain, RESCUE_DPS)
        self.unbounded = mpmath_arithmetic(chain, RESCUE_DPS)
        self.seed, self.samples, self.width = seed, samples, width
        self.rescued = 0
        self.flat = _flat_pieces(activation)

    def run(self, depth: int, w2: float, b2: float, q0: float, progress) -> numpy.ndarray:
        kept = 8 * depth * self.width if self.width > 1 else 0  # σ' of every layer, a sample
        size = self.samples if not kept else max(1, min(self.samples, KEEP_BYTES // kept))
        starts = range(0, self.samples, size)
        streams = numpy.random.SeedSequence(self.seed).spawn(len(starts))
        return numpy.concatenate([
            self._chunk(stream, min(size, self.samples - start), depth, w2, b2, q0, progress)
            for start, stream in zip(starts, streams)])

    def _chunk(self, stream, count: int, depth: int, w2: float, b2: float, q0: float,
               progress) -> numpy.ndarray:
        generator = numpy.random.Generator(numpy.random.PCG64(stream))
        draw, shape = generator.standard_normal, (count, self.width)
        a, _, _ = self._activate(math.sqrt(q0) * draw(shape))
        total, slopes, cached = numpy.zeros(count), [], []
        if self.width == 1:
            weights = lambda layer: math.sqrt(w2) * draw((count, 1, 1))  # noqa: E731
        else:  # one stream per layer: its weights can be drawn again for the backward pass
            layer_streams = stream.spawn(depth)
            cache = 8 * count * depth * self.width * self.width <= KEEP_BYTES

            def weights(layer):
                layer_draw = numpy.random.Generator(numpy.random.PCG64(layer_streams[layer]))
                return math.sqrt(w2 / self.width) * layer_draw.standard_normal(
                    (count, self.width, self.width))
        for layer in range(depth):  # forward
            w = weights(layer)
            a, slope, log_slope = self._activate(numpy.einsum("sjk,sk->sj", w, a)
                                                 + math.sqrt(b2) * draw(shape))
            if self.width == 1:  # a chain: Σ_l log10 |w_l| + log10 |σ'(z_l)|
                with numpy.errstate(divide="ignore"):
                    total += numpy.log10(numpy.abs(w[:, 0, 0])) + log_slope[:, 0]
            else:
                slopes.append(_scaled(slope, log_slope))
                if cache:
                    cached.append(w)
            del w
            if progress:
                progress(count)
        if self.width == 1:
            if progress:
                progress(depth * count)
            return total
        gradient = draw(shape)  # ∂C/∂a^L: a random direction
        gradient /= numpy.linalg.norm(gradient, axis=1, keepdims=True)
        for layer in range(depth - 1, -1, -1):
            w = cached.pop() if cached else weights(layer)
            slope, scale = slopes.pop()  # σ' = slope · 10^scale, a scale per sample
            gradient = numpy.einsum("sjk,sj->sk", w, slope * gradient)  # (W^l)ᵀ (σ' ⊙ g)
            del w
            norm = _norms(gradient)
            with numpy.errstate(divide="ignore", invalid="ignore"):
                total += numpy.log10(norm) + scale
                gradient /= numpy.where(norm > 0, norm, 1)[:, None]
            if progress:
                progress(count)
        return total

    def _activate(self, z: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """σ(z), σ'(z) and log10|σ'(z)| in float64; entries float64 cannot hold are
        computed in MPFR (σ there as the float it rounds to)."""
        with numpy.errstate(all="ignore"):
            a, slope = (numpy.broadcast_to(v, z.shape).astype(float) for v in self.sigma(z))
            log_slope = numpy.log10(numpy.abs(slope))
        lost = ~numpy.isfinite(a) | ~numpy.isfinite(log_slope) | (numpy.abs(slope) < SMALLEST_NORMAL)
        if self.flat is not None:  # σ' is exactly 0 there: nothing is lost
            lost &= ~numpy.broadcast_to(self.flat(z), z.shape).astype(bool)
        for index in zip(*numpy.nonzero(lost)):
            exact_a, exact_slope = self._exactly(float(z[index]))
            a[index] = float(exact_a)
            slope[index] = float(exact_slope)
            log_slope[index] = to_float(log10_abs(exact_slope))
            self.rescued += 1
        if not numpy.all(numpy.isfinite(a)):
            raise SymgradError("An activation overflowed float64 itself (|σ(z)| > 10^308); "
                               "sample fewer layers or smaller weights.")
        return a, slope, log_slope

    def _exactly(self, z: float) -> tuple:
        """σ(z) and σ'(z) in MPFR, or in mpmath (exponents without bound) where MPFR's
        range is passed: tanh'(1.5·10^10) is 10^(-1.3·10^10), below MPFR's 2^(-2^30) here."""
        with self.exact.scope():
            values = self.exact.sigma_and_derivative(gmpy2.mpfr(z))
            context = gmpy2.get_context()
            if not (context.underflow or context.overflow):
                return values
        with self.unbounded.scope():
            return self.unbounded.sigma_and_derivative(mpmath.mpf(z))


SCALED_BELOW = -100  # log10 of a sample's largest |σ'| in a layer below which it is scaled


def _scaled(slope: numpy.ndarray, log_slope: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """A layer's σ' (samples × width) as slope · 10^scale, one scale a sample: 0 where the
    sample's largest |σ'| is at least 10^SCALED_BELOW, else that largest log10|σ'|, with
    the slopes rebuilt from their logs (σ' below 10^-308, which float64 holds as 0, kept),
    so that the backward vector stays far inside float64's range."""
    with numpy.errstate(invalid="ignore"):
        top = numpy.max(log_slope, axis=1)
    scale = numpy.where(numpy.isfinite(top) & (top < SCALED_BELOW), top, 0.0)
    rows = scale != 0
    if numpy.any(rows):
        slope = slope.copy()
        with numpy.errstate(under="ignore"):
            slope[rows] = numpy.copysign(10.0 ** (log_slope[rows] - scale[rows, None]),
                                         slope[rows])
    return slope, scale


def _norms(vectors: numpy.ndarray) -> numpy.ndarray:
    """Each row's Euclidean norm, its largest entry taken out first: numpy's norm squares
    the entries, so a row of entries near 10^-200 would have norm 0."""
    top = numpy.max(numpy.abs(vectors), axis=1)
    safe = numpy.where(top > 0, top, 1.0)
    return top * numpy.linalg.norm(vectors / safe[:, None], axis=1)


def _flat_pieces(activation: Activation) -> Callable | None:
    """z ↦ whether z lies where σ' is identically 0 (relu's left half), vectorised; None
    for an activation without such a piece."""
    derivative = activation.derivative
    if not isinstance(derivative, sympy.Piecewise) or all(p != 0 for p, _ in derivative.args):
        return None
    indicator = sympy.Piecewise(*((1 if piece == 0 else 0, condition)
                                  for piece, condition in derivative.args))
    return sympy.lambdify(VARIABLE, indicator, numpy)  # (the module: see kinds.float_arithmetic)
