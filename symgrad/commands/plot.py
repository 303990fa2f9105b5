"""``symgrad plot``: log10 of the gradient against the layer or step."""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from symgrad import api, arguments
from symgrad.activations import get_activation
from symgrad.commands.common import (
    CELL_STEP_COST,
    PLOT_DPS,
    StdoutConsole,
    advance,
    cell_options,
    checked_output,
    command,
    highway_options,
    long_pass,
    progress_bar,
    whole,
)
from symgrad.errors import SymgradError, quoted
from symgrad.files import write_atomically
from symgrad.layers import cell_kind
from symgrad.networks import (
    MAX_DEPTH,
    chain_layer,
    check_depth,
    check_steps,
)
from symgrad.render.chart import terminal_chart
from symgrad.render.document import charted_layers
from symgrad.render.plot import (
    FILE_TYPES,
    PLOT_POINTS,
    QUANTITIES,
    Curve,
    curve,
    figure,
    figure_bytes,
)


@command("plot")
@click.option("--depth", default=None, metavar="L", help=f"Number of layers, 1 to {MAX_DEPTH}.")
@click.option("--act", "acts_", multiple=True, metavar="NAME",
              help="Activation; repeat for several curves (default sigmoid).")
@click.option("--w", "ws", multiple=True, metavar="V|V1,..,VL",
              help="Weights; repeat for several curves (a comma list is per layer, as in eval).")
@click.option("--b", "b", default=None, metavar="V|V1,..,VL", help="Biases (default 0).")
@click.option("--x", "x", default=None, help="The input a_0 (default 1/2).")
@click.option("--y", "y", default=None, help="The target (default 0).")
@click.option("--z", "z", default=None, metavar="V|V1,..,VL", help="Gain mode: fixed preactivations.")
@click.option("--residual", is_flag=True, help="Residual chains.")
@highway_options
@click.option("--compare", is_flag=True,
              help="With --residual or --highway: plain chains beside them.")
@click.option("--cost", default="quadratic", show_default=True, help="quadratic or cross-entropy.")
@click.option("--quantity", default="delta", show_default=True, help="delta (δ_l) or grad_w (∂C/∂w_l).")
@cell_options(plot=True)
@click.option("-o", "--output", "output", default=None, metavar="FILE",
              callback=checked_output(FILE_TYPES),
              help="Write the figure (.png, .svg, .pdf); without it, terminal charts.")
def plot(depth, acts_, ws, b, x, y, z, residual, highway, p, q, compare, cost, quantity, cell,
         steps, settings, h0, c0, output):
    """log10|δ_l| (or |∂C/∂w_l|) against l for every combination asked for, on one figure;
    with --cell, log10|∂C/∂h_t| against the step t of each cell."""
    if cell:
        for name, value in (("--depth", depth), ("--w", ws), ("--b", b), ("--z", z),
                            ("--residual", residual), ("--highway", highway), ("--p", p),
                            ("--q", q), ("--compare", compare),
                            ("--cost", cost != "quadratic"), ("--quantity", quantity != "delta")):
            if value:
                raise SymgradError(f"--cell describes a recurrent cell; {name} belongs to a chain.")
        _plot_cells(cell, steps, acts_, settings, x, y, h0, c0, output)
        return
    for name, value in (("--steps", steps), ("--set", settings), ("--h0", h0), ("--c0", c0)):
        if value is not None:
            raise SymgradError(f"{name} belongs to a recurrent cell; give --cell rnn, lstm or gru.")
    if depth is None:
        raise SymgradError("Give the number of layers with --depth L (or cells with --cell).")
    if quantity not in QUANTITIES:
        raise SymgradError(f"Unknown quantity '{quantity}'; use delta or grad_w.")
    kind = chain_layer(residual=residual, highway=highway).name
    if compare and kind == "plain":
        raise SymgradError("--compare sets residual or highway chains beside plain ones; add "
                           "--residual or --highway.")
    depth = check_depth(whole(depth))  # (sizes the curves' points, as the API checks it)
    keep = set(charted_layers(depth, PLOT_POINTS))
    curves = []
    for act in acts_ or ("sigmoid",):
        for w in ws or ("1",):
            for shown in (("plain", kind) if compare else (kind,)):
                activation = get_activation(act)
                label = f"{'' if shown == 'plain' else shown + ' '}{activation.name}, w = {w}" + \
                    "".join(f", {name} = {value}" for name, value in (("p", p), ("q", q))
                            if value is not None and shown == kind)
                gated = shown == "highway"
                with progress_bar(4 * depth, long_pass(depth, PLOT_DPS)) as report:  # two runs
                    evaluation = api.evaluate(depth, activation, w=w, b=b, x="1/2" if x is None and
                                              z is None else x, y=y, z=z,
                                              residual=shown == "residual", highway=gated,
                                              p=p if shown == kind else None,  # (refused by
                                              q=q if shown == kind else None,  # a plain one)
                                              cost=cost, dps=PLOT_DPS, keep=keep,
                                              progress=advance(report, 2 * depth, 2))
                curves.append(curve(evaluation, quantity, label))
    _show_curves(curves, quantity, f"log10 |{QUANTITIES[quantity][0]}| against the layer, depth "
                 f"{depth}", output)



def _show_curves(curves: list, quantity: str, title: str, output: str | None) -> None:
    """The curves as terminal charts, or as one figure written to ``output``."""
    if output is None:
        console = StdoutConsole(soft_wrap=False)
        for c in curves:
            console.print(Text(c.label, style="bold"))
            console.print(Text(terminal_chart(c.layers, c.magnitudes, y_label=title)))
        return
    write_atomically(output, figure_bytes(figure(curves, quantity, title), Path(output).suffix.lower()))



def _plot_cells(cells, steps, acts, settings, x, y, h0, c0, output):
    """One curve of log10|∂C/∂h_t| per cell (and per --act for the rnn), on one figure."""
    if steps is None:
        raise SymgradError("Give the number of steps with --steps T.")
    steps = check_steps(whole(steps))  # (sizes the bars, as the API checks it)
    given = {} if settings is None else arguments.settings(settings, "--set")
    kinds = [cell_kind(cell) for cell in dict.fromkeys(cells)]
    unused = set(given) - {p for kind in kinds for p in kind.parameters}
    if unused:  # (before any curve is computed)
        raise SymgradError(f"No cell plotted has the parameter {quoted(sorted(unused)[0])}.")
    for option, value, takes in (("--c0", c0, "c"), ("--act", acts, "rnn")):
        if value and not any(takes in (kind.state + (kind.name,)) for kind in kinds):
            raise SymgradError(f"No cell plotted takes {option} (the {'lstm' if takes == 'c' else 'rnn'} "
                               "cell does).")
    curves = []
    for cell in dict.fromkeys(cells):
        kind = cell_kind(cell)
        own = {name: value for name, value in given.items() if name in kind.parameters}
        for act in (acts or (None,)) if kind.uses_activation else (None,):
            with progress_bar(4 * steps, long_pass(steps * CELL_STEP_COST, PLOT_DPS),
                           "steps") as report:
                evaluation = api.evaluate_cell(
                    cell, steps, act, parameters=own, x="1" if x is None else x,
                    y="0" if y is None else y, h0="0" if h0 is None else h0,
                    c0=c0 if "c" in kind.state else None, dps=PLOT_DPS,
                    progress=advance(report, 2 * steps, 2))
            label = kind.name + (f" ({evaluation.net.activation.name})" if act else "")
            curves.append(Curve(label, tuple(range(1, steps + 1)), evaluation.magnitudes("h")))
    _show_curves(curves, "dC_dh", f"log10 |∂C/∂h_t| against the step, {steps} steps", output)

