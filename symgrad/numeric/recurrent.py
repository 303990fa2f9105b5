"""A recurrent cell's forward pass and backpropagation through time, at any precision.

Compiled from the cell's one-step definition (``layers.step``): each quantity of the step
and each of its partial derivatives (``sympy.diff`` of that quantity's own expression) is
printed once by ``sympy.lambdify`` for the number kind (mpmath at the working digits, Arb
balls for certified enclosures, or MPFR intervals for the bounds over boxes of states).
The forward pass computes the quantities step by step; the backward pass walks them in
reverse (reverse-mode through each step), so that

    ∂C/∂s_{t-1} = J_tᵀ ∂C/∂s_t,   ∂C/∂θ = Σ_t (∂s_t/∂θ)ᵀ ∂C/∂s_t,

with ∂C/∂c_t the gradient with respect to the cell state carried into step t + 1, as the
derivation writes it. Each step also reports J_t's entries, its spectral norm ‖J_t‖ and
the carousel product ∏_{k=t+1}^{T} f_k (GRU: z_k).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import mpmath
import sympy
from flint import arb

from symgrad.derive.recurrent import at_step, concrete_form, t
from symgrad.errors import SymgradError
from symgrad.networks import RecurrentNet
from symgrad.notation import step_symbol
from symgrad.numeric import balls, interval
from symgrad.numeric.evaluate import (
    KINK_REFUSAL,
    MAX_INTERVAL_WORK,
    BallsCannotTell,
    Uncertified,
    chart_point,
    earned_in_balls,
)
from symgrad.numeric.interval import Interval
from symgrad.numeric.kinds import BITS_PER_DIGIT, digits_to_bits
from symgrad.numeric.precision import converged, guard_digits
from symgrad.numeric.real import log10_abs

MAX_CELL_DPS = 10_000
MAX_CELL_WORKING_DPS = 40_000
CELL_STEP_LAYERS = 20  # a step of a cell costs about as much as this many chain layers
PROGRESS_STEP = 100  # steps between two progress reports


@dataclass(frozen=True)
class CellPoint:
    """Where to evaluate, exactly: every parameter, the inputs x_1..x_T, the initial state
    (h_0, c_0) and the target y."""

    parameters: tuple[tuple[str, sympy.Rational], ...]  # (plain name, value), the kind's order
    inputs: tuple[sympy.Rational, ...]
    initial: tuple[tuple[str, sympy.Rational], ...]  # (h0, value), (c0, value)
    target: sympy.Rational


@dataclass(frozen=True)
class StepValues:
    """Step t's numbers: its quantities (gates and state), ∂C/∂s_t, J_t and the carousel."""

    t: int
    quantities: tuple[tuple[str, object], ...]  # (name, value) in the order computed
    state_gradients: tuple[tuple[str, object], ...]  # (h, ∂C/∂h_t), (c, ∂C/∂c_t)
    jacobian: tuple[tuple[object, ...], ...]  # J_t[i][j] = ∂s^i_t/∂s^j_{t-1}
    norm: object  # ‖J_t‖, the largest singular value
    carousel: object | None  # ∏_{k=t+1}^{T} gate_k (1 at t = T); None without a carousel

    def value(self, name: str):
        return dict(self.quantities)[name]


@dataclass(frozen=True)
class CellEvaluation:
    """``symgrad eval --cell``: every step's values and every parameter's gradient."""

    net: RecurrentNet
    point: CellPoint
    dps: int
    interval: bool
    steps: tuple[StepValues, ...]
    cost: object
    gradients: tuple[tuple[str, object], ...]  # (plain parameter name, ∂C/∂θ)
    initial_gradients: tuple[tuple[str, object], ...]  # (h0, ∂C/∂h_0), (c0, ∂C/∂c_0)
    uncertified: Uncertified | None = None  # why the values are two agreeing runs'

    def magnitudes(self, state: str = "h") -> tuple[float | None, ...]:
        """log10|∂C/∂state_t| for t = 1..T as floats for a chart; None where it is 0 (an
        enclosure reaching 0 at its upper end)."""
        values = (chart_point(log10_abs(dict(s.state_gradients)[state])) for s in self.steps)
        return tuple(v if math.isfinite(v) else None for v in values)

    def carousel_magnitudes(self) -> tuple[float | None, ...]:
        """log10 of the carousel product at each step (None where there is none or it is 0)."""
        values = (None if s.carousel is None else chart_point(log10_abs(s.carousel))
                  for s in self.steps)
        return tuple(v if v is not None and math.isfinite(v) else None for v in values)


def number_namespace(kind: str, working: int) -> tuple[list, Callable]:
    """What lambdified code calls, and how to make a number from an exact rational
    (``ball``: in ``balls.precision`` at the working digits' bits)."""
    if kind == "ball":
        with balls.precision(digits_to_bits(working)):
            functions = balls.namespace()
        functions["sigmoid"] = lambda v: 1 / (1 + (-balls.ball(v)).exp())
        return [functions, "mpmath"], lambda value: balls.ball(sympy.Rational(value))
    if kind == "interval":
        rounding = interval.Rounding(digits_to_bits(working))
        functions = interval.namespace(rounding)
        functions["sigmoid"] = lambda v: 1 / (1 + functions["exp"](-v))

        def number(value):
            value = sympy.Rational(value)
            return rounding.rational(int(value.p), int(value.q))

        return [functions, "mpmath"], number
    sigmoid = {"sigmoid": lambda v: 1 / (1 + mpmath.exp(-v))}
    return [sigmoid, "mpmath"], lambda value: mpmath.mpf(sympy.Rational(value).p) / sympy.Rational(value).q


class CompiledStep:
    """One step of ``net``'s cell, lambdified for a number kind: each quantity from the
    values before it, and each quantity's partials, all as functions of step 1's names."""

    def __init__(self, net: RecurrentNet, modules: list, printer=None):
        kind = net.cell
        general = kind.derivatives()
        self.names = kind.quantity_names()
        self.state = kind.state
        quantities = [(at_step(s, 1), concrete_form(net, at_step(e, 1))) for s, e in kind.quantities(t)]
        self.args = ([step_symbol(s, 0) for s in kind.state] + [step_symbol("x", 1)]
                     + list(kind.parameter_symbols) + [symbol for symbol, _ in quantities])
        self.slot = {symbol: n for n, symbol in enumerate(self.args)}

        def compiled(expr):  # (balls: comparisons answered only when certain)
            return sympy.lambdify(self.args, expr, modules, printer=printer)

        self.forward = [(self.slot[symbol], compiled(expr)) for symbol, expr in quantities]
        self.partials = []  # per quantity: [(slot of the argument, its partial)]
        for _, expr in quantities:
            self.partials.append([
                (self.slot[argument], compiled(concrete_form(net, sympy.diff(expr, argument))))
                for argument in sorted(expr.free_symbols, key=str) if argument in self.slot])
        jacobian = general.jacobian.applyfunc(lambda e: concrete_form(net, at_step(e, 1)))
        self.jacobian = [[compiled(entry) for entry in jacobian.row(i)] for i in range(jacobian.rows)]
        self.carousel = None if kind.carousel_gate is None else \
            self.slot[step_symbol(kind.carousel_gate, 1)]
        self.first_quantity = len(self.args) - len(quantities)
        self.parameters = range(len(kind.state) + 1, self.first_quantity)


def run_cell(net: RecurrentNet, point: CellPoint, number_kind: str, working: int,
             progress: Callable[[int], None] | None = None):
    """One forward and backward pass at ``working`` digits in mpmath, balls or intervals:
    (steps, cost, gradients, initial gradients)."""
    modules, number = number_namespace(number_kind, working)
    if number_kind != "ball":
        return _run_cell(net, point, CompiledStep(net, modules), number, progress)
    with balls.precision(digits_to_bits(working)):
        step = CompiledStep(net, modules, balls.printer(modules[0]))
        return _run_cell(net, point, step, number, progress)  # (a kink: StraddleError)


def _run_cell(net: RecurrentNet, point: CellPoint, step: CompiledStep, number: Callable,
              progress: Callable[[int], None] | None):
    n_state = len(step.state)
    parameters = [number(v) for _, v in point.parameters]
    state = [number(v) for _, v in point.initial]
    frames = []  # every step's argument values
    for index, x in enumerate(point.inputs):
        frame = state + [number(x)] + parameters + [None] * len(step.forward)
        for slot, function in step.forward:
            frame[slot] = function(*frame)
        frames.append(frame)
        state = [frame[step.slot[step_symbol(s, 1)]] for s in step.state]
        _tell(progress, index, len(point.inputs))
    h_last = state[0]
    target = number(point.target)
    difference = h_last - target
    # (Arb's x**2 goes through log x: nan for a ball about 0)
    cost = (difference * difference if isinstance(difference, arb) else difference ** 2) / 2
    carried = [h_last - target] + [0 * h_last] * (n_state - 1)  # ∂C/∂s_T
    gradients = [0 * h_last for _ in parameters]
    records = [None] * len(frames)
    carousel = 1 + 0 * h_last
    state_slots = [step.slot[step_symbol(s, 1)] for s in step.state]
    for index in range(len(frames) - 1, -1, -1):
        frame = frames[index]
        adjoint = [None] * len(frame)
        for s, slot in enumerate(state_slots):
            adjoint[slot] = carried[s]
        for q in range(len(step.forward) - 1, -1, -1):
            slot = step.first_quantity + q
            bar = adjoint[slot]
            if bar is None:
                continue
            for argument, partial in step.partials[q]:
                contribution = bar * partial(*frame)
                adjoint[argument] = contribution if adjoint[argument] is None else \
                    adjoint[argument] + contribution
        jacobian = tuple(tuple(entry(*frame) for entry in row) for row in step.jacobian)
        records[index] = StepValues(
            t=index + 1,
            quantities=tuple((name, frame[step.first_quantity + q]) for q, name in enumerate(step.names)),
            state_gradients=tuple(zip(step.state, carried, strict=True)),
            jacobian=jacobian,
            norm=spectral_norm(jacobian),
            carousel=None if step.carousel is None else carousel,
        )
        if step.carousel is not None:
            carousel = carousel * frame[step.carousel]
        for p, slot in enumerate(step.parameters):
            if adjoint[slot] is not None:
                gradients[p] = gradients[p] + adjoint[slot]
        carried = [0 * h_last if adjoint[s] is None else adjoint[s] for s in range(n_state)]
        _tell(progress, len(frames) - 1 - index, len(frames))
    names = [name for name, _ in point.parameters]
    initial = tuple((f"{s}0", value) for s, value in zip(step.state, carried, strict=True))
    return tuple(records), cost, tuple(zip(names, gradients, strict=True)), initial


def _tell(progress, index: int, steps: int) -> None:
    """Tell ``progress`` of every PROGRESS_STEP steps done, and of the last few."""
    if progress is not None and ((index + 1) % PROGRESS_STEP == 0 or index + 1 == steps):
        progress((index % PROGRESS_STEP) + 1)


def spectral_norm(matrix: Sequence[Sequence]):
    """The largest singular value of a 1×1 or 2×2 matrix (numbers or intervals)."""
    if len(matrix) == 1:
        return abs(matrix[0][0])
    (a, b), (c, d) = matrix
    frobenius = a * a + b * b + c * c + d * d
    determinant = a * d - b * c
    discriminant = _at_least_zero(frobenius * frobenius - 4 * determinant * determinant)
    return _sqrt((frobenius + _sqrt(discriminant)) / 2)


def _at_least_zero(value):
    """max(value, 0) of a value known to be ≥ 0 that rounding may put below."""
    if isinstance(value, Interval):
        zero = value.rounding.rational(0)
        return Interval(max(value.lo, zero.lo), max(value.hi, zero.hi), value.rounding)
    if isinstance(value, arb):
        return value.nonnegative_part()
    return max(value, 0 * value)


def _sqrt(value):
    if isinstance(value, Interval):
        r = value.rounding
        return Interval(r.down.sqrt(value.lo), r.up.sqrt(value.hi), r)
    if isinstance(value, arb):
        return value.sqrt()
    return mpmath.sqrt(value)


def shown_values(steps, cost, gradients, initial) -> list:
    """Every number a renderer shows, in one order, for comparing two runs."""
    values = [cost, *(g for _, g in gradients), *(g for _, g in initial)]
    for record in steps:
        values += [v for _, v in record.quantities] + [g for _, g in record.state_gradients]
        values += [entry for row in record.jacobian for entry in row] + [record.norm]
        if record.carousel is not None:
            values.append(record.carousel)
    return values


def evaluate_cell(net: RecurrentNet, point: CellPoint, dps: int = 50,
                  certified: bool = False,
                  progress: Callable[[int], None] | None = None) -> CellEvaluation:
    """Every step's values and every parameter's gradient, right to ``dps`` digits, or as
    certified enclosures with ``certified``. Right to ``dps`` digits: in balls, each value
    earned by its radius (one run, more bits if it lost some), or where balls cannot
    tell within the working digits allowed (a kink straddled), by two runs at rising
    working digits that agree (``uncertified`` says why)."""
    steps = len(point.inputs)
    working = dps + guard_digits(steps)

    def compute(digits: int):
        with mpmath.workdps(digits):
            result = run_cell(net, point, "mpmath", digits, progress)
        return result, shown_values(*result)

    def certify(digits: int):  # enclosures of the same values: a 0 is settled only if proved
        with mpmath.workdps(digits):
            return shown_values(*run_cell(net, point, "interval", digits))

    uncertified = None
    if certified:
        result = _certified(net, point, dps, working, progress)
    else:
        try:
            result = _midpoints(*_earned(net, point, dps, working, progress))
        except BallsCannotTell as cannot:
            uncertified = cannot.why
            with uncertified.refused():
                result = converged(compute, dps, working, MAX_CELL_WORKING_DPS,
                                   f"The {net.cell.name} cell's values", certify=certify)
    records, cost, gradients, initial = result
    return CellEvaluation(net, point, dps, certified, records, cost, gradients, initial,
                          uncertified)


def _in_balls(net: RecurrentNet, point: CellPoint, working: int, progress):
    """One run in balls at ``working`` digits: (its result, the values it shows); None for
    both where a ball straddles a kink."""
    try:
        result = run_cell(net, point, "ball", working, progress)
    except balls.StraddleError:
        return None, None
    return result, shown_values(*result)


def _certified(net: RecurrentNet, point: CellPoint, dps: int, working: int, progress):
    """Enclosures whose every width is below 10^-dps of their size, the working digits
    doubled until they are."""
    while True:
        result, shown = _in_balls(net, point, working, progress)
        if result is None:
            raise SymgradError(KINK_REFUSAL)
        if all(balls.narrow(v, dps) for v in shown):
            return result
        if working >= MAX_CELL_WORKING_DPS:
            raise SymgradError(f"The enclosures did not narrow to {dps} digits even at {working} "
                               "working digits; drop --interval or ask for fewer digits.")
        working = min(MAX_CELL_WORKING_DPS, 2 * working)


def _earned(net: RecurrentNet, point: CellPoint, dps: int, working: int, progress):
    """A run in balls whose every shown value is narrower than 10^-(dps+1) of its size
    (``evaluate.earned_in_balls``); the budget: a chain's MAX_INTERVAL_WORK, a step
    counted as CELL_STEP_LAYERS layers, and twice the first run's digits at least."""
    budget = min(MAX_CELL_WORKING_DPS,
                 max(2 * working, MAX_INTERVAL_WORK // (CELL_STEP_LAYERS * len(point.inputs))))

    def run(bits: int):
        result, shown = _in_balls(net, point, int(bits / BITS_PER_DIGIT), progress)
        if result is None:
            return None, 0
        return result, min((balls.accuracy(v) for v in shown if isinstance(v, arb)),
                           default=2 ** 62)

    return earned_in_balls(run, working, budget, dps)


def _midpoints(records, cost, gradients, initial):
    """A run's balls as their midpoints (mpmath numbers, as the agreeing runs give)."""
    def point(value):
        return balls.midpoint(value, wide=True) if isinstance(value, arb) else value

    def pairs(named):
        return tuple((name, point(v)) for name, v in named)

    records = tuple(replace(
        r, quantities=pairs(r.quantities), state_gradients=pairs(r.state_gradients),
        jacobian=tuple(tuple(point(v) for v in row) for row in r.jacobian),
        norm=point(r.norm), carousel=point(r.carousel)) for r in records)
    return records, point(cost), pairs(gradients), pairs(initial)


def parameter_table(net: RecurrentNet, values: dict) -> tuple[tuple[str, sympy.Rational], ...]:
    """(plain name, value) of every parameter in the kind's order."""
    return tuple((name, values[name]) for name in net.cell.parameters)
