"""Layout that holds at any size (issue 15, point 5): every document of a matrix compiles with
no line or table wider than the page (pdflatex's log: no "Overfull \\hbox" over 1 pt, no
"Missing character"); long products break only between whole factors and sums between
whole terms; important equations are numbered with stable, unique labels a lecturer can
\\eqref; a fragment names exactly the packages it needs."""

import re
from collections import Counter

import pytest
import sympy

import symgrad
from symgrad.notation import Factors, Terms
from symgrad.render import render, write_documents
from symgrad.render.document import document
from symgrad.render.latex import LINE_WIDTH, NUMBER_WIDTH
from symgrad.render.latex_width import visible_width
from symgrad.render.printing import LatexPrinter
from tests.test_latex_compiles import compile_latex

DOCUMENTS = {
    "chain": lambda: symgrad.derive(6, "sigmoid"),
    "residual chain": lambda: symgrad.derive(5, "tanh", residual=True),
    "tied chain": lambda: symgrad.derive(5, "tanh", tied=True),
    "cross-entropy chain": lambda: symgrad.derive(3, "sigmoid", cost="cross-entropy"),
    "symbolic depth": lambda: symgrad.derive(None, "tanh"),
    "depth 250": lambda: symgrad.derive(250, "sigmoid"),
    "every layer at depth 30": lambda: symgrad.derive(30, "sigmoid", layers=range(1, 31)),
    "custom activation": lambda: symgrad.derive(2, "x*tanh(log(1+exp(x)))"),
    "net 2,3,2": lambda: symgrad.derive_net([2, 3, 2], "sigmoid"),
    "net 3,3,3,3": lambda: symgrad.derive_net([3, 3, 3, 3], "tanh"),
    "notes": lambda: symgrad.notes(10, "sigmoid"),
    "notes with values": lambda: symgrad.notes(10, "relu", w=10, z=1),
    "notes for a net": lambda: symgrad.notes(widths=[2, 3, 2], act="sigmoid", init="he"),
    "eval": lambda: symgrad.evaluate(100, "sigmoid", w=10, b=-5, x="0.5"),
    "eval of a net": lambda: symgrad.evaluate_net([2, 3, 2], "tanh", init="xavier", seed=1),
    "eval of a wide net": lambda: symgrad.evaluate_net([6, 6, 6], "tanh", init="he", seed=2),
    "bounds": lambda: symgrad.bounds(100, "sigmoid", w=10),
    "region": lambda: symgrad.region("sigmoid", 8),
    "region at 100 digits": lambda: symgrad.region("sigmoid", 8, dps=100),
    "meanfield": lambda: symgrad.meanfield("tanh", sigma_w2="1.5", sigma_b2="0.05", depth=100),
    "critical": lambda: symgrad.critical("tanh", sigma_b2=[0, "0.05"]),
    "sample": lambda: symgrad.sample(100, "tanh", sigma_w2=1, samples=500, seed=0),
    "verify": lambda: symgrad.verify("w1*w2*w3*w4*dsigma(z1)*dsigma(z2)*dsigma(z3)*dsigma(z4)"
                                     "*dC_daL", "grad_b1", depth=4, act="sigmoid"),
}

_RESULTS: dict = {}


def result(name):
    if name not in _RESULTS:
        _RESULTS[name] = DOCUMENTS[name]()
    return _RESULTS[name]


OVERFULL = re.compile(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")


def layout_problems(tmp_path, name: str, source: str) -> list[str]:
    """What pdflatex's log says is wider than the page or missing from a font."""
    compile_latex(tmp_path, name, source)
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    problems = [f"overfull by {pt} pt" for pt in OVERFULL.findall(log) if float(pt) > 1]
    return problems + [line for line in log.splitlines() if "Missing character" in line]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_document_fits_the_page(tmp_path, name):
    assert layout_problems(tmp_path, "doc", render(result(name), "latex")) == []


def _named_packages(fragment: str) -> list[str]:
    found = re.match(r"%[^\n]*?needs (?:\\usepackage\{([^}]*)\}|no package)", fragment)
    assert found, fragment[:300]
    return found.group(1).split(",") if found.group(1) else []


def _named_libraries(fragment: str) -> str:
    """The header's \\usetikzlibrary line, as it stands, or nothing."""
    found = re.search(r"^% and (\\usetikzlibrary\{[^}]*\}) after them\.$", fragment, re.M)
    return found.group(1) + "\n" if found else ""


def _minimal(fragment: str, packages) -> str:
    uses = "".join(rf"\usepackage{{{p}}}" + "\n" for p in packages) + _named_libraries(fragment)
    return r"\documentclass{article}" + "\n" + uses + "\\begin{document}\n" + fragment + \
        "\\end{document}\n"


@pytest.mark.parametrize("name", DOCUMENTS)
def test_fragment_compiles_with_exactly_the_packages_it_names(tmp_path, name):
    fragment = render(result(name), "latex", fragment=True)
    log = compile_latex(tmp_path, "fragment", _minimal(fragment, _named_packages(fragment)))
    assert "Undefined control sequence" not in log


@pytest.mark.parametrize("name, package", [("chain", "amsmath"), ("meanfield", "amssymb"),
                                           ("bounds", "booktabs"), ("region", "tabularx"),
                                           ("chain", "tikz"), ("chain", "float"),
                                           ("eval", "pgfplots")])
def test_each_named_package_is_needed(tmp_path, name, package):
    fragment = render(result(name), "latex", fragment=True)
    named = _named_packages(fragment)
    assert package in named
    source = _minimal(fragment, [p for p in named if p != package])
    (tmp_path / "without.tex").write_text(source)
    import subprocess

    from tests.test_latex_compiles import pdflatex
    run = subprocess.run([pdflatex(), "-interaction=nonstopmode", "-halt-on-error", "without.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0, f"{package} was named but the fragment compiles without it"


# -- breaks --------------------------------------------------------------------------------


def _rows_of(latex: str) -> list[list[str]]:
    """Each row of each display: its lines, without the alignment, numbering and range."""
    rows = []
    for block in re.findall(r"\\begin\{align\*?\}\n(.*?)\n\\end\{align\*?\}", latex, re.S):
        for line in block.split(" \\\\\n"):
            line = re.sub(r" \\(notag|label\{[^}]*\})$", "", line)
            line = re.sub(r" ?\\qquad \(.*\)$", "", line)
            head, _, body = line.partition("&")
            body = re.sub(r"^(=|\\approx|\\le|\\ge|\\in|<|>) ", "", body)
            if body.startswith(r"\quad "):
                rows[-1].append(body[len(r"\quad "):])
            elif head.strip():
                rows.append([body])
            else:  # a further side of the same row starts its own product
                rows.append([body])
    return rows


def _sides(doc) -> list:
    return [(side, row.label is not None) for section in doc.sections
            for row in section.rows for side in row.sides]


@pytest.mark.parametrize("name", ["depth 250", "every layer at depth 30", "net 3,3,3,3",
                                  "custom activation", "notes"])
def test_long_formulas_break_between_whole_factors_and_terms(name):
    """Every broken side, its lines joined again at the break, is the printer's own text of
    the whole side, and no group of factors (a weight product, σ' product) or term that would
    fit on a line is split between two lines."""
    doc = document(result(name))
    latex = render(result(name), "latex")
    printer = LatexPrinter(doc.output_layer, line_breaks=True)
    texts = {}
    for side, numbered in _sides(doc):
        text = printer.doprint(side)
        texts[text] = (side, numbered or texts.get(text, (None, False))[1])
    broken = [lines for lines in _rows_of(latex) if len(lines) > 1]
    assert broken, "nothing in this document is long enough to break"
    for lines in broken:
        joined = [glue.join(lines) for glue in (r"\,", " ")]
        side, numbered = next((texts[j] for j in joined if j in texts), (None, None))
        assert side is not None, "a broken side is not the printer's text: " + lines[0][:200]
        limit = LINE_WIDTH - (NUMBER_WIDTH if numbered else 0)
        for whole, width in _groups_and_terms(printer, side):
            if width <= limit:
                assert any(whole in line for line in lines), f"split although it fits: {whole}"


def _groups_and_terms(printer, side) -> list[tuple[str, float]]:
    """The printed texts of the side's groups of factors and terms (and theirs), each with
    its width as printed in the side (a group with its brackets)."""
    found = []
    if isinstance(side, Terms) or isinstance(side, sympy.Add):
        for term in side.args:
            text = printer.doprint(term)
            found.append((text, visible_width(text)))
            found += _groups_and_terms(printer, term)
    elif isinstance(side, Factors):
        for group in side.groups:
            if len(group) > 1:
                text = printer.doprint(Factors(group))
                brackets = r"\bigl(\bigr)" if len(side.groups) > 1 else ""
                found.append((text, visible_width(text + brackets)))
    return found


def test_path_sums_keep_every_weight_product_whole():
    latex = render(result("net 3,3,3,3"), "latex")
    paths = latex[latex.index("sum over paths"):]
    for lines in _rows_of(paths):
        for line in lines:
            assert line.count(r"\bigl(") == line.count(r"\bigr)"), line


# -- labels --------------------------------------------------------------------------------

CHAIN_LABELS = {"eq:forward", "eq:cost", "eq:activation-derivative", "eq:output-error",
                "eq:delta-recursion", "eq:grad-w", "eq:grad-b", "eq:input-gradient",
                "eq:closed-form", "eq:closed-form-grad-w", "eq:closed-form-input",
                "eq:front-grad-w", "eq:front"}  # as docs/commands.md lists them


def _labels(latex: str) -> list[str]:
    return re.findall(r"\\label\{([^}]*)\}", latex)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_labels_are_unique_and_numbered_lines_only(name):
    latex = render(result(name), "latex")
    repeated = [label for label, count in Counter(_labels(latex)).items() if count > 1]
    assert repeated == []
    for line in latex.splitlines():
        assert not (r"\label{" in line and r"\notag" in line)
    assert r"\begin{align}" not in latex or _labels(latex)


def test_chain_labels_are_the_same_at_every_depth_and_name_their_equations():
    for derivation in (symgrad.derive(10, "sigmoid"), result("depth 250")):
        latex = render(derivation, "latex")
        assert set(_labels(latex)) == CHAIN_LABELS
        # the label sits on the last line of the row it names
        rows = re.split(r" \\\\\n", latex)
        named = {label: rows[n] for n, row in enumerate(rows) for label in _labels(row)}
        assert named["eq:forward"].startswith("{z}_{l} &=")
        start = next(n for n, r in enumerate(rows) if "eq:delta-recursion" in r)
        assert rows[start - 1].startswith(r"\delta_{l} &= \delta_{l + 1}")
        assert r"\frac{\partial C}{\partial w_{l}} &=" in named["eq:grad-w"]


def test_a_residual_chain_names_its_recursion():
    assert {"eq:gradient-recursion", "eq:output-gradient", "eq:delta"} <= \
        set(_labels(render(result("residual chain"), "latex")))


def test_notes_prefix_the_labels_of_their_second_derivation():
    labels = _labels(render(symgrad.notes(4, "tanh", w=2, x="0.5"), "latex"))
    assert {"eq:delta-recursion", "eq:residual-gradient-recursion", "eq:chain-upper-bound",
            "eq:deeper-chain-upper-bound", "eq:regime-vanishing"} <= set(labels)


def test_a_lecturer_can_eqref_the_labels(tmp_path):
    latex = render(symgrad.notes(5, "sigmoid"), "latex")
    cited = r"By \eqref{eq:delta-recursion} and \eqref{eq:closed-form}, \eqref{eq:front} holds."
    source = latex.replace(r"\end{document}", cited + "\n" + r"\end{document}")
    compile_latex(tmp_path, "cited", source)
    log = compile_latex(tmp_path, "cited", source)  # the second run reads the labels
    assert "undefined" not in log.lower()


def test_documents_written_together_keep_their_labels_apart(tmp_path):
    tex, _ = write_documents(tmp_path / "both", "Two chains",
                             [symgrad.derive(3, "sigmoid"), symgrad.derive(4, "tanh")])
    labels = _labels(tex.read_text())
    assert len(labels) == len(set(labels)) and "eq:forward-2" in labels
    assert layout_problems(tmp_path, "both", tex.read_text()) == []


# -- tables --------------------------------------------------------------------------------


def test_a_wide_table_is_wrapped_or_split_keeping_decimal_points_aligned():
    region = render(result("region"), "latex")
    assert r"\begin{tabularx}{\linewidth}" in region
    critical = render(result("critical"), "latex")
    tables = re.findall(r"\\begin\{tabular\}\{((?:[^{}]|\{\})*)\}\n\\toprule\n([^\n]*)", critical)
    assert len(tables) == 2  # σ_w² and q* apart from the reasons
    assert all(header.startswith(r"\multicolumn{2}{c}{$\sigma_b^2$}") for _, header in tables)
    assert "r@{}l" in tables[0][0]


@pytest.mark.parametrize("script", ["unstable_gradients", "plain_vs_residual", "matrix_net_232",
                                    "sigmoid_gain_region", "edge_of_chaos"])
def test_committed_derivations_fit_the_page(tmp_path, script):
    from tests.test_notes import DERIVATIONS
    source = (DERIVATIONS / f"{script}.tex").read_text()
    assert layout_problems(tmp_path, script, source) == []
