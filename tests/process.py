"""``symgrad ARGV`` as a real process, for the tests whose subject is the process: its exit
code, what reaches stdout and stderr, files left behind, time and address-space limits.

A new interpreter spends about 0.75 s importing SymPy, mpmath and NumPy before symgrad
does anything, and the suite starts hundreds of them. So each test worker keeps one
*zygote*: a process that has imported symgrad's command line and nothing else, and forks
a child per run. The child is a real process with its own pid, streams (the test's pipes,
passed over a Unix socket), working folder, environment, limits and exit status; it runs
``symgrad.cli.run()`` as ``python -m symgrad.cli`` would and ends the way the
interpreter ends (SystemExit's code, 1 and a traceback for an uncaught exception).

What a forked child cannot be is a fresh interpreter: its start-up is not run again. A run
whose environment changes what start-up reads (``PYTHON*``, the locale) or that needs
a ``preexec_fn`` runs in a new interpreter (``subprocess``), as does every run on a
system without ``fork`` and Unix sockets. So do the tests whose subject is start-up
itself (tests/test_cli.py's import checks, the encodings)."""

from __future__ import annotations

import io
import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the interpreter and NumPy read as they start: a run that changes it needs a new one.
_STARTUP = ("PYTHON", "LC_", "LANG", "OPENBLAS_", "OMP_", "MKL_")


def _limits(memory: int | None):
    def apply():
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _startup_part(environment) -> dict:
    """The environment start-up reads (the tests' own folder on PYTHONPATH aside: the
    zygote has it)."""
    part = {k: v for k, v in environment.items() if k.startswith(_STARTUP)}
    paths = [p for p in part.pop("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT)]
    return {**part, "PYTHONPATH": os.pathsep.join(paths)} if paths else part


def symgrad_process(*argv: str, cwd=None, env: dict | None = None, timeout: float = 120,
                    memory: int | None = None, stdout=None, text: bool = True,
                    ) -> subprocess.CompletedProcess:
    """``python -m symgrad.cli *argv`` in ``cwd`` with ``env`` (default: this process'),
    an address-space limit of ``memory`` bytes, stdout to the file object ``stdout`` (default
    a pipe, returned). Raises ``subprocess.TimeoutExpired`` (the process killed) past
    ``timeout`` seconds, as ``subprocess.run`` does."""
    environment = dict(os.environ if env is None else env)
    zygote = _zygote()
    if zygote is None or _startup_part(environment) != zygote.startup:
        done = subprocess.run([sys.executable, "-m", "symgrad.cli", *argv], cwd=cwd,
                              env=environment, stdout=stdout or subprocess.PIPE,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              timeout=timeout, preexec_fn=_limits(memory))
    else:
        done = zygote.run(list(argv), cwd, environment, timeout, memory, stdout)
    if text:
        for name in ("stdout", "stderr"):
            data = getattr(done, name)
            if data is not None:
                setattr(done, name, data.decode("utf-8", "replace"))
    return done


# --- the zygote ---------------------------------------------------------------------------

class Zygote:
    """The test side: one per test worker, started at first use."""

    def __init__(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.startup = _startup_part(os.environ)
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import tests.process as p, sys; p.serve(int(sys.argv[1]))",
             str(theirs.fileno())], pass_fds=(theirs.fileno(),), cwd=ROOT,
            stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
        theirs.close()
        self.socket = ours
        self.replies = ours.makefile("r")
        if self.replies.readline().strip() != "ready":
            raise RuntimeError("the zygote did not start")

    def run(self, argv, cwd, environment, timeout, memory, stdout):
        out_read, out_write = (None, stdout.fileno()) if stdout is not None else os.pipe()
        err_read, err_write = os.pipe()
        stdin = os.open(os.devnull, os.O_RDONLY)
        request = json.dumps({"argv": argv, "cwd": str(cwd or os.getcwd()), "env": environment,
                              "memory": memory}).encode()
        try:
            socket.send_fds(self.socket, [len(request).to_bytes(8, "big") + request],
                            [stdin, out_write, err_write])
        finally:
            for fd in (stdin, err_write, *((out_write,) if stdout is None else ())):
                os.close(fd)
        pid = int(self.replies.readline())
        output = {fd: bytearray() for fd in (out_read, err_read) if fd is not None}
        expired = _read_all(output, time.monotonic() + timeout)
        if expired:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _read_all(output, time.monotonic() + 10)
        status = int(self.replies.readline())
        out = bytes(output[out_read]) if out_read is not None else None
        err = bytes(output[err_read])
        if expired:
            raise subprocess.TimeoutExpired(["symgrad", *argv], timeout, out, err)
        return subprocess.CompletedProcess(["symgrad", *argv], os.waitstatus_to_exitcode(status),
                                           out, err)


def _read_all(output: dict, deadline: float) -> bool:
    """Read the pipes into ``output`` until each is closed (then close it): False, or True
    at the deadline."""
    with selectors.DefaultSelector() as selector:
        for fd in output:
            if fd is not None:
                selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 1 << 16)
                if chunk:
                    output[key.fd] += chunk
                else:
                    selector.unregister(key.fd)
                    os.close(key.fd)
    return False


_ZYGOTE: list = []


def _zygote() -> Zygote | None:
    if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        return None
    if not _ZYGOTE or _ZYGOTE[0].process.poll() is not None:
        _ZYGOTE[:] = [Zygote()]
    return _ZYGOTE[0]


def serve(fd: int) -> None:
    """The zygote: import symgrad's command line, then fork a child for each request read
    from the socket ``fd``, answering its pid and then its wait status. Ends when the test
    worker closes its end."""
    import symgrad.cli

    symgrad.cli.commands()  # every command's module, and what they import: SymPy, mpmath, NumPy

    channel = socket.socket(fileno=fd)
    channel.sendall(b"ready\n")
    while True:
        header, fds, _, _ = socket.recv_fds(channel, 8, 3)
        if not header:
            return
        size = int.from_bytes(header, "big")
        body = b""
        while len(body) < size:
            body += channel.recv(size - len(body))
        request = json.loads(body)
        pid = os.fork()
        if pid == 0:
            channel.close()
            _child(request, fds)  # never returns
        for received in fds:
            os.close(received)
        channel.sendall(f"{pid}\n".encode())
        _, status = os.waitpid(pid, 0)
        channel.sendall(f"{status}\n".encode())


def _child(request: dict, fds: list[int]) -> None:
    """Become ``python -m symgrad.cli ARGV`` on the given streams, and end as it would."""
    code = 1
    try:
        for target, received in enumerate(fds):
            os.dup2(received, target)
            os.close(received)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import tempfile
        tempfile.tempdir = None  # (read TMPDIR again)
        _limits(request["memory"])()
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
                                      encoding="utf-8")
        sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                                      encoding="utf-8", errors="backslashreplace",
                                      line_buffering=True)
        sys.argv = ["symgrad", *request["argv"]]
        code = _as_the_interpreter_ends(_run_cli)
    finally:
        os._exit(code)


def _run_cli() -> None:
    from symgrad.cli import run
    run()


def _as_the_interpreter_ends(function) -> int:
    """Call ``function``; the exit code and the last words the interpreter would give."""
    import atexit
    import traceback
    try:
        function()
        code = 0
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 - what the interpreter shows for any of them
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the interpreter's own: exit 120
            code = 120
    return code
