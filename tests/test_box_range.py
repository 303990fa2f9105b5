"""``analysis/box_range``: the exact range of a polynomial over a box, against a dense grid
(every grid value inside the range, the range's ends reached by the grid)."""

from __future__ import annotations

import itertools
import random

import sympy

from symgrad.analysis.box_range import polynomial_range

X, Y, T = sympy.symbols("x y t", real=True)


def _grid_values(expr, box, points=41):
    axes = [[low + (high - low) * sympy.Rational(i, points - 1) for i in range(points)]
            for low, high in box.values()]
    function = sympy.lambdify(list(box), expr)
    return [function(*map(float, point)) for point in itertools.product(*axes)]


def test_random_polynomials_against_a_dense_grid():
    rng = random.Random(3)
    for _ in range(25):
        terms = [rng.randint(-4, 4) * X ** rng.randint(0, 2) * Y ** rng.randint(0, 1)
                 * T ** rng.randint(0, 2) for _ in range(4)]
        expr = sympy.Add(*terms)
        box = {X: (sympy.Rational(rng.randint(-3, 0)), sympy.Rational(rng.randint(1, 3))),
               Y: (sympy.Rational(-1), sympy.Rational(2)),
               T: (sympy.Rational(0), sympy.Rational(1))}
        low, high = (float(v) for v in polynomial_range(expr, box))
        values = _grid_values(expr, box)
        assert min(values) >= low - 1e-9 and max(values) <= high + 1e-9
        assert min(values) - low < 0.05 * (1 + abs(low)) and high - max(values) < 0.05 * (1 + abs(high))


def test_a_gate_mixing_two_ends_stays_in_their_hull():
    """t d + (1 - t) over t in [0, 1], d in [0, 3/4]: the hull of [0, 3/4] and 1, where
    interval arithmetic would give [0, 7/4]."""
    d = sympy.Symbol("d", real=True)
    assert polynomial_range(T * d + 1 - T, {T: (0, 1), d: (0, sympy.Rational(3, 4))}) == (0, 1)


def test_an_unbounded_box_gives_the_whole_line_only_where_the_polynomial_reads_it():
    assert polynomial_range(X * Y, {X: (0, sympy.oo), Y: (-1, 1)}) == (-sympy.oo, sympy.oo)
    assert polynomial_range(2 * Y, {X: (0, sympy.oo), Y: (-1, 1)}) == (-2, 2)
