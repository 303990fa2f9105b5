"""symgrad verify at the edges (issue 14): a claim off by a tiny relative amount never
passes, a wrong-shaped claim never crashes into the exit code of a verdict, a hostile
claim finishes in bounded time and memory, and correct claims written independently
(the README's closed form, sympy.diff of the composed network in tests/oracle.py) still
pass. Everything runs through the CLI in a subprocess with a timeout and an
address-space limit."""

import json
import resource
import subprocess
import sys
import time
from fractions import Fraction

import mpmath
import pytest
import sympy

import symgrad
import symgrad.api
from tests.oracle import composed_cost, cross_entropy, quadratic
from tests.process import symgrad_process

MEMORY = 1 << 30  # 1 GiB of address space
SECONDS = 30  # every verify must finish or refuse within this


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(*args):
    """The CLI in a process of its own: (completed process, seconds)."""
    start = time.monotonic()
    result = symgrad_process("verify", *args, timeout=3 * SECONDS, memory=MEMORY)
    return result, time.monotonic() - start


def check_clean(result, seconds):
    """No traceback, within time; a refusal is one line starting 'symgrad: '."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert "internal error" not in result.stderr.lower(), result.stderr  # a crash, caught late
    assert seconds < SECONDS, f"took {seconds:.1f} s"
    assert result.returncode in (0, 1, 2), (result.returncode, result.stderr)
    if result.returncode == 2:
        assert result.stdout == ""
        assert result.stderr.startswith("symgrad: ") and result.stderr.count("\n") == 1, \
            result.stderr


def exit_code(result, seconds) -> int:
    """The exit code of a clean run (no traceback, within time; a refusal one sentence)."""
    check_clean(result, seconds)
    return result.returncode


NEVER_PASSES = (1, 2)  # incorrect, or refused with one sentence: never exit 0


def textbook(layer, depth):
    """δ_l as published: ∂C/∂a_L (w_{l+1}…w_L)(σ'(z_l)…σ'(z_L)), written here."""
    weights = [f"w{n}" for n in range(layer + 1, depth + 1)]
    slopes = [f"dsigma(z{n})" for n in range(layer, depth + 1)]
    return "*".join(["dC_daL", *weights, *slopes])


DELTA1 = textbook(1, 2)


# -- 1. never a silent wrong answer ------------------------------------------------------

@pytest.mark.parametrize("epsilon", ["1e-40", "1e-200", "1e-1000"])
@pytest.mark.parametrize("shape", ["({t})*(1+{e})", "({t})*(1+w1*{e})", "{t} + {e}*w1*x",
                                   "({t})*(1+{e}/(1+w1**2))"])
def test_a_claim_off_by_a_tiny_relative_amount_never_passes(epsilon, shape):
    claim = shape.format(t=DELTA1, e=epsilon)
    result, seconds = run("--depth", "2", "--target", "delta1", "--claim", claim)
    assert exit_code(result, seconds) in NEVER_PASSES, result.stdout[-2000:]


def test_the_issue_example_is_incorrect_and_says_how_far_it_checked():
    claim = "w2*dsigma(z1)*dsigma(z2)*dC_daL*(1+w1/10**40)"
    result, seconds = run("--depth", "2", "--target", "delta1", "--claim", claim,
                          "--format", "json")
    check_clean(result, seconds)
    assert result.returncode == 1, result.stdout
    data = json.loads(result.stdout)
    assert data["correct"] is False
    example = data["counterexample"]
    assert example is not None, "1e-40 is resolvable: a counterexample must be shown"
    # the counterexample's ratio shows the 1e-40: 1 + w1/10^40 at that point
    ratio = sympy.Rational(example["ratio"]) - 1
    w1 = sympy.Rational(example["point"]["w1"])
    assert abs(ratio * 10**40 / w1 - 1) < sympy.Rational(1, 10**6)
    assert data["working_digits"] > 40 and data["points_checked"] >= 16
    text, _ = run("--depth", "2", "--target", "delta1", "--claim", claim)
    assert text.returncode == 1 and "digits" in text.stdout and "points" in text.stdout


def test_the_json_of_a_deep_difference_reports_the_digits_reached():
    claim = f"({DELTA1})*(1+w1*1e-200)"
    result, seconds = run("--depth", "2", "--target", "delta1", "--claim", claim,
                          "--format", "json")
    check_clean(result, seconds)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["working_digits"] > 200 and data["points_checked"] >= 16


@pytest.mark.parametrize("claim", [
    f"({DELTA1})*(1+exp(-1000*z1**2))",  # tiny wherever z1 is not near 0
    f"({DELTA1})*(1+exp(-100/(w1**2)))",  # tiny only where |w1| is small... or not
    f"({DELTA1})*tanh(60+w1**2)",  # a saturated function: 1 - 10^-52 and less
    f"({DELTA1})*exp(w1*1e-300)",  # a function hardly moved by its argument
    f"({DELTA1})*max(1, w1/10**40)",  # differs only beyond a kink far away
    f"{DELTA1} + 1e-300*Heaviside(z1 - 5)",  # differs only beyond a kink
    f"({DELTA1})*(1+exp(-10**400))",  # beyond every precision: SymPy shows it
    f"({DELTA1})*(1 + pi - 355/113)",  # a cancellation inside the claim
    f"({DELTA1})*(1+1e-300*sigma(z1))",
])
def test_a_term_tiny_only_at_some_points_never_passes(claim):
    result, seconds = run("--depth", "2", "--target", "delta1", "--claim", claim)
    assert exit_code(result, seconds) in NEVER_PASSES, result.stdout[-2000:]


@pytest.mark.parametrize("act", ["relu", "leaky_relu", "linear"])
def test_piecewise_linear_chains_are_exact(act):
    """In exact rationals a difference of 10^-1000 is as visible as one of 1."""
    depth = 4
    right = textbook(1, depth)
    result, seconds = run("--depth", str(depth), "--act", act, "--target", "delta1",
                          "--claim", right, "--format", "json")
    check_clean(result, seconds)
    assert result.returncode == 0 and json.loads(result.stdout)["arithmetic"] == "rational"
    wrong, seconds = run("--depth", str(depth), "--act", act, "--target", "delta1",
                         "--claim", f"({right})*(1+w2*1e-1000)")
    assert exit_code(wrong, seconds) in NEVER_PASSES, wrong.stdout[-2000:]


# -- 2. a crash is never a verdict -------------------------------------------------------

@pytest.mark.parametrize("claim", ["dsigma(2*z1)", "dsigma(1)", "sigma(z1+1)*w2",
                                   "dsigma(a1)*dsigma(z2)*w2*dC_daL",
                                   "dsigma(w1)*dsigma(z2)*w2*dC_daL", "dsigma(dsigma(z1))"])
def test_wrong_shaped_claims_get_a_verdict_or_one_sentence(claim):
    for args in (["--depth", "2", "--target", "delta1"],
                 ["--widths", "2,2", "--target", "delta1_1"]):
        if "z_" not in claim and "--widths" in args:
            claim = claim.replace("z1", "z_1_1").replace("z2", "z_1_2").replace(
                "a1", "a_1_1").replace("w1", "w_1_1_1").replace("w2", "y_1").replace(
                "dC_daL", "(a_1_1 - y_1)")
        result, seconds = run(*args, "--claim", claim)
        assert exit_code(result, seconds) in NEVER_PASSES, result.stdout[-2000:]


def test_a_preactivation_written_out_is_still_correct():
    """z1 = w1 x + b1: σ'(w1*x + b1) is σ'(z1), so the claim is right."""
    claim = "dC_daL*w2*dsigma(w1*x+b1)*dsigma(w2*a1+b2)"
    result, seconds = run("--depth", "2", "--target", "delta1", "--claim", claim)
    check_clean(result, seconds)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unexpected_exception_inside_verify_is_never_exit_1():
    """A bug in the comparison must come out as exit 2 with one sentence, not as the
    exit code of 'incorrect'."""
    program = (
        "import importlib, sys\n"
        "v = importlib.import_module('symgrad.verify')  # (symgrad.verify is the function)\n"
        "def broken(*args, **kwargs):\n"
        "    raise AttributeError('planted')\n"
        f"v.{'{}'} = broken\n"
        "from symgrad.cli import run\n"
        "sys.argv = ['symgrad', 'verify', '--depth', '2', '--target', 'delta1', '--claim', "
        f"'{DELTA1}']\n"
        "run()\n")
    for name in ("_numbers", "_symbolic", "_points", "_forward", "_Forms"):
        result = subprocess.run([sys.executable, "-c", program.format(name)],
                                capture_output=True, text=True, timeout=3 * SECONDS,
                                preexec_fn=_limit_memory)
        assert result.returncode == 2, (name, result.returncode, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("symgrad: ") and result.stderr.count("\n") == 1


# -- 3. bounded time and memory ----------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("claim", [
    "exp((w1+w2+z1+z2)**1000)",
    "exp(10**400*w1)",
    "exp(exp(10**400*w1))",
    "exp(-exp(exp(10**400*w1)))",
    "(w1+w2+z1+z2+x+y+b1+b2)**1000",
    "(1+w1)**1000*(1+w2)**1000*(1+z1)**1000*(1+z2)**1000",
    f"({DELTA1})*(1+(w1+w2+z1+z2)**1000*1e-1000)",
    f"{DELTA1} + exp(-(w1+w2+z1+z2)**1000)",
    "(10**400*w1)**(10**400*w2)",
    "sigma(10**400*w1)*tanh(10**400*z1)*erfc(10**400*z2)",
    "log(w1)",
    "sqrt(z1)*w2",
])
def test_hostile_claims_finish_in_bounded_time_and_memory(claim):
    result, seconds = run("--depth", "2", "--target", "delta1", "--claim", claim)
    assert exit_code(result, seconds) in NEVER_PASSES, result.stdout[-2000:]


@pytest.mark.slow
def test_a_deep_chain_with_a_hostile_factor_is_bounded():
    depth = 50
    claim = f"({textbook(1, depth)})*exp((w1+w2+z1+z2)**1000*1e-1000)"
    result, seconds = run("--depth", str(depth), "--target", "delta1", "--claim", claim)
    assert exit_code(result, seconds) in NEVER_PASSES, result.stdout[-2000:]


# -- 4. correct claims still pass --------------------------------------------------------

@pytest.mark.parametrize("act, depth", [("sigmoid", 1), ("sigmoid", 2), ("tanh", 2),
                                        ("softplus", 2), ("tanh", 3)])
@pytest.mark.parametrize("parameter", ["b", "w"])
def test_sympy_diff_of_the_composed_network_is_accepted(act, depth, parameter):
    """∂C/∂b_1 and ∂C/∂w_1 by sympy.diff of the whole network, written in x, y, the
    weights and biases only: an independent formula for the same gradient."""
    cost, _, _, weights, biases = composed_cost(symgrad.get_activation(act), depth, quadratic)
    symbol = (biases if parameter == "b" else weights)[0]
    claim = str(sympy.diff(cost, symbol))
    assert len(claim) <= 2000, len(claim)
    result, seconds = run("--depth", str(depth), "--act", act, "--target",
                          f"grad_{parameter}1", "--claim", claim, "--format", "json")
    check_clean(result, seconds)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    assert data["points_checked"] >= 16 and (data["digits"] is None or data["digits"] >= 30)


def test_cross_entropy_sympy_diff_is_accepted():
    cost, _, _, _, biases = composed_cost(symgrad.get_activation("sigmoid"), 2, cross_entropy)
    claim = str(sympy.diff(cost, biases[1]))
    result, seconds = run("--depth", "2", "--cost", "cross-entropy", "--target", "grad_b2",
                          "--claim", claim)
    check_clean(result, seconds)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "gelu", "x/(1+abs(x))"])
def test_the_readme_closed_form_is_accepted_at_depth_6(act):
    for layer in (1, 4, 6):
        result, seconds = run("--depth", "6", "--act", act, "--target", f"delta{layer}",
                              "--claim", textbook(layer, 6))
        check_clean(result, seconds)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_correct_claim_written_through_the_outputs_is_accepted_at_depth_50():
    """σ'(z) = a(1 − a) for the sigmoid, ∂C/∂a_L = a_L − y: the whole product rewritten."""
    depth = 50
    factors = ["(a50 - y)", *(f"w{n}" for n in range(2, depth + 1)),
               *(f"a{n}*(1-a{n})" for n in range(1, depth + 1))]
    result, seconds = run("--depth", str(depth), "--target", "delta1", "--claim", "*".join(factors))
    check_clean(result, seconds)
    assert result.returncode == 0, result.stdout + result.stderr


def test_correct_claims_with_an_exact_tiny_constant_still_pass():
    """A claim may hold tiny constants and still be right: (1 + 10^-300) - 10^-300 = 1."""
    claim = f"({DELTA1})*((1 + 1e-300*w1) - 1e-300*w1)"
    result, seconds = run("--depth", "2", "--target", "delta1", "--claim", claim)
    check_clean(result, seconds)
    assert result.returncode == 0, result.stdout + result.stderr
    tied, seconds = run("--depth", "3", "--tied", "--act", "tanh", "--target", "delta1",
                        "--claim", "dC_daL*w**2*dsigma(z1)*dsigma(z2)*dsigma(z3)")
    check_clean(tied, seconds)
    assert tied.returncode == 0, tied.stdout + tied.stderr


# -- 5. kinks close together, or far out on the line ------------------------------------
# A claim whose kinks (Heaviside, abs, max, min) sit beside the truth's, 10^-30 apart, or
# only past |z| = 50, differs from the truth on a whole interval, but one that random
# points of ordinary size never reach. Each wrong claim comes with a point where it
# differs, computed here in plain Fractions from the chain's definition (not symgrad's):
# quadratic cost, so ∂C/∂a_L = a_L − y; relu(z) = max(z, 0) with relu'(z) = [z > 0];
# leaky_relu slope 1/100 for z <= 0; the claim's Heaviside(u) is 1/2 at u = 0. These run
# in-process through symgrad.api.verify (the Verdict), the issue's examples through the CLI.

F = Fraction
TINY = F(1, 10**30)
HALF = F(1, 2)


def heaviside(u):
    return F(1) if u > 0 else F(0) if u < 0 else HALF


def relu(z):
    return max(z, F(0))


def relu_slope(z):
    return F(1) if z > 0 else F(0)


def leaky(z):
    return z if z > 0 else z / 100


def leaky_slope(z):
    return F(1) if z > 0 else F(1, 100)


def far(z):
    """The custom activation x + max(0, |x| − 50): slope 1 on [−50, 50], 2 past 50, 0
    below −50."""
    return z + max(F(0), abs(z) - 50)


def far_slope(z):
    return F(2) if z > 50 else F(0) if z < -50 else F(1)


def relu_last(z, y):
    """δ_L of a relu chain (it depends on z_L and y only)."""
    return (relu(z) - y) * relu_slope(z)


# (act, depth, target, claim, claim at (z_L, y), truth at (z_L, y), a z_L where they differ)
WRONG_AT_THE_LAST_LAYER = [
    ("relu", 4, "delta4", "Heaviside(z4-1e-30)*(a4-y)",
     lambda z, y: heaviside(z - TINY) * (relu(z) - y), relu_last, TINY / 10),
    ("relu", 4, "delta4", "Heaviside(z4+1e-30)*(a4-y)",
     lambda z, y: heaviside(z + TINY) * (relu(z) - y), relu_last, -TINY / 10),
    ("relu", 4, "delta4", "(a4-y)*Heaviside(z4)*(1+Heaviside(z4-1e-30)-Heaviside(z4-2e-30))",
     lambda z, y: (relu(z) - y) * heaviside(z) * (1 + heaviside(z - TINY) - heaviside(z - 2 * TINY)),
     relu_last, 3 * TINY / 2),
    ("relu", 4, "delta4", "(a4-y)*Heaviside(z4)*(1+Heaviside(z4-1)-Heaviside(z4-1-1e-40))",
     lambda z, y: (relu(z) - y) * heaviside(z) * (1 + heaviside(z - 1) - heaviside(z - 1 - TINY / 10**10)),
     relu_last, 1 + TINY / 10**11),
    ("relu", 4, "delta4", "(a4-y)*Heaviside(z4) + max(0, abs(z4)-50)",
     lambda z, y: (relu(z) - y) * heaviside(z) + max(F(0), abs(z) - 50), relu_last, F(-60)),
    ("relu", 4, "delta4", "(a4-y)*Heaviside(z4) + Heaviside(z4**2-1e60)*Heaviside(-z4)",
     lambda z, y: (relu(z) - y) * heaviside(z) + heaviside(z**2 - 10**60) * heaviside(-z),
     relu_last, F(-2 * 10**30)),
    ("relu", 4, "delta4", "(a4-y)*Heaviside(z4)*(1+Heaviside(abs(z4)-1e30))",
     lambda z, y: (relu(z) - y) * heaviside(z) * (1 + heaviside(abs(z) - 10**30)),
     relu_last, F(2 * 10**30)),
    ("leaky_relu", 3, "delta3", "(a3-y)*(1/100 + 99/100*Heaviside(z3-1e-30))",
     lambda z, y: (leaky(z) - y) * (F(1, 100) + F(99, 100) * heaviside(z - TINY)),
     lambda z, y: (leaky(z) - y) * leaky_slope(z), TINY / 10),
    ("leaky_relu", 3, "delta3", "(a3-y)*(1/100 + 99/100*Heaviside(z3+1e-30))",
     lambda z, y: (leaky(z) - y) * (F(1, 100) + F(99, 100) * heaviside(z + TINY)),
     lambda z, y: (leaky(z) - y) * leaky_slope(z), -TINY / 10),
    ("relu", 4, "delta4", "(a4-y)*Heaviside(z4)*(1 + Heaviside(z4-1e-30) - Heaviside(z4-1e-30+1e-60)"
                          " - Heaviside(1e-60+1e-30-z4) + Heaviside(1e-30-z4))",  # 0 on (a − ε, a)
     lambda z, y: (relu(z) - y) * heaviside(z) * (1 + heaviside(z - TINY) - heaviside(z - TINY + TINY**2)
                                                  - heaviside(TINY**2 + TINY - z) + heaviside(TINY - z)),
     relu_last, TINY - TINY**2 / 2),
    ("x + max(0, abs(x) - 50)", 2, "delta2", "a2-y",  # the truth's kinks far out, not the claim's
     lambda z, y: far(z) - y, lambda z, y: (far(z) - y) * far_slope(z), F(60)),
    ("x + max(0, abs(x) - 50)", 2, "delta2", "(a2-y)*(1+Heaviside(z2-50))",
     lambda z, y: (far(z) - y) * (1 + heaviside(z - 50)),
     lambda z, y: (far(z) - y) * far_slope(z), F(-60)),
]


@pytest.mark.parametrize("act, depth, target, claim, claimed, truth, witness",
                         WRONG_AT_THE_LAST_LAYER, ids=[case[3] for case in WRONG_AT_THE_LAST_LAYER])
def test_a_claim_wrong_only_between_close_or_far_kinks_is_incorrect(act, depth, target, claim,
                                                                     claimed, truth, witness):
    for y in (F(1, 10), HALF, F(9, 10)):  # wrong whatever the target (drawn in (0.1, 0.9))
        assert claimed(witness, y) != truth(witness, y), "the case itself is not wrong"
    verdict = symgrad.api.verify(claim, target, depth=depth, act=act)
    assert verdict.correct is False
    example = verdict.counterexample
    assert example is not None and verdict.proved
    assert example.claimed is None or example.claimed != example.true


def test_the_issue_examples_are_incorrect_through_the_cli():
    """Heaviside(z4 − 10^-30) is 0 on (0, 10^-30] where relu' is 1, and a claim with an
    extra max(0, |z2| − 50) differs by 10 at z2 = 60 (sigmoid chain, in mpmath)."""
    assert heaviside(TINY / 10 - TINY) * (relu(TINY / 10) - HALF) == 0
    assert relu_last(TINY / 10, HALF) == TINY / 10 - HALF
    assert max(F(0), abs(F(60)) - 50) == 10
    for args in (["--depth", "4", "--act", "relu", "--target", "delta4",
                  "--claim", "Heaviside(z4-1e-30)*(a4-y)"],
                 ["--depth", "2", "--act", "sigmoid", "--target", "delta2",
                  "--claim", "(a2-y)*a2*(1-a2) + max(0,abs(z2)-50)"],
                 ["--depth", "2", "--act", "x + max(0, abs(x) - 50)", "--target", "delta2",
                  "--claim", "a2-y"]):
        result, seconds = run(*args, "--format", "json")
        check_clean(result, seconds)
        assert result.returncode == 1, result.stdout
        data = json.loads(result.stdout)
        assert data["correct"] is False and data["counterexample"] is not None


def test_the_counterexample_lies_between_the_two_kinks():
    """δ_4 = (a4 − y)[z4 > 0]; the claim is 0 on (0, 10^-30]: the counterexample's z4,
    rebuilt from its x, w and b in Fractions, is there, where claim = 0 and true = z4 − y."""
    verdict = symgrad.api.verify("Heaviside(z4-1e-30)*(a4-y)", "delta4", depth=4, act="relu")
    example = verdict.counterexample
    assert verdict.correct is False and example is not None

    def exact(name):
        return F(mpmath.nstr(example.point[name], example.digits + 10))

    a = exact("x")
    for n in range(1, 5):
        z = exact(f"w{n}") * a + exact(f"b{n}")
        a = relu(z)
    assert -TINY / 10**8 < z < TINY * (1 + F(1, 10**8)), float(z)
    assert example.claimed == 0
    with mpmath.workdps(example.digits):
        assert abs(example.true - (example.point["y"] * -1)) < mpmath.mpf(10) ** -25


@pytest.mark.parametrize("act, depth, target, claim, witness, difference", [
    # claim − true is the claim's extra term alone; σ is not needed to see it is nonzero
    ("sigmoid", 2, "delta2", "(a2-y)*a2*(1-a2) + max(0,abs(z2)-50)", F(60),
     lambda z: max(F(0), abs(z) - 50)),
    ("tanh", 2, "delta2", "(a2-y)*(1-a2**2) + max(0,abs(z2)-50)", F(-60),
     lambda z: max(F(0), abs(z) - 50)),
    ("sigmoid", 2, "delta2", "(a2-y)*a2*(1-a2) + Heaviside(z2-1e-30)*Heaviside(2e-30-z2)",
     3 * TINY / 2, lambda z: heaviside(z - TINY) * heaviside(2 * TINY - z)),
    ("tanh", 3, "delta1", "dC_daL*w2*w3*dsigma(z1)*dsigma(z2)*dsigma(z3) + Heaviside(-1e30-w2)",
     F(-2 * 10**30), lambda w: heaviside(-10**30 - w)),
])
def test_a_smooth_chain_with_a_term_only_between_kinks_is_incorrect(act, depth, target, claim,
                                                                      witness, difference):
    assert difference(witness) != 0
    verdict = symgrad.api.verify(claim, target, depth=depth, act=act)
    assert verdict.correct is False and verdict.counterexample is not None


def test_deeper_layers_see_a_kink_beside_the_truth_too():
    """δ_1 of a depth-4 relu chain at z = (10^-31, 1, 1, 1), w = 1, y = 1/2: the truth is
    (1 − 1/2)·1 = 1/2, the claim with Heaviside(z1 − 10^-30) is 0."""
    z, w, y = [TINY / 10, F(1), F(1), F(1)], [F(1)] * 4, HALF
    truth = (relu(z[3]) - y) * w[1] * w[2] * w[3]
    for value in z:
        truth *= relu_slope(value)
    claim_value = truth * heaviside(z[0] - TINY)
    assert truth == HALF and claim_value == 0
    claim = ("w2*w3*w4*(a4-y)*Heaviside(z1-1e-30)*Heaviside(z2)*Heaviside(z3)*Heaviside(z4)")
    verdict = symgrad.api.verify(claim, "delta1", depth=4, act="relu")
    assert verdict.correct is False and verdict.counterexample is not None


def test_the_truths_convention_at_a_kink():
    """relu'(0) = 0 and leaky_relu'(0) = 1/100 in the derivation; the claim's Heaviside(0)
    is 1/2. Claims below differ from the truth only at such single points (z = 0), never
    on an interval, and are correct."""
    from symgrad.activations import VARIABLE
    assert symgrad.get_activation("relu").derivative.subs(VARIABLE, 0) == 0
    assert symgrad.get_activation("leaky_relu").derivative.subs(VARIABLE, 0) == F(1, 100)
    assert relu_slope(F(0)) == 0 and heaviside(F(0)) == HALF


EPSILON = TINY * TINY  # 10^-60: two kinks this close beside 10^-30
# z_L on every piece the claims' and truths' kinks cut the line into, and at the kinks
SAMPLES = sorted({sign * value for sign in (1, -1) for value in (
    F(0), TINY / 10, TINY, TINY + EPSILON / 2, TINY + EPSILON, TINY - EPSILON / 2, 2 * TINY,
    F(1, 3), F(1), F(7, 2), F(50), F(60), F(10**30), F(2 * 10**30))})


def close_pair(z):
    """1 + H(z − a) − H(z − a − ε) + H(a − z) − H(a + ε − z), a = 10^-30, ε = 10^-60: 1
    except at the kinks a and a + ε themselves."""
    return (1 + heaviside(z - TINY) - heaviside(z - TINY - EPSILON) + heaviside(TINY - z)
            - heaviside(TINY + EPSILON - z))


# (act, depth, target, claim, claim at (z_L, y) or None, truth at (z_L, y) or None)
CORRECT_WITH_OTHER_KINKS = [
    ("relu", 4, "delta4", "Heaviside(z4)*(a4-y)",
     lambda z, y: heaviside(z) * (relu(z) - y), relu_last),
    ("relu", 4, "delta4", "(max(0,z4)-y)*Heaviside(z4)",
     lambda z, y: (max(F(0), z) - y) * heaviside(z), relu_last),
    ("relu", 4, "delta4", "Heaviside(z4)*(a4-y) + max(0,abs(z4)-50) - max(0,z4-50) - max(0,-z4-50)",
     lambda z, y: heaviside(z) * (relu(z) - y) + max(F(0), abs(z) - 50) - max(F(0), z - 50)
     - max(F(0), -z - 50), relu_last),
    ("relu", 4, "delta4", "Heaviside(z4)*(a4-y) + max(0, z4-1e-30) - max(z4, 1e-30) + 1e-30",
     lambda z, y: heaviside(z) * (relu(z) - y) + max(F(0), z - TINY) - max(z, TINY) + TINY,
     relu_last),
    ("relu", 4, "delta4", "(a4-y)*min(1, Heaviside(z4)*(1+max(0, z4-1e30)))",
     lambda z, y: (relu(z) - y) * min(F(1), heaviside(z) * (1 + max(F(0), z - 10**30))),
     relu_last),
    ("relu", 4, "delta4", "(a4-y)*Heaviside(z4)*Heaviside(z4+1e30)",
     lambda z, y: (relu(z) - y) * heaviside(z) * heaviside(z + 10**30), relu_last),
    ("relu", 4, "delta4", "(a4-y)*Heaviside(z4)*(1+Heaviside(-1e30-z4))",
     lambda z, y: (relu(z) - y) * heaviside(z) * (1 + heaviside(-10**30 - z)), relu_last),
    ("relu", 4, "delta4", "(a4-y)*Heaviside(z4)*(1 + Heaviside(z4-1e-30) - Heaviside(z4-1e-30-1e-60)"
                          " + Heaviside(1e-30-z4) - Heaviside(1e-30+1e-60-z4))",
     lambda z, y: (relu(z) - y) * heaviside(z) * close_pair(z), relu_last),
    ("leaky_relu", 3, "delta3", "(a3-y)*(1/100 + 99/100*Heaviside(z3))",
     lambda z, y: (leaky(z) - y) * (F(1, 100) + F(99, 100) * heaviside(z)),
     lambda z, y: (leaky(z) - y) * leaky_slope(z)),
    ("x + max(0, abs(x) - 50)", 2, "delta2", "(a2-y)*(1+Heaviside(z2-50)-Heaviside(-50-z2))",
     lambda z, y: (far(z) - y) * (1 + heaviside(z - 50) - heaviside(-50 - z)),
     lambda z, y: (far(z) - y) * far_slope(z)),
    # the truths below are σ', checked against symgrad elsewhere; the extra terms are 0
    ("relu", 4, "delta1", "w2*w3*w4*(a4-y)*Heaviside(z1)*Heaviside(z2)*Heaviside(z3)*Heaviside(z4)",
     None, None),
    ("sigmoid", 2, "delta2", "(a2-y)*a2*(1-a2)*(1 + max(0,abs(z2)-50) - max(0,z2-50) - max(0,-z2-50))",
     lambda z, y: max(F(0), abs(z) - 50) - max(F(0), z - 50) - max(F(0), -z - 50),
     lambda z, y: F(0)),
    ("sigmoid", 2, "delta2", "(a2-y)*exp(-abs(z2))/(1+exp(-abs(z2)))**2", None, None),
    ("tanh", 2, "delta2", "(a2-y)*(1-a2**2)*close_pair", lambda z, y: close_pair(z) - 1,
     lambda z, y: F(0)),
]


@pytest.mark.parametrize("act, depth, target, claim, claimed, truth", CORRECT_WITH_OTHER_KINKS,
                         ids=[case[3] for case in CORRECT_WITH_OTHER_KINKS])
def test_a_correct_claim_with_other_kinks_is_still_correct(act, depth, target, claim, claimed,
                                                           truth):
    """The claim equals the truth at a point of every piece of the line (in Fractions:
    they may differ at a kink itself, a single point, never on an interval)."""
    kinks = {TINY, TINY + EPSILON, F(0), F(50), F(-50), F(10**30), F(-10**30)}
    if claimed is not None:
        for z in SAMPLES:
            for y in (F(1, 10), HALF, F(9, 10)):
                if z in kinks:
                    continue
                assert claimed(z, y) == truth(z, y), (z, y)
    claim = claim.replace("close_pair", "(1 + Heaviside(z2-1e-30) - Heaviside(z2-1e-30-1e-60)"
                                        " + Heaviside(1e-30-z2) - Heaviside(1e-30+1e-60-z2))")
    verdict = symgrad.api.verify(claim, target, depth=depth, act=act)
    assert verdict.correct, verdict


def test_a_tied_chain_sees_a_kink_beside_the_truth():
    """Tied relu chain, depth 2: z1 = w x + b, z2 = w a1 + b, δ_1 = (a2 − y) w [z1 > 0][z2 > 0].
    At x = 1, w = −1/2, b = 1/2 + 10^-31: z1 = 10^-31, z2 = 1/2 + 10^-31/2 > 0, so the
    truth is (z2 − y)(−1/2) ≠ 0 while Heaviside(z1 − 10^-30) makes the claim 0."""
    x, w, b, y = F(1), F(-1, 2), HALF + TINY / 10, F(1, 4)
    z1 = w * x + b
    z2 = w * relu(z1) + b
    truth = (relu(z2) - y) * w * relu_slope(z1) * relu_slope(z2)
    claimed = (relu(z2) - y) * w * heaviside(z1 - TINY) * heaviside(z2)
    assert z1 == TINY / 10 and truth != 0 and claimed == 0
    wrong = symgrad.api.verify("dC_daL*w*Heaviside(z1-1e-30)*Heaviside(z2)", "delta1", depth=2,
                               act="relu", tied=True)
    assert wrong.correct is False and wrong.counterexample is not None
    right = symgrad.api.verify("dC_daL*w*Heaviside(z1)*Heaviside(z2)", "delta1", depth=2,
                               act="relu", tied=True)
    assert right.correct


def test_a_small_net_sees_a_kink_beside_the_truth():
    """δ^2_1 of a relu net is (a_2_1 − y_1)[z_2_1 > 0], as δ_L of a chain (relu_last)."""
    assert heaviside(TINY / 10 - TINY) * (relu(TINY / 10) - HALF) != relu_last(TINY / 10, HALF)
    wrong = symgrad.api.verify("(a_2_1-y_1)*Heaviside(z_2_1-1e-30)", "delta2_1", widths=(2, 2, 2),
                               act="relu")
    assert wrong.correct is False and wrong.counterexample is not None
    assert symgrad.api.verify("(a_2_1-y_1)*Heaviside(z_2_1)", "delta2_1", widths=(2, 2, 2),
                              act="relu").correct


def test_more_pieces_than_the_points_cover_is_refused():
    """abs nested 9 deep, abs(...abs(abs(z4 − 256) − 128)... − 1), is 0 at the 256 odd
    numbers from 1 to 511: more pieces than MAX_KINK_PIECES. The claim is wrong on slivers
    around each (by 10^-300 where the nested abs is below 10^-40), and is refused, not
    passed."""
    from symgrad.verify import MAX_KINK_PIECES

    def nested(z):
        for k in reversed(range(9)):
            z = abs(z - 2**k)
        return z

    zeros = [F(n) for n in range(1, 512, 2)]
    assert len(zeros) > MAX_KINK_PIECES and all(nested(z) == 0 for z in zeros)
    extra = 10**-300 * heaviside(F(1, 10**40) - nested(F(1)))
    assert extra != 0  # at z4 = 1 the claim is off by 10^-300
    inner = "z4"
    for k in reversed(range(9)):
        inner = f"abs({inner}-{2**k})"
    claim = f"(a4-y)*Heaviside(z4) + 1e-300*Heaviside(1e-40-{inner})"
    with pytest.raises(symgrad.SymgradError, match="pieces"):
        symgrad.api.verify(claim, "delta4", depth=4, act="relu")


@pytest.mark.parametrize("act, claim", [
    ("tanh", "(a2-y)*4/(exp(z2)+exp(-z2))**2*(1 + max(0, z2-1e30) + min(0, z2-1e30) - z2 + 1e30)"),
    ("sigmoid", "(a2-y)*a2*(1-a2)*(1 + max(0, z2-1e30) + min(0, z2-1e30) - z2 + 1e30)"),
])
def test_a_correct_claim_is_not_called_wrong_where_every_digit_cancels(act, claim):
    """max(0, u) + min(0, u) = u, so the factor is 1 and the claim is right; past z2 = 10^30
    1 − tanh²(z2) and 1 − σ(z2) are 0 at any precision reached, while the other form is
    not: a difference made by rounding, never a counterexample."""
    try:
        verdict = symgrad.api.verify(claim, "delta2", depth=2, act=act)
    except symgrad.SymgradError as error:
        assert "cannot be decided" in str(error)
    else:
        assert verdict.correct, verdict.counterexample


# --- a claim as written: its kinks and its denominators ---------------------------------

def test_a_relu_claim_with_heaviside_half_at_0_is_correct_off_the_kinks_and_says_so():
    """Heaviside(0) = 1/2 in SymPy; relu'(0) is 0 in symgrad (as in PyTorch and JAX): the
    claim equals δ_1 off the kinks and differs on them, where relu has no derivative. The
    verdict is correct (exit 0), proved with each Heaviside(z) read as σ'(z), and names
    each corner with the claim's value there and symgrad's (this test's own Heaviside and
    relu'(0) = 0)."""
    result, seconds = run("--depth", "2", "--act", "relu", "--target", "delta1", "--claim",
                          "w2*Heaviside(z1)*Heaviside(z2)*dC_daL", "--format", "json")
    check_clean(result, seconds)
    assert result.returncode == 0, result.stdout[-1500:]
    data = json.loads(result.stdout)
    assert data["correct"] and data["proved"]
    assert [(c["name"], Fraction(c["at"]), Fraction(c["claim"]), Fraction(c["derivative"]))
            for c in data["conventions"]] == [(z, 0, HALF, 0) for z in ("z1", "z2")]
    text, _ = run("--depth", "2", "--act", "relu", "--target", "delta1", "--claim",
                  "w2*Heaviside(z1)*Heaviside(z2)*dC_daL")
    assert "Correct wherever σ has a derivative" in " ".join(text.stdout.split())


def test_a_convention_that_changes_from_point_to_point_is_incorrect():
    """Residual relu chain: δ_1 = ∂C/∂a_2 (1 + w2 σ'(z2)) σ'(z1). At z1 = 0 the claim
    (1 + w2 H(z2)) H(z1) ∂C/∂a_2 + H(−z1²) ∂C/∂a_2 (H(0) = 1/2) is the truth with
    σ'(0) = t where t (1 + w2 H(z2)) = (1 + w2 H(z2))/2 + 1/2: t = 1 where z2 < 0, and
    1/2 + 1/(2(1 + w2)) where z2 > 0 — each a subgradient, but not one value. Incorrect,
    with the counterexample on z1 = 0 (this test's own range of the truth there excludes
    it, or the value of σ'(0) it implies differs from the one at the other point shown)."""
    result, seconds = run("--depth", "2", "--act", "relu", "--residual", "--target", "delta1",
                          "--claim", "dC_daL*(1+w2*Heaviside(z2))*Heaviside(z1)"
                          "+Heaviside(-z1**2)*dC_daL", "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    point = {name: F(value) for name, value in example["point"].items()}
    assert point["z1"] == 0

    def implied(p, claimed):  # the t with claim = truth(σ'(z1) = t), this test's algebra
        a2 = p["x"] + max(p["z1"], 0) + max(p["z2"], 0)
        rest = (a2 - p["y"]) * (1 + p["w2"] * heaviside(p["z2"]))
        return None if rest == 0 else claimed / rest
    here = implied(point, F(example["claim"]))
    convention = example["convention"]
    if convention is None:
        assert not 0 <= here <= 1
    else:
        other = {name: F(value) for name, value in convention["other_point"].items()}
        assert other["z1"] == 0
        assert other["z1"] == 0 and other["z2"] != 0
        there = HALF + HALF / (1 + other["w2"] * heaviside(other["z2"]))
        assert here != there
        assert abs(F(convention["here"]) - here) < F(1, 10**20)
        assert abs(F(convention["elsewhere"]) - there) < F(1, 10**20)


def test_a_subgradient_that_changes_only_on_a_narrow_band_is_incorrect():
    """relu depth 2: at z1 = 0 the claim takes σ'(0) = 1/2 except for w2 in [3, 3 + 10^-6],
    where it takes 3/8 (7/16 at the band's ends): each a subgradient alone, but not one
    convention. The band is a kink of w2 alone, so the grid has points inside it."""
    claim = ("dC_daL*w2*Heaviside(z2)*(Heaviside(z1) - Heaviside(-z1**2)/4*"
             "Heaviside(w2-3)*Heaviside(3+1e-6-w2))")
    result, seconds = run("--depth", "2", "--act", "relu", "--target", "delta1", "--claim",
                          claim, "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    def implied(p):  # σ'(0) the claim takes at a point with z1 = 0, z2 > 0 (this test's)
        band = heaviside(p["w2"] - 3) * heaviside(3 + F(1, 10**6) - p["w2"])
        return heaviside(F(0)) - heaviside(F(0)) / 4 * band
    point = {name: F(value) for name, value in example["point"].items()}
    other = {name: F(value) for name, value in example["convention"]["other_point"].items()}
    assert point["z1"] == other["z1"] == 0 and point["z2"] > 0 and other["z2"] > 0
    assert implied(point) != implied(other)
    assert F(example["convention"]["here"]) == implied(point)
    assert F(example["convention"]["elsewhere"]) == implied(other)


def test_a_claim_off_only_where_the_activation_is_smooth_is_incorrect():
    """x + max(0, abs(x) - 50) has corners at ±50; a claim that is wrong only at z2 = 0,
    where this σ is smooth (slope 1), is not a convention: incorrect."""
    claim = "(a2-y)*(1+Heaviside(z2-50)-Heaviside(-50-z2))*(1+4*Heaviside(z2)*Heaviside(-z2))"
    result, seconds = run("--depth", "2", "--act", "x + max(0, abs(x) - 50)", "--target",
                          "delta2", "--claim", claim, "--format", "json")
    check_clean(result, seconds)
    assert result.returncode == 1, result.stdout[-1500:]
    point = json.loads(result.stdout)["counterexample"]["point"]
    assert Fraction(point["z2"]) == 0


def test_heaviside_claim_is_correct_for_a_chain_whose_kinks_are_never_reached():
    """A control: Heaviside(z) for the sigmoid's σ' is wrong everywhere, not on a kink."""
    result, seconds = run("--depth", "2", "--act", "sigmoid", "--target", "delta1",
                          "--claim", "w2*Heaviside(z1)*Heaviside(z2)*dC_daL", "--format", "json")
    check_clean(result, seconds)
    assert result.returncode == 1 and not json.loads(result.stdout)["counterexample"]["on_kinks"]


CANCELLED = {  # a factor SymPy cancels as it reads, and where the written claim fails
    "sqrt(z1-10)/sqrt(z1-10)": lambda p: p["z1"] < 10,
    "z1/z1": lambda p: p["z1"] == 0,
    "(z2-1/3)/(z2-1/3)": lambda p: abs(p["z2"] - Fraction(1, 3)) < Fraction(1, 10**25),
    "(z1**2-2)/(z1**2-2)": lambda p: abs(p["z1"] ** 2 - 2) < Fraction(1, 10**11),
    "(exp(z1)-3)/(exp(z1)-3)": lambda p: abs(float(p["z1"]) - 1.0986122886681098) < 1e-11,
    "exp(log(z2))/z2": lambda p: p["z2"] <= 0,
    "abs(z1-1)/abs(z1-1)": lambda p: p["z1"] == 1,  # (0 on a kink of its own)
    "exp(log(abs(z2+1/2)))/abs(z2+1/2)": lambda p: p["z2"] == -Fraction(1, 2),
}


@pytest.mark.parametrize("act, factor", [(act, factor) for act in ("sigmoid", "relu")
                                         for factor in CANCELLED
                                         if (act, factor) != ("relu", "z1/z1")])
def test_a_claim_undefined_where_sympy_cancels_it_is_incorrect(act, factor):
    """The counterexample's point is where the claim, as written, is undefined: checked
    from the point's preactivations (12 digits) by the condition written here."""
    claim = f"w2*dsigma(z1)*dsigma(z2)*dC_daL*{factor}"
    result, seconds = run("--depth", "2", "--act", act, "--target", "delta1", "--claim", claim,
                          "--format", "json")
    check_clean(result, seconds)
    assert result.returncode == 1, result.stdout[-1500:]
    example = json.loads(result.stdout)["counterexample"]
    assert example["claim"] is None
    point = {name: Fraction(value) for name, value in example["point"].items()}
    assert CANCELLED[factor](point), point


@pytest.mark.parametrize("depth, target, claim", [
    (2, "delta1", "w2*dsigma(z1)*dsigma(z2)*dC_daL*z1/z1"),
    (4, "delta4", "(a4-y)*(1+abs(z4)/z4)/2"),
    (1, "delta1", "(a1-y)*max(0,z1)/z1"),
    (2, "grad_b2", "(a2-y)*max(0,z2)/z2"),
])
def test_a_claim_undefined_on_a_relu_kink_is_incorrect(depth, target, claim):
    """Each is δ off the corner z = 0 and has no value on it. Any value between relu's
    one-sided slopes would be a convention there (an autodiff takes one), but no value is
    not one — and at most points of the corner δ has a value (z2 < 0, a weight or ∂C/∂a_L
    of 0). Exit 1, the counterexample on the corner with the claim undefined."""
    result, seconds = run("--depth", str(depth), "--act", "relu", "--target", target,
                          "--claim", claim, "--format", "json")
    check_clean(result, seconds)
    assert result.returncode == 1, result.stdout[-1500:]
    example = json.loads(result.stdout)["counterexample"]
    corner = "z1" if "z1" in claim else "z4" if "z4" in claim else "z2"
    assert example["claim"] is None and Fraction(example["point"][corner]) == 0


@pytest.mark.parametrize("factor", ["(z1**2+2)/(z1**2+2)", "sqrt(z1**2+1)/sqrt(1+z1**2)",
                                    "exp(z1)/exp(z1)"])
def test_a_factor_defined_everywhere_still_cancels(factor):
    result, seconds = run("--depth", "2", "--act", "relu", "--target", "delta1", "--claim",
                          f"w2*dsigma(z1)*dsigma(z2)*dC_daL*{factor}")
    check_clean(result, seconds)
    assert result.returncode == 0, result.stdout[-1500:]


def test_a_kink_of_a_layer_whose_slope_the_target_lacks_is_no_convention():
    """δ_2 = ∂C/∂a_3 w_3 σ'(z_3) σ'(z_2) holds no σ'(z_1): a claim off at z_1 = 0 (relu's kink)
    is simply wrong there, not a convention (exit 1)."""
    result, seconds = run("--depth", "3", "--act", "relu", "--target", "delta2", "--claim",
                          "dC_daL*w3*Heaviside(z3)*Heaviside(z2)*(1+Heaviside(-z1**2))")
    check_clean(result, seconds)
    assert result.returncode == 1, result.stdout[-1500:]




# --- a claim off only at isolated points of a smooth chain (rounded arithmetic) ----------

ISOLATED = [  # act, argv, claim, the kink coordinate and its place, claim − true there
    ("tanh", ["--depth", "2", "--target", "delta1"],
     "dC_daL*w2*dsigma(z1)*dsigma(z2) + Heaviside(-(z1-1)**2)", "z1", F(1),
     lambda p: heaviside(-(p["z1"] - 1) ** 2)),
    ("tanh", ["--depth", "2", "--target", "delta1"],  # a1 = tanh(1) exactly where z1 = 1
     "dC_daL*w2*dsigma(z1)*dsigma(z2) + Heaviside(-(a1-tanh(1))**2)", "z1", F(1),
     lambda p: heaviside(-(p["z1"] - 1) ** 2)),
    ("sigmoid", ["--depth", "2", "--target", "delta2"],
     "(a2-y)*a2*(1-a2) + 2*Heaviside(-abs(z2-2))", "z2", F(2),
     lambda p: 2 * heaviside(-abs(p["z2"] - 2))),
    ("gelu", ["--depth", "1", "--target", "delta1"],
     "dC_daL*dsigma(z1) + max(-1, Heaviside(-abs(z1+1/2)) - 1) + 1", "z1", F(-1, 2),
     lambda p: max(F(-1), heaviside(-abs(p["z1"] + HALF)) - 1) + 1),
    ("tanh", ["--depth", "2", "--tied", "--target", "delta1"],
     "dC_daL*w*dsigma(z1)*dsigma(z2) + 3*Heaviside(-(w-3/4)**2)", "w", F(3, 4),
     lambda p: 3 * heaviside(-(p["w"] - F(3, 4)) ** 2)),
    ("tanh", ["--depth", "2", "--target", "delta1"],  # (z1 = 1: the tenth power's 11 terms)
     "dC_daL*w2*dsigma(z1)*dsigma(z2) + Heaviside(-(z1-1)**10)", "z1", F(1),
     lambda p: heaviside(-(p["z1"] - 1) ** 10)),
    ("tanh", ["--depth", "2", "--target", "delta1"],  # 0 only where z1 = z2 = 1 at once
     "dC_daL*w2*dsigma(z1)*dsigma(z2) + 4*Heaviside(-(z1-1)**2)*Heaviside(-(z2-1)**2)", "z1",
     F(1), lambda p: 4 * heaviside(-(p["z1"] - 1) ** 2) * heaviside(-(p["z2"] - 1) ** 2)),
    ("tanh", ["--depth", "2", "--target", "delta1"],  # 0 only at the point z1 = w2 = 1
     "dC_daL*w2*dsigma(z1)*dsigma(z2) + Heaviside(-(z1-1)**2-(w2-1)**2)", "w2", F(1),
     lambda p: heaviside(-(p["z1"] - 1) ** 2 - (p["w2"] - 1) ** 2)),
    ("sigmoid", ["--depth", "2", "--target", "delta1"],  # z1 = z2 = w2 = 1 at once
     "dC_daL*w2*dsigma(z1)*dsigma(z2) + 8*Heaviside(-(z1-1)**2)*Heaviside(-(z2-1)**2)"
     "*Heaviside(-(w2-1)**2)", "w2", F(1), lambda p: 8 * heaviside(-(p["z1"] - 1) ** 2)
     * heaviside(-(p["z2"] - 1) ** 2) * heaviside(-(p["w2"] - 1) ** 2)),
    ("sigmoid", ["--depth", "2", "--target", "delta1"],  # 0 on the line z1 = z2, w2 = 1
     "dC_daL*w2*dsigma(z1)*dsigma(z2) + Heaviside(-(z1-z2)**2-(w2-1)**2)", "w2", F(1),
     lambda p: heaviside(-(p["z1"] - p["z2"]) ** 2 - (p["w2"] - 1) ** 2)),
    ("sigmoid", ["--widths", "1,2,1", "--target", "delta2_1"],
     "(a_2_1-y_1)*a_2_1*(1-a_2_1) + min(1, 1 - Heaviside(abs(z_2_1-1/5)))", "z_2_1", F(1, 5),
     lambda p: min(F(1), 1 - heaviside(abs(p["z_2_1"] - F(1, 5))))),
]


@pytest.mark.parametrize("act, argv, claim, name, place, term", ISOLATED,
                         ids=[f"{case[0]}-{case[3]}-{n}" for n, case in enumerate(ISOLATED)])
def test_a_smooth_chain_claim_off_only_at_an_isolated_point_is_incorrect(act, argv, claim, name,
                                                                         place, term):
    """claim = truth + a term that is 0 except on a set of measure 0 (a kink of the claim,
    where its argument is exactly 0: a point of one line, where two coordinates are on
    kinks at once, a zero of a kink that never changes sign): in rounded arithmetic the
    random points never see it; the points on the kinks, decided exactly, do. The
    counterexample is such a point (the term is 0 beside it), and claim − true there is
    the term as written here in Fractions."""
    result, seconds = run("--act", act, *argv, "--claim", claim, "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    point = {key: F(value) for key, value in example["point"].items()}
    assert point[name] == place
    nearby = [{**point, name: point[name] + offset}
              for offset in (F(-1, 10**6), F(1, 10**6), F(-1), F(1))]
    assert all(term(p) == 0 for p in nearby)  # (an isolated point of the term)
    with mpmath.workdps(40):
        difference = mpmath.mpf(example["claim"]) - mpmath.mpf(example["true"])
        expected = term(point)
        assert expected != 0
        assert abs(difference - expected.numerator / mpmath.mpf(expected.denominator)) < 1e-25


@pytest.mark.parametrize("kink, place", [
    ("z1**2-2", lambda: -mpmath.sqrt(2)), ("z1-sqrt(2)", lambda: mpmath.sqrt(2)),
    ("a1-1/2", lambda: mpmath.atanh(mpmath.mpf(1) / 2)), ("exp(z1)-2", lambda: mpmath.log(2)),
])
def test_a_claim_off_only_at_an_irrational_kink_is_incorrect(kink, place):
    """claim = δ_1 + Heaviside(-u²) with u 0 at an irrational z1 (±√2, atanh(1/2), log 2;
    tanh chain): off by Heaviside(0) = 1/2 there and nowhere else. The point is SymPy's
    root, to 60 digits, and its branches are decided by the exact root: the counterexample
    sits at the place mpmath finds here, and claim − true is 1/2."""
    claim = f"dC_daL*w2*dsigma(z1)*dsigma(z2) + Heaviside(-({kink})**2)"
    result, seconds = run("--depth", "2", "--act", "tanh", "--target", "delta1", "--claim",
                          claim, "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    with mpmath.workdps(70):
        assert abs(mpmath.mpf(example["point"]["z1"]) - place()) < mpmath.mpf(10) ** -38  # (shown)
        difference = mpmath.mpf(example["claim"]) - mpmath.mpf(example["true"])
        assert abs(difference - mpmath.mpf(1) / 2) < mpmath.mpf(10) ** -25


@pytest.mark.parametrize("claim", [
    "dC_daL*w2*dsigma(z1)*dsigma(z2)*(Heaviside(z1**2-2) + Heaviside(2-z1**2))",
    "dC_daL*w2*dsigma(z1)*dsigma(z2)*(1 + abs(z1-sqrt(2)) - max(z1-sqrt(2), sqrt(2)-z1))",
    "dC_daL*w2*dsigma(z1)*dsigma(z2)*(1 + abs(a1-1/2) - max(a1-1/2, 1/2-a1))",
])
def test_a_correct_claim_with_an_irrational_kink_stays_correct(claim):
    """H(u) + H(-u) = 1 (1/2 + 1/2 at u = 0) and |u| = max(u, -u): each factor is 1
    everywhere, at the irrational kink too, so the claim is δ_1."""
    for u in (F(-1), F(0), F(2)):
        assert heaviside(u) + heaviside(-u) == 1 and abs(u) == max(u, -u)
    result, seconds = run("--depth", "2", "--act", "tanh", "--target", "delta1", "--claim",
                          claim, "--format", "json")
    assert exit_code(result, seconds) == 0, result.stdout[-1500:] + result.stderr


@pytest.mark.parametrize("argv, claim", [
    (["--depth", "2"], "dC_daL*w2*dsigma(z1)*dsigma(z2) + Heaviside(-(z1-1)**14)"),
    (["--depth", "2"], "dC_daL*w2*dsigma(z1)*dsigma(z2) + Heaviside(-(z1**13-1)**2)"),
    (["--depth", "2"], "dC_daL*w2*dsigma(z1)*dsigma(z2) + Heaviside(-(a1-a2)**2)"),
    (["--depth", "3", "--tied"], "dC_daL*w*dsigma(z2)*dsigma(z3) + Heaviside(-(z2-z3)**2)"),
])
def test_a_claim_whose_kinks_cannot_be_located_never_passes(argv, claim):
    """Kinks of degree 14 and 26 are past what is solved (MAX_KINK_DEGREE); a1 = a2 and a
    tied chain's z2 = z3 are equations in σ of the coordinates SymPy does not solve here.
    Each claim is off by 1/2 where its kink is 0 (z1 = 1; z1 = z2; w = 0), and the pieces
    between its kinks are not checked: refused (or found incorrect), never passed."""
    result, seconds = run(*argv, "--act", "tanh", "--target", "delta1" if "--tied" not in argv
                          else "delta2", "--claim", claim)
    assert exit_code(result, seconds) in NEVER_PASSES
    if result.returncode == 2:
        assert "cannot be decided" in result.stderr


@pytest.mark.parametrize("claim, factor", [
    ("dC_daL*w2*dsigma(z1)*dsigma(z2)*(1 + abs(z1-1/3) - max(z1-1/3, 1/3-z1))",
     lambda z1, a2: 1 + abs(z1 - F(1, 3)) - max(z1 - F(1, 3), F(1, 3) - z1)),
    ("dC_daL*w2*dsigma(z1)*dsigma(z2)*(1 + Heaviside(-(z1-1)**2)*Heaviside(a2-2))",
     lambda z1, a2: 1 + heaviside(-(z1 - 1) ** 2) * heaviside(a2 - 2)),
])
def test_a_correct_claim_with_kinks_of_its_own_stays_correct_on_them(claim, factor):
    """The factor is 1 everywhere (at the kink too: |0| = max(0, 0); tanh's a2 < 1 < 2), so
    the claim is δ_1; decided exactly on its kink, the point agrees."""
    for z1 in (F(1, 3), F(1), F(-2), F(5, 7)):
        for a2 in (F(-99, 100), F(0), F(99, 100)):
            assert factor(z1, a2) == 1
    result, seconds = run("--depth", "2", "--act", "tanh", "--target", "delta1", "--claim",
                          claim, "--format", "json")
    assert exit_code(result, seconds) == 0, result.stdout[-1500:] + result.stderr
    assert json.loads(result.stdout)["correct"] is True


# --- kinks that only a whole point of several coordinates meets -------------------------

def _sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def _at(example):
    """The counterexample's coordinates and names (sigmoid chain, depth 2), by mpmath from
    its shown z1, z2 (a forward pass written here), and claim − true."""
    with mpmath.workdps(70):
        point = {key: mpmath.mpf(value) for key, value in example["point"].items()}
        point["a1"], point["a2"] = _sigmoid(point["z1"]), _sigmoid(point["z2"])
        point["dC_daL"] = point["a2"] - point["y"]
        return point, mpmath.mpf(example["claim"]) - mpmath.mpf(example["true"])


@pytest.mark.parametrize("term, kink, value", [
    # never changes sign; 0 only where a1 = 1/2 (z1 = 0) and w2 = 1: one point of the plane
    ("Heaviside(-(a1-1/2)**2 - (w2-1)**2)", lambda p: (p["a1"] - HALF) ** 2 + (p["w2"] - 1) ** 2,
     HALF),
    # 0 only where a2 - y = 1 and w2 = 1: a point on a surface in names, not coordinates
    ("Heaviside(-(dC_daL-1)**2 - (w2-1)**2)",
     lambda p: (p["dC_daL"] - 1) ** 2 + (p["w2"] - 1) ** 2, HALF),
    # 0 where y = σ(z2) − 1/2, a transcendental number at every rational z2
    ("Heaviside(-(a2-y-1/2)**2)", lambda p: (p["a2"] - p["y"] - HALF) ** 2, HALF),
    ("Heaviside(-(a1+y)**2)", lambda p: (p["a1"] + p["y"]) ** 2, HALF),
    ("Heaviside(-(dC_daL-1)**2)", lambda p: (p["dC_daL"] - 1) ** 2, HALF),
    # 1 on a disk of radius 10^-3 (a set of positive measure) that no coordinate line
    # through a random point meets: its centre is the kink's critical point
    ("Heaviside(1/10**6 - (z1-5)**2 - (w2-3)**2)",
     lambda p: -(mpmath.mpf(10) ** -6 - (p["z1"] - 5) ** 2 - (p["w2"] - 3) ** 2), 1),
    ("Heaviside(1/10**6 - (a1-1/3)**2 - (w2-3)**2)",
     lambda p: -(mpmath.mpf(10) ** -6 - (p["a1"] - mpmath.mpf(1) / 3) ** 2 - (p["w2"] - 3) ** 2), 1),
])
def test_a_claim_off_only_where_several_coordinates_meet_is_incorrect(term, kink, value):
    """δ_1 + a Heaviside term that is 0 except on a point, a transcendental place, or a tiny
    disk no coordinate line through a random point crosses: incorrect (exit 1), with the
    counterexample where this test's own forward pass (mpmath, 70 digits) puts the kink
    (the argument is 0 there, or inside the disk), and claim − true the term's value."""
    result, seconds = run("--depth", "2", "--act", "sigmoid", "--target", "delta1", "--claim",
                          f"{DELTA1} + {term}", "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    point, difference = _at(json.loads(result.stdout)["counterexample"])
    with mpmath.workdps(70):
        if value == HALF:  # on the zero set (shown to 12 digits at least)
            assert abs(kink(point)) < mpmath.mpf(10) ** -20
        else:  # inside the disk
            assert kink(point) < 0
        assert abs(difference - mpmath.mpf(value.numerator) / value.denominator) < 1e-25


@pytest.mark.parametrize("claim, coordinate", [
    (f"{DELTA1} + Heaviside(-(z1**2-2)**2)", "z1"),
    (f"{DELTA1} + Heaviside(-(z1-w2)**2 - (w2**2-2)**2)", "w2"),
])
def test_a_relu_claim_off_only_at_an_irrational_place_is_incorrect(claim, coordinate):
    """A relu chain is checked in exact rationals, where √2 is only a 60-digit Fraction and
    Heaviside(−(z1² − 2)²) there is 0: the point is decided from its closed form (√2
    itself), so claim − true is 1/2 there and the claim is incorrect (exit 1), not
    'correct in exact arithmetic'."""
    result, seconds = run("--depth", "2", "--act", "relu", "--target", "delta1", "--claim",
                          claim, "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    with mpmath.workdps(70):
        assert abs(abs(mpmath.mpf(example["point"][coordinate])) - mpmath.sqrt(2)) < 1e-30
        difference = mpmath.mpf(example["claim"]) - mpmath.mpf(example["true"])
        assert abs(difference - mpmath.mpf(1) / 2) < 1e-25


@pytest.mark.parametrize("act", ["relu", "sigmoid"])
@pytest.mark.parametrize("factor", [
    "max(1, Heaviside(a2-y-1))",  # Heaviside ≤ 1: the max is 1 everywhere, ties included
    "max(1, Heaviside(z2-3))",
    "min(1, 2 - Heaviside(z1))",
    "(Heaviside(z1**2-2) + Heaviside(2-z1**2))",  # 1/2 + 1/2 at z1 = ±√2
])
def test_a_claim_with_a_factor_that_is_1_everywhere_is_correct(act, factor):
    """Each factor is 1 at every real point (checked here in Fractions at its ties), so
    the claim is δ_1: correct (exit 0) — a max of two equal values needs no digits to
    tell them apart, and an irrational tie of a relu chain is decided by its closed form."""
    for h in (F(0), HALF, F(1)):
        assert max(F(1), h) == 1 and min(F(1), 2 - h) == 1
    assert heaviside(F(0)) + heaviside(F(0)) == 1
    result, seconds = run("--depth", "2", "--act", act, "--target", "delta1", "--claim",
                          f"{DELTA1}*{factor}", "--format", "json")
    assert exit_code(result, seconds) == 0, result.stdout[-1500:] + result.stderr
    assert json.loads(result.stdout)["correct"] is True


def test_a_max_whose_arguments_differ_by_a_tiny_amount_is_still_incorrect():
    """max(1, 1 + 10^-50 H(z2 − 1)) is 1 + 10^-50 where z2 > 1: the tie rule for max must
    not swallow a difference the claim's own literal demands digits for."""
    result, seconds = run("--depth", "2", "--act", "sigmoid", "--target", "delta1", "--claim",
                          f"{DELTA1}*max(1, 1 + 10**-50*Heaviside(z2-1))", "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    with mpmath.workdps(80):
        ratio = mpmath.mpf(example["claim"]) / mpmath.mpf(example["true"]) - 1
        assert abs(ratio * mpmath.mpf(10) ** 50 - 1) < 1e-10
        assert mpmath.mpf(example["point"]["z2"]) > 1


# --- at a corner of σ only a subgradient is a convention ---------------------------------

def _relu_truth_range(point, target="delta1"):
    """δ_1 of a depth-2 relu chain at the point, for every choice of σ'(z_k) in {0, 1} where
    z_k = 0 (its one-sided slopes), else relu's slope: the least and the largest (a
    forward pass written here, in Fractions)."""
    z1, z2, w2, y = (F(point[name]) for name in ("z1", "z2", "w2", "y"))
    dC = max(z2, 0) - y

    def choices(z):
        return [F(0), F(1)] if z == 0 else [F(int(z > 0))]

    values = [dC * w2 * s1 * s2 for s1 in choices(z1) for s2 in choices(z2)]
    return min(values), max(values)


@pytest.mark.parametrize("act, claim", [
    ("relu", f"{DELTA1} + 1000*Heaviside(-z1**2)"),
    ("relu", "dC_daL*w2*dsigma(z2)*(Heaviside(z1)+5*Heaviside(-z1**2))"),
    ("relu", "dC_daL*w2*dsigma(z2)*(Heaviside(z1)-3*Heaviside(-z1**2))"),
    ("relu", f"{DELTA1} + Heaviside(-z2**2)*(1+w2**2)"),
    ("relu", "dC_daL*w2*Heaviside(z1)*Heaviside(z2)*(1+16*Heaviside(-z1**2)*Heaviside(-z2**2))"),
    ("relu", f"{DELTA1} + Heaviside(-z1**2)*x"),
    ("relu", "dC_daL*w2*Heaviside(z2)*(Heaviside(z1) + Heaviside(-z1**2)*(z1+7))"),
    # off at the corner only where another coordinate is past a kink of its own (w2 > 3)
    ("relu", "dC_daL*w2*Heaviside(z1)*Heaviside(z2) + 1000*Heaviside(-z1**2)*max(0, w2-3)"),
    ("relu", "dC_daL*w2*Heaviside(z1)*Heaviside(z2) + 1000*Heaviside(-z2**2)*max(0, w2-3)"),
])
def test_a_relu_claim_outside_every_subgradient_at_a_kink_is_incorrect(act, claim):
    """At z = 0 relu's σ' may be any subgradient in [0, 1] (Heaviside(0) = 1/2 is one), so
    δ_1 may be anything between its values at the two slopes — but a claim outside that
    range there (500 where δ_1 lies in [0, 0.3]) is wrong: exit 1, with the point on the
    kink and the claimed value outside this test's own range."""
    result, seconds = run("--depth", "2", "--act", act, "--target", "delta1", "--claim", claim,
                          "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    point = example["point"]
    assert F(point["z1"]) == 0 or F(point["z2"]) == 0
    low, high = _relu_truth_range(point)
    claimed = F(example["claim"])
    assert not low <= claimed <= high, (low, claimed, high)


@pytest.mark.parametrize("act, argv, claim", [
    ("leaky_relu", ["--depth", "2"], f"{DELTA1} + 10*Heaviside(-z1**2)"),
    ("elu:2", ["--depth", "2"], f"{DELTA1} + 5*Heaviside(-z1**2)"),  # slopes 1 and 2 at 0
    ("min(max(x,-1),1)", ["--depth", "2"], f"{DELTA1} + 5*Heaviside(-(z1-1)**2)"),
    ("x*Heaviside(abs(x)-1)", ["--depth", "2"], f"{DELTA1} + Heaviside(-(z1-1)**2)"),  # a jump
    ("relu", ["--depth", "2", "--residual"],
     "dC_daL*(1+w2*dsigma(z2))*dsigma(z1) + 1000*Heaviside(-z1**2)"),
    ("relu", ["--depth", "2", "--cost", "cross-entropy"], f"{DELTA1} + 1000*Heaviside(-z1**2)"),
    ("relu", ["--widths", "2,3,2"], "(w_2_1_1*(a_2_1-y_1)*dsigma(z_2_1) + w_2_2_1*(a_2_2-y_2)"
     "*dsigma(z_2_2))*dsigma(z_1_1) + 10*Heaviside(-z_1_1**2)"),
])
def test_a_claim_off_by_more_than_a_subgradient_at_any_corner_is_never_passed(act, argv, claim):
    """The same for leaky relu, elu with α = 2, hardtanh's corner at 1, a jump (where no
    value lies between), a residual chain, cross-entropy and a relu net: never exit 0."""
    target = "delta1_1" if "--widths" in argv else "delta1"
    result, seconds = run(*argv, "--act", act, "--target", target, "--claim", claim)
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr


@pytest.mark.parametrize("act, argv, claim", [
    ("relu", ["--depth", "2"], "dC_daL*w2*Heaviside(z1)*Heaviside(z2)"),  # 1/2 at 0
    ("relu", ["--depth", "2"], "dC_daL*w2*dsigma(z2)*(Heaviside(z1) + Heaviside(-z1**2)/2)"),  # 1
    ("relu", ["--depth", "2"], "dC_daL*w2*dsigma(z2)*(Heaviside(z1) - Heaviside(-z1**2)/2)"),  # 0
    ("leaky_relu", ["--depth", "2"], "dC_daL*w2*dsigma(z2)*(1/100 + 99/100*Heaviside(z1))"),
    ("relu", ["--depth", "2", "--residual"], "dC_daL*(1+w2*Heaviside(z2))*Heaviside(z1)"),
    ("relu", ["--depth", "3", "--tied"], "dC_daL*w**2*Heaviside(z1)*Heaviside(z2)*Heaviside(z3)"),
])
def test_a_subgradient_at_a_corner_is_still_a_convention(act, argv, claim):
    """Values between the one-sided slopes at a corner (1/2, and both ends 0 and 1, for
    relu; 1/100 + 99/200 for leaky relu) are subgradients: correct (exit 0)."""
    result, seconds = run(*argv, "--act", act, "--target", "delta1", "--claim", claim)
    assert exit_code(result, seconds) == 0, result.stdout[-1500:] + result.stderr


# --- second hostile review: σ' recognised but used non-linearly, conventions along a
# kinked coordinate, places closer than their rounding, constants SymPy cannot decide ----

P_SQUARE = ("((Heaviside(z1)+w2)*(Heaviside(2*z1)+w2)-w2*Heaviside(z1)-w2*Heaviside(2*z1)"
            "-w2**2)")  # Heaviside(z1)·Heaviside(2 z1): 1 or 0 off z1 = 0, 1/4 there


@pytest.mark.parametrize("claim", [
    "dC_daL*w2*Heaviside(z2)*(-10*(Heaviside(z1)+1)**2+31*Heaviside(z1)+10)",
    f"dC_daL*w2*Heaviside(z2)*(-10*{P_SQUARE}+11*Heaviside(z1))",
])
def test_a_recognised_slope_used_non_linearly_is_incorrect_at_the_corner(claim):
    """Off z1 = 0 each bracket is Heaviside(z1) (h² = h for h in {0, 1}); at z1 = 0, with
    Heaviside(0) = 1/2, it is −10·9/4 + 31/2 + 10 = 3 and −10/4 + 11/2 = 3: no value of
    σ'(0) in [0, 1]. Incorrect, the counterexample on z1 = 0 outside this test's range."""
    def bracket(h):  # the first bracket, from this test's own algebra (both are 3 at 1/2)
        return -10 * (h + 1) ** 2 + 31 * h + 10
    for h in (F(0), F(1)):  # (off the corner: each bracket is Heaviside(z1))
        assert bracket(h) == h == -10 * h * h + 11 * h
    result, seconds = run("--depth", "2", "--act", "relu", "--target", "delta1", "--claim",
                          claim, "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    point = {k: F(v) for k, v in example["point"].items()}
    assert point["z1"] == 0
    low, high = _relu_truth_range(example["point"])
    assert not low <= F(example["claim"]) <= high
    claimed = (max(point["z2"], 0) - point["y"]) * point["w2"] * heaviside(point["z2"]) \
        * bracket(HALF)  # (3: no σ'(0) in [0, 1] gives it)
    assert abs(F(example["claim"]) - claimed) < F(1, 10**20)


@pytest.mark.parametrize("argv, claim", [
    (["--depth", "2", "--tied"], "dC_daL*w*Heaviside(z2)*(-10*(Heaviside(z1)+1)**2"
                                 "+31*Heaviside(z1)+10)"),
    (["--widths", "2,2,1"], "w_2_1_1*(a_2_1-y_1)*Heaviside(z_2_1)*(-10*(Heaviside(z_1_1)+1)**2"
                            "+31*Heaviside(z_1_1)+10)"),
    (["--depth", "2"], f"dC_daL*w2*Heaviside(z2)*(Heaviside(z1) + 4*w2*{P_SQUARE}"
                       "- 4*w2*Heaviside(z1))"),  # 1/2 − w2 at z1 = 0
])
def test_a_recognised_slope_used_non_linearly_never_passes(argv, claim):
    target = "delta1_1" if "--widths" in argv else "delta1"
    result, seconds = run(*argv, "--act", "relu", "--target", target, "--claim", claim)
    assert exit_code(result, seconds) in NEVER_PASSES, result.stdout[-1500:]


@pytest.mark.parametrize("extra, implied", [
    ("z2**2/(8*(1+z2**2))", lambda z2: HALF + z2**2 / (16 * (1 + z2**2))),
    ("z2/(4*(1+z2**2))", lambda z2: HALF + z2 / (8 * (1 + z2**2))),
])
def test_a_convention_that_changes_along_a_kinked_coordinate_is_incorrect(extra, implied):
    """σ'(0) = 1/2 + Heaviside(0)·extra(z2) at z1 = 0: within [0, 1], but not one value —
    it changes with z2 inside one of z2's pieces. The two points shown imply the values
    this test computes from their own z2."""
    result, seconds = run("--depth", "2", "--act", "relu", "--target", "delta1", "--claim",
                          f"dC_daL*w2*dsigma(z2)*(Heaviside(z1)+Heaviside(-z1**2)*{extra})",
                          "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    here = {k: F(v) for k, v in example["point"].items()}
    there = {k: F(v) for k, v in example["convention"]["other_point"].items()}
    assert here["z1"] == there["z1"] == 0 and here["z2"] > 0 and there["z2"] > 0
    assert implied(here["z2"]) != implied(there["z2"])
    for shown, point in ((example["convention"]["here"], here),
                         (example["convention"]["elsewhere"], there)):
        assert abs(F(shown) - implied(point["z2"])) < F(1, 10**20)


R80 = "1.41421356237309504880168872420969807856967187537694807317667973799073247846210703"


@pytest.mark.parametrize("act, claim", [
    ("tanh", f"{DELTA1} + min(max(z1-{R80},0), max(sqrt(2)-z1,0))*1e80"),
    ("relu", f"{DELTA1} + min(max(z1-{R80},0), max(sqrt(2)-z1,0))"),
])
def test_a_piece_narrower_than_an_irrational_places_rounding_is_checked(act, claim):
    """R80 is √2 cut to 80 decimals (below it): the claim is off on (R80, √2) only, a piece
    10^-80 wide that a 60-digit rounding of √2 would hide. The counterexample lies inside
    it (checked here with mpmath at 120 digits)."""
    with mpmath.workdps(120):
        assert 0 < mpmath.sqrt(2) - mpmath.mpf(R80) < mpmath.mpf(10) ** -80
    result, seconds = run("--depth", "2", "--act", act, "--target", "delta1", "--claim", claim,
                          "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-1500:] + result.stderr
    with mpmath.workdps(120):
        z1 = mpmath.mpf(json.loads(result.stdout)["counterexample"]["point"]["z1"])
        assert mpmath.mpf(R80) < z1 < mpmath.sqrt(2)


ZERO = "(atan(1/2)+atan(1/3)-pi/4)"  # exactly 0 (Machin-like), which is_zero cannot tell


@pytest.mark.parametrize("act, claim, correct", [
    ("tanh", f"{DELTA1} + Heaviside(z1-{ZERO})*Heaviside(-z1)", False),
    ("relu", f"dC_daL*w2*Heaviside(z2)*(Heaviside(z1)+Heaviside(z1-{ZERO})*Heaviside({ZERO}-z1)*5)",
     False),
    ("tanh", f"{DELTA1}*2*Heaviside({ZERO})", True),
])
def test_a_constant_sympy_cannot_show_is_zero_is_never_guessed(act, claim, correct):
    """atan(1/2) + atan(1/3) = π/4, so the first two claims are off at z1 = 0 and the third
    is δ_1 (2 Heaviside(0) = 1): a kink at that constant is never decided by rounding —
    never a pass for the wrong ones, never 'incorrect' for the right one."""
    with mpmath.workdps(200):
        assert abs(mpmath.atan(mpmath.mpf(1) / 2) + mpmath.atan(mpmath.mpf(1) / 3)
                   - mpmath.pi / 4) < mpmath.mpf(10) ** -190
    result, seconds = run("--depth", "2", "--act", act, "--target", "delta1", "--claim", claim)
    assert exit_code(result, seconds) in ((0, 2) if correct else NEVER_PASSES), result.stdout[-800:]
    if result.returncode == 2:
        assert "cannot be decided" in result.stderr or "neither show it is 0" in result.stderr


@pytest.mark.parametrize("claim", [f"{DELTA1} + 0**(z1**2)", f"{DELTA1} + 0**((z1-1)**2)",
                                   f"{DELTA1}*(-1)**z1"])
def test_a_power_of_a_constant_that_is_not_positive_is_refused(claim):
    """0**u is 1 where u = 0 and 0 elsewhere (a kink in disguise); (−1)**z1 is not real:
    a varying exponent is read as exp(u log a), for a > 0 only."""
    result, seconds = run("--depth", "2", "--act", "tanh", "--target", "delta1", "--claim", claim)
    assert exit_code(result, seconds) == 2 and "power of a number" in result.stderr


@pytest.mark.parametrize("act, argv, claim", [
    ("tanh", [], f"{DELTA1} + (z1-sqrt(2))*Heaviside(-(z1-sqrt(2))**2)"),
    ("tanh", [], f"{DELTA1}*(1 + (z1**2-2)*Heaviside(2-z1**2)*Heaviside(z1**2-2))"),
    ("sigmoid", [], f"{DELTA1} + (a2-y)*Heaviside(-(a2-y)**2)"),
    ("sigmoid", ["--cost", "cross-entropy"], "(a2-y)*w2*a1*(1-a1)*(1+Heaviside(-(a2-y)**2))"),
])
def test_a_factor_that_is_0_at_an_irrational_kink_is_never_called_wrong(act, argv, claim):
    """Each extra term is 0 everywhere (its factor vanishes exactly where its Heaviside is
    not 0), so the claim is δ_1: never 'incorrect' (a point at √2 rounded to 60 digits
    would make the factor 10^-61 and the claim look off)."""
    result, seconds = run("--depth", "2", "--act", act, *argv, "--target", "delta1", "--claim",
                          claim)
    assert exit_code(result, seconds) in (0, 2), result.stdout[-1500:]
    if result.returncode == 2:  # (the factor's exact 0 at √2 takes more digits than allowed)
        assert "cannot be decided" in result.stderr and "digits" in result.stderr


# --- third hostile review: domains SymPy cannot locate, σ' recognised at an irrational
# place, values rounding puts at the edge of a domain, kinks past 10^308 ---------------

@pytest.mark.parametrize("act, claim", [
    ("sigmoid", f"{DELTA1}*(z1-sinh(z1))/(z1-sinh(z1))"),  # undefined at z1 = 0
    ("sigmoid", f"{DELTA1}*(z1+exp(z1))/(z1+exp(z1))"),  # at z1 = −W(1)
    ("sigmoid", f"{DELTA1} + sqrt(z1**14-10**-30) - sqrt(z1**14-10**-30)"),  # |z1| < 0.007
    ("relu", f"{DELTA1}*(w2-exp(-w2))/(w2-exp(-w2))"),  # at w2 = W(1)
])
def test_a_claim_undefined_where_sympy_cannot_locate_never_passes(act, claim):
    """SymPy cancels each to δ_1, but as written the claim is undefined somewhere δ_1 is
    defined (0/0 at the places shown)."""
    result, seconds = run("--depth", "2", "--act", act, "--target", "delta1", "--claim", claim)
    assert exit_code(result, seconds) in NEVER_PASSES, result.stdout[-800:]


@pytest.mark.parametrize("act, argv, claim", [
    ("sigmoid", [], "dC_daL*w2*(dsigma(z1)+Heaviside(-(z1**2-2)**2))*dsigma(z2)"),
    ("tanh", [], "dC_daL*w2*(dsigma(z1)+Heaviside(-(exp(z1)-3)**2))*dsigma(z2)"),
    ("relu", [], "dC_daL*w2*(Heaviside(z1)+Heaviside(-(z1**2-2)**2))*Heaviside(z2)"),
    ("sigmoid", ["--tied"], "dC_daL*w*(dsigma(z1)+Heaviside(-(z1**2-2)**2))*dsigma(z2)"),
])
def test_a_slope_written_with_an_extra_value_at_an_irrational_place_is_incorrect(act, argv,
                                                                                  claim):
    """The part in brackets is σ'(z1) except at z1 = √2 (log 3), where σ is smooth and
    the part is σ'(z1) + 1/2: not σ' written another way, and the claim is wrong there."""
    result, seconds = run("--depth", "2", *argv, "--act", act, "--target", "delta1",
                          "--claim", claim)
    assert exit_code(result, seconds) in NEVER_PASSES, result.stdout[-800:]
    if not argv:
        assert result.returncode == 1


@pytest.mark.parametrize("act, claim, settled", [
    ("sigmoid", f"{DELTA1}*(1+tanh(60+z1**2))*exp(-120-2*z1**2)/(1-tanh(60+z1**2))", True),
    ("sigmoid", f"{DELTA1}*log(1-tanh(60+z1**2))/log(1-tanh(60+z1**2))", True),
    ("sigmoid", f"{DELTA1} + sqrt(cosh(z1)**2-sinh(z1)**2-1)", False),
    ("relu", f"{DELTA1} + sqrt(cosh(z1)**2-sinh(z1)**2-1)", False),
])
def test_a_value_rounding_puts_at_a_domain_edge_is_not_undefined(act, claim, settled):
    """1 − tanh(60 + z1²) is about 10^-52, 0 at 40 digits; cosh² − sinh² − 1 is exactly 0,
    slightly below at any digits: each claim is δ_1 (checked here at 100 digits), never
    'incorrect' because rounding made it look undefined: more digits settle the first two
    (correct), and no number of digits the last two (refused, saying how far it got)."""
    with mpmath.workdps(100):
        t = mpmath.tanh(60 + mpmath.mpf(1) / 9)  # (z1 = 1/3)
        assert (1 + t) * mpmath.exp(-120 - mpmath.mpf(2) / 9) / (1 - t) == pytest.approx(1, rel=1e-40)
    result, seconds = run("--depth", "2", "--act", act, "--target", "delta1", "--claim", claim)
    assert exit_code(result, seconds) == (0 if settled else 2), result.stdout[-800:]
    if not settled:
        assert "cannot be decided" in result.stderr and "digits" in result.stderr


def test_a_kink_past_10_to_the_308_is_checked():
    """Heaviside(z1 − 10^400) doubles δ_1 past z1 = 10^400: incorrect, with z1 there."""
    result, seconds = run("--depth", "2", "--act", "relu", "--target", "delta1", "--claim",
                          f"{DELTA1}*(1+Heaviside(z1-10**400))", "--format", "json")
    assert exit_code(result, seconds) == 1, result.stdout[-800:] + result.stderr
    example = json.loads(result.stdout)["counterexample"]
    assert F(example["point"]["z1"]) > 10**400
    assert abs(F(example["claim"]) / F(example["true"]) - 2) < F(1, 10**25)


def test_a_relu_net_claim_in_heaviside_is_proved_at_six_hidden_units():
    """∂C/∂a⁰ of a 1-6-1 relu net written with Heaviside for σ': 7 kinked units, a grid
    of 3^7 cells, but each Heaviside is σ' written another way (1/2 at 0, between relu's
    slopes), and so is the truth's own σ' (a Piecewise in a): proved, exit 0, with the
    convention 1/2 named at every unit."""
    units = range(1, 7)
    claim = ("(a_2_1-y_1)*Heaviside(z_2_1)*("
             + "+".join(f"w_1_{j}_1*Heaviside(z_1_{j})*w_2_1_{j}" for j in units) + ")")
    result, seconds = run("--widths", "1,6,1", "--act", "relu", "--target", "input_gradient_1",
                          "--claim", claim, "--format", "json")
    assert exit_code(result, seconds) == 0, result.stdout[-800:] + result.stderr
    data = json.loads(result.stdout)
    assert data["proved"]
    assert sorted(c["name"] for c in data["conventions"]) == sorted(
        [f"z_1_{j}" for j in units] + ["z_2_1"])
    assert all(F(c["claim"]) == HALF and F(c["derivative"]) == 0 for c in data["conventions"])
