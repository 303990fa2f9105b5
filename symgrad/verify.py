"""``symgrad verify``: is a hand-derived gradient of a scalar chain right, and if not,
exactly how is it wrong?

The claim is read by ``symgrad.expressions`` (never ``eval``) in the chain's names
(x, y, a0..aL, z1..zL, w1..wL, b1..bL, dC_daL; sigma(z), dsigma(z)). It is compared with
the derivation at random points of the chain: x, the weights, biases and y drawn, the
forward pass run, and every name given its value there, at 40 digits. Equal to 30
digits at every point is correct (two formulas that differ agree at a random point only
by accident). Otherwise the answer says by what factor (claim/true, simplified, when it
is short), which quantity of the chain the claim equals if any (w_1…w_L σ'… is ∂C/∂a_0,
not ∂C/∂b_1), a counterexample point, and the correct formula.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import mpmath
import sympy

from symgrad.costs import cost_derivative_at
from symgrad.derive.chain import ChainDerivation, derive_chain
from symgrad.errors import SymgradError
from symgrad.expressions import FUNCTIONS, parse
from symgrad.networks import ScalarChain
from symgrad.notation import (
    dC_daL,
    delta,
    grad_a,
    grad_b,
    grad_w,
    layer_symbol,
    tied_symbol,
    x,
    y,
)

MAX_VERIFY_DEPTH = 50
POINTS = 6  # random points a claim must match at
CHECK_DIGITS = 30
SIMPLE = 16  # a ratio or difference with at most this many operations is shown
_TARGET = re.compile(r"(delta|grad_w|grad_b)(\d+)|input_gradient")


@dataclass(frozen=True)
class Counterexample:
    point: dict[str, mpmath.mpf]  # x, y, w1.., b1..
    claimed: mpmath.mpf
    true: mpmath.mpf

    @property
    def ratio(self) -> mpmath.mpf | None:
        return self.claimed / self.true if self.true else None


@dataclass(frozen=True)
class Verdict:
    chain: ScalarChain
    target: str
    claim: sympy.Expr
    true: sympy.Expr  # the derivation's formula, in σ', the weights and ∂C/∂a_L
    true_concrete: sympy.Expr  # the same with the activation and cost written in
    correct: bool
    ratio: sympy.Expr | None  # claim/true when it simplifies to something short
    difference: sympy.Expr | None  # claim - true, when no short ratio exists but this is short
    equals: tuple[str, ...]  # the other quantities of the chain the claim equals
    counterexample: Counterexample | None


_LABELS = {"delta": ("δ_{}", delta), "grad_w": ("∂C/∂w_{}", grad_w),
           "grad_b": ("∂C/∂b_{}", grad_b)}


def target_label(target: str) -> str:
    """How a target reads: delta3 -> δ_3, input_gradient -> ∂C/∂a_0."""
    match = _TARGET.fullmatch(target)
    return "∂C/∂a_0" if match[1] is None else _LABELS[match[1]][0].format(match[2])


def target_symbol(target: str) -> sympy.Expr:
    """The target as the notation's symbol, for the left of an equation."""
    match = _TARGET.fullmatch(target)
    return grad_a(0) if match[1] is None else _LABELS[match[1]][1](int(match[2]))


def quantities(derivation: ChainDerivation) -> dict[str, sympy.Expr]:
    """Every quantity a claim may target, by its target name."""
    found = {}
    for gradient in derivation.layers:
        n = gradient.layer
        found[f"delta{n}"] = gradient.delta.doit()
        found[f"grad_w{n}"] = gradient.grad_w.doit()
        found[f"grad_b{n}"] = gradient.grad_b.doit()
    found["input_gradient"] = derivation.input_gradient.doit()
    return found


def claim_names(chain: ScalarChain) -> dict[str, sympy.Expr]:
    names = {"x": x, "y": y, "dC_daL": dC_daL, "a0": layer_symbol("a", 0)}
    for n in range(1, chain.depth + 1):
        for kind in ("z", "a") + (() if chain.tied else ("w", "b")):
            names[f"{kind}{n}"] = layer_symbol(kind, n)
    if chain.tied:
        names.update(w=tied_symbol("w"), b=tied_symbol("b"))
    return names


def verify(chain: ScalarChain, target: str, claim_text: str, seed: int = 0) -> Verdict:
    if not 1 <= chain.depth <= MAX_VERIFY_DEPTH:
        raise SymgradError(f"verify takes depths 1 to {MAX_VERIFY_DEPTH}, not {chain.depth}.")
    derivation = derive_chain(chain, layers=range(1, chain.depth + 1))
    known = quantities(derivation)
    if target not in known:
        raise SymgradError(f"Unknown target '{target}'; use delta<l>, grad_w<l> or grad_b<l> "
                           f"with l from 1 to {chain.depth}, or input_gradient.")
    claim = parse(claim_text, claim_names(chain), frozenset(FUNCTIONS), what="claim")
    true = known[target]
    points = _points(chain, seed)
    values = {name: [_value(expr, point, chain) for point in points] for name, expr in known.items()}
    claimed = [_value(claim, point, chain) for point in points]
    correct = all(_same(c, t) for c, t in zip(claimed, values[target]))
    equals = tuple(name for name, v in values.items() if name != target and
                   all(_same(c, t) for c, t in zip(claimed, v)))
    if correct:
        return Verdict(chain, target, claim, true, derivation.concrete(true), True, None, None,
                       equals, None)
    ratio, difference = _explained(claim, true, derivation)
    index = next(i for i, (c, t) in enumerate(zip(claimed, values[target])) if not _same(c, t))
    example = Counterexample(points[index].inputs, claimed[index], values[target][index])
    return Verdict(chain, target, claim, true, derivation.concrete(true), False, ratio,
                   difference, equals, example)


def _explained(claim, true, derivation: ChainDerivation):
    """(claim/true, None) if the ratio is short, abstract or with the activation and cost
    written in; else (None, claim - true) if that is short; else (None, None)."""
    ratios = [sympy.factor(sympy.cancel(sympy.together(form(claim) / form(true))))
              for form in (lambda e: e, derivation.concrete)]
    ratio = min(ratios, key=sympy.count_ops)
    if sympy.count_ops(ratio) <= SIMPLE:
        return ratio, None
    difference = sympy.factor(sympy.cancel(sympy.together(claim - true)))
    return None, difference if sympy.count_ops(difference) <= SIMPLE else None


@dataclass(frozen=True)
class _Point:
    inputs: dict[str, mpmath.mpf]  # what was drawn
    values: dict[sympy.Symbol, mpmath.mpf]  # every name's value there


def _points(chain: ScalarChain, seed: int) -> list[_Point]:
    """Random points with the forward pass run, at 40 digits (cross-entropy: 0 < a_L < 1)."""
    rng = random.Random(seed)
    sigma_of = sympy.lambdify(x, chain.activation.expr, "mpmath")
    found = []
    with mpmath.workdps(CHECK_DIGITS + 10):
        while len(found) < POINTS:
            draw = {"x": rng.uniform(-1, 1), "y": rng.uniform(0.1, 0.9)}
            count = 1 if chain.tied else chain.depth
            for n in range(1, count + 1):
                key = "" if chain.tied else str(n)
                draw["w" + key] = rng.choice((-1, 1)) * rng.uniform(0.5, 1.5)
                draw["b" + key] = rng.uniform(-0.5, 0.5)
            inputs = {k: mpmath.mpf(repr(v)) for k, v in draw.items()}
            values = {x: inputs["x"], layer_symbol("a", 0): inputs["x"], y: inputs["y"]}
            a = inputs["x"]
            for n in range(1, chain.depth + 1):
                key = "" if chain.tied else str(n)
                w, b = inputs["w" + key], inputs["b" + key]
                z = w * a + b
                a = a + sigma_of(z) if chain.residual else sigma_of(z)
                values.update({layer_symbol("z", n): z, layer_symbol("a", n): a})
                if not chain.tied:
                    values.update({layer_symbol("w", n): w, layer_symbol("b", n): b})
            if chain.tied:
                values.update({tied_symbol("w"): inputs["w"], tied_symbol("b"): inputs["b"]})
            output = layer_symbol("a", chain.depth)
            if chain.cost == "cross-entropy" and not 0 < values[output] < 1:
                continue
            gradient = cost_derivative_at(chain.cost, output)
            values[dC_daL] = sympy.lambdify([output, y], gradient, "mpmath")(values[output], values[y])
            found.append(_Point(inputs, values))
    return found


def _value(expr: sympy.Expr, point: _Point, chain: ScalarChain) -> mpmath.mpf:
    """``expr`` at the point: names by value, σ and σ' by the chain's activation."""
    activation = chain.activation
    functions = {"sigma": sympy.lambdify(x, activation.expr, "mpmath"),
                 "dsigma": sympy.lambdify(x, activation.derivative, "mpmath")}
    names = sorted(expr.free_symbols, key=str)
    unknown = [s for s in names if s not in point.values]
    if unknown:  # a name the chain has no value for (not possible for parsed claims)
        raise SymgradError(f"The claim uses {unknown[0]}, which this chain has no value for.")
    with mpmath.workdps(CHECK_DIGITS + 10):
        function = sympy.lambdify(names, expr, [functions, "mpmath"])
        try:
            return mpmath.mpf(function(*(point.values[s] for s in names)))
        except (ZeroDivisionError, ValueError, TypeError):
            return mpmath.mpf("nan")


def _same(first, second) -> bool:
    with mpmath.workdps(CHECK_DIGITS + 10):
        if not (mpmath.isfinite(first) and mpmath.isfinite(second)):
            return False
        return abs(first - second) <= mpmath.mpf(10) ** -CHECK_DIGITS * max(abs(second), abs(first))

