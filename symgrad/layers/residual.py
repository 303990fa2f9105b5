"""The residual layer: a_l = a_{l-1} + σ(z_l) (He et al. 2016)."""

import sympy

from symgrad.layers.chain_layer import ChainLayer, LayerNames


def step(names: LayerNames):
    return (("a", sympy.Add(names.previous, names.activated, evaluate=False)),)


KIND = ChainLayer(
    name="residual",
    sentence="Each layer adds its output to its input (a residual connection).",
    step=step,
    reference="He, Zhang, Ren & Sun (2016)",
)
