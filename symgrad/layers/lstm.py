"""The LSTM cell as torch.nn.LSTM computes it, with input and hidden size 1 and one bias per
gate (torch's two biases b_ih + b_hh act as their sum)."""

import sympy

from symgrad.layers.step import CellKind, StepNames, sigmoid

GATES = {"i": "input gate", "f": "forget gate", "g": "candidate", "o": "output gate"}


def step(s: StepNames):
    def preactivation(gate: str):
        u, w, b = (s.parameter(p + gate) for p in ("u", "w", "b"))
        return u * s.x + w * s.previous("h") + b

    return (
        ("i", sigmoid(preactivation("i"))),
        ("f", sigmoid(preactivation("f"))),
        ("g", sympy.tanh(preactivation("g"))),
        ("o", sigmoid(preactivation("o"))),
        ("c", s.now("f") * s.previous("c") + s.now("i") * s.now("g")),
        ("h", s.now("o") * sympy.tanh(s.now("c"))),
    )


KIND = CellKind(
    name="lstm",
    title="LSTM cell",
    state=("h", "c"),
    parameters=tuple(p + gate for gate in "ifgo" for p in "uwb"),
    recurrent_weights=("wi", "wf", "wg", "wo"),
    step=step,
    # weights 1/2, biases 0 but the forget gate's 1 (Gers, Schmidhuber & Cummins 2000;
    # Jozefowicz, Zaremba & Sutskever 2015)
    defaults={p + gate: ("1" if (p, gate) == ("b", "f") else "0" if p == "b" else "1/2")
              for gate in "ifgo" for p in "uwb"},
    gates=GATES,
    carousel_gate="f",
    reference="Hochreiter & Schmidhuber (1997); torch.nn.LSTM",
    state_range={"h": (-1, 1)},
)
