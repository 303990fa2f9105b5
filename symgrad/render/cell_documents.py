"""The layouts of a recurrent cell's derivation and evaluation (``derive --cell``,
``eval --cell``)."""

from __future__ import annotations

import mpmath
import sympy

from symgrad.analysis.cell_bounds import CellBounds
from symgrad.derive.chain import Equation
from symgrad.derive.recurrent import CellDerivation, T, concrete_form, through_weights
from symgrad.layers.step import parameter_symbol
from symgrad.notation import (
    Norm,
    grad_of,
    least_singular,
    local_derivative,
    log10,
    matrix_norm,
    slashed_ratio,
    step_symbol,
)
from symgrad.numeric.real import table_cell
from symgrad.numeric.recurrent import CellEvaluation
from symgrad.render.document import Document, Figure, Grid, Row, Section, document, shown_layers
from symgrad.render.number_style import approx
from symgrad.render.numeric_documents import _value_row, uncertified_words
from symgrad.render.prose import Code, Phrase, Prose, joined, paragraph, say

WRITTEN_STEPS = 4  # a derivation shows the backward step of this many steps at each end

t = sympy.Symbol("t", integer=True, positive=True)
l = sympy.Symbol("l", integer=True, positive=True)  # noqa: E741 - the notation's own name


def _rows(equations: tuple[Equation, ...], net=None) -> list[Row]:
    rows = []
    for e in equations:
        sides = [e.rhs]
        concrete = e.concrete if e.concrete is not None else (
            concrete_form(net, e.rhs) if net is not None else e.rhs)
        if concrete != e.rhs:
            sides.append(concrete)
        rows.append(Row(e.lhs, tuple(sides), e.index_range))
    return rows


def _cell_words(kind, net):
    state = joined([say("{s}", s=step_symbol(s, t)) for s in kind.state], ", ")
    gates = joined([say("{gate} ({what})", gate=step_symbol(g, t), what=what)
                    for g, what in kind.gates.items()], ", ")
    activation = say(", activation {name}", name=Code(net.activation.name)) \
        if net.activation is not None else ""
    return paragraph(
        say("The {title} ({reference}){activation}: state {state}, one input {x} per step, "
            "parameters shared by every step.", title=kind.title, reference=kind.reference,
            activation=Phrase(activation) if activation else "", state=state, x=step_symbol("x", t)),
        say("Gates: {gates}.", gates=gates) if kind.gates else "",
        "The cost reads only the last output.")


@document.register
def _(derivation: CellDerivation) -> Document:
    net, kind = derivation.net, derivation.kind
    length = say(_steps(net.steps), T=derivation.length) if net.steps else say("length {T}", T=T)
    title = say("Backpropagation through time: {title}, {length}", title=kind.title,
                length=Phrase(length))
    state = [step_symbol(s, t) for s in kind.state]
    sections = [
        Section("Cell", _cell_words(kind, net), _rows(derivation.forward, net)),
        Section("Local Jacobian",
                say("{J} = {partial}: each entry is sympy.diff of the one step's quantities, "
                    "chained through them; a gate's derivative written through the gate.",
                    J=sympy.Symbol("J_t"),
                    partial=local_derivative(step_symbol("s", t), step_symbol("s", t - 1))),
                _rows(derivation.jacobian, net)),
        Section("Backward through time",
                paragraph(
                    say("The gradient with respect to the state is carried back by the "
                        "transposed Jacobian; {carried} is the gradient with respect to the "
                        "state carried into step {next}.", carried=grad_of(state[-1]),
                        next=t + 1) if len(state) > 1 else
                    "The gradient with respect to the state is carried back by the Jacobian.",
                    "Each parameter's gradient sums its steps' contributions."),
                _rows(derivation.recursion + derivation.parameter_gradients, net)),
    ]
    if derivation.closed_form:
        sections.append(_closed_form_section(derivation))
    if derivation.steps:
        sections.append(_steps_section(derivation))
    return Document(title, sections, derivation.length)


def _closed_form_section(derivation: CellDerivation) -> Section:
    kind = derivation.kind
    if kind.carousel_gate is None:
        words = "The gradient reaching step l is a product over the later steps, the weights' " \
                "apart from the activation's derivatives."
    else:
        weights = joined([say("{w}", w=parameter_symbol(w)) for w in kind.recurrent_weights], ", ")
        gate = step_symbol(kind.carousel_gate, sympy.Symbol("k", integer=True, positive=True))
        words = paragraph(
            say("{R} collects every path that passes through a recurrent weight ({weights}); "
                "with those weights 0 it is 0, and the gradient travels on the carousel alone, "
                "multiplied by {gate} at each step: no weight and no activation's derivative "
                "in the product.", R=through_weights[l], weights=weights, gate=gate),
            say("Each {gate} lies in (0, 1): the carousel still shrinks the gradient unless "
                "the gate stays near 1 (a large bias).", gate=gate))
    return Section("Closed form and the carousel", words, _rows(derivation.closed_form, derivation.net))


def _steps_section(derivation: CellDerivation) -> Section:
    steps = derivation.steps
    shown = steps if len(steps) <= 2 * WRITTEN_STEPS else \
        steps[:WRITTEN_STEPS] + steps[-WRITTEN_STEPS:]
    rows = []
    for step in shown:
        rows += _rows(step.backward, derivation.net)
    gradients = [Row(grad_of(parameter_symbol(name)), (concrete_form(derivation.net, expr),))
                 for name, expr in derivation.gradients] if len(steps) <= WRITTEN_STEPS else []
    words = say("The recursion at {count} (JSON has every step and every parameter's "
                "gradient).", count=Phrase("every step" if shown == steps else
                                           say("the first and last {n} steps", n=WRITTEN_STEPS)))
    return Section("Step by step", words, rows + gradients)


@document.register
def _(evaluation: CellEvaluation) -> Document:
    kind, digits, point = evaluation.net.cell, evaluation.dps, evaluation.point
    steps = len(point.inputs)
    title = say("{kind}: {title}, " + _steps(steps) + ", {digits} digits",
                kind=Phrase("Certified enclosures" if evaluation.interval else
                            "Backpropagation through time"),
                title=kind.title, T=steps, digits=digits)
    inputs = set(point.inputs)
    setting = paragraph(
        _activation_words(evaluation.net),
        say("Parameters {settings}.", settings=_parameter_values(point)),
        say("Inputs {x}; initial state {initial}; target {y}; every number read exactly.",
            x=sympy.Eq(step_symbol("x", t), point.inputs[0], evaluate=False)
            if len(inputs) == 1 else sympy.Symbol("x_1..x_T"),
            initial=_initial_values(point),
            y=sympy.Eq(sympy.Symbol("y"), point.target, evaluate=False)),
        "Every value is a certified enclosure: the exact value lies inside."
        if evaluation.interval else
        uncertified_words(evaluation.uncertified) if evaluation.uncertified else "")
    rows = [_value_row(sympy.Symbol("C"), evaluation.cost, digits)]
    rows += [_value_row(grad_of(parameter_symbol(name)), value, digits)
             for name, value in evaluation.gradients]
    rows += [_value_row(grad_of(step_symbol(name[0], 0)), value, digits)
             for name, value in evaluation.initial_gradients]
    shown = [evaluation.steps[n - 1] for n in shown_layers(steps)]
    carousel = kind.carousel_gate
    k = sympy.Symbol("k", integer=True, positive=True)
    forward = Grid(("t", *(say("{q}", q=step_symbol(q, t)) for q in kind.quantity_names())),
                   tuple((str(s.t), *(table_cell(v) for _, v in s.quantities)) for s in shown))
    backward = Grid(
        ("t", *(say("{g}", g=grad_of(step_symbol(s, t))) for s in kind.state),
         say("{norm}", norm=matrix_norm(sympy.Symbol("J_t"))),
         *((say("{p}", p=sympy.Product(step_symbol(carousel, k), (k, t + 1, T))),)
           if carousel else ())),
        tuple((str(s.t), *(table_cell(g) for _, g in s.state_gradients), table_cell(s.norm),
               *((table_cell(s.carousel),) if carousel else ())) for s in shown))
    which = Phrase("Every step" if len(shown) == steps else
                   say("{n} of the {T} steps (JSON has them all)", n=len(shown), T=steps))
    sections = [
        Section("Setting", setting),
        Section("Gradients", "The cost, every parameter's gradient (summed over the steps) and "
                             "the initial state's.", rows),
        Section("Forward pass", say("{which}: the gates and the state.", which=which),
                grid=forward),
        Section("Backward through time",
                say("{which}: the gradient reaching each step's state and the size of the step's "
                    "Jacobian{carousel}. The figure: {size} against {t}.",
                    carousel=", and the carousel's product" if carousel else "",
                    which=which, size=log10(sympy.Abs(grad_of(step_symbol("h", t)))), t=t),
                grid=backward, figure=_gradient_figure(evaluation)),
    ]
    return Document(title, sections, sympy.Integer(steps))


def _activation_words(net) -> Prose | str:
    """The rnn's "Activation tanh."; nothing for a gated cell, whose functions are fixed."""
    return say("Activation {name}.", name=Code(net.activation.name)) \
        if net.activation is not None else ""


def _parameter_values(point) -> Prose:
    """u_i = 1/2, w_i = 1/2, ...: every parameter as set."""
    return joined([say("{p}", p=sympy.Eq(parameter_symbol(name), value, evaluate=False))
                   for name, value in point.parameters], ", ")


def _initial_values(point) -> Prose:
    """h0 = 0, c0 = 0: the initial state."""
    return joined([say("{v}", v=sympy.Eq(step_symbol(name[0], 0), value, evaluate=False))
                   for name, value in point.initial], ", ")


def _gradient_figure(evaluation: CellEvaluation) -> Figure:
    size = log10(sympy.Abs(grad_of(step_symbol("h", t))))
    return Figure(tuple(s.t for s in evaluation.steps), evaluation.magnitudes("h"),
                  say("step {t}", t=t), say("{size}", size=size),
                  say("{size} against {t}", size=size, t=t),
                  say("{size} against the step {t}, from the exact pass.", size=size, t=t),
                  float_limits=True)


def _steps(count: int) -> str:
    """"{T} steps", or "{T} step" for one."""
    return "{T} step" if count == 1 else "{T} steps"


def _sequence_ratio(bounds: CellBounds) -> sympy.Expr:
    """‖∂C/∂s_0‖ / ‖∂C/∂s_T‖ (|∂C/∂h_0| / |∂C/∂h_T| for a one-number state)."""
    size = Norm if len(bounds.net.cell.state) > 1 else sympy.Abs
    state = "s" if len(bounds.net.cell.state) > 1 else "h"
    return slashed_ratio(size(grad_of(step_symbol(state, 0))),
                         size(grad_of(step_symbol(state, bounds.steps))))


def _carousel_product(bounds: CellBounds) -> sympy.Expr:
    k = sympy.Symbol("k", integer=True, positive=True)
    return sympy.Product(step_symbol(bounds.net.cell.carousel_gate, k), (k, 1, bounds.steps))


def cell_bounds_verdict(bounds: CellBounds) -> Prose:
    """What the bounds say, as sentences: the regime, then the carousel's share."""
    ratio = _sequence_ratio(bounds)
    if bounds.regime == "vanishing":
        verdict = say("The gradient vanishes for every input sequence in the range: {bound}.",
                      bound=sympy.LessThan(ratio, approx(bounds.upper, rounding="up")))
    elif bounds.regime == "exploding":
        verdict = say("The gradient explodes for every input sequence in the range: {bound}.",
                      bound=sympy.GreaterThan(ratio, approx(bounds.lower, rounding="down")))
    else:
        verdict = say("The bounds do not settle whether the gradient vanishes or explodes "
                      "({lower} to {upper}); evaluate the cell at your inputs with {command}.",
                      lower=approx(bounds.lower, rounding="down"),
                      upper=approx(bounds.upper, rounding="up"),
                      command=Code("symgrad eval --cell"))
    if bounds.carousel is None:
        return verdict
    gate = bounds.net.cell.carousel_gate
    low, high = bounds.carousel
    return paragraph(verdict, say(
        "Along the carousel alone (the {gate} gate, through no weight) the gradient is "
        "multiplied by {product}, between {low} and {high}{fate}.",
        gate=step_symbol(gate, t), product=_carousel_product(bounds),
        low=approx(low, rounding="down"), high=approx(high, rounding="up"),
        fate=Phrase(": it vanishes however the inputs run" if high < mpmath.mpf(10) ** -6 else
                    ": it keeps the gradient's size" if low > mpmath.mpf(1) / 10 else "")))


@document.register
def _(bounds: CellBounds) -> Document:
    net, kind, point = bounds.net, bounds.net.cell, bounds.point
    title = say("Gradient bounds through time: {title}, " + _steps(bounds.steps),
                title=kind.title, T=bounds.steps)
    low, high = bounds.inputs
    setting = paragraph(
        _activation_words(net),
        say("Parameters {settings}; initial state {initial}.", settings=_parameter_values(point),
            initial=_initial_values(point)),
        say("The bounds hold for every input sequence with {x} from {low} to {high}, and every "
            "state the cell reaches from there: each step is bounded in certified interval "
            "arithmetic over a box of states that holds its own image.",
            x=step_symbol("x", t), low=low, high=high))
    sections = [Section("Setting", setting)]
    if bounds.box is not None:
        sections.append(Section(
            "Where the states stay",
            say("From step 1 on every state lies in this box: a step maps it into itself for "
                "every input in the range."),
            grid=Grid(("state", "least", "greatest"),
                      tuple((say("{s}", s=step_symbol(name, t)), table_cell(lo, rounding="down"),
                             table_cell(hi, rounding="up"))
                            for name, lo, hi in bounds.box))))
    else:
        sections.append(Section(
            "Where the states stay",
            say("No bounded box holds the states (the activation is unbounded and the weight "
                "lets them grow), so the later steps take the activation's whole range.")))
    norm, least = matrix_norm(sympy.Symbol("J_t")), least_singular(sympy.Symbol("J_t"))
    header = ["", "step 1: least", "step 1: greatest"]
    if bounds.steps == 2:
        header += ["step 2: least", "step 2: greatest"]
    elif bounds.steps > 2:
        header += [say("steps 2 … {T}: least", T=bounds.steps),
                   say("steps 2 … {T}: greatest", T=bounds.steps)]
    step_rows = [(say("{norm}", norm=norm),
                  *(cell for b in bounds.bounds for cell in ("", table_cell(b.norm, rounding="up")))),
                 (say("{least}", least=least),
                  *(cell for b in bounds.bounds for cell in (table_cell(b.least, rounding="down"),
                                                             "")))]
    step_rows += [(say("{gate}", gate=step_symbol(g, t)),
                   *(table_cell(end, rounding=side) for b in bounds.bounds
                     for end, side in zip(b.gate(g), ("down", "up"))))
                  for g in kind.gates]
    sections.append(Section(
        "One step",
        paragraph(say("What a step does to the gradient, over every state and input: the "
                      "Jacobian's largest singular value {norm} at most, its least {least} at "
                      "least, and each gate's range.", norm=norm, least=least),
                  "An rnn piece with a kink of the activation took the activation's whole "
                  "derivative range." if any(b.whole_range for b in bounds.bounds) else ""),
        grid=Grid(tuple(header), tuple(step_rows))))
    ratio = _sequence_ratio(bounds)
    rows = [Row(ratio, (approx(bounds.upper, rounding="up"),), relations=("≤",)),
            Row(log10(ratio), (approx(bounds.log10_upper, rounding="up"),), relations=("≤",)),
            Row(ratio, (approx(bounds.lower, rounding="down"),), relations=("≥",))]
    if bounds.carousel is not None:
        product = _carousel_product(bounds)
        rows += [Row(product, (approx(bounds.carousel[0], rounding="down"),), relations=("≥",)),
                 Row(product, (approx(bounds.carousel[1], rounding="up"),), relations=("≤",))]
    sections.append(Section(
        "The whole sequence",
        say("The products of the steps' bounds: the gradient carried back to the initial state "
            "is multiplied by at most the product of {norm} and at least that of {least}.",
            norm=norm, least=least),
        rows))
    sections.append(Section("Verdict", cell_bounds_verdict(bounds)))
    return Document(title, sections, sympy.Integer(bounds.steps))
