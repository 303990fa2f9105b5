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

import importlib
import sys
import types

# Each public name, and where it lives: read on first use (PEP 562), so that
# ``import symgrad`` and ``symgrad --help`` do not import SymPy, mpmath and every
# command's machinery before any of them is needed.
_PUBLIC = {
    "Activation": ("symgrad.activations", "Activation"),
    "activation_table": ("symgrad.activations", "activation_table"),
    "ACTIVATIONS": ("symgrad.activations", "NAMES"),
    "acts": ("symgrad.api", "acts"),
    "bounds": ("symgrad.api", "bounds"),
    "CellDerivation": ("symgrad.derive.recurrent", "CellDerivation"),
    "CellEvaluation": ("symgrad.numeric.recurrent", "CellEvaluation"),
    "CELLS": ("symgrad.layers", "CELLS"),
    "ChainDerivation": ("symgrad.derive.chain", "ChainDerivation"),
    "ChainEvaluation": ("symgrad.numeric.evaluate", "ChainEvaluation"),
    "ChainPoint": ("symgrad.numeric.backprop", "ChainPoint"),
    "COSTS": ("symgrad.costs", "COSTS"),
    "critical": ("symgrad.api", "critical"),
    "CriticalLine": ("symgrad.analysis.meanfield", "CriticalLine"),
    "decimal": ("symgrad.numeric.real", "decimal"),
    "derive": ("symgrad.api", "derive"),
    "derive_cell": ("symgrad.api", "derive_cell"),
    "derive_chain": ("symgrad.derive.chain", "derive_chain"),
    "derive_net": ("symgrad.api", "derive_net"),
    "Equation": ("symgrad.derive.chain", "Equation"),
    "evaluate": ("symgrad.api", "evaluate"),
    "evaluate_cell": ("symgrad.api", "evaluate_cell"),
    "evaluate_chain": ("symgrad.numeric.evaluate", "evaluate_chain"),
    "evaluate_net": ("symgrad.api", "evaluate_net"),
    "exact": ("symgrad.numbers", "exact"),
    "export": ("symgrad.api", "export"),
    "GainBounds": ("symgrad.analysis.bounds", "GainBounds"),
    "GainRegion": ("symgrad.analysis.region", "GainRegion"),
    "get_activation": ("symgrad.activations", "get_activation"),
    "GradientSample": ("symgrad.analysis.sampling", "GradientSample"),
    "LayerGradient": ("symgrad.derive.chain", "LayerGradient"),
    "MatrixDerivation": ("symgrad.derive.matrix", "MatrixDerivation"),
    "MatrixNet": ("symgrad.networks", "MatrixNet"),
    "meanfield": ("symgrad.api", "meanfield"),
    "MeanFieldResult": ("symgrad.analysis.meanfield", "MeanFieldResult"),
    "NetEvaluation": ("symgrad.numeric.matrix_net", "NetEvaluation"),
    "NetParameters": ("symgrad.numeric.net_parameters", "NetParameters"),
    "notes": ("symgrad.api", "notes"),
    "RecurrentNet": ("symgrad.networks", "RecurrentNet"),
    "region": ("symgrad.api", "region"),
    "render": ("symgrad.render", "render"),
    "sample": ("symgrad.api", "sample"),
    "ScalarChain": ("symgrad.networks", "ScalarChain"),
    "spectrum": ("symgrad.api", "spectrum"),
    "Spectrum": ("symgrad.analysis.spectrum", "Spectrum"),
    "SymgradError": ("symgrad.errors", "SymgradError"),
    "Verdict": ("symgrad.verify", "Verdict"),
    "verify": ("symgrad.api", "verify"),
    "WidestRegion": ("symgrad.analysis.region", "WidestRegion"),
    "write_documents": ("symgrad.render", "write_documents"),
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    try:
        module, attribute = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'symgrad' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    importlib.import_module("symgrad.render").load_every_layout()  # results show themselves
    # in a notebook
    globals()[name] = value  # the next use is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


class _Package(types.ModuleType):
    """symgrad itself. Four public functions share a name with a submodule (derive, notes,
    render, verify); importing the submodule would set the package's attribute to it, so
    ``symgrad.derive`` would stop being the function once ``symgrad.derive.chain`` had been
    imported. The function keeps the name (import such a submodule by its full name)."""

    def __setattr__(self, name: str, value) -> None:
        if name in _PUBLIC and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

