"""Front-layer gradient of a sigmoid chain: symgrad against naive SymPy, in one run; and
the whole ``symgrad derive`` command, derivation and LaTeX, against naive printing.

    python benchmarks/bench_derive.py            # prints the tables (Markdown with --markdown)
    python benchmarks/bench_derive.py --cli      # the whole-command table only

Naive SymPy: compose the network, ``sympy.diff`` w.r.t. w_1, ``sympy.latex``.
symgrad: ``derive`` (front layer only) and the LaTeX of ∂C/∂w_1, every factor written out.

Whole command: the wall time of ``symgrad derive --depth L --act sigmoid -o FILE.tex`` in a
fresh interpreter (start-up, derivation, document, file). Naive printing: the same command
with every factor of every product printed by SymPy's printer (no factor's text kept, no
shape of factor printed once), as the command printed before issue 17.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sympy
from sympy.core.cache import clear_cache

import symgrad
from symgrad.render.printing import latex


def naive(depth: int) -> tuple[float, int] | None:
    start = time.perf_counter()
    x, y = sympy.symbols("x y")
    weights = sympy.symbols(f"w1:{depth + 1}")
    biases = sympy.symbols(f"b1:{depth + 1}")
    a = x
    for w, b in zip(weights, biases):
        a = 1 / (1 + sympy.exp(-(w * a + b)))
    try:
        text = sympy.latex(sympy.diff((a - y) ** 2 / 2, weights[0]))
    except RecursionError:
        return None
    return time.perf_counter() - start, len(text)


def with_symgrad(depth: int) -> tuple[float, int]:
    start = time.perf_counter()
    derivation = symgrad.derive(depth, "sigmoid", layers=[1])
    text = latex(derivation.concrete(derivation.layer(1).grad_w), output_layer=depth)
    return time.perf_counter() - start, len(text)


def best_of(function, depth, repeats):
    runs = []
    for _ in range(repeats):
        clear_cache()  # SymPy's cache would let a run reuse the previous one's work
        runs.append(function(depth))
    if any(r is None for r in runs):
        return None
    return min(runs)


_NAIVE_PRINTING = ("from symgrad.render import printing; "
                   "printing.FactorTexts.text = lambda self, factor, print_one, level=0: "
                   "print_one(factor); ")


def whole_command(depth: int, fmt: str = "tex", naive: bool = False) -> tuple[float, int]:
    """Wall time of the whole CLI call at ``depth`` (writing FILE.fmt), and the file's size."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"derivation.{fmt}"
        arguments = ["derive", "--depth", str(depth), "--act", "sigmoid", "-o", str(target)]
        code = (f"import sys; {_NAIVE_PRINTING if naive else ''}from symgrad.cli import run; "
                f"sys.argv = ['symgrad', *{arguments!r}]; run()")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start, target.stat().st_size


def cli_table() -> None:
    lines = ["| depth | format | symgrad derive (wall) | naive printing (wall) | speed-up | file |",
             "|---|---|---|---|---|---|"]
    for depth, fmt, naive in ((1_000, "tex", True), (10_000, "tex", True), (10_000, "txt", True),
                              (10_000, "json", False), (10_000, "md", False),
                              (100_000, "tex", False)):
        ours, size = whole_command(depth, fmt)
        if naive:
            theirs, _ = whole_command(depth, fmt, naive=True)
            naive_cells = [f"{theirs:.2f} s", f"{theirs / ours:.1f}×"]
        else:
            naive_cells = ["not run", "-"]
        lines.append("| " + " | ".join([f"{depth:,}", fmt, f"{ours:.2f} s", *naive_cells,
                                          f"{size / 1e6:.1f} MB"]) + " |")
    print("\n".join(lines))


def main(markdown: bool = False) -> None:
    rows = []
    for depth in (5, 10, 15, 20, 22, 23, 25, 30, 100, 1000, 10_000):
        naive_result = best_of(naive, depth, 3) if depth <= 30 else "skip"
        ours = best_of(with_symgrad, depth, 3 if depth < 10_000 else 1)
        rows.append((depth, naive_result, ours))
    header = ("depth", "naive SymPy time", "naive LaTeX chars", "symgrad time",
              "symgrad LaTeX chars", "speed-up")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for depth, naive_result, (our_time, our_length) in rows:
        if naive_result == "skip":
            naive_cells, ratio = ["not tried", "-"], "-"
        elif naive_result is None:
            naive_cells, ratio = ["fails (RecursionError)", "-"], "-"
        else:
            naive_cells = [f"{naive_result[0]:.3f} s", f"{naive_result[1]:,}"]
            ratio = f"{naive_result[0] / our_time:.0f}×"
        lines.append("| " + " | ".join([str(depth), *naive_cells, f"{our_time:.3f} s",
                                          f"{our_length:,}", ratio]) + " |")
    print("\n".join(lines))
    by_depth = {depth: ours for depth, _, ours in rows}
    growth = by_depth[10_000][0] / by_depth[1000][0]
    print(f"\ntime(10,000) / time(1,000) = {growth:.1f} (linear growth would be 10)")
    if not markdown:
        twenty = next(r for r in rows if r[0] == 20)
        if twenty[1] and twenty[1] != "skip":
            print(f"depth 20: {twenty[1][0] / twenty[2][0]:.0f}× faster, LaTeX "
                  f"{twenty[1][1] / twenty[2][1]:.0f}× shorter")


if __name__ == "__main__":
    if "--cli" not in sys.argv:
        main(markdown="--markdown" in sys.argv)
        print()
    cli_table()
