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
from functools import cached_property

import numpy

from symgrad.activations import Activation
from symgrad.errors import SymgradError
from symgrad.networks import ScalarChain
from symgrad.numeric.balls import quiet_blas
from symgrad.numeric.kinds import float_arithmetic

MAX_WIDTH = 2048
MAX_SAMPLES = 100_000  # (Hanin's ratio at width 10 needs 10^5: its ‖Ju‖⁴ is heavy-tailed)
MAX_WORK = 3 * 10**11  # samples × (depth + SVD_LAYERS) × width³ refused above this: about
# 30 s here (width 100: 27,000 nets; width 2048: 3), inside the command's 60 s
SVD_LAYERS = 10  # a net's SVD and stacking cost about as much as this many layers
MAX_VALUES = 10**7  # samples × width squared singular values kept (80 MB)
HEAVY_TAIL_NETS = 30  # effective nets below which E‖Ju‖⁴'s standard error is not trusted
HEAVY_TAIL_SHARE = 0.01  # … or below this share of the samples
HISTOGRAM_BINS = 40
CHUNK_VALUES = 2**18  # floats in one stacked array of a chunk's nets (2 MB)


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
    below: float = 0.0  # the fraction above 0 below the first edge (a logarithmic binning)


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

    def histogram(self, top: float, bins: int = HISTOGRAM_BINS,
                  bottom: float | None = None) -> Histogram:
        """The values binned on [0, ``top``], or with ``bottom`` in bins evenly spaced in
        log λ from bottom to top (see ``Histogram``)."""
        values = self.values()
        total = len(values)
        zero = self.numerically_zero().ravel()
        beyond = ~zero & ~(values <= top)  # inf and nan too
        below = ~zero & (values < bottom) if bottom is not None else numpy.zeros_like(zero)
        edges = numpy.linspace(0.0, top, bins + 1) if bottom is None else \
            numpy.geomspace(bottom, top, bins + 1)
        counts, edges = numpy.histogram(values[~zero & ~beyond & ~below], bins=edges)
        return Histogram(tuple(float(e) for e in edges),
                         tuple(float(c) / (total * w) for c, w in zip(counts, numpy.diff(edges))),
                         float(zero.sum()) / total, float(beyond.sum()) / total,
                         float(below.sum()) / total)

    def fourth_moment_ratio(self) -> Estimate:
        """E‖Ju‖⁴ / (E‖Ju‖²)² for u uniform on the sphere (Hanin's ratio), with its error
        by the delta method."""
        first, second = self._per_net_moments
        mean1, mean2 = first.mean(), second.mean()
        with numpy.errstate(all="ignore"):  # (every net's J 0: no ratio, nan)
            ratio = mean2 / mean1 ** 2
            if self.samples < 2:
                return Estimate(float(ratio), math.inf)
            covariance = numpy.cov(numpy.vstack([second, first])) / self.samples
            gradient = numpy.array([1 / mean1 ** 2, -2 * mean2 / mean1 ** 3])
            return Estimate(float(ratio),
                            float(math.sqrt(max(gradient @ covariance @ gradient, 0))))

    def fourth_moment_effective_samples(self) -> float:
        """Kish's effective number of nets behind E‖Ju‖⁴, (Σ y)²/Σ y² over the nets' y =
        E_u‖Ju‖⁴: about the number of samples where no few nets dominate; far below it
        (ReLU at width 10, depth 10: about 20 of 100,000) the mean rests on a handful of
        nets, and its standard error understates how far off it may be."""
        _, second = self._per_net_moments
        total, squares = second.sum(), (second ** 2).sum()
        return float(total ** 2 / squares) if squares > 0 else 0.0

    def heavy_tailed(self) -> bool:
        """Whether E‖Ju‖⁴ rests on fewer than HEAVY_TAIL_NETS effective nets or below
        HEAVY_TAIL_SHARE of the samples (see ``fourth_moment_effective_samples``)."""
        effective = self.fourth_moment_effective_samples()
        return effective < max(HEAVY_TAIL_NETS, HEAVY_TAIL_SHARE * self.samples)

    @cached_property
    def _per_net_moments(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """Each net's E_u‖Ju‖² and E_u‖Ju‖⁴ (see the module)."""
        n = self.width
        with numpy.errstate(all="ignore"):
            scale = numpy.exp(self.log_scales)
            first = scale * numpy.sum(self.eigenvalues, axis=1) / n
            second = scale ** 2 * (2 * numpy.sum(self.eigenvalues ** 2, axis=1)
                                   + numpy.sum(self.eigenvalues, axis=1) ** 2) / (n * (n + 2))
        return first, second


def hanin_ratio(widths) -> float:
    """∏_j (1 + 5/n_j): E‖Ju‖⁴ / (E‖Ju‖²)² of a ReLU net at σ_w² = 2, σ_b² = 0."""
    return math.prod(1 + 5 / n for n in widths)


def _mean(values: numpy.ndarray) -> Estimate:
    error = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else math.inf
    return Estimate(float(values.mean()), error)


def check_sampling(width: int, samples: int, depth: int) -> None:
    """Refuse, in one sentence, a width or a number of samples out of range, more work than
    MAX_WORK or more values to keep than MAX_VALUES."""
    for value, name, top in ((width, "width", MAX_WIDTH), (samples, "number of samples",
                                                            MAX_SAMPLES)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise SymgradError(f"The {name} must be a whole number from 1 to {top:,}.")
    if samples * (depth + SVD_LAYERS) * width ** 3 > MAX_WORK:
        nets = "1 sample" if samples == 1 else f"{samples} samples"
        raise SymgradError(f"{nets} of width {width} at depth {depth} are too much work; ask "
                           "for fewer samples, a smaller width or depth.")
    if samples * width > MAX_VALUES:
        raise SymgradError(f"{samples:,} samples of width {width} have more singular values "
                           f"than the {MAX_VALUES:,} kept; ask for fewer samples or a smaller "
                           "width.")


def sample_spectra(activation: Activation, sigma_w2: float, sigma_b2: float, q_star: float,
                   depth: int, width: int, samples: int, seed: int, weights: str,
                   progress=None) -> SampledSpectra:
    """``samples`` nets of ``width`` units and ``depth`` layers at the fixed point q*: the
    eigenvalues of JJᵀ of each, the nets drawn CHUNK_VALUES // width² at a time as stacked
    arrays (width 10: 10,000 nets a NumPy call, not one). ``progress(k)`` after each k."""
    check_sampling(width, samples, depth)
    derivative = float_arithmetic(ScalarChain(1, activation), "float64",
                                  stable=True).sigma_and_derivative
    rng = numpy.random.default_rng(seed)
    input_norm = math.sqrt(width * max(q_star - sigma_b2, 0.0) / sigma_w2)
    chunk = max(1, CHUNK_VALUES // width ** 2)
    rows, scales = [], []
    with numpy.errstate(all="ignore"), quiet_blas():  # (a width-100 QR on a busy machine:
        for start in range(0, samples, chunk):         # 0.3 ms on one thread, 20 ms on two)
            count = min(chunk, samples - start)
            a = rng.standard_normal((count, width))
            a *= input_norm / numpy.maximum(numpy.linalg.norm(a, axis=1, keepdims=True), 1e-300)
            jacobian = numpy.broadcast_to(numpy.eye(width), (count, width, width))
            log_scale = numpy.zeros(count)
            for _ in range(depth):
                w = _weights(rng, count, width, sigma_w2, weights)
                h = (w @ a[:, :, None])[:, :, 0] + \
                    rng.standard_normal((count, width)) * math.sqrt(sigma_b2)
                a, slope = (numpy.broadcast_to(v, h.shape) for v in derivative(h))
                jacobian = slope[:, :, None] * (w @ jacobian)
                norm = numpy.linalg.norm(jacobian, axis=(1, 2))
                if not numpy.all(numpy.isfinite(norm)):
                    raise SymgradError("A sampled net's Jacobian left float64's range.")
                log_scale += 2 * numpy.log(norm)  # (a J of 0 stays 0, its scale -inf)
                jacobian = jacobian / numpy.where(norm > 0, norm, 1.0)[:, None, None]
            singular = numpy.linalg.svd(jacobian, compute_uv=False)
            rows.append(numpy.sort(singular ** 2, axis=1))
            scales.append(log_scale)
            if progress is not None:
                progress(count)
    return SampledSpectra(width, samples, seed, weights, numpy.concatenate(rows),
                          numpy.concatenate(scales))


def _weights(rng, count: int, width: int, sigma_w2: float, weights: str) -> numpy.ndarray:
    """``count`` weight matrices: Gaussian of variance σ_w²/n, or σ_w times a Haar-orthogonal
    Q (of a Gaussian matrix's QR, its columns' signs those of R's diagonal)."""
    gaussian = rng.standard_normal((count, width, width))
    if weights == "gaussian":
        return gaussian * math.sqrt(sigma_w2 / width)
    q, r = numpy.linalg.qr(gaussian)
    return q * numpy.sign(numpy.diagonal(r, axis1=1, axis2=2))[:, None, :] * math.sqrt(sigma_w2)
