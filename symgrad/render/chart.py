"""Charts of y against x: on a terminal (one mark per column), and in LaTeX (a
``picture``, so a document needs no package and no image file). Both scale the same
points the same way; ``symgrad plot`` draws the same data with matplotlib."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
ENCLOSURES_CHARTED = " (enclosure: midpoint; upper end if it reaches 0)"


def frame(xs: Sequence[float], ys: Sequence[float | None], bars: bool = False) -> Frame | None:
    """The points and their ranges; ``bars`` (a histogram): the y range starts at 0."""
    points = tuple((x, y) for x, y in zip(xs, ys) if y is not None)
    if not points:
        return None
    y_low, y_high = min(p[1] for p in points), max(p[1] for p in points)
    if bars:
        y_low = min(y_low, 0)
    if y_high == y_low:  # one level: a band around it (relative, so -4.3e299 ± 1 is no band)
        spread = max(1.0, abs(y_low) * 1e-3)
        y_low, y_high = y_low - spread, y_high + spread
    return Frame(points, min(p[0] for p in points), max(p[0] for p in points), y_low, y_high)


def terminal_chart(xs: Sequence[float], ys: Sequence[float | None], width: int = 60,
                   height: int = 12, y_label: str = "", bars: bool = False) -> str:
    """Points (x, y) as a character grid (y None: the value is 0, log10 = -∞); ``bars``:
    each point a bar up from 0 (a histogram)."""
    box = frame(xs, ys, bars)
    if box is None:
        return "\n".join(([y_label] if y_label else []) + [NOTHING_TO_CHART + "."])
    grid = [[" "] * width for _ in range(height)]
    for x, y in box.points:
        column, row = box.at(x, y, width - 1, height - 1)
        if bars:
            for filled in range(round(row) + 1 if y > 0 else 0):
                grid[height - 1 - filled][round(column)] = "█"
        else:
            grid[height - 1 - round(row)][round(column)] = "•"
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


def latex_chart(xs: Sequence[float], ys: Sequence[float | None], x_label: str, y_label: str,
                width: float = 110, height: float = 55, bars: bool = False) -> str:
    """The points as a LaTeX ``picture`` (unit 1 mm), with axes, ticks and labels (math);
    ``bars``: each point a bar up from 0."""
    box = frame(xs, ys, bars)
    if box is None:
        return NOTHING_TO_CHART + r" ($\log_{10} 0 = -\infty$)." + "\n"
    parts = [r"\begin{center}", r"\setlength{\unitlength}{1mm}",
             rf"\begin{{picture}}({width + 20:.0f},{height + 14:.0f})(-16,-9)",
             rf"\put(0,0){{\line(1,0){{{width:.0f}}}}}", rf"\put(0,0){{\line(0,1){{{height:.0f}}}}}"]
    for value in box.y_ticks:
        _, row = box.at(box.x_low, value, width, height)
        parts.append(rf"\put(-1,{row:.2f}){{\makebox(0,0)[r]{{\scriptsize ${value:.4g}$}}}}")
        parts.append(rf"\put(0,{row:.2f}){{\line(1,0){{1.5}}}}")
    for value in (box.x_low, box.x_high):
        column, _ = box.at(value, box.y_low, width, height)
        parts.append(rf"\put({column:.2f},-3){{\makebox(0,0){{\scriptsize ${value:g}$}}}}")
    parts.append(rf"\put({width / 2:.0f},-7){{\makebox(0,0){{\small ${x_label}$}}}}")
    parts.append(rf"\put(-14,{height + 5:.0f}){{\makebox(0,0)[l]{{\small ${y_label}$}}}}")
    if bars:
        parts.append(rf"\linethickness{{{0.6 * width / max(len(box.points), 1):.2f}mm}}")
    for x, y in box.points:
        column, row = box.at(x, y, width, height)
        if bars:
            parts.append(rf"\put({column:.2f},0){{\line(0,1){{{row:.2f}}}}}")
        else:
            parts.append(rf"\put({column:.2f},{row:.2f}){{\circle*{{0.8}}}}")
    parts += [r"\end{picture}", r"\end{center}"]
    return "\n".join(parts)
