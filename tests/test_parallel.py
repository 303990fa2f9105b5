"""Work done by forked workers (symgrad.parallel): the results in order, failures told,
no process left behind; and a deep evaluation's JSON written that way, checked against a
forward and backward pass written here in mpmath."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import mpmath
import pytest

import symgrad
from symgrad import parallel
from symgrad.errors import SymgradError
from symgrad.render import render


@pytest.fixture
def forking(monkeypatch):
    """Workers forked whatever the size (pytest's own threads would stop it otherwise)."""
    monkeypatch.setattr(parallel, "_forks", lambda size: True)


def _children() -> list[int]:
    """This process's live child processes (from /proc)."""
    me, found = str(os.getpid()), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                found.append(int(entry))
    return found


def _cube_with_pid(n: int) -> tuple[int, int]:
    return n ** 3, os.getpid()


pytestmark = [
    pytest.mark.skipif(sys.platform != "linux", reason="workers fork on Linux only"),
    # (JAX, loaded by the export tests in the same process, warns at any fork; these
    # workers run plain Python and never touch it)
    pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning"),
]


def test_a_signal_during_the_fork_is_raised_in_the_parent_not_lost(forking):
    """A SIGTERM that arrives inside fork's own hooks (the test plants one in an after-fork
    hook; logging has such a hook) waits until the fork is done and stops the work, rather
    than being raised where Python could only print it and carry on."""
    class Stopped(BaseException):
        pass

    def stop(signum, frame):
        raise Stopped

    planted = []
    os.register_at_fork(after_in_parent=lambda: planted and os.kill(os.getpid(), signal.SIGTERM))
    previous = signal.signal(signal.SIGTERM, stop)
    done, before = [], _children()
    try:
        planted.append(True)
        with pytest.raises(Stopped):
            for result in parallel.in_order(_cube_with_pid, range(6), 10**6):
                done.append(result)
    finally:
        planted.clear()
        signal.signal(signal.SIGTERM, previous)
    assert len(done) < 6  # (without the mask the run went on to its end)
    assert _children() == before


def test_results_come_in_order_from_workers_that_are_not_this_process(forking):
    before = _children()
    results = list(parallel.in_order(_cube_with_pid, range(11), size=0))
    assert [value for value, _ in results] == [n ** 3 for n in range(11)]
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids and len(pids) == 2
    assert _children() == before


def _fails_at_five(n: int) -> int:
    if n == 5:
        raise SymgradError("Five is refused.")
    if n == 6:
        raise ValueError("six")
    return n


@pytest.mark.parametrize("arguments, message", [([1, 3, 5, 7], "Five is refused."),
                                                ([2, 4, 6, 8], "A worker process failed")])
def test_a_failure_in_a_worker_is_raised_here_and_no_worker_is_left(forking, arguments,
                                                                   message):
    before = _children()
    with pytest.raises(SymgradError, match=message):
        list(parallel.in_order(_fails_at_five, arguments, size=0))
    assert _children() == before


def test_an_abandoned_run_leaves_no_worker(forking):
    before = _children()
    results = parallel.in_order(_cube_with_pid, range(50), size=0)
    assert next(results)[0] == 0
    results.close()
    assert _children() == before


def test_small_work_threads_and_threaded_runtimes_stay_in_this_process(monkeypatch):
    big = parallel.MIN_PARALLEL_WORK
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)  # (pytest's threads)
    for name in ("jax", "torch", "tensorflow"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert os.getpid() not in {pid for _, pid in parallel.in_order(_cube_with_pid, range(4), big)}
    assert {pid for _, pid in parallel.in_order(_cube_with_pid, range(4), big - 1)} == {os.getpid()}
    monkeypatch.setitem(sys.modules, "torch", sys)  # (a runtime with threads of its own)
    assert {pid for _, pid in parallel.in_order(_cube_with_pid, range(4), big)} == {os.getpid()}
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 2)
    monkeypatch.delitem(sys.modules, "torch")
    assert {pid for _, pid in parallel.in_order(_cube_with_pid, range(4), big)} == {os.getpid()}


def _mpmath_pass(depth: int, w, b, x, y, dps: int) -> list:
    """(z_l, δ_l) of a sigmoid chain with quadratic cost, l = 1 … L, in mpmath."""
    with mpmath.workdps(dps):
        a, zs, activations = mpmath.mpf(x), [], []
        for _ in range(depth):
            zs.append(w * a + b)
            a = 1 / (1 + mpmath.exp(-zs[-1]))
            activations.append(a)
        deltas, upstream = [None] * depth, a - y
        for k in range(depth - 1, -1, -1):
            deltas[k] = upstream * activations[k] * (1 - activations[k])
            upstream = deltas[k] * w
        return list(zip(zs, deltas))


def _agree(text: str, value, digits: int) -> bool:
    """The decimal ``text`` of ``digits`` digits is ``value`` to within a unit of its last."""
    with mpmath.workdps(digits + 20):
        return abs(mpmath.mpf(text) - value) <= abs(value) * mpmath.mpf(10) ** (1 - digits)


def test_a_deep_evaluation_written_by_workers_equals_an_mpmath_pass(forking):
    depth, dps = 2500, 25  # three chunks of layers
    w, b, x, y = mpmath.mpf("1.25"), mpmath.mpf("-0.5"), mpmath.mpf("0.5"), mpmath.mpf("0.25")
    evaluation = symgrad.evaluate(depth, "sigmoid", w="1.25", b="-0.5", x="0.5", y="0.25", dps=dps)
    data = json.loads(render(evaluation, "json"))
    expected = _mpmath_pass(depth, w, b, x, y, 3 * dps + depth // 10)
    assert [layer["layer"] for layer in data["layers"]] == list(range(1, depth + 1))
    for layer, (z, delta) in zip(data["layers"], expected):
        assert _agree(layer["z"], z, dps) and _agree(layer["delta"], delta, dps), layer["layer"]


def test_the_command_at_a_depth_worth_workers_writes_every_layer_right(tmp_path):
    depth, dps = 30_000, 20  # (past MIN_PARALLEL_WORK: the command forks)
    assert depth >= parallel.MIN_PARALLEL_WORK
    target = tmp_path / "deep.json"
    done = subprocess.run([sys.executable, "-m", "symgrad.cli", "eval", "--depth", str(depth),
                           "--act", "sigmoid", "--w", "1.25", "--b=-0.5", "--x", "0.5", "--y",
                           "0.25", "--dps", str(dps), "--format", "json", "-o", str(target)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    layers = json.loads(target.read_text())["layers"]
    assert [layer["layer"] for layer in layers] == list(range(1, depth + 1))
    expected = _mpmath_pass(depth, mpmath.mpf("1.25"), mpmath.mpf("-0.5"), mpmath.mpf("0.5"),
                            mpmath.mpf("0.25"), 3 * dps + 60)
    for n in (1, 999, 1000, 1001, 15_000, depth):
        z, delta = expected[n - 1]
        assert _agree(layers[n - 1]["z"], z, dps) and _agree(layers[n - 1]["delta"], delta, dps), n


def test_workers_end_with_a_parent_killed_before_its_clean_up(tmp_path):
    """SIGKILL (or SIGTERM where no handler is set) ends the parent before it can kill its
    workers: the kernel ends them with it (PR_SET_PDEATHSIG), at once, not when they next
    write to the pipe."""
    code = ("import time; from symgrad import parallel; parallel._forks = lambda size: True; "
            "list(parallel.in_order(lambda argument: time.sleep(60), [1, 2], 0))")
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        workers = []
        for _ in range(100):  # (up to 10 s for the interpreter to start and fork)
            workers = [pid for pid in _all_children(parent.pid)]
            if len(workers) == 2:
                break
            time.sleep(0.1)
        assert len(workers) == 2
    finally:
        parent.kill()
        parent.wait()
    time.sleep(0.5)
    assert [pid for pid in workers if _running(pid)] == []


def _all_children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if stat.read().rsplit(")", 1)[1].split()[1] == str(pid):
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _running(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


EVAL = ["eval", "--act", "sigmoid", "--w", "1.5", "--b=-0.2", "--x", "0.5", "--y", "0", "--dps",
        "20", "--format", "json", "--depth"]


@pytest.mark.parametrize("arguments", [EVAL + ["5000"], EVAL + ["30000"],  # (workers)
                                       ["bounds", "--depth", "2000"], ["acts"]],
                         ids=["json", "json with workers", "text", "table"])
def test_a_reader_that_goes_away_ends_the_command_as_sigpipe_would(arguments):
    """``symgrad ... | head -c 100``: exit 141 in silence (click alone would end a JSON
    write with 1, rich a text one with 1)."""
    command = [sys.executable, "-m", "symgrad.cli", *arguments]
    writer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    writer.stdout.close()  # (before a text command writes: its one write fails)
    assert writer.wait(timeout=120) == 141
    assert writer.stderr.read() == b""
