"""The decimal text of computed numbers (issue 17: eval's JSON at depth 10^5 in under 5 s),
against oracles apart from symgrad's own formatting: Python's Decimal for every figure and
the notation, mpmath at 60 digits for log10, and the json module for the layout.

The rule: ``digits`` significant figures, correctly rounded (ties to even, as MPFR), fixed
notation for exponents from -4 to min(digits, 16) - 1 and scientific beyond, trailing zeros
dropped but one after the point; 0 and -0 as "0.0".
"""

from __future__ import annotations

import decimal
import json
import random
from decimal import Decimal

import gmpy2
import mpmath
import pytest
import sympy

import symgrad
from symgrad.numeric import real
from symgrad.numeric.backprop import ChainPoint
from symgrad.numeric.evaluate import evaluate_chain
from symgrad.numeric.real import decimal as decimal_text
from symgrad.numeric.real import log10_abs, log10_decimal
from symgrad.render.json import LOG10_DIGITS, _dumps, json_chunks

R = sympy.Rational
_ROUNDINGS = {"nearest": decimal.ROUND_HALF_EVEN, "down": decimal.ROUND_FLOOR,
              "up": decimal.ROUND_CEILING}


def _context(digits: int, rounding: str = "nearest") -> decimal.Context:
    return decimal.Context(prec=digits, rounding=_ROUNDINGS[rounding], Emax=decimal.MAX_EMAX,
                           Emin=decimal.MIN_EMIN)


def expected_text(exact: Decimal, digits: int, rounding: str = "nearest") -> str:
    """The rule, by Decimal: ``exact`` rounded to ``digits`` figures, written by Decimal's
    own "f" and "e" formats."""
    context = _context(digits, rounding)
    rounded = context.plus(exact)
    if rounded.is_zero():
        return "0.0"
    if -4 <= rounded.adjusted() < min(digits, 16):
        text = format(rounded, "f")
        text = text.rstrip("0") if "." in text else text + "."
        return text + "0" if text.endswith(".") else text
    return format(rounded.normalize(context), "e")


def exact_decimal(value, digits: int) -> Decimal:
    """An MPFR number as a Decimal: exactly while its binary exponent is within ±5,000,
    else m·2^e by Decimal at 30 figures more than ``digits``."""
    mantissa, exponent = value.as_mantissa_exp()
    if exponent >= 0 and exponent <= 5000:  # (figures through gmpy2: no length limit)
        return Decimal(gmpy2.mpz(mantissa << exponent).digits())
    if -5000 <= exponent < 0:  # m / 2^k = m 5^k / 10^k
        return Decimal(f"{gmpy2.mpz(mantissa * 5 ** -exponent).digits()}E{exponent}")
    return _times_power_of_two(int(mantissa), int(exponent), digits)


def mpfr(text: str, bits: int = 200):
    with gmpy2.context(precision=bits):
        return gmpy2.mpfr(text)


def _random_mpfr(generator: random.Random):
    bits = generator.choice([24, 53, 64, 96, 200, 400])
    tens = generator.choice([generator.randint(-6, 20), generator.randint(-400, 400),
                             generator.randint(-10**5, 10**5), generator.randint(-10**8, 10**8)])
    with gmpy2.context(precision=bits + 20):
        value = gmpy2.mpfr(generator.random()) * gmpy2.exp10(tens) * generator.choice([1, -1])
    return gmpy2.mpfr(value, bits)


EDGE_CASES = [  # (value, digits): the notation's edges, ties, exponents beyond float range
    (mpfr("1e-400"), 50), (mpfr("-1e-400", 53), 17), (mpfr("1e100000", 400), 50),
    (mpfr("7.77e-323228496", 64), 30), (mpfr("0.125"), 2), (mpfr("0.375"), 2),
    (mpfr("9.5"), 2), (mpfr("99999.5"), 5), (mpfr("0.0001"), 5), (mpfr("0.00001"), 5),
    (mpfr("0.000099999"), 3), (mpfr("1e15"), 20), (mpfr("1e16"), 20),
    (mpfr("123456789012345678"), 20), (mpfr("1234.5"), 3), (mpfr("-2.5"), 50),
    (mpfr("1") / 3, 60), (mpfr("0.1", 53), 100), (mpfr("65504"), 50), (mpfr("1"), 2),
]


@pytest.mark.parametrize("value, digits", EDGE_CASES)
def test_an_mpfr_decimal_against_python_decimal(value, digits):
    assert decimal_text(value, digits) == expected_text(exact_decimal(value, digits), digits)


def test_random_mpfr_decimals_against_python_decimal():
    generator = random.Random(17)
    for _ in range(3000):
        value = _random_mpfr(generator)
        digits = generator.choice([2, 3, 5, 15, 16, 17, 50, 100])
        assert decimal_text(value, digits) == expected_text(exact_decimal(value, digits), digits), value


@pytest.mark.parametrize("rounding", ["down", "up"])
def test_outward_rounding_against_python_decimal(rounding):
    generator = random.Random(5)
    for _ in range(500):
        value, digits = _random_mpfr(generator), generator.choice([1, 3, 15, 50])
        assert decimal_text(value, digits, rounding) == \
            expected_text(exact_decimal(value, digits), digits, rounding)


@pytest.mark.parametrize("digits", [1, 2, 50])
def test_zeros_infinities_and_nan(digits):
    assert decimal_text(gmpy2.mpfr("0"), digits) == "0.0"
    assert decimal_text(gmpy2.mpfr("-0"), digits) == "0.0"
    assert decimal_text(gmpy2.mpfr("inf"), digits) == "inf"
    assert decimal_text(gmpy2.mpfr("-inf"), digits) == "-inf"
    assert decimal_text(gmpy2.mpfr("nan"), digits) == "nan"
    assert decimal_text(mpmath.mpf("-0"), digits) == "0.0"


@pytest.mark.parametrize("exponent", [-2**31, 2**31 + 5, -2**41, 2**41])
@pytest.mark.parametrize("digits", [5, 20, 50])
def test_mpmath_numbers_beyond_mpfr_range_against_python_decimal(exponent, digits):
    """3·2^e with |e| beyond MPFR's 2^30 (mpmath's own decimal, and from 2^40 on the
    logarithm's route): Decimal raises 2 to the power at 30 figures more."""
    mantissa = -3 if exponent % 2 else 3
    assert decimal_text(mpmath.mpf((mantissa, exponent)), digits) == \
        expected_text(_times_power_of_two(mantissa, exponent, digits), digits)


def _times_power_of_two(mantissa: int, exponent: int, digits: int) -> Decimal:
    """m·2^e by Decimal, at 30 figures more than ``digits`` and m's bits (a value of b bits
    lies at least about 2^-b of itself from a rounding boundary it is not on)."""
    context = _context(digits + 30 + abs(mantissa).bit_length())
    return context.multiply(Decimal(mantissa), context.power(Decimal(2), exponent))


def _log10_expected(value, digits: int) -> str:
    """log10|value| of the exact value by mpmath, at 60 digits more than the figures |x| - 1
    cancels near 1 (|x| = 1 + 1.6·10^-15 has log10 ≈ 7·10^-16: its 15 figures need the
    value's own last bits), then the rule."""
    if isinstance(value, mpmath.mpf):
        exact = abs(value)
    else:
        mantissa, exponent = value.as_mantissa_exp()
        with mpmath.workprec(int(mantissa).bit_length() + 1):  # exactly
            exact = abs(mpmath.mpf((int(mantissa), int(exponent))))
    with mpmath.workprec(max(53, int(abs(exact.man).bit_length()) + 10) if exact else 53):
        gap = abs(exact - 1)
    cancelled = 0 if not gap or not exact else max(0, -int(mpmath.log10(gap)))
    with mpmath.workdps(60 + cancelled):
        logarithm = mpmath.log10(exact)
        return expected_text(Decimal(mpmath.nstr(logarithm, 60, min_fixed=-mpmath.inf,
                                                 max_fixed=mpmath.inf)), digits)


def _near_a_rounding_boundary(generator: random.Random):
    """A value whose log10 lies within 10^-3 of a unit of its 15th figure from a half unit,
    on either side: where 64 bits may not decide the figures."""
    with gmpy2.context(precision=260):
        whole = generator.randint(1, 9) * 10**5 + generator.randint(0, 99_999)
        halfway = gmpy2.mpfr(generator.randint(0, 10**9 - 1)) + gmpy2.mpfr(0.5)
        offset = gmpy2.mpfr(generator.uniform(-10, 10)) / 10**4
        value = gmpy2.exp10(-(whole + (halfway + offset) / 10**9))
    return gmpy2.mpfr(value * generator.choice([1, -1]), 200)


def test_log10_decimal_is_log10_abs_decimal_and_mpmath(monkeypatch):
    """``log10_decimal`` (from ln at 64 bits when those decide the figures) writes what
    ``decimal(log10_abs(x))`` does, and mpmath agrees; values near a rounding boundary
    take the 96-bit route, and values just beside one (within 10^-3 of a unit) the
    64-bit one."""
    fallbacks = []
    monkeypatch.setattr(real, "log10_abs", lambda value: fallbacks.append(value) or
                        log10_abs(value))
    generator = random.Random(3)
    near = [_near_a_rounding_boundary(generator) for _ in range(800)]
    anywhere = [_random_mpfr(generator) for _ in range(2000)]
    for number, value in enumerate(near + anywhere):
        digits = LOG10_DIGITS if number < len(near) else generator.choice([1, 2, 6, 12, 15])
        text = log10_decimal(value, digits)
        assert text == decimal_text(log10_abs(value), digits) == _log10_expected(value, digits)
    assert 0 < len(fallbacks) < len(near) / 2  # both routes taken


@pytest.mark.parametrize("value", [gmpy2.mpfr(1), gmpy2.mpfr(0), gmpy2.mpfr("-inf"), None,
                                   mpmath.mpf("1e-5000000000000"), gmpy2.mpq(1, 3)])
def test_log10_decimal_of_the_other_kinds_is_log10_abs_decimal(value):
    assert log10_decimal(value, LOG10_DIGITS) == decimal_text(log10_abs(value), LOG10_DIGITS)


JSON_VALUES = [
    {}, [], (), "", {"a": {}}, {"a": []}, [[]], [{}],
    {"layer": 1, "z": "0.55", "delta": "1.4e-50238", "grad_w": None, "t": True, "f": False},
    {"nested": {"lo": "1", "hi": "2", "list": [1, -2, 10**40, "x", None, [True]]}},
    ["σ'(z)", "quote \" backslash \\ newline \n tab \t", "\u2028\x00\x1f é ∂C/∂a"],
    {"float": 0.1, "inf": float("inf"), "nan": float("nan"), "big": 1e300},
    {1: "int key", "b": 2}, {"tuple": (1, "two", (3,))}, 12, -7, None, True, 2.5, "σ",
]


@pytest.mark.parametrize("value", JSON_VALUES, ids=range(len(JSON_VALUES)))
@pytest.mark.parametrize("indent", ["", "  ", "    "])
def test_json_writer_writes_what_json_dumps_writes(value, indent):
    expected = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)
    assert _dumps(value, indent) == expected


def _evaluation(act: str, depth: int, dps: int, **settings):
    chain = symgrad.ScalarChain(depth, symgrad.get_activation(act),
                                residual=settings.pop("residual", False))
    if "z" in settings:
        point = ChainPoint((R(settings.get("w", 1)),) * depth, z=(R(settings["z"]),) * depth)
    else:
        point = ChainPoint((R(settings["w"]),) * depth, (R(settings.get("b", 0)),) * depth,
                           x=R(1, 2), y=R(0))
    return evaluate_chain(chain, point, dps)


def _expected_number(value, dps: int):
    if value is None:
        return None
    if isinstance(value, mpmath.mpf):  # beyond MPFR's range: Decimal through mantissa, exponent
        sign, mantissa, exponent, _ = value._mpf_
        return expected_text(_times_power_of_two(int(-mantissa if sign else mantissa), exponent, dps),
                             dps)
    return expected_text(exact_decimal(value, dps), dps)


@pytest.mark.parametrize("act, depth, dps, settings", [
    ("sigmoid", 1500, 50, {"w": R(3, 2), "b": R(-1, 5)}),  # δ_1 ≈ 10^-750
    ("tanh", 400, 17, {"w": 10}),
    ("sigmoid", 300, 2, {"w": 10}),
    ("sigmoid", 200, 60, {"w": R(3, 2), "residual": True}),
    ("sigmoid", 3, 20, {"z": 10**9}),  # σ'(z) ≈ 10^-434,294,482: an mpmath pass
    ("tanh", 4, 50, {"z": R(1, 10**400), "w": -2}),
])
def test_eval_json_text_against_json_and_decimal(act, depth, dps, settings):
    """The JSON of an evaluation, byte for byte: its layout is what json.dumps writes for
    the object it parses to, and every number of every layer is its exact value written by
    the Decimal oracle (log10 magnitudes by mpmath)."""
    evaluation = _evaluation(act, depth, dps, **settings)
    text = "".join(json_chunks(evaluation))
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert len(data["layers"]) == depth
    for entry, values in zip(data["layers"], evaluation.layers()):
        for name in ("z", "a", "act_prime", "gain", "delta", "grad_w"):
            value = getattr(values, name)
            assert entry.get(name) == _expected_number(value, dps), (values.layer, name)
            if name not in ("z", "a"):
                expected_log = None if value is None else _log10_expected(value, LOG10_DIGITS)
                assert entry[f"log10_abs_{name}"] == expected_log, (values.layer, name)
        assert (entry["grad_b"], entry["log10_abs_grad_b"]) == \
            (entry["delta"], entry["log10_abs_delta"])
    assert data["input_gradient"] == _expected_number(evaluation.input_gradient, dps)


@pytest.mark.parametrize("gap", ["1.6e-15", "-4.2e-18", "3e-40", "-7e-90"])
def test_log10_near_one_keeps_its_fifteen_figures(gap):
    """log10 of a value beside 1 (a residual chain's gain 1 + w σ', a sigmoid's output
    σ(40) = 1 - 4·10^-18) is small, so its 15 figures rest on the value's last bits:
    taken from the value itself, not from it rounded to a shorter precision first."""
    with gmpy2.context(precision=400):
        value = 1 + gmpy2.mpfr(gap)
    assert log10_decimal(value, 15) == _log10_expected(value, 15)
    assert decimal_text(log10_abs(value), 15) == _log10_expected(value, 15)
