"""``symgrad bounds``: worst-case bounds on the gradient's gain, and the regime."""

from __future__ import annotations

import click

from symgrad import api
from symgrad.commands.common import (
    CELL_ACT_HELP,
    act_or_default,
    cell_options,
    command,
    emit,
    highway_options,
    output_options,
    whole,
)
from symgrad.digits import DEFAULT_DPS, MAX_DPS
from symgrad.networks import (
    MAX_DEPTH,
)


@command("bounds")
@click.option("--depth", default=None, metavar="L", help=f"Number of layers, 1 to {MAX_DEPTH}.")
@click.option("--act", "act", default=None, help=CELL_ACT_HELP)
@click.option("--residual", is_flag=True, help="Residual chain: factor 1 + w σ'(z) per layer.")
@highway_options
@click.option("--w", "w", default=None, metavar="V|V1,..,VL",
              help="Weights: one value for every layer or a comma list (default 1).")
@click.option("--x", "x", default=None, metavar="V|V1,..",
              help="Cell: the inputs' range, from the least to the greatest value given "
                   "(default -1,1).")
@click.option("--seed", default=None, help="Cell: draw the parameters not set.")
@click.option("--dps", default=str(DEFAULT_DPS), show_default=True,
              help=f"Significant digits, 1 to {MAX_DPS}.")
@cell_options()
@output_options
def bounds(depth, act, residual, highway, p, q, w, x, seed, dps, cell, steps, settings, h0, c0,
           fmt, output):
    """Worst-case bounds on |∂C/∂a_0| / |∂C/∂a_L|, the regime, and where floats give up;
    with --cell, a recurrent cell's bounds over every state and input."""
    emit(api.bounds(whole(depth), act_or_default(act), w=w, residual=residual, highway=highway, p=p,
                     q=q, dps=whole(dps), cell=cell, steps=whole(steps), parameters=settings,
                     x=x, h0=h0, c0=c0, seed=whole(seed)), fmt, output)

