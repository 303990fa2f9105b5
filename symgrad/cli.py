"""The command line: options -> spec -> call -> renderer. Nothing else lives here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console

from symgrad.activations import activation_table, get_activation
from symgrad.derive.chain import ALL_LAYERS_UP_TO, derive_chain
from symgrad.errors import SymgradError
from symgrad.networks import MAX_DEPTH, ScalarChain
from symgrad.render import FORMATS, render, write_atomically
from symgrad.render.text import renderable

_SUFFIX_FORMATS = {".tex": "latex", ".md": "markdown", ".json": "json", ".txt": "text"}


def _whole_number(text: str, what: str) -> int:
    cleaned = text.strip()
    if not cleaned.lstrip("+-").isdigit() or len(cleaned) > 12:
        raise SymgradError(f"The {what} must be a whole number, not '{text}'.")
    return int(cleaned)


def _output_options(command):
    command = click.option("-o", "--output", "output", default=None, metavar="FILE",
                           help="Write to FILE (atomically) instead of stdout.")(command)
    return click.option("--format", "fmt", default=None, metavar="|".join(FORMATS),
                        help="Output format; default text, or from FILE's suffix.")(command)


def _emit(result, fmt: str | None, output: str | None, fragment: bool = False) -> None:
    if fmt is None:
        fmt = _SUFFIX_FORMATS.get(Path(output).suffix.lower(), "text") if output else "text"
    if fmt not in FORMATS:
        raise SymgradError(f"Unknown format '{fmt}'; use one of {', '.join(FORMATS)}.")
    if output:
        write_atomically(output, render(result, fmt, fragment=fragment))
    elif fmt == "text":
        console = Console(soft_wrap=False)
        console.print(renderable(result, console.width - 2))
    else:
        click.echo(render(result, fmt, fragment=fragment), nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symgrad")
def main() -> None:
    """Derive backpropagation gradients symbolically and see why they vanish or explode."""


@main.command()
@click.option("--depth", default=None, metavar="L", help=f"Number of layers, 1 to {MAX_DEPTH}.")
@click.option("--general", is_flag=True, help="Symbolic depth L, in product notation.")
@click.option("--act", "act", default="sigmoid", show_default=True,
              help="Activation: a library name, e.g. sigmoid or leaky_relu:0.1 (see 'symgrad acts').")
@click.option("--residual", is_flag=True, help="Residual chain: a_l = a_{l-1} + σ(z_l).")
@click.option("--tied", is_flag=True, help="Tied weights and biases (an unrolled RNN).")
@click.option("--cost", default="quadratic", show_default=True,
              help="quadratic or cross-entropy.")
@click.option("--layers", default=None, metavar="LIST",
              help=f"Layers written out in full, e.g. 1,2,5 or 'all' (default: all up to depth "
                   f"{ALL_LAYERS_UP_TO}, else the first and last).")
@click.option("--fragment", is_flag=True, help="LaTeX/Markdown without the preamble or title.")
@_output_options
def derive(depth, general, act, residual, tied, cost, layers, fragment, fmt, output):
    """Forward pass, δ recursion and closed forms of every layer's gradient."""
    if general and depth is not None:
        raise SymgradError("Give either --depth or --general, not both.")
    if not general and depth is None:
        raise SymgradError("Give the number of layers with --depth L, or --general for symbolic L.")
    if general and layers is not None:
        raise SymgradError("--layers needs a concrete --depth.")
    chain = ScalarChain(
        depth=None if general else _whole_number(depth, "depth"),
        activation=get_activation(act),
        residual=residual,
        tied=tied,
        cost=cost,
    )
    _emit(derive_chain(chain, _layer_list(layers, chain.depth)), fmt, output, fragment)


def _layer_list(text: str | None, depth: int | None) -> list[int] | None:
    if text is None:
        return None
    if text.strip() == "all":
        if depth > ALL_LAYERS_UP_TO:
            raise SymgradError(
                f"Writing all {depth} layers out grows as the square of the depth; at most "
                f"{ALL_LAYERS_UP_TO} can be, so pick some with --layers 1,2,{depth}."
            )
        return list(range(1, depth + 1))
    return [_whole_number(part, "layer number") for part in text.split(",")]


@main.command()
@_output_options
def acts(fmt, output):
    """The activation table: formula, derivative, sup and inf of the derivative."""
    _emit(activation_table(), fmt, output)


def run() -> None:
    """Entry point: errors become one sentence on stderr and exit code 2."""
    try:
        main(standalone_mode=False)
    except SymgradError as error:
        _fail(str(error))
    except click.exceptions.NoSuchOption as error:
        hint = f" Did you mean {' or '.join(error.possibilities)}?" if error.possibilities else ""
        _fail(f"Unknown option {error.option_name}.{hint}")
    except click.UsageError as error:
        _fail(error.format_message().rstrip(".") + ".")
    except click.exceptions.Abort:
        _fail("Aborted.", code=130)
    except click.exceptions.Exit as exit_:
        sys.exit(exit_.exit_code)
    except RecursionError:
        _fail("The expression is nested too deeply to handle.")
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"symgrad: {message}", err=True)
    sys.exit(code)


if __name__ == "__main__":
    run()
