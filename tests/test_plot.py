"""symgrad plot: the figure object (curves, limit lines, labels, data), files by suffix,
and a clear message without matplotlib."""


import mpmath
import pytest

import symgrad
from symgrad.render.document import charted_layers
from symgrad.render.plot import PLOT_POINTS, curve, figure, float_limit_lines
from tests.process import symgrad_process

pytest.importorskip("matplotlib")  # the test extra installs it; CI always has it


def curves_for(acts, ws, depth=60):
    keep = set(charted_layers(depth, PLOT_POINTS))
    return [curve(symgrad.evaluate(depth, act, w=w, x="1/2", keep=keep, dps=20), "delta",
                  f"{act}, w = {w}") for act in acts for w in ws]


def test_figure_has_a_curve_per_combination_and_the_float_limits():
    curves = curves_for(["sigmoid", "relu"], ["1/2", "1", "10"])
    axes = figure(curves, "delta", "title").axes[0]
    lines = axes.get_lines()
    assert len(lines) == 6 + 4
    labels = [line.get_label() for line in lines]
    assert labels[:6] == [c.label for c in curves]
    assert set(labels[6:]) == {"float32 overflow", "float32 underflow", "float64 overflow",
                               "float64 underflow"}
    assert axes.get_xlabel() == "layer l" and "log_{10}" in axes.get_ylabel()
    limits = dict(float_limit_lines())
    for line in lines[6:]:
        assert line.get_ydata()[0] == pytest.approx(limits[line.get_label()])
    bottom, top = axes.get_ylim()
    for c in curves:  # nothing clipped: every point inside the axes
        assert all(bottom <= m <= top for m in c.magnitudes if m is not None)


def test_plotted_values_are_the_evaluators():
    (c,) = curves_for(["tanh"], ["3/2"], depth=40)
    line = figure([c], "delta", "t").axes[0].get_lines()[0]
    result = symgrad.evaluate(40, "tanh", w="3/2", x="1/2", dps=40)
    with mpmath.workdps(40):
        for layer, plotted in zip(line.get_xdata(), line.get_ydata()):
            mantissa, exponent = result.layer(int(layer)).delta.as_mantissa_exp()
            expected = mpmath.log10(abs(mpmath.mpf((int(mantissa), int(exponent)))))
            assert plotted == pytest.approx(float(expected), rel=1e-12)


def test_limits_known_from_the_formats():
    limits = dict(float_limit_lines())
    assert limits["float32 overflow"] == pytest.approx(38.5318, abs=1e-4)
    assert limits["float64 underflow"] == pytest.approx(-323.3062, abs=1e-4)


def run(*args, env=None):
    return symgrad_process("plot", *args, timeout=180, env=env)


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_cli_writes_the_file_type_of_its_suffix(tmp_path, suffix, magic):
    path = tmp_path / f"gain{suffix}"
    result = run("--depth", "50", "--act", "sigmoid", "--act", "relu", "--w", "0.5", "--w", "10",
                 "-o", str(path))
    assert result.returncode == 0, result.stderr
    assert path.read_bytes().startswith(magic)


def test_compare_draws_plain_and_residual(tmp_path):
    result = run("--depth", "30", "--act", "tanh", "--w", "1", "--residual", "--compare", "-o",
                 str(tmp_path / "r.png"))
    assert result.returncode == 0, result.stderr


def test_without_output_prints_terminal_charts():
    result = run("--depth", "30", "--act", "tanh", "--w", "2")
    assert result.returncode == 0 and "•" in result.stdout and "tanh, w = 2" in result.stdout


def test_a_curve_of_zeros_says_so():
    """relu at x = -1: every δ_l is exactly 0, so log10 has no point to draw."""
    evaluation = symgrad.evaluate(5, "relu", x=-1)
    assert all(evaluation.layer(n).delta == 0 for n in range(1, 6))
    result = run("--depth", "5", "--act", "relu", "--x", "-1")
    assert result.returncode == 0 and "every value is exactly 0" in result.stdout


def test_missing_matplotlib_is_one_sentence(tmp_path):
    blocker = tmp_path / "matplotlib.py"
    blocker.write_text("raise ImportError('blocked for the test')\n")
    import os
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = run("--depth", "10", "-o", str(tmp_path / "x.png"), env=env)
    assert result.returncode == 2 and "pip install 'symgrad[plot]'" in result.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("args, message", [
    (["--depth", "10", "-o", "x.jpg"], "Cannot write a '.jpg' file"),
    (["--depth", "10", "--quantity", "norm"], "Unknown quantity"),
    (["--depth", "10", "--compare"], "add --residual"),
    (["--depth", "10", "--z", "1", "--quantity", "grad_w"], "needs the forward pass"),
    (["--depth", "10", "--w", "1,2"], "exactly 10, not 2"),
])
def test_bad_input_is_one_sentence(args, message):
    result = run(*args)
    assert result.returncode == 2 and message in result.stderr
