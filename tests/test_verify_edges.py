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

import pytest
import sympy

import symgrad
from tests.oracle import composed_cost, cross_entropy, quadratic

MEMORY = 1 << 30  # 1 GiB of address space
SECONDS = 30  # every verify must finish or refuse within this


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(*args):
    """The CLI in a subprocess: (completed process, seconds)."""
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "symgrad.cli", "verify", *args],
                            capture_output=True, text=True, timeout=3 * SECONDS,
                            preexec_fn=_limit_memory)
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


def never_passes(result, seconds):
    """Incorrect (exit 1) or refused (exit 2, one sentence): never exit 0."""
    check_clean(result, seconds)
    assert result.returncode in (1, 2), result.stdout[-2000:]


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
    never_passes(result, seconds)


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
    never_passes(result, seconds)


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
    never_passes(wrong, seconds)


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
        never_passes(result, seconds)


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
    never_passes(result, seconds)


@pytest.mark.slow
def test_a_deep_chain_with_a_hostile_factor_is_bounded():
    depth = 50
    claim = f"({textbook(1, depth)})*exp((w1+w2+z1+z2)**1000*1e-1000)"
    result, seconds = run("--depth", str(depth), "--target", "delta1", "--claim", claim)
    never_passes(result, seconds)


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
