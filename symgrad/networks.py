"""Validated, immutable descriptions of the networks symgrad derives."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

from symgrad.activations import Activation, get_activation
from symgrad.arguments import flag, option, shown, text, whole
from symgrad.costs import check_cost
from symgrad.errors import SymgradError
from symgrad.layers import CHAIN_LAYERS, cell_kind
from symgrad.layers.chain_layer import ChainLayer

# Numbers are cheap where expressions are not: a chain may be evaluated this deep,
# derived only as deep as MAX_DERIVE_DEPTH.
MAX_DEPTH = 10_000_000
MAX_DERIVE_DEPTH = 100_000


def check_depth(depth: object, maximum: int = MAX_DEPTH) -> int:
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral):
        raise SymgradError(f"The depth must be a whole number, not {shown(depth)}.")
    depth = int(depth)
    if depth < 1:
        raise SymgradError(f"The depth must be at least 1, not {shown(depth)}.")
    if depth > maximum:
        raise SymgradError(f"The depth {shown(depth)} is above the largest supported, {maximum}.")
    return depth


@dataclass(frozen=True)
class ScalarChain:
    """A chain of one unit per layer: z_l = w_l a_{l-1} + b_l, and a_l as its layer kind
    (``symgrad.layers``) says: a_l = σ(z_l) (plain), ``residual``: a_l = a_{l-1} + σ(z_l),
    ``highway``: a_l = t_l σ(z_l) + (1 - t_l) a_{l-1}, t_l = sigmoid(p_l a_{l-1} + q_l).

    ``depth`` None means a symbolic depth L. ``tied``: w_l = w and b_l = b (and p, q) for
    every layer (an unrolled RNN).
    """

    depth: int | None
    activation: Activation
    residual: bool = False
    tied: bool = False
    cost: str = "quadratic"
    highway: bool = False

    def __post_init__(self):
        if self.depth is not None:
            object.__setattr__(self, "depth", check_depth(self.depth))
        object.__setattr__(self, "activation", activation_of(self.activation))
        object.__setattr__(self, "residual", flag(self.residual, "residual"))
        object.__setattr__(self, "tied", flag(self.tied, "tied"))
        object.__setattr__(self, "highway", flag(self.highway, "highway"))
        chain_layer(residual=self.residual, highway=self.highway)  # (not both)
        if self.tied and self.highway:
            raise SymgradError(f"A tied chain shares w and b across layers; a highway layer's gate "
                               f"has p and q of its own in each, so give {option('tied')} or "
                               f"{option('highway')}, not both.")
        check_cost(text(self.cost, "cost"))

    @property
    def layer(self) -> ChainLayer:
        """The layer kind's one definition."""
        return chain_layer(residual=self.residual, highway=self.highway)

    @property
    def kind(self) -> str:
        return " ".join(word for word in ("tied" if self.tied else "",
                                          "" if self.layer.name == "plain" else self.layer.name)
                        if word) or "plain"


def chain_layer(*, residual: bool = False, highway: bool = False) -> ChainLayer:
    """The layer kind a chain's options name (plain when neither; both are refused)."""
    if residual and highway:
        raise SymgradError(f"A layer is residual or highway, not both: give "
                           f"{option('residual')} or {option('highway')}.")
    return CHAIN_LAYERS["highway" if highway else "residual" if residual else "plain"]


def activation_of(act) -> Activation:
    """An activation from its name or formula (text), or as it is."""
    if isinstance(act, Activation):
        return act
    if isinstance(act, str):
        return get_activation(act)
    raise SymgradError(f"act must be an activation's name such as 'sigmoid', a formula in x, or an "
                       f"Activation, not {shown(act)}.")


MAX_STEPS = 100_000  # a recurrent cell's steps, for evaluation
MAX_DERIVE_STEPS = 1_000  # ... written out step by step


@dataclass(frozen=True)
class RecurrentNet:
    """A recurrent cell (rnn, lstm, gru; see ``symgrad.layers``) unrolled over ``steps``
    (None: a symbolic T), cost C = ½(h_T − y)². ``activation``: the rnn's σ (the gated
    cells' functions are fixed, sigmoid and tanh)."""

    cell: object  # a CellKind (given by name)
    steps: int | None
    activation: Activation | None = None

    def __post_init__(self):
        kind = cell_kind(self.cell)
        object.__setattr__(self, "cell", kind)
        if self.steps is not None:
            object.__setattr__(self, "steps", check_steps(self.steps))
        if kind.uses_activation:
            object.__setattr__(self, "activation", activation_of(
                "tanh" if self.activation is None else self.activation))
        elif self.activation is not None:
            raise SymgradError(f"The {kind.name} cell's functions are fixed (sigmoid gates, tanh); "
                               f"{option('act')} is for the rnn cell.")

    @property
    def cost(self) -> str:
        return "quadratic"


def check_steps(steps: object, maximum: int = MAX_STEPS) -> int:
    """A recurrent cell's number of steps, 1 to ``maximum``."""
    return whole(steps, "The steps", 1, maximum)


MAX_WIDTH = 2_048  # units in a layer, for evaluation (ball matrices: a 2048-wide layer is 4M balls)
MAX_MATRIX_DEPTH = 1_000
INITS = ("normal", "xavier", "he", "orthogonal")  # how a matrix net's weights may be drawn
# weights in a whole net: each is a ball of about 100 bytes kept for the backward pass, so
# this bounds a net's memory (about 3 GB) and time (about a minute at 30 digits)
MAX_NET_WEIGHTS = 2 ** 25


@dataclass(frozen=True)
class MatrixNet:
    """Layers of n_0, n_1, ..., n_L units: z^l = W^l a^{l-1} + b^l, a^l = σ(z^l).

    W^l is n_l × n_{l-1}; its entry w^l_{jk} joins unit k of layer l-1 to unit j of
    layer l (indices 1-based). The cost sums over the output units.
    """

    widths: tuple[int, ...]
    activation: Activation
    cost: str = "quadratic"

    def __post_init__(self):
        if isinstance(self.widths, (str, bytes, set, frozenset, dict)) or \
                not hasattr(self.widths, "__len__"):  # (a set or dict has no order to read)
            raise SymgradError(f"widths must be a list of whole numbers, not {shown(self.widths)}.")
        widths = tuple(self.widths.tolist() if hasattr(self.widths, "tolist") else self.widths)
        if len(widths) < 2:
            raise SymgradError("A net needs at least two widths (input and output), "
                               f"not {len(widths)}.")
        for width in widths:
            if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
                raise SymgradError(f"Every width must be a whole number of at least 1, not {shown(width)}.")
            if width > MAX_WIDTH:
                raise SymgradError(f"The width {shown(width)} is above the largest supported, "
                                   f"{MAX_WIDTH}.")
        check_depth(len(widths) - 1, MAX_MATRIX_DEPTH)
        weights = sum(rows * columns for rows, columns in zip(widths[1:], widths))
        if weights > MAX_NET_WEIGHTS:
            raise SymgradError(f"The net has {weights:,} weights, above the largest supported, "
                               f"{MAX_NET_WEIGHTS:,} (about 3 GB of numbers); make it narrower "
                               "or shallower.")
        check_cost(text(self.cost, "cost"))
        object.__setattr__(self, "widths", tuple(int(width) for width in widths))
        object.__setattr__(self, "activation", activation_of(self.activation))

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    def shape(self, layer: int) -> tuple[int, int]:
        """(rows, columns) of W^layer."""
        return self.widths[layer], self.widths[layer - 1]
