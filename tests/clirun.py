"""``symgrad ARGV`` run in this process (``symgrad.cli.run``), for the tests whose subject
is what a command prints, writes or refuses rather than the process around it: a new
interpreter per run costs about a second of imports, most of such a test's time.

What stays in a real subprocess (tests/test_cli.py, tests/hostile.py, the memory- and
time-limited runs, the encodings, signals and closed streams) needs the process itself.
The result has a subprocess' fields, so a test reads it the same way."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

from symgrad import cli


@dataclass
class Ran:
    """A finished run, read like ``subprocess.CompletedProcess``."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def symgrad(*argv: str, cwd=None) -> Ran:
    """``symgrad *argv`` (in ``cwd``, if given): its exit code, standard output and error,
    as ``python -m symgrad.cli *argv`` would give them to a pipe."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                cli.run(list(argv))
            except SystemExit as exit_:
                code = 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 1
    finally:
        os.chdir(here)
    return Ran(["symgrad", *argv], code, out.getvalue(), err.getvalue())
