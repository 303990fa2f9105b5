"""Random weights: mean field, the critical point, and sampled nets, each against the
naive way in the same run.

    python benchmarks/bench_meanfield.py

1. ``critical --act tanh --sigma-b2 0.05 --dps 30`` (target: under 5 s), against the
   naive way: the secant method on σ_w² ↦ χ1(q*(σ_w²)) − 1, each q* by iterating the
   variance map with mpmath.quad at 40 fixed digits.
2. ``meanfield --act tanh --sigma-w2 1.5 --sigma-b2 0.05 --dps 30``.
3. ``sample`` of 10,000 scalar chains at depth 100 (target: under 3 s), against a plain
   Python loop over the samples with the math module.
4. ``sample`` of 200 matrix nets of width 64 at depth 50 (target: under 10 s), against a
   loop over the samples, each net with numpy.
5. ``spectrum`` of tanh at depth 100, the density on a 200-point grid (target: under 5 s,
   the whole command line call), against the naive way on 20 of the points: the same
   continuation with each E[σ'²/(x − σ'²)] an mpmath.quad of its own.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time

import mpmath
import numpy

import symgrad


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def naive_critical(sigma_b2: float = 0.05, dps: int = 40):
    """What a user would write: nested solves with mpmath.quad at fixed digits."""
    with mpmath.workdps(dps):
        def expectation(f, q):
            root = mpmath.sqrt(q)
            return mpmath.quad(lambda t: f(root * t) * mpmath.npdf(t), [-mpmath.inf, 0, mpmath.inf])

        def chi_minus_one(w2):
            q = mpmath.mpf(1)
            for _ in range(200):
                new = w2 * expectation(lambda v: mpmath.tanh(v) ** 2, q) + sigma_b2
                if abs(new - q) < mpmath.mpf(10) ** -(dps - 5):
                    break
                q = new
            return w2 * expectation(lambda v: mpmath.sech(v) ** 4, q) - 1

        return mpmath.findroot(chi_minus_one, (mpmath.mpf("1.7"), mpmath.mpf("1.8")), solver="secant")


def naive_chains(depth: int = 100, samples: int = 10_000, w2: float = 1.0):
    rng = numpy.random.default_rng(0)
    ratios = []
    for _ in range(samples):
        a, total = math.tanh(rng.standard_normal()), 0.0
        for _ in range(depth):
            w = math.sqrt(w2) * rng.standard_normal()
            z = w * a
            a = math.tanh(z)
            total += math.log10(abs(w)) + math.log10(1 / math.cosh(z) ** 2)
        ratios.append(total)
    return ratios


def naive_nets(depth: int = 50, width: int = 64, samples: int = 200, w2: float = 2.0):
    rng = numpy.random.default_rng(0)
    ratios = []
    for _ in range(samples):
        a = numpy.maximum(rng.standard_normal(width), 0)
        weights, slopes = [], []
        for _ in range(depth):
            w = math.sqrt(w2 / width) * rng.standard_normal((width, width))
            z = w @ a
            a = numpy.maximum(z, 0)
            weights.append(w)
            slopes.append((z > 0).astype(float))
        g = rng.standard_normal(width)
        g /= numpy.linalg.norm(g)
        total = 0.0
        for w, s in zip(reversed(weights), reversed(slopes)):
            g = w.T @ (s * g)
            norm = numpy.linalg.norm(g)
            total += math.log10(norm) if norm else -math.inf
            g = g / norm if norm else g
        ratios.append(total)
    return ratios


SPECTRUM = ("--act", "tanh", "--sigma-w2", "1.05", "--sigma-b2", "0.01", "--depth", "100",
            "--dps", "15", "--grid", "200")


def naive_density(points: int = 20):
    """The density at ``points`` grid points with mpmath.quad for each transform."""
    from symgrad.analysis.meanfield import MeanField
    from symgrad.analysis.spectrum import Density, Slopes

    field = symgrad.meanfield("tanh", sigma_w2="1.05", sigma_b2="0.01")
    slopes = Slopes(MeanField(field.activation), field.fixed.q)
    sigma_prime = lambda h: 1 / mpmath.cosh(h) ** 2  # noqa: E731
    root = mpmath.sqrt(field.fixed.q)

    def transform(x, levels=None):
        def mean(f):
            return mpmath.quad(lambda t: f(sigma_prime(root * t) ** 2) * mpmath.npdf(t),
                               [-mpmath.inf, 0, mpmath.inf])
        return mean(lambda d: d / (x - d)), -mean(lambda d: d / (x - d) ** 2)

    slopes.transform = transform
    density = Density(slopes, field.sigma_w2, 100, "orthogonal", 15)
    top = density.right_edge[0]
    return [density.at(top * k / 200) for k in range(200, 200 - points, -1)]


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    mine, line = timed(lambda: symgrad.critical("tanh", sigma_b2="0.05", dps=30))
    theirs, root = timed(naive_critical)
    print(f"critical tanh, σ_b² = 0.05, 30 digits: {mine:.2f} s (σ_w² = "
          f"{mpmath.nstr(line.points[0].sigma_w2, 12)}); naive nested solve at 40 digits: "
          f"{theirs:.1f} s (σ_w² = {mpmath.nstr(root, 12)}; {theirs / mine:.0f}x)")
    mine, result = timed(lambda: symgrad.meanfield("tanh", sigma_w2="1.5", sigma_b2="0.05", depth=100))
    print(f"meanfield tanh 1.5/0.05, 30 digits: {mine:.2f} s (χ1 = {mpmath.nstr(result.chi, 12)})")
    mine, _ = timed(lambda: symgrad.sample(100, "tanh", sigma_w2=1, samples=10_000))
    theirs, _ = timed(naive_chains)
    print(f"sample 10,000 tanh chains, depth 100: {mine:.2f} s; naive Python loop: {theirs:.1f} s "
          f"({theirs / mine:.0f}x)")
    mine, _ = timed(lambda: symgrad.sample(50, "relu", sigma_w2=2, width=64, samples=200))
    theirs, _ = timed(naive_nets)
    print(f"sample 200 relu nets, width 64, depth 50: {mine:.2f} s; a numpy net per sample: "
          f"{theirs:.1f} s ({theirs / mine:.1f}x)")
    whole, _ = timed(lambda: subprocess.run([sys.executable, "-m", "symgrad.cli", "spectrum",
                                             *SPECTRUM], check=True, capture_output=True))
    piece, _ = timed(lambda: symgrad.spectrum(100, "tanh", sigma_w2="1.05", sigma_b2="0.01",
                                              dps=15, grid=200))
    few, _ = timed(lambda: symgrad.spectrum(100, "tanh", sigma_w2="1.05", sigma_b2="0.01",
                                            dps=15, grid=20))
    theirs, _ = timed(naive_density)
    print(f"spectrum tanh depth 100, 200-point density: whole command {whole:.2f} s (target 5 s), "
          f"the API {piece:.2f} s; the top 20 points: {few:.2f} s (with the rest of the "
          f"result), naive mpmath.quad per transform: {theirs:.1f} s ({theirs / few:.0f}x)")
    beside, _ = timed(lambda: subprocess.run([sys.executable, "-m", "symgrad.cli", "spectrum",
                                              *SPECTRUM, "--also-depths", "2,8,32", "--width",
                                              "100", "--samples", "10"],
                                             check=True, capture_output=True))
    print(f"  with --also-depths 2,8,32 (4 densities, 800 points) and 10 sampled nets of width "
          f"100: whole command {beside:.2f} s")


if __name__ == "__main__":
    main()
