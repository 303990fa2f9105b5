"""(e) Random weights: the edge of chaos for tanh and ReLU.

With weights N(0, σ_w²/n) the expected squared gradient is multiplied by χ1 per layer:
tanh with σ_b² = 0.05 vanishes at σ_w² = 1.5 (χ1 ≈ 0.9386, χ1^100 ≈ 0.0018) and is
critical at σ_w² ≈ 1.7610; ReLU is critical at σ_w² = 2 (He initialisation) for every
σ_b², exactly.
"""

from _output import output_stem

import symgrad

results = [
    symgrad.meanfield("tanh", sigma_w2="1.5", sigma_b2="0.05", depth=100),
    symgrad.meanfield("tanh", sigma_w2="2.5", sigma_b2="0.05", depth=100),
    symgrad.critical("tanh", sigma_b2=[0, "0.01", "0.05", "0.1", "0.5"], dps=20),
    symgrad.meanfield("relu", sigma_w2=2, sigma_b2=0, depth=100),
    symgrad.critical("relu", sigma_b2=[0, "0.1"]),
]
symgrad.write_documents(output_stem(__file__), "Random weights: the edge of chaos", results)
