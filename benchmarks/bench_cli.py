"""Whole command-line calls as a user runs them, against the naive way, in one run.

    python benchmarks/bench_cli.py            # prints the tables
    python benchmarks/bench_cli.py --readme   # and writes them into README.md's Speed section
    python benchmarks/bench_cli.py --only eval derive   # those sections only (no --readme)

Each figure is the wall time of a fresh interpreter running the command (start-up, the work,
the output written), best of ``REPEATS``; the naive way runs in the same session, so a busy
machine slows both. The naive ways:

- start-up: every module of symgrad imported before the command line is read, as symgrad
  started before its commands, its analyses and its layouts were loaded where used;
- derive: SymPy itself (compose the chain, ``sympy.diff`` w.r.t. w_1, ``sympy.latex``), and
  at depths SymPy cannot reach, the same command with every factor sent through SymPy's
  printer;
- eval: a plain mpmath loop at the same digits (forward, backward, every layer's values
  printed or dumped as JSON): one run, its digits not checked;
- nets: numpy object arrays of MPFR numbers (symgrad's route before Arb), and numpy float64
  (BLAS) as the physical floor.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPEATS = 2
ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN, END = "<!-- speed: written by benchmarks/bench_cli.py -->", "<!-- speed: end -->"


def wall(argv: list[str], repeats: int = REPEATS, cwd: str | None = None) -> float:
    """The best wall time of ``argv`` run in a fresh process (its output thrown away)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=cwd)
        times.append(time.perf_counter() - start)
    return min(times)


_SYMGRAD = "import sys; from symgrad.cli import run; sys.argv[0] = 'symgrad'; run()"


def symgrad(*arguments: str, repeats: int = REPEATS) -> float:
    """``symgrad ARGUMENTS`` as a user runs it (the installed entry point's code)."""
    return wall([sys.executable, "-c", _SYMGRAD, *arguments], repeats)


def python(code: str, repeats: int = REPEATS) -> float:
    return wall([sys.executable, "-c", code], repeats)


EAGER = ("import symgrad.api, symgrad.render.json; "
         "from symgrad.render.document import load_every_layout; load_every_layout(); "
         "symgrad.api.annotation_types(); "
         "from symgrad import commands; import importlib; "
         "[importlib.import_module('symgrad.commands.' + m) for m, _, _ in "
         "commands.COMMANDS.values()]; ")


def eager(*arguments: str) -> float:
    """The same command with every module imported first."""
    code = f"import sys; {EAGER}from symgrad.cli import run; sys.argv[0] = 'symgrad'; run()"
    return wall([sys.executable, "-c", code, *arguments])


def row(case: str, ours: float, theirs: float | str | None, naive: str) -> list[str]:
    if isinstance(theirs, float):
        return [case, f"{ours:.2f} s", f"{theirs:.2f} s ({naive})", f"{theirs / ours:.1f}×"]
    return [case, f"{ours:.2f} s", theirs or "-", "-"]


def startup() -> list[list[str]]:
    return [row(f"`symgrad {' '.join(a)}`", symgrad(*a), eager(*a), "every module imported first")
            for a in (("--help",), ("acts", "--act", "relu"), ("derive", "--depth", "3"),
                      ("region", "--w", "2"), ("eval", "--depth", "3", "--x", "1"),
                      ("eval", "--widths", "2,3,2", "--init", "he"))]


_NAIVE_DERIVE = """
import sys, sympy
depth = int(sys.argv[1])
x, y = sympy.symbols("x y")
weights, biases = sympy.symbols(f"w1:{depth + 1}"), sympy.symbols(f"b1:{depth + 1}")
a = x
for w, b in zip(weights, biases):
    a = 1 / (1 + sympy.exp(-(w * a + b)))
open(sys.argv[2], "w").write(sympy.latex(sympy.diff((a - y) ** 2 / 2, weights[0])))
"""


def derive() -> list[list[str]]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_derive import whole_command  # the naive printing route lives there

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        target = str(Path(folder) / "d.tex")
        ours = symgrad("derive", "--depth", "20", "--act", "sigmoid", "-o", target)
        theirs = wall([sys.executable, "-c", _NAIVE_DERIVE, "20", target])
        rows.append(row("depth 20, LaTeX", ours, theirs, "SymPy: compose, diff, latex"))
    for depth in (1_000, 10_000):
        ours = min(whole_command(depth)[0] for _ in range(REPEATS))
        theirs = min(whole_command(depth, naive=True)[0] for _ in range(REPEATS))
        rows.append(row(f"depth {depth:,}, LaTeX", ours, theirs, "every factor through SymPy's printer"))
    ours = whole_command(100_000)[0]
    rows.append(row("depth 100,000, LaTeX (progress bar)", ours,
                    "SymPy fails from depth 23 (RecursionError)", ""))
    return rows


_NAIVE_EVAL = """
import json, sys, mpmath
depth, digits, fmt = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
mpmath.mp.dps = digits
w, b, y = mpmath.mpf("1.5"), mpmath.mpf("-0.2"), mpmath.mpf(0)
a = [mpmath.mpf("0.5")]
z = []
for _ in range(depth):
    z.append(w * a[-1] + b)
    a.append(1 / (1 + mpmath.exp(-z[-1])))
layers = [None] * depth
upstream = a[-1] - y
for l in range(depth, 0, -1):
    slope = a[l] * (1 - a[l])
    delta = upstream * slope
    layers[l - 1] = {"layer": l, "z": mpmath.nstr(z[l - 1], digits), "a": mpmath.nstr(a[l], digits),
                     "dsigma": mpmath.nstr(slope, digits), "delta": mpmath.nstr(delta, digits),
                     "grad_w": mpmath.nstr(delta * a[l - 1], digits)}
    upstream = delta * w
if fmt == "json":
    json.dump({"layers": layers, "input_gradient": mpmath.nstr(upstream, digits)}, sys.stdout, indent=2)
else:
    for layer in layers:
        print(*layer.values())
"""


def evaluate() -> list[list[str]]:
    rows = []
    arguments = ["eval", "--depth", "100000", "--act", "sigmoid", "--w", "1.5", "--b=-0.2",
                 "--x", "0.5", "--y", "0", "--dps", "50"]
    for fmt in ("text", "json"):
        ours = symgrad(*arguments, "--format", fmt)
        theirs = wall([sys.executable, "-c", _NAIVE_EVAL, "100000", "50", fmt])
        rows.append(row(f"depth 100,000, 50 digits, {fmt}", ours, theirs,
                        "mpmath loop, one run, digits unchecked"))
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
        one_core = wall(["taskset", "-c", "0", sys.executable, "-c", _SYMGRAD, *arguments,
                         "--format", "json"])
        rows.append(row("— json, the float passes and the layers' text in two workers", ours,
                        one_core, "symgrad on one core, `taskset -c 0`"))
    return rows


def nets() -> list[list[str]]:
    """The three targets of matrix nets against numpy float64 (the same pass, uncertified:
    the physical floor), and at widths the route before balls finishes, against it."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_matrix import cli, float64, mpfr_route

    rows = []
    for width, depth, init, spectrum in ((256, 100, "he", False), (256, 100, "orthogonal", False),
                                         (1024, 20, "he", False), (128, 50, "orthogonal", True)):
        options = ["--init", init] + ([] if spectrum else ["--no-spectrum"])
        ours = min(cli(width, depth, *options) for _ in range(REPEATS))
        floor = float64(width, depth, init, spectrum)
        what = "spectrum" if spectrum else "gradient"
        rows.append([f"{what}, width {width} × depth {depth}, {init}", f"{ours:.1f} s",
                     f"{floor * 1000:.1f} ms (numpy float64, the same pass uncertified)",
                     f"{ours / floor:,.0f}× float64's time"])
    for width, depth, init, spectrum in ((64, 50, "orthogonal", True), (128, 20, "he", False)):
        options = ["--init", init] + ([] if spectrum else ["--no-spectrum"])
        ours = min(cli(width, depth, *options) for _ in range(REPEATS))
        theirs = mpfr_route(width, depth, init, spectrum)
        what = "spectrum" if spectrum else "gradient"
        rows.append(row(f"{what}, width {width} × depth {depth}, {init}", ours, theirs,
                        "numpy arrays of MPFR numbers, two runs compared, in process"))
    return rows


SECTIONS: dict[str, tuple[str, Callable[[], list[list[str]]]]] = {
    "Start-up": ("", startup),
    "derive": ("`symgrad derive --act sigmoid -o FILE.tex`", derive),
    "eval": ("`symgrad eval --act sigmoid --w 1.5 --b=-0.2 --x 0.5 --y 0`", evaluate),
    "eval --widths": ("`symgrad eval --widths W,…,W --act tanh --x 1 --dps 30`, certified balls",
                      nets),
}


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release().split('-')[0]}")


def tables() -> str:
    parts = [f"Whole command-line calls (wall time of a fresh process, best of {REPEATS}), each "
             f"beside the naive way run in the same session; measured by "
             f"`python benchmarks/bench_cli.py` on {machine()}, "
             f"{time.strftime('%Y-%m-%d')}. More figures: [docs/benchmarks.md](docs/benchmarks.md)."]
    only = sys.argv[sys.argv.index("--only") + 1:] if "--only" in sys.argv else list(SECTIONS)
    for title, (command, measure) in SECTIONS.items():
        if title not in only:
            continue
        rows = measure()
        parts.append(f"**{title}**" + (f" ({command})" if command else "") + "\n\n"
                     + "| case | symgrad | the naive way | ratio |\n|---|---|---|---|\n"
                     + "\n".join("| " + " | ".join(r) + " |" for r in rows))
        print(parts[-1], "\n", flush=True)
    return "\n\n".join(parts)


def write_readme(text: str) -> None:
    readme = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"README.md has no section between {BEGIN} and {END}")
    README.write_text(pattern.sub(lambda _: f"{BEGIN}\n{text}\n{END}", readme), encoding="utf-8")


if __name__ == "__main__":
    written = tables()
    if "--readme" in sys.argv and "--only" not in sys.argv:
        write_readme(written)
