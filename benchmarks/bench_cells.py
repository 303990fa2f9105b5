"""Recurrent cells: backpropagation through time against the naive ways, and the whole CLI call.

    python benchmarks/bench_cells.py

1. Every parameter's gradient of an LSTM over T steps at 30 digits: ``evaluate_cell`` (one
   forward and one backward pass, run at two working precisions until they agree) against
   what a user would write by hand with mpmath: ``mpmath.diff`` of a forward pass once per
   parameter (12 of them), in the same run. Target: BPTT at least 5 times faster at T = 300.
2. The derivation against ``sympy.diff`` of the composed network (every step nested into
   the next), the way the tests' oracle checks it: T = 1..3; the composed derivative grows
   about six-fold a step, the derivation linearly.
3. The whole command as a user runs it (subprocess, wall time): ``symgrad eval --cell lstm
   --steps 1000`` and ``symgrad plot --cell rnn --cell lstm --cell gru --steps 200``
   (targets: under 10 s and 15 s on 2 shared cores), beside ``symgrad --version`` (the
   interpreter's and imports' share).
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mpmath
import sympy

import symgrad
from symgrad.analysis import cell_bounds

LSTM = tuple(p + g for g in "ifgo" for p in "uwb")


def _lstm_cost(p: dict, xs) -> mpmath.mpf:
    h = c = mpmath.mpf(0)
    for x in xs:
        def gate(g, x=x, h=h):
            return 1 / (1 + mpmath.exp(-(p["u" + g] * x + p["w" + g] * h + p["b" + g])))
        i, f, o = gate("i"), gate("f"), gate("o")
        g = mpmath.tanh(p["ug"] * x + p["wg"] * h + p["bg"])
        c = f * c + i * g
        h = o * mpmath.tanh(c)
    return h * h / 2


def by_mpmath_diff(steps: int, dps: int = 30) -> float:
    start = time.perf_counter()
    with mpmath.workdps(dps + 10):
        p = {name: mpmath.mpf(1) / 2 for name in LSTM}
        p["bf"] = mpmath.mpf(1)
        xs = [mpmath.mpf(1)] * steps
        for name in LSTM:
            mpmath.diff(lambda v, name=name: _lstm_cost({**p, name: v}, xs), p[name])
    return time.perf_counter() - start


def by_bptt(steps: int, dps: int = 30) -> float:
    start = time.perf_counter()
    symgrad.evaluate_cell("lstm", steps, dps=dps)
    return time.perf_counter() - start


def composed_diff(steps: int) -> float:
    class Exp(sympy.Function):
        def fdiff(self, argindex=1):
            return self

    class Tanh(sympy.Function):
        def fdiff(self, argindex=1):
            return 1 - self ** 2

    start = time.perf_counter()
    s = {name: sympy.Symbol(name) for name in LSTM}
    h = c = sympy.Integer(0)
    for _ in range(steps):
        def gate(g, h=h):
            return 1 / (1 + Exp(-(s["u" + g] + s["w" + g] * h + s["b" + g])))
        i, f, o = gate("i"), gate("f"), gate("o")
        g = Tanh(s["ug"] + s["wg"] * h + s["bg"])
        c = f * c + i * g
        h = o * Tanh(c)
    for name in LSTM:
        sympy.diff(h * h / 2, s[name])
    return time.perf_counter() - start


def derivation(steps: int) -> float:
    start = time.perf_counter()
    symgrad.derive_cell("lstm", steps)
    return time.perf_counter() - start


def wall(*arguments: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symgrad.cli", *arguments], check=True,
                   capture_output=True, timeout=600)
    return time.perf_counter() - start


def main() -> None:
    print("1. every parameter's gradient, LSTM, 30 digits")
    for steps in (30, 300):
        ours, naive = by_bptt(steps), by_mpmath_diff(steps)
        print(f"   T = {steps:4}: evaluate_cell {ours:7.3f} s   mpmath.diff x 12 {naive:7.3f} s"
              f"   ratio {naive / ours:6.1f}x")
    print("2. the derivation against sympy.diff of the composed network")
    for steps in (1, 2, 3):
        ours, naive = derivation(steps), composed_diff(steps)
        print(f"   T = {steps}: derive_cell {ours:6.3f} s   composed sympy.diff {naive:7.3f} s"
              f"   ratio {naive / ours:6.1f}x")
    print(f"   T = 1000: derive_cell {derivation(1000):6.2f} s (the composed way: beyond reach)")
    print("3. the whole CLI call (subprocess, wall time)")
    base = wall("--version")
    print(f"   symgrad --version                                         {base:6.2f} s")
    print(f"   symgrad eval --cell lstm --steps 1000                     "
          f"{wall('eval', '--cell', 'lstm', '--steps', '1000'):6.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        figure = str(Path(folder) / "cells.png")
        cells = ("--cell", "rnn", "--cell", "lstm", "--cell", "gru")
        print(f"   symgrad plot --cell rnn --cell lstm --cell gru --steps 200 -o cells.png "
              f"{wall('plot', *cells, '--steps', '200', '-o', figure):6.2f} s")
    bounds_section()


def sampled_runs(cell: str, steps: int, count: int) -> tuple[float, mpmath.mpf]:
    """``count`` random input sequences in [-1, 1], each evaluated: (seconds, the largest
    ‖J_t‖ any step of any run met)."""
    rnd = random.Random(0)
    start, largest = time.perf_counter(), mpmath.mpf(0)
    for _ in range(count):
        xs = [f"{rnd.uniform(-1, 1):.6f}" for _ in range(steps)]
        run = symgrad.evaluate_cell(cell, steps, x=xs, dps=15)
        largest = max(largest, *(mpmath.mpf(str(s.norm)) for s in run.steps))
    return time.perf_counter() - start, largest


def bounds_of(cell: str, steps: int, pieces: dict | None = None):
    saved = dict(cell_bounds.PIECES), dict(cell_bounds.COARSE)
    if pieces is not None:  # (the same intervals with the box cut into fewer pieces)
        cell_bounds.PIECES.update(pieces)
        cell_bounds.COARSE.update(pieces)
    try:
        start = time.perf_counter()
        found = symgrad.bounds(cell=cell, steps=steps, dps=15)
        return time.perf_counter() - start, found
    finally:
        cell_bounds.PIECES.update(saved[0])
        cell_bounds.COARSE.update(saved[1])


def bounds_section() -> None:
    print("4. bounds through time, every input sequence in [-1, 1]")
    uncut = {0: 1, 1: 1, 2: 1, 3: 1}
    for cell in ("rnn", "gru", "lstm"):
        ours, found = bounds_of(cell, 100)
        try:
            loose = mpmath.nstr(bounds_of(cell, 100, uncut)[1].bounds[-1].norm, 5)
        except symgrad.SymgradError:  # (uncut, the intervals find no box holding the states)
            loose = "none (no box found)"
        sampling, met = sampled_runs(cell, 100, 20)
        print(f"   {cell:4}: bounds {ours:6.2f} s   20 sampled runs {sampling:6.2f} s"
              f"   ratio {sampling / ours:5.1f}x   ‖J_t‖: met {mpmath.nstr(met, 5)}, bound "
              f"{mpmath.nstr(found.bounds[-1].norm, 5)}, uncut intervals {loose}")
    print(f"   symgrad bounds --cell lstm --steps 100000                 "
          f"{wall('bounds', '--cell', 'lstm', '--steps', '100000'):6.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        pdf = str(Path(folder) / "lstm.pdf")
        print(f"   symgrad notes --cell lstm --steps 200 -o lstm.pdf          "
              f"{wall('notes', '--cell', 'lstm', '--steps', '200', '-o', pdf):6.2f} s")


if __name__ == "__main__":
    main()
