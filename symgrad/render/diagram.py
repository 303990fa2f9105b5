"""A picture of the network: its quantities as nodes on a grid, what joins them as
labelled arrows. Laying out computes nothing; each format draws the same diagram
(TikZ in LaTeX, an SVG image beside a Markdown file, arrows in a line of text).

A chain is drawn as two rows: the forward pass a_0 → z_1 → a_1 → … → a_L → C above,
the backward pass below it, each arrow carrying the factor the derivation's recursion
multiplies by. A chain deeper than ``WHOLE_CHAIN_UP_TO`` (or of symbolic depth) is drawn
as its first and last layers with ⋯ between. A matrix net is drawn unit by unit, every
unit of one layer joined to every unit of the next.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symgrad.derive.chain import ChainDerivation, layer_weight
from symgrad.derive.matrix import MatrixDerivation
from symgrad.notation import (
    Factors,
    L,
    delta,
    dsigma,
    entry,
    grad_a,
    k,
    l,
    layer_symbol,
    weight_entry,
)
from symgrad.render.prose import Prose, paragraph, say

WHOLE_CHAIN_UP_TO = 4  # layers; a deeper chain is drawn as layers 1, 2, ⋯, L - 1, L
ALL_INTO_UNIT_1_UP_TO = 3  # units per layer; a wider net labels only w^l_11 of each layer
GAP = None  # in a list of drawn layers: the layers left out
GAP_COLUMNS = 0.6  # the width of the ⋯ standing for them, in columns


@dataclass(frozen=True)
class Node:
    """A quantity at a place on the grid; ``label`` None is an ellipsis (⋯)."""

    key: str
    label: sympy.Basic | None
    column: float
    row: float  # 0 the forward pass, 1 the backward pass below it; a net: a unit's height
    role: str  # "forward", "backward", "gap" (⋯), "cost"


@dataclass(frozen=True)
class Edge:
    """An arrow from ``start`` to ``end`` (node keys), with the factor or operation on it."""

    start: str
    end: str
    label: sympy.Basic | None = None
    role: str = "forward"  # "forward", "backward", "skip" (a residual's identity path)


@dataclass(frozen=True)
class Diagram:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    caption: Prose
    layered: bool = False  # a net: each column's units all joined to the next column's

    def node(self, key: str) -> Node:
        return next(node for node in self.nodes if node.key == key)

    @property
    def span(self) -> float:
        """Columns from the first node to the last."""
        return max(node.column for node in self.nodes) - min(node.column for node in self.nodes)

    def places(self, step: float, row_step: float) -> dict[str, tuple[float, float]]:
        """Each node's (x, y) from the top left, y down: columns ``step`` apart, rows
        ``row_step``."""
        top = min(node.row for node in self.nodes)
        return {node.key: (node.column * step, (node.row - top) * row_step)
                for node in self.nodes}


def drawn_layers(depth: int | None) -> tuple:
    """The layers a chain diagram shows, ``GAP`` where some are left out: every layer of
    a short chain, 1, 2, ⋯, L − 1, L of a deep one, 1, ⋯, l, l + 1, ⋯, L at symbolic depth."""
    if depth is None:
        return (1, GAP, l, l + 1, GAP, L)
    if depth <= WHOLE_CHAIN_UP_TO:
        return tuple(range(1, depth + 1))
    return (1, 2, GAP, depth - 1, depth)


def chain_diagram(derivation: ChainDerivation) -> Diagram:
    """The forward pass above, the backward pass (δ_l, or ∂C/∂a_l where the layer's gain
    does not split into w σ': residual, highway) below, each backward arrow labelled with
    the factor of the derivation's recursion."""
    chain = derivation.chain
    residual = not chain.layer.keeps_weights_apart
    a, z = (lambda n: layer_symbol("a", n)), (lambda n: layer_symbol("z", n))
    nodes = [Node("input", a(0), 0, 0, "forward"),
             Node("back-input", grad_a(0), 0, 1, "backward")]
    edges: list[Edge] = []
    forward_end, backward_end, previous = "input", "back-input", 0  # the last drawn; its layer
    column = 0
    for number, layer in enumerate(drawn_layers(chain.depth)):
        if layer is GAP:
            nodes += [Node(f"gap{number}", None, column + GAP_COLUMNS, 0, "gap"),
                      Node(f"backgap{number}", None, column + GAP_COLUMNS, 1, "gap")]
            column += 2 * GAP_COLUMNS - 1  # the next layer's z_l one column on
            edges += [Edge(forward_end, f"gap{number}"),
                      Edge(f"backgap{number}", backward_end, role="backward")]
            forward_end, backward_end, previous = f"gap{number}", f"backgap{number}", GAP
            continue
        follows = previous is not GAP and layer - previous == 1  # the layer before is drawn
        weight = layer_weight(chain, layer)
        nodes += [Node(f"z{number}", z(layer), column + 1, 0, "forward"),
                  Node(f"a{number}", a(layer), column + 2, 0, "forward")]
        edges += [Edge(forward_end, f"z{number}", weight if follows else None),
                  Edge(f"z{number}", f"a{number}", sympy.Symbol("sigma"))]
        if residual:
            if follows:
                edges.append(Edge(forward_end, f"a{number}", role="skip"))
            nodes.append(Node(f"back{number}", grad_a(layer), column + 2, 1, "backward"))
            gain = chain.layer.gain_written(layer, layer_weight(chain, layer))
        else:
            nodes.append(Node(f"back{number}", delta(layer), column + 1, 1, "backward"))
            gain = weight if previous == 0 else Factors([weight, dsigma(z(layer - 1))])
        edges.append(Edge(f"back{number}", backward_end, gain if follows else None, "backward"))
        forward_end, backward_end, previous = f"a{number}", f"back{number}", layer
        column += 2
    depth = derivation.depth
    nodes.append(Node("cost", sympy.Symbol("C"), column + 1, 0, "cost"))
    edges.append(Edge(forward_end, "cost"))
    if residual:
        edges.append(Edge("cost", backward_end, role="backward"))
    else:
        nodes.append(Node("back-output", grad_a(depth), column + 1, 1, "backward"))
        edges += [Edge("cost", "back-output", role="backward"),
                  Edge("back-output", backward_end, dsigma(z(depth)), "backward")]
    return Diagram(tuple(nodes), tuple(edges), _chain_caption(derivation))


def _equation(derivation: ChainDerivation, lhs: sympy.Expr) -> sympy.Expr | None:
    """The derivation's own equation for ``lhs``, as a relation to print."""
    for equation in (*derivation.forward, *derivation.recursion):
        if equation.lhs == lhs:
            return sympy.Eq(equation.lhs, equation.rhs, evaluate=False)
    return None


def _chain_caption(derivation: ChainDerivation) -> Prose:
    chain = derivation.chain
    forward = say("Forward (top row): {z}, then {a}.",
                  z=_equation(derivation, layer_symbol("z", l)),
                  a=_equation(derivation, layer_symbol("a", l)))
    if not chain.layer.keeps_weights_apart:
        gain = chain.layer.gain_written(l, layer_weight(chain, l))
        step = sympy.Eq(grad_a(l - 1), Factors([grad_a(l), gain]), evaluate=False)
        backward = say("Backward (bottom row): each arrow multiplies the gradient by the "
                       "factor on it, {step}; the curved arrows are the identity paths that "
                       "carry it past {sigma}.", step=step, sigma=sympy.Symbol("sigma")) \
            if chain.layer.simple else \
            say("Backward (bottom row): each arrow multiplies the gradient by the factor on "
                "it, {step}, with {gain}; the curved arrows are the paths past {sigma}, "
                "through the gate.", step=step, sigma=sympy.Symbol("sigma"),
                gain=_equation(derivation, gain))
    elif chain.depth == 1:
        backward = say("Backward (bottom row): each arrow multiplies by the factor on it.")
    else:
        backward = say("Backward (bottom row): each arrow multiplies by the factor on it, "
                       "{step}.", step=_equation(derivation, delta(l)))
    layers = drawn_layers(chain.depth)
    if chain.depth is None:
        left_out = say("The dots stand for the layers between {first} and {l} and between "
                       "{next} and {L}.", first=1, l=l, next=l + 1, L=L)
    elif GAP in layers:
        first, last = layers[layers.index(GAP) - 1] + 1, layers[layers.index(GAP) + 1] - 1
        left_out = (say("The dots stand for layer {n}.", n=first) if first == last else
                    say("The dots stand for layers {first} and {last}.", first=first,
                        last=last) if last == first + 1 else
                    say("The dots stand for layers {first} to {last}.", first=first,
                        last=last))
    else:
        left_out = ""
    return paragraph(forward, backward, left_out)


def net_diagram(derivation: MatrixDerivation) -> Diagram:
    """Every unit a^l_j of every layer, each joined to every unit of the next layer by
    its weight w^l_{jk}, and the output units to the cost."""
    widths = derivation.net.widths
    nodes, edges = [], []
    for layer, width in enumerate(widths):
        for unit in range(1, width + 1):
            nodes.append(Node(f"a{layer}_{unit}", entry("a", layer, unit), layer,
                              unit - (width + 1) / 2, "forward"))
    for layer in range(1, len(widths)):
        for row in range(1, widths[layer] + 1):
            for column in range(1, widths[layer - 1] + 1):
                labelled = row == 1 and (column == 1 or max(widths) <= ALL_INTO_UNIT_1_UP_TO)
                label = entry("w", layer, row, column) if labelled else None
                edges.append(Edge(f"a{layer - 1}_{column}", f"a{layer}_{row}", label))
    last = len(widths) - 1
    nodes.append(Node("cost", sympy.Symbol("C"), last + 1, 0, "cost"))
    edges += [Edge(f"a{last}_{row}", "cost") for row in range(1, widths[last] + 1)]
    j = sympy.Symbol("j", integer=True, positive=True)
    where = (" (written on the arrows into unit 1 of each layer)."
             if max(widths) <= ALL_INTO_UNIT_1_UP_TO else
             " (written on the top arrow of each layer only: with more than {most} units a "
             "layer has too many arrows to label).")
    caption = paragraph(
        say("Each unit is named by its output ({a} is unit 1 of layer 1), and every unit of a "
            "layer feeds every unit of the next: the arrow from unit {k} of layer {before} to "
            "unit {j} of layer {l} carries the weight {w}" + where, a=entry("a", 1, 1), k=k,
            before=l - 1, j=j, l=l, w=weight_entry(l, j, k), most=ALL_INTO_UNIT_1_UP_TO),
        say("The output units feed the cost {C}.", C=sympy.Symbol("C")))
    return Diagram(tuple(nodes), tuple(edges), caption, layered=True)


__all__ = ["Diagram", "Edge", "Node", "chain_diagram", "drawn_layers", "net_diagram"]
