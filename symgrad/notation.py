"""The notation of DESIGN.md as SymPy objects.

Layer quantities are plain symbols named ``w1, b1, z1, a1, ...`` at a concrete
layer index and ``Indexed`` objects ``w[k]`` at a symbolic one, so one
function serves both the concrete-depth and the general-depth derivation.
The abstract symbols σ(z), σ'(z), ∂C/∂a_L, δ_l and the gradients are small
SymPy classes; how they print is up to the printers in ``symgrad.render``.
"""

from __future__ import annotations

import re

import sympy
from sympy.printing.precedence import PRECEDENCE

x = sympy.Symbol("x", real=True)
y = sympy.Symbol("y", real=True)
dC_daL = sympy.Symbol("dC_daL", real=True)  # ∂C/∂a_L, kept abstract until a cost is chosen
L = sympy.Symbol("L", integer=True, positive=True)
l = sympy.Symbol("l", integer=True, positive=True)  # noqa: E741 - the notation's own name
k = sympy.Symbol("k", integer=True, positive=True)

_BASES = {name: sympy.IndexedBase(name, real=True) for name in ("w", "b", "z", "a")}


def layer_symbol(name: str, index: int | sympy.Expr) -> sympy.Expr:
    """``w1`` for a concrete layer, ``w[k]`` for a symbolic one."""
    return step_symbol(name, index)


def step_symbol(name: str, index: int | sympy.Expr) -> sympy.Expr:
    """A recurrent cell's quantity at step ``index``: ``h3``, or ``h[t - 1]`` at a general
    step (as ``layer_symbol`` names a layer's)."""
    if isinstance(index, (int, sympy.Integer)):
        return sympy.Symbol(f"{name}{int(index)}", real=True)
    if name not in _BASES:
        _BASES[name] = sympy.IndexedBase(name, real=True)
    return _BASES[name][index]


def tied_symbol(name: str) -> sympy.Symbol:
    """The shared weight ``w`` or bias ``b`` of a tied chain."""
    return sympy.Symbol(name, real=True)


def output_of(preactivation: sympy.Expr) -> sympy.Expr:
    """a_k for z_k (``z3`` -> ``a3``, ``z[k]`` -> ``a[k]``)."""
    if isinstance(preactivation, sympy.Indexed):
        return _BASES["a"][preactivation.indices[0]]
    return sympy.Symbol("a" + preactivation.name[1:], real=True)


class sigma(sympy.Function):  # noqa: N801 - printed σ, named as in claims: sigma(z1)
    """The activation σ(z), abstract; its derivative is σ'(z)."""

    def fdiff(self, argindex=1):
        return dsigma(self.args[0])


class dsigma(sympy.Function):  # noqa: N801 - printed σ', named as in claims: dsigma(z1)
    """The activation's derivative σ'(z), abstract."""


class _LayerQuantity(sympy.Function):
    """δ_l, ∂C/∂w_l, ...: never evaluated, only printed on the left of an equation."""

    @classmethod
    def eval(cls, index):
        return None


class delta(_LayerQuantity):  # noqa: N801
    """The error δ_l = ∂C/∂z_l."""


class grad_w(_LayerQuantity):  # noqa: N801
    """∂C/∂w_l."""


class grad_b(_LayerQuantity):  # noqa: N801
    """∂C/∂b_l."""


class grad_a(_LayerQuantity):  # noqa: N801
    """∂C/∂a_l; at l = 0 the input gradient."""


class grad_of(_LayerQuantity):  # noqa: N801
    """∂C/∂q of a recurrent cell's quantity q (h3, c[t]) or parameter (w_f)."""


class matrix_norm(sympy.Function):  # noqa: N801
    """‖J‖: a matrix's spectral norm, its largest singular value."""


class least_singular(sympy.Function):  # noqa: N801
    """σ_min(J): a matrix's least singular value."""


class local_derivative(sympy.Function):  # noqa: N801
    """∂q/∂p of one step: ∂h_t/∂c_{t-1}, an entry of the local Jacobian J_t."""

    @classmethod
    def eval(cls, quantity, previous):
        return None


def grad_of_name(quantity: sympy.Expr) -> str:
    """The plain name of ∂C/∂q: dC_dh3, dC_dwf (as JSON and claims write it)."""
    if isinstance(quantity, sympy.Indexed):
        return f"dC_d{quantity.base}({quantity.indices[0]})"
    return "dC_d" + quantity.name.replace("_", "")


class grad_w_total(sympy.Symbol):
    """∂C/∂w of a tied chain: the sum over layers (backprop through time)."""

    def __new__(cls):
        return super().__new__(cls, "grad_w_total")


class sup_abs_dsigma(sympy.Symbol):  # noqa: N801
    """sup_z |σ'(z)|: the largest factor one unit weight can contribute."""

    def __new__(cls):
        return super().__new__(cls, "sup_abs_dsigma", positive=True)


class sup_dsigma(sympy.Symbol):  # noqa: N801
    """sup_z σ'(z)."""

    def __new__(cls):
        return super().__new__(cls, "sup_dsigma", real=True)


class slope(sympy.Symbol):  # noqa: N801
    """σ', the derivative itself (as in "such σ' values")."""

    def __new__(cls):
        return super().__new__(cls, "dsigma_symbol", real=True)


class inf_dsigma(sympy.Symbol):  # noqa: N801
    """inf_z σ'(z)."""

    def __new__(cls):
        return super().__new__(cls, "inf_dsigma", real=True)


# --- random weights: mean field -----------------------------------------------------

class weight_variance(sympy.Symbol):  # noqa: N801
    """σ_w²: a weight's variance is σ_w²/n for n inputs."""

    def __new__(cls):
        return super().__new__(cls, "sigma_w2", positive=True)


class bias_variance(sympy.Symbol):  # noqa: N801
    """σ_b²: a bias's variance."""

    def __new__(cls):
        return super().__new__(cls, "sigma_b2", nonnegative=True)


class fixed_variance(sympy.Symbol):  # noqa: N801
    """q*: the fixed point of the variance map."""

    def __new__(cls):
        return super().__new__(cls, "q_star", nonnegative=True)


class gain_chi(sympy.Symbol):  # noqa: N801
    """χ₁: the expected squared gradient's factor per layer."""

    def __new__(cls):
        return super().__new__(cls, "chi_1", nonnegative=True)


class ellipsis(sympy.Symbol):  # noqa: N801
    """⋯ between the factors of a product written out (w_2 ⋯ w_L)."""

    def __new__(cls):
        return super().__new__(cls, "ellipsis", commutative=True)


# A product of matrices whose spectrum is meant: its name in text and in LaTeX.
GRAM_NAMES = {"JJT": ("JJᵀ", r"JJ^{\top}"), "WWT": ("WWᵀ", r"WW^{\top}"), "D2": ("D²", "D^{2}")}


class gram(sympy.Symbol):  # noqa: N801
    """JJᵀ, WWᵀ or D² (``GRAM_NAMES``): a matrix whose eigenvalues are spoken of."""

    def __new__(cls, name: str):
        if name not in GRAM_NAMES:
            raise ValueError(name)
        return super().__new__(cls, name, commutative=False)


class STransform(sympy.Function):
    """S_X(m), the S-transform of free probability, of X = ``gram(name)``."""


class Expectation(sympy.Function):
    """E[f]: printed with square brackets (E[σ(√q Z)²])."""


class Normal(sympy.Function):
    """N(μ, σ²), the Gaussian law."""


class MapsTo(sympy.Function):
    """x ↦ f(x), a map written out."""


class Distributed(sympy.Function):
    """X ~ law: a random variable and its law."""


class slashed_ratio(sympy.Function):  # noqa: N801
    """p / q written with a slash, derivatives inside it too (|∂C/∂a_0| / |∂C/∂a_L|):
    never a fraction inside a fraction."""


class log10(sympy.Function):  # noqa: N801
    """log10, kept as written (SymPy's log(x, 10) prints as log(x)/log(10))."""


class Terms(sympy.Expr):
    """A sum kept in the order written: z_l = w_l a_{l-1} + b_l, not b_l + a_{l-1} w_l."""

    is_commutative = True
    precedence = PRECEDENCE["Add"]  # (SymPy's printers bracket it as a sum: ∏ (1 + w σ'))

    def __new__(cls, *terms):
        return sympy.Basic.__new__(cls, *terms)

    def doit(self, **hints) -> sympy.Expr:
        return sympy.Add(*[t.doit() if isinstance(t, (Factors, Terms)) else t for t in self.args])

    def _sympystr(self, printer) -> str:
        """repr and str: the printer's own form where it has one, else 1 + w2*dsigma(z2)."""
        own = getattr(printer, "_print_Terms", None)
        if own is not None:
            return own(self)

        def term(t):
            if isinstance(t, Factors):
                return "*".join(printer.parenthesize(f, PRECEDENCE["Mul"])
                                for group in t.groups for f in group)
            return printer._print(t)
        return " + ".join(term(t) for t in self.args)


class Factors(sympy.Expr):
    """A product kept in groups and in layer order, for printing.

    SymPy's ``Mul`` sorts and merges its factors; the closed form must show
    (output gradient) (w_{l+1} ... w_L) (σ'(z_l) ... σ'(z_L)) as written.
    Each argument is a ``Tuple`` of factors (a group); ``doit`` multiplies out.
    """

    is_commutative = True
    precedence = PRECEDENCE["Mul"]

    def __new__(cls, *groups):
        return sympy.Basic.__new__(cls, *[sympy.Tuple(*g) for g in groups if len(g)])

    @property
    def groups(self) -> tuple[sympy.Tuple, ...]:
        return self.args

    def doit(self, **hints) -> sympy.Expr:
        return sympy.Mul(*[factor.doit() if isinstance(factor, (Factors, Terms)) else factor
                           for group in self.groups for factor in group])

    def xreplace(self, rule, hack2=False):
        return type(self)(*[[f.xreplace(rule) for f in group] for group in self.groups])


class TermFactors(Factors):
    """A short product inside a term of a layer's factor (w_l t_l σ'(z_l)), in the order a
    lecturer writes it; printed as ``Factors``, but not one of the products whose factors
    the renderers count for a progress bar (the product it sits in is)."""


# --- matrix nets ----------------------------------------------------------------------
# Entries are plain symbols named as in DESIGN.md: w_l_j_k, b_l_j, z_l_j, a_l_j, y_j
# (1-based); the printers show them as w^l_{jk}. The matrix-form factors below are
# never multiplied by SymPy (matrix products do not commute); ``MatrixChain`` keeps
# them in order for printing.

MATRIX_ENTRY = re.compile(r"^(w|b|z|a)_(\d+)_(\d+)(?:_(\d+))?$")


def entry(name: str, layer: int, row: int, column: int | None = None) -> sympy.Symbol:
    """``w_2_1_3`` (w^2_{13}), ``b_2_1``, ``z_2_1``, ``a_2_1``; ``a_0_k`` are the inputs."""
    suffix = f"_{column}" if column is not None else ""
    return sympy.Symbol(f"{name}_{layer}_{row}{suffix}", real=True)


def target(unit: int) -> sympy.Symbol:
    """y_j, the target of output unit j."""
    return sympy.Symbol(f"y_{unit}", real=True)


class delta_unit(_LayerQuantity):  # noqa: N801
    """δ^l_j, the error of unit j of layer l."""

    @classmethod
    def eval(cls, layer, unit):
        return None


class weight_entry(_LayerQuantity):  # noqa: N801
    """w^l_jk at symbolic indices: the weight from unit k of layer l - 1 to unit j of l."""

    @classmethod
    def eval(cls, layer, row, column):
        return None


class grad_w_entry(_LayerQuantity):  # noqa: N801
    """∂C/∂w^l_{jk}."""

    @classmethod
    def eval(cls, layer, row, column):
        return None


class grad_b_entry(_LayerQuantity):  # noqa: N801
    """∂C/∂b^l_j."""

    @classmethod
    def eval(cls, layer, unit):
        return None


class grad_a_entry(_LayerQuantity):  # noqa: N801
    """∂C/∂a^l_j (at the output layer: the cost's derivative)."""

    @classmethod
    def eval(cls, layer, unit):
        return None


class WeightMatrix(_LayerQuantity):
    """W^l."""


class DerivativeMatrix(_LayerQuantity):
    """D_l = diag(σ'(z^l))."""


class DeltaVector(_LayerQuantity):
    """δ^l, the error vector of layer l."""


class grad_a_vector(_LayerQuantity):  # noqa: N801
    """∂C/∂a^l, the gradient with respect to a layer's activations (l = 0: the input)."""


class Norm(sympy.Function):
    """‖v‖, the Euclidean norm of a vector quantity; Norm(M, F) the Frobenius norm of a
    matrix, Norm(M, 2) its spectral norm (the second argument printed as a subscript)."""

    @classmethod
    def eval(cls, *args):
        return None


FROBENIUS = sympy.Symbol("F")


class grad_b_vector(_LayerQuantity):  # noqa: N801
    """∂C/∂b^l, the gradient with respect to a layer's bias vector."""


class ActivationVector(_LayerQuantity):
    """a^l."""


class GradWeightMatrix(_LayerQuantity):
    """∂C/∂W^l."""


class Transposed(_LayerQuantity):
    """M^T of a matrix-form factor."""


class CostGradient(_LayerQuantity):
    """∇_{a^L} C, the cost's gradient with respect to the output vector a^L."""


class InputOutputJacobian(_LayerQuantity):
    """∂a^L/∂a^0, for the output layer L."""


class MatrixEllipsis(sympy.Symbol):
    """⋯ between the factors of a matrix product of general length."""

    def __new__(cls):
        return super().__new__(cls, "matrix_ellipsis")


class MatrixChain(sympy.Expr):
    """A matrix product kept in order: D_1 (W^2)^T D_2 ⋯ ∇C."""

    def __new__(cls, *factors):
        return sympy.Basic.__new__(cls, *factors)
