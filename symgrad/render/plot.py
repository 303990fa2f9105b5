"""``symgrad plot``: log10 of a gradient against the layer, several chains on one figure.

The curves come from the exact evaluator, so nothing is clipped at the float range;
the float32 and float64 limits are drawn as horizontal lines to show where floats
would give up. Without an output file the same curves print as terminal charts
(``symgrad.render.chart``). matplotlib is an optional extra (``symgrad[plot]``).
"""

from __future__ import annotations

import base64
import io
import math
import os
from dataclasses import dataclass

from symgrad.analysis.float_formats import FORMATS
from symgrad.errors import SymgradError
from symgrad.numeric.evaluate import ChainEvaluation
from symgrad.numeric.real import exact_text

PLOT_POINTS = 2_000  # layers sampled per curve; a figure has no more pixels than this
QUANTITIES = {"delta": ("δ_l", r"\delta_l"), "grad_w": ("∂C/∂w_l", r"\partial C/\partial w_l")}
LIMIT_FORMATS = ("float32", "float64")
FILE_TYPES = (".png", ".svg", ".pdf")


@dataclass(frozen=True)
class Curve:
    label: str
    layers: tuple[int, ...]
    magnitudes: tuple[float | None, ...]  # log10|quantity|, None where it is 0


def curve(evaluation: ChainEvaluation, quantity: str, label: str) -> Curve:
    if quantity == "grad_w" and evaluation.point.gain_mode:
        raise SymgradError("∂C/∂w_l needs the forward pass: give --x instead of --z.")
    layers = tuple(evaluation.kept)
    return Curve(label, layers, evaluation.magnitudes(layers, quantity))


def float_limit_lines() -> list[tuple[str, float]]:
    """(label, log10 value) of the largest finite number and smallest subnormal of
    float32 and float64."""
    lines = []
    for fmt in FORMATS:
        if fmt.name in LIMIT_FORMATS:
            largest = math.log10(fmt.largest.p) - math.log10(fmt.largest.q)
            smallest = -math.log10(fmt.smallest_subnormal.q)
            lines += [(f"{fmt.name} overflow", largest), (f"{fmt.name} underflow", smallest)]
    return lines


def figure(curves: list[Curve], quantity: str, title: str):
    """A matplotlib Figure (not shown, not saved)."""
    pyplot = _pyplot()
    figure_, axes = pyplot.subplots(figsize=(8, 5))
    data = [m for c in curves for m in c.magnitudes if m is not None]
    low, high = (min(data), max(data)) if data else (-1.0, 1.0)
    for c in curves:
        axes.plot(c.layers, [float("nan") if m is None else m for m in c.magnitudes], label=c.label)
    bottom, top = min(low, -50.0), max(high, 50.0)  # float32's limits always in view
    off_scale = []
    styles = (("dimgrey", "--"), ("dimgrey", ":"), ("black", "--"), ("black", ":"))
    for (label, value), (colour, style) in zip(float_limit_lines(), styles):
        axes.axhline(value, color=colour, linestyle=style, linewidth=0.8, label=label)
        if not bottom <= value <= top:
            off_scale.append(f"{label} at 10^{value:.0f}")
    padding = 0.05 * (top - bottom)
    axes.set_ylim(bottom - padding, top + padding)
    text_name, math_name = QUANTITIES[quantity]
    axes.set_xlabel("layer l")
    axes.set_ylabel(rf"$\log_{{10}} |{math_name}|$")
    axes.set_title(title)
    if off_scale:
        axes.annotate("off this scale: " + ", ".join(off_scale), xy=(0.01, 0.01),
                      xycoords="axes fraction", fontsize=7, color="grey")
    axes.legend(fontsize=8, loc="best")
    axes.grid(True, alpha=0.3)
    return figure_


def histogram_figure(sample):
    """The sampled log10 ratios as a matplotlib histogram, with the sampled mean and the
    mean-field log10 √(χ₁^L) (the typical ratio the prediction implies) marked."""
    pyplot = _pyplot()
    figure_, axes = pyplot.subplots(figsize=(8, 5))
    counts, edges = sample.histogram
    if len(counts):
        axes.stairs(counts, edges, fill=True, alpha=0.6, label=f"{sample.samples} samples")
        axes.axvline(sample.mean, color="black", linewidth=1, label="sampled mean of log10 r")
    prediction = float(sample.prediction.log10_gradient_ratio) / 2
    if math.isfinite(prediction):
        axes.axvline(prediction, color="black", linestyle="--", linewidth=1,
                     label=r"mean field: $\log_{10}\sqrt{\chi_1^L}$")
    for bound in (-1, 1):
        axes.axvline(bound, color="grey", linestyle=":", linewidth=0.8)
    axes.set_xlabel(r"$\log_{10} |\partial C/\partial a^0| \,/\, |\partial C/\partial a^L|$")
    axes.set_ylabel("samples")
    axes.set_title(f"{sample.activation.name}, depth {sample.depth}, width {sample.width}, "
                   f"σ_w² = {exact_text(sample.sigma_w2, 'text')}, "
                   f"σ_b² = {exact_text(sample.sigma_b2, 'text')}")
    axes.legend(fontsize=8, loc="best")
    return figure_


def figure_bytes(figure_, suffix: str) -> bytes:
    if suffix not in FILE_TYPES:
        raise SymgradError(f"A plot is written as {', '.join(FILE_TYPES)}, not '{suffix}'.")
    buffer = io.BytesIO()
    figure_.savefig(buffer, format=suffix[1:], bbox_inches="tight")
    _pyplot().close(figure_)
    return buffer.getvalue()


def _pyplot():
    # The figures are files, drawn by Agg whatever MPLBACKEND says, so a backend named
    # there (even one matplotlib does not know, which fails its import) is set aside while
    # matplotlib is first imported, and put back.
    backend = os.environ.pop("MPLBACKEND", None)
    try:
        import matplotlib
    except ImportError:
        raise SymgradError("Plots need matplotlib: pip install 'symgrad[plot]'.") from None
    finally:
        if backend is not None:
            os.environ["MPLBACKEND"] = backend
    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as pyplot

    return pyplot


def document_figure(figure):
    """A document's ``Figure`` (log10|δ_l| against l; a histogram) as a matplotlib Figure: a
    line with markers through its points (a value of 0, log10 = -∞, left out), or bars, on
    labelled axes with matplotlib's round ticks."""
    pyplot = _pyplot()
    figure_, axes = pyplot.subplots(figsize=(6.4, 3.6))
    points = [(x, y) for x, y in zip(figure.xs, figure.ys) if y is not None]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if figure.bars:
        step = min((b - a for a, b in zip(xs, xs[1:])), default=1.0)
        axes.bar(xs, ys, width=0.9 * step, color="tab:blue")
    else:
        axes.plot(xs, ys, marker="o", markersize=3, linewidth=1.2, color="tab:blue")
    axes.set_xlabel(f"${figure.x_label}$")
    axes.set_ylabel(f"${figure.y_label}$")
    axes.grid(True, alpha=0.3)
    return figure_


def figure_images(figure_) -> dict[str, str]:
    """A matplotlib Figure as the images a notebook shows: SVG (crisp, where the notebook is
    trusted) and PNG (base64: shown everywhere); the figure is closed."""
    images = {}
    for mime, suffix in (("image/svg+xml", "svg"), ("image/png", "png")):
        buffer = io.BytesIO()
        figure_.savefig(buffer, format=suffix, bbox_inches="tight")
        data = buffer.getvalue()
        images[mime] = data.decode() if suffix == "svg" else base64.b64encode(data).decode()
    _pyplot().close(figure_)
    return images
