"""Sizes of the canvas items, in scene units (one unit is one pixel at 100% zoom).

Heights are multiples of :data:`GRID`, and ports sit on grid lines, so that two snapped
nodes side by side get perfectly straight wires.
"""

from __future__ import annotations

GRID = 10.0
#: A block's width, unless its header or summary needs more; then up to MAX_NODE_WIDTH
#: (the layout leaves 100 between layers: a wider block still leaves room for a wire label).
NODE_WIDTH = 180.0
MAX_NODE_WIDTH = 240.0
#: Space around and between the title and the name in a block's header.
HEADER_PADDING = 34.0
HEADER_HEIGHT = 30.0
ROW_HEIGHT = 20.0
FOOTER_HEIGHT = 30.0
PORT_RADIUS = 5.5
CORNER_RADIUS = 7.0
BADGE_RADIUS = 9.0

#: A reroute point: a dot between two small ports, three grid cells wide and two high, so
#: that its ports lie on a grid line like every other port.
REROUTE_WIDTH = 3 * GRID
REROUTE_HEIGHT = 2 * GRID
REROUTE_DOT_RADIUS = 7.0
REROUTE_PORT_RADIUS = 3.0

#: Below this zoom, nodes draw as plain coloured boxes with a large title (level of detail).
SIMPLE_BELOW_ZOOM = 0.45
#: Below this zoom, text is not drawn at all.
NO_TEXT_BELOW_ZOOM = 0.22
#: Below this zoom, wires lose their shape labels (the text would be a few pixels high).
NO_LABEL_BELOW_ZOOM = 0.45
#: The smallest on-screen size, in pixels, of a title drawn in the simple level of detail.
SIMPLE_TITLE_PIXELS = 11.0


def snap(value: float, grid: float = GRID) -> float:
    return round(value / grid) * grid
