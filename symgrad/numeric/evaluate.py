"""``symgrad eval``: the exact pass at any precision, beside float64 and float32.

The exact pass runs in MPFR with guard digits (mpmath if the numbers leave
MPFR's exponent range), or in certified MPFR intervals with ``interval=True``.
The result keeps the layers asked for and answers everything a renderer shows:
each layer's values and their log10 magnitudes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from symgrad.costs import check_output
from symgrad.display import MarkdownDisplay
from symgrad.errors import SymgradError
from symgrad.networks import ScalarChain
from symgrad.numeric.backprop import ChainPoint, Pass, run_pass
from symgrad.numeric.kinds import (
    FLOAT_TYPES,
    Arithmetic,
    float_arithmetic,
    interval_arithmetic,
    mpfr_arithmetic,
    mpmath_arithmetic,
)
from symgrad.numeric.real import log10_abs

DEFAULT_DPS = 50
MAX_DPS = 10_000


def check_dps(dps: int) -> int:
    if isinstance(dps, bool) or not isinstance(dps, int):
        raise SymgradError(f"The precision must be a whole number of digits, not {dps!r}.")
    if not 1 <= dps <= MAX_DPS:
        raise SymgradError(f"The precision must be between 1 and {MAX_DPS} digits, not {dps}.")
    return dps


def guard_digits(depth: int) -> int:
    """Extra working digits, so the reported digits survive the pass's roundings."""
    return 10 + len(str(depth))


@dataclass(frozen=True)
class FloatBreakdown:
    """Where a float format first gives up, walking back from the output layer."""

    format: str
    layer: int | None  # the first layer (from L down) whose δ is inf, 0 or nan
    what: str | None  # "inf", "0" or "nan"
    input_gradient: float


@dataclass(frozen=True)
class LayerValues:
    """One layer's numbers (gain = w σ'(z), plus 1 in a residual chain; ∂C/∂b = δ)."""

    layer: int
    z: object
    a: object | None  # None in gain mode
    act_prime: object
    gain: object
    delta: object
    grad_w: object | None  # a_{l-1} δ_l; None in gain mode

    @property
    def grad_b(self):
        return self.delta

    def log10_abs(self, name: str):
        return log10_abs(getattr(self, name))


@dataclass(frozen=True)
class ChainEvaluation(MarkdownDisplay):
    """The exact pass (kept layers only) and the float comparison."""

    chain: ScalarChain
    point: ChainPoint
    dps: int
    exact: Pass
    arithmetic: Arithmetic  # the kind the exact pass ran in: "mpfr", "mpmath" or "interval"
    kept: tuple[int, ...]  # the layers whose values are kept, 1-based
    floats: tuple[FloatBreakdown, ...]

    @property
    def depth(self) -> int:
        return len(self.point.weights)

    @property
    def interval(self) -> bool:
        return self.arithmetic.name == "interval"

    def layer(self, n: int) -> LayerValues:
        if not 1 <= n <= self.depth or self.exact.delta[n - 1] is None:
            raise SymgradError(f"Layer {n}'s values were not kept by this evaluation.")
        exact, k = self.exact, n - 1
        with self.arithmetic.scope():
            gain = exact.weights[k] * exact.act_prime[k]
            if self.chain.residual:
                gain = gain + 1
            forward = not self.point.gain_mode
            return LayerValues(
                layer=n,
                z=exact.z[k],
                a=exact.a[n] if forward else None,
                act_prime=exact.act_prime[k],
                gain=gain,
                delta=exact.delta[k],
                grad_w=exact.a[k] * exact.delta[k] if forward else None,
            )

    def layers(self) -> Iterator[LayerValues]:
        return (self.layer(n) for n in self.kept)

    @property
    def input_gradient(self):
        return self.exact.input_gradient

    @property
    def output_gradient(self):
        return self.exact.output_gradient

    @property
    def cost(self):
        return self.exact.cost

    @property
    def grad_w_total(self):
        """∂C/∂w of a tied chain: Σ_l a_{l-1} δ_l (backpropagation through time)."""
        return self.exact.weight_gradient_sum


def evaluate_chain(chain: ScalarChain, point: ChainPoint, dps: int = DEFAULT_DPS, *,
                   interval: bool = False, keep: Collection[int] | None = None,
                   progress: Callable[[int], None] | None = None) -> ChainEvaluation:
    """The forward and backward pass at ``dps`` digits; ``keep``: the layers to keep
    (None: all)."""
    check_dps(dps)
    working = dps + guard_digits(chain.depth)
    kinds = [interval_arithmetic] if interval else [mpfr_arithmetic, mpmath_arithmetic]
    for make in kinds:
        math = make(chain, working)
        with math.scope():
            exact = run_pass(chain, point, math, keep, progress)
        if not math.out_of_range():
            break
        if interval:
            raise SymgradError(
                "An enclosure became undefined (its ends reached infinity on both sides), so "
                "nothing can be certified for this chain; drop --interval."
            )
    if not point.gain_mode:
        check_output(chain.cost, exact.a[-1])
    floats = tuple(_float_breakdown(chain, point, name) for name in FLOAT_TYPES)
    kept = tuple(range(1, chain.depth + 1)) if keep is None else tuple(sorted(keep))
    return ChainEvaluation(chain, point, dps, exact, math, kept, floats)


def _float_breakdown(chain: ScalarChain, point: ChainPoint, name: str) -> FloatBreakdown:
    math = float_arithmetic(chain, name)
    with math.scope():
        result = run_pass(chain, point, math, keep=())
    layer, what = None, None
    if result.first_failure is not None:
        layer, value = result.first_failure
        what = "nan" if value != value else "0" if value == 0 else "inf"
    return FloatBreakdown(name, layer, what, float(result.input_gradient))
