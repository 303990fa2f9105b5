"""The command line: options -> spec -> call -> renderer. Nothing else lives here."""

from __future__ import annotations

import codecs
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import click
import gmpy2
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from symgrad import api, arguments
from symgrad.activations import get_activation
from symgrad.analysis.meanfield import MAX_MEANFIELD_DPS, MEANFIELD_DPS
from symgrad.analysis.region import MAX_REGION_DPS, MAX_WIDEST_DPS, REGION_DPS
from symgrad.api import COMMAND_SECONDS
from symgrad.budget import OverBudget
from symgrad.derive.chain import ALL_LAYERS_UP_TO
from symgrad.errors import SymgradError, quoted
from symgrad.files import check_target, write_all, write_atomically
from symgrad.layers import CELLS, cell_kind
from symgrad.networks import (
    MAX_DEPTH,
    MAX_DERIVE_DEPTH,
    MAX_DERIVE_STEPS,
    MAX_STEPS,
    chain_layer,
    check_depth,
    check_steps,
)
from symgrad.notes import MAX_NOTES_DEPTH, cell_notes_work
from symgrad.numeric.evaluate import DEFAULT_DPS, MAX_DPS
from symgrad.numeric.net_parameters import INITS
from symgrad.render import (
    FILE_ONLY_FORMATS,
    FORMATS,
    LANGUAGES,
    Slides,
    check_words_language,
    output_files,
    render_chunks,
)
from symgrad.render.chart import terminal_chart
from symgrad.render.document import charted_layers, displayed_layers
from symgrad.render.formats import TextFormat
from symgrad.render.language import DEFAULT as DEFAULT_LANGUAGE
from symgrad.render.language import check_language
from symgrad.render.markdown import IMAGE_KINDS, image_path
from symgrad.render.plot import (
    FILE_TYPES,
    PLOT_POINTS,
    QUANTITIES,
    Curve,
    curve,
    figure,
    figure_bytes,
    histogram_figure,
)
from symgrad.render.printing import planned_print_work, print_work, reporting
from symgrad.render.slides import check_slides_format
from symgrad.verify import MAX_VERIFY_DEPTH

PROGRESS_FROM_DEPTH = 10_000  # layers at the default digits: a few seconds of work
PROGRESS_FROM_DERIVE_DEPTH = 5_000  # about a second of derivation
PROGRESS_FROM_DERIVE_STEPS = 200  # a cell's steps written out: about a second
CELL_STEP_COST = 20  # a cell's step costs about as much as this many chain layers
# The derive bar's unit: one layer derived (its σ'(z) made concrete, about 110 µs), or
# this many factors printed, which take about as long (3 to 10 µs each).
PRINTED_FACTORS_PER_LAYER = 20
PROGRESS_FROM_WORK = 2e6  # a net's work (symgrad.numeric.work): about a second
PLOT_DPS = 20  # a curve needs a few digits of log10; the pass is exact to these
ACT_HELP = ("Activation: a library name, e.g. sigmoid or leaky_relu:0.1 (see 'symgrad acts'), "
            "or a formula in x, e.g. \"x/(1+exp(-x))\".")
CELL_ACT_HELP = ACT_HELP + " Default sigmoid; an rnn cell's tanh (lstm and gru take none)."
_SUFFIX_FORMATS = {".tex": "latex", ".md": "markdown", ".json": "json", ".txt": "text",
                   ".html": "html", ".htm": "html", ".pdf": "pdf"}


_WHOLE = re.compile(r"\s*[+-]?[0-9]+\s*")


def _whole(text: str | None) -> int | str | None:
    """A whole number typed as text, however long (gmpy2 reads 10^100000 exactly, where
    int() stops at 4,300 digits); any other text as it is (None: not given). The API
    checks the value, and refuses text in its own sentence."""
    if text is None or not _WHOLE.fullmatch(text):
        return text
    return int(gmpy2.mpz(text.strip()))


def _wholes(text: str) -> list[int | str]:
    """A comma list of whole numbers (widths, layers), each as ``_whole`` reads it."""
    return [_whole(part) for part in text.split(",")]


def _checked_output(suffixes):
    """A click callback: the -o FILE a command can write (a known suffix, a folder that
    exists), checked before any work is done."""
    def check(context, parameter, value):
        if value is None:
            return None
        suffix = Path(value).suffix.lower()
        if suffix and suffix not in suffixes or not suffix and "" not in suffixes:
            raise SymgradError(f"Cannot write a '{suffix or value}' file; name the output "
                               f"{', '.join(s for s in suffixes if s)}"
                               f"{' (or give it no suffix, for text)' if '' in suffixes else ''}.")
        check_target(value)
        if suffix == ".md":  # and the first images beside it (any further ones as they are written)
            for kind in IMAGE_KINDS:
                check_target(image_path(value, kind, 1))
        return value
    return check


TEXT_OUTPUTS = ("", *_SUFFIX_FORMATS)


def _output_options(command=None, *, default: str = "text"):
    """-o and --format; ``default``: the format written when neither is given."""
    def decorate(command):
        command = click.option("-o", "--output", "output", default=None, metavar="FILE",
                               callback=_checked_output(TEXT_OUTPUTS),
                               help="Write to FILE (atomically) instead of stdout.")(command)
        return click.option("--format", "fmt", default=None, metavar="|".join(FORMATS),
                            help=f"Output format; default {default}, or from FILE's "
                                 "suffix.")(command)
    return decorate if command is None else decorate(command)


HIGHWAY_HELP = ("Highway chain: a_l = t_l σ(z_l) + (1 - t_l) a_{l-1}, gate "
                 "t_l = sigmoid(p_l a_{l-1} + q_l).")


def _highway_options(command):
    """--highway and its gate's --p, --q (one value or one per layer)."""
    for name, what in (("q", "biases q_l (default 0)"), ("p", "weights p_l (default 1)")):
        command = click.option(f"--{name}", name, default=None, metavar="V|V1,..,VL",
                               help=f"Highway: the gate's {what}.")(command)
    return click.option("--highway", is_flag=True, help=HIGHWAY_HELP)(command)


def _chain_options(maximum_depth: int, tied_help: str, act_help: str | None = None):
    """--depth, --act, --residual, --tied and --cost of a scalar chain; ``act_help``: --act
    has no default of its own (the API's, told in the help)."""
    def decorate(command):
        for option in reversed((
            click.option("--depth", default=None, metavar="L",
                         help=f"Number of layers, 1 to {maximum_depth}."),
            click.option("--act", "act", default="sigmoid", show_default=True, help=ACT_HELP)
            if act_help is None else click.option("--act", "act", default=None, help=act_help),
            click.option("--residual", is_flag=True, help="Residual chain: a_l = a_{l-1} + σ(z_l)."),
            click.option("--tied", is_flag=True, help=tied_help),
            click.option("--cost", default="quadratic", show_default=True,
                         help="quadratic or cross-entropy."),
        )):
            command = option(command)
        return command
    return decorate


def _cell_options(derive: bool = False, plot: bool = False):
    """--cell and --steps (and for eval and plot the cell's parameters and inputs)."""
    def decorate(command):
        options = [
            click.option("--cell", "cell", default=None, multiple=plot, metavar="rnn|lstm|gru",
                         help="A recurrent cell unrolled over --steps (instead of --depth)"
                              + ("; repeat to compare." if plot else ".")),
            click.option("--steps", default=None, metavar="T", help="The cell's steps."),
        ]
        if not derive:
            options += [
                click.option("--set", "settings", default=None, metavar="NAME=V,..",
                             help="Cell parameters, e.g. wf=1.5,bf=1 (the rest by default, or "
                                  "drawn with --seed)."),
                click.option("--h0", default=None, help="Cell: the initial h_0 (default 0)."),
                click.option("--c0", default=None, help="LSTM: the initial c_0 (default 0)."),
            ]
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


def _given(name: str) -> bool:
    """Whether the option ``name`` (its parameter name) was typed, not left at its default."""
    source = click.get_current_context().get_parameter_source(name)
    return source is not None and source != click.core.ParameterSource.DEFAULT


def _act(text: str | None):
    """--act as typed, or the API's default when it is not given (a cell's own)."""
    return api.DEFAULT_ACT if text is None else text


def _format(fmt: str | None, output: str | None) -> str:
    """--format, else the output file's suffix, else text. A file's suffix must be one
    symgrad writes (or none), and agree with --format when both are given."""
    if fmt is not None and fmt not in FORMATS:
        raise SymgradError(f"Unknown format '{fmt}'; use one of {', '.join(FORMATS)}.")
    suffix = Path(output).suffix.lower() if output else ""
    from_suffix = _SUFFIX_FORMATS.get(suffix)
    if fmt is not None and from_suffix is not None and fmt != from_suffix:
        raise SymgradError(f"The file's suffix {suffix} means {from_suffix}, but --format says {fmt}.")
    chosen = fmt or from_suffix or "text"
    if output is None and chosen in FILE_ONLY_FORMATS:
        raise SymgradError(f"A {chosen.upper()} is written to a file: give -o FILE.{chosen}.")
    return chosen


def _emit(result, fmt: str | None, output: str | None, fragment: bool = False,
          lang: str = DEFAULT_LANGUAGE) -> None:
    fmt = _format(fmt, output)
    if output is None and "stdout" in _CLOSED:
        raise SymgradError("Cannot write the output: standard output is closed (give -o FILE).")

    if output is not None:
        write_all(output_files(result, fmt, output, fragment, lang))
    elif fmt == "text":
        console = Console(soft_wrap=False)
        console.print(TextFormat(lang=lang, width=console.width - 2).print(result))
    else:
        if fmt == "json" and hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="symgrad-json")  # σ as \\u03c3 where σ cannot be shown
        for chunk in render_chunks(result, fmt, fragment=fragment, lang=lang):
            sys.stdout.write(chunk)  # not click.echo, which re-encodes an ASCII stream as UTF-8


class _OnceCommand(click.Command):
    """A command whose options (but those meant to repeat, such as plot's --act) may be
    given once: click would keep the last of two silently (``--set wf=1 --set bf=2``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = {name: parameter for parameter in self.params
                   if isinstance(parameter, click.Option) for name in parameter.opts}
        seen, index = {}, 0
        while index < len(args) and args[index] != "--":
            name = args[index].split("=", 1)[0]
            parameter = options.get(name)
            if parameter is not None:
                if parameter.name in seen and not parameter.multiple:
                    raise click.UsageError(f"{name} was given twice; give it once")
                seen[parameter.name] = name
                if not parameter.is_flag and "=" not in args[index]:
                    index += 1  # its value, whatever it looks like
            index += 1
        return super().parse_args(ctx, args)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symgrad")
def main() -> None:
    """Derive backpropagation gradients symbolically and see why they vanish or explode."""


main.command_class = _OnceCommand


@main.command()
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
@_cell_options(derive=True)
@click.option("--fragment", is_flag=True, help="LaTeX/Markdown without the preamble or title.")
@_output_options
def derive(depth, general, act, residual, highway, tied, cost, layers, widths, cell, steps,
           fragment, fmt, output):
    """Forward pass, δ recursion and closed forms of every layer's gradient."""
    if cell is not None:  # (--general is this command's spelling of steps None)
        if general and steps is not None:
            raise SymgradError("Give either --steps or --general, not both.")
        if not general and steps is None:
            raise SymgradError("Give the number of steps with --steps T, or --general for symbolic T.")
        steps = _whole(steps)
        shown = isinstance(steps, int) and PROGRESS_FROM_DERIVE_STEPS <= steps <= MAX_DERIVE_STEPS
        with _progress(steps if shown else 0, shown, "steps") as report:
            result = api.derive(_whole(depth), _act(act), residual=residual, tied=tied, cost=cost,
                                layers=layers, widths=None if widths is None else _wholes(widths),
                                cell=cell, steps=steps, highway=highway,
                                progress=_advance(report))
        _emit(result, fmt, output, fragment)
        return
    if general and depth is not None:  # (--general is this command's spelling of depth None)
        raise SymgradError("Give either --depth or --general, not both.")
    if general and widths is not None:
        arguments.only_for_a_chain({"general": general})
    if not general and depth is None and widths is None:
        raise SymgradError("Give the number of layers with --depth L, or --general for symbolic L.")
    depth = _whole(depth)
    layers = None if layers is None else "all" if layers.strip() == "all" else _wholes(layers)
    shown = widths is None and isinstance(depth, int) and \
        PROGRESS_FROM_DERIVE_DEPTH <= depth <= MAX_DERIVE_DEPTH
    work = depth if shown else 0
    if shown:  # and the printing's share, planned (made exact once the derivation is done)
        guess = fmt or (_SUFFIX_FORMATS.get(Path(output).suffix.lower()) if output else None)
        try:
            layer = chain_layer(residual=residual, highway=highway)
            work += planned_print_work(depth, layers, layer, tied, guess) / PRINTED_FACTORS_PER_LAYER
        except SymgradError:  # layers the API refuses (in its own sentence) before any work
            pass
    with _progress(work, shown) as report:
        result = api.derive(depth, _act(act), residual=residual, tied=tied, cost=cost, layers=layers,
                            widths=None if widths is None else _wholes(widths),
                            steps=_whole(steps), highway=highway, progress=_advance(report))
        write = _written_under(report, result, fmt, output, fragment, per_unit=PRINTED_FACTORS_PER_LAYER,
                               total=lambda fmt: result.chain.depth + print_work(result, fmt)
                               / PRINTED_FACTORS_PER_LAYER, held=True, description="printing")
    write()


def _written_under(report, result, fmt, output, fragment=False, *, total, per_unit=1,
                   held=False, description="writing"):
    """Render ``result`` under its progress bar (none: ``report`` is None), whose total
    becomes ``total(fmt)``, the work done and the rendering's, and which counts each unit
    of rendering (what ``reporting`` tells: factors printed, layers written) as 1/per_unit;
    return what writes the rest out once the bar is gone. A file, or a standard output
    that is no terminal, is written under the bar; a terminal's standard output, which
    the bar takes over, after it: rendered under the bar first if ``held`` (an output
    of bounded size), else rendered after it too."""
    if report is None:
        return lambda: _emit(result, fmt, output, fragment)
    fmt = _format(fmt, output)
    report(total=total(fmt), description=description)
    streamed = output is not None or "stdout" in _CLOSED or not sys.stdout.isatty()
    if not streamed and not held:
        return lambda: _emit(result, fmt, output, fragment)
    with reporting(lambda done: report(advance=done / per_unit)):
        if streamed:
            _emit(result, fmt, output, fragment)
            return lambda: None
        if fmt == "text":
            console = Console(soft_wrap=False)
            shown = TextFormat(width=console.width - 2).print(result)
            return lambda: console.print(shown)
        chunks = list(render_chunks(result, fmt, fragment=fragment))

    def write() -> None:  # as _emit writes them
        if fmt == "json" and hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="symgrad-json")
        for chunk in chunks:
            sys.stdout.write(chunk)

    return write


@main.command(name="eval")
@_chain_options(MAX_DEPTH, "Tied weights and biases (an unrolled RNN).", CELL_ACT_HELP)
@click.option("--w", "w", default=None, metavar="V|V1,..,VL",
              help="Weights: one value for every layer or a comma list (default 1).")
@click.option("--b", "b", default=None, metavar="V|V1,..,VL", help="Biases (default 0).")
@click.option("--x", "x", default=None, help="The input a_0.")
@click.option("--y", "y", default=None, help="The target (default 0).")
@click.option("--z", "z", default=None, metavar="V|V1,..,VL",
              help="Gain mode: fix the preactivations z_l (no x, y or b).")
@click.option("--upstream", default=None, help="Gain mode: ∂C/∂a_L (default 1).")
@_highway_options
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
@_cell_options()
@_output_options
def evaluate(depth, act, residual, tied, cost, w, b, x, y, z, upstream, highway, p, q, dps,
             interval, widths, init, seed, scale, weights_file, spectrum, cell, steps, settings, h0,
             c0, fmt, output):
    """Exact forward and backward values per layer, at any precision, beside float64/float32."""
    fmt = _format(fmt, output)
    given = dict(act=_act(act), w=w, b=b, x=x, y=y, z=z, upstream=upstream, residual=residual,
                 highway=highway, p=p, q=q, tied=tied,
                 cost=cost, dps=_whole(dps), interval=interval, init=init, seed=_whole(seed),
                 scale=scale, weights=weights_file, spectrum=spectrum)
    if cell is not None:
        steps = _whole(steps)
        shown = isinstance(steps, int) and 1 <= steps <= MAX_STEPS and \
            _long_pass(steps * CELL_STEP_COST, given["dps"])
        runs = 1 if interval else 2
        with _progress(2 * runs * steps if shown else 0, shown, "steps") as report:
            result = api.evaluate(_whole(depth), widths=None if widths is None else _wholes(widths),
                                  cell=cell, steps=steps, parameters=settings, h0=h0, c0=c0,
                                  progress=_advance(report, 2 * steps, runs) if shown else None,
                                  **given)
        _emit(result, fmt, output)
        return
    if widths is not None:
        with _progress(0) as report:  # opened once the work planned is worth a bar
            result = api.evaluate(_whole(depth), widths=_wholes(widths), progress=_told(report),
                                  steps=_whole(steps), parameters=settings, h0=h0, c0=c0, **given)
        _emit(result, fmt, output)
        return
    # The layers shown, and the bar, are sized by the depth: checked here as the API checks it.
    depth = None if depth is None else check_depth(_whole(depth))
    keep = None if fmt == "json" or depth is None else displayed_layers(depth)  # JSON: every layer
    layers = depth or 0  # (none: the API asks for them)
    run = 2 * layers  # a run of the pass: forward and backward; two, or one certified
    runs = 1 if interval else 2
    with _progress(runs * run + (layers if fmt == "json" else 0),
                   _long_pass(layers, given["dps"])) as report:
        result = api.evaluate(depth, keep=keep, progress=_advance(report, run, runs),
                              steps=_whole(steps), parameters=settings, h0=h0, c0=c0, **given)
        write = _written_under(report, result, fmt, output, total=lambda fmt: report.done
                               + (depth if fmt == "json" else 0))
    write()


@main.command()
@click.option("--depth", default=None, metavar="L", help=f"Number of layers, 1 to {MAX_DEPTH}.")
@click.option("--act", "act", default=None, help=CELL_ACT_HELP)
@click.option("--residual", is_flag=True, help="Residual chain: factor 1 + w σ'(z) per layer.")
@_highway_options
@click.option("--w", "w", default=None, metavar="V|V1,..,VL",
              help="Weights: one value for every layer or a comma list (default 1).")
@click.option("--x", "x", default=None, metavar="V|V1,..",
              help="Cell: the inputs' range, from the least to the greatest value given "
                   "(default -1,1).")
@click.option("--seed", default=None, help="Cell: draw the parameters not set.")
@click.option("--dps", default=str(DEFAULT_DPS), show_default=True,
              help=f"Significant digits, 1 to {MAX_DPS}.")
@_cell_options()
@_output_options
def bounds(depth, act, residual, highway, p, q, w, x, seed, dps, cell, steps, settings, h0, c0,
           fmt, output):
    """Worst-case bounds on |∂C/∂a_0| / |∂C/∂a_L|, the regime, and where floats give up;
    with --cell, a recurrent cell's bounds over every state and input."""
    _emit(api.bounds(_whole(depth), _act(act), w=w, residual=residual, highway=highway, p=p,
                     q=q, dps=_whole(dps), cell=cell, steps=_whole(steps), parameters=settings,
                     x=x, h0=h0, c0=c0, seed=_whole(seed)), fmt, output)


@main.command()
@click.option("--act", "act", default="sigmoid", show_default=True, help=ACT_HELP)
@click.option("--w", "w", default=None, metavar="V", help="The weight w.")
@click.option("--b", "b", default="0", show_default=True, metavar="V", help="The bias b.")
@click.option("--maximize", is_flag=True, help="Find the |w| whose region is widest in input space.")
@click.option("--dps", default=str(REGION_DPS), show_default=True,
              help=f"Digits of the interval ends, 1 to {MAX_REGION_DPS} (--maximize: {MAX_WIDEST_DPS}).")
@_output_options
def region(act, w, b, maximize, dps, fmt, output):
    """Where |w σ'(z)| ≥ 1: the preactivations (and inputs) where a layer does not shrink the gradient."""
    _emit(api.region(act, w, b, maximize=maximize, dps=_whole(dps)), fmt, output)


def _told(report):
    """A net's ``progress(done, total, what)`` for the bar ``report``: shown from when the
    work planned so far (the draw, then each run at its digits) reaches PROGRESS_FROM_WORK."""
    if report is None:
        return None

    def told(done: float, total: float, what: str) -> None:
        if total >= PROGRESS_FROM_WORK:
            report(completed=done, total=total, description=what)

    return told


class _Bar:
    """A rich progress bar on stderr, told ``bar(**change)`` (rich's update: advance=,
    total=, description=), keeping what is done and the total. It opens at its first
    report, so the API's checks, which come before any work, print their sentence on a
    terminal the bar has not taken."""

    def __init__(self, total: float, unit: str = "layers"):
        self.total, self.done, self.unit = total, 0, unit
        self._opened: tuple | None = None

    def __call__(self, **change) -> None:
        self.done = change.get("completed", self.done + change.get("advance", 0))
        self.total = change.get("total", self.total)
        if self._opened is None:
            columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                       TimeRemainingColumn())
            bar = Progress(*columns, console=Console(stderr=True), transient=True)
            bar.start()
            self._opened = (bar, bar.add_task(self.unit, total=self.total))
        bar, task = self._opened
        bar.update(task, **change)

    def close(self) -> None:
        if self._opened is not None:
            self._opened[0].stop()


@contextmanager
def _progress(total: float, shown: bool = True, unit: str = "layers"):
    """A ``_Bar`` of ``total`` (``unit``: what it counts, its label); None when not
    ``shown`` or when stderr is not a terminal (a log or a pipe gets no bar, and no stray
    blank line before an error)."""
    if not shown or not sys.stderr.isatty():
        yield None
        return
    bar = _Bar(total, unit)
    try:
        yield bar
    finally:
        bar.close()


def _long_pass(depth: int, digits) -> bool:
    """Whether a chain's pass takes more than about a second: a layer costs about its
    digits^1.08 (measured: 142 µs at 50 digits, 3 ms at 2,000, 43 ms at 10,000). Digits
    the API refuses (before any work) need no bar."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_DPS:
        return False
    return depth * max(1.0, digits / DEFAULT_DPS) ** 1.08 >= PROGRESS_FROM_DEPTH


def _advance(report, run: int | None = None, runs: int = 1):
    """The evaluators' ``progress(n)``: n more done. With ``run``, the work is runs of
    that many steps, ``runs`` of them planned: past those, the bar's total grows by a run
    each time another is begun."""
    if report is None:
        return None
    if run is None:
        return lambda done: report(advance=done)
    counted = [0, runs * run]  # the runs' steps done, and planned

    def advance(done: int) -> None:
        counted[0] += done
        if counted[0] > counted[1]:  # another run begun
            counted[1] += run
            report(total=report.total + run)
        report(advance=done)

    return advance


@main.command()
@click.option("--depth", default=None, metavar="L", help=f"Number of layers, 1 to {MAX_NOTES_DEPTH}.")
@click.option("--widths", default=None, metavar="N0,..,NL", help="A matrix net instead of a chain.")
@click.option("--act", "act", default=None, help=CELL_ACT_HELP)
@click.option("--residual", is_flag=True, help="Residual chain: a_l = a_{l-1} + σ(z_l).")
@_highway_options
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
@click.option("--fragment", is_flag=True, help="The body only, for \\input into your own notes.")
@click.option("--slides", is_flag=True, help="A Beamer presentation (LaTeX, or -o FILE.pdf compiled).")
@click.option("--lang", default=DEFAULT_LANGUAGE, show_default=True, metavar="|".join(LANGUAGES),
              callback=lambda context, parameter, value: check_language(value),
              help="The language of the words (the formulas are the same): en or ja.")
@_cell_options()
@_output_options(default="Markdown (with --slides, LaTeX)")
def notes(depth, widths, act, residual, highway, p, q, cost, w, b, x, y, z, init, seed, fragment,
          slides, lang, cell, steps, settings, h0, c0, fmt, output):
    """Lecture notes: the whole vanishing/exploding-gradient argument, with exact numbers."""
    if fmt is None and output is None:
        fmt = "latex" if slides else "markdown"
    check_words_language(_format(fmt, output), lang)
    if slides:  # refused before any work
        check_slides_format(_format(fmt, output), fragment)
    given = dict(widths=None if widths is None else _wholes(widths), w=w, b=b, x=x, y=y, z=z,
                 residual=residual, highway=highway, p=p, q=q, cost=cost, init=init,
                 seed=_whole(seed))
    if cell is None:
        result = api.notes(_whole(depth), _act(act), steps=_whole(steps), parameters=settings,
                           h0=h0, c0=c0, **given)
    else:  # (a cell's bounds and runs take seconds each: a bar counts them)
        kind = CELLS.get(cell) if isinstance(cell, str) else None  # (a wrong name: refused)
        with _progress(cell_notes_work(kind) if kind else 1, unit="results") as report:
            result = api.notes(_whole(depth), _act(act), cell=cell, steps=_whole(steps),
                               parameters=settings, h0=h0, c0=c0, progress=_advance(report),
                               **given)
    _emit(_talk(result, slides), fmt, output, fragment, lang)


def _talk(notes, slides: bool):
    """The notes, or with --slides the talk made of them."""
    return Slides(notes) if slides else notes


@main.command()
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
@_highway_options
@click.option("--compare", is_flag=True,
              help="With --residual or --highway: plain chains beside them.")
@click.option("--cost", default="quadratic", show_default=True, help="quadratic or cross-entropy.")
@click.option("--quantity", default="delta", show_default=True, help="delta (δ_l) or grad_w (∂C/∂w_l).")
@_cell_options(plot=True)
@click.option("-o", "--output", "output", default=None, metavar="FILE",
              callback=_checked_output(FILE_TYPES),
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
    depth = check_depth(_whole(depth))  # (sizes the curves' points, as the API checks it)
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
                with _progress(4 * depth, _long_pass(depth, PLOT_DPS)) as report:  # two runs
                    evaluation = api.evaluate(depth, activation, w=w, b=b, x="1/2" if x is None and
                                              z is None else x, y=y, z=z,
                                              residual=shown == "residual", highway=gated,
                                              p=p if shown == kind else None,  # (refused by
                                              q=q if shown == kind else None,  # a plain one)
                                              cost=cost, dps=PLOT_DPS, keep=keep,
                                              progress=_advance(report, 2 * depth, 2))
                curves.append(curve(evaluation, quantity, label))
    _show_curves(curves, quantity, f"log10 |{QUANTITIES[quantity][0]}| against the layer, depth "
                 f"{depth}", output)


def _show_curves(curves: list, quantity: str, title: str, output: str | None) -> None:
    """The curves as terminal charts, or as one figure written to ``output``."""
    if output is None:
        console = Console(soft_wrap=False)
        for c in curves:
            console.print(Text(c.label, style="bold"))
            console.print(Text(terminal_chart(c.layers, c.magnitudes, y_label=title)))
        return
    write_atomically(output, figure_bytes(figure(curves, quantity, title), Path(output).suffix.lower()))


def _plot_cells(cells, steps, acts, settings, x, y, h0, c0, output):
    """One curve of log10|∂C/∂h_t| per cell (and per --act for the rnn), on one figure."""
    if steps is None:
        raise SymgradError("Give the number of steps with --steps T.")
    steps = check_steps(_whole(steps))  # (sizes the bars, as the API checks it)
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
            with _progress(4 * steps, _long_pass(steps * CELL_STEP_COST, PLOT_DPS),
                           "steps") as report:
                evaluation = api.evaluate_cell(
                    cell, steps, act, parameters=own, x="1" if x is None else x,
                    y="0" if y is None else y, h0="0" if h0 is None else h0,
                    c0=c0 if "c" in kind.state else None, dps=PLOT_DPS,
                    progress=_advance(report, 2 * steps, 2))
            label = kind.name + (f" ({evaluation.net.activation.name})" if act else "")
            curves.append(Curve(label, tuple(range(1, steps + 1)), evaluation.magnitudes("h")))
    _show_curves(curves, "dC_dh", f"log10 |∂C/∂h_t| against the step, {steps} steps", output)


@main.command()
@click.option("--act", "act", default="tanh", show_default=True, help=ACT_HELP)
@click.option("--sigma-w2", "sigma_w2", default="1", show_default=True, metavar="V",
              help="Weight variance σ_w² (× 1/n).")
@click.option("--sigma-b2", "sigma_b2", default="0", show_default=True, metavar="V", help="Bias variance.")
@click.option("--depth", default="1", show_default=True, metavar="L", help="Depth for χ1^L.")
@click.option("--dps", default=str(MEANFIELD_DPS), show_default=True,
              help=f"Significant digits, 1 to {MAX_MEANFIELD_DPS}.")
@_output_options
def meanfield(act, sigma_w2, sigma_b2, depth, dps, fmt, output):
    """Random weights: the fixed point q*, χ1, the depth scale ξ, the regime and χ1^L."""
    _emit(api.meanfield(act, sigma_w2=sigma_w2, sigma_b2=sigma_b2, depth=_whole(depth),
                        dps=_whole(dps)), fmt, output)


@main.command()
@click.option("--act", "act", default="tanh", show_default=True, help=ACT_HELP)
@click.option("--sigma-b2", "sigma_b2", default="0", show_default=True, metavar="V|V1,V2,..",
              help="Bias variance σ_b², or a comma list for the critical line.")
@click.option("--dps", default=str(MEANFIELD_DPS), show_default=True,
              help=f"Significant digits, 1 to {MAX_MEANFIELD_DPS}.")
@_output_options
def critical(act, sigma_b2, dps, fmt, output):
    """The σ_w² with χ1 = 1 (the edge of chaos) for each σ_b², with q* there."""
    _emit(api.critical(act, sigma_b2=sigma_b2.split(","), dps=_whole(dps)), fmt, output)


@main.command()
@click.option("--depth", required=True, metavar="L", help="Layers per net.")
@click.option("--act", "act", default="tanh", show_default=True, help=ACT_HELP)
@click.option("--sigma-w2", "sigma_w2", default="1", show_default=True, metavar="V",
              help="Weight variance σ_w² (× 1/n).")
@click.option("--sigma-b2", "sigma_b2", default="0", show_default=True, metavar="V", help="Bias variance.")
@click.option("--width", default="1", show_default=True, help="Units per layer (1: scalar chains).")
@click.option("--samples", default="1000", show_default=True, help="How many nets to draw.")
@click.option("--seed", default="0", show_default=True, help="The seed of the draws.")
@click.option("-o", "--output", "output", default=None, metavar="FILE",
              callback=_checked_output(TEXT_OUTPUTS + FILE_TYPES),
              help="Write to FILE: .png/.svg/.pdf a histogram (needs symgrad[plot]); "
                   ".json/.tex/.md/.txt the results.")
@click.option("--format", "fmt", default=None, metavar="|".join(FORMATS),
              help="Output format; default text, or from FILE's suffix.")
def sample(depth, act, sigma_w2, sigma_b2, width, samples, seed, output, fmt):
    """Draw random nets: the spread of log10 |∂C/∂a_0|/|∂C/∂a_L|, beside mean field's χ1^L."""
    suffix = Path(output).suffix.lower() if output is not None else None
    if suffix in FILE_TYPES and fmt is not None:
        raise SymgradError(f"A {suffix} file is a histogram; --format applies to text outputs.")
    depth, count = _whole(depth), _whole(samples)
    sized = isinstance(depth, int) and isinstance(count, int)  # (else the API refuses them)
    with _progress(2 * depth * count if sized else 0) as report:  # sample-layers, both ways
        result = api.sample(depth, act, sigma_w2=sigma_w2, sigma_b2=sigma_b2, width=_whole(width),
                            samples=count, seed=_whole(seed), progress=_advance(report))
    if suffix in FILE_TYPES:
        write_atomically(output, figure_bytes(histogram_figure(result), suffix))
        return
    _emit(result, fmt, output)


@main.command()
@click.option("--act", "acts_", multiple=True, metavar="NAME|FORMULA",
              help="Show these activations (repeat; library names or formulas in x) instead "
                   "of the whole library.")
@_output_options
def acts(acts_, fmt, output):
    """The activation table: formula, derivative, sup and inf of the derivative."""
    _emit(api.acts(*acts_), fmt, output)


@main.command(name="verify")
@_chain_options(MAX_VERIFY_DEPTH, "Tied weights and biases (names w and b).")
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
@_cell_options(derive=True)
@click.option("--seed", default="0", show_default=True, help="Seed of the random check points.")
@_output_options
def verify_claim(depth, act, residual, tied, cost, highway, target, claim, widths, cell, steps,
                 seed, fmt, output):
    """Check a hand-derived gradient: exit 0 if correct, 1 (and how it is wrong) if not."""
    verdict = api.verify(claim, target, depth=_whole(depth),
                         widths=None if widths is None else _wholes(widths),
                         act=act if _given("act") else api.DEFAULT_ACT,
                         residual=residual, tied=tied, highway=highway, cost=cost,
                         seed=_whole(seed), cell=cell, steps=_whole(steps))
    _emit(verdict, fmt, output)
    if not verdict.correct:
        sys.exit(1)


def _unknown_option(error: click.exceptions.NoSuchOption) -> str:
    """The sentence for an option the command does not have: a close spelling of one it
    has, or the commands that do have it (``derive --lang``: notes' option)."""
    command = error.ctx.command.name if error.ctx is not None else None
    owners = [name for name, other in main.commands.items() if name != command and any(
        error.option_name in parameter.opts for parameter in other.params)]
    if command and owners:
        return (f"{command} has no option {error.option_name}; it is an option of "
                f"{' and '.join(owners)} (symgrad {owners[0]} --help).")
    if error.possibilities:
        return f"Unknown option {error.option_name}. Did you mean {' or '.join(error.possibilities)}?"
    return f"Unknown option {error.option_name}."


def run(argv: list[str] | None = None) -> None:
    """Entry point (``argv``: the arguments, default the command line's): errors become
    one sentence on stderr and exit code 2."""
    _tolerant_streams()
    try:
        with arguments.spelled_as_options():  # errors name --options
            main(args=argv, prog_name="symgrad", standalone_mode=False)
        sys.stdout.flush()
    except SymgradError as error:
        _fail(str(error))
    except click.exceptions.NoSuchOption as error:
        _fail(_unknown_option(error))
    except click.UsageError as error:
        _fail(error.format_message().rstrip(".") + ".")
    except (click.exceptions.Abort, KeyboardInterrupt):
        _fail("Interrupted.", code=130)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except RecursionError:
        _fail("The expression is nested too deeply to handle.")
    except OverBudget:
        _fail(f"The command did not finish within {COMMAND_SECONDS:g} seconds (its symbolic and "
              "numerical steps are too hard here); try fewer digits or a simpler formula.")
    except MemoryError:
        _fail("The command ran out of memory; ask for a smaller case.")
    except BrokenPipeError:  # the reader went away (`symgrad ... | head`): end quietly, as SIGPIPE would
        _silence(sys.stdout)
        sys.exit(128 + 13)
    except OSError as error:  # stdout itself failed (a full disk, /dev/full)
        _silence(sys.stdout)
        _fail(f"Cannot write the output: {(error.strerror or str(error)).lower()}.")
    except Exception as error:  # a bug: still one sentence, never a traceback
        if os.environ.get("SYMGRAD_DEBUG") == "1":
            raise
        _fail(f"An internal error stopped the command ({type(error).__name__}); this is a bug in "
              "symgrad, please report it with the command (SYMGRAD_DEBUG=1 shows the traceback).")


_ASCII = str.maketrans({
    "σ": "sigma", "δ": "delta", "∂": "d", "∏": "prod", "∑": "sum", "Σ": "Sum", "·": "*", "×": "x",
    "≈": "~", "≤": "<=", "≥": ">=", "≠": "!=", "−": "-", "→": "->", "←": "<-", "∞": "inf",
    "χ": "chi", "ξ": "xi", "μ": "mu", "⊙": "(.)", "′": "'", "…": "...", "⋯": "...", "±": "+/-",
    "√": "sqrt", "∈": "in", "ᵀ": "^T", "²": "^2", "³": "^3", "¹": "^1", "⁰": "^0", "⁻": "^-",
    **{chr(0x2080 + d): str(d) for d in range(10)}, "│": "|", "─": "-", "━": "=", "┃": "|",
})


def _to_ascii(error: UnicodeEncodeError):
    """A codec error handler for terminals that cannot show symgrad's notation: σ as sigma
    and so on, anything else as \\uXXXX."""
    text = error.object[error.start:error.end].translate(_ASCII)
    return "".join(c if ord(c) < 128 else f"\\u{ord(c):04x}" for c in text), error.end


def _to_json_escape(error: UnicodeEncodeError):
    """For JSON on such a stream: \\uXXXX (UTF-16 pairs past the BMP), which JSON reads back
    as the same character."""
    escaped = []
    for character in error.object[error.start:error.end]:
        units = character.encode("utf-16-be")
        escaped += [f"\\u{int.from_bytes(units[i:i + 2], 'big'):04x}" for i in range(0, len(units), 2)]
    return "".join(escaped), error.end


codecs.register_error("symgrad-ascii", _to_ascii)
codecs.register_error("symgrad-json", _to_json_escape)


_CLOSED: set[str] = set()  # the standard streams the caller closed


def _tolerant_streams() -> None:
    """stdout and stderr never raise UnicodeEncodeError, whatever their encoding; a
    closed one (``>&-``) is pointed at /dev/null, and the exit code still tells."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            _CLOSED.add(name)
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="symgrad-ascii")


def _silence(stream) -> None:
    """Point a failed stream at /dev/null, so the interpreter's last flush cannot fail too."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (OSError, ValueError):
        pass


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
MAX_MESSAGE_LENGTH = 600


def _printable(message: str) -> str:
    """The message with control characters (terminal escapes, newlines) shown as escapes
    and any echoed text cut to a readable length."""
    message = _CONTROL.sub(lambda match: repr(match.group())[1:-1], message.replace("\n", " "))
    if len(message) > MAX_MESSAGE_LENGTH:
        half = MAX_MESSAGE_LENGTH // 2
        message = message[:half] + " … " + message[-half:]
    return message


def _fail(message: str, code: int = 2) -> None:
    try:
        click.echo(f"symgrad: {_printable(message)}", err=True)
        sys.stderr.flush()
    except OSError:  # stderr is full or closed: the exit code still tells
        _silence(sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    run()
