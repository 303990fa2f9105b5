"""Document layouts of the random-weight results: mean field, critical line, samples."""

from __future__ import annotations

import math

import mpmath
import sympy

from symgrad.analysis.meanfield import CriticalLine, CriticalPoint, FixedPoint, MeanFieldResult
from symgrad.analysis.sampling import GradientSample
from symgrad.numeric.real import decimal, exact_text
from symgrad.render.document import Document, Figure, Grid, Section, document

SAMPLE_DIGITS = 4  # digits of a sampled statistic (its noise is far larger than this)

VARIANCE_MAP = ("Weights of variance σ_w²/n and biases of variance σ_b²: a wide layer's "
                "preactivations are Gaussian, their variance following the map "
                "q ↦ σ_w² E[σ(√q Z)²] + σ_b² (Z ~ N(0, 1)).")
GAIN = ("Per layer the expected squared gradient is multiplied by χ₁ = σ_w² E[σ'(√q* Z)²] at "
        "the fixed point q*: below 1 it vanishes, above 1 it explodes, at 1 it is critical "
        "(the edge of chaos). ξ = 1/|ln χ₁| is the depth over which it changes by a factor e.")


def fixed_point_words(point: FixedPoint, dps: int) -> str:
    if point.kind == "stable":
        return f"q* = {decimal(point.q, dps)}: the variance settles there from q = 1."
    if point.kind == "collapses":
        return "q* = 0: the variance decays to 0 (σ_b² = 0 and σ(0) = 0), so χ₁ is σ_w² σ'(0)²."
    if point.kind == "identity":
        return ("Every q is fixed (the map is q ↦ q): the variance keeps the input's, q = 1 "
                "here; χ₁ does not depend on q.")
    return ("No fixed point: the variance grows without bound, so χ₁ is its limit as q → ∞, "
            "σ_w² (σ'(∞)² + σ'(−∞)²)/2.")


@document.register
def _(result: MeanFieldResult) -> Document:
    digits = result.dps
    title = (f"Mean field: {result.activation.name}, σ_w² = {exact_text(result.sigma_w2, 'text')}, "
             f"σ_b² = {exact_text(result.sigma_b2, 'text')}, depth {result.depth}")
    scale = result.depth_scale
    grid = Grid(("quantity", "value"), (
        ("q*", "—" if result.fixed.q is None else decimal(result.fixed.q, digits)),
        ("χ₁", decimal(result.chi, digits)),
        ("regime", result.regime),
        ("ξ = 1/|ln χ₁|", "inf" if mpmath.isinf(scale) else decimal(scale, digits)),
        (f"χ₁^{result.depth}", decimal(result.gradient_ratio, digits)),
        (f"log10 χ₁^{result.depth}", _log10_text(result.log10_gradient_ratio, digits)),
    ))
    ratio = (f"Over {result.depth} layers the expected squared gradient ratio "
             f"E|∂C/∂a⁰|² / |∂C/∂aᴸ|² is χ₁^{result.depth}, each number to {digits} digits.")
    return Document(title, [
        Section("Variance map", VARIANCE_MAP + " " + fixed_point_words(result.fixed, digits)),
        Section("Gradient gain", GAIN + " " + ratio, grid=grid),
    ], sympy.Integer(result.depth))


def _log10_text(value, digits: int) -> str:
    return "-inf" if mpmath.isinf(value) else decimal(value, min(digits, 15))


def critical_words(point: CriticalPoint) -> str:
    return {
        "stable": "χ₁ = 1 at the stable fixed point q*",
        "collapses": "q* = 0: χ₁ = σ_w² σ'(0)² = 1, and the variance decays to 0",
        "identity": "the map is q ↦ q: every input variance is kept, χ₁ = 1 for all q",
        "diverges": "χ₁ = 1 for every q, but the variance grows without bound (q ↦ q + σ_b²)",
        "none": "no critical point: no σ_w² makes χ₁ = 1 at an attracting fixed point "
                "(q* up to 10⁶ searched)",
    }[point.kind]


@document.register
def _(line: CriticalLine) -> Document:
    digits = line.dps
    rows = tuple((exact_text(p.sigma_b2, "text"), "—" if p.sigma_w2 is None else decimal(p.sigma_w2, digits),
                  "—" if p.q is None else decimal(p.q, digits), critical_words(p))
                 for p in line.points)
    words = ("The edge of chaos: for each σ_b², the σ_w² at which χ₁ = σ_w² E[σ'(√q* Z)²] = 1 "
             f"at the variance map's fixed point q*, each to {digits} digits. With q* > 0 the two "
             "conditions together read (q − σ_b²) E[σ'²] = E[σ²], one equation in q; then "
             "σ_w² = 1/E[σ'(√q Z)²].")
    title = f"Critical initialisation: {line.activation.name}"
    return Document(title, [Section("Critical line", words,
                                    grid=Grid(("σ_b²", "σ_w²", "q*", "why"), rows))],
                    sympy.Symbol("L"))


@document.register
def _(sample: GradientSample) -> Document:
    shape = "scalar chains" if sample.width == 1 else f"matrix nets of width {sample.width}"
    title = (f"Sampled gradients: {sample.samples} {sample.activation.name} {shape}, depth "
             f"{sample.depth}, σ_w² = {exact_text(sample.sigma_w2, 'text')}, "
             f"σ_b² = {exact_text(sample.sigma_b2, 'text')}")
    setting = (f"Seed {sample.seed}. Weights N(0, σ_w²/n), biases N(0, σ_b²); the input is a "
               f"layer's output at the fixed point (σ(h), h ~ N(0, {_short(sample.input_variance)})); "
               "the gradient reaching the output has a random direction. Each sample's ratio "
               "r = |∂C/∂a⁰| / |∂C/∂aᴸ| is taken in log space in float64, entries float64 "
               f"cannot hold in MPFR ({sample.rescued} such σ' values).")
    stats = [("mean of log10 r", _short(sample.mean)), ("standard deviation", _short(sample.std))]
    stats += [(f"quantile {p:g}", _short(v)) for p, v in sample.quantiles]
    stats += [("fraction in [10⁻¹, 10¹]", _short(sample.within_tenfold)),
              ("fraction exactly 0", _short(sample.zero_fraction))]
    prediction = sample.prediction
    error = sample.log10_mean_square_error
    compare = Grid(("", "log10"), (
        ("sampled mean of r²", _short(sample.log10_mean_square)
         + ("" if math.isnan(error) else f" (± {_short(error)})")),
        (f"mean field χ₁^{sample.depth}", _log10_text(prediction.log10_gradient_ratio, SAMPLE_DIGITS)),
    ))
    counts, edges = sample.histogram
    centres = tuple(float((a + b) / 2) for a, b in zip(edges, edges[1:]))
    figure = Figure(centres, tuple(float(c) for c in counts), r"\log_{10} r", r"\mathrm{samples}",
                    "samples against log10 r", bars=True) if len(counts) else None
    chance = ("By chance, some products of w and σ' are not extreme: the fraction in [10⁻¹, 10¹] "
              "is how many nets kept their gradient within a factor of ten.")
    mean_field = (f"Mean field predicts E[r²] = χ₁^{sample.depth} with χ₁ = "
                  f"{decimal(prediction.chi, 8)} ({prediction.regime}); it describes wide nets "
                  "(for width 1 the layers are far from Gaussian). ± is one standard error of "
                  "the sampled mean.")
    return Document(title, [
        Section("Setting", setting),
        Section("Distribution of log10 r", chance, grid=Grid(("statistic", "value"), tuple(stats)),
                figure=figure),
        Section("Against mean field", mean_field, grid=compare),
    ], sympy.Integer(sample.depth))


def _short(value: float) -> str:
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    return f"{value:.{SAMPLE_DIGITS}g}"
