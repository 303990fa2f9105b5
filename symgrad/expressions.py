"""Formulas typed by a user, read safely: a custom activation (``x/(1+exp(-x))``) or a
hand-derived gradient to check (``w2*w3*dsigma(z1)*dC_daL``).

``sympify`` and ``parse_expr`` call Python's ``eval`` on the text, so one hostile string
runs arbitrary code. Here the text is only parsed (``ast.parse``, which builds a tree and
runs nothing), every node is checked against a whitelist, and the tree is built into
SymPy by hand: numbers exactly (0.1 is 1/10), names from a given table, functions from
a fixed table. Length, nesting depth and the size of numeric powers are limited, so no
input takes long or much memory, and an error names the offending token and its column.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Mapping

import sympy

from symgrad.errors import SymgradError, quoted
from symgrad.layers.step import sigmoid
from symgrad.notation import dsigma, sigma

MAX_LENGTH = 2_000  # characters
MAX_NESTING = 50  # parentheses (and calls) inside each other
MAX_EXPONENT = 1_000  # |n| in a power with a numeric exponent
MAX_NUMBER_DIGITS = 400  # digits in one number

FUNCTIONS: Mapping[str, tuple[int, object]] = {  # name: (arguments, SymPy builder)
    "exp": (1, sympy.exp),
    "log": (1, sympy.log),
    "sqrt": (1, sympy.sqrt),
    "tanh": (1, sympy.tanh),
    "sinh": (1, sympy.sinh),
    "cosh": (1, sympy.cosh),
    "atan": (1, sympy.atan),
    "erf": (1, sympy.erf),
    "erfc": (1, sympy.erfc),
    "abs": (1, sympy.Abs),
    "max": (2, sympy.Max),
    "min": (2, sympy.Min),
    "Heaviside": (1, lambda value: sympy.Heaviside(value, sympy.S.Half)),
    # a recurrent cell's gate function, written out by its own rewrite: 1/(1 + e^-u)
    "sigmoid": (1, lambda value: sigmoid(value).rewrite(sympy.exp)),
    "sigma": (1, sigma),
    "dsigma": (1, dsigma),
}
CONSTANTS = {"pi": sympy.pi, "E": sympy.E}
_DOMAINS = {"log": ">", "sqrt": ">="}  # where a function is defined (on the reals)
ONLY_FORMULAS = "only numbers, names, + - * / **, parentheses and functions are read"

_OPERATORS = {ast.Add: sympy.Add, ast.Sub: lambda a, b: a - b, ast.Mult: sympy.Mul,
              ast.Div: lambda a, b: a / b, ast.Pow: None}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
            ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%", ast.BitXor: "^",
            ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>"}


def parse(text: str, names: Mapping[str, sympy.Expr], functions: frozenset[str] | None = None,
          what: str = "expression", needs: list | None = None) -> sympy.Expr:
    """``text`` as a SymPy expression in the given ``names`` (name -> SymPy object);
    ``functions``: the function names allowed (None: all of ``FUNCTIONS``). Raises
    SymgradError naming the offending token and its column.

    ``needs``, if a list is given, receives what the text as written needs to be defined,
    as (relation, u) pairs meaning u > 0, u >= 0 or u != 0: a denominator, the base of a
    negative or fractional power, the argument of log and sqrt. SymPy cancels as it builds
    (sqrt(z - 10)/sqrt(z - 10) is 1), so the expression alone forgets them."""
    if not isinstance(text, str):
        raise SymgradError(f"The {what} must be text, not {type(text).__name__}.")
    if len(text) > MAX_LENGTH:
        raise SymgradError(f"The {what} is {len(text)} characters long; at most {MAX_LENGTH} "
                           "are read.")
    if not text.strip():
        raise SymgradError(f"The {what} is empty.")
    _check_characters(text.strip(), what)
    _check_nesting(text, what)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        stripped = text.strip()
        if not error.offset or error.offset > len(stripped):  # Python's way to say: at the end
            reason, column = "it ends too early", len(stripped) + 1
        else:
            reason, column = _reason(error), error.offset
        raise SymgradError(f"The {what} {quoted(stripped)} is not a formula: {reason} at column "
                           f"{column}.") from None
    except (ValueError, MemoryError, RecursionError):
        raise SymgradError(f"The {what} cannot be read (it holds a null character or is "
                           "too deeply nested).") from None
    allowed = FUNCTIONS.keys() if functions is None else functions
    builder = _Builder(text.strip(), names, allowed, what)
    built = builder.build(tree.body)
    for relation, u in builder.needs:  # (a constant's need is decided here, once)
        if u.is_number and _HOLDS[relation](u) is not True:
            raise SymgradError(f"The {what} is not defined as written: it needs {u} {relation} 0"
                               ", which " + ("fails." if _HOLDS[relation](u) is False else
                                             "SymPy cannot show."))
    if needs is not None:
        needs.extend(dict.fromkeys(need for need in builder.needs if not need[1].is_number))
    return built


_HOLDS = {">": lambda u: u.is_positive, ">=": lambda u: u.is_nonnegative,
          "!=": lambda u: None if u.is_zero is None else not u.is_zero}


_LINE_BREAKS = {"\n", "\r", "\v", "\f", "\x85", "\u2028", "\u2029"}


def _check_characters(text: str, what: str) -> None:
    """Refuse control characters inside the formula (a line break would also reach a
    LaTeX file, where a blank line ends the math): it is written on one line."""
    for column, character in enumerate(text, start=1):
        if unicodedata.category(character) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            kind = ("a line break" if character in _LINE_BREAKS else
                    "a tab" if character == "\t" else
                    f"the control character U+{ord(character):04X}")
            raise SymgradError(f"The {what} has {kind} at column {column}; write the formula "
                               "on one line, without control characters.")
        if character == "#":  # Python would skip the rest as a comment, and it would be shown
            raise SymgradError(f"The {what} has a comment ('#') at column {column}; a formula "
                               "is one expression, nothing after it.")


def _check_nesting(text: str, what: str) -> None:
    depth = 0
    for column, character in enumerate(text, start=1):
        if character == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise SymgradError(f"The {what} nests parentheses more than {MAX_NESTING} deep "
                                   f"at column {column}.")
        elif character == ")":
            depth -= 1


def _reason(error: SyntaxError) -> str:
    message = (error.msg or "invalid syntax").rstrip(".")
    return message[0].lower() + message[1:]


class _Builder:
    """The checked tree, built into SymPy node by node."""

    def __init__(self, text: str, names, functions, what: str):
        self.text, self.names, self.functions, self.what = text, names, functions, what
        self.needs: list[tuple[str, sympy.Expr]] = []  # what the text needs to be defined

    def need(self, relation: str, u: sympy.Expr) -> None:
        """Record that the text is defined only where ``u relation 0``; a nonzero power
        u**p (p > 0) or product is nonzero where its bases are."""
        if relation == "!=":
            if u.is_Pow and u.exp.is_positive:
                return self.need("!=", u.base)
            if u.is_Mul:
                for factor in u.args:
                    self.need("!=", factor)
                return None
        self.needs.append((relation, u))
        return None

    def refuse(self, node: ast.AST, kind: str, hint: str = "", column: int | None = None):
        """Raise: the {what} has {kind} '{token}' at column {n}[; {hint}] (n: the node's
        first character, counted in characters, not the parser's UTF-8 bytes)."""
        token = ast.get_source_segment(self.text, node) or type(node).__name__
        if len(token) > 40:
            token = token[:37] + "..."
        if column is None:
            column = self.column(getattr(node, "col_offset", 0)) + 1
        raise SymgradError(f"The {self.what} has {kind} {quoted(token)} at column {column}"
                           f"{'; ' + hint if hint else ''}.")

    def build(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            value = self.build(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            return self.operation(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            self.refuse(node, "an attribute access", ONLY_FORMULAS)
        self.refuse(node, "something that is not part of a formula", ONLY_FORMULAS)

    def number(self, node: ast.Constant) -> sympy.Expr:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            self.refuse(node, "a value that is not a number", ONLY_FORMULAS)
        written = ast.get_source_segment(self.text, node)
        if written is None or len(written) > MAX_NUMBER_DIGITS:
            self.refuse(node, "a number too long", f"at most {MAX_NUMBER_DIGITS} characters")
        if "j" in written.lower():
            self.refuse(node, "an imaginary number", "values are real")
        exponent = re.search(r"[eE]([+-]?[\d_]+)", written)
        if exponent and abs(int(exponent.group(1).replace("_", ""))) > MAX_EXPONENT:
            self.refuse(node, "a number", f"its exponent is at most {MAX_EXPONENT} in size")
        try:
            return sympy.Rational(written.replace("_", ""))  # exactly as written: 0.1 is 1/10
        except (TypeError, ValueError):
            self.refuse(node, "a number that cannot be read")

    def name(self, node: ast.Name) -> sympy.Expr:
        if node.id in self.names:
            return self.names[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in self.functions:
            self.refuse(node, "a function without its argument")
        known = ", ".join(sorted(self.names)) or "none"
        self.refuse(node, "an unknown name",
                    f"names are {known}; functions {', '.join(sorted(self.functions))}")

    def column(self, offset: int) -> int:
        """The character index of the parser's UTF-8 byte ``offset`` in the text."""
        return len(self.text.encode("utf-8")[:offset].decode("utf-8", "ignore"))

    def operation(self, node: ast.BinOp) -> sympy.Expr:
        kind = type(node.op)
        if kind not in _OPERATORS:
            symbol = _SYMBOLS.get(kind, "?")
            after_left = self.column(node.left.end_col_offset or 0)
            found = self.text.find(symbol, after_left)
            self.refuse(node, f"the operator {symbol} in", ONLY_FORMULAS,
                        column=(found if found >= 0 else after_left) + 1)
        left, right = self.build(node.left), self.build(node.right)
        if kind is ast.Pow:
            return self.power(node, left, right)
        if kind is ast.Div and right == 0:
            self.refuse(node, "a division by 0")
        if kind is ast.Div:
            self.need("!=", right)
        return _OPERATORS[kind](left, right)

    def power(self, node: ast.BinOp, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if exponent.is_number and (not exponent.is_real or abs(exponent) > MAX_EXPONENT):
            self.refuse(node, "a power", f"a numeric exponent is at most {MAX_EXPONENT} in size")
        if base.is_number and exponent.is_number and base.is_Rational and \
                max(len(str(base.p)), len(str(base.q))) * abs(exponent) > 10 * MAX_NUMBER_DIGITS:
            self.refuse(node, "a power too large to write out")
        if base == 0 and exponent.is_number and exponent.is_negative:
            self.refuse(node, "a division by 0")
        if base.is_number and not exponent.is_number and base.is_positive is not True:
            self.refuse(node, "a power of a number that is not positive to a varying exponent",
                        "a**u is read as exp(u·log a), for a > 0")
        if not (exponent.is_Integer and exponent >= 0):  # (x**2 needs nothing; x**-1, x**0.5 do)
            self.need("!=" if exponent.is_Integer else ">=" if exponent.is_positive else ">",
                      base)
        return sympy.Pow(base, exponent)

    def call(self, node: ast.Call) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            self.refuse(node.func, "a call of something that is not a function name", ONLY_FORMULAS)
        name = node.func.id
        if name not in self.functions:
            self.refuse(node.func, "an unknown function",
                        f"functions are {', '.join(sorted(self.functions))}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            self.refuse(node, "a call with keyword or starred arguments")
        count, function = FUNCTIONS[name]
        if len(node.args) != count:
            self.refuse(node, f"{name} with {len(node.args)} arguments", f"it takes {count}")
        arguments = [self.build(a) for a in node.args]
        if name in _DOMAINS:
            self.need(_DOMAINS[name], arguments[0])
        try:
            return function(*arguments)
        except (OverflowError, MemoryError):  # (SymPy sizing up exp(exp(exp(exp(5)))))
            self.refuse(node, "a value too large to work with")
