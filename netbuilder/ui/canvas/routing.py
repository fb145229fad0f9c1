"""Orthogonal wire routing around blocks, as yEd and Blender's node editors do.

A wire is normally a smooth S-curve (see :func:`netbuilder.ui.canvas.edge_item.wire_path`).
When that curve would cross a block it does not attach to, or when the wire runs backwards
(the input left of the output: a graph folded into bands has one at each band's end), the
wire is routed instead: it leaves its port straight to the right, runs along horizontal and
vertical channels that keep :data:`CLEARANCE` from every block, and enters its input port
from the left. The route is the shortest such path on the grid of block edges, with a cost
for each bend, found by Dijkstra's algorithm.

Wires routed earlier (``taken``) are kept apart from: each block edge offers a second
channel :data:`LANE` further out, and running along a piece of another routed wire costs
extra, so that two wires never share a line and read as one.

Pure geometry on tuples, no Qt, so that it is cheap and tested on its own.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Sequence

Point = tuple[float, float]
#: A block's rectangle: (left, top, right, bottom).
Rect = tuple[float, float, float, float]
#: A straight run of a routed wire: (x1, y1, x2, y2), horizontal or vertical.
Segment = tuple[float, float, float, float]

#: The distance a routed wire keeps from every block.
CLEARANCE = 16.0
#: How far a routed wire runs straight out of its output port and into its input port.
STUB = 28.0
#: What a bend costs, in scene units of length: fewer bends read better than a shorter wire.
BEND_COST = 60.0
#: The distance between two channels beside one block edge.
LANE = 10.0
#: What running along another routed wire costs, per unit of the length shared.
SHARED_COST = 4.0
#: How far around its ends a route may wander: blocks further away are not looked at.
REACH = 260.0
#: Beyond this many blocks in reach, a wire is not routed (it keeps its curve): the grid
#: grows with the square of the blocks, and a graph that dense is beyond tidy wires anyway.
MAX_OBSTACLES = 50

_HORIZONTAL, _VERTICAL = 0, 1


def route(start: Point, end: Point, obstacles: Sequence[Rect],
          taken: Sequence[Segment] = ()) -> list[Point] | None:
    """The corners of an orthogonal path from ``start`` (an output port) to ``end`` (an
    input port) that keeps clear of ``obstacles`` and, where it can, off the ``taken``
    runs of other wires; None if there is none (or it would be too costly to find)."""
    area = window(start, end)
    near = [r for r in obstacles if _overlaps(r, area)]
    if len(near) > MAX_OBSTACLES:
        return None
    inflated = [(r[0] - CLEARANCE, r[1] - CLEARANCE, r[2] + CLEARANCE, r[3] + CLEARANCE)
                for r in near]
    first = (start[0] + STUB, start[1])
    last = (end[0] - STUB, end[1])
    if _blocked(first, inflated) or _blocked(last, inflated):
        return None
    xs = sorted({first[0], last[0], area[0], area[2],
                 *(v for r in inflated for v in (r[0], r[0] - LANE, r[2], r[2] + LANE))})
    ys = sorted({first[1], last[1], area[1], area[3],
                 *(v for r in inflated for v in (r[1], r[1] - LANE, r[3], r[3] + LANE))})
    near = [t for t in taken if _overlaps(_bounds(t), area)]
    corners = _shortest(xs, ys, first, last, inflated, near)
    if corners is None:
        return None
    return _simplify([start, *corners, end])


def path_hits(points: Sequence[Point], rect: Rect) -> bool:
    """Whether the polyline through ``points`` enters the inside of ``rect``."""
    return any(_segment_hits(a, b, rect) for a, b in itertools.pairwise(points))


# ----- the search -------------------------------------------------------------------------------
def _shortest(xs: list[float], ys: list[float], first: Point, last: Point,
              inflated: list[Rect], taken: list[Segment]) -> list[Point] | None:
    """Dijkstra over grid points, each state a point and the direction it was reached in."""
    column = {x: i for i, x in enumerate(xs)}
    row = {y: j for j, y in enumerate(ys)}
    start = (column[first[0]], row[first[1]])
    goal = (column[last[0]], row[last[1]])
    free: dict[tuple[int, int], bool] = {}

    def is_free(cell: tuple[int, int]) -> bool:
        if cell not in free:
            free[cell] = not _blocked((xs[cell[0]], ys[cell[1]]), inflated)
        return free[cell]

    # The wire leaves its output going right and must enter its input going right.
    queue: list[tuple[float, int, tuple[int, int], int]] = [(0.0, 0, start, _HORIZONTAL)]
    best: dict[tuple[tuple[int, int], int], float] = {(start, _HORIZONTAL): 0.0}
    came: dict[tuple[tuple[int, int], int], tuple[tuple[int, int], int]] = {}
    counter = 0
    while queue:
        cost, _, cell, heading = heapq.heappop(queue)
        if cost > best.get((cell, heading), float("inf")):
            continue
        if cell == goal and heading == _HORIZONTAL:
            return _unwind(came, (cell, heading), xs, ys)
        for step, direction in (((1, 0), _HORIZONTAL), ((-1, 0), _HORIZONTAL),
                                ((0, 1), _VERTICAL), ((0, -1), _VERTICAL)):
            nxt = (cell[0] + step[0], cell[1] + step[1])
            if not (0 <= nxt[0] < len(xs) and 0 <= nxt[1] < len(ys)) or not is_free(nxt):
                continue
            a, b = (xs[cell[0]], ys[cell[1]]), (xs[nxt[0]], ys[nxt[1]])
            middle = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
            if _blocked(middle, inflated):
                continue  # neighbouring grid lines: a blocked middle means a blocked segment
            length = abs(b[0] - a[0]) + abs(b[1] - a[1])
            total = cost + length + (BEND_COST if direction != heading else 0.0)
            if taken and _shared(middle, direction, taken):
                total += SHARED_COST * length
            key = (nxt, direction)
            if total < best.get(key, float("inf")):
                best[key] = total
                came[key] = (cell, heading)
                counter += 1
                heapq.heappush(queue, (total, counter, nxt, direction))
    return None


def _unwind(came: dict, state: tuple[tuple[int, int], int], xs: list[float],
            ys: list[float]) -> list[Point]:
    cells = [state[0]]
    while state in came:
        state = came[state]
        cells.append(state[0])
    return [(xs[i], ys[j]) for i, j in reversed(cells)]


# ----- geometry ---------------------------------------------------------------------------------
def window(start: Point, end: Point) -> Rect:
    """The area a route from ``start`` to ``end`` stays in (and whose blocks it avoids)."""
    return (min(start[0], end[0]) - REACH, min(start[1], end[1]) - REACH,
            max(start[0], end[0]) + REACH, max(start[1], end[1]) + REACH)


def segments(corners: Sequence[Point]) -> list[Segment]:
    """The straight runs between a route's corners."""
    return [(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(corners)]


def _bounds(segment: Segment) -> Rect:
    x1, y1, x2, y2 = segment
    return (min(x1, x2) - 1, min(y1, y2) - 1, max(x1, x2) + 1, max(y1, y2) + 1)


def _shared(middle: Point, direction: int, taken: Sequence[Segment]) -> bool:
    """Whether a step through ``middle`` runs along one of the ``taken`` runs."""
    x, y = middle
    for x1, y1, x2, y2 in taken:
        if direction == _HORIZONTAL and abs(y1 - y) < 1 and abs(y2 - y) < 1 \
                and min(x1, x2) < x < max(x1, x2):
            return True
        if direction == _VERTICAL and abs(x1 - x) < 1 and abs(x2 - x) < 1 \
                and min(y1, y2) < y < max(y1, y2):
            return True
    return False


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _blocked(point: Point, inflated: Sequence[Rect]) -> bool:
    """Strictly inside a block's clearance: a point on its border line is free."""
    x, y = point
    return any(r[0] < x < r[2] and r[1] < y < r[3] for r in inflated)


def _segment_hits(a: Point, b: Point, rect: Rect) -> bool:
    """Whether the straight segment a-b passes through the inside of ``rect`` (Liang-Barsky
    clipping: the part of the segment inside the rectangle has a positive length)."""
    left, top, right, bottom = rect
    dx, dy = b[0] - a[0], b[1] - a[1]
    low, high = 0.0, 1.0
    for p, q in ((-dx, a[0] - left), (dx, right - a[0]), (-dy, a[1] - top), (dy, bottom - a[1])):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low >= high:
            return False
    return True


def _simplify(points: list[Point]) -> list[Point]:
    """Drops repeated points and the middle of three points on one line."""
    out: list[Point] = []
    for point in points:
        if out and point == out[-1]:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == point[0]
                              or out[-2][1] == out[-1][1] == point[1]):
            out[-1] = point
            continue
        out.append(point)
    return out
