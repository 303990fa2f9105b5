"""The plain layer: a_l = σ(z_l)."""

from symgrad.layers.chain_layer import ChainLayer, LayerNames


def step(names: LayerNames):
    return (("a", names.activated),)


KIND = ChainLayer(
    name="plain",
    sentence="",
    step=step,
)
