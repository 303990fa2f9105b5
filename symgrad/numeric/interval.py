"""Certified enclosures: interval arithmetic on MPFR with directed rounding.

Every operation rounds its lower end down and its upper end up (MPFR rounds
each elementary function correctly in the direction asked), so an interval
computed from exact inputs always contains the exact value. The functions
used here are increasing (exp, expm1, log, log1p, sqrt, tanh, erf, sinh, atan: the
enclosure is [f↓(lo), f↑(hi)]), decreasing (erfc), or even and decreasing (sech) or
increasing (cosh) in |x|.

A branch of a piecewise activation is chosen only when the comparison is
certain; an enclosure that straddles the kink is refused, not guessed.
"""

from __future__ import annotations

import gmpy2

from symgrad.errors import SymgradError

# What a certified pass says where an enclosure (an interval here, a ball in
# ``numeric/balls.py``) leaves which branch of a kink applies undecided.
KINK_REFUSAL = (
    "An enclosure straddles a kink of the activation, so which branch applies cannot be "
    "certified: a preactivation at (or within rounding of) the kink; raise --dps, or drop "
    "--interval (the exact pass decides ties exactly for relu-like activations).")


class Rounding:
    """The two MPFR contexts an interval needs: one rounding down, one up."""

    def __init__(self, bits: int):
        limits = {"emax": gmpy2.get_emax_max(), "emin": gmpy2.get_emin_min()}
        self.down = gmpy2.context(precision=bits, round=gmpy2.RoundDown, **limits)
        self.up = gmpy2.context(precision=bits, round=gmpy2.RoundUp, **limits)

    def rational(self, numerator: int, denominator: int = 1) -> Interval:
        """The tightest enclosure of numerator/denominator."""
        return Interval(self.down.div(numerator, denominator), self.up.div(numerator, denominator),
                        self)

    def pi(self) -> Interval:
        return Interval(self.down.const_pi(), self.up.const_pi(), self)

    def undefined(self) -> bool:
        """True once an operation had no defined result (inf - inf, 0 · inf). Overflow and
        underflow need no flag: rounding down gives 0 or the largest number, rounding up
        the least positive number or inf, so every enclosure stays true, if wide."""
        return any(c.invalid for c in (self.down, self.up))


class Interval:
    """[lo, hi] with MPFR ends; arithmetic with ints and other intervals."""

    __slots__ = ("lo", "hi", "rounding")

    def __init__(self, lo, hi, rounding: Rounding):
        self.lo, self.hi, self.rounding = lo, hi, rounding

    def __repr__(self) -> str:
        return f"Interval({self.lo}, {self.hi})"

    def _coerce(self, other) -> Interval:
        if isinstance(other, Interval):
            return other
        if isinstance(other, int):
            return self.rounding.rational(other)
        return NotImplemented

    def contains_zero(self) -> bool:
        return self.lo <= 0 <= self.hi

    @property
    def mid(self):
        return (self.lo + self.hi) / 2

    def relative_width(self):
        """(hi - lo) / min |x| over the interval, rounded up: inf when it contains 0."""
        if self.contains_zero():
            return gmpy2.mpfr("inf") if self.hi > self.lo else gmpy2.mpfr(0)
        up, magnitude = self.rounding.up, abs(self)
        return up.div(up.sub(magnitude.hi, magnitude.lo), magnitude.lo)

    # --- arithmetic ------------------------------------------------------------------

    def __add__(self, other) -> Interval:
        other = self._coerce(other)
        r = self.rounding
        return Interval(r.down.add(self.lo, other.lo), r.up.add(self.hi, other.hi), r)

    __radd__ = __add__

    def __neg__(self) -> Interval:
        # Through the contexts: a bare ``-x`` rounds to gmpy2's current precision.
        r = self.rounding
        return Interval(r.down.minus(self.hi), r.up.minus(self.lo), r)

    def __sub__(self, other) -> Interval:
        return self + (-self._coerce(other))

    def __rsub__(self, other) -> Interval:
        return self._coerce(other) + (-self)

    def __mul__(self, other) -> Interval:
        other = self._coerce(other)
        r = self.rounding
        pairs = [(a, b) for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(min(r.down.mul(a, b) for a, b in pairs),
                        max(r.up.mul(a, b) for a, b in pairs), r)

    __rmul__ = __mul__

    def __truediv__(self, other) -> Interval:
        other = self._coerce(other)
        if other.contains_zero():
            raise SymgradError(
                "A certified enclosure would divide by an interval containing 0; "
                "drop --interval or raise --dps."
            )
        r = self.rounding
        pairs = [(a, b) for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(min(r.down.div(a, b) for a, b in pairs),
                        max(r.up.div(a, b) for a, b in pairs), r)

    def __rtruediv__(self, other) -> Interval:
        return self._coerce(other) / self

    def __pow__(self, exponent) -> Interval:
        if isinstance(exponent, Interval):  # a constant exponent, as the compiled code gives it
            if exponent.lo != exponent.hi or not (2 * exponent.lo).is_integer():
                raise SymgradError("A certified enclosure takes only whole and half-whole "
                                   "powers; drop --interval.")
            twice = int(2 * exponent.lo)
            if twice % 2:
                return _increasing("sqrt", above=None)(self) ** twice if self.lo >= 0 else \
                    _refuse_root()
            exponent = twice // 2
        if not isinstance(exponent, int):
            return NotImplemented
        if exponent < 0:
            return 1 / self**-exponent
        r = self.rounding
        if exponent % 2 or self.lo >= 0:  # increasing on this interval
            return Interval(r.down.pow(self.lo, exponent), r.up.pow(self.hi, exponent), r)
        if self.hi <= 0:  # decreasing
            return Interval(r.down.pow(self.hi, exponent), r.up.pow(self.lo, exponent), r)
        largest = max((-self).hi, self.hi)
        return Interval(gmpy2.mpfr(0), r.up.pow(largest, exponent), r)

    def __abs__(self) -> Interval:
        if self.lo >= 0:
            return self
        if self.hi <= 0:
            return -self
        return Interval(gmpy2.mpfr(0), max((-self).hi, self.hi), self.rounding)

    # --- comparisons: certain answers only -----------------------------------------

    def _compare(self, other, certainly_true, certainly_false) -> bool:
        other = self._coerce(other)
        if certainly_true(self, other):
            return True
        if certainly_false(self, other):
            return False
        raise SymgradError(KINK_REFUSAL)

    def __le__(self, other) -> bool:
        return self._compare(other, lambda s, o: s.hi <= o.lo, lambda s, o: s.lo > o.hi)

    def __lt__(self, other) -> bool:
        return self._compare(other, lambda s, o: s.hi < o.lo, lambda s, o: s.lo >= o.hi)

    def __ge__(self, other) -> bool:
        return self._compare(other, lambda s, o: s.lo >= o.hi, lambda s, o: s.hi < o.lo)

    def __gt__(self, other) -> bool:
        return self._compare(other, lambda s, o: s.lo > o.hi, lambda s, o: s.hi <= o.lo)


def narrow(value, digits: int) -> bool:
    """Whether ``value`` is a number, or an enclosure whose width is at most 10^-digits of
    its size (an exact 0, [0, 0], is; an enclosure reaching across 0 is not)."""
    if not isinstance(value, Interval):
        return True
    width = value.relative_width()
    return width is not None and width <= gmpy2.mpfr(10) ** -digits


def _refuse_root():
    raise SymgradError("A certified enclosure would take the square root of a value that may be "
                       "negative; drop --interval or raise --dps.")


def _increasing(name: str, above: int | None = None):
    """An increasing function; ``above``: its domain is (above, ∞)."""

    def function(value: Interval) -> Interval:
        if above is not None and value.lo <= above:
            raise SymgradError(f"A certified enclosure would take {name} of a value that may be "
                               "outside its domain; drop --interval or raise --dps.")
        r = value.rounding
        return Interval(getattr(r.down, name)(value.lo), getattr(r.up, name)(value.hi), r)

    return function


def namespace(rounding: Rounding) -> dict:
    """What the lambdified activation and cost code calls, for intervals."""

    def constant(value):
        return value if isinstance(value, Interval) else rounding.rational(int(value))

    def wrap(function):
        return lambda value: function(constant(value))

    return {
        "mpf": constant,
        "exp": wrap(_increasing("exp")),
        "tanh": wrap(_increasing("tanh")),
        "erf": wrap(_increasing("erf")),
        "log": wrap(_increasing("log", above=0)),
        "log1p": wrap(_increasing("log1p", above=-1)),
        "expm1": wrap(_increasing("expm1")),
        "erfc": wrap(_decreasing("erfc")),
        "erfc_of_negative": wrap(lambda value: _decreasing("erfc")(-value)),
        "sech": wrap(_even_decreasing("sech")),
        "sqrt": wrap(_increasing("sqrt")),
        "sinh": wrap(_increasing("sinh")),
        "atan": wrap(_increasing("atan")),
        "cosh": wrap(_even_increasing("cosh")),
        "pi": rounding.pi(),
        "e": Interval(rounding.down.exp(1), rounding.up.exp(1), rounding),
        "Abs": abs,
        "fabs": abs,
    }


def _decreasing(name: str):
    def function(value: Interval) -> Interval:
        r = value.rounding
        return Interval(getattr(r.down, name)(value.hi), getattr(r.up, name)(value.lo), r)

    return function


def _even_increasing(name: str):
    """An even function, increasing in |x| (cosh): its enclosure from that of |x|."""
    increasing = _increasing(name)

    def function(value: Interval) -> Interval:
        return increasing(abs(value))

    return function


def _even_decreasing(name: str):
    """An even function, decreasing in |x| (sech): its enclosure from that of |x|."""
    decreasing = _decreasing(name)

    def function(value: Interval) -> Interval:
        return decreasing(abs(value))

    return function
