"""The safe expression reader: hostile strings are refused with the tool's own error and
no side effect; random text never gets past it as anything but a formula; random valid
formulas round-trip through SymPy; numbers are read exactly."""


import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symgrad.errors import SymgradError
from symgrad.expressions import MAX_LENGTH, parse
from tests.process import symgrad_process

X = sympy.Symbol("x", real=True)
NAMES = {"x": X}


def hostile(path):
    """Strings that would run code, or take unbounded time or memory, if evaluated."""
    return [
        f"__import__('os').system('touch {path}')",
        f"open('{path}', 'w').write('x')",
        f"exec(\"open('{path}', 'w')\")",
        "().__class__.__bases__[0].__subclasses__()",
        "x.__class__",
        "__builtins__",
        "__import__",
        "import os",
        "lambda: 1",
        "(lambda: 1)()",
        "[i for i in range(10)]",
        "{i: i for i in range(3)}",
        "(i for i in range(3))",
        "f'{x}'",
        "x if x else 1",
        "x[0]",
        "x, x",
        "'text'",
        "b'bytes'",
        "None",
        "True",
        "x == 1",
        "x := 1",
        "9**9**9**9",
        "10**100000",
        "x**(10**10)",
        "(" * 100_000 + "x" + ")" * 100_000,
        "x+" * 5_000_000,  # 10 MB
        "exp(" * 60 + "x" + ")" * 60,
        "1" * 1000,
        "x\x00",
        "",
        "   ",
    ]


@pytest.mark.parametrize("index", range(len(hostile("/tmp/p"))))
def test_hostile_strings_are_refused_without_side_effects(tmp_path, index):
    path = tmp_path / "pwned"
    text = hostile(path)[index]
    with pytest.raises(SymgradError) as error:
        parse(text, NAMES, what="activation")
    assert "activation" in str(error.value) and "\n" not in str(error.value)
    assert not path.exists()


def test_hostile_activation_through_the_cli_leaves_no_file(tmp_path):
    path = tmp_path / "pwned"
    result = symgrad_process("derive", "--depth", "2",
                             "--act", f"__import__('os').system('touch {path}')", timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "column" in result.stderr and not path.exists()


@pytest.mark.parametrize("text, column", [("x + foo", 5), ("x*y", 3), ("exp(x).real", 1),
                                          ("x // 2", 3), ("max(x)", 1), ("x%y", 2),
                                          ("(x+1) @ x", 7), ("'é' % x", 5), ("'ééé' ^ x", 7)])
def test_errors_name_the_token_and_its_column(text, column):
    """The column is where the token starts, counted in characters (an operator's own
    place, not its left operand's; é is one character, two bytes to Python's parser)."""
    with pytest.raises(SymgradError, match=f"column {column}[;.]"):
        parse(text, NAMES)


@pytest.mark.parametrize("text", ["x\\y", "x + \\alpha", "x\\"])
def test_a_refusal_shows_the_text_as_typed(text):
    """A backslash the user typed is shown once, not doubled as Python's repr would."""
    with pytest.raises(SymgradError) as error:
        parse(text, NAMES)
    assert f"'{text}'" in str(error.value) and "\\\\" not in str(error.value)


@pytest.mark.parametrize("text, expected", [
    ("0.1*x", X / 10),
    ("1e-3*x", X / 1000),
    ("2.5E2", sympy.Integer(250)),
    ("1/3*x", X / 3),
    ("x**2/(1+abs(x))", X**2 / (1 + sympy.Abs(X))),
    ("-x", -X),
    ("+x", X),
    ("1_000*x", 1000 * X),
])
def test_numbers_are_read_exactly(text, expected):
    assert sympy.simplify(parse(text, NAMES) - expected) == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_random_text_is_a_formula_or_the_tools_error(text):
    try:
        result = parse(text, NAMES)
    except SymgradError:
        return
    assert isinstance(result, sympy.Basic)


_LEAVES = st.one_of(st.just("x"), st.integers(0, 50).map(str),
                    st.decimals(min_value=0, max_value=100, places=3, allow_nan=False,
                                allow_infinity=False).map(str))
_FUNCTIONS = ("exp", "tanh", "erf", "abs", "sinh", "atan")


def _extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from("+-*"), children).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(children, children).map(lambda t: f"({t[0]})/(1+({t[1]})**2)"),
        st.tuples(st.sampled_from(_FUNCTIONS), children).map(lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda c: f"-({c})"),
        children.map(lambda c: f"({c})**3"),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_LEAVES, _extend, max_leaves=12))
def test_valid_formulas_round_trip_through_sympy(text):
    """What SymPy prints of a parsed formula parses back to the same expression, and it
    has a LaTeX form."""
    expr = parse(text, NAMES)
    printed = str(expr).replace("Abs(", "abs(")
    if len(printed) <= MAX_LENGTH and printed.count("(") <= 50:
        assert sympy.simplify(parse(printed, NAMES) - expr) == 0
    assert sympy.latex(expr)


@pytest.mark.parametrize("text", ["1e999999999*x", "x+1e-999999999", "1e400000*x"])
def test_numbers_with_huge_exponents_are_refused(text):
    with pytest.raises(SymgradError, match="exponent is at most"):
        parse(text, NAMES, what="activation")


@pytest.mark.parametrize("text, expected", [
    ("sqrt(z-10)/sqrt(z-10)", {(">=", "z - 10"), ("!=", "z - 10")}),
    ("z/z", {("!=", "z")}),
    ("log(z)-log(z)", {(">", "z")}),
    ("z**(-2)*z**2", {("!=", "z")}),
    ("z**2/(3*z)", {("!=", "z")}),
    ("z**(1/3)", {(">=", "z")}),
    ("z**2 + exp(z)", set()),
])
def test_what_a_formula_needs_as_written(text, expected):
    """What SymPy's cancellation forgets, recorded while reading."""
    z = sympy.Symbol("z")
    needs = []
    parse(text, {"z": z}, needs=needs)
    assert {(relation, str(u)) for relation, u in needs} == expected
