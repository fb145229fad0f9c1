"""The quick-add popup: type to filter, best matches first, arrows and Enter, wire filters."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

import netbuilder
from netbuilder.core.blockspec import BlockSpec
from netbuilder.ui.block_list import CATEGORY_ROLE, SPANS_ROLE
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.palette import addable
from netbuilder.ui.quick_add import VISIBLE_ROWS, QuickAddPopup


def open_popup(qtbot: Any, accepts: Any = None) -> QuickAddPopup:
    popup = QuickAddPopup(netbuilder.new_document().catalogue, accepts)
    qtbot.addWidget(popup)
    popup.popup_at(QPoint(100, 100))
    qtbot.waitExposed(popup)
    return popup


def node_types(editor: DocumentWidget) -> list[str]:
    return [node.type for node in editor.doc.graph(editor.current_graph or "").nodes.values()]


def test_it_lists_every_block_and_filters_as_you_type(qtbot: Any) -> None:
    popup = open_popup(qtbot)
    catalogue = netbuilder.new_document().catalogue
    assert popup.visible_types() == [spec.type for spec in addable(catalogue)]
    qtbot.keyClicks(popup.search, "conv")
    assert popup.visible_types() == ["conv1d", "conv2d", "conv_transpose2d"]
    assert popup.current_type() == "conv1d"


def test_title_prefixes_come_before_substrings_and_matches_are_highlighted(
        qtbot: Any) -> None:
    popup = open_popup(qtbot)
    qtbot.keyClicks(popup.search, "soft")
    assert popup.visible_types()[:2] == ["softmax", "log_softmax"]
    first, second = popup.list.item(0), popup.list.item(1)
    assert first.data(SPANS_ROLE) == [(0, 4)]  # "Soft" of "Softmax" is drawn bold
    assert second.data(SPANS_ROLE) == [(4, 8)]  # "soft" of "Log-softmax"
    assert first.data(CATEGORY_ROLE) == "Activation"  # shown on the right


def test_arrows_move_and_enter_adds_the_current_block(qtbot: Any) -> None:
    popup = open_popup(qtbot)
    qtbot.keyClicks(popup.search, "conv")
    qtbot.keyClick(popup.search, Qt.Key.Key_Down)
    qtbot.keyClick(popup.search, Qt.Key.Key_Down)
    qtbot.keyClick(popup.search, Qt.Key.Key_Up)
    assert popup.current_type() == "conv2d"
    qtbot.keyClick(popup.search, Qt.Key.Key_Up)
    qtbot.keyClick(popup.search, Qt.Key.Key_Up)  # wraps around to the last one
    assert popup.current_type() == "conv_transpose2d"
    with qtbot.waitSignal(popup.chosen) as signal:
        qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert signal.args == ["conv_transpose2d"]
    assert not popup.isVisible()


def test_a_click_picks_and_escape_closes_without_picking(qtbot: Any) -> None:
    popup = open_popup(qtbot)
    qtbot.keyClicks(popup.search, "dropout")
    rect = popup.list.visualItemRect(popup.list.item(0))
    with qtbot.waitSignal(popup.chosen) as signal:
        qtbot.mouseClick(popup.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == ["dropout"]
    popup = open_popup(qtbot)
    picked: list[str] = []
    popup.chosen.connect(picked.append)
    qtbot.keyClick(popup.search, Qt.Key.Key_Escape)
    assert not popup.isVisible() and picked == []


def test_accepts_keeps_only_the_blocks_that_take_the_wire(qtbot: Any) -> None:
    def activation_only(spec: BlockSpec) -> bool:
        return spec.category == "Activation"

    popup = open_popup(qtbot, activation_only)
    catalogue = netbuilder.new_document().catalogue
    assert popup.visible_types()
    assert all(catalogue[t].category == "Activation" for t in popup.visible_types())
    assert popup.hint.isVisible()
    qtbot.keyClicks(popup.search, "dense")
    assert popup.visible_types() == [] and "dense" in popup.empty.text()


def test_a_wire_no_block_takes_says_so_and_a_failing_filter_is_contained(qtbot: Any) -> None:
    popup = open_popup(qtbot, lambda spec: False)
    assert popup.visible_types() == [] and "No block can take" in popup.empty.text()
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)  # nothing to add: nothing happens

    def broken(spec: BlockSpec) -> bool:
        if spec.type == "dense":
            raise ValueError("a shape rule tripped")
        return True

    popup = open_popup(qtbot, broken)
    assert "dense" not in popup.visible_types() and "conv2d" in popup.visible_types()


def test_tab_on_the_canvas_opens_it_and_enter_adds_the_block(qtbot: Any,
                                                             window: MainWindow) -> None:
    editor = window.new_document()
    view = editor.current_view
    assert view is not None
    view.setFocus()
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Tab)
    popup = QApplication.activePopupWidget()
    assert isinstance(popup, QuickAddPopup)
    qtbot.keyClicks(popup.search, "lstm")
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert node_types(editor) == ["lstm"]


def test_double_click_on_empty_canvas_opens_it(qtbot: Any, window: MainWindow) -> None:
    editor = window.new_document()
    view = editor.current_view
    assert view is not None
    QApplication.processEvents()
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton,
                      pos=view.mapFromScene(QPointF(300, 200)))
    popup = QApplication.activePopupWidget()
    assert isinstance(popup, QuickAddPopup)
    qtbot.keyClicks(popup.search, "gelu")
    qtbot.keyClick(popup.search, Qt.Key.Key_Enter)
    assert node_types(editor) == ["gelu"]


def test_the_popup_is_as_large_as_its_rows_and_their_text(qtbot: Any) -> None:
    catalogue = netbuilder.new_document().catalogue
    few = QuickAddPopup(catalogue, accepts=lambda spec: spec.category == "Pooling")
    qtbot.addWidget(few)
    few.show()
    rows = few.list.count()
    assert 0 < rows < VISIBLE_ROWS
    # Every row shows, with no blank row below the last.
    assert few.list.viewport().height() == rows * few.list.sizeHintForRow(0)
    many = QuickAddPopup(catalogue)
    qtbot.addWidget(many)
    many.show()
    assert many.list.count() > VISIBLE_ROWS
    assert many.list.viewport().height() == VISIBLE_ROWS * many.list.sizeHintForRow(0)
    # The longest title and its category fit side by side.
    longest = max(addable(catalogue), key=lambda spec: many.list.fontMetrics()
                  .horizontalAdvance(spec.title + spec.category))
    width = many.list.fontMetrics().horizontalAdvance(longest.title + longest.category)
    assert many.list.viewport().width() > width + many.list.iconSize().width()
