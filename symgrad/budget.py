"""Time budgets for symbolic steps that may not finish (SymPy's limit, solve, simplify).

SymPy has no cancellation of its own, so a budget is a real-time alarm (``SIGALRM``)
that raises ``OverBudget`` inside the step; the caller catches it and falls back to
a numerical route or refuses with one sentence. Budgets nest: an inner budget never
outlives the outer one, and the outer alarm is restored when the inner step ends.
Off the main thread (where signals cannot be delivered) a step runs unbudgeted.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# The analyses whose time the caller cannot size (bounds, regions, mean field, the
# activation table) finish or refuse within this; work sized by the caller (a depth, a
# number of samples) shows a progress bar instead.
COMMAND_SECONDS = 60.0
# Seconds a single symbolic step (one limit, one solve, one simplification) may take.
SYMBOLIC_STEP_SECONDS = 5.0


class OverBudget(BaseException):  # noqa: N818 - a condition, like StopIteration
    """A budgeted step ran out of time (never shown to a user as it is). A BaseException,
    so that SymPy's own ``except Exception`` clauses cannot swallow the alarm."""


_deadlines: list[float] = []  # the active budgets' ends, innermost last
# Once a budget is over its alarm rings again at this interval until the step ends: an
# OverBudget swallowed on the way out (a C extension's or a library's catch-all, a
# finaliser) must not leave the step running with no alarm left (a verify in a test
# worker ran on for minutes so: strace showed no alarm after the first).
REPEAT_SECONDS = 0.05


def _on_alarm(signum, frame):
    if _deadlines and time.monotonic() >= _deadlines[-1]:
        raise OverBudget


@contextmanager
def time_budget(seconds: float = SYMBOLIC_STEP_SECONDS) -> Iterator[None]:
    """Run the body for at most ``seconds`` (or until an enclosing budget ends), else
    raise ``OverBudget`` from inside it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    now = time.monotonic()
    deadline = now + seconds
    if _deadlines:
        deadline = min(deadline, _deadlines[-1])
    if deadline <= now:
        raise OverBudget
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _deadlines.append(deadline)
    signal.setitimer(signal.ITIMER_REAL, deadline - now, REPEAT_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _deadlines.pop()
        signal.signal(signal.SIGALRM, previous)
        if _deadlines:  # the outer budget keeps running, from where it is now; if it is
            # over already, its alarm rings at once, outside the inner step's own handler
            signal.setitimer(signal.ITIMER_REAL, max(_deadlines[-1] - time.monotonic(), 1e-4),
                             REPEAT_SECONDS)


def within_budget(step, *args, fallback=None, seconds: float = SYMBOLIC_STEP_SECONDS, **kwargs):
    """``step(*args, **kwargs)``, or ``fallback()`` (None if not given) when it runs out of
    time. When an enclosing budget is what ran out, ``OverBudget`` propagates to it instead:
    a fallback must not run on after the whole task's time is up."""
    try:
        with time_budget(seconds):
            return step(*args, **kwargs)
    except OverBudget:
        if outer_budget_spent():
            raise
        return None if fallback is None else fallback()


def outer_budget_spent() -> bool:
    """Whether the innermost active budget has run out (False with none active)."""
    return bool(_deadlines) and time.monotonic() >= _deadlines[-1]
