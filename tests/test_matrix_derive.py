"""Matrix nets, derived: every entry of ∂C/∂W^l and ∂C/∂b^l against sympy.diff of the
composed network; widths all 1 against the scalar chain."""

import json

import mpmath
import pytest
import sympy

import symgrad
from symgrad.derive.matrix import derive_matrix
from symgrad.networks import MatrixNet
from tests.clirun import symgrad as symgrad_cli
from tests.oracle_matrix import evaluate_at, forward_values, point_as_mpf, random_net_point, sympy_diff_net

CASES = [
    ((2, 3, 2), "sigmoid", "quadratic"),
    ((3, 2, 3), "tanh", "quadratic"),
    ((2, 2, 2, 1), "sigmoid", "cross-entropy"),
    ((1, 3, 2, 2), "gelu", "quadratic"),
    ((3, 3, 3, 3), "softplus", "quadratic"),
    ((2, 3, 3), "relu", "quadratic"),
    ((3, 1, 2), "elu:0.5", "quadratic"),
    ((3, 2, 2), "sigmoid", "cross-entropy"),
    ((2, 2, 3, 2), "silu", "quadratic"),
]


@pytest.mark.parametrize("widths, act, cost", CASES, ids=lambda c: str(c))
def test_every_entry_against_sympy_diff(widths, act, cost):
    activation = symgrad.get_activation(act)
    derivation = derive_matrix(MatrixNet(widths, activation, cost))
    point = point_as_mpf(random_net_point(widths, seed=sum(widths) + len(act), cost=cost))
    values = forward_values(act, point)
    with mpmath.workdps(60):
        for layer in range(1, len(widths)):
            for j in range(1, widths[layer] + 1):
                for k in range(1, widths[layer - 1] + 1):
                    expected = sympy_diff_net(activation, act, cost, point, ("w", layer, j, k))
                    got = evaluate_at(derivation.grad_w_value(layer, j, k), values)
                    assert abs(got - expected) <= mpmath.mpf(10) ** -45 * max(1, abs(expected)), \
                        (layer, j, k, got, expected)
                expected = sympy_diff_net(activation, act, cost, point, ("b", layer, j))
                got = evaluate_at(derivation.grad_b_value(layer, j), values)
                assert abs(got - expected) <= mpmath.mpf(10) ** -45 * max(1, abs(expected))


CROSS_ENTROPY_CASES = [((2, 3, 2), "sigmoid"), ((3, 2, 2), "sigmoid")]


@pytest.mark.parametrize("widths, act", CROSS_ENTROPY_CASES)
def test_cross_entropy_output_error_cancels(widths, act):
    # with a sigmoid output, δ^L_j = a^L_j - y_j once (a-y)/(a(1-a)) · a(1-a) cancels
    derivation = derive_matrix(MatrixNet(widths, symgrad.get_activation(act), "cross-entropy"))
    for j in range(1, widths[-1] + 1):
        a, y = sympy.Symbol(f"a_{len(widths) - 1}_{j}", real=True), sympy.Symbol(f"y_{j}", real=True)
        assert sympy.simplify(derivation.delta_value(len(widths) - 1, j) - (a - y)) == 0


@pytest.mark.parametrize("depth, act, cost", [(3, "sigmoid", "quadratic"), (4, "tanh", "quadratic"),
                                              (3, "sigmoid", "cross-entropy"), (2, "relu", "quadratic")])
def test_widths_all_one_is_the_scalar_chain(depth, act, cost):
    derivation = derive_matrix(MatrixNet((1,) * (depth + 1), symgrad.get_activation(act), cost))
    chain = symgrad.derive(depth, act, cost=cost)
    renames = {sympy.Symbol("y_1", real=True): sympy.Symbol("y", real=True)}
    for layer in range(0, depth + 1):
        renames[sympy.Symbol(f"a_{layer}_1", real=True)] = sympy.Symbol(f"a{layer}", real=True)
        renames[sympy.Symbol(f"z_{layer}_1", real=True)] = sympy.Symbol(f"z{layer}", real=True)
        renames[sympy.Symbol(f"w_{layer}_1_1", real=True)] = sympy.Symbol(f"w{layer}", real=True)
    for layer in range(1, depth + 1):
        matrix = derivation.delta_value(layer, 1).xreplace(renames)
        scalar = chain.concrete(chain.layer(layer).delta).doit()
        assert sympy.simplify(matrix - scalar) == 0, (layer, matrix, scalar)


def test_matrix_form_and_jacobian_order():
    derivation = derive_matrix(MatrixNet((2, 3, 3, 2), symgrad.get_activation("tanh")))
    text = symgrad.render(derivation, "text")
    assert "δ¹ = D_1 (W²)ᵀ δ²" in text
    assert "= D_1 (W²)ᵀ D_2 (W³)ᵀ D_3 ∇_(a³)C" in text
    assert "∂a³/∂a⁰ = D_3 W³ D_2 W² D_1 W¹" in text


def test_front_layer_paths_multiply_out_to_the_error():
    widths = (2, 2, 3)
    derivation = derive_matrix(MatrixNet(widths, symgrad.get_activation("sigmoid")))
    point = point_as_mpf(random_net_point(widths, seed=3))
    values = forward_values("sigmoid", point)
    for equation in derivation.paths:
        _, j = equation.lhs.args
        summed = derivation.concrete(equation.rhs).doit()
        assert abs(evaluate_at(summed, values) - evaluate_at(derivation.delta_value(1, int(j)), values)) \
            < mpmath.mpf(10) ** -50


def run(*args):
    """``symgrad derive *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli("derive", *args)


def test_cli_json_lists_delta_per_layer_and_grad_w_by_row_and_column():
    result = run("--widths", "2,3,2", "--act", "sigmoid", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    first = data["layers"][0]
    assert len(first["delta"]) == 3 and len(first["grad_w"]) == 3 and len(first["grad_w"][0]) == 2
    assert first["grad_w"][2][1] == "a_0_2*delta_1_3"  # [j][k]: unit j = 3 of layer 1, input k = 2
    for layer in data["layers"]:
        for text in layer["delta"]:
            sympy.sympify(text)  # SymPy-parsable (our own output, never user text)


@pytest.mark.parametrize("args, message", [
    (["--widths", "2,7"], "widths up to 6"),
    (["--widths", "2,3", "--depth", "2"], "--depth belongs to a scalar chain"),
    (["--widths", "2,0"], "at least 1"),
    (["--widths", "2"], "at least two widths"),
    (["--widths", "2,x"], "whole number"),
])
def test_bad_widths_are_one_sentence(args, message):
    result = run(*args)
    assert result.returncode == 2 and result.stdout == "" and message in result.stderr
