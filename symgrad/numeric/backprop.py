"""One forward and backward pass through a scalar chain, in any number kind.

The same few lines serve MPFR at any precision (the exact values), Arb balls
(certified enclosures), MPFR intervals, mpmath, and numpy float64/float32 (to show
where floats give up). The backward step is one rule for plain and residual
chains, read from the layer kind's one definition (``symgrad.layers.chain_layer``):

    δ_k = ∂C/∂a_k · ∂a_k/∂z_k,    ∂C/∂a_{k-1} = w_k δ_k + ∂C/∂a_k · direct_k,

where ∂a_k/∂z_k = σ'(z_k) and direct_k is 0 (plain) or 1 (residual), or, for a layer with
numbers of its own (a highway's gate t_k), both come from the kind's compiled numeric
form, computed in the forward pass and kept per layer.

Gain mode fixes the preactivations z_k directly (no x, y or b): δ_l is then the
textbook product ∂C/∂a_L · w_{l+1}…w_L · σ'(z_l)…σ'(z_L) itself.

Memory: a plain pass keeps σ'(z_k) for every layer (the backward pass needs it); z, a
and δ only for the layers asked for. A pass whose per-layer numbers would pass
CHECKPOINT_BYTES is checkpointed instead (the √L scheme): the forward pass keeps a_k only
at the start of each segment of S ≈ √L layers; the backward pass recomputes each segment's
forward values from its checkpoint, walks the segment back, and keeps ∂C/∂a_k at its end.
Any layer's values are then recomputed with its segment, from those two (the latest
segment is cached, so reading the layers in order recomputes each segment once); the
layers that will be read at once are stored as the backward pass meets them. The
recomputed numbers are the plain pass's bit for bit (the same operations in the same
order at the same precision); memory is O(√L) numbers instead of O(L), for 3L layer
steps instead of 2L (and 2L more to read every layer).
"""

from __future__ import annotations

import operator
import sys
from bisect import bisect_left
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from math import isqrt

import flint
import gmpy2
import mpmath
import sympy

from symgrad.errors import SymgradError, quoted
from symgrad.networks import ScalarChain
from symgrad.numeric.interval import Interval
from symgrad.numeric.kinds import Arithmetic

PROGRESS_STEP = 1000  # layers between two progress reports
CHECKPOINT_BYTES = 100 * 2**20  # a pass that would keep more than this checkpoints
CONVERTED_LIMIT = 4096  # distinct inputs a checkpointed pass keeps converted at once
OUTPUT_SPAN = 4096  # layers forward_output computes at a time


@dataclass(frozen=True)
class ChainPoint:
    """Where to evaluate: exact rationals. Either x (and y) or the preactivations z."""

    weights: tuple[sympy.Rational, ...]  # one per layer
    biases: tuple[sympy.Rational, ...] = ()  # one per layer; not used in gain mode
    x: sympy.Rational | None = None
    y: sympy.Rational | None = None
    z: tuple[sympy.Rational, ...] | None = None  # gain mode
    upstream: sympy.Rational = sympy.Integer(1)  # ∂C/∂a_L in gain mode
    own: dict = field(default_factory=dict)  # the layer kind's own parameters: name -> per layer

    @property
    def gain_mode(self) -> bool:
        return self.z is not None


@dataclass
class Pass:
    """One pass's numbers. Sequences are indexed by layer k - 1 (a by k: a[0] is the
    input); entries of layers that were not kept are None. A checkpointed pass's sequences
    recompute their values from its ``checkpoints`` when read (z and a at any layer, δ at
    the kept ones)."""

    weights: Sequence
    z: Sequence
    a: Sequence  # a_0..a_L; empty in gain mode
    act_prime: Sequence  # every layer
    delta: Sequence
    input_gradient: object  # ∂C/∂a_0
    output_gradient: object  # ∂C/∂a_L
    cost: object | None
    weight_gradient_sum: object | None  # Σ_l a_{l-1} δ_l (tied chains, forward mode)
    first_failure: tuple[int, object] | None  # floats: (layer, δ) where δ is first inf, 0 or nan
    zero_from: int = 0  # ∂C/∂a_k = 0 exactly for every k ≤ zero_from (0: for none)
    # floats: the first quantity, in the order the pass computes them, that is inf or nan:
    # (its name as printed, e.g. "w_3 δ_3", the layer whose δ it feeds, its value); None
    first_non_finite: tuple[str, int, object] | None = None
    checkpoints: Checkpoints | None = None  # a checkpointed pass: where its values come from
    # a checkpointed pass: bit k - 1 (of byte (k - 1) // 8) set where σ'(z_k) == 0
    zero_derivatives: bytearray | None = None
    # a layer with numbers of its own (``ChainLayer.numeric_form``): per layer, (its gates,
    # ∂a/∂z, the gain's direct part, ∂a/∂θ of its own parameters); and at the kept layers
    # ∂C/∂θ of those parameters. None for a plain or residual chain.
    local: Sequence | None = None
    own_gradients: Sequence | None = None

    def delta_is_zero(self, layer: int) -> bool:
        """Whether δ_layer is exactly 0 (σ' is 0 there, or the gradient reaching it is)."""
        if layer <= self.zero_from:
            return True
        if self.zero_derivatives is not None:
            k = layer - 1
            return bool(self.zero_derivatives[k >> 3] >> (k & 7) & 1)
        return self.act_prime[layer - 1] == 0


def run_pass(chain: ScalarChain, point: ChainPoint, math: Arithmetic,
             keep: Collection[int] | None = None,
             progress: Callable[[int], None] | None = None,
             exact_zero: Callable[[int], bool] | None = None, *,
             retain: Collection[int] = (), checkpoint_bytes: int | None = None,
             segment: int | None = None) -> Pass:
    """Forward, then backward. ``keep``: the layers (1-based) whose z, a and δ are kept
    (None: all). ``progress(n)`` is told each time n more of 2 × L layer steps are done (a
    checkpointed pass scales its 3 × L to these). For a float pass, ``exact_zero(layer)``
    says where the exact δ is 0, so a 0 there is no failure.

    The pass is checkpointed when its per-layer numbers would take more than
    ``checkpoint_bytes`` (default CHECKPOINT_BYTES), or when ``segment`` (the layers between
    two checkpoints, default ⌈√L⌉) is given; it then stores the values of the ``retain``
    layers (1-based, those that will be read at once) as it meets them."""
    depth = len(point.weights)
    kept = range(depth) if keep is None else {n - 1 for n in keep}  # 0-based
    limit = CHECKPOINT_BYTES if checkpoint_bytes is None else checkpoint_bytes
    if segment is not None or _stored_bytes(chain, point, math, kept) > limit:
        size = _segment_size(isqrt(depth - 1) + 1 if segment is None else segment, depth)
        return _checkpointed_pass(chain, point, math, kept, {n - 1 for n in retain}, progress,
                                  exact_zero, size)
    number = _converter(math.number)
    weights = [number(w) for w in point.weights]
    local = None
    if point.gain_mode:
        z = [number(value) for value in point.z]
        act_prime = _derivatives(math, z, progress)
        outputs, output_gradient, cost = [], number(point.upstream), None
        non_finite = _non_finite_preactivation(z, 0) if math.normal else None
    else:
        z, outputs, act_prime, local, non_finite = _forward(chain, point, math, weights, number,
                                                            kept, progress)
        non_finite = _non_finite_input(math, "x", 1, number(point.x)) or non_finite or \
            _non_finite_input(math, "y", depth, number(point.y))
        cost, output_gradient = _cost(chain, math, z[-1], outputs[-1], number(point.y))
    delta = [None] * depth
    tied_sum = 0 * output_gradient if chain.tied and outputs else None
    # floats: which quantity first left the format (a forward one was noted by _forward)
    if math.normal and non_finite is None and not _finite(output_gradient):
        non_finite = (f"∂C/∂a_{depth}", depth, output_gradient)
    own_gradients = None if local is None else [None] * depth
    upstream, (zero_from, tied_sum, first_failure, non_finite) = _backward(
        chain, math, depth, 0, weights, act_prime, outputs, delta, kept, output_gradient,
        (0, tied_sum, None, non_finite), exact_zero, progress, local, own_gradients)
    return Pass(weights, z, outputs, act_prime, delta, upstream, output_gradient, cost,
                tied_sum, first_failure, zero_from, non_finite, local=local,
                own_gradients=own_gradients)


def _segment_size(size: int, depth: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise SymgradError(f"A segment is a whole number of layers, at least 1, not {quoted(size)}.")
    return min(size, max(depth, 1))


def _cost(chain, math, last_preactivation, output, target):
    if math.cost_of_preactivation is not None and chain.layer.output_is_activation:  # a_L = σ(z_L)
        return math.cost_of_preactivation(last_preactivation, target)
    return math.cost_and_derivative(output, target)


def _derivatives(math, preactivations: list, progress) -> list:
    """σ'(z_k) of gain mode's fixed preactivations, telling ``progress`` as it goes."""
    sigma_and_derivative, derivatives = math.sigma_and_derivative, []
    for start in range(0, len(preactivations), PROGRESS_STEP):
        derivatives.extend(sigma_and_derivative(value)[1]
                           for value in preactivations[start:start + PROGRESS_STEP])
        if progress:
            progress(min(PROGRESS_STEP, len(preactivations) - start))
    return derivatives


def _non_finite_preactivation(preactivations, lo: int):
    return next(((f"z_{lo + i + 1}", lo + i + 1, v) for i, v in enumerate(preactivations)
                 if not _finite(v)), None)


def _backward(chain, math, depth, lo, weights, act_prime, outputs, delta, kept, upstream,
              state, exact_zero, progress, local=None, own_gradients=None):
    """Layers lo + len(act_prime) down to lo + 1 of the backward pass (the lists hold those
    layers, ``outputs`` a_lo onwards, ``local`` their own numbers if the kind has any), from
    ``upstream`` = ∂C/∂a at the top one. ``state``: (zero_from, tied sum, first failure,
    first non-finite) so far. Returns ∂C/∂a_lo and the state; δ of the ``kept`` layers goes
    into ``delta``, ∂C/∂θ of the kind's own parameters into ``own_gradients``."""
    zero_from, tied_sum, first_failure, non_finite = state
    watch = math.normal
    simple = chain.layer.simple
    direct = simple[1] if simple else None
    through_at = len(chain.layer.gate_names)  # where ∂a/∂z sits in a layer's own numbers
    for i in range(len(act_prime) - 1, -1, -1):
        k = lo + i
        if not zero_from and upstream == 0:
            zero_from = k + 1
        derivative = act_prime[i]
        if local is None:
            error = upstream * derivative
        else:
            values = local[i]
            error = upstream * values[through_at]
            if k in kept and own_gradients is not None:
                own_gradients[i] = tuple(upstream * d for d in values[through_at + 2:])
        if k in kept:
            delta[i] = error
        if tied_sum is not None:
            tied_sum = tied_sum + outputs[i] * error
        if watch and first_failure is None and not watch(error) and \
                not (error == 0 and exact_zero is not None and exact_zero(k + 1)):
            first_failure = (k + 1, error)
        # ∂C/∂a_{k-1} = w_k δ_k + ∂C/∂a_k · direct_k, as backpropagation writes it
        carried = weights[i] * error
        if watch and non_finite is None:
            non_finite = _first_non_finite(k + 1, derivative, error, weights[i], carried)
        if local is not None:
            upstream = upstream * values[through_at + 1] + carried
        else:
            upstream = carried if direct == 0 else upstream + carried if direct == 1 else \
                upstream * direct + carried
        if progress and k % PROGRESS_STEP == 0:
            progress(min(PROGRESS_STEP, depth - k))
    return upstream, (zero_from, tied_sum, first_failure, non_finite)


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
    """a_L alone: the forward pass a span of layers at a time, keeping nothing else."""
    number = _converter(math.number, CONVERTED_LIMIT)
    depth, a = len(point.weights), number(point.x)
    for lo in range(0, depth, OUTPUT_SPAN):
        a = _forward_span(chain, point, math, number, lo, min(depth, lo + OUTPUT_SPAN), a)[2][-1]
    return a


def _forward(chain, point, math, weights, number, kept, progress) -> tuple:
    """The forward pass, PROGRESS_STEP layers at a time by ``_forward_span``, keeping
    σ'(z_k) (and a layer kind's own numbers) at every layer and z_k, a_k where they are
    needed: (z, a, σ', own numbers or None, first non-finite)."""
    depth = len(weights)
    # a_k is kept as the input of a kept layer k + 1 (∂C/∂w = a_{l-1} δ_l) and as the
    # output of a kept layer k; a tied chain needs every a_k (Σ_l a_{l-1} δ_l).
    keep_all = chain.tied or isinstance(kept, range)
    needed_outputs = set() if keep_all else kept | {k + 1 for k in kept}
    a = number(point.x)
    z, outputs, act_prime = [None] * depth, [a] + [None] * depth, []
    local = None if chain.layer.simple else []
    watch = math.normal is not None  # floats: note the first z_k or a_k out of range
    non_finite = None
    for lo in range(0, depth, PROGRESS_STEP):
        hi = min(depth, lo + PROGRESS_STEP)
        _, span_z, span_outputs, span_derivatives, found, span_local = _forward_span(
            chain, point, math, number, lo, hi, a, watch=watch and non_finite is None)
        non_finite = non_finite or found
        act_prime += span_derivatives
        if local is not None:
            local += span_local
        for k in range(lo, hi):
            if k in kept or k == depth - 1:  # z_L: the cost can be taken through it
                z[k] = span_z[k - lo]
            if keep_all or k + 1 in needed_outputs or k + 1 == depth:
                outputs[k + 1] = span_outputs[k + 1 - lo]
        a = span_outputs[-1]
        if progress:
            progress(hi - lo)
    return z, outputs, act_prime, local, non_finite


def _non_finite_input(math, name: str, layer: int, value):
    """Floats: the input x or the target y itself outside the format (it comes before
    anything computed from it)."""
    if math.normal is None or _finite(value):
        return None
    return name, layer, value


def _non_finite_forward(layer: int, weight, preactivation, output):
    for name, value in ((f"w_{layer}", weight), (f"z_{layer}", preactivation),
                        (f"a_{layer}", output)):
        if not _finite(value):
            return name, layer, value
    return None


def _forward_span(chain, point, math, number, lo: int, hi: int, a, watch: bool = False):
    """Layers lo + 1 to hi of the forward pass from a = a_lo, the one loop of every
    forward pass: (their weights, z, [a_lo, ..., a_hi], σ'(z), with ``watch`` the first
    w, z or a that is inf or nan, else None, and the layer kind's own numbers per layer, or
    None if it has none)."""
    count = hi - lo
    weights = [number(w) for w in point.weights[lo:hi]]
    biases = [number(b) for b in point.biases[lo:hi]]
    z, outputs, act_prime = [None] * count, [a] + [None] * count, [None] * count
    sigma_and_derivative, simple = math.sigma_and_derivative, chain.layer.simple
    if simple:
        output, local = simple[0], None
    else:
        step, local = math.layer, [None] * count
        own = [[number(v) for v in point.own[name][lo:hi]] for name in chain.layer.parameters]
    non_finite = None
    for i in range(count):
        if i == 0 and lo == 0 and math.exact_first_layer:
            preactivation = math.number(point.weights[0] * point.x + point.biases[0])
        else:
            preactivation = weights[i] * a + biases[i]
        activated, act_prime[i] = sigma_and_derivative(preactivation)
        if simple:
            a = output(a, activated)
        else:
            a, *values = step(a, activated, act_prime[i], *(column[i] for column in own))
            local[i] = tuple(values)
        if watch and non_finite is None:
            non_finite = _non_finite_forward(lo + i + 1, weights[i], preactivation, a)
        z[i] = preactivation
        outputs[i + 1] = a
    return weights, z, outputs, act_prime, non_finite, local


def _converter(number: Callable, limit: int | None = None) -> Callable:
    """``number``, converting each distinct input object once: a weight shared by
    10^5 layers is one object, and hashing SymPy numbers is slow. With ``limit``, at most
    that many are kept (a checkpointed pass must not hold 10^7 distinct weights)."""
    converted: dict[int, object] = {}

    def convert(value):
        key = id(value)
        if key not in converted:
            if limit is not None and len(converted) >= limit:
                converted.clear()
            converted[key] = number(value)
        return converted[key]

    return convert


_SAMPLE = sympy.Rational(1, 3)  # a number with every digit of the working precision


def _number_bytes(math: Arithmetic) -> int:
    """About the memory one number of ``math`` takes, with its place in a list."""
    value = math.number(_SAMPLE)
    size = sys.getsizeof(value) + 8
    if isinstance(value, Interval):
        size += sys.getsizeof(value.lo) + sys.getsizeof(value.hi)
    elif isinstance(value, flint.arb):  # its midpoint's limbs, outside the object
        size += 8 * -(-flint.ctx.prec // 64)
    elif isinstance(value, mpmath.mpf):  # its tuple and mantissa (by its bits: an mpz
        # from gmpy2's cache may report the larger size it had before)
        size += sys.getsizeof(value._mpf_) + 32 + 8 * -(-value._mpf_[3] // 64)
    return size


def _stored_bytes(chain, point, math, kept) -> int:
    """About the memory a plain pass would keep: σ'(z_k) at every layer (and z in gain mode,
    a in a tied chain), the converted weights and biases, and z, a and δ at the kept layers."""
    depth, number = len(point.weights), _number_bytes(math)
    every = 1 + point.gain_mode + chain.tied
    if not chain.layer.simple:  # its own numbers per layer, ∂C/∂θ at the kept ones
        arguments, expressions = chain.layer.numeric_form
        every += len(expressions) - 1
        return depth * (16 + every * number) + len(kept) * (3 + len(chain.layer.parameters)) * number
    return depth * (16 + every * number) + len(kept) * 3 * number


class _Scaled:
    """``progress`` told in steps of ``shown`` in all, for work of ``steps`` in all."""

    def __init__(self, progress: Callable[[int], None], steps: int, shown: int):
        self.progress, self.steps, self.shown = progress, max(steps, 1), shown
        self.done = self.reported = 0

    def __call__(self, done: int) -> None:
        self.done += done
        target = min(self.shown, self.done * self.shown // self.steps)
        if target > self.reported:
            self.progress(target - self.reported)
            self.reported = target


def _checkpointed_pass(chain, point, math, kept, retain, progress, exact_zero, size) -> Pass:
    """``run_pass`` with a_k kept every ``size`` layers and ∂C/∂a_k at the same layers;
    the values of the kept layers (if at most a segment's worth) and the ``retain`` ones
    (0-based) are stored as the backward pass meets them."""
    depth = len(point.weights)
    values = Checkpoints(chain, point, math, kept, size)
    number, watch = values.number, math.normal
    report = _Scaled(progress, (2 if point.gain_mode else 3) * depth, 2 * depth) \
        if progress else None
    non_finite = None
    if point.gain_mode:
        output_gradient, cost = number(point.upstream), None
        if watch:
            for s in range(values.count):
                lo, hi = values.bounds(s)
                non_finite = _non_finite_preactivation([number(v) for v in point.z[lo:hi]], lo)
                if non_finite is not None:
                    break
    else:
        a = number(point.x)
        for s in range(values.count):
            lo, hi = values.bounds(s)
            values.starts.append(a)
            _, z, outputs, _, found, _ = _forward_span(chain, point, math, number, lo, hi, a,
                                                       watch=bool(watch) and non_finite is None)
            non_finite, a = non_finite or found, outputs[-1]
            if report:
                report(hi - lo)
        values.last_preactivation, values.output = z[-1], a
        non_finite = _non_finite_input(math, "x", 1, number(point.x)) or non_finite or \
            _non_finite_input(math, "y", depth, number(point.y))
        cost, output_gradient = _cost(chain, math, z[-1], a, number(point.y))
    tied_sum = 0 * output_gradient if chain.tied and not point.gain_mode else None
    if watch and non_finite is None and not _finite(output_gradient):
        non_finite = (f"∂C/∂a_{depth}", depth, output_gradient)
    stored = {k for k in retain if k in kept}
    if not isinstance(kept, range) and len(kept) <= size:  # no more than a segment's worth
        stored |= kept
    stored = sorted(stored)
    zeros = bytearray((depth + 7) // 8)
    state, upstream = (0, tied_sum, None, non_finite), output_gradient
    for s in range(values.count - 1, -1, -1):
        lo, hi = values.bounds(s)
        weights, z, outputs, act_prime, local = values.forward(s)
        if report:
            report(hi - lo)
        values.upstreams[s] = upstream
        delta = [None] * (hi - lo)
        own = None if local is None else [None] * (hi - lo)
        upstream, state = _backward(chain, math, depth, lo, weights, act_prime, outputs, delta,
                                    kept, upstream, state, exact_zero, report, local, own)
        for i, derivative in enumerate(act_prime if local is None else
                                       [v[len(chain.layer.gate_names)] for v in local]):
            if derivative == 0:  # δ = 0 there: ∂a/∂z is
                zeros[(lo + i) >> 3] |= 1 << ((lo + i) & 7)
        values.store(stored, lo, hi, z, outputs, act_prime, delta, local, own)
    zero_from, tied_sum, first_failure, non_finite = state
    simple = chain.layer.simple
    return Pass(_Values(values, "w", depth), _Values(values, "z", depth),
                [] if point.gain_mode else _Values(values, "a", depth + 1),
                _Values(values, "act_prime", depth), _Values(values, "delta", depth),
                upstream, output_gradient, cost, tied_sum, first_failure, zero_from, non_finite,
                values, zeros, local=None if simple else _Values(values, "local", depth),
                own_gradients=None if simple else _Values(values, "own", depth))


class Checkpoints:
    """Where a checkpointed pass's values come from: a_k at each segment's first layer
    (forward mode), ∂C/∂a_k at each segment's last, and the values of the layers stored as
    the backward pass met them; any other layer's are recomputed with its segment, in the
    pass's own arithmetic and scope (the latest segment is cached)."""

    def __init__(self, chain, point, math, kept, size: int):
        self.chain, self.point, self.math, self.kept, self.size = chain, point, math, kept, size
        self.depth = len(point.weights)
        self.count = -(-self.depth // size)  # segments: layers s·size + 1 to (s + 1)·size
        self.number = _converter(math.number, CONVERTED_LIMIT)
        self.starts: list = []  # a_(s·size), forward mode
        self.upstreams: list = [None] * self.count  # ∂C/∂a at each segment's top layer
        self.last_preactivation = self.output = None  # z_L and a_L, forward mode
        self.stored: dict[int, tuple] = {}  # 0-based layer -> (z, σ', δ, own numbers, ∂C/∂θ)
        self.stored_a: dict[int, object] = {}  # k -> a_k
        self._cached: tuple[int, tuple] | None = None
        self.recomputed = 0  # segments recomputed to read values
        self._scope = _recompute_scope(math)

    def bounds(self, s: int) -> tuple[int, int]:
        lo = s * self.size
        return lo, min(lo + self.size, self.depth)

    def forward(self, s: int) -> tuple[list, list, list | None, list, list | None]:
        """Segment s's weights, z, a (from its first layer's input; None in gain mode),
        σ'(z) and the layer kind's own numbers (None if it has none)."""
        lo, hi = self.bounds(s)
        if self.point.gain_mode:
            weights = [self.number(w) for w in self.point.weights[lo:hi]]
            z = [self.number(value) for value in self.point.z[lo:hi]]
            sigma_and_derivative = self.math.sigma_and_derivative
            return weights, z, None, [sigma_and_derivative(value)[1] for value in z], None
        weights, z, outputs, act_prime, _, local = _forward_span(
            self.chain, self.point, self.math, self.number, lo, hi, self.starts[s])
        return weights, z, outputs, act_prime, local

    def store(self, layers: list, lo: int, hi: int, z, outputs, act_prime, delta, local=None,
              own=None) -> None:
        """Keep the values of those of ``layers`` (sorted, 0-based) in [lo, hi)."""
        for k in layers[bisect_left(layers, lo):bisect_left(layers, hi)]:
            i = k - lo
            self.stored[k] = (z[i], act_prime[i], delta[i], local and local[i], own and own[i])
            if outputs is not None:
                self.stored_a[k], self.stored_a[k + 1] = outputs[i], outputs[i + 1]

    def segment(self, s: int) -> tuple:
        """Segment s recomputed from its checkpoints: (lo, weights, z, a, σ', δ)."""
        if self._cached is not None and self._cached[0] == s:
            return self._cached[1]
        self._cached = None  # one segment in memory at a time
        lo, hi = self.bounds(s)
        with self._scope():
            weights, z, outputs, act_prime, local = self.forward(s)
            delta = [None] * (hi - lo)
            own = None if local is None else [None] * (hi - lo)
            _backward(self.chain, self.math, self.depth, lo, weights, act_prime, outputs, delta,
                      range(lo, hi), self.upstreams[s], (0, None, None, None), None, None,
                      local, own)
        self.recomputed += 1
        values = (lo, weights, z, outputs, act_prime, delta, local, own)
        self._cached = (s, values)
        return values

    def value(self, name: str, k: int):
        """Entry k of the pass's sequence ``name`` ("w", "z", "a", "act_prime", "delta",
        "local", "own")."""
        if name == "w":
            return self.number(self.point.weights[k])
        if name == "a":
            if k == self.depth:
                return self.output
            if k in self.stored_a:
                return self.stored_a[k]
            if k % self.size == 0:
                return self.starts[k // self.size]
            lo, _, _, outputs, *_ = self.segment(k // self.size)
            return outputs[k - lo]
        if name in ("delta", "own") and k not in self.kept:
            return None
        if name == "z":
            if self.point.gain_mode:
                return self.number(self.point.z[k])
            if k == self.depth - 1:
                return self.last_preactivation
        if k in self.stored:
            return self.stored[k][_STORED[name]]
        segment = self.segment(k // self.size)
        return segment[_SEGMENT[name]][k - segment[0]]


def _recompute_scope(math: Arithmetic) -> Callable:
    """``math.scope`` for recomputing values, which may be read inside that scope (a
    renderer's): an MPFR scope enters one gmpy2 context object, which cannot be entered
    again while it is active, so a copy of the context active now (the pass runs in the
    scope) is entered instead."""
    if math.name != "mpfr":
        return math.scope
    active = gmpy2.get_context().copy()
    return active.copy


_STORED = {"z": 0, "act_prime": 1, "delta": 2, "local": 3, "own": 4}  # Checkpoints.stored's
_SEGMENT = {"z": 2, "act_prime": 4, "delta": 5, "local": 6, "own": 7}  # Checkpoints.segment's


class _Values(Sequence):
    """One of a checkpointed pass's sequences (z, a, σ', δ, w, a layer kind's own numbers
    and ∂C/∂θ), read from its checkpoints."""

    def __init__(self, source: Checkpoints, name: str, length: int):
        self._source, self._name, self._length = source, name, length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        index = operator.index(index)
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(f"{self._name} has {self._length} entries, not {index + 1}")
        return self._source.value(self._name, index)
