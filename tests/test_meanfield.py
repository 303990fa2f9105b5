"""Mean field (issue 6): q* and χ1 against independent quadratures, the known constants,
the critical line, and the command line.

Oracles: a numpy composite Gauss–Legendre quadrature written here (12 digits), and
mpmath.quad of the activations written again in tests/oracle.py, differentiated by
mpmath.diff (25+ digits). Gauss–Hermite was tried first: with 200 nodes it is off by
7e-12 for tanh at q ≈ 1.5 (sech's poles near the real axis)."""

import json

import mpmath
import numpy
import pytest
import sympy

import symgrad
from symgrad.analysis.meanfield import MeanField, critical_line, depth_scale, mean_field, regime
from tests.clirun import symgrad as symgrad_cli
from tests.numbers import as_mpf
from tests.oracle import MPMATH_ACTIVATIONS

R = sympy.Rational


def gauss_expectation(function, q, panels=96, nodes=30):
    """E[f(√q Z)] in numpy: composite Gauss–Legendre on t ∈ [-12, 12] (the Gaussian
    weight beyond is below 1e-31)."""
    points, weights = numpy.polynomial.legendre.leggauss(nodes)
    edges = numpy.linspace(-12, 12, panels + 1)
    total = 0.0
    for left, right in zip(edges, edges[1:]):
        t = (right - left) / 2 * points + (right + left) / 2
        total += (right - left) / 2 * numpy.sum(weights * function(numpy.sqrt(q) * t)
                                                * numpy.exp(-t * t / 2))
    return total / numpy.sqrt(2 * numpy.pi)


NUMPY = {
    "tanh": (numpy.tanh, lambda v: 1 / numpy.cosh(v) ** 2),
    "sigmoid": (lambda v: 1 / (1 + numpy.exp(-v)),
                lambda v: numpy.exp(-v) / (1 + numpy.exp(-v)) ** 2),
}


def numpy_fixed_point(act, w2, b2):
    sigma, slope = NUMPY[act]
    q = 1.0
    for _ in range(3000):  # plain iteration in float64, until it stands still
        q, before = w2 * gauss_expectation(lambda v: sigma(v) ** 2, q) + b2, q
        if abs(q - before) <= 1e-16 * q:
            break
    return q, w2 * gauss_expectation(lambda v: slope(v) ** 2, q)


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
@pytest.mark.parametrize("sigma_w2, sigma_b2", [("1.5", "0.05"), ("0.8", "0.3"), ("3", "0.1")])
def test_fixed_point_and_chi_against_numpy_quadrature(act, sigma_w2, sigma_b2):
    result = mean_field(symgrad.get_activation(act), sigma_w2, sigma_b2, dps=20)
    q, chi = numpy_fixed_point(act, float(sigma_w2), float(sigma_b2))
    assert result.fixed.kind == "stable"
    assert float(result.fixed.q) == pytest.approx(q, rel=1e-12)
    assert float(result.chi) == pytest.approx(chi, rel=1e-12)


def oracle_moments(act, q, dps):
    """E[σ(√q Z)²], E[σ'(√q Z)²] by mpmath.quad of the oracle's activation (σ' by mpmath.diff)."""
    sigma = MPMATH_ACTIVATIONS[act]
    with mpmath.workdps(dps):
        root = mpmath.sqrt(q)

        def moment(f):
            return mpmath.quad(lambda t: f(root * t) * mpmath.npdf(t), [-mpmath.inf, 0, mpmath.inf])

        return (moment(lambda v: sigma(v) ** 2),
                moment(lambda v: mpmath.diff(sigma, v) ** 2))


@pytest.mark.parametrize("act, sigma_w2, sigma_b2", [("tanh", "1.5", "0.05"), ("softplus", "1", "0.1"),
                                                     ("elu", "1.5", "0")])
def test_thirty_digits_against_mpmath_quadrature(act, sigma_w2, sigma_b2):
    """q* is a fixed point of the oracle's map, and χ1 its gain, to 28 digits."""
    result = mean_field(symgrad.get_activation(act), sigma_w2, sigma_b2, dps=30)
    q = as_mpf(result.fixed.q)
    with mpmath.workdps(60):
        second, slope = oracle_moments(act, q, 60)
        image = mpmath.mpf(R(sigma_w2)) * second + mpmath.mpf(R(sigma_b2))
        assert abs(image - q) < mpmath.mpf(10) ** -28 * q
        assert abs(mpmath.mpf(R(sigma_w2)) * slope - as_mpf(result.chi)) < mpmath.mpf(10) ** -28


@pytest.mark.parametrize("b2", ["0", "0.1", "1"])
def test_relu_is_exact(b2):
    """χ1 = σ_w²/2 whatever q is; q* = σ_b² / (1 - σ_w²/2); critical at σ_w² = 2."""
    relu = symgrad.get_activation("relu")
    result = mean_field(relu, "3/2", b2, depth=1000)
    assert result.chi == R(3, 4) and result.fixed.q == R(b2) / (1 - R(3, 4))
    assert result.gradient_ratio == R(3, 4) ** 1000  # χ1^1000 is just a number
    (point,) = critical_line(relu, [b2]).points
    assert point.sigma_w2 == 2
    assert point.kind == ("identity" if R(b2) == 0 else "diverges")
    he = mean_field(relu, 2, b2)
    assert he.chi == 1 and he.regime == "critical" and he.depth_scale == mpmath.inf


def test_leaky_relu_and_linear_are_exact():
    leaky = mean_field(symgrad.get_activation("leaky_relu:0.1"), 2, "0.2")
    assert leaky.chi == 2 * (1 + R(1, 100)) / 2 and leaky.regime == "exploding"
    linear = mean_field(symgrad.get_activation("linear"), "1/2", "1/5")
    assert linear.chi == R(1, 2) and linear.fixed.q == R(2, 5)  # 0.2 / (1 - 0.5)


def test_tanh_at_zero_bias():
    """σ_b² = 0: the variance collapses to q* = 0 for σ_w² ≤ 1, where χ1 = σ_w² (tanh'(0) = 1);
    the critical point is σ_w² = 1 with q* = 0."""
    tanh = symgrad.get_activation("tanh")
    for w2 in ("0.9", "1"):
        result = mean_field(tanh, w2, 0)
        assert result.fixed.kind == "collapses" and result.fixed.q == 0
        with mpmath.workdps(40):
            expected = mpmath.mpf(9) / 10 if w2 == "0.9" else mpmath.mpf(1)
            assert abs(as_mpf(result.chi) - expected) < mpmath.mpf(10) ** -29
    (point,) = critical_line(tanh, [0]).points
    assert point.q == 0 and abs(as_mpf(point.sigma_w2) - 1) < mpmath.mpf(10) ** -29
    above = mean_field(tanh, "1.2", 0)  # a positive fixed point appears
    assert above.fixed.kind == "stable" and above.fixed.q > 0 and above.regime == "exploding"


@pytest.mark.parametrize("b2", ["0.05", "0.3"])
def test_critical_tanh_against_numpy(b2):
    """At the σ_w² found, the independently iterated fixed point has χ1 = 1 (12 digits)."""
    (point,) = critical_line(symgrad.get_activation("tanh"), [b2], dps=25).points
    q, chi = numpy_fixed_point("tanh", float(point.sigma_w2), float(b2))
    assert chi == pytest.approx(1, abs=1e-11)
    assert float(point.q) == pytest.approx(q, rel=1e-10)


def test_no_critical_point_is_said():
    (point,) = critical_line(symgrad.get_activation("softplus"), ["0.05"]).points
    assert point.kind == "none" and point.sigma_w2 is None


def test_diverging_variance_reports_the_limit_gain():
    result = mean_field(symgrad.get_activation("softplus"), 3, "0.1")
    assert result.fixed.kind == "diverges" and result.fixed.q is None
    assert result.chi == R(3, 2)  # σ_w² (σ'(∞)² + σ'(-∞)²)/2 = 3 (1 + 0)/2


@pytest.mark.parametrize("act", symgrad.ACTIVATIONS)
def test_every_activation_has_a_mean_field(act):
    result = mean_field(symgrad.get_activation(act), "1.2", "0.1", depth=50, dps=15)
    assert result.chi > 0 and result.regime in ("vanishing", "exploding", "critical")


def test_depth_scale_and_regime():
    assert depth_scale(mpmath.mpf(1)) == mpmath.inf and regime(mpmath.mpf(1), 30) == "critical"
    assert depth_scale(mpmath.exp(-1)) == pytest.approx(1)
    assert regime(mpmath.mpf("0.9"), 30) == "vanishing" and regime(mpmath.mpf("1.1"), 30) == "exploding"


def test_fixed_point_field_api():
    point = MeanField(symgrad.get_activation("tanh")).fixed_point(R(3, 2), R(1, 20), 20)
    assert point.kind == "stable" and 0.41 < float(point.q) < 0.42


def run(*args):
    """``symgrad *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli(*args)


def test_cli_meanfield_and_critical_json():
    result = run("meanfield", "--act", "tanh", "--sigma-w2", "1.5", "--sigma-b2", "0.05", "--depth",
                 "100", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["regime"] == "vanishing" and data["fixed_point"]["kind"] == "stable"
    assert mpmath.mpf(data["gradient_ratio"]) == pytest.approx(mpmath.mpf(data["chi1"]) ** 100)
    line = run("critical", "--act", "relu", "--sigma-b2", "0,0.1", "--format", "json")
    assert line.returncode == 0, line.stderr
    points = json.loads(line.stdout)["points"]
    assert [p["sigma_w2"] for p in points] == ["2.0", "2.0"]


@pytest.mark.parametrize("args, message", [
    (["meanfield", "--sigma-w2", "-1"], "σ_w² must be positive"),
    (["meanfield", "--sigma-w2", "1", "--sigma-b2", "x"], "is not a number"),
    (["meanfield", "--sigma-w2", "1", "--act", "swish"], "Unknown activation"),
    (["meanfield", "--sigma-w2", "1", "--dps", "0"], "between 1 and"),
    (["meanfield", "--sigma-w2", "1", "--depth", "0"], "depth"),
    (["critical", "--sigma-b2", "0.1,-2"], "σ_b² must be at least 0"),
])
def test_bad_input_is_one_sentence(args, message):
    result = run(*args)
    assert result.returncode == 2 and result.stdout == "", result.stderr
    assert message in result.stderr and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize("b2", ["0", "0.01", "0.1"])
def test_critical_hardtanh_against_its_own_gaussian_integrals(b2):
    """hardtanh = min(max(x, -1), 1): E[σ'²] = erf(1/√(2q)) and E[σ²] by mpmath.quad split at
    the kinks, both written here. At σ_b² = 0 the two terms of the criticality equation
    agree to e^(-1/2q) for small q (a sign there is rounding): the answer is σ_w² = 1 at
    q* = 0; above it, σ_w² = 1/E[σ'²] and q* is the fixed point, to 25 digits."""
    (point,) = critical_line(symgrad.get_activation("min(max(x,-1),1)"), [b2], dps=30).points
    with mpmath.workdps(40):
        if b2 == "0":
            assert point.q == 0 and abs(as_mpf(point.sigma_w2) - 1) < mpmath.mpf(10) ** -29
            return
        q, w2, bias = as_mpf(point.q), as_mpf(point.sigma_w2), mpmath.mpf(b2)
        slopes = mpmath.erf(1 / mpmath.sqrt(2 * q))
        squares = mpmath.quad(lambda h: min(h * h, 1) * mpmath.npdf(h, 0, mpmath.sqrt(q)),
                              [-mpmath.inf, -1, 1, mpmath.inf])
        assert abs(w2 * slopes - 1) < mpmath.mpf(10) ** -25
        assert abs(w2 * squares + bias - q) < mpmath.mpf(10) ** -25 * q


def test_critical_point_of_erf_of_exp_against_gauss_legendre():
    """erf(e^h): σ' = (2/√π) e^h e^(-e^2h) falls double-exponentially, so the integrals must
    never evaluate σ far out (exp(-e^(2·10^10)) is no number) and must resolve the peak of
    σ'² near h = -0.35. At the critical point found, σ_w² E[σ'²] = 1 and σ_w² E[σ²] = q*,
    with E by Gauss–Legendre on [-60, 60] split at every unit, written here."""
    (point,) = critical_line(symgrad.get_activation("erf(exp(x))"), [0], dps=20).points
    assert point.kind == "stable"
    with mpmath.workdps(40):
        q, w2 = as_mpf(point.q), as_mpf(point.sigma_w2)

        def expectation(f):
            return mpmath.quad(lambda h: f(h) ** 2 * mpmath.npdf(h, 0, mpmath.sqrt(q)),
                               list(range(-60, 61)), method="gauss-legendre")
        slopes = expectation(lambda h: 2 * mpmath.exp(h - mpmath.exp(2 * h)) / mpmath.sqrt(mpmath.pi))
        squares = expectation(lambda h: mpmath.erf(mpmath.exp(h)))
        assert abs(w2 * slopes - 1) < mpmath.mpf(10) ** -18
        assert abs(w2 * squares - q) < mpmath.mpf(10) ** -18 * q
