"""JSON as in its contract, docs/json.md (a schema per command in docs/schemas/): one object,
expressions as SymPy-parsable strings."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import singledispatch

import mpmath
import sympy

from symgrad.activations import ActivationTable
from symgrad.analysis.bounds import GainBounds
from symgrad.analysis.cell_bounds import CellBounds
from symgrad.analysis.meanfield import CriticalLine, CriticalPoint, FixedPoint, MeanFieldResult
from symgrad.analysis.region import GainRegion, Span, WidestRegion
from symgrad.analysis.sampling import PREDICTION_DPS, GradientSample
from symgrad.analysis.spectrum import GRID_DIGITS, Spectrum
from symgrad.derive.chain import ChainDerivation, Equation
from symgrad.derive.matrix import MatrixDerivation
from symgrad.derive.recurrent import CellDerivation, concrete_form, final_gradients
from symgrad.digits import LOG10_DIGITS
from symgrad.extrema import Extremum
from symgrad.layers.step import parameter_symbol
from symgrad.numeric.evaluate import ChainEvaluation, LayerValues
from symgrad.numeric.matrix_net import NetEvaluation, NetLayer
from symgrad.numeric.real import (
    decimal,
    exact_text,
    interval_ends,
    is_enclosure,
    log10_abs,
    log10_decimal,
)
from symgrad.numeric.recurrent import CellEvaluation
from symgrad.parallel import in_order
from symgrad.render.bounds_documents import bounds_verdict
from symgrad.render.cell_documents import cell_bounds_verdict
from symgrad.render.printing import TextPrinter, count_rendered, plain


@singledispatch
def json_object(result) -> dict:
    """A result's JSON object, by its type (``json_object.register``)."""
    raise TypeError(f"No JSON form for {type(result).__name__}: register one.")


def json_chunks(result) -> Iterator[str]:
    """The JSON text in pieces. A value that is an iterator (the layers of a deep
    evaluation) is written item by item, so it never sits in memory whole."""
    data = json_object(result)
    last = len(data) - 1
    yield "{\n"
    for number, (key, value) in enumerate(data.items()):
        yield f"  {json.dumps(key)}: "
        if isinstance(value, Rows):
            opened = False
            texts = in_order(value.text, value.bounds, sum(hi - lo for lo, hi in value.bounds))
            for (lo, hi), text in zip(value.bounds, texts):
                yield (",\n    " if opened else "[\n    ") + text
                count_rendered(hi - lo)
                opened = True
            yield "\n  ]" if opened else "[]"
        elif isinstance(value, Iterator):
            opened = False
            for item in value:
                yield (",\n    " if opened else "[\n    ") + _dumps(item, "    ")
                count_rendered(1)
                opened = True
            yield "\n  ]" if opened else "[]"
        else:
            yield _dumps(value, "  ")
        yield ",\n" if number < last else "\n"
    yield "}\n"


def _exact(value) -> str:
    """An exact number as SymPy-parsable text however long (10**5000, not a ValueError);
    anything else as str()."""
    if isinstance(value, (int, sympy.Rational)) and not isinstance(value, bool):
        return exact_text(value, "plain")
    return str(value)


@dataclass(frozen=True)
class Rows:
    """A long JSON array made in chunks: ``items((lo, hi))``, items lo to hi - 1, for each
    (lo, hi) of ``bounds``. ``json_chunks`` writes the chunks in worker processes where
    they help (``parallel.in_order``); iterating gives the items here, in order."""

    bounds: list[tuple[int, int]]
    items: Callable[[tuple[int, int]], Iterable[dict]]

    def __iter__(self) -> Iterator[dict]:
        for bounds in self.bounds:
            yield from self.items(bounds)

    def text(self, bounds: tuple[int, int]) -> str:
        """The chunk's items as they stand in the array, between its first "[" and "]"."""
        return ",\n    ".join(_dumps(item, "    ") for item in self.items(bounds))


_STRING = json.encoder.encode_basestring  # a string as json.dumps writes it (C), non-ASCII kept
_CONSTANTS = {None: "null", True: "true", False: "false"}
_KEYS: dict[str, str] = {}  # keys as written, '"key": ', the first _KEYS_KEPT met (the
_KEYS_KEPT = 4096  # schemas' names; a cell's per-step names, h_1 ... h_T, fill it no further)


def _dumps(value, indent: str) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` with ``indent`` before each line
    but the first, the same text written directly: json's indenting encoder is pure
    Python, a generator per value (several seconds for 10^5 layers). Dicts with string
    keys, lists, tuples, strings, ints, None and booleans are written here; anything else
    (a float, a key that is no string) by json.dumps."""
    kind = type(value)
    if kind is str:
        return _STRING(value)
    if kind is dict and value:
        inner, members = indent + "  ", []
        for key, item in value.items():
            if type(key) is not str:
                break
            written = _KEYS.get(key)
            if written is None:
                written = _STRING(key) + ": "
                if len(_KEYS) < _KEYS_KEPT:
                    _KEYS[key] = written
            members.append(written + (_STRING(item) if type(item) is str else _dumps(item, inner)))
        else:
            return "{\n" + inner + (",\n" + inner).join(members) + "\n" + indent + "}"
    elif kind is dict:
        return "{}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = indent + "  "
        return "[\n" + inner + (",\n" + inner).join([_dumps(item, inner) for item in value]) \
            + "\n" + indent + "]"
    if kind is int:
        return int.__repr__(value)
    if value is None or kind is bool:
        return _CONSTANTS[value]
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)


def _equation(equation: Equation, printed=plain) -> dict:
    """An equation as JSON; ``printed``: how its sides print (a cell's parameters by their
    plain names)."""
    entry = {"lhs": printed(equation.lhs), "rhs": printed(equation.rhs)}
    if equation.concrete is not None:
        entry["concrete"] = printed(equation.concrete)
    if equation.index_range is not None:
        index, first, last = equation.index_range
        entry["range"] = {"index": plain(index), "from": plain(first), "to": plain(last)}
    return entry


def printed_expressions(derivation: ChainDerivation) -> list:
    """The expressions the JSON of ``derivation`` prints that hold products (what
    ``print_work`` counts): its equations, each written-out layer's δ (concrete and
    abstract) and ∂C/∂w, and ∂C/∂a_0."""
    concrete = derivation.concrete
    expressions = [side for group in (derivation.forward, derivation.recursion,
                                      derivation.closed_form, derivation.tied_totals)
                   for e in group for side in (e.lhs, e.rhs, e.concrete) if side is not None]
    for gradient in derivation.layers:
        expressions += [concrete(gradient.delta), concrete(gradient.grad_w), gradient.delta]
    if derivation.input_gradient is not None:
        expressions += [concrete(derivation.input_gradient), derivation.input_gradient]
    return expressions


@json_object.register
def _(derivation: ChainDerivation) -> dict:
    chain = derivation.chain
    activation = chain.activation
    concrete = derivation.concrete
    layers = []
    for gradient in derivation.layers:
        delta_text = plain(concrete(gradient.delta))  # ∂C/∂b_l is δ_l: printed once
        layers.append({
            "layer": gradient.layer,
            "delta": delta_text,
            "grad_w": plain(concrete(gradient.grad_w)),
            "grad_b": delta_text,
            "delta_abstract": plain(gradient.delta),
            **{f"grad_{name}": plain(concrete(product))
               for name, (_, product) in zip(chain.layer.parameters, gradient.own)},
        })
    result = {
        "command": "derive",
        "depth": chain.depth if chain.depth else "L",
        "activation": activation.name,
        "cost": chain.cost,
        "layer": chain.layer.name,
        "residual": chain.residual,
        "highway": chain.highway,
        "tied": chain.tied,
        "activation_formula": plain(activation.expr),
        "activation_derivative": plain(activation.derivative),
        "activation_derivative_through_output": (
            plain(activation.derivative_through_output)
            if activation.derivative_through_output is not None else None
        ),
        "forward": [_equation(e) for e in derivation.forward],
        "recursion": [_equation(e) for e in derivation.recursion],
        "closed_form": [_equation(e) for e in derivation.closed_form],
        "layers": layers,
    }
    if derivation.input_gradient is not None:
        result["input_gradient"] = plain(concrete(derivation.input_gradient))
        result["input_gradient_abstract"] = plain(derivation.input_gradient)
    if derivation.tied_totals:
        result["tied_totals"] = [_equation(e) for e in derivation.tied_totals]
    return result


@json_object.register
def _(derivation: MatrixDerivation) -> dict:
    net = derivation.net
    widths, depth = net.widths, net.depth
    concrete_delta = {e.lhs.args: plain(derivation.concrete(e.rhs))
                      for e in derivation.output_errors + derivation.recursion}
    layers = [
        {
            "layer": layer,
            "delta": [concrete_delta[layer, j] for j in range(1, widths[layer] + 1)],
            "grad_w": [[f"a_{layer - 1}_{k}*delta_{layer}_{j}" for k in range(1, widths[layer - 1] + 1)]
                       for j in range(1, widths[layer] + 1)],
            "grad_b": [f"delta_{layer}_{j}" for j in range(1, widths[layer] + 1)],
        }
        for layer in range(1, depth + 1)
    ]
    return {
        "command": "derive",
        "widths": list(widths),
        "depth": depth,
        "activation": net.activation.name,
        "cost": net.cost,
        "activation_formula": plain(net.activation.expr),
        "activation_derivative": plain(net.activation.derivative),
        "forward": [_equation(e) for e in derivation.forward],
        "output_errors": [_equation(e) for e in derivation.output_errors],
        "recursion": [_equation(e) for e in derivation.recursion],
        "gradients": [_equation(e) for e in derivation.gradients],
        "matrix_form": [_equation(e) for e in derivation.matrix_form],
        "general_form": [_equation(e) for e in derivation.general_form],
        "paths": [_equation(e) for e in derivation.paths],
        "layers": layers,
    }


def _extremum(extremum: Extremum) -> dict:
    return {
        "value": plain(extremum.value),
        "numeric": str(extremum.numeric),
        "attained": extremum.attained,
        "where": plain(extremum.where),
        "exact": extremum.exact,
    }


@json_object.register
def _(table: ActivationTable) -> dict:
    entries = []
    for activation in table.activations:
        through_output = activation.derivative_through_output
        entries.append(
            {
                "name": activation.name,
                "title": activation.title,
                "formula": plain(activation.expr),
                "derivative": plain(activation.derivative),
                "derivative_through_output": (
                    plain(through_output) if through_output is not None else None
                ),
                "sup_derivative": plain(activation.derivative_sup.value),
                "inf_derivative": plain(activation.derivative_inf.value),
                "sup": _extremum(activation.derivative_sup),
                "inf": _extremum(activation.derivative_inf),
                "jumps": [plain(place) for place in activation.jumps],
            }
        )
    return {"command": "acts", "activations": entries}


def _number(value, dps: int):
    """A decimal string; an enclosure as {"lo": ..., "hi": ...} with its ends rounded outwards."""
    if is_enclosure(value):
        low, high = interval_ends(value, dps)
        return {"lo": low, "hi": high}
    return decimal(value, dps)


def _log10_number(value):
    """log10|value| to LOG10_DIGITS digits, as ``_number`` writes it."""
    if is_enclosure(value):
        return _number(log10_abs(value), LOG10_DIGITS)
    return log10_decimal(value, LOG10_DIGITS)


def _magnitude(entry: dict, key: str, value, dps: int) -> None:
    entry[key] = _number(value, dps)
    entry[f"log10_abs_{key}"] = _log10_number(value)


_LAYER_MAGNITUDES = tuple((name, f"log10_abs_{name}") for name in ("act_prime", "gain", "delta", "grad_w"))


def _layer(values: LayerValues, dps: int) -> dict:
    entry = {"layer": values.layer, "z": _number(values.z, dps)}
    if values.a is not None:
        entry["a"] = _number(values.a, dps)
    for name, value in values.gates.items():  # a highway's t_l
        entry[name] = _number(value, dps)
    for name, log_name in _LAYER_MAGNITUDES:  # (_magnitude's, its keys made once)
        value = getattr(values, name)
        entry[name], entry[log_name] = _number(value, dps), _log10_number(value)
    entry["grad_b"], entry["log10_abs_grad_b"] = entry["delta"], entry["log10_abs_delta"]
    for name, value in values.own_gradients.items():  # a highway's ∂C/∂p_l, ∂C/∂q_l
        _magnitude(entry, f"grad_{name}", value, dps)
    return entry


@json_object.register
def _(evaluation: ChainEvaluation) -> dict:
    chain, point, dps = evaluation.chain, evaluation.point, evaluation.dps
    data = {
        "command": "eval",
        "depth": evaluation.depth,
        "activation": chain.activation.name,
        "cost": None if point.gain_mode else chain.cost,
        "layer": chain.layer.name,
        "residual": chain.residual,
        "highway": chain.highway,
        "tied": chain.tied,
        "dps": dps,
        "mode": "gain" if point.gain_mode else "forward",
        "interval": evaluation.interval,
        "certified": evaluation.uncertified is None,
        "uncertified_because": evaluation.uncertified and evaluation.uncertified.words,
        "layers": Rows(evaluation.chunks(), lambda bounds: (
            _layer(values, dps) for values in evaluation.layers(*bounds))),
    }
    _magnitude(data, "input_gradient", evaluation.input_gradient, dps)
    _magnitude(data, "output_gradient", evaluation.output_gradient, dps)
    data["cost_value"] = _number(evaluation.cost, dps)
    if evaluation.grad_w_total is not None:
        _magnitude(data, "grad_w_total", evaluation.grad_w_total, dps)
    data["floats"] = {
        breakdown.format: {"first_failure_layer": breakdown.layer, "failure": breakdown.what,
                           "cause": None if breakdown.cause is None else
                           dict(zip(("quantity", "layer", "kind"), breakdown.cause)),
                           "message": breakdown.words,
                           "input_gradient": repr(breakdown.input_gradient)}
        for breakdown in evaluation.floats
    }
    return data


def _expression(value: sympy.Expr, dps: int) -> dict:
    """An exact value as SymPy text beside its decimal."""
    return {"exact": plain(value), "decimal": decimal(value, dps)}


def _layer_factor(bounds: GainBounds, factor) -> dict:
    """One setting's factor range: its weight (and a highway's p, q), the bounds, and each
    gate's range."""
    dps = bounds.dps
    entry = {"weight": _exact(factor.weight)}
    entry.update({name: _exact(value) for name, value in
                  zip(bounds.chain.layer.parameters, factor.setting[1:])})
    entry.update({"lower": _expression(factor.lower, dps), "upper": _expression(factor.upper, dps)})
    if factor.gates:
        entry["gates"] = {name: {"lower": _expression(low, dps), "upper": _expression(high, dps)}
                          for name, low, high in factor.gates}
    return entry


def verdict_text(bounds: GainBounds) -> str:
    """The bounds' verdict as Unicode text (the terminal's words)."""
    return bounds_verdict(bounds).printed(str, TextPrinter().doprint)


@json_object.register
def _(bounds: GainBounds) -> dict:
    chain, dps = bounds.chain, bounds.dps
    derivative = bounds.derivative
    data = {
        "command": "bounds",
        "depth": chain.depth,
        "activation": chain.activation.name,
        "residual": chain.residual,
        "dps": dps,
        "derivative_exact": derivative.exact,
        "inf_derivative": _expression(derivative.low, dps),
        "sup_derivative": _expression(derivative.high, dps),
        "sup_abs_derivative": _expression(derivative.abs_sup, dps),
        "layer_factors": [_layer_factor(bounds, f) for f in bounds.factors],
    }
    own = chain.layer.parameters
    data["layer"], data["highway"] = chain.layer.name, chain.highway
    if not bounds.uniform:
        data["weights"] = [_exact(w) for w in bounds.weights]
        data.update({name: [_exact(s[1 + i]) for s in bounds.settings]
                     for i, name in enumerate(own)})
    if bounds.reach is not None and all(v.is_finite for v in bounds.reach.values):
        # (the gain reads a_{l-1}: the inputs a_0 its bound is for)
        data["inputs"] = {"lower": _expression(bounds.reach.values[0], dps),
                          "upper": _expression(bounds.reach.values[1], dps)}
    data["bounded"] = bounds.bounded
    _magnitude(data, "upper_bound", bounds.upper, dps)
    _magnitude(data, "lower_bound", bounds.lower, dps)
    data["rate"] = decimal(bounds.rate, dps)
    data["regime"] = bounds.regime
    data["verdict"] = verdict_text(bounds)
    if not bounds.bounded:
        return data
    data["float_limits"] = {
        limit.format.name: {
            "largest": str(limit.format.largest),
            "smallest_subnormal": str(limit.format.smallest_subnormal),
            "overflow_depth": limit.overflow_depth,
            "underflow_depth": limit.underflow_depth,
        }
        for limit in bounds.float_limits
    }
    return data


def _span(span: Span, dps: int) -> dict:
    return {"from": decimal(span.low, dps), "to": decimal(span.high, dps),
            "from_open": span.left_open, "to_open": span.right_open}


def _region(region: GainRegion) -> dict:
    dps = region.dps
    return {
        "weight": decimal(region.weight, dps),
        "bias": _exact(region.bias),
        "status": region.status,
        "preactivation_intervals": [_span(s, dps) for s in region.intervals],
        "input_intervals": [_span(s, region.input_digits) for s in region.inputs],
        "width": decimal(region.width, dps),
        "input_width": decimal(region.input_width, dps),
    }


@json_object.register
def _(region: GainRegion) -> dict:
    return {"command": "region", "mode": "region", "activation": region.activation.name,
            "dps": region.dps, **_region(region)}


@json_object.register
def _(widest: WidestRegion) -> dict:
    dps = widest.dps
    return {
        "command": "region",
        "mode": "maximize",
        "activation": widest.activation.name,
        "dps": dps,
        "weight": decimal(widest.weight, dps),
        "input_width": "inf" if widest.weight is None else decimal(widest.input_width, dps),
        "unbounded_from": decimal(widest.unbounded_from, dps),
        "unbounded_at": widest.unbounded_at if widest.weight is None else None,
        "region": _region(widest.region) if widest.region is not None else None,
    }


def _numbers(values, dps: int) -> list:
    return [decimal(v, dps) for v in values]


def _net_layer(layer: NetLayer, dps: int) -> dict:
    entry = {
        "layer": layer.layer,
        "z": _numbers(layer.z, dps),
        "a": _numbers(layer.a, dps),
        "act_prime": _numbers(layer.act_prime, dps),
        "delta": _numbers(layer.delta, dps),
        "log10_abs_delta": [_log10_number(v) for v in layer.delta],
    }
    _magnitude(entry, "delta_norm", layer.delta_norm, dps)
    entry["grad_w"] = [_numbers(row, dps) for row in layer.grad_w]  # [j][k], 1-based in names
    entry["grad_b"] = entry["delta"]
    return entry


@json_object.register
def _(evaluation: NetEvaluation) -> dict:
    net, dps, spectrum = evaluation.net, evaluation.dps, evaluation.spectrum
    data = {
        "command": "eval",
        "widths": list(net.widths),
        "depth": net.depth,
        "activation": net.activation.name,
        "cost": net.cost,
        "dps": dps,
        "mode": "net",
        "arithmetic": evaluation.arithmetic,
        "parameters": evaluation.parameters.source,
        "x": [_exact(v) for v in evaluation.x],
        "y": [_exact(v) for v in evaluation.y],
        "layers": (_net_layer(layer, dps) for layer in evaluation.layers),
        "input_gradient": _numbers(evaluation.input_gradient, dps),
    }
    _magnitude(data, "input_gradient_norm", evaluation.input_gradient_norm, dps)
    data["cost_value"] = decimal(evaluation.cost, dps)
    data["jacobian"] = None if spectrum is None else _spectrum(spectrum, dps)
    data["spectrum_skipped"] = evaluation.spectrum_skipped
    return data


def _spectrum(spectrum, dps: int) -> dict:
    condition, resolved = spectrum.condition_number, spectrum.resolved
    # a value the working digits cannot tell from 0 is no number: null, with its bound;
    # then the condition number is only bounded below (σ_max / that bound)
    smallest_known = resolved[-1]
    return {
        "singular_values": [decimal(v, dps) if known else None
                            for v, known in zip(spectrum.values, resolved)],
        "resolved": list(resolved),
        "unresolved_below": decimal(spectrum.floor, 6),
        "spectral_norm": decimal(spectrum.spectral_norm, dps),
        "condition_number": None if not smallest_known else
        "inf" if mpmath.isinf(condition) else decimal(condition, dps),
        "condition_number_at_least": None if smallest_known or not spectrum.floor else
        decimal(spectrum.values[0] / spectrum.floor, 6),
        "weight_norms": [decimal(v, min(dps, 15)) for v in spectrum.weight_norms],
        "sup_abs_derivative": decimal(spectrum.sup_derivative, min(dps, 15)),
        "bound": decimal(spectrum.bound, min(dps, 15)),
        "working_dps": spectrum.working_dps,
    }


def _fixed_point(point: FixedPoint, dps: int) -> dict:
    return {"kind": point.kind, "q": None if point.q is None else decimal(point.q, dps)}


@json_object.register
def _(result: MeanFieldResult) -> dict:
    dps, scale = result.dps, result.depth_scale
    return {
        "command": "meanfield",
        "activation": result.activation.name,
        "sigma_w2": _exact(result.sigma_w2),
        "sigma_b2": _exact(result.sigma_b2),
        "depth": result.depth,
        "dps": dps,
        "fixed_point": _fixed_point(result.fixed, dps),
        "chi1": decimal(result.chi, dps),
        "regime": result.regime,
        "depth_scale": "inf" if mpmath.isinf(scale) else decimal(scale, dps),
        "gradient_ratio": decimal(result.gradient_ratio, dps),
        "log10_gradient_ratio": _number(result.log10_gradient_ratio, LOG10_DIGITS),
    }




def _exact_or_decimal(value, dps: int) -> str:
    """A rational as exact text (relu's moments), any other number to ``dps`` digits."""
    if isinstance(value, (int, sympy.Rational)) and not isinstance(value, bool):
        return _exact(value)
    return decimal(value, dps)


@json_object.register
def _(result: Spectrum) -> dict:
    dps, field, sampled = result.dps, result.mean_field, result.sampled
    samples = None
    if sampled is not None:
        def estimate(found):
            return {"value": _float(found.value), "standard_error": _float(found.error)}
        hanin, histogram = result.hanin, result.sampled_histogram()
        samples = {
            "width": sampled.width, "samples": sampled.samples, "seed": sampled.seed,
            "moments": [estimate(sampled.moment(k)) for k in range(1, len(result.moments) + 1)],
            "fourth_moment_ratio": estimate(sampled.fourth_moment_ratio()),
            "fourth_moment_effective_samples": _float(sampled.fourth_moment_effective_samples()),
            "hanin_prediction": None if hanin is None else _float(hanin),
            "histogram": {"edges": [_float(e) for e in histogram.edges],
                          "density": [_float(d) for d in histogram.density],
                          "at_zero": _float(histogram.at_zero),
                          "below": _float(histogram.below),
                          "beyond": _float(histogram.beyond)},
        }
    return {
        "command": "spectrum",
        "activation": result.activation.name,
        "sigma_w2": _exact(field.sigma_w2),
        "sigma_b2": _exact(field.sigma_b2),
        "depth": result.depth,
        "weights": result.weights,
        "dps": dps,
        "fixed_point": _fixed_point(field.fixed, dps),
        "chi1": decimal(field.chi, dps),
        "slope_moments": [_exact_or_decimal(m, dps) for m in result.slope_moments],
        "moments": [_exact_or_decimal(m, dps) for m in result.moments],
        "variance": _exact_or_decimal(result.variance, dps),
        "variance_per_layer": _exact_or_decimal(result.spread_per_layer, dps),
        "verdict": result.verdict,
        "isometric_depth": None if result.isometric_depth is None
        else _exact_or_decimal(result.isometric_depth, dps),
        "support": {"atom_at_zero": _exact(result.atom_at_zero),
                    "right_edge": decimal(result.right_edge, dps),
                    "right_edge_is_bound": result.depth in result.bounded_edges,
                    "atoms": [{"lambda": _exact(lam), "mass": _exact(mass)}
                              for lam, mass in result.atoms]},
        "edge_growth": [{"depth": d, "right_edge": decimal(edge, GRID_DIGITS),
                         "is_bound": d in result.bounded_edges}
                        for d, edge in result.edge_growth],
        "density_grid": "log" if result.log_grid else "linear",
        "density": _density_pairs(result.density),
        "density_at_depths": [{"depth": d, "density": _density_pairs(density)}
                              for d, density in result.shallower],
        "density_at": [{"lambda": _exact(lam), "density": decimal(rho, dps)}
                       for lam, rho in result.points],
        "samples": samples,
    }


@json_object.register
def _(line: CriticalLine) -> dict:
    def point(p: CriticalPoint) -> dict:
        return {"sigma_b2": _exact(p.sigma_b2), "kind": p.kind,
                "sigma_w2": None if p.sigma_w2 is None else decimal(p.sigma_w2, line.dps),
                "q": None if p.q is None else decimal(p.q, line.dps)}

    return {"command": "critical", "activation": line.activation.name, "dps": line.dps,
            "points": [point(p) for p in line.points]}


def _density_pairs(density) -> list:
    return [[decimal(lam, GRID_DIGITS),
             None if rho is None else decimal(rho, GRID_DIGITS)] for lam, rho in density]


def _float(value: float) -> float | str | None:
    """A float for JSON (which has no inf or nan): -inf as "-inf", nan as null."""
    if math.isnan(value):
        return None
    return value if math.isfinite(value) else ("-inf" if value < 0 else "inf")


@json_object.register
def _(sample: GradientSample) -> dict:
    counts, edges = sample.histogram
    prediction = sample.prediction
    return {
        "command": "sample",
        "activation": sample.activation.name,
        "depth": sample.depth,
        "width": sample.width,
        "samples": sample.samples,
        "seed": sample.seed,
        "sigma_w2": _exact(sample.sigma_w2),
        "sigma_b2": _exact(sample.sigma_b2),
        "input_variance": sample.input_variance,
        "log10_ratio": {"mean": _float(sample.mean), "std": _float(sample.std),
                        "quantiles": {f"{p:g}": _float(v) for p, v in sample.quantiles}},
        "within_tenfold": sample.within_tenfold,
        "zero_fraction": sample.zero_fraction,
        "log10_mean_square": _float(sample.log10_mean_square),
        "mean_square_relative_standard_error": _float(sample.mean_square_standard_error),
        "prediction": {"chi1": decimal(prediction.chi, PREDICTION_DPS),
                       "regime": prediction.regime,
                       "fixed_point": _fixed_point(prediction.fixed, PREDICTION_DPS),
                       "log10_gradient_ratio": _float(float(prediction.log10_gradient_ratio))},
        "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        "rescued": sample.rescued,
        "log10_ratios": [_float(float(v)) for v in sample.log10_ratios],
    }


def cell_plain(kind, expr) -> str:
    """A cell's expression in plain names: the parameters as wf, not w_f."""
    names = {parameter_symbol(p): sympy.Symbol(p, real=True) for p in kind.parameters}
    return plain(expr.xreplace(names) if isinstance(expr, sympy.Basic) else expr)


def _cell_equation(kind, net, equation: Equation) -> dict:
    concrete = concrete_form(net, equation.rhs)
    return _equation(replace(equation, concrete=concrete if concrete != equation.rhs else None),
                     lambda expr: cell_plain(kind, expr))


def _cell_header(command: str, net) -> dict:
    kind = net.cell
    return {"command": command, "cell": kind.name,
            "T": net.steps if net.steps else "T",
            "activation": net.activation.name if net.activation is not None else None,
            "state": list(kind.state), "parameters": list(kind.parameters),
            "cost": "quadratic"}


@json_object.register
def _(derivation: CellDerivation) -> dict:
    net, kind = derivation.net, derivation.kind

    def equations(group):
        return [_cell_equation(kind, net, e) for e in group]

    data = _cell_header("derive", net)
    data.update({
        "forward": equations(derivation.forward),
        "jacobian": equations(derivation.jacobian),
        "recursion": equations(derivation.recursion),
        "parameter_gradients": equations(derivation.parameter_gradients),
        "closed_form": equations(derivation.closed_form),
    })
    if derivation.steps:
        data["gradients"] = {name: cell_plain(kind, concrete_form(net, expr))
                             for name, expr in derivation.gradients}
        data["steps"] = [{
            "t": step.t,
            "quantities": {plain(e.lhs): cell_plain(kind, concrete_form(net, e.rhs))
                           for e in step.quantities},
            "jacobian": {plain(e.lhs): cell_plain(kind, concrete_form(net, e.rhs))
                         for e in step.jacobian},
            "backward": {plain(e.lhs): cell_plain(kind, concrete_form(net, e.rhs))
                         for e in step.backward},
        } for step in derivation.steps]
        data["final"] = {plain(e.lhs): cell_plain(kind, e.rhs)
                         for e in final_gradients(derivation.net)}
    return data


@json_object.register
def _(evaluation: CellEvaluation) -> dict:
    net, dps, point = evaluation.net, evaluation.dps, evaluation.point
    data = _cell_header("eval", net)
    data.update({
        "dps": dps,
        "interval": evaluation.interval,
        "certified": evaluation.uncertified is None,
        "uncertified_because": evaluation.uncertified and evaluation.uncertified.words,
        "parameter_values": {name: _exact(value) for name, value in point.parameters},
        "inputs": [_exact(x) for x in point.inputs],
        "initial": {name: _exact(value) for name, value in point.initial},
        "y": _exact(point.target),
    })
    _magnitude(data, "cost_value", evaluation.cost, dps)
    data["gradients"] = {name: _number(value, dps) for name, value in evaluation.gradients}
    data["log10_abs_gradients"] = {name: _log10_number(value) for name, value in evaluation.gradients}
    data["initial_gradients"] = {name: _number(value, dps)
                                 for name, value in evaluation.initial_gradients}

    def step(values) -> dict:
        entry = {"t": values.t}
        entry.update({name: _number(value, dps) for name, value in values.quantities})
        for name, value in values.state_gradients:
            _magnitude(entry, f"dC_d{name}", value, dps)
        entry["jacobian"] = [[_number(v, dps) for v in row] for row in values.jacobian]
        _magnitude(entry, "jacobian_norm", values.norm, dps)
        if values.carousel is not None:
            _magnitude(entry, "carousel", values.carousel, dps)
        return entry

    data["steps"] = (step(values) for values in evaluation.steps)
    return data


@json_object.register
def _(bounds: CellBounds) -> dict:
    net, dps, point = bounds.net, bounds.dps, bounds.point
    data = _cell_header("bounds", net)
    data.update({
        "dps": dps,
        "parameter_values": {name: _exact(value) for name, value in point.parameters},
        "inputs": {"lower": _exact(bounds.inputs[0]), "upper": _exact(bounds.inputs[1])},
        "initial": {name: _exact(value) for name, value in point.initial},
        "states": None if bounds.box is None else {name: _range(low, high, dps)
                                                   for name, low, high in bounds.box},
    })

    def step(bound, steps: str) -> dict:
        return {"steps": steps, "jacobian_norm_upper": decimal(bound.norm, dps, "up"),
                "least_singular_value_lower": decimal(bound.least, dps, "down"),
                "gates": {name: _range(low, high, dps) for name, low, high in bound.gates},
                "whole_activation_range": bound.whole_range}

    spans = ["1", f"2..{bounds.steps}" if bounds.steps > 2 else "2"]
    data["step_bounds"] = [step(b, span) for b, span in zip(bounds.bounds, spans)]
    data["upper_bound"] = decimal(bounds.upper, dps, "up")
    data["log10_abs_upper_bound"] = decimal(bounds.log10_upper, LOG10_DIGITS, "up")
    data["lower_bound"] = decimal(bounds.lower, dps, "down")
    data["log10_abs_lower_bound"] = decimal(bounds.log10_lower, LOG10_DIGITS, "down")
    if bounds.carousel is not None:
        data["carousel"] = {"gate": net.cell.carousel_gate,
                            **_range(*bounds.carousel, dps)}
    data["regime"] = bounds.regime
    data["verdict"] = cell_verdict_text(bounds)
    return data


def _range(low, high, dps: int) -> dict:
    """A range's ends as decimals rounded outward: the range printed holds the one found."""
    return {"lower": decimal(low, dps, "down"), "upper": decimal(high, dps, "up")}


def cell_verdict_text(bounds: CellBounds) -> str:
    return cell_bounds_verdict(bounds).printed(str, TextPrinter().doprint)
