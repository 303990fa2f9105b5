"""Digits that can be trusted (``numeric.precision``): values that two runs both round
to 0, NaN from a cost at a rounded-off output, singular values at or below the floor,
and a computation that can never settle. Every expected value comes from an independent
oracle: a forward pass in plain mpmath at hundreds of digits, mpmath.diff of it, or
mpmath's SVD of a Jacobian multiplied out at high precision."""

import json

import mpmath
import pytest
import sympy

import symgrad
from symgrad.errors import SymgradError
from symgrad.networks import MatrixNet
from symgrad.numeric.kinds import _mpmath_exp
from symgrad.numeric.matrix_net import evaluate_net
from symgrad.numeric.net_parameters import NetParameters, draw_parameters
from symgrad.numeric.precision import agreement
from symgrad.render.chart import NOTHING_TO_CHART
from tests.clirun import symgrad as symgrad_cli
from tests.numbers import agree, as_mpf
from tests.oracle import MPMATH_ACTIVATIONS
from tests.oracle_matrix import mp_net_forward, mpmath_diff_net

R = sympy.Rational
ORACLE_DPS = 400


def run(*args):
    """``symgrad *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli(*args)


def net_point(weights, biases, x, y):
    """A net's point in plain mpmath at the oracle's digits (the weights as given)."""
    with mpmath.workdps(ORACLE_DPS):
        convert = mpmath.mpf
        return ([None] + [[[convert(v) for v in row] for row in w] for w in weights],
                [None] + [[convert(v) for v in b] for b in biases],
                [convert(v) for v in x], [convert(v) for v in y])


# tanh(100) = 1 - 2.8e-87: at fewer than ~87 working digits it is 1, and
# z_2 = 1·tanh(100) - 1 is exactly 0 in every run. The true values are tiny, not 0.
HIDDEN_ZERO = ([[["1"]], [["1"]]], [["0"], ["-1"]], ["100"], ["0"])


def test_a_value_every_run_rounds_to_0_is_not_taken_as_0_in_a_chain():
    weights, biases, x, y = HIDDEN_ZERO
    result = symgrad.evaluate(2, "tanh", w=1, b="0,-1", x=100, y=0, dps=20)
    point = net_point(weights, biases, x, y)
    with mpmath.workdps(ORACLE_DPS):
        zs, outputs = mp_net_forward("tanh", *point[:2], point[2])
        cost = (outputs[-1][0] - point[3][0]) ** 2 / 2
        gradient = mpmath_diff_net("tanh", "quadratic", point, ("x", 1), dps=ORACLE_DPS)
    assert zs[2][0] != 0 and cost != 0 and gradient != 0  # the oracle: nothing here is 0
    assert agree(result.layer(2).z, zs[2][0], 20)
    assert agree(result.cost, cost, 20)
    assert agree(result.input_gradient, gradient, 20)


def test_a_value_every_run_rounds_to_0_is_not_taken_as_0_in_a_net():
    weights, biases, x, y = HIDDEN_ZERO
    parameters = NetParameters(tuple(tuple(tuple(R(v) for v in row) for row in w) for w in weights),
                               tuple(tuple(R(v) for v in b) for b in biases), "test")
    net = MatrixNet((1, 1, 1), symgrad.get_activation("tanh"))
    result = evaluate_net(net, parameters, (R(100),), (R(0),), 20)
    point = net_point(weights, biases, x, y)
    with mpmath.workdps(ORACLE_DPS):
        zs, outputs = mp_net_forward("tanh", *point[:2], point[2])
        cost = (outputs[-1][0] - point[3][0]) ** 2 / 2
        gradient = mpmath_diff_net("tanh", "quadratic", point, ("x", 1), dps=ORACLE_DPS)
    assert agree(result.layers[1].z[0], zs[2][0], 20)
    assert agree(result.cost, cost, 20)
    assert agree(result.input_gradient[0], gradient, 20)


def test_a_single_saturated_layer_keeps_its_cost():
    """C = (tanh(100) - 1)²/2 = 3.8e-174: 0 if tanh(100) is rounded to 1."""
    result = symgrad.evaluate(1, "tanh", w=1, x=100, y=1, dps=20)
    with mpmath.workdps(ORACLE_DPS):
        cost = (mpmath.tanh(100) - 1) ** 2 / 2
    assert agree(result.cost, cost, 20)


def test_a_zero_that_is_exact_is_proved_and_kept():
    """z_2 = 2σ(0) - 1 is exactly 0 (σ(0) = 1/2): an enclosure proves it, so it is
    reported as 0 and not chased through ever more digits."""
    result = symgrad.evaluate(2, "sigmoid", w="1,2", b="0,-1", x=0, y=0, dps=30)
    assert result.layer(2).z == 0
    with mpmath.workdps(ORACLE_DPS):
        expected = MPMATH_ACTIVATIONS["sigmoid"](mpmath.mpf(0)) / 2  # a_2 = σ(0)
    assert agree(result.layer(2).a, expected * 2, 30)


@pytest.mark.parametrize("widths", [None, "1,1"])
def test_cross_entropy_at_a_rounded_off_output_is_not_nan(tmp_path, widths):
    """σ(100) rounds to 1 at 31 working digits: the cross-entropy is then NaN (0·log 0),
    which must not count as two runs agreeing (it did: abs(nan - x) > t is False)."""
    with mpmath.workdps(ORACLE_DPS):
        a = 1 / (1 + mpmath.exp(-100))
        cost = -mpmath.log(a)
    if widths is None:
        result = run("eval", "--depth", "1", "--act", "sigmoid", "--cost", "cross-entropy",
                     "--x", "100", "--y", "1", "--dps", "20", "--format", "json")
    else:
        path = tmp_path / "net.json"
        path.write_text(json.dumps({"weights": [[[1]]], "biases": [[0]]}))
        result = run("eval", "--widths", widths, "--act", "sigmoid", "--cost", "cross-entropy",
                     "--weights", str(path), "--x", "100", "--y", "1", "--dps", "20",
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)["cost_value"]
    with mpmath.workdps(ORACLE_DPS):
        assert agree(mpmath.mpf(got), cost, 19), (got, cost)


def test_nan_and_inf_never_agree():
    nan, inf = mpmath.mpf("nan"), mpmath.mpf("inf")
    assert agreement([nan], [nan]) == float("-inf")
    assert agreement([inf], [inf]) == float("-inf")
    assert agreement([mpmath.mpf(0)], [mpmath.mpf(0)]) == float("inf")
    assert 9 < agreement([mpmath.mpf("1.0000000001")], [mpmath.mpf(1)]) < 11


def oracle_singular_values(act, weights, biases, x, dps):
    """σ_i(D_L W^L ⋯ D_1 W^1) with everything in plain mpmath at ``dps`` digits."""
    with mpmath.workdps(dps):
        point = net_point(weights, biases, x, [0])
        zs, _ = mp_net_forward(act, *point[:2], point[2])
        jacobian = mpmath.eye(len(x))
        for layer in range(1, len(point[0])):
            slopes = [mpmath.diff(MPMATH_ACTIVATIONS[act], z) for z in zs[layer]]
            jacobian = mpmath.diag(slopes) * mpmath.matrix(point[0][layer]) * jacobian
        return sorted(mpmath.svd_r(jacobian, compute_uv=False), reverse=True)


def test_a_tiny_singular_value_of_an_exact_jacobian_is_resolved():
    """W = [[1, 1], [1, 1 + 10^-80]] (linear, exact): σ_2 = 5·10^-81, not 0."""
    weights = [[["1", "1"], ["1", "1." + "0" * 79 + "1"]]]
    path_weights = NetParameters(((tuple(R(v) for v in weights[0][0]),
                                   tuple(R(v) for v in weights[0][1])),), ((R(0), R(0)),), "test")
    net = MatrixNet((2, 2), symgrad.get_activation("linear"))
    result = evaluate_net(net, path_weights, (R(1), R(1)), (R(0), R(0)), 20)
    expected = oracle_singular_values("linear", weights, [["0", "0"]], ["1", "1"], 200)
    assert all(result.spectrum.resolved)
    with mpmath.workdps(200):
        for got, value in zip(result.spectrum.values, expected):
            assert agree(got, value, 20), (got, value)


def test_an_exactly_singular_jacobian_has_a_proved_zero():
    parameters = NetParameters((((R(1), R(1)), (R(1), R(1))),), ((R(0), R(0)),), "test")
    net = MatrixNet((2, 2), symgrad.get_activation("linear"))
    result = evaluate_net(net, parameters, (R(1), R(1)), (R(0), R(0)), 20)
    assert sympy.Matrix([[1, 1], [1, 1]]).det() == 0  # the oracle
    assert result.spectrum.values[1] == 0 and result.spectrum.resolved[1]


def test_a_bottleneck_proves_zeros():
    """Widths 3, 1, 3: the Jacobian's rank is at most 1, so σ_2 = σ_3 = 0 exactly."""
    net = MatrixNet((3, 1, 3), symgrad.get_activation("tanh"))
    result = evaluate_net(net, draw_parameters(net, "normal", 3, 1, 30), (R(1),) * 3,
                          (R(0),) * 3, 30)
    assert result.spectrum.values[1:] == (0, 0) and all(result.spectrum.resolved)
    assert mpmath.isinf(result.spectrum.condition_number)


def test_a_singular_value_below_the_floor_is_not_reported_as_0():
    """tanh, width 2, depth 10, weights ×100: σ_2 is about 10^-1058, far below what the
    working digits resolve. It must be shown as at most the floor (and be so), not 0."""
    widths = (2,) * 11
    net = MatrixNet(widths, symgrad.get_activation("tanh"))
    parameters = draw_parameters(net, "normal", 9, 100, 30)
    result = evaluate_net(net, parameters, (R(1), R(1)), (R(0), R(0)), 30)
    with mpmath.workdps(1500):  # (as_mpf keeps an MPFR weight's every bit only at enough digits)
        weights = [[[as_mpf(v) for v in row] for row in w] for w in parameters.weights]  # exact
        biases = [[as_mpf(v) for v in b] for b in parameters.biases]
    expected = oracle_singular_values("tanh", weights, biases, ["1", "1"], 1500)
    spectrum = result.spectrum
    assert spectrum.resolved[0]
    with mpmath.workdps(1500):
        assert agree(spectrum.values[0], expected[0], 30)
        if spectrum.resolved[1]:
            assert agree(spectrum.values[1], expected[1], 30)
        else:
            assert 0 < expected[1] <= spectrum.floor


def test_a_computation_that_cannot_settle_gives_up_with_a_reason(tmp_path):
    """A weight of 10^25000 makes z^2 ≈ 10^25000: σ'(z^2) = e^-z needs about 25,000 more
    working digits than asked, beyond the limit."""
    path = tmp_path / "net.json"
    path.write_text('{"weights": [[[1]], [[1e25000]]], "biases": [[0], [0]]}')
    result = run("eval", "--widths", "1,1,1", "--act", "sigmoid", "--x", "1",
                 "--weights", str(path), "--dps", "20")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "did not settle to 20 digits" in result.stderr


def test_mpmath_exp_of_a_huge_whole_number():
    """The route around mpmath's slow exp of a whole number agrees with mpmath.exp."""
    with mpmath.workdps(700):
        value = -mpmath.mpf(10) ** 40 * 3
        got = _mpmath_exp(value)
    with mpmath.workdps(800):
        expected = mpmath.exp(-mpmath.mpf(10) ** 40 * 3)
    assert agree(got, expected, 690)


def test_an_enclosure_reaching_0_is_charted_not_called_exactly_0():
    result = run("eval", "--depth", "8", "--act", "tanh", "--w", "1", "--b", "0,-1,0,0,0,0,0,0",
                 "--x", "100", "--dps", "5", "--interval")
    assert result.returncode == 0, result.stderr
    assert NOTHING_TO_CHART not in result.stdout
    assert "upper end if it reaches 0" in result.stdout


def test_giving_up_raises_the_library_error():
    net = MatrixNet((1, 1, 1), symgrad.get_activation("sigmoid"))
    parameters = NetParameters((((R(1),),), ((R(10) ** 25000,),)), ((R(0),), (R(0),)), "test")
    with pytest.raises(SymgradError, match="did not settle"):
        evaluate_net(net, parameters, (R(1),), (R(0),), 20)


@pytest.mark.parametrize("shape", [("--depth", "2"), ("--widths", "1,1")])
def test_an_output_certainly_outside_the_cost_domain_is_refused_at_once(tmp_path, shape):
    """relu(-1) = 0 exactly: no precision brings the cross-entropy back, so the refusal
    comes from the first run (an enclosure [0, 0] proves it), not after climbing."""
    path = tmp_path / "net.json"
    path.write_text('{"weights": [[[1]]], "biases": [[0]]}')
    weights = ("--weights", str(path)) if shape[0] == "--widths" else ()
    result = run("eval", *shape, *weights, "--act", "relu", "--x", "-1", "--cost",
                 "cross-entropy", "--dps", "20")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "needs 0 < a_L < 1" in result.stderr


# -- two runs that agree and are both wrong: every value is checked against its enclosure --
# 1 + 10^-45 rounds to 1 at 31 and at 41 working digits alike; a later cancellation shows
# the loss. The values below are exact rationals (elu is the identity on positive inputs),
# so Fractions are the oracle.

def _fraction(text):
    from fractions import Fraction
    return Fraction(text)


def test_a_net_whose_runs_agree_on_a_lost_addend_is_not_taken_on_their_word(tmp_path):
    """W¹ = (1, 10⁻⁴⁵, 1, 10⁻⁵⁰)ᵀ, W² = (1, 1, -1, 1), W³ = (10⁴⁵), elu: z² = 10⁻⁴⁵ + 10⁻⁵⁰
    (1 + 10⁻⁴⁵ - 1 + 10⁻⁵⁰), z³ = 1.00001, C = z³²/2. A kink straddle sends it to the MPFR
    runs compared, which printed z² = 10⁻⁵⁰ and C = 5·10⁻¹¹ before."""
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"weights": [[["1"], ["1e-45"], ["1"], ["1e-50"]],
                                            [["1", "1", "-1", "1"]], [["1e45"]]],
                                "biases": [["0", "0", "0", "0"], ["0"], ["0"]]}))
    result = run("eval", "--widths", "1,4,1,1", "--act", "elu", "--weights", str(path),
                 "--x", "1", "--y", "0", "--dps", "20", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    z2 = _fraction("1e-45") + _fraction("1e-50")
    z3 = _fraction("1e45") * z2
    assert _fraction(data["layers"][1]["z"][0]) == z2
    cost = z3 * z3 / 2
    with mpmath.workdps(40):
        for shown, exact in ((data["layers"][2]["z"][0], z3), (data["cost_value"], cost)):
            assert agree(mpmath.mpf(shown), mpmath.mpf(exact.numerator) / exact.denominator, 20)



def test_the_condition_number_has_the_digits_of_the_singular_values():
    """κ = σ_max/σ_min is worked out at the working digits (it was a float64 quotient, its
    figures past the 16th noise, at --dps 20): against the quotient of the shown values."""
    result = run("eval", "--widths", "2,3,2", "--init", "normal", "--seed", "1", "--x", "0.5,-0.25",
                 "--y", "1,0", "--dps", "30", "--format", "json")
    data = json.loads(result.stdout)
    values = data["jacobian"]["singular_values"]
    with mpmath.workdps(60):
        quotient = mpmath.mpf(values[0]) / mpmath.mpf(values[-1])
        assert agree(mpmath.mpf(data["jacobian"]["condition_number"]), quotient, 28)


def test_a_chain_whose_runs_agree_on_a_lost_addend_is_not_taken_on_their_word():
    """elu, w = (2^-270, 1), b = (1, 2^-150 - 1), x = 1: z_1 = 1 + 2^-270 rounds to 1 at 51
    and at 61 working digits alike, so two runs agreed on z_2 = 2^-150 where it is
    2^-150 + 2^-270 (wrong from the 37th digit, at --dps 40). The chain is linear where
    it runs (z > 0), so exact Fractions are the oracle of every value."""
    from fractions import Fraction

    w1, b2 = Fraction(1, 2**270), Fraction(1, 2**150) - 1
    result = run("eval", "--depth", "2", "--act", "elu", "--w", f"{w1},1",
                 "--b", f"1,{b2}", "--x", "1", "--y", "0", "--dps", "40", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    z1 = w1 + 1
    z2 = z1 + b2  # a_1 = z_1: elu is the identity above 0
    exact = {"z_2": (data["layers"][1]["z"], z2), "δ_2": (data["layers"][1]["delta"], z2),
             "δ_1": (data["layers"][0]["delta"], z2), "C": (data["cost_value"], z2 * z2 / 2),
             "∂C/∂a_0": (data["input_gradient"], w1 * z2)}
    with mpmath.workdps(80):
        for name, (shown, value) in exact.items():
            expected = mpmath.mpf(value.numerator) / value.denominator
            assert agree(mpmath.mpf(shown), expected, 40), name
    assert data["certified"] is True
