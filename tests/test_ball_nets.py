"""Matrix nets in Arb balls: every ball against an independent plain-mpmath pass at twice
the working precision, the balls' midpoints against the MPFR runs compared (the route
balls replaced) at twice the digits, the spectrum's enclosures against mpmath.svd_r, a
kink decided exactly or refused, and --no-spectrum."""

import json
import time

import mpmath
import pytest
import sympy
from flint import arb

import symgrad
from symgrad.networks import MatrixNet
from symgrad.numeric import ball_net, matrix_net
from symgrad.numeric.balls import precision
from symgrad.numeric.net_parameters import NetParameters
from symgrad.numeric.work import Work
from tests.numbers import agree
from tests.oracle_matrix import mp_net_backward, mp_net_forward, random_net_point
from tests.process import symgrad_process

R = sympy.Rational


def parameters_of(point) -> NetParameters:
    weights, biases, _, _ = point
    return NetParameters(tuple(tuple(tuple(R(v) for v in row) for row in w) for w in weights[1:]),
                         tuple(tuple(R(v) for v in b) for b in biases[1:]), "test")


def point_at(point, dps: int):
    """The decimal point as mpmath numbers at ``dps`` digits (lists padded at index 0)."""
    weights, biases, x, y = point
    with mpmath.workdps(dps):
        def convert(value):
            return mpmath.mpf(value) if isinstance(value, str) else [convert(v) for v in value]
        return ([None] + [convert(w) for w in weights[1:]],
                [None] + [convert(b) for b in biases[1:]], convert(x), convert(y))


def encloses(value: arb, expected: mpmath.mpf, digits: int) -> bool:
    """Whether the ball holds the oracle's value, give or take the oracle's own error
    (10^-digits of it)."""
    mantissa, exponent = mpmath.mpf(expected).man_exp if expected else (0, 0)
    sign = -1 if expected < 0 else 1
    slack = abs(expected) * mpmath.mpf(10) ** -digits
    return value.overlaps(arb((sign * int(mantissa), int(exponent)),
                              arb((int(slack.man_exp[0]), int(slack.man_exp[1])))
                              if slack else 0))


def ball_run(widths, act, point, dps, spectrum=False, cost="quadratic"):
    net = MatrixNet(widths, symgrad.get_activation(act), cost)
    _, _, x, y = point
    return net, ball_net.evaluate_balls(net, parameters_of(point), [R(v) for v in x],
                                        [R(v) for v in y], dps, 20_000, dps + 12, spectrum,
                                        Work())


@pytest.mark.parametrize("act, cost", [("tanh", "quadratic"), ("sigmoid", "cross-entropy"),
                                       ("gelu", "quadratic")])
def test_every_ball_holds_the_independent_pass(act, cost):
    widths = (6, 7, 5, 6, 4)
    point = random_net_point(widths, seed=3, cost=cost)
    net, run = ball_run(widths, act, point, 30, cost=cost)
    oracle_dps = 2 * run.working_dps
    with mpmath.workdps(oracle_dps):
        zs, slopes, deltas, gradient, cost_value = mp_net_backward(act, cost,
                                                                    point_at(point, oracle_dps))
        checked = 0
        for layer in range(1, net.depth + 1):
            for got, expected in ((run.zs, zs), (run.slopes, slopes), (run.deltas, deltas)):
                for value, oracle in zip(got[layer - 1], expected[layer]):
                    assert encloses(value, oracle, oracle_dps - 10), (layer, value, oracle)
                    checked += 1
        for value, oracle in zip(run.input_gradient, gradient):
            assert encloses(value, oracle, oracle_dps - 10), (value, oracle)
        assert encloses(run.cost, cost_value, oracle_dps - 10)
    assert checked == 3 * sum(widths[1:])


def test_a_ball_that_misses_is_caught():
    """The containment check can fail: a ball moved by a few radii does not hold it."""
    point = random_net_point((3, 3, 2), seed=1)
    _, run = ball_run((3, 3, 2), "tanh", point, 20)
    with mpmath.workdps(2 * run.working_dps):
        _, _, deltas, _, _ = mp_net_backward("tanh", "quadratic",
                                             point_at(point, 2 * run.working_dps))
        value = run.deltas[0][0]
        with precision(run.bits):
            moved = value + 4 * value.rad()
        assert encloses(value, deltas[1][0], 2 * run.working_dps - 10)
        assert not encloses(moved, deltas[1][0], 2 * run.working_dps - 10)


@pytest.mark.parametrize("act", ["tanh", "softplus"])
def test_balls_agree_with_the_mpfr_runs_at_twice_the_digits(act):
    widths = (5, 6, 6, 4)
    point = random_net_point(widths, seed=9)
    net = MatrixNet(widths, symgrad.get_activation(act))
    parameters, x, y = parameters_of(point), [R(v) for v in point[2]], [R(v) for v in point[3]]
    balls = matrix_net.evaluate_net(net, parameters, x, y, 30)
    assert balls.arithmetic == "ball"
    layers, gradient, cost, spectrum, name = matrix_net._mpfr_net(
        net, parameters, x, y, 60, 75, Work(), True)
    assert name == "mpfr"
    for ours, theirs in zip(balls.layers, layers):
        for field in ("z", "a", "act_prime", "delta"):
            for a, b in zip(getattr(ours, field), getattr(theirs, field)):
                assert agree(a, b, 30), (field, a, b)
        assert agree(ours.grad_w_norm, theirs.grad_w_norm, 29)
    assert all(agree(a, b, 30) for a, b in zip(balls.input_gradient, gradient))
    assert agree(balls.cost, cost, 30)
    for a, b in zip(balls.spectrum.values, spectrum.values):
        assert agree(a, b, 30)


def test_spectrum_enclosures_hold_mpmath_svd_values():
    widths, act = (4, 5, 3, 4), "tanh"
    point = random_net_point(widths, seed=12)
    net, run = ball_run(widths, act, point, 30, spectrum=True)
    oracle_dps = 2 * run.working_dps
    with mpmath.workdps(oracle_dps):
        weights, biases, x, _ = point_at(point, oracle_dps)
        zs, _ = mp_net_forward(act, weights, biases, x)
        jacobian = mpmath.eye(len(x))
        for layer in range(1, len(weights)):
            slopes = [mpmath.sech(z) ** 2 for z in zs[layer]]
            jacobian = mpmath.diag(slopes) * mpmath.matrix(weights[layer]) * jacobian
        expected = sorted(mpmath.svd_r(jacobian, compute_uv=False), reverse=True)
        spectrum = run.spectrum
        assert spectrum.proved_zeros == 1  # the rank is at most 3, the narrowest layer
        for value, oracle in zip(spectrum.values[:3], expected[:3]):
            assert value is not None and encloses(value, oracle, oracle_dps - 10)
            assert value.rel_accuracy_bits() >= 100  # 30 digits
        assert abs(expected[3]) < mpmath.mpf(10) ** -(oracle_dps - 20)
        assert spectrum.values[3] == 0


def test_a_kink_is_decided_exactly_or_refused(tmp_path):
    """relu with the cross-entropy cost runs in balls: a first-layer preactivation
    exactly at the kink (3·0.1 - 1.5·0.2) is formed exactly, its ball is the point 0, and
    the branch is the flat one (δ behind it is 0), as exact arithmetic says."""
    point = ([None, [["3", "-1.5"], ["1", "1"]], [["1", "1"]]], [None, ["0", "0"], ["0.2"]],
             ["0.1", "0.2"], ["0.25"])
    assert R(3) * R("0.1") - R("1.5") * R("0.2") == 0  # the oracle: exact arithmetic
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"weights": point[0][1:], "biases": point[1][1:]}))
    result = symgrad.evaluate_net((2, 2, 1), "relu", weights=str(path), x=point[2],
                                  y=point[3], cost="cross-entropy", dps=30)
    assert result.arithmetic == "ball"
    first = result.layers[0]
    assert first.z[0] == 0 and first.act_prime[0] == 0 and first.delta[0] == 0
    assert first.act_prime[1] == 1 and first.delta[1] != 0
    assert agree(result.layers[1].a[0], mpmath.mpf("0.5"), 30)


def test_an_output_outside_the_cost_domain_is_refused_at_once(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"weights": [[["1"]]], "biases": [["-1"]]}))
    start = time.perf_counter()
    with pytest.raises(symgrad.SymgradError, match="needs 0 < a_L < 1"):
        symgrad.evaluate_net((1, 1), "relu", weights=str(path), x="0.5", y="0.5",
                             cost="cross-entropy")
    assert time.perf_counter() - start < 10


def test_a_ball_across_a_kink_is_never_guessed():
    """σ of a ball reaching across relu's kink refuses in one sentence, never takes a
    side (Arb answers False both ways for overlapping balls)."""
    from symgrad.numeric.balls import StraddleError, ball_arithmetic
    net = MatrixNet((1, 1), symgrad.get_activation("relu"))
    math = ball_arithmetic(net, 100)
    with math.scope():
        assert not (arb(0, 1e-20) > 0) and not (arb(0, 1e-20) <= 0)  # Arb's comparisons
        with pytest.raises(StraddleError, match="straddles a kink"):
            math.sigma_and_derivative(arb(0, 1e-20))
        assert math.sigma_and_derivative(arb(0)) == (0, 0)


def run_cli(*args, timeout=120):
    return symgrad_process("eval", *args, timeout=timeout)


def test_no_spectrum_in_text_and_json():
    result = run_cli("--widths", "3,4,3", "--act", "tanh", "--init", "he", "--no-spectrum")
    assert result.returncode == 0, result.stderr
    assert "The Jacobian's singular values were not asked for (--no-spectrum)." in \
        " ".join(result.stdout.split())
    result = run_cli("--widths", "3,4,3", "--act", "tanh", "--init", "he", "--no-spectrum",
                     "--format", "json")
    data = json.loads(result.stdout)
    assert data["jacobian"] is None and data["spectrum_skipped"] == "asked"
    assert data["arithmetic"] == "ball" and len(data["layers"][0]["grad_w"]) == 4


def test_a_wide_net_skips_the_spectrum_unless_asked():
    wide = (matrix_net.SPECTRUM_WIDTH + 1, 2)
    result = symgrad.evaluate_net(wide, "tanh", init="he")
    assert result.spectrum is None and result.spectrum_skipped == "wide"
    markdown = symgrad.render(result, "markdown")
    assert "not computed for a net wider than" in markdown
    asked = symgrad.evaluate_net(wide, "tanh", init="he", spectrum=True)
    assert asked.spectrum is not None and asked.spectrum_skipped is None
    assert len(asked.spectrum.values) == 2
    with pytest.raises(symgrad.SymgradError, match="spectrum"):
        symgrad.evaluate(3, "tanh", spectrum=False)


@pytest.mark.slow
def test_a_width_256_net_is_quick():
    widths = ",".join(["256"] * 21)
    start = time.perf_counter()
    result = run_cli("--widths", widths, "--act", "tanh", "--init", "he", "--x", "1",
                     "--dps", "30", "--format", "json", timeout=300)
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["arithmetic"] == "ball" and data["spectrum_skipped"] == "wide"
    assert elapsed < 120, elapsed


def test_a_kink_behind_a_rounded_layer_is_refused_in_one_sentence(tmp_path):
    """z² = 3·a¹₁ - 1.5·a¹₂ = 3·0.1 - 1.5·0.2 is exactly 0, but a¹ = 0.1, 0.2 are balls
    (not binary numbers): z²'s ball reaches across relu's kink at any precision, and
    nothing may pick a side. (The quadratic cost runs such a net in exact rationals.)"""
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"weights": [[["1", "0"], ["0", "1"]], [["3", "-1.5"]], [["1"]]],
                                "biases": [["0", "0"], ["0"], ["0.5"]]}))
    result = run_cli("--widths", "2,2,1,1", "--act", "relu", "--cost", "cross-entropy",
                     "--weights", str(path), "--x", "0.1,0.2", "--y", "0.3")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count(".") >= 1 and "straddles a kink" in result.stderr
    exact = symgrad.evaluate_net((2, 2, 1, 1), "relu", weights=str(path), x=["0.1", "0.2"],
                                 y="0.3")
    assert exact.arithmetic == "rational" and exact.layers[1].z[0] == 0
    assert exact.layers[1].act_prime[0] == 0


CANCELLING = {  # tanh nets whose exact values cancel to 0 (SymPy proves which, below)
    "z^2, unit 1": ([[["0.3"], ["0.3"]], [["1", "-1"]], [["2"]]], [["0", "0"], ["0"], ["0.5"]]),
    "∂C/∂a⁰, unit 1": ([[["0.3"], ["0.3"], ["0"]], [["1", "-1", "1"]], [["2"]]],
                        [["0", "0", "0.5"], ["0"], ["0.5"]]),
}


def _symbolic_net(weights, biases):
    """The net composed in SymPy, input x: its z², and ∂C/∂x of C = (a³)²/2."""
    x = sympy.Symbol("x")
    a = [x]
    zs = []
    for w, b in zip(weights, biases):
        z = [sum((R(v) * u for v, u in zip(row, a)), R(bias)) for row, bias in zip(w, b)]
        zs.append(z)
        a = [sympy.tanh(v) for v in z]
    cost = a[0] ** 2 / 2
    return zs[1][0].subs(x, 1), sympy.diff(cost, x).subs(x, 1)


@pytest.mark.parametrize("name", CANCELLING)
def test_a_value_that_cancels_to_0_is_refused_naming_it_never_shown(tmp_path, name):
    """A ball that stays across 0 is no earned value: the run is not accepted (the old
    extrapolation from the forward pass's loss accepted it and printed noise, -1.5·10⁻⁷⁰
    for an exact 0), and at the limit the sentence names the value. SymPy's exact
    composition is the oracle for which value is 0."""
    weights, biases = CANCELLING[name]
    z2, gradient = _symbolic_net(weights, biases)
    assert {"z^2, unit 1": z2, "∂C/∂a⁰, unit 1": gradient}[name] == 0
    assert name == "z^2, unit 1" or z2 != 0  # (the second net's forward pass does not cancel)
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"weights": weights, "biases": biases}))
    widths = ",".join(str(n) for n in (1, *(len(w) for w in weights)))
    result = run_cli("--widths", widths, "--act", "tanh", "--weights", str(path), "--x", "1",
                     "--y", "0", "--dps", "20")
    assert result.returncode == 2 and result.stdout == ""
    assert f": {name} cannot be told from 0 even at 20000 working digits" in result.stderr
    assert result.stderr.count("\n") == 1
