"""``symgrad bounds``: how much a chain can shrink or grow the gradient, for every input.

Layer k multiplies ∂C/∂a by f_k = c + w_k σ'(z_k), with c = 0 (plain) or 1
(residual). Over all inputs σ'(z) ranges over [inf σ', sup σ'], so |f_k| lies
between

    lower_k = 0 if c + w_k·[inf σ', sup σ'] contains 0, else the smaller |end|,
    upper_k = the larger |end|    (plain: |w_k| sup|σ'|).

Hence ∏ lower_k ≤ |∂C/∂a_0| / |∂C/∂a_L| ≤ ∏ upper_k for every input. Below 1
the gradient vanishes whatever the input; a lower product above 1 means it
explodes whatever the input; between, it can do either (the bound says "can").
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import sympy

from symgrad.activations import VARIABLE, Activation
from symgrad.analysis.box_range import compare, polynomial_range
from symgrad.analysis.float_formats import FloatLimit, float_limits
from symgrad.budget import within_budget
from symgrad.errors import SymgradError
from symgrad.extrema import Extremum
from symgrad.formula import mpmath_function
from symgrad.layers.chain_layer import BoundForm, ChainLayer
from symgrad.networks import ScalarChain

GUARD_DIGITS = 15


@dataclass(frozen=True)
class DerivativeRange:
    """inf σ' and sup σ' over the real line: exact where SymPy found them, else refined
    numerically to the working precision."""

    low: sympy.Expr
    high: sympy.Expr
    exact: bool

    @property
    def abs_sup(self) -> sympy.Expr:
        return _larger(abs(self.low), abs(self.high))


def derivative_range(activation: Activation, dps: int) -> DerivativeRange:
    low = _refined(activation, activation.derivative_inf, dps)
    high = _refined(activation, activation.derivative_sup, dps)
    exact = activation.derivative_inf.exact and activation.derivative_sup.exact
    return DerivativeRange(low, high, exact)


def _refined(activation: Activation, extremum: Extremum, dps: int) -> sympy.Expr:
    """An extremum found by a numerical search, polished to ``dps`` digits by Newton's
    method on σ'' from where the search found it. One approached at ±∞ (or that Newton
    cannot polish) keeps the search's value: there is no root of σ'' to polish it at."""
    if extremum.exact:
        return extremum.value
    where = next((p for p in extremum.where if p.is_finite), None)
    if not extremum.attained or where is None:
        return extremum.value
    slope = mpmath_function(sympy.diff(activation.derivative, VARIABLE), VARIABLE)
    derivative = mpmath_function(activation.derivative, VARIABLE)
    with mpmath.workdps(dps + GUARD_DIGITS):
        start = mpmath.mpf(sympy.Float(where, dps))
        width = mpmath.mpf(10) ** -9 * max(1, abs(start))
        for guess, solver in ((start, "newton"), ((start - width, start + width), "anderson")):
            try:
                root = mpmath.findroot(slope, guess, solver=solver, verify=False)
                value = derivative(root)
            except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
                continue
            if not isinstance(value, mpmath.mpc) and mpmath.isfinite(value) and \
                    abs(root - start) <= 2 * width and \
                    abs(slope(root)) <= mpmath.mpf(10) ** (-dps) * max(1, abs(value)):
                return sympy.Float(value, dps + GUARD_DIGITS)
        return extremum.value  # (neither polished it: keep what the search found)


def _larger(a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    return a if sympy.N(a, 30) >= sympy.N(b, 30) else b


@dataclass(frozen=True)
class LayerFactor:
    """The range of |∂a_l/∂a_{l-1}| over every input, for one setting of a layer's numbers
    (w, then the kind's own: a highway's p, q)."""

    setting: tuple[sympy.Rational, ...]
    lower: sympy.Expr
    upper: sympy.Expr
    gates: tuple[tuple[str, sympy.Expr, sympy.Expr], ...] = ()  # (gate, least, greatest)

    @property
    def weight(self) -> sympy.Rational:
        return self.setting[0]


def layer_factor(layer: ChainLayer, setting: Sequence[sympy.Rational],
                 derivative: DerivativeRange, reach: Reach | None = None) -> LayerFactor:
    """The range of |∂a_l/∂a_{l-1}| over every input: the layer's gain (``bound_form``)
    over every σ'(z) in [inf σ', sup σ'] and, where it reads them (``reach``), every σ(z) in
    σ's range, every a_{l-1} in the range the outputs stay in, and every value its gates take
    there. These are bounded as if independent (σ(z) and σ'(z) share z): a sound bound,
    tight where the gain reads σ'(z) alone (plain, residual; highway at p = 0)."""
    form = layer.bound_form
    box = {form.slope: (derivative.low, derivative.high)}
    if reach is not None:
        box.update({form.previous: reach.values, form.activated: reach.activation})
    numbers = _numbers(layer, setting)
    box = _with_gates(form, numbers, box)
    low, high = polynomial_range(form.gain.xreplace(numbers), box)
    if derivative.exact:  # (a gated layer's ends are rational in e^q: cancel is 25× quicker)
        tidy = sympy.simplify if layer.simple else sympy.cancel
        low, high = (within_budget(_tidied, tidy, end, fallback=lambda end=end: end)
                     for end in (low, high))
    small, large = sorted((abs(low), abs(high)), key=_ORDER)
    straddles = compare(low, 0) <= 0 <= compare(high, 0)  # the factor can be 0
    gates = tuple((gate.name, *box[gate]) for gate in form.gates)
    return LayerFactor(tuple(setting), sympy.S.Zero if straddles else small, large, gates)


@dataclass(frozen=True)
class Reach:
    """Where a layer's inputs are: σ's range, and the range every a_l (l ≥ 1) stays in
    when a_0 lies in σ's range."""

    activation: tuple[sympy.Expr, sympy.Expr]
    values: tuple[sympy.Expr, sympy.Expr]


MAX_GATED_SETTINGS = 100  # distinct (w, p, q) of a gated layer: some seconds of SymPy
WIDENINGS = 4  # a range that still grows after this many layers is taken as unbounded


def layer_reach(layer: ChainLayer, activation_range: tuple, settings) -> Reach | None:
    """Where the layers' inputs are, or None if the layer's gain reads neither a_{l-1} nor
    σ(z) (plain, residual). The outputs' range over every σ(z) in σ's range, every a_{l-1}
    in the range so far and every gate value, widened until it holds: a highway mixes σ(z)
    and a_{l-1}, so σ's own range holds at once."""
    form = layer.bound_form
    read = {form.previous, form.activated}
    if not (form.gain.free_symbols.union(*(u.free_symbols for u in form.gates.values()))
            & read):
        return None
    values = activation_range
    for _ in range(WIDENINGS):
        ends = []
        for setting in settings:
            numbers = _numbers(layer, setting)
            box = _with_gates(form, numbers, {form.previous: values,
                                              form.activated: activation_range})
            ends += polynomial_range(form.output.xreplace(numbers), box)
        widened = (min(values[0], *ends, key=_ORDER), max(values[1], *ends, key=_ORDER))
        if widened == values:
            return Reach(activation_range, values)
        values = widened
    return Reach(activation_range, (sympy.S.NegativeInfinity, sympy.S.Infinity))


def _numbers(layer: ChainLayer, setting: Sequence[sympy.Rational]) -> dict:
    """The placeholders of w and the kind's own parameters -> the setting's values."""
    names = [n for n in layer.parameter_names() if n != "b"]  # (b only moves z)
    return {sympy.Symbol(n, real=True): v for n, v in zip(names, setting)}


def _with_gates(form: BoundForm, numbers: dict, box: dict) -> dict:
    """The box with each gate's range: the sigmoid of its preactivation's range there,
    widened to 0 or 1 past ±GATE_CAP (sigmoid(10^100) is 1 to more digits than any bound
    shows, and e^(10^100) has no number)."""
    box = dict(box)
    for gate, preactivation in form.gates.items():
        low, high = polynomial_range(preactivation.xreplace(numbers), box)
        box[gate] = (sympy.S.Zero if compare(low, -GATE_CAP) < 0 else
                     _sigmoid(min(low, sympy.Integer(GATE_CAP), key=_ORDER)),
                     sympy.S.One if compare(high, GATE_CAP) > 0 else
                     _sigmoid(max(high, sympy.Integer(-GATE_CAP), key=_ORDER)))
    return box


GATE_CAP = 1000  # a gate's preactivation past ±this: its sigmoid's end widened to 0 or 1


def _tidied(tidy, end: sympy.Expr) -> sympy.Expr:
    """An end as ``tidy`` writes it, or as it is where SymPy cannot (a rational of 5,000
    digits exceeds what Python turns into text)."""
    try:
        return tidy(end)
    except (ValueError, OverflowError, RecursionError):
        return end


def _sigmoid(value: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-value))


_ORDER = functools.cmp_to_key(compare)  # exact order: 1 + 10^-35 above 1


class ProductBounds:
    """Bounds on a product of factors, ``lower`` ≤ it ≤ ``upper``, and their log10."""

    upper: mpmath.mpf
    lower: mpmath.mpf

    @property
    def log10_upper(self) -> mpmath.mpf:
        return _log10(self.upper)

    @property
    def log10_lower(self) -> mpmath.mpf:
        return _log10(self.lower)


@dataclass(frozen=True)
class GainBounds(ProductBounds):
    """The bounds on |∂C/∂a_0| / |∂C/∂a_L| over every input, and what they mean."""

    chain: ScalarChain
    settings: tuple[tuple, ...]  # (w, the kind's own parameters): one (every layer) or per layer
    dps: int
    derivative: DerivativeRange
    factors: tuple[LayerFactor, ...]  # one per distinct setting, in the order first met
    upper: mpmath.mpf  # ∏ upper_k
    lower: mpmath.mpf  # ∏ lower_k
    float_limits: tuple[FloatLimit, ...]  # where ∏ upper_k, from layer L down, leaves each format
    reach: Reach | None = None  # where the inputs are, for a gain that reads them

    @property
    def depth(self) -> int:
        return self.chain.depth

    @property
    def uniform(self) -> bool:
        return len(self.settings) == 1

    @property
    def weights(self) -> tuple[sympy.Rational, ...]:
        return tuple(setting[0] for setting in self.settings)

    @property
    def bounded(self) -> bool:
        """Whether every layer's factor has a finite bound (a highway's gate term on an
        unbounded σ has none)."""
        return all(f.upper.is_finite for f in self.factors)

    @property
    def rate(self) -> mpmath.mpf:
        """r with ∏ upper_k = r^L: the geometric mean of the per-layer bounds."""
        with mpmath.workdps(self.dps + GUARD_DIGITS):
            return mpmath.root(self.upper, self.depth) if self.upper else mpmath.mpf(0)

    @property
    def regime(self) -> str:
        """vanishing, exploding, bounded (can shrink, never grows) or mixed (can explode)."""
        upper, lower = self.upper_against_one, self.lower_against_one
        if upper < 0:
            return "vanishing"
        if lower > 0:
            return "exploding"
        if upper == 0:
            return "bounded"
        return "mixed"

    @property
    def upper_against_one(self) -> int:
        """-1, 0 or 1 as ∏ upper_k is below, at or above 1 (exactly, where it can be)."""
        return _against_one([f.upper for f in self.factors], self._counts, self.upper)

    @property
    def lower_against_one(self) -> int:
        return _against_one([f.lower for f in self.factors], self._counts, self.lower)

    @property
    def _counts(self) -> list[int]:
        if self.uniform:
            return [self.depth]
        return [self.settings.count(f.setting) for f in self.factors]


EXACT_PRODUCT_BITS = 1_000_000  # exact products of rational factors up to about this size


def _against_one(factors: list[sympy.Expr], counts: list[int], product: mpmath.mpf) -> int:
    """The sign of ∏ factor^count - 1: exactly for rational factors (53 · 1/53 is 1, not
    1 - 10^-68) and where every factor is on the same side of 1 (a gate's 1 + 10^-35 is
    above 1 however many digits the product is computed to), from the computed product
    otherwise."""
    if all(f.is_Rational for f in factors):
        size = sum(count * (int(f.p).bit_length() + int(f.q).bit_length())
                   for f, count in zip(factors, counts))
        if size <= EXACT_PRODUCT_BITS:
            exact = sympy.Mul(*[f**count for f, count in zip(factors, counts)])
            return int(bool(exact > 1)) - int(bool(exact < 1))
    sides = {compare(f, 1) for f in factors}
    if len(sides - {0}) <= 1:  # (all ≥ 1 or all ≤ 1: the product is on that side)
        return max(sides, key=abs)
    return (product > 1) - (product < 1)


def _log10(value: mpmath.mpf) -> mpmath.mpf:
    return mpmath.log10(value) if value else mpmath.mpf("-inf")


def gain_bounds(chain: ScalarChain, settings: Sequence[tuple], dps: int) -> GainBounds:
    """Bounds for ``settings``, each (w, the kind's own parameters in order): one for every
    layer, or exactly one per layer."""
    width = 1 + len(chain.layer.parameters)
    if any(len(s) != width for s in settings):
        raise ValueError(f"A {chain.layer.name} layer's setting has {width} numbers.")
    distinct = list(dict.fromkeys(tuple(s) for s in settings))
    if chain.layer.simple is None and len(distinct) > MAX_GATED_SETTINGS:
        names = ", ".join(("w", *chain.layer.parameters))
        raise SymgradError(f"A {chain.layer.name} chain's bounds take at most "
                           f"{MAX_GATED_SETTINGS} distinct settings of ({names}), each bounded "
                           f"exactly (about 0.1 s each); this one has {len(distinct)}.")
    derivative = derivative_range(chain.activation, dps)
    reach = layer_reach(chain.layer, chain.activation.value_range, distinct)
    factors = tuple(layer_factor(chain.layer, s, derivative, reach) for s in distinct)
    settings = tuple(tuple(s) for s in settings)
    with mpmath.workdps(dps + GUARD_DIGITS + len(str(chain.depth))):
        upper_of = {f.setting: _mpf(f.upper) for f in factors}
        lower_of = {f.setting: _mpf(f.lower) for f in factors}
        if len(settings) == 1:
            (s,) = settings
            upper = upper_of[s] ** chain.depth
            lower = lower_of[s] ** chain.depth
            limits = float_limits(lambda _: upper_of[s], None)
        else:
            upper, lower = mpmath.fprod(upper_of[s] for s in settings), \
                mpmath.fprod(lower_of[s] for s in settings)
            from_output = list(reversed(settings))  # the gradient meets layer L first
            limits = float_limits(lambda k: upper_of[from_output[k - 1]], len(settings))
    return GainBounds(chain, settings, dps, derivative, factors, upper, lower, limits, reach)


def _mpf(value: sympy.Expr) -> mpmath.mpf:
    return mpmath.inf if value is sympy.S.Infinity else mpmath.mpf(sympy.N(value, mpmath.mp.dps))
