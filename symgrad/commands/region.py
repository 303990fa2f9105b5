"""``symgrad region``: where |w σ'(z)| ≥ 1."""

from __future__ import annotations

import click

from symgrad import api
from symgrad.analysis.region import MAX_REGION_DPS, MAX_WIDEST_DPS, REGION_DPS
from symgrad.commands.common import (
    ACT_HELP,
    command,
    emit,
    output_options,
    whole,
)


@command("region")
@click.option("--act", "act", default="sigmoid", show_default=True, help=ACT_HELP)
@click.option("--w", "w", default=None, metavar="V", help="The weight w.")
@click.option("--b", "b", default="0", show_default=True, metavar="V", help="The bias b.")
@click.option("--maximize", is_flag=True, help="Find the |w| whose region is widest in input space.")
@click.option("--dps", default=str(REGION_DPS), show_default=True,
              help=f"Digits of the interval ends, 1 to {MAX_REGION_DPS} (--maximize: {MAX_WIDEST_DPS}).")
@output_options
def region(act, w, b, maximize, dps, fmt, output):
    """Where |w σ'(z)| ≥ 1: the preactivations (and inputs) where a layer does not shrink the gradient."""
    emit(api.region(act, w, b, maximize=maximize, dps=whole(dps)), fmt, output)

