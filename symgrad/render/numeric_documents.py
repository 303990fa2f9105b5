"""Document layouts (LaTeX, Markdown) of the evaluations: a chain's and a matrix net's.
(The bounds' and the regions' are in ``bounds_documents``.)"""

from __future__ import annotations

import re

import mpmath
import sympy

from symgrad.notation import (
    FROBENIUS,
    ActivationVector,
    DeltaVector,
    DerivativeMatrix,
    Factors,
    GradWeightMatrix,
    InputOutputJacobian,
    L,
    MatrixChain,
    MatrixEllipsis,
    Norm,
    Transposed,
    WeightMatrix,
    delta,
    dsigma,
    ellipsis,
    grad_a,
    grad_a_vector,
    grad_b,
    grad_b_vector,
    grad_of,
    grad_w,
    grad_w_total,
    k,
    l,
    layer_symbol,
    log10,
    sup_abs_dsigma,
    tied_symbol,
)
from symgrad.numeric.evaluate import ChainEvaluation, Uncertified
from symgrad.numeric.matrix_net import SPECTRUM_WIDTH, NetEvaluation
from symgrad.numeric.real import (
    decimal,
    interval_ends,
    is_enclosure,
    log10_abs,
    table_cell,
)
from symgrad.render.bounds_documents import X, Y, times
from symgrad.render.chart import ENCLOSURES_CHARTED
from symgrad.render.document import (
    Document,
    Figure,
    Grid,
    Row,
    Section,
    charted_layers,
    document,
    net_widths,
    shown_layers,
)
from symgrad.render.number_style import decimal_number
from symgrad.render.prose import Code, Phrase, Prose, joined, paragraph, say


def _delta_figure(evaluation: ChainEvaluation) -> Figure:
    """log10|δ_l| against l, at the layers a chart samples."""
    layers = [n for n in charted_layers(evaluation.depth) if n in set(evaluation.kept)]
    size, magnitudes = log10(sympy.Abs(delta(l))), evaluation.magnitudes(layers)
    caption = say("{size} against the layer {l}, from the exact pass{enclosures}.", size=size,
                  l=l, enclosures="; an enclosure at its midpoint, or its upper end if it "
                  "reaches 0" if evaluation.interval else "")
    return Figure(tuple(layers), magnitudes, say("layer {l}", l=l),
                  say("{size}", size=size),
                  say("{size} against {l}{enclosures}", size=size, l=l,
                      enclosures=ENCLOSURES_CHARTED if evaluation.interval else ""),
                  caption, float_limits=True)


def _value(value, digits: int) -> tuple[sympy.Expr, str]:
    """A computed number as a SymPy Float with the digits shown, and the relation to it;
    an enclosure as an interval (ends rounded outwards) that the value lies in."""
    if is_enclosure(value):
        low, high = interval_ends(value, digits)
        if low == high:  # a point, or both ends -inf (log10 of an exact 0)
            return decimal_number(low), "="
        return sympy.Interval(decimal_number(low), decimal_number(high)), "∈"  # ends as rounded
    return _float(value, digits), "="


def _value_row(lhs: sympy.Expr, value, digits: int, label: str | None = None) -> Row:
    side, relation = _value(value, digits)
    return Row(lhs, (side,), relations=(relation,), label=label)


def uncertified_words(why: Uncertified) -> Prose:
    """The sentence saying a chain's or cell's values are two agreeing runs', and why."""
    return say("Two runs at rising working digits agree on every value shown; they are not "
               "certified: {reason} within {digits} working digits.",
               reason=Phrase(why.reason), digits=why.working_digits)


@document.register
def _(evaluation: ChainEvaluation) -> Document:
    chain, point, digits = evaluation.chain, evaluation.point, evaluation.dps
    kind = "Certified enclosures" if evaluation.interval else "Exact backward pass"
    mode = "gain mode" if point.gain_mode else say("{cost} cost", cost=Phrase(chain.cost))
    title = say("{kind}: {chain} {name} chain, depth {depth}, {digits} digits ({mode})",
                kind=Phrase(kind), chain=Phrase(chain.kind), name=Code(chain.activation.name),
                depth=evaluation.depth, digits=digits, mode=Phrase(mode))
    l_next = layer_symbol("w", l + 1)
    setting = (say("The preactivations {z} are fixed and {output} is given, so {delta} is the "
                   "product {product} itself.", z=layer_symbol("z", l), output=grad_a(L),
                   delta=delta(l), product=Factors(
                       (grad_a(L),), (l_next, ellipsis(), layer_symbol("w", L)),
                       (dsigma(layer_symbol("z", l)), ellipsis(),
                        dsigma(layer_symbol("z", L)))))
               if point.gain_mode else
               say("Input {x}, target {y}; {parameters}; every number read exactly.",
                   x=sympy.Eq(X, point.x, evaluate=False), y=sympy.Eq(Y, point.y, evaluate=False),
                   parameters=_parameter_words(chain, point)))
    if evaluation.interval:
        setting = paragraph(setting, "Every value is a certified enclosure: interval arithmetic "
                                     "with outward rounding, so the exact value lies inside.")
    elif evaluation.uncertified is not None:
        setting = paragraph(setting, uncertified_words(evaluation.uncertified))
    rows = [_value_row(grad_a(0), evaluation.input_gradient, digits, "input-gradient-value"),
            _value_row(log10(sympy.Abs(grad_a(0))), log10_abs(evaluation.input_gradient), 12),
            _value_row(grad_a(evaluation.depth), evaluation.output_gradient, digits)]
    if evaluation.grad_w_total is not None:
        rows.append(_value_row(grad_w_total(), evaluation.grad_w_total, digits))
    layers = [evaluation.layer(n) for n in shown_layers(evaluation.depth)]
    kind = chain.layer  # its gates and its own parameters' gradients as columns of their own
    table = Grid(
        (say("{l}", l=l),
         *(say("{gate}", gate=layer_symbol(name, l)) for name in kind.gate_names),
         say("{slope}", slope=dsigma(layer_symbol("z", l))), "gain",
         say("{delta}", delta=delta(l)), say("{size}", size=log10(sympy.Abs(delta(l)))),
         say("{gradient}", gradient=grad_w(l)),
         *(say("{gradient}", gradient=grad_of(layer_symbol(name, l))) for name in kind.parameters)),
        tuple((str(v.layer), *(table_cell(v.gates[name]) for name in kind.gate_names),
               table_cell(v.act_prime), table_cell(v.gain), table_cell(v.delta),
               table_cell(v.log10_abs("delta")), table_cell(v.grad_w),
               *(table_cell(v.own_gradients[name]) for name in kind.parameters))
              for v in layers),
    )
    shown = _shown_words(len(layers), evaluation.depth)
    floats = joined([Phrase(float_words(b)) for b in evaluation.floats], "; ")
    sections = [
        Section("Setting", setting),
        Section("Gradients", "The input gradient, its size, and the output gradient.", rows),
        Section("Layer by layer",
                say("{delta}, {gain}" + ("" if kind.name == "plain" else f" ({kind.name})")
                    + "; {shown}. The figure: {size} against {l}.",
                    delta=sympy.Eq(delta(l), grad_b(l), evaluate=False),
                    gain=sympy.Eq(sympy.Symbol("gain"), kind.gain_written(l, layer_symbol("w", l)),
                                  evaluate=False),
                    shown=shown, size=log10(sympy.Abs(delta(l))), l=l),
                grid=table, figure=_delta_figure(evaluation)),
        Section("The same pass in floats", say("{floats}.", floats=floats)),
    ]
    return Document(title, sections, sympy.Integer(evaluation.depth))


def _parameter_words(chain, point) -> Prose:
    """Each parameter of the layers (w, b and the kind's own): its one value, or that it
    is set per layer (the JSON and the API's result hold every value)."""
    families = [("w", point.weights), ("b", point.biases),
                *((name, point.own[name]) for name in chain.layer.parameters)]
    parts = []
    for name, values in families:
        symbol = tied_symbol(name) if chain.tied else layer_symbol(name, l)
        parts.append(say("{eq}", eq=sympy.Eq(symbol, values[0], evaluate=False))
                     if len(set(values)) == 1 else say("{symbol} set per layer", symbol=symbol))
    return joined(parts, ", ")


def _shown_words(shown: int, depth: int) -> Phrase:
    """Which layers a table shows: every one, or some of them."""
    return Phrase("every layer" if shown == depth else
                  say("{shown} of the {depth} layers (JSON has them all)", shown=shown, depth=depth))


def _source_words(parameters) -> Phrase:
    """Where a net's weights came from: a draw (its initialisation and seed), a file, or
    (weights made by the caller) the caller's own words, quoted as given."""
    if parameters.path is not None:
        return Phrase(say("file {path}", path=Code(parameters.path)))
    if parameters.init is None:
        return Phrase(say("{source}", source=Code(parameters.source)))
    drawn = say("{init} initialisation, seed {seed}", init=Code(parameters.init),
                seed=parameters.seed)
    if parameters.scale != 1:
        drawn = say("{drawn}, scale {scale}", drawn=Phrase(drawn), scale=parameters.scale)
    return Phrase(drawn)


@document.register
def _(evaluation: NetEvaluation) -> Document:
    net, digits, spectrum = evaluation.net, evaluation.dps, evaluation.spectrum
    title = say("Exact backward pass: {name} net of widths {widths}, {digits} digits ({cost} "
                "cost)", name=Code(net.activation.name), widths=net_widths(net), digits=digits,
                cost=Phrase(net.cost))
    setting = say("Weights: {source}. Input {x}, target {y}; every number read exactly.",
                  source=_source_words(evaluation.parameters),
                  x=sympy.Eq(ActivationVector(0), sympy.Tuple(*evaluation.x), evaluate=False),
                  y=sympy.Eq(Y, sympy.Tuple(*evaluation.y), evaluate=False))
    narrow = max(net.widths) <= VECTOR_UNITS_SHOWN
    layers = [evaluation.layers[n - 1] for n in shown_layers(evaluation.depth)]
    error, weights = DeltaVector(l), GradWeightMatrix(l)
    grid = Grid(
        (say("{l}", l=l), "units", say("{norm}", norm=Norm(error)),
         say("{size}", size=log10(Norm(error))), say("{norm}", norm=Norm(weights, FROBENIUS)))
        + ((say("{error}", error=error),) if narrow else ()),
        tuple((str(layer.layer), str(len(layer.delta)), table_cell(layer.delta_norm),
               table_cell(log10_abs(layer.delta_norm)), table_cell(layer.grad_w_norm))
              + ((say("{vector}", vector=sympy.Tuple(*[_float(v, 6)
                                                        for v in layer.delta])),)
                 if narrow else ())
              for layer in layers),
    )
    shown = _shown_words(len(layers), evaluation.depth)
    gradient = evaluation.input_gradient
    rows = [Row(sympy.Symbol("C"), (_float(evaluation.cost, digits),), label="cost-value"),
            Row(Norm(grad_a_vector(0)), (_float(evaluation.input_gradient_norm, digits),),
                label="input-gradient-value")]
    if narrow:
        rows.append(Row(grad_a_vector(0), (sympy.Matrix([[_float(v, digits)] for v in gradient]),)))
    sections = [
        Section("Setting", setting),
        Section("Cost and input gradient", "", rows),
        Section("Layer by layer",
                say("{bias}, {weights}; {shown}.", shown=shown,
                    bias=sympy.Eq(error, grad_b_vector(l), evaluate=False),
                    weights=sympy.Eq(weights, MatrixChain(error, Transposed(ActivationVector(l - 1))),
                                     evaluate=False)),
                grid=grid),
        _spectrum_section(spectrum, digits, net.depth) if spectrum is not None else
        _skipped_spectrum_section(evaluation.spectrum_skipped),
    ]
    return Document(title, sections, sympy.Integer(net.depth))


def _skipped_spectrum_section(reason: str) -> Section:
    """What stands for the spectrum when it was not computed, and why."""
    if reason == "wide":
        words = say("The Jacobian's singular values are not computed for a net wider than "
                    "{width} units unless asked for ({option}): multiplying the Jacobian out "
                    "would take long.", width=SPECTRUM_WIDTH, option=Code("--spectrum"))
    else:
        words = say("The Jacobian's singular values were not asked for ({option}).",
                    option=Code("--no-spectrum"))
    return Section("Jacobian spectrum", words)


_QUANTITIES = [  # the float pass's names of what overflowed (symgrad.numeric.backprop's)
    (re.compile(r"σ'\(z_(\d+)\)"), lambda n: dsigma(layer_symbol("z", n))),
    (re.compile(r"w_(\d+) δ_(\d+)"), lambda n, _: times(layer_symbol("w", n), delta(n))),
    (re.compile(r"δ_(\d+)"), lambda n: delta(n)),
    (re.compile(r"([wza])_(\d+)"), lambda name, n: layer_symbol(name, n)),
    (re.compile(r"([xy])"), lambda name: sympy.Symbol(name)),
]


def _quantity(name: str) -> sympy.Expr | str:
    """A quantity the float pass names, as math (w_3 δ_3); the name itself if unknown."""
    for pattern, build in _QUANTITIES:
        match = pattern.fullmatch(name)
        if match:
            return build(*(int(g) if g.isdigit() else g for g in match.groups()))
    return name


def float_words(breakdown) -> Prose:
    """What a float format did with the pass: "float32: δ is inf from layer 2 down (w_3 δ_3
    overflows float32 at layer 2), ∂C/∂a_0 = inf"."""
    fmt = Code(breakdown.format)
    gradient = sympy.Eq(grad_a(0), decimal_number(repr(float(breakdown.input_gradient))),
                        evaluate=False)
    if breakdown.layer is None:
        return say("{format}: holds at every layer, {gradient}", format=fmt, gradient=gradient)
    values = dict(format=fmt, delta=sympy.Symbol("delta"), what=_FLOAT_VALUES[breakdown.what],
                  layer=breakdown.layer, gradient=gradient)
    if breakdown.what == "subnormal" and breakdown.zero_from:
        return say("{format}: {delta} is subnormal from layer {layer} down (its digits run "
                   "out) and {zero} from layer {from} down, {gradient}",
                   zero=sympy.Eq(grad_a(k), 0, evaluate=False), **{"from": breakdown.zero_from},
                   **values)
    if breakdown.what == "subnormal":
        return say("{format}: {delta} is subnormal from layer {layer} down (its digits run "
                   "out), {gradient}", **values)
    if breakdown.cause is None:
        return say("{format}: {delta} is {what} from layer {layer} down, {gradient}", **values)
    name, layer, kind = breakdown.cause
    cause = say("{quantity} overflows {format}" if kind == "inf" else
                "{quantity} is {nan} in {format}", quantity=_quantity(name), format=fmt,
                nan=Code("nan"))
    if " " in name:  # w_3 δ_3 reaches δ_2 first
        cause = say("{cause} at layer {layer}", cause=Phrase(cause), layer=layer)
    return say("{format}: {delta} is {what} from layer {layer} down ({cause}), {gradient}",
               cause=Phrase(cause), **values)


_FLOAT_VALUES = {"inf": Code("inf"), "nan": Code("nan"), "0": sympy.Integer(0),
                 "subnormal": Code("subnormal")}


def _float(value, digits: int) -> sympy.Expr:
    """A computed number as a SymPy Float that prints the digits ``decimal`` gives."""
    return decimal_number(decimal(value, digits))


VECTOR_UNITS_SHOWN = 6  # vectors of nets at most this wide are written out in the text


def _spectrum_section(spectrum, digits: int, depth: int) -> Section:
    values = spectrum.values
    order = list(range(len(values)))
    shown = order if len(order) <= 10 else order[:5] + order[-5:]
    floor = _float(spectrum.floor, 3)
    grid = Grid((say("{i}", i=_INDEX), say("{value}", value=_SINGULAR)), tuple(
        (str(i + 1), table_cell(values[i], digits) if spectrum.resolved[i]
         else say("below {floor}", floor=floor)) for i in shown))
    condition = spectrum.condition_number
    brief = min(digits, 12)  # the bound's ‖W^k‖₂ are float64 SVDs: never more than 12 digits
    jacobian = InputOutputJacobian(sympy.Integer(depth))
    product = MatrixChain(DerivativeMatrix(depth), WeightMatrix(depth), MatrixEllipsis(),
                          DerivativeMatrix(1), WeightMatrix(1)) if depth > 2 else \
        MatrixChain(*[m for n in range(depth, 0, -1) for m in (DerivativeMatrix(n), WeightMatrix(n))])
    bound = times(sympy.Product(Norm(WeightMatrix(k), 2), (k, 1, depth)),
                   sympy.Pow(sup_abs_dsigma(), depth, evaluate=False))
    words = say("The input-output Jacobian {jacobian}, multiplied out; its {count} singular "
                "values (largest first" + (", the first and last five" if len(shown) < len(values)
                                           else "")
                + "), each to {digits} digits (worked at {working}). Spectral norm {norm} against "
                "the bound {bound}; condition number {condition}.",
                count=len(values), digits=digits, working=spectrum.working_dps,
                jacobian=sympy.Eq(jacobian, product, evaluate=False),
                norm=sympy.Eq(Norm(_JACOBIAN, 2), _float(spectrum.spectral_norm, brief),
                              evaluate=False),
                bound=sympy.Eq(bound, _float(spectrum.bound, brief), evaluate=False),
                condition=Phrase(say("{kappa} (the smallest singular value is 0 to the working "
                                     "digits)", kappa=sympy.Eq(_CONDITION, sympy.oo,
                                                               evaluate=False)))
                if mpmath.isinf(condition) else
                sympy.Eq(_CONDITION, _float(condition, brief), evaluate=False))
    if not all(spectrum.resolved):
        words = paragraph(words, say("A value shown as below {floor} cannot be told from 0 at "
                                     "the working digits.", floor=floor))
    return Section("Jacobian spectrum", words, grid=grid)


_INDEX, _SINGULAR = sympy.Symbol("i"), sympy.Symbol("sigma_i")  # a singular value's
_JACOBIAN = sympy.Symbol("J")
_CONDITION = sympy.Symbol("kappa")
