"""The command line: ``symgrad COMMAND``. Errors become one sentence on stderr and exit
code 2. The commands themselves live in ``symgrad.commands``, each imported only when it
is run, so ``symgrad --help`` and ``--version`` start at once."""

from __future__ import annotations

import codecs
import importlib
import os
import re
import sys

import click

from symgrad import arguments
from symgrad.budget import COMMAND_SECONDS, OverBudget
from symgrad.commands import CLOSED_STREAMS, COMMANDS, ReaderGone
from symgrad.errors import SymgradError


class _Commands(click.Group):
    """The group of commands, each loaded from its module when named."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"symgrad.commands.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands from their summaries, without importing any of them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in self.list_commands(ctx)])


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symgrad")
def main() -> None:
    """Derive backpropagation gradients symbolically and see why they vanish or explode."""


def commands() -> dict[str, click.Command]:
    """Every command, by name (each module imported)."""
    return {name: main.get_command(None, name) for name in main.list_commands(None)}


def _unknown_option(error: click.exceptions.NoSuchOption) -> str:
    """The sentence for an option the command does not have: a close spelling of one it
    has, or the commands that do have it (``derive --lang``: notes' option)."""
    command = error.ctx.command.name if error.ctx is not None else None
    owners = [name for name, other in commands().items() if name != command and any(
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
    except (BrokenPipeError, ReaderGone):  # the reader went away (`symgrad ... | head`): end
        # quietly, as SIGPIPE would
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


def _tolerant_streams() -> None:
    """stdout and stderr never raise UnicodeEncodeError, whatever their encoding; a
    closed one (``>&-``) is pointed at /dev/null, and the exit code still tells."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            CLOSED_STREAMS.add(name)
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
