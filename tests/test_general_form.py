"""The symbolic-depth form, instantiated at L = 1..6, equals the concrete-depth form."""

import pytest
import sympy

import symgrad
from symgrad.notation import Factors, L, l


def _instantiate(expr, depth, layer):
    """Put numbers in for L and l, multiply out, and turn w[3] into the symbol w3."""
    expr = expr.doit() if isinstance(expr, Factors) else expr
    expr = expr.subs({L: depth, l: layer}).doit()
    return expr.replace(
        lambda e: isinstance(e, sympy.Indexed),
        lambda e: sympy.Symbol(f"{e.base.name}{int(e.indices[0])}", real=True),
    )


@pytest.mark.parametrize("kind", ["plain", "residual", "tied"])
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
def test_general_form_matches_each_depth(act, kind, cost):
    options = {"residual": kind == "residual", "tied": kind == "tied", "cost": cost}
    general = symgrad.derive(None, act, **options)
    delta_general, grad_w_general, input_general = general.closed_form
    for depth in range(1, 7):
        concrete = symgrad.derive(depth, act, **options)
        for gradient in concrete.layers:
            for general_side, concrete_side in (
                (delta_general, gradient.delta),
                (grad_w_general, gradient.grad_w),
            ):
                for form in (general_side.rhs, general_side.concrete):
                    instantiated = _instantiate(form, depth, gradient.layer)
                    expected = concrete_side.doit()
                    if form is general_side.concrete:
                        expected = concrete.concrete(concrete_side).doit()
                    # The abstract output gradient prints as ∂C/∂a_L in both; compare products.
                    assert sympy.simplify(instantiated - expected) == 0, (depth, gradient.layer)
        instantiated = _instantiate(input_general.concrete, depth, 1)
        assert sympy.simplify(instantiated - concrete.concrete(concrete.input_gradient).doit()) == 0


def test_general_closed_form_index_ranges():
    """The weight product starts at l + 1, the derivative product at l, both end at L."""
    general = symgrad.derive(None, "sigmoid")
    weights, derivatives = [g[0] for g in general.closed_form[0].rhs.groups[1:]]
    assert weights.limits[0][1:] == (l + 1, L)
    assert derivatives.limits[0][1:] == (l, L)
