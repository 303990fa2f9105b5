"""Rich text for the terminal, the default format."""

from __future__ import annotations

import io
from functools import singledispatch

import sympy
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from symgrad.activations import ActivationTable
from symgrad.render.document import document
from symgrad.render.latex import pack, side_chunks
from symgrad.render.printing import TextPrinter

TEXT_WIDTH = 100


@singledispatch
def renderable(result, width: int = TEXT_WIDTH) -> Group:
    """The result as a rich renderable; long products break to fit ``width``."""
    doc = document(result)
    printer = TextPrinter(doc.output_layer)
    parts = [Panel(Text(doc.title, style="bold"), expand=False)]
    for section in doc.sections:
        parts.append(Text(f"\n{section.title}", style="bold cyan"))
        if section.words:
            parts.append(Text(section.words, style="dim"))
        for row in section.rows:
            parts.append(_row_text(printer, row, width))
    return Group(*parts)


def _row_text(printer: TextPrinter, row, width: int) -> Text:
    lhs = printer.doprint(row.lhs)
    indent = " " * (len(lhs) + 5)
    line = Text("  ")
    line.append(lhs, style="bold")
    for number, side in enumerate(row.sides):
        if number:
            line.append("\n  " + " " * len(lhs))
        packed = pack(side_chunks(printer, side), width - len(indent), len, " ")
        line.append(" = " + ("\n" + indent).join(packed))
    if row.index_range is not None:
        index, first, last = (printer.doprint(v) for v in row.index_range)
        line.append(f"    ({index} = {first}, …, {last})", style="dim")
    return line


def render_text(result, width: int = TEXT_WIDTH) -> str:
    """Plain text (no colour codes), as written by ``-o FILE``."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, soft_wrap=False).print(renderable(result, width))
    return buffer.getvalue()


@renderable.register
def _(table: ActivationTable, width: int = TEXT_WIDTH) -> Table:
    printer = TextPrinter()
    z, a = sympy.Symbol("z", real=True), sympy.Symbol("a", real=True)
    grid = Table(title="The activation library", show_lines=True)
    for heading in ("name", "σ(z)", "σ'(z)", "σ' through a = σ(z)", "sup σ'", "inf σ'"):
        grid.add_column(heading)
    for activation in table.activations:
        through_output = activation.derivative_from_output(a)
        cells = (
            activation.name,
            printer.doprint(activation.at(z)),
            printer.doprint(activation.derivative_at(z)),
            printer.doprint(through_output) if through_output is not None else "—",
            _extremum_cell(printer, activation.derivative_sup),
            _extremum_cell(printer, activation.derivative_inf),
        )
        grid.add_row(*map(Text, cells))  # Text, not markup: "[z > 0]" is a formula here
    return grid


def _extremum_cell(printer, extremum) -> str:
    value = printer.doprint(extremum.value)
    if not extremum.value.is_Rational:
        value += f" ≈ {sympy.N(extremum.value, 6)}"
    return value + ("" if extremum.attained else " (not attained)") + (
        "" if extremum.exact else " (numerical)")
