"""Mean field at the edges (issue 14): huge and tiny variances, huge exact numbers.

Oracle: for a bounded σ and q → ∞, E[σ'(√q Z)²] = (∫ σ'(v)² dv) / √(2π q) (1 + O(1/q)) and
E[σ(√q Z)²] → (σ(∞)² + σ(-∞)²)/2, so q* ≈ σ_w² (σ(∞)² + σ(-∞)²)/2 and χ1 ≈ σ_w² ∫σ'² / √(2π q*);
∫ sech⁴ = 4/3 (tanh), ∫ σ²(1-σ)² = 1/6 (sigmoid), ∫ (2/√π)² e^{-2v²} = 2√2/√π... computed here
by mpmath.quad of the derivative written again, sharing no code with symgrad. Where symgrad
cannot compute an answer reliably it must refuse in one sentence, never answer wrongly.
Large q (issue 14, second part): q* and χ1 against a separate mpmath.quad of the map (in u = √q z,
split at the peak, for σ'²; in z for σ²), the leading term's closed form, the switch point."""

import json

import mpmath
import pytest
import sympy

import symgrad
from symgrad.analysis.meanfield import (
    MAX_MEANFIELD_DPS,
    Q_ASYMPTOTIC,
    Gaussian,
    critical_line,
    mean_field,
)
from symgrad.errors import SymgradError
from tests.clirun import symgrad as symgrad_cli

DERIVATIVES = {  # σ' written again in mpmath, and σ(±∞)
    "tanh": (lambda v: mpmath.sech(v) ** 2, (-1, 1)),
    "sigmoid": (lambda v: mpmath.exp(-abs(v)) / (1 + mpmath.exp(-abs(v))) ** 2, (0, 1)),
    "erf(x)": (lambda v: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-v * v), (-1, 1)),
}


def asymptotic_chi(act, sigma_w2):
    slope, ends = DERIVATIVES[act]
    with mpmath.workdps(30):
        area = mpmath.quad(lambda v: slope(v) ** 2, [-mpmath.inf, 0, mpmath.inf])
        q = mpmath.mpf(sigma_w2) * sum(e * e for e in ends) / 2
        return mpmath.mpf(sigma_w2) * area / mpmath.sqrt(2 * mpmath.pi * q)


SIGMAS = {  # σ written again in mpmath
    "tanh": mpmath.tanh,
    "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)),
    "erf(x)": mpmath.erf,
}


def oracle_expectation(function, q, localized):
    """E[f(√q Z)] by mpmath.quad. ``localized`` (f decays fast, like σ'²): in u = √q z,
    (2πq)^{-1/2} ∫ f(u) e^{-u²/(2q)} du split at the peak and at ±5, ±20, ±60; else in z,
    split where σ changes, at ±k/√q, and on the Gaussian's own scale."""
    q = mpmath.mpf(q)
    if localized:
        points = [-mpmath.inf, -60, -20, -5, 0, 5, 20, 60, mpmath.inf]
        value = mpmath.quad(lambda u: function(u) * mpmath.exp(-u * u / (2 * q)), points)
        return value / mpmath.sqrt(2 * mpmath.pi * q)
    root = mpmath.sqrt(q)
    inner = [k / root for k in (1, 5, 20, 60)]
    points = sorted({*inner, *(-v for v in inner), mpmath.mpf(0), *(mpmath.mpf(k) for k in (-10, -1, 1, 10))})
    return mpmath.quad(lambda z: function(root * z) * mpmath.npdf(z), [-mpmath.inf, *points, mpmath.inf])


def oracle_fixed_point(sigma, slope, w2, b2, dps=40):
    """Plain iteration of the oracle's map (F is nearly constant for a bounded σ at these
    σ_w²: a handful of steps converge), then χ1 = σ_w² E[σ'²]."""
    with mpmath.workdps(dps):
        w2, b2, q = mpmath.mpf(w2), mpmath.mpf(b2), mpmath.mpf(1)
        for _ in range(60):
            q, previous = w2 * oracle_expectation(lambda v: sigma(v) ** 2, q, False) + b2, q
            if abs(q - previous) < mpmath.mpf(10) ** -(dps - 5) * q:
                break
        else:
            raise AssertionError("the oracle's iteration did not converge")
        return q, w2 * oracle_expectation(lambda v: slope(v) ** 2, q, True)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "erf(x)"])
@pytest.mark.parametrize("sigma_w2", ["1e8", "1e11", "1e14"])
def test_huge_weight_variance_against_quadrature(act, sigma_w2):
    """Exploding, with q* and χ1 to 12 digits against the oracle's quadrature (the old answers:
    "vanishing" for tanh at 1e14, then a refusal above q* = 1e12)."""
    result = mean_field(symgrad.get_activation(act), sigma_w2, 0, dps=20)
    q, chi = oracle_fixed_point(SIGMAS[act], DERIVATIVES[act][0], sigma_w2, 0)
    assert result.regime == "exploding" and result.fixed.kind == "stable"
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(result.fixed.q) / q - 1) < mpmath.mpf(10) ** -12
        assert abs(mpmath.mpf(result.chi) / chi - 1) < mpmath.mpf(10) ** -12


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "erf(x)"])
@pytest.mark.parametrize("sigma_w2", ["1e300", "1e5000"])
def test_beyond_float_weight_variance_against_the_leading_term(act, sigma_w2):
    """At q* ≈ 1e300 or 1e5000 the leading term χ1 = σ_w² ∫σ'² / √(2π q*) is exact to far
    more than 12 digits (the next is smaller by 1/q*)."""
    result = mean_field(symgrad.get_activation(act), sigma_w2, 0, dps=15)
    assert result.regime == "exploding" and result.fixed.kind == "stable"
    expected = asymptotic_chi(act, sigma_w2)
    with mpmath.workdps(30):
        ends = DERIVATIVES[act][1]
        assert abs(mpmath.mpf(result.fixed.q) / (mpmath.mpf(sigma_w2) * sum(e * e for e in ends) / 2)
                   - 1) < mpmath.mpf(10) ** -12
        assert abs(mpmath.mpf(result.chi) / expected - 1) < mpmath.mpf(10) ** -12


def test_the_figures_of_the_issue():
    """tanh 1e14: χ1 ≈ 5.32e6; sigmoid 1e300: ≈ 9.40e148; tanh 1e5000: q* ≈ 1e5000, χ1 ≈ 5.32e2499."""
    tanh, sigmoid = symgrad.get_activation("tanh"), symgrad.get_activation("sigmoid")
    assert mpmath.nstr(mean_field(tanh, "1e14", 0, dps=15).chi, 3) == "5.32e+6"
    assert mpmath.nstr(mean_field(sigmoid, "1e300", 0, dps=15).chi, 3) == "9.4e+148"
    huge = mean_field(tanh, "1e5000", 0, dps=15)
    assert mpmath.nstr(huge.fixed.q, 3) == "1.0e+5000" and mpmath.nstr(huge.chi, 3) == "5.32e+2499"


def gelu(v):
    return v * mpmath.ncdf(v)


def gelu_slope(v):
    return mpmath.ncdf(v) + v * mpmath.npdf(v)


@pytest.mark.parametrize("act, sigma, slope", [
    ("gelu", gelu, gelu_slope),
    ("softplus", lambda v: mpmath.log1p(mpmath.exp(v)), lambda v: 1 / (1 + mpmath.exp(-v))),
])
def test_huge_bias_variance_linear_asymptote(act, sigma, slope):
    """σ_b² = 1e20, σ_w² = 1: q* ≈ 2e20 (E[σ²] ≈ q/2), χ1 ≈ 1/2 + O(q^{-1/2}): 12 digits
    against the oracle's map written with mpmath.ncdf / log1p (z-form quadrature)."""
    result = mean_field(symgrad.get_activation(act), 1, "1e20", dps=20)
    assert result.regime == "vanishing" and result.fixed.kind == "stable"
    with mpmath.workdps(40):
        q = mpmath.mpf(result.fixed.q)
        image = oracle_expectation(lambda v: sigma(v) ** 2, q, False) + mpmath.mpf("1e20")
        assert abs(image / q - 1) < mpmath.mpf(10) ** -12
        chi = oracle_expectation(lambda v: slope(v) ** 2, q, False)
        assert abs(mpmath.mpf(result.chi) / chi - 1) < mpmath.mpf(10) ** -12
        assert abs(chi - mpmath.mpf(1) / 2) < mpmath.mpf(10) ** -9  # and not exactly 1/2
        assert abs(chi - mpmath.mpf(1) / 2) > mpmath.mpf(10) ** -15


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "erf(x)", "gelu", "silu", "softplus", "elu"])
def test_expansion_meets_quadrature_at_the_switch(act):
    """At q = Q_ASYMPTOTIC the expansion and the quadrature agree to 27 of 30 digits, and the
    series' terms decrease (by a factor of at least 10^6 each)."""
    gaussian = Gaussian(symgrad.get_activation(act))
    assert gaussian.asymptotes is not None
    with mpmath.workdps(30):
        for which in (0, 1):
            expansion = gaussian.asymptotes.expectation(Q_ASYMPTOTIC, which)
            quadrature = gaussian.quadrature(Q_ASYMPTOTIC, which)
            assert abs(expansion - quadrature) <= mpmath.mpf(10) ** -27 * abs(quadrature)
            assert gaussian.expectation(Q_ASYMPTOTIC, which) == expansion  # the switch is there
            terms = [abs(t) for t in gaussian.asymptotes.terms(Q_ASYMPTOTIC, which, 4)]
            assert all(b <= a * mpmath.mpf(10) ** -6 for a, b in zip(terms, terms[1:]) if a), terms


def test_expansion_at_1e14_against_the_oracle():
    """E[tanh'(√q Z)²] at q = 1e14 to 25 digits against the u-form quadrature."""
    gaussian = Gaussian(symgrad.get_activation("tanh"))
    with mpmath.workdps(30):
        expected = oracle_expectation(lambda v: mpmath.sech(v) ** 4, mpmath.mpf(10) ** 14, True)
        leading = mpmath.mpf(4) / 3 / mpmath.sqrt(2 * mpmath.pi * mpmath.mpf(10) ** 14)
        got = gaussian.expectation(mpmath.mpf(10) ** 14, 1)
        assert abs(got / expected - 1) < mpmath.mpf(10) ** -25
        assert abs(got / leading - 1) < mpmath.mpf(10) ** -12  # ∫ sech⁴ = 4/3


def test_a_slowly_decaying_remainder_is_refused():
    """tanh + 1/(1+x²): the remainder decays like 1/x², the expansion's moments diverge:
    above q* = 1e12 symgrad refuses in one sentence."""
    activation = symgrad.get_activation("tanh(x) + 1/(1+x**2)")
    assert Gaussian(activation).asymptotes is None
    with pytest.raises(SymgradError, match="1e12") as error:
        mean_field(activation, "1e14", 0, dps=15)
    assert "\n" not in str(error.value)


def test_widest_region_has_its_own_maximum():
    from symgrad.analysis.region import MAX_WIDEST_DPS, widest_region

    with pytest.raises(SymgradError, match=str(MAX_WIDEST_DPS)):
        widest_region(symgrad.get_activation("tanh"), MAX_WIDEST_DPS + 1)


def test_meanfield_digits_maximum():
    with pytest.raises(SymgradError, match=f"between 1 and {MAX_MEANFIELD_DPS} digits"):
        mean_field(symgrad.get_activation("tanh"), "1.5", 0, dps=MAX_MEANFIELD_DPS + 1)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "erf(x)", "gelu", "softplus"])
def test_tiny_weight_variance_vanishes(act):
    """σ_w² = 1e-300: χ1 = σ_w² E[σ'²] ≤ σ_w² sup σ'² and ≥ σ_w² σ'(0)²/2-ish: vanishing,
    of order 1e-300."""
    result = mean_field(symgrad.get_activation(act), "1e-300", 0, dps=15)
    assert result.regime == "vanishing"
    assert -302 < float(mpmath.log10(mpmath.mpf(result.chi))) < -299


def test_relu_is_exact_at_1e5000():
    result = mean_field(symgrad.get_activation("relu"), "1e5000", 0)
    assert result.chi == sympy.Integer(10) ** 5000 / 2 and result.regime == "exploding"


def run(*args):
    """``symgrad *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli(*args)


@pytest.mark.parametrize("args", [
    ["meanfield", "--act", "tanh", "--sigma-w2", "1e5000"],
    ["meanfield", "--act", "tanh", "--sigma-w2", "1e14"],
    ["meanfield", "--act", "sigmoid", "--sigma-w2", "1e300"],
    ["meanfield", "--act", "tanh", "--sigma-w2", "1", "--sigma-b2", "1e5000"],
    ["meanfield", "--act", "relu", "--sigma-w2", "1e5000"],
    ["meanfield", "--act", "relu", "--sigma-w2", "1e5000", "--format", "latex"],
    ["meanfield", "--act", "relu", "--sigma-w2", "1e5000", "--format", "markdown"],
    ["critical", "--act", "tanh", "--sigma-b2", "1e5000"],
    ["critical", "--act", "relu", "--sigma-b2", "1e5000", "--format", "markdown"],
    ["region", "--w", "1e5000"],
    ["region", "--w", "8", "--b", "1e5000"],
])
def test_cli_edges_answer_or_refuse_in_one_line(args):
    result = run(*args)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    assert result.returncode in (0, 2), result.stderr
    if result.returncode == 2:
        assert result.stderr.startswith("symgrad: ") and result.stderr.count("\n") == 1
    else:
        huge = "--sigma-w2" in args and args[args.index("--sigma-w2") + 1] in ("1e14", "1e300", "1e5000")
        assert "exploding" in result.stdout or not huge  # tanh at 1e14 once said "vanishing"
        assert "vanishing" not in result.stdout or not huge


def test_critical_line_refuses_huge_bias_variance():
    with pytest.raises(SymgradError, match="σ_b²"):
        critical_line(symgrad.get_activation("tanh"), ["1e5000"])


def _tanh_fixed_point(w2, b2, start):
    """q* = σ_w² E[tanh(√q Z)²] + σ_b² by mpmath.quad of the Gaussian integral and
    findroot, at 40 digits: written here, apart from symgrad's mean field."""
    with mpmath.workdps(40):
        w2, b2 = mpmath.mpf(w2), mpmath.mpf(b2)

        def second_moment(q):
            return mpmath.quad(lambda t: mpmath.tanh(mpmath.sqrt(q) * t) ** 2
                               * mpmath.exp(-t * t / 2), [-mpmath.inf, -5, 0, 5, mpmath.inf]) \
                / mpmath.sqrt(2 * mpmath.pi)

        return mpmath.findroot(lambda q: w2 * second_moment(q) + b2 - q, mpmath.mpf(start))


@pytest.mark.parametrize("w2, b2, start", [
    ("1.0001", "0", "5e-5"), ("1.001", "0", "5e-4"), ("1.01", "0", "5e-3"),
    ("1", "1e-10", "7e-6"), ("1", "1e-6", "7e-4"),
])
def test_tanh_just_past_the_edge_of_chaos_has_its_small_fixed_point(w2, b2, start):
    """σ_w² = 1 + 10^-4: the variance map's iteration creeps towards q* ≈ 5·10^-5 by a
    factor 1 - 10^-4 a step (this was refused: 'a root near 0.0207 could not be
    bracketed'); q* to 25 digits against the quadrature written here."""
    result = symgrad_cli("meanfield", "--act", "tanh", "--sigma-w2", w2, "--sigma-b2", b2, "--format", "json")
    assert result.returncode == 0, result.stderr
    with mpmath.workdps(40):
        reported = mpmath.mpf(json.loads(result.stdout)["fixed_point"]["q"])
        expected = _tanh_fixed_point(w2, b2, start)
        assert abs(reported - expected) < mpmath.mpf(10) ** -25 * expected, \
            (mpmath.nstr(reported, 30), mpmath.nstr(expected, 30))


@pytest.mark.parametrize("act, sigma_w2", [("min(max(x,0),6)", "2"), ("tanh(x/10)", "100")])
def test_a_variance_that_falls_as_slowly_as_float64_can_tell_decays_to_0(act, sigma_w2):
    """relu6 at σ_w² = 2 has F(q) = q − 2E[(√q Z)² − 36; √q Z > 6] < q for every q > 0 (its
    square is below relu's, whose F(q) = q), and tanh(x/10)² < (x/10)² at σ_w² = 100: the
    variance decays to 0, where χ1 = σ_w² (σ'(0⁻)² + σ'(0⁺)²)/2 = 1 (relu6: slopes 0 and 1;
    tanh(x/10): 1/10). At q = 1 relu6's F(q) − q is −4·10⁻⁹ and below q = 0.1 it is 0 in
    float64: before, a root was "found" in the rounding at 10⁻²⁰⁴ and then refused."""
    found = mean_field(symgrad.get_activation(act), sympy.Rational(sigma_w2), 0, 10, 20)
    assert found.fixed.kind == "collapses" and found.fixed.q == 0
    assert found.fixed.chi == pytest.approx(1, abs=1e-15)


def test_relu6_with_a_bias_settles_where_a_separate_quadrature_puts_it():
    """relu6 at σ_w² = 2, σ_b² = 0.01: F(q) − q = 0.01 − 2E[(√q Z)² − 36; √q Z > 6] is
    nearly flat (≈ 0.01) from q = 0 to 2 and turns negative near 3.6, where a secant step
    from the iterate landed anywhere. The root by mpmath.quad of the tail and findroot."""
    def gap(q):
        tail = mpmath.quad(lambda z: (q * z * z - 36) * mpmath.npdf(z),
                           [6 / mpmath.sqrt(q), mpmath.inf])
        return mpmath.mpf("0.01") - 2 * tail

    with mpmath.workdps(30):
        root = mpmath.findroot(gap, (3, 4), solver="anderson")
    found = mean_field(symgrad.get_activation("min(max(x,0),6)"), 2, sympy.Rational(1, 100),
                       10, 20)
    assert found.fixed.kind == "stable"
    assert abs(found.fixed.q - root) < mpmath.mpf(10) ** -18 * root


@pytest.mark.parametrize("excess", [14, 19])
def test_just_above_criticality_q0_repels_and_the_small_fixed_point_is_found(excess):
    """tanh at σ_w² = 1 + 10⁻¹⁴ and 1 + 10⁻¹⁹, σ_b² = 0: χ1(0) = σ_w² > 1, so q = 0 repels
    and the variance settles at q* ≈ (1 − 1/σ_w²)/2 (float64 sees F(v) = v there: the
    exact χ1(0) decides, and the search runs at digits that see it). Against mpmath.quad of
    the map in z at 60 digits and findroot."""
    with mpmath.workdps(60):
        w2 = 1 + mpmath.mpf(10) ** -excess
        half = mpmath.mpf(10) ** -excess / 2

        def gap(q):
            return w2 * mpmath.quad(lambda z: mpmath.tanh(mpmath.sqrt(q) * z) ** 2
                                    * mpmath.npdf(z), [-mpmath.inf, 0, mpmath.inf]) - q
        root = mpmath.findroot(gap, (half * mpmath.mpf("0.8"), half * mpmath.mpf("1.2")),
                               solver="anderson")
    found = mean_field(symgrad.get_activation("tanh"), 1 + sympy.Rational(1, 10 ** excess),
                       0, 10, 30)
    assert found.fixed.kind == "stable"
    assert abs(found.fixed.q - root) < mpmath.mpf(10) ** -15 * root


def test_the_critical_line_at_a_tiny_bias_is_found_or_refused_never_said_to_be_missing():
    """tanh: near q = 0, (q − σ_b²) E[σ'²] = E[σ²] gives q*³ ≈ ¾σ_b² (E[tanh²] ≈ q − 2q²,
    E[sech⁴] ≈ 1 − 4q). At σ_b² = 10⁻²⁰ that is found; at 10⁻³⁰⁰ the search said "no
    critical point", which is false: now a refusal in one sentence."""
    line = critical_line(symgrad.get_activation("tanh"), [sympy.Rational(1, 10 ** 20)], 20)
    (point,) = line.points
    assert point.kind == "stable"
    assert float(point.q) == pytest.approx((0.75e-20) ** (1 / 3), rel=1e-5)
    with pytest.raises(SymgradError, match="at least 1e-20"):
        critical_line(symgrad.get_activation("tanh"), [sympy.Rational(1, 10 ** 300)], 20)


def test_an_exact_chi_above_1_explodes_however_little():
    """relu's χ1 = σ_w²/2 exactly: at σ_w² = 2 + 10⁻¹⁹ it is 1 + 5·10⁻²⁰, which rounded to
    15 digits was called critical while tanh's equally close χ1 exploded."""
    relu = symgrad.get_activation("relu")
    assert mean_field(relu, 2 + sympy.Rational(1, 10 ** 19), 0, 10, 30).regime == "exploding"
    assert mean_field(relu, 2 - sympy.Rational(1, 10 ** 19), 0, 10, 30).regime == "vanishing"
    assert mean_field(relu, 2, 0, 10, 30).regime == "critical"
