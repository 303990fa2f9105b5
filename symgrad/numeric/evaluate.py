"""``symgrad eval``: the exact pass at any precision, beside float64 and float32.

The exact pass runs in MPFR with guard digits (mpmath if the numbers leave
MPFR's exponent range), or in certified Arb balls with ``interval=True`` (``balls``:
exponents without bound, so an enclosure is as narrow at 10^-(10^9) as at 1).
The result keeps the layers asked for and answers everything a renderer shows:
each layer's values and their log10 magnitudes. A deep pass is checkpointed (see
``backprop``): the layers are recomputed as they are read, a segment at a time, so the
JSON of 10^7 layers streams in bounded memory.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field

from flint import arb

from symgrad.arguments import digits, whole
from symgrad.costs import check_output, check_run_output
from symgrad.digits import DEFAULT_DPS, MAX_DPS, settled_digits
from symgrad.errors import SymgradError
from symgrad.networks import ScalarChain
from symgrad.numeric.backprop import ChainPoint, Pass, forward_output, run_pass
from symgrad.numeric.balls import (
    StraddleError,
    accuracy,
    ball_arithmetic,
    bits_lost,
    narrow,
    output_inside,
    raised_bits,
    shown_midpoint,
)
from symgrad.numeric.interval import KINK_REFUSAL, Interval
from symgrad.numeric.kinds import (
    FLOAT_TYPES,
    Arithmetic,
    digits_to_bits,
    float_arithmetic,
    interval_arithmetic,
    rational_arithmetic,
    rational_arithmetic_applies,
)
from symgrad.numeric.precision import converged, guard_digits, in_range
from symgrad.numeric.real import log10_abs, to_float
from symgrad.parallel import in_order

MAX_WORKING_DPS = 40_000
LAYER_BATCH = 1000  # layers made at a time by ChainEvaluation.layers()


@dataclass(frozen=True)
class FloatBreakdown:
    """Where a float format first gives up, walking back from the output layer."""

    format: str
    layer: int | None  # the first layer (from L down) whose δ is inf, 0, nan or subnormal
    what: str | None  # "inf", "0", "nan" or "subnormal" (digits lost below the normal range)
    input_gradient: float
    # the first quantity of the float pass that overflowed or became nan, in the order the
    # pass computes them: δ_l may fit the format while w_(l+1) δ_(l+1), which it is made
    # from, does not ("w_3 δ_3"); its layer (the δ it reaches first) and "inf" or "nan"
    cause: tuple[str, int, str] | None = None
    # after a subnormal δ: the layer from which ∂C/∂a is 0 in the format (not exactly)
    zero_from: int | None = None

    @property
    def words(self) -> str:
        """What happened, for a reader: "δ is inf from layer 2 down (w_3 δ_3 overflows
        float32 at layer 2)"."""
        if self.layer is None:
            return "holds at every layer"
        text = f"δ is {self.what} from layer {self.layer} down" + (
            " (its digits run out)" if self.what == "subnormal" else "") + (
            f", ∂C/∂a is 0 from layer {self.zero_from} down" if self.zero_from else "")
        if self.cause is not None:
            name, layer, kind = self.cause
            happened = f"overflows {self.format}" if kind == "inf" else f"is nan in {self.format}"
            where = f" at layer {layer}" if " " in name else ""  # w_3 δ_3 reaches δ_2 first
            text += f" ({name} {happened}{where})"
        return text


@dataclass(frozen=True)
class Uncertified:
    """Why a chain's values are two agreeing runs' rather than certified: balls could not
    settle them within ``working_digits`` (``reason``: a ball straddled a kink, or the
    balls did not narrow to the digits asked)."""

    reason: str
    working_digits: int

    @property
    def words(self) -> str:
        return f"{self.reason} within {self.working_digits:,} working digits"

    @contextlib.contextmanager
    def refused(self):
        """The agreeing runs' scope: if they cannot settle either where balls straddled a
        kink, the refusal names the kink."""
        try:
            yield
        except SymgradError:
            if self.reason != KINK_STRADDLED:
                raise
            raise SymgradError(KINK_UNDECIDED) from None


KINK_STRADDLED = "a ball straddled a kink of the activation"
KINK_UNDECIDED = ("A preactivation lies at a kink of the activation, or closer to it than "
                  "the working digits can tell, so which branch applies cannot be decided; "
                  "move the input or a parameter off the kink.")
NOT_NARROWED = "the balls did not narrow to the digits asked"


@dataclass(frozen=True, slots=True)
class LayerValues:
    """One layer's numbers (gain = ∂a_l/∂a_{l-1}: w σ'(z), plus 1 in a residual chain;
    ∂C/∂b = δ)."""

    layer: int
    z: object
    a: object | None  # None in gain mode
    act_prime: object
    gain: object
    delta: object
    grad_w: object | None  # a_{l-1} δ_l; None in gain mode
    gates: dict = field(default_factory=dict)  # a highway's t_l: name -> value
    own_gradients: dict = field(default_factory=dict)  # ∂C/∂p_l, ∂C/∂q_l: name -> value

    @property
    def grad_b(self):
        return self.delta

    def log10_abs(self, name: str):
        return log10_abs(getattr(self, name))


@dataclass(frozen=True)
class ChainEvaluation:
    """The exact pass (kept layers only) and the float comparison."""

    chain: ScalarChain
    point: ChainPoint
    dps: int
    exact: Pass
    arithmetic: Arithmetic  # the kind the exact pass ran in: "rational", "mpfr", "mpmath" or
    # "ball" (certified enclosures)
    kept: Sequence[int]  # the layers whose values are kept, 1-based, in order (a tuple or range)
    floats: tuple[FloatBreakdown, ...]
    # the values as certified enclosures (``interval``); else a ball run's values are
    # shown as their midpoints, each within 10^-(dps+1) of the exact value
    enclosures: bool = False
    # why the values are two agreeing runs' rather than certified; None when they are
    # certified (balls) or exact (rationals)
    uncertified: Uncertified | None = None

    @property
    def depth(self) -> int:
        return len(self.point.weights)

    @property
    def interval(self) -> bool:
        """Whether the values are certified enclosures (Arb balls)."""
        return self.enclosures

    def _shown(self, value):
        """A value as it is shown: an earned ball as its midpoint (MPFR, or mpmath beyond
        MPFR's exponent range), an enclosure as itself."""
        if self.enclosures or not isinstance(value, arb):
            return value
        return shown_midpoint(value)

    def layer(self, n: int) -> LayerValues:
        n = whole(n, "The layer", 1, self.depth)
        with self.arithmetic.scope():
            return self._layer(n)

    def _layer(self, n: int) -> LayerValues:
        """Layer n's values; in the arithmetic's scope."""
        if not 1 <= n <= self.depth or self.exact.delta[n - 1] is None:
            raise SymgradError(f"Layer {n}'s values were not kept by this evaluation.")
        exact, k = self.exact, n - 1
        layer = self.chain.layer
        gates, own = {}, {}
        gain = _gain(self.chain, exact, k)
        if not layer.simple:  # the kind's own numbers: (gates, ∂a/∂z, direct, ∂a/∂θ)
            gates = dict(zip(layer.gate_names, exact.local[k][:len(layer.gate_names)]))
            own = dict(zip(layer.parameters, exact.own_gradients[k]))
        forward, shown = not self.point.gain_mode, self._shown
        return LayerValues(
            layer=n,
            z=shown(exact.z[k]),
            a=shown(exact.a[n]) if forward else None,
            act_prime=shown(exact.act_prime[k]),
            gain=shown(gain),
            delta=shown(exact.delta[k]),
            grad_w=shown(exact.a[k] * exact.delta[k]) if forward else None,
            gates={name: shown(v) for name, v in gates.items()},
            own_gradients={name: shown(v) for name, v in own.items()},
        )

    def layers(self, start: int = 0, stop: int | None = None) -> Iterator[LayerValues]:
        """The kept layers' values, in order (``start``, ``stop``: positions in ``kept``).
        They are made LAYER_BATCH at a time in one entry of the arithmetic's scope (each
        entry of an MPFR scope is remembered, for its flags: one per layer would hold 10^7
        of them) and handed out outside it."""
        stop = len(self.kept) if stop is None else stop
        for first in range(start, stop, LAYER_BATCH):
            with self.arithmetic.scope():
                batch = [self._layer(n) for n in self.kept[first:min(first + LAYER_BATCH, stop)]]
            yield from batch

    def chunks(self) -> list[tuple[int, int]]:
        """``kept`` cut into runs of about LAYER_BATCH positions, for ``layers(lo, hi)``
        read apart (by worker processes); a checkpointed pass's runs end where its
        segments end, so no segment is recomputed twice."""
        count = len(self.kept)
        step = LAYER_BATCH
        checkpoints = self.exact.checkpoints
        if checkpoints is not None and self.kept == range(1, self.depth + 1):
            step = checkpoints.size * max(1, LAYER_BATCH // checkpoints.size)
        return [(lo, min(lo + step, count)) for lo in range(0, count, step)]

    def magnitudes(self, layers, name: str = "delta") -> tuple[float | None, ...]:
        """log10|``name``| at each of ``layers`` as floats for a chart; None where it is
        exactly 0. An enclosure that reaches 0 is charted at its upper end."""
        values = (chart_point(self.layer(n).log10_abs(name)) for n in layers)
        return tuple(v if math.isfinite(v) else None for v in values)

    @property
    def input_gradient(self):
        return self._shown(self.exact.input_gradient)

    @property
    def output_gradient(self):
        return self._shown(self.exact.output_gradient)

    @property
    def cost(self):
        return self._shown(self.exact.cost)

    @property
    def grad_w_total(self):
        """∂C/∂w of a tied chain: Σ_l a_{l-1} δ_l (backpropagation through time)."""
        return self._shown(self.exact.weight_gradient_sum)


def _gain(chain: ScalarChain, exact: Pass, k: int):
    """Layer k + 1's gain ∂a_l/∂a_{l-1}: w σ'(z) + direct (a whole number: 0 plain, 1
    residual), or from the layer kind's own numbers (gates, ∂a/∂z, direct, ∂a/∂θ)."""
    layer = chain.layer
    if layer.simple:
        gain = exact.weights[k] * exact.act_prime[k]
        return gain + layer.simple[1] if layer.simple[1] else gain
    local, count = exact.local[k], len(layer.gate_names)
    return exact.weights[k] * local[count] + local[count + 1]


def chart_point(log10_value) -> float:
    if isinstance(log10_value, Interval) and log10_value.lo == -math.inf:
        return to_float(log10_value.hi)
    return to_float(log10_value)


def evaluate_chain(chain: ScalarChain, point: ChainPoint, dps: int = DEFAULT_DPS, *,
                   interval: bool = False, keep: Collection[int] | None = None,
                   progress: Callable[[int], None] | None = None) -> ChainEvaluation:
    """The forward and backward pass to ``dps`` correct digits; ``keep``: the layers to
    keep (None: all).

    A piecewise-linear chain (relu, leaky_relu, linear) with rational inputs and the
    quadratic cost has rational values only: it runs in exact rationals, so a
    preactivation that is exactly at a kink takes the branch it should. Otherwise the pass
    runs at two working precisions and the digits go up until the values shown agree
    (cancellation or a huge z can cost many digits); ``interval`` certifies instead.
    """
    digits(dps, MAX_DPS)
    uncertified = None
    if interval:
        math, exact = _certified_pass(chain, point, dps, keep, progress)
    elif rational_arithmetic_applies(chain, _inputs(point), point.gain_mode):
        math = rational_arithmetic(chain)  # one exact run
        exact = run_pass(chain, point, math, keep, progress)
    else:
        math, exact, uncertified = _converged_pass(chain, point, dps, keep, progress)
    if not point.gain_mode and math.name == "rational":  # exact: a run's a_L = 1 may be
        check_output(chain.cost, exact.a[-1])  # 1 - 10^-(10^299); a ball's was checked
    elif not point.gain_mode and math.name == "ball":  # (refused only if certainly outside:
        with math.scope():  # an enclosure of 1 - e^-300 may reach 1)
            output_inside(chain.cost, exact.a[-1])
    floats = tuple(in_order(lambda name: _float_breakdown(chain, point, name, exact),
                            FLOAT_TYPES, chain.depth * len(FLOAT_TYPES)))
    # every layer: a range, not 10^7 ints in a tuple
    kept = range(1, chain.depth + 1) if keep is None else tuple(sorted(keep))
    return ChainEvaluation(chain, point, dps, exact, math, kept, floats, interval, uncertified)


MAX_INTERVAL_WORKING = 20_000  # working digits an interval pass may be raised to ...
MAX_INTERVAL_WORK = 10**7  # ... while depth × working digits stays within this (seconds)
UNDEFINED = ("An enclosure became undefined (its ends reached infinity on both sides), so "
             "nothing can be certified for this chain; drop --interval.")


def _certified_pass(chain, point, dps, keep, progress) -> tuple[Arithmetic, Pass]:
    """A pass in Arb balls at dps + guard working digits, the digits doubled while the
    enclosures it ends with (a_L, ∂C/∂a_0, δ_1) are wider than 10^-dps of their size or
    one is not finite (a division by a ball about 0, a logarithm of one reaching 0): where
    a_{l-1} enters a layer twice (a highway's gate and its carry) an enclosure widens by a
    constant factor a layer, which costs digits in proportion to the depth. Past
    MAX_INTERVAL_WORKING digits, or MAX_INTERVAL_WORK digits times layers, the enclosures
    stand as they are (their widths are shown), but one that is not finite is refused, and
    so, at once, is a ball straddling a kink (its branch is never guessed). Arb's exponents
    are unbounded: an enclosure beyond MPFR's range (10^-(10^9)) is as narrow as any."""
    working = dps + guard_digits(chain.depth)
    while True:
        math = ball_arithmetic(chain, digits_to_bits(working))
        with math.scope():
            try:
                exact = run_pass(chain, point, math, keep, progress)
            except StraddleError:
                raise SymgradError(KINK_REFUSAL) from None
            ends = [exact.input_gradient, exact.a[-1] if exact.a else None,
                    exact.delta[0] if exact.delta else None]
            undefined = any(v is not None and not v.is_finite() for v in ends)
            if all(narrow(v, dps) for v in ends):
                return math, exact
        raised = min(MAX_INTERVAL_WORKING, 2 * working)
        if raised == working or chain.depth * raised > MAX_INTERVAL_WORK:
            if undefined:
                raise SymgradError(UNDEFINED)
            return math, exact
        working = raised


def _inputs(point: ChainPoint) -> Iterator:
    """The distinct inputs of the pass, met as they are asked for (told apart by identity:
    a value shared by every layer is one object, and hashing 10^7 SymPy numbers takes
    seconds)."""
    seen = set()
    for group in (point.weights, point.biases, point.z or (), (point.x, point.y),
                  *point.own.values()):
        for value in group:
            if value is not None and id(value) not in seen:
                seen.add(id(value))
                yield value


def _converged_pass(chain, point, dps, keep,
                    progress) -> tuple[Arithmetic, Pass, Uncertified | None]:
    """The pass whose shown values (the gradients, the cost, and every value at up to
    CHECKED_LAYERS layers: all of a short chain) are right to dps + 1 digits: in balls
    (``_earned_balls``: one run, its radii checked), and where balls cannot tell within
    their budget, at rising working digits until two runs agree (``_agreeing_runs``);
    then why the balls could not (the values are not certified), else None."""
    checked = _checked_layers(chain.depth, keep)
    try:
        return (*_earned_balls(chain, point, dps, keep, progress, checked), None)
    except BallsCannotTell as cannot:
        with cannot.why.refused():
            return (*_agreeing_runs(chain, point, dps, keep, progress, checked), cannot.why)


def _agreeing_runs(chain, point, dps, keep, progress, checked) -> tuple[Arithmetic, Pass]:
    """The MPFR route: runs at rising digits until two agree to dps + 1 digits on every
    shown value (``precision.converged``), and an interval pass proves each of them that
    is exactly 0. Two agreeing runs can both have lost an addend (1 + 2^-270 is 1 at 51
    and at 61 digits): what balls settle is not sent here, and what is sent here is said
    to be uncertified."""

    def compute(working):  # every run reports its 2 × depth layer steps
        math, exact = in_range(chain, working, lambda math: run_pass(
            chain, point, math, keep, progress, retain=checked))
        if not point.gain_mode:
            check_run_output(chain.cost, exact.a[-1], lambda: _enclosed_output(chain, point, working))
        return (math, exact), _shown_values(chain, exact, checked)

    def certify(working):
        math = interval_arithmetic(chain, working)
        enclosure = run_pass(chain, point, math, keep, retain=checked)
        return None if math.out_of_range() else _shown_values(chain, enclosure, checked)

    return converged(compute, dps, dps + guard_digits(chain.depth), MAX_WORKING_DPS,
                     "This chain's values", certify)


class BallsCannotTell(Exception):  # noqa: N818 (a signal: agreeing runs take over)
    """Balls did not settle a chain's or a cell's values within their budget; ``why``."""

    def __init__(self, why: Uncertified):
        super().__init__(why.words)
        self.why = why


def _earned_balls(chain, point, dps, keep, progress, checked) -> tuple[Arithmetic, Pass]:
    """The pass in Arb balls (``earned_in_balls``), from dps + guard working digits, with
    a budget of MAX_INTERVAL_WORK digits times layers (and twice the first run's digits at
    least). A ball's radius bounds every rounding of its run, so one run settles what two
    compared runs cannot (1 + 2^-270 rounds to 1 at 51 and at 61 digits alike). Balls
    give up on a ball straddling a kink or reaching across 0 at every precision tried,
    the output's ball on the edge of the cost's domain, or radii growing faster than the
    values (a highway's gate and carry both read a_{l-1}, and a ball cannot know their
    errors cancel)."""
    start = dps + guard_digits(chain.depth)
    budget = max(2 * start, min(MAX_INTERVAL_WORKING, MAX_INTERVAL_WORK // max(chain.depth, 1)))

    def run(bits: int):
        math = ball_arithmetic(chain, bits)
        with math.scope():
            try:
                exact = run_pass(chain, point, math, keep, progress, retain=checked)
            except StraddleError:
                return None, 0
            return (math, exact), _least_accuracy(chain, point, exact, checked)

    return earned_in_balls(run, start, budget, dps)


def earned_in_balls(run: Callable[[int], tuple[object | None, int]], start: int, budget: int,
                    dps: int):
    """The result of the first of ``run(bits)``'s runs (from ``start`` working digits up to
    ``budget``) whose least relative accuracy is enough for dps + 1 digits (16 at least,
    for a log10), the bits raised by what each run lost. ``run`` gives (its result, that
    accuracy in bits), or (None, 0) where a ball straddled a kink. Raises
    ``BallsCannotTell``, saying why, past the budget. Chains and cells share it."""
    needed = digits_to_bits(settled_digits(dps) + 1)
    bits, reason = digits_to_bits(start), NOT_NARROWED
    while bits <= digits_to_bits(budget):
        result, worst = run(bits)
        if result is not None and worst >= needed:
            return result
        reason = KINK_STRADDLED if result is None else NOT_NARROWED
        bits = raised_bits(bits, bits_lost(bits, worst), needed)
    raise BallsCannotTell(Uncertified(reason, budget))


def _least_accuracy(chain, point, exact: Pass, checked) -> int:
    """The least relative accuracy (bits) of a ball run's shown values; 0 or less when
    one reaches across 0, or the output across the edge of the cost's domain. An output
    certainly outside the domain is refused."""
    if not point.gain_mode and not output_inside(chain.cost, exact.a[-1]):
        return 0
    return min(accuracy(v) for v in _shown_values(chain, exact, checked) if v is not None)


def _enclosed_output(chain: ScalarChain, point: ChainPoint, working: int):
    math = interval_arithmetic(chain, working)
    output = forward_output(chain, point, math)
    return None if math.out_of_range() else output


CHECKED_LAYERS = 2_000


def _checked_layers(depth: int, keep) -> list[int]:
    kept = range(1, depth + 1) if keep is None else sorted(keep)
    if len(kept) <= CHECKED_LAYERS:
        return list(kept)
    step = len(kept) / CHECKED_LAYERS
    return sorted({kept[int(i * step)] for i in range(CHECKED_LAYERS)} | {kept[0], kept[-1]})


def _shown_values(chain: ScalarChain, result: Pass, layers: list[int]) -> Iterator:
    """The values a run shows, at the ``layers`` checked: those it must get right."""
    yield from (result.input_gradient, result.output_gradient, result.cost,
                result.weight_gradient_sum)
    for n in layers:
        yield from (result.z[n - 1], result.a[n] if result.a else None,
                    result.act_prime[n - 1], result.delta[n - 1], _gain(chain, result, n - 1))
        if result.local is not None:
            yield from result.local[n - 1]
            yield from result.own_gradients[n - 1]


def _float_breakdown(chain: ScalarChain, point: ChainPoint, name: str,
                     exact: Pass) -> FloatBreakdown:
    """The float pass, and the first layer (from L down) where its δ is inf or nan, or 0
    where the exact δ is not."""
    math = float_arithmetic(chain, name)
    with math.scope():
        result = run_pass(chain, point, math, keep=(), exact_zero=exact.delta_is_zero)
    layer, what, cause = None, None, None
    if result.first_failure is not None:
        layer, value = result.first_failure
        what = "nan" if value != value else "0" if value == 0 else \
            "inf" if abs(float(value)) == float("inf") else "subnormal"
    if result.first_non_finite is not None and layer is not None:
        quantity, reaches, value = result.first_non_finite
        cause = (quantity, reaches, "nan" if value != value else "inf")
    zero_from = result.zero_from if what == "subnormal" and result.zero_from and \
        not exact.delta_is_zero(result.zero_from) else None
    return FloatBreakdown(name, layer, what, float(result.input_gradient), cause, zero_from)
