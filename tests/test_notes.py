"""Lecture notes and worked derivations: documents compile, their numbers are the
evaluator's, and every committed derivation is what its script writes today."""

import re
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest

import symgrad
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
    result = subprocess.run([sys.executable, "-m", "symgrad.cli", "notes", "--widths", "2,3,2",
                             "--init", "he", "-o", str(tmp_path / "net.tex")],
                            capture_output=True, text=True, timeout=120)
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
