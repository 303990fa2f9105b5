"""Sentences as runs of text and math, so every format prints math as math.

A document's words are a ``Prose``: a tuple of runs, each plain text (a ``str``) or
``Math`` (a SymPy expression, printed by the format's own printer: LaTeX ``$…$`` in
LaTeX, Markdown and HTML, Unicode in the terminal). A sentence is written as a
template with named places, ``say("The factor {gain} per layer.", gain=w_k*σ'(z_k))``:
SymPy values become math, text stays text, so no notation ever sits inside a string
that a format would have to escape.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sympy

from symgrad.errors import SymgradError


@dataclass(frozen=True)
class Math:
    """An inline formula: a SymPy expression or relation."""

    expr: sympy.Basic


@dataclass(frozen=True)
class Code:
    """Text as typed (a target's name, a file name), set in a typewriter face."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """Words set into a place of a sentence and translated on their own: one of several
    clauses a sentence may take (a verdict, a kind of chain), a name in words, or a
    sentence of a paragraph. A language's catalogue then holds each sentence and each
    phrase once, not every combination of them (``symgrad.render.language``)."""

    words: Prose | str


Run = str | Math | Code | Phrase


@dataclass(frozen=True)
class Prose:
    """Runs of text and math, in reading order."""

    runs: tuple[Run, ...] = ()

    def __add__(self, other: Prose | str) -> Prose:
        other = other if isinstance(other, Prose) else Prose((other,))
        return Prose(_merged(self.runs + other.runs))

    def __radd__(self, other: str) -> Prose:
        return Prose((other,)) + self

    def __bool__(self) -> bool:
        return any(run for run in self.runs if not isinstance(run, str) or run)

    def printed(self, text: Callable[[str], str], math: Callable[[sympy.Basic], str],
                code: Callable[[str], str] | None = None) -> str:
        """Each text run through ``text`` (a format's escaping), each formula through
        ``math`` (its printer, with the delimiters), each ``Code`` through ``code``
        (default: as text)."""
        code = code or text
        return "".join(text(run) if isinstance(run, str) else code(run.text)
                       if isinstance(run, Code) else _phrase_printed(run, text, math, code)
                       if isinstance(run, Phrase) else math(run.expr) for run in self.runs)


Words = str | Prose  # what a title or a section's words may be (plain text: no math in it)


def _phrase_printed(phrase: Phrase, text, math, code) -> str:
    words = phrase.words
    return text(words) if isinstance(words, str) else words.printed(text, math, code)

_FORMATTER = string.Formatter()


def say(template: str, **values) -> Prose:
    """A sentence from a template with ``{name}`` places: a SymPy value (or an int) becomes a
    formula, a ``Prose`` is spliced in, text is inserted as text."""
    runs: list[Run] = []
    for literal, name, spec, conversion in _FORMATTER.parse(template):
        if literal:
            runs.append(literal)
        if name is None:
            continue
        if spec or conversion or name not in values:
            raise SymgradError(f"The sentence template has a bad place {{{name}}}.")
        runs.extend(_runs_of(values[name]))
    return Prose(_merged(tuple(runs)))


def paragraph(*parts: Prose | str) -> Prose:
    """Sentences one after another, each a ``Phrase`` (translated on its own; a language
    sets its own space between them), the empty ones left out."""
    return joined([Prose((Phrase(part),)) for part in parts if part])


def joined(parts: Iterable[Prose | str], separator: str = " ") -> Prose:
    """Sentences or phrases one after another."""
    runs: list[Run] = []
    for number, part in enumerate(parts):
        if number:
            runs.append(separator)
        runs.extend(_runs_of(part))
    return Prose(_merged(tuple(runs)))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")  # English, and Japanese (no space)


def sentences(words: Words) -> list[Prose]:
    """Words cut into their sentences (a formula stays in its sentence), so that a shorter
    form (a slide's caption) can take the first few."""
    found: list[list[Run]] = [[]]
    for run in _merged(tuple(_flat_runs(words))):  # a phrase's text joined to its neighbours
        if not isinstance(run, str):
            found[-1].append(run)
            continue
        pieces = _SENTENCE_END.split(run)
        for number, piece in enumerate(pieces):
            if number:
                found.append([])
            if piece:
                found[-1].append(piece)
    return [Prose(_merged(tuple(runs))) for runs in found if Prose(tuple(runs))]


def _flat_runs(words: Words) -> list[Run]:
    """The runs of words, each phrase's own runs in its place."""
    if isinstance(words, str):
        return [words]
    return [inner for run in words.runs
            for inner in (_flat_runs(run.words) if isinstance(run, Phrase) else [run])]


def _runs_of(value) -> tuple[Run, ...]:
    if isinstance(value, Prose):
        return value.runs
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (Math, Code, Phrase)):
        return (value,)
    if isinstance(value, bool):
        raise SymgradError("A sentence cannot show a truth value as math.")
    if isinstance(value, int):
        return (Math(sympy.Integer(value)),)
    if isinstance(value, sympy.Basic):
        return (Math(value),)
    raise SymgradError(f"A sentence cannot show {type(value).__name__} values.")


def _merged(runs: tuple[Run, ...]) -> tuple[Run, ...]:
    """Neighbouring text runs as one; empty text dropped."""
    merged: list[Run] = []
    for run in runs:
        if isinstance(run, str):
            if not run:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] += run
                continue
        merged.append(run)
    return tuple(merged)
