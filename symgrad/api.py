"""The Python API: one function per command, the one front door for both callers.

Every argument is checked here (``symgrad.arguments``, the specs' own checks and
``symgrad.numbers`` for exact values); the command line only turns text into values and
calls these functions, so the two can never disagree on what they accept. ``progress``
callbacks let the command line draw its bars; the API's callers may pass their own.
"""

from __future__ import annotations

import functools
import os
import random
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING

import sympy

from symgrad import arguments
from symgrad.activations import Activation, ActivationTable, activation_table
from symgrad.analysis.region import (
    MAX_REGION_DPS,
    MAX_WIDEST_DPS,
    REGION_DPS,
    GainRegion,
    WidestRegion,
    gain_region,
    widest_region,
)
from symgrad.budget import COMMAND_SECONDS, OverBudget, time_budget
from symgrad.derive.chain import ALL_LAYERS_UP_TO, ChainDerivation, derive_chain
from symgrad.derive.matrix import MatrixDerivation, check_derivable, derive_matrix
from symgrad.derive.recurrent import CellDerivation
from symgrad.derive.recurrent import derive_cell as derive_recurrent
from symgrad.digits import DEFAULT_DPS, MAX_DPS, MAX_MEANFIELD_DPS, MEANFIELD_DPS
from symgrad.errors import SymgradError, quoted
from symgrad.networks import (
    MAX_DEPTH,
    MAX_DERIVE_STEPS,
    MAX_STEPS,
    MatrixNet,
    RecurrentNet,
    ScalarChain,
    check_depth,
    check_steps,
)
from symgrad.numbers import exact, listed, per_layer

# The numeric analyses (numpy, Arb, the evaluators) are imported where they are used, so
# that a command loads only its own; these names appear in annotations only.
if TYPE_CHECKING:
    from symgrad.analysis.bounds import GainBounds
    from symgrad.analysis.cell_bounds import CellBounds
    from symgrad.analysis.meanfield import CriticalLine, MeanFieldResult
    from symgrad.analysis.sampling import GradientSample
    from symgrad.analysis.spectrum import Spectrum
    from symgrad.notes import CellNotes, ChainNotes, NetNotes
    from symgrad.numeric.backprop import ChainPoint
    from symgrad.numeric.evaluate import ChainEvaluation
    from symgrad.numeric.matrix_net import NetEvaluation
    from symgrad.numeric.net_parameters import NetParameters
    from symgrad.numeric.recurrent import CellEvaluation, CellPoint
    from symgrad.numeric.work import Work
    from symgrad.verify import Verdict


def annotation_types() -> dict[str, type]:
    """The classes the API's annotations name but imports only where used (above), for
    ``typing.get_type_hints(function, globalns=...)``."""
    from symgrad.analysis.bounds import GainBounds
    from symgrad.analysis.cell_bounds import CellBounds
    from symgrad.analysis.meanfield import CriticalLine, MeanFieldResult
    from symgrad.analysis.sampling import GradientSample
    from symgrad.analysis.spectrum import Spectrum
    from symgrad.notes import CellNotes, ChainNotes, NetNotes
    from symgrad.numeric.backprop import ChainPoint
    from symgrad.numeric.evaluate import ChainEvaluation
    from symgrad.numeric.matrix_net import NetEvaluation
    from symgrad.numeric.net_parameters import NetParameters
    from symgrad.numeric.recurrent import CellEvaluation, CellPoint
    from symgrad.numeric.work import Work
    from symgrad.verify import Verdict
    return {kind.__name__: kind for kind in (
        GainBounds, CellBounds, CriticalLine, MeanFieldResult, GradientSample, Spectrum, CellNotes,
        ChainNotes, NetNotes, ChainPoint, ChainEvaluation, NetEvaluation, NetParameters,
        CellEvaluation, CellPoint, Work, Verdict)}


Act = str | Activation


_o = arguments.option  # an argument's name as the caller spells it: "z", or "--z"


def _bounded(analysis):
    """``analysis`` under COMMAND_SECONDS: past it, one sentence instead of a wait."""
    @functools.wraps(analysis)
    def bounded(*args, **kwargs):
        try:
            with time_budget(COMMAND_SECONDS):
                return analysis(*args, **kwargs)
        except OverBudget:
            raise SymgradError(f"{analysis.__name__} did not finish within {COMMAND_SECONDS:g} "
                               "seconds (its symbolic and numerical steps are too hard here); try "
                               "fewer digits or a simpler formula.") from None
    return bounded


class _DefaultActivation(str):
    """The activation when none is given: sigmoid for a chain or a net, a cell's own for a
    recurrent cell (the rnn's tanh; the gated cells take none). A str, so that it reads
    and prints as sigmoid."""


DEFAULT_ACT = _DefaultActivation("sigmoid")


def _cell_act(act):
    """What a cell is given for its activation: nothing when the caller gave none."""
    return None if isinstance(act, _DefaultActivation) else act


def derive(depth: int | None = None, act: Act = DEFAULT_ACT, *, residual: bool = False,
           tied: bool = False, cost: str = "quadratic", layers: Sequence[int] | str | None = None,
           widths: Sequence[int] | None = None, cell: str | None = None,
           steps: int | None = None, highway: bool = False,
           progress: Callable[[int], None] | None = None,
           ) -> ChainDerivation | MatrixDerivation | CellDerivation:
    """Derive the backprop expressions of a scalar chain; ``depth=None`` means symbolic L.
    ``residual`` or ``highway``: the layer kind (``symgrad.layers``); ``tied``: one w and b
    for every layer. ``layers``: the layers written out factor by factor, or "all"
    (default: all up to depth 200, else the first and last). ``progress(n)``: n more of the
    depth's layers done. ``widths``: a small matrix net instead (as ``derive_net``);
    ``cell`` with ``steps``: a recurrent cell instead (as ``derive_cell``)."""
    if cell is not None:
        residual, tied = arguments.flag(residual, "residual"), arguments.flag(tied, "tied")
        highway = arguments.flag(highway, "highway")
        arguments.not_for_a_cell({"depth": depth, "residual": residual, "tied": tied,
                                  "highway": highway, "layers": layers, "widths": widths,
                                  "cost": None if cost == "quadratic" else cost})
        return derive_cell(cell, steps, _cell_act(act), progress=progress)
    arguments.only_for_a_cell({"steps": steps})
    if widths is not None:
        arguments.only_for_a_chain({"depth": depth, "residual": residual, "tied": tied,
                                    "highway": highway, "layers": layers})
        return derive_net(widths, act, cost=cost)
    chain = ScalarChain(None if depth is None else check_depth(depth), act, residual=residual,
                        tied=tied, cost=cost, highway=highway)
    if layers is not None:
        if chain.depth is None:
            raise SymgradError(f"{_o('layers')} needs a concrete {_o('depth')}.")
        layers = _all_layers(chain.depth) if isinstance(layers, str) and layers == "all" else \
            list(arguments.wholes(layers, "layers"))
    return derive_chain(chain, layers, progress)


def export(depth: int | None = None, act: Act = DEFAULT_ACT, *, to: str = "numpy",
           residual: bool = False,
           highway: bool = False, tied: bool = False, cost: str = "quadratic",
           log_space: bool = False, widths: Sequence[int] | None = None) -> str:
    """The chain's derived backpropagation as the source of a Python module for ``to``
    (numpy, torch or jax): ``forward``, ``backward``, ``gradients`` and ``loss``, the
    formulas in its docstring, and ``check_against_autograd()``; ``log_space`` (NumPy):
    ``log10_gradients`` too, the backward products carried as logarithms. ``widths``
    (instead of ``depth``): a matrix net's, in matrix form."""
    target = arguments.text(to, "The target")
    log_space = arguments.flag(log_space, "log_space")
    if widths is not None:
        from symgrad.render.net_export import export_net

        if depth is not None:
            raise SymgradError(f"Give either {_o('depth')} (a chain) or {_o('widths')} (a net), "
                               "not both.")
        for name, given in (("residual", residual), ("highway", highway), ("tied", tied),
                            ("log_space", log_space)):
            if arguments.flag(given, name):
                raise SymgradError(f"{_o(name)} is for chains; a net ({_o('widths')}) has "
                                   "plain layers and no log-space module.")
        return export_net(MatrixNet(widths, act, cost), target)
    from symgrad.render.export import export_chain

    if depth is None:
        raise SymgradError(f"Give the number of layers with {_o('depth')} L "
                           f"(or a net's with {_o('widths')}).")
    chain = ScalarChain(check_depth(depth), act, residual=residual, tied=tied, cost=cost,
                        highway=highway)
    return export_chain(chain, target, log_space)


def _all_layers(depth: int) -> list[int]:
    if depth > ALL_LAYERS_UP_TO:
        raise SymgradError(f"Writing all {depth} layers out grows as the square of the depth; at "
                           f"most {ALL_LAYERS_UP_TO} can be, so pick some with {_o('layers')} "
                           f"1,2,{depth}.")
    return list(range(1, depth + 1))


def derive_net(widths: Sequence[int], act: Act = "sigmoid", *,
               cost: str = "quadratic") -> MatrixDerivation:
    """Backprop of a small matrix net, entry by entry and in matrix form."""
    return derive_matrix(MatrixNet(widths, act, cost))


def evaluate(depth: int | None = None, act: Act = DEFAULT_ACT, *, w=None, b=None, x=None,
             y=None, z=None, upstream=None, residual: bool = False, tied: bool = False,
             cost: str = "quadratic", dps: int = DEFAULT_DPS, interval: bool = False,
             keep: Collection[int] | None = None, widths: Sequence[int] | None = None,
             init: str | None = None, seed: int | None = None, scale=None,
             weights: str | os.PathLike | NetParameters | None = None, cell: str | None = None,
             steps: int | None = None, parameters: Mapping | str | None = None, h0=None,
             c0=None, highway: bool = False, p=None, q=None, progress: Callable | None = None,
             spectrum: bool | None = None) -> ChainEvaluation | NetEvaluation | CellEvaluation:
    """The exact forward and backward pass of a scalar chain at ``dps`` digits.

    ``w``, ``b``, ``z``: one value for every layer or a list of ``depth`` values. Numbers
    are read exactly (text such as "1e-400" or "1/3", ints, Fractions, Decimals; a float
    by its repr). Give ``x`` (``b`` and ``y`` default to 0), or fix the preactivations with
    ``z`` (gain mode, ∂C/∂a_L = ``upstream``, default 1). ``residual`` or ``highway``: the
    layer kind; a highway layer's gate t_l = sigmoid(p_l a_{l-1} + q_l) takes ``p`` and
    ``q`` (one value or a list, as ``w``; default 1 and 0). ``interval``: certified
    enclosures. ``keep``: the layers whose values are kept (default all). ``progress(n)``
    is told as n more layer steps are done: a run of the pass is 2 × depth of them; with
    ``interval`` there is one run, otherwise the runs at rising working digits go on until
    two agree (an exact rational run, for a piecewise-linear chain, is told as two). Values are MPFR numbers
    (``gmpy2.mpfr``), mpmath numbers when they leave MPFR's exponent range, or
    certified enclosures: Arb balls (python-flint's ``arb``).

    ``widths`` (with ``init``, ``seed``, ``scale`` or ``weights``, ``x``, ``y`` and
    ``spectrum``): a matrix net instead, as ``evaluate_net`` (and ``progress`` as it tells). ``cell`` with
    ``steps`` (and ``parameters``, ``seed``, ``x``, ``h0``, ``c0``, ``y``): a recurrent cell
    instead, as ``evaluate_cell`` (``act``: the rnn's, default tanh).
    """
    if cell is not None:
        residual, tied = arguments.flag(residual, "residual"), arguments.flag(tied, "tied")
        highway = arguments.flag(highway, "highway")
        arguments.not_for_a_cell({
            "depth": depth, "residual": residual, "tied": tied, "highway": highway, "p": p,
            "q": q, "w": w, "b": b, "z": z,
            "upstream": upstream, "widths": widths, "init": init, "scale": scale,
            "weights": weights, "keep": keep, "cost": None if cost == "quadratic" else cost,
            "spectrum": spectrum})
        return evaluate_cell(cell, steps, _cell_act(act),
                             parameters=parameters, x=1 if x is None else x,
                             h0=0 if h0 is None else h0, c0=c0, y=0 if y is None else y,
                             seed=seed, dps=dps, interval=interval, progress=progress)
    arguments.only_for_a_cell({"steps": steps, "parameters": parameters, "h0": h0, "c0": c0})
    arguments.chain_or_net(depth, widths)
    if widths is not None:
        arguments.only_for_a_chain({"depth": depth, "residual": residual, "tied": tied, "w": w,
                                    "b": b, "z": z, "upstream": upstream, "interval": interval,
                                    "keep": keep, "highway": highway, "p": p, "q": q},
                                   f" (a net's weights come from {_o('init')} or {_o('weights')})")
        return evaluate_net(widths, act, init=init, seed=seed, scale=scale, weights=weights,
                            x=1 if x is None else x, y=0 if y is None else y, cost=cost, dps=dps,
                            progress=progress, spectrum=spectrum)
    chain = ScalarChain(check_depth(depth, MAX_DEPTH), act, residual=residual, tied=tied, cost=cost,
                        highway=highway)
    arguments.only_for_a_net({"init": init, "seed": seed, "scale": scale, "weights": weights,
                              "spectrum": spectrum})
    point = _chain_point(chain.depth, 1 if w is None else w, b=b, x=x, y=y, z=z, upstream=upstream,
                         tied=chain.tied, own=_own_parameters(chain, {"p": p, "q": q}))
    from symgrad.numeric.evaluate import evaluate_chain

    digits = arguments.digits(dps, MAX_DPS)
    if keep is not None:
        keep = set(arguments.wholes(sorted(keep) if isinstance(keep, (set, frozenset)) else keep,
                                    "keep", 1, chain.depth))
    return evaluate_chain(chain, point, digits, interval=arguments.flag(interval, "interval"),
                          keep=keep, progress=progress)


def derive_cell(cell: str | None = None, steps: int | None = None, act: Act | None = None, *,
                progress: Callable[[int], None] | None = None) -> CellDerivation:
    """Backpropagation through time of a recurrent cell (``cell``: rnn, lstm, gru) over
    ``steps`` steps (None: a symbolic T). ``act``: the rnn's σ (default tanh); the gated
    cells' functions are fixed. ``progress(n)``: n more of the ``steps`` written out."""
    return derive_recurrent(RecurrentNet(cell, None if steps is None else check_steps(
        steps, MAX_DERIVE_STEPS), act), progress=progress)


def evaluate_cell(cell: str | None = None, steps: int | None = None, act: Act | None = None, *,
                  parameters: Mapping | str | None = None, x=1, h0=0, c0=None, y=0,
                  seed: int | None = None, dps: int = DEFAULT_DPS, interval: bool = False,
                  progress: Callable[[int], None] | None = None) -> CellEvaluation:
    """A recurrent cell's forward pass and backpropagation through time at ``dps`` digits:
    every step's state and gates, ∂C/∂h_t, ∂C/∂c_t, J_t, ‖J_t‖ and the carousel product, and
    every parameter's gradient (summed over the steps).

    ``parameters``: plain name -> value (``{"wf": "1.5", "bf": 1}``, or the text
    ``"wf=1.5,bf=1"``); the rest keep the
    cell's defaults (``symgrad.layers.CELLS[cell].defaults``), or with ``seed`` are drawn
    uniformly from [-1, 1] in steps of 1/1000 (torch's range for hidden size 1). ``x``: one
    input for every step or a list of ``steps``. ``h0``, ``c0`` (the lstm's; default 0): the
    initial state; ``y``:
    the target of C = ½(h_T − y)². ``interval``: certified enclosures. ``progress(n)``: n
    more of the 2 × steps step passes of a run done."""
    from symgrad.numeric.recurrent import MAX_CELL_DPS
    from symgrad.numeric.recurrent import evaluate_cell as evaluate_recurrent

    net, point = _cell_point(cell, steps, act, parameters, x, h0, c0, y, seed)
    return evaluate_recurrent(net, point, arguments.digits(dps, MAX_CELL_DPS),
                              certified=arguments.flag(interval, "interval"), progress=progress)


def _cell_point(cell, steps, act, parameters, x, h0, c0, y, seed) -> tuple[RecurrentNet, CellPoint]:
    """The cell unrolled over ``steps`` and where it runs: every parameter, the inputs, the
    initial state and the target, each read exactly."""
    from symgrad.numeric.recurrent import CellPoint

    if steps is None:
        raise SymgradError(f"Give the number of steps with {_o('steps')}.")
    net = RecurrentNet(cell, check_steps(steps, MAX_STEPS), act)
    kind = net.cell
    values = _cell_parameters(kind, parameters, seed)
    initial = [("h0", exact(h0, "h0"))]
    if "c" in kind.state:
        initial.append(("c0", exact(0 if c0 is None else c0, "c0")))
    elif c0 is not None:
        raise SymgradError(f"The {kind.name} cell has no cell state; {_o('c0')} is for the lstm cell.")
    point = CellPoint(tuple((name, values[name]) for name in kind.parameters),
                      per_layer(x, net.steps, "input", unit="step"), tuple(initial),
                      exact(y, "target"))
    return net, point


def _cell_parameters(kind, given: Mapping | str | None, seed) -> dict:
    """Every parameter's exact value: ``given`` ones, the rest by default or drawn."""
    given = {} if given is None else arguments.settings(given, _o("parameters"))
    for name in given:
        if name not in kind.parameters:
            raise SymgradError(f"The {kind.name} cell has no parameter {quoted(name)}; its "
                               f"parameters are {', '.join(kind.parameters)}.")
    if seed is None:
        values = {name: exact(text, name) for name, text in kind.defaults.items()}
    else:
        draw = random.Random(arguments.seed(seed))
        values = {name: sympy.Rational(draw.randint(-1000, 1000), 1000) for name in kind.parameters}
    values.update({name: exact(value, name) for name, value in given.items()})
    return values


def evaluate_net(widths: Sequence[int], act: Act = "sigmoid", *, init: str | None = None,
                 seed: int | None = None, scale=None,
                 weights: str | os.PathLike | NetParameters | None = None,
                 x=1, y=0, cost: str = "quadratic", dps: int = DEFAULT_DPS,
                 progress: Callable[[float, float, str], None] | None = None,
                 spectrum: bool | None = None) -> NetEvaluation:
    """A matrix net's exact pass and the singular values of its input-output Jacobian.

    Weights are drawn (``init``: normal, xavier, he, orthogonal; ``seed``, default 0;
    ``scale``, default 1) or read (``weights``: a JSON file's path, or ``NetParameters``).
    ``x``, ``y``: one value for every input/output unit, or one per unit.
    ``progress(done, total, what)`` is told the work done and planned so far (multiply-adds
    weighted by their digits' cost: the draw, each run's pass, Jacobian and SVD, the total
    growing as runs at more digits begin) and what is being done. ``spectrum``: compute
    the singular values (True), skip the Jacobian (False), or (None) compute them up to
    width 128 only (``NetEvaluation.spectrum_skipped`` says when they were skipped).
    """
    from symgrad.numeric.matrix_net import check_spectrum
    from symgrad.numeric.matrix_net import evaluate_net as evaluate_matrix_net
    from symgrad.numeric.work import Work

    net = MatrixNet(widths, act, cost)
    digits = arguments.digits(dps, MAX_DPS)
    spectrum = None if spectrum is None else arguments.flag(spectrum, "spectrum")
    inputs = per_layer(x, net.widths[0], "input", unit="input unit")
    targets = per_layer(y, net.widths[-1], "target", unit="output unit")
    check_spectrum(net, spectrum)  # (before a long draw)
    work = Work(progress)
    parameters = _net_parameters(net, init, seed, scale, weights, digits, work)
    return evaluate_matrix_net(net, parameters, inputs, targets, digits, work=work,
                               spectrum=spectrum)


def _net_parameters(net: MatrixNet, init, seed, scale, weights, digits: int,
                    work: Work | None = None) -> NetParameters:
    from symgrad.numeric.net_parameters import (
        INITS,
        NetParameters,
        draw_parameters,
        read_parameters,
    )

    if weights is not None and (init is not None or seed is not None or scale is not None):
        raise SymgradError(f"Give the weights either from a file ({_o('weights')}) or drawn "
                           f"({_o('init')}), not both.")
    if weights is None and init is None:
        raise SymgradError(f"A matrix net needs weights: {_o('init')} {'|'.join(INITS)}, or "
                           f"{_o('weights')} FILE.")
    if weights is None:
        init = arguments.text(init, "init")
        return draw_parameters(net, init, arguments.seed(0 if seed is None else seed),
                               exact(1 if scale is None else scale, "scale"), digits, work)
    if isinstance(weights, NetParameters):
        return weights
    return read_parameters(net, arguments.file_path(weights, "weights"))


def _own_parameters(chain: ScalarChain, given: dict, expand: bool = True) -> dict:
    """The layer kind's own parameters (a highway's p, q) per layer (one value each if not
    ``expand`` and one was given), their defaults where not given; any given to a kind
    without them is refused."""
    layer = chain.layer
    for name, value in given.items():
        if value is not None and name not in layer.parameters:
            raise SymgradError(f"{_o(name)} is a parameter of the highway layer's gate; give "
                               f"{_o('highway')} or leave it out.")
    return {name: per_layer(layer.defaults[name] if given[name] is None else given[name],
                            chain.depth, f"{name} value", shared=chain.tied, expand=expand)
            for name in layer.parameters}


def _chain_point(depth: int, w=1, *, b=None, x=None, y=None, z=None, upstream=None,
                 tied: bool = False, own: dict | None = None) -> ChainPoint:
    """A point from user values (text, or Python numbers: see ``symgrad.numbers``): the
    weights and either x (with b and y) or the preactivations z (with ∂C/∂a_L); ``own``:
    the layer kind's own parameters per layer (a highway's p, q)."""
    from symgrad.numeric.backprop import ChainPoint

    weights = per_layer(w, depth, "weight", shared=tied)
    if z is not None:
        if own:
            raise SymgradError(f"{_o('z')} fixes the preactivations, but a highway layer's gate "
                               f"needs its input a_(l-1): give {_o('x')}.")
        for given, name in ((x, "x"), (y, "y"), (b, "b")):
            if given is not None:
                raise SymgradError(f"{_o('z')} fixes the preactivations, so {_o(name)} has "
                                   "no meaning with it.")
        return ChainPoint(weights, z=per_layer(z, depth, "preactivation"),
                          upstream=exact(1 if upstream is None else upstream, "upstream gradient"))
    if upstream is not None:
        raise SymgradError(f"{_o('upstream')} belongs to gain mode ({_o('z')}); with "
                           f"{_o('x')} it follows from the cost.")
    if x is None:
        raise SymgradError(f"Give the input with {_o('x')} (or fix the preactivations with "
                           f"{_o('z')}).")
    return ChainPoint(weights, per_layer(0 if b is None else b, depth, "bias", shared=tied),
                      x=exact(x, "input"), y=exact(0 if y is None else y, "target"), own=own or {})


@_bounded
def bounds(depth: int | None = None, act: Act = DEFAULT_ACT, *, w=None, residual: bool = False,
           highway: bool = False, p=None, q=None, dps: int = DEFAULT_DPS,
           cell: str | None = None, steps: int | None = None,
           parameters: Mapping | str | None = None, x=None, h0=None, c0=None,
           seed: int | None = None) -> GainBounds | CellBounds:
    """Worst-case bounds on |∂C/∂a_0| / |∂C/∂a_L| over every input, the regime, and the
    depth at which each float format overflows or underflows. ``w`` (default 1), ``p``,
    ``q``: one value for every layer or one per layer (``p``, ``q``: a highway's gate).

    ``cell`` with ``steps`` (and ``parameters``, ``seed``, ``h0``, ``c0`` as for
    ``evaluate_cell``): a recurrent cell's bounds on ‖∂C/∂s_0‖ / ‖∂C/∂s_T‖ and on its
    carousel's product, over every state it reaches and every input sequence whose inputs
    lie between the least and the greatest of ``x`` (one value or a list; default -1, 1)."""
    if cell is not None:
        from symgrad.analysis.cell_bounds import cell_bounds
        from symgrad.numeric.recurrent import MAX_CELL_DPS

        arguments.not_for_a_cell({
            "depth": depth, "residual": arguments.flag(residual, "residual"),
            "highway": arguments.flag(highway, "highway"), "w": w, "p": p, "q": q})
        net, point = _cell_point(cell, steps, _cell_act(act), parameters, 0,
                                 0 if h0 is None else h0, c0, 0, seed)
        return cell_bounds(net, point, arguments.digits(dps, MAX_CELL_DPS), _input_range(x))
    arguments.only_for_a_cell({"steps": steps, "parameters": parameters, "h0": h0, "c0": c0,
                               "x": x, "seed": seed})
    if depth is None:
        raise SymgradError(f"Give the number of layers with {_o('depth')} (or a cell with "
                           f"{_o('cell')}).")
    from symgrad.analysis.bounds import gain_bounds

    chain = ScalarChain(check_depth(depth, MAX_DEPTH), act, residual=residual, highway=highway)
    return gain_bounds(chain, _settings(chain, 1 if w is None else w, p, q),
                       arguments.digits(dps, MAX_DPS))


def _input_range(x) -> tuple[sympy.Rational, sympy.Rational]:
    """The range a cell's bounds take its inputs over: from the least to the greatest of
    ``x`` (one value or several), by default -1 to 1."""
    given = listed(["-1", "1"] if x is None else x, "input")
    return min(given), max(given)


def _settings(chain: ScalarChain, w, p, q) -> tuple[tuple, ...]:
    """(w, the kind's own parameters) for the bounds: one tuple for every layer, or one per
    layer where any of them is given per layer."""
    own = _own_parameters(chain, {"p": p, "q": q}, expand=False)
    columns = [per_layer(w, chain.depth, "weight", expand=False), *own.values()]
    if any(len(column) > 1 for column in columns):  # (per layer: each column to the depth)
        columns = [column * chain.depth if len(column) == 1 else column for column in columns]
    return tuple(zip(*columns))


@_bounded
def region(act: Act = "sigmoid", w=None, b=0, *, maximize: bool = False,
           dps: int = REGION_DPS) -> GainRegion | WidestRegion:
    """Where |w σ'(z)| ≥ 1 (and the matching inputs a = (z - b)/w); with ``maximize``, the
    |w| whose region is widest in input space."""
    activation = ScalarChain(1, act).activation
    maximize = arguments.flag(maximize, "maximize")
    digits = arguments.digits(dps, MAX_WIDEST_DPS if maximize else MAX_REGION_DPS)
    if maximize:
        if w is not None:
            raise SymgradError(f"{_o('maximize')} finds the weight itself; leave out {_o('w')}.")
        return widest_region(activation, digits)
    if w is None:
        raise SymgradError(f"Give the weight with {_o('w')} (or ask for the best one with {_o('maximize')}).")
    return gain_region(activation, exact(w, "weight"), exact(b, "bias"), digits)


def notes(depth: int | None = None, act: Act = DEFAULT_ACT, *,
          widths: Sequence[int] | None = None, w=None, b=None, x=None, y=None, z=None,
          residual: bool = False, highway: bool = False, p=None, q=None,
          cost: str = "quadratic", init: str | None = None, seed: int | None = None,
          cell: str | None = None, steps: int | None = None,
          parameters: Mapping | str | None = None, h0=None, c0=None,
          progress: Callable[[int], None] | None = None,
          random_weights: bool = False) -> ChainNotes | NetNotes | CellNotes:
    """Lecture notes for a scalar chain (``depth``) or a small matrix net (``widths``, values
    when ``init`` draws weights): the argument with exact numbers; for a chain, values (a
    table and a figure) when ``x`` or ``z`` is given; ``random_weights``: a plain chain's
    activation in a wide net with random weights at the edge of chaos (σ_b² = 0), the
    Jacobian's spectrum with Gaussian against orthogonal weights.

    ``cell`` with ``steps`` (at most MAX_NOTES_STEPS; ``parameters``, ``seed``, ``h0``,
    ``c0``, ``y`` as for ``evaluate_cell``): a recurrent cell's notes, with one run at the
    inputs ``x`` (default 1) and the bounds over the range of ``x`` (default −1 to 1);
    ``progress(1)``: one more of its bounds and runs done (``notes.cell_notes_work``), or
    of a chain's random-weights results (``notes.RANDOM_WEIGHTS_WORK``)."""
    from symgrad.notes import (
        MAX_NOTES_DEPTH,
        MAX_NOTES_STEPS,
        NOTES_DPS,
        cell_notes,
        chain_notes,
        net_notes,
    )

    if cell is not None:
        arguments.not_for_a_cell({
            "depth": depth, "widths": widths, "w": w, "b": b, "z": z, "init": init,
            "residual": arguments.flag(residual, "residual"), "p": p, "q": q,
            "highway": arguments.flag(highway, "highway"),
            "random_weights": arguments.flag(random_weights, "random_weights"),
            "cost": None if cost == "quadratic" else cost})
        net, point = _cell_point(cell, None if steps is None else check_steps(
            steps, MAX_NOTES_STEPS), _cell_act(act), parameters, 1 if x is None else x,
            0 if h0 is None else h0, c0, 0 if y is None else y, seed)
        return cell_notes(net, point, _input_range(x), progress=progress)
    random_weights = arguments.flag(random_weights, "random_weights")
    arguments.only_for_a_cell({"steps": steps, "parameters": parameters, "h0": h0, "c0": c0,
                               "progress": None if random_weights else progress})
    arguments.chain_or_net(depth, widths)
    if widths is not None:
        arguments.only_for_a_chain({"depth": depth, "residual": residual, "highway": highway,
                                    "p": p, "q": q, "z": z, "w": w, "b": b},
                                   f" (a net's values come from {_o('init')}, {_o('x')} and {_o('y')})")
        if random_weights:
            raise SymgradError("The random-weights sections are for chains (give --depth).")
        net = MatrixNet(widths, act, cost)
        check_derivable(net)  # (before any evaluation: notes write a net's entries out)
        evaluation = None
        if init is not None:
            evaluation = evaluate_net(net.widths, net.activation, init=init, seed=seed, x=1 if x is None
                                      else x, y=0 if y is None else y, cost=cost, dps=NOTES_DPS)
        elif x is not None or y is not None or seed is not None:
            raise SymgradError(f"{_o('x')}, {_o('y')} and {_o('seed')} give a net's values with "
                               f"{_o('init')}; add it.")
        return net_notes(net, evaluation)
    chain = ScalarChain(check_depth(depth, MAX_NOTES_DEPTH), act, residual=residual,
                        highway=highway, cost=cost)
    arguments.only_for_a_net({"init": init, "seed": seed})
    if x is None and z is None and (b is not None or y is not None):
        raise SymgradError(f"{_o('b')} and {_o('y')} need the input {_o('x')} (or give {_o('z')}).")
    settings = _settings(chain, 1 if w is None else w, p, q)
    point = None if x is None and z is None else \
        _chain_point(chain.depth, 1 if w is None else w, b=b, x=x, y=y, z=z,
                     own=_own_parameters(chain, {"p": p, "q": q}))
    return chain_notes(chain, settings, point, with_random_weights=random_weights,
                       progress=progress)


@_bounded
def meanfield(act: Act = "tanh", *, sigma_w2=1, sigma_b2=0, depth: int = 1,
              dps: int = MEANFIELD_DPS) -> MeanFieldResult:
    """Random weights N(0, σ_w²/n), biases N(0, σ_b²): the fixed point q*, χ1, ξ, the
    regime and χ1^depth, each to ``dps`` digits (numbers read exactly: "0.05", "1/3")."""
    from symgrad.analysis.meanfield import mean_field

    activation = ScalarChain(1, act).activation
    return mean_field(activation, sigma_w2, sigma_b2, check_depth(depth, MAX_DEPTH),
                      arguments.digits(dps, MAX_MEANFIELD_DPS))


@_bounded
def critical(act: Act = "tanh", *, sigma_b2=0, dps: int = MEANFIELD_DPS) -> CriticalLine:
    """The σ_w² with χ1 = 1 (and q* there) for σ_b², or for each of a list of σ_b²."""
    from symgrad.analysis.meanfield import critical_line

    activation = ScalarChain(1, act).activation
    if hasattr(sigma_b2, "tolist") and getattr(sigma_b2, "ndim", 0) >= 1:  # a NumPy array
        sigma_b2 = sigma_b2.tolist()
    values = list(sigma_b2) if isinstance(sigma_b2, (list, tuple)) else [sigma_b2]
    if not values:
        raise SymgradError("Give at least one σ_b².")
    return critical_line(activation, values, arguments.digits(dps, MAX_MEANFIELD_DPS))


@_bounded
def spectrum(depth: int = 1, act: Act = "tanh", *, sigma_w2=1, sigma_b2=0,
             weights: str = "orthogonal", dps: int = MEANFIELD_DPS, moments: int = 4,
             grid: int = 200, at=(), width: int | None = None, samples: int = 20,
             seed: int = 0, progress: Callable[[int], None] | None = None,
             also_depths=()) -> Spectrum:
    """The spectrum of a wide random net's input–output Jacobian at the mean-field fixed
    point (free probability): the moments of JJᵀ, its spread σ², the largest squared
    singular value and its growth with depth, the verdict (isometric or not), the density
    on ``grid`` points and at the points ``at``, and at ``also_depths`` (up to four
    smaller depths, drawn beside it); with a ``width``, ``samples`` nets of that width
    drawn from ``seed`` beside it (``progress(n)``: n more steps of
    ``symgrad.analysis.spectrum.spectrum_work`` done: grid points and nets)."""
    from symgrad.analysis.spectrum import spectrum as limiting_spectrum

    activation = ScalarChain(1, act).activation
    depth = check_depth(depth, MAX_DEPTH)
    if width is not None:
        width = arguments.whole(width, "The width")
    samples = arguments.whole(samples, "The number of samples")
    seed = arguments.seed(seed)
    arguments.callback(progress)
    empty = at is None or (isinstance(at, (list, tuple)) and not at)
    points = () if empty else listed(at, "point of the density")
    shallower = () if also_depths is None else \
        arguments.wholes(also_depths, arguments.option("also_depths"))
    return limiting_spectrum(activation, sigma_w2, sigma_b2, depth, weights,
                             arguments.digits(dps, MAX_MEANFIELD_DPS),
                             arguments.whole(moments, "The number of moments"),
                             arguments.whole(grid, "The number of grid points"), points,
                             width, samples, seed, progress, shallower)


def sample(depth: int, act: Act = "tanh", *, sigma_w2=1, sigma_b2=0, width: int = 1,
           samples: int = 1000, seed: int = 0,
           progress: Callable[[int], None] | None = None) -> GradientSample:
    """``samples`` random nets (scalar chains for width 1): the spread of
    log10 |∂C/∂a^0| / |∂C/∂a^L| beside mean field's χ1^depth. ``progress(n)``: n more of
    the 2 × depth × samples sample-layers done."""
    from symgrad.analysis.sampling import check_sample_size, sample_gradients

    activation = ScalarChain(1, act).activation
    depth = check_depth(depth, MAX_DEPTH)
    width = arguments.whole(width, "The width")
    count = arguments.whole(samples, "The number of samples")
    seed = arguments.seed(seed)
    check_sample_size(depth, width, count, seed)
    return sample_gradients(activation, depth, sigma_w2, sigma_b2, width, count, seed, progress=progress)


def verify(claim: str | None = None, target: str | None = None, *, depth: int | None = None,
           widths: Sequence[int] | None = None, act: Act = DEFAULT_ACT,
           residual: bool = False, tied: bool = False, highway: bool = False,
           cost: str = "quadratic", seed: int = 0, cell: str | None = None,
           steps: int | None = None) -> Verdict:
    """Whether a hand-derived ``claim`` (text, read safely) is the chain's (``depth``) or a
    small net's (``widths``) ``target``: ``verdict.correct``, and if not the ratio
    claim/true, what the claim equals instead, a counterexample and the correct formula.
    ``cell`` (rnn, lstm, gru) with ``steps`` (1 to MAX_VERIFY_STEPS): a recurrent cell
    instead, targets grad_<parameter> and grad_h0 (the lstm's grad_c0); ``act``: the rnn's
    σ (default tanh)."""
    from symgrad.verify import MAX_VERIFY_DEPTH, cell_targets, verify_steps
    from symgrad.verify import verify as check_claim

    if cell is not None:
        residual, tied = arguments.flag(residual, "residual"), arguments.flag(tied, "tied")
        highway = arguments.flag(highway, "highway")
        arguments.not_for_a_cell({"depth": depth, "widths": widths, "residual": residual,
                                  "tied": tied, "highway": highway,
                                  "cost": None if cost == "quadratic" else cost})
        if steps is None:
            raise SymgradError(f"Give the number of steps with {_o('steps')}.")
        spec = RecurrentNet(cell, verify_steps(steps), _cell_act(act))
        if target is None:
            raise SymgradError(f"Give what the claim is with {_o('target')}: "
                               f"{cell_targets(spec)}.")
        if claim is None:
            raise SymgradError(f"Give the formula to check with {_o('claim')}.")
        return check_claim(spec, arguments.text(target, "target").strip(),
                           arguments.text(claim, "claim"), arguments.seed(seed))
    arguments.only_for_a_cell({"steps": steps})
    arguments.chain_or_net(depth, widths)
    if widths is not None:
        arguments.only_for_a_chain({"depth": depth, "residual": residual, "tied": tied,
                                    "highway": highway})
    if target is None:
        raise SymgradError(f"Give what the claim is with {_o('target')}: delta<l>, grad_w<l>, "
                           + ("grad_b<l>, grad_p<l>, grad_q<l>" if highway is True else "grad_b<l>")
                           + " or input_gradient.")
    if claim is None:
        raise SymgradError(f"Give the formula to check with {_o('claim')}.")
    if widths is not None:
        spec = MatrixNet(widths, act, cost)
    else:
        spec = ScalarChain(check_depth(depth, MAX_VERIFY_DEPTH), act, residual=residual, tied=tied,
                           highway=highway, cost=cost)
    return check_claim(spec, arguments.text(target, "target").strip(), arguments.text(claim, "claim"),
                       arguments.seed(seed))


@_bounded
def acts(*specs: str) -> ActivationTable:
    """The activation table (formula, derivative, sup/inf of the derivative) of the library,
    or of the named activations and formulas."""
    if not specs:
        return activation_table()
    return activation_table(tuple(arguments.text(spec, "Each activation") for spec in specs))


__all__ = ["acts", "bounds", "critical", "derive", "derive_net", "evaluate", "evaluate_net",
           "meanfield", "notes", "region", "sample", "verify"]
