"""GAN results: the generator's pictures of a fixed noise batch, one grid per epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from netbuilder.train import results as kinds
from netbuilder.ui.training.results.base import ResultsView
from netbuilder.ui.training.results.pictures import PictureGrid

if TYPE_CHECKING:
    from netbuilder.train.record import RunRecord


class GanView(ResultsView):
    """The same noise through the generator as it learns; the slider goes back in epochs.

    The slider's last position follows the newest grid (mid-epoch ones included); moved
    back, it stays on the epoch chosen.
    """

    kind = kinds.GAN
    waiting = ("The generator's pictures of a fixed noise batch appear here during the first "
               "epoch, one grid per epoch.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = PictureGrid("", self)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._slid)
        self.slider_label = QLabel(self)
        self.slider_label.setMinimumWidth(120)
        row = QHBoxLayout()
        row.addWidget(QLabel("Epoch", self))
        row.addWidget(self.slider, 1)
        row.addWidget(self.slider_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(self.grid, 1)
        layout.addLayout(row)
        self._record: RunRecord | None = None
        self._epochs: list[int] = []
        self._following = True

    def clear(self) -> None:
        self.grid.set_images(None, title="")
        self._epochs = []
        self._record = None
        self.slider.setRange(0, 0)
        self.slider_label.setText("")

    def draw(self, record: RunRecord) -> None:
        self._record = record
        log = record.results
        self._epochs = sorted(log.epoch_images)
        latest = log.latest
        live = latest is not None and not latest.final
        positions = len(self._epochs) + (1 if live else 0)
        self.slider.blockSignals(True)
        at_end = self._following or self.slider.value() >= self.slider.maximum()
        self.slider.setRange(0, max(positions - 1, 0))
        if at_end:
            self.slider.setValue(self.slider.maximum())
        self.slider.blockSignals(False)
        self._show(self.slider.value())

    def _slid(self, position: int) -> None:
        self._following = position >= self.slider.maximum()
        self._show(position)

    def _show(self, position: int) -> None:
        record = self._record
        if record is None:
            return
        log = record.results
        latest = log.latest
        if position < len(self._epochs):
            epoch = self._epochs[position]
            self.grid.set_images(log.epoch_images[epoch],
                                 title=f"Fixed noise after epoch {epoch}")
            self.slider_label.setText(f"epoch {epoch} of {self._epochs[-1]}")
        elif latest is not None and "fixed noise" in latest.images:
            self.grid.set_images(latest.images["fixed noise"],
                                 title=f"Fixed noise during epoch {latest.epoch}, step "
                                       f"{latest.step:,}")
            self.slider_label.setText(f"epoch {latest.epoch} (live)")
