"""Document layouts (LaTeX, Markdown; text for bounds and regions) of the numeric results:
an evaluation, bounds, gain regions."""

from __future__ import annotations

import re
from dataclasses import replace

import mpmath
import sympy

from symgrad.analysis.bounds import GainBounds
from symgrad.analysis.region import GainRegion, Span, WidestRegion
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
    Terms,
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
    inf_dsigma,
    k,
    l,
    layer_symbol,
    log10,
    sigma,
    slashed_ratio,
    sup_abs_dsigma,
    sup_dsigma,
    tied_symbol,
)
from symgrad.numeric.evaluate import ChainEvaluation
from symgrad.numeric.matrix_net import SPECTRUM_WIDTH, NetEvaluation
from symgrad.numeric.real import (
    decimal,
    exact_words,
    interval_ends,
    is_enclosure,
    log10_abs,
    table_cell,
)
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
from symgrad.render.number_style import approx, decimal_number, exact_sides
from symgrad.render.prose import Code, Phrase, Prose, joined, paragraph, say

MAX_WEIGHT_ROWS = 20  # distinct weights listed one by one; beyond, JSON has every layer
EXACT_POWER_BITS = 4096  # factor^L is worked out exactly up to this size

z = sympy.Symbol("z", real=True)
W, R = sympy.Symbol("w", real=True), sympy.Symbol("r", positive=True)  # a weight; a rate
A, B = sympy.Symbol("a", real=True), sympy.Symbol("b", real=True)  # a layer's input; its bias
X, Y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)  # a chain's input; its target


def _times(*factors) -> Factors:
    """A product in the order written (w σ'(z), not σ'(z) w)."""
    return Factors(factors)


_PREACTIVATION = Terms(_times(W, A), B)  # w a + b


def _bound_row(lhs: sympy.Expr, relation: str, exact: sympy.Expr,
               written: sympy.Expr | None = None, label: str | None = None) -> Row:
    """lhs ≤ written = exact ≈ decimal, the exact and decimal sides as ``exact_sides``
    gives them (none repeated, none a reader does not need)."""
    sides, relations = exact_sides(exact, written)
    if written is not None:
        sides, relations = (written, *sides), (relation, *relations)
    elif relations:
        relations = (relation, *relations[1:])
    return Row(lhs, sides, relations=relations, label=label)


def _layer_factor(weight: sympy.Expr, layer) -> sympy.Expr:
    """|w σ'(z)| or |1 + w σ'(z)| with the weight's value, as written (not 10·|σ'(z)|); no
    coefficient 1; |∂a_k/∂a_{k-1}| for a layer with numbers of its own."""
    if layer.simple is None:
        return sympy.Abs(layer.gain_written(k, W), evaluate=False)
    product = dsigma(z) if weight == 1 else sympy.Mul(weight, dsigma(z), evaluate=False)
    return sympy.Abs(sympy.Add(1, product, evaluate=False) if layer.simple[1] else product,
                     evaluate=False)


def _setting_names(bounds: GainBounds) -> tuple[str, ...]:
    """w, then the layer kind's own parameters (a highway's p, q)."""
    return ("w", *bounds.chain.layer.parameters)


def _weights_words(bounds: GainBounds) -> Prose:
    if bounds.uniform:
        return joined([say("{value}", value=sympy.Eq(sympy.Symbol(name, real=True), value,
                                                     evaluate=False))
                       for name, value in zip(_setting_names(bounds), bounds.settings[0])], ", ")
    what = "weights" if len(bounds.settings[0]) == 1 else "settings"
    return say("{count} distinct " + what + " over {depth} layers",
               count=len(set(bounds.settings)), depth=bounds.depth)


def chain_ratio(depth) -> sympy.Expr:
    """|∂C/∂a_0| / |∂C/∂a_L|: what a chain does to the gradient (one fraction)."""
    return slashed_ratio(sympy.Abs(grad_a(0)), sympy.Abs(grad_a(depth)))


def bounds_verdict(bounds: GainBounds) -> Prose:
    """What the bounds say about the gradient, as a sentence's predicate: "vanishes for
    every input, ...", from the regime and its numbers."""
    ratio = chain_ratio(bounds.chain.depth)
    factor = bounds.factors[0].lower
    lower = (sympy.Pow(factor, bounds.depth) if factor in (0, 1) or bounds.depth * max(
        int(factor.p).bit_length(), int(factor.q).bit_length()) <= 64 else
             sympy.Pow(factor, bounds.depth, evaluate=False)) \
        if bounds.uniform and factor.is_Rational else approx(bounds.lower)  # (exact: 2^10)
    if not bounds.bounded:
        if bounds.lower_against_one > 0:
            return say("explodes for every input ({bound}), with no finite upper bound",
                       bound=sympy.GreaterThan(ratio, lower))
        return say("has no finite upper bound over every input, so these bounds cannot say "
                   "it vanishes; evaluate the chain at your input")
    if bounds.regime == "vanishing":
        return say("vanishes for every input, at least as fast as {power} with {rate}",
                   power=R**L, rate=sympy.Eq(R, approx(bounds.rate), evaluate=False))
    if bounds.regime == "exploding":
        return say("explodes for every input: {bound}", bound=sympy.GreaterThan(ratio, lower))
    if bounds.regime == "bounded":
        if bounds.lower_against_one == 0:
            return say("neither vanishes nor explodes: {one} for every input",
                       one=sympy.Eq(ratio, 1, evaluate=False))
        return say("never grows ({bound}); it stays at 1 only where every layer's factor is "
                   "at its largest", bound=sympy.LessThan(ratio, 1))
    if bounds.lower_against_one < 0:
        return say("can explode (the bound exceeds 1 for some inputs); it can also vanish")
    return say("can explode (the bound exceeds 1 for some inputs), and never shrinks: {bound} "
               "for every input", bound=sympy.GreaterThan(ratio, lower))


@document.register
def _(bounds: GainBounds) -> Document:
    chain, derivative = bounds.chain, bounds.derivative
    title = say("Gradient bounds: {kind} {name} chain, depth {depth}, {weights}",
                kind=Phrase(chain.kind), name=Code(chain.activation.name), depth=chain.depth,
                weights=Phrase(_weights_words(bounds)))
    how = Phrase("exact" if derivative.exact else
                 say("numerical, refined to {digits} digits", digits=bounds.dps))
    low, high = (v if v.is_Rational else sympy.N(v, 6) for v in (derivative.low, derivative.high))
    sections = [Section(
        "The activation's derivative",
        say("Over every input, {slope} lies between {low} and {high} ({how}).",
            slope=dsigma(z), low=sympy.Eq(inf_dsigma(), low, evaluate=False),
            high=sympy.Eq(sup_dsigma(), high, evaluate=False), how=how),
        [_bound_row(sup_abs_dsigma(), "=", derivative.abs_sup, label="derivative-bound")],
    )]
    one_layer = _one_layer_section(bounds)
    if bounds.uniform:
        factor = bounds.factors[0]
        lhs = _layer_factor(factor.weight, chain.layer)
        one_layer.rows += [_bound_row(lhs, "≥", factor.lower, label="layer-lower-bound")]
        if bounds.bounded:
            one_layer.rows.insert(-1, _bound_row(lhs, "≤", factor.upper, label="layer-upper-bound"))
    else:
        counts = {s: bounds.settings.count(s) for s in dict.fromkeys(bounds.settings)}
        rows = tuple((*(exact_words(v) for v in f.setting), str(counts[f.setting]),
                      decimal(f.lower, 8), decimal(f.upper, 8))
                     for f in bounds.factors[:MAX_WEIGHT_ROWS])
        names = ("weight", *_setting_names(bounds)[1:])
        one_layer.grid = Grid((*names, "layers", "lower bound", "upper bound"), rows)
        if len(bounds.factors) > MAX_WEIGHT_ROWS:
            one_layer.words = paragraph(one_layer.words, say(
                "The first {count} are listed; JSON has them all.", count=MAX_WEIGHT_ROWS))
    sections.append(one_layer)
    ratio = chain_ratio(chain.depth)
    upper_rows = [
        replace(_product_row(bounds, ratio, "≤", bounds.factors[0].upper, bounds.upper),
                label="chain-upper-bound"),
        Row(log10(ratio), (approx(bounds.log10_upper),), relations=("≤",)),
    ] if bounds.bounded else []
    sections.append(Section(
        "The whole chain",
        "The product of the per-layer bounds, for every input.",
        [*upper_rows,
         replace(_product_row(bounds, ratio, "≥", bounds.factors[0].lower, bounds.lower),
                 label="chain-lower-bound")],
    ))
    sections.append(Section("Verdict", say("The gradient {verdict}.", verdict=bounds_verdict(bounds))))
    if bounds.bounded:
        sections.append(_float_section(bounds))
    return Document(title, sections, sympy.Integer(chain.depth))


def _one_layer_section(bounds: GainBounds) -> Section:
    """What one layer multiplies the gradient by, and over what its bounds hold: every
    σ'(z) for a layer with no numbers of its own; for a gated layer also every σ(z), a_{k-1}
    and gate value, taken as independent."""
    layer = bounds.chain.layer
    gain = layer.gain_written(k, layer_symbol("w", k))
    each = "." if bounds.uniform else " (each distinct " + (
        "weight)." if len(bounds.settings[0]) == 1 else "setting).")
    if layer.simple is not None:
        return Section("One layer", say(
            "Layer {k} multiplies the gradient {gradient} by {gain}. Over every input its "
            "magnitude lies between the two bounds below" + each, k=k, gradient=grad_a(k),
            gain=gain))
    formula = sympy.Eq(gain, layer.at(layer.general().shown, k), evaluate=False)
    reach = bounds.reach  # (a gated layer's gain reads a_{k-1}: ``layer_reach`` is not None)
    if bounds.uniform:
        gates = joined([say("{gate} in {range}", gate=layer_symbol(name, k),
                            range=sympy.Interval(low, high)) if low != high else
                        say("{gate}", gate=sympy.Eq(layer_symbol(name, k), low, evaluate=False))
                        for name, low, high in bounds.factors[0].gates], ", ")
    else:
        gates = joined([say("every value of {gate} there", gate=layer_symbol(name, k))
                        for name in layer.gate_names], ", ")
    values = dict(slope=dsigma(z), slopes=sympy.Interval(bounds.derivative.low,
                                                         bounds.derivative.high),
                  s=sigma(z), a=layer_symbol("a", k - 1), gates=Phrase(gates),
                  range=sympy.Interval(*reach.activation))
    if reach.values == reach.activation:
        where = say("Over every input, with {slope} in {slopes}, {s} and {a} in {range} (σ's "
                    "range) and {gates}, taken as independent, its magnitude lies between the "
                    "bounds below.", **values)
    else:
        where = say("Over every input, with {slope} in {slopes}, {s} in {range} (σ's range), "
                    "{a} in {values} and {gates}, taken as independent, its magnitude lies "
                    "between the bounds below.", values=sympy.Interval(*reach.values), **values)
    if not bounds.uniform:
        where = paragraph(where, "Each distinct setting has bounds of its own.")
    if all(end.is_finite for end in reach.values):
        where = paragraph(where, say(
            "This holds for inputs {a0} in {values}: a layer's output stays in that range "
            "when its input does.", a0=layer_symbol("a", 0), values=sympy.Interval(*reach.values)))
    elif not bounds.bounded:
        where = paragraph(where, say(
            "There is no finite upper bound: σ's range is unbounded, and the gate's term "
            "grows with {difference}.", difference=sigma(layer_symbol("z", k))
            - layer_symbol("a", k - 1)))
    return Section("One layer", paragraph(say(
        "Layer {k} multiplies the gradient {gradient} by {formula}.", k=k, gradient=grad_a(k),
        formula=formula), where), [])


def _product_row(bounds: GainBounds, ratio, relation: str, factor: sympy.Expr,
                 product: mpmath.mpf) -> Row:
    """ratio ≤ factor^L = its exact value ≈ its decimal (as many of these as say
    something); a product of 0s or 1s is just the number; distinct weights: the decimal."""
    if not bounds.uniform:
        return Row(ratio, (approx(product),), relations=(relation,))
    if factor in (sympy.S.Zero, sympy.S.One):
        return Row(ratio, (factor,), relations=(relation,))
    written = sympy.Pow(factor, bounds.depth, evaluate=False)
    if factor.is_Rational and bounds.depth * max(int(factor.p).bit_length(),
                                                 int(factor.q).bit_length()) <= EXACT_POWER_BITS:
        return _bound_row(ratio, relation, factor ** bounds.depth, written)
    return Row(ratio, (written, approx(product)), relations=(relation, "≈"))


def _float_section(bounds: GainBounds) -> Section:
    rows = []
    for limit in bounds.float_limits:
        fmt = limit.format
        rows.append((say("{name}", name=Code(fmt.name)), decimal(fmt.largest, 6),
                     decimal(fmt.smallest_subnormal, 6), _depthtable_cell(limit.overflow_depth),
                     _depthtable_cell(limit.underflow_depth)))
    words = say("After how many layers, counted from the output, the product of the per-layer "
                "upper bounds exceeds each format's largest finite number or falls below its "
                "smallest subnormal. Both are statements about the ratio {ratio}: with {output} "
                "of order 1, past the overflow depth the gradient can overflow, and past the "
                "underflow depth it is below the smallest subnormal for every input (0, or at "
                "best that one subnormal, in the format).",
                ratio=chain_ratio(L), output=sympy.Abs(grad_a(L)))
    if bounds.uniform:
        words = paragraph(words, "Depths beyond this chain's say how deep a chain of such layers "
                                 "could go.")
    return Section("Float formats", words,
                   grid=Grid(("format", "largest", "min subnormal", "overflow depth",
                              "underflow depth"), tuple(rows)))


def _depthtable_cell(depth: int | None) -> str:
    return "never" if depth is None else str(depth)



def _end(value: sympy.Expr, digits: int) -> str:
    return {"inf": "∞", "-inf": "-∞"}.get(decimal(value, digits), decimal(value, digits))


def span_math(span: Span, digits: int) -> sympy.Set:
    """[lo, hi], (lo, ∞), or a single point, its ends decimals of ``digits`` digits."""
    def end(value):
        return value if value in (sympy.oo, -sympy.oo) else decimal_number(decimal(value, digits))
    if span.low == span.high:
        return sympy.FiniteSet(end(span.low))
    return sympy.Interval(end(span.low), end(span.high), span.left_open or span.low == -sympy.oo,
                          span.right_open or span.high == sympy.oo)


def _region_grid(region: GainRegion) -> Grid:
    digits = region.dps
    rows = tuple((say("{span}", span=span_math(z_span, digits)),
                  say("{span}", span=span_math(a_span, region.input_digits)))
                 for z_span, a_span in zip(region.intervals, _matching_inputs(region)))
    return Grid((say("preactivation {z}", z=z),
                 say("input {a}, {b}", a=sympy.Eq(A, (z - B) / W, evaluate=False),
                     b=sympy.Eq(B, region.bias, evaluate=False))), rows)


def _matching_inputs(region: GainRegion) -> tuple[Span, ...]:
    """The input span of each preactivation span, in the same order."""
    inputs = region.inputs
    return inputs if region.weight > 0 else tuple(reversed(inputs))


def _status_words(region: GainRegion) -> Prose:
    w, digits = region.weight, region.dps
    width, input_width = _end(region.width, digits), _end(region.input_width, digits)
    gain = sympy.Abs(_times(W, dsigma(z)), evaluate=False)
    if region.status == "empty":
        return say("Empty: {bound}, so a layer with {w} shrinks the gradient for every input.",
                   bound=sympy.StrictLessThan(_times(sympy.Abs(W), sup_abs_dsigma()), 1),
                   w=sympy.Eq(W, w, evaluate=False))
    if region.status == "points":
        return say("Only isolated points: {gain} reaches 1 exactly at its peak, a set of width 0.",
                   gain=gain)
    if region.status == "unbounded":
        return say("Unbounded: {bound} along a whole half-line, so the layer never shrinks the "
                   "gradient there.", bound=sympy.GreaterThan(gain, 1))
    return say(f"Total width {width} in {{z}}; in input space, divided by {{w}}, {input_width}.",
               z=z, w=sympy.Abs(W))


@document.register
def _(region: GainRegion) -> Document:
    name = region.activation.name
    title = say(f"Gain region: {name}, {{w}}, {{b}}", w=sympy.Eq(W, region.weight, evaluate=False),
                b=sympy.Eq(B, region.bias, evaluate=False))
    words = (say(f"A layer multiplies the gradient by {{gain}}, {{z}}. Its magnitude is at least 1 "
                 f"exactly on the set below (ends to {region.dps} digits); everywhere else the "
                 "layer shrinks the gradient. ", gain=_times(W, dsigma(z)),
                 z=sympy.Eq(z, _PREACTIVATION, evaluate=False))
             + _status_words(region))
    section = Section("Where the layer does not shrink the gradient", words)
    if region.intervals:
        section.grid = _region_grid(region)
    return Document(title, [section], sympy.Symbol("L"))


@document.register
def _(widest: WidestRegion) -> Document:
    name = widest.activation.name
    title = f"The widest gain region of {name}"
    gain = sympy.Abs(_times(W, dsigma(_PREACTIVATION)), evaluate=False)
    if widest.weight is None:
        relation = sympy.GreaterThan if widest.unbounded_at else sympy.StrictGreaterThan
        words = say("For {bound} the region is unbounded ({tail} along a tail), so its width in "
                    "input space has no largest value.",
                    bound=relation(sympy.Abs(W), approx(widest.unbounded_from, widest.dps)),
                    tail=sympy.GreaterThan(sympy.Abs(dsigma(z)), 1 / sympy.Abs(W)))
        return Document(title, [Section("Result", words)], sympy.Symbol("L"))
    words = say(f"{{w}} makes the set of inputs with {{bound}} widest: width "
                f"{decimal(widest.input_width, widest.dps)} (any {{b}}: it only shifts the set). "
                "Found by a scan over {abs_w} and golden-section search at twice the digits.",
                w=sympy.Eq(sympy.Abs(W), approx(widest.weight, widest.dps), evaluate=False),
                bound=sympy.GreaterThan(gain, 1), b=B, abs_w=sympy.Abs(W))
    section = Section("Result", words)
    section.grid = _region_grid(widest.region)
    return Document(title, [section], sympy.Symbol("L"))


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
    (re.compile(r"w_(\d+) δ_(\d+)"), lambda n, _: _times(layer_symbol("w", n), delta(n))),
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
    bound = _times(sympy.Product(Norm(WeightMatrix(k), 2), (k, 1, depth)),
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
