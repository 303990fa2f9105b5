"""``symgrad acts``: the activation table."""

from __future__ import annotations

import click

from symgrad import api
from symgrad.commands.common import (
    command,
    emit,
    output_options,
)


@command("acts")
@click.option("--act", "acts_", multiple=True, metavar="NAME|FORMULA",
              help="Show these activations (repeat; library names or formulas in x) instead "
                   "of the whole library.")
@output_options
def acts(acts_, fmt, output):
    """The activation table: formula, derivative, sup and inf of the derivative."""
    emit(api.acts(*acts_), fmt, output)

