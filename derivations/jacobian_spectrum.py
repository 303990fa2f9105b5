"""(g) Beyond the mean: the Jacobian's whole spectrum, Gaussian against orthogonal weights.

χ1 = 1 fixes only the mean squared singular value of J = ∂a^L/∂a^0. Free probability
(Pennington, Schoenholz & Ganguli 2017, 2018) gives the spread about it,
σ_J² = L(μ₂/μ₁² − 1 − s₁): a linear net has σ_J² = L with Gaussian weights and 0 with
orthogonal ones; ReLU at σ_w² = 2 has 2L and L, so orthogonal weights do not make it
isometric; tanh near q* = 0 with orthogonal weights stays near-isometric far deeper
than with Gaussian ones. The figures draw the limiting densities at depths 2, 8, 32 and
64 for both weight laws, in the manner of the 2017 paper's.
"""

from _output import output_stem

import symgrad

TANH = dict(sigma_w2="1.05", sigma_b2=0, grid=40, also_depths=[2, 8, 32])
results = [
    symgrad.spectrum(16, "linear", sigma_w2=1, weights="gaussian", grid=0),
    symgrad.spectrum(16, "linear", sigma_w2=1, weights="orthogonal", grid=0),
    symgrad.spectrum(16, "relu", sigma_w2=2, weights="gaussian", grid=0),
    symgrad.spectrum(16, "relu", sigma_w2=2, weights="orthogonal", grid=0),
    symgrad.spectrum(64, "tanh", weights="orthogonal", **TANH),
    symgrad.spectrum(64, "tanh", weights="gaussian", **TANH),
]
symgrad.write_documents(output_stem(__file__), "Beyond the mean: the Jacobian's spectrum",
                        results)
