"""Sampled nets of finite width beside the infinite-width spectrum: the squared singular
values of J = ∂a^L/∂a^0 of random nets, their moments with standard errors, and Hanin's
finite-width prediction for ReLU.

Each sample draws a net of ``width`` units a layer (weights of variance σ_w²/n, or σ_w
times a Haar-orthogonal matrix: the Q of a Gaussian matrix's QR with the signs of R's
diagonal; biases of variance σ_b²) and an input whose first preactivations have
variance q* (‖a⁰‖²/n = (q* − σ_b²)/σ_w²), so the net sits at the fixed point the limit
is taken at. J is accumulated layer by layer in float64, rescaled to norm 1 at every
layer with the scale kept as a logarithm, so no depth overflows it; the eigenvalues of
JJᵀ then lose only what float64 loses relative to the largest (about 10⁻¹⁵ of it).

Hanin (2018, "Which neural net architectures give rise to exploding and vanishing
gradients?"): for ReLU at σ_w² = 2, σ_b² = 0 and any fixed direction u,
E‖Ju‖⁴ / (E‖Ju‖²)² = ∏_j (1 + 5/n_j) ≈ e^{5β}, β = Σ_j 1/n_j: a layer multiplies
‖Ju‖² by (2/n) Σ_i χ_i g_i² (g_i Gaussian, χ_i = 1 with probability 1/2 independently),
whose second moment is 1 + 5/n. Averaged over u on the sphere, E_u‖Ju‖² = tr(JᵀJ)/n and
E_u‖Ju‖⁴ = (2 tr((JᵀJ)²) + (tr JᵀJ)²)/(n(n + 2)), which the estimate uses per sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy

from symgrad.activations import Activation
from symgrad.errors import SymgradError
from symgrad.networks import ScalarChain
from symgrad.numeric.balls import quiet_blas
from symgrad.numeric.kinds import float_arithmetic

MAX_WIDTH = 2048
MAX_SAMPLES = 10_000
MAX_WORK = 2 * 10**12  # samples × depth × width³ (multiply-adds) refused above this
HISTOGRAM_BINS = 40


@dataclass(frozen=True)
class Estimate:
    """A sample mean and its standard error."""

    value: float
    error: float


@dataclass(frozen=True)
class Histogram:
    """Every sample's squared singular values binned on [0, top]: ``density`` is each bin's
    share of all the values over its width, so the bars stand on the limiting density's
    scale; the values at 0 (an atom) and past ``top`` are counted, not drawn."""

    edges: tuple[float, ...]
    density: tuple[float, ...]
    at_zero: float  # the fraction of the values that are 0
    beyond: float  # the fraction past the last edge


@dataclass(frozen=True)
class SampledSpectra:
    width: int
    samples: int
    seed: int
    weights: str
    eigenvalues: numpy.ndarray  # every sample's eigenvalues of JJᵀ, each sample's row
    log_scales: numpy.ndarray  # log of the factor each row is to be multiplied by

    def moment(self, k: int) -> Estimate:
        """E[tr (JJᵀ)^k / n] over the samples, with its standard error."""
        per_sample = numpy.exp(k * self.log_scales) * numpy.mean(self.eigenvalues ** k, axis=1)
        return _mean(per_sample)

    def values(self) -> numpy.ndarray:
        """Every sample's squared singular values, at their true scale (0 where it
        underflows float64, inf where it overflows)."""
        with numpy.errstate(all="ignore"):
            return numpy.exp(numpy.log(self.eigenvalues) + self.log_scales[:, None]).ravel()

    def numerically_zero(self) -> numpy.ndarray:
        """Which eigenvalues the float64 SVD cannot tell from 0: a squared singular value
        at most (n·ε·σ_max)², NumPy's rank tolerance (relu's D_l zero units, so JJᵀ has an
        eigenvalue 0 that the SVD leaves at about 10⁻³⁰ of the largest)."""
        tolerance = (self.width * numpy.finfo(float).eps) ** 2
        return self.eigenvalues <= tolerance * self.eigenvalues.max(axis=1, keepdims=True)

    def histogram(self, top: float, bins: int = HISTOGRAM_BINS) -> Histogram:
        """The values binned on [0, ``top``] (see ``Histogram``)."""
        values = self.values()
        total = len(values)
        zero = self.numerically_zero().ravel()
        beyond = ~zero & ~(values <= top)  # inf and nan too
        counts, edges = numpy.histogram(values[~zero & ~beyond], bins=bins, range=(0.0, top))
        width = top / bins
        return Histogram(tuple(float(e) for e in edges),
                         tuple(float(c) / (total * width) for c in counts),
                         float(zero.sum()) / total, float(beyond.sum()) / total)

    def fourth_moment_ratio(self) -> Estimate:
        """E‖Ju‖⁴ / (E‖Ju‖²)² for u uniform on the sphere (Hanin's ratio), with its error
        by the delta method."""
        n = self.width
        with numpy.errstate(all="ignore"):  # (every net's J 0: no ratio, nan)
            return self._fourth_moment_ratio(n)

    def _fourth_moment_ratio(self, n: int) -> Estimate:
        scale = numpy.exp(self.log_scales)
        first = scale * numpy.sum(self.eigenvalues, axis=1) / n
        second = scale ** 2 * (2 * numpy.sum(self.eigenvalues ** 2, axis=1)
                               + numpy.sum(self.eigenvalues, axis=1) ** 2) / (n * (n + 2))
        mean1, mean2 = first.mean(), second.mean()
        ratio = mean2 / mean1 ** 2
        if self.samples < 2:
            return Estimate(float(ratio), math.inf)
        covariance = numpy.cov(numpy.vstack([second, first])) / self.samples
        gradient = numpy.array([1 / mean1 ** 2, -2 * mean2 / mean1 ** 3])
        return Estimate(float(ratio), float(math.sqrt(max(gradient @ covariance @ gradient, 0))))


def hanin_ratio(widths) -> float:
    """∏_j (1 + 5/n_j): E‖Ju‖⁴ / (E‖Ju‖²)² of a ReLU net at σ_w² = 2, σ_b² = 0."""
    return math.prod(1 + 5 / n for n in widths)


def _mean(values: numpy.ndarray) -> Estimate:
    error = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.inf
    return Estimate(float(values.mean()), error)


def check_sampling(width: int, samples: int, depth: int) -> None:
    """Refuse, in one sentence, a width or a number of samples out of range, or more work
    than MAX_WORK."""
    for value, name, top in ((width, "width", MAX_WIDTH), (samples, "number of samples",
                                                            MAX_SAMPLES)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise SymgradError(f"The {name} must be a whole number from 1 to {top:,}.")
    if samples * depth * width ** 3 > MAX_WORK:
        nets = "1 sample" if samples == 1 else f"{samples} samples"
        raise SymgradError(f"{nets} of width {width} at depth {depth} are too much work; ask "
                           "for fewer samples, a smaller width or depth.")


def sample_spectra(activation: Activation, sigma_w2: float, sigma_b2: float, q_star: float,
                   depth: int, width: int, samples: int, seed: int, weights: str,
                   progress=None) -> SampledSpectra:
    """``samples`` nets of ``width`` units and ``depth`` layers at the fixed point q*: the
    eigenvalues of JJᵀ of each. ``progress(1)`` is called after each sample."""
    check_sampling(width, samples, depth)
    derivative = float_arithmetic(ScalarChain(1, activation), "float64",
                                  stable=True).sigma_and_derivative
    rng = numpy.random.default_rng(seed)
    input_norm = math.sqrt(width * max(q_star - sigma_b2, 0.0) / sigma_w2)
    rows, scales = [], []
    with numpy.errstate(all="ignore"), quiet_blas():  # (a width-100 QR on a busy machine:
        for _ in range(samples):                       # 0.3 ms on one thread, 20 ms on two)
            a = rng.standard_normal(width)
            a *= input_norm / max(numpy.linalg.norm(a), 1e-300)
            jacobian, log_scale = numpy.eye(width), 0.0
            for _ in range(depth):
                w = _weights(rng, width, sigma_w2, weights)
                h = w @ a + rng.standard_normal(width) * math.sqrt(sigma_b2)
                a, slope = (numpy.broadcast_to(v, h.shape) for v in derivative(h))
                jacobian = slope[:, None] * (w @ jacobian)
                norm = numpy.linalg.norm(jacobian)
                if not math.isfinite(norm):
                    raise SymgradError("A sampled net's Jacobian left float64's range.")
                if norm == 0:
                    log_scale = -math.inf
                    break
                jacobian /= norm
                log_scale += 2 * math.log(norm)
            singular = numpy.linalg.svd(jacobian, compute_uv=False)
            rows.append(numpy.sort(singular ** 2))
            scales.append(log_scale)
            if progress is not None:
                progress(1)
    return SampledSpectra(width, samples, seed, weights, numpy.array(rows), numpy.array(scales))


def _weights(rng, width: int, sigma_w2: float, weights: str) -> numpy.ndarray:
    gaussian = rng.standard_normal((width, width))
    if weights == "gaussian":
        return gaussian * math.sqrt(sigma_w2 / width)
    q, r = numpy.linalg.qr(gaussian)
    return q * numpy.sign(numpy.diag(r)) * math.sqrt(sigma_w2)
