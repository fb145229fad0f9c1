"""Where the blocks are, for wire routing: a grid of buckets over block rectangles.

Routing asks, for every wire, which blocks lie near it. ``QGraphicsScene.items(rect)`` answers
that, but while items are being added (opening a document, pasting) Qt has not indexed them
yet and scans every item on each call: opening 1,000 blocks took ten times as long. This
index is plain Python, kept up to date as blocks come, move and go, and costs a few dictionary
operations per change.
"""

from __future__ import annotations

from collections.abc import Iterator

from netbuilder.ui.canvas.routing import Rect

#: The side of a bucket, in scene units: about two blocks wide.
CELL = 400.0


class BlockIndex:
    """Block rectangles by id, found by the area they overlap."""

    def __init__(self) -> None:
        self._rects: dict[str, Rect] = {}
        self._cells: dict[tuple[int, int], set[str]] = {}

    def __len__(self) -> int:
        return len(self._rects)

    def put(self, block_id: str, rect: Rect) -> None:
        """Adds a block, or moves it to ``rect``."""
        old = self._rects.get(block_id)
        if old == rect:
            return
        if old is not None:
            self.remove(block_id)
        self._rects[block_id] = rect
        for cell in _cells(rect):
            self._cells.setdefault(cell, set()).add(block_id)

    def remove(self, block_id: str) -> None:
        rect = self._rects.pop(block_id, None)
        if rect is None:
            return
        for cell in _cells(rect):
            bucket = self._cells.get(cell)
            if bucket is not None:
                bucket.discard(block_id)
                if not bucket:
                    del self._cells[cell]

    def clear(self) -> None:
        self._rects.clear()
        self._cells.clear()

    def near(self, area: Rect) -> Iterator[tuple[str, Rect]]:
        """Each block whose rectangle overlaps ``area``, once, with its rectangle."""
        seen: set[str] = set()
        for cell in _cells(area):
            for block_id in self._cells.get(cell, ()):
                if block_id in seen:
                    continue
                seen.add(block_id)
                rect = self._rects[block_id]
                if rect[0] < area[2] and area[0] < rect[2] and rect[1] < area[3] \
                        and area[1] < rect[3]:
                    yield block_id, rect


def _cells(rect: Rect) -> Iterator[tuple[int, int]]:
    left, top = int(rect[0] // CELL), int(rect[1] // CELL)
    right, bottom = int(rect[2] // CELL), int(rect[3] // CELL)
    for column in range(left, right + 1):
        for row in range(top, bottom + 1):
            yield column, row
