"""One layer of a scalar chain, defined once; its derivatives come from ``sympy.diff``.

Every chain layer forms z_l = w_l a_{l-1} + b_l; a kind adds the quantities it computes
after z_l (its gates, then a_l) as SymPy expressions of a_{l-1}, σ(z_l) and its own
parameters (``ChainLayer.step(names)``). From that definition alone, through the same
``step.Derivatives`` the recurrent cells use:

- ``gain``: the local factor ∂a_l/∂a_{l-1} (plain: w_l σ'(z_l); residual: 1 + w_l σ'(z_l));
- ``through``: ∂a_l/∂z_l, so that δ_l = ∂C/∂z_l = ∂C/∂a_l · ∂a_l/∂z_l;
- ``direct``: the part of the gain that passes through no weight (the gain at w_l = 0),
  so that ∂C/∂a_{l-1} = w_l δ_l + ∂C/∂a_l · direct — backpropagation's own step;
- ``partials``: ∂a_l/∂θ_l of the layer's own parameters beside w_l and b_l.

The derivation (``derive/chain.py``), the numeric pass in every number kind
(``numeric/kinds.py`` compiles ``numeric_form``), the bounds and the documents read these;
none of them knows a kind by name. Tied chains share w, b (and the kind's parameters)
across layers: a way of naming parameters, not a kind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import sympy

from symgrad.layers.step import Derivatives, sigmoid
from symgrad.notation import (
    Factors,
    TermFactors,
    Terms,
    dsigma,
    l,
    layer_symbol,
    local_derivative,
    sigma,
    tied_symbol,
)

GENERAL = l  # the notation's general layer


class LayerNames:
    """The symbols of layer ``index`` (a whole number or a symbol); ``tied``: the
    parameters shared by every layer (w, not w_l)."""

    def __init__(self, index, tied: bool = False):
        self.index, self.tied = index, tied

    def now(self, name: str) -> sympy.Expr:
        """A quantity of this layer: z_l, t_l, a_l."""
        return layer_symbol(name, self.index)

    @property
    def previous(self) -> sympy.Expr:
        """a_{l-1}, the layer's input."""
        return layer_symbol("a", self.index - 1)

    def parameter(self, name: str) -> sympy.Expr:
        return tied_symbol(name) if self.tied else layer_symbol(name, self.index)

    @property
    def activated(self) -> sympy.Expr:
        """σ(z_l)."""
        return sigma(self.now("z"))


@dataclass(frozen=True)
class ChainLayer:
    """A chain layer kind: what it computes after z_l, once; see the module's docstring."""

    name: str  # plain, residual, highway
    sentence: str  # how a document says what each layer does
    # the quantities after z_l, in order, ending with a_l: (name, expression)
    step: Callable[[LayerNames], tuple[tuple[str, sympy.Expr], ...]]
    parameters: tuple[str, ...] = ()  # the layer's own, beside w and b
    defaults: dict = field(default_factory=dict)  # parameter -> its default value (text)
    gates: dict = field(default_factory=dict)  # gate name -> what it is ("transform gate")
    reference: str = ""

    def quantities(self, names: LayerNames) -> tuple[tuple[sympy.Expr, sympy.Expr], ...]:
        """(symbol, expression) of every quantity of the layer, z_l first, a_l last."""
        z = names.parameter("w") * names.previous + names.parameter("b")
        return ((names.now("z"), z),) + tuple((names.now(n), e) for n, e in self.step(names))

    def parameter_names(self) -> tuple[str, ...]:
        return ("w", "b") + self.parameters

    def general(self, tied: bool = False) -> LayerDerivatives:
        """The derivatives at a general layer l."""
        return self._general[tied]

    @cached_property
    def _general(self) -> dict:
        return {tied: LayerDerivatives(self, tied) for tied in (False, True)}

    def at(self, expr: sympy.Expr, layer) -> sympy.Expr:
        """A general layer's expression at layer ``layer`` (l -> layer, a_{l-1} ->
        a_{layer-1}): one ``xreplace``."""
        if layer is GENERAL:
            return expr
        return expr.xreplace({atom: layer_symbol(name, layer + offset)
                              for atom, name, offset in _shifts(expr)})

    @cached_property
    def output_is_activation(self) -> bool:
        """Whether a_l = σ(z_l) (σ' may then be written through a_l)."""
        names = LayerNames(GENERAL)
        return self.quantities(names)[-1][1] == names.activated

    @cached_property
    def keeps_weights_apart(self) -> bool:
        """Whether the gain is w_l σ'(z_l) itself, so a product of gains splits into the
        weights' product and the derivatives' (a plain layer); otherwise the gains stay
        whole."""
        general = self.general()
        return general.direct == 0 and general.through == dsigma(layer_symbol("z", GENERAL))

    @cached_property
    def numeric_form(self) -> tuple[tuple[sympy.Symbol, ...], tuple[sympy.Expr, ...]]:
        """What the numeric pass computes per layer, as expressions of placeholders
        (a_{l-1}, σ(z_l), σ'(z_l), the layer's own parameters): (a_l, its gates, ∂a_l/∂z_l,
        the direct part of the gain, ∂a_l/∂θ for its own parameters θ). The gates are
        written out (sigmoid of their preactivation), so the number kind computes them."""
        names = LayerNames(GENERAL)
        general = self.general()
        placeholders = {names.previous: sympy.Symbol("a_prev", real=True),
                        names.activated: sympy.Symbol("s", real=True),
                        dsigma(names.now("z")): sympy.Symbol("ds", real=True)}
        own = {names.parameter(p): sympy.Symbol(p, real=True) for p in self.parameters}
        placeholders.update(own)
        quantities = self.quantities(names)
        gates = {symbol: expr for symbol, expr in quantities[1:-1]}
        # a gate symbol -> its expression in the placeholders (gates may use earlier ones)
        written = {}
        for symbol, expr in gates.items():
            written[symbol] = expr.xreplace(written).xreplace(placeholders)

        def numeric(expr):
            return expr.xreplace(placeholders).xreplace(written)

        output = _fewest_roundings(numeric(quantities[-1][1]), placeholders[names.previous])
        written[names.now("a")] = output  # a gain may read a_l (σ' through σ)
        expressions = (output, *(written[g] for g in gates),
                       numeric(general.through), numeric(general.direct),
                       *(numeric(general.partials[p]) for p in self.parameters))
        expressions = tuple(_complements(e, [written[g] for g in gates]) for e in expressions)
        arguments = tuple(placeholders[k] for k in (names.previous, names.activated,
                                                    dsigma(names.now("z")))) + tuple(own.values())
        return arguments, expressions

    @cached_property
    def bound_form(self) -> BoundForm:
        """The gain and a_l in placeholders (a_{l-1}, σ(z_l), σ'(z_l), w and the layer's own
        parameters), each gate kept as a variable of its own beside its preactivation: what
        ``analysis/bounds.py`` bounds over every value the placeholders can take."""
        names = LayerNames(GENERAL)
        general = self.general()
        placeholders = {names.previous: sympy.Symbol("a_prev", real=True),
                        names.activated: sympy.Symbol("s", real=True),
                        dsigma(names.now("z")): sympy.Symbol("ds", real=True)}
        placeholders.update({names.parameter(p): sympy.Symbol(p, real=True)
                             for p in self.parameter_names()})
        quantities = self.quantities(names)
        gates = {}
        for symbol, expr in quantities[1:-1]:
            if not isinstance(expr, sigmoid):
                raise ValueError(f"The {self.name} layer's gate {symbol} is not a sigmoid.")
            placeholders[symbol] = sympy.Symbol(str(symbol.base), real=True)
            gates[placeholders[symbol]] = expr.args[0].xreplace(placeholders)
        return BoundForm(general.gain.xreplace(placeholders),
                         quantities[-1][1].xreplace(placeholders), gates,
                         *(placeholders[k] for k in (names.previous, names.activated,
                                                     dsigma(names.now("z")))))

    @cached_property
    def simple(self) -> tuple[Callable, int] | None:
        """For a layer with no numbers of its own (plain, residual): a_l as a function of
        (a_{l-1}, σ(z_l)) on any number kind (it only adds), and the gain's direct part, a
        whole number; so δ_l = ∂C/∂a_l σ'(z_l). None for a layer with gates or parameters."""
        arguments, (output, *rest) = self.numeric_form
        through, direct = rest[len(self.gate_names)], rest[len(self.gate_names) + 1]
        if self.parameters or self.gate_names or through != arguments[2] or \
                not direct.is_Integer:
            return None
        return sympy.lambdify(arguments[:2], output, "math"), int(direct)  # (it only adds)

    def gain_written(self, index, weight: sympy.Expr) -> sympy.Expr:
        """How a document names the gain of layer ``index``: w σ'(z) or 1 + w σ'(z) written
        out for a layer with no numbers of its own, else ∂a_l/∂a_{l-1} (its expression is
        given where it is derived)."""
        if self.simple is None:
            return local_derivative(layer_symbol("a", index), layer_symbol("a", index - 1))
        product = [weight, dsigma(layer_symbol("z", index))]
        return Terms(self.simple[1], TermFactors(product)) if self.simple[1] else \
            Factors(product)

    @property
    def gate_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.step(LayerNames(GENERAL))[:-1])


@dataclass(frozen=True)
class BoundForm:
    """A layer's gain and output over placeholders, its gates as variables
    (``ChainLayer.bound_form``)."""

    gain: sympy.Expr
    output: sympy.Expr  # a_l
    gates: dict  # gate variable -> its preactivation (the gate is its sigmoid)
    previous: sympy.Symbol  # a_{l-1}
    activated: sympy.Symbol  # σ(z_l)
    slope: sympy.Symbol  # σ'(z_l)


class LayerDerivatives:
    """The gain, ∂a_l/∂z_l, the direct part and the parameter partials of one general layer
    l, from ``sympy.diff`` of that layer alone (``step.Derivatives``)."""

    def __init__(self, layer: ChainLayer, tied: bool):
        names = LayerNames(GENERAL, tied)
        self.names = names
        parameters = tuple(names.parameter(p) for p in layer.parameter_names())
        output, weight = names.now("a"), names.parameter("w")
        steps = Derivatives(layer.quantities(names), (output,), (names.previous,), parameters,
                            (weight,))
        self.gain = steps.jacobian[0, 0]
        self.direct = steps.carousel[0, 0]  # the gain at w_l = 0
        self.through = steps.total(names.now("z"))[output]
        self.partials = {p: steps.parameter_partials[names.parameter(p)][0]
                         for p in layer.parameters}
        order = WrittenOrder({names.parameter(p) for p in layer.parameters} | {weight},
                             names.previous)
        # as a lecturer writes them (SymPy's order: 1 + (1 - t)·(σ - a)·p·t + σ'·t·w - t)
        first, *rest = order.grouped(self.direct) or [None]
        terms = [*([first] if first is not None else []), order.product(weight * self.through),
                 *rest]
        self.shown = Terms(*terms) if len(terms) > 1 else terms[0]
        self.partials_shown = {p: order.product(d) for p, d in self.partials.items()}
        self.order = order
        # the gain is linear in w_l: w_l ∂a_l/∂z_l + direct, which backpropagation computes
        # as w_l δ_l + ∂C/∂a_l · direct (a kind that breaks this is refused here)
        if sympy.expand(self.gain - weight * self.through - self.direct) != 0:
            raise ValueError(f"The {layer.name} layer's gain is not w ∂a/∂z + its direct part.")


class WrittenOrder:
    """The order a lecturer writes a layer's terms and factors in: parameters (p_l, w_l),
    then gates, then sums (1 - t_l), then the layer's input a_{l-1}, then what holds σ:
    p_l t_l (1 - t_l) (σ(z_l) - a_{l-1}), w_l t_l σ'(z_l), t_l σ(z_l) + (1 - t_l) a_{l-1}."""

    def __init__(self, parameters: set, previous: sympy.Expr):
        self.parameters, self.previous = parameters, previous

    def _rank(self, factor: sympy.Expr) -> int:
        if factor.has(sigma, dsigma):
            return 4
        if factor.is_Add:
            return 2
        if factor == self.previous:
            return 3
        return 0 if factor.free_symbols & self.parameters else 1

    def product(self, expr: sympy.Expr) -> sympy.Expr:
        factors = sympy.Mul.make_args(expr)
        return expr if len(factors) == 1 else TermFactors(sorted(factors, key=self._rank))

    def grouped(self, expr: sympy.Expr) -> list:
        """A sum's terms: those free of the parameters together first (a highway's
        1 - t_l, a residual layer's 1), then each other term, its factors in order; none
        for 0."""
        terms = sympy.Add.make_args(expr)
        free = sympy.Add(*[t for t in terms if not t.free_symbols & self.parameters])
        rest = [self.product(t) for t in terms if t.free_symbols & self.parameters]
        return [free, *rest] if free != 0 else rest

    def written(self, expr: sympy.Expr) -> sympy.Expr:
        """A definition's expression in this order, inside a gate's sigmoid too."""
        if isinstance(expr, sigmoid):
            return sigmoid(self.written(expr.args[0]), evaluate=False)
        if expr.is_Add:
            return Terms(*(self.product(t) for t in expr.args))
        return self.product(expr)


def _fewest_roundings(output: sympy.Expr, previous: sympy.Symbol) -> sympy.Expr:
    """a_l as a_{l-1} + (a_l - a_{l-1}) factored, where that takes fewer operations: a
    highway's t s + (1 - t) a as a + t (s - a). Fewer roundings, and where s = a exactly
    (relu at w = 1, b = 0) a_l = a_{l-1} exactly, so an enclosure proves the gate's
    gradients 0 instead of straddling it."""
    change = sympy.factor(output - previous)
    moved = sympy.Add(previous, change, evaluate=False)
    return moved if sympy.count_ops(moved) < sympy.count_ops(output) else output


def _complements(expr: sympy.Expr, gates: list) -> sympy.Expr:
    """1 - sigmoid(u) as sigmoid(-u): a gate near 1 (u = 10^6) leaves its complement
    e^-u, which the subtraction would round to 0 at any working precision."""
    for value in gates:
        if isinstance(value, sigmoid):
            (argument,) = value.args
            expr = expr.subs(1 - value, sigmoid(-argument))
    return expr


@functools.lru_cache(maxsize=64)
def _shifts(expr: sympy.Expr) -> tuple:
    """(a[l - 1], "a", -1) for every indexed name of a general layer's expression: worked
    out once per expression, so a layer's copy costs one ``xreplace``."""
    return tuple((atom, atom.base.name, int(atom.indices[0] - GENERAL))
                 for atom in expr.atoms(sympy.Indexed))


def gate(argument: sympy.Expr) -> sympy.Expr:
    """A sigmoid gate, as the recurrent cells write theirs."""
    return sigmoid(argument)
