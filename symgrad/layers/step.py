"""One step of a recurrent cell, defined once; its derivatives come from ``sympy.diff``.

A kind lists the quantities its step t computes, in order, as SymPy expressions of the
previous state (h_{t-1}, c_{t-1}), the input x_t, the shared parameters and the quantities
computed before them (``CellKind.step(names)``). The state at t is the last value of each
state name. From that definition alone:

- ``jacobian``: J_t = ∂s_t/∂s_{t-1}, by the chain rule through the step's quantities (each
  quantity's partials are ``sympy.diff`` of its own expression);
- ``parameter_partials``: ∂s_t/∂θ of the one step, s_{t-1} held fixed (BPTT sums these);
- ``carousel``: J_t with the recurrent weights set to 0, the path that passes through no
  weight: the LSTM's cell state keeps f_t there, the GRU's hidden state z_t.

A gate's derivative is written through the gate (sigmoid: i_t(1 - i_t), tanh: 1 - g_t²),
so every entry reads in the quantities the forward pass computes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import sympy

from symgrad.notation import TermFactors, Terms, dsigma, sigma, step_symbol


class sigmoid(sympy.Function):  # noqa: N801 - the gate function as torch names it
    """The logistic function 1/(1 + e^-x), whose derivative is written through itself."""

    def fdiff(self, argindex=1):
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, argument, **kwargs):
        return 1 / (1 + sympy.exp(-argument))


class StepNames:
    """The symbols of step ``t`` (a whole number, or a symbol for a general step)."""

    def __init__(self, t):
        self.t = t

    def now(self, name: str) -> sympy.Expr:
        """A quantity of this step: i_t, c_t."""
        return step_symbol(name, self.t)

    def previous(self, name: str) -> sympy.Expr:
        """A state of the step before: h_{t-1}."""
        return step_symbol(name, self.t - 1)

    @property
    def x(self) -> sympy.Expr:
        return step_symbol("x", self.t)

    @staticmethod
    def parameter(name: str) -> sympy.Symbol:
        return parameter_symbol(name)


def parameter_symbol(name: str) -> sympy.Symbol:
    """A shared parameter: ``wf`` is the symbol w_f (printed with its subscript)."""
    return sympy.Symbol(name[0] + ("_" + name[1:] if len(name) > 1 else ""), real=True)


def plain_name(symbol: sympy.Symbol) -> str:
    """The plain name of a parameter symbol: w_f -> wf."""
    return symbol.name.replace("_", "")


@dataclass(frozen=True)
class CellKind:
    """A recurrent cell: what its step computes, once; see the module's docstring."""

    name: str  # rnn, lstm, gru
    title: str
    state: tuple[str, ...]  # the state's names; the first is the output h
    parameters: tuple[str, ...]  # plain names, in the order shown
    recurrent_weights: tuple[str, ...]  # the weights on h_{t-1}: set to 0 they leave the carousel
    step: Callable[[StepNames], tuple[tuple[str, sympy.Expr], ...]]  # (name, expression), in order
    defaults: dict  # plain parameter name -> its default value (text, read exactly)
    gates: dict  # gate name -> what it is ("forget gate"), for the documents
    carousel_gate: str | None = None  # the gate whose product the carousel carries (f, z)
    uses_activation: bool = False  # the rnn's σ is the chosen activation; the gates are fixed
    reference: str = ""  # where the equations come from
    # state -> (low, high): s_t lies between its previous value s_{t-1} and this range (a
    # GRU's h_t = (1 - z_t) n_t + z_t h_{t-1} mixes n_t in (-1, 1) with h_{t-1}; an LSTM's
    # h_t = o_t tanh(c_t) lies in it outright). Read by the bounds, which interval
    # arithmetic alone cannot prove it to (z_t and 1 - z_t taken apart)
    state_range: dict = field(default_factory=dict)

    @property
    def parameter_symbols(self) -> tuple[sympy.Symbol, ...]:
        return tuple(parameter_symbol(p) for p in self.parameters)

    def quantities(self, t) -> tuple[tuple[sympy.Expr, sympy.Expr], ...]:
        """(symbol, expression) of every quantity of step t, in the order computed."""
        names = StepNames(t)
        return tuple((names.now(name), expr) for name, expr in self.step(names))

    def quantity_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.step(StepNames(sympy.Symbol("t"))))

    def written(self, expr: sympy.Expr, t) -> sympy.Expr:
        """``expr`` of step t in the order a lecturer writes it (``CellWrittenOrder``)."""
        return CellWrittenOrder(self, t).written(expr)

    def state_at(self, t) -> tuple[sympy.Expr, ...]:
        return tuple(step_symbol(s, t) for s in self.state)

    @cached_property
    def _general(self) -> Derivatives:
        return self._derivatives(sympy.Symbol("t", integer=True, positive=True))

    def derivatives(self, t=None) -> Derivatives:
        """J_t, ∂s_t/∂θ and the carousel of step t (default: a general step t)."""
        return self._general if t is None else self._derivatives(t)

    def _derivatives(self, t) -> Derivatives:
        return Derivatives(self.quantities(t), self.state_at(t), self.state_at(t - 1),
                           self.parameter_symbols,
                           tuple(parameter_symbol(w) for w in self.recurrent_weights))


class Derivatives:
    """The local Jacobian, the parameter partials and the carousel of one step (of a cell,
    or of a chain's layer), from ``sympy.diff`` of that step's own quantities."""

    def __init__(self, quantities, now: tuple, before: tuple, parameters: tuple,
                 recurrent_weights: tuple = ()):
        self.quantities, self.now, self.before = quantities, now, before
        self.parameters, self.recurrent_weights = parameters, recurrent_weights
        # gate(pre) -> gate_t, so that derivatives read in the forward quantities
        self._through = {expr: symbol for symbol, expr in self.quantities
                         if isinstance(expr, (sigmoid, sympy.tanh, sigma))}

    def total(self, variable: sympy.Symbol) -> dict:
        """d(quantity)/d(variable) for every quantity of the step, by the chain rule."""
        totals: dict = {}
        for symbol, expr in self.quantities:
            derivative = sympy.diff(expr, variable)
            for earlier, through in totals.items():
                if through != 0 and expr.has(earlier):
                    derivative += sympy.diff(expr, earlier) * through
            totals[symbol] = self._written(derivative)
        return totals

    def _written(self, expr: sympy.Expr) -> sympy.Expr:
        return expr.xreplace(self._through)

    @cached_property
    def jacobian(self) -> sympy.Matrix:
        """J_t[i, j] = ∂s^i_t/∂s^j_{t-1}."""
        columns = [self.total(previous) for previous in self.before]
        return sympy.Matrix([[column[s] for column in columns] for s in self.now])

    @cached_property
    def parameter_partials(self) -> dict:
        """θ -> (∂s^i_t/∂θ for each state i), the step's own: s_{t-1} held fixed."""
        partials = {}
        for theta in self.parameters:
            total = self.total(theta)
            partials[theta] = tuple(total[s] for s in self.now)
        return partials

    @cached_property
    def carousel(self) -> sympy.Matrix:
        """J_t with every recurrent weight 0: the path through no weight."""
        return self.jacobian.xreplace({w: 0 for w in self.recurrent_weights})


def applied_activations(expr: sympy.Expr) -> set:
    """σ(·) and σ'(·) applications in ``expr`` (an rnn's chosen activation)."""
    return expr.atoms(sigma, dsigma)


class CellWrittenOrder:
    """The order a lecturer writes a cell's step and its Jacobian in, where SymPy's own
    order reads oddly (b_i + u_i x_t + w_i h_{t-1}; c_{t-1} f_t + g_t i_t):

    - in a sum: the input's term first, then a term with a complement ((1 - z_t) n_t),
      then the previous states' (h_{t-1}, then c_{t-1}), the others, and a bias last:
      u_i x_t + w_i h_{t-1} + b_i; (1 - z_t) n_t + z_t h_{t-1}; f_t c_{t-1} + i_t g_t;
    - in a product: numbers, parameters, gates (in the kind's order), sums, states and
      inputs, then functions: w_o o_t (1 - o_t) tanh(c_t), o_t tanh(c_t).

    A sum with a subtraction in it (1 - z_t, h_{t-1} - n_t) stays as SymPy writes it."""

    def __init__(self, kind: CellKind, t):
        self.parameters = list(kind.parameter_symbols)
        self.x = step_symbol("x", t)
        self.previous = [step_symbol(s, t - 1) for s in kind.state]
        self.gates = [step_symbol(g, t) for g in kind.gates]

    def _factor_rank(self, factor: sympy.Expr) -> tuple:
        if factor.is_Number:
            return (0,)
        if factor in self.parameters:
            return 1, self.parameters.index(factor)
        if factor in self.gates:
            return 2, self.gates.index(factor), 0
        gates = [g for g in self.gates if factor.has(g)]
        others = (*self.parameters, *self.previous, self.x)
        if factor.is_Add and len(gates) == 1 and not any(factor.has(o) for o in others):
            return 2, self.gates.index(gates[0]), 1  # (its gate's complement, beside it)
        if factor.is_Add:
            return (3,)
        if factor.is_Symbol or isinstance(factor, sympy.Indexed):
            return (4,)
        return (5,)

    def _term_rank(self, term: sympy.Expr) -> tuple:
        if term.has(self.x):
            return (0,)
        parameters = [p for p in self.parameters if term.has(p)]
        if parameters and not term.free_symbols - set(self.parameters):
            return (9,)  # a bias
        if parameters:
            return 2, self.parameters.index(parameters[0])
        if any(f.is_Add for f in sympy.Mul.make_args(term)):
            return (1,)  # a complement's share: (1 - z_t) n_t
        for n, state in enumerate(self.previous):
            if term.has(state):
                return 3 + n, 0
        return (8,)

    def written(self, expr: sympy.Expr) -> sympy.Expr:
        if isinstance(expr, (sigmoid, sympy.tanh, sigma)):
            return expr.func(self.written(expr.args[0]), evaluate=False)
        if expr.is_Add and not any(t.could_extract_minus_sign() for t in expr.args):
            return Terms(*(self.written(t) for t in sorted(expr.args, key=self._term_rank)))
        if expr.is_Mul:
            factors = [self.written(f) for f in sorted(expr.args, key=self._factor_rank)]
            return TermFactors(factors)
        if expr.is_Pow:
            return sympy.Pow(self.written(expr.base), expr.exp, evaluate=False)
        return expr
