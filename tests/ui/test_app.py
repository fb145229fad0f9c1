"""The placeholder app window: tabs, tables, status bar, menus and file errors (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

import netbuilder
from netbuilder.blocks import CATALOGUE
from netbuilder.core.graph import Document, Edge, Node
from netbuilder.core.inference import analyse_document
from netbuilder.ui import app as app_module
from netbuilder.ui.app import COL_BLOCK, COL_NODE, COL_PARAMS, COL_PROBLEMS, COL_SHAPE, MainWindow


def _chain(doc: Document, network: str, nodes: list[tuple[str, str, dict]]) -> None:
    """Adds a network whose nodes are wired one after the other (y -> x)."""
    graph = doc.add_graph(network)
    previous: str | None = None
    for index, (name, type_id, params) in enumerate(nodes):
        node_id = doc.new_id("n")
        full = {**CATALOGUE[type_id].default_params(), **params}
        doc.add_node(graph, Node(node_id, type_id, name, full, (index * 160.0, 0.0)))
        if previous is not None:
            doc.add_edge(graph, Edge(doc.new_id("e"), previous, "y", node_id, "x"))
        previous = node_id


def make_document() -> Document:
    """A small CNN, and a second network with one unconnected block."""
    doc = Document(CATALOGUE)
    _chain(doc, "classifier", [
        ("image", "input", {"shape": [1, 28, 28], "dtype": "float32"}),
        ("conv1", "conv2d", {"filters": 32, "kernel_size": 3}),
        ("conv2", "conv2d", {"filters": 64, "kernel_size": 3}),
        ("flatten1", "flatten", {}),
        ("dropout1", "dropout", {"rate": 0.5}),
        ("dense1", "dense", {"units": 10, "activation": "softmax"}),
        ("probabilities", "output", {}),
    ])
    _chain(doc, "sketch", [
        ("features", "input", {"shape": [20], "dtype": "float32"}),
        ("hidden", "dense", {"units": 16}),
        ("result", "output", {}),
    ])
    graph = doc.graph("sketch")
    params = {**CATALOGUE["dense"].default_params(), "units": 4}
    doc.add_node(graph, Node(doc.new_id("n"), "dense", "orphan", params, (0.0, 200.0)))
    return doc


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = MainWindow(make_document(), "mnist_cnn.nbg")
    qtbot.addWidget(win)
    return win


def _rows(win: MainWindow, network: str) -> dict[str, list[str]]:
    table = win.table(network)
    rows = {}
    for index in range(table.topLevelItemCount()):
        item = table.topLevelItem(index)
        rows[item.text(COL_NODE)] = [item.text(c) for c in range(table.columnCount())]
    return rows


def test_title_names_the_file(window: MainWindow) -> None:
    assert window.windowTitle() == "netbuilder — mnist_cnn.nbg"


def test_one_tab_per_network(window: MainWindow) -> None:
    names = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert names == ["classifier", "sketch"]
    assert not window.empty_label.isVisibleTo(window)


def test_table_shows_blocks_shapes_and_parameters(window: MainWindow) -> None:
    rows = _rows(window, "classifier")
    assert list(rows) == ["image", "conv1", "conv2", "flatten1", "dropout1", "dense1",
                          "probabilities"]
    assert rows["conv1"][COL_BLOCK] == "Conv 2D"
    assert rows["image"][COL_SHAPE] == "(1, 28, 28)"
    assert rows["conv1"][COL_SHAPE] == "(32, 26, 26)"
    assert rows["conv2"][COL_SHAPE] == "(64, 24, 24)"
    assert rows["flatten1"][COL_SHAPE] == "(36864,)"
    assert rows["conv1"][COL_PARAMS] == "320"  # 32 * (3*3*1) + 32
    assert rows["conv2"][COL_PARAMS] == "18,496"  # 64 * (3*3*32) + 64
    assert rows["dense1"][COL_PARAMS] == "368,650"  # 10 * 36864 + 10
    assert rows["probabilities"][COL_SHAPE] == ""  # Output has no output port
    assert all(row[COL_PROBLEMS] == "" for row in rows.values())


def test_problems_column_names_what_is_wrong(window: MainWindow) -> None:
    rows = _rows(window, "sketch")
    assert "not connected" in rows["orphan"][COL_PROBLEMS]
    assert rows["orphan"][COL_SHAPE] == "?"
    assert rows["hidden"][COL_PROBLEMS] == ""
    item = window.table("sketch").item_for_node(
        window.doc.graph("sketch").node_by_name("orphan").id)
    assert item is not None
    assert item.foreground(COL_PROBLEMS).color().red() > 150  # shown in red


def test_status_bar_totals_every_network(window: MainWindow) -> None:
    expected = sum(a.total_params for a in analyse_document(window.doc).values())
    assert expected == 320 + 18_496 + 368_650 + (20 * 16 + 16)
    assert window.total_params() == expected
    assert f"Total parameters: {expected:,}" in window.params_label.text()
    assert "error" in window.statusBar().currentMessage()  # the orphan in "sketch"


def test_empty_window(qtbot) -> None:
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.windowTitle() == "netbuilder"
    assert win.tabs.count() == 0
    assert win.empty_label.isVisibleTo(win)
    assert win.params_label.text() == ""


def test_menu_shortcuts(window: MainWindow) -> None:
    assert window.open_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert window.open_action.shortcut().toString() == "Ctrl+O"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"


def test_quit_closes_the_window(qtbot, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.quit_action.trigger()
    qtbot.waitUntil(lambda: not window.isVisible())


def test_open_file_shows_the_loaded_document(qtbot, tmp_path: Path, window: MainWindow
                                             ) -> None:
    path = tmp_path / "copy.nbg"
    netbuilder.save(make_document(), path)
    assert window.open_file(path)
    assert window.windowTitle() == "netbuilder — copy.nbg"
    assert window.path == path
    assert _rows(window, "classifier")["conv2"][COL_SHAPE] == "(64, 24, 24)"


@pytest.fixture
def errors_shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Records message boxes instead of blocking on them."""
    shown: list[tuple[str, str]] = []

    def exec_(box: QMessageBox) -> int:
        shown.append((box.text(), box.informativeText()))
        return QMessageBox.StandardButton.Ok.value

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return shown


def test_a_broken_file_is_explained_and_the_window_keeps_its_document(
        tmp_path: Path, window: MainWindow, errors_shown: list[tuple[str, str]]) -> None:
    bad = tmp_path / "broken.nbg"
    bad.write_text("{ this is not json", encoding="utf-8")
    before = window.doc
    assert not window.open_file(bad)
    assert len(errors_shown) == 1
    title, text = errors_shown[0]
    assert title == "<b>Cannot open broken.nbg</b>"
    assert "broken.nbg" in text
    assert "JSON" in text
    assert window.doc is before
    assert window.windowTitle() == "netbuilder — mnist_cnn.nbg"


def test_a_missing_file_is_explained(tmp_path: Path, window: MainWindow,
                                     errors_shown: list[tuple[str, str]]) -> None:
    assert not window.open_file(tmp_path / "nowhere.nbg")
    assert "no such file" in errors_shown[0][1]


def test_main_opens_an_empty_window_after_a_load_error(
        qapp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        errors_shown: list[tuple[str, str]], capsys: pytest.CaptureFixture[str]) -> None:
    before = set(QApplication.topLevelWidgets())
    windows: list[MainWindow] = []

    def fake_exec(*_args) -> int:
        # exec() would block until the window closes: look at the window instead.
        windows.extend(w for w in QApplication.topLevelWidgets()
                       if isinstance(w, MainWindow) and w not in before)
        return 0

    monkeypatch.setattr(QApplication, "exec", fake_exec)
    bad = tmp_path / "bad.nbg"
    bad.write_text('{"format": "something-else"}', encoding="utf-8")
    try:
        assert app_module.main(str(bad)) == 0
        assert len(windows) == 1
        assert windows[0].isVisible()
        assert windows[0].doc is None
        assert errors_shown and "bad.nbg" in errors_shown[0][1]
        assert "bad.nbg" in capsys.readouterr().err
    finally:
        for widget in windows:
            widget.close()
            widget.deleteLater()


def test_window_grabs_offscreen(qtbot, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    image = window.grab().toImage()
    assert image.width() >= 640
    assert image.height() >= 400
    # Not a blank surface: the tables drew something.
    assert len({image.pixel(x, y) for x in range(0, image.width(), 37)
                for y in range(0, image.height(), 29)}) > 3


def test_network_rows_carry_node_ids(window: MainWindow) -> None:
    table = window.table("classifier")
    first = table.topLevelItem(0)
    node = window.doc.graph("classifier").node_by_name("image")
    assert first.data(COL_NODE, Qt.ItemDataRole.UserRole) == node.id


def test_file_open_asks_for_a_file_and_opens_it(tmp_path: Path, window: MainWindow,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "chosen.nbg"
    netbuilder.save(make_document(), path)
    asked: list[str] = []

    def choose(_parent, _caption, start, filters):
        asked.append(filters)
        return str(path), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(choose))
    window.open_action.trigger()
    assert asked and "*.nbg" in asked[0]
    assert window.windowTitle() == "netbuilder — chosen.nbg"


def test_file_open_cancelled_changes_nothing(window: MainWindow,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_: ("", "")))
    before = window.doc
    window.open_action.trigger()
    assert window.doc is before
