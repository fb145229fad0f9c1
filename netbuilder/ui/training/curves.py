"""Live training curves that keep every step: loss per step, validation per epoch, the rate.

The record (:class:`~netbuilder.train.record.RunRecord`) holds 100% of the steps; every
redraw hands pyqtgraph only about two points per pixel column, the min and the max of the
steps each column covers (:meth:`StepSeries.envelope`, whose cost does not grow with the
history), so a spike is never averaged away and a 10-million-step run redraws as fast as a
short one. Smoothing (TensorBoard's debiased moving average) is computed on the full-resolution
steps before that decimation, so the smoothed curve is the same at every zoom. The lines
that change at every frame are drawn by one lightweight item (:class:`StreamLines`); the
per-epoch figures and the overlaid runs, which change far less often, by pyqtgraph's own.
Axis ranges are set by this view (x to the whole run, y widened only when the data leave it),
never auto-ranged every frame; OpenGL stays off.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from netbuilder.train.record import RunRecord
from netbuilder.train.series import StepSeries, decimate_minmax
from netbuilder.ui import theme
from netbuilder.ui.training.stream_lines import StreamLines

#: The smoothing a new view starts with (TensorBoard's default is 0.6).
DEFAULT_SMOOTHING = 0.6
#: Colours of the loss parts and the overlaid runs, in order.
PALETTE = ("#4a7fd4", "#d0843a", "#3e9b6b", "#c94f4f", "#8e5bd0", "#2f9fae", "#b0569e",
           "#8d9a2f")
#: The loss plot's y range: the margin around the data (of their span), and the room given
#: beyond the side the data left when they leave the range.
Y_MARGIN = 0.05
Y_HEADROOM = 0.3
#: Where in PALETTE the loss parts' colours start (a VAE's reconstruction and KL, a GAN's
#: discriminator loss).
PART_COLOURS_FROM = 6
#: How long the smoothing slider waits before recomputing (a new weight costs a pass over
#: every step: about 0.2 s at 10 million).
SMOOTHING_DELAY_MS = 120


def _rgb_f(colour: QColor) -> tuple[float, float, float]:
    """The colour's red, green and blue, 0 to 1 (``getRgbF`` is typed as a bare object)."""
    return colour.redF(), colour.greenF(), colour.blueF()


@dataclass(frozen=True)
class Overlay:
    """Another run's loss curve drawn under the current one.

    Attributes:
        run_id: its id in the history.
        name: what the legend calls it.
        steps: the step of each point (an envelope from the history: mins and maxes).
        values: the loss at those points.
    """

    run_id: int
    name: str
    steps: np.ndarray
    values: np.ndarray


class CurvesView(QWidget):
    """The loss, accuracy and learning-rate plots of one run, with overlays of others.

    Signals:
        hovered(str): the read-out under the cursor ("step 1,234 · epoch 3 · loss 0.41").
        exported(str, bool): what an export did (the message, whether it failed).
    """

    hovered = Signal(str)
    exported = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record: RunRecord | None = None
        self.overlays: list[Overlay] = []
        self.smoothing = DEFAULT_SMOOTHING
        self._follow = True  # the view picks the ranges until the user zooms or pans
        self._y_range: tuple[float, float] | None = None
        self._setting_range = False
        self._overlay_items: list[pg.PlotDataItem] = []
        self._lr_top: float | None = None
        self._epoch_x: float | None = None
        self._epochs_drawn: tuple[object, ...] | None = None  # what the epoch points show
        self._x_range: tuple[float, float] | None = None
        self._parts: list[str] = []  # the loss parts drawn beside the loss (a GAN's)
        self._overlays_drawn: tuple[object, ...] | None = None  # the view the overlays show
        self._lr_drawn: tuple[object, ...] | None = None  # what the learning-rate line shows

        self.plots = pg.GraphicsLayoutWidget(self)
        self.plots.setAntialiasing(False)
        self.loss_plot = self.plots.addPlot(row=0, col=0)
        self.accuracy_plot = self.plots.addPlot(row=0, col=1)
        self.lr_plot = self.plots.addPlot(row=0, col=2)
        for column, stretch in enumerate((5, 3, 2)):
            self.plots.ci.layout.setColumnStretchFactor(column, stretch)
        for plot, title in ((self.loss_plot, "Loss per step"),
                            (self.accuracy_plot, "Validation accuracy (%)"),
                            (self.lr_plot, "Learning rate")):
            plot.setTitle(title, size="9pt")
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.getAxis("bottom").setLabel("step")
            # Axes and titles change only when a range does: drawn from a pixmap
            # cache, a redraw while streaming costs the curves alone (axis text played back
            # took 3 ms an axis, 15 of the 17 ms a redraw cost without the cache).
            for name in ("left", "bottom"):
                plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.titleLabel.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.accuracy_plot.setYRange(0, 100, padding=0.02)
        self.accuracy_plot.getViewBox().setMouseEnabled(x=True, y=False)
        # The streaming lines: "raw" (every step), "smooth", then a line per loss part.
        self.lines = StreamLines()
        self.lines.add_line("raw", pg.mkPen(PALETTE[0]))
        self.lines.add_line("smooth", pg.mkPen(PALETTE[0], width=2))
        self.loss_plot.addItem(self.lines, ignoreBounds=True)
        self.val_loss = self.loss_plot.plot(name="validation loss", symbol="o", symbolSize=5)
        self.accuracy = self.accuracy_plot.plot(symbol="o", symbolSize=5)
        self.lr = self.lr_plot.plot()
        self.step_line = pg.InfiniteLine(angle=90, movable=False)
        self.step_line.setVisible(False)
        self.loss_plot.addItem(self.step_line, ignoreBounds=True)
        box = self.loss_plot.getViewBox()
        box.sigRangeChangedManually.connect(self._user_moved)
        box.sigXRangeChanged.connect(self._range_changed)
        box.sigResized.connect(self._range_changed)
        self.loss_plot.scene().sigMouseMoved.connect(self._mouse_moved)

        self.key = QLabel(self)
        self.key.setTextFormat(Qt.TextFormat.RichText)
        self.key.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.key.setContentsMargins(6, 0, 6, 0)
        self.key.setProperty("role", "subtle")
        # What the cursor points at in the loss plot. Long read-outs are cut, never widen the
        # dock (and squeeze the side panels).
        self.readout = QLabel(" ", self)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.readout.setProperty("role", "subtle")
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.smoothing_slider.setRange(0, 990)
        self.smoothing_slider.setValue(round(DEFAULT_SMOOTHING * 1000))
        self.smoothing_slider.setFixedWidth(120)
        self.smoothing_slider.setToolTip("Smoothing of the loss curve (a debiased moving "
                                         "average over every step; 0 is none)")
        self.smoothing_label = QLabel(f"{DEFAULT_SMOOTHING:.2f}", self)
        self.smoothing_label.setMinimumWidth(30)
        self._smoothing_timer = QTimer(self)
        self._smoothing_timer.setSingleShot(True)
        self._smoothing_timer.setInterval(SMOOTHING_DELAY_MS)
        self._smoothing_timer.timeout.connect(self._apply_smoothing)
        self.smoothing_slider.valueChanged.connect(self._smoothing_moved)
        self.log_box = QCheckBox("Log scale", self)
        self.log_box.setToolTip("Show the loss on a logarithmic axis")
        self.log_box.toggled.connect(self._log_toggled)
        self.fit_button = QToolButton(self)
        self.fit_button.setText("Fit")
        self.fit_button.setToolTip("Show the whole run again and follow it")
        self.fit_button.clicked.connect(self.fit)
        self.export_button = QToolButton(self)
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save the plots as a PNG picture, or every step of the "
                                      "run as CSV")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("Plots as PNG…", self._export_png_dialog)
        menu.addAction("Every step as CSV…", self._export_csv_dialog)
        self.export_button.setMenu(menu)
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(QLabel("Smoothing", self))
        controls.addWidget(self.smoothing_slider)
        controls.addWidget(self.smoothing_label)
        controls.addSpacing(8)
        controls.addWidget(self.log_box)
        controls.addWidget(self.fit_button)
        controls.addWidget(self.export_button)
        controls.addSpacing(8)
        controls.addWidget(self.readout, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.key)
        layout.addWidget(self.plots, 1)
        layout.addLayout(controls)
        theme.notifier().changed.connect(self._apply_theme)
        self._apply_theme()

    # ----- what to show ----------------------------------------------------------------------
    def show_record(self, record: RunRecord | None) -> None:
        """Shows ``record`` (the current run, or None) and follows it."""
        self.record = record
        self._follow = True
        self._y_range = None
        self._x_range = self._lr_top = self._epoch_x = self._epochs_drawn = None
        self._overlays_drawn = self._lr_drawn = None
        for name in self._parts:
            self.lines.remove_line(name)
        self._parts.clear()
        self._update_legend()
        self.refresh()

    def set_overlays(self, overlays: Sequence[Overlay]) -> None:
        """Other runs to draw under the current one (from the history)."""
        for item in self._overlay_items:
            self.loss_plot.removeItem(item)
        self.overlays = list(overlays)
        self._overlay_items = []
        self._overlays_drawn = None
        for index, overlay in enumerate(self.overlays):
            colour = QColor(PALETTE[(index + 2) % len(PALETTE)])
            colour.setAlpha(170)
            item = self.loss_plot.plot(name=overlay.name, pen=pg.mkPen(colour, width=1))
            item.setZValue(-5)
            self._overlay_items.append(item)
        self._update_legend()
        self.refresh()

    def fit(self) -> None:
        """Back to the whole run, following it as it grows."""
        self._follow = True
        self._y_range = self._x_range = None
        self.refresh()

    # ----- drawing ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraws from the record: a cost of about two points per pixel column."""
        self._fit_plots_to_view()
        record = self.record
        series = record.series.get("loss") if record is not None else None
        if self._follow:
            self._set_x_range()
        x0, x1 = self.loss_plot.getViewBox().viewRange()[0]
        columns = max(32, int(self.loss_plot.getViewBox().width()))
        if series is None or not len(series):
            self.lines.clear()
            for item in (self.val_loss, self.accuracy, self.lr):
                item.setData([], [])
        else:
            assert record is not None
            self._draw_series("raw", series, x0, x1, columns)
            smoothed = series.smoothed_series(self.smoothing)
            self._draw_series("smooth", smoothed, x0, x1, columns)
            self._draw_parts(record, x0, x1, columns)
            self._draw_epochs(record, x0, x1, columns)
        overlays_key = (x0, x1, columns, self.log_box.isChecked())
        if overlays_key != self._overlays_drawn:  # finished runs: redrawn only on a new view
            self._overlays_drawn = overlays_key
            for item, overlay in zip(self._overlay_items, self.overlays, strict=True):
                inside = (overlay.steps >= x0) & (overlay.steps <= x1)
                xs, ys = decimate_minmax(overlay.steps[inside], overlay.values[inside],
                                         columns)
                item.setData(xs, self._y(ys), connect="finite")
        if self._follow:
            self._set_y_range()

    def _fit_plots_to_view(self) -> None:
        """Gives the plots the view's width again after they outgrew it.

        While an axis widens for longer tick labels, the plots' minimum width can pass the
        view's for a moment; Qt then widens their layout, and nothing narrows it again until
        the view is resized: the right-hand plot stayed cut off. Checked at each redraw.
        """
        view = self.plots
        layout = view.centralWidget
        if layout is not None and layout.geometry() != view.range:
            layout.setGeometry(view.range)

    def _draw_series(self, line: str, series: StepSeries, x0: float, x1: float,
                     columns: int) -> None:
        xs, ys = series.envelope(x0, x1, columns)
        self.lines.set_points(line, xs, self._y(ys))

    def _draw_parts(self, record: RunRecord, x0: float, x1: float, columns: int) -> None:
        parts = [name for name in record.series if name != "loss"]
        # A GAN's generator loss is the run's loss itself: draw the discriminator's beside it.
        for index, name in enumerate(parts):
            if name == "g_loss":
                continue
            if name not in self._parts:
                # Past the colours of the loss (0), the validation points (1), the
                # accuracy (2) and the first overlaid runs (2, 3, 4...).
                colour = PALETTE[(index + PART_COLOURS_FROM) % len(PALETTE)]
                self.lines.add_line(name, pg.mkPen(colour, width=1.5))
                self._parts.append(name)
                self._update_legend()
            smoothed = record.series[name].smoothed_series(self.smoothing)
            self._draw_series(name, smoothed, x0, x1, columns)

    def _draw_epochs(self, record: RunRecord, x0: float, x1: float, columns: int) -> None:
        figures = record.epochs
        key = (len(figures), x0, x1, columns, self.log_box.isChecked())
        if key != self._epochs_drawn:  # unchanged most frames: epochs end far less often
            self._epochs_drawn = key
            steps = figures.steps.astype(np.float64)
            inside = (steps >= x0) & (steps <= x1)
            # Epochs without validation figures are left out (a scatter of NaN warns).
            shown = inside & np.isfinite(figures.val_loss)
            _draw_points(self.val_loss, steps[shown], self._y(figures.val_loss[shown]),
                         columns)
            shown = np.isfinite(figures.val_accuracy)
            _draw_points(self.accuracy, steps[shown], figures.val_accuracy[shown] * 100.0,
                         columns)
        if record.started is not None:
            # Set only when it changes: a new range redraws the axes (the costly part).
            last = max(record.total_steps, record.step, 1)
            if last != self._epoch_x:
                self._epoch_x = last
                self.accuracy_plot.setXRange(0, last, padding=0.02)
                self.lr_plot.setXRange(0, last, padding=0.02)
        self._draw_lr(record)

    def _draw_lr(self, record: RunRecord) -> None:
        """The learning rate as steps, up to the current step: redrawn when it changes or
        its line grows by a pixel, not at every report (each redraw repaints the plot)."""
        changes = record.lr_changes
        if not len(changes):
            return
        columns = max(8, int(self.lr_plot.getViewBox().width()))
        end = max(record.step, int(changes.column("steps")[-1]))
        span = max(self._epoch_x or end, 1)
        key = (len(changes), span, columns, end * columns // span)
        if key == self._lr_drawn:
            return
        self._lr_drawn = key
        xs = np.repeat(changes.column("steps").astype(np.float64), 2)[1:]
        ys = np.repeat(changes.column("values"), 2)
        xs = np.append(xs, float(end))
        self.lr.setData(*decimate_minmax(xs, ys, columns))
        # A constant rate would auto-range to a band around it: show it from zero.
        top = float(np.max(ys)) * 1.15
        if top != self._lr_top:
            self._lr_top = top
            self.lr_plot.setYRange(0, top, padding=0)

    def _y(self, values: np.ndarray) -> np.ndarray:
        """Values as the loss axis draws them (log10 on the log scale, gaps where <= 0)."""
        values = np.asarray(values, dtype=np.float64)
        if not self.log_box.isChecked():
            return values
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)

    def _set_x_range(self) -> None:
        record = self.record
        last = 1.0
        first = 0.0
        if record is not None:
            series = record.series.get("loss")
            if series is not None and len(series):
                first = series.first_step - 1
            last = max(float(record.total_steps), float(record.step), first + 1)
        for overlay in self.overlays:
            if len(overlay.steps):
                last = max(last, float(overlay.steps[-1]))
        if self._x_range != (first, last):
            self._x_range = (first, last)
            self._set_range(lambda box: box.setXRange(first, last, padding=0.01))

    def _set_y_range(self) -> None:
        """Widens the y range to the data when they leave it; never shrinks it each frame."""
        values = [self.lines.values(name) for name in ("raw", *self._parts)]
        values += [np.asarray(item.yData) for item in (self.val_loss, *self._overlay_items)
                   if item.yData is not None]
        values = [array for array in values if len(array)]
        if not values:
            return
        data = np.concatenate(values)
        data = data[np.isfinite(data)]
        if not data.size:
            return
        low, high = float(data.min()), float(data.max())
        current = self._y_range
        if current is not None and current[0] <= low and high <= current[1]:
            return
        # The side the data left gets room to go on: a falling loss would otherwise leave
        # the range at almost every frame, and each new range redraws the axes' text and
        # grid (about 2 ms); with the room, the range changes a dozen times a run.
        span = max(high - low, 1e-9)
        below = Y_HEADROOM if current is not None and low < current[0] else Y_MARGIN
        above = Y_HEADROOM if current is not None and high > current[1] else Y_MARGIN
        self._y_range = (low - below * span, high + above * span)
        self._set_range(lambda box: box.setYRange(*self._y_range, padding=0))

    def _set_range(self, apply: object) -> None:
        self._setting_range = True
        try:
            apply(self.loss_plot.getViewBox())  # type: ignore[operator]
        finally:
            self._setting_range = False

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.refresh()

    def _update_legend(self) -> None:
        """The key to the loss plot's lines, above the plots: a legend inside a plot this
        small would cover the curves it explains."""
        entries = [("every step", self.lines.pen("raw")), ("smoothed", self.lines.pen("smooth")),
                   ("validation", self.val_loss.opts.get("pen")),
                   *((name, self.lines.pen(name)) for name in self._parts),
                   *((overlay.name, item.opts.get("pen")) for overlay, item in zip(
                       self.overlays, self._overlay_items, strict=True))]
        parts = []
        for label, pen in entries:
            colour = "#888888"
            if pen is not None:
                shade = pg.mkPen(pen).color()
                # A faint line's swatch is drawn as faint (the text colour has no alpha).
                base = QColor(theme.panel().base)
                alpha = shade.alphaF()
                colour = QColor.fromRgbF(*(alpha * c + (1 - alpha) * b for c, b in zip(
                    _rgb_f(shade), _rgb_f(base), strict=True))).name()
            parts.append(f"<span style='color:{colour}'>■</span>&nbsp;{html.escape(label)}")
        self.key.setText("Loss: " + "&nbsp;&nbsp;".join(parts))

    # ----- interaction ----------------------------------------------------------------------
    def _user_moved(self, *_: object) -> None:
        self._follow = False

    def _range_changed(self, *_: object) -> None:
        if not self._setting_range and not self._follow:
            self.refresh()  # zoomed or panned: decimate anew for the new range

    def _mouse_moved(self, position: QPointF) -> None:
        box = self.loss_plot.getViewBox()
        if self.record is None or not self.loss_plot.sceneBoundingRect().contains(position):
            self.step_line.setVisible(False)
            return
        step = box.mapSceneToView(position).x()
        text = self.readout_at(step)
        self.step_line.setPos(round(step))
        self.step_line.setVisible(bool(text))
        self.readout.setText(text or " ")
        self.hovered.emit(text)

    def readout_at(self, step: float) -> str:
        """What the read-out says for the step nearest ``step``: "" outside the run."""
        record = self.record
        series = record.series.get("loss") if record is not None else None
        if record is None or series is None or not len(series):
            return ""
        index = round(step) - series.first_step
        if not 0 <= index < len(series):
            return ""
        number = series.first_step + index
        parts = [f"step {number:,}", f"epoch {record.epoch_of(number)}",
                 f"loss {_figure(series.values[index])}"]
        if self.smoothing > 0:
            parts.append(f"smoothed {_figure(series.smoothed(self.smoothing)[index])}")
        for name, other in record.series.items():
            if name not in ("loss", "g_loss") and index < len(other):
                parts.append(f"{name} {_figure(other.values[index])}")
        return " · ".join(parts)

    def _smoothing_moved(self, value: int) -> None:
        self.smoothing_label.setText(f"{value / 1000:.2f}")
        self._smoothing_timer.start()

    def _apply_smoothing(self) -> None:
        self.smoothing = self.smoothing_slider.value() / 1000
        self.refresh()

    def _log_toggled(self, _checked: bool) -> None:
        self._y_range = None
        self.loss_plot.getAxis("left").setLogMode(self.log_box.isChecked())
        self.refresh()
        self._set_y_range()

    # ----- export -----------------------------------------------------------------------------
    def _export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the plots", self._suggested(".png"),
                                              "PNG pictures (*.png)")
        if path:
            self._report(lambda: self.export_png(Path(path)), f"Saved {Path(path).name}")

    def _export_csv_dialog(self) -> None:
        if self.record is None:
            self.exported.emit("There is no run to export yet", True)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save every step", self._suggested(".csv"),
                                              "CSV files (*.csv)")
        if path:
            self._report(lambda: self.export_csv(Path(path)), f"Saved {Path(path).name}")

    def _suggested(self, suffix: str) -> str:
        name = self.record.name if self.record is not None else "training"
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_")
        return str(Path.home() / f"{stem or 'training'}{suffix}")

    def _report(self, work: object, done: str) -> None:
        try:
            result = work()  # type: ignore[operator]
        except (OSError, ValueError) as error:
            self.exported.emit(f"Cannot export: {error}", True)
            return
        extra = f" ({result:,} steps)" if isinstance(result, int) else ""
        self.exported.emit(done + extra, False)

    def export_png(self, path: Path) -> None:
        """The plots as they are on screen."""
        if not self.plots.grab().save(str(path)):
            raise OSError(f"{path}: the picture could not be written")

    def export_csv(self, path: Path) -> int:
        """Every step of the run (see RunRecord.csv_rows); returns the steps written."""
        if self.record is None:
            raise ValueError("there is no run to export yet")
        return self.record.write_csv(path)

    # ----- looks -------------------------------------------------------------------------------
    def _apply_theme(self, _name: str = "") -> None:
        colours = theme.current()
        panel = theme.panel()
        self.plots.setBackground(QColor(panel.base))
        text = colours.node_subtle
        for plot in (self.loss_plot, self.accuracy_plot, self.lr_plot):
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setPen(pg.mkPen(text))
                plot.getAxis(axis).setTextPen(pg.mkPen(text))
            plot.titleLabel.setText(plot.titleLabel.text, color=colours.node_text.name(),
                                    size="9pt")
        raw = QColor(PALETTE[0])
        raw.setAlpha(90)
        self.lines.set_pen("raw", pg.mkPen(raw, width=1))
        self.lines.set_pen("smooth", pg.mkPen(PALETTE[0], width=2))
        self.val_loss.setPen(pg.mkPen(PALETTE[1], width=1.5))
        self.val_loss.setSymbolBrush(PALETTE[1])
        self.val_loss.setSymbolPen(None)
        self.accuracy.setPen(pg.mkPen(PALETTE[2], width=1.5))
        self.accuracy.setSymbolBrush(PALETTE[2])
        self.accuracy.setSymbolPen(None)
        self.lr.setPen(pg.mkPen(PALETTE[4], width=1.5))
        self.step_line.setPen(pg.mkPen(colours.node_subtle, width=1, style=Qt.PenStyle.DashLine))
        self._update_legend()


def _figure(value: float) -> str:
    value = float(value)
    return "—" if math.isnan(value) else f"{value:.4g}"


def _draw_points(item: pg.PlotDataItem, xs: np.ndarray, ys: np.ndarray, columns: int) -> None:
    """Per-epoch figures: a dot each while they fit, else their min/max envelope as a line
    (thousands of short epochs would be a smear of dots and a redraw that grows)."""
    fits = len(xs) <= columns
    if fits != (item.opts["symbol"] is not None):
        item.setSymbol("o" if fits else None)
    item.setData(*decimate_minmax(xs, ys, columns))
