"""Charts of y against x: on a terminal (one mark per column), and in LaTeX (a pgfplots
axis, drawn by TeX itself: no image file). ``symgrad plot`` and the SVG images beside a
Markdown document draw the same data with matplotlib (``symgrad.render.plot``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from symgrad.analysis.float_formats import FORMATS

LIMIT_FORMATS = ("float32", "float64")  # the formats whose limits a chart of magnitudes marks


@dataclass(frozen=True)
class Frame:
    """The points to draw (None values, e.g. log10 0, left out) and their ranges."""

    points: tuple[tuple[float, float], ...]
    x_low: float
    x_high: float
    y_low: float
    y_high: float

    def at(self, x: float, y: float, width: float, height: float) -> tuple[float, float]:
        """(column, row-from-bottom) of a point on a width × height canvas."""
        column = 0 if self.x_high == self.x_low else (x - self.x_low) / (self.x_high - self.x_low) * width
        return column, (y - self.y_low) / (self.y_high - self.y_low) * height

    @property
    def y_ticks(self) -> tuple[float, float, float]:
        return self.y_low, (self.y_low + self.y_high) / 2, self.y_high


NOTHING_TO_CHART = "Nothing to chart: every value is exactly 0"
NOTHING_TO_CHART_WITH = NOTHING_TO_CHART + " ({formula})."  # and a formula: log10 0 = -∞
LOG_ZERO = r"\log_{10} 0 = -\infty"  # the formula, in LaTeX
ENCLOSURES_CHARTED = " (enclosure: midpoint; upper end if it reaches 0)"


def frame(xs: Sequence[float], ys: Sequence[float | None], bars: bool = False,
          behind: tuple[Sequence[float], Sequence[float]] | None = None) -> Frame | None:
    """The points and their ranges; ``bars`` (a histogram): the y range starts at 0;
    ``behind`` (a histogram's edges and heights, drawn behind the line): the ranges take
    it in too."""
    points = tuple((x, y) for x, y in zip(xs, ys) if y is not None)
    if not points:
        return None
    y_low, y_high = min(p[1] for p in points), max(p[1] for p in points)
    x_low, x_high = min(p[0] for p in points), max(p[0] for p in points)
    if behind is not None:
        edges, heights = behind
        x_low, x_high = min(x_low, edges[0]), max(x_high, edges[-1])
        y_low, y_high = min(y_low, 0), max(y_high, *heights)
    if bars:
        y_low = min(y_low, 0)
    if y_high == y_low:  # one level: a band around it (relative, so -4.3e299 ± 1 is no band)
        spread = max(1.0, abs(y_low) * 1e-3)
        y_low, y_high = y_low - spread, y_high + spread
    return Frame(points, x_low, x_high, y_low, y_high)


def terminal_chart(xs: Sequence[float], ys: Sequence[float | None], width: int = 60,
                   height: int = 12, y_label: str = "", bars: bool = False,
                   nothing: str = NOTHING_TO_CHART + ".",
                   behind: tuple[Sequence[float], Sequence[float]] | None = None,
                   more: Sequence[tuple[Sequence[float], Sequence[float | None]]] = ()) -> str:
    """Points (x, y) as a character grid (y None: the value is 0, log10 = -∞); ``bars``:
    each point a bar up from 0 (a histogram); ``behind``: a histogram (edges, heights)
    shaded under the points; ``more``: more curves (xs, ys), each in its mark of
    ``LINE_MARKS`` after the first's. With no point to draw: ``nothing``."""
    box = frame([*xs, *(x for line in more for x in line[0])],
                [*ys, *(y for line in more for y in line[1])], bars, behind)
    if box is None:
        return "\n".join(([y_label] if y_label else []) + [nothing])
    grid = [[" "] * width for _ in range(height)]
    if behind is not None:
        edges, heights = behind
        for column in range(width):
            x = box.x_low + (box.x_high - box.x_low) * column / (width - 1)
            height_there = _height_at(edges, heights, x)
            if height_there > 0:
                _, row = box.at(x, height_there, width - 1, height - 1)
                for filled in range(round(row) + 1):
                    grid[height - 1 - filled][column] = "░"
    for mark, (line_xs, line_ys) in reversed(list(zip(LINE_MARKS, [(xs, ys), *more]))):
        for x, y in zip(line_xs, line_ys):
            if y is None:
                continue
            column, row = box.at(x, y, width - 1, height - 1)
            if bars:
                for filled in range(round(row) + 1 if y > 0 else 0):
                    grid[height - 1 - filled][round(column)] = "█"
            else:
                grid[height - 1 - round(row)][round(column)] = mark
    low, middle, high = (f"{v:.4g}" for v in box.y_ticks)
    label_width = max(map(len, (low, middle, high)))
    label_rows = {0: high, (height - 1) // 2: middle, height - 1: low}
    lines = [f"{y_label}"] if y_label else []
    for number, cells in enumerate(grid):
        lines.append(f"{label_rows.get(number, ''):>{label_width}} ┤" + "".join(cells))
    lines.append(" " * label_width + " └" + "─" * width)
    left, right = f"{box.x_low:g}", f"{box.x_high:g}"
    lines.append(" " * (label_width + 2) + left + right.rjust(width - len(left)))
    return "\n".join(lines)


LINE_MARKS = "•∘×+◆"  # a terminal chart's curves, the first's mark first


def _height_at(edges: Sequence[float], heights: Sequence[float], x: float) -> float:
    """The histogram's height over ``x`` (0 outside its bins)."""
    for left, right, height in zip(edges, edges[1:], heights):
        if left <= x <= right:
            return height
    return 0.0


def float_limit_lines() -> list[tuple[str, float]]:
    """(label, log10 value) of the largest finite number and smallest subnormal of
    float32 and float64: past them a float overflows to inf or underflows to 0."""
    lines = []
    for fmt in FORMATS:
        if fmt.name in LIMIT_FORMATS:
            largest = math.log10(fmt.largest.p) - math.log10(fmt.largest.q)
            smallest = -math.log10(fmt.smallest_subnormal.q)
            lines += [(template.format(format=fmt.name), value) for template, value
                      in zip(LIMIT_LABELS, (largest, smallest))]
    return lines


LIMIT_LABELS = ("{format} overflow", "{format} underflow")  # as float_limit_lines writes them


def limit_label(label: str, lang: str, escape=str) -> str:
    """A float limit's label ("float32 overflow") in ``lang``, its text through ``escape``."""
    from symgrad.render.language import phrase  # (it reads documents, which draw charts)

    name, _, kind = label.partition(" ")
    return phrase(lang, "{format} " + kind, escape, format=name)


def limits_in_view(box: Frame) -> list[tuple[str, float]]:
    """The float limits within the data's y range or near it (at most half its height
    beyond): the ones worth a line on a chart of log10 magnitudes."""
    reach = (box.y_high - box.y_low) / 2
    return [(label, value) for label, value in float_limit_lines()
            if box.y_low - reach <= value <= box.y_high + reach]


def nice_step(span: float, most: int) -> float:
    """The smallest of 1, 2, 5 times a power of ten that cuts ``span`` into at most
    ``most`` steps."""
    power = 10.0 ** math.floor(math.log10(span / most)) if span > 0 else 1.0
    return next(step * power for step in (1, 2, 5, 10) if span / (step * power) <= most)


def integer_ticks(low: float, high: float, most: int = 8) -> list[int]:
    """Round whole-number ticks from ``low`` to ``high`` (layers: never 2.5)."""
    step = max(1, round(nice_step(high - low, most)))
    first = math.ceil(low / step) * step
    return list(range(first, math.floor(high) + 1, step))


def _number(value: float) -> str:
    """A coordinate for pgfplots: every digit of the float, in fixed notation (399, not
    399.0 or 3.99e+02)."""
    return format(Decimal(repr(float(value))).normalize(), "f")


def _quieter_end(box: Frame, value: float) -> str:
    """The end of a horizontal line at ``value`` ("left" or "right") farther from the
    data, where its label is clear of the curve."""
    first, last = box.points[0][1], box.points[-1][1]
    return "left" if abs(first - value) >= abs(last - value) else "right"


def bar_width(box: Frame) -> float:
    """A histogram's bar: as wide as the closest two bins are apart (1 for one bin)."""
    xs = sorted(x for x, _ in box.points)
    return min((b - a for a, b in zip(xs, xs[1:])), default=1.0)


MARKS_UP_TO = 40  # points on a line with a mark on each; beyond, every n-th is marked
LATEX_LINE_STYLES = ("color=red!70!black, mark=square*", "color=green!45!black, mark=triangle*",
                     "color=orange!85!black, mark=diamond*", "color=violet, mark=pentagon*")


def latex_chart(xs: Sequence[float], ys: Sequence[float | None], x_label: str, y_label: str,
                bars: bool = False, limits: Sequence[tuple[str, float]] = (),
                behind: tuple[Sequence[float], Sequence[float]] | None = None,
                label: str = "", more: Sequence[tuple[Sequence[float], Sequence[float | None], str]] = ()
                ) -> str:
    """The points as a pgfplots axis: a line with marks (``bars``: a histogram, each
    point a bar up from 0), round ticks, the labels (LaTeX) on the axes, and ``limits``
    ((label, value): the float limits in view) as labelled dashed lines; ``behind``: a
    histogram (edges, heights) shaded under the line; ``more``: more lines (xs, ys,
    legend entry), in a legend with the first's ``label``. A value None (log10 of 0)
    breaks a line; there must be a point to draw."""
    box = frame([*xs, *(x for line in more for x in line[0])],
                [*ys, *(y for line in more for y in line[1])], bars, behind)
    options = [r"width=0.9\textwidth", r"height=0.45\textwidth", f"xlabel={{{x_label}}}",
               f"ylabel={{{y_label}}}", "scaled ticks=false", "unbounded coords=jump",
               r"tick label style={font=\small}", "grid=major",
               r"grid style={gray!25}", r"every axis plot/.append style={line join=round}"]
    if more:
        options += ["legend pos=north east", "legend cell align=left",
                    r"legend style={font=\small}"]
    if all(float(x).is_integer() for x in xs):
        ticks = integer_ticks(box.x_low, box.x_high)
        options.append("xtick={" + ",".join(map(str, ticks)) + "}")
    if not bars:
        values = [value for _, value in limits]
        options += [f"ymin={_number(min([box.y_low, *values]))}",
                    f"ymax={_number(max([box.y_high, *values]))}",
                    "enlarge y limits=0.08"]
    else:
        width = bar_width(box)
        options += ["ybar", f"bar width={_number(width)}", "ymin=0",
                    "enlarge y limits={upper, value=0.05}",
                    f"enlarge x limits={{abs={_number(width)}}}"]
        plot = r"\addplot[fill=gray!45, draw=black!70]"
    if not bars:
        options.append("enlarge x limits=0.03")
        repeat = math.ceil(len(box.points) / MARKS_UP_TO)
        plot = (r"\addplot[thick, color=blue!70!black, mark=*, mark size=1.3pt"
                + (f", mark repeat={repeat}" if repeat > 1 else "") + "]")
    coordinates = " ".join(f"({_number(x)},{'nan' if y is None else _number(y)})"
                           for x, y in zip(xs, ys))
    lines = [r"\begin{tikzpicture}", r"\begin{axis}[" + ",\n  ".join(options) + "]"]
    if behind is not None:  # ybar interval: each height spans its bin (the last edge repeats it)
        edges, heights = behind
        steps = " ".join(f"({_number(x)},{_number(y)})"
                         for x, y in zip(edges, [*heights, heights[-1]]))
        lines.append(r"\addplot[ybar interval, fill=gray!25, draw=gray!60, forget plot] "
                     f"coordinates {{{steps}}};")
    lines.append(f"{plot} coordinates {{{coordinates}}};")
    if more:
        lines.append(rf"\addlegendentry{{{label}}}")
    for (line_xs, line_ys, line_label), style in zip(more, LATEX_LINE_STYLES):
        points = " ".join(f"({_number(x)},{'nan' if y is None else _number(y)})"
                          for x, y in zip(line_xs, line_ys))
        repeat = math.ceil(len(line_xs) / MARKS_UP_TO)
        lines.append(rf"\addplot[thick, {style}, mark size=1.3pt"
                     + (f", mark repeat={repeat}" if repeat > 1 else "")
                     + f"] coordinates {{{points}}};")
        lines.append(rf"\addlegendentry{{{line_label}}}")
    for label, value in limits:
        at_left = _quieter_end(box, value) == "left"
        lines.append(rf"\addplot[forget plot, dashed, gray, sharp plot, mark=none] coordinates "
                     rf"{{({_number(box.x_low)},{_number(value)}) "
                     rf"({_number(box.x_high)},{_number(value)})}} "
                     rf"node[pos={0 if at_left else 1}, anchor=south {'west' if at_left else 'east'}, "
                     rf"font=\scriptsize, text=black!70] {{{label}}};")
    lines += [r"\end{axis}", r"\end{tikzpicture}"]
    return "\n".join(lines)
