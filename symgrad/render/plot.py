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
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from symgrad.errors import SymgradError
from symgrad.numeric.real import exact_text
from symgrad.render.chart import bar_width, float_limit_lines, limit_label
from symgrad.render.document import Figure
from symgrad.render.language import DEFAULT, setting
from symgrad.render.printing import LatexPrinter, TextPrinter, uncounted
from symgrad.render.prose import Words

if TYPE_CHECKING:
    from symgrad.numeric.evaluate import ChainEvaluation

PLOT_POINTS = 2_000  # layers sampled per curve; a figure has no more pixels than this
QUANTITIES = {"delta": ("δ_l", r"\delta_l"), "grad_w": ("∂C/∂w_l", r"\partial C/\partial w_l")}
# a recurrent cell's curve: the gradient reaching step t (not a --quantity of a chain)
STEP_QUANTITIES = {"dC_dh": ("∂C/∂h_t", r"\partial C/\partial h_t")}
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


def figure(curves: list[Curve], quantity: str, title: str):
    """A matplotlib Figure (not shown, not saved)."""
    pyplot = _pyplot()
    figure_, axes = pyplot.subplots(figsize=(8, 5))
    data = [m for c in curves for m in c.magnitudes if m is not None]
    low, high = (min(data), max(data)) if data else (-1.0, 1.0)
    for c in curves:
        axes.plot(c.layers, [float("nan") if m is None else m for m in c.magnitudes], label=c.label)
    bottom, top = min(low, -50.0), max(high, 50.0)  # float32's limits always in view
    _limit_lines(axes, float_limit_lines())
    off_scale = [rf"{label} at $10^{{{value:.0f}}}$" for label, value in float_limit_lines()
                 if not bottom <= value <= top]
    padding = 0.05 * (top - bottom)
    axes.set_ylim(bottom - padding, top + padding)
    text_name, math_name = {**QUANTITIES, **STEP_QUANTITIES}[quantity]
    axes.set_xlabel("step t" if quantity in STEP_QUANTITIES else "layer l")
    axes.set_ylabel(rf"$\log_{{10}} |{math_name}|$")
    # the terminal's words, typeset: log10 |δ_l| as $\log_{10} |\delta_l|$, no raw underscore
    axes.set_title(title.replace(f"log10 |{text_name}|", rf"$\log_{{10}} |{math_name}|$"))
    if off_scale:
        axes.annotate("off this scale: " + ", ".join(off_scale), xy=(0.01, 0.01),
                      xycoords="axes fraction", fontsize=7, color="grey")
    axes.legend(fontsize=8, loc="best")
    axes.grid(True, alpha=0.3)
    return figure_


_LIMIT_STYLES = {"float32 overflow": ("dimgrey", "--"), "float32 underflow": ("dimgrey", ":"),
                 "float64 overflow": ("black", "--"), "float64 underflow": ("black", ":")}


def _limit_lines(axes, lines: list[tuple[str, float]], lang: str = DEFAULT) -> None:
    """The float limits as labelled horizontal lines (in the legend, in ``lang``)."""
    for label, value in lines:
        colour, style = _LIMIT_STYLES[label]
        axes.axhline(value, color=colour, linestyle=style, linewidth=0.8,
                     label=limit_label(label, lang))


_LINE_STYLES = (("#1f3f8f", "o"), ("#a01c1c", "s"), ("#2f6f2f", "^"), ("#c06000", "D"),
                ("#6a3d9a", "p"))  # as pgfplots draws them (chart.LATEX_LINE_STYLES)


def document_figure(chart: Figure, x_label: str, y_label: str, lang: str = DEFAULT):
    """A document's figure as a matplotlib Figure, as pgfplots draws it in LaTeX: a line
    with marks (or a histogram's bars), the float limits in view, the axes labelled
    (``x_label``, ``y_label``: mathtext, math between $ signs)."""
    pyplot = _pyplot()
    figure_, axes = pyplot.subplots(figsize=(7, 3.6))
    box = chart.frame
    if box is not None and chart.behind is not None:
        edges, heights = chart.behind
        axes.stairs(heights, edges, fill=True, color="0.85", edgecolor="0.55", linewidth=0.6)
    if box is not None and chart.bars:
        axes.bar(chart.xs, chart.ys, width=bar_width(box), color="0.7", edgecolor="0.3")
    elif box is not None:
        curves = [(chart.xs, chart.ys, chart.label),
                  *((line.xs, line.ys, line.label) for line in chart.more)]
        for (xs, ys, label), (colour, marker) in zip(curves, _LINE_STYLES):
            axes.plot(xs, [float("nan") if y is None else y for y in ys], marker=marker,
                      markersize=3.5, markevery=max(1, -(-len(xs) // 40)), linewidth=1.5,
                      color=colour, label=axis_label(label) if chart.more else None)
        lines = chart.limit_lines
        _limit_lines(axes, lines, lang)
        if lines or chart.more:
            axes.legend(fontsize=8, loc="best")
        if all(float(x).is_integer() for x in chart.xs):
            axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.grid(True, alpha=0.3)
    return figure_


def labelled_figure(chart: Figure, lang: str = DEFAULT, words_in_math: bool = False):
    """``document_figure`` with the chart's axis labels (words in ``lang``; see
    ``axis_label``)."""
    return document_figure(chart, *(axis_label(label, words_in_math)
                                     for label in (chart.x_label, chart.y_label)), lang=lang)


def axis_label(label: Words, words_in_math: bool = False) -> str:
    """An axis label for matplotlib: its formulas in mathtext (by the LaTeX printer, whose
    macros mathtext knows). Words mathtext's own fonts lack (kana, kanji) are set in the
    math too, upright, where ``words_in_math`` (``language_fonts`` found a font that has
    them); else the label is plain text, its formulas in Unicode."""
    if isinstance(label, str):
        return label
    printer = LatexPrinter()
    with uncounted():
        if all(ord(char) < _CJK for char in label.printed(str, lambda expr: "")):
            return label.printed(str, lambda expr: f"${printer.doprint(expr)}$")
        if words_in_math:
            return "$" + label.printed(lambda text: rf"\mathrm{{{text}}}".replace(" ", r"\ "),
                                       printer.doprint) + "$"
        return label.printed(str, TextPrinter().doprint)


_CJK = 0x2E80  # the first code point of the CJK blocks


def figure_svg(chart: Figure, lang: str = DEFAULT) -> bytes | None:
    """A document's figure as SVG bytes drawn by matplotlib, or None where matplotlib is
    not installed."""
    if not matplotlib_installed():
        return None
    with language_fonts(lang) as found:
        return figure_bytes(labelled_figure(chart, lang, words_in_math=found), ".svg")


@contextmanager
def language_fonts(lang: str) -> Iterator[bool]:
    """Fonts for a figure's words in ``lang``: the first of the language's ``PLOT_FONTS``
    installed, after matplotlib's own (each glyph from the first font that has it, and the
    upright words of mathtext from it); with none installed, an SVG keeps its text as text,
    for the reader's fonts to set. Yields whether a font was found."""
    families = setting(lang, "PLOT_FONTS", ())
    if not families:
        yield False
        return
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    found = [family for family in families if family in installed]
    own = _pyplot().rcParams["font.sans-serif"][0]  # DejaVu Sans, unless set otherwise
    rc = {"font.family": [own, found[0]], "mathtext.fontset": "custom",
          "mathtext.rm": found[0], "mathtext.it": f"{own}:italic", "mathtext.bf": f"{own}:bold",
          "mathtext.sf": own} if found else {"svg.fonttype": "none"}
    with _pyplot().rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Glyph .* missing from font")
        yield bool(found)


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
    """The figure as a file of type ``suffix``; the same figure gives the same bytes (an
    SVG's ids are drawn from a fixed salt, and no file carries a date)."""
    if suffix not in FILE_TYPES:
        raise SymgradError(f"A plot is written as {', '.join(FILE_TYPES)}, not '{suffix}'.")
    pyplot = _pyplot()
    buffer = io.BytesIO()
    with pyplot.rc_context({"svg.hashsalt": "symgrad"}):
        figure_.savefig(buffer, format=suffix[1:], bbox_inches="tight",
                        metadata=_NO_DATE.get(suffix))
    pyplot.close(figure_)
    return buffer.getvalue()


_NO_DATE = {".svg": {"Date": None}, ".pdf": {"CreationDate": None}, ".png": None}


def matplotlib_installed() -> bool:
    try:
        _pyplot()
    except SymgradError:
        return False
    return True


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
