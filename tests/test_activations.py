"""The activation library against numerical differentiation and published constants."""

import mpmath
import pytest
import sympy

import symgrad
from symgrad.activations import OUTPUT, VARIABLE
from symgrad.errors import SymgradError
from tests.numbers import as_mpf, ends
from tests.oracle import MPMATH_ACTIVATIONS

POINTS = ["-2.7", "-0.9", "-0.05", "0.3", "1.1", "3.4"]


@pytest.mark.parametrize("name", sorted(MPMATH_ACTIVATIONS))
def test_derivative_equals_numerical_derivative(name):
    activation = symgrad.get_activation(name)
    derivative = sympy.lambdify(VARIABLE, activation.derivative, "mpmath")
    with mpmath.workdps(40):
        for text in POINTS:
            z = mpmath.mpf(text)
            expected = mpmath.diff(MPMATH_ACTIVATIONS[name], z)
            assert abs(derivative(z) - expected) < mpmath.mpf(10) ** -30


@pytest.mark.parametrize("name", sorted(MPMATH_ACTIVATIONS))
def test_derivative_through_output_agrees(name):
    activation = symgrad.get_activation(name)
    form = activation.derivative_through_output
    if form is None:
        return
    with mpmath.workdps(40):
        for text in POINTS:
            z = mpmath.mpf(text)
            output = MPMATH_ACTIVATIONS[name](z)
            via_output = sympy.lambdify(OUTPUT, form, "mpmath")(output)
            assert abs(via_output - mpmath.diff(MPMATH_ACTIVATIONS[name], z)) < mpmath.mpf(10) ** -30


def test_textbook_forms_through_the_output():
    a = OUTPUT
    assert sympy.expand(symgrad.get_activation("sigmoid").derivative_through_output - a * (1 - a)) == 0
    assert sympy.expand(symgrad.get_activation("tanh").derivative_through_output - (1 - a**2)) == 0
    assert symgrad.get_activation("gelu").derivative_through_output is None  # no such form


def _grid_extremes(name):
    """Independent: the derivative's max and min over a fine grid on [-30, 30]."""
    function = MPMATH_ACTIVATIONS[name]
    with mpmath.workdps(30):
        values = [mpmath.diff(function, mpmath.mpf(i) / 50 + mpmath.mpf(1) / 997)
                  for i in range(-1500, 1501)]
    return max(values), min(values)


def _gelu_peak():
    """GELU' = Φ(x) + x φ(x) peaks where GELU'' = φ(x)(2 - x²) = 0, at √2."""
    with mpmath.workdps(30):
        root2 = mpmath.sqrt(2)
        return mpmath.nstr(mpmath.ncdf(root2) + root2 * mpmath.npdf(root2), 28)


def _silu_peak():
    """SiLU' at the root of SiLU'' near 2.4, found by mpmath alone."""
    silu = MPMATH_ACTIVATIONS["silu"]
    with mpmath.workdps(30):
        at = mpmath.findroot(lambda t: mpmath.diff(silu, t, 2), 2.4)
        return mpmath.nstr(mpmath.diff(silu, at), 28)


def _one_minus(text):
    with mpmath.workdps(30):
        return mpmath.nstr(1 - mpmath.mpf(text), 28)


# Published values: sigmoid' ≤ 1/4 (at 0), tanh' ≤ 1, GELU' max Φ(√2)+√2φ(√2) ≈ 1.1289,
# SiLU' max ≈ 1.0998 at x ≈ 2.3994 and min ≈ -0.0998 (Ramachandran et al., 2017).
PUBLISHED = {
    "sigmoid": ("0.25", True, "0", False),
    "tanh": ("1", True, "0", False),
    "relu": ("1", True, "0", True),
    "leaky_relu:0.1": ("1", True, "0.1", True),
    "softplus": ("1", False, "0", False),
    "elu": ("1", True, "0", False),
    # GELU'(-x) = 1 - GELU'(x) and SiLU'(-x) = 1 - SiLU'(x): the inf mirrors the sup.
    "gelu": (_gelu_peak(), True, _one_minus(_gelu_peak()), True),
    "silu": (_silu_peak(), True, _one_minus(_silu_peak()), True),
    "linear": ("1", True, "1", True),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_sup_and_inf_of_derivative(name):
    activation = symgrad.get_activation(name)
    sup, sup_attained, inf, inf_attained = PUBLISHED[name]
    with mpmath.workdps(30):
        assert abs(activation.derivative_sup.numeric - mpmath.mpf(sup)) < 1e-20
        assert abs(activation.derivative_inf.numeric - mpmath.mpf(inf)) < 1e-20
    assert activation.derivative_sup.attained is sup_attained
    assert activation.derivative_inf.attained is inf_attained
    grid_max, grid_min = _grid_extremes(name)
    with mpmath.workdps(30):
        assert grid_max <= activation.derivative_sup.numeric + 1e-20
        assert grid_min >= activation.derivative_inf.numeric - 1e-20
        assert activation.derivative_sup.numeric - grid_max < 1e-3


def test_sup_locations():
    assert symgrad.get_activation("sigmoid").derivative_sup.where == sympy.FiniteSet(0)
    assert symgrad.get_activation("gelu").derivative_sup.where == sympy.FiniteSet(sympy.sqrt(2))
    silu_at = list(symgrad.get_activation("silu").derivative_sup.where)[0]
    assert abs(silu_at - sympy.Float("2.39935728")) < 1e-6
    assert symgrad.get_activation("softplus").derivative_sup.where == sympy.FiniteSet(sympy.oo)


def test_unknown_activation_suggests_close_names():
    with pytest.raises(SymgradError, match="Did you mean sigmoid"):
        symgrad.get_activation("sigmoud")


@pytest.mark.parametrize("spec", ["relu:2", "leaky_relu:abc", "leaky_relu:1e999999"])
def test_bad_parameters(spec):
    with pytest.raises(SymgradError):
        symgrad.get_activation(spec)


@pytest.mark.parametrize("formula, library", [("x/(1+exp(-x))", "silu"), ("1/(1+exp(-x))", "sigmoid"),
                                              ("max(x, 0)", "relu"), ("log(1+exp(x))", "softplus")])
def test_a_formula_behaves_as_the_library_activation_it_writes(formula, library):
    """A typed formula goes through the same machinery: same derivative, same sup/inf of
    σ', same exact pass (the library's expression is the oracle)."""
    custom, known = symgrad.get_activation(formula), symgrad.get_activation(library)
    for z in (-3, -0.5, 0.25, 2):
        point = sympy.Float(z, 40)
        assert sympy.N(custom.derivative_at(point) - known.derivative_at(point), 30) == 0
    assert abs(custom.derivative_sup.numeric - known.derivative_sup.numeric) < 1e-25
    assert abs(custom.derivative_inf.numeric - known.derivative_inf.numeric) < 1e-25
    ours = symgrad.evaluate(6, formula, w="1.5", b="-0.2", x="0.5", y="0.1", dps=40)
    theirs = symgrad.evaluate(6, library, w="1.5", b="-0.2", x="0.5", y="0.1", dps=40)
    assert abs(ours.input_gradient - theirs.input_gradient) <= abs(theirs.input_gradient) * 1e-38


@pytest.mark.parametrize("formula", ["E*tanh(x)/3", "x/sqrt(1 + x**2)", "max(x, x/10)"])
def test_typed_formulas_evaluate_exactly_and_certified(formula):
    """Against mpmath.diff of a forward pass written here (σ from the formula by hand)."""
    sigma = {"E*tanh(x)/3": lambda z: mpmath.e * mpmath.tanh(z) / 3,
             "x/sqrt(1 + x**2)": lambda z: z / mpmath.sqrt(1 + z**2),
             "max(x, x/10)": lambda z: max(z, z / 10)}[formula]

    def cost(x):
        a = x
        for w, b in ((mpmath.mpf(3) / 2, -mpmath.mpf(1) / 4),) * 3:
            a = sigma(w * a + b)
        return (a - mpmath.mpf(1) / 10) ** 2 / 2

    with mpmath.workdps(60):
        expected = mpmath.diff(cost, mpmath.mpf(1) / 3)
    exact = symgrad.evaluate(3, formula, w="3/2", b="-1/4", x="1/3", y="1/10", dps=40)
    certified = symgrad.evaluate(3, formula, w="3/2", b="-1/4", x="1/3", y="1/10", dps=40,
                                 interval=True)
    with mpmath.workdps(60):
        assert abs(as_mpf(exact.input_gradient) - expected) <= abs(expected) * 1e-38
        low, high = ends(certified.input_gradient)
        assert low <= expected <= high
    assert symgrad.derive(2, formula).layer(1)  # derives (max: a piecewise condition)


@pytest.mark.parametrize("formula", ["log(x)", "1/x", "exp(x)", "x + exp(-exp(exp(1000)))"])
def test_formulas_that_are_not_activations_are_refused(formula):
    with pytest.raises(SymgradError, match="activation"):
        symgrad.get_activation(formula)
