"""One number style (issue 15, point 2): every computed number a document shows is written
the same way in every format — its computed digits, no trailing zeros, fixed notation for
0.01 ≤ |x| < 10^5 and m·10^k otherwise, 10^k for a power of ten — exact values stay
exact, and no float repr, coefficient 1 or fraction of fractions is left anywhere."""

import re
from decimal import Decimal

import pytest

import symgrad
from symgrad.render import render
from symgrad.render.number_style import column_styled, styled
from tests.test_prose_math import RESULTS


def expected_style(text: str) -> tuple[Decimal, str]:
    """The value and significant figures a decimal must show, by Python's Decimal (an
    oracle apart from number_style's own parsing)."""
    value = Decimal(text)
    figures = format(abs(value).normalize(), "e").split("e")[0].replace(".", "")
    return value, figures


@pytest.mark.parametrize("text", ["1.2468e-6", "0.000141529", "65504.0", "-3.0103000",
                                  "0.00097656250", "3.38953e+38", "1.4013e-45", "0.196612",
                                  "12345.6", "123456.7", "0.01", "0.0099", "100", "-0.954096",
                                  "5e-1", "1e10", "-1e-300", "2.4936095801259566e-6"])
def test_a_decimal_keeps_its_value_and_figures_in_the_style(text):
    number = styled(text)
    value, figures = expected_style(text)
    shown = number.latex()
    match = re.fullmatch(r"(-?)(?:(\d+(?:\.\d+)?)(?: \\cdot )?)?(?:10\^\{(-?\d+)\})?", shown)
    assert match, shown
    sign, mantissa, power = match.groups()
    assert Decimal(sign + (mantissa or "1")) * Decimal(10) ** int(power or 0) == value
    assert (mantissa or "1").replace(".", "").strip("0") == figures.strip("0")
    fixed = Decimal("0.01") <= abs(value) < Decimal(10) ** 5
    assert (power is None) == fixed, shown
    assert not (mantissa or "").endswith("0") or "." not in (mantissa or "")  # no trailing zero


def test_a_column_takes_one_notation():
    numbers = column_styled(["1.2468e-6", "0.0292771", "never", "0.111149"])
    assert numbers[2] is None
    assert all(n.exponent is not None for n in numbers if n is not None)
    assert [n.latex() for n in numbers if n is not None][1] == r"2.92771 \cdot 10^{-2}"


REPR = re.compile(r"\d\.?\d*e[+-]?\d|\d\.0(?![\d])|1\.0 \\cdot|0\.000\d")
COEFFICIENT_ONE = re.compile(r"(?<![\w.])1 \\sigma|\{1 \\sigma|(?<![\w.])1·σ")
FRACTION_OF_FRACTIONS = re.compile(r"\\frac\{\\left\|\{?\\frac")


@pytest.mark.parametrize("name", [name for name in RESULTS if name not in
                                  ("activation library", "an activation that jumps")])
@pytest.mark.parametrize("fmt", ["latex", "markdown", "text"])
def test_no_float_repr_coefficient_one_or_fraction_of_fractions(name, fmt):
    text = render(RESULTS[name](), fmt)
    assert not REPR.search(text), REPR.search(text).group(0) + " in: " + text[
        max(0, REPR.search(text).start() - 200):REPR.search(text).end() + 100]
    assert not COEFFICIENT_ONE.search(text)
    assert not FRACTION_OF_FRACTIONS.search(text)


def test_exact_powers_are_exact_and_short_values_shown_both_ways():
    text = render(symgrad.notes(10, "relu", w=10, z=1), "markdown")
    assert r"10^{10} \\" in text or r"10^{10}" + "\n" in text
    assert r"\left(\frac{1}{2}\right)^{10} &= \frac{1}{1024} \\" in text
    assert r"&\approx 9.76563 \cdot 10^{-4}" in text
