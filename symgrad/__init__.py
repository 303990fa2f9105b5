"""symgrad: backpropagation gradients derived symbolically, evaluated exactly.

>>> import symgrad
>>> result = symgrad.derive(depth=3, act="sigmoid")
>>> result.layer(1).delta          # grouped: (∂C/∂a_L)(w_2 w_3)(σ'(z_1) σ'(z_2) σ'(z_3))
>>> result.concrete(result.layer(1).grad_w).doit()   # a SymPy expression
>>> print(result.latex())
>>> symgrad.evaluate(100, "relu", w=10, z=1).input_gradient     # 10^100, exactly
>>> symgrad.bounds(100, "sigmoid", w=10).regime                 # 'mixed': can explode
>>> symgrad.region("sigmoid", maximize=True).input_width        # 0.4477...
>>> symgrad.meanfield("tanh", sigma_w2=1.5, sigma_b2=0.05).chi   # χ1 ≈ 0.9386
>>> symgrad.critical("tanh", sigma_b2=[0, 0.05]).points[1].sigma_w2   # ≈ 1.7610
>>> symgrad.sample(100, "tanh", sigma_w2=1, samples=10_000).within_tenfold
"""

from __future__ import annotations

from symgrad.activations import NAMES as ACTIVATIONS
from symgrad.activations import Activation, activation_table, get_activation
from symgrad.analysis.bounds import GainBounds
from symgrad.analysis.meanfield import CriticalLine, MeanFieldResult
from symgrad.analysis.region import GainRegion, WidestRegion
from symgrad.analysis.sampling import GradientSample
from symgrad.api import (
    acts,
    bounds,
    critical,
    derive,
    derive_cell,
    derive_net,
    evaluate,
    evaluate_cell,
    evaluate_net,
    meanfield,
    notes,
    region,
    sample,
    verify,
)
from symgrad.costs import COSTS
from symgrad.derive.chain import ChainDerivation, Equation, LayerGradient, derive_chain
from symgrad.derive.matrix import MatrixDerivation
from symgrad.derive.recurrent import CellDerivation
from symgrad.errors import SymgradError
from symgrad.layers import CELLS
from symgrad.networks import MatrixNet, RecurrentNet, ScalarChain
from symgrad.numbers import exact
from symgrad.numeric.backprop import ChainPoint
from symgrad.numeric.evaluate import ChainEvaluation, evaluate_chain
from symgrad.numeric.matrix_net import NetEvaluation
from symgrad.numeric.net_parameters import NetParameters
from symgrad.numeric.real import decimal
from symgrad.numeric.recurrent import CellEvaluation
from symgrad.render import render, write_documents
from symgrad.verify import Verdict

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "CellDerivation",
    "CellEvaluation",
    "RecurrentNet",
    "COSTS",
    "Activation",
    "ChainDerivation",
    "ChainEvaluation",
    "ChainPoint",
    "CriticalLine",
    "Equation",
    "GainBounds",
    "GainRegion",
    "GradientSample",
    "MatrixDerivation",
    "MatrixNet",
    "MeanFieldResult",
    "NetEvaluation",
    "NetParameters",
    "LayerGradient",
    "ScalarChain",
    "SymgradError",
    "Verdict",
    "WidestRegion",
    "activation_table",
    "acts",
    "bounds",
    "critical",
    "decimal",
    "derive",
    "derive_cell",
    "derive_chain",
    "derive_net",
    "evaluate",
    "evaluate_cell",
    "evaluate_chain",
    "evaluate_net",
    "exact",
    "get_activation",
    "meanfield",
    "notes",
    "region",
    "render",
    "sample",
    "verify",
    "write_documents",
]
