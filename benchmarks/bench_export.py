"""symgrad export: the whole command as a user runs it, and the module it writes, against
the naive ways, in one run.

    python benchmarks/bench_export.py

1. The whole command (a fresh interpreter, wall time, the module written): a chain of
   depth 10 and of depth 10,000 (log-space), and a net of widths 784,128,10, beside the
   naive way for the chain: ``sympy.diff`` of the composed network with respect to every
   w_l and b_l, lambdified to NumPy (SymPy reaches depth 10; from depth 23 on it fails).
   Target: export of the depth-10,000 chain under 5 s.
2. The exported NumPy module's ``gradients`` at depth 10,000 against the naive module
   (depth 10 only), and its ``log10_gradients``; the net module's ``gradients`` at widths
   784,128,10 against JAX's autograd of the same loss (``jax.grad``, float64), if JAX is
   installed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy
import sympy

import symgrad

REPEATS = 3
CODE = "import sys; from symgrad.cli import run; sys.argv[0] = 'symgrad'; run()"


def best(run, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def command(*arguments: str) -> float:
    return best(lambda: subprocess.run([sys.executable, "-c", CODE, *arguments], check=True,
                                       stdout=subprocess.DEVNULL))


def load(source: str, folder: Path, name: str):
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_NAIVE = """
import sys, sympy
depth = int(sys.argv[1])
w, b = sympy.symbols(f"w1:{depth + 1}"), sympy.symbols(f"b1:{depth + 1}")
x, y = sympy.symbols("x y")
a = x
for layer in range(depth):
    a = 1 / (1 + sympy.exp(-(w[layer] * a + b[layer])))
cost = (a - y) ** 2 / 2
gradient = [sympy.diff(cost, p) for p in (*w, *b)]
function = sympy.lambdify((w, b, x, y), gradient, "numpy")
open(sys.argv[2], "w").write(str(len(gradient)))
"""


def whole_commands(folder: Path) -> None:
    print("1. whole commands (wall time, best of 3)")
    naive = best(lambda: subprocess.run([sys.executable, "-c", _NAIVE, "10",
                                         str(folder / "naive.txt")], check=True), 1)
    ours = command("export", "--depth", "10", "--act", "sigmoid", "-o", str(folder / "c10.py"))
    print(f"   depth 10 chain: symgrad export {ours:.2f} s; sympy.diff + lambdify of the "
          f"composed chain {naive:.2f} s ({naive / ours:.1f}x)")
    ours = command("export", "--depth", "10000", "--act", "sigmoid", "--log-space", "-o",
                   str(folder / "c10k.py"))
    print(f"   depth 10,000 chain, --log-space: {ours:.2f} s (target 5 s); sympy.diff fails "
          f"from depth 23 (RecursionError)")
    ours = command("export", "--widths", "784,128,10", "--act", "tanh", "--to", "jax", "-o",
                   str(folder / "net.py"))
    print(f"   net 784,128,10 (JAX): {ours:.2f} s")


def modules(folder: Path) -> None:
    print("2. the exported modules")
    depth = 10_000
    chain = load(symgrad.export(depth, "sigmoid", log_space=True), folder, "chain10k")
    w, b = [1.5] * depth, [-0.2] * depth
    plain = best(lambda: chain.gradients(w, b, 0.5, 0.0))
    logged = best(lambda: chain.log10_gradients(w, b, 0.5, 0.0))
    print(f"   depth 10,000: gradients {plain * 1e3:.0f} ms, log10_gradients {logged * 1e3:.0f} ms")
    small = load(symgrad.export(10, "sigmoid"), folder, "chain10")
    ws, bs = sympy.symbols("w1:11"), sympy.symbols("b1:11")
    x, y = sympy.symbols("x y")
    a = x
    for layer in range(10):
        a = 1 / (1 + sympy.exp(-(ws[layer] * a + bs[layer])))
    naive = sympy.lambdify((ws, bs, x, y), [sympy.diff((a - y) ** 2 / 2, p) for p in (*ws, *bs)],
                           "numpy")
    point = ([1.5] * 10, [-0.2] * 10, 0.5, 0.0)
    ours, theirs = best(lambda: small.gradients(*point)), best(lambda: naive(*point))
    print(f"   depth 10: gradients {ours * 1e6:.0f} µs; the lambdified composed derivatives "
          f"{theirs * 1e6:.0f} µs ({theirs / ours:.1f}x)")
    try:
        import jax
    except ImportError:
        print("   (JAX not installed: the net's comparison skipped)")
        return
    net = load(symgrad.export(widths=(784, 128, 10), act="tanh", to="jax"), folder, "net784")
    draw = numpy.random.default_rng(0)
    weights = [jax.numpy.asarray(draw.normal(0, 1 / numpy.sqrt(m), (n, m)))
               for m, n in ((784, 128), (128, 10))]
    biases = [jax.numpy.zeros(128), jax.numpy.zeros(10)]
    x, y = jax.numpy.asarray(draw.uniform(-1, 1, 784)), jax.numpy.asarray(draw.uniform(0, 1, 10))
    automatic = jax.grad(net.loss, argnums=(0, 1, 2))
    jax.block_until_ready(automatic(weights, biases, x, y))
    ours = best(lambda: jax.block_until_ready(net.gradients(weights, biases, x, y)["W"]), 10)
    theirs = best(lambda: jax.block_until_ready(automatic(weights, biases, x, y)), 10)
    print(f"   net 784,128,10 (JAX, not jitted): gradients {ours * 1e3:.1f} ms, jax.grad "
          f"{theirs * 1e3:.1f} ms (ratio {theirs / ours:.2f})")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        whole_commands(Path(folder))
        modules(Path(folder))
