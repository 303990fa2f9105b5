"""Backpropagation through time of a recurrent cell, from the cell's one-step definition.

The state s_t (h_t, and c_t for the LSTM) is carried from step to step; J_t = ∂s_t/∂s_{t-1}
and ∂s_t/∂θ come from ``sympy.diff`` of one step (``layers.step``), never of the unrolled
network. With C = ½(h_T − y)²:

    ∂C/∂h_T = h_T − y,  ∂C/∂c_T = 0,   ∂C/∂s_{t-1} = J_tᵀ ∂C/∂s_t,
    ∂C/∂θ = Σ_t Σ_i ∂C/∂s^i_t · ∂s^i_t/∂θ   (the step's own derivative, s_{t-1} fixed).

∂C/∂c_t is the gradient with respect to the cell state carried into step t + 1 (h_t held
fixed), so that one rule, J_tᵀ, serves every cell. The closed form keeps the carousel apart:
J_t with the recurrent weights set to 0 (the path through no weight) is nonzero in one
column only, the carried state's, with the gate f_t (LSTM) or z_t (GRU) on its diagonal; its
product over k = l+1..T is that gate's product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import sympy

from symgrad.derive.chain import Equation
from symgrad.errors import SymgradError
from symgrad.layers.step import CellKind, plain_name
from symgrad.networks import MAX_DERIVE_STEPS, RecurrentNet, check_steps
from symgrad.notation import (
    dsigma,
    grad_of,
    local_derivative,
    sigma,
    step_symbol,
    y,
)

T = sympy.Symbol("T", integer=True, positive=True)
t = sympy.Symbol("t", integer=True, positive=True)
k = sympy.Symbol("k", integer=True, positive=True)
l = sympy.Symbol("l", integer=True, positive=True)  # noqa: E741 - the notation's own name
through_weights = sympy.IndexedBase("R")  # R_l: every path through a recurrent weight


@dataclass(frozen=True)
class CellStep:
    """Step t written out: its quantities, J_t, and the recursion one step down."""

    t: int
    quantities: tuple[Equation, ...]  # i_t = sigmoid(...), ..., h_t = o_t tanh(c_t)
    jacobian: tuple[Equation, ...]  # ∂s^i_t/∂s^j_{t-1}
    backward: tuple[Equation, ...]  # ∂C/∂s^j_{t-1} = Σ_i J_t[i, j] ∂C/∂s^i_t


@dataclass(frozen=True)
class CellDerivation:
    """Everything ``symgrad derive --cell`` shows."""

    net: RecurrentNet
    forward: tuple[Equation, ...]  # a general step t, the initial state and the cost
    jacobian: tuple[Equation, ...]  # ∂s^i_t/∂s^j_{t-1} at a general step
    recursion: tuple[Equation, ...]
    parameter_gradients: tuple[Equation, ...]  # ∂C/∂θ as a sum over t
    closed_form: tuple[Equation, ...]  # products kept apart; the carousel path alone
    steps: tuple[CellStep, ...] = ()  # a concrete T: every step
    gradients: tuple[tuple[str, sympy.Expr], ...] = ()  # a concrete T: (plain name, ∂C/∂θ)

    @property
    def kind(self) -> CellKind:
        return self.net.cell

    @property
    def length(self) -> sympy.Expr:
        return sympy.Integer(self.net.steps) if self.net.steps else T

    def concrete(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` with the rnn's σ and σ' in its activation (σ' through h_t where it
        has such a form: tanh's 1 − h_t²)."""
        return concrete_form(self.net, expr)


def concrete_form(net: RecurrentNet, expr: sympy.Expr) -> sympy.Expr:
    activation = net.activation
    if activation is None or not isinstance(expr, sympy.Basic):
        return expr

    def derivative(z):
        through = activation.derivative_from_output(_output_of(z))
        return activation.derivative_at(z) if through is None else through

    return expr.replace(dsigma, derivative).replace(sigma, activation.at)


def _output_of(z: sympy.Expr) -> sympy.Expr:
    """h_t for z_t."""
    if isinstance(z, sympy.Indexed):
        return step_symbol("h", z.indices[0])
    return sympy.Symbol("h" + z.name[1:], real=True)


def derive_cell(net: RecurrentNet, progress: Callable[[int], None] | None = None) -> CellDerivation:
    """The derivation of ``net``: a general step always; every step and every parameter's
    gradient when T is a number (at most MAX_DERIVE_STEPS)."""
    if net.steps is not None:
        check_steps(net.steps, MAX_DERIVE_STEPS)
    kind = net.cell
    general = kind.derivatives()
    derivation = CellDerivation(
        net=net,
        forward=_forward(kind, net),
        jacobian=_jacobian_rows(kind, general.jacobian, t),
        recursion=_recursion(kind, general.jacobian),
        parameter_gradients=_parameter_sums(kind, general.parameter_partials),
        closed_form=_closed_form(kind, general),
    )
    if net.steps is None:
        return derivation
    steps = []
    for number in range(1, net.steps + 1):
        steps.append(_step(kind, general, number))
        if progress is not None:
            progress(1)
    return replace(derivation, steps=tuple(steps), gradients=_gradients(kind, general, net.steps))


def at_step(expr: sympy.Expr, number: int) -> sympy.Expr:
    """A general step's expression at step ``number``: c[t - 1] -> c2 at step 3."""
    if not isinstance(expr, sympy.Basic):
        return expr
    shifted = expr.xreplace({t: sympy.Integer(number)})
    return shifted.xreplace({e: step_symbol(e.base.name, int(e.indices[0]))
                             for e in shifted.atoms(sympy.Indexed)})


def _forward(kind: CellKind, net: RecurrentNet) -> tuple[Equation, ...]:
    every_step = (t, sympy.Integer(1), T)
    rows = []
    for symbol, expr in kind.quantities(t):
        written = kind.written(expr, t)
        rows.append(Equation(symbol, written, concrete_form(net, written), index_range=every_step))
    rows.append(Equation(sympy.Symbol("C"),
                         sympy.Rational(1, 2) * (step_symbol("h", T) - y) ** 2))
    return tuple(rows)


def _entry(kind: CellKind, i: int, j: int, at) -> sympy.Expr:
    return local_derivative(step_symbol(kind.state[i], at), step_symbol(kind.state[j], at - 1))


def _jacobian_rows(kind: CellKind, jacobian: sympy.Matrix, at) -> tuple[Equation, ...]:
    n = len(kind.state)
    return tuple(Equation(_entry(kind, i, j, at), kind.written(jacobian[i, j], at))
                 for i in range(n) for j in range(n))


def _recursion(kind: CellKind, jacobian: sympy.Matrix) -> tuple[Equation, ...]:
    n = len(kind.state)
    start = [Equation(grad_of(step_symbol("h", T)), step_symbol("h", T) - y)]
    start += [Equation(grad_of(step_symbol(s, T)), sympy.Integer(0)) for s in kind.state[1:]]
    down = (t, T, sympy.Integer(1))
    step = [Equation(grad_of(step_symbol(kind.state[j], t - 1)),
                     sympy.Add(*[sympy.Mul(_entry(kind, i, j, t), grad_of(step_symbol(kind.state[i], t)),
                                           evaluate=False) for i in range(n)], evaluate=False),
                     index_range=down)
            for j in range(n)]
    return tuple(start + step)


def _parameter_sums(kind: CellKind, partials: dict) -> tuple[Equation, ...]:
    rows = []
    for theta, derivative in partials.items():
        term = sympy.Add(*[grad_of(step_symbol(s, t)) * d
                           for s, d in zip(kind.state, derivative, strict=True) if d != 0])
        rows.append(Equation(grad_of(theta), sympy.Sum(term, (t, 1, T))))
    return tuple(rows)


def _closed_form(kind: CellKind, general) -> tuple[Equation, ...]:
    """∂C/∂s_l as a product over the steps after l, and the carousel path alone."""
    jacobian = general.jacobian.xreplace({t: k})
    h_l = step_symbol("h", l)
    rows = []
    if jacobian.shape == (1, 1):
        gain = jacobian[0, 0]
        rows.append(Equation(grad_of(h_l), grad_of(step_symbol("h", T)) * _product(gain),
                             index_range=(l, sympy.Integer(0), T)))
    if kind.carousel_gate is not None:
        rows.append(_carousel_row(kind, general))
    return tuple(rows)


def _product(gain: sympy.Expr) -> sympy.Expr:
    """∏_{k=l+1}^{T} gain_k, its factors apart: w^{T-l} ∏ σ'(z_k) for the rnn."""
    constant, varying = [], []
    for factor in sympy.Mul.make_args(gain):
        (varying if factor.has(k) else constant).append(factor)
    products = [sympy.Product(sympy.Mul(*varying), (k, l + 1, T))] if varying else []
    return sympy.Mul(*[c ** (T - l) for c in constant], *products, evaluate=False)


def _carousel_row(kind: CellKind, general) -> Equation:
    """∂C/∂(carried state)_l = [what the last step passes on] ∏_{k=l+1}^{T} gate_k + R_l."""
    carousel = general.carousel
    column = kind.state.index("c" if "c" in kind.state else "h")
    gate = step_symbol(kind.carousel_gate, t)
    for i in range(carousel.rows):
        for j in range(carousel.cols):
            if j != column and carousel[i, j] != 0:
                raise SymgradError(f"The {kind.name} cell's carousel leaves its carried state.")
    if sympy.simplify(carousel[column, column] - gate) != 0:
        raise SymgradError(f"The {kind.name} cell's carousel is not its gate {gate}.")
    passed = sympy.Add(*[
        grad_of(step_symbol(kind.state[i], T)) * (carousel[i, column] / gate)
        for i in range(carousel.rows) if i == 0  # ∂C/∂c_T = 0: only h_T reads the cost
    ]).xreplace({t: T})
    gates = sympy.Product(step_symbol(kind.carousel_gate, k), (k, l + 1, T))
    return Equation(grad_of(step_symbol(kind.state[column], l)),
                    sympy.Add(sympy.Mul(passed, gates, evaluate=False), through_weights[l],
                              evaluate=False), index_range=(l, sympy.Integer(0), T - 1))


def _step(kind: CellKind, general, number: int) -> CellStep:
    quantities = tuple(Equation(at_step(symbol, number), at_step(expr, number))
                       for symbol, expr in kind.quantities(t))
    jacobian = tuple(Equation(at_step(e.lhs, number), at_step(e.rhs, number))
                     for e in _jacobian_rows(kind, general.jacobian, t))
    n = len(kind.state)
    backward = tuple(
        Equation(grad_of(step_symbol(kind.state[j], number - 1)),
                 sympy.Add(*[at_step(general.jacobian[i, j], number)
                             * grad_of(step_symbol(kind.state[i], number)) for i in range(n)]))
        for j in range(n))
    return CellStep(number, quantities, jacobian, backward)


def _gradients(kind: CellKind, general, steps: int) -> tuple[tuple[str, sympy.Expr], ...]:
    """∂C/∂θ = Σ_t Σ_i ∂C/∂s^i_t ∂s^i_t/∂θ, in the forward quantities and ∂C/∂s^i_t."""
    out = []
    for theta, derivative in general.parameter_partials.items():
        terms = [grad_of(step_symbol(s, number)) * at_step(d, number)
                 for number in range(1, steps + 1)
                 for s, d in zip(kind.state, derivative, strict=True) if d != 0]
        out.append((plain_name(theta), sympy.Add(*terms)))
    return tuple(out)


def final_gradients(net: RecurrentNet) -> tuple[Equation, ...]:
    """∂C/∂h_T = h_T − y and ∂C/∂c_T = 0 at the concrete T, where the recursion starts."""
    last = step_symbol("h", net.steps)
    return (Equation(grad_of(last), last - y),
            *(Equation(grad_of(step_symbol(s, net.steps)), sympy.Integer(0))
              for s in net.cell.state[1:]))
