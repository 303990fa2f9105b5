"""How symgrad's objects print: one method per type, as SymPy's printers do.

``LatexPrinter`` writes the notation of DESIGN.md; ``TextPrinter`` writes the
same in Unicode for a terminal; ``PlainPrinter`` writes the SymPy-parsable
plain-text names used in JSON (``w1``, ``a0``, ``dsigma(z1)``).
"""

from __future__ import annotations

import re

import mpmath
import sympy
from sympy.printing.latex import LatexPrinter as _SympyLatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symgrad.notation import MATRIX_ENTRY, Factors, L, MatrixChain, Terms
from symgrad.numeric.real import SAFE_DIGITS, exact_text

_SAFE_BITS = int(SAFE_DIGITS * 3.32)  # an integer this short has at most SAFE_DIGITS digits


def _exact_number(printer, expr, style: str, default):
    """A rational of any length (10^5000, 10^-400000): ``default()`` (SymPy's own form)
    while its digits are of ordinary length, else ``exact_text`` in ``style``, put in
    parentheses inside a larger expression when it is not a bare literal (10^5000 as a
    power's base). Python's str(int) would refuse it beyond 4,300 digits."""
    numerator, denominator = int(expr.numerator), int(expr.denominator)
    if max(abs(numerator).bit_length(), denominator.bit_length()) <= _SAFE_BITS:
        return default()
    text = exact_text(expr, style)
    if printer._print_level > 1 and not text.startswith("(") and not text.startswith("-("):
        return rf"\left({text}\right)" if style == "latex" else f"({text})"
    return text


class ReadableSums:
    """Sums read as written by hand: a_L - y, not -y + a_L; 1 + w σ'(z), the residual factor.

    A constant moves to the front only in a sum of products, so indices still read l + 1.
    """

    def _as_ordered_terms(self, expr, order=None):
        terms = list(super()._as_ordered_terms(expr, order))
        leads = len(terms) > 1 and terms[-1].is_Number and terms[-1] > 0
        if leads and not any(term.is_Atom or term.is_Indexed for term in terms[:-1]):
            terms = [terms[-1], *terms[:-1]]
        if terms and terms[0].could_extract_minus_sign():
            positive = next((t for t in terms if not t.could_extract_minus_sign()), None)
            if positive is not None:
                terms.remove(positive)
                terms.insert(0, positive)
        return terms


# -- LaTeX -------------------------------------------------------------------------


class LatexPrinter(ReadableSums, _SympyLatexPrinter):
    """LaTeX in the notation of DESIGN.md; ``output_layer`` names a_L (L or the depth)."""

    def __init__(self, output_layer: sympy.Expr = L):
        super().__init__({"mul_symbol": None})
        self.output_layer = output_layer

    def _print_Rational(self, expr):  # Integer too: every exact number, however long
        return _exact_number(self, expr, "latex", lambda: super(LatexPrinter, self)._print_Rational(expr))

    def _print_int(self, expr):
        return _exact_number(self, sympy.Integer(expr), "latex", lambda: str(expr))

    def _subscript(self, name: str, index) -> str:
        return f"{name}_{{{self._print(index)}}}"

    def _print_sigma(self, expr):
        return rf"\sigma\left({self._print(expr.args[0])}\right)"

    def _print_dsigma(self, expr):
        return rf"\sigma'\left({self._print(expr.args[0])}\right)"

    def _print_delta(self, expr):
        return self._subscript(r"\delta", expr.args[0])

    def _partial(self, variable: str) -> str:
        return rf"\frac{{\partial C}}{{\partial {variable}}}"

    def _print_grad_w(self, expr):
        return self._partial(self._subscript("w", expr.args[0]))

    def _print_grad_b(self, expr):
        return self._partial(self._subscript("b", expr.args[0]))

    def _print_grad_a(self, expr):
        return self._partial(self._subscript("a", expr.args[0]))

    def _print_grad_w_total(self, expr):
        return self._partial("w")

    def _print_sup_abs_dsigma(self, expr):
        return r"\sup_z \left|\sigma'(z)\right|"

    def _print_log10(self, expr):
        return rf"\log_{{10}} {self.parenthesize(expr.args[0], 1000)}"

    def _print_Symbol(self, expr, style="plain"):
        if expr.name == "dC_daL":
            return self._partial(self._subscript("a", self.output_layer))
        match = MATRIX_ENTRY.match(expr.name)
        if match:
            name, layer, *indices = match.groups()
            return self._unit(name, layer, *indices)
        if re.fullmatch(r"y_\d+", expr.name):
            return f"y_{{{expr.name[2:]}}}"
        return super()._print_Symbol(expr, style)

    def _unit(self, name: str, layer, *indices) -> str:
        """w^{l}_{jk}: the layer up, the units down (with a comma once one has two digits)."""
        indices = [str(i) for i in indices if i is not None]
        joiner = "," if any(len(i) > 1 for i in indices) else ""
        layer = layer if isinstance(layer, str) else self._print(layer)
        return f"{name}^{{{layer}}}_{{{joiner.join(indices)}}}"

    def _print_delta_unit(self, expr):
        return self._unit(r"\delta", *expr.args)

    def _print_grad_w_entry(self, expr):
        return self._partial(self._unit("w", *expr.args))

    def _print_grad_b_entry(self, expr):
        return self._partial(self._unit("b", *expr.args))

    def _print_grad_a_entry(self, expr):
        return self._partial(self._unit("a", *expr.args))

    def _print_WeightMatrix(self, expr):
        return f"W^{{{self._print(expr.args[0])}}}"

    def _print_DerivativeMatrix(self, expr):
        return self._subscript("D", expr.args[0])

    def _print_DeltaVector(self, expr):
        return rf"\delta^{{{self._print(expr.args[0])}}}"

    def _print_ActivationVector(self, expr):
        return f"a^{{{self._print(expr.args[0])}}}"

    def _print_grad_a_vector(self, expr):
        return self._partial(f"a^{{{self._print(expr.args[0])}}}")

    def _print_Norm(self, expr):
        return rf"\left\|{self._print(expr.args[0])}\right\|"

    def _print_GradWeightMatrix(self, expr):
        return self._partial(f"W^{{{self._print(expr.args[0])}}}")

    def _print_Transposed(self, expr):
        return rf"\left({self._print(expr.args[0])}\right)^{{\top}}"

    def _print_CostGradient(self, expr):
        return rf"\nabla_{{a^{{{self._print(expr.args[0])}}}}} C"

    def _print_InputOutputJacobian(self, expr):
        return rf"\frac{{\partial a^{{{self._print(expr.args[0])}}}}}{{\partial a^{{0}}}}"

    def _print_MatrixEllipsis(self, expr):
        return r"\cdots"

    def _print_MatrixChain(self, expr):
        return r"\,".join(self._print(factor) for factor in expr.args)

    def _print_Factors(self, expr):
        return r"\,".join(factor_chunks(self, expr))

    def _print_Piecewise(self, expr):
        condition = step_condition(expr)
        if condition is not None:  # 1 where the condition holds, else 0
            return rf"\mathbb{{1}}\left[{self._print(condition)}\right]"
        return super()._print_Piecewise(expr)

    def _print_Terms(self, expr):
        return " + ".join(self._print(term) for term in expr.args)


def step_condition(expr: sympy.Piecewise):
    """For a 0/1 step (relu's derivative) the condition under which it is 1, else None."""
    if len(expr.args) != 2 or expr.args[1][1] is not sympy.true:
        return None
    (first, condition), (second, _) = expr.args
    if (first, second) == (0, 1):
        return sympy.Not(condition)
    if (first, second) == (1, 0):
        return condition
    return None


def factor_chunks(printer, expr: Factors) -> list[str]:
    """Each factor of ``expr`` printed alone, in order, with group brackets attached.

    Equation renderers break long products between chunks. In text, groups
    are set apart by a middle dot: (a3 - y) · (w2 w3) · (...).
    """
    is_latex = isinstance(printer, LatexPrinter)
    opening, closing = (r"\bigl(", r"\bigr)") if is_latex else ("(", ")")
    chunks = []
    for number, group in enumerate(expr.groups):
        printed = [_factor(printer, f) for f in group]
        if len(printed) > 1 and len(expr.groups) > 1:
            printed[0] = opening + printed[0]
            printed[-1] = printed[-1] + closing
        if number and not is_latex:
            printed[0] = "· " + printed[0]
        chunks += printed
    return chunks


def _factor(printer, factor: sympy.Expr) -> str:
    text = printer._print(factor)
    needs_parentheses = isinstance(factor, (sympy.Add, Terms)) or (
        isinstance(factor, sympy.Mul) and factor.could_extract_minus_sign()
    )
    if needs_parentheses:
        return rf"\left({text}\right)" if isinstance(printer, LatexPrinter) else f"({text})"
    return text


def latex(expr, output_layer=L) -> str:
    return LatexPrinter(output_layer).doprint(expr)


# -- Unicode text --------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _subscript(digits: str) -> str:
    return digits.translate(_SUBSCRIPTS)


class TextPrinter(ReadableSums, StrPrinter):
    """Readable Unicode: σ'(z1), δ_(l+1), ∏[k=l+1..L] w_k, ∂C/∂a_10."""

    printmethod = "_symgrad_text"  # so that Indexed's own str method does not win

    def __init__(self, output_layer: sympy.Expr = L):
        super().__init__()
        self.output_layer = output_layer

    def _print_Integer(self, expr):
        return _exact_number(self, expr, "text", lambda: super(TextPrinter, self)._print_Integer(expr))

    def _print_Rational(self, expr):
        return _exact_number(self, expr, "text", lambda: super(TextPrinter, self)._print_Rational(expr))

    def _print_int(self, expr):
        return _exact_number(self, sympy.Integer(expr), "text", lambda: str(expr))

    def _index(self, index) -> str:
        text = self._print(index).replace(" ", "")
        return text if re.fullmatch(r"\w+", text) else f"({text})"

    def _print_Indexed(self, expr):
        return f"{expr.base}_{self._index(expr.indices[0])}"

    def _print_sigma(self, expr):
        return f"σ({self._print(expr.args[0])})"

    def _print_dsigma(self, expr):
        return f"σ'({self._print(expr.args[0])})"

    def _print_delta(self, expr):
        return f"δ_{self._index(expr.args[0])}"

    def _print_grad_w(self, expr):
        return f"∂C/∂w_{self._index(expr.args[0])}"

    def _print_grad_b(self, expr):
        return f"∂C/∂b_{self._index(expr.args[0])}"

    def _print_grad_a(self, expr):
        return f"∂C/∂a_{self._index(expr.args[0])}"

    def _print_grad_w_total(self, expr):
        return "∂C/∂w"

    def _print_sup_abs_dsigma(self, expr):
        return "sup|σ'|"

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_log10(self, expr):
        return f"log10({self._print(expr.args[0])})"

    def _print_Symbol(self, expr):
        if expr.name == "dC_daL":
            return f"∂C/∂a_{self._index(self.output_layer)}"
        match = MATRIX_ENTRY.match(expr.name)
        if match:
            name, layer, *indices = match.groups()
            return self._unit(name, layer, *indices)
        if re.fullmatch(r"y_\d+", expr.name):
            return "y" + _subscript(expr.name[2:])
        return super()._print_Symbol(expr)

    def _unit(self, name: str, layer, *indices) -> str:
        """w²₁₃: the layer up, the units down (with a comma once one has two digits)."""
        indices = [str(i) for i in indices if i is not None]
        joiner = "," if any(len(i) > 1 for i in indices) else ""
        return name + self._superscript(layer) + joiner.join(_subscript(i) for i in indices)

    def _superscript(self, value) -> str:
        text = (value if isinstance(value, str) else self._print(value)).replace(" ", "")
        if text.isdigit():
            return text.translate(_SUPERSCRIPTS)
        return f"^{text}" if text.isalnum() else f"^({text})"

    def _print_delta_unit(self, expr):
        return self._unit("δ", *expr.args)

    def _print_grad_w_entry(self, expr):
        return "∂C/∂" + self._unit("w", *expr.args)

    def _print_grad_b_entry(self, expr):
        return "∂C/∂" + self._unit("b", *expr.args)

    def _print_grad_a_entry(self, expr):
        return "∂C/∂" + self._unit("a", *expr.args)

    def _print_WeightMatrix(self, expr):
        return "W" + self._superscript(expr.args[0])

    def _print_DerivativeMatrix(self, expr):
        return f"D_{self._index(expr.args[0])}"

    def _print_DeltaVector(self, expr):
        return "δ" + self._superscript(expr.args[0])

    def _print_ActivationVector(self, expr):
        return "a" + self._superscript(expr.args[0])

    def _print_grad_a_vector(self, expr):
        return "∂C/∂a" + self._superscript(expr.args[0])

    def _print_Norm(self, expr):
        return f"‖{self._print(expr.args[0])}‖"

    def _print_GradWeightMatrix(self, expr):
        return "∂C/∂W" + self._superscript(expr.args[0])

    def _print_Transposed(self, expr):
        return f"({self._print(expr.args[0])})ᵀ"

    def _print_CostGradient(self, expr):
        return f"∇_(a{self._superscript(expr.args[0])})C"

    def _print_InputOutputJacobian(self, expr):
        return f"∂a{self._superscript(expr.args[0])}/∂a⁰"

    def _print_MatrixEllipsis(self, expr):
        return "⋯"

    def _print_MatrixChain(self, expr):
        return " ".join(self._print(factor) for factor in expr.args)

    def _print_MatrixBase(self, expr):
        """A column vector as (v1, v2, ...)ᵀ; a matrix row by row."""
        if expr.cols == 1:
            return "(" + ", ".join(self._print(v) for v in expr) + ")ᵀ"
        return "[" + "; ".join(", ".join(self._print(v) for v in expr.row(i))
                               for i in range(expr.rows)) + "]"

    def _print_Mul(self, expr):
        return super()._print_Mul(expr).replace("*", "·")

    def _print_Pow(self, expr, rational=False):
        exponent = expr.exp
        if exponent.is_Integer and exponent > 0:
            return self.parenthesize(expr.base, 60) + str(exponent).translate(_SUPERSCRIPTS)
        return super()._print_Pow(expr, rational).replace("**", "^")

    def _print_Product(self, expr):
        term, (index, first, last) = expr.function, expr.limits[0]
        return f"∏[{index}={self._bound(first)}..{self._bound(last)}] {self._factor(term)}"

    def _print_Sum(self, expr):
        term, (index, first, last) = expr.function, expr.limits[0]
        return f"Σ[{index}={self._bound(first)}..{self._bound(last)}] {self._factor(term)}"

    def _bound(self, value):
        return self._print(value).replace(" ", "")

    def _factor(self, term):
        return _factor(self, term)

    def _print_Factors(self, expr):
        return " ".join(factor_chunks(self, expr))

    def _print_Terms(self, expr):
        return " + ".join(self._print(term) for term in expr.args)

    def _print_Piecewise(self, expr):
        condition = step_condition(expr)
        if condition is not None:
            return f"[{self._print(condition)}]"
        pieces = [f"{self._print(v)} if {self._print(c)}" for v, c in expr.args[:-1]]
        return "(" + "; ".join(pieces + [f"{self._print(expr.args[-1][0])} otherwise"]) + ")"


def text(expr, output_layer=L) -> str:
    return TextPrinter(output_layer).doprint(expr)


# -- plain, SymPy-parsable ------------------------------------------------------------


PLAIN_MUL_UP_TO = 200  # factors; a longer product prints in the order written
MAX_CACHED_FACTORS = 500_000  # printed factors of long products kept for the next one
_FACTOR_TEXTS: dict = {}


def _plain_defaults() -> dict:
    if not _PLAIN_DEFAULTS:
        _PLAIN_DEFAULTS.update(PlainPrinter()._settings)
    return _PLAIN_DEFAULTS


_PLAIN_DEFAULTS: dict = {}


def _multiplied_out(expr):
    """``expr`` with every Factors a Mul and every Terms an Add, however deeply nested, so
    the printer's parentheses follow the value (a Terms inside a product is a sum)."""
    if isinstance(expr, Factors):
        return sympy.Mul(*[_multiplied_out(f) for group in expr.groups for f in group])
    if isinstance(expr, Terms):
        return sympy.Add(*[_multiplied_out(t) for t in expr.args])
    if not isinstance(expr, sympy.Basic) or not expr.args or isinstance(expr, MatrixChain):
        return expr
    args = [_multiplied_out(a) for a in expr.args]
    if all(new is old for new, old in zip(args, expr.args)):
        return expr
    return expr.func(*args)


class PlainPrinter(StrPrinter):
    """SymPy's own str form; layer quantities as delta1, grad_w1; Factors multiplied out.

    Every string parses back (``sympy.parse_expr``, the names mapped to symbols and
    functions) to the value printed: nested Factors and Terms are multiplied out first.
    """

    def doprint(self, expr):
        if not isinstance(expr, (Factors, Terms)):
            expr = _multiplied_out(expr)
        return super().doprint(expr)

    def _print_Integer(self, expr):  # however long: 10**5000, read back exactly by SymPy
        return _exact_number(self, expr, "plain", lambda: super(PlainPrinter, self)._print_Integer(expr))

    def _print_Rational(self, expr):
        return _exact_number(self, expr, "plain", lambda: super(PlainPrinter, self)._print_Rational(expr))

    def _print_int(self, expr):
        return _exact_number(self, sympy.Integer(expr), "plain", lambda: str(expr))

    def _layer_name(self, name, expr):
        index = expr.args[0]
        return f"{name}{index}" if index.is_Integer else f"{name}({self._print(index)})"

    def _print_delta(self, expr):
        return self._layer_name("delta", expr)

    def _print_grad_w(self, expr):
        return self._layer_name("grad_w", expr)

    def _print_grad_b(self, expr):
        return self._layer_name("grad_b", expr)

    def _print_grad_a(self, expr):
        return self._layer_name("grad_a", expr)

    def _print_Factors(self, expr):
        """SymPy's product; a long one (a deep chain's front layer has 20,000 factors, whose
        Mul takes seconds to sort) in the order written, joined by *, in linear time."""
        factors = [_multiplied_out(f) for group in expr.groups for f in group]
        if len(factors) <= PLAIN_MUL_UP_TO:
            return self._print(sympy.Mul(*factors))
        return "*".join(self._long_product_factor(f) for f in factors)

    def _long_product_factor(self, factor) -> str:
        """One factor of a long product; the same factors recur in every layer written
        out and in the input gradient, so each is printed once (default settings only)."""
        cache = _FACTOR_TEXTS if self._settings == _plain_defaults() else {}
        text = cache.get(factor)
        if text is None:
            if len(cache) >= MAX_CACHED_FACTORS:
                cache.clear()
            text = cache[factor] = self.parenthesize(factor, PRECEDENCE["Mul"], strict=True)
        return text

    def _print_Terms(self, expr):
        return self._print(_multiplied_out(expr))

    def _print_Float(self, expr):  # enough digits to read back the same binary value
        if expr._prec < 5:
            return super()._print_Float(expr)
        text = mpmath.libmp.to_str(expr._mpf_, mpmath.libmp.repr_dps(expr._prec), strip_zeros=True)
        return ("0" + text if text.startswith(".") else text).removeprefix("+").replace("-.", "-0.")

    def _print_FiniteSet(self, expr):  # {1, 2} would read back as a Python set
        return f"FiniteSet({', '.join(self._print(a) for a in expr.args)})"

    def _joined(self, name: str, expr) -> str:
        """W_2, delta_2_1 at numbers; W(l + 1), D(L) at a symbolic index (W_l + 1 would
        read back as a sum)."""
        if all(a.is_Integer for a in expr.args):
            return "_".join([name, *(self._print(a) for a in expr.args)])
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_delta_unit(self, expr):
        return self._joined("delta", expr)

    def _print_grad_w_entry(self, expr):
        return self._joined("grad_w", expr)

    def _print_grad_b_entry(self, expr):
        return self._joined("grad_b", expr)

    def _print_grad_a_entry(self, expr):
        return self._joined("grad_a", expr)

    def _print_WeightMatrix(self, expr):
        return self._joined("W", expr)

    def _print_DerivativeMatrix(self, expr):
        return self._joined("D", expr)

    def _print_DeltaVector(self, expr):
        return self._joined("delta", expr)

    def _print_ActivationVector(self, expr):
        return self._joined("a", expr)

    def _print_grad_a_vector(self, expr):
        return self._joined("grad_a", expr)

    def _print_Norm(self, expr):
        return f"norm({self._print(expr.args[0])})"

    def _print_GradWeightMatrix(self, expr):
        return self._joined("grad_W", expr)

    def _print_CostGradient(self, expr):
        return self._joined("grad_a_C", expr)

    def _print_InputOutputJacobian(self, expr):
        return self._joined("jacobian", expr)

    def _print_Transposed(self, expr):
        return f"transpose({self._print(expr.args[0])})"

    def _print_MatrixEllipsis(self, expr):
        return expr.name  # matrix_ellipsis: "..." is no SymPy expression

    def _print_MatrixChain(self, expr):
        return "*".join(self._print(factor) for factor in expr.args)


def plain(expr) -> str:
    return PlainPrinter().doprint(expr)
