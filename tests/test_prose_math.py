"""Prose carries math (issue 15, point 1): the words of a document are runs of text and
formulas, so no notation sits inside text that a format would have to escape.

Each document's titles and words are walked run by run: the text runs hold none of the
notation's characters (σ, δ, ∂, ∏, ∞, subscripts and superscripts written as _ or ^),
and the LaTeX written from them has no \\_ or \\^{} outside math. Documents converted so
far: derivations (chains of every kind, nets), the activation library, verify's verdicts,
chain evaluations, bounds, gain regions, mean field, the critical line, samples, lecture
notes; table headers and worded table cells too."""

import re

import pytest
import sympy

import symgrad
from symgrad.render import render
from symgrad.render.document import document
from symgrad.render.prose import Code, Phrase, Prose

NOTATION = re.compile(r"[σδ∂∏∑∞α′²³⁻⁰¹]|[A-Za-z0-9)]_|\^")


def _text_runs(words):
    """The text of words, a phrase set into a sentence's place included."""
    if isinstance(words, str):
        return [words]
    return [text for run in words.runs if isinstance(run, (str, Phrase))
            for text in ([run] if isinstance(run, str) else _text_runs(run.words))]


def _all_words(doc):
    yield doc.title
    for section in doc.sections:
        yield section.title
        yield section.words
        if section.grid is not None:
            yield from section.grid.headers
            yield from (cell for row in section.grid.rows for cell in row
                        if not isinstance(cell, str))


RESULTS = {
    "plain sigmoid chain": lambda: symgrad.derive(4, "sigmoid"),
    "residual tanh chain": lambda: symgrad.derive(4, "tanh", residual=True),
    "tied chain, cross-entropy": lambda: symgrad.derive(3, "sigmoid", tied=True,
                                                        cost="cross-entropy"),
    "general depth": lambda: symgrad.derive(None, "relu"),
    "custom activation": lambda: symgrad.derive(3, "x/(1+abs(x))"),
    "matrix net": lambda: symgrad.derive_net((2, 3, 2), "tanh"),
    "activation library": lambda: symgrad.acts("sigmoid", "tanh", "relu", "gelu"),
    "correct claim": lambda: symgrad.verify("w2*dsigma(z1)*dsigma(z2)*dC_daL", "delta1",
                                            depth=2),
    "wrong claim": lambda: symgrad.verify("w1*w2*dsigma(z1)*dsigma(z2)*dC_daL", "delta1",
                                          depth=2),
    "claim off only on relu's kinks": lambda: symgrad.verify(
        "w2*Heaviside(z1)*Heaviside(z2)*dC_daL", "delta1", depth=2, act="relu"),
    "claim undefined where SymPy cancels": lambda: symgrad.verify(
        "w2*dsigma(z1)*dsigma(z2)*dC_daL*sqrt(z1-10)/sqrt(z1-10)", "delta1", depth=2),
    "an activation that jumps": lambda: symgrad.acts("x*Heaviside(abs(x)-1)"),
    "evaluation": lambda: symgrad.evaluate(5, "sigmoid", w=2, x="0.5"),
    "evaluation in gain mode": lambda: symgrad.evaluate(5, "sigmoid", w=2, z="1"),
    "evaluation past float32": lambda: symgrad.evaluate(400, "relu", w=10, z="1"),
    "residual enclosures": lambda: symgrad.evaluate(5, "tanh", w="0.5", x="0.5", residual=True,
                                                    interval=True),
    "bounds": lambda: symgrad.bounds(10, "sigmoid", w=2),
    "residual bounds": lambda: symgrad.bounds(10, "tanh", w="1/2", residual=True),
    "bounds, one weight per layer": lambda: symgrad.bounds(3, "tanh", w=["1/2", 2, 3]),
    "gain region": lambda: symgrad.region("sigmoid", w=8),
    "empty gain region": lambda: symgrad.region("sigmoid", w=2),
    "unbounded gain region": lambda: symgrad.region("relu", w=2),
    "widest gain region": lambda: symgrad.region("sigmoid", maximize=True),
    "mean field": lambda: symgrad.meanfield("tanh", sigma_w2="1.5", depth=10),
    "mean field, collapsing": lambda: symgrad.meanfield("tanh", sigma_w2="0.5", depth=10),
    "mean field, linear": lambda: symgrad.meanfield("linear", sigma_w2="1", depth=10),
    "mean field, growing": lambda: symgrad.meanfield("relu", sigma_w2="3", sigma_b2="1", depth=5),
    "critical line": lambda: symgrad.critical("tanh", sigma_b2=["0", "0.05"]),
    "no critical point": lambda: symgrad.critical("softplus", sigma_b2=["0.05"]),
    "sampled gradients": lambda: symgrad.sample(10, "tanh", sigma_w2=1, samples=50),
    "lecture notes": lambda: symgrad.notes(6, "sigmoid"),
    "net evaluation": lambda: symgrad.evaluate_net((2, 3, 2), "tanh", init="xavier", seed=1),
    "wide net evaluation": lambda: symgrad.evaluate_net((8, 8, 8), "sigmoid", init="he", seed=2),
    "lecture notes for a net": lambda: symgrad.notes(widths=(2, 2, 1), act="sigmoid"),
    "lecture notes, residual, with values": lambda: symgrad.notes(4, "tanh", residual=True,
                                                                  w=2, x="0.5"),
}


@pytest.mark.parametrize("name", RESULTS)
def test_text_runs_hold_no_notation(name):
    doc = document(RESULTS[name]())
    found = [(run, NOTATION.findall(run)) for words in _all_words(doc)
             for run in _text_runs(words) if NOTATION.search(run)]
    assert not found, found


def _outside_math(latex: str) -> str:
    body = latex.split(r"\begin{document}", 1)[-1]
    body = re.sub(r"\\begin\{(align\*|aligned|tabular)\}.*?\\end\{\1\}", "", body, flags=re.S)
    body = re.sub(r"\$[^$]*\$", "", body)
    return re.sub(r"\\texttt\{\\detokenize\{[^{}]*\}\}", "", body)


@pytest.mark.parametrize("name", RESULTS)
def test_latex_has_no_escaped_notation_outside_math(name):
    text = _outside_math(render(RESULTS[name](), "latex"))
    assert not re.search(r"\\_|\\\^|textasciicircum|[σδ∂∏∞]", text), text[:2000]


def test_a_formula_is_printed_by_each_format_as_math():
    from symgrad.notation import dsigma, layer_symbol
    from symgrad.render.latex import latex_words
    from symgrad.render.markdown import prose
    from symgrad.render.printing import LatexPrinter, TextPrinter
    from symgrad.render.prose import say
    from symgrad.render.text import text_words
    z1 = layer_symbol("z", 1)
    words = say("The factor {f} per layer, for {name}.", f=2 * dsigma(z1), name=Code("a_b"))
    assert text_words(TextPrinter(), words) == "The factor 2·σ'(z1) per layer, for a_b."
    assert latex_words(LatexPrinter(), words) == (
        r"The factor $2 \sigma'\left(z_{1}\right)$ per layer, for "
        r"\texttt{\detokenize{a_b}}.")
    assert prose(words, LatexPrinter()) == (
        r"The factor $2 \sigma'\left(z_{1}\right)$ per layer, for ``a_b``.")
    assert isinstance(words, Prose) and sympy.Integer(2) * dsigma(z1) in \
        [run.expr for run in words.runs if hasattr(run, "expr")]
