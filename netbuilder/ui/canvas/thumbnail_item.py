"""A block's output on a real sample, drawn as a small badge hanging under the block.

The badge is a child of the :class:`~.node_item.NodeItem`, so it moves with the block, and
sits in the gap under it (auto layout leaves 50 units between rows; the badge takes 38), out
of the way of the wires, which leave a block from its sides. What it draws comes from a
:class:`~netbuilder.train.block_preview.Thumbnail`: feature maps side by side, a strip of
values, a heat map of a sequence, or the sample itself on an Input. All maps of one block
share one colour scale (the block's smallest to largest value), so that they compare.

The images are made once per new thumbnail, at its first paint (so only badges on screen
cost anything, and none below the zoom where blocks turn into plain boxes); painting only
scales them (nearest neighbour: an activation's pixels stay visible as pixels).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from netbuilder.train.block_preview import Thumbnail
from netbuilder.ui import theme
from netbuilder.ui.canvas.geometry import NODE_WIDTH, SIMPLE_BELOW_ZOOM

#: The badge's height and its gap to the block above it, in scene units.
BADGE_HEIGHT = 34.0
BADGE_GAP = 4.0
#: The badge is a little narrower than its block, so that it reads as hanging from it.
BADGE_INSET = 8.0
PADDING = 3.0
#: Space between two feature maps.
MAP_GAP = 2.0
#: Anchors of the colour map (viridis: dark blue for the smallest values, yellow for the
#: largest; it stays readable in grey and for colour-blind readers).
_ANCHORS = ((0.0, (68, 1, 84)), (0.25, (59, 82, 139)), (0.5, (33, 145, 140)),
            (0.75, (94, 201, 98)), (1.0, (253, 231, 37)))


@lru_cache(maxsize=1)
def colour_table() -> np.ndarray:
    """256 RGB rows of the colour map, as uint8."""
    positions = np.linspace(0.0, 1.0, 256)
    stops = np.array([a for a, _ in _ANCHORS])
    colours = np.array([c for _, c in _ANCHORS], dtype=np.float64)
    table = np.stack([np.interp(positions, stops, colours[:, k]) for k in range(3)], axis=1)
    return np.round(table).astype(np.uint8)


def _levels(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """``values`` scaled from ``low``..``high`` to 0..255 (a constant output is mid-grey)."""
    span = high - low
    if span <= 0:
        return np.full(values.shape, 128, dtype=np.uint8)
    return np.clip((values - low) * (255.0 / span), 0, 255).astype(np.uint8)


def _coloured(values: np.ndarray, low: float, high: float) -> QImage:
    """A 2-D array as an image in the colour map."""
    rgb = np.ascontiguousarray(colour_table()[_levels(values, low, high)])
    height, width = values.shape
    return QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888).copy()


def _picture(values: np.ndarray, low: float, high: float) -> QImage:
    """A (1 or 3, rows, columns) sample as a grey or colour picture."""
    levels = _levels(values, low, high)
    if levels.shape[0] == 1:
        plane = np.ascontiguousarray(levels[0])
        return QImage(plane.data, plane.shape[1], plane.shape[0], plane.strides[0],
                      QImage.Format.Format_Grayscale8).copy()
    rgb = np.ascontiguousarray(np.transpose(levels[:3], (1, 2, 0)))
    return QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0],
                  QImage.Format.Format_RGB888).copy()


def thumbnail_images(thumb: Thumbnail) -> list[QImage]:
    """The images a thumbnail draws: one per feature map, else one."""
    values, low, high = thumb.values, thumb.low, thumb.high
    if thumb.kind == "maps":
        return [_coloured(plane, low, high) for plane in values]
    if thumb.kind == "image":
        return [_picture(values, low, high)]
    if thumb.kind == "strip":
        return [_coloured(values.reshape(1, -1), low, high)]
    return [_coloured(values, low, high)]


def _same(new: Thumbnail, old: Thumbnail | None) -> bool:
    return old is not None and (new is old or (
        new.kind == old.kind and new.shape == old.shape and new.low == old.low
        and new.high == old.high and np.array_equal(new.values, old.values)))


class ThumbnailItem(QGraphicsItem):
    """The badge under one block; :func:`show_thumbnail` creates, updates and removes it."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.thumbnail: Thumbnail | None = None
        self.images: list[QImage] = []
        self._bounds = QRectF(0, 0, NODE_WIDTH - 2 * BADGE_INSET, BADGE_HEIGHT)
        # Clicks go to what lies under the badge (the canvas): it is a picture, not a handle.
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_thumbnail(self, thumb: Thumbnail) -> None:
        """Shows ``thumb``; the same values again cost nothing (an edit changes only the
        blocks downstream of it, and every block gets the new preview)."""
        if _same(thumb, self.thumbnail):
            return
        self.thumbnail = thumb
        self.images = []  # made at the next paint: only badges on screen cost anything
        self.setToolTip(f"Output on a sample: {thumb.describe()}")
        self.update()

    def follow(self, body: QRectF) -> None:
        """Hangs the badge under ``body`` (the block's rectangle, in the block's coordinates)."""
        self.setPos(body.left() + BADGE_INSET, body.bottom() + BADGE_GAP)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: object = None) -> None:
        if option.levelOfDetailFromTransform(painter.worldTransform()) < SIMPLE_BELOW_ZOOM:
            return  # far out the blocks are boxes with a title: a badge would be a smudge
        if self.thumbnail is not None and not self.images:
            self.images = thumbnail_images(self.thumbnail)
        colours = theme.current()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colours.node_border, 1.0))
        painter.setBrush(QBrush(colours.node_body))
        painter.drawRoundedRect(self._bounds.adjusted(0.5, 0.5, -0.5, -0.5), 4.0, 4.0)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        inner = self._bounds.adjusted(PADDING, PADDING, -PADDING, -PADDING)
        for target, image in zip(self._targets(inner), self.images, strict=False):
            painter.drawImage(target, image)

    def _targets(self, inner: QRectF) -> list[QRectF]:
        """Where each image goes: maps side by side at their aspect, the rest fill the badge."""
        if self.thumbnail is None or not self.images:
            return []
        if self.thumbnail.kind not in ("maps", "image"):
            return [inner]
        first = self.images[0]
        side = inner.height()
        width = side * first.width() / max(first.height(), 1)
        count = len(self.images)
        fits = (inner.width() + MAP_GAP) / (width + MAP_GAP)
        if count > fits:  # wide maps: shrink them all to fit the row
            width = (inner.width() + MAP_GAP) / count - MAP_GAP
            side = min(side, width * first.height() / max(first.width(), 1))
        top = inner.top() + (inner.height() - side) / 2
        left = inner.left() + (inner.width() - count * (width + MAP_GAP) + MAP_GAP) / 2
        return [QRectF(left + i * (width + MAP_GAP), top, width, side) for i in range(count)]


def show_thumbnail(node_item: QGraphicsItem, thumb: Thumbnail | None) -> None:
    """Shows ``thumb`` under ``node_item`` (a NodeItem), or removes its badge for None."""
    badge: ThumbnailItem | None = getattr(node_item, "thumbnail", None)
    if thumb is None:
        if badge is not None:
            badge.setParentItem(None)  # type: ignore[arg-type]  # None detaches (the stubs omit it)
            if badge.scene() is not None:
                badge.scene().removeItem(badge)
            node_item.thumbnail = None  # type: ignore[attr-defined]
        return
    if badge is None:
        badge = ThumbnailItem(node_item)
        node_item.thumbnail = badge  # type: ignore[attr-defined]
        badge.follow(node_item.body_rect())  # type: ignore[attr-defined]
    badge.set_thumbnail(thumb)
