"""Files in the window: open, examples, the gallery, save, save as, recent files, drops, closing.

Every modal dialog is replaced (see ``FakeDialogs``); keyboard shortcuts are pressed for real.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QDialog

import netbuilder
from netbuilder import resources
from netbuilder.core import fileformat
from netbuilder.ui import recent
from netbuilder.ui.files import nbg_paths
from netbuilder.ui.gallery import GalleryDialog
from netbuilder.ui.main_window import MainWindow
from tests.ui.shell_support import (
    Button,
    FakeDialogs,
    example_copy,
    key,
    modify,
)


def _node_count(doc: netbuilder.Document) -> int:
    return sum(len(graph.nodes) for graph in doc.graphs.values())


# ----- opening ----------------------------------------------------------------------------------
def test_ctrl_o_opens_a_file_and_remembers_it(qtbot: Any, window: MainWindow,
                                             dialogs: FakeDialogs, tmp_path: Path) -> None:
    path = example_copy(tmp_path)
    dialogs.open_paths = [str(path)]
    key(qtbot, window, "Ctrl+O")
    editor = window.current_editor
    assert editor is not None and editor.path == path
    assert window.windowTitle() == "mnist_cnn.nbg[*] — netbuilder"
    assert recent.recent_files()[0] == path.resolve()


def test_opening_an_open_file_shows_its_tab(window: MainWindow, tmp_path: Path) -> None:
    path = example_copy(tmp_path)
    first = window.open_file(path)
    window.new_document()
    assert window.open_file(path) is first
    assert window.current_editor is first
    assert window.tabs.count() == 2


def test_several_files_open_side_by_side(window: MainWindow, tmp_path: Path) -> None:
    for name in ("mnist_cnn", "gan_mnist", "perceptron"):
        window.open_file(example_copy(tmp_path, name))
    assert [window.tabs.tabText(i) for i in range(3)] == [
        "mnist_cnn.nbg", "gan_mnist.nbg", "perceptron.nbg"]


def test_a_file_that_fails_to_load_shows_an_error_and_changes_nothing(
        window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    good = window.open_file(example_copy(tmp_path))
    modify(good)
    before = fileformat.dumps(good.doc)
    broken = tmp_path / "broken.nbg"
    broken.write_text('{"format": "netbuilder-graph", "version": 1, "networks": [', "utf-8")
    assert window.open_file(broken) is None
    assert len(dialogs.errors) == 1 and "broken.nbg" in dialogs.errors[0]
    assert window.tabs.count() == 1
    assert window.current_editor is good
    assert good.modified and fileformat.dumps(good.doc) == before


def test_a_missing_recent_file_is_explained_and_dropped_from_the_list(
        window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    path = example_copy(tmp_path)
    recent.add_recent(path)
    path.unlink()
    window.recent_menu.refill()
    entry = next(a for a in window.recent_menu.actions() if a.text().endswith("mnist_cnn.nbg"))
    entry.trigger()
    assert "no such file" in dialogs.errors[0]
    assert recent.recent_files() == []
    assert window.tabs.count() == 0


def test_the_recent_menu_lists_files_newest_first_and_opens_them(
        window: MainWindow, tmp_path: Path) -> None:
    paths = [example_copy(tmp_path, name) for name in ("perceptron", "mnist_cnn")]
    for path in paths:
        recent.add_recent(path)
    window.recent_menu.refill()
    texts = [a.text() for a in window.recent_menu.actions() if a.text()]
    assert texts[:2] == ["&1  mnist_cnn.nbg", "&2  perceptron.nbg"]
    window.recent_menu.actions()[1].trigger()
    assert window.current_editor.path == paths[0]
    window.recent_menu.actions()[-1].trigger()  # Clear List
    assert recent.recent_files() == []


# ----- examples and the gallery -----------------------------------------------------------------
def test_an_example_opens_as_a_copy_and_save_asks_where(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    bundled = resources.example_path("mnist_cnn")
    original = bundled.read_bytes()
    editor = window.open_file(bundled, as_copy=True)
    assert editor is not None and editor.path is None
    assert window.windowTitle() == "mnist_cnn (example)[*] — netbuilder"
    modify(editor)
    target = tmp_path / "mine"
    dialogs.save_paths = [str(target)]
    key(qtbot, window, "Ctrl+S")
    assert Path(dialogs.save_suggestions[0]).name == "mnist_cnn.nbg"
    assert Path(dialogs.save_suggestions[0]).parent != resources.examples_dir()
    assert editor.path == tmp_path / "mine.nbg" and not editor.modified
    assert bundled.read_bytes() == original
    assert _node_count(netbuilder.load(editor.path)) == _node_count(editor.doc)


def test_opening_a_bundled_file_by_path_still_opens_a_copy(window: MainWindow) -> None:
    editor = window.open_file(resources.example_path("perceptron"))
    assert editor is not None and editor.path is None
    assert window.tabs.tabText(0) == "perceptron (example)"


def test_save_as_refuses_the_bundled_examples_folder(
        window: MainWindow, dialogs: FakeDialogs) -> None:
    bundled = resources.example_path("perceptron")
    original = bundled.read_bytes()
    editor = window.open_file(bundled)
    modify(editor)
    dialogs.save_paths = [str(bundled)]
    assert not window.save_as()
    assert "read-only" in dialogs.errors[0]
    assert editor.modified and bundled.read_bytes() == original


def test_the_gallery_shows_every_example_with_a_thumbnail(qtbot: Any) -> None:
    dialog = GalleryDialog()
    qtbot.addWidget(dialog)
    names = resources.list_examples()
    assert dialog.list.count() == len(names)
    for row in range(dialog.list.count()):
        item = dialog.list.item(row)
        image = item.icon().pixmap(dialog.list.iconSize()).toImage()
        assert not image.isNull()
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
                   for y in range(0, image.height(), 7)}
        assert len(colours) > 3, f"{item.text()}: blank thumbnail"
    assert dialog.list.currentRow() == 0


def test_the_gallery_opens_a_copy_of_the_chosen_example(
        window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    def choose_gan(dialog: GalleryDialog) -> int:
        row = resources.list_examples().index("gan_mnist")
        dialog.list.setCurrentRow(row)
        dialog.open_button.click()
        return dialog.result()

    monkeypatch.setattr(GalleryDialog, "exec", choose_gan)
    window.actions_by_name["gallery"].trigger()
    editor = window.current_editor
    assert editor is not None and editor.path is None
    assert window.tabs.tabText(0) == "gan_mnist (example)"
    assert set(editor.doc.networks) == {"generator", "discriminator"}


def test_cancelling_the_gallery_opens_nothing(window: MainWindow,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GalleryDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    window.open_gallery()
    assert window.tabs.count() == 0


# ----- saving -----------------------------------------------------------------------------------
def test_ctrl_s_saves_to_the_file_and_clears_the_marker(
        qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    path = example_copy(tmp_path)
    editor = window.open_file(path)
    modify(editor)
    assert window.isWindowModified()
    key(qtbot, window, "Ctrl+S")
    assert not editor.modified and not window.isWindowModified()
    assert _node_count(netbuilder.load(path)) == _node_count(editor.doc)


def test_ctrl_shift_s_saves_under_a_new_name_with_the_suffix(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    editor = window.new_document()
    modify(editor)
    dialogs.save_paths = [str(tmp_path / "fresh")]
    key(qtbot, window, "Ctrl+Shift+S")
    assert editor.path == tmp_path / "fresh.nbg"
    assert window.tabs.tabText(0) == "fresh.nbg"
    assert recent.recent_files()[0] == (tmp_path / "fresh.nbg").resolve()


def test_cancelling_save_as_keeps_the_document_modified(
        window: MainWindow, dialogs: FakeDialogs) -> None:
    editor = window.new_document()
    modify(editor)
    dialogs.save_paths = [""]
    assert not window.save()
    assert editor.modified and editor.path is None


def test_a_failed_save_keeps_the_document_modified(
        window: MainWindow, dialogs: FakeDialogs, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    path = example_copy(tmp_path)
    editor = window.open_file(path)
    modify(editor)

    def refuse(doc: object, target: object) -> None:
        raise netbuilder.GraphFileError(f"{target}: cannot be written (disk full)")

    monkeypatch.setattr(netbuilder, "save", refuse)
    assert not window.save()
    assert "disk full" in dialogs.errors[0]
    assert editor.modified and window.isWindowModified()
    # Closing still asks: the unsaved work is not lost.
    dialogs.answers = [Button.Cancel]
    assert not window.close_tab(0)
    assert window.tabs.count() == 1


def test_saving_into_a_folder_that_cannot_be_written_keeps_the_document_modified(
        window: MainWindow, dialogs: FakeDialogs, tmp_path: Path) -> None:
    editor = window.new_document()
    modify(editor)
    if os.geteuid() == 0:  # root writes anywhere: a missing folder fails the same way
        target = tmp_path / "missing" / "graph.nbg"
    else:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        target = folder / "graph.nbg"
    dialogs.save_paths = [str(target)]
    assert not window.save()
    assert "cannot be written" in dialogs.errors[0]
    assert editor.modified and editor.path is None
    assert not target.exists()


# ----- closing ----------------------------------------------------------------------------------
def test_ctrl_w_closes_an_unmodified_document_without_asking(
        qtbot: Any, window: MainWindow, dialogs: FakeDialogs) -> None:
    window.new_document()
    key(qtbot, window, "Ctrl+W")
    assert window.tabs.count() == 0 and dialogs.questions == []
    assert window.empty_hint.isVisible()


def test_closing_a_modified_tab_asks_and_cancel_keeps_it(
        window: MainWindow, dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    dialogs.answers = [Button.Cancel]
    assert not window.close_tab(0)
    assert window.tabs.count() == 1
    dialogs.answers = [Button.Discard]
    assert window.close_tab(0)
    assert window.tabs.count() == 0


def test_closing_with_save_saves_first(window: MainWindow, dialogs: FakeDialogs,
                                       tmp_path: Path) -> None:
    editor = window.new_document()
    node_id = modify(editor)
    dialogs.answers = [Button.Save]
    dialogs.save_paths = [str(tmp_path / "kept.nbg")]
    assert window.close_tab(0)
    assert node_id in netbuilder.load(tmp_path / "kept.nbg").graph("model").nodes


def test_closing_with_save_then_cancelling_the_file_dialog_keeps_the_tab(
        window: MainWindow, dialogs: FakeDialogs) -> None:
    modify(window.new_document())
    dialogs.answers = [Button.Save]
    dialogs.save_paths = [""]
    assert not window.close_tab(0)
    assert window.tabs.count() == 1


# ----- drops ------------------------------------------------------------------------------------
def _drop(target: Any, paths: list[Path]) -> tuple[bool, bool]:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    enter = QDragEnterEvent(QPoint(20, 20), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, data,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    if enter.isAccepted():
        QApplication.sendEvent(target, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_dropping_nbg_files_on_the_window_opens_them(window: MainWindow,
                                                     tmp_path: Path) -> None:
    paths = [example_copy(tmp_path, "perceptron"), example_copy(tmp_path, "mnist_cnn")]
    assert _drop(window, paths) == (True, True)
    assert [e.path for e in window.editors()] == paths


def test_dropping_a_file_on_the_canvas_opens_it_too(window: MainWindow,
                                                    tmp_path: Path) -> None:
    window.new_document()
    view = window.current_editor.current_view
    path = example_copy(tmp_path, "perceptron")
    assert _drop(view.viewport(), [path]) == (True, True)
    assert window.current_editor.path == path


def test_other_files_are_refused(window: MainWindow, tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("hello", "utf-8")
    accepted, _ = _drop(window, [other])
    assert not accepted
    assert window.tabs.count() == 0


def test_a_broken_dropped_file_shows_an_error(window: MainWindow, dialogs: FakeDialogs,
                                              tmp_path: Path) -> None:
    broken = tmp_path / "broken.nbg"
    broken.write_bytes(b"\x00\x01")
    _drop(window, [broken])
    assert len(dialogs.errors) == 1 and window.tabs.count() == 0


def test_nbg_paths_keeps_local_graph_files_only(tmp_path: Path) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.nbg")), QUrl("https://x.org/b.nbg"),
                  QUrl.fromLocalFile(str(tmp_path / "c.png"))])
    assert nbg_paths(data) == [tmp_path / "a.nbg"]


def test_thumbnails_are_not_blank_in_the_light_theme_either(qtbot: Any) -> None:
    from netbuilder.ui import theme
    from netbuilder.ui.gallery import render_thumbnail

    theme.apply("light")
    image: QImage = render_thumbnail(netbuilder.load(resources.example_path("mnist_cnn"))
                                     ).toImage()
    assert len({image.pixel(x, y) for x in range(0, image.width(), 3)
                for y in range(0, image.height(), 3)}) > 3


def test_a_thumbnail_shows_the_whole_network(qtbot: Any) -> None:
    from netbuilder.ui.gallery import THUMBNAIL, render_thumbnail

    doc = netbuilder.load(resources.example_path("gan_mnist"))
    image: QImage = render_thumbnail(doc).toImage()
    background = image.pixel(0, 0)
    # Canvas colour all round the edge: nothing of the network is cut off.
    edge = [(x, y) for x in range(THUMBNAIL.width()) for y in (0, THUMBNAIL.height() - 1)]
    edge += [(x, y) for y in range(THUMBNAIL.height()) for x in (0, THUMBNAIL.width() - 1)]
    assert all(image.pixel(x, y) == background for x, y in edge)
