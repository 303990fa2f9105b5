"""Sampled random nets (issue 6): the statistics against closed forms, wide nets against
mean field within their sampling error, seeds, float64's limits, and the command line.

Tolerances come from the sample size: five standard errors of the statistic tested."""

import json
import math

import mpmath
import numpy
import pytest
import sympy

import symgrad
from symgrad.analysis.sampling import sample_gradients
from tests.clirun import symgrad as symgrad_cli

EULER_GAMMA = 0.5772156649015329  # published constant


def test_linear_chain_mean_log_ratio_is_the_closed_form():
    """Linear, width 1: r = ∏|w_l| with w ~ N(0, σ_w²), so E log10 r = L (log10 σ_w +
    E log10|Z|) with E ln|Z| = -(γ + ln 2)/2 and Var ln|Z| = π²/8 (published)."""
    depth, samples, w2 = 100, 20_000, 3.0
    result = symgrad.sample(depth, "linear", sigma_w2=3, samples=samples, seed=4)
    expected = depth * (math.log10(math.sqrt(w2)) - (EULER_GAMMA + math.log(2)) / 2 / math.log(10))
    spread = math.sqrt(depth * math.pi ** 2 / 8) / math.log(10)
    assert abs(result.mean - expected) < 5 * spread / math.sqrt(samples)
    assert result.std == pytest.approx(spread, rel=5 * math.sqrt(2 / samples))


def test_relu_chain_is_exactly_zero_unless_every_unit_is_on():
    """Width 1, σ_b² = 0: the input σ(h) is 0 with probability 1/2, and each later layer
    keeps its sign with probability 1/2, so P(r ≠ 0) = 2^-(L+1)."""
    depth, samples = 3, 20_000
    result = symgrad.sample(depth, "relu", sigma_w2=2, samples=samples, seed=2)
    expected = 1 - 2.0 ** -(depth + 1)
    assert abs(result.zero_fraction - expected) < 5 * math.sqrt(expected * (1 - expected) / samples)


@pytest.mark.parametrize("act, w2, b2, width, depth, samples", [
    ("relu", "2", "0", 64, 5, 1000),       # He initialisation: χ1 = 1
    ("tanh", "1.5", "0.05", 128, 5, 500),  # χ1 ≈ 0.9386 at q* ≈ 0.418
])
def test_wide_nets_follow_mean_field(act, w2, b2, width, depth, samples):
    """The sampled mean of r² against χ1^L, within five standard errors of that mean."""
    result = symgrad.sample(depth, act, sigma_w2=w2, sigma_b2=b2, width=width, samples=samples,
                            seed=3)
    predicted = float(result.prediction.log10_gradient_ratio)
    error = result.mean_square_standard_error / math.log(10)  # relative error → log10
    assert abs(result.log10_mean_square - predicted) < 5 * error, (result.log10_mean_square, predicted)


def test_seeds_reproduce_and_differ():
    first = symgrad.sample(20, "tanh", sigma_w2=1, width=4, samples=50, seed=7)
    again = symgrad.sample(20, "tanh", sigma_w2=1, width=4, samples=50, seed=7)
    other = symgrad.sample(20, "tanh", sigma_w2=1, width=4, samples=50, seed=8)
    assert numpy.array_equal(first.log10_ratios, again.log10_ratios)
    assert not numpy.array_equal(first.log10_ratios, other.log10_ratios)


def test_where_float64_gives_up_the_ratio_is_still_right():
    """σ_w² = 10^6: tanh units saturate at |z| ~ 10^3, where sech² z < 10^-308 underflows
    float64; those σ' come from MPFR, so log10 r is finite, and far below float64's range."""
    result = sample_gradients(symgrad.get_activation("tanh"), 3, 10**6, 0, 1, 2000, seed=5)
    assert result.rescued > 0 and numpy.all(numpy.isfinite(result.log10_ratios))
    assert result.log10_ratios.min() < -308  # far below what float64 could hold


@pytest.mark.parametrize("w2, width", [(10**6, 4), (10**20, 3), (10**4, 5)])
def test_a_wide_net_whose_slopes_leave_float64_has_the_ratio_mpmath_finds(w2, width):
    """Width > 1, σ' below 10^-308 (σ_w² = 10^6: |z| ~ 10^3) or below MPFR's range too
    (σ_w² = 10^20: tanh'(10^10) = 10^(-8.7·10^9)): each sample's ratio against a separate
    mpmath pass over the same random numbers (drawn here as the sampler documents its
    streams: one generator a chunk for the input, biases and ∂C/∂a^L, one stream a layer
    for the weights), σ' = sech² at 40 digits. Before, these were 'exactly 0'."""
    depth, samples, seed = 2, 3, 11
    result = sample_gradients(symgrad.get_activation("tanh"), depth, w2, 0, width, samples,
                              seed=seed)
    (stream,) = numpy.random.SeedSequence(seed).spawn(1)
    generator = numpy.random.Generator(numpy.random.PCG64(stream))
    q0 = float(sympy.N(result.prediction.fixed.q))
    h = math.sqrt(q0) * generator.standard_normal((samples, width))
    layers = [numpy.random.Generator(numpy.random.PCG64(s)) for s in stream.spawn(depth)]
    weights, zs = [], []
    with mpmath.workdps(40):
        a = [[mpmath.tanh(mpmath.mpf(v)) for v in row] for row in h]
        for layer in range(depth):
            w = math.sqrt(w2 / width) * layers[layer].standard_normal((samples, width, width))
            generator.standard_normal((samples, width))  # the biases, σ_b² = 0
            z = [[mpmath.fsum(mpmath.mpf(w[s, j, k]) * a[s][k] for k in range(width))
                  for j in range(width)] for s in range(samples)]
            weights.append(w)
            zs.append(z)
            a = [[mpmath.tanh(v) for v in row] for row in z]
        g = generator.standard_normal((samples, width))
        for s in range(samples):
            gradient = [mpmath.mpf(v) for v in g[s]]
            start = mpmath.sqrt(mpmath.fsum(v * v for v in gradient))
            for layer in range(depth - 1, -1, -1):
                scaled = [mpmath.sech(zs[layer][s][j]) ** 2 * gradient[j] for j in range(width)]
                gradient = [mpmath.fsum(mpmath.mpf(weights[layer][s, j, k]) * scaled[j]
                                        for j in range(width)) for k in range(width)]
            norm = mpmath.sqrt(mpmath.fsum(v * v for v in gradient))
            expected = mpmath.log10(norm / start)
            assert abs(result.log10_ratios[s] - expected) <= 1e-9 * max(1, abs(expected)), \
                (s, result.log10_ratios[s], mpmath.nstr(expected, 15))
    assert result.zero_fraction == 0  # tanh' is never 0


def test_statistics_are_consistent():
    result = symgrad.sample(30, "tanh", sigma_w2="1.2", samples=2000, seed=1)
    ratios = result.log10_ratios
    assert result.within_tenfold == pytest.approx(numpy.mean(numpy.abs(ratios) <= 1))
    assert [p for p, _ in result.quantiles] == [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
    values = [v for _, v in result.quantiles]
    assert values == sorted(values) and values[0] >= ratios.min() and values[-1] <= ratios.max()
    counts, edges = result.histogram
    assert counts.sum() == ratios.size and edges[0] == ratios.min()
    log_mean = math.log10(numpy.mean(10.0 ** (2 * ratios)))  # small enough here for floats
    assert result.log10_mean_square == pytest.approx(log_mean, abs=1e-9)


def run(*args):
    """``symgrad sample *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli("sample", *args)


def test_cli_json_and_histogram_file(tmp_path):
    result = run("--depth", "50", "--act", "relu", "--sigma-w2", "2", "--width", "8", "--samples",
                 "100", "--seed", "0", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["samples"] == 100 and len(data["log10_ratios"]) == 100
    assert sum(data["histogram"]["counts"]) + round(100 * data["zero_fraction"]) == 100
    assert data["prediction"]["regime"] == "critical"
    path = tmp_path / "hist.png"
    drawn = run("--depth", "20", "--sigma-w2", "1", "--samples", "200", "-o", str(path))
    assert drawn.returncode == 0, drawn.stderr
    assert path.read_bytes().startswith(b"\x89PNG")


def test_cli_text_shows_histogram_and_prediction():
    result = run("--depth", "20", "--sigma-w2", "1.5", "--sigma-b2", "0.05", "--width", "16",
                 "--samples", "100")
    assert result.returncode == 0, result.stderr
    assert "█" in result.stdout and "mean field χ₁²⁰" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--depth", "10", "--sigma-w2", "1", "--samples", "0"], "number of samples"),
    (["--depth", "10", "--sigma-w2", "1", "--width", "0"], "width"),
    (["--depth", "0", "--sigma-w2", "1"], "depth"),
    (["--depth", "10", "--sigma-w2", "0"], "σ_w² must be positive"),
    (["--depth", "10", "--sigma-w2", "1", "--seed", "-3"], "at least 0"),
    (["--depth", "100000", "--sigma-w2", "1", "--width", "1000", "--samples", "1000"], "at once"),
    (["--depth", "10", "--sigma-w2", "1", "-o", "hist.png", "--format", "json"], "histogram"),
])
def test_bad_input_is_one_sentence(args, message, tmp_path):
    result = symgrad_cli("sample", *args, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "hist.png").exists()


def test_sample_prediction_is_wired_to_the_mean_field_result():
    result = symgrad.sample(10, "tanh", sigma_w2="1.5", sigma_b2="0.05", samples=10)
    direct = symgrad.meanfield("tanh", sigma_w2="1.5", sigma_b2="0.05", depth=10, dps=15)
    assert sympy.Float(result.prediction.chi, 12) == sympy.Float(direct.chi, 12)
