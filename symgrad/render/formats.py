"""The printers: one class per format, registered in ``PRINTERS`` by the format's name.

A printer finds a result's form through the MRO of the result's type, as SymPy's printers
do: for the first class that has one, either the printer's own method ``_print_<Class>``
(a form of that format alone: the terminal's tables of an activation table and of a
chain's evaluation; a talk's Beamer frames in LaTeX and PDF) or the layout registered for
the class in the printer's ``layouts`` (``document.register``: the document that text,
LaTeX, Markdown, HTML and PDF all print; ``json_object.register`` for JSON, which is data).
A type with neither has no form in that format, and is refused in one sentence;
tests/test_json_roundtrip.py checks that every result type the API returns has a form in
every format.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar

from symgrad.activations import ActivationTable
from symgrad.errors import SymgradError
from symgrad.files import is_device_or_pipe
from symgrad.render.document import Document, document, load_layout
from symgrad.render.html import html_document
from symgrad.render.language import DEFAULT, LANGUAGES, check_language, laid_out, setting
from symgrad.render.latex import latex_document
from symgrad.render.markdown import Beside, markdown_document
from symgrad.render.pdf import ENGINE, compile_pdf
from symgrad.render.slides import Slides, check_slides_format
from symgrad.render.text import (
    TEXT_WIDTH,
    activation_table,
    document_renderable,
    english_only,
    evaluation_table,
    plain_text,
)

if TYPE_CHECKING:
    from symgrad.numeric.evaluate import ChainEvaluation


class Format:
    """A format's printer: ``doprint(result)`` its text, ``chunks(result)`` the text in
    pieces (or a PDF's bytes), ``files(result, path)`` what writing it to ``path`` makes.
    ``fragment``: a body without the document around it; ``lang``: the words' language."""

    name: ClassVar[str]
    layouts: ClassVar = staticmethod(document)  # a singledispatch function: a result's layout
    file_only: ClassVar[bool] = False  # bytes, for a file: never a terminal's text

    def __init__(self, fragment: bool = False, lang: str = DEFAULT):
        self.fragment = fragment
        self.lang = check_language(lang)

    def form(self, cls: type) -> Callable | None:
        """How this printer prints a ``cls``: the first class of its MRO with a
        ``_print_<Class>`` method here or a layout in ``layouts`` (None: no form)."""
        load_layout(cls)
        for klass in cls.__mro__[:-1]:  # (object: no form)
            own = getattr(self, f"_print_{klass.__name__}", None)
            if own is not None:
                return own
            if klass in self.layouts.registry:
                return self.print_layout
        return None

    def print(self, result):
        """``result`` in this format: its text (or pieces, bytes, a renderable)."""
        form = self.form(type(result))
        if form is None:
            raise SymgradError(f"The {self.name} format prints symgrad's results (what derive, "
                               f"evaluate, verify and the others return), not {type(result).__name__}.")
        return form(result)

    def chunks(self, result) -> Iterator[str] | bytes:
        printed = self.print(result)
        return iter([printed]) if isinstance(printed, str) else printed

    def doprint(self, result) -> str:
        return "".join(self.chunks(result))

    def files(self, result, path: str | os.PathLike) -> dict:
        """The files writing ``result`` to ``path`` makes (``files.write_all`` writes them)."""
        return {path: self.chunks(result)}

    def print_layout(self, result):
        """``result`` by its layout: its document, in the printer's language."""
        return self.print_document(laid_out(result, self.lang))

    def print_document(self, doc: Document):
        raise NotImplementedError

    def _print_Slides(self, slides: Slides):
        check_slides_format(self.name, self.fragment)  # (refused: a talk is LaTeX or PDF)


class TextFormat(Format):
    """Terminal text; ``print`` gives a rich renderable ``width`` columns wide."""

    name = "text"

    def __init__(self, fragment: bool = False, lang: str = DEFAULT, width: int = TEXT_WIDTH):
        super().__init__(fragment, lang)
        self.width = width

    def chunks(self, result) -> Iterator[str]:
        return iter([plain_text(self.print(result), self.width)])

    def print_document(self, doc: Document):
        return document_renderable(doc, self.width)

    def _print_ActivationTable(self, table: ActivationTable):
        english_only(table, self.lang)
        return activation_table(table)

    def _print_ChainEvaluation(self, evaluation: ChainEvaluation):
        english_only(evaluation, self.lang)
        return evaluation_table(evaluation, self.width)


class LatexFormat(Format):
    name = "latex"

    def print_document(self, doc: Document) -> str:
        return latex_document(doc, self.fragment)

    def _print_Slides(self, slides: Slides) -> str:
        from symgrad.render.beamer import render_beamer  # (loads the notes' code)

        check_slides_format(self.name, self.fragment)
        return render_beamer(slides, self.lang)


class MarkdownFormat(Format):
    """Markdown; ``heading_level`` of the title, figures numbered after ``figures_before``
    and, written to a file, drawn as images beside it (``files``)."""

    name = "markdown"

    def __init__(self, fragment: bool = False, lang: str = DEFAULT, heading_level: int = 1,
                 figures_before: int = 0, beside: Beside | None = None):
        super().__init__(fragment, lang)
        self.heading_level, self.figures_before, self.beside = heading_level, figures_before, beside

    def print_document(self, doc: Document) -> str:
        return markdown_document(doc, self.fragment, self.beside, self.figures_before,
                                 self.heading_level)

    def files(self, result, path: str | os.PathLike) -> dict:
        """The document and the SVG images beside it that it shows (none beside a device or
        a pipe, where the Markdown draws them in text)."""
        if is_device_or_pipe(path):
            return super().files(result, path)
        beside = Beside(path)
        text = MarkdownFormat(self.fragment, self.lang, self.heading_level, self.figures_before,
                              beside).doprint(result)
        return {path: text, **beside.files}


class HtmlFormat(Format):
    name = "html"

    def print_document(self, doc: Document) -> str:
        return html_document(doc, self.fragment)


class JsonFormat(Format):
    """JSON: one object per result (``json_object``), streamed in pieces."""

    name = "json"

    @property
    def layouts(self):
        from symgrad.render.json import json_object  # (it names every result: loads them all)

        return json_object

    def __init__(self, fragment: bool = False, lang: str = DEFAULT):
        super().__init__(fragment, lang)
        if self.lang != DEFAULT:
            raise SymgradError(f"JSON is data and stays in English; {LANGUAGES[self.lang]} is for "
                               "the text, LaTeX, Markdown, HTML and PDF formats.")

    def print_layout(self, result) -> Iterator[str]:
        from symgrad.render.json import json_chunks

        return json_chunks(result)


class PdfFormat(LatexFormat):
    """The LaTeX document compiled (by pdflatex, or the engine the language needs)."""

    name = "pdf"
    file_only = True

    def __init__(self, fragment: bool = False, lang: str = DEFAULT):
        if fragment:
            raise SymgradError("A PDF is a whole document; --fragment is for LaTeX, Markdown "
                               "and HTML.")
        super().__init__(fragment, lang)

    def chunks(self, result) -> bytes:
        latex = "".join(super().chunks(result))  # (LaTeX's own pieces: a standalone document)
        return compile_pdf(latex, setting(self.lang, "LATEX_ENGINE", ENGINE))

    def doprint(self, result) -> str:
        raise SymgradError("A PDF is bytes, not text: write it to a file (render_pdf).")


PRINTERS: dict[str, type[Format]] = {printer.name: printer for printer in (
    TextFormat, LatexFormat, MarkdownFormat, HtmlFormat, JsonFormat, PdfFormat)}


def printer(fmt: str, fragment: bool = False, lang: str = DEFAULT) -> Format:
    """The printer of the format named ``fmt``."""
    if fmt not in PRINTERS:
        raise SymgradError(f"Unknown format '{fmt}'; use one of {', '.join(PRINTERS)}.")
    return PRINTERS[fmt](fragment, lang)


__all__ = ["PRINTERS", "Format", "HtmlFormat", "JsonFormat", "LatexFormat", "MarkdownFormat",
           "PdfFormat", "TextFormat", "printer"]
