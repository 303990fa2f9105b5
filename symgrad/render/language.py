"""Documents in another language: every title, sentence and table word looked up in that
language's message catalogue, one file per language (``symgrad/render/languages/``).

A document is laid out in English, as always, and translated as a whole just before a
format prints it, so the layout code (and the lookups of one document's sections by
another's titles) knows one language only. A sentence's key is its text with each
formula or code run replaced by a numbered place, ``"The factor {0} per layer."``; the
catalogue's sentence may put the places in any order (Japanese puts the verb last),
and the formulas themselves are never translated. A key a catalogue lacks is an error,
never silently English (``tests/test_language.py`` walks every document kind).
"""

from __future__ import annotations

import importlib
import string
from dataclasses import replace
from functools import cache

from symgrad.errors import SymgradError
from symgrad.render.document import Document, Grid
from symgrad.render.prose import Prose, Run, Words

LANGUAGES = {"en": "English", "ja": "日本語 (Japanese)"}
DEFAULT = "en"
_FORMATTER = string.Formatter()


def check_language(lang) -> str:
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise SymgradError(f"Unknown language {lang!r}; use one of {', '.join(LANGUAGES)}.")
    return lang


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The language's messages: English key → its sentence (English itself: none)."""
    if check_language(lang) == DEFAULT:
        return {}
    return importlib.import_module(f"symgrad.render.languages.{lang}").MESSAGES


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
    if key not in messages:
        if missing is None:
            raise SymgradError(f"No translation of the sentence {key!r}.")
        missing.add(key)
        return words
    others = [run for run in (words.runs if isinstance(words, Prose) else ()) if not isinstance(run, str)]
    runs: list[Run] = []
    for literal, place, _, _ in _FORMATTER.parse(messages[key]):
        if literal:
            runs.append(literal)
        if place is not None:
            runs.append(others[int(place)])
    return Prose(()) + Prose(tuple(runs)) if isinstance(words, Prose) else "".join(runs)


def translated(doc: Document, lang: str, missing: set | None = None) -> Document:
    """The whole document in ``lang``: titles, sentences, table headers and worded cells,
    figure labels in words."""
    messages = catalogue(lang)
    if not messages and missing is None:
        return doc

    def words(value: Words) -> Words:
        return translated_words(value, messages, missing)

    sections = []
    for section in doc.sections:
        grid = section.grid
        if grid is not None:
            grid = Grid(tuple(words(h) for h in grid.headers),
                        tuple(tuple(cell if isinstance(cell, str) else words(cell) for cell in row)
                              for row in grid.rows))
        sections.append(replace(section, title=words(section.title), words=words(section.words),
                                grid=grid))
    return replace(doc, title=words(doc.title), sections=sections)


__all__ = ["DEFAULT", "LANGUAGES", "catalogue", "check_language", "key_of", "translated",
           "translated_words"]
