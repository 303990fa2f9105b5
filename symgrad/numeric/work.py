"""The work of a long matrix computation, reported as it is done.

Work is counted in multiply-adds, each weighted by the cost of its digits (``digit_cost``),
so a bar sized by it moves evenly whether the time goes to a Gram–Schmidt draw, a
Jacobian product or an SVD, at 30 digits or 10,000. The total grows as runs at higher
precision are begun (how many is only known as they agree or not). A step done by a
library in one call (mpmath's SVD) is advanced by an estimate while it runs, at the rate
the work before it went, and set to its true end when it returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Tell = Callable[[float, float, str], None]  # (work done, work planned so far, what)

TICK_SECONDS = 0.25  # how often an estimated step moves the bar
ESTIMATE_SHARE = 0.95  # an estimated step moves its bar at most this far before it ends
# Measured against one multiply-add of the Jacobian's product (a 100-wide net at 2,000
# digits: about 0.6 µs each, 1.6 million units a second):
SVD_FACTOR = 7  # mpmath's SVD of an m×n matrix: this many × m n min(m, n) of them
# FLINT's Arb (ball matrices, in C): a multiply-add of an arb_mat product costs this share
# of one (4-12 ns at 40 digits), its certified eigenvalues of an n×n matrix this many × n³
BALL_PRODUCT_FACTOR = 0.015
BALL_EIGEN_FACTOR = 1.0
ORTHOGONAL_PRODUCTS = 6  # an orthogonal draw: this many m×n×n ball products (see the draw)
# ... up to this many bits, its products run exactly in float64 slices instead, at this
# share of that work (width 256 at 40 digits: about 0.15 s a matrix against 1 s)
ORTHOGONAL_FLOAT_BITS = 320
ORTHOGONAL_FLOAT_SHARE = 0.15


def digit_cost(digits: int) -> float:
    """The cost of one multiply-add at ``digits`` digits, against one at 100 (measured on
    60×60 MPFR products: 0.7 at 30 digits, 2.4 at 2,000, 9.5 at 10,000)."""
    return 1.0 + digits / 1100


def svd_work(rows: int, columns: int, digits: int) -> float:
    return SVD_FACTOR * rows * columns * min(rows, columns) * digit_cost(digits)


def orthogonal_work(rows: int, columns: int, digits: int) -> float:
    tall, wide = max(rows, columns), min(rows, columns)
    whole = ORTHOGONAL_PRODUCTS * ball_product_work(tall, wide, wide, digits)
    in_floats = int(digits * 3.3219280948873623) + 1 <= ORTHOGONAL_FLOAT_BITS  # (its bits)
    return whole * ORTHOGONAL_FLOAT_SHARE if in_floats else whole


def ball_product_work(rows: int, inner: int, columns: int, digits: int) -> float:
    """An (rows × inner) · (inner × columns) product of ball matrices."""
    return BALL_PRODUCT_FACTOR * rows * inner * columns * digit_cost(digits)


def ball_eigen_work(size: int, digits: int) -> float:
    """Certified eigenvalues of a size × size matrix."""
    return BALL_EIGEN_FACTOR * size ** 3 * digit_cost(digits)


class Work:
    """Work planned and done, told to ``tell`` (none: nothing is counted)."""

    def __init__(self, tell: Tell | None = None):
        self.tell = tell
        self.total = self.done = 0.0
        self.what = "starting"
        self._started = time.monotonic()
        self._lock = threading.Lock()

    def expect(self, units: float) -> None:
        """More work planned (another run begun)."""
        with self._lock:
            self.total += units
            self._told()

    def did(self, units: float, what: str | None = None) -> None:
        with self._lock:
            self.done += units
            self.what = what or self.what
            self._told()

    @contextmanager
    def during(self, units: float, what: str) -> Iterator[None]:
        """A step of ``units`` done in one call: the bar moves at the rate so far meanwhile."""
        if self.tell is None:
            yield
            return
        start, began = self.done, time.monotonic()
        elapsed = began - self._started
        rate = start / elapsed if start > 0 and elapsed > 0 else None
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(TICK_SECONDS):
                guess = min(units * ESTIMATE_SHARE, rate * (time.monotonic() - began))
                with self._lock:
                    self.done, self.what = start + guess, what
                    self._told()

        ticker = threading.Thread(target=tick, daemon=True) if rate else None
        self.did(0, what)
        if ticker is not None:
            ticker.start()
        try:
            yield
        finally:
            stop.set()
            if ticker is not None:
                ticker.join()
            with self._lock:
                self.done = start + units
                self._told()

    def _told(self) -> None:
        if self.tell is not None:
            self.tell(self.done, max(self.total, self.done), self.what)
