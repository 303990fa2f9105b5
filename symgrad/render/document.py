"""The layout shared by the text, LaTeX and Markdown renderers.

A result becomes a ``Document``: titled sections of words and equation rows.
Laying out computes nothing; each format then prints the same document.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from functools import singledispatch

import sympy

from symgrad.activations import ActivationTable
from symgrad.derive.chain import ChainDerivation, Equation, through_factors
from symgrad.derive.matrix import MatrixDerivation
from symgrad.notation import (
    DeltaVector,
    DerivativeMatrix,
    Factors,
    GradWeightMatrix,
    InputOutputJacobian,
    L,
    WeightMatrix,
    delta,
    dsigma,
    grad_a,
    grad_b,
    grad_w,
    grad_w_total,
    inf_dsigma,
    k,
    l,
    layer_symbol,
    local_derivative,
    sigma,
    sup_dsigma,
    tied_symbol,
    weight_entry,
)
from symgrad.render.chart import frame, limits_in_view
from symgrad.render.diagram import Diagram, chain_diagram, net_diagram
from symgrad.render.prose import Code, Phrase, Prose, Words, joined, paragraph, say

CHART_POINTS = 300  # a terminal chart has no more columns than this anyway
_UNITS = sympy.IndexedBase("n")  # n_l, the units of layer l
_J = sympy.Symbol("j", integer=True, positive=True)


@dataclass(frozen=True)
class Row:
    """lhs = sides[0] = sides[1] ..., optionally for an index range. ``relations`` puts
    another sign before a side (≤, ≥, ≈); missing ones are =. A row with a ``label`` is one
    of the document's numbered equations (stable names, so notes can \\eqref them)."""

    lhs: sympy.Expr
    sides: tuple[sympy.Expr, ...]
    index_range: tuple | None = None
    relations: tuple[str, ...] = ()
    label: str | None = None  # a numbered display's name: LaTeX \label{eq:<label>} (docs/commands.md)

    def relation(self, number: int) -> str:
        return self.relations[number] if number < len(self.relations) else "="


@dataclass(frozen=True)
class Grid:
    """A table of text cells; numbers are decimal strings (the printers typeset them). The
    headers are words (σ'(z_l) is math there, as in prose)."""

    headers: tuple[Words, ...]
    rows: tuple[tuple[Words, ...], ...]  # a str cell may be a number; a Prose is words


LIMITS_CAPTION = ("The dashed lines, as labelled: where float32 or float64 overflows (past its "
                  "largest finite number) or underflows to 0 (below its smallest subnormal).")


@dataclass(frozen=True)
class Line:
    """One more curve on a figure's axes, with its legend entry."""

    xs: tuple[float, ...]
    ys: tuple[float | None, ...]
    label: Words


@dataclass(frozen=True)
class Figure:
    """y against x, drawn by each format its own way (a terminal chart, a pgfplots axis,
    an SVG image by matplotlib)."""

    xs: tuple[float, ...]
    ys: tuple[float | None, ...]  # None: no point (log10 of 0)
    x_label: Words  # the axes' labels
    y_label: Words
    text_label: Words  # the terminal chart's heading
    caption: Words = ""
    bars: bool = False  # a histogram: each point a bar up from 0
    # A histogram drawn behind the line, on the same axes: (bin edges, heights).
    behind: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    more: tuple[Line, ...] = ()  # more curves on the same axes, each in the legend
    label: Words = ""  # the first curve's legend entry (where there are more)
    float_limits: bool = False  # y is log10 of a magnitude: mark where floats give out
    # The caption of a drawing (pgfplots, SVG), which marks the float limits in view:
    # worked out from the caption unless given (a translation gives it).
    drawn_caption: Words | None = None

    def __post_init__(self):
        if self.drawn_caption is None:
            drawn = paragraph(self.caption, LIMITS_CAPTION) if self.limit_lines else self.caption
            object.__setattr__(self, "drawn_caption", drawn)

    @property
    def empty(self) -> bool:
        """No point to draw (every value 0 on a log scale): a sentence says so instead."""
        return self.frame is None

    @property
    def frame(self):
        """The points to draw and the ranges of both series (``chart.frame``)."""
        xs = self.xs + tuple(x for line in self.more for x in line.xs)
        ys = self.ys + tuple(y for line in self.more for y in line.ys)
        return frame(xs, ys, self.bars, self.behind)

    @property
    def limit_lines(self) -> list[tuple[str, float]]:
        """The float limits a drawing of this figure marks: those in view, if any."""
        box = self.frame
        return limits_in_view(box) if self.float_limits and box is not None else []


@dataclass
class Section:
    title: Words
    words: Words = ""
    rows: list[Row] = field(default_factory=list)
    grid: Grid | None = None
    figure: Figure | None = None
    diagram: Diagram | None = None


@dataclass
class Document:
    title: Words
    sections: list[Section]
    output_layer: sympy.Expr  # how a_L prints: L, or the concrete depth
    lang: str = "en"  # the language of its words (``symgrad.render.language.translated``)


def _row(equation: Equation, label: str | None = None) -> Row:
    sides = [equation.rhs]
    if equation.concrete is not None and equation.concrete != equation.rhs:
        sides.append(equation.concrete)
    return Row(equation.lhs, tuple(sides), equation.index_range, label=label)


def _rows(equations, labels: dict | None = None) -> list[Row]:
    """Rows of ``equations``; the first equation of each left-hand side in ``labels`` is
    numbered under that label."""
    labels = dict(labels or {})
    return [_row(e, labels.pop(e.lhs, None)) for e in equations]


def shown_layers(depth: int, edge: int = 5, middle: int = 10) -> list[int]:
    """Every layer of a short chain; of a deep one the first and last few and some between."""
    if depth <= 2 * edge + middle:
        return list(range(1, depth + 1))
    step = (depth - 2 * edge) / (middle + 1)
    between = {edge + round(step * i) for i in range(1, middle + 1)}
    return sorted({*range(1, edge + 1), *between, *range(depth - edge + 1, depth + 1)})


def charted_layers(depth: int, points: int = CHART_POINTS) -> list[int]:
    """The layers a chart samples: all of a short chain, ``points`` evenly spread otherwise."""
    if depth <= points:
        return list(range(1, depth + 1))
    return sorted({1 + round(i * (depth - 1) / (points - 1)) for i in range(points)})


def displayed_layers(depth: int) -> set[int]:
    """The layers text, LaTeX and Markdown show: the table's and the chart's."""
    return set(shown_layers(depth)) | set(charted_layers(depth))


@singledispatch
def document(result) -> Document:
    """A result's layout, by its type (``document.register``), shared by every document
    format."""
    if load_layout(type(result)):
        return document(result)
    raise TypeError(f"No document layout for {type(result).__name__}: register one.")


# The results laid out in modules of their own, by the module that defines them: such a
# module (and the numeric code it names) is imported when one of its results is first
# printed, so a command loads only what it prints (an activation table: no numpy).
LAYOUT_MODULES = {
    "symgrad.analysis.bounds": "bounds_documents",
    "symgrad.analysis.region": "bounds_documents",
    "symgrad.numeric.evaluate": "numeric_documents",
    "symgrad.numeric.matrix_net": "numeric_documents",
    "symgrad.derive.recurrent": "cell_documents",
    "symgrad.numeric.recurrent": "cell_documents",
    "symgrad.analysis.cell_bounds": "cell_documents",
    "symgrad.analysis.meanfield": "meanfield_documents",
    "symgrad.analysis.sampling": "meanfield_documents",
    "symgrad.analysis.spectrum": "meanfield_documents",
    "symgrad.notes": "notes_document",
    "symgrad.verify": "verdict_document",
}


def load_layout(cls: type) -> bool:
    """Import the layout module of ``cls``'s results (or of a class it derives from) if
    it is not yet: True when one was imported. Its results get their notebook displays."""
    for klass in cls.__mro__:
        name = LAYOUT_MODULES.get(klass.__module__)
        if name is not None and f"symgrad.render.{name}" not in sys.modules:
            importlib.import_module(f"symgrad.render.{name}")
            _attach_displays()
            return True
    return False


def load_every_layout() -> None:
    """Import every layout module (the Python API does: any result may be shown)."""
    for name in sorted(set(LAYOUT_MODULES.values())):
        importlib.import_module(f"symgrad.render.{name}")
    _attach_displays()


def _attach_displays() -> None:
    from symgrad.render.notebook import attach_displays

    attach_displays(document.registry)  # every result with a layout shows itself in a notebook


@document.register
def _(derivation: ChainDerivation) -> Document:
    chain = derivation.chain
    activation = chain.activation
    depth_words = Phrase(say("depth {depth}", depth=chain.depth) if chain.depth else
                         say("general depth {L}", L=L))
    name, kind = Code(activation.name), Phrase(chain.kind)
    title = say("Backpropagation through a {kind} {name} chain, {depth}", kind=kind, name=name,
                depth=depth_words)
    z = sympy.Symbol("z", real=True)
    w, b = tied_symbol("w"), tied_symbol("b")
    sections = [
        Section(
            "Network",
            paragraph(
                say("A scalar {kind} chain of {depth}: one unit per layer, activation {name} "
                    "({title}), {cost} cost.", kind=kind, depth=depth_words, name=name,
                    title=Phrase(activation.title), cost=Phrase(chain.cost)),
                say("Every layer shares one weight {w} and one bias {b}.", w=w, b=b)
                if chain.tied else "",
                say(chain.layer.sentence, t=layer_symbol("t", l)) if chain.layer.sentence
                else ""),
            _rows(derivation.forward, {layer_symbol("z", l): "forward",
                                       sympy.Symbol("C"): "cost"}),
            diagram=chain_diagram(derivation),
        ),
        Section("Activation", _extremum_words(activation),
                _rows(derivation.activation, {dsigma(z): "activation-derivative"})),
        Section(
            "Backward pass",
            paragraph(
                "The error recursion, from the output layer down.",
                _gradient_recursion_words(chain, w, z)),
            _rows(derivation.recursion, _recursion_labels(derivation)),
        ),
        Section(
            "Closed form",
            _closed_form_words(chain),
            _rows(derivation.closed_form, {delta(l): "closed-form", grad_w(l): "closed-form-grad-w",
                                           grad_a(0): "closed-form-input"}),
        ),
    ]
    if derivation.layers:
        sections.append(_layers_section(derivation))
    if derivation.input_gradient is not None:
        front = derivation.layers[0]
        sections.append(
            Section(
                "Front layer in full",
                "Every factor written out, the activation's derivative through its output "
                "where it has such a form." if derivation.chain.layer.simple else
                "Every factor written out.",  # (a gated layer's a_l is not σ(z_l))
                [
                    Row(grad_w(front.layer), _forms(derivation, front.grad_w)[1:],
                        label="front-grad-w"),
                    Row(derivation.closed_form[-1].lhs,
                        _forms(derivation, derivation.input_gradient), label="front"),
                ],
            )
        )
    if derivation.tied_totals:
        sections.append(
            Section(
                "Shared weight: the total gradient",
                say("With tied weights every layer contributes to {total} (backpropagation "
                    "through time).", total=grad_w_total()),
                _rows(derivation.tied_totals, {grad_w_total(): "tied-total"}),
            )
        )
    return Document(title, sections, derivation.depth)


def _gradient_recursion_words(chain, w, z) -> Prose | str:
    """Why the recursion is of ∂C/∂a_l where the gain is not w σ' itself."""
    if chain.layer.keeps_weights_apart:
        return ""
    if chain.layer.simple:  # a residual layer: the gain 1 + w σ'(z)
        return say("In a residual chain the gradient with respect to the activations, not "
                   "{delta}, obeys a clean recursion: each layer multiplies it by {gain}.",
                   delta=sympy.Symbol("delta"), gain=chain.layer.simple[1] + Factors([w, dsigma(z)]))
    return say("Here too the gradient with respect to the activations, not {delta}, obeys a "
               "clean recursion: each layer multiplies it by its factor {gain}, derived from the "
               "layer's definition.", delta=sympy.Symbol("delta"),
               gain=local_derivative(layer_symbol("a", l), layer_symbol("a", l - 1)))


def _recursion_labels(derivation: ChainDerivation) -> dict:
    """The backward pass's numbered equations: the output layer's error, the recursion
    (of δ_l; in a residual chain of ∂C/∂a_l, with δ_l beside it), the gradients."""
    depth = derivation.depth
    labels = {grad_w(l): "grad-w", grad_b(l): "grad-b"}
    if not derivation.chain.layer.keeps_weights_apart:
        return {grad_a(depth): "output-gradient", grad_a(l - 1): "gradient-recursion",
                delta(l): "delta", **labels}
    return {delta(depth): "output-error", delta(l): "delta-recursion", **labels,
            grad_a(0): "input-gradient"}


def _forms(derivation: ChainDerivation, product) -> tuple:
    """Abstract, concrete, and (where something cancels) simplified."""
    simplified = derivation.simplified(product)
    return (product, derivation.concrete(product)) + ((simplified,) if simplified is not None else ())


def _layers_section(derivation: ChainDerivation) -> Section:
    rows = []
    for gradient in derivation.layers:
        n = gradient.layer
        rows.append(Row(delta(n), _forms(derivation, gradient.delta)))
        rows.append(Row(grad_w(n), (gradient.layer_input * delta(n),)))
        rows.append(Row(grad_b(n), (delta(n),)))
        rows += [Row(symbol, _forms(derivation, product)) for symbol, product in gradient.own]
    count = len(derivation.layers)
    words = (
        ("Each layer's error as (output gradient) × (weights) × (activation derivatives)."
         if derivation.chain.layer.keeps_weights_apart else
         say("Each layer's error as (output gradient) × {through} × (the factors "
             "{gain} of the layers above it).", through=Factors(through_factors(derivation.chain, l)),
             gain=local_derivative(layer_symbol("a", k), layer_symbol("a", k - 1))))
        if count == derivation.chain.depth
        else say("{count} of the {depth} layers written out (the rest follow the closed form; "
                 "writing all would grow as the square of the depth).", count=count,
                 depth=derivation.chain.depth)
    )
    return Section("Layer by layer", words, rows)


def _closed_form_words(chain) -> Prose:
    w_k, z_k = layer_symbol("w", k), layer_symbol("z", k)
    if not chain.layer.simple:  # a layer with a gate of its own
        gate = layer_symbol(chain.layer.gate_names[0], k)
        return say("Each layer between {l} and the output contributes its whole factor "
                   "{gain}, not {plain}: where the gate is nearly shut ({t} near 0) the carry "
                   "term {carry} passes the gradient on whatever {w} and {sigma} are.", l=l,
                   gain=local_derivative(layer_symbol("a", k), layer_symbol("a", k - 1)),
                   plain=Factors([w_k, dsigma(z_k)]), t=gate, carry=1 - gate, w=w_k,
                   sigma=sympy.Symbol("sigma"))
    if chain.layer.simple[1]:
        return say("Each layer between {l} and the output contributes a factor {residual}, "
                   "not {plain}: the identity path keeps the gradient from vanishing.", l=l,
                   residual=1 + Factors([w_k, dsigma(z_k)]), plain=Factors([w_k, dsigma(z_k)]))
    if chain.tied:
        return say("The product of the {count} weights after layer {l} collapses to a power of "
                   "the shared weight {w}; the product of derivatives runs from layer {l} to "
                   "layer {L}.", count=L - l, l=l, w=tied_symbol("w"), L=L)
    return say("The product of weights runs from layer {next} to {L}, the product of "
               "derivatives from layer {l} to {L}: one weight fewer than derivatives.",
               next=l + 1, L=L, l=l)


def _extremum_words(activation) -> Prose:
    z = sympy.Symbol("z", real=True)
    parts = []
    for symbol, extremum in ((sup_dsigma(), activation.derivative_sup),
                             (inf_dsigma(), activation.derivative_inf)):
        value = extremum.value
        approx = "" if value.is_Rational else say(", about {value}", value=sympy.N(value, 6))
        how = "numerical" if not extremum.exact else "exact"
        parts.append(Phrase(say("{extremum}{approx} ({how}; {where})",
                                extremum=sympy.Eq(symbol, value, evaluate=False),
                                approx=Phrase(approx) if approx else "", how=Phrase(how),
                                where=Phrase(_where_words(extremum, z)))))
    words = say("Over the real line: {parts}.", parts=joined(parts, "; "))
    jumps = say("{sigma} jumps at {places} (it is discontinuous there): the derivative is "
                "taken on each piece, as autograd takes it; the jump itself, a Dirac delta in "
                "the derivative, is no part of backprop, so these bounds hold off the jumps.",
                sigma=sympy.Symbol("sigma"),
                places=Phrase(joined([say("{p}", p=sympy.Eq(z, p, evaluate=False))
                                      for p in activation.jumps], ", ")))
    return paragraph(words, jumps if activation.jumps else "")


def _where_words(extremum, z: sympy.Symbol) -> Prose:
    """Where an extremum is attained (points, intervals, or both: hardtanh's σ' = 1 on
    (−1, 1)), or where it is approached."""
    where = extremum.where
    parts = where.args if isinstance(where, sympy.Union) else (where,)
    points = [p for part in parts if isinstance(part, sympy.FiniteSet) for p in part]
    intervals = [part for part in parts if isinstance(part, sympy.Interval)]
    if not extremum.attained:
        return say("not attained, approached as {z} tends to {points}", z=z,
                   points=Phrase(joined([say("{point}", point=p) for p in points], ", ")))
    found = [Phrase(say("for every {z} in {interval}", z=z, interval=part)) for part in intervals]
    found += [Phrase(say("at {point}", point=sympy.Eq(z, p, evaluate=False))) for p in points]
    return say("attained {where}", where=Phrase(joined(found, " and ")))


@document.register
def _(derivation: MatrixDerivation) -> Document:
    net = derivation.net
    widths = net_widths(net)
    activation = net.activation
    sections = [
        Section(
            "Network",
            paragraph(
                say("Widths {widths}: layer {l} has {units} units, {matrix} has {units} rows "
                    "and {inputs} columns, and {entry} joins unit {k} of layer {before} to unit "
                    "{j} of layer {l}.", widths=widths, l=l, units=_UNITS[l],
                    matrix=WeightMatrix(l), inputs=_UNITS[l - 1], entry=weight_entry(l, _J, k),
                    k=k, before=l - 1, j=_J),
                say("Activation {name} ({title}), {cost} cost summed over the output units.",
                    name=Code(activation.name), title=Phrase(activation.title),
                    cost=Phrase(net.cost))),
            [_row(e) for e in derivation.forward],
            diagram=net_diagram(derivation),
        ),
        Section("Output error", say("Each output unit's error: the cost's derivative times "
                                    "{dsigma}.", dsigma=dsigma(sympy.Symbol("z", real=True))),
                [_row(e) for e in derivation.output_errors]),
        Section("Backward pass",
                say("Each unit's error gathers the errors of the units it feeds, through the "
                    "weights leaving it (column {j} of {matrix}), times its own {dsigma}.",
                    j=_J, matrix=WeightMatrix(l + 1),
                    dsigma=dsigma(sympy.Symbol("z", real=True))),
                [_row(e) for e in derivation.recursion]),
        Section("Gradients", "For every entry of every layer, as written below.",
                [_row(e) for e in derivation.gradients]),
        Section("Matrix form",
                say("With {diagonal} the errors are one matrix product; the same factors, in "
                    "the other order and untransposed, make the input-output Jacobian.",
                    diagonal=sympy.Eq(DerivativeMatrix(k), sympy.Function("diag")(
                        dsigma(sympy.Symbol("z^k", real=True))), evaluate=False)),
                _rows(derivation.matrix_form, {
                    DeltaVector(derivation.depth): "matrix-output-error",
                    GradWeightMatrix(l): "matrix-grad-w",
                    InputOutputJacobian(derivation.depth): "jacobian"})),
        Section("Any widths and depth", say("The matrix form for a net of depth {L}.", L=L),
                _rows(derivation.general_form, {DeltaVector(l): "matrix-closed-form",
                                                InputOutputJacobian(L): "jacobian-general"})),
    ]
    if derivation.paths:
        sections.append(Section(
            "The front layer as a sum over paths",
            say("The scalar chain's single product of weights and {dsigma} becomes one such "
                "product for every path from the unit to the output.",
                dsigma=dsigma(sympy.Symbol("z", real=True))),
            [_row(e, f"paths-{e.lhs.args[1]}") for e in derivation.paths]))
    title = say("Backpropagation through a {name} net of widths {widths}",
                name=Code(activation.name), widths=widths)
    return Document(title, sections, derivation.depth)


def net_widths(net) -> sympy.Tuple:
    """A net's widths as math: (2, 3, 2)."""
    return sympy.Tuple(*net.widths)


@document.register
def _(table: ActivationTable) -> Document:
    z = sympy.Symbol("z", real=True)
    a = sympy.Symbol("a", real=True)
    sections = []
    for activation in table.activations:
        derivative_sides = [activation.derivative_at(z)]
        through_output = activation.derivative_from_output(a)
        if through_output is not None:
            derivative_sides.append(through_output)
        sections.append(
            Section(
                f"{activation.name}: {activation.title}",
                _extremum_words(activation)
                + (say(" The derivative is also written through the output {output}.",
                       output=sympy.Eq(a, sigma(z), evaluate=False))
                   if through_output is not None else ""),
                [Row(sigma(z), (activation.at(z),)), Row(dsigma(z), tuple(derivative_sides))],
            )
        )
    return Document("The activation library", sections, sympy.Symbol("L"))
