"""Chain layer kinds from one definition: what a highway layer costs, against the naive way.

    python benchmarks/bench_layers.py

1. Every gradient of a depth-L highway chain at 30 digits (w, b, p, q of every layer and
   ∂C/∂a_0): ``symgrad.evaluate(highway=True)`` (one forward and one backward pass per run,
   compiled from the layer's definition, runs at rising digits until two agree) against
   ``mpmath.diff`` of a forward pass once per parameter (4L of them: the naive way to every
   gradient), in the same run. Target: at least 5 times faster at L = 300.
2. The layer kinds side by side, the same pass: plain, residual and highway at depth 10^4
   (the highway layer computes its gate and keeps five numbers a layer; target: under 4×
   the plain chain's time).
3. The whole command as a user runs it (subprocess, wall time, start-up included):
   ``symgrad eval --depth 10000 --act tanh --highway --q=-2 --x 0.5`` and ``symgrad derive
   --depth 1000 --act tanh --highway -o d.tex`` (targets: under 10 s and 20 s on 2 shared
   cores), beside ``symgrad --version``.
4. JSON of a highway derivation (every layer's δ_l, a product of the whole factors of the
   layers above it): each factor printed once and joined (``PlainPrinter``) against the
   naive way, SymPy's Mul of the factors printed whole for every layer, in the same run at
   depth 40 (target: at least 5 times faster); and the whole call ``symgrad derive --depth
   100 --act gelu --highway --format json`` (target: under 15 s; it took 86 s before).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mpmath
import sympy

import symgrad


def _highway_cost(values: dict, depth: int) -> mpmath.mpf:
    a = mpmath.mpf(1) / 2
    for k in range(depth):
        t = 1 / (1 + mpmath.exp(-(values["p"][k] * a + values["q"][k])))
        a = t * mpmath.tanh(values["w"][k] * a + values["b"][k]) + (1 - t) * a
    return a * a / 2


def by_mpmath_diff(depth: int, dps: int = 30) -> float:
    start = time.perf_counter()
    with mpmath.workdps(dps + 10):
        values = {"w": [mpmath.mpf(1)] * depth, "b": [mpmath.mpf(0)] * depth,
                  "p": [mpmath.mpf(1)] * depth, "q": [mpmath.mpf(-2)] * depth}
        for name in values:
            for layer in range(depth):
                def cost(v, name=name, layer=layer):
                    column = list(values[name])
                    column[layer] = v
                    return _highway_cost({**values, name: column}, depth)
                mpmath.diff(cost, values[name][layer])
    return time.perf_counter() - start


def by_backprop(depth: int, dps: int = 30, **kind) -> float:
    start = time.perf_counter()
    options = {"q": -2} if kind.get("highway") else {}
    symgrad.evaluate(depth, "tanh", x="1/2", dps=dps, **kind, **options)
    return time.perf_counter() - start


def whole_call(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "symgrad.cli", *args], check=True,
                   capture_output=True)
    return time.perf_counter() - start


def json_pieces(depth: int) -> tuple[float, float]:
    """(naive, ours) seconds to print every layer's δ_l of a highway gelu chain as JSON text."""
    from symgrad.render.printing import PlainPrinter, _multiplied_out, plain
    derivation = symgrad.derive(depth, "gelu", highway=True)
    deltas = [derivation.concrete(gradient.delta) for gradient in derivation.layers]
    start = time.perf_counter()
    for delta in deltas:
        PlainPrinter().doprint(sympy.Mul(*[_multiplied_out(f) for group in delta.groups
                                           for f in group]))
    naive = time.perf_counter() - start
    start = time.perf_counter()
    for delta in deltas:
        plain(delta)
    return naive, time.perf_counter() - start


def main() -> None:
    print("1. every gradient: backprop vs mpmath.diff per parameter (4L of them), 30 digits")
    for depth in (50, 300):
        naive, ours = by_mpmath_diff(depth), by_backprop(depth, highway=True)
        print(f"   L = {depth:>4}: mpmath.diff {naive:7.3f} s, backprop {ours:7.3f} s, "
              f"{naive / ours:5.1f}× faster")
    print("2. the same pass, depth 10^4, by layer kind (50 digits)")
    times = {kind: by_backprop(10_000, 50, **({kind: True} if kind != "plain" else {}))
             for kind in ("plain", "residual", "highway")}
    for kind, seconds in times.items():
        print(f"   {kind:>8}: {seconds:6.2f} s ({seconds / times['plain']:4.2f}× plain)")
    print("3. whole CLI calls (subprocess, wall time)")
    with tempfile.TemporaryDirectory() as folder:
        calls = {
            "symgrad --version": ("--version",),
            "eval --depth 10000 --highway": ("eval", "--depth", "10000", "--act", "tanh",
                                             "--highway", "--q=-2", "--x", "0.5"),
            "derive --depth 1000 --highway -o d.tex": (
                "derive", "--depth", "1000", "--act", "tanh", "--highway", "-o",
                str(Path(folder) / "d.tex")),
        }
        for name, args in calls.items():
            print(f"   {name:>40}: {whole_call(*args):6.2f} s")
        print("4. JSON of a highway derivation: each factor printed once vs SymPy's Mul per layer")
        naive, ours = json_pieces(40)
        print(f"   depth 40, every δ_l: naive {naive:6.2f} s, ours {ours:6.2f} s, "
              f"{naive / ours:5.1f}× faster")
        seconds = whole_call("derive", "--depth", "100", "--act", "gelu", "--highway",
                             "--format", "json", "-o", str(Path(folder) / "d.json"))
        print(f"   {'derive --depth 100 --act gelu --highway --format json':>40}: {seconds:6.2f} s")


if __name__ == "__main__":
    main()
