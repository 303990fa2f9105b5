"""Backpropagation through a small matrix net, entry by entry and in matrix form.

Straight from the chain rule, as for the scalar chain:

    δ^L_j = ∂C/∂a^L_j σ'(z^L_j),    δ^l_j = (Σ_k w^{l+1}_{kj} δ^{l+1}_k) σ'(z^l_j),
    ∂C/∂w^l_{jk} = a^{l-1}_k δ^l_j,  ∂C/∂b^l_j = δ^l_j,

and in matrix form δ^l = D_l (W^{l+1})^T D_{l+1} ⋯ (W^L)^T D_L ∇_{a^L} C with
D_k = diag(σ'(z^k)), the input-output Jacobian ∂a^L/∂a^0 = D_L W^L ⋯ D_1 W^1.
Where a unit's error is short enough to read, it is also written as a sum over
the paths from that unit to the output: the scalar chain's product of weights and
σ' becomes one such product per path.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import sympy

from symgrad.costs import cost_derivative_at
from symgrad.derive.chain import Equation
from symgrad.errors import SymgradError
from symgrad.networks import MatrixNet
from symgrad.notation import (
    ActivationVector,
    CostGradient,
    DeltaVector,
    DerivativeMatrix,
    Factors,
    GradWeightMatrix,
    InputOutputJacobian,
    L,
    MatrixChain,
    MatrixEllipsis,
    Terms,
    Transposed,
    WeightMatrix,
    delta_unit,
    dsigma,
    entry,
    grad_a_entry,
    grad_b_entry,
    grad_w_entry,
    l,
    output_of,
    sigma,
    target,
)

MAX_DERIVE_WIDTH = 6  # entries are written out up to this width ...
MAX_DERIVE_LAYERS = 6  # ... and this depth; eval takes larger nets
PATHS_SHOWN = 16  # a unit's error is written as a sum over paths when it has at most this many


def _shown_widths(widths: tuple[int, ...]) -> str:
    """The widths as typed, or for a long list its ends, depth and widest layer."""
    if len(widths) <= 8:
        return ",".join(map(str, widths))
    return f"{widths[0]},…,{widths[-1]} (depth {len(widths) - 1}, widest {max(widths)})"


def check_derivable(net: MatrixNet) -> None:
    if max(net.widths) > MAX_DERIVE_WIDTH or net.depth > MAX_DERIVE_LAYERS:
        raise SymgradError(
            f"Entries are written out for widths up to {MAX_DERIVE_WIDTH} and depth up to "
            f"{MAX_DERIVE_LAYERS}; for widths {_shown_widths(net.widths)} use eval, "
            "which takes nets of any size."
        )


@dataclass(frozen=True)
class MatrixDerivation:
    """Everything ``symgrad derive --widths`` shows."""

    net: MatrixNet
    forward: tuple[Equation, ...]
    output_errors: tuple[Equation, ...]  # δ^L_j
    recursion: tuple[Equation, ...]  # δ^l_j for l < L, in terms of δ^{l+1}
    gradients: tuple[Equation, ...]  # ∂C/∂w^l_{jk} and ∂C/∂b^l_j
    matrix_form: tuple[Equation, ...]
    general_form: tuple[Equation, ...]  # any widths and depth L
    paths: tuple[Equation, ...]  # front-layer errors as sums over paths, where short

    @property
    def depth(self) -> sympy.Expr:
        return sympy.Integer(self.net.depth)

    def concrete(self, expr: sympy.Expr) -> sympy.Expr:
        """σ, σ' and ∂C/∂a^L_j replaced by the activation and the cost (σ' through the
        output a = σ(z) where the activation allows)."""
        if isinstance(expr, Factors):
            return Factors(*[[self.concrete(f) for f in group] for group in expr.groups])
        if isinstance(expr, Terms):
            return Terms(*[self.concrete(term) for term in expr.args])
        return expr.replace(sigma, self.net.activation.at).replace(dsigma, self._dsigma).replace(
            grad_a_entry, self._output_gradient)

    def _dsigma(self, z):
        through_output = self.net.activation.derivative_from_output(output_of_entry(z))
        return through_output if through_output is not None else self.net.activation.derivative_at(z)

    def _output_gradient(self, layer, unit):
        return cost_derivative_at(self.net.cost, entry("a", int(layer), int(unit))).xreplace(
            {sympy.Symbol("y", real=True): target(int(unit))})

    @cached_property
    def _errors(self) -> dict[tuple[int, int], sympy.Expr]:
        """δ^l_j in the forward values alone (σ' and the cost substituted), layer by layer
        from the output: each refers to the next layer's expressions, never re-derives them."""
        net, errors = self.net, {}
        depth = net.depth
        for j in range(1, net.widths[depth] + 1):
            errors[depth, j] = self.concrete(grad_a_entry(depth, j) * dsigma(entry("z", depth, j)))
        for layer in range(depth - 1, 0, -1):
            for j in range(1, net.widths[layer] + 1):
                total = sum(entry("w", layer + 1, k, j) * errors[layer + 1, k]
                            for k in range(1, net.widths[layer + 1] + 1))
                errors[layer, j] = total * self.concrete(dsigma(entry("z", layer, j)))
        return errors

    def delta_value(self, layer: int, unit: int) -> sympy.Expr:
        """δ^l_j as one SymPy expression in the a, z, w and y symbols."""
        return self._errors[layer, unit]

    def grad_w_value(self, layer: int, row: int, column: int) -> sympy.Expr:
        return entry("a", layer - 1, column) * self._errors[layer, row]

    def grad_b_value(self, layer: int, unit: int) -> sympy.Expr:
        return self._errors[layer, unit]


def output_of_entry(z: sympy.Expr) -> sympy.Expr:
    """a^l_j for z^l_j."""
    if isinstance(z, sympy.Symbol) and z.name.startswith("z_"):
        return sympy.Symbol("a" + z.name[1:], real=True)
    return output_of(z)


def derive_matrix(net: MatrixNet) -> MatrixDerivation:
    check_derivable(net)
    widths, depth = net.widths, net.depth
    forward = []
    for layer in range(1, depth + 1):
        for j in range(1, widths[layer] + 1):
            terms = [Factors([entry("w", layer, j, k), entry("a", layer - 1, k)])
                     for k in range(1, widths[layer - 1] + 1)]
            z = entry("z", layer, j)
            forward.append(Equation(z, Terms(*terms, entry("b", layer, j))))
            forward.append(Equation(entry("a", layer, j), sigma(z), net.activation.at(z)))
    derivation = MatrixDerivation(net, tuple(forward), (), (), (), (), (), ())

    def with_concrete(lhs, rhs):
        concrete = derivation.concrete(rhs)
        return Equation(lhs, rhs, concrete if concrete != rhs else None)

    output_errors = tuple(
        with_concrete(delta_unit(depth, j),
                      Factors([grad_a_entry(depth, j)], [dsigma(entry("z", depth, j))]))
        for j in range(1, widths[depth] + 1)
    )
    recursion = []
    for layer in range(depth - 1, 0, -1):
        for j in range(1, widths[layer] + 1):
            total = Terms(*[Factors([entry("w", layer + 1, k, j), delta_unit(layer + 1, k)])
                            for k in range(1, widths[layer + 1] + 1)])
            recursion.append(with_concrete(
                delta_unit(layer, j), Factors([total], [dsigma(entry("z", layer, j))])))
    gradients = []
    for layer in range(1, depth + 1):
        for j in range(1, widths[layer] + 1):
            for k in range(1, widths[layer - 1] + 1):
                gradients.append(Equation(grad_w_entry(layer, j, k),
                                          entry("a", layer - 1, k) * delta_unit(layer, j)))
            gradients.append(Equation(grad_b_entry(layer, j), delta_unit(layer, j)))
    return MatrixDerivation(net, tuple(forward), output_errors, tuple(recursion),
                            tuple(gradients), matrix_form(depth), general_form(),
                            _paths(derivation))


def _error_chain(first: int, depth: int) -> MatrixChain:
    factors = [DerivativeMatrix(first)]
    for layer in range(first + 1, depth + 1):
        factors += [Transposed(WeightMatrix(layer)), DerivativeMatrix(layer)]
    return MatrixChain(*factors, CostGradient(depth))


def matrix_form(depth: int) -> tuple[Equation, ...]:
    """The backward pass of a net of ``depth`` layers in matrix form, any widths."""
    rows = [Equation(DeltaVector(depth), MatrixChain(DerivativeMatrix(depth), CostGradient(depth)))]
    rows += [Equation(DeltaVector(layer),
                      MatrixChain(DerivativeMatrix(layer), Transposed(WeightMatrix(layer + 1)),
                                  DeltaVector(layer + 1)),
                      _error_chain(layer, depth) if layer < depth - 1 else None)
             for layer in range(depth - 1, 0, -1)]
    rows.append(Equation(GradWeightMatrix(l), MatrixChain(DeltaVector(l),
                                                          Transposed(ActivationVector(l - 1)))))
    jacobian = []
    for layer in range(depth, 0, -1):
        jacobian += [DerivativeMatrix(layer), WeightMatrix(layer)]
    rows.append(Equation(InputOutputJacobian(depth), MatrixChain(*jacobian)))
    return tuple(rows)


def general_form() -> tuple[Equation, ...]:
    """δ^l and the Jacobian at any depth L, in matrix form."""
    chain = MatrixChain(DerivativeMatrix(l), Transposed(WeightMatrix(l + 1)), DerivativeMatrix(l + 1),
                        MatrixEllipsis(), Transposed(WeightMatrix(L)), DerivativeMatrix(L),
                        CostGradient(L))
    jacobian = MatrixChain(DerivativeMatrix(L), WeightMatrix(L), MatrixEllipsis(),
                           DerivativeMatrix(1), WeightMatrix(1))
    return (Equation(DeltaVector(l), chain), Equation(InputOutputJacobian(L), jacobian))


def _paths(derivation: MatrixDerivation) -> tuple[Equation, ...]:
    """δ^1_j as Σ over paths j = i_1 → i_2 → … → i_L of ∂C/∂a^L_{i_L} (w products)(σ' products)."""
    net = derivation.net
    widths, depth = net.widths, net.depth
    count = 1
    for width in widths[2:]:
        count *= width
    if depth < 2 or count > PATHS_SHOWN:
        return ()
    rows = []
    for j in range(1, widths[1] + 1):
        terms = []
        for route in itertools.product(*[range(1, w + 1) for w in widths[2:]]):
            units = (j, *route)
            weights = [entry("w", layer + 1, units[layer], units[layer - 1])
                       for layer in range(1, depth)]
            slopes = [dsigma(entry("z", layer, units[layer - 1])) for layer in range(1, depth + 1)]
            terms.append(Factors([grad_a_entry(depth, units[-1])], weights, slopes))
        rows.append(Equation(delta_unit(1, j), Terms(*terms)))
    return tuple(rows)
