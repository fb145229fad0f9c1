"""The plots of the activation viewer: one block's output, and its histograms over time.

Both are pyqtgraph layouts that build their items when the kind of picture changes (a conv's
maps, a strip, attention heads) and afterwards only hand new arrays to the items they have:
one ``setImage`` per picture per probe, with the levels given (no automatic level scan).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from netbuilder.train.probe_pictures import HistogramHistory, Picture
from netbuilder.ui import theme

#: Colours of activations (a perceptually even map) and of histogram densities.
ACTIVATION_COLOURS = "viridis"
DENSITY_COLOURS = "inferno"
#: Attention heads drawn side by side; more are left out (the title says so).
MAX_HEADS = 8
#: Token labels written on an attention map's axes; longer sequences get every n-th.
MAX_TICKS = 24
#: Room for the colour bar's numbers.
BAR_AXIS_WIDTH = 34


def _style(plot: pg.PlotItem, title: str) -> None:
    """Colours, title and chrome of a new plot, or of every plot when the theme changes."""
    colours = theme.current()
    text = colours.node_subtle
    plot.setTitle(title, size="9pt", color=colours.node_text.name())
    plot.setMenuEnabled(False)
    plot.hideButtons()
    for axis in ("left", "bottom"):
        plot.getAxis(axis).setPen(pg.mkPen(text))
        plot.getAxis(axis).setTextPen(pg.mkPen(text))


def _retitle(plot: pg.PlotItem, title: str) -> None:
    """Sets a shown plot's title when it changes. Restyling a plot at every probe laid out
    its title and redrew its axes from scratch: most of the 6 ms a picture took the GUI
    thread, twice a second while a run streams."""
    if plot.titleLabel.text != title:
        plot.setTitle(title, size="9pt", color=theme.current().node_text.name())


def _image() -> pg.ImageItem:
    item = pg.ImageItem(axisOrder="row-major")
    item.setColorMap(pg.colormap.get(ACTIVATION_COLOURS))
    return item


class OutputView(pg.GraphicsLayoutWidget):
    """One block's output for one sample: a picture with a colour bar, or attention heads.

    Attributes:
        images: the image items shown now (one per picture or head), for tests and exports.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAntialiasing(False)
        self.ci.layout.setContentsMargins(2, 2, 8, 2)  # the colour bar's numbers need room
        self.images: list[pg.ImageItem] = []
        self.plots: list[pg.PlotItem] = []
        self.bar: pg.ColorBarItem | None = None
        self._layout_key: tuple[object, ...] | None = None
        self.apply_theme()

    def apply_theme(self) -> None:
        self.setBackground(QColor(theme.panel().base))
        self._layout_key = None  # rebuilt with the new colours at the next picture

    def clear_view(self) -> None:
        self.clear()
        self.images, self.plots, self.bar = [], [], None
        self._layout_key = None

    def show_picture(self, picture: Picture, title: str, x_label: str = "",
                     y_label: str = "") -> None:
        """One picture with a colour bar (maps tiled, a strip, states over time)."""
        key = ("picture", title.split(" · ")[0], x_label, y_label)
        if key != self._layout_key:
            self.clear_view()
            plot = self.addPlot(row=0, col=0)
            plot.invertY(True)  # rows from the top, as the maps are seen
            plot.setAspectLocked(x_label == "")  # tiles keep square pixels
            plot.getAxis("bottom").setLabel(x_label)
            plot.getAxis("left").setLabel(y_label)
            if not x_label:
                plot.hideAxis("bottom")
                plot.hideAxis("left")
            _style(plot, title)
            image = _image()
            plot.addItem(image)
            self.bar = pg.ColorBarItem(colorMap=pg.colormap.get(ACTIVATION_COLOURS),
                                       interactive=False, width=12, colorMapMenu=False)
            self.bar.setImageItem(image)
            self.bar.axis.setWidth(BAR_AXIS_WIDTH)
            self.addItem(self.bar, row=0, col=1)
            self.images, self.plots = [image], [plot]
            self._layout_key = key
        _retitle(self.plots[0], title)
        image = self.images[0]
        shape = image.image.shape if image.image is not None else None
        image.setImage(picture.image, levels=picture.levels, autoLevels=False)
        if self.bar is not None and tuple(self.bar.levels()) != tuple(picture.levels):
            self.bar.setLevels(picture.levels)
        if shape != picture.image.shape:  # the same picture's range stands (and a zoom too)
            self.plots[0].autoRange(padding=0.02)

    def show_heads(self, weights: np.ndarray, tokens: Sequence[str], title: str) -> None:
        """Attention weights (heads, query steps, context steps): one heat map per head,
        the query tokens down the side and the context tokens along the bottom."""
        heads = min(len(weights), MAX_HEADS)
        key = ("heads", heads, weights.shape[1:], tuple(tokens))
        new_layout = key != self._layout_key
        if new_layout:
            self.clear_view()
            for head in range(heads):
                plot = self.addPlot(row=0, col=head)
                plot.invertY(True)
                plot.setAspectLocked(True)
                _style(plot, "")
                image = _image()
                plot.addItem(image)
                _set_token_ticks(plot, tokens, weights.shape[1], weights.shape[2])
                self.images.append(image)
                self.plots.append(plot)
            self.bar = pg.ColorBarItem(values=(0.0, 1.0), interactive=False, width=12,
                                       colorMap=pg.colormap.get(ACTIVATION_COLOURS),
                                       colorMapMenu=False)
            self.bar.axis.setWidth(BAR_AXIS_WIDTH)
            self.addItem(self.bar, row=0, col=heads)
            self._layout_key = key
        more = f" (first {heads} of {len(weights)} heads)" if len(weights) > heads else ""
        for head, (plot, image) in enumerate(zip(self.plots, self.images, strict=True)):
            _retitle(plot, (title + more if head == 0 else "") + f"  head {head + 1}")
            image.setImage(weights[head], levels=(0.0, 1.0), autoLevels=False)
            if new_layout:  # the heads' shape is in the layout's key: their range stands
                plot.autoRange(padding=0.02)


def _set_token_ticks(plot: pg.PlotItem, tokens: Sequence[str], rows: int, columns: int
                     ) -> None:
    for axis, count in (("bottom", columns), ("left", rows)):
        if len(tokens) != count:
            plot.getAxis(axis).setTicks(None)
            continue
        every = max(1, -(-count // MAX_TICKS))
        ticks = [(index + 0.5, str(tokens[index])) for index in range(0, count, every)]
        plot.getAxis(axis).setTicks([ticks, []])


class HistogramsView(pg.GraphicsLayoutWidget):
    """Histories of histograms (activations, weights, gradients) as heat maps: the step
    along x, the value up y, brighter where more values fall."""

    KINDS = ("activations", "weights", "gradients")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAntialiasing(False)
        self.plots: dict[str, pg.PlotItem] = {}
        self.images: dict[str, pg.ImageItem] = {}
        # Side by side: the dock is wide and short, and each map needs its height.
        for column, kind in enumerate(self.KINDS):
            plot = self.addPlot(row=0, col=column)
            image = pg.ImageItem(axisOrder="row-major")
            image.setColorMap(pg.colormap.get(DENSITY_COLOURS))
            plot.addItem(image)
            plot.getAxis("left").setWidth(30)
            self.plots[kind], self.images[kind] = plot, image
        for kind in self.KINDS[1:]:
            self.plots[kind].setXLink(self.plots["activations"])
        self.titles = dict.fromkeys(self.KINDS, "")
        self.apply_theme()

    def apply_theme(self) -> None:
        self.setBackground(QColor(theme.panel().base))
        for kind, plot in self.plots.items():
            _style(plot, self.titles.get(kind, "") or kind.capitalize())

    def show_history(self, kind: str, history: HistogramHistory | None, title: str) -> None:
        """Draws one history (None: empty, with ``title`` saying why)."""
        image, plot = self.images[kind], self.plots[kind]
        self.titles[kind] = title
        _retitle(plot, title)
        if history is None or len(history) == 0:
            image.clear()
            return
        cells, steps, (low, high) = history.heat_map()
        # Densities in a row span 0..1; a square root keeps thin tails visible.
        shown = np.sqrt(cells.T)
        image.setImage(shown, levels=(0.0, float(shown.max()) or 1.0), autoLevels=False)
        first, last = float(steps[0]), float(steps[-1])
        width = max(last - first, 1.0) * len(steps) / max(len(steps) - 1, 1)
        image.setRect(QRectF(first, low, width, high - low))
        plot.autoRange(padding=0.02)
