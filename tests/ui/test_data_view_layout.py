"""The Setup page of the Training dock: the data summary stacks above the sample thumbnails,
whatever the summary's length and the column's width, and the page is never clipped.

The previews are built by hand (no data set is loaded): what is checked is the layout of
netbuilder/ui/training/data_view.py inside the form of netbuilder/ui/training/settings_form.py,
as the dock composes them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea, QWidget

from netbuilder.train.data.preview import DataPreview
from netbuilder.train.recipes import DataInfo
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.training.data_view import THUMBNAILS, DataPreviewView
from netbuilder.ui.training.dock import SETTINGS_WIDTH

#: A message as long as the dock's "does not fit the Input" ones: three lines in the column.
LONG_MESSAGE = ("pictures_of_cats_and_dogs: samples are shaped (3, 224, 224) but the graph's "
                "Input expects (1, 28, 28); change the Input's shape or choose other data")


def picture_preview(sizes: dict[str, int] | None = None, classes: int = 10) -> DataPreview:
    """A preview of pictures with labels; long split sizes make a long summary."""
    info = DataInfo(name="pictures", sample_shape=(1, 28, 28), target_shape=(),
                    integer_targets=True, classes=tuple(str(i) for i in range(classes)),
                    sizes=sizes or {"train": 1_618, "test": 179})
    images = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
    return DataPreview(info, images=images, labels=[str(i) for i in range(8)])


#: Wraps onto two or three lines in the settings column.
LONG_SIZES = {"train": 1_281_167, "validation": 50_000, "test": 100_000}


def setup_page(qtbot: Any, window: MainWindow, width: int) -> Any:
    """The Training dock shown, its Setup page current, its settings column ``width`` wide."""
    dock = window.training
    window.training_dock.show()
    window.training_dock.raise_()
    dock.pages.setCurrentWidget(scroll_of(dock.form.basic))
    dock.splitter.setSizes([width, 1366 - width])
    qtbot.waitUntil(lambda: dock.form.basic.isVisible(), timeout=2000)
    return dock


def scroll_of(page: QWidget) -> QScrollArea:
    scroll = page.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea)
    return scroll


def settle(rounds: int = 5) -> None:
    """Runs the posted events (layout requests) as a script driving the window does.

    Not ``qtbot.wait``: QTest's wait also runs the deferred deletes, which hides the very
    case of widgets removed from the layout but still on screen.
    """
    for _ in range(rounds):
        QApplication.processEvents()


def geometry_in(widget: QWidget, ancestor: QWidget) -> QRect:
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def shown_thumbnails(view: DataPreviewView) -> list[QLabel]:
    """Every picture label on screen inside the view, whether the layout holds it or not."""
    return [label for label in view.findChildren(QLabel)
            if label.isVisible() and label is not view.summary and label is not view.detail]


def assert_summary_clear(view: DataPreviewView, page: QWidget) -> None:
    """The summary has the height its text needs at its width, and no picture covers it."""
    summary = view.summary
    assert summary.height() >= summary.heightForWidth(summary.width()), summary.text()
    area = geometry_in(summary, page)
    for label in shown_thumbnails(view):
        assert not geometry_in(label, page).intersects(area), (
            f"a thumbnail at {geometry_in(label, page)} covers the summary at {area}")


@pytest.mark.parametrize("width", [SETTINGS_WIDTH, 520])
def test_a_long_summary_stacks_above_the_thumbnails(qtbot: Any, window: MainWindow,
                                                    width: int) -> None:
    dock = setup_page(qtbot, window, width)
    view, page = dock.preview, dock.form.basic
    view.show_preview(picture_preview(LONG_SIZES, classes=1000))
    qtbot.waitUntil(lambda: len(shown_thumbnails(view)) == THUMBNAILS, timeout=2000)
    settle()
    summary = view.summary
    assert summary.heightForWidth(summary.width()) > summary.fontMetrics().height()  # wraps
    assert_summary_clear(view, page)
    row = geometry_in(view._thumbnails[0], page)
    assert row.top() >= geometry_in(summary, page).bottom()  # below it, not beside it


def test_a_message_after_pictures_is_not_covered_by_the_old_row(qtbot: Any,
                                                                window: MainWindow) -> None:
    """A data set that does not fit, chosen after one that showed pictures: the old row must
    go at once, even when the calls come from outside the event loop (dock.start() from a
    script does that), where the deferred deletes wait."""
    dock = setup_page(qtbot, window, SETTINGS_WIDTH)
    view, page = dock.preview, dock.form.basic
    preview = picture_preview()
    view.show_preview(preview)
    qtbot.waitUntil(lambda: len(shown_thumbnails(view)) == THUMBNAILS, timeout=2000)
    view.show_preview(preview)  # a readiness check shows the cached preview again
    settle()
    view.show_error(LONG_MESSAGE)
    settle()
    assert view.summary.text() == LONG_MESSAGE
    assert_summary_clear(view, page)
    assert shown_thumbnails(view) == []


def test_the_same_preview_shown_again_keeps_its_thumbnails(qtbot: Any,
                                                           window: MainWindow) -> None:
    dock = setup_page(qtbot, window, SETTINGS_WIDTH)
    view = dock.preview
    preview = picture_preview()
    view.show_preview(preview)
    first = list(view._thumbnails)
    view.show_preview(preview)
    assert view._thumbnails == first and len(first) == THUMBNAILS
    other = picture_preview(LONG_SIZES)
    view.show_preview(other)  # another preview: new pictures, new summary
    assert view._thumbnails != first and view.summary.text() == other.summary()
    view.show_loading("digits")
    view.show_preview(preview)  # the first one again after loading: shown in full
    assert view.thumbnail_count == THUMBNAILS and view.summary.text() == preview.summary()


@pytest.mark.parametrize("width", [SETTINGS_WIDTH, 520])
def test_the_setup_page_fits_its_column_and_scrolls(qtbot: Any, window: MainWindow,
                                                    width: int) -> None:
    """Nothing cut off at the right (there is no horizontal scroll bar), and a dock lower
    than the page scrolls it rather than squeezing the rows together."""
    dock = setup_page(qtbot, window, width)
    view, page = dock.preview, dock.form.basic
    view.show_preview(picture_preview(LONG_SIZES, classes=1000))
    qtbot.waitUntil(lambda: len(shown_thumbnails(view)) == THUMBNAILS, timeout=2000)
    scroll = scroll_of(page)
    window.training_dock.setFloating(True)
    window.training_dock.resize(width + 500, 150)
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().isVisible(), timeout=2000)
    settle()
    assert page.width() <= scroll.viewport().width()
    assert page.height() >= page.heightForWidth(page.width())
    assert_summary_clear(view, page)
    for child in page.findChildren(QWidget):
        if child.isVisible() and child.parentWidget() is page:
            assert geometry_in(child, page).right() < page.width(), child


def test_both_settings_pages_fit_the_narrowest_column(qtbot: Any, window: MainWindow) -> None:
    """The narrowest the splitter allows, with a vertical scroll bar: rows too long for it put
    their label above the field instead of running past the right edge."""
    dock = setup_page(qtbot, window, SETTINGS_WIDTH)
    bar = scroll_of(dock.form.basic).verticalScrollBar().sizeHint().width()
    for page in (dock.form.basic, dock.form.advanced):
        assert page.minimumSizeHint().width() <= SETTINGS_WIDTH - bar
