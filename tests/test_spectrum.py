"""The Jacobian's spectrum (symgrad.analysis.spectrum, finite_width) against what does not
share its code: closed forms from the literature (Fuss–Catalan moments of products of
Gaussian matrices, Marchenko–Pastur's density, the spreads L and 2L of ReLU), mpmath
quadratures of the slopes' moments, a finite-width simulation written here (NumPy SVD),
and Hanin's ∏(1 + 5/n_j)."""

from __future__ import annotations

import json
import math

import mpmath
import numpy
import pytest
import sympy

import symgrad
from symgrad.analysis.finite_width import hanin_ratio, sample_spectra
from symgrad.analysis.meanfield import MeanField
from symgrad.analysis.spectrum import (
    Density,
    Slopes,
    moment_series_of_free_product,
    share_on_grid,
    spectrum,
)
from symgrad.render import render
from tests.clirun import symgrad as cli
from tests.oracle import MPMATH_ACTIVATIONS

L = sympy.Symbol("L")


def fuss_catalan(depth, k):
    """The k-th moment of (G_L ⋯ G_1)(G_L ⋯ G_1)ᵀ for square Ginibre matrices of variance
    1/n: binom((L+1)k, k)/(Lk + 1) (Penson & Życzkowski 2011)."""
    return sympy.binomial((depth + 1) * k, k) / (depth * k + 1)


@pytest.mark.parametrize("depth", [1, 2, 3, 7])
def test_linear_gaussian_moments_are_fuss_catalan(depth):
    moments = moment_series_of_free_product([sympy.Integer(1)] * 6, sympy.Integer(1), depth,
                                            "gaussian")
    assert moments == [fuss_catalan(depth, k) for k in range(1, 7)]


def test_linear_moments_for_a_symbolic_depth():
    """In L itself: m_2 = L + 1 and m_3 = (L + 1)(3L + 2)/2, the Fuss–Catalan numbers as
    polynomials (checked at L = 1 … 6 against the binomial form)."""
    moments = moment_series_of_free_product([sympy.Integer(1)] * 4, sympy.Integer(1), L, "gaussian")
    for depth in range(1, 7):
        assert [sympy.simplify(m.subs(L, depth)) for m in moments] == \
            [fuss_catalan(depth, k) for k in range(1, 5)]


@pytest.mark.parametrize("weights, per_layer", [("gaussian", 2), ("orthogonal", 1)])
@pytest.mark.parametrize("depth", [1, 4, 25])
def test_relu_spread_is_2L_gaussian_and_L_orthogonal(weights, per_layer, depth):
    """At σ_w² = 2 (He): σ² = 2L with Gaussian weights and L with orthogonal ones (Pennington
    et al. 2017): no isometry either way, and exact."""
    found = spectrum(symgrad.get_activation("relu"), 2, 0, depth, weights, dps=20, grid=0)
    assert found.moments[0] == 1
    assert found.variance == per_layer * depth
    assert found.verdict == "not isometric"
    assert found.atom_at_zero == sympy.Rational(1, 2)


@pytest.mark.parametrize("weights, spread", [("gaussian", 1), ("orthogonal", 0)])
def test_linear_spread_is_L_gaussian_and_0_orthogonal(weights, spread):
    found = spectrum(symgrad.get_activation("linear"), 1, 0, 12, weights, dps=20, grid=0)
    assert found.variance == spread * 12
    assert found.verdict == ("isometric" if spread == 0 else "not isometric")


def test_orthogonal_linear_moments_are_powers_of_the_scale():
    found = spectrum(symgrad.get_activation("linear"), sympy.Rational(3, 2), 0, 5, "orthogonal",
                     dps=20, grid=0, moments=5)
    assert list(found.moments) == [sympy.Rational(3, 2) ** (5 * k) for k in range(1, 6)]


def slope_moment_by_quadrature(act, q, k, dps=30):
    """E[σ'(√q Z)^{2k}], σ' by mpmath.diff of the oracle's activation, by mpmath.quad."""
    sigma = MPMATH_ACTIVATIONS[act]
    with mpmath.workdps(dps):
        root = mpmath.sqrt(q)
        return mpmath.quad(lambda t: mpmath.diff(sigma, root * t) ** (2 * k) * mpmath.npdf(t),
                           [-mpmath.inf, 0, mpmath.inf])


@pytest.mark.parametrize("act, w2, b2", [("tanh", "1.2", "0.05"), ("sigmoid", "4", "0.1")])
@pytest.mark.parametrize("weights", ["gaussian", "orthogonal"])
def test_the_spread_is_the_closed_form_with_quadrature_moments(act, w2, b2, weights):
    """σ² = m_2/m_1² − 1 = L(μ₂/μ₁² − 1 − s₁) and m_1 = χ1^L, μ_k by the test's own quadrature."""
    depth = 30
    found = spectrum(symgrad.get_activation(act), w2, b2, depth, weights, dps=20, grid=0)
    q = found.mean_field.fixed.q
    mu1, mu2 = (slope_moment_by_quadrature(act, q, k) for k in (1, 2))
    s1 = -1 if weights == "gaussian" else 0
    with mpmath.workdps(30):
        assert found.variance == pytest.approx(float(depth * (mu2 / mu1**2 - 1 - s1)), rel=1e-15)
        chi = mpmath.mpf(w2) * mu1
        assert mpmath.almosteq(found.moments[0], chi ** depth, rel_eps=mpmath.mpf(10) ** -18)


def test_tanh_at_small_q_with_orthogonal_weights_is_near_isometric():
    """Near the critical point with q* → 0 (σ_b² → 0), tanh with orthogonal weights keeps σ²
    small over depth 100; with Gaussian weights σ² is about L."""
    orthogonal = spectrum(symgrad.get_activation("tanh"), "1.0001", "1e-6", 100, "orthogonal",
                          dps=15, grid=0)
    gaussian = spectrum(symgrad.get_activation("tanh"), "1.0001", "1e-6", 100, "gaussian",
                        dps=15, grid=0)
    assert orthogonal.variance < 0.05 and orthogonal.verdict == "near-isometric"
    assert gaussian.variance > 99 and gaussian.verdict == "not isometric"


# --- the density ---------------------------------------------------------------------------

def test_one_relu_layer_has_its_band_from_the_marchenko_pastur_law_of_half_the_rows():
    """D W Wᵀ D with half of D's entries 0: the other rows' Wishart matrix (ratio 1/2,
    scale 2), whose band is [(√2 − 1)², (√2 + 1)²], and nothing below it but the atom."""
    slopes = Slopes(MeanField(symgrad.get_activation("relu")), 1)
    density = Density(slopes, 2, 1, "gaussian", 20)
    with mpmath.workdps(20):
        low, high = (mpmath.sqrt(2) - 1) ** 2, (mpmath.sqrt(2) + 1) ** 2
        assert mpmath.almosteq(density.right_edge[0], high, rel_eps=mpmath.mpf(10) ** -18)
        for lam in ("0.3", "1", "3", "5.5"):
            lam = mpmath.mpf(lam)
            # (2 × the Wishart law of ratio 1/2, on half of the eigenvalues)
            expected = mpmath.sqrt((high - lam) * (lam - low)) / (4 * mpmath.pi * lam)
            assert mpmath.almosteq(density.at(lam), expected, rel_eps=mpmath.mpf(10) ** -15)
        assert density.at(low * mpmath.mpf("0.99")) == 0


def test_one_gaussian_layer_has_marchenko_pastur_density():
    slopes = Slopes(MeanField(symgrad.get_activation("linear")), 1)
    density = Density(slopes, 1, 1, "gaussian", 25)
    assert density.right_edge[0] == pytest.approx(4, rel=1e-20)
    for lam in ("0.01", "0.5", "1", "2", "3.5", "3.999"):
        with mpmath.workdps(25):
            lam = mpmath.mpf(lam)
            expected = mpmath.sqrt(4 - lam) / (2 * mpmath.pi * mpmath.sqrt(lam))
            assert mpmath.almosteq(density.at(lam), expected, rel_eps=mpmath.mpf(10) ** -20)


@pytest.mark.parametrize("depth", [2, 5, 20])
def test_the_right_edge_of_products_of_gaussian_matrices(depth):
    """λ_max = (L + 1)^(L+1) / L^L (the support of the Fuss–Catalan law)."""
    slopes = Slopes(MeanField(symgrad.get_activation("linear")), 1)
    edge = Density(slopes, 1, depth, "gaussian", 20).right_edge[0]
    assert edge == pytest.approx(float(sympy.Integer(depth + 1) ** (depth + 1) / depth ** depth),
                                 rel=1e-14)


@pytest.mark.parametrize("act, w2, b2, depth, weights, gap", [
    ("relu", 2, 0, 6, "gaussian", 0),
    ("relu", 2, 0, 6, "orthogonal", 0),
    ("relu", 2, 0, 1, "gaussian", (math.sqrt(2) - 1) ** 2),  # (Marchenko–Pastur's lower edge)
])
def test_the_density_integrates_to_one_and_has_the_first_two_moments(act, w2, b2, depth, weights,
                                                                      gap):
    """∫ρ = 1 − (the mass at 0), ∫λρ = m_1, ∫λ²ρ = m_2: the density, by mpmath.quad
    over (0, λ_max), against the moments from the series. (In λ = λ_max u^(L+1): near 0
    the density of a product of L layers may grow as λ^(-L/(L+1)).)"""
    found = spectrum(symgrad.get_activation(act), w2, b2, depth, weights, dps=15, grid=0)
    limit = Density(Slopes(MeanField(found.activation), found.mean_field.fixed.q or 1),
                    found.mean_field.sigma_w2, depth, weights, 15)
    top, power = float(found.right_edge), depth + 1

    def weighted(u, k):
        lam = top * u ** power
        return lam ** k * limit.at(lam) * top * power * u ** (power - 1) if u > 0 else 0

    with mpmath.workdps(15):
        cuts = sorted({0, (gap / top) ** (1 / power), 0.5, 1})  # (the quadrature's pieces)
        integrals = [mpmath.quad(lambda u, k=k: weighted(u, k), cuts) for k in range(3)]
    assert float(integrals[0]) == pytest.approx(1 - float(found.atom_at_zero), rel=1e-7)
    assert float(integrals[1]) == pytest.approx(float(found.moments[0]), rel=1e-7)
    assert float(integrals[2]) == pytest.approx(float(found.moments[1]), rel=1e-7)


# --- finite width --------------------------------------------------------------------------

def simulated_moments(act, w2, b2, q, depth, width, samples, weights, seed=7):
    """tr (JJᵀ)^k / n for k = 1, 2 over sampled nets: this test's own simulation."""
    sigma = MPMATH_ACTIVATIONS[act]
    derivative = numpy.vectorize(lambda v: float(mpmath.diff(sigma, v)))
    rng = numpy.random.default_rng(seed)
    rows = []
    for _ in range(samples):
        x = rng.standard_normal(width)
        x *= math.sqrt(width * (q - b2) / w2) / numpy.linalg.norm(x)
        jacobian = numpy.eye(width)
        for _ in range(depth):
            if weights == "gaussian":
                w = rng.standard_normal((width, width)) * math.sqrt(w2 / width)
            else:
                w = numpy.linalg.qr(rng.standard_normal((width, width)))[0] * math.sqrt(w2)
            h = w @ x + rng.standard_normal(width) * math.sqrt(b2)
            x = numpy.tanh(h) if act == "tanh" else None
            jacobian = derivative(h)[:, None] * (w @ jacobian)
        squares = numpy.linalg.svd(jacobian, compute_uv=False) ** 2
        rows.append([numpy.mean(squares), numpy.mean(squares ** 2)])
    rows = numpy.array(rows)
    return rows.mean(axis=0), rows.std(axis=0, ddof=1) / math.sqrt(samples)


@pytest.mark.slow
@pytest.mark.parametrize("weights", ["gaussian", "orthogonal"])
def test_tanh_limit_moments_against_a_simulation_of_width_400(weights):
    w2, b2, depth = 1.5, 0.05, 4
    found = spectrum(symgrad.get_activation("tanh"), "1.5", "0.05", depth, weights, dps=15, grid=0)
    means, errors = simulated_moments("tanh", w2, b2, float(found.mean_field.fixed.q), depth, 400,
                                      12, weights)
    for k in range(2):
        assert abs(means[k] - float(found.moments[k])) <= 5 * errors[k], (k, means, errors)


@pytest.mark.parametrize("width, samples", [
    pytest.param(10, 100_000, marks=pytest.mark.slow), (30, 1500), (50, 1500)])
def test_hanin_fourth_moment_against_sampled_relu_nets(width, samples):
    """Within five standard errors, at depth 10 and widths 10, 30, 50, all from seed 11.
    At width 10 ‖Ju‖⁴ is so heavy-tailed (for a fixed u, E‖Ju‖⁸/(E‖Ju‖⁴)² ≈ 9.4·10⁴, see
    the next test) that the mean needs 10⁵ nets, and even then its standard error is
    optimistic: over seeds 0–8 the estimate lay between 5.2 standard errors below and 0.9
    above (measured while writing this test)."""
    sampled = sample_spectra(symgrad.get_activation("relu"), 2.0, 0.0, 1.0, 10, width, samples,
                             11, "gaussian")
    ratio = sampled.fourth_moment_ratio()
    assert abs(ratio.value - hanin_ratio([width] * 10)) <= 5 * ratio.error, ratio


def _relu_layer_moments(n: int) -> tuple[float, float]:
    """E r² and E r⁴ of one He-initialised ReLU layer's factor r = ‖D W v‖²/‖v‖²
    = (2/n) χ²_K, K ~ Binomial(n, 1/2) active units (E χ²_K^2 = K(K + 2), E χ²_K^4 =
    K(K + 2)(K + 4)(K + 6)), summed over K exactly."""
    weights = [math.comb(n, k) / 2 ** n for k in range(n + 1)]
    second = sum(p * (2 / n) ** 2 * k * (k + 2) for k, p in enumerate(weights))
    fourth = sum(p * (2 / n) ** 4 * k * (k + 2) * (k + 4) * (k + 6)
                 for k, p in enumerate(weights))
    return second, fourth


@pytest.mark.parametrize("width, samples, heavy", [(10, 10_000, True), (50, 1500, False)])
def test_a_fourth_moment_resting_on_a_few_nets_is_said(width, samples, heavy):
    """The exact law of ‖Ju‖² (a product of independent layer factors) gives E‖Ju‖⁴ =
    (E r²)^L, Hanin's ∏(1 + 5/n), and E‖Ju‖⁸/(E‖Ju‖⁴)² = (E r⁴/(E r²)²)^L: about
    9.4·10⁴ at width 10, more than 10⁴ nets can see (the sample's effective number of
    nets is then small, and said), and about 31 at width 50, where 1,500 nets are many."""
    second, fourth = _relu_layer_moments(width)
    assert second ** 10 == pytest.approx(hanin_ratio([width] * 10), rel=1e-12)
    spread = (fourth / second ** 2) ** 10
    assert (spread > samples) == heavy
    found = symgrad.spectrum(10, "relu", sigma_w2=2, weights="gaussian", grid=0, width=width,
                             samples=samples, seed=11)
    assert found.sampled.heavy_tailed() == heavy
    assert ("rests on a few nets" in render(found, "text")) == heavy


def test_sampled_spectra_approach_the_limit_at_width_200():
    found = spectrum(symgrad.get_activation("relu"), 2, 0, 3, "gaussian", dps=15, grid=0,
                     width=200, samples=30, seed=3)
    for k in (1, 2):
        estimate = found.sampled.moment(k)
        assert abs(estimate.value - float(found.moments[k - 1])) <= 5 * estimate.error + \
            0.05 * float(found.moments[k - 1]), (k, estimate)


def test_one_orthogonal_tanh_layer_has_the_law_of_its_slopes():
    """One layer of orthogonal weights: JJᵀ = σ_w² D², so P(a < λ < b) is the Gaussian
    measure of {h : a < σ_w² sech⁴ h < b}, h = ±acosh((σ_w²/λ)^(1/4)) (closed form),
    against the density integrated by mpmath.quad."""
    found = spectrum(symgrad.get_activation("tanh"), "1.5", "0.05", 1, "orthogonal", dps=15,
                     grid=0)
    q = float(found.mean_field.fixed.q)
    limit = Density(Slopes(MeanField(found.activation), found.mean_field.fixed.q), "1.5", 1,
                    "orthogonal", 15)

    def below(lam):  # P(λ' < lam) = P(|h| > acosh((1.5/lam)^(1/4)))
        h = mpmath.acosh((mpmath.mpf("1.5") / lam) ** 0.25)
        return 2 * (1 - mpmath.ncdf(h / mpmath.sqrt(q)))

    for a, b in (("0.3", "0.6"), ("0.9", "1.2"), ("1.4", "1.45")):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        assert float(mpmath.quad(limit.at, [a, b])) == pytest.approx(float(below(b) - below(a)),
                                                                     rel=1e-9)
    density = spectrum(symgrad.get_activation("tanh"), "1.5", "0.05", 1, "orthogonal", dps=15,
                       grid=20).density
    assert all(rho is not None for _, rho in density)
    # at λ_max = 1.5 (h = 0, where sech⁴ has its maximum) the closed form's slope diverges
    # as 1/√(1.5 − λ): the density there is infinite, not the 0 of a support's edge
    assert mpmath.diff(below, mpmath.mpf("1.5") * (1 - mpmath.mpf(10) ** -12)) > 1e4
    assert density[-1][0] == pytest.approx(1.5) and mpmath.isinf(density[-1][1])


def test_one_orthogonal_softplus_layer_ends_at_density_0():
    """softplus' σ'² = sigmoid(h)² has its supremum 1 only as h → ∞: P(λ < x) =
    Φ(logit(√(x/σ_w²))/√q*) (closed form), whose slope vanishes at the top."""
    found = spectrum(symgrad.get_activation("softplus"), "1.5", "0.05", 1, "orthogonal",
                     dps=15, grid=20)
    q = found.mean_field.fixed.q

    def below(lam):
        p = mpmath.sqrt(lam / mpmath.mpf("1.5"))
        return mpmath.ncdf(mpmath.log(p / (1 - p)) / mpmath.sqrt(q))

    top, rho = found.density[-1]
    assert top == pytest.approx(1.5) and rho == 0
    assert mpmath.diff(below, mpmath.mpf("1.5") * (1 - mpmath.mpf(10) ** -12)) < 1e-6
    lam, rho = found.density[10]
    assert float(rho) == pytest.approx(float(mpmath.diff(below, lam)), rel=1e-9)


@pytest.mark.parametrize("sigma_w2", ["1e30", "1e-30"])
def test_the_density_scales_as_the_weights_power(sigma_w2):
    """λ scales as (σ_w²)^L exactly for ReLU (σ'² is 0 or 1 whatever q is): the density at
    σ_w² = s is the one at σ_w² = 2 rescaled by (s/2)^L, even at 10^±30."""
    relu = symgrad.get_activation("relu")
    depth, s = 3, sympy.Rational(sympy.Float(sigma_w2, 40))
    far = spectrum(relu, sigma_w2, 0, depth, "gaussian", dps=15, grid=0, at=[(s / 2) ** depth])
    near = spectrum(relu, 2, 0, depth, "gaussian", dps=15, grid=0, at=[1])
    assert float(far.points[0][1] * (s / 2) ** depth) == pytest.approx(float(near.points[0][1]),
                                                                        rel=1e-10)
    assert float(far.right_edge / (s / 2) ** depth) == pytest.approx(float(near.right_edge),
                                                                      rel=1e-12)


def test_a_one_digit_density_finishes():
    found = symgrad.spectrum(4, "linear", sigma_w2=1, weights="gaussian", dps=1, grid=5)
    assert len(found.density) == 5 and found.density[0][1] > 0


def test_the_densities_beside_have_their_own_depths_moments():
    """Each density of --also-depths is its own depth's: for ReLU at σ_w² = 2 with
    orthogonal weights, ∫λρ = m_1 = 1 and ∫λ²ρ = m_2 = 1 + d (σ_J² = L), by the
    trapezoid rule on its grid (even in log λ: λ_max is 9 to 18 times the mean), the part
    below the grid's first point b bounded by b^k times the mass left there."""
    found = symgrad.spectrum(8, "relu", sigma_w2=2, weights="orthogonal", grid=1000,
                             also_depths=[6, 4])
    assert [d for d, _ in found.shallower] == [4, 6] and found.log_grid
    for depth, density in found.shallower:
        lams = numpy.array([float(lam) for lam, _ in density])
        rhos = numpy.array([float(rho) for _, rho in density])
        left = 1 - 0.5 - numpy.trapezoid(rhos, lams)  # (relu orthogonal: half the mass at 0)
        assert 0 <= left < 0.5
        for k, moment in ((1, 1), (2, 1 + depth)):
            drawn = numpy.trapezoid(lams ** k * rhos, lams)
            assert drawn <= moment * (1 + 2e-3)
            assert drawn + lams[0] ** k * left >= moment * (1 - 2e-3), (depth, k, drawn)


@pytest.mark.parametrize("also, words", [
    ([1, 2, 3, 4, 5], "At most 4"),
    ([8], "from 1 to 7"),
    ([0], "from 1 to 7"),
    ([2, 2], "different"),
    (["2.5"], "whole number"),
])
def test_other_depths_out_of_range_are_refused(also, words):
    with pytest.raises(symgrad.SymgradError, match=words):
        symgrad.spectrum(8, "relu", sigma_w2=2, grid=10, also_depths=also)


def _bin_masses_of_the_limit(found, edges):
    """The limiting density integrated over each bin (the free-probability density on a
    fine grid, interpolated and summed by the trapezoid rule)."""
    lams = numpy.array([float(lam) for lam, rho in found.density if rho is not None])
    rhos = numpy.array([float(rho) for lam, rho in found.density if rho is not None])
    masses = []
    for left, right in zip(edges, edges[1:]):
        x = numpy.linspace(left, right, 50)
        y = numpy.interp(x, lams, rhos, left=0.0, right=0.0)
        masses.append(float(numpy.sum((y[1:] + y[:-1]) / 2 * numpy.diff(x))))
    return numpy.array(masses)


@pytest.mark.parametrize("act, w2, b2, weights, depth", [
    ("tanh", "1.05", "0", "orthogonal", 4),  # near-isometric: a hump near 1
    ("tanh", "1.5", "0.05", "gaussian", 3),  # a wide density reaching down to 0
])
def test_the_histogram_of_sampled_nets_follows_the_limiting_density(act, w2, b2, weights, depth):
    """Each bin's share of the sampled squared singular values against the limiting
    density integrated over the bin: total variation below 0.06 at width 200."""
    found = spectrum(symgrad.get_activation(act), w2, b2, depth, weights, dps=15, grid=200,
                     width=200, samples=8, seed=5)
    histogram = found.sampled_histogram()
    widths = numpy.diff(histogram.edges)
    bars = numpy.array(histogram.density) * widths
    assert histogram.at_zero == 0 and histogram.beyond < 0.01, histogram
    assert abs(bars.sum() + histogram.below + histogram.beyond - 1) < 1e-12
    limit = _bin_masses_of_the_limit(found, histogram.edges)
    # Gaussian weights: the density has an integrable pole at 0 (Fuss–Catalan's
    # λ^(-L/(L+1))) that trapezoids miss, so what lies below the bins (a log grid's
    # first point, or the first bin of a linear one) takes what the others leave (the
    # density integrating to 1 is checked above)
    if found.log_grid:
        assert weights == "gaussian" and limit.sum() < 1
        bars, limit = numpy.append(bars, histogram.below), numpy.append(limit, 1 - limit.sum())
    else:
        assert histogram.below == 0 and limit[1:].sum() < 1 and limit[0] < 1e-9
        limit[0] = 1 - limit[1:].sum()
    assert numpy.abs(bars - limit).sum() / 2 < 0.06, (bars, limit)


def test_relus_zero_singular_values_are_counted_apart_from_the_bars():
    """A ReLU layer zeroes about half its units' slopes, so at least about half of JJᵀ's
    eigenvalues are 0 (the rank is at most the fewest active units of any layer): they are
    counted at 0, not drawn, and the bars hold the rest."""
    found = spectrum(symgrad.get_activation("relu"), 2, 0, 3, "gaussian", dps=15, grid=50,
                     width=100, samples=10, seed=2)
    histogram = found.sampled_histogram()
    bars = numpy.array(histogram.density) * numpy.diff(histogram.edges)
    ranks = [numpy.linalg.matrix_rank(numpy.diag(numpy.sqrt(row))) for row in found.sampled.eigenvalues]
    assert histogram.at_zero == pytest.approx(1 - sum(ranks) / (100 * 10), abs=1e-12)
    assert 0.5 <= histogram.at_zero < 0.65
    assert abs(bars.sum() + histogram.at_zero + histogram.below + histogram.beyond - 1) < 1e-12


# --- the command and the API ----------------------------------------------------------------

def test_the_command_writes_text_and_json():
    text = cli("spectrum", "--act", "relu", "--sigma-w2", "2", "--depth", "4", "--weights",
               "gaussian", "--grid", "20", "--at", "1")
    assert text.returncode == 0, text.stderr
    assert "not isometric" in text.stdout and "Marchenko" in text.stdout
    done = cli("spectrum", "--act", "relu", "--sigma-w2", "2", "--depth", "4", "--weights",
               "gaussian", "--grid", "20", "--width", "30", "--samples", "5", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["variance"] == "8" and data["moments"][:2] == ["1", "9"]
    assert data["support"]["atom_at_zero"] == "1/2" and len(data["density"]) == 20
    assert data["samples"]["width"] == 30 and data["samples"]["hanin_prediction"] is not None
    assert data["density_at_depths"] == []
    beside = cli("spectrum", "--act", "relu", "--sigma-w2", "2", "--depth", "4", "--grid", "5",
                 "--also-depths", "3,2", "--format", "json")
    assert [entry["depth"] for entry in json.loads(beside.stdout)["density_at_depths"]] == [2, 3]
    assert all(len(entry["density"]) == 5 for entry in json.loads(beside.stdout)["density_at_depths"])


@pytest.mark.parametrize("args, words", [
    (["--weights", "uniform"], "gaussian or orthogonal"),
    (["--moments", "1"], "moments"),
    (["--at", "-1"], "above 0"),
    (["--width", "0"], "width"),
    (["--grid", "x"], "grid"),
    (["--depth", "20000"], "largest"),
    (["--depth", "5", "--also-depths", "2,x"], "whole number"),
    (["--depth", "5", "--also-depths", "5"], "below the depth"),
])
def test_bad_input_is_one_sentence_and_exit_2(args, words):
    done = cli("spectrum", *args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("symgrad: ") and done.stderr.count("\n") == 1
    assert words in done.stderr, done.stderr


def test_the_api_returns_the_spectrum():
    found = symgrad.spectrum(3, "linear", sigma_w2=1, weights="gaussian", grid=0)
    assert isinstance(found, symgrad.Spectrum)
    assert list(found.moments) == [fuss_catalan(3, k) for k in range(1, 5)]


def fuss_catalan_2_density(x):
    """The density of the squared singular values of a product of two square Ginibre
    matrices of variance 1/n (Penson & Życzkowski 2011, s = 2), on (0, 27/4]."""
    x = mpmath.mpf(x)
    c = 27 + 3 * mpmath.sqrt(81 - 12 * x)
    return mpmath.cbrt(2) * mpmath.sqrt(3) / (12 * mpmath.pi) * (
        mpmath.cbrt(2) * c ** (mpmath.mpf(2) / 3) - 6 * mpmath.cbrt(x)) / (
        x ** (mpmath.mpf(2) / 3) * mpmath.cbrt(c))


def test_a_density_far_above_its_mean_is_given_on_a_log_grid():
    """Two Gaussian linear layers: λ_max = 27/4 is 6.75 times the mean 1, and the density
    grows as λ^(-2/3) near 0, so the grid is even in log λ, from m_1²/λ_max = 4/27 or three
    decades below λ_max (6.75·10⁻³), against the published closed form; the drawn share is
    its integral between the grid's ends (mpmath.quad)."""
    found = spectrum(symgrad.get_activation("linear"), 1, 0, 2, "gaussian", dps=15, grid=25)
    assert found.log_grid
    lams = [float(lam) for lam, _ in found.density]
    assert lams[0] == pytest.approx(27 / 4 / 1000, rel=1e-12)
    assert lams[-1] == pytest.approx(27 / 4, rel=1e-12)
    steps = numpy.diff(numpy.log(lams))
    assert steps == pytest.approx([steps[0]] * len(steps), rel=1e-9)
    for lam, rho in found.density[:-1]:
        assert float(rho) == pytest.approx(float(fuss_catalan_2_density(lam)), rel=1e-7)
    assert found.density[-1][1] == 0  # (the edge, where it falls as a square root)
    share = mpmath.quad(fuss_catalan_2_density, [lams[0], 1, 27 / 4])
    assert share_on_grid(found.density) == pytest.approx(float(share), rel=2e-2)
    text = render(found, "markdown")
    assert "density of $\\log_{10}" in text and "holds a share" in text


def test_a_density_near_its_mean_keeps_a_linear_grid():
    """Marchenko–Pastur (one Gaussian layer): λ_max = 4 is 4 times the mean; one relu
    layer's band [(√2 − 1)², (√2 + 1)²] beside its mass 1/2 at 0 is 2.9 times its own mean
    2 (5.8 times m_1 = 1, which the atom halves)."""
    found = spectrum(symgrad.get_activation("linear"), 1, 0, 1, "gaussian", dps=15, grid=8)
    assert not found.log_grid
    assert not spectrum(symgrad.get_activation("relu"), 2, 0, 1, "gaussian", dps=15,
                        grid=8).log_grid
    assert [float(lam) for lam, _ in found.density] == pytest.approx([k / 2 for k in range(1, 9)])


def simulated_largest(act, w2, b2, q, depth, width, samples, seed=3):
    """The largest squared singular value of J over sampled nets with orthogonal weights:
    this test's own simulation (σ and σ' from the mpmath forms, numpy QR and SVD)."""
    sigma = MPMATH_ACTIVATIONS[act]
    value = numpy.vectorize(lambda v: float(sigma(v)))
    derivative = numpy.vectorize(lambda v: float(mpmath.diff(sigma, v)))
    rng = numpy.random.default_rng(seed)
    largest = 0.0
    for _ in range(samples):
        h = rng.standard_normal(width) * math.sqrt(q)  # (a^0 = σ(h), h at q*)
        jacobian = numpy.eye(width)
        for _ in range(depth):  # J = D_L W_L ⋯ D_1 W_1
            w = numpy.linalg.qr(rng.standard_normal((width, width)))[0] * math.sqrt(w2)
            h = w @ value(h) + rng.standard_normal(width) * math.sqrt(b2)
            jacobian = derivative(h)[:, None] * (w @ jacobian)
        largest = max(largest, float(numpy.linalg.svd(jacobian, compute_uv=False)[0] ** 2))
    return largest


@pytest.mark.slow
def test_an_edge_out_of_reach_is_given_as_a_bound_and_said_to_be_one():
    """gelu at σ_w² = 1.5, σ_b² = 0.05, depth 3 with orthogonal weights: the minimum of λ(x)
    lies closer to sup σ'² than the slopes' law can be computed, and the edge used to be
    given as (σ_w² sup σ'²)^L = 6.99 without a word, where nets of width 300 (this test's
    own simulation) reach about 0.65. It is an upper bound (‖J‖² ≤ ∏‖W_l‖²‖D_l‖²), and now
    said to be one; at 15 digits it is found and agrees with the nets, as tanh's does."""
    gelu = spectrum(symgrad.get_activation("gelu"), "1.5", "0.05", 3, "orthogonal", dps=30,
                    grid=0)
    sup = mpmath.mpf(str(symgrad.get_activation("gelu").derivative_abs_sup))
    assert 3 in gelu.bounded_edges
    assert float(gelu.right_edge) == pytest.approx(float((mpmath.mpf("1.5") * sup ** 2) ** 3),
                                                   rel=1e-5)
    nets = simulated_largest("gelu", 1.5, 0.05, float(gelu.mean_field.fixed.q), 3, 300, 2)
    assert nets < float(gelu.right_edge)
    words = render(gelu, "text")
    assert "largest squared singular value, at most" in words and "only bounded" in words
    near = spectrum(symgrad.get_activation("gelu"), "1.5", "0.05", 3, "orthogonal", dps=15,
                    grid=0)  # (at float64's digits the law is computable close enough)
    assert 3 not in near.bounded_edges
    assert nets == pytest.approx(float(near.right_edge), rel=0.1)
    tanh = spectrum(symgrad.get_activation("tanh"), "1.5", "0.05", 3, "orthogonal", dps=15,
                    grid=0)
    assert not tanh.bounded_edges
    nets = simulated_largest("tanh", 1.5, 0.05, float(tanh.mean_field.fixed.q), 3, 300, 2)
    assert nets == pytest.approx(float(tanh.right_edge), rel=0.05)


def test_the_spread_has_every_digit_asked():
    """σ_J² = L(μ₂/μ₁² − 1 − s₁) at 50 digits against μ_k = E[sech^(4k)(√q* Z)] by
    mpmath.quad at 70 (it was worked in float64 and printed to 50 digits, wrong from the
    17th)."""
    found = spectrum(symgrad.get_activation("tanh"), "1.5", 0, 4, "gaussian", dps=50, grid=0)
    with mpmath.workdps(70):
        q = mpmath.mpf(found.mean_field.fixed.q)
        mu = [mpmath.quad(lambda z, k=k: mpmath.sech(mpmath.sqrt(q) * z) ** (4 * k)
                          * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf]) for k in (1, 2)]
        spread = 4 * (mu[1] / mu[0] ** 2 - 1 + 1)
        assert abs(found.variance - spread) < mpmath.mpf(10) ** -45 * spread
