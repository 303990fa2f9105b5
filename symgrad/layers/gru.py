"""The GRU cell as torch.nn.GRU computes it, with input and hidden size 1: the candidate's
recurrent term keeps its own bias d_n inside the reset gate's product (torch's b_hn)."""

import sympy

from symgrad.layers.step import CellKind, StepNames, sigmoid

GATES = {"r": "reset gate", "z": "update gate", "n": "candidate"}


def step(s: StepNames):
    p = s.parameter
    h = s.previous("h")
    return (
        ("r", sigmoid(p("ur") * s.x + p("wr") * h + p("br"))),
        ("z", sigmoid(p("uz") * s.x + p("wz") * h + p("bz"))),
        ("n", sympy.tanh(p("un") * s.x + p("bn") + s.now("r") * (p("wn") * h + p("dn")))),
        ("h", (1 - s.now("z")) * s.now("n") + s.now("z") * h),
    )


KIND = CellKind(
    name="gru",
    title="GRU cell",
    state=("h",),
    parameters=("ur", "wr", "br", "uz", "wz", "bz", "un", "wn", "bn", "dn"),
    recurrent_weights=("wr", "wz", "wn"),
    step=step,
    defaults={"ur": "1/2", "wr": "1/2", "br": "0", "uz": "1/2", "wz": "1/2", "bz": "0",
              "un": "1/2", "wn": "1/2", "bn": "0", "dn": "0"},
    gates=GATES,
    carousel_gate="z",
    reference="Cho et al. (2014); torch.nn.GRU",
    state_range={"h": (-1, 1)},
)
