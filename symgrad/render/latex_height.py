"""How tall LaTeX sets a display line, a paragraph or a network diagram, estimated from its
source without running TeX: in points, at 11 pt, a little generously, so that a slide filled
to its height by these estimates does not overflow (the counterpart of ``latex_width``).

A display line is the baseline skip and ``\\jot``, and what its tallest construct adds: a
product or sum with limits above and below, a case split, a fraction (more with something
raised or bracketed inside it), a bracket raised to a power. A paragraph is its estimated
width (``latex_width``) over the line's, in lines of the baseline skip. A diagram is its
rows apart (``tikz``) and the nodes and labels above and below them.
"""

from __future__ import annotations

import math
import re

from symgrad.render.diagram import Diagram
from symgrad.render.latex_width import visible_width
from symgrad.render.tikz import ROW_CM, UNIT_CM

BASELINE = 13.6  # pt: the baseline skip of the 11 pt fonts
JOT = 3.0  # pt: amsmath's \jot, between the lines of an align
DISPLAY_SKIPS = 24.0  # pt: above and below a display (and the empty line it opens a frame with)
FIRST_LINE = 12.0  # pt: a paragraph's first line (its letters' height and depth)
INLINE_FRACTION = 3.0  # pt: what a fraction in a paragraph's text adds
CHARACTER = 5.5  # pt: a letter or digit of text, generously (as ``latex.CHARACTER_WIDTH``)
TABLE_ROW = 16.0  # pt: a table's row (a baseline skip, struts, math in its cells)
TABLE_AROUND = 30.0  # pt: a table's rules and the space above and below it
POINTS_PER_CM = 28.45
DIAGRAM_EDGES_CM = 1.65  # a diagram's nodes and labels above its top row and below its bottom
SKIP_ARCS_CM = 1.1  # a residual chain's identity paths, arcs above the forward row
CAPTION_BASELINE = 12.0  # pt: the baseline skip of a caption's \small (10 pt)
CAPTION_CHARACTER = CHARACTER * 10 / 11  # pt: a letter of it

# What a display line's tallest construct adds to the baseline skip (pt), tallest first.
_TALLER = (
    (re.compile(r"\\(prod|sum)_"), 21.0),  # limits above and below
    (re.compile(r"\\begin\{cases\}"), 21.0),
    (re.compile(r"\\frac(\{[^{}]*\})?\{[^{}]*(\^|\\left|\\frac)"), 14.0),  # raised inside
    (re.compile(r"\\left[(|]\\frac"), 12.0),  # a fraction in brackets
    (re.compile(r"\\frac"), 9.0),
    (re.compile(r"\\(sup|inf|max|min)_"), 7.0),  # a limit below
    (re.compile(r"(\\right[)\]|]|\\bigr\))\^|\^\{\\top\}"), 5.0),  # a raised bracket
)


def display_line_height(line: str) -> float:
    """The height one line of an ``align`` takes (its share of the baseline skips and jots)."""
    extra = next((added for construct, added in _TALLER if construct.search(line)), 0.0)
    return BASELINE + JOT + extra


def display_height(lines: list[str]) -> float:
    """An ``align`` of these lines, with the space above and below it."""
    return DISPLAY_SKIPS + sum(map(display_line_height, lines))


def paragraph_height(latex: str, width: float, character: float = CHARACTER,
                     baseline: float = BASELINE) -> float:
    """A paragraph of text (with $…$ math) set ``width`` pt wide: its first line, and a
    baseline skip for each further line."""
    if not latex:
        return 0.0
    lines = math.ceil(visible_width(latex) * character / width)
    fractions = INLINE_FRACTION if r"\frac" in latex else 0.0  # spread their lines apart
    return FIRST_LINE * baseline / BASELINE + (lines - 1) * baseline + fractions


def table_height(latex: str) -> float:
    """``latex.grid_table``'s tables (one or more): a line for each row and header, and the
    space of each table's rules and of its centring (its cells unwrapped)."""
    return latex.count(r"\\") * TABLE_ROW + latex.count(r"\begin{center}") * TABLE_AROUND


def diagram_height(diagram: Diagram) -> float:
    """A ``tikz`` diagram: its rows (a chain's two, a net's units) apart, and its edges."""
    rows = [node.row for node in diagram.nodes]
    step = UNIT_CM if diagram.layered else ROW_CM
    arcs = SKIP_ARCS_CM if any(edge.role == "skip" for edge in diagram.edges) else 0.0
    return ((max(rows) - min(rows)) * step + DIAGRAM_EDGES_CM + arcs) * POINTS_PER_CM
