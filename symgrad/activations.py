"""The activation library.

An activation is one SymPy expression in the variable ``x``. Everything else
about it is derived from that expression, never typed in: its derivative
(SymPy), the derivative written through the activation's output ``a`` where
that is possible (sigmoid: a(1 - a)), and the sup and inf of the derivative
over the real line, with where they are attained (symbolically where SymPy
can, by numbers otherwise).

This module holds the library and the Activation object; the work is done by
``symgrad.formula`` (a formula's pieces, limits and safe evaluation),
``symgrad.extrema`` (sup and inf of σ'), ``symgrad.through_output`` (σ' in a),
``symgrad.proofs`` (finite on the line, σ' bounded) and ``symgrad.custom``
(reading a user's formula).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

import mpmath
import sympy

from symgrad.budget import within_budget
from symgrad.errors import SymgradError, quoted
from symgrad.extrema import Extremum, derivative_extremum
from symgrad.formula import (
    OUTPUT,
    STEP_SECONDS,
    VARIABLE,
    exact_limit,
    is_finite_real,
    piece_sets,
    pieces,
    proved_equal,
    x_set,
)
from symgrad.numbers import parse_exact
from symgrad.through_output import through_output

MAX_MAGNITUDE = 10**300  # no constant in a formula, and no parameter, beyond this in size


@dataclass(frozen=True)
class Activation:
    """A named activation σ, given as a SymPy expression in ``VARIABLE``."""

    name: str
    expr: sympy.Expr
    title: str = ""

    def at(self, z: sympy.Expr) -> sympy.Expr:
        """σ(z)."""
        return self.expr.xreplace({VARIABLE: z})

    def derivative_at(self, z: sympy.Expr) -> sympy.Expr:
        """σ'(z), written in z."""
        return self.derivative.xreplace({VARIABLE: z})

    def derivative_from_output(self, a: sympy.Expr) -> sympy.Expr | None:
        """σ'(z) written through a = σ(z), or None where that form does not exist."""
        if self.derivative_through_output is None:
            return None
        return self.derivative_through_output.xreplace({OUTPUT: a})

    @cached_property
    def derivative(self) -> sympy.Expr:
        if isinstance(self.expr, sympy.Piecewise):
            # Differentiate piece by piece so the conditions stay as written; a piece that
            # holds at single points only gets σ's own derivative there where σ has one
            # (min(0, x) + max(0, x) is x, with σ'(0) = 1, not the slope of its piece 0).
            found = []
            for (f, c), points in zip(self.expr.args, _point_pieces(self.expr)):
                found += [(value, sympy.Eq(VARIABLE, p)) for p, value in points.items()]
                found.append((sympy.diff(f, VARIABLE), c))
            return sympy.Piecewise(*found)
        return sympy.diff(self.expr, VARIABLE)

    @cached_property
    def jumps(self) -> tuple[sympy.Expr, ...]:
        """Where σ is discontinuous, in order: its pieces' one-sided limits differ
        (Heaviside(x) at 0), or its value there is neither (Heaviside(-x²) at 0). Backprop
        takes σ' on each piece, as autograd does; the jump (a Dirac delta in σ') is no part
        of it."""
        found = []
        parts = sorted(pieces(self.expr), key=lambda part: part[1].inf)  # (left to right)
        for (left, left_part), (right, right_part) in zip(parts, parts[1:]):
            place = left_part.sup
            if place != right_part.inf or not place.is_finite:
                continue
            ends = [exact_limit(piece, place, side) for piece, side in ((left, "-"), (right, "+"))]
            if None in ends:
                continue
            value = self.expr.subs(VARIABLE, place)  # (Heaviside(-x²): 1/2 between 0 and 0)
            if not proved_equal(*ends) or is_finite_real(value) and not proved_equal(value, ends[0]):
                found.append(place)
        return tuple(found)

    @cached_property
    def corners(self) -> frozenset[sympy.Rational]:
        """The rational kinks where σ has no derivative: its pieces' slopes on either side
        tend to different values (relu at 0; not a C¹ join of two pieces), or σ jumps."""
        return frozenset(self.corner_slopes)

    @cached_property
    def corner_slopes(self) -> dict[sympy.Rational, tuple[sympy.Expr, sympy.Expr] | None]:
        """Each of ``corners`` with σ's one-sided slopes there (left, right), between which
        every value is a subgradient; None where σ jumps (or a slope is not known), which
        leaves no value between."""
        found: dict[sympy.Rational, tuple[sympy.Expr, sympy.Expr] | None] = {}
        parts = sorted(pieces(self.expr), key=lambda part: part[1].inf)  # (left to right)
        for (left, left_part), (right, right_part) in zip(parts, parts[1:]):
            place = left_part.sup
            if not (place.is_Rational and place == right_part.inf):
                continue
            slopes = [exact_limit(sympy.diff(piece, VARIABLE), place, side)
                      for piece, side in ((left, "-"), (right, "+"))]
            if None in slopes:
                found[place] = None
            elif not proved_equal(*slopes):
                found[place] = tuple(slopes)
        for place in self.jumps:
            if place.is_Rational:
                found[place] = None
        return found

    @cached_property
    def derivative_through_output(self) -> sympy.Expr | None:
        # (solve and simplify may not finish on a typed formula: then there is no such form)
        return within_budget(through_output, self.expr, self.derivative,
                             seconds=STEP_SECONDS)

    @cached_property
    def derivative_sup(self) -> Extremum:
        return derivative_extremum(self.derivative, largest=True)

    @cached_property
    def derivative_inf(self) -> Extremum:
        return derivative_extremum(self.derivative, largest=False)

    @cached_property
    def value_range(self) -> tuple[sympy.Expr, sympy.Expr]:
        """inf σ and sup σ over the real line (±oo where σ is unbounded that way): the
        closed range a highway layer's a_l stays in."""
        ends = []
        for largest, unbounded in ((False, sympy.S.NegativeInfinity), (True, sympy.S.Infinity)):
            try:
                ends.append(derivative_extremum(self.expr, largest=largest).value)
            except SymgradError:  # (the search found no finite extremum that way)
                ends.append(unbounded)
        return ends[0], ends[1]

    @cached_property
    def derivative_abs_sup(self) -> mpmath.mpf:
        """sup |σ'| over the real line (the gain bound per unit weight)."""
        return max(abs(self.derivative_sup.numeric), abs(self.derivative_inf.numeric))


def _point_pieces(expr: sympy.Piecewise) -> list[dict[sympy.Expr, sympy.Expr]]:
    """For each piece, σ'(p) at each point p where the piece is picked alone (its set of x
    is finitely many points) and σ is differentiable: the slope its neighbours agree on."""
    found, taken = [], sympy.S.EmptySet
    regions = piece_sets(expr)
    for _, condition in expr.args:
        points = {}
        try:
            condition_set = x_set(condition)
            region = condition_set - taken
            taken = taken | condition_set
        except (NotImplementedError, ValueError, TypeError):
            region = None
        if isinstance(region, sympy.FiniteSet) and len(region) <= 10:
            for p in region:
                value = _derivative_at(expr, regions, p)
                if value is not None:
                    points[p] = value
        found.append(points)
    return found


def _derivative_at(expr: sympy.Expr, regions, p: sympy.Expr) -> sympy.Expr | None:
    """σ'(p), where σ is continuous at p and its pieces on either side have the same
    one-sided slope limit there (then σ is differentiable at p, by the mean value
    theorem); None otherwise (a jump or a kink: the piece's own slope is the convention)."""
    left = [f for f, part in regions if isinstance(part, sympy.Interval) and part.sup == p
            and part.inf < p]
    right = [f for f, part in regions if isinstance(part, sympy.Interval) and part.inf == p
             and part.sup > p]
    if len(left) != 1 or len(right) != 1:
        return None
    value = expr.subs(VARIABLE, p)
    slopes = []
    for piece, side in ((left[0], "-"), (right[0], "+")):
        if exact_limit(piece, p, side) is None or not proved_equal(exact_limit(piece, p, side), value):
            return None
        slope = exact_limit(sympy.diff(piece, VARIABLE), p, side)
        if slope is None or not is_finite_real(slope):
            return None
        slopes.append(slope)
    return slopes[0] if proved_equal(*slopes) else None


x = VARIABLE


def _piecewise_linear(slope_left: sympy.Expr) -> sympy.Expr:
    return sympy.Piecewise((slope_left * x, x <= 0), (x, True))


_LIBRARY: dict[str, tuple[str, Callable[[sympy.Rational], sympy.Expr], str | None]] = {
    # name: (title, builder from the parameter, default parameter)
    "sigmoid": ("logistic sigmoid", lambda _: 1 / (1 + sympy.exp(-x)), None),
    "tanh": ("hyperbolic tangent", lambda _: sympy.tanh(x), None),
    "relu": ("rectified linear unit", lambda _: _piecewise_linear(sympy.S.Zero), None),
    "leaky_relu": ("leaky ReLU with slope α", _piecewise_linear, "1/100"),
    "elu": (
        "exponential linear unit with scale α",
        lambda alpha: sympy.Piecewise((alpha * (sympy.exp(x) - 1), x <= 0), (x, True)),
        "1",
    ),
    "softplus": ("softplus", lambda _: sympy.log(1 + sympy.exp(x)), None),
    "gelu": ("Gaussian error linear unit (exact, with erf)",
             lambda _: x / 2 * (1 + sympy.erf(x / sympy.sqrt(2))), None),
    "silu": ("sigmoid linear unit (swish)", lambda _: x / (1 + sympy.exp(-x)), None),
    "linear": ("identity", lambda _: x, None),
}


NAMES = tuple(_LIBRARY)
_NAMED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(:.*)?", re.DOTALL)  # a name, perhaps with a
# parameter (ASCII: x² and tanhｘ are formulas, for the reader to read or refuse)


@cache
def get_activation(spec: str) -> Activation:
    """The activation named by ``spec``: a library name, optionally ``name:parameter``,
    or a formula in x (``x/(1+exp(-x))``), read by ``symgrad.expressions``."""
    if not isinstance(spec, str):
        raise SymgradError(f"An activation is a name or a formula in x, not {quoted(spec)}.")
    if not _NAMED.fullmatch(spec.strip()) or spec.strip() == "x":
        from symgrad.custom import custom_activation  # (it builds on Activation, defined here)

        return custom_activation(spec)
    name, _, parameter_text = spec.strip().partition(":")
    if name not in _LIBRARY:
        close = difflib.get_close_matches(name, NAMES, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise SymgradError(
            f"Unknown activation '{name}'; known ones are {', '.join(NAMES)}.{hint}"
        )
    title, build, default = _LIBRARY[name]
    if parameter_text and default is None:
        raise SymgradError(f"The activation '{name}' takes no parameter.")
    if default is None:
        return Activation(name, build(None), title)
    parameter = parse_exact(parameter_text or default, what=f"parameter of {name}")
    if max(abs(parameter.p), parameter.q) > MAX_MAGNITUDE:  # (and never str() of a huge int)
        raise SymgradError(f"The parameter of {name} '{parameter_text.strip()}' is out of range: "
                           "its size and the digits it is written with must stay within "
                           "10^-300 to 10^300.")
    canonical = f"{name}:{parameter}"
    return Activation(canonical, build(parameter), title)


@dataclass(frozen=True)
class ActivationTable:
    """The library's activations, for ``symgrad acts``."""

    activations: tuple[Activation, ...]


def activation_table(specs: tuple[str, ...] = NAMES) -> ActivationTable:
    return ActivationTable(tuple(get_activation(spec) for spec in specs))
