"""Backpropagation through a scalar chain, straight from the chain rule.

Nothing here calls ``sympy.diff`` on the composed network (that swells and
hits Python's recursion limit near depth 23); each layer's closed form is a
slice of two precomputed lists, the weights w_1..w_L and the derivatives
σ'(z_1)..σ'(z_L), so a layer costs O(L) and the front layer of a
10,000-layer chain is built in milliseconds.

Everything is derived abstractly first, in σ' and ∂C/∂a_L; ``concrete``
substitutes the chosen activation and cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import sympy

from symgrad.budget import within_budget
from symgrad.costs import cost_at, cost_derivative_at
from symgrad.errors import SymgradError, quoted
from symgrad.layers.chain_layer import ChainLayer, LayerNames
from symgrad.layers.plain import KIND as PLAIN
from symgrad.networks import MAX_DERIVE_DEPTH, ScalarChain, check_depth
from symgrad.notation import (
    Factors,
    L,
    Terms,
    dC_daL,
    delta,
    dsigma,
    grad_a,
    grad_b,
    grad_of,
    grad_w,
    grad_w_total,
    k,
    l,
    layer_symbol,
    local_derivative,
    output_of,
    sigma,
    tied_symbol,
    x,
)
from symgrad.tidy import tidy_signs

# Writing out every layer's closed form is quadratic in depth; beyond this
# depth only the front and last layers are written out unless asked for.
ALL_LAYERS_UP_TO = 200
# Factors written out over all the layers asked for (layer n of a depth-L chain has about
# 2(L - n) + 2): ten front layers at the largest depth. Beyond, memory and output grow
# past what can be read (2,000 layers at depth 100,000 would be 4·10^8 factors).
MAX_WRITTEN_FACTORS = 2_000_000
PROGRESS_STEP = 1_000  # factors substituted between two progress reports


@dataclass(frozen=True)
class Equation:
    """lhs = rhs (abstract: σ', ∂C/∂a_L) = concrete (activation and cost substituted)."""

    lhs: sympy.Expr
    rhs: sympy.Expr
    concrete: sympy.Expr | None = None
    index_range: tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None = None  # (l, first, last)


@dataclass(frozen=True)
class LayerGradient:
    """δ_l, ∂C/∂w_l and ∂C/∂b_l of one layer, grouped as the closed form reads."""

    layer: int
    delta: Factors  # (∂C/∂a_L)(w_{l+1}..w_L)(σ'(z_l)..σ'(z_L)), or ∂C/∂a_L ∂a_l/∂z_l ∏ gains
    layer_input: sympy.Expr  # a_{l-1}
    # the layer kind's own parameters (a highway's p_l, q_l): (∂C/∂θ_l symbol, its product)
    own: tuple[tuple[sympy.Expr, Factors], ...] = ()

    @cached_property  # a deep chain's is 20,000 factors long: built once, not per renderer
    def grad_w(self) -> Factors:
        return Factors([self.layer_input], *self.delta.groups)

    @property
    def grad_b(self) -> Factors:
        return self.delta


@dataclass(frozen=True)
class ChainDerivation:
    """Everything ``symgrad derive`` shows for a scalar chain."""

    chain: ScalarChain
    activation: tuple[Equation, ...]  # σ(z) = ..., σ'(z) = ... (= ... through the output)
    forward: tuple[Equation, ...]
    recursion: tuple[Equation, ...]
    closed_form: tuple[Equation, ...]  # in product notation, for a general layer l
    layers: tuple[LayerGradient, ...]  # written out factor by factor (concrete depth only)
    input_gradient: Factors | None  # ∂C/∂a_0 written out (concrete depth only)
    tied_totals: tuple[Equation, ...] = ()
    # σ(z_k), σ'(z_k), ∂C/∂a_L -> their concrete forms, worked out once and shared by the
    # copies ``replace`` makes (each distinct factor is substituted once, not per layer)
    substitutions: dict = field(default_factory=dict, compare=False, repr=False)
    # product -> its concrete form, and its simplified form (or None): worked out once for
    # every renderer (and for ``print_work``), not once per layout of the document
    _concrete_products: dict = field(default_factory=dict, compare=False, repr=False)
    _simplified: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def depth(self) -> sympy.Expr:
        return sympy.Integer(self.chain.depth) if self.chain.depth else L

    def layer(self, number: int) -> LayerGradient:
        for gradient in self.layers:
            if gradient.layer == number:
                return gradient
        raise SymgradError(f"Layer {number} was not written out; ask for it with layers=.")

    def concrete(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` with σ, σ' and ∂C/∂a_L replaced by the chain's activation and cost.

        Each distinct σ(z_k), σ'(z_k) is worked out once per derivation and kept, so the
        factors of a deep chain (met again in every layer written out) cost one ``xreplace``
        each."""
        if not isinstance(expr, sympy.Basic):
            raise SymgradError(f"concrete takes a SymPy expression of the derivation, not "
                               f"{type(expr).__name__}.")
        if isinstance(expr, Factors):
            known = self._concrete_products.get(expr)
            if known is None:
                known = self._concrete_products[expr] = type(expr)(
                    *[[self._substituted(f) for f in group] for group in expr.groups])
            return known
        if isinstance(expr, Terms):
            return Terms(*[self.concrete(term) for term in expr.args])
        return self._substituted(expr)

    def _substituted(self, expr: sympy.Expr) -> sympy.Expr:
        if isinstance(expr, (Factors, Terms)):
            return self.concrete(expr)
        rule = self.substitutions
        if dC_daL not in rule:
            rule[dC_daL] = self._output_gradient
        known = rule.get(expr)  # σ'(z_k) itself, met in every product: no walk of it
        if known is not None:
            return known
        if type(expr) is sympy.Symbol:  # w_k, a_{l-1}: nothing to replace
            return expr
        for applied in expr.atoms(sigma, dsigma):
            if applied not in rule:
                (argument,) = applied.args
                rule[applied] = (self._sigma if isinstance(applied, sigma) else self._dsigma)(
                    argument.xreplace(rule))
        return expr.xreplace(rule)

    def simplified(self, product: Factors) -> Factors | None:
        """The concrete product with ∂C/∂a_L σ'(z_L) cancelled, where that is shorter.

        Only σ'(z_L) shares a_L with the output gradient, so only it can cancel
        (cross-entropy with a sigmoid output: (a_L - y)/(a_L(1 - a_L)) · a_L(1 - a_L)).
        Worked out once per product: each renderer asks again.
        """
        if product not in self._simplified:
            self._simplified[product] = self._simplify(product)
        return self._simplified[product]

    def _simplify(self, product: Factors) -> Factors | None:
        output = self._output_gradient
        last = self.concrete(dsigma(layer_symbol("z", self.depth)))
        groups = [list(group) for group in self.concrete(product).groups]
        holder = next((g for g in groups if last in g and output not in g), None)
        if holder is None:
            return None
        merged = tidy_signs(within_budget(_factored, output * last, fallback=lambda: output * last))
        if sympy.count_ops(merged) >= sympy.count_ops(output) + sympy.count_ops(last) + 1:
            return None
        for group in groups:
            if output in group:
                group[group.index(output)] = merged
        holder.remove(last)
        return Factors(*groups)

    # The three replacements.
    def _sigma(self, z):
        return self.chain.activation.at(z)

    def _dsigma(self, z):
        activation = self.chain.activation
        if self.chain.layer.output_is_activation:  # else a_k is not σ(z_k)
            through_output = activation.derivative_from_output(output_of(z))
            if through_output is not None:
                return through_output
        return activation.derivative_at(z)

    @property
    def _output_gradient(self) -> sympy.Expr:
        return cost_derivative_at(self.chain.cost, layer_symbol("a", self.depth))


def derive_work(chain: ScalarChain) -> int:
    """How many units of work ``derive_chain`` reports through ``progress``: one per
    layer, whose σ'(z_k) gets its concrete form."""
    return chain.depth or 0


def written_sizes(depth: int, layers: Sequence[int] | None = None,
                  layer: ChainLayer = PLAIN, tied: bool = False) -> tuple[tuple[int, ...], int]:
    """Before deriving: how many factors each written-out layer's δ has (in layer order)
    and ∂C/∂a_0 has, as ``derive_chain`` writes them. Layers it would refuse are left
    for it to refuse (none are counted)."""
    try:
        selected = _select_layers(depth, layers)
    except SymgradError:
        selected = ()
    through = len(sympy.Mul.make_args(layer.general().through))

    def size(n: int) -> int:
        after = depth - n  # the layers between n and the output
        if not layer.keeps_weights_apart:  # ∂C/∂a_L, ∂a_n/∂z_n, the gains of n+1..L
            return 1 + through + after
        if tied:  # ∂C/∂a_L, w^(L-n), σ'(z_n)..σ'(z_L)
            return 3 + after
        return 2 + 2 * after  # ∂C/∂a_L, w_{n+1}..w_L, σ'(z_n)..σ'(z_L)

    inputs = (1 + depth if not layer.keeps_weights_apart else 2 + depth if tied
              else 1 + 2 * depth)
    return tuple(size(n) for n in selected), inputs


def derive_chain(chain: ScalarChain, layers: Sequence[int] | None = None,
                 progress: Callable[[int], None] | None = None) -> ChainDerivation:
    """Derive forward pass, δ recursion and closed forms for ``chain``.

    ``layers`` picks the layers written out factor by factor (1-based); by
    default all of them up to depth 200, else the front and last layer.
    ``progress(n)``: n more of ``derive_work(chain)`` done (the concrete factors,
    worked out here once so that rendering only looks them up).
    """
    if chain.depth is not None:
        check_depth(chain.depth, MAX_DERIVE_DEPTH)
    depth = sympy.Integer(chain.depth) if chain.depth else L
    derivation = ChainDerivation(
        chain=chain,
        activation=_activation_equations(chain),
        forward=_forward(chain, depth),
        recursion=_recursion(chain, depth),
        closed_form=_closed_form(chain, depth),
        layers=(),
        input_gradient=None,
        tied_totals=_tied_totals(chain, depth, ()),
    )
    if chain.depth is None:
        return _with_concrete(derivation)
    selected = _select_layers(chain.depth, layers)
    _check_written_size(chain.depth, selected)
    weights, derivatives = _factor_lists(chain)
    _substitute_all(derivation, derivatives, progress)
    gradients = tuple(_layer_gradient(chain, n, weights, derivatives) for n in selected)
    input_gradient = _input_gradient(chain, weights, derivatives)
    return _with_concrete(
        replace(
            derivation,
            layers=gradients,
            input_gradient=input_gradient,
            tied_totals=_tied_totals(chain, depth, gradients),
        )
    )


def _check_written_size(depth: int, selected: tuple[int, ...]) -> None:
    written = sum(2 * (depth - n) + 2 for n in selected)
    if written > MAX_WRITTEN_FACTORS:
        raise SymgradError(
            f"Writing out {len(selected)} layers of a depth-{depth} chain means {written:,} "
            f"factors, more than the {MAX_WRITTEN_FACTORS:,} that can be, so pick fewer layers "
            "(the closed form holds for every layer)."
        )


def _substitute_all(derivation: ChainDerivation, derivatives: list, progress) -> None:
    """Every σ'(z_k) in its concrete form, once, reporting as it goes."""
    done = 0
    for number, factor in enumerate(derivatives, start=1):
        derivation.concrete(factor)
        if progress is not None and (number % PROGRESS_STEP == 0 or number == len(derivatives)):
            progress(number - done)
            done = number


def _with_concrete(derivation: ChainDerivation) -> ChainDerivation:
    """Fill in the ``concrete`` side of every equation."""

    def fill(equations):
        return tuple(
            Equation(e.lhs, e.rhs, _simplest(e.rhs, derivation.concrete(e.rhs)), e.index_range)
            for e in equations
        )

    return replace(
        derivation,
        recursion=fill(derivation.recursion),
        closed_form=fill(derivation.closed_form),
        tied_totals=fill(derivation.tied_totals),
    )


def _simplest(abstract: sympy.Expr, concrete: sympy.Expr) -> sympy.Expr:
    """Cancel what cancels: only the output gradient can cancel against σ'(z_L)
    (cross-entropy with a sigmoid output: δ_L = a_L - y)."""
    if not abstract.has(dC_daL) or isinstance(concrete, Terms) or concrete.has(
        sympy.Product, sympy.Sum, delta, grad_a
    ):
        return concrete
    done = concrete.doit()
    cancelled = tidy_signs(within_budget(_factored, done, fallback=lambda: done))
    # Something must actually cancel: fewer factors, and no longer to write.
    # (Rewriting exp(-z)/(1 + exp(-z))² as exp(z)/(exp(z) + 1)² is no simplification.)
    shorter = sympy.count_ops(cancelled) < _written_size(concrete)
    return cancelled if shorter and _factor_count(cancelled) < _factor_count(concrete) else concrete


def _flat_factors(expr: sympy.Expr) -> list[sympy.Expr]:
    factors = [f for group in expr.groups for f in group] if isinstance(expr, Factors) else [expr]
    return [m for f in factors for m in sympy.Mul.make_args(f)]


def _written_size(expr: sympy.Expr) -> int:
    """Operations as written: a Factors product counts every factor it shows."""
    factors = _flat_factors(expr)
    return sum(sympy.count_ops(f) for f in factors) + len(factors) - 1


def _factor_count(expr: sympy.Expr) -> int:
    return len(_flat_factors(expr))


def _select_layers(depth: int, layers: Sequence[int] | None) -> tuple[int, ...]:
    if layers is None:
        return tuple(range(1, depth + 1)) if depth <= ALL_LAYERS_UP_TO else (1, depth)
    for n in layers:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= depth:
            raise SymgradError(f"Layer {quoted(n)} is not a layer of a depth-{depth} chain (1 to {depth}).")
    return tuple(sorted(set(layers)))


def layer_weight(chain: ScalarChain, index) -> sympy.Expr:
    """w_l, or the shared w of a tied chain."""
    return tied_symbol("w") if chain.tied else layer_symbol("w", index)


def _bias(chain: ScalarChain, index) -> sympy.Expr:
    return tied_symbol("b") if chain.tied else layer_symbol("b", index)


def _layer_gain(chain: ScalarChain, index) -> sympy.Expr:
    """∂a_k/∂a_{k-1}, from the layer kind's one definition: w_k σ'(z_k) (plain),
    1 + w_k σ'(z_k) (residual), ..."""
    return chain.layer.at(chain.layer.general(chain.tied).shown, index)


def through_factors(chain: ScalarChain, index) -> list:
    """The factors of ∂a_k/∂z_k (σ'(z_k); a highway's t_k σ'(z_k))."""
    return list(sympy.Mul.make_args(chain.layer.at(chain.layer.general(chain.tied).through,
                                                   index)))


def _own_partial(chain: ScalarChain, name: str, index) -> sympy.Expr:
    """∂a_k/∂θ_k of one of the layer kind's own parameters."""
    return chain.layer.at(chain.layer.general(chain.tied).partials_shown[name], index)


def _own_symbol(chain: ScalarChain, name: str, index) -> sympy.Expr:
    return tied_symbol(name) if chain.tied else layer_symbol(name, index)


def _as_written(chain: ScalarChain, expr: sympy.Expr) -> sympy.Expr:
    """A definition's expression in a lecturer's order (a_{l-1} + σ(z_l); t_l σ(z_l) +
    (1 - t_l) a_{l-1})."""
    return chain.layer.general(chain.tied).order.written(expr)


def _activation_equations(chain: ScalarChain) -> tuple[Equation, ...]:
    z = sympy.Symbol("z", real=True)
    activation = chain.activation
    through_output = activation.derivative_from_output(sympy.Symbol("a", real=True))
    return (
        Equation(lhs=sigma(z), rhs=activation.at(z)),
        Equation(lhs=dsigma(z), rhs=activation.derivative_at(z), concrete=through_output),
    )


def _forward(chain: ScalarChain, depth) -> tuple[Equation, ...]:
    z, a_prev = layer_symbol("z", l), layer_symbol("a", l - 1)
    every_layer = (l, sympy.Integer(1), depth)
    names = LayerNames(l, chain.tied)
    after_z = chain.layer.quantities(names)[1:]  # the gates, then a_l
    return (
        Equation(layer_symbol("a", 0), x),
        Equation(z, Terms(Factors([layer_weight(chain, l), a_prev]), _bias(chain, l)),
                 index_range=every_layer),
        *(Equation(symbol, _as_written(chain, expr), index_range=every_layer)
          for symbol, expr in after_z),
        Equation(sympy.Symbol("C"), cost_at(chain.cost, layer_symbol("a", depth))),
    )


def _recursion(chain: ScalarChain, depth) -> tuple[Equation, ...]:
    z_last = layer_symbol("z", depth)
    if not chain.layer.keeps_weights_apart:
        # δ_l alone has no clean recursion here (it would divide by σ'); ∂C/∂a_l has.
        output_gradient = cost_derivative_at(chain.cost, layer_symbol("a", depth))
        every_layer = (l, depth, 1)
        # the factor stated first where it has terms of its own beyond w σ' (a gate's);
        # a residual layer's 1 + w σ'(z) reads in the recursion itself
        factor = () if chain.layer.simple else (Equation(
            local_derivative(layer_symbol("a", l), layer_symbol("a", l - 1)),
            _layer_gain(chain, l)),)
        return (
            *factor,
            Equation(grad_a(depth), output_gradient),
            Equation(grad_a(l - 1), Factors([grad_a(l), _layer_gain(chain, l)]),
                     index_range=every_layer),
            Equation(delta(l), Factors([grad_a(l)], through_factors(chain, l)), index_range=every_layer),
            Equation(grad_w(l), Factors([layer_symbol("a", l - 1), delta(l)])),
            Equation(grad_b(l), delta(l)),
            *(Equation(grad_of(layer_symbol(name, l)),
                       Factors([grad_a(l), _own_partial(chain, name, l)]))
              for name in chain.layer.parameters),
        )
    step = Equation(
        delta(l),
        Factors([delta(l + 1), layer_weight(chain, l + 1), dsigma(layer_symbol("z", l))]),
        index_range=(l, depth - 1, 1),
    )
    return (
        Equation(delta(depth), Factors([dC_daL, dsigma(z_last)])),
        *((step,) if depth != 1 else ()),  # a one-layer chain has no recursion step
        Equation(grad_w(l), Factors([layer_symbol("a", l - 1), delta(l)])),
        Equation(grad_b(l), delta(l)),
        Equation(grad_a(0), Factors([layer_weight(chain, 1), delta(1)])),
    )


def _closed_form(chain: ScalarChain, depth) -> tuple[Equation, ...]:
    """δ_l, ∂C/∂w_l, ∂C/∂a_0 in product notation, index ranges exact."""
    own = ()
    if not chain.layer.keeps_weights_apart:
        gains = sympy.Product(_layer_gain(chain, k), (k, l + 1, depth))
        delta_l = Factors([dC_daL], through_factors(chain, l), [gains])
        input_gradient = Factors([dC_daL], [sympy.Product(_layer_gain(chain, k), (k, 1, depth))])
        own = tuple(Equation(grad_of(layer_symbol(name, l)),
                             Factors([dC_daL], [gains], [_own_partial(chain, name, l)]))
                    for name in chain.layer.parameters)
    else:
        derivatives = sympy.Product(dsigma(layer_symbol("z", k)), (k, l, depth))
        if chain.tied:
            weights, all_weights = tied_symbol("w") ** (depth - l), tied_symbol("w") ** depth
        else:
            weights = sympy.Product(layer_symbol("w", k), (k, l + 1, depth))
            all_weights = sympy.Product(layer_symbol("w", k), (k, 1, depth))
        delta_l = Factors([dC_daL], [weights], [derivatives])
        input_gradient = Factors(
            [dC_daL], [all_weights], [sympy.Product(dsigma(layer_symbol("z", k)), (k, 1, depth))]
        )
    return (
        Equation(delta(l), delta_l),
        Equation(grad_w(l), Factors([layer_symbol("a", l - 1)], *delta_l.groups)),
        *own,
        Equation(grad_a(0), input_gradient),
    )


def _factor_lists(chain: ScalarChain) -> tuple[list, list]:
    """w_1..w_L and σ'(z_1)..σ'(z_L) (a plain layer's gain w_k σ'(z_k) kept apart) or the
    whole gains ∂a_k/∂a_{k-1} and σ'(z_1)..σ'(z_L); built once."""
    indices = range(1, chain.depth + 1)
    derivatives = [dsigma(layer_symbol("z", n)) for n in indices]
    if not chain.layer.keeps_weights_apart:
        return [_layer_gain(chain, n) for n in indices], derivatives
    return [layer_weight(chain, n) for n in indices], derivatives


def _layer_gradient(chain, n: int, weights: list, derivatives: list) -> LayerGradient:
    own = ()
    if not chain.layer.keeps_weights_apart:  # weights holds the gains
        grouping = Factors([dC_daL], through_factors(chain, n), weights[n:])
        own = tuple((grad_of(_own_symbol(chain, name, n)),
                     Factors([dC_daL], weights[n:], [_own_partial(chain, name, n)]))
                    for name in chain.layer.parameters)
    elif chain.tied:
        grouping = Factors([dC_daL], [tied_symbol("w") ** (chain.depth - n)], derivatives[n - 1:])
    else:
        grouping = Factors([dC_daL], weights[n:], derivatives[n - 1:])
    return LayerGradient(layer=n, delta=grouping, layer_input=layer_symbol("a", n - 1), own=own)


def _input_gradient(chain, weights: list, derivatives: list) -> Factors:
    if not chain.layer.keeps_weights_apart:
        return Factors([dC_daL], weights)
    if chain.tied:
        return Factors([dC_daL], [tied_symbol("w") ** chain.depth], derivatives)
    return Factors([dC_daL], weights, derivatives)


def _tied_totals(chain: ScalarChain, depth, gradients) -> tuple[Equation, ...]:
    """∂C/∂w = Σ_l a_{l-1} δ_l for a tied chain (backprop through time)."""
    if not chain.tied:
        return ()
    total = sympy.Sum(layer_symbol("a", l - 1) * delta(l), (l, 1, depth))
    equations = [Equation(grad_w_total(), total)]
    if chain.depth is not None and len(gradients) == chain.depth:
        written_out = Terms(*[g.grad_w for g in gradients])
        equations.append(Equation(grad_w_total(), written_out))
    return tuple(equations)


def _factored(expr: sympy.Expr) -> sympy.Expr:
    """SymPy's factor of the cancelled form (a budgeted step: it may not finish on a
    custom activation's derivative)."""
    return sympy.factor(sympy.cancel(expr))
