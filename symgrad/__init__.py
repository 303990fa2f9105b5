"""symgrad: backpropagation gradients derived symbolically, evaluated exactly.

>>> import symgrad
>>> result = symgrad.derive(depth=3, act="sigmoid")
>>> result.layer(1).delta          # grouped: (∂C/∂a_L)(w_2 w_3)(σ'(z_1) σ'(z_2) σ'(z_3))
>>> result.concrete(result.layer(1).grad_w).doit()   # a SymPy expression
>>> print(result.latex())
>>> symgrad.evaluate(100, "relu", w=10, z=1).input_gradient     # 10^100, exactly
>>> symgrad.bounds(100, "sigmoid", w=10).verdict                # 'can explode ...'
>>> symgrad.region("sigmoid", maximize=True).input_width        # 0.4477...
>>> symgrad.meanfield("tanh", sigma_w2=1.5, sigma_b2=0.05).chi   # χ1 ≈ 0.9386
>>> symgrad.critical("tanh", sigma_b2=[0, 0.05]).points[1].sigma_w2   # ≈ 1.7610
>>> symgrad.sample(100, "tanh", sigma_w2=1, samples=10_000).within_tenfold
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from symgrad.activations import NAMES as ACTIVATIONS
from symgrad.activations import Activation, activation_table, get_activation
from symgrad.analysis.bounds import GainBounds, gain_bounds
from symgrad.analysis.meanfield import (
    MEANFIELD_DPS,
    CriticalLine,
    MeanFieldResult,
    critical_line,
    mean_field,
)
from symgrad.analysis.region import REGION_DPS, GainRegion, WidestRegion, gain_region, widest_region
from symgrad.analysis.sampling import GradientSample, sample_gradients
from symgrad.costs import COSTS
from symgrad.derive.chain import ChainDerivation, Equation, LayerGradient, derive_chain
from symgrad.derive.matrix import MatrixDerivation, derive_matrix
from symgrad.errors import SymgradError
from symgrad.networks import MatrixNet, ScalarChain, check_depth
from symgrad.notes import MAX_NOTES_DEPTH, ChainNotes, chain_notes
from symgrad.numbers import exact, per_layer
from symgrad.numeric.backprop import ChainPoint, chain_point
from symgrad.numeric.evaluate import DEFAULT_DPS, ChainEvaluation, check_dps, evaluate_chain
from symgrad.numeric.matrix_net import NetEvaluation
from symgrad.numeric.matrix_net import evaluate_net as evaluate_matrix_net
from symgrad.numeric.net_parameters import NetParameters, draw_parameters, read_parameters
from symgrad.numeric.real import decimal
from symgrad.render import render, write_documents
from symgrad.verify import MAX_VERIFY_DEPTH, Verdict
from symgrad.verify import verify as check_claim


def derive(
    depth: int | None = None,
    act: str | Activation = "sigmoid",
    *,
    residual: bool = False,
    tied: bool = False,
    cost: str = "quadratic",
    layers: Sequence[int] | None = None,
) -> ChainDerivation:
    """Derive the backprop expressions of a scalar chain; ``depth=None`` means symbolic L."""
    chain = ScalarChain(depth, _activation(act), residual=residual, tied=tied, cost=cost)
    return derive_chain(chain, layers)


def evaluate(
    depth: int,
    act: str | Activation = "sigmoid",
    *,
    w=1,
    b=None,
    x=None,
    y=None,
    z=None,
    upstream=None,
    residual: bool = False,
    tied: bool = False,
    cost: str = "quadratic",
    dps: int = DEFAULT_DPS,
    interval: bool = False,
    keep: Collection[int] | None = None,
) -> ChainEvaluation:
    """The exact forward and backward pass of a scalar chain at ``dps`` digits.

    ``w``, ``b``, ``z``: one value for every layer or a list of ``depth`` values. Numbers
    are read exactly (text such as "1e-400" or "1/3", ints, Fractions; a float by its repr).
    Give ``x`` (``b`` and ``y`` default to 0), or fix the preactivations with ``z`` (gain
    mode, ∂C/∂a_L = ``upstream``, default 1). ``interval``: certified enclosures.
    ``keep``: the layers whose values are kept (default all). Values are MPFR numbers
    (``gmpy2.mpfr``), mpmath numbers when they leave MPFR's exponent range, or
    ``Interval`` enclosures.
    """
    chain = ScalarChain(depth, _activation(act), residual=residual, tied=tied, cost=cost)
    point = chain_point(depth, w, b=b, x=x, y=y, z=z, upstream=upstream, tied=tied)
    return evaluate_chain(chain, point, dps, interval=interval, keep=keep)


def bounds(depth: int, act: str | Activation = "sigmoid", *, w=1, residual: bool = False,
           dps: int = DEFAULT_DPS) -> GainBounds:
    """Worst-case bounds on |∂C/∂a_0| / |∂C/∂a_L| over every input, the regime, and the
    depth at which each float format overflows or underflows."""
    chain = ScalarChain(depth, _activation(act), residual=residual)
    return gain_bounds(chain, per_layer(w, depth, "weight", expand=False), check_dps(dps))


def region(act: str | Activation = "sigmoid", w=None, b=0, *, maximize: bool = False,
           dps: int = REGION_DPS) -> GainRegion | WidestRegion:
    """Where |w σ'(z)| ≥ 1 (and the matching inputs a = (z - b)/w); with ``maximize``, the
    |w| whose region is widest in input space."""
    activation = _activation(act)
    if maximize:
        if w is not None:
            raise SymgradError("maximize finds the weight itself; leave out w.")
        return widest_region(activation, dps)
    if w is None:
        raise SymgradError("Give the weight w (or ask for the best one with maximize=True).")
    return gain_region(activation, exact(w, "weight"), exact(b, "bias"), dps)


def derive_net(widths: Sequence[int], act: str | Activation = "sigmoid", *,
               cost: str = "quadratic") -> MatrixDerivation:
    """Backprop of a small matrix net, entry by entry and in matrix form."""
    return derive_matrix(MatrixNet(tuple(widths), _activation(act), cost))


def evaluate_net(
    widths: Sequence[int],
    act: str | Activation = "sigmoid",
    *,
    init: str | None = None,
    seed: int = 0,
    scale=1,
    weights: str | NetParameters | None = None,
    x=1,
    y=0,
    cost: str = "quadratic",
    dps: int = 30,
) -> NetEvaluation:
    """A matrix net's exact pass and the singular values of its input-output Jacobian.

    Weights are drawn (``init``: normal, xavier, he, orthogonal; ``seed``, ``scale``) or
    read (``weights``: a JSON file's path, or ``NetParameters``). ``x``, ``y``: one value
    for every input/output unit, or one per unit.
    """
    net = MatrixNet(tuple(widths), _activation(act), cost)
    if (init is None) == (weights is None):
        raise SymgradError("Give the weights either drawn (init=...) or read (weights=...).")
    if weights is None:
        parameters = draw_parameters(net, init, seed, scale, dps)
    else:
        parameters = weights if isinstance(weights, NetParameters) else read_parameters(net, weights)
    return evaluate_matrix_net(net, parameters,
                               per_layer(x, net.widths[0], "input", unit="input unit"),
                               per_layer(y, net.widths[-1], "target", unit="output unit"), dps)


def notes(depth: int, act: str | Activation = "sigmoid", *, w=None, b=None, x=None, y=None, z=None,
          residual: bool = False, cost: str = "quadratic") -> ChainNotes:
    """Lecture notes for a scalar chain: the argument with exact numbers; values (a table
    and a figure) when ``x`` or ``z`` is given."""
    chain = ScalarChain(check_depth(depth, MAX_NOTES_DEPTH), _activation(act), residual=residual,
                        cost=cost)
    weights = per_layer(w, depth, "weight", expand=False) if w is not None else None
    point = None if x is None and z is None else \
        chain_point(depth, 1 if w is None else w, b=b, x=x, y=y, z=z)
    return chain_notes(chain, weights, point)


def meanfield(act: str | Activation = "tanh", *, sigma_w2=1, sigma_b2=0, depth: int = 1,
              dps: int = MEANFIELD_DPS) -> MeanFieldResult:
    """Random weights N(0, σ_w²/n), biases N(0, σ_b²): the fixed point q*, χ1, ξ, the
    regime and χ1^depth, each to ``dps`` digits (numbers read exactly: "0.05", "1/3")."""
    return mean_field(_activation(act), sigma_w2, sigma_b2, depth, dps)


def critical(act: str | Activation = "tanh", *, sigma_b2=0, dps: int = MEANFIELD_DPS) -> CriticalLine:
    """The σ_w² with χ1 = 1 (and q* there) for σ_b², or for each of a list of σ_b²."""
    values = sigma_b2 if isinstance(sigma_b2, (list, tuple)) else [sigma_b2]
    return critical_line(_activation(act), values, dps)


def sample(depth: int, act: str | Activation = "tanh", *, sigma_w2=1, sigma_b2=0, width: int = 1,
           samples: int = 1000, seed: int = 0) -> GradientSample:
    """``samples`` random nets (scalar chains for width 1): the spread of
    log10 |∂C/∂a^0| / |∂C/∂a^L| beside mean field's χ1^depth."""
    return sample_gradients(_activation(act), depth, sigma_w2, sigma_b2, width, samples, seed)


def verify(claim: str, target: str, *, depth: int | None = None,
           widths: Sequence[int] | None = None, act: str | Activation = "sigmoid",
           residual: bool = False, tied: bool = False, cost: str = "quadratic",
           seed: int = 0) -> Verdict:
    """Whether a hand-derived ``claim`` (text, read safely) is the chain's (``depth``) or a
    small net's (``widths``) ``target``: ``verdict.correct``, and if not the ratio
    claim/true, what the claim equals instead, a counterexample and the correct formula."""
    if (depth is None) == (widths is None):
        raise SymgradError("Give either depth= (a scalar chain) or widths= (a matrix net).")
    if widths is not None:
        spec = MatrixNet(tuple(widths), _activation(act), cost)
    else:
        spec = ScalarChain(check_depth(depth, MAX_VERIFY_DEPTH), _activation(act),
                           residual=residual, tied=tied, cost=cost)
    return check_claim(spec, target, claim, seed)


def _activation(act: str | Activation) -> Activation:
    return get_activation(act) if isinstance(act, str) else act


__all__ = [
    "ACTIVATIONS",
    "COSTS",
    "Activation",
    "ChainDerivation",
    "ChainEvaluation",
    "ChainPoint",
    "CriticalLine",
    "Equation",
    "GainBounds",
    "GainRegion",
    "GradientSample",
    "MatrixDerivation",
    "MatrixNet",
    "MeanFieldResult",
    "NetEvaluation",
    "NetParameters",
    "LayerGradient",
    "ScalarChain",
    "SymgradError",
    "Verdict",
    "WidestRegion",
    "activation_table",
    "bounds",
    "critical",
    "decimal",
    "derive",
    "derive_chain",
    "derive_net",
    "evaluate",
    "evaluate_chain",
    "evaluate_net",
    "exact",
    "get_activation",
    "meanfield",
    "notes",
    "region",
    "render",
    "sample",
    "verify",
    "write_documents",
]
