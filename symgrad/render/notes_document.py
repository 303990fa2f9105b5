"""The layout of ``symgrad notes``: sections of the other results' documents, in the
order the argument runs, joined by the words that carry it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import mpmath
import sympy

from symgrad.notation import (
    Expectation,
    Factors,
    Normal,
    Terms,
    dsigma,
    ellipsis,
    grad_of,
    k,
    l,
    layer_symbol,
    local_derivative,
    sigma,
    slope,
    step_symbol,
    sup_abs_dsigma,
)
from symgrad.notes import DEEPER, RANDOM_WEIGHTS_DPS, CellNotes, ChainNotes, NetNotes, Regime
from symgrad.numeric.real import decimal, table_cell
from symgrad.render.bounds_documents import W, bounds_verdict
from symgrad.render.document import Document, Grid, Row, Section, document, net_widths
from symgrad.render.json import Rows, json_object
from symgrad.render.meanfield_documents import (
    CHI,
    DEPTH,
    N_UNITS,
    QSTAR,
    SPREAD,
    SW2,
    scaled_gaussian,
    spectrum_number,
)
from symgrad.render.number_style import exact_sides
from symgrad.render.printing import TextPrinter, plain
from symgrad.render.prose import Code, Phrase, Prose, Words, paragraph, say
from symgrad.render.text import text_words

POWER_DIGITS = 15  # digits of a regime's power in JSON


def _sections(result) -> dict[str, Section]:
    return {section.title: section for section in document(result).sections}


def _retitled(section: Section, title: Words, words: Words | None = None,
              labels: str = "") -> Section:
    """The section under another title (and words); ``labels`` put before its equation
    labels, for a section of a second derivation or bound (eq:residual-delta-recursion
    beside the plain chain's eq:delta-recursion)."""
    rows = [replace(row, label=labels + row.label) if labels and row.label else row
            for row in section.rows]
    return Section(title, section.words if words is None else words, rows,
                   section.grid, section.figure, section.diagram)


def _power_row(base: sympy.Rational, depth: int, label: str) -> Row:
    """base^depth = its exact value ≈ its decimal, as many of these as say something."""
    written = sympy.Pow(base, depth, evaluate=False)
    sides, relations = exact_sides(base ** depth, written)
    return Row(written, sides, relations=relations, label=label)


def _front_weights(depth: int) -> Prose:
    if depth == 1:
        return say("with one layer there is no weight between the front layer and the output.")
    weights = layer_symbol("w", 2) if depth == 2 else \
        Factors((layer_symbol("w", 2), ellipsis(), layer_symbol("w", depth)))
    return say("the front layer still carries {weights}. With every {ten} that is {power}; "
               "with every {half} it is {small}.", weights=weights,
               ten=sympy.Eq(W, 10, evaluate=False), half=sympy.Eq(W, sympy.Rational(1, 2),
                                                             evaluate=False),
               power=sympy.Pow(10, depth - 1, evaluate=False),
               small=sympy.Pow(2, -(depth - 1), evaluate=False))


_SLOPE, _W = slope(), sympy.Symbol("w", real=True)
_REGIMES = {  # case: (title, words)
    "vanishing": (
        say("{slope} with ordinary weights: vanishing", slope=sympy.StrictLessThan(_SLOPE, 1)),
        say("The sigmoid's derivative is at most {quarter}, so with {w} every layer multiplies "
            "the gradient by at most {quarter}.", quarter=sympy.Rational(1, 4),
            w=sympy.LessThan(sympy.Abs(_W), 1))),
    "still vanishing": (
        say("{slope} but {w}: still vanishing", slope=sympy.GreaterThan(_SLOPE, 1),
            w=sympy.StrictLessThan(sympy.Abs(_W), 1)),
        say("A ReLU passes the gradient with {one} where it is active, yet weights of {half} "
            "halve it at every layer.", one=sympy.Eq(_SLOPE, 1, evaluate=False),
            half=sympy.Rational(1, 2))),
    "exploding": (
        say("{gain}: exploding", gain=sympy.StrictGreaterThan(
            sympy.Abs(Factors((_W, _SLOPE)), evaluate=False), 1)),
        say("With {w} an active ReLU multiplies the gradient by {ten} at every layer.",
            w=sympy.Eq(_W, 10, evaluate=False), ten=10)),
}


def _regime_labels(regime: Regime) -> tuple[str, str]:
    """regime-vanishing (at the depth) and regime-vanishing-deeper (ten times it)."""
    name = "regime-" + regime.case.replace(" ", "-")
    return name, name + "-deeper"


def _front_layer_factors(section: Section, chain) -> Section:
    """The front layer's error: the weights apart from the derivatives where the layers'
    factors are w σ' (plain), else the layers' whole factors (residual, highway)."""
    depth = chain.depth
    if chain.layer.keeps_weights_apart:
        return _retitled(section, "Weights and derivatives, apart",
                         say("The front layer's error with the weights grouped apart from the "
                             "derivatives: {weights} weights, {derivatives} derivatives.",
                             weights=depth - 1, derivatives=depth))
    return _retitled(section, "The layers' factors, whole",
                     say("The front layer's error with each layer above it contributing its "
                         "whole factor {factor}: {count} factors, none of them a product of "
                         "a weight and a derivative alone.", count=depth - 1,
                         factor=local_derivative(layer_symbol("a", k), layer_symbol("a", k - 1))))


@document.register
def _(notes: ChainNotes) -> Document:
    chain, depth = notes.chain, notes.chain.depth
    name = Code(chain.activation.name)
    derivation = _sections(notes.derivation)
    bounds = _sections(notes.bounds)
    deeper = _sections(notes.deeper_bounds)
    sections = [
        _retitled(derivation["Network"], "Notation and forward pass"),
        derivation["Activation"],
        _retitled(derivation["Backward pass"],
                  say("The chain rule and the {delta} recursion", delta=sympy.Symbol("delta")),
                  paragraph("The chain rule, applied once per layer from the output down.",
                            derivation["Backward pass"].words)),
        _retitled(derivation["Closed form"], "The closed form"),
        _retitled(derivation["Front layer in full"],
                  say("The front layer at depth {depth}", depth=depth)),
        _front_layer_factors(derivation["Layer by layer"], chain),
        _retitled(bounds["The activation's derivative"],
                  say("{sup} and the worst-case bound", sup=sup_abs_dsigma())),
        bounds["One layer"],
        _retitled(bounds["The whole chain"], say("The whole chain, depth {depth}", depth=depth)),
        _retitled(deeper["The whole chain"],
                  say("At ten times the depth, {depth}", depth=DEEPER * depth),
                  "The same bound for a chain ten times as deep.", labels="deeper-"),
        Section("Verdict", say("At depth {depth} the gradient {verdict}; at depth {deeper_depth} "
                               "it {deeper}.", depth=depth, deeper_depth=DEEPER * depth,
                               verdict=Phrase(bounds_verdict(notes.bounds)),
                               deeper=Phrase(bounds_verdict(notes.deeper_bounds)))),
    ]
    for regime in notes.regimes:
        title, words = _REGIMES[regime.case]
        sections.append(Section(
            "Regime: " + title,  # one key per regime: a talk finds its section by it
            paragraph(words, say("Per layer the factor is {factor}; over {depth} and {deeper} "
                                 "layers:", factor=regime.factor, depth=regime.depths[0],
                                 deeper=regime.depths[1])),
            [_power_row(regime.factor, d, label)
             for d, label in zip(regime.depths, _regime_labels(regime))],
        ))
    relu_front = _sections(notes.relu)["Layer by layer"]
    sections.append(_retitled(
        relu_front, "Why ReLU alone does not remove the weight product",
        say("ReLU's derivative is 1 where a unit is active and 0 elsewhere, so along an "
            "active chain the {slope} factors are all 1, but the weights stay: ", slope=_SLOPE)
        + _front_weights(depth),
    ))
    if notes.residual is not None:
        residual = _sections(notes.residual)
        residual_bounds = _sections(notes.residual_bounds)
        sections.append(_retitled(
            residual["Backward pass"], "Residual connections",
            say("With {forward} each layer multiplies the gradient by {residual}, not {plain}: the "
                "identity path carries it even where {slope} is small.",
                forward=sympy.Eq(layer_symbol("a", l), Terms(layer_symbol("a", l - 1),
                                                             sigma(layer_symbol("z", l))),
                                 evaluate=False),
                residual=Terms(1, Factors((_W, dsigma(sympy.Symbol("z"))))),
                plain=Factors((_W, dsigma(sympy.Symbol("z")))), slope=_SLOPE),
            labels="residual-",
        ))
        sections[-1].diagram = residual["Network"].diagram  # the identity paths, drawn
        sections.append(_retitled(residual_bounds["One layer"],
                                  say("The residual factor, {w}",
                                      w=sympy.Eq(W, sympy.Rational(1, 2), evaluate=False)),
                                  say("For {name} with {w}: the gradient {verdict}.", name=name,
                                      w=sympy.Eq(W, sympy.Rational(1, 2), evaluate=False),
                                      verdict=Phrase(bounds_verdict(notes.residual_bounds))),
                                  labels="residual-"))
    if notes.random_weights is not None:
        sections += _random_weights_sections(notes)
    if notes.evaluation is not None:
        values = _sections(notes.evaluation)
        sections += [_retitled(values["Gradients"], "Values: the gradients"),
                     _retitled(values["Layer by layer"], "Values: layer by layer"),
                     values["The same pass in floats"]]
    title = say("Vanishing and exploding gradients in a {kind} {name} chain of depth {depth}",
                kind=Phrase(chain.kind), name=name, depth=depth)
    return Document(title, sections, sympy.Integer(depth))


RANDOM_DIGITS = 10  # the random-weights table's numbers (the JSON has RANDOM_WEIGHTS_DPS)


def _random_weights_sections(notes: ChainNotes) -> list[Section]:
    """The chain's activation in a wide net with random weights at the edge of chaos, and
    the Jacobian's spectrum there: Gaussian against orthogonal weights."""
    chosen, name, depth = notes.random_weights, Code(notes.chain.activation.name), notes.chain.depth
    point = chosen.critical
    edge = say("Draw each weight of a wide net from {law} and set the biases to 0. Every layer "
               "then multiplies the expected squared gradient by {chi} at the fixed point "
               "{q} of the preactivations' variance (mean field). For {name} this is 1 at "
               "{critical}: the edge of chaos, where the mean gradient neither vanishes nor "
               "explodes with depth.", law=Normal(0, SW2 / N_UNITS),
               chi=sympy.Eq(CHI, Factors((SW2, Expectation(dsigma(scaled_gaussian(QSTAR)) ** 2))),
                            evaluate=False),
               q=QSTAR, name=name, critical=sympy.Eq(SW2, _short_number(point.sigma_w2),
                                                     evaluate=False))
    gaussian, orthogonal = chosen.gaussian, chosen.orthogonal
    rows = (
        (say("{m}", m=sympy.Symbol("m_1")),) + tuple(
            spectrum_number(r.moments[0], RANDOM_DIGITS) for r in (gaussian, orthogonal)),
        (say("{spread}", spread=SPREAD),) + tuple(
            spectrum_number(r.variance, RANDOM_DIGITS) for r in (gaussian, orthogonal)),
        ("spread per layer",) + tuple(
            spectrum_number(r.spread_per_layer, RANDOM_DIGITS) for r in (gaussian, orthogonal)),
        ("largest squared singular value",) + tuple(
            decimal(r.right_edge, RANDOM_DIGITS) for r in (gaussian, orthogonal)),
    )
    spread = say("{chi} fixes only the mean of the squared singular values of {jacobian}. "
                 "Free probability (Pennington, Schoenholz & Ganguli 2017, 2018) gives their "
                 "spread about it, {formula}, with {s1} for Gaussian weights and {s0} for "
                 "orthogonal ones. At depth {depth} the Jacobian with Gaussian weights is "
                 "{gaussian}; with orthogonal weights it is {orthogonal}.",
                 chi=sympy.Eq(CHI, 1, evaluate=False),
                 jacobian=sympy.Eq(sympy.Symbol("J"), local_derivative(
                     layer_symbol("a", depth), layer_symbol("a", 0)), evaluate=False),
                 formula=sympy.Eq(SPREAD, DEPTH * (sympy.Symbol("mu_2") / sympy.Symbol("mu_1") ** 2
                                                   - 1 - sympy.Symbol("s_1")), evaluate=False),
                 s1=sympy.Eq(sympy.Symbol("s_1"), -1, evaluate=False),
                 s0=sympy.Eq(sympy.Symbol("s_1"), 0, evaluate=False), depth=depth,
                 gaussian=Phrase(gaussian.verdict), orthogonal=Phrase(orthogonal.verdict))
    return [
        Section("Random weights: the edge of chaos", edge,
                grid=Grid(("quantity", "value"), (
                    (say("{w}", w=SW2), spectrum_number(_short_number(point.sigma_w2),
                                                        RANDOM_DIGITS)),
                    (say("{q}", q=QSTAR), spectrum_number(_short_number(point.q),
                                                          RANDOM_DIGITS))))),
        Section("Beyond the mean: the Jacobian's spectrum", spread,
                grid=Grid(("", "Gaussian weights", "orthogonal weights"), rows)),
    ]


def _short_number(value) -> sympy.Number:
    """A whole number exactly (relu's σ_w² = 2, tanh's 1), any other to RANDOM_DIGITS
    digits."""
    if isinstance(value, sympy.Basic):
        return value
    if value == int(value):
        return sympy.Integer(int(value))
    return sympy.Float(mpmath.nstr(value, RANDOM_DIGITS), RANDOM_DIGITS)


@document.register
def _(notes: NetNotes) -> Document:
    derivation = document(notes.derivation)
    sections = list(derivation.sections)
    if notes.evaluation is not None:
        sections += [_retitled(s, f"Values: {s.title.lower()}")
                     for s in document(notes.evaluation).sections]
    title = say("Backpropagation through a {name} net of widths {widths}: lecture notes",
                name=Code(notes.net.activation.name), widths=net_widths(notes.net))
    return Document(title, sections, sympy.Integer(notes.net.depth))



@document.register
def _(notes: CellNotes) -> Document:
    net, kind = notes.net, notes.net.cell
    derivation = _sections(notes.derivation)
    bounds = _sections(notes.bounds)
    values = _sections(notes.evaluation)
    steps = net.steps
    sections = [
        _retitled(derivation["Cell"], "Notation and forward pass"),
        _retitled(derivation["Local Jacobian"], "The local Jacobian"),
        _retitled(derivation["Backward through time"], "Backpropagation through time"),
        _retitled(derivation["Closed form and the carousel"],
                  "The carousel" if kind.carousel_gate else "The closed form"),
        bounds["Setting"],
        bounds["Where the states stay"],
        bounds["One step"],
        _retitled(bounds["The whole sequence"], say("The whole sequence, {T} steps", T=steps)),
        _retitled(bounds["Verdict"], "What the bounds say"),
    ]
    if notes.gate_biases:
        sections.append(_gate_bias_section(notes))
    sections += [_retitled(values["Gradients"], "Values: the gradients"),
                 _retitled(values["Backward through time"], "Values: step by step")]
    title = say("Vanishing and exploding gradients through time: {title}, {T} steps",
                title=kind.title, T=steps)
    return Document(title, sections, sympy.Integer(steps))


def _gate_bias_section(notes: CellNotes) -> Section:
    """The carousel gate's bias, lower, as given and higher: what its product can keep, and
    what reaches the initial state in the run."""
    kind = notes.net.cell
    gate = kind.carousel_gate
    bias = sympy.Symbol("b_" + gate, real=True)
    carried = "c" if "c" in kind.state else "h"
    t_last = notes.net.steps
    k = sympy.Symbol("k", integer=True, positive=True)
    product = sympy.Product(layer_symbol(gate, k), (k, 1, t_last))
    runs = sorted([(g.bias, g.bounds, g.evaluation) for g in notes.gate_biases]
                  + [(dict(notes.bounds.point.parameters)["b" + gate], notes.bounds,
                      notes.evaluation)], key=lambda run: run[0])
    gradient = grad_of(step_symbol(carried, 0))
    grid = Grid((say("{bias}", bias=bias), say("{product} at least", product=product),
                 say("{product} at most", product=product), say("{gradient} in the run",
                                                                  gradient=gradient)),
                tuple((str(value), table_cell(b.carousel[0]), table_cell(b.carousel[1]),
                       table_cell(dict(e.initial_gradients)[f"{carried}0"]))
                      for value, b, e in runs))
    saturates = say(
        "In the run the gradient enters the carousel through {entry}: a bias that lets {c} "
        "grow large also saturates {tanh} and narrows that entry.",
        entry=Factors((step_symbol("o", t_last), 1 - sympy.tanh(step_symbol("c", t_last)) ** 2)),
        c=step_symbol("c", sympy.Symbol("t")), tanh=sympy.tanh(step_symbol("c", t_last))) \
        if carried == "c" else ""
    return Section(
        say("The gate's bias {bias}", bias=bias),
        paragraph(say("The carousel keeps the gradient only as far as its gate stays near 1, "
                      "and the bias sets where the gate sits. The bounds over the same inputs, "
                      "and the run, with {bias} lower and higher, the rest as given.", bias=bias),
                  saturates),
        grid=grid)


# -- JSON: the results the notes are made of, each in its own command's JSON form -------------


def _nested(result) -> dict:
    """``json_object(result)`` with streamed values (an evaluation's layers) as lists."""
    return {key: list(value) if isinstance(value, (Iterator, Rows)) else value
            for key, value in json_object(result).items()}


def _outline(notes) -> dict:
    layout = document(notes)
    printer = TextPrinter(layout.output_layer)  # JSON carries the words as the terminal shows them
    return {"title": text_words(printer, layout.title),
            "sections": [{"title": text_words(printer, s.title),
                          "words": text_words(printer, s.words)} for s in layout.sections]}


def _regime(regime: Regime) -> dict:
    powers = []
    for depth in regime.depths:
        with mpmath.workdps(30):
            value = (mpmath.mpf(int(regime.factor.p)) / int(regime.factor.q)) ** depth
        powers.append({"depth": depth, "exact": plain(sympy.Pow(regime.factor, depth)),
                       "decimal": decimal(value, POWER_DIGITS)})
    title, words = (text_words(TextPrinter(), w) for w in _REGIMES[regime.case])
    return {"title": title, "words": words, "activation": regime.activation,
            "weight": plain(regime.weight), "factor": plain(regime.factor),
            "depths": list(regime.depths), "powers": powers}


@json_object.register
def _(notes: ChainNotes) -> dict:
    chain = notes.chain
    return {
        "command": "notes",
        "kind": "chain",
        "depth": chain.depth,
        "activation": chain.activation.name,
        "cost": chain.cost,
        "residual": chain.residual,
        "highway": chain.highway,
        **_outline(notes),
        "derivation": _nested(notes.derivation),
        "bounds": _nested(notes.bounds),
        "deeper_bounds": _nested(notes.deeper_bounds),
        "regimes": [_regime(r) for r in notes.regimes],
        "relu": _nested(notes.relu),
        "residual_derivation": None if notes.residual is None else _nested(notes.residual),
        "residual_bounds": _nested(notes.residual_bounds),
        "evaluation": None if notes.evaluation is None else _nested(notes.evaluation),
        "random_weights": None if notes.random_weights is None else {
            "sigma_w2": decimal(notes.random_weights.critical.sigma_w2, RANDOM_WEIGHTS_DPS),
            "q": decimal(notes.random_weights.critical.q, RANDOM_WEIGHTS_DPS),
            "gaussian": _nested(notes.random_weights.gaussian),
            "orthogonal": _nested(notes.random_weights.orthogonal)},
    }


@json_object.register
def _(notes: NetNotes) -> dict:
    net = notes.net
    return {
        "command": "notes",
        "kind": "net",
        "widths": list(net.widths),
        "depth": net.depth,
        "activation": net.activation.name,
        "cost": net.cost,
        **_outline(notes),
        "derivation": _nested(notes.derivation),
        "evaluation": None if notes.evaluation is None else _nested(notes.evaluation),
    }


@json_object.register
def _(notes: CellNotes) -> dict:
    net = notes.net
    return {
        "command": "notes",
        "kind": "cell",
        "cell": net.cell.name,
        "T": net.steps,
        "activation": None if net.activation is None else net.activation.name,
        **_outline(notes),
        "derivation": _nested(notes.derivation),
        "bounds": _nested(notes.bounds),
        "evaluation": _nested(notes.evaluation),
        "gate_biases": [{"bias": plain(g.bias), "bounds": _nested(g.bounds),
                         "evaluation": _nested(g.evaluation)} for g in notes.gate_biases],
    }
