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

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import sympy

from symgrad.costs import cost_derivative_at
from symgrad.derive.chain import derive_chain
from symgrad.derive.matrix import derive_matrix
from symgrad.errors import SymgradError
from symgrad.expressions import FUNCTIONS, parse
from symgrad.networks import MatrixNet, ScalarChain
from symgrad.notation import (
    dC_daL,
    delta,
    delta_unit,
    entry,
    grad_a,
    grad_a_entry,
    grad_b,
    grad_b_entry,
    grad_w,
    grad_w_entry,
    layer_symbol,
    tied_symbol,
    x,
    y,
)
from symgrad.notation import (
    target as output_target,
)

MAX_VERIFY_DEPTH = 50
POINTS = 16  # random points a claim must match at: half anywhere, half with every unit active
CHECK_DIGITS = 30
SIMPLE = 16  # a ratio or difference with at most this many operations is shown
_TARGET = re.compile(r"(delta|grad_w|grad_b)(\d+)(?:_(\d+))?(?:_(\d+))?|input_gradient(?:_(\d+))?")


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
    chain: ScalarChain | MatrixNet
    target: str
    claim: sympy.Expr
    true: sympy.Expr  # the derivation's formula, in σ', the weights and ∂C/∂a_L
    true_concrete: sympy.Expr  # the same with the activation and cost written in
    correct: bool
    ratio: sympy.Expr | None  # claim/true when it simplifies to something short
    difference: sympy.Expr | None  # claim - true, when no short ratio exists but this is short
    equals: tuple[str, ...]  # the other quantities of the chain the claim equals
    counterexample: Counterexample | None  # None when the digits cannot show the error
    proved: bool = False  # certain: a counterexample, or claim - true simplifies to 0 or a number


_LABELS = {"delta": "δ", "grad_w": "∂C/∂w", "grad_b": "∂C/∂b"}
_SYMBOLS = {"delta": (delta, delta_unit), "grad_w": (grad_w, grad_w_entry),
            "grad_b": (grad_b, grad_b_entry)}


def target_label(target: str) -> str:
    """How a target reads: delta3 -> δ_3, delta2_1 -> δ^2_1, grad_w2_1_3 -> ∂C/∂w^2_13,
    input_gradient -> ∂C/∂a_0, input_gradient_2 -> ∂C/∂a^0_2."""
    kind, layer, *units, unit = _TARGET.fullmatch(target).groups()
    if kind is None:
        return "∂C/∂a_0" if unit is None else f"∂C/∂a^0_{unit}"
    units = [u for u in units if u]
    return f"{_LABELS[kind]}_{layer}" if not units else f"{_LABELS[kind]}^{layer}_{''.join(units)}"


def target_symbol(target: str) -> sympy.Expr:
    """The target as the notation's symbol, for the left of an equation."""
    kind, layer, *units, unit = _TARGET.fullmatch(target).groups()
    if kind is None:
        return grad_a(0) if unit is None else grad_a_entry(0, int(unit))
    indices = [int(layer), *(int(u) for u in units if u)]
    scalar, entry_function = _SYMBOLS[kind]
    return scalar(indices[0]) if len(indices) == 1 else entry_function(*indices)


@dataclass(frozen=True)
class _Subject:
    """What a claim is checked against: the quantities it may target, the names it may
    use, and how to write σ, σ' and the cost's derivative in."""

    quantities: dict[str, sympy.Expr]
    names: dict[str, sympy.Expr]
    concrete: Callable[[sympy.Expr], sympy.Expr]
    targets_hint: str


def _chain_subject(chain: ScalarChain) -> _Subject:
    derivation = derive_chain(chain, layers=range(1, chain.depth + 1))
    found = {}
    for gradient in derivation.layers:
        n = gradient.layer
        found[f"delta{n}"] = gradient.delta.doit()
        found[f"grad_w{n}"] = gradient.grad_w.doit()
        found[f"grad_b{n}"] = gradient.grad_b.doit()
    found["input_gradient"] = derivation.input_gradient.doit()
    names = {"x": x, "y": y, "dC_daL": dC_daL, "a0": layer_symbol("a", 0)}
    for n in range(1, chain.depth + 1):
        for kind in ("z", "a") + (() if chain.tied else ("w", "b")):
            names[f"{kind}{n}"] = layer_symbol(kind, n)
    if chain.tied:
        names.update(w=tied_symbol("w"), b=tied_symbol("b"))
    hint = (f"delta<l>, grad_w<l> or grad_b<l> with l from 1 to {chain.depth}, "
            "or input_gradient")
    return _Subject(found, names, derivation.concrete, hint)


def _net_subject(net: MatrixNet) -> _Subject:
    derivation = derive_matrix(net)
    widths, found = net.widths, {}
    for layer in range(1, net.depth + 1):
        for j in range(1, widths[layer] + 1):
            found[f"delta{layer}_{j}"] = derivation.delta_value(layer, j)
            found[f"grad_b{layer}_{j}"] = derivation.grad_b_value(layer, j)
            for k in range(1, widths[layer - 1] + 1):
                found[f"grad_w{layer}_{j}_{k}"] = derivation.grad_w_value(layer, j, k)
    for k in range(1, widths[0] + 1):
        found[f"input_gradient_{k}"] = sum(entry("w", 1, j, k) * derivation.delta_value(1, j)
                                           for j in range(1, widths[1] + 1))
    names = {f"y_{j}": output_target(j) for j in range(1, widths[-1] + 1)}
    for layer in range(net.depth + 1):
        for j in range(1, widths[layer] + 1):
            names[f"a_{layer}_{j}"] = entry("a", layer, j)
            if layer:
                names[f"z_{layer}_{j}"] = entry("z", layer, j)
                names[f"b_{layer}_{j}"] = entry("b", layer, j)
                for k in range(1, widths[layer - 1] + 1):
                    names[f"w_{layer}_{j}_{k}"] = entry("w", layer, j, k)
    hint = ("delta<l>_<j>, grad_w<l>_<j>_<k>, grad_b<l>_<j> or input_gradient_<k> for "
            f"widths {','.join(map(str, widths))}")
    return _Subject(found, names, derivation.concrete, hint)


def verify(spec: ScalarChain | MatrixNet, target: str, claim_text: str, seed: int = 0) -> Verdict:
    """Whether ``claim_text`` is the chain's (or small net's) ``target``, and if not, how."""
    if isinstance(spec, ScalarChain) and not 1 <= spec.depth <= MAX_VERIFY_DEPTH:
        raise SymgradError(f"verify takes depths 1 to {MAX_VERIFY_DEPTH}, not {spec.depth}.")
    subject = _chain_subject(spec) if isinstance(spec, ScalarChain) else _net_subject(spec)
    if target not in subject.quantities:
        raise SymgradError(f"Unknown target '{target}'; use {subject.targets_hint}.")
    claim = parse(claim_text, subject.names, frozenset(FUNCTIONS), what="claim")
    true = subject.quantities[target]
    points = _points(spec, seed)
    values = {name: _values(expr, points, spec) for name, expr in subject.quantities.items()}
    claimed = _values(claim, points, spec)
    correct = all(_same(c, t) for c, t in zip(claimed, values[target]))
    equals = tuple(name for name, v in values.items() if name != target and
                   all(_same(c, t) for c, t in zip(claimed, v)))
    concrete = subject.concrete(true)
    if correct:
        difference = _simplest(form(claim) - form(true) for form in (lambda e: e, subject.concrete))
        if not (difference.is_number and difference != 0):
            return Verdict(spec, target, claim, true, concrete, True, None, None, equals, None,
                           proved=difference == 0)  # (a nonzero number: off by too little to see)
        return Verdict(spec, target, claim, true, concrete, False, None, difference, (), None,
                       proved=True)
    ratio, difference = _explained(claim, true, subject.concrete)
    index = next(i for i, (c, t) in enumerate(zip(claimed, values[target])) if not _same(c, t))
    example = Counterexample(points[index].inputs, claimed[index], values[target][index])
    return Verdict(spec, target, claim, true, concrete, False, ratio, difference, equals, example,
                   proved=True)


def _explained(claim, true, concrete):
    """(claim/true, None) if the ratio is short, abstract or with the activation and cost
    written in; else (None, claim - true) if that is short; else (None, None)."""
    forms = (lambda e: e, concrete)
    ratio = _simplest(form(claim) / form(true) for form in forms)
    if sympy.count_ops(ratio) <= SIMPLE:
        return ratio, None
    difference = _simplest(form(claim) - form(true) for form in forms)
    if sympy.count_ops(difference) <= SIMPLE:
        return None, difference
    return None, None


MAX_EXPANDED_TERMS = 1_000  # a form that would expand to more terms is not cancelled


def _simplest(expressions) -> sympy.Expr:
    """The shortest of the expressions after cancelling (and factoring what is short).
    Products (the usual gradient) cancel their common factors by themselves; cancelling
    expands, so a form that would expand to many terms (a deep chain's product of
    1 - a_l²: 2^L) is left as SymPy has it."""
    found = []
    for expr in expressions:
        if _expanded_terms(expr) > MAX_EXPANDED_TERMS:
            found.append(expr)
            continue
        cancelled = sympy.cancel(sympy.together(expr))
        found.append(sympy.factor(cancelled) if sympy.count_ops(cancelled) <= 4 * SIMPLE
                     else cancelled)
    return min(found, key=sympy.count_ops)


def _expanded_terms(expr: sympy.Expr) -> int:
    """How many terms ``expr`` has once multiplied out (an upper bound)."""
    if expr.is_Add:
        return sum(_expanded_terms(term) for term in expr.args)
    if expr.is_Mul:
        return math.prod(_expanded_terms(factor) for factor in expr.args)
    if expr.is_Pow and expr.exp.is_Integer:
        return _expanded_terms(expr.base) ** min(abs(int(expr.exp)), 64)
    return 1


@dataclass(frozen=True)
class _Point:
    inputs: dict[str, mpmath.mpf]  # what was drawn
    values: dict[sympy.Symbol, mpmath.mpf]  # every name's value there


def _points(spec, seed: int) -> list[_Point]:
    """Random points with the forward pass run, at 40 digits (cross-entropy: 0 < a_L < 1).
    Half are drawn anywhere (weights of either sign); half with x, the weights and biases
    positive, where every unit of a relu-like net is active: drawn anywhere, a deep relu
    chain has a dead unit at nearly every point, its gradient is 0 there, and a wrong
    claim would match it."""
    rng = random.Random(seed)
    draw_point = _chain_point if isinstance(spec, ScalarChain) else _net_point
    sigma_of = sympy.lambdify(x, spec.activation.expr, "mpmath")
    found = []
    with mpmath.workdps(CHECK_DIGITS + 10):
        while len(found) < POINTS:
            point = draw_point(spec, _Draw(rng, active=len(found) >= POINTS // 2), sigma_of)
            if point is not None:
                found.append(point)
    return found


@dataclass(frozen=True)
class _Draw:
    rng: random.Random
    active: bool  # positive inputs, weights and biases

    def weight(self) -> mpmath.mpf:
        sign = 1 if self.active else self.rng.choice((-1, 1))
        return mpmath.mpf(repr(sign * self.rng.uniform(0.5, 1.5)))

    def bias(self) -> mpmath.mpf:
        return self.uniform(0, 0.5) if self.active else self.uniform(-0.5, 0.5)

    def input(self) -> mpmath.mpf:
        return self.uniform(0.1, 1) if self.active else self.uniform(-1, 1)

    def uniform(self, low, high) -> mpmath.mpf:
        return mpmath.mpf(repr(self.rng.uniform(low, high)))


def _chain_point(chain: ScalarChain, draw: _Draw, sigma_of) -> _Point | None:
    inputs = {"x": draw.input(), "y": draw.uniform(0.1, 0.9)}
    for n in range(1, (1 if chain.tied else chain.depth) + 1):
        key = "" if chain.tied else str(n)
        inputs["w" + key], inputs["b" + key] = draw.weight(), draw.bias()
    values = {x: inputs["x"], layer_symbol("a", 0): inputs["x"], y: inputs["y"]}
    if chain.tied:
        values.update({tied_symbol("w"): inputs["w"], tied_symbol("b"): inputs["b"]})
    a = inputs["x"]
    for n in range(1, chain.depth + 1):
        key = "" if chain.tied else str(n)
        w, b = inputs["w" + key], inputs["b" + key]
        z = w * a + b
        a = a + sigma_of(z) if chain.residual else sigma_of(z)
        values.update({layer_symbol("z", n): z, layer_symbol("a", n): a})
        if not chain.tied:
            values.update({layer_symbol("w", n): w, layer_symbol("b", n): b})
    output = layer_symbol("a", chain.depth)
    if chain.cost == "cross-entropy" and not 0 < values[output] < 1:
        return None
    gradient = cost_derivative_at(chain.cost, output)
    values[dC_daL] = sympy.lambdify([output, y], gradient, "mpmath")(values[output], values[y])
    return _Point(inputs, values)


def _net_point(net: MatrixNet, draw: _Draw, sigma_of) -> _Point | None:
    widths, inputs, values = net.widths, {}, {}
    for k in range(1, widths[0] + 1):
        inputs[f"a_0_{k}"] = values[entry("a", 0, k)] = draw.input()
    for j in range(1, widths[-1] + 1):
        inputs[f"y_{j}"] = values[output_target(j)] = draw.uniform(0.1, 0.9)
    for layer in range(1, net.depth + 1):
        for j in range(1, widths[layer] + 1):
            total = inputs[f"b_{layer}_{j}"] = draw.bias()
            values[entry("b", layer, j)] = total
            for k in range(1, widths[layer - 1] + 1):
                w = inputs[f"w_{layer}_{j}_{k}"] = values[entry("w", layer, j, k)] = draw.weight()
                total += w * values[entry("a", layer - 1, k)]
            values[entry("z", layer, j)] = total
            values[entry("a", layer, j)] = sigma_of(total)
    if net.cost == "cross-entropy" and not all(
            0 < values[entry("a", net.depth, j)] < 1 for j in range(1, widths[-1] + 1)):
        return None
    return _Point(inputs, values)


def _values(expr: sympy.Expr, points: list[_Point], spec) -> list[mpmath.mpf]:
    """``expr`` at each point: names by value, σ and σ' by the activation (compiled once)."""
    activation = spec.activation
    functions = {"sigma": sympy.lambdify(x, activation.expr, "mpmath"),
                 "dsigma": sympy.lambdify(x, activation.derivative, "mpmath")}
    names = sorted(expr.free_symbols, key=str)
    with mpmath.workdps(CHECK_DIGITS + 10):
        function = sympy.lambdify(names, expr, [functions, "mpmath"])
        found = []
        for point in points:
            try:
                found.append(mpmath.mpf(function(*(point.values[s] for s in names))))
            except (ZeroDivisionError, ValueError, TypeError):
                found.append(mpmath.mpf("nan"))
        return found


def _same(first, second) -> bool:
    with mpmath.workdps(CHECK_DIGITS + 10):
        if not (mpmath.isfinite(first) and mpmath.isfinite(second)):
            return False
        return abs(first - second) <= mpmath.mpf(10) ** -CHECK_DIGITS * max(abs(second), abs(first))
