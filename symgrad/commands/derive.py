"""``symgrad derive``: a chain's, net's or cell's backprop derived symbolically."""

from __future__ import annotations

from pathlib import Path

import click

from symgrad import api, arguments
from symgrad.commands.common import (
    CELL_ACT_HELP,
    HIGHWAY_HELP,
    PRINTED_FACTORS_PER_LAYER,
    PROGRESS_FROM_DERIVE_DEPTH,
    PROGRESS_FROM_DERIVE_STEPS,
    SUFFIX_FORMATS,
    act_or_default,
    advance,
    cell_options,
    command,
    emit,
    output_options,
    progress_bar,
    whole,
    wholes,
    written_under,
)
from symgrad.derive.chain import ALL_LAYERS_UP_TO
from symgrad.errors import SymgradError
from symgrad.networks import (
    MAX_DERIVE_DEPTH,
    MAX_DERIVE_STEPS,
    chain_layer,
)
from symgrad.render.printing import planned_print_work, print_work


@command("derive")
@click.option("--depth", default=None, metavar="L", help=f"Number of layers, 1 to {MAX_DERIVE_DEPTH}.")
@click.option("--general", is_flag=True, help="Symbolic depth L, in product notation.")
@click.option("--act", "act", default=None, help=CELL_ACT_HELP)
@click.option("--residual", is_flag=True, help="Residual chain: a_l = a_{l-1} + σ(z_l).")
@click.option("--highway", is_flag=True, help=HIGHWAY_HELP)
@click.option("--tied", is_flag=True, help="Tied weights and biases (an unrolled RNN).")
@click.option("--cost", default="quadratic", show_default=True,
              help="quadratic or cross-entropy.")
@click.option("--layers", default=None, metavar="LIST",
              help=f"Layers written out in full, e.g. 1,2,5 or 'all' (default: all up to depth "
                   f"{ALL_LAYERS_UP_TO}, else the first and last).")
@click.option("--widths", default=None, metavar="N0,N1,..,NL",
              help="A matrix net with these layer widths (instead of --depth), e.g. 2,3,2.")
@cell_options(derive=True)
@click.option("--fragment", is_flag=True, help="LaTeX/Markdown without the preamble or title.")
@output_options
def derive(depth, general, act, residual, highway, tied, cost, layers, widths, cell, steps,
           fragment, fmt, output):
    """Forward pass, δ recursion and closed forms of every layer's gradient."""
    if cell is not None:  # (--general is this command's spelling of steps None)
        if general and steps is not None:
            raise SymgradError("Give either --steps or --general, not both.")
        if not general and steps is None:
            raise SymgradError("Give the number of steps with --steps T, or --general for symbolic T.")
        steps = whole(steps)
        shown = isinstance(steps, int) and PROGRESS_FROM_DERIVE_STEPS <= steps <= MAX_DERIVE_STEPS
        with progress_bar(steps if shown else 0, shown, "steps") as report:
            result = api.derive(whole(depth), act_or_default(act), residual=residual, tied=tied, cost=cost,
                                layers=layers, widths=None if widths is None else wholes(widths),
                                cell=cell, steps=steps, highway=highway,
                                progress=advance(report))
        emit(result, fmt, output, fragment)
        return
    if general and depth is not None:  # (--general is this command's spelling of depth None)
        raise SymgradError("Give either --depth or --general, not both.")
    if general and widths is not None:
        arguments.only_for_a_chain({"general": general})
    if not general and depth is None and widths is None:
        raise SymgradError("Give the number of layers with --depth L, or --general for symbolic L.")
    depth = whole(depth)
    layers = None if layers is None else "all" if layers.strip() == "all" else wholes(layers)
    shown = widths is None and isinstance(depth, int) and \
        PROGRESS_FROM_DERIVE_DEPTH <= depth <= MAX_DERIVE_DEPTH
    work = depth if shown else 0
    if shown:  # and the printing's share, planned (made exact once the derivation is done)
        guess = fmt or (SUFFIX_FORMATS.get(Path(output).suffix.lower()) if output else None)
        try:
            layer = chain_layer(residual=residual, highway=highway)
            work += planned_print_work(depth, layers, layer, tied, guess) / PRINTED_FACTORS_PER_LAYER
        except SymgradError:  # layers the API refuses (in its own sentence) before any work
            pass
    with progress_bar(work, shown) as report:
        result = api.derive(depth, act_or_default(act), residual=residual, tied=tied, cost=cost,
                            layers=layers, widths=None if widths is None else wholes(widths),
                            steps=whole(steps), highway=highway, progress=advance(report))
        write = written_under(report, result, fmt, output, fragment, per_unit=PRINTED_FACTORS_PER_LAYER,
                               total=lambda fmt: result.chain.depth + print_work(result, fmt)
                               / PRINTED_FACTORS_PER_LAYER, held=True, description="printing")
    write()

