"""Checks every test shares: none may leave mpmath's global precision changed (a test that
set ``mpmath.mp.dps = 30`` made another, run after it on the same worker, compare a
5,000-digit exponent's mantissa at 30 digits and fail). Hypothesis' examples are the
same on every run. And the slow lane: what
tests/slow.txt lists is marked slow, for ``pytest -m "not slow"`` to leave out."""

from __future__ import annotations

import os
import sys

# The test workers share the machine's cores: a BLAS with threads of its own in each
# would fight over them (a width-100 QR takes 0.3 ms alone and 20 ms with four threads
# on two busy cores). Set before NumPy loads its BLAS; the processes the tests start
# inherit it.
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")
assert "numpy" not in sys.modules, "NumPy was loaded before tests/conftest.py set its threads"

from pathlib import Path  # noqa: E402

import mpmath  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# The property tests draw the same examples on every run: CI either passes or fails on
# the code, never on the draw (`pytest --hypothesis-seed=N` explores others).
settings.register_profile("symgrad", derandomize=True)
settings.load_profile("symgrad")

SLOW_LIST = Path(__file__).with_name("slow.txt")


def slow_entries() -> list[str]:
    """The test ids tests/slow.txt puts in the slow lane (a whole test, or one case)."""
    lines = (line.split("  #", 1)[0].strip() for line in SLOW_LIST.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@pytest.hookimpl(tryfirst=True)  # before -m "not slow" deselects by the marks
def pytest_collection_modifyitems(config, items):
    """Mark slow what tests/slow.txt lists. An entry that names no collected test (a test
    renamed or a case's id changed) is an error, not a test silently moved to the fast
    lane; it is checked when the run collected the entry's whole test file."""
    entries = slow_entries()
    found = dict.fromkeys(entries, False)
    for item in items:
        function = item.nodeid.split("[", 1)[0]
        for entry in (item.nodeid, function) if function != item.nodeid else (function,):
            if entry in found:
                found[entry] = True
                item.add_marker(pytest.mark.slow)
    named = [arg for arg in config.args if "::" in arg]  # a run of chosen tests sees only those
    files = {item.nodeid.split("::", 1)[0] for item in items}
    missing = [entry for entry, hit in found.items()
               if not hit and not named and entry.split("::", 1)[0] in files]
    if missing:
        raise pytest.UsageError(f"tests/slow.txt names tests that do not exist: {missing[:5]}")


@pytest.fixture(autouse=True)
def _mpmath_precision_kept():
    before = mpmath.mp.prec
    yield
    after = mpmath.mp.prec
    if after != before:
        mpmath.mp.prec = before
        pytest.fail(f"The test left mpmath's precision at {after} bits (it was {before}); "
                    "use mpmath.workdps.")
