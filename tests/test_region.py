"""symgrad region: gain regions against closed forms derived by hand (and Nielsen's
published maximum width ≈ 0.45 at |w| ≈ 6.9), and at their ends |w σ'(z)| = 1."""

import json

import mpmath
import pytest
import sympy

import symgrad
from symgrad.analysis.region import gain_region, widest_region
from tests.clirun import symgrad as symgrad_cli
from tests.oracle import MPMATH_ACTIVATIONS

R = sympy.Rational
DPS = 30


def mp(value) -> mpmath.mpf:
    return mpmath.mpf(sympy.N(value, 60))


def agree(got, expected, digits=DPS - 2):
    with mpmath.workdps(60):
        return abs(mp(got) - expected) <= mpmath.mpf(10) ** -digits * max(1, abs(expected))


def region(act, w, b=0):
    return gain_region(symgrad.get_activation(act), R(w), R(b), DPS)


# σ'(z) = 1/(4 cosh²(z/2)) ≥ 1/w  ⇔  |z| ≤ 2 arccosh(√w / 2);  tanh: |z| ≤ arccosh(√w)
CLOSED_FORMS = {
    "sigmoid": lambda w: 2 * mpmath.acosh(mpmath.sqrt(w) / 2),
    "tanh": lambda w: mpmath.acosh(mpmath.sqrt(w)),
}


@pytest.mark.parametrize("act, w, b", [("sigmoid", 5, 0), ("sigmoid", 8, 1), ("sigmoid", 100, -3),
                                       ("sigmoid", -8, 2), ("tanh", 2, 0), ("tanh", 10, R(1, 2))])
def test_symmetric_regions_match_the_closed_form(act, w, b):
    result = region(act, w, b)
    with mpmath.workdps(60):
        half = CLOSED_FORMS[act](mpmath.mpf(abs(w)))
        (span,) = result.intervals
        assert agree(span.low, -half) and agree(span.high, half)
        (inputs,) = result.inputs
        ends = sorted([(-half - b) / w, (half - b) / w])
        assert agree(inputs.low, ends[0]) and agree(inputs.high, ends[1])
        assert agree(result.input_width, 2 * half / abs(w))
    assert result.status == "bounded"


def test_sigmoid_width_is_nielsens_formula():
    w = mpmath.mpf(8)
    with mpmath.workdps(60):
        nielsen = (2 / w) * mpmath.log(w * (1 + mpmath.sqrt(1 - 4 / w)) / 2 - 1)
        assert agree(region("sigmoid", 8).input_width, nielsen)


@pytest.mark.parametrize("act, w", [("gelu", R(9, 10)), ("silu", R(19, 20)), ("gelu", -3),
                                    ("softplus", 2), ("elu", 2)])
def test_region_ends_are_where_the_gain_is_one(act, w):
    result = region(act, w)
    sigma = MPMATH_ACTIVATIONS[act]
    with mpmath.workdps(60):
        weight = mp(R(w))

        def gain(z):
            return abs(weight * mpmath.diff(sigma, z))
        for span in result.intervals:
            for end, outside in ((span.low, -1), (span.high, 1)):
                if end.is_finite and end != 0:
                    z = mp(end)
                    assert abs(gain(z) - 1) < mpmath.mpf(10) ** -(DPS - 3)
                    assert gain(z + outside * mpmath.mpf(10) ** -6) < 1  # just outside: shrinks
            if span.low.is_finite and span.high.is_finite:
                assert gain((mp(span.low) + mp(span.high)) / 2) > 1


@pytest.mark.parametrize("act, w, status", [("sigmoid", 3, "empty"), ("sigmoid", 4, "points"),
                                            ("tanh", 1, "points"), ("relu", R(1, 2), "empty"),
                                            ("relu", 2, "unbounded"), ("linear", 1, "unbounded")])
def test_status(act, w, status):
    assert region(act, w).status == status


def test_sigmoid_at_w4_is_the_peak_only():
    (span,) = region("sigmoid", 4).intervals
    assert span.low == span.high == 0


def test_relu_negative_weight_flips_the_input_half_line():
    (inputs,) = region("relu", -2, 1).inputs  # z = -2a + 1 > 0  ⇔  a < 1/2
    assert inputs.low == -sympy.oo and inputs.high == R(1, 2) and inputs.right_open


def maximum(width, start):
    with mpmath.workdps(60):
        best = mpmath.findroot(lambda w: mpmath.diff(width, w), start)
        return best, width(best)


@pytest.mark.parametrize("act, width, start", [
    ("sigmoid", lambda w: (2 / w) * mpmath.log(w * (1 + mpmath.sqrt(1 - 4 / w)) / 2 - 1), 6.9),
    ("tanh", lambda w: 2 * mpmath.acosh(mpmath.sqrt(w)) / w, 1.7),
])
def test_widest_region_matches_the_independent_maximum(act, width, start):
    result = widest_region(symgrad.get_activation(act), DPS)
    best, best_width = maximum(width, start)
    assert agree(result.weight, best, DPS - 4)
    assert agree(result.input_width, best_width, DPS - 2)
    if act == "sigmoid":  # Nielsen: "the maximum width is about 0.45, at |w| ≈ 6.9"
        assert round(float(result.input_width), 2) == 0.45 and round(float(result.weight), 1) == 6.9


@pytest.mark.parametrize("act, unbounded_from", [("relu", 1), ("gelu", 1), ("softplus", 1)])
def test_widest_region_unbounded(act, unbounded_from):
    result = widest_region(symgrad.get_activation(act), DPS)
    assert result.weight is None and mpmath.isinf(result.input_width)
    assert result.unbounded_from == unbounded_from


def run(*args):
    """``symgrad region *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli("region", *args)


def test_cli_json():
    result = run("--act", "sigmoid", "--w", "8", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    (span,) = data["preactivation_intervals"]
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(span["to"]) - CLOSED_FORMS["sigmoid"](8)) < mpmath.mpf(10) ** -28
    assert data["status"] == "bounded"


@pytest.mark.parametrize("args, message", [
    (["--act", "sigmoid"], "Give the weight with --w"),
    (["--act", "sigmoid", "--w", "2", "--maximize"], "leave out --w"),
    (["--act", "sigmoid", "--w", "0"], "w ≠ 0"),
    (["--act", "sigmoid", "--w", "nan"], "'nan' is not a number"),
    (["--act", "sigmoid", "--w", "2", "--dps", "0"], "between 1 and"),
    (["--act", "sigmod", "--w", "2"], "Did you mean sigmoid"),
])
def test_bad_input_is_one_sentence(args, message):
    result = run(*args)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("act, w", [("sigmoid", 10**40), ("tanh", 10**40), ("sigmoid", 10**300),
                                    ("tanh", R(100000000001, 100000000000)),
                                    ("sigmoid", 4 + R(4, 10**36))])
def test_ends_far_out_and_near_the_peak(act, w):
    # a secant solver stops anywhere when the threshold 1/|w| is tiny, and near the peak
    # (a double root) an end needs twice the digits
    result = region(act, w)
    with mpmath.workdps(100):
        half = CLOSED_FORMS[act](mp(R(w)))
        (span,) = result.intervals
        assert agree(span.low, -half) and agree(span.high, half)
    assert result.status == "bounded"


def test_low_precision_does_not_crash():
    assert region("softplus", 2).status == "unbounded"
    assert gain_region(symgrad.get_activation("softplus"), R(2), R(0), 1).status == "unbounded"


@pytest.mark.parametrize("weight", ["1e60", "1e80", "1e100", "1e300", "1e5000"])
def test_tanh_regions_at_huge_weights_end_at_arccosh(weight):
    """|w| sech(z)² ≥ 1 exactly for |z| ≤ arccosh(√|w|) (by hand), so the width is twice
    that: 1 - tanh(z)², which cancels to 0 past z ≈ 93.9 at these digits, must not be
    what is solved (it gave ±93.92 for every |w| ≥ 10^82)."""
    result = symgrad_cli("region", "--act", "tanh", "--w", weight, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    with mpmath.workdps(60):
        expected = 2 * mpmath.acosh(mpmath.sqrt(mpmath.mpf(weight)))
        assert abs(mpmath.mpf(data["width"]) - expected) < mpmath.mpf(10) ** -25 * expected


@pytest.mark.parametrize("b", ["1e40", "-3e75", "1e300"])
def test_a_huge_bias_keeps_the_input_ends_apart_to_the_digits_asked(b):
    """With b = 10^40 the input interval is 0.44 wide near −1.25·10^39: its ends, through
    the CLI's JSON, are each the closed form's (−b ± 2 arccosh(√8/2))/8 to 28 digits after
    the point, not one point rounded to 30 significant digits."""
    done = symgrad_cli("region", "--act", "sigmoid", "--w", "8", "--b", b, "--format", "json")
    assert done.returncode == 0, done.stderr
    (span,) = json.loads(done.stdout)["input_intervals"]
    with mpmath.workdps(400):
        half, bias = CLOSED_FORMS["sigmoid"](mpmath.mpf(8)), mpmath.mpf(b)
        for shown, expected in ((span["from"], (-half - bias) / 8), (span["to"], (half - bias) / 8)):
            assert abs(mpmath.mpf(shown) - expected) < mpmath.mpf(10) ** -(DPS - 2)
        assert mpmath.mpf(span["to"]) - mpmath.mpf(span["from"]) > mpmath.mpf("0.44")
