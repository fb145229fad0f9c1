"""Keyboard shortcuts: single keys that yield to text fields, a conflict check, the help dialog.

Qt looks up shortcuts before the focused widget sees a key. It first sends the focus widget a
``ShortcutOverride`` event; a widget that accepts it gets the key as a normal key press and
the shortcut does not fire. ``QLineEdit`` accepts printable keys, Delete and Backspace, but
not Tab; an item view or a check box accepts nothing, so "F" typed to search the palette tree
would fit the canvas, and Tab in the inspector would open quick-add instead of moving on.
:class:`SingleKeyGuard` therefore accepts the override for bare keys (no Ctrl, Alt or Meta)
unless the focus is on the canvas area: single-key shortcuts are canvas shortcuts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)
_FUNCTION_KEYS = range(Qt.Key.Key_F1.value, Qt.Key.Key_F35.value + 1)

#: What the mouse does on the canvas, listed after the menus' shortcuts in the dialog.
MOUSE_GESTURES: tuple[tuple[str, str], ...] = (
    ("Pan", "Middle-drag, or hold Space and drag"),
    ("Zoom", "Mouse wheel"),
    ("Wire two blocks", "Drag from a port to a port"),
    ("Add a block", "Double-click the canvas, or drag from the Blocks panel"),
    ("Open a group", "Double-click the group block"),
    ("Add a reroute point", "Double-click a wire"),
    ("Move a wire's end", "Drag from its input port (drop on empty canvas: delete it)"),
    ("Move a frame with its blocks", "Drag the frame's title bar"),
    ("Cancel a wire", "Esc"),
)


def is_single_key(event: QKeyEvent) -> bool:
    """True for a key a text field would type or act on: no Ctrl/Alt/Meta, not F1–F35."""
    if event.modifiers() & _COMMAND_MODIFIERS:
        return False
    return event.key() not in _FUNCTION_KEYS and event.key() != Qt.Key.Key_Escape


class SingleKeyGuard(QObject):
    """Keeps bare-key shortcuts for the canvas area; elsewhere the key goes to the widget.

    Install it on the main window (and on dock widgets, which become windows of their own
    when floated): ShortcutOverride events travel from the focus widget up to its window
    until one accepts them, so the guard sees every override no widget claimed.
    """

    def __init__(self, canvas_area: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas_area = canvas_area

    def allows(self, focus: QWidget | None) -> bool:
        """True if single-key shortcuts may fire while ``focus`` has the keyboard focus."""
        if focus is None or focus is self.canvas_area.window():
            return True
        return focus is self.canvas_area or self.canvas_area.isAncestorOf(focus)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and is_single_key(event) and not self.allows(QApplication.focusWidget()):
            event.accept()  # the key reaches the focused widget; the shortcut stays quiet
            return True
        return False


def _sequences(obj: QAction | QShortcut) -> list[QKeySequence]:
    if isinstance(obj, QShortcut):
        return [obj.key(), *obj.keys()]
    return list(obj.shortcuts())


def shortcut_conflicts(window: QWidget) -> dict[str, list[str]]:
    """Key sequences that more than one action or shortcut of ``window`` answers to.

    Widget-local shortcuts (``Qt.WidgetShortcut``) are left out: they only fire in their own
    widget. Returns {key text: [action names]}; empty when the keyboard map is unambiguous.
    """
    owners: dict[str, set[str]] = defaultdict(set)
    objects: Iterable[QAction | QShortcut] = [*window.findChildren(QAction),
                                              *window.findChildren(QShortcut)]
    for obj in objects:
        # QShortcut names it context(): shortcutContext() raised AttributeError on one.
        context = obj.context() if isinstance(obj, QShortcut) else obj.shortcutContext()
        if context == Qt.ShortcutContext.WidgetShortcut:
            continue
        label = obj.objectName() or (obj.text() if isinstance(obj, QAction) else "shortcut")
        for sequence in _sequences(obj):
            if not sequence.isEmpty():
                owners[sequence.toString(QKeySequence.SequenceFormat.PortableText)].add(
                    f"{label}#{id(obj)}")
    return {key: sorted(name.split("#")[0] for name in names)
            for key, names in owners.items() if len(names) > 1}


def shortcut_rows(menus: Iterable[QMenu]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(menu title, [(command, keys)]) for every menu action that has a shortcut."""
    sections = []
    for menu in menus:
        rows = []
        for action in _menu_actions(menu):
            keys = ",  ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                              for s in action.shortcuts())
            if keys:
                rows.append((_plain(action.text()), keys))
        if rows:
            sections.append((_plain(menu.title()), rows))
    return sections


def _menu_actions(menu: QMenu) -> list[QAction]:
    found = []
    for action in menu.actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            found += _menu_actions(submenu)
        elif not action.isSeparator():
            found.append(action)
    return found


def _plain(text: str) -> str:
    # Undo's text names the last command ("Undo Add Dense"): the dialog lists the command.
    text = text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()
    for verb in ("Undo", "Redo"):
        if text.startswith(f"{verb} "):
            return verb
    return text


class ShortcutsDialog(QDialog):
    """Help ▸ Keyboard Shortcuts: the menus' shortcuts by menu, then the mouse gestures."""

    def __init__(self, menus: Iterable[QMenu], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Command", "Keys"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        sections = [*shortcut_rows(menus), ("Canvas (mouse)", list(MOUSE_GESTURES))]
        for title, rows in sections:
            header = QTreeWidgetItem(self.tree, [title])
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            header.setFirstColumnSpanned(True)
            for command, keys in rows:
                QTreeWidgetItem(header, [command, keys])
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        # Air between the command and its keys: the columns read as two.
        self.tree.setColumnWidth(0, self.tree.columnWidth(0) + 32)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.header().setStretchLastSection(True)
        note = ("Single keys (F, B, Tab, Delete) act on the canvas; in a text field or list "
                "they type as usual.")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree)
        hint = QLabel(note, self)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(600, 700)  # every row at once, and it still fits a 768-pixel screen

    def rows(self) -> dict[str, str]:
        """{command: keys} as listed (tests read the dialog through this)."""
        found = {}
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            assert header is not None  # i < topLevelItemCount()
            for j in range(header.childCount()):
                child = header.child(j)
                assert child is not None
                found[child.text(0)] = child.text(1)
        return found
