"""Rich text for the terminal, the default format."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import sympy
from rich.cells import cell_len
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from symgrad.activations import ActivationTable
from symgrad.errors import SymgradError
from symgrad.numeric.real import decimal, log10_abs, relative_width, table_cell
from symgrad.render.breaking import formula_lines
from symgrad.render.chart import ENCLOSURES_CHARTED, LINE_MARKS, NOTHING_TO_CHART, terminal_chart
from symgrad.render.diagram import Diagram
from symgrad.render.document import Document, Figure, Grid, charted_layers, shown_layers
from symgrad.render.language import DEFAULT, LANGUAGES, check_language, phrase
from symgrad.render.number_style import column_styled, styled
from symgrad.render.printing import TextPrinter, uncounted
from symgrad.render.prose import Words

if TYPE_CHECKING:
    from symgrad.numeric.evaluate import ChainEvaluation

TEXT_WIDTH = 100
NARROW_TABLE_WIDTH = 110  # below this the eval table drops its z and a columns


def document_renderable(doc: Document, width: int = TEXT_WIDTH) -> Group:
    """A result's document as a rich renderable; long products break to fit ``width``."""
    printer = TextPrinter(doc.output_layer)
    parts = [Panel(Text(text_words(printer, doc.title), style="bold"), expand=False)]
    for section in doc.sections:
        parts.append(Text(f"\n{text_words(printer, section.title)}", style="bold cyan"))
        if section.words:
            parts.append(Text(text_words(printer, section.words), style="dim"))
        if section.diagram is not None:
            parts.append(Text(text_diagram(section.diagram, printer)))
            parts.append(Text(text_words(printer, section.diagram.caption), style="dim"))
        for row in section.rows:
            parts.append(_row_text(printer, row, width))
        if section.grid is not None:
            parts.append(_grid_table(section.grid))
        if section.figure is not None:
            parts.append(Text(text_chart(section.figure, doc.lang, min(60, width - 14),
                                         printer)))
    return Group(*parts)


def text_words(printer: TextPrinter, words: Words) -> str:
    """Words as terminal text: each formula of a ``Prose`` in the printer's Unicode."""
    if isinstance(words, str):
        return words
    with uncounted():
        return words.printed(str, printer.doprint)


def text_chart(figure: Figure, lang: str = DEFAULT, width: int = 60,
               printer: TextPrinter | None = None) -> str:
    """A figure as a terminal chart, under its heading (a figure's words are in ``lang``)."""
    printer = printer or TextPrinter()
    chart = terminal_chart(figure.xs, figure.ys, width=width,
                           y_label=text_words(printer, figure.text_label),
                           bars=figure.bars, nothing=phrase(lang, NOTHING_TO_CHART + "."),
                           behind=figure.behind,
                           more=[(line.xs, line.ys) for line in figure.more])
    if not figure.more or figure.empty:
        return chart
    labels = [figure.label, *(line.label for line in figure.more)]
    return chart + "\n" + "   ".join(f"{mark} {text_words(printer, label)}"
                                     for mark, label in zip(LINE_MARKS, labels))


def text_diagram(diagram: Diagram, printer: TextPrinter) -> str:
    """The diagram as lines of arrows: a chain row by row (a_0 ─w1→ z1 ─σ→ a1 …, the
    backward row ←), a net layer by layer (its units, ⇉ to the next layer's)."""
    with uncounted():
        names = {node.key: "⋯" if node.label is None else printer.doprint(node.label)
                 for node in diagram.nodes}
        if diagram.layered:
            columns = sorted({node.column for node in diagram.nodes})
            layers = [" ".join(names[node.key] for node in diagram.nodes
                               if node.column == column) for column in columns]
            return "  " + " ⇉ ".join(layers[:-1]) + " → " + layers[-1]
        edges = {(edge.start, edge.end): edge for edge in diagram.edges if edge.role != "skip"}
        lines = []
        for row in sorted({node.row for node in diagram.nodes}):
            nodes = sorted((node for node in diagram.nodes if node.row == row),
                           key=lambda node: node.column)
            line, places = "  ", {}
            for before, node in zip([None, *nodes], nodes):
                if before is not None:
                    line += _joint(edges, before.key, node.key, printer)
                places[node.key] = (len(line), len(line) + len(names[node.key]) - 1)
                line += names[node.key]
            arcs = [(places[e.start][1], places[e.end][0]) for e in diagram.edges
                    if e.role == "skip" and e.start in places]
            if arcs:  # a residual's identity paths, over the row
                lines.append(_arcs(arcs, len(line)))
            lines.append(line)
        return "\n".join(lines)


def _arcs(arcs: list[tuple[int, int]], width: int) -> str:
    """╭───╮ from each start column to each end column."""
    cells = [" "] * width
    for start, end in arcs:
        cells[start], cells[end] = "╭", "╮"
        cells[start + 1:end] = "─" * (end - start - 1)
    return "".join(cells).rstrip()


def _joint(edges: dict, before: str, after: str, printer: TextPrinter) -> str:
    """What joins two neighbours of a row: an arrow either way, labelled if it has one."""
    forward, backward = edges.get((before, after)), edges.get((after, before))
    edge = forward or backward
    if edge is None or "gap" in before + after:
        return " "
    if edge.label is None:
        return " → " if forward else " ← "
    label = printer.doprint(edge.label)
    return f" ─{label}→ " if forward else f" ←{label}─ "


def _grid_table(grid: Grid) -> Table:
    """A table; its numbers in the one number style, each column's aligned on the point."""
    table, printer = Table(show_edge=False), TextPrinter()
    columns = list(zip(*grid.rows)) if grid.rows else [()] * len(grid.headers)
    for number, (heading, column) in enumerate(zip(grid.headers, columns)):
        table.add_column(Text(text_words(printer, heading)),
                         justify="left" if number == 0 else _justify(column), overflow="fold")
    cells = [_column_texts(printer, column) for column in columns]
    for row in zip(*cells):
        table.add_row(*(Text(cell) for cell in row))
    return table


FIGURE_SPACE = "\u2007"  # a space as wide as a digit: pads numbers to line up their points


def _number_text(text: str) -> str:
    """A decimal (the evaluator's digits, or a float's shortest repr) in the one number
    style; other text (inf, an enclosure) as it is."""
    number = styled(text)
    return text if number is None else number.text()


def _column_texts(printer: TextPrinter, column) -> list[str]:
    """A column's cells as text: its numbers styled and padded on the left so that their
    points line up in a left-aligned column (9.53674·10⁻⁷ over -0.196612); other cells
    as words."""
    numbers = column_styled(column)
    width = max((len(n.sign + n.whole) for n in numbers if n is not None), default=0)
    return [text_words(printer, cell) if number is None else
            FIGURE_SPACE * (width - len(number.sign + number.whole)) + number.text()
            for cell, number in zip(column, numbers)]


def _justify(column) -> str:
    """Left for a column of numbers (padded to line up their points), else right."""
    return "left" if any(n is not None for n in column_styled(column)) else "right"


def _row_text(printer: TextPrinter, row, width: int) -> Text:
    lhs = printer.doprint(row.lhs)
    indent = " " * (len(lhs) + 5)
    line = Text("  ")
    line.append(lhs, style="bold")
    for number, side in enumerate(row.sides):
        if number:
            line.append("\n  " + " " * len(lhs))
        packed = formula_lines(printer, side, width - len(indent))
        line.append(f" {row.relation(number)} " + ("\n" + indent).join(packed))
    if row.index_range is not None:
        index, first, last = (printer.doprint(v) for v in row.index_range)
        line.append(f"    ({index} = {first}, …, {last})", style="dim")
    # Lines that fit need no word wrap, which would change nothing here and takes
    # seconds over the 10,000 lines of a deep chain's products (``width`` is never wider
    # than the console the row is printed on).
    if all(cell_len(part) <= width for part in line.plain.split("\n")):
        line.no_wrap = True
    return line


def plain_text(shown, width: int = TEXT_WIDTH) -> str:
    """A rich renderable as plain text (no colour codes), as written by ``-o FILE``."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, soft_wrap=False).print(shown)
    return buffer.getvalue()


def english_only(result, lang: str) -> None:
    """A result with no document (a table of its own) is shown in English only."""
    if check_language(lang) != DEFAULT:
        raise SymgradError(f"This {type(result).__name__} is shown in English only; "
                           f"{LANGUAGES[lang]} is for documents such as the notes.")


def activation_table(table: ActivationTable) -> Table | Group:
    """The activation library as one terminal table (with a note on each jump)."""
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
    jumping = [activation for activation in table.activations if activation.jumps]
    if not jumping:
        return grid
    notes = [f"{activation.name} jumps at z = {', '.join(map(printer.doprint, activation.jumps))}:"
             " σ' is taken on each piece, as autograd takes it; the jump (a Dirac delta in σ') "
             "is no part of backprop, so sup and inf hold off the jumps."
             for activation in jumping]
    return Group(grid, *(Text(note, style="dim") for note in notes))


def _extremum_cell(printer, extremum) -> str:
    value = printer.doprint(extremum.value)
    if not extremum.value.is_Rational:
        value += f" ≈ {sympy.N(extremum.value, 6)}"
    return value + ("" if extremum.attained else " (not attained)") + (
        "" if extremum.exact else " (numerical)")


def _inserted(columns: dict, after: str, name: str, cell) -> dict:
    """``columns`` with ``name`` placed right after ``after``."""
    placed = {}
    for key, value in columns.items():
        placed[key] = value
        if key == after:
            placed[name] = cell
    return placed


def evaluation_table(evaluation: ChainEvaluation, width: int = TEXT_WIDTH) -> Group:
    """A chain's evaluation as a terminal table of the layers shown, a chart and the floats'
    verdicts, in ``width`` columns (below NARROW_TABLE_WIDTH without z_l and a_l)."""
    chain, point = evaluation.chain, evaluation.point
    mode = "gain mode, preactivations fixed" if point.gain_mode else f"{chain.cost} cost"
    kind = "Certified enclosures" if evaluation.interval else "Exact backward pass"
    heading = (f"{kind}: {chain.kind} {chain.activation.name} chain, depth "
               f"{evaluation.depth}, {evaluation.dps} digits ({mode})")
    columns = {
        "l": lambda v: str(v.layer),
        "z_l": lambda v: table_cell(v.z),
        "a_l": lambda v: table_cell(v.a),
        "σ'(z_l)": lambda v: table_cell(v.act_prime),
        "gain": lambda v: table_cell(v.gain),
        "δ_l": lambda v: table_cell(v.delta),
        "log10|δ_l|": lambda v: table_cell(v.log10_abs("delta")),
        "∂C/∂w_l": lambda v: table_cell(v.grad_w),
    }
    layer = chain.layer  # a kind's gates after a_l, its own parameters' gradients last
    for name in reversed(layer.gate_names):
        columns = _inserted(columns, "a_l", f"{name}_l",
                            lambda v, name=name: table_cell(v.gates[name]))
    for name in layer.parameters:
        columns[f"∂C/∂{name}_l"] = lambda v, name=name: table_cell(v.own_gradients[name])
    title = "Layer by layer (δ_l = ∂C/∂b_l)"
    if width < NARROW_TABLE_WIDTH:  # the forward values give way first; JSON has them all
        columns.pop("z_l"), columns.pop("a_l")
        own = [f"∂C/∂{name}_l" for name in layer.parameters]
        for name in own:
            columns.pop(name)
        hidden = ["z_l", "a_l", *own]
        title += f"; {', '.join(hidden[:-1])} and {hidden[-1]} in a wider terminal or JSON"
    if evaluation.interval:
        title += "\nenclosures: every value in each shows these digits"
    grid = Table(title=title, show_edge=False)
    values = [evaluation.layer(layer) for layer in shown_layers(evaluation.depth)]
    printer = TextPrinter()
    raw = [[cell(v) for v in values] for cell in columns.values()]
    for column, cells in zip(columns, raw):
        grid.add_column(column, justify="right" if column == "l" else _justify(cells),
                        no_wrap=True)
    cells = [_column_texts(printer, column) for column in raw]
    for row in zip(*cells):
        grid.add_row(*row)
    digits = evaluation.dps
    summary = Text()
    summary.append("∂C/∂a_0 = ", style="bold")
    summary.append(_number_text(decimal(evaluation.input_gradient, digits)))
    summary.append(f"\nlog10|∂C/∂a_0| = {_number_text(decimal(log10_abs(evaluation.input_gradient), 8))}")
    summary.append(f"\n∂C/∂a_L = {_number_text(decimal(evaluation.output_gradient, digits))}")
    if evaluation.interval:
        summary.append("\nrelative width of the ∂C/∂a_0 enclosure: "
                       f"{_number_text(decimal(relative_width(evaluation.input_gradient), 3, 'up'))}")
    if evaluation.uncertified is not None:
        summary.append("\nTwo runs at rising working digits agree on every value shown; they "
                       f"are not certified: {evaluation.uncertified.words}.")
    if evaluation.grad_w_total is not None:
        summary.append("\n∂C/∂w (tied, Σ_l a_(l-1) δ_l) = "
                       f"{_number_text(decimal(evaluation.grad_w_total, digits))}")
    floats = Text("\nThe same pass in floats:", style="bold")
    for breakdown in evaluation.floats:
        verdict = breakdown.words
        floats.append(f"\n  {breakdown.format}: {verdict}; ∂C/∂a_0 = "
                      f"{_number_text(repr(breakdown.input_gradient))}", style="")
    layers = charted_layers(evaluation.depth)
    chart = terminal_chart(layers, evaluation.magnitudes(layers),
                           width=min(60, max(10, width - 14)),
                           y_label="log10|δ_l| against l"
                           + (ENCLOSURES_CHARTED if evaluation.interval else ""))
    return Group(Panel(Text(heading, style="bold"), expand=False), summary, Text(""), grid,
                 Text("\n" + chart), floats)


