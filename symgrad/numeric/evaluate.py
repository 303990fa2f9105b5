"""``symgrad eval``: the exact pass at any precision, beside float64 and float32."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy

from symgrad.errors import SymgradError
from symgrad.networks import ScalarChain
from symgrad.numeric.backprop import ChainPoint, Pass, arithmetic, run_pass, tied_total, weight_gradients

DEFAULT_DPS = 50
MAX_DPS = 10_000
FLOAT_FORMATS = {"float64": numpy.float64, "float32": numpy.float32}


def check_dps(dps: int) -> int:
    if isinstance(dps, bool) or not isinstance(dps, int):
        raise SymgradError(f"The precision must be a whole number of digits, not {dps!r}.")
    if not 1 <= dps <= MAX_DPS:
        raise SymgradError(f"The precision must be between 1 and {MAX_DPS} digits, not {dps}.")
    return dps


@dataclass(frozen=True)
class FloatBreakdown:
    """Where a float format first gives up, walking back from the output layer."""

    format: str
    layer: int | None  # the first layer (from L down) whose δ is inf, 0 or nan
    what: str | None  # "inf", "0" or "nan"
    input_gradient: float


@dataclass(frozen=True)
class ChainEvaluation:
    """Every layer's exact values (mpf at ``dps`` digits) and the float comparison."""

    chain: ScalarChain
    point: ChainPoint
    dps: int
    exact: Pass
    grad_w: list | None  # None in gain mode
    grad_w_total: mpmath.mpf | None  # tied chains
    floats: tuple[FloatBreakdown, ...]

    @property
    def depth(self) -> int:
        return len(self.exact.delta)


def evaluate_chain(chain: ScalarChain, point: ChainPoint, dps: int = DEFAULT_DPS,
                   progress: Callable[[int], None] | None = None) -> ChainEvaluation:
    """The forward and backward pass at ``dps`` digits; numbers stay mpf at that precision."""
    check_dps(dps)
    # A few guard digits, so the reported digits are right after the pass's roundings.
    guard = 10 + len(str(chain.depth))
    with mpmath.workdps(dps + guard):
        math = arithmetic(chain, "mpmath", _mpf_of_rational, cast=mpmath.mpf)
        exact = run_pass(chain, point, math, progress)
        grad_w = None if point.gain_mode else weight_gradients(exact)
        total = tied_total(exact) if chain.tied and grad_w is not None else None
    floats = tuple(_float_breakdown(chain, point, name) for name in FLOAT_FORMATS)
    return ChainEvaluation(chain, point, dps, exact, grad_w, total, floats)


def _mpf_of_rational(value) -> mpmath.mpf:
    return mpmath.mpf(int(value.p)) / int(value.q)


def _float_breakdown(chain: ScalarChain, point: ChainPoint, name: str) -> FloatBreakdown:
    kind = FLOAT_FORMATS[name]
    math = arithmetic(chain, "numpy", lambda value: kind(value.p) / kind(value.q), cast=kind)
    with numpy.errstate(all="ignore"):
        result = run_pass(chain, point, math)
    layer = what = None
    for k in range(len(result.delta), 0, -1):
        value = result.delta[k - 1]
        if not numpy.isfinite(value) or value == 0:
            layer, what = k, "nan" if numpy.isnan(value) else "inf" if numpy.isinf(value) else "0"
            break
    return FloatBreakdown(name, layer, what, float(result.input_gradient))


def log10_abs(value: mpmath.mpf) -> mpmath.mpf | None:
    """log10|value|, None for 0."""
    return None if value == 0 else mpmath.log10(abs(value))
