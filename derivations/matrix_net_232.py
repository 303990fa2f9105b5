"""(c) A 2-3-2 sigmoid net: ∂C/∂w^l_{jk} = a^{l-1}_k δ^l_j, entry by entry, in matrix form,
and evaluated with fixed weights (each entry checkable by hand)."""

from _output import output_stem

import symgrad
from symgrad import NetParameters

R = symgrad.exact
weights = (
    ((R("1"), R("-0.5")), (R("0.25"), R("2")), (R("1/3"), R("-1"))),  # W^1: 3 × 2
    ((R("0.5"), R("-1"), R("2")), (R("1"), R("1"), R("-1"))),         # W^2: 2 × 3
)
biases = ((R("0"), R("0.1"), R("-0.2")), (R("0"), R("0")))
parameters = NetParameters(weights, biases, "the weights written in this script")
results = [
    symgrad.derive_net([2, 3, 2], "sigmoid"),
    symgrad.evaluate_net([2, 3, 2], "sigmoid", weights=parameters, x=["1", "2"], y=["0", "1"],
                         dps=30),
]
symgrad.write_documents(output_stem(__file__), "A 2-3-2 matrix net", results)
