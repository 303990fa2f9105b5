"""SymPy expressions as NumPy, PyTorch or JAX source: SymPy's own code printers
(``NumPyPrinter``, ``TorchPrinter``, ``JaxPrinter``), each with the few fixes its framework
needs to run what it prints on arrays and tensors.

- erf and erfc: NumPy has none (its printer writes ``math.erf``, which takes one number):
  a vectorised ``math.erf`` for NumPy, ``jax.scipy.special`` for JAX, ``torch.special``.
- expm1, log1p and sech (the forms without cancellation) where a printer has none.
- the logistic gate (``layers.step.sigmoid``): a helper in NumPy, ``torch.sigmoid``,
  ``jax.nn.sigmoid``.
- constants such as √2 and π inside an expression are printed as floats to 17 digits:
  ``torch.sqrt(2)`` needs a tensor, and a float is what the frameworks compute with anyway.
"""

from __future__ import annotations

import functools

import sympy
from sympy.codegen.cfunctions import log1p
from sympy.codegen.numpy_nodes import logaddexp
from sympy.printing.numpy import JaxPrinter, NumPyPrinter

from symgrad.numeric.stable import without_cancellation

TARGETS = ("numpy", "torch", "jax")


class _Fixes:
    """What every target prints the same way, through its own module's names: sech as
    2e^-|u|/(1 + e^-2|u|) (NumPy's printer writes it through exp, which overflows, and
    1/cosh overflows too before it is 0), erfc(-u) as written
    (``numeric.stable``: SymPy would make it 2 - erfc(u)), the logistic gate."""

    module = ""

    def _print_sech(self, expr):  # 2 e^-|u| / (1 + e^-2|u|): no cosh to overflow
        magnitude = f"{self.module}.abs({self._print(expr.args[0])})"
        return f"(2 * {self.module}.exp(-{magnitude}) / (1 + {self.module}.exp(-2 * {magnitude})))"

    def _print_erfc_of_negative(self, expr):
        return self._print_erfc(sympy.erfc(-expr.args[0], evaluate=False))


class _NumPy(_Fixes, NumPyPrinter):
    module = "numpy"

    def _print_erf(self, expr):
        return f"_erf({self._print(expr.args[0])})"

    def _print_erfc(self, expr):
        return f"_erfc({self._print(expr.args[0])})"

    def _print_sigmoid(self, expr):
        return f"_logistic({self._print(expr.args[0])})"


@functools.cache
def _torch_printer() -> type:
    """The PyTorch printer, made when first asked for: SymPy's ``sympy.printing.pytorch``
    imports torch itself (half a second, and numpy), which no other target needs."""
    from sympy.printing.pytorch import TorchPrinter

    class _Torch(_Fixes, TorchPrinter):
        module = "torch"

        def _print_erfc(self, expr):
            return f"torch.special.erfc({self._print(expr.args[0])})"

        def _print_expm1(self, expr):
            return f"torch.expm1({self._print(expr.args[0])})"

        def _print_log1p(self, expr):
            return f"torch.log1p({self._print(expr.args[0])})"

        def _print_logaddexp(self, expr):  # (torch takes tensors only: a number as one)
            tensor = next(self._print(a) for a in expr.args if not a.is_Number)
            return "torch.logaddexp(" + ", ".join(
                f"torch.full_like({tensor}, {self._print(a)})" if a.is_Number else self._print(a)
                for a in expr.args) + ")"

        def _print_sigmoid(self, expr):
            return f"torch.sigmoid({self._print(expr.args[0])})"

        def _print_Piecewise(self, expr):
            """A constant piece as a tensor like the variable's: torch.where makes a Python
            number a float32 tensor (leaky ReLU's 1/100 would be 0.0099999998)."""
            variable = self._print(min(expr.free_symbols, key=str))
            pieces = [(sympy.Symbol(f"torch.full_like({variable}, {self._print(value)})")
                       if value.is_Number else value, condition)
                      for value, condition in expr.args]
            return super()._print_Piecewise(sympy.Piecewise(*pieces, evaluate=False))

    return _Torch


class _Jax(_Fixes, JaxPrinter):
    module = "jax.numpy"

    def _print_erf(self, expr):
        return f"jax.scipy.special.erf({self._print(expr.args[0])})"

    def _print_erfc(self, expr):
        return f"jax.scipy.special.erfc({self._print(expr.args[0])})"

    def _print_sigmoid(self, expr):
        return f"jax.nn.sigmoid({self._print(expr.args[0])})"


_PRINTERS = {"numpy": lambda: _NumPy, "torch": _torch_printer, "jax": lambda: _Jax}

# What the printed code needs imported, per target, and the helpers it may call.
_IMPORTS = {
    "numpy": "import numpy",
    "torch": "import torch",
    "jax": "import jax\nimport jax.numpy\nimport jax.scipy.special\n\n"
           "jax.config.update(\"jax_enable_x64\", True)",
}
_HELPERS = {
    "_erf(": ("import math", "_erf = numpy.vectorize(math.erf, otypes=[float])"),
    "_erfc(": ("import math", "_erfc = numpy.vectorize(math.erfc, otypes=[float])"),
    "_logistic(": ("", "def _logistic(v):\n    return 1 / (1 + numpy.exp(-v))"),
    "functools.": ("import functools", ""),
}


def prelude(target: str, body: str, constants: str) -> str:
    """The imports the code ``body`` needs, the module's ``constants`` (statements), and
    the NumPy helpers the body calls."""
    used = [helper for call, helper in _HELPERS.items() if call in body]
    standard = sorted({i for i, _ in used if i})
    imports = "\n\n".join(filter(None, ["\n".join(standard), _IMPORTS[target]]))
    return "\n\n\n".join([f"{imports}\n\n{constants}", *(d for _, d in used if d)])


def _without_overflow(expr: sympy.Expr) -> sympy.Expr:
    """The same function, with no e^u that overflows where the value itself is finite:
    e^u/(1 + e^u)² as 1/((1 + e^u)(1 + e^-u)) (sigmoid's σ' at z = -800 is 0, not
    inf/inf), e^u/(1 + e^u) as 1/(1 + e^-u), log1p(e^u) as logaddexp(0, u) (softplus at
    z = 800 is 800, not inf)."""
    def logistic_terms(term):
        if not term.is_Mul:
            return term
        factors = list(term.args)
        for exponential in [f for f in factors if isinstance(f, sympy.exp)]:
            u = exponential.args[0]
            for power, replacement in ((-2, 1 / ((1 + sympy.exp(u)) * (1 + sympy.exp(-u)))),
                                       (-1, 1 / (1 + sympy.exp(-u)))):
                partner = (1 + sympy.exp(u)) ** power
                if partner in factors:
                    rest = list(factors)
                    rest.remove(exponential)
                    rest.remove(partner)
                    return sympy.Mul(*rest, replacement, evaluate=False)
        return term

    expr = expr.replace(lambda e: isinstance(e, log1p) and isinstance(e.args[0], sympy.exp),
                        lambda e: logaddexp(sympy.Integer(0), e.args[0].args[0]))
    return expr.replace(lambda e: e.is_Mul, logistic_terms)


def code(expr: sympy.Expr, target: str) -> str:
    """``expr`` as Python source for ``target`` (numpy, torch or jax), in its form without
    cancellation (``numeric.stable``: 1 - tanh(z)² as sech(z)², e^z - 1 as expm1(z), log(1
    + u) as log1p(u), 1 ± erf as erfc), as symgrad's own passes evaluate it."""
    expr = _without_overflow(without_cancellation(expr))
    constants = {sub: sympy.Float(sub.evalf(17), 17) for sub in sympy.preorder_traversal(expr)
                 if isinstance(sub, sympy.Expr) and not sub.free_symbols and not sub.is_Atom
                 and not sub.is_Rational}
    constants.update({sub: sympy.Float(sub.evalf(17), 17) for sub in (sympy.pi, sympy.E)})
    return _PRINTERS[target]()().doprint(expr.xreplace(constants))
