"""A network diagram as a TikZ picture: the nodes where the diagram places them, its
labels as math by the LaTeX printer."""

from __future__ import annotations

from symgrad.render.diagram import Diagram, Edge
from symgrad.render.printing import LatexPrinter, uncounted

END_NODES_CM = 1.3  # the line's width beyond the first and last columns: half of each end node
COLUMN_CM = 2.1  # columns of a chain at most this far apart
NET_COLUMN_CM = 3.2  # layers of a net
ROW_CM = 1.7  # the forward and the backward row of a chain
UNIT_CM = 1.4  # units of a net layer

STYLES = r"""[>={Stealth[length=5pt]}, font=\small,
  forward/.style={circle, draw, thick, minimum size=7.5mm, inner sep=1pt},
  cost/.style={rectangle, rounded corners=2pt, draw, thick, minimum size=7mm},
  backward/.style={rectangle, rounded corners=2pt, draw=red!55!black, text=red!40!black,
                   fill=red!4, minimum height=8.5mm, inner sep=2pt},
  gap/.style={inner sep=1pt},
  weight/.style={font=\footnotesize, inner sep=2pt},
  factor/.style={font=\footnotesize, text=red!40!black, inner sep=2pt},
  back/.style={->, thick, red!55!black},
  skip/.style={->, thick, gray}]"""


def tikz_diagram(diagram: Diagram, printer: LatexPrinter) -> str:
    """The diagram as a ``tikzpicture`` (needs the arrows.meta library): its columns
    ``COLUMN_CM`` apart, or closer so that it fits the line (a fragment in narrower text)."""
    layered = diagram.layered
    widest, row = (NET_COLUMN_CM, UNIT_CM) if layered else (COLUMN_CM, ROW_CM)
    unit = rf"x={{min({widest}cm,(\linewidth-{END_NODES_CM}cm)/{max(diagram.span, 1):g})}}, " \
        rf"y={row}cm, "
    top = min(node.row for node in diagram.nodes)
    lines = [r"\begin{tikzpicture}[" + unit + STYLES[1:]]
    with uncounted():
        for node in diagram.nodes:
            label = r"\cdots" if node.label is None else printer.doprint(node.label)
            if node.role == "backward":  # ∂C/∂a_l as a full-size fraction
                label = r"\displaystyle " + label
            lines.append(rf"\node[{node.role}] ({node.key}) at ({node.column:g},{top - node.row:g}) "
                         rf"{{${label}$}};")
        lines += [_edge(diagram, edge) for edge in diagram.edges]
        # the labels after every arrow, so that no arrow is drawn across one
        lines += [_label(diagram, edge, printer) for edge in diagram.edges
                  if edge.label is not None]
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def _path(diagram: Diagram, edge: Edge) -> str:
    return "to[out=40, in=140]" if edge.role == "skip" else "--"


def _edge(diagram: Diagram, edge: Edge) -> str:
    start, end = diagram.node(edge.start), diagram.node(edge.end)
    style = {"forward": "->, thick", "backward": "back", "skip": "skip"}[edge.role]
    if diagram.layered:
        style = "->, semithick"
    if "gap" in (start.role, end.role):
        style += ", dashed"
    return rf"\draw[{style}] ({edge.start}) {_path(diagram, edge)} ({edge.end});"


def _label(diagram: Diagram, edge: Edge, printer: LatexPrinter) -> str:
    if diagram.layered:  # near the arrow's start, before it crosses the others
        place = "pos=0.25, sloped, fill=white, inner sep=0.5pt, weight"
    elif edge.role == "backward" and any(e.role == "skip" for e in diagram.edges):
        place = "below=5.5mm, factor"  # a residual's 1 + w σ' is wider than the gap: under the boxes
    elif edge.role == "backward":
        place = "below, factor"
    else:
        place = "above, weight"
    return (rf"\path ({edge.start}) {_path(diagram, edge)} node[{place}] "
            rf"{{${printer.doprint(edge.label)}$}} ({edge.end});")
