"""The forms an expression is evaluated in: the same function, without cancellation.

tanh'(z) = 1 - tanh(z)² subtracts two numbers that agree to 0.87 z digits: at z = 100
and 50 working digits it is exactly 0, in every run, so no rise of the digits shows the
loss (the true value is 5.5·10^-87). The same happens to softplus = log(1 + e^z) for
z ≪ 0, to elu's e^z - 1 near 0, and to gelu's 1 + erf(z/√2) for z ≪ 0. Each such sum is
rewritten with the function made for it:

    k - k tanh(u)²  →  k sech(u)²        k e^u - k  →  k expm1(u)
    k erf(u) + k    →  k erfc(-u)        k - k erf(u)  →  k erfc(u)
    log(1 + u)      →  log1p(u)

(SymPy writes erfc(-u) as 2 - erfc(u), which cancels again: ``erfc_of_negative`` keeps
it as written; each number kind supplies it.)

The rewritten expression is equal to the original for every real input (the tests check
this by sympy.simplify and at sample points); the notation still prints the original.
"""

from __future__ import annotations

import functools

import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.codegen.numpy_nodes import logaddexp

from symgrad.notation import y


class erfc_of_negative(sympy.Function):  # noqa: N801 (printed as the name the kinds supply)
    """erfc(-u), which SymPy would rewrite as 2 - erfc(u)."""

    nargs = 1


def without_cancellation(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each cancelling sum above replaced by its cancellation-free form."""
    expr = expr.replace(lambda e: isinstance(e, sympy.log) and _has_one(e.args[0]),
                        lambda e: log1p(e.args[0] - 1))
    return expr.replace(lambda e: e.is_Add, _rewritten_sum)


def _has_one(expr: sympy.Expr) -> bool:
    return expr.is_Add and expr.as_coeff_Add()[0] == 1


def _rewritten_sum(total: sympy.Add) -> sympy.Expr:
    constant, rest = total.as_coeff_Add()
    if constant == 0:
        return total
    for term in sympy.Add.make_args(rest):
        coefficient, factor = term.as_coeff_Mul()
        replacement = _paired(factor, coefficient, constant)
        if replacement is not None:
            return total - constant - term + replacement
    return total


def _paired(factor: sympy.Expr, coefficient, constant) -> sympy.Expr | None:
    """``coefficient·factor + constant`` in a form without cancellation, if there is one."""
    if isinstance(factor, sympy.exp) and constant == -coefficient:
        return coefficient * expm1(factor.args[0])
    if isinstance(factor, sympy.erf) and constant == coefficient:
        return coefficient * erfc_of_negative(factor.args[0])
    if isinstance(factor, sympy.erf) and constant == -coefficient:
        return constant * sympy.erfc(factor.args[0])
    if factor.is_Pow and factor.exp == 2 and isinstance(factor.base, sympy.tanh) \
            and constant == -coefficient:
        return constant * sympy.sech(factor.base.args[0]) ** 2
    return None


def signed_log(expr: sympy.Expr, known: dict | None = None) -> tuple[sympy.Expr, sympy.Expr]:
    """(sign(expr), ln|expr|) as expressions whose float evaluation neither under- nor
    overflows where the logarithm is a float: a product as the sum of its factors'
    logarithms, a power as a multiple, ln e^u = u, ln sech u = ln 2 - |u| - log1p(e^-2|u|),
    a sum of positive terms through logaddexp. sigmoid's σ'(z) = e^-z/(1 + e^-z)², which is
    0 in float64 from |z| = 746 on, becomes -z - 2·logaddexp(0, -z), finite for every z.
    What no rule reaches (a sum whose terms may be negative, as gelu's σ') stays
    ln|expr| of the float value, with its sign. ``known``: symbol -> its (sign, ln|·|)."""
    known = known or {}
    if expr in known:
        return known[expr]
    if isinstance(expr, sympy.Piecewise):
        pairs = [(signed_log(piece, known), condition) for piece, condition in expr.args]
        return (sympy.Piecewise(*[(pair[0], c) for pair, c in pairs]),
                sympy.Piecewise(*[(pair[1], c) for pair, c in pairs]))
    if expr.is_Number:
        return sympy.sign(expr), (sympy.log(abs(expr)) if expr != 0 else -sympy.oo)
    if isinstance(expr, sympy.Mul):
        parts = [signed_log(factor, known) for factor in expr.args]
        return sympy.Mul(*(s for s, _ in parts)), sympy.Add(*(log for _, log in parts))
    if isinstance(expr, sympy.Pow) and expr.exp.is_Number and \
            (expr.base.is_positive or expr.exp.is_even):
        sign, log = signed_log(expr.base, known)
        return sign ** expr.exp if expr.exp.is_integer else sympy.S.One, expr.exp * log
    if isinstance(expr, sympy.exp):
        return sympy.S.One, expr.args[0]
    if isinstance(expr, (sympy.sech, sympy.cosh)):
        magnitude = sympy.Abs(expr.args[0])
        log_cosh = magnitude + log1p(sympy.exp(-2 * magnitude)) - sympy.log(2)
        return sympy.S.One, (-log_cosh if isinstance(expr, sympy.sech) else log_cosh)
    if isinstance(expr, sympy.Add) and all(term.is_positive for term in expr.args):
        logs = [signed_log(term, known)[1] for term in expr.args]
        total = logs[0]
        for log in logs[1:]:
            total = logaddexp(total, log)
        return sympy.S.One, total
    return sympy.sign(expr), sympy.log(sympy.Abs(expr))


@functools.cache
def cross_entropy_of_preactivation(activation_expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """Cross-entropy C = -(y log a + (1 - y) log(1 - a)) and ∂C/∂a = -y/a + (1 - y)/(1 - a)
    at a = σ(x), with 1 - σ(x) brought over one denominator (sigmoid: 1/(e^x + 1)) and the
    logarithms expanded, then without cancellation: sigmoid's C is y log1p(e^-x) +
    (1 - y) log1p(e^x). Nothing is divided by a rounded 1 - a, so a_L = 1 to every working
    precision (x = 10^300) still gives ∂C/∂a_L = -1 at y = 1, as it is (δ_L = a_L - y)."""
    a = activation_expr
    complement = sympy.together(1 - a)
    log_a = sympy.expand_log(sympy.log(a), force=True)
    log_complement = sympy.expand_log(sympy.log(complement), force=True)
    cost = -(y * log_a + (1 - y) * log_complement)
    derivative = -y / a + (1 - y) / complement
    return without_cancellation(cost), without_cancellation(derivative)
