"""SymPy expressions as NumPy, PyTorch or JAX source: SymPy's own code printers
(``NumPyPrinter``, ``TorchPrinter``, ``JaxPrinter``), each with the few fixes its framework
needs to run what it prints on arrays and tensors.

- erf: NumPy has none (its printer writes ``math.erf``, which takes one number): a
  vectorised ``math.erf`` for NumPy, ``jax.scipy.special.erf`` for JAX (torch prints its own).
- the logistic gate (``layers.step.sigmoid``): a helper in NumPy, ``torch.sigmoid``,
  ``jax.nn.sigmoid``.
- constants such as √2 and π inside an expression are printed as floats to 17 digits:
  ``torch.sqrt(2)`` needs a tensor, and a float is what the frameworks compute with anyway.
"""

from __future__ import annotations

import sympy
from sympy.printing.numpy import JaxPrinter, NumPyPrinter
from sympy.printing.pytorch import TorchPrinter

TARGETS = ("numpy", "torch", "jax")


class _NumPy(NumPyPrinter):
    def _print_erf(self, expr):
        return f"_erf({self._print(expr.args[0])})"

    def _print_sigmoid(self, expr):
        return f"_logistic({self._print(expr.args[0])})"


class _Torch(TorchPrinter):
    def _print_sigmoid(self, expr):
        return f"torch.sigmoid({self._print(expr.args[0])})"


class _Jax(JaxPrinter):
    def _print_erf(self, expr):
        return f"jax.scipy.special.erf({self._print(expr.args[0])})"

    def _print_sigmoid(self, expr):
        return f"jax.nn.sigmoid({self._print(expr.args[0])})"


_PRINTERS = {"numpy": _NumPy, "torch": _Torch, "jax": _Jax}

# What the printed code needs imported, per target, and the helpers it may call.
_IMPORTS = {
    "numpy": "import numpy",
    "torch": "import torch",
    "jax": "import jax\nimport jax.numpy\nimport jax.scipy.special\n\n"
           "jax.config.update(\"jax_enable_x64\", True)",
}
_HELPERS = {
    "_erf(": ("import math", "_erf = numpy.vectorize(math.erf, otypes=[float])"),
    "_logistic(": ("", "def _logistic(v):\n    return 1 / (1 + numpy.exp(-v))"),
}


def prelude(target: str, body: str, constants: str) -> str:
    """The imports the code ``body`` needs, the module's ``constants`` (statements), and
    the NumPy helpers the body calls."""
    used = [helper for call, helper in _HELPERS.items() if call in body]
    imports = "\n\n".join(filter(None, ["\n".join(i for i, _ in used if i), _IMPORTS[target]]))
    return "\n\n\n".join([f"{imports}\n\n{constants}", *(definition for _, definition in used)])


def code(expr: sympy.Expr, target: str) -> str:
    """``expr`` as Python source for ``target`` (numpy, torch or jax)."""
    constants = {sub: sympy.Float(sub.evalf(17), 17) for sub in sympy.preorder_traversal(expr)
                 if isinstance(sub, sympy.Expr) and not sub.free_symbols and not sub.is_Atom
                 and not sub.is_Rational}
    constants.update({sub: sympy.Float(sub.evalf(17), 17) for sub in (sympy.pi, sympy.E)})
    return _PRINTERS[target]().doprint(expr.xreplace(constants))
