"""(a) The unstable-gradient argument for sigmoid and ReLU chains, depths 10 and 100.

The sigmoid chain at z = 0 (σ' = 1/4, its largest) with w = 1: the front gradient is
(1/4)^10 ≈ 9.5·10^-7 of the output's, and (1/4)^100 ≈ 6.2·10^-61 at depth 100. The
ReLU chain with w = 10 where every unit is active: 10^10 and 10^100, exactly.
"""

from _output import output_stem

import symgrad

results = [
    symgrad.notes(10, "sigmoid", w=1, z=0),
    symgrad.notes(10, "relu", w=10, z=1),
    symgrad.evaluate(100, "sigmoid", w=1, z=0, dps=30),
    symgrad.evaluate(100, "relu", w=10, z=1, dps=30),
]
symgrad.write_documents(output_stem(__file__), "Unstable gradients: sigmoid and ReLU chains",
                        results)
