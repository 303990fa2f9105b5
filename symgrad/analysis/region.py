"""``symgrad region``: where one layer does not shrink the gradient.

Layer k passes the gradient on multiplied by w σ'(z). The set of preactivations
with |w σ'(z)| ≥ 1 is where it does not shrink; since z = w a + b, the matching
set of inputs a has 1/|w| of its width. Small |w| leaves no such z (|w| sup|σ'| < 1);
large |w| needs σ'(z) ≥ 1/|w|, which for a sigmoid-like σ' squeezes z towards the
peak faster than it widens, so the input-space width has a largest value.

Method: σ' is split into pieces (its Piecewise branches) and each piece at its
critical points and zeros, so |σ'| is monotone on every segment; a segment then
holds at most one point with |σ'(z)| = 1/|w|, found by bracketed root finding to
the digits asked. Critical points are searched for on [-40, 40] (beyond, σ' of
every library activation is monotone), refined by Newton's method.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import mpmath
import sympy

from symgrad.activations import Activation
from symgrad.errors import SymgradError
from symgrad.formula import VARIABLE, limit_at, mpmath_function, pieces, solved_within_budget
from symgrad.numeric.stable import without_cancellation

REGION_DPS = 30  # default digits of the interval ends
MAX_REGION_DPS = 1000  # gain_region's digits
MAX_WIDEST_DPS = 100  # widest_region works at twice the digits, ~100 evaluations: minutes past 100
SEARCH_RANGE = 40
SEARCH_STEP = mpmath.mpf(1) / 20
GUARD_DIGITS = 10
MIN_SEARCH_DIGITS = 30  # the sign-change search for σ''s turning points needs no fewer


@dataclass(frozen=True)
class Segment:
    """Part of the real line on which |σ'| is monotone (or constant)."""

    interval: sympy.Interval
    derivative: object  # σ' on this segment, compiled for mpmath
    start: mpmath.mpf  # |σ'| at the left end (a limit where the end is open or infinite)
    end: mpmath.mpf  # |σ'| at the right end
    constant: bool


@cache
def segments(activation: Activation, dps: int) -> tuple[Segment, ...]:
    """|σ'|-monotone segments of the real line, for ``activation``, to ``dps`` digits."""
    found = []
    with mpmath.workdps(max(dps, MIN_SEARCH_DIGITS) + GUARD_DIGITS):
        for formula, interval in sorted(pieces(activation.derivative), key=lambda p: p[1].inf):
            # in its form without cancellation: 1 - tanh(z)² is 0 at every working precision
            # where sech(z)² is 10^-100 (|w| = 10^100 needs z up to 115.8, not 93.9)
            function = mpmath_function(without_cancellation(formula), VARIABLE)
            if not formula.has(VARIABLE):
                value = abs(mpmath.mpf(sympy.N(formula, mpmath.mp.dps)))
                found.append(Segment(interval, function, value, value, True))
                continue
            cuts = _turning_points(formula, interval)
            ends = [interval.inf, *cuts, interval.sup]
            for left, right in zip(ends, ends[1:]):
                part = sympy.Interval(left, right, left == interval.inf and interval.left_open,
                                      right == interval.sup and interval.right_open)
                found.append(Segment(part, function, _edge(formula, function, left, "+"),
                                     _edge(formula, function, right, "-"), False))
    return tuple(found)


def _turning_points(formula: sympy.Expr, interval: sympy.Interval) -> list:
    """Where σ' has a critical point or changes sign inside the interval: exactly where
    SymPy solves for them, else as Floats from a sign-change search."""
    points = []
    for target in (sympy.diff(formula, VARIABLE), formula):
        exact = solved_within_budget(target, interval)
        if isinstance(exact, sympy.FiniteSet):
            points += [p for p in exact if interval.inf < p < interval.sup]
            continue
        function = mpmath_function(target, VARIABLE)
        low = max(interval.inf, -SEARCH_RANGE)
        high = min(interval.sup, SEARCH_RANGE)
        z = mpmath.mpf(sympy.N(low, 20))
        previous = function(z)
        while z < high:
            following = z + SEARCH_STEP
            value = function(following)
            if previous == 0 and low < z < high:
                points.append(sympy.Float(z, mpmath.mp.dps))
            elif previous * value < 0:
                points.append(sympy.Float(_bisect(function, z, following), mpmath.mp.dps))
            z, previous = following, value
    return sorted({p for p in points if interval.inf < p < interval.sup},
                  key=lambda p: sympy.N(p, 30))


def _edge(formula, function, point, direction: str) -> mpmath.mpf:
    if point.is_finite:
        return abs(function(mpmath.mpf(sympy.N(point, mpmath.mp.dps))))
    limit, _ = limit_at(formula, point, direction)
    return abs(mpmath.mpf(sympy.N(limit, mpmath.mp.dps)))


@dataclass(frozen=True)
class Span:
    """One interval of the region (low = high for a single point); ends may be ±oo."""

    low: sympy.Expr
    high: sympy.Expr
    left_open: bool
    right_open: bool


@dataclass(frozen=True)
class GainRegion:
    """{z : |w σ'(z)| ≥ 1} and the matching inputs a = (z - b)/w."""

    activation: Activation
    weight: sympy.Rational
    bias: sympy.Rational
    dps: int
    preactivations: sympy.Set  # a union of intervals (Floats at dps digits, or exact)

    @property
    def intervals(self) -> tuple[Span, ...]:
        return _spans(self.preactivations)

    @property
    def inputs(self) -> tuple[Span, ...]:
        """The same set in input space, a = (z - b)/w, left to right: exact arithmetic on
        the ends' values (a 30-digit end minus b = 10^40 keeps its digits)."""
        w, b = self.weight, self.bias
        spans = [Span(_exactly(s.low), _exactly(s.high), s.left_open, s.right_open)
                 for s in self.intervals]
        mapped = [Span((s.high - b) / w, (s.low - b) / w, s.right_open, s.left_open) if w < 0
                  else Span((s.low - b) / w, (s.high - b) / w, s.left_open, s.right_open)
                  for s in spans]
        return tuple(sorted(mapped, key=lambda s: sympy.N(s.low, self.input_digits)))

    @property
    def input_digits(self) -> int:
        """Digits that keep the input ends as exact as the preactivation ends (``dps``
        digits): more by the orders of magnitude the bias moves them (b = 10^40 puts
        ends 0.44 apart near −1.25·10^39, which 30 digits would show as one point)."""
        finite = [abs(end) for s in self.intervals for end in (s.low, s.high)
                  if end.is_finite and end != 0]
        if not finite or self.bias == 0:
            return self.dps
        shifted = abs(self.bias / self.weight) + max(finite) / abs(self.weight)
        scale = max(finite)
        return self.dps + max(0, int(sympy.ceiling(sympy.log(shifted / scale, 10).evalf(30))))

    @property
    def width(self) -> sympy.Expr:
        """The total length of the preactivation set."""
        return self.preactivations.measure

    @property
    def input_width(self) -> sympy.Expr:
        return self.width / abs(self.weight)

    @property
    def status(self) -> str:
        """empty, point(s), bounded or unbounded."""
        if self.preactivations.is_empty:
            return "empty"
        if self.width == sympy.oo:
            return "unbounded"
        return "points" if self.width == 0 else "bounded"


def _exactly(end: sympy.Expr) -> sympy.Expr:
    """A Float end as the exact rational it holds (±oo and exact ends as they are)."""
    return sympy.Rational(end) if isinstance(end, sympy.Float) else end


def _spans(region: sympy.Set) -> tuple[Span, ...]:
    if region.is_empty:
        return ()
    spans = []
    for part in region.args if isinstance(region, sympy.Union) else (region,):
        if isinstance(part, sympy.FiniteSet):
            spans += [Span(point, point, False, False) for point in part]
        else:
            spans.append(Span(part.inf, part.sup, bool(part.left_open), bool(part.right_open)))
    return tuple(sorted(spans, key=lambda s: sympy.N(s.low, 30)))


def gain_region(activation: Activation, weight: sympy.Rational, bias: sympy.Rational = 0,
                dps: int = 30) -> GainRegion:
    if weight == 0:
        raise SymgradError("With w = 0 no preactivation lets the gradient through; give w ≠ 0.")
    weight, bias = sympy.Rational(weight), sympy.Rational(bias)
    with mpmath.workdps(_root_digits(dps)):
        magnitude = abs(mpmath.mpf(int(weight.p)) / int(weight.q))
    return GainRegion(activation, weight, bias, dps, _preactivations(activation, magnitude, dps))


def _root_digits(dps: int) -> int:
    """Where |σ'| peaks at the threshold a root is a double root: finding z to d digits
    takes |σ'(z)| to 2d digits, so ends are solved at twice the digits."""
    return 2 * (dps + GUARD_DIGITS)


def _preactivations(activation: Activation, magnitude: mpmath.mpf, dps: int,
                    root_digits: int | None = None) -> sympy.Set:
    """{z : |σ'(z)| ≥ 1/magnitude}, its ends to ``dps`` digits (solved at ``root_digits``,
    twice the digits unless the caller knows the roots are simple)."""
    with mpmath.workdps(root_digits or _root_digits(dps)):
        threshold = 1 / magnitude
        parts = [_part(segment, threshold, dps + GUARD_DIGITS) for segment in segments(activation, dps)]
        return sympy.Union(*parts)


@dataclass(frozen=True)
class WidestRegion:
    """The |w| whose gain region is widest in input space (width = |region| / |w|)."""

    activation: Activation
    dps: int
    weight: mpmath.mpf | None  # None when the width is unbounded
    input_width: mpmath.mpf  # +inf when unbounded
    unbounded_from: mpmath.mpf | None  # the |w| beyond which the region is unbounded
    unbounded_at: bool  # whether it is already unbounded at |w| = unbounded_from
    region: GainRegion | None  # the region at the best |w|


def widest_region(activation: Activation, dps: int = 30) -> WidestRegion:
    """Maximise the input-space width over |w|: a scan on a log grid, then golden-section
    search at twice the digits (near a maximum the width changes only quadratically)."""
    if isinstance(dps, int) and not isinstance(dps, bool) and dps > MAX_WIDEST_DPS:
        raise SymgradError(f"The widest region (--maximize) takes at most {MAX_WIDEST_DPS} "
                           f"digits, not {dps}.")
    parts = segments(activation, dps)
    tails = [s.start for s in parts if s.interval.inf == -sympy.oo] + \
            [s.end for s in parts if s.interval.sup == sympy.oo]
    with mpmath.workdps(dps + GUARD_DIGITS):
        if max(tails) > 0:  # |σ'| stays above 1/|w| all along a tail once |w| > 1/tail
            limit = 1 / max(tails)
            at = _preactivations(activation, limit, dps).measure == sympy.oo
            return WidestRegion(activation, dps, None, mpmath.inf, limit, at, None)
    fine = 2 * dps + GUARD_DIGITS

    def width(magnitude: mpmath.mpf) -> mpmath.mpf:
        measure = _preactivations(activation, magnitude, fine, fine + GUARD_DIGITS).measure
        return mpmath.mpf(sympy.N(measure, fine + GUARD_DIGITS)) / magnitude

    with mpmath.workdps(fine + GUARD_DIGITS):
        # |σ'| is monotone on every segment, so its sup is the largest segment end
        smallest = 1 / max(max(s.start, s.end) for s in segments(activation, fine))
        grid = [smallest * mpmath.mpf(2) ** (k / mpmath.mpf(4)) for k in range(1, 81)]
        values = [width(w) for w in grid]
        best = max(range(len(grid)), key=lambda i: values[i])
        low = grid[best - 1] if best else smallest
        high = grid[min(best + 1, len(grid) - 1)]
        magnitude = _golden_maximum(width, low, high, mpmath.mpf(10) ** -(dps + 2))
        best_width = width(magnitude)
    weight = sympy.Float(magnitude, dps + GUARD_DIGITS)
    region = GainRegion(activation, weight, sympy.S.Zero, dps,
                        _preactivations(activation, magnitude, dps))
    return WidestRegion(activation, dps, magnitude, best_width, None, False, region)


def _golden_maximum(function, low, high, tolerance) -> mpmath.mpf:
    ratio = (mpmath.sqrt(5) - 1) / 2
    a, b = low, high
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = function(c), function(d)
    while b - a > tolerance * abs(b):
        if fc > fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = function(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = function(d)
    return (a + b) / 2


def _part(segment: Segment, threshold: mpmath.mpf, digits: int) -> sympy.Set:
    """The part of a segment where |σ'| ≥ threshold (|σ'| is monotone there)."""
    start_in, end_in = segment.start >= threshold, segment.end >= threshold
    interval = segment.interval
    if start_in and end_in:
        return interval
    if not start_in and not end_in:
        return sympy.S.EmptySet
    if start_in and segment.start == threshold:  # |σ'| peaks exactly at the threshold:
        return _closed_end(interval.inf, interval.left_open)  # a single point
    if end_in and segment.end == threshold:
        return _closed_end(interval.sup, interval.right_open)
    root = sympy.Float(_crossing(segment, threshold), digits)
    if start_in:
        return sympy.Interval(interval.inf, root, interval.left_open, False)
    return sympy.Interval(root, interval.sup, False, interval.right_open)


def _closed_end(point: sympy.Expr, open_: bool) -> sympy.Set:
    return sympy.S.EmptySet if open_ or not point.is_finite else sympy.FiniteSet(point)


def _crossing(segment: Segment, threshold: mpmath.mpf) -> mpmath.mpf:
    """The z in the segment with |σ'(z)| = threshold (one exists: |σ'| is monotone there
    and on either side of it at the ends)."""
    def gap(z):
        return abs(segment.derivative(z)) - threshold

    def finite(end):
        return mpmath.mpf(sympy.N(end, mpmath.mp.dps)) if end.is_finite else None

    left, right = finite(segment.interval.inf), finite(segment.interval.sup)
    low = left if left is not None else _walk(gap, right, -1, segment.start >= threshold)
    high = right if right is not None else _walk(gap, left, 1, segment.end >= threshold)
    for end in (low, high):
        if gap(end) == 0:
            return end
    # Bisection, not a secant method: those stop wherever |gap| is below their tolerance,
    # which for a tiny threshold (|w| = 10^40) is everywhere.
    root = _bisect(gap, low, high)
    return mpmath.mpf(0) if abs(root) < mpmath.mpf(10) ** (GUARD_DIGITS - mpmath.mp.dps) else root


def _bisect(gap, low, high) -> mpmath.mpf:
    low_positive = gap(low) > 0
    for _ in range(mpmath.mp.prec + 64):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        if (gap(middle) > 0) == low_positive:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _walk(gap, origin, direction: int, positive: bool) -> mpmath.mpf:
    """From ``origin`` (or 0) out towards ±∞ until the gap has the sign it has there."""
    start = mpmath.mpf(0) if origin is None else origin
    step = mpmath.mpf(1)
    while step < 2**64:
        z = start + direction * step
        value = gap(z)
        if value == 0 or (value > 0) == positive:
            return z
        step *= 2
    raise SymgradError("The gain region's boundary could not be bracketed.")
