"""``symgrad notes``: the whole unstable-gradient argument as one document.

The notes are made of the results the other commands compute — the derivation, the
bounds at the depth and at ten times it, the textbook regimes' exact numbers, the
residual chain's derivation and, when values are given, an evaluation — so every
formula and number in them is regenerated from the code. The layout lives in
``symgrad.render.notes_document``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import mpmath
import sympy

from symgrad.analysis.bounds import GainBounds, gain_bounds
from symgrad.analysis.cell_bounds import CellBounds, cell_bounds
from symgrad.analysis.meanfield import CriticalPoint, critical_line
from symgrad.analysis.spectrum import Spectrum, spectrum
from symgrad.derive.chain import ChainDerivation, derive_chain
from symgrad.derive.matrix import MatrixDerivation, derive_matrix
from symgrad.derive.recurrent import CellDerivation, derive_cell
from symgrad.errors import SymgradError
from symgrad.layers.step import CellKind
from symgrad.networks import MatrixNet, RecurrentNet, ScalarChain
from symgrad.numeric.backprop import ChainPoint
from symgrad.numeric.evaluate import ChainEvaluation, evaluate_chain
from symgrad.numeric.matrix_net import NetEvaluation
from symgrad.numeric.recurrent import CellEvaluation, CellPoint, evaluate_cell

NOTES_DPS = 30
MAX_NOTES_DEPTH = 1_000  # the notes derive the chain at this depth and bound it at ten times
MAX_NOTES_STEPS = 1_000  # a cell's notes evaluate it over this many steps at most
GATE_BIAS_SHIFT = 2  # the carousel gate's bias is shown this much below and above the one given
DEEPER = 10  # the regimes are shown at the depth and at this many times it


@dataclass(frozen=True)
class Regime:
    """One textbook case: a per-layer factor and its power at two depths (the words that
    tell it are the document's, by ``case``)."""

    case: str  # "vanishing", "still vanishing" or "exploding"
    activation: str
    weight: sympy.Rational
    factor: sympy.Rational  # |w| · sup|σ'| (the bound's factor per layer)
    depths: tuple[int, int]


@dataclass(frozen=True)
class RandomWeights:
    """The chain's activation in a wide net with random weights at the edge of chaos
    (σ_b² = 0, σ_w² where χ1 = 1): the Jacobian's spectrum at the notes' depth with
    Gaussian and with orthogonal weights."""

    critical: CriticalPoint
    gaussian: Spectrum
    orthogonal: Spectrum


RANDOM_WEIGHTS_DPS = 15  # the random-weights sections' digits: their spectra's edges and
# quadratures in float64 (at 30 digits the sigmoid's took 15 s); the notes show 10


RANDOM_WEIGHTS_WORK = 3  # results: the edge of chaos, the two spectra


def random_weights(chain: ScalarChain, dps: int = RANDOM_WEIGHTS_DPS,
                   progress: Callable[[int], None] | None = None) -> RandomWeights:
    """The random-weights sections' results, or one sentence why a chain has none.
    ``progress(1)``: one more of the RANDOM_WEIGHTS_WORK results done."""
    def done(result):
        if progress is not None:
            progress(1)
        return result

    name = chain.activation.name
    if chain.residual or chain.tied or chain.highway:
        raise SymgradError("The random-weights sections are for plain chains (mean field and "
                           "free probability take one weight matrix a layer).")
    point = done(critical_line(chain.activation, [0], dps)).points[0]
    if point.sigma_w2 is None:
        raise SymgradError(f"{name} has no edge of chaos at σ_b² = 0 (χ1 = 1 for no σ_w²), "
                           "which the random-weights sections are taken at.")
    sigma_w2 = point.sigma_w2 if isinstance(point.sigma_w2, sympy.Basic) \
        else mpmath.nstr(point.sigma_w2, dps + 5, strip_zeros=True)  # (every digit found)
    found = [done(spectrum(chain.activation, sigma_w2, 0, chain.depth, weights, dps=dps, grid=0))
             for weights in ("gaussian", "orthogonal")]
    return RandomWeights(point, *found)


@dataclass(frozen=True)
class ChainNotes:
    chain: ScalarChain
    derivation: ChainDerivation
    bounds: GainBounds  # at the depth, with the weight given (1 if none)
    deeper_bounds: GainBounds  # the same at DEEPER × the depth
    regimes: tuple[Regime, ...]
    relu: ChainDerivation  # the front layer of a ReLU chain: σ' is 0 or 1, the w's remain
    residual: ChainDerivation | None  # the same chain with residual connections (None if it is one)
    residual_bounds: GainBounds
    evaluation: ChainEvaluation | None  # when values were given
    random_weights: RandomWeights | None = None  # when asked for


@dataclass(frozen=True)
class NetNotes:
    net: MatrixNet
    derivation: MatrixDerivation
    evaluation: NetEvaluation | None


def chain_notes(chain: ScalarChain, settings: tuple[tuple, ...], point: ChainPoint | None = None,
                dps: int = NOTES_DPS, with_random_weights: bool = False,
                progress: Callable[[int], None] | None = None) -> ChainNotes:
    """Notes for a scalar chain; ``settings`` (w and the kind's own parameters: one tuple,
    or one per layer) set the bounds, ``point`` (forward or gain mode) adds the evaluated
    table and figure, ``with_random_weights`` the sections on random weights
    (``random_weights``, whose results ``progress`` counts)."""
    chosen = random_weights(chain, progress=progress) if with_random_weights else None
    depth = chain.depth
    front = [1, depth] if depth > 1 else [1]
    derivation = derive_chain(chain, front)
    bounds = gain_bounds(chain, settings, dps)
    deeper = ScalarChain(depth * DEEPER, chain.activation, chain.residual, chain.tied, chain.cost,
                         highway=chain.highway)
    deeper_bounds = gain_bounds(deeper, settings if len(settings) == 1 else settings * DEEPER, dps)
    relu = derive_chain(ScalarChain(depth, "relu", cost=chain.cost), [1])
    residual_chain = ScalarChain(depth, chain.activation, True, chain.tied, chain.cost)  # (w = 1/2)
    residual = None if chain.residual else derive_chain(residual_chain, [1])
    residual_bounds = gain_bounds(residual_chain, ((sympy.Rational(1, 2),),), dps)
    evaluation = evaluate_chain(chain, point, dps) if point is not None else None
    return ChainNotes(chain, derivation, bounds, deeper_bounds, _regimes(depth), relu, residual,
                      residual_bounds, evaluation, chosen)


def _regimes(depth: int) -> tuple[Regime, ...]:
    depths = (depth, DEEPER * depth)
    quarter, half = sympy.Rational(1, 4), sympy.Rational(1, 2)
    return (
        Regime("vanishing", "sigmoid", sympy.Integer(1), quarter, depths),
        Regime("still vanishing", "relu", half, half, depths),
        Regime("exploding", "relu", sympy.Integer(10), sympy.Integer(10), depths),
    )


def net_notes(net: MatrixNet, evaluation: NetEvaluation | None = None) -> NetNotes:
    return NetNotes(net, derive_matrix(net), evaluation)


@dataclass(frozen=True)
class GateBias:
    """The carousel's bounds with its gate's bias set to ``bias`` (the rest as given)."""

    bias: sympy.Rational
    bounds: CellBounds
    evaluation: CellEvaluation


@dataclass(frozen=True)
class CellNotes:
    net: RecurrentNet  # over the notes' steps
    derivation: CellDerivation  # at a general step and length T
    bounds: CellBounds  # over the inputs' range, at the parameters given
    evaluation: CellEvaluation  # one run, at the inputs given
    gate_biases: tuple[GateBias, ...]  # the carousel gate's bias lower and higher (lstm, gru)


def cell_notes_work(kind: CellKind) -> int:
    """How many results ``cell_notes`` computes for a cell of ``kind`` (bounds and runs):
    its progress's total."""
    return 2 * (3 if kind.carousel_gate is not None else 1)


def cell_notes(net: RecurrentNet, point: CellPoint, inputs: tuple, dps: int = NOTES_DPS,
               progress: Callable[[int], None] | None = None) -> CellNotes:
    """Notes for a recurrent cell: the derivation at a general step, the bounds over every
    input in ``inputs``' range, one evaluated run at ``point``; for a gated cell, the bounds
    and the run again with the carousel gate's bias GATE_BIAS_SHIFT lower and higher.
    ``progress(1)``: one more of the ``cell_notes_work`` results done."""
    def done(result):
        if progress is not None:
            progress(1)
        return result

    derivation = derive_cell(RecurrentNet(net.cell, None, net.activation))
    bounds = done(cell_bounds(net, point, dps, inputs))
    evaluation = done(evaluate_cell(net, point, dps))
    gate_biases = []
    gate = net.cell.carousel_gate
    if gate is not None:
        name = "b" + gate
        given = dict(point.parameters)[name]
        for bias in (given - GATE_BIAS_SHIFT, given + GATE_BIAS_SHIFT):
            moved = replace(point, parameters=tuple(
                (p, bias if p == name else v) for p, v in point.parameters))
            gate_biases.append(GateBias(bias, done(cell_bounds(net, moved, dps, inputs)),
                                        done(evaluate_cell(net, moved, dps))))
    return CellNotes(net, derivation, bounds, evaluation, tuple(gate_biases))
