"""Deep chains against mpmath.diff of an independent forward pass, and property tests."""

import mpmath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgrad
from tests.oracle import (
    MPMATH_ACTIVATIONS,
    close,
    mp_forward,
    mpmath_diff_gradient,
    random_point,
    substitute_forward,
)


def _check(act, depth, cost, residual, tied, seed, targets, digits=30):
    derivation = symgrad.derive(depth, act, residual=residual, tied=tied, cost=cost,
                                layers=sorted({n for kind, n in targets if kind != "x"}))
    point = random_point(depth, seed=seed, tied=tied, cost=cost)
    weights, biases, x, y = point
    # The gradient can be 10^-170 beside a cost of order 1: numerical differentiation
    # needs that many more digits to see it.
    dps = 60 + 2 * depth
    with mpmath.workdps(dps):
        zs, outputs = mp_forward(act, weights, biases, x, residual)
    for kind, layer in targets:
        if kind == "x":
            expr = derivation.input_gradient
        else:
            gradient = derivation.layer(layer)
            expr = gradient.grad_w if kind == "w" else gradient.grad_b
        got = substitute_forward(derivation.concrete(expr).doit(), zs, outputs, weights, biases,
                                 x, y, tied)
        expected = mpmath_diff_gradient(act, cost, point, (kind, layer), residual, dps)
        assert close(got, expected, digits), (act, depth, kind, layer, got, expected)


@pytest.mark.parametrize("depth", [30, 200])
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "gelu", "softplus", "silu"])
@pytest.mark.parametrize("kind", ["plain", "residual"])
def test_deep_chains_equal_mpmath_diff(act, depth, kind):
    middle = depth // 2
    targets = [("w", 1), ("b", 1), ("w", middle), ("b", depth), ("x", 0)]
    _check(act, depth, "quadratic", kind == "residual", False, seed=depth, targets=targets)


def test_deep_tied_chain_layer_contributions():
    _check("tanh", 30, "quadratic", False, True, seed=3, targets=[("w", 1), ("b", 15), ("x", 0)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.integers(1, 40),
    act=st.sampled_from(sorted(MPMATH_ACTIVATIONS)),
    residual=st.booleans(),
    seed=st.integers(0, 10**6),
    layer_fraction=st.floats(0, 1),
)
def test_property_front_and_any_layer(depth, act, residual, seed, layer_fraction):
    layer = 1 + int(layer_fraction * (depth - 1))
    _check(act, depth, "quadratic", residual, False, seed,
           targets=[("w", layer), ("b", layer), ("x", 0)], digits=25)
