"""Time budgets (symgrad.budget) hold even when the step swallows the first alarm."""

from __future__ import annotations

import time

from symgrad.budget import OverBudget, within_budget


def test_a_step_that_swallows_the_alarm_still_ends_within_its_budget():
    """A catch-all in the step (a library's, a finaliser's) eats the first OverBudget; the
    alarm rings again until one gets out: the step ends just after its budget, not never."""
    swallowed = []
    started = time.monotonic()

    def stubborn():
        while time.monotonic() - started < 5:  # (without a second alarm: 5 s, then a fail)
            try:
                while time.monotonic() - started < 5:
                    pass
            except OverBudget:
                if swallowed:
                    raise
                swallowed.append(time.monotonic())
        return "ran on"

    assert within_budget(stubborn, seconds=0.3, fallback=lambda: "gave up") == "gave up"
    assert swallowed and time.monotonic() - started < 1.0


def test_a_step_that_finishes_in_time_is_not_interrupted_after():
    assert within_budget(lambda: sum(range(1000)), seconds=0.2) == 499500
    time.sleep(0.3)  # (no alarm left behind to ring here)
