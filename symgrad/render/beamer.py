"""Beamer: a talk (``symgrad.render.slides``) as frames, one idea each, that fit the slide.

Each section becomes a frame titled as the section: its words, its diagram, its equations
and its figure, printed as ``latex`` prints them (``row_lines``, ``floating``,
``tikz_diagram``, ``latex_chart``), the displays broken to the slide's narrower line. A
section taller than a slide (by ``latex_height``'s estimates) goes on in frames titled
"… (cont.)", split between its parts, between equation rows, or, for a row taller than a
slide, between the row's lines; its frames are filled evenly rather than leaving a last
frame with a line on it. Text is never shrunk to fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import reduce

from symgrad.render.chart import LOG_ZERO, NOTHING_TO_CHART_WITH, latex_chart, limit_label
from symgrad.render.diagram import Diagram
from symgrad.render.document import Document, Figure, Section
from symgrad.render.language import DEFAULT, phrase, setting, translated
from symgrad.render.latex import (
    EquationLabels,
    aligned,
    escape,
    floating,
    grid_table,
    latex_words,
    row_lines,
)
from symgrad.render.latex_height import (
    CAPTION_BASELINE,
    CAPTION_CHARACTER,
    DISPLAY_SKIPS,
    diagram_height,
    display_line_height,
    paragraph_height,
    table_height,
)
from symgrad.render.latex_width import visible_width
from symgrad.render.printing import LatexPrinter
from symgrad.render.prose import sentences
from symgrad.render.slides import PHRASES, Slides, talk
from symgrad.render.tikz import tikz_diagram

PREAMBLE = r"""\documentclass[11pt,aspectratio=169]{beamer}
\usefonttheme[onlymath]{serif}
\setbeamertemplate{navigation symbols}{}
\setbeamertemplate{footline}[frame number]
\setbeamertemplate{caption}{\raggedright\insertcaption\par}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\usepackage{pgfplots}
\pgfplotsset{compat=1.18}
\usetikzlibrary{arrows.meta}
"""

TEXT_WIDTH = 398.3  # pt: a 16:9 slide's \textwidth
LINE_WIDTH = 49  # visible characters of a display line (the notes' 62 in their 500 pt)
FRAME_HEIGHT = 204.0  # pt of a frame's body under a one-line title (TeX's limit: about 214)
TITLE_CHARACTER = 7.6  # pt: a letter of a frame title (\Large)
TITLE_LINE = 17.0  # pt: each further line of a long frame title
FIGURE_WIDTH = 0.9  # of \textwidth at most: a figure is 0.45 of its width high (``latex_chart``)
MIN_FIGURE_WIDTH = 0.5  # and at least (it then goes on a frame of its own)
MIN_DIAGRAM_SCALE = 0.6  # a diagram taller than a frame is scaled down, to no less than this
FIGURE_LABELS = 12.0  # pt: what a figure's tick and axis labels add beyond that
PICTURE_SKIPS = 14.0  # pt: above and below a figure and between it and its caption


@dataclass
class _Piece:
    """Part of a frame: words or a picture (``latex``), or lines of one equation row."""

    height: float
    latex: str = ""
    lines: list[str] = field(default_factory=list)
    heights: list[float] = field(default_factory=list)  # of the lines
    keep_with_next: bool = False  # words are never the last thing on a frame

    @property
    def display(self) -> bool:
        return bool(self.lines)


def render_beamer(slides: Slides, lang: str = DEFAULT) -> str:
    """The talk as a Beamer presentation in ``lang``: a title frame, then the sections'
    frames."""
    return beamer_latex(translated(talk(slides), lang))


def beamer_latex(doc: Document) -> str:
    """A talk's document (``slides.talk``; in another language, translated first) as a
    Beamer presentation (the language's packages after Beamer's: LuaTeX-ja for Japanese)."""
    printer = LatexPrinter(doc.output_layer, line_breaks=True)
    labels = EquationLabels()
    parts = [PREAMBLE + setting(doc.lang, "BEAMER_PACKAGES", ""),
             rf"\title{{{latex_words(printer, doc.title)}}}", r"\date{}",
             r"\begin{document}", r"\begin{frame}", r"\titlepage", r"\end{frame}"]
    for section in doc.sections:
        parts += _frames(section, printer, labels, doc.lang)
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"


def _frames(section: Section, printer: LatexPrinter, labels: EquationLabels,
            lang: str = DEFAULT) -> list[str]:
    title = latex_words(printer, section.title)
    continued = phrase(lang, "{title} " + PHRASES["continued"], escape, title=title)
    capacity = FRAME_HEIGHT - (max(_title_lines(title), _title_lines(continued)) - 1) * TITLE_LINE
    frames = _balanced(_pieces(section, printer, labels, capacity, lang), capacity)
    numbered = any(row.label is not None for row in section.rows)
    return [_frame(title if number == 0 else continued, pieces, numbered)
            for number, pieces in enumerate(frames)]


def _title_lines(title: str) -> int:
    return max(1, math.ceil(visible_width(title) * TITLE_CHARACTER / TEXT_WIDTH))


def _pieces(section: Section, printer: LatexPrinter, labels: EquationLabels,
            capacity: float, lang: str = DEFAULT) -> list[_Piece]:
    pieces = []
    if section.words:
        words = latex_words(printer, section.words)
        pieces.append(_Piece(paragraph_height(words, TEXT_WIDTH), words, keep_with_next=True))
    if section.diagram is not None:
        pieces.append(_diagram(section.diagram, printer, capacity - sum(p.height for p in pieces),
                               lang))
    numbered = any(row.label is not None for row in section.rows)
    for row in section.rows:
        lines = row_lines(printer, row, labels if numbered else None, LINE_WIDTH)
        heights = [display_line_height(line) for line in lines]
        pieces.append(_Piece(sum(heights), lines=lines, heights=heights))
    if section.grid is not None:
        table = grid_table(section.grid, TEXT_WIDTH)
        pieces.append(_Piece(table_height(table), table))
    figure = section.figure
    if figure is not None and figure.empty:
        nothing = phrase(lang, NOTHING_TO_CHART_WITH, escape, formula=f"${LOG_ZERO}$")
        pieces.append(_Piece(paragraph_height(nothing, TEXT_WIDTH), nothing))
    elif figure is not None:
        pieces.append(_figure(figure, printer, capacity - sum(p.height for p in pieces), lang))
    return pieces


def _diagram(diagram: Diagram, printer: LatexPrinter, room: float,
             lang: str = DEFAULT) -> _Piece:
    """The diagram with as many of its caption's sentences as fit ``room`` (pt) beside it
    (the words before it on the frame), down to none; a diagram taller than that alone (a
    wide net's) scaled down to fit, to no less than ``MIN_DIAGRAM_SCALE``."""
    picture, drawn = tikz_diagram(diagram, printer), diagram_height(diagram)
    told = [latex_words(printer, sentence) for sentence in sentences(diagram.caption)]
    for count in range(len(told), -1, -1):
        caption = reduce(lambda before, after: phrase(lang, "{caption} {note}", caption=before,
                                                      note=after), told[:count]) if count else ""
        if drawn + _caption_height(caption) <= room:
            return _Piece(drawn + _caption_height(caption), floating(picture, caption))
    scale = max(MIN_DIAGRAM_SCALE, (room - _caption_height("")) / drawn)
    return _Piece(drawn * scale + _caption_height(""),
                  floating(rf"\scalebox{{{scale:.2f}}}{{%" + "\n" + picture + "}", ""))


def _figure(figure: Figure, printer: LatexPrinter, room: float, lang: str = DEFAULT) -> _Piece:
    """The figure as wide as fits ``room`` (pt) with its caption, up to ``FIGURE_WIDTH``; its
    pgfplots axis takes the width of the minipage it is set in."""
    caption = latex_words(printer, figure.drawn_caption)
    around = FIGURE_LABELS + _caption_height(caption)
    width = max(MIN_FIGURE_WIDTH, min(FIGURE_WIDTH, (room - around) / (0.45 * TEXT_WIDTH)))
    chart = latex_chart(figure.xs, figure.ys, latex_words(printer, figure.x_label),
                        latex_words(printer, figure.y_label), figure.bars,
                        [(limit_label(label, lang, escape), value)
                         for label, value in figure.limit_lines], figure.behind,
                                latex_words(printer, figure.label),
                                [(line.xs, line.ys, latex_words(printer, line.label))
                                 for line in figure.more])
    sized = "\n".join([rf"\begin{{minipage}}{{{width:.2f}\textwidth}}", chart, r"\end{minipage}"])
    return _Piece(0.45 * width * TEXT_WIDTH + around, floating(sized, caption))


def _caption_height(caption: str) -> float:
    return PICTURE_SKIPS + paragraph_height(caption, TEXT_WIDTH, CAPTION_CHARACTER, CAPTION_BASELINE)


def _balanced(pieces: list[_Piece], capacity: float) -> list[list[_Piece]]:
    """The pieces in as few frames as fit them, filled evenly: the lowest height per frame
    that needs no more frames than ``capacity`` does."""
    frames = _filled(pieces, capacity)
    low, high = 0.0, capacity
    while len(frames) > 1 and high - low > 2.0:
        middle = (low + high) / 2
        if len(_filled(pieces, middle)) <= len(frames):
            high = middle
        else:
            low = middle
    return _filled(pieces, high) if len(frames) > 1 else frames


def _filled(pieces: list[_Piece], capacity: float) -> list[list[_Piece]]:
    """The pieces in order, each frame filled to ``capacity``; an equation row that fits no
    frame split between its lines; words kept with what follows them."""
    frames: list[list[_Piece]] = [[]]
    used = 0.0
    queue = list(pieces)
    while queue:
        piece = queue.pop(0)
        cost = _cost(frames[-1], piece)
        following = _cost([piece], queue[0]) if piece.keep_with_next and queue else 0.0
        if used + cost + following <= capacity or not frames[-1] and not piece.display:
            frames[-1].append(piece)
            used += cost
            continue
        if piece.display and _cost([], piece) > capacity:  # taller than any frame
            room = capacity - used - (0.0 if _open_display(frames[-1]) else DISPLAY_SKIPS)
            count = _lines_within(piece.heights, room)
            if count == 0 and not frames[-1]:
                count = 1  # a line taller than a frame: on a frame of its own
            if count:
                head, tail = _split(piece, count)
                frames[-1].append(head)
                queue.insert(0, tail)
                frames.append([])
                used = 0.0
                continue
        frames.append([])
        used = 0.0
        queue.insert(0, piece)
    return [frame for frame in frames if frame]


def _cost(frame: list[_Piece], piece: _Piece) -> float:
    """The height ``piece`` adds after ``frame``'s pieces: a display's skips once per run of
    equation rows."""
    return piece.height + (DISPLAY_SKIPS if piece.display and not _open_display(frame) else 0.0)


def _open_display(frame: list[_Piece]) -> bool:
    return bool(frame) and frame[-1].display


def _lines_within(heights: list[float], room: float) -> int:
    total, count = 0.0, 0
    for height in heights:
        total += height
        if total > room:
            break
        count += 1
    return min(count, len(heights) - 1)  # a whole row is placed whole, not split


def _split(piece: _Piece, count: int) -> tuple[_Piece, _Piece]:
    return (_Piece(sum(piece.heights[:count]), lines=piece.lines[:count],
                   heights=piece.heights[:count]),
            _Piece(sum(piece.heights[count:]), lines=piece.lines[count:],
                   heights=piece.heights[count:]))


def _frame(title: str, pieces: list[_Piece], numbered: bool) -> str:
    body, lines = [], []
    environment = "align" if numbered else "align*"
    for piece in pieces:
        if piece.display:
            lines += piece.lines
            continue
        if lines:
            body.append(aligned(environment, lines))
            lines = []
        body.append(piece.latex)
    if lines:
        body.append(aligned(environment, lines))
    return "\n".join([rf"\begin{{frame}}{{{title}}}", *body, r"\end{frame}"])
