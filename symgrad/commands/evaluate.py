"""``symgrad eval``: exact values per layer, beside float64 and float32."""

from __future__ import annotations

import click

from symgrad import api
from symgrad.commands.common import (
    CELL_ACT_HELP,
    CELL_STEP_COST,
    act_or_default,
    advance,
    cell_options,
    chain_options,
    chosen_format,
    command,
    emit,
    highway_options,
    long_pass,
    output_options,
    progress_bar,
    told,
    whole,
    wholes,
    written_under,
)
from symgrad.digits import DEFAULT_DPS, MAX_DPS
from symgrad.networks import (
    INITS,
    MAX_DEPTH,
    MAX_STEPS,
    check_depth,
)
from symgrad.render.document import displayed_layers


@command("eval")
@chain_options(MAX_DEPTH, "Tied weights and biases (an unrolled RNN).", CELL_ACT_HELP)
@click.option("--w", "w", default=None, metavar="V|V1,..,VL",
              help="Weights: one value for every layer or a comma list (default 1).")
@click.option("--b", "b", default=None, metavar="V|V1,..,VL", help="Biases (default 0).")
@click.option("--x", "x", default=None, help="The input a_0.")
@click.option("--y", "y", default=None, help="The target (default 0).")
@click.option("--z", "z", default=None, metavar="V|V1,..,VL",
              help="Gain mode: fix the preactivations z_l (no x, y or b).")
@click.option("--upstream", default=None, help="Gain mode: ∂C/∂a_L (default 1).")
@highway_options
@click.option("--dps", default=str(DEFAULT_DPS), show_default=True,
              help=f"Significant digits, 1 to {MAX_DPS}.")
@click.option("--interval", is_flag=True, help="Certified enclosures [lo, hi] of every value.")
@click.option("--widths", default=None, metavar="N0,N1,..,NL", help="A matrix net (instead of --depth).")
@click.option("--init", default=None, help=f"Matrix net: draw the weights: {', '.join(INITS)}.")
@click.option("--seed", default=None, help="Matrix net: the seed of the draw (default 0).")
@click.option("--scale", default=None, help="Matrix net: multiply every drawn weight (default 1).")
@click.option("--weights", "weights_file", default=None, metavar="FILE",
              help="Matrix net: weights and biases from a JSON file.")
@click.option("--spectrum/--no-spectrum", default=None,
              help="Matrix net: the Jacobian's singular values, or not (default: up to width 128).")
@cell_options()
@output_options
def evaluate(depth, act, residual, tied, cost, w, b, x, y, z, upstream, highway, p, q, dps,
             interval, widths, init, seed, scale, weights_file, spectrum, cell, steps, settings, h0,
             c0, fmt, output):
    """Exact forward and backward values per layer, at any precision, beside float64/float32."""
    fmt = chosen_format(fmt, output)
    given = dict(act=act_or_default(act), w=w, b=b, x=x, y=y, z=z, upstream=upstream, residual=residual,
                 highway=highway, p=p, q=q, tied=tied,
                 cost=cost, dps=whole(dps), interval=interval, init=init, seed=whole(seed),
                 scale=scale, weights=weights_file, spectrum=spectrum)
    if cell is not None:
        steps = whole(steps)
        shown = isinstance(steps, int) and 1 <= steps <= MAX_STEPS and \
            long_pass(steps * CELL_STEP_COST, given["dps"])
        with progress_bar(2 * steps if shown else 0, shown, "steps") as report:  # a run planned
            result = api.evaluate(whole(depth), widths=None if widths is None else wholes(widths),
                                  cell=cell, steps=steps, parameters=settings, h0=h0, c0=c0,
                                  progress=advance(report, 2 * steps) if shown else None,
                                  **given)
        emit(result, fmt, output)
        return
    if widths is not None:
        with progress_bar(0) as report:  # opened once the work planned is worth a bar
            result = api.evaluate(whole(depth), widths=wholes(widths), progress=told(report),
                                  steps=whole(steps), parameters=settings, h0=h0, c0=c0, **given)
        emit(result, fmt, output)
        return
    # The layers shown, and the bar, are sized by the depth: checked here as the API checks it.
    depth = None if depth is None else check_depth(whole(depth))
    keep = None if fmt == "json" or depth is None else displayed_layers(depth)  # JSON: every layer
    layers = depth or 0  # (none: the API asks for them)
    run = 2 * layers  # a run of the pass: forward and backward; one planned (a certified
    # or exact run), the bar grown by a run for each further one
    with progress_bar(run + (layers if fmt == "json" else 0),
                   long_pass(layers, given["dps"])) as report:
        result = api.evaluate(depth, keep=keep, progress=advance(report, run),
                              steps=whole(steps), parameters=settings, h0=h0, c0=c0, **given)
        write = written_under(report, result, fmt, output, total=lambda fmt: report.done
                               + (depth if fmt == "json" else 0))
    write()

