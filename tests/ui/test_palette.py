"""The block palette: categories with icons and tooltips, search, and adding blocks."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QDrag, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

import netbuilder
from netbuilder.core.blockspec import CATEGORIES
from netbuilder.ui import block_search
from netbuilder.ui.canvas.view import BLOCK_MIME
from netbuilder.ui.document import DocumentWidget
from netbuilder.ui.main_window import MainWindow
from netbuilder.ui.palette import HIDDEN_ROLES, PaletteWidget, addable

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def palette(qtbot: Any) -> PaletteWidget:
    widget = PaletteWidget(netbuilder.new_document().catalogue)
    qtbot.addWidget(widget)
    widget.resize(220, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def node_types(editor: DocumentWidget) -> list[str]:
    return [node.type for node in editor.doc.graph(editor.current_graph or "").nodes.values()]


def test_every_addable_block_is_listed_under_its_category_with_icon_and_tooltip(
        palette: PaletteWidget) -> None:
    catalogue = palette.catalogue
    listed = palette.visible_types()
    assert listed == [spec.type for spec in addable(catalogue)]
    assert not {catalogue[t].role for t in listed} & set(HIDDEN_ROLES)
    assert "torch_op" in catalogue and "torch_op" not in listed  # only an import makes one
    headings = [palette.tree.topLevelItem(i).text(0)
                for i in range(palette.tree.topLevelItemCount())]
    assert headings == [c for c in CATEGORIES if c in headings]  # in the catalogue's order
    for item in palette.items():
        spec = catalogue[item.data(0, Qt.ItemDataRole.UserRole)]
        assert item.parent().text(0) == spec.category
        assert not item.icon(0).isNull()
        assert spec.title in item.toolTip(0) and "Output" in item.toolTip(0)


def test_icons_are_crisp_on_high_dpi_screens(palette: PaletteWidget) -> None:
    icon = palette.items()[0].icon(0)
    # Drawn for 1x, 2x and 3x screens, not scaled up from 16 pixels.
    assert {size.width() for size in icon.availableSizes()} >= {16, 32, 48}
    pixmap = icon.pixmap(QSize(16, 16), 2.0)
    assert pixmap.width() == 32 and pixmap.devicePixelRatio() == 2.0


def test_typing_filters_to_the_best_matches_first(qtbot: Any, palette: PaletteWidget) -> None:
    qtbot.keyClicks(palette.search, "pool")
    found = palette.visible_types()
    assert found and all("pool" in t for t in found)
    assert palette.stack.currentWidget() is palette.results
    qtbot.keyClick(palette.search, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(palette.search, "relu")
    assert palette.visible_types()[:2] == ["relu", "leaky_relu"]  # a title prefix comes first
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)
    assert palette.search.text() == ""
    assert palette.stack.currentWidget() is palette.tree


def test_a_search_without_matches_says_so(qtbot: Any, palette: PaletteWidget) -> None:
    qtbot.keyClicks(palette.search, "zzz")
    assert palette.visible_types() == []
    assert palette.stack.currentWidget() is palette.no_match
    assert "zzz" in palette.no_match.text()


def test_enter_in_the_search_box_activates_the_first_match(qtbot: Any,
                                                           palette: PaletteWidget) -> None:
    qtbot.keyClicks(palette.search, "max 2d")
    with qtbot.waitSignal(palette.block_activated) as signal:
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert signal.args == ["maxpool2d"]


def test_down_then_enter_picks_another_result(qtbot: Any, palette: PaletteWidget) -> None:
    qtbot.keyClicks(palette.search, "conv")
    assert palette.visible_types()[:2] == ["conv1d", "conv2d"]
    palette.search.setFocus()
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    assert palette.results.current_type() == "conv2d"
    with qtbot.waitSignal(palette.block_activated) as signal:
        qtbot.keyClick(palette.results, Qt.Key.Key_Return)
    assert signal.args == ["conv2d"]


def test_enter_and_double_click_add_blocks_to_the_document(qtbot: Any,
                                                           window: MainWindow) -> None:
    editor = window.new_document()
    qtbot.keyClicks(window.block_palette.search, "dense")
    qtbot.keyClick(window.block_palette.search, Qt.Key.Key_Return)
    assert node_types(editor) == ["dense"]
    window.block_palette.search.clear()
    QApplication.processEvents()
    item = window.block_palette.item_for("dropout")
    assert item is not None
    tree = window.block_palette.tree
    tree.scrollToItem(item)
    centre = tree.visualItemRect(item).center()
    qtbot.mouseClick(tree.viewport(), LEFT, pos=centre)
    qtbot.mouseDClick(tree.viewport(), LEFT, pos=centre)
    assert node_types(editor) == ["dense", "dropout"]
    editor.undo_stack.undo()
    assert node_types(editor) == ["dense"]


def test_a_dragged_block_lands_on_the_canvas(qtbot: Any, window: MainWindow,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # QDrag.exec runs a platform drag loop that offscreen input cannot drive (TERRAIN.md):
    # catch what the palette's drag carries and deliver it as the canvas would receive it.
    editor = window.new_document()
    carried: list[QMimeData] = []
    monkeypatch.setattr(QDrag, "exec", lambda drag, *args: carried.append(drag.mimeData()))
    tree = window.block_palette.tree
    tree.setCurrentItem(window.block_palette.item_for("conv2d"))
    tree.startDrag(Qt.DropAction.CopyAction)
    assert carried and bytes(carried[0].data(BLOCK_MIME).data()) == b"conv2d"
    view = editor.current_view
    assert view is not None
    pos = view.mapFromScene(QPointF(200, 150))
    _drop(view.viewport(), carried[0], pos)
    assert node_types(editor) == ["conv2d"]


def _drop(target: Any, data: QMimeData, pos: QPoint) -> None:
    action, buttons = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    modifiers = Qt.KeyboardModifier.NoModifier
    for event in (QDragEnterEvent(pos, action, data, buttons, modifiers),
                  QDragMoveEvent(pos, action, data, buttons, modifiers),
                  QDropEvent(QPointF(pos), action, data, buttons, modifiers)):
        QApplication.sendEvent(target, event)


def test_ranking_rules() -> None:
    specs = addable(netbuilder.new_document().catalogue)

    def first(query: str, count: int = 1) -> list[str]:
        return [m.spec.type for m in block_search.search(specs, query)][:count]

    assert first("soft", 2) == ["softmax", "log_softmax"]  # prefix before word start
    assert first("mha") == ["multi_head_attention"]  # initials
    assert first("bn") == ["batchnorm"]  # camel case initials
    assert "dropout" in first("normalization", 9)  # found through its category
    found = block_search.match(next(s for s in specs if s.type == "maxpool2d"), "pool 2d")
    assert found is not None and found.spans == ((4, 8), (9, 11))
