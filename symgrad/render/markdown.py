"""Markdown: headings, words, and ``$$`` blocks of aligned LaTeX."""

from __future__ import annotations

from symgrad.render.chart import terminal_chart
from symgrad.render.document import Grid, document
from symgrad.render.latex import equation_block
from symgrad.render.printing import LatexPrinter


def render_markdown(result, fragment: bool = False) -> str:
    doc = document(result)
    printer = LatexPrinter(doc.output_layer)
    parts = [] if fragment else [f"# {doc.title}"]
    for section in doc.sections:
        parts.append(f"## {section.title}")
        if section.words:
            parts.append(section.words)
        if section.rows:
            parts.append("$$\n" + equation_block(printer, section.rows, "aligned") + "\n$$")
        if section.grid is not None:
            parts.append(grid_table(section.grid))
        if section.figure is not None:
            figure = section.figure
            parts.append("```\n" + terminal_chart(figure.xs, figure.ys, y_label=figure.text_label,
                                                   bars=figure.bars)
                         + "\n```")
    return "\n\n".join(parts) + "\n"


def grid_table(grid: Grid) -> str:
    """A pipe table; the first column left-aligned, numbers right-aligned."""
    rule = ["---"] + ["---:"] * (len(grid.headers) - 1)
    lines = [grid.headers, rule, *grid.rows]
    return "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |"
                     for line in lines)
