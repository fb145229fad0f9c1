"""The live label: training progress text that repaints without relaying out the window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from netbuilder.ui.live_label import MINIMUM_WIDTH_PX, WIDTH_STEP_PX, LiveLabel


class _LayoutRequests(QObject):
    """Counts the layout requests a widget receives."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _row(qtbot: Any, label: QLabel) -> tuple[QWidget, _LayoutRequests]:
    parent = QWidget()
    qtbot.addWidget(parent)
    layout = QHBoxLayout(parent)
    layout.addWidget(label)
    layout.addStretch(1)
    parent.resize(900, 40)
    parent.show()
    qtbot.waitExposed(parent)
    requests = _LayoutRequests()
    parent.installEventFilter(requests)
    return parent, requests


def _texts(count: int) -> list[str]:
    """Progress read-outs of changing widths, as a run streams them."""
    return [f"Epoch 1 of 3 · step {step:,} of 2,309 · {4000 + 37 * step:,} samples/s · "
            f"0:{step % 60:02d} left" for step in range(1, count + 1)]


def test_a_changing_text_asks_for_a_new_layout_only_when_it_needs_more_room(
        qtbot: Any) -> None:
    label = LiveLabel()
    _parent, requests = _row(qtbot, label)
    texts = _texts(40)
    for text in texts:
        label.setText(text)
        qtbot.wait(1)  # the posted layout requests arrive
    assert label.text() == texts[-1]
    assert label.accessibleName() == texts[-1]
    # The hint grew in steps as wider texts came: a few requests, not one per text.
    assert requests.count <= 3
    assert label.sizeHint().width() % WIDTH_STEP_PX == 0
    assert label.sizeHint().width() >= label.fontMetrics().horizontalAdvance(texts[-1])
    label.setText("")  # an idle status bar keeps no blank space
    assert label.sizeHint().width() == 0


def test_a_qlabel_relays_out_the_window_at_every_text(qtbot: Any) -> None:
    """Why the live label exists: the plain label asks for a layout at almost every text."""
    label = QLabel()
    _parent, requests = _row(qtbot, label)
    for text in _texts(40):
        label.setText(text)
        qtbot.wait(1)
    assert requests.count >= 20


def test_the_text_is_drawn_in_the_styles_colour_and_never_widens_its_layout(
        qtbot: Any) -> None:
    label = LiveLabel()
    label.setProperty("role", "subtle")
    label.setStyleSheet("QLabel[role=\"subtle\"] { color: #ff0000; }")
    _parent, _requests = _row(qtbot, label)
    label.setText("Epoch 1 of 3 · step 12 of 309 · 4,657 samples/s · 0:07 left")
    qtbot.wait(10)
    image = label.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    reds = sum(1 for y in range(image.height()) for x in range(image.width())
               if QColor(image.pixel(x, y)).red() > 200 and QColor(image.pixel(x, y)).green() < 80)
    assert reds > 20  # the text is painted, in the style sheet's colour
    # A long text may be squeezed (its end elided) rather than widen the dock or the bar.
    assert label.minimumSizeHint().width() <= MINIMUM_WIDTH_PX
