"""Small vector icons painted in code: one glyph per block category, and problem severities.

They are drawn with QPainter rather than shipped as files so that they take the category
colours of the active theme and stay crisp on any screen: every icon holds pixmaps for
device pixel ratios 1, 2 and 3, and Qt picks the one that matches the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from netbuilder.ui import theme

#: The pixel ratios every icon carries a pixmap for (1x, 2x and 3x screens).
_RATIOS = (1.0, 2.0, 3.0)
#: Glyphs are designed on a 16 x 16 grid and scaled to the icon size.
_GRID = 16.0

Painter = Callable[[QPainter], None]


def _pixmap(size: int, ratio: float, paint: Painter) -> QPixmap:
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(size / _GRID, size / _GRID)
    paint(painter)
    painter.end()
    return pixmap


def _icon(size: int, paint: Painter) -> QIcon:
    icon = QIcon()
    for ratio in _RATIOS:
        icon.addPixmap(_pixmap(size, ratio, paint))
    return icon


def _stroke(painter: QPainter, colour: QColor, width: float = 1.5) -> None:
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)


def _dot(painter: QPainter, colour: QColor, x: float, y: float, radius: float = 1.4) -> None:
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(QPointF(x, y), radius, radius)


def _path(*points: tuple[float, float]) -> QPainterPath:
    path = QPainterPath(QPointF(*points[0]))
    for point in points[1:]:
        path.lineTo(QPointF(*point))
    return path


# ----- one glyph per category, drawn in ``ink`` on the category colour ---------------------------
def _io(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink)
    p.drawPath(_path((3.5, 8), (12, 8)))
    p.drawPath(_path((8.5, 4.5), (12, 8), (8.5, 11.5)))


def _dense(p: QPainter, ink: QColor) -> None:
    faint = QColor(ink)
    faint.setAlphaF(0.55)
    _stroke(p, faint, 0.9)
    for left in (4.0, 8.0, 12.0):
        for right in (6.0, 10.0):
            p.drawLine(QPointF(4.5, left), QPointF(11.5, right))
    for y in (4.0, 8.0, 12.0):
        _dot(p, ink, 4.5, y)
    for y in (6.0, 10.0):
        _dot(p, ink, 11.5, y)


def _convolution(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink, 1.2)
    p.drawRoundedRect(QRectF(3.5, 3.5, 9, 9), 1, 1)
    for at in (6.5, 9.5):
        p.drawLine(QPointF(at, 3.5), QPointF(at, 12.5))
        p.drawLine(QPointF(3.5, at), QPointF(12.5, at))


def _pooling(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink, 1.2)
    p.drawRoundedRect(QRectF(3.5, 3.5, 9, 9), 1, 1)
    p.drawLine(QPointF(8, 3.5), QPointF(8, 12.5))
    p.drawLine(QPointF(3.5, 8), QPointF(12.5, 8))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(ink)
    p.drawRect(QRectF(3.5, 3.5, 4.5, 4.5))


def _recurrent(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink)
    p.drawArc(QRectF(3.5, 3.5, 9, 9), 100 * 16, 290 * 16)
    p.drawPath(_path((5.2, 2.6), (7.6, 3.7), (6.4, 6.1)))


def _attention(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink, 1.3)
    eye = QPainterPath(QPointF(2.5, 8))
    eye.quadTo(QPointF(8, 2.5), QPointF(13.5, 8))
    eye.quadTo(QPointF(8, 13.5), QPointF(2.5, 8))
    p.drawPath(eye)
    _dot(p, ink, 8, 8, 1.9)


def _normalization(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink, 1.4)
    bell = QPainterPath(QPointF(2.5, 12))
    bell.cubicTo(QPointF(6, 12), QPointF(6, 3.5), QPointF(8, 3.5))
    bell.cubicTo(QPointF(10, 3.5), QPointF(10, 12), QPointF(13.5, 12))
    p.drawPath(bell)


def _activation(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink)
    curve = QPainterPath(QPointF(3, 12))
    curve.cubicTo(QPointF(9, 12), QPointF(7, 4), QPointF(13, 4))
    p.drawPath(curve)


def _structure(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink, 1.4)
    p.drawPath(_path((6, 3.5), (4, 3.5), (4, 12.5), (6, 12.5)))
    p.drawPath(_path((10, 3.5), (12, 3.5), (12, 12.5), (10, 12.5)))
    _dot(p, ink, 8, 8, 1.1)


def _merge(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink)
    p.drawPath(_path((3.5, 4), (8, 8), (3.5, 12)))
    p.drawLine(QPointF(8, 8), QPointF(12.5, 8))


def _generative(p: QPainter, ink: QColor) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(ink)
    star = QPainterPath(QPointF(8, 2.5))
    for x, y in ((9.3, 6.7), (13.5, 8), (9.3, 9.3), (8, 13.5), (6.7, 9.3), (2.5, 8), (6.7, 6.7)):
        star.lineTo(QPointF(x, y))
    star.closeSubpath()
    p.drawPath(star)


def _loss(p: QPainter, ink: QColor) -> None:
    _stroke(p, ink, 1.3)
    p.drawEllipse(QPointF(8, 8), 4.8, 4.8)
    _dot(p, ink, 8, 8, 1.7)


_GLYPHS: dict[str, Callable[[QPainter, QColor], None]] = {
    "Input / Output": _io,
    "Dense": _dense,
    "Convolution": _convolution,
    "Pooling": _pooling,
    "Recurrent": _recurrent,
    "Attention": _attention,
    "Normalization": _normalization,
    "Activation": _activation,
    "Structure": _structure,
    "Merge": _merge,
    "Generative": _generative,
    "Loss": _loss,
}


def paint_category_glyph(painter: QPainter, rect: QRectF, category: str,
                         background: bool = True) -> None:
    """Paints a category's glyph into ``rect`` (for example on a node's header).

    Args:
        painter: an active painter; its state is restored afterwards.
        rect: where to paint; the glyph is scaled to fit its smaller side.
        category: the block category; an unknown one gets the Structure glyph.
        background: draw the rounded square in the category colour, with a white glyph on
            it; without it the glyph itself takes the category colour.
    """
    colour = theme.current().category(category)
    side = min(rect.width(), rect.height())
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(rect.center().x() - side / 2, rect.center().y() - side / 2)
    painter.scale(side / _GRID, side / _GRID)
    if background:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(0.5, 0.5, 15, 15), 3.5, 3.5)
    _GLYPHS.get(category, _structure)(painter, QColor("#ffffff") if background else colour)
    painter.restore()


@lru_cache(maxsize=128)
def _category_icon(category: str, size: int, theme_name: str) -> QIcon:
    def paint(painter: QPainter) -> None:
        paint_category_glyph(painter, QRectF(0, 0, _GRID, _GRID), category)
    return _icon(size, paint)


def category_icon(category: str, size: int = 16) -> QIcon:
    """The category's glyph on a rounded square of its colour."""
    return _category_icon(category, size, theme.current().name)


# ----- problem severities ------------------------------------------------------------------------
def _paint_error(p: QPainter) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(theme.current().error)
    p.drawEllipse(QRectF(1, 1, 14, 14))
    _stroke(p, QColor("#ffffff"), 1.8)
    p.drawLine(QPointF(5.5, 5.5), QPointF(10.5, 10.5))
    p.drawLine(QPointF(10.5, 5.5), QPointF(5.5, 10.5))


def _paint_warning(p: QPainter) -> None:
    triangle = _path((8, 1.5), (15, 14), (1, 14))
    triangle.closeSubpath()
    pen = QPen(theme.current().warning, 1.2)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(theme.current().warning)
    p.drawPath(triangle)
    ink = QColor("#1f2328")
    _stroke(p, ink, 1.8)
    p.drawLine(QPointF(8, 6), QPointF(8, 9.5))
    _dot(p, ink, 8, 11.9, 1.0)


def _paint_ok(p: QPainter) -> None:
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(theme.CATEGORY_HUES["Input / Output"]))
    p.drawEllipse(QRectF(1, 1, 14, 14))
    _stroke(p, QColor("#ffffff"), 1.8)
    p.drawPath(_path((4.8, 8.3), (7, 10.5), (11.3, 5.8)))


_SEVERITIES: dict[str, Painter] = {"error": _paint_error, "warning": _paint_warning,
                                   "ok": _paint_ok}


@lru_cache(maxsize=32)
def _severity_icon(severity: str, size: int, theme_name: str) -> QIcon:
    return _icon(size, _SEVERITIES.get(severity, _paint_warning))


def severity_icon(severity: str, size: int = 16) -> QIcon:
    """A red cross for ``"error"``, an amber triangle for ``"warning"``, a tick for ``"ok"``."""
    return _severity_icon(severity, size, theme.current().name)


# ----- small interface icons ---------------------------------------------------------------------
def _paint_search(p: QPainter) -> None:
    _stroke(p, theme.current().node_subtle, 1.5)
    p.drawEllipse(QPointF(7, 7), 4, 4)
    p.drawLine(QPointF(10, 10), QPointF(13.5, 13.5))


@lru_cache(maxsize=8)
def _search_icon(size: int, theme_name: str) -> QIcon:
    return _icon(size, _paint_search)


def search_icon(size: int = 16) -> QIcon:
    """A magnifying glass in the theme's subtle text colour (for search boxes)."""
    return _search_icon(size, theme.current().name)
