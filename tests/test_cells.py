"""Recurrent cells (rnn, lstm, gru) against oracles written here, apart from symgrad:

- ``sympy.diff`` of the composed network (every step nested into the next), at T ≤ 3 for
  the LSTM and T ≤ 4 for the GRU (h_{t-1} enters four places per step, so the derivative of
  the composed tree grows about six-fold a step: T = 6 takes minutes) and T ≤ 6 for the rnn;
- ``mpmath.diff`` of a forward pass written here, at 60 digits, for T = 6, 50 and 300;
- complex-step differentiation of a float64 numpy forward pass written from torch.nn.LSTM's
  and torch.nn.GRU's documented equations;
- torch.nn.RNN/LSTM/GRU and their autograd, where torch is installed (CI installs its CPU
  wheel; the test skips without it);
- the derivation's JSON (``gradients`` in the forward names and the backward names each
  step defines), evaluated here at the point and compared with the same oracles.
"""

from __future__ import annotations

import json
import random

import mpmath
import numpy
import pytest
import sympy

import symgrad
from symgrad.errors import SymgradError
from symgrad.render import render
from tests.numbers import ends

PARAMETERS = {
    "rnn": ("u", "w", "b"),
    "lstm": tuple(p + g for g in "ifgo" for p in "uwb"),
    "gru": ("ur", "wr", "br", "uz", "wz", "bz", "un", "wn", "bn", "dn"),
}
STATE = {"rnn": ("h",), "lstm": ("h", "c"), "gru": ("h",)}


def draw(cell: str, seed: int) -> dict:
    rnd = random.Random(seed)
    return {name: sympy.Rational(rnd.randint(-1500, 1500), 1000) for name in PARAMETERS[cell]}


# --- the forward pass, written once here for any number type ---------------------------

def forward(cell: str, p: dict, xs, h0, c0, y, lib, perturb=None):
    """C = ½(h_T − y)² of the unrolled cell, with ``lib`` giving exp and tanh. ``perturb``:
    (step l, state name, ε) adds ε to that state after step l (l = 0: the initial state)."""
    def sig(v):
        return 1 / (1 + lib.exp(-v))

    h, c = h0, c0

    def nudge(step):
        nonlocal h, c
        if perturb is not None and perturb[0] == step:
            if perturb[1] == "h":
                h = h + perturb[2]
            else:
                c = c + perturb[2]

    nudge(0)
    for step, x in enumerate(xs, start=1):
        if cell == "rnn":
            h = lib.tanh(p["u"] * x + p["w"] * h + p["b"])
        elif cell == "lstm":
            i = sig(p["ui"] * x + p["wi"] * h + p["bi"])
            f = sig(p["uf"] * x + p["wf"] * h + p["bf"])
            g = lib.tanh(p["ug"] * x + p["wg"] * h + p["bg"])
            o = sig(p["uo"] * x + p["wo"] * h + p["bo"])
            c = f * c + i * g
            h = o * lib.tanh(c)
        else:  # torch.nn.GRU: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
            r = sig(p["ur"] * x + p["wr"] * h + p["br"])
            z = sig(p["uz"] * x + p["wz"] * h + p["bz"])
            n = lib.tanh(p["un"] * x + p["bn"] + r * (p["wn"] * h + p["dn"]))
            h = (1 - z) * n + z * h
        nudge(step)
    return (h - y) ** 2 / 2


class _MpmathLib:
    exp = staticmethod(mpmath.exp)
    tanh = staticmethod(mpmath.tanh)


def mp(value):
    return mpmath.mpf(sympy.Rational(value).p) / sympy.Rational(value).q


def mpmath_gradients(cell, p, xs, h0, c0, y) -> dict:
    """∂C/∂θ for every parameter by mpmath.diff at 60 digits."""
    out = {}
    with mpmath.workdps(60):
        base = {k: mp(v) for k, v in p.items()}
        inputs = [mp(x) for x in xs]
        for name in p:
            def cost(theta, name=name):
                return forward(cell, {**base, name: theta}, inputs, mp(h0), mp(c0), mp(y), _MpmathLib)
            out[name] = mpmath.diff(cost, base[name])
    return out


def close(a, b, digits: int) -> bool:
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    return abs(a - b) <= mpmath.mpf(10) ** -digits * max(abs(b), mpmath.mpf(10) ** -40)


def evaluated(cell, steps, p, xs, h0=0, c0=0, y=0, dps=30, **kwargs):
    return symgrad.evaluate_cell(cell, steps, parameters={k: str(v) for k, v in p.items()},
                                 x=[str(v) for v in xs], h0=str(h0),
                                 c0=str(c0) if cell == "lstm" else None, y=str(y), dps=dps,
                                 **kwargs)


# --- sympy.diff of the composed network ------------------------------------------------

class _Exp(sympy.Function):
    """exp, unevaluated: SymPy's own exp and tanh inspect their nested arguments at every
    step (two minutes to build a 3-step LSTM); the derivative is the same."""

    def fdiff(self, argindex=1):
        return self


class _Tanh(sympy.Function):
    def fdiff(self, argindex=1):
        return 1 - self ** 2


class _SymbolicLib:
    exp = _Exp
    tanh = _Tanh


@pytest.mark.parametrize("cell, steps", [("rnn", 1), ("rnn", 6), ("lstm", 1), ("lstm", 3),
                                         ("gru", 3)])
def test_eval_matches_sympy_diff_of_the_composed_network(cell, steps):
    """(Three GRU steps already take every path of the unrolled pass; a fourth cost this
    oracle 27 s of sympy.diff, and mpmath.diff checks 6, 50 and 300 steps below.)"""
    p = draw(cell, steps)
    xs = [sympy.Rational(k - 2, 3) for k in range(steps)]
    h0, c0, y = sympy.Rational(1, 5), sympy.Rational(-1, 3), sympy.Rational(1, 2)
    result = evaluated(cell, steps, p, xs, h0, c0, y, dps=25)
    symbols = {name: sympy.Symbol(name) for name in p}
    cost = forward(cell, symbols, xs, h0, c0 if cell == "lstm" else 0, y, _SymbolicLib)
    derivatives = sympy.lambdify(list(symbols.values()),
                                 [sympy.diff(cost, symbol) for symbol in symbols.values()],
                                 [{"_Exp": mpmath.exp, "_Tanh": mpmath.tanh}, "mpmath"], cse=True)
    with mpmath.workdps(50):
        truth = dict(zip(p, derivatives(*(mp(v) for v in p.values())), strict=True))
    for name, value in result.gradients:
        assert close(value, truth[name], 24), (cell, name, value, truth[name])


# --- mpmath.diff of a separate forward pass at 60 digits --------------------------------

@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("steps", [6, 50, pytest.param(300, marks=pytest.mark.slow)])
def test_eval_matches_mpmath_diff(cell, steps):
    p = draw(cell, 100 + steps)
    xs = [sympy.Rational((7 * k) % 11 - 5, 4) for k in range(steps)]
    h0, c0, y = sympy.Rational(-1, 2), sympy.Rational(1, 4), sympy.Rational(3, 4)
    result = evaluated(cell, steps, p, xs, h0, c0, y, dps=30)
    truth = mpmath_gradients(cell, p, xs, h0, c0, y)
    for name, value in result.gradients:
        assert close(value, truth[name], 29), (cell, steps, name, value, truth[name])
    with mpmath.workdps(60):
        cost = forward(cell, {k: mp(v) for k, v in p.items()}, [mp(x) for x in xs], mp(h0),
                       mp(c0), mp(y), _MpmathLib)
    assert close(result.cost, cost, 29)


def test_state_gradients_are_the_carried_states_and_the_carousel_is_the_gate_product():
    """∂C/∂h_l and ∂C/∂c_l (the state carried into step l + 1) against mpmath.diff of C with
    that state nudged after step l; and with the recurrent weights 0, ∂C/∂c_l is the
    closed form's carousel term (h_T − y) o_T (1 − tanh² c_T) ∏_{k>l} f_k."""
    steps = 8
    p = draw("lstm", 5)
    xs = [sympy.Rational(k, 5) for k in range(steps)]
    result = evaluated("lstm", steps, p, xs, 0, sympy.Rational(1, 3), 1)
    with mpmath.workdps(60):
        base = {k: mp(v) for k, v in p.items()}
        for record in result.steps:
            for state, value in record.state_gradients:
                truth = mpmath.diff(lambda eps, s=state, r=record: forward(
                    "lstm", base, [mp(x) for x in xs], 0, mp(sympy.Rational(1, 3)), 1,
                    _MpmathLib, perturb=(r.t, s, eps)), 0)
                assert close(value, truth, 25), (record.t, state, value, truth)
    gated = {**p, "wi": 0, "wf": 0, "wg": 0, "wo": 0}
    result = evaluated("lstm", steps, gated, xs, 0, sympy.Rational(1, 3), 1)
    last = result.steps[-1]
    with mpmath.workdps(40):
        h, c, o = last.value("h"), last.value("c"), last.value("o")
        passed = (h - 1) * o * (1 - mpmath.tanh(c) ** 2)
        for record in result.steps[:-1]:
            product = mpmath.fprod(s.value("f") for s in result.steps[record.t:])
            assert close(dict(record.state_gradients)["c"], passed * product, 25)
            assert close(record.carousel, product, 25)


# --- torch's equations in float64, differentiated by complex step ---------------------

@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_eval_matches_torch_equations_in_float64(cell):
    steps = 50
    p = draw(cell, 7)
    xs = numpy.linspace(-1, 1, steps)
    result = evaluated(cell, steps, p, [sympy.Rational(float(x)) for x in xs], 0, 0, 0, dps=20)
    got = dict(result.gradients)
    step = 1e-30
    for name in p:
        values = {k: complex(float(v)) for k, v in p.items()}
        values[name] += 1j * step
        cost = forward(cell, values, xs.astype(complex), 0j, 0j, 0.0, numpy)
        assert abs(cost.imag / step - float(got[name])) <= 1e-12 * max(1.0, abs(float(got[name])))


# --- the derivation's expressions -------------------------------------------------------

def _derived_gradients(cell: str, steps: int, p: dict, xs, h0, c0, y) -> dict:
    """The JSON of ``derive --cell`` evaluated at the point: forward quantities from its own
    ``steps[].quantities``, then ∂C/∂s from ``final`` and each step's ``backward``."""
    data = json.loads(render(symgrad.derive_cell(cell, steps, "tanh" if cell == "rnn" else None),
                             "json"))
    names = {"sigmoid": lambda v: 1 / (1 + sympy.exp(-v)), "tanh": sympy.tanh}
    values = {sympy.Symbol(k): v for k, v in p.items()}
    values.update({sympy.Symbol(f"x{t + 1}"): x for t, x in enumerate(xs)})
    values[sympy.Symbol("h0")], values[sympy.Symbol("c0")], values[sympy.Symbol("y")] = h0, c0, y

    def value(text):
        expr = sympy.parse_expr(text, local_dict={**names, **{str(k): k for k in values}})
        expr = expr.subs({s: sympy.Symbol(s.name) for s in expr.free_symbols})
        return sympy.N(expr.subs(values), 40)

    for step in data["steps"]:
        for name, text in step["quantities"].items():
            values[sympy.Symbol(name)] = value(text)
    for name, text in data["final"].items():
        values[sympy.Symbol(name)] = value(text)
    for step in reversed(data["steps"]):
        for name, text in step["backward"].items():
            values[sympy.Symbol(name)] = value(text)
    assert set(data["gradients"]) == set(p)
    return {name: value(text) for name, text in data["gradients"].items()}


@pytest.mark.parametrize("cell, steps", [("rnn", 4), ("lstm", 3), ("gru", 3), ("lstm", 12)])
def test_derived_gradients_match_mpmath_diff(cell, steps):
    p = draw(cell, 40 + steps)
    xs = [sympy.Rational(3 - k, 4) for k in range(steps)]
    h0, c0, y = sympy.Rational(1, 3), sympy.Rational(-1, 4), sympy.Rational(1, 7)
    derived = _derived_gradients(cell, steps, p, xs, h0, c0, y)
    truth = mpmath_gradients(cell, p, xs, h0, c0 if cell == "lstm" else 0, y)
    for name in p:
        assert close(derived[name], truth[name], 35), (cell, name, derived[name], truth[name])


def test_the_general_step_reads_in_the_gates():
    lstm = symgrad.derive_cell("lstm")
    text = render(lstm, "text")
    assert "∂c_t/∂c_(t-1) = f_t" in text
    assert "∏[k=l+1..T] f_k + R_l" in text
    gru = render(symgrad.derive_cell("gru"), "text")
    assert "∏[k=l+1..T] z_k + R_l" in gru
    rnn = render(symgrad.derive_cell("rnn"), "text")
    assert "w^(T - l)" in rnn and "∏[k=l+1..T] σ'(z_k)" in rnn


# --- enclosures ------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_interval_enclosures_hold_the_gradients(cell):
    steps = 20
    p = draw(cell, 3)
    xs = [sympy.Rational(k % 3, 2) for k in range(steps)]
    result = evaluated(cell, steps, p, xs, 0, 0, 0, dps=15, interval=True)
    truth = mpmath_gradients(cell, p, xs, 0, 0, 0)
    with mpmath.workdps(60):
        for name, enclosure in result.gradients:
            lo, hi = ends(enclosure)
            assert lo <= truth[name] <= hi, (name, enclosure, truth[name])
            assert hi - lo <= mpmath.mpf(10) ** -14 * abs(truth[name])


# --- refusals ----------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: symgrad.evaluate_cell("lstm", 3, parameters={"wx": 1}), "has no parameter 'wx'"),
    (lambda: symgrad.evaluate_cell("gru", 3, c0=1), "no cell state"),
    (lambda: symgrad.evaluate_cell("tcn", 3), "must be one of rnn, lstm, gru"),
    (lambda: symgrad.evaluate_cell("rnn", 0), "The steps must be at least 1, not 0"),
    (lambda: symgrad.evaluate_cell("rnn", 3, x=[1, 2]), "3"),
    (lambda: symgrad.evaluate_cell("rnn", 3, dps=-5), "precision"),
    (lambda: symgrad.evaluate_cell("rnn", 3, parameters=[("w", 1)]), "must map each name"),
    (lambda: symgrad.evaluate_cell("lstm", 3, parameters={"wf": "1e999999999"}), "wf"),
    (lambda: symgrad.derive_cell("lstm", 3, "relu"), "fixed"),
    (lambda: symgrad.derive_cell("rnn", 5000), "at most 1000, not 5000"),
    (lambda: symgrad.evaluate(3, x=1, parameters="w=1"), "parameters belongs to a recurrent cell"),
    (lambda: symgrad.evaluate(cell="rnn", steps=3, w=2), "w belongs to a chain or net"),
    (lambda: symgrad.derive(cell="lstm", steps=2, tied=True), "tied belongs to a chain"),
    (lambda: symgrad.evaluate_cell("rnn", 3, parameters="w"), "NAME=VALUE"),
    (lambda: symgrad.evaluate_cell("rnn", 3, seed=-1), "seed"),
])
def test_api_refuses_with_one_sentence(call, message):
    with pytest.raises(SymgradError, match=message):
        call()


def test_a_saturated_gate_gradient_is_not_taken_for_zero():
    """tanh(100) rounds to 1 at the first working digits, so ∂C/∂u = x(1 − h²)h rounds to 0 in
    two runs alike; the enclosure proves no 0 and the digits go up (10^-85, mpmath.diff)."""
    p = {"u": sympy.Integer(1), "w": sympy.Rational(1, 2), "b": sympy.Integer(0)}
    result = evaluated("rnn", 1, p, [100], dps=20)
    with mpmath.workdps(250):
        truth = mpmath.diff(lambda u: forward("rnn", {**{k: mp(v) for k, v in p.items()}, "u": u},
                                               [mp(100)], 0, 0, 0, _MpmathLib), 1)
        assert truth != 0 and close(dict(result.gradients)["u"], truth, 19)


def test_a_step_activation_gives_exact_zeros_not_an_unsettled_refusal():
    """An rnn with σ = Heaviside: every h_t is 0 or 1 and every σ' is 0 away from the step,
    so every gradient is exactly 0 (a bare 0 out of the compiled branch counts as proved);
    the cost is that of the pass written here."""
    run = symgrad.evaluate_cell("rnn", 3, "Heaviside(x)", parameters="u=1/2,w=1/2,b=0", x=1)
    h = 0
    for _ in range(3):
        h = 1 if h / 2 + mpmath.mpf(1) / 2 > 0 else 0
    assert mpmath.mpf(symgrad.decimal(run.cost, 20)) == mpmath.mpf(h) ** 2 / 2
    assert all(value == 0 for _, value in (*run.gradients, *run.initial_gradients))


# --- torch.nn's own cells and autograd (where torch is installed: CI installs the CPU wheel) -

TORCH_ORDER = {  # torch's gate order in weight_ih/weight_hh/bias_ih; bias_hh is 0 but GRU's b_hn
    "rnn": (("u", "w", "b"),),
    "lstm": tuple((f"u{g}", f"w{g}", f"b{g}") for g in "ifgo"),
    "gru": (("ur", "wr", "br"), ("uz", "wz", "bz"), ("un", "wn", "bn")),
}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_eval_matches_torch_nn_autograd(cell):
    torch = pytest.importorskip("torch")
    steps = 30
    p = draw(cell, 11)
    xs = [sympy.Rational(k - 15, 10) for k in range(steps)]
    got = dict(evaluated(cell, steps, p, xs, 0, 0, sympy.Rational(1, 3), dps=20).gradients)
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](
        1, 1, dtype=torch.float64)
    gates = TORCH_ORDER[cell]
    with torch.no_grad():
        for k, (u, w, b) in enumerate(gates):
            module.weight_ih_l0[k, 0] = float(p[u])
            module.weight_hh_l0[k, 0] = float(p[w])
            module.bias_ih_l0[k] = float(p[b])
        module.bias_hh_l0.zero_()
        if cell == "gru":
            module.bias_hh_l0[2] = float(p["dn"])
    out, _ = module(torch.tensor([[[float(x)]] for x in xs], dtype=torch.float64))
    ((out[-1, 0, 0] - 1 / 3) ** 2 / 2).backward()
    torch_grads = {}
    for k, (u, w, b) in enumerate(gates):
        torch_grads[u] = module.weight_ih_l0.grad[k, 0].item()
        torch_grads[w] = module.weight_hh_l0.grad[k, 0].item()
        torch_grads[b] = module.bias_ih_l0.grad[k].item()
    if cell == "gru":
        torch_grads["dn"] = module.bias_hh_l0.grad[2].item()
    assert set(torch_grads) == set(p)
    scale = max(abs(float(v)) for v in got.values())
    for name, value in torch_grads.items():
        assert abs(value - float(got[name])) <= 1e-12 * scale, name
