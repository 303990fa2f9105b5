"""The simple recurrent cell: h_t = σ(u x_t + w h_{t-1} + b), σ the chosen activation."""

from symgrad.layers.step import CellKind, StepNames
from symgrad.notation import sigma


def step(s: StepNames):
    u, w, b = (s.parameter(p) for p in ("u", "w", "b"))
    return (
        ("z", u * s.x + w * s.previous("h") + b),
        ("h", sigma(s.now("z"))),
    )


KIND = CellKind(
    name="rnn",
    title="simple recurrent cell",
    state=("h",),
    parameters=("u", "w", "b"),
    recurrent_weights=("w",),
    step=step,
    defaults={"u": "1/2", "w": "1/2", "b": "0"},
    gates={},
    uses_activation=True,
    reference="Elman (1990); torch.nn.RNN with sizes 1 and one bias",
)
