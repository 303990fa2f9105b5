"""Rendering: results in, text out. Renderers compute nothing."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from symgrad.errors import SymgradError
from symgrad.files import write_all, write_atomically
from symgrad.render import (  # noqa: F401 - registers layouts
    meanfield_documents,
    notes_document,
    numeric_documents,
    verdict_document,
)
from symgrad.render.document import document
from symgrad.render.json import json_chunks, render_json
from symgrad.render.latex import render_latex
from symgrad.render.markdown import markdown_printer, prose, render_markdown
from symgrad.render.notebook import attach_displays
from symgrad.render.text import render_text

FORMATS = ("text", "latex", "markdown", "json")

attach_displays(document.registry)  # every result with a layout shows itself in a notebook


def render_chunks(result, fmt: str, fragment: bool = False) -> Iterator[str]:
    """``result`` in one of ``FORMATS``, in pieces (JSON of a deep evaluation streams)."""
    if fmt == "json":
        yield from json_chunks(result)
    else:
        yield render(result, fmt, fragment)


def render(result, fmt: str, fragment: bool = False) -> str:
    """``result`` in one of ``FORMATS``."""
    if fmt == "text":
        return render_text(result)
    if fmt == "latex":
        return render_latex(result, fragment=fragment)
    if fmt == "markdown":
        return render_markdown(result, fragment=fragment)
    if fmt == "json":
        return render_json(result)
    raise SymgradError(f"Unknown format '{fmt}'; use one of {', '.join(FORMATS)}.")


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
    labels = EquationLabels()
    for result in results:
        layout = document(result)
        printer = LatexPrinter(layout.output_layer, line_breaks=True)
        latex.append(rf"\section*{{{latex_words(printer, layout.title)}}}" + "\n"
                     + latex_body(layout, labels))
        markdown.append(f"\n# {prose(layout.title, markdown_printer(layout.output_layer))}\n\n"
                        + render_markdown(result, fragment=True))
    latex.append("\\end{document}\n")
    paths = [Path(f"{stem}.tex"), Path(f"{stem}.md")]
    write_all({paths[0]: "".join(latex), paths[1]: "".join(markdown)})  # both or neither
    return paths


__all__ = ["FORMATS", "render", "render_chunks", "write_atomically", "write_documents"]
