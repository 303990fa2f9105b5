"""The highway layer: a transform gate t_l = sigmoid(p_l a_{l-1} + q_l) mixes the layer's
output with its input, a_l = t_l σ(z_l) + (1 - t_l) a_{l-1} (Srivastava, Greff &
Schmidhuber 2015, with one unit)."""

import sympy

from symgrad.layers.chain_layer import ChainLayer, LayerNames, gate


def step(names: LayerNames):
    t = names.now("t")
    return (
        ("t", gate(names.parameter("p") * names.previous + names.parameter("q"))),
        ("a", sympy.Add(t * names.activated, (1 - t) * names.previous, evaluate=False)),
    )


KIND = ChainLayer(
    name="highway",
    sentence="A transform gate {t} mixes each layer's output with its input (a highway layer).",
    step=step,
    parameters=("p", "q"),
    defaults={"p": "1", "q": "0"},
    gates={"t": "transform gate"},
    reference="Srivastava, Greff & Schmidhuber (2015)",
)
