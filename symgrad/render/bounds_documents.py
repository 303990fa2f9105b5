"""Document layouts (LaTeX, Markdown; text too) of the bounds and the gain regions: kept
apart from the evaluations' (``numeric_documents``), so that printing them loads no
evaluator."""

from __future__ import annotations

from dataclasses import replace

import mpmath
import sympy

from symgrad.analysis.bounds import GainBounds
from symgrad.analysis.region import GainRegion, Span, WidestRegion
from symgrad.notation import (
    Factors,
    L,
    Terms,
    dsigma,
    grad_a,
    inf_dsigma,
    k,
    layer_symbol,
    log10,
    sigma,
    slashed_ratio,
    sup_abs_dsigma,
    sup_dsigma,
)
from symgrad.numeric.real import (
    decimal,
    exact_words,
)
from symgrad.render.document import (
    Document,
    Grid,
    Row,
    Section,
    document,
)
from symgrad.render.number_style import approx, decimal_number, exact_sides
from symgrad.render.prose import Code, Phrase, Prose, joined, paragraph, say

MAX_WEIGHT_ROWS = 20  # distinct weights listed one by one; beyond, JSON has every layer
EXACT_POWER_BITS = 4096  # factor^L is worked out exactly up to this size

z = sympy.Symbol("z", real=True)
W, R = sympy.Symbol("w", real=True), sympy.Symbol("r", positive=True)  # a weight; a rate
A, B = sympy.Symbol("a", real=True), sympy.Symbol("b", real=True)  # a layer's input; its bias
X, Y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)  # a chain's input; its target


def times(*factors) -> Factors:
    """A product in the order written (w σ'(z), not σ'(z) w)."""
    return Factors(factors)


_PREACTIVATION = Terms(times(W, A), B)  # w a + b


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
    gain = sympy.Abs(times(W, dsigma(z)), evaluate=False)
    if region.status == "empty":
        return say("Empty: {bound}, so a layer with {w} shrinks the gradient for every input.",
                   bound=sympy.StrictLessThan(times(sympy.Abs(W), sup_abs_dsigma()), 1),
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
                 "layer shrinks the gradient. ", gain=times(W, dsigma(z)),
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
    gain = sympy.Abs(times(W, dsigma(_PREACTIVATION)), evaluate=False)
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
