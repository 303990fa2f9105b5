"""symgrad eval: exact backward pass against the naive SymPy way, and mpmath's backends.

    python benchmarks/bench_eval.py

1. Depth 1,000, 50 digits: ``symgrad`` (evaluate_chain, every layer) against what a
   user would write by hand: the derived expression of δ_1 alone,
   ``expr.subs(values).evalf(50)`` (a lower bound on doing every layer so).
2. Depth 100,000 at 50 digits: the time of one evaluation.
3. The same with mpmath's pure-Python backend (MPMATH_NOGMPY=1) in a child process,
   to decide on evidence whether gmpy2 is worth a dependency.
4. Depth 1,000,000: time and peak memory of the CLI (with its progress bar).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import mpmath
import sympy

import symgrad
from symgrad.numeric.backprop import ChainPoint
from symgrad.numeric.evaluate import evaluate_chain

R = sympy.Rational


def sigmoid_point(depth: int) -> tuple[symgrad.ScalarChain, ChainPoint]:
    chain = symgrad.ScalarChain(depth, symgrad.get_activation("sigmoid"))
    return chain, ChainPoint((R(3, 2),) * depth, (R(-1, 5),) * depth, x=R(1, 2), y=R(0))


def ours(depth: int, dps: int = 50) -> float:
    chain, point = sigmoid_point(depth)
    start = time.perf_counter()
    evaluate_chain(chain, point, dps)
    return time.perf_counter() - start


def naive(depth: int, dps: int = 50) -> float:
    """The front layer's derived δ_1 alone, substituted and evalf'd, as a user would by hand.

    One expression only (symgrad's time covers every layer): a lower bound on the
    naive time for the whole pass, which at ~1 s a layer would take many minutes.
    """
    chain, point = sigmoid_point(depth)
    derivation = symgrad.derive_chain(chain, layers=[1])
    start = time.perf_counter()
    precision = dps + 10

    def number(value):
        return sympy.Float(value, precision)

    values = {"x": number(point.x), "y": number(point.y)}
    a = mpmath.mpf(point.x.p) / point.x.q
    with mpmath.workdps(precision):  # the forward values the expressions need
        for k in range(1, depth + 1):
            w, b = point.weights[k - 1], point.biases[k - 1]
            z = mpmath.mpf(w.p) / w.q * a + mpmath.mpf(b.p) / b.q
            values[f"z{k}"], values[f"w{k}"], values[f"a{k - 1}"] = number(z), number(w), number(a)
            a = 1 / (1 + mpmath.exp(-z))
        values[f"a{depth}"] = number(a)
    for gradient in derivation.layers:
        expr = derivation.concrete(gradient.delta).doit()
        substitutions = {s: values[s.name] for s in expr.free_symbols}
        expr.subs(substitutions).evalf(dps)
    return time.perf_counter() - start


def child(code: str, env: dict | None = None) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, check=True).stdout.strip()


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    depth = 1000
    naive_time, our_time = naive(depth), ours(depth)
    print(f"depth {depth:,}, 50 digits: naive subs/evalf of δ_1 alone {naive_time:.2f} s, "
          f"symgrad's whole pass {our_time:.3f} s: at least {naive_time / our_time:.0f}x faster")
    timing = ("import sys; sys.path.insert(0, 'benchmarks'); import bench_eval, mpmath; "
              "print(mpmath.libmp.BACKEND, min(bench_eval.ours(100_000) for _ in range(2)))")
    for env in ({}, {"MPMATH_NOGMPY": "1"}):
        backend, seconds = child(timing, env).split()
        print(f"depth 100,000, 50 digits, mpmath backend {backend}: {float(seconds):.2f} s")
    start = time.perf_counter()
    subprocess.run(["symgrad", "eval", "--depth", "1000000", "--act", "sigmoid", "--w", "1.5",
                    "--b", "-0.2", "--x", "0.5", "--dps", "50"], check=True,
                   stdout=subprocess.DEVNULL)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"depth 1,000,000, 50 digits (CLI): {time.perf_counter() - start:.1f} s, "
          f"peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
