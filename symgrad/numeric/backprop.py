"""One forward and backward pass through a scalar chain, in any number type.

The same few lines serve mpmath at any precision (the exact values) and numpy
float64/float32 (to show where floats give up). The backward step is one rule
for plain and residual chains:

    δ_k = ∂C/∂a_k · σ'(z_k),    ∂C/∂a_{k-1} = [∂C/∂a_k if residual] + w_k δ_k.

Gain mode fixes the preactivations z_k directly (no x, y or b): δ_l is then the
textbook product ∂C/∂a_L · w_{l+1}…w_L · σ'(z_l)…σ'(z_L) itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from symgrad.activations import VARIABLE
from symgrad.costs import cost_at, cost_derivative_at
from symgrad.networks import ScalarChain
from symgrad.notation import y


@dataclass(frozen=True)
class ChainPoint:
    """Where to evaluate: exact rationals. Either x (and y) or the preactivations z."""

    weights: tuple[sympy.Rational, ...]  # one per layer
    biases: tuple[sympy.Rational, ...] = ()  # one per layer; not used in gain mode
    x: sympy.Rational | None = None
    y: sympy.Rational | None = None
    z: tuple[sympy.Rational, ...] | None = None  # gain mode
    upstream: sympy.Rational = sympy.Integer(1)  # ∂C/∂a_L in gain mode

    @property
    def gain_mode(self) -> bool:
        return self.z is not None


@dataclass
class Pass:
    """Per-layer values (index k-1 holds layer k) and the input gradient."""

    z: list
    a: list  # a_0..a_L, empty in gain mode
    act_prime: list
    gain: list
    delta: list
    input_gradient: object
    output_gradient: object
    cost: object | None


@dataclass(frozen=True)
class Arithmetic:
    """A number type: how to make a number, σ, σ', ∂C/∂a_L and C in it."""

    number: Callable
    sigma_and_derivative: Callable  # z -> (σ(z), σ'(z)), shared subexpressions computed once
    dcost: Callable  # (a_L, y) -> ∂C/∂a_L
    cost: Callable  # (a_L, y) -> C


def arithmetic(chain: ScalarChain, module: str, number: Callable,
               cast: Callable | None = None) -> Arithmetic:
    """σ, σ', the cost and its derivative compiled for ``module`` ("mpmath", "numpy").

    ``cast`` converts each function's result back to the number type (numpy's
    ``select`` for a Piecewise answers in float64 even for float32 input).
    """
    a = sympy.Symbol("a", real=True)
    activation = chain.activation

    def compiled(arguments, expr):
        function = sympy.lambdify(arguments, expr, module, cse=True)
        if cast is None:
            return function
        if isinstance(expr, tuple):
            return lambda *args: tuple(map(cast, function(*args)))
        return lambda *args: cast(function(*args))

    return Arithmetic(
        number=number,
        sigma_and_derivative=compiled(VARIABLE, (activation.expr, activation.derivative)),
        dcost=compiled((a, y), cost_derivative_at(chain.cost, a)),
        cost=compiled((a, y), cost_at(chain.cost, a)),
    )


def run_pass(chain: ScalarChain, point: ChainPoint, math: Arithmetic,
             progress: Callable[[int], None] | None = None) -> Pass:
    """Forward, then backward; ``progress(n)`` is told each time n more layers are done."""
    n = functools.cache(math.number)  # a weight shared by 10^5 layers is converted once
    weights = [n(w) for w in point.weights]
    depth = len(weights)
    if point.gain_mode:
        zs, outputs = [n(z) for z in point.z], []
        act_prime = [math.sigma_and_derivative(z)[1] for z in zs]
        output_gradient, cost = n(point.upstream), None
    else:
        zs, outputs, act_prime = _forward(chain, point, math, weights, progress)
        y = n(point.y)
        output_gradient, cost = math.dcost(outputs[-1], y), math.cost(outputs[-1], y)
    delta, gain = [None] * depth, [None] * depth
    upstream = output_gradient  # ∂C/∂a_k, from k = L down
    for k in range(depth - 1, -1, -1):
        delta[k] = upstream * act_prime[k]
        gain[k] = weights[k] * act_prime[k] + (1 if chain.residual else 0)
        upstream = upstream * gain[k]  # = [∂C/∂a_k] + w_k δ_k
        if progress and k % 1000 == 0:
            progress(min(1000, depth - k))
    return Pass(zs, outputs, act_prime, gain, delta, upstream, output_gradient, cost)


def _forward(chain, point, math, weights, progress) -> tuple[list, list, list]:
    n = functools.cache(math.number)
    biases = [n(b) for b in point.biases]
    a, zs, outputs, act_prime = n(point.x), [], [n(point.x)], []
    for k, (w, b) in enumerate(zip(weights, biases), start=1):
        z = w * a + b
        activated, derivative = math.sigma_and_derivative(z)
        a = a + activated if chain.residual else activated
        zs.append(z)
        outputs.append(a)
        act_prime.append(derivative)
        if progress and k % 1000 == 0:
            progress(1000)
    return zs, outputs, act_prime


def weight_gradients(result: Pass) -> list:
    """∂C/∂w_l = a_{l-1} δ_l (needs the forward pass: not in gain mode)."""
    return [a * d for a, d in zip(result.a, result.delta)]


def tied_total(result: Pass) -> object:
    """∂C/∂w of a tied chain: Σ_l a_{l-1} δ_l, backpropagation through time."""
    return sum(weight_gradients(result), start=0 * result.output_gradient)


def expand(values: Sequence[sympy.Rational], depth: int) -> tuple[sympy.Rational, ...]:
    """One value for every layer, or exactly ``depth`` values."""
    return tuple(values) * depth if len(values) == 1 else tuple(values)
