"""``symgrad verify --cell rnn|lstm|gru --steps T`` (issue 16): a hand-derived gradient of a
recurrent cell, checked against an oracle of the test's own, never symgrad's derivation.

The oracle: each cell's forward pass written here as torch computes it (input and hidden
size 1), composed over T steps into C = ½(h_T − y)², differentiated by ``sympy.diff``;
the gates the result holds are then written by their step names (i1, f2, ...), which
this file's own forward pass defines, so that the claim stays short. A wrong claim (a
forget gate left out, an update gate's two roles swapped, a missing weight) must come
out incorrect with a counterexample whose claimed and true values this file recomputes:
the claim from its own forward values at that point, the truth by ``mpmath.diff`` of its
own forward pass.
"""

import json
import os
from pathlib import Path

import mpmath
import pytest
import sympy

import symgrad
from symgrad.verify import MAX_VERIFY_STEPS
from tests.process import symgrad_process
from tests.test_json_schema import errors as schema_errors

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
DIGITS = 40


def run(*args):
    return symgrad_process("verify", *args, env=ENV, timeout=300)


def verdict(*args):
    """(exit code, the JSON verdict) of ``symgrad verify ... --format json``."""
    result = run(*args, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def S(name):
    return sympy.Symbol(name, real=True)


# -- the test's own cells, as torch computes them ----------------------------------------

class SymPyFunctions:
    """The oracle's functions: the logistic function through tanh, 1/(1 + e^-u) =
    (1 + tanh(u/2))/2, so that its derivative reads through tanh (and the gate's name)."""
    tanh = staticmethod(sympy.tanh)

    @staticmethod
    def sigmoid(u):
        return (1 + sympy.tanh(u / 2)) / 2


class MpmathFunctions:
    tanh = staticmethod(mpmath.tanh)

    @staticmethod
    def sigmoid(u):
        return 1 / (1 + mpmath.exp(-u))


PARAMETERS = {
    "rnn": ["u", "w", "b"],
    "lstm": [p + g for g in "ifgo" for p in "uwb"],
    "gru": ["ur", "wr", "br", "uz", "wz", "bz", "un", "wn", "bn", "dn"],
}
STATE = {"rnn": ["h"], "lstm": ["h", "c"], "gru": ["h"]}


def unrolled(cell, v, steps, f):
    """The forward pass over ``steps`` from ``v`` (parameters, x1.., h0, c0 by name) with the
    functions ``f``: every step quantity by its name (z1, h1; i1, f1, g1, o1, c1, h1;
    r1, z1, n1, h1), and the cost C."""
    q = dict(v)
    h = v["h0"]
    c = v.get("c0")
    for t in range(1, steps + 1):
        x = v[f"x{t}"]
        if cell == "rnn":  # torch.nn.RNN, tanh
            q[f"z{t}"] = v["u"] * x + v["w"] * h + v["b"]
            h = q[f"h{t}"] = f.tanh(q[f"z{t}"])
        elif cell == "lstm":  # torch.nn.LSTM: c' = f c + i g, h' = o tanh(c')
            pre = {g: v["u" + g] * x + v["w" + g] * h + v["b" + g] for g in "ifgo"}
            i, fg, o = (f.sigmoid(pre[g]) for g in "ifo")
            g = f.tanh(pre["g"])
            c = fg * c + i * g
            h = o * f.tanh(c)
            q.update({f"i{t}": i, f"f{t}": fg, f"g{t}": g, f"o{t}": o, f"c{t}": c, f"h{t}": h})
        else:  # torch.nn.GRU: n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h
            r = f.sigmoid(v["ur"] * x + v["wr"] * h + v["br"])
            z = f.sigmoid(v["uz"] * x + v["wz"] * h + v["bz"])
            n = f.tanh(v["un"] * x + v["bn"] + r * (v["wn"] * h + v["dn"]))
            h = (1 - z) * n + z * h
            q.update({f"r{t}": r, f"z{t}": z, f"n{t}": n, f"h{t}": h})
    q["C"] = (h - v["y"]) ** 2 / 2
    return q


def coordinates(cell, steps):
    return [*PARAMETERS[cell], *(f"x{t}" for t in range(1, steps + 1)),
            *(f"{s}0" for s in STATE[cell]), "y"]


def oracle(cell, steps, wrt, named=True):
    """sympy.diff of the composed cost with respect to ``wrt``; ``named``: each gate's
    node (a sigmoid's tanh(u/2), a tanh gate) written by its step name."""
    v = {name: S(name) for name in coordinates(cell, steps)}
    q = unrolled(cell, v, steps, SymPyFunctions)
    derivative = sympy.diff(q["C"], v[wrt])
    if not named:
        return derivative
    names = {}
    for t in range(1, steps + 1):
        for gate in {"lstm": "ifo", "gru": "rz", "rnn": ""}[cell]:
            node = 2 * q[f"{gate}{t}"] - 1  # the sigmoid's tanh(u/2) = 2 sigmoid(u) - 1
            assert isinstance(node, sympy.tanh)
            names[node] = 2 * S(f"{gate}{t}") - 1
        for gate in {"lstm": "g", "gru": "n", "rnn": "h"}[cell]:
            assert isinstance(q[f"{gate}{t}"], sympy.tanh)
            names[q[f"{gate}{t}"]] = S(f"{gate}{t}")
    return derivative.xreplace(names)


def text(expr):
    return sympy.sstr(expr)


def numbers_at(point: dict[str, str]) -> dict:
    return {name: mpmath.mpf(value) for name, value in point.items()}


def check_counterexample(cell, steps, wrt, claim, data):
    """The counterexample's claimed value is the claim at its point (the test's forward
    values put in), its true value mpmath.diff of the test's forward pass there."""
    example = data["counterexample"]
    assert example is not None
    with mpmath.workdps(DIGITS):
        point = numbers_at(example["point"])
        assert set(point) == set(coordinates(cell, steps))
        values = unrolled(cell, point, steps, MpmathFunctions)

        def cost(value):
            return unrolled(cell, {**point, wrt: value}, steps, MpmathFunctions)["C"]

        true = mpmath.diff(cost, point[wrt])
        known = {S(name): sympy.Float(str(value), DIGITS) for name, value in values.items()
                 if name != "C"}
        claimed = mpmath.mpf(str(sympy.N(claim.xreplace(known), DIGITS)))
        assert mpmath.almosteq(true, mpmath.mpf(example["true"]), rel_eps=mpmath.mpf(10) ** -25)
        assert mpmath.almosteq(claimed, mpmath.mpf(example["claim"]),
                               rel_eps=mpmath.mpf(10) ** -25)
        assert not mpmath.almosteq(claimed, true, rel_eps=mpmath.mpf(10) ** -6)


# -- correct claims from the oracle ------------------------------------------------------

ORACLE_CASES = [
    ("rnn", 3, "w"), ("rnn", 3, "u"), ("rnn", 3, "b"), ("rnn", 3, "h0"),
    ("lstm", 2, "bf"), ("lstm", 2, "wi"), ("lstm", 2, "uo"), ("lstm", 2, "h0"), ("lstm", 2, "c0"),
    ("gru", 2, "wn"), ("gru", 2, "dn"), ("gru", 2, "wz"), ("gru", 2, "br"), ("gru", 2, "h0"),
]


@pytest.mark.parametrize("cell, steps, wrt", ORACLE_CASES)
def test_sympy_diff_of_the_unrolled_cell_is_accepted(cell, steps, wrt):
    claim = oracle(cell, steps, wrt)
    code, data = verdict("--cell", cell, "--steps", str(steps), "--target", f"grad_{wrt}",
                         "--claim", text(claim))
    assert code == 0 and data["correct"], data
    assert data["counterexample"] is None and data["points_checked"] >= 16
    assert data["cell"] == cell and data["steps"] == steps and data["depth"] is None
    assert schema_errors("verify", data) == []


def test_the_rnn_oracle_in_the_primitive_names_alone_is_accepted():
    """No step name at all: tanh of the composed preactivations, as sympy.diff prints it."""
    claim = oracle("rnn", 2, "w", named=False)
    assert not {s.name for s in claim.free_symbols} & {"h1", "h2", "z1", "z2"}
    assert symgrad.verify(text(claim), "grad_w", cell="rnn", steps=2).correct


# -- wrong claims: a slip each, and the counterexample recomputed -------------------------

def _forget_gate_left_out(claim):
    return claim.xreplace({S("f1"): 1})


def _update_gate_swapped(claim):
    return claim.xreplace({S("z2"): 1 - S("z2")})


WRONG_CASES = [
    ("lstm", 2, "c0", _forget_gate_left_out),
    ("lstm", 2, "bi", _forget_gate_left_out),
    ("gru", 2, "wn", _update_gate_swapped),
    ("gru", 2, "h0", lambda claim: -claim),  # the cost's derivative with its sign flipped
    ("rnn", 3, "u", lambda claim: claim.xreplace({S("x1"): 0})),  # the first step's path lost
]


@pytest.mark.parametrize("cell, steps, wrt, slip", WRONG_CASES)
def test_a_slip_is_rejected_with_a_counterexample_mpmath_confirms(cell, steps, wrt, slip):
    right = oracle(cell, steps, wrt)
    wrong = slip(right)
    code, data = verdict("--cell", cell, "--steps", str(steps), "--target", f"grad_{wrt}",
                         "--claim", text(wrong))
    assert code == 1 and data["correct"] is False and data["proved"], data
    check_counterexample(cell, steps, wrt, wrong, data)
    assert schema_errors("verify", data) == []


def test_a_forget_gate_left_out_at_one_step_is_a_ratio_of_1_over_f1():
    code, data = verdict("--cell", "lstm", "--steps", "1", "--target", "grad_c0", "--claim",
                         "(h1-y)*o1*(1-tanh(c1)**2)")
    assert code == 1 and data["ratio"] == "1/f1"
    check_counterexample("lstm", 1, "c0", sympy.sympify(
        "(h1-y)*o1*(1-tanh(c1)**2)", locals={n: S(n) for n in ("h1", "y", "o1", "c1")}), data)


# -- hand-derived claims in step names ---------------------------------------------------

# rnn, T = 2: C = ½(h2 − y)², h_t = σ(z_t), z_t = u x_t + w h_{t−1} + b. ∂z2/∂w = h1 + w
# ∂h1/∂w = h1 + w σ'(z1) h0, so ∂C/∂w = (h2 − y) σ'(z2) (h1 + w σ'(z1) h0).
HAND_GRAD_W = "(h2 - y)*dsigma(z2)*(h1 + w*dsigma(z1)*h0)"


def test_the_hand_derived_rnn_gradient_is_correct_and_proved():
    # (first the hand derivation against the oracle, for tanh: σ' = 1 − h²)
    hand = sympy.sympify("(h2 - y)*(1 - h2**2)*(h1 + w*(1 - h1**2)*h0)",
                         locals={n: S(n) for n in ("h2", "h1", "h0", "w", "y")})
    assert sympy.expand(hand - oracle("rnn", 2, "w")) == 0
    result = run("--cell", "rnn", "--steps", "2", "--target", "grad_w", "--claim", HAND_GRAD_W)
    assert result.returncode == 0, result.stderr
    assert "tanh rnn cell, 2 steps" in result.stdout
    assert "simplifies to 0" in result.stdout


@pytest.mark.parametrize("act", ["sigmoid", "relu"])
def test_the_hand_derived_rnn_gradient_holds_for_any_activation(act):
    result = symgrad.verify(HAND_GRAD_W, "grad_w", cell="rnn", steps=2, act=act)
    assert result.correct and result.symbolic == "zero"
    slip = symgrad.verify("(h2 - y)*dsigma(z2)*(h1 + dsigma(z1)*h0)", "grad_w", cell="rnn",
                          steps=2, act=act)
    assert not slip.correct and slip.counterexample is not None
    if act == "relu":  # (piecewise linear: exact rationals)
        assert slip.arithmetic == "rational"


def test_the_missing_weight_reads_as_its_ratio_and_a_recomputed_counterexample():
    code, data = verdict("--cell", "rnn", "--steps", "2", "--target", "grad_w", "--claim",
                         "(h2 - y)*dsigma(z2)*(h1 + dsigma(z1)*h0)")
    assert code == 1 and data["ratio"] == "(h0*dsigma(z1) + h1)/(h0*w*dsigma(z1) + h1)"
    tanh_form = sympy.sympify("(h2 - y)*(1 - h2**2)*(h1 + (1 - h1**2)*h0)",
                              locals={n: S(n) for n in ("h2", "h1", "h0", "y")})
    check_counterexample("rnn", 2, "w", tanh_form, data)


def test_a_gate_may_be_written_through_sigmoid():
    claim = "(h1 - y)*o1*(1 - tanh(c1)**2)*c0*sigmoid(uf*x1 + wf*h0 + bf)*(1 - f1)"
    assert symgrad.verify(claim, "grad_bf", cell="lstm", steps=1).correct


def test_the_lstm_bias_gradient_sums_the_steps():
    """∂C/∂b_f at T = 2 by hand: the step-2 term through ∂C/∂c2 = ∂C/∂h2 o2 (1 − tanh²c2),
    the step-1 term through ∂C/∂c1, which gathers ∂C/∂h1 (every gate of step 2 reads h1)
    and the carousel f2."""
    dh2 = "(h2 - y)"
    dc2 = f"{dh2}*o2*(1 - tanh(c2)**2)"
    dh1 = (f"({dh2}*(wo*o2*(1 - o2)*tanh(c2)) + {dc2}*(wf*f2*(1 - f2)*c1 + wi*i2*(1 - i2)*g2"
           f" + wg*(1 - g2**2)*i2))")
    dc1 = f"({dh1}*o1*(1 - tanh(c1)**2) + {dc2}*f2)"
    claim = f"{dc2}*f2*(1 - f2)*c1 + {dc1}*f1*(1 - f1)*c0"
    assert symgrad.verify(claim, "grad_bf", cell="lstm", steps=2).correct
    # the carousel f2 left out of ∂C/∂c1
    wrong = claim.replace(f" + {dc2}*f2)", ")")
    assert wrong != claim
    assert not symgrad.verify(wrong, "grad_bf", cell="lstm", steps=2).correct


def test_the_longest_unroll_answers():
    result = run("--cell", "gru", "--steps", str(MAX_VERIFY_STEPS), "--target", "grad_dn",
                 "--claim", "(h12 - y)*(1 - z12)*(1 - n12**2)*r12")
    assert result.returncode == 1, result.stderr
    assert "gru cell, 12 steps" in result.stdout


# -- formats -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, shown", [("text", "lstm cell, 1 step"),
                                        ("latex", r"\frac{\partial C}{\partial b_{f}}"),
                                        ("markdown", "lstm cell, 1 step")])
def test_every_format_describes_the_cell(fmt, shown):
    result = run("--cell", "lstm", "--steps", "1", "--target", "grad_bf", "--claim",
                 "(h1 - y)*o1*(1 - tanh(c1)**2)*c0*f1", "--format", fmt)
    assert result.returncode == 1, result.stderr
    assert shown in result.stdout and "A counterexample" in result.stdout


def test_json_names_the_parameters_plainly():
    code, data = verdict("--cell", "lstm", "--steps", "1", "--target", "grad_wf", "--claim",
                         "(h1 - y)*o1*(1 - tanh(c1)**2)*c0*f1*(1 - f1)*h0")
    assert code == 0
    assert data["activation"] is None and data["cost"] == "quadratic" and data["widths"] is None
    chain = symgrad.render(symgrad.verify("w2*dsigma(z1)*dsigma(z2)*dC_daL", "delta1", depth=2),
                           "json")
    assert json.loads(chain)["cell"] is None and json.loads(chain)["steps"] is None
    code, data = verdict("--cell", "lstm", "--steps", "1", "--target", "grad_wf", "--claim", "wf")
    assert code == 1 and "wf" in data["claim"] and "w_f" not in data["ratio"] + data["true"]


# -- bad input ---------------------------------------------------------------------------

BAD = [
    (["--cell", "lstm", "--steps", "3", "--target", "grad_q", "--claim", "1"],
     "Unknown target 'grad_q'; use grad_ui, grad_wi"),
    (["--cell", "lstm", "--steps", "3", "--target", "grad_bf", "--claim", "x4*f3"],
     "unknown name 'x4'"),
    (["--cell", "lstm", "--steps", "3", "--target", "grad_bf", "--claim", "h4"],
     "unknown name 'h4'"),
    (["--cell", "lstm", "--steps", "0", "--target", "grad_bf", "--claim", "1"],
     "at least 1"),
    (["--cell", "lstm", "--steps", str(MAX_VERIFY_STEPS + 1), "--target", "grad_bf", "--claim", "1"],
     f"1 to {MAX_VERIFY_STEPS} steps"),
    (["--cell", "lstm", "--steps", "3", "--depth", "3", "--target", "grad_bf", "--claim", "1"],
     "--depth belongs to a chain"),
    (["--cell", "gru", "--steps", "3", "--tied", "--target", "grad_wn", "--claim", "1"],
     "--tied belongs to a chain"),
    (["--cell", "gru", "--steps", "3", "--cost", "cross-entropy", "--target", "grad_wn",
      "--claim", "1"], "--cost belongs to a chain"),
    (["--cell", "lstm", "--steps", "3", "--act", "tanh", "--target", "grad_bf", "--claim", "1"],
     "--act is for the rnn cell"),
    (["--depth", "2", "--steps", "3", "--target", "grad_w1", "--claim", "1"],
     "--steps belongs to a recurrent cell"),
    (["--cell", "gru", "--steps", "2", "--target", "grad_wn", "--claim", "dsigma(z1)"],
     "unknown function 'dsigma'"),
    (["--cell", "rnn", "--steps", "2", "--target", "grad_c0", "--claim", "1"],
     "grad_h0 for the rnn cell"),
    (["--cell", "lstm", "--target", "grad_bf", "--claim", "1"], "--steps"),
    (["--cell", "lstm", "--steps", "2", "--target", "grad_bf", "--claim",
      "__import__('os').system('true')"], "not a function name"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a[:6]) for a, _ in BAD])
def test_bad_input_is_one_sentence_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert message in lines[0], lines[0]


def test_the_api_refuses_as_the_command_line_does():
    with pytest.raises(symgrad.SymgradError, match="belongs to a chain or net"):
        symgrad.verify("1", "grad_bf", cell="lstm", steps=2, widths=[2, 2])
    with pytest.raises(symgrad.SymgradError, match="Give what the claim is"):
        symgrad.verify("1", None, cell="lstm", steps=2)
    assert symgrad.verify("(h1 - y)*o1*(1 - tanh(c1)**2)*f1", "grad_c0", cell="lstm",
                          steps=1).correct


# -- kinks: the coordinates' lines cut where a claim's pieces change ----------------------

def test_a_claim_off_at_one_input_only_is_caught_there():
    """Heaviside(−(x1 − 1/7)²) is 1 at x1 = 1/7 alone, where no random point falls."""
    right = "(h1 - y)*o1*(1 - tanh(c1)**2)*f1"
    result = symgrad.verify(f"{right}*(1 + Heaviside(-(x1 - 1/7)**2))", "grad_c0", cell="lstm",
                            steps=1)
    assert not result.correct
    assert abs(result.counterexample.point["x1"] - mpmath.mpf(1) / 7) < 1e-12
    assert symgrad.verify(right, "grad_c0", cell="lstm", steps=1).correct


def test_a_relu_rnn_claim_through_heaviside_names_its_convention():
    result = symgrad.verify("(h2 - y)*Heaviside(z2)*(h1 + w*Heaviside(z1)*h0)", "grad_w",
                            cell="rnn", steps=2, act="relu")
    assert result.correct and result.arithmetic == "rational"
    assert {(str(z), value) for z, _, value, _ in result.conventions} == \
        {("z1", sympy.S.Half), ("z2", sympy.S.Half)}
