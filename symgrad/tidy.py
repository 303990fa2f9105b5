"""Sign tidying for display: -a(a - 1) reads better as a(1 - a)."""

import sympy


def tidy_signs(expr: sympy.Expr) -> sympy.Expr:
    """Give each sum factor a non-negative constant term, moving signs outwards.

    -a(a - 1) becomes a(1 - a); (y - a)/(a(a - 1)) becomes (a - y)/(a(1 - a)).
    A sign left over is absorbed by the first sum in the numerator.
    """
    numerator, denominator = sympy.fraction(expr)
    sign = 1

    def flip_sums(factors):
        nonlocal sign
        tidied = []
        for factor in factors:
            if factor.is_Number and factor < 0:
                sign, factor = -sign, -factor
            elif isinstance(factor, sympy.Add) and factor.as_coeff_Add()[0] < 0:
                sign, factor = -sign, sympy.expand(-factor)
            tidied.append(factor)
        return tidied

    top = flip_sums(sympy.Mul.make_args(numerator))
    bottom = flip_sums(sympy.Mul.make_args(denominator))
    if sign < 0:
        sums = [i for i, factor in enumerate(top) if isinstance(factor, sympy.Add)]
        if sums:
            top[sums[0]] = sympy.expand(-top[sums[0]])
        else:
            top.insert(0, sympy.S.NegativeOne)
    return sympy.Mul(*top) / sympy.Mul(*bottom)
