"""``symgrad notes``: lecture notes and slides."""

from __future__ import annotations

import click

from symgrad import api
from symgrad.commands.common import (
    CELL_ACT_HELP,
    act_or_default,
    advance,
    cell_options,
    chosen_format,
    command,
    emit,
    highway_options,
    output_options,
    progress_bar,
    whole,
    wholes,
)
from symgrad.layers import CELLS
from symgrad.notes import MAX_NOTES_DEPTH, RANDOM_WEIGHTS_WORK, cell_notes_work
from symgrad.render import (
    LANGUAGES,
    Slides,
    check_words_language,
)
from symgrad.render.language import DEFAULT as DEFAULT_LANGUAGE
from symgrad.render.language import check_language
from symgrad.render.slides import check_slides_format


@command("notes")
@click.option("--depth", default=None, metavar="L", help=f"Number of layers, 1 to {MAX_NOTES_DEPTH}.")
@click.option("--widths", default=None, metavar="N0,..,NL", help="A matrix net instead of a chain.")
@click.option("--act", "act", default=None, help=CELL_ACT_HELP)
@click.option("--residual", is_flag=True, help="Residual chain: a_l = a_{l-1} + σ(z_l).")
@highway_options
@click.option("--cost", default="quadratic", show_default=True, help="quadratic or cross-entropy.")
@click.option("--w", "w", default=None, metavar="V|V1,..,VL",
              help="Weights: the bounds use them; with --x or --z the notes show values.")
@click.option("--b", "b", default=None, metavar="V|V1,..,VL", help="Biases (default 0).")
@click.option("--x", "x", default=None,
              help="The input a_0 (values and a figure); cell: the inputs (default 1), whose range "
                   "the bounds cover (default -1,1).")
@click.option("--y", "y", default=None, help="The target (default 0).")
@click.option("--z", "z", default=None, metavar="V|V1,..,VL", help="Gain mode: fixed preactivations.")
@click.option("--init", default=None, help="Matrix net: draw weights for the values section.")
@click.option("--seed", default=None,
              help="Matrix net: the seed of the draw (default 0); cell: draw the parameters not set.")
@click.option("--random-weights", "random_weights", is_flag=True,
              help="Add random weights at the edge of chaos: the Jacobian's spectrum, Gaussian "
                   "against orthogonal weights.")
@click.option("--fragment", is_flag=True, help="The body only, for \\input into your own notes.")
@click.option("--slides", is_flag=True, help="A Beamer presentation (LaTeX, or -o FILE.pdf compiled).")
@click.option("--lang", default=DEFAULT_LANGUAGE, show_default=True, metavar="|".join(LANGUAGES),
              callback=lambda context, parameter, value: check_language(value),
              help="The language of the words (the formulas are the same): en or ja.")
@cell_options()
@output_options(default="Markdown (with --slides, LaTeX)")
def notes(depth, widths, act, residual, highway, p, q, cost, w, b, x, y, z, init, seed,
          random_weights, fragment, slides, lang, cell, steps, settings, h0, c0, fmt, output):
    """Lecture notes: the whole vanishing/exploding-gradient argument, with exact numbers."""
    if fmt is None and output is None:
        fmt = "latex" if slides else "markdown"
    check_words_language(chosen_format(fmt, output), lang)
    if slides:  # refused before any work
        check_slides_format(chosen_format(fmt, output), fragment)
    given = dict(widths=None if widths is None else wholes(widths), w=w, b=b, x=x, y=y, z=z,
                 residual=residual, highway=highway, p=p, q=q, cost=cost, init=init,
                 seed=whole(seed), random_weights=random_weights)
    if cell is None:  # (the random-weights results take seconds each: a bar counts them)
        with progress_bar(RANDOM_WEIGHTS_WORK, shown=random_weights, unit="results") as report:
            result = api.notes(whole(depth), act_or_default(act), steps=whole(steps),
                               parameters=settings, h0=h0, c0=c0,
                               progress=advance(report) if random_weights else None, **given)
    else:  # (a cell's bounds and runs take seconds each: a bar counts them)
        kind = CELLS.get(cell) if isinstance(cell, str) else None  # (a wrong name: refused)
        with progress_bar(cell_notes_work(kind) if kind else 1, unit="results") as report:
            result = api.notes(whole(depth), act_or_default(act), cell=cell, steps=whole(steps),
                               parameters=settings, h0=h0, c0=c0, progress=advance(report),
                               **given)
    emit(_talk(result, slides), fmt, output, fragment, lang)



def _talk(notes, slides: bool):
    """The notes, or with --slides the talk made of them."""
    return Slides(notes) if slides else notes

