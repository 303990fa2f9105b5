"""Certified enclosures: each contains a value computed independently at twice the
precision or more, and is narrow, beyond MPFR's exponent range too (``eval --interval``
runs in Arb balls); the MPFR interval arithmetic itself (the bounds' kind) against exact
rationals."""

import json
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad
from symgrad.errors import SymgradError
from symgrad.numeric.backprop import ChainPoint
from symgrad.numeric.evaluate import evaluate_chain
from symgrad.numeric.interval import Interval, Rounding, namespace
from tests.numbers import as_mpf, ends
from tests.oracle import MPMATH_ACTIVATIONS, mpmath_diff_gradient
from tests.process import symgrad_process

R = sympy.Rational
DPS = 30


def encloses(enclosure, expected: mpmath.mpf) -> bool:
    low, high = ends(enclosure)
    with mpmath.workdps(4 * DPS):
        return low <= expected <= high


def narrow(enclosure, dps: int = DPS) -> bool:
    low, high = ends(enclosure)
    with mpmath.workdps(4 * DPS):
        return high - low < mpmath.mpf(10) ** -(dps - 10) * min(abs(low), abs(high))


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "gelu", "softplus"])
def test_forward_enclosures_contain_mpmath_diff(act):
    depth = 200
    weights = [R(3, 2) if k % 2 else R(1, 2) for k in range(depth)]  # the 1.5,0.5,...
    biases = [R(1, 10)] * depth
    chain = symgrad.ScalarChain(depth, symgrad.get_activation(act))
    point = ChainPoint(tuple(weights), tuple(biases), x=R(1, 2), y=R(0))
    result = evaluate_chain(chain, point, DPS, interval=True)
    dps = 2 * DPS + 2 * depth  # twice the digits asked for, and what depth costs mpmath.diff
    with mpmath.workdps(dps):
        oracle_point = ([mpmath.mpf(w.p) / w.q for w in weights], [mpmath.mpf(1) / 10] * depth,
                        mpmath.mpf(1) / 2, mpmath.mpf(0))
    for target, enclosure in ((("x", 0), result.input_gradient),
                              (("b", 1), result.layer(1).delta),
                              (("w", 1), result.layer(1).grad_w),
                              (("b", depth), result.layer(depth).delta)):
        expected = mpmath_diff_gradient(act, "quadratic", oracle_point, target, dps=dps)
        assert encloses(enclosure, expected), (target, enclosure, expected)
        assert narrow(enclosure), (target, enclosure)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "elu", "gelu"])
def test_gain_mode_enclosure_contains_the_product(act):
    depth = 300
    zs = [R(k % 7 - 3, 4) + R(1, 1000) for k in range(depth)]  # away from elu's kink at 0
    chain = symgrad.ScalarChain(depth, symgrad.get_activation(act))
    result = evaluate_chain(chain, ChainPoint((R(5, 2),) * depth, z=tuple(zs)), DPS,
                            interval=True)
    sigma = MPMATH_ACTIVATIONS[act]
    with mpmath.workdps(2 * DPS + 10):
        product = mpmath.mpf(1)
        for z in zs:
            product *= mpmath.mpf(5) / 2 * mpmath.diff(sigma, mpmath.mpf(z.p) / z.q)
    assert encloses(result.input_gradient, product)
    assert narrow(result.input_gradient)


def test_enclosure_straddling_a_kink_is_refused():
    rounding = Rounding(64)
    tiny = rounding.rational(1, 10**30)
    straddling = Interval(-tiny.hi, tiny.hi, rounding)  # relu's branch at 0 is unknown here
    with pytest.raises(SymgradError, match="straddles a kink"):
        straddling <= 0  # noqa: B015


def test_certain_comparisons_answer():
    rounding = Rounding(64)
    third = rounding.rational(1, 3)
    assert (third <= 0) is False and (-third <= 0) is True and (third > 0) is True


def test_beyond_mpfr_range_an_enclosure_stays_narrow():
    # 10^(5·10^8) is beyond MPFR's exponents (about 10^±323,228,496); Arb's are unbounded:
    # the enclosure holds the exact product and is as narrow as anywhere.
    depth = 5000
    chain = symgrad.ScalarChain(depth, symgrad.get_activation("relu"))
    point = ChainPoint((R(10) ** 100_000,) * depth, z=(R(1),) * depth)
    enclosure = evaluate_chain(chain, point, 20, interval=True, keep=[1]).input_gradient
    low, high = ends(enclosure)
    with mpmath.workdps(40):
        exact = mpmath.mpf(10) ** (5 * 10**8)  # (mpmath's exponents are unbounded too)
        assert low <= exact <= high
        assert high - low <= mpmath.mpf(10) ** -20 * exact


# --- the interval arithmetic itself, against exact rationals -----------------------

rationals = st.fractions(min_value=-1000, max_value=1000, max_denominator=10**6)
PRECISIONS = [24, 300]  # below and above gmpy2's default 53 bits: each rounding matters


def enclosure(rounding: Rounding, value: Fraction) -> Interval:
    return rounding.rational(value.numerator, value.denominator)


def contains(interval: Interval, exact: Fraction) -> bool:
    low, high = (Fraction(*end.as_integer_ratio()) for end in (interval.lo, interval.hi))
    return low <= exact <= high


@pytest.mark.parametrize("bits", PRECISIONS)
@settings(max_examples=200, deadline=None)
@given(p=rationals, q=rationals)
def test_arithmetic_encloses_the_exact_rational(bits, p, q):
    r = Rounding(bits)
    a, b = enclosure(r, p), enclosure(r, q)
    assert contains(a, p) and contains(b, q)
    assert contains(a + b, p + q)
    assert contains(a - b, p - q)
    assert contains(a * b, p * q)
    assert contains(a ** 2, p ** 2) and contains(a ** 3, p ** 3)
    assert contains(1 - a, 1 - p) and contains(3 * a, 3 * p) and contains(-a, -p)
    assert contains(abs(a), abs(p))
    if q != 0 and not b.contains_zero():
        assert contains(a / b, p / q) and contains(1 / b, 1 / q)


@pytest.mark.parametrize("bits", PRECISIONS)
@settings(max_examples=100, deadline=None)
@given(p=st.fractions(min_value=-30, max_value=30, max_denominator=1000))
def test_functions_enclose_mpmath_at_high_precision(bits, p):
    r = Rounding(bits)
    functions = namespace(r)
    x = enclosure(r, p)
    with mpmath.workdps(200):
        exact = mpmath.mpf(p.numerator) / p.denominator
        for name, reference in (("exp", mpmath.exp), ("tanh", mpmath.tanh), ("erf", mpmath.erf)):
            value = functions[name](x)
            assert as_mpf(value.lo) <= reference(exact) <= as_mpf(value.hi), name
        if p > 0:
            value = functions["log"](x)
            assert as_mpf(value.lo) <= mpmath.log(exact) <= as_mpf(value.hi)


# --- beyond MPFR's exponent range: the two cases, against mpmath by plain formulas --

def _cli(*args):
    result = symgrad_process("eval", *args, timeout=300)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, \
        result.stderr
    return result


def _gelu_oracle(z: mpmath.mpf) -> mpmath.mpf:
    """∂C/∂a_0 of a depth-1 gelu chain, w = 1, y = 0: gelu(z) · gelu'(z), with
    gelu(z) = z Φ(z), gelu'(z) = Φ(z) + z φ(z), Φ(z) = erfc(-z/√2)/2, φ(z) = e^(-z²/2)/√(2π)
    (mpmath's exponents are unbounded, so e^(-8·10^8) is an ordinary number to it)."""
    phi = mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)
    cdf = mpmath.erfc(-z / mpmath.sqrt(2)) / 2
    return z * cdf * (cdf + z * phi)


def _sigmoid_oracle(z: mpmath.mpf) -> mpmath.mpf:
    """σ(z) σ'(z) = e^-|z|/(1 + e^-|z|) · e^-|z|/(1 + e^-|z|)² for z < 0 (y = 0, w = 1)."""
    e = mpmath.exp(z)
    return e / (1 + e) * e / (1 + e) ** 2


@pytest.mark.parametrize("act, x, oracle, tens", [
    ("gelu", -40000, _gelu_oracle, -694871168),
    ("sigmoid", -10**9, _sigmoid_oracle, -868588964),
])
def test_beyond_mpfr_range_the_gradient_is_narrow_and_holds_the_oracle(act, x, oracle, tens):
    """Once wide to every digit ([-2.4·10^-323228497, 2.4·10^-323228497] for gelu) or
    refused as undefined (sigmoid): now narrow to 10^-30 and holding the value."""
    evaluation = symgrad.evaluate(1, act, w=1, x=x, y=0, dps=DPS, interval=True)
    low, high = ends(evaluation.input_gradient)
    with mpmath.workdps(80):
        expected = oracle(mpmath.mpf(x))
        assert int(mpmath.floor(mpmath.log10(expected))) == tens  # the oracle is that value
        assert low <= expected <= high, (low, expected, high)
        assert high - low <= mpmath.mpf(10) ** -DPS * abs(expected)
    # the plain pass (MPFR, mpmath beyond its range) agrees to the digits asked
    plain = symgrad.evaluate(1, act, w=1, x=x, y=0, dps=DPS).input_gradient
    with mpmath.workdps(80):
        assert abs(as_mpf(plain) - expected) <= mpmath.mpf(10) ** -DPS * abs(expected)


@pytest.mark.parametrize("act, x, oracle", [("gelu", "-40000", _gelu_oracle),
                                            ("sigmoid", "-1000000000", _sigmoid_oracle)])
def test_beyond_mpfr_range_text_and_json_show_the_narrow_enclosure(act, x, oracle):
    arguments = ("--depth", "1", "--act", act, "--w", "1", f"--x={x}", "--y", "0", "--dps",
                 str(DPS), "--interval")
    data = json.loads(_cli(*arguments, "--format", "json").stdout)
    text = _cli(*arguments).stdout
    with mpmath.workdps(80):
        expected = oracle(mpmath.mpf(x))
        low, high = (mpmath.mpf(data["input_gradient"][end]) for end in ("lo", "hi"))
        # (ends printed to 30 figures, rounded outwards: a unit or two of the last apart)
        assert low <= expected <= high
        assert high - low <= 2 * mpmath.mpf(10) ** -(DPS - 1) * abs(expected)
    assert data["interval"] is True and set(data["input_gradient"]) == {"lo", "hi"}
    assert f"[{data['input_gradient']['lo']}, " in " ".join(text.split())  # the same ends
    assert "relative width of the ∂C/∂a_0 enclosure: ∞" not in text


def test_a_ball_straddling_a_kink_is_refused_in_one_sentence():
    """z_2 = 3 · (1/3) - 1 is exactly 0, but 1/3 is a ball with a radius: which branch of
    relu applies is not certain, and it is refused, not guessed (exit 2, one sentence)."""
    with pytest.raises(SymgradError, match="straddles a kink"):
        symgrad.evaluate(2, "relu", w=[1, 3], b=[0, -1], x="1/3", interval=True)
    result = _cli("--depth", "2", "--act", "relu", "--w", "1,3", "--b", "0,-1", "--x", "1/3",
                  "--interval")
    lines = result.stderr.strip().split("\n")
    assert result.returncode == 2 and len(lines) == 1 and "straddles a kink" in lines[0]
    # exactly at the kink (formed exactly from the inputs) the branch is certain
    assert symgrad.evaluate(1, "relu", w=3, b=-1, x="1/3", interval=True).input_gradient == 0


def test_a_highway_cell_of_balls_refuses_a_kink_too():
    """An rnn cell with relu at a preactivation that rounding puts about 0."""
    with pytest.raises(SymgradError, match="straddles a kink"):
        symgrad.evaluate_cell("rnn", 2, "relu", parameters={"u": 3, "w": 0, "b": -1},
                              x=["1/3", "1/3"], h0="1/9", interval=True)


def test_an_enclosure_of_a_saturated_output_is_not_refused_for_the_cost():
    """Cross-entropy at a_L = σ(300 σ(300)) = 1 - 10^-130.3: the enclosure of a_L may reach
    1, but the output is inside (0, 1), so the values are shown (they were refused, the
    message naming an Arb ball); ∂C/∂a_L = -1/a_L's enclosure holds mpmath's."""
    result = symgrad.evaluate(2, "sigmoid", w="300,300", x=1, y=1, cost="cross-entropy",
                              dps=50, interval=True)
    with mpmath.workdps(400):
        output = 1 / (1 + mpmath.exp(-300 / (1 + mpmath.exp(-300))))
        expected = -1 / output
    low, high = ends(result.output_gradient)
    assert low <= expected <= high
