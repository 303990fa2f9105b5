"""Running the real command line as a hostile user would, and what every run must obey.

``attempt`` runs ``symgrad`` in a process of its own (tests/process.py) under a time
limit and an address-space limit, in a folder of its own, and ``Outcome.problems`` lists every broken promise:
an exit code other than 0, 1 (verify's "incorrect") or 2; a traceback or an internal
error; a refusal that is not one line starting 'symgrad: '; a file created or
changed by a refusal; a run past its time.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.process import symgrad_process

MEMORY_LIMIT = 3 * 1024**3  # bytes of address space (NumPy and SymPy map ~1 GiB just by loading)
TIME_LIMIT = 100.0  # seconds: the analyses refuse at 60 (symgrad.api.COMMAND_SECONDS)


@dataclass
class Outcome:
    args: tuple[str, ...]
    code: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    seconds: float
    changed: list[str] = field(default_factory=list)  # files created, changed or removed

    @property
    def kind(self) -> str:
        if self.code is None:
            return "past the budget"
        if "Traceback" in self.stderr or "internal error" in self.stderr:
            return "traceback"
        return {0: "answered", 1: "verdict", 2: "refused"}.get(self.code, "bad exit code")

    def problems(self, verify: bool = False) -> list[str]:
        found = []
        allowed = (0, 1, 2) if verify else (0, 2)
        if self.code is None:
            found.append(f"ran past {TIME_LIMIT:g} s")
        elif self.code not in allowed:
            found.append(f"exit code {self.code}")
        if "Traceback" in self.stderr or "internal error" in self.stderr:
            found.append("traceback: " + self.stderr[-300:])
        if self.code == 2:
            lines = self.stderr.strip("\n").split("\n")
            if len(lines) != 1 or not lines[0].startswith("symgrad: "):
                found.append(f"the refusal is not one line 'symgrad: ...': {self.stderr[:300]!r}")
            if any(ord(c) < 32 and c not in "\n" for c in self.stderr):
                found.append("control characters on stderr")
            if self.changed:
                found.append(f"files changed by a refusal: {self.changed}")
        return found


def snapshot(folder: Path) -> dict[str, tuple]:
    state = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        data = path.stat()
        state[str(path.relative_to(folder))] = (data.st_size, data.st_mtime_ns, data.st_mode,
                                                path.read_bytes()[:4096])
    return state


def attempt(args, folder: Path, timeout: float = TIME_LIMIT, memory: int = MEMORY_LIMIT,
            env: dict | None = None, stdout=None) -> Outcome:
    """``symgrad *args`` in ``folder``; ``stdout`` a file object to send the output to."""
    before = snapshot(folder)
    environment = {**os.environ, **(env or {})}
    started = time.monotonic()
    try:
        done = symgrad_process(*args, cwd=folder, env=environment, stdout=stdout,
                               timeout=timeout, memory=memory, text=False)
        code, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as expired:
        code, out, err = None, expired.stdout, expired.stderr
    seconds = time.monotonic() - started
    decode = lambda data: (data or b"").decode("utf-8", "replace")  # noqa: E731
    after = snapshot(folder)
    changed = sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    return Outcome(tuple(args), code, decode(out), decode(err), seconds, changed)
