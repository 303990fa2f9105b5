"""Derivation: pure SymPy, from the chain rule."""

from symgrad.derive.chain import ChainDerivation, Equation, LayerGradient, derive_chain

__all__ = ["ChainDerivation", "Equation", "LayerGradient", "derive_chain"]
