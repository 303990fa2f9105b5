"""symgrad eval: textbook products exactly, deep chains against mpmath.diff, floats' limits."""

import json
import re

import mpmath
import numpy
import pytest
import sympy

import symgrad
from symgrad.numeric.backprop import ChainPoint
from symgrad.numeric.evaluate import evaluate_chain
from tests.clirun import symgrad as symgrad_cli
from tests.numbers import agree
from tests.oracle import mpmath_diff_gradient, random_point

R = sympy.Rational


@pytest.fixture(autouse=True)
def precise_expectations():
    """The expected values in these tests are computed at 80 digits."""
    with mpmath.workdps(80):
        yield


def gain_mode(act, depth, w, z, dps=50, residual=False):
    chain = symgrad.ScalarChain(depth, symgrad.get_activation(act), residual=residual)
    point = ChainPoint((R(w),) * depth, z=(R(z),) * depth)
    return evaluate_chain(chain, point, dps)


@pytest.mark.parametrize("depth", [10, 100, 1000])
def test_relu_w10_is_ten_to_the_depth(depth):
    result = gain_mode("relu", depth, 10, 1)
    assert agree(result.input_gradient, mpmath.mpf(10) ** depth, 50)
    assert agree(result.layer(1).delta, mpmath.mpf(10) ** (depth - 1), 50)  # w_2..w_L only


@pytest.mark.parametrize("depth", [10, 100, 1000])
def test_sigmoid_at_zero_is_a_quarter_to_the_depth(depth):
    result = gain_mode("sigmoid", depth, 1, 0)
    assert agree(result.input_gradient, mpmath.mpf(4) ** -depth, 50)


@pytest.mark.parametrize("act, slope", [("relu", 1), ("linear", 1), ("leaky_relu:0.1", 1)])
def test_small_weights_vanish_even_with_unit_derivative(act, slope):
    result = gain_mode(act, 400, R(1, 2), 3)
    assert agree(result.input_gradient, (mpmath.mpf(slope) / 2) ** 400, 50)


def test_residual_factor_is_one_plus_w_sigma_prime():
    result = gain_mode("tanh", 50, R(1, 2), 0, residual=True)  # 1 + (1/2)(1) = 3/2 per layer
    assert agree(result.input_gradient, mpmath.mpf(1.5) ** 50, 50)


@pytest.mark.parametrize("depth", [30, 300])
@pytest.mark.parametrize("kind", ["plain", "residual", "tied"])
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "softplus", "gelu"])
def test_deep_eval_equals_mpmath_diff(act, kind, depth):
    residual, tied = kind == "residual", kind == "tied"
    weights, biases, x, y = random_point(depth, seed=depth + 7, tied=tied)
    if residual:  # weights of order 1/L keep a residual chain's activations of order 1;
        scale = 2 ** depth.bit_length()  # a power of two keeps them exact decimals
        weights = [w / scale for w in weights]
    chain = symgrad.ScalarChain(depth, symgrad.get_activation(act), residual=residual, tied=tied)

    def exact(value):
        return R(mpmath.nstr(value, 30))  # the oracle's decimals, read exactly

    point = ChainPoint(tuple(map(exact, weights)), tuple(map(exact, biases)), x=exact(x), y=exact(y))
    result = evaluate_chain(chain, point, dps=60)
    dps = 60 + 2 * depth  # the forward pass loses digits at depth; mpmath.diff gets them back
    for n in (1, depth // 2, depth):
        expected = mpmath_diff_gradient(act, "quadratic", (weights, biases, x, y), ("b", n),
                                        residual, dps=dps)
        assert agree(result.layer(n).delta, expected, 45), (n, result.layer(n).delta, expected)
        expected_w = mpmath_diff_gradient(act, "quadratic", (weights, biases, x, y), ("w", n),
                                          residual, dps=dps)
        assert agree(result.layer(n).grad_w, expected_w, 45)
    expected_x = mpmath_diff_gradient(act, "quadratic", (weights, biases, x, y), ("x", 0),
                                      residual, dps=dps)
    assert agree(result.input_gradient, expected_x, 45)
    if tied:
        expected_total = mpmath_diff_gradient(act, "quadratic", (weights, biases, x, y),
                                              ("w", "all"), residual, dps=dps)
        assert agree(result.grad_w_total, expected_total, 45)


@pytest.mark.parametrize("name", ["float64", "float32"])
def test_float_breakdown_where_ten_to_the_power_overflows(name):
    depth = 500
    result = gain_mode("relu", depth, 10, 1)
    breakdown = next(b for b in result.floats if b.format == name)
    # ∂C/∂a_k = 10^(L-k) overflows once L - k exceeds log10 of the format's largest number.
    largest_power = int(numpy.floor(numpy.log10(numpy.finfo(name).max)))
    assert breakdown.layer == depth - largest_power - 1 and breakdown.what == "inf"


def run(*args):
    """``symgrad eval *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli("eval", *args)


def test_cli_json_numbers_are_decimal_strings():
    result = run("--depth", "1000", "--act", "relu", "--w", "10", "--z", "1", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert mpmath.mpf(data["input_gradient"]) == mpmath.mpf(10) ** 1000
    assert data["log10_abs_input_gradient"] == "1000.0"
    assert len(data["layers"]) == 1000 and data["layers"][0]["grad_w"] is None


def test_cli_reads_numbers_exactly():
    # 0.1 read through a float would be 0.1000000000000000055511151231257827...
    result = run("--depth", "1", "--act", "linear", "--w", "0.1", "--x", "1", "--y", "0",
                 "--dps", "40", "--format", "json")
    data = json.loads(result.stdout)
    assert data["layers"][0]["a"] == "0.1"


@pytest.mark.parametrize("args, message", [
    (["--depth", "3", "--w", "1,2", "--x", "1"], "list of exactly 3, not 2"),
    (["--depth", "3", "--x", "nan"], "'nan' is not a number"),
    (["--depth", "3", "--x", "inf"], "'inf' is not a number"),
    (["--depth", "3", "--x", "1", "--w", "1e-"], "'1e-' is not a number"),
    (["--depth", "3", "--x", "1", "--dps", "0"], "between 1 and"),
    (["--depth", "3", "--x", "1", "--dps", "100000"], "between 1 and"),
    (["--depth", "3", "--z", "1", "--x", "1"], "--x has no meaning"),
    (["--depth", "3"], "Give the input with --x"),
    (["--depth", "0", "--x", "1"], "at least 1"),
    (["--depth", "3", "--x", "1", "--tied", "--w", "1,2,3"], "shares one weight"),
    (["--depth", "2", "--act", "relu", "--x", "-1", "--cost", "cross-entropy"], "needs 0 < a_L < 1"),
])
def test_bad_input_is_one_sentence(args, message):
    result = run(*args)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_cli_text_has_table_chart_and_float_comparison():
    result = run("--depth", "400", "--act", "relu", "--w", "10", "--z", "1")
    assert result.returncode == 0, result.stderr
    assert "log10|δ_l| against l" in result.stdout and "•" in result.stdout
    largest_power = int(numpy.floor(numpy.log10(numpy.finfo("float32").max)))
    assert f"float32: δ is inf from layer {400 - largest_power - 1} down" in result.stdout
    assert re.search(r"^\s*400 │", result.stdout, re.MULTILINE)  # the output layer is shown


def test_numbers_beyond_mpfr_exponent_range_are_still_exact():
    # sigmoid'(10^9) = e^(-10^9)/(1 + e^(-10^9))^2 ≈ 10^(-434,294,482): beyond MPFR's
    # exponents (|log2| < 2^30); Arb's are unbounded, and the value is handed out in
    # mpmath rather than as 0.
    chain = symgrad.ScalarChain(1, symgrad.get_activation("sigmoid"))
    result = evaluate_chain(chain, ChainPoint((R(1),), z=(R(10**9),)), 30)
    assert isinstance(result.input_gradient, mpmath.mpf)
    z = mpmath.mpf(10**9)
    expected = mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2
    assert agree(result.input_gradient, expected, 30)


def test_a_huge_product_beyond_mpfr_range_is_exact():
    depth = 5000
    result = gain_mode("relu", depth, R(10) ** 100_000, 1, dps=20)  # 10^(5·10^8)
    assert agree(result.input_gradient, mpmath.mpf(10) ** (100_000 * depth), 20)


def test_kept_layers_only():
    chain = symgrad.ScalarChain(1000, symgrad.get_activation("tanh"))
    point = ChainPoint((R(3, 2),) * 1000, (R(0),) * 1000, x=R(1, 3), y=R(0))
    some = evaluate_chain(chain, point, 30, keep={1, 500, 1000})
    every = evaluate_chain(chain, point, 30)
    assert some.kept == (1, 500, 1000)
    for n in some.kept:
        assert some.layer(n) == every.layer(n)
    with pytest.raises(symgrad.SymgradError, match="not kept"):
        some.layer(2)


def test_python_api_reads_numbers_exactly_and_checks_lengths():
    result = symgrad.evaluate(100, "relu", w=10, z=1)
    assert agree(result.input_gradient, mpmath.mpf(10) ** 100, 50)
    linear = symgrad.evaluate(1, "linear", w=0.1, x="1", dps=40)  # a float by its repr: 1/10
    assert agree(linear.layer(1).a, mpmath.mpf(1) / 10, 40)
    with pytest.raises(symgrad.SymgradError, match="list of exactly 3, not 2"):
        symgrad.evaluate(3, w=[1, 2], x=1)
    with pytest.raises(symgrad.SymgradError, match="x has no meaning"):
        symgrad.evaluate(3, z=1, x=1)


@pytest.mark.parametrize("fmt, marker", [("latex", "\\begin{tabular}"), ("markdown", "| $l$ |")])
def test_cli_documents_have_the_table(fmt, marker):
    result = run("--depth", "50", "--act", "tanh", "--w", "3/2", "--x", "1/2", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout and "$20$ of the $50$ layers" in result.stdout


# --- cases a review found (each was a silently wrong number) ---------------------------

def test_a_preactivation_exactly_at_relu_kink_takes_the_exact_branch():
    # z_1 = 0.1·0.7 - 0.07 = 0 exactly: σ'(z_1) = 0, so nothing reaches the input
    result = symgrad.evaluate(2, "relu", w=["0.7", "1e40"], b=["-0.07", "0"], x="0.1", dps=20)
    assert result.arithmetic.name == "rational"
    assert result.layer(1).z == 0 and result.input_gradient == 0


def test_cancellation_costs_digits_that_the_pass_wins_back():
    # cross-entropy at a_1 = σ(60): (a - y)/(a(1 - a)) cancels 26 digits against σ'
    result = symgrad.evaluate(1, "sigmoid", x=60, y=0, cost="cross-entropy", dps=50)
    with mpmath.workdps(300):
        expected = mpmath_diff_gradient("sigmoid", "cross-entropy",
                                        ([mpmath.mpf(1)], [mpmath.mpf(0)], mpmath.mpf(60),
                                         mpmath.mpf(0)), ("x", 0), dps=300)
    assert agree(result.input_gradient, expected, 50)


def test_a_huge_preactivation_keeps_its_digits():
    result = symgrad.evaluate(1, "sigmoid", w="1e300", x=1, dps=10)
    with mpmath.workdps(400):
        z = mpmath.mpf(10) ** 300
        expected = mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2
        assert agree(result.layer(1).act_prime, expected, 10)


def test_an_exact_zero_delta_is_no_float_failure():
    result = symgrad.evaluate(3, "relu", x="-0.5")  # every unit dead: δ = 0 exactly
    assert all(b.layer is None for b in result.floats)


def test_interval_json_has_enclosures_everywhere():
    result = run("--depth", "2", "--x", "-0.5", "--act", "relu", "--interval", "--format", "json")
    data = json.loads(result.stdout)
    for layer in data["layers"]:
        for key in ("z", "a", "act_prime", "gain", "delta", "grad_w"):
            assert set(layer[key]) == {"lo", "hi"}, (key, layer[key])


@pytest.mark.parametrize("w,b,x", [("7", "-2.1", "0.3"), ("3", "-2.1", "0.7"), ("1e70", "-1e70", "1")])
def test_first_preactivation_is_formed_exactly(w, b, x):
    """w x + b is exactly 0 here (exact rationals say so), though w, x, b rounded first would
    leave ~10^-30 of noise: tanh's chain then has z_1 = 0 and σ'(z_1) = 1 exactly."""
    assert sympy.Rational(w) * sympy.Rational(x) + sympy.Rational(b) == 0
    result = symgrad.evaluate(2, "tanh", w=w, b=b, x=x, y="1/3", dps=30)
    assert result.layer(1).z == 0 and result.layer(1).act_prime == 1
