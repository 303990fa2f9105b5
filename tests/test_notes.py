"""Lecture notes and worked derivations: documents compile, their numbers are the
evaluator's, and every committed derivation is what its script writes today."""

import re
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest

import symgrad
from tests.clirun import symgrad as symgrad_cli
from tests.test_latex_compiles import compile_latex

DERIVATIONS = Path(__file__).resolve().parent.parent / "derivations"
SCRIPTS = sorted(p for p in DERIVATIONS.glob("*.py") if not p.name.startswith("_"))

NOTES = {
    "sigmoid-10": dict(depth=10, act="sigmoid"),
    "relu-10-values": dict(depth=10, act="relu", w=10, z=1),
    "sigmoid-forward-values": dict(depth=30, act="sigmoid", w=10, b=-5, x="0.5"),
    "tanh-residual": dict(depth=8, act="tanh", residual=True, w="1/2", x=1),
    "gelu-cross-entropy": dict(depth=4, act="sigmoid", cost="cross-entropy", w=2, x="0.3", y="0.7"),
    "elu-list": dict(depth=3, act="elu:0.5", w=[1, 2, "1/3"]),
    "lstm-cell": dict(cell="lstm", steps=40),
    "rnn-cell-relu": dict(cell="rnn", steps=5, act="relu", parameters="w=2"),
    "tanh-random-weights": dict(depth=5, act="tanh", random_weights=True),
}


@pytest.mark.parametrize("name", NOTES)
@pytest.mark.parametrize("fragment", [False, True])
def test_notes_compile(tmp_path, name, fragment):
    notes = symgrad.notes(**NOTES[name])
    source = symgrad.render(notes, "latex", fragment=fragment)
    if fragment:
        from symgrad.render.latex import PREAMBLE
        source = PREAMBLE + source + "\\end{document}\n"
    log = compile_latex(tmp_path, "notes", source)
    assert "Undefined control sequence" not in log


def test_net_notes_compile(tmp_path):
    result = symgrad_cli("notes", "--widths", "2,3,2", "--init", "he", "-o", str(tmp_path / "net.tex"))
    assert result.returncode == 0, result.stderr
    compile_latex(tmp_path, "net", (tmp_path / "net.tex").read_text())


def test_numbers_in_the_notes_are_the_evaluators():
    notes = symgrad.notes(10, "relu", w=10, z=1)
    text = symgrad.render(notes, "markdown")
    # the regimes: 10^10 and 10^100 are exact powers, written alone (no ≈ 1.0·10^10);
    # (1/4)^100 is not short, so only its decimal follows, to six digits
    assert "10^{10}" in text and "10^{100}" in text and "1.0 \\cdot" not in text
    assert "\\left(\\frac{1}{4}\\right)^{100} &\\approx 6.22302 \\cdot 10^{-61}" in text
    # the values section: the input gradient printed is the evaluator's, digit for digit
    prefix = re.escape(r"\frac{\partial C}{\partial a_{0}} &= ")
    values = text[text.index("## Values: the gradients"):]
    printed = re.search(prefix + r"10\^\{(\d+)\}|" + prefix
                        + r"(-?[\d.]+)(?: \\cdot 10\^\{(-?\d+)\})?", values)
    alone, mantissa, power = printed.groups()
    value = mpmath.mpf(10) ** int(alone) if alone else mpmath.mpf(mantissa) * 10 ** int(power or 0)
    assert value == mpmath.mpf(10) ** 10
    evaluator = symgrad.decimal(notes.evaluation.input_gradient, notes.evaluation.dps)
    assert mpmath.mpf(evaluator) == value
    figures = (mantissa or "1").replace(".", "").strip("0")
    assert figures == evaluator.split("e")[0].replace(".", "").strip("0")


def test_notes_sections_walk_the_argument():
    text = symgrad.render(symgrad.notes(10, "sigmoid"), "markdown")
    order = ["Notation and forward pass", r"The chain rule and the $\delta$ recursion",
             "The closed form", "The front layer at depth $10$", "Weights and derivatives, apart",
             r"$\sup_z \left|\sigma'(z)\right|$ and the worst-case bound",
             r"Regime: $\sigma' < 1$", r"Regime: $\sigma' \geq 1$ but $\left|{w}\right| < 1$",
             r"Regime: $\left|{w\mkern3mu \sigma'}\right| > 1$",
             "Why ReLU alone does not remove the weight product",
             "Residual connections"]
    positions = [text.index(f"## {title}") for title in order]
    assert positions == sorted(positions)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_committed_derivation_is_what_the_script_writes(tmp_path, script):
    result = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                            text=True, timeout=300, cwd=DERIVATIONS)
    assert result.returncode == 0, result.stderr
    for suffix in (".tex", ".md"):
        fresh = (tmp_path / (script.stem + suffix)).read_text()
        committed = (DERIVATIONS / (script.stem + suffix)).read_text()
        assert fresh == committed, f"{script.stem}{suffix} is stale: run python {script}"
    compile_latex(tmp_path, script.stem, fresh if suffix == ".tex" else
                  (tmp_path / (script.stem + ".tex")).read_text())


def test_every_script_is_listed_in_the_readme():
    listing = (DERIVATIONS / "README.md").read_text()
    for script in SCRIPTS:
        assert f"`{script.name}`" in listing


def _lstm_cost(p: dict, xs, h0, c0, y):
    """C = ½(h_T − y)² of an LSTM with sizes 1, written here from torch's equations."""
    def sig(v):
        return 1 / (1 + mpmath.exp(-v))

    h, c = h0, c0
    for x in xs:
        def pre(g, h=h, x=x):
            return p["u" + g] * x + p["w" + g] * h + p["b" + g]
        i, f, o, g = sig(pre("i")), sig(pre("f")), sig(pre("o")), mpmath.tanh(pre("g"))
        c = f * c + i * g
        h = o * mpmath.tanh(c)
    return (h - y) ** 2 / 2


def test_a_cells_notes_walk_the_argument_and_their_numbers_are_independent():
    """notes --cell lstm: the sections in the argument's order; the gate-bias table's
    carousel bounds are the closed form sigmoid(b_f ∓ |u_f|)^T (w_f = 0: the gate reads no
    state; inputs in [-1, 1]); its ∂C/∂c_0 in the run is mpmath.diff of the cost written
    above, at each bias."""
    steps = 12
    notes = symgrad.notes(cell="lstm", steps=steps, parameters="wf=0,uf=1/2")
    text = symgrad.render(notes, "markdown")
    order = ["Notation and forward pass", "The local Jacobian", "Backpropagation through time",
             "The carousel", "Where the states stay", "One step", "The whole sequence",
             "What the bounds say", "The gate's bias", "Values: the gradients",
             "Values: step by step"]
    positions = [text.index(f"## {title}") for title in order]
    assert positions == sorted(positions)
    runs = [(notes.bounds, notes.evaluation)] + [(g.bounds, g.evaluation) for g in notes.gate_biases]
    biases = sorted(dict(bounds.point.parameters)["bf"] for bounds, _ in runs)
    assert biases == [-1, 1, 3]
    with mpmath.workdps(40):
        for bounds, evaluation in runs:
            parameters = {name: mpmath.mpf(v.p) / v.q for name, v in bounds.point.parameters}
            bias = parameters["bf"]
            least, greatest = (1 / (1 + mpmath.exp(-(bias + end))) for end in (-0.5, 0.5))
            low, high = bounds.carousel
            assert abs(low / least ** steps - 1) < mpmath.mpf(10) ** -20
            assert abs(high / greatest ** steps - 1) < mpmath.mpf(10) ** -20
            oracle = mpmath.diff(lambda c0, p=parameters: _lstm_cost(p, [1] * steps, 0, c0, 0), 0)
            given = dict(evaluation.initial_gradients)["c0"]
            assert abs(mpmath.mpf(symgrad.decimal(given, 30)) / oracle - 1) < mpmath.mpf(10) ** -20


# --- random weights (--random-weights) -------------------------------------------------------

@pytest.mark.parametrize("act, depth, sigma_w2, gaussian, orthogonal", [
    ("relu", 3, "2.0", "6", "3"),  # He: σ_J² = 2L and L (Pennington et al. 2018)
    ("tanh", 6, "1.0", "6", "0"),  # q* = 0: D = I, so the Gaussian spread is a linear net's L
    ("linear", 4, "1.0", "4", "0"),
    # q* = 0 at elu:2's kink: slopes 2 and 1 with probability 1/2 each, so σ_w² = 1/(5/2)
    # and μ₂/μ₁² − 1 = (17/2)/(5/2)² − 1 = 9/25 a layer
    ("elu:2", 3, "0.4", "102/25", "27/25"),
])
def test_random_weights_sections_have_the_closed_form_spreads(act, depth, sigma_w2, gaussian,
                                                              orthogonal):
    import json

    done = symgrad_cli("notes", "--depth", str(depth), "--act", act, "--random-weights",
                       "--format", "json")
    assert done.returncode == 0, done.stderr
    chosen = json.loads(done.stdout)["random_weights"]
    assert chosen["sigma_w2"] == sigma_w2
    assert chosen["gaussian"]["variance"] == gaussian
    assert chosen["orthogonal"]["variance"] == orthogonal
    assert chosen["orthogonal"]["verdict"] == ("isometric" if orthogonal == "0" else "not isometric")
    assert chosen["gaussian"]["moments"][0] == "1"  # m_1 = χ1^L at the edge of chaos
    text = symgrad.render(symgrad.notes(depth, act, random_weights=True), "markdown")
    order = ["Residual connections", "Random weights: the edge of chaos",
             "Beyond the mean: the Jacobian's spectrum"]
    assert [text.index(f"## {title}") for title in order] == sorted(
        text.index(f"## {title}") for title in order)


@pytest.mark.parametrize("args, words", [
    (["--depth", "3", "--act", "softplus"], "no edge of chaos"),
    (["--depth", "3", "--act", "tanh", "--residual"], "plain chains"),
    (["--widths", "2,2"], "for chains"),
    (["--cell", "lstm"], "belongs to a chain"),
])
def test_random_weights_where_there_are_none_is_one_sentence(args, words):
    done = symgrad_cli("notes", *args, "--random-weights")
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    assert words in done.stderr, done.stderr
