"""Layer kinds, each defined once as the SymPy expressions of one step.

A kind is one file: the quantities its step computes, in order, from the previous state,
the step's input and the parameters (``step.CellKind`` for a recurrent cell,
``chain_layer.ChainLayer`` for a chain's layer). Everything else is derived from
that one definition by ``sympy.diff`` of the one step (never of the composed network): the
local Jacobian, the parameter derivatives, the derivation's recursion and closed form, and
the numeric pass in every number kind (``numeric/recurrent.py``, ``numeric/kinds.py``).
"""

from __future__ import annotations

from symgrad.errors import SymgradError, quoted
from symgrad.layers import gru, highway, lstm, plain, residual, rnn
from symgrad.layers.chain_layer import ChainLayer
from symgrad.layers.step import CellKind

CELLS: dict[str, CellKind] = {kind.name: kind for kind in (rnn.KIND, lstm.KIND, gru.KIND)}
CHAIN_LAYERS: dict[str, ChainLayer] = {kind.name: kind for kind in (plain.KIND, residual.KIND,
                                                                     highway.KIND)}


def cell_kind(name) -> CellKind:
    """The recurrent cell called ``name`` (rnn, lstm, gru), or the kind itself."""
    if isinstance(name, CellKind):
        return name
    if isinstance(name, str) and name in CELLS:
        return CELLS[name]
    raise SymgradError(f"The cell must be one of {', '.join(CELLS)}, not {quoted(name)}.")
