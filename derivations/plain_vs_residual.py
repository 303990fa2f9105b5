"""(b) Plain versus residual chains: each layer's factor w σ'(z) against 1 + w σ'(z).

Tanh chains with w = 1/2 at z = 0 (σ' = 1): the plain chain halves the gradient at
every layer, (1/2)^50; the residual one multiplies it by 3/2, (3/2)^50 — and its
bound never lets it fall below 1.
"""

from _output import output_stem

import symgrad

results = [
    symgrad.derive(5, "tanh", layers=[1]),
    symgrad.derive(5, "tanh", residual=True, layers=[1]),
    symgrad.bounds(50, "tanh", w="1/2"),
    symgrad.bounds(50, "tanh", w="1/2", residual=True),
    symgrad.evaluate(50, "tanh", w="1/2", z=0, dps=30),
    symgrad.evaluate(50, "tanh", w="1/2", z=0, residual=True, dps=30),
]
symgrad.write_documents(output_stem(__file__), "Plain versus residual chains", results)
