"""What the commands share: options, output, progress bars."""

from __future__ import annotations

import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import click
import gmpy2
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from symgrad import api
from symgrad.commands import CLOSED_STREAMS, SUMMARIES, ReaderGone
from symgrad.digits import DEFAULT_DPS, MAX_DPS
from symgrad.errors import SymgradError
from symgrad.files import check_target, write_all
from symgrad.render import (
    FILE_ONLY_FORMATS,
    FORMATS,
    output_files,
    render_chunks,
)
from symgrad.render.formats import TextFormat
from symgrad.render.language import DEFAULT as DEFAULT_LANGUAGE
from symgrad.render.markdown import IMAGE_KINDS, image_path
from symgrad.render.printing import reporting

PROGRESS_FROM_DEPTH = 10_000  # layers at the default digits: a few seconds of work
REDRAW_SECONDS = 0.1  # the progress bar is redrawn at most this often (rich: 10 per second)


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


SUFFIX_FORMATS = {".tex": "latex", ".md": "markdown", ".json": "json", ".txt": "text",
                   ".html": "html", ".htm": "html", ".pdf": "pdf"}


WHOLE = re.compile(r"\s*[+-]?[0-9]+\s*")


def whole(text: str | None) -> int | str | None:
    """A whole number typed as text, however long (gmpy2 reads 10^100000 exactly, where
    int() stops at 4,300 digits); any other text as it is (None: not given). The API
    checks the value, and refuses text in its own sentence."""
    if text is None or not WHOLE.fullmatch(text):
        return text
    return int(gmpy2.mpz(text.strip()))


def wholes(text: str) -> list[int | str]:
    """A comma list of whole numbers (widths, layers), each as ``whole`` reads it."""
    return [whole(part) for part in text.split(",")]


def checked_output(suffixes):
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


TEXT_OUTPUTS = ("", *SUFFIX_FORMATS)


def output_options(command=None, *, default: str = "text"):
    """-o and --format; ``default``: the format written when neither is given."""
    def decorate(command):
        command = click.option("-o", "--output", "output", default=None, metavar="FILE",
                               callback=checked_output(TEXT_OUTPUTS),
                               help="Write to FILE (atomically) instead of stdout.")(command)
        return click.option("--format", "fmt", default=None, metavar="|".join(FORMATS),
                            help=f"Output format; default {default}, or from FILE's "
                                 "suffix.")(command)
    return decorate if command is None else decorate(command)


HIGHWAY_HELP = ("Highway chain: a_l = t_l σ(z_l) + (1 - t_l) a_{l-1}, gate "
                 "t_l = sigmoid(p_l a_{l-1} + q_l).")


def highway_options(command):
    """--highway and its gate's --p, --q (one value or one per layer)."""
    for name, what in (("q", "biases q_l (default 0)"), ("p", "weights p_l (default 1)")):
        command = click.option(f"--{name}", name, default=None, metavar="V|V1,..,VL",
                               help=f"Highway: the gate's {what}.")(command)
    return click.option("--highway", is_flag=True, help=HIGHWAY_HELP)(command)


def chain_options(maximum_depth: int, tied_help: str, act_help: str | None = None):
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


def cell_options(derive: bool = False, plot: bool = False):
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


def given_on_command_line(name: str) -> bool:
    """Whether the option ``name`` (its parameter name) was typed, not left at its default."""
    source = click.get_current_context().get_parameter_source(name)
    return source is not None and source != click.core.ParameterSource.DEFAULT


def act_or_default(text: str | None):
    """--act as typed, or the API's default when it is not given (a cell's own)."""
    return api.DEFAULT_ACT if text is None else text


def chosen_format(fmt: str | None, output: str | None) -> str:
    """--format, else the output file's suffix, else text. A file's suffix must be one
    symgrad writes (or none), and agree with --format when both are given."""
    if fmt is not None and fmt not in FORMATS:
        raise SymgradError(f"Unknown format '{fmt}'; use one of {', '.join(FORMATS)}.")
    suffix = Path(output).suffix.lower() if output else ""
    from_suffix = SUFFIX_FORMATS.get(suffix)
    if fmt is not None and from_suffix is not None and fmt != from_suffix:
        raise SymgradError(f"The file's suffix {suffix} means {from_suffix}, but --format says {fmt}.")
    chosen = fmt or from_suffix or "text"
    if output is None and chosen in FILE_ONLY_FORMATS:
        raise SymgradError(f"A {chosen.upper()} is written to a file: give -o FILE.{chosen}.")
    return chosen


def emit(result, fmt: str | None, output: str | None, fragment: bool = False,
          lang: str = DEFAULT_LANGUAGE) -> None:
    fmt = chosen_format(fmt, output)
    if output is None and "stdout" in CLOSED_STREAMS:
        raise SymgradError("Cannot write the output: standard output is closed (give -o FILE).")

    if output is not None:
        write_all(output_files(result, fmt, output, fragment, lang))
    elif fmt == "text":
        console = StdoutConsole(soft_wrap=False)
        console.print(TextFormat(lang=lang, width=console.width - 2).print(result))
    else:
        if fmt == "json" and hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="symgrad-json")  # σ as \\u03c3 where σ cannot be shown
        for chunk in render_chunks(result, fmt, fragment=fragment, lang=lang):
            sys.stdout.write(chunk)  # not click.echo, which re-encodes an ASCII stream as UTF-8


class StdoutConsole(Console):
    """rich's Console on standard output, whose reader going away (``symgrad ... | true``)
    ends the command as SIGPIPE would: rich's own handler exits with 1."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise ReaderGone


class OnceCommand(click.Command):
    """A command whose options (but those meant to repeat, such as plot's --act) may be
    given once: click would keep the last of two silently (``--set wf=1 --set bf=2``, or
    a flag and its opposite, ``--spectrum --no-spectrum``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = {name: parameter for parameter in self.params
                   if isinstance(parameter, click.Option)
                   for name in (*parameter.opts, *parameter.secondary_opts)}
        seen, index = {}, 0
        while index < len(args) and args[index] != "--":
            name = args[index].split("=", 1)[0]
            parameter = options.get(name)
            if parameter is not None:
                if parameter.name in seen and not parameter.multiple:
                    if seen[parameter.name] != name:
                        raise click.UsageError(f"{seen[parameter.name]} and {name} were both "
                                               "given; give one")
                    raise click.UsageError(f"{name} was given twice; give it once")
                seen[parameter.name] = name
                if not parameter.is_flag and "=" not in args[index]:
                    index += 1  # its value, whatever it looks like
            index += 1
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError as error:
            raise ReaderGone from error


def written_under(report, result, fmt, output, fragment=False, *, total, per_unit=1,
                   held=False, description="writing"):
    """Render ``result`` under its progress bar (none: ``report`` is None), whose total
    becomes ``total(fmt)``, the work done and the rendering's, and which counts each unit
    of rendering (what ``reporting`` tells: factors printed, layers written) as 1/per_unit;
    return what writes the rest out once the bar is gone. A file, or a standard output
    that is no terminal, is written under the bar; a terminal's standard output, which
    the bar takes over, after it: rendered under the bar first if ``held`` (an output
    of bounded size), else rendered after it too."""
    if report is None:
        return lambda: emit(result, fmt, output, fragment)
    fmt = chosen_format(fmt, output)
    report(total=total(fmt), description=description)
    streamed = output is not None or "stdout" in CLOSED_STREAMS or not sys.stdout.isatty()
    if not streamed and not held:
        return lambda: emit(result, fmt, output, fragment)
    with reporting(lambda done: report(advance=done / per_unit)):
        if streamed:
            emit(result, fmt, output, fragment)
            return lambda: None
        if fmt == "text":
            console = StdoutConsole(soft_wrap=False)
            shown = TextFormat(width=console.width - 2).print(result)
            return lambda: console.print(shown)
        chunks = list(render_chunks(result, fmt, fragment=fragment))

    def write() -> None:  # as emit writes them
        if fmt == "json" and hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(errors="symgrad-json")
        for chunk in chunks:
            sys.stdout.write(chunk)

    return write


def told(report):
    """A net's ``progress(done, total, what)`` for the bar ``report``: shown from when the
    work planned so far (the draw, then each run at its digits) reaches PROGRESS_FROM_WORK."""
    if report is None:
        return None

    def told(done: float, total: float, what: str) -> None:
        if total >= PROGRESS_FROM_WORK:
            report(completed=done, total=total, description=what)

    return told


class Bar:
    """A rich progress bar on stderr, told ``bar(**change)`` (rich's update: advance=,
    total=, description=), keeping what is done and the total. It opens at its first
    report, so the API's checks, which come before any work, print their sentence on a
    terminal the bar has not taken. It is redrawn here, at most every REDRAW_SECONDS, not
    by rich's refresh thread: with no thread beside the main one, the work may fork
    (symgrad.parallel)."""

    def __init__(self, total: float, unit: str = "layers"):
        self.total, self.done, self.unit = total, 0, unit
        self._opened: tuple | None = None
        self._drawn = 0.0

    def __call__(self, **change) -> None:
        self.done = change.get("completed", self.done + change.get("advance", 0))
        self.total = change.get("total", self.total)
        if self._opened is None:
            columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                       TimeRemainingColumn())
            bar = Progress(*columns, console=Console(stderr=True), transient=True,
                           auto_refresh=False)
            bar.start()
            self._opened = (bar, bar.add_task(self.unit, total=self.total))
        bar, task = self._opened
        bar.update(task, **change)
        if time.monotonic() - self._drawn >= REDRAW_SECONDS:
            bar.refresh()
            self._drawn = time.monotonic()

    def close(self) -> None:
        if self._opened is not None:
            self._opened[0].stop()


@contextmanager
def progress_bar(total: float, shown: bool = True, unit: str = "layers"):
    """A ``Bar`` of ``total`` (``unit``: what it counts, its label); None when not
    ``shown`` or when stderr is not a terminal (a log or a pipe gets no bar, and no stray
    blank line before an error)."""
    if not shown or not sys.stderr.isatty():
        yield None
        return
    bar = Bar(total, unit)
    try:
        yield bar
    finally:
        bar.close()


def long_pass(depth: int, digits) -> bool:
    """Whether a chain's pass takes more than about a second: a layer costs about its
    digits^1.08 (measured: 142 µs at 50 digits, 3 ms at 2,000, 43 ms at 10,000). Digits
    the API refuses (before any work) need no bar."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_DPS:
        return False
    return depth * max(1.0, digits / DEFAULT_DPS) ** 1.08 >= PROGRESS_FROM_DEPTH


def advance(report, run: int | None = None, runs: int = 1):
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



def command(name: str):
    """A command of ``symgrad`` (its options given once each), with the summary
    ``symgrad --help`` lists it by."""
    return click.command(name=name, cls=OnceCommand, short_help=SUMMARIES[name])
