"""Where a long formula breaks across lines: between the terms of a sum or the factors of
a product, never inside a term or factor that fits on a line.

A side of an equation is read as a tree of ``Piece``s in its printer's own order: symgrad's
``Terms`` and ``Factors`` (a product of bracketed groups, each a product of factors) and
``MatrixChain`` as written, SymPy's ``Add`` and ``Mul`` in the order the printer writes their
terms and factors. A piece no wider than a line is kept whole; a wider one is opened into
its terms or factors, and those into theirs, until every piece fits. The pieces are then
filled into lines as a typesetter breaks a long display: each continuation line starts
with a whole term, its sign in front (``+ b``), or a whole factor, so a weight product
``(w_2 w_3)`` that fits on a line is never split across two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy

from symgrad.notation import Factors, MatrixChain, Terms
from symgrad.render.printing import LatexPrinter, factor_groups, group_brackets


@dataclass(frozen=True)
class Glue:
    """What joins two pieces: ``inline`` on one line, ``line_start`` where a line breaks
    between them (the sign of a term stays with the term: " + " on a line, "+ " leading the
    next)."""

    inline: str
    line_start: str


@dataclass(frozen=True)
class Piece:
    """A formula's text as the pieces a line may break between. A leaf is ``text``; a sum or
    product is its ``parts`` joined by ``glue`` (one before each part but the first),
    between ``opening`` and ``closing`` (a group's brackets). ``width`` is as the caller's
    measure counts it."""

    width: int
    text: str = ""
    parts: tuple[Piece, ...] = ()
    glue: tuple[Glue, ...] = ()
    opening: str = ""
    closing: str = ""

    def printed(self) -> str:
        if not self.parts:
            return self.text
        out = [self.opening, self.parts[0].printed()]
        for glue, part in zip(self.glue, self.parts[1:]):
            out += [glue.inline, part.printed()]
        out.append(self.closing)
        return "".join(out)


Measure = Callable[[str], int]


def formula_lines(printer, expr: sympy.Expr, limit: int, measure: Measure = len) -> list[str]:
    """``expr`` as printed by ``printer``, broken into lines no wider than ``limit`` (by
    ``measure``) between whole terms and factors; a line after the first starts with its
    term's sign or with a factor. A single factor wider than a line gets a line of its own."""
    return fill(formula_piece(printer, expr, measure), limit, measure)


def formula_piece(printer, expr: sympy.Expr, measure: Measure = len) -> Piece:
    """``expr`` as a ``Piece`` tree in the printer's order (what ``printer.doprint(expr)``
    writes, piece by piece)."""
    return _Builder(printer, measure).piece(expr)


def fill(piece: Piece, limit: int, measure: Measure = len) -> list[str]:
    """The pieces of ``piece`` filled greedily into lines of at most ``limit``."""
    lines: list[str] = []
    current: list[str] = []
    width = 0
    for text, glue in _units(piece, limit):
        inline = glue.inline if glue is not None and current else ""
        added = measure(inline) + measure(text)
        if current and width + added > limit:
            lines.append("".join(current))
            text = (glue.line_start if glue is not None else "") + text
            current, width = [text], measure(text)
        else:
            current.append(inline + text)
            width += added
    lines.append("".join(current))
    return lines


def _units(piece: Piece, limit: int) -> list[tuple[str, Glue | None]]:
    """The pieces a line breaks between: ``piece`` whole if it fits, else its parts' units
    (the glue before each, None before the first; a group's brackets on its first and last)."""
    if not piece.parts or piece.width <= limit:
        return [(piece.printed(), None)]
    units: list[tuple[str, Glue | None]] = []
    for number, part in enumerate(piece.parts):
        found = _units(part, limit)
        if number:
            found[0] = (found[0][0], piece.glue[number - 1])
        units += found
    if piece.opening:
        units[0] = (piece.opening + units[0][0], units[0][1])
    if piece.closing:
        units[-1] = (units[-1][0] + piece.closing, units[-1][1])
    return units


class _Builder:
    """Pieces of one printer's formulas; ``measure`` gives the leaves' widths."""

    def __init__(self, printer, measure: Measure):
        self.printer, self.measure = printer, measure
        self.latex = isinstance(printer, LatexPrinter)
        # between the factors of a product and between its groups
        self.times = Glue(printer.thin_space, "") if self.latex else Glue(" ", "")
        self.between_groups = Glue(printer.thin_space, "") if self.latex else Glue(" · ", "· ")
        self.plus, self.minus = Glue(" + ", "+ "), Glue(" - ", "- ")

    def leaf(self, text: str) -> Piece:
        return Piece(self.measure(text), text)

    def node(self, parts: list[Piece], glue: list[Glue], opening: str = "",
             closing: str = "") -> Piece:
        if len(parts) == 1 and not (opening or closing):
            return parts[0]
        width = sum(p.width for p in parts) + sum(self.measure(g.inline) for g in glue) \
            + self.measure(opening + closing)
        return Piece(width, parts=tuple(parts), glue=tuple(glue), opening=opening, closing=closing)

    def piece(self, expr) -> Piece:
        if isinstance(expr, Factors):
            return self.product(expr)
        if isinstance(expr, Terms):
            parts = [self.piece(term) for term in expr.args]
            return self.node(parts, [self.plus] * (len(parts) - 1))
        if isinstance(expr, MatrixChain):
            parts = [self.leaf(self.printer.doprint(factor)) for factor in expr.args]
            return self.node(parts, [self.times] * (len(parts) - 1))
        if isinstance(expr, sympy.Add):
            return self.checked(expr, self.sum_parts(expr))
        if isinstance(expr, sympy.Mul):
            return self.checked(expr, self.mul_parts(expr))
        return self.leaf(self.printer.doprint(expr))

    def product(self, expr: Factors) -> Piece:
        opening, closing = group_brackets(self.printer)
        groups = factor_groups(self.printer, expr)
        bracketed = len(groups) > 1
        pieces = []
        for group in groups:
            leaves = [self.leaf(text) for text in group]
            around = (opening, closing) if bracketed and len(group) > 1 else ("", "")
            pieces.append(self.node(leaves, [self.times] * (len(leaves) - 1), *around))
        return self.node(pieces, [self.between_groups] * (len(pieces) - 1))

    def checked(self, expr, found) -> Piece:
        """The parts of a SymPy sum or product, if joined they are exactly what the printer
        writes for the whole; else the whole as one leaf (never a break the printer would
        not have made)."""
        whole = self.printer.doprint(expr)
        if found is None:
            return self.leaf(whole)
        parts, glue = found
        piece = self.node(parts, glue)
        return piece if piece.printed() == whole else self.leaf(whole)

    def sum_parts(self, expr: sympy.Add):
        """Terms in the printer's order, each after its sign (as SymPy's ``_print_Add``)."""
        parts, glue = [], []
        for number, term in enumerate(self.printer._as_ordered_terms(expr)):
            if number:
                negative = term.could_extract_minus_sign()
                glue.append(self.minus if negative else self.plus)
                term = -term if negative else term
            part = self.piece(term)
            if self.latex and self.printer._needs_add_brackets(term):
                part = self.leaf(rf"\left({part.printed()}\right)")
            parts.append(part)
        return parts, glue

    def mul_parts(self, expr: sympy.Mul):
        """Factors in the printer's order, each bracketed where the printer brackets it; a
        fraction or a sign in front is kept whole (None)."""
        if not self.latex or expr.could_extract_minus_sign():
            return None
        if sympy.fraction(expr, exact=True)[1] != 1:
            return None
        factors = expr.as_ordered_factors()
        parts = []
        for number, factor in enumerate(factors):
            text = self.printer.doprint(factor)
            if self.printer._needs_mul_brackets(factor, first=number == 0,
                                                last=number == len(factors) - 1):
                text = rf"\left({text}\right)"
            parts.append(self.leaf(text))
        return parts, [Glue(" ", "")] * (len(parts) - 1)
