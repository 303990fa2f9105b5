"""symgrad eval: exact backward pass against the naive SymPy way, and the number kinds.

    python benchmarks/bench_eval.py           # sections 1-5
    python benchmarks/bench_eval.py --deep    # and section 4 at 10^7 layers too
    python benchmarks/bench_eval.py --cli     # section 5 alone

1. Depth 1,000, 50 digits: ``symgrad`` (evaluate_chain, every layer) against what a
   user would write by hand: the derived expression of δ_1 alone,
   ``expr.subs(values).evalf(50)`` (a lower bound on doing every layer so).
2. Depth 100,000 at 50 digits: the whole evaluation (exact pass and both float passes,
   the target is under 3 s), and the exact pass alone in each number kind: MPFR through
   gmpy2 (what symgrad uses), mpmath on its gmpy2 backend, mpmath in pure Python
   (MPMATH_NOGMPY=1, in a child process), and certified MPFR intervals.
3. Depth 1,000,000: time and peak memory of the CLI (text output, with its progress bar;
   the target is under 1 GiB), and of JSON output of every layer at the same depth.
4. Deep JSON (issue 17, checkpointed passes): the whole CLI call, every layer as JSON,
   wall time and peak RSS at 10^5, 3·10^5 and 10^6 layers, and their growth per 10^6
   layers between the last two (the target is under 500 MiB at 10^7; text at 10^5 must
   stay about 2.7 s, printed first). 10^7 layers take about half an hour of CPU, so only
   with --deep. Measured once by hand, on 2 shared cores:

       /usr/bin/time -v symgrad eval --depth 10000000 --act sigmoid --w 1.5 --b=-0.2 \
           --x 0.5 --y 0 --dps 50 --format json -o /tmp/e.json

   gave peak RSS 248 MiB (254,384 kB), 1,581 s user time, 57 min wall (the cores were
   shared, load 6-10), a 7.9 GB file. Before checkpointing, 10^6 layers took 783 MiB
   (and memory grew linearly: about 7.6 GiB at 10^7); with it 173 MiB.
5. The whole CLI call at depth 10^5, 50 digits (issue 17: text under 3 s, JSON under
   5 s), wall and CPU time, best of 3: text, JSON, and JSON the naive way in the same run
   (``install_naive``: each decimal through format()'s d.ddd…e±E text parsed back, log10
   at 96 bits, each layer through json.dumps's indenting encoder); the two JSON files are
   compared byte for byte.
"""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
import tempfile
import time

import gmpy2
import mpmath
import sympy

import symgrad
from symgrad.numeric import balls, interval, kinds
from symgrad.numeric.backprop import ChainPoint, run_pass
from symgrad.numeric.evaluate import evaluate_chain
from symgrad.numeric.precision import guard_digits
from symgrad.numeric.real import decimal, relative_width

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


def exact_pass(depth: int, kind: str, dps: int = 50, chain_and_point=None) -> float:
    """The exact pass alone (no float comparison), in one number kind; best of two.
    ``exact_pass.gradient``: the last run's ∂C/∂a_0."""
    chain, point = chain_and_point or sigmoid_point(depth)
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        working = dps + guard_digits(depth)
        math = balls.ball_arithmetic(chain, kinds.digits_to_bits(working)) if kind == "ball" \
            else getattr(kinds, f"{kind}_arithmetic")(chain, working)
        with math.scope():
            exact_pass.gradient = run_pass(chain, point, math, keep=()).input_gradient
        best = min(best, time.perf_counter() - start)
    return best


def certified() -> None:
    """Before (MPFR intervals) and after (Arb balls), in the same run."""
    for kind in ("interval", "ball"):
        seconds = exact_pass(100_000, kind)
        width = decimal(relative_width(exact_pass.gradient), 3, "up")
        print(f"  certified pass alone, depth 100,000, {kind}: {seconds:.2f} s, "
              f"relative width of ∂C/∂a_0 {width}")
    for act, x in (("gelu", -40000), ("sigmoid", -10**9)):
        chain = symgrad.ScalarChain(1, symgrad.get_activation(act))
        point = ChainPoint((R(1),), (R(0),), x=R(x), y=R(0))
        for kind in ("interval", "ball"):
            try:
                seconds = exact_pass(1, kind, 30, (chain, point))
                found = exact_pass.gradient
                if kind == "interval" and found.rounding.undefined():
                    raise ArithmeticError("undefined")
                shown = f"{decimal(found, 3)}, relative width {decimal(relative_width(found), 3, 'up')}"
            except ArithmeticError:
                seconds, shown = float("nan"), "undefined (refused)"
            print(f"  {act} at x = {x}, 30 digits, {kind}: {shown} ({seconds * 1000:.1f} ms)")
    rounding = interval.Rounding(kinds.digits_to_bits(30))
    names = interval.namespace(rounding)
    with balls.precision(kinds.digits_to_bits(30)):
        ball_names = balls.namespace()
        for name, low, high, function in (
                ("exp", 0, 10, lambda f: f["exp"]),
                ("tanh", -3, 3, lambda f: f["tanh"]),
                ("sigmoid", -10, 10, lambda f: lambda v: 1 / (1 + f["exp"](-v)))):
            box = interval.Interval(rounding.rational(low).lo, rounding.rational(high).hi, rounding)
            ends = function(names)(box)
            image = function(ball_names)(balls.ball(R(low + high, 2)) +
                                         balls.arb(0, (high - low) / 2))
            print(f"  {name} over [{low}, {high}]: interval {decimal(ends, 4)}, "
                  f"ball {decimal(image, 4)}")


def cli(*args: str) -> tuple[float, float]:
    """Seconds and peak MiB of one CLI run (its own process, so its own peak)."""
    code = ("import resource, subprocess, sys, time; start = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(time.perf_counter() - start, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    seconds, peak = subprocess.run([sys.executable, "-c", code, "symgrad", "eval", *args],
                                   capture_output=True, text=True, check=True).stdout.split()
    return float(seconds), float(peak)


MPFR = type(gmpy2.mpfr(0))


def naive_decimal(value, digits: int, rounding: str = "nearest") -> str | None:
    """The naive route to an MPFR value's decimal: format() writes d.ddd…e±E text, which
    is taken apart again (``_styled``); other kinds as symgrad writes them."""
    from symgrad.numeric import real

    if type(value) is MPFR and rounding == "nearest":
        return real._styled(format(value, f".{digits - 1}e"), digits)
    return real.decimal(value, digits, rounding)


def naive_log10_decimal(value, digits: int) -> str | None:
    """log10|x| at 96 bits in a context entered and left for each value, then its decimal
    the naive way."""
    from symgrad.numeric import real

    if type(value) is not MPFR:
        return real.decimal(real.log10_abs(value), digits)
    with gmpy2.context(gmpy2.get_context(), precision=96):
        logarithm = gmpy2.log10(abs(value))
    return naive_decimal(logarithm, digits)


def naive_dumps(value, indent: str) -> str:
    """A value's JSON by json.dumps (pure Python when it indents)."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)


def install_naive() -> None:
    """Make the JSON writer take the naive routes."""
    from symgrad.render import json as writer

    writer.decimal, writer.log10_decimal, writer._dumps = \
        naive_decimal, naive_log10_decimal, naive_dumps


def timed_cli(arguments: list[str], prelude: str = "") -> tuple[float, float]:
    """Wall and CPU seconds of one CLI call in a fresh interpreter (after ``prelude``)."""
    code = prelude + "import sys; from symgrad.cli import main; sys.exit(main())"
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *arguments],
                             stdout=subprocess.DEVNULL, cwd=os.path.dirname(__file__) or ".")
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"symgrad {' '.join(arguments)} failed")
    return wall, usage.ru_utime + usage.ru_stime


NAIVE = "import bench_eval; bench_eval.install_naive(); "


def whole_calls(runs: int = 3) -> None:
    """Section 5: the whole CLI call at depth 10^5, text and JSON, beside naive JSON."""
    arguments = ["eval", "--depth", "100000", *DEEP_ARGUMENTS]
    with tempfile.TemporaryDirectory() as directory:
        files = {way: os.path.join(directory, f"{way}.json") for way in ("symgrad", "naive")}
        cases = [("text", arguments, ""),
                 ("JSON", [*arguments, "--format", "json", "-o", files["symgrad"]], ""),
                 ("JSON, naive formatting", [*arguments, "--format", "json", "-o", files["naive"]],
                  NAIVE)]
        best = {}
        for _ in range(runs):  # interleaved: a busy spell slows all three alike
            for name, case, prelude in cases:
                wall, cpu = timed_cli(case, prelude)
                best[name] = min(best.get(name, (wall, cpu)), (wall, cpu))
        same = filecmp.cmp(files["symgrad"], files["naive"], shallow=False)
        size = os.path.getsize(files["symgrad"]) / 1e6
    for name, (wall, cpu) in best.items():
        print(f"depth 100,000, 50 digits, CLI {name} (best of {runs}): {wall:.2f} s wall, "
              f"{cpu:.2f} s CPU")
    print(f"  JSON {size:.0f} MB, {best['JSON, naive formatting'][0] / best['JSON'][0]:.2f}x "
          f"faster than naive; the two files {'are identical' if same else 'DIFFER'}")


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    if "--cli" in sys.argv[1:]:
        whole_calls()
        return
    depth = 1000
    naive_time, our_time = naive(depth), ours(depth)
    print(f"depth {depth:,}, 50 digits: naive subs/evalf of δ_1 alone {naive_time:.2f} s, "
          f"symgrad's whole pass {our_time:.3f} s: at least {naive_time / our_time:.0f}x faster")
    depth = 100_000
    whole = min(ours(depth) for _ in range(3))
    print(f"depth {depth:,}, 50 digits, whole evaluation (exact + float64 + float32): {whole:.2f} s")
    for kind in ("mpfr", "mpmath"):
        print(f"  exact pass alone, {kind}: {exact_pass(depth, kind):.2f} s")
    certified()
    pure = child("import sys; sys.path.insert(0, 'benchmarks'); import bench_eval, mpmath; "
                 "print(mpmath.libmp.BACKEND, bench_eval.exact_pass(100_000, 'mpmath'))",
                 {"MPMATH_NOGMPY": "1"}).split()
    print(f"  exact pass alone, mpmath on its {pure[0]} backend: {float(pure[1]):.2f} s")
    seconds, peak = cli("--depth", "1000000", "--act", "sigmoid", "--w", "1.5", "--b", "-0.2",
                        "--x", "0.5", "--dps", "50")
    print(f"depth 1,000,000, 50 digits (CLI, text): {seconds:.1f} s, peak memory {peak:.0f} MiB")
    seconds, peak = cli("--depth", "1000000", "--act", "sigmoid", "--w", "1.5", "--b", "-0.2",
                        "--x", "0.5", "--dps", "50", "--format", "json")
    print(f"depth 1,000,000, 50 digits (CLI, JSON of every layer, streamed): {seconds:.1f} s, "
          f"peak memory {peak:.0f} MiB")
    deep_json(deep="--deep" in sys.argv[1:])
    whole_calls()


DEEP_ARGUMENTS = ("--act", "sigmoid", "--w", "1.5", "--b=-0.2", "--x", "0.5", "--y", "0",
                  "--dps", "50")


def deep_json(deep: bool = False) -> None:
    """Section 4: the whole CLI call at growing depths, JSON of every layer (to /dev/null)."""
    seconds, peak = min(cli("--depth", "100000", *DEEP_ARGUMENTS) for _ in range(3))
    print(f"depth 100,000, 50 digits (CLI, text, best of 3): {seconds:.2f} s, peak {peak:.0f} MiB")
    depths = [100_000, 300_000, 1_000_000] + ([10_000_000] if deep else [])
    runs = {}
    for depth in depths:
        runs[depth] = cli("--depth", str(depth), *DEEP_ARGUMENTS, "--format", "json")
        print(f"depth {depth:,}, 50 digits (CLI, JSON of every layer): {runs[depth][0]:.1f} s, "
              f"peak {runs[depth][1]:.0f} MiB")
    low, high = depths[-2], depths[-1]  # both checkpointed (past about 230,000 layers)
    millions = (high - low) / 1e6
    print(f"  growth per 10^6 layers from {low:,} to {high:,}: "
          f"{(runs[high][0] - runs[low][0]) / millions:.0f} s, "
          f"{(runs[high][1] - runs[low][1]) / millions:.0f} MiB (memory is not linear: the "
          "point's weight and bias tuples take 16 bytes a layer, and each pass keeps its "
          "layers until they would pass CHECKPOINT_BYTES, so a float pass checkpoints only "
          "past about 1.9·10^6 layers)")


if __name__ == "__main__":
    main()
