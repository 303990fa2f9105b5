"""A diagram of the network in every derive and notes document (issue 15, point 4).

A chain's diagram lists exactly the nodes and arrows of its forward pass (a_0 → z_1 → a_1
→ … → a_L → C) and of its backward pass, with ⋯ for the layers left out; each backward
factor is checked against SymPy's derivative of the forward map it stands for (δ_l =
factor · δ_(l+1) means factor = ∂z_(l+1)/∂z_l), so residual (1 + w σ') and tied (w)
factors are the derivatives of those chains. A net's diagram joins every unit of a layer
to every unit of the next. Each format draws all of it: TikZ nodes and arrows, SVG text,
text arrows; and the documents compile without overfull boxes."""

import re
import xml.etree.ElementTree as ElementTree

import pytest
import sympy

import symgrad
from symgrad.notation import delta, dsigma, grad_a, l, layer_symbol, tied_symbol
from symgrad.notes import ChainNotes
from symgrad.render import render
from symgrad.render.document import document
from symgrad.render.printing import LatexPrinter, TextPrinter
from symgrad.render.prose import Prose
from symgrad.render.svg import svg_diagram
from symgrad.render.text import text_diagram, text_words
from tests.test_latex_compiles import compile_latex

L = sympy.Symbol("L", integer=True, positive=True)
GAP = "⋯"
# The layers a chain's diagram shows, as the documents say: all of a short chain, the first
# two and the last two of a deep one, and at symbolic depth layer 1, l, l + 1 and L.
SHOWN = {1: [1], 2: [1, 2], 3: [1, 2, 3], 4: [1, 2, 3, 4], 5: [1, 2, GAP, 4, 5],
         12: [1, 2, GAP, 11, 12], None: [1, GAP, l, l + 1, GAP, L]}


def diagram_of(result):
    """The network's diagram; notes of a plain chain draw the residual one too, later."""
    diagrams = [s.diagram for s in document(result).sections if s.diagram is not None]
    residual_too = isinstance(result, ChainNotes) and result.residual is not None
    assert len(diagrams) == 1 + residual_too
    if residual_too:
        assert any(e.role == "skip" for e in diagrams[1].edges)
    return diagrams[0]


def row(diagram, number: int) -> list:
    """A row's labels left to right (⋯ for an ellipsis)."""
    nodes = sorted((n for n in diagram.nodes if n.row == number), key=lambda n: n.column)
    return [GAP if n.label is None else n.label for n in nodes]


def following(shown) -> list:
    """The drawn layers whose layer before is drawn too (a_0 counts as layer 0's)."""
    return [n for before, n in zip([0] + shown, shown)
            if GAP not in (before, n) and sympy.simplify(n - before) == 1]


def expected_forward_row(shown) -> list:
    labels = [layer_symbol("a", 0)]
    for layer in shown:
        labels += [GAP] if layer == GAP else [layer_symbol("z", layer), layer_symbol("a", layer)]
    return labels + [sympy.Symbol("C")]


def edge_between(diagram, first, second):
    keys = {n.label: n.key for n in diagram.nodes if n.label is not None}
    return next(e for e in diagram.edges if (e.start, e.end) == (keys[first], keys[second]))


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 12, None])
@pytest.mark.parametrize("kind", ["plain", "residual", "tied"])
def test_a_chain_diagram_lists_its_layers_with_an_ellipsis_where_deep(depth, kind):
    diagram = diagram_of(symgrad.derive(depth, "tanh", residual=kind == "residual",
                                        tied=kind == "tied", layers=[1] if depth else None))
    shown = SHOWN[depth]
    assert row(diagram, 0) == expected_forward_row(shown)
    if kind == "residual":  # the gradient with respect to the activations, under a_l
        backward = [grad_a(0)] + [GAP if n == GAP else grad_a(n) for n in shown]
    else:  # δ_l under z_l, ∂C/∂a_L under the cost
        backward = [grad_a(0)] + [GAP if n == GAP else delta(n) for n in shown] + [grad_a(
            depth or L)]
    assert row(diagram, 1) == backward
    weight = (lambda n: tied_symbol("w")) if kind == "tied" else (lambda n: layer_symbol("w", n))
    # a weight on the arrow into z_n wherever a_(n-1) is drawn: the first and last indices
    followed = following(shown)
    forward_weights = [e.label for e in diagram.edges
                       if e.role == "forward" and e.label not in (None, sympy.Symbol("sigma"))]
    assert forward_weights == [weight(n) for n in followed]
    assert forward_weights[0] == weight(1)
    skips = [e for e in diagram.edges if e.role == "skip"]
    assert len(skips) == (len(followed) if kind == "residual" else 0)
    gaps = shown.count(GAP)
    assert [n.label for n in diagram.nodes].count(None) == 2 * gaps
    caption = text_words(TextPrinter(), diagram.caption)
    if depth == 12:
        assert "layers 3 to 10" in caption
    if depth == 5:
        assert "layer 3." in caption


TANH = sympy.tanh


def variable(label):
    """The quantity a backward node is the gradient with respect to: δ_n is ∂C/∂z_n."""
    return layer_symbol("z" if isinstance(label, delta) else "a", label.args[0])


def forward_map(kind, before, after):
    """``after`` as a function of ``before`` in a tanh chain (the forward equations)."""
    index = after.indices[0] if isinstance(after, sympy.Indexed) else int(after.name[1:])
    name = after.name[0] if isinstance(after, sympy.Symbol) else str(after.base)
    w = tied_symbol("w") if kind == "tied" else layer_symbol("w", index)
    b = tied_symbol("b") if kind == "tied" else layer_symbol("b", index)
    if name == "z":
        previous = before if str(before).startswith("a") else TANH(before)
        return w * previous + b
    if kind == "residual":
        return before + TANH(w * before + b)
    return TANH(before)


@pytest.mark.parametrize("depth", [1, 3, 5, None])
@pytest.mark.parametrize("kind", ["plain", "residual", "tied"])
def test_every_backward_factor_is_the_derivative_of_the_forward_map(depth, kind):
    derivation = symgrad.derive(depth, "tanh", residual=kind == "residual", tied=kind == "tied",
                                layers=[1] if depth else None)
    diagram = diagram_of(derivation)
    labels = {n.key: n.label for n in diagram.nodes}
    checked = 0
    for edge in diagram.edges:
        start, end = labels[edge.start], labels[edge.end]
        if edge.role != "backward" or edge.label is None:
            continue
        before, after = variable(end), variable(start)  # ∂C/∂before = factor · ∂C/∂after
        expected = sympy.diff(forward_map(kind, before, after), before)
        factor = edge.label.doit() if hasattr(edge.label, "doit") else edge.label
        factor = factor.replace(dsigma, lambda z: 1 - TANH(z) ** 2)
        if kind == "residual":  # σ'(z_n) at z_n = w_n a_(n-1) + b_n
            index = after.indices[0] if isinstance(after, sympy.Indexed) else int(after.name[1:])
            z = layer_symbol("z", index)
            factor = factor.subs(z, forward_map(kind, before, z))
        assert sympy.simplify(factor - expected) == 0, (edge, factor, expected)
        checked += 1
    # one factor between each two drawn neighbours, and σ'(z_L) from ∂C/∂a_L to δ_L
    assert checked == len(following(SHOWN[depth])) + (kind != "residual")


@pytest.mark.parametrize("widths", [(2, 3, 2), (3, 3, 3, 3), (1, 4, 2), (6, 6, 6)])
def test_a_net_diagram_joins_every_unit_to_every_unit_of_the_next_layer(widths):
    diagram = diagram_of(symgrad.derive_net(list(widths), "sigmoid"))
    units = {n.key: n.label for n in diagram.nodes}
    assert len(diagram.nodes) == sum(widths) + 1
    for layer in range(1, len(widths)):
        pairs = [(units[e.start], units[e.end]) for e in diagram.edges
                 if str(units[e.end]).startswith(f"a_{layer}_")]
        assert len(pairs) == widths[layer - 1] * widths[layer] == len(set(pairs))
        assert {start for start, _ in pairs} == {sympy.Symbol(f"a_{layer - 1}_{k}", real=True)
                                                 for k in range(1, widths[layer - 1] + 1)}
        labelled = {e.label for e in diagram.edges if e.label is not None
                    and str(units[e.end]).startswith(f"a_{layer}_")}
        into_first = {sympy.Symbol(f"w_{layer}_1_{k}", real=True)
                      for k in range(1, widths[layer - 1] + 1)}
        assert labelled == (into_first if max(widths) <= 3 else
                            {sympy.Symbol(f"w_{layer}_1_1", real=True)})
    into_cost = [e for e in diagram.edges if units[e.end] == sympy.Symbol("C")]
    assert len(into_cost) == widths[-1]


DERIVE_AND_NOTES = {
    "derive plain": lambda: symgrad.derive(3, "sigmoid"),
    "derive residual": lambda: symgrad.derive(6, "tanh", residual=True),
    "derive tied": lambda: symgrad.derive(12, "relu", tied=True),
    "derive symbolic": lambda: symgrad.derive(None, "sigmoid"),
    "derive net": lambda: symgrad.derive_net([2, 3, 2], "sigmoid"),
    "notes chain": lambda: symgrad.notes(10, "sigmoid"),
    "notes chain with values": lambda: symgrad.notes(4, "tanh", residual=True, w=2, x="0.5"),
    "notes net": lambda: symgrad.notes(widths=(2, 2, 1), act="sigmoid"),
}


@pytest.mark.parametrize("name", DERIVE_AND_NOTES)
def test_every_format_draws_every_node_and_arrow(name):
    result = DERIVE_AND_NOTES[name]()
    diagram = diagram_of(result)
    doc = document(result)
    latex = render(result, "latex")
    pictures = [p for p in re.findall(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", latex,
                                      re.S) if r"\node[" in p]
    assert len(pictures) == len([s for s in doc.sections if s.diagram is not None])
    picture = pictures[0]
    assert picture.count(r"\node[") == len(diagram.nodes)
    assert picture.count(r"\draw[") == len(diagram.edges)
    latex_printer, text_printer = LatexPrinter(doc.output_layer), TextPrinter(doc.output_layer)
    for node in diagram.nodes:
        if node.label is not None:
            assert latex_printer.doprint(node.label) in picture
    for edge in diagram.edges:
        if edge.label is not None:
            assert "{$" + latex_printer.doprint(edge.label) + "$}" in picture
    svg = ElementTree.fromstring(svg_diagram(diagram, text_printer))
    texts = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    printed = [("…" if n.label is None else text_printer.doprint(n.label)) for n in diagram.nodes]
    printed += [text_printer.doprint(e.label) for e in diagram.edges if e.label is not None]
    unmarked = [re.sub(r"_\(([^()]*)\)", r"\1", label).replace("_", "") for label in printed]
    assert sorted(texts) == sorted(unmarked)  # subscripts set as subscripts, not after _
    text = text_diagram(diagram, text_printer)  # a net's in one line: its units, not its weights
    shown = printed[:len(diagram.nodes)] if diagram.layered else printed
    assert all(label in text for label in shown if label != "…")
    assert isinstance(diagram.caption, Prose) and latex.count(r"\caption{") >= 1


def test_text_diagram_reads_as_arrows():
    text = text_diagram(diagram_of(symgrad.derive(2, "sigmoid")), TextPrinter(sympy.Integer(2)))
    assert text.splitlines() == [
        "  a0 ─w1→ z1 ─σ→ a1 ─w2→ z2 ─σ→ a2 → C",
        "  ∂C/∂a_0 ←w1─ δ_1 ←w2 σ'(z1)─ δ_2 ←σ'(z2)─ ∂C/∂a_2"]


def overfull(log: str) -> list[str]:
    return [m.group(0) for m in re.finditer(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*", log)
            if float(m.group(1)) > 1.0]


COMPILED = {
    "chain 1": lambda: symgrad.derive(1, "tanh"),
    "chain 3": lambda: symgrad.derive(3, "sigmoid"),
    "chain 12 tied": lambda: symgrad.derive(12, "relu", tied=True),
    "chain 250": lambda: symgrad.derive(250, "sigmoid"),
    "symbolic": lambda: symgrad.derive(None, "tanh"),
    "symbolic residual": lambda: symgrad.derive(None, "relu", residual=True),
    "symbolic tied": lambda: symgrad.derive(None, "sigmoid", tied=True, cost="cross-entropy"),
    "net 2,3,2": lambda: symgrad.derive_net([2, 3, 2], "sigmoid"),
    "net 6x6": lambda: symgrad.derive_net([6] * 7, "relu"),
    "notes sigmoid 10": lambda: symgrad.notes(10, "sigmoid"),
}


@pytest.mark.parametrize("name", COMPILED)
def test_documents_with_diagrams_compile_without_overfull_boxes(tmp_path, name):
    log = compile_latex(tmp_path, "doc", render(COMPILED[name](), "latex"))
    assert not overfull(log), overfull(log)
    assert "Missing character" not in log


NARROW = r"""\documentclass{article}
\usepackage{amsmath,amssymb,float,pgfplots}
\pgfplotsset{compat=1.18}
\usetikzlibrary{arrows.meta}
\begin{document}
"""


@pytest.mark.parametrize("name", ["chain 12 tied", "symbolic residual", "net 6x6"])
def test_a_fragment_in_narrower_text_keeps_its_diagram_within_the_line(tmp_path, name):
    """The article class's 12 cm line, not the documents' 17 cm: the columns close up."""
    body = render(COMPILED[name](), "latex", fragment=True)
    source = NARROW + body + "\\end{document}\n"
    log = compile_latex(tmp_path, "narrow", source)
    lines = source.split("\n")
    start = next(n for n, line in enumerate(lines, 1) if line.startswith(r"\begin{figure}"))
    end = next(n for n, line in enumerate(lines, 1) if line.startswith(r"\end{figure}"))
    for amount, first, _, detected in re.findall(
            r"Overfull \\hbox \(([\d.]+)pt too wide\) (?:in paragraph at lines (\d+)--(\d+)|"
            r"detected at line (\d+))", log):
        at = int(first or detected)
        assert float(amount) <= 1.0 or not start <= at <= end, (amount, at)
