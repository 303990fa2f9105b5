"""The highway layer (``--highway``) against independent oracles.

Nothing here reads symgrad's layer definition: the composed network is written again in
SymPy (sigmoid as 1/(1 + e^-u), σ from the activation's defining formula) and in plain
mpmath (MPMATH_ACTIVATIONS), and differentiated by ``sympy.diff`` and ``mpmath.diff``.
"""

from __future__ import annotations

import json
import random

import mpmath
import pytest
import sympy

import symgrad
from symgrad.activations import VARIABLE
from symgrad.errors import SymgradError
from symgrad.notation import L, grad_of, l
from tests.clirun import symgrad as symgrad_cli
from tests.numbers import ends, width
from tests.oracle import MPMATH_ACTIVATIONS, close, local_expression

PARAMETERS = ("w", "b", "p", "q")


def _point(depth: int, seed: int) -> dict:
    """Exact decimals for every parameter of every layer, x and y."""
    rng = random.Random(seed)

    def draw(low, high):
        return str(round(rng.uniform(low, high), 4))

    point = {name: [draw(-1.6, 1.6) for _ in range(depth)] for name in ("w", "p")}
    point.update({name: [draw(-1, 1) for _ in range(depth)] for name in ("b", "q")})
    point["x"], point["y"] = draw(-1, 1), draw(-1, 1)
    return point


def _mp_forward(act: str, point: dict, changed: tuple | None = None, value=None):
    """(z, t, a) per layer in plain mpmath, with one parameter (name, layer) or x replaced
    by ``value``; the gate written out here, not taken from symgrad."""
    sigma = MPMATH_ACTIVATIONS[act]
    values = {name: [mpmath.mpf(v) for v in point[name]] for name in PARAMETERS}
    a = mpmath.mpf(point["x"])
    if changed is not None:
        name, layer = changed
        if name == "x":
            a = value
        else:
            values[name][layer - 1] = value
    zs, gates, outputs = [], [], [a]
    for w, b, p, q in zip(*(values[name] for name in PARAMETERS)):
        t = 1 / (1 + mpmath.exp(-(p * a + q)))
        z = w * a + b
        a = t * sigma(z) + (1 - t) * a
        zs.append(z), gates.append(t), outputs.append(a)
    return zs, gates, outputs


def _mp_cost(act: str, point: dict, changed=None, value=None):
    output = _mp_forward(act, point, changed, value)[2][-1]
    return (output - mpmath.mpf(point["y"])) ** 2 / 2


def _mpmath_gradient(act: str, point: dict, target: tuple):
    name, layer = target
    at = mpmath.mpf(point["x"] if name == "x" else point[name][layer - 1])
    return mpmath.diff(lambda v: _mp_cost(act, point, target, v), at)


def _sympy_gradient(act: str, point: dict, target: tuple):
    """∂C/∂target by sympy.diff of the composed network, every other parameter a 60-digit
    number (the layers before the target evaluated to numbers, as tests/oracle.py does)."""
    activation = symgrad.get_activation(act)
    variable = sympy.Symbol("v", real=True)

    def number(text):
        return sympy.Float(text, 60)

    values = {name: [number(v) for v in point[name]] for name in PARAMETERS}
    a = number(point["x"])
    name, layer = target
    if name == "x":
        a = variable
    else:
        values[name][layer - 1] = variable
    with mpmath.workdps(70):
        preactivations = _mp_forward(act, point)[0]
    for w, b, p, q, z in zip(*(values[n] for n in PARAMETERS), preactivations):
        t = 1 / (1 + sympy.exp(-(p * a + q)))
        # a piecewise σ's active piece (off its kinks it equals σ on a neighbourhood)
        piece = local_expression(activation, z)
        a = t * piece.xreplace({VARIABLE: w * a + b}) + (1 - t) * a
        if not a.has(variable):
            a = a.evalf(60)
    cost = (a - number(point["y"])) ** 2 / 2
    derivative = sympy.diff(cost, variable)
    at = point["x"] if name == "x" else point[name][layer - 1]
    with mpmath.workdps(60):
        return sympy.lambdify(variable, derivative, "mpmath", cse=True)(mpmath.mpf(at))


def _forward_values(act: str, point: dict) -> dict:
    """The names a derived expression reads (z1, t1, a0, w1, ...) at the point, to 70
    digits."""
    with mpmath.workdps(70):
        return _forward_names(act, point)


def _forward_names(act: str, point: dict) -> dict:
    zs, gates, outputs = _mp_forward(act, point)
    values = {"x": mpmath.mpf(point["x"]), "y": mpmath.mpf(point["y"])}
    for k in range(len(zs)):
        values.update({f"z{k + 1}": zs[k], f"t{k + 1}": gates[k]})
        values.update({f"{name}{k + 1}": mpmath.mpf(point[name][k]) for name in PARAMETERS})
    values.update({f"a{k}": a for k, a in enumerate(outputs)})
    return values


def _at_point(expr: sympy.Expr, values: dict):
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    with mpmath.workdps(60):
        function = sympy.lambdify(symbols, expr, "mpmath")
        return mpmath.mpf(function(*[values[s.name] for s in symbols]))


def _targets(depth: int) -> list:
    layers = sorted({1, (depth + 1) // 2, depth})
    return [(name, n) for name in PARAMETERS for n in layers] + [("x", 0)]


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "softplus", "elu:0.5", "linear"])
@pytest.mark.parametrize("depth", [1, 2, 4])
def test_derived_gradients_equal_sympy_diff_of_the_composed_highway_network(act, depth):
    point = _point(depth, seed=depth * 31 + len(act))
    derivation = symgrad.derive(depth, act, highway=True)
    values = _forward_values(act, point)
    with mpmath.workdps(60):
        for target in _targets(depth):
            name, layer = target
            if name == "x":
                derived = derivation.input_gradient
            else:
                gradient = derivation.layer(layer)
                own = dict(gradient.own)
                derived = {"w": gradient.grad_w, "b": gradient.grad_b}.get(name) or \
                    own[grad_of(sympy.Symbol(f"{name}{layer}", real=True))]
            got = _at_point(derivation.concrete(derived).doit(), values)
            expected = _sympy_gradient(act, point, target)
            assert close(got, expected), (act, depth, target, got, expected)


def test_the_general_closed_form_at_a_concrete_depth_equals_sympy_diff():
    """The symbolic-L closed forms, with L = 3 and the products written out, give the
    composed network's gradients: one rule for every depth."""
    act, depth = "tanh", 3
    point = _point(depth, seed=7)
    general = symgrad.derive(None, act, highway=True)
    values = _forward_values(act, point)
    for equation in general.closed_form:
        lhs = equation.lhs
        for layer in range(1, depth + 1):
            expr = general.concrete(equation.rhs).xreplace({L: depth, l: layer}).doit().doit()
            expr = expr.xreplace({atom: sympy.Symbol(f"{atom.base}{atom.indices[0]}", real=True)
                                  for atom in expr.atoms(sympy.Indexed)})
            got = _at_point(expr, values)
            name = {"delta": "b", "grad_w": "w", "grad_a": "x"}.get(type(lhs).__name__)
            if name is None:  # ∂C/∂p_l, ∂C/∂q_l
                name = str(lhs.args[0].base)
            if name == "x":
                if layer > 1:
                    continue
                target = ("x", 0)
            else:
                target = (name, layer)
            assert close(got, _sympy_gradient(act, point, target)), (lhs, layer)


def _evaluated(evaluation, name: str, layer: int):
    """symgrad's value of ∂C/∂name_layer (∂C/∂a_0 for x)."""
    if name == "x":
        return evaluation.input_gradient
    values = evaluation.layer(layer)
    if name in ("w", "b"):
        return values.grad_w if name == "w" else values.grad_b
    return values.own_gradients[name]


@pytest.mark.parametrize("depth", [50, pytest.param(300, marks=pytest.mark.slow)])
@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_eval_equals_mpmath_diff_of_a_separate_forward_pass_at_60_digits(act, depth):
    point = _point(depth, seed=depth + 3)
    evaluation = symgrad.evaluate(depth, act, highway=True, dps=60,
                                  **{name: point[name] for name in (*PARAMETERS, "x", "y")})
    # the front layer's gradient is about 10^-(depth / 3) of the cost: mpmath.diff's
    # difference of two costs needs that many digits more than the 60 compared
    with mpmath.workdps(80 + depth // 2):
        for name, layer in _targets(depth):
            expected = _mpmath_gradient(act, point, (name, layer))
            got = _evaluated(evaluation, name, layer)
            assert close(mpmath.mpf(got), expected, 55), (name, layer, got, expected)
        zs, gates, _ = _mp_forward(act, point)
        assert close(mpmath.mpf(evaluation.layer(depth).gates["t"]), gates[-1], 55)


def test_interval_enclosures_contain_the_mpmath_gradients():
    depth, act = 20, "tanh"
    point = _point(depth, seed=5)
    evaluation = symgrad.evaluate(depth, act, highway=True, dps=30, interval=True,
                                  **{name: point[name] for name in (*PARAMETERS, "x", "y")})
    with mpmath.workdps(80):
        for name, layer in _targets(depth):
            expected = _mpmath_gradient(act, point, (name, layer))
            got = _evaluated(evaluation, name, layer)
            lo, hi = ends(got)
            assert lo <= expected <= hi, (name, layer)
            assert width(got) < mpmath.mpf(10) ** -25


def test_deep_interval_enclosures_are_narrow_and_hold_the_chain_rule_written_here():
    """At depth 400 a highway's enclosures widen by a constant factor a layer (a_{l-1} enters
    the gate and the carry): the pass raises its working digits until ∂C/∂a_0 is narrow to
    the digits asked, and the enclosure holds the product of every layer's ∂a_l/∂a_{l-1}
    (mpmath.diff of the layer written here, along the forward pass written here)."""
    depth, act = 400, "sigmoid"
    point = {"w": ["1.5"] * depth, "p": ["1"] * depth, "b": ["-0.2"] * depth,
             "q": ["0.3"] * depth, "x": "0.5", "y": "0"}
    evaluation = symgrad.evaluate(depth, act, highway=True, dps=20, interval=True,
                                  **{name: point[name] for name in (*PARAMETERS, "x", "y")})
    got = evaluation.input_gradient
    assert width(got) < mpmath.mpf(10) ** -20
    lo, hi = ends(got)
    with mpmath.workdps(60):
        _, _, outputs = _mp_forward(act, point)
        expected = outputs[-1] - mpmath.mpf(point["y"])  # ∂C/∂a_L
        for a_prev in outputs[:-1]:
            expected *= _mp_gain(act, mpmath.mpf("1.5"), 1, mpmath.mpf("0.3"), mpmath.mpf("-0.2"),
                                 a_prev)
        assert lo <= expected * (1 + mpmath.mpf(10) ** -40)
        assert expected * (1 - mpmath.mpf(10) ** -40) <= hi
        assert abs(lo / expected - 1) < mpmath.mpf(10) ** -19


def test_a_shut_gate_carries_the_gradient_where_a_plain_chain_loses_it():
    """With the gates nearly shut (q = -8, t ≈ 3·10^-4) the factor per layer is about
    1 - t: 200 sigmoid layers keep ∂C/∂a_0 near ∂C/∂a_L, where the plain chain's falls
    below 10^-100 (each factor w σ' ≤ 1/4)."""
    depth = 200
    highway = symgrad.evaluate(depth, "sigmoid", highway=True, q=-8, p=0, x="0.5")
    plain = symgrad.evaluate(depth, "sigmoid", x="0.5")
    ratio = mpmath.mpf(highway.input_gradient) / mpmath.mpf(highway.output_gradient)
    t = 1 / (1 + mpmath.exp(8))
    assert abs(ratio - (1 - t) ** depth) < mpmath.mpf("0.05")  # the w σ' path adds a little
    assert abs(mpmath.mpf(plain.input_gradient)) < mpmath.mpf(10) ** -100


def test_json_gradients_are_sympy_parsable_and_equal_the_oracle():
    depth, act = 2, "tanh"
    point = _point(depth, seed=11)
    result = symgrad_cli("derive", "--depth", str(depth), "--act", act, "--highway", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["layer"] == "highway" and data["highway"] is True
    values = _forward_values(act, point)
    for entry in data["layers"]:
        for name in PARAMETERS:
            expr = sympy.sympify(entry[f"grad_{name}"])
            got = _at_point(expr, values)
            assert close(got, _sympy_gradient(act, point, (name, entry["layer"]))), (name, entry)


@pytest.mark.parametrize("call, words", [
    (lambda: symgrad.derive(3, "tanh", highway=True, residual=True), "residual or highway"),
    (lambda: symgrad.evaluate(3, "tanh", highway=True, tied=True, x=1), "tied"),
    (lambda: symgrad.evaluate(3, "tanh", p=1, x=1), "highway"),
    (lambda: symgrad.evaluate(3, "tanh", highway=True, z=1), "needs its input"),
    (lambda: symgrad.evaluate(3, "tanh", highway=True, p=[1, 2], x=1), "exactly 3"),
    (lambda: symgrad.derive(act="tanh", highway=True, cell="lstm", steps=2), "belongs to a chain"),
    (lambda: symgrad.derive(widths=[2, 2], highway=True), "scalar chain"),
    (lambda: symgrad.evaluate(3, "tanh", highway="yes", x=1), "True or False"),
])
def test_wrong_combinations_are_one_sentence(call, words):
    with pytest.raises(SymgradError, match=words):
        call()


def test_the_cli_refuses_a_highway_gate_parameter_without_highway():
    result = symgrad_cli("eval", "--depth", "2", "--x", "1", "--q", "3")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--q" in result.stderr
    assert "Traceback" not in result.stderr


def test_plot_sets_highway_chains_beside_plain_ones(tmp_path):
    """One figure, two curves: the plain chain's δ_l falls by orders of magnitude while the
    nearly shut gates (q = -4) keep the highway chain's within one order of its output."""
    from symgrad.render.plot import curve

    depth = 60
    common = dict(w=1, x="1/2", dps=20, keep=set(range(1, depth + 1)))
    highway = curve(symgrad.evaluate(depth, "sigmoid", highway=True, p=0, q=-4, **common),
                    "delta", "highway")
    plain = curve(symgrad.evaluate(depth, "sigmoid", **common), "delta", "plain")
    assert max(highway.magnitudes) - min(highway.magnitudes) < 1
    assert plain.magnitudes[-1] - plain.magnitudes[0] > 30
    figure = tmp_path / "highway.svg"
    result = symgrad_cli("plot", "--depth", str(depth), "--highway", "--p", "0", "--q=-4",
                         "--compare", "-o", str(figure))
    assert result.returncode == 0, result.stderr
    text = figure.read_text()
    assert "highway sigmoid, w = 1" in text and "sigmoid, w = 1" in text


@pytest.mark.parametrize("args, words", [
    (["--depth", "5", "--p", "1"], "--p is a parameter of the highway layer's gate"),
    (["--depth", "5", "--compare"], "add --residual or --highway"),
    (["--cell", "lstm", "--steps", "3", "--highway"], "--highway belongs to a chain"),
])
def test_plot_refuses_highway_options_where_they_have_no_meaning(args, words):
    result = symgrad_cli("plot", *args)
    assert result.returncode == 2 and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("act, point", [
    ("sigmoid", {"p": ["1e6"] * 3, "q": ["0"] * 3}),  # gates open to 1 - 10^-347000
    ("sigmoid", {"p": ["1"] * 3, "q": ["1e6"] * 3}),
    ("tanh", {"p": ["1"] * 3, "q": ["-1e6"] * 3}),  # shut: t = e^-10^6
])
def test_saturated_gates_keep_every_digit(act, point):
    """1 - t near an open gate is sigmoid(-u), not a subtraction that rounds to 0: every
    gradient, ~e^-(10^6) included, agrees with sympy.diff of the composed network."""
    full = {"w": ["0.5"] * 3, "b": ["0"] * 3, "x": "0.8", "y": "0", **point}
    evaluation = symgrad.evaluate(3, act, highway=True, dps=40,
                                  **{name: full[name] for name in (*PARAMETERS, "x", "y")})
    with mpmath.workdps(80):
        for name, layer in _targets(3):
            expected = _sympy_gradient(act, full, (name, layer))
            got = mpmath.mpf(_evaluated(evaluation, name, layer))
            assert expected != 0 and close(got, expected, 35), (name, layer, got, expected)


@pytest.mark.parametrize("act", ["relu", "linear", "leaky_relu:0.1"])
def test_a_gate_with_nothing_to_mix_has_gradient_exactly_zero(act):
    """At w = 1, b = 0 a positive input passes σ unchanged, σ(z_l) = a_(l-1): the gate mixes
    a number with itself, so ∂C/∂p_l = ∂C/∂q_l = 0 exactly, and an enclosure proves it
    (it used to straddle 0 and the digits rose until refused)."""
    evaluation = symgrad.evaluate(4, act, highway=True, x="0.5")
    point = {"w": ["1"] * 4, "b": ["0"] * 4, "p": ["1"] * 4, "q": ["0"] * 4, "x": "0.5",
             "y": "0"}
    with mpmath.workdps(60):
        for layer in range(1, 5):
            for name in ("p", "q"):
                assert evaluation.layer(layer).own_gradients[name] == 0
                assert abs(_mpmath_gradient(act, point, (name, layer))) < mpmath.mpf(10) ** -40


def test_plot_refuses_residual_and_highway_together():
    result = symgrad_cli("plot", "--depth", "5", "--highway", "--residual")
    assert result.returncode == 2
    assert result.stderr.strip() == ("symgrad: A layer is residual or highway, not both: give "
                                     "--residual or --highway.")


# --- bounds ---------------------------------------------------------------------------


def _mp_gain(act: str, w, p, q, b, a_prev):
    """∂a_l/∂a_{l-1} of one highway layer, by mpmath.diff of the layer written here."""
    sigma = MPMATH_ACTIVATIONS[act]

    def layer(a):
        t = 1 / (1 + mpmath.exp(-(p * a + q)))
        return t * sigma(w * a + b) + (1 - t) * a
    return mpmath.diff(layer, a_prev)


@pytest.mark.parametrize("act, w, p, q", [("sigmoid", "3", "1", "0"), ("tanh", "2", "-1.5", "0.5"),
                                          ("tanh", "0.5", "3", "-2"), ("sigmoid", "-4", "0", "1")])
def test_bounds_contain_every_sampled_layer_factor(act, w, p, q):
    """Every input a_{l-1} in σ's range and every bias: |∂a_l/∂a_{l-1}| (mpmath.diff of a
    layer written here) lies between the bounds; the depth-5 chain's ratio
    |∂C/∂a_0| / |∂C/∂a_5| lies between their 5th powers."""
    bounds = symgrad.bounds(5, act, w=w, p=p, q=q, highway=True)
    (factor,) = bounds.factors
    lower, upper = (mpmath.mpf(sympy.N(v, 40)) for v in (factor.lower, factor.upper))
    low_end, high_end = (-1, 1) if act == "tanh" else (0, 1)
    rng = random.Random(7)
    with mpmath.workdps(30):
        gains = []
        for _ in range(400):
            a_prev, b = rng.uniform(low_end, high_end), rng.uniform(-6, 6)
            gains.append(abs(_mp_gain(act, *(mpmath.mpf(v) for v in (w, p, q)), b, a_prev)))
        tolerance = mpmath.mpf(10) ** -25
        assert all(lower - tolerance <= g <= upper + tolerance for g in gains)
        for seed in range(20):
            point = {name: [str(v)] * 5 for name, v in (("w", w), ("p", p), ("q", q))}
            chain_rng = random.Random(seed)
            point["b"] = [str(round(chain_rng.uniform(-3, 3), 3)) for _ in range(5)]
            point["x"], point["y"] = str(round(chain_rng.uniform(low_end, high_end), 3)), "0"
            out = _mp_forward(act, point)[2][-1]
            ratio = abs(_mpmath_gradient(act, point, ("x", 0)) / (out - 0))
            slack = mpmath.mpf(10) ** -20
            assert lower**5 * (1 - slack) <= ratio <= upper**5 * (1 + slack)


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_bounds_at_p_zero_are_the_factors_extremes(act):
    """With p = 0 the gate is sigmoid(q) everywhere and the factor t w σ'(z) + 1 - t reads
    z alone: its sup over a fine grid of z (mpmath.diff of the layer written here) reaches
    the upper bound, and its inf the lower bound."""
    w, q = mpmath.mpf(6), mpmath.mpf("0.3")
    bounds = symgrad.bounds(10, act, w=6, p=0, q="0.3", highway=True)
    (factor,) = bounds.factors
    with mpmath.workdps(30):
        gains = [abs(_mp_gain(act, w, 0, q, mpmath.mpf(z) / 50, 0)) for z in range(-1500, 1501)]
        assert abs(max(gains) - mpmath.mpf(sympy.N(factor.upper, 40))) < mpmath.mpf(10) ** -6
        assert abs(min(gains) - mpmath.mpf(sympy.N(factor.lower, 40))) < mpmath.mpf(10) ** -6


@pytest.mark.parametrize("act, w, p, q", [("tanh", "2", "0", "-80"), ("tanh", "3", "1", "-100"),
                                          ("sigmoid", "1", "1", "-100"),
                                          ("tanh", "1e-50", "1e-50", "1e-50")])
def test_bounds_hold_where_the_factor_differs_from_its_neighbour_past_30_digits(act, w, p, q):
    """A nearly shut gate leaves the factor 1 + 10^-35 (tanh, w = 2, q = -80, at z = 0):
    the bounds compare candidates exactly, not at 30 digits, so the sampled factor (mpmath
    at 120 digits, a layer written here) lies inside and the verdict does not say it
    vanishes for every input where the factor can exceed 1."""
    bounds = symgrad.bounds(3, act, w=w, p=p, q=q, highway=True)
    (factor,) = bounds.factors
    rng = random.Random(5)
    with mpmath.workdps(120):
        lower, upper = (mpmath.mpf(sympy.N(v, 130)) for v in (factor.lower, factor.upper))
        low_end = -1 if act == "tanh" else 0
        points = [(mpmath.mpf(a), -mpmath.mpf(w) * a) for a in (low_end, 0, 1)]  # z = 0
        points += [(mpmath.mpf(rng.uniform(low_end, 1)), mpmath.mpf(rng.uniform(-4, 4)))
                   for _ in range(60)]
        gains = [abs(_mp_gain(act, *(mpmath.mpf(v) for v in (w, p, q)), b, a)) for a, b in points]
    assert all(lower <= g <= upper for g in gains)
    if max(gains) > 1:
        assert bounds.regime != "vanishing"


def test_a_gate_shut_by_a_huge_bias_is_bounded_without_overflow():
    """q = -10^300: e^(10^300) has no number, so the gate's range is widened to
    [0, sigmoid(-1000)]; the factor is then 1 - t + ... within 10^-400 of 1, inside the
    bounds, and a sampled layer written here agrees."""
    bounds = symgrad.bounds(5, "sigmoid", highway=True, p="1e100", q="-1e300", w=3)
    (factor,) = bounds.factors
    (gate,) = factor.gates
    assert gate[1] == 0 and mpmath.mpf(sympy.N(gate[2], 30)) < mpmath.mpf(10) ** -400
    lower, upper = (mpmath.mpf(sympy.N(v, 40)) for v in (factor.lower, factor.upper))
    with mpmath.workdps(40):
        sampled = abs(_mp_gain("sigmoid", mpmath.mpf(3), mpmath.mpf("1e100"),
                               mpmath.mpf("-1e300"), mpmath.mpf("0.3"), mpmath.mpf("0.6")))
    assert lower <= sampled <= upper and abs(sampled - 1) < mpmath.mpf(10) ** -30


def test_bounds_of_a_highway_over_an_unbounded_activation_say_there_is_no_upper_bound():
    """relu's σ(z) - a_{l-1} has no bound, so neither has p t (1 - t)(σ(z) - a_{l-1});
    at p = 0 the bound is finite again."""
    result = symgrad_cli("bounds", "--depth", "20", "--act", "relu", "--highway", "--w", "3",
                         "--format", "json")
    data = json.loads(result.stdout)
    assert result.returncode == 0 and data["upper_bound"] == "inf" and not data["bounded"]
    assert not symgrad.bounds(20, "relu", w=3, highway=True).bounded
    assert symgrad.bounds(20, "relu", w=3, p=0, highway=True).bounded


@pytest.mark.parametrize("arguments, words", [
    (["--p", "1"], "--highway"), (["--highway", "--residual"], "not both"),
    (["--highway", "--p", "1,2"], "exactly 101"),
    (["--highway", "--p", ",".join(str(n) for n in range(101))], "at most 100 distinct")])
def test_bounds_refuses_highway_misuse(arguments, words):
    result = symgrad_cli("bounds", "--depth", "101", *arguments)
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- verify ---------------------------------------------------------------------------

_GAIN2 = "(w2*t2*dsigma(z2) + 1 - t2 + p2*t2*(1 - t2)*(sigma(z2) - a1))"
_GAIN1 = "(w1*t1*dsigma(z1) + 1 - t1 + p1*t1*(1 - t1)*(sigma(z1) - a0))"
HAND_DERIVED = {  # depth 2, written here from a_l = t_l σ(z_l) + (1 - t_l) a_{l-1}
    "delta2": "dC_daL*t2*dsigma(z2)",
    "grad_p2": "dC_daL*t2*(1 - t2)*a1*(sigma(z2) - a1)",
    "grad_q2": "dC_daL*t2*(1 - t2)*(sigma(z2) - a1)",
    "grad_w1": f"dC_daL*{_GAIN2}*t1*dsigma(z1)*a0",
    "grad_q1": f"dC_daL*{_GAIN2}*t1*(1 - t1)*(sigma(z1) - a0)",
    "input_gradient": f"dC_daL*{_GAIN2}*{_GAIN1}",
}


def _verify(target: str, claim: str, act: str = "tanh"):
    return symgrad_cli("verify", "--depth", "2", "--act", act, "--highway", "--target", target,
                       "--claim", claim, "--format", "json")


@pytest.mark.parametrize("target", sorted(HAND_DERIVED))
def test_verify_accepts_the_hand_derived_highway_gradients(target):
    result = _verify(target, HAND_DERIVED[target])
    assert result.returncode == 0 and json.loads(result.stdout)["correct"], result.stderr


@pytest.mark.parametrize("target, wrong", [
    ("grad_q1", "dC_daL*(w2*t2*dsigma(z2) + 1 - t2)*t1*(1 - t1)*(sigma(z1) - a0)"),  # no p term
    ("grad_p2", "dC_daL*t2*(1 - t2)*(sigma(z2) - a1)"),  # the a_1 dropped
    ("delta1", "dC_daL*w2*dsigma(z2)*dsigma(z1)")])  # a plain chain's
def test_verify_refutes_a_wrong_claim_with_a_point_mpmath_confirms(target, wrong):
    """The counterexample's true value is ∂C/∂θ at its point by mpmath.diff of the forward
    pass written here (δ_1 = ∂C/∂b_1)."""
    result = _verify(target, wrong)
    assert result.returncode == 1, result.stderr
    found = json.loads(result.stdout)["counterexample"]
    at = found["point"]
    point = {name: [at[f"{name}{n}"] for n in (1, 2)] for name in PARAMETERS}
    point["x"], point["y"] = at["x"], at["y"]
    name = {"delta": "b"}.get(target[:-1], target[5:-1])
    with mpmath.workdps(40):
        expected = _mpmath_gradient("tanh", point, (name, int(target[-1])))
        assert close(mpmath.mpf(found["true"]), expected, digits=12)
        assert not close(mpmath.mpf(found["claim"]), expected, digits=6)


def test_verify_names_the_highway_targets_when_one_is_unknown():
    result = _verify("grad_r1", "1")
    assert result.returncode == 2 and "grad_p<l> or grad_q<l>" in result.stderr


# --- notes ----------------------------------------------------------------------------


def test_notes_for_a_highway_chain_hold_its_values_and_bounds():
    """The notes' front gradient is mpmath.diff of the forward pass written here, and the
    ratio |∂C/∂a_0| / |∂C/∂a_4| lies inside the notes' own bounds (x in tanh's range)."""
    point = {"w": ["2"] * 4, "b": ["0"] * 4, "p": ["1"] * 4, "q": ["0"] * 4, "x": "0.5", "y": "0"}
    notes = symgrad.notes(4, "tanh", highway=True, w=2, x="0.5")
    with mpmath.workdps(40):
        expected = _mpmath_gradient("tanh", point, ("x", 0))
        got = mpmath.mpf(notes.evaluation.input_gradient)
        assert close(got, expected, digits=25)
        ratio = abs(got / mpmath.mpf(notes.evaluation.output_gradient))
        (factor,) = notes.bounds.factors
        lower, upper = (mpmath.mpf(sympy.N(v, 40)) for v in (factor.lower, factor.upper))
        assert lower**4 <= ratio <= upper**4
    assert notes.deeper_bounds.depth == 40 and notes.deeper_bounds.chain.highway


def test_notes_refuse_fixed_preactivations_for_a_highway_chain():
    result = symgrad_cli("notes", "--depth", "3", "--highway", "--z", "1")
    assert result.returncode == 2 and "give --x" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- floats ---------------------------------------------------------------------------


def test_a_float_gradient_stuck_at_a_subnormal_is_no_hold():
    """Gates nearly shut (q = -3) pass the gradient on at about 0.95 a layer; past float64's
    normal range 4.9·10^-324 times 0.95 rounds back to itself, so float64 keeps a gradient
    of 10^-324 where the true one is far smaller. The report names the first layer (from
    L down) where float64's δ is subnormal, found here by a float64 pass written in the
    test."""
    depth = 20_000
    result = symgrad.evaluate(depth, "tanh", highway=True, q=-3, w="0.5", x="0.5", dps=20)
    breakdown = next(b for b in result.floats if b.format == "float64")
    assert breakdown.what == "subnormal"
    # the test's own float64 pass: a_l = a + t (tanh(w a) - a), t = sigmoid(a - 3)
    import numpy
    a, gates, zs, inputs = numpy.float64(0.5), [], [], []
    for _ in range(depth):
        inputs.append(a)
        t = 1 / (1 + numpy.exp(-(a - 3)))
        z = 0.5 * a
        gates.append(t), zs.append(z)
        a = a + t * (numpy.tanh(z) - a)
    gradient, first = a - 0, None  # ∂C/∂a_L for C = (a_L - 0)²/2
    tiny = numpy.finfo(numpy.float64).tiny
    for k in range(depth - 1, -1, -1):
        t, slope = gates[k], 1 - numpy.tanh(zs[k]) ** 2
        delta = gradient * t * slope
        if first is None and 0 < abs(delta) < tiny:
            first = k + 1
        gradient = gradient * (1 - t + 0.5 * t * slope
                               + t * (1 - t) * (numpy.tanh(zs[k]) - inputs[k]))
    assert first is not None and abs(breakdown.layer - first) <= 2, (breakdown.layer, first)
    exact = abs(mpmath.mpf(result.input_gradient))
    assert exact < mpmath.mpf(10) ** -330 and breakdown.input_gradient >= 4.9e-324


def test_where_balls_cannot_settle_two_agreeing_runs_give_the_values_and_say_so(monkeypatch):
    """A highway's gate and carry both read a_{l-1}, so its balls widen faster than its
    values; past the balls' budget (made small here) two runs at rising digits give the
    values, right against mpmath.diff of a separate forward pass, and the result says
    they are not certified (and why) in every format."""
    from symgrad.numeric import evaluate as evaluate_module

    depth, act = 200, "tanh"
    monkeypatch.setattr(evaluate_module, "MAX_INTERVAL_WORK", 1)  # twice the first run's digits
    point = {"w": ["1.4"] * depth, "b": ["0"] * depth, "p": ["1.5"] * depth,
             "q": ["0.3"] * depth, "x": "0.5", "y": "0"}
    given = {name: point[name] for name in (*PARAMETERS, "x", "y")}
    evaluation = symgrad.evaluate(depth, act, highway=True, dps=60, **given)
    assert evaluation.uncertified is not None
    assert evaluation.uncertified.words == \
        "the balls did not narrow to the digits asked within 146 working digits"
    with mpmath.workdps(80 + depth // 2):
        for name, layer in _targets(depth):
            expected = _mpmath_gradient(act, point, (name, layer))
            assert close(mpmath.mpf(_evaluated(evaluation, name, layer)), expected, 55)
    data = json.loads(symgrad.render(evaluation, "json"))
    assert data["certified"] is False and data["uncertified_because"] == \
        evaluation.uncertified.words
    assert "they are not certified: " + evaluation.uncertified.words in \
        " ".join(symgrad.render(evaluation, "text").split())
    monkeypatch.undo()  # the balls' own budget: the same chain certified
    certified = symgrad.evaluate(depth, act, highway=True, dps=60, **given)
    assert certified.uncertified is None
    assert json.loads(symgrad.render(certified, "json"))["certified"] is True
