"""Markdown: headings, words, and ``$$`` blocks of aligned LaTeX. Written to a file, a
document's diagram and figures are SVG images beside it; on standard output, text."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from symgrad.notation import L
from symgrad.render.chart import LOG_ZERO, NOTHING_TO_CHART_WITH
from symgrad.render.diagram import Diagram
from symgrad.render.document import Document, Figure, Grid
from symgrad.render.language import in_language, phrase
from symgrad.render.latex import equation_block
from symgrad.render.number_style import styled
from symgrad.render.plot import figure_svg
from symgrad.render.printing import LatexPrinter, TextPrinter, uncounted
from symgrad.render.prose import Code, Words, say
from symgrad.render.svg import svg_diagram
from symgrad.render.text import text_chart, text_diagram

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


class Beside:
    """The SVG images of a Markdown document written to ``path``, named after it
    (notes.md: notes-diagram-1.svg, notes-figure-1.svg) and kept until the document and
    they are written together."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.files: dict[Path, str | bytes] = {}

    def add(self, kind: str, content: str | bytes) -> str:
        """Keep an image; its name as the document refers to it (beside it)."""
        number = sum(1 for path in self.files if path.name.startswith(f"{self.path.stem}-{kind}-"))
        path = image_path(self.path, kind, number + 1)
        self.files[path] = content
        return quote(os.fsencode(path.name))  # (a name's undecodable bytes, %-escaped as bytes)


IMAGE_KINDS = ("diagram", "figure")


def image_path(document: str | os.PathLike, kind: str, number: int) -> Path:
    """The ``number``-th image of ``kind`` beside ``document`` (notes.md: notes-figure-1.svg)."""
    document = Path(document)
    return document.with_name(f"{document.stem}-{kind}-{number}.svg")


def markdown_document(doc: Document, fragment: bool = False, beside: Beside | None = None,
                      figures_before: int = 0, heading_level: int = 1) -> str:
    """A result's document as Markdown: its title a heading of ``heading_level`` (none in a
    fragment), its sections one level below. Without ``beside`` (standard output) a
    diagram or figure is drawn in text; with it, as SVG images in ``beside.files`` (a
    figure where matplotlib is installed). Figures are numbered from ``figures_before`` + 1
    (as LaTeX numbers them in a document of several results)."""
    printer = markdown_printer(doc.output_layer)
    parts, figures = [], figures_before
    for block in markdown_blocks(doc, fragment, heading_level):
        if isinstance(block, Diagram):
            figures += 1
            parts += [_diagram(block, doc, beside, figures),
                      _caption(figures, block.caption, printer, doc.lang)]
        elif isinstance(block, Figure):
            figures += 1
            parts += _figure(block, printer, beside, figures, doc.lang)
        else:
            parts.append(block)
    return "\n\n".join(part for part in parts if part) + "\n"


def _caption(number: int, caption: Words, printer: LatexPrinter, lang: str,
             note: Words = "") -> str:
    """**Figure 3.** and the caption (and a ``note`` after it), in ``lang``."""
    if not caption:
        return ""
    text = prose(caption, printer)
    if note:
        text = phrase(lang, "{caption} {note}", caption=text,
                      note=prose(in_language(note, lang), printer))
    return f"**{phrase(lang, 'Figure {number}.', _inline, number=str(number))}** {text}"


def _image(lang: str, number: int, name: str) -> str:
    return f"![{phrase(lang, 'Figure {number}', _inline, number=str(number))}]({name})"


def _diagram(diagram, doc, beside: Beside | None, number: int) -> str:
    printer = TextPrinter(doc.output_layer)
    if beside is None:
        return "```\n" + text_diagram(diagram, printer) + "\n```"
    return _image(doc.lang, number, beside.add('diagram', svg_diagram(diagram, printer)))


def _figure(figure, printer: LatexPrinter, beside: Beside | None, number: int,
            lang: str) -> list[str]:
    """The figure and its caption: an SVG image by matplotlib beside a file, else a text
    chart (saying why, in a file)."""
    image = figure_svg(figure, lang) if beside is not None else None
    if image is not None:
        return [_image(lang, number, beside.add('figure', image)),
                _caption(number, figure.drawn_caption, printer, lang)]
    chart = "```\n" + text_chart(figure, lang) + "\n```"
    if beside is None:
        return [chart, _caption(number, figure.caption, printer, lang)]
    return [chart, _caption(number, figure.caption, printer, lang, say(
        "(A text chart: with matplotlib installed, {install}, it is an SVG image beside "
        "this file.)", install=Code("pip install 'symgrad[plot]'")))]


def markdown_blocks(doc: Document, fragment: bool = False,
                    heading_level: int = 1) -> Iterator[str | Diagram | Figure]:
    """The document as Markdown blocks (headings, words, $$ math, pipe tables), in order,
    and its diagrams and figures as they are, for each medium to draw its own way."""
    printer = markdown_printer(doc.output_layer)
    if not fragment:
        yield f"{'#' * heading_level} {prose(doc.title, printer)}"
    for section in doc.sections:
        yield f"{'#' * (heading_level + 1)} {prose(section.title, printer)}"
        if section.words:
            yield prose(section.words, printer)
        if section.diagram is not None:
            yield section.diagram
        if section.rows:
            yield "$$\n" + equation_block(printer, section.rows, "aligned") + "\n$$"
        if section.grid is not None:
            yield grid_table(section.grid)
        if section.figure is not None and section.figure.empty:
            yield phrase(doc.lang, NOTHING_TO_CHART_WITH, _inline, formula=f"${LOG_ZERO}$")
        elif section.figure is not None:
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
