"""hypothesis fuzzing of every command's options: random and extreme values (numbers of 1
to 10^5 digits, empty strings, unicode, special paths), under the corpus' promises.

The command line runs in this process (``symgrad.cli.run(argv)``, so hundreds of runs
fit in CI's time) inside a folder of its own, each run under a time budget; every run
must exit 0 or 2 (verify: 0, 1 or 2), print no traceback, refuse in one line
'symgrad: ...', and leave the folder's files as they were when it refuses.
"""

from __future__ import annotations

import io
import os
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symgrad.budget import OverBudget, time_budget
from symgrad.cli import run
from tests.hostile import snapshot

RUN_SECONDS = 90  # one fuzzed run; the analyses refuse at 60 s (symgrad.api.COMMAND_SECONDS)
EXAMPLES = 40  # per command: a fixed budget, so CI stays bounded

digits = st.integers(1, 100_000).map(lambda n: "9" * n)
exponents = st.integers(-100_500, 100_500).map(lambda e: f"1e{e}")
small_numbers = st.sampled_from(["0", "1", "-1", "0.5", "-0.2", "1/3", "3", "1e-3", "2"])
garbage = st.one_of(st.just(""), st.text(max_size=12),
                    st.sampled_from(["nan", "inf", "-inf", "1/0", "0x10", "1_0", "١", "1e", "--", " ",
                                     "1,2", ",", "1e-99999", "-1e99999", "\x1b[2J", "\udcff"]))
numbers = st.one_of(small_numbers, digits, exponents, garbage,
                    st.integers(-10**30, 10**30).map(str),
                    st.fractions().map(str))
lists = st.lists(st.one_of(small_numbers, exponents, garbage), min_size=1, max_size=4).map(",".join)
whole = st.one_of(st.sampled_from(["1", "2", "3"]), garbage, digits.filter(lambda d: len(d) > 8),
                  st.integers(-5, 0).map(str))
activations = st.one_of(
    st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu:0.1", "elu", "softplus", "gelu",
                     "silu", "linear", "x/(1+abs(x))", "tanh(x)+x/10"]),
    st.builds(lambda n: f"leaky_relu:{n}", numbers), garbage,
    st.sampled_from(["x/(x**2-2)", "1/x", "log(x)", "exp(x)", "x**x", "sqrt(x)", "x+exp(1e308)",
                     "9**9**9", "__import__('os')", "x.real", "(" * 60 + "x" + ")" * 60, "x\n",
                     "lambda: 0", "[x]", "x if x else 0", "f(x)", "exp(-exp(x**2))"]))
paths = st.sampled_from(["/dev/null", "/dev/full", ".", "nofolder/", "x.docx", "x.html", "a" * 300 + ".tex",
                         "", "keep.tex", "out.json", "out.md", "out", "keep.tex/", "\x1b.txt"])
formats = st.one_of(st.sampled_from(["text", "latex", "markdown", "html", "json"]), garbage)


def option(name: str, values) -> st.SearchStrategy[list[str]]:
    """``[name, value]`` or nothing."""
    return st.one_of(st.just([]), values.map(lambda v: [name, v]))


def flag(name: str) -> st.SearchStrategy[list[str]]:
    return st.sampled_from([[], [name]])


OUTPUT = [option("--format", formats), option("-o", paths)]
CHAIN = [option("--act", activations), flag("--residual"), flag("--tied"),
         option("--cost", st.one_of(st.sampled_from(["quadratic", "cross-entropy"]), garbage))]

COMMANDS = {
    "derive": [option("--depth", whole), flag("--general"), option("--layers", lists),
               option("--widths", st.one_of(st.sampled_from(["2,3,2", "1,1", "2,2,2,2"]), lists)),
               flag("--fragment"), *CHAIN, *OUTPUT],
    "eval": [option("--depth", whole), option("--w", st.one_of(numbers, lists)),
             option("--b", numbers), option("--x", numbers), option("--y", numbers),
             option("--z", st.one_of(numbers, lists)), option("--dps", whole), flag("--interval"),
             option("--widths", st.sampled_from(["2,3,2", "1,1", "x"])),
             option("--init", st.one_of(st.sampled_from(["he", "orthogonal"]), garbage)),
             option("--scale", numbers), option("--seed", whole), *CHAIN, *OUTPUT],
    "bounds": [option("--depth", whole), option("--act", activations),
               option("--w", st.one_of(numbers, lists)), option("--dps", whole), flag("--residual"),
               *OUTPUT],
    "region": [option("--act", activations), option("--w", numbers), option("--b", numbers),
               flag("--maximize"), option("--dps", whole), *OUTPUT],
    "meanfield": [option("--act", activations), option("--sigma-w2", numbers),
                  option("--sigma-b2", numbers), option("--depth", whole), option("--dps", whole),
                  *OUTPUT],
    "critical": [option("--act", activations), option("--sigma-b2", st.one_of(numbers, lists)),
                 option("--dps", whole), *OUTPUT],
    "sample": [option("--depth", whole), option("--act", activations),
               option("--sigma-w2", numbers), option("--sigma-b2", numbers),
               option("--width", whole), option("--samples", whole), option("--seed", whole),
               *OUTPUT],
    "acts": [option("--act", activations), *OUTPUT],
    "verify": [option("--depth", whole), option("--target", st.one_of(
                   st.sampled_from(["delta1", "grad_w1", "grad_b2", "input_gradient"]), garbage)),
               option("--claim", st.one_of(activations, st.sampled_from([
                   "w2*dsigma(z1)*dsigma(z2)*dC_daL", "dsigma(2*z1)", "dsigma(1)", "sigma(z1)*a0",
                   "exp(10**400*w1)", "exp((w1+w2+z1+z2)**1000)"]))), *CHAIN, *OUTPUT],
    "notes": [option("--depth", whole), option("--w", numbers), option("--x", numbers),
              option("--act", activations), flag("--residual"), *OUTPUT],
    "plot": [option("--depth", whole), option("--act", activations), option("--w", numbers),
             option("--x", numbers), option("-o", paths)],
}


def arguments(command: str) -> st.SearchStrategy[list[str]]:
    return st.tuples(*COMMANDS[command]).map(
        lambda parts: [command] + [word for part in parts for word in part])


def outcome(argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``symgrad *argv`` in this process."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    started = time.monotonic()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            with time_budget(RUN_SECONDS):
                run(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except OverBudget:
            code = -1
    if time.monotonic() - started >= RUN_SECONDS:  # the CLI turns a spent budget into a refusal
        code = -1
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "keep.tex").write_text("keep me\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["symgrad"])
    return tmp_path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_fuzzed_options_keep_the_promises(command, folder):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(arguments(command))
    def check(argv):
        before = snapshot(folder)
        code, _, stderr = outcome(argv)
        assert code != -1, f"past {RUN_SECONDS} s: {argv!r}"
        assert code in ((0, 1, 2) if command == "verify" else (0, 2)), (argv, code, stderr[-400:])
        assert "Traceback" not in stderr and "internal error" not in stderr, (argv, stderr[-400:])
        if code == 2:
            lines = stderr.strip("\n").split("\n")
            assert len(lines) == 1 and lines[0].startswith("symgrad: "), (argv, stderr[:400])
            assert not any(ord(c) < 32 for c in lines[0]), (argv, lines[0])
            assert snapshot(folder) == before, argv
        for name in os.listdir(folder):
            assert not name.startswith(".symgrad-"), f"temporary file left: {argv!r}"
        Path(folder / "keep.tex").write_text("keep me\n")  # -o keep.tex may overwrite it

    check()
