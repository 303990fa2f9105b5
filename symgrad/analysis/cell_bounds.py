"""``symgrad bounds --cell``: how much a recurrent cell can shrink or grow the gradient
through time, for every state it can reach, at the given parameters and inputs.

Step t carries the gradient back by J_tᵀ (``layers.step``), so for every run from s_0

    ∏_t σ_min(J_t) ≤ ‖∂C/∂s_0‖ / ‖∂C/∂s_T‖ ≤ ∏_t ‖J_t‖,

and the carousel's product ∏ f_t (GRU: ∏ z_t) lies between the products of its gate's least
and greatest values. Each step is bounded over every state it can start from, and every
input in the range:

- step 1 starts from s_0 itself;
- every later step from a box holding every state the cell reaches. Such a box is found by
  widening: B = {s_0} ∪ step(s_0), grown until step(B) ⊆ B (then every s_t lies in B), then
  narrowed, B ← {s_0} ∪ step(B), which still holds every s_t. Where the kind's definition
  proves a state's range (``CellKind.state_range``: a GRU's h_t lies between h_{t-1} and
  [-1, 1]) every image is cut to it, which intervals alone cannot prove.

The inputs are a range, not one sequence: the bounds hold for every input sequence whose
x_t lie between the least and the greatest input given (a sequence given in full fixes one
run, whose own numbers ``eval`` gives).

The box and the input range are cut into pieces (PIECES per dimension); on each the step's
quantities, J_t, ‖J_t‖ (its largest singular value) and σ_min(J_t) are evaluated in
certified interval arithmetic (``numeric.interval``, the same compiled step ``eval
--interval`` uses), so every bound holds; a piece's width is what the bounds may lose. A
piece on which an rnn's σ has a kink is halved (BISECTIONS times), and past that takes σ''s
whole range, [inf σ', sup σ'], which for a piecewise-linear σ is exact.

Interval arithmetic is used here, not ``box_range``'s exact polynomial range: the cells'
Jacobians hold tanh(c_t) and norms, which are not polynomials, and the quantities depend on
the state together (c_t = f_t c_{t-1} + i_t g_t), which cutting the state box keeps.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import gmpy2
import mpmath
import sympy

from symgrad.analysis.bounds import ProductBounds, derivative_range
from symgrad.errors import SymgradError
from symgrad.networks import RecurrentNet
from symgrad.notation import step_symbol
from symgrad.numeric.interval import Interval
from symgrad.numeric.recurrent import CellPoint, CompiledStep, number_namespace, spectral_norm

PIECES = {0: 1, 1: 64, 2: 24, 3: 8}  # pieces per dimension, by how many (states, input) vary
BISECTIONS = 5  # a piece the intervals cannot decide (a kink of σ) is halved this often
WIDENINGS = 200  # rounds of growing the box before the states count as unbounded
LARGEST_STATE = gmpy2.mpfr(2) ** 40  # a box past this counts as unbounded
GROWTH = 1.25  # a box that does not yet hold its own image grows its radius this many times
NARROWINGS = 12  # rounds of narrowing the box on the fine pieces
COARSE = {0: 1, 1: 16, 2: 8, 3: 5}  # pieces per dimension while the box narrows
COARSE_ROUNDS = 30
GUARD_DIGITS = 15


@dataclass(frozen=True)
class StepBound:
    """What one step can do to the gradient, over every state it can start from."""

    norm: mpmath.mpf  # ‖J_t‖ ≤ norm
    least: mpmath.mpf  # σ_min(J_t) ≥ least
    gates: tuple[tuple[str, mpmath.mpf, mpmath.mpf], ...]  # each gate's least and greatest value
    whole_range: bool = False  # an rnn piece past BISECTIONS took σ''s whole range

    def gate(self, name: str) -> tuple[mpmath.mpf, mpmath.mpf]:
        found = {gate: (low, high) for gate, low, high in self.gates}
        return found[name]


@dataclass(frozen=True)
class CellBounds(ProductBounds):
    """The bounds on ‖∂C/∂s_0‖ / ‖∂C/∂s_T‖ and on the carousel's product, and what they mean."""

    net: RecurrentNet
    point: CellPoint
    dps: int
    inputs: tuple[sympy.Rational, sympy.Rational]  # every x_t lies between these
    box: tuple[tuple[str, mpmath.mpf, mpmath.mpf], ...] | None  # s_1, s_2, ... (None: unbounded)
    bounds: tuple[StepBound, ...]  # step 1's, then (T > 1) every later step's
    upper: mpmath.mpf  # ∏ ‖J_t‖ bounds
    lower: mpmath.mpf  # ∏ σ_min(J_t) bounds
    carousel: tuple[mpmath.mpf, mpmath.mpf] | None  # ∏ gate_t between these (None: no carousel)

    @property
    def steps(self) -> int:
        return len(self.point.inputs)

    @property
    def regime(self) -> str:
        """vanishing (∏ ‖J_t‖ < 1), exploding (∏ σ_min > 1), or mixed."""
        if self.upper < 1:
            return "vanishing"
        if self.lower > 1:
            return "exploding"
        return "mixed"


def cell_bounds(net: RecurrentNet, point: CellPoint, dps: int,
                inputs: tuple[sympy.Rational, sympy.Rational]) -> CellBounds:
    """The bounds of ``net`` from ``point``'s parameters and initial state, over its steps
    and every input sequence whose inputs lie between ``inputs``' ends. The point's inputs
    and target play no part (the target only scales ∂C/∂s_T)."""
    with mpmath.workdps(dps + GUARD_DIGITS):
        stepper = _Stepper(net, point, dps + GUARD_DIGITS)
        box = stepper.reach(inputs)
        later = None if box is None else stepper.image(box, inputs)  # (s_1, s_2, ...)
        bounds = [stepper.bound(stepper.start, inputs)]
        if point.inputs[1:]:
            bounds.append(stepper.bound(later, inputs))
        counts = (1, len(point.inputs) - 1)
        upper = _power_product([b.norm for b in bounds], counts, up=True)
        lower = _power_product([b.least for b in bounds], counts, up=False)
        carousel = None
        gate = net.cell.carousel_gate
        if gate is not None:
            carousel = tuple(_power_product([b.gate(gate)[end] for b in bounds], counts, up=end)
                             for end in (0, 1))
        shown_box = None if later is None else tuple(
            (name, _mpf(low), _mpf(high)) for name, (low, high) in zip(net.cell.state, later))
        return CellBounds(net, point, dps, inputs, shown_box, tuple(bounds), upper, lower,
                          carousel)


def _power_product(factors: list, counts: tuple, up: bool) -> mpmath.mpf:
    """∏ factor^count rounded up (``up``) or down: mpmath's interval arithmetic, whose every
    operation rounds outward, at the working digits."""
    iv, saved = mpmath.iv, mpmath.iv.prec
    iv.prec = mpmath.mp.prec
    try:
        product = iv.mpf(1)
        for factor, count in zip(factors, counts):
            product *= iv.mpf(factor) ** count
        return mpmath.mpf(product.b if up else product.a)
    finally:
        iv.prec = saved


@dataclass
class _Piece:
    """One piece's enclosures: the state after the step, ‖J‖'s upper end, σ_min's lower end,
    each gate's value."""

    after: list[Interval]
    norm: gmpy2.mpfr
    least: gmpy2.mpfr
    gates: dict[str, Interval]
    whole_range: bool = False  # σ''s whole range, not the piece's


class _Stepper:
    """The cell's step compiled for intervals at the working digits, run over pieces of a
    box of states."""

    def __init__(self, net: RecurrentNet, point: CellPoint, digits: int):
        self.net, self.kind = net, net.cell
        modules, number = number_namespace("interval", digits)
        self.number = number
        self.rounding = number(0).rounding
        self.step = CompiledStep(net, modules)
        self.parameters = [number(value) for _, value in point.parameters]
        self.weights = dict(point.parameters)
        self._fallback = None  # (an rnn's bounds where σ has a kink in the piece)
        self.start = [(s.lo, s.hi) for s in (number(value) for _, value in point.initial)]
        self.derivative = None if net.activation is None else \
            derivative_range(net.activation, mpmath.mp.dps)

    def _interval(self, low, high) -> Interval:
        low = low.lo if isinstance(low, Interval) else low
        high = high.hi if isinstance(high, Interval) else high
        return Interval(low, high, self.rounding)

    def _inputs(self, inputs: tuple) -> tuple:
        """The inputs' range as mpfr ends, rounded outward."""
        low, high = inputs
        return self.number(low).lo, self.number(high).hi

    # --- one piece ----------------------------------------------------------------------

    def _frame(self, state: list[Interval], x: Interval) -> list:
        """The compiled step's arguments: the state before, the input, the parameters, and a
        slot for each quantity."""
        return list(state) + [x] + self.parameters + [None] * len(self.step.forward)

    def _piece(self, state: list[Interval], x: Interval, jacobian: bool = True) -> _Piece:
        """The piece's enclosures; without ``jacobian`` only the state after the step (a box's
        image needs no more)."""
        step = self.step
        frame = self._frame(state, x)
        for slot, function in step.forward:
            frame[slot] = function(*frame)
        after = [self._as_interval(frame[step.slot[step_symbol(s, 1)]]) for s in self.kind.state]
        if not jacobian:
            return _Piece(after, gmpy2.mpfr(0), gmpy2.mpfr(0), {})
        matrix = [[self._as_interval(entry(*frame)) for entry in row] for row in step.jacobian]
        norm = self._as_interval(spectral_norm(matrix))
        gates = {gate: self._as_interval(frame[step.slot[step_symbol(gate, 1)]])
                 for gate in self.kind.gates}
        return _Piece(after, norm.hi, self._least(matrix, norm), gates)

    def _as_interval(self, value) -> Interval:
        if isinstance(value, Interval):
            return value
        return self.number(sympy.Rational(value))  # (an entry that is a constant: 0, 1)

    def _least(self, jacobian, norm: Interval) -> gmpy2.mpfr:
        """A lower end of σ_min(J): |J| for a 1×1 J, |det J| / ‖J‖ for a 2×2."""
        if len(jacobian) == 1:
            return abs(jacobian[0][0]).lo
        (a, b), (c, d) = jacobian
        determinant = abs(a * d - b * c)
        if norm.lo <= 0:
            return gmpy2.mpfr(0)
        return (determinant / norm).lo

    def _whole_range(self, state: list[Interval] | None, x: Interval) -> _Piece:
        """An rnn piece the intervals could not decide (a kink of σ in its z_t): J = w σ'(z)
        over σ''s whole range; h = σ(z) within sup|σ'| times z's width of σ at z's lower
        end (σ continuous), inside σ's range. Every number an enclosure, rounded outward."""
        if self._fallback is None:
            derivative = self.derivative
            slopes = self._enclosure(derivative.low).lo, self._enclosure(derivative.high).hi
            gain = abs(self.number(self.weights["w"]) * self._interval(*slopes))
            low, high = self.net.activation.value_range
            self._fallback = (gain, self._enclosure(derivative.abs_sup),
                              self._interval(self._end(low, down=True), self._end(high, down=False)))
        gain, slope, values = self._fallback
        return _Piece([self._activated(state, x, slope, values)], gain.hi, gain.lo, {},
                      whole_range=True)

    def _enclosure(self, value: sympy.Expr) -> Interval:
        """An interval holding a SymPy number (σ''s extremes, exact or refined)."""
        if value.is_Rational:
            return self.number(value)
        digits = mpmath.mp.dps + 10
        near = self.number(sympy.Rational(str(sympy.N(value, digits))))
        margin = abs(near) * self.number(sympy.Rational(1, 10 ** (digits - 5)))
        return near + self._interval(-margin.hi, margin.hi)

    def _activated(self, state: list[Interval] | None, x: Interval, slope: Interval,
                   values: Interval) -> Interval:
        """h_t = σ(z_t) of an rnn over a piece of states (None: every state)."""
        if state is None or self.net.activation.jumps:
            return values
        step = self.step
        frame = self._frame(state, x)
        z_slot, z = step.forward[0]  # (an rnn's z_t, then h_t = σ(z_t))
        preactivation = self._as_interval(z(*frame))
        frame[z_slot] = self._interval(preactivation.lo, preactivation.lo)
        at_low = self._as_interval(step.forward[1][1](*frame))
        spread = self._interval(preactivation.hi, preactivation.hi) - \
            self._interval(preactivation.lo, preactivation.lo)
        change = (spread * slope).hi
        near = at_low + self._interval(-change, change)
        return self._interval(max(near.lo, values.lo), min(near.hi, values.hi))

    def _end(self, value: sympy.Expr, down: bool) -> gmpy2.mpfr:
        """An end of σ's range, rounded outward (±inf where σ is unbounded)."""
        if value.is_infinite:
            return gmpy2.mpfr("-inf" if down else "inf")
        enclosure = self._enclosure(value)
        return enclosure.lo if down else enclosure.hi

    def _pieces(self, box: list[tuple], inputs: tuple, depth: int = 0, count: dict | None = None,
                jacobian: bool = True):
        """Every piece's enclosures over ``box`` ([(low, high)] per state, mpfr ends) and the
        inputs between ``inputs``' ends (mpfr): both are cut, so that what a step's
        quantities share (an input, a state) is shared within each piece."""
        sides = [*box, inputs]
        if not depth:
            count = (count or PIECES)[sum(low != high for low, high in sides)]
        edges = [_edges(low, high, count if not depth else 1) for low, high in sides]
        for cell in itertools.product(*[list(zip(e, e[1:])) for e in edges]):
            *state, x = [self._interval(low, high) for low, high in cell]
            try:
                yield self._piece(state, x, jacobian)
            except SymgradError:
                if depth >= BISECTIONS:
                    if self.kind.uses_activation:
                        yield self._whole_range(state, x)
                        continue
                    raise SymgradError(f"The {self.kind.name} cell's step could not be bounded "
                                       "over its states.") from None
                halves = [_edges(low, high, 2) for low, high in cell]
                for *part, given in itertools.product(*[list(zip(e, e[1:])) for e in halves]):
                    yield from self._pieces(list(part), given, depth + 1, jacobian=jacobian)

    # --- a box's image, and the bound of a step ---------------------------------------

    def image(self, box: list[tuple], inputs: tuple, pieces: dict | None = None) -> list[tuple]:
        """The box holding step(box) for every input between ``inputs``' ends (the box cut
        as ``pieces`` says, default PIECES)."""
        found = None
        for piece in self._pieces(box, self._inputs(inputs), count=pieces, jacobian=False):
            ends = [(s.lo, s.hi) for s in piece.after]
            found = ends if found is None else _hull(found, ends)
        return [self._within_range(name, side, image)
                for name, side, image in zip(self.kind.state, self.start, found)]

    def _within_range(self, name: str, start: tuple, image: tuple) -> tuple:
        """A state's image cut to what the kind's definition proves (``state_range``): each
        s_t lies between s_{t-1} and the range, so every one between s_0 and the range."""
        if name not in self.kind.state_range:
            return image
        low, high = self.kind.state_range[name]
        return max(image[0], min(start[0], low)), min(image[1], max(start[1], high))

    def reach(self, inputs: tuple) -> list[tuple] | None:
        """A box holding every state s_1, s_2, ... (and s_0), or None if none is found.
        (step(box) holds s_1, s_2, ...: the states later steps start from.)"""
        box = _hull(self.start, self.image(self.start, inputs))
        for _ in range(WIDENINGS):
            if not all(abs(end) <= LARGEST_STATE for side in box for end in side):
                return None
            image = self.image(box, inputs)
            if _inside(image, box):
                break
            box = [side if _inside([new], [side]) else _grown(_hull([side], [new])[0])
                   for side, new in zip(box, image)]  # (only where the image leaves it)
        else:
            return None
        return self._narrowed(box, inputs)

    def _narrowed(self, box: list[tuple], inputs: tuple) -> list[tuple]:
        """A box still holding every state, narrowed: {s_0} ∪ step(B) holds them whenever B
        does, however coarsely step(B) is enclosed. An end moves towards its limit by about
        a fixed ratio a round (an LSTM's c_t by f_t: 0.98 takes hundreds of rounds), so the
        rounds run on COARSE pieces, each round's limit is guessed as a geometric series'
        and kept where it is a box holding s_0 and its own image; a few rounds on the fine
        pieces finish."""
        point, rounds = self.start, [box]
        for _ in range(COARSE_ROUNDS):
            narrower = _hull(point, self.image(rounds[-1], inputs, COARSE))
            if _settled(rounds[-1], narrower):
                break
            rounds.append(narrower)
            guess = _limit(*rounds[-3:]) if len(rounds) >= 3 else None
            if guess is not None and _inside(point, guess) and \
                    _inside(self.image(guess, inputs, COARSE), guess):
                rounds.append(guess)
        box = rounds[-1]
        for _ in range(NARROWINGS):
            narrower = _hull(point, self.image(box, inputs))
            if _settled(box, narrower):
                return narrower
            box = narrower
        return box

    def bound(self, box: list[tuple] | None, inputs: tuple) -> StepBound:
        x = self._inputs(inputs)
        if box is None:  # (states unbounded: only an rnn gets here, as its σ is unbounded)
            if not self.kind.uses_activation:
                raise SymgradError(f"No box of states within ±2^40 holds the {self.kind.name} "
                                   "cell's states at these parameters (a gate this near 1 lets "
                                   "them grow step after step), so its steps cannot be bounded; "
                                   "symgrad eval --cell gives one run's values.")
            pieces = [self._whole_range(None, self._interval(*x))]
        else:
            pieces = list(self._pieces(box, x))
        norm = max(p.norm for p in pieces)
        least = max(gmpy2.mpfr(0), min(p.least for p in pieces))
        gates = tuple((gate, _mpf(min(p.gates[gate].lo for p in pieces)),
                       _mpf(max(p.gates[gate].hi for p in pieces)))
                      for gate in self.kind.gates)  # (a whole-range piece is an rnn's: none)
        return StepBound(_mpf(norm), _mpf(least), gates, any(p.whole_range for p in pieces))


def _settled(before: list[tuple], after: list[tuple]) -> bool:
    """Whether a round of narrowing moved no end by more than 10^-12 of the box's size."""
    return all(abs(a[0] - b[0]) + abs(a[1] - b[1]) <= (abs(a[0]) + abs(a[1]) + 1) * gmpy2.mpfr(10) ** -12
               for a, b in zip(before, after))


def _limit(first: list[tuple], second: list[tuple], third: list[tuple]) -> list[tuple] | None:
    """Where each end of three rounds of narrowing is heading, a little widened; None where
    an end does not move by a steady ratio below 1."""
    guessed = []
    for a, b, c in zip(first, second, third):
        ends = []
        for e0, e1, e2, outward in ((a[0], b[0], c[0], -1), (a[1], b[1], c[1], 1)):
            step, following = e1 - e0, e2 - e1
            if step == 0 or following == 0:
                ends.append(e2)
                continue
            ratio = following / step
            if not 0 < ratio < 1:
                return None
            limit = e2 + following * ratio / (1 - ratio)
            ends.append(limit + outward * (abs(e2 - limit) * gmpy2.mpfr(2) ** -20
                                           + abs(limit) * gmpy2.mpfr(2) ** -40 + gmpy2.mpfr(2) ** -60))
        guessed.append(tuple(ends))
    return guessed


def _edges(low: gmpy2.mpfr, high: gmpy2.mpfr, count: int) -> list[gmpy2.mpfr]:
    """count + 1 ends from low to high: the pieces share their ends, so they cover the box."""
    if low == high:
        return [low, high]
    inner = [low + (high - low) * k / count for k in range(1, count)]
    return [low, *sorted(v for v in inner if low < v < high), high]


def _hull(a: list[tuple], b: list[tuple]) -> list[tuple]:
    return [(min(x[0], y[0]), max(x[1], y[1])) for x, y in zip(a, b)]


def _inside(inner: list[tuple], outer: list[tuple]) -> bool:
    return all(o[0] <= i[0] and i[1] <= o[1] for i, o in zip(inner, outer))


def _grown(side: tuple) -> tuple:
    low, high = side
    middle, radius = (low + high) / 2, (high - low) / 2
    radius = GROWTH * radius + gmpy2.mpfr(2) ** -20 * (1 + abs(middle))
    return middle - radius, middle + radius


def _mpf(value: gmpy2.mpfr) -> mpmath.mpf:
    """An MPFR number as mpmath's, exactly (both are binary)."""
    if gmpy2.is_infinite(value):
        return mpmath.inf if value > 0 else -mpmath.inf
    numerator, denominator = value.as_integer_ratio()
    return mpmath.ldexp(mpmath.mpf(numerator), -(denominator.bit_length() - 1))
