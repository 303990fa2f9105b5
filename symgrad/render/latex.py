"""LaTeX: ``align*`` blocks that compile with amsmath, or a whole document."""

from __future__ import annotations

import re

import sympy

from symgrad.notation import Factors, Terms
from symgrad.render.chart import NOTHING_TO_CHART_MATH, latex_chart
from symgrad.render.document import Document, Grid, Row, document
from symgrad.render.number_style import column_styled, styled
from symgrad.render.printing import LatexPrinter, factor_chunks, uncounted
from symgrad.render.prose import Words
from symgrad.render.tikz import tikz_diagram

LINE_WIDTH = 62  # visible characters per line of a long product, before a break

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\usepackage{float}
\usepackage{pgfplots}
\pgfplotsset{compat=1.18}
\usetikzlibrary{arrows.meta}
\allowdisplaybreaks
\begin{document}
"""


def render_latex(result, fragment: bool = False, for_notebook: bool = False) -> str:
    """The result as LaTeX: a standalone document, or (``fragment``) its body only."""
    doc = document(result)
    body = latex_body(doc, for_notebook=for_notebook)
    if fragment:
        return body
    printer = LatexPrinter(doc.output_layer)
    title = rf"\section*{{{latex_words(printer, doc.title)}}}" + "\n"
    return PREAMBLE + title + body + r"\end{document}" + "\n"


def latex_words(printer: LatexPrinter, words: Words) -> str:
    """Words as LaTeX: text escaped, each formula of a ``Prose`` in $…$ by the printer."""
    if isinstance(words, str):
        return escape(words)
    with uncounted():
        return words.printed(escape, lambda expr: f"${printer.doprint(expr)}$", typewriter)


_CODE = re.compile(r"[\w ()+\-*/.,:=<>!]*")  # text \detokenize takes as it is


def typewriter(text: str) -> str:
    """Text as typed in a typewriter face: its underscores as underscores, not \\_."""
    if _CODE.fullmatch(text):
        return rf"\texttt{{\detokenize{{{text}}}}}"
    return rf"\texttt{{{escape(text)}}}"


def latex_body(doc: Document, for_notebook: bool = False, environment: str = "align*") -> str:
    printer = LatexPrinter(doc.output_layer)
    parts = []
    for section in doc.sections:
        if not for_notebook:
            parts.append(rf"\subsection*{{{latex_words(printer, section.title)}}}")
        if section.words and not for_notebook:
            parts.append(latex_words(printer, section.words))
        if section.diagram is not None and not for_notebook:
            parts.append(floating(tikz_diagram(section.diagram, printer),
                                  latex_words(printer, section.diagram.caption)))
        if section.rows:
            parts.append(equation_block(printer, section.rows, environment))
        if section.grid is not None:
            parts.append(grid_table(section.grid))
        if section.figure is not None and section.figure.empty and not for_notebook:
            parts.append(NOTHING_TO_CHART_MATH)
        elif section.figure is not None and not for_notebook:
            figure = section.figure
            chart = latex_chart(figure.xs, figure.ys, latex_words(printer, figure.x_label),
                                latex_words(printer, figure.y_label), figure.bars,
                                figure.limit_lines)
            parts.append(floating(chart, latex_words(printer, figure.drawn_caption)))
    return "\n".join(parts) + "\n"


def floating(picture: str, caption: str) -> str:
    """A picture as a numbered figure, centred, with its caption, where it stands in the
    text (``H``: a handout reads in order, and no figure is left alone on a page)."""
    return "\n".join([r"\begin{figure}[H]", r"\centering", picture,
                      *([rf"\caption{{{caption}}}"] if caption else []), r"\end{figure}"])


def grid_table(grid: Grid) -> str:
    """A booktabs table. A column of numbers is two columns joined without space, the
    digits before the point right-aligned and the rest left-aligned, so that the points
    line up; its header and any words in it span both."""
    columns = list(zip(*grid.rows)) if grid.rows else [()] * len(grid.headers)
    styled_columns = [column_styled(column) for column in columns]
    numeric = [any(n is not None for n in column) for column in styled_columns]
    spec = "".join("r@{}l" if is_numeric else "l" if number == 0 else "r"
                   for number, is_numeric in enumerate(numeric))
    printer = LatexPrinter()

    def spanning(text: str, is_numeric: bool, align: str = "r") -> str:
        return rf"\multicolumn{{2}}{{{align}}}{{{text}}}" if is_numeric else text

    headers = [spanning(latex_words(printer, h), is_numeric, "c")
               for h, is_numeric in zip(grid.headers, numeric)]
    lines = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(headers) + r" \\",
             r"\midrule"]
    for row, numbers in zip(zip(*columns) if columns else (), zip(*styled_columns)):
        cells = []
        for cell, number, is_numeric in zip(row, numbers, numeric):
            if number is not None:
                cells.append(_split_number(number))
            else:
                words = number_latex(cell) if isinstance(cell, str) else latex_words(printer, cell)
                cells.append(spanning(words, is_numeric))
        # "{}" first: a row starting with "[" would be read as the optional argument of \\
        lines.append(("{}" if cells[0].startswith("[") else "") + " & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join([r"\begin{center}", *lines, r"\end{center}"])


def _split_number(number) -> str:
    """A styled number as two cells: sign and whole digits, then the point, the fraction
    and the power of ten (10^k itself in the first)."""
    if number.power_of_ten:
        return f"${number.latex()}$ & "
    rest = (f".{number.fraction}" if number.fraction else "") + (
        "" if number.exponent is None else rf" \cdot 10^{{{number.exponent}}}")
    return f"${number.sign}{number.whole}$ & " + (f"${{}}{rest}$" if rest else "")


_DECIMAL = re.compile(r"(-?)(\d+(?:\.\d+)?)(?:e([+-]\d+))?")


_POWER_OF_TEN = re.compile(r"(-?)10\^\((.*)\)")  # a table cell's 10^(log10|x|) (e^-(10^5000))


def number_latex(cell: str) -> str:
    r"""A decimal string as math in the one number style (1.5e+39 → $1.5 \cdot 10^{39}$);
    other text escaped."""
    power_of_ten = _POWER_OF_TEN.fullmatch(cell)
    if power_of_ten is not None and _DECIMAL.fullmatch(power_of_ten.group(2)):
        sign, exponent = power_of_ten.groups()
        return f"${sign}10^{{{number_latex(exponent).strip('$')}}}$"
    number = styled(cell) if _DECIMAL.fullmatch(cell) else None
    if number is None:
        return {"inf": r"$\infty$", "-inf": r"$-\infty$"}.get(cell, escape(cell))
    return f"${number.latex()}$"


def equation_block(printer: LatexPrinter, rows: list[Row], environment: str) -> str:
    lines = []
    measure = _widths(printer)
    for row in rows:
        lhs = printer.doprint(row.lhs)
        for number, side in enumerate(row.sides):
            packed = pack(side_chunks(printer, side), measure=measure)
            start = lhs if number == 0 else ""
            relation = _RELATIONS[row.relation(number)]
            lines.append(f"{start} &{relation} {packed[0]}")
            lines += [rf"&\quad {line}" for line in packed[1:]]
        if row.index_range is not None:
            lines[-1] += rf" \qquad ({index_range(printer, row.index_range)})"
        if not row.sides:
            lines.append(lhs)
    return rf"\begin{{{environment}}}" + "\n" + " \\\\\n".join(lines) + "\n" + \
        rf"\end{{{environment}}}"


_RELATIONS = {"=": "=", "≤": r"\le", "≥": r"\ge", "≈": r"\approx", "<": "<", ">": ">",
              "∈": r"\in"}


def index_range(printer, index_range: tuple) -> str:
    index, first, last = index_range
    return rf"{printer.doprint(index)} = {printer.doprint(first)}, \dots, {printer.doprint(last)}"


def side_chunks(printer, side: sympy.Expr) -> list[str]:
    """Pieces of one right-hand side between which a line may break."""
    if isinstance(side, Factors):
        return factor_chunks(printer, side)
    if isinstance(side, Terms):
        chunks = []
        for number, term in enumerate(side.args):
            term_chunks = side_chunks(printer, term)
            if number:
                term_chunks[0] = "+ " + term_chunks[0]
            chunks += term_chunks
        return chunks
    if isinstance(side, sympy.Add) and len(side.args) > 2:
        terms = [printer.doprint(term) for term in side.args]
        return [terms[0]] + [t if t.startswith("-") else "+ " + t for t in terms[1:]]
    return [printer.doprint(side)]


def _widths(printer: LatexPrinter):
    """``_visible_width``, each distinct text worked out once for all of the printer's
    equation blocks (a deep chain's factors recur in every product of the document)."""
    widths = printer.__dict__.setdefault("_symgrad_widths", {})

    def measure(text: str) -> int:
        width = widths.get(text)
        if width is None:
            width = widths[text] = _visible_width(text)
        return width

    return measure


_SPACING = re.compile(r"\\(left|right|bigl|bigr|frac|quad|,)")
_COMMAND = re.compile(r"\\[a-zA-Z]+")
_INVISIBLE = re.compile(r"[{}_^ ]")


def _visible_width(latex: str) -> int:
    text = _SPACING.sub("", latex)
    text = _COMMAND.sub("x", text)
    return len(_INVISIBLE.sub("", text))


def pack(chunks: list[str], width_limit: int = LINE_WIDTH, measure=_visible_width,
         joiner: str = r"\,") -> list[str]:
    """Chunks joined into lines no wider than ``width_limit`` (a chunk is never split)."""
    lines, current, width = [], [], 0
    for chunk in chunks:
        chunk_width = measure(chunk) + 1
        if current and width + chunk_width > width_limit:
            lines.append(joiner.join(current))
            current, width = [], 0
        current.append(chunk)
        width += chunk_width
    lines.append(joiner.join(current))
    return lines


_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
_UNICODE = {"σ": r"$\sigma$", "δ": r"$\delta$", "∂": r"$\partial$", "∞": r"$\infty$",
            "→": r"$\to$", "≈": r"$\approx$", "×": r"$\times$", "α": r"$\alpha$",
            "∏": r"$\prod$", "Σ": r"$\Sigma$", "≤": r"$\le$", "≥": r"$\ge$", "…": r"\dots{}",
            "–": "--", "—": "---", "·": r"$\cdot$", "⋯": r"$\cdots$", "∈": r"$\in$",
            "±": r"$\pm$", "⁻": r"${}^{-}$", "½": r"$\frac12$", "ᵀ": r"${}^{\top}$",
            "‖": r"$\|$", "∇": r"$\nabla$", "⊙": r"$\odot$", "−": "-", "√": r"$\surd$",
            "ε": r"$\varepsilon$", "χ": r"$\chi$", "ξ": r"$\xi$", "↦": r"$\mapsto$", "ᴸ": r"${}^{L}$",
            "|": r"$|$", "<": r"$<$", ">": r"$>$"}  # OT1 text fonts have no | < >
_UNICODE.update({sup: f"${{}}^{{{digit}}}$" for digit, sup in zip("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")})
_UNICODE.update({sub: f"${{}}_{{{digit}}}$" for digit, sub in zip("0123456789", "₀₁₂₃₄₅₆₇₈₉")})


def escape(words: str) -> str:
    """Plain words (with a little Unicode math) as LaTeX text."""
    out = []
    for char in words:
        out.append(_SPECIAL.get(char) or _UNICODE.get(char) or char)
    return "".join(out)
