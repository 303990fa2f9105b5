"""A matrix net's weights and biases: drawn by a named initialisation, or read from JSON.

Initialisations (biases are 0; ``scale`` multiplies every weight; n_in = n_{l-1},
n_out = n_l):

    normal      w ~ N(0, 1)
    xavier      w ~ N(0, 2 / (n_in + n_out))      (Glorot & Bengio 2010, normal form)
    he          w ~ N(0, 2 / n_in)                (He et al. 2015)
    orthogonal  W = Q from the QR factorisation of a N(0, 1) matrix, the signs of
                R's diagonal moved into Q (Saxe et al. 2014): orthonormal rows or
                columns, to the working precision (and that Q to it)

Draws come from numpy's PCG64 generator seeded with ``seed``, layer by layer, so a
seed gives the same net on every machine; a float64 draw is then an exact binary
rational. A drawn matrix is held as a ``DrawnMatrix``: exact binary numbers rounded at
the working precision (dps + 10 digits), kept as a FLINT ball matrix of radius 0, read
as rows of MPFR numbers. The JSON file holds ``{"weights": [W^1, ..., W^L], "biases": [b^1, ...,
b^L]}`` with W^l a list of n_l rows of n_{l-1} numbers (numbers or decimal strings,
read exactly); ``biases`` may be left out (zeros).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import mpmath
import numpy
import sympy
from flint import arb, arb_mat

from symgrad.errors import SymgradError
from symgrad.files import read_text
from symgrad.networks import INITS, MatrixNet
from symgrad.numbers import exact
from symgrad.numeric.balls import ball, float_matrix, midpoint, precision, quiet_blas
from symgrad.numeric.kinds import digits_to_bits
from symgrad.numeric.orthogonal import orthogonal_draws
from symgrad.numeric.real import exact_binary, exact_words
from symgrad.numeric.work import (
    Work,
    orthogonal_work,
)

MAX_FILE_BYTES = 50_000_000


class DrawnMatrix(Sequence):
    """A drawn weight matrix W ≈ ``factor`` · ``unit``: its exact entries as a FLINT ball
    matrix of radius 0 (``balls``), read as rows of MPFR numbers (made on first reading);
    ``unit``, float64, is for its spectral norm only."""

    def __init__(self, balls: arb_mat, unit: numpy.ndarray, factor: mpmath.mpf):
        self.balls, self.unit, self.factor = balls, unit, factor

    @cached_property
    def _rows(self) -> tuple:
        entries, columns = self.balls.entries(), self.balls.ncols()
        values = [midpoint(v) for v in entries]
        return tuple(tuple(values[r * columns:(r + 1) * columns])
                     for r in range(self.balls.nrows()))

    def __len__(self) -> int:
        return self.balls.nrows()

    def __getitem__(self, index):
        return self._rows[index]

    def __eq__(self, other) -> bool:
        if isinstance(other, DrawnMatrix):
            return self.balls.nrows() == other.balls.nrows() and \
                self.balls.ncols() == other.balls.ncols() and bool(self.balls == other.balls)
        return tuple(self) == tuple(other)

    __hash__ = None

    def spectral_norm(self) -> mpmath.mpf:
        """‖W‖₂ to float64's digits: ‖unit‖₂ (float64 SVD) times the factor."""
        with mpmath.workdps(30), quiet_blas():
            return mpmath.mpf(float(numpy.linalg.norm(self.unit, 2))) * self.factor


@dataclass(frozen=True)
class NetParameters:
    """W^l and b^l for l = 1..L (index l - 1): exact rationals, or mpmath/MPFR numbers a
    few digits beyond the precision asked."""

    weights: tuple[tuple[tuple[object, ...], ...], ...]
    biases: tuple[tuple[object, ...], ...]
    source: str  # how they were made, for the output
    # the same, for a document to word: the draw's initialisation, seed and scale, or the file
    init: str | None = None
    seed: int | None = None
    scale: object = 1
    path: str | None = None



def draw_parameters(net: MatrixNet, init: str, seed: int, scale=1, dps: int = 30,
                    work: Work | None = None) -> NetParameters:
    if init not in INITS:
        raise SymgradError(f"Unknown initialisation '{init}'; known ones are {', '.join(INITS)}.")
    scale = exact(scale, "scale")
    if scale <= 0:
        raise SymgradError(f"The scale multiplies every drawn weight and must be positive, "
                           f"not {scale}.")
    generator = numpy.random.Generator(numpy.random.PCG64(seed))
    work = work or Work()
    if init == "orthogonal":
        work.expect(sum(orthogonal_work(*net.shape(layer), dps + 10)
                        for layer in range(1, net.depth + 1)))
    draws = ((layer, generator.standard_normal(net.shape(layer)))
             for layer in range(1, net.depth + 1))
    if init == "orthogonal":
        factor = _mpmath(ball(scale))
        drawn = orthogonal_draws(((draw, f"drawing W^{layer}") for layer, draw in draws),
                                 scale, dps + 10, work)
        weights = [DrawnMatrix(q, unit, factor) for q, unit in drawn]
    else:
        weights = [_gaussian(draw, init, scale, digits_to_bits(dps + 10)) for _, draw in draws]
    biases = tuple((sympy.Integer(0),) * width for width in net.widths[1:])
    source = f"{init} initialisation, seed {seed}" + (f", scale {exact_words(scale)}"
                                                      if scale != 1 else "")
    return NetParameters(tuple(weights), biases, source, init, seed, scale)


def _gaussian(draw: numpy.ndarray, init: str, scale, bits: int) -> DrawnMatrix:
    """A Gaussian draw times its init's standard deviation (and ``scale``): the factor and
    each product rounded once at ``bits``, the rounded values the weights."""
    rows, columns = draw.shape
    variance = {"normal": sympy.Integer(1), "xavier": sympy.Rational(2, rows + columns),
                "he": sympy.Rational(2, columns)}[init]
    with precision(bits):
        factor = (ball(scale) * ball(variance).sqrt()).mid()
        return DrawnMatrix((float_matrix(draw) * factor).mid(), draw, _mpmath(factor))


def _mpmath(value: arb) -> mpmath.mpf:
    return exact_binary(*value.mid().man_exp(), wide=True)


def read_parameters(net: MatrixNet, path: str) -> NetParameters:
    text = read_text(path, MAX_FILE_BYTES, "the weights file")  # devices and pipes too
    try:
        data = json.loads(text, parse_float=str, parse_int=str)  # numbers stay exact text
    except json.JSONDecodeError as error:
        raise SymgradError(f"The weights file '{path}' is not JSON ({error.msg} at line "
                           f"{error.lineno}).") from None
    if not isinstance(data, dict) or "weights" not in data:
        raise SymgradError(f"The weights file '{path}' needs an object with a 'weights' list.")
    unknown = set(data) - {"weights", "biases"}
    if unknown:
        raise SymgradError(f"The weights file '{path}' has an unknown key '{sorted(unknown)[0]}'.")
    weights = _layers(data["weights"], net, "weights", matrix=True)
    biases = (_layers(data["biases"], net, "biases", matrix=False) if "biases" in data
              else tuple((sympy.Integer(0),) * width for width in net.widths[1:]))
    return NetParameters(weights, biases, f"file {path}", path=str(path))


def _layers(value, net: MatrixNet, key: str, matrix: bool) -> tuple:
    if not isinstance(value, list) or len(value) != net.depth:
        raise SymgradError(f"'{key}' must be a list of {net.depth} layers (one per layer of "
                           f"widths {','.join(map(str, net.widths))}).")
    layers = []
    for layer, entries in enumerate(value, start=1):
        rows, columns = net.shape(layer)
        name = f"{key}[{layer}]"
        if not matrix:
            layers.append(_numbers(entries, rows, name))
            continue
        if not isinstance(entries, list) or len(entries) != rows:
            raise SymgradError(f"{name} must have {rows} rows (W^{layer} is {rows} × {columns}).")
        layers.append(tuple(_numbers(row, columns, f"{name} row {j}")
                            for j, row in enumerate(entries, start=1)))
    return tuple(layers)


def _numbers(values, count: int, name: str) -> tuple:
    if not isinstance(values, list) or len(values) != count:
        raise SymgradError(f"{name} must be a list of {count} numbers.")
    if any(not isinstance(v, str) for v in values):
        raise SymgradError(f"{name} must hold numbers only.")
    return tuple(exact(v, f"entry of {name}") for v in values)
