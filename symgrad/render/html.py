"""HTML: a standalone page (or, with ``fragment``, its body) whose math MathJax typesets.

The page walks the same ``Document`` as LaTeX and Markdown: headings, sentences whose
formulas are LaTeX in ``<span class="math">``, equation rows as one ``aligned`` display,
tables with their numbers as math, and figures. MathJax reads only the ``math`` spans
(``processHtmlClass``; the body is ``tex2jax_ignore``), so text the user typed — a
formula with a ``$`` or ``\\(`` in it — is shown as typed, never typeset or run.

MathJax is loaded from ``MATHJAX_URL`` unless the environment variable
``SYMGRAD_MATHJAX`` names another copy (a local file of the npm package ``mathjax``, for
a page read offline). Everything else is inside the one file.
"""

from __future__ import annotations

import html
import json
import os
import re

from symgrad.render.chart import LOG_ZERO, NOTHING_TO_CHART_WITH
from symgrad.render.document import Document, Figure, Grid
from symgrad.render.language import DEFAULT, in_language, phrase
from symgrad.render.latex import equation_block
from symgrad.render.number_style import styled
from symgrad.render.plot import figure_svg
from symgrad.render.printing import LatexPrinter, TextPrinter, uncounted
from symgrad.render.prose import Code, Words, say
from symgrad.render.svg import svg_diagram
from symgrad.render.text import text_chart, text_words

MATHJAX_URL = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg.js"
MATHJAX_ENVIRONMENT = "SYMGRAD_MATHJAX"

_STYLE = """
body { font-family: "Latin Modern Roman", "CMU Serif", Georgia, "Noto Serif CJK JP",
       "Hiragino Mincho ProN", "Yu Mincho", "HaranoAji Mincho", serif; max-width: 52rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #111; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
.display { overflow-x: auto; overflow-y: hidden; margin: 1rem 0; padding: 0.2rem 0; }
table { border-collapse: collapse; margin: 1rem auto; }
th, td { padding: 0.2rem 0.7rem; } th { border-bottom: 1px solid #444; }
thead tr { border-top: 2px solid #111; } tbody tr:last-child { border-bottom: 2px solid #111; }
td.number { text-align: right; } td.words { text-align: left; }
figure { margin: 1.2rem auto; text-align: center; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.92rem; text-align: left; max-width: 44rem; margin: 0.4rem auto; }
pre.chart { font-size: 0.8rem; line-height: 1.1; }
code { font-size: 0.95em; }
"""

_MATHJAX_CONFIG = {
    "tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "tags": "ams",
            # (an unknown macro is a MathJax error, not red text that passes unnoticed)
            "packages": {"[+]": ["ams"], "[-]": ["noundefined"]}},
    "options": {"ignoreHtmlClass": "tex2jax_ignore", "processHtmlClass": "math"},
    "svg": {"fontCache": "global"},
}


def mathjax_url() -> str:
    """Where the page loads MathJax from: ``SYMGRAD_MATHJAX`` if set, else MATHJAX_URL."""
    return os.environ.get(MATHJAX_ENVIRONMENT) or MATHJAX_URL


def html_document(doc: Document, fragment: bool = False) -> str:
    """A result's document as a standalone HTML page, or (``fragment``) the page's body
    only."""
    printer = LatexPrinter(doc.output_layer)
    parts = [] if fragment else [f"<h1>{words_html(printer, doc.title)}</h1>"]
    figures = 0
    for section in doc.sections:
        parts.append(f"<section>\n<h2>{words_html(printer, section.title)}</h2>")
        if section.words:
            parts.append(f"<p>{words_html(printer, section.words)}</p>")
        if section.diagram is not None:
            figures += 1
            image = svg_diagram(section.diagram, TextPrinter(doc.output_layer))
            parts.append(_figure(image, figures, section.diagram.caption, printer, doc.lang))
        if section.rows:
            block = equation_block(printer, section.rows, "aligned")
            parts.append(f'<div class="display"><span class="math">\\[{html.escape(block)}\\]'
                         "</span></div>")
        if section.grid is not None:
            parts.append(grid_table(section.grid))
        if section.figure is not None and section.figure.empty:
            parts.append("<p>" + phrase(doc.lang, NOTHING_TO_CHART_WITH, html.escape,
                                        formula=_inline_math(LOG_ZERO)) + "</p>")
        elif section.figure is not None:
            figures += 1
            parts.append(figure_html(section.figure, figures, printer, doc.lang))
        parts.append("</section>")
    body = "\n".join(parts) + "\n"
    if fragment:
        return body
    title = html.escape(text_words(TextPrinter(doc.output_layer), doc.title))  # (the tab's
    # title is plain text: formulas in Unicode, σ_w² = 3/2, not their LaTeX source)
    config = json.dumps(_MATHJAX_CONFIG).replace("</", "<\\/")
    return (f'<!DOCTYPE html>\n<html lang="{doc.lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>{_STYLE}</style>\n"
            f"<script>window.MathJax = {config};</script>\n"
            f'<script id="MathJax-script" async src="{html.escape(mathjax_url())}"></script>\n'
            f'</head>\n<body class="tex2jax_ignore">\n{body}</body>\n</html>\n')


def words_html(printer: LatexPrinter, words: Words) -> str:
    """Words as HTML: text escaped, each formula ``\\(…\\)`` in a ``math`` span, code in
    ``<code>``."""
    if isinstance(words, str):
        return html.escape(words)
    with uncounted():
        return words.printed(html.escape, lambda expr: _inline_math(printer.doprint(expr)),
                             lambda code: f"<code>{html.escape(code)}</code>")


def _inline_math(latex: str) -> str:
    return f'<span class="math">\\({html.escape(latex)}\\)</span>'


def grid_table(grid: Grid) -> str:
    """A table: words left-aligned, numbers right-aligned as math in the one number style."""
    printer = LatexPrinter()
    head = "".join(f"<th>{words_html(printer, heading)}</th>" for heading in grid.headers)
    rows = []
    for row in grid.rows:
        cells = []
        for cell in row:
            number = styled(cell) if isinstance(cell, str) else None
            if number is not None:
                cells.append(f'<td class="number">{_inline_math(number.latex())}</td>')
            else:
                cells.append(f'<td class="words">{words_html(printer, cell)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ("<table>\n<thead><tr>" + head + "</tr></thead>\n<tbody>\n" + "\n".join(rows)
            + "\n</tbody>\n</table>")


def figure_html(figure: Figure, number: int, printer: LatexPrinter, lang: str = DEFAULT) -> str:
    """A figure of values: matplotlib's SVG in the page, or (without matplotlib) its text
    chart, saying how to get the picture."""
    image = figure_svg(figure, lang)
    if image is not None:
        return _figure(image.decode("utf-8"), number, figure.drawn_caption, printer, lang)
    chart = text_chart(figure, lang)
    note = say("(A text chart: with matplotlib installed, {install}, it is a picture.)",
               install=Code("pip install 'symgrad[plot]'"))
    return _figure(f'<pre class="chart">{html.escape(chart)}</pre>', number, figure.caption,
                   printer, lang, svg=False, note=note)


_PROLOGUE = re.compile(r"\A\s*(<\?xml[^>]*>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.S)
_REFERENCE = re.compile(r'(\bid="|href="#|url\(#)')


def _figure(picture: str, number: int, caption: Words, printer: LatexPrinter,
            lang: str = DEFAULT, svg: bool = True, note: Words = "") -> str:
    """A numbered figure with its caption (and a ``note`` after it), in ``lang``; an SVG
    picture set into the page with its ids made the figure's own (two drawings' markers and
    clip paths must not meet)."""
    if svg:
        picture = _REFERENCE.sub(lambda m: f"{m.group(1)}figure{number}-", _PROLOGUE.sub("", picture))
    label = f"<strong>{phrase(lang, 'Figure {number}.', html.escape, number=str(number))}</strong>"
    text = words_html(printer, caption) if caption else ""
    if text and note:
        text = phrase(lang, "{caption} {note}", caption=text,
                      note=words_html(printer, in_language(note, lang)))
    text = f" {text}" if text else ""
    return f'<figure id="figure-{number}">\n{picture}\n<figcaption>{label}{text}</figcaption>\n</figure>'
