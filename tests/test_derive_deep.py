"""Deep chains against mpmath.diff of an independent forward pass, and property tests;
printing deep chains: what is printed against the same oracles, the work reported, the time."""

import contextlib
import json
import os
import pty
import re
import subprocess
import sys
import time

import mpmath
import pytest
import sympy
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sympy.parsing.sympy_parser import parse_expr

import symgrad
from symgrad import cli
from symgrad.commands import derive as derive_command
from symgrad.render import printing, render
from tests.oracle import (
    COST_EXPRESSIONS,
    MPMATH_ACTIVATIONS,
    close,
    mp_forward,
    mp_forward_with,
    mpmath_diff_gradient,
    random_point,
    substitute_forward,
    sympy_diff_gradient,
)


def _check(act, depth, cost, residual, tied, seed, targets, digits=30):
    derivation = symgrad.derive(depth, act, residual=residual, tied=tied, cost=cost,
                                layers=sorted({n for kind, n in targets if kind != "x"}))
    point = random_point(depth, seed=seed, tied=tied, cost=cost)
    weights, biases, x, y = point
    # The gradient can be 10^-170 beside a cost of order 1: numerical differentiation
    # needs that many more digits to see it.
    dps = 60 + 2 * depth
    with mpmath.workdps(dps):
        zs, outputs = mp_forward(act, weights, biases, x, residual)
    for kind, layer in targets:
        if kind == "x":
            expr = derivation.input_gradient
        else:
            gradient = derivation.layer(layer)
            expr = gradient.grad_w if kind == "w" else gradient.grad_b
        working = dps
        expected = mpmath_diff_gradient(act, cost, point, (kind, layer), residual, working)
        for _ in range(3):  # (fewer than 60 digits left beside a cost of order 1, or none:
            # again, with the digits the gradient's own size takes, or twice as many)
            with mpmath.workdps(working):
                small = -int(mpmath.log10(abs(expected))) if expected else working
            if small <= working - 60:
                break
            working += small + 20
            expected = mpmath_diff_gradient(act, cost, point, (kind, layer), residual, working)
        # (the derived formula, evaluated with as many digits as the gradient's size took)
        got = substitute_forward(derivation.concrete(expr).doit(), zs, outputs, weights, biases,
                                 x, y, tied, dps=working)
        assert close(got, expected, digits), (act, depth, kind, layer, got, expected)


@pytest.mark.parametrize("depth", [30, 200])
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "gelu", "softplus", "silu"])
@pytest.mark.parametrize("kind", ["plain", "residual"])
def test_deep_chains_equal_mpmath_diff(act, depth, kind):
    middle = depth // 2
    targets = [("w", 1), ("b", 1), ("w", middle), ("b", depth), ("x", 0)]
    _check(act, depth, "quadratic", kind == "residual", False, seed=depth, targets=targets)


def test_deep_tied_chain_layer_contributions():
    _check("tanh", 30, "quadratic", False, True, seed=3, targets=[("w", 1), ("b", 15), ("x", 0)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.integers(1, 40),
    act=st.sampled_from(sorted(MPMATH_ACTIVATIONS)),
    residual=st.booleans(),
    seed=st.integers(0, 10**6),
    layer_fraction=st.floats(0, 1),
)
def test_property_front_and_any_layer(depth, act, residual, seed, layer_fraction):
    layer = 1 + int(layer_fraction * (depth - 1))
    _check(act, depth, "quadratic", residual, False, seed,
           targets=[("w", layer), ("b", layer), ("x", 0)], digits=25)


# -- printing a deep chain: each kind of factor printed once, the work counted --------------
# The printers print each shape of factor (w_k, σ'(z_k), a_k(1 - a_k), ...) once and fill
# in the layer index. What they print is checked against oracles that share nothing with
# the printing: sympy.diff of the composed chain and mpmath.diff of a forward pass (the
# JSON strings, parsed back), and the index sequence written out here (LaTeX and text).

PRINTED_ACTS = ["sigmoid", "tanh", "relu", "x/(1+exp(-x))"]
ORACLE_ACTS = {"x/(1+exp(-x))": "silu"}  # the typed formula, written again in mpmath


def _point_in_range(activation, depth, tied, cost, residual, seed):
    """A random point (for cross-entropy one whose output lies in (0, 1)) and its forward pass."""
    for attempt in range(200):
        point = random_point(depth, seed=seed + attempt, tied=tied, cost=cost,
                             x_range=(-depth - 1, 1) if residual else (-1, 1))
        zs, outputs = mp_forward_with(activation, *point[:3], residual)
        if cost == "quadratic" or 0 < outputs[-1] < 1:
            return point, zs, outputs
    pytest.skip("no point with an output in (0, 1)")


def _json_targets(data, depth):
    """(JSON string, target) of every written-out gradient and the input gradient."""
    for entry in data["layers"]:
        yield entry["grad_w"], ("w", entry["layer"])
        yield entry["grad_b"], ("b", entry["layer"])
        yield entry["delta"], ("b", entry["layer"])
    yield data["input_gradient"], ("x", 0)


@pytest.mark.parametrize("cost", ["quadratic", "cross-entropy"])
@pytest.mark.parametrize("kind", ["plain", "residual", "tied"])
@pytest.mark.parametrize("act", PRINTED_ACTS)
def test_json_printed_factor_by_factor_equals_sympy_diff(monkeypatch, act, kind, cost):
    """Every product printed one factor at a time, as a deep chain's are, parses back to
    sympy.diff of the composed chain (depths 1 to 4, every written-out layer)."""
    monkeypatch.setattr(printing, "PLAIN_MUL_UP_TO", 0)  # no product is SymPy's Mul
    residual, tied = kind == "residual", kind == "tied"
    activation = symgrad.get_activation(act)
    for depth in (1, 2, 4):
        derivation = symgrad.derive(depth, act, residual=residual, tied=tied, cost=cost)
        data = json.loads(render(derivation, "json"))
        point, zs, outputs = _point_in_range(activation, depth, tied, cost, residual, 31 * depth)
        weights, biases, x, y = point
        for text, target in _json_targets(data, depth):
            assert "*" in text  # printed factor by factor
            got = substitute_forward(parse_expr(text), zs, outputs, weights, biases, x, y, tied)
            expected = sympy_diff_gradient(activation, COST_EXPRESSIONS[cost], point, target,
                                           residual)
            assert close(got, expected, 30), (act, kind, cost, depth, target, text)


@pytest.mark.parametrize("act, residual, tied", [("sigmoid", False, False), ("tanh", True, False),
                                                 ("x/(1+exp(-x))", False, False),
                                                 ("tanh", False, True)])
def test_deep_json_products_equal_mpmath_diff(act, residual, tied):
    """Depth 120: the front layer's 240 factors and ∂C/∂a_0 are long products (printed
    factor by factor by default), parsed back and compared with mpmath.diff."""
    depth = 120
    derivation = symgrad.derive(depth, act, residual=residual, tied=tied)
    data = json.loads(render(derivation, "json"))
    assert data["layers"][0]["delta"].count("*") >= printing.PLAIN_MUL_UP_TO
    point = random_point(depth, seed=5, tied=tied)
    weights, biases, x, y = point
    oracle_act = ORACLE_ACTS.get(act, act)
    dps = 60 + 2 * depth
    with mpmath.workdps(dps):
        zs, outputs = mp_forward(oracle_act, weights, biases, x, residual)
    front = data["layers"][0]
    for text, target in ((front["grad_w"], ("w", 1)), (front["delta"], ("b", 1)),
                         (data["input_gradient"], ("x", 0))):
        got = substitute_forward(parse_expr(text), zs, outputs, weights, biases, x, y, tied)
        expected = mpmath_diff_gradient(oracle_act, "quadratic", point, target, residual, dps)
        assert close(got, expected, 30), (act, target, got, expected)


def _runs(indices: list[int], depth: int) -> int:
    """How many times 1, 2, ..., depth appear in ``indices`` as a consecutive run."""
    wanted, runs, at = list(range(1, depth + 1)), 0, 0
    while True:
        try:
            at = indices.index(1, at)
        except ValueError:
            return runs
        if indices[at:at + depth] == wanted:
            runs += 1
        at += 1


@pytest.mark.parametrize("depth", [7, 350])
def test_latex_and_text_write_every_layer_s_factors_in_order(depth):
    """σ'(z_k) of a sigmoid chain is a_k(1 - a_k) through its output: δ_1, ∂C/∂w_1 and
    ∂C/∂a_0 each write it for k = 1, ..., L in turn, and w_k for k = 2 (or 1), ..., L."""
    derivation = symgrad.derive(depth, "sigmoid")
    latex, text = render(derivation, "latex"), render(derivation, "text")
    for document, derivative, weight in (
            (latex, r"a_\{(\d+)\} \\left\(1 - a_\{(\d+)\}\\right\)", r"w_\{(\d+)\}"),
            (text, r"a(\d+)·\(1 - a(\d+)\)", r"w(\d+)")):
        pairs = re.findall(derivative, document)
        assert all(first == second for first, second in pairs)
        assert _runs([int(first) for first, _ in pairs], depth) >= 3  # δ_1, ∂C/∂w_1, ∂C/∂a_0
        weights = [int(k) for k in re.findall(weight, document)]
        assert _runs(weights, depth) >= 2  # ∂C/∂a_0 abstract and concrete (from w_1)


def test_each_shape_of_factor_is_printed_by_sympy_once(monkeypatch):
    """At depth 2,000 a LaTeX document prints some 20,000 factors; SymPy's printer sees
    a few dozen of them (each shape at its first layer and at two stand-in indices)."""
    printed = []
    original = printing._factor_uncached

    def counted(printer, factor):
        printed.append(factor)
        return original(printer, factor)

    monkeypatch.setattr(printing, "_factor_uncached", counted)
    derivation = symgrad.derive(2_000, "sigmoid")
    reports = []
    with printing.reporting(reports.append):
        render(derivation, "latex")
    assert sum(reports) > 15_000
    assert len(printed) < 100, len(printed)


def test_a_shape_that_prints_differently_at_another_index_is_printed_factor_by_factor():
    """A number with a stand-in's digits, or layer symbols at two indices: no filling in."""
    printer = printing.LatexPrinter()
    texts = printing.FactorTexts()
    stand_in = int(printing._STAND_INS[0])

    def direct(factor):
        return printing._factor_uncached(printer, factor)

    factors = [sympy.Symbol(f"w{k}", real=True) * stand_in for k in (3, 4, 12)]
    factors += [sympy.Symbol(f"a{k}", real=True) + sympy.Symbol(f"a{k + 9}", real=True)
                for k in (1, 2, 3)]
    factors += [sympy.Symbol(f"z{k}", real=True) ** 2 - k for k in (5, 6, 7)]
    factors += [sympy.Symbol(f"z{k}", real=True) ** 2 - 1 for k in (5, 6, 70)]  # filled in
    for factor in factors:
        assert texts.text(factor, direct) == direct(factor), factor


@pytest.mark.parametrize("fmt", ["text", "latex", "markdown", "json"])
@pytest.mark.parametrize("depth, act, options", [
    (6, "sigmoid", {}), (250, "sigmoid", {"cost": "cross-entropy"}),
    (250, "tanh", {"residual": True}), (30, "relu", {"tied": True}),
    (300, "x/(1+exp(-x))", {"layers": [2, 150]}), (None, "sigmoid", {})])
def test_printing_reports_the_factors_print_work_counts(fmt, depth, act, options):
    derivation = symgrad.derive(depth, act, **options)
    reports = []
    with printing.reporting(reports.append):
        render(derivation, fmt)
    assert sum(reports) == printing.print_work(derivation, fmt) > 0
    assert all(n > 0 for n in reports)
    if depth and depth > 200:  # planned before deriving: a bound, but for the equations
        planned = printing.planned_print_work(depth, options.get("layers"),
                                              derivation.chain.layer,
                                              options.get("tied", False), fmt)
        assert sum(reports) - 64 <= planned <= 1.7 * sum(reports)


def _recorded_bar(events):
    """A stand-in for the derive command's ``progress_bar``: every total and change it is given, in order."""
    @contextlib.contextmanager
    def progress(total, shown=True):
        events.append({"total": total})
        yield (lambda **change: events.append(change)) if shown else None

    return progress


@pytest.mark.parametrize("fmt", ["latex", "json", "text"])
@pytest.mark.parametrize("to_file", [True, False])
def test_the_derive_bar_covers_derivation_and_printing(monkeypatch, tmp_path, fmt, to_file):
    """One bar: its total is the layers derived and the factors printed (twenty to a layer),
    exact before the printing starts, and what it is told adds up to that total; the
    output is the same as without a bar."""
    depth = 400
    monkeypatch.setattr(derive_command, "PROGRESS_FROM_DERIVE_DEPTH", 100)
    target = tmp_path / f"d.{ {'latex': 'tex', 'json': 'json', 'text': 'txt'}[fmt]}"
    arguments = ["derive", "--depth", str(depth), "--act", "tanh", "--format", fmt]
    arguments += ["-o", str(target)] if to_file else []
    plain_run = CliRunner().invoke(cli.main, arguments)
    assert plain_run.exit_code == 0, plain_run.output
    expected = target.read_text() if to_file else plain_run.stdout
    events = []
    monkeypatch.setattr(derive_command, "progress_bar", _recorded_bar(events))
    run = CliRunner().invoke(cli.main, arguments)
    assert run.exit_code == 0, run.output
    assert (target.read_text() if to_file else run.stdout) == expected
    planned = events[0]["total"]
    totals = [e["total"] for e in events[1:] if "total" in e]
    advances = [e["advance"] for e in events[1:] if "advance" in e]
    derivation = symgrad.derive(depth, "tanh")
    exact = depth + printing.print_work(derivation, fmt) / derive_command.PRINTED_FACTORS_PER_LAYER
    assert totals == [pytest.approx(exact)] and planned >= 0.99 * exact
    assert sum(advances) == pytest.approx(exact)
    printing_from = next(n for n, e in enumerate(events) if e.get("description") == "printing")
    assert sum(e.get("advance", 0) for e in events[:printing_from]) == depth  # then the printing


def test_the_bar_on_a_terminal_reaches_its_end(tmp_path):
    """The real bar, on a pseudo-terminal: it climbs to 100% and leaves the file as
    without it."""
    target, plain_target = tmp_path / "bar.tex", tmp_path / "plain.tex"
    arguments = [sys.executable, "-m", "symgrad.cli", "derive", "--depth", "5000",
                 "--act", "sigmoid"]
    assert subprocess.run([*arguments, "-o", str(plain_target)], capture_output=True,
                          timeout=120).returncode == 0
    leader, follower = pty.openpty()
    process = subprocess.Popen([*arguments, "-o", str(target)], stdout=subprocess.DEVNULL,
                               stderr=follower)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    assert process.wait(timeout=120) == 0
    percentages = [int(p) for p in re.findall(rb"(\d+)%", shown)]
    assert percentages and percentages[-1] == 100 and percentages == sorted(percentages)
    assert target.read_bytes() == plain_target.read_bytes()


def test_depth_ten_thousand_derives_and_prints_latex_in_seconds(tmp_path):
    """The whole command, derivation and LaTeX, at depth 10,000 (256 s at 100,000 and
    several seconds here when each factor went through SymPy's printer; about 3 s now)."""
    target = tmp_path / "deep.tex"
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "symgrad.cli", "derive", "--depth", "10000",
                          "--act", "sigmoid", "-o", str(target)], capture_output=True,
                         text=True, timeout=300)
    elapsed = time.perf_counter() - started
    assert run.returncode == 0, run.stderr
    latex = target.read_text()
    assert latex.count(r"a_{10000} \left(1 - a_{10000}\right)") >= 3
    assert elapsed < 20, elapsed
