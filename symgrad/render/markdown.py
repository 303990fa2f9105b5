"""Markdown: headings, words, and ``$$`` blocks of aligned LaTeX."""

from __future__ import annotations

import re
from collections.abc import Iterator

from symgrad.notation import L
from symgrad.render.chart import terminal_chart
from symgrad.render.document import Document, Figure, Grid, document
from symgrad.render.latex import equation_block
from symgrad.render.number_style import styled
from symgrad.render.printing import LatexPrinter, uncounted
from symgrad.render.prose import Words

THIN_SPACE = r"\mkern3mu "  # \, (3 mu) as KaTeX sets it without expanding a macro


def markdown_printer(output_layer=L) -> LatexPrinter:
    """The LaTeX printer of Markdown's math: the thin space between factors as THIN_SPACE
    (see ``LatexPrinter``), no line-break hints."""
    return LatexPrinter(output_layer, thin_space=THIN_SPACE)


def prose(words: Words, printer: LatexPrinter | None = None) -> str:
    """Words as Markdown prose: characters a Markdown renderer would take as HTML or as
    the start of a heading, list or code span are escaped, so text that came from the
    user (a formula, a file name) is shown as typed and never interpreted; each formula
    of a ``Prose`` is $…$ LaTeX by ``printer``."""
    if isinstance(words, str):
        text = _inline(words)
    else:
        printer = printer or markdown_printer()
        with uncounted():
            text = words.printed(_inline, lambda expr: f"${printer.doprint(expr)}$",
                                 lambda code: f"``{code}``" if "`" not in code else _inline(code))
    return "\n".join(_ORDERED.sub(r"\1\\\2", line, count=1) if _ORDERED.match(line) else
                     "\\" + line if _OPENS_BLOCK.match(line) else line
                     for line in text.split("\n"))


_OPENS_BLOCK = re.compile(r"#{1,6}(\s|$)|[-+*>](\s|$)|=+\s*$")  # a heading, list item, quote
_ORDERED = re.compile(r"^(\d+)([.)])(?=\s|$)")  # "1. " would start a numbered list: 1\. instead
_OPENS_HTML = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")


def _inline(words: str) -> str:
    """What would open HTML (a tag, a comment, an entity) or a code span anywhere in a
    line, escaped; "σ' < 1" stays as it is, since CommonMark reads no tag there."""
    return _OPENS_HTML.sub(lambda m: "&lt;" if m.group() == "<" else "&amp;", words).replace(
        "`", "\\`")


def render_markdown(result, fragment: bool = False, heading_level: int = 1) -> str:
    """The result as Markdown: its title a heading of ``heading_level`` (none in a
    fragment), its sections one level below; a figure as a text chart."""
    parts = []
    for block in markdown_blocks(document(result), fragment, heading_level):
        if isinstance(block, Figure):
            block = "```\n" + terminal_chart(block.xs, block.ys, y_label=block.text_label,
                                              bars=block.bars) + "\n```"
        parts.append(block)
    return "\n\n".join(parts) + "\n"


def markdown_blocks(doc: Document, fragment: bool = False,
                    heading_level: int = 1) -> Iterator[str | Figure]:
    """The document as Markdown blocks (headings, words, $$ math, pipe tables), in order,
    and its figures as they are, for each medium to draw its own way."""
    printer = markdown_printer(doc.output_layer)
    if not fragment:
        yield f"{'#' * heading_level} {prose(doc.title, printer)}"
    for section in doc.sections:
        yield f"{'#' * (heading_level + 1)} {prose(section.title, printer)}"
        if section.words:
            yield prose(section.words, printer)
        if section.rows:
            yield "$$\n" + equation_block(printer, section.rows, "aligned") + "\n$$"
        if section.grid is not None:
            yield grid_table(section.grid)
        if section.figure is not None:
            yield section.figure


def grid_table(grid: Grid) -> str:
    """A pipe table; the first column left-aligned, numbers right-aligned."""
    rule = ["---"] + ["---:"] * (len(grid.headers) - 1)
    printer = markdown_printer()
    lines = [[_header(printer, heading) for heading in grid.headers], rule]
    lines += [[_cell(printer, cell) for cell in row] for row in grid.rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def _cell(printer: LatexPrinter, cell: Words) -> str:
    """A cell: a number as math in the one number style, words as ``_header``'s."""
    number = styled(cell) if isinstance(cell, str) else None
    return _header(printer, cell) if number is None else f"${number.latex()}$"


def _header(printer: LatexPrinter, heading: Words) -> str:
    """A cell: text with its | escaped for the pipe table, math with | as \\vert (\\|
    inside math would be KaTeX's double bar)."""
    if isinstance(heading, str):
        return _inline(heading).replace("|", "\\|")
    with uncounted():
        return heading.printed(lambda text: _inline(text).replace("|", "\\|"),
                               lambda expr: "$" + _without_bars(printer.doprint(expr)) + "$",
                               lambda text: f"`{text}`")


def _without_bars(latex: str) -> str:
    """Math for a pipe table's cell: its bars as \\Vert and \\vert, which a table does not split
    on (‖x‖ is \\| in LaTeX: a \\Vert, not a \\ and a bar)."""
    return latex.replace(r"\|", r"\Vert ").replace("|", r"\vert ")
