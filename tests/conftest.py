"""Checks every test shares: none may leave mpmath's global precision changed (a test that
set ``mpmath.mp.dps = 30`` made another, run after it on the same worker, compare a
5,000-digit exponent's mantissa at 30 digits and fail)."""

from __future__ import annotations

import mpmath
import pytest


@pytest.fixture(autouse=True)
def _mpmath_precision_kept():
    before = mpmath.mp.prec
    yield
    after = mpmath.mp.prec
    if after != before:
        mpmath.mp.prec = before
        pytest.fail(f"The test left mpmath's precision at {after} bits (it was {before}); "
                    "use mpmath.workdps.")
