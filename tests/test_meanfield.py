"""Mean-field quantities (issue 6, first part): q* and χ1 against an independent numpy
quadrature and the known constants."""

import mpmath
import numpy
import pytest

import symgrad
from symgrad.analysis.meanfield import MeanField, depth_scale, regime


def gauss_expectation(function, q, panels=96, nodes=30):
    """E[f(√q Z)] written independently in numpy: composite Gauss–Legendre on [-12, 12]
    (the Gaussian weight beyond is below 1e-31). Gauss–Hermite was tried first: with 200
    nodes it is off by 7e-12 for tanh at q ≈ 1.5 (sech's poles near the real axis)."""
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


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
@pytest.mark.parametrize("sigma_w2, sigma_b2", [("1.5", "0.05"), ("0.8", "0.3"), ("3", "0.1")])
def test_fixed_point_and_chi_against_gauss_hermite(act, sigma_w2, sigma_b2):
    with mpmath.workdps(30):
        point = MeanField(symgrad.get_activation(act)).fixed_point(mpmath.mpf(sigma_w2),
                                                                   mpmath.mpf(sigma_b2))
    sigma, slope = NUMPY[act]
    w2, b2 = float(sigma_w2), float(sigma_b2)
    q = 1.0
    for _ in range(2000):  # the independent fixed point, by plain iteration in float64
        q = w2 * gauss_expectation(lambda v: sigma(v) ** 2, q) + b2
    chi = w2 * gauss_expectation(lambda v: slope(v) ** 2, q)
    assert float(point.q) == pytest.approx(q, rel=1e-12)
    assert float(point.chi) == pytest.approx(chi, rel=1e-12)


def test_relu_chi_is_half_sigma_w2_and_critical_at_two():
    field = MeanField(symgrad.get_activation("relu"))
    with mpmath.workdps(30):
        for b2 in ("0", "0.1", "1"):
            point = field.fixed_point(mpmath.mpf("1.5"), mpmath.mpf(b2))
            assert abs(point.chi - mpmath.mpf("0.75")) < mpmath.mpf(10) ** -25
        assert field.fixed_point(mpmath.mpf(2), mpmath.mpf("0.1")).q is None  # diverges


def test_tanh_at_zero_bias_collapses_to_zero_below_critical():
    with mpmath.workdps(30):
        point = MeanField(symgrad.get_activation("tanh")).fixed_point(mpmath.mpf("0.9"), 0)
        assert point.q == 0 and abs(point.chi - mpmath.mpf("0.9")) < mpmath.mpf(10) ** -25


def test_linear_chi_is_sigma_w2():
    with mpmath.workdps(30):
        point = MeanField(symgrad.get_activation("linear")).fixed_point(mpmath.mpf("0.5"),
                                                                        mpmath.mpf("0.2"))
        assert abs(point.chi - mpmath.mpf("0.5")) < mpmath.mpf(10) ** -25
        assert abs(point.q - mpmath.mpf("0.4")) < mpmath.mpf(10) ** -25  # 0.2 / (1 - 0.5)


def test_depth_scale_and_regime():
    assert depth_scale(mpmath.mpf(1)) == mpmath.inf and regime(mpmath.mpf(1)) == "critical"
    assert depth_scale(mpmath.exp(-1)) == pytest.approx(1)
    assert regime(mpmath.mpf("0.9")) == "vanishing" and regime(mpmath.mpf("1.1")) == "exploding"
