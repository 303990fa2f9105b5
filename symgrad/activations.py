"""The activation library.

An activation is one SymPy expression in the variable ``x``. Everything else
about it is derived from that expression, never typed in: its derivative
(SymPy), the derivative written through the activation's output ``a`` where
that is possible (sigmoid: a(1 - a)), and the sup and inf of the derivative
over the real line, with where they are attained (symbolically where SymPy
can, by an mpmath root search otherwise).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

import mpmath
import sympy

from symgrad.errors import SymgradError
from symgrad.numbers import parse_exact
from symgrad.tidy import tidy_signs

VARIABLE = sympy.Symbol("x", real=True)
OUTPUT = sympy.Symbol("a", real=True)

_CHECK_POINTS = ("-3.7", "-1.3", "-0.4", "0.3", "0.9", "2.2", "4.1")
_SEARCH_RANGE = 40  # numerical search for critical points covers [-40, 40]
_SEARCH_STEP = sympy.Rational(1, 20)
_DIGITS = 30


@dataclass(frozen=True)
class Extremum:
    """The sup (or inf) of an activation's derivative over the real line."""

    value: sympy.Expr
    attained: bool
    where: sympy.Set  # the points where it is attained, or approached if not attained
    exact: bool  # False when only a numerical search found it

    @property
    def numeric(self) -> mpmath.mpf:
        with mpmath.workdps(_DIGITS):
            return mpmath.mpf(sympy.N(self.value, _DIGITS))


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
            # Differentiate piece by piece so the conditions stay as written.
            return sympy.Piecewise(
                *[(sympy.diff(f, VARIABLE), c) for f, c in self.expr.args]
            )
        return sympy.diff(self.expr, VARIABLE)

    @cached_property
    def derivative_through_output(self) -> sympy.Expr | None:
        return _through_output(self.expr, self.derivative)

    @cached_property
    def derivative_sup(self) -> Extremum:
        return _extremum(self.derivative, largest=True)

    @cached_property
    def derivative_inf(self) -> Extremum:
        return _extremum(self.derivative, largest=False)

    @cached_property
    def derivative_abs_sup(self) -> mpmath.mpf:
        """sup |σ'| over the real line (the gain bound per unit weight)."""
        return max(abs(self.derivative_sup.numeric), abs(self.derivative_inf.numeric))


# --- derivative through the output -------------------------------------------------


def _through_output(expr: sympy.Expr, derivative: sympy.Expr) -> sympy.Expr | None:
    if isinstance(expr, sympy.Piecewise):
        pieces = []
        for (piece, condition), (piece_derivative, _) in zip(expr.args, derivative.args):
            form = _piece_through_output(piece, piece_derivative)
            if form is None:
                return None
            pieces.append((form, _condition_on_output(condition, expr)))
        candidate = sympy.Piecewise(*pieces)
    else:
        candidate = _piece_through_output(expr, derivative)
    if candidate is None or not _agrees_through_output(expr, derivative, candidate):
        return None
    return candidate


def _piece_through_output(piece: sympy.Expr, derivative: sympy.Expr) -> sympy.Expr | None:
    if not derivative.has(VARIABLE):
        return derivative
    direct = derivative.subs(piece, OUTPUT)
    if not direct.has(VARIABLE):
        return tidy_signs(direct)
    # Invert through the single transcendental generator (sigmoid: t = exp(-x)).
    generators = {g for g in piece.atoms(sympy.Function, sympy.Pow) if g.has(VARIABLE)}
    t = sympy.Dummy("t")
    for generator in sorted(generators, key=sympy.count_ops):
        in_t, derivative_in_t = piece.subs(generator, t), derivative.subs(generator, t)
        if in_t.has(VARIABLE) or derivative_in_t.has(VARIABLE):
            continue
        try:
            solutions = sympy.solve(sympy.Eq(OUTPUT, in_t), t)
        except NotImplementedError:
            continue
        if len(solutions) == 1:
            form = _simplest(derivative_in_t.subs(t, solutions[0]))
            if not form.has(VARIABLE) and sympy.count_ops(form) <= sympy.count_ops(derivative):
                return form
    return None


def _condition_on_output(condition: sympy.Basic, expr: sympy.Expr) -> sympy.Basic:
    """x <= c becomes a <= σ(c); the numerical check below rejects it if that is wrong."""
    if condition is sympy.true:
        return condition
    return condition.func(OUTPUT, expr.subs(VARIABLE, condition.rhs))


def _simplest(expr: sympy.Expr) -> sympy.Expr:
    simplified = sympy.simplify(expr)
    forms = [tidy_signs(f(simplified)) for f in (sympy.factor, sympy.expand, lambda e: e)]
    return min(forms, key=sympy.count_ops)


def _agrees_through_output(expr, derivative, candidate) -> bool:
    for text in _CHECK_POINTS:
        point = sympy.Rational(text)
        direct = sympy.N(derivative.subs(VARIABLE, point), _DIGITS)
        via_output = sympy.N(candidate.subs(OUTPUT, expr.subs(VARIABLE, point)), _DIGITS)
        gap = abs(direct - via_output)
        if not (direct.is_number and gap.is_number) or gap > sympy.Float(10) ** (5 - _DIGITS):
            return False  # (a piece's condition written through the output may not reduce)
    return True


# --- sup and inf of the derivative ---------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    value: sympy.Expr
    attained: bool
    where: sympy.Set
    exact: bool


def _extremum(derivative: sympy.Expr, largest: bool) -> Extremum:
    candidates = [c for piece, region in pieces(derivative) for c in _candidates(piece, region)]
    sign = 1 if largest else -1
    key = [sign * sympy.N(c.value, _DIGITS) for c in candidates]
    if not all(k.is_finite and k.is_real for k in key):
        raise SymgradError("The activation's derivative is unbounded (or undefined) over the "
                           "real line.")
    best = max(key)
    tolerance = sympy.Float(10) ** (5 - _DIGITS) * max(1, abs(best))
    winners = [c for c, k in zip(candidates, key) if best - k <= tolerance]
    attained = [c for c in winners if c.attained]
    chosen = attained or winners
    value = next((c.value for c in chosen if c.exact), chosen[0].value)
    return Extremum(
        value=value,
        attained=bool(attained),
        where=sympy.Union(*[c.where for c in chosen]),
        exact=all(c.exact for c in chosen),
    )


def pieces(expr: sympy.Expr) -> list[tuple[sympy.Expr, sympy.Interval]]:
    """A (piecewise) expression in x as (formula, interval of x) pairs."""
    if not isinstance(expr, sympy.Piecewise):
        return [(expr, sympy.Interval(-sympy.oo, sympy.oo))]
    remaining: sympy.Set = sympy.S.Reals
    pieces = []
    for piece, condition in expr.args:
        region = remaining if condition is sympy.true else condition.as_set() & remaining
        remaining = remaining - region
        intervals = region.args if isinstance(region, sympy.Union) else (region,)
        pieces += [(piece, interval) for interval in intervals if interval.measure != 0]
    return pieces


def linear_pieces(expr: sympy.Expr) -> list[tuple[sympy.Rational, sympy.Rational, sympy.Interval]] | None:
    """(slope, intercept, interval) of each piece of a piecewise-linear expression in x
    with rational coefficients; None if some piece is not of that form."""
    found = []
    for piece, interval in pieces(expr):
        polynomial = sympy.Poly(piece, VARIABLE) if piece.is_polynomial(VARIABLE) else None
        if polynomial is None or polynomial.degree() > 1 or \
                not all(c.is_Rational for c in polynomial.all_coeffs()):
            return None
        found.append((polynomial.nth(1), polynomial.nth(0), interval))
    return found


def _candidates(piece: sympy.Expr, region: sympy.Interval) -> list[_Candidate]:
    if not piece.has(VARIABLE):
        return [_Candidate(piece, True, region, True)]
    found = []
    for endpoint, direction in ((region.inf, "+"), (region.sup, "-")):
        if endpoint.is_finite and endpoint in region:
            found.append(_Candidate(piece.subs(VARIABLE, endpoint), True, {endpoint}, True))
        else:
            limit = sympy.limit(piece, VARIABLE, endpoint, direction)
            found.append(_Candidate(limit, False, sympy.FiniteSet(endpoint), True))
    slope = sympy.diff(piece, VARIABLE)
    try:
        critical = sympy.solveset(slope, VARIABLE, region)
    except NotImplementedError:
        critical = None
    if isinstance(critical, sympy.FiniteSet):
        found += [
            _Candidate(sympy.simplify(piece.subs(VARIABLE, p)), True, sympy.FiniteSet(p), True)
            for p in critical
        ]
    else:
        found += [
            _Candidate(sympy.Float(piece.subs(VARIABLE, sympy.Float(p, _DIGITS)).evalf(_DIGITS),
                                   _DIGITS), True, sympy.FiniteSet(sympy.Float(p, 12)), False)
            for p in _numerical_roots(slope, region)  # (Float(p, digits): not the global precision)
        ]
    return found


def _numerical_roots(function: sympy.Expr, region: sympy.Interval) -> list[mpmath.mpf]:
    """Sign changes of ``function`` on a grid over the region, refined by bisection."""
    evaluate = sympy.lambdify(VARIABLE, function, "mpmath")
    low = max(region.inf, -_SEARCH_RANGE)
    high = min(region.sup, _SEARCH_RANGE)
    roots = []
    with mpmath.workdps(_DIGITS):
        points = []
        point = sympy.Rational(low)
        while point <= high:
            points.append(mpmath.mpf(point.p) / point.q)
            point += _SEARCH_STEP
        values = [evaluate(p) for p in points]
        for left, right, f_left, f_right in zip(points, points[1:], values, values[1:]):
            if f_left == 0:
                roots.append(left)
            elif f_left * f_right < 0:
                roots.append(mpmath.findroot(evaluate, (left, right), solver="anderson"))
    return roots


# --- the library ---------------------------------------------------------------------

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


_NAMED = re.compile(r"[A-Za-z_]\w*(:.*)?", re.DOTALL)  # a name, perhaps with a parameter


@cache
def get_activation(spec: str) -> Activation:
    """The activation named by ``spec``: a library name, optionally ``name:parameter``,
    or a formula in x (``x/(1+exp(-x))``), read by ``symgrad.expressions``."""
    if not isinstance(spec, str):
        raise SymgradError(f"An activation is a name or a formula in x, not {spec!r}.")
    if not _NAMED.fullmatch(spec.strip()) or spec.strip() == "x":
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
    canonical = f"{name}:{parameter}"
    return Activation(canonical, build(parameter), title)


def custom_activation(text: str) -> Activation:
    """A user's formula in x as an activation, through the same machinery as the
    library's: abs, max, min and Heaviside become pieces (relu's form), so derivative,
    kinks, sup/inf and exact arithmetic treat it as they treat relu."""
    from symgrad.expressions import FUNCTIONS, parse  # the reader needs the notation only

    allowed = frozenset(FUNCTIONS) - {"sigma", "dsigma"}
    expr = parse(text, {"x": VARIABLE}, allowed, what="activation")
    try:
        return _custom(text.strip(), expr)
    except SymgradError:  # (a ValueError too)
        raise
    except (OverflowError, ValueError, TypeError, ZeroDivisionError, RecursionError):
        raise SymgradError(f"The activation {text.strip()!r} cannot be evaluated (a value in it "
                           "is too large for SymPy to handle).") from None


def _custom(text: str, expr: sympy.Expr) -> Activation:
    if expr.has(sympy.Abs, sympy.Max, sympy.Min, sympy.Heaviside):
        expr = _plain_conditions(sympy.piecewise_fold(expr.rewrite(sympy.Piecewise)))
    if not expr.has(VARIABLE):
        raise SymgradError(f"The activation {text!r} does not depend on x.")
    _check_defined(expr, text)
    activation = Activation(text, expr, "custom")
    try:
        activation.derivative_sup, activation.derivative_inf  # noqa: B018 - computed once, cached
    except (SymgradError, TypeError, ValueError, ZeroDivisionError, NotImplementedError):
        raise SymgradError(f"The activation {text!r} has no bounded derivative over the "
                           "real line (symgrad's bounds, regions and mean field need sup|σ'| "
                           "finite).") from None
    return activation


def _plain_conditions(expr: sympy.Expr) -> sympy.Expr:
    """Each piece's condition as the set of x it holds on (x >= x/10 becomes x >= 0)."""
    if not isinstance(expr, sympy.Piecewise):
        return expr
    return sympy.Piecewise(*[(piece, condition if condition is sympy.true else
                              condition.as_set().as_relational(VARIABLE))
                             for piece, condition in expr.args])


_DOMAIN_CHECKS = [*range(-40, 41), -1000, 1000, -1e6, 1e6, 0.5, -0.5, 1e-9, -1e-9]


def _check_defined(expr: sympy.Expr, text: str) -> None:
    """Refuse a formula that is not a finite real number somewhere on the real line
    (log(x), sqrt(x), x**x at negative x), checked at a spread of points."""
    function = sympy.lambdify(VARIABLE, expr, "mpmath")
    with mpmath.workdps(_DIGITS):
        for point in _DOMAIN_CHECKS:
            try:
                value = function(mpmath.mpf(point))
                defined = not isinstance(value, mpmath.mpc) and mpmath.isfinite(mpmath.mpf(value))
            except (ValueError, TypeError, ZeroDivisionError, OverflowError):
                defined = False
            if not defined:
                raise SymgradError(f"The activation {text!r} is not a finite real number at "
                                   f"x = {point:g}; an activation must be defined on the whole "
                                   "real line.")


@dataclass(frozen=True)
class ActivationTable:
    """The library's activations, for ``symgrad acts``."""

    activations: tuple[Activation, ...]


def activation_table(specs: tuple[str, ...] = NAMES) -> ActivationTable:
    return ActivationTable(tuple(get_activation(spec) for spec in specs))
