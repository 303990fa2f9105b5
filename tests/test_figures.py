"""Figures a lecturer would keep (issue 15, point 3): the log10|δ_l| figure is a pgfplots
plot whose coordinates are the values of an independent backward pass, with round ticks,
labelled axes and the float limits in view; histograms are bars; documents with figures
compile without overfull boxes; Markdown written to a file gets each figure as an SVG
image beside it (valid XML, referenced by the document), and a refused command writes no
file at all."""

import math
import os
import re
import xml.etree.ElementTree as ElementTree

import mpmath
import numpy
import pytest

import symgrad
from symgrad.render import render
from tests.oracle import MPMATH_ACTIVATIONS, mp_forward
from tests.process import symgrad_process
from tests.test_latex_compiles import compile_latex

ADDPLOT = re.compile(r"\\addplot\[([^\]]*)\] coordinates \{([^}]*)\}")
COORDINATE = re.compile(r"\(([^,()]+),([^,()]+)\)")


def plots(latex: str) -> list[tuple[str, list[tuple[float, float]]]]:
    """Every \\addplot of a document: its options and its (x, y) coordinates."""
    return [(options, [(float(x), float(y)) for x, y in COORDINATE.findall(data)])
            for options, data in ADDPLOT.findall(latex)]


def axis_options(latex: str) -> str:
    return re.search(r"\\begin\{axis\}\[(.*?)\]\n\\addplot", latex, re.S).group(1)


def backward_pass(act: str, weights, biases, x, y, dps: int = 60) -> list:
    """δ_1..δ_L of a plain chain with the quadratic cost, written out here: δ_L =
    (a_L - y) σ'(z_L), δ_l = δ_(l+1) w_(l+1) σ'(z_l), σ' by mpmath's numerical derivative."""
    sigma = MPMATH_ACTIVATIONS[act]
    with mpmath.workdps(dps):
        zs, outputs = mp_forward(act, weights, biases, x)
        slopes = [mpmath.diff(sigma, z) for z in zs]
        deltas = [(outputs[-1] - y) * slopes[-1]]
        for layer in range(len(zs) - 1, 0, -1):  # δ_layer from δ_(layer+1)
            deltas.insert(0, deltas[0] * weights[layer] * slopes[layer - 1])
        return deltas


def float_limits() -> dict[str, float]:
    """log10 of the largest finite and smallest subnormal float32 and float64, by numpy."""
    limits = {}
    for name, kind in (("float32", numpy.float32), ("float64", numpy.float64)):
        info = numpy.finfo(kind)
        limits[f"{name} overflow"] = float(mpmath.log10(mpmath.mpf(float(info.max))))
        limits[f"{name} underflow"] = float(mpmath.log10(mpmath.mpf(float(info.smallest_subnormal))))
    return limits


def test_chart_coordinates_are_an_independent_backward_pass():
    depth, w, x = 30, 2, mpmath.mpf("0.5")
    latex = render(symgrad.evaluate(depth, "sigmoid", w=w, x="0.5"), "latex")
    deltas = backward_pass("sigmoid", [mpmath.mpf(w)] * depth, [mpmath.mpf(0)] * depth, x, 0)
    (options, points), *limit_lines = plots(latex)
    assert "mark=*" in options and not limit_lines  # all of it far from the float limits
    assert [p[0] for p in points] == list(range(1, depth + 1))
    with mpmath.workdps(60):
        for (_, plotted), delta in zip(points, deltas, strict=True):
            assert plotted == pytest.approx(float(mpmath.log10(abs(delta))), rel=1e-12, abs=1e-12)


def test_float_limits_in_view_are_labelled_lines_at_their_values():
    """relu, w = 10, z = 1: δ_l = 10^(L - l) exactly, so log10|δ_l| = L - l; at depth 400 the
    curve crosses float64's and float32's overflow, and float32's underflow is near."""
    depth = 400
    latex = render(symgrad.evaluate(depth, "relu", w=10, z=1), "latex")
    (_, points), *_ = plots(latex)
    assert all(y == depth - x for x, y in points) and (points[0][0], points[-1][0]) == (1, depth)
    limits = float_limits()
    drawn = dict(re.findall(r"coordinates \{\(1,(-?[\d.]+)\) \(400,\1\)\} node\[[^\]]*\] \{([^}]*)\}",
                            latex))
    drawn = {label: float(value) for value, label in drawn.items()}
    assert set(drawn) == {"float32 overflow", "float32 underflow", "float64 overflow"}
    for label, value in drawn.items():
        assert value == pytest.approx(limits[label], abs=1e-9)
    assert "float64 underflow" not in latex  # -323: farther below 0 than half the range
    options = axis_options(latex)
    low, high = (float(re.search(rf"{end}=(-?[\d.]+)", options).group(1)) for end in ("ymin", "ymax"))
    assert low <= limits["float32 underflow"] and high >= depth - 1  # the lines are in the axes


@pytest.mark.parametrize("depth", [3, 10, 30, 400, 2000])
def test_ticks_are_round_layers_and_axes_labelled(depth):
    latex = render(symgrad.evaluate(depth, "tanh", w="3/2", z=1, dps=15), "latex")
    options = axis_options(latex)
    ticks = [int(t) for t in re.search(r"xtick=\{([\d,]+)\}", options).group(1).split(",")]
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1 and 2 <= len(ticks) <= 8, ticks
    step = steps.pop()
    assert re.fullmatch(r"[125]0*", str(step)) and all(t % step == 0 for t in ticks)
    assert 1 <= ticks[0] <= 1 + step and depth - step <= ticks[-1] <= depth
    assert r"xlabel={layer $l$}" in options and r"ylabel={$\log_{10}" in options


def test_a_zero_gradient_breaks_the_line():
    """relu with x = -1: every δ_l is exactly 0: no point, and the document says so; where
    some are 0, the line stops there (nan)."""
    latex = render(symgrad.evaluate(5, "relu", x=-1), "latex")
    assert "addplot" not in latex and "every value is exactly 0" in latex
    # z_2 = -1 < 0: δ_1 = δ_2 = 0; δ_3 = δ_4 = 2
    points = plots(render(symgrad.evaluate(4, "relu", w=[1, -1, 1, 1], b=1, x=1), "latex"))[0][1]
    assert [x for x, y in points if y != y] == [1, 2]
    assert [(x, y) for x, y in points if y == y] == [(3, pytest.approx(float(mpmath.log10(2)))),
                                                     (4, pytest.approx(float(mpmath.log10(2))))]



def test_a_histogram_is_bars_of_the_sampled_counts():
    sample = symgrad.sample(20, "tanh", sigma_w2=1, samples=300)
    latex = render(sample, "latex")
    (options, bars), = plots(latex)
    assert "ybar" in axis_options(latex)
    finite = [v for v in sample.log10_ratios if numpy.isfinite(v)]
    width = bars[1][0] - bars[0][0]
    for number, (centre, count) in enumerate(bars):
        last = number == len(bars) - 1
        inside = [v for v in finite if centre - width / 2 - 1e-9 <= v
                  and (v < centre + width / 2 - 1e-9 or last and v <= centre + width / 2 + 1e-9)]
        assert count == len(inside)
    assert sum(count for _, count in bars) == len(finite)


def overfull(log: str, limit: float = 1.0) -> list[str]:
    return [m.group(0) for m in re.finditer(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*", log)
            if float(m.group(1)) > limit]


DOCUMENTS = {
    "eval sigmoid 30": lambda: symgrad.evaluate(30, "sigmoid", w=2, x="0.5"),
    "eval relu 400 past float32": lambda: symgrad.evaluate(400, "relu", w=10, z=1),
    "eval enclosures": lambda: symgrad.evaluate(40, "gelu", w="3/2", x=1, tied=True,
                                                interval=True, dps=20),
    "notes relu 10": lambda: symgrad.notes(10, "relu", w=10, z=1),
    "sample": lambda: symgrad.sample(50, "tanh", sigma_w2=1, samples=500),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_documents_with_figures_compile_without_overfull_boxes(tmp_path, name):
    log = compile_latex(tmp_path, "doc", render(DOCUMENTS[name](), "latex"))
    assert "tikzpicture" in (tmp_path / "doc.tex").read_text()
    assert not overfull(log), overfull(log)
    assert "Missing character" not in log


def run(*args, cwd, env=None):
    return symgrad_process(*args, cwd=cwd, timeout=180, env=env)


NOTES = ("notes", "--depth", "10", "--act", "relu", "--w", "10", "--z", "1")


def test_markdown_file_gets_its_figure_as_an_svg_beside_it(tmp_path):
    result = run(*NOTES, "-o", "notes.md", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    images = ["notes-diagram-1.svg", "notes-diagram-2.svg", "notes-figure-1.svg"]  # 2: residual
    assert sorted(p.name for p in tmp_path.iterdir()) == [*images, "notes.md"]
    text = (tmp_path / "notes.md").read_text()
    for image in images:
        assert f"]({image})" in text
        root = ElementTree.parse(tmp_path / image).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "```" not in text  # no text chart left


def test_the_svg_figure_draws_the_evaluators_values():
    pytest.importorskip("matplotlib")
    from symgrad.render.document import document
    from symgrad.render.plot import document_figure

    evaluation = symgrad.evaluate(12, "tanh", w="3/2", x="0.5", dps=30)
    (section,) = [s for s in document(evaluation).sections if s.figure is not None]
    line = document_figure(section.figure, "layer", "log").axes[0].get_lines()[0]
    deltas = backward_pass("tanh", [mpmath.mpf("1.5")] * 12, [mpmath.mpf(0)] * 12,
                           mpmath.mpf("0.5"), 0)
    assert list(line.get_xdata()) == list(range(1, 13))
    for plotted, delta in zip(line.get_ydata(), deltas, strict=True):
        assert plotted == pytest.approx(float(mpmath.log10(abs(delta))), rel=1e-12)


def test_markdown_on_standard_output_keeps_the_text_chart(tmp_path):
    result = run(*NOTES, "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "•" in result.stdout and ".svg" not in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_without_matplotlib_the_figure_is_a_text_chart_and_says_so(tmp_path):
    blocker = tmp_path / "blocked"
    blocker.mkdir()
    (blocker / "matplotlib.py").write_text("raise ImportError('blocked for the test')\n")
    env = {**os.environ, "PYTHONPATH": str(blocker)}
    out = tmp_path / "out"
    out.mkdir()
    result = run(*NOTES, "-o", "notes.md", cwd=out, env=env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["notes-diagram-1.svg", "notes-diagram-2.svg",
                                                     "notes.md"]
    text = (out / "notes.md").read_text()
    assert "•" in text and "with matplotlib installed" in text


@pytest.mark.parametrize("args", [
    ["--depth", "0"],  # bad input
    ["--depth", "10", "--act", "nonsense("],
])
def test_a_refused_command_writes_no_file(tmp_path, args):
    result = run("notes", *args, "-o", "notes.md", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("image", ["notes-figure-1.svg",  # checked before any work, as -o is
                                   "notes-diagram-2.svg"])  # checked as the files are written
def test_an_image_name_that_cannot_be_written_refuses_the_whole_document(tmp_path, image):
    (tmp_path / image).mkdir()  # a folder where an image would go
    result = run(*NOTES, "-o", "notes.md", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"symgrad: Cannot write to '{image}': it is a folder.\n"
    assert [p.name for p in tmp_path.iterdir()] == [image]
    assert not any((tmp_path / image).iterdir())


def test_markdown_to_a_device_gets_no_images(tmp_path):
    result = run(*NOTES, "-o", "/dev/stdout", "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "•" in result.stdout and ".svg" not in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_the_spectrum_figure_draws_the_sampled_bars_behind_and_every_depths_density():
    """pgfplots, matplotlib and the terminal draw the same three things: the sampled nets'
    squared singular values binned here with NumPy (each bin's share of all values over
    its width; the ones the SVD cannot tell from 0 left out), the density at the depth,
    and the densities at the other depths, each curve with its legend entry."""
    pytest.importorskip("matplotlib")
    from symgrad.render.document import document
    from symgrad.render.plot import document_figure

    found = symgrad.spectrum(3, "relu", sigma_w2=2, weights="gaussian", grid=20, width=20,
                             samples=4, seed=1, also_depths=[1, 2])
    assert found.log_grid  # (λ_max/m_1 = 16.5: drawn in log₁₀ λ, the density of log₁₀ λ)
    values = [float(v) * float(numpy.exp(s)) for row, s in zip(found.sampled.eigenvalues,
                                                               found.sampled.log_scales)
              for v in row if v > (20 * numpy.finfo(float).eps) ** 2 * row.max()]
    latex = render(found, "latex")
    (bar_options, steps), (_, main), *others = plots(latex)
    assert "ybar interval" in bar_options and len(others) == 2
    edges = [x for x, _ in steps]
    counts, _ = numpy.histogram(numpy.log10(values), bins=edges)
    assert len(edges) > 2 and counts.sum() > 0  # (bars to compare, not an empty plot)
    assert len(main) == 20 and [len(points) for _, points in others] == [20, 20]
    heights = [y for _, y in steps[:-1]]
    assert heights == pytest.approx(list(counts / (4 * 20 * numpy.diff(edges))), rel=1e-9)
    for curve, density in zip([main, *(points for _, points in others)],
                              [found.density, *(d for _, d in found.shallower)], strict=True):
        assert curve == [(pytest.approx(math.log10(lam), rel=1e-7, abs=1e-9),
                          pytest.approx(math.log(10) * float(lam) * float(rho), rel=1e-7,
                                        abs=1e-300))
                         for lam, rho in density]
    assert re.findall(r"\\addlegendentry\{\$L = (\d)\$\}", latex) == ["3", "1", "2"]
    (section,) = [s for s in document(found).sections if s.figure is not None]
    axes = document_figure(section.figure, "x", "y").axes[0]
    assert len(axes.get_lines()) == 3
    assert [list(line.get_ydata()) for line in axes.get_lines()] == [
        [pytest.approx(y, rel=1e-7) for _, y in curve] for curve in (main, *(p for _, p in others))]
    text = render(found, "text")
    assert "░" in text and "• L = 3   ∘ L = 1   × L = 2" in text
