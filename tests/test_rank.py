"""The rank code of matrix nets (FLINT's nmod_mat modulo a prime, fmpq_mat's Gram
determinant) against SymPy's DomainMatrix on random exact matrices, rank-deficient ones
among them: the rank modulo p never exceeds the exact rank (a minor nonzero modulo p is
nonzero), and the Jacobian modulo p is the exact Jacobian's residues."""

import random

import pytest
import sympy
from flint import nmod_mat
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

import symgrad
from symgrad.networks import MatrixNet
from symgrad.numeric import matrix_net
from symgrad.numeric.kinds import rational_arithmetic
from symgrad.numeric.net_parameters import NetParameters

R = sympy.Rational


def _random_rational(draw: random.Random) -> sympy.Rational:
    return R(draw.randint(-10**6, 10**6), draw.randint(1, 10**4))


def _matrix(draw: random.Random, rows: int, columns: int, rank: int) -> list[list]:
    """rows × columns of rank at most ``rank``: a product of random rational factors."""
    left = sympy.Matrix(rows, rank, lambda i, j: _random_rational(draw))
    right = sympy.Matrix(rank, columns, lambda i, j: _random_rational(draw))
    return (left * right).tolist()


def _oracle_rank(matrix) -> int:
    rows = [[QQ(int(v.p), int(v.q)) for v in row] for row in matrix]
    return DomainMatrix(rows, (len(rows), len(rows[0])), QQ).rank()


def _residues(matrix, prime: int) -> nmod_mat:
    return nmod_mat([[int(v.p) * pow(int(v.q), -1, prime) % prime for v in row]
                     for row in matrix], prime)


@pytest.mark.parametrize("seed", range(12))
def test_rank_modulo_p_is_at_most_the_exact_rank_and_the_gram_determinant_agrees(seed):
    draw = random.Random(seed)
    rows, columns = draw.randint(1, 9), draw.randint(1, 9)
    rank = draw.randint(0, min(rows, columns)) if seed % 3 else min(rows, columns)
    matrix = _matrix(draw, rows, columns, rank) if rank else [[R(0)] * columns] * rows
    exact = _oracle_rank(matrix)
    assert exact <= rank  # the oracle: a product through ``rank`` columns
    common = sympy.ilcm(*(v.q for row in matrix for v in row))  # integers: any prime will do
    whole = [[v * common for v in row] for row in matrix]
    for prime in (matrix_net.RANK_PRIME, 2, 3):  # small primes can lose rank, never add it
        assert matrix_net.rank_modulo(_residues(whole, prime)) <= exact
    assert matrix_net.rank_modulo(_residues(matrix, matrix_net.RANK_PRIME)) == exact
    assert matrix_net.domain_matrix(matrix).rank() == exact
    flint_matrix = matrix_net.exact_matrix(matrix)
    domain = matrix_net.domain_matrix(matrix)
    gram = (flint_matrix * flint_matrix.transpose()).det()
    expected = (domain * domain.transpose()).det()
    assert (int(gram.p), int(gram.q)) == (int(expected.numerator), int(expected.denominator))


def test_a_residue_can_drop_the_rank():
    """[[1, 0], [0, 3]] has rank 2, but 1 modulo 3: the bound is one-sided, as used."""
    matrix = [[R(1), R(0)], [R(0), R(3)]]
    assert _oracle_rank(matrix) == 2 and matrix_net.rank_modulo(_residues(matrix, 3)) == 1
    assert matrix_net.rank_modulo(None) == 0


@pytest.mark.parametrize("seed", range(4))
def test_the_jacobian_modulo_p_is_the_exact_jacobians_residues(seed):
    draw = random.Random(seed)
    widths = (4, 3, 5, 4)
    net = MatrixNet(widths, symgrad.get_activation("relu"))
    weights = tuple(tuple(tuple(_random_rational(draw) for _ in range(widths[n]))
                          for _ in range(widths[n + 1])) for n in range(3))
    biases = tuple(tuple(_random_rational(draw) for _ in range(widths[n + 1])) for n in range(3))
    parameters = NetParameters(weights, biases, "test")
    x, y = (R(1), R(-2), R(1, 3), R(2)), (R(0),) * 4
    run = matrix_net._pass(net, parameters, x, y, rational_arithmetic(net), 15, jacobian=False)
    exact = matrix_net._jacobian(parameters, run.layers, rational_arithmetic(net), 0)
    prime = matrix_net.RANK_PRIME
    residues = _residues([[R(int(v.numerator), int(v.denominator)) for v in row] for row in exact],
                         prime)
    assert matrix_net._jacobian_modulo(parameters, run.layers, prime) == residues
    assert matrix_net.rank_modulo(residues) <= _oracle_rank(
        [[R(int(v.numerator), int(v.denominator)) for v in row] for row in exact])
