"""``symgrad verify``: check a hand-derived gradient."""

from __future__ import annotations

import sys

import click

from symgrad import api
from symgrad.commands.common import (
    HIGHWAY_HELP,
    cell_options,
    chain_options,
    command,
    emit,
    given_on_command_line,
    output_options,
    whole,
    wholes,
)
from symgrad.verify import MAX_VERIFY_DEPTH


@command("verify")
@chain_options(MAX_VERIFY_DEPTH, "Tied weights and biases (names w and b).")
@click.option("--highway", is_flag=True, help=HIGHWAY_HELP)
@click.option("--target", default=None, metavar="NAME",
              help="What the claim is: delta<l>, grad_w<l>, grad_b<l> (highway: grad_p<l>, "
                   "grad_q<l>) or input_gradient; a cell's grad_<parameter> (grad_wf) or "
                   "grad_h0 (lstm: grad_c0).")
@click.option("--claim", default=None, metavar="FORMULA",
              help="The formula, in x, y, a0.., z1.., w1.., b1.., dC_daL, sigma(z), dsigma(z) "
                   "(highway: p1.., q1.., t1..; a cell: its parameters, x1.., h0, c0, y and "
                   "each step's quantities, i1.., f1.., c1.., h1..).")
@click.option("--widths", default=None, metavar="N0,N1,..,NL",
              help="A small matrix net (widths and depth up to 6) instead of --depth; targets "
                   "delta<l>_<j>, grad_w<l>_<j>_<k>, grad_b<l>_<j>, input_gradient_<k>.")
@cell_options(derive=True)
@click.option("--seed", default="0", show_default=True, help="Seed of the random check points.")
@output_options
def verify_claim(depth, act, residual, tied, cost, highway, target, claim, widths, cell, steps,
                 seed, fmt, output):
    """Check a hand-derived gradient: exit 0 if correct, 1 (and how it is wrong) if not."""
    verdict = api.verify(claim, target, depth=whole(depth),
                         widths=None if widths is None else wholes(widths),
                         act=act if given_on_command_line("act") else api.DEFAULT_ACT,
                         residual=residual, tied=tied, highway=highway, cost=cost,
                         seed=whole(seed), cell=cell, steps=whole(steps))
    emit(verdict, fmt, output)
    if not verdict.correct:
        sys.exit(1)

