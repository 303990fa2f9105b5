"""Matrix nets: derivation with explicit entries, and eval with the Jacobian spectrum.

    python benchmarks/bench_matrix.py

1. ``derive --widths 4,4,4,4``: derivation and its LaTeX, best of 3, SymPy's cache
   cleared (target: under 2 s).
2. ``eval --widths 32×51`` (depth 50) at 30 digits with the singular values of the
   input-output Jacobian (target: under 20 s), against the naive way in the same run:
   mpmath matrices multiplied out at a fixed 40 digits and mpmath's SVD.
   Also he init (ill-conditioned) and a relu net (exact rationals).
3. How eval grows with width (depth 50) and with depth (width 32).
4. A relu net of width 64 and depth 100 at 15 digits (exact rationals; its Jacobian has
   exact zeros among its singular values, settled by rank bounds). The rank code on its
   exact Jacobian (64 × 64, rank 23, entries of thousands of digits), in the same run:
   the Jacobian modulo p and its rank in FLINT's nmod_mat against the numpy int64 products
   and Gaussian elimination in Python lists they replaced; the exact rank and the Gram
   determinant in FLINT's fmpq_mat against SymPy's DomainMatrix.
5. Giving up: a weight of 10^25000 needs about 25,000 more digits than the limit allows;
   time to the refusal, and mpmath's exp of a whole number above 600 bits (the route
   symgrad avoids) against symgrad's route, on one number.
6. Balls (``python benchmarks/bench_matrix.py --balls``): whole CLI calls (subprocess, wall
   time) for the three targets: the gradient of a tanh net of width 256 × depth 100 at
   30 digits (target 10 s), width 1,024 × depth 20 (target 30 s), the full Jacobian
   spectrum of width 128 × depth 50, orthogonal init (target 20 s); against, in the same
   run, the MPFR runs compared (today's route before balls, numpy object arrays of MPFR)
   and mpmath matrices where they finish, and numpy float64 as the physical floor.
7. The orthogonal draw (``python benchmarks/bench_matrix.py --orthogonal``): the whole
   ``eval`` of width 256 × depth 100, orthogonal init, gradient at 30 digits (target
   10 s), its products exactly in float64 slices, against the same call with the draw's
   ball-matrix route (the route before), and he init beside them; the machine's load
   average is printed before and after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import mpmath
import numpy
import sympy
from sympy.core.cache import clear_cache
from sympy.polys.matrices import DomainMatrix

import symgrad
from symgrad.errors import SymgradError
from symgrad.networks import MatrixNet
from symgrad.numeric import matrix_net
from symgrad.numeric.kinds import _mpmath_exp, rational_arithmetic
from symgrad.numeric.matrix_net import evaluate_net
from symgrad.numeric.net_parameters import NetParameters, draw_parameters
from symgrad.numeric.real import exact_rational as _exact_rational
from symgrad.numeric.work import Work

R = sympy.Rational


def best_of(function, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        clear_cache()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def derive_4444() -> None:
    symgrad.render(symgrad.derive_net((4, 4, 4, 4), "sigmoid"), "latex")


def ours(width: int, depth: int, dps: int = 30, init: str = "orthogonal",
         act: str = "tanh") -> float:
    net = MatrixNet((width,) * (depth + 1), symgrad.get_activation(act))
    start = time.perf_counter()
    parameters = draw_parameters(net, init, 0, 1, dps)
    result = evaluate_net(net, parameters, (R(1),) * width, (R(0),) * width, dps)
    ours.working, ours.arithmetic = result.spectrum.working_dps, result.arithmetic
    return time.perf_counter() - start


def naive(width: int, depth: int) -> float:
    """What a user would write: mpmath matrices at 40 digits, J multiplied out, svd_r."""
    net = MatrixNet((width,) * (depth + 1), symgrad.get_activation("tanh"))
    parameters = draw_parameters(net, "orthogonal", 0, 1, 30)
    start = time.perf_counter()
    with mpmath.workdps(40):
        a = mpmath.matrix([1] * width)
        jacobian = mpmath.eye(width)
        for weights in parameters.weights:
            w = mpmath.matrix([[mpmath.mpf(int(v.as_integer_ratio()[0])) / int(v.as_integer_ratio()[1])
                                for v in row] for row in weights])
            z = w * a
            a = mpmath.matrix([mpmath.tanh(v) for v in z])
            jacobian = mpmath.diag([1 - v ** 2 for v in a]) * w * jacobian
        mpmath.svd_r(jacobian, compute_uv=False)
    return time.perf_counter() - start


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    print(f"derive --widths 4,4,4,4 and its LaTeX: {best_of(derive_4444):.2f} s (best of 3)")
    mine, theirs = ours(32, 50), naive(32, 50)
    print(f"eval 32 wide x 50 deep, 30 digits, orthogonal init, with the spectrum: {mine:.1f} s; "
          f"naive mpmath at a fixed 40 digits: {theirs:.1f} s ({theirs / mine:.1f}x)")
    print(f"  the same with he init (ill-conditioned, more digits needed): {ours(32, 50, init='he'):.1f} s"
          f" (worked at {ours.working} digits)")
    print(f"  relu, he init (exact rational pass, the spectrum at rising digits): "
          f"{ours(32, 50, init='he', act='relu'):.1f} s ({ours.arithmetic}, spectrum at "
          f"{ours.working} digits)")
    for width in (8, 16, 32, 64):
        print(f"  width {width:3d}, depth 50: {ours(width, 50):.2f} s")
    for depth in (10, 25, 50, 100):
        print(f"  width 32, depth {depth:3d}: {ours(32, depth):.2f} s")
    print(f"relu, he init, width 64, depth 100, 15 digits: "
          f"{ours(64, 100, dps=15, init='he', act='relu'):.1f} s ({ours.arithmetic})")
    rank_figures()
    print(f"refusing a weight of 10^25000 (sigmoid, 20 digits): {refusal():.2f} s")
    with mpmath.workdps(400):
        value = -3 * mpmath.mpf(10) ** 4000
        mine, theirs = timed(lambda: _mpmath_exp(value)), timed(lambda: mpmath.exp(value))
    print(f"exp(-3·10^4000) at 400 digits: symgrad's route {mine * 1000:.1f} ms, "
          f"mpmath.exp {theirs * 1000:.0f} ms ({theirs / mine:.0f}x)")


def rank_figures() -> None:
    """The rank code before (numpy int64 products and Python elimination mod p, SymPy's
    DomainMatrix) and after (FLINT), on the exact Jacobian of the relu net of item 4
    (64 x 64, rank-deficient)."""
    net = MatrixNet((64,) * 101, symgrad.get_activation("relu"))
    parameters = draw_parameters(net, "he", 0, 1, 15)
    run = matrix_net._pass(net, parameters, (R(1),) * 64, (R(0),) * 64,
                           rational_arithmetic(net), 15, jacobian=False)
    full = matrix_net._jacobian(parameters, run.layers, rational_arithmetic(net), 0)
    bits = max(int(v.numerator).bit_length() + int(v.denominator).bit_length()
               for row in full for v in row)
    print(f"  the rank code on its exact Jacobian J (64 x 64, entries up to {bits} bits):")
    before = timed(lambda: _old_jacobian_modulo(parameters, run.layers))
    after = timed(lambda: matrix_net._jacobian_modulo(parameters, run.layers,
                                                      matrix_net.RANK_PRIME))
    print(f"    J modulo p: numpy int64 products {before:.3f} s, FLINT nmod_mat {after:.3f} s")
    rows = _old_jacobian_modulo(parameters, run.layers)
    modular = matrix_net._jacobian_modulo(parameters, run.layers, matrix_net.RANK_PRIME)
    before = timed(lambda: _old_rank_modulo([list(row) for row in rows]))
    after = timed(lambda: matrix_net.rank_modulo(modular))
    print(f"    its rank modulo p: Python elimination {before * 1000:.1f} ms "
          f"(rank {_old_rank_modulo([list(row) for row in rows])}), FLINT nmod_mat "
          f"{after * 1000:.2f} ms (rank {matrix_net.rank_modulo(modular)}, "
          f"{before / after:.0f}x)")
    domain, flint_matrix = _domain(full), matrix_net.exact_matrix(full)
    before = timed(lambda: domain.rank())
    after = timed(lambda: flint_matrix.rank())
    print(f"    exact rank: SymPy DomainMatrix (kept) {before:.1f} s, FLINT fmpq_mat "
          f"{after:.1f} s, ranks {domain.rank()} and {flint_matrix.rank()}")
    before = timed(lambda: (domain * domain.transpose()).det())
    after = timed(lambda: (flint_matrix * flint_matrix.transpose()).det())
    print(f"    Gram determinant: SymPy DomainMatrix {before:.2f} s, FLINT fmpq_mat {after:.2f} s")


def _domain(matrix) -> DomainMatrix:
    """The rank code's matrix before FLINT: SymPy's DomainMatrix over QQ."""
    return matrix_net.domain_matrix(matrix)


_OLD_PRIME = 67_108_859  # below 2^26: a sum of 2048 residue products fits int64


def _old_jacobian_modulo(parameters, layers):
    """Before FLINT: D_L W^L ⋯ D_1 W^1 modulo p in numpy int64."""
    def residues(values):
        exact = [_exact_rational(v) for v in values]
        return numpy.array([int(v.numerator) * pow(int(v.denominator), -1, _OLD_PRIME)
                            % _OLD_PRIME for v in exact], dtype=numpy.int64)
    product = numpy.eye(len(parameters.weights[0][0]), dtype=numpy.int64)
    for w, layer in zip(parameters.weights, layers):
        matrix = numpy.array([residues(row) for row in w])
        product = residues(layer.act_prime)[:, None] * (matrix.dot(product) % _OLD_PRIME) \
            % _OLD_PRIME
    return product.tolist()


def _old_rank_modulo(rows) -> int:
    """Before FLINT: Gaussian elimination modulo p in Python lists."""
    rank = 0
    for column in range(len(rows[0])):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        inverse = pow(rows[rank][column], -1, _OLD_PRIME)
        for r in range(rank + 1, len(rows)):
            if factor := rows[r][column] * inverse % _OLD_PRIME:
                rows[r] = [(v - factor * p) % _OLD_PRIME for v, p in zip(rows[r], rows[rank])]
        rank += 1
    return rank


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def refusal() -> float:
    net = MatrixNet((1, 1, 1), symgrad.get_activation("sigmoid"))
    parameters = NetParameters((((R(1),),), ((R(10) ** 25000,),)), ((R(0),), (R(0),)), "bench")
    start = time.perf_counter()
    try:
        evaluate_net(net, parameters, (R(1),), (R(0),), 20)
    except SymgradError:
        return time.perf_counter() - start
    raise AssertionError("a weight of 10^25000 settled to 20 digits")


def cli(width: int, depth: int, *options: str, balls_draw: bool = False) -> float:
    """Wall time of a whole ``symgrad eval --widths`` call (start-up included);
    ``balls_draw``: an orthogonal draw by its ball-matrix route (the route before)."""
    widths = ",".join([str(width)] * (depth + 1))
    arguments = ["eval", "--widths", widths, "--act", "tanh", "--x", "1", "--dps", "30",
                 *options]
    command = [sys.executable, "-m", "symgrad.cli", *arguments]
    if balls_draw:
        command = [sys.executable, "-c",
                   "import sys; import symgrad.numeric.orthogonal as n; "
                   "n.FLOAT_ROUTE_BITS = 0; from symgrad.cli import run; "
                   f"sys.argv = ['symgrad', *{arguments!r}]; run()"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True,
                   env={**os.environ, "COLUMNS": "100"})
    return time.perf_counter() - start


def orthogonal() -> None:
    load = os.getloadavg()[0]
    print(f"load average before: {load:.1f} ({os.cpu_count()} cores)")
    options = ["--init", "orthogonal", "--no-spectrum"]
    new = cli(256, 100, *options)
    old = cli(256, 100, *options, balls_draw=True)
    he = cli(256, 100, "--init", "he", "--no-spectrum")
    print(f"gradient, width 256 x depth 100, orthogonal init: symgrad eval {new:.1f} s "
          f"(target 10 s), the draw in ball matrices (before) {old:.1f} s "
          f"({old / new:.1f}x); he init {he:.1f} s")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def mpfr_route(width: int, depth: int, init: str, spectrum: bool) -> float:
    """The MPFR runs compared (the route balls replaced), on the same net, in-process."""
    net = MatrixNet((width,) * (depth + 1), symgrad.get_activation("tanh"))
    parameters = draw_parameters(net, init, 0, 1, 30)
    start = time.perf_counter()
    matrix_net._mpfr_net(net, parameters, (R(1),) * width, (R(0),) * width, 30,
                         30 + 12, Work(), spectrum)
    return time.perf_counter() - start


def mpmath_gradient(width: int, depth: int, init: str) -> float:
    """mpmath matrices at a fixed 40 digits: forward and backward once, no check."""
    net = MatrixNet((width,) * (depth + 1), symgrad.get_activation("tanh"))
    parameters = draw_parameters(net, init, 0, 1, 30)
    start = time.perf_counter()
    with mpmath.workdps(40):
        weights = [mpmath.matrix([[mpmath.mpf(v.as_integer_ratio()[0]) / v.as_integer_ratio()[1]
                                   for v in row] for row in w]) for w in parameters.weights]
        a, slopes = mpmath.matrix([1] * width), []
        for w in weights:
            a = (w * a).apply(mpmath.tanh)
            slopes.append(a.apply(lambda v: 1 - v * v))
        delta = mpmath.matrix([v for v in a])
        for w, slope in zip(reversed(weights), reversed(slopes)):
            delta = w.T * mpmath.matrix([d * s for d, s in zip(delta, slope)])
    return time.perf_counter() - start


def float64(width: int, depth: int, init: str, spectrum: bool) -> float:
    """numpy float64: the same pass (and J's SVD), the physical floor."""
    import numpy
    net = MatrixNet((width,) * (depth + 1), symgrad.get_activation("tanh"))
    parameters = draw_parameters(net, init, 0, 1, 30)
    weights = [w.unit * float(w.factor) for w in parameters.weights]
    start = time.perf_counter()
    a, slopes = numpy.ones(width), []
    for w in weights:
        a = numpy.tanh(w @ a)
        slopes.append(1 - a * a)
    delta = a.copy()
    for w, slope in zip(reversed(weights), reversed(slopes)):
        delta = w.T @ (delta * slope)
    if spectrum:
        jacobian = numpy.eye(width)
        for w, slope in zip(weights, slopes):
            jacobian = slope[:, None] * (w @ jacobian)
        numpy.linalg.svd(jacobian, compute_uv=False)
    return time.perf_counter() - start


def balls() -> None:
    rows = [  # (width, depth, init, spectrum, target)
        (256, 100, "he", False, 10), (256, 100, "orthogonal", False, 10),
        (1024, 20, "he", False, 30), (128, 50, "orthogonal", True, 20),
    ]
    for width, depth, init, spectrum, target in rows:
        options = ["--init", init] + ([] if spectrum else ["--no-spectrum"])
        ours = cli(width, depth, *options)
        floor = float64(width, depth, init, spectrum)
        what = "spectrum" if spectrum else "gradient"
        print(f"{what}, width {width} x depth {depth}, {init}: symgrad eval {ours:.1f} s "
              f"(target {target} s); float64 {floor * 1000:.1f} ms (ratio {ours / floor:.0f}x)")
    for width, depth, init, spectrum in ((64, 50, "orthogonal", True), (64, 50, "he", False),
                                         (128, 20, "he", False)):
        what = "spectrum" if spectrum else "gradient"
        options = ["--init", init] + ([] if spectrum else ["--no-spectrum"])
        print(f"  {what}, width {width} x depth {depth}, {init}: balls (whole call) "
              f"{cli(width, depth, *options):.1f} s; the MPFR runs compared (in-process) "
              f"{mpfr_route(width, depth, init, spectrum):.1f} s; mpmath matrices, fixed 40 "
              f"digits, gradient only {mpmath_gradient(width, depth, init):.1f} s")


if __name__ == "__main__":
    if "--orthogonal" in sys.argv:
        orthogonal()
    elif "--balls" in sys.argv:
        balls()
    else:
        main()
