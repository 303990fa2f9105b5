"""Checks of the values a caller gives, shared by the Python API and the command line.

The command line only turns text into values (``"10"`` into 10; numbers stay text for
``symgrad.numbers`` to read exactly) and calls the same API functions, so every value
is checked here once, with one sentence that names the argument. NumPy's scalars are
ordinary numbers and flags; a text "no" is not a flag.
"""

from __future__ import annotations

import contextvars
import operator
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from symgrad.errors import SymgradError, quoted

_OPTION_PREFIX = contextvars.ContextVar("symgrad_option_prefix", default="")


# The API's arguments whose command-line option has another name.
_OPTION_NAMES = {"parameters": "set"}


def option(name: str) -> str:
    """An argument's name as the caller spells it: ``z`` for the Python API, ``--z`` while
    the command line calls it (inside ``spelled_as_options``; ``parameters`` is ``--set``,
    ``log_space`` is ``--log-space``)."""
    prefix = _OPTION_PREFIX.get()
    return prefix + (_OPTION_NAMES.get(name, name.replace("_", "-")) if prefix else name)


@contextmanager
def spelled_as_options() -> Iterator[None]:
    """Within: errors name arguments as command-line options (``--z``)."""
    token = _OPTION_PREFIX.set("--")
    try:
        yield
    finally:
        _OPTION_PREFIX.reset(token)


def shown(value) -> str:
    """A value for a sentence: as ``quoted`` shows it (a whole number of any length too),
    cut to 40 characters."""
    text = quoted(value)
    return text if len(text) <= 40 else text[:37] + "..."


def flag(value, name: str) -> bool:
    """True or False (NumPy's booleans too); anything else is refused."""
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
        return bool(value)
    raise SymgradError(f"{name} must be True or False, not {shown(value)}.")


def _integer(value, name: str, noun: str) -> int:
    """An int or NumPy integer (not a bool, not a float, not text)."""
    if not isinstance(value, (bool, float)):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise SymgradError(f"{name} must be {noun}, not {shown(value)}.")


def whole(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number (int or NumPy integer, not a bool or float) within the bounds."""
    number = _integer(value, name, "a whole number")
    if minimum is not None and number < minimum:
        raise SymgradError(f"{name} must be at least {minimum}, not {shown(number)}.")
    if maximum is not None and number > maximum:
        raise SymgradError(f"{name} must be at most {maximum}, not {shown(number)}.")
    return number


MAX_SEED = 2**64 - 1  # numpy takes longer seeds; none is more random, and each is shown


def seed(value) -> int:
    """A random draw's seed: a whole number from 0 to MAX_SEED."""
    return whole(value, "The seed", 0, MAX_SEED)


def digits(value, maximum: int, name: str = "The precision") -> int:
    """Significant digits, 1 to ``maximum``."""
    number = _integer(value, name, "a whole number")
    if not 1 <= number <= maximum:
        raise SymgradError(f"{name} must be between 1 and {maximum} digits, not {shown(number)}.")
    return number


def wholes(values, name: str, minimum: int | None = None, maximum: int | None = None) -> tuple[int, ...]:
    """A sequence (list, tuple, NumPy array) of whole numbers."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) and not hasattr(values, "tolist"):
        raise SymgradError(f"{name} must be a list of whole numbers, not {shown(values)}.")
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    return tuple(whole(item, f"Each of {name}", minimum, maximum) for item in items)


def callback(value) -> None:
    """``progress``: None or something to call with the work done."""
    if value is not None and not callable(value):
        raise SymgradError(f"progress must be a function to call with the work done, not "
                           f"{shown(value)}.")


def text(value, name: str) -> str:
    """A string (a name such as 'sigmoid', a cost, an initialisation)."""
    if not isinstance(value, str):
        raise SymgradError(f"{name} must be text, not {shown(value)}.")
    return value


def file_path(value, name: str) -> str:
    """A file name: text or os.PathLike."""
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise SymgradError(f"{name} must be a file's path, not {shown(value)}.")


def chain_or_net(depth, widths) -> None:
    """Something to work on: a scalar chain's depth or a matrix net's widths."""
    if depth is None and widths is None:
        raise SymgradError(f"Give the number of layers with {option('depth')} (or a matrix net with "
                           f"{option('widths')}).")


def only_for_a_chain(given: dict, then: str = "") -> None:
    """Refuse the first of ``given`` (a scalar chain's arguments by name) that is set (not
    None or False) beside a matrix net's widths; ``then``: what a net takes instead."""
    for name, value in given.items():
        if value is not None and value is not False:
            raise SymgradError(f"{option('widths')} describes a matrix net; {option(name)} belongs to a "
                               f"scalar chain{then}.")


def only_for_a_net(given: dict) -> None:
    """Refuse the first of ``given`` (a matrix net's arguments by name) that is set, for a
    scalar chain."""
    for name, value in given.items():
        if value is not None:
            raise SymgradError(f"{option(name)} belongs to a matrix net; give {option('widths')}.")


def not_for_a_cell(given: dict) -> None:
    """Refuse the first of ``given`` (a chain's or net's arguments by name) that is set (not
    None or False) beside a recurrent cell."""
    for name, value in given.items():
        if value is not None and value is not False:
            raise SymgradError(f"{option('cell')} describes a recurrent cell; {option(name)} belongs "
                               "to a chain or net.")


def only_for_a_cell(given: dict) -> None:
    """Refuse the first of ``given`` (a recurrent cell's arguments by name) that is set,
    without a cell."""
    for name, value in given.items():
        if value is not None:
            raise SymgradError(f"{option(name)} belongs to a recurrent cell; give {option('cell')} "
                               "rnn, lstm or gru.")


def settings(value, name: str) -> dict:
    """Named values: a mapping from names to values, or its text ``wf=1.5,bf=1`` (the values
    stay as given, for ``symgrad.numbers`` to read exactly)."""
    if isinstance(value, str):
        pairs = {}
        for part in value.split(","):
            key, equals, number = part.partition("=")
            key = key.strip()
            if not equals or not key or not number.strip():
                raise SymgradError(f"{name} takes NAME=VALUE pairs separated by commas, such as "
                                   f"wf=1.5,bf=1, not {shown(part)}.")
            if key in pairs:
                raise SymgradError(f"{name} gives {shown(key)} twice.")
            pairs[key] = number.strip()
        return pairs
    if isinstance(value, Mapping):
        for key in value:
            text(key, f"Each name in {name}")
        return dict(value)
    raise SymgradError(f"{name} must map each name to its value ({{'wf': 1.5}}, or the text "
                       f"'wf=1.5'), not {shown(value)}.")
