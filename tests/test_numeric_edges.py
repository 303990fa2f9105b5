"""Trust at the edges (issue 14): numbers of any length, outputs on a cost's edge, huge
arguments of erfc, what overflowed in floats, and memory. Each case runs the CLI in a
subprocess with a timeout (and an address-space limit for the memory ones) and checks:
exit 0 or 2, no traceback, a refusal is one line 'symgrad: ...', and an answer against an
oracle written here (mpmath with its own formulas, exact fractions, numpy float32)."""

from __future__ import annotations

import json
import os
import re
import time
from fractions import Fraction

import gmpy2
import mpmath
import numpy
import pytest
import sympy

import symgrad
from symgrad.errors import SymgradError
from symgrad.render.printing import latex, plain, text
from tests.process import symgrad_process

ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", COLUMNS="200")


def cli(*args, timeout=120, memory_bytes=None):
    """The CLI in a subprocess: (exit code, stdout, stderr), checked for the contract."""
    result = symgrad_process(*args, timeout=timeout, env=ENV, memory=memory_bytes)
    assert result.returncode in (0, 2), result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    if result.returncode == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("symgrad: "), result.stderr
        assert "internal error" not in lines[0], lines[0]
    return result.returncode, result.stdout, result.stderr


def answered(*args, **kwargs) -> str:
    code, out, err = cli(*args, **kwargs)
    assert code == 0, err
    return out


def read_text_number(words: str) -> Fraction:
    """'25·10^4998', '10^5000', '-3/7' (the text printer's exact forms) as a fraction."""
    def one(part):
        match = re.fullmatch(r"\(?(-?)(?:(\d+)·)?10\^(\d+)\)?", part)
        if match:
            sign, mantissa, tens = match.groups()
            return (-1 if sign else 1) * int(mantissa or 1) * Fraction(10) ** int(tens)
        return Fraction(int(part))
    top, _, bottom = words.partition("/")
    return one(top) / (one(bottom) if bottom else 1)


# -- numbers of any length ---------------------------------------------------------------

HUGE = [Fraction(10) ** 5000, 25 * Fraction(10) ** 4998, -Fraction(10) ** 5000 / 3,
        1 + Fraction(10) ** 5000 / 4, Fraction(1, 10 ** 400000), Fraction(3) ** 9500 + 7,
        Fraction(10) ** 400000 / 4 ** 100]


@pytest.mark.parametrize("value", HUGE, ids=range(len(HUGE)))
def test_printers_write_any_exact_number_and_plain_reads_back_exactly(value):
    number = sympy.Rational(value.numerator, value.denominator)
    x = sympy.Symbol("x")
    for expr in (number, number * x, x / number, sympy.Pow(number, 2, evaluate=False)):
        printed = plain(expr)
        assert len(printed) < 20_000
        assert sympy.sympify(printed) == expr.doit()  # SymPy-parsable and exact
        assert text(expr) and latex(expr)
    shown = text(number)
    if "…" not in shown:  # every figure is there: it is the number
        assert read_text_number(shown) == value


def test_ordinary_numbers_print_as_before():
    for value in (sympy.Integer(12345), sympy.Rational(-3, 7), sympy.Integer(10) ** 300):
        assert plain(value) == sympy.sstr(value) and text(value) == sympy.sstr(value)
        assert latex(value) == sympy.latex(value)


def test_decimal_refuses_a_billion_digits_at_once():
    start = time.monotonic()
    with pytest.raises(SymgradError, match="digits"):
        symgrad.decimal(sympy.Rational(1, 3), 10**9)
    assert time.monotonic() - start < 1
    assert symgrad.decimal(sympy.Rational(1, 3), 5) == "0.33333"


@pytest.mark.parametrize("fmt", ["text", "latex", "markdown"])
def test_bounds_at_a_weight_of_ten_to_the_5000(fmt):
    out = answered("bounds", "--depth", "3", "--act", "sigmoid", "--w", "1e5000", "--format", fmt)
    upper = Fraction(10) ** 5000 / 4  # |w| sup σ', exactly
    if fmt == "text":
        printed = re.search(r"\| ≤ (\S+)", out).group(1)
        assert read_text_number(printed) == upper
    else:
        assert r"25 \cdot 10^{4998}" in out
    # the product's decimal against the exact product, by mpmath at 40 digits
    with mpmath.workdps(40):
        expected = mpmath.nstr(mpmath.mpf(upper.numerator) ** 3 / upper.denominator ** 3, 8)
    mantissa, exponent = expected.split("e+")
    superscript = exponent.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))
    assert re.search(rf"{re.escape(mantissa)}0*(?: \\cdot 10\^\{{{exponent}\b|·10{superscript})",
                     out), expected


def test_bounds_json_at_a_weight_of_ten_to_the_5000():
    data = json.loads(answered("bounds", "--depth", "3", "--act", "sigmoid", "--w", "1e5000",
                               "--format", "json"))
    assert sympy.sympify(data["layer_factors"][0]["upper"]["exact"]) == \
        sympy.Integer(10) ** 5000 / 4


def test_bounds_exact_product_of_a_hundred_huge_layers():
    out = answered("bounds", "--depth", "100", "--act", "sigmoid", "--w", "1e4000",
                   "--format", "latex")
    base = re.search(r"\\le \\left\(([^)]*)\\right\)\^\{100\}", out).group(1)
    assert read_text_number(base.replace(r" \cdot ", "·").replace("{", "").replace("}", "")) \
        == Fraction(10) ** 4000 / 4  # (|w| sup σ')^100, exactly
    exact = Fraction(10) ** 400000 / 4 ** 100
    with mpmath.workdps(30):
        value = mpmath.mpf(exact.numerator) / exact.denominator
        exponent = int(mpmath.floor(mpmath.log10(value)))
        leading = mpmath.nstr(value / mpmath.mpf(10) ** exponent, 6)  # (the shown digits)
    assert f"{leading} \\cdot 10^{{{exponent}}}" in out


def sigmoid_prime_log10(z: mpmath.mpf) -> mpmath.mpf:
    """log10 σ'(z) = -z log10 e - 2 log10(1 + e^-z), for z > 0 of any size."""
    return -z * mpmath.log10(mpmath.e) - 2 * mpmath.log10(1 + mpmath.exp(-z))


@pytest.mark.parametrize("fmt", ["json", "text", "latex", "markdown"])
def test_eval_at_an_input_of_ten_to_the_5000(fmt):
    out = answered("eval", "--depth", "3", "--act", "sigmoid", "--x", "1e5000", "--format", fmt,
                   timeout=120)
    with mpmath.workprec(17_000 + 200):  # z_1 = 10^5000 exactly; σ'(z_1) = e^-(10^5000)…
        magnitude = sigmoid_prime_log10(mpmath.mpf(10) ** 5000)
        tens = int(mpmath.floor(magnitude))
        mantissa = mpmath.power(10, magnitude - tens)
    if fmt != "json":
        assert "4.34294" in out  # its exponent, shown as 10^(log10), not 5,000 figures
        return
    layer = json.loads(out)["layers"][0]
    printed_mantissa, printed_exponent = layer["act_prime"].split("e")
    assert gmpy2.mpz(printed_exponent) == tens  # all 5,000 digits of the exponent
    assert abs(mpmath.mpf(printed_mantissa) / mantissa - 1) < mpmath.mpf(10) ** -40
    assert abs(mpmath.mpf(layer["log10_abs_act_prime"]) / magnitude - 1) < 1e-14


@pytest.mark.slow
def test_net_with_a_scale_of_ten_to_the_99999():
    out = answered("eval", "--widths", "2,3,2", "--init", "he", "--scale", "1e99999",
                   timeout=300)
    assert "scale 10^99999" in out


# -- cross-entropy on the edge, gelu far out ----------------------------------------------

def test_cross_entropy_at_an_output_that_rounds_to_one():
    """δ_1 = a_1 - y = -σ(-10^300): C and ∂C/∂a_L stay finite though a_1 rounds to 1."""
    data = json.loads(answered("eval", "--depth", "1", "--act", "sigmoid", "--x", "1", "--w",
                               "1e300", "--cost", "cross-entropy", "--y", "1", "--format", "json"))
    with mpmath.workprec(2000):
        z = mpmath.mpf(10) ** 300
        tail = mpmath.exp(-z)  # e^-z; 1 - a = tail / (1 + tail), never rounded to 0 here
        a, complement = 1 / (1 + tail), tail / (1 + tail)
        delta = -complement  # a - y with y = 1, exactly -(1 - a)
        cost = mpmath.log1p(tail)  # -log a = log(1 + e^-z)
        output_gradient = -1 / a  # -y/a + (1 - y)/(1 - a) at y = 1
        close = lambda printed, exact: abs(mpmath.mpf(printed) / exact - 1) < mpmath.mpf(10) ** -45  # noqa: E731
        assert close(data["layers"][0]["delta"], delta)
        assert close(data["input_gradient"], z * delta)
        assert close(data["cost_value"], cost)
        assert close(data["output_gradient"], output_gradient)


def test_cross_entropy_far_from_its_target_is_finite_and_exact():
    data = json.loads(answered("eval", "--depth", "2", "--act", "sigmoid", "--x", "1", "--w",
                               "1e300", "--cost", "cross-entropy", "--y", "0", "--format", "json"))
    with mpmath.workprec(2000):
        z2 = 10 ** 300 / (1 + mpmath.exp(-mpmath.mpf(10) ** 300))  # w a_1
        cost = z2 + mpmath.log(1 + mpmath.exp(-z2))  # -log(1 - σ(z_2))
        assert abs(mpmath.mpf(data["cost_value"]) / cost - 1) < mpmath.mpf(10) ** -45
        assert abs(mpmath.mpf(data["layers"][1]["delta"]) - 1) < mpmath.mpf(10) ** -45  # a - 0


@pytest.mark.parametrize("act, x, w", [("gelu", "1e5", "1"), ("gelu", "-1e5", "1e3"),
                                        ("silu", "-3", "1"), ("gelu", "2", "1")])
def test_cross_entropy_outside_its_domain_is_refused_in_one_sentence(act, x, w):
    """gelu and silu leave (0, 1); the z-form of cross-entropy takes log of a negative
    a_L, which must be a refusal naming the output, not a TypeError."""
    code, out, err = cli("eval", "--depth", "3", "--act", act, "--cost", "cross-entropy",
                         "--x", x, "--w", w, "--y", "0")
    assert code == 2 and out == ""
    assert "needs 0 < a_L < 1" in err and err.count("\n") == 1, err
    with mpmath.workdps(30):
        a = mpmath.mpf(x)  # an independent forward pass: gelu(z) = z Φ(z), swish(z) = z σ(z)
        for _ in range(3):
            z = mpmath.mpf(w) * a
            a = z * (mpmath.ncdf(z) if act == "gelu" else 1 / (1 + mpmath.exp(-z)))  # silu
        assert not 0 < a < 1


@pytest.mark.parametrize("z", ["-1e1000", "-1e5000"])
def test_gelu_far_on_the_left_does_not_hang(z):
    start = time.monotonic()
    data = json.loads(answered("eval", "--depth", "10", "--act", "gelu", f"--z={z}", "--dps", "30",
                               "--format", "json", timeout=90))
    assert time.monotonic() - start < 90
    with mpmath.workdps(40):
        x = mpmath.mpf(z)
        with mpmath.workprec(mpmath.mp.prec + 4 * len(z)):  # x² exactly enough
            density = mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)
            prime = mpmath.erfc(-x / mpmath.sqrt(2)) / 2 + x * density  # Φ(x) + x φ(x)
        expected = 10 * mpmath.log10(abs(prime))  # δ_1: ten equal factors, w = 1
    assert abs(mpmath.mpf(data["layers"][0]["log10_abs_delta"]) / expected - 1) < 1e-13


# -- what overflowed in float32 -------------------------------------------------------------

def float32_pass(z, w, upstream):
    """A gain-mode sigmoid backward pass in numpy float32, written here: (the first quantity
    that is inf or nan, as backpropagation computes them: δ_k, w_k, w_k δ_k from the top;
    the first layer, from the top, whose δ is inf)."""
    f = numpy.float32
    with numpy.errstate(all="ignore"):
        zs, ws = [f(v) for v in z], [f(v) for v in w]
        primes = [numpy.exp(-v) / (f(1) + numpy.exp(-v)) ** 2 for v in zs]  # σ'(z), as derived
        grad, first, inf_from = f(upstream), None, None
        for k in range(len(z) - 1, -1, -1):
            delta = grad * primes[k]
            if inf_from is None and numpy.isinf(delta):
                inf_from = k + 1
            for name, value in ((f"δ_{k + 1}", delta), (f"w_{k + 1}", ws[k]),
                                (f"w_{k + 1} δ_{k + 1}", ws[k] * delta)):
                if first is None and not numpy.isfinite(value):
                    first = name
            grad = ws[k] * delta
    return first, inf_from


@pytest.mark.parametrize("weights", [("1", "1", "3e38"), ("1", "1", "1e39"), ("1", "1e30", "1e30")])
def test_float32_says_which_quantity_overflowed(weights):
    z, upstream = ("0", "50", "0"), "10"
    out = answered("eval", "--depth", "3", "--act", "sigmoid", "--z", ",".join(z), "--w",
                   ",".join(weights), "--upstream", upstream)
    first, layer = float32_pass([float(v) for v in z], [float(v) for v in weights], float(upstream))
    assert first is not None and layer is not None
    line = next(line for line in out.replace("\n∂C", " ∂C").splitlines() if "float32:" in line)
    assert f"δ is inf from layer {layer} down ({first} overflows float32" in line, (line, first)
    if weights[1] == "1":  # the δ the old message blamed fits float32 (w_3 δ_3 did not)
        with mpmath.workdps(30):
            sig = lambda v: 1 / (1 + mpmath.exp(-v))  # noqa: E731
            prime = lambda v: sig(v) * (1 - sig(v))  # noqa: E731
            delta_2 = mpmath.mpf(upstream) * mpmath.mpf(weights[2]) * prime(0) * prime(50)
        assert layer == 2 and delta_2 < numpy.finfo(numpy.float32).max


# -- memory ---------------------------------------------------------------------------------

def test_sampled_nets_without_the_weights_kept_give_the_same_ratios(monkeypatch):
    from symgrad.analysis import sampling
    first = symgrad.sample(30, "tanh", sigma_w2=1, width=8, samples=20, seed=11).log10_ratios
    monkeypatch.setattr(sampling, "KEEP_BYTES", 8 * 30 * 8 * 20)  # σ' fits, the weights do not
    again = symgrad.sample(30, "tanh", sigma_w2=1, width=8, samples=20, seed=11).log10_ratios
    assert numpy.array_equal(first, again)


def test_sample_of_a_wide_deep_net_in_bounded_memory():
    """400 layers of 600 × 600 weights are 1.15 GB kept; under 1 GiB of address space."""
    data = json.loads(answered("sample", "--depth", "400", "--width", "600", "--samples", "1",
                               "--sigma-w2", "1", "--format", "json", timeout=300,
                               memory_bytes=2**30))
    assert len(data["log10_ratios"]) == 1 and isinstance(data["log10_ratios"][0], float)


@pytest.mark.slow
def test_sample_at_the_documented_limit_in_bounded_memory():
    data = json.loads(answered("sample", "--depth", "1000", "--width", "1000", "--samples", "1",
                               "--sigma-w2", "1", "--format", "json", timeout=600,
                               memory_bytes=3 * 2**29))
    assert len(data["log10_ratios"]) == 1


# --- review: inputs that do not fit a float format; a zero bound; MPLBACKEND ----------


@pytest.mark.parametrize("arguments, fmt, name", [
    (["--act", "relu", "--w", "1", "--x", "1e39"], "float32", "x"),
    (["--act", "relu", "--w", "1", "--x", "1e309"], "float64", "x"),
    (["--act", "linear", "--w", "1", "--x", "1", "--y", "1e39"], "float32", "y"),
])
def test_an_input_outside_a_float_format_is_named_as_what_overflowed(arguments, fmt, name):
    """numpy says the input (or target) itself is inf in the format, before any layer
    computes anything: the float comparison names it, not z_1 or ∂C/∂a_L."""
    value = arguments[arguments.index("--" + name) + 1]
    with numpy.errstate(over="ignore"):
        assert numpy.isinf(numpy.dtype(fmt).type(float(value)))  # the oracle
    result = symgrad_process("eval", "--depth", "3", *arguments)
    assert result.returncode == 0, result.stderr
    (line,) = [row for row in result.stdout.splitlines() if row.strip().startswith(f"{fmt}:")]
    assert f"({name} overflows {fmt})" in line, line


def test_a_zero_bound_underflows_at_the_first_layer():
    """w = 0: every layer's factor |w σ'(z)| is at most 0, so the product of the bounds is
    0 from the first layer on, below every format's smallest subnormal."""
    result = symgrad_process("bounds", "--depth", "4", "--act", "tanh", "--w", "0",
                             "--format", "json")
    data = json.loads(result.stdout)
    assert mpmath.mpf(data["upper_bound"]) == 0
    assert all(limit["underflow_depth"] == 1 for limit in data["float_limits"].values())


def test_an_unknown_mplbackend_does_not_stop_a_figure(tmp_path):
    """The figures are files drawn by Agg, whatever MPLBACKEND names."""
    target = tmp_path / "h.png"
    result = symgrad_process("sample", "--depth", "5", "--sigma-w2", "1", "--samples", "50",
                             "-o", str(target), env={**os.environ, "MPLBACKEND": "bogus"})
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
