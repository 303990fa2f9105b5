"""Slides: ``symgrad notes … --slides``, the notes' argument as a talk.

A talk is made of the notes' own sections, in the notes' order: those a lecturer shows,
one idea each, with the parts of each that a slide shows (a table of numbers stays in the
notes, but for a few singular values; a figure is shown). Nothing is derived again and no
sentence is written anew: the only words a talk adds are ``PHRASES``, in one place for a
language's catalogue to translate. ``symgrad.render.beamer`` lays a talk out as frames.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from symgrad.errors import SymgradError
from symgrad.render.document import Document, Section, document
from symgrad.render.language import key_of

if TYPE_CHECKING:
    from symgrad.notes import CellNotes, ChainNotes, NetNotes

PHRASES = {  # every word a talk adds to the notes' own (key: its use)
    "continued": "(cont.)",  # after the title of a frame that goes on with a section
}

SLIDE_FORMATS = ("latex", "pdf")  # a Beamer presentation, as LaTeX or compiled
SHOWN_PARTS = ("words", "diagram", "rows", "figure")  # of a section, as a slide shows them; and
# "grid", a table, where a talk shows one (a table of numbers mostly stays in the notes)


@dataclass(frozen=True)
class Slides:
    """A talk made of lecture notes (``symgrad.notes``): render it as "latex" or "pdf"."""

    notes: ChainNotes | NetNotes | CellNotes

    def __post_init__(self):
        from symgrad.notes import CellNotes, ChainNotes, NetNotes

        if not isinstance(self.notes, (ChainNotes, NetNotes, CellNotes)):
            raise SymgradError("Slides are made of lecture notes (symgrad.notes), not of "
                               f"{type(self.notes).__name__}.")


@dataclass(frozen=True)
class Shown:
    """A section of the notes a talk shows, by its title's catalogue key: which parts, and
    of its equations the first ``rows`` (all if None)."""

    title: str
    parts: tuple[str, ...] = SHOWN_PARTS
    rows: int | None = None


# A chain's talk, in the order the argument runs: the network and its diagram, the δ
# recursion, the closed form, the three regimes, ReLU, residual connections, the spectrum of
# random weights (where the notes have it), the figure.
CHAIN_TALK = (
    Shown("Notation and forward pass"),
    Shown("The chain rule and the {0} recursion"),
    Shown("The closed form"),
    Shown("Regime: {0} with ordinary weights: vanishing"),
    Shown("Regime: {0} but {1}: still vanishing"),
    Shown("Regime: {0}: exploding"),
    Shown("Why ReLU alone does not remove the weight product", rows=1),  # the front layer's δ
    Shown("Residual connections", rows=2),  # the output's gradient and the recursion
    Shown("The residual factor, {0}"),
    Shown("Beyond the mean: the Jacobian's spectrum", ("words", "grid")),  # (--random-weights)
    Shown("Values: layer by layer", ("figure",)),
)
# A net's talk: its network (the first unit's equations: the rest repeat them), the output
# error and the backward pass (of three units at most: the others alike), the matrix form
# (which has the gradients of every entry in one line), any depth, one unit's paths; with
# values, the setting, the numbers and the spectrum.
NET_TALK = (
    Shown("Network", rows=2),
    Shown("Output error", rows=3),
    Shown("Backward pass", rows=3),
    Shown("Matrix form"),
    Shown("Any widths and depth"),
    Shown("The front layer as a sum over paths", rows=1),  # one unit's paths: the others alike
    Shown("Values: setting"),
    Shown("Values: cost and input gradient"),
    Shown("Values: layer by layer", ("figure",)),
    Shown("Values: jacobian spectrum", ("words", "grid")),  # a few singular values
)
# A cell's talk: the step, its Jacobian, the recursion's start and step (the parameters'
# sums stay in the notes), the carousel, what the bounds say, the gate's bias, the figure.
CELL_TALK = (
    Shown("Notation and forward pass"),
    Shown("The local Jacobian"),
    Shown("Backpropagation through time", rows=4),
    Shown("The carousel"),
    Shown("The closed form"),
    Shown("The whole sequence, {0} steps"),
    Shown("What the bounds say"),
    Shown("The gate's bias {0}", ("words", "grid")),
    Shown("Values: step by step", ("figure",)),
)
TALKS = {"ChainNotes": CHAIN_TALK, "NetNotes": NET_TALK, "CellNotes": CELL_TALK}  # by the
# notes' class (named: the notes, and the numeric code they use, load with a talk only)


def check_slides_format(fmt: str, fragment: bool = False) -> None:
    """Slides are a whole Beamer presentation: LaTeX or PDF, never a fragment."""
    if fmt not in SLIDE_FORMATS:
        raise SymgradError(f"--slides writes a Beamer presentation, so the output is LaTeX or PDF "
                           f"(name it .tex or .pdf), not {fmt}.")
    if fragment:
        raise SymgradError("--slides writes a whole presentation; leave out --fragment.")


def talk(slides: Slides) -> Document:
    """The notes' sections a talk shows, in their order, each with the parts it shows."""
    notes = document(slides.notes)
    shown = {item.title: item for item in TALKS[type(slides.notes).__name__]}
    sections = [_parts(section, shown[key_of(section.title)])
                for section in notes.sections if key_of(section.title) in shown]
    return replace(notes, sections=[section for section in sections if _shows_something(section)])


def _shows_something(section: Section) -> bool:
    return bool(section.words or section.rows or section.grid or section.figure
                or section.diagram)


def _parts(section: Section, shown: Shown) -> Section:
    parts = shown.parts
    return Section(section.title,
                   section.words if "words" in parts else "",
                   section.rows[:shown.rows] if "rows" in parts else [],
                   section.grid if "grid" in parts else None,
                   section.figure if "figure" in parts else None,
                   section.diagram if "diagram" in parts else None)
