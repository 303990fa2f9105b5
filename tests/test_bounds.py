"""symgrad bounds: the bounds hold at random inputs, float limits against the formats'
published constants, regimes on the textbook cases."""

import json
import random
from fractions import Fraction

import mpmath
import numpy
import pytest
import sympy

import symgrad
from symgrad.analysis.bounds import gain_bounds
from symgrad.analysis.float_formats import FORMATS
from symgrad.render.json import verdict_text
from tests.clirun import symgrad as symgrad_cli
from tests.oracle import MPMATH_ACTIVATIONS

R = sympy.Rational

# Published limits: numpy's finfo for the IEEE formats; bfloat16 (8 exponent bits, 7
# mantissa bits) from its definition: largest (2 - 2^-7)·2^127, smallest subnormal 2^-133.
PUBLISHED = {
    name: (Fraction(float(numpy.finfo(name).max)), Fraction(float(numpy.finfo(name).smallest_subnormal)))
    for name in ("float16", "float32", "float64")
}
PUBLISHED["bfloat16"] = ((2 - Fraction(1, 2**7)) * 2**127, Fraction(1, 2**133))


def bounds_of(act, w, depth=100, residual=False, dps=50):
    chain = symgrad.ScalarChain(depth, symgrad.get_activation(act), residual=residual)
    weights = tuple(R(v) for v in w) if isinstance(w, list) else (R(w),)
    return gain_bounds(chain, tuple((v,) for v in weights), dps)


def test_format_limits_are_the_published_ones():
    for fmt in FORMATS:
        largest, smallest = PUBLISHED[fmt.name]
        assert Fraction(str(fmt.largest)) == largest, fmt.name
        assert Fraction(str(fmt.smallest_subnormal)) == smallest, fmt.name


def first_crossings(factors, repeat: bool):
    """Independent: walk the products in exact rational arithmetic."""
    result = {}
    for name, (largest, smallest) in PUBLISHED.items():
        over = under = None
        product, k = Fraction(1), 0
        while k < (10_000 if repeat else len(factors)):
            product *= factors[k % len(factors)]
            k += 1
            if over is None and product > largest:
                over = k
            if under is None and 0 < product < smallest:
                under = k
            if (over or under) and repeat:
                break
        result[name] = (over, under)
    return result


@pytest.mark.parametrize("act, w, gain", [
    ("sigmoid", 10, Fraction(5, 2)), ("sigmoid", 1, Fraction(1, 4)), ("relu", 3, Fraction(3)),
    ("leaky_relu:0.1", R(9, 10), Fraction(9, 10)), ("linear", 2, Fraction(2)),
])
def test_float_limits_of_a_repeated_gain(act, w, gain):
    result = bounds_of(act, w)
    expected = first_crossings([gain], repeat=True)
    for limit in result.float_limits:
        assert (limit.overflow_depth, limit.underflow_depth) == expected[limit.format.name]


def test_textbook_figures_for_sigmoid_w10():
    # the figures: 2.5^L overflows float32 at L = 97, float64 at L = 775
    limits = {lim.format.name: lim for lim in bounds_of("sigmoid", 10).float_limits}
    assert limits["float32"].overflow_depth == 97 and limits["float64"].overflow_depth == 775


def test_float_limits_of_a_weight_list_count_from_the_output():
    weights = [R(1, 2)] * 150 + [R(40)] * 50  # the last 50 layers first: (10)^50 then down
    result = bounds_of("sigmoid", weights, depth=200)
    factors = [Fraction(w.p, w.q) / 4 for w in reversed(weights)]
    expected = first_crossings(factors, repeat=False)
    for limit in result.float_limits:
        assert (limit.overflow_depth, limit.underflow_depth) == expected[limit.format.name]


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "gelu", "silu", "elu", "softplus"])
def test_bounds_hold_at_random_preactivations(act, residual):
    depth, rng = 40, random.Random(hash((act, residual)) % 1000)
    weights = [R(rng.choice([-3, -1, 1, 2, 5]), rng.choice([1, 2, 4])) for _ in range(depth)]
    result = bounds_of(act, weights, depth=depth, residual=residual)
    sigma = MPMATH_ACTIVATIONS[act]
    with mpmath.workdps(40):
        for _ in range(20):
            product = mpmath.mpf(1)
            for w in weights:
                z = mpmath.mpf(rng.uniform(-6, 6))
                factor = mpmath.mpf(w.p) / w.q * mpmath.diff(sigma, z)
                product *= abs(factor + 1 if residual else factor)
            slack = mpmath.mpf(10) ** -30
            assert result.lower * (1 - slack) <= product <= result.upper * (1 + slack)


@pytest.mark.parametrize("act, w, residual, regime", [
    ("sigmoid", 1, False, "vanishing"),       # σ' ≤ 1/4 with ordinary weights
    ("relu", R(1, 2), False, "vanishing"),    # σ' = 1 but |w| < 1
    ("sigmoid", 10, False, "mixed"),          # can explode
    ("linear", 2, False, "exploding"),
    ("leaky_relu:0.1", 20, False, "exploding"),  # even the leaky side gives 2 > 1
    ("relu", 1, False, "bounded"),
    ("tanh", R(1, 2), True, "mixed"),         # residual: never below 1
])
def test_regimes(act, w, residual, regime):
    result = bounds_of(act, w, residual=residual)
    assert result.regime == regime
    if regime == "vanishing":
        assert verdict_text(result).startswith("vanishes for every input")
    if regime == "mixed":
        assert verdict_text(result).startswith("can explode")


def test_residual_tanh_never_shrinks():
    result = bounds_of("tanh", R(1, 2), residual=True)
    assert result.factors[0].lower == 1 and result.factors[0].upper == R(3, 2)
    assert "never shrinks" in verdict_text(result)


def test_numerical_sup_is_refined_to_the_precision_asked():
    # SiLU's sup σ' is found numerically; the refined value against an independent
    # root of σ'' (mpmath.diff of the oracle's SiLU) at 60 digits.
    result = bounds_of("silu", 1, dps=50)
    silu = MPMATH_ACTIVATIONS["silu"]
    with mpmath.workdps(60):
        root = mpmath.findroot(lambda t: mpmath.diff(silu, t, 2), mpmath.mpf(2.4))
        expected = mpmath.diff(silu, root)
        got = mpmath.mpf(sympy.N(result.derivative.high, 60))
        assert abs(got - expected) < mpmath.mpf(10) ** -48


def run(*args):
    """``symgrad bounds *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli("bounds", *args)


def test_cli_json_has_float_limits_per_format():
    result = run("--depth", "100", "--act", "sigmoid", "--w", "10", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["float_limits"]) == {"float16", "bfloat16", "float32", "float64"}
    assert data["float_limits"]["float32"] == {
        "largest": str(PUBLISHED["float32"][0]), "smallest_subnormal": str(PUBLISHED["float32"][1]),
        "overflow_depth": 97, "underflow_depth": None}
    assert mpmath.mpf(data["upper_bound"]) == mpmath.mpf(R(5, 2) ** 100)
    assert data["regime"] == "mixed" and data["verdict"].startswith("can explode")


@pytest.mark.parametrize("args, message", [
    (["--depth", "3", "--w", "1,2"], "list of exactly 3, not 2"),
    (["--depth", "3", "--w", "ten"], "'ten' is not a number"),
    (["--depth", "3", "--act", "sigmod"], "Did you mean sigmoid"),
    (["--depth", "0"], "at least 1"),
    (["--depth", "3", "--dps", "0"], "between 1 and"),
])
def test_bad_input_is_one_sentence(args, message):
    result = run(*args)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("act", ["linear", "tanh"])
def test_an_exact_product_of_one_is_not_rounded_into_a_regime(act):
    result = bounds_of(act, [53, R(1, 53)], depth=2)
    assert result.regime == "bounded"
    if act == "linear":  # σ' = 1: the ratio is exactly 1 for every input
        assert "= 1 for every input" in verdict_text(result)
