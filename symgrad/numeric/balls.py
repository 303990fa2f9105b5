"""Ball arithmetic: FLINT's Arb (through python-flint), certified numbers x ∈ [m ± r].

Every operation returns a ball that contains the exact result for every point of its
arguments' balls, so a value computed from exact inputs carries its own error bound: its
digits are earned by one run and a look at its radius, not by two runs compared. Arb's
exponents are unbounded (10^(10^100) is an ordinary ball), and its matrix products
(``arb_mat``) run in C, blockwise over exact integer matrices.

The working precision is ``flint.ctx.prec`` (bits), global to FLINT: ``precision(bits)``
sets it for a scope and restores it.

σ, σ', C and ∂C/∂a are compiled from their SymPy expressions (``kinds._compiled``) with a
namespace of Arb functions, in the forms without cancellation the other kinds use. A
comparison of Arb balls is True only when it holds for every point of both balls (two
overlapping balls are neither < nor ≥ each other: both answer False), so a Piecewise's
condition is printed as a call that answers only certain comparisons and raises
``StraddleError`` otherwise: a branch is never guessed.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import flint
import gmpy2
import mpmath
from flint import arb, arb_mat, fmpq, fmpz
from sympy.printing.pycode import MpmathPrinter
from threadpoolctl import ThreadpoolController

from symgrad.costs import OPEN_DOMAINS, check_output
from symgrad.errors import SymgradError
from symgrad.numeric.kinds import Arithmetic, _compiled, _compiled_layer, _preactivation_cost
from symgrad.numeric.real import MPFR_EXPONENT, exact_binary, exact_rational


class StraddleError(SymgradError):
    """A ball straddles a kink of the activation (or an edge of a cost's domain): which
    branch applies is not certain."""


@contextlib.contextmanager
def precision(bits: int) -> Iterator[None]:
    """FLINT's working precision set to ``bits`` for the scope, restored after."""
    before = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        yield
    finally:
        flint.ctx.prec = before


def quiet_blas():
    """numpy's linear algebra on one thread within: OpenBLAS's idle threads spin for a while
    after a call, and on a busy machine they take the cores from the Arb code beside them
    (a 50-layer orthogonal draw of width 128 took 4 times as long)."""
    return _controller().limit(limits=1, user_api="blas")


@functools.cache
def _controller() -> ThreadpoolController:
    """The loaded thread pools, found once (finding them takes a millisecond)."""
    return ThreadpoolController()


def ball(value) -> arb:
    """A number as a ball: an MPFR, mpmath or dyadic rational exactly, any other rational
    (1/3, 0.1) rounded once to the working precision (its radius bounds the rounding)."""
    if isinstance(value, arb):
        return value
    if isinstance(value, int):
        return arb(value)
    if isinstance(value, gmpy2.mpfr):
        if not gmpy2.is_finite(value):
            return arb("nan")
        mantissa, exponent = value.as_mantissa_exp()
        return arb((fmpz(int(mantissa)), fmpz(int(exponent))))
    if isinstance(value, mpmath.mpf):
        sign, mantissa, exponent, _ = value._mpf_
        if not mantissa and exponent:  # inf or nan
            return arb("nan")
        return arb((fmpz(int(-mantissa if sign else mantissa)), fmpz(int(exponent))))  # (gmpy2's mpz)
    exact = exact_rational(value)
    numerator, denominator = int(exact.numerator), int(exact.denominator)
    if denominator & (denominator - 1) == 0:  # a power of 2: exact
        return arb((fmpz(numerator), fmpz(-(denominator.bit_length() - 1))))
    return arb(fmpq(numerator, denominator))


def ball_matrix(rows) -> arb_mat:
    """A matrix (rows of numbers) as balls, each entry as ``ball`` makes it."""
    return arb_mat([[ball(v) for v in row] for row in rows])


def float_matrix(array) -> arb_mat:
    """A float64 array as an exact ball matrix (from one flat list: a fifth faster than
    rows of lists at width 256)."""
    rows, columns = array.shape
    return arb_mat(rows, columns, array.ravel().tolist())


def column(values) -> arb_mat:
    return arb_mat([[ball(v)] for v in values])


def midpoint(value: arb, wide: bool = False):
    """A ball's midpoint as an MPFR number, exactly (its mantissa's bits), or as mpmath's
    (``wide``, or beyond MPFR's exponent range)."""
    return exact_binary(*value.mid().man_exp(), wide=wide)


def shown_midpoint(value: arb):
    """A ball's midpoint exactly, as an MPFR number at the working precision (mpmath's
    beyond MPFR's exponent range): ``midpoint`` for the many values a result shows, one
    read of the midpoint and no new MPFR context a value."""
    mantissa, exponent = value.mid().man_exp()
    mantissa, exponent = gmpy2.mpz(int(mantissa)), int(exponent)
    bits = mantissa.bit_length()  # (at most the working bits, but for an exact input's)
    if abs(exponent) + bits >= MPFR_EXPONENT:
        return exact_binary(mantissa, exponent, wide=True)
    context = _exact_context(max(bits, flint.ctx.prec))
    return context.mul_2exp(context.plus(mantissa), exponent)


@functools.lru_cache(maxsize=64)
def _exact_context(bits: int) -> gmpy2.context:
    """An MPFR context of ``bits`` and the widest exponents (its methods round to it)."""
    return gmpy2.context(precision=bits, emax=gmpy2.get_emax_max(), emin=gmpy2.get_emin_min())


def in_mpfr_range(value: arb) -> bool:
    """Whether MPFR holds a ball's midpoint (its exponent within MPFR's)."""
    mantissa, exponent = value.mid().man_exp()
    return not mantissa or abs(int(exponent)) + abs(int(mantissa)).bit_length() < MPFR_EXPONENT


def upper(value: arb) -> mpmath.mpf:
    """A ball's upper end (rounded up by Arb) as an mpmath number."""
    return exact_binary(*value.upper().mid().man_exp(), wide=True)


def narrow(value, digits: int) -> bool:
    """Whether a ball's width is at most 10^-digits of its least magnitude, certainly (as
    ``interval.narrow`` asks of an interval): an exact value is, a ball that is not finite
    or reaches across 0 is not; a number that is not a ball (none) is."""
    if not isinstance(value, arb):
        return True
    if value.is_exact():
        return True
    if not value.is_finite():
        return False
    return 2 * value.rad() * arb(fmpz(10) ** digits) <= value.abs_lower()  # Arb: certain only


def accuracy(value: arb) -> int:
    """The ball's relative accuracy in bits (large for an exact value; below 0, or very
    negative, when it reaches across 0); -2^62 for a ball that is not finite."""
    if value.is_zero():
        return 2 ** 62
    return min(2 ** 62, value.rel_accuracy_bits()) if value.is_finite() else -2 ** 62


GUARD_BITS = 40  # added to the bits a run lost, for the next run


def raised_bits(bits: int, lost: int | None, needed: int) -> int:
    """The next run's bits after a run at ``bits`` that lost ``lost`` bits (of its own, or
    as projected for the whole pass) where ``needed`` are shown: the loss made up, with
    guard bits; twice the bits when nothing could be measured (``lost`` None: a ball
    reached across 0, a value at or near 0 or too small to tell yet)."""
    if lost is None:
        return 2 * bits
    return max(bits + GUARD_BITS, needed + lost + GUARD_BITS)


def bits_lost(bits: int, worst: int) -> int | None:
    """What a run at ``bits`` lost, its values' least relative accuracy being ``worst``;
    None when a ball reaches across 0 (``worst`` ≤ 0)."""
    return bits - worst if worst > 0 else None


def output_inside(cost: str, output: arb) -> bool:
    """Whether a ball a_L lies inside the cost's open domain (cross-entropy's 0 < a_L < 1);
    False while it reaches an edge (more bits tell); refused in one sentence when it is
    certainly outside."""
    domain = OPEN_DOMAINS.get(cost)
    if domain is None or not isinstance(output, arb):
        return True
    low, high = domain
    if output > low and output < high:
        return True
    if output <= low or output >= high:
        shown = midpoint(output)  # (a whole number as one: "a_L = 0", not "0.0")
        check_output(cost, int(shown) if gmpy2.is_integer(shown) else shown)
    return False


# -- comparisons, σ and the cost -------------------------------------------------------

_OPERATORS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
_OPPOSITES = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "eq": "ne", "ne": "eq"}


def _certain(name: str):
    """The comparison ``name``, answered only when certain for the whole balls."""
    operator = getattr(arb, f"__{name}__")
    opposite = getattr(arb, f"__{_OPPOSITES[name]}__")

    def compare(left, right) -> bool:
        if not isinstance(left, arb) and not isinstance(right, arb):  # constants
            return bool(getattr(type(left), f"__{name}__")(left, right))
        left, right = ball(left), ball(right)
        if operator(left, right):
            return True
        if opposite(left, right):
            return False
        raise StraddleError("A ball straddles a kink of the activation, so which branch applies "
                       "cannot be certified.")

    return compare


class _BallPrinter(MpmathPrinter):
    """lambdify's mpmath printer, with every comparison a call of ``certain_<op>``."""

    def _print_Relational(self, expr):
        name = _OPERATORS.get(expr.rel_op)
        if name is None:
            return super()._print_Relational(expr)
        return f"certain_{name}({self._print(expr.lhs)}, {self._print(expr.rhs)})"

    def _print_Pow(self, expr, rational=False):
        if expr.exp.is_Integer:  # Arb's x**n goes through log x: nan for a ball about 0
            return f"whole_power({self._print(expr.base)}, {int(expr.exp)})"
        return super()._print_Pow(expr, rational)


def _whole_power(value, exponent: int) -> arb:
    """x^n by repeated squaring (each product an enclosure), 1/x^-n for n < 0."""
    if exponent == 2:  # (σ' of sigmoid, tanh: a square a layer)
        value = ball(value)
        return value * value
    if exponent < 0:
        return 1 / _whole_power(value, -exponent)
    result, square = arb(1), ball(value)
    while exponent:
        if exponent & 1:
            result = result * square
        exponent >>= 1
        if exponent:
            square = square * square
    return result


def _method(name: str):
    return lambda value: getattr(ball(value), name)()


def namespace() -> dict:
    """What the lambdified activation and cost code calls, for balls (constants at the
    working precision: build it in ``precision``'s scope)."""
    names = {name: _method(name) for name in ("exp", "log", "log1p", "expm1", "tanh", "erf",
                                                "erfc", "sech", "sinh", "cosh", "atan", "sqrt")}
    names.update({
        "mpf": ball,
        "whole_power": _whole_power,
        "erfc_of_negative": lambda value: (-ball(value)).erfc(),
        "pi": arb.pi(),
        "e": arb.const_e(),
        "Abs": abs,
        "fabs": abs,
    })
    names.update({f"certain_{name}": _certain(name) for name in _OPERATORS.values()})
    return names


def ball_arithmetic(spec, bits: int) -> Arithmetic:
    """Balls at ``bits`` bits for a chain or net ``spec`` (its activation and cost)."""
    with precision(bits):
        functions = namespace()
        names = [functions, "mpmath"]
        code = printer(functions)
        sigma, cost = _compiled(spec, names, cast=ball, printer=code)
        preactivation_cost = _preactivation_cost(spec, names, cast=ball, printer=code)
        layer = _compiled_layer(spec, names, cast=ball, printer=code)  # a highway's gate
    return Arithmetic(
        "ball",
        number=ball,
        sigma_and_derivative=sigma,
        cost_and_derivative=cost,
        scope=lambda: precision(bits),
        cost_of_preactivation=preactivation_cost,
        layer=layer,
    )


def printer(functions: dict) -> _BallPrinter:
    """lambdify's printer for balls, as lambdify makes its own, with the namespace's
    ``functions`` called as given."""
    return _BallPrinter({"fully_qualified_modules": False, "inline": True,
                         "allow_unknown_functions": True,
                         "user_functions": {name: name for name in functions}})
