"""How symgrad's objects print: one method per type, as SymPy's printers do.

``LatexPrinter`` writes the notation of DESIGN.md; ``TextPrinter`` writes the
same in Unicode for a terminal; ``PlainPrinter`` writes the SymPy-parsable
plain-text names used in JSON (``w1``, ``a0``, ``dsigma(z1)``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

import mpmath
import sympy
from sympy.printing.latex import LatexPrinter as _SympyLatexPrinter
from sympy.printing.latex import greek_letters_set
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from symgrad.derive.chain import written_sizes
from symgrad.notation import (
    GRAM_NAMES,
    MATRIX_ENTRY,
    Factors,
    L,
    MatrixChain,
    TermFactors,
    Terms,
    grad_of_name,
)
from symgrad.numeric.real import SAFE_DIGITS, exact_text
from symgrad.render.number_style import float_text, styled

_SAFE_BITS = int(SAFE_DIGITS * 3.32)  # an integer this short has at most SAFE_DIGITS digits
DIGITS_PER_BREAK = 10  # of a long number's digits, between two places a line may break


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
    """LaTeX in the notation of DESIGN.md; ``output_layer`` names a_L (L or the depth).

    ``line_breaks`` (LaTeX documents, whose prose and table cells are paragraphs): an
    interval or a tuple of plain numbers may break after each comma, as a line of text
    does; Markdown's math (MathJax, KaTeX) gets no such hint. ``thin_space`` goes between
    the factors of a product: ``\\,``, or in Markdown the same 3 mu as ``\\mkern3mu`` (KaTeX
    expands each ``\\,`` as a macro and gives up on a deep chain's product after a
    thousand)."""

    def __init__(self, output_layer: sympy.Expr = L, line_breaks: bool = False,
                 thin_space: str = r"\,"):
        super().__init__({"mul_symbol": None})
        self.output_layer = output_layer
        self.line_breaks = line_breaks
        self.thin_space = thin_space

    def _print_Interval(self, interval):
        if not self.line_breaks or interval.start == interval.end:
            return super()._print_Interval(interval)
        left = "(" if interval.left_open else "["
        right = ")" if interval.right_open else "]"
        return f"{left}{self._print(interval.start)},\\allowbreak {self._print(interval.end)}{right}"

    def _print_Tuple(self, expr):
        if not self.line_breaks or len(expr) < 2 or not all(e.is_Number for e in expr):
            return super()._print_Tuple(expr)
        return "(" + ",\\allowbreak\\ ".join(self._print(e) for e in expr) + ")"

    def _print_Rational(self, expr):  # Integer too: every exact number, however long
        return _exact_number(self, expr, "latex", lambda: super(LatexPrinter, self)._print_Rational(expr))

    def _print_Float(self, expr):
        r"""In the one number style (number_style): 9.53674 \cdot 10^{-7}, 0.196612."""
        found = styled(float_text(expr)) if expr.is_finite else None
        text = super()._print_Float(expr) if found is None else found.latex()
        return breakable_digits(text) if self.line_breaks else text

    def _print_int(self, expr):
        return _exact_number(self, sympy.Integer(expr), "latex", lambda: str(expr))

    def _subscript(self, name: str, index) -> str:
        return f"{name}_{{{self._print(index)}}}"

    def _print_sigma(self, expr, exp=None):  # (exp: SymPy's power of a function, σ(z)²)
        text = rf"\sigma\left({self._print(expr.args[0])}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _print_dsigma(self, expr, exp=None):
        text = rf"\sigma'\left({self._print(expr.args[0])}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _print_delta(self, expr):
        return self._subscript(r"\delta", expr.args[0])

    def _partial(self, variable: str) -> str:
        if getattr(self, "_slashed", False):
            return rf"\partial C/\partial {variable}"
        return rf"\frac{{\partial C}}{{\partial {variable}}}"

    def _print_slashed_ratio(self, expr):
        """|∂C/∂a_0| / |∂C/∂a_10|: one fraction, the derivatives inside with a slash."""
        self._slashed, before = True, getattr(self, "_slashed", False)
        try:
            top, bottom = (self._print(argument) for argument in expr.args)
        finally:
            self._slashed = before
        return f"{top} / {bottom}"

    def _print_grad_w(self, expr):
        return self._partial(self._subscript("w", expr.args[0]))

    def _print_grad_b(self, expr):
        return self._partial(self._subscript("b", expr.args[0]))

    def _print_grad_a(self, expr):
        return self._partial(self._subscript("a", expr.args[0]))

    def _print_grad_w_total(self, expr):
        return self._partial("w")

    def _print_grad_of(self, expr):
        return self._partial(self._print(expr.args[0]))

    def _print_local_derivative(self, expr):
        top, bottom = (self._print(argument) for argument in expr.args)
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"

    def _print_matrix_norm(self, expr):
        return rf"\left\lVert {self._print(expr.args[0])} \right\rVert"

    def _print_least_singular(self, expr):
        return rf"\sigma_{{\min}}\left({self._print(expr.args[0])}\right)"

    def _print_sup_abs_dsigma(self, expr):
        return r"\sup_z \left|\sigma'(z)\right|"

    def _print_sup_dsigma(self, expr):
        return r"\sup_z \sigma'(z)"

    def _print_inf_dsigma(self, expr):
        return r"\inf_z \sigma'(z)"

    def _print_slope(self, expr):
        return r"\sigma'"

    def _print_ellipsis(self, expr):
        return r"\cdots"

    def _print_weight_variance(self, expr):
        return r"\sigma_w^2"

    def _print_bias_variance(self, expr):
        return r"\sigma_b^2"

    def _print_fixed_variance(self, expr):
        return r"q^{*}"

    def _print_gain_chi(self, expr):
        return r"\chi_1"

    def _print_Expectation(self, expr, exp=None):
        # (exp: SymPy's Pow hands a function's power to its printer, as for sin²x)
        printed = rf"\mathbb{{E}}\left[{self._print(expr.args[0])}\right]"
        return printed if exp is None else rf"\left({printed}\right)^{{{exp}}}"

    def _print_Normal(self, expr):
        return rf"\mathcal{{N}}\left({', '.join(self._print(a) for a in expr.args)}\right)"

    def _print_MapsTo(self, expr):
        return rf"{self._print(expr.args[0])} \mapsto {self._print(expr.args[1])}"

    def _print_gram(self, expr):
        return GRAM_NAMES[expr.name][1]

    def _print_STransform(self, expr, exp=None):
        printed = rf"S_{{{self._print(expr.args[0])}}}\left({self._print(expr.args[1])}\right)"
        return printed if exp is None else rf"{printed}^{{{exp}}}"

    def _print_Distributed(self, expr):
        return rf"{self._print(expr.args[0])} \sim {self._print(expr.args[1])}"

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
        if re.fullmatch(r"[a-z]{3,}", expr.name) and expr.name not in greek_letters_set:
            return rf"\text{{{expr.name}}}"  # a word (claim, true), upright: not c·l·a·i·m
        return super()._print_Symbol(expr, style)

    def _unit(self, name: str, layer, *indices) -> str:
        """w^{l}_{jk}: the layer up, the units down (with a comma once one has two digits)."""
        indices = [str(i) for i in indices if i is not None]
        joiner = "," if any(len(i) > 1 for i in indices) else ""
        layer = layer if isinstance(layer, str) else self._print(layer)
        return f"{name}^{{{layer}}}_{{{joiner.join(indices)}}}"

    def _print_delta_unit(self, expr):
        return self._unit(r"\delta", *expr.args)

    def _print_weight_entry(self, expr):
        return self._unit("w", *expr.args)

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

    def _print_Norm(self, expr, exp=None):
        which = rf"_{{{self._print(expr.args[1])}}}" if len(expr.args) > 1 else ""
        printed = rf"\left\|{self._print(expr.args[0])}\right\|{which}"
        return printed if exp is None else rf"{printed}^{{{exp}}}"

    def _print_grad_b_vector(self, expr):
        return self._partial(f"b^{{{self._print(expr.args[0])}}}")

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
        return self.thin_space.join(self._print(factor) for factor in expr.args)

    def _print_Factors(self, expr):
        return self.thin_space.join(factor_chunks(self, expr))

    def _print_Piecewise(self, expr):
        condition = step_condition(expr)
        if condition is not None:  # 1 where the condition holds, else 0
            # (bold 1: amssymb's \mathbb has no digits, and its 1 is the wrong glyph)
            return rf"\mathbf{{1}}\left[{self._print(condition)}\right]"
        return super()._print_Piecewise(expr)

    def _print_Terms(self, expr):
        return " + ".join(self._print(term) for term in expr.args)

    def _print_Product(self, expr):
        """SymPy brackets a product's factor only when it is an ``Add``: a sum kept in
        order (``Terms``, 1 + w_k σ'(z_k)) is bracketed too."""
        if not isinstance(expr.function, Terms):
            return super()._print_Product(expr)
        written = super()._print_Product(sympy.Product(_FACTOR, *expr.limits))
        return written.replace(self._print(_FACTOR), rf"\left({self._print(expr.function)}\right)")


_FACTOR = sympy.Symbol("FACTOR")  # (stands for a product's factor while SymPy lays it out)
_LONG_DIGITS = re.compile(rf"\d{{{2 * DIGITS_PER_BREAK},}}")


def breakable_digits(text: str) -> str:
    """Runs of many digits (a value to 30 digits) with a permitted line break after every
    DIGITS_PER_BREAK: \\allowbreak, invisible unless a line of prose or a table's cell
    could not end anywhere else."""
    def breakable(run: re.Match) -> str:
        digits = run.group()
        return r"\allowbreak ".join(digits[i:i + DIGITS_PER_BREAK]
                                    for i in range(0, len(digits), DIGITS_PER_BREAK))
    return _LONG_DIGITS.sub(breakable, text)


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
    """Each factor of ``expr`` printed alone, in order, with group brackets attached (in
    text, groups after the first led by a middle dot: (a3 - y) · (w2 w3) · (...)): the
    product as ``_print_Factors`` joins it. ``symgrad.render.breaking`` breaks long
    products between the same factors."""
    opening, closing = group_brackets(printer)
    chunks = []
    groups = factor_groups(printer, expr)
    for number, printed in enumerate(groups):
        if len(printed) > 1 and len(groups) > 1:
            printed = [opening + printed[0], *printed[1:-1], printed[-1] + closing]
        if number and not isinstance(printer, LatexPrinter):
            printed = ["· " + printed[0], *printed[1:]]
        chunks += printed
    return chunks


def group_brackets(printer) -> tuple[str, str]:
    """The brackets around a group of several factors in a product of several groups."""
    return (r"\bigl(", r"\bigr)") if isinstance(printer, LatexPrinter) else ("(", ")")


def factor_groups(printer, expr: Factors) -> list[list[str]]:
    """Each group of ``expr``'s factors, each factor printed alone and parenthesized as a
    factor, in order. Each factor is printed through the printer's ``FactorTexts`` (the
    20,000 factors of a deep chain's product are a few shapes' texts with the layer filled
    in), and counted to ``reporting``."""
    texts, level = factor_texts(printer), printer._print_level
    print_one = functools.partial(_factor_uncached, printer)
    groups = []
    for group in expr.groups:
        groups.append([texts.text(f, print_one, level) for f in group])
        if not isinstance(expr, TermFactors):
            count_rendered(len(group))
    return groups


def _factor(printer, factor: sympy.Expr) -> str:
    """One factor, parenthesized where a product needs it: remembered per printer."""
    return factor_texts(printer).text(factor, functools.partial(_factor_uncached, printer),
                                      printer._print_level)


def _factor_uncached(printer, factor: sympy.Expr) -> str:
    text = printer._print(factor)
    needs_parentheses = isinstance(factor, (sympy.Add, Terms)) or (
        isinstance(factor, sympy.Mul) and factor.could_extract_minus_sign()
    )
    if needs_parentheses:
        return rf"\left({text}\right)" if isinstance(printer, LatexPrinter) else f"({text})"
    return text


def factor_texts(printer) -> FactorTexts:
    """The printer's own ``FactorTexts`` (what a factor prints as depends on the printer's
    settings and on a_L's name, so no two printers share one)."""
    texts = printer.__dict__.get("_symgrad_factor_texts")
    if texts is None:
        texts = printer._symgrad_factor_texts = FactorTexts()
    return texts


# -- the factors of long products -----------------------------------------------------
# A deep chain's products hold tens of thousands of factors: w_k, σ'(z_k), its concrete
# form a_k(1 - a_k), ..., met again in every product written out (each layer's δ in
# three forms, ∂C/∂w_1, ∂C/∂a_0). SymPy's printer takes 10-150 µs on each. Factors that
# differ only by their layer index k print the same but for k, so each such shape is
# printed once, at a stand-in index, and k is filled in; every distinct factor's text is
# kept as well.

_LAYER_SYMBOL = re.compile(r"([wbza])(\d+)")  # w12, a3: a layer quantity at a concrete layer
# Two layer indices far beyond any chain's depth, whose digits no other number in a
# factor is likely to contain; a shape whose texts at the two do not agree with the
# factor's own text is never filled in.
_STAND_INS = ("7301928465", "8412039576")
MAX_CACHED_FACTORS = 500_000  # distinct factors' texts kept (shapes are always kept)
PRINT_PROGRESS_STEP = 1_000  # factors printed between two reports to ``reporting``


def _shape(expr, indices: set):
    """``expr`` as a hashable tree with every layer symbol's index taken out (collected
    in ``indices``): w3 a3 and w7 a7 have one shape, w3 a4 has its own."""
    if type(expr) is sympy.Symbol:
        match = _LAYER_SYMBOL.fullmatch(expr.name)
        if match is None:
            return expr
        indices.add(match.group(2))
        assumptions = getattr(expr, "_assumptions0", None)  # (SymPy's own, hashable)
        if assumptions is None:
            assumptions = tuple(sorted(expr.assumptions0.items()))
        return (_LAYER_SYMBOL, match.group(1), assumptions)
    if not isinstance(expr, sympy.Basic):
        return (type(expr), expr)
    args = expr.args
    if not args:  # Float(2.0) and 2 hash alike; the type and the precision keep them apart
        return (type(expr), expr, getattr(expr, "_prec", None))
    return (type(expr), *[_shape(a, indices) for a in args])


def _at_index(expr, index: str):
    """``expr`` with every layer symbol moved to layer ``index`` (same assumptions)."""
    rule = {}
    for symbol in expr.free_symbols:
        if type(symbol) is sympy.Symbol:
            match = _LAYER_SYMBOL.fullmatch(symbol.name)
            if match is not None:
                rule[symbol] = sympy.Symbol(match.group(1) + index, **symbol.assumptions0)
    return expr.xreplace(rule)


class FactorTexts:
    """The texts of one printer's factors: ``text(factor, print_one, level)`` is
    ``print_one(factor)``, each distinct factor printed once and each shape (``_shape``)
    of factor with one layer index printed once.

    A shape's text is taken at two stand-in indices and checked against the first
    factor of that shape printed directly: only if both, with the index filled in,
    give that text exactly is the shape filled in for the others; otherwise each of its
    factors is printed itself. ``level`` is the printer's nesting level, on which a long
    number's parentheses depend, so it is part of what is remembered.
    """

    def __init__(self):
        self.texts: dict = {}
        self.shapes: dict = {}

    def text(self, factor, print_one, level: int = 0) -> str:
        key = (level, factor)
        text = self.texts.get(key)
        if text is None:
            if len(self.texts) >= MAX_CACHED_FACTORS:
                self.texts.clear()
            text = self.texts[key] = self._printed(factor, print_one, level)
        return text

    def _printed(self, factor, print_one, level: int) -> str:
        indices: set = set()
        shape = (level, _shape(factor, indices))
        if len(indices) != 1:
            return print_one(factor)
        (index,) = indices
        template = self.shapes.get(shape, False)
        if template is None:  # a shape that does not print the same at every index
            return print_one(factor)
        if template is not False:
            return template.replace(_STAND_INS[0], index)
        text = print_one(factor)
        first, second = (print_one(_at_index(factor, mark)) for mark in _STAND_INS)
        agrees = (first.replace(_STAND_INS[0], index) == text == second.replace(_STAND_INS[1], index)
                  and _STAND_INS[1] not in first and _STAND_INS[0] not in second)
        self.shapes[shape] = first if agrees else None
        return text


_PRINTED: ContextVar = ContextVar("symgrad_printed_factors", default=None)


@contextmanager
def reporting(progress: Callable[[int], None] | None):
    """Within it, the factors of products printed (by every printer here), and the layers
    of a streamed JSON list written, are reported:
    ``progress(n)``, n more printed, every PRINT_PROGRESS_STEP or so and at the end.
    ``print_work`` counts them in advance."""
    if progress is None:
        yield
        return
    tally = [0]

    def count(n: int) -> None:
        tally[0] += n
        if tally[0] >= PRINT_PROGRESS_STEP:
            progress(tally[0])
            tally[0] = 0

    token = _PRINTED.set(count)
    try:
        yield
    finally:
        _PRINTED.reset(token)
        if tally[0]:
            progress(tally[0])


@contextmanager
def uncounted():
    """Within it nothing is reported to ``reporting``: the formulas of sentences, which
    ``print_work`` does not plan for, are printed outside the count."""
    token = _PRINTED.set(None)
    try:
        yield
    finally:
        _PRINTED.reset(token)


def count_rendered(n: int) -> None:
    """Tell ``reporting`` that n more units of rendering are done (factors printed, or the
    layers of a streamed evaluation written)."""
    count = _PRINTED.get()
    if count is not None and n:
        count(n)


def print_work(result, fmt: str) -> int:
    """How many factors of products the renderer of ``fmt`` prints for ``result``: what
    ``reporting`` counts, read off the layout it prints (the document's rows, or the
    strings of the JSON)."""
    if fmt == "json":
        from symgrad.render.json import printed_expressions

        return sum(_plain_size(expr) for expr in printed_expressions(result))
    from symgrad.render.document import document

    return sum(_printed_size(side) for section in document(result).sections
               for row in section.rows for side in row.sides)


def planned_print_work(depth: int, layers, layer, tied: bool, fmt: str) -> int:
    """``print_work`` of a chain's derivation before it is derived, from the sizes of the
    products it writes out: every form a product may print in counted (the cancelled one
    too, which only some activations and costs have), the equations' few factors not."""
    sizes, inputs = written_sizes(depth, layers, layer, tied)
    if not sizes:
        return 0
    if fmt == "json":  # each layer's δ concrete and abstract, ∂C/∂w concrete; ∂C/∂a_0 twice
        return sum(3 * size + 1 for size in sizes) + 2 * inputs
    # δ in three forms; the front layer's ∂C/∂w in two; ∂C/∂a_0 in three; a tied chain's
    # total over every layer, abstract and concrete
    totals = 2 * sum(size + 1 for size in sizes) if tied and len(sizes) == depth else 0
    return 3 * sum(sizes) + 2 * (sizes[0] + 1) + 3 * inputs + totals


def _printed_size(side) -> int:
    """Factors ``side_chunks`` prints of one side of an equation."""
    if isinstance(side, Factors):
        return sum(len(group) for group in side.groups)
    if not isinstance(side, sympy.Basic):
        return 0
    return sum(_printed_size(arg) for arg in side.args)


def _plain_size(expr) -> int:
    """Factors ``plain`` prints one by one (it multiplies out any product but the whole)."""
    return sum(len(group) for group in expr.groups) if isinstance(expr, Factors) else 0


def latex(expr, output_layer=L) -> str:
    return LatexPrinter(output_layer).doprint(expr)


# -- Unicode text --------------------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _subscript(digits: str) -> str:
    return digits.translate(_SUBSCRIPTS)


_GREEK = {name: chr(0x3B1 + offset) for offset, name in enumerate(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "final_sigma sigma tau upsilon phi chi psi omega".split()) if name != "final_sigma"}


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

    def _print_Float(self, expr):
        """In the one number style (number_style): 9.53674·10⁻⁷, 0.196612."""
        found = styled(float_text(expr)) if expr.is_finite else None
        return super()._print_Float(expr) if found is None else found.text()

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

    # -- what sentences hold: sets, relations, infinities ------------------------------

    def _print_Infinity(self, expr):
        return "∞"

    def _print_NegativeInfinity(self, expr):
        return "-∞"

    def _print_Interval(self, expr):
        left = "(" if expr.left_open or expr.start.is_infinite else "["
        right = ")" if expr.right_open or expr.end.is_infinite else "]"
        return f"{left}{self._print(expr.start)}, {self._print(expr.end)}{right}"

    def _print_Relational(self, expr):
        sign = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥", "<": "<", ">": ">"}[expr.rel_op]
        return f"{self._print(expr.lhs)} {sign} {self._print(expr.rhs)}"

    def _print_sup_dsigma(self, expr):
        return "sup σ'"

    def _print_inf_dsigma(self, expr):
        return "inf σ'"

    def _print_slope(self, expr):
        return "σ'"

    def _print_ellipsis(self, expr):
        return "⋯"

    def _print_weight_variance(self, expr):
        return "σ_w²"

    def _print_bias_variance(self, expr):
        return "σ_b²"

    def _print_fixed_variance(self, expr):
        return "q∗"  # (U+2217: a product's "*" becomes "·" in this printer)

    def _print_gain_chi(self, expr):
        return "χ₁"

    def _print_Expectation(self, expr):
        return f"E[{self._print(expr.args[0])}]"

    def _print_Normal(self, expr):
        return f"N({', '.join(self._print(a) for a in expr.args)})"

    def _print_MapsTo(self, expr):
        return f"{self._print(expr.args[0])} ↦ {self._print(expr.args[1])}"

    def _print_gram(self, expr):
        return GRAM_NAMES[expr.name][0]

    def _print_STransform(self, expr):
        return f"S_{self._print(expr.args[0])}({self._print(expr.args[1])})"

    def _print_Distributed(self, expr):
        return f"{self._print(expr.args[0])} ~ {self._print(expr.args[1])}"

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

    def _print_grad_of(self, expr):
        return f"∂C/∂{self._print(expr.args[0])}"

    def _print_local_derivative(self, expr):
        top, bottom = (self._print(argument) for argument in expr.args)
        return f"∂{top}/∂{bottom}"

    def _print_matrix_norm(self, expr):
        return f"‖{self._print(expr.args[0])}‖"

    def _print_least_singular(self, expr):
        return f"σ_min({self._print(expr.args[0])})"

    def _print_sup_abs_dsigma(self, expr):
        return "sup|σ'|"

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_slashed_ratio(self, expr):
        return "/".join(self._print(argument) for argument in expr.args)

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
        if expr.name in _GREEK:  # alpha, sigma: α, σ (as LaTeX writes \alpha, \sigma)
            return _GREEK[expr.name]
        head, _, index = expr.name.partition("_")
        if head in _GREEK and index.isalnum():  # sigma_i: σ_i (LaTeX: \sigma_{i})
            return _GREEK[head] + (_subscript(index) if index.isdigit() else "_" + index)
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

    def _print_weight_entry(self, expr):
        return self._unit("w", *expr.args)

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
        which = ""
        if len(expr.args) > 1:
            sub = self._print(expr.args[1])
            which = _subscript(sub) if sub.isdigit() else f"_{sub}"
        return f"‖{self._print(expr.args[0])}‖{which}"

    def _print_grad_b_vector(self, expr):
        return "∂C/∂b" + self._superscript(expr.args[0])

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
        if exponent == sympy.S.Half and expr.base.is_Atom:  # √q
            return "√" + self._print(expr.base)
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
_PLAIN_FACTORS: list = []  # the FactorTexts of long products, default settings (one, kept)


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

    def _print_slashed_ratio(self, expr):
        top, bottom = (self._print(argument) for argument in expr.args)
        return f"({top})/({bottom})"

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

    def _print_grad_of(self, expr):
        return grad_of_name(expr.args[0])

    def _print_local_derivative(self, expr):
        if all(isinstance(a, sympy.Symbol) for a in expr.args):  # dh3_dc2
            return "d{}_d{}".format(*(grad_of_name(a)[4:] for a in expr.args))
        # at a general index a call, as every name there is: local_derivative(a[l], a[l - 1])
        return "local_derivative({}, {})".format(*(self._print(a) for a in expr.args))

    def _print_grad_w(self, expr):
        return self._layer_name("grad_w", expr)

    def _print_grad_b(self, expr):
        return self._layer_name("grad_b", expr)

    def _print_grad_a(self, expr):
        return self._layer_name("grad_a", expr)

    def _print_Factors(self, expr):
        """SymPy's product; a long one (a deep chain's front layer has 20,000 factors, whose
        Mul takes seconds to sort) in the order written, joined by *, in linear time."""
        factors = [f for group in expr.groups for f in group]
        if not isinstance(expr, TermFactors):
            count_rendered(len(factors))
        # (a product of sums, a residual or highway layer's factors, is printed factor by
        # factor too: each recurs in every layer above it, and SymPy's Mul of them, sorted
        # and printed whole each time, costs seconds at depth 100)
        if len(factors) <= PLAIN_MUL_UP_TO and sum(
                isinstance(f, (Terms, sympy.Add)) for f in factors) < 2:
            return self._print(sympy.Mul(*[_multiplied_out(f) for f in factors]))
        texts, level = self._long_product_texts(), self._print_level
        return "*".join([texts.text(f, self._long_product_factor, level) for f in factors])

    def _long_product_texts(self) -> FactorTexts:
        """The factors of long products recur in every layer written out and in the input
        gradient (and in the next derivation), so each is printed once (default settings
        share one record across printers; other settings keep their own)."""
        if self._settings != _plain_defaults():
            return factor_texts(self)
        if not _PLAIN_FACTORS:
            _PLAIN_FACTORS.append(FactorTexts())
        return _PLAIN_FACTORS[0]

    def _long_product_factor(self, factor) -> str:
        """One factor of a long product, multiplied out and parenthesized as a factor."""
        return self.parenthesize(_multiplied_out(factor), PRECEDENCE["Mul"], strict=True)

    def _print_Terms(self, expr):
        return self._print(_multiplied_out(expr))

    def _print_Float(self, expr):
        """The Float's own decimal digits where they read back to the same binary value
        (1e300 at 30 digits, not its binary neighbour's 9.99...951e299), else enough
        digits that they do."""
        if expr._prec < 5:
            return super()._print_Float(expr)
        for digits in (mpmath.libmp.prec_to_dps(expr._prec), mpmath.libmp.repr_dps(expr._prec)):
            text = mpmath.libmp.to_str(expr._mpf_, digits, strip_zeros=True)
            text = ("0" + text if text.startswith(".") else text).removeprefix("+") \
                .replace("-.", "-0.")
            if sympy.Float(text, precision=expr._prec) == expr:
                return text
        return text

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

    def _print_weight_entry(self, expr):
        return self._joined("w", expr)

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
        return f"norm({', '.join(self._print(a) for a in expr.args)})"

    def _print_grad_b_vector(self, expr):
        return self._joined("grad_b", expr)

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
