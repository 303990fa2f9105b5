"""Costs C(a_L, y); their derivative ∂C/∂a_L is derived by SymPy."""

from __future__ import annotations

import difflib
from functools import cache

import sympy

from symgrad.errors import SymgradError
from symgrad.notation import y
from symgrad.tidy import tidy_signs

_a = sympy.Symbol("a", real=True)

COSTS: dict[str, sympy.Expr] = {
    "quadratic": (_a - y) ** 2 / 2,
    "cross-entropy": -(y * sympy.log(_a) + (1 - y) * sympy.log(1 - _a)),
}


def check_cost(name: str) -> str:
    if name not in COSTS:
        close = difflib.get_close_matches(name, list(COSTS), n=1, cutoff=0.4)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise SymgradError(f"Unknown cost '{name}'; known ones are {', '.join(COSTS)}.{hint}")
    return name


def cost_at(name: str, output: sympy.Expr) -> sympy.Expr:
    """C(a_L = output, y)."""
    return COSTS[check_cost(name)].xreplace({_a: output})


@cache
def _cost_derivative(name: str) -> sympy.Expr:
    return tidy_signs(sympy.factor(sympy.together(sympy.diff(COSTS[name], _a))))


def cost_derivative_at(name: str, output: sympy.Expr) -> sympy.Expr:
    """∂C/∂a_L at a_L = output, in its simplest factored form."""
    return _cost_derivative(check_cost(name)).xreplace({_a: output})


# Where a cost is defined: an open interval of a_L (costs not listed: everywhere).
OPEN_DOMAINS = {"cross-entropy": (0, 1)}


def check_output(name: str, output) -> None:
    """Refuse an output a_L (a number of any kind) outside the cost's domain."""
    if name in OPEN_DOMAINS:
        low, high = OPEN_DOMAINS[name]
        if not low < output < high:
            raise SymgradError(
                f"The {name} cost needs {low} < a_L < {high}, but the output is "
                f"a_L = {output}; choose another input, activation or cost."
            )


def check_run_output(name: str, output, enclosure) -> None:
    """Refuse a run's output only if it is certainly outside the cost's domain: a run can
    round an output inside it onto its edge (σ(100) is 1 at 31 digits; more digits show
    1 - 3.7·10^-44), so an output on or past the edge is refused only when
    ``enclosure()``, a certified enclosure of it at the run's digits (an interval, or
    None), lies wholly outside."""
    if name not in OPEN_DOMAINS:
        return
    low, high = OPEN_DOMAINS[name]
    if low < output < high:
        return
    try:
        bounds = enclosure()
    except SymgradError:  # the enclosure could not be formed (it straddled a kink)
        return
    if bounds is not None and (bounds.hi <= low or bounds.lo >= high):
        check_output(name, output)
