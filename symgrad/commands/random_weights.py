"""Random weights: ``symgrad meanfield``, ``critical``, ``sample`` and ``spectrum``."""

from __future__ import annotations

from pathlib import Path

import click

from symgrad import api
from symgrad.analysis.finite_width import MAX_SAMPLES
from symgrad.analysis.spectrum import MAX_GRID, MAX_SHALLOWER, spectrum_work
from symgrad.commands.common import (
    ACT_HELP,
    TEXT_OUTPUTS,
    advance,
    checked_output,
    command,
    emit,
    output_options,
    progress_bar,
    whole,
    wholes,
)
from symgrad.digits import MAX_MEANFIELD_DPS, MEANFIELD_DPS
from symgrad.errors import SymgradError
from symgrad.files import write_atomically
from symgrad.render import (
    FORMATS,
)
from symgrad.render.plot import (
    FILE_TYPES,
    figure_bytes,
    histogram_figure,
)


def random_weights(depth_help: str):
    """The options of a wide net with random weights at its fixed point (meanfield,
    spectrum): the activation, σ_w², σ_b² and the depth."""
    def decorate(function):
        for option in reversed((
                click.option("--act", "act", default="tanh", show_default=True, help=ACT_HELP),
                click.option("--sigma-w2", "sigma_w2", default="1", show_default=True, metavar="V",
                             help="Weight variance σ_w² (× 1/n)."),
                click.option("--sigma-b2", "sigma_b2", default="0", show_default=True, metavar="V",
                             help="Bias variance."),
                click.option("--depth", default="1", show_default=True, metavar="L",
                             help=depth_help))):
            function = option(function)
        return function
    return decorate


@command("meanfield")
@random_weights("Depth for χ1^L.")
@click.option("--dps", default=str(MEANFIELD_DPS), show_default=True,
              help=f"Significant digits, 1 to {MAX_MEANFIELD_DPS}.")
@output_options
def meanfield(act, sigma_w2, sigma_b2, depth, dps, fmt, output):
    """Random weights: the fixed point q*, χ1, the depth scale ξ, the regime and χ1^L."""
    emit(api.meanfield(act, sigma_w2=sigma_w2, sigma_b2=sigma_b2, depth=whole(depth),
                        dps=whole(dps)), fmt, output)



@command("critical")
@click.option("--act", "act", default="tanh", show_default=True, help=ACT_HELP)
@click.option("--sigma-b2", "sigma_b2", default="0", show_default=True, metavar="V|V1,V2,..",
              help="Bias variance σ_b², or a comma list for the critical line.")
@click.option("--dps", default=str(MEANFIELD_DPS), show_default=True,
              help=f"Significant digits, 1 to {MAX_MEANFIELD_DPS}.")
@output_options
def critical(act, sigma_b2, dps, fmt, output):
    """The σ_w² with χ1 = 1 (the edge of chaos) for each σ_b², with q* there."""
    emit(api.critical(act, sigma_b2=sigma_b2.split(","), dps=whole(dps)), fmt, output)



@command("sample")
@click.option("--depth", required=True, metavar="L", help="Layers per net.")
@click.option("--act", "act", default="tanh", show_default=True, help=ACT_HELP)
@click.option("--sigma-w2", "sigma_w2", default="1", show_default=True, metavar="V",
              help="Weight variance σ_w² (× 1/n).")
@click.option("--sigma-b2", "sigma_b2", default="0", show_default=True, metavar="V", help="Bias variance.")
@click.option("--width", default="1", show_default=True, help="Units per layer (1: scalar chains).")
@click.option("--samples", default="1000", show_default=True, help="How many nets to draw.")
@click.option("--seed", default="0", show_default=True, help="The seed of the draws.")
@click.option("-o", "--output", "output", default=None, metavar="FILE",
              callback=checked_output(TEXT_OUTPUTS + FILE_TYPES),
              help="Write to FILE: .png/.svg/.pdf a histogram (needs symgrad[plot]); "
                   ".json/.tex/.md/.txt the results.")
@click.option("--format", "fmt", default=None, metavar="|".join(FORMATS),
              help="Output format; default text, or from FILE's suffix.")
def sample(depth, act, sigma_w2, sigma_b2, width, samples, seed, output, fmt):
    """Draw random nets: the spread of log10 |∂C/∂a_0|/|∂C/∂a_L|, beside mean field's χ1^L."""
    suffix = Path(output).suffix.lower() if output is not None else None
    if suffix in FILE_TYPES and fmt is not None:
        raise SymgradError(f"A {suffix} file is a histogram; --format applies to text outputs.")
    depth, count = whole(depth), whole(samples)
    sized = isinstance(depth, int) and isinstance(count, int)  # (else the API refuses them)
    with progress_bar(2 * depth * count if sized else 0) as report:  # sample-layers, both ways
        result = api.sample(depth, act, sigma_w2=sigma_w2, sigma_b2=sigma_b2, width=whole(width),
                            samples=count, seed=whole(seed), progress=advance(report))
    if suffix in FILE_TYPES:
        write_atomically(output, figure_bytes(histogram_figure(result), suffix))
        return
    emit(result, fmt, output)




@command("spectrum")
@random_weights("Layers.")
@click.option("--weights", default="orthogonal", show_default=True, metavar="gaussian|orthogonal",
              help="Gaussian weights, or σ_w times a random orthogonal matrix.")
@click.option("--dps", default=str(MEANFIELD_DPS), show_default=True,
              help=f"Significant digits of the numbers, 1 to {MAX_MEANFIELD_DPS}.")
@click.option("--moments", default="4", show_default=True, help="How many moments of JJᵀ.")
@click.option("--grid", default="200", show_default=True,
              help="Points of (0, λ_max] the density is sampled at (float64).")
@click.option("--at", "at", default=None, metavar="λ1,λ2,..",
              help="Squared singular values to give the density at, to --dps digits.")
@click.option("--width", default=None, metavar="N", help="Sample nets of this width beside the limit.")
@click.option("--samples", default="20", show_default=True, help="How many nets to sample.")
@click.option("--seed", default="0", show_default=True, help="The seed of the draws.")
@click.option("--also-depths", "also_depths", default=None, metavar="L1,L2,..",
              help=f"Up to {MAX_SHALLOWER} smaller depths whose densities are drawn beside.")
@output_options
def spectrum(act, sigma_w2, sigma_b2, depth, weights, dps, moments, grid, at, width, samples,
             seed, also_depths, fmt, output):
    """The whole spectrum of JJᵀ (J = ∂a^L/∂a^0) of a wide random net at the fixed point:
    its moments and spread, the largest squared singular value, the density, isometric
    or not (free probability); with --width, sampled nets beside it."""
    count, points = whole(samples), whole(grid)
    others = () if also_depths is None else wholes(also_depths)
    sized = (isinstance(count, int) and count <= MAX_SAMPLES and isinstance(points, int)
             and points <= MAX_GRID and len(others) <= MAX_SHALLOWER)  # (else a refusal)
    work = spectrum_work(points, others, width, count) if sized else 0
    with progress_bar(work, unit="steps") as report:
        result = api.spectrum(whole(depth), act, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                              weights=weights, dps=whole(dps), moments=whole(moments),
                              grid=points, at=at, width=None if width is None else whole(width),
                              samples=count, seed=whole(seed), progress=advance(report),
                              also_depths=others)
    emit(result, fmt, output)
