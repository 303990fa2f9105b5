"""symgrad: backpropagation gradients derived symbolically, evaluated exactly.

>>> import symgrad
>>> result = symgrad.derive(depth=3, act="sigmoid")
>>> result.layer(1).delta          # grouped: (∂C/∂a_L)(w_2 w_3)(σ'(z_1) σ'(z_2) σ'(z_3))
>>> result.concrete(result.layer(1).grad_w).doit()   # a SymPy expression
>>> print(result.latex())
"""

from __future__ import annotations

from collections.abc import Sequence

from symgrad.activations import NAMES as ACTIVATIONS
from symgrad.activations import Activation, activation_table, get_activation
from symgrad.costs import COSTS
from symgrad.derive.chain import ChainDerivation, Equation, LayerGradient, derive_chain
from symgrad.errors import SymgradError
from symgrad.networks import ScalarChain
from symgrad.render import render


def derive(
    depth: int | None = None,
    act: str | Activation = "sigmoid",
    *,
    residual: bool = False,
    tied: bool = False,
    cost: str = "quadratic",
    layers: Sequence[int] | None = None,
) -> ChainDerivation:
    """Derive the backprop expressions of a scalar chain; ``depth=None`` means symbolic L."""
    activation = get_activation(act) if isinstance(act, str) else act
    chain = ScalarChain(depth, activation, residual=residual, tied=tied, cost=cost)
    return derive_chain(chain, layers)


__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "Activation",
    "ChainDerivation",
    "Equation",
    "LayerGradient",
    "ScalarChain",
    "SymgradError",
    "activation_table",
    "derive",
    "derive_chain",
    "get_activation",
    "render",
]
