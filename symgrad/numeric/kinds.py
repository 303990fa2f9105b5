"""The number kinds a pass runs in, with σ, σ', C and ∂C/∂a_L compiled for each.

- ``mpfr``: MPFR (gmpy2) at a given precision, rounding to nearest. The exact
  values, and fast: about five times mpmath's speed, half its memory per number.
- ``rational``: exact rationals (gmpy2's mpq), for piecewise-linear chains, whose values
  are all rational: a preactivation exactly at a kink is exactly 0 there.
- ``interval``: MPFR intervals with directed rounding, certified enclosures.
- ``mpmath``: the same precision in mpmath, whose exponents are unbounded; used
  only when a pass leaves MPFR's exponent range (|log2 x| ≥ 2^30, i.e. beyond
  about 10^±323,000,000).
- ``float64``/``float32``: numpy, to show where floats give up.

The activation and cost are SymPy expressions; ``sympy.lambdify`` prints them
once as mpmath-style code, and each kind supplies the functions that code calls.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import gmpy2
import mpmath
import numpy
import sympy

from symgrad.costs import cost_at, cost_derivative_at
from symgrad.formula import VARIABLE, linear_pieces
from symgrad.layers.step import sigmoid
from symgrad.networks import ScalarChain
from symgrad.notation import y
from symgrad.numeric import interval
from symgrad.numeric.real import exact_rational, to_mpmath
from symgrad.numeric.stable import cross_entropy_of_preactivation, without_cancellation

FLOAT_TYPES = {"float64": numpy.float64, "float32": numpy.float32}
MAX_RATIONAL_DEPTH = 10_000  # exact rationals grow with depth; deeper chains round (MPFR)
MAX_RATIONAL_BITS = 4_000_000  # about as long as an exact value may grow (depth × input bits)


@dataclass(frozen=True)
class Arithmetic:
    """One number kind: how to make a number, σ and σ', the cost, and the scope to run in."""

    name: str
    number: Callable[[sympy.Rational], object]
    sigma_and_derivative: Callable  # z -> (σ(z), σ'(z)), shared subexpressions computed once
    cost_and_derivative: Callable  # (a_L, y) -> (C, ∂C/∂a_L)
    scope: Callable[[], contextlib.AbstractContextManager]  # precision, rounding, float errors
    out_of_range: Callable[[], bool] = lambda: False  # the pass's numbers cannot be trusted
    # floats: is this number a normal one of the format (not inf, nan, 0 or subnormal: a
    # subnormal has lost digits, 4.9·10^-324 times 0.97 rounds back to itself)?
    normal: Callable | None = None
    # the first layer's preactivation w x + b is formed from the exact inputs and rounded
    # once (an exact 0 stays 0); floats compute it as a float program would
    exact_first_layer: bool = True
    # (z_L, y) -> (C, ∂C/∂a_L) for a cost whose form through a_L divides 0 by 0 where a_L
    # rounds onto its domain's edge (cross-entropy at a_L = σ(10^300)); None: use the a_L form
    cost_of_preactivation: Callable | None = None
    # a chain's layer, from its kind's one definition (``ChainLayer.numeric_form``):
    # (a_{l-1}, σ(z_l), σ'(z_l), its own parameters) -> (a_l, its gates, ∂a_l/∂z_l, the
    # gain's direct part, ∂a_l/∂θ of its own parameters); None for a net
    layer: Callable | None = None


BITS_PER_DIGIT = 3.3219280948873623  # log2(10)


def digits_to_bits(dps: int) -> int:
    return int(dps * BITS_PER_DIGIT) + 1


def _preactivation_cost(chain, modules, cast: Callable | None = None,
                        printer=None) -> Callable | None:
    """(z_L, y) -> (C, ∂C/∂a_L) for cross-entropy on a smooth activation (see above), else
    None. ``printer``: lambdify's code printer, if not its own for ``modules``."""
    activation = chain.activation
    if chain.cost != "cross-entropy" or activation.expr.has(sympy.Piecewise):
        return None
    expressions = cross_entropy_of_preactivation(activation.expr)
    function = sympy.lambdify((VARIABLE, y), expressions, modules, printer=printer)
    if cast is not None:
        function = (lambda f: lambda *args: tuple(map(_real_or_nan(cast), f(*args))))(function)
    return function


def _real_or_nan(cast: Callable) -> Callable:
    """``cast``, with a complex value (log of an output a_L < 0: gelu and silu dip below
    0) turned into nan, so the output check refuses the point instead of a TypeError."""
    def real(value):
        return cast("nan") if isinstance(value, mpmath.mpc) else cast(value)

    return real


def _compiled(chain, modules, cast: Callable | None = None,
              stable: bool = True, printer=None) -> tuple[Callable, Callable]:
    """σ and σ', and C and ∂C/∂a, of a chain or net (anything with an activation and a
    cost); ``stable``: in their forms without cancellation (floats take them as written,
    as a float program would); ``printer``: lambdify's code printer, if not its own for
    ``modules`` (balls print comparisons as calls that refuse an uncertain one)."""
    a = sympy.Symbol("a", real=True)
    activation = chain.activation
    pairs = (
        (VARIABLE, (activation.expr, activation.derivative)),
        ((a, y), (cost_at(chain.cost, a), cost_derivative_at(chain.cost, a))),
    )
    functions = []
    for arguments, expressions in pairs:
        if stable:
            expressions = tuple(without_cancellation(e) for e in expressions)
        # common subexpressions are hoisted out of a Piecewise's branches and would be
        # computed for every input (1/(1 - x) at x = 1): only for expressions without one
        shared = not any(e.has(sympy.Piecewise) for e in expressions)
        function = sympy.lambdify(arguments, expressions, modules, cse=shared, printer=printer)
        if cast is not None:
            function = (lambda f: lambda *args: tuple(map(cast, f(*args))))(function)
        functions.append(function)
    return tuple(functions)


def _compiled_layer(chain, modules, cast: Callable | None = None,
                    printer=None) -> Callable | None:
    """A chain layer's numbers per layer (see ``Arithmetic.layer``), its gates' sigmoid
    written through exp; None for a net (no layer kind). ``printer``: as ``_compiled``'s."""
    layer = getattr(chain, "layer", None)
    if layer is None or layer.simple is not None:  # the pass needs no values of its own
        return None
    arguments, expressions = layer.numeric_form
    expressions = tuple(e.rewrite(sympy.exp) if e.has(sigmoid) else e for e in expressions)
    function = sympy.lambdify(arguments, expressions, modules, cse=True, printer=printer)
    if cast is not None:
        function = (lambda f: lambda *args: tuple(map(cast, f(*args))))(function)
    return function


def mpfr_arithmetic(chain: ScalarChain, dps: int) -> Arithmetic:
    limits = {"emax": gmpy2.get_emax_max(), "emin": gmpy2.get_emin_min()}
    context = gmpy2.context(precision=digits_to_bits(dps), **limits)
    with context:
        names = {"mpf": gmpy2.mpfr, "exp": gmpy2.exp, "log": gmpy2.log, "log1p": gmpy2.log1p,
                 "tanh": gmpy2.tanh, "erf": gmpy2.erf, "sqrt": gmpy2.sqrt, "pi": gmpy2.const_pi(),
                 "e": gmpy2.exp(1),
                 "expm1": gmpy2.expm1, "erfc": gmpy2.erfc, "sech": gmpy2.sech,
                 "sinh": gmpy2.sinh, "cosh": gmpy2.cosh, "atan": gmpy2.atan,
                 "erfc_of_negative": lambda value: gmpy2.erfc(-value),  # exact: in the scope
                 "fabs": abs}
        sigma, cost = _compiled(chain, [names, "mpmath"])
        preactivation_cost = _preactivation_cost(chain, [names, "mpmath"])
        layer = _compiled_layer(chain, [names, "mpmath"])
    entered = []  # `with context` makes a copy current; its flags tell of over/underflow

    @contextlib.contextmanager
    def scope():
        with context as active:
            entered.append(active)
            yield

    def number(value):
        """A SymPy rational, an mpmath or an MPFR number, rounded once to this precision."""
        if isinstance(value, mpmath.mpf):
            sign, mantissa, exponent, _ = value._mpf_
            return context.mul_2exp(context.plus(gmpy2.mpz(-mantissa if sign else mantissa)),
                                    exponent)
        if isinstance(value, gmpy2.mpfr):
            return context.plus(value)
        return context.div(int(value.numerator), int(value.denominator))

    return Arithmetic(
        "mpfr",
        number=number,
        sigma_and_derivative=sigma,
        cost_and_derivative=cost,
        scope=scope,
        out_of_range=lambda: any(c.overflow or c.underflow for c in entered),
        cost_of_preactivation=preactivation_cost,
        layer=layer,
    )


def rational_arithmetic_applies(chain, numbers, gain_mode: bool = False) -> bool:
    """Whether every value of the pass is rational: a piecewise-linear activation with
    rational pieces, and the quadratic cost (or gain mode), on a chain or net not too deep
    for exact numbers to stay small enough. ``numbers``: the pass's inputs (weights,
    biases, x, y or z), exact rationals or binary floats (MPFR, mpmath)."""
    if chain.depth > MAX_RATIONAL_DEPTH or not (gain_mode or chain.cost == "quadratic"):
        return False
    layer = getattr(chain, "layer", None)  # a gate's sigmoid is not rational
    if layer is not None and any(e.has(sigmoid) for e in layer.numeric_form[1]):
        return False
    if linear_pieces(chain.activation.expr) is None:  # (before the numbers: a net has many)
        return False
    exact = (exact_rational(v) for v in numbers)
    widest = max(v.numerator.bit_length() + v.denominator.bit_length() for v in exact)
    return widest * chain.depth <= MAX_RATIONAL_BITS  # else the numbers would grow too long


def rational_arithmetic(chain: ScalarChain) -> Arithmetic:
    """Exact rationals (gmpy2's mpq): for piecewise-linear chains, where nothing rounds."""
    sigma, cost = _compiled(chain, [{"mpf": gmpy2.mpq}, "mpmath"], cast=gmpy2.mpq)
    return Arithmetic(
        "rational",
        number=exact_rational,
        sigma_and_derivative=sigma,
        cost_and_derivative=cost,
        scope=contextlib.nullcontext,
        layer=_compiled_layer(chain, [{"mpf": gmpy2.mpq}, "mpmath"], cast=gmpy2.mpq),
    )


def interval_arithmetic(chain: ScalarChain, dps: int) -> Arithmetic:
    rounding = interval.Rounding(digits_to_bits(dps))
    functions = interval.namespace(rounding)
    # a piecewise-linear branch can answer a bare int (relu's 0): every result an interval
    sigma, cost = _compiled(chain, [functions, "mpmath"], cast=functions["mpf"])
    return Arithmetic(
        "interval",
        number=lambda value: rounding.rational(*_fraction(value)),
        sigma_and_derivative=sigma,
        cost_and_derivative=cost,
        scope=contextlib.nullcontext,
        out_of_range=rounding.undefined,
        layer=_compiled_layer(chain, [functions, "mpmath"], cast=functions["mpf"]),
    )


def _fraction(value) -> tuple[int, int]:
    """A rational or a binary float (MPFR, mpmath) exactly as (numerator, denominator)."""
    value = exact_rational(value)
    return int(value.numerator), int(value.denominator)


_HALF = mpmath.mpf(0.5)


def _mpmath_exp(value):
    """mpmath's exp, but not its route for a whole number above 600 bits of precision: it
    raises e to that power at about 1.45·log2|x| extra bits (a minute for |x| = 10^25000).
    exp(x + 1/2) · exp(-1/2), with x + 1/2 formed exactly, takes the fast route."""
    value = mpmath.mpf(value)
    if value._mpf_[2] >= 0 and mpmath.mp.prec > 600 and value:  # a whole number
        return mpmath.exp(mpmath.fadd(value, _HALF, exact=True)) * mpmath.exp(-_HALF)
    return mpmath.exp(value)


def _mpmath_erfc(value):
    """erfc(x); for x² above 4 × the working bits by its asymptotic series
    e^-x² / (x √π) · Σ (-1)^n (2n - 1)!! / (2x²)^n, summed until a term is below the working
    precision (an alternating series: the first term left out bounds the error; at
    x² > 4 prec the terms fall that low within prec/2 of them). mpmath's own erfc takes
    1.3 s at x = 7·10^999 and 14 s at 7·10^3000, and MPFR's underflows there."""
    x = mpmath.mpf(value)
    prec = mpmath.mp.prec
    if not mpmath.isfinite(x) or abs(x) < 1 or x * x <= 4 * prec:
        return mpmath.erfc(x)
    if x < 0:
        return 2 - _mpmath_erfc(-x)
    with mpmath.workprec(prec + 20):
        square = mpmath.fmul(x, x, exact=True)  # rounded, e^-x² would lose log2(x²) bits
        floor = mpmath.ldexp(1, -prec - 20)
        term = total = mpmath.mpf(1)
        n = 1
        while True:
            term = -term * (2 * n - 1) / (2 * square)
            if abs(term) < floor:
                break
            total += term
            n += 1
        exponent = mpmath.fneg(square, exact=True)
        if exponent._mpf_[2] >= 0 and mpmath.mp.prec > 600:  # whole: see _mpmath_exp
            exponential = mpmath.exp(mpmath.fadd(exponent, _HALF, exact=True)) * mpmath.exp(-_HALF)
        else:
            exponential = mpmath.exp(exponent)  # mpmath.exp takes its argument unrounded
        result = exponential / (x * mpmath.sqrt(mpmath.pi)) * total
    return +result


def _mpmath_erf(value):
    """erf(x) = 1 - erfc(x), through the asymptotic erfc where x is huge; ±1 where
    erfc(x) < e^-x² is below half a unit in the last place of 1 (x² > (prec + 2) ln 2),
    the value 1 - erfc(x) rounds to anyway (erf(e^1000) is not summed)."""
    x = mpmath.mpf(value)
    if mpmath.isfinite(x) and abs(x) >= 1 and x * x > (mpmath.mp.prec + 2) * mpmath.ln2:
        return mpmath.mpf(1) if x > 0 else mpmath.mpf(-1)
    if mpmath.isfinite(x) and abs(x) >= 1 and x * x > 4 * mpmath.mp.prec:
        return 1 - _mpmath_erfc(x) if x > 0 else _mpmath_erfc(-x) - 1
    return mpmath.erf(x)


def mpmath_arithmetic(chain: ScalarChain, dps: int) -> Arithmetic:
    with mpmath.workdps(dps):
        names = {"erfc_of_negative": lambda value: _mpmath_erfc(-value), "exp": _mpmath_exp,
                 "erfc": _mpmath_erfc, "erf": _mpmath_erf}
        sigma, cost = _compiled(chain, [names, "mpmath"], cast=mpmath.mpf)
        preactivation_cost = _preactivation_cost(chain, [names, "mpmath"], cast=mpmath.mpf)
        layer = _compiled_layer(chain, [names, "mpmath"], cast=mpmath.mpf)

    def number(value):
        if isinstance(value, (mpmath.mpf, gmpy2.mpfr)):
            return to_mpmath(value)
        return mpmath.mpf(int(value.numerator)) / int(value.denominator)

    return Arithmetic(
        "mpmath",
        number=number,
        sigma_and_derivative=sigma,
        cost_and_derivative=_no_division_by_zero(cost),
        scope=lambda: mpmath.workdps(dps),
        cost_of_preactivation=preactivation_cost and _no_division_by_zero(preactivation_cost),
        layer=layer,
    )


def _no_division_by_zero(function: Callable) -> Callable:
    """mpmath raises ZeroDivisionError where MPFR answers inf or nan (cross-entropy's
    1/(1 - a) at a rounded to 1): nan here too, which no two runs agree on, so the digits
    rise or the output check refuses, never a traceback."""
    def guarded(*args):
        try:
            return function(*args)
        except ZeroDivisionError:
            return mpmath.mpf("nan"), mpmath.mpf("nan")

    return guarded


def _nearest_float(value: sympy.Rational) -> float:
    """The float nearest a rational; ±inf beyond float64's range, as a float cast would give."""
    try:
        return int(value.p) / int(value.q)  # Python rounds this division correctly
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def _elementwise(function: Callable) -> Callable:
    """A math-module function on numbers or arrays (numpy has no erf): a float64 scalar
    for a scalar, an array for an array."""
    ufunc = numpy.frompyfunc(function, 1, 1)
    return lambda value: numpy.asarray(ufunc(value), dtype=float)[()]


_ERFC = _elementwise(math.erfc)
_VECTOR_NAMES = {
    "erf": _elementwise(math.erf), "erfc": _ERFC, "erfc_of_negative": lambda v: _ERFC(-v),
    "expm1": numpy.expm1, "log1p": numpy.log1p, "sech": lambda v: 1 / numpy.cosh(v),
}


def float_arithmetic(chain: ScalarChain, name: str, stable: bool = False) -> Arithmetic:
    """numpy floats, on numbers or arrays; ``stable``: in the forms without cancellation
    (the float passes of ``eval`` take them as written, as a float program would)."""
    kind = FLOAT_TYPES[name]
    # numpy's select answers a Piecewise in float64 even for float32 input: cast back. (The
    # module itself, not the name "numpy": lambdify would run `from numpy import *`, which
    # loads numpy's f2py and more, a tenth of a second, for names it never calls.)
    sigma, cost = _compiled(chain, [_VECTOR_NAMES, numpy], cast=kind, stable=stable)
    layer = _compiled_layer(chain, [_VECTOR_NAMES, numpy], cast=kind)
    smallest_normal = numpy.finfo(kind).tiny
    return Arithmetic(
        name,
        number=lambda value: kind(_nearest_float(value)),
        sigma_and_derivative=sigma,
        cost_and_derivative=cost,
        scope=lambda: numpy.errstate(all="ignore"),
        normal=lambda value: numpy.isfinite(value) and abs(value) >= smallest_normal,
        exact_first_layer=False,
        layer=layer,
    )
