"""Stage 4c: draw a spec's network as an SVG picture, written by hand so it is deterministic.

One column of units per layer, inputs on the left, an arrow from every drawn unit to every
drawn unit of the next layer, and the loss on the right. A layer wider than MAX_DRAWN
units shows its first three units, a column of dots, and its last unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from derive.spec import Spec

MAX_DRAWN = 5
FIRST_DRAWN = 3
RADIUS = 24
COLUMN_GAP = 170
ROW_GAP = 62
MARGIN = 30
TITLE_HEIGHT = 56
CAPTION_HEIGHT = 36
LOSS_RADIUS = 28
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPTS = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def network_svg(spec: Spec) -> str:
    """The network of ``spec`` as the text of an SVG file, the same for the same spec."""
    columns = [drawn_units(units) for units in spec.layer_sizes]
    tallest = max(len(column) for column in columns)
    width = column_x(len(columns)) + LOSS_RADIUS + MARGIN
    height = TITLE_HEIGHT + tallest * ROW_GAP + CAPTION_HEIGHT
    middle = TITLE_HEIGHT + tallest * ROW_GAP / 2
    places = [column_places(column, l, middle) for l, column in enumerate(columns)]
    loss_centre = Point(column_x(len(columns)), middle)

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" font-size="13">',
        f"<title>{escape(spec.describe())}</title>",
        "<defs>",
        '<marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#777"/></marker>',
        "</defs>",
        '<rect width="100%" height="100%" fill="white"/>',
        *edges(places, loss_centre),
        *units(places),
        *titles(spec),
        *loss_box(spec, loss_centre),
        f'<text class="caption" x="{width / 2:.1f}" y="{height - 12:.1f}" '
        f'text-anchor="middle" fill="#444">{escape(spec.describe())}</text>',
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


def drawn_units(units: int) -> list[int | None]:
    """Unit numbers to draw, 1-based; None stands for the dots of a wide layer."""
    if units <= MAX_DRAWN:
        return list(range(1, units + 1))
    return [*range(1, FIRST_DRAWN + 1), None, units]


def unit_label(l: int, j: int) -> str:
    """x_j for an input, z_j^(l) for a unit of layer l, with Unicode sub- and superscripts."""
    if l == 0:
        return "x" + str(j).translate(SUBSCRIPTS)
    return "z" + str(j).translate(SUBSCRIPTS) + f"({l})".translate(SUPERSCRIPTS)


def column_x(l: int) -> float:
    return MARGIN + RADIUS + l * COLUMN_GAP


def column_places(
    column: list[int | None], l: int, middle: float
) -> list[tuple[int | None, Point]]:
    """Each drawn unit (or the dots) of layer l with its centre, centred on ``middle``."""
    top = middle - (len(column) - 1) * ROW_GAP / 2
    return [(j, Point(column_x(l), top + k * ROW_GAP)) for k, j in enumerate(column)]


def arrow(start: Point, end: Point, start_gap: float, end_gap: float) -> str:
    """A line from the rim of one shape to the rim of the next, ending in an arrowhead."""
    dx, dy = end.x - start.x, end.y - start.y
    length = (dx * dx + dy * dy) ** 0.5
    ux, uy = dx / length, dy / length
    return (
        f'<line x1="{start.x + start_gap * ux:.1f}" y1="{start.y + start_gap * uy:.1f}" '
        f'x2="{end.x - end_gap * ux:.1f}" y2="{end.y - end_gap * uy:.1f}" '
        'marker-end="url(#arrow)"/>'
    )


def edges(places: list, loss_centre: Point) -> list[str]:
    lines = ['<g class="edges" stroke="#999" stroke-width="1" fill="none">']
    for before, after in zip(places, places[1:], strict=False):
        for i, start in before:
            for j, end in after:
                if i is not None and j is not None:
                    lines.append(arrow(start, end, RADIUS, RADIUS + 2))
    for j, start in places[-1]:
        if j is not None:
            lines.append(arrow(start, loss_centre, RADIUS, LOSS_RADIUS + 2))
    lines.append("</g>")
    return lines


def units(places: list) -> list[str]:
    lines = ['<g class="units">']
    for l, column in enumerate(places):
        fill = "#e8f0fb" if l == 0 else "#fdf1e3"
        for j, centre in column:
            if j is None:
                lines.extend(dots(centre))
                continue
            lines.append(
                f'<circle class="unit" cx="{centre.x:.1f}" cy="{centre.y:.1f}" '
                f'r="{RADIUS}" fill="{fill}" stroke="#333" stroke-width="1.2"/>'
            )
            lines.append(
                f'<text class="label" x="{centre.x:.1f}" y="{centre.y + 5:.1f}" '
                f'text-anchor="middle" font-size="15">{unit_label(l, j)}</text>'
            )
    lines.append("</g>")
    return lines


def dots(centre: Point) -> list[str]:
    """Three small dots, standing for the units of a wide layer that are not drawn."""
    return [
        f'<circle class="dots" cx="{centre.x:.1f}" cy="{centre.y + offset:.1f}" '
        'r="2.5" fill="#333"/>'
        for offset in (-12, 0, 12)
    ]


def titles(spec: Spec) -> list[str]:
    """Over each column, what the layer is and how many units it has."""
    lines = ['<g class="titles" text-anchor="middle">']
    for l, units_in_layer in enumerate(spec.layer_sizes):
        if l == 0:
            title = "input"
        else:
            role = "output" if l == spec.depth else f"layer {l}"
            title = f"{role}: {spec.layers[l - 1].activation}"
        count = f"{units_in_layer} unit" + ("" if units_in_layer == 1 else "s")
        lines.append(
            f'<text class="title" x="{column_x(l):.1f}" y="22" font-weight="bold">'
            f"{escape(title)}</text>"
        )
        lines.append(
            f'<text x="{column_x(l):.1f}" y="40" fill="#555">{escape(count)}</text>'
        )
    lines.append("</g>")
    return lines


def loss_box(spec: Spec, centre: Point) -> list[str]:
    """The loss L of one sample, fed by every output unit."""
    return [
        f'<text class="title" x="{centre.x:.1f}" y="22" text-anchor="middle" '
        'font-weight="bold">loss</text>',
        f'<text x="{centre.x:.1f}" y="40" text-anchor="middle" fill="#555">'
        f"{escape(spec.loss)}</text>",
        f'<circle class="loss" cx="{centre.x:.1f}" cy="{centre.y:.1f}" '
        f'r="{LOSS_RADIUS}" fill="#eef7ee" stroke="#333" stroke-width="1.2"/>',
        f'<text x="{centre.x:.1f}" y="{centre.y + 6:.1f}" text-anchor="middle" '
        'font-size="17" font-style="italic">L</text>',
    ]
