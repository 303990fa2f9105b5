"""Checkpointed passes (issue 17): the same numbers as a plain pass, bit for bit, in
bounded memory.

A pass whose per-layer numbers would pass ``backprop.CHECKPOINT_BYTES`` keeps a_k only
every S ≈ √L layers and ∂C/∂a_k at the same layers, and recomputes any other value from
them. These tests force it at small depths (a small threshold, or a given segment size)
and compare every value with the plain pass in MPFR, intervals and floats; check the
gradients against mpmath.diff of the cost; and run the CLI deep enough that a plain pass
would not fit the memory limit.
"""

import contextlib
import json
import os
import subprocess
import sys
import tracemalloc

import gmpy2
import mpmath
import numpy
import pytest
import sympy
from click.testing import CliRunner
from flint import arb

import symgrad
from symgrad import api, cli
from symgrad.commands import common
from symgrad.commands import evaluate as evaluate_command
from symgrad.numeric import backprop, evaluate
from symgrad.numeric.backprop import ChainPoint, run_pass
from symgrad.numeric.evaluate import evaluate_chain
from symgrad.numeric.interval import Interval
from symgrad.numeric.kinds import (
    float_arithmetic,
    interval_arithmetic,
    mpfr_arithmetic,
    mpmath_arithmetic,
    rational_arithmetic,
)
from symgrad.render import render_chunks

R = sympy.Rational
NEVER = 2**62  # a threshold no test pass reaches: plain


def identical(x, y) -> bool:
    """The same number bit for bit: the same type, value and sign (of a zero, too); NaN
    is NaN's twin; intervals end by end."""
    if x is None or y is None:
        return x is None and y is None
    if type(x) is not type(y):
        return False
    if isinstance(x, Interval):
        return identical(x.lo, y.lo) and identical(x.hi, y.hi)
    if isinstance(x, arb):  # midpoint and radius, bit for bit
        return (x.mid().man_exp(), x.rad().man_exp()) == (y.mid().man_exp(), y.rad().man_exp()) \
            if x.is_finite() else not y.is_finite()
    if isinstance(x, gmpy2.mpfr):
        return (gmpy2.is_nan(x) and gmpy2.is_nan(y)) or \
            (x == y and gmpy2.is_signed(x) == gmpy2.is_signed(y) and x.precision == y.precision)
    if isinstance(x, numpy.floating):
        return x.tobytes() == y.tobytes()
    if isinstance(x, mpmath.mpf):
        return x._mpf_ == y._mpf_
    if isinstance(x, tuple):
        return len(x) == len(y) and all(identical(a, b) for a, b in zip(x, y))
    return x == y


def chain_and_point(kind: str, depth: int, act: str = "sigmoid", cost: str = "quadratic"):
    """A chain with varied per-layer weights and biases (so a segment's inputs differ)."""
    chain = symgrad.ScalarChain(depth, symgrad.get_activation(act), residual=kind == "residual",
                                tied=kind == "tied", cost=cost)
    if kind == "tied":
        return chain, ChainPoint((R(5, 4),) * depth, (R(-1, 5),) * depth, x=R(1, 2), y=R(1, 3))
    weights = tuple(R(3, 2) + R((k * 7) % 5 - 2, 10) for k in range(depth))
    if kind == "gain":
        return chain, ChainPoint(weights, z=tuple(R((k * 3) % 11 - 5, 4) for k in range(depth)),
                                 upstream=R(2, 3))
    biases = tuple(R((k * 5) % 7 - 3, 10) for k in range(depth))
    return chain, ChainPoint(weights, biases, x=R(1, 2), y=R(1, 3) if cost == "quadratic" else R(1))


ARITHMETIC = {
    "mpfr": lambda chain: mpfr_arithmetic(chain, 40),
    "mpmath": lambda chain: mpmath_arithmetic(chain, 40),
    "interval": lambda chain: interval_arithmetic(chain, 40),
    "float64": lambda chain: float_arithmetic(chain, "float64"),
    "float32": lambda chain: float_arithmetic(chain, "float32"),
}
SUMMARY = ("input_gradient", "output_gradient", "cost", "weight_gradient_sum", "first_failure",
           "zero_from", "first_non_finite")


def one_pass(chain, point, kind, keep=None, **options):
    math = ARITHMETIC[kind](chain)
    with math.scope():
        return run_pass(chain, point, math, keep, **options)


def assert_same_pass(plain, checkpointed, keep, depth: int, gain: bool) -> None:
    for name in SUMMARY:
        assert identical(getattr(plain, name), getattr(checkpointed, name)), name
    layers = range(depth) if keep is None else sorted(n - 1 for n in keep)
    for k in layers:
        for name in ("weights", "z", "act_prime", "delta"):
            assert identical(getattr(plain, name)[k], getattr(checkpointed, name)[k]), (name, k + 1)
        if not gain:
            assert identical(plain.a[k], checkpointed.a[k]) and \
                identical(plain.a[k + 1], checkpointed.a[k + 1]), k + 1
        assert plain.delta_is_zero(k + 1) == checkpointed.delta_is_zero(k + 1)
    assert len(plain.a) == len(checkpointed.a) and len(plain.act_prime) == len(checkpointed.act_prime)
    if not gain:
        assert identical(plain.a[-1], checkpointed.a[-1]) and identical(plain.z[-1], checkpointed.z[-1])


# --- (1) the checkpointed pass is the plain pass ------------------------------------------


@pytest.mark.parametrize("arithmetic", list(ARITHMETIC))
@pytest.mark.parametrize("kind", ["plain", "residual", "tied", "gain"])
def test_checkpointed_equals_plain_around_the_threshold(kind, arithmetic):
    """At the threshold depth the pass is plain, one layer deeper it checkpoints: every
    value the same, bit for bit, at depths just around it and well past it."""
    threshold_depth = 40
    chain, point = chain_and_point(kind, threshold_depth)
    math = ARITHMETIC[arithmetic](chain)
    with math.scope():  # mpmath's numbers have the scope's digits
        limit = backprop._stored_bytes(chain, point, math, range(threshold_depth))
    for depth in (threshold_depth - 1, threshold_depth, threshold_depth + 1, 97):
        chain, point = chain_and_point(kind, depth)
        plain = one_pass(chain, point, arithmetic, checkpoint_bytes=NEVER)
        result = one_pass(chain, point, arithmetic, checkpoint_bytes=limit)
        assert (result.checkpoints is not None) == (depth > threshold_depth)
        assert_same_pass(plain, result, None, depth, kind == "gain")


@pytest.mark.parametrize("arithmetic", ["mpfr", "interval", "float64"])
@pytest.mark.parametrize("kind", ["plain", "residual", "tied", "gain"])
@pytest.mark.parametrize("segment", [1, 2, 7, 48, 49, 50])
def test_every_segment_size(kind, arithmetic, segment):
    """Segments of one layer, of a size that does not divide the depth, one short of it,
    and the whole chain; every layer kept, a few kept (stored as the pass meets them), and
    a few kept plus retained ones."""
    depth = 49
    chain, point = chain_and_point(kind, depth)
    for keep, retain in ((None, ()), ({1, 7, 8, 49}, ()), ({1, 2, 3, 20, 21, 30, 49}, {2, 30})):
        plain = one_pass(chain, point, arithmetic, keep, checkpoint_bytes=NEVER)
        result = one_pass(chain, point, arithmetic, keep, segment=segment, retain=retain)
        assert result.checkpoints is not None and result.checkpoints.size == min(segment, depth)
        assert_same_pass(plain, result, keep, depth, kind == "gain")
        if keep is not None:  # the layers not kept have no δ, as in a plain pass
            assert all(result.delta[k] is None for k in range(depth) if k + 1 not in keep)


def test_rational_arithmetic_checkpoints_too():
    chain, point = chain_and_point("residual", 30, act="relu")
    math = rational_arithmetic(chain)
    plain = run_pass(chain, point, math, checkpoint_bytes=NEVER)
    result = run_pass(chain, point, math, segment=4)
    assert_same_pass(plain, result, None, 30, False)


@pytest.mark.parametrize("arithmetic", ["mpfr", "float64", "float32"])
def test_cross_entropy_through_the_last_preactivation(arithmetic):
    """Cross-entropy's cost is taken through z_L, which a checkpointed pass keeps."""
    chain, point = chain_and_point("plain", 30, cost="cross-entropy")
    plain = one_pass(chain, point, arithmetic, checkpoint_bytes=NEVER)
    result = one_pass(chain, point, arithmetic, segment=6)
    assert_same_pass(plain, result, None, 30, False)


def test_float_failures_and_exact_zeros_are_found_alike():
    """Float δ that underflows, overflows, or is 0 where the exact δ is 0 too (a dead
    relu in a residual chain): the same first failure and first non-finite quantity,
    whether the float pass or the exact one it asks about is checkpointed."""
    depth = 300
    relu = symgrad.ScalarChain(depth, symgrad.get_activation("relu"), residual=True)
    dead = ChainPoint((R(1, 10),) * depth, tuple(R(-10) if k % 3 == 0 else R(1, 10)
                                                for k in range(depth)), x=R(1, 2), y=R(0))
    big = symgrad.ScalarChain(depth, symgrad.get_activation("linear"))
    for chain, point in ((relu, dead), (big, ChainPoint((R(20),) * depth, z=(R(1),) * depth)),
                         (big, ChainPoint((R(1, 20),) * depth, z=(R(1),) * depth))):
        exact = {how: one_pass(chain, point, "mpfr", **options) for how, options in
                 (("plain", {"checkpoint_bytes": NEVER}), ("checkpointed", {"segment": 17}))}
        for name in ("float64", "float32"):
            results = [one_pass(chain, point, name, (), exact_zero=exact[how].delta_is_zero,
                                **options)
                       for how in ("plain", "checkpointed")
                       for options in ({"checkpoint_bytes": NEVER}, {"segment": 17})]
            for result in results[1:]:
                assert identical(result.first_failure, results[0].first_failure)
                assert identical(result.first_non_finite, results[0].first_non_finite)
                assert identical(result.input_gradient, results[0].input_gradient)
            # the relu chain's float zeros are all exact ones; the others give up
            assert (results[0].first_failure is None) == (chain is relu)
        if chain is relu:  # the checkpointed exact pass knows its zeros from its bitmap
            assert exact["checkpointed"].zero_derivatives.count(0) < (depth + 7) // 8
            assert exact["checkpointed"].delta_is_zero(1) and not exact["checkpointed"].delta_is_zero(2)


@pytest.fixture
def checkpointing(monkeypatch):
    """Every pass of an evaluation checkpointed (the exact runs, the enclosure that proves
    a zero, both float passes)."""
    monkeypatch.setattr(backprop, "CHECKPOINT_BYTES", 0)


def evaluations(chain, point, monkeypatch, **options):
    monkeypatch.setattr(backprop, "CHECKPOINT_BYTES", NEVER)
    plain = evaluate_chain(chain, point, 30, **options)
    monkeypatch.setattr(backprop, "CHECKPOINT_BYTES", 0)
    checkpointed = evaluate_chain(chain, point, 30, **options)
    return plain, checkpointed


@pytest.mark.parametrize("interval", [False, True])
@pytest.mark.parametrize("kind", ["plain", "residual", "tied", "gain"])
def test_evaluation_checkpointed_equals_plain(kind, interval, monkeypatch):
    """The whole evaluation (the converged or certified pass, the float breakdowns, every
    layer as the renderers read it) is the same; the layers are read segment by segment,
    each recomputed once."""
    depth = 150
    chain, point = chain_and_point(kind, depth)
    plain, checkpointed = evaluations(chain, point, monkeypatch, interval=interval)
    assert plain.exact.checkpoints is None and checkpointed.exact.checkpoints is not None
    assert checkpointed.arithmetic.name == plain.arithmetic.name
    for name in ("input_gradient", "output_gradient", "cost", "grad_w_total"):
        assert identical(getattr(plain, name), getattr(checkpointed, name)), name
    assert [repr(f) for f in plain.floats] == [repr(f) for f in checkpointed.floats]
    assert list(checkpointed.kept) == list(plain.kept)
    checkpoints = checkpointed.exact.checkpoints
    before = checkpoints.recomputed
    for ours, theirs in zip(plain.layers(), checkpointed.layers(), strict=True):
        for name in ("z", "a", "act_prime", "gain", "delta", "grad_w"):
            assert identical(getattr(ours, name), getattr(theirs, name)), (name, ours.layer)
    assert checkpoints.recomputed - before <= checkpoints.count  # each segment once, in order
    assert "".join(render_chunks(plain, "json")) == "".join(render_chunks(checkpointed, "json"))
    assert "".join(render_chunks(plain, "markdown")) == \
        "".join(render_chunks(checkpointed, "markdown"))


def test_converged_pass_compares_stored_layers(monkeypatch):
    """The two working precisions are compared on CHECKED_LAYERS layers spread over the
    chain: a checkpointed pass stores those as it goes instead of recomputing them."""
    monkeypatch.setattr(evaluate, "CHECKED_LAYERS", 20)
    depth = 400
    chain, point = chain_and_point("residual", depth)
    plain, checkpointed = evaluations(chain, point, monkeypatch)
    checked = evaluate._checked_layers(depth, None)
    checkpoints = checkpointed.exact.checkpoints
    assert {k + 1 for k in checkpoints.stored} == set(checked) and checkpoints.recomputed == 0
    assert [repr(v) for v in evaluate._shown_values(chain, checkpointed.exact, checked)] == \
        [repr(v) for v in evaluate._shown_values(chain, plain.exact, checked)]
    assert checkpointed.dps == plain.dps and identical(plain.input_gradient,
                                                       checkpointed.input_gradient)


def test_a_few_kept_layers_are_stored(monkeypatch):
    """Text output keeps a few layers: those are stored and nothing is recomputed."""
    depth = 2000
    chain, point = chain_and_point("plain", depth)
    keep = {1, 2, 1000, 1999, 2000}
    plain, checkpointed = evaluations(chain, point, monkeypatch, keep=keep)
    assert checkpointed.kept == (1, 2, 1000, 1999, 2000)
    for n in keep:
        assert identical(plain.layer(n).grad_w, checkpointed.layer(n).grad_w)
    assert checkpointed.exact.checkpoints.recomputed == 0
    with pytest.raises(symgrad.SymgradError, match="not kept"):
        checkpointed.layer(500)


def test_progress_counts_the_recomputation():
    """The bar's 2 × L steps stand for the whole checkpointed pass's 3 × L (forward, then
    each segment recomputed and walked back; 2 × L in gain mode): told in many steps,
    none of them large, exactly 2 × L in all, as a plain pass tells them."""
    depth = 10_000
    for kind in ("plain", "gain"):
        chain, point = chain_and_point(kind, depth)
        for options in ({"checkpoint_bytes": NEVER}, {"segment": 100}):
            told: list[int] = []
            one_pass(chain, point, "float64", progress=told.append, **options)
            assert sum(told) == 2 * depth and min(told) > 0, (kind, options)
            assert max(told) <= backprop.PROGRESS_STEP, (kind, options)


# --- (2) against an independent oracle: mpmath.diff of the cost -----------------------------


def mp_cost(weights, biases, x, y, act, residual):
    """C = (a_L - y)² / 2 by a forward pass written here in mpmath alone."""
    sigma = {"sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)), "tanh": mpmath.tanh}[act]
    a = x
    for w, b in zip(weights, biases):
        a = a + sigma(w * a + b) if residual else sigma(w * a + b)
    return (a - y) ** 2 / 2


@pytest.mark.slow
@pytest.mark.parametrize("act, residual", [("sigmoid", False), ("tanh", True)])
def test_gradients_against_mpmath_diff(act, residual, checkpointing):
    """∂C/∂w_l = a_(l-1) δ_l, ∂C/∂b_l = δ_l and ∂C/∂x = ∂C/∂a_0 of a chain forced through
    checkpointing, against the numerical derivative of the cost (mpmath.diff, 60 digits)
    of a forward pass computed here."""
    depth = 120
    chain = symgrad.ScalarChain(depth, symgrad.get_activation(act), residual=residual)
    point = ChainPoint(tuple(R(3, 2) + R((k * 7) % 5 - 2, 10) for k in range(depth)),
                       tuple(R((k * 5) % 7 - 3, 10) for k in range(depth)), x=R(1, 2), y=R(1, 3))
    result = evaluate_chain(chain, point, 40)
    assert result.exact.checkpoints is not None
    with mpmath.workdps(60):
        weights = [mpmath.mpf(3) / 2 + mpmath.mpf((k * 7) % 5 - 2) / 10 for k in range(depth)]
        biases = [mpmath.mpf((k * 5) % 7 - 3) / 10 for k in range(depth)]
        x, y = mpmath.mpf(1) / 2, mpmath.mpf(1) / 3

        def cost_at(layer, name):
            def cost(value):
                changed = {"w": list(weights), "b": list(biases)}
                changed[name][layer - 1] = value
                return mp_cost(changed["w"], changed["b"], x, y, act, residual)
            return cost

        for layer in (1, 2, 61, depth):
            values = result.layer(layer)
            expected_w = mpmath.diff(cost_at(layer, "w"), weights[layer - 1])
            expected_b = mpmath.diff(cost_at(layer, "b"), biases[layer - 1])
            assert mpmath.almosteq(mpmath.mpf(values.grad_w), expected_w, rel_eps=mpmath.mpf(10) ** -35)
            assert mpmath.almosteq(mpmath.mpf(values.delta), expected_b, rel_eps=mpmath.mpf(10) ** -35)
        expected_x = mpmath.diff(lambda v: mp_cost(weights, biases, v, y, act, residual), x)
        assert mpmath.almosteq(mpmath.mpf(result.input_gradient), expected_x,
                               rel_eps=mpmath.mpf(10) ** -35)


@pytest.mark.slow
def test_tied_gradient_against_mpmath_diff(checkpointing):
    """A tied chain's ∂C/∂w = Σ_l a_(l-1) δ_l, summed across the segments in the plain
    pass's order, against mpmath.diff of the cost in the shared weight."""
    depth = 150
    chain = symgrad.ScalarChain(depth, symgrad.get_activation("tanh"), tied=True)
    point = ChainPoint((R(5, 4),) * depth, (R(-1, 5),) * depth, x=R(1, 2), y=R(1, 3))
    result = evaluate_chain(chain, point, 40)
    assert result.exact.checkpoints is not None
    with mpmath.workdps(60):
        b, x, y = mpmath.mpf(-1) / 5, mpmath.mpf(1) / 2, mpmath.mpf(1) / 3
        expected = mpmath.diff(lambda w: mp_cost([w] * depth, [b] * depth, x, y, "tanh", False),
                               mpmath.mpf(5) / 4)
        assert mpmath.almosteq(mpmath.mpf(result.grad_w_total), expected, rel_eps=mpmath.mpf(10) ** -35)


# --- (3) bounded memory -------------------------------------------------------------------


def peak_of_reading_every_layer(depth: int) -> int:
    """tracemalloc's peak bytes while evaluating a chain and reading all its layers in
    order, as the JSON writer does."""
    tracemalloc.start()
    try:
        result = api.evaluate(depth, "sigmoid", w="1.5", b="-0.2", x="0.5", y="0", dps=50)
        assert sum(1 for _ in result.layers()) == depth
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_every_layer_stays_small(monkeypatch):
    """Every layer of a checkpointed evaluation read in order: the peak is a small part of
    the plain pass's, which holds all of them (the two runs are compared on a few layers
    here, and the layers made 100 at a time: on CHECKED_LAYERS = 2,000 of 10,000 layers
    those would be a fifth of the pass)."""
    depth = 10_000
    monkeypatch.setattr(evaluate, "CHECKED_LAYERS", 20)
    monkeypatch.setattr(evaluate, "LAYER_BATCH", 100)
    peak_of_reading_every_layer(10)  # SymPy's and lambdify's caches, before anything is measured
    monkeypatch.setattr(backprop, "CHECKPOINT_BYTES", NEVER)
    plain = peak_of_reading_every_layer(depth)
    monkeypatch.setattr(backprop, "CHECKPOINT_BYTES", 0)
    checkpointed = peak_of_reading_every_layer(depth)
    assert checkpointed < plain / 5, (checkpointed, plain)


CLI_DEPTH = 100_000
CLI_SHALLOW = 20_000
CLI_JSON_SECONDS = 20  # a generous bound on the 100,000-layer JSON call's CPU seconds
HELD_KIB_PER_LAYER = 0.7  # what holding every layer costs (the plain pass: 783 MiB at 10^6)
CHECKPOINT_AT_2_MIB = "import symgrad.numeric.backprop as b; b.CHECKPOINT_BYTES = 2 * 2**20; "


def _cli(arguments: list[str], directory, prelude: str = "") -> tuple[int, str, float, float]:
    """The CLI in a child process (after the ``prelude`` statements): its exit status, its
    stderr, its own peak RSS in MiB and its CPU seconds (os.wait4: this child's, not the
    largest of every child so far)."""
    code = prelude + "import sys; from symgrad.cli import main; sys.exit(main())"
    with open(directory / "stderr", "w+") as errors:
        child = subprocess.Popen([sys.executable, "-c", code, *arguments],
                                 stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        return child.returncode, errors.read(), usage.ru_maxrss / 1024, \
            usage.ru_utime + usage.ru_stime


def _streamed_layers(path):
    """(how many layer objects the JSON file holds, the first two, the last, the text after
    the layers), read line by line: the file is 80 MB, json.load of it half a GB."""
    count, first, last, current, tail, inside = 0, [], None, None, [], None
    with path.open() as stream:
        for line in stream:
            stripped = line.strip()
            if inside is None:
                inside = True if stripped.startswith('"layers": [') else None
            elif inside is False:
                tail.append(line)
            elif current is not None:
                current.append(line)
                if stripped in ("}", "},"):
                    layer = json.loads("".join(current).rstrip().rstrip(","))
                    count += 1
                    if len(first) < 2:
                        first.append(layer)
                    last, current = layer, None
            elif stripped == "{":
                current = [line]
            elif stripped.startswith("]"):
                inside = False
    return count, first, last, "".join(tail)


def _sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


@pytest.mark.slow
def test_cli_json_of_a_hundred_thousand_layers_in_bounded_memory(tmp_path):
    """``symgrad eval --format json`` of 100,000 layers, every layer streamed to the file,
    within CLI_JSON_SECONDS of CPU time: the child's peak RSS grows from 20,000 layers by
    less than a fifth of what holding the 80,000 more layers would take (0.7 KiB each:
    783 MiB for the plain pass at 10^6; here
    the plain pass grows by 46 MiB, the checkpointed one by 1), and the file holds every
    layer. Both passes checkpoint (CHECKPOINT_BYTES lowered to 2 MiB in the child: at the
    real 100 MiB both would be plain passes, and the depth where they are not takes
    minutes). The values are checked against mpmath written here: layer
    1 from its own forward step; layer L at the forward map's fixed point a* = σ(w a* + b)
    (reached to every digit long before); δ_1 = σ'(z_1) w δ_2 from the file's δ_2; and
    log10|δ_1| against Σ log10|w σ'(z_l)|, its first 400 terms summed one by one and the
    rest (N - 401) times the fixed point's."""
    target = tmp_path / "deep.json"
    peaks = []
    for depth in (CLI_SHALLOW, CLI_DEPTH):
        status, errors, peak, seconds = _cli(
            ["eval", "--depth", str(depth), "--act", "sigmoid", "--w", "1.5", "--b=-0.2",
             "--x", "0.5", "--y", "0", "--dps", "50", "--format", "json", "-o", str(target)],
            tmp_path, CHECKPOINT_AT_2_MIB)
        assert status == 0, errors
        peaks.append(peak)
    # the whole call's CPU time (not wall: the machine may be shared), the segments
    # recomputed at 2 MiB included: about 7 s on the 2-core machine of docs/benchmarks.md
    assert seconds < CLI_JSON_SECONDS, seconds
    held = (CLI_DEPTH - CLI_SHALLOW) * HELD_KIB_PER_LAYER / 1024
    assert peaks[1] - peaks[0] < held / 5, (peaks, held)
    count, (one, two), last, tail = _streamed_layers(target)
    assert count == CLI_DEPTH and (one["layer"], two["layer"], last["layer"]) == (1, 2, CLI_DEPTH)
    with mpmath.workdps(70):
        w, b, x = mpmath.mpf("1.5"), mpmath.mpf("-0.2"), mpmath.mpf("0.5")
        fixed = mpmath.findroot(lambda a: _sigmoid(w * a + b) - a, mpmath.mpf("0.7"))
        z_star = w * fixed + b
        slope_star = fixed * (1 - fixed)

        def close(text, value, digits=45):
            return abs(mpmath.mpf(text) - value) <= mpmath.mpf(10) ** -digits * max(1, abs(value))
        assert close(last["z"], z_star) and close(last["a"], fixed)
        assert close(last["act_prime"], slope_star) and close(last["delta"], fixed * slope_star)
        z1 = w * x + b
        a1 = _sigmoid(z1)
        assert close(one["z"], z1) and close(one["a"], a1)
        assert close(one["delta"], a1 * (1 - a1) * w * mpmath.mpf(two["delta"]))
        z, total = z1, mpmath.mpf(0)
        for _ in range(400):  # log10 |w σ'(z_l)| for l = 1..400
            a = _sigmoid(z)
            total += mpmath.log10(abs(w * a * (1 - a)))
            z = w * a + b
        assert abs(z - z_star) < mpmath.mpf(10) ** -60  # the fixed point, to every digit
        total += (CLI_DEPTH - 401) * mpmath.log10(w * slope_star)
        expected = total + mpmath.log10(fixed * slope_star)  # (+ log10 δ_L, y = 0)
        assert abs(mpmath.mpf(one["log10_abs_delta"]) - expected) < mpmath.mpf(10) ** -9
    assert '"input_gradient"' in tail


# --- (5) the command's bar: every run of the pass, and the JSON written -------------------


class _RecordedBar(common.Bar):
    """The CLI's bar, recording what it is told instead of drawing."""

    made: list = []

    def __init__(self, total):
        super().__init__(total)
        self.events, self.first_total = [], total
        self.made.append(self)

    def __call__(self, **change):
        self.done = change.get("completed", self.done + change.get("advance", 0))
        self.total = change.get("total", self.total)
        self.events.append(change)


@contextlib.contextmanager
def _recorded_progress(total, shown=True, unit="layers"):
    yield _RecordedBar(total) if shown else None


@pytest.mark.parametrize("arguments", [
    ["--act", "sigmoid", "--x", "0.5", "--w", "1.5"],  # one run in balls
    ["--act", "sigmoid", "--x", "0.5", "--interval"],  # one certified run
    ["--act", "relu", "--x", "1/2", "--w", "2"],  # one exact rational run
    ["--act", "tanh", "--x", "0.5", "--w", "3", "--dps", "400"],  # more digits
])
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_eval_bar_ends_where_the_work_does(monkeypatch, arguments, fmt, tmp_path):
    """Told as the work goes (each run of the pass, then each layer of JSON written), the
    bar's advances add up to its last total: it neither stops short nor runs past 100%;
    the JSON's share is one step a layer, told while the layers are written."""
    depth = 3000
    monkeypatch.setattr(common, "PROGRESS_FROM_DEPTH", 100)
    monkeypatch.setattr(evaluate_command, "progress_bar", _recorded_progress)
    _RecordedBar.made = []
    target = tmp_path / f"e.{'json' if fmt == 'json' else 'txt'}"
    run = CliRunner().invoke(cli.main, ["eval", "--depth", str(depth), *arguments,
                                        "--format", fmt, "-o", str(target)])
    assert run.exit_code == 0, run.output
    (bar,) = _RecordedBar.made
    advances = [e["advance"] for e in bar.events if "advance" in e]
    assert sum(advances) == pytest.approx(bar.total) and bar.done == pytest.approx(bar.total)
    steps = [e for e in bar.events if "advance" in e]
    assert all(0 < e["advance"] for e in steps)
    running, total = 0, bar.first_total
    for e in bar.events:  # never past the total it had when told
        total = e.get("total", total)
        running += e.get("advance", 0)
        assert running <= total + 1e-9
    writing = next(n for n, e in enumerate(bar.events) if e.get("description") == "writing")
    written = sum(e.get("advance", 0) for e in bar.events[writing:])
    assert written == (depth if fmt == "json" else 0)
    passes = sum(e.get("advance", 0) for e in bar.events[:writing])  # whole runs of 2 × L
    assert passes % (2 * depth) == 0 and passes >= 2 * depth
    if fmt == "json":
        assert len(json.loads(target.read_text())["layers"]) == depth


@pytest.mark.parametrize("init", ["orthogonal", "he"])
def test_the_net_bar_is_sized_by_the_work_and_moves_from_the_start(monkeypatch, init, tmp_path):
    """The net's bar counts multiply-adds weighted by their digits (the draw, each run's
    pass, Jacobian and eigenvalues), not layers: it is told while an orthogonal draw runs,
    before any layer of the pass, keeps growing its total as runs at more digits begin,
    never runs past it, and ends where the work does."""
    monkeypatch.setattr(common, "PROGRESS_FROM_WORK", 0)
    monkeypatch.setattr(evaluate_command, "progress_bar", _recorded_progress)
    _RecordedBar.made = []
    run = CliRunner().invoke(cli.main, ["eval", "--widths", "12,12,12", "--init", init,
                                        "--dps", "60", "-o", str(tmp_path / "n.txt")])
    assert run.exit_code == 0, run.output
    (bar,) = _RecordedBar.made
    told = [e for e in bar.events if "completed" in e]
    descriptions = [e["description"] for e in told]
    first_layer = next(n for n, d in enumerate(descriptions) if d.startswith("layer 1"))
    assert all(d.startswith(("starting", "drawing")) for d in descriptions[:first_layer])
    drawn = {e["completed"] for e in told if e["description"].startswith("drawing")} - {0}
    # (an orthogonal draw tells each of its ball products: at least 3 a matrix)
    assert len(drawn) >= 3 * 2 if init == "orthogonal" else len(drawn) == 0
    assert any(d.startswith("singular values") for d in descriptions)
    done = [e["completed"] for e in told]
    assert done == sorted(done) and all(e["completed"] <= e["total"] * (1 + 1e-12) for e in told)
    assert told[-1]["completed"] == pytest.approx(told[-1]["total"])
    runs = {d.rsplit(" at ", 1)[1] for d in descriptions if d.startswith("layer ")}
    assert len(runs) >= 1  # (balls: one run may earn its digits by its radii)
