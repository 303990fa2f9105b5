"""One forward and backward pass through a scalar chain, in any number kind.

The same few lines serve MPFR at any precision (the exact values), MPFR
intervals (certified enclosures), mpmath, and numpy float64/float32 (to show
where floats give up). The backward step is one rule for plain and residual
chains:

    δ_k = ∂C/∂a_k · σ'(z_k),    ∂C/∂a_{k-1} = [∂C/∂a_k if residual] + w_k δ_k.

Gain mode fixes the preactivations z_k directly (no x, y or b): δ_l is then the
textbook product ∂C/∂a_L · w_{l+1}…w_L · σ'(z_l)…σ'(z_L) itself.

Memory: σ'(z_k) is kept for every layer (the backward pass needs it); z, a and
δ only for the layers asked for, so a pass of 10^6 layers stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import sympy

from symgrad.networks import ScalarChain
from symgrad.numeric.kinds import Arithmetic

PROGRESS_STEP = 1000  # layers between two progress reports


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
    """One pass's numbers. Lists are indexed by layer k - 1 (a by k: a[0] is the input);
    entries of layers that were not kept are None."""

    weights: list
    z: list
    a: list  # a_0..a_L; empty in gain mode
    act_prime: list  # every layer
    delta: list
    input_gradient: object  # ∂C/∂a_0
    output_gradient: object  # ∂C/∂a_L
    cost: object | None
    weight_gradient_sum: object | None  # Σ_l a_{l-1} δ_l (tied chains, forward mode)
    first_failure: tuple[int, object] | None  # floats: (layer, δ) where δ is first inf, 0 or nan
    zero_from: int = 0  # ∂C/∂a_k = 0 exactly for every k ≤ zero_from (0: for none)
    # floats: the first quantity, in the order the pass computes them, that is inf or nan:
    # (its name as printed, e.g. "w_3 δ_3", the layer whose δ it feeds, its value); None
    first_non_finite: tuple[str, int, object] | None = None

    def delta_is_zero(self, layer: int) -> bool:
        """Whether δ_layer is exactly 0 (σ' is 0 there, or the gradient reaching it is)."""
        return layer <= self.zero_from or self.act_prime[layer - 1] == 0


def run_pass(chain: ScalarChain, point: ChainPoint, math: Arithmetic,
             keep: Collection[int] | None = None,
             progress: Callable[[int], None] | None = None,
             exact_zero: Callable[[int], bool] | None = None) -> Pass:
    """Forward, then backward. ``keep``: the layers (1-based) whose z, a and δ are kept
    (None: all). ``progress(n)`` is told each time n more layers are done. For a float
    pass, ``exact_zero(layer)`` says where the exact δ is 0, so a 0 there is no failure."""
    number = _converter(math.number)
    depth = len(point.weights)
    kept = range(depth) if keep is None else {n - 1 for n in keep}  # 0-based
    weights = [number(w) for w in point.weights]
    if point.gain_mode:
        z = [number(value) for value in point.z]
        act_prime = [math.sigma_and_derivative(value)[1] for value in z]
        outputs, output_gradient, cost = [], number(point.upstream), None
        non_finite = next(((f"z_{k + 1}", k + 1, v) for k, v in enumerate(z) if not _finite(v)),
                          None) if math.finite_nonzero else None
    else:
        z, outputs, act_prime, non_finite = _forward(chain, point, math, weights, number, kept,
                                                     progress)
        if math.cost_of_preactivation is not None and not chain.residual:  # a_L = σ(z_L)
            cost, output_gradient = math.cost_of_preactivation(z[-1], number(point.y))
        else:
            cost, output_gradient = math.cost_and_derivative(outputs[-1], number(point.y))
    delta = [None] * depth
    tied_sum = 0 * output_gradient if chain.tied and outputs else None
    first_failure, watch = None, math.finite_nonzero
    # floats: which quantity first left the format (a forward one was noted by _forward)
    if watch and non_finite is None and not _finite(output_gradient):
        non_finite = (f"∂C/∂a_{depth}", depth, output_gradient)
    zero_from = 0
    upstream = output_gradient  # ∂C/∂a_k, from k = L down
    for k in range(depth - 1, -1, -1):
        if not zero_from and upstream == 0:
            zero_from = k + 1
        derivative = act_prime[k]
        error = upstream * derivative
        if k in kept:
            delta[k] = error
        if tied_sum is not None:
            tied_sum = tied_sum + outputs[k] * error
        if watch and first_failure is None and not watch(error) and \
                not (error == 0 and exact_zero is not None and exact_zero(k + 1)):
            first_failure = (k + 1, error)
        # ∂C/∂a_{k-1} = [∂C/∂a_k if residual] + w_k δ_k, as backpropagation writes it
        carried = weights[k] * error
        if watch and non_finite is None:
            non_finite = _first_non_finite(k + 1, derivative, error, weights[k], carried)
        upstream = upstream + carried if chain.residual else carried
        if progress and k % PROGRESS_STEP == 0:
            progress(min(PROGRESS_STEP, depth - k))
    return Pass(weights, z, outputs, act_prime, delta, upstream, output_gradient, cost,
                tied_sum, first_failure, zero_from, non_finite)


def _finite(value) -> bool:
    """Whether a float is neither inf nor nan (inf - inf and nan - nan are nan)."""
    return value - value == 0


def _first_non_finite(layer: int, derivative, error, weight, carried):
    """In the order layer ``layer``'s backward step computes them: σ'(z_l), δ_l, w_l and
    w_l δ_l (which feeds δ_(l-1)): the first that is inf or nan, as (name, the layer
    whose δ it reaches first, value), else None."""
    for name, value, reaches in ((f"σ'(z_{layer})", derivative, layer),
                                 (f"δ_{layer}", error, layer),
                                 (f"w_{layer}", weight, layer),
                                 (f"w_{layer} δ_{layer}", carried, layer - 1)):
        if not _finite(value):
            return name, reaches, value
    return None


def forward_output(chain: ScalarChain, point: ChainPoint, math: Arithmetic):
    """a_L alone: the forward pass, keeping nothing else."""
    number = _converter(math.number)
    weights = [number(w) for w in point.weights]
    return _forward(chain, point, math, weights, number, set(), None)[1][-1]


def _forward(chain, point, math, weights, number, kept, progress) -> tuple[list, list, list, tuple]:
    depth = len(weights)
    # a_k is kept as the input of a kept layer k + 1 (∂C/∂w = a_{l-1} δ_l) and as the
    # output of a kept layer k; a tied chain needs every a_k (Σ_l a_{l-1} δ_l).
    keep_all = chain.tied or isinstance(kept, range)
    needed_outputs = set() if keep_all else kept | {k + 1 for k in kept}
    biases = [number(b) for b in point.biases]
    a = number(point.x)
    z, outputs, act_prime = [None] * depth, [a] + [None] * depth, [None] * depth
    sigma_and_derivative, residual = math.sigma_and_derivative, chain.residual
    watch = math.finite_nonzero is not None  # floats: note the first z_k or a_k out of range
    non_finite = None
    for k in range(depth):
        if k == 0 and math.exact_first_layer:
            preactivation = math.number(point.weights[0] * point.x + point.biases[0])
        else:
            preactivation = weights[k] * a + biases[k]
        activated, act_prime[k] = sigma_and_derivative(preactivation)
        a = a + activated if residual else activated
        if watch and non_finite is None:
            for name, value in ((f"w_{k + 1}", weights[k]), (f"z_{k + 1}", preactivation),
                                (f"a_{k + 1}", a)):
                if not _finite(value):
                    non_finite = (name, k + 1, value)
                    break
        if k in kept or k == depth - 1:  # z_L: the cost can be taken through it
            z[k] = preactivation
        if keep_all or k + 1 in needed_outputs or k + 1 == depth:
            outputs[k + 1] = a
        if progress and (k + 1) % PROGRESS_STEP == 0:
            progress(PROGRESS_STEP)
    return z, outputs, act_prime, non_finite


def _converter(number: Callable) -> Callable:
    """``number``, converting each distinct input object once: a weight shared by
    10^5 layers is one object, and hashing SymPy numbers is slow."""
    converted: dict[int, object] = {}

    def convert(value):
        key = id(value)
        if key not in converted:
            converted[key] = number(value)
        return converted[key]

    return convert
