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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from symgrad.errors import SymgradError

_OPTION_PREFIX = contextvars.ContextVar("symgrad_option_prefix", default="")


def option(name: str) -> str:
    """An argument's name as the caller spells it: ``z`` for the Python API, ``--z`` while
    the command line calls it (inside ``spelled_as_options``)."""
    return _OPTION_PREFIX.get() + name


@contextmanager
def spelled_as_options() -> Iterator[None]:
    """Within: errors name arguments as command-line options (``--z``)."""
    token = _OPTION_PREFIX.set("--")
    try:
        yield
    finally:
        _OPTION_PREFIX.reset(token)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def flag(value, name: str) -> bool:
    """True or False (NumPy's booleans too); anything else is refused."""
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
        return bool(value)
    raise SymgradError(f"{name} must be True or False, not {_shown(value)}.")


def _integer(value, name: str, noun: str) -> int:
    """An int or NumPy integer (not a bool, not a float, not text)."""
    if not isinstance(value, (bool, float)):
        try:
            return operator.index(value)
        except TypeError:
            pass
    raise SymgradError(f"{name} must be {noun}, not {_shown(value)}.")


def whole(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number (int or NumPy integer, not a bool or float) within the bounds."""
    number = _integer(value, name, "a whole number")
    if minimum is not None and number < minimum:
        raise SymgradError(f"{name} must be at least {minimum}, not {number}.")
    if maximum is not None and number > maximum:
        raise SymgradError(f"{name} must be at most {maximum}, not {number}.")
    return number


def digits(value, maximum: int, name: str = "The precision") -> int:
    """Significant digits, 1 to ``maximum``."""
    number = _integer(value, name, "a whole number of digits")
    if not 1 <= number <= maximum:
        raise SymgradError(f"{name} must be between 1 and {maximum} digits, not {number}.")
    return number


def wholes(values, name: str, minimum: int | None = None, maximum: int | None = None) -> tuple[int, ...]:
    """A sequence (list, tuple, NumPy array) of whole numbers."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) and not hasattr(values, "tolist"):
        raise SymgradError(f"{name} must be a list of whole numbers, not {_shown(values)}.")
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    return tuple(whole(item, f"Each of {name}", minimum, maximum) for item in items)


def text(value, name: str) -> str:
    """A string (a name such as 'sigmoid', a cost, an initialisation)."""
    if not isinstance(value, str):
        raise SymgradError(f"{name} must be text, not {_shown(value)}.")
    return value


def file_path(value, name: str) -> str:
    """A file name: text or os.PathLike."""
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise SymgradError(f"{name} must be a file's path, not {_shown(value)}.")
