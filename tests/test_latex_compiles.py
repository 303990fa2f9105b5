"""Every LaTeX output of the test matrix compiles with a real pdflatex."""

import os
import shutil
import subprocess

import pytest

import symgrad
from symgrad.render.latex import PREAMBLE

CASES = [
    dict(depth=3, act="sigmoid"),
    dict(depth=10, act="sigmoid"),
    dict(depth=5, act="relu", tied=True),
    dict(depth=4, act="tanh", residual=True),
    dict(depth=3, act="sigmoid", cost="cross-entropy"),
    dict(depth=2, act="gelu", cost="cross-entropy", residual=True),
    dict(depth=6, act="leaky_relu:0.1", tied=True, residual=True),
    dict(depth=1, act="softplus"),
    dict(depth=4, act="elu:0.5"),
    dict(depth=3, act="silu", tied=True),
    dict(depth=250, act="sigmoid"),
    dict(depth=None, act="tanh"),
    dict(depth=None, act="relu", residual=True),
    dict(depth=None, act="sigmoid", tied=True, cost="cross-entropy"),
]


def pdflatex():
    path = shutil.which("pdflatex")
    if path is None and os.environ.get("SYMGRAD_SKIP_LATEX") != "1":
        pytest.fail("pdflatex is missing: install texlive-latex-base, texlive-latex-recommended "
                    "and texlive-pictures (or set SYMGRAD_SKIP_LATEX=1 to skip knowingly)")
    if path is None:
        pytest.skip("SYMGRAD_SKIP_LATEX=1")
    return path


def compile_latex(tmp_path, name, source):
    (tmp_path / f"{name}.tex").write_text(source)
    result = subprocess.run(
        [pdflatex(), "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / f"{name}.pdf").exists()
    return result.stdout


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_standalone_document_compiles(tmp_path, case):
    case = dict(case)
    derivation = symgrad.derive(case.pop("depth"), case.pop("act"), **case)
    log = compile_latex(tmp_path, "doc", symgrad.render(derivation, "latex"))
    assert "Undefined control sequence" not in log


def test_fragments_and_the_activation_table_compile(tmp_path):
    parts = [symgrad.render(symgrad.activation_table(), "latex", fragment=True)]
    for case in CASES[:6]:
        case = dict(case)
        parts.append(symgrad.render(symgrad.derive(case.pop("depth"), case.pop("act"), **case),
                                    "latex", fragment=True))
    compile_latex(tmp_path, "fragments", PREAMBLE + "\n".join(parts) + "\\end{document}\n")


NUMERIC_RESULTS = {
    "eval": lambda: symgrad.evaluate(100, "sigmoid", w=10, b=-5, x="0.5"),
    "eval-gain-residual": lambda: symgrad.evaluate(30, "tanh", w="1/2", z=[0, 1, -1] * 10,
                                                   residual=True),
    "eval-interval-tied": lambda: symgrad.evaluate(40, "gelu", w="3/2", x=1, tied=True,
                                                   interval=True, dps=20),
    "bounds": lambda: symgrad.bounds(100, "sigmoid", w=10),
    "bounds-list-residual": lambda: symgrad.bounds(3, "gelu", w=[1, -2, "1/3"], residual=True),
    "region": lambda: symgrad.region("sigmoid", 8, b=1),
    "region-unbounded": lambda: symgrad.region("relu", -2),
    "region-empty": lambda: symgrad.region("sigmoid", 3),
    "region-widest": lambda: symgrad.region("tanh", maximize=True),
    "region-widest-unbounded": lambda: symgrad.region("gelu", maximize=True),
    "derive-net-232": lambda: symgrad.derive_net([2, 3, 2], "sigmoid"),
    "derive-net-3333-cross-entropy": lambda: symgrad.derive_net([3, 3, 3, 3], "tanh",
                                                                cost="cross-entropy"),
    "derive-net-6x6": lambda: symgrad.derive_net([6] * 7, "relu"),
    "eval-net": lambda: symgrad.evaluate_net([4, 8, 8, 4], "tanh", init="orthogonal", dps=40),
    "eval-net-narrow-dead": lambda: symgrad.evaluate_net([3, 3, 3], "relu", init="he", dps=20),
    "eval-net-deep": lambda: symgrad.evaluate_net([12] * 31, "sigmoid", init="xavier", seed=4),
    "meanfield": lambda: symgrad.meanfield("tanh", sigma_w2="1.5", sigma_b2="0.05", depth=100),
    "meanfield-relu-diverges": lambda: symgrad.meanfield("relu", sigma_w2=2, sigma_b2="0.1"),
    "critical-line": lambda: symgrad.critical("tanh", sigma_b2=[0, "0.05"], dps=15),
    "critical-none": lambda: symgrad.critical("softplus", sigma_b2="0.05"),
    "sample-chains": lambda: symgrad.sample(50, "tanh", sigma_w2=1, samples=500),
    "sample-net-zeros": lambda: symgrad.sample(4, "relu", sigma_w2=2, samples=200),
    "spectrum-sampled": lambda: symgrad.spectrum(3, "relu", sigma_w2=2, weights="gaussian", grid=30,
                                                 width=20, samples=4),
}


@pytest.mark.parametrize("name", NUMERIC_RESULTS)
def test_numeric_documents_compile(tmp_path, name):
    log = compile_latex(tmp_path, "doc", symgrad.render(NUMERIC_RESULTS[name](), "latex"))
    assert "Undefined control sequence" not in log
