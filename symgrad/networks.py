"""Validated, immutable descriptions of the networks symgrad derives."""

from __future__ import annotations

from dataclasses import dataclass

from symgrad.activations import Activation, get_activation
from symgrad.costs import check_cost
from symgrad.errors import SymgradError

# Numbers are cheap where expressions are not: a chain may be evaluated this deep,
# derived only as deep as MAX_DERIVE_DEPTH.
MAX_DEPTH = 10_000_000
MAX_DERIVE_DEPTH = 100_000


def check_depth(depth: object, maximum: int = MAX_DEPTH) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise SymgradError(f"The depth must be a whole number, not {depth!r}.")
    if depth < 1:
        raise SymgradError(f"The depth must be at least 1, not {depth}.")
    if depth > maximum:
        raise SymgradError(f"The depth {depth} is above the largest supported, {maximum}.")
    return depth


@dataclass(frozen=True)
class ScalarChain:
    """A chain of one unit per layer: z_l = w_l a_{l-1} + b_l, a_l = σ(z_l).

    ``depth`` None means a symbolic depth L. ``residual``: a_l = a_{l-1} + σ(z_l).
    ``tied``: w_l = w and b_l = b for every layer (an unrolled RNN).
    """

    depth: int | None
    activation: Activation
    residual: bool = False
    tied: bool = False
    cost: str = "quadratic"

    def __post_init__(self):
        if self.depth is not None:
            check_depth(self.depth)
        check_cost(self.cost)
        if isinstance(self.activation, str):
            object.__setattr__(self, "activation", get_activation(self.activation))

    @property
    def kind(self) -> str:
        return " ".join(
            word for word, on in (("tied", self.tied), ("residual", self.residual)) if on
        ) or "plain"
