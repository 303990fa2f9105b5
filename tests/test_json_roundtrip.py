"""Every expression string in symgrad's JSON parses back to the object it came from.

Each string is read with ``sympy.parse_expr`` (names mapped to the object's own
symbols and functions) and compared with the object it was printed from, multiplied
out here (a ``Factors`` is a product, a ``Terms`` a sum): numerically at random
points, with the abstract σ, σ', δ, ... replaced by the same stand-in functions on
both sides. The written-out layers are also evaluated at a forward pass and compared
with ``sympy.diff`` of the composed network (tests/oracle.py). Matrix products,
which do not commute, are compared factor by factor, in order. A walk of the whole
JSON checks that no string was left unread.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import re
import typing

import mpmath
import pytest
import sympy
from sympy.parsing.sympy_parser import parse_expr

import symgrad
from symgrad import api, notation
from symgrad.activations import activation_table
from symgrad.render import FILE_ONLY_FORMATS, FORMATS, Slides, printing, render, render_pdf
from symgrad.render.document import document
from symgrad.render.formats import PRINTERS
from symgrad.render.json import json_object
from tests.clirun import symgrad as symgrad_cli
from tests.oracle import COST_EXPRESSIONS, close, mp_forward_with, random_point, substitute_forward
from tests.oracle import sympy_diff_gradient as oracle_gradient
from tests.oracle_matrix import (
    evaluate_at,
    forward_values,
    point_as_mpf,
    random_net_point,
    sympy_diff_net,
)

# -- the objects, multiplied out ---------------------------------------------------------


def multiplied(expr):
    """``expr`` with every Factors a Mul and every Terms an Add, at any depth."""
    if isinstance(expr, notation.Factors):
        return sympy.Mul(*[multiplied(f) for group in expr.args for f in group])
    if isinstance(expr, notation.Terms):
        return sympy.Add(*[multiplied(t) for t in expr.args])
    if isinstance(expr, notation.MatrixChain):
        return expr  # compared factor by factor
    if isinstance(expr, sympy.Basic) and expr.args:
        return expr.func(*[multiplied(a) for a in expr.args])
    return expr


# The JSON names of the notation's functions (docs/json.md, "Names"): chain quantities at a
# concrete layer glue the index on (delta1), matrix entries join with _ (delta_2_1),
# matrix-form factors join with _ at a number (W_2); anything else is a call, f(l + 1).
CHAIN_QUANTITIES = {notation.delta: "delta", notation.grad_w: "grad_w",
                    notation.grad_b: "grad_b", notation.grad_a: "grad_a"}
ENTRY_QUANTITIES = {notation.delta_unit: "delta", notation.grad_w_entry: "grad_w",
                    notation.grad_b_entry: "grad_b", notation.grad_a_entry: "grad_a"}
MATRIX_FACTORS = {notation.WeightMatrix: "W", notation.DerivativeMatrix: "D",
                  notation.DeltaVector: "delta", notation.ActivationVector: "a",
                  notation.GradWeightMatrix: "grad_W", notation.CostGradient: "grad_a_C",
                  notation.InputOutputJacobian: "jacobian", notation.grad_a_vector: "grad_a"}


def names_of(obj) -> dict:
    """The local dict for parse_expr: every name the object uses, mapped to its own atom."""
    names = {}
    if not isinstance(obj, sympy.Basic):
        return names
    for atom in obj.atoms(sympy.Symbol):
        names[atom.name] = atom
    for atom in obj.atoms(sympy.Indexed):
        names[str(atom.base)] = atom.base
    for applied in obj.atoms(sympy.Function):
        cls = type(applied)
        table = {**CHAIN_QUANTITIES, **ENTRY_QUANTITIES, **MATRIX_FACTORS}
        name = table.get(cls)
        if name is None:
            if cls.__module__ == "symgrad.notation":
                names[cls.__name__] = cls  # sigma, dsigma, log10, transpose below
            continue
        args = applied.args
        if all(a.is_Integer for a in args):
            joined = name + "".join(map(str, args)) if cls in CHAIN_QUANTITIES else \
                "_".join([name, *map(str, args)])
            names[joined] = applied
        else:
            names[name] = cls
    names["transpose"] = notation.Transposed
    names["matrix_ellipsis"] = notation.MatrixEllipsis()
    return names


def parse(text: str, obj, evaluate=True):
    assert isinstance(text, str), text
    return parse_expr(text, local_dict=names_of(obj), evaluate=evaluate)


# -- numeric comparison ---------------------------------------------------------------------


def _stand_in(applied):
    """An abstract function (σ, σ', δ_l, ∂C/∂a^L_j, ...) as a fixed smooth function of its
    arguments, the same on both sides of a comparison."""
    name = type(applied).__name__
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 97
    argument = sum((i + 2) * a for i, a in enumerate(applied.args))
    return sympy.Rational(seed + 3, 50) + sympy.cos(sympy.Rational(seed + 1, 13) * argument)


def _numbers(expr, values: dict, depth_values: dict):
    """``expr`` at the point: L and l fixed first (so products and sums have bounds),
    then every abstract function a stand-in, every symbol a number."""
    expr = expr.subs(depth_values).doit()
    expr = expr.replace(
        lambda e: isinstance(e, sympy.Function) and type(e).__module__ == "symgrad.notation",
        _stand_in)
    atoms = sorted(expr.atoms(sympy.Symbol, sympy.Indexed), key=str)
    rule = {}
    for atom in atoms:
        key = str(atom)
        if key not in values:
            rng = random.Random(f"{key} {values['__trial__']}")
            low, high = (0.15, 0.85) if re.match(r"^(a|y)", key) else (-1.2, 1.2)
            values[key] = sympy.Rational(round(rng.uniform(low, high), 5)).limit_denominator(10**6)
        rule[atom] = values[key]
    return sympy.N(expr.xreplace(rule), 40)


def tolerance(expected):
    """Exact values agree to the 40 digits compared; a Float (a numerically found sup) to
    its own precision."""
    bits = [f._prec for f in sympy.sympify(expected).atoms(sympy.Float)]
    return sympy.Float(10) ** -25 + (sympy.Float(2) ** (2 - min(bits)) if bits else 0)


def same_value(parsed, expected, what=""):
    """Equal at three random points (each abstract symbol at its own value)."""
    parsed, expected = sympy.sympify(parsed), multiplied(sympy.sympify(expected))
    symbolic = {s for s in expected.free_symbols | parsed.free_symbols
                if isinstance(s, sympy.Symbol) and s.name in ("L", "l")}
    for trial in range(3):
        depth_values = {s: (5 + trial if s.name == "L" else 2 + trial % 2) for s in symbolic}
        values = {"__trial__": trial}
        got = _numbers(parsed, values, depth_values)
        want = _numbers(expected, values, depth_values)
        assert got.is_number and want.is_number, (what, got, want)
        if not (want.is_finite and got.is_finite):  # ±oo (a sup approached at infinity)
            assert got == want, what
            continue
        scale = abs(want) if want != 0 else 1  # relative: a deep product can be 10^-300
        assert abs(got - want) <= tolerance(expected) * scale, (what, got, want)


def same_matrix_product(text: str, chain: notation.MatrixChain, what=""):
    parsed = parse(text, chain, evaluate=False)
    factors = tuple(f.doit() for f in sympy.Mul.make_args(parsed))  # l - 1, not l - 1*1
    assert factors == tuple(chain.args), (what, text, chain)


def check_expression(text, obj, checked: set, path: str):
    """``text`` parses to ``obj``; records ``path`` as read."""
    checked.add(path)
    if isinstance(obj, notation.MatrixChain):
        same_matrix_product(text, obj, path)
    elif isinstance(obj, sympy.FiniteSet):
        parsed = parse(text, obj)
        assert isinstance(parsed, sympy.FiniteSet) and len(parsed) == len(obj), (path, text)
        for got, want in zip(parsed.args, obj.args):
            same_value(got, want, path)
    elif isinstance(obj, sympy.Set):
        assert parse(text, obj) == obj, (path, text, obj)
    else:
        same_value(parse(text, obj), obj, f"{path}: {text}")


# -- the walk ---------------------------------------------------------------------------------


def strings(data, path=""):
    """{path: string} of every string in the JSON."""
    found = {}
    if isinstance(data, dict):
        for key, value in data.items():
            found.update(strings(value, f"{path}.{key}"))
    elif isinstance(data, list):
        for number, value in enumerate(data):
            found.update(strings(value, f"{path}[{number}]"))
    elif isinstance(data, str):
        found[path] = data
    return found


# Strings that are names, words or decimals, not expressions.
NOT_EXPRESSIONS = re.compile(
    r"\.(command|activation|cost|layer|name|title|regime|verdict|mode|kind|parameters|target"
    r"|words|symbolic|arithmetic|depth|decimal|numeric|rate|log10_abs_\w+|upper_bound|lower_bound"
    r"|overflow_depth|underflow_depth)$"
    r"|\.equals\[\d+\]$|\.counterexample\.|\.(upper_bound|lower_bound|float_limits)\b.*\.(lo|hi)$"
)


def assert_all_read(data, checked: set, prefix=""):
    unread = {p: s for p, s in strings(data, prefix).items()
              if p not in checked and not NOT_EXPRESSIONS.search(p)}
    assert not unread, f"strings no test read: {unread}"


def check_equations(entries, equations, checked, path, concrete_of=None):
    assert len(entries) == len(equations), path
    for number, (entry, equation) in enumerate(zip(entries, equations)):
        where = f"{path}[{number}]"
        check_expression(entry["lhs"], equation.lhs, checked, f"{where}.lhs")
        check_expression(entry["rhs"], equation.rhs, checked, f"{where}.rhs")
        if equation.concrete is not None:
            check_expression(entry["concrete"], equation.concrete, checked, f"{where}.concrete")
        else:
            assert "concrete" not in entry
        if equation.index_range is not None:
            for key, value in zip(("index", "from", "to"), equation.index_range):
                check_expression(entry["range"][key], value, checked, f"{where}.range.{key}")


def check_activation(data, activation, checked, path, keys):
    formula, derivative, through = keys
    check_expression(data[formula], activation.expr, checked, f"{path}.{formula}")
    check_expression(data[derivative], activation.derivative, checked, f"{path}.{derivative}")
    if through is not None and activation.derivative_through_output is not None:
        check_expression(data[through], activation.derivative_through_output, checked,
                         f"{path}.{through}")


def check_chain_json(data, derivation, checked, path=""):
    chain = derivation.chain
    check_activation(data, chain.activation, checked, path,
                     ("activation_formula", "activation_derivative",
                      "activation_derivative_through_output"))
    for key in ("forward", "recursion", "closed_form", "tied_totals"):
        if key in data or getattr(derivation, key):
            check_equations(data[key], getattr(derivation, key), checked, f"{path}.{key}")
    assert [entry["layer"] for entry in data["layers"]] == [g.layer for g in derivation.layers]
    for number, (entry, gradient) in enumerate(zip(data["layers"], derivation.layers)):
        where = f"{path}.layers[{number}]"
        for key, obj in (("delta", derivation.concrete(gradient.delta)),
                         ("grad_w", derivation.concrete(gradient.grad_w)),
                         ("grad_b", derivation.concrete(gradient.grad_b)),
                         ("delta_abstract", gradient.delta)):
            check_expression(entry[key], obj, checked, f"{where}.{key}")
    if derivation.input_gradient is not None:
        check_expression(data["input_gradient"], derivation.concrete(derivation.input_gradient),
                         checked, f"{path}.input_gradient")
        check_expression(data["input_gradient_abstract"], derivation.input_gradient, checked,
                         f"{path}.input_gradient_abstract")
    assert_all_read(data, checked, path)


def check_matrix_json(data, derivation, checked, path=""):
    net = derivation.net
    check_activation(data, net.activation, checked, path,
                     ("activation_formula", "activation_derivative", None))
    for key in ("forward", "output_errors", "recursion", "gradients", "matrix_form",
                "general_form", "paths"):
        check_equations(data[key], getattr(derivation, key), checked, f"{path}.{key}")
    widths = net.widths
    for number, entry in enumerate(data["layers"]):
        layer, where = number + 1, f"{path}.layers[{number}]"
        assert entry["layer"] == layer
        for j in range(1, widths[layer] + 1):
            # δ^l_j through δ^{l+1}: the recursion's concrete side (the output layer: δ^L_j)
            source = derivation.output_errors if layer == net.depth else derivation.recursion
            equation = next(e for e in source if e.lhs == notation.delta_unit(layer, j))
            check_expression(entry["delta"][j - 1], derivation.concrete(equation.rhs), checked,
                             f"{where}.delta[{j - 1}]")
            check_expression(entry["grad_b"][j - 1], notation.delta_unit(layer, j), checked,
                             f"{where}.grad_b[{j - 1}]")
            for k in range(1, widths[layer - 1] + 1):
                check_expression(entry["grad_w"][j - 1][k - 1],
                                 notation.entry("a", layer - 1, k) * notation.delta_unit(layer, j),
                                 checked, f"{where}.grad_w[{j - 1}][{k - 1}]")
    assert_all_read(data, checked, path)


# -- derivations of chains ------------------------------------------------------------------

CUSTOM = "x/(1 + exp(-x))"
CHAINS = [
    # depth, act, residual, tied, cost
    (2, "sigmoid", False, False, "quadratic"),
    (3, "tanh", False, False, "quadratic"),
    (3, "sigmoid", False, False, "cross-entropy"),
    (3, "relu", False, False, "quadratic"),
    (3, "leaky_relu:0.1", True, False, "quadratic"),
    (3, "relu", True, True, "quadratic"),
    (2, "gelu", False, True, "quadratic"),
    (3, "elu:0.5", True, False, "cross-entropy"),
    (3, "softplus", False, True, "cross-entropy"),
    (4, CUSTOM, True, False, "quadratic"),
    (1, "sigmoid", False, False, "quadratic"),
    (1, "tanh", True, True, "quadratic"),
    (None, "sigmoid", False, False, "quadratic"),
    (None, "relu", True, False, "cross-entropy"),
    (None, "tanh", False, True, "quadratic"),
    (None, "leaky_relu", True, True, "quadratic"),
    (None, CUSTOM, False, False, "cross-entropy"),
]


# products longer than PLAIN_MUL_UP_TO factors print in the order written; the threshold
# is lowered to LONG so that short chains take that path (at the real 200, depth 110)
LONG = 20
LONG_CHAINS = [
    (12, "tanh", False, False, "quadratic"),  # δ_1: 24 factors, past LONG: as written
    (22, "sigmoid", True, True, "cross-entropy"),  # 23 residual factors: past it too
]


def chain_id(case):
    depth, act, residual, tied, cost = case
    kind = "+".join(k for k, on in (("residual", residual), ("tied", tied)) if on) or "plain"
    return f"{depth or 'L'}-{act}-{kind}-{cost}"


@pytest.mark.parametrize("case", CHAINS, ids=chain_id)
def test_chain_json_parses_back(case):
    depth, act, residual, tied, cost = case
    derivation = symgrad.derive(depth, act, residual=residual, tied=tied, cost=cost)
    check_chain_json(json.loads(render(derivation, "json")), derivation, set())


@pytest.mark.parametrize("case", LONG_CHAINS, ids=chain_id)
def test_long_products_parse_back(case, monkeypatch):
    monkeypatch.setattr(printing, "PLAIN_MUL_UP_TO", LONG)
    depth, act, residual, tied, cost = case
    derivation = symgrad.derive(depth, act, residual=residual, tied=tied, cost=cost)
    product = derivation.concrete(derivation.layer(1).delta)
    assert sum(len(group) for group in product.groups) > LONG  # (the long path is taken)
    check_chain_json(json.loads(render(derivation, "json")), derivation, set())


ORACLE_CHAINS = [c for c in CHAINS if c[0] is not None]


@pytest.mark.parametrize("case", ORACLE_CHAINS, ids=chain_id)
def test_chain_json_layers_equal_sympy_diff(case):
    """The written-out strings, read back and evaluated at a forward pass, are the
    gradients sympy.diff finds in the composed network."""
    depth, act, residual, tied, cost = case
    derivation = symgrad.derive(depth, act, residual=residual, tied=tied, cost=cost)
    data = json.loads(render(derivation, "json"))
    activation = derivation.chain.activation
    point = random_point(depth, seed=depth + len(act), tied=tied, cost=cost)
    weights, biases, x, y = point
    zs, outputs = mp_forward_with(activation, weights, biases, x, residual)
    targets = [(("w", e["layer"]), e["grad_w"]) for e in data["layers"]]
    targets += [(("b", e["layer"]), e["grad_b"]) for e in data["layers"]]
    targets.append((("x", 0), data["input_gradient"]))
    for target, text in targets:
        expr = parse_expr(text)
        got = substitute_forward(expr, zs, outputs, weights, biases, x, y, tied)
        # a tied chain's per-layer entries are layer l's share: the oracle's ∂/∂w_l
        # of the untied chain at the same (repeated) values
        expected = oracle_gradient(activation, COST_EXPRESSIONS[cost], point, target, residual)
        assert close(got, expected, 40), (target, text, got, expected)


def test_the_reported_hidden_delta_keeps_its_parentheses():
    """Issue 14: δ^1_1 = a(1 - a)(w δ + w δ), not a(1 - a) w δ + w δ."""
    derivation = symgrad.derive_net((2, 3, 2), "sigmoid")
    data = json.loads(render(derivation, "json"))
    a, w, d = (sympy.Symbol(n, real=True) for n in ("a_1_1", "w_2_1_1", "w_2_2_1"))
    deltas = [notation.delta_unit(2, 1), notation.delta_unit(2, 2)]
    parsed = parse(data["layers"][0]["delta"][0], a * w * d * deltas[0] * deltas[1])
    assert sympy.expand(parsed - a * (1 - a) * (w * deltas[0] + d * deltas[1])) == 0


# -- matrix nets -------------------------------------------------------------------------------

NETS = [((2, 3, 2), "sigmoid", "quadratic"), ((1, 2), "tanh", "quadratic"),
        ((2, 2, 2, 1), "relu", "cross-entropy"), ((3, 2, 2), "leaky_relu:0.1", "quadratic"),
        ((2, 1, 2, 2), CUSTOM, "quadratic"), ((1, 2, 2, 2, 2), "sigmoid", "cross-entropy")]


@pytest.mark.parametrize("widths, act, cost", NETS, ids=str)
def test_matrix_json_parses_back(widths, act, cost):
    derivation = symgrad.derive_net(widths, act, cost=cost)
    check_matrix_json(json.loads(render(derivation, "json")), derivation, set())


@pytest.mark.parametrize("widths, act, cost", [n for n in NETS if n[1] in ("sigmoid", "tanh")],
                         ids=str)
def test_matrix_json_deltas_equal_sympy_diff(widths, act, cost):
    """δ^l_j from the JSON strings alone (each layer's through the next one's), at a
    forward pass: ∂C/∂b^l_j by sympy.diff of the composed net."""
    activation = symgrad.get_activation(act)
    data = json.loads(render(symgrad.derive_net(widths, act, cost=cost), "json"))
    point = point_as_mpf(random_net_point(widths, seed=len(widths), cost=cost))
    values = forward_values(act, point)
    depth = len(widths) - 1
    with mpmath.workdps(60):
        for entry in reversed(data["layers"]):
            layer = entry["layer"]
            for j, text in enumerate(entry["delta"], start=1):
                expr = parse_expr(text)
                assert {s.name for s in expr.free_symbols} <= set(values), text
                values[f"delta_{layer}_{j}"] = evaluate_at(expr, values)
                expected = sympy_diff_net(activation, act, cost, point, ("b", layer, j))
                assert abs(values[f"delta_{layer}_{j}"] - expected) <= \
                    mpmath.mpf(10) ** -40 * max(1, abs(expected)), (layer, j, text)
    assert depth == len(data["layers"])


# -- the other results carrying expressions ---------------------------------------------------


def test_activation_table_json_parses_back():
    table = activation_table((*symgrad.ACTIVATIONS, CUSTOM, "leaky_relu:0.1"))
    data = json.loads(render(table, "json"))
    checked = set()
    for number, (entry, activation) in enumerate(zip(data["activations"], table.activations)):
        path = f".activations[{number}]"
        check_activation(entry, activation, checked, path,
                         ("formula", "derivative", "derivative_through_output"))
        for key, extremum in (("sup", activation.derivative_sup),
                              ("inf", activation.derivative_inf)):
            check_expression(entry[f"{key}_derivative"], extremum.value, checked,
                             f"{path}.{key}_derivative")
            check_expression(entry[key]["value"], extremum.value, checked, f"{path}.{key}.value")
            check_expression(entry[key]["where"], extremum.where, checked, f"{path}.{key}.where")
            assert mpmath.almosteq(mpmath.mpf(entry[key]["numeric"]),
                                   mpmath.mpf(sympy.N(extremum.value, 30)), 1e-12)
    assert_all_read(data, checked)


def check_bounds_json(data, bounds, checked, path=""):
    derivative = bounds.derivative
    for key, value in (("inf_derivative", derivative.low), ("sup_derivative", derivative.high),
                       ("sup_abs_derivative", derivative.abs_sup)):
        check_expression(data[key]["exact"], value, checked, f"{path}.{key}.exact")
    for number, (entry, factor) in enumerate(zip(data["layer_factors"], bounds.factors)):
        where = f"{path}.layer_factors[{number}]"
        check_expression(entry["weight"], factor.weight, checked, f"{where}.weight")
        check_expression(entry["lower"]["exact"], factor.lower, checked, f"{where}.lower.exact")
        check_expression(entry["upper"]["exact"], factor.upper, checked, f"{where}.upper.exact")
    for number, weight in enumerate(data.get("weights", [])):
        check_expression(weight, bounds.weights[number], checked, f"{path}.weights[{number}]")
    for limit in bounds.float_limits:
        entry = data["float_limits"][limit.format.name]
        for key in ("largest", "smallest_subnormal"):
            check_expression(entry[key], getattr(limit.format, key), checked,
                             f"{path}.float_limits.{limit.format.name}.{key}")
    assert_all_read(data, checked, path)


@pytest.mark.parametrize("act, weights, residual", [
    ("gelu", (1, -2, "1/3"), False), ("sigmoid", (10,), False), ("tanh", ("1/2",), True),
    (CUSTOM, (2,), False), ("leaky_relu:0.1", (3, "-1/7", 1), True)])
def test_bounds_json_parses_back(act, weights, residual):
    bounds = symgrad.bounds(len(weights) if len(weights) > 1 else 6, act,
                            w=list(weights) if len(weights) > 1 else weights[0], residual=residual)
    check_bounds_json(json.loads(render(bounds, "json")), bounds, set())


@pytest.mark.parametrize("claim, target", [("dC_daL*dsigma(z2)", "delta2"),
                                           ("w2*dC_daL*dsigma(z2)", "delta1"),
                                           ("a0*(a2 - y)*w2", "grad_w1")])
def test_verify_json_parses_back(claim, target):
    verdict = symgrad.verify(claim, target, depth=2, act="tanh")
    data = json.loads(render(verdict, "json"))
    checked = set()
    check_expression(data["claim"], verdict.claim, checked, ".claim")
    check_expression(data["true"], verdict.true, checked, ".true")
    for key in ("ratio", "difference"):
        if getattr(verdict, key) is not None:
            check_expression(data[key], getattr(verdict, key), checked, f".{key}")
    assert_all_read(data, checked)
    # the correct formula is δ / ∂C/∂w of the chain: the derivation's own, read back
    derivation = symgrad.derive(2, "tanh")
    layer = int(target[-1])
    gradient = derivation.layer(layer)
    expected = gradient.delta if target.startswith("delta") else gradient.grad_w
    same_value(parse(data["true"], multiplied(expected)), expected, target)


# -- notes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [dict(depth=3, act="sigmoid"),
                                    dict(depth=4, act="tanh", residual=True, w="1/2", x=1),
                                    dict(depth=2, act="relu", w=10, z=1)], ids=str)
def test_chain_notes_json_parses_back(kwargs):
    notes = symgrad.notes(**kwargs)
    data = json.loads(render(notes, "json"))
    checked = set()
    check_chain_json(data["derivation"], notes.derivation, checked, ".derivation")
    check_chain_json(data["relu"], notes.relu, checked, ".relu")
    assert data["residual"] is notes.chain.residual
    if notes.residual is not None:
        check_chain_json(data["residual_derivation"], notes.residual, checked,
                         ".residual_derivation")
    else:
        assert data["residual_derivation"] is None
    for key in ("bounds", "deeper_bounds", "residual_bounds"):
        check_bounds_json(data[key], getattr(notes, key), checked, f".{key}")
    for number, (entry, regime) in enumerate(zip(data["regimes"], notes.regimes)):
        where = f".regimes[{number}]"
        check_expression(entry["weight"], regime.weight, checked, f"{where}.weight")
        check_expression(entry["factor"], regime.factor, checked, f"{where}.factor")
        for power_number, (power, depth) in enumerate(zip(entry["powers"], regime.depths)):
            assert power["depth"] == depth
            check_expression(power["exact"], sympy.Pow(regime.factor, depth), checked,
                             f"{where}.powers[{power_number}].exact")
    if notes.evaluation is not None:
        evaluation = data["evaluation"]
        assert len(evaluation["layers"]) == notes.chain.depth
        assert evaluation["depth"] == notes.chain.depth
    assert_all_read({k: v for k, v in data.items() if k != "evaluation"}, checked)


def test_net_notes_json_parses_back():
    notes = symgrad.notes(widths=(2, 2, 1), act="sigmoid")
    data = json.loads(render(notes, "json"))
    checked = set()
    check_matrix_json(data["derivation"], notes.derivation, checked, ".derivation")
    assert data["evaluation"] is None
    assert_all_read(data, checked)


def test_net_notes_with_values_json():
    notes = symgrad.notes(widths=(2, 3, 1), act="tanh", init="he", seed=1)
    data = json.loads(render(notes, "json"))
    check_matrix_json(data["derivation"], notes.derivation, set(), ".derivation")
    evaluation = data["evaluation"]
    assert [layer["layer"] for layer in evaluation["layers"]] == [1, 2]
    values = [mpmath.mpf(v) for v in evaluation["input_gradient"]]
    exact = [mpmath.mpf(str(v)) for v in notes.evaluation.input_gradient]  # MPFR values
    assert len(values) == len(exact) == 2
    assert all(abs(v - w) <= mpmath.mpf(10) ** -25 * abs(w) for v, w in zip(values, exact))


@pytest.mark.parametrize("args", [["--depth", "3"], ["--depth", "2", "--act", "relu", "--w", "10",
                                                    "--z", "1"],
                                  ["--widths", "2,2,1", "--init", "xavier"]], ids=" ".join)
def test_notes_json_through_the_cli(tmp_path, args):
    """The notes, asked for as JSON on the command line: one object, its derivation the same as
    derive's JSON, on stdout and in a file named by -o."""
    run = symgrad_cli("notes", *args, "--format", "json")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    data = json.loads(run.stdout)
    assert data["command"] == "notes" and data["sections"] and data["title"]
    derive_args = ["--widths", args[1]] if args[0] == "--widths" else ["--depth", args[1]]
    if "--act" in args:
        derive_args += ["--act", args[args.index("--act") + 1]]
    derived = symgrad_cli("derive", *derive_args,
                          *(["--layers", f"1,{args[1]}"] if args[0] == "--depth" else []),
                          "--format", "json")
    assert derived.returncode == 0, derived.stderr
    assert data["derivation"] == json.loads(derived.stdout)
    target = tmp_path / "notes.json"
    written = symgrad_cli("notes", *args, "-o", str(target))
    assert written.returncode == 0, written.stderr
    assert json.loads(target.read_text()) == data


@functools.cache
def _every_result():
    """One result of each type symgrad returns, built through the public API (once per
    test process: the results are immutable, and building them takes seconds)."""
    return [
        symgrad.derive(3, "tanh"), symgrad.derive(None, "relu", residual=True),
        symgrad.derive_net((2, 2, 1), "sigmoid"), symgrad.acts("sigmoid", "x*tanh(x)"),
        symgrad.evaluate(5, "tanh", w=2, x=1), symgrad.evaluate(4, "relu", w=10, z=1, interval=True),
        symgrad.evaluate_net((2, 3, 2), "tanh", init="he"), symgrad.bounds(10, "sigmoid", w=3),
        symgrad.region("sigmoid", w=6), symgrad.region("tanh", maximize=True),
        symgrad.meanfield("tanh", sigma_w2=1.5, sigma_b2="0.05", depth=10),
        symgrad.critical("tanh", sigma_b2=[0, "0.05"]),
        symgrad.sample(5, "tanh", sigma_w2=1, samples=20),
        symgrad.spectrum(4, "relu", sigma_w2=2, weights="gaussian", grid=10, at=[1], width=6,
                         samples=3),
        symgrad.verify("dC_daL*dsigma(z2)", "delta2", depth=2),
        symgrad.notes(3, "sigmoid"), symgrad.notes(widths=(2, 2, 1)),
        symgrad.derive_cell("lstm", 2), symgrad.derive_cell("rnn", act="relu"),
        symgrad.evaluate_cell("gru", 4, dps=10), symgrad.evaluate_cell("lstm", 3, interval=True),
        symgrad.bounds(cell="gru", steps=5), symgrad.notes(cell="rnn", steps=3),
    ]


def _returned_types() -> set[type]:
    """Every type a function of the API returns, read from its return annotation (a union
    is each of its members): the public result types, as the API declares them."""
    returned = set()
    names = {**vars(api), **api.annotation_types()}  # (the API imports its results where used)
    for name in api.__all__:
        annotation = typing.get_type_hints(getattr(api, name), globalns=names)["return"]
        returned |= set(typing.get_args(annotation)) or {annotation}
    return returned


def test_the_api_returns_the_result_types_built_here():
    """The discovered types are result types (nothing else), and ``_every_result`` builds
    one of each through the API, so the tests below render every one."""
    returned = _returned_types()
    assert len(returned) >= 14 and all(dataclasses.is_dataclass(t) for t in returned), returned
    assert {type(result) for result in _every_result()} >= returned


def test_each_layout_module_is_named_for_the_results_it_lays_out():
    """``document.LAYOUT_MODULES`` (loaded on first need) names, for every result module
    whose results are laid out outside ``document.py``, the module that registers them."""
    from symgrad.render.document import LAYOUT_MODULES, load_every_layout

    load_every_layout()
    for cls, layout in document.registry.items():
        if cls is object or layout.__module__ == "symgrad.render.document":
            continue
        assert f"symgrad.render.{LAYOUT_MODULES[cls.__module__]}" == layout.__module__, cls


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_result_type_has_a_form_in_every_format(fmt):
    """Found through the type's MRO by the format's printer: its own ``_print_<Class>`` or
    the shared layout."""
    printer = PRINTERS[fmt]()
    missing = [t.__name__ for t in _returned_types() if printer.form(t) is None]
    assert missing == [], (fmt, missing)


@pytest.mark.parametrize("fmt", [fmt for fmt in FORMATS if fmt not in ("latex", "pdf")])
def test_a_talk_is_beamer_only(fmt):
    """A talk (``Slides``, made of notes) is printed by LaTeX and PDF; the other formats
    refuse it in the sentence ``--slides`` gives."""
    with pytest.raises(symgrad.SymgradError, match="^--slides writes a Beamer presentation"):
        render(Slides(symgrad.notes(2, "relu")), fmt)


def test_a_printer_finds_a_form_through_the_mro_and_refuses_a_type_without_one():
    """A subclass of a result type prints as its base does (its layout, and the terminal's
    own table of an evaluation); a class with no form anywhere is one sentence."""
    evaluation, region = symgrad.evaluate(3, "tanh", x=1), symgrad.region("sigmoid", w=6)

    def subclassed(result):
        kind = dataclasses.make_dataclass(f"My{type(result).__name__}", [], bases=(type(result),),
                                          frozen=True)
        return kind(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)
                       if f.init})

    for result in (evaluation, region):
        for fmt in FORMATS:
            if fmt not in FILE_ONLY_FORMATS:
                assert render(subclassed(result), fmt) == render(result, fmt)

    @dataclasses.dataclass(frozen=True)
    class Unknown:
        depth: int = 3

    for fmt in FORMATS:
        with pytest.raises(symgrad.SymgradError, match=r"^The \w+ format prints symgrad's results .*"
                                                       r", not Unknown\.$"):
            render_pdf(Unknown()) if fmt == "pdf" else render(Unknown(), fmt)


@pytest.mark.parametrize("result", [lambda: symgrad.region("sigmoid", w=6),
                                    lambda: Slides(symgrad.notes(2, "relu"))],
                         ids=["region", "slides"])
def test_a_pdf_of_a_result_and_of_a_talk(result):
    """PDF for two only (each is compiled); tests/test_html_pdf.py compiles derive's."""
    assert render_pdf(result()).startswith(b"%PDF-")


def test_every_result_type_with_a_layout_has_a_json_form():
    laid_out = {cls for cls in document.registry if cls is not object}
    with_json = {cls for cls in json_object.registry if cls is not object}
    assert laid_out - with_json == set()
    assert {type(result) for result in _every_result()} >= laid_out


@pytest.mark.parametrize("fmt", [fmt for fmt in FORMATS if fmt not in FILE_ONLY_FORMATS])
def test_every_result_type_renders_in_every_format(fmt):
    """Every text format; a PDF (bytes, compiled from the LaTeX) in tests/test_html_pdf.py."""
    for result in _every_result():
        text = render(result, fmt)
        assert isinstance(text, str) and text.strip(), (type(result).__name__, fmt)
        if fmt == "json":
            data = json.loads(text)
            assert isinstance(data, dict) and data["command"], type(result).__name__
