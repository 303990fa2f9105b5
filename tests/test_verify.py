"""symgrad verify: the textbook formulas are accepted, planted slips are rejected with the
right factor, and the w1-slip is recognised as the input gradient. The expected values
are the published closed form (δ_l = ∂C/∂a_L · w_{l+1}…w_L · σ'(z_l)…σ'(z_L)) and, for
the numbers, sympy.diff of the composed network."""

import json

import mpmath
import pytest
import sympy

import symgrad
from symgrad.networks import ScalarChain
from symgrad.verify import verify
from tests.clirun import symgrad as symgrad_cli
from tests.oracle import quadratic, sympy_diff_gradient


def product(name, first, last):
    return "*".join(f"{name}{n}" if name == "w" else f"dsigma(z{n})" for n in range(first, last + 1))


def textbook_delta(layer, depth):
    """δ_l as published: ∂C/∂a_L (w_{l+1}…w_L)(σ'(z_l)…σ'(z_L))."""
    weights = product("w", layer + 1, depth)
    return "*".join(p for p in ("dC_daL", weights, product("d", layer, depth)) if p)


def run(*args):
    """``symgrad verify *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli("verify", *args)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "x/(1+abs(x))"])
@pytest.mark.parametrize("depth", [1, 3, 5])
def test_textbook_formulas_are_accepted(act, depth):
    chain = ScalarChain(depth, symgrad.get_activation(act))
    for layer in range(1, depth + 1):
        delta = textbook_delta(layer, depth)
        assert verify(chain, f"delta{layer}", delta).correct
        assert verify(chain, f"grad_b{layer}", delta).correct
        assert verify(chain, f"grad_w{layer}", f"a{layer - 1}*{delta}").correct
    everything = "*".join(("dC_daL", product("w", 1, depth), product("d", 1, depth)))
    assert verify(chain, "input_gradient", everything).correct


def test_concrete_forms_are_accepted():
    """σ'(z) = σ(z)(1 - σ(z)) = a(1 - a) for the sigmoid, ∂C/∂a_L = a_L - y (quadratic)."""
    chain = ScalarChain(2, symgrad.get_activation("sigmoid"))
    assert verify(chain, "delta2", "(a2 - y)*a2*(1 - a2)").correct
    assert verify(chain, "delta1", "(a2-y)*w2*sigma(z2)*(1-sigma(z2))*a1*(1-a1)").correct


def test_the_w1_slip_is_the_input_gradient():
    claim = "w1*w2*w3*w4*dsigma(z1)*dsigma(z2)*dsigma(z3)*dsigma(z4)*dC_daL"
    verdict = verify(ScalarChain(4, symgrad.get_activation("sigmoid")), "grad_b1", claim)
    assert not verdict.correct
    assert verdict.ratio == sympy.Symbol("w1", real=True)
    assert verdict.equals == ("input_gradient",)
    example = verdict.counterexample
    with mpmath.workdps(40):
        assert abs(example.ratio - example.point["w1"]) < mpmath.mpf(10) ** -28


@pytest.mark.parametrize("target, claim, ratio", [
    ("delta2", "dC_daL*w3*w4*dsigma(z3)*dsigma(z4)", "1/dsigma(z2)"),  # σ'(z_l) missing
    ("delta2", "dC_daL*w2*w3*w4*dsigma(z2)*dsigma(z3)*dsigma(z4)", "w2"),  # off by one
    ("delta1", "dC_daL*w2*w3*dsigma(z1)*dsigma(z2)*dsigma(z3)*dsigma(z4)", "1/w4"),  # short
    ("delta4", "-(a4 - y)*dsigma(z4)", "-1"),  # the cost's derivative with the wrong sign
    ("grad_w3", "a3*dC_daL*w4*dsigma(z3)*dsigma(z4)", "a3/a2"),  # a_l for a_{l-1}
])
def test_planted_slips_are_rejected_with_the_right_factor(target, claim, ratio):
    names = {n: sympy.Symbol(n, real=True) for n in ("w2", "w4", "a2", "a3", "z2")}
    expected = sympy.sympify(ratio, locals={**names, "dsigma": symgrad.notation.dsigma})
    verdict = verify(ScalarChain(4, symgrad.get_activation("tanh")), target, claim)
    assert not verdict.correct and verdict.counterexample is not None
    assert sympy.simplify(verdict.ratio - expected) == 0, verdict.ratio


def test_the_true_values_match_sympy_diff_of_the_composed_network():
    """The counterexample's 'true' value is ∂C/∂b_1 by sympy.diff of the whole network."""
    chain = ScalarChain(3, symgrad.get_activation("tanh"))
    verdict = verify(chain, "grad_b1", "dC_daL*w1*w2*w3*dsigma(z1)*dsigma(z2)*dsigma(z3)")
    point = verdict.counterexample.point
    weights = [point[f"w{n}"] for n in (1, 2, 3)]
    biases = [point[f"b{n}"] for n in (1, 2, 3)]
    expected = sympy_diff_gradient(chain.activation, quadratic,
                                   (weights, biases, point["x"], point["y"]), ("b", 1))
    with mpmath.workdps(40):
        assert abs(expected - verdict.counterexample.true) < \
            mpmath.mpf(10) ** -28 * abs(expected)


def test_cli_exit_codes_and_json():
    correct = run("--depth", "3", "--act", "sigmoid", "--target", "delta3",
                  "--claim", "dC_daL*dsigma(z3)")
    assert correct.returncode == 0, correct.stderr
    wrong = run("--depth", "4", "--act", "sigmoid", "--target", "grad_b1", "--claim",
                "w1*w2*w3*w4*dsigma(z1)*dsigma(z2)*dsigma(z3)*dsigma(z4)*dC_daL",
                "--format", "json")
    assert wrong.returncode == 1, wrong.stderr
    data = json.loads(wrong.stdout)
    assert data["correct"] is False and data["ratio"] == "w1"
    assert data["equals"] == ["input_gradient"]
    assert float(data["counterexample"]["ratio"]) == pytest.approx(
        float(data["counterexample"]["point"]["w1"]), rel=1e-12)
    text = run("--depth", "4", "--act", "sigmoid", "--target", "grad_b1", "--claim",
               "w1*w2*w3*w4*dsigma(z1)*dsigma(z2)*dsigma(z3)*dsigma(z4)*dC_daL")
    assert text.returncode == 1 and "w1" in text.stdout and "∂C/∂a_0" in text.stdout


@pytest.mark.parametrize("args, message", [
    (["--depth", "3", "--target", "delta9", "--claim", "w1"], "Unknown target 'delta9'"),
    (["--depth", "3", "--target", "delta1", "--claim", "w1*q"], "unknown name 'q'"),
    (["--depth", "3", "--target", "delta1", "--claim", "__import__('os')"], "column 1"),
    (["--depth", "3", "--target", "delta1"], "--claim"),
])
def test_cli_bad_input(args, message):
    result = run(*args)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_matrix_net_entries():
    """widths 2,3,2: ∂C/∂w^2_{13} = a^1_3 δ^2_1; writing a^1_2 instead is ∂C/∂w^2_{12}."""
    right = symgrad.verify("a_1_3*(a_2_1 - y_1)*dsigma(z_2_1)", "grad_w2_1_3", widths=(2, 3, 2),
                           act="tanh")
    assert right.correct
    wrong = symgrad.verify("a_1_2*(a_2_1 - y_1)*dsigma(z_2_1)", "grad_w2_1_3", widths=(2, 3, 2),
                           act="tanh")
    a12, a13 = (sympy.Symbol(n, real=True) for n in ("a_1_2", "a_1_3"))
    assert not wrong.correct and wrong.ratio == a12 / a13
    assert wrong.equals == ("grad_w2_1_2",)
    missing_path = symgrad.verify("w_2_1_1*(a_2_1 - y_1)*dsigma(z_2_1)*dsigma(z_1_1)", "delta1_1",
                                  widths=(2, 3, 2), act="sigmoid")
    assert not missing_path.correct and missing_path.difference is not None
    full = ("(w_2_1_1*(a_2_1 - y_1)*dsigma(z_2_1) + w_2_2_1*(a_2_2 - y_2)*dsigma(z_2_2))"
            "*dsigma(z_1_1)")
    assert symgrad.verify(full, "delta1_1", widths=(2, 3, 2), act="sigmoid").correct
    inputs = "w_1_1_2*" + full.replace("z_1_1", "z_1_1") + " + w_1_2_2*(w_2_1_2*(a_2_1 - y_1)*" \
        "dsigma(z_2_1) + w_2_2_2*(a_2_2 - y_2)*dsigma(z_2_2))*dsigma(z_1_2) + w_1_3_2*(w_2_1_3*" \
        "(a_2_1 - y_1)*dsigma(z_2_1) + w_2_2_3*(a_2_2 - y_2)*dsigma(z_2_2))*dsigma(z_1_3)"
    assert symgrad.verify(inputs, "input_gradient_2", widths=(2, 3, 2), act="sigmoid").correct


def test_net_counterexample_against_mpmath_diff():
    """The 'true' value of a net's counterexample is ∂C/∂w by mpmath.diff of a separate
    forward pass."""
    from tests.oracle_matrix import mpmath_diff_net

    verdict = symgrad.verify("a_0_1*(a_1_1 - y_1)", "grad_w1_1_2", widths=(2, 1), act="tanh")
    point = verdict.counterexample.point
    weights = [None, [[point["w_1_1_1"], point["w_1_1_2"]]]]
    biases = [None, [point["b_1_1"]]]
    inputs, targets = [point["a_0_1"], point["a_0_2"]], [point["y_1"]]
    expected = mpmath_diff_net("tanh", "quadratic", (weights, biases, inputs, targets),
                               ("w", 1, 1, 2), dps=40)
    with mpmath.workdps(40):
        assert abs(expected - verdict.counterexample.true) < mpmath.mpf(10) ** -28 * abs(expected)


@pytest.mark.parametrize("claim", ["0", "2*w1*w2*w3*w4*w5*dsigma(z1)*dsigma(z2)*dsigma(z3)*dsigma(z4)"
                                   "*dsigma(z5)*dC_daL"])
def test_a_deep_relu_chain_is_checked_where_its_units_are_active(claim):
    """Drawn anywhere, a depth-5 relu chain has a dead unit at nearly every point and its
    gradient is 0 there: the check must also use points where every unit is active."""
    verdict = symgrad.verify(claim, "input_gradient", depth=5, act="relu")
    assert not verdict.correct


def test_a_constant_too_small_for_the_digits_is_still_caught():
    verdict = symgrad.verify("dsigma(z1)*dC_daL + 10**-40", "grad_b1", depth=1)
    assert not verdict.correct and verdict.difference == sympy.Rational(1, 10**40)


def test_the_ratio_is_typeset_not_printed_as_code():
    """δ_1 of a depth-2 chain is ∂C/∂a_2 · w_2 σ'(z_1) σ'(z_2) (by hand), so the claim
    ∂C/∂a_2 · w_2 σ'(w_2) is that times σ'(w_2)/(σ'(z_1) σ'(z_2)): the verdict writes it as
    the formulas are written in each format, not as SymPy input (dsigma(w2), *)."""
    claim = "w2*dsigma(w2)*dC_daL"
    text = symgrad_cli("verify", "--depth", "2", "--target", "delta1", "--claim", claim)
    assert text.returncode == 1, text.stderr
    (line,) = [row for row in text.stdout.splitlines() if "claim/true" in row]
    assert line.strip() == "claim/true = σ'(w2)/(σ'(z1)·σ'(z2))"
    assert "dsigma" not in text.stdout and "*" not in text.stdout
    latex = symgrad_cli("verify", "--depth", "2", "--target", "delta1", "--claim", claim, "--format", "latex")
    assert (r"\frac{\text{claim}}{\text{true}} &= \frac{\sigma'\left(w_{2}\right)}"
            r"{\sigma'\left(z_{1}\right) \sigma'\left(z_{2}\right)}") in latex.stdout
