"""Cancellation: the evaluation forms equal the written ones, and the exact pass gets
values right where the written form cancels to an exact 0 at every working precision
(tanh' = 1 - tanh² at z = 100, softplus at z = -200, ...). Oracles: sympy.simplify of
the difference, and the activations written again in plain mpmath at 400 digits."""

import mpmath
import pytest
import sympy

import symgrad
from symgrad.activations import NAMES, VARIABLE, get_activation
from symgrad.costs import cost_at, cost_derivative_at
from symgrad.numeric.stable import erfc_of_negative, without_cancellation
from tests.numbers import agree, ends, width
from tests.oracle import MPMATH_ACTIVATIONS

ORACLE_DPS = 400


def as_written(expr):
    """The stable form with erfc_of_negative spelled out, for SymPy to compare."""
    return expr.replace(lambda e: isinstance(e, erfc_of_negative),
                        lambda e: sympy.erfc(-e.args[0])).rewrite(sympy.exp)


@pytest.mark.parametrize("name", NAMES)
def test_stable_forms_equal_the_activation_and_its_derivative(name):
    """Both forms at 400 digits (where the written one's cancellation costs < 300)."""
    activation = get_activation(name)
    for expr in (activation.expr, activation.derivative):
        written = sympy.lambdify(VARIABLE, expr, "mpmath")
        stable = sympy.lambdify(VARIABLE, as_written(without_cancellation(expr)), "mpmath")
        for z in ("-37.5", "-1.25", "-1e-30", "0.75", "12"):
            with mpmath.workdps(ORACLE_DPS):
                value, got = written(mpmath.mpf(z)), stable(mpmath.mpf(z))
                assert abs(got - value) <= abs(value) * mpmath.mpf(10) ** -50, (name, expr, z)


def test_stable_cost_forms_are_equal():
    a, target = sympy.symbols("a y", real=True)
    for cost in ("quadratic", "cross-entropy"):
        for expr in (cost_at(cost, a), cost_derivative_at(cost, a)):
            stable = as_written(without_cancellation(expr))
            assert sympy.simplify(stable.rewrite(sympy.log) - expr) == 0


def test_the_rewrites_happen():
    x = sympy.Symbol("x", real=True)
    printed = {str(without_cancellation(e)) for e in
               (1 - sympy.tanh(x) ** 2, sympy.exp(x) - 1, sympy.log(1 + sympy.exp(x)),
                (1 + sympy.erf(x)) / 2, 3 - 3 * sympy.erf(x))}
    assert printed == {"sech(x)**2", "expm1(x)", "log1p(exp(x))", "erfc_of_negative(x)/2",
                       "3*erfc(x)"}


def oracle_derivative(act, z):
    with mpmath.workdps(ORACLE_DPS):
        return mpmath.diff(MPMATH_ACTIVATIONS[act], mpmath.mpf(z))


def oracle_value(act, z):
    with mpmath.workdps(ORACLE_DPS):
        return MPMATH_ACTIVATIONS[act](mpmath.mpf(z))


CANCELLING = [("tanh", "100"), ("tanh", "-60"), ("softplus", "-200"), ("gelu", "-30"),
              ("elu", "-1e-50"), ("silu", "-80"), ("sigmoid", "-150")]


@pytest.mark.parametrize("act,z", CANCELLING)
@pytest.mark.parametrize("interval", [False, True])
def test_derivative_where_the_written_form_cancels(act, z, interval):
    result = symgrad.evaluate(1, act, z=z, dps=20, interval=interval)
    got = result.layer(1).act_prime
    expected = oracle_derivative(act, z)
    if interval:
        low, high = ends(got)
        assert low <= expected <= high, (got, expected)
        assert width(got) < 1e-18
    else:
        assert agree(got, expected, 20), (got, expected)


@pytest.mark.parametrize("act,x", [("softplus", "-200"), ("elu", "-1e-50"), ("gelu", "-30")])
def test_activation_where_the_written_form_cancels(act, x):
    result = symgrad.evaluate(1, act, x=x, dps=20)
    assert agree(result.layer(1).a, oracle_value(act, x), 20)


def test_tanh_derivative_far_out_is_not_zero():
    """σ'(10^9) = sech²(10^9) ≈ 10^-868,588,964: 1 - tanh² would need 8.7·10^8 digits."""
    got = symgrad.evaluate(1, "tanh", z="1e9", dps=15).layer(1).act_prime
    with mpmath.workdps(40):
        expected = 4 * mpmath.exp(-2 * mpmath.mpf(10) ** 9)  # sech² z = 4 e^{-2z}/(1 + e^{-2z})²
        assert agree(got, expected, 15)
