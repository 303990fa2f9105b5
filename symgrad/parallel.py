"""Independent pieces of work done by forked worker processes, their results taken in
order, where the machine has more than one core.

Writing 10^5 layers as JSON is Python work on every value (midpoints, decimals, log10s),
about twice the pass itself, and the float32 and float64 passes beside the exact one are
each half as long again; none needs another's result. Forked workers inherit everything
(the evaluation, the chain): only the results cross back, pickled, through a pipe.

Kept here rather than multiprocessing.Pool: a Pool starts three threads in the parent
and stops its workers with SIGTERM, which symgrad turns into an exception while a file
is written (files.ending_cleanly_on_signal); a worker stopped that way inside the Pool's
queue lock left the next one waiting for ever. Here worker i takes the arguments i,
i + W, i + 2W, …, writes each result to its own pipe and ends with os._exit (no handler,
no buffer of the parent's flushed twice); the parent reads the pipes in turn, so the
results come in order, and kills whatever is left on its way out (the workers leave
Ctrl-C and SIGTERM to it, and the kernel kills them if it ends without its clean-up).

Where fork is unavailable or unsafe (not Linux, one core, a thread beside the main one,
or JAX, PyTorch or TensorFlow loaded, which run threads of their own: fork copies the
locks a thread may hold) or the work is small, it is done here.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from symgrad.errors import SymgradError

Argument = TypeVar("Argument")
Result = TypeVar("Result")

MIN_PARALLEL_WORK = 20_000  # layers: below this, forking (~10 ms a worker) is not worth it
WORKERS = 2
_HEADER = struct.Struct("<?Q")  # (a failure, the pickled payload's length)
_STOPPING = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}  # the parent's to handle
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends


def in_order(work: Callable[[Argument], Result], arguments: Iterable[Argument],
             size: int) -> Iterator[Result]:
    """work(argument) for each argument, in order; in forked workers when ``size`` (the
    layers the work goes through in all) makes it worth it. A worker's SymgradError is
    raised here as itself; any other failure as a SymgradError naming it."""
    arguments = list(arguments)
    workers = min(WORKERS, len(arguments), _cores())
    if workers < 2 or not _forks(size):
        yield from map(work, arguments)
        return
    started: list[tuple[int, object]] = []  # (pid, the read end of its pipe)
    try:
        with _signals_held():
            for index in range(workers):
                started.append(_start(work, arguments[index::workers],
                                      [reader for _, reader in started]))
        for number in range(len(arguments)):
            yield _received(started[number % workers][1])
    finally:
        for pid, reader in started:
            reader.close()
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP that arrive inside the block are handled at its end.
    Their handlers raise, and raised inside fork's own hooks (logging's lock release)
    the exception is only printed and the work runs on; raised between a fork and the
    list of workers, it would leave a worker unknown. (Blocking them is not enough: any
    thread may take a signal sent to the process, OpenBLAS's too, and Python then runs
    the handler in the main thread at its next instruction.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {number: signal.signal(number, lambda signum, frame: held.append(signum))
                for number in _STOPPING}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if held:
            handler = previous[held[0]]
            if callable(handler):
                handler(held[0], None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), held[0])


def _start(work: Callable, arguments: list, others: list) -> tuple[int, object]:
    """Fork a worker for ``arguments``: its pid and the read end of its pipe."""
    read, write = os.pipe()
    parent, code = os.getpid(), 1  # (the worker's exit code, bound before it exists)
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, os.fdopen(read, "rb")
    # the worker, which leaves only by os._exit (an exception would run the parent's code
    # on, and its exit handlers): Ctrl-C and SIGTERM/SIGHUP sent to the whole group are the
    # parent's to handle (it kills the workers on its way out; the parent's own handlers
    # would raise into its clean-up here); its results go into the pipe (a parent gone:
    # the next write fails and the worker ends)
    try:
        _end_with(parent)
        os.close(read)
        for reader in others:  # (the pipes of the workers started before)
            os.close(reader.fileno())
        for number in _STOPPING:
            signal.signal(number, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        with os.fdopen(write, "wb") as pipe:
            for argument in arguments:
                try:
                    payload, failed = pickle.dumps(work(argument), pickle.HIGHEST_PROTOCOL), False
                except SymgradError as error:
                    payload, failed = pickle.dumps(str(error)), True
                except BaseException:  # noqa: BLE001 (told to the parent, which raises)
                    payload = pickle.dumps(f"A worker process failed: "
                                           f"{traceback.format_exc(limit=-1).strip()}")
                    failed = True
                pipe.write(_HEADER.pack(failed, len(payload)))
                pipe.write(payload)
                if failed:
                    break
        code = 0
    except BaseException:  # noqa: BLE001, S110 (a closed pipe: the parent has gone)
        pass
    finally:
        os._exit(code)


def _end_with(parent: int) -> None:
    """Have the kernel kill this worker when its parent ends, however it ends (SIGTERM
    before its clean-up, SIGKILL, a crash): Linux's PR_SET_PDEATHSIG; and end now if the
    parent ended before that was set."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # (no prctl: the next write to the pipe fails instead)
        pass
    if os.getppid() != parent:
        os._exit(1)


def _received(reader) -> object:
    header = reader.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise SymgradError("A worker process ended before its work was done.")
    failed, length = _HEADER.unpack(header)
    value = pickle.loads(reader.read(length))
    if failed:
        raise SymgradError(value)
    return value


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1


_THREADED_RUNTIMES = ("jax", "torch", "tensorflow")  # each runs threads of its own (in C++)


def _forks(size: int) -> bool:
    return (size >= MIN_PARALLEL_WORK and sys.platform == "linux"
            and threading.active_count() == 1
            and not any(name in sys.modules for name in _THREADED_RUNTIMES))
