"""Documents in another language: every title, sentence and table word looked up in that
language's message catalogue, one file per language (``symgrad/render/languages/``).

A document is laid out in English, as always, and translated as a whole just before a
format prints it, so the layout code (and the lookups of one document's sections by
another's titles) knows one language only. A sentence's key is its text with each
formula or code run replaced by a numbered place, ``"The factor {0} per layer."``; the
catalogue's sentence may put the places in any order (Japanese puts the verb last),
and the formulas themselves are never translated. A key a catalogue lacks is an error,
never silently English (``tests/test_language.py`` walks every document kind).

A ``Phrase`` in a sentence is a place too, translated on its own (a verdict, a kind of
chain, each sentence of a paragraph), so a catalogue holds each sentence and each phrase
once rather than every combination. A format's own words (``Figure 3.``, what an empty
chart says) are ``phrase`` templates of the same catalogue, with named places for text
the format fills in.

A language is one file, ``symgrad/render/languages/<code>.py``: ``MESSAGES`` (English
key → sentence) and, where a format needs more than English does (LaTeX beyond pdflatex
and ``article``, fonts for the figures' words), its settings (read through ``setting``).
"""

from __future__ import annotations

import importlib
import re
import string
from collections.abc import Callable
from dataclasses import replace
from functools import cache

from symgrad.errors import SymgradError, quoted
from symgrad.render.document import Document, Grid, document
from symgrad.render.prose import Phrase, Prose, Run, Words

LANGUAGES = {"en": "English", "ja": "日本語 (Japanese)"}
DEFAULT = "en"
_FORMATTER = string.Formatter()


def check_language(lang) -> str:
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise SymgradError(f"Unknown language {quoted(lang)}; use one of {', '.join(LANGUAGES)}.")
    return lang


@cache
def _module(lang: str):
    return importlib.import_module(f"symgrad.render.languages.{check_language(lang)}")


def catalogue(lang: str) -> dict[str, str]:
    """The language's messages: English key → its sentence (English itself: none)."""
    if check_language(lang) == DEFAULT:
        return {}
    return _module(lang).MESSAGES


def setting(lang: str, name: str, default):
    """A language's setting for a format (``LATEX_ENGINE``, ``LATEX_PAGE``,
    ``LATEX_NEEDS``, ``PLOT_FONTS``), or ``default`` where it keeps English's."""
    if check_language(lang) == DEFAULT:
        return default
    return getattr(_module(lang), name, default)


def in_language(words: Words, lang: str) -> Words:
    """A format's own sentence (``Prose``: with formulas) in ``lang``."""
    return translated_words(words, catalogue(lang))


def phrase(lang: str, template: str, escape: Callable[[str], str] = str, **values: str) -> str:
    """A format's own words in ``lang``: the template's sentence, its text through
    ``escape`` (the format's), each ``{name}`` place filled with ``values[name]`` as
    the format has written it (a figure's number, LaTeX math)."""
    messages = catalogue(lang)
    if messages and template not in messages:
        raise SymgradError(f"No translation of the sentence {quoted(template)}.")
    parts = []
    for literal, name, _, _ in _FORMATTER.parse(messages.get(template, template)):
        parts.append(escape(literal))
        if name is not None:
            parts.append(values[name])
    return "".join(parts)


def key_of(words: Words) -> str:
    """The catalogue key of words: their text, with every formula or code run a numbered
    place ({0}, {1}, …) and every brace doubled."""
    if isinstance(words, str):
        return _escaped(words)
    places = iter(range(len(words.runs)))
    return "".join(_escaped(run) if isinstance(run, str) else f"{{{next(places)}}}"
                   for run in words.runs)


def _escaped(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def translated_words(words: Words, messages: dict[str, str], missing: set | None = None) -> Words:
    """The words in the catalogue's language: the key's sentence with the formulas put
    back in their places. A key not in the catalogue is added to ``missing`` (when given)
    and the words stay as they are; without ``missing`` it is an error."""
    if not words or not messages and missing is None:
        return words
    key = key_of(words)
    others = [Phrase(translated_words(run.words, messages, missing)) if isinstance(run, Phrase)
              else run for run in (words.runs if isinstance(words, Prose) else ())
              if not isinstance(run, str)]
    if key not in messages:
        if missing is None:
            raise SymgradError(f"No translation of the sentence {quoted(key)}.")
        missing.add(key)
        return words
    runs: list[Run] = []
    for literal, place, _, _ in _FORMATTER.parse(messages[key]):
        if literal:
            runs.append(literal)
        if place is not None:
            runs.append(others[int(place)])
    return Prose(()) + Prose(tuple(runs)) if isinstance(words, Prose) else "".join(runs)


def translated(doc: Document, lang: str, missing: set | None = None) -> Document:
    """The whole document in ``lang``: titles, sentences, table headers and worded cells,
    the captions of diagrams and figures, figure labels in words."""
    messages = catalogue(lang)
    if not messages and missing is None:
        return replace(doc, lang=check_language(lang))

    def words(value: Words) -> Words:
        return translated_words(value, messages, missing)

    sections = []
    for section in doc.sections:
        grid, figure, diagram = section.grid, section.figure, section.diagram
        if grid is not None:
            grid = Grid(tuple(words(h) for h in grid.headers),
                        tuple(tuple(_cell(cell, words) for cell in row) for row in grid.rows))
        if figure is not None:
            figure = replace(figure, x_label=words(figure.x_label), y_label=words(figure.y_label),
                             text_label=words(figure.text_label), caption=words(figure.caption),
                             drawn_caption=words(figure.drawn_caption))
        if diagram is not None:
            diagram = replace(diagram, caption=words(diagram.caption))
        sections.append(replace(section, title=words(section.title), words=words(section.words),
                                grid=grid, figure=figure, diagram=diagram))
    return replace(doc, title=words(doc.title), sections=sections, lang=lang)


def _cell(cell: Words, words: Callable[[Words], Words]) -> Words:
    """A table cell in the language: words translated; a number (a decimal, 10^(…), inf)
    as it is."""
    if isinstance(cell, str) and _NUMBER.fullmatch(cell):
        return cell
    return words(cell)


# a number as a table shows it: a decimal, an enclosure [lo, hi], 10^(…), inf, nan, —
_NUMBER = re.compile(r"[-+]?(inf|nan)|[-+\d.,\[\]()^e —/]*")


def laid_out(result, lang: str = DEFAULT) -> Document:
    """The result's document, in ``lang``."""
    return translated(document(result), lang)


__all__ = ["DEFAULT", "LANGUAGES", "catalogue", "check_language", "in_language", "key_of", "laid_out",
           "setting", "phrase", "translated", "translated_words"]
