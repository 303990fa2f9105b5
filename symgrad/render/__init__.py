"""Rendering: results in, text out. Renderers compute nothing."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from symgrad.errors import SymgradError
from symgrad.files import write_all, write_atomically
from symgrad.render.document import document, load_every_layout  # noqa: F401 - the API's
from symgrad.render.formats import PRINTERS, MarkdownFormat, PdfFormat, printer
from symgrad.render.language import DEFAULT, LANGUAGES
from symgrad.render.markdown import markdown_printer, prose
from symgrad.render.notebook import attach_displays
from symgrad.render.slides import Slides

FORMATS = tuple(PRINTERS)  # text, latex, markdown, html, json, pdf
FILE_ONLY_FORMATS = tuple(name for name, kind in PRINTERS.items() if kind.file_only)

attach_displays(document.registry)  # every result with a layout shows itself in a notebook


def render_chunks(result, fmt: str, fragment: bool = False,
                  lang: str = DEFAULT) -> Iterator[str] | bytes:
    """``result`` in one of ``FORMATS``, in pieces (JSON of a deep evaluation streams); a
    PDF as its bytes."""
    return printer(fmt, fragment, lang).chunks(result)


def output_files(result, fmt: str, path: str | os.PathLike, fragment: bool = False,
                 lang: str = DEFAULT) -> dict:
    """The files that writing ``result`` to ``path`` makes: the file itself, and beside a
    Markdown file the SVG images it shows (none beside a device or a pipe, where the
    Markdown draws them in text). Written together with ``write_all``."""
    return printer(fmt, fragment, lang).files(result, path)


def render(result, fmt: str, fragment: bool = False, lang: str = DEFAULT) -> str:
    """``result`` in one of ``FORMATS`` but PDF (``render_pdf``); ``Slides`` in LaTeX. Its
    words in ``lang`` (``LANGUAGES``: en, ja), the formulas the same in every language."""
    return printer(fmt, fragment, lang).doprint(result)


def check_words_language(fmt: str, lang: str) -> str:
    """``lang``, checked before any work: a language ``LANGUAGES`` knows, for a format
    with words (JSON is data: its keys and words are English)."""
    printer(fmt, lang=lang)
    return lang


def render_pdf(result, fragment: bool = False, lang: str = DEFAULT) -> bytes:
    """``result``'s LaTeX document in ``lang`` compiled to PDF (by pdflatex, or the engine
    the language needs: LuaLaTeX for Japanese)."""
    return PdfFormat(fragment, lang).chunks(result)


def write_documents(stem: str | os.PathLike, title: str, results: Iterable) -> list[Path]:
    """One LaTeX document (``stem.tex``) and one Markdown document (``stem.md``) holding
    ``results`` one after another, each under its own heading (its equation labels made
    unique across the document: eq:forward, eq:forward-2)."""
    from symgrad.render.latex import PREAMBLE, EquationLabels, escape, latex_body, latex_words
    from symgrad.render.printing import LatexPrinter

    if not isinstance(stem, (str, os.PathLike)):
        raise SymgradError(f"The stem must be a file path, not {type(stem).__name__}.")
    if not isinstance(title, str):
        raise SymgradError(f"The title must be text, not {type(title).__name__}.")
    if isinstance(results, (str, bytes)) or not isinstance(results, Iterable):
        raise SymgradError(f"results must be a list of symgrad results, not {type(results).__name__}.")
    results = list(results)
    latex = [PREAMBLE, rf"\section*{{{escape(title)}}}" + "\n"]
    markdown = [f"# {prose(title)}\n"]
    figures = 0  # numbered through the whole document, as LaTeX numbers them
    labels = EquationLabels()
    for result in results:
        layout = document(result)
        printer = LatexPrinter(layout.output_layer, line_breaks=True)
        latex.append(rf"\section*{{{latex_words(printer, layout.title)}}}" + "\n"
                     + latex_body(layout, labels))
        markdown.append(f"\n# {prose(layout.title, markdown_printer(layout.output_layer))}\n\n"
                        + MarkdownFormat(fragment=True, figures_before=figures).doprint(result))
        figures += sum((s.diagram is not None) + (s.figure is not None and not s.figure.empty)
                       for s in layout.sections)
    latex.append("\\end{document}\n")
    paths = [Path(f"{stem}.tex"), Path(f"{stem}.md")]
    write_all({paths[0]: "".join(latex), paths[1]: "".join(markdown)})  # both or neither
    return paths


__all__ = ["FILE_ONLY_FORMATS", "FORMATS", "LANGUAGES", "Slides", "check_words_language",
           "output_files", "render", "render_chunks", "render_pdf", "write_atomically",
           "write_documents"]
