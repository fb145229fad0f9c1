"""Sizes of the canvas items, in scene units (one unit is one pixel at 100% zoom).

Heights are multiples of :data:`GRID`, and ports sit on grid lines, so that two snapped
nodes side by side get perfectly straight wires.
"""

from __future__ import annotations

GRID = 10.0
NODE_WIDTH = 180.0
HEADER_HEIGHT = 30.0
ROW_HEIGHT = 20.0
FOOTER_HEIGHT = 30.0
PORT_RADIUS = 5.5
CORNER_RADIUS = 7.0
BADGE_RADIUS = 9.0

#: Below this zoom, nodes draw as plain coloured boxes (level of detail).
SIMPLE_BELOW_ZOOM = 0.45
#: Below this zoom, text is not drawn at all.
NO_TEXT_BELOW_ZOOM = 0.22


def snap(value: float, grid: float = GRID) -> float:
    return round(value / grid) * grid
