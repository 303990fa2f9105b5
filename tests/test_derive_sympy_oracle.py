"""Every derived gradient against sympy.diff of the composed network, depths 1 to 10
(tests/test_derive_deep.py goes deeper)."""

import pytest

import symgrad
from tests.oracle import (
    COST_EXPRESSIONS,
    close,
    mp_forward_with,
    mpmath_diff_gradient,
    random_point,
    substitute_forward,
    sympy_diff_gradient,
)

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu:0.1", "elu:0.5", "softplus", "gelu",
               "silu", "linear"]
KINDS = ["plain", "residual", "tied"]
# How deep sympy.diff of the composed network stays affordable as the oracle; deeper,
# mpmath.diff of an independent forward pass checks instead (and
# tests/test_derive_deep.py goes to depth 200). A residual layer uses its input twice
# (a_l = a_{l-1} + σ(w_l a_{l-1} + b_l)), and GELU' and SiLU' contain their argument
# twice, so those composed expressions double with every layer.
def sympy_oracle_depth(act: str, residual: bool) -> int:
    """The deepest chain whose composed network sympy.diff differentiates here in a few
    seconds (deeper ones are checked by mpmath.diff of the forward pass): gelu and silu
    double in size with each layer, and softplus nested in a residual chain grows
    log(1 + exp(x + log(1 + exp(...)))), 121 s at depth 7."""
    doubling = act in ("gelu", "silu")
    if residual:
        return 4 if doubling else 5 if act == "softplus" else 6
    return 7 if doubling else 9


SYMPY_DEPTH_CHECKED = 6  # the deepest sympy.diff checks here (each layer more doubles the
# cost of the gelu, silu and residual chains; mpmath.diff checks depth 10 of every kind)


def _valid_point(activation, depth, tied, cost, residual):
    """A random point; for cross-entropy one whose output lies in (0, 1).

    A residual chain adds up to depth·sup|σ| to its input, so there the input is drawn
    from a range as wide as the depth.
    """
    x_range = (-depth - 1, 1) if residual else (-1, 1)
    for seed in range(depth * 7919, depth * 7919 + 200):
        point = random_point(depth, seed=seed, tied=tied, cost=cost, x_range=x_range)
        zs, outputs = mp_forward_with(activation, *point[:3], residual)
        if cost == "quadratic" or 0 < outputs[-1] < 1:
            return point, zs, outputs
    raise AssertionError("no point with an output in (0, 1)")


def _targets(depth):
    """Front, middle and last layer of each parameter kind, and the input."""
    layers = sorted({1, (depth + 1) // 2, depth})
    return [("w", n) for n in layers] + [("b", n) for n in layers] + [("x", 0)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_gradients_equal_sympy_diff_of_composed_network(act, cost, kind):
    """Depths 1 to 4 (every first, middle and last layer distinct), the deepest sympy.diff
    affords (at most SYMPY_DEPTH_CHECKED), and 10 through mpmath.diff: the derivation is
    one rule for every L, and the depths between cost minutes of CI without a case of
    their own."""
    deepest = min(sympy_oracle_depth(act, kind == "residual"), SYMPY_DEPTH_CHECKED)
    for depth in sorted({1, 2, 3, 4, deepest, 10}):
        _check_depth(act, cost, kind, depth)


def _check_depth(act, cost, kind, depth):
    residual, tied = kind == "residual", kind == "tied"
    activation = symgrad.get_activation(act)
    derivation = symgrad.derive(depth, act, residual=residual, tied=tied, cost=cost)
    point, zs, outputs = _valid_point(activation, depth, tied, cost, residual)
    weights, biases, x, y = point
    use_sympy = depth <= sympy_oracle_depth(act, residual)

    def derived(expr):
        return substitute_forward(derivation.concrete(expr).doit(), zs, outputs,
                                  weights, biases, x, y, tied)

    for target in _targets(depth):
        kind_, layer = target
        expected = (
            sympy_diff_gradient(activation, COST_EXPRESSIONS[cost], point, target, residual)
            if use_sympy else mpmath_diff_gradient(act, cost, point, target, residual)
        )
        if kind_ == "x":
            got = derived(derivation.input_gradient)
        else:
            gradient = derivation.layer(layer)
            got = derived(gradient.grad_w if kind_ == "w" else gradient.grad_b)
        assert close(got, expected), (act, cost, kind, depth, target, got, expected)
    if tied and use_sympy:  # the shared weight's total gradient: backprop through time
        totals = derivation.tied_totals[-1]
        expected = sympy_diff_gradient(activation, COST_EXPRESSIONS[cost], point,
                                       ("w", "all"), residual)
        assert close(derived(totals.rhs), expected), (act, cost, depth, "total")
