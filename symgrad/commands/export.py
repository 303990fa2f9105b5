"""``symgrad export``: a chain's or a matrix net's derived backpropagation as a NumPy,
PyTorch or JAX module."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from symgrad import api
from symgrad.commands import CLOSED_STREAMS
from symgrad.commands.common import HIGHWAY_HELP, act_or_default, command, whole, wholes
from symgrad.errors import SymgradError
from symgrad.files import check_target, write_atomically
from symgrad.networks import MAX_DEPTH
from symgrad.render.code_printers import TARGETS


def _python_file(context, parameter, value):
    """-o FILE: a .py file whose folder exists, checked before any work is done."""
    if value is None:
        return None
    if Path(value).suffix.lower() != ".py":
        raise SymgradError(f"The exported module is Python source: name the output FILE.py, "
                           f"not '{value}'.")
    check_target(value)
    return value


@command("export")
@click.option("--depth", default=None, metavar="L", help=f"Number of layers, 1 to {MAX_DEPTH:,}.")
@click.option("--act", "act", default=None,
              help="Activation: a library name (see 'symgrad acts') or a formula in x.")
@click.option("--widths", default=None, metavar="N0,N1,..,NL",
              help="A matrix net with these layer widths (instead of --depth), in matrix form.")
@click.option("--to", "to", default="numpy", show_default=True, metavar="|".join(TARGETS),
              help="The framework the module is written for.")
@click.option("--residual", is_flag=True, help="Residual chain: a_l = a_{l-1} + σ(z_l).")
@click.option("--highway", is_flag=True, help=HIGHWAY_HELP)
@click.option("--tied", is_flag=True, help="Tied weights and biases (an unrolled RNN).")
@click.option("--cost", default="quadratic", show_default=True, help="quadratic or cross-entropy.")
@click.option("--log-space", "log_space", is_flag=True,
              help="NumPy: also log10_gradients, the backward products as logarithms (no "
                   "overflow or underflow at any depth).")
@click.option("-o", "--output", "output", default=None, metavar="FILE.py",
              callback=_python_file, help="Write to FILE.py (atomically) instead of stdout.")
def export(depth, act, widths, to, residual, highway, tied, cost, log_space, output):
    """A chain's or net's derived backprop as a Python module: gradients, autograd check."""
    source = api.export(whole(depth), act_or_default(act), to=to, residual=residual,
                        highway=highway, tied=tied, cost=cost, log_space=log_space,
                        widths=None if widths is None else wholes(widths))
    if output is not None:
        write_atomically(output, source)
    elif "stdout" in CLOSED_STREAMS:
        raise SymgradError("Cannot write the output: standard output is closed (give -o FILE).")
    else:
        sys.stdout.write(source)
