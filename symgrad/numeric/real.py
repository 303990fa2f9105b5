"""What is asked of a computed number, whatever its kind (MPFR, mpmath, SymPy, or an
enclosure: an MPFR interval or an Arb ball): its decimal text to a number of digits, and
the log10 of its magnitude."""

from __future__ import annotations

import gmpy2
import mpmath
import sympy
from flint import arb

from symgrad.errors import SymgradError, quoted
from symgrad.numeric.interval import Interval, Rounding

_LOG_BITS = 96  # log10|x| to ~28 digits: enough for exponents of 10^9 and 15 digits after
_MPQ = type(gmpy2.mpq(0))
_MPFR = type(gmpy2.mpfr(0))


def _mpfr_exponent_limit() -> int:
    """A power of two E such that MPFR holds every m · 2^e with |e| + bits(m) < E here.
    gmpy2 reports get_emax_max() = 2^62 - 1 and accepts it in a context, but its numbers
    still overflow at 2^(2^30) and underflow to 0 below 2^-(2^30 + 1) (so this is 2^30),
    hence found by trying, not read."""
    limit = gmpy2.get_emax_max() + 1
    with gmpy2.context(precision=2, emax=gmpy2.get_emax_max(), emin=gmpy2.get_emin_min()):
        while limit > 64 and not (gmpy2.is_finite(gmpy2.mul_2exp(gmpy2.mpfr(1), limit - 2))
                                  and gmpy2.mul_2exp(gmpy2.mpfr(1), 2 - limit) != 0):
            limit //= 2
    return limit


MPFR_EXPONENT = _mpfr_exponent_limit()  # beyond it a number is mpmath's
FIXED_UP_TO = 16  # from 10^16 on, numbers are written with an exponent
_ROUNDING = {"nearest": "", "down": "D", "up": "U"}
MAX_DECIMAL_DIGITS = 1_000_000  # digits a decimal may be asked for (text of a few MB)
# Python refuses str(int) beyond 4,300 digits (sys.get_int_max_str_digits), and a parser
# reading the number back (SymPy, int()) refuses it too; gmpy2's mpz has no such limit.
SAFE_DIGITS = 4_000  # an integer literal printed is at most this long
SHOWN_FIGURES = 30  # leading figures of a huge integer with no power-of-ten structure, in text


def decimal(value, digits: int, rounding: str = "nearest") -> str | None:
    """``value`` with ``digits`` significant digits: fixed notation for exponents from
    -4 to 15 (as Python prints floats), scientific beyond; trailing zeros dropped. An interval as [lo, hi],
    its ends rounded outwards. None stays None."""
    if type(value) is _MPFR and type(digits) is int and 1 < digits <= MAX_DECIMAL_DIGITS and \
            rounding == "nearest" and value.is_regular():  # the usual case, a layer's value
        # MPFR's own decimal digits (mpfr_get_str, correctly rounded in C; gmpy2 asks for 2
        # at least) and exponent: no text to parse, half the time of format()
        figures, tens, _ = value.digits(10, digits)
        return _placed(figures, tens - 1, digits)
    if value is None:
        return None
    check_digits(digits)
    if type(value) is _MPFR:
        return _styled(format(value, f".{digits - 1}{_ROUNDING[rounding]}e"), digits)
    if isinstance(value, (bool, str, bytes, complex)) or isinstance(value, (list, tuple, dict, set)):
        raise SymgradError(f"decimal takes a number (or an enclosure), not {type(value).__name__}.")
    if isinstance(value, sympy.Basic):  # an exact or SymPy value: evaluated to the digits
        if value in (sympy.oo, -sympy.oo):
            return "inf" if value > 0 else "-inf"
        with mpmath.workdps(digits + 10):
            value = mpmath.mpf(sympy.N(value, digits + 10))
    if isinstance(value, _MPQ):  # exact rational: rounded once, at the digits asked
        value = gmpy2.mpfr(value, int(digits * 3.33) + 16)
    if is_enclosure(value):
        low, high = interval_ends(value, digits)
        return f"[{low}, {high}]"
    if isinstance(value, mpmath.mpf) and (_huge_exponent(value) or rounding != "nearest"
                                          and not _in_mpfr_range(value)):
        scientific = _scientific_by_logarithm(value, digits, rounding)
    elif isinstance(value, mpmath.mpf) and rounding != "nearest" and mpmath.isfinite(value):
        scientific = format(_exact_mpfr(value), f".{digits - 1}{_ROUNDING[rounding]}e")
    elif isinstance(value, mpmath.mpf):
        scientific = mpmath.libmp.to_str(value._mpf_, digits, min_fixed=1, max_fixed=0)
    else:
        scientific = format(value, f".{digits - 1}{_ROUNDING[rounding]}e")
    return _styled(scientific, digits)


def _in_mpfr_range(value: mpmath.mpf) -> bool:
    """Whether an mpmath number's exponent is one MPFR holds (0, inf and nan are)."""
    _, mantissa, exponent, bits = value._mpf_
    return not mantissa or abs(exponent) + bits < MPFR_EXPONENT


def _exact_mpfr(value: mpmath.mpf) -> gmpy2.mpfr:
    """An mpmath number as MPFR's, exactly (both are binary: its mantissa's bits)."""
    sign, mantissa, exponent, bits = value._mpf_
    if not mantissa:
        return gmpy2.mpfr(0)
    with gmpy2.context(gmpy2.get_context(), precision=max(bits, 2), emax=gmpy2.get_emax_max(),
                       emin=gmpy2.get_emin_min()):
        exact = gmpy2.mul_2exp(gmpy2.mpfr(int(mantissa)), exponent)
        return -exact if sign else exact


HUGE_EXPONENT_BITS = 40  # mpmath's own decimal of 2^e costs a power 10^|E|: seconds beyond
_GUARD_FIGURES = 12


def _huge_exponent(value: mpmath.mpf) -> bool:
    """Whether the binary exponent of an mpmath number has more than HUGE_EXPONENT_BITS bits
    (its decimal exponent is beyond about 10^12: e^-(10^5000), not anything MPFR holds)."""
    return bool(value) and mpmath.isfinite(value) and \
        abs(value._mpf_[2]).bit_length() > HUGE_EXPONENT_BITS


def _scientific_by_logarithm(value: mpmath.mpf, digits: int, rounding: str) -> str:
    """``value`` as d.ddd…e±E through log10|value| = log10 m + e log10 2, at enough bits for
    E (however many digits it has) and the digits with guard figures: milliseconds where
    mpmath's to_str raises 10 to a power of 5,000 digits (seconds to minutes). The
    figures are the rounded guard figures (nearest); ``down``/``up`` round the value
    outwards with one guard unit of slack, so an enclosure's ends still enclose."""
    sign, mantissa, exponent, _ = value._mpf_
    bits = int((digits + _GUARD_FIGURES) * 3.33) + abs(exponent).bit_length() + 64
    with mpmath.workprec(bits):
        logarithm = mpmath.log10(mpmath.mpf(mantissa)) + mpmath.mpf(exponent) * mpmath.log10(2)
        tens = int(mpmath.floor(logarithm))
        scaled = mpmath.power(10, logarithm - tens + digits - 1 + _GUARD_FIGURES)
        whole = int(mpmath.floor(scaled))
    unit = 10 ** _GUARD_FIGURES
    toward_zero = (rounding == "down") != bool(sign)  # down on a positive, up on a negative
    if rounding == "nearest":
        figures = (whole + unit // 2) // unit
    elif toward_zero:
        figures = (whole - 1) // unit
    else:
        figures = -((-(whole + 2)) // unit)
    if figures >= 10 ** digits:  # rounded up to the next power of ten
        figures, tens = figures // 10, tens + 1
    text = str(figures)  # at most ``digits`` figures: within Python's limit
    exponent_text = gmpy2.mpz(tens).digits()
    exponent_text = exponent_text if exponent_text.startswith("-") else "+" + exponent_text
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}e{exponent_text}"


def huge_decimal(text: str) -> bool:
    """Whether a decimal's exponent has more than 15 digits: its mantissa then says
    nothing a reader can use, and a display shows 10^(log10|x|) instead."""
    return "e" in text and len(text.rsplit("e", 1)[1].lstrip("+-")) > 15


def check_digits(digits, what: str = "digits") -> int:
    """A count of significant digits, from 1 to MAX_DECIMAL_DIGITS, or a one-sentence error
    (a billion digits would take hours and gigabytes)."""
    if isinstance(digits, bool) or not isinstance(digits, int):
        raise SymgradError(f"The number of {what} must be a whole number, not {quoted(digits)}.")
    if not 1 <= digits <= MAX_DECIMAL_DIGITS:
        raise SymgradError(f"The number of {what} must be between 1 and {MAX_DECIMAL_DIGITS:,}, "
                           f"not {digits}.")
    return digits


def table_cell(value, digits: int = 6, rounding: str = "nearest") -> str:
    """A number for a table cell: ``digits`` digits (``rounding``: a bound's "up" or "down");
    an enclosure whose ends round alike shows those digits (every value in it rounds so),
    one whose ends differ both ends; "—" for a value that does not apply."""
    if value is None:
        return "—"
    if is_enclosure(value):
        lo, hi = enclosure_ends(value)
        low, high = decimal(lo, digits), decimal(hi, digits)
        return low if low == high else f"[{decimal(lo, 3, 'down')}, {decimal(hi, 3, 'up')}]"
    text = decimal(value, digits, rounding)
    if huge_decimal(text):  # e^-(10^5000): its exponent to the digits, not 5,000 figures
        return f"{'-' if text.startswith('-') else ''}10^({decimal(log10_abs(value), digits)})"
    return text


def interval_ends(value, digits: int) -> tuple[str, str]:
    """An enclosure's ends as decimals, lo rounded down and hi up: the printed interval
    still contains the true value."""
    lo, hi = enclosure_ends(value)
    return decimal(lo, digits, "down"), decimal(hi, digits, "up")


def is_enclosure(value) -> bool:
    """Whether ``value`` is a certified enclosure: an MPFR interval or an Arb ball."""
    return isinstance(value, (Interval, arb))


def enclosure_ends(value) -> tuple:
    """An enclosure's ends, exactly: an interval's MPFR ends; a ball's lower and upper ends
    (rounded outwards by Arb to its midpoint's bits and 64 more) as MPFR numbers, or as
    mpmath's beyond MPFR's exponent range, every bit kept; (-inf, inf) for a ball that is
    not finite."""
    if isinstance(value, Interval):
        return value.lo, value.hi
    if not value.is_finite():
        return gmpy2.mpfr("-inf"), gmpy2.mpfr("inf")
    bits = abs(int(value.mid().man_exp()[0])).bit_length() + 64
    with _flint_precision(bits):
        return tuple(exact_binary(*end.mid().man_exp()) for end in (value.lower(), value.upper()))


def exact_binary(mantissa, exponent, wide: bool = False):
    """mantissa · 2^exponent exactly: an MPFR number of the mantissa's bits, or mpmath's
    (``wide``, or beyond MPFR's exponent range)."""
    mantissa, exponent = int(mantissa), int(exponent)
    if not mantissa:
        return mpmath.mpf(0) if wide else gmpy2.mpfr(0)
    bits = abs(mantissa).bit_length()
    if wide or abs(exponent) + bits >= MPFR_EXPONENT:
        with mpmath.workprec(max(53, bits)):
            return mpmath.mpf((mantissa, exponent))
    with gmpy2.context(precision=max(2, bits), emax=gmpy2.get_emax_max(), emin=gmpy2.get_emin_min()):
        return gmpy2.mul_2exp(gmpy2.mpfr(mantissa), exponent)


def relative_width(value):
    """An enclosure's width over its least magnitude, (hi - lo) / min |x|, rounded up: 0 for
    an exact value, inf for one that reaches across 0."""
    if isinstance(value, Interval):
        return value.relative_width()
    if value.is_exact():
        return gmpy2.mpfr(0)
    with _flint_precision(_LOG_BITS):
        least = value.abs_lower()  # (rounded down, at these bits)
        if not value.is_finite() or least.is_zero():
            return gmpy2.mpfr("inf")
        return exact_binary(*((2 * value.rad()) / least).upper().mid().man_exp())


def _styled(scientific: str, digits: int) -> str:
    """A d.ddd…e±E text (format's, mpmath's) as ``decimal`` writes it."""
    if "e" not in scientific:  # inf, nan, or mpmath's exact zero "0.0"
        return {"inf": "inf", "-inf": "-inf", "+inf": "inf"}.get(scientific, scientific)
    mantissa, exponent = scientific.split("e")
    # (its digits can pass Python's 4,300 (x = e^-(10^5000)); int for the usual few)
    exponent = int(exponent) if len(exponent) < 19 else gmpy2.mpz(exponent)
    figures = mantissa.lstrip("+").replace(".", "")
    if not figures.strip("-0"):
        return "0.0"
    return _placed(figures, exponent, digits)


def _placed(figures: str, exponent, digits: int) -> str:
    """The value ±f.fff…·10^exponent, its figures (a leading "-" for a negative, the first
    figure not 0), in fixed notation for exponents from -4 to min(digits, 16) - 1, else
    scientific; trailing zeros dropped."""
    sign = ""
    if figures[0] == "-":
        sign, figures = "-", figures[1:]
    if -4 <= exponent < digits and exponent < FIXED_UP_TO:
        if exponent >= 0:
            point = exponent + 1
            return f"{sign}{figures[:point].ljust(point, '0')}.{figures[point:].rstrip('0') or '0'}"
        return f"{sign}0.{'0' * (-exponent - 1)}{figures.rstrip('0')}"
    fraction = figures[1:].rstrip("0")
    return f"{sign}{figures[0]}{'.' if fraction else ''}{fraction}e{'+' if exponent >= 0 else ''}{exponent}"


def log10_abs(value):
    """log10|value| in the value's own kind: -inf for 0, None for None. For an interval,
    an interval that contains log10 of every |x| in it."""
    if type(value) is not _MPFR:  # (the usual case, a layer's MPFR value, tests no kinds)
        if value is None:
            return None
        if isinstance(value, Interval):
            magnitude = abs(value)
            r = value.rounding
            low = gmpy2.mpfr("-inf") if magnitude.lo == 0 else r.down.log10(magnitude.lo)
            return Interval(low, r.up.log10(magnitude.hi), r)
        if isinstance(value, arb):
            return _ball_log10(value)
        if isinstance(value, mpmath.mpf):
            with mpmath.workprec(_LOG_BITS):
                return mpmath.log10(abs(value)) if value else mpmath.mpf("-inf")
        if isinstance(value, _MPQ):  # (near 1, the bits |x| - 1 cancels more)
            near_one = value.denominator.bit_length() - abs(value.numerator -
                                                            value.denominator).bit_length()
            value = gmpy2.mpfr(value, _LOG_BITS + 64 + max(0, near_one))
    # log10 of |x| exactly (MPFR rounds log10 of its exact argument: near 1, where log10 is
    # small, its figures rest on x's last bits), rounded to _LOG_BITS in the current
    # context (MPFR: log10(0) = -inf); the context's own methods, not a with-block's
    context = gmpy2.context(gmpy2.get_context(), precision=_LOG_BITS)
    return context.log10(_magnitude(value))


def _magnitude(value: gmpy2.mpfr) -> gmpy2.mpfr:
    """|value|, exactly (at its own precision)."""
    if value >= 0 or gmpy2.is_nan(value):
        return value
    return gmpy2.context(gmpy2.get_context(), precision=value.precision).minus(value)


_FIRST_LOG_BITS = 64
_NEAREST = gmpy2.RoundToNearest
with gmpy2.context(precision=128):
    _INVERSE_LN10 = 1 / gmpy2.log(10)  # 1/ln 10 to 128 bits


def log10_decimal(value, digits: int) -> str | None:
    """``decimal(log10_abs(value), digits)``, the same text, faster for an MPFR number
    (up to 15 digits): log10 at _LOG_BITS costs three times ln at 64 bits. So first
    y64 = ln|x| · (1/ln 10) at 64 bits, whose relative error is at most 2^-63 (two
    roundings), 1.08·10^-4 of a unit of the 15th digit; written to 4 figures more than
    asked (half a unit of the last more), it is within 1.6·10^-4 units of the value log10
    gives at _LOG_BITS. Unless those 4 figures lie within 2 of a half unit (5000), no
    rounding boundary lies between the two, and both round alike; otherwise (about 1 in
    2,000) log10 is taken at _LOG_BITS."""
    current = gmpy2.get_context()
    if type(value) is _MPFR and 1 <= digits <= 15 and value.is_regular() and \
            current.round == _NEAREST:
        magnitude = _magnitude(value)  # exactly, as log10_abs takes it
        context = gmpy2.context(current, precision=_FIRST_LOG_BITS)
        first = context.mul(context.log(magnitude), _INVERSE_LN10)
        if first.is_regular():  # (log10 1 = 0)
            figures, tens, _ = first.digits(10, digits + 4)
            tail, figures = figures[-4:], figures[:-4]  # (4 figures: compared as text)
            if not "4998" <= tail <= "5002":
                if tail > "5000":  # rounded away from 0
                    head = int(figures)
                    figures = str(head + 1 if head > 0 else head - 1)
                    if len(figures) > digits + (head < 0):  # up to the next power of ten
                        figures, tens = figures[:-1], tens + 1
                return _placed(figures, tens - 1, digits)
    return decimal(log10_abs(value), digits)


def _ball_log10(value: arb) -> Interval:
    """log10|x| over a ball, as an MPFR interval (the logarithm of a value beyond MPFR's
    range is within it): its ends from Arb's log10 of the ball's least and largest
    magnitudes, exact dyadics, each rounded outwards by Arb; -inf below where the ball
    reaches 0; (-inf, inf) for a ball that is not finite."""
    rounding = Rounding(_LOG_BITS)
    if not value.is_finite():
        return Interval(gmpy2.mpfr("-inf"), gmpy2.mpfr("inf"), rounding)
    with _flint_precision(_LOG_BITS + 16):
        ends = []
        for magnitude, down in ((value.abs_lower(), True), (value.abs_upper(), False)):
            if magnitude.is_zero():  # log10 0
                ends.append(gmpy2.mpfr("-inf"))
                continue
            logarithm = magnitude.log_base(10)
            end = exact_binary(*(logarithm.lower() if down else logarithm.upper()).mid().man_exp())
            ends.append((rounding.down if down else rounding.up).plus(end))
        low, high = ends
    return Interval(low, high, rounding)


def _flint_precision(bits: int):
    """FLINT's working precision for a scope (``balls.precision``; imported here late, as
    balls imports this module)."""
    from symgrad.numeric.balls import precision

    return precision(bits)


def to_mpmath(value) -> mpmath.mpf:
    """Any computed number as mpmath's: MPFR exactly (mantissa and exponent), an exact
    rational or a SymPy number rounded once at the current mpmath precision."""
    if isinstance(value, mpmath.mpf):
        return value
    if isinstance(value, gmpy2.mpfr):
        mantissa, exponent = value.as_mantissa_exp()
        return mpmath.mpf((int(mantissa), int(exponent)))
    if isinstance(value, (_MPQ, sympy.Rational)):
        return mpmath.mpf(int(value.numerator)) / int(value.denominator)
    return mpmath.mpf(value)


def exact_rational(value):
    """A rational, an integer or a binary float (MPFR, mpmath) exactly as a gmpy2 mpq."""
    if isinstance(value, mpmath.mpf):
        sign, mantissa, exponent, _ = value._mpf_  # (mpmath's man_exp drops the sign)
        return gmpy2.mpq(-mantissa if sign else mantissa) * gmpy2.mpq(2) ** exponent
    if isinstance(value, gmpy2.mpfr):
        return gmpy2.mpq(value)
    return gmpy2.mpq(int(value.numerator), int(value.denominator))


def to_float(value) -> float:
    """A number as a Python float, for a chart's axis (magnitudes only)."""
    if isinstance(value, Interval):
        value = value.mid
    if isinstance(value, arb):
        value = value.mid()
    return float(value)  # an mpq too


# -- exact numbers, however long --------------------------------------------------------


def integer_parts(value) -> tuple[int, gmpy2.mpz, int]:
    """(sign, m, k) with value = sign · m · 10^k and m not divisible by 10 (0: (0, 0, 0))."""
    n = gmpy2.mpz(int(value))  # int → mpz is binary: no decimal conversion, no limit
    if n == 0:
        return 0, gmpy2.mpz(0), 0
    mantissa, tens = gmpy2.remove(abs(n), 10)
    return (1 if n > 0 else -1), mantissa, int(tens)


def exact_integer(value, style: str = "plain") -> tuple[str, bool]:
    """An integer of any length as (text, compound): its digits while they are at most
    SAFE_DIGITS long (as str() prints them); beyond, m·10^k (10^5000 as a power); an m
    itself longer than SAFE_DIGITS exactly as a sum of SAFE_DIGITS-digit pieces times
    powers of ten in ``plain`` style (SymPy reads it back exactly), and in ``text`` and
    ``latex`` its first SHOWN_FIGURES figures with an ellipsis for the rest
    (2.5000…·10^4999). ``compound``: the text is not a bare literal, so a printer puts it
    in parentheses inside a larger expression (a power's base, a denominator)."""
    n = gmpy2.mpz(int(value))
    if gmpy2.num_digits(abs(n)) <= SAFE_DIGITS:  # num_digits may say one more: still safe
        return n.digits(), False
    sign, mantissa, tens = integer_parts(n)
    minus = "-" if sign < 0 else ""
    figures = mantissa.digits()
    power = {"plain": f"10**{tens}", "text": f"10^{tens}", "latex": f"10^{{{tens}}}"}[style]
    times = {"plain": "*", "text": "·", "latex": r" \cdot "}[style]
    if len(figures) <= SAFE_DIGITS:
        body = power if figures == "1" else f"{figures}{times}{power}" if tens else figures
        return minus + body, True
    if style != "plain":  # an exact value too long to read: its leading figures, marked cut
        ellipsis = r"\ldots" if style == "latex" else "…"
        tens += len(figures) - 1
        power = {"text": f"10^{tens}", "latex": f"10^{{{tens}}}"}[style]
        return f"{minus}{figures[0]}.{figures[1:SHOWN_FIGURES]}{ellipsis}{times}{power}", True
    terms = []
    for end in range(len(figures), 0, -SAFE_DIGITS):
        piece = figures[max(0, end - SAFE_DIGITS):end].lstrip("0")
        shift = len(figures) - end + tens + len(piece) - len(piece.rstrip("0"))
        piece = piece.rstrip("0")
        if piece:
            terms.append(f"{piece}*10**{shift}" if shift else piece)
    return f"{minus}({' + '.join(reversed(terms))})", True


def exact_text(value, style: str = "plain") -> str:
    """An exact rational (SymPy, Fraction, gmpy2, int) as text in ``style`` (``plain``:
    SymPy-parsable, ``text``: Unicode, ``latex``), however long its digits: see
    ``exact_integer``. Numbers of ordinary length print as str() prints them."""
    numerator, denominator = int(value.numerator) if hasattr(value, "numerator") else \
        int(value), int(getattr(value, "denominator", 1))
    top, top_compound = exact_integer(numerator, style)
    if denominator == 1:
        return top
    bottom, bottom_compound = exact_integer(denominator, style)
    if style == "latex":
        sign, top = ("- ", top[1:]) if top.startswith("-") else ("", top)
        return rf"{sign}\frac{{{top}}}{{{bottom}}}"
    if bottom_compound and not bottom.startswith("(") and any(t in bottom for t in "*·"):
        bottom = f"({bottom})"  # 1/(25*10**4998); 1/10**5000 needs none
    return f"{top}/{bottom}"


def exact_words(value) -> str:
    """A number for prose and table cells: an exact rational by ``exact_text`` in text style
    (10^5000, not a ValueError), a Python int likewise, anything else as SymPy's str."""
    if isinstance(value, (int, _MPQ, gmpy2.mpz)) and not isinstance(value, bool) or \
            isinstance(value, sympy.Rational):
        return exact_text(value, "text")
    return sympy.sstr(value)
