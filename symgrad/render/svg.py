"""A network diagram as a standalone SVG image (written beside a Markdown document): the
nodes where the diagram places them, the labels as the terminal prints them, with
subscripts set as subscripts."""

from __future__ import annotations

import math
import re
from xml.sax.saxutils import escape

from symgrad.render.diagram import Diagram, Edge, Node
from symgrad.render.printing import TextPrinter, uncounted

COLUMN, NET_COLUMN = 90, 190  # px between columns, or more where a label needs it
ROW, UNIT = 95, 80  # px between a chain's rows, between a net's units
MARGIN = 30
FONT, SMALL = 15, 13  # px: nodes, labels on arrows
RADIUS = 19  # a unit's circle
BACKWARD = "#8b1a1a"
SKIP_RISE = 48  # px a residual's identity arc rises above the row

_DEFS = ("<defs>" + "".join(
    f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
    f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/>'
    "</marker>" for name, colour in (("head", "black"), ("back", BACKWARD), ("skip", "grey")))
    + "</defs>")


def svg_diagram(diagram: Diagram, printer: TextPrinter) -> str:
    """The diagram as an SVG document."""
    layered = diagram.layered
    with uncounted():
        labels = {node.key: "…" if node.label is None else printer.doprint(node.label)
                  for node in diagram.nodes}
        edge_labels = [None if e.label is None else printer.doprint(e.label)
                       for e in diagram.edges]
    sizes = {node.key: _size(node, labels[node.key]) for node in diagram.nodes}
    step = max([NET_COLUMN if layered else COLUMN]
               + [_room(diagram, edge, label, sizes) for edge, label in zip(diagram.edges, edge_labels)
                  if label is not None and not layered])
    places = diagram.places(step, UNIT if layered else ROW)
    top = MARGIN + (SKIP_RISE if any(e.role == "skip" for e in diagram.edges) else 0)
    left = MARGIN + max(size[0] for size in sizes.values()) / 2
    places = {key: (x + left, y + top) for key, (x, y) in places.items()}
    width = max(x + sizes[key][0] / 2 for key, (x, _) in places.items()) + MARGIN
    height = max(y + sizes[key][1] / 2 for key, (_, y) in places.items()) + MARGIN + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="serif" font-style="italic" '
             f'font-size="{FONT}">',
             _DEFS, f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>']
    for edge in diagram.edges:
        parts.append(_arrow(diagram, edge, places, sizes))
    for node in diagram.nodes:
        parts.append(_node(node, labels[node.key], places[node.key], sizes[node.key]))
    for edge, label in zip(diagram.edges, edge_labels):  # over the arrows they label
        if label is not None:
            parts.append(_edge_label(diagram, edge, label, places, sizes))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _room(diagram: Diagram, edge: Edge, label: str, sizes) -> float:
    """The column step at which ``label`` fits along its arrow, between its two nodes."""
    start, end = diagram.node(edge.start), diagram.node(edge.end)
    columns = abs(end.column - start.column) or 1
    needed = _text_width(label, SMALL) + (sizes[edge.start][0] + sizes[edge.end][0]) / 2 + 12
    return needed / columns


def _text_width(text: str, size: float) -> float:
    """Roughly how wide ``text`` is set at ``size`` px (its subscripts smaller)."""
    return sum(len(piece) * (0.75 if sub else 1.0) for piece, sub in _pieces(text)) * size * 0.55


def _size(node: Node, label: str) -> tuple[float, float]:
    if node.role == "forward":
        return 2 * max(RADIUS, _text_width(label, FONT) / 2 + 5), 2 * RADIUS
    if node.role == "gap":
        return _text_width(label, FONT), FONT
    return _text_width(label, FONT) + 14, 30


def _node(node: Node, label: str, place: tuple[float, float], size: tuple[float, float]) -> str:
    x, y = place
    width, height = size
    text = _text(label, x, y, FONT, BACKWARD if node.role == "backward" else "black")
    if node.role == "forward":
        return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{width / 2:.1f}" fill="white" '
                f'stroke="black" stroke-width="1.5"/>' + text)
    if node.role in ("backward", "cost"):
        stroke, fill = (BACKWARD, "#fdf3f3") if node.role == "backward" else ("black", "white")
        return (f'<rect x="{x - width / 2:.1f}" y="{y - height / 2:.1f}" width="{width:.1f}" '
                f'height="{height:.1f}" rx="4" fill="{fill}" stroke="{stroke}" '
                f'stroke-width="1.5"/>' + text)
    return text


def _boundary(place, size, node: Node, towards) -> tuple[float, float]:
    """Where the line from ``place`` towards ``towards`` leaves the node's outline."""
    (x, y), (tx, ty) = place, towards
    dx, dy = tx - x, ty - y
    length = math.hypot(dx, dy) or 1.0
    if node.role == "forward":
        reach = size[0] / 2
    else:  # a box: the nearer of its sides
        half_w, half_h = size[0] / 2 + 2, size[1] / 2 + 2
        reach = min(half_w / abs(dx / length) if dx else math.inf,
                    half_h / abs(dy / length) if dy else math.inf)
    return x + dx / length * reach, y + dy / length * reach


def _arrow(diagram: Diagram, edge: Edge, places, sizes) -> str:
    start, end = diagram.node(edge.start), diagram.node(edge.end)
    colour, marker = {"backward": (BACKWARD, "back"), "skip": ("grey", "skip")}.get(
        edge.role, ("black", "head"))
    width = 1.2 if diagram.layered else 1.6
    dash = ' stroke-dasharray="5,4"' if "gap" in (start.role, end.role) else ""
    (x1, y1), (x2, y2) = places[edge.start], places[edge.end]
    if edge.role == "skip":
        sx, sy = _boundary((x1, y1), sizes[edge.start], start, (x1 + 10, y1 - 25))
        ex, ey = _boundary((x2, y2), sizes[edge.end], end, (x2 - 10, y2 - 25))
        path = f"M{sx:.1f},{sy:.1f} C{sx + 30:.1f},{y1 - SKIP_RISE:.1f} " \
               f"{ex - 30:.1f},{y2 - SKIP_RISE:.1f} {ex:.1f},{ey:.1f}"
    else:
        sx, sy = _boundary((x1, y1), sizes[edge.start], start, (x2, y2))
        ex, ey = _boundary((x2, y2), sizes[edge.end], end, (x1, y1))
        path = f"M{sx:.1f},{sy:.1f} L{ex:.1f},{ey:.1f}"
    return (f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dash} '
            f'marker-end="url(#{marker})"/>')


def _edge_label(diagram: Diagram, edge: Edge, label: str, places, sizes) -> str:
    start, end = diagram.node(edge.start), diagram.node(edge.end)
    (x1, y1), (x2, y2) = places[edge.start], places[edge.end]
    if not diagram.layered:  # the visible arrow, between the nodes' outlines
        (x1, y1), (x2, y2) = (_boundary((x1, y1), sizes[edge.start], start, (x2, y2)),
                              _boundary((x2, y2), sizes[edge.end], end, (x1, y1)))
    if diagram.layered:  # near the arrow's start, along it, on a white ground
        x, y = x1 + (x2 - x1) * 0.3, y1 + (y2 - y1) * 0.3
        angle = math.degrees(math.atan2(y2 - y1, x2 - x1))
        width = _text_width(label, SMALL) + 4
        return (f'<g transform="rotate({angle:.1f},{x:.1f},{y:.1f})"><rect x="{x - width / 2:.1f}" '
                f'y="{y - 9:.1f}" width="{width:.1f}" height="18" fill="white"/>'
                + _text(label, x, y, SMALL, "black") + "</g>")
    x = (x1 + x2) / 2
    if edge.role == "backward":
        return _text(label, x, (y1 + y2) / 2 + 16, SMALL, BACKWARD)
    return _text(label, x, (y1 + y2) / 2 - 13, SMALL, "black")


_SUBSCRIPT = re.compile(r"_\(([^()]*)\)|_([A-Za-z0-9]+)|(?<=[A-Za-zδσ])(\d+)")


def _pieces(text: str) -> list[tuple[str, bool]]:
    """The text printer's a_(l-1), δ_l, w10 as (text, is it a subscript) pieces."""
    pieces, at = [], 0
    for match in _SUBSCRIPT.finditer(text):
        if match.start() > at:
            pieces.append((text[at:match.start()], False))
        pieces.append((next(g for g in match.groups() if g is not None), True))
        at = match.end()
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def _text(label: str, x: float, y: float, size: float, colour: str) -> str:
    """Centred text, subscripts lowered and smaller."""
    shift, spans, lowered = round(size * 0.3), [], False
    for piece, sub in _pieces(label):
        if sub:
            spans.append(f'<tspan dy="{0 if lowered else shift}" font-size="{size * 0.75:.1f}">'
                         f"{escape(piece)}</tspan>")
        else:
            spans.append(f'<tspan dy="{-shift if lowered else 0}">{escape(piece)}</tspan>')
        lowered = sub
    return (f'<text x="{x:.1f}" y="{y + size * 0.35:.1f}" text-anchor="middle" '
            f'font-size="{size}" fill="{colour}">' + "".join(spans) + "</text>")
