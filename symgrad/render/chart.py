"""A terminal chart: one mark per column, y on a labelled axis. Plots reuse the same data."""

from __future__ import annotations

from collections.abc import Sequence


def terminal_chart(xs: Sequence[float], ys: Sequence[float | None], width: int = 60,
                   height: int = 12, y_label: str = "") -> str:
    """Points (x, y) as a character grid; ``None`` values (e.g. log10 0) are left out."""
    points = [(x, y) for x, y in zip(xs, ys) if y is not None]
    if not points:
        return ""
    x_low, x_high = min(p[0] for p in points), max(p[0] for p in points)
    y_low, y_high = min(p[1] for p in points), max(p[1] for p in points)
    if y_high == y_low:
        y_low, y_high = y_low - 1, y_high + 1
    grid = [[" "] * width for _ in range(height)]
    for x, y in points:
        column = 0 if x_high == x_low else round((x - x_low) / (x_high - x_low) * (width - 1))
        row = round((y_high - y) / (y_high - y_low) * (height - 1))
        grid[row][column] = "•"
    labels = [f"{y_high:.4g}", f"{(y_high + y_low) / 2:.4g}", f"{y_low:.4g}"]
    label_width = max(map(len, labels))
    label_rows = {0: labels[0], (height - 1) // 2: labels[1], height - 1: labels[2]}
    lines = [f"{y_label}"] if y_label else []
    for number, cells in enumerate(grid):
        lines.append(f"{label_rows.get(number, ''):>{label_width}} ┤" + "".join(cells))
    lines.append(" " * label_width + " └" + "─" * width)
    left, right = f"{x_low:g}", f"{x_high:g}"
    lines.append(" " * (label_width + 2) + left + right.rjust(width - len(left)))
    return "\n".join(lines)
